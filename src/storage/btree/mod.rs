//! The B+tree index access method: entries `(key, heap TID)` in 8 KiB
//! slotted pages, every change WAL-logged. See `README.md` beside this file
//! for the invariants.
//!
//! Keys are opaque byte strings, already in a byte-comparable encoding
//! (memcmp order is SQL order); entries are ordered by `(key, TID)`, so
//! duplicate keys are allowed and every entry has a unique position. A
//! leaf entry may also carry an INCLUDE payload after its key, which is no
//! part of the order and never reaches the upper levels.
//!
//! - [`BTree::create`] writes an empty index (metapage and a root leaf);
//!   [`BTree::build`] bulk-loads sorted entries (CREATE INDEX).
//! - [`BTree::insert`] and [`BTree::insert_unique`] add one entry,
//!   splitting pages on the way up as needed (`insert.rs`).
//! - [`BTree::delete`] removes one exact entry (vacuum);
//!   [`BTree::vacuum_pages`] then unlinks empty leaves and hands deleted
//!   pages out again for new ones (`vacuum.rs`).
//! - [`BTree::scan`] returns a [`Cursor`] over a key range, forward or
//!   backward, which holds no page between batches (`scan.rs`).
//! - [`BTree::verify`] checks the whole tree (`verify.rs`); [`redo`]
//!   replays the WAL records (`redo.rs`).
//!
//! Concurrency follows Lehman and Yao, as PostgreSQL's nbtree does: every
//! page but the rightmost of its level has a high key and a right-link, so
//! a reader that arrives at a page after it split moves right. Readers hold
//! one page lock at a time. Writers lock left to right within a level and
//! child before parent; a split keeps the split pages locked until the
//! parent holds the new downlink, and the whole split (all levels, a new
//! root and the metapage included) is one WAL record — there are no
//! incomplete splits to finish after a crash.
//!
//! ```text
//!          meta (block 0) ──► root
//!                       [-∞ | k3 | k7]
//!                      /      |      \
//!   leaf [a b | hk k3] ─► [k3 k5 | hk k7] ─► [k7 k9]      (─► right-link)
//! ```

mod build;
mod insert;
mod node;
mod redo;
mod scan;
mod vacuum;
mod verify;

use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::storage::buffer::{Buffer, BufferPool, BufferTag, ContentRead, ContentWrite};
use crate::storage::page::{PageBuf, PageWrite};
use crate::storage::smgr::{Fork, RelFileLocator};
use crate::storage::wal::blocks::BlockRef;
use crate::storage::wal::{Rmgr, Wal};

pub use crate::storage::heap::Tid;
pub use build::BuildEntry;
pub use node::MAX_KEY_SIZE;
use node::{Entry, Goal};
pub use redo::redo;
pub use scan::Cursor;
pub use vacuum::VacuumStats;

/// The caller's verdict on one existing entry with the key being inserted
/// into a unique index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UniqueCheck {
    /// No conflict (e.g. the heap tuple is dead).
    Ok,
    /// A live duplicate.
    Conflict,
    /// The tuple's fate depends on this in-progress transaction.
    Wait(u64),
}

/// How [`BTree::insert_unique`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    Done,
    /// Nothing inserted: wait for this transaction to end, then try again.
    Wait(u64),
}

// WAL record kinds (the record's info byte).
/// Data `offset u16, item`: an item put at `offset` of the only block.
const XLOG_INSERT: u8 = 0x00;
/// Data `offset u16`: the item at `offset` removed.
const XLOG_DELETE: u8 = 0x10;
/// Every block carries its full image (splits, new roots, create, build).
const XLOG_IMAGES: u8 = 0x20;

/// A B+tree index in one relation (its handle; cheap to make and copy).
#[derive(Clone, Copy)]
pub struct BTree<'a> {
    pub pool: &'a BufferPool,
    pub wal: &'a Wal,
    pub rel: RelFileLocator,
    unlogged: bool,
}

/// A pinned page with its content lock; the guard is dropped before the pin.
pub(crate) struct Locked<'a, G> {
    guard: G,
    buf: Buffer<'a>,
}

type ReadPage<'a> = Locked<'a, ContentRead<'a>>;
type WritePage<'a> = Locked<'a, ContentWrite<'a>>;

impl<G: std::ops::Deref<Target = PageBuf>> std::ops::Deref for Locked<'_, G> {
    type Target = PageBuf;
    fn deref(&self) -> &PageBuf {
        &self.guard
    }
}

impl<G: std::ops::DerefMut<Target = PageBuf>> std::ops::DerefMut for Locked<'_, G> {
    fn deref_mut(&mut self) -> &mut PageBuf {
        &mut self.guard
    }
}

impl<G> Locked<'_, G> {
    fn block(&self) -> u32 {
        self.buf.tag().block
    }
}

/// A remembered step of a descent: the internal page and the offset of the
/// downlink followed (PostgreSQL's BTStack).
pub(crate) struct Parent {
    block: u32,
    offset: u16,
    /// The page's generation when passed: another one means it was
    /// deleted (and maybe reused) since.
    generation: u32,
}

/// The key range a page is known to start at (for backward scans): `None`
/// is minus infinity.
type LowKey = Option<(Vec<u8>, Tid)>;

fn too_long(len: usize) -> Error {
    err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "index row size {len} exceeds btree maximum, {MAX_KEY_SIZE}")
}

/// A leaf entry's key and INCLUDE payload together are at most [`MAX_KEY_SIZE`].
fn check_key(key: &[u8], include: &[u8]) -> Result<()> {
    let len = key.len() + include.len();
    if len > MAX_KEY_SIZE { Err(too_long(len)) } else { Ok(()) }
}

/// One leaf entry, copied out of the tree (by a scan) or to be put in it
/// (by a build): the key, the heap TID, and the INCLUDE payload, which is
/// carried along but no part of the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    pub key: Vec<u8>,
    pub tid: Tid,
    pub include: Vec<u8>,
}

impl IndexEntry {
    /// An entry without INCLUDE payload.
    pub fn new(key: Vec<u8>, tid: Tid) -> IndexEntry {
        IndexEntry { key, tid, include: Vec::new() }
    }
}

impl<'a> BTree<'a> {
    pub fn new(pool: &'a BufferPool, wal: &'a Wal, rel: RelFileLocator) -> BTree<'a> {
        BTree { pool, wal, rel, unlogged: false }
    }

    /// The index of an UNLOGGED table (when `unlogged`): like its heap
    /// (see [`crate::storage::heap::Heap::unlogged`]), its changes write no WAL.
    pub fn unlogged(mut self, unlogged: bool) -> BTree<'a> {
        self.unlogged = unlogged;
        self
    }

    fn tag(&self, block: u32) -> BufferTag {
        BufferTag { rel: self.rel, fork: Fork::Main, block }
    }

    fn corrupt(&self, block: u32, what: &str) -> Error {
        err!(SqlState::DATA_CORRUPTED, "index {} block {block}: {what}", self.rel)
    }

    fn read(&self, block: u32) -> Result<ReadPage<'a>> {
        let buf = self.pool.read_buffer(self.tag(block))?;
        Ok(Locked { guard: buf.read(), buf })
    }

    fn write(&self, block: u32) -> Result<WritePage<'a>> {
        let buf = self.pool.read_buffer(self.tag(block))?;
        Ok(Locked { guard: buf.write(), buf })
    }

    /// Pin `block` (without locking it) while the page that points to it is
    /// still locked: a pinned page cannot be reused (see `vacuum.rs`).
    fn pin(&self, block: u32) -> Result<Buffer<'a>> {
        self.pool.read_buffer(self.tag(block))
    }

    /// A new page, locked: a deleted page nobody can reach any more if the
    /// free-space map names one, else one at the end of the relation.
    fn new_page(&self) -> Result<WritePage<'a>> {
        while let Some(page) = self.recycled_page()? {
            if let Some(page) = page {
                return Ok(page);
            }
        }
        let buf = self.pool.extend(self.rel, Fork::Main)?;
        Ok(Locked { guard: buf.write(), buf })
    }

    /// The root's block, pinned while the metapage was locked, and level.
    fn root(&self) -> Result<(Buffer<'a>, u32)> {
        let meta = self.read(0)?;
        let m = node::meta(&*meta).ok_or_else(|| self.corrupt(0, "not a btree metapage"))?;
        Ok((self.pin(m.root)?, m.level))
    }

    /// Create an empty index in an existing, empty relation: the metapage
    /// (block 0) and an empty root leaf (block 1), logged as one record.
    pub fn create(&self, xid: u64) -> Result<()> {
        if self.pool.smgr().nblocks(self.rel, Fork::Main)? != 0 {
            return Err(Error::internal(format!("index relation {} is not empty", self.rel)));
        }
        let mut meta = self.new_page()?;
        let mut root = self.new_page()?;
        node::init_node(&mut *root, 0, node::NONE);
        node::init_meta(&mut meta, root.block(), 0);
        self.log_images(xid, &mut [&mut meta, &mut root])
    }

    /// Log the full images of changed pages as one record, stamp them with
    /// its LSN and mark them dirty (locks still held by the caller).
    fn log_images(&self, xid: u64, pages: &mut [&mut WritePage<'a>]) -> Result<()> {
        let mut refs: Vec<BlockRef> = pages
            .iter()
            .map(|p| BlockRef { tag: p.buf.tag(), image: Some(Box::new(*p.guard.0)), data: Vec::new() })
            .collect();
        self.log(xid, XLOG_IMAGES, &mut refs, pages)
    }

    fn log(&self, xid: u64, info: u8, refs: &mut [BlockRef], pages: &mut [&mut WritePage<'a>]) -> Result<()> {
        // Dirty before the record exists: a checkpoint whose redo point
        // follows the record must find the pages dirty.
        for p in pages.iter() {
            p.buf.mark_dirty();
        }
        if self.unlogged {
            return Ok(());
        }
        let views: Vec<(&PageBuf, bool)> = pages.iter().map(|p| (&*p.guard, false)).collect();
        let (_, end) = self.wal.insert_page_change(xid, Rmgr::Btree, info, refs, &views)?;
        for p in pages.iter_mut() {
            p.guard.set_lsn(end);
        }
        Ok(())
    }

    /// Descend from the root to the page at `level` whose key range holds
    /// the first entry reaching `goal` (as of some moment during the
    /// descent); returns it pinned, unlocked (a leaf may have been deleted
    /// by the time the caller locks it: see [`BTree::lock_leaf_read`]).
    /// Pushes the internal pages passed onto `stack`, and tracks the found
    /// page's low key in `low`. One page is locked at a time; each child is
    /// pinned before its parent is unlocked.
    fn descend(
        &self,
        goal: &Goal<'_>,
        level: u32,
        mut stack: Option<&mut Vec<Parent>>,
        mut low: Option<&mut LowKey>,
    ) -> Result<Buffer<'a>> {
        let depth = stack.as_ref().map_or(0, |s| s.len());
        loop {
            if let Some(found) = self.try_descend(goal, level, stack.as_deref_mut(), low.as_deref_mut())? {
                return Ok(found);
            }
            // An internal page on the way was deleted: start over.
            if let Some(s) = stack.as_deref_mut() {
                s.truncate(depth);
            }
            if let Some(low) = low.as_deref_mut() {
                *low = None;
            }
        }
    }

    /// One attempt of [`BTree::descend`]; `None` when it met a deleted page.
    fn try_descend(
        &self,
        goal: &Goal<'_>,
        level: u32,
        mut stack: Option<&mut Vec<Parent>>,
        mut low: Option<&mut LowKey>,
    ) -> Result<Option<Buffer<'a>>> {
        let (root, root_level) = self.root()?;
        if root_level < level {
            return Err(Error::internal(format!("index {} has no level {level}", self.rel)));
        }
        if root_level == level {
            return Ok(Some(root));
        }
        let root = Locked { guard: root.read(), buf: root };
        // (An old root read from the metapage may have been deleted since.)
        let Some(mut page) = self.move_right(root, goal, low.as_deref_mut())? else { return Ok(None) };
        loop {
            if node::is_leaf(&*page) {
                return Err(self.corrupt(page.block(), "leaf above the expected level"));
            }
            let off = node::search(&*page, goal) - 1;
            let (child, sep) = node::downlink(&*page, off);
            if let (Some(low), Some(sep)) = (low.as_deref_mut(), sep) {
                *low = Some((sep.key.to_vec(), sep.tid));
            }
            if let Some(s) = stack.as_deref_mut() {
                s.push(Parent { block: page.block(), offset: off, generation: node::generation(&*page) });
            }
            let child = self.pin(child)?;
            if node::level(&*page) == level + 1 {
                return Ok(Some(child));
            }
            drop(page);
            // Internal pages are deleted too (with their only child, `vacuum.rs`).
            let next = Locked { guard: child.read(), buf: child };
            let Some(next) = self.move_right(next, goal, low.as_deref_mut())? else { return Ok(None) };
            page = next;
        }
    }

    /// Move right from a (read-locked) page while `goal` lies beyond its
    /// high key — the page split since its parent was read. `None` if a
    /// page on the way (the first included) is deleted: start again from
    /// the root.
    fn move_right(
        &self,
        mut page: ReadPage<'a>,
        goal: &Goal<'_>,
        mut low: Option<&mut LowKey>,
    ) -> Result<Option<ReadPage<'a>>> {
        loop {
            if node::is_deleted(&*page) {
                return Ok(None);
            }
            let Some(hk) = node::high_key(&*page) else { break };
            if goal.reached(hk) {
                break;
            }
            if let Some(low) = low.as_deref_mut() {
                *low = Some((hk.key.to_vec(), hk.tid));
            }
            page = self.step_right(page)?;
        }
        Ok(Some(page))
    }

    /// The right sibling of a read-locked page, read-locked; it is pinned
    /// before the page is unlocked, so it is still the sibling's block (or
    /// deleted since, never reused) when locked.
    fn step_right(&self, page: ReadPage<'a>) -> Result<ReadPage<'a>> {
        let right = node::right(&*page).ok_or_else(|| self.corrupt(page.block(), "no right sibling"))?;
        let buf = self.pin(right)?;
        drop(page);
        Ok(Locked { guard: buf.read(), buf })
    }

    /// The leaf whose range holds the first entry reaching `goal`,
    /// read-locked, with its low key tracked in `low` (starting over from
    /// the root when the descent ends on a deleted page).
    fn lock_leaf_read(&self, goal: &Goal<'_>, mut low: Option<&mut LowKey>) -> Result<ReadPage<'a>> {
        loop {
            if let Some(low) = low.as_deref_mut() {
                *low = None;
            }
            let buf = self.descend(goal, 0, None, low.as_deref_mut())?;
            let page = Locked { guard: buf.read(), buf };
            if let Some(page) = self.move_right(page, goal, low.as_deref_mut())? {
                return Ok(page);
            }
        }
    }

    /// As [`BTree::lock_leaf_read`], exclusively locked, with the descent
    /// path in `stack`.
    fn lock_leaf_write(&self, goal: &Goal<'_>, stack: &mut Vec<Parent>) -> Result<WritePage<'a>> {
        loop {
            stack.clear();
            let buf = self.descend(goal, 0, Some(stack), None)?;
            let page = Locked { guard: buf.write(), buf };
            // A live page's right siblings are live while it is locked
            // (deleting one locks its left sibling), so only this one can be deleted.
            if !node::is_deleted(&*page) {
                return self.move_right_write(page, goal);
            }
        }
    }

    /// As [`BTree::move_right`] with exclusive locks, releasing each page
    /// only after its right sibling is locked (lock coupling, left to right).
    fn move_right_write(&self, mut page: WritePage<'a>, goal: &Goal<'_>) -> Result<WritePage<'a>> {
        while let Some(hk) = node::high_key(&*page) {
            if goal.reached(hk) {
                break;
            }
            let right = node::right(&*page).unwrap_or(node::NONE);
            page = self.write(right)?;
        }
        Ok(page)
    }

    /// Remove the exact entry `(key, tid)`; whether it was there. A page
    /// left empty stays in the tree until [`BTree::vacuum_pages`].
    pub fn delete(&self, xid: u64, key: &[u8], tid: Tid) -> Result<bool> {
        if key.len() > MAX_KEY_SIZE {
            return Ok(false);
        }
        let e = Entry { key, tid };
        let goal = Goal::After(e);
        let mut leaf = self.lock_leaf_write(&goal, &mut Vec::new())?;
        let off = node::search(&*leaf, &goal) - 1;
        if off < node::first_data(&*leaf) || node::leaf_entry(&*leaf, off) != e {
            return Ok(false);
        }
        if !node::delete_at(&mut *leaf, off) {
            return Err(self.corrupt(leaf.block(), "could not delete an item"));
        }
        let mut refs = [BlockRef { tag: leaf.buf.tag(), image: None, data: off.to_le_bytes().to_vec() }];
        self.log(xid, XLOG_DELETE, &mut refs, &mut [&mut leaf])?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests;
