//! Heavyweight locks: PostgreSQL's eight table-lock modes and its conflict
//! table, on relations and on advisory keys, held by a session until its
//! transaction ends (or, for session-level advisory locks, until released).
//!
//! A request that conflicts with a lock another session holds, or with an
//! earlier waiter's request, waits in a first-come queue. Deadlocks are
//! looked for once a wait has lasted `deadlock_timeout`: the graph of who
//! waits for whom covers these locks and waits for a transaction to end
//! (row locks and unique checks), so a cycle through both kinds is found.
//! The waiter that finds the cycle fails with 40P01; the others go on.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::storage::hash::FastBuild;
use crate::txn::wait::Event;

/// A table-lock mode, weakest first (PostgreSQL's numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LockMode {
    AccessShare = 1,
    RowShare = 2,
    RowExclusive = 3,
    ShareUpdateExclusive = 4,
    Share = 5,
    ShareRowExclusive = 6,
    Exclusive = 7,
    AccessExclusive = 8,
}

impl LockMode {
    const ALL: [LockMode; 8] = [
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    fn bit(self) -> u16 {
        1 << self as u16
    }

    /// The modes this one conflicts with, as a mask of [`LockMode::bit`]s.
    fn conflicts(self) -> u16 {
        use LockMode::*;
        let modes: &[LockMode] = match self {
            AccessShare => &[AccessExclusive],
            RowShare => &[Exclusive, AccessExclusive],
            RowExclusive => &[Share, ShareRowExclusive, Exclusive, AccessExclusive],
            ShareUpdateExclusive => &[ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive],
            Share => &[RowExclusive, ShareUpdateExclusive, ShareRowExclusive, Exclusive, AccessExclusive],
            ShareRowExclusive => {
                &[RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive]
            }
            Exclusive => {
                &[RowShare, RowExclusive, ShareUpdateExclusive, Share, ShareRowExclusive, Exclusive, AccessExclusive]
            }
            AccessExclusive => &LockMode::ALL,
        };
        modes.iter().fold(0, |m, l| m | l.bit())
    }

    pub fn conflicts_with(self, other: LockMode) -> bool {
        self.conflicts() & other.bit() != 0
    }

    /// The name PostgreSQL reports (`pg_locks.mode`, deadlock details).
    pub fn name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowShare => "RowShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
        }
    }
}

/// What is locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockTag {
    Relation {
        db: u32,
        rel: u32,
    },
    /// `pg_advisory_lock(bigint)` (`pair` false) or `(int, int)` (`pair`
    /// true, the two keys in the high and low halves).
    Advisory {
        db: u32,
        key: u64,
        pair: bool,
    },
}

impl std::fmt::Display for LockTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            LockTag::Relation { db, rel } => write!(f, "relation {rel} of database {db}"),
            LockTag::Advisory { db, key, pair } => {
                write!(f, "advisory lock [{db},{},{},{}]", key >> 32, key & 0xffff_ffff, if pair { 2 } else { 1 })
            }
        }
    }
}

/// A session's claim: `xact` locks end with its transaction, `session`
/// ones (advisory) when released or at disconnect. Counts matter only to
/// advisory unlocks, which release one acquisition at a time.
#[derive(Clone, Copy, Debug)]
struct Holder {
    pid: i32,
    mode: LockMode,
    xact: u32,
    session: u32,
    /// When it was granted (a counter): a session that lets go of the
    /// lock and takes it again is a new holder, which a wait for the
    /// lockers there were ([`LockManager::wait_for_lockers`]) ignores.
    granted: u64,
}

#[derive(Default)]
struct Lock {
    holders: Vec<Holder>,
    /// Waiting requests in arrival order.
    queue: VecDeque<(i32, LockMode)>,
}

impl Lock {
    /// Whether `pid` may have `mode` now: no other holder's mode conflicts,
    /// and no earlier waiter's request does (unless `pid` already holds a
    /// lock here: queueing behind a waiter that waits for it would deadlock).
    fn grantable(&self, pid: i32, mode: LockMode) -> bool {
        let conflicts = mode.conflicts();
        if self.holders.iter().any(|h| h.pid != pid && conflicts & h.mode.bit() != 0) {
            return false;
        }
        if self.holders.iter().any(|h| h.pid == pid) {
            return true;
        }
        self.queue.iter().take_while(|w| w.0 != pid).all(|w| conflicts & w.1.bit() == 0)
    }

    fn grant(&mut self, pid: i32, mode: LockMode, session: bool, granted: u64) {
        let h = match self.holders.iter_mut().find(|h| h.pid == pid && h.mode == mode) {
            Some(h) => h,
            None => {
                self.holders.push(Holder { pid, mode, xact: 0, session: 0, granted });
                self.holders.last_mut().expect("just pushed")
            }
        };
        if session {
            h.session += 1;
        } else {
            h.xact += 1;
        }
    }

    /// The sessions `pid`'s request for `mode` waits for.
    fn blockers(&self, pid: i32, mode: LockMode, out: &mut Vec<i32>) {
        let conflicts = mode.conflicts();
        for h in &self.holders {
            if h.pid != pid && conflicts & h.mode.bit() != 0 {
                out.push(h.pid);
            }
        }
        for w in self.queue.iter().take_while(|w| w.0 != pid) {
            if conflicts & w.1.bit() != 0 {
                out.push(w.0);
            }
        }
    }
}

/// What a waiting session waits for.
#[derive(Clone, Debug)]
enum Waiting {
    Lock(LockTag, LockMode),
    Transaction(u64),
    /// The holders (session, [`Holder::granted`]) of locks on the tag
    /// that conflict with the mode, to let go
    /// ([`LockManager::wait_for_lockers`]).
    Lockers(LockTag, LockMode, Vec<(i32, u64)>),
}

#[derive(Default)]
struct Table {
    /// Grants so far (see [`Holder::granted`]).
    grants: u64,
    locks: HashMap<LockTag, Lock, FastBuild>,
    /// The tags each session holds something on.
    held: HashMap<i32, Vec<LockTag>, FastBuild>,
    waiting: HashMap<i32, Waiting, FastBuild>,
}

impl Table {
    /// Grant `mode` on `tag` to `pid` (which [`Lock::grantable`] allowed).
    fn grant(&mut self, pid: i32, tag: LockTag, mode: LockMode, session: bool) {
        self.grants += 1;
        let granted = self.grants;
        self.locks.entry(tag).or_default().grant(pid, mode, session, granted);
        self.remember(pid, tag);
    }

    /// Whether one of `holders` (session, grant) still holds a lock on `tag`.
    fn still_held(&self, tag: &LockTag, holders: &[(i32, u64)]) -> bool {
        self.locks.get(tag).is_some_and(|l| l.holders.iter().any(|h| holders.contains(&(h.pid, h.granted))))
    }

    fn remember(&mut self, pid: i32, tag: LockTag) {
        let tags = self.held.entry(pid).or_default();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
}

/// How a lock request behaves when it cannot be granted at once.
pub struct Wait<'a> {
    /// Fail at once instead of waiting (`NOWAIT`, `pg_try_advisory_lock`).
    pub nowait: bool,
    /// `lock_timeout`: give up after this long (55P03).
    pub timeout: Option<Duration>,
    /// `deadlock_timeout`: look for a deadlock after waiting this long.
    pub deadlock_timeout: Duration,
    /// Checked whenever the waiter wakes: a cancel or statement timeout
    /// ends the wait.
    pub interrupted: &'a mut dyn FnMut() -> Result<()>,
}

#[derive(Default)]
pub struct LockManager {
    table: Mutex<Table>,
    /// Signalled whenever locks are released or a waiter leaves a queue.
    released: Event,
    pub stats: LockStats,
}

/// Counters for the metrics endpoint.
#[derive(Debug, Default)]
pub struct LockStats {
    /// Lock requests and transaction waits that could not go on at once.
    pub waits: std::sync::atomic::AtomicU64,
    pub deadlocks: std::sync::atomic::AtomicU64,
    pub timeouts: std::sync::atomic::AtomicU64,
}

impl LockStats {
    fn count(counter: &std::sync::atomic::AtomicU64) {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Prometheus text lines.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        use std::sync::atomic::Ordering::Relaxed;
        for (name, help, v) in [
            ("tusk_lock_waits_total", "Lock requests and row waits that had to wait.", &self.waits),
            ("tusk_deadlocks_total", "Deadlocks detected (40P01).", &self.deadlocks),
            ("tusk_lock_timeouts_total", "Lock waits ended by lock_timeout (55P03).", &self.timeouts),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", v.load(Relaxed));
        }
    }
}

impl LockManager {
    /// Take `mode` on `tag` for session `pid` (for its transaction, or with
    /// `session` until released), waiting as `wait` says. `Ok(false)` only
    /// with `nowait`, when the lock is not free. `owner_of` names the
    /// session running a transaction, for the deadlock check.
    pub fn acquire(
        &self,
        pid: i32,
        tag: LockTag,
        mode: LockMode,
        session: bool,
        wait: &mut Wait<'_>,
        owner_of: &dyn Fn(u64) -> Option<i32>,
    ) -> Result<bool> {
        let mut t = self.table.lock();
        let lock = t.locks.entry(tag).or_default();
        if lock.grantable(pid, mode) {
            t.grant(pid, tag, mode, session);
            return Ok(true);
        }
        if wait.nowait {
            return Ok(false);
        }
        lock.queue.push_back((pid, mode));
        t.waiting.insert(pid, Waiting::Lock(tag, mode));
        LockStats::count(&self.stats.waits);
        let started = Instant::now();
        let mut deadlock_checked = false;
        let result = loop {
            if t.locks.get(&tag).is_some_and(|lock| lock.grantable(pid, mode)) {
                t.grant(pid, tag, mode, session);
                break Ok(());
            }
            let waited = started.elapsed();
            if !deadlock_checked && waited >= wait.deadlock_timeout {
                deadlock_checked = true;
                if let Some(cycle) = find_cycle(&t, pid, owner_of) {
                    LockStats::count(&self.stats.deadlocks);
                    break Err(deadlock(&t, &cycle));
                }
            }
            if wait.timeout.is_some_and(|limit| waited >= limit) {
                LockStats::count(&self.stats.timeouts);
                break Err(err!(SqlState::LOCK_NOT_AVAILABLE, "canceling statement due to lock timeout"));
            }
            // Wake for a release, the deadlock check, or the timeout.
            let deadlock_check = (!deadlock_checked).then(|| started + wait.deadlock_timeout);
            let give_up = wait.timeout.map(|limit| started + limit);
            self.released.wait(&mut t, deadlock_check.into_iter().chain(give_up).min());
            let interrupted = parking_lot::MutexGuard::unlocked(&mut t, || (wait.interrupted)());
            if let Err(e) = interrupted {
                break Err(e);
            }
        };
        t.waiting.remove(&pid);
        if let Some(lock) = t.locks.get_mut(&tag) {
            if let Some(at) = lock.queue.iter().position(|w| w.0 == pid) {
                lock.queue.remove(at);
            }
            if lock.holders.is_empty() && lock.queue.is_empty() {
                t.locks.remove(&tag);
            }
        }
        drop(t);
        // Leaving the queue may let those behind go.
        self.released.notify_all();
        result.map(|()| true)
    }

    /// Wait until the sessions other than `pid` that hold a lock on `tag`
    /// conflicting with `mode` now have let go of it (their transactions
    /// ended), without taking any lock: PostgreSQL's WaitForLockers. Who
    /// takes such a lock meanwhile is not waited for. `wait.nowait` and
    /// `wait.timeout` do not apply; the deadlock check and interrupts do.
    pub fn wait_for_lockers(
        &self,
        pid: i32,
        tag: LockTag,
        mode: LockMode,
        wait: &mut Wait<'_>,
        owner_of: &dyn Fn(u64) -> Option<i32>,
    ) -> Result<()> {
        let mut t = self.table.lock();
        let conflicts = mode.conflicts();
        let awaited: Vec<(i32, u64)> = match t.locks.get(&tag) {
            Some(lock) => lock
                .holders
                .iter()
                .filter(|h| h.pid != pid && conflicts & h.mode.bit() != 0)
                .map(|h| (h.pid, h.granted))
                .collect(),
            None => Vec::new(),
        };
        if awaited.is_empty() {
            return Ok(());
        }
        t.waiting.insert(pid, Waiting::Lockers(tag, mode, awaited.clone()));
        LockStats::count(&self.stats.waits);
        let started = Instant::now();
        let mut deadlock_checked = false;
        let result = loop {
            if !t.still_held(&tag, &awaited) {
                break Ok(());
            }
            if !deadlock_checked && started.elapsed() >= wait.deadlock_timeout {
                deadlock_checked = true;
                if let Some(cycle) = find_cycle(&t, pid, owner_of) {
                    LockStats::count(&self.stats.deadlocks);
                    break Err(deadlock(&t, &cycle));
                }
            }
            let deadlock_check = (!deadlock_checked).then(|| started + wait.deadlock_timeout);
            self.released.wait(&mut t, deadlock_check);
            let interrupted = parking_lot::MutexGuard::unlocked(&mut t, || (wait.interrupted)());
            if let Err(e) = interrupted {
                break Err(e);
            }
        };
        t.waiting.remove(&pid);
        result
    }

    /// Release one session-level acquisition of `mode` on `tag`
    /// (`pg_advisory_unlock`); false if `pid` held none.
    pub fn release_one(&self, pid: i32, tag: LockTag, mode: LockMode) -> bool {
        let mut t = self.table.lock();
        let Some(lock) = t.locks.get_mut(&tag) else { return false };
        let Some(at) = lock.holders.iter().position(|h| h.pid == pid && h.mode == mode && h.session > 0) else {
            return false;
        };
        lock.holders[at].session -= 1;
        if lock.holders[at].session == 0 && lock.holders[at].xact == 0 {
            lock.holders.swap_remove(at);
        }
        let now_free = !lock.holders.iter().any(|h| h.pid == pid);
        if lock.holders.is_empty() && lock.queue.is_empty() {
            t.locks.remove(&tag);
        }
        if now_free {
            if let Some(tags) = t.held.get_mut(&pid) {
                tags.retain(|x| *x != tag);
            }
        }
        drop(t);
        self.released.notify_all();
        true
    }

    /// The transaction of session `pid` ended: release its transaction
    /// locks, and with `session` (disconnect, `pg_advisory_unlock_all`)
    /// its session-level ones too (only those, if `xact` is false).
    pub fn release_all(&self, pid: i32, xact: bool, session: bool) {
        let mut t = self.table.lock();
        let Some(tags) = t.held.remove(&pid) else { return };
        let mut kept = Vec::new();
        for tag in tags {
            let Some(lock) = t.locks.get_mut(&tag) else { continue };
            lock.holders.retain_mut(|h| {
                if h.pid != pid {
                    return true;
                }
                if xact {
                    h.xact = 0;
                }
                if session {
                    h.session = 0;
                }
                h.xact > 0 || h.session > 0
            });
            if lock.holders.iter().any(|h| h.pid == pid) {
                kept.push(tag);
            }
            if lock.holders.is_empty() && lock.queue.is_empty() {
                t.locks.remove(&tag);
            }
        }
        if !kept.is_empty() {
            t.held.insert(pid, kept);
        }
        drop(t);
        self.released.notify_all();
    }

    /// Session `pid` starts waiting for transaction `xid` to end (an edge
    /// of the deadlock graph until [`Self::stop_waiting`]). Returns the
    /// deadlock error if the wait closes a cycle.
    pub fn wait_for_transaction(&self, pid: i32, xid: u64, owner_of: &dyn Fn(u64) -> Option<i32>) -> Result<()> {
        let mut t = self.table.lock();
        t.waiting.insert(pid, Waiting::Transaction(xid));
        LockStats::count(&self.stats.waits);
        if let Some(cycle) = find_cycle(&t, pid, owner_of) {
            LockStats::count(&self.stats.deadlocks);
            let e = deadlock(&t, &cycle);
            t.waiting.remove(&pid);
            return Err(e);
        }
        Ok(())
    }

    pub fn stop_waiting(&self, pid: i32) {
        self.table.lock().waiting.remove(&pid);
    }

    /// The sessions waiting for a transaction to end: (pid, xid).
    pub fn transaction_waits(&self) -> Vec<(i32, u64)> {
        let t = self.table.lock();
        let waits = t.waiting.iter().filter_map(|(&pid, w)| match *w {
            Waiting::Transaction(xid) => Some((pid, xid)),
            Waiting::Lock(..) | Waiting::Lockers(..) => None,
        });
        waits.collect()
    }

    /// The sessions `pid` waits for right now (`pg_blocking_pids`).
    pub fn blocking_pids(&self, pid: i32, owner_of: &dyn Fn(u64) -> Option<i32>) -> Vec<i32> {
        blockers(&self.table.lock(), pid, owner_of)
    }

    /// Every granted lock and waiting request: (pid, tag, mode, granted).
    pub fn snapshot(&self) -> Vec<(i32, LockTag, LockMode, bool)> {
        let t = self.table.lock();
        let mut out = Vec::new();
        for (tag, lock) in &t.locks {
            out.extend(lock.holders.iter().map(|h| (h.pid, *tag, h.mode, true)));
            out.extend(lock.queue.iter().map(|w| (w.0, *tag, w.1, false)));
        }
        out
    }
}

/// The sessions `pid` waits for right now.
fn blockers(t: &Table, pid: i32, owner_of: &dyn Fn(u64) -> Option<i32>) -> Vec<i32> {
    let mut out = Vec::new();
    match t.waiting.get(&pid) {
        Some(Waiting::Lock(tag, mode)) => {
            if let Some(lock) = t.locks.get(tag) {
                lock.blockers(pid, *mode, &mut out);
            }
        }
        Some(Waiting::Transaction(xid)) => out.extend(owner_of(*xid).filter(|&p| p != pid)),
        Some(Waiting::Lockers(tag, _, holders)) => {
            if let Some(lock) = t.locks.get(tag) {
                out.extend(lock.holders.iter().filter(|h| holders.contains(&(h.pid, h.granted))).map(|h| h.pid));
            }
        }
        None => {}
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A cycle of waits through `start`, as the list of sessions along it
/// (starting with `start`), if there is one.
fn find_cycle(t: &Table, start: i32, owner_of: &dyn Fn(u64) -> Option<i32>) -> Option<Vec<i32>> {
    // Depth-first search over the wait-for graph; `path` is the current branch.
    let mut path = vec![start];
    let mut stack = vec![blockers(t, start, owner_of)];
    let mut seen = std::collections::HashSet::from([start]);
    while let Some(next) = stack.last_mut() {
        let Some(p) = next.pop() else {
            stack.pop();
            path.pop();
            continue;
        };
        if p == start {
            return Some(path);
        }
        if seen.insert(p) {
            path.push(p);
            stack.push(blockers(t, p, owner_of));
        }
    }
    None
}

/// 40P01 with PostgreSQL's DETAIL: one line per process of the cycle.
fn deadlock(t: &Table, cycle: &[i32]) -> Error {
    let detail: Vec<String> = cycle
        .iter()
        .enumerate()
        .map(|(i, pid)| {
            let next = cycle[(i + 1) % cycle.len()];
            let what = match t.waiting.get(pid) {
                Some(Waiting::Lock(tag, mode) | Waiting::Lockers(tag, mode, _)) => format!("{} on {tag}", mode.name()),
                Some(Waiting::Transaction(xid)) => format!("ShareLock on transaction {xid}"),
                None => "a lock".to_string(),
            };
            format!("Process {pid} waits for {what}; blocked by process {next}.")
        })
        .collect();
    err!(SqlState::T_R_DEADLOCK_DETECTED, "deadlock detected")
        .with_detail(detail.join("\n"))
        .with_hint("See server log for query details.")
}

#[cfg(test)]
mod tests;
