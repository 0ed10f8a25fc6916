//! A session's temporary relations (PostgreSQL's temporary namespace).
//!
//! 1. The session's temporary schema `pg_temp_N` (N: its backend id, see
//!    [`super::registry`]) and its TOAST schema `pg_toast_temp_N` are
//!    created by the first transaction that creates a temporary relation;
//!    if it rolls back, so does the schema. The schemas outlive the
//!    session (the next session with that id reuses them), their
//!    relations do not.
//! 2. Once the schema exists it is searched before everything else for
//!    relations (`refresh_search_path`), and `pg_temp` names it.
//! 3. ON COMMIT DROP tables are dropped by the committing transaction,
//!    before its commit record; ON COMMIT DELETE ROWS tables are emptied
//!    in place (their pages are never logged, and no other session can
//!    see them).
//! 4. DISCARD TEMP (and DISCARD ALL) drop every relation of the schema in
//!    the current transaction; the session's end drops them in a
//!    transaction of its own. What a crash leaves is removed at the next
//!    start (`Catalog::remove_leftover_temp_relations`).

use crate::catalog::namespace::qualified_name;
use crate::catalog::{Reader, RelKind};
use crate::err;
use crate::error::{Notice, Result, SqlState};
use crate::sql::{DropKind, OnCommit};

use super::Session;

/// What the session keeps about its temporary schema.
#[derive(Default)]
pub(super) struct TempState {
    /// The session's temporary schema (OID, name), once it has one.
    namespace: Option<(u32, String)>,
    /// The (sub)transaction of the current transaction that created the
    /// schema, if one did.
    created_by: Option<u64>,
    /// Tables with an ON COMMIT action other than PRESERVE ROWS.
    on_commit: Vec<OnCommitEntry>,
}

#[derive(Clone, Copy)]
struct OnCommitEntry {
    oid: u32,
    action: OnCommit,
    /// Created by the current transaction (forgotten if it rolls back).
    new: bool,
}

impl TempState {
    /// The session's temporary schema's OID, if it has one.
    pub(super) fn namespace(&self) -> Option<u32> {
        self.namespace.as_ref().map(|n| n.0)
    }
}

impl Session {
    /// The name of the session's temporary schema, created (with its
    /// TOAST schema) by the current transaction if it has none yet.
    pub(super) fn temp_namespace(&mut self, xid: u64) -> Result<String> {
        if let Some((_, name)) = &self.temp.namespace {
            return Ok(name.clone());
        }
        self.check_database_privilege('T')?;
        let name = format!("pg_temp_{}", self.backend_id);
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let owner = crate::catalog::system::SUPERUSER;
        let (oid, leftover) = match catalog.namespace(&name, &who)? {
            Some(ns) => (ns.oid, true),
            None => {
                let oid = catalog.create_namespace(&name, owner, xid, self.cid)?;
                let toast = format!("pg_toast_temp_{}", self.backend_id);
                if catalog.namespace(&toast, &who)?.is_none() {
                    catalog.create_namespace(&toast, owner, xid, self.cid)?;
                }
                self.catalog_changed = true;
                self.cid += 1;
                self.temp.created_by = Some(xid);
                (oid, false)
            }
        };
        self.temp.namespace = Some((oid, name.clone()));
        self.search_path_key = None;
        self.refresh_search_path();
        if leftover {
            // An earlier session with this backend id could not clean up.
            self.drop_temp_relations()?;
        }
        Ok(name)
    }

    /// CREATE TEMP TABLE … ON COMMIT: remember what to do at commit.
    pub(super) fn register_on_commit(&mut self, oid: u32, action: OnCommit) {
        if action != OnCommit::PreserveRows {
            self.temp.on_commit.push(OnCommitEntry { oid, action, new: true });
        }
    }

    /// Before the transaction's commit record: ON COMMIT DROP tables are
    /// dropped and ON COMMIT DELETE ROWS tables emptied (only if the
    /// transaction wrote: otherwise they are empty already).
    pub(super) fn pre_commit_temp(&mut self) -> Result<()> {
        if self.temp.on_commit.is_empty() || self.xid.is_none() {
            return Ok(());
        }
        let Some((_, schema)) = self.temp.namespace.clone() else { return Ok(()) };
        let xid = self.ensure_xid("COMMIT")?;
        for entry in self.temp.on_commit.clone() {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            let catalog = self.shared.catalog.clone();
            let Some((name, _)) = catalog.relation_by_oid(entry.oid, &who)? else {
                self.temp.on_commit.retain(|e| e.oid != entry.oid);
                continue;
            };
            let qualified = qualified_name(Some(&schema), &name);
            match entry.action {
                OnCommit::Drop => {
                    let before = self.notices.len();
                    self.drop(DropKind::Table, &[qualified], true, true)?;
                    self.notices.truncate(before);
                    self.temp.on_commit.retain(|e| e.oid != entry.oid);
                }
                OnCommit::DeleteRows => {
                    let Some(table) = catalog.lookup(&qualified, &who)? else { continue };
                    catalog.reset_relation(table.rel, false)?;
                    for index in &table.indexes {
                        catalog.reset_relation(index.rel, true)?;
                    }
                    if let Some(toast) = table.toast {
                        catalog.reset_relation(toast.heap, false)?;
                        catalog.reset_relation(toast.index, true)?;
                    }
                }
                OnCommit::PreserveRows => {}
            }
        }
        Ok(())
    }

    /// The transaction ended: a rollback takes back the schema and the ON
    /// COMMIT actions it created.
    pub(super) fn end_transaction_temp(&mut self, committed: bool) {
        if committed {
            self.temp.created_by = None;
            self.temp.on_commit.iter_mut().for_each(|e| e.new = false);
            return;
        }
        if self.temp.created_by.take().is_some() {
            self.forget_temp_namespace();
        }
        self.temp.on_commit.retain(|e| !e.new);
    }

    /// `ROLLBACK TO` aborted subtransactions `ids`: the schema goes if one
    /// of them created it (ON COMMIT entries of tables that went with them
    /// are forgotten at commit, when their tables are not found).
    pub(super) fn rollback_subtransaction_temp(&mut self, ids: &[u64]) {
        if self.temp.created_by.is_some_and(|x| ids.contains(&x)) {
            self.temp.created_by = None;
            self.forget_temp_namespace();
        }
    }

    fn forget_temp_namespace(&mut self) {
        self.temp.namespace = None;
        self.search_path_key = None;
        self.simple_cache.clear();
    }

    /// DISCARD TEMP: drop every relation of the session's temporary schema.
    pub(super) fn discard_temp(&mut self) -> Result<()> {
        if self.temp.namespace.is_none() {
            return Ok(());
        }
        self.ensure_xid("DISCARD TEMP")?;
        self.drop_temp_relations()
    }

    /// Drop the relations of the session's temporary schema, in the
    /// current transaction (which has an id), as DROP … CASCADE would but
    /// without its notices.
    fn drop_temp_relations(&mut self) -> Result<()> {
        let Some((oid, schema)) = self.temp.namespace.clone() else { return Ok(()) };
        let xid = self.current_xid();
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let doomed = self.shared.catalog.temp_relations(Some(oid), &who)?;
        let before = self.notices.len();
        for (_, name, kind) in doomed {
            let kind = match kind {
                RelKind::View => DropKind::View,
                RelKind::Sequence => DropKind::Sequence,
                _ => DropKind::Table,
            };
            self.drop(kind, &[qualified_name(Some(&schema), &name)], true, true)?;
        }
        self.notices.truncate(before);
        self.temp.on_commit.clear();
        Ok(())
    }

    /// The session ends (its open transaction already rolled back): its
    /// temporary relations are dropped by a transaction of their own.
    pub(super) fn drop_temp_at_exit(&mut self) -> Result<()> {
        if self.temp.namespace.is_none() {
            return Ok(());
        }
        self.deadline = None;
        self.interrupts.alarm.set_deadline(None);
        self.ensure_xid("DISCARD TEMP")?;
        if let Err(e) = self.drop_temp_relations() {
            self.end_transaction(false);
            return Err(e);
        }
        self.end_transaction(true);
        if let Some((xid, lsn)) = self.pending_commit.take() {
            self.shared.engine.wal.flush_to(lsn)?;
            self.finish_commit(xid, lsn)?;
        }
        Ok(())
    }

    /// A new relation's schema, named `schema` (a relation name string's
    /// qualifier): `pg_temp` is the session's temporary schema (created
    /// now if need be); another session's is refused.
    pub(super) fn temp_schema_for_creation(&mut self, schema: &str, xid: u64) -> Result<Option<String>> {
        if schema == "pg_temp" {
            return self.temp_namespace(xid).map(Some);
        }
        if crate::catalog::namespace::is_any_temp_namespace_name(schema)
            && self.temp.namespace.as_ref().is_none_or(|(_, mine)| mine != schema)
        {
            return Err(err!(
                SqlState::INVALID_TABLE_DEFINITION,
                "cannot create relations in temporary schemas of other sessions"
            ));
        }
        Ok(None)
    }

    /// CREATE VIEW over a temporary relation: the view is temporary too
    /// (with PostgreSQL's NOTICE), unless it names a permanent schema.
    pub(super) fn view_name_for(&mut self, name: &str, reads: &[u32], xid: u64) -> Result<String> {
        let (schema, bare) = crate::catalog::namespace::split_qualified(name)?;
        if schema.as_deref().is_some_and(|s| s == "pg_temp" || s.starts_with("pg_temp_")) {
            return Ok(name.to_string());
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let mut temp = false;
        for &oid in reads {
            temp |= self.shared.catalog.relation_by_oid(oid, &who)?.is_some_and(|(_, r)| r.temp);
        }
        if !temp {
            return Ok(name.to_string());
        }
        if schema.is_some() {
            return Err(err!(
                SqlState::INVALID_TABLE_DEFINITION,
                "cannot create temporary relation in non-temporary schema"
            ));
        }
        self.notices
            .push(Notice::info(SqlState::SUCCESSFUL_COMPLETION, format!("view \"{bare}\" will be a temporary view")));
        Ok(qualified_name(Some("pg_temp"), &bare))
    }
}
