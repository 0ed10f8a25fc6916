//! The backend: one [`Session`] per client connection.
//!
//! A session owns what PostgreSQL keeps in a backend's local memory: its
//! settings, prepared statements and portals, the implicit-transaction state,
//! and a `bumpalo` work area that per-statement work allocates in and that is
//! reset when each statement ends. It knows nothing of the wire protocol: the
//! protocol layer calls [`Session::prepare`], [`Session::bind`],
//! [`Session::execute`] and friends and encodes what they return.

/// The [`Eval`] of a session's statement. A macro rather than a method, so
/// that it borrows only the session fields it reads and the caller keeps
/// the others (a running COPY's state, the catalog).
macro_rules! eval_context {
    ($s:expr, $params:expr, $time_zone:expr) => {
        Eval {
            lock_timeouts: crate::session::locks::timeouts(&$s.settings),
            txns: &$s.shared.txns,
            notices: &mut $s.notices,
            time_zone: $time_zone,
            xact_timestamp: $s.xact_timestamp.unwrap_or($s.statement_timestamp),
            statement_timestamp: $s.statement_timestamp,
            settings: &mut $s.settings,
            block: $s.block.as_ref().map(|b| (b.isolation, b.read_only)),
            params: $params,
            interrupts: &$s.interrupts,
            deadline: $s.deadline,
            pid: $s.pid,
            user: &$s.user,
            database: &$s.database,
            catalog: &$s.shared.catalog,
            sequences: &mut $s.sequences,
            search_path: &$s.search_path,
            prepared: &$s.statements,
            pending: &$s.pending,
            reader_xid: {
                let sub = $s.block.as_ref().and_then(|b| b.savepoints.iter().rev().find_map(|sp| sp.xid));
                sub.or($s.xid).unwrap_or(0)
            },
            top_xid: &mut $s.xid,
            serial_id: $s.serial.id,
            registry: $s.registry.as_deref(),
        }
    };
}

pub mod activity;
mod alter;
mod checks;
mod comment;
mod concurrently;
mod constraints;
mod copy;
mod create_as;
pub mod databases;
mod ddl;
mod deferred;
mod domains;
mod interrupts;
mod lock_status;
mod locks;
mod own_catalog;
mod pg_control;
mod privileges;
pub mod registry;
mod rewrite;
mod role_settings;
mod roles;
mod schemas;
mod sequences;
mod serial;
mod simple;
mod temp;
mod types;
mod views;
pub mod xact;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use crate::sql::datetime::TimeZone;

use bumpalo::Bump;

use crate::config::{Config, Guc, Settings, guc};
use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::metrics::Metrics;
pub use crate::sql::PreparedStatement;
use crate::sql::binder::Binder;
use crate::sql::binder::TableLookup;
use crate::sql::exec::{Executor, Progress, RowSink};
use crate::sql::expr::EvalContext;
use crate::sql::plan::Plan;
use crate::sql::plancache::{self, PlanCacheMode};
use crate::sql::types::{Datum, PgType, parse_binary, parse_text_tz};
use crate::sql::{Bound, Statement, parser};
use crate::txn::Snapshot;
use crate::txn::lock::LockMode;
pub use copy::{CopyFormat, CopyWithClient};
pub use interrupts::Interrupts;
pub use simple::SimpleStatements;

/// A prepared statement bound to parameter values, ready to run.
pub struct Portal {
    pub statement: Arc<PreparedStatement>,
    params: Vec<Datum>,
    /// Output format per column: `true` for binary.
    pub binary: Vec<bool>,
    /// The custom plan this run of the statement uses (see
    /// [`crate::sql::plancache`]); `None`: its generic plan.
    custom: Option<Arc<Bound>>,
    executor: Option<Executor>,
    rows: u64,
    finished: bool,
    /// Bound within this very statement, with its snapshot: the tables it
    /// names need no re-check before running.
    fresh: bool,
}

/// What an Execute (or one statement of a simple query) ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Finished; the CommandComplete tag.
    Complete(String),
    /// The row limit was reached; more rows remain.
    Suspended,
    /// The sink is full; flush it and call again.
    SinkFull,
    /// The statement was an empty query string.
    Empty,
}

/// Process-wide state a session reads.
/// One per database: `catalog` is that database's; the rest is the
/// cluster's (see [`databases::Databases`]).
pub struct Shared {
    pub catalog: Arc<crate::catalog::Catalog>,
    pub config: Config,
    pub metrics: Arc<Metrics>,
    pub engine: Arc<crate::storage::engine::Engine>,
    pub txns: Arc<crate::txn::TransactionManager>,
    /// The registry of databases and who is connected to each.
    pub databases: Arc<databases::Databases>,
}

pub struct Session {
    pub pid: i32,
    pub secret_key: i32,
    /// The session user (`session_user`): who logged in, or whom SET
    /// SESSION AUTHORIZATION named.
    pub user: String,
    /// The role that logged in.
    pub login_user: String,
    pub database: String,
    pub settings: Settings,
    pub interrupts: Arc<Interrupts>,
    /// The live sessions (`pg_stat_activity`, `pg_cancel_backend`).
    registry: Option<Arc<registry::Registry>>,
    /// This session's record in the registry (see [`activity`]).
    activity: Option<Arc<activity::Activity>>,
    shared: Arc<Shared>,
    statements: HashMap<String, Arc<PreparedStatement>>,
    /// Prepared statements to bind again before they next run (`DISCARD
    /// PLANS`, or tables changed since they were bound).
    replan: Vec<Arc<PreparedStatement>>,
    /// Whether the statement starting had to be planned again for its
    /// tables as they are now ([`Session::refresh`]).
    refreshed: bool,
    portals: HashMap<String, Portal>,
    /// Bound statements of recently run simple queries ([`simple`]);
    /// cleared with every catalog change the session makes.
    simple_cache: simple::SimpleCache,
    arena: Bump,
    notices: Vec<Notice>,
    /// Inside a multi-statement simple query (PostgreSQL's implicit transaction block).
    implicit_multi: bool,
    /// The current implicit transaction failed.
    implicit_failed: bool,
    /// The explicit transaction block (`BEGIN` … `COMMIT`), if one is open.
    block: Option<xact::Block>,
    /// A CommandComplete tag that differs from the command's (COMMIT of a failed block says ROLLBACK).
    tag_override: Option<String>,
    /// The current top-level transaction's id, once it has written (the
    /// open savepoints' subtransactions have their own, see [`xact::Savepoint`]).
    xid: Option<u64>,
    /// The command counter within the transaction (PostgreSQL's CommandId).
    cid: u32,
    /// The snapshot statements read with (per statement, or per
    /// transaction in REPEATABLE READ).
    snapshot: Option<Snapshot>,
    /// A commit logged but not yet confirmed durable: (xid, commit record end LSN).
    pending_commit: Option<(u64, u64)>,
    /// The SERIALIZABLE transaction's entries in the tracker.
    serial: serial::SerialState,
    /// Files of relations this transaction created (removed if it rolls back).
    created_files: Vec<crate::storage::smgr::RelFileLocator>,
    /// Files of relations this transaction dropped (removed once it commits).
    dropped_files: Vec<crate::storage::smgr::RelFileLocator>,
    /// Dropped relations' files waiting for the commit to be durable.
    commit_removes: Vec<crate::storage::smgr::RelFileLocator>,
    /// The transaction has changed the catalog (DDL).
    catalog_changed: bool,
    /// What it read of its own catalog state since, while still right.
    own_catalog: std::cell::RefCell<own_catalog::OwnCatalog>,
    /// Rows the transaction's statements changed, per table (OID, name):
    /// counted into the table statistics when it ends.
    changes: Vec<(u32, String, crate::catalog::stats::Changes)>,
    /// The transaction's constraint checks put off, and its SET
    /// CONSTRAINTS modes (see `session/deferred.rs`).
    pending: crate::sql::exec::deferred::SharedPending,
    /// The commit being confirmed changed the catalog: invalidate the cache.
    commit_invalidates: bool,
    /// The current user's privileges, with the user's name and the
    /// [`crate::catalog::cluster_version`] they were read at.
    holder_cache: Option<(String, u64, std::sync::Arc<crate::catalog::privileges::Holder>)>,
    statement_start: Option<Instant>,
    deadline: Option<Instant>,
    /// The COPY FROM being fed by the client, if one is running.
    copy_in: Option<Box<copy::CopyIn>>,
    /// When the transaction's first statement started (`now()`), as a timestamp.
    xact_timestamp: Option<i64>,
    /// `currval` and `lastval` state, and the WAL the sequences this
    /// transaction advanced need flushed at commit.
    sequences: sequences::SessionSequences,
    /// When the current statement started (`statement_timestamp()`).
    statement_timestamp: i64,
    /// The parsed `TimeZone` setting, by its text (a zone file is read once).
    time_zone: Option<(String, TimeZone)>,
    /// The schemas unqualified names are looked up in (`pg_catalog`
    /// included), resolved from `search_path` at each statement's start.
    search_path: Vec<u32>,
    /// The schemas `search_path` names that exist, without the implicit
    /// `pg_catalog`: new relations go to the first.
    explicit_path: Vec<u32>,
    /// What [`Session::search_path`] was resolved from: the setting, the
    /// catalog version (or the command, once the transaction changed the
    /// catalog), and the transaction if it had.
    search_path_key: Option<(String, u64, u64)>,
    /// The session's backend id (names its temporary schema, `pg_temp_N`).
    pub backend_id: i32,
    /// The session's temporary schema and the ON COMMIT actions of its tables.
    temp: temp::TempState,
    /// The session's place in its database (see [`databases::Connection`]).
    connection: Option<databases::Connection>,
}

impl Session {
    pub fn new(shared: Arc<Shared>, pid: i32, secret_key: i32, interrupts: Arc<Interrupts>) -> Session {
        Session {
            pid,
            secret_key,
            user: String::new(),
            login_user: String::new(),
            database: String::new(),
            settings: Settings::new(&shared.config),
            interrupts,
            registry: None,
            activity: None,
            shared,
            statements: HashMap::new(),
            replan: Vec::new(),
            refreshed: false,
            portals: HashMap::new(),
            simple_cache: simple::SimpleCache::default(),
            arena: Bump::new(),
            notices: Vec::new(),
            implicit_multi: false,
            implicit_failed: false,
            block: None,
            tag_override: None,
            xid: None,
            cid: 0,
            snapshot: None,
            pending_commit: None,
            serial: serial::SerialState::default(),
            xact_timestamp: None,
            statement_timestamp: 0,
            time_zone: None,
            connection: None,
            created_files: Vec::new(),
            dropped_files: Vec::new(),
            commit_removes: Vec::new(),
            catalog_changed: false,
            own_catalog: Default::default(),
            changes: Vec::new(),
            pending: Default::default(),
            commit_invalidates: false,
            holder_cache: None,
            statement_start: None,
            deadline: None,
            copy_in: None,
            sequences: sequences::SessionSequences::default(),
            search_path: crate::catalog::namespace::DEFAULT_PATH.to_vec(),
            explicit_path: vec![crate::catalog::PUBLIC_NAMESPACE],
            search_path_key: None,
            backend_id: 0,
            temp: temp::TempState::default(),
        }
    }

    /// Resolve `search_path` into schemas again if the setting or the
    /// catalog changed since it last was (PostgreSQL's
    /// `recomputeNamespacePath`). A change forgets the bound simple
    /// queries, which named tables through the old path.
    fn refresh_search_path(&mut self) {
        let setting = self.settings.str(Guc::search_path).to_string();
        let own = if self.catalog_changed { self.current_xid() } else { 0 };
        // After its own DDL, the transaction's commands may have changed
        // the schemas: resolve again at each.
        let version = if self.catalog_changed { u64::from(self.cid) << 32 } else { self.shared.catalog.version() };
        let key = (setting, version, own);
        if self.search_path_key.as_ref() == Some(&key) {
            return;
        }
        let snapshot = self.shared.txns.snapshot();
        let who = crate::catalog::Reader { path: None, snapshot: &snapshot, xid: own, cid: u32::MAX };
        let catalog = &self.shared.catalog;
        let temp = self.temp.namespace();
        let Ok(explicit) = catalog.resolve_search_path(&key.0, &self.user, false, temp, &who) else { return };
        let mut path = explicit.clone();
        if !path.contains(&crate::catalog::PG_CATALOG_NAMESPACE) {
            path.insert(0, crate::catalog::PG_CATALOG_NAMESPACE);
        }
        // The temporary schema is searched first unless the path places it.
        if let Some(temp) = temp.filter(|t| !path.contains(t)) {
            path.insert(0, temp);
        }
        if path != self.search_path || explicit != self.explicit_path {
            self.simple_cache.clear();
        }
        self.explicit_path = explicit.into_iter().filter(|&n| n != crate::catalog::PG_CATALOG_NAMESPACE).collect();
        self.search_path = path;
        self.search_path_key = Some(key);
    }

    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Bytes the work area holds right now.
    pub fn arena_bytes(&self) -> usize {
        self.arena.allocated_bytes()
    }

    /// Notices raised since last taken, filtered by `client_min_messages`.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        let min = self.settings.str(Guc::client_min_messages);
        let threshold = match min {
            "warning" => crate::error::NoticeLevel::Warning,
            "error" => crate::error::NoticeLevel::Warning,
            "notice" => crate::error::NoticeLevel::Notice,
            "log" => crate::error::NoticeLevel::Log,
            _ => crate::error::NoticeLevel::Debug,
        };
        let mut out: Vec<Notice> = std::mem::take(&mut self.notices);
        out.retain(|n| n.level >= threshold && !(min == "error" && n.level == crate::error::NoticeLevel::Warning));
        out
    }

    /// The session's `TimeZone` setting as a zone (for timestamptz output).
    pub fn time_zone(&mut self) -> TimeZone {
        let name = self.settings.str(Guc::TimeZone);
        match &self.time_zone {
            Some((n, tz)) if n == name => tz.clone(),
            _ => {
                let tz = TimeZone::from_setting(name);
                self.time_zone = Some((name.to_string(), tz.clone()));
                tz
            }
        }
    }

    // ---- transactions ---------------------------------------------------

    /// A simple Query message begins; `statements` is how many it holds.
    pub fn begin_simple_query(&mut self, statements: usize) {
        self.implicit_multi = statements > 1 && self.block.is_none();
        self.implicit_failed = false;
    }

    /// The end of a simple query, or a Sync: outside a transaction block the
    /// implicit transaction commits (or, after an error, rolls back).
    pub fn end_implicit_transaction(&mut self) {
        self.implicit_multi = false;
        if self.block.is_some() {
            return;
        }
        let mut commit = !self.implicit_failed;
        if commit && let Err(e) = self.pre_commit_temp() {
            // Nowhere to report it: the transaction rolls back instead.
            tracing::error!(error = %e, "ON COMMIT action failed; rolling back");
            commit = false;
        }
        self.xact_timestamp = None;
        self.settings.end_transaction(commit);
        self.implicit_failed = false;
        self.end_transaction(commit);
        // The unnamed portal does not survive its transaction.
        self.portals.remove("");
    }

    /// End the transaction's writes: log the commit (its durability is
    /// awaited by the caller, see [`Session::take_pending_commit`]) or abort.
    fn end_transaction(&mut self, commit: bool) {
        // Checked before by the commit's caller, so that the client hears
        // of a failure; this is only the guard for any other way here.
        let commit = commit
            && match self.serial_pre_commit() {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "serializable transaction rolled back at commit");
                    false
                }
            };
        for (oid, name, changes) in self.changes.drain(..) {
            self.shared.catalog.stats.record(oid, &name, changes, commit);
        }
        // A transaction without an id that took sequence values logged
        // ahead must still see that WAL durable before its commit is
        // reported (a commit record, when there is one, comes after it).
        let sequence_lsn = std::mem::take(&mut self.sequences.flush_lsn);
        if commit && self.xid.is_none() && sequence_lsn > self.shared.engine.wal.flushed() {
            self.pending_commit = Some((0, sequence_lsn));
        }
        if let Some(xid) = self.xid.take() {
            let txns = &self.shared.txns;
            let result = if commit {
                txns.log_commit(xid).map(|lsn| self.pending_commit = Some((xid, lsn)))
            } else {
                txns.abort(xid)
            };
            let committed = commit && result.is_ok();
            if let Err(e) = result {
                // The transaction cannot be finished normally: it stays
                // uncommitted, which every reader treats as aborted.
                tracing::error!(xid, error = %e, "could not end transaction");
            }
            self.end_transaction_temp(committed);
            self.serial_end(committed, true);
            let files = self.files_to_remove(committed);
            if committed {
                self.commit_removes = files;
                self.commit_invalidates = self.catalog_changed;
            } else {
                self.remove_files(files);
            }
        }
        self.serial_end(commit, false);
        self.clear_pending_checks();
        self.catalog_changed = false;
        self.own_catalog.get_mut().clear();
        self.cid = 0;
        self.snapshot = None;
        self.shared.txns.release_snapshots(self.pid);
        if self.pending_commit.is_none() {
            self.release_transaction_locks();
        }
    }

    /// `ROLLBACK TO` savepoint `sp`: abort the subtransaction ids `ids`
    /// (the savepoint's and those of everything after it) and restore what
    /// the session kept since: settings, relation files, change counts.
    fn rollback_subtransaction(&mut self, ids: &[u64], sp: xact::Savepoint) -> Result<()> {
        self.shared.txns.abort_subs(ids)?;
        // The catalog changes made since are undone.
        self.own_catalog.get_mut().clear();
        self.rollback_subtransaction_temp(ids);
        self.rollback_pending_checks(sp.pending_mark, sp.constraint_modes);
        self.settings = sp.settings;
        let created = self.created_files.split_off(sp.created_files.min(self.created_files.len()));
        self.remove_files(created);
        self.dropped_files.truncate(sp.dropped_files);
        // Rows written since are dead: count them as a rollback would.
        let now = std::mem::replace(&mut self.changes, sp.changes);
        for (oid, name, c) in now {
            let before = self.changes.iter().find(|e| e.0 == oid).map(|e| e.2).unwrap_or_default();
            let since = crate::catalog::stats::Changes {
                inserted: c.inserted - before.inserted,
                updated: c.updated - before.updated,
                deleted: c.deleted - before.deleted,
                hot_updated: c.hot_updated - before.hot_updated,
            };
            self.shared.catalog.stats.record(oid, &name, since, false);
        }
        Ok(())
    }

    /// A statement of the transaction changed rows of `table`.
    fn count_changes(&mut self, table: &crate::catalog::Table, c: crate::catalog::stats::Changes) {
        match self.changes.iter_mut().find(|e| e.0 == table.oid) {
            Some(e) => {
                e.2.inserted += c.inserted;
                e.2.updated += c.updated;
                e.2.deleted += c.deleted;
                e.2.hot_updated += c.hot_updated;
            }
            None => self.changes.push((table.oid, table.name.clone(), c)),
        }
    }

    /// A commit waiting to be confirmed: the caller awaits the WAL flush up
    /// to the LSN (unless `synchronous_commit` is off), then calls
    /// [`Session::finish_commit`]. Nothing is reported to the client before.
    pub fn take_pending_commit(&mut self) -> Option<(u64, u64)> {
        self.pending_commit.take()
    }

    pub fn finish_commit(&mut self, xid: u64, lsn: u64) -> Result<()> {
        // xid 0: only sequence WAL was waited for (see `end_transaction`).
        if xid != 0 {
            self.shared.txns.finish_commit(xid, lsn)?;
        }
        self.serial_visible();
        if std::mem::take(&mut self.commit_invalidates) {
            self.shared.catalog.invalidate();
            // Before the locks go, so that whoever takes them next may prune.
            self.shared.catalog.settle_builds(xid);
        }
        self.release_transaction_locks();
        let files = std::mem::take(&mut self.commit_removes);
        if !files.is_empty() {
            // A dropped relation's file goes only once the drop is durable
            // (even with synchronous_commit off), or a crash could bring
            // back a table without its data.
            self.shared.engine.wal.flush_to(lsn)?;
            self.remove_files(files);
        }
        Ok(())
    }

    /// The snapshot a new statement reads with.
    /// Taken once per statement (binding and execution share it), or once
    /// per transaction under REPEATABLE READ.
    fn statement_snapshot(&mut self) -> Snapshot {
        if self.snapshot.is_none() && self.serial.id.is_none() && self.serializable() {
            self.snapshot = Some(self.serial_snapshot());
        }
        let (txns, pid) = (&self.shared.txns, self.pid);
        self.snapshot.get_or_insert_with(|| txns.snapshot_for(pid)).clone()
    }

    /// A new statement begins: under READ COMMITTED it gets a new snapshot.
    fn forget_statement_snapshot(&mut self) {
        // A serializable transaction keeps one snapshot, implicit or not.
        if self.serial.id.is_some() {
            return;
        }
        if !self.block.as_ref().is_some_and(|b| b.isolation != xact::Isolation::ReadCommitted) {
            self.snapshot = None;
        }
    }

    /// The transaction id, assigned at the first write.
    fn ensure_xid(&mut self, command: &str) -> Result<u64> {
        if self.block.as_ref().is_some_and(|b| b.read_only) {
            return Err(err!(
                SqlState::READ_ONLY_SQL_TRANSACTION,
                "cannot execute {command} in a read-only transaction"
            ));
        }
        let (txns, pid) = (&self.shared.txns, self.pid);
        let top = match self.xid {
            Some(x) => x,
            None => {
                let x = txns.assign(pid);
                self.xid = Some(x);
                self.serial_new_xid(x);
                x
            }
        };
        let serial = self.serial.id;
        match self.block.as_mut().and_then(|b| b.savepoints.last_mut()) {
            Some(sp) => Ok(*sp.xid.get_or_insert_with(|| {
                let x = txns.assign_sub(pid, top);
                serial.inspect(|&id| txns.serial.add_xid(id, x));
                x
            })),
            None => Ok(top),
        }
    }

    /// The id the transaction reads as (0 if it has not written): its
    /// innermost subtransaction's, or the top-level one. The transaction
    /// manager counts the whole family as the reader's own.
    fn current_xid(&self) -> u64 {
        let sub = self.block.as_ref().and_then(|b| b.savepoints.iter().rev().find_map(|sp| sp.xid));
        sub.or(self.xid).unwrap_or(0)
    }

    /// A plan's table must still be the one the catalog shows now (a
    /// prepared statement may outlive its table, or the creation of it).
    /// Returns the table as it is now (its indexes may have changed).
    fn revalidate(&mut self, table: &crate::catalog::Table, mode: LockMode) -> Result<Arc<crate::catalog::Table>> {
        let tables = self.tables();
        match tables.table_in(table.namespace, &table.name, mode)? {
            // The cached definition itself (the common case) needs no comparing.
            Some(now) if std::ptr::eq(&*now, table) => Ok(now),
            Some(now) if now.oid == table.oid && now.columns == table.columns && now.view == table.view => Ok(now),
            _ => {
                Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{}\" does not exist", table.name).with_hint(STALE_HINT))
            }
        }
    }

    /// `DISCARD`: forget session state, as a new session would start.
    fn discard(&mut self, what: crate::sql::Discard) -> Result<()> {
        use crate::sql::Discard;
        match what {
            Discard::All => {
                if self.block.is_some() || self.implicit_multi {
                    return Err(err!(
                        SqlState::ACTIVE_SQL_TRANSACTION,
                        "DISCARD ALL cannot run inside a transaction block"
                    ));
                }
                self.settings.reset_all();
                self.statements.clear();
                self.replan.clear();
                // The running statement's portal is not in the map while it runs.
                self.portals.clear();
                self.shared.txns.locks.release_all(self.pid, false, true);
                self.discard(Discard::Plans)?;
                self.discard(Discard::Temp)?;
                self.discard(Discard::Sequences)
            }
            Discard::Plans => {
                self.simple_cache.clear();
                self.replan = self.statements.values().cloned().collect();
                Ok(())
            }
            Discard::Sequences => {
                self.sequences.forget();
                Ok(())
            }
            Discard::Temp => self.discard_temp(),
        }
    }

    /// Check that the tables a bound statement reads and writes still have
    /// the columns they had when it was bound (the error of [`is_stale`]
    /// if not); whether they are otherwise as they were too (indexes,
    /// files, statistics).
    fn check_tables(&mut self, statement: &Statement) -> Result<bool> {
        let mut tables = Vec::new();
        match statement {
            Statement::Query { tables: t, .. } => tables.extend(t.iter().cloned()),
            Statement::Modify { table, source, .. } => {
                tables.push(table.clone());
                source.tables(&mut tables);
            }
            _ => {}
        }
        let mut same = true;
        for t in &tables {
            let now = self.revalidate(t, LockMode::AccessShare)?;
            same &= unchanged(&now, t);
        }
        Ok(same)
    }

    /// Bind prepared statement `old` again, from its text, with the
    /// parameter types it has; it replaces `old` under its name. Its
    /// result columns must keep their types.
    fn rebind(&mut self, old: &Arc<PreparedStatement>) -> Result<Arc<PreparedStatement>> {
        let declared = old.param_types().to_vec();
        let mut parsed = match &old.inner {
            Some(_) => Vec::new(),
            None => parser::parse(&old.sql)?,
        };
        let tables = self.tables();
        let bound = match (&old.inner, parsed.len()) {
            (Some(inner), _) => Binder::new(&old.sql, &tables, &declared).bind_ast(inner)?,
            (None, 1) => Binder::new(&old.sql, &tables, &declared).bind(&parsed.remove(0))?,
            _ => return Err(Error::internal("a prepared statement's text is not one statement")),
        };
        let types = |cols: &[crate::sql::Column]| cols.iter().map(|c| c.ty).collect::<Vec<_>>();
        if types(&bound.columns) != types(old.columns()) || bound.params != declared {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cached plan must not change result type"));
        }
        let again = Arc::new(PreparedStatement {
            sql: old.sql.clone(),
            bound: Some(Arc::new(bound)),
            from_sql: old.from_sql,
            prepared_at: old.prepared_at,
            plans: crate::sql::plancache::PlanStats::carried_over(&old.plans),
            inner: old.inner.clone(),
        });
        for s in self.statements.values_mut() {
            if Arc::ptr_eq(s, old) {
                *s = again.clone();
            }
        }
        Ok(again)
    }

    /// A plan bound earlier, pointed at its tables as they are now (see
    /// [`crate::sql::planner::refresh_tables`]); `None` if nothing changed.
    fn refresh(&mut self, plan: &Arc<Plan>, tables: &[Arc<crate::catalog::Table>]) -> Result<Option<Plan>> {
        let mut now = Vec::with_capacity(tables.len());
        let mut changed = false;
        for t in tables {
            let current = self.revalidate(t, LockMode::AccessShare)?;
            changed |= !unchanged(&current, t);
            now.push(current);
        }
        self.refreshed |= changed;
        Ok(changed.then(|| {
            let mut p = Plan::clone(plan);
            let catalog = &self.shared.catalog;
            let blocks = |t: &crate::catalog::Table| catalog.blocks(t);
            let costing = crate::sql::costsize::Costing::new(self.cost_params(), &blocks);
            crate::sql::planner::refresh_tables(&mut p, &now, &costing);
            p
        }))
    }

    /// Tables as the next statement sees them.
    fn tables(&mut self) -> SessionTables<'_> {
        let own =
            if self.catalog_changed { Some((self.statement_snapshot(), self.current_xid(), self.cid)) } else { None };
        let costs = self.cost_params();
        SessionTables {
            catalog: &self.shared.catalog,
            own,
            own_catalog: &self.own_catalog,
            locker: self.locker(),
            path: &self.search_path,
            statements: &self.statements,
            costs,
            role: match self.settings.str(Guc::role) {
                "none" | "" => &self.user,
                role => role,
            },
        }
    }

    /// The planner's cost settings, from the session's settings.
    fn cost_params(&self) -> crate::sql::costsize::CostParams {
        let s = &self.settings;
        crate::sql::costsize::CostParams {
            seq_page_cost: s.real(Guc::seq_page_cost),
            random_page_cost: s.real(Guc::random_page_cost),
            cpu_tuple_cost: s.real(Guc::cpu_tuple_cost),
            cpu_index_tuple_cost: s.real(Guc::cpu_index_tuple_cost),
            cpu_operator_cost: s.real(Guc::cpu_operator_cost),
            effective_cache_size: s.int(Guc::effective_cache_size) as f64,
            enable_seqscan: s.bool(Guc::enable_seqscan),
            enable_indexscan: s.bool(Guc::enable_indexscan),
            enable_indexonlyscan: s.bool(Guc::enable_indexonlyscan),
            enable_hashjoin: s.bool(Guc::enable_hashjoin),
            enable_mergejoin: s.bool(Guc::enable_mergejoin),
            enable_nestloop: s.bool(Guc::enable_nestloop),
            enable_sort: s.bool(Guc::enable_sort),
        }
    }

    /// The current statement failed: so does the transaction it is part of.
    pub fn abort_statement(&mut self, error: &Error) {
        match &mut self.block {
            Some(b) => b.failed = true,
            None => self.implicit_failed = true,
        }
        self.finish_statement(None);
        self.shared.metrics.errors.with_label_values(&[error.code().class()]).inc();
    }

    /// The name of schema `namespace` as the running transaction sees it
    /// (EXPLAIN VERBOSE's qualified relation names).
    fn schema_text(&self, namespace: u32) -> String {
        self.schema_name(namespace).unwrap_or_default()
    }

    fn schema_name(&self, namespace: u32) -> Option<String> {
        let snapshot = self.shared.catalog.snapshot();
        let who = crate::catalog::Reader { path: None, snapshot: &snapshot, xid: self.current_xid(), cid: u32::MAX };
        self.shared.catalog.namespace_name(namespace, &who).ok().flatten()
    }

    /// Name the schema an error gives by OID (ErrorResponse field `s`) as
    /// the failing transaction sees the catalog, so a schema it created
    /// itself is named too.
    pub fn name_error_schema(&self, error: &mut Error) {
        let Some(namespace) = error.unnamed_schema() else { return };
        error.name_schema(self.schema_name(namespace));
    }

    /// ReadyForQuery's status: `I` idle, `T` in a block, `E` in a failed block.
    pub fn transaction_status(&self) -> u8 {
        match &self.block {
            None => b'I',
            Some(b) if b.failed => b'E',
            Some(_) => b'T',
        }
    }

    /// In a failed block only statements that end it may run (25P02).
    fn check_not_failed(&self, exits: bool) -> Result<()> {
        if self.block.as_ref().is_some_and(|b| b.failed) && !exits {
            return Err(err!(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block"
            ));
        }
        Ok(())
    }

    fn start_statement(&mut self) {
        self.forget_statement_snapshot();
        self.refresh_search_path();
        self.interrupts.clear_cancel();
        let now = Instant::now();
        self.statement_start = Some(now);
        self.statement_timestamp = crate::sql::datetime::now();
        self.xact_timestamp.get_or_insert(self.statement_timestamp);
        let timeout = self.settings.int(Guc::statement_timeout);
        self.deadline = (timeout > 0).then(|| now + std::time::Duration::from_millis(timeout as u64));
        self.interrupts.alarm.set_deadline(self.deadline);
    }

    /// The statement ended: log it if slow and reset the work area.
    fn finish_statement(&mut self, sql: Option<&str>) {
        if let Some(start) = self.statement_start.take() {
            let min = self.settings.int(Guc::log_min_duration_statement);
            let elapsed = start.elapsed();
            if min >= 0 && elapsed.as_millis() as i64 >= min {
                tracing::info!(duration_ms = elapsed.as_secs_f64() * 1000.0, statement = sql.unwrap_or(""), "duration");
            }
        }
        self.deadline = None;
        self.interrupts.alarm.set_deadline(None);
        self.arena.reset();
    }

    // ---- parse / bind / execute ----------------------------------------

    /// Parse message / PREPARE: parse and bind one statement under a name.
    pub fn prepare(&mut self, name: &str, sql: &str, param_oids: &[u32]) -> Result<Arc<PreparedStatement>> {
        if !name.is_empty() && self.statements.contains_key(name) {
            return Err(err!(SqlState::DUPLICATE_PREPARED_STATEMENT, "prepared statement \"{name}\" already exists"));
        }
        // Binding takes table locks: a wait for one is bounded by
        // statement_timeout and can be cancelled, as in execution.
        self.start_statement();
        let mut declared = Vec::with_capacity(param_oids.len());
        for &oid in param_oids {
            declared.push(match oid {
                0 => PgType::Unknown,
                _ => PgType::from_oid(oid)
                    .ok_or_else(|| err!(SqlState::UNDEFINED_OBJECT, "type with OID {oid} does not exist"))?,
            });
        }
        let mut statements = parser::parse(sql)?;
        if let Some(first) = statements.first() {
            self.check_not_failed(xact::is_exit_statement(first))?;
        }
        let bound = match statements.len() {
            0 => None,
            1 => {
                let tables = self.tables();
                Some(Arc::new(Binder::new(sql, &tables, &declared).bind(&statements.remove(0))?))
            }
            _ => {
                return Err(err!(SqlState::SYNTAX_ERROR, "cannot insert multiple commands into a prepared statement"));
            }
        };
        let prepared = Arc::new(PreparedStatement::new(sql, bound, self.statement_timestamp));
        self.statements.insert(name.to_string(), prepared.clone());
        Ok(prepared)
    }

    pub fn statement(&self, name: &str) -> Result<Arc<PreparedStatement>> {
        self.statements
            .get(name)
            .cloned()
            .ok_or_else(|| err!(SqlState::INVALID_SQL_STATEMENT_NAME, "prepared statement \"{name}\" does not exist"))
    }

    pub fn portal(&self, name: &str) -> Result<&Portal> {
        self.portals.get(name).ok_or_else(|| err!(SqlState::INVALID_CURSOR_NAME, "portal \"{name}\" does not exist"))
    }

    /// Bind message: create a portal from a prepared statement and parameter values.
    pub fn bind(
        &mut self,
        portal: &str,
        statement: &str,
        param_formats: &[i16],
        params: &[Option<&[u8]>],
        result_formats: &[i16],
    ) -> Result<()> {
        let stmt = self.statement(statement)?;
        let types = stmt.param_types();
        if params.len() != types.len() {
            return Err(err!(
                SqlState::PROTOCOL_VIOLATION,
                "bind message supplies {} parameters, but prepared statement \"{statement}\" requires {}",
                params.len(),
                types.len()
            ));
        }
        let format_of = |formats: &[i16], i: usize| -> Result<bool> {
            let f = match formats.len() {
                0 => 0,
                1 => formats[0],
                _ => formats.get(i).copied().unwrap_or(0),
            };
            match f {
                0 => Ok(false),
                1 => Ok(true),
                other => Err(err!(SqlState::PROTOCOL_VIOLATION, "unsupported format code: {other}")),
            }
        };
        if param_formats.len() > 1 && param_formats.len() != params.len() {
            return Err(err!(
                SqlState::PROTOCOL_VIOLATION,
                "bind message has {} parameter formats but {} parameters",
                param_formats.len(),
                params.len()
            ));
        }
        let mut values = Vec::with_capacity(params.len());
        let tz = self.time_zone();
        for (i, (raw, ty)) in params.iter().zip(types).enumerate() {
            values.push(match raw {
                None => Datum::Null,
                Some(bytes) if format_of(param_formats, i)? => parse_binary(*ty, bytes)?,
                Some(bytes) => {
                    let text = std::str::from_utf8(bytes).map_err(|_| {
                        err!(SqlState::CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\"")
                    })?;
                    parse_text_tz(*ty, text, &tz)?
                }
            });
        }
        let ncols = stmt.columns().len();
        if result_formats.len() > 1 && result_formats.len() != ncols {
            return Err(err!(
                SqlState::PROTOCOL_VIOLATION,
                "bind message has {} result formats but query has {ncols} columns",
                result_formats.len()
            ));
        }
        let mut binary = Vec::with_capacity(ncols);
        for i in 0..ncols {
            binary.push(format_of(result_formats, i)?);
        }
        if !portal.is_empty() && self.portals.contains_key(portal) {
            return Err(err!(SqlState::DUPLICATE_CURSOR, "cursor \"{portal}\" already exists"));
        }
        self.portals.insert(
            portal.to_string(),
            Portal {
                statement: stmt,
                params: values,
                binary,
                custom: None,
                executor: None,
                rows: 0,
                finished: false,
                fresh: false,
            },
        );
        Ok(())
    }

    pub fn close_statement(&mut self, name: &str) {
        self.statements.remove(name);
    }

    pub fn close_portal(&mut self, name: &str) {
        self.portals.remove(name);
    }

    /// Run a portal until it finishes, `max_rows` rows were sent (0: no limit),
    /// or the sink is full.
    pub fn execute(&mut self, portal_name: &str, max_rows: usize, sink: &mut dyn RowSink) -> Result<Outcome> {
        let mut portal = self
            .portals
            .remove(portal_name)
            .ok_or_else(|| err!(SqlState::INVALID_CURSOR_NAME, "portal \"{portal_name}\" does not exist"))?;
        if self.statement_start.is_none() {
            self.start_statement();
        }
        let result = self.run_portal(&mut portal, max_rows, sink);
        let keep = matches!(result, Ok(Outcome::Suspended | Outcome::SinkFull)) || !portal_name.is_empty();
        if matches!(result, Ok(Outcome::Complete(_) | Outcome::Empty)) {
            self.finish_statement(Some(&portal.statement.sql));
        }
        if keep {
            self.portals.insert(portal_name.to_string(), portal);
        }
        result
    }

    fn run_portal(&mut self, portal: &mut Portal, max_rows: usize, sink: &mut dyn RowSink) -> Result<Outcome> {
        if portal.executor.is_none() && !portal.finished {
            self.enter_execute(portal)?;
            if let Some(i) = self.replan.iter().position(|s| Arc::ptr_eq(s, &portal.statement)) {
                // DISCARD PLANS: bound again from its text.
                self.replan.swap_remove(i);
                portal.statement = self.rebind(&portal.statement)?;
            }
            portal.custom = self.choose_plan(&portal.statement, &portal.params);
        }
        let Some(bound) = portal.custom.clone().or_else(|| portal.statement.bound.clone()) else {
            return Ok(Outcome::Empty);
        };
        let command = bound.statement.command();
        let exits = matches!(bound.statement, Statement::Commit | Statement::Rollback | Statement::RollbackTo(_));
        self.check_not_failed(exits)?;
        if portal.finished {
            return Ok(Outcome::Complete(tag(command, 0)));
        }
        if portal.executor.is_none() {
            self.shared.metrics.count_statement(command);
            self.refreshed = false;
            let started = match self.start_executor(&bound, portal.fresh) {
                Err(e) if is_stale(&e) => {
                    // A table changed since the statement was bound: bind it
                    // again from its text, as PostgreSQL re-plans.
                    let again = self.rebind(&portal.statement)?;
                    portal.statement = again.clone();
                    let Some(generic) = again.bound.clone() else {
                        return Ok(Outcome::Empty);
                    };
                    let bound = match portal.custom {
                        Some(_) => self.custom_plan(&generic, &portal.params).map_or(generic, Arc::new),
                        None => generic,
                    };
                    self.start_executor(&bound, true)?
                }
                other => other?,
            };
            let named = |s: &Arc<PreparedStatement>| Arc::ptr_eq(s, &portal.statement);
            if std::mem::take(&mut self.refreshed)
                && self.statements.values().any(named)
                && !self.replan.iter().any(named)
            {
                // Planned again for this run only: bound anew for the
                // next, rather than planned again at every run.
                self.replan.push(portal.statement.clone());
            }
            match started {
                Some(exec) => portal.executor = Some(exec),
                None => {
                    portal.finished = true;
                    let tag = self.tag_override.take().unwrap_or_else(|| tag(command, 0));
                    return Ok(Outcome::Complete(tag));
                }
            }
        }
        let Some(executor) = portal.executor.as_mut() else {
            return Err(Error::internal("portal has no executor"));
        };
        let time_zone = self.time_zone();
        let mut ctx = eval_context!(self, &portal.params, time_zone);
        let progress = executor.run(&mut ctx, sink, max_rows, &mut portal.rows, &self.arena)?;
        Ok(match progress {
            Progress::Done => {
                portal.finished = true;
                let rows = executor.modified().unwrap_or(portal.rows);
                for (table, kind, n) in executor.cte_changes() {
                    self.count_modify(&table, &kind, n);
                }
                if let Statement::Modify { kind, table, .. } = &bound.statement {
                    self.count_modify(table, kind, rows);
                }
                for (table, n) in executor.hot_updates() {
                    self.count_changes(&table, crate::catalog::stats::Changes { hot_updated: n, ..Default::default() });
                }
                portal.executor = None;
                // The checks due at the end of the statement (all of them
                // outside a transaction block, which ends with it).
                self.run_pending_checks(self.block.is_none())?;
                Outcome::Complete(tag(command, rows))
            }
            Progress::SinkFull => Outcome::SinkFull,
            Progress::Suspended => Outcome::Suspended,
        })
    }

    /// The plan this execution of `statement` with parameter values
    /// `params` runs, counted in its statistics: a custom plan, or `None`
    /// for its generic one (see [`crate::sql::plancache`]). The generic
    /// path reads a setting and a few counters, nothing more.
    fn choose_plan(&mut self, statement: &PreparedStatement, params: &[Datum]) -> Option<Arc<Bound>> {
        let Some(bound) = statement.bound.as_ref() else {
            statement.plans.count_generic();
            return None;
        };
        let mode = PlanCacheMode::from_setting(self.settings.str(Guc::plan_cache_mode));
        let generic_cost = || plancache::statement_cost(&bound.statement, &self.tables(), false);
        if statement.plans.choose_custom(bound.unplanned.is_some(), mode, generic_cost)
            && let Some(custom) = self.custom_plan(bound, params)
        {
            statement.plans.count_custom(&custom, &self.tables());
            return Some(Arc::new(custom));
        }
        statement.plans.count_generic();
        None
    }

    /// `bound` planned for parameter values `params` (see
    /// [`plancache::custom_plan`]).
    fn custom_plan(&mut self, bound: &Bound, params: &[Datum]) -> Option<Bound> {
        plancache::custom_plan(bound, params, &self.tables())
    }

    /// `EXECUTE name (args)`: from now on the portal runs the prepared
    /// statement, with the arguments' values as its parameters.
    fn enter_execute(&mut self, portal: &mut Portal) -> Result<()> {
        let Some(bound) = portal.statement.bound.clone() else {
            return Ok(());
        };
        let (statement, args, explain) = match &bound.statement {
            Statement::Execute { statement, args } => (statement, args, None),
            Statement::Explain { inner, analyze, timing, summary, costs, verbose } => match inner.as_ref() {
                Statement::Execute { statement, args } => {
                    (statement, args, Some((*analyze, *timing, *summary, *costs, *verbose)))
                }
                _ => return Ok(()),
            },
            _ => return Ok(()),
        };
        self.check_not_failed(false)?;
        let time_zone = self.time_zone();
        let mut values = Vec::with_capacity(args.len());
        let mut ctx = eval_context!(self, &portal.params, time_zone);
        for a in args {
            values.push(crate::sql::expr::eval(a, &mut ctx)?);
        }
        portal.params = values;
        portal.fresh = false;
        portal.statement = match (explain, &statement.bound) {
            (None, _) | (_, None) => statement.clone(),
            // EXPLAIN EXECUTE: the prepared statement's plan (bound again
            // first if a table changed: the plan its next run would
            // make), explained.
            (Some((analyze, timing, summary, costs, verbose)), Some(inner)) => {
                let statement = match self.check_tables(&inner.statement) {
                    Err(e) if is_stale(&e) => self.rebind(statement)?,
                    Ok(false) => self.rebind(statement)?,
                    other => other.map(|_| statement.clone())?,
                };
                let Some(generic) = statement.bound.as_ref() else {
                    return Err(Error::internal("EXPLAIN of an empty statement"));
                };
                let custom = self.choose_plan(&statement, &portal.params);
                let inner = custom.as_ref().unwrap_or(generic);
                let inner_statement = Box::new(inner.statement.clone());
                let explain = Statement::Explain { inner: inner_statement, analyze, timing, summary, costs, verbose };
                let columns = explain.columns();
                let bound = crate::sql::Bound {
                    statement: explain,
                    params: inner.params.clone(),
                    columns,
                    access: inner.access.clone(),
                    unplanned: None,
                };
                Arc::new(PreparedStatement::new(&statement.sql, Some(Arc::new(bound)), self.statement_timestamp))
            }
        };
        Ok(())
    }

    /// Count `rows` changed by an INSERT, UPDATE or DELETE into the table's statistics.
    fn count_modify(&mut self, table: &Arc<crate::catalog::Table>, kind: &crate::sql::exec::ModifyKind, rows: u64) {
        use crate::sql::exec::ModifyKind;
        let mut c = crate::catalog::stats::Changes::default();
        let counter = match kind {
            ModifyKind::Insert | ModifyKind::Upsert(_) => &mut c.inserted,
            ModifyKind::Update(_) => &mut c.updated,
            ModifyKind::Delete(_) => &mut c.deleted,
            ModifyKind::Lock { .. } => return,
        };
        *counter = rows;
        self.count_changes(table, c);
    }

    /// The data-modifying CTEs of a plan, set up to run: each table
    /// locked for writing (again, for a plan bound earlier), a transaction
    /// id assigned, the foreign keys to check.
    /// `command` names the statement (a read-only transaction refuses it).
    fn cte_writes(&mut self, plan: &Plan, fresh: bool, command: &str) -> Result<Vec<crate::sql::exec::CteWriteSetup>> {
        let mut out = Vec::new();
        for (id, w) in plan.cte_writes() {
            let table = if fresh { w.table.clone() } else { self.revalidate(&w.table, LockMode::RowExclusive)? };
            self.ensure_xid(command)?;
            let fks = self.foreign_key_checks(&w.kind, &table)?;
            let recheck = !self.block.as_ref().is_some_and(|b| b.isolation != xact::Isolation::ReadCommitted);
            out.push(crate::sql::exec::CteWriteSetup { id, table, recheck, fks });
        }
        Ok(out)
    }

    /// Start a statement; utility statements do their work here and return `None`.
    fn start_executor(&mut self, bound: &Arc<Bound>, fresh: bool) -> Result<Option<Executor>> {
        let since = self.cid;
        // A view's query is checked when the view is used, as its owner.
        if !matches!(bound.statement, Statement::CreateView { .. }) {
            self.check_access(&bound.access)?;
        }
        let started = self.start_statement_executor(&bound.statement, fresh, None)?;
        if matches!(
            bound.statement,
            Statement::CreateTable { .. }
                | Statement::CreateTableAs(_)
                | Statement::CreateSequence { .. }
                | Statement::CreateView { .. }
        ) {
            self.own_new_relations(since)?;
        }
        Ok(started)
    }

    /// EXPLAIN: the plan's lines, or, with ANALYZE, an executor that runs
    /// the statement first.
    fn start_explain(&mut self, inner: &Statement, how: ExplainHow, fresh: bool) -> Result<Executor> {
        let ExplainHow { analyze, timing, summary, costs, verbose } = how;
        use crate::sql::explain::{Options, explain};
        let (plan, top) = match inner {
            Statement::Query { plan, .. } => (plan.clone(), None),
            Statement::Modify { kind, table, source, .. } => {
                let verb = match kind {
                    crate::sql::exec::ModifyKind::Insert | crate::sql::exec::ModifyKind::Upsert(_) => "Insert",
                    crate::sql::exec::ModifyKind::Update(_) => "Update",
                    crate::sql::exec::ModifyKind::Delete(_) => "Delete",
                    crate::sql::exec::ModifyKind::Lock { .. } => "LockRows",
                };
                let name = match verbose {
                    true => format!("{}.{}", self.schema_text(table.namespace), table.name),
                    false => table.name.clone(),
                };
                let mut top = match kind {
                    crate::sql::exec::ModifyKind::Lock { .. } => verb.to_string(),
                    _ => match source.target_alias() {
                        Some(alias) => format!("{verb} on {name} {alias}"),
                        None => format!("{verb} on {name}"),
                    },
                };
                if let crate::sql::exec::ModifyKind::Upsert(oc) = kind {
                    top.push_str(&oc.explain(table));
                }
                (source.clone(), Some(top))
            }
            // Its query's plan; with ANALYZE the table is created and filled.
            Statement::CreateTableAs(c) => (c.plan.clone(), None),
            _ => return Err(Error::internal("EXPLAIN of a utility statement")),
        };
        let estimates = costs.then(|| {
            let catalog = &self.shared.catalog;
            let blocks = |t: &crate::catalog::Table| catalog.blocks(t);
            crate::sql::costsize::Costing::new(self.cost_params(), &blocks).all(&plan)
        });
        let schemas = verbose.then(|| {
            let mut tables = Vec::new();
            plan.tables(&mut tables);
            tables.iter().map(|t| (t.namespace, self.schema_text(t.namespace))).collect::<HashMap<u32, String>>()
        });
        let options = Options { stats: None, timing: false, costs: estimates.as_ref(), schemas: schemas.as_ref() };
        if !analyze {
            let lines = explain(&plan, top, &options);
            return Ok(Executor::Values {
                rows: lines.into_iter().map(|l| vec![Datum::Text(l)]).collect::<Vec<_>>().into_iter(),
            });
        }
        let stats = crate::sql::exec::Timing::default();
        let Some(executor) = self.start_statement_executor(inner, fresh, Some(stats.clone()))? else {
            if matches!(inner, Statement::CreateTableAs(_)) {
                // WITH NO DATA, or IF NOT EXISTS and it exists: nothing ran.
                self.tag_override = None;
                let lines = explain(&plan, top, &options);
                return Ok(Executor::Values {
                    rows: lines.into_iter().map(|l| vec![Datum::Text(l)]).collect::<Vec<_>>().into_iter(),
                });
            }
            return Err(Error::internal("EXPLAIN ANALYZE of a utility statement"));
        };
        Ok(Executor::Explain(Box::new(crate::sql::exec::ExplainAnalyze {
            inner: Some(Box::new(executor)),
            plan,
            top,
            stats,
            timing,
            summary,
            estimates,
            schemas,
            lines: Vec::new().into_iter(),
        })))
    }

    fn start_statement_executor(
        &mut self,
        statement: &Statement,
        fresh: bool,
        timing: Option<crate::sql::exec::Timing>,
    ) -> Result<Option<Executor>> {
        match statement {
            Statement::Explain { inner, analyze, timing, summary, costs, verbose } => {
                let how = ExplainHow {
                    analyze: *analyze,
                    timing: *timing,
                    summary: *summary,
                    costs: *costs,
                    verbose: *verbose,
                };
                Ok(Some(self.start_explain(inner, how, fresh)?))
            }
            Statement::Query { plan, columns, tables } => {
                if let Some(b) = &mut self.block {
                    b.ran_query = true;
                }
                let refreshed = if fresh { None } else { self.refresh(plan, tables)? };
                let plan = refreshed.as_ref().unwrap_or(plan);
                let writes = self.cte_writes(plan, fresh, "SELECT")?;
                let xid = if writes.is_empty() { self.current_xid() } else { self.ensure_xid("SELECT")? };
                let snapshot = self.statement_snapshot();
                let cid = self.cid;
                if !writes.is_empty() {
                    // Later statements see the CTEs' changes; this one does not.
                    self.cid += 1;
                }
                Ok(Some(Executor::query(crate::sql::exec::Start {
                    plan,
                    visible: columns.len(),
                    catalog: self.shared.catalog.clone(),
                    snapshot,
                    xid,
                    cid,
                    timing,
                    writes,
                })?))
            }
            Statement::Modify { kind, table, source, returning } => {
                let mut table = table.clone();
                let mut refreshed = None;
                if !fresh {
                    table = self.revalidate(&table, LockMode::RowExclusive)?;
                    let mut read = Vec::new();
                    source.tables(&mut read);
                    refreshed = self.refresh(source, &read)?;
                }
                let command = match kind {
                    crate::sql::exec::ModifyKind::Lock { strength, .. } => match strength {
                        crate::txn::RowLock::Update => "SELECT FOR UPDATE",
                        crate::txn::RowLock::NoKeyUpdate => "SELECT FOR NO KEY UPDATE",
                        crate::txn::RowLock::Share => "SELECT FOR SHARE",
                        crate::txn::RowLock::KeyShare => "SELECT FOR KEY SHARE",
                    },
                    _ => statement.command(),
                };
                let xid = self.ensure_xid(command)?;
                let fks = self.foreign_key_checks(kind, &table)?;
                let source = refreshed.as_ref().unwrap_or(source);
                let writes = self.cte_writes(source, fresh, command)?;
                let snapshot = self.statement_snapshot();
                let cid = self.cid;
                // Later statements see this one's changes; this one does not.
                self.cid += 1;
                Ok(Some(Executor::modify(
                    crate::sql::exec::Start {
                        plan: source,
                        visible: 0,
                        catalog: self.shared.catalog.clone(),
                        snapshot,
                        xid,
                        cid,
                        timing,
                        writes,
                    },
                    kind.clone(),
                    table,
                    returning.as_ref().map(|(e, _)| e.clone()),
                    !self.block.as_ref().is_some_and(|b| b.isolation != xact::Isolation::ReadCommitted),
                    fks,
                )?))
            }
            Statement::CreateTable {
                name,
                columns,
                if_not_exists,
                indexes,
                foreign_keys,
                fillfactor,
                unlogged,
                sequences,
                checks,
                on_commit,
            } => {
                let parts = (indexes.as_slice(), foreign_keys.as_slice(), sequences.as_slice(), checks.as_slice());
                let created = self.create_table(name, columns, *if_not_exists, parts, (*fillfactor, *unlogged))?;
                if let (Some(oid), Some(action)) = (created, on_commit) {
                    self.register_on_commit(oid, *action);
                }
                Ok(None)
            }
            Statement::CreateTableAs(c) => self.start_create_table_as(c, fresh, timing),
            Statement::CreateSequence { name, if_not_exists, options } => {
                self.create_sequence(name, *if_not_exists, options)?;
                Ok(None)
            }
            Statement::AlterSequence { name, if_exists, options } => {
                self.alter_sequence(name, *if_exists, options)?;
                Ok(None)
            }
            Statement::SetDefault { table, if_exists, column, default } => {
                self.set_default(table, *if_exists, column, default.as_deref())?;
                Ok(None)
            }
            Statement::Comment { on, name, column, text } => {
                self.comment(*on, name, column.as_deref(), text.as_deref())?;
                Ok(None)
            }
            Statement::Truncate { names, cascade, restart_identity } => {
                self.truncate(names, *cascade, *restart_identity)?;
                Ok(None)
            }
            Statement::Lock { names, mode, nowait } => {
                self.lock_tables(names, *mode, *nowait)?;
                Ok(None)
            }
            Statement::Vacuum { vacuum, analyze, full, tables } => {
                self.vacuum(*vacuum, *analyze, *full, tables)?;
                Ok(None)
            }
            Statement::Reindex { table, name, concurrently: true } => {
                self.reindex_concurrently(*table, name)?;
                Ok(None)
            }
            Statement::Reindex { table, name, concurrently: false } => {
                self.reindex(*table, name)?;
                Ok(None)
            }
            Statement::AddConstraint { table, if_exists, def } => {
                self.add_constraint(table, *if_exists, def)?;
                Ok(None)
            }
            Statement::CreateIndex { table, def, if_not_exists, concurrently: true } => {
                self.create_index_concurrently(table, def, *if_not_exists)?;
                Ok(None)
            }
            Statement::CreateIndex { table, def, if_not_exists, concurrently: false } => {
                self.create_index(table, def, *if_not_exists)?;
                Ok(None)
            }
            Statement::AlterTable { table, if_exists, actions } => {
                self.alter_table(table, *if_exists, actions)?;
                Ok(None)
            }
            Statement::RenameRelation { kind, name, if_exists, new_name } => {
                self.rename_relation(*kind, name, *if_exists, new_name)?;
                Ok(None)
            }
            Statement::SetConstraints { names, deferred } => {
                self.set_constraints(names.as_deref(), *deferred)?;
                Ok(None)
            }
            Statement::AlterConstraint { table, if_exists, name, deferral } => {
                self.alter_constraint(table, *if_exists, name, *deferral)?;
                Ok(None)
            }
            Statement::DropConstraint { table, if_exists, name, missing_ok, cascade } => {
                self.drop_constraint(table, *if_exists, name, *missing_ok, *cascade)?;
                Ok(None)
            }
            Statement::Drop { names, if_exists, cascade, concurrently: true, .. } => {
                self.drop_index_concurrently(names, *if_exists, *cascade)?;
                Ok(None)
            }
            Statement::Drop { kind, names, if_exists, cascade, concurrently: false } => {
                self.drop(*kind, names, *if_exists, *cascade)?;
                Ok(None)
            }
            Statement::CreateView { name, columns, sql, reads, or_replace } => {
                self.create_view(name, columns, sql, reads, *or_replace)?;
                Ok(None)
            }
            Statement::Schema(stmt) => {
                self.schema_statement(stmt)?;
                Ok(None)
            }
            Statement::Type(stmt) => {
                self.type_statement(stmt)?;
                Ok(None)
            }
            Statement::Domain(stmt) => {
                self.domain_statement(stmt)?;
                Ok(None)
            }
            Statement::Role(stmt) => {
                self.role_statement(stmt)?;
                Ok(None)
            }
            Statement::Set { name, value, local, .. } => {
                if *local && self.block.is_none() && !self.implicit_multi {
                    self.notices.push(Notice::warning(
                        SqlState::NO_ACTIVE_SQL_TRANSACTION,
                        "SET LOCAL can only be used in transaction blocks",
                    ));
                    return Ok(None);
                }
                self.settings.set(name, value.as_deref(), *local)?;
                Ok(None)
            }
            Statement::ResetAll => {
                self.settings.reset_all();
                Ok(None)
            }
            Statement::Checkpoint => {
                // Its writes and fsyncs run off the session's thread, which
                // other sessions share.
                let engine = self.shared.engine.clone();
                let checkpoint = tokio::task::spawn_blocking(move || {
                    engine.checkpoint(crate::storage::engine::CheckpointReason::Requested)
                });
                crate::txn::wait::until(checkpoint)
                    .map_err(|e| Error::internal(format!("checkpoint task failed: {e}")))??;
                Ok(None)
            }
            Statement::Database(stmt) => {
                self.database_statement(stmt)?;
                Ok(None)
            }
            Statement::Begin { isolation, read_only, deferrable, .. } => {
                self.begin(isolation.as_deref(), *read_only, *deferrable)?;
                Ok(None)
            }
            Statement::SetTransaction { isolation, read_only, deferrable } => {
                self.set_transaction(isolation.as_deref(), *read_only, *deferrable)?;
                Ok(None)
            }
            Statement::Commit | Statement::Rollback => {
                let commit = matches!(statement, Statement::Commit);
                if commit && self.block.as_ref().is_some_and(|b| !b.failed) {
                    self.pre_commit_temp()?;
                }
                match self.block.take() {
                    None => self.notices.push(Notice::warning(
                        SqlState::NO_ACTIVE_SQL_TRANSACTION,
                        "there is no transaction in progress",
                    )),
                    Some(b) => {
                        self.xact_timestamp = None;
                        if commit && !b.failed {
                            if let Err(e) = self.run_pending_checks(true).and_then(|()| self.serial_pre_commit()) {
                                // The commit may not happen: roll back, and say why.
                                self.settings.end_transaction(false);
                                self.end_transaction(false);
                                return Err(e);
                            }
                        }
                        self.settings.end_transaction(commit && !b.failed);
                        self.end_transaction(commit && !b.failed);
                        if commit && b.failed {
                            self.tag_override = Some("ROLLBACK".into());
                        }
                    }
                }
                Ok(None)
            }
            Statement::Prepare { name, statement } => {
                if self.statements.contains_key(name) {
                    return Err(err!(
                        SqlState::DUPLICATE_PREPARED_STATEMENT,
                        "prepared statement \"{name}\" already exists"
                    ));
                }
                self.statements.insert(name.clone(), statement.clone());
                Ok(None)
            }
            Statement::Deallocate { name: None } => {
                self.statements.clear();
                Ok(None)
            }
            Statement::Deallocate { name: Some(name) } => match self.statements.remove(name) {
                Some(_) => Ok(None),
                None => Err(err!(SqlState::INVALID_SQL_STATEMENT_NAME, "prepared statement \"{name}\" does not exist")),
            },
            Statement::Execute { .. } => Err(Error::internal("EXECUTE reached the executor")),
            Statement::Discard(what) => {
                self.discard(*what)?;
                Ok(None)
            }
            Statement::Savepoint(name) => {
                let sp = xact::Savepoint {
                    name: name.clone(),
                    xid: None,
                    released: Vec::new(),
                    settings: self.settings.clone(),
                    created_files: self.created_files.len(),
                    dropped_files: self.dropped_files.len(),
                    changes: self.changes.clone(),
                    pending_mark: self.pending_mark(),
                    constraint_modes: self.constraint_modes(),
                };
                let b = self.block.as_mut().ok_or_else(|| not_in_block("SAVEPOINT"))?;
                b.savepoints.push(sp);
                Ok(None)
            }
            Statement::Release(name) => {
                let b = self.block.as_mut().ok_or_else(|| not_in_block("RELEASE SAVEPOINT"))?;
                let at = find_savepoint(b, name)?;
                // The released subtransactions join the enclosing one (or,
                // at the outermost level, simply end with the transaction).
                let ids: Vec<u64> = b.savepoints[at..].iter().flat_map(|sp| sp.ids()).collect();
                b.savepoints.truncate(at);
                if let Some(outer) = b.savepoints.last_mut() {
                    outer.released.extend(ids);
                }
                Ok(None)
            }
            Statement::RollbackTo(name) => {
                let b = self.block.as_mut().ok_or_else(|| not_in_block("ROLLBACK TO SAVEPOINT"))?;
                let at = find_savepoint(b, name)?;
                let ids: Vec<u64> = b.savepoints[at..].iter().flat_map(|sp| sp.ids()).collect();
                b.savepoints.truncate(at + 1);
                b.failed = false;
                let sp = &mut b.savepoints[at];
                sp.xid = None;
                sp.released.clear();
                let sp = sp.clone();
                self.rollback_subtransaction(&ids, sp)?;
                Ok(None)
            }
            Statement::Copy(c) => match (&c.io, c.from) {
                (crate::sql::copy::CopyIo::Client, false) => Ok(Some(self.copy_to_executor(c, fresh)?)),
                (crate::sql::copy::CopyIo::Client, true) => {
                    Err(Error::internal("COPY FROM STDIN runs through Session::copy_in_begin"))
                }
                _ => {
                    let rows = self.copy_file(c, fresh)?;
                    self.tag_override = Some(format!("COPY {rows}"));
                    Ok(None)
                }
            },
            Statement::Show { name } => {
                let value = self.show(name)?;
                Ok(Some(Executor::Values { rows: vec![vec![Datum::Text(value)]].into_iter() }))
            }
            Statement::ShowAll => {
                let mut all: Vec<&guc::Def> = guc::DEFS.iter().collect();
                all.sort_by_key(|d| d.name.to_ascii_lowercase());
                let rows: Vec<Vec<Datum>> = all
                    .into_iter()
                    .filter_map(|d| guc::Guc::lookup(d.name))
                    .map(|g| {
                        vec![
                            Datum::Text(g.name().to_string()),
                            Datum::Text(self.settings.show(g)),
                            Datum::Text(g.def().description.to_string()),
                        ]
                    })
                    .collect();
                Ok(Some(Executor::Values { rows: rows.into_iter() }))
            }
        }
    }

    /// `SHOW name` / `current_setting(name)`.
    pub fn show(&self, name: &str) -> Result<String> {
        if name.eq_ignore_ascii_case("transaction_deferrable") {
            return Ok(match &self.block {
                Some(b) => if b.deferrable { "on" } else { "off" }.to_string(),
                None => self.settings.show(Guc::default_transaction_deferrable),
            });
        }
        show_setting(&self.settings, self.block.as_ref().map(|b| (b.isolation, b.read_only)), name)
    }

    /// `BEGIN` / `START TRANSACTION`.
    fn begin(&mut self, isolation: Option<&str>, read_only: Option<bool>, deferrable: Option<bool>) -> Result<()> {
        if self.block.is_some() {
            self.notices
                .push(Notice::warning(SqlState::ACTIVE_SQL_TRANSACTION, "there is already a transaction in progress"));
            return Ok(());
        }
        let level = isolation.unwrap_or(self.settings.str(Guc::default_transaction_isolation)).to_string();
        let isolation = check_isolation(&level)?;
        let read_only = read_only.unwrap_or(self.settings.bool(Guc::default_transaction_read_only));
        let deferrable = deferrable.unwrap_or(self.settings.bool(Guc::default_transaction_deferrable));
        self.block = Some(xact::Block {
            isolation,
            read_only,
            deferrable,
            ran_query: false,
            failed: false,
            savepoints: Vec::new(),
        });
        // A REPEATABLE READ transaction's snapshot is taken by its first statement, not by BEGIN.
        self.snapshot = None;
        Ok(())
    }

    /// `SET TRANSACTION …`: change the current block's modes.
    fn set_transaction(
        &mut self,
        isolation: Option<&str>,
        read_only: Option<bool>,
        deferrable: Option<bool>,
    ) -> Result<()> {
        let snapshot_taken = self.snapshot.is_some();
        let Some(b) = &mut self.block else {
            self.notices.push(Notice::warning(
                SqlState::NO_ACTIVE_SQL_TRANSACTION,
                "SET TRANSACTION can only be used in transaction blocks",
            ));
            return Ok(());
        };
        if let Some(level) = isolation {
            let level = check_isolation(level)?;
            // Naming the level the transaction already has is no change.
            if level != b.isolation && (b.ran_query || snapshot_taken) {
                return Err(err!(
                    SqlState::ACTIVE_SQL_TRANSACTION,
                    "SET TRANSACTION ISOLATION LEVEL must be called before any query"
                ));
            }
            b.isolation = level;
        }
        if let Some(d) = deferrable {
            if b.ran_query || snapshot_taken {
                return Err(err!(
                    SqlState::ACTIVE_SQL_TRANSACTION,
                    "SET TRANSACTION [NOT] DEFERRABLE must be called before any query"
                ));
            }
            b.deferrable = d;
        }
        if let Some(ro) = read_only {
            b.read_only = ro;
        }
        Ok(())
    }
}

/// A session that ends (the client left, even in the middle of a COPY)
/// rolls back its open transaction, so that its id leaves the running set
/// and whoever waits for it goes on.
impl Drop for Session {
    fn drop(&mut self) {
        // A commit logged but never confirmed (the client left while it
        // was being flushed) is finished here: it is in the commit log
        // already, and leaving it running would hold back everyone.
        if let Some((xid, lsn)) = self.pending_commit.take() {
            let flushed = self.shared.engine.wal.flush_to(lsn);
            if let Err(e) = flushed.and_then(|()| self.finish_commit(xid, lsn)) {
                tracing::error!(xid, error = %e, "could not finish a commit at disconnect");
            }
        }
        if self.xid.is_some() {
            self.end_transaction(false);
        }
        self.serial_end(false, false);
        self.block = None;
        if let Err(e) = self.drop_temp_at_exit() {
            tracing::error!(error = %e, "could not drop temporary relations at disconnect");
        }
        self.shared.txns.locks.release_all(self.pid, true, true);
    }
}

/// The newest savepoint of that name (names may repeat).
fn find_savepoint(b: &xact::Block, name: &str) -> Result<usize> {
    b.savepoints
        .iter()
        .rposition(|sp| sp.name == name)
        .ok_or_else(|| err!(SqlState::INVALID_SAVEPOINT_SPECIFICATION, "savepoint \"{name}\" does not exist"))
}

fn not_in_block(what: &str) -> Error {
    err!(SqlState::NO_ACTIVE_SQL_TRANSACTION, "{what} can only be used in transaction blocks")
}

/// The isolation level a transaction may run at (SERIALIZABLE is
/// serializable snapshot isolation: see `txn/predicate.rs`).
fn check_isolation(level: &str) -> Result<xact::Isolation> {
    match xact::Isolation::parse(level) {
        Some(l) => Ok(l),
        None => Err(err!(SqlState::INVALID_PARAMETER_VALUE, "invalid transaction isolation level \"{level}\"")),
    }
}

/// `SHOW`: a setting, or the current transaction's own modes.
fn show_setting(settings: &Settings, block: Option<(xact::Isolation, bool)>, name: &str) -> Result<String> {
    match (name.to_ascii_lowercase().as_str(), block) {
        ("transaction_isolation", Some((level, _))) => Ok(level.as_str().to_string()),
        ("transaction_isolation", None) => Ok(settings.show(Guc::default_transaction_isolation)),
        ("transaction_read_only", Some((_, ro))) => Ok(if ro { "on" } else { "off" }.to_string()),
        ("transaction_read_only", None) => Ok(settings.show(Guc::default_transaction_read_only)),
        _ => settings.show_named(name),
    }
}

/// The CommandComplete tag.
/// The hint of the error a plan gets whose table changed under it.
const STALE_HINT: &str = "The table changed since the statement was prepared; prepare it again.";

/// Whether `e` says a bound statement's table changed (it can be bound again).
fn is_stale(e: &Error) -> bool {
    e.code() == SqlState::UNDEFINED_TABLE && e.hint() == Some(STALE_HINT)
}

fn tag(command: &str, rows: u64) -> String {
    match command {
        "SELECT" | "UPDATE" | "DELETE" | "COPY" => format!("{command} {rows}"),
        "INSERT" => format!("INSERT 0 {rows}"),
        other => other.to_string(),
    }
}

/// The catalog as a statement of this session sees it: the committed
/// state from the catalog cache, or, once the transaction has changed the
/// catalog itself, read through its snapshot so it sees its own changes.
struct SessionTables<'a> {
    catalog: &'a crate::catalog::Catalog,
    own: Option<(Snapshot, u64, u32)>,
    own_catalog: &'a std::cell::RefCell<own_catalog::OwnCatalog>,
    locker: locks::Locker<'a>,
    /// The session's resolved search path.
    path: &'a [u32],
    /// The session's prepared statements (for `EXECUTE`).
    statements: &'a HashMap<String, Arc<PreparedStatement>>,
    /// The planner's cost settings.
    costs: crate::sql::costsize::CostParams,
    /// The current user's name.
    role: &'a str,
}

/// EXPLAIN's options.
#[derive(Clone, Copy)]
struct ExplainHow {
    analyze: bool,
    timing: bool,
    summary: bool,
    costs: bool,
    verbose: bool,
}

impl TableLookup for SessionTables<'_> {
    fn table(&self, name: &str, mode: LockMode) -> Result<Option<Arc<crate::catalog::Table>>> {
        self.lookup(None, name, mode)
    }

    fn table_in(&self, namespace: u32, name: &str, mode: LockMode) -> Result<Option<Arc<crate::catalog::Table>>> {
        self.lookup(Some(namespace), name, mode)
    }

    fn blocks(&self, table: &crate::catalog::Table) -> Option<u32> {
        self.catalog.blocks(table)
    }

    fn cost_params(&self) -> crate::sql::costsize::CostParams {
        self.costs
    }

    fn namespace(&self, name: &str) -> Result<Option<u32>> {
        if let Some(n) = crate::catalog::fixed_namespace(name) {
            return Ok(Some(n));
        }
        if name == "pg_temp" || crate::catalog::namespace::is_temp_namespace_name(name) {
            // The session's own temporary schema (another's is refused).
            return self.read(|who| {
                let who = crate::catalog::Reader {
                    path: Some(self.path),
                    snapshot: who.snapshot,
                    xid: who.xid,
                    cid: who.cid,
                };
                if name != "pg_temp" && self.catalog.namespace(name, &who)?.is_none() {
                    return Ok(None);
                }
                Ok(Some(self.catalog.lookup_namespace(name, &who)?).filter(|&n| n != 0))
            });
        }
        self.read(|who| Ok(self.catalog.namespace(name, who)?.map(|n| n.oid)))
    }

    fn check_schema_usage(&self, namespace: u32) -> Result<()> {
        let allowed = self.read(|who| {
            let Some(role) = self.catalog.role_by_name(self.role, who)? else { return Ok(true) };
            if role.superuser {
                return Ok(true);
            }
            let object = crate::catalog::privileges::PrivObject::Schema(namespace);
            Ok(self.catalog.has_privilege(role.oid, object, &['U'], false, who)?.unwrap_or(true))
        })?;
        if allowed {
            return Ok(());
        }
        let name = self.read(|who| self.catalog.namespace_name(namespace, who))?.unwrap_or_default();
        Err(privileges::denied("schema", &name))
    }

    fn user_type(&self, namespace: Option<u32>, name: &str) -> Result<Option<(u32, u8)>> {
        let one;
        let path = match namespace {
            Some(n) => {
                one = [n];
                &one[..]
            }
            None => self.path,
        };
        self.read(|who| Ok(self.catalog.type_on_path(path, name, who)?.map(|t| (t.oid, t.kind))))
    }

    fn prepared(&self, name: &str) -> Option<Arc<PreparedStatement>> {
        self.statements.get(name).cloned()
    }

    fn domain(&self, oid: u32) -> Result<Option<Arc<crate::catalog::domains::Domain>>> {
        self.read(|who| self.catalog.domain(oid, who))
    }

    fn row_type(&self, oid: u32) -> Result<Option<Arc<crate::sql::record::RowType>>> {
        self.read(|who| self.catalog.row_type(oid, who))
    }
}

impl Eval<'_> {
    /// The current user's name (the role SET ROLE chose, or the session user).
    fn session_user_name(&self) -> &str {
        match self.settings.str(Guc::role) {
            "none" | "" => self.user,
            role => role,
        }
    }
}

impl SessionTables<'_> {
    /// Read the catalog as the statement sees it: through the
    /// transaction's own snapshot once it has changed the catalog, else
    /// the latest committed state.
    fn read<T>(&self, f: impl FnOnce(&crate::catalog::Reader<'_>) -> Result<T>) -> Result<T> {
        match &self.own {
            Some((snapshot, xid, cid)) => f(&crate::catalog::Reader { path: None, snapshot, xid: *xid, cid: *cid }),
            None => {
                let fresh = self.catalog.snapshot();
                f(&crate::catalog::Reader { path: None, snapshot: &fresh, xid: 0, cid: 0 })
            }
        }
    }

    fn lookup(&self, namespace: Option<u32>, name: &str, mode: LockMode) -> Result<Option<Arc<crate::catalog::Table>>> {
        self.locker.table(self.catalog, self.own.is_some(), mode, || match &self.own {
            None => self.catalog.cached_in(namespace, name, Some(self.path)),
            Some((snapshot, xid, cid)) => {
                let key = crate::catalog::table_cache_key(namespace, name, Some(self.path));
                let version = self.catalog.version();
                if let Some(table) = self.own_catalog.borrow_mut().table(&key, version, *cid) {
                    return Ok(Some(table));
                }
                let before = crate::catalog::catalog_writes();
                let who = crate::catalog::Reader { path: Some(self.path), snapshot, xid: *xid, cid: *cid };
                let table = match namespace {
                    None => self.catalog.lookup(&crate::catalog::namespace::qualified_name(None, name), &who)?,
                    Some(n) => self.catalog.lookup_in(n, name, &who)?,
                };
                let table = table.map(Arc::new);
                if let Some(t) = &table {
                    self.own_catalog.borrow_mut().keep_table(key, version, *cid, before, t);
                }
                Ok(table)
            }
        })
    }
}

/// What expression evaluation sees of the session.
struct Eval<'a> {
    /// The transaction's queue of constraint checks put off.
    pending: &'a crate::sql::exec::deferred::SharedPending,
    /// `lock_timeout` and `deadlock_timeout`, for advisory locks.
    lock_timeouts: (Option<std::time::Duration>, std::time::Duration),
    txns: &'a crate::txn::TransactionManager,
    notices: &'a mut Vec<Notice>,
    settings: &'a mut Settings,
    /// The open block's isolation level and read-only flag.
    block: Option<(xact::Isolation, bool)>,
    params: &'a [Datum],
    interrupts: &'a Interrupts,
    deadline: Option<Instant>,
    pid: i32,
    user: &'a str,
    database: &'a str,
    time_zone: TimeZone,
    xact_timestamp: i64,
    statement_timestamp: i64,
    catalog: &'a crate::catalog::Catalog,
    sequences: &'a mut sequences::SessionSequences,
    /// The transaction's id (0 before it writes): catalog lookups see its
    /// own changes.
    reader_xid: u64,
    /// The session's top-level transaction id, which `pg_current_xact_id()`
    /// assigns when there is none yet.
    top_xid: &'a mut Option<u64>,
    /// The serializable transaction, which must learn of an id assigned.
    serial_id: Option<crate::txn::predicate::SerialId>,
    /// The session's resolved search path (`pg_catalog` included).
    search_path: &'a [u32],
    /// The session's prepared statements (`pg_prepared_statements`).
    prepared: &'a HashMap<String, Arc<PreparedStatement>>,
    /// The live sessions (`pg_stat_activity`, `pg_cancel_backend`).
    registry: Option<&'a registry::Registry>,
}

impl EvalContext for Eval<'_> {
    fn param(&self, index: usize) -> &Datum {
        self.params.get(index).unwrap_or(&Datum::Null)
    }

    fn pending_checks(&self) -> Option<crate::sql::exec::deferred::SharedPending> {
        Some(self.pending.clone())
    }

    /// As PostgreSQL's GetTopTransactionId: the top-level transaction
    /// gets its id as a writer would (a subtransaction keeps none), even
    /// in a read-only transaction.
    fn top_xid(&mut self, assign: bool) -> Result<Option<u64>> {
        if assign && self.top_xid.is_none() {
            let xid = self.txns.assign(self.pid);
            if let Some(id) = self.serial_id {
                self.txns.serial.add_xid(id, xid);
            }
            *self.top_xid = Some(xid);
        }
        Ok(*self.top_xid)
    }

    fn transaction_manager(&self) -> Option<(&crate::txn::TransactionManager, u64)> {
        Some((self.txns, self.reader_xid))
    }

    /// Outside a scan there is no statement snapshot at hand: a fresh one.
    fn reading_snapshot(&self) -> Option<crate::txn::Snapshot> {
        Some(self.txns.snapshot())
    }

    fn advisory(&mut self, op: crate::sql::func::AdvisoryOp, shared: bool, key: Option<(u64, bool)>) -> Result<Datum> {
        let locker = locks::Locker {
            txns: self.txns,
            pid: self.pid,
            interrupts: self.interrupts,
            deadline: self.deadline,
            timeout: self.lock_timeouts.0,
            deadlock_timeout: self.lock_timeouts.1,
            db: self.catalog.database(),
        };
        locks::advisory(&locker, op, shared, key, self.notices)
    }

    fn column(&self, _index: usize) -> &Datum {
        // Outside a scan there is no current row.
        &Datum::Null
    }

    fn current_setting(&self, name: &str, missing_ok: bool) -> Result<Option<String>> {
        match show_setting(self.settings, self.block, name) {
            Ok(v) => Ok(Some(v)),
            Err(e) if missing_ok && e.code() == SqlState::UNDEFINED_OBJECT => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn set_config(&mut self, name: &str, value: &str, is_local: bool) -> Result<String> {
        self.settings.set(name, Some(value), is_local)?;
        self.settings.show_named(name)
    }

    fn check_interrupts(&self) -> Result<()> {
        crate::txn::wait::pause_if_due();
        self.interrupts.check(self.deadline)
    }

    fn backend_pid(&self) -> i32 {
        self.pid
    }

    fn extra_float_digits(&self) -> i32 {
        self.settings.int(Guc::extra_float_digits) as i32
    }

    fn time_zone(&self) -> TimeZone {
        self.time_zone.clone()
    }

    fn bytea_output(&self) -> crate::sql::types::ByteaOutput {
        crate::sql::types::ByteaOutput::from_setting(self.settings.str(Guc::bytea_output))
    }

    fn transaction_timestamp(&self) -> i64 {
        self.xact_timestamp
    }

    fn statement_timestamp(&self) -> i64 {
        self.statement_timestamp
    }

    fn session_user(&self) -> Result<&str> {
        Ok(self.session_user_name())
    }

    fn authorization_user(&self) -> Result<&str> {
        Ok(self.user)
    }

    fn role_name(&self, oid: u32) -> Result<Option<String>> {
        self.read_catalog(|who| Ok(self.catalog.role_by_oid(oid, who)?.map(|r| r.name)))
    }

    fn role_oid(&self, name: &str) -> Result<Option<u32>> {
        self.read_catalog(|who| Ok(self.catalog.role_by_name(name, who)?.map(|r| r.oid)))
    }

    fn role_member_of(&self, oid: u32) -> Result<Vec<u32>> {
        self.read_catalog(|who| self.catalog.member_of(oid, who))
    }

    fn role_is_superuser(&self, oid: u32) -> Result<Option<bool>> {
        self.read_catalog(|who| Ok(self.catalog.role_by_oid(oid, who)?.map(|r| r.superuser)))
    }

    fn current_database(&self) -> Result<&str> {
        Ok(self.database)
    }

    fn blocking_pids(&self, pid: i32, safe_snapshot: bool) -> Result<Vec<i32>> {
        let txns = self.catalog.txns();
        Ok(match safe_snapshot {
            true => txns.serial.safe_snapshot_blockers(pid),
            false => lock_status::blocking_pids(txns, pid),
        })
    }

    fn set_returning(&mut self, func: crate::sql::plan::SetFunc) -> Result<Vec<Vec<Datum>>> {
        match func {
            crate::sql::plan::SetFunc::ShowAllSettings => Ok(all_settings(self.settings, self.block)),
            crate::sql::plan::SetFunc::Sequence(oid) => self.sequence_row(oid),
            crate::sql::plan::SetFunc::PreparedStatements => Ok(prepared_rows(self.prepared)),
            crate::sql::plan::SetFunc::LockStatus => {
                Ok(lock_status::lock_status_rows(self.catalog.txns(), self.catalog.database()))
            }
            crate::sql::plan::SetFunc::Activity => activity::activity_rows(self),
            crate::sql::plan::SetFunc::Keywords => Ok(crate::sql::keywords::keyword_rows()),
            f @ (crate::sql::plan::SetFunc::ControlCheckpoint
            | crate::sql::plan::SetFunc::ControlSystem
            | crate::sql::plan::SetFunc::ControlInit
            | crate::sql::plan::SetFunc::ControlRecovery) => Ok(vec![pg_control::control_row(f, self.catalog)]),
        }
    }

    fn sequence(&mut self, func: crate::sql::func::SeqFunc, args: &[Datum]) -> Result<Datum> {
        self.sequence_call(func, args)
    }

    fn signal_backend(&mut self, pid: i32, terminate: bool, timeout_ms: i64) -> Result<bool> {
        activity::signal_backend(self, pid, terminate, timeout_ms)
    }

    fn serial_sequence(&self, table: &str, column: &str) -> Result<Option<String>> {
        self.serial_sequence_of(table, column)
    }

    fn relation_oid(&self, name: &str) -> Result<Option<u32>> {
        self.read_catalog(|who| self.catalog.relation_oid(name, who))
    }

    fn privilege(
        &self,
        role: u32,
        object: crate::catalog::privileges::PrivObject,
        any: &[char],
        grant_option: bool,
    ) -> Result<Option<bool>> {
        self.read_catalog(|who| self.catalog.has_privilege(role, object, any, grant_option, who))
    }

    fn object_oid(&self, on: crate::sql::func::PrivilegeOn, name: &str) -> Result<Option<u32>> {
        use crate::sql::func::PrivilegeOn;
        self.read_catalog(|who| match on {
            PrivilegeOn::Schema => Ok(self.catalog.namespace(name, who)?.map(|n| n.oid)),
            PrivilegeOn::Database => Ok(self.catalog.database_named(name, who)?.map(|d| d.oid)),
            _ => Ok(None),
        })
    }

    fn user_type_info(&self, oid: u32) -> Result<Option<crate::catalog::enums::TypeInfo>> {
        self.read_catalog(|who| self.catalog.user_type_info(oid, who))
    }

    fn enum_labels(&self, oid: u32) -> Result<crate::sql::enums::EnumLabels> {
        self.read_catalog(|who| self.catalog.enum_labels(oid, who))
    }

    fn row_type(&self, oid: u32) -> Result<Arc<crate::sql::record::RowType>> {
        self.read_catalog(|who| self.catalog.row_type(oid, who))?
            .ok_or_else(|| crate::err!(crate::error::SqlState::UNDEFINED_OBJECT, "type with OID {oid} does not exist"))
    }

    fn regclass_text(&self, oid: u32) -> Result<Option<String>> {
        self.read_catalog(|who| self.catalog.regclass_text(oid, who))
    }

    fn reg_in(&self, kind: crate::sql::regtypes::RegKind, text: &str) -> Result<crate::catalog::regtypes::RegLookup> {
        self.read_catalog(|who| self.catalog.reg_in(kind, text, who))
    }

    fn reg_out(&self, kind: crate::sql::regtypes::RegKind, oid: u32) -> Result<String> {
        self.read_catalog(|who| self.catalog.reg_out(kind, oid, who))
    }

    fn search_path(&self, implicit: bool) -> Result<Vec<(u32, String)>> {
        let snapshot = self.txns.snapshot();
        let who = crate::catalog::Reader { path: None, snapshot: &snapshot, xid: self.reader_xid, cid: u32::MAX };
        let setting = self.settings.str(Guc::search_path).to_string();
        let temp = self.catalog.temp_namespace_in(self.search_path, &who)?;
        let path = self.catalog.resolve_search_path(&setting, self.user, implicit, temp, &who)?;
        let mut out = Vec::with_capacity(path.len());
        for oid in path {
            out.push((oid, self.catalog.namespace_name(oid, &who)?.unwrap_or_default()));
        }
        Ok(out)
    }

    fn relation_name(&self, oid: u32) -> Result<Option<String>> {
        let snapshot = self.txns.snapshot();
        let who = crate::catalog::Reader {
            path: Some(self.search_path),
            snapshot: &snapshot,
            xid: self.reader_xid,
            cid: u32::MAX,
        };
        Ok(self.catalog.relation_by_oid(oid, &who)?.map(|(name, _)| name))
    }
}

impl Eval<'_> {
    /// Read the catalog as the transaction sees it now, through the
    /// session's search path.
    fn read_catalog<T>(&self, read: impl FnOnce(&crate::catalog::Reader<'_>) -> Result<T>) -> Result<T> {
        let snapshot = self.txns.snapshot();
        let path = Some(self.search_path);
        read(&crate::catalog::Reader { path, snapshot: &snapshot, xid: self.reader_xid, cid: u32::MAX })
    }
}

/// `pg_show_all_settings()`: a row per setting, sorted by name, with the
/// session's current values (as `SHOW` sees them, but in base units).
/// `pg_prepared_statements`: the named statements (SQL `PREPARE` and the
/// protocol's Parse), with how many of their executions ran their generic
/// plan and how many a custom one (see [`crate::sql::plancache`]).
fn prepared_rows(statements: &HashMap<String, Arc<PreparedStatement>>) -> Vec<Vec<Datum>> {
    let mut named: Vec<_> = statements.iter().collect();
    named.sort_by(|a, b| a.0.cmp(b.0));
    named
        .into_iter()
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, p)| {
            let types = p.param_types().iter().map(|t| Datum::Text(t.sql_name().to_string())).collect();
            vec![
                Datum::Text(name.clone()),
                Datum::Text(p.sql.clone()),
                Datum::TimestampTz(p.prepared_at),
                Datum::Array(Box::new(crate::sql::array::ArrayValue::new(PgType::RegType, types))),
                Datum::Bool(p.from_sql),
                Datum::Int8(p.plans.generic_plans() as i64),
                Datum::Int8(p.plans.custom_plans() as i64),
            ]
        })
        .collect()
}

fn all_settings(settings: &Settings, block: Option<(xact::Isolation, bool)>) -> Vec<Vec<Datum>> {
    let text = |s: Option<String>| s.map_or(Datum::Null, Datum::Text);
    let mut all: Vec<guc::Guc> = guc::ALL.to_vec();
    all.sort_by_key(|g| g.name().to_ascii_lowercase());
    all.into_iter()
        .map(|g| {
            let def = g.def();
            let (unit, vartype, min, max, enumvals) = guc::describe(g);
            let setting = match g.name() {
                "transaction_isolation" | "transaction_read_only" => show_setting(settings, block, g.name()).ok(),
                _ => Some(guc::raw(settings.get(g))),
            };
            vec![
                Datum::Text(g.name().to_string()),
                text(setting),
                text(unit.map(str::to_string)),
                Datum::Text(def.category.to_string()),
                Datum::Text(def.description.to_string()),
                Datum::Null,
                Datum::Text(def.context.as_str().to_string()),
                Datum::Text(vartype.to_string()),
                Datum::Text(settings.source(g).as_str().to_string()),
                text(min),
                text(max),
                // A text[] from its text form.
                enumvals.map_or(Datum::Null, |e| {
                    let ty = crate::sql::types::PgType::array_by_oid(1009);
                    crate::sql::types::parse_text(ty, &e).unwrap_or(Datum::Null)
                }),
                Datum::Text(guc::raw(&g.default_value())),
                Datum::Text(guc::raw(settings.reset_value(g))),
                Datum::Null,
                Datum::Null,
                Datum::Bool(false),
            ]
        })
        .collect()
}

/// Whether table description `now` is `was` as bound (the same one, or
/// one read again that equals it).
fn unchanged(now: &Arc<crate::catalog::Table>, was: &Arc<crate::catalog::Table>) -> bool {
    Arc::ptr_eq(now, was) || **now == **was
}
