//! ANALYZE: a table's row count and, from a random sample of its rows,
//! per-column statistics for the planner, kept in `pg_statistic` (and
//! shown by the `pg_stats` view).
//!
//! As PostgreSQL does, it samples up to 300 × the statistics target
//! visible rows (reservoir sampling over one pass of the table) and
//! estimates per column:
//! - the share of NULLs and the average stored width;
//! - the number of distinct values, by the Haas–Stokes "Duj1" estimator
//!   from the sample's distinct values and those seen once. `stadistinct`
//!   follows PostgreSQL's convention: a positive count, or minus a
//!   fraction of the rows when the count grows with the table (more than
//!   a tenth of the rows distinct); -1 is "all distinct";
//! - the most common values and their frequencies (slot kind 1): every
//!   value when all of them were seen more than once and fit in the
//!   target, else those seen clearly more often than the rest would be
//!   (PostgreSQL's `analyze_mcv_list` test);
//! - an equi-depth histogram of the other values (kind 2): the target's
//!   number of buckets, bounded by values at equal steps through them;
//! - the correlation of the values' order with the rows' physical order
//!   (kind 3), which prices an index scan's heap reads.
//!
//! The slots are filled in that order, as far as the column has them;
//! `stavalues` hold the values in an array's text form (`anyarray`).
//! Values of types without a total order (arrays), or wider than 1 kB,
//! take no part in the value slots.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::system::{self, PG_STATISTIC};
use super::{Catalog, Reader, Table, deform, i16_of, u32_of};
use crate::error::Result;
use crate::sql::array::ArrayValue;
use crate::sql::expr::compare;
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::Tid;

/// PostgreSQL's `default_statistics_target`.
pub const DEFAULT_TARGET: i32 = 100;

/// Slot kinds of `pg_statistic` (PostgreSQL's `STATISTIC_KIND_*`).
pub const STATISTIC_KIND_MCV: i16 = 1;
pub const STATISTIC_KIND_HISTOGRAM: i16 = 2;
pub const STATISTIC_KIND_CORRELATION: i16 = 3;

/// Values wider than this take no part in MCVs and histograms (PostgreSQL's `WIDTH_THRESHOLD`).
const WIDTH_THRESHOLD: usize = 1024;

/// What ANALYZE learned about one column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColumnStats {
    pub null_frac: f32,
    pub width: i32,
    /// `stadistinct`: a count, or minus a fraction of the rows.
    pub distinct: f32,
    /// Most common values, most common first, with their shares of all rows.
    pub mcv: Vec<(Datum, f32)>,
    /// Histogram bounds of the values not in `mcv`, ascending.
    pub histogram: Vec<Datum>,
    /// Correlation of the values' order with the rows' physical order.
    pub correlation: Option<f32>,
}

impl ColumnStats {
    /// Distinct values among `rows` rows.
    pub fn distinct_of(&self, rows: f64) -> Option<f64> {
        match self.distinct {
            d if d > 0.0 => Some(d as f64),
            d if d < 0.0 => Some(-d as f64 * rows),
            _ => None,
        }
    }

    /// The share of rows in the most common values.
    pub fn mcv_total(&self) -> f64 {
        self.mcv.iter().map(|(_, f)| *f as f64).sum()
    }
}

/// A sampled column value: its hash, stored width, and the value itself
/// when it takes part in the value slots.
#[derive(Clone)]
struct Sampled {
    hash: u64,
    width: u32,
    value: Option<Datum>,
}

/// A sampled row's columns (NULL: `None`), the rows in the table's scan order.
struct SampledRow {
    columns: Vec<Option<Sampled>>,
}

fn value_hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// The bytes a value takes in a row as PostgreSQL counts them: a
/// variable-length value with its length header (1 byte up to 126 bytes).
fn stored_width(attlen: i16, len: usize) -> u32 {
    match attlen {
        n if n > 0 => n as u32,
        _ if len <= 126 => len as u32 + 1,
        _ => len as u32 + 4,
    }
}

/// Whether values of `ty` have the total order the value slots need.
fn ordered(ty: PgType) -> bool {
    !matches!(ty, PgType::Array(_) | PgType::TextForm(_) | PgType::Unknown | PgType::Void)
}

/// The statistics of column `c` from `sample` (in scan order), drawn from
/// `rows` rows, with statistics target `target`.
fn column_stats(sample: &[SampledRow], c: usize, rows: u64, target: i32) -> ColumnStats {
    let n = sample.len();
    if n == 0 {
        return ColumnStats::default();
    }
    let values: Vec<&Sampled> = sample.iter().filter_map(|r| r.columns[c].as_ref()).collect();
    let null_frac = (n - values.len()) as f64 / n as f64;
    if values.is_empty() {
        return ColumnStats { null_frac: 1.0, ..ColumnStats::default() };
    }
    let width = values.iter().map(|v| v.width as f64).sum::<f64>() / values.len() as f64;
    // Per distinct value: its count and where it was first seen.
    let mut counts: HashMap<u64, (u32, usize)> = HashMap::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        counts.entry(v.hash).or_insert((0, i)).0 += 1;
    }
    let (seen, d) = (values.len() as f64, counts.len() as f64);
    let once = counts.values().filter(|&&(k, _)| k == 1).count() as f64;
    let total = rows as f64 * (1.0 - null_frac);
    let distinct = if once == seen {
        // Every sampled value differs: taken to be unique.
        -(1.0 - null_frac)
    } else {
        let estimate = if total <= seen || once == 0.0 {
            d
        } else {
            (seen * d / (seen - once + once * seen / total)).clamp(d, total)
        };
        if estimate > 0.1 * rows as f64 { -(estimate / rows as f64) } else { estimate.round() }
    };
    let mut stats = ColumnStats {
        null_frac: null_frac as f32,
        width: width.round() as i32,
        distinct: distinct as f32,
        ..Default::default()
    };
    if values.iter().any(|v| v.value.is_none()) || target <= 0 {
        return stats;
    }
    // Most common values: those seen more than once, most often first
    // (ties: in value order, as PostgreSQL lists them).
    let mut common: Vec<(u32, usize)> = counts.values().copied().filter(|&(k, _)| k > 1).collect();
    let value = |i: usize| values[i].value.as_ref();
    common.sort_by(|a, b| {
        b.0.cmp(&a.0).then_with(|| match (value(a.1), value(b.1)) {
            (Some(x), Some(y)) => compare(x, y),
            _ => a.1.cmp(&b.1),
        })
    });
    let target = target as usize;
    let keep = if common.len() == counts.len() && distinct > 0.0 && common.len() <= target {
        common.len()
    } else {
        common.truncate(target);
        mcv_count(&common, n as f64, rows as f64, null_frac, stats.distinct_of(rows as f64).unwrap_or(d))
    };
    common.truncate(keep);
    stats.mcv = common
        .iter()
        .map(|&(k, first)| (values[first].value.clone().unwrap_or(Datum::Null), (k as f64 / n as f64) as f32))
        .collect();
    // The histogram of the rest.
    let in_mcv: std::collections::HashSet<u64> = common.iter().map(|&(_, first)| values[first].hash).collect();
    let mut rest: Vec<&Datum> =
        values.iter().filter(|v| !in_mcv.contains(&v.hash)).filter_map(|v| v.value.as_ref()).collect();
    rest.sort_by(|a, b| compare(a, b));
    let rest_distinct = counts.len() - common.len();
    let buckets = rest_distinct.min(target + 1);
    if buckets >= 2 {
        let (step, frac, parts) = ((rest.len() - 1) / (buckets - 1), (rest.len() - 1) % (buckets - 1), buckets - 1);
        let (mut at, mut carry) = (0, 0);
        for _ in 0..buckets {
            stats.histogram.push(rest[at].clone());
            at += step;
            carry += frac;
            if carry >= parts {
                at += 1;
                carry -= parts;
            }
        }
    }
    stats.correlation = correlation(&values);
    stats
}

/// How many of the candidate most common values (count, first seen;
/// most common first) to keep: drop the least common while its count is
/// not clearly above what a value of the rest would have (PostgreSQL's
/// `analyze_mcv_list`: more than two standard errors above).
fn mcv_count(common: &[(u32, usize)], sampled: f64, rows: f64, null_frac: f64, distinct: f64) -> usize {
    if sampled >= rows || rows <= 1.0 {
        return common.len();
    }
    let mut keep = common.len();
    let mut sum: f64 = common.iter().map(|&(k, _)| k as f64).sum();
    while keep > 0 {
        let last = common[keep - 1].0 as f64;
        sum -= last;
        let mut rest = (1.0 - sum / sampled - null_frac).clamp(0.0, 1.0);
        let others = distinct - (keep - 1) as f64;
        if others > 1.0 {
            rest /= others;
        }
        if last > rest * sampled {
            let (big_n, n) = (rows, sampled);
            let k = big_n * last / n;
            let variance = n * k * (big_n - k) * (big_n - n) / (big_n * big_n * (big_n - 1.0));
            if last > rest * sampled + 2.0 * variance.sqrt() + 0.5 {
                break;
            }
        }
        keep -= 1;
    }
    keep
}

/// The correlation between the sampled values' scan order and their
/// sorted order, from -1 (descending) to 1 (ascending).
fn correlation(values: &[&Sampled]) -> Option<f32> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| match (&values[a].value, &values[b].value) {
        (Some(x), Some(y)) => compare(x, y).then(a.cmp(&b)),
        _ => Ordering::Equal,
    });
    // x: position in scan order; y: rank in value order.
    let nf = n as f64;
    let sum = nf * (nf - 1.0) / 2.0;
    let squares = nf * (nf - 1.0) * (2.0 * nf - 1.0) / 6.0;
    let products: f64 = order.iter().enumerate().map(|(rank, &pos)| rank as f64 * pos as f64).sum();
    let denominator = nf * squares - sum * sum;
    (denominator > 0.0).then(|| ((nf * products - sum * sum) / denominator) as f32)
}

impl Catalog {
    /// Count the table's visible pages and rows, and sample the rows for
    /// per-column statistics with statistics target `target` (a column's
    /// own `attstattarget` overrides it).
    pub fn analyze_rows(&self, table: &Table, who: &Reader<'_>, target: i32) -> Result<(u32, u64, Vec<ColumnStats>)> {
        let heap = self.table_heap(table);
        let desc = table.desc();
        let ncols = table.columns.len();
        let targets: Vec<i32> =
            table.columns.iter().map(|c| if c.stat_target >= 0 { c.stat_target } else { target }).collect();
        let sample_rows = 300 * targets.iter().copied().max().unwrap_or(target).max(1) as usize;
        let pages = heap.nblocks()?;
        // The blocks read: all of a table of at most `sample_rows` pages;
        // of a larger one, that many chosen at random (selection sampling:
        // every block equally likely, taken in order), the row count then
        // extrapolated from them, as PostgreSQL's ANALYZE does.
        let wanted = pages.min(sample_rows as u32);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ table.oid as u64;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut chosen, mut rows) = (0u32, 0u64);
        // The reservoir: (scan position, tuple bytes).
        let mut reservoir: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut error = None;
        for block in 0..pages {
            let need = wanted - chosen;
            if need == 0 {
                break;
            }
            let left = pages - block;
            if need < left && random() % left as u64 >= need as u64 {
                continue;
            }
            chosen += 1;
            heap.scan_block(block, |_, t| match self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid) {
                Ok(true) => {
                    rows += 1;
                    // Reservoir sampling: row k replaces a random slot with chance sample_rows / k.
                    if reservoir.len() < sample_rows {
                        reservoir.push((rows, t.to_vec()));
                    } else if let Some(slot) = reservoir.get_mut((random() % rows) as usize) {
                        slot.0 = rows;
                        slot.1.clear();
                        slot.1.extend_from_slice(t);
                    }
                }
                Ok(false) => {}
                Err(e) => error = Some(e),
            })?;
        }
        if let Some(e) = error {
            return Err(e);
        }
        if chosen < pages {
            rows = (rows as f64 * pages as f64 / chosen.max(1) as f64).round() as u64;
        }
        reservoir.sort_by_key(|(position, _)| *position);
        let mut sample = Vec::with_capacity(reservoir.len());
        for (_, t) in &reservoir {
            let raw = deform(&desc, t);
            let decoded = self.decode_row(table, &desc, t)?;
            let columns = (0..ncols)
                .map(|i| {
                    let b = raw.get(i).copied().flatten()?;
                    let value = decoded.get(i).filter(|v| !v.is_null());
                    let usable = ordered(table.columns[i].ty) && b.len() <= WIDTH_THRESHOLD;
                    let hash = match value {
                        // Equal values hash alike however they are stored (compressed or not).
                        Some(v) => value_hash(&v.storage_bytes()),
                        None => value_hash(b),
                    };
                    Some(Sampled {
                        hash,
                        width: stored_width(desc.attrs[i].len, b.len()),
                        value: value.filter(|_| usable).cloned(),
                    })
                })
                .collect();
            sample.push(SampledRow { columns });
        }
        let stats = (0..ncols).map(|c| column_stats(&sample, c, rows, targets[c])).collect();
        Ok((pages, rows, stats))
    }

    /// Replace table `oid`'s rows in `pg_statistic` by `stats` (one per
    /// column, in column order; `types` the columns' types).
    pub fn set_column_stats(
        &self,
        oid: u32,
        stats: &[ColumnStats],
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        self.delete_column_stats(oid, xid, cid, who)?;
        for (i, s) in stats.iter().enumerate() {
            let mut row = vec![Datum::Null; PG_STATISTIC.columns.len()];
            for (at, (_, ty)) in PG_STATISTIC.columns.iter().enumerate() {
                row[at] = match ty {
                    PgType::Int2 => Datum::Int2(0),
                    PgType::Oid => Datum::Oid(0),
                    _ => Datum::Null,
                };
            }
            row[system::STA_RELID] = Datum::Oid(oid);
            row[system::STA_ATTNUM] = Datum::Int2(i as i16 + 1);
            row[PG_STATISTIC.attno("stainherit")] = Datum::Bool(false);
            row[system::STA_NULLFRAC] = Datum::Float4(s.null_frac);
            row[system::STA_WIDTH] = Datum::Int4(s.width);
            row[system::STA_DISTINCT] = Datum::Float4(s.distinct);
            let floats = |v: Vec<f32>| ArrayValue::new(PgType::Float4, v.into_iter().map(Datum::Float4).collect());
            let elem = s.mcv.first().map(|(v, _)| v).or(s.histogram.first()).and_then(datum_type);
            let values = |v: Vec<Datum>| match elem {
                Some(ty) => Datum::Text(ArrayValue::new(ty, v).into_datum().to_text()),
                None => Datum::Null,
            };
            let mut slots: Vec<(i16, Datum, Datum)> = Vec::new();
            if !s.mcv.is_empty() {
                let numbers = floats(s.mcv.iter().map(|(_, f)| *f).collect()).into_datum();
                slots.push((STATISTIC_KIND_MCV, numbers, values(s.mcv.iter().map(|(v, _)| v.clone()).collect())));
            }
            if !s.histogram.is_empty() {
                slots.push((STATISTIC_KIND_HISTOGRAM, Datum::Null, values(s.histogram.clone())));
            }
            if let Some(c) = s.correlation {
                slots.push((STATISTIC_KIND_CORRELATION, floats(vec![c]).into_datum(), Datum::Null));
            }
            for (k, (kind, numbers, values)) in slots.into_iter().enumerate() {
                row[system::STA_KIND1 + k] = Datum::Int2(kind);
                row[system::STA_NUMBERS1 + k] = numbers;
                row[system::STA_VALUES1 + k] = values;
            }
            self.insert_catalog_row(&PG_STATISTIC, &row, xid, cid)?;
        }
        Ok(())
    }

    /// Set column `c`'s statistics target (`attstattarget`; -1: the default).
    pub fn set_stat_target(
        &self,
        table: &Table,
        c: usize,
        target: i32,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        self.update_attribute(table.oid, c as i16 + 1, xid, cid, who, &|v| {
            v[system::ATT_STATTARGET] = Some(target.to_le_bytes().to_vec());
        })
    }

    /// Delete table `oid`'s rows of `pg_statistic` (it is analyzed again, or dropped).
    pub(super) fn delete_column_stats(&self, oid: u32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let desc = PG_STATISTIC.desc();
        let mut tids: Vec<Tid> = Vec::new();
        self.scan(&PG_STATISTIC, who, |tid, t| {
            if u32_of(deform(&desc, t)[system::STA_RELID]) == oid {
                tids.push(tid);
            }
        })?;
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let heap = self.heap(self.catalog_rel(&PG_STATISTIC));
        for tid in tids {
            heap.delete_checked(tid, xid, cid, &check)?;
        }
        Ok(())
    }

    /// Table `oid`'s statistics by column (index = attnum - 1, `types`
    /// the columns' types), as far as ANALYZE gathered them.
    pub(super) fn column_stats_of(
        &self,
        oid: u32,
        types: &[PgType],
        who: &Reader<'_>,
    ) -> Result<Vec<Option<ColumnStats>>> {
        let desc = PG_STATISTIC.desc();
        let ncols = types.len();
        let mut out = vec![None; ncols];
        let f32_of = |v: Option<&[u8]>| v.and_then(|b| b.try_into().ok()).map(f32::from_le_bytes).unwrap_or(0.0);
        self.scan(&PG_STATISTIC, who, |_, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::STA_RELID]) != oid {
                return;
            }
            let at = i16_of(v[system::STA_ATTNUM]) as usize;
            if at < 1 || at > ncols {
                return;
            }
            let mut stats = ColumnStats {
                null_frac: f32_of(v[system::STA_NULLFRAC]),
                width: super::i32_of(v[system::STA_WIDTH]),
                distinct: f32_of(v[system::STA_DISTINCT]),
                ..ColumnStats::default()
            };
            for k in 0..5 {
                let numbers = v[system::STA_NUMBERS1 + k]
                    .and_then(|b| ArrayValue::from_storage(PgType::Float4, b).ok())
                    .map(|a| a.items.iter().filter_map(Datum::as_f64).map(|f| f as f32).collect::<Vec<_>>())
                    .unwrap_or_default();
                let values = || -> Vec<Datum> {
                    let text = v[system::STA_VALUES1 + k].and_then(|b| std::str::from_utf8(b).ok());
                    let ty = PgType::array_of(types[at - 1]);
                    match (text, ty) {
                        (Some(text), Some(ty)) => match crate::sql::types::parse_text(ty, text) {
                            Ok(Datum::Array(a)) => a.items.clone(),
                            _ => Vec::new(),
                        },
                        _ => Vec::new(),
                    }
                };
                match i16_of(v[system::STA_KIND1 + k]) {
                    STATISTIC_KIND_MCV => {
                        let values = values();
                        if values.len() == numbers.len() {
                            stats.mcv = values.into_iter().zip(numbers).collect();
                        }
                    }
                    STATISTIC_KIND_HISTOGRAM => stats.histogram = values(),
                    STATISTIC_KIND_CORRELATION => stats.correlation = numbers.first().copied(),
                    _ => {}
                }
            }
            out[at - 1] = Some(stats);
        })?;
        Ok(out)
    }
}

/// The type of a (non-null) value, for the array holding it.
fn datum_type(d: &Datum) -> Option<PgType> {
    Some(match d {
        Datum::Bool(_) => PgType::Bool,
        Datum::Int2(_) => PgType::Int2,
        Datum::Int4(_) => PgType::Int4,
        Datum::Int8(_) => PgType::Int8,
        Datum::Float4(_) => PgType::Float4,
        Datum::Float8(_) => PgType::Float8,
        Datum::Numeric(_) => PgType::Numeric,
        Datum::Text(_) => PgType::Text,
        Datum::Bpchar(_) => PgType::Bpchar,
        Datum::Date(_) => PgType::Date,
        Datum::Time(_) => PgType::Time,
        Datum::TimeTz { .. } => PgType::TimeTz,
        Datum::Timestamp(_) => PgType::Timestamp,
        Datum::TimestampTz(_) => PgType::TimestampTz,
        Datum::Interval(_) => PgType::Interval,
        Datum::Oid(_) => PgType::Oid,
        Datum::Bytea(_) => PgType::Bytea,
        Datum::Xid8(_) => PgType::Xid8,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(values: &[Option<u64>]) -> Vec<SampledRow> {
        values
            .iter()
            .map(|v| SampledRow {
                columns: vec![v.map(|h| Sampled { hash: h, width: 4, value: Some(Datum::Int8(h as i64)) })],
            })
            .collect()
    }

    #[test]
    fn distinct_counts_follow_postgresql_s_convention() {
        // All distinct: unique, whatever the table's size.
        let s = sample(&(0..100).map(Some).collect::<Vec<_>>());
        assert_eq!(column_stats(&s, 0, 100, 100).distinct, -1.0);
        // The whole table seen, 5 values: exactly 5.
        let s = sample(&(0..100).map(|i| Some(i % 5)).collect::<Vec<_>>());
        assert_eq!(column_stats(&s, 0, 100, 100).distinct, 5.0);
        // Half the rows distinct: a fraction of the rows.
        let s = sample(&(0..100).map(|i| Some(i / 2)).collect::<Vec<_>>());
        assert_eq!(column_stats(&s, 0, 100, 100).distinct, -0.5);
        // NULLs counted apart.
        let s = sample(&[None, None, Some(1), Some(1)]);
        let st = column_stats(&s, 0, 4, 100);
        assert_eq!((st.null_frac, st.width, st.distinct), (0.5, 4, -0.25));
    }

    #[test]
    fn a_sample_of_a_large_table_scales_its_estimate() {
        // 1,000 values each seen 30 times in a sample of 30,000 from 3 M rows.
        let s = sample(&(0..30_000u64).map(|i| Some(i % 1000)).collect::<Vec<_>>());
        let st = column_stats(&s, 0, 3_000_000, 100);
        assert_eq!(st.distinct, 1000.0);
        // Mostly singletons in the sample: many more in the table.
        let s = sample(&(0..30_000u64).map(|i| Some(if i < 29_000 { i } else { i % 10 })).collect::<Vec<_>>());
        let st = column_stats(&s, 0, 3_000_000, 100);
        assert!(st.distinct < -0.1, "{st:?}");
    }

    #[test]
    fn few_values_are_all_most_common() {
        // Value k appears k times (k = 1..=4 → 1 is seen once).
        let v: Vec<Option<u64>> = (1..=4u64).flat_map(|k| std::iter::repeat_n(Some(k), k as usize + 1)).collect();
        let st = column_stats(&sample(&v), 0, v.len() as u64, 100);
        let mcv: Vec<i64> = st.mcv.iter().map(|(d, _)| d.as_i64().unwrap()).collect();
        assert_eq!(mcv, vec![4, 3, 2, 1]);
        assert!((st.mcv_total() - 1.0).abs() < 1e-6);
        assert!(st.histogram.is_empty());
        assert_eq!(st.correlation, Some(1.0));
    }

    #[test]
    fn unique_values_make_an_equi_depth_histogram() {
        let v: Vec<Option<u64>> = (0..1001).rev().map(Some).collect();
        let st = column_stats(&sample(&v), 0, 1001, 10);
        assert!(st.mcv.is_empty());
        let bounds: Vec<i64> = st.histogram.iter().map(|d| d.as_i64().unwrap()).collect();
        assert_eq!(bounds, (0..=10).map(|i| i * 100).collect::<Vec<_>>());
        assert!((st.correlation.unwrap() + 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_skewed_sample_keeps_only_the_clearly_common_values() {
        // One value in half the sample, the rest nearly unique, from a big table.
        let v: Vec<Option<u64>> = (0..30_000u64).map(|i| Some(if i % 2 == 0 { 7 } else { 1000 + i / 4 })).collect();
        let st = column_stats(&sample(&v), 0, 3_000_000, 100);
        assert_eq!(st.mcv.len(), 1, "{:?}", &st.mcv[..st.mcv.len().min(5)]);
        assert_eq!(st.mcv[0].0.as_i64(), Some(7));
        assert_eq!(st.histogram.len(), 101);
    }
}
