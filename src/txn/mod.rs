//! Transactions: ids, outcomes and snapshots (PostgreSQL's transam and
//! procarray), and the visibility rule that uses them.
//!
//! - Transaction ids are 64-bit and never wrap. One is assigned when a
//!   transaction first writes ([`TransactionManager::assign`]); read-only
//!   transactions never take one.
//! - The set of running writers is kept apart from the sessions, so taking
//!   a [`Snapshot`] costs O(running writers), however many clients are
//!   connected.
//! - A commit is a WAL record, written with its commit-log ([`clog`]) bit;
//!   once it is durable the transaction leaves the running set, and only
//!   then is it visible. An abort is a record too (not waited for: a crash
//!   aborts anyway).
//! - Early lock release: between its commit record and the flush, a
//!   transaction is *committing*. Snapshots still count it running, but
//!   its row locks are released: a writer waiting for its row goes on at
//!   once, treating it as committed (as it would once the flush is done),
//!   and records it as a dependency. The dependent's own commit record
//!   comes later in the WAL, so it can never be durable without the
//!   other's; its snapshots see its dependencies committed; and it leaves
//!   the running set only after them ([`TransactionManager::finish_commit`]),
//!   so no reader sees it without them. Rows of a hot spot (pgbench's
//!   branches) thus change many times per WAL flush instead of once.
//! - A savepoint that writes gets a subtransaction id of its own
//!   ([`TransactionManager::assign_sub`]), a member of its top-level
//!   transaction's family. `ROLLBACK TO` aborts the subtransaction's ids at
//!   once ([`TransactionManager::abort_subs`]); the others stay running
//!   until the top-level transaction ends, and commit or abort with it in
//!   one WAL record. Every running id, subtransaction or not, is in the
//!   running set, so snapshots and waits need no parent lookup (PostgreSQL
//!   needs pg_subtrans when its per-backend cache overflows).
//! - Table and advisory locks, and deadlock detection, are in [`lock`].
//!
//! ```text
//!  writer:  assign xid ─ insert tuples (xmin = xid) ─ COMMIT record + clog ─ flush ─ leave running set
//!  reader:  snapshot = (xmin, xmax, running xids) ─ a tuple is visible if its xmin committed
//!           before the snapshot and its xmax did not
//! ```

pub mod clog;
pub mod lock;
pub mod multixact;
pub mod predicate;
pub mod rowlock;
pub mod slru;
pub mod wait;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::err;
use crate::error::{Result, SqlState};
use crate::storage::engine::ResourceManager;
use crate::storage::hash::FastBuild;
use crate::storage::heap::tuple::{Header, XMAX_COMMITTED};
use crate::storage::wal::{Record, Rmgr, Wal};
use clog::{Clog, XidStatus};
use multixact::MultiXacts;
pub use rowlock::{RowCheck, RowLock};

/// The first normal transaction id (PostgreSQL reserves 0–2).
pub const FIRST_NORMAL_XID: u64 = 3;

const XACT_COMMIT: u8 = 0x00;
const XACT_ABORT: u8 = 0x20;

/// Whether the version's insert was frozen by vacuum (visible to all).
fn xmin_frozen(h: &Header<'_>) -> bool {
    h.xmin_frozen()
}

/// Whether the version's (plain) deleter is known committed below every
/// snapshot (vacuum's hint: its id may be gone from the commit log).
fn xmax_hinted(h: &Header<'_>) -> bool {
    !h.is_multi() && h.infomask() & XMAX_COMMITTED != 0
}

/// The last answer of a commit-log lookup for a snapshot (see
/// [`TransactionManager::tuple_visible_memo`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct CommitMemo {
    /// 0: none yet.
    xid: u64,
    committed: bool,
}

/// What a statement may see: transactions below `xmin` are finished, those
/// at or above `xmax` had not started, and `running` were in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub xmin: u64,
    pub xmax: u64,
    pub running: Vec<u64>,
    /// The SERIALIZABLE transaction reading with it, if any: its reads
    /// take SIREAD locks and look for rw-conflicts (see [`predicate`]).
    pub serial: Option<predicate::SerialId>,
}

/// A running transaction id's owner.
#[derive(Clone, Copy, Debug)]
struct Running {
    pid: i32,
    /// The top-level transaction (the id itself for a top-level one).
    top: u64,
    /// The end of its commit record while the transaction is committing
    /// (logged, not yet durable); 0 before.
    committing: u64,
}

/// How many condition variables wake the sessions waiting for a
/// transaction to end (see `TransactionManager::ended`).
const ENDED_STRIPES: usize = 64;

pub struct TransactionManager {
    next_xid: AtomicU64,
    /// Running writers (top-level and subtransaction ids), each with its
    /// session's process id and its top-level transaction id.
    running: Mutex<BTreeMap<u64, Running>>,
    /// The committing transactions (top-level ids) that each running
    /// top-level transaction went past a row lock of (see the module
    /// documentation). Taken with `running` held, never the other way.
    dependencies: Mutex<std::collections::HashMap<u64, Vec<u64>, FastBuild>>,
    /// Signalled when a transaction leaves the running set: the one at
    /// `xid % ENDED_STRIPES`, so that a commit wakes the sessions waiting
    /// for that transaction (and the few that share its stripe), not every
    /// waiter in the server. All are used with the `running` mutex.
    ended: [wait::Event; ENDED_STRIPES],
    /// The oldest snapshot xmin each session (by process id) still uses:
    /// row versions that snapshot may see must not be vacuumed away.
    xmins: Mutex<std::collections::HashMap<i32, u64, FastBuild>>,
    /// Table and advisory locks; also the graph of waits for transactions
    /// (for deadlock detection across both kinds).
    pub locks: lock::LockManager,
    pub clog: Clog,
    /// Multixacts: the sets of transactions holding a row at once.
    pub multixacts: MultiXacts,
    /// Serializable transactions: SIREAD locks and rw-conflicts.
    pub serial: predicate::Serializable,
    wal: Arc<Wal>,
}

impl TransactionManager {
    pub fn new(clog: Clog, multixacts: MultiXacts, wal: Arc<Wal>, next_xid: u64) -> TransactionManager {
        TransactionManager {
            next_xid: AtomicU64::new(next_xid.max(FIRST_NORMAL_XID)),
            running: Mutex::new(BTreeMap::new()),
            dependencies: Mutex::new(std::collections::HashMap::default()),
            ended: std::array::from_fn(|_| wait::Event::default()),
            locks: lock::LockManager::default(),
            xmins: Mutex::new(std::collections::HashMap::default()),
            clog,
            multixacts,
            serial: predicate::Serializable::default(),
            wal,
        }
    }

    /// The next id to be assigned (saved in checkpoints).
    pub fn next_xid(&self) -> u64 {
        self.next_xid.load(Ordering::Acquire)
    }

    /// Give a writing transaction of session `pid` its id.
    pub fn assign(&self, pid: i32) -> u64 {
        // Under the lock, so that a snapshot never sees an id assigned but not yet running.
        let mut running = self.running.lock();
        let xid = self.next_xid.fetch_add(1, Ordering::AcqRel);
        running.insert(xid, Running { pid, top: xid, committing: 0 });
        xid
    }

    /// Give a subtransaction of top-level transaction `top` (of session
    /// `pid`) its id.
    pub fn assign_sub(&self, pid: i32, top: u64) -> u64 {
        let mut running = self.running.lock();
        let xid = self.next_xid.fetch_add(1, Ordering::AcqRel);
        running.insert(xid, Running { pid, top, committing: 0 });
        xid
    }

    /// Every running transaction id with its session (`pg_locks`).
    pub fn running_ids(&self) -> Vec<(u64, i32)> {
        self.running.lock().iter().map(|(&x, r)| (x, r.pid)).collect()
    }

    /// The session running transaction `xid`, if it is running.
    pub fn owner_of(&self, xid: u64) -> Option<i32> {
        self.running.lock().get(&xid).map(|r| r.pid)
    }

    /// Whether `xid` is transaction `me` or another running member of its
    /// family (its top-level transaction or a subtransaction not rolled
    /// back): PostgreSQL's TransactionIdIsCurrentTransactionId.
    pub fn is_mine(&self, xid: u64, me: u64) -> bool {
        if xid == me {
            return me != 0;
        }
        if me == 0 {
            return false;
        }
        let running = self.running.lock();
        match (running.get(&xid), running.get(&me)) {
            (Some(a), Some(b)) => a.top == b.top,
            _ => false,
        }
    }

    /// The running ids of top-level transaction `top`'s family, itself first.
    fn family(&self, top: u64) -> Vec<u64> {
        let running = self.running.lock();
        let mut ids = vec![top];
        ids.extend(running.range(top + 1..).filter(|(_, r)| r.top == top).map(|(&x, _)| x));
        ids
    }

    pub fn snapshot(&self) -> Snapshot {
        let running = self.running.lock();
        let xmax = self.next_xid.load(Ordering::Acquire);
        let xmin = running.first_key_value().map(|(&x, _)| x).unwrap_or(xmax);
        Snapshot { xmin, xmax, running: running.keys().copied().collect(), serial: None }
    }

    /// A snapshot for session `pid`, whose xmin is kept (with any older one
    /// the session holds) until [`Self::release_snapshots`]. Registered
    /// under the running-set lock, so that a concurrent [`Self::horizon`]
    /// cannot miss it.
    pub fn snapshot_for(&self, pid: i32) -> Snapshot {
        let running = self.running.lock();
        let xmax = self.next_xid.load(Ordering::Acquire);
        let xmin = running.first_key_value().map(|(&x, _)| x).unwrap_or(xmax);
        self.xmins.lock().entry(pid).or_insert(xmin);
        let deps = self.dependencies.lock();
        let mine = match deps.is_empty() {
            true => None,
            false => running.iter().find(|(x, r)| r.pid == pid && r.top == **x).and_then(|(x, _)| deps.get(x)),
        };
        let running = match mine {
            // The committing transactions this one depends on are
            // committed for it (their families with them).
            Some(d) => running.iter().filter(|(_, r)| !d.contains(&r.top)).map(|(&x, _)| x).collect(),
            None => running.keys().copied().collect(),
        };
        Snapshot { xmin, xmax, running, serial: None }
    }

    /// Session `pid`'s transaction ended: its snapshots are gone.
    pub fn release_snapshots(&self, pid: i32) {
        self.xmins.lock().remove(&pid);
    }

    /// Whether a session other than `pid` holds a snapshot older than
    /// `limit` (its xmin below it): one that may see row versions a
    /// snapshot with xmin `limit` knows to be dead to everyone.
    pub fn older_snapshot_held(&self, pid: i32, limit: u64) -> bool {
        self.xmins.lock().iter().any(|(&p, &x)| p != pid && x < limit)
    }

    /// The oldest transaction whose effects some snapshot may still not
    /// see: a version deleted by a transaction that committed below it is
    /// invisible to every snapshot, now and later.
    pub fn horizon(&self) -> u64 {
        let running = self.running.lock();
        let mut h = self.next_xid.load(Ordering::Acquire);
        if let Some((&x, _)) = running.first_key_value() {
            h = h.min(x);
        }
        self.xmins.lock().values().fold(h, |h, &x| h.min(x))
    }

    /// Whether this tuple version's insert aborted.
    pub fn inserter_aborted(&self, tuple: &[u8]) -> Result<bool> {
        let h = Header(tuple);
        Ok(!xmin_frozen(&h) && self.outcome(h.xmin())? == Some(false))
    }

    /// Whether no snapshot, now or later, can see this tuple version: its
    /// insert aborted, or its delete committed below `horizon`.
    pub fn dead_to_all(&self, tuple: &[u8], horizon: u64) -> Result<bool> {
        let h = Header(tuple);
        if self.inserter_aborted(tuple)? {
            return Ok(true);
        }
        if xmax_hinted(&h) {
            return Ok(true);
        }
        let Some(xmax) = self.updater(&h)? else { return Ok(false) };
        Ok(xmax < horizon && self.outcome(xmax)? == Some(true))
    }

    /// Whether every snapshot, now and later, sees this tuple version (for
    /// the visibility map): its insert committed below `horizon` (or is
    /// frozen) and no transaction that did not abort deleted or updated
    /// it. `Some(frozen)` if so, with whether it is frozen (its insert
    /// frozen, no `xmax` at all); `None` otherwise.
    pub fn visible_to_all(&self, tuple: &[u8], horizon: u64) -> Result<Option<bool>> {
        let h = Header(tuple);
        // A deleter or updater that did not abort (running or committed)
        // hides it from somebody; lockers hide nothing, but an `xmax` of
        // any kind leaves it unfrozen.
        let no_xmax = h.infomask() & crate::storage::heap::tuple::XMAX_INVALID != 0;
        if !no_xmax {
            if let Some(x) = self.updater(&h)? {
                if self.outcome(x)? != Some(false) {
                    return Ok(None);
                }
            }
        }
        if xmin_frozen(&h) {
            return Ok(Some(no_xmax));
        }
        let committed = h.xmin() < horizon && self.outcome(h.xmin())? == Some(true);
        Ok(committed.then_some(false))
    }

    /// Log the commit of `xid` and record it in the commit log; returns the
    /// LSN the caller must see flushed (for `synchronous_commit = on`)
    /// before calling [`Self::finish_commit`]. Until then `xid` stays in the
    /// running set, so no one sees it committed; a commit-log page is never
    /// written before the WAL up to its newest commit record is durable.
    /// Both halves happen with checkpoints held off: a checkpoint whose
    /// redo point followed the record but whose commit-log flush missed the
    /// bit would lose the commit in a crash.
    /// The record names the subtransactions that commit with it.
    pub fn log_commit(&self, xid: u64) -> Result<u64> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0);
        let family = self.family(xid);
        let mut payload = Vec::with_capacity(8 * family.len());
        payload.extend_from_slice(&now.to_le_bytes());
        family[1..].iter().for_each(|x| payload.extend_from_slice(&x.to_le_bytes()));
        let _delay = self.wal.delay_checkpoint();
        let (_, end) = self.wal.insert(xid, Rmgr::Transaction, XACT_COMMIT, &payload)?;
        for &x in family.iter().rev() {
            self.clog.set(x, XidStatus::Committed, end)?;
        }
        // Committing: its row locks go now (see the module documentation).
        let mut running = self.running.lock();
        for x in &family {
            if let Some(r) = running.get_mut(x) {
                r.committing = end;
            }
        }
        drop(running);
        family.iter().for_each(|&x| self.notify_ended(x));
        Ok(end)
    }

    /// The commit record is durable (or need not be waited for): make the
    /// commit visible, with its subtransactions' (all at once). The
    /// committing transactions it depends on become visible first, if
    /// their own sessions have not got that far yet: their commits are
    /// durable too ([`Self::dependency_lsn`] was awaited).
    pub fn finish_commit(&self, xid: u64, _lsn: u64) -> Result<()> {
        self.finish_dependencies(xid);
        self.leave_family(xid);
        Ok(())
    }

    /// Make the committing transactions `top` depends on visible, theirs
    /// first.
    fn finish_dependencies(&self, top: u64) {
        let Some(deps) = self.dependencies.lock().remove(&top) else { return };
        for d in deps {
            let committing = self.running.lock().get(&d).is_some_and(|r| r.committing != 0);
            if committing {
                self.finish_dependencies(d);
                self.leave_family(d);
            }
        }
    }

    /// The WAL position that must be durable before top-level transaction
    /// `top` may become visible: the end of the newest commit record among
    /// the committing transactions it depends on (0: none).
    pub fn dependency_lsn(&self, top: u64) -> u64 {
        let running = self.running.lock();
        let deps = self.dependencies.lock();
        let Some(d) = deps.get(&top) else { return 0 };
        d.iter().filter_map(|x| running.get(x)).map(|r| r.committing).max().unwrap_or(0)
    }

    /// The outcome of `xid` as a writer of rows sees it when it meets one
    /// of `xid`'s row locks: a committing transaction counts as committed,
    /// and `me` then depends on it.
    fn outcome_for_writer(&self, xid: u64, me: u64) -> Result<Option<bool>> {
        let running = self.running.lock();
        let Some(r) = running.get(&xid) else {
            drop(running);
            return Ok(Some(self.clog.status(xid)? == XidStatus::Committed));
        };
        if r.committing == 0 {
            return Ok(None);
        }
        let Some(my_top) = running.get(&me).map(|m| m.top) else {
            // Without an id of its own nothing can depend on the commit:
            // wait for it as for any other.
            return Ok(None);
        };
        let mut deps = self.dependencies.lock();
        let mine = deps.entry(my_top).or_default();
        if !mine.contains(&r.top) {
            mine.push(r.top);
        }
        Ok(Some(true))
    }

    /// Roll back `xid` and its subtransactions: their changes stay in the
    /// heap but are never visible.
    pub fn abort(&self, xid: u64) -> Result<()> {
        self.log_abort(&self.family(xid))?;
        self.leave_family(xid);
        Ok(())
    }

    /// Roll back subtransactions (`ROLLBACK TO SAVEPOINT`): their ids are
    /// aborted at once, while their top-level transaction goes on.
    pub fn abort_subs(&self, xids: &[u64]) -> Result<()> {
        if xids.is_empty() {
            return Ok(());
        }
        self.log_abort(xids)?;
        let mut running = self.running.lock();
        xids.iter().for_each(|x| _ = running.remove(x));
        drop(running);
        xids.iter().for_each(|&x| self.notify_ended(x));
        Ok(())
    }

    /// One abort record for `xids` (the first is the record's own).
    fn log_abort(&self, xids: &[u64]) -> Result<()> {
        let payload: Vec<u8> = xids[1..].iter().flat_map(|x| x.to_le_bytes()).collect();
        let _delay = self.wal.delay_checkpoint();
        let (_, end) = self.wal.insert(xids[0], Rmgr::Transaction, XACT_ABORT, &payload)?;
        for &x in xids {
            self.clog.set(x, XidStatus::Aborted, end)?;
        }
        Ok(())
    }

    /// Top-level transaction `top` and its subtransactions leave the running set together.
    fn leave_family(&self, top: u64) {
        let mut running = self.running.lock();
        running.remove(&top);
        self.dependencies.lock().remove(&top);
        let subs: Vec<u64> = running.range(top + 1..).filter(|(_, r)| r.top == top).map(|(&x, _)| x).collect();
        subs.iter().for_each(|x| _ = running.remove(x));
        drop(running);
        self.notify_ended(top);
        subs.iter().for_each(|&x| self.notify_ended(x));
    }

    /// Wake the sessions waiting for `xid` to end (see `ended`).
    fn notify_ended(&self, xid: u64) {
        self.ended[(xid % ENDED_STRIPES as u64) as usize].notify_all();
    }

    /// How many top-level transactions other than `top` are running.
    pub fn open_besides(&self, top: u64) -> usize {
        self.running.lock().iter().filter(|(x, r)| r.top == **x && **x != top).count()
    }

    /// Whether `xid` is still running.
    pub fn is_running(&self, xid: u64) -> bool {
        self.running.lock().contains_key(&xid)
    }

    /// The top-level transaction of running `xid` (itself if it is one,
    /// or if it is not running).
    pub fn top_level(&self, xid: u64) -> u64 {
        self.running.lock().get(&xid).map_or(xid, |r| r.top)
    }

    /// Whether `xid` has ended and did not commit.
    pub fn aborted(&self, xid: u64) -> Result<bool> {
        Ok(self.outcome(xid)? == Some(false))
    }

    /// Wait until `xid` has committed or aborted (see [`wait`]), calling
    /// `interrupted` whenever the wait wakes (its error ends the wait: a
    /// cancel or a statement timeout). Session `pid` waits: if `xid`'s
    /// session already waits, directly or not, for `pid`, the wait would
    /// never end, and it fails with 40P01 instead.
    pub fn wait_for(&self, pid: i32, xid: u64, interrupted: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        self.wait_while(pid, xid, false, interrupted)
    }

    /// As [`Self::wait_for`], for writer `me` waiting for the holder of a
    /// row lock: the wait ends once `xid` is committing (see the module
    /// documentation), if `me` is a running transaction that may depend
    /// on it.
    pub fn wait_for_row_holder(
        &self,
        pid: i32,
        me: u64,
        xid: u64,
        interrupted: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        let may_depend = self.is_running(me);
        self.wait_while(pid, xid, may_depend, interrupted)
    }

    fn wait_while(
        &self,
        pid: i32,
        xid: u64,
        until_committing: bool,
        interrupted: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        self.locks.wait_for_transaction(pid, xid, &|x| self.owner_of(x))?;
        let holds = |r: &Running| !until_committing || r.committing == 0;
        let result = (|| {
            let mut running = self.running.lock();
            while running.get(&xid).is_some_and(holds) {
                self.ended[(xid % ENDED_STRIPES as u64) as usize].wait(&mut running, None);
                drop(running);
                interrupted()?;
                running = self.running.lock();
            }
            Ok(())
        })();
        self.locks.stop_waiting(pid);
        result
    }

    pub fn status(&self, xid: u64) -> Result<XidStatus> {
        self.clog.status(xid)
    }

    /// Whether `xid`'s effects are visible to `snap` (committed before it was taken).
    pub fn committed_before(&self, xid: u64, snap: &Snapshot) -> Result<bool> {
        if xid >= snap.xmax || snap.running.binary_search(&xid).is_ok() {
            return Ok(false);
        }
        Ok(self.clog.status(xid)? == XidStatus::Committed)
    }

    /// As [`TransactionManager::committed_before`], answering from `memo`
    /// when it holds `xid`'s answer (and keeping it there otherwise).
    fn committed_before_memo(&self, xid: u64, snap: &Snapshot, memo: &mut CommitMemo) -> Result<bool> {
        if memo.xid != xid || xid == 0 {
            *memo = CommitMemo { xid, committed: self.committed_before(xid, snap)? };
        }
        Ok(memo.committed)
    }

    /// PostgreSQL's HeapTupleSatisfiesMVCC: is this tuple version visible to
    /// `snap`, for transaction `me` (0 if it has none) at command `cid`?
    pub fn tuple_visible(&self, tuple: &[u8], snap: &Snapshot, me: u64, cid: u32) -> Result<bool> {
        self.tuple_visible_memo(tuple, snap, me, cid, &mut CommitMemo::default())
    }

    /// [`TransactionManager::tuple_visible`] for a run of tuples read with
    /// the same snapshot (a block's), remembering the last commit-log
    /// answer in `memo`: most neighbouring rows were written by the same
    /// transaction. A memo is good for one snapshot, and only while this
    /// transaction does not change (a subtransaction's rollback changes
    /// what its own ids look like), i.e. within one call of a scan.
    pub fn tuple_visible_memo(
        &self,
        tuple: &[u8],
        snap: &Snapshot,
        me: u64,
        cid: u32,
        memo: &mut CommitMemo,
    ) -> Result<bool> {
        let h = Header(tuple);
        let xmin = h.xmin();
        // A committed id is never ours, so the family lookup is only made
        // for ids the snapshot does not see committed.
        let own_insert =
            !xmin_frozen(&h) && ((xmin == me && me != 0) || !self.committed_before_memo(xmin, snap, memo)?);
        if own_insert {
            if !self.is_mine(xmin, me) {
                return Ok(false);
            }
            // Our own insert: visible to later commands only.
            if h.cid() >= cid && !h.has_deleter() {
                return Ok(false);
            }
        }
        if !h.has_deleter() {
            return Ok(true);
        }
        if xmax_hinted(&h) {
            return Ok(false);
        }
        let Some(xmax) = self.updater(&h)? else { return Ok(true) };
        if self.committed_before_memo(xmax, snap, memo)? {
            return Ok(false);
        }
        if self.is_mine(xmax, me) {
            // Deleted by us: still visible to commands before the delete.
            return Ok(h.cid() >= cid);
        }
        Ok(true)
    }
}

impl TransactionManager {
    /// Whether transaction `me` may update or delete this tuple version now
    /// (checked under the page lock): `true` if nobody else has, `false` if
    /// `me` already did (the row is then skipped, as PostgreSQL skips rows
    /// its own command already changed). A version changed by a transaction
    /// that is still running or has committed is a serialization failure:
    /// tusk does not yet wait for the other writer and re-check the newest
    /// version, so it refuses rather than lose an update.
    pub fn check_updatable(&self, tuple: &[u8], me: u64) -> Result<bool> {
        match self.row_check(tuple, me, RowLock::Update)? {
            RowCheck::Free(_) => Ok(true),
            RowCheck::SelfModified => Ok(false),
            RowCheck::BeingModified(_) | RowCheck::Modified => {
                Err(err!(SqlState::T_R_SERIALIZATION_FAILURE, "could not serialize access due to concurrent update"))
            }
        }
    }
}

/// Whether a transaction may update or delete a tuple version now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateCheck {
    /// Nobody else has changed it: go ahead.
    Free,
    /// This transaction (this or an earlier command) already changed it.
    SelfModified,
    /// Another transaction, still running, changed or locked it.
    BeingModified(u64),
    /// Another transaction changed it and committed.
    Modified,
}

/// What an existing tuple version means for a unique index that is about
/// to get another entry with its key (PostgreSQL's "dirty snapshot" view).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueStatus {
    /// Its insert aborted, or a committed delete (or our own) removed it.
    Dead,
    /// Committed (or ours) and not deleted: the key is taken.
    Live,
    /// Another transaction, still running, inserted or deleted it: the
    /// answer depends on how it ends.
    InProgress(u64),
}

impl TransactionManager {
    /// See [`UpdateCheck`] (for a delete, or a FOR UPDATE lock); called
    /// under the page's lock.
    pub fn update_check(&self, tuple: &[u8], me: u64) -> Result<UpdateCheck> {
        Ok(Self::as_update_check(self.row_check(tuple, me, RowLock::Update)?))
    }

    /// The status of a transaction other than `me` that wrote a tuple:
    /// `None` while it runs, else whether it committed (a transaction that
    /// is neither running nor committed died in a crash: aborted).
    fn outcome(&self, xid: u64) -> Result<Option<bool>> {
        // The running set first: a transaction records its outcome in the
        // commit log before it leaves the set, so once it is seen gone the
        // log has the answer. (Read the other way round, a commit between
        // the two reads would look like a crash.)
        if self.is_running(xid) {
            return Ok(None);
        }
        Ok(Some(self.clog.status(xid)? == XidStatus::Committed))
    }

    /// See [`UniqueStatus`]; `me` is the inserting transaction.
    pub fn unique_status(&self, tuple: &[u8], me: u64) -> Result<UniqueStatus> {
        let h = Header(tuple);
        let xmin = h.xmin();
        // Deleted by the very (sub)transaction that inserted it (an
        // INSERT … ON CONFLICT that lost a race takes its row back so):
        // however that transaction ends, the version never holds its key.
        if h.has_deleter() && !h.is_multi() && h.xmax() == xmin {
            return Ok(UniqueStatus::Dead);
        }
        if !xmin_frozen(&h) && !self.is_mine(xmin, me) {
            match self.outcome(xmin)? {
                Some(false) => return Ok(UniqueStatus::Dead),
                None => return Ok(UniqueStatus::InProgress(xmin)),
                Some(true) => {}
            }
        }
        if xmax_hinted(&h) {
            return Ok(UniqueStatus::Dead);
        }
        let Some(xmax) = self.updater(&h)? else { return Ok(UniqueStatus::Live) };
        if self.is_mine(xmax, me) {
            return Ok(UniqueStatus::Dead);
        }
        Ok(match self.outcome(xmax)? {
            Some(true) => UniqueStatus::Dead,
            Some(false) => UniqueStatus::Live,
            None => UniqueStatus::InProgress(xmax),
        })
    }

    /// Whether the tuple's inserting transaction committed before `snap`
    /// was taken (or is frozen).
    pub fn inserted_before(&self, tuple: &[u8], snap: &Snapshot) -> Result<bool> {
        let h = Header(tuple);
        Ok(xmin_frozen(&h) || self.committed_before(h.xmin(), snap)?)
    }

    /// Whether the tuple's inserting transaction aborted (or died).
    pub fn inserted_by_aborted(&self, tuple: &[u8]) -> Result<bool> {
        let h = Header(tuple);
        Ok(!xmin_frozen(&h) && self.outcome(h.xmin())? == Some(false))
    }
}

impl TransactionManager {
    /// For a SERIALIZABLE reader (`me`, 0 if it has no id) that examined
    /// this tuple version (`visible` to `snap` or not): the concurrent
    /// transaction whose write its snapshot ignores, if any — the deleter
    /// of a visible version, or the inserter of one invisible because it
    /// committed after the snapshot or still runs (PostgreSQL's
    /// HeapCheckForSerializableConflictOut).
    pub fn concurrent_writer(&self, tuple: &[u8], snap: &Snapshot, me: u64, visible: bool) -> Result<Option<u64>> {
        let h = Header(tuple);
        let xid = if visible {
            if !h.has_deleter() || xmax_hinted(&h) {
                return Ok(None);
            }
            match self.updater(&h)? {
                Some(x) => x,
                None => return Ok(None),
            }
        } else {
            if xmin_frozen(&h) {
                return Ok(None);
            }
            h.xmin()
        };
        if self.is_mine(xid, me) || self.committed_before(xid, snap)? {
            return Ok(None);
        }
        Ok(Some(xid))
    }
}

impl ResourceManager for TransactionManager {
    fn rmgr(&self) -> Rmgr {
        Rmgr::Transaction
    }

    fn redo(&self, rec: &Record) -> Result<()> {
        let status = match rec.info {
            multixact::XACT_MULTI_CREATE => return self.multixacts.redo_create(&rec.payload, rec.end_lsn()),
            XACT_COMMIT => XidStatus::Committed,
            XACT_ABORT => XidStatus::Aborted,
            other => return Err(err!(SqlState::DATA_CORRUPTED, "unknown transaction WAL record kind {other:#x}")),
        };
        // A commit's payload starts with its timestamp; then come the ids
        // of the subtransactions that share its outcome.
        let subs = if status == XidStatus::Committed { rec.payload.get(8..).unwrap_or(&[]) } else { &rec.payload[..] };
        let mut last = rec.xid;
        for x in subs.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))) {
            self.clog.set(x, status, rec.end_lsn())?;
            last = last.max(x);
        }
        self.clog.set(rec.xid, status, rec.end_lsn())?;
        let next = self.next_xid.load(Ordering::Acquire).max(last + 1);
        self.next_xid.store(next, Ordering::Release);
        Ok(())
    }

    fn checkpoint(&self, wal: &Wal) -> Result<()> {
        self.clog.flush(|lsn| wal.flush_to(lsn))?;
        self.multixacts.checkpoint(wal)
    }

    fn next_xid(&self) -> Option<u64> {
        Some(TransactionManager::next_xid(self))
    }
}

#[cfg(test)]
mod tests;
