//! Running `COMMENT ON` in a session: find the object as the statement's
//! snapshot sees it, under the lock PostgreSQL takes (SHARE UPDATE
//! EXCLUSIVE on a relation), and replace its `pg_description` row (see
//! [`crate::catalog::comment`]).

use crate::catalog::comment::CommentTarget;
use crate::catalog::system::{PG_CLASS, PG_NAMESPACE};
use crate::catalog::{Reader, RelKind};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::{CommentOn, DropKind};
use crate::txn::lock::LockMode;

use super::Session;

impl Session {
    pub(super) fn comment(
        &mut self,
        on: CommentOn,
        name: &str,
        column: Option<&str>,
        text: Option<&str>,
    ) -> Result<()> {
        let xid = self.ensure_xid("COMMENT")?;
        if matches!(on, CommentOn::Relation(_) | CommentOn::Column) {
            self.lock_for_ddl(name, LockMode::ShareUpdateExclusive)?;
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        let target = match on {
            CommentOn::Relation(_) | CommentOn::Column => {
                let Some(rel) = catalog.relation(name, &who)? else {
                    return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"));
                };
                let (wanted, noun) = match on {
                    CommentOn::Relation(DropKind::Table) => (rel.kind == RelKind::Table, "a table"),
                    CommentOn::Relation(DropKind::View) => (rel.kind == RelKind::View, "a view"),
                    CommentOn::Relation(DropKind::Index) => (rel.kind == RelKind::Index, "an index"),
                    CommentOn::Relation(DropKind::Sequence) => (rel.kind == RelKind::Sequence, "a sequence"),
                    _ => (matches!(rel.kind, RelKind::Table | RelKind::View), "a table, view, or composite type"),
                };
                if !wanted {
                    return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not {noun}"));
                }
                let objsubid = match column {
                    None => 0,
                    Some(column) => {
                        let table = catalog.lookup(name, &who)?;
                        let at = table.as_ref().and_then(|t| t.column_index(column));
                        match at {
                            Some(i) => i as i32 + 1,
                            None => {
                                return Err(err!(
                                    SqlState::UNDEFINED_COLUMN,
                                    "column \"{column}\" of relation \"{name}\" does not exist"
                                ));
                            }
                        }
                    }
                };
                CommentTarget { objoid: rel.oid, classoid: PG_CLASS.oid, objsubid }
            }
            CommentOn::Schema => {
                let oid = catalog.namespace_oid(name, &who)?;
                CommentTarget { objoid: oid, classoid: PG_NAMESPACE.oid, objsubid: 0 }
            }
            CommentOn::Database => {
                return Err(Error::not_supported("COMMENT ON DATABASE"));
            }
        };
        let object = match on {
            CommentOn::Schema => crate::catalog::privileges::PrivObject::Schema(target.objoid),
            _ => crate::catalog::privileges::PrivObject::Relation(target.objoid),
        };
        self.check_owner(object)?;
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.set_description(target, text, xid, self.cid, &who)?;
        Ok(())
    }
}
