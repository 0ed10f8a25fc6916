//! Plan costs in PostgreSQL's units (`costsize.c`): a sequentially read
//! page costs `seq_page_cost`, a randomly read one `random_page_cost`, a
//! row `cpu_tuple_cost`, an index entry `cpu_index_tuple_cost`, an
//! operator or function call `cpu_operator_cost`. Each node has a
//! startup cost (before its first row) and a total cost, its estimated
//! rows (`cost::plan_rows`) and the average width of its rows.
//!
//! The planner compares a sequential scan with the index scans that fit
//! a table's conditions by these costs (`planner::choose_access_paths`),
//! and EXPLAIN prints them. An index scan's heap reads are priced as
//! PostgreSQL's `cost_index` does: between the random reads of scattered
//! rows (Mackert–Lohman's estimate of distinct pages fetched, with
//! `effective_cache_size`) and the sequential reads of rows in index
//! order, by the square of the index column's correlation. A method
//! turned off (`enable_seqscan = off`, …) is not forbidden but charged
//! [`DISABLE_COST`], so that it is chosen only where nothing else can do.

use std::cell::RefCell;
use std::collections::HashMap;

use super::cost::{self, Blocks};
use super::expr::Expr;
use super::plan::{Plan, SetOpKind};
use super::types::{Datum, PgType};
use crate::catalog::{Index, Table};
use crate::storage::page::PAGE_SIZE;

/// What a disabled plan method is charged (PostgreSQL's `disable_cost`).
pub const DISABLE_COST: f64 = 1.0e10;

/// The planner's cost settings: PostgreSQL's settings of the same names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostParams {
    pub seq_page_cost: f64,
    pub random_page_cost: f64,
    pub cpu_tuple_cost: f64,
    pub cpu_index_tuple_cost: f64,
    pub cpu_operator_cost: f64,
    /// In pages.
    pub effective_cache_size: f64,
    pub enable_seqscan: bool,
    pub enable_indexscan: bool,
    pub enable_indexonlyscan: bool,
    pub enable_hashjoin: bool,
    pub enable_mergejoin: bool,
    pub enable_nestloop: bool,
    pub enable_sort: bool,
}

impl Default for CostParams {
    fn default() -> CostParams {
        CostParams {
            seq_page_cost: 1.0,
            random_page_cost: 4.0,
            cpu_tuple_cost: 0.01,
            cpu_index_tuple_cost: 0.005,
            cpu_operator_cost: 0.0025,
            effective_cache_size: 524_288.0,
            enable_seqscan: true,
            enable_indexscan: true,
            enable_indexonlyscan: true,
            enable_hashjoin: true,
            enable_mergejoin: true,
            enable_nestloop: true,
            enable_sort: true,
        }
    }
}

/// A node's estimate, as EXPLAIN prints it: `(cost=startup..total rows=… width=…)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    pub startup: f64,
    pub total: f64,
    pub rows: f64,
    pub width: i64,
}

impl Estimate {
    pub fn text(&self) -> String {
        format!("(cost={:.2}..{:.2} rows={:.0} width={})", self.startup, self.total, self.rows.round(), self.width)
    }
}

/// Costs of the plans of one statement: the settings, and the tables'
/// sizes; estimates are kept by node (address) once computed.
pub struct Costing<'a> {
    pub params: CostParams,
    pub blocks: Blocks<'a>,
    memo: RefCell<HashMap<usize, Estimate>>,
    /// Per outer slot a nested loop sets, how many times the loop is
    /// expected to run its inner side (see [`Costing::index_scan`]).
    loops: RefCell<HashMap<usize, f64>>,
}

impl<'a> Costing<'a> {
    pub fn new(params: CostParams, blocks: Blocks<'a>) -> Costing<'a> {
        Costing { params, blocks, memo: RefCell::new(HashMap::new()), loops: RefCell::new(HashMap::new()) }
    }

    /// Estimates of every node of `plan` (subqueries and CTEs included), by node address.
    pub fn all(&self, plan: &Plan) -> HashMap<usize, Estimate> {
        plan.walk(&mut |p| {
            self.estimate(p);
        });
        self.memo.borrow().clone()
    }

    /// Pages of `table` the planner assumes: its size now, at least 10
    /// if it was never counted (PostgreSQL's assumption for a new table).
    pub fn table_pages(&self, table: &Table) -> f64 {
        let current = (self.blocks)(table).unwrap_or(10);
        let (pages, tuples) = table.counted;
        if pages <= 0 && tuples < 0.0 && current < 10 { 10.0 } else { current as f64 }
    }

    /// The cost of evaluating `e` once: an operator or function call each.
    fn qual_cost(&self, e: &Expr) -> f64 {
        let mut ops = 0usize;
        e.walk(&mut |x| {
            if matches!(
                x,
                Expr::Cmp(..)
                    | Expr::Arith(..)
                    | Expr::Call(..)
                    | Expr::Like(..)
                    | Expr::Distinct(..)
                    | Expr::Concat(..)
            ) {
                ops += 1;
            }
        });
        ops as f64 * self.params.cpu_operator_cost
    }

    pub fn estimate(&self, plan: &Plan) -> Estimate {
        let key = plan as *const Plan as usize;
        if let Some(e) = self.memo.borrow().get(&key) {
            return *e;
        }
        let e = self.compute(plan);
        self.memo.borrow_mut().insert(key, e);
        e
    }

    fn rows(&self, plan: &Plan) -> f64 {
        cost::plan_rows(plan, self.blocks)
    }

    fn compute(&self, plan: &Plan) -> Estimate {
        let p = &self.params;
        let rows = self.rows(plan);
        let width = self.width(plan);
        match plan {
            Plan::Scan { table, filter, .. } => {
                let (startup, total) = self.seq_scan(table, filter.as_ref());
                Estimate { startup, total, rows, width }
            }
            Plan::IndexScan { table, index, conds, filter, .. } => {
                let (startup, total) = self.index_scan(plan, table, index, conds, filter.as_ref());
                Estimate { startup, total, rows, width }
            }
            Plan::Filter { input, predicate } => {
                let i = self.estimate(input);
                Estimate { startup: i.startup, total: i.total + i.rows * self.qual_cost(predicate), rows, width }
            }
            Plan::Project { input, .. } => Estimate { width, ..self.estimate(input) },
            Plan::ProjectSet { input, srfs, .. } => {
                let i = self.estimate(input);
                let per_row = p.cpu_operator_cost * srfs.len() as f64;
                Estimate {
                    startup: i.startup,
                    total: i.total + i.rows * per_row + rows * p.cpu_tuple_cost,
                    rows,
                    width,
                }
            }
            Plan::Sort { input, .. } => {
                let i = self.estimate(input);
                let (startup, total) = self.sort(i);
                Estimate { startup, total, rows: i.rows, width }
            }
            Plan::Limit { input, offset, count, .. } => {
                let i = self.estimate(input);
                let constant = |e: &Option<Expr>| {
                    e.as_ref()
                        .and_then(|e| super::selfuncs::constant(e, PgType::Int8))
                        .and_then(|d| d.as_i64())
                        .map(|v| v as f64)
                };
                let offset = constant(offset).unwrap_or(0.0).min(i.rows);
                let count = constant(count).unwrap_or(i.rows);
                let per_row = if i.rows > 0.0 { (i.total - i.startup) / i.rows } else { 0.0 };
                let startup = i.startup + per_row * offset;
                let total = i.startup + per_row * (offset + count).min(i.rows);
                Estimate { startup, total, rows: (i.rows - offset).clamp(1.0, count.max(1.0)), width }
            }
            Plan::Aggregate { input, groups, aggs, .. } => {
                let i = self.estimate(input);
                let per_row = p.cpu_operator_cost * (aggs.len().max(1) + groups.len()) as f64;
                let startup = i.total + i.rows * per_row;
                if groups.is_empty() {
                    Estimate { startup, total: startup + p.cpu_tuple_cost, rows, width }
                } else {
                    let total = startup + rows * (p.cpu_tuple_cost + p.cpu_operator_cost * aggs.len() as f64);
                    Estimate { startup, total, rows, width }
                }
            }
            Plan::Distinct { input, columns } => {
                let i = self.estimate(input);
                let startup = i.total + i.rows * p.cpu_operator_cost * (*columns).max(1) as f64;
                Estimate { startup, total: startup + rows * p.cpu_tuple_cost, rows, width }
            }
            Plan::Unique { input, .. } => {
                let i = self.estimate(input);
                Estimate { startup: i.startup, total: i.total + i.rows * p.cpu_operator_cost, rows, width }
            }
            Plan::Window { input, funcs, .. } => {
                let i = self.estimate(input);
                let per_row = p.cpu_operator_cost * funcs.len().max(1) as f64 + p.cpu_tuple_cost;
                Estimate { startup: i.startup, total: i.total + i.rows * per_row, rows: i.rows, width }
            }
            Plan::Join { left, right, equi, on, merge, .. } => {
                let (l, r) = (self.estimate(left), self.estimate(right));
                let on_cost = on.as_ref().map_or(0.0, |e| self.qual_cost(e));
                if *merge {
                    let (startup, total) = self.merge_join(l, r, equi.len(), rows, on_cost);
                    Estimate { startup, total, rows, width }
                } else if equi.is_empty() {
                    // Nested loop: the inner side is read again for each outer row.
                    let rescans = (l.rows - 1.0).max(0.0);
                    let startup = l.startup + r.startup + if p.enable_nestloop { 0.0 } else { DISABLE_COST };
                    let total = startup
                        + (l.total - l.startup)
                        + (r.total - r.startup)
                        + rescans * (r.total - r.startup)
                        + l.rows * r.rows * on_cost
                        + rows * p.cpu_tuple_cost;
                    Estimate { startup, total, rows, width }
                } else {
                    // Hash join: build a table of the inner (right) side, probe it with the outer.
                    let keys = equi.len() as f64;
                    let build = r.total + r.rows * (p.cpu_operator_cost * keys + p.cpu_tuple_cost);
                    let startup = build + l.startup + if p.enable_hashjoin { 0.0 } else { DISABLE_COST };
                    let total = startup
                        + (l.total - l.startup)
                        + l.rows * p.cpu_operator_cost * keys
                        + rows * (on_cost + p.cpu_tuple_cost);
                    Estimate { startup, total, rows, width }
                }
            }
            Plan::LateralJoin { left, right, on, bindings, .. } => {
                // The right side runs once per left row.
                let l = self.estimate(left);
                for (slot, e) in bindings {
                    let loops = cost::loop_count(left, e, self.blocks);
                    self.loops.borrow_mut().insert(*slot, loops);
                }
                let r = self.estimate(right);
                let on_cost = on.as_ref().map_or(0.0, |e| self.qual_cost(e));
                let startup = l.startup + r.startup + if p.enable_nestloop { 0.0 } else { DISABLE_COST };
                let total = startup
                    + (l.total - l.startup)
                    + l.rows.max(1.0) * (r.total - r.startup)
                    + (l.rows - 1.0).max(0.0) * r.startup
                    + l.rows * r.rows * on_cost
                    + rows * p.cpu_tuple_cost;
                Estimate { startup, total, rows, width }
            }
            Plan::SetOp { kind, all, left, right } => {
                let (l, r) = (self.estimate(left), self.estimate(right));
                let input = l.rows + r.rows;
                let appended = l.total + r.total;
                if *kind == SetOpKind::Union && *all {
                    Estimate { startup: l.startup, total: appended, rows, width }
                } else {
                    let startup = appended + input * p.cpu_operator_cost;
                    Estimate { startup, total: startup + rows * p.cpu_tuple_cost, rows, width }
                }
            }
            Plan::Values { rows: values, .. } => {
                let n = values.len() as f64;
                if values.len() == 1 {
                    return Estimate { startup: 0.0, total: p.cpu_tuple_cost, rows: 1.0, width };
                }
                Estimate { startup: 0.0, total: n * (p.cpu_operator_cost + p.cpu_tuple_cost), rows: n, width }
            }
            Plan::Series { .. } | Plan::Unnest { .. } | Plan::Function { .. } => {
                let n = function_rows(plan);
                Estimate { startup: 0.0, total: p.cpu_operator_cost + n * p.cpu_tuple_cost, rows: n, width }
            }
            Plan::CteScan { .. } | Plan::WorkTableScan { .. } => {
                let n = rows;
                Estimate { startup: 0.0, total: n * p.cpu_tuple_cost, rows: n, width }
            }
            Plan::With { ctes, input } => {
                let own: f64 = ctes.iter().map(|c| self.estimate(&c.plan).total).sum();
                let i = self.estimate(input);
                Estimate { startup: i.startup, total: i.total + own, ..i }
            }
            Plan::RecursiveUnion { base, recursive, .. } => {
                let (b, r) = (self.estimate(base), self.estimate(recursive));
                // PostgreSQL's guess: ten rounds of the recursive part.
                Estimate { startup: 0.0, total: b.total + 10.0 * r.total, rows: b.rows + 10.0 * r.rows, width }
            }
        }
    }

    /// Startup and total cost of a merge join of the sorted inputs
    /// estimated by `l` and `r` on `keys` keys, giving `rows` rows each
    /// tested by a join filter costing `on_cost` (PostgreSQL's
    /// `cost_mergejoin`): both inputs read once, one key comparison per
    /// row of either, and the right rows of a run read again for each
    /// further left row of its key (the rows joined beyond the right
    /// side's, PostgreSQL's `rescanratio`).
    fn merge_join(&self, l: Estimate, r: Estimate, keys: usize, rows: f64, on_cost: f64) -> (f64, f64) {
        let p = &self.params;
        let rescanned = (rows - r.rows).max(0.0);
        let rescan_ratio = 1.0 + rescanned / r.rows.max(1.0);
        let compare = p.cpu_operator_cost * keys as f64;
        let startup = l.startup + r.startup + if p.enable_mergejoin { 0.0 } else { DISABLE_COST };
        let total = startup
            + (l.total - l.startup)
            + (r.total - r.startup)
            + p.cpu_operator_cost * rescanned
            + compare * (l.rows + r.rows * rescan_ratio)
            + rows * (p.cpu_tuple_cost + on_cost);
        (startup, total)
    }

    /// Startup and total cost of sorting rows estimated by `input`
    /// (comparisons: twice `cpu_operator_cost`, N log2 N of them).
    fn sort(&self, input: Estimate) -> (f64, f64) {
        let p = &self.params;
        let n = input.rows.max(2.0);
        let mut startup = input.total + 2.0 * p.cpu_operator_cost * n * n.log2();
        if !p.enable_sort {
            startup += DISABLE_COST;
        }
        (startup, startup + p.cpu_operator_cost * input.rows)
    }

    /// A sequential scan of `table` with `filter`: every page read in
    /// order, every row's conditions evaluated.
    pub fn seq_scan(&self, table: &Table, filter: Option<&Expr>) -> (f64, f64) {
        let p = &self.params;
        let pages = self.table_pages(table);
        let tuples = cost::table_rows(table, self.blocks);
        let per_row = p.cpu_tuple_cost + filter.map_or(0.0, |f| self.qual_cost(f));
        let startup = if p.enable_seqscan { 0.0 } else { DISABLE_COST };
        (startup, startup + pages * p.seq_page_cost + tuples * per_row)
    }

    /// An index scan of `table` through `index`, `conds` bounding the
    /// walk, `filter` checked on every row it finds; `plan` is the scan.
    fn index_scan(
        &self,
        plan: &Plan,
        table: &Table,
        index: &Index,
        conds: &[Expr],
        filter: Option<&Expr>,
    ) -> (f64, f64) {
        let p = &self.params;
        let tuples = cost::table_rows(table, self.blocks).max(1.0);
        let pages = self.table_pages(table).max(1.0);
        // The share of the index the key range covers.
        let selectivity = conds.iter().map(|c| cost::selectivity(c, plan, tuples, self.blocks)).product::<f64>();
        let unique_hit = index.unique
            && conds.len() >= index.columns.len()
            && conds.iter().all(|c| matches!(c, Expr::Cmp(super::expr::CmpOp::Eq, ..)));
        let index_tuples = if unique_hit { 1.0 } else { (selectivity * tuples).round().max(1.0) };
        let index_pages = self.index_pages(table, index, tuples);
        // Descending the tree: a comparison per level of a binary search,
        // and PostgreSQL's 50 operator costs per page touched on the way.
        let height = if index_pages <= 1.0 { 0.0 } else { (index_pages.ln() / 256f64.ln()).ceil() };
        let startup = tuples.log2().ceil().max(0.0) * p.cpu_operator_cost + (height + 1.0) * 50.0 * p.cpu_operator_cost;
        let leaf_pages = (index_tuples * index_pages / tuples).ceil().max(1.0);
        // The inner side of a nested loop, run `loops` times: the pages
        // all runs read, once each (they stay cached), shared among them,
        // as PostgreSQL's `cost_index` does with its `loop_count`.
        let loops = self.loops_of(conds);
        let reads = |wanted: f64, of: f64| {
            if loops > 1.0 { pages_fetched(wanted * loops, of, p.effective_cache_size) / loops } else { wanted }
        };
        let index_cost = reads(leaf_pages, index_pages) * p.random_page_cost
            + index_tuples * (p.cpu_index_tuple_cost + conds.iter().map(|c| self.qual_cost(c)).sum::<f64>());
        // Heap pages: scattered (random) or in order (sequential), by
        // correlation; an index-only scan visits only those the visibility
        // map does not have all-visible (`relallvisible` of `relpages`).
        let unseen = match plan {
            Plan::IndexScan { index_only: true, .. } => 1.0 - all_visible_fraction(table),
            _ => 1.0,
        };
        let scattered_pages = if loops > 1.0 {
            pages_fetched(index_tuples * loops, pages, p.effective_cache_size) / loops * unseen
        } else {
            (pages_fetched(index_tuples, pages, p.effective_cache_size) * unseen).ceil()
        };
        let scattered = scattered_pages * p.random_page_cost;
        let in_order_pages = ((selectivity * pages).ceil().max(1.0) * unseen).ceil();
        let in_order = if loops > 1.0 {
            reads(in_order_pages, pages) * p.random_page_cost
        } else if in_order_pages > 0.0 {
            p.random_page_cost + (in_order_pages - 1.0).max(0.0) * p.seq_page_cost
        } else {
            0.0
        };
        let correlation = self.index_correlation(table, index);
        let heap_cost = scattered + correlation * correlation * (in_order - scattered);
        let per_row = p.cpu_tuple_cost + filter.map_or(0.0, |f| self.qual_cost(f));
        let startup = startup + if p.enable_indexscan { 0.0 } else { DISABLE_COST };
        (startup, startup + index_cost + heap_cost + index_tuples * per_row)
    }

    /// How many times a scan keyed by `conds` runs: once, or for a nested
    /// loop's inner side as often as the loops setting the fewest of the
    /// outer slots it reads are expected to run.
    fn loops_of(&self, conds: &[Expr]) -> f64 {
        let loops = self.loops.borrow();
        let mut fewest: Option<f64> = None;
        for c in conds {
            c.walk(&mut |x| {
                if let Expr::Outer(slot, _) = x {
                    if let Some(&n) = loops.get(slot) {
                        fewest = Some(fewest.map_or(n, |f| f.min(n)));
                    }
                }
            });
        }
        fewest.unwrap_or(1.0).max(1.0)
    }

    /// The index's size in pages, from its entries' width (keys, a heap
    /// pointer and a line pointer each, pages 90 % full).
    fn index_pages(&self, table: &Table, index: &Index, tuples: f64) -> f64 {
        let key: f64 = index
            .columns
            .iter()
            .map(|&c| table.columns.get(c).map_or(8.0, |col| column_width(table, c, col.ty) as f64))
            .sum();
        let entry = 8.0 + 4.0 + ((key + 7.0) / 8.0).ceil() * 8.0;
        (tuples * entry / (PAGE_SIZE as f64 * 0.9)).ceil().max(1.0)
    }

    /// The correlation ANALYZE found for the index's first column (0 without).
    fn index_correlation(&self, table: &Table, index: &Index) -> f64 {
        if index.exprs.first().is_some_and(Option::is_some) {
            return 0.0;
        }
        let Some(&c) = index.columns.first() else { return 0.0 };
        let corr = table.stats.get(c).and_then(Option::as_ref).and_then(|s| s.correlation).unwrap_or(0.0) as f64;
        let descending = index.orders.first().is_some_and(|o| o.descending);
        if descending { -corr } else { corr }
    }

    /// The average width of `plan`'s rows.
    fn width(&self, plan: &Plan) -> i64 {
        self.column_widths(plan).iter().sum()
    }

    /// The average width of each of `plan`'s columns.
    fn column_widths(&self, plan: &Plan) -> Vec<i64> {
        match plan {
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Unique { input, .. }
            | Plan::Distinct { input, .. } => self.column_widths(input),
            Plan::Scan { table, .. } | Plan::IndexScan { table, .. } => {
                let mut w: Vec<i64> =
                    table.columns.iter().enumerate().map(|(i, c)| column_width(table, i, c.ty)).collect();
                w.resize(plan.types().len(), 6);
                w
            }
            Plan::Project { input, exprs } => {
                let inner = self.column_widths(input);
                exprs
                    .iter()
                    .map(|e| match e {
                        Expr::Column(c, ty) => inner.get(*c).copied().unwrap_or(type_width(*ty)),
                        e => type_width(e.ty()),
                    })
                    .collect()
            }
            Plan::Aggregate { input, groups, .. } => {
                let inner = self.column_widths(input);
                let mut w: Vec<i64> = plan.types().into_iter().map(type_width).collect();
                for (g, slot) in groups.iter().zip(w.iter_mut()) {
                    if let Expr::Column(c, _) = g {
                        *slot = inner.get(*c).copied().unwrap_or(*slot);
                    }
                }
                w
            }
            Plan::Join { left, right, kind, .. } | Plan::LateralJoin { left, right, kind, .. } => {
                let mut w = self.column_widths(left);
                if kind.emits_right() {
                    w.extend(self.column_widths(right));
                }
                w
            }
            _ => plan.types().into_iter().map(type_width).collect(),
        }
    }
}

/// Rows a set-returning function in FROM gives: generate_series of
/// constants as many as it counts, others PostgreSQL's defaults.
fn function_rows(plan: &Plan) -> f64 {
    match plan {
        Plan::Series { start, stop, step, .. } => {
            let int = |e: &Expr| match e {
                Expr::Const(d, _) => d.as_i64(),
                _ => None,
            };
            let step = step.as_ref().map_or(Some(1), int);
            match (int(start), int(stop), step) {
                (Some(a), Some(b), Some(s)) if s != 0 => (((b - a) / s) + 1).max(0) as f64,
                _ => 1000.0,
            }
        }
        Plan::Unnest { array, .. } => match array {
            Expr::Const(Datum::Array(a), _) => a.items.len() as f64,
            _ => 10.0,
        },
        _ => 1000.0,
    }
}

/// The average width of column `c` of `table`: what ANALYZE measured,
/// else by its type.
fn column_width(table: &Table, c: usize, ty: PgType) -> i64 {
    match table.stats.get(c).and_then(Option::as_ref) {
        Some(s) if s.width > 0 => s.width as i64,
        _ => type_width(ty),
    }
}

/// The width of a value of `ty`: its fixed length, or PostgreSQL's guess of 32.
fn type_width(ty: PgType) -> i64 {
    match ty.storage().0 {
        n if n > 0 => n as i64,
        _ => 32,
    }
}

/// Distinct heap pages an index scan fetching `tuples` rows of a table of
/// `pages` pages reads (Mackert and Lohman's estimate, with a cache of
/// `cache` pages, as PostgreSQL's `index_pages_fetched`).
/// The share of `table`'s pages VACUUM last found all-visible
/// (PostgreSQL's `allvisfrac`: `relallvisible / relpages`, at most 1).
fn all_visible_fraction(table: &Table) -> f64 {
    let (pages, _) = table.counted;
    if pages <= 0 { 0.0 } else { (table.allvisible as f64 / pages as f64).clamp(0.0, 1.0) }
}

fn pages_fetched(tuples: f64, pages: f64, cache: f64) -> f64 {
    let (t, n, b) = (pages.max(1.0), tuples, cache.max(1.0));
    let fetched = if t <= b {
        (2.0 * t * n / (2.0 * t + n)).min(t)
    } else {
        let limit = 2.0 * t * b / (2.0 * t - b);
        if n <= limit { 2.0 * t * n / (2.0 * t + n) } else { b + (n - limit) * (t - b) / t }
    };
    fetched.ceil()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_rows_touch_few_pages_and_many_rows_all_of_them() {
        assert_eq!(pages_fetched(1.0, 1000.0, 1e6), 1.0);
        assert!(pages_fetched(100_000.0, 1000.0, 1e6) <= 1000.0);
        assert!(pages_fetched(100_000.0, 1000.0, 1e6) > 950.0);
    }

    #[test]
    fn estimates_print_as_postgresql_s() {
        let e = Estimate { startup: 0.0, total: 35.5, rows: 2550.0, width: 4 };
        assert_eq!(e.text(), "(cost=0.00..35.50 rows=2550 width=4)");
    }
}
