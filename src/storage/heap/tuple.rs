//! Heap tuples: a header with 64-bit transaction ids, an optional null
//! bitmap, and the attribute values laid out with PostgreSQL's alignment.
//!
//! ```text
//! 0        8        16     20          26        28        30     31
//! +--------+--------+------+-----------+---------+---------+------+--------------+------+
//! | xmin   | xmax   | cid  | ctid      | infomask2| infomask| hoff | null bitmap  | data |
//! +--------+--------+------+-----------+---------+---------+------+--------------+------+
//! ```
//!
//! `ctid` (block u32, offset u16) points at the tuple itself, or at its
//! newer version after an update. `infomask2` holds the number of
//! attributes; `infomask` the flags below (hint bits among them). The data
//! starts at `hoff`, 8-byte aligned. Fixed-length values are stored as
//! given; variable-length ones carry a 4-byte length word before their
//! bytes (PostgreSQL's varlena header). Its top two bits say how the bytes
//! hold the value ([`Stored`]): as they are, compressed, or as a pointer to
//! the value stored out of line (TOAST, see [`super::toast`]); the other 30
//! bits are the length of the bytes that follow.

use super::Tid;

pub const HEADER_SIZE: usize = 31;

/// The length word before a variable-length value's bytes.
pub const LENGTH_WORD: usize = 4;

pub const HASNULL: u16 = 0x0001;
pub const HASVARWIDTH: u16 = 0x0002;
/// Some value is compressed or stored out of line (PostgreSQL's
/// HEAP_HASEXTERNAL, which tusk also sets for compressed values).
pub const HASTOASTED: u16 = 0x0004;
pub const XMIN_COMMITTED: u16 = 0x0100;
pub const XMIN_INVALID: u16 = 0x0200;
pub const XMAX_COMMITTED: u16 = 0x0400;
pub const XMAX_INVALID: u16 = 0x0800;
pub const UPDATED: u16 = 0x2000;
/// `xmax` only locks the row (`SELECT … FOR UPDATE`); it deleted nothing.
pub const XMAX_LOCK_ONLY: u16 = 0x0080;
/// A lone locker's strength (with [`XMAX_LOCK_ONLY`]), as in PostgreSQL:
/// key-share, exclusive, or both bits for share. Exclusive is FOR UPDATE
/// with [`KEYS_UPDATED`], FOR NO KEY UPDATE without.
pub const XMAX_KEYSHR_LOCK: u16 = 0x0010;
pub const XMAX_EXCL_LOCK: u16 = 0x0040;
pub const XMAX_SHR_LOCK: u16 = XMAX_KEYSHR_LOCK | XMAX_EXCL_LOCK;
/// `xmax` is a multixact id (see `txn::multixact`), not a transaction id.
pub const XMAX_IS_MULTI: u16 = 0x1000;
/// Both xmin hint bits: the inserter committed so long ago that every
/// snapshot sees it (frozen by vacuum; its id may be gone from the commit log).
pub const XMIN_FROZEN: u16 = XMIN_COMMITTED | XMIN_INVALID;
/// The bits of the infomask that describe `xmax`.
pub const XMAX_BITS: u16 = XMAX_INVALID | XMAX_COMMITTED | UPDATED | XMAX_LOCK_ONLY | XMAX_SHR_LOCK | XMAX_IS_MULTI;
/// In the second infomask word (beside the attribute count), as in
/// PostgreSQL: the version was replaced by a heap-only version on the same
/// page (a HOT update), and this version is heap-only (no index entry
/// points at it; it is reached through its chain's root).
pub const HOT_UPDATED: u16 = 0x4000;
pub const HEAP_ONLY: u16 = 0x8000;
/// In the second infomask word: `xmax` deleted the row or changed a key
/// column (FOR UPDATE strength), or locks it FOR UPDATE.
pub const KEYS_UPDATED: u16 = 0x2000;

/// What a change writes into a version's `xmax`: the id (a transaction's
/// or a multixact's) and the flags that say what it means (among
/// [`XMAX_LOCK_ONLY`], the lock strength bits and [`XMAX_IS_MULTI`]), and
/// whether keys are updated ([`KEYS_UPDATED`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XmaxStamp {
    pub xmax: u64,
    pub flags: u16,
    pub keys: bool,
}

impl XmaxStamp {
    /// A plain delete (or key update) by `xid`.
    pub fn deleter(xid: u64) -> XmaxStamp {
        XmaxStamp { xmax: xid, flags: 0, keys: true }
    }

    /// A lone FOR UPDATE lock by `xid`.
    pub fn for_update(xid: u64) -> XmaxStamp {
        XmaxStamp { xmax: xid, flags: XMAX_LOCK_ONLY | XMAX_EXCL_LOCK, keys: true }
    }

    /// As logged in WAL (11 bytes).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.xmax.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.push(self.keys as u8);
    }

    pub fn decode(d: &[u8]) -> Option<XmaxStamp> {
        let d = d.get(..11)?;
        Some(XmaxStamp {
            xmax: u64::from_le_bytes(d[..8].try_into().ok()?),
            flags: u16::from_le_bytes([d[8], d[9]]) & XMAX_BITS,
            keys: d[10] != 0,
        })
    }
}

const XMIN: usize = 0;
const XMAX: usize = 8;
const CID: usize = 16;
const CTID: usize = 20;
const INFOMASK2: usize = 26;
const INFOMASK: usize = 28;
const HOFF: usize = 30;

/// Varlena length-word flag: the bytes are a TOAST pointer.
const VARLENA_EXTERNAL: u32 = 1 << 31;
/// Varlena length-word flag: the bytes are a compressed value.
const VARLENA_COMPRESSED: u32 = 1 << 30;
const VARLENA_LEN_MASK: u32 = (1 << 30) - 1;

/// How a stored attribute holds its value. The bytes of `Compressed` and
/// `External` are opaque here; [`super::toast`] makes and reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored<'a> {
    /// The value itself (every fixed-length value is plain).
    Plain(&'a [u8]),
    /// A compressed variable-length value, inline.
    Compressed(&'a [u8]),
    /// A pointer to a variable-length value in the TOAST relation.
    External(&'a [u8]),
}

impl<'a> Stored<'a> {
    /// The bytes stored for the value.
    pub fn bytes(&self) -> &'a [u8] {
        match *self {
            Stored::Plain(b) | Stored::Compressed(b) | Stored::External(b) => b,
        }
    }

    fn flags(&self) -> u32 {
        match self {
            Stored::Plain(_) => 0,
            Stored::Compressed(_) => VARLENA_COMPRESSED,
            Stored::External(_) => VARLENA_EXTERNAL,
        }
    }
}

/// One attribute's storage: its length (-1: variable) and alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    pub len: i16,
    pub align: u8,
}

/// The shape of a relation's tuples (PostgreSQL's TupleDesc, storage part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TupleDesc {
    pub attrs: Vec<Attr>,
    /// The stored bytes that attributes a tuple does not have read as
    /// (`pg_attribute.attmissingval` of a column added with a default),
    /// by attribute; empty, or `None` for one, where they read as NULL.
    pub missing: Vec<Option<Vec<u8>>>,
}

impl TupleDesc {
    /// A shape whose attributes missing from a tuple read as NULL.
    pub fn new(attrs: Vec<Attr>) -> TupleDesc {
        TupleDesc { attrs, missing: Vec::new() }
    }
}

fn align_to(n: usize, a: usize) -> usize {
    (n + a - 1) & !(a - 1)
}

/// Build a tuple from attribute values (`None` = NULL). Each fixed-length
/// value must have exactly the attribute's length.
pub fn form(desc: &TupleDesc, values: &[Option<&[u8]>]) -> Vec<u8> {
    let mut t = Vec::new();
    form_into(desc, values, &mut t);
    t
}

/// As [`form`], appending the tuple to `out` (which a caller forming many
/// tuples reuses).
pub fn form_into(desc: &TupleDesc, values: &[Option<&[u8]>], out: &mut Vec<u8>) {
    let stored: Vec<Option<Stored<'_>>> = values.iter().map(|v| v.map(Stored::Plain)).collect();
    form_stored(desc, &stored, out);
}

/// The length of the tuple [`form_stored`] would make of `values`.
pub fn formed_len(desc: &TupleDesc, values: &[Option<Stored<'_>>]) -> usize {
    formed_len_with(desc, |i| values[i].as_ref().map(|v| v.bytes().len()))
}

/// The length of a tuple of values whose stored lengths `len` gives by
/// attribute (`None`: NULL).
pub fn formed_len_with(desc: &TupleDesc, len: impl Fn(usize) -> Option<usize>) -> usize {
    let has_null = (0..desc.attrs.len()).any(|i| len(i).is_none());
    let bitmap = if has_null { desc.attrs.len().div_ceil(8) } else { 0 };
    let mut total = 0;
    for (i, attr) in desc.attrs.iter().enumerate() {
        let Some(n) = len(i) else { continue };
        total = align_to(total, attr.align.max(1) as usize);
        total += n + if attr.len < 0 { LENGTH_WORD } else { 0 };
    }
    align_to(HEADER_SIZE + bitmap, 8) + total
}

/// As [`form_into`], with values as they are to be stored: plain,
/// compressed or out of line (only variable-length attributes may be
/// other than plain).
pub fn form_stored(desc: &TupleDesc, values: &[Option<Stored<'_>>], out: &mut Vec<u8>) {
    assert_eq!(values.len(), desc.attrs.len(), "value count must match the descriptor");
    form_with(
        desc,
        |i| values[i].as_ref().map(|v| (v.bytes().len(), v.flags())),
        |i, out| out.extend_from_slice(values[i].as_ref().map_or(&[], |v| v.bytes())),
        out,
    );
}

/// Append a tuple to `out` whose attribute `i` has its stored length and
/// varlena flags from `value(i)` (`None`: NULL), and whose bytes `write`
/// appends (exactly that many): a caller holding values in another form
/// (COPY's and INSERT's rows) writes them in place, without gathering
/// their bytes first.
pub fn form_with(
    desc: &TupleDesc,
    value: impl Fn(usize) -> Option<(usize, u32)>,
    mut write: impl FnMut(usize, &mut Vec<u8>),
    out: &mut Vec<u8>,
) {
    let has_null = (0..desc.attrs.len()).any(|i| value(i).is_none());
    let bitmap = if has_null { desc.attrs.len().div_ceil(8) } else { 0 };
    let hoff = align_to(HEADER_SIZE + bitmap, 8);
    let start = out.len();
    out.resize(start + hoff, 0);
    let mut mask = XMAX_INVALID;
    for (i, attr) in desc.attrs.iter().enumerate() {
        let Some((len, flags)) = value(i) else { continue };
        if has_null {
            out[start + HEADER_SIZE + i / 8] |= 1 << (i % 8);
        }
        let data_start = out.len() - start - hoff;
        let pad = align_to(data_start, attr.align.max(1) as usize) - data_start;
        out.resize(out.len() + pad, 0);
        if attr.len < 0 {
            mask |= HASVARWIDTH;
            if flags != 0 {
                mask |= HASTOASTED;
            }
            debug_assert!(len <= VARLENA_LEN_MASK as usize);
            out.extend_from_slice(&(len as u32 | flags).to_le_bytes());
        } else {
            debug_assert!(flags == 0);
            debug_assert_eq!(len, attr.len as usize);
        }
        let before = out.len();
        write(i, out);
        debug_assert_eq!(out.len() - before, len, "attribute {i} written at another length than given");
    }
    if has_null {
        mask |= HASNULL;
    }
    let t = &mut out[start..];
    t[INFOMASK2..INFOMASK2 + 2].copy_from_slice(&(desc.attrs.len() as u16).to_le_bytes());
    t[INFOMASK..INFOMASK + 2].copy_from_slice(&mask.to_le_bytes());
    t[HOFF] = hoff as u8;
}

/// Split a tuple into its attribute values' stored bytes. Attributes the
/// tuple does not have (added to the relation later) read as their missing
/// value, or NULL (see [`TupleDesc::missing`]). For a
/// tuple with compressed or out-of-line values (see [`deform_stored`])
/// these are the stored bytes, not the values: system catalogs, whose
/// tuples are never toasted, and callers that only look at NULLs use this.
pub fn deform<'t>(desc: &'t TupleDesc, tuple: &'t [u8]) -> Vec<Option<&'t [u8]>> {
    deform_stored(desc, tuple).into_iter().map(|v| v.map(|s| s.bytes())).collect()
}

/// Split a tuple into its attribute values as stored (an attribute the
/// tuple does not have reads as its missing value, stored plain).
pub fn deform_stored<'t>(desc: &'t TupleDesc, tuple: &'t [u8]) -> Vec<Option<Stored<'t>>> {
    let mut out = Vec::with_capacity(desc.attrs.len());
    deform_each(desc, tuple, |_, v| out.push(v));
    out
}

/// As [`deform_stored`], handing each attribute's value to `f` with its
/// number (from 0) instead of collecting them: the per-row path of scans.
pub fn deform_each<'t>(desc: &'t TupleDesc, tuple: &'t [u8], f: impl FnMut(usize, Option<Stored<'t>>)) {
    deform_each_from(desc, tuple, 0, 0, f)
}

/// Where the attributes of a tuple without NULLs start in its data
/// (PostgreSQL's attcacheoff): for each attribute up to and including the
/// first of variable length, whose starts do not depend on the values.
pub fn fixed_offsets(desc: &TupleDesc) -> Vec<usize> {
    let mut out = Vec::new();
    let mut off = 0usize;
    for attr in &desc.attrs {
        off = align_to(off, attr.align.max(1) as usize);
        out.push(off);
        if attr.len < 0 {
            break;
        }
        off += attr.len as usize;
    }
    out
}

/// As [`deform_each`], from attribute `first` on, which starts at `off`
/// in the tuple's data (see [`fixed_offsets`]).
pub fn deform_each_from<'t>(
    desc: &'t TupleDesc,
    tuple: &'t [u8],
    first: usize,
    mut off: usize,
    mut f: impl FnMut(usize, Option<Stored<'t>>),
) {
    let h = Header(tuple);
    let natts = h.natts() as usize;
    let hoff = h.hoff();
    let has_null = h.infomask() & HASNULL != 0;
    for (i, attr) in desc.attrs.iter().enumerate().skip(first) {
        if i >= natts {
            f(i, desc.missing.get(i).and_then(|m| m.as_deref()).map(Stored::Plain));
            continue;
        }
        let null = has_null && tuple[HEADER_SIZE + i / 8] & (1 << (i % 8)) == 0;
        if null {
            f(i, None);
            continue;
        }
        off = align_to(off, attr.align.max(1) as usize);
        let at = hoff + off;
        if attr.len < 0 {
            let word = u32::from_le_bytes(tuple[at..at + 4].try_into().expect("4 bytes"));
            let len = (word & VARLENA_LEN_MASK) as usize;
            let bytes = &tuple[at + 4..at + 4 + len];
            f(
                i,
                Some(if word & VARLENA_EXTERNAL != 0 {
                    Stored::External(bytes)
                } else if word & VARLENA_COMPRESSED != 0 {
                    Stored::Compressed(bytes)
                } else {
                    Stored::Plain(bytes)
                }),
            );
            off += 4 + len;
        } else {
            f(i, Some(Stored::Plain(&tuple[at..at + attr.len as usize])));
            off += attr.len as usize;
        }
    }
}

/// Read access to a tuple header.
pub struct Header<'a>(pub &'a [u8]);

impl Header<'_> {
    fn u64_at(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.0[at..at + 8].try_into().expect("8 bytes"))
    }
    fn u16_at(&self, at: usize) -> u16 {
        u16::from_le_bytes([self.0[at], self.0[at + 1]])
    }
    pub fn xmin(&self) -> u64 {
        self.u64_at(XMIN)
    }
    pub fn xmax(&self) -> u64 {
        self.u64_at(XMAX)
    }
    pub fn cid(&self) -> u32 {
        u32::from_le_bytes(self.0[CID..CID + 4].try_into().expect("4 bytes"))
    }
    pub fn ctid(&self) -> Tid {
        Tid {
            block: u32::from_le_bytes(self.0[CTID..CTID + 4].try_into().expect("4 bytes")),
            offset: self.u16_at(CTID + 4),
        }
    }
    pub fn natts(&self) -> u16 {
        self.u16_at(INFOMASK2) & 0x07ff
    }
    /// Whether a delete or update (not a mere row lock) set `xmax`.
    pub fn has_deleter(&self) -> bool {
        self.infomask() & (XMAX_INVALID | XMAX_LOCK_ONLY) == 0
    }
    /// The transaction holding a row lock on this version, if any (it may
    /// have ended); not for a multixact's lockers.
    pub fn locker(&self) -> Option<u64> {
        (self.infomask() & (XMAX_INVALID | XMAX_LOCK_ONLY | XMAX_IS_MULTI) == XMAX_LOCK_ONLY).then(|| self.xmax())
    }
    /// Whether `xmax` is a multixact id.
    pub fn is_multi(&self) -> bool {
        self.infomask() & (XMAX_INVALID | XMAX_IS_MULTI) == XMAX_IS_MULTI
    }
    /// Whether `xmax` deleted the row, changed a key or locks it FOR UPDATE.
    pub fn keys_updated(&self) -> bool {
        self.u16_at(INFOMASK2) & KEYS_UPDATED != 0
    }
    /// Frozen by vacuum: the insert is visible to everyone.
    pub fn xmin_frozen(&self) -> bool {
        self.infomask() & XMIN_FROZEN == XMIN_FROZEN
    }
    pub fn infomask(&self) -> u16 {
        self.u16_at(INFOMASK)
    }
    /// Replaced by a heap-only version on the same page (see [`HOT_UPDATED`]).
    pub fn is_hot_updated(&self) -> bool {
        self.u16_at(INFOMASK2) & HOT_UPDATED != 0 && self.has_deleter()
    }
    /// A heap-only version (see [`HEAP_ONLY`]).
    pub fn is_heap_only(&self) -> bool {
        self.u16_at(INFOMASK2) & HEAP_ONLY != 0
    }
    /// Whether some value is compressed or stored out of line.
    pub fn has_toasted(&self) -> bool {
        self.infomask() & HASTOASTED != 0
    }
    pub fn hoff(&self) -> usize {
        self.0[HOFF] as usize
    }
}

/// How many bytes [`frozen_fields`] has: `xmax` to the infomask words.
pub const FROZEN_FIELDS_LEN: usize = HOFF - XMAX;

/// The header fields vacuum may rewrite (see `Heap::freeze_page`), as
/// logged: `xmax` through both infomask words (`cid` and `ctid`, between
/// them, come along unchanged).
pub fn frozen_fields(t: &[u8]) -> &[u8] {
    &t[FROZEN_AT..FROZEN_AT + FROZEN_FIELDS_LEN]
}

const FROZEN_AT: usize = XMAX;

/// Put back fields logged by [`frozen_fields`].
pub fn set_frozen_fields(t: &mut [u8], fields: &[u8]) -> Option<()> {
    t.get_mut(FROZEN_AT..FROZEN_AT + FROZEN_FIELDS_LEN)?.copy_from_slice(fields.get(..FROZEN_FIELDS_LEN)?);
    Some(())
}

/// Where the logged bytes of a newly inserted tuple begin: redo rebuilds
/// the fields before them (`xmin`, `xmax`, `cid`, `ctid`) from the record
/// (see [`rebuild_inserted`]).
pub const INSERT_LOGGED_FROM: usize = INFOMASK2;

/// A newly inserted tuple from its logged bytes: inserted by `xid` in
/// command `cid`, no deleter, `ctid` its own address.
pub fn rebuild_inserted(out: &mut Vec<u8>, xid: u64, cid: u32, tid: Tid, logged: &[u8]) {
    out.clear();
    out.resize(INSERT_LOGGED_FROM, 0);
    out.extend_from_slice(logged);
    let mut h = HeaderMut(out);
    h.set_xmin(xid);
    h.set_cid(cid);
    h.set_ctid(tid);
}

/// Write access to a tuple header.
pub struct HeaderMut<'a>(pub &'a mut [u8]);

impl HeaderMut<'_> {
    pub fn set_xmin(&mut self, xid: u64) {
        self.0[XMIN..XMIN + 8].copy_from_slice(&xid.to_le_bytes());
    }
    pub fn set_xmax(&mut self, xid: u64) {
        self.0[XMAX..XMAX + 8].copy_from_slice(&xid.to_le_bytes());
        // A new xmax replaces whatever an earlier (aborted) updater noted.
        let mask = Header(self.0).infomask() & !XMAX_BITS;
        self.set_infomask(mask);
        self.set_hot_flag(HOT_UPDATED, false);
        self.set_hot_flag(KEYS_UPDATED, true);
    }
    /// Set `xmax` as a change describes it (see [`XmaxStamp`]).
    pub fn set_xmax_stamp(&mut self, stamp: XmaxStamp) {
        self.set_xmax(stamp.xmax);
        let mask = Header(self.0).infomask() | stamp.flags;
        self.set_infomask(mask);
        self.set_hot_flag(KEYS_UPDATED, stamp.keys);
    }
    /// Nobody holds the row any more: `xmax` is cleared (vacuum).
    pub fn clear_xmax(&mut self) {
        self.set_xmax(0);
        let mask = Header(self.0).infomask() | XMAX_INVALID;
        self.set_infomask(mask);
        self.set_hot_flag(KEYS_UPDATED, false);
    }
    /// Set or clear [`HOT_UPDATED`] or [`HEAP_ONLY`].
    pub fn set_hot_flag(&mut self, flag: u16, on: bool) {
        let word = u16::from_le_bytes([self.0[INFOMASK2], self.0[INFOMASK2 + 1]]);
        let word = if on { word | flag } else { word & !flag };
        self.0[INFOMASK2..INFOMASK2 + 2].copy_from_slice(&word.to_le_bytes());
    }
    /// Lock the row for `xid` (`FOR UPDATE`): `xmax` names the locker, the
    /// version stays live, and the command id (the inserter's) is kept.
    pub fn set_locker(&mut self, xid: u64) {
        self.set_xmax_stamp(XmaxStamp::for_update(xid));
    }
    pub fn set_cid(&mut self, cid: u32) {
        self.0[CID..CID + 4].copy_from_slice(&cid.to_le_bytes());
    }
    pub fn set_ctid(&mut self, tid: Tid) {
        self.0[CTID..CTID + 4].copy_from_slice(&tid.block.to_le_bytes());
        self.0[CTID + 4..CTID + 6].copy_from_slice(&tid.offset.to_le_bytes());
    }
    pub fn set_infomask(&mut self, mask: u16) {
        self.0[INFOMASK..INFOMASK + 2].copy_from_slice(&mask.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc() -> TupleDesc {
        TupleDesc::new(vec![
            Attr { len: 4, align: 4 },
            Attr { len: -1, align: 4 },
            Attr { len: 8, align: 8 },
            Attr { len: 1, align: 1 },
        ])
    }

    #[test]
    fn values_round_trip_with_and_without_nulls() {
        let d = desc();
        let a = 7i32.to_le_bytes();
        let c = (-5i64).to_le_bytes();
        let t = form(&d, &[Some(&a), Some(b"hello world"), Some(&c), Some(&[1])]);
        assert_eq!(Header(&t).hoff() % 8, 0);
        assert_eq!(deform(&d, &t), vec![Some(&a[..]), Some(&b"hello world"[..]), Some(&c[..]), Some(&[1u8][..])]);
        let t = form(&d, &[None, Some(b""), None, Some(&[0])]);
        assert!(Header(&t).infomask() & HASNULL != 0);
        assert_eq!(deform(&d, &t), vec![None, Some(&b""[..]), None, Some(&[0u8][..])]);
    }

    #[test]
    fn header_fields() {
        let d = desc();
        let mut t = form(&d, &[None, None, None, None]);
        let mut h = HeaderMut(&mut t);
        h.set_xmin(1 << 40);
        h.set_xmax(77);
        h.set_cid(3);
        h.set_ctid(Tid { block: 9, offset: 4 });
        let h = Header(&t);
        assert_eq!((h.xmin(), h.xmax(), h.cid(), h.ctid()), (1 << 40, 77, 3, Tid { block: 9, offset: 4 }));
        assert_eq!(h.infomask() & XMAX_INVALID, 0);
        // A tuple from before a column was added reads the new column as NULL.
        let mut wider = d.clone();
        wider.attrs.push(Attr { len: 4, align: 4 });
        assert_eq!(deform(&wider, &t)[4], None);
    }

    #[test]
    fn attributes_past_a_tuple_read_their_missing_value() {
        let d = desc();
        let t = form(&d, &[Some(&1i32.to_le_bytes()), None, None, Some(&[1])]);
        let mut wider = d.clone();
        wider.attrs.extend([Attr { len: 4, align: 4 }, Attr { len: -1, align: 4 }, Attr { len: 4, align: 4 }]);
        wider.missing = vec![None, None, None, None, Some(42i32.to_le_bytes().to_vec()), Some(b"x".to_vec())];
        let v = deform(&wider, &t);
        assert_eq!(v[4], Some(&42i32.to_le_bytes()[..]));
        assert_eq!(v[5], Some(&b"x"[..]));
        assert_eq!(v[6], None);
        // A tuple that has the attribute keeps its own value, NULL included.
        let full = form(&wider, &[None, None, None, None, None, Some(b"y"), None]);
        assert_eq!(deform(&wider, &full)[4..6], [None, Some(&b"y"[..])]);
    }
}
