//! Range scans: [`BTree::scan`] and [`Cursor`].
//!
//! A cursor copies entries out a batch at a time and holds no lock or pin
//! between batches; it remembers its position as the last entry returned.
//!
//! - Forward, it also remembers that entry's leaf and the leaf's
//!   generation. Entries only ever move right (splits), so the next entry
//!   is on that leaf or to its right: lock it, move right past pages whose
//!   high key is not beyond the position, and go on along the right-links.
//!   If the leaf was deleted since (it has another generation, or is
//!   flagged deleted), or a page reached along the right-links is, the
//!   cursor descends again from the root to its position: a deleted page
//!   held no entries, and the entries of its key range go to its right
//!   sibling.
//! - Backward, it descends again for each leaf: to the leaf holding the
//!   entries just before the position, noting that leaf's low key (the
//!   separator or high key that led to it). When the leaf is used up, the
//!   next descent looks for entries before that low key. Only entries at
//!   or above the low key are taken from the leaf: a page's low key falls
//!   when its empty left sibling is deleted, and the entries below the
//!   remembered low key are the next descent's.

use std::cmp::Ordering;
use std::ops::Bound;

use super::node::{self, Entry, Goal, prefix_cmp};
use super::{BTree, IndexEntry, LowKey, Tid};
use crate::error::Result;
use crate::storage::page::PageRead;

/// A scan over a key range of one index, in key order or reverse.
pub struct Cursor<'a> {
    tree: BTree<'a>,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    forward: bool,
    /// The last entry returned.
    pos: Option<(Vec<u8>, Tid)>,
    /// Forward: the leaf `pos` was found on, and its generation.
    leaf: Option<(u32, u32)>,
    done: bool,
}

/// Whether `key` satisfies the lower bound (on its prefix of the bound's length).
fn above_lower(lower: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    match lower {
        Bound::Included(b) => prefix_cmp(key, b) != Ordering::Less,
        Bound::Excluded(b) => prefix_cmp(key, b) == Ordering::Greater,
        Bound::Unbounded => true,
    }
}

fn below_upper(upper: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    match upper {
        Bound::Included(b) => prefix_cmp(key, b) != Ordering::Greater,
        Bound::Excluded(b) => prefix_cmp(key, b) == Ordering::Less,
        Bound::Unbounded => true,
    }
}

impl<'a> BTree<'a> {
    /// A scan of the entries whose keys lie within the bounds, each bound
    /// compared with the key's prefix of the bound's length (so a bound on
    /// leading columns works); in descending order if `!forward`.
    pub fn scan(&self, lower: Bound<Vec<u8>>, upper: Bound<Vec<u8>>, forward: bool) -> Cursor<'a> {
        Cursor { tree: *self, lower, upper, forward, pos: None, leaf: None, done: false }
    }
}

impl Cursor<'_> {
    /// Append up to `max` next entries (with their INCLUDE payloads) to `out`. Returns `false` when the
    /// scan is exhausted and nothing was appended (a call that appends
    /// something returns `true`, even if nothing follows).
    pub fn next_batch(&mut self, out: &mut Vec<IndexEntry>, max: usize) -> Result<bool> {
        if self.done || max == 0 {
            return Ok(!self.done);
        }
        let start = out.len();
        if self.forward {
            self.forward_batch(out, max)?
        } else {
            self.backward_batch(out, max)?
        }
        if let Some(e) = out.get(start..).and_then(<[_]>::last) {
            self.pos = Some((e.key.clone(), e.tid));
        }
        Ok(out.len() > start)
    }

    fn forward_batch(&mut self, out: &mut Vec<IndexEntry>, max: usize) -> Result<()> {
        let mut n = 0;
        // Each round starts at the position; a round ends early when it
        // meets a deleted page.
        loop {
            if let Some(e) = out.last().filter(|_| n > 0) {
                self.pos = Some((e.key.clone(), e.tid));
            }
            if self.forward_round(out, max, &mut n)? {
                return Ok(());
            }
            self.leaf = None;
        }
    }

    /// Entries from the position on (see `forward_batch`); false if a
    /// deleted page was met.
    fn forward_round(&mut self, out: &mut Vec<IndexEntry>, max: usize, n: &mut usize) -> Result<bool> {
        let tree = self.tree;
        let pos = self.pos.clone();
        let goal = match (&pos, &self.lower) {
            (Some((k, t)), _) => Goal::After(Entry { key: k, tid: *t }),
            (None, Bound::Included(b)) => Goal::PrefixAtLeast(b),
            (None, Bound::Excluded(b)) => Goal::PrefixAfter(b),
            (None, Bound::Unbounded) => Goal::Start,
        };
        let remembered = match self.leaf {
            Some((block, generation)) => {
                let page = tree.read(block)?;
                let same = node::generation(&*page) == generation && node::is_leaf(&*page);
                if same { tree.move_right(page, &goal, None)? } else { None }
            }
            None => None,
        };
        let mut page = match remembered {
            Some(page) => page,
            None => tree.lock_leaf_read(&goal, None)?,
        };
        let mut from = node::search(&*page, &goal);
        loop {
            for off in from..=page.max_offset() {
                let e = node::leaf_entry(&*page, off);
                if !below_upper(&self.upper, e.key) {
                    self.done = true;
                    return Ok(true);
                }
                let include = node::leaf_include(&*page, off).to_vec();
                out.push(IndexEntry { key: e.key.to_vec(), tid: e.tid, include });
                *n += 1;
                if *n == max {
                    self.leaf = Some((page.block(), node::generation(&*page)));
                    return Ok(true);
                }
            }
            // Everything to the right is at least the high key.
            if !node::high_key(&*page).is_some_and(|hk| below_upper(&self.upper, hk.key)) {
                self.done = true;
                return Ok(true);
            }
            page = tree.step_right(page)?;
            if node::is_deleted(&*page) {
                return Ok(false);
            }
            // Entries on the right sibling (or further right, had it split
            // meanwhile) are all beyond the ones returned.
            from = node::first_data(&*page);
        }
    }

    fn backward_batch(&mut self, out: &mut Vec<IndexEntry>, max: usize) -> Result<()> {
        let tree = self.tree;
        let mut before: LowKey = self.pos.clone();
        let mut n = 0;
        loop {
            let goal = match (&before, &self.upper) {
                (Some((k, t)), _) => Goal::AtLeast(Entry { key: k, tid: *t }),
                (None, Bound::Included(b)) => Goal::PrefixAfter(b),
                (None, Bound::Excluded(b)) => Goal::PrefixAtLeast(b),
                (None, Bound::Unbounded) => Goal::End,
            };
            let mut low: LowKey = None;
            let page = tree.lock_leaf_read(&goal, Some(&mut low))?;
            let end = node::search(&*page, &goal);
            let low_entry = low.as_ref().map(|(k, t)| Entry { key: k, tid: *t });
            for off in (node::first_data(&*page)..end).rev() {
                let e = node::leaf_entry(&*page, off);
                if low_entry.is_some_and(|l| e < l) {
                    break;
                }
                if !above_lower(&self.lower, e.key) {
                    self.done = true;
                    return Ok(());
                }
                let include = node::leaf_include(&*page, off).to_vec();
                out.push(IndexEntry { key: e.key.to_vec(), tid: e.tid, include });
                n += 1;
                if n == max {
                    return Ok(());
                }
            }
            drop(page);
            match low {
                Some((k, _)) if !above_lower(&self.lower, &k) => {
                    self.done = true;
                    return Ok(());
                }
                Some(l) => before = Some(l),
                None => {
                    self.done = true;
                    return Ok(());
                }
            }
        }
    }
}
