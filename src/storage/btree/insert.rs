//! Inserting entries: [`BTree::insert`], [`BTree::insert_unique`], and
//! page splits (PostgreSQL's `nbtinsert.c`).
//!
//! An insert descends (read locks, one at a time) remembering the path,
//! locks the leaf exclusively and moves right to the page whose range
//! holds the entry. If it fits, it is logged as `(offset, item)`. If not,
//! the page is split: a new right sibling takes the upper part, the left
//! page gets the separator as its high key, and the separator goes into the
//! parent — which may split in turn, up to a new root. The split pages stay
//! locked until the parent is (child before parent), so nobody can split
//! them before their downlinks exist; then every page changed is logged in
//! one record of full images.

use super::node::{self, Entry, Goal, MIN_TID};
use super::{BTree, InsertOutcome, Locked, Parent, Tid, UniqueCheck, WritePage, XLOG_INSERT, check_key};
use crate::error::{Error, Result, SqlState};
use crate::storage::page::{OffsetNumber, PageBuf, PageRead, PageWrite};
use crate::storage::wal::blocks::BlockRef;

/// Leaf fill of a rightmost page split by an insert at its end (as
/// PostgreSQL's fillfactor 90): ascending keys leave full pages behind.
const LEAF_FILL_RIGHTMOST: f64 = 0.9;
const INTERNAL_FILL_RIGHTMOST: f64 = 0.7;

/// Where the separator of a split goes.
pub(super) enum Up<'a> {
    /// The parent page, locked, and the offset of the left page's downlink.
    Parent(WritePage<'a>, OffsetNumber),
    /// The split page was the root: the metapage, locked.
    Root(WritePage<'a>),
}

/// The error for a conflicting unique insert (the caller normally reports
/// its own before this, with the index name).
fn duplicate_key() -> Error {
    // The SQL layer names the constraint and the key in its own error
    // before this one can be reached.
    Error::new(SqlState::UNIQUE_VIOLATION, "duplicate key value violates unique constraint")
}

impl<'a> BTree<'a> {
    /// Insert one entry (non-unique index).
    pub fn insert(&self, xid: u64, key: &[u8], tid: Tid) -> Result<()> {
        self.insert_with(xid, key, &[], tid)
    }

    /// Insert one entry with an INCLUDE payload (non-unique index).
    pub fn insert_with(&self, xid: u64, key: &[u8], include: &[u8], tid: Tid) -> Result<()> {
        check_key(key, include)?;
        let e = Entry { key, tid };
        let goal = Goal::After(e);
        let mut stack = Vec::new();
        let leaf = self.lock_leaf_write(&goal, &mut stack)?;
        self.insert_on(xid, leaf, e, include, stack)
    }

    /// Insert into a unique index: `check` judges every existing entry with
    /// an equal key, all under the exclusive lock of the first leaf where
    /// the key can be, so that two inserters of one key take turns.
    pub fn insert_unique(
        &self,
        xid: u64,
        key: &[u8],
        tid: Tid,
        check: &mut dyn FnMut(Tid) -> Result<UniqueCheck>,
    ) -> Result<InsertOutcome> {
        self.insert_unique_with(xid, key, &[], tid, check)
    }

    /// As [`BTree::insert_unique`], the entry with an INCLUDE payload
    /// (which takes no part in the check).
    pub fn insert_unique_with(
        &self,
        xid: u64,
        key: &[u8],
        include: &[u8],
        tid: Tid,
        check: &mut dyn FnMut(Tid) -> Result<UniqueCheck>,
    ) -> Result<InsertOutcome> {
        check_key(key, include)?;
        let first_goal = Goal::AtLeast(Entry { key, tid: MIN_TID });
        let mut stack = Vec::new();
        let first = loop {
            let first = self.lock_leaf_write(&first_goal, &mut stack)?;
            // Equal keys on this page, then on right siblings while the high key
            // still equals the key (read locks, one at a time, each pinned before
            // the previous one is unlocked; the first page staying locked: an
            // equal-key inserter behind us waits on it).
            let mut verdict = check_page(&first, node::search(&*first, &first_goal), key, check)?;
            let mut next = node::right(&*first).map(|b| self.pin(b)).transpose()?;
            while verdict == Walk::Continue {
                let Some(buf) = next else { break };
                let page = Locked { guard: buf.read(), buf };
                if node::is_deleted(&*page) {
                    // Emptied and unlinked since we left its left sibling:
                    // where equal keys continue is no longer known here.
                    verdict = Walk::Restart;
                    break;
                }
                verdict = check_page(&page, node::first_data(&*page), key, check)?;
                next = node::right(&*page).map(|b| self.pin(b)).transpose()?;
            }
            match verdict {
                Walk::Conflict => return Err(duplicate_key()),
                Walk::Wait(x) => return Ok(InsertOutcome::Wait(x)),
                Walk::Restart => continue,
                Walk::Continue | Walk::Stop => break first,
            }
        };
        let e = Entry { key, tid };
        let leaf = self.move_right_write(first, &Goal::After(e))?;
        self.insert_on(xid, leaf, e, include, stack)?;
        Ok(InsertOutcome::Done)
    }

    /// Insert `e` on the locked leaf whose range holds it.
    fn insert_on(
        &self,
        xid: u64,
        mut leaf: WritePage<'a>,
        e: Entry<'_>,
        include: &[u8],
        stack: Vec<Parent>,
    ) -> Result<()> {
        let pos = node::search(&*leaf, &Goal::After(e));
        let mut item = Vec::with_capacity(node::ENTRY_HEADER + e.key.len() + include.len());
        node::encode_leaf_entry(&mut item, e, include);
        if node::insert_at(&mut *leaf, pos, &item) {
            let mut data = Vec::with_capacity(2 + item.len());
            data.extend_from_slice(&pos.to_le_bytes());
            data.extend_from_slice(&item);
            let mut refs = [BlockRef { tag: leaf.buf.tag(), image: None, data }];
            return self.log(xid, XLOG_INSERT, &mut refs, &mut [&mut leaf]);
        }
        self.split_and_insert(xid, leaf, pos, item, stack)
    }

    /// Split `page` to make room for `item` at `pos`, then insert the
    /// separator into the parent, splitting upwards as far as needed.
    ///
    /// The new contents of every page are prepared aside while the pages
    /// are locked and new ones allocated; only when nothing can fail any
    /// more are they put in place and logged. An error on the way (no free
    /// buffer, an I/O error) leaves the tree as it was, plus perhaps an
    /// unused new block.
    fn split_and_insert(
        &self,
        xid: u64,
        page: WritePage<'a>,
        pos: OffsetNumber,
        item: Vec<u8>,
        mut stack: Vec<Parent>,
    ) -> Result<()> {
        let mut held: Vec<(WritePage<'a>, PageBuf)> = Vec::new();
        let (mut cur, mut pos, mut item) = (page, pos, item);
        loop {
            let mut img = (*cur).clone();
            if node::insert_at(&mut img, pos, &item) {
                held.push((cur, img));
                break;
            }
            let right = self.new_page()?;
            let (left_img, right_img, sep) = split(&cur, pos, &item, right.block())
                .ok_or_else(|| self.corrupt(cur.block(), "no split point fits"))?;
            let (left_block, right_block, level) = (cur.block(), right.block(), node::level(&*cur));
            held.push((cur, left_img));
            held.push((right, right_img));
            let downlink = node::encode_downlink(right_block, Some(&sep));
            match self.find_parent(&mut stack, left_block, level, node::decode_entry(&sep))? {
                Up::Parent(parent, off) => {
                    (cur, pos, item) = (parent, off + 1, downlink);
                }
                Up::Root(meta) => {
                    let root = self.new_page()?;
                    let mut root_img = PageBuf::zeroed();
                    node::init_node(&mut root_img, level + 1, node::NONE);
                    let ok = node::insert_at(&mut root_img, 1, &node::encode_downlink(left_block, None))
                        && node::insert_at(&mut root_img, 2, &downlink);
                    if !ok {
                        return Err(Error::internal("new root does not hold two downlinks"));
                    }
                    let mut meta_img = (*meta).clone();
                    node::set_meta(&mut meta_img, root.block(), level + 1);
                    held.push((root, root_img));
                    held.push((meta, meta_img));
                    break;
                }
            }
        }
        for (page, img) in &mut held {
            // A page keeps its generation (see `node`) whatever it now holds.
            if page.block() != 0 {
                node::set_generation(img, node::generation(&**page));
            }
            std::mem::swap(&mut **page, img);
        }
        let mut pages: Vec<&mut WritePage<'a>> = held.iter_mut().map(|(p, _)| p).collect();
        self.log_images(xid, &mut pages)
    }

    /// Lock the parent of the page `child` (at `level`) that was just split:
    /// from the remembered path, moving right if the parent split since; or,
    /// when the path is used up, the metapage if `child` is the root, else a
    /// new descent (the root split since our descent).
    pub(super) fn find_parent(
        &self,
        stack: &mut Vec<Parent>,
        child: u32,
        level: u32,
        sep: Entry<'_>,
    ) -> Result<Up<'a>> {
        let remembered = stack.pop();
        let mut page = match &remembered {
            Some(p) => Some(self.write(p.block)?).filter(|page| node::generation(&**page) == p.generation),
            None => {
                let meta = self.write(0)?;
                let m = node::meta(&*meta).ok_or_else(|| self.corrupt(0, "not a btree metapage"))?;
                if m.root == child {
                    return Ok(Up::Root(meta));
                }
                None
            }
        };
        let mut from = remembered.map_or(0, |p| p.offset);
        loop {
            // The path is used up, or its page was deleted since: the
            // parent's range holds the left page's, hence the separator.
            let Some(mut cur) = page.take().filter(|p| !node::is_deleted(&**p)) else {
                let buf = self.descend(&Goal::After(sep), level + 1, None, None)?;
                page = Some(Locked { guard: buf.write(), buf });
                from = 0;
                continue;
            };
            // The downlink moves right by splits: later on this page, or on
            // a right sibling; and left on its page when a downlink before
            // it goes (page deletion, `vacuum.rs`).
            let first = node::first_data(&*cur);
            let start = from.clamp(first, cur.max_offset().max(first));
            let later = start..=cur.max_offset();
            for off in later.chain(first..start) {
                if node::downlink_child(node::raw_item(&*cur, off)) == child {
                    return Ok(Up::Parent(cur, off));
                }
            }
            let right = node::right(&*cur).ok_or_else(|| self.corrupt(child, "no downlink in the parent level"))?;
            // Coupled: a page's right sibling is not deleted while it is locked.
            let next = self.write(right)?;
            cur = next;
            page = Some(cur);
            from = 0;
        }
    }
}

/// How a unique check of one page ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Walk {
    /// All equal keys judged; none after this page.
    Stop,
    /// Equal keys may continue on the right sibling.
    Continue,
    Conflict,
    Wait(u64),
    /// A page on the way was deleted: check again from the start.
    Restart,
}

fn check_page(
    page: &PageBuf,
    from: OffsetNumber,
    key: &[u8],
    check: &mut dyn FnMut(Tid) -> Result<UniqueCheck>,
) -> Result<Walk> {
    for off in from..=page.max_offset() {
        let e = node::leaf_entry(page, off);
        if e.key != key {
            return Ok(Walk::Stop);
        }
        match check(e.tid)? {
            UniqueCheck::Ok => {}
            UniqueCheck::Conflict => return Ok(Walk::Conflict),
            UniqueCheck::Wait(x) => return Ok(Walk::Wait(x)),
        }
    }
    Ok(match node::high_key(page) {
        Some(hk) if hk.key == key => Walk::Continue,
        _ => Walk::Stop,
    })
}

/// The two halves of `page` with `item` inserted at `pos`, the right one
/// to live at block `right_block`; and the separator (the right half's
/// lower bound, an encoded entry). `None` if no split point fits.
fn split(page: &PageBuf, pos: OffsetNumber, item: &[u8], right_block: u32) -> Option<(PageBuf, PageBuf, Vec<u8>)> {
    let leaf = node::is_leaf(page);
    let first = node::first_data(page);
    let mut items: Vec<&[u8]> = Vec::with_capacity(page.max_offset() as usize + 1);
    for off in first..=page.max_offset() {
        if off == pos {
            items.push(item);
        }
        items.push(node::raw_item(page, off));
    }
    if pos > page.max_offset() {
        items.push(item);
    }
    let old_hk = node::high_key_bytes(page);
    let hk_cost = old_hk.map_or(0, |h| node::item_cost(h.len()));
    // The separator is the right half's first entry (for a leaf entry,
    // without its INCLUDE payload; for a downlink, its entry part: the
    // downlink itself stays as the right page's minus infinity).
    let sep_of = |it: &[u8]| -> usize { if leaf { node::truncate(it).len() } else { it.len() - 4 } };
    let cost: Vec<usize> = items.iter().map(|it| node::item_cost(it.len())).collect();
    let total: usize = cost.iter().sum();
    let append = node::right(page).is_none() && pos as usize == first as usize + items.len() - 1;
    let fill = match (append, leaf) {
        (true, true) => LEAF_FILL_RIGHTMOST,
        (true, false) => INTERNAL_FILL_RIGHTMOST,
        _ => 0.5,
    };
    let target = (total as f64 * fill) as usize;
    let mut best: Option<(usize, usize)> = None; // (distance from target, k)
    let mut left = 0;
    for k in 1..items.len() {
        left += cost[k - 1];
        let left_cost = left + node::item_cost(sep_of(items[k]));
        let right_cost = if leaf { total - left } else { total - left - cost[k] + node::item_cost(4) } + hk_cost;
        if left_cost > node::USABLE || right_cost > node::USABLE {
            continue;
        }
        let d = left.abs_diff(target);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    let (_, k) = best?;
    let sep: Vec<u8> = if leaf { node::truncate(items[k]).to_vec() } else { items[k][4..].to_vec() };
    let level = node::level(page);
    let mut l = PageBuf::zeroed();
    node::init_node(&mut l, level, right_block);
    let mut r = PageBuf::zeroed();
    node::init_node(&mut r, level, node::right(page).unwrap_or(node::NONE));
    let mut ok = l.append_item(&sep).is_some();
    for it in &items[..k] {
        ok &= l.append_item(it).is_some();
    }
    if let Some(h) = old_hk {
        ok &= r.append_item(h).is_some();
    }
    for (i, it) in items[k..].iter().enumerate() {
        let it: &[u8] = if i == 0 && !leaf { &it[..4] } else { it };
        ok &= r.append_item(it).is_some();
    }
    ok.then_some((l, r, sep))
}
