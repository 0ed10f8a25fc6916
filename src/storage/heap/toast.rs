//! TOAST: values too large for a page, compressed or stored out of line
//! (PostgreSQL's "The Oversized-Attribute Storage Technique").
//!
//! A tuple longer than [`TOAST_TUPLE_THRESHOLD`] (a quarter page, so that
//! four fit on one) is shrunk before it is stored ([`Toaster::form`]):
//!
//! 1. its variable-length values, largest first, are compressed with LZ4
//!    while the tuple is still too long (a value that does not shrink stays
//!    as it is);
//! 2. then, largest first, values are moved out of line: the bytes (the
//!    compressed ones if compression helped) are cut into chunks of
//!    [`TOAST_MAX_CHUNK_SIZE`] stored as rows `(chunk_id oid, chunk_seq
//!    int4, chunk_data bytea)` of the table's TOAST relation, a heap with a
//!    B-tree index on `(chunk_id, chunk_seq)`; the tuple keeps a
//!    [`ToastPointer`] in the value's place.
//!
//! Chunks go through the ordinary heap and B-tree insert paths, so they
//! are WAL-logged and recovered like any row; they carry the inserting
//! transaction's id, and nothing else ever changes them.
//!
//! Reading a value back ([`Toaster::detoast`]) follows the pointer through
//! the index and decompresses.
//!
//! An UPDATE that leaves an out-of-line value as it was gives the new
//! version the old version's pointer ([`Toaster::form_keeping`]), as
//! PostgreSQL does: no chunks are written again. A value may so belong to
//! a run of versions of one row. Its life ends with the change that
//! replaces or deletes the last of them; that change marks the value's
//! first chunk (`chunk_seq` 0) deleted by its transaction and command
//! ([`Toaster::kill_value`]), like a row's `xmax`, and WAL-logged like
//! one:
//!
//! ```text
//!  v1 (X) ──UPDATE b──► v2 (X) ──UPDATE b──► v3 (X) ──UPDATE a──► v4 (Y)
//!                                                   └ chunk 0 of X: xmax = that UPDATE
//! ```
//!
//! An aborted change leaves its mark void, as an aborted delete does. When
//! VACUUM frees a version whose own change made the mark (same `xmax`,
//! same command id), the value goes with it ([`Toaster::delete_value`]),
//! index entries first, then chunk rows; versions before it carried the
//! value on and free nothing. Those earlier versions may outlive the
//! value: their deleters' ids need not be in commit order, so one of them
//! can still be above the horizon when the marking version is below it.
//! No snapshot sees such a version (its deleter committed before the
//! marking change did), and readers of every version (index builds) pass
//! over a dead version whose value is gone (`Catalog::values_freed`).
//! A crash between the chunks and the version
//! leaves a dead version pointing at missing chunks, which nobody reads
//! (only indexed columns of dead versions are read, and those are never
//! shared: see `Catalog::update_row`) and the next VACUUM removes. Chunks
//! of a transaction that aborted have no live tuple pointing at them
//! (values carried on from older versions were inserted before); VACUUM
//! finds them by their aborted inserter ([`Toaster::vacuum_orphans`]).
//!
//! Lock order: a reader may detoast while it holds a lock on the main
//! relation's page; nothing that holds a TOAST page's lock waits for a
//! main relation's page, so the order is always main page, then TOAST page.
//!
//! See also `tuple.rs` (the varlena length word that marks a value
//! compressed or external) and `catalog/mod.rs` (which relation is whose
//! TOAST relation, `pg_toast_<oid>` in `pg_class`).

use std::borrow::Cow;
use std::ops::Bound;

use super::tuple::{Attr, LENGTH_WORD, Stored, TupleDesc, deform_stored, form_stored, formed_len};
use super::{Heap, MAX_TUPLE_SIZE, Tid};
use crate::err;
use crate::error::{Result, SqlState};
use crate::storage::btree::BTree;
use crate::storage::buffer::BufferPool;
use crate::storage::page::{HEADER_SIZE as PAGE_HEADER, LINE_POINTER_SIZE, PAGE_SIZE};
use crate::storage::smgr::RelFileLocator;
use crate::storage::wal::Wal;

/// Tuples longer than this are toasted: the largest size with which four
/// tuples fit on a page (PostgreSQL's TOAST_TUPLE_THRESHOLD, also 2032).
pub const TOAST_TUPLE_THRESHOLD: usize = ((PAGE_SIZE - PAGE_HEADER) / 4 - LINE_POINTER_SIZE) & !7;

/// A chunk row's bytes besides its data: the tuple header (31 bytes,
/// aligned to 32), `chunk_id`, `chunk_seq` and the data's length word.
const CHUNK_OVERHEAD: usize = 32 + 4 + 4 + 4;

/// Data bytes per chunk, so that four chunk rows fill a page.
pub const TOAST_MAX_CHUNK_SIZE: usize = TOAST_TUPLE_THRESHOLD - CHUNK_OVERHEAD;

/// The largest value that can be stored (PostgreSQL's 1 GB limit).
pub const MAX_VALUE_SIZE: usize = (1 << 30) - 1;

/// Values shorter than this are not worth compressing.
const MIN_COMPRESS_SIZE: usize = 32;

/// The bytes of an encoded [`ToastPointer`].
pub const POINTER_SIZE: usize = 16;

/// Chunks inserted per heap batch (about 32 pages).
const CHUNKS_PER_BATCH: usize = 128;

/// How a value's bytes are compressed; two bits in the stored forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None = 0,
    /// LZ4 block format (PostgreSQL 14+ offers lz4 as a TOAST method too).
    Lz4 = 1,
}

impl Compression {
    fn from_bits(b: u32) -> Option<Compression> {
        match b {
            0 => Some(Compression::None),
            1 => Some(Compression::Lz4),
            _ => None,
        }
    }
}

/// What a tuple stores in place of a value kept out of line.
///
/// ```text
/// 0          4                     8          12           16
/// | raw size | method:2 stored:30  | value id | toast relid |
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToastPointer {
    /// The value's length.
    pub raw_size: u32,
    /// The length of the bytes in the chunks (compressed or not).
    pub stored_size: u32,
    pub compression: Compression,
    /// `chunk_id` of the value's chunks (an OID).
    pub value_id: u32,
    /// The OID of the TOAST relation holding them.
    pub toast_relid: u32,
}

impl ToastPointer {
    pub fn encode(&self) -> [u8; POINTER_SIZE] {
        let mut b = [0u8; POINTER_SIZE];
        b[0..4].copy_from_slice(&self.raw_size.to_le_bytes());
        b[4..8].copy_from_slice(&(self.stored_size | (self.compression as u32) << 30).to_le_bytes());
        b[8..12].copy_from_slice(&self.value_id.to_le_bytes());
        b[12..16].copy_from_slice(&self.toast_relid.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> Result<ToastPointer> {
        let b: &[u8; POINTER_SIZE] = b.try_into().map_err(|_| corrupt("invalid TOAST pointer"))?;
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let info = word(4);
        Ok(ToastPointer {
            raw_size: word(0),
            stored_size: info & MAX_VALUE_SIZE as u32,
            compression: Compression::from_bits(info >> 30)
                .ok_or_else(|| corrupt("unknown TOAST compression method"))?,
            value_id: word(8),
            toast_relid: word(12),
        })
    }
}

/// A table's TOAST relation: its OID, heap and `(chunk_id, chunk_seq)` index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToastRelation {
    pub oid: u32,
    pub heap: RelFileLocator,
    pub index: RelFileLocator,
}

fn corrupt(what: &str) -> crate::error::Error {
    err!(SqlState::DATA_CORRUPTED, "{what}")
}

/// The layout of a chunk row (`pg_attribute` lists its columns as
/// `oid`, `int4` and `bytea`, stored plain).
fn chunk_desc() -> TupleDesc {
    TupleDesc::new(vec![Attr { len: 4, align: 4 }, Attr { len: 4, align: 4 }, Attr { len: -1, align: 4 }])
}

/// The index key of a chunk: `chunk_id`, `chunk_seq`, big-endian so that
/// byte order is numeric order.
fn chunk_key(value_id: u32, seq: u32) -> [u8; 8] {
    let mut k = [0u8; 8];
    k[..4].copy_from_slice(&value_id.to_be_bytes());
    k[4..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// The inline compressed form: `method:2 raw size:30`, then the LZ4 block.
/// `None` if compressing does not make the value shorter.
pub fn compress(value: &[u8]) -> Option<Vec<u8>> {
    if value.len() < MIN_COMPRESS_SIZE || value.len() > MAX_VALUE_SIZE {
        return None;
    }
    let mut out = vec![0u8; 4 + lz4_flex::block::get_maximum_output_size(value.len())];
    let n = lz4_flex::block::compress_into(value, &mut out[4..]).ok()?;
    if 4 + n >= value.len() {
        return None;
    }
    out.truncate(4 + n);
    out[..4].copy_from_slice(&(value.len() as u32 | (Compression::Lz4 as u32) << 30).to_le_bytes());
    Some(out)
}

fn decompress(method: Compression, data: &[u8], raw_size: usize) -> Result<Vec<u8>> {
    match method {
        Compression::None => Ok(data.to_vec()),
        Compression::Lz4 => {
            let mut out = vec![0u8; raw_size];
            match lz4_flex::block::decompress_into(data, &mut out) {
                Ok(n) if n == raw_size => Ok(out),
                _ => Err(corrupt("compressed data is corrupted")),
            }
        }
    }
}

/// The `(method, raw size)` header of an inline compressed value, and its data.
fn compressed_parts(b: &[u8]) -> Result<(Compression, usize, &[u8])> {
    let info = u32::from_le_bytes(
        b.get(..4).ok_or_else(|| corrupt("invalid compressed value"))?.try_into().unwrap_or_default(),
    );
    let method = Compression::from_bits(info >> 30).ok_or_else(|| corrupt("unknown compression method"))?;
    Ok((method, (info & MAX_VALUE_SIZE as u32) as usize, &b[4..]))
}

/// The bytes a variable-length value takes stored in a row that holds
/// nothing else large, by [`Toaster::form`]'s steps: its length word and
/// bytes; if that row would pass [`TOAST_TUPLE_THRESHOLD`], its length
/// word and compressed form when compressing helps and that fits; else,
/// moved out of line, the bytes of its chunks (compressed or not), which
/// is what PostgreSQL's `pg_column_size` reports of an out-of-line value.
pub fn stored_size(value: &[u8]) -> usize {
    let desc = TupleDesc::new(vec![Attr { len: -1, align: 4 }]);
    let row = |v: Stored<'_>| formed_len(&desc, &[Some(v)]);
    if row(Stored::Plain(value)) <= TOAST_TUPLE_THRESHOLD {
        return LENGTH_WORD + value.len();
    }
    match compress(value) {
        Some(c) if row(Stored::Compressed(&c)) <= TOAST_TUPLE_THRESHOLD => LENGTH_WORD + c.len(),
        // Chunks hold the compressed data without its method word.
        Some(c) => compressed_parts(&c).map_or(c.len(), |(_, _, data)| data.len()),
        None => value.len(),
    }
}

/// The length of the value a stored attribute holds, without reading it.
pub fn raw_size(v: Stored<'_>) -> usize {
    match v {
        Stored::Plain(b) => b.len(),
        Stored::Compressed(b) => compressed_parts(b).map_or(0, |(_, n, _)| n),
        Stored::External(b) => ToastPointer::decode(b).map_or(0, |p| p.raw_size as usize),
    }
}

/// A value on its way into a tuple.
enum Slot<'v> {
    Plain(&'v [u8]),
    Compressed(Vec<u8>),
    External([u8; POINTER_SIZE]),
}

impl Slot<'_> {
    fn stored(&self) -> Stored<'_> {
        match self {
            Slot::Plain(b) => Stored::Plain(b),
            Slot::Compressed(b) => Stored::Compressed(b),
            Slot::External(b) => Stored::External(b),
        }
    }
}

fn stored<'s>(slots: &'s [Option<Slot<'_>>]) -> Vec<Option<Stored<'s>>> {
    slots.iter().map(|s| s.as_ref().map(Slot::stored)).collect()
}

/// Toasting and detoasting for one table (which may have no TOAST
/// relation: then values can still be compressed inline).
#[derive(Clone, Copy)]
pub struct Toaster<'a> {
    pub pool: &'a BufferPool,
    pub wal: &'a Wal,
    pub rel: Option<ToastRelation>,
    /// The TOAST relation of a temporary table: its changes are not
    /// logged, as its table's are not.
    unlogged: bool,
}

impl<'a> Toaster<'a> {
    pub fn new(pool: &'a BufferPool, wal: &'a Wal, rel: Option<ToastRelation>) -> Toaster<'a> {
        Toaster { pool, wal, rel, unlogged: false }
    }

    /// Whether its changes go unlogged (see [`Heap::unlogged`]).
    pub fn unlogged(mut self, unlogged: bool) -> Toaster<'a> {
        self.unlogged = unlogged;
        self
    }

    fn heap(&self, rel: &ToastRelation) -> Heap<'a> {
        Heap::new(self.pool, self.wal, rel.heap).unlogged(self.unlogged)
    }

    fn index(&self, rel: &ToastRelation) -> BTree<'a> {
        BTree::new(self.pool, self.wal, rel.index).unlogged(self.unlogged)
    }

    /// Create the empty TOAST index (its file just created).
    pub fn create_index(&self, xid: u64) -> Result<()> {
        match &self.rel {
            Some(rel) => self.index(rel).create(xid),
            None => Ok(()),
        }
    }

    /// Form the tuple of `values` (plain, `None` = NULL) for this table
    /// into `out`, compressing and moving values out of line (as `xid` at
    /// `cid`) until it is at most [`TOAST_TUPLE_THRESHOLD`] long, or
    /// nothing more can be done. `new_value_id` hands out OIDs. The
    /// pointers of the values moved out of line are returned, so that a
    /// caller whose tuple is then not stored can remove them again.
    pub fn form(
        &self,
        desc: &TupleDesc,
        values: &[Option<&[u8]>],
        xid: u64,
        cid: u32,
        new_value_id: &mut dyn FnMut() -> Result<u32>,
        out: &mut Vec<u8>,
    ) -> Result<Vec<ToastPointer>> {
        self.form_keeping(desc, values, &[], xid, cid, new_value_id, out)
    }

    /// As [`Toaster::form`], with the values that `kept` names (by column)
    /// taken as already stored out of line under that pointer: an UPDATE
    /// that leaves them as they were (their entry in `values` is then not
    /// read). Only new values are returned.
    #[allow(clippy::too_many_arguments)]
    pub fn form_keeping(
        &self,
        desc: &TupleDesc,
        values: &[Option<&[u8]>],
        kept: &[Option<ToastPointer>],
        xid: u64,
        cid: u32,
        new_value_id: &mut dyn FnMut() -> Result<u32>,
        out: &mut Vec<u8>,
    ) -> Result<Vec<ToastPointer>> {
        let kept_at = |i: usize| kept.get(i).copied().flatten();
        // Most rows need no toasting: formed from the values as they are.
        if kept.iter().all(Option::is_none) {
            let plain: Vec<Option<Stored<'_>>> = values.iter().map(|v| v.map(Stored::Plain)).collect();
            if formed_len(desc, &plain) <= TOAST_TUPLE_THRESHOLD {
                form_stored(desc, &plain, out);
                return Ok(Vec::new());
            }
        }
        let mut slots: Vec<Option<Slot<'_>>> = (0..values.len())
            .map(|i| match kept_at(i) {
                Some(p) => Some(Slot::External(p.encode())),
                None => values[i].map(Slot::Plain),
            })
            .collect();
        let varlena = |i: usize| desc.attrs[i].len < 0;
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v.filter(|v| varlena(i) && kept_at(i).is_none() && v.len() > MAX_VALUE_SIZE) {
                return Err(err!(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "value too large to store: size {}, maximum size {MAX_VALUE_SIZE}",
                    v.len()
                ));
            }
        }
        let mut created = Vec::new();
        if formed_len(desc, &stored(&slots)) > TOAST_TUPLE_THRESHOLD {
            // 1. Compress, largest value first.
            let mut tried = vec![false; slots.len()];
            while formed_len(desc, &stored(&slots)) > TOAST_TUPLE_THRESHOLD {
                let largest = (0..slots.len())
                    .filter(|&i| varlena(i) && !tried[i])
                    .filter_map(|i| match &slots[i] {
                        Some(Slot::Plain(b)) if b.len() >= MIN_COMPRESS_SIZE => Some((b.len(), i)),
                        _ => None,
                    })
                    .max();
                let Some((_, i)) = largest else { break };
                tried[i] = true;
                if let Some(Slot::Plain(b)) = &slots[i] {
                    if let Some(c) = compress(b) {
                        slots[i] = Some(Slot::Compressed(c));
                    }
                }
            }
            // 2. Move out of line, largest first.
            if let Some(rel) = &self.rel {
                while formed_len(desc, &stored(&slots)) > TOAST_TUPLE_THRESHOLD {
                    let largest = (0..slots.len())
                        .filter(|&i| varlena(i))
                        .filter_map(|i| match &slots[i] {
                            Some(s @ (Slot::Plain(_) | Slot::Compressed(_))) => {
                                Some((s.stored().bytes().len(), i)).filter(|(n, _)| *n > POINTER_SIZE)
                            }
                            _ => None,
                        })
                        .max();
                    let Some((_, i)) = largest else { break };
                    let pointer = match &slots[i] {
                        Some(Slot::Plain(b)) => {
                            self.store_value(rel, b, b.len(), Compression::None, xid, cid, new_value_id)
                        }
                        Some(Slot::Compressed(c)) => {
                            let (method, raw, data) = compressed_parts(c)?;
                            self.store_value(rel, data, raw, method, xid, cid, new_value_id)
                        }
                        _ => unreachable!("chosen slots are inline"),
                    }?;
                    created.push(pointer);
                    slots[i] = Some(Slot::External(pointer.encode()));
                }
            }
        }
        let stored = stored(&slots);
        let len = formed_len(desc, &stored);
        if len > MAX_TUPLE_SIZE {
            self.delete_values(&created)?;
            return Err(err!(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "row is too big: size {len}, maximum size {MAX_TUPLE_SIZE}"
            ));
        }
        form_stored(desc, &stored, out);
        Ok(created)
    }

    /// Store `data` (a value of `raw_size` bytes, compressed by `method`)
    /// as chunks under a new value id; its pointer.
    #[allow(clippy::too_many_arguments)]
    fn store_value(
        &self,
        rel: &ToastRelation,
        data: &[u8],
        raw_size: usize,
        compression: Compression,
        xid: u64,
        cid: u32,
        new_value_id: &mut dyn FnMut() -> Result<u32>,
    ) -> Result<ToastPointer> {
        let index = self.index(rel);
        // OIDs wrap around in PostgreSQL; here they do not yet, but a value
        // id must never be shared, so make sure.
        let value_id = loop {
            let id = new_value_id()?;
            let key = id.to_be_bytes().to_vec();
            let mut cursor = index.scan(Bound::Included(key.clone()), Bound::Included(key), true);
            if !cursor.next_batch(&mut Vec::new(), 1)? {
                break id;
            }
        };
        let heap = self.heap(rel);
        let desc = chunk_desc();
        let mut tuples = Vec::new();
        let mut ends = Vec::with_capacity(CHUNKS_PER_BATCH);
        let mut tids = Vec::with_capacity(CHUNKS_PER_BATCH);
        let chunks: Vec<&[u8]> = if data.is_empty() { vec![data] } else { data.chunks(TOAST_MAX_CHUNK_SIZE).collect() };
        for (group_no, group) in chunks.chunks(CHUNKS_PER_BATCH).enumerate() {
            tuples.clear();
            ends.clear();
            tids.clear();
            let first_seq = group_no * CHUNKS_PER_BATCH;
            for (i, chunk) in group.iter().enumerate() {
                let seq = (first_seq + i) as u32;
                let (id, seq) = (value_id.to_le_bytes(), seq.to_le_bytes());
                let values = [Some(Stored::Plain(&id[..])), Some(Stored::Plain(&seq[..])), Some(Stored::Plain(chunk))];
                form_stored(&desc, &values, &mut tuples);
                ends.push(tuples.len());
            }
            let mut start = 0;
            let refs: Vec<&[u8]> = ends
                .iter()
                .map(|&end| {
                    let t = &tuples[start..end];
                    start = end;
                    t
                })
                .collect();
            heap.insert_batch(xid, cid, &refs, &mut tids)?;
            for (i, tid) in tids.iter().enumerate() {
                index.insert(xid, &chunk_key(value_id, (first_seq + i) as u32), *tid)?;
            }
        }
        Ok(ToastPointer {
            raw_size: raw_size as u32,
            stored_size: data.len() as u32,
            compression,
            value_id,
            toast_relid: rel.oid,
        })
    }

    /// The value a stored attribute holds.
    pub fn detoast<'v>(&self, v: Stored<'v>) -> Result<Cow<'v, [u8]>> {
        match v {
            Stored::Plain(b) => Ok(Cow::Borrowed(b)),
            Stored::Compressed(b) => {
                let (method, raw, data) = compressed_parts(b)?;
                Ok(Cow::Owned(decompress(method, data, raw)?))
            }
            Stored::External(b) => Ok(Cow::Owned(self.fetch_value(&ToastPointer::decode(b)?)?)),
        }
    }

    /// The index entries of value `value_id`'s chunks, in chunk order.
    fn chunk_tids(&self, rel: &ToastRelation, value_id: u32) -> Result<Vec<(Vec<u8>, Tid)>> {
        let key = value_id.to_be_bytes().to_vec();
        let mut cursor = self.index(rel).scan(Bound::Included(key.clone()), Bound::Included(key), true);
        let mut entries = Vec::new();
        while cursor.next_batch(&mut entries, 1024)? {}
        Ok(entries.into_iter().map(|e| (e.key, e.tid)).collect())
    }

    fn fetch_value(&self, pointer: &ToastPointer) -> Result<Vec<u8>> {
        let rel = self.rel.filter(|r| r.oid == pointer.toast_relid).ok_or_else(|| {
            err!(
                SqlState::DATA_CORRUPTED,
                "TOAST pointer names relation {} that is not the table's",
                pointer.toast_relid
            )
        })?;
        let missing = |seq: usize| {
            err!(
                SqlState::DATA_CORRUPTED,
                "missing chunk number {seq} for toast value {} in pg_toast_{}",
                pointer.value_id,
                pointer.toast_relid
            )
        };
        let heap = self.heap(&rel);
        let desc = chunk_desc();
        let size = pointer.stored_size as usize;
        let mut data = Vec::with_capacity(size);
        for (seq, (key, tid)) in self.chunk_tids(&rel, pointer.value_id)?.into_iter().enumerate() {
            if key[4..8] != (seq as u32).to_be_bytes() {
                return Err(missing(seq));
            }
            let t = heap.fetch(tid)?.ok_or_else(|| missing(seq))?;
            let v = deform_stored(&desc, &t);
            let Some(Some(Stored::Plain(chunk))) = v.get(2) else { return Err(missing(seq)) };
            if v[0] != Some(Stored::Plain(&pointer.value_id.to_le_bytes()[..])) || data.len() + chunk.len() > size {
                return Err(corrupt("unexpected chunk in TOAST relation"));
            }
            data.extend_from_slice(chunk);
        }
        if data.len() != size {
            return Err(missing(data.len().div_ceil(TOAST_MAX_CHUNK_SIZE)));
        }
        match pointer.compression {
            Compression::None => Ok(data),
            method => decompress(method, &data, pointer.raw_size as usize),
        }
    }

    /// Remove the chunks of a value (VACUUM removing the tuple version that
    /// points to it; or a tuple that was not stored after all): index
    /// entries first, then the chunk rows. Chunks already gone are fine.
    pub fn delete_value(&self, pointer: &ToastPointer) -> Result<()> {
        let Some(rel) = self.rel.filter(|r| r.oid == pointer.toast_relid) else { return Ok(()) };
        self.delete_chunks(&rel, pointer.value_id)
    }

    /// Mark the end of a value's life: its first chunk deleted by
    /// `xid`/`cid`, the change that replaces or deletes the last version
    /// pointing to it (see the module doc). A value whose chunks are gone
    /// already needs no mark.
    pub fn kill_value(&self, pointer: &ToastPointer, xid: u64, cid: u32) -> Result<()> {
        let Some(rel) = self.rel.filter(|r| r.oid == pointer.toast_relid) else { return Ok(()) };
        match self.first_chunk(&rel, pointer.value_id)? {
            Some(tid) => self.heap(&rel).delete(tid, xid, cid),
            None => Ok(()),
        }
    }

    /// The change (`xmax`, command id) that marked the value's end, if one
    /// did (whether it committed is the caller's to judge); `None` also
    /// when its chunks are gone.
    pub fn killed_by(&self, pointer: &ToastPointer) -> Result<Option<(u64, u32)>> {
        let Some(rel) = self.rel.filter(|r| r.oid == pointer.toast_relid) else { return Ok(None) };
        let Some(tid) = self.first_chunk(&rel, pointer.value_id)? else { return Ok(None) };
        Ok(self.heap(&rel).fetch(tid)?.and_then(|t| {
            let h = super::tuple::Header(&t);
            h.has_deleter().then(|| (h.xmax(), h.cid()))
        }))
    }

    /// Whether the chunks of the value are there (VACUUM has not freed it).
    pub fn value_exists(&self, pointer: &ToastPointer) -> Result<bool> {
        let Some(rel) = self.rel.filter(|r| r.oid == pointer.toast_relid) else { return Ok(false) };
        Ok(self.first_chunk(&rel, pointer.value_id)?.is_some())
    }

    /// Where chunk 0 of value `value_id` is.
    fn first_chunk(&self, rel: &ToastRelation, value_id: u32) -> Result<Option<Tid>> {
        let key = chunk_key(value_id, 0).to_vec();
        let mut cursor = self.index(rel).scan(Bound::Included(key.clone()), Bound::Included(key), true);
        let mut entries = Vec::with_capacity(1);
        cursor.next_batch(&mut entries, 1)?;
        Ok(entries.first().map(|e| e.tid))
    }

    /// Remove every chunk of value `value_id`.
    fn delete_chunks(&self, rel: &ToastRelation, value_id: u32) -> Result<()> {
        let entries = self.chunk_tids(rel, value_id)?;
        let index = self.index(rel);
        let mut tids = Vec::with_capacity(entries.len());
        for (key, tid) in entries {
            index.delete(0, &key, tid)?;
            tids.push(tid);
        }
        self.prune(rel, tids)
    }

    fn delete_values(&self, pointers: &[ToastPointer]) -> Result<()> {
        pointers.iter().try_for_each(|p| self.delete_value(p))
    }

    /// The pointers among a tuple's stored values.
    pub fn pointers(values: &[Option<Stored<'_>>]) -> Result<Vec<ToastPointer>> {
        values
            .iter()
            .filter_map(|v| match v {
                Some(Stored::External(b)) => Some(ToastPointer::decode(b)),
                _ => None,
            })
            .collect()
    }

    /// Free the line pointers of chunk rows, block by block.
    fn prune(&self, rel: &ToastRelation, mut tids: Vec<Tid>) -> Result<()> {
        tids.sort_unstable();
        let heap = self.heap(rel);
        for group in tids.chunk_by(|a, b| a.block == b.block) {
            let offsets: Vec<u16> = group.iter().map(|t| t.offset).collect();
            heap.prune(group[0].block, &offsets)?;
        }
        Ok(())
    }

    /// Remove chunk rows that `dead` says no one can see: those whose
    /// inserter aborted (no live version points to a value made by an
    /// aborted transaction); how many. (A value's end is marked on its
    /// first chunk, but that chunk goes with the version that marked it,
    /// not here: see the module doc.)
    pub fn vacuum_orphans(
        &self,
        dead: &dyn Fn(&[u8]) -> Result<bool>,
        interrupted: &dyn Fn() -> Result<()>,
    ) -> Result<u64> {
        let Some(rel) = self.rel else { return Ok(0) };
        let heap = self.heap(&rel);
        let index = self.index(&rel);
        let desc = chunk_desc();
        let mut removed = 0;
        for block in 0..heap.nblocks()? {
            interrupted()?;
            let mut doomed = Vec::new();
            let mut error = None;
            heap.scan_block(block, |tid, t| match dead(t) {
                Ok(true) => {
                    let v = deform_stored(&desc, t);
                    let word = |i: usize| match v.get(i) {
                        Some(Some(Stored::Plain(b))) => (*b).try_into().map(u32::from_le_bytes).ok(),
                        _ => None,
                    };
                    if let (Some(id), Some(seq)) = (word(0), word(1)) {
                        doomed.push((chunk_key(id, seq), tid));
                    }
                }
                Ok(false) => {}
                Err(e) => error = Some(e),
            })?;
            if let Some(e) = error {
                return Err(e);
            }
            if doomed.is_empty() {
                continue;
            }
            for (key, tid) in &doomed {
                index.delete(0, key, *tid)?;
            }
            removed += doomed.len() as u64;
            self.prune(&rel, doomed.into_iter().map(|d| d.1).collect())?;
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests;
