//! The window operator (`WindowAgg`): reads all its input (sorted by the
//! partition and order columns), then for each row computes every window
//! function over the row's partition, peers and frame, and passes the rows
//! on with the results appended.
//!
//! Partitions are runs of rows equal in the partition columns; peer groups
//! are runs within a partition equal in the order columns. A frame is a
//! range of row positions `[start, end)` inside the partition; aggregates
//! over a frame that only grows at its end are updated incrementally, so
//! the default frame (`RANGE UNBOUNDED PRECEDING` to the current row's last
//! peer) costs one pass.

use std::cmp::Ordering;

use arrow_array::ArrayRef;

use super::{
    Acc, ExecCx, Node, RowCx, Step, collect_input, eval_batch, finish_acc, new_acc, next_slice, sort_cmp, update_acc,
};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::batch::{Batch, ColumnBuilder, datum_at};
use crate::sql::expr::eval;
use crate::sql::plan::{AggCall, Frame, FrameBound, FrameUnits, SortKey, WinCall, WinFunc};
use crate::sql::types::{Datum, PgType};

pub(super) struct WindowState {
    pub input: Node,
    pub partition: Vec<usize>,
    pub order: Vec<SortKey>,
    pub frame: Frame,
    pub funcs: Vec<WinCall>,
    /// The input's column types.
    pub types: Vec<PgType>,
    pub batches: Vec<Batch>,
    pub output: Option<(Batch, usize)>,
}

/// Where a row stands in its partition.
struct Place<'a> {
    row: usize,
    /// The partition's rows: `[start, end)`.
    start: usize,
    end: usize,
    /// Index of the row's peer group in the partition, and the start of
    /// every peer group of the partition followed by `end`.
    group: usize,
    groups: &'a [usize],
    /// Every row's value of the (single) order column, for RANGE offsets.
    key: Option<&'a [Datum]>,
}

/// The frame's offsets: counts of rows or groups, or (RANGE) distances in
/// the order column's type; NULL where an end has none.
type Offsets = (Datum, Datum);

fn count(d: &Datum) -> u64 {
    d.as_i64().map_or(0, |v| v.max(0) as u64)
}

impl WindowState {
    pub(super) fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        if self.output.is_none() {
            if !collect_input(&mut self.input, &mut self.batches, cx)? {
                return Ok(Step::Yield);
            }
            let all = Batch::concat(&std::mem::take(&mut self.batches), &self.types)?;
            let mut columns = all.columns.clone();
            columns.extend(self.compute(&all, cx)?);
            self.output = Some((Batch::new(columns, all.rows), 0));
        }
        Ok(next_slice(&mut self.output))
    }

    /// The result columns of the window functions over all rows.
    fn compute(&self, all: &Batch, cx: &mut ExecCx<'_>) -> Result<Vec<ArrayRef>> {
        let n = all.rows;
        let values = |c: usize| -> Vec<Datum> { (0..n).map(|i| datum_at(&all.columns[c], self.types[c], i)).collect() };
        let part: Vec<Vec<Datum>> = self.partition.iter().map(|&c| values(c)).collect();
        let order: Vec<Vec<Datum>> = self.order.iter().map(|k| values(k.column)).collect();
        let equal = |keys: &[Vec<Datum>], a: usize, b: usize| {
            keys.iter().all(|v| sort_cmp(&v[a], &v[b], false, false) == Ordering::Equal)
        };
        // Arguments and filters of every call, row by row.
        let mut args: Vec<Vec<Vec<Datum>>> = Vec::with_capacity(self.funcs.len());
        let mut filters: Vec<Option<Vec<bool>>> = Vec::with_capacity(self.funcs.len());
        for f in &self.funcs {
            let mut cols = Vec::with_capacity(f.args.len());
            for e in &f.args {
                let col = eval_batch(e, all, cx)?;
                cols.push((0..n).map(|i| datum_at(&col, e.ty(), i)).collect());
            }
            args.push(cols);
            filters.push(match &f.filter {
                Some(e) => {
                    let col = eval_batch(e, all, cx)?;
                    Some((0..n).map(|i| datum_at(&col, PgType::Bool, i) == Datum::Bool(true)).collect())
                }
                None => None,
            });
        }
        let offsets = if n > 0 { self.offsets(cx)? } else { (Datum::Null, Datum::Null) };
        let aggs: Vec<Option<AggCall>> = self.funcs.iter().map(WinCall::aggregate).collect();
        let mut out: Vec<Vec<Datum>> = vec![Vec::with_capacity(n); self.funcs.len()];
        let mut start = 0;
        while start < n {
            let mut end = start + 1;
            while end < n && equal(&part, start, end) {
                end += 1;
            }
            let mut groups = vec![start];
            for i in start + 1..end {
                if !equal(&order, i - 1, i) {
                    groups.push(i);
                }
            }
            groups.push(end);
            for (k, f) in self.funcs.iter().enumerate() {
                let mut running: Option<(usize, usize, Acc)> = None;
                let mut last: Option<(usize, usize, Datum)> = None;
                let mut group = 0;
                for row in start..end {
                    while groups[group + 1] <= row {
                        group += 1;
                    }
                    let place =
                        Place { row, start, end, group, groups: &groups, key: order.first().map(Vec::as_slice) };
                    let v = match &aggs[k] {
                        Some(call) => {
                            let (s, e) = self.frame_of(&place, &offsets)?;
                            match &last {
                                Some((ls, le, v)) if *ls == s && *le == e => v.clone(),
                                _ => {
                                    let acc = match running.take() {
                                        Some((rs, re, acc)) if rs == s && re <= e => {
                                            let mut acc = acc;
                                            self.add_rows(&mut acc, call, &args[k], &filters[k], re, e)?;
                                            acc
                                        }
                                        _ => {
                                            let mut acc = new_acc(call);
                                            self.add_rows(&mut acc, call, &args[k], &filters[k], s, e)?;
                                            acc
                                        }
                                    };
                                    let v = finish_acc(acc.clone(), call)?;
                                    running = Some((s, e, acc));
                                    last = Some((s, e, v.clone()));
                                    v
                                }
                            }
                        }
                        None => self.function(f, &place, &args[k], &offsets)?,
                    };
                    out[k].push(v);
                }
            }
            start = end;
        }
        let mut columns = Vec::with_capacity(self.funcs.len());
        for (f, vals) in self.funcs.iter().zip(out) {
            let mut b = ColumnBuilder::new(f.ty, vals.len());
            for v in &vals {
                b.push(v)?;
            }
            columns.push(b.finish());
        }
        Ok(columns)
    }

    fn add_rows(
        &self,
        acc: &mut Acc,
        call: &AggCall,
        args: &[Vec<Datum>],
        filter: &Option<Vec<bool>>,
        from: usize,
        to: usize,
    ) -> Result<()> {
        for i in from..to {
            if filter.as_ref().is_some_and(|f| !f[i]) {
                continue;
            }
            let values: Vec<Datum> = args.iter().map(|a| a[i].clone()).collect();
            update_acc(acc, call, &values, Vec::new())?;
        }
        Ok(())
    }

    /// The frame's offsets, checked.
    fn offsets(&self, cx: &mut ExecCx<'_>) -> Result<Offsets> {
        let range = self.frame.units == FrameUnits::Range;
        let mut value = |b: &FrameBound, which: &str| -> Result<Datum> {
            let (FrameBound::Preceding(e) | FrameBound::Following(e)) = b else { return Ok(Datum::Null) };
            let d = eval(e, &mut RowCx { cx, row: &[] })?;
            if d.is_null() {
                return Err(err!(SqlState::NULL_VALUE_NOT_ALLOWED, "frame {which} offset must not be null"));
            }
            if crate::sql::expr::compare(&d, &Datum::Int4(0)) == Ordering::Less {
                return Err(if range {
                    err!(
                        SqlState::INVALID_PRECEDING_OR_FOLLOWING_SIZE,
                        "invalid preceding or following size in window function"
                    )
                } else {
                    err!(SqlState::INVALID_PRECEDING_OR_FOLLOWING_SIZE, "frame {which} offset must not be negative")
                });
            }
            Ok(d)
        };
        Ok((value(&self.frame.start, "starting")?, value(&self.frame.end, "ending")?))
    }

    /// RANGE with an offset: the first row of the partition whose order
    /// value is past `value ± offset` (`after`: strictly past; else at or
    /// past), in the order's direction. NULLs are peers only of NULLs.
    fn range_edge(&self, p: &Place<'_>, offset: &Datum, following: bool, after: bool) -> Result<usize> {
        let keys = p.key.unwrap_or_default();
        let v = &keys[p.row];
        if v.is_null() {
            // The current row's peers: the NULLs.
            return Ok(if after { p.groups[p.group + 1] } else { p.groups[p.group] });
        }
        let descending = self.order.first().is_some_and(|k| k.descending);
        let up = following != descending;
        let target = shift(v, offset, up)?;
        // Order values as the sort placed them: ascending in `cmp`.
        let cmp = |x: &Datum| {
            let o = crate::sql::expr::compare(x, &target);
            if descending { o.reverse() } else { o }
        };
        // Non-null rows form one sorted run in the partition.
        let (mut lo, mut hi) = (p.start, p.end);
        while lo < p.end && keys[lo].is_null() {
            lo += 1;
        }
        while hi > lo && keys[hi - 1].is_null() {
            hi -= 1;
        }
        let run = &keys[lo..hi];
        let k = run.partition_point(|x| if after { cmp(x) != Ordering::Greater } else { cmp(x) == Ordering::Less });
        Ok(lo + k)
    }

    /// The frame of a row: positions `[start, end)`, empty when `end <= start`.
    fn frame_of(&self, p: &Place<'_>, offsets: &Offsets) -> Result<(usize, usize)> {
        if self.frame.units == FrameUnits::Range {
            let s = match &self.frame.start {
                FrameBound::Preceding(_) => self.range_edge(p, &offsets.0, false, false)?,
                FrameBound::Following(_) => self.range_edge(p, &offsets.0, true, false)?,
                FrameBound::UnboundedPreceding => p.start,
                FrameBound::CurrentRow => p.groups[p.group],
                FrameBound::UnboundedFollowing => p.end,
            };
            let e = match &self.frame.end {
                FrameBound::Preceding(_) => self.range_edge(p, &offsets.1, false, true)?,
                FrameBound::Following(_) => self.range_edge(p, &offsets.1, true, true)?,
                FrameBound::UnboundedPreceding => p.start,
                FrameBound::CurrentRow => p.groups[p.group + 1],
                FrameBound::UnboundedFollowing => p.end,
            };
            return Ok((s, e.max(s)));
        }
        let (start_off, end_off) = (count(&offsets.0), count(&offsets.1));
        let ngroups = p.groups.len() - 1;
        let sub = |a: usize, k: u64| a.saturating_sub(usize::try_from(k).unwrap_or(usize::MAX));
        let add = |a: usize, k: u64| a.saturating_add(usize::try_from(k).unwrap_or(usize::MAX));
        let s = match (&self.frame.start, self.frame.units) {
            (FrameBound::UnboundedPreceding, _) => p.start,
            (FrameBound::CurrentRow, FrameUnits::Rows) => p.row,
            (FrameBound::CurrentRow, _) => p.groups[p.group],
            (FrameBound::Preceding(_), FrameUnits::Rows) => sub(p.row, start_off).max(p.start),
            (FrameBound::Preceding(_), _) => p.groups[sub(p.group, start_off)],
            (FrameBound::Following(_), FrameUnits::Rows) => add(p.row, start_off).min(p.end),
            (FrameBound::Following(_), _) => p.groups[add(p.group, start_off).min(ngroups)],
            (FrameBound::UnboundedFollowing, _) => p.end,
        };
        let e = match (&self.frame.end, self.frame.units) {
            (FrameBound::UnboundedPreceding, _) => p.start,
            (FrameBound::CurrentRow, FrameUnits::Rows) => p.row + 1,
            (FrameBound::CurrentRow, _) => p.groups[p.group + 1],
            (FrameBound::Preceding(_), FrameUnits::Rows) => {
                if p.row < add(p.start, end_off) {
                    p.start
                } else {
                    sub(p.row, end_off) + 1
                }
            }
            (FrameBound::Preceding(_), _) => {
                if (p.group as u64) < end_off {
                    p.start
                } else {
                    p.groups[p.group - end_off as usize + 1]
                }
            }
            (FrameBound::Following(_), FrameUnits::Rows) => add(add(p.row, end_off), 1).min(p.end),
            (FrameBound::Following(_), _) => p.groups[add(add(p.group, end_off), 1).min(ngroups)],
            (FrameBound::UnboundedFollowing, _) => p.end,
        };
        Ok((s, e.max(s)))
    }

    /// The value of a window function proper for one row.
    fn function(&self, f: &WinCall, p: &Place<'_>, args: &[Vec<Datum>], offsets: &Offsets) -> Result<Datum> {
        let count = (p.end - p.start) as i64;
        let rank = (p.groups[p.group] - p.start) as i64 + 1;
        Ok(match f.func {
            WinFunc::RowNumber => Datum::Int8((p.row - p.start) as i64 + 1),
            WinFunc::Rank => Datum::Int8(rank),
            WinFunc::DenseRank => Datum::Int8(p.group as i64 + 1),
            WinFunc::PercentRank => Datum::Float8(if count > 1 { (rank - 1) as f64 / (count - 1) as f64 } else { 0.0 }),
            WinFunc::CumeDist => Datum::Float8((p.groups[p.group + 1] - p.start) as f64 / count as f64),
            WinFunc::Ntile => {
                // The bucket count is read at the partition's first row.
                let Some(buckets) = args[0][p.start].as_i64() else { return Ok(Datum::Null) };
                if buckets <= 0 {
                    return Err(err!(
                        SqlState::INVALID_ARGUMENT_FOR_NTILE,
                        "argument of ntile must be greater than zero"
                    ));
                }
                let pos = (p.row - p.start) as i64;
                let (per, extra) = (count / buckets, count % buckets);
                let big = extra * (per + 1);
                let bucket = if pos < big { pos / (per + 1) } else { extra + (pos - big) / per.max(1) };
                Datum::Int4(bucket as i32 + 1)
            }
            WinFunc::Lag | WinFunc::Lead => {
                let offset = match args.get(1) {
                    Some(a) => match a[p.row].as_i64() {
                        Some(o) => o,
                        None => return Ok(Datum::Null),
                    },
                    None => 1,
                };
                let target = if f.func == WinFunc::Lag { p.row as i64 - offset } else { p.row as i64 + offset };
                if target >= p.start as i64 && target < p.end as i64 {
                    args[0][target as usize].clone()
                } else {
                    args.get(2).map_or(Datum::Null, |d| d[p.row].clone())
                }
            }
            WinFunc::FirstValue | WinFunc::LastValue | WinFunc::NthValue => {
                let (s, e) = self.frame_of(p, offsets)?;
                let at = match f.func {
                    WinFunc::FirstValue => s,
                    WinFunc::LastValue => e.wrapping_sub(1),
                    _ => {
                        let Some(nth) = args[1][p.row].as_i64() else { return Ok(Datum::Null) };
                        if nth <= 0 {
                            return Err(err!(
                                SqlState::INVALID_ARGUMENT_FOR_NTH_VALUE,
                                "argument of nth_value must be greater than zero"
                            ));
                        }
                        s.saturating_add(nth as usize - 1)
                    }
                };
                if s < e && at >= s && at < e { args[0][at].clone() } else { Datum::Null }
            }
            WinFunc::Agg(_) => return Err(Error::internal("window aggregate computed as a function")),
        })
    }
}

/// `value + offset` (`up`) or `value - offset`, for RANGE frames: integers
/// saturate (a bound past the type's range includes every row that way).
fn shift(value: &Datum, offset: &Datum, up: bool) -> Result<Datum> {
    use crate::sql::numeric::Num;
    Ok(match (value, offset) {
        (Datum::Numeric(v), _) | (_, Datum::Numeric(v)) if matches!(value, Datum::Numeric(_)) => {
            let off = match offset {
                Datum::Numeric(o) => Num::parse(o)?,
                other => Num::from_i128(other.as_i64().unwrap_or(0) as i128),
            };
            let v = Num::parse(v)?;
            Datum::Numeric(if up { v.add(&off)? } else { v.sub(&off)? }.to_string())
        }
        (Datum::Float4(_) | Datum::Float8(_), _) => {
            let (v, o) = (value.as_f64().unwrap_or(0.0), offset.as_f64().unwrap_or(0.0));
            Datum::Float8(if up { v + o } else { v - o })
        }
        _ => {
            let (v, o) = (value.as_i64().unwrap_or(0), offset.as_i64().unwrap_or(0));
            Datum::Int8(if up { v.saturating_add(o) } else { v.saturating_sub(o) })
        }
    })
}
