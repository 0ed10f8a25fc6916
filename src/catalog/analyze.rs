//! ANALYZE: a table's row count and, from a random sample of its rows,
//! per-column statistics for the planner, kept in `pg_statistic` (and
//! shown by the `pg_stats` view).
//!
//! As PostgreSQL does, it samples up to [`SAMPLE_ROWS`] visible rows
//! (reservoir sampling over one pass of the table) and estimates per
//! column the share of NULLs, the average stored width, and the number of
//! distinct values, by the Haas–Stokes "Duj1" estimator from the sample's
//! distinct values and those seen once. `stadistinct` follows PostgreSQL's
//! convention: a positive count, or minus a fraction of the rows when the
//! count grows with the table (more than a tenth of the rows distinct);
//! -1 is "all distinct".
//!
//! Not gathered yet: most common values, histograms and correlation
//! (the `stakind` slots stay empty).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::system::{self, PG_STATISTIC};
use super::{Catalog, Reader, Table, catalog_rel, deform, i16_of, u32_of};
use crate::error::Result;
use crate::sql::types::Datum;
use crate::storage::heap::Tid;

/// Rows sampled per table (PostgreSQL's 300 × `default_statistics_target`).
pub const SAMPLE_ROWS: usize = 30_000;

/// What ANALYZE learned about one column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColumnStats {
    pub null_frac: f32,
    pub width: i32,
    /// `stadistinct`: a count, or minus a fraction of the rows.
    pub distinct: f32,
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
}

/// A sampled row: per column, the value's hash and stored length (NULL: `None`).
type SampledRow = Vec<Option<(u64, u32)>>;

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

/// The statistics of column `c` from `sample`, drawn from `rows` rows.
fn column_stats(sample: &[SampledRow], c: usize, rows: u64) -> ColumnStats {
    let n = sample.len();
    if n == 0 {
        return ColumnStats { null_frac: 0.0, width: 0, distinct: 0.0 };
    }
    let values: Vec<(u64, u32)> = sample.iter().filter_map(|r| r[c]).collect();
    let null_frac = (n - values.len()) as f64 / n as f64;
    if values.is_empty() {
        return ColumnStats { null_frac: 1.0, width: 0, distinct: 0.0 };
    }
    let width = values.iter().map(|&(_, w)| w as f64).sum::<f64>() / values.len() as f64;
    let mut counts: HashMap<u64, u32> = HashMap::with_capacity(values.len());
    for &(h, _) in &values {
        *counts.entry(h).or_default() += 1;
    }
    let (seen, d) = (values.len() as f64, counts.len() as f64);
    let once = counts.values().filter(|&&k| k == 1).count() as f64;
    let total = rows as f64 * (1.0 - null_frac);
    let distinct = if once == seen {
        // Every sampled value differs: taken to be unique.
        -(1.0 - null_frac)
    } else {
        let estimate = if total <= seen { d } else { (seen * d / (seen - once + once * seen / total)).clamp(d, total) };
        if estimate > 0.1 * rows as f64 { -(estimate / rows as f64) } else { estimate.round() }
    };
    ColumnStats { null_frac: null_frac as f32, width: width.round() as i32, distinct: distinct as f32 }
}

impl Catalog {
    /// Count the table's visible pages and rows, and sample the rows for
    /// per-column statistics.
    pub fn analyze_rows(&self, table: &Table, who: &Reader<'_>) -> Result<(u32, u64, Vec<ColumnStats>)> {
        let heap = self.table_heap(table);
        let desc = table.desc();
        let ncols = table.columns.len();
        let pages = heap.nblocks()?;
        let mut rows = 0u64;
        let mut sample: Vec<SampledRow> = Vec::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ table.oid as u64;
        let mut error = None;
        for block in 0..pages {
            heap.scan_block(block, |_, t| match self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid) {
                Ok(true) => {
                    rows += 1;
                    // Reservoir sampling: row k replaces a random slot with chance SAMPLE_ROWS / k.
                    let slot = if sample.len() < SAMPLE_ROWS {
                        Some(sample.len())
                    } else {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        Some((seed % rows) as usize).filter(|&k| k < SAMPLE_ROWS)
                    };
                    if let Some(k) = slot {
                        let v = deform(&desc, t);
                        let row: SampledRow = (0..ncols)
                            .map(|i| {
                                let b = v.get(i).copied().flatten()?;
                                Some((value_hash(b), stored_width(desc.attrs[i].len, b.len())))
                            })
                            .collect();
                        if k == sample.len() {
                            sample.push(row);
                        } else {
                            sample[k] = row;
                        }
                    }
                }
                Ok(false) => {}
                Err(e) => error = Some(e),
            })?;
        }
        if let Some(e) = error {
            return Err(e);
        }
        let stats = (0..ncols).map(|c| column_stats(&sample, c, rows)).collect();
        Ok((pages, rows, stats))
    }

    /// Replace table `oid`'s rows in `pg_statistic` by `stats` (one per
    /// column, in column order).
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
                    crate::sql::types::PgType::Int2 => Datum::Int2(0),
                    crate::sql::types::PgType::Oid => Datum::Oid(0),
                    _ => Datum::Null,
                };
            }
            row[system::STA_RELID] = Datum::Oid(oid);
            row[system::STA_ATTNUM] = Datum::Int2(i as i16 + 1);
            row[PG_STATISTIC.attno("stainherit")] = Datum::Bool(false);
            row[system::STA_NULLFRAC] = Datum::Float4(s.null_frac);
            row[system::STA_WIDTH] = Datum::Int4(s.width);
            row[system::STA_DISTINCT] = Datum::Float4(s.distinct);
            self.insert_catalog_row(&PG_STATISTIC, &row, xid, cid)?;
        }
        Ok(())
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
        let heap = self.heap(catalog_rel(&PG_STATISTIC));
        for tid in tids {
            heap.delete_checked(tid, xid, cid, &check)?;
        }
        Ok(())
    }

    /// Table `oid`'s statistics by column (index = attnum - 1), as far as
    /// ANALYZE gathered them.
    pub(super) fn column_stats_of(&self, oid: u32, ncols: usize, who: &Reader<'_>) -> Result<Vec<Option<ColumnStats>>> {
        let desc = PG_STATISTIC.desc();
        let mut out = vec![None; ncols];
        let f32_of = |v: Option<&[u8]>| v.and_then(|b| b.try_into().ok()).map(f32::from_le_bytes).unwrap_or(0.0);
        self.scan(&PG_STATISTIC, who, |_, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::STA_RELID]) != oid {
                return;
            }
            let at = i16_of(v[system::STA_ATTNUM]) as usize;
            if at >= 1 && at <= ncols {
                out[at - 1] = Some(ColumnStats {
                    null_frac: f32_of(v[system::STA_NULLFRAC]),
                    width: super::i32_of(v[system::STA_WIDTH]),
                    distinct: f32_of(v[system::STA_DISTINCT]),
                });
            }
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(values: &[Option<u64>]) -> Vec<SampledRow> {
        values.iter().map(|v| vec![v.map(|h| (h, 4))]).collect()
    }

    #[test]
    fn distinct_counts_follow_postgresql_s_convention() {
        // All distinct: unique, whatever the table's size.
        let s = sample(&(0..100).map(Some).collect::<Vec<_>>());
        assert_eq!(column_stats(&s, 0, 100).distinct, -1.0);
        // The whole table seen, 5 values: exactly 5.
        let s = sample(&(0..100).map(|i| Some(i % 5)).collect::<Vec<_>>());
        assert_eq!(column_stats(&s, 0, 100).distinct, 5.0);
        // Half the rows distinct: a fraction of the rows.
        let s = sample(&(0..100).map(|i| Some(i / 2)).collect::<Vec<_>>());
        assert_eq!(column_stats(&s, 0, 100).distinct, -0.5);
        // NULLs counted apart.
        let s = sample(&[None, None, Some(1), Some(1)]);
        let st = column_stats(&s, 0, 4);
        assert_eq!((st.null_frac, st.width, st.distinct), (0.5, 4, -0.25));
    }

    #[test]
    fn a_sample_of_a_large_table_scales_its_estimate() {
        // 1,000 values each seen 30 times in a sample of 30,000 from 3 M rows.
        let s = sample(&(0..30_000u64).map(|i| Some(i % 1000)).collect::<Vec<_>>());
        let st = column_stats(&s, 0, 3_000_000);
        assert_eq!(st.distinct, 1000.0);
        // Mostly singletons in the sample: many more in the table.
        let s = sample(&(0..30_000u64).map(|i| Some(if i < 29_000 { i } else { i % 10 })).collect::<Vec<_>>());
        let st = ColumnStats { ..column_stats(&s, 0, 3_000_000) };
        assert!(st.distinct < -0.1, "{st:?}");
    }
}
