//! Heap-only tuples (PostgreSQL's HOT) and page pruning.
//!
//! An UPDATE that changes no indexed column and finds room on the old
//! version's page makes the new version *heap-only*: no index gets an
//! entry for it. Index entries point at the chain's *root*, and a reader
//! walks the chain from there (`ctid` links, each member's `xmin` equal to
//! the one before's `xmax`) to the version its snapshot sees:
//!
//! ```text
//!  index ─► lp 1 (root) ──ctid──► lp 4 (heap-only) ──ctid──► lp 7 (heap-only)
//!  after pruning:  lp 1 REDIRECT ─► lp 7        (lp 4 unused, the root's storage freed)
//! ```
//!
//! Pruning runs page by page, one pruner per page at a time
//! ([`PruneLocks`]), under the page's write lock: when a reader
//! leaves a page short of room, when an update finds no room beside the
//! version it replaces, and in VACUUM; always planned by the catalog
//! (`Catalog::vacuum_page`), which removes the index entries of the
//! versions that go before they go. It frees the versions every
//! snapshot has stopped seeing, but never a line pointer an index entry
//! may still point at: a root whose whole chain is dead keeps one version
//! (the root itself, or the last member behind a redirect) until VACUUM
//! has removed its index entries, for which it needs that version's values.
//! An index built while a chain was there has an entry per key among its
//! members; each goes when the last member with that key is freed (see
//! `Heap::pruned_rows`), so none outlives the root.

use super::tuple::Header;
use crate::error::Result;
use crate::storage::page::{ItemState, LinePointer, OffsetNumber, PageRead, PageWrite};

/// The members of the chain whose root line pointer is `root`, oldest
/// first: the root's own version (unless it is a redirect), then the
/// heap-only versions its HOT updates made. Empty if `root` is no root.
pub fn chain(page: &impl PageRead, root: OffsetNumber) -> Vec<OffsetNumber> {
    let mut out = Vec::new();
    let first = match page.line_pointer(root) {
        Some(lp) if lp.state == ItemState::Redirect => lp.offset,
        Some(lp) if lp.state == ItemState::Normal => root,
        _ => return out,
    };
    let mut cur = first;
    let mut prev_xmax: Option<u64> = None;
    while let Some(t) = page.item(cur) {
        let h = Header(t);
        let linked = match prev_xmax {
            // A member's inserter is the updater of the one before (a
            // freed and reused pointer fails this).
            // (0: the updater is inside a multixact, not known here.)
            Some(x) => h.is_heap_only() && (x == 0 || h.xmin() == x),
            // The root's own version is no heap-only one; a redirect's target is.
            None => h.is_heap_only() == (cur != root),
        };
        if !linked || out.contains(&cur) {
            break;
        }
        out.push(cur);
        if !h.is_hot_updated() || h.ctid().offset == cur {
            break;
        }
        prev_xmax = Some(if h.is_multi() { 0 } else { h.xmax() });
        cur = h.ctid().offset;
    }
    out
}

/// What pruning a page does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PrunePlan {
    /// Line pointers freed (their versions' storage goes too).
    pub unused: Vec<OffsetNumber>,
    /// Roots that now point straight at a later member: (root, target).
    pub redirects: Vec<(OffsetNumber, OffsetNumber)>,
    /// Rows whose every version is dead but whose root an index entry may
    /// still point at: (root, the member kept for its values).
    pub dead_rows: Vec<(OffsetNumber, OffsetNumber)>,
    /// Versions left that some snapshot may still see.
    pub live: usize,
}

impl PrunePlan {
    pub fn is_empty(&self) -> bool {
        self.unused.is_empty() && self.redirects.is_empty()
    }
}

/// Decide how to prune a page. `dead` says whether no snapshot can see a
/// version any more; `cleaned` whether a root's index entries are gone
/// (VACUUM removed them), so that the root itself may be freed.
pub fn plan(
    page: &impl PageRead,
    dead: &dyn Fn(&[u8]) -> Result<bool>,
    cleaned: &dyn Fn(OffsetNumber) -> bool,
) -> Result<PrunePlan> {
    let max = page.max_offset();
    let mut reached = vec![false; max as usize + 1];
    let mut p = PrunePlan::default();
    for off in 1..=max {
        let Some(lp) = page.line_pointer(off) else { continue };
        let is_root = match lp.state {
            ItemState::Redirect => true,
            ItemState::Normal => page.item(off).is_some_and(|t| !Header(t).is_heap_only()),
            _ => false,
        };
        if !is_root {
            continue;
        }
        let members = chain(page, off);
        members.iter().for_each(|&m| reached[m as usize] = true);
        if members.is_empty() {
            // A redirect whose chain is gone (cannot happen while the
            // kept-member rule holds); only VACUUM may free it.
            if cleaned(off) {
                p.unused.push(off);
            }
            continue;
        }
        let mut is_dead = Vec::with_capacity(members.len());
        for &m in &members {
            is_dead.push(dead(page.item(m).expect("chain member"))?);
        }
        let redirect = lp.state == ItemState::Redirect;
        match is_dead.iter().position(|d| !d) {
            Some(first_live) => {
                let last_live = is_dead.iter().rposition(|d| !d).expect("a live member");
                p.live += is_dead[first_live..=last_live].iter().filter(|d| !**d).count();
                if first_live > 0 {
                    // The dead versions before the first live one go; the
                    // root now leads straight to it.
                    p.redirects.push((off, members[first_live]));
                    p.unused.extend(members[..first_live].iter().filter(|&&m| m != off));
                }
                // Versions after the last live one are aborted updates' (dead at once).
                p.unused.extend(&members[last_live + 1..]);
            }
            None if cleaned(off) => {
                p.unused.extend(members.iter().filter(|&&m| m != off));
                p.unused.push(off);
            }
            None => {
                // Keep one version of the row for VACUUM's index cleanup.
                let keep = if redirect { *members.last().expect("members") } else { off };
                p.dead_rows.push((off, keep));
                p.unused.extend(members.iter().filter(|&&m| m != keep && m != off));
                if redirect && members[0] != keep {
                    p.redirects.push((off, keep));
                }
            }
        }
    }
    // Heap-only versions no chain reaches: aborted updates whose old
    // version was updated again, or members cut off by an earlier prune.
    for off in 1..=max {
        if reached[off as usize] {
            continue;
        }
        if let Some(t) = page.item(off) {
            if Header(t).is_heap_only() {
                if dead(t)? {
                    p.unused.push(off);
                } else {
                    p.live += 1;
                }
            }
        }
    }
    p.unused.sort_unstable();
    p.unused.dedup();
    Ok(p)
}

/// Carry out a plan on the page (and in redo): free, redirect, compact.
pub fn apply(page: &mut impl PageWrite, unused: &[OffsetNumber], redirects: &[(OffsetNumber, OffsetNumber)]) {
    for &(from, to) in redirects {
        page.set_line_pointer(from, LinePointer { offset: to, state: ItemState::Redirect, len: 0 });
    }
    for &off in unused {
        page.set_unused(off);
    }
    page.compact();
}

/// The WAL payload of a prune: counts, then the freed offsets, then the redirects.
pub fn encode(unused: &[OffsetNumber], redirects: &[(OffsetNumber, OffsetNumber)]) -> Vec<u8> {
    let mut d = Vec::with_capacity(4 + 2 * unused.len() + 4 * redirects.len());
    d.extend_from_slice(&(unused.len() as u16).to_le_bytes());
    d.extend_from_slice(&(redirects.len() as u16).to_le_bytes());
    unused.iter().for_each(|o| d.extend_from_slice(&o.to_le_bytes()));
    for (from, to) in redirects {
        d.extend_from_slice(&from.to_le_bytes());
        d.extend_from_slice(&to.to_le_bytes());
    }
    d
}

pub type Redirects = Vec<(OffsetNumber, OffsetNumber)>;

/// See [`encode`].
pub fn decode(d: &[u8]) -> Option<(Vec<OffsetNumber>, Redirects)> {
    let word = |i: usize| d.get(i * 2..i * 2 + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let (n_unused, n_redirects) = (word(0)? as usize, word(1)? as usize);
    let unused = (0..n_unused).map(|i| word(2 + i)).collect::<Option<Vec<_>>>()?;
    let base = 2 + n_unused;
    let redirects =
        (0..n_redirects).map(|i| Some((word(base + 2 * i)?, word(base + 2 * i + 1)?))).collect::<Option<Vec<_>>>()?;
    Some((unused, redirects))
}

/// One pruner per heap page at a time (PostgreSQL's cleanup lock). A
/// pruner learns which versions go, removes their index entries, and only
/// then takes the page's write lock to free them; a second pruner of the
/// page in between would free the same line pointers, new versions could
/// take them with the same keys, and the first pruner would then remove
/// the new versions' entries (same key, same TID). Striped by page: a
/// page whose stripe is taken is left to the pruner holding it
/// ([`PruneLocks::try_page`], as PostgreSQL's opportunistic pruning skips
/// a page it cannot get the cleanup lock of); VACUUM waits for it
/// ([`PruneLocks::page`]).
pub struct PruneLocks {
    stripes: Box<[parking_lot::Mutex<()>]>,
}

impl Default for PruneLocks {
    fn default() -> Self {
        /// Pruners at once are few (one per backend thread at most);
        /// enough stripes that unrelated pages seldom share one.
        const STRIPES: usize = 1024;
        PruneLocks { stripes: (0..STRIPES).map(|_| parking_lot::Mutex::new(())).collect() }
    }
}

impl PruneLocks {
    fn stripe(&self, rel: crate::storage::smgr::RelFileLocator, block: u32) -> &parking_lot::Mutex<()> {
        let h = (u64::from(rel.db) << 32 | u64::from(rel.relfilenode)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ u64::from(block).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
        &self.stripes[(h >> 32) as usize % self.stripes.len()]
    }

    /// The right to prune `block` of `rel`, once no one else prunes it.
    pub fn page(&self, rel: crate::storage::smgr::RelFileLocator, block: u32) -> parking_lot::MutexGuard<'_, ()> {
        self.stripe(rel, block).lock()
    }

    /// The right to prune `block` of `rel`, unless someone prunes it (or
    /// a page sharing its stripe) now.
    pub fn try_page(
        &self,
        rel: crate::storage::smgr::RelFileLocator,
        block: u32,
    ) -> Option<parking_lot::MutexGuard<'_, ()>> {
        self.stripe(rel, block).try_lock()
    }
}
