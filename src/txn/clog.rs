//! The commit log (PostgreSQL's `pg_xact`): two bits of status per
//! transaction id, in 8 KiB pages of 32768 transactions, stored in segment
//! files of 32 pages under `<data>/xact/`, named by segment number.
//!
//! Pages are cached in memory. A status change is made durable by the WAL
//! record of the commit or abort, which recovery replays here; a page is
//! written out at checkpoints, and only after WAL is flushed past the last
//! record that changed it (WAL before data, as for relation pages).

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::err;
use crate::error::{Result, SqlState};

pub const PAGE_SIZE: usize = 8192;
pub const XIDS_PER_PAGE: u64 = PAGE_SIZE as u64 * 4;
pub const PAGES_PER_SEGMENT: u64 = 32;

/// A transaction's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XidStatus {
    InProgress = 0,
    Committed = 1,
    Aborted = 2,
}

struct CachedPage {
    bytes: Box<[u8; PAGE_SIZE]>,
    /// End LSN of the last WAL record whose status this page holds.
    lsn: u64,
}

pub struct Clog {
    dir: PathBuf,
    pages: Mutex<HashMap<u64, CachedPage>>,
    dirty: Mutex<HashSet<u64>>,
}

impl Clog {
    pub fn open(dir: &Path) -> Result<Clog> {
        std::fs::create_dir_all(dir)
            .map_err(|e| err!(SqlState::IO_ERROR, "could not create directory \"{}\": {e}", dir.display()))?;
        Ok(Clog { dir: dir.to_path_buf(), pages: Mutex::new(HashMap::new()), dirty: Mutex::new(HashSet::new()) })
    }

    fn segment_path(&self, page: u64) -> PathBuf {
        self.dir.join(format!("{:016X}", page / PAGES_PER_SEGMENT))
    }

    fn load(&self, page: u64) -> Result<CachedPage> {
        let mut bytes = Box::new([0u8; PAGE_SIZE]);
        let path = self.segment_path(page);
        if let Ok(f) = std::fs::File::open(&path) {
            let at = (page % PAGES_PER_SEGMENT) * PAGE_SIZE as u64;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len >= at + PAGE_SIZE as u64 {
                f.read_exact_at(&mut bytes[..], at).map_err(|e| {
                    err!(SqlState::IO_ERROR, "could not read commit log file \"{}\": {e}", path.display())
                })?;
            }
        }
        Ok(CachedPage { bytes, lsn: 0 })
    }

    fn with_page<T>(&self, xid: u64, f: impl FnOnce(&mut CachedPage, usize, u32) -> T) -> Result<T> {
        let page = xid / XIDS_PER_PAGE;
        let within = xid % XIDS_PER_PAGE;
        let mut pages = self.pages.lock();
        let p = match pages.entry(page) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(self.load(page)?),
        };
        Ok(f(p, (within / 4) as usize, ((within % 4) * 2) as u32))
    }

    pub fn status(&self, xid: u64) -> Result<XidStatus> {
        self.with_page(xid, |p, byte, shift| match (p.bytes[byte] >> shift) & 3 {
            1 => XidStatus::Committed,
            2 => XidStatus::Aborted,
            _ => XidStatus::InProgress,
        })
    }

    /// Record an outcome, logged in WAL up to `lsn`.
    pub fn set(&self, xid: u64, status: XidStatus, lsn: u64) -> Result<()> {
        self.with_page(xid, |p, byte, shift| {
            p.bytes[byte] = (p.bytes[byte] & !(3 << shift)) | ((status as u8) << shift);
            p.lsn = p.lsn.max(lsn);
        })?;
        self.dirty.lock().insert(xid / XIDS_PER_PAGE);
        Ok(())
    }

    /// Write every changed page (checkpoint), after `flush_wal(page lsn)`, and sync.
    pub fn flush(&self, flush_wal: impl Fn(u64) -> Result<()>) -> Result<usize> {
        let dirty: Vec<u64> = self.dirty.lock().drain().collect();
        let mut written = 0;
        for page in &dirty {
            let (bytes, lsn) = {
                let pages = self.pages.lock();
                let p = &pages[page];
                (p.bytes.clone(), p.lsn)
            };
            let result = flush_wal(lsn).and_then(|()| {
                let path = self.segment_path(*page);
                let io = |e: std::io::Error| {
                    err!(SqlState::IO_ERROR, "could not write commit log file \"{}\": {e}", path.display())
                };
                let f = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io)?;
                f.write_all_at(&bytes[..], (page % PAGES_PER_SEGMENT) * PAGE_SIZE as u64).map_err(io)?;
                f.sync_data().map_err(io)
            });
            if let Err(e) = result {
                self.dirty.lock().extend(dirty.iter().copied());
                return Err(e);
            }
            written += 1;
        }
        Ok(written)
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
