//! Row locks and who holds a row: the four lock strengths, their conflicts,
//! and the `xmax` a lock, update or delete leaves on a version — one
//! transaction id, or a multixact when several hold the row at once.
//!
//! ```text
//!                     FOR KEY SHARE  FOR SHARE  FOR NO KEY UPDATE  FOR UPDATE
//!  FOR KEY SHARE                                                       X
//!  FOR SHARE                                         X                 X
//!  FOR NO KEY UPDATE                     X           X                 X
//!  FOR UPDATE               X            X           X                 X
//! ```
//!
//! An UPDATE that changes no key column (a column of a unique index) holds
//! the row as FOR NO KEY UPDATE; a DELETE or a key-changing UPDATE as FOR
//! UPDATE. So a key-share lock (a foreign key check on the referenced row)
//! lets other key-share lockers and non-key updates through: such an update
//! leaves a multixact of itself and the lockers on the old version, and the
//! lockers alone on the new one.

use super::multixact::{Member, MemberStatus};
use super::{TransactionManager, UpdateCheck};
use crate::error::Result;
use crate::storage::heap::tuple::{
    Header, XMAX_EXCL_LOCK, XMAX_INVALID, XMAX_IS_MULTI, XMAX_KEYSHR_LOCK, XMAX_LOCK_ONLY, XMAX_SHR_LOCK, XmaxStamp,
};

/// A row lock strength, weakest first (each conflicts with everything the
/// weaker ones conflict with).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowLock {
    KeyShare,
    Share,
    NoKeyUpdate,
    Update,
}

impl RowLock {
    /// Whether two holders of these strengths exclude each other.
    pub fn conflicts(self, other: RowLock) -> bool {
        use RowLock::*;
        match (self, other) {
            (Update, _) | (_, Update) => true,
            (NoKeyUpdate, KeyShare) | (KeyShare, NoKeyUpdate) => false,
            (NoKeyUpdate, _) | (_, NoKeyUpdate) => true,
            _ => false,
        }
    }

    /// The strength a member holds the row with.
    pub fn of(status: MemberStatus) -> RowLock {
        match status {
            MemberStatus::ForKeyShare => RowLock::KeyShare,
            MemberStatus::ForShare => RowLock::Share,
            MemberStatus::ForNoKeyUpdate | MemberStatus::NoKeyUpdate => RowLock::NoKeyUpdate,
            MemberStatus::ForUpdate | MemberStatus::Update => RowLock::Update,
        }
    }

    fn lock_status(self) -> MemberStatus {
        match self {
            RowLock::KeyShare => MemberStatus::ForKeyShare,
            RowLock::Share => MemberStatus::ForShare,
            RowLock::NoKeyUpdate => MemberStatus::ForNoKeyUpdate,
            RowLock::Update => MemberStatus::ForUpdate,
        }
    }

    /// The SQL that takes it (`FOR KEY SHARE`, …).
    pub fn clause(self) -> &'static str {
        match self {
            RowLock::KeyShare => "FOR KEY SHARE",
            RowLock::Share => "FOR SHARE",
            RowLock::NoKeyUpdate => "FOR NO KEY UPDATE",
            RowLock::Update => "FOR UPDATE",
        }
    }
}

/// Whether a transaction may lock, update or delete a version now, and if
/// so which holders stay (lockers still running, a running updater that
/// does not conflict; the caller's own locks among them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowCheck {
    Free(Vec<Member>),
    /// This transaction (this or an earlier command) already changed it.
    SelfModified,
    /// A running transaction holds it in a conflicting way.
    BeingModified(u64),
    /// Another transaction changed it and committed.
    Modified,
}

/// The `xmax` that makes `xid` hold a row alone with lock strength `mode`.
fn lone_lock(xid: u64, mode: RowLock) -> XmaxStamp {
    let bits = match mode {
        RowLock::KeyShare => XMAX_KEYSHR_LOCK,
        RowLock::Share => XMAX_SHR_LOCK,
        RowLock::NoKeyUpdate | RowLock::Update => XMAX_EXCL_LOCK,
    };
    XmaxStamp { xmax: xid, flags: XMAX_LOCK_ONLY | bits, keys: mode == RowLock::Update }
}

impl TransactionManager {
    /// Who holds the version, as `xmax` says (some may have ended).
    pub fn xmax_members(&self, tuple: &[u8]) -> Result<Vec<Member>> {
        let h = Header(tuple);
        let mask = h.infomask();
        if mask & XMAX_INVALID != 0 {
            return Ok(Vec::new());
        }
        if mask & XMAX_IS_MULTI != 0 {
            return self.multixacts.members(h.xmax());
        }
        let status = if mask & XMAX_LOCK_ONLY != 0 {
            match mask & XMAX_SHR_LOCK {
                XMAX_KEYSHR_LOCK => MemberStatus::ForKeyShare,
                XMAX_SHR_LOCK => MemberStatus::ForShare,
                XMAX_EXCL_LOCK if !h.keys_updated() => MemberStatus::ForNoKeyUpdate,
                _ => MemberStatus::ForUpdate,
            }
        } else if h.keys_updated() {
            MemberStatus::Update
        } else {
            MemberStatus::NoKeyUpdate
        };
        Ok(vec![Member { xid: h.xmax(), status }])
    }

    /// The transaction that deleted or replaced the version (a
    /// multixact's updater), if one did.
    pub fn updater(&self, h: &Header<'_>) -> Result<Option<u64>> {
        if !h.has_deleter() {
            return Ok(None);
        }
        if !h.is_multi() {
            return Ok(Some(h.xmax()));
        }
        Ok(self.multixacts.members(h.xmax())?.iter().find(|m| m.status.is_update()).map(|m| m.xid))
    }

    /// May `me` take the version with strength `mode` (a lock, or the
    /// strength of its update or delete)? Called under the page lock.
    pub fn row_check(&self, tuple: &[u8], me: u64, mode: RowLock) -> Result<RowCheck> {
        if super::xmax_hinted(&Header(tuple)) {
            return Ok(RowCheck::Modified);
        }
        let members = self.xmax_members(tuple)?;
        // The updater first: a committed change sends the caller on to the
        // newer version, whoever else locked this one.
        if let Some(u) = members.iter().find(|m| m.status.is_update()) {
            if self.is_mine(u.xid, me) {
                return Ok(RowCheck::SelfModified);
            }
            match self.outcome_for_writer(u.xid, me)? {
                Some(true) => return Ok(RowCheck::Modified),
                None if mode.conflicts(RowLock::of(u.status)) => return Ok(RowCheck::BeingModified(u.xid)),
                _ => {}
            }
        }
        let mut keep = Vec::with_capacity(members.len());
        for m in members {
            if m.status.is_update() {
                if self.outcome_for_writer(m.xid, me)?.is_none() {
                    keep.push(m);
                }
            } else if self.is_mine(m.xid, me) {
                keep.push(m);
            } else if self.outcome_for_writer(m.xid, me)?.is_none() {
                if mode.conflicts(RowLock::of(m.status)) {
                    return Ok(RowCheck::BeingModified(m.xid));
                }
                keep.push(m);
            }
        }
        Ok(RowCheck::Free(keep))
    }

    /// The `xmax` for `me` locking a version with strength `mode`, given
    /// the holders that stay ([`RowCheck::Free`]); `None` if `me` already
    /// holds it at least that strongly. Creates a multixact when others
    /// hold it too.
    pub fn lock_stamp(&self, keep: &[Member], me: u64, mode: RowLock) -> Result<Option<XmaxStamp>> {
        let own = |m: &&Member| m.xid == me && !m.status.is_update();
        let held = keep.iter().filter(own).map(|m| RowLock::of(m.status)).max();
        if held.is_some_and(|h| h >= mode) {
            return Ok(None);
        }
        let mut members: Vec<Member> = keep.iter().filter(|m| !own(m)).copied().collect();
        if members.is_empty() {
            return Ok(Some(lone_lock(me, mode)));
        }
        members.push(Member { xid: me, status: mode.lock_status() });
        Ok(Some(self.multi_stamp(&members)?))
    }

    /// The `xmax`s for `me` updating (or deleting) a version with strength
    /// `mode` (NO KEY UPDATE or UPDATE): the old version's, and the new
    /// version's (the other lockers, which keep holding the row), if any.
    pub fn change_stamp(&self, keep: &[Member], me: u64, mode: RowLock) -> Result<(XmaxStamp, Option<XmaxStamp>)> {
        let lockers: Vec<Member> = keep.iter().filter(|m| m.xid != me && !m.status.is_update()).copied().collect();
        let status = if mode == RowLock::Update { MemberStatus::Update } else { MemberStatus::NoKeyUpdate };
        if lockers.is_empty() {
            return Ok((XmaxStamp { xmax: me, flags: 0, keys: mode == RowLock::Update }, None));
        }
        let mut members = lockers.clone();
        members.push(Member { xid: me, status });
        let old = self.multi_stamp(&members)?;
        let new = match lockers.as_slice() {
            [one] => lone_lock(one.xid, RowLock::of(one.status)),
            _ => self.multi_stamp(&lockers)?,
        };
        Ok((old, Some(new)))
    }

    /// A new multixact of `members`, as an `xmax`.
    fn multi_stamp(&self, members: &[Member]) -> Result<XmaxStamp> {
        let multi = self.multixacts.create(members, &self.wal)?;
        let updater = members.iter().find(|m| m.status.is_update());
        let flags = XMAX_IS_MULTI | if updater.is_none() { XMAX_LOCK_ONLY } else { 0 };
        Ok(XmaxStamp { xmax: multi, flags, keys: updater.is_some_and(|m| m.status == MemberStatus::Update) })
    }

    /// [`RowCheck`] as an [`UpdateCheck`].
    pub fn as_update_check(check: RowCheck) -> UpdateCheck {
        match check {
            RowCheck::Free(_) => UpdateCheck::Free,
            RowCheck::SelfModified => UpdateCheck::SelfModified,
            RowCheck::BeingModified(x) => UpdateCheck::BeingModified(x),
            RowCheck::Modified => UpdateCheck::Modified,
        }
    }
}

/// What vacuum does to a version's header (see
/// [`TransactionManager::freeze_tuple`]), and the oldest ids it still holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Frozen {
    /// The oldest transaction id the version still refers to (`u64::MAX`: none).
    pub oldest_xid: u64,
    /// The oldest multixact id it refers to (`u64::MAX`: none).
    pub oldest_multi: u64,
}

impl TransactionManager {
    /// Vacuum's pass over one version that stays, under the page lock:
    /// an insert committed below `horizon` is frozen (visible to all,
    /// whatever the commit log forgets); a delete committed below it gets
    /// its hint bit; lockers that ended are dropped (a multixact left with
    /// only its updater is replaced by the updater's id). Returns whether
    /// the header changed, and what it still refers to.
    pub fn freeze_tuple(&self, t: &mut [u8], horizon: u64) -> Result<(bool, Frozen)> {
        use crate::storage::heap::tuple::{HeaderMut, UPDATED, XMAX_COMMITTED, XMIN_FROZEN};
        let mut changed = false;
        let mut out = Frozen { oldest_xid: u64::MAX, oldest_multi: u64::MAX };
        let h = Header(t);
        let (xmin, mask) = (h.xmin(), h.infomask());
        if !h.xmin_frozen() {
            match self.outcome(xmin)? {
                Some(true) if xmin < horizon => {
                    HeaderMut(t).set_infomask(mask | XMIN_FROZEN);
                    changed = true;
                }
                // An aborted id reads as aborted without the commit log.
                Some(false) => {}
                _ => out.oldest_xid = xmin,
            }
        }
        let h = Header(t);
        if h.infomask() & XMAX_INVALID != 0 {
            return Ok((changed, out));
        }
        let mut members = self.xmax_members(t)?;
        let before = members.len();
        let mut ended = Vec::with_capacity(members.len());
        for m in &members {
            ended.push(!m.status.is_update() && self.outcome(m.xid)?.is_some());
        }
        let mut i = 0;
        members.retain(|_| {
            i += 1;
            !ended[i - 1]
        });
        let h = Header(t);
        let (is_multi, mask) = (h.is_multi(), h.infomask());
        let keep_bits = mask & (UPDATED | XMAX_COMMITTED);
        if members.is_empty() {
            // Only lockers, all ended.
            HeaderMut(t).clear_xmax();
            return Ok((true, out));
        }
        if is_multi && members.len() < before && members.len() == 1 && members[0].status.is_update() {
            let u = members[0];
            let hot = Header(t).is_hot_updated();
            let mut hm = HeaderMut(t);
            hm.set_xmax_stamp(XmaxStamp { xmax: u.xid, flags: keep_bits, keys: u.status == MemberStatus::Update });
            hm.set_hot_flag(crate::storage::heap::tuple::HOT_UPDATED, hot);
            changed = true;
        }
        let h = Header(t);
        if h.is_multi() {
            out.oldest_multi = h.xmax();
            for m in &members {
                if self.outcome(m.xid)? != Some(false) {
                    out.oldest_xid = out.oldest_xid.min(m.xid);
                }
            }
            return Ok((changed, out));
        }
        let xmax = h.xmax();
        if h.infomask() & XMAX_COMMITTED != 0 {
            return Ok((changed, out));
        }
        match self.outcome(xmax)? {
            Some(true) if h.has_deleter() && xmax < horizon => {
                let mask = h.infomask() | XMAX_COMMITTED;
                HeaderMut(t).set_infomask(mask);
                changed = true;
            }
            Some(false) => {}
            _ => out.oldest_xid = out.oldest_xid.min(xmax),
        }
        Ok((changed, out))
    }
}
