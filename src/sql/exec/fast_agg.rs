//! Column-at-a-time aggregation for the common shape of analytic queries:
//! `count`, `sum`, `avg`, `min` and `max` over integer and float columns
//! (with `FILTER`), grouped by at most two keys of integer-like types.
//! Each batch's rows are first mapped to group numbers, then every
//! aggregate runs down its argument column into per-group arrays; nothing
//! is allocated per row. Other aggregations take the row-at-a-time path of
//! `AggState`. Both end in the same accumulators ([`Acc`]), so results,
//! group order (first seen first) and output formats are the same.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Time64MicrosecondType,
    TimestampMicrosecondType, UInt32Type,
};
use arrow_array::{Array, ArrayRef};

use super::Acc;
use crate::error::{Error, Result};
use crate::sql::expr::Expr;
use crate::sql::plan::{AggCall, AggFunc};
use crate::sql::types::{Datum, PgType};

/// Grouping keys: up to two, NULL as `None`.
type GroupKey = [Option<i64>; MAX_KEYS];

const MAX_KEYS: usize = 2;

/// Values of a single key below this find their group by index.
const DENSE: usize = 4096;
const NO_GROUP: u32 = u32::MAX;

/// A multiply-rotate hash for integer keys: the std hasher's collision
/// resistance buys nothing here and costs most of a lookup.
#[derive(Default)]
pub(super) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }

    fn write_isize(&mut self, v: isize) {
        self.write_u64(v as u64);
    }

    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

/// Per-group state of one aggregate, one entry per group.
enum Column {
    Count(Vec<i64>),
    IntSum { sum: Vec<i128>, count: Vec<i64> },
    FloatSum { sum: Vec<f64>, count: Vec<i64> },
    Min(Vec<Option<i64>>),
    Max(Vec<Option<i64>>),
}

impl Column {
    fn push_group(&mut self) {
        match self {
            Column::Count(c) => c.push(0),
            Column::IntSum { sum, count } => {
                sum.push(0);
                count.push(0);
            }
            Column::FloatSum { sum, count } => {
                sum.push(0.0);
                count.push(0);
            }
            Column::Min(v) | Column::Max(v) => v.push(None),
        }
    }
}

pub(super) struct FastAgg {
    key_types: Vec<PgType>,
    groups: HashMap<GroupKey, u32, BuildHasherDefault<IntHasher>>,
    keys: Vec<GroupKey>,
    /// A single key's group by value, for values below [`DENSE`].
    dense: Vec<u32>,
    columns: Vec<Column>,
    /// Scratch, per batch: each row's group, and a column's values widened.
    gids: Vec<u32>,
    ints: Vec<i64>,
    floats: Vec<f64>,
}

/// Types whose values fit an i64 exactly and compare as it does.
pub(super) fn integer_like(ty: PgType) -> bool {
    matches!(
        ty,
        PgType::Bool
            | PgType::Int2
            | PgType::Int4
            | PgType::Int8
            | PgType::Oid
            | PgType::Date
            | PgType::Time
            | PgType::Timestamp
            | PgType::TimestampTz
    )
}

impl FastAgg {
    /// The column-at-a-time form of this aggregation, if it has one.
    pub(super) fn new(groups: &[Expr], aggs: &[AggCall]) -> Option<FastAgg> {
        if groups.len() > MAX_KEYS || !groups.iter().all(|g| integer_like(g.ty())) {
            return None;
        }
        let mut columns = Vec::with_capacity(aggs.len());
        for a in aggs {
            if a.distinct || !a.order_by.is_empty() {
                return None;
            }
            let arg = a.args.first().map(Expr::ty);
            let column = match (a.func, arg) {
                (AggFunc::CountStar, _) | (AggFunc::Count, Some(_)) => Column::Count(Vec::new()),
                (AggFunc::Sum | AggFunc::Avg, Some(PgType::Int2 | PgType::Int4 | PgType::Int8)) => {
                    Column::IntSum { sum: Vec::new(), count: Vec::new() }
                }
                (AggFunc::Sum | AggFunc::Avg, Some(PgType::Float4 | PgType::Float8)) => {
                    Column::FloatSum { sum: Vec::new(), count: Vec::new() }
                }
                (AggFunc::Min, Some(t)) if integer_like(t) => Column::Min(Vec::new()),
                (AggFunc::Max, Some(t)) if integer_like(t) => Column::Max(Vec::new()),
                _ => return None,
            };
            columns.push(column);
        }
        Some(FastAgg {
            key_types: groups.iter().map(Expr::ty).collect(),
            groups: HashMap::default(),
            keys: Vec::new(),
            dense: Vec::new(),
            columns,
            gids: Vec::new(),
            ints: Vec::new(),
            floats: Vec::new(),
        })
    }

    /// Add a batch of `rows` rows: the grouping keys' columns, and each
    /// aggregate's argument (none for `count(*)`) and FILTER columns.
    pub(super) fn add(
        &mut self,
        keys: &[ArrayRef],
        args: &[Option<&ArrayRef>],
        filters: &[Option<&ArrayRef>],
        rows: usize,
    ) -> Result<()> {
        self.assign_groups(keys, rows)?;
        for (k, column) in self.columns.iter_mut().enumerate() {
            // The rows that count: those FILTER passes with a non-NULL
            // argument (any row for count(*)); `None`: every row.
            let mask = counted(args[k], filters[k]);
            let mask = mask.as_ref().map(|m| m.values());
            let gids = &self.gids;
            let arg = || args[k].ok_or_else(|| Error::internal("an aggregate without its argument"));
            match column {
                Column::Count(counts) => each(gids, mask, |g, _| counts[g] += 1),
                Column::IntSum { sum, count } => {
                    widen(arg()?, &mut self.ints)?;
                    let ints = &self.ints;
                    each(gids, mask, |g, i| {
                        sum[g] += ints[i] as i128;
                        count[g] += 1;
                    });
                }
                Column::FloatSum { sum, count } => {
                    widen_float(arg()?, &mut self.floats)?;
                    let floats = &self.floats;
                    each(gids, mask, |g, i| {
                        sum[g] += floats[i];
                        count[g] += 1;
                    });
                }
                Column::Min(best) => {
                    widen(arg()?, &mut self.ints)?;
                    let ints = &self.ints;
                    each(gids, mask, |g, i| {
                        if best[g].is_none_or(|b| ints[i] < b) {
                            best[g] = Some(ints[i]);
                        }
                    });
                }
                Column::Max(best) => {
                    widen(arg()?, &mut self.ints)?;
                    let ints = &self.ints;
                    each(gids, mask, |g, i| {
                        if best[g].is_none_or(|b| ints[i] > b) {
                            best[g] = Some(ints[i]);
                        }
                    });
                }
            }
        }
        Ok(())
    }

    /// Each row's group number into `gids`, adding groups first seen.
    fn assign_groups(&mut self, keys: &[ArrayRef], rows: usize) -> Result<()> {
        self.gids.clear();
        if keys.is_empty() {
            if self.keys.is_empty() {
                self.new_group([None; MAX_KEYS]);
            }
            self.gids.resize(rows, 0);
            return Ok(());
        }
        let mut widened: [Vec<i64>; MAX_KEYS] = Default::default();
        for (col, out) in keys.iter().zip(widened.iter_mut()) {
            widen(col, out)?;
        }
        if let [col] = keys {
            // One key: small non-negative values (k % 100, a flag) find
            // their group by index, the others through the map.
            let mut dense = std::mem::take(&mut self.dense);
            if dense.is_empty() {
                dense.resize(DENSE, NO_GROUP);
            }
            let nulls = col.nulls();
            for (i, &v) in widened[0].iter().enumerate().take(rows) {
                let g = if nulls.is_some_and(|n| n.is_null(i)) {
                    self.group_of([None; MAX_KEYS])
                } else if (v as u64) < DENSE as u64 {
                    let slot = &mut dense[v as usize];
                    if *slot == NO_GROUP {
                        *slot = self.group_of([Some(v), None]);
                    }
                    *slot
                } else {
                    self.group_of([Some(v), None])
                };
                self.gids.push(g);
            }
            self.dense = dense;
            return Ok(());
        }
        for i in 0..rows {
            let mut key = [None; MAX_KEYS];
            for ((slot, col), values) in key.iter_mut().zip(keys).zip(&widened) {
                *slot = col.is_valid(i).then(|| values[i]);
            }
            let g = self.group_of(key);
            self.gids.push(g);
        }
        Ok(())
    }

    fn group_of(&mut self, key: GroupKey) -> u32 {
        match self.groups.get(&key) {
            Some(&g) => g,
            None => self.new_group(key),
        }
    }

    fn new_group(&mut self, key: GroupKey) -> u32 {
        let g = self.keys.len() as u32;
        self.keys.push(key);
        self.groups.insert(key, g);
        for c in &mut self.columns {
            c.push_group();
        }
        g
    }

    /// The groups in the order first seen: their key values, and each
    /// aggregate's accumulator (`aggs` as given to [`FastAgg::new`]).
    pub(super) fn finish(self, aggs: &[AggCall]) -> (Vec<Vec<Datum>>, Vec<Vec<Acc>>) {
        let keys =
            self.keys.iter().map(|k| k.iter().zip(&self.key_types).map(|(v, t)| int_datum(*v, *t)).collect()).collect();
        let mut accs: Vec<Vec<Acc>> = (0..self.keys.len()).map(|_| Vec::with_capacity(aggs.len())).collect();
        for (column, call) in self.columns.into_iter().zip(aggs) {
            let arg = call.args.first().map_or(PgType::Int8, Expr::ty);
            match column {
                Column::Count(c) => accs.iter_mut().zip(c).for_each(|(a, n)| a.push(Acc::Count(n))),
                Column::IntSum { sum, count } => {
                    for ((a, sum), count) in accs.iter_mut().zip(sum).zip(count) {
                        a.push(Acc::IntSum { sum, count });
                    }
                }
                Column::FloatSum { sum, count } => {
                    for ((a, sum), count) in accs.iter_mut().zip(sum).zip(count) {
                        a.push(Acc::FloatSum { sum, count });
                    }
                }
                Column::Min(best) | Column::Max(best) => {
                    for (a, v) in accs.iter_mut().zip(best) {
                        a.push(Acc::MinMax(v.map(|v| int_datum(Some(v), arg))));
                    }
                }
            }
        }
        (keys, accs)
    }
}

/// Which rows an aggregate takes: FILTER true and the argument not NULL.
/// `None` when that is every row.
fn counted(arg: Option<&ArrayRef>, filter: Option<&ArrayRef>) -> Option<arrow_array::BooleanArray> {
    use arrow_buffer::{BooleanBuffer, NullBuffer};
    let filter = filter.map(|f| {
        let f = f.as_boolean();
        // NULL is not true.
        match f.nulls() {
            Some(n) => f.values() & n.inner(),
            None => f.values().clone(),
        }
    });
    let valid: Option<&NullBuffer> = arg.and_then(|a| a.nulls());
    let mask: Option<BooleanBuffer> = match (filter, valid) {
        (None, None) => None,
        (Some(f), None) => Some(f),
        (None, Some(v)) => Some(v.inner().clone()),
        (Some(f), Some(v)) => Some(&f & v.inner()),
    };
    mask.map(|m| arrow_array::BooleanArray::new(m, None))
}

/// Call `f(group, row)` for every row `mask` takes (all without one).
#[inline]
fn each(gids: &[u32], mask: Option<&arrow_buffer::BooleanBuffer>, mut f: impl FnMut(usize, usize)) {
    match mask {
        None => gids.iter().enumerate().for_each(|(i, &g)| f(g as usize, i)),
        Some(m) => m.set_indices().for_each(|i| f(gids[i] as usize, i)),
    }
}

/// A column of an integer-like type as i64s (NULLs' slots hold anything).
pub(super) fn widen(col: &ArrayRef, out: &mut Vec<i64>) -> Result<()> {
    use arrow_schema::DataType as D;
    out.clear();
    match col.data_type() {
        D::Boolean => out.extend(col.as_boolean().values().iter().map(i64::from)),
        D::Int16 => out.extend(col.as_primitive::<Int16Type>().values().iter().map(|&v| v as i64)),
        D::Int32 => out.extend(col.as_primitive::<Int32Type>().values().iter().map(|&v| v as i64)),
        D::Int64 => out.extend_from_slice(col.as_primitive::<Int64Type>().values()),
        D::UInt32 => out.extend(col.as_primitive::<UInt32Type>().values().iter().map(|&v| v as i64)),
        D::Date32 => out.extend(col.as_primitive::<Date32Type>().values().iter().map(|&v| v as i64)),
        D::Time64(_) => out.extend_from_slice(col.as_primitive::<Time64MicrosecondType>().values()),
        D::Timestamp(..) => out.extend_from_slice(col.as_primitive::<TimestampMicrosecondType>().values()),
        other => return Err(Error::internal(format!("an integer column of type {other}"))),
    }
    Ok(())
}

/// A float column as f64s.
fn widen_float(col: &ArrayRef, out: &mut Vec<f64>) -> Result<()> {
    use arrow_schema::DataType as D;
    out.clear();
    match col.data_type() {
        D::Float32 => out.extend(col.as_primitive::<Float32Type>().values().iter().map(|&v| v as f64)),
        D::Float64 => out.extend_from_slice(col.as_primitive::<Float64Type>().values()),
        other => return Err(Error::internal(format!("a float column of type {other}"))),
    }
    Ok(())
}

/// The value of an integer-like type held as an i64.
fn int_datum(v: Option<i64>, ty: PgType) -> Datum {
    let Some(v) = v else { return Datum::Null };
    match ty {
        PgType::Bool => Datum::Bool(v != 0),
        PgType::Int2 => Datum::Int2(v as i16),
        PgType::Int4 => Datum::Int4(v as i32),
        PgType::Oid => Datum::Oid(v as u32),
        PgType::Date => Datum::Date(v as i32),
        PgType::Time => Datum::Time(v),
        PgType::Timestamp => Datum::Timestamp(v),
        PgType::TimestampTz => Datum::TimestampTz(v),
        _ => Datum::Int8(v),
    }
}
