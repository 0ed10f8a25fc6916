//! SQL-level prepared statements: `PREPARE`, `EXECUTE`, `DEALLOCATE`.
//!
//! They share the session's statements with the extended protocol's
//! named statements (a Parse message's name and a PREPARE's name are one
//! namespace, as in PostgreSQL). `PREPARE` binds its statement now, with
//! the parameter types it declares and those inferred from context;
//! `EXECUTE` binds its arguments as expressions without a FROM clause,
//! coerced to the parameter types as an assignment would be, and runs the
//! statement as bound at PREPARE (its tables checked again when it runs,
//! as for any prepared statement).

use std::sync::Arc;

use sqlparser::ast;

use super::{Binder, ident, object_name, query};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::expr::Expr;
use crate::sql::types::PgType;
use crate::sql::{PreparedStatement, Statement};

impl Binder<'_> {
    pub(super) fn bind_prepare(
        &mut self,
        name: &ast::Ident,
        data_types: &[ast::DataType],
        inner: &ast::Statement,
    ) -> Result<Statement> {
        let preparable = matches!(
            inner,
            ast::Statement::Query(_)
                | ast::Statement::Insert(_)
                | ast::Statement::Update(_)
                | ast::Statement::Delete(_)
        );
        if !preparable {
            // The statement's first word, as written: the one after `AS`.
            let after_name = self.pos(name.span).map_or(0, |p| p as usize - 1 + name.value.chars().count());
            let rest: Vec<(usize, char)> = self.sql.chars().enumerate().skip(after_name).collect();
            let words = rest.split(|(_, c)| !(c.is_alphanumeric() || *c == '_')).filter(|w| !w.is_empty());
            let mut words =
                words.skip_while(|w| !w.iter().map(|(_, c)| c).collect::<String>().eq_ignore_ascii_case("as"));
            let e = match words.nth(1) {
                Some(w) => err!(
                    SqlState::SYNTAX_ERROR,
                    "syntax error at or near \"{}\"",
                    w.iter().map(|(_, c)| c).collect::<String>()
                )
                .with_position(w[0].0 as u32 + 1),
                None => err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{}\"", inner),
            };
            return Err(e);
        }
        let mut declared = Vec::with_capacity(data_types.len());
        for dt in data_types {
            declared.push(self.resolve_type(dt, inner)?.0);
        }
        let bound = Binder::new(self.sql, self.tables, &declared).bind_ast(inner)?;
        let statement = PreparedStatement {
            sql: self.sql.to_string(),
            bound: Some(Arc::new(bound)),
            from_sql: true,
            prepared_at: crate::sql::datetime::now(),
            plans: Default::default(),
            inner: Some(Arc::new(inner.clone())),
        };
        Ok(Statement::Prepare { name: ident(name), statement: Arc::new(statement) })
    }

    pub(super) fn bind_execute(&mut self, name: &ast::ObjectName, args: &[ast::Expr]) -> Result<Statement> {
        let name = match name.0.as_slice() {
            [part] => part.as_ident().map_or_else(|| object_name(name), ident),
            _ => object_name(name),
        };
        let statement = self.tables.prepared(&name).ok_or_else(|| {
            err!(SqlState::INVALID_SQL_STATEMENT_NAME, "prepared statement \"{name}\" does not exist")
        })?;
        let types = statement.param_types().to_vec();
        if args.len() != types.len() {
            return Err(err!(SqlState::SYNTAX_ERROR, "wrong number of parameters for prepared statement \"{name}\"")
                .with_detail(format!("Expected {} parameters but got {}.", types.len(), args.len())));
        }
        self.levels.push(query::Level { no_aggs: Some("EXECUTE parameters"), ..Default::default() });
        let bound = self.bind_execute_args(args, &types);
        self.levels.pop();
        Ok(Statement::Execute { statement, args: bound? })
    }

    fn bind_execute_args(&mut self, args: &[ast::Expr], types: &[PgType]) -> Result<Vec<Expr>> {
        let mut out = Vec::with_capacity(args.len());
        for (i, (e, &ty)) in args.iter().zip(types).enumerate() {
            let subplans = self.next_subplan;
            let bound = self.bind_expr(e)?;
            if self.next_subplan != subplans {
                return Err(
                    self.at(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot use subquery in EXECUTE parameter"), e)
                );
            }
            let from = bound.ty();
            let coerced = self.assign_to(bound, ty, None, e, || {
                err!(
                    SqlState::DATATYPE_MISMATCH,
                    "parameter ${} of type {} cannot be coerced to the expected type {}",
                    i + 1,
                    from.sql_name(),
                    ty.sql_name()
                )
                .with_hint("You will need to rewrite or cast the expression.")
            })?;
            out.push(coerced);
        }
        Ok(out)
    }

    pub(super) fn bind_deallocate(&mut self, name: &ast::Ident) -> Statement {
        // `DEALLOCATE ALL`: the key word arrives as a name.
        let all = name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all");
        Statement::Deallocate { name: (!all).then(|| ident(name)) }
    }
}
