//! Projection push-down: each sequential scan learns which of its table's
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
use super::plan::Plan;

/// Mark the columns every scan in `plan` must decode (`Plan::Scan`'s
/// `read`), all of `plan`'s own output being read.
pub fn prune_scan_columns(plan: &mut Plan) {
    prune(plan, None);
}

/// `read`: which of `plan`'s output columns are read (`None`: all).
fn prune(plan: &mut Plan, read: Option<Vec<bool>>) {
    match plan {
        Plan::Scan { table, filter, ctid, read: mask, .. } => {
            *mask = None;
            let Some(mut m) = read.filter(|m| !*ctid && m.len() == table.columns.len()) else { return };
            if mark(filter.iter(), &mut m) && m.iter().any(|r| !r) {
                *mask = Some(m);
            }
        }
        Plan::Project { input, exprs } => {
            let m = vec![false; input.types().len()];
            prune(input, marked(exprs.iter(), m));
        }
        Plan::Aggregate { input, groups, aggs } => {
            let m = vec![false; input.types().len()];
            let args =
                aggs.iter().flat_map(|a| a.args.iter().chain(&a.filter).chain(a.order_by.iter().map(|(e, _)| e)));
            prune(input, marked(groups.iter().chain(args), m));
        }
        Plan::Filter { input, predicate } => {
            let m = read.and_then(|m| marked(std::iter::once(&*predicate), m));
            prune(input, m);
        }
        Plan::Sort { input, keys } => {
            let m = read.and_then(|mut m| {
                for k in keys.iter() {
                    *m.get_mut(k.column)? = true;
                }
                Some(m)
            });
            prune(input, m);
        }
        Plan::Limit { input, .. } | Plan::With { input, .. } => prune(input, read),
        Plan::Join { left, right, equi, on, .. } => {
            let width = left.types().len();
            let m = read.and_then(|m| marked(on.iter(), m));
            let (l, r) = match m {
                Some(mut m) if m.len() >= width => {
                    let r = m.split_off(width);
                    let l = marked(equi.iter().map(|(a, _)| a), m);
                    (l, marked(equi.iter().map(|(_, b)| b), r))
                }
                _ => (None, None),
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

/// `m` with the columns `exprs` reference marked; `None` if one holds a
/// subquery or references a column outside `m`.
fn marked<'e>(exprs: impl Iterator<Item = &'e Expr>, mut m: Vec<bool>) -> Option<Vec<bool>> {
    mark(exprs, &mut m).then_some(m)
}

fn mark<'e>(exprs: impl Iterator<Item = &'e Expr>, m: &mut [bool]) -> bool {
    let mut ok = true;
    for e in exprs {
        e.walk(&mut |e| match e {
            Expr::Column(c, _) => match m.get_mut(*c) {
                Some(r) => *r = true,
                None => ok = false,
            },
            Expr::Sub(_) => ok = false,
            _ => {}
        });
    }
    ok
}
