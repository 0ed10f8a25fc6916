//! Binding `CREATE SCHEMA`, `DROP SCHEMA` and `ALTER SCHEMA`: names only;
//! the session checks them against the catalog when it runs them.

use sqlparser::ast;

use super::{ident, split_name};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::{DropKind, SchemaStmt, Statement};

/// A schema's name: one identifier (a database before it is refused).
fn schema_name(name: &ast::ObjectName) -> Result<String> {
    match split_name(name)? {
        (None, n) => Ok(n),
        (Some(_), _) => Err(Error::not_supported(format!("cross-database references: {name}"))),
    }
}

/// A role as `AUTHORIZATION` or `OWNER TO` names it (`CURRENT_USER` and
/// `SESSION_USER` are kept as key words, for the session to read).
fn role_name(owner: &ast::Owner) -> String {
    match owner {
        ast::Owner::Ident(id) => ident(id),
        ast::Owner::CurrentRole => "current_role".into(),
        ast::Owner::CurrentUser => "current_user".into(),
        ast::Owner::SessionUser => "session_user".into(),
    }
}

pub(super) fn bind_schema(stmt: &ast::Statement) -> Result<Statement> {
    Ok(Statement::Schema(match stmt {
        ast::Statement::CreateSchema {
            schema_name: name,
            or_replace: false,
            if_not_exists,
            with: None,
            options: None,
            default_collate_spec: None,
            clone: None,
        } => {
            let (name, owner) = match name {
                ast::SchemaName::Simple(n) => (Some(schema_name(n)?), None),
                ast::SchemaName::UnnamedAuthorization(role) => (None, Some(ident(role))),
                ast::SchemaName::NamedAuthorization(n, role) => (Some(schema_name(n)?), Some(ident(role))),
            };
            SchemaStmt::Create { name, if_not_exists: *if_not_exists, owner }
        }
        ast::Statement::AlterSchema(alter) if !alter.if_exists => {
            let name = schema_name(&alter.name)?;
            match alter.operations.as_slice() {
                [ast::AlterSchemaOperation::Rename { name: new_name }] => {
                    SchemaStmt::Rename { name, new_name: schema_name(new_name)? }
                }
                [ast::AlterSchemaOperation::OwnerTo { owner }] => SchemaStmt::Owner { name, owner: role_name(owner) },
                _ => return Err(Error::not_supported("this form of ALTER SCHEMA")),
            }
        }
        ast::Statement::AlterSchema(_) => {
            return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"EXISTS\""));
        }
        _ => return Err(Error::not_supported("this form of CREATE SCHEMA")),
    }))
}

pub(super) fn bind_drop_schema(names: &[ast::ObjectName], if_exists: bool, cascade: bool) -> Result<Statement> {
    let names = names.iter().map(schema_name).collect::<Result<Vec<_>>>()?;
    Ok(Statement::Schema(SchemaStmt::Drop { names, if_exists, cascade }))
}

/// `ALTER {TABLE | VIEW | SEQUENCE} [IF EXISTS] name SET SCHEMA schema`.
pub(super) fn bind_set_schema(
    kind: sqlparser::keywords::Keyword,
    if_exists: bool,
    name: &ast::ObjectName,
    schema: &ast::Ident,
) -> Result<Statement> {
    use sqlparser::keywords::Keyword;
    let kind = match kind {
        Keyword::VIEW => DropKind::View,
        Keyword::SEQUENCE => DropKind::Sequence,
        _ => DropKind::Table,
    };
    let name = super::ddl::public_name(name)?;
    Ok(Statement::Schema(SchemaStmt::SetSchema { kind, if_exists, name, schema: ident(schema) }))
}
