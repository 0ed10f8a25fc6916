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

use super::buffer::{BufferPool, BufferTag};
use super::page::{HEADER_SIZE, PAGE_SIZE, PageRead, PageWrite};
use super::smgr::{Fork, RelFileLocator};
use crate::error::Result;

/// Every tuple on the page is visible to every snapshot.
pub const ALL_VISIBLE: u8 = 1;
/// And every one of them is frozen.
pub const ALL_FROZEN: u8 = 2;

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
