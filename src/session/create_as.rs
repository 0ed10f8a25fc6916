//! Running `CREATE TABLE … AS` and `SELECT … INTO`: the table is created
//! as CREATE TABLE creates one, then the query's rows are inserted into it
//! by the ordinary INSERT executor (heap inserts, index entries and WAL as
//! for any INSERT), all in the statement's transaction: a rollback leaves
//! neither table nor rows, and after a crash the table exists exactly when
//! its transaction's commit record reached the WAL.

use std::sync::Arc;

use crate::catalog::Reader;
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::exec::{Executor, ModifyKind, Timing};
use crate::sql::{CreateTableAs, Statement};

use super::Session;

impl Session {
    /// Create the table; with data, the executor that fills it (its tag
    /// counts the rows), else `None` with the tag `CREATE TABLE AS`.
    pub(super) fn start_create_table_as(
        &mut self,
        c: &CreateTableAs,
        fresh: bool,
        timing: Option<Timing>,
    ) -> Result<Option<Executor>> {
        let command = if c.select_into { "SELECT INTO" } else { "CREATE TABLE AS" };
        let xid = self.ensure_xid(command)?;
        let name = self.creation_name(&c.name, xid)?;
        if !self.check_new_relation(&name, c.if_not_exists, xid)? {
            self.tag_override = Some("CREATE TABLE AS".into());
            return Ok(None);
        }
        // The query's tables as they are now (a prepared statement may
        // have been bound before they changed).
        let refreshed = if fresh { None } else { self.refresh(&c.plan, &c.tables)? };
        let source = refreshed.map_or_else(|| c.plan.clone(), Arc::new);
        let created = self.create_table(&name, &c.columns, false, (&[], &[], &[], &[]), (c.fillfactor, c.unlogged))?;
        if let (Some(oid), Some(action)) = (created, c.on_commit) {
            self.register_on_commit(oid, action);
        }
        if !c.with_data {
            self.tag_override = Some("CREATE TABLE AS".into());
            return Ok(None);
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let Some(table) = self.shared.catalog.lookup(&name, &who)? else {
            return Err(err!(SqlState::INTERNAL_ERROR, "relation \"{name}\" vanished after its creation"));
        };
        let insert = Statement::Modify { kind: ModifyKind::Insert, table: Arc::new(table), source, returning: None };
        self.start_statement_executor(&insert, true, timing)
    }
}
