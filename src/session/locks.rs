//! The locks a session takes: a table lock on every table a statement
//! names, in the mode PostgreSQL takes for that statement (ACCESS SHARE to
//! read, ROW EXCLUSIVE to write, SHARE for CREATE INDEX, SHARE UPDATE
//! EXCLUSIVE for VACUUM and ANALYZE, ACCESS EXCLUSIVE for DROP, TRUNCATE
//! and ALTER TABLE), `LOCK TABLE`, and advisory locks. Transaction locks
//! are held until the transaction ends — after its commit is visible, so
//! a session that waited for a DROP finds the table gone.
//!
//! A table is looked up, then locked, then looked up again if a DDL
//! committed meanwhile: the lock is only worth something if it is on the
//! table the name means once it is held.

use std::time::{Duration, Instant};

use crate::catalog::{Catalog, RelKind, Table};
use crate::config::{Guc, Settings};
use crate::err;
use crate::error::{Notice, Result, SqlState};
use crate::sql::func::AdvisoryOp;
use crate::sql::types::Datum;
use crate::txn::TransactionManager;
use crate::txn::lock::{LockMode, LockTag, Wait};

use super::Session;
use super::interrupts::Interrupts;

/// What taking a lock needs from the session.
pub(super) struct Locker<'a> {
    pub txns: &'a TransactionManager,
    pub pid: i32,
    pub interrupts: &'a Interrupts,
    pub deadline: Option<Instant>,
    pub timeout: Option<Duration>,
    pub deadlock_timeout: Duration,
    /// The session's database (lock tags name it).
    pub db: u32,
}

impl Locker<'_> {
    /// Take `mode` on `tag` (until the transaction ends, or with `session`
    /// until released). Waits unless `nowait`; returns whether it was taken.
    pub fn lock(&self, tag: LockTag, mode: LockMode, session: bool, nowait: bool) -> Result<bool> {
        let locks = &self.txns.locks;
        let owner_of = |xid| self.txns.owner_of(xid);
        let mut check = || Ok(());
        let mut at_once =
            Wait { nowait: true, timeout: None, deadlock_timeout: self.deadlock_timeout, interrupted: &mut check };
        if locks.acquire(self.pid, tag, mode, session, &mut at_once, &owner_of)? {
            return Ok(true);
        }
        if nowait {
            return Ok(false);
        }
        let mut interrupted = || self.interrupts.check(self.deadline);
        let mut wait = Wait {
            nowait: false,
            timeout: self.timeout,
            deadlock_timeout: self.deadlock_timeout,
            interrupted: &mut interrupted,
        };
        locks.acquire(self.pid, tag, mode, session, &mut wait, &owner_of)
    }

    pub fn relation(&self, oid: u32, mode: LockMode) -> Result<()> {
        self.lock(LockTag::Relation { db: self.db, rel: oid }, mode, false, false).map(|_| ())
    }

    /// Look `name` up with `lookup`, lock the table, and look again if the
    /// catalog changed meanwhile (`own`: this transaction changed the
    /// catalog, whose lookups do not go through the shared cache).
    pub fn table(
        &self,
        catalog: &Catalog,
        own: bool,
        mode: LockMode,
        lookup: impl Fn() -> Result<Option<std::sync::Arc<Table>>>,
    ) -> Result<Option<std::sync::Arc<Table>>> {
        loop {
            let version = catalog.version();
            let Some(table) = lookup()? else { return Ok(None) };
            self.relation(table.oid, mode)?;
            if own || catalog.version() == version {
                return Ok(Some(table));
            }
        }
    }
}

/// `lock_timeout` (none if 0) and `deadlock_timeout`.
pub(super) fn timeouts(settings: &Settings) -> (Option<Duration>, Duration) {
    let ms = |g| settings.int(g).max(0) as u64;
    let lock_timeout = ms(Guc::lock_timeout);
    ((lock_timeout > 0).then(|| Duration::from_millis(lock_timeout)), Duration::from_millis(ms(Guc::deadlock_timeout)))
}

/// Run an advisory-lock function for the session `locker` locks for;
/// `key` is the function's key and whether it came as two int4 halves.
pub(super) fn advisory(
    locker: &Locker<'_>,
    op: AdvisoryOp,
    shared: bool,
    key: Option<(u64, bool)>,
    notices: &mut Vec<Notice>,
) -> Result<Datum> {
    let mode = if shared { LockMode::Share } else { LockMode::Exclusive };
    let Some((key, pair)) = key else {
        // pg_advisory_unlock_all(), the one form without a key.
        locker.txns.locks.release_all(locker.pid, false, true);
        return Ok(Datum::Null);
    };
    let tag = LockTag::Advisory { db: locker.db, key, pair };
    Ok(match op {
        AdvisoryOp::Lock | AdvisoryOp::XactLock => {
            locker.lock(tag, mode, op == AdvisoryOp::Lock, false)?;
            Datum::Null
        }
        AdvisoryOp::TryLock | AdvisoryOp::TryXactLock => {
            Datum::Bool(locker.lock(tag, mode, op == AdvisoryOp::TryLock, true)?)
        }
        AdvisoryOp::Unlock => {
            let released = locker.txns.locks.release_one(locker.pid, tag, mode);
            if !released {
                notices
                    .push(Notice::warning(SqlState::WARNING, format!("you don't own a lock of type {}", mode.name())));
            }
            Datum::Bool(released)
        }
        AdvisoryOp::UnlockAll => return Err(crate::error::Error::internal("pg_advisory_unlock_all with a key")),
    })
}

impl Session {
    pub(super) fn locker(&self) -> Locker<'_> {
        let (timeout, deadlock_timeout) = timeouts(&self.settings);
        Locker {
            txns: &self.shared.txns,
            pid: self.pid,
            interrupts: &self.interrupts,
            deadline: self.deadline,
            timeout,
            deadlock_timeout,
            db: self.shared.catalog.database(),
        }
    }

    /// DDL on relation `name`: lock it in `mode` (an index: its table, then
    /// itself), then read the catalog afresh, so that what the statement
    /// goes on to look up is as the last holder of the lock left it.
    pub(super) fn lock_for_ddl(&mut self, name: &str, mode: LockMode) -> Result<()> {
        let snapshot = self.statement_snapshot();
        let who = crate::catalog::Reader {
            path: Some(&self.search_path),
            snapshot: &snapshot,
            xid: self.current_xid(),
            cid: self.cid,
        };
        let catalog = &self.shared.catalog;
        if let Some(rel) = catalog.relation(name, &who)? {
            if rel.kind == RelKind::Index {
                if let Some(table) = catalog.table_of_index(rel.oid, &who)? {
                    self.locker().relation(table.oid, mode)?;
                }
            }
            self.locker().relation(rel.oid, mode)?;
        }
        self.forget_statement_snapshot();
        Ok(())
    }

    /// `LOCK [TABLE] name, … [IN mode MODE] [NOWAIT]`.
    pub(super) fn lock_tables(&mut self, names: &[String], mode: LockMode, nowait: bool) -> Result<()> {
        if self.block.is_none() && !self.implicit_multi {
            return Err(err!(SqlState::NO_ACTIVE_SQL_TRANSACTION, "LOCK TABLE can only be used in transaction blocks"));
        }
        for name in names {
            let snapshot = self.statement_snapshot();
            let who = crate::catalog::Reader {
                path: Some(&self.search_path),
                snapshot: &snapshot,
                xid: self.current_xid(),
                cid: self.cid,
            };
            let Some(rel) = self.shared.catalog.relation(name, &who)? else {
                return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"));
            };
            if rel.kind == RelKind::Index {
                return Err(err!(SqlState::WRONG_OBJECT_TYPE, "cannot lock relation \"{name}\"")
                    .with_detail("This operation is not supported for indexes."));
            }
            let tag = LockTag::Relation { db: self.shared.catalog.database(), rel: rel.oid };
            if !self.locker().lock(tag, mode, false, nowait)? {
                return Err(err!(SqlState::LOCK_NOT_AVAILABLE, "could not obtain lock on relation \"{name}\""));
            }
        }
        Ok(())
    }

    /// The transaction ended (and its commit, if any, is visible): its
    /// locks go, and whoever waits for them proceeds.
    pub(super) fn release_transaction_locks(&self) {
        self.shared.txns.locks.release_all(self.pid, true, false);
    }
}
