//! The visibility map: two bits per heap page, *all-visible* (every tuple
//! on the page is visible to every snapshot, now and later) and
//! *all-frozen* (and every insert on it is frozen), as PostgreSQL keeps
//! them (`visibilitymap.c`).
//!
//! It lives in the relation's visibility fork (`<relfilenode>_vm`), through
//! the buffer pool: a map page is a page header and then [`HEAP_PAGES`]
//! pairs of bits, heap page `b`'s at bit `2 * (b % HEAP_PAGES)`. Index-only
//! scans read it to skip the heap for pages all-visible, and VACUUM to skip
//! pages all-frozen; VACUUM sets it, and COPY FREEZE for the pages it fills.
//!
//! Rules:
//!
//! 1. A bit is set only by [`crate::storage::heap::Heap::set_all_visible`],
//!    under the heap page's exclusive lock, together with the heap page's
//!    `PD_ALL_VISIBLE` flag, in one WAL record that names both pages (so
//!    both get images on their first change after a checkpoint, and the
//!    map page cannot reach disk before the record).
//! 2. Every change to a heap page that may make a tuple on it invisible to
//!    somebody (insert, update, delete, row lock) looks at the page's
//!    `PD_ALL_VISIBLE` flag under the page's exclusive lock; if it is set,
//!    it clears the flag and the page's bits (see [`clear`]) before the
//!    change can be seen, and its WAL record says so, so that redo clears
//!    the bits again whatever state the map page reached the disk in.
//!    Hence a reader that finds an index entry and then the bit set knows
//!    the page had not changed when the entry was read.
//! 3. Clearing is not logged by itself and does not move the map page's
//!    LSN; it is safe to lose (bits set wrongly are what is unsafe), so a
//!    map page that fails its checksum (a torn write) is read as zeros.
//! 4. The map is cut with its heap (vacuum's truncation); a new relation
//!    file (TRUNCATE, VACUUM FULL) starts with no map.
//! 5. Lock order: a heap page before its map page, never the other way.
//! 6. Setting a bit is counted ([`SetCounts`]): started before the map
//!    page is changed, finished after. An index-only scan takes a mark
//!    before it reads a batch of index entries and trusts a bit it finds
//!    set only if no bit of the relation's was set since (else it looks at
//!    the heap). Rule 2 covers changes that clear a bit; this one covers
//!    VACUUM, which after the scan read an entry may remove it, free the
//!    tuple it pointed at, and then set the page's bit: a bit set since the
//!    mark says nothing of the entries read after it. (PostgreSQL's
//!    index-only scans keep the index page pinned until they have checked
//!    the map, which holds VACUUM off the entries on it.)

use super::buffer::{BufferPool, BufferTag};
use super::page::{HEADER_SIZE, PAGE_SIZE, PageRead, PageWrite};
use super::smgr::{Fork, RelFileLocator};
use crate::error::Result;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every tuple on the page is visible to every snapshot.
pub const ALL_VISIBLE: u8 = 1;
/// And every one of them is frozen.
pub const ALL_FROZEN: u8 = 2;

/// How many stripes of relations [`SetCounts`] counts apart.
const SET_STRIPES: usize = 64;

/// Bits set in each stripe of relations (by relfilenode): how many
/// settings started and how many finished (rule 6).
pub struct SetCounts {
    started: [AtomicU64; SET_STRIPES],
    finished: [AtomicU64; SET_STRIPES],
}

impl Default for SetCounts {
    fn default() -> SetCounts {
        SetCounts {
            started: std::array::from_fn(|_| AtomicU64::new(0)),
            finished: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// A setting of bits of a relation's, under way until dropped.
pub struct Setting<'a> {
    finished: &'a AtomicU64,
}

impl Drop for Setting<'_> {
    fn drop(&mut self) {
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

impl SetCounts {
    fn stripe(rel: RelFileLocator) -> usize {
        (rel.relfilenode as usize ^ (rel.db as usize).rotate_left(7)) % SET_STRIPES
    }

    /// Bits of `rel`'s are about to be set; done when the guard goes,
    /// after the map page was changed.
    pub fn setting(&self, rel: RelFileLocator) -> Setting<'_> {
        let i = Self::stripe(rel);
        self.started[i].fetch_add(1, Ordering::SeqCst);
        Setting { finished: &self.finished[i] }
    }

    /// A mark for [`SetCounts::none_since`], taken before index entries
    /// are read.
    pub fn mark(&self, rel: RelFileLocator) -> u64 {
        self.finished[Self::stripe(rel)].load(Ordering::SeqCst)
    }

    /// Whether no bit of `rel`'s was set, or being set, since `mark` was
    /// taken: every setting started by now had finished then. Asked after
    /// a bit was read, so that a bit set after the mark shows here.
    pub fn none_since(&self, rel: RelFileLocator, mark: u64) -> bool {
        self.started[Self::stripe(rel)].load(Ordering::SeqCst) == mark
    }
}

/// Bytes of bits on a map page.
const MAP_BYTES: usize = PAGE_SIZE - HEADER_SIZE;
/// Heap pages described by one map page.
pub const HEAP_PAGES: u32 = (MAP_BYTES * 4) as u32;

/// Where heap page `block`'s bits are: the map page, byte and shift.
fn locate(rel: RelFileLocator, block: u32) -> (BufferTag, usize, u32) {
    let tag = BufferTag { rel, fork: Fork::Visibility, block: block / HEAP_PAGES };
    let slot = (block % HEAP_PAGES) as usize;
    (tag, PAGE_SIZE - MAP_BYTES + slot / 4, (slot % 4) as u32 * 2)
}

/// Heap page `block`'s bits (0 when the map does not reach it).
pub fn bits(pool: &BufferPool, rel: RelFileLocator, block: u32) -> Result<u8> {
    let (tag, byte, shift) = locate(rel, block);
    if tag.block >= pool.smgr().nblocks(rel, Fork::Visibility)? {
        return Ok(0);
    }
    let buf = pool.read_buffer(tag)?;
    let page = buf.read();
    if page.is_new() {
        return Ok(0);
    }
    Ok((page.bytes()[byte] >> shift) & 3)
}

/// Clear heap page `block`'s bits, if the map has them (rule 2).
pub fn clear(pool: &BufferPool, rel: RelFileLocator, block: u32) -> Result<()> {
    let (tag, byte, shift) = locate(rel, block);
    if tag.block >= pool.smgr().nblocks(rel, Fork::Visibility)? {
        return Ok(());
    }
    let buf = pool.read_buffer(tag)?;
    let mut page = buf.write();
    if page.is_new() || (page.bytes()[byte] >> shift) & 3 == 0 {
        return Ok(());
    }
    page.bytes_mut()[byte] &= !(3 << shift);
    buf.mark_dirty();
    Ok(())
}

/// Set `flags` among heap page `block`'s bits on a locked map page (the
/// caller logs the change and stamps the page: rule 1). Whether they changed.
pub fn set_on_page(page: &mut super::page::PageBuf, block: u32, flags: u8) -> bool {
    let (_, byte, shift) = locate(RelFileLocator { db: 0, relfilenode: 0 }, block);
    if page.is_new() {
        page.init(MAP_BYTES);
    }
    let old = page.bytes()[byte];
    let new = old | ((flags & 3) << shift);
    page.bytes_mut()[byte] = new;
    new != old
}

/// The map page holding heap page `block`'s bits.
pub fn map_page(rel: RelFileLocator, block: u32) -> BufferTag {
    locate(rel, block).0
}

/// How many of the first `nblocks` heap pages are all-visible
/// (`pg_class.relallvisible`).
pub fn count_all_visible(pool: &BufferPool, rel: RelFileLocator, nblocks: u32) -> Result<u32> {
    let pages = pool.smgr().nblocks(rel, Fork::Visibility)?;
    let mut n = 0;
    for p in 0..pages {
        let first = p * HEAP_PAGES;
        if first >= nblocks {
            break;
        }
        let buf = pool.read_buffer(BufferTag { rel, fork: Fork::Visibility, block: p })?;
        let page = buf.read();
        if page.is_new() {
            continue;
        }
        let bytes = &page.bytes()[PAGE_SIZE - MAP_BYTES..];
        for slot in 0..(nblocks - first).min(HEAP_PAGES) as usize {
            if (bytes[slot / 4] >> ((slot % 4) * 2)) & ALL_VISIBLE != 0 {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// The heap was cut to `nblocks` pages: forget the bits of the pages gone
/// (rule 4). Map pages past the last needed are cut from the file; the
/// bits past the end on the last map page are cleared.
pub fn truncate(pool: &BufferPool, rel: RelFileLocator, nblocks: u32) -> Result<()> {
    let smgr = pool.smgr();
    let pages = smgr.nblocks(rel, Fork::Visibility)?;
    if pages == 0 {
        return Ok(());
    }
    let keep = nblocks.div_ceil(HEAP_PAGES);
    if keep < pages {
        pool.drop_fork_blocks_from(rel, Fork::Visibility, keep)?;
        smgr.truncate(rel, Fork::Visibility, keep)?;
    }
    if nblocks % HEAP_PAGES != 0 && keep > 0 && keep <= pages {
        let buf = pool.read_buffer(BufferTag { rel, fork: Fork::Visibility, block: keep - 1 })?;
        let mut page = buf.write();
        if !page.is_new() {
            let from = (nblocks % HEAP_PAGES) as usize;
            let base = PAGE_SIZE - MAP_BYTES;
            let mut changed = false;
            for slot in from..HEAP_PAGES as usize {
                let (byte, shift) = (base + slot / 4, (slot % 4) * 2);
                if (page.bytes()[byte] >> shift) & 3 != 0 {
                    page.bytes_mut()[byte] &= !(3 << shift);
                    changed = true;
                }
            }
            if changed {
                buf.mark_dirty();
            }
        }
    }
    Ok(())
}
