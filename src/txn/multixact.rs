//! Multixacts (PostgreSQL's `pg_multixact`): when several transactions
//! hold a row at once — shared row locks, or key-share locks beside an
//! updater — the tuple's `xmax` names a multixact, an immutable list of
//! members, each a transaction id with how it holds the row.
//!
//! Multixact ids are 64-bit, start at 1 and never wrap. They live under
//! `<data>/multixact/` in two page stores ([`super::slru`]):
//!
//! ```text
//!  offsets/  16 bytes per multixact:  first member (u64), member count (u32), 0 (u32)
//!  members/  16 bytes per member:     xid (u64), status (u8), 0 (7 bytes)
//!  control   next multixact, next member, oldest multixact, oldest member (u64 each)
//! ```
//!
//! A multixact is created by a WAL record (Transaction rmgr, written before
//! the heap record that stores its id in a tuple) that redo replays; pages
//! are written at checkpoints after WAL is flushed past them, and the
//! control file after the pages. Vacuum replaces multixacts in tuples whose
//! lockers all ended ([`super::TransactionManager::vacuum_xmax`]); once no
//! tuple can hold one older than some id, [`MultiXacts::truncate`] removes
//! the segments before it.

use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use super::slru::{PAGE_SIZE, Slru};
use crate::err;
use crate::error::{Result, SqlState};
use crate::storage::wal::{Rmgr, Wal};

/// The info byte of a multixact's creation record (Transaction rmgr).
pub const XACT_MULTI_CREATE: u8 = 0x40;

const ENTRY: u64 = 16;
const PER_PAGE: u64 = PAGE_SIZE as u64 / ENTRY;

/// How a member holds the row: one of the four lock strengths, or as the
/// transaction that updated (or deleted) it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemberStatus {
    ForKeyShare = 0,
    ForShare = 1,
    ForNoKeyUpdate = 2,
    ForUpdate = 3,
    /// Updated the row without changing a key column.
    NoKeyUpdate = 4,
    /// Deleted the row, or updated a key column.
    Update = 5,
}

impl MemberStatus {
    fn from_u8(b: u8) -> Option<MemberStatus> {
        Some(match b {
            0 => MemberStatus::ForKeyShare,
            1 => MemberStatus::ForShare,
            2 => MemberStatus::ForNoKeyUpdate,
            3 => MemberStatus::ForUpdate,
            4 => MemberStatus::NoKeyUpdate,
            5 => MemberStatus::Update,
            _ => return None,
        })
    }

    /// Whether the member changed the row (rather than only locking it).
    pub fn is_update(self) -> bool {
        matches!(self, MemberStatus::NoKeyUpdate | MemberStatus::Update)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub xid: u64,
    pub status: MemberStatus,
}

#[derive(Clone, Copy, Debug)]
struct Counters {
    next: u64,
    next_offset: u64,
    oldest: u64,
    oldest_offset: u64,
}

pub struct MultiXacts {
    dir: PathBuf,
    offsets: Slru,
    members: Slru,
    counters: Mutex<Counters>,
}

impl MultiXacts {
    pub fn open(dir: &Path) -> Result<MultiXacts> {
        let offsets = Slru::open(&dir.join("offsets"), "multixact offsets")?;
        let members = Slru::open(&dir.join("members"), "multixact members")?;
        let mut counters = Counters { next: 1, next_offset: 0, oldest: 1, oldest_offset: 0 };
        let control = dir.join("control");
        match std::fs::read(&control) {
            Ok(b) if b.len() == 32 => {
                let at = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
                counters = Counters { next: at(0), next_offset: at(1), oldest: at(2), oldest_offset: at(3) };
            }
            Ok(_) => {
                return Err(err!(SqlState::DATA_CORRUPTED, "invalid multixact control file \"{}\"", control.display()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err!(SqlState::IO_ERROR, "could not read \"{}\": {e}", control.display())),
        }
        Ok(MultiXacts { dir: dir.to_path_buf(), offsets, members, counters: Mutex::new(counters) })
    }

    /// The next multixact id to be created.
    pub fn next(&self) -> u64 {
        self.counters.lock().next
    }

    /// The oldest multixact id whose members are still stored.
    pub fn oldest(&self) -> u64 {
        self.counters.lock().oldest
    }

    /// Create a multixact of `members` (logged first); its id.
    pub fn create(&self, members: &[Member], wal: &Wal) -> Result<u64> {
        let mut c = self.counters.lock();
        let (multi, offset) = (c.next, c.next_offset);
        let mut payload = Vec::with_capacity(16 + 9 * members.len());
        payload.extend_from_slice(&multi.to_le_bytes());
        payload.extend_from_slice(&offset.to_le_bytes());
        for m in members {
            payload.extend_from_slice(&m.xid.to_le_bytes());
            payload.push(m.status as u8);
        }
        let (_, end) = wal.insert(0, Rmgr::Transaction, XACT_MULTI_CREATE, &payload)?;
        self.store(multi, offset, members, end)?;
        c.next = multi + 1;
        c.next_offset = offset + members.len() as u64;
        Ok(multi)
    }

    fn store(&self, multi: u64, offset: u64, members: &[Member], lsn: u64) -> Result<()> {
        for (i, m) in members.iter().enumerate() {
            let o = offset + i as u64;
            let at = ((o % PER_PAGE) * ENTRY) as usize;
            self.members.write(o / PER_PAGE, lsn, |p| {
                p[at..at + 8].copy_from_slice(&m.xid.to_le_bytes());
                p[at + 8] = m.status as u8;
            })?;
        }
        let at = ((multi % PER_PAGE) * ENTRY) as usize;
        self.offsets.write(multi / PER_PAGE, lsn, |p| {
            p[at..at + 8].copy_from_slice(&offset.to_le_bytes());
            p[at + 8..at + 12].copy_from_slice(&(members.len() as u32).to_le_bytes());
        })
    }

    /// Replay a creation record.
    pub fn redo_create(&self, payload: &[u8], lsn: u64) -> Result<()> {
        let bad = || err!(SqlState::DATA_CORRUPTED, "invalid multixact WAL record");
        let u64_at = |i: usize| payload.get(i..i + 8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
        let (multi, offset) = (u64_at(0).ok_or_else(bad)?, u64_at(8).ok_or_else(bad)?);
        let members = payload[16..]
            .chunks(9)
            .map(|c| {
                let status = c.get(8).and_then(|&s| MemberStatus::from_u8(s)).ok_or_else(bad)?;
                Ok(Member { xid: u64::from_le_bytes(c[..8].try_into().expect("8 bytes")), status })
            })
            .collect::<Result<Vec<_>>>()?;
        self.store(multi, offset, &members, lsn)?;
        let mut c = self.counters.lock();
        c.next = c.next.max(multi + 1);
        c.next_offset = c.next_offset.max(offset + members.len() as u64);
        Ok(())
    }

    /// The members of `multi`. One older than [`Self::oldest`] was
    /// truncated: all its members ended long ago, and it has none left.
    pub fn members(&self, multi: u64) -> Result<Vec<Member>> {
        if multi < self.oldest() {
            return Ok(Vec::new());
        }
        let at = ((multi % PER_PAGE) * ENTRY) as usize;
        let (offset, count) = self.offsets.read(multi / PER_PAGE, |p| {
            (
                u64::from_le_bytes(p[at..at + 8].try_into().expect("8 bytes")),
                u32::from_le_bytes(p[at + 8..at + 12].try_into().expect("4 bytes")),
            )
        })?;
        let mut out = Vec::with_capacity(count as usize);
        for o in offset..offset + count as u64 {
            let at = ((o % PER_PAGE) * ENTRY) as usize;
            let (xid, status) = self
                .members
                .read(o / PER_PAGE, |p| (u64::from_le_bytes(p[at..at + 8].try_into().expect("8 bytes")), p[at + 8]))?;
            let status = MemberStatus::from_u8(status)
                .ok_or_else(|| err!(SqlState::DATA_CORRUPTED, "invalid member of multixact {multi}"))?;
            out.push(Member { xid, status });
        }
        Ok(out)
    }

    /// Checkpoint: write the changed pages (WAL flushed first), then the counters.
    pub fn checkpoint(&self, wal: &Wal) -> Result<()> {
        self.offsets.flush(|lsn| wal.flush_to(lsn))?;
        self.members.flush(|lsn| wal.flush_to(lsn))?;
        self.write_control(*self.counters.lock())
    }

    fn write_control(&self, c: Counters) -> Result<()> {
        let mut b = Vec::with_capacity(32);
        for v in [c.next, c.next_offset, c.oldest, c.oldest_offset] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        crate::storage::control::write_atomic(&self.dir.join("control"), &b)
    }

    /// No tuple holds a multixact older than `oldest` any more: forget
    /// them, and remove the segments only they used. Returns how many
    /// segment files went.
    pub fn truncate(&self, oldest: u64) -> Result<usize> {
        let mut c = *self.counters.lock();
        let oldest = oldest.min(c.next);
        if oldest <= c.oldest {
            return Ok(0);
        }
        let oldest_offset = if oldest == c.next {
            c.next_offset
        } else {
            let at = ((oldest % PER_PAGE) * ENTRY) as usize;
            self.offsets.read(oldest / PER_PAGE, |p| u64::from_le_bytes(p[at..at + 8].try_into().expect("8 bytes")))?
        };
        {
            let mut counters = self.counters.lock();
            counters.oldest = oldest;
            counters.oldest_offset = oldest_offset;
            c = *counters;
        }
        // The new bounds are durable before the files go.
        self.write_control(c)?;
        Ok(self.offsets.truncate(oldest / PER_PAGE)? + self.members.truncate(oldest_offset / PER_PAGE)?)
    }

    /// The segment files of both stores (for tests and monitoring).
    pub fn segments(&self) -> Result<(Vec<u64>, Vec<u64>)> {
        Ok((self.offsets.segments()?, self.members.segments()?))
    }
}
