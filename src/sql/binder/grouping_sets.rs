//! GROUP BY and its grouping sets.
//!
//! A GROUP BY list is a list of elements; each element stands for one or
//! more grouping sets: a plain expression for the one set of itself, `()`
//! for the empty set, `ROLLUP (e1, …, en)` for the n+1 prefixes of its
//! list, `CUBE (…)` for every subset, `GROUPING SETS (…)` for the sets of
//! its items one after another. The query's sets are the cross product of
//! its elements' sets (`GROUP BY a, ROLLUP (b)` is `(a, b), (a)`), and
//! `GROUP BY DISTINCT` drops sets that repeat an earlier one, as
//! PostgreSQL's `expand_grouping_sets` does.
//!
//! The sets become the `Aggregate` operator's `sets`: the distinct key
//! expressions of all of them are its `groups`, and each set lists the
//! keys it groups by. `GROUPING (…)` calls are bound as
//! [`AggFunc::Grouping`] and, once the keys are known, learn which keys
//! their arguments are ([`Binder::resolve_grouping_calls`]).

use sqlparser::ast;

use super::query::same;
use super::{Binder, ident, object_name};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::Column;
use crate::sql::expr::Expr;
use crate::sql::parser::GROUP_BY_DISTINCT;
use crate::sql::plan::{AggCall, AggFunc};
use crate::sql::types::PgType;

/// PostgreSQL's bound on the number of grouping sets of a query.
const MAX_GROUPING_SETS: usize = 4096;

/// `GROUPING` takes fewer arguments than this (its result is an int4 mask).
const MAX_GROUPING_ARGS: usize = 32;

/// A GROUP BY: its keys and its grouping sets (see `Plan::Aggregate`).
pub(super) struct GroupBy {
    pub keys: Vec<Expr>,
    pub sets: Vec<Vec<usize>>,
}

/// Whether `e` is the `GROUP BY DISTINCT` marker.
fn is_distinct_marker(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(id) if id.quote_style.is_some() && id.value == GROUP_BY_DISTINCT)
}

/// `ROLLUP (…)` or `CUBE (…)` read as a function call (inside GROUPING
/// SETS), with its elements.
fn set_function(e: &ast::Expr) -> Option<(bool, Vec<Vec<&ast::Expr>>)> {
    let ast::Expr::Function(f) = e else { return None };
    let name = object_name(&f.name).to_ascii_lowercase();
    let cube = match name.as_str() {
        "rollup" => false,
        "cube" => true,
        _ => return None,
    };
    let ast::FunctionArguments::List(list) = &f.args else { return None };
    if f.over.is_some() || f.filter.is_some() || !list.clauses.is_empty() || list.duplicate_treatment.is_some() {
        return None;
    }
    let mut elements = Vec::with_capacity(list.args.len());
    for a in &list.args {
        let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else { return None };
        elements.push(match e {
            ast::Expr::Tuple(items) => items.iter().collect(),
            ast::Expr::Nested(inner) => vec![inner.as_ref()],
            e => vec![e],
        });
    }
    Some((cube, elements))
}

/// Whether a GROUP BY item is a grouping-set construct rather than a key.
fn is_set_item(e: &ast::Expr) -> bool {
    match e {
        ast::Expr::GroupingSets(_) | ast::Expr::Rollup(_) | ast::Expr::Cube(_) => true,
        ast::Expr::Tuple(items) => items.is_empty(),
        e => set_function(e).is_some(),
    }
}

/// The prefixes of a ROLLUP's elements, longest first.
fn rollup<'a>(elements: &[Vec<&'a ast::Expr>]) -> Vec<Vec<&'a ast::Expr>> {
    (0..=elements.len()).rev().map(|n| elements[..n].iter().flatten().copied().collect()).collect()
}

/// Every subset of a CUBE's elements, in PostgreSQL's order (the whole
/// list first, the empty set last).
fn cube<'a>(elements: &[Vec<&'a ast::Expr>], node: &ast::Expr, b: &Binder) -> Result<Vec<Vec<&'a ast::Expr>>> {
    if elements.len() > 12 {
        return Err(b.at(err!(SqlState::TOO_MANY_COLUMNS, "CUBE is limited to 12 elements"), node));
    }
    let n = elements.len();
    let full = (1usize << n) - 1;
    Ok((0..=full)
        .rev()
        .map(|mask| {
            // Bit n-1-i stands for element i, so the sets come in the
            // order of a binary count down from the whole list.
            (0..n).filter(|i| mask & (1 << (n - 1 - i)) != 0).flat_map(|i| elements[i].iter().copied()).collect()
        })
        .collect())
}

impl Binder<'_> {
    /// The grouping sets one GROUP BY item stands for.
    fn item_sets<'a>(&self, e: &'a ast::Expr) -> Result<Vec<Vec<&'a ast::Expr>>> {
        let lists =
            |v: &'a [Vec<ast::Expr>]| -> Vec<Vec<&'a ast::Expr>> { v.iter().map(|l| l.iter().collect()).collect() };
        Ok(match e {
            ast::Expr::Rollup(v) => rollup(&lists(v)),
            ast::Expr::Cube(v) => cube(&lists(v), e, self)?,
            // A parenthesized list is one set of its items (not a row).
            ast::Expr::Tuple(items) => vec![items.iter().collect()],
            ast::Expr::GroupingSets(v) => {
                let mut sets = Vec::new();
                for set in v {
                    match set.as_slice() {
                        [one] if is_set_item(one) => sets.extend(self.item_sets(one)?),
                        _ => {
                            if let Some(bad) = set.iter().find(|x| is_set_item(x)) {
                                return Err(self.at(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"(\""), bad));
                            }
                            sets.push(set.iter().collect());
                        }
                    }
                }
                sets
            }
            e => match set_function(e) {
                Some((false, elements)) => rollup(&elements),
                Some((true, elements)) => cube(&elements, e, self)?,
                None => vec![vec![e]],
            },
        })
    }

    /// Bind a GROUP BY clause. `targets` is the bound select list (a key
    /// may be an output column's ordinal or name).
    pub(super) fn bind_group_by(&mut self, items: &[ast::Expr], targets: &[(Expr, Column)]) -> Result<GroupBy> {
        let (distinct, items) = match items.split_first() {
            Some((first, rest)) if is_distinct_marker(first) => (true, rest),
            _ => (false, items),
        };
        if !items.iter().any(is_set_item) {
            let mut keys = Vec::with_capacity(items.len());
            for g in items {
                match g {
                    ast::Expr::Tuple(list) => {
                        for g in list {
                            keys.push(self.bind_group_key(g, targets)?);
                        }
                    }
                    g => keys.push(self.bind_group_key(g, targets)?),
                }
            }
            return Ok(GroupBy { keys, sets: Vec::new() });
        }
        // Each item's sets, then their cross product (bounded first).
        let mut per_item = Vec::with_capacity(items.len());
        let mut count = 1usize;
        for g in items {
            let sets = self.item_sets(g)?;
            count = count.saturating_mul(sets.len());
            per_item.push(sets);
        }
        if count > MAX_GROUPING_SETS {
            return Err(err!(
                SqlState::STATEMENT_TOO_COMPLEX,
                "too many grouping sets present (maximum {MAX_GROUPING_SETS})"
            ));
        }
        let mut product: Vec<Vec<&ast::Expr>> = vec![Vec::new()];
        for sets in &per_item {
            product = product
                .iter()
                .flat_map(|p| sets.iter().map(move |s| p.iter().chain(s).copied().collect::<Vec<_>>()))
                .collect();
        }
        // Bind each distinct expression once; equal keys share a column.
        let mut keys: Vec<Expr> = Vec::new();
        let mut bound: Vec<(*const ast::Expr, usize)> = Vec::new();
        let mut sets: Vec<Vec<usize>> = Vec::with_capacity(product.len());
        for set in product {
            let mut members = Vec::with_capacity(set.len());
            for g in set {
                let k = match bound.iter().find(|(p, _)| std::ptr::eq(*p, g)) {
                    Some((_, k)) => *k,
                    None => {
                        let e = self.bind_group_key(g, targets)?;
                        let k = match keys.iter().position(|k| same(k, &e)) {
                            Some(k) => k,
                            None => {
                                keys.push(e);
                                keys.len() - 1
                            }
                        };
                        bound.push((g as *const ast::Expr, k));
                        k
                    }
                };
                members.push(k);
            }
            members.sort_unstable();
            members.dedup();
            if !(distinct && sets.contains(&members)) {
                sets.push(members);
            }
        }
        Ok(GroupBy { keys, sets })
    }

    /// One grouping key: an output column's ordinal, an expression over
    /// the FROM row, or else an output column's name.
    fn bind_group_key(&mut self, g: &ast::Expr, targets: &[(Expr, Column)]) -> Result<Expr> {
        let e = match g {
            ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                let ast::Value::Number(n, _) = &v.value else { unreachable!() };
                let k = n.parse::<usize>().ok().filter(|k| *k >= 1 && *k <= targets.len()).ok_or_else(|| {
                    self.at(err!(SqlState::INVALID_COLUMN_REFERENCE, "GROUP BY position {n} is not in select list"), g)
                })?;
                targets[k - 1].0.clone()
            }
            _ => {
                self.level().no_aggs = Some("GROUP BY");
                let r = self.bind_expr(g);
                self.level().no_aggs = None;
                match r {
                    Ok(e) => e,
                    // A bare name may be an output column.
                    Err(err) => match g {
                        ast::Expr::Identifier(id) => {
                            let name = ident(id);
                            match targets.iter().find(|(_, c)| c.name == name) {
                                Some((e, _)) => e.clone(),
                                None => return Err(err),
                            }
                        }
                        _ => return Err(err),
                    },
                }
            }
        };
        if super::srf::has_srf(&e) {
            return Err(self.at(Error::not_supported("set-returning functions in GROUP BY"), g));
        }
        Ok(e)
    }

    /// `GROUPING (args…)`: checked where it stands, recorded among the
    /// level's aggregates; its reference.
    pub(super) fn bind_grouping_call(&mut self, args: &[&ast::Expr], node: &ast::Expr) -> Result<Expr> {
        self.check_aggregate_place("grouping operations", node)?;
        if args.len() >= MAX_GROUPING_ARGS {
            return Err(self.at(
                err!(SqlState::TOO_MANY_ARGUMENTS, "GROUPING must have fewer than {MAX_GROUPING_ARGS} arguments"),
                node,
            ));
        }
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            bound.push(self.bind_expr(a)?);
        }
        let level = self.level();
        level.aggs.push(AggCall {
            func: AggFunc::Grouping,
            args: bound,
            distinct: false,
            filter: None,
            order_by: Vec::new(),
            ty: PgType::Int4,
            grouping: Vec::new(),
        });
        Ok(Expr::AggRef(level.aggs.len() - 1, PgType::Int4))
    }

    /// Point each `GROUPING (…)` among `aggs` at the grouping keys its
    /// arguments are; an argument that is no key is an error.
    pub(super) fn resolve_grouping_calls(&self, aggs: &mut [AggCall], keys: &[Expr]) -> Result<()> {
        for a in aggs.iter_mut().filter(|a| a.func == AggFunc::Grouping) {
            let mut at = Vec::with_capacity(a.args.len());
            for arg in &a.args {
                match keys.iter().position(|k| same(k, arg)) {
                    Some(k) => at.push(k),
                    None => {
                        return Err(err!(
                            SqlState::GROUPING_ERROR,
                            "arguments to GROUPING must be grouping expressions of the associated query level"
                        ));
                    }
                }
            }
            a.grouping = at;
            a.args.clear();
        }
        Ok(())
    }
}
