//! Access-path selection, run over a bound plan: a sequential scan whose
//! filter pins down a prefix of an index's columns may become an index
//! scan, if that costs less (see `costsize`).
//!
//! A conjunct `column op value` is usable when `value` is fixed for the
//! whole scan (a constant, a parameter, an outer row's value of a
//! correlated subquery, or a cast of one) and compares in the column's own
//! key encoding (integers with integers, floats with floats, strings with
//! strings). Equalities on the index's leading columns, then at most one
//! lower and one upper bound on the next column, give the key range. The
//! scan tests each row it fetches against the other conjuncts only (an
//! entry holds its row's key values exactly); the whole filter stays in
//! the plan for EXPLAIN and for re-checking a concurrently changed row.
//!
//! Every index that fits is priced, and so is the sequential scan; the
//! cheapest wins (on equal costs, the index that pins the most leading
//! columns by equality, then one with a range, then a unique one). An
//! `ORDER BY … LIMIT` that an index's order gives reads the index in that
//! order; with `enable_sort = off`, so does any such `ORDER BY`. A join
//! whose inner side an index can look up by the outer row's values may
//! become an index nested loop, if that costs less (see `nestloop`), or a
//! merge join of inputs sorted by the join keys (see `mergejoin`). With
//! `enable_hashjoin = off` another equality join is a nested loop (unless
//! it is a FULL join, which a nested loop cannot do).

use std::sync::Arc;

use super::cost::plan_rows;
use super::costsize::Costing;
use super::expr::{CmpOp, Expr};
use super::plan::{FrameBound, JoinKind, Plan};
use super::reg_column::stores_oid;
use super::types::{Datum, PgType};
use crate::catalog::{Index, Table};

/// Replace sequential scans by index scans where an index is cheaper, in
/// `plan` and in every subquery inside it; let an index give the order of
/// an `ORDER BY … LIMIT` instead of a sort; then tell the scans which
/// columns they need to decode.
pub fn choose_access_paths(plan: &mut Plan, costing: &Costing<'_>) {
    choose_paths(plan, costing);
    super::prune::prune_scan_columns(plan);
    if costing.params.enable_indexscan && costing.params.enable_indexonlyscan {
        index_only_where_covered(plan);
    }
}

/// Index scans that read only what their index holds (as the columns
/// the plan reads of them tell, the inner side of a join among them)
/// become index-only scans.
fn index_only_where_covered(plan: &mut Plan) {
    for_each_plan_mut(plan, &mut |p| {
        if let Plan::IndexScan { table, index, ctid: false, system: false, index_only, read: Some(read), .. } = p {
            let needed: Vec<usize> = (0..read.len()).filter(|&i| read[i]).collect();
            *index_only |= index.can_return(table, &needed);
        }
    });
}

fn choose_paths(plan: &mut Plan, costing: &Costing<'_>) {
    commute_outer_joins(plan, costing);
    // Scans whose parent reads only some of their columns may be
    // index-only scans: those are chosen first, knowing the columns.
    for_each_plan_mut(plan, &mut |p| {
        let Some((input, mut needed)) = scan_columns_read(p) else { return };
        let Plan::Scan { table, filter: Some(filter), ctid: false, system: false, alias, .. } = input else { return };
        if !columns_read(std::iter::once(&*filter), &mut needed) {
            return;
        }
        let found = cheapest_index_scan(table, filter, (false, false), alias, costing, Some(&needed));
        if let Some(scan) = cheaper_than_seq_scan(found, table, filter, costing) {
            *input = scan;
        }
    });
    for_each_plan_mut(plan, &mut |p| {
        if let Plan::Scan { table, filter: Some(filter), ctid, system, alias, .. } = p {
            let found = cheapest_index_scan(table, filter, (*ctid, *system), alias, costing, None);
            if let Some(scan) = cheaper_than_seq_scan(found, table, filter, costing) {
                *p = scan;
            }
        }
    });
    if !costing.params.enable_indexscan {
        return choose_join_methods(plan, costing);
    }
    for_each_plan_mut(plan, &mut |p| {
        if let Plan::Limit { input, .. } = p {
            ordered_by_index(input, costing.params.enable_indexonlyscan);
        }
    });
    if !costing.params.enable_sort {
        for_each_plan_mut(plan, &mut |p| {
            if matches!(p, Plan::Sort { .. }) {
                ordered_by_index(p, costing.params.enable_indexonlyscan);
            }
        });
    }
    choose_join_methods(plan, costing);
}

/// Outer hash joins hash the smaller side: the right side of a join is
/// the one built, so a LEFT join whose right side is the larger becomes a
/// RIGHT join of the sides swapped (PostgreSQL's Hash Right Join), and the
/// other way round; a projection puts the columns back in order.
fn commute_outer_joins(plan: &mut Plan, costing: &Costing<'_>) {
    if !costing.params.enable_hashjoin {
        return;
    }
    for_each_plan_mut(plan, &mut |p| {
        let Plan::Join { left, right, kind, equi, .. } = p else { return };
        // A semi or anti join's right side is the one tested, never output.
        if equi.is_empty() || matches!(kind, JoinKind::Inner | JoinKind::Semi | JoinKind::Anti) {
            return;
        }
        let (l, r) = (plan_rows(left, costing.blocks), plan_rows(right, costing.blocks));
        if r <= l {
            return;
        }
        let join = std::mem::replace(p, Plan::Values { rows: Vec::new(), types: Vec::new() });
        *p = commuted(join);
    });
}

/// The join `join` with its sides swapped (a LEFT join becoming a RIGHT
/// join and the other way round), under a projection that puts the
/// columns back in order; any other plan as it is.
pub(super) fn commuted(join: Plan) -> Plan {
    let Plan::Join { left, right, kind, equi, on, merge } = join else { return join };
    let (lw, rw) = (left.types().len(), right.types().len());
    let types: Vec<PgType> = left.types().into_iter().chain(right.types()).collect();
    let swapped = |i: usize| if i < lw { i + rw } else { i - lw };
    let on = on.map(|mut e| {
        e.walk_mut(&mut |x| {
            if let Expr::Column(c, _) = x {
                *c = swapped(*c);
            }
        });
        e
    });
    let kind = match kind {
        JoinKind::Left => JoinKind::Right,
        JoinKind::Right => JoinKind::Left,
        k => k,
    };
    let equi = equi.into_iter().map(|(a, b)| (b, a)).collect();
    let join = Plan::Join { left: right, right: left, kind, equi, on, merge };
    let exprs = types.iter().enumerate().map(|(i, t)| Expr::Column(swapped(i), *t)).collect();
    Plan::Project { input: Box::new(join), exprs }
}

/// A node that reads its input's rows only through column references in
/// its expressions, with that input and the columns read (`None` when it
/// is no such node, or an expression holds a subquery, which might read
/// the row some other way).
pub(super) fn scan_columns_read(p: &mut Plan) -> Option<(&mut Plan, Vec<usize>)> {
    let mut needed = Vec::new();
    let (input, ok) = match p {
        Plan::Project { input, exprs } => (input, columns_read(exprs.iter(), &mut needed)),
        Plan::Aggregate { input, groups, aggs, .. } => {
            let args =
                aggs.iter().flat_map(|a| a.args.iter().chain(&a.filter).chain(a.order_by.iter().map(|(e, ..)| e)));
            (input, columns_read(groups.iter().chain(args), &mut needed))
        }
        _ => return None,
    };
    ok.then_some((input.as_mut(), needed))
}

/// Add the input columns `exprs` read to `out`; `false` if one holds a
/// subquery.
pub(super) fn columns_read<'e>(exprs: impl Iterator<Item = &'e Expr>, out: &mut Vec<usize>) -> bool {
    let mut ok = true;
    for e in exprs {
        e.walk(&mut |e| match e {
            Expr::Column(c, _) if !out.contains(c) => out.push(*c),
            Expr::Sub(_) => ok = false,
            _ => {}
        });
    }
    ok
}

/// Joins become index nested loops where those cost less (see
/// `nestloop`); then, with hash joins off, the other equality joins
/// become nested loops (their equalities join conditions), as
/// PostgreSQL's costs would choose.
fn choose_join_methods(plan: &mut Plan, costing: &Costing<'_>) {
    super::nestloop::choose_index_nested_loops(plan, costing);
    super::mergejoin::choose_merge_joins(plan, costing);
    if costing.params.enable_hashjoin || !costing.params.enable_nestloop {
        return;
    }
    for_each_plan_mut(plan, &mut |p| {
        if matches!(p, Plan::Join { merge: false, .. }) {
            join_as_nested_loop(p);
        }
    });
}

/// Turn the hash join `plan` into a nested loop: its equalities become
/// join conditions (not so for a FULL join, which a nested loop cannot do).
pub(super) fn join_as_nested_loop(plan: &mut Plan) {
    let Plan::Join { left, equi, on, kind, .. } = plan else { return };
    if equi.is_empty() || *kind == JoinKind::Full {
        return;
    }
    let width = left.types().len();
    let mut cond = on.take();
    for (l, mut r) in std::mem::take(equi) {
        r.walk_mut(&mut |e| {
            if let Expr::Column(c, _) = e {
                *c += width;
            }
        });
        let eq = Expr::Cmp(CmpOp::Eq, Box::new(l), Box::new(r));
        cond = Some(match cond {
            Some(c) => Expr::And(Box::new(eq), Box::new(c)),
            None => eq,
        });
    }
    *on = cond;
}

/// `Sort(Project(scan))` under a LIMIT, sorting by table columns that
/// lead an index in its order (or all in the opposite order): an index
/// scan, forward or backward, produces the rows in that order, and the
/// LIMIT can stop reading early. A sequential scan becomes a scan of that
/// index, bounded by the filter's conditions on its key where it has any
/// (index-only when `index_only` allows and the index holds every column
/// the query reads); an index scan already chosen for the filter keeps its
/// index and loses the sort if that index gives the order.
fn ordered_by_index(plan: &mut Plan, index_only: bool) {
    let Plan::Sort { input: sorted, keys } = plan else { return };
    let Plan::Project { input: scan, exprs } = sorted.as_mut() else { return };
    let table = match scan.as_ref() {
        Plan::Scan { table, .. } | Plan::IndexScan { table, .. } => table.clone(),
        _ => return,
    };
    let mut wanted = Vec::with_capacity(keys.len());
    for k in keys.iter() {
        match exprs.get(k.column) {
            Some(Expr::Column(c, _)) if *c < table.columns.len() && !stored_as_oid(&table, *c) => {
                wanted.push((*c, k.descending, k.nulls_first))
            }
            _ => return,
        }
    }
    match scan.as_mut() {
        // Keys from an IN list come in their order too, but only within each.
        Plan::IndexScan { index, backward, any, .. } if any.is_empty() => {
            let Some(flip) = index_order(index, &wanted) else { return };
            *backward = flip;
        }
        Plan::Scan { filter, ctid, system, alias, .. } => {
            let Some((index, flip)) = index_in_order(&table, filter.as_ref(), &wanted) else { return };
            let mut needed = Vec::new();
            let extras = (*ctid, *system);
            let covered = index_only
                && extras == (false, false)
                && columns_read(exprs.iter().chain(filter.iter()), &mut needed)
                && index.can_return(&table, &needed);
            let bounded = filter.as_ref().and_then(|f| bounded_index_scan(&table, index, f, extras, alias));
            let mut ordered = match bounded {
                Some(scan) => scan,
                None => whole_index_scan(&table, filter.take(), extras, alias.take(), (index, flip), covered),
            };
            if let Plan::IndexScan { backward, index_only, .. } = &mut ordered {
                *backward = flip;
                *index_only = covered;
            }
            **scan = ordered;
        }
        _ => return,
    }
    let input = std::mem::replace(sorted.as_mut(), Plan::Values { rows: Vec::new(), types: Vec::new() });
    *plan = input;
}

/// An index of `table` usable with `filter` whose leading columns are
/// `wanted` (column, descending, NULLs first) in its order, or all in
/// the opposite order (then `true`: read backward).
pub(super) fn index_in_order<'t>(
    table: &'t Table,
    filter: Option<&Expr>,
    wanted: &[(usize, bool, bool)],
) -> Option<(&'t Index, bool)> {
    if wanted.iter().any(|w| stored_as_oid(table, w.0)) {
        return None;
    }
    let mut conjuncts = Vec::new();
    if let Some(f) = filter {
        split_and(f, &mut conjuncts);
    }
    table.indexes.iter().filter(|i| usable(i, &conjuncts)).find_map(|i| Some((i, index_order(i, wanted)?)))
}

/// Whether column `c` of `table` is an OID alias type, whose index
/// keys are OIDs' digits, not in the order of the names (see
/// [`super::reg_column`]).
fn stored_as_oid(table: &Table, c: usize) -> bool {
    table.columns.get(c).is_some_and(|col| stores_oid(col.ty))
}

/// Whether `index`'s leading columns are `wanted` in its order
/// (`Some(false)`), all in the opposite order (`Some(true)`: read
/// backward), or neither.
fn index_order(index: &Index, wanted: &[(usize, bool, bool)]) -> Option<bool> {
    let matches = |flip: bool| {
        wanted.len() <= index.columns.len()
            && wanted.iter().enumerate().zip(index.columns.iter().zip(&index.orders)).all(
                |((i, &(c, desc, nf)), (&ic, o))| {
                    c == ic
                        && index.exprs.get(i).is_none_or(Option::is_none)
                        && (desc != o.descending) == flip
                        && (nf != o.nulls_first) == flip
                },
            )
    };
    if matches(false) { Some(false) } else { matches(true).then_some(true) }
}

/// A scan of all of `table` through `index` (backward, if so), in the
/// index's order, testing `filter` on each row.
pub(super) fn whole_index_scan(
    table: &Arc<Table>,
    filter: Option<Expr>,
    (ctid, system): (bool, bool),
    alias: Option<String>,
    (index, backward): (&Index, bool),
    index_only: bool,
) -> Plan {
    Plan::IndexScan {
        table: table.clone(),
        index: Box::new(index.clone()),
        conds: Vec::new(),
        eq: Vec::new(),
        any: Vec::new(),
        any_array: false,
        lower: None,
        upper: None,
        residual: filter.clone(),
        filter,
        ctid,
        system,
        alias,
        backward,
        index_only,
        read: None,
    }
}

/// Point a plan bound earlier (a prepared statement's) at the tables as
/// they are now, `now` holding the current definition of every table it
/// reads (same columns): a TRUNCATE gave them new files, and indexes may
/// have come or gone. A scan of an index that no longer exists becomes a
/// sequential scan (its filter holds every condition), and scans get a
/// chance at new indexes.
pub fn refresh_tables(plan: &mut Plan, now: &[Arc<Table>], costing: &Costing<'_>) {
    let current = |t: &Arc<Table>| now.iter().find(|n| n.oid == t.oid).cloned();
    for_each_plan_mut(plan, &mut |p| match p {
        Plan::Scan { table, .. } => {
            if let Some(n) = current(table) {
                *table = n;
            }
        }
        Plan::With { ctes, .. } => {
            for w in ctes.iter_mut().filter_map(|c| c.write.as_mut()) {
                if let Some(n) = current(&w.table) {
                    w.table = n;
                }
            }
        }
        Plan::IndexScan { table, index, filter, ctid, system, alias, .. } => {
            let Some(n) = current(table) else { return };
            match n.indexes.iter().find(|i| i.oid == index.oid && i.valid) {
                Some(i) => {
                    **index = i.clone();
                    *table = n;
                }
                None => {
                    *p = Plan::Scan {
                        table: n,
                        filter: filter.take(),
                        ctid: *ctid,
                        system: *system,
                        alias: alias.take(),
                        read: None,
                    }
                }
            }
        }
        _ => {}
    });
    choose_access_paths(plan, costing);
}

/// Call `f` on every plan node, parents before children, subqueries (and
/// the plans of common table expressions) included.
pub fn for_each_plan_mut(plan: &mut Plan, f: &mut dyn FnMut(&mut Plan)) {
    visit_plans_mut(plan, f, false);
}

/// Call `f` on every plan node as [`for_each_plan_mut`] does, but
/// children (and the subqueries in a node's expressions) before parents.
pub fn for_each_plan_mut_bottom_up(plan: &mut Plan, f: &mut dyn FnMut(&mut Plan)) {
    visit_plans_mut(plan, f, true);
}

fn visit_plans_mut(plan: &mut Plan, f: &mut dyn FnMut(&mut Plan), children_first: bool) {
    if !children_first {
        f(plan);
    }
    if let Plan::With { ctes, .. } = plan {
        for c in ctes {
            visit_plans_mut(Arc::make_mut(&mut c.plan), f, children_first);
        }
    }
    for input in plan.inputs_mut() {
        visit_plans_mut(input, f, children_first);
    }
    visit_exprs_mut(plan, &mut |e| {
        e.walk_mut(&mut |e| {
            if let Expr::Sub(s) = e {
                visit_plans_mut(Arc::make_mut(&mut s.plan), f, children_first);
            }
        })
    });
    if children_first {
        f(plan);
    }
}

/// Make each parameter `$n` of `plan` (and of its subqueries) the
/// constant `values[n - 1]`: the plan of one execution, a custom plan,
/// which the planner's estimates and EXPLAIN see the values of.
pub fn bind_param_values(plan: &mut Plan, values: &[Datum]) {
    for_each_plan_mut(plan, &mut |p| {
        visit_exprs_mut(p, &mut |e| {
            e.walk_mut(&mut |e| {
                if let Expr::Param(i, ty) = e
                    && let Some(v) = values.get(*i)
                {
                    *e = Expr::Const(v.clone(), *ty);
                }
            })
        })
    });
}

fn visit_exprs_mut(plan: &mut Plan, f: &mut dyn FnMut(&mut Expr)) {
    match plan {
        Plan::Scan { filter, .. } => filter.iter_mut().for_each(f),
        Plan::IndexScan { eq, any, lower, upper, filter, residual, .. } => {
            eq.iter_mut().chain(any.iter_mut()).for_each(&mut *f);
            lower.iter_mut().chain(upper.iter_mut()).for_each(|b| f(&mut b.0));
            filter.iter_mut().chain(residual.iter_mut()).for_each(f);
        }
        Plan::Values { rows, .. } => rows.iter_mut().flatten().for_each(f),
        Plan::Series { start, stop, step, .. } => {
            f(start);
            f(stop);
            step.iter_mut().for_each(f);
        }
        Plan::Unnest { array, .. } => f(array),
        Plan::Function { .. } => {}
        Plan::Filter { predicate, .. } => f(predicate),
        Plan::Project { exprs, .. } => exprs.iter_mut().for_each(f),
        Plan::ProjectSet { srfs, .. } => srfs.iter_mut().flat_map(|c| &mut c.args).for_each(f),
        Plan::Join { equi, on, .. } => {
            for (l, r) in equi {
                f(l);
                f(r);
            }
            on.iter_mut().for_each(f);
        }
        Plan::Aggregate { groups, aggs, .. } => {
            groups.iter_mut().for_each(&mut *f);
            for a in aggs {
                a.args.iter_mut().for_each(&mut *f);
                a.filter.iter_mut().for_each(&mut *f);
                a.order_by.iter_mut().for_each(|(e, ..)| f(e));
            }
        }
        Plan::Limit { offset, count, .. } => offset.iter_mut().chain(count.iter_mut()).for_each(f),
        Plan::Window { funcs, frame, .. } => {
            for c in funcs {
                c.args.iter_mut().for_each(&mut *f);
                c.filter.iter_mut().for_each(&mut *f);
            }
            for b in [&mut frame.start, &mut frame.end] {
                if let FrameBound::Preceding(e) | FrameBound::Following(e) = b {
                    f(e);
                }
            }
        }
        Plan::LateralJoin { bindings, on, .. } => {
            bindings.iter_mut().for_each(|(_, e)| f(e));
            on.iter_mut().for_each(f);
        }
        Plan::Sort { .. }
        | Plan::Distinct { .. }
        | Plan::Unique { .. }
        | Plan::SetOp { .. }
        | Plan::With { .. }
        | Plan::CteScan { .. }
        | Plan::RecursiveUnion { .. }
        | Plan::WorkTableScan { .. } => {}
    }
}

/// How well an index fits: equalities on leading key parts, then whether
/// the next part has a range or list, then uniqueness (higher is better).
type Score = (usize, bool, bool);

/// The conditions on each key part of an index.
type PartBounds<'e> = Vec<Vec<Bound<'e>>>;

/// The conditions on key part `i` of `index`: those on its column, or for
/// an expression, comparisons of that same expression with a fixed value.
fn part_bounds<'e>(index: &Index, i: usize, bounds: &[Bound<'e>], conjuncts: &[&'e Expr]) -> Vec<Bound<'e>> {
    let Some(key) = index.exprs.get(i).and_then(Option::as_ref) else {
        return bounds.iter().filter(|b| b.column == index.columns[i]).copied().collect();
    };
    let shape = format!("{:?}", key.expr);
    let same = |e: &Expr| !matches!(e, Expr::Column(..) | Expr::Const(..)) && format!("{e:?}") == shape;
    let mut out = Vec::new();
    for &c in conjuncts {
        let Expr::Cmp(op, a, b) = c else { continue };
        let (value, op) = match (a.as_ref(), b.as_ref()) {
            (e, v) if is_fixed(v) && same(e) => (v, *op),
            (v, e) if is_fixed(v) && same(e) => match flip(*op) {
                Some(op) => (v, op),
                None => continue,
            },
            _ => continue,
        };
        if op != CmpOp::NotEq && same_encoding(key.expr.ty(), value.ty()) {
            out.push(Bound { column: crate::catalog::EXPR_KEY, op, value, cond: c });
        }
    }
    out
}

/// A comparison of a table column with a value fixed for the scan.
#[derive(Clone, Copy)]
struct Bound<'e> {
    column: usize,
    op: CmpOp,
    value: &'e Expr,
    /// The conjunct it comes from.
    cond: &'e Expr,
}

/// The index scan `found` (with its cost) for `filter` on `table`, if it
/// costs less than the sequential scan.
fn cheaper_than_seq_scan(
    found: Option<(f64, Plan)>,
    table: &Table,
    filter: &Expr,
    costing: &Costing<'_>,
) -> Option<Plan> {
    let (cost, plan) = found?;
    (cost < costing.seq_scan(table, Some(filter)).1).then_some(plan)
}

/// The cheapest index scan of `table` for `filter` and its cost, if an
/// index fits it.
pub(super) fn cheapest_index_scan(
    table: &Arc<Table>,
    filter: &Expr,
    extras: (bool, bool),
    alias: &Option<String>,
    costing: &Costing<'_>,
    needed: Option<&[usize]>,
) -> Option<(f64, Plan)> {
    if table.indexes.is_empty() {
        return None;
    }
    let mut conjuncts = Vec::new();
    split_and(filter, &mut conjuncts);
    let bounds: Vec<Bound<'_>> = conjuncts.iter().filter_map(|c| as_bound(c, table)).collect();
    let lists: Vec<InList<'_>> = conjuncts.iter().filter_map(|c| as_in_list(c, table)).collect();
    if bounds.is_empty() && lists.is_empty() && table.indexes.iter().all(|i| i.is_plain() || !i.valid) {
        return None;
    }
    // Per index: equalities on its leading key parts, then a range or an
    // IN list on the next one; priced against each other.
    let mut best: Option<(f64, Score, Plan)> = None;
    for index in &table.indexes {
        let found = keyed_scan(table, index, (&conjuncts, &bounds, &lists), filter, extras, alias);
        let Some((score, mut plan)) = found else { continue };
        if let (Plan::IndexScan { index_only, .. }, Some(needed)) = (&mut plan, needed) {
            *index_only =
                extras == (false, false) && costing.params.enable_indexonlyscan && index.can_return(table, needed);
        }
        let cost = costing.estimate(&plan).total;
        let better = match &best {
            None => true,
            Some((c, s, _)) => cost < *c || (cost == *c && score > *s),
        };
        if better {
            best = Some((cost, score, plan));
        }
    }
    best.map(|(cost, _, plan)| (cost, plan))
}

/// The scan of `index` that `filter`'s conjuncts (with those of them
/// that are bounds and IN lists of a column) key, and how well they do;
/// `None` if they key none of its leading columns.
fn keyed_scan(
    table: &Arc<Table>,
    index: &Index,
    (conjuncts, bounds, lists): (&[&Expr], &[Bound<'_>], &[InList<'_>]),
    filter: &Expr,
    extras: (bool, bool),
    alias: &Option<String>,
) -> Option<(Score, Plan)> {
    if !usable(index, conjuncts) {
        return None;
    }
    let parts: Vec<Vec<Bound<'_>>> =
        (0..index.columns.len()).map(|i| part_bounds(index, i, bounds, conjuncts)).collect();
    let eqs = parts.iter().take_while(|p| p.iter().any(|b| b.op == CmpOp::Eq)).count();
    let list = index.columns.get(eqs).is_some_and(|&c| lists.iter().any(|l| l.column == c));
    let ranged = parts.get(eqs).is_some_and(|p| p.iter().any(|b| b.op != CmpOp::Eq)) || list;
    if eqs == 0 && !ranged {
        return None;
    }
    let plan = index_scan_of(table, index, &parts, eqs, lists, filter, extras, alias)?;
    Some(((eqs, ranged, index.unique), plan))
}

/// The scan of `table` through `index`, bounded by the conditions of
/// `filter` on its leading columns (no IN list among them, so that the
/// rows come in the index's order); `None` if none bounds it.
pub(super) fn bounded_index_scan(
    table: &Arc<Table>,
    index: &Index,
    filter: &Expr,
    extras: (bool, bool),
    alias: &Option<String>,
) -> Option<Plan> {
    let mut conjuncts = Vec::new();
    split_and(filter, &mut conjuncts);
    let bounds: Vec<Bound<'_>> = conjuncts.iter().filter_map(|c| as_bound(c, table)).collect();
    let (_, plan) = keyed_scan(table, index, (&conjuncts, &bounds, &[]), filter, extras, alias)?;
    Some(plan)
}

/// The scan of `index` whose key parts have conditions `parts`, the
/// first `eqs` of them equalities.
#[allow(clippy::too_many_arguments)]
fn index_scan_of(
    table: &Arc<Table>,
    index: &Index,
    parts: &PartBounds<'_>,
    eqs: usize,
    lists: &[InList<'_>],
    filter: &Expr,
    (ctid, system): (bool, bool),
    alias: &Option<String>,
) -> Option<Plan> {
    let mut conds: Vec<&Expr> = Vec::new();
    let mut eq = Vec::with_capacity(eqs);
    for part in &parts[..eqs] {
        let b = part.iter().find(|b| b.op == CmpOp::Eq)?;
        eq.push(b.value.clone());
        conds.push(b.cond);
    }
    let (mut lower, mut upper, mut any, mut any_array) = (None, None, Vec::new(), false);
    if let Some(part) = parts.get(eqs) {
        for b in part {
            match b.op {
                CmpOp::Gt | CmpOp::GtEq if lower.is_none() => lower = Some((b.value.clone(), b.op == CmpOp::GtEq)),
                CmpOp::Lt | CmpOp::LtEq if upper.is_none() => upper = Some((b.value.clone(), b.op == CmpOp::LtEq)),
                _ => continue,
            }
            conds.push(b.cond);
        }
        // A range is one walk of the index; a list only where there is none.
        let c = index.columns[eqs];
        if let Some(l) = lists.iter().find(|l| l.column == c).filter(|_| lower.is_none() && upper.is_none()) {
            any = l.values.iter().map(|v| (*v).clone()).collect();
            any_array = l.array;
            conds.push(l.cond);
        }
    }
    // The conjuncts the range does not cover (`conds` point into `filter`).
    let mut conjuncts = Vec::new();
    split_and(filter, &mut conjuncts);
    let residual = crate::sql::expr::join_chain(
        conjuncts.into_iter().filter(|c| !conds.iter().any(|d| std::ptr::eq(*c, *d))).cloned().collect(),
        Expr::And,
    );
    Some(Plan::IndexScan {
        table: table.clone(),
        index: Box::new(index.clone()),
        conds: conds.into_iter().cloned().collect(),
        residual,
        eq,
        any,
        any_array,
        lower,
        upper,
        filter: Some(filter.clone()),
        ctid,
        system,
        alias: alias.clone(),
        backward: false,
        index_only: false,
        read: None,
    })
}

/// `col IN (v1, v2, …)` — bound as `col = v1 OR col = v2 OR …` — with
/// every value fixed for the scan and comparing in the column's key
/// encoding.
struct InList<'e> {
    column: usize,
    values: Vec<&'e Expr>,
    cond: &'e Expr,
    /// `col = ANY (array)`: `values` is the one array expression.
    array: bool,
}

fn as_in_list<'e>(e: &'e Expr, table: &Table) -> Option<InList<'e>> {
    // `col = ANY (array)` with the array fixed for the scan.
    if let Expr::Call(super::func::Func::Array(super::array_fn::ArrayFn::Any { op: CmpOp::Eq, all: false }), args, _) =
        e
    {
        if let [Expr::Column(c, ty), array] = args.as_slice() {
            let elem = array.ty().elem()?;
            if *c < table.columns.len() && is_fixed(array) && same_encoding(*ty, elem) {
                return Some(InList { column: *c, values: vec![array], cond: e, array: true });
            }
        }
        return None;
    }
    let Expr::Or(..) = e else { return None };
    let mut each = Vec::new();
    e.or_arms(&mut each);
    let mut column = None;
    let mut values = Vec::with_capacity(each.len());
    for arm in each {
        let b = as_bound(arm, table).filter(|b| b.op == CmpOp::Eq && !matches!(b.value, Expr::IsNull(..)))?;
        if column.is_some_and(|c| c != b.column) {
            return None;
        }
        column = Some(b.column);
        values.push(b.value);
    }
    Some(InList { column: column?, values, cond: e, array: false })
}

/// Whether a query whose WHERE has `conjuncts` may read `index`: any
/// whole valid index, and a partial one whose predicate they imply. An
/// index not valid (being built or dropped concurrently, or left so by a
/// failed build) may lack rows, and is never read.
pub(crate) fn usable(index: &Index, conjuncts: &[&Expr]) -> bool {
    if !index.valid {
        return false;
    }
    let Some(p) = &index.predicate else { return true };
    let mut wanted = Vec::new();
    split_and(&p.expr, &mut wanted);
    wanted.iter().all(|w| conjuncts.iter().any(|c| implies(c, w)))
}

/// Whether condition `have` being true makes `want` true: the same
/// condition, a comparison of a column with an integer constant whose
/// range lies inside the other's, or a comparison implying the column
/// is not NULL.
fn implies(have: &Expr, want: &Expr) -> bool {
    if format!("{have:?}") == format!("{want:?}") {
        return true;
    }
    if let Expr::IsNull(inner, true) = want {
        if let (Expr::Column(c, _), Some((hc, ..))) = (inner.as_ref(), int_comparison(have)) {
            return *c == hc;
        }
        return false;
    }
    let (Some((hc, hop, hv)), Some((wc, wop, wv))) = (int_comparison(have), int_comparison(want)) else {
        return false;
    };
    if hc != wc {
        return false;
    }
    if wop == CmpOp::NotEq {
        return hop == CmpOp::Eq && hv != wv;
    }
    let (Some((hlo, hhi)), Some((wlo, whi))) = (int_range(hop, hv), int_range(wop, wv)) else { return false };
    hlo >= wlo && hhi <= whi
}

/// `column op constant` with an integer constant (either way round).
fn int_comparison(e: &Expr) -> Option<(usize, CmpOp, i128)> {
    let Expr::Cmp(op, a, b) = e else { return None };
    let int = |e: &Expr| match e {
        Expr::Const(d, _) => match d {
            super::types::Datum::Int2(v) => Some(*v as i128),
            super::types::Datum::Int4(v) => Some(*v as i128),
            super::types::Datum::Int8(v) => Some(*v as i128),
            _ => None,
        },
        _ => None,
    };
    match (a.as_ref(), b.as_ref()) {
        (Expr::Column(c, t), v) if t.is_integer() => Some((*c, *op, int(v)?)),
        (v, Expr::Column(c, t)) if t.is_integer() => {
            Some((*c, if *op == CmpOp::NotEq { *op } else { flip(*op)? }, int(v)?))
        }
        _ => None,
    }
}

/// The integers `x op v` holds for, as a closed range.
fn int_range(op: CmpOp, v: i128) -> Option<(i128, i128)> {
    Some(match op {
        CmpOp::Eq => (v, v),
        CmpOp::Gt => (v + 1, i128::MAX),
        CmpOp::GtEq => (v, i128::MAX),
        CmpOp::Lt => (i128::MIN, v - 1),
        CmpOp::LtEq => (i128::MIN, v),
        CmpOp::NotEq => return None,
    })
}

pub(crate) fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::And(a, b) => {
            split_and(a, out);
            split_and(b, out);
        }
        other => out.push(other),
    }
}

fn as_bound<'e>(e: &'e Expr, table: &Table) -> Option<Bound<'e>> {
    // `col IS NULL`: an equality with the key's NULL (see `Plan::IndexScan`).
    if let Expr::IsNull(inner, false) = e {
        if let Expr::Column(column, _) = inner.as_ref() {
            return (*column < table.columns.len()).then_some(Bound {
                column: *column,
                op: CmpOp::Eq,
                value: &NULL_KEY,
                cond: e,
            });
        }
    }
    let Expr::Cmp(op, a, b) = e else { return None };
    let (column, ty, value, op) = match (a.as_ref(), b.as_ref()) {
        (Expr::Column(c, t), v) if is_fixed(v) => (*c, *t, v, *op),
        (v, Expr::Column(c, t)) if is_fixed(v) => (*c, *t, v, flip(*op)?),
        _ => return None,
    };
    if op == CmpOp::NotEq || column >= table.columns.len() || !same_encoding(ty, value.ty()) {
        return None;
    }
    Some(Bound { column, op, value, cond: e })
}

/// The `eq` value of an `IS NULL` condition: a test of a NULL constant
/// (always true, and no column reference), read by the index scan as the key's NULL.
static NULL_KEY: std::sync::LazyLock<Expr> = std::sync::LazyLock::new(|| {
    Expr::IsNull(Box::new(Expr::Const(super::types::Datum::Null, super::types::PgType::Unknown)), false)
});

/// `a op b` as `b op' a`.
fn flip(op: CmpOp) -> Option<CmpOp> {
    Some(match op {
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::NotEq => return None,
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtEq => CmpOp::GtEq,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtEq => CmpOp::LtEq,
    })
}

/// A value that cannot change during one scan: also `now()` and its
/// kind, fixed for the statement, and arithmetic and immutable functions
/// on fixed values (`now() - interval '1 hour'`, `ARRAY[1, 2]`).
fn is_fixed(e: &Expr) -> bool {
    match e {
        Expr::Const(..) | Expr::Param(..) | Expr::Outer(..) => true,
        Expr::Cast(inner, ..) => is_fixed(inner),
        Expr::Arith(_, a, b, _) => is_fixed(a) && is_fixed(b),
        Expr::Call(f, args, _) => (f.fixed_per_statement() || f.immutable()) && args.iter().all(is_fixed),
        _ => false,
    }
}

/// Whether values of the two types compare as their key encodings do.
/// Date/time types only with themselves (a date's days and a timestamp's
/// microseconds are both integers, but not comparable as such); bpchar
/// only with bpchar (its keys drop trailing blanks, text's keep them);
/// never the OID alias types, held as names. An index on such a column holds
/// OIDs' digits (see [`super::reg_column`]), in no order of the names it
/// is compared by.
fn same_encoding(a: PgType, b: PgType) -> bool {
    if stores_oid(a) || stores_oid(b) {
        return false;
    }
    let text = |t: PgType| t.is_string() && t != PgType::Bpchar;
    a == b || (a.is_integer() && b.is_integer()) || (a.is_float() && b.is_float()) || (text(a) && text(b))
}
