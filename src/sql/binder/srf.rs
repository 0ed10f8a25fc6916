//! Set-returning functions in the select list (and ORDER BY): each call is
//! recorded in the query level as it is bound, leaving an `Expr::SrfRef`
//! behind; once the level's row is final (after grouping and windows),
//! [`Binder::place_srfs`] puts the calls into `ProjectSet` operators and
//! turns the references into columns of their output.
//!
//! A call whose arguments hold another call runs in a ProjectSet above
//! that one's, as in PostgreSQL: `generate_series(1, generate_series(1, 3))`
//! is two ProjectSets, the outer call started once per row of the inner.
//! Where PostgreSQL refuses a call (WHERE, CASE, an aggregate's
//! arguments, …) the same error is raised here, naming the clause.

use sqlparser::ast;

use super::Binder;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;
use crate::sql::json_fn::JsonSrf;
use crate::sql::plan::Plan;
use crate::sql::srf::{SrfCall, SrfFunc, step_type};
use crate::sql::types::PgType;

/// A call recorded by the binder: the call (its arguments over the level's
/// row, with references to other calls) and how many calls deep it is
/// nested in arguments (0: none inside it).
#[derive(Debug)]
pub(super) struct PendingSrf {
    pub call: SrfCall,
    pub depth: usize,
}

const LATERAL_HINT: &str = "You might be able to move the set-returning function into a LATERAL FROM item.";

impl Binder<'_> {
    /// A set-returning call: checked for its place, bound, recorded in the
    /// level; its reference.
    pub(super) fn bind_srf_call(
        &mut self,
        func: SrfFunc,
        name: &str,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        self.check_srf_place(node)?;
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            bound.push(self.bind_expr(a)?);
        }
        let (args, ty) = self.srf_args(func, name, bound, args, node)?;
        let level = self.level();
        let mut depth = 0;
        for a in &args {
            a.walk(&mut |e| {
                if let Expr::SrfRef(j, _) = e {
                    depth = depth.max(level.srfs[*j].depth + 1);
                }
            });
        }
        level.srfs.push(PendingSrf { call: SrfCall { func, args, ty }, depth });
        Ok(Expr::SrfRef(level.srfs.len() - 1, ty))
    }

    /// PostgreSQL's rules for where a set-returning call may be.
    fn check_srf_place(&self, node: &ast::Expr) -> Result<()> {
        let not_here = |what: String| self.at(err!(SqlState::FEATURE_NOT_SUPPORTED, "{what}"), node);
        let Some(level) = self.levels.last() else {
            return Err(not_here("set-returning functions are not allowed in VALUES".into()));
        };
        if level.in_agg {
            return Err(not_here("aggregate function calls cannot contain set-returning function calls".into())
                .with_hint(LATERAL_HINT));
        }
        match level.in_window {
            Some(true) => {
                return Err(not_here("window function calls cannot contain set-returning function calls".into())
                    .with_hint(LATERAL_HINT));
            }
            Some(false) => {
                return Err(not_here("set-returning functions are not allowed in window definitions".into()));
            }
            None => {}
        }
        if let Some(what) = level.no_srfs {
            return Err(not_here(format!("set-returning functions are not allowed in {what}")).with_hint(LATERAL_HINT));
        }
        if level.srfs_ok {
            return Ok(());
        }
        match level.no_windows.or(level.no_aggs) {
            Some("GROUP BY") => Err(self.at(Error::not_supported("set-returning functions in GROUP BY"), node)),
            Some(clause) => Err(not_here(format!("set-returning functions are not allowed in {clause}"))),
            None => Err(self.at(Error::not_supported("set-returning functions in this clause"), node)),
        }
    }

    /// A call's arguments brought to the types the function takes, and its result type.
    pub(super) fn srf_args(
        &mut self,
        func: SrfFunc,
        name: &str,
        bound: Vec<Expr>,
        nodes: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<(Vec<Expr>, PgType)> {
        let types: Vec<PgType> = bound.iter().map(Expr::ty).collect();
        let no_function = |b: &Self| b.no_function(name, &bound, node);
        let (want, ty): (Vec<PgType>, PgType) = match func {
            SrfFunc::Series => {
                if !(2..=3).contains(&types.len()) {
                    return Err(no_function(self));
                }
                let is = |f: fn(PgType) -> bool| types.iter().all(|t| *t == PgType::Unknown || f(*t));
                let datetime = |t: PgType| matches!(t, PgType::Timestamp | PgType::TimestampTz | PgType::Date);
                let ty = if is(|t| matches!(t, PgType::Int2 | PgType::Int4)) {
                    PgType::Int4
                } else if is(|t| t.is_integer()) {
                    PgType::Int8
                } else if is(|t| t.is_integer() || t == PgType::Numeric) {
                    PgType::Numeric
                } else if types.len() == 3
                    && types[..2].iter().all(|t| *t == PgType::Unknown || datetime(*t))
                    && matches!(types[2], PgType::Interval | PgType::Unknown)
                    && types[..2].iter().any(|t| datetime(*t))
                {
                    // date goes to timestamptz, as PostgreSQL's implicit cast takes it.
                    if types[..2].iter().all(|t| matches!(t, PgType::Timestamp | PgType::Unknown)) {
                        PgType::Timestamp
                    } else {
                        PgType::TimestampTz
                    }
                } else {
                    return Err(no_function(self));
                };
                if !ty.is_integer() && types.len() == 2 {
                    // Numerics step by 1 too.
                    if ty != PgType::Numeric {
                        return Err(no_function(self));
                    }
                }
                (vec![ty, ty, step_type(ty)], ty)
            }
            SrfFunc::Unnest => {
                let [t] = types.as_slice() else { return Err(no_function(self)) };
                let Some(elem) = t.elem() else {
                    return Err(no_function(self));
                };
                (vec![*t], elem)
            }
            SrfFunc::Subscripts => {
                let ok = matches!(types.len(), 2 | 3)
                    && types[0].elem().is_some()
                    && matches!(types[1], PgType::Int2 | PgType::Int4 | PgType::Unknown)
                    && types.get(2).is_none_or(|t| matches!(t, PgType::Bool | PgType::Unknown));
                if !ok {
                    return Err(no_function(self));
                }
                (vec![types[0], PgType::Int4, PgType::Bool], PgType::Int4)
            }
            SrfFunc::PartitionAncestors => {
                if types.len() != 1 {
                    return Err(no_function(self));
                }
                (vec![PgType::RegClass], PgType::RegClass)
            }
            SrfFunc::SnapshotXip { legacy } => {
                let (snapshot, id) =
                    if legacy { (PgType::TxidSnapshot, PgType::Int8) } else { (PgType::PgSnapshot, PgType::Xid8) };
                if types.len() != 1 || !matches!(types[0], t if t == snapshot || t == PgType::Unknown) {
                    return Err(no_function(self));
                }
                (vec![snapshot], id)
            }
            SrfFunc::StringToTable | SrfFunc::RegexpSplit | SrfFunc::RegexpMatches => {
                let texts = |t: &PgType| t.is_string() || *t == PgType::Unknown;
                if !matches!(types.len(), 2 | 3) || !types.iter().all(texts) {
                    return Err(no_function(self));
                }
                let ty = if func == SrfFunc::RegexpMatches {
                    PgType::array_of(PgType::Text).unwrap_or(PgType::Text)
                } else {
                    PgType::Text
                };
                (vec![PgType::Text; 3], ty)
            }
            SrfFunc::Json(f) => {
                let want = f.arg_type();
                if types.len() != 1 || (types[0] != want && types[0] != PgType::Unknown) {
                    return Err(no_function(self));
                }
                if let JsonSrf::Each { .. } = f {
                    return Err(self.at(Error::not_supported(format!("{name}() in the select list (a record)")), node));
                }
                let Some((_, ty)) = f.columns().into_iter().next() else {
                    return Err(Error::internal("json set-returning function without columns"));
                };
                (vec![want], ty)
            }
        };
        let mut out = Vec::with_capacity(bound.len());
        for ((b, t), n) in bound.into_iter().zip(want).zip(nodes) {
            out.push(self.coerce(b, t, n)?);
        }
        if func == SrfFunc::Series && ty == PgType::Numeric && out.len() == 2 {
            out.push(Expr::Const(crate::sql::types::Datum::Numeric("1".into()), PgType::Numeric));
        }
        Ok((out, ty))
    }

    /// Put the level's set-returning calls into ProjectSet operators over
    /// `plan` (whose row `exprs` read), innermost calls lowest; `exprs`
    /// then read the top one's output instead of the calls.
    pub(super) fn place_srfs(&mut self, mut plan: Plan, exprs: &mut [Expr], args: Vec<Vec<Expr>>) -> Plan {
        let pending = std::mem::take(&mut self.level().srfs);
        if pending.is_empty() {
            return plan;
        }
        // Where each call's value is in the row, once its ProjectSet is placed.
        let mut column: Vec<Option<usize>> = vec![None; pending.len()];
        let top = pending.iter().map(|p| p.depth).max().unwrap_or(0);
        let to_columns = |e: &mut Expr, column: &[Option<usize>]| {
            e.walk_mut(&mut |x| {
                if let Expr::SrfRef(j, t) = x {
                    if let Some(c) = column[*j] {
                        *x = Expr::Column(c, *t);
                    }
                }
            });
        };
        for depth in 0..=top {
            let mut width = plan.types().len();
            let mut srfs = Vec::new();
            for (j, (p, args)) in pending.iter().zip(&args).enumerate() {
                if p.depth != depth {
                    continue;
                }
                let mut call = SrfCall { func: p.call.func, args: args.clone(), ty: p.call.ty };
                for a in &mut call.args {
                    to_columns(a, &column);
                }
                srfs.push(call);
                column[j] = Some(width);
                width += 1;
            }
            plan = Plan::ProjectSet { input: Box::new(plan), srfs, ordinality: false };
        }
        for e in exprs.iter_mut() {
            to_columns(e, &column);
        }
        plan
    }

    /// The arguments of the level's set-returning calls, each call's in a
    /// row (to be rewritten with the select list as the level's row changes).
    pub(super) fn srf_arguments(&self) -> Vec<Vec<Expr>> {
        self.levels.last().map_or_else(Vec::new, |l| l.srfs.iter().map(|p| p.call.args.clone()).collect())
    }
}

/// Whether an expression holds a set-returning call.
pub(super) fn has_srf(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| found |= matches!(x, Expr::SrfRef(..)));
    found
}
