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

use super::expr::{CmpOp, Expr};
use super::plan::{JoinKind, Plan};
use crate::catalog::Table;
use crate::storage::page::{HEADER_SIZE, PAGE_SIZE};

/// PostgreSQL's default selectivity of `column = value`.
pub const DEFAULT_EQ_SEL: f64 = 0.005;
/// PostgreSQL's default selectivity of `column < value` and the like.
pub const DEFAULT_INEQ_SEL: f64 = 1.0 / 3.0;
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
    match plan {
        Plan::Scan { table, .. } | Plan::IndexScan { table, .. } if i < table.columns.len() => {
            Some((table.clone(), i, table_rows(table, blocks)))
        }
        Plan::Filter { input, .. } => column_source(input, i, blocks),
        Plan::Project { input, exprs } => match exprs.get(i) {
            Some(Expr::Column(c, _)) => column_source(input, *c, blocks),
            _ => None,
        },
        Plan::Join { left, right, .. } => {
            let width = left.types().len();
            if i < width { column_source(left, i, blocks) } else { column_source(right, i - width, blocks) }
        }
        _ => None,
    }
}

/// Whether column `c` of `table` alone is a unique key.
fn unique_column(table: &Table, c: usize) -> bool {
    table.indexes.iter().any(|ix| ix.unique && ix.columns == [c])
}

/// Distinct values of column `i` of `plan` (which has `rows` rows): all
/// of the table's rows for a unique column, else as ANALYZE estimated.
fn distinct(plan: &Plan, i: usize, rows: f64, blocks: Blocks<'_>) -> f64 {
    let nd = match column_source(plan, i, blocks) {
        Some((table, c, table_rows)) if unique_column(&table, c) => table_rows,
        Some((table, c, table_rows)) => table
            .stats
            .get(c)
            .copied()
            .flatten()
            .and_then(|s| s.distinct_of(table_rows))
            .unwrap_or(DEFAULT_NUM_DISTINCT),
        None => DEFAULT_NUM_DISTINCT,
    };
    nd.min(rows).max(1.0)
}

/// The share of NULLs in column `i` of `plan`, if ANALYZE found it.
fn null_frac(plan: &Plan, i: usize, blocks: Blocks<'_>) -> Option<f64> {
    let (table, c, _) = column_source(plan, i, blocks)?;
    table.stats.get(c).copied().flatten().map(|s| s.null_frac as f64)
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

/// The share of `plan`'s rows (about `rows`) that `cond` keeps.
pub fn selectivity(cond: &Expr, plan: &Plan, rows: f64, blocks: Blocks<'_>) -> f64 {
    let sel = match cond {
        Expr::And(a, b) => selectivity(a, plan, rows, blocks) * selectivity(b, plan, rows, blocks),
        Expr::Or(a, b) => {
            let (x, y) = (selectivity(a, plan, rows, blocks), selectivity(b, plan, rows, blocks));
            x + y - x * y
        }
        Expr::Not(a) => 1.0 - selectivity(a, plan, rows, blocks),
        Expr::Cmp(op, a, b) => {
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
        Expr::IsNull(e, negated) => {
            let nulls = column(e).and_then(|c| null_frac(plan, c, blocks)).unwrap_or(DEFAULT_EQ_SEL);
            if *negated { 1.0 - nulls } else { nulls }
        }
        Expr::Like(..) => DEFAULT_EQ_SEL,
        Expr::Const(crate::sql::types::Datum::Bool(b), _) => {
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
        Plan::Limit { input, count, .. } => {
            let rows = plan_rows(input, blocks);
            match count {
                Some(Expr::Const(crate::sql::types::Datum::Int8(n), _)) => rows.min(*n as f64),
                Some(Expr::Const(crate::sql::types::Datum::Int4(n), _)) => rows.min(*n as f64),
                _ => rows,
            }
        }
        Plan::Join { left, right, kind, equi, on } => {
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
            match kind {
                JoinKind::Inner => inner,
                JoinKind::Left => inner.max(l),
                JoinKind::Right => inner.max(r),
                JoinKind::Full => inner.max(l + r),
            }
        }
        Plan::Aggregate { input, groups, .. } => {
            if groups.is_empty() {
                1.0
            } else {
                plan_rows(input, blocks).min(DEFAULT_NUM_DISTINCT)
            }
        }
        Plan::Distinct { input, .. } => plan_rows(input, blocks).min(DEFAULT_NUM_DISTINCT),
        Plan::Values { rows, .. } => rows.len() as f64,
        Plan::SetOp { left, right, .. } => plan_rows(left, blocks) + plan_rows(right, blocks),
        _ => DEFAULT_ROWS,
    }
}

/// Whether a plan reads a table VACUUM or ANALYZE has counted.
pub fn counted(plan: &Plan) -> bool {
    match plan {
        Plan::Scan { table, .. } | Plan::IndexScan { table, .. } => table.counted.1 >= 0.0,
        Plan::Filter { input, .. } | Plan::Project { input, .. } => counted(input),
        Plan::Join { left, right, .. } => counted(left) || counted(right),
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
        probe + 2.0 * built + set_rows(set | (1 << item))
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
