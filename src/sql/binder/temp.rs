//! Binding of what makes a relation temporary: `CREATE TEMP TABLE`,
//! `CREATE TEMP VIEW`, `CREATE TEMP SEQUENCE`, `SELECT … INTO TEMP` name
//! their relation in schema `pg_temp`, which the session resolves to its
//! own temporary schema (creating it on first use), as PostgreSQL's
//! `RangeVarAdjustRelationPersistence` does.

use sqlparser::ast;

use super::split_name;
use crate::catalog::namespace::{is_temp_namespace_name, qualified_name};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::OnCommit;

/// The relation name string of a temporary relation: an unqualified name
/// goes to `pg_temp`; a schema named must be a temporary one.
pub(super) fn temp_relation_name(name: &ast::ObjectName) -> Result<String> {
    let (schema, rel) = split_name(name)?;
    match schema.as_deref() {
        None => Ok(qualified_name(Some("pg_temp"), &rel)),
        Some(s) if s == "pg_temp" || is_temp_namespace_name(s) => Ok(qualified_name(Some(s), &rel)),
        Some(_) => {
            Err(err!(SqlState::INVALID_TABLE_DEFINITION, "cannot create temporary relation in non-temporary schema"))
        }
    }
}

/// A CREATE TABLE's `ON COMMIT` clause.
pub(super) fn on_commit(clause: Option<ast::OnCommit>) -> Option<OnCommit> {
    clause.map(|c| match c {
        ast::OnCommit::PreserveRows => OnCommit::PreserveRows,
        ast::OnCommit::DeleteRows => OnCommit::DeleteRows,
        ast::OnCommit::Drop => OnCommit::Drop,
    })
}
