//! `pg_locks` (through `pg_lock_status()`) and `pg_blocking_pids`: what
//! the server's locks look like from SQL, from four sources:
//!
//! - the table and advisory lock manager ([`crate::txn::lock`]): held and
//!   awaited requests;
//! - transaction ids: a running transaction holds its id in ExclusiveLock,
//!   and a session waiting for it to end (a row lock, a unique check) waits
//!   for ShareLock on it, as PostgreSQL models them;
//! - SIREAD locks of serializable transactions ([`crate::txn::predicate`]),
//!   mode `SIReadLock`; a committed holder's locks stay (its pid is NULL).
//!
//! Deviations: no `virtualxid` rows (tusk has no virtual transaction ids;
//! `virtualtransaction` is NULL), `transactionid` is bigint, and a
//! serializable index scan's key-range lock shows as a `relation` lock on
//! the index (PostgreSQL locks index pages instead).

use crate::sql::types::Datum;
use crate::txn::TransactionManager;
use crate::txn::lock::LockTag;
use crate::txn::predicate::Target;

/// One `pg_locks` row, before it becomes datums.
#[derive(Default)]
struct LockRow {
    locktype: &'static str,
    database: Option<u32>,
    relation: Option<u32>,
    page: Option<u32>,
    tuple: Option<u16>,
    transactionid: Option<u64>,
    /// classid, objid, objsubid (advisory locks).
    object: Option<(u32, u32, u16)>,
    pid: Option<i32>,
    mode: &'static str,
    granted: bool,
}

impl LockRow {
    fn datums(self) -> Vec<Datum> {
        let oid = |o: Option<u32>| o.map_or(Datum::Null, Datum::Oid);
        vec![
            Datum::Text(self.locktype.to_string()),
            oid(self.database),
            oid(self.relation),
            self.page.map_or(Datum::Null, |p| Datum::Int4(p as i32)),
            self.tuple.map_or(Datum::Null, |t| Datum::Int2(t as i16)),
            Datum::Null,
            self.transactionid.map_or(Datum::Null, |x| Datum::Int8(x as i64)),
            oid(self.object.map(|o| o.0)),
            oid(self.object.map(|o| o.1)),
            self.object.map_or(Datum::Null, |o| Datum::Int2(o.2 as i16)),
            Datum::Null,
            self.pid.map_or(Datum::Null, Datum::Int4),
            Datum::Text(self.mode.to_string()),
            Datum::Bool(self.granted),
            Datum::Bool(false),
            Datum::Null,
        ]
    }
}

/// The rows of `pg_lock_status()`; SIREAD locks are of `database`.
pub(super) fn lock_status_rows(txns: &TransactionManager, database: u32) -> Vec<Vec<Datum>> {
    let mut rows = Vec::new();
    for (pid, tag, mode, granted) in txns.locks.snapshot() {
        let row = match tag {
            LockTag::Relation { db, rel } => {
                LockRow { locktype: "relation", database: Some(db), relation: Some(rel), ..LockRow::default() }
            }
            LockTag::Advisory { db, key, pair } => LockRow {
                locktype: "advisory",
                database: Some(db),
                object: Some(((key >> 32) as u32, key as u32, if pair { 2 } else { 1 })),
                ..LockRow::default()
            },
        };
        rows.push(LockRow { pid: Some(pid), mode: mode.name(), granted, ..row });
    }
    let transaction = |xid, pid, mode, granted| LockRow {
        locktype: "transactionid",
        transactionid: Some(xid),
        pid: Some(pid),
        mode,
        granted,
        ..LockRow::default()
    };
    rows.extend(txns.running_ids().into_iter().map(|(xid, pid)| transaction(xid, pid, "ExclusiveLock", true)));
    rows.extend(txns.locks.transaction_waits().into_iter().map(|(pid, xid)| transaction(xid, pid, "ShareLock", false)));
    for l in txns.serial.locks() {
        let (locktype, page, tuple) = match l.target {
            Target::Relation | Target::Range(..) => ("relation", None, None),
            Target::Page(b) => ("page", Some(b), None),
            Target::Tuple(b, o) => ("tuple", Some(b), Some(o)),
        };
        rows.push(LockRow {
            locktype,
            database: Some(database),
            relation: Some(l.relation),
            page,
            tuple,
            pid: (!l.committed).then_some(l.pid),
            mode: "SIReadLock",
            granted: true,
            ..LockRow::default()
        });
    }
    rows.into_iter().map(LockRow::datums).collect()
}

/// The sessions `pid` waits for (`pg_blocking_pids`).
pub(super) fn blocking_pids(txns: &TransactionManager, pid: i32) -> Vec<i32> {
    txns.locks.blocking_pids(pid, &|xid| txns.owner_of(xid))
}
