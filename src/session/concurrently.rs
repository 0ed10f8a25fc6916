//! CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY and REINDEX
//! CONCURRENTLY: index changes that never block the table's writers for
//! long. The table is held in SHARE UPDATE EXCLUSIVE (which writers do
//! not conflict with) by a session-level lock for the whole statement, and
//! the statement commits several transactions of its own, waiting between
//! them for the transactions that may still act on what the catalog said
//! before (PostgreSQL's WaitForLockers). A crash or an error between two
//! phases leaves an index that is not valid, as in PostgreSQL: `\d` shows
//! it INVALID, the planner ignores it, DROP INDEX removes it.
//!
//! CREATE INDEX CONCURRENTLY, as [`Session::create_index_concurrently`]
//! runs it:
//!
//! ```text
//!  txn 1  catalog row, indisready = indisvalid = false, empty file; commit
//!  wait   for writers that may not know of the index
//!  txn 2  build from the row versions a snapshot S1 sees (held, so
//!         that none of them is pruned meanwhile); indisready = true;
//!         commit
//!  wait   for writers that may not maintain the index
//!  txn 3  catch up (validate): entries for rows committed before a
//!         snapshot S2 that lack one (see `crate::catalog::concurrently`)
//!         ; commit
//!  wait   for snapshots older than S2, which may see row versions
//!         deleted before S1 or S2 was taken, that have no entry
//!  txn 4  indisvalid = true; committed with the statement
//! ```
//!
//! DROP INDEX CONCURRENTLY runs it backwards: indisvalid = false (no new
//! plan reads it); wait for every transaction using the table; indisready
//! = false (no writer maintains it); wait again; drop.
//!
//! REINDEX CONCURRENTLY builds a copy of each index named `<name>_ccnew`
//! the first way; the index and its copy swap files (so the index keeps
//! its OID, name and constraint, where PostgreSQL swaps names and
//! dependencies); the copy, holding the old file and renamed
//! `<name>_ccold`, goes the second way.

use crate::catalog::privileges::PrivObject;
use crate::catalog::{Index, Reader, RelKind, Table};
use crate::config::Guc;
use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::sql::{DropKind, IndexDef};
use crate::txn::lock::{LockMode, LockTag, Wait};

use super::Session;

/// How often a wait for older snapshots looks again.
const SNAPSHOT_POLL: std::time::Duration = std::time::Duration::from_millis(10);

impl Session {
    /// `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON t (…)`.
    pub(super) fn create_index_concurrently(
        &mut self,
        table_name: &str,
        def: &IndexDef,
        if_not_exists: bool,
    ) -> Result<()> {
        self.refuse_in_block("CREATE INDEX CONCURRENTLY")?;
        let xid = self.ensure_xid("CREATE INDEX")?;
        if let Some(name) = &def.name
            && if_not_exists
            && self.relation_exists(name, xid)?
        {
            self.notices
                .push(Notice::info(SqlState::DUPLICATE_TABLE, format!("relation \"{name}\" already exists, skipping")));
            return Ok(());
        }
        self.lock_for_ddl(table_name, LockMode::ShareUpdateExclusive)?;
        let table = self.fresh_table_named(table_name, xid)?;
        if table.view.is_some() {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "cannot create index on relation \"{table_name}\"")
                .with_detail("This operation is not supported for views."));
        }
        self.check_owner(PrivObject::Relation(table.oid))?;
        let mut index = self.index_from_def(&table, def, xid)?;
        (index.valid, index.ready) = (false, false);
        self.holding_table(table.oid, |s| {
            s.catalog_changed = true;
            let index = s.shared.catalog.create_index(&table, index, xid, s.cid)?;
            s.created_files.push(index.rel);
            s.cid += 1;
            s.commit_phase()?;
            s.build_concurrently(table.oid, index)?;
            Ok(())
        })
    }

    /// `DROP INDEX CONCURRENTLY [IF EXISTS] name [CASCADE | RESTRICT]`.
    pub(super) fn drop_index_concurrently(&mut self, names: &[String], if_exists: bool, cascade: bool) -> Result<()> {
        self.refuse_in_block("DROP INDEX CONCURRENTLY")?;
        let [name] = names else {
            return Err(err!(
                SqlState::FEATURE_NOT_SUPPORTED,
                "DROP INDEX CONCURRENTLY does not support dropping multiple objects"
            ));
        };
        if cascade {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "DROP INDEX CONCURRENTLY does not support CASCADE"));
        }
        let xid = self.ensure_xid("DROP INDEX")?;
        self.lock_for_ddl(name, LockMode::ShareUpdateExclusive)?;
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let Some(rel) = self.drop_target(DropKind::Index, name, if_exists, &who)? else { return Ok(()) };
        let table = self.shared.catalog.table_of_index(rel.oid, &who)?;
        let table = table.ok_or_else(|| Error::internal("index without its table"))?;
        self.holding_table(table.oid, |s| s.retire_index(table.oid, rel.oid))
    }

    /// `REINDEX {INDEX | TABLE} CONCURRENTLY name`.
    pub(super) fn reindex_concurrently(&mut self, whole_table: bool, name: &str) -> Result<()> {
        self.refuse_in_block("REINDEX CONCURRENTLY")?;
        let xid = self.ensure_xid("REINDEX")?;
        self.lock_for_ddl(name, LockMode::ShareUpdateExclusive)?;
        let (table, oids) = self.reindex_targets(whole_table, name, xid)?;
        if oids.is_empty() {
            self.notices.push(Notice::info(
                SqlState::SUCCESSFUL_COMPLETION,
                format!("table \"{}\" has no indexes that can be reindexed concurrently", table.name),
            ));
            return Ok(());
        }
        self.holding_table(table.oid, |s| {
            for oid in oids {
                s.reindex_one_concurrently(table.oid, oid)?;
            }
            Ok(())
        })
    }

    /// The table of REINDEX CONCURRENTLY and the indexes it rebuilds.
    fn reindex_targets(&mut self, whole_table: bool, name: &str, xid: u64) -> Result<(Table, Vec<u32>)> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        let (noun, wanted) =
            if whole_table { ("a table or materialized view", RelKind::Table) } else { ("an index", RelKind::Index) };
        let Some(rel) = catalog.relation(name, &who)? else {
            return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"));
        };
        if rel.kind != wanted {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not {noun}"));
        }
        let table = if whole_table { catalog.lookup(name, &who)? } else { catalog.table_of_index(rel.oid, &who)? };
        let table = table.ok_or_else(|| Error::internal("table vanished"))?;
        if rel.oid < crate::catalog::FIRST_NORMAL_OID || table.oid < crate::catalog::FIRST_NORMAL_OID {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot reindex system catalogs concurrently"));
        }
        let mut oids = Vec::new();
        for index in table.indexes.iter().filter(|i| whole_table || i.oid == rel.oid) {
            if index.deferral.deferrable {
                // Its copy would have to put off its checks too.
                return Err(Error::not_supported(format!(
                    "REINDEX CONCURRENTLY of index \"{}\" of a deferrable constraint",
                    index.name
                )));
            }
            if whole_table && !index.valid {
                let schema = catalog.namespace_name(table.namespace, &who)?.unwrap_or_default();
                self.notices.push(Notice::warning(
                    SqlState::WARNING,
                    format!("cannot reindex invalid index \"{schema}.{}\" concurrently, skipping", index.name),
                ));
                continue;
            }
            oids.push(index.oid);
        }
        Ok((table, oids))
    }

    /// REINDEX CONCURRENTLY of one index of table `table_oid`: a copy is
    /// built concurrently, the two swap files (the index keeps its OID,
    /// name and constraint), and the copy, now with the old file and named
    /// `<name>_ccold`, goes as DROP INDEX CONCURRENTLY drops one.
    fn reindex_one_concurrently(&mut self, table_oid: u32, oid: u32) -> Result<()> {
        let xid = self.ensure_xid("REINDEX")?;
        let table = self.fresh_table(table_oid, xid)?;
        let old = table.indexes.iter().find(|i| i.oid == oid).cloned();
        let old = old.ok_or_else(|| Error::internal("index vanished"))?;
        // The copy implements no constraint: it only holds the entries.
        let mut copy = Index { valid: false, ready: false, primary: false, constraint: false, ..old.clone() };
        copy.name = self.free_index_name(&table, &old.name, "ccnew", xid)?;
        self.catalog_changed = true;
        let copy = self.shared.catalog.create_index(&table, copy, xid, self.cid)?;
        self.created_files.push(copy.rel);
        self.cid += 1;
        self.commit_phase()?;
        let copy_oid = copy.oid;
        self.build_concurrently(table_oid, copy)?;

        // The swap, where the copy became valid.
        let xid = self.ensure_xid("REINDEX")?;
        let table = self.fresh_table(table_oid, xid)?;
        let find = |oid| table.indexes.iter().find(|i| i.oid == oid).ok_or_else(|| Error::internal("index vanished"));
        let (old, copy) = (find(oid)?, find(copy_oid)?);
        let retired_name = self.free_index_name(&table, &old.name, "ccold", xid)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        catalog.swap_index_files(old, copy, xid, self.cid, &who)?;
        self.cid += 1;
        let who = Reader { cid: self.cid, ..who };
        catalog.rename_relation(copy_oid, &retired_name, xid, self.cid, &who)?;
        self.cid += 1;
        self.retire_index(table_oid, copy_oid)
    }

    /// `<base>_<label>`, with a number after the label while that is taken
    /// (PostgreSQL's ChooseRelationName).
    fn free_index_name(&mut self, table: &Table, base: &str, label: &str, xid: u64) -> Result<String> {
        for n in 0.. {
            let candidate = if n == 0 { format!("{base}_{label}") } else { format!("{base}_{label}{n}") };
            if !self.relation_exists_in(table.namespace, &candidate, xid)? {
                return Ok(candidate);
            }
        }
        unreachable!("some name is free")
    }

    /// CREATE INDEX CONCURRENTLY from its second phase on (see the module
    /// doc): `index` is catalogued, not ready, in a committed transaction.
    /// The last transaction (valid) is left open for the statement.
    fn build_concurrently(&mut self, table_oid: u32, index: Index) -> Result<()> {
        self.wait_for_lockers(table_oid, LockMode::Share)?;
        let xid = self.ensure_xid("CREATE INDEX")?;
        let snapshot = self.statement_snapshot();
        let table = self.fresh_table(table_oid, xid)?;
        self.shared.catalog.build_index_concurrently(&table, &index, xid, &snapshot)?;
        self.set_index_flags(table_oid, index.oid, |i| i.ready = true)?;
        self.commit_phase()?;

        self.wait_for_lockers(table_oid, LockMode::Share)?;
        let xid = self.ensure_xid("CREATE INDEX")?;
        let snapshot = self.statement_snapshot();
        let table = self.fresh_table(table_oid, xid)?;
        {
            let (catalog, pid) = (&self.shared.catalog, self.pid);
            let (interrupts, deadline) = (&self.interrupts, self.deadline);
            let interrupted = || interrupts.check(deadline);
            let mut wait = |x| catalog.wait_for_transaction(pid, x, &mut || interrupts.check(deadline));
            catalog.validate_index(&table, &index, xid, &snapshot, &mut wait, &interrupted)?;
        }
        self.commit_phase()?;
        self.wait_for_older_snapshots(snapshot.xmin)?;

        self.set_index_flags(table_oid, index.oid, |i| i.valid = true)?;
        self.simple_cache.clear();
        Ok(())
    }

    /// DROP INDEX CONCURRENTLY's phases (see the module doc), the index
    /// `oid` of table `table_oid` being still valid and ready; the first
    /// change joins the transaction open, if any. The drop itself is left
    /// for the statement's transaction to commit.
    fn retire_index(&mut self, table_oid: u32, oid: u32) -> Result<()> {
        self.set_index_flags(table_oid, oid, |i| i.valid = false)?;
        self.commit_phase()?;
        self.wait_for_lockers(table_oid, LockMode::AccessExclusive)?;
        self.set_index_flags(table_oid, oid, |i| i.ready = false)?;
        self.commit_phase()?;
        self.wait_for_lockers(table_oid, LockMode::AccessExclusive)?;
        let files = self.drop_index_now(oid)?;
        // The file goes only when no statement that may still hold a
        // description of the table with the index is left: a reader that
        // prunes a page removes the entries of what it prunes from every
        // index it knows of, ready or not (one being built needs that), and
        // its lock is no obstacle to this statement's.
        let lsn = self.commit_phase()?;
        if let Err(e) = self.wait_for_lockers(table_oid, LockMode::AccessExclusive) {
            tracing::warn!(error = %e, "index file left behind by an interrupted DROP INDEX CONCURRENTLY");
            return Err(e);
        }
        if let Some(lsn) = lsn {
            // Only once the drop is durable, as at any commit.
            self.shared.engine.wal.flush_to(lsn)?;
        }
        self.remove_files(files);
        Ok(())
    }

    /// Drop index `oid`'s catalog rows; its files, to be removed once the
    /// drop has committed and nobody uses them.
    fn drop_index_now(&mut self, oid: u32) -> Result<Vec<crate::storage::smgr::RelFileLocator>> {
        let xid = self.ensure_xid("DROP INDEX")?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        self.catalog_changed = true;
        let files = self.shared.catalog.drop_relation(oid, xid, self.cid, &who)?;
        self.cid += 1;
        self.simple_cache.clear();
        Ok(files)
    }

    /// Change index `oid`'s `indisvalid` / `indisready` in a transaction
    /// (begun if need be).
    fn set_index_flags(&mut self, table_oid: u32, oid: u32, change: impl FnOnce(&mut Index)) -> Result<()> {
        let xid = self.ensure_xid("CREATE INDEX")?;
        let table = self.fresh_table(table_oid, xid)?;
        let mut index = table.indexes.iter().find(|i| i.oid == oid).cloned();
        let index = index.as_mut().ok_or_else(|| Error::internal("index vanished"))?;
        change(index);
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.catalog_changed = true;
        self.shared.catalog.set_index_state(index, &table, xid, self.cid, &who)?;
        self.cid += 1;
        Ok(())
    }

    /// Table `oid` as this transaction sees it now.
    fn fresh_table(&mut self, oid: u32, xid: u64) -> Result<Table> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.lookup_oid(oid, &who)?.ok_or_else(|| Error::internal("table vanished"))
    }

    /// Table `name` as this transaction sees it now (42P01 if there is none).
    fn fresh_table_named(&mut self, name: &str, xid: u64) -> Result<Table> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let table = self.shared.catalog.lookup(name, &who)?;
        table.ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"))
    }

    /// Run `phases` holding SHARE UPDATE EXCLUSIVE on table `oid` across
    /// their commits (a session-level lock, let go however they end).
    fn holding_table(&mut self, oid: u32, phases: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        let tag = LockTag::Relation { db: self.shared.catalog.database(), rel: oid };
        self.locker().lock(tag, LockMode::ShareUpdateExclusive, true, false)?;
        let result = phases(self);
        self.shared.txns.locks.release_one(self.pid, tag, LockMode::ShareUpdateExclusive);
        result
    }

    /// Commit the statement's transaction so far, durably, and go on
    /// outside any (the next write begins another). Returns the end of
    /// its commit record, if it wrote one.
    fn commit_phase(&mut self) -> Result<Option<u64>> {
        self.end_transaction(true);
        let Some((xid, lsn)) = self.pending_commit.take() else { return Ok(None) };
        if self.settings.str(Guc::synchronous_commit) != "off" {
            crate::txn::wait::until(self.shared.engine.wal.wait_flushed(lsn))?;
        }
        self.finish_commit(xid, lsn)?;
        Ok(Some(lsn))
    }

    /// Wait until the transactions of other sessions that hold a lock on
    /// table `oid` conflicting with `mode` have ended.
    fn wait_for_lockers(&mut self, oid: u32, mode: LockMode) -> Result<()> {
        let tag = LockTag::Relation { db: self.shared.catalog.database(), rel: oid };
        let (_, deadlock_timeout) = super::locks::timeouts(&self.settings);
        let (interrupts, deadline) = (&self.interrupts, self.deadline);
        let mut interrupted = || interrupts.check(deadline);
        let mut wait = Wait { nowait: false, timeout: None, deadlock_timeout, interrupted: &mut interrupted };
        let txns = &self.shared.txns;
        txns.locks.wait_for_lockers(self.pid, tag, mode, &mut wait, &|x| txns.owner_of(x))
    }

    /// Wait until no other session holds a snapshot older than `xmin`
    /// (PostgreSQL's WaitForOlderSnapshots). Snapshots taken from now on
    /// are not older, so the wait ends once those there are go.
    fn wait_for_older_snapshots(&mut self, xmin: u64) -> Result<()> {
        while self.shared.txns.older_snapshot_held(self.pid, xmin) {
            crate::txn::wait::sleep(std::time::Instant::now() + SNAPSHOT_POLL);
            self.interrupts.check(self.deadline)?;
        }
        Ok(())
    }

    /// 25001 for a command that commits transactions of its own.
    pub(super) fn refuse_in_block(&self, command: &str) -> Result<()> {
        if self.block.is_some() || self.implicit_multi {
            return Err(err!(SqlState::ACTIVE_SQL_TRANSACTION, "{command} cannot run inside a transaction block"));
        }
        Ok(())
    }
}
