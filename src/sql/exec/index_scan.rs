//! The index scan operator: walks an index's entries in a key range, a
//! batch at a time, fetches the heap tuple each entry points to, keeps the
//! versions visible to the statement's snapshot, and filters them.
//!
//! A lookup of a whole key of a unique index finds at most one visible row
//! (no snapshot sees two live rows with one key), so it reads the key's
//! entries newest first — a row's latest version has the highest address,
//! as new versions are appended — and stops at the first visible one,
//! instead of visiting every old version the key has collected.
//!
//! The range comes from the plan's bound values (constants, parameters or
//! outer values), evaluated and encoded once when the scan starts; between
//! batches only the last entry returned is remembered, so no page stays
//! pinned while the executor yields. An IN list gives one range per
//! distinct value, walked one after another in key order.

use std::ops::Bound;
use std::sync::Arc;

use arrow_array::ArrayRef;

use super::{ExecCx, RowCx, Step, filter_batch};
use crate::catalog::keycode::{self, KeyOrder};
use crate::catalog::{Index, IndexEntry, IndexRange, Table};
use crate::error::Result;
use crate::sql::batch::{BATCH_ROWS, Batch, ColumnBuilder};
use crate::sql::expr::{Expr, eval};
use crate::sql::types::Datum;

pub(super) struct IndexScanState {
    pub table: Arc<Table>,
    pub index: Index,
    pub eq: Vec<Expr>,
    /// An IN list's values for the column after the `eq` ones.
    pub any: Vec<Expr>,
    /// `any` is one array whose elements are the values (`= ANY (array)`).
    pub any_array: bool,
    pub lower: Option<(Expr, bool)>,
    pub upper: Option<(Expr, bool)>,
    pub filter: Option<Expr>,
    pub ctid: bool,
    /// Return the rows' system columns (see `Plan::Scan`).
    pub system: bool,
    /// Read the range in descending key order.
    pub backward: bool,
    /// Rows the filter removed (EXPLAIN ANALYZE).
    pub removed: u64,
    /// An index-only scan (see `Plan::IndexScan`).
    pub index_only: bool,
    /// Entries an index-only scan had to look up in the heap (EXPLAIN
    /// ANALYZE's `Heap Fetches`).
    pub heap_fetches: u64,
    /// The columns the plan reads (`Plan::IndexScan`'s `read`); the
    /// others come out NULL, never decoded.
    pub read: Option<Vec<bool>>,
    /// The key ranges, in the order they are read, once the bound values
    /// are known (none: no row can match, as when a bound value is NULL),
    /// and the one being read.
    ranges: Option<Vec<IndexRange>>,
    at: usize,
    last: Option<IndexEntry>,
    done: bool,
    entries: Vec<IndexEntry>,
}

impl IndexScanState {
    pub fn new(
        table: Arc<Table>,
        index: Index,
        (eq, any, any_array): (Vec<Expr>, Vec<Expr>, bool),
        lower: Option<(Expr, bool)>,
        upper: Option<(Expr, bool)>,
        filter: Option<Expr>,
        (ctid, backward): (bool, bool),
    ) -> IndexScanState {
        IndexScanState {
            table,
            index,
            eq,
            any,
            any_array,
            lower,
            upper,
            filter,
            ctid,
            system: false,
            backward,
            removed: 0,
            index_only: false,
            heap_fetches: 0,
            read: None,
            ranges: None,
            at: 0,
            last: None,
            done: false,
            entries: Vec::new(),
        }
    }

    pub fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        if self.ranges.is_none() {
            let ranges = self.key_ranges(cx)?;
            // A serializable reader locks the ranges it reads (phantoms).
            let who = cx.reader();
            ranges.iter().try_for_each(|r| cx.catalog.serial_lock_range(&self.index, r, &who))?;
            self.ranges = Some(ranges);
            cx.catalog.stats.scan_started(self.index.oid);
        }
        let Some(ranges) = &self.ranges else { return Ok(Step::Done) };
        let desc = self.table.desc();
        let single = self.single_row();
        loop {
            if self.done {
                // The next range of an IN list, from its start.
                if self.at + 1 >= ranges.len() {
                    break;
                }
                self.at += 1;
                self.done = false;
                self.last = None;
            }
            let Some(range) = ranges.get(self.at) else { break };
            cx.eval.check_interrupts()?;
            self.entries.clear();
            let mark = if self.index_only { cx.catalog.visibility_mark(&self.table) } else { 0 };
            let max = if single { 8 } else { BATCH_ROWS };
            let more = cx.catalog.index_scan(&self.index, range, self.last.as_ref(), &mut self.entries, max)?;
            self.done = !more;
            if let Some(e) = self.entries.last() {
                self.last = Some(e.clone());
            }
            // Sized for the entries read: a point lookup must not pay for
            // a full batch's buffers.
            let capacity = if single { 1 } else { self.entries.len() };
            let read = |i: usize| self.read.as_ref().is_none_or(|r| r[i]);
            let builders = self.table.columns.iter().enumerate();
            let mut builders: Vec<ColumnBuilder> = builders
                .map(|(i, c)| if read(i) { ColumnBuilder::new(c.ty, capacity) } else { ColumnBuilder::skip(c.ty) })
                .collect();
            let mut headers = (self.ctid || self.system).then(|| super::RowHeaders::new(self.system));
            let mut rows = 0;
            let mut bytes = 0;
            let who = cx.reader();
            // Per heap page, whether the visibility map has it all-visible.
            // Looked up after the batch's entries were read, so a page that
            // changed before an entry was read shows as changed (rule 2 of
            // `storage::vm`), and trusted only if it was so before they
            // were read (rule 6); asked once per page and batch.
            let mut all_visible: Option<(u32, bool)> = None;
            let mut entries_read = 0;
            for (i, IndexEntry { key, tid, include }) in self.entries.iter().enumerate() {
                entries_read += 1;
                if self.index_only {
                    let visible = match all_visible {
                        Some((block, v)) if block == tid.block => v,
                        _ => {
                            cx.catalog.serial_lock_page(&self.table, tid.block, &who)?;
                            let v = cx.catalog.all_visible(&self.table, tid.block, mark)?;
                            all_visible = Some((tid.block, v));
                            v
                        }
                    };
                    if visible {
                        self.push_entry(key, include, &mut builders)?;
                        rows += 1;
                        if single {
                            self.done = true;
                            break;
                        }
                        continue;
                    }
                    self.heap_fetches += 1;
                }
                let entry = (&self.index, &key[..]);
                if cx.catalog.fetch_visible_into(
                    &self.table,
                    &desc,
                    *tid,
                    &who,
                    entry,
                    &mut builders,
                    headers.as_mut(),
                    &mut bytes,
                )? {
                    rows += 1;
                    if single {
                        self.done = true;
                        break;
                    }
                }
                if bytes >= crate::catalog::BATCH_BYTES && i + 1 < self.entries.len() {
                    // Large values: the rest of the entries in another batch.
                    self.last = Some(self.entries[i].clone());
                    self.done = false;
                    break;
                }
            }
            cx.catalog.stats.index_read(self.index.oid, entries_read);
            if rows == 0 {
                continue;
            }
            cx.catalog.stats.index_fetched(self.index.oid, rows as u64);
            let mut columns: Vec<ArrayRef> = builders.iter_mut().map(ColumnBuilder::finish).collect();
            if crate::sql::reg_column::has_oid_columns(&self.table) {
                crate::sql::reg_column::columns_from_stored(&self.table, &mut columns, rows, cx.eval)?;
            }
            if let Some(h) = headers {
                h.finish(self.table.oid, self.ctid, &mut columns);
            }
            let b = Batch::new(columns, rows);
            let b = match &self.filter {
                Some(f) => {
                    let kept = filter_batch(b, f, cx)?;
                    self.removed += (rows - kept.rows) as u64;
                    kept
                }
                None => b,
            };
            if b.rows > 0 {
                return Ok(Step::Batch(b));
            }
        }
        Ok(Step::Done)
    }

    /// An index-only scan's row from an entry: the key columns' values
    /// read back (see [`keycode::decode`]) where the key decodes, the
    /// INCLUDE columns' from their payload, NULL in the others (which the
    /// query does not read: see [`Index::can_return`]).
    fn push_entry(&self, key: &[u8], include: &[u8], builders: &mut [ColumnBuilder]) -> Result<()> {
        let mut values = vec![Datum::Null; builders.len()];
        if self.index.keys_decodable(&self.table) {
            let mut rest = key;
            for (&c, &order) in self.index.columns.iter().zip(&self.index.orders) {
                let ty = self.table.columns[c].ty;
                values[c] = keycode::decode(&mut rest, ty, order)
                    .ok_or_else(|| crate::error::Error::internal("index entry does not decode"))?;
            }
        }
        self.index.read_include(&self.table, include, &mut values)?;
        for (b, v) in builders.iter_mut().zip(&values) {
            b.push(v)?;
        }
        Ok(())
    }

    /// An equality on every column of a unique index: one row at most
    /// (in each range of an IN list).
    fn single_row(&self) -> bool {
        self.index.unique
            && self.eq.len() + usize::from(!self.any.is_empty()) == self.index.columns.len()
            && self.lower.is_none()
            && self.upper.is_none()
            // NULLs are distinct: many rows may have one.
            && !self.eq.iter().any(|e| matches!(e, Expr::IsNull(..)))
    }

    /// The key ranges to read: one, or one per distinct non-NULL value of
    /// an IN list, in the order of the scan.
    fn key_ranges(&self, cx: &mut ExecCx<'_>) -> Result<Vec<IndexRange>> {
        let Some(prefix) = self.eq_prefix(cx)? else { return Ok(Vec::new()) };
        if self.any.is_empty() {
            return Ok(self.key_range(cx, prefix)?.into_iter().collect());
        }
        let order = self.index.orders.get(self.eq.len()).copied().unwrap_or(KeyOrder::ASC);
        let mut values = Vec::with_capacity(self.any.len());
        for e in &self.any {
            match eval(e, &mut RowCx { cx: &mut *cx, row: &[] })? {
                Datum::Array(a) if self.any_array => values.extend(a.items),
                v => values.push(v),
            }
        }
        let mut keys = Vec::with_capacity(values.len());
        for v in values.iter().filter(|v| !v.is_null()) {
            let mut key = prefix.clone();
            keycode::encode(&mut key, v, order);
            keys.push(key);
        }
        keys.sort_unstable();
        keys.dedup();
        if self.backward {
            keys.reverse();
        }
        let forward = !self.single_row() && !self.backward;
        Ok(keys
            .into_iter()
            .map(|k| IndexRange { lower: Bound::Included(k.clone()), upper: Bound::Included(k), forward })
            .collect())
    }

    /// The encoded values of the `eq` columns (`None`: one is NULL, so no
    /// row matches).
    fn eq_prefix(&self, cx: &mut ExecCx<'_>) -> Result<Option<Vec<u8>>> {
        let mut prefix = Vec::new();
        for (e, order) in self.eq.iter().zip(&self.index.orders) {
            if let Expr::IsNull(..) = e {
                keycode::encode(&mut prefix, &Datum::Null, *order);
                continue;
            }
            let v = eval(e, &mut RowCx { cx: &mut *cx, row: &[] })?;
            if v.is_null() {
                return Ok(None);
            }
            keycode::encode(&mut prefix, &v, *order);
        }
        Ok(Some(prefix))
    }

    /// Evaluate the bounds and encode the key range after the `eq`
    /// columns' `prefix` (see [`keycode`]: bounds are byte prefixes of keys).
    fn key_range(&self, cx: &mut ExecCx<'_>, prefix: Vec<u8>) -> Result<Option<IndexRange>> {
        let mut value = |e: &Expr| eval(e, &mut RowCx { cx: &mut *cx, row: &[] });
        let k = self.eq.len();
        if self.lower.is_none() && self.upper.is_none() {
            return Ok(Some(IndexRange {
                lower: Bound::Included(prefix.clone()),
                upper: Bound::Included(prefix),
                forward: !self.single_row() && !self.backward,
            }));
        }
        let order = self.index.orders.get(k).copied().unwrap_or(KeyOrder::ASC);
        let mut bound = |b: &Option<(Expr, bool)>| -> Result<Option<Option<Bound<Vec<u8>>>>> {
            let Some((e, inclusive)) = b else { return Ok(Some(None)) };
            let v: Datum = value(e)?;
            if v.is_null() {
                return Ok(None);
            }
            let mut key = prefix.clone();
            keycode::encode(&mut key, &v, order);
            Ok(Some(Some(if *inclusive { Bound::Included(key) } else { Bound::Excluded(key) })))
        };
        let (Some(lower), Some(upper)) = (bound(&self.lower)?, bound(&self.upper)?) else { return Ok(None) };
        // In a DESC column larger values have smaller keys.
        let (low, high) = if order.descending { (upper, lower) } else { (lower, upper) };
        // Without a bound on one side, the range still ends where the
        // column's non-null values end (NULLs never satisfy a comparison).
        let mut values_edge = prefix;
        values_edge.push(keycode::VALUE);
        Ok(Some(IndexRange {
            lower: low.unwrap_or_else(|| Bound::Included(values_edge.clone())),
            upper: high.unwrap_or(Bound::Included(values_edge)),
            forward: !self.backward,
        }))
    }
}
