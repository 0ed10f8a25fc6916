//! Batches: the executor's unit of data, a set of Arrow arrays of equal
//! length, one per column. Each column's PostgreSQL type is carried by the
//! plan (see [`super::plan::Plan::types`]); the Arrow type follows from it:
//!
//! | PostgreSQL                         | Arrow                    |
//! |------------------------------------|--------------------------|
//! | bool                               | Boolean                  |
//! | int2 / int4 / int8                 | Int16 / Int32 / Int64    |
//! | float4 / float8                    | Float32 / Float64        |
//! | text, varchar, unknown, void       | Utf8                     |
//! | numeric                            | Utf8 (canonical decimal) |
//! | bpchar                             | Utf8 (blank-padded)      |
//! | date                               | Date32                   |
//! | time                               | Time64(µs)               |
//! | timetz                             | FixedSizeBinary(12) (the stored form) |
//! | timestamp / timestamptz            | Timestamp(µs[, "UTC"])   |
//! | interval                           | Interval(MonthDayNano)   |
//! | oid                                | UInt32                   |
//! | bytea                              | Binary                   |
//! | name, "char", regclass, regtype    | Utf8 (the text form)     |
//! | int2vector, oidvector, … (text form) | Utf8                   |
//! | arrays (`integer[]`, …)            | Binary (the stored form, see [`super::array`]) |
//! | enums                              | Binary (the stored form, see [`super::enums`]) |
//! | record                             | Binary (the stored form, see [`super::record`]) |
//!
//! Dates and timestamps count from PostgreSQL's epoch (2000-01-01), not
//! Unix's, exactly as PostgreSQL stores them: the whole PostgreSQL range and
//! `±infinity` (the extreme integers) fit, and storage needs no conversion.

use std::sync::Arc;

use arrow_array::builder::{BinaryBuilder, FixedSizeBinaryBuilder, StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::builder::{BooleanBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder, Int64Builder};
use arrow_array::builder::{
    Date32Builder, IntervalMonthDayNanoBuilder, Time64MicrosecondBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, IntervalMonthDayNanoType, Time64MicrosecondType, TimestampMicrosecondType};
use arrow_array::types::{Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_buffer::IntervalMonthDayNano;

use super::datetime::Interval;
use arrow_array::{Array, ArrayRef};

use super::types::{Datum, PgType};
use crate::error::{Error, Result, SqlState};

/// Rows per batch that scans and operators aim for.
pub const BATCH_ROWS: usize = 1024;

/// Columns of equal length. A batch may have rows but no columns (`SELECT count(*)`).
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub columns: Vec<ArrayRef>,
    pub rows: usize,
}

impl Batch {
    pub fn new(columns: Vec<ArrayRef>, rows: usize) -> Batch {
        Batch { columns, rows }
    }

    /// The value of column `col` in row `row`.
    pub fn datum(&self, col: usize, ty: PgType, row: usize) -> Datum {
        datum_at(&self.columns[col], ty, row)
    }

    /// The rows whose `keep` entry is true and not null.
    pub fn filter(&self, keep: &arrow_array::BooleanArray) -> Result<Batch> {
        if keep.null_count() == 0 && keep.true_count() == self.rows {
            return Ok(self.clone());
        }
        // A NULL in `keep` drops the row, as a WHERE clause does.
        let rows = (0..keep.len()).filter(|&i| keep.is_valid(i) && keep.value(i)).count();
        let columns = self
            .columns
            .iter()
            .map(|c| arrow_select::filter::filter(c.as_ref(), keep))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(arrow_error)?;
        Ok(Batch { columns, rows })
    }

    /// The rows at `indices`, in that order.
    pub fn take(&self, indices: &arrow_array::UInt32Array) -> Result<Batch> {
        let columns = self
            .columns
            .iter()
            .map(|c| arrow_select::take::take(c.as_ref(), indices, None))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(arrow_error)?;
        Ok(Batch { columns, rows: indices.len() })
    }

    /// Rows `offset..offset + len`.
    pub fn slice(&self, offset: usize, len: usize) -> Batch {
        Batch { columns: self.columns.iter().map(|c| c.slice(offset, len)).collect(), rows: len }
    }

    /// Several batches of the same columns as one.
    pub fn concat(batches: &[Batch], types: &[PgType]) -> Result<Batch> {
        let rows = batches.iter().map(|b| b.rows).sum();
        if batches.len() == 1 {
            return Ok(batches[0].clone());
        }
        let mut columns = Vec::with_capacity(types.len());
        for (i, ty) in types.iter().enumerate() {
            if batches.is_empty() {
                columns.push(ColumnBuilder::new(*ty, 0).finish());
                continue;
            }
            let parts: Vec<&dyn Array> = batches.iter().map(|b| b.columns[i].as_ref()).collect();
            columns.push(arrow_select::concat::concat(&parts).map_err(arrow_error)?);
        }
        Ok(Batch { columns, rows })
    }
}

pub fn arrow_error(e: arrow_schema::ArrowError) -> Error {
    Error::internal(format!("array operation failed: {e}"))
}

/// The value at `i` of an array holding type `ty`.
pub fn datum_at(col: &ArrayRef, ty: PgType, i: usize) -> Datum {
    if col.is_null(i) {
        return Datum::Null;
    }
    match ty {
        PgType::Bool => Datum::Bool(col.as_boolean().value(i)),
        PgType::Int2 => Datum::Int2(col.as_primitive::<Int16Type>().value(i)),
        PgType::Int4 => Datum::Int4(col.as_primitive::<Int32Type>().value(i)),
        PgType::Int8 => Datum::Int8(col.as_primitive::<Int64Type>().value(i)),
        PgType::Float4 => Datum::Float4(col.as_primitive::<Float32Type>().value(i)),
        PgType::Float8 => Datum::Float8(col.as_primitive::<Float64Type>().value(i)),
        PgType::Numeric => Datum::Numeric(col.as_string::<i32>().value(i).to_string()),
        PgType::Oid | PgType::Xid | PgType::Cid => Datum::Oid(col.as_primitive::<UInt32Type>().value(i)),
        PgType::Tid => tid_datum(col.as_primitive::<Int64Type>().value(i)),
        PgType::PgLsn => Datum::PgLsn(col.as_primitive::<UInt64Type>().value(i)),
        PgType::Xid8 => Datum::Xid8(col.as_primitive::<UInt64Type>().value(i)),
        PgType::PgSnapshot | PgType::TxidSnapshot => {
            match super::xid8::XidSnapshot::from_storage(col.as_binary::<i32>().value(i)) {
                Some(snap) => Datum::Snapshot(Box::new(snap)),
                None => Datum::Null,
            }
        }
        PgType::Bpchar => Datum::Bpchar(col.as_string::<i32>().value(i).to_string()),
        PgType::Date => Datum::Date(col.as_primitive::<Date32Type>().value(i)),
        PgType::Time => Datum::Time(col.as_primitive::<Time64MicrosecondType>().value(i)),
        PgType::TimeTz => super::types::timetz_from_storage(col.as_fixed_size_binary().value(i)).unwrap_or(Datum::Null),
        PgType::Timestamp => Datum::Timestamp(col.as_primitive::<TimestampMicrosecondType>().value(i)),
        PgType::TimestampTz => Datum::TimestampTz(col.as_primitive::<TimestampMicrosecondType>().value(i)),
        PgType::Bytea => Datum::Bytea(col.as_binary::<i32>().value(i).to_vec()),
        PgType::Array(_) | PgType::EnumArray(_) => {
            let elem = ty.elem().unwrap_or(PgType::Text);
            match super::array::ArrayValue::from_storage(elem, col.as_binary::<i32>().value(i)) {
                Ok(a) => a.into_datum(),
                Err(_) => Datum::Null,
            }
        }
        PgType::Uuid => match col.as_fixed_size_binary().value(i).try_into() {
            Ok(u) => Datum::Uuid(u),
            Err(_) => Datum::Null,
        },
        PgType::Jsonb => match super::json::Jsonb::from_storage(col.as_binary::<i32>().value(i)) {
            Some(j) => Datum::Jsonb(Box::new(j)),
            None => Datum::Null,
        },
        PgType::Enum(_) => super::enums::from_storage(col.as_binary::<i32>().value(i)).unwrap_or(Datum::Null),
        PgType::Record | PgType::Composite(_) => {
            super::record::RecordValue::from_storage(col.as_binary::<i32>().value(i))
                .map_or(Datum::Null, super::record::RecordValue::into_datum)
        }
        PgType::Interval => {
            let v = col.as_primitive::<IntervalMonthDayNanoType>().value(i);
            Datum::Interval(Interval { months: v.months, days: v.days, micros: v.nanoseconds / 1000 })
        }
        // The types held as text (PgType::held_as_text).
        _ => Datum::Text(col.as_string::<i32>().value(i).to_string()),
    }
}

/// A `tid` from its packed form in an Arrow column: the block number
/// above the 16 bits of the offset (an order-preserving packing).
pub fn tid_datum(packed: i64) -> Datum {
    Datum::Tid((packed >> 16) as u32, packed as u16)
}

/// The packed form of a `tid` (see [`tid_datum`]).
pub fn tid_packed(block: u32, offset: u16) -> i64 {
    ((block as i64) << 16) | offset as i64
}

fn interval_value(iv: &Interval) -> Result<IntervalMonthDayNano> {
    let nanoseconds = iv.micros.checked_mul(1000).ok_or_else(super::datetime::interval_out_of_range)?;
    Ok(IntervalMonthDayNano { months: iv.months, days: iv.days, nanoseconds })
}

/// An array of `rows` copies of one value.
pub fn repeat(d: &Datum, ty: PgType, rows: usize) -> Result<ArrayRef> {
    let mut b = ColumnBuilder::new(ty, rows);
    for _ in 0..rows {
        b.push(d)?;
    }
    Ok(b.finish())
}

/// Builds one column of a batch.
pub enum ColumnBuilder {
    Bool(BooleanBuilder),
    Int2(Int16Builder),
    Int4(Int32Builder),
    Int8(Int64Builder),
    Float4(Float32Builder),
    Float8(Float64Builder),
    Text(StringBuilder),
    /// numeric: canonical text in a Utf8 column, from the packed stored
    /// form when scanned (see the module doc of `numeric`).
    Numeric(StringBuilder),
    Date(Date32Builder),
    Time(Time64MicrosecondBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Interval(IntervalMonthDayNanoBuilder),
    Oid(UInt32Builder),
    /// pg_lsn, xid8.
    U64(UInt64Builder),
    Bytea(BinaryBuilder),
    /// uuid: 16 bytes a value.
    Uuid(FixedSizeBinaryBuilder),
    /// timetz: its 12 stored bytes (see [`super::types::timetz_storage`]).
    TimeTz(FixedSizeBinaryBuilder),
    /// tid: packed into 64 bits (see [`tid_packed`]).
    Tid(Int64Builder),
    /// A column of this type that nothing above the scan reads: only its
    /// rows are counted, and it comes out all NULL.
    Skip(PgType, usize),
}

impl ColumnBuilder {
    pub fn new(ty: PgType, capacity: usize) -> ColumnBuilder {
        match ty {
            PgType::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            PgType::Int2 => ColumnBuilder::Int2(Int16Builder::with_capacity(capacity)),
            PgType::Int4 => ColumnBuilder::Int4(Int32Builder::with_capacity(capacity)),
            PgType::Int8 => ColumnBuilder::Int8(Int64Builder::with_capacity(capacity)),
            PgType::Float4 => ColumnBuilder::Float4(Float32Builder::with_capacity(capacity)),
            PgType::Float8 => ColumnBuilder::Float8(Float64Builder::with_capacity(capacity)),
            PgType::Oid | PgType::Xid | PgType::Cid => ColumnBuilder::Oid(UInt32Builder::with_capacity(capacity)),
            PgType::Tid => ColumnBuilder::Tid(Int64Builder::with_capacity(capacity)),
            PgType::PgLsn | PgType::Xid8 => ColumnBuilder::U64(UInt64Builder::with_capacity(capacity)),
            PgType::Date => ColumnBuilder::Date(Date32Builder::with_capacity(capacity)),
            PgType::Time => ColumnBuilder::Time(Time64MicrosecondBuilder::with_capacity(capacity)),
            PgType::Timestamp => ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::with_capacity(capacity)),
            PgType::TimestampTz => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC"))
            }
            PgType::Interval => ColumnBuilder::Interval(IntervalMonthDayNanoBuilder::with_capacity(capacity)),
            PgType::Uuid => ColumnBuilder::Uuid(FixedSizeBinaryBuilder::with_capacity(capacity, 16)),
            PgType::TimeTz => ColumnBuilder::TimeTz(FixedSizeBinaryBuilder::with_capacity(capacity, 12)),
            PgType::Bytea
            | PgType::Array(_)
            | PgType::Jsonb
            | PgType::Enum(_)
            | PgType::EnumArray(_)
            | PgType::PgSnapshot
            | PgType::TxidSnapshot
            | PgType::Record
            | PgType::Composite(_) => ColumnBuilder::Bytea(BinaryBuilder::with_capacity(capacity, capacity * 8)),
            PgType::Numeric => ColumnBuilder::Numeric(StringBuilder::with_capacity(capacity, capacity * 8)),
            // Bpchar and the types held as text.
            _ => ColumnBuilder::Text(StringBuilder::with_capacity(capacity, capacity * 8)),
        }
    }

    /// A builder for a column nothing reads (see [`ColumnBuilder::Skip`]).
    pub fn skip(ty: PgType) -> ColumnBuilder {
        ColumnBuilder::Skip(ty, 0)
    }

    pub fn is_skip(&self) -> bool {
        matches!(self, ColumnBuilder::Skip(..))
    }

    pub fn push_null(&mut self) {
        match self {
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Int2(b) => b.append_null(),
            ColumnBuilder::Int4(b) => b.append_null(),
            ColumnBuilder::Int8(b) | ColumnBuilder::Tid(b) => b.append_null(),
            ColumnBuilder::Float4(b) => b.append_null(),
            ColumnBuilder::Float8(b) => b.append_null(),
            ColumnBuilder::Text(b) | ColumnBuilder::Numeric(b) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Time(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::Interval(b) => b.append_null(),
            ColumnBuilder::Oid(b) => b.append_null(),
            ColumnBuilder::U64(b) => b.append_null(),
            ColumnBuilder::Bytea(b) => b.append_null(),
            ColumnBuilder::Uuid(b) | ColumnBuilder::TimeTz(b) => b.append_null(),
            ColumnBuilder::Skip(_, rows) => *rows += 1,
        }
    }

    /// Append a value, which must be of the column's type (or NULL).
    pub fn push(&mut self, d: &Datum) -> Result<()> {
        match (self, d) {
            (b @ ColumnBuilder::Skip(..), _) | (b, Datum::Null) => b.push_null(),
            (ColumnBuilder::Bool(b), Datum::Bool(v)) => b.append_value(*v),
            (ColumnBuilder::Int2(b), Datum::Int2(v)) => b.append_value(*v),
            (ColumnBuilder::Int4(b), Datum::Int4(v)) => b.append_value(*v),
            (ColumnBuilder::Int8(b), Datum::Int8(v)) => b.append_value(*v),
            (ColumnBuilder::Float4(b), Datum::Float4(v)) => b.append_value(*v),
            (ColumnBuilder::Float8(b), Datum::Float8(v)) => b.append_value(*v),
            (ColumnBuilder::Text(b), Datum::Text(s) | Datum::Numeric(s) | Datum::Bpchar(s)) => b.append_value(s),
            (ColumnBuilder::Numeric(b), Datum::Numeric(s)) => b.append_value(s),
            (ColumnBuilder::Date(b), Datum::Date(v)) => b.append_value(*v),
            (ColumnBuilder::Time(b), Datum::Time(v)) => b.append_value(*v),
            (ColumnBuilder::Timestamp(b), Datum::Timestamp(v) | Datum::TimestampTz(v)) => b.append_value(*v),
            (ColumnBuilder::Interval(b), Datum::Interval(v)) => b.append_value(interval_value(v)?),
            (ColumnBuilder::Oid(b), Datum::Oid(v)) => b.append_value(*v),
            (ColumnBuilder::U64(b), Datum::PgLsn(v) | Datum::Xid8(v)) => b.append_value(*v),
            (ColumnBuilder::Bytea(b), Datum::Bytea(v)) => b.append_value(v),
            (ColumnBuilder::Uuid(b), Datum::Uuid(u)) => b.append_value(u).map_err(arrow_error)?,
            (ColumnBuilder::TimeTz(b), Datum::TimeTz { micros, offset_secs }) => {
                b.append_value(super::types::timetz_storage(*micros, *offset_secs)).map_err(arrow_error)?
            }
            (ColumnBuilder::Tid(b), Datum::Tid(block, offset)) => b.append_value(tid_packed(*block, *offset)),
            (ColumnBuilder::Bytea(b), Datum::Jsonb(j)) => b.append_value(j.storage_bytes()),
            (ColumnBuilder::Bytea(b), Datum::Enum(sort, label)) => b.append_value(super::enums::storage(*sort, label)),
            (ColumnBuilder::Bytea(b), Datum::Snapshot(snap)) => b.append_value(snap.storage_bytes()),
            (ColumnBuilder::Bytea(b), Datum::Record(r)) => {
                let mut bytes = Vec::new();
                r.write_storage(&mut bytes);
                b.append_value(&bytes)
            }
            (ColumnBuilder::Bytea(b), Datum::Array(a)) => {
                let mut bytes = Vec::new();
                a.write_storage(&mut bytes);
                b.append_value(&bytes)
            }
            (_, other) => return Err(Error::internal(format!("value {other:?} does not match its column's type"))),
        }
        Ok(())
    }

    /// Append a value from its on-disk bytes (see [`Datum::storage_bytes`]).
    pub fn push_storage(&mut self, bytes: &[u8]) -> Result<()> {
        let bad = || Error::new(SqlState::DATA_CORRUPTED, "invalid stored value");
        match self {
            ColumnBuilder::Bool(b) => b.append_value(*bytes.first().ok_or_else(bad)? != 0),
            ColumnBuilder::Int2(b) => b.append_value(i16::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Int4(b) => b.append_value(i32::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Int8(b) => b.append_value(i64::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Float4(b) => b.append_value(f32::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Float8(b) => b.append_value(f64::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Text(b) => b.append_value(std::str::from_utf8(bytes).map_err(|_| bad())?),
            ColumnBuilder::Numeric(b) => b.append_value(super::numeric::from_storage(bytes).ok_or_else(bad)?),
            ColumnBuilder::Date(b) => b.append_value(i32::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Time(b) => b.append_value(i64::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Timestamp(b) => b.append_value(i64::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Interval(b) => {
                let iv = super::types::interval_from_storage(bytes).ok_or_else(bad)?;
                b.append_value(interval_value(&iv)?)
            }
            ColumnBuilder::Oid(b) => b.append_value(u32::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::U64(b) => b.append_value(u64::from_le_bytes(bytes.try_into().map_err(|_| bad())?)),
            ColumnBuilder::Bytea(b) => b.append_value(bytes),
            ColumnBuilder::Uuid(b) | ColumnBuilder::TimeTz(b) => b.append_value(bytes).map_err(|_| bad())?,
            ColumnBuilder::Tid(b) => match Datum::from_storage(PgType::Tid, bytes)? {
                Datum::Tid(block, offset) => b.append_value(tid_packed(block, offset)),
                _ => return Err(bad()),
            },
            ColumnBuilder::Skip(_, rows) => *rows += 1,
        }
        Ok(())
    }

    /// Push the value at `off..off + len` of each of `data` (tuples' data
    /// areas, values stored plain): [`ColumnBuilder::push_storage`] for a
    /// run of rows, deciding the column's type once.
    pub fn push_fixed_run(&mut self, data: &[&[u8]], off: usize, len: usize) -> Result<()> {
        // Values go to the builder a slice at a time: one capacity check
        // and one validity update per slice, not per value.
        fn run<const N: usize, T: Copy + Default>(
            data: &[&[u8]],
            off: usize,
            mut push: impl FnMut(&[T]),
            read: impl Fn([u8; N]) -> T,
        ) {
            let mut values = [T::default(); 256];
            for chunk in data.chunks(values.len()) {
                for (slot, d) in values.iter_mut().zip(chunk) {
                    let mut v = [0u8; N];
                    v.copy_from_slice(&d[off..off + N]);
                    *slot = read(v);
                }
                push(&values[..chunk.len()]);
            }
        }
        if data.iter().any(|d| d.len() < off + len) {
            return Err(Error::new(SqlState::DATA_CORRUPTED, "invalid stored value"));
        }
        match self {
            ColumnBuilder::Skip(_, rows) => *rows += data.len(),
            ColumnBuilder::Int4(b) if len == 4 => run(data, off, |v| b.append_slice(v), i32::from_le_bytes),
            ColumnBuilder::Date(b) if len == 4 => run(data, off, |v| b.append_slice(v), i32::from_le_bytes),
            ColumnBuilder::Int8(b) if len == 8 => run(data, off, |v| b.append_slice(v), i64::from_le_bytes),
            ColumnBuilder::Float8(b) if len == 8 => run(data, off, |v| b.append_slice(v), f64::from_le_bytes),
            ColumnBuilder::Timestamp(b) if len == 8 => run(data, off, |v| b.append_slice(v), i64::from_le_bytes),
            _ => {
                for d in data {
                    self.push_storage(&d[off..off + len])?;
                }
            }
        }
        Ok(())
    }

    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Int2(b) => Arc::new(b.finish()),
            ColumnBuilder::Int4(b) => Arc::new(b.finish()),
            ColumnBuilder::Int8(b) | ColumnBuilder::Tid(b) => Arc::new(b.finish()),
            ColumnBuilder::Float4(b) => Arc::new(b.finish()),
            ColumnBuilder::Float8(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b) | ColumnBuilder::Numeric(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Time(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::Interval(b) => Arc::new(b.finish()),
            ColumnBuilder::Oid(b) => Arc::new(b.finish()),
            ColumnBuilder::U64(b) => Arc::new(b.finish()),
            ColumnBuilder::Bytea(b) => Arc::new(b.finish()),
            ColumnBuilder::Uuid(b) | ColumnBuilder::TimeTz(b) => Arc::new(b.finish()),
            ColumnBuilder::Skip(ty, rows) => null_array(*ty, std::mem::take(rows)),
        }
    }
}

/// `rows` NULLs of type `ty`: for short runs, a slice of an array kept
/// per thread and type (a point lookup's scan makes one per unread
/// column, and a new one costs several allocations).
fn null_array(ty: PgType, rows: usize) -> ArrayRef {
    thread_local! {
        static NULLS: std::cell::RefCell<Vec<(PgType, ArrayRef)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let make = |ty: PgType, rows: usize| {
        let empty = ColumnBuilder::new(ty, 0).finish();
        arrow_array::new_null_array(empty.data_type(), rows)
    };
    if rows > BATCH_ROWS {
        return make(ty, rows);
    }
    // One entry per Arrow type: the types held as bytes share one.
    let key = match ty {
        PgType::Array(_) | PgType::Jsonb | PgType::Enum(_) | PgType::EnumArray(_) | PgType::Composite(_) => {
            PgType::Bytea
        }
        t => t,
    };
    NULLS.with_borrow_mut(|nulls| {
        let at = match nulls.iter().position(|(t, _)| *t == key) {
            Some(at) => at,
            None => {
                nulls.push((key, make(key, BATCH_ROWS)));
                nulls.len() - 1
            }
        };
        nulls[at].1.slice(0, rows)
    })
}

/// Build a batch from rows of values.
pub fn from_rows(rows: &[Vec<Datum>], types: &[PgType]) -> Result<Batch> {
    let mut builders: Vec<ColumnBuilder> = types.iter().map(|t| ColumnBuilder::new(*t, rows.len())).collect();
    for row in rows {
        for (b, d) in builders.iter_mut().zip(row) {
            b.push(d)?;
        }
    }
    Ok(Batch { columns: builders.iter_mut().map(ColumnBuilder::finish).collect(), rows: rows.len() })
}
