//! The shared buffer pool: a fixed array of 8 KiB frames caching relation
//! pages, shared by every session and background task. See `README.md`
//! beside this file for the rules.
//!
//! - The page table maps a [`BufferTag`] to a frame. It is a `DashMap`, so
//!   lookups from many sessions take one of many shard locks, not one lock.
//! - A frame is found by its tag and *pinned* ([`Buffer`], released on
//!   drop); a pinned frame is never evicted.
//! - Its page is read or changed under the frame's content lock
//!   ([`Buffer::read`] shared, [`Buffer::write`] exclusive).
//! - Eviction is clock-sweep with usage counts, as in PostgreSQL. A dirty
//!   victim is written first — and before that, WAL is flushed up to the
//!   page's LSN (WAL-before-data).
//! - Pages are checksummed when written out and verified when read in.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use dashmap::DashMap;
use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::page::{PAGE_SIZE, PageBuf, PageRead, PageWrite};
use super::smgr::{Fork, RelFileLocator, Smgr};
use crate::err;
use crate::error::{Error, Result, SqlState};

/// Which page: relation, fork and block number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BufferTag {
    pub rel: RelFileLocator,
    pub fork: Fork,
    pub block: u32,
}

/// What the pool needs from the write-ahead log: before a page goes to
/// disk, every WAL record up to the page's LSN must be durable.
pub trait WalFlush: Send + Sync {
    fn flush_to(&self, lsn: u64) -> Result<()>;
}

/// For relations that are not WAL-logged (temporary and unlogged ones):
/// their pages carry no LSN to wait for.
pub struct NotLogged;

impl WalFlush for NotLogged {
    fn flush_to(&self, _lsn: u64) -> Result<()> {
        Ok(())
    }
}

/// Who wrote a page out, for statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    Backend,
    BackgroundWriter,
    Checkpointer,
}

/// Counters of the pool's work.
#[derive(Default, Debug)]
pub struct BufferStats {
    pub hits: AtomicU64,
    pub reads: AtomicU64,
    pub evictions: AtomicU64,
    pub writes_backend: AtomicU64,
    pub writes_bgwriter: AtomicU64,
    pub writes_checkpointer: AtomicU64,
}

/// A frame just mapped to a tag, with its I/O lock held.
type MappedFrame<'a> = (usize, parking_lot::MutexGuard<'a, bool>);

/// PostgreSQL's BM_MAX_USAGE_COUNT.
const MAX_USAGE: u32 = 5;

struct Frame {
    /// The page held, if any. Changed only by a task that pins the frame
    /// alone and has removed the old tag from the page table.
    tag: Mutex<Option<BufferTag>>,
    pins: AtomicU32,
    usage: AtomicU32,
    dirty: AtomicBool,
    /// The content lock and the page image.
    page: RwLock<PageBuf>,
    /// Held while the page is being read in; `true` once it holds the tag's page.
    valid: Mutex<bool>,
}

pub struct BufferPool {
    frames: Box<[Frame]>,
    table: DashMap<BufferTag, usize, crate::storage::hash::FastBuild>,
    clock: AtomicUsize,
    smgr: Arc<Smgr>,
    wal: Arc<dyn WalFlush>,
    extension_locks: DashMap<(RelFileLocator, Fork), Arc<Mutex<()>>>,
    pub stats: BufferStats,
    /// Which pages have room (heap inserts consult it).
    pub fsm: crate::storage::fsm::FreeSpaceMap,
    /// Visibility-map bits being set (index-only scans consult it).
    pub vm_sets: crate::storage::vm::SetCounts,
}

/// A pinned frame. The page cannot be evicted while this lives.
pub struct Buffer<'a> {
    pool: &'a BufferPool,
    idx: usize,
    tag: BufferTag,
}

impl Drop for Buffer<'_> {
    fn drop(&mut self) {
        self.pool.frames[self.idx].pins.fetch_sub(1, Ordering::Release);
    }
}

/// A held content lock, counted per thread: a session must hold none when
/// it suspends to wait or lets others run (see [`crate::txn::wait`]).
pub struct Content<G> {
    guard: G,
    _held: Held,
}

pub type ContentRead<'a> = Content<RwLockReadGuard<'a, PageBuf>>;
pub type ContentWrite<'a> = Content<RwLockWriteGuard<'a, PageBuf>>;

impl<G> Content<G> {
    fn new(guard: G) -> Content<G> {
        Content { guard, _held: Held::new() }
    }
}

impl<G: std::ops::Deref> std::ops::Deref for Content<G> {
    type Target = G::Target;
    fn deref(&self) -> &G::Target {
        &self.guard
    }
}

impl<G: std::ops::DerefMut> std::ops::DerefMut for Content<G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.guard
    }
}

thread_local! {
    static CONTENT_LOCKS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One count of [`content_locks_held`].
struct Held;

impl Held {
    fn new() -> Held {
        CONTENT_LOCKS.set(CONTENT_LOCKS.get().wrapping_add(1));
        Held
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        CONTENT_LOCKS.set(CONTENT_LOCKS.get().wrapping_sub(1));
    }
}

/// How many buffer content locks this thread holds.
pub fn content_locks_held() -> usize {
    CONTENT_LOCKS.get()
}

impl<'a> Buffer<'a> {
    pub fn tag(&self) -> BufferTag {
        self.tag
    }

    /// Take the content lock shared: look at the page.
    pub fn read(&self) -> ContentRead<'a> {
        Content::new(self.pool.frames[self.idx].page.read())
    }

    /// Take the content lock exclusively: change the page. The caller marks
    /// it dirty ([`Buffer::mark_dirty`]) after logging the change.
    pub fn write(&self) -> ContentWrite<'a> {
        Content::new(self.pool.frames[self.idx].page.write())
    }

    /// Take the content lock exclusively if nobody holds it (PostgreSQL's
    /// `ConditionalLockBuffer`).
    pub fn try_write(&self) -> Option<ContentWrite<'a>> {
        self.pool.frames[self.idx].page.try_write().map(Content::new)
    }

    /// Whether this is the only pin of the page: nobody else can be
    /// looking at it or about to (PostgreSQL's cleanup-lock test; only
    /// meaningful under the exclusive content lock, since new pins need a
    /// way to the page).
    pub fn is_sole_pin(&self) -> bool {
        self.pool.frames[self.idx].pins.load(Ordering::Acquire) == 1
    }

    /// The page differs from its copy on disk and must be written before eviction.
    pub fn mark_dirty(&self) {
        self.pool.frames[self.idx].dirty.store(true, Ordering::Release);
    }
}

impl BufferPool {
    /// A pool of `nframes` frames over `smgr`, flushing WAL through `wal`.
    pub fn new(nframes: usize, smgr: Arc<Smgr>, wal: Arc<dyn WalFlush>) -> BufferPool {
        let frames: Box<[Frame]> = (0..nframes.max(4))
            .map(|_| Frame {
                tag: Mutex::new(None),
                pins: AtomicU32::new(0),
                usage: AtomicU32::new(0),
                dirty: AtomicBool::new(false),
                page: RwLock::new(PageBuf::zeroed()),
                valid: Mutex::new(false),
            })
            .collect();
        BufferPool {
            table: DashMap::with_capacity_and_hasher(frames.len(), Default::default()),
            frames,
            clock: AtomicUsize::new(0),
            smgr,
            wal,
            extension_locks: DashMap::new(),
            fsm: crate::storage::fsm::FreeSpaceMap::default(),
            vm_sets: crate::storage::vm::SetCounts::default(),
            stats: BufferStats::default(),
        }
    }

    pub fn smgr(&self) -> &Smgr {
        &self.smgr
    }

    pub fn frames(&self) -> usize {
        self.frames.len()
    }

    /// Pin the frame mapped to `tag`, if any. Pinning happens under the page
    /// table's shard lock, so an evictor (which removes the mapping under the
    /// same lock, only when unpinned) cannot take the frame meanwhile.
    fn pin_mapped(&self, tag: &BufferTag) -> Option<usize> {
        let entry = self.table.get(tag)?;
        let idx = *entry;
        self.frames[idx].pins.fetch_add(1, Ordering::Acquire);
        drop(entry);
        Some(idx)
    }

    /// Pin the page `tag`, reading it from disk if it is not cached.
    pub fn read_buffer(&self, tag: BufferTag) -> Result<Buffer<'_>> {
        loop {
            if let Some(idx) = self.pin_mapped(&tag) {
                let buf = Buffer { pool: self, idx, tag };
                self.ensure_valid(&buf)?;
                let frame = &self.frames[idx];
                if frame.usage.load(Ordering::Relaxed) < MAX_USAGE {
                    frame.usage.fetch_add(1, Ordering::Relaxed);
                }
                self.stats.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(buf);
            }
            let Some((idx, mut valid)) = self.map_new_frame(tag, |_| false)? else { continue };
            let buf = Buffer { pool: self, idx, tag };
            self.load(&buf, &mut valid)?;
            return Ok(buf);
        }
    }

    /// Claim a victim frame and map `tag` to it, with the frame's I/O lock
    /// held (taken before the mapping is published, so anyone who finds it
    /// waits for the caller to fill the frame). `prepare` sets up the page and
    /// says whether it is valid. `None` if another task mapped `tag` first.
    fn map_new_frame(
        &self,
        tag: BufferTag,
        prepare: impl FnOnce(&mut PageBuf) -> bool,
    ) -> Result<Option<MappedFrame<'_>>> {
        let idx = self.claim_victim()?;
        let frame = &self.frames[idx];
        let mut valid = frame.valid.lock();
        match self.table.entry(tag) {
            dashmap::Entry::Occupied(_) => {
                // Someone else is bringing the same page in: use theirs.
                drop(valid);
                frame.pins.fetch_sub(1, Ordering::Release);
                Ok(None)
            }
            dashmap::Entry::Vacant(v) => {
                *frame.tag.lock() = Some(tag);
                frame.usage.store(1, Ordering::Relaxed);
                *valid = prepare(&mut frame.page.write());
                v.insert(idx);
                Ok(Some((idx, valid)))
            }
        }
    }

    /// Wait for a concurrent read of the page to finish; read it ourselves if that one failed.
    fn ensure_valid(&self, buf: &Buffer<'_>) -> Result<()> {
        let frame = &self.frames[buf.idx];
        let mut valid = frame.valid.lock();
        if *valid {
            return Ok(());
        }
        self.load(buf, &mut valid)
    }

    /// Read the page from disk into the pinned frame (I/O lock held).
    fn load(&self, buf: &Buffer<'_>, valid: &mut bool) -> Result<()> {
        let frame = &self.frames[buf.idx];
        let tag = buf.tag;
        let mut page = frame.page.write();
        self.smgr.read(tag.rel, tag.fork, tag.block, &mut page.0)?;
        if !page.verify_checksum(tag.block) || (!page.is_new() && !page.header_is_valid()) {
            if tag.fork == Fork::FreeSpace || tag.fork == Fork::Visibility {
                // Only hints live there (see `fsm.rs`), or bits whose loss
                // is safe (rule 3 of `vm.rs`): start the page afresh.
                tracing::warn!(block = tag.block, rel = %tag.rel, "invalid free-space or visibility map page, zeroed");
                page.0.fill(0);
                self.stats.reads.fetch_add(1, Ordering::Relaxed);
                *valid = true;
                return Ok(());
            }
            return Err(err!(SqlState::DATA_CORRUPTED, "invalid page in block {} of relation {}", tag.block, tag.rel));
        }
        self.stats.reads.fetch_add(1, Ordering::Relaxed);
        *valid = true;
        Ok(())
    }

    /// Find an unpinned frame by clock sweep, write it out if dirty, unmap
    /// it, and return it pinned by the caller alone.
    fn claim_victim(&self) -> Result<usize> {
        let n = self.frames.len();
        // Every frame pinned through several full sweeps: the pool is too small.
        for _ in 0..n * (MAX_USAGE as usize + 2) * 4 {
            let idx = self.clock.fetch_add(1, Ordering::Relaxed) % n;
            let frame = &self.frames[idx];
            if frame.pins.load(Ordering::Acquire) > 0 {
                continue;
            }
            let usage = frame.usage.load(Ordering::Relaxed);
            if usage > 0 {
                frame.usage.store(usage - 1, Ordering::Relaxed);
                continue;
            }
            if frame.pins.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
                continue;
            }
            if frame.dirty.load(Ordering::Acquire) {
                if let Err(e) = self.write_out(idx, Writer::Backend) {
                    frame.pins.fetch_sub(1, Ordering::Release);
                    return Err(e);
                }
            }
            let old = *frame.tag.lock();
            if let Some(old) = old {
                // Unmap only if nobody pinned it meanwhile and it is still clean.
                let removed = self.table.remove_if(&old, |_, &i| {
                    i == idx && frame.pins.load(Ordering::Acquire) == 1 && !frame.dirty.load(Ordering::Acquire)
                });
                if removed.is_none() {
                    frame.pins.fetch_sub(1, Ordering::Release);
                    continue;
                }
                self.stats.evictions.fetch_add(1, Ordering::Relaxed);
            }
            *frame.tag.lock() = None;
            return Ok(idx);
        }
        Err(err!(SqlState::INSUFFICIENT_RESOURCES, "no unpinned buffers available"))
    }

    /// Write a frame's page to disk if dirty: WAL first, then the page with its checksum.
    fn write_out(&self, idx: usize, who: Writer) -> Result<()> {
        let frame = &self.frames[idx];
        let Some(tag) = *frame.tag.lock() else { return Ok(()) };
        // Shared content lock: nobody changes the page while it is copied.
        let page = frame.page.read();
        if !frame.dirty.load(Ordering::Acquire) {
            return Ok(());
        }
        self.wal.flush_to(page.lsn())?;
        let mut copy = [0u8; PAGE_SIZE];
        copy.copy_from_slice(&page.0[..]);
        frame.dirty.store(false, Ordering::Release);
        drop(page);
        if !copy.is_new() {
            copy.set_checksum(tag.block);
        }
        if let Err(e) = self.smgr.write(tag.rel, tag.fork, tag.block, &copy) {
            frame.dirty.store(true, Ordering::Release);
            return Err(e);
        }
        let counter = match who {
            Writer::Backend => &self.stats.writes_backend,
            Writer::BackgroundWriter => &self.stats.writes_bgwriter,
            Writer::Checkpointer => &self.stats.writes_checkpointer,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Recovery: pin a page whose contents a WAL record will replace whole
    /// (it carries a full-page image), without reading or verifying the old
    /// contents, extending the relation with zero pages if it is shorter.
    pub fn read_buffer_for_overwrite(&self, tag: BufferTag) -> Result<Buffer<'_>> {
        self.extend_to(tag)?;
        loop {
            if let Some(idx) = self.pin_mapped(&tag) {
                *self.frames[idx].valid.lock() = true;
                return Ok(Buffer { pool: self, idx, tag });
            }
            let zero = |page: &mut PageBuf| {
                page.0.fill(0);
                true
            };
            let Some((idx, _valid)) = self.map_new_frame(tag, zero)? else { continue };
            return Ok(Buffer { pool: self, idx, tag });
        }
    }

    /// Recovery: pin a page, extending the relation with zero pages first if
    /// the WAL refers to a block past its end (the extension was not yet on disk).
    pub fn read_buffer_for_redo(&self, tag: BufferTag) -> Result<Buffer<'_>> {
        self.read_buffer_extending(tag)
    }

    /// Pin a page, first extending its fork with zero pages up to it if it
    /// is past the end (creating the fork if need be).
    pub fn read_buffer_extending(&self, tag: BufferTag) -> Result<Buffer<'_>> {
        self.extend_to(tag)?;
        self.read_buffer(tag)
    }

    fn extend_to(&self, tag: BufferTag) -> Result<()> {
        let lock = self.extension_locks.entry((tag.rel, tag.fork)).or_insert_with(|| Arc::new(Mutex::new(()))).clone();
        let _guard = lock.lock();
        if !self.smgr.exists(tag.rel, tag.fork) {
            self.smgr.create(tag.rel, tag.fork)?;
        }
        let mut n = self.smgr.nblocks(tag.rel, tag.fork)?;
        while n <= tag.block {
            self.smgr.extend(tag.rel, tag.fork, n, &[0u8; PAGE_SIZE])?;
            n += 1;
        }
        Ok(())
    }

    /// Add a new, zeroed block at the end of a relation fork and pin it.
    pub fn extend(&self, rel: RelFileLocator, fork: Fork) -> Result<Buffer<'_>> {
        Ok(self.extend_by(rel, fork, 1)?.0)
    }

    /// Add up to `n` new, zeroed blocks at the end of a relation fork at
    /// once (a bulk load's extension), their space allocated in one call;
    /// the first comes back pinned, the others are mapped zeroed (clean:
    /// the file reads as zeros there too) for the caller to record as free.
    /// Returns the first and how many were added.
    pub fn extend_by(&self, rel: RelFileLocator, fork: Fork, n: u32) -> Result<(Buffer<'_>, u32)> {
        let lock = self.extension_locks.entry((rel, fork)).or_insert_with(|| Arc::new(Mutex::new(()))).clone();
        let _guard = lock.lock();
        let block = self.smgr.nblocks(rel, fork)?;
        if block.checked_add(n).is_none() {
            return Err(err!(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "cannot extend relation {rel} beyond {} blocks",
                u32::MAX
            ));
        }
        let added = if n == 1 {
            // One block is written as zeros, so that a full disk is
            // reported to the statement that needs the space.
            self.smgr.extend(rel, fork, block, &[0u8; PAGE_SIZE])?;
            1
        } else {
            self.smgr.extend_zeroed(rel, fork, block, n)?
        };
        let zero = |page: &mut PageBuf| {
            page.0.fill(0);
            true
        };
        for b in block + 1..block + added {
            let tag = BufferTag { rel, fork, block: b };
            // Unpinned at once (a block someone mapped first is theirs).
            if let Some((idx, _valid)) = self.map_new_frame(tag, zero)? {
                drop(Buffer { pool: self, idx, tag });
            }
        }
        let tag = BufferTag { rel, fork, block };
        let first = match self.map_new_frame(tag, zero)? {
            Some((idx, _valid)) => Buffer { pool: self, idx, tag },
            None => self.read_buffer(tag)?,
        };
        Ok((first, added))
    }

    /// Write every dirty page (a checkpoint's main work). Pages dirtied while
    /// this runs may or may not be included.
    pub fn flush_all(&self, who: Writer) -> Result<usize> {
        let mut written = 0;
        for idx in 0..self.frames.len() {
            let frame = &self.frames[idx];
            if !frame.dirty.load(Ordering::Acquire) {
                continue;
            }
            // Pin so the frame is not evicted and re-tagged while it is written.
            frame.pins.fetch_add(1, Ordering::Acquire);
            let r = self.write_out(idx, who);
            frame.pins.fetch_sub(1, Ordering::Release);
            r?;
            written += 1;
        }
        Ok(written)
    }

    /// Write up to `max` dirty, unpinned pages with zero usage count — the
    /// ones the clock will evict next (the background writer's pass).
    pub fn write_ahead_of_clock(&self, max: usize) -> Result<usize> {
        let n = self.frames.len();
        let start = self.clock.load(Ordering::Relaxed);
        let mut written = 0;
        for i in 0..n {
            if written >= max {
                break;
            }
            let idx = (start + i) % n;
            let frame = &self.frames[idx];
            if frame.pins.load(Ordering::Acquire) > 0
                || frame.usage.load(Ordering::Relaxed) > 0
                || !frame.dirty.load(Ordering::Acquire)
            {
                continue;
            }
            frame.pins.fetch_add(1, Ordering::Acquire);
            let r = self.write_out(idx, Writer::BackgroundWriter);
            frame.pins.fetch_sub(1, Ordering::Release);
            r?;
            written += 1;
        }
        Ok(written)
    }

    /// Forget every cached page of a relation without writing it (it is
    /// being dropped or truncated). Fails if a page is still pinned.
    pub fn drop_relation(&self, rel: RelFileLocator) -> Result<()> {
        self.drop_pages(rel, |_| true)
    }

    /// Forget every cached page of database `db` without writing it (the
    /// database is being dropped). Fails if one is still pinned.
    pub fn drop_database(&self, db: u32) -> Result<()> {
        let mut rels: Vec<RelFileLocator> =
            self.table.iter().filter(|e| e.key().rel.db == db).map(|e| e.key().rel).collect();
        rels.sort_unstable();
        rels.dedup();
        for rel in rels {
            self.drop_relation(rel)?;
        }
        Ok(())
    }

    /// Forget the cached pages of a relation's main fork from block
    /// `nblocks` on, without writing them (the fork is being cut there).
    /// Fails if one is still pinned.
    pub fn drop_blocks_from(&self, rel: RelFileLocator, nblocks: u32) -> Result<()> {
        self.drop_fork_blocks_from(rel, Fork::Main, nblocks)
    }

    /// As [`BufferPool::drop_blocks_from`], for any fork.
    pub fn drop_fork_blocks_from(&self, rel: RelFileLocator, fork: Fork, nblocks: u32) -> Result<()> {
        self.drop_pages(rel, |t| t.fork == fork && t.block >= nblocks)
    }

    fn drop_pages(&self, rel: RelFileLocator, which: impl Fn(&BufferTag) -> bool) -> Result<()> {
        let tags: Vec<BufferTag> =
            self.table.iter().filter(|e| e.key().rel == rel && which(e.key())).map(|e| *e.key()).collect();
        for tag in tags {
            let removed = self.table.remove_if(&tag, |_, &i| self.frames[i].pins.load(Ordering::Acquire) == 0);
            match removed {
                Some((_, idx)) => {
                    let frame = &self.frames[idx];
                    frame.dirty.store(false, Ordering::Release);
                    *frame.valid.lock() = false;
                    *frame.tag.lock() = None;
                    frame.usage.store(0, Ordering::Relaxed);
                }
                None if self.table.contains_key(&tag) => {
                    return Err(Error::internal(format!("page {} of {rel} is still pinned", tag.block)));
                }
                None => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
