//! Binding `CREATE TYPE … AS ENUM`, `ALTER TYPE` and `DROP TYPE`: names
//! and labels only; the session checks them against the catalog when it
//! runs them (see `session::types`).

use sqlparser::ast;

use super::{ident, split_name};
use crate::error::{Error, Result};
use crate::sql::{Statement, TypeStmt};

pub(super) fn bind_create_type(
    name: &ast::ObjectName,
    representation: &Option<ast::UserDefinedTypeRepresentation>,
) -> Result<Statement> {
    let (schema, name) = split_name(name)?;
    match representation {
        Some(ast::UserDefinedTypeRepresentation::Enum { labels }) => {
            let labels = labels.iter().map(|l| l.value.clone()).collect();
            Ok(Statement::Type(TypeStmt::CreateEnum { schema, name, labels }))
        }
        _ => Err(Error::not_supported("CREATE TYPE other than AS ENUM")),
    }
}

pub(super) fn bind_alter_type(alter: &ast::AlterType) -> Result<Statement> {
    let (schema, name) = split_name(&alter.name)?;
    Ok(Statement::Type(match &alter.operation {
        ast::AlterTypeOperation::Rename(r) => TypeStmt::Rename { schema, name, new_name: ident(&r.new_name) },
        ast::AlterTypeOperation::AddValue(add) => TypeStmt::AddValue {
            schema,
            name,
            label: add.value.value.clone(),
            if_not_exists: add.if_not_exists,
            position: add.position.as_ref().map(|p| match p {
                ast::AlterTypeAddValuePosition::Before(l) => (true, l.value.clone()),
                ast::AlterTypeAddValuePosition::After(l) => (false, l.value.clone()),
            }),
        },
        ast::AlterTypeOperation::RenameValue(r) => {
            TypeStmt::RenameValue { schema, name, from: r.from.value.clone(), to: r.to.value.clone() }
        }
    }))
}

pub(super) fn bind_drop_type(names: &[ast::ObjectName], if_exists: bool, cascade: bool) -> Result<Statement> {
    let names = names.iter().map(split_name).collect::<Result<Vec<_>>>()?;
    Ok(Statement::Type(TypeStmt::Drop { names, if_exists, cascade }))
}
