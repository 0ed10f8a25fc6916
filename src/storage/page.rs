//! Slotted 8 KiB pages, laid out as PostgreSQL's (`bufpage.h`):
//!
//! ```text
//! +----------------+---------------------------------+
//! | header (32 B)  | line pointer 1, 2, 3, …  →      |
//! +----------------+-------------+-------------------+
//! |                → free space ←                    |
//! +--------------------------+-----------------------+
//! |          ← tuple 3, tuple 2, tuple 1 | special    |
//! +--------------------------------------+-----------+
//!                 pd_lower ↑  pd_upper ↑  pd_special ↑
//! ```
//!
//! Header: `pd_lsn` (u64, the LSN of the last WAL record that changed the
//! page), `pd_checksum` (u32 CRC32C), `pd_flags`, `pd_lower`, `pd_upper`,
//! `pd_special`, `pd_pagesize_version` (u16 each), `pd_prune_xid` (u64).
//! Line pointers are 4 bytes: offset (15 bits), state (2 bits), length (15
//! bits). Items are 8-byte aligned. All integers are little-endian.
//!
//! The checksum covers the whole page (with the checksum field taken as
//! zero) and the block number, so that a page written to the wrong place is
//! caught too. A page of all zeros is a valid new page (a relation extended
//! but not yet written), as in PostgreSQL.

pub const PAGE_SIZE: usize = 8192;
pub const HEADER_SIZE: usize = 32;
pub const LINE_POINTER_SIZE: usize = 4;
/// Item alignment (PostgreSQL's MAXALIGN on 64-bit platforms).
pub const ALIGN: usize = 8;
const LAYOUT_VERSION: u16 = 1;

const LSN: usize = 0;
const CHECKSUM: usize = 8;
const FLAGS: usize = 12;
const LOWER: usize = 14;
const UPPER: usize = 16;
const SPECIAL: usize = 18;
const SIZE_VERSION: usize = 20;
const PRUNE_XID: usize = 24;

/// A 1-based index of a line pointer on a page (PostgreSQL's OffsetNumber).
pub type OffsetNumber = u16;

/// The state of a line pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemState {
    /// Free for reuse.
    Unused = 0,
    /// Points at an item.
    Normal = 1,
    /// Points at another line pointer on the page (a HOT chain's head).
    Redirect = 2,
    /// The item is dead; its space may be reclaimed, the pointer not yet.
    Dead = 3,
}

/// A line pointer: where an item is on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinePointer {
    pub offset: u16,
    pub state: ItemState,
    pub len: u16,
}

impl LinePointer {
    fn decode(raw: u32) -> LinePointer {
        let state = match (raw >> 15) & 3 {
            0 => ItemState::Unused,
            1 => ItemState::Normal,
            2 => ItemState::Redirect,
            _ => ItemState::Dead,
        };
        LinePointer { offset: (raw & 0x7fff) as u16, state, len: (raw >> 17) as u16 }
    }

    fn encode(self) -> u32 {
        (self.offset as u32 & 0x7fff) | ((self.state as u32) << 15) | ((self.len as u32) << 17)
    }
}

pub fn align(n: usize) -> usize {
    (n + ALIGN - 1) & !(ALIGN - 1)
}

fn get_u16(p: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([p[at], p[at + 1]])
}

fn put_u16(p: &mut [u8], at: usize, v: u16) {
    p[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn get_u64(p: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(p[at..at + 8].try_into().expect("8 bytes"))
}

/// Read access to a page image.
pub trait PageRead {
    fn bytes(&self) -> &[u8; PAGE_SIZE];

    /// All zeros: allocated on disk but never initialized.
    fn is_new(&self) -> bool {
        get_u16(self.bytes(), UPPER) == 0
    }

    fn lsn(&self) -> u64 {
        get_u64(self.bytes(), LSN)
    }

    fn lower(&self) -> usize {
        get_u16(self.bytes(), LOWER) as usize
    }

    fn upper(&self) -> usize {
        get_u16(self.bytes(), UPPER) as usize
    }

    fn special(&self) -> usize {
        get_u16(self.bytes(), SPECIAL) as usize
    }

    fn flags(&self) -> u16 {
        get_u16(self.bytes(), FLAGS)
    }

    fn prune_xid(&self) -> u64 {
        get_u64(self.bytes(), PRUNE_XID)
    }

    /// How many line pointers the page has.
    fn max_offset(&self) -> OffsetNumber {
        if self.is_new() { 0 } else { ((self.lower() - HEADER_SIZE) / LINE_POINTER_SIZE) as OffsetNumber }
    }

    fn line_pointer(&self, off: OffsetNumber) -> Option<LinePointer> {
        if off == 0 || off > self.max_offset() {
            return None;
        }
        let at = HEADER_SIZE + (off as usize - 1) * LINE_POINTER_SIZE;
        let raw = u32::from_le_bytes(self.bytes()[at..at + 4].try_into().expect("4 bytes"));
        Some(LinePointer::decode(raw))
    }

    /// The item a normal line pointer points at.
    fn item(&self, off: OffsetNumber) -> Option<&[u8]> {
        let lp = self.line_pointer(off)?;
        (lp.state == ItemState::Normal).then(|| &self.bytes()[lp.offset as usize..lp.offset as usize + lp.len as usize])
    }

    /// Free space for one more item (its line pointer counted), as PostgreSQL's PageGetFreeSpace.
    fn free_space(&self) -> usize {
        if self.is_new() {
            return 0;
        }
        (self.upper() - self.lower()).saturating_sub(LINE_POINTER_SIZE)
    }

    /// The checksum this page's contents should carry at `block`.
    fn compute_checksum(&self, block: u32) -> u32 {
        let b = self.bytes();
        let mut crc = crc32c::crc32c(&b[..CHECKSUM]);
        crc = crc32c::crc32c_append(crc, &[0; 4]);
        crc = crc32c::crc32c_append(crc, &b[CHECKSUM + 4..]);
        crc32c::crc32c_append(crc, &block.to_le_bytes())
    }

    /// Whether the stored checksum matches (new, all-zero pages always pass).
    fn verify_checksum(&self, block: u32) -> bool {
        let b = self.bytes();
        if self.is_new() {
            return b.iter().all(|&x| x == 0);
        }
        let stored = u32::from_le_bytes(b[CHECKSUM..CHECKSUM + 4].try_into().expect("4 bytes"));
        stored == self.compute_checksum(block)
    }

    /// Sanity of the header's pointers (PostgreSQL's PageHeaderIsValid).
    fn header_is_valid(&self) -> bool {
        let (lower, upper, special) = (self.lower(), self.upper(), self.special());
        get_u16(self.bytes(), SIZE_VERSION) == LAYOUT_VERSION
            && HEADER_SIZE <= lower
            && lower <= upper
            && upper <= special
            && special <= PAGE_SIZE
            && special == align(special)
    }
}

/// Write access to a page image.
pub trait PageWrite: PageRead {
    fn bytes_mut(&mut self) -> &mut [u8; PAGE_SIZE];

    /// Make an empty page with `special_size` bytes reserved at its end.
    fn init(&mut self, special_size: usize) {
        let special = PAGE_SIZE - align(special_size);
        let b = self.bytes_mut();
        b.fill(0);
        put_u16(b, LOWER, HEADER_SIZE as u16);
        put_u16(b, UPPER, special as u16);
        put_u16(b, SPECIAL, special as u16);
        put_u16(b, SIZE_VERSION, LAYOUT_VERSION);
    }

    fn set_lsn(&mut self, lsn: u64) {
        self.bytes_mut()[LSN..LSN + 8].copy_from_slice(&lsn.to_le_bytes());
    }

    fn set_flags(&mut self, flags: u16) {
        put_u16(self.bytes_mut(), FLAGS, flags);
    }

    fn set_prune_xid(&mut self, xid: u64) {
        self.bytes_mut()[PRUNE_XID..PRUNE_XID + 8].copy_from_slice(&xid.to_le_bytes());
    }

    /// Store the checksum for `block`; done just before the page is written out.
    fn set_checksum(&mut self, block: u32) {
        let crc = self.compute_checksum(block);
        self.bytes_mut()[CHECKSUM..CHECKSUM + 4].copy_from_slice(&crc.to_le_bytes());
    }

    fn set_line_pointer(&mut self, off: OffsetNumber, lp: LinePointer) {
        let at = HEADER_SIZE + (off as usize - 1) * LINE_POINTER_SIZE;
        self.bytes_mut()[at..at + 4].copy_from_slice(&lp.encode().to_le_bytes());
    }

    /// Add an item, reusing an unused line pointer if there is one; its
    /// offset number, or `None` when it does not fit.
    fn add_item(&mut self, data: &[u8]) -> Option<OffsetNumber> {
        let reuse =
            (1..=self.max_offset()).find(|&o| self.line_pointer(o).is_some_and(|lp| lp.state == ItemState::Unused));
        self.put_item(data, reuse)
    }

    /// Add an item under a new line pointer after the last, without
    /// looking for an unused one to reuse (for a writer that knows there
    /// is none, like one filling a page it started: the look costs a pass
    /// over every line pointer); as [`PageWrite::add_item`] otherwise.
    fn append_item(&mut self, data: &[u8]) -> Option<OffsetNumber> {
        self.put_item(data, None)
    }

    /// Add an item under unused line pointer `reuse`, or a new one.
    fn put_item(&mut self, data: &[u8], reuse: Option<OffsetNumber>) -> Option<OffsetNumber> {
        let size = align(data.len());
        if data.is_empty() || data.len() > 0x7fff || self.is_new() {
            return None;
        }
        let pointer_cost = if reuse.is_some() { 0 } else { LINE_POINTER_SIZE };
        if self.upper() < self.lower() + pointer_cost + size {
            return None;
        }
        let off = reuse.unwrap_or(self.max_offset() + 1);
        let upper = self.upper() - size;
        let b = self.bytes_mut();
        b[upper..upper + data.len()].copy_from_slice(data);
        b[upper + data.len()..upper + size].fill(0);
        put_u16(b, UPPER, upper as u16);
        if reuse.is_none() {
            let lower = self.lower() + LINE_POINTER_SIZE;
            put_u16(self.bytes_mut(), LOWER, lower as u16);
        }
        self.set_line_pointer(
            off,
            LinePointer { offset: upper as u16, state: ItemState::Normal, len: data.len() as u16 },
        );
        Some(off)
    }

    /// Put an item at a given offset (redo: replay an insert exactly where
    /// it was done). The offset must be unused or the next new one.
    fn place_item(&mut self, off: OffsetNumber, data: &[u8]) -> bool {
        let max = self.max_offset();
        let reuse = off <= max && self.line_pointer(off).is_some_and(|lp| lp.state == ItemState::Unused);
        if off == 0 || !(reuse || off == max + 1) {
            return false;
        }
        let size = align(data.len());
        let pointer_cost = if reuse { 0 } else { LINE_POINTER_SIZE };
        if self.upper() < self.lower() + pointer_cost + size {
            return false;
        }
        let upper = self.upper() - size;
        let b = self.bytes_mut();
        b[upper..upper + data.len()].copy_from_slice(data);
        b[upper + data.len()..upper + size].fill(0);
        put_u16(b, UPPER, upper as u16);
        if !reuse {
            let lower = self.lower() + LINE_POINTER_SIZE;
            put_u16(self.bytes_mut(), LOWER, lower as u16);
        }
        self.set_line_pointer(
            off,
            LinePointer { offset: upper as u16, state: ItemState::Normal, len: data.len() as u16 },
        );
        true
    }

    /// The bytes of a normal item, for changing in place (same length).
    fn item_mut(&mut self, off: OffsetNumber) -> Option<&mut [u8]> {
        let lp = self.line_pointer(off)?;
        if lp.state != ItemState::Normal {
            return None;
        }
        Some(&mut self.bytes_mut()[lp.offset as usize..lp.offset as usize + lp.len as usize])
    }

    /// Mark an item dead: its storage is reclaimed by the next compaction.
    fn mark_dead(&mut self, off: OffsetNumber) {
        if let Some(mut lp) = self.line_pointer(off) {
            lp.state = ItemState::Dead;
            self.set_line_pointer(off, lp);
        }
    }

    /// Free a line pointer for reuse (only once nothing refers to it).
    fn set_unused(&mut self, off: OffsetNumber) {
        if self.line_pointer(off).is_some() {
            self.set_line_pointer(off, LinePointer { offset: 0, state: ItemState::Unused, len: 0 });
        }
    }

    /// Move the normal items together at the end of the page so that the
    /// free space is one piece (PostgreSQL's PageRepairFragmentation); dead
    /// items lose their storage; trailing unused pointers are dropped.
    fn compact(&mut self) {
        // The items are copied from an image of the page as it was, so
        // moving one never overwrites another not yet moved.
        let before: [u8; PAGE_SIZE] = *self.bytes();
        let mut upper = self.special();
        for off in 1..=self.max_offset() {
            match self.line_pointer(off) {
                Some(lp) if lp.state == ItemState::Normal => {
                    let (from, len) = (lp.offset as usize, lp.len as usize);
                    upper -= align(len);
                    self.bytes_mut()[upper..upper + len].copy_from_slice(&before[from..from + len]);
                    self.set_line_pointer(
                        off,
                        LinePointer { offset: upper as u16, state: ItemState::Normal, len: lp.len },
                    );
                }
                Some(lp) if lp.state == ItemState::Dead && lp.len > 0 => {
                    self.set_line_pointer(off, LinePointer { offset: 0, state: ItemState::Dead, len: 0 });
                }
                _ => {}
            }
        }
        let mut max = self.max_offset();
        while max > 0 && self.line_pointer(max).is_some_and(|lp| lp.state == ItemState::Unused) {
            max -= 1;
        }
        let lower = HEADER_SIZE + max as usize * LINE_POINTER_SIZE;
        let b = self.bytes_mut();
        b[lower..upper].fill(0);
        put_u16(b, LOWER, lower as u16);
        put_u16(b, UPPER, upper as u16);
    }
}

/// An owned page image.
#[derive(Clone)]
pub struct PageBuf(pub Box<[u8; PAGE_SIZE]>);

impl PageBuf {
    pub fn zeroed() -> PageBuf {
        PageBuf(Box::new([0; PAGE_SIZE]))
    }
}

impl PageRead for PageBuf {
    fn bytes(&self) -> &[u8; PAGE_SIZE] {
        &self.0
    }
}

impl PageWrite for PageBuf {
    fn bytes_mut(&mut self) -> &mut [u8; PAGE_SIZE] {
        &mut self.0
    }
}

impl PageRead for [u8; PAGE_SIZE] {
    fn bytes(&self) -> &[u8; PAGE_SIZE] {
        self
    }
}

impl PageWrite for [u8; PAGE_SIZE] {
    fn bytes_mut(&mut self) -> &mut [u8; PAGE_SIZE] {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A small deterministic generator for randomized tests.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn empty_page_layout() {
        let mut p = PageBuf::zeroed();
        assert!(p.is_new());
        assert_eq!(p.free_space(), 0);
        p.init(16);
        assert!(p.header_is_valid());
        assert_eq!(p.special(), PAGE_SIZE - 16);
        assert_eq!(p.free_space(), PAGE_SIZE - 16 - HEADER_SIZE - LINE_POINTER_SIZE);
        assert_eq!(p.max_offset(), 0);
    }

    #[test]
    fn items_round_trip_and_reuse_pointers() {
        let mut p = PageBuf::zeroed();
        p.init(0);
        let a = p.add_item(b"hello").unwrap();
        let b = p.add_item(&[7u8; 100]).unwrap();
        assert_eq!((a, b), (1, 2));
        assert_eq!(p.item(a).unwrap(), b"hello");
        assert_eq!(p.item(b).unwrap(), &[7u8; 100][..]);
        p.mark_dead(a);
        assert_eq!(p.item(a), None);
        p.compact();
        assert_eq!(p.item(b).unwrap(), &[7u8; 100][..]);
        p.set_unused(a);
        assert_eq!(p.add_item(b"again").unwrap(), a, "unused pointer is reused");
        assert!(p.header_is_valid());
    }

    #[test]
    fn fills_up_exactly() {
        let mut p = PageBuf::zeroed();
        p.init(0);
        let mut n = 0;
        while p.add_item(&[1u8; 64]).is_some() {
            n += 1;
        }
        // 64-byte items plus 4-byte pointers in 8160 bytes.
        assert_eq!(n, (PAGE_SIZE - HEADER_SIZE) / (64 + LINE_POINTER_SIZE));
        assert!(p.free_space() < 64);
    }

    #[test]
    fn checksum_catches_changes_and_misplacement() {
        let mut p = PageBuf::zeroed();
        p.init(0);
        p.add_item(b"data").unwrap();
        p.set_lsn(42);
        p.set_checksum(7);
        assert!(p.verify_checksum(7));
        assert!(!p.verify_checksum(8), "same page at another block");
        p.0[4000] ^= 1;
        assert!(!p.verify_checksum(7));
        assert!(PageBuf::zeroed().verify_checksum(3));
    }

    #[test]
    fn random_operations_match_a_model() {
        let mut rng = XorShift(0x9e3779b97f4a7c15);
        for _ in 0..50 {
            let mut p = PageBuf::zeroed();
            p.init(0);
            let mut model: BTreeMap<OffsetNumber, Vec<u8>> = BTreeMap::new();
            for step in 0..400 {
                match rng.next() % 4 {
                    0 | 1 => {
                        let len = 1 + (rng.next() % 300) as usize;
                        let data: Vec<u8> = (0..len).map(|i| (i as u64 + step) as u8).collect();
                        let before = p.free_space();
                        match p.add_item(&data) {
                            Some(off) => {
                                assert!(!model.contains_key(&off));
                                model.insert(off, data);
                            }
                            None => assert!(before < align(len) + LINE_POINTER_SIZE),
                        }
                    }
                    2 => {
                        if let Some(&off) = model.keys().nth((rng.next() as usize) % model.len().max(1)) {
                            p.mark_dead(off);
                            p.set_unused(off);
                            model.remove(&off);
                        }
                    }
                    _ => p.compact(),
                }
                assert!(p.header_is_valid());
                for (off, data) in &model {
                    assert_eq!(p.item(*off), Some(&data[..]));
                }
                let used: usize = model.values().map(|d| align(d.len())).sum();
                assert!(p.special() - p.upper() >= used);
            }
            p.compact();
            let used: usize = model.values().map(|d| align(d.len())).sum();
            assert_eq!(p.special() - p.upper(), used, "compaction leaves no holes");
        }
    }
}
