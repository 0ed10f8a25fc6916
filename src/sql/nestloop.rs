//! Index nested loops: a join whose inner side is an index scan keyed by
//! the outer row's values (PostgreSQL's parameterized Nested Loop).
//!
//! ```text
//! Nested Loop
//!   ->  Index Scan using orders_pkey on orders o
//!         Index Cond: (id = 42)
//!   ->  Index Scan using customers_pkey on customers c
//!         Index Cond: (id = o.cust_id)
//! ```
//!
//! The binder joins FROM items with hash joins (`Plan::Join` with keys)
//! in the order `cost::join_order` chose. Once the scans have their access
//! paths, each join is priced as it is and as a nested loop with either
//! input as its inner side where the join allows: either side of an inner
//! join, the right side of a left, semi or anti join, the left side of a
//! right join (which becomes a left join of the sides swapped). The
//! cheapest wins. Joins are decided bottom-up, so that a join prices its
//! inputs as they will run.
//!
//! The inner side must be a scan of a table. The join's conditions are
//! added to its filter, the outer row's columns in them turned into outer
//! slots (`Expr::Outer`) that the loop sets for each outer row
//! (`Plan::LateralJoin`'s bindings); an index scan is then chosen for the
//! whole filter as for any other (`planner::cheapest_index_scan`): equalities on a
//! prefix of the index's columns and a range on the next one bound the
//! walk, and the rest is checked on the rows it fetches. A condition
//! holding a subquery stays the loop's own (`Join Filter`).
//!
//! The loop costs the outer side plus, for each outer row, one run of the
//! inner scan (`costsize`); the hash join, its inner side read whole. So a
//! few outer rows and an indexed inner side give a nested loop, two large
//! sides a hash join; `enable_nestloop`, `enable_hashjoin` and
//! `enable_indexscan` weigh in through the costs of what they turn off.

use super::costsize::Costing;
use super::expr::{CmpOp, Expr};
use super::plan::{JoinKind, Plan};
use super::planner::{cheapest_index_scan, columns_read, for_each_plan_mut_bottom_up, split_and};
use super::types::PgType;

/// Turn joins into index nested loops where those cost less, in `plan`
/// and every subquery inside it.
pub(super) fn choose_index_nested_loops(plan: &mut Plan, costing: &Costing<'_>) {
    let mut next_slot = first_free_slot(plan);
    for_each_plan_mut_bottom_up(plan, &mut |p| {
        if let Some((nested, slots)) = cheaper_nested_loop(p, costing, next_slot) {
            *p = nested;
            next_slot += slots;
        }
    });
}

/// The first outer slot no expression of the statement uses.
fn first_free_slot(plan: &Plan) -> usize {
    let mut next = 0;
    plan.walk(&mut |p| {
        p.visit_exprs(&mut |e| {
            e.walk(&mut |x| {
                if let Expr::Outer(slot, _) = x {
                    next = next.max(slot + 1);
                }
            })
        })
    });
    next
}

/// An index nested loop doing what the join `plan` does at less cost, and
/// how many outer slots (from `first_slot` on) it uses.
fn cheaper_nested_loop(plan: &Plan, costing: &Costing<'_>, first_slot: usize) -> Option<(Plan, usize)> {
    let Plan::Join { left, right, kind, equi, on, .. } = plan else { return None };
    let width = left.types().len();
    // The join's conditions over its row (the left side's columns, then the right side's).
    let mut conds: Vec<Expr> =
        equi.iter().map(|(l, r)| Expr::Cmp(CmpOp::Eq, Box::new(l.clone()), Box::new(shifted(r, width)))).collect();
    if let Some(on) = on {
        let mut parts = Vec::new();
        split_and(on, &mut parts);
        conds.extend(parts.into_iter().cloned());
    }
    if conds.is_empty() {
        return None;
    }
    // Which input can be the inner side: the right one (`false`), the left one (`true`).
    let swaps: &[bool] = match kind {
        JoinKind::Inner => &[false, true],
        JoinKind::Left | JoinKind::Semi | JoinKind::Anti => &[false],
        JoinKind::Right => &[true],
        JoinKind::Full => &[],
    };
    // Fresh estimates: nodes built here come and go, and a memo by
    // address could hand a new node an old one's estimate.
    let cost = |p: &Plan| Costing::new(costing.params, costing.blocks).estimate(p).total;
    let mut best = None;
    let mut best_cost = cost(plan);
    for &swapped in swaps {
        let Some(candidate) = nested_loop(left, right, *kind, &conds, swapped, costing, first_slot) else { continue };
        let c = cost(&candidate.0);
        if c < best_cost {
            best_cost = c;
            best = Some(candidate);
        }
    }
    best
}

/// The nested loop joining `left` and `right` (of join kind `kind`) by
/// `conds` over their joined row, the right side scanned by index for
/// each left row — or, `swapped`, the left side for each right row —
/// with the outer slots it needs numbered from `first_slot`; `None` if
/// the inner side is no table scan or no index is keyed by the outer row.
fn nested_loop(
    left: &Plan,
    right: &Plan,
    kind: JoinKind,
    conds: &[Expr],
    swapped: bool,
    costing: &Costing<'_>,
    first_slot: usize,
) -> Option<(Plan, usize)> {
    let (outer, inner) = if swapped { (right, left) } else { (left, right) };
    let (Plan::Scan { table, filter, ctid, system, alias, .. }
    | Plan::IndexScan { table, filter, ctid, system, alias, .. }) = inner
    else {
        return None;
    };
    let width = left.types().len();
    let outer_width = outer.types().len();
    // Column `c` of the join's row: of the outer side (`Ok`) or of the inner side (`Err`).
    let side = |c: usize| {
        let (in_left, i) = if c < width { (true, c) } else { (false, c - width) };
        if in_left != swapped { Ok(i) } else { Err(i) }
    };
    let mut bindings: Vec<(usize, Expr)> = Vec::new();
    let mut pushed: Vec<Expr> = filter.iter().cloned().collect();
    let mut kept = Vec::new();
    for cond in conds {
        let mut subplans = Vec::new();
        cond.subplans(&mut subplans);
        let mut c = cond.clone();
        if !subplans.is_empty() {
            // Checked on the loop's row: the outer side's columns, then the inner side's.
            c.walk_mut(&mut |x| {
                if let Expr::Column(i, _) = x {
                    *i = match side(*i) {
                        Ok(o) => o,
                        Err(n) => outer_width + n,
                    };
                }
            });
            kept.push(c);
            continue;
        }
        c.walk_mut(&mut |x| {
            if let Expr::Column(i, ty) = x {
                match side(*i) {
                    Ok(o) => *x = Expr::Outer(outer_slot(&mut bindings, first_slot, o, *ty), *ty),
                    Err(n) => *i = n,
                }
            }
        });
        pushed.push(inner_first(c));
    }
    let filter = crate::sql::expr::join_chain(pushed, Expr::And)?;
    // A semi or anti join reads nothing of the inner rows but what its
    // conditions do: the scan may be index-only.
    let mut needed = Vec::new();
    let index_only = !kind.emits_right() && kept.is_empty() && columns_read(std::iter::once(&filter), &mut needed);
    // Whether it beats reading the whole table for each outer row is
    // for the loop's cost to tell.
    let (_, scan) =
        cheapest_index_scan(table, &filter, (*ctid, *system), alias, costing, index_only.then_some(&needed[..]))?;
    let Plan::IndexScan { conds: keys, .. } = &scan else { return None };
    let keyed = keys.iter().any(|k| {
        let mut found = false;
        k.walk(&mut |x| found |= matches!(x, Expr::Outer(s, _) if *s >= first_slot));
        found
    });
    if !keyed {
        return None;
    }
    let slots = bindings.len();
    let kind = if kind == JoinKind::Right { JoinKind::Left } else { kind };
    let on = crate::sql::expr::join_chain(kept, Expr::And);
    let nested = Plan::LateralJoin { left: Box::new(outer.clone()), right: Box::new(scan), kind, bindings, on };
    if !swapped {
        return Some((nested, slots));
    }
    // Back to the join's column order: the left side's columns, then the right side's.
    let types: Vec<PgType> = left.types().into_iter().chain(right.types()).collect();
    let exprs = types
        .iter()
        .enumerate()
        .map(|(i, t)| match side(i) {
            Ok(o) => Expr::Column(o, *t),
            Err(n) => Expr::Column(outer_width + n, *t),
        })
        .collect();
    Some((Plan::Project { input: Box::new(nested), exprs }, slots))
}

/// A comparison of an outer value with the inner row's column written
/// column first (`id = o.cust_id`), as an index condition reads.
fn inner_first(e: Expr) -> Expr {
    let Expr::Cmp(op, a, b) = e else { return e };
    let outer_only = |x: &Expr| {
        let (mut outer, mut column) = (false, false);
        x.walk(&mut |y| match y {
            Expr::Outer(..) => outer = true,
            Expr::Column(..) => column = true,
            _ => {}
        });
        outer && !column
    };
    let column = |x: &Expr| match x {
        Expr::Column(..) => true,
        Expr::Cast(inner, ..) => matches!(inner.as_ref(), Expr::Column(..)),
        _ => false,
    };
    if outer_only(&a) && column(&b) { Expr::Cmp(op.commuted(), b, a) } else { Expr::Cmp(op, a, b) }
}

/// The outer slot holding column `column` of the outer row, added to
/// `bindings` when first asked for.
fn outer_slot(bindings: &mut Vec<(usize, Expr)>, first_slot: usize, column: usize, ty: PgType) -> usize {
    let found = bindings.iter().find(|(_, e)| matches!(e, Expr::Column(c, _) if *c == column));
    if let Some((slot, _)) = found {
        return *slot;
    }
    let slot = first_slot + bindings.len();
    bindings.push((slot, Expr::Column(column, ty)));
    slot
}

/// `e` with its column references moved up by `by`.
fn shifted(e: &Expr, by: usize) -> Expr {
    let mut e = e.clone();
    e.walk_mut(&mut |x| {
        if let Expr::Column(i, _) = x {
            *i += by;
        }
    });
    e
}
