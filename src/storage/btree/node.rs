//! The layout of B+tree pages on top of the slotted page (`storage/page.rs`).
//!
//! ```text
//! metapage (block 0):  header | … | special: magic u32, root u32, level u32, 0 u32
//! node page:           header | line pointers → … ← items | special: right u32, level u32, flags u16, 0 u16, generation u32
//! ```
//!
//! A node's *generation* counts how often its block was deleted from the
//! tree: a cursor that remembers a leaf by block number without a pin
//! also remembers the generation, so that it can tell the page from a later
//! use of the same block (see `scan.rs`). It is kept when a page's
//! contents are replaced (splits) and bumped by [`mark_deleted`].
//!
//! On a node that is not the rightmost of its level, line pointer 1 is the
//! *high key*: an upper bound (exclusive) of every entry on the page and the
//! lower bound of the right sibling's. Data items follow in (key, TID) order.
//!
//! Items (integers little-endian):
//! - leaf entry: `tid.block u32, tid.offset u16, key…` — the key runs to
//!   the item's end; or, with an INCLUDE payload (no part of the order),
//!   `tid.block u32, tid.offset u16 | 0x8000, key_len u16, key…, include…`.
//! - high key: a leaf entry truncated after its key ([`truncate`]): high
//!   keys and separators never carry the INCLUDE payload (PostgreSQL's
//!   suffix truncation of non-key columns).
//! - downlink on an internal page: `child u32`, then the separator as a
//!   leaf entry; the first downlink of an internal page has no separator
//!   ("minus infinity", 4 bytes).
//!
//! Line pointers on these pages are always dense (no unused or dead ones):
//! [`insert_at`] shifts pointers to keep them in order and [`delete_at`]
//! closes the gap and compacts the page.

use std::cmp::Ordering;

use crate::storage::heap::Tid;
use crate::storage::page::{
    ALIGN, HEADER_SIZE, LINE_POINTER_SIZE, OffsetNumber, PAGE_SIZE, PageBuf, PageRead, PageWrite, align,
};

/// Bytes reserved at the end of every btree page (node or metapage).
pub const SPECIAL_SIZE: usize = 16;
/// Bytes for items and line pointers on a node.
pub const USABLE: usize = PAGE_SIZE - HEADER_SIZE - SPECIAL_SIZE;
/// The largest size of an entry's prefix: the TID, then the key's length
/// when an INCLUDE payload follows the key (see [`encode_leaf_entry`]).
pub const ENTRY_HEADER: usize = 8;
/// The prefix of an entry without INCLUDE payload: the TID alone.
const TID_SIZE: usize = 6;
/// Set in a stored TID's offset when the key's length follows the TID
/// (heap offsets stay far below it).
const HAS_KEY_LEN: u16 = 0x8000;
/// Size of a downlink's prefix (child block, then the entry header).
pub const DOWNLINK_HEADER: usize = 4 + ENTRY_HEADER;
/// The largest key (with its INCLUDE payload, in a leaf entry): a page
/// must hold a high key and two downlinks of it, so that a split always
/// finds a point where both halves fit.
pub const MAX_KEY_SIZE: usize = ((USABLE / 3 - LINE_POINTER_SIZE) & !(ALIGN - 1)) - DOWNLINK_HEADER;

/// "No page" in a right-link: block 0 is the metapage, never a node.
pub const NONE: u32 = 0;
pub const FLAG_LEAF: u16 = 1;
/// The page was unlinked from the tree (by VACUUM) and is free for reuse.
pub const FLAG_DELETED: u16 = 2;
const META_MAGIC: u32 = 0x0007_3162; // "b1S" + version (7: key length only before an INCLUDE payload)

/// One index entry (or a separator/high key), borrowed from a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'p> {
    pub key: &'p [u8],
    pub tid: Tid,
}

impl PartialOrd for Entry<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(other.key).then(self.tid.cmp(&other.tid))
    }
}

/// The lowest TID: `(key, MIN_TID)` sorts before every entry with `key`.
pub const MIN_TID: Tid = Tid { block: 0, offset: 0 };

/// Append a leaf entry's item bytes to `out`: the TID, the key, then
/// `include`. Without an INCLUDE payload the key runs to the item's end
/// (an int4 key then takes 16 bytes with the TID, as PostgreSQL's index
/// tuple does); with one, the key's length follows the TID, flagged in
/// the TID's offset. The key is at most [`MAX_KEY_SIZE`] bytes (checked
/// by the callers), so its length fits the u16.
pub fn encode_leaf_entry(out: &mut Vec<u8>, e: Entry<'_>, include: &[u8]) {
    out.extend_from_slice(&e.tid.block.to_le_bytes());
    if include.is_empty() {
        out.extend_from_slice(&e.tid.offset.to_le_bytes());
    } else {
        out.extend_from_slice(&(e.tid.offset | HAS_KEY_LEN).to_le_bytes());
        out.extend_from_slice(&(e.key.len() as u16).to_le_bytes());
    }
    out.extend_from_slice(e.key);
    out.extend_from_slice(include);
}

/// The stored offset word of an item's TID (flag included).
fn offset_word(item: &[u8]) -> u16 {
    u16::from_le_bytes([item[4], item[5]])
}

/// Where an item's key starts and ends.
fn key_span(item: &[u8]) -> (usize, usize) {
    if offset_word(item) & HAS_KEY_LEN == 0 {
        return (TID_SIZE, item.len());
    }
    let len = u16::from_le_bytes([item[6], item[7]]) as usize;
    (ENTRY_HEADER, (ENTRY_HEADER + len).min(item.len()))
}

/// An entry from its item bytes (a leaf item or a high key).
pub fn decode_entry(item: &[u8]) -> Entry<'_> {
    let block = u32::from_le_bytes([item[0], item[1], item[2], item[3]]);
    let offset = offset_word(item) & !HAS_KEY_LEN;
    let (start, end) = key_span(item);
    Entry { key: &item[start..end], tid: Tid { block, offset } }
}

/// The INCLUDE payload of a leaf item (empty on a high key or separator).
pub fn include_of(item: &[u8]) -> &[u8] {
    &item[key_span(item).1..]
}

/// A leaf item without its INCLUDE payload: what a separator or a high
/// key made from it holds.
pub fn truncate(item: &[u8]) -> &[u8] {
    &item[..key_span(item).1]
}

/// A downlink's bytes: child block, then the separator entry (bytes of an
/// encoded entry) unless it is minus infinity.
pub fn encode_downlink(child: u32, sep: Option<&[u8]>) -> Vec<u8> {
    let mut v = Vec::with_capacity(4 + sep.map_or(0, <[u8]>::len));
    v.extend_from_slice(&child.to_le_bytes());
    v.extend_from_slice(sep.unwrap_or_default());
    v
}

pub fn downlink_child(item: &[u8]) -> u32 {
    u32::from_le_bytes([item[0], item[1], item[2], item[3]])
}

fn special_u32(p: &impl PageRead, at: usize) -> u32 {
    let s = p.special() + at;
    u32::from_le_bytes(p.bytes()[s..s + 4].try_into().expect("4 bytes"))
}

fn set_special_u32(p: &mut impl PageWrite, at: usize, v: u32) {
    let s = p.special() + at;
    p.bytes_mut()[s..s + 4].copy_from_slice(&v.to_le_bytes());
}

/// Initialize an empty node.
pub fn init_node(p: &mut impl PageWrite, level: u32, right: u32) {
    p.init(SPECIAL_SIZE);
    set_special_u32(p, 0, right);
    set_special_u32(p, 4, level);
    let s = p.special() + 8;
    let flags = if level == 0 { FLAG_LEAF } else { 0 };
    p.bytes_mut()[s..s + 2].copy_from_slice(&flags.to_le_bytes());
}

/// The right sibling, if this is not the rightmost page of its level.
pub fn right(p: &impl PageRead) -> Option<u32> {
    Some(special_u32(p, 0)).filter(|&r| r != NONE)
}

pub fn set_right(p: &mut impl PageWrite, right: u32) {
    set_special_u32(p, 0, right);
}

pub fn level(p: &impl PageRead) -> u32 {
    special_u32(p, 4)
}

pub fn flags(p: &impl PageRead) -> u16 {
    let s = p.special() + 8;
    u16::from_le_bytes([p.bytes()[s], p.bytes()[s + 1]])
}

pub fn is_leaf(p: &impl PageRead) -> bool {
    level(p) == 0
}

/// Whether the page was deleted from the tree (a free page).
pub fn is_deleted(p: &impl PageRead) -> bool {
    !p.is_new() && flags(p) & FLAG_DELETED != 0
}

/// The page's generation (0 on a page never initialized).
pub fn generation(p: &impl PageRead) -> u32 {
    if p.is_new() { 0 } else { special_u32(p, 12) }
}

pub fn set_generation(p: &mut impl PageWrite, generation: u32) {
    set_special_u32(p, 12, generation);
}

/// Turn the page into a deleted one: empty, no right-link, flagged, and
/// of the next generation.
pub fn mark_deleted(p: &mut impl PageWrite) {
    let next = generation(p).wrapping_add(1);
    init_node(p, 0, NONE);
    let s = p.special() + 8;
    p.bytes_mut()[s..s + 2].copy_from_slice(&(FLAG_LEAF | FLAG_DELETED).to_le_bytes());
    set_generation(p, next);
}

/// A node with no data items (a high key does not count).
pub fn is_empty(p: &impl PageRead) -> bool {
    p.max_offset() < first_data(p)
}

/// Offset of the first data item (after the high key, if any).
pub fn first_data(p: &impl PageRead) -> OffsetNumber {
    if right(p).is_some() { 2 } else { 1 }
}

fn item(p: &impl PageRead, off: OffsetNumber) -> &[u8] {
    p.item(off).unwrap_or_default()
}

pub fn high_key(p: &impl PageRead) -> Option<Entry<'_>> {
    right(p).map(|_| decode_entry(item(p, 1)))
}

/// The high key's item bytes.
pub fn high_key_bytes(p: &impl PageRead) -> Option<&[u8]> {
    right(p).map(|_| item(p, 1))
}

/// The leaf entry at `off`.
pub fn leaf_entry(p: &impl PageRead, off: OffsetNumber) -> Entry<'_> {
    decode_entry(item(p, off))
}

/// The INCLUDE payload of the leaf entry at `off`.
pub fn leaf_include(p: &impl PageRead, off: OffsetNumber) -> &[u8] {
    include_of(item(p, off))
}

/// The downlink at `off` on an internal page: child and separator (`None`
/// for minus infinity).
pub fn downlink(p: &impl PageRead, off: OffsetNumber) -> (u32, Option<Entry<'_>>) {
    let it = item(p, off);
    (downlink_child(it), (it.len() > 4).then(|| decode_entry(&it[4..])))
}

/// The raw item bytes at `off`.
pub fn raw_item(p: &impl PageRead, off: OffsetNumber) -> &[u8] {
    item(p, off)
}

/// What a search looks for: the first entry for which [`Goal::reached`]
/// holds. `reached` is monotone in entry order (false…false, true…true),
/// so it also steers the descent through separators and high keys.
#[derive(Clone, Copy, Debug)]
pub enum Goal<'k> {
    /// The first entry of the index.
    Start,
    /// Past the last entry.
    End,
    /// The first entry greater than this one (where it would be inserted).
    After(Entry<'k>),
    /// The first entry at least this one.
    AtLeast(Entry<'k>),
    /// The first entry whose key prefix (of the bound's length) is `>=` the bound.
    PrefixAtLeast(&'k [u8]),
    /// The first entry whose key prefix is `>` the bound.
    PrefixAfter(&'k [u8]),
}

/// Compare `key`'s prefix of `bound.len()` bytes with `bound` (a key
/// shorter than the bound that matches it sorts before it).
pub fn prefix_cmp(key: &[u8], bound: &[u8]) -> Ordering {
    let n = key.len().min(bound.len());
    match key[..n].cmp(&bound[..n]) {
        Ordering::Equal if key.len() < bound.len() => Ordering::Less,
        o => o,
    }
}

impl Goal<'_> {
    pub fn reached(&self, e: Entry<'_>) -> bool {
        match *self {
            Goal::Start => true,
            Goal::End => false,
            Goal::After(t) => e > t,
            Goal::AtLeast(t) => e >= t,
            Goal::PrefixAtLeast(b) => prefix_cmp(e.key, b) != Ordering::Less,
            Goal::PrefixAfter(b) => prefix_cmp(e.key, b) == Ordering::Greater,
        }
    }
}

/// The first offset at or after the page's first data item (for internal
/// pages: after the minus-infinity downlink) whose entry reaches `goal`;
/// `max_offset() + 1` if none does. Binary search on the page's bytes.
pub fn search(p: &impl PageRead, goal: &Goal<'_>) -> OffsetNumber {
    let leaf = is_leaf(p);
    let mut lo = first_data(p) + if leaf { 0 } else { 1 };
    let mut hi = p.max_offset() + 1;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let e = if leaf { leaf_entry(p, mid) } else { decode_entry(&item(p, mid)[4..]) };
        if goal.reached(e) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Put `data` at line pointer `off`, shifting later pointers up; false if
/// it does not fit (or `off` is out of range), in which case nothing changed.
pub fn insert_at(p: &mut impl PageWrite, off: OffsetNumber, data: &[u8]) -> bool {
    let max = p.max_offset();
    if off == 0 || off > max + 1 {
        return false;
    }
    // Pointers are dense: there is no unused one to look for.
    let Some(new) = p.append_item(data) else { return false };
    debug_assert_eq!(new, max + 1);
    let Some(lp) = p.line_pointer(new) else { return false };
    for o in (off..new).rev() {
        if let Some(prev) = p.line_pointer(o) {
            p.set_line_pointer(o + 1, prev);
        }
    }
    p.set_line_pointer(off, lp);
    true
}

/// Remove the item at `off`, shifting later pointers down, and compact
/// the page so that its space is free again. False if there is none.
pub fn delete_at(p: &mut impl PageWrite, off: OffsetNumber) -> bool {
    let max = p.max_offset();
    if off == 0 || off > max {
        return false;
    }
    for o in off..max {
        if let Some(next) = p.line_pointer(o + 1) {
            p.set_line_pointer(o, next);
        }
    }
    p.set_unused(max);
    p.compact();
    true
}

/// Space an item takes on a page, its line pointer included.
pub fn item_cost(len: usize) -> usize {
    align(len) + LINE_POINTER_SIZE
}

/// Space taken by items and line pointers on a node.
pub fn used_space(p: &impl PageRead) -> usize {
    (p.lower() - HEADER_SIZE) + (p.special() - p.upper())
}

// --- metapage ---

pub struct Meta {
    pub root: u32,
    pub level: u32,
}

pub fn init_meta(p: &mut PageBuf, root: u32, level: u32) {
    p.init(SPECIAL_SIZE);
    set_special_u32(p, 0, META_MAGIC);
    set_meta(p, root, level);
}

pub fn set_meta(p: &mut PageBuf, root: u32, level: u32) {
    set_special_u32(p, 4, root);
    set_special_u32(p, 8, level);
}

/// The metapage's contents, if it is one.
pub fn meta(p: &impl PageRead) -> Option<Meta> {
    if p.is_new() || p.special() != PAGE_SIZE - SPECIAL_SIZE || special_u32(p, 0) != META_MAGIC {
        return None;
    }
    Some(Meta { root: special_u32(p, 4), level: special_u32(p, 8) })
}
