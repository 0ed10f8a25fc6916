//! The free-space map: which pages of a relation have room, so that
//! inserts and new row versions go into space vacuum freed instead of
//! always at the end (PostgreSQL's FSM).
//!
//! It lives in the relation's free-space fork (`<relfilenode>_fsm`),
//! through the buffer pool like any page: one byte per heap page, the
//! page's free space in units of 32 bytes (PostgreSQL's categories), for
//! [`SLOTS`] heap pages per map page. Rules:
//!
//! 1. It is a hint. A page it names is checked under its own lock before
//!    use, and a wrong entry only costs a look. So map pages are not
//!    WAL-logged: after a crash the map may be stale (never unsafe), and a
//!    map page that fails its checksum (a torn write) is read as zeros.
//! 2. A heap page's lock may be held while its map byte is set, never the
//!    other way round.
//! 3. Above the pages, memory holds the top of the tree: per map page an
//!    upper bound of its largest category, loaded on a relation's first
//!    use. A search skips map pages whose bound is too low, so an insert
//!    into a table without free space costs one lookup; a page searched in
//!    vain gets its bound lowered to the truth.

use std::sync::Arc;

use dashmap::DashMap;
use parking_lot::RwLock;

use super::buffer::{BufferPool, BufferTag};
use super::page::{HEADER_SIZE, PAGE_SIZE, PageRead, PageWrite};
use super::smgr::{Fork, RelFileLocator};
use crate::error::Result;

/// Heap pages described by one map page.
pub const SLOTS: usize = PAGE_SIZE - HEADER_SIZE;

/// Bytes of free space per category step.
const STEP: usize = 32;

/// Pages with less free space than this are not worth remembering.
const MIN_USEFUL: usize = 256;

/// The category recorded for `free` bytes (rounded down: the page has at
/// least that much).
fn category(free: usize) -> u8 {
    if free < MIN_USEFUL { 0 } else { (free / STEP).min(u8::MAX as usize) as u8 }
}

/// The smallest category that guarantees `len` bytes (rounded up).
fn needed(len: usize) -> u8 {
    len.div_ceil(STEP).clamp(1, u8::MAX as usize) as u8
}

/// Per map page, an upper bound of its largest category.
type Bounds = Arc<RwLock<Vec<u8>>>;

/// The in-memory top of every relation's map (see the module rules).
#[derive(Debug, Default)]
pub struct FreeSpaceMap {
    rels: DashMap<RelFileLocator, Bounds>,
}

fn map_tag(rel: RelFileLocator, page: usize) -> BufferTag {
    BufferTag { rel, fork: Fork::FreeSpace, block: page as u32 }
}

/// The slots of a map page (all zero on a page never initialized).
fn slots(page: &impl PageRead) -> &[u8] {
    if page.is_new() { &[] } else { &page.bytes()[PAGE_SIZE - SLOTS..] }
}

impl BufferPool {
    /// The map's bounds for `rel`, reading its map pages on first use.
    fn fsm_bounds(&self, rel: RelFileLocator) -> Result<Bounds> {
        if let Some(b) = self.fsm.rels.get(&rel) {
            return Ok(b.clone());
        }
        let smgr = self.smgr();
        let pages = if smgr.exists(rel, Fork::FreeSpace) { smgr.nblocks(rel, Fork::FreeSpace)? } else { 0 };
        let mut bounds = Vec::with_capacity(pages as usize);
        for p in 0..pages as usize {
            let buf = self.read_buffer(map_tag(rel, p))?;
            bounds.push(slots(&*buf.read()).iter().copied().max().unwrap_or(0));
        }
        Ok(self.fsm.rels.entry(rel).or_insert_with(|| Arc::new(RwLock::new(bounds))).clone())
    }

    /// Page `block` of `rel` has `free` bytes.
    pub fn record_free_space(&self, rel: RelFileLocator, block: u32, free: usize) -> Result<()> {
        let cat = category(free);
        let bounds = self.fsm_bounds(rel)?;
        let (page, slot) = (block as usize / SLOTS, block as usize % SLOTS);
        if cat == 0 && bounds.read().get(page).is_none_or(|&b| b == 0) {
            // Nothing recorded there: nothing to clear.
            return Ok(());
        }
        let buf = self.read_buffer_extending(map_tag(rel, page))?;
        let mut p = buf.write();
        if p.is_new() {
            p.init(SLOTS);
        }
        let at = PAGE_SIZE - SLOTS + slot;
        if p.bytes()[at] == cat {
            return Ok(());
        }
        p.bytes_mut()[at] = cat;
        buf.mark_dirty();
        // Raised under the page's lock, so a search that lowers the bound
        // (also under it) cannot undo this.
        let mut b = bounds.write();
        if b.len() <= page {
            b.resize(page + 1, 0);
        }
        b[page] = b[page].max(cat);
        Ok(())
    }

    /// A page of `rel` said to have at least `len` bytes free, other than
    /// `avoid`, lowest first (so a table fills from the front).
    pub fn find_free_space(&self, rel: RelFileLocator, len: usize, avoid: Option<u32>) -> Result<Option<u32>> {
        let want = needed(len);
        let bounds = self.fsm_bounds(rel)?;
        let mut page = 0;
        loop {
            let Some(next) = bounds.read().iter().skip(page).position(|&b| b >= want).map(|i| page + i) else {
                return Ok(None);
            };
            page = next;
            let buf = self.read_buffer(map_tag(rel, page))?;
            let p = buf.read();
            let s = slots(&*p);
            let base = (page * SLOTS) as u32;
            let hit = first_with_room(s, want, |i| Some(base + i as u32) != avoid).map(|i| base + i as u32);
            if hit.is_some() {
                return Ok(hit);
            }
            // The truth, under the page's lock (see `record_free_space`).
            bounds.write()[page] = s.iter().copied().max().unwrap_or(0);
            drop(p);
            page += 1;
        }
    }

    /// The relation's files are gone (dropped or given a new file).
    pub fn forget_free_space(&self, rel: RelFileLocator) {
        self.fsm.rels.remove(&rel);
    }

    /// The relation was cut to `nblocks` blocks: its map forgets the pages
    /// from there on, and map pages wholly past them go.
    pub fn truncate_free_space(&self, rel: RelFileLocator, nblocks: u32) -> Result<()> {
        let smgr = self.smgr();
        if !smgr.exists(rel, Fork::FreeSpace) {
            self.forget_free_space(rel);
            return Ok(());
        }
        let keep = (nblocks as usize).div_ceil(SLOTS);
        let have = smgr.nblocks(rel, Fork::FreeSpace)? as usize;
        if keep > 0 && keep <= have && nblocks as usize % SLOTS != 0 {
            let buf = self.read_buffer(map_tag(rel, keep - 1))?;
            let mut p = buf.write();
            if !p.is_new() {
                p.bytes_mut()[PAGE_SIZE - SLOTS + nblocks as usize % SLOTS..].fill(0);
                buf.mark_dirty();
            }
        }
        if have > keep {
            self.drop_fork_blocks_from(rel, Fork::FreeSpace, keep as u32)?;
            smgr.truncate(rel, Fork::FreeSpace, keep as u32)?;
        }
        self.forget_free_space(rel);
        Ok(())
    }
}

/// The first slot with at least `want`, among those `ok` accepts. Slots
/// are skipped a block at a time by their maximum (a loop the compiler
/// vectorizes): a table filled from the front has long runs of full pages.
fn first_with_room(slots: &[u8], want: u8, ok: impl Fn(usize) -> bool) -> Option<usize> {
    const BLOCK: usize = 64;
    for (b, block) in slots.chunks(BLOCK).enumerate() {
        if block.iter().fold(0, |m, &c| m.max(c)) < want {
            continue;
        }
        let found = block.iter().enumerate().find(|&(i, &c)| c >= want && ok(b * BLOCK + i));
        if let Some((i, _)) = found {
            return Some(b * BLOCK + i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::buffer::NotLogged;
    use crate::storage::smgr::Smgr;

    fn pool(dir: &std::path::Path) -> BufferPool {
        BufferPool::new(16, Arc::new(Smgr::new(dir, 8)), Arc::new(NotLogged))
    }

    fn temp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("tusk-fsm-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn slot_search_skips_full_blocks_and_honours_the_filter() {
        let mut slots = vec![0u8; 1000];
        slots[130] = 5;
        slots[700] = 9;
        slots[701] = 9;
        assert_eq!(first_with_room(&slots, 5, |_| true), Some(130));
        assert_eq!(first_with_room(&slots, 6, |_| true), Some(700));
        assert_eq!(first_with_room(&slots, 6, |i| i != 700), Some(701));
        assert_eq!(first_with_room(&slots, 10, |_| true), None);
        assert_eq!(first_with_room(&slots, 5, |i| i > 701), None);
    }

    #[test]
    fn finds_the_lowest_page_with_room() {
        let dir = temp("find");
        let pool = pool(&dir);
        let rel = RelFileLocator { db: 5, relfilenode: 16384 };
        assert_eq!(pool.find_free_space(rel, 100, None).unwrap(), None);
        pool.record_free_space(rel, 7, 4000).unwrap();
        pool.record_free_space(rel, 3, 500).unwrap();
        pool.record_free_space(rel, 9, 100).unwrap();
        assert_eq!(pool.find_free_space(rel, 400, None).unwrap(), Some(3));
        assert_eq!(pool.find_free_space(rel, 600, None).unwrap(), Some(7));
        assert_eq!(pool.find_free_space(rel, 600, Some(7)).unwrap(), None);
        pool.record_free_space(rel, 7, 0).unwrap();
        assert_eq!(pool.find_free_space(rel, 600, None).unwrap(), None);
        // A page far out needs a second map page.
        let far = SLOTS as u32 * 2 + 5;
        pool.record_free_space(rel, far, 8000).unwrap();
        assert_eq!(pool.find_free_space(rel, 600, None).unwrap(), Some(far));
        pool.truncate_free_space(rel, far).unwrap();
        assert_eq!(pool.find_free_space(rel, 600, None).unwrap(), None);
        assert_eq!(pool.find_free_space(rel, 400, None).unwrap(), Some(3));
    }

    #[test]
    fn survives_a_restart_and_a_torn_page() {
        let dir = temp("restart");
        let rel = RelFileLocator { db: 5, relfilenode: 16385 };
        {
            let pool = pool(&dir);
            pool.record_free_space(rel, 2, 3000).unwrap();
            pool.flush_all(crate::storage::buffer::Writer::Checkpointer).unwrap();
        }
        let pool2 = pool(&dir);
        assert_eq!(pool2.find_free_space(rel, 2000, None).unwrap(), Some(2));
        drop(pool2);
        // A torn map page reads as empty instead of failing.
        let path = dir.join("base/5/16385_fsm");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[100] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let pool3 = pool(&dir);
        assert_eq!(pool3.find_free_space(rel, 2000, None).unwrap(), None);
        pool3.record_free_space(rel, 4, 3000).unwrap();
        assert_eq!(pool3.find_free_space(rel, 2000, None).unwrap(), Some(4));
    }

    #[test]
    fn categories_round_safely() {
        assert_eq!(category(100), 0);
        assert_eq!(category(300), 9);
        assert!(category(8000) as usize * STEP <= 8000);
        assert_eq!(needed(33), 2);
        assert!(needed(8100) as usize * STEP >= 8100 || needed(8100) == u8::MAX);
    }
}
