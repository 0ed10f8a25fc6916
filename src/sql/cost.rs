//! Row estimates and the join order they choose.
//!
//! A table's rows are estimated as PostgreSQL's planner does: the density
//! the last VACUUM or ANALYZE counted (`reltuples / relpages`), or one
//! computed from the column widths if it never ran, times the table's size
//! now. A condition keeps a share of rows by PostgreSQL's default
//! selectivities (an equality 0.5 %, a range a third), except that an
//! equality on a column that alone is unique keeps one row, and an
//! equality join keeps `1 / max(distinct values of each side)`.
//!
//! Distinct counts and NULL shares come from ANALYZE (`pg_statistic`, see
//! `catalog::analyze`); a unique column has as many distinct values as
//! rows; otherwise PostgreSQL's default of 200 distinct values is assumed.
//! Without most-common values or histograms, a range keeps a third.
//!
//! The order of the inner joins of one FROM clause is chosen by dynamic
//! programming over sets of items (for up to [`DP_LIMIT`] items, greedily
//! beyond), building left-deep trees: each step joins one more item,
//! which is the hash join's built (inner) side. The cost of a step is
//! what it touches: probe rows, twice the built rows, and output rows.
//! An item no condition connects is joined only when nothing connected is
//! left, so no cross product is formed that a condition could avoid.

use std::sync::Arc;

use super::array_fn::ArrayFn;
use super::expr::{CmpOp, Expr};
use super::func::Func;
use super::plan::{JoinKind, Plan};
use super::selfuncs;
use super::types::{Datum, PgType};
use crate::catalog::Table;
use crate::catalog::analyze::ColumnStats;
use crate::storage::page::{HEADER_SIZE, PAGE_SIZE};

/// PostgreSQL's default selectivity of `column = value`.
pub const DEFAULT_EQ_SEL: f64 = 0.005;
/// PostgreSQL's default selectivity of `column < value` and the like.
pub const DEFAULT_INEQ_SEL: f64 = 1.0 / 3.0;
/// PostgreSQL's default selectivity of a range `a > x AND a < y`.
pub const DEFAULT_RANGE_INEQ_SEL: f64 = 0.005;
/// PostgreSQL's default for a condition it cannot estimate.
const DEFAULT_SEL: f64 = 0.5;
/// PostgreSQL's default number of distinct values of a column.
const DEFAULT_NUM_DISTINCT: f64 = 200.0;
/// Rows of something whose size is unknown.
const DEFAULT_ROWS: f64 = 1000.0;
/// Join orders are searched exhaustively up to this many items.
pub const DP_LIMIT: usize = 10;

/// The current size in blocks of a table's file, if it can be known.
pub type Blocks<'a> = &'a dyn Fn(&Table) -> Option<u32>;

/// Estimated rows of `table` now.
pub fn table_rows(table: &Table, blocks: Blocks<'_>) -> f64 {
    let Some(mut current) = blocks(table) else { return DEFAULT_ROWS };
    let (pages, tuples) = table.counted;
    if pages <= 0 && tuples < 0.0 && current < 10 {
        // Never counted: a new table may well grow (PostgreSQL assumes 10 pages).
        current = 10;
    }
    if current == 0 {
        return 0.0;
    }
    let density = if pages > 0 && tuples >= 0.0 {
        tuples as f64 / pages as f64
    } else {
        let width: usize = table
            .columns
            .iter()
            .map(|c| match c.ty.storage().0 {
                n if n > 0 => n as usize,
                _ => 32,
            })
            .sum();
        ((PAGE_SIZE - HEADER_SIZE) / (width + 24 + 4)).max(1) as f64
    };
    (density * current as f64).round().max(1.0)
}

/// What the rows of a plan's columns come from, where known: column `i`
/// of `plan` is column `.1` of table `.0` (which has about `.2` rows).
fn column_source(plan: &Plan, i: usize, blocks: Blocks<'_>) -> Option<(Arc<Table>, usize, f64)> {
    match source_scan(plan, i)? {
        (Plan::Scan { table, .. } | Plan::IndexScan { table, .. }, c) => {
            Some((table.clone(), c, table_rows(table, blocks)))
        }
        _ => None,
    }
}

/// How many times a nested loop over `outer` is expected to run its
/// inner side, for an outer slot holding `value` (over `outer`'s row): as
/// PostgreSQL's `get_loop_count`, the rows of the scan the value's column
/// comes from, under that scan's own conditions (not those keyed by an
/// outer row of its own); the outer side's rows when it is no column.
pub fn loop_count(outer: &Plan, value: &Expr, blocks: Blocks<'_>) -> f64 {
    let scan = match value {
        Expr::Column(c, _) => source_scan(outer, *c).map(|(scan, _)| scan),
        _ => None,
    };
    let Some(scan @ (Plan::Scan { table, filter, .. } | Plan::IndexScan { table, filter, .. })) = scan else {
        return plan_rows(outer, blocks);
    };
    let rows = table_rows(table, blocks);
    let mut own = Vec::new();
    if let Some(f) = filter {
        super::planner::split_and(f, &mut own);
    }
    let keyed = |e: &Expr| {
        let mut outer = false;
        e.walk(&mut |x| outer |= matches!(x, Expr::Outer(..)));
        outer
    };
    let sel: f64 = own.iter().filter(|c| !keyed(c)).map(|c| selectivity(c, scan, rows, blocks)).product();
    (rows * sel).max(1.0)
}

/// The scan column `i` of `plan` comes from, and which of the table's
/// columns it is, if it is a table's column.
fn source_scan(plan: &Plan, i: usize) -> Option<(&Plan, usize)> {
    match plan {
        Plan::Scan { table, .. } | Plan::IndexScan { table, .. } => (i < table.columns.len()).then_some((plan, i)),
        Plan::Filter { input, .. } => source_scan(input, i),
        Plan::Project { input, exprs } => match exprs.get(i) {
            Some(Expr::Column(c, _)) => source_scan(input, *c),
            _ => None,
        },
        Plan::Join { left, right, .. } | Plan::LateralJoin { left, right, .. } => {
            let width = left.types().len();
            if i < width { source_scan(left, i) } else { source_scan(right, i - width) }
        }
        _ => None,
    }
}

/// Whether column `c` of `table` alone is a unique key.
fn unique_column(table: &Table, c: usize) -> bool {
    table.indexes.iter().any(|ix| ix.unique && ix.valid && ix.columns == [c])
}

/// Distinct values of column `i` of `plan` (which has `rows` rows): all
/// of the table's rows for a unique column, else as ANALYZE estimated.
fn distinct(plan: &Plan, i: usize, rows: f64, blocks: Blocks<'_>) -> f64 {
    let nd = match column_source(plan, i, blocks) {
        Some((table, c, table_rows)) if unique_column(&table, c) => table_rows,
        Some((table, c, table_rows)) => table
            .stats
            .get(c)
            .and_then(Option::as_ref)
            .and_then(|s| s.distinct_of(table_rows))
            .unwrap_or(DEFAULT_NUM_DISTINCT),
        None => DEFAULT_NUM_DISTINCT,
    };
    nd.min(rows).max(1.0)
}

/// The share of NULLs in column `i` of `plan`, if ANALYZE found it.
fn null_frac(plan: &Plan, i: usize, blocks: Blocks<'_>) -> Option<f64> {
    let (table, c, _) = column_source(plan, i, blocks)?;
    table.stats.get(c).and_then(Option::as_ref).map(|s| s.null_frac as f64)
}

/// The value compared with is fixed for the scan (a constant or parameter).
fn fixed(e: &Expr) -> bool {
    match e {
        Expr::Const(..) | Expr::Param(..) | Expr::Outer(..) => true,
        Expr::Cast(inner, ..) => fixed(inner),
        _ => false,
    }
}

/// The column a side of a comparison reads, looking through casts.
fn column(e: &Expr) -> Option<usize> {
    match e {
        Expr::Column(c, _) => Some(*c),
        Expr::Cast(inner, ..) => column(inner),
        _ => None,
    }
}

/// The statistics ANALYZE gathered for column `i` of `plan`, if it reads
/// a table's column directly.
fn column_stats(plan: &Plan, i: usize, blocks: Blocks<'_>) -> Option<StatsRef> {
    let (table, c, _) = column_source(plan, i, blocks)?;
    table.stats.get(c)?.as_ref()?;
    Some(StatsRef(table, c))
}

/// A column's statistics, borrowed from the table they came with: every
/// estimate asks for them, and a copy of the histogram each time cost
/// more than the estimate.
struct StatsRef(Arc<Table>, usize);

impl std::ops::Deref for StatsRef {
    type Target = ColumnStats;

    fn deref(&self) -> &ColumnStats {
        // Checked present when made (`column_stats`).
        self.0.stats[self.1].as_ref().expect("column statistics checked present")
    }
}

/// `column op other` (either way round), with the column first.
fn column_side<'e>(op: CmpOp, a: &'e Expr, b: &'e Expr) -> Option<(usize, PgType, CmpOp, &'e Expr)> {
    match (a, b) {
        (Expr::Column(c, t), v) if fixed(v) => Some((*c, *t, op, v)),
        (v, Expr::Column(c, t)) if fixed(v) => Some((*c, *t, op.commuted(), v)),
        _ => None,
    }
}

/// The share of rows with `col = value` for column `c` of `plan`.
fn eq_selectivity(plan: &Plan, c: usize, value: Option<Datum>, rows: f64, blocks: Blocks<'_>) -> f64 {
    let nd = distinct(plan, c, rows, blocks);
    match column_stats(plan, c, blocks) {
        Some(s) => selfuncs::eq_sel(&s, value.as_ref(), nd),
        None => 1.0 / nd,
    }
}

/// The share of a hash table of `plan`'s rows (about `rows`) on column
/// `c` that one bucket holds: one over its distinct values, which a
/// condition that keeps fewer of the table's rows thins out.
pub fn bucket_fraction(plan: &Plan, c: usize, rows: f64, blocks: Blocks<'_>) -> f64 {
    let base = column_source(plan, c, blocks).map_or(rows, |(_, _, t)| t);
    // The table's distinct values (not yet limited to the rows kept),
    // thinned in proportion to the rows the conditions keep.
    let nd = distinct(plan, c, base.max(rows), blocks);
    let nd = if rows < base && base > 0.0 { nd * rows / base } else { nd };
    1.0 / nd.max(1.0)
}

/// The share of `plan`'s rows (about `rows`) that `cond` keeps.
pub fn selectivity(cond: &Expr, plan: &Plan, rows: f64, blocks: Blocks<'_>) -> f64 {
    let sel = match cond {
        Expr::And(..) => {
            let mut conjuncts = Vec::new();
            super::planner::split_and(cond, &mut conjuncts);
            conjunction_selectivity(&conjuncts, plan, rows, blocks)
        }
        Expr::Or(a, b) => match in_list_selectivity(cond, plan, rows, blocks) {
            Some(s) => s,
            None => {
                let (x, y) = (selectivity(a, plan, rows, blocks), selectivity(b, plan, rows, blocks));
                x + y - x * y
            }
        },
        Expr::Not(a) => 1.0 - selectivity(a, plan, rows, blocks),
        Expr::Cmp(op, a, b) => {
            if let Some((c, ty, op, v)) = column_side(*op, a, b) {
                let value = selfuncs::constant(v, ty);
                match op {
                    CmpOp::Eq => eq_selectivity(plan, c, value, rows, blocks),
                    CmpOp::NotEq => {
                        let nulls = column_stats(plan, c, blocks).map_or(0.0, |s| s.null_frac as f64);
                        1.0 - eq_selectivity(plan, c, value, rows, blocks) - nulls
                    }
                    _ => range_bound_selectivity(plan, c, op, value.as_ref(), blocks).unwrap_or(DEFAULT_INEQ_SEL),
                }
            } else {
                let (col, other) = match (column(a), column(b)) {
                    (Some(c), _) if fixed(b) => (Some(c), true),
                    (_, Some(c)) if fixed(a) => (Some(c), true),
                    (Some(x), Some(y)) if *op == CmpOp::Eq => {
                        // Two columns of the same rows: like a join's equality.
                        let nd = distinct(plan, x, rows, blocks).max(distinct(plan, y, rows, blocks));
                        return (1.0 / nd).clamp(0.0, 1.0);
                    }
                    _ => (None, false),
                };
                match (op, col) {
                    (CmpOp::Eq, Some(c)) if other => 1.0 / distinct(plan, c, rows, blocks),
                    (CmpOp::Eq, _) => DEFAULT_EQ_SEL,
                    (CmpOp::NotEq, Some(c)) => 1.0 - 1.0 / distinct(plan, c, rows, blocks),
                    (CmpOp::NotEq, None) => 1.0 - DEFAULT_EQ_SEL,
                    _ => DEFAULT_INEQ_SEL,
                }
            }
        }
        Expr::Call(Func::Array(ArrayFn::Any { op: CmpOp::Eq, all: false }), args, _) => match args.as_slice() {
            [Expr::Column(c, _), array] => match selfuncs::constant(array, array.ty()) {
                Some(Datum::Array(a)) => a
                    .items
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(|v| eq_selectivity(plan, *c, Some(v.clone()), rows, blocks))
                    .sum(),
                // An array known only at run time: PostgreSQL's guess of ten elements.
                _ => 10.0 * eq_selectivity(plan, *c, None, rows, blocks),
            },
            _ => DEFAULT_SEL,
        },
        Expr::IsNull(e, negated) => {
            let nulls = column(e).and_then(|c| null_frac(plan, c, blocks)).unwrap_or(DEFAULT_EQ_SEL);
            if *negated { 1.0 - nulls } else { nulls }
        }
        Expr::Like(a, pattern, negated, false) => {
            let sel = like_selectivity(a, pattern, plan, rows, blocks);
            if *negated { 1.0 - sel } else { sel }
        }
        Expr::Like(..) => DEFAULT_EQ_SEL,
        Expr::Const(Datum::Bool(b), _) => {
            if *b {
                1.0
            } else {
                0.0
            }
        }
        _ => DEFAULT_SEL,
    };
    sel.clamp(0.0, 1.0)
}

/// `col op value` for a range operator, from the column's statistics
/// (`None` without them or without a known value).
fn range_bound_selectivity(plan: &Plan, c: usize, op: CmpOp, value: Option<&Datum>, blocks: Blocks<'_>) -> Option<f64> {
    let stats = column_stats(plan, c, blocks)?;
    selfuncs::ineq_sel(&stats, op, value?)
}

/// One side of a range on a column: absent, or present with its
/// selectivity (`None`: no statistics to tell).
type RangeSide = Option<Option<f64>>;

/// The conjuncts of an AND, independent of each other except that a
/// lower and an upper bound on the same column make one range, whose
/// share is `P(below upper) + P(above lower) - 1` as PostgreSQL's
/// `clauselist_selectivity` computes it (0.5 % when either side has no
/// statistics).
fn conjunction_selectivity(conjuncts: &[&Expr], plan: &Plan, rows: f64, blocks: Blocks<'_>) -> f64 {
    // Per column: the lower bound's and the upper bound's selectivity (None: default).
    let mut ranges: Vec<(usize, RangeSide, RangeSide)> = Vec::new();
    let mut sel = 1.0;
    for c in conjuncts {
        let bound = match c {
            Expr::Cmp(op, a, b) if !matches!(op, CmpOp::Eq | CmpOp::NotEq) => column_side(*op, a, b),
            _ => None,
        };
        let Some((col, ty, op, v)) = bound else {
            sel *= selectivity(c, plan, rows, blocks);
            continue;
        };
        let s = range_bound_selectivity(plan, col, op, selfuncs::constant(v, ty).as_ref(), blocks);
        let at = match ranges.iter().position(|r| r.0 == col) {
            Some(at) => at,
            None => {
                ranges.push((col, None, None));
                ranges.len() - 1
            }
        };
        let slot = if matches!(op, CmpOp::Gt | CmpOp::GtEq) { &mut ranges[at].1 } else { &mut ranges[at].2 };
        // Two bounds on the same side: the tighter one counts.
        *slot = Some(match (*slot, s) {
            (Some(Some(old)), Some(new)) => Some(old.min(new)),
            (Some(None), _) | (_, None) => None,
            (_, Some(new)) => Some(new),
        });
    }
    for (_, lower, upper) in ranges {
        sel *= match (lower, upper) {
            (Some(Some(lo)), Some(Some(hi))) => {
                let s = lo + hi - 1.0;
                if s > 0.0 {
                    s
                } else if s < -0.01 {
                    1.0e-10
                } else {
                    DEFAULT_RANGE_INEQ_SEL
                }
            }
            (Some(_), Some(_)) => DEFAULT_RANGE_INEQ_SEL,
            (Some(s), None) | (None, Some(s)) => s.unwrap_or(DEFAULT_INEQ_SEL),
            (None, None) => 1.0,
        };
    }
    sel
}

/// `col = v1 OR col = v2 OR …` (an IN list) on one column: the values'
/// shares added up, as they cannot overlap.
fn in_list_selectivity(cond: &Expr, plan: &Plan, rows: f64, blocks: Blocks<'_>) -> Option<f64> {
    let mut each = Vec::new();
    cond.or_arms(&mut each);
    let mut column = None;
    let mut sel = 0.0;
    for arm in each {
        let Expr::Cmp(CmpOp::Eq, a, b) = arm else { return None };
        let (c, ty, _, v) = column_side(CmpOp::Eq, a, b)?;
        if column.is_some_and(|col| col != c) {
            return None;
        }
        column = Some(c);
        sel += eq_selectivity(plan, c, selfuncs::constant(v, ty), rows, blocks);
    }
    Some(sel.min(1.0))
}

/// `col LIKE pattern`: a pattern with a fixed prefix keeps the rows in
/// the prefix's range (`prefix <= col < prefix with its last byte
/// raised`), and the MCVs are tested against the pattern; others the
/// default.
fn like_selectivity(a: &Expr, pattern: &Expr, plan: &Plan, rows: f64, blocks: Blocks<'_>) -> f64 {
    let (Expr::Column(c, ty), Some(Datum::Text(p))) = (a, selfuncs::constant(pattern, PgType::Text)) else {
        return DEFAULT_EQ_SEL;
    };
    let prefix: String = p.chars().take_while(|ch| !matches!(ch, '%' | '_' | '\\')).collect();
    if prefix.len() == p.len() {
        // No wildcard: an equality.
        return eq_selectivity(plan, *c, Some(Datum::Text(p)), rows, blocks);
    }
    let Some(stats) = column_stats(plan, *c, blocks).filter(|_| !prefix.is_empty() && ty.is_string()) else {
        return DEFAULT_EQ_SEL;
    };
    let mut upper = prefix.clone().into_bytes();
    while let Some(last) = upper.pop() {
        if last < 0x7f {
            upper.push(last + 1);
            break;
        }
    }
    let lo = selfuncs::ineq_sel(&stats, CmpOp::GtEq, &Datum::Text(prefix.clone()));
    let hi = match String::from_utf8(upper) {
        Ok(u) if !u.is_empty() => selfuncs::ineq_sel(&stats, CmpOp::Lt, &Datum::Text(u)),
        _ => Some(1.0 - stats.null_frac as f64),
    };
    match (lo, hi) {
        (Some(lo), Some(hi)) => (lo + hi - 1.0).max(1.0 / distinct(plan, *c, rows, blocks).max(1.0)),
        _ => DEFAULT_EQ_SEL,
    }
}

/// Where column `i` (of a FROM clause's row) comes from: the item's plan,
/// the column's position in it, and the item's estimated rows.
pub type Source<'a> = &'a dyn Fn(usize) -> Option<(&'a Plan, usize, f64)>;

/// The share of the rows of a cross product of FROM items that a
/// condition over several of them keeps.
pub fn join_selectivity(cond: &Expr, source: Source<'_>, blocks: Blocks<'_>) -> f64 {
    match cond {
        Expr::Cmp(CmpOp::Eq, a, b) => match (column(a).and_then(source), column(b).and_then(source)) {
            (Some((pa, ca, ra)), Some((pb, cb, rb))) => {
                1.0 / distinct(pa, ca, ra, blocks).max(distinct(pb, cb, rb, blocks))
            }
            _ => DEFAULT_EQ_SEL,
        },
        Expr::Cmp(..) => DEFAULT_INEQ_SEL,
        _ => DEFAULT_SEL,
    }
}

/// Estimated rows a plan produces.
pub fn plan_rows(plan: &Plan, blocks: Blocks<'_>) -> f64 {
    let filtered = |base: &Plan, rows: f64, filter: &Option<Expr>| match filter {
        Some(f) => (rows * selectivity(f, base, rows, blocks)).max(1.0),
        None => rows,
    };
    match plan {
        Plan::Scan { table, filter, .. } | Plan::IndexScan { table, filter, .. } => {
            filtered(plan, table_rows(table, blocks), filter)
        }
        Plan::Filter { input, predicate } => {
            let rows = plan_rows(input, blocks);
            (rows * selectivity(predicate, input, rows, blocks)).max(1.0)
        }
        Plan::Project { input, .. } | Plan::Sort { input, .. } => plan_rows(input, blocks),
        // PostgreSQL's guess for a set-returning call with no better estimate.
        Plan::ProjectSet { input, .. } => plan_rows(input, blocks) * 10.0,
        Plan::Limit { input, count, .. } => {
            let rows = plan_rows(input, blocks);
            match count.as_ref().and_then(|c| selfuncs::constant(c, PgType::Int8)).and_then(|d| d.as_i64()) {
                Some(n) => rows.min(n as f64).max(1.0),
                None => rows,
            }
        }
        Plan::Join { left, right, kind, equi, on, .. } => {
            let (l, r) = (plan_rows(left, blocks), plan_rows(right, blocks));
            let mut sel = 1.0;
            for (a, b) in equi {
                let nd_a = column(a).map_or(DEFAULT_NUM_DISTINCT, |c| distinct(left, c, l, blocks));
                let nd_b = column(b).map_or(DEFAULT_NUM_DISTINCT, |c| distinct(right, c, r, blocks));
                sel /= nd_a.max(nd_b);
            }
            if on.is_some() {
                sel *= DEFAULT_INEQ_SEL;
            }
            let inner = (l * r * sel).max(1.0);
            // The share of left rows with a match: each key value of the
            // left side finds one if the right side has as many distinct
            // values (as PostgreSQL's `eqjoinsel_semi` guesses).
            let semi = || {
                let mut share = 1.0;
                for (a, b) in equi {
                    let nd_a = column(a).map_or(DEFAULT_NUM_DISTINCT, |c| distinct(left, c, l, blocks));
                    let nd_b = column(b).map_or(DEFAULT_NUM_DISTINCT, |c| distinct(right, c, r, blocks));
                    share *= (nd_b / nd_a.max(1.0)).min(1.0);
                }
                if on.is_some() {
                    share *= DEFAULT_INEQ_SEL;
                }
                if r < 1.0 { 0.0 } else { share }
            };
            match kind {
                JoinKind::Semi => (l * semi()).max(1.0),
                JoinKind::Anti => (l * (1.0 - semi())).max(1.0),
                JoinKind::Inner => inner,
                JoinKind::Left => inner.max(l),
                JoinKind::Right => inner.max(r),
                JoinKind::Full => inner.max(l + r),
            }
        }
        Plan::LateralJoin { left, right, kind, on, .. } => {
            let l = plan_rows(left, blocks);
            // The right side's rows for one left row (its conditions on
            // the left row's values estimated as on unknown values).
            let mut r = loop_rows(right, blocks);
            if on.is_some() {
                r *= DEFAULT_INEQ_SEL;
            }
            let inner = (l * r).max(1.0);
            match kind {
                JoinKind::Semi => (l * r.min(1.0)).max(1.0),
                JoinKind::Anti => (l * (1.0 - r.min(1.0))).max(1.0),
                JoinKind::Left => inner.max(l),
                _ => inner,
            }
        }
        Plan::Aggregate { input, groups, sets, .. } if !sets.is_empty() => sets
            .iter()
            .map(|s| {
                let keys: Vec<Expr> = s.iter().map(|&k| groups[k].clone()).collect();
                if keys.is_empty() { 1.0 } else { group_rows(input, &keys, blocks) }
            })
            .sum(),
        Plan::Aggregate { input, groups, .. } => {
            if groups.is_empty() {
                1.0
            } else {
                group_rows(input, groups, blocks)
            }
        }
        Plan::Distinct { input, .. } => plan_rows(input, blocks).min(DEFAULT_NUM_DISTINCT),
        Plan::Values { rows, .. } => rows.len() as f64,
        Plan::SetOp { left, right, .. } => plan_rows(left, blocks) + plan_rows(right, blocks),
        _ => DEFAULT_ROWS,
    }
}

/// The rows one run of a nested loop's right side gives: a scan's
/// without rounding up to one row (a lookup of a key that most left rows
/// lack gives less than one on average), else as [`plan_rows`].
fn loop_rows(plan: &Plan, blocks: Blocks<'_>) -> f64 {
    match plan {
        Plan::Scan { table, filter: Some(f), .. } | Plan::IndexScan { table, filter: Some(f), .. } => {
            let rows = table_rows(table, blocks);
            rows * selectivity(f, plan, rows, blocks)
        }
        other => plan_rows(other, blocks),
    }
}

/// Groups of `input`'s rows by `groups`: the product of the grouping
/// columns' distinct values (200 for an expression), at most the rows.
fn group_rows(input: &Plan, groups: &[Expr], blocks: Blocks<'_>) -> f64 {
    let rows = plan_rows(input, blocks);
    let mut n = 1.0;
    for g in groups {
        n *= match g {
            Expr::Column(c, _) => distinct(input, *c, rows, blocks),
            _ => DEFAULT_NUM_DISTINCT,
        };
    }
    n.clamp(1.0, rows.max(1.0))
}

/// Whether a plan reads a table VACUUM or ANALYZE has counted.
pub fn counted(plan: &Plan) -> bool {
    match plan {
        Plan::Scan { table, .. } | Plan::IndexScan { table, .. } => table.counted.1 >= 0.0,
        Plan::Filter { input, .. } | Plan::Project { input, .. } => counted(input),
        Plan::Join { left, right, .. } | Plan::LateralJoin { left, right, .. } => counted(left) || counted(right),
        _ => false,
    }
}

/// FROM order, except that the next item joined is the first one a
/// condition connects to those joined so far (if any is). `conds`: the
/// items each condition reads; any number of items.
pub fn connected_in_order(n: usize, conds: &[Vec<usize>]) -> Vec<usize> {
    let mut order = Vec::with_capacity(n);
    let mut joined = vec![false; n];
    while order.len() < n {
        let links = |i: usize| {
            conds
                .iter()
                .any(|c| c.contains(&i) && c.iter().any(|&j| joined[j]) && c.iter().all(|&j| j == i || joined[j]))
        };
        let left = (0..n).filter(|&i| !joined[i]);
        let next = left.clone().find(|&i| links(i)).or_else(|| left.clone().next()).expect("an item is left");
        order.push(next);
        joined[next] = true;
    }
    order
}

/// A condition of a join graph: the items it reads (a bit each) and the
/// share of rows it keeps.
#[derive(Clone, Copy, Debug)]
pub struct Edge {
    pub items: u64,
    pub selectivity: f64,
}

/// The order to join `rows.len()` items (their estimated rows) in, as a
/// list of item numbers: the first is the outermost probe side, each next
/// one is joined to all before it. Ties keep the items' own order.
pub fn join_order(rows: &[f64], edges: &[Edge]) -> Vec<usize> {
    let buckets: Vec<f64> = rows.iter().map(|r| 1.0 / r.max(1.0)).collect();
    join_order_hashed(rows, &buckets, edges)
}

/// [`join_order`], knowing for each item the share of its rows a hash
/// table of it holds in one bucket (`1 / distinct keys`): probing a
/// table of few distinct keys compares each probe row with many built
/// rows (PostgreSQL's `estimate_hash_bucketsize` term).
pub fn join_order_hashed(rows: &[f64], buckets: &[f64], edges: &[Edge]) -> Vec<usize> {
    let n = rows.len();
    if n <= 1 {
        return (0..n).collect();
    }
    let all = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let set_rows = |set: u64| -> f64 {
        let mut r: f64 = (0..n).filter(|i| set & (1 << i) != 0).map(|i| rows[i].max(1.0)).product();
        for e in edges {
            if e.items & !set == 0 {
                r *= e.selectivity;
            }
        }
        r.max(1.0)
    };
    // A condition connects `item` to `set` when it reads both and nothing else.
    let connected = |set: u64, item: usize| {
        let with = set | (1 << item);
        edges.iter().any(|e| e.items & (1 << item) != 0 && e.items & set != 0 && e.items & !with == 0)
    };
    // The next items worth trying after `set`: connected ones, or all if none is.
    let candidates = |set: u64| -> Vec<usize> {
        let left: Vec<usize> = (0..n).filter(|i| set & (1 << i) == 0).collect();
        let linked: Vec<usize> = left.iter().copied().filter(|&i| connected(set, i)).collect();
        if linked.is_empty() { left } else { linked }
    };
    let step = |set: u64, item: usize| -> f64 {
        let probe = set_rows(set);
        let built = rows[item].max(1.0);
        probe + 2.0 * built + set_rows(set | (1 << item)) + 0.5 * probe * built * buckets[item]
    };
    if n > DP_LIMIT {
        // Greedy: start from the largest item (it is best probed, never
        // built), then the cheapest next step each time.
        let first = (0..n).fold(0, |best, i| if rows[i] > rows[best] { i } else { best });
        let mut order = vec![first];
        let mut set = 1u64 << first;
        while set != all {
            let next = candidates(set)
                .into_iter()
                .fold(None, |best: Option<(usize, f64)>, i| {
                    let c = step(set, i);
                    if best.is_none_or(|(_, bc)| c < bc) { Some((i, c)) } else { best }
                })
                .map(|(i, _)| i)
                .expect("an item is left");
            order.push(next);
            set |= 1 << next;
        }
        return order;
    }
    // best[set] = (cost, last item, set before it)
    let mut best: Vec<Option<(f64, usize, u64)>> = vec![None; 1 << n];
    for i in 0..n {
        best[1 << i] = Some((0.0, i, 0));
    }
    for set in 1..=all {
        let Some((cost, ..)) = best[set as usize] else { continue };
        for item in candidates(set) {
            let next = set | (1 << item);
            let c = cost + step(set, item);
            if best[next as usize].is_none_or(|(bc, ..)| c < bc * (1.0 - 1e-9)) {
                best[next as usize] = Some((c, item, set));
            }
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut set = all;
    while set != 0 {
        let (_, item, before) = best[set as usize].expect("every set is reachable");
        order.push(item);
        set = before;
    }
    order.reverse();
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_big_table_is_probed_and_the_small_ones_built() {
        // big ⋈ small on a key of small, big ⋈ tiny on a key of tiny.
        let rows = [100_000.0, 100.0, 10.0];
        let edges = [Edge { items: 0b011, selectivity: 1.0 / 100.0 }, Edge { items: 0b101, selectivity: 1.0 / 10.0 }];
        assert_eq!(join_order(&rows, &edges)[0], 0);
        // Listed last, it is still probed first.
        let rows = [10.0, 100.0, 100_000.0];
        let edges = [Edge { items: 0b110, selectivity: 1.0 / 100.0 }, Edge { items: 0b101, selectivity: 1.0 / 10.0 }];
        assert_eq!(join_order(&rows, &edges)[0], 2);
    }

    #[test]
    fn no_cross_product_while_a_condition_connects() {
        // a - b - c in a chain; a and c unconnected; a condition over all
        // three connects nothing by itself.
        let rows = [1000.0, 1000.0, 5.0];
        let edges = [
            Edge { items: 0b011, selectivity: 0.001 },
            Edge { items: 0b110, selectivity: 0.2 },
            Edge { items: 0b111, selectivity: 0.5 },
        ];
        let order = join_order(&rows, &edges);
        for w in 1..order.len() {
            let set: u64 = order[..w].iter().map(|&i| 1u64 << i).sum();
            let with = set | (1 << order[w]);
            assert!(
                edges.iter().any(|e| e.items & (1 << order[w]) != 0 && e.items & set != 0 && e.items & !with == 0),
                "{order:?}"
            );
        }
    }

    #[test]
    fn equal_items_keep_their_order() {
        assert_eq!(join_order(&[10.0, 10.0, 10.0], &[]), vec![0, 1, 2]);
        let many = vec![10.0; DP_LIMIT + 2];
        assert_eq!(join_order(&many, &[]).len(), DP_LIMIT + 2);
    }
}
