//! Small page stores addressed by a 64-bit number (PostgreSQL's SLRU):
//! 8 KiB pages in segment files of 32 pages, named by segment number, in
//! one directory. The commit log and the multixact store keep their
//! entries here.
//!
//! Pages are cached in memory once read. A change is made durable by a WAL
//! record that recovery replays; a page is written out at checkpoints, and
//! only after WAL is flushed past the last record that changed it (WAL
//! before data, as for relation pages). Segments whose every entry no one
//! can refer to any more are removed whole ([`Slru::truncate`]).

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::err;
use crate::error::{Result, SqlState};

pub const PAGE_SIZE: usize = 8192;
pub const PAGES_PER_SEGMENT: u64 = 32;

struct CachedPage {
    bytes: Box<[u8; PAGE_SIZE]>,
    /// End LSN of the last WAL record whose change this page holds.
    lsn: u64,
}

pub struct Slru {
    dir: PathBuf,
    /// What the files hold, for error messages ("commit log").
    what: &'static str,
    pages: Mutex<HashMap<u64, CachedPage, crate::storage::hash::FastBuild>>,
    dirty: Mutex<HashSet<u64>>,
    /// The first page not truncated away: the first segment's there was
    /// at open, then the cut of the last [`Slru::truncate`].
    first_page: AtomicU64,
}

impl Slru {
    pub fn open(dir: &Path, what: &'static str) -> Result<Slru> {
        std::fs::create_dir_all(dir)
            .map_err(|e| err!(SqlState::IO_ERROR, "could not create directory \"{}\": {e}", dir.display()))?;
        let slru = Slru {
            dir: dir.to_path_buf(),
            what,
            pages: Mutex::new(HashMap::default()),
            dirty: Mutex::new(HashSet::new()),
            first_page: AtomicU64::new(0),
        };
        let first = slru.segments()?.first().copied().unwrap_or(0);
        slru.first_page.store(first * PAGES_PER_SEGMENT, Ordering::Release);
        Ok(slru)
    }

    /// The first page whose entries are still kept (those before it were
    /// truncated away).
    pub fn first_page(&self) -> u64 {
        self.first_page.load(Ordering::Acquire)
    }

    fn segment_path(&self, segment: u64) -> PathBuf {
        self.dir.join(format!("{segment:016X}"))
    }

    fn load(&self, page: u64) -> Result<CachedPage> {
        let mut bytes = Box::new([0u8; PAGE_SIZE]);
        let path = self.segment_path(page / PAGES_PER_SEGMENT);
        if let Ok(f) = std::fs::File::open(&path) {
            let at = (page % PAGES_PER_SEGMENT) * PAGE_SIZE as u64;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            if len >= at + PAGE_SIZE as u64 {
                f.read_exact_at(&mut bytes[..], at).map_err(|e| {
                    err!(SqlState::IO_ERROR, "could not read {} file \"{}\": {e}", self.what, path.display())
                })?;
            }
        }
        Ok(CachedPage { bytes, lsn: 0 })
    }

    /// Read from page `page` (zeros where nothing was ever written).
    pub fn read<T>(&self, page: u64, f: impl FnOnce(&[u8; PAGE_SIZE]) -> T) -> Result<T> {
        let mut pages = self.pages.lock();
        let p = match pages.entry(page) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(self.load(page)?),
        };
        Ok(f(&p.bytes))
    }

    /// Change page `page`, as logged in WAL up to `lsn`.
    pub fn write<T>(&self, page: u64, lsn: u64, f: impl FnOnce(&mut [u8; PAGE_SIZE]) -> T) -> Result<T> {
        let out = {
            let mut pages = self.pages.lock();
            let p = match pages.entry(page) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => v.insert(self.load(page)?),
            };
            p.lsn = p.lsn.max(lsn);
            f(&mut p.bytes)
        };
        self.dirty.lock().insert(page);
        Ok(out)
    }

    /// Write every changed page (checkpoint), after `flush_wal(page lsn)`, and sync.
    pub fn flush(&self, flush_wal: impl Fn(u64) -> Result<()>) -> Result<usize> {
        let dirty: Vec<u64> = self.dirty.lock().drain().collect();
        let mut written = 0;
        for page in &dirty {
            let Some((bytes, lsn)) = self.pages.lock().get(page).map(|p| (p.bytes.clone(), p.lsn)) else {
                continue; // truncated meanwhile
            };
            let result = flush_wal(lsn).and_then(|()| {
                let path = self.segment_path(page / PAGES_PER_SEGMENT);
                let io = |e: std::io::Error| {
                    err!(SqlState::IO_ERROR, "could not write {} file \"{}\": {e}", self.what, path.display())
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

    /// Remove the segments wholly before page `keep_from` (no entry on
    /// them can be asked for any more), files and cached pages. Returns
    /// how many segment files went.
    pub fn truncate(&self, keep_from: u64) -> Result<usize> {
        let first_kept = keep_from / PAGES_PER_SEGMENT;
        let cut = first_kept * PAGES_PER_SEGMENT;
        self.first_page.fetch_max(cut, Ordering::AcqRel);
        self.pages.lock().retain(|&p, _| p >= cut);
        self.dirty.lock().retain(|&p| p >= cut);
        let mut removed = 0;
        for segment in self.segments()? {
            if segment < first_kept {
                let path = self.segment_path(segment);
                std::fs::remove_file(&path).map_err(|e| {
                    err!(SqlState::IO_ERROR, "could not remove {} file \"{}\": {e}", self.what, path.display())
                })?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The segment files there are, by number, in order.
    pub fn segments(&self) -> Result<Vec<u64>> {
        let entries = std::fs::read_dir(&self.dir)
            .map_err(|e| err!(SqlState::IO_ERROR, "could not read directory \"{}\": {e}", self.dir.display()))?;
        let mut out: Vec<u64> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| u64::from_str_radix(n, 16).ok()))
            .collect();
        out.sort_unstable();
        Ok(out)
    }
}
