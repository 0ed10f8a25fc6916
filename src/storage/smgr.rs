//! The storage manager: maps (relation, fork, block) to a place in a file.
//!
//! A relation fork is stored as `base/<db>/<relfilenode>[_fsm|_vm][.<seg>]`,
//! in segments of 1 GiB (131072 blocks), like PostgreSQL's md.c. Reads and
//! writes are positioned (`pread`/`pwrite`), so one open file serves
//! concurrent callers. Open files are cached up to a bound; past it the
//! least recently used is closed, so many relations never exhaust file
//! descriptors.
//!
//! Invariants:
//! 1. Every segment but the last of a fork is exactly full.
//! 2. A block is read or written only below `nblocks` (writes at `nblocks`
//!    go through `extend`).
//! 3. `sync` makes every write before it durable.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::hash::FastBuild;
use super::page::PAGE_SIZE;
use crate::err;
use crate::error::{Error, Result, SqlState};

/// Blocks per segment file (1 GiB of 8 KiB blocks).
pub const RELSEG_SIZE: u32 = 131072;

/// Which file of a relation (PostgreSQL's ForkNumber).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fork {
    Main,
    FreeSpace,
    Visibility,
}

impl Fork {
    pub const ALL: [Fork; 3] = [Fork::Main, Fork::FreeSpace, Fork::Visibility];

    fn suffix(self) -> &'static str {
        match self {
            Fork::Main => "",
            Fork::FreeSpace => "_fsm",
            Fork::Visibility => "_vm",
        }
    }
}

/// The physical identity of a relation's storage (PostgreSQL's RelFileLocator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelFileLocator {
    pub db: u32,
    pub relfilenode: u32,
}

impl std::fmt::Display for RelFileLocator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "base/{}/{}", self.db, self.relfilenode)
    }
}

type FileKey = (RelFileLocator, Fork, u32);

pub struct Smgr {
    base: PathBuf,
    blocks_per_segment: u32,
    max_open: usize,
    open: Mutex<OpenFiles>,
    /// Forks written since their last sync (the checkpointer syncs them).
    unsynced: Mutex<HashSet<(RelFileLocator, Fork)>>,
    /// Known fork sizes in blocks (PostgreSQL's smgr_cached_nblocks): all
    /// changes of size go through this module, so the cache stays exact.
    /// Sharded: every heap fetch asks for its relation's size.
    sizes: dashmap::DashMap<(RelFileLocator, Fork), u32, crate::storage::hash::FastBuild>,
}

struct OpenFiles {
    files: HashMap<FileKey, (Arc<File>, u64), FastBuild>,
    tick: u64,
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    err!(SqlState::IO_ERROR, "could not {what} file \"{}\": {e}", path.display()).with_source(e)
}

impl Smgr {
    /// A storage manager over `<data_dir>/base`, keeping at most `max_open` files open.
    pub fn new(data_dir: &Path, max_open: usize) -> Smgr {
        Smgr::with_segment_size(data_dir, max_open, RELSEG_SIZE)
    }

    /// As [`Smgr::new`] with a custom segment size (tests use small segments).
    pub fn with_segment_size(data_dir: &Path, max_open: usize, blocks_per_segment: u32) -> Smgr {
        Smgr {
            base: data_dir.join("base"),
            blocks_per_segment,
            max_open: max_open.max(1),
            open: Mutex::new(OpenFiles { files: HashMap::default(), tick: 0 }),
            unsynced: Mutex::new(HashSet::new()),
            sizes: Default::default(),
        }
    }

    fn path(&self, rel: RelFileLocator, fork: Fork, seg: u32) -> PathBuf {
        let name = format!("{}{}", rel.relfilenode, fork.suffix());
        let name = if seg == 0 { name } else { format!("{name}.{seg}") };
        self.base.join(rel.db.to_string()).join(name)
    }

    /// The open file of a segment, opening (and creating, if asked) it.
    fn file(&self, rel: RelFileLocator, fork: Fork, seg: u32, create: bool) -> Result<Option<Arc<File>>> {
        let key = (rel, fork, seg);
        let mut open = self.open.lock();
        open.tick += 1;
        let tick = open.tick;
        if let Some((f, used)) = open.files.get_mut(&key) {
            *used = tick;
            return Ok(Some(f.clone()));
        }
        let path = self.path(rel, fork, seg);
        let file = match OpenOptions::new().read(true).write(true).create(create).truncate(false).open(&path) {
            Ok(f) => Arc::new(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(None),
            Err(e) => return Err(io_error("open", &path, e)),
        };
        if open.files.len() >= self.max_open {
            // Close the least recently used file; callers holding it keep it open until done.
            if let Some(victim) = open.files.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| *k) {
                open.files.remove(&victim);
            }
        }
        open.files.insert(key, (file.clone(), tick));
        Ok(Some(file))
    }

    fn forget(&self, rel: RelFileLocator) {
        self.open.lock().files.retain(|(r, _, _), _| *r != rel);
    }

    /// Create the fork's first segment (empty). Creating an existing fork is fine.
    pub fn create(&self, rel: RelFileLocator, fork: Fork) -> Result<()> {
        let dir = self.base.join(rel.db.to_string());
        std::fs::create_dir_all(&dir).map_err(|e| io_error("create directory for", &dir, e))?;
        self.file(rel, fork, 0, true)?;
        Ok(())
    }

    /// Whether the fork's first segment exists. An open one does (every
    /// removal closes the files it removes), which spares the path lookup
    /// a stat costs: the planner and every extension ask this.
    pub fn exists(&self, rel: RelFileLocator, fork: Fork) -> bool {
        self.open.lock().files.contains_key(&(rel, fork, 0)) || self.path(rel, fork, 0).exists()
    }

    /// The number of blocks in a fork.
    pub fn nblocks(&self, rel: RelFileLocator, fork: Fork) -> Result<u32> {
        if let Some(n) = self.sizes.get(&(rel, fork)) {
            return Ok(*n);
        }
        let n = self.nblocks_on_disk(rel, fork)?;
        Ok(*self.sizes.entry((rel, fork)).or_insert(n))
    }

    fn nblocks_on_disk(&self, rel: RelFileLocator, fork: Fork) -> Result<u32> {
        let mut seg = 0;
        loop {
            let Some(f) = self.file(rel, fork, seg, false)? else { return Ok(seg * self.blocks_per_segment) };
            let len = f.metadata().map_err(|e| io_error("stat", &self.path(rel, fork, seg), e))?.len();
            let blocks = (len / PAGE_SIZE as u64) as u32;
            if blocks < self.blocks_per_segment {
                return Ok(seg * self.blocks_per_segment + blocks);
            }
            seg += 1;
        }
    }

    fn locate(&self, block: u32) -> (u32, u64) {
        (block / self.blocks_per_segment, (block % self.blocks_per_segment) as u64 * PAGE_SIZE as u64)
    }

    /// Read a block. Reading past the end of the fork is an error.
    pub fn read(&self, rel: RelFileLocator, fork: Fork, block: u32, buf: &mut [u8; PAGE_SIZE]) -> Result<()> {
        let (seg, at) = self.locate(block);
        let path = self.path(rel, fork, seg);
        let f = self.file(rel, fork, seg, false)?.ok_or_else(|| {
            err!(SqlState::IO_ERROR, "could not read block {block} in file \"{}\": no such file", path.display())
        })?;
        f.read_exact_at(buf, at).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                err!(SqlState::IO_ERROR, "could not read block {block} in file \"{}\": read past end", path.display())
            } else {
                io_error("read", &path, e)
            }
        })
    }

    /// Write a block that exists.
    pub fn write(&self, rel: RelFileLocator, fork: Fork, block: u32, buf: &[u8; PAGE_SIZE]) -> Result<()> {
        let (seg, at) = self.locate(block);
        let path = self.path(rel, fork, seg);
        let f = self.file(rel, fork, seg, true)?.ok_or_else(|| Error::internal("segment vanished"))?;
        f.write_all_at(buf, at).map_err(|e| io_error("write", &path, e))?;
        self.unsynced.lock().insert((rel, fork));
        if let Some(mut n) = self.sizes.get_mut(&(rel, fork)) {
            *n = (*n).max(block + 1);
        }
        Ok(())
    }

    /// Add a block at the end of the fork (`block` must equal `nblocks`).
    pub fn extend(&self, rel: RelFileLocator, fork: Fork, block: u32, buf: &[u8; PAGE_SIZE]) -> Result<()> {
        self.write(rel, fork, block, buf)
    }

    /// Add up to `n` zeroed blocks at the end of the fork, from `block`
    /// (which must equal `nblocks`), without crossing into the next
    /// segment; how many were added (at least one). The file is only made
    /// longer: no zeros are copied, and the file system allocates the
    /// space when the pages are written out, in the order it writes them
    /// (allocating it now, with `fallocate`, was seen to leave a table
    /// written out of order in thousands of extents, and its DROP slow).
    pub fn extend_zeroed(&self, rel: RelFileLocator, fork: Fork, block: u32, n: u32) -> Result<u32> {
        let (seg, at) = self.locate(block);
        let n = n.clamp(1, self.blocks_per_segment - block % self.blocks_per_segment);
        let path = self.path(rel, fork, seg);
        let f = self.file(rel, fork, seg, true)?.ok_or_else(|| Error::internal("segment vanished"))?;
        f.set_len(at + n as u64 * PAGE_SIZE as u64).map_err(|e| io_error("extend", &path, e))?;
        self.unsynced.lock().insert((rel, fork));
        if let Some(mut size) = self.sizes.get_mut(&(rel, fork)) {
            *size = (*size).max(block + n);
        }
        Ok(n)
    }

    /// Shrink a fork to `nblocks` blocks.
    pub fn truncate(&self, rel: RelFileLocator, fork: Fork, nblocks: u32) -> Result<()> {
        self.sizes.remove(&(rel, fork));
        let keep_segs = nblocks.div_ceil(self.blocks_per_segment).max(1);
        let mut seg = keep_segs;
        while self.path(rel, fork, seg).exists() {
            let path = self.path(rel, fork, seg);
            self.open.lock().files.remove(&(rel, fork, seg));
            std::fs::remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
            seg += 1;
        }
        let last = keep_segs - 1;
        let len = (nblocks - last * self.blocks_per_segment) as u64 * PAGE_SIZE as u64;
        if let Some(f) = self.file(rel, fork, last, false)? {
            f.set_len(len).map_err(|e| io_error("truncate", &self.path(rel, fork, last), e))?;
        }
        Ok(())
    }

    /// Make every write to the fork durable.
    pub fn sync(&self, rel: RelFileLocator, fork: Fork) -> Result<()> {
        let mut seg = 0;
        while let Some(f) = self.file(rel, fork, seg, false)? {
            f.sync_data().map_err(|e| io_error("fsync", &self.path(rel, fork, seg), e))?;
            seg += 1;
        }
        Ok(())
    }

    /// Sync every fork written since its last sync; how many were synced.
    pub fn sync_written(&self) -> Result<usize> {
        let pending: Vec<(RelFileLocator, Fork)> = self.unsynced.lock().drain().collect();
        for (i, &(rel, fork)) in pending.iter().enumerate() {
            if let Err(e) = self.sync(rel, fork) {
                // Not synced: keep them for the next attempt.
                self.unsynced.lock().extend(pending[i..].iter().copied());
                return Err(e);
            }
        }
        Ok(pending.len())
    }

    /// Remove every fork and segment of a relation.
    pub fn unlink(&self, rel: RelFileLocator) -> Result<()> {
        self.forget(rel);
        self.unsynced.lock().retain(|(r, _)| *r != rel);
        self.sizes.retain(|(r, _), _| *r != rel);
        for fork in Fork::ALL {
            let mut seg = 0;
            loop {
                let path = self.path(rel, fork, seg);
                match std::fs::remove_file(&path) {
                    Ok(()) => seg += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                    Err(e) => return Err(io_error("remove", &path, e)),
                }
            }
        }
        Ok(())
    }

    /// The directory of database `db`'s relation files.
    pub fn database_dir(&self, db: u32) -> PathBuf {
        self.base.join(db.to_string())
    }

    /// The databases that have a directory (whatever `pg_database` says).
    pub fn databases_on_disk(&self) -> Result<Vec<u32>> {
        let entries = match std::fs::read_dir(&self.base) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("read directory", &self.base, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("read directory", &self.base, e))?;
            if let Some(db) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
                out.push(db);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The bytes of every file of database `db` (`pg_database_size`).
    pub fn database_bytes(&self, db: u32) -> Result<u64> {
        let dir = self.database_dir(db);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(io_error("read directory", &dir, e)),
        };
        let mut total = 0;
        for entry in entries.flatten() {
            total += entry.metadata().map(|m| m.len()).unwrap_or(0);
        }
        Ok(total)
    }

    /// Copy database `src`'s files to a new database `dst` (CREATE
    /// DATABASE's file copy): into a scratch directory, each file synced,
    /// then renamed into place and the parent synced, so that `base/<dst>`
    /// appears whole or not at all. The caller has written `src`'s dirty
    /// pages out and keeps writers away from it.
    pub fn copy_database(&self, src: u32, dst: u32) -> Result<()> {
        let (from, to) = (self.database_dir(src), self.database_dir(dst));
        let scratch = self.base.join(format!("{dst}.copy"));
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch).map_err(|e| io_error("remove", &scratch, e))?;
        }
        std::fs::create_dir_all(&scratch).map_err(|e| io_error("create directory", &scratch, e))?;
        let entries = std::fs::read_dir(&from).map_err(|e| io_error("read directory", &from, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error("read directory", &from, e))?;
            let target = scratch.join(entry.file_name());
            std::fs::copy(entry.path(), &target).map_err(|e| io_error("copy", &entry.path(), e))?;
            File::open(&target).and_then(|f| f.sync_all()).map_err(|e| io_error("fsync", &target, e))?;
        }
        sync_dir(&scratch)?;
        std::fs::rename(&scratch, &to).map_err(|e| io_error("rename", &scratch, e))?;
        sync_dir(&self.base)
    }

    /// Remove database `db`'s directory and forget what is known of its
    /// files (DROP DATABASE, after its buffers were dropped).
    pub fn remove_database(&self, db: u32) -> Result<()> {
        self.open.lock().files.retain(|(r, _, _), _| r.db != db);
        self.unsynced.lock().retain(|(r, _)| r.db != db);
        self.sizes.retain(|(r, _), _| r.db != db);
        let dir = self.database_dir(db);
        // Renamed first, so that a crash midway never leaves a directory
        // that looks like a database.
        let doomed = self.base.join(format!("{db}.drop"));
        match std::fs::rename(&dir, &doomed) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("rename", &dir, e)),
        }
        sync_dir(&self.base)?;
        match std::fs::remove_dir_all(&doomed) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &doomed, e)),
        }
    }

    /// Remove the leftovers of copies and removals a crash interrupted.
    pub fn remove_scratch_directories(&self) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.base) else { return Ok(()) };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".copy") || name.ends_with(".drop") {
                std::fs::remove_dir_all(entry.path()).map_err(|e| io_error("remove", &entry.path(), e))?;
            }
        }
        Ok(())
    }

    /// How many files are open now (for tests and metrics).
    pub fn open_files(&self) -> usize {
        self.open.lock().files.len()
    }
}

/// Make a directory's entries (files created, renamed or removed in it) durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(|e| io_error("fsync", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tusk-smgr-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn page(fill: u8) -> [u8; PAGE_SIZE] {
        [fill; PAGE_SIZE]
    }

    #[test]
    fn extend_read_write_across_segments() {
        let dir = temp("seg");
        let smgr = Smgr::with_segment_size(&dir, 4, 3);
        let rel = RelFileLocator { db: 5, relfilenode: 16384 };
        smgr.create(rel, Fork::Main).unwrap();
        assert_eq!(smgr.nblocks(rel, Fork::Main).unwrap(), 0);
        for b in 0..8 {
            smgr.extend(rel, Fork::Main, b, &page(b as u8)).unwrap();
        }
        assert_eq!(smgr.nblocks(rel, Fork::Main).unwrap(), 8);
        assert!(dir.join("base/5/16384.2").exists());
        let mut buf = page(0);
        smgr.read(rel, Fork::Main, 7, &mut buf).unwrap();
        assert_eq!(buf[100], 7);
        smgr.write(rel, Fork::Main, 4, &page(99)).unwrap();
        smgr.read(rel, Fork::Main, 4, &mut buf).unwrap();
        assert_eq!(buf[0], 99);
        assert!(smgr.read(rel, Fork::Main, 8, &mut buf).is_err());
        smgr.sync(rel, Fork::Main).unwrap();
        smgr.truncate(rel, Fork::Main, 4).unwrap();
        assert_eq!(smgr.nblocks(rel, Fork::Main).unwrap(), 4);
        assert!(!dir.join("base/5/16384.2").exists());
        smgr.unlink(rel).unwrap();
        assert!(!smgr.exists(rel, Fork::Main));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn open_files_are_bounded() {
        let dir = temp("fds");
        let smgr = Smgr::new(&dir, 8);
        for n in 0..50 {
            let rel = RelFileLocator { db: 1, relfilenode: 20000 + n };
            smgr.create(rel, Fork::Main).unwrap();
            smgr.extend(rel, Fork::Main, 0, &page(n as u8)).unwrap();
        }
        assert!(smgr.open_files() <= 8);
        let mut buf = page(0);
        smgr.read(RelFileLocator { db: 1, relfilenode: 20003 }, Fork::Main, 0, &mut buf).unwrap();
        assert_eq!(buf[0], 3);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
