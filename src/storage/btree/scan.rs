//! Range scans: [`BTree::scan`] and [`Cursor`].
//!
//! A cursor copies entries out a batch at a time and holds no lock or pin
//! between batches; it remembers its position as the last entry returned.
//!
//! - Forward, it also remembers that entry's leaf. Entries only ever move
//!   right (splits), so the next entry is on that leaf or to its right:
//!   lock it, move right past pages whose high key is not beyond the
//!   position, and go on along the right-links.
//! - Backward, it descends again for each leaf: to the leaf holding the
//!   entries just before the position, noting that leaf's low key (the
//!   separator or high key that led to it). When the leaf is used up, the
//!   next descent looks for entries before that low key. Low keys never
//!   change (pages are only split, never merged), so a concurrent split
//!   cannot make the scan skip or repeat an entry.

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
    /// Forward: the leaf `pos` was found on.
    leaf: Option<u32>,
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
        let tree = self.tree;
        let goal = match (&self.pos, &self.lower) {
            (Some((k, t)), _) => Goal::After(Entry { key: k, tid: *t }),
            (None, Bound::Included(b)) => Goal::PrefixAtLeast(b),
            (None, Bound::Excluded(b)) => Goal::PrefixAfter(b),
            (None, Bound::Unbounded) => Goal::Start,
        };
        let block = match self.leaf {
            Some(b) => b,
            None => tree.descend(&goal, 0, None, None)?,
        };
        let mut page = tree.move_right(tree.read(block)?, &goal, None)?;
        let mut from = node::search(&*page, &goal);
        let mut n = 0;
        loop {
            for off in from..=page.max_offset() {
                let e = node::leaf_entry(&*page, off);
                if !below_upper(&self.upper, e.key) {
                    self.done = true;
                    return Ok(());
                }
                let include = node::leaf_include(&*page, off).to_vec();
                out.push(IndexEntry { key: e.key.to_vec(), tid: e.tid, include });
                n += 1;
                if n == max {
                    self.leaf = Some(page.block());
                    return Ok(());
                }
            }
            // Everything to the right is at least the high key.
            let next = match node::high_key(&*page) {
                Some(hk) if below_upper(&self.upper, hk.key) => node::right(&*page),
                _ => None,
            };
            let Some(next) = next else {
                self.done = true;
                return Ok(());
            };
            drop(page);
            page = tree.read(next)?;
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
            let block = tree.descend(&goal, 0, None, Some(&mut low))?;
            let page = tree.move_right(tree.read(block)?, &goal, Some(&mut low))?;
            let end = node::search(&*page, &goal);
            for off in (node::first_data(&*page)..end).rev() {
                let e = node::leaf_entry(&*page, off);
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
