//! Bulk loading for CREATE INDEX (PostgreSQL's `nbtsort.c`): sorted
//! entries fill leaves left to right to 90 %, then each upper level is
//! built from the level below's downlinks (to 70 %), up to a single root;
//! the metapage is written last. Each page is logged as a full image once
//! it is complete. Nothing else may use the index meanwhile.

use super::node::{self, Entry};
use super::{BTree, IndexEntry, Locked, Tid, WritePage, check_key};
use crate::error::{Error, Result};
use crate::storage::page::{PageBuf, PageRead, PageWrite};
use crate::storage::smgr::Fork;

const LEAF_FILL: f64 = 0.9;
const INTERNAL_FILL: f64 = 0.7;

/// Blocks a build extends the index file by at once.
const EXTEND_BY: u32 = 64;

/// Blocks a build has added to the file and not used yet: `next..end`.
#[derive(Default)]
struct Spare {
    next: u32,
    end: u32,
}

/// A page being filled, and the block it will be written to.
struct Filling<'a> {
    page: PageBuf,
    block: WritePage<'a>,
    /// Encoded entry of its first item: its separator in the level above.
    first: Option<Vec<u8>>,
}

impl<'a> BTree<'a> {
    /// Bulk-load entries sorted by (key, TID) into an empty index: either a
    /// relation with no blocks (this writes the metapage too) or one just
    /// set up by [`BTree::create`] (its empty root leaf is reused).
    pub fn build(&self, xid: u64, entries: &mut dyn Iterator<Item = (Vec<u8>, Tid)>) -> Result<()> {
        self.build_with(xid, &mut entries.map(|(key, tid)| IndexEntry::new(key, tid)))
    }

    /// As [`BTree::build`], the entries with their INCLUDE payloads.
    pub fn build_with(&self, xid: u64, entries: &mut dyn Iterator<Item = IndexEntry>) -> Result<()> {
        self.build_from(xid, entries)
    }

    /// As [`BTree::build_with`], from entries of any form that lends its
    /// key, TID and INCLUDE payload (see [`BuildEntry`]).
    pub fn build_from<E: BuildEntry>(&self, xid: u64, entries: impl Iterator<Item = E>) -> Result<()> {
        let first_leaf = self.prepare_build()?;
        let mut level = 0;
        let mut lower: Vec<(Option<Vec<u8>>, u32)> = Vec::new();
        let mut cur = Filling { page: empty(0), block: first_leaf, first: None };
        let mut spare = Spare::default();
        let mut prev: Option<(Vec<u8>, Tid)> = None;
        let mut item = Vec::new();
        for entry in entries {
            let (key, tid, include) = entry.parts();
            check_key(key, include)?;
            match &mut prev {
                Some((pk, pt)) => {
                    if (Entry { key: pk, tid: *pt }) >= (Entry { key, tid }) {
                        return Err(Error::internal("btree build input is not sorted"));
                    }
                    pk.clear();
                    pk.extend_from_slice(key);
                    *pt = tid;
                }
                None => prev = Some((key.to_vec(), tid)),
            }
            item.clear();
            node::encode_leaf_entry(&mut item, Entry { key, tid }, include);
            cur = self.add(xid, cur, &item, LEAF_FILL, &mut lower, &mut spare)?;
        }
        lower.push((cur.first.take(), cur.block.block()));
        self.finish(xid, cur, None)?;
        // Upper levels until one page holds every downlink.
        while lower.len() > 1 {
            level += 1;
            let mut upper = Vec::new();
            let mut cur = Filling { page: empty(level), block: self.build_page(&mut spare)?, first: None };
            for (sep, child) in std::mem::take(&mut lower) {
                let item = node::encode_downlink(child, sep.as_deref());
                cur = self.add(xid, cur, &item, INTERNAL_FILL, &mut upper, &mut spare)?;
            }
            upper.push((cur.first.take(), cur.block.block()));
            self.finish(xid, cur, None)?;
            lower = upper;
        }
        if spare.next < spare.end {
            // Blocks added ahead and not needed: the file ends at the last page used.
            self.pool.drop_fork_blocks_from(self.rel, Fork::Main, spare.next)?;
            self.pool.smgr().truncate(self.rel, Fork::Main, spare.next)?;
        }
        let root = lower.first().map_or(node::NONE, |l| l.1);
        let mut meta = self.write(0)?;
        node::init_meta(&mut meta, root, level);
        self.log_images(xid, &mut [&mut meta])
    }

    /// The block of the first leaf, after checking that the index is empty
    /// and making sure its metapage block exists.
    fn prepare_build(&self) -> Result<WritePage<'a>> {
        let n = self.pool.smgr().nblocks(self.rel, Fork::Main)?;
        if n == 0 {
            drop(self.new_page()?); // the metapage, written last
            return self.new_page();
        }
        let (root, level) = self.root()?;
        let root_page = Locked { guard: root.write(), buf: root };
        if n != 2 || level != 0 || root_page.max_offset() != 0 {
            return Err(Error::internal(format!("index relation {} is not empty", self.rel)));
        }
        Ok(root_page)
    }

    /// Add an item to the page being filled; when the page is full, finish
    /// it (its high key is this item) and start the next one with the item.
    /// A downlink for each finished page goes to `parents`.
    fn add(
        &self,
        xid: u64,
        mut cur: Filling<'a>,
        item: &[u8],
        fill: f64,
        parents: &mut Vec<(Option<Vec<u8>>, u32)>,
        spare: &mut Spare,
    ) -> Result<Filling<'a>> {
        let leaf = node::is_leaf(&cur.page);
        let target = (node::USABLE as f64 * fill) as usize;
        let has_items = cur.page.max_offset() > 0;
        if has_items && node::used_space(&cur.page) + node::item_cost(item.len()) > target {
            let next = self.build_page(spare)?;
            let mut carry = vec![item.to_vec()];
            // The high key must fit too; move trailing items on if it does not.
            let sep_len = |it: &[u8]| if leaf { node::truncate(it).len() } else { it.len() - 4 };
            while node::used_space(&cur.page) + node::item_cost(sep_len(&carry[0])) > node::USABLE
                && cur.page.max_offset() > 1
            {
                let last = cur.page.max_offset();
                carry.insert(0, node::raw_item(&cur.page, last).to_vec());
                node::delete_at(&mut cur.page, last);
            }
            let sep = if leaf { node::truncate(&carry[0]).to_vec() } else { carry[0][4..].to_vec() };
            let (next_block, level) = (next.block(), node::level(&cur.page));
            parents.push((cur.first.take(), cur.block.block()));
            self.finish(xid, cur, Some((next_block, &sep)))?;
            let mut new = Filling { page: empty(level), block: next, first: None };
            for it in carry {
                new = self.place(new, &it, leaf)?;
            }
            return Ok(new);
        }
        self.place(cur, item, leaf)
    }

    fn place(&self, mut cur: Filling<'a>, item: &[u8], leaf: bool) -> Result<Filling<'a>> {
        let first = cur.page.max_offset() == 0;
        // The first downlink of an internal page is minus infinity; its
        // separator goes to the level above instead.
        let stored: &[u8] = if first && !leaf { &item[..4] } else { item };
        if first {
            let sep = if leaf { node::truncate(item) } else { &item[4..] };
            cur.first = Some(sep.to_vec()).filter(|s| !s.is_empty());
        }
        if cur.page.append_item(stored).is_none() {
            return Err(Error::internal("btree build item does not fit an empty page"));
        }
        Ok(cur)
    }

    /// The next block for a page of the build: the file is extended
    /// [`EXTEND_BY`] blocks at a time (the build is the index's only user).
    fn build_page(&self, spare: &mut Spare) -> Result<WritePage<'a>> {
        if spare.next < spare.end {
            spare.next += 1;
            return self.write(spare.next - 1);
        }
        let (buf, added) = self.pool.extend_by(self.rel, Fork::Main, EXTEND_BY)?;
        let block = buf.tag().block;
        *spare = Spare { next: block + 1, end: block + added };
        Ok(Locked { guard: buf.write(), buf })
    }

    /// Write a filled page to its block: with a right-link and a high key
    /// unless it is the last of its level.
    fn finish(&self, xid: u64, mut cur: Filling<'a>, next: Option<(u32, &[u8])>) -> Result<()> {
        if let Some((right, hk)) = next {
            node::set_right(&mut cur.page, right);
            if !node::insert_at(&mut cur.page, 1, hk) {
                return Err(Error::internal("btree build high key does not fit"));
            }
        }
        let mut block = cur.block;
        *block = cur.page;
        self.log_images(xid, &mut [&mut block])
    }
}

/// An entry of a build's sorted input: its key, heap TID and INCLUDE
/// payload, lent for the time the build copies them into a page.
pub trait BuildEntry {
    fn parts(&self) -> (&[u8], Tid, &[u8]);
}

impl BuildEntry for IndexEntry {
    fn parts(&self) -> (&[u8], Tid, &[u8]) {
        (&self.key, self.tid, &self.include)
    }
}

impl BuildEntry for (&[u8], Tid, &[u8]) {
    fn parts(&self) -> (&[u8], Tid, &[u8]) {
        *self
    }
}

fn empty(level: u32) -> PageBuf {
    let mut p = PageBuf::zeroed();
    node::init_node(&mut p, level, node::NONE);
    p
}
