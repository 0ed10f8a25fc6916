//! Sublinks pulled up into joins, as PostgreSQL's `pull_up_sublinks`
//! does them.
//!
//! A conjunct of WHERE (or of an inner join's ON) `EXISTS (subquery)`
//! becomes a semi join of the query's rows with the subquery's rows,
//! `NOT EXISTS (…)` an anti join, and `expr IN (SELECT e …)` (or
//! `expr = ANY (SELECT e …)`) a semi join on `expr = e` (`(a, b) IN
//! (SELECT x, y …)` one on `a = x AND b = y`). The subquery's
//! conditions on the outer row become the join's conditions, so the join
//! reads each side once (a hash join on the equalities among them) instead
//! of running the subquery again for every outer row.
//!
//! A sublink qualifies when the subquery reads the outer row only in
//! conjuncts of its filters: on its scans, on or above its inner joins, on
//! the kept side of its outer, semi and anti joins, reached through
//! projections and sorts only. A reference anywhere else (under an
//! aggregate, a LIMIT, a DISTINCT, a set operation, a window, a
//! set-returning function, in its output) leaves the sublink a subquery,
//! and so does a volatile function in a moved conjunct or in an `IN`'s
//! operands. `EXISTS` is pulled up only when correlated (an uncorrelated
//! one runs once anyway); `IN` also when not. `NOT IN` is never an anti
//! join: it is NULL, not true, when a NULL is compared.

use super::query::{and_all, columns_used, conjuncts, map_columns};
use crate::sql::expr::{CmpOp, Expr};
use crate::sql::plan::{JoinKind, Plan, SubKind, SubPlan};
use crate::sql::selfuncs;
use crate::sql::types::PgType;

/// A sublink pulled up: the rows to semi- or anti-join and on what.
pub(super) struct Sublink {
    pub kind: JoinKind,
    /// The subquery's rows (its plan below its output projection).
    pub plan: Plan,
    /// The join conditions over the level's row (columns as they are)
    /// followed by the subquery's row (from column `last` of the level).
    pub conds: Vec<Expr>,
    /// The columns of the level's row the conditions read.
    pub reads: Vec<usize>,
}

impl Sublink {
    /// The conditions with the subquery's row placed from column `at`
    /// (after the outer rows it is joined to).
    pub fn conds_at(&self, last: usize, at: usize) -> Vec<Expr> {
        let place = |i: usize, t| Expr::Column(if i >= last { i - last + at } else { i }, t);
        self.conds.iter().map(|c| map_columns(c, &place)).collect()
    }
}

/// Take out of `filters` (over the level's row `first..last`) the
/// conjuncts that are sublinks a join can do.
pub(super) fn pull_up_sublinks(filters: &mut Vec<Expr>, first: usize, last: usize) -> Vec<Sublink> {
    let mut out = Vec::new();
    let mut outer_only = Vec::new();
    filters.retain(|f| match pull_up(f, first, last) {
        Some((s, filters)) => {
            out.push(s);
            outer_only.extend(filters);
            false
        }
        None => true,
    });
    filters.extend(outer_only);
    out
}

fn pull_up(f: &Expr, first: usize, last: usize) -> Option<(Sublink, Vec<Expr>)> {
    let (sub, negated) = match f {
        Expr::Sub(s) => (s, false),
        Expr::Not(e) => match e.as_ref() {
            Expr::Sub(s) => (s, true),
            _ => return None,
        },
        _ => return None,
    };
    let within = |e: &Expr| {
        e.subplans_empty() && columns_used(e).is_some_and(|cols| cols.iter().all(|c| (first..last).contains(c)))
    };
    if !sub.bindings.iter().all(|(_, b)| within(b)) {
        return None;
    }
    let slots: Vec<usize> = sub.bindings.iter().map(|(s, _)| *s).collect();
    let exists = matches!(sub.kind, SubKind::Exists);
    let (mut plan, outputs) = peel((*sub.plan).clone(), exists);
    // A volatile function in an EXISTS subquery would run once per inner
    // row instead of once per pair (PostgreSQL does not pull it up either).
    if exists && calls_volatile(&plan) {
        return None;
    }
    let mut correlated = Vec::new();
    take_correlated(&mut plan, &slots, &|c| Some(c), &mut correlated);
    if reads_slots(&plan, &slots) || !correlated.iter().all(|c| c.subplans_empty() && columns_used(c).is_some()) {
        return None;
    }
    // Over the level's row: the subquery's columns after it, its outer
    // references replaced by what they read.
    let to_level = |e: &Expr| {
        let mut e = map_columns(e, &|i, t| Expr::Column(last + i, t));
        replace_outer(&mut e, sub);
        e
    };
    let mut conds: Vec<Expr> = correlated.iter().map(to_level).collect();
    let kind = match (&sub.kind, negated) {
        (SubKind::Exists, _) if conds.is_empty() => return None,
        (SubKind::Exists, false) => JoinKind::Semi,
        (SubKind::Exists, true) => JoinKind::Anti,
        (SubKind::Quantified { lhs, op: CmpOp::Eq, all: false, pairwise }, false) => {
            let [e] = outputs.as_slice() else { return None };
            // `(a, b) IN (SELECT x, y …)`: joined on `a = x AND b = y`.
            let pairs: Vec<(&Expr, &Expr)> = match (lhs.as_ref(), e, pairwise) {
                (Expr::Row(l, _), Expr::Row(r, _), true) if l.len() == r.len() => l.iter().zip(r).collect(),
                (_, _, true) => return None,
                _ => vec![(lhs.as_ref(), e)],
            };
            for (i, (l, r)) in pairs.into_iter().enumerate() {
                if r.ty() != l.ty() || !within(l) || !r.subplans_empty() || columns_used(r).is_none() {
                    return None;
                }
                if reads_slots_in(r, &slots) {
                    return None;
                }
                conds.insert(i, Expr::Cmp(CmpOp::Eq, Box::new(l.clone()), Box::new(to_level(r))));
            }
            JoinKind::Semi
        }
        _ => return None,
    };
    // A semi join's conditions on the outer row alone are filters of it.
    let mut outer_only = Vec::new();
    if kind == JoinKind::Semi {
        conds.retain(|c| {
            let only = columns_used(c).is_some_and(|cols| cols.iter().all(|&i| i < last));
            if only {
                outer_only.push(c.clone());
            }
            !only
        });
    }
    let mut reads: Vec<usize> =
        conds.iter().flat_map(|c| columns_used(c).unwrap_or_default()).filter(|&c| c < last).collect();
    reads.sort_unstable();
    reads.dedup();
    Some((Sublink { kind, plan, conds, reads }, outer_only))
}

/// A subquery's plan below its output projections and sorts (which a
/// semi join does not need), and its output expressions over that plan's
/// row. Below `EXISTS` also a positive constant LIMIT and a grouping
/// without aggregates: neither changes whether there is a row.
fn peel(plan: Plan, exists: bool) -> (Plan, Vec<Expr>) {
    match plan {
        Plan::Project { input, exprs } => {
            let (inner, outs) = peel(*input, exists);
            let exprs = exprs.iter().map(|e| map_columns(e, &|i, _| outs[i].clone())).collect();
            (inner, exprs)
        }
        Plan::Sort { input, .. } => peel(*input, exists),
        Plan::Limit { input, offset: None, count: Some(c), .. } if exists && positive(&c) => {
            (peel(*input, exists).0, Vec::new())
        }
        Plan::Aggregate { input, groups, aggs, sets }
            if exists && !groups.is_empty() && aggs.is_empty() && sets.iter().all(|s| !s.is_empty()) =>
        {
            (peel(*input, exists).0, Vec::new())
        }
        other => {
            let outs = other.types().into_iter().enumerate().map(|(i, t)| Expr::Column(i, t)).collect();
            (other, outs)
        }
    }
}

/// Whether `c` is a constant greater than zero.
fn positive(c: &Expr) -> bool {
    selfuncs::constant(c, PgType::Int8).and_then(|d| d.as_i64()).is_some_and(|n| n > 0)
}

/// Whether an expression of `plan` (subqueries included) calls a volatile function.
fn calls_volatile(plan: &Plan) -> bool {
    let mut found = false;
    plan.walk(&mut |p| p.visit_exprs(&mut |e| found |= columns_used(e).is_none()));
    found
}

/// Move the conjuncts of `plan`'s filters that read the outer `slots`
/// into `out`, over the row of the plan at the top (`to_top` maps a
/// column of `plan`'s row to it). What cannot move stays where it is.
fn take_correlated(plan: &mut Plan, slots: &[usize], to_top: &dyn Fn(usize) -> Option<usize>, out: &mut Vec<Expr>) {
    match plan {
        Plan::Filter { input, predicate } => {
            take_correlated(input, slots, to_top, out);
            match split(predicate.clone(), slots, to_top, out) {
                Some(p) => *predicate = p,
                None => {
                    let input = std::mem::replace(input.as_mut(), Plan::Values { rows: Vec::new(), types: Vec::new() });
                    *plan = input;
                }
            }
        }
        Plan::Scan { filter, .. } => {
            if let Some(f) = filter.take() {
                *filter = split(f, slots, to_top, out);
            }
        }
        Plan::Join { left, right, kind, equi, on, .. } => {
            let width = left.types().len();
            if *kind == JoinKind::Inner {
                let mut keep = Vec::new();
                for (l, r) in std::mem::take(equi) {
                    if reads_slots_in(&l, slots) || reads_slots_in(&r, slots) {
                        let r = map_columns(&r, &|i, t| Expr::Column(i + width, t));
                        let eq = Expr::Cmp(CmpOp::Eq, Box::new(l), Box::new(r));
                        if let Some(moved) = lift(&eq, to_top) {
                            out.push(moved);
                            continue;
                        }
                        // Cannot move: it stays, and the sublink with it.
                        let Expr::Cmp(_, l, r) = eq else { unreachable!("built above") };
                        let r = map_columns(&r, &|i, t| Expr::Column(i - width, t));
                        keep.push((*l, r));
                    } else {
                        keep.push((l, r));
                    }
                }
                *equi = keep;
                if let Some(c) = on.take() {
                    *on = split(c, slots, to_top, out);
                }
                take_correlated(right, slots, &|c| to_top(c + width), out);
            }
            if *kind != JoinKind::Right && *kind != JoinKind::Full {
                take_correlated(left, slots, to_top, out);
            }
        }
        Plan::Project { input, exprs } => {
            let exprs = exprs.clone();
            let through = |c: usize| {
                let k = exprs.iter().position(|e| matches!(e, Expr::Column(i, _) if *i == c))?;
                to_top(k)
            };
            take_correlated(input, slots, &through, out);
        }
        _ => {}
    }
}

/// `predicate`'s conjuncts that read `slots` moved into `out` (when all
/// the columns they read reach the top); what is left of it.
fn split(
    predicate: Expr,
    slots: &[usize],
    to_top: &dyn Fn(usize) -> Option<usize>,
    out: &mut Vec<Expr>,
) -> Option<Expr> {
    let mut parts = Vec::new();
    conjuncts(predicate, &mut parts);
    let mut keep = Vec::new();
    for p in parts {
        match reads_slots_in(&p, slots).then(|| lift(&p, to_top)).flatten() {
            Some(moved) => out.push(moved),
            None => keep.push(p),
        }
    }
    and_all(keep)
}

/// `e` over the top row, if every column it reads reaches it.
fn lift(e: &Expr, to_top: &dyn Fn(usize) -> Option<usize>) -> Option<Expr> {
    let cols = columns_used(e)?;
    let top: Vec<(usize, usize)> = cols.iter().map(|&c| Some((c, to_top(c)?))).collect::<Option<_>>()?;
    let at = |i: usize| top.iter().find(|(c, _)| *c == i).map_or(i, |(_, k)| *k);
    Some(map_columns(e, &|i, t| Expr::Column(at(i), t)))
}

/// Whether `e` (or a subquery in it) reads one of `slots`.
fn reads_slots_in(e: &Expr, slots: &[usize]) -> bool {
    let mut found = false;
    e.walk(&mut |x| match x {
        Expr::Outer(s, _) if slots.contains(s) => found = true,
        Expr::Sub(sp) if reads_slots(&sp.plan, slots) => found = true,
        _ => {}
    });
    found
}

/// Whether `plan` (or a subquery in it) reads one of `slots`.
fn reads_slots(plan: &Plan, slots: &[usize]) -> bool {
    let mut found = false;
    plan.walk(&mut |p| {
        p.visit_exprs(&mut |e| {
            e.walk(&mut |x| {
                if matches!(x, Expr::Outer(s, _) if slots.contains(s)) {
                    found = true;
                }
            })
        })
    });
    found
}

/// Replace the outer references of `sub`'s conditions by the expressions
/// over the level's row that fill them.
fn replace_outer(e: &mut Expr, sub: &SubPlan) {
    e.walk_mut(&mut |x| {
        if let Expr::Outer(slot, _) = x
            && let Some((_, b)) = sub.bindings.iter().find(|(s, _)| s == slot)
        {
            *x = b.clone();
        }
    });
}
