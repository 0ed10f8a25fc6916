//! The commit log (PostgreSQL's `pg_xact`): two bits of status per
//! transaction id, in 8 KiB pages of 32768 transactions, stored in segment
//! files of 32 pages under `<data>/xact/`, named by segment number.
//!
//! Pages are kept by [`super::slru`]. A status change is made durable by
//! the WAL record of the commit or abort, which recovery replays here; a
//! page is written out at checkpoints, and only after WAL is flushed past
//! the last record that changed it (WAL before data, as for relation
//! pages). Segments older than every id a tuple may still hold are
//! removed after vacuum ([`Clog::truncate`]).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::slru::Slru;
use crate::error::Result;

pub use super::slru::{PAGE_SIZE, PAGES_PER_SEGMENT};
pub const XIDS_PER_PAGE: u64 = PAGE_SIZE as u64 * 4;

/// A transaction's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XidStatus {
    InProgress = 0,
    Committed = 1,
    Aborted = 2,
}

pub struct Clog {
    pages: Slru,
    /// Ids recently found committed, each in slot `xid % RECENT`: a
    /// commit is final, so a hit needs neither the page table's lock nor
    /// its lookup (the visibility test of every row version asks).
    recent: Box<[AtomicU64]>,
}

/// Slots of [`Clog::recent`].
const RECENT: usize = 8192;

impl Clog {
    pub fn open(dir: &Path) -> Result<Clog> {
        let recent = (0..RECENT).map(|_| AtomicU64::new(0)).collect();
        Ok(Clog { pages: Slru::open(dir, "commit log")?, recent })
    }

    fn place(xid: u64) -> (u64, usize, u32) {
        let within = xid % XIDS_PER_PAGE;
        (xid / XIDS_PER_PAGE, (within / 4) as usize, ((within % 4) * 2) as u32)
    }

    pub fn status(&self, xid: u64) -> Result<XidStatus> {
        let slot = &self.recent[xid as usize % RECENT];
        if xid != 0 && slot.load(Ordering::Relaxed) == xid {
            return Ok(XidStatus::Committed);
        }
        let (page, byte, shift) = Clog::place(xid);
        let status = self.pages.read(page, |p| match (p[byte] >> shift) & 3 {
            1 => XidStatus::Committed,
            2 => XidStatus::Aborted,
            _ => XidStatus::InProgress,
        })?;
        if status == XidStatus::Committed {
            slot.store(xid, Ordering::Relaxed);
        }
        Ok(status)
    }

    /// Record an outcome, logged in WAL up to `lsn`.
    pub fn set(&self, xid: u64, status: XidStatus, lsn: u64) -> Result<()> {
        let (page, byte, shift) = Clog::place(xid);
        self.pages.write(page, lsn, |p| p[byte] = (p[byte] & !(3 << shift)) | ((status as u8) << shift))
    }

    /// Write every changed page (checkpoint), after `flush_wal(page lsn)`, and sync.
    pub fn flush(&self, flush_wal: impl Fn(u64) -> Result<()>) -> Result<usize> {
        self.pages.flush(flush_wal)
    }

    /// Remove the segments that hold only transactions older than
    /// `oldest` (no tuple refers to them any more: vacuum froze or
    /// cleared every such id). Returns how many segment files went.
    pub fn truncate(&self, oldest: u64) -> Result<usize> {
        self.pages.truncate(oldest / XIDS_PER_PAGE)
    }

    /// The oldest transaction id whose status is still kept (those before
    /// it were truncated away: `pg_xact_status` cannot tell any more).
    pub fn oldest_xid(&self) -> u64 {
        self.pages.first_page() * XIDS_PER_PAGE
    }

    /// The segment files there are (for tests and monitoring).
    pub fn segments(&self) -> Result<Vec<u64>> {
        self.pages.segments()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_persist_across_pages_and_reopen() {
        let dir = std::env::temp_dir().join(format!("tusk-clog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let xids = [3u64, 4, 32767, 32768, 1 << 22, (1 << 40) + 5];
        {
            let clog = Clog::open(&dir).unwrap();
            for (i, &x) in xids.iter().enumerate() {
                assert_eq!(clog.status(x).unwrap(), XidStatus::InProgress);
                clog.set(x, if i % 2 == 0 { XidStatus::Committed } else { XidStatus::Aborted }, 100 + i as u64)
                    .unwrap();
            }
            let max_lsn = std::cell::Cell::new(0);
            clog.flush(|lsn| {
                max_lsn.set(max_lsn.get().max(lsn));
                Ok(())
            })
            .unwrap();
            assert_eq!(max_lsn.get(), 105, "WAL flushed up to the pages' LSN first");
        }
        let clog = Clog::open(&dir).unwrap();
        for (i, &x) in xids.iter().enumerate() {
            let want = if i % 2 == 0 { XidStatus::Committed } else { XidStatus::Aborted };
            assert_eq!(clog.status(x).unwrap(), want);
        }
        assert_eq!(clog.status(5).unwrap(), XidStatus::InProgress);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
