//! Serializable snapshot isolation (PostgreSQL's predicate locking, after
//! Cahill, Röhm & Fekete and Ports & Grittner).
//!
//! A SERIALIZABLE transaction reads from one snapshot, as REPEATABLE READ
//! does, and also records what it read as SIREAD locks: a whole relation
//! (a sequential scan), a page, one tuple version (an index lookup) or a
//! key range of an index (so that an insert into a range read later is
//! seen). The locks never block anyone; they only let a writer find out
//! that a concurrent reader missed its change.
//!
//! Each such miss is a rw-antidependency `reader →rw writer`: the reader
//! must come before the writer in any equivalent serial order. It is found
//! from either side:
//!
//! ```text
//!  reader reads first:  writer's write meets the reader's SIREAD lock  (conflict_in)
//!  writer writes first: reader meets a version whose xmin/xmax is the
//!                       concurrent writer's, which its snapshot ignores (conflict_out)
//! ```
//!
//! Every cycle in the serialization graph has a *dangerous structure*
//! `T1 →rw T2 →rw T3` of concurrent transactions where T3 commits first
//! (T1 may be T3). A transaction in the middle of one (the pivot) is made
//! to fail with 40001, preferably one that has not committed and whose
//! retry can succeed. False positives are allowed, false negatives never.
//!
//! Rules:
//! 1. Only SERIALIZABLE transactions take SIREAD locks or are tracked; a
//!    write by a transaction at another level creates no conflict (as in
//!    PostgreSQL: serializability holds among serializable transactions).
//! 2. A transaction is registered together with its snapshot, under this
//!    module's lock, so the order of snapshots and commits seen here is
//!    the order the snapshots saw.
//! 3. A commit is registered (it gets its commit sequence number) only
//!    after it left the running set: a snapshot registered before sees it
//!    as concurrent, perhaps wrongly (a false positive), never the reverse.
//! 4. Before a transaction commits, [`Serializable::pre_commit`] checks for
//!    a dangerous structure with it as T3 and dooms the pivot; from then on
//!    it is *prepared* and is never chosen as the victim.
//! 5. A committed transaction, its locks and its conflicts are kept until
//!    no transaction that overlapped it is running. When one goes, what it
//!    meant for transactions still kept is summarized into their flags
//!    (coarser, so only ever towards more failures).
//! 6. Locks are promoted to bound memory: more than [`MAX_TUPLES_PER_PAGE`]
//!    tuples of one page become a page lock, more than
//!    [`MAX_LOCKS_PER_RELATION`] locks on one relation a relation lock
//!    (PostgreSQL's `max_pred_locks_per_page` and the default of
//!    `max_pred_locks_per_relation`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;

use crate::err;
use crate::error::{Error, Result, SqlState};

/// Tuple locks on one page past which the page is locked instead.
pub const MAX_TUPLES_PER_PAGE: usize = 2;
/// Locks on one relation past which the relation is locked instead.
pub const MAX_LOCKS_PER_RELATION: usize = 32;

/// A serializable transaction's number here (not its xid: a reader has none).
pub type SerialId = u64;

/// What a SIREAD lock covers, within one relation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Relation,
    Page(u32),
    Tuple(u32, u16),
    /// Index keys within these byte-prefix bounds (as an index scan's range).
    Range(Bound<Vec<u8>>, Bound<Vec<u8>>),
}

/// What a write touched, within one relation.
#[derive(Clone, Copy, Debug)]
pub enum Written<'a> {
    /// A new heap tuple (only a relation lock covers it).
    Insert,
    /// An existing tuple version, updated or deleted.
    Tuple(u32, u16),
    /// A new index entry with this key.
    Key(&'a [u8]),
    /// The whole relation (TRUNCATE, DROP TABLE): every lock on it.
    Relation,
}

/// A key range of an index: byte-prefix bounds, as an index scan's.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The SIREAD locks one transaction holds on one relation.
#[derive(Default, Debug)]
struct Held {
    relation: bool,
    pages: HashSet<u32>,
    tuples: HashSet<(u32, u16)>,
    ranges: Vec<KeyRange>,
}

impl Held {
    fn count(&self) -> usize {
        self.pages.len() + self.tuples.len() + self.ranges.len()
    }

    fn covers(&self, w: Written<'_>) -> bool {
        if self.relation {
            return true;
        }
        match w {
            Written::Insert => false,
            Written::Relation => self.count() > 0,
            Written::Tuple(b, o) => self.pages.contains(&b) || self.tuples.contains(&(b, o)),
            Written::Key(k) => self.ranges.iter().any(|(lo, hi)| in_range(k, lo, hi)),
        }
    }

    fn add(&mut self, target: Target) {
        if self.relation {
            return;
        }
        match target {
            Target::Relation => {
                *self = Held { relation: true, ..Held::default() };
                return;
            }
            Target::Page(b) => {
                self.tuples.retain(|t| t.0 != b);
                self.pages.insert(b);
            }
            Target::Tuple(b, o) => {
                if self.pages.contains(&b) || !self.tuples.insert((b, o)) {
                    return;
                }
                if self.tuples.iter().filter(|t| t.0 == b).count() > MAX_TUPLES_PER_PAGE {
                    self.tuples.retain(|t| t.0 != b);
                    self.pages.insert(b);
                }
            }
            Target::Range(lo, hi) => {
                if !self.ranges.iter().any(|r| r.0 == lo && r.1 == hi) {
                    self.ranges.push((lo, hi));
                }
            }
        }
        if self.count() > MAX_LOCKS_PER_RELATION {
            *self = Held { relation: true, ..Held::default() };
        }
    }
}

/// Whether `key` lies within byte-prefix bounds: each bound is compared
/// with the key's prefix of the bound's length, as an index scan does.
fn in_range(key: &[u8], lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> bool {
    use std::cmp::Ordering::*;
    let cmp = |b: &[u8]| {
        let n = key.len().min(b.len());
        match key[..n].cmp(&b[..n]) {
            Equal if key.len() < b.len() => Less,
            o => o,
        }
    };
    let above = match lo {
        Bound::Included(b) => cmp(b) != Less,
        Bound::Excluded(b) => cmp(b) == Greater,
        Bound::Unbounded => true,
    };
    let below = match hi {
        Bound::Included(b) => cmp(b) != Greater,
        Bound::Excluded(b) => cmp(b) == Less,
        Bound::Unbounded => true,
    };
    above && below
}

/// One serializable transaction (PostgreSQL's SERIALIZABLEXACT).
#[derive(Debug)]
struct SerialXact {
    pid: i32,
    /// The last commit sequence number when its snapshot was taken.
    snapshot_seq: u64,
    prepare_seq: Option<u64>,
    commit_seq: Option<u64>,
    read_only: bool,
    /// Chosen as a victim: fails at its next read, write or commit.
    doomed: bool,
    /// Its transaction ids (top-level first), once it wrote.
    xids: Vec<u64>,
    /// Transactions with `them →rw self` (they read what this one wrote).
    ins: BTreeSet<SerialId>,
    /// Transactions with `self →rw them`.
    outs: BTreeSet<SerialId>,
    /// Had an in-/out-conflict with a committed transaction no longer kept.
    summary_in: bool,
    summary_out: bool,
    /// SIREAD locks by relation OID.
    held: HashMap<u32, Held>,
}

impl SerialXact {
    fn committed(&self) -> bool {
        self.commit_seq.is_some()
    }

    fn prepared(&self) -> bool {
        self.prepare_seq.is_some()
    }
}

#[derive(Default)]
struct State {
    next_id: SerialId,
    /// The last prepare or commit sequence number handed out.
    last_seq: u64,
    xacts: HashMap<SerialId, SerialXact>,
    by_xid: HashMap<u64, SerialId>,
    /// Sessions waiting for a safe snapshot.
    safe_waiters: HashSet<i32>,
}

/// One SIREAD lock as `pg_locks` would show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SireadLock {
    pub pid: i32,
    pub relation: u32,
    pub target: Target,
    /// The holder has committed (its locks outlive it, see rule 5).
    pub committed: bool,
}

/// The serializable transactions, their SIREAD locks and rw-conflicts.
#[derive(Default)]
pub struct Serializable {
    state: Mutex<State>,
    /// How many transactions are tracked: writes skip the lock when none.
    tracked: AtomicUsize,
    /// Signalled when a tracked transaction ends (for DEFERRABLE waits).
    ended: crate::txn::wait::Event,
}

/// The 40001 error with PostgreSQL's reason text.
fn failure(reason: impl Into<String>) -> Error {
    err!(
        SqlState::T_R_SERIALIZATION_FAILURE,
        "could not serialize access due to read/write dependencies among transactions"
    )
    .with_detail(format!("Reason code: {}", reason.into()))
    .with_hint("The transaction might succeed if retried.")
}

impl Serializable {
    /// Register a serializable transaction of session `pid` with the
    /// snapshot `take` returns (taken under this module's lock, rule 2).
    pub fn begin<S>(&self, pid: i32, read_only: bool, take: impl FnOnce() -> S) -> (SerialId, S) {
        let mut st = self.state.lock();
        let snapshot = take();
        st.next_id += 1;
        let id = st.next_id;
        let x = SerialXact {
            pid,
            snapshot_seq: st.last_seq,
            prepare_seq: None,
            commit_seq: None,
            read_only,
            doomed: false,
            xids: Vec::new(),
            ins: BTreeSet::new(),
            outs: BTreeSet::new(),
            summary_in: false,
            summary_out: false,
            held: HashMap::new(),
        };
        st.xacts.insert(id, x);
        self.tracked.store(st.xacts.len(), Ordering::Release);
        (id, snapshot)
    }

    /// `SERIALIZABLE READ ONLY DEFERRABLE`: wait until no serializable
    /// transaction that may write is running, then take the snapshot
    /// with `take`. Such a snapshot is safe — no transaction it overlaps
    /// can make it part of an anomaly — so the transaction needs no
    /// SIREAD locks at all. `interrupted` is called between waits.
    pub fn safe_snapshot<S>(
        &self,
        pid: i32,
        take: impl FnOnce() -> S,
        interrupted: &mut dyn FnMut() -> Result<()>,
    ) -> Result<S> {
        let mut st = self.state.lock();
        while st.xacts.values().any(|x| !x.read_only && !x.committed()) {
            st.safe_waiters.insert(pid);
            self.ended.wait(&mut st, None);
            drop(st);
            let stop = interrupted();
            st = self.state.lock();
            if stop.is_err() {
                st.safe_waiters.remove(&pid);
            }
            stop?;
        }
        st.safe_waiters.remove(&pid);
        Ok(take())
    }

    /// The sessions whose serializable writers session `pid` waits for to
    /// get a safe snapshot (`pg_safe_snapshot_blocking_pids`).
    pub fn safe_snapshot_blockers(&self, pid: i32) -> Vec<i32> {
        let st = self.state.lock();
        if !st.safe_waiters.contains(&pid) {
            return Vec::new();
        }
        let mut pids: Vec<i32> = st.xacts.values().filter(|x| !x.read_only && !x.committed()).map(|x| x.pid).collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// Transaction `id` got transaction id `xid` (top-level or sub).
    pub fn add_xid(&self, id: SerialId, xid: u64) {
        let mut st = self.state.lock();
        if let Some(x) = st.xacts.get_mut(&id) {
            x.xids.push(xid);
            st.by_xid.insert(xid, id);
        }
    }

    /// Transaction `id` read `target` of relation `rel`; fails if it was
    /// chosen as a victim meanwhile.
    pub fn lock(&self, id: SerialId, rel: u32, target: Target) -> Result<()> {
        let mut st = self.state.lock();
        let Some(x) = st.xacts.get_mut(&id) else { return Ok(()) };
        if x.doomed {
            return Err(failure("Canceled on identification as a pivot, during conflict out checking."));
        }
        x.held.entry(rel).or_default().add(target);
        Ok(())
    }

    /// Reader `id` met a tuple version written by `writer` (a transaction
    /// id) that its snapshot does not see: `id →rw writer`, if the writer
    /// is serializable.
    pub fn conflict_out(&self, id: SerialId, writer: u64) -> Result<()> {
        let mut st = self.state.lock();
        let Some(me) = st.xacts.get(&id) else { return Ok(()) };
        if me.doomed {
            return Err(failure("Canceled on identification as a pivot, during conflict out checking."));
        }
        let Some(&w) = st.by_xid.get(&writer) else { return Ok(()) };
        if w == id {
            return Ok(());
        }
        let (me_ro, me_seq) = (me.read_only, me.snapshot_seq);
        let wx = &st.xacts[&w];
        if wx.doomed {
            return Ok(());
        }
        if wx.summary_out {
            if !wx.prepared() {
                st.xacts.get_mut(&w).expect("tracked").doomed = true;
                return Ok(());
            }
            let top = wx.xids.first().copied().unwrap_or(0);
            return Err(failure(format!("Canceled on conflict out to old pivot {top}.")));
        }
        // A read-only reader of a committed writer whose own out-conflicts
        // all committed after the reader's snapshot comes first: no edge.
        if me_ro && wx.committed() {
            let earliest = wx.outs.iter().filter_map(|t| st.xacts.get(t).and_then(|t| t.commit_seq)).min();
            if earliest.is_none_or(|e| me_seq < e) {
                return Ok(());
            }
        }
        flag(&mut st, id, w, id)
    }

    /// The transaction with id `xid` is about to write `what` in relation
    /// `rel`: each concurrent serializable transaction holding a SIREAD
    /// lock that covers it gets `holder →rw writer`. A no-op for a writer
    /// that is not serializable.
    pub fn conflict_in(&self, xid: u64, rel: u32, what: Written<'_>) -> Result<()> {
        if self.tracked.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let mut st = self.state.lock();
        let Some(&me) = st.by_xid.get(&xid) else { return Ok(()) };
        let mx = &st.xacts[&me];
        if mx.doomed {
            return Err(failure("Canceled on identification as a pivot, during conflict in checking."));
        }
        let seq = mx.snapshot_seq;
        let holders: Vec<SerialId> = st
            .xacts
            .iter()
            .filter(|&(&h, x)| h != me && !x.doomed && x.commit_seq.is_none_or(|c| c > seq))
            .filter(|(_, x)| x.held.get(&rel).is_some_and(|held| held.covers(what)))
            .map(|(&h, _)| h)
            .collect();
        for h in holders {
            flag(&mut st, h, me, me)?;
        }
        Ok(())
    }

    /// The SIREAD locks on relation `from` no longer name what they
    /// covered — its tuples moved (VACUUM FULL, a table rewrite: `from`
    /// is `to`) or it is an index that goes (DROP INDEX, REINDEX): each
    /// holder's locks on `from` become a lock on all of relation `to`
    /// (PostgreSQL's TransferPredicateLocksToHeapRelation). Coarser, so
    /// never a missed conflict.
    pub fn transfer_to_relation(&self, from: u32, to: u32) {
        if self.tracked() == 0 {
            return;
        }
        let mut st = self.state.lock();
        for x in st.xacts.values_mut() {
            if x.held.remove(&from).is_some() {
                x.held.entry(to).or_default().add(Target::Relation);
            }
        }
    }

    /// Transaction `id` is about to commit: fail if it was chosen as a
    /// victim; doom the pivot of any dangerous structure it would complete
    /// as the first to commit (rule 4).
    pub fn pre_commit(&self, id: SerialId) -> Result<()> {
        let mut st = self.state.lock();
        let Some(me) = st.xacts.get(&id) else { return Ok(()) };
        if me.doomed {
            return Err(failure("Canceled on identification as a pivot, during commit attempt."));
        }
        if me.prepared() {
            return Ok(());
        }
        let mut victims = Vec::new();
        for &near in &me.ins {
            let Some(nx) = st.xacts.get(&near) else { continue };
            if nx.committed() || nx.doomed {
                continue;
            }
            let dangerous = nx.ins.iter().any(|far| {
                *far == id || st.xacts.get(far).is_some_and(|f| !f.committed() && !f.read_only && !f.doomed)
            });
            if dangerous {
                if nx.prepared() {
                    return Err(failure("Canceled on commit attempt with conflict in from prepared pivot."));
                }
                victims.push(near);
            }
        }
        for v in victims {
            st.xacts.get_mut(&v).expect("tracked").doomed = true;
        }
        st.last_seq += 1;
        let seq = st.last_seq;
        st.xacts.get_mut(&id).expect("tracked").prepare_seq = Some(seq);
        Ok(())
    }

    /// Transaction `id` ended. A commit is registered only once it is
    /// visible (rule 3); an abort forgets it and its conflicts at once.
    pub fn end(&self, id: SerialId, committed: bool) {
        let mut st = self.state.lock();
        if committed {
            st.last_seq += 1;
            let seq = st.last_seq;
            if let Some(x) = st.xacts.get_mut(&id) {
                x.prepare_seq.get_or_insert(seq);
                x.commit_seq = Some(seq);
            }
        } else if let Some(x) = st.xacts.remove(&id) {
            forget(&mut st, id, x, false);
        }
        // Committed transactions no running one overlaps go (rule 5).
        let oldest = st.xacts.values().filter(|x| !x.committed()).map(|x| x.snapshot_seq).min();
        let gone: Vec<SerialId> = st
            .xacts
            .iter()
            .filter(|(_, x)| x.commit_seq.is_some_and(|c| oldest.is_none_or(|o| c <= o)))
            .map(|(&i, _)| i)
            .collect();
        for g in gone {
            if let Some(x) = st.xacts.remove(&g) {
                forget(&mut st, g, x, true);
            }
        }
        self.tracked.store(st.xacts.len(), Ordering::Release);
        drop(st);
        self.ended.notify_all();
    }

    /// Every SIREAD lock held (for `pg_locks`-style views and tests).
    pub fn locks(&self) -> Vec<SireadLock> {
        let st = self.state.lock();
        let mut out = Vec::new();
        for x in st.xacts.values() {
            for (&relation, h) in &x.held {
                let mut push = |target| out.push(SireadLock { pid: x.pid, relation, target, committed: x.committed() });
                if h.relation {
                    push(Target::Relation);
                }
                h.pages.iter().for_each(|&b| push(Target::Page(b)));
                h.tuples.iter().for_each(|&(b, o)| push(Target::Tuple(b, o)));
                h.ranges.iter().for_each(|(lo, hi)| push(Target::Range(lo.clone(), hi.clone())));
            }
        }
        out
    }

    /// How many transactions are tracked (running, or committed and kept).
    pub fn tracked(&self) -> usize {
        self.tracked.load(Ordering::Acquire)
    }
}

/// Add `reader →rw writer` and check whether it completes a dangerous
/// structure (PostgreSQL's OnConflict_CheckForSerializationFailure).
/// `me` is the calling transaction: it fails itself where it must; another
/// victim is doomed.
fn flag(st: &mut State, reader: SerialId, writer: SerialId, me: SerialId) -> Result<()> {
    if st.xacts[&writer].ins.contains(&reader) {
        return Ok(());
    }
    st.xacts.get_mut(&reader).expect("tracked").outs.insert(writer);
    st.xacts.get_mut(&writer).expect("tracked").ins.insert(reader);
    let (r, w) = (&st.xacts[&reader], &st.xacts[&writer]);
    let mut failed = false;
    // reader →rw writer →rw t2, where t2 committed (or prepared) first.
    if w.summary_out {
        failed = true;
    } else {
        failed |= w.outs.iter().filter_map(|t| st.xacts.get(t)).any(|t2| {
            let Some(p) = t2.prepare_seq else { return false };
            r.commit_seq.is_none_or(|c| p <= c)
                && w.commit_seq.is_none_or(|c| p <= c)
                && (!r.read_only || p <= r.snapshot_seq)
        });
    }
    // t0 →rw reader →rw writer, where the writer committed (or prepared) first.
    if !failed && !r.read_only {
        if let Some(p) = w.prepare_seq {
            failed = r.summary_in
                || r.ins.iter().filter_map(|t| st.xacts.get(t)).any(|t0| {
                    !t0.doomed && t0.commit_seq.is_none_or(|c| c >= p) && (!t0.read_only || t0.snapshot_seq >= p)
                });
        }
    }
    if !failed {
        return Ok(());
    }
    if me == writer {
        return Err(failure("Canceled on identification as a pivot, during write."));
    }
    if w.prepared() {
        let top = w.xids.first().copied().unwrap_or(0);
        return Err(failure(format!("Canceled on conflict out to pivot {top}, during read.")));
    }
    st.xacts.get_mut(&writer).expect("tracked").doomed = true;
    Ok(())
}

/// Drop transaction `id` (already removed as `x`) from the others'
/// conflicts; a committed one leaves its mark in their summary flags.
fn forget(st: &mut State, id: SerialId, x: SerialXact, summarize: bool) {
    for xid in &x.xids {
        st.by_xid.remove(xid);
    }
    for r in &x.ins {
        if let Some(o) = st.xacts.get_mut(r) {
            o.outs.remove(&id);
            o.summary_out |= summarize;
        }
    }
    for w in &x.outs {
        if let Some(o) = st.xacts.get_mut(w) {
            o.ins.remove(&id);
            o.summary_in |= summarize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(lo: &[u8], hi: &[u8]) -> Target {
        Target::Range(Bound::Included(lo.to_vec()), Bound::Included(hi.to_vec()))
    }

    #[test]
    fn write_skew_dooms_the_pivot_at_the_first_commit() {
        let s = Serializable::default();
        let (a, ()) = s.begin(1, false, || ());
        let (b, ()) = s.begin(2, false, || ());
        s.lock(a, 100, Target::Relation).unwrap();
        s.lock(b, 100, Target::Relation).unwrap();
        s.add_xid(a, 10);
        s.add_xid(b, 11);
        s.conflict_in(10, 100, Written::Tuple(0, 1)).unwrap();
        s.conflict_in(11, 100, Written::Tuple(0, 2)).unwrap();
        s.pre_commit(a).unwrap();
        s.end(a, true);
        let e = s.pre_commit(b).unwrap_err();
        assert_eq!(e.code(), SqlState::T_R_SERIALIZATION_FAILURE);
        assert_eq!(e.detail(), Some("Reason code: Canceled on identification as a pivot, during commit attempt."));
        s.end(b, false);
        assert_eq!(s.tracked(), 0);
    }

    #[test]
    fn disjoint_tuples_and_ranges_do_not_conflict() {
        let s = Serializable::default();
        let (a, ()) = s.begin(1, false, || ());
        let (b, ()) = s.begin(2, false, || ());
        s.lock(a, 100, Target::Tuple(0, 1)).unwrap();
        s.lock(a, 200, range(b"\x01", b"\x01")).unwrap();
        s.lock(b, 100, Target::Tuple(0, 2)).unwrap();
        s.lock(b, 200, range(b"\x02", b"\x02")).unwrap();
        s.add_xid(a, 10);
        s.add_xid(b, 11);
        s.conflict_in(10, 100, Written::Tuple(0, 1)).unwrap();
        s.conflict_in(10, 200, Written::Key(b"\x01\x00")).unwrap();
        s.conflict_in(11, 100, Written::Tuple(0, 2)).unwrap();
        s.conflict_in(11, 200, Written::Key(b"\x02\x00")).unwrap();
        s.pre_commit(a).unwrap();
        s.end(a, true);
        s.pre_commit(b).unwrap();
        s.end(b, true);
        assert_eq!(s.tracked(), 0);
    }

    #[test]
    fn tuple_locks_are_promoted() {
        let mut h = Held::default();
        h.add(Target::Tuple(3, 1));
        h.add(Target::Tuple(3, 2));
        assert_eq!(h.tuples.len(), 2);
        h.add(Target::Tuple(3, 3));
        assert!(h.tuples.is_empty() && h.pages.contains(&3));
        for b in 10..(10 + MAX_LOCKS_PER_RELATION as u32) {
            h.add(Target::Page(b));
        }
        assert!(h.relation && h.count() == 0);
        assert!(h.covers(Written::Insert));
    }

    #[test]
    fn a_whole_relation_write_meets_any_lock_and_moved_locks_cover_the_relation() {
        let s = Serializable::default();
        let (a, ()) = s.begin(1, false, || ());
        let (b, ()) = s.begin(2, false, || ());
        s.lock(a, 100, Target::Tuple(0, 1)).unwrap();
        s.lock(b, 200, range(b"\x01", b"\x01")).unwrap();
        s.add_xid(b, 11);
        // b truncates 100: a read one tuple of it.
        s.conflict_in(11, 100, Written::Relation).unwrap();
        assert!(s.state.lock().xacts[&b].ins.contains(&a));
        // Index 200 of table 300 goes: b's range becomes a lock on 300.
        s.transfer_to_relation(200, 300);
        let locks = s.locks();
        assert!(locks.iter().any(|l| l.pid == 2 && l.relation == 300 && l.target == Target::Relation));
        assert!(!locks.iter().any(|l| l.relation == 200));
        s.add_xid(a, 10);
        s.conflict_in(10, 300, Written::Insert).unwrap();
        assert!(s.state.lock().xacts[&a].ins.contains(&b));
    }

    #[test]
    fn ranges_compare_key_prefixes() {
        let lo = Bound::Included(b"b".to_vec());
        let hi = Bound::Excluded(b"d".to_vec());
        assert!(in_range(b"b", &lo, &hi));
        assert!(in_range(b"bzz", &lo, &hi));
        assert!(in_range(b"c\x00", &lo, &hi));
        assert!(!in_range(b"a", &lo, &hi));
        assert!(!in_range(b"d", &lo, &hi));
        assert!(!in_range(b"dd", &lo, &hi));
    }

    #[test]
    fn a_reader_that_committed_first_is_not_concurrent() {
        let s = Serializable::default();
        let (a, ()) = s.begin(1, false, || ());
        s.lock(a, 100, Target::Relation).unwrap();
        s.pre_commit(a).unwrap();
        s.end(a, true);
        // Nobody overlaps a any more: it is gone with its locks.
        assert!(s.locks().is_empty());
        let (b, ()) = s.begin(2, false, || ());
        s.add_xid(b, 20);
        s.conflict_in(20, 100, Written::Insert).unwrap();
        s.pre_commit(b).unwrap();
        s.end(b, true);
    }
}
