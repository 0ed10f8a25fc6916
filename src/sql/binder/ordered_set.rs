//! Ordered-set aggregates: `f(direct args…) WITHIN GROUP (ORDER BY …)`.
//!
//! `percentile_cont`, `percentile_disc` (a fraction or an array of
//! them), `mode()` and the hypothetical-set aggregates `rank`,
//! `dense_rank`, `percent_rank` and `cume_dist` (as many direct arguments
//! as ORDER BY keys, each pair brought to a common type). They are bound
//! into an `AggCall` whose `args` are the direct arguments and whose
//! `order_by` is the WITHIN GROUP list; the executor's
//! `exec::ordered_set` computes them. Direct arguments may not read the
//! query's columns here: they are evaluated once for the statement.

use sqlparser::ast;

use super::Binder;
use super::query::sort_key;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;
use crate::sql::plan::{AggCall, AggFunc, HypotheticalRank};
use crate::sql::types::PgType;

/// The ordered-set aggregate `name` names (the array forms are told apart
/// by their argument's type).
fn lookup(name: &str) -> Option<AggFunc> {
    Some(match name {
        "percentile_cont" => AggFunc::PercentileCont { array: false },
        "percentile_disc" => AggFunc::PercentileDisc { array: false },
        "mode" => AggFunc::Mode,
        "rank" => AggFunc::Hypothetical(HypotheticalRank::Rank),
        "dense_rank" => AggFunc::Hypothetical(HypotheticalRank::DenseRank),
        "percent_rank" => AggFunc::Hypothetical(HypotheticalRank::PercentRank),
        "cume_dist" => AggFunc::Hypothetical(HypotheticalRank::CumeDist),
        _ => return None,
    })
}

impl Binder<'_> {
    /// A call with WITHIN GROUP: an ordered-set aggregate, recorded in the
    /// current level; its reference.
    pub(super) fn bind_ordered_set(
        &mut self,
        name: &str,
        f: &ast::Function,
        args: &[&ast::Expr],
        distinct: bool,
        node: &ast::Expr,
    ) -> Result<Expr> {
        let Some(func) = lookup(name) else {
            // An ordinary aggregate of as many arguments as given in all.
            let one_arg = matches!(
                crate::sql::plan::AggFunc::lookup(name),
                Some(a) if !matches!(a, AggFunc::StringAgg | AggFunc::JsonObjectAgg { .. })
            );
            if one_arg && args.is_empty() && f.within_group.len() == 1 {
                return Err(self.at(
                    err!(
                        SqlState::WRONG_OBJECT_TYPE,
                        "{name} is not an ordered-set aggregate, so it cannot have WITHIN GROUP"
                    ),
                    node,
                ));
            }
            let mut all = Vec::with_capacity(args.len() + f.within_group.len());
            for a in args.iter().copied().chain(f.within_group.iter().map(|o| &o.expr)) {
                all.push(self.bind_expr(a)?);
            }
            return Err(self.no_function(name, &all, node));
        };
        if distinct {
            return Err(self.at(err!(SqlState::SYNTAX_ERROR, "cannot use DISTINCT with WITHIN GROUP"), node));
        }
        if f.over.is_some() {
            return Err(self.at(
                err!(SqlState::FEATURE_NOT_SUPPORTED, "OVER is not supported for ordered-set aggregate {name}"),
                node,
            ));
        }
        self.record_aggregate(node, |b| b.bind_ordered_set_call(func, name, f, args, node))
    }

    fn bind_ordered_set_call(
        &mut self,
        func: AggFunc,
        name: &str,
        f: &ast::Function,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<AggCall> {
        let mut direct = Vec::with_capacity(args.len());
        for a in args {
            let e = self.bind_expr(a)?;
            if let Some(c) = first_column(&e) {
                let (label, column) = self.column_name(c);
                return Err(self.at(
                    err!(
                        SqlState::GROUPING_ERROR,
                        "column \"{label}.{column}\" must appear in the GROUP BY clause or be used in an aggregate function"
                    )
                    .with_detail("Direct arguments of an ordered-set aggregate must use only grouped columns."),
                    *a,
                ));
            }
            direct.push(e);
        }
        let mut order = Vec::with_capacity(f.within_group.len());
        for o in &f.within_group {
            let key = sort_key(0, &o.options);
            order.push((self.bind_expr(&o.expr)?, key.descending, key.nulls_first));
        }
        let mismatch = |b: &Self, direct: &[Expr], order: &[(Expr, bool, bool)]| {
            let all: Vec<Expr> = direct.iter().cloned().chain(order.iter().map(|o| o.0.clone())).collect();
            b.no_function(name, &all, node)
        };
        let (func, ty) = match func {
            AggFunc::PercentileCont { .. } | AggFunc::PercentileDisc { .. } => {
                if direct.len() != 1 || order.len() != 1 {
                    return Err(mismatch(self, &direct, &order));
                }
                let array = direct[0].ty().is_array();
                let key_ty = order[0].0.ty();
                let value_ty = match func {
                    AggFunc::PercentileCont { .. } => match key_ty {
                        PgType::Interval => PgType::Interval,
                        t if t.is_integer() || matches!(t, PgType::Numeric | PgType::Float4 | PgType::Float8) => {
                            PgType::Float8
                        }
                        PgType::Unknown => PgType::Float8,
                        _ => return Err(mismatch(self, &direct, &order)),
                    },
                    _ if key_ty == PgType::Unknown => PgType::Text,
                    _ => key_ty,
                };
                let fraction_ty = if array { PgType::array_of(PgType::Float8) } else { Some(PgType::Float8) };
                let fraction_ty = fraction_ty.ok_or_else(|| Error::internal("no float8[] type"))?;
                direct[0] = self.coerce(direct[0].clone(), fraction_ty, args[0])?;
                order[0].0 = self.coerce(order[0].0.clone(), value_ty, &f.within_group[0].expr)?;
                let ty = if array { self.array_type_of(value_ty, node)? } else { value_ty };
                let func = match func {
                    AggFunc::PercentileCont { .. } => AggFunc::PercentileCont { array },
                    _ => AggFunc::PercentileDisc { array },
                };
                (func, ty)
            }
            AggFunc::Mode => {
                if !direct.is_empty() || order.len() != 1 {
                    return Err(mismatch(self, &direct, &order));
                }
                if order[0].0.ty() == PgType::Unknown {
                    order[0].0 = self.coerce(order[0].0.clone(), PgType::Text, &f.within_group[0].expr)?;
                }
                (func, order[0].0.ty())
            }
            AggFunc::Hypothetical(kind) => {
                if direct.len() != order.len() {
                    let all: Vec<&str> = direct
                        .iter()
                        .map(|e| e.ty().sql_name())
                        .chain(order.iter().map(|o| o.0.ty().sql_name()))
                        .collect();
                    return Err(self.at(
                        err!(SqlState::UNDEFINED_FUNCTION, "function {name}({}) does not exist", all.join(", "))
                            .with_hint(format!(
                                "To use the hypothetical-set aggregate {name}, the number of hypothetical direct \
                                 arguments (here {}) must match the number of ordering columns (here {}).",
                                direct.len(),
                                order.len()
                            )),
                        node,
                    ));
                }
                for i in 0..direct.len() {
                    let ty = self.common_type(&[&direct[i], &order[i].0], "WITHIN GROUP", Some(args[i]))?;
                    direct[i] = self.coerce(direct[i].clone(), ty, args[i])?;
                    order[i].0 = self.coerce(order[i].0.clone(), ty, &f.within_group[i].expr)?;
                }
                let ty = match kind {
                    HypotheticalRank::Rank | HypotheticalRank::DenseRank => PgType::Int8,
                    HypotheticalRank::PercentRank | HypotheticalRank::CumeDist => PgType::Float8,
                };
                (func, ty)
            }
            _ => return Err(Error::internal("not an ordered-set aggregate")),
        };
        let filter = match &f.filter {
            Some(e) => Some(self.bind_condition(e, "FILTER")?),
            None => None,
        };
        Ok(AggCall { func, args: direct, distinct: false, filter, order_by: order, ty, grouping: Vec::new() })
    }
}

/// The first column of the query's row `e` reads, if any.
fn first_column(e: &Expr) -> Option<usize> {
    let mut found = None;
    e.walk(&mut |x| {
        if let Expr::Column(c, _) = x {
            found = found.or(Some(*c));
        }
    });
    found
}
