//! Merge joins: an equality join whose inputs come sorted by the join
//! keys, walked side by side (PostgreSQL's Merge Join).
//!
//! ```text
//! Merge Join
//!   Merge Cond: (a.id = b.a_id)
//!   ->  Index Scan using a_pkey on a
//!   ->  Sort
//!         Sort Key: b.a_id
//!         ->  Seq Scan on b
//! ```
//!
//! After index nested loops are chosen (`nestloop`), each remaining hash
//! join, bottom-up, is priced as a merge join too: every key must be a
//! column of its side on both sides, of one type (or both integers).
//! An input is already in order if its rows come so (an index scan on
//! the key columns, a sort, another merge join); a table scan may instead
//! read through an index on the key columns, or be sorted (`Sort`),
//! whichever costs less; anything else is sorted. The merge join wins if
//! it costs less than the hash join (or, with `enable_hashjoin = off`,
//! than the nested loop that would replace it); `enable_mergejoin = off`
//! weighs in through its cost.
//!
//! A merge join's rows come in the order of its keys, so a sort above it
//! by those keys is left out, as is any sort of rows already in its order
//! ([`drop_needless_sorts`]).
//!
//! The executor's side is `exec::merge_join`.

use super::costsize::Costing;
use super::expr::Expr;
use super::plan::{JoinKind, Plan, SortKey};
use super::planner::{
    bounded_index_scan, commuted, for_each_plan_mut, for_each_plan_mut_bottom_up, index_in_order, join_as_nested_loop,
    whole_index_scan,
};
use super::types::PgType;

/// Turn hash joins into merge joins where those cost less, in `plan` and
/// every subquery inside it; then drop the sorts their order makes needless.
pub(super) fn choose_merge_joins(plan: &mut Plan, costing: &Costing<'_>) {
    let mut chosen = false;
    for_each_plan_mut_bottom_up(plan, &mut |p| {
        if let Some(merge) = cheaper_merge_join(p, costing).or_else(|| sorted_by_merge_join(p, costing)) {
            *p = merge;
            chosen = true;
        }
    });
    if chosen {
        drop_needless_sorts(plan);
    }
}

/// A sort of a hash join's rows by its keys done instead by the join
/// becoming a merge join, if that costs less than the sort and the hash
/// join: the plan under the sort with the join made a merge join.
fn sorted_by_merge_join(sort: &Plan, costing: &Costing<'_>) -> Option<Plan> {
    let Plan::Sort { input, keys } = sort else { return None };
    if keys.iter().any(|k| k.descending || k.nulls_first) {
        return None;
    }
    let mut unsorted = input.as_ref().clone();
    let join = join_below(&mut unsorted)?;
    let Plan::Join { kind, on, merge: false, .. } = join else { return None };
    if *kind == JoinKind::Full && on.is_some() {
        return None;
    }
    *join = merge_join(join, costing)?;
    let columns: Vec<usize> = keys.iter().map(|k| k.column).collect();
    (ordered_by(&unsorted, &columns) && cost(&unsorted, costing) < cost(sort, costing)).then_some(unsorted)
}

/// The join whose rows `plan` passes on (through projections and filters).
fn join_below(plan: &mut Plan) -> Option<&mut Plan> {
    match plan {
        Plan::Project { input, .. } | Plan::Filter { input, .. } => join_below(input),
        Plan::Join { .. } => Some(plan),
        _ => None,
    }
}

/// A merge join doing what the hash join `plan` does at less cost. As
/// in PostgreSQL, a RIGHT join is merged as a LEFT join of the sides
/// swapped, and a FULL join only if every condition is a merge key.
fn cheaper_merge_join(plan: &Plan, costing: &Costing<'_>) -> Option<Plan> {
    let Plan::Join { kind, equi, on, merge: false, .. } = plan else { return None };
    if equi.is_empty() || *kind == JoinKind::Full && on.is_some() {
        return None;
    }
    let merge = merge_join(plan, costing)?;
    let mut best = cost(plan, costing);
    if !costing.params.enable_hashjoin && costing.params.enable_nestloop && *kind != JoinKind::Full {
        let mut nested = plan.clone();
        join_as_nested_loop(&mut nested);
        best = best.min(cost(&nested, costing));
    }
    (cost(&merge, costing) < best).then_some(merge)
}

/// The join `join` as a merge join, its inputs sorted by its keys (a
/// RIGHT join as a LEFT join of the sides swapped, under a projection
/// putting the columns back in order); `None` if a key is no pair of
/// columns it can merge on.
fn merge_join(join: &Plan, costing: &Costing<'_>) -> Option<Plan> {
    let Plan::Join { left, right, kind, equi, on, .. } = join else { return None };
    if *kind == JoinKind::Right {
        let Plan::Project { input, exprs } = commuted(join.clone()) else { return None };
        return Some(Plan::Project { input: Box::new(merge_join(&input, costing)?), exprs });
    }
    let keys: Vec<(usize, usize)> = equi.iter().map(merge_key).collect::<Option<_>>()?;
    let left_cols: Vec<usize> = keys.iter().map(|k| k.0).collect();
    let right_cols: Vec<usize> = keys.iter().map(|k| k.1).collect();
    Some(Plan::Join {
        left: Box::new(sorted_input(left, &left_cols, costing)),
        right: Box::new(sorted_input(right, &right_cols, costing)),
        kind: *kind,
        equi: equi.clone(),
        on: on.clone(),
        merge: true,
    })
}

/// A plan's total cost, freshly estimated: nodes built here come and go,
/// and a memo by address could hand a new node an old one's estimate.
fn cost(plan: &Plan, costing: &Costing<'_>) -> f64 {
    Costing::new(costing.params, costing.blocks).estimate(plan).total
}

/// The columns a join key pair `left = right` compares, if a merge join
/// can order and compare them as the sort does: plain columns of one
/// type, or of two integer types.
fn merge_key((l, r): &(Expr, Expr)) -> Option<(usize, usize)> {
    let (Expr::Column(a, ta), Expr::Column(b, tb)) = (l, r) else { return None };
    let int = |t: &PgType| matches!(t, PgType::Int2 | PgType::Int4 | PgType::Int8);
    let sortable = |t: &PgType| {
        !matches!(
            t,
            PgType::Unknown | PgType::Void | PgType::TextForm(_) | PgType::Json | PgType::RegClass | PgType::RegType
        ) && !matches!(t, PgType::Reg(_))
    };
    ((ta == tb && sortable(ta)) || (int(ta) && int(tb))).then_some((*a, *b))
}

/// `input` with its rows in ascending order of `columns`, NULLs last:
/// as it is if they already come so, else through an index on them or
/// sorted, whichever costs less.
fn sorted_input(input: &Plan, columns: &[usize], costing: &Costing<'_>) -> Plan {
    if ordered_by(input, columns) {
        return input.clone();
    }
    let keys = columns.iter().map(|&column| SortKey { column, descending: false, nulls_first: false }).collect();
    let sorted = Plan::Sort { input: Box::new(input.clone()), keys };
    let Plan::Scan { table, filter, ctid, system, alias, .. } = input else { return sorted };
    let wanted: Vec<(usize, bool, bool)> = columns.iter().map(|&c| (c, false, false)).collect();
    let Some(found) = index_in_order(table, filter.as_ref(), &wanted) else { return sorted };
    let bounded = filter.as_ref().and_then(|f| bounded_index_scan(table, found.0, f, (*ctid, *system), alias));
    let scan = match bounded {
        Some(scan) if ordered_by(&scan, columns) => scan,
        _ => whole_index_scan(table, filter.clone(), (*ctid, *system), alias.clone(), found, false),
    };
    if cost(&scan, costing) < cost(&sorted, costing) { scan } else { sorted }
}

/// Whether `plan`'s rows come in ascending order of `columns` (NULLs
/// last), as the merge join reads them.
fn ordered_by(plan: &Plan, columns: &[usize]) -> bool {
    match plan {
        Plan::IndexScan { index, backward, .. } => {
            let forward =
                |o: &crate::catalog::keycode::KeyOrder| o.descending == *backward && o.nulls_first == *backward;
            columns.len() <= index.columns.len()
                && columns.iter().enumerate().all(|(i, c)| {
                    index.columns[i] == *c
                        && index.exprs.get(i).is_none_or(Option::is_none)
                        && index.orders.get(i).is_some_and(forward)
                })
        }
        Plan::Sort { keys, .. } => {
            columns.len() <= keys.len()
                && columns.iter().zip(keys).all(|(c, k)| k.column == *c && !k.descending && !k.nulls_first)
        }
        Plan::Filter { input, .. } | Plan::Limit { input, .. } => ordered_by(input, columns),
        Plan::Project { input, exprs } => {
            let through: Option<Vec<usize>> = columns
                .iter()
                .map(|c| match exprs.get(*c) {
                    Some(Expr::Column(i, _)) => Some(*i),
                    _ => None,
                })
                .collect();
            through.is_some_and(|cols| ordered_by(input, &cols))
        }
        Plan::Join { left, equi, kind, merge: true, .. } => {
            // In the keys' order: the left side's where every row has
            // left columns, the right side's where every row has right
            // columns (NULL-extended rows have NULLs out of order).
            let width = left.types().len();
            let by_left = matches!(kind, JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti);
            let by_right = matches!(kind, JoinKind::Inner | JoinKind::Right);
            let key = |c: usize| {
                equi.iter().position(|(l, r)| {
                    by_left && matches!(l, Expr::Column(i, _) if *i == c)
                        || by_right && matches!(r, Expr::Column(i, _) if i + width == c)
                })
            };
            columns.iter().enumerate().all(|(k, &c)| key(c) == Some(k))
        }
        Plan::LateralJoin { left, .. } => {
            let width = left.types().len();
            columns.iter().all(|&c| c < width) && ordered_by(left, columns)
        }
        _ => false,
    }
}

/// Remove each sort whose input already comes in its order.
pub(super) fn drop_needless_sorts(plan: &mut Plan) {
    for_each_plan_mut(plan, &mut |p| {
        let Plan::Sort { input, keys } = p else { return };
        let ascending = keys.iter().all(|k| !k.descending && !k.nulls_first);
        let columns: Vec<usize> = keys.iter().map(|k| k.column).collect();
        if ascending && ordered_by(input, &columns) {
            let input = std::mem::replace(input.as_mut(), Plan::Values { rows: Vec::new(), types: Vec::new() });
            *p = input;
        }
    });
}
