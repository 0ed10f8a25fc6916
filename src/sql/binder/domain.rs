//! Binding CREATE, ALTER and DROP DOMAIN: the base type resolved, the
//! default checked against it and kept as text; CHECK expressions are
//! bound over the domain's value when the session runs the statement
//! (see `session::domains`).

use sqlparser::ast;

use super::{Binder, split_name};
use crate::catalog::domains::value_column;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::Statement;
use crate::sql::domain::{AlterDomain, AlterDomainSyntax, DomainStmt, DomainSyntax};

impl Binder<'_> {
    pub(super) fn bind_domain(&mut self, syntax: &DomainSyntax) -> Result<Statement> {
        Ok(Statement::Domain(match syntax {
            DomainSyntax::Create { name, data_type, collation, default, not_null, checks } => {
                let (schema, name) = split_name(name)?;
                if self.domain_type(data_type)?.is_some() {
                    return Err(Error::not_supported("domains over domains"));
                }
                let def = ast::ColumnDef {
                    name: ast::Ident::new(name.clone()),
                    data_type: data_type.clone(),
                    options: Vec::new(),
                };
                let (base, typmod) = self.column_type(&def)?;
                if let Some(c) = collation {
                    let c = c.trim_start_matches("pg_catalog.").trim_matches('"');
                    if !matches!(c, "default" | "C" | "POSIX") {
                        return Err(err!(
                            SqlState::UNDEFINED_OBJECT,
                            "collation \"{c}\" for encoding \"UTF8\" does not exist"
                        ));
                    }
                }
                let default = match default {
                    Some(e) => self.default_text(e, &value_column(base, typmod))?,
                    None => None,
                };
                let checks = checks.iter().map(|(n, e)| (n.clone(), e.to_string())).collect();
                DomainStmt::Create { schema, name, base, typmod, not_null: not_null.unwrap_or(false), default, checks }
            }
            DomainSyntax::Drop { names, if_exists, cascade } => {
                let names = names.iter().map(split_name).collect::<Result<Vec<_>>>()?;
                DomainStmt::Drop { names, if_exists: *if_exists, cascade: *cascade }
            }
            DomainSyntax::Alter { name: qualified, action } => {
                let (schema, name) = split_name(qualified)?;
                let action = match action {
                    AlterDomainSyntax::Default(None) => AlterDomain::Default(None),
                    AlterDomainSyntax::Default(Some(e)) => {
                        let data_type = ast::DataType::Custom(qualified.clone(), Vec::new());
                        let Some(domain) = self.domain_type(&data_type)? else {
                            return Err(err!(SqlState::UNDEFINED_OBJECT, "type \"{name}\" does not exist"));
                        };
                        AlterDomain::Default(self.default_text(e, &domain.value_column())?)
                    }
                    AlterDomainSyntax::NotNull(n) => AlterDomain::NotNull(*n),
                    AlterDomainSyntax::AddCheck { name, expr, not_valid } => {
                        AlterDomain::AddCheck { name: name.clone(), expr: expr.to_string(), not_valid: *not_valid }
                    }
                    AlterDomainSyntax::DropConstraint { name, if_exists } => {
                        AlterDomain::DropConstraint { name: name.clone(), if_exists: *if_exists }
                    }
                    AlterDomainSyntax::ValidateConstraint(c) => AlterDomain::ValidateConstraint(c.clone()),
                    AlterDomainSyntax::RenameConstraint { from, to } => {
                        AlterDomain::RenameConstraint { from: from.clone(), to: to.clone() }
                    }
                    AlterDomainSyntax::RenameTo(to) => AlterDomain::RenameTo(to.clone()),
                    AlterDomainSyntax::Unsupported(what) => return Err(Error::not_supported(*what)),
                };
                DomainStmt::Alter { schema, name, action }
            }
        }))
    }
}
