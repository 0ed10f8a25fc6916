//! The heap access method: tuples in slotted pages, every change logged.
//!
//! - [`Heap::insert`] puts a tuple on the relation's last page (or a new one),
//! - [`Heap::insert_batch`] puts many (COPY FROM's rows), with one record per
//!   page filled (PostgreSQL's `heap_multi_insert`);
//!   [`Heap::insert_batch_frozen`] stores them frozen (COPY FREEZE),
//! - [`Heap::delete`] stamps the tuple's `xmax`,
//! - [`Heap::update`] writes a new version (on the same page when it fits)
//!   and links the old one to it through `ctid`,
//! - [`Heap::fetch`] and [`Heap::scan_block`] read tuples back.
//!
//! Each change happens under the page's exclusive content lock, is logged
//! as a heap WAL record (with the page's full image when it is its first
//! change since the checkpoint), stamps the page with the record's end LSN
//! and marks it dirty. [`redo`] applies such a record to a page whose LSN is
//! older than the record, and does nothing otherwise — so replaying a record
//! twice is the same as once. Visibility (which versions a snapshot sees)
//! belongs to the transaction layer; this layer stores and links versions.

pub mod hot;
pub mod toast;
pub mod tuple;

use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::storage::buffer::{Buffer, BufferPool, BufferTag};
use crate::storage::page::{
    ALIGN, HEADER_SIZE as PAGE_HEADER, ItemState, LINE_POINTER_SIZE, OffsetNumber, PAGE_SIZE, PageBuf, PageRead,
    PageWrite,
};
use crate::storage::smgr::{Fork, RelFileLocator};
use crate::storage::vm;
use crate::storage::wal::blocks::{self, BlockRef};
use crate::storage::wal::{Record, Rmgr, Wal};
use tuple::{Header, HeaderMut, UPDATED, XmaxStamp};

/// A tuple's address: block and line pointer (PostgreSQL's ItemPointer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tid {
    pub block: u32,
    pub offset: u16,
}

/// The largest tuple that fits on an empty heap page.
pub const MAX_TUPLE_SIZE: usize = PAGE_SIZE - PAGE_HEADER - LINE_POINTER_SIZE;

// Heap WAL record kinds (the record's info byte).
const INSERT: u8 = 0x00;
const DELETE: u8 = 0x10;
const UPDATE: u8 = 0x20;
const HOT_UPDATE: u8 = 0x30;
/// Line pointers freed by vacuum, then the page compacted.
const PRUNE: u8 = 0x40;
/// Several new tuples on one page: per tuple `offset: u16, len: u16, bytes`.
const MULTI_INSERT: u8 = 0x50;
/// With [`MULTI_INSERT`]: tuples just inserted, logged without the header
/// fields redo knows (see [`tuple::rebuild_inserted`]): `cid: u32`, then per
/// tuple `offset: u16, len: u16` and its bytes from
/// [`tuple::INSERT_LOGGED_FROM`] (`len` counts the whole tuple).
const INSERTED: u8 = 0x01;
/// A row lock (`SELECT … FOR UPDATE`): the locker in `xmax`.
const LOCK: u8 = 0x60;
/// Pruning with HOT chains: freed pointers and redirects (see [`hot`]).
const PRUNE_HOT: u8 = 0x70;
/// Vacuum rewrote version headers: per version its offset and new
/// `xmax` and infomask words (the kinds above use the high bits).
const FREEZE: u8 = 0x01;
const KIND_MASK: u8 = 0x70;
/// In a change's info: it cleared the all-visible flag of its first
/// (second) block, so redo clears that page's visibility map bits too.
const CLEARED_0: u8 = 0x02;
const CLEARED_1: u8 = 0x04;
/// VACUUM found every tuple of a page visible to all: the heap page (first
/// block) gets `PD_ALL_VISIBLE`, the map page (second) the bits in its data
/// (`heap block u32, flags u8`; see [`vm`]).
const VISIBLE: u8 = 0x08;
/// The page header flag: every tuple on the page is visible to every
/// snapshot, and the visibility map may say so (PostgreSQL's PD_ALL_VISIBLE).
pub const PD_ALL_VISIBLE: u16 = 0x0004;
/// The first block was new: redo initializes it instead of reading it.
const INIT_PAGE: u8 = 0x80;

pub struct Heap<'a> {
    pub pool: &'a BufferPool,
    pub wal: &'a Wal,
    pub rel: RelFileLocator,
    /// Bytes an insert leaves free on a page (for later updates of its
    /// rows): PostgreSQL's fillfactor, as a reserve.
    reserve: usize,
    /// An UNLOGGED table's heap: its changes are not logged (see
    /// [`Heap::unlogged`]).
    unlogged: bool,
    /// Counted up by every change of a page (see [`Heap::counting`]).
    changes: Option<&'a std::sync::atomic::AtomicU64>,
}

/// The room for tuples (with their line pointers) on an empty page.
const EMPTY_PAGE_ROOM: usize = PAGE_SIZE - PAGE_HEADER - LINE_POINTER_SIZE;

/// The most pages a bulk load adds to a heap at once.
const MAX_BULK_EXTEND: usize = 64;

/// The room for a tuple on `page`: a page never initialized (added in
/// bulk, or left by a crash) is empty.
fn room(page: &PageBuf) -> usize {
    if page.is_new() { EMPTY_PAGE_ROOM } else { page.free_space() }
}

/// How [`Heap::fill_pages`] stamps the tuples it places.
#[derive(Clone, Copy)]
enum Stamp {
    /// New rows of `xid` at command `cid`; `frozen`: visible to everyone
    /// at once (COPY FREEZE).
    Insert { cid: u32, frozen: bool },
    /// Versions copied as they are (VACUUM FULL).
    Copy,
}

/// A row that pruning a page changes (see [`Heap::pruned_rows`]): its
/// root line pointer, its versions whose storage goes and those that stay
/// (none when the whole row goes), oldest first.
#[derive(Debug)]
pub struct PrunedRow {
    pub root: OffsetNumber,
    pub gone: Vec<Vec<u8>>,
    pub kept: Vec<Vec<u8>>,
}

fn tag(rel: RelFileLocator, block: u32) -> BufferTag {
    BufferTag { rel, fork: Fork::Main, block }
}

fn too_big(len: usize) -> Error {
    err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "row is too big: size {len}, maximum size {MAX_TUPLE_SIZE}")
}

impl<'a> Heap<'a> {
    pub fn new(pool: &'a BufferPool, wal: &'a Wal, rel: RelFileLocator) -> Heap<'a> {
        Heap { pool, wal, rel, reserve: 0, unlogged: false, changes: None }
    }

    /// The heap, counting each change it makes to a page in `changes`
    /// (the system catalogs' heaps count into one counter, which tells
    /// caches of what a transaction's own catalog changes look like when
    /// they may be out of date).
    pub fn counting(mut self, changes: &'a std::sync::atomic::AtomicU64) -> Heap<'a> {
        self.changes = Some(changes);
        self
    }

    /// The heap of an UNLOGGED relation (when `unlogged`): its changes
    /// write no WAL and its pages keep LSN 0, so writing them out never
    /// waits for WAL, and redo never meets them. After a crash the
    /// relation is emptied (see `Catalog::reset_unlogged`).
    pub fn unlogged(mut self, unlogged: bool) -> Heap<'a> {
        self.unlogged = unlogged;
        self
    }

    /// Inserts fill pages only up to `fillfactor` percent (10–100).
    pub fn with_fillfactor(mut self, fillfactor: u8) -> Heap<'a> {
        self.reserve = PAGE_SIZE * (100 - fillfactor.clamp(10, 100) as usize) / 100;
        self
    }

    pub fn nblocks(&self) -> Result<u32> {
        self.pool.smgr().nblocks(self.rel, Fork::Main)
    }

    /// How many leading blocks to keep so that only empty pages (no line
    /// pointers, or never initialized) follow: where vacuum may cut.
    pub fn nonempty_blocks(&self) -> Result<u32> {
        let mut n = self.nblocks()?;
        while n > 0 {
            let buf = self.pool.read_buffer(tag(self.rel, n - 1))?;
            let page = buf.read();
            if !page.is_new() && page.max_offset() > 0 {
                break;
            }
            n -= 1;
        }
        Ok(n)
    }

    /// A pinned page with room for `len` bytes: one the free-space map
    /// names (checked), the last page, or a new one. A bulk load asks for
    /// `extend` > 1: when it must extend the heap, it adds that many pages
    /// at once and records all but the first as free, for its next ones.
    fn page_with_room(&self, len: usize, avoid: Option<u32>, extend: u32) -> Result<Buffer<'a>> {
        let need = len.next_multiple_of(ALIGN) + self.reserve;
        let pool = self.pool;
        let n = self.nblocks()?;
        while let Some(block) = pool.find_free_space(self.rel, need, avoid)? {
            if block >= n {
                // Stale (the map is not WAL-logged; the heap was cut).
                pool.record_free_space(self.rel, block, 0)?;
                continue;
            }
            let buf = pool.read_buffer(tag(self.rel, block))?;
            let free = room(&buf.read());
            if free >= need {
                // Record what will be left, so that concurrent inserters
                // spread out instead of all trying this page.
                pool.record_free_space(self.rel, block, free - need)?;
                return Ok(buf);
            }
            pool.record_free_space(self.rel, block, free)?;
        }
        if n > 0 && Some(n - 1) != avoid {
            let buf = self.pool.read_buffer(tag(self.rel, n - 1))?;
            let page = buf.read();
            let fits = page.is_new() || page.free_space() >= need;
            drop(page);
            if fits {
                return Ok(buf);
            }
        }
        if extend <= 1 {
            return self.pool.extend(self.rel, Fork::Main);
        }
        let (buf, added) = self.pool.extend_by(self.rel, Fork::Main, extend)?;
        let first = buf.tag().block;
        for block in first + 1..first + added {
            pool.record_free_space(self.rel, block, EMPTY_PAGE_ROOM)?;
        }
        Ok(buf)
    }

    /// Log a change and stamp the page(s) with the record's end LSN.
    /// `fresh[i]`: page `i` was initialized by this change.
    fn log(
        &self,
        xid: u64,
        info: u8,
        refs: &mut [BlockRef],
        pages: &mut [&mut PageBuf],
        fresh: &[bool],
    ) -> Result<u64> {
        if let Some(changes) = self.changes {
            changes.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        if self.unlogged {
            return Ok(0);
        }
        let views: Vec<(&PageBuf, bool)> = pages.iter().map(|p| &**p).zip(fresh.iter().copied()).collect();
        let (_, end) = self.wal.insert_page_change(xid, Rmgr::Heap, info, refs, &views)?;
        for p in pages.iter_mut() {
            p.set_lsn(end);
        }
        Ok(end)
    }

    /// Insert a formed tuple as written by `xid`/`cid`; its address.
    pub fn insert(&self, xid: u64, cid: u32, tuple: &[u8]) -> Result<Tid> {
        if tuple.len() > MAX_TUPLE_SIZE {
            return Err(too_big(tuple.len()));
        }
        loop {
            let buf = self.page_with_room(tuple.len(), None, 1)?;
            let mut page = buf.write();
            let new = page.is_new();
            if new {
                page.init(0);
            }
            let mut t = tuple.to_vec();
            let Some(offset) = page.add_item(&t) else {
                // Another inserter took the room first: try again.
                continue;
            };
            let tid = Tid { block: buf.tag().block, offset };
            let mut h = HeaderMut(&mut t);
            h.set_xmin(xid);
            h.set_cid(cid);
            h.set_ctid(tid);
            page.item_mut(offset).ok_or_else(|| Error::internal("inserted item vanished"))?.copy_from_slice(&t);
            let mut data = offset.to_le_bytes().to_vec();
            data.extend_from_slice(&t);
            let mut r = [BlockRef { tag: buf.tag(), image: None, data }];
            let cleared = self.clear_all_visible(&mut page, tid.block, CLEARED_0)?;
            // Dirty before the record exists (rule 2 of storage/buffer/README.md).
            buf.mark_dirty();
            let info = INSERT | cleared | if new { INIT_PAGE } else { 0 };
            self.log(xid, info, &mut r, &mut [&mut page], &[new])?;
            drop(page);
            return Ok(tid);
        }
    }

    /// Insert formed tuples as written by `xid`/`cid`, filling each page
    /// with as many as fit (down to the fillfactor reserve) under one lock
    /// and one WAL record. Their addresses are appended to `tids`.
    pub fn insert_batch(&self, xid: u64, cid: u32, tuples: &[&[u8]], tids: &mut Vec<Tid>) -> Result<()> {
        self.fill_pages(xid, Stamp::Insert { cid, frozen: false }, tuples, tids)
    }

    /// As [`Heap::insert_batch`], the tuples frozen (COPY FREEZE into a
    /// relation file its transaction created: no one else can see the
    /// file before that transaction commits, and it goes if it aborts).
    /// A page that ends up holding only frozen tuples is made all-visible
    /// and all-frozen at once, so that VACUUM has nothing left to do there.
    pub fn insert_batch_frozen(&self, xid: u64, cid: u32, tuples: &[&[u8]], tids: &mut Vec<Tid>) -> Result<()> {
        self.fill_pages(xid, Stamp::Insert { cid, frozen: true }, tuples, tids)
    }

    /// Copy row versions into this (new) heap as they are, headers and
    /// all, in bulk (VACUUM FULL's rewrite; the WAL records are `xid`'s).
    /// A copy has no newer version here: its update link points at
    /// itself, as a deleted row's does, and it is no part of a HOT chain.
    pub fn copy_batch(&self, xid: u64, tuples: &[&[u8]], tids: &mut Vec<Tid>) -> Result<()> {
        self.fill_pages(xid, Stamp::Copy, tuples, tids)
    }

    /// Place tuples page by page, each page under one lock and one WAL
    /// record, stamped as `stamp` says.
    fn fill_pages(&self, xid: u64, stamp: Stamp, tuples: &[&[u8]], tids: &mut Vec<Tid>) -> Result<()> {
        if let Some(t) = tuples.iter().find(|t| t.len() > MAX_TUPLE_SIZE) {
            return Err(too_big(t.len()));
        }
        let mut rest = tuples;
        let mut data = Vec::new();
        // What the tuples left take of pages, to extend the heap by that
        // much at once when it must grow.
        let mut left: usize = tuples.iter().map(|t| t.len().next_multiple_of(ALIGN) + LINE_POINTER_SIZE).sum();
        while let Some(first) = rest.first() {
            let pages = left.div_ceil(EMPTY_PAGE_ROOM.saturating_sub(self.reserve).max(1));
            let buf = self.page_with_room(first.len(), None, pages.clamp(1, MAX_BULK_EXTEND) as u32)?;
            let mut page = buf.write();
            let new = page.is_new();
            if new {
                page.init(0);
            }
            let block = buf.tag().block;
            data.clear();
            let compact = match stamp {
                Stamp::Insert { cid, .. } => {
                    data.extend_from_slice(&cid.to_le_bytes());
                    true
                }
                Stamp::Copy => false,
            };
            let mut n = 0;
            // Once an item got a new line pointer there is no unused one
            // left to look for (the page stays locked meanwhile).
            let mut dense = false;
            for t in rest {
                if n > 0 && page.free_space() < t.len().next_multiple_of(ALIGN) + self.reserve {
                    break;
                }
                let added = if dense { page.append_item(t) } else { page.add_item(t) };
                let Some(offset) = added else { break };
                dense = offset == page.max_offset();
                let tid = Tid { block, offset };
                let item = page.item_mut(offset).ok_or_else(|| Error::internal("inserted item vanished"))?;
                let mut h = HeaderMut(&mut *item);
                match stamp {
                    Stamp::Insert { cid, frozen } => {
                        h.set_xmin(xid);
                        h.clear_xmax();
                        h.set_cid(cid);
                        if frozen {
                            let mask = Header(&h.0[..]).infomask() | tuple::XMIN_FROZEN;
                            h.set_infomask(mask);
                        }
                    }
                    Stamp::Copy => {
                        let mask = Header(&h.0[..]).infomask() & !UPDATED;
                        h.set_infomask(mask);
                        // Each copy is a chain of its own: reached from
                        // its own index entries, not through a root.
                        h.set_hot_flag(tuple::HOT_UPDATED, false);
                        h.set_hot_flag(tuple::HEAP_ONLY, false);
                    }
                }
                h.set_ctid(tid);
                data.extend_from_slice(&offset.to_le_bytes());
                data.extend_from_slice(&(item.len() as u16).to_le_bytes());
                data.extend_from_slice(if compact { &item[tuple::INSERT_LOGGED_FROM..] } else { item });
                tids.push(tid);
                n += 1;
            }
            if n == 0 {
                // Another inserter took the room first: try again.
                continue;
            }
            let mut r = [BlockRef { tag: buf.tag(), image: None, data: std::mem::take(&mut data) }];
            let cleared = self.clear_all_visible(&mut page, block, CLEARED_0)?;
            // Dirty before the record exists (rule 2 of storage/buffer/README.md).
            buf.mark_dirty();
            let info = MULTI_INSERT | cleared | if new { INIT_PAGE } else { 0 } | if compact { INSERTED } else { 0 };
            self.log(xid, info, &mut r, &mut [&mut page], &[new])?;
            drop(page);
            if let Stamp::Insert { frozen: true, .. } = stamp {
                self.set_all_visible(block, &|t| {
                    let h = Header(t);
                    Ok((h.xmin_frozen() && h.infomask() & tuple::XMAX_INVALID != 0).then_some(true))
                })?;
            }
            data = std::mem::take(&mut r[0].data);
            left -= rest[..n].iter().map(|t| t.len().next_multiple_of(ALIGN) + LINE_POINTER_SIZE).sum::<usize>();
            rest = &rest[n..];
        }
        Ok(())
    }

    /// A copy of the tuple at `tid`, if there is one.
    pub fn fetch(&self, tid: Tid) -> Result<Option<Vec<u8>>> {
        if tid.block >= self.nblocks()? {
            return Ok(None);
        }
        let buf = self.pool.read_buffer(tag(self.rel, tid.block))?;
        let page = buf.read();
        Ok(page.item(tid.offset).map(<[u8]>::to_vec))
    }

    /// Call `f` with every tuple on a block.
    pub fn scan_block(&self, block: u32, mut f: impl FnMut(Tid, &[u8])) -> Result<()> {
        self.with_block(block, |tuples, _| tuples.for_each(|(tid, t)| f(tid, t))).map(|_| ())
    }

    /// Call `f` once, with the tuples of a block (in offset order) and
    /// whether the page is all-visible (`PD_ALL_VISIBLE`: every tuple on it
    /// is visible to every snapshot, so a scan may skip the per-tuple check,
    /// as PostgreSQL's does), while the page is share-locked. Also returns
    /// the page's prune hint if the page is short of room (see
    /// [`Heap::prune_hint`]), so that the caller may prune it afterwards.
    pub fn with_block<T>(
        &self,
        block: u32,
        f: impl FnOnce(&mut dyn Iterator<Item = (Tid, &[u8])>, bool) -> T,
    ) -> Result<(T, Option<u64>)> {
        let buf = self.pool.read_buffer(tag(self.rel, block))?;
        let page = buf.read();
        let all_visible = !page.is_new() && page.flags() & PD_ALL_VISIBLE != 0;
        let mut tuples =
            (1..=page.max_offset()).filter_map(|off| page.item(off).map(|t| (Tid { block, offset: off }, t)));
        Ok((f(&mut tuples, all_visible), self.prune_hint(&page)))
    }

    /// Visit the versions of the row an index entry for `root` stands for
    /// (its HOT chain, oldest first; see [`hot`]) until `f` says stop. `f`
    /// also learns whether the chain has more than one version (whose
    /// values in columns new to an index may then differ).
    ///
    /// Returns the page's prune hint if the page is short of room (see
    /// [`Heap::prune_hint`]), so that the caller may prune it afterwards.
    pub fn fetch_chain(&self, root: Tid, mut f: impl FnMut(Tid, &[u8], bool) -> Result<bool>) -> Result<Option<u64>> {
        if root.block >= self.nblocks()? {
            return Ok(None);
        }
        let buf = self.pool.read_buffer(tag(self.rel, root.block))?;
        let page = buf.read();
        let members = hot::chain(&*page, root.offset);
        let multi = members.len() > 1 || members.first() != Some(&root.offset);
        for m in members {
            let t = page.item(m).expect("chain member");
            if f(Tid { block: root.block, offset: m }, t, multi)? {
                break;
            }
        }
        Ok(self.prune_hint(&page))
    }

    /// The page's prune hint, if it is set and the page is short of room
    /// (under a tenth free, or under the fillfactor's reserve): a page
    /// worth pruning as a reader reaches it (PostgreSQL's
    /// heap_page_prune_opt test) once the transaction in the hint (the
    /// oldest that deleted or replaced a version on it) is older than the
    /// horizon.
    fn prune_hint(&self, page: &PageBuf) -> Option<u64> {
        let hint = page.prune_xid();
        (!page.is_new() && hint != 0 && page.free_space() < (PAGE_SIZE / 10).max(self.reserve)).then_some(hint)
    }

    /// The page's prune hint if `block` has no room for a tuple of `len`
    /// bytes now: versions replaced or deleted there may be freed to make
    /// some (an update prunes the page first, see `Catalog::update_row`).
    pub fn prune_hint_without_room(&self, block: u32, len: usize) -> Result<Option<u64>> {
        let buf = self.pool.read_buffer(tag(self.rel, block))?;
        let page = buf.read();
        let hint = page.prune_xid();
        let full = !page.is_new() && page.free_space() < len.next_multiple_of(ALIGN);
        Ok((full && hint != 0).then_some(hint))
    }

    /// Call `f` with every row of a block as its root's address and its
    /// versions (address and tuple), oldest first; heap-only versions no
    /// chain reaches are left out.
    pub fn scan_chains(&self, block: u32, mut f: impl FnMut(Tid, &[(Tid, &[u8])])) -> Result<()> {
        let buf = self.pool.read_buffer(tag(self.rel, block))?;
        let page = buf.read();
        let mut members = Vec::new();
        for off in 1..=page.max_offset() {
            let root = match page.line_pointer(off) {
                Some(lp) if lp.state == ItemState::Redirect => true,
                Some(lp) if lp.state == ItemState::Normal => page.item(off).is_some_and(|t| !Header(t).is_heap_only()),
                _ => false,
            };
            if !root {
                continue;
            }
            members.clear();
            for m in hot::chain(&*page, off) {
                members.push((Tid { block, offset: m }, page.item(m).expect("chain member")));
            }
            if !members.is_empty() {
                f(Tid { block, offset: off }, &members);
            }
        }
        Ok(())
    }

    /// Plan the pruning of `block` (see [`hot::plan`]) under its read lock,
    /// every dead row's root freed too: each row whose versions' storage
    /// would go, with copies of those versions and of the ones that stay.
    /// The caller removes the index entries that only the versions going
    /// have (a row with no version left loses all of them) before
    /// [`Heap::prune_page`] frees anything.
    pub fn pruned_rows(&self, block: u32, dead: &dyn Fn(&[u8]) -> Result<bool>) -> Result<Vec<PrunedRow>> {
        let buf = self.pool.read_buffer(tag(self.rel, block))?;
        let page = buf.read();
        if page.is_new() {
            return Ok(Vec::new());
        }
        let plan = hot::plan(&*page, dead, &|_| true)?;
        if plan.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = Vec::new();
        for off in 1..=page.max_offset() {
            let redirected = plan.redirects.iter().any(|&(from, _)| from == off);
            let mut row = PrunedRow { root: off, gone: Vec::new(), kept: Vec::new() };
            // A root's own version goes when the root is freed or redirected.
            for m in hot::chain(&*page, off) {
                let t = page.item(m).expect("chain member").to_vec();
                if plan.unused.binary_search(&m).is_ok() || (m == off && redirected) {
                    row.gone.push(t);
                } else {
                    row.kept.push(t);
                }
            }
            if !row.gone.is_empty() {
                rows.push(row);
            }
        }
        Ok(rows)
    }

    /// Prune `block` under its write lock: free the versions no snapshot
    /// sees (see [`hot::plan`]), roots in `cleaned` (whose index entries
    /// are gone) included; `freed` is called with each version whose
    /// storage goes. Nothing is freed unless `proceed()`, asked under the
    /// lock, agrees. WAL-logged. Returns the versions freed and those left.
    pub fn prune_page(
        &self,
        block: u32,
        dead: &dyn Fn(&[u8]) -> Result<bool>,
        cleaned: &[OffsetNumber],
        freed: &dyn Fn(&[u8]) -> Result<()>,
        proceed: &dyn Fn() -> Result<bool>,
    ) -> Result<(usize, usize)> {
        let buf = self.pool.read_buffer(tag(self.rel, block))?;
        let mut page = buf.write();
        if page.is_new() {
            return Ok((0, 0));
        }
        if !proceed()? {
            return Ok((0, hot::plan(&*page, dead, &|_| false)?.live));
        }
        let plan = hot::plan(&*page, dead, &|root| cleaned.contains(&root))?;
        let n = self.apply_prune(&buf, &mut page, &plan, freed)?;
        reset_prune_hint(&mut page);
        Ok((n, plan.live))
    }

    /// Carry out `plan` on a write-locked page and log it; the versions freed.
    fn apply_prune(
        &self,
        buf: &Buffer<'_>,
        page: &mut PageBuf,
        plan: &hot::PrunePlan,
        freed: &dyn Fn(&[u8]) -> Result<()>,
    ) -> Result<usize> {
        if plan.is_empty() {
            return Ok(0);
        }
        let mut n = 0;
        let storage_goes = plan.unused.iter().chain(plan.redirects.iter().map(|(from, _)| from));
        for &off in storage_goes {
            if let Some(t) = page.item(off) {
                freed(t)?;
                n += 1;
            }
        }
        hot::apply(page, &plan.unused, &plan.redirects);
        self.pool.record_free_space(self.rel, buf.tag().block, page.free_space())?;
        let data = hot::encode(&plan.unused, &plan.redirects);
        let mut r = [BlockRef { tag: buf.tag(), image: None, data }];
        buf.mark_dirty();
        self.log(0, PRUNE_HOT, &mut r, &mut [page], &[false])?;
        Ok(n)
    }

    /// Mark the tuple at `tid` deleted by `xid`/`cid`.
    pub fn delete(&self, tid: Tid, xid: u64, cid: u32) -> Result<()> {
        self.delete_checked(tid, xid, cid, &|_| Ok(true)).map(|_| ())
    }

    /// As [`Heap::delete`], after `check` approves the current version
    /// (called under the page lock, so no other writer can slip in between);
    /// `false` if it did not.
    pub fn delete_checked(&self, tid: Tid, xid: u64, cid: u32, check: &dyn Fn(&[u8]) -> Result<bool>) -> Result<bool> {
        self.delete_stamped(tid, xid, cid, check, &|_| Ok(XmaxStamp::deleter(xid)))
    }

    /// As [`Heap::delete_checked`], with the `xmax` that `stamp` makes of
    /// the approved version (a multixact when key-share lockers stay).
    pub fn delete_stamped(
        &self,
        tid: Tid,
        xid: u64,
        cid: u32,
        check: &dyn Fn(&[u8]) -> Result<bool>,
        stamp: StampFn<'_>,
    ) -> Result<bool> {
        let buf = self.pool.read_buffer(tag(self.rel, tid.block))?;
        let mut page = buf.write();
        let item = page.item_mut(tid.offset).ok_or_else(|| no_tuple(tid))?;
        if !check(item)? {
            return Ok(false);
        }
        let xmax = stamp(item)?;
        let mut h = HeaderMut(item);
        h.set_xmax_stamp(xmax);
        h.set_cid(cid);
        note_prunable(&mut page, xid);
        let mut data = tid.offset.to_le_bytes().to_vec();
        data.extend_from_slice(&xid.to_le_bytes());
        data.extend_from_slice(&cid.to_le_bytes());
        xmax.encode(&mut data);
        let mut r = [BlockRef { tag: buf.tag(), image: None, data }];
        let cleared = self.clear_all_visible(&mut page, tid.block, CLEARED_0)?;
        buf.mark_dirty();
        self.log(xid, DELETE | cleared, &mut r, &mut [&mut page], &[false])?;
        drop(page);
        Ok(true)
    }

    /// Lock the tuple at `tid` for `xid` (`FOR UPDATE`), after `check`
    /// approves the current version (under the page lock); `false` if it
    /// did not.
    pub fn lock_checked(&self, tid: Tid, xid: u64, check: &dyn Fn(&[u8]) -> Result<bool>) -> Result<bool> {
        self.lock_stamped(tid, xid, check, &|_| Ok(XmaxStamp::for_update(xid)))
    }

    /// As [`Heap::lock_checked`], with the `xmax` that `stamp` makes of the
    /// approved version (the lock's strength, or a multixact of lockers).
    pub fn lock_stamped(
        &self,
        tid: Tid,
        xid: u64,
        check: &dyn Fn(&[u8]) -> Result<bool>,
        stamp: StampFn<'_>,
    ) -> Result<bool> {
        let buf = self.pool.read_buffer(tag(self.rel, tid.block))?;
        let mut page = buf.write();
        let item = page.item_mut(tid.offset).ok_or_else(|| no_tuple(tid))?;
        if !check(item)? {
            return Ok(false);
        }
        let xmax = stamp(item)?;
        HeaderMut(item).set_xmax_stamp(xmax);
        let mut data = tid.offset.to_le_bytes().to_vec();
        xmax.encode(&mut data);
        let mut r = [BlockRef { tag: buf.tag(), image: None, data }];
        let cleared = self.clear_all_visible(&mut page, tid.block, CLEARED_0)?;
        buf.mark_dirty();
        self.log(xid, LOCK | cleared, &mut r, &mut [&mut page], &[false])?;
        drop(page);
        Ok(true)
    }

    /// Vacuum's rewrite of version headers on `block` (freezing inserts,
    /// dropping lockers that ended): `f` may change each version's `xmax`
    /// and infomask words, under the page lock, and says whether it did.
    /// WAL-logged as the new values.
    pub fn freeze_page(&self, block: u32, f: &dyn Fn(&mut [u8]) -> Result<bool>) -> Result<usize> {
        let buf = self.pool.read_buffer(tag(self.rel, block))?;
        let mut page = buf.write();
        if page.is_new() {
            return Ok(0);
        }
        let mut data = Vec::new();
        let mut n = 0;
        for off in 1..=page.max_offset() {
            let Some(item) = page.item_mut(off) else { continue };
            if f(item)? {
                data.extend_from_slice(&off.to_le_bytes());
                data.extend_from_slice(tuple::frozen_fields(item));
                n += 1;
            }
        }
        if n > 0 {
            let mut r = [BlockRef { tag: buf.tag(), image: None, data }];
            buf.mark_dirty();
            self.log(0, FREEZE, &mut r, &mut [&mut page], &[false])?;
        }
        drop(page);
        Ok(n)
    }

    /// Free the line pointers at `offsets` of `block` (versions of a
    /// relation without HOT chains, like a TOAST relation's chunks, that
    /// no one can see and that no index entry points at any more) and
    /// compact the page so that their space can be used again.
    pub fn prune(&self, block: u32, offsets: &[u16]) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        let buf = self.pool.read_buffer(tag(self.rel, block))?;
        let mut page = buf.write();
        for &off in offsets {
            page.set_unused(off);
        }
        page.compact();
        self.pool.record_free_space(self.rel, block, page.free_space())?;
        let data: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
        let mut r = [BlockRef { tag: buf.tag(), image: None, data }];
        buf.mark_dirty();
        self.log(0, PRUNE, &mut r, &mut [&mut page], &[false])?;
        drop(page);
        Ok(())
    }

    /// Replace the tuple at `old` by a new version; the new version's address.
    pub fn update(&self, old: Tid, xid: u64, cid: u32, tuple: &[u8]) -> Result<Tid> {
        let plain = Update { check: &|_| Ok(true), hot: &|_| Ok(false) };
        Ok(self.update_checked(old, xid, cid, tuple, &plain)?.ok_or_else(|| Error::internal("update refused"))?.0)
    }

    /// As [`Heap::update`], after `how.check` approves the current version
    /// (called under the page lock); `None` if it did not. Else the new
    /// version's address, and whether it is a heap-only version (a HOT
    /// update: on the same page, `how.hot` having found no indexed value
    /// changed), which must get no index entries.
    pub fn update_checked(
        &self,
        old: Tid,
        xid: u64,
        cid: u32,
        tuple: &[u8],
        how: &Update<'_>,
    ) -> Result<Option<(Tid, bool)>> {
        self.update_stamped(old, xid, cid, tuple, how, &|_| Ok((XmaxStamp::deleter(xid), None)))
    }

    /// As [`Heap::update_checked`], with the `xmax` that `stamp` makes of
    /// the approved old version, and the one the new version starts with
    /// (lockers that keep holding the row), if any.
    pub fn update_stamped(
        &self,
        old: Tid,
        xid: u64,
        cid: u32,
        tuple: &[u8],
        how: &Update<'_>,
        stamp: UpdateStampFn<'_>,
    ) -> Result<Option<(Tid, bool)>> {
        if tuple.len() > MAX_TUPLE_SIZE {
            return Err(too_big(tuple.len()));
        }
        let check = how.check;
        let old_buf = self.pool.read_buffer(tag(self.rel, old.block))?;
        {
            let mut page = old_buf.write();
            let old_tuple = page.item(old.offset).ok_or_else(|| no_tuple(old))?;
            if !check(old_tuple)? {
                return Ok(None);
            }
            let hot = (how.hot)(old_tuple)?;
            let (old_xmax, new_xmax) = stamp(old_tuple)?;
            if page.free_space() >= tuple.len().next_multiple_of(ALIGN) {
                // Same page: one record covers both versions.
                let offset = page.add_item(tuple).ok_or_else(|| Error::internal("free space vanished"))?;
                let new = Tid { block: old.block, offset };
                if hot {
                    let item = page.item_mut(offset).ok_or_else(|| no_tuple(new))?;
                    HeaderMut(item).set_hot_flag(tuple::HEAP_ONLY, true);
                }
                let t = stamp_new_version(&mut page, new, xid, cid, new_xmax)?;
                stamp_old_version(&mut page, old, new, (xid, cid), old_xmax)?;
                let mut data = old.offset.to_le_bytes().to_vec();
                data.extend_from_slice(&offset.to_le_bytes());
                data.extend_from_slice(&xid.to_le_bytes());
                data.extend_from_slice(&cid.to_le_bytes());
                old_xmax.encode(&mut data);
                data.extend_from_slice(&t);
                let mut r = [BlockRef { tag: old_buf.tag(), image: None, data }];
                let cleared = self.clear_all_visible(&mut page, old.block, CLEARED_0)?;
                old_buf.mark_dirty();
                self.log(xid, HOT_UPDATE | cleared, &mut r, &mut [&mut page], &[false])?;
                drop(page);
                return Ok(Some((new, hot)));
            }
        }
        // Another page. Lock the two pages in block order so that two
        // updaters can never wait for each other's page.
        loop {
            let new_buf = self.page_with_room(tuple.len(), Some(old.block), 1)?;
            let (mut old_page, mut new_page) = if new_buf.tag().block < old.block {
                let n = new_buf.write();
                (old_buf.write(), n)
            } else {
                let o = old_buf.write();
                (o, new_buf.write())
            };
            let old_tuple = old_page.item(old.offset).ok_or_else(|| no_tuple(old))?;
            if !check(old_tuple)? {
                return Ok(None);
            }
            let (old_xmax, new_xmax) = stamp(old_tuple)?;
            let init = new_page.is_new();
            if init {
                new_page.init(0);
            }
            let Some(offset) = new_page.add_item(tuple) else { continue };
            let new = Tid { block: new_buf.tag().block, offset };
            let t = stamp_new_version(&mut new_page, new, xid, cid, new_xmax)?;
            stamp_old_version(&mut old_page, old, new, (xid, cid), old_xmax)?;
            let mut new_data = offset.to_le_bytes().to_vec();
            new_data.extend_from_slice(&t);
            let mut old_data = old.offset.to_le_bytes().to_vec();
            old_data.extend_from_slice(&xid.to_le_bytes());
            old_data.extend_from_slice(&cid.to_le_bytes());
            old_data.extend_from_slice(&new.block.to_le_bytes());
            old_data.extend_from_slice(&new.offset.to_le_bytes());
            old_xmax.encode(&mut old_data);
            let mut refs = [
                BlockRef { tag: new_buf.tag(), image: None, data: new_data },
                BlockRef { tag: old_buf.tag(), image: None, data: old_data },
            ];
            let cleared = self.clear_all_visible(&mut new_page, new.block, CLEARED_0)?
                | self.clear_all_visible(&mut old_page, old.block, CLEARED_1)?;
            let info = UPDATE | cleared | if init { INIT_PAGE } else { 0 };
            new_buf.mark_dirty();
            old_buf.mark_dirty();
            self.log(xid, info, &mut refs, &mut [&mut new_page, &mut old_page], &[init, false])?;
            drop((old_page, new_page));
            return Ok(Some((new, false)));
        }
    }
}

impl Heap<'_> {
    /// A change is about to make a tuple on `page` (block `block`, write
    /// locked) invisible to somebody: if the page is all-visible, clear its
    /// map bits and then its flag (rule 2 of [`vm`]; in this order, so that
    /// a failure leaves both set). Returns `flag` if it did, for the
    /// record's info, else 0.
    fn clear_all_visible(&self, page: &mut PageBuf, block: u32, flag: u8) -> Result<u8> {
        if page.is_new() || page.flags() & PD_ALL_VISIBLE == 0 {
            return Ok(0);
        }
        vm::clear(self.pool, self.rel, block)?;
        let flags = page.flags() & !PD_ALL_VISIBLE;
        page.set_flags(flags);
        Ok(flag)
    }

    /// Whether the visibility map has `block` all-frozen: every tuple on
    /// it is a frozen insert that no one deleted or locked, and no line
    /// pointer is dead or a redirect, so VACUUM has nothing to prune,
    /// freeze or mark there (it skips the page, as PostgreSQL's does).
    pub fn all_frozen(&self, block: u32) -> Result<bool> {
        Ok(!self.unlogged && vm::bits(self.pool, self.rel, block)? & vm::ALL_FROZEN != 0)
    }

    /// VACUUM's last look at `block`: if every tuple on it passes `test`
    /// (visible to every snapshot: `Some(frozen)`; `None` otherwise) and
    /// no line pointer is dead or a redirect, the page becomes all-visible (and
    /// all-frozen if every tuple is frozen): its `PD_ALL_VISIBLE` flag and
    /// map bits are set under its exclusive lock and WAL-logged (rule 1 of
    /// [`vm`]). An UNLOGGED heap keeps no map. Whether the page is
    /// all-visible now.
    pub fn set_all_visible(&self, block: u32, test: &dyn Fn(&[u8]) -> Result<Option<bool>>) -> Result<bool> {
        if self.unlogged {
            return Ok(false);
        }
        let buf = self.pool.read_buffer(tag(self.rel, block))?;
        // The map page is read before the heap page is locked (no I/O
        // under the heap page's lock for it); locked after it (rule 5).
        let map = self.pool.read_buffer_extending(vm::map_page(self.rel, block))?;
        let mut page = buf.write();
        if page.is_new() {
            return Ok(false);
        }
        let mut frozen = true;
        for off in 1..=page.max_offset() {
            // A redirect is a pruned HOT chain: an index built while the
            // chain held versions with other keys may still have entries
            // for them that only a look at the heap tells apart.
            if page.line_pointer(off).is_some_and(|lp| matches!(lp.state, ItemState::Dead | ItemState::Redirect)) {
                return Ok(false);
            }
            let Some(item) = page.item(off) else { continue };
            match test(item)? {
                Some(f) => frozen &= f,
                None => return Ok(false),
            }
        }
        let flags = vm::ALL_VISIBLE | if frozen { vm::ALL_FROZEN } else { 0 };
        // Counted until the change is logged (rule 6 of `vm`).
        let _setting = self.pool.vm_sets.setting(self.rel);
        let mut map_page = map.write();
        let changed = vm::set_on_page(&mut map_page, block, flags);
        if !changed && page.flags() & PD_ALL_VISIBLE != 0 {
            return Ok(true);
        }
        let flags_now = page.flags() | PD_ALL_VISIBLE;
        page.set_flags(flags_now);
        let mut data = block.to_le_bytes().to_vec();
        data.push(flags);
        let mut refs = [
            BlockRef { tag: buf.tag(), image: None, data: Vec::new() },
            BlockRef { tag: map.tag(), image: None, data },
        ];
        buf.mark_dirty();
        map.mark_dirty();
        self.log(0, VISIBLE, &mut refs, &mut [&mut page, &mut map_page], &[false, false])?;
        Ok(true)
    }
}

/// How [`Heap::update_checked`] decides, under the old version's page lock.
pub struct Update<'a> {
    /// Whether the old version may be replaced now.
    pub check: &'a dyn Fn(&[u8]) -> Result<bool>,
    /// Whether the new version holds the same indexed values as this old
    /// one (it may then be heap-only).
    pub hot: &'a dyn Fn(&[u8]) -> Result<bool>,
}

/// The `xmax` a change gives the version it approved (see [`XmaxStamp`]).
pub type StampFn<'a> = &'a dyn Fn(&[u8]) -> Result<XmaxStamp>;
/// For an update: the old version's `xmax`, and the new version's, if any.
pub type UpdateStampFn<'a> = &'a dyn Fn(&[u8]) -> Result<(XmaxStamp, Option<XmaxStamp>)>;

/// A version on the page was deleted or replaced by `xid`: it may be
/// prunable once `xid` is old enough (the page header's prune hint keeps
/// the oldest such transaction).
fn note_prunable(page: &mut PageBuf, xid: u64) {
    let hint = page.prune_xid();
    if hint == 0 || xid < hint {
        page.set_prune_xid(xid);
    }
}

/// After pruning: the hint is the oldest deleter left on the page, if any.
fn reset_prune_hint(page: &mut PageBuf) {
    let mut oldest = 0u64;
    for off in 1..=page.max_offset() {
        if let Some(t) = page.item(off) {
            let h = Header(t);
            // A multixact's updater is not known here: the version's
            // inserter, older, stands in for it.
            let deleter = if h.is_multi() { h.xmin() } else { h.xmax() };
            if h.has_deleter() && (oldest == 0 || deleter < oldest) {
                oldest = deleter;
            }
        }
    }
    page.set_prune_xid(oldest);
}

fn no_tuple(tid: Tid) -> Error {
    Error::internal(format!("no tuple at ({},{})", tid.block, tid.offset))
}

/// Fill in the new version's header on the page; its bytes.
fn stamp_new_version(page: &mut PageBuf, new: Tid, xid: u64, cid: u32, xmax: Option<XmaxStamp>) -> Result<Vec<u8>> {
    let item = page.item_mut(new.offset).ok_or_else(|| no_tuple(new))?;
    let mut h = HeaderMut(item);
    h.set_xmin(xid);
    h.set_cid(cid);
    h.set_ctid(new);
    if let Some(x) = xmax {
        h.set_xmax_stamp(x);
    }
    Ok(item.to_vec())
}

/// Stamp the old version as replaced by `new` (by `xid` at `cid`).
fn stamp_old_version(page: &mut PageBuf, old: Tid, new: Tid, (xid, cid): (u64, u32), xmax: XmaxStamp) -> Result<()> {
    let item = page.item_mut(old.offset).ok_or_else(|| no_tuple(old))?;
    let mut h = HeaderMut(item);
    h.set_xmax_stamp(xmax);
    h.set_cid(cid);
    h.set_ctid(new);
    let mask = Header(h.0).infomask() | UPDATED;
    h.set_infomask(mask);
    // A heap-only new version on this page makes this a HOT update.
    let hot = new.block == old.block && page.item(new.offset).is_some_and(|t| Header(t).is_heap_only());
    let item = page.item_mut(old.offset).ok_or_else(|| no_tuple(old))?;
    HeaderMut(item).set_hot_flag(tuple::HOT_UPDATED, hot);
    note_prunable(page, xid);
    Ok(())
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// Replay a heap WAL record.
pub fn redo(pool: &BufferPool, rec: &Record) -> Result<()> {
    let bad = || err!(SqlState::DATA_CORRUPTED, "invalid heap WAL record at {:X}", rec.lsn);
    let refs = blocks::decode(&rec.payload).ok_or_else(bad)?;
    let end = rec.end_lsn();
    let init = rec.info & INIT_PAGE != 0;
    if rec.info == VISIBLE {
        return redo_visible(pool, rec, &refs);
    }
    if rec.info != FREEZE {
        // The map bits go whatever state the heap page is in (rule 2 of `vm`).
        for (i, flag) in [(0, CLEARED_0), (1, CLEARED_1)] {
            if rec.info & flag != 0 {
                let r = refs.get(i).ok_or_else(bad)?;
                vm::clear(pool, r.tag.rel, r.tag.block)?;
            }
        }
    }
    let cleared = |i: usize| rec.info != FREEZE && rec.info & [CLEARED_0, CLEARED_1][i.min(1)] != 0;
    let apply = |i: usize, init: bool, f: &dyn Fn(&mut PageBuf) -> Option<()>| -> Result<()> {
        let r = refs.get(i).ok_or_else(bad)?;
        if blocks::restore_image(pool, r, end)? {
            return Ok(());
        }
        let buf = if init { pool.read_buffer_for_overwrite(r.tag)? } else { pool.read_buffer_for_redo(r.tag)? };
        let mut page = buf.write();
        if init {
            page.init(0);
        } else if page.lsn() >= end {
            return Ok(()); // already applied
        } else if page.is_new() {
            return Err(err!(SqlState::DATA_CORRUPTED, "WAL record at {:X} refers to an uninitialized page", rec.lsn));
        }
        f(&mut page).ok_or_else(bad)?;
        if cleared(i) {
            let flags = page.flags() & !PD_ALL_VISIBLE;
            page.set_flags(flags);
        }
        page.set_lsn(end);
        drop(page);
        buf.mark_dirty();
        Ok(())
    };
    if rec.info == FREEZE {
        return apply(0, false, &|page| {
            for e in refs[0].data.chunks(2 + tuple::FROZEN_FIELDS_LEN) {
                let item = page.item_mut(u16_at(e, 0)?)?;
                tuple::set_frozen_fields(item, e.get(2..)?)?;
            }
            Some(())
        });
    }
    match rec.info & KIND_MASK {
        INSERT => apply(0, init, &|page| {
            let d = &refs[0].data;
            page.place_item(u16_at(d, 0)?, &d[2..]).then_some(())
        }),
        DELETE => apply(0, false, &|page| {
            let d = &refs[0].data;
            let item = page.item_mut(u16_at(d, 0)?)?;
            let mut h = HeaderMut(item);
            h.set_xmax_stamp(XmaxStamp::decode(d.get(14..)?)?);
            h.set_cid(u32_at(d, 10)?);
            note_prunable(page, u64_at(d, 2)?);
            Some(())
        }),
        LOCK => apply(0, false, &|page| {
            let d = &refs[0].data;
            let stamp = XmaxStamp::decode(d.get(2..)?)?;
            let mut h = HeaderMut(page.item_mut(u16_at(d, 0)?)?);
            match stamp.flags & tuple::XMAX_INVALID {
                0 => h.set_xmax_stamp(stamp),
                _ => h.clear_xmax(),
            }
            Some(())
        }),
        MULTI_INSERT if rec.info & INSERTED != 0 => apply(0, init, &|page| {
            let cid = u32_at(&refs[0].data, 0)?;
            let mut d = refs[0].data.get(4..)?;
            let mut item = Vec::new();
            while !d.is_empty() {
                let (offset, len) = (u16_at(d, 0)?, u16_at(d, 2)? as usize);
                let logged = len.checked_sub(tuple::INSERT_LOGGED_FROM)?;
                let tid = Tid { block: refs[0].tag.block, offset };
                tuple::rebuild_inserted(&mut item, rec.xid, cid, tid, d.get(4..4 + logged)?);
                if !page.place_item(offset, &item) {
                    return None;
                }
                d = &d[4 + logged..];
            }
            Some(())
        }),
        MULTI_INSERT => apply(0, init, &|page| {
            let mut d = &refs[0].data[..];
            while !d.is_empty() {
                let (offset, len) = (u16_at(d, 0)?, u16_at(d, 2)? as usize);
                if !page.place_item(offset, d.get(4..4 + len)?) {
                    return None;
                }
                d = &d[4 + len..];
            }
            Some(())
        }),
        PRUNE => apply(0, false, &|page| {
            for off in refs[0].data.chunks_exact(2) {
                page.set_unused(u16::from_le_bytes([off[0], off[1]]));
            }
            page.compact();
            Some(())
        }),
        PRUNE_HOT => apply(0, false, &|page| {
            let (unused, redirects) = hot::decode(&refs[0].data)?;
            hot::apply(page, &unused, &redirects);
            Some(())
        }),
        HOT_UPDATE => apply(0, false, &|page| {
            let d = &refs[0].data;
            let (old, new) = (u16_at(d, 0)?, u16_at(d, 2)?);
            let (xid, cid) = (u64_at(d, 4)?, u32_at(d, 12)?);
            let block = refs[0].tag.block;
            let stamp = XmaxStamp::decode(d.get(16..)?)?;
            if !page.place_item(new, d.get(27..)?) {
                return None;
            }
            stamp_old_version(page, Tid { block, offset: old }, Tid { block, offset: new }, (xid, cid), stamp).ok()
        }),
        UPDATE => {
            apply(0, init, &|page| {
                let d = &refs[0].data;
                page.place_item(u16_at(d, 0)?, &d[2..]).then_some(())
            })?;
            apply(1, false, &|page| {
                let d = &refs[1].data;
                let old = Tid { block: refs[1].tag.block, offset: u16_at(d, 0)? };
                let new = Tid { block: u32_at(d, 14)?, offset: u16_at(d, 18)? };
                let stamp = XmaxStamp::decode(d.get(20..)?)?;
                stamp_old_version(page, old, new, (u64_at(d, 2)?, u32_at(d, 10)?), stamp).ok()
            })
        }
        _ => Err(bad()),
    }
}

/// Redo of [`VISIBLE`]: the heap page's flag, then the map page's bits.
fn redo_visible(pool: &BufferPool, rec: &Record, refs: &[BlockRef]) -> Result<()> {
    let bad = || err!(SqlState::DATA_CORRUPTED, "invalid heap WAL record at {:X}", rec.lsn);
    let end = rec.end_lsn();
    let [heap, map] = refs else { return Err(bad()) };
    if !blocks::restore_image(pool, heap, end)? {
        let buf = pool.read_buffer_for_redo(heap.tag)?;
        let mut page = buf.write();
        if !page.is_new() && page.lsn() < end {
            let flags = page.flags() | PD_ALL_VISIBLE;
            page.set_flags(flags);
            page.set_lsn(end);
            drop(page);
            buf.mark_dirty();
        }
    }
    if !blocks::restore_image(pool, map, end)? {
        let block = u32_at(&map.data, 0).ok_or_else(bad)?;
        let flags = *map.data.get(4).ok_or_else(bad)?;
        let buf = pool.read_buffer_for_redo(map.tag)?;
        let mut page = buf.write();
        if page.lsn() < end {
            vm::set_on_page(&mut page, block, flags);
            page.set_lsn(end);
            drop(page);
            buf.mark_dirty();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
