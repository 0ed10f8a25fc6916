//! Page deletion and reuse: [`BTree::vacuum_pages`] (PostgreSQL's
//! `_bt_pagedel` and `btvacuumscan`) and the reuse of deleted pages by
//! [`BTree::new_page`].
//!
//! After VACUUM removed the entries of dead rows, a leaf left without
//! entries is unlinked from the tree in one atomic step, with its left
//! sibling, itself and its parent locked (in that order: left to right,
//! child before parent) and all three logged as one record of images:
//!
//! ```text
//!  parent   [… | s_L→L | s_R→R | …]    becomes   [… | s_L→R | …]
//!  leaves   LS ─► L (empty) ─► R                  LS ─────────► R      L: deleted
//! ```
//!
//! The parent's downlink to `L` is redirected to `R` and `R`'s own downlink
//! removed, so `R`'s key range grows down to take in `L`'s (empty) one, and
//! no high key or separator changes. Hence the limits, as in PostgreSQL:
//! the rightmost page of a level (no `R`) and the last child of its parent
//! (its right sibling has another parent) are not deleted, except that a
//! leaf that is its parent's only child goes together with the parent, the
//! same step taken one level up in the same record (see
//! [`BTree::delete_with_parent`]). Internal pages otherwise never become
//! empty.
//!
//! A deleted page gets the next *generation* and goes into the index's
//! free-space map. It is reused for a new page only once nobody can be on
//! it or about to be. The rule (instead of PostgreSQL's transaction
//! horizon):
//!
//! 1. Whoever follows a downlink or a right-link pins the target before
//!    unlocking the page that holds the link. So after the unlink, the only
//!    ones who can still arrive at the deleted page hold its pin.
//! 2. Reuse takes the page's exclusive lock without waiting and requires
//!    the reuser's to be the only pin; a page in use is left for another
//!    time (the next VACUUM offers it again).
//! 3. Whoever locks a page reached by a link and finds it deleted starts
//!    over from the root (its entries went right, into the sibling's
//!    range; the deleted page's own right-link is not trusted).
//! 4. A cursor that remembers a leaf without a pin between batches also
//!    remembers its generation; a different one means the leaf was deleted
//!    (maybe reused), and the cursor descends again.
//!
//! The free-space map is a hint, not logged: after a crash VACUUM finds the
//! deleted pages again by reading the whole index, as it does every time.

use super::insert::Up;
use super::node::{self, Entry, Goal, MIN_TID};
use super::{BTree, Locked, LowKey, WritePage};
use crate::error::Result;
use crate::storage::page::{PAGE_SIZE, PageRead};
use crate::storage::smgr::Fork;

/// What [`BTree::vacuum_pages`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VacuumStats {
    /// Empty leaves unlinked by this pass.
    pub deleted: u64,
    /// Deleted pages now offered for reuse (this pass's included).
    pub free: u64,
    /// Pages of the index (metapage included).
    pub pages: u64,
}

impl<'a> BTree<'a> {
    /// VACUUM's pass over the index once the entries of dead rows are
    /// gone: unlink every empty leaf that can be (see the module doc) and
    /// offer every deleted page for reuse.
    pub fn vacuum_pages(&self, xid: u64) -> Result<VacuumStats> {
        let nblocks = self.pool.smgr().nblocks(self.rel, Fork::Main)?;
        let mut stats = VacuumStats { pages: nblocks as u64, ..VacuumStats::default() };
        let mut free = Vec::new();
        let mut empty = Vec::new();
        for block in 1..nblocks {
            let page = self.read(block)?;
            if page.is_new() {
                continue; // a new block whose split failed
            }
            if node::is_deleted(&*page) {
                free.push(block);
            } else if let Some(hk) = node::high_key(&*page).filter(|_| node::is_leaf(&*page) && node::is_empty(&*page))
            {
                empty.push((block, hk.key.to_vec(), hk.tid));
            }
        }
        for (block, key, tid) in empty {
            let deleted = self.delete_leaf(xid, block, Entry { key: &key, tid })?;
            stats.deleted += deleted.len() as u64;
            free.extend(deleted);
        }
        for &block in &free {
            // A whole page: the map's top category, which a request for
            // a whole node's space (below) needs.
            self.pool.record_free_space(self.rel, block, PAGE_SIZE)?;
        }
        stats.free = free.len() as u64;
        Ok(stats)
    }

    /// Unlink the leaf `block`, seen empty with high key `hk`, if it still
    /// is and may be, and its parent with it if the leaf is its only
    /// child; the blocks deleted.
    fn delete_leaf(&self, xid: u64, block: u32, hk: Entry<'_>) -> Result<Vec<u32>> {
        // The descent to the entries just below `hk` ends on the leaf and
        // tells its low key and its parent.
        let goal = Goal::AtLeast(hk);
        let mut stack = Vec::new();
        let mut low: LowKey = None;
        let buf = self.descend(&goal, 0, Some(&mut stack), Some(&mut low))?;
        let page = Locked { guard: buf.read(), buf };
        match self.move_right(page, &goal, Some(&mut low))? {
            Some(page) if page.block() == block => {}
            _ => return Ok(Vec::new()),
        }
        // The left sibling: the page whose right-link is `block`, found
        // below the low key; none if the leaf is the leftmost.
        let mut left = match &low {
            None => None,
            Some((key, tid)) => match self.left_sibling(0, block, Entry { key, tid: *tid })? {
                Some(page) => Some(page),
                None => return Ok(Vec::new()),
            },
        };
        let mut leaf = self.write(block)?;
        let right = match node::right(&*leaf) {
            Some(r) if !node::is_deleted(&*leaf) && node::is_leaf(&*leaf) && node::is_empty(&*leaf) => r,
            _ => return Ok(Vec::new()),
        };
        if node::high_key(&*leaf) != Some(hk) {
            return Ok(Vec::new()); // it split and emptied again: the path may be stale
        }
        let sep = low.as_ref().map_or(Entry { key: &[], tid: MIN_TID }, |(key, tid)| Entry { key, tid: *tid });
        let mut parent = match self.find_parent(&mut stack, block, 0, sep)? {
            Up::Parent(parent, off) => (parent, off),
            Up::Root(_) => return Ok(Vec::new()),
        };
        let (p, off) = (&mut parent.0, parent.1);
        if off >= p.max_offset() || node::downlink_child(node::raw_item(&**p, off + 1)) != right {
            // The last child of its parent: deleted with it if it is its
            // only one (the leaf stays locked, so it stays so).
            let only = off == node::first_data(&**p) && off == p.max_offset() && node::right(&**p).is_some();
            if !only {
                return Ok(Vec::new());
            }
            let (parent_block, generation) = (p.block(), node::generation(&**p));
            drop(parent);
            let mut changed = vec![leaf];
            changed.extend(left);
            return self.delete_with_parent(xid, changed, right, (parent_block, generation), sep, stack);
        }
        // Nothing can fail from here until the record is written.
        redirect_downlink(p, off, right).map_err(|b| self.corrupt(b, "could not redirect a downlink"))?;
        node::mark_deleted(&mut *leaf);
        let mut pages: Vec<&mut WritePage<'a>> = vec![&mut leaf, p];
        if let Some(left) = left.as_mut() {
            node::set_right(&mut **left, right);
            pages.push(left);
        }
        self.log_images(xid, &mut pages)?;
        Ok(vec![block])
    }

    /// Unlink the empty leaf `changed[0]` (its left sibling, if any, in
    /// `changed[1]`; both exclusively locked), whose right sibling is
    /// `right`, together with its parent `parent` (block and generation),
    /// of which it is the only child; `low` is the low key of both, and
    /// `stack` the path above the parent. As in [`BTree::delete_leaf`] one
    /// level up: the grandparent's downlink to the parent then leads to
    /// the parent's right sibling, whose own downlink goes, and whose first
    /// child is `right`; both pages are flagged deleted, and both left
    /// siblings' right-links skip them. Locks are taken left to right on
    /// each level, level by level upwards, and all pages are logged as one
    /// record of images: there is no half-deleted state to finish after a
    /// crash.
    ///
    /// ```text
    ///  grandparent [… | s_P→P | s_PR→PR | …]      becomes   [… | s_P→PR | …]
    ///  parents     PLS ─► P [→L] ─► PR [→R …]                PLS ─► PR [→R …]
    ///  leaves      LS ─► L (empty) ─► R                      LS ─► R
    /// ```
    fn delete_with_parent(
        &self,
        xid: u64,
        mut changed: Vec<WritePage<'a>>,
        right: u32,
        (parent_block, generation): (u32, u32),
        low: Entry<'_>,
        mut stack: Vec<super::Parent>,
    ) -> Result<Vec<u32>> {
        let leaf_block = changed[0].block();
        let parent_left = match low.tid == MIN_TID && low.key.is_empty() {
            true => None,
            false => match self.left_sibling(1, parent_block, low)? {
                Some(page) => Some(page),
                None => return Ok(Vec::new()),
            },
        };
        let mut parent = self.write(parent_block)?;
        let single = node::generation(&*parent) == generation
            && !node::is_deleted(&*parent)
            && node::first_data(&*parent) == parent.max_offset()
            && node::downlink_child(node::raw_item(&*parent, parent.max_offset())) == leaf_block;
        let Some(parent_right) = node::right(&*parent).filter(|_| single) else { return Ok(Vec::new()) };
        let (mut grand, off) = match self.find_parent(&mut stack, parent_block, 1, low)? {
            Up::Parent(grand, off) => (grand, off),
            Up::Root(_) => return Ok(Vec::new()),
        };
        if off >= grand.max_offset() || node::downlink_child(node::raw_item(&*grand, off + 1)) != parent_right {
            return Ok(Vec::new()); // the parent is the last child of its own
        }
        // Nothing can fail from here until the record is written.
        redirect_downlink(&mut grand, off, parent_right)
            .map_err(|b| self.corrupt(b, "could not redirect a downlink"))?;
        node::mark_deleted(&mut *changed[0]);
        if let Some(left) = changed.get_mut(1) {
            node::set_right(&mut **left, right);
        }
        node::mark_deleted(&mut *parent);
        changed.push(parent);
        if let Some(mut left) = parent_left {
            node::set_right(&mut *left, parent_right);
            changed.push(left);
        }
        changed.push(grand);
        let mut pages: Vec<&mut WritePage<'a>> = changed.iter_mut().collect();
        self.log_images(xid, &mut pages)?;
        Ok(vec![leaf_block, parent_block])
    }

    /// The live page at `level` whose right-link is `block`, exclusively
    /// locked, searched from the page holding the entries just below `low`
    /// (the low key of `block`); `None` if it is not found there.
    fn left_sibling(&self, level: u32, block: u32, low: Entry<'_>) -> Result<Option<WritePage<'a>>> {
        let goal = Goal::AtLeast(low);
        let mut page = loop {
            let buf = self.descend(&goal, level, None, None)?;
            let page = Locked { guard: buf.write(), buf };
            // A live page's right siblings stay live while it is locked.
            if !node::is_deleted(&*page) {
                break page;
            }
        };
        loop {
            if page.block() == block {
                return Ok(None);
            }
            match node::right(&*page) {
                Some(r) if r == block => return Ok(Some(page)),
                Some(r) if node::high_key(&*page).is_some_and(|h| h <= low) => page = self.write(r)?,
                _ => return Ok(None),
            }
        }
    }

    /// A deleted page from the free-space map that nobody can reach or be
    /// on (see the module rules), exclusively locked; `None` in the outer
    /// option when the map names no page, in the inner when the one it
    /// named is not reusable now (the caller asks again).
    pub(super) fn recycled_page(&self) -> Result<Option<Option<WritePage<'a>>>> {
        let Some(block) = self.pool.find_free_space(self.rel, node::USABLE, None)? else { return Ok(None) };
        // Off the map whatever its state: in use now, or not free at all.
        self.pool.record_free_space(self.rel, block, 0)?;
        if block == 0 || block >= self.pool.smgr().nblocks(self.rel, Fork::Main)? {
            return Ok(Some(None));
        }
        let buf = self.pin(block)?;
        let Some(guard) = buf.try_write() else { return Ok(Some(None)) };
        if !node::is_deleted(&*guard) || !buf.is_sole_pin() {
            return Ok(Some(None));
        }
        Ok(Some(Some(Locked { guard, buf })))
    }
}

/// Make the downlink at `off` on the internal page `p` lead to `to`, the
/// child its successor names, and remove the successor (its range is now
/// the one starting at `off`'s separator); the block on failure.
fn redirect_downlink(p: &mut WritePage<'_>, off: u16, to: u32) -> std::result::Result<(), u32> {
    let mut item = node::raw_item(&**p, off).to_vec();
    item[..4].copy_from_slice(&to.to_le_bytes());
    let ok =
        node::delete_at(&mut **p, off + 1) && node::delete_at(&mut **p, off) && node::insert_at(&mut **p, off, &item);
    if ok { Ok(()) } else { Err(p.block()) }
}
