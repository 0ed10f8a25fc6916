//! Projection push-down: each table scan learns which of its table's
//! columns the plan above it reads, and decodes only those (the others
//! come out NULL, never read). A query over a few columns of a wide table
//! then pays for those few, as a column store would.
//!
//! The columns a node needs from its input follow from the columns of its
//! own output that are read and its expressions' column references. Only
//! nodes whose expressions are all there is to what they read pass a
//! partial set down (projection, filter, aggregate, sort, limit, join);
//! any other node, an expression holding a subquery (which might read
//! the row some other way) and a scan producing `ctid` (rows to change)
//! keep every column.

use super::expr::Expr;
use super::plan::{JoinKind, Plan};
use super::planner::{columns_read, scan_columns_read};

/// Mark the columns every scan in `plan` must decode (`Plan::Scan`'s and
/// `Plan::IndexScan`'s `read`), all of `plan`'s own output being read.
pub fn prune_scan_columns(plan: &mut Plan) {
    prune(plan, None);
}

/// `read`: which of `plan`'s output columns are read (`None`: all).
fn prune(plan: &mut Plan, read: Option<Vec<bool>>) {
    // A projection reads its input through the expressions of the
    // columns read of it alone.
    if let Plan::Project { input, exprs } = plan {
        let read_of = |i: usize| read.as_ref().is_none_or(|m| m.get(i).copied().unwrap_or(true));
        let mut needed = Vec::new();
        if columns_read(exprs.iter().enumerate().filter(|(i, _)| read_of(*i)).map(|(_, e)| e), &mut needed) {
            let m = marked_columns(&needed, vec![false; input.types().len()]);
            return prune(input, m);
        }
    }
    // An aggregate reads its input through its expressions alone,
    // whatever is read of its output.
    if matches!(plan, Plan::Aggregate { .. }) {
        if let Some((input, needed)) = scan_columns_read(plan) {
            let m = marked_columns(&needed, vec![false; input.types().len()]);
            return prune(input, m);
        }
    }
    match plan {
        // An index scan's `filter` holds the range's conditions too: a row
        // changed concurrently is checked against all of it.
        Plan::Scan { table, filter, ctid, read: mask, .. }
        | Plan::IndexScan { table, filter, ctid, read: mask, .. } => {
            *mask = None;
            let Some(m) = read.filter(|m| !*ctid && m.len() == table.columns.len()) else { return };
            *mask = marked(filter.iter(), m).filter(|m| m.iter().any(|r| !r));
        }
        Plan::Filter { input, predicate } => {
            let m = read.and_then(|m| marked(std::iter::once(&*predicate), m));
            prune(input, m);
        }
        Plan::Sort { input, keys } => {
            let m = read.and_then(|m| marked_columns(&keys.iter().map(|k| k.column).collect::<Vec<_>>(), m));
            prune(input, m);
        }
        // WITH TIES compares the rows' ORDER BY columns.
        Plan::Limit { input, ties, .. } => prune(input, read.and_then(|m| marked_columns(ties, m))),
        Plan::With { input, .. } => prune(input, read),
        Plan::Join { left, right, kind, equi, on, .. } => {
            let (l, r) = match joined_read(read, *kind, left, right, on.as_ref()) {
                Some((l, r)) => (marked(equi.iter().map(|(a, _)| a), l), marked(equi.iter().map(|(_, b)| b), r)),
                None => (None, None),
            };
            prune(left, l);
            prune(right, r);
        }
        // The right side reads the left row through the bindings' values.
        Plan::LateralJoin { left, right, kind, bindings, on } => {
            let (l, r) = match joined_read(read, *kind, left, right, on.as_ref()) {
                Some((l, r)) => (marked(bindings.iter().map(|(_, e)| e), l), Some(r)),
                None => (None, None),
            };
            prune(left, l);
            prune(right, r);
        }
        other => {
            for input in other.inputs_mut() {
                prune(input, None);
            }
        }
    }
}

/// The columns a join reads of its left and of its right input for its
/// output columns `read` and its condition `on` (its keys aside).
fn joined_read(
    read: Option<Vec<bool>>,
    kind: JoinKind,
    left: &Plan,
    right: &Plan,
    on: Option<&Expr>,
) -> Option<(Vec<bool>, Vec<bool>)> {
    let width = left.types().len();
    let mut m = read?;
    // A semi or anti join's condition reads the right side's columns,
    // which its rows do not carry.
    if !kind.emits_right() {
        m.resize(width + right.types().len(), false);
    }
    let mut m = marked(on.into_iter(), m)?;
    if m.len() < width {
        return None;
    }
    let r = m.split_off(width);
    Some((m, r))
}

/// `m` with the columns `exprs` reference marked; `None` if one holds a
/// subquery or references a column outside `m`.
fn marked<'e>(exprs: impl Iterator<Item = &'e Expr>, m: Vec<bool>) -> Option<Vec<bool>> {
    let mut columns = Vec::new();
    columns_read(exprs, &mut columns).then(|| marked_columns(&columns, m))?
}

/// `m` with `columns` marked; `None` if one is outside it.
fn marked_columns(columns: &[usize], mut m: Vec<bool>) -> Option<Vec<bool>> {
    for &c in columns {
        *m.get_mut(c)? = true;
    }
    Some(m)
}
