//! [`BTree::verify`]: a whole-tree check in the manner of PostgreSQL's
//! amcheck (`bt_index_parent_check`). Meant for a quiet index: concurrent
//! writers may make it report a transient state as a problem.
//!
//! Level by level from the root: the pages reached by right-links from the
//! leftmost page must be exactly the children named by the level above, in
//! order; each page's entries must be in strictly increasing order, at
//! least the separator that leads to the page and below its high key,
//! which must equal the next separator (or the parent's high key).

use super::node::{self, Entry};
use super::{BTree, Tid};
use crate::error::Result;
use crate::storage::page::PageRead;

/// A page as its parent describes it: block and key range.
struct Expected {
    block: u32,
    low: Option<(Vec<u8>, Tid)>,
    high: Option<(Vec<u8>, Tid)>,
}

fn owned(e: Entry<'_>) -> (Vec<u8>, Tid) {
    (e.key.to_vec(), e.tid)
}

fn borrowed(o: &(Vec<u8>, Tid)) -> Entry<'_> {
    Entry { key: &o.0, tid: o.1 }
}

impl BTree<'_> {
    /// Check the whole tree; the number of leaf entries. The error names
    /// the first problem found.
    pub fn verify(&self) -> Result<u64> {
        let (root, root_level) = self.root()?;
        let root = root.tag().block;
        let mut expect = vec![Expected { block: root, low: None, high: None }];
        let mut entries = 0u64;
        for level in (0..=root_level).rev() {
            let mut children = Vec::new();
            let mut block = expect[0].block;
            for (i, exp) in expect.iter().enumerate() {
                if block != exp.block {
                    return Err(self.corrupt(block, &format!("right-link leads here, expected block {}", exp.block)));
                }
                let page = self.read(block)?;
                let p = &*page;
                if node::level(p) != level || node::is_leaf(p) != (node::flags(p) & node::FLAG_LEAF != 0) {
                    return Err(self.corrupt(block, &format!("level {} where {level} was expected", node::level(p))));
                }
                let hk = node::high_key(p);
                if hk.map(owned) != exp.high {
                    return Err(self.corrupt(block, "high key differs from the parent's separator"));
                }
                let first = node::first_data(p);
                let mut prev: Option<Entry<'_>> = exp.low.as_ref().map(borrowed);
                let mut prev_is_low = true;
                for off in first..=p.max_offset() {
                    let (child, e) =
                        if level == 0 { (node::NONE, Some(node::leaf_entry(p, off))) } else { node::downlink(p, off) };
                    if level > 0 && (off == first) != e.is_none() {
                        return Err(self.corrupt(block, "minus infinity must be exactly the first downlink"));
                    }
                    if let Some(e) = e {
                        let in_order = match prev {
                            Some(pr) if prev_is_low => e >= pr,
                            Some(pr) => e > pr,
                            None => true,
                        };
                        if !in_order {
                            return Err(self.corrupt(block, &format!("entry at offset {off} out of order or repeated")));
                        }
                        if hk.is_some_and(|h| e >= h) {
                            return Err(self.corrupt(block, &format!("entry at offset {off} not below the high key")));
                        }
                        prev = Some(e);
                        prev_is_low = false;
                    }
                    if level > 0 {
                        let low = if off == first { exp.low.clone() } else { e.map(owned) };
                        let high =
                            if off < p.max_offset() { node::downlink(p, off + 1).1.map(owned) } else { hk.map(owned) };
                        children.push(Expected { block: child, low, high });
                    } else {
                        entries += 1;
                    }
                }
                if level > 0 && p.max_offset() < first {
                    return Err(self.corrupt(block, "internal page without downlinks"));
                }
                match (node::right(p), i + 1 < expect.len()) {
                    (Some(r), true) => block = r,
                    (None, false) => {}
                    (Some(_), false) => return Err(self.corrupt(block, "right-link beyond the parent's last child")),
                    (None, true) => return Err(self.corrupt(block, "level ends before the parent's last child")),
                }
            }
            expect = children;
        }
        Ok(entries)
    }
}
