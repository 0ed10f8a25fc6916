//! Binding window functions: `f(…) OVER (PARTITION BY … ORDER BY … frame)`,
//! named windows (`WINDOW w AS (…)`, `OVER w`, `OVER (w ORDER BY …)`), and
//! placing them in the plan.
//!
//! A call is bound where it appears (select list or ORDER BY) into a
//! [`WindowUse`] of the query level, leaving an `Expr::WinRef` behind. Once
//! grouping is done, [`Binder::place_windows`] stacks one `Window` operator
//! per distinct window (with a `Sort` below it unless its input is already
//! in the order it needs) over the grouped rows, and turns every reference
//! into a column of the top operator's output.

use sqlparser::ast;

use super::Binder;
use super::query::sort_key;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;
use crate::sql::plan::{AggFunc, Frame, FrameBound, FrameUnits, Plan, SortKey, WinCall, WinFunc};
use crate::sql::types::PgType;

/// A window function call with its window, over the level's row (or, after
/// grouping, the grouped row).
#[derive(Clone, Debug)]
pub(crate) struct WindowUse {
    pub call: WinCall,
    pub partition: Vec<Expr>,
    /// Order expressions with their direction (`column` unused).
    pub order: Vec<(Expr, SortKey)>,
    pub frame: Frame,
}

/// Calls sharing one window: partition columns, order keys, frame, and
/// the calls (indexes into the level's window uses).
type WindowGroup = (Vec<usize>, Vec<SortKey>, Frame, Vec<usize>);

impl WindowUse {
    /// Whether two calls share a window (and so one operator).
    fn same_window(&self, other: &WindowUse) -> bool {
        format!("{:?}{:?}{:?}", self.partition, self.order, self.frame)
            == format!("{:?}{:?}{:?}", other.partition, other.order, other.frame)
    }
}

impl Binder<'_> {
    /// Record the `WINDOW` clause of a SELECT in the current level.
    pub(super) fn bind_named_windows(&mut self, defs: &[ast::NamedWindowDefinition]) -> Result<()> {
        for ast::NamedWindowDefinition(name, expr) in defs {
            let name = super::ident(name);
            if self.level().named_windows.iter().any(|(n, _)| *n == name) {
                return Err(err!(SqlState::WINDOWING_ERROR, "window \"{name}\" is already defined"));
            }
            let spec = match expr {
                ast::NamedWindowExpr::NamedWindow(base) => self.named_window(base)?,
                ast::NamedWindowExpr::WindowSpec(spec) => self.merge_window(spec)?,
            };
            self.level().named_windows.push((name, spec));
        }
        Ok(())
    }

    fn named_window(&self, name: &ast::Ident) -> Result<ast::WindowSpec> {
        let wanted = super::ident(name);
        let level = self.levels.last().expect("level");
        level.named_windows.iter().find(|(n, _)| *n == wanted).map(|(_, s)| s.clone()).ok_or_else(|| {
            let e = err!(SqlState::UNDEFINED_OBJECT, "window \"{wanted}\" does not exist");
            match self.pos(name.span) {
                Some(p) => e.with_position(p),
                None => e,
            }
        })
    }

    /// A window specification with the window it names (`OVER (w ORDER BY …)`) folded in.
    fn merge_window(&self, spec: &ast::WindowSpec) -> Result<ast::WindowSpec> {
        let Some(base_name) = &spec.window_name else { return Ok(spec.clone()) };
        let base = self.named_window(base_name)?;
        let name = super::ident(base_name);
        if !spec.partition_by.is_empty() {
            return Err(err!(SqlState::WINDOWING_ERROR, "cannot override PARTITION BY clause of window \"{name}\""));
        }
        if !spec.order_by.is_empty() && !base.order_by.is_empty() {
            return Err(err!(SqlState::WINDOWING_ERROR, "cannot override ORDER BY clause of window \"{name}\""));
        }
        if base.window_frame.is_some() {
            let e = err!(SqlState::WINDOWING_ERROR, "cannot copy window \"{name}\" because it has a frame clause");
            return Err(if spec.order_by.is_empty() && spec.window_frame.is_none() {
                e.with_hint("Omit the parentheses in this OVER clause.")
            } else {
                e
            });
        }
        Ok(ast::WindowSpec {
            window_name: None,
            partition_by: base.partition_by,
            order_by: if spec.order_by.is_empty() { base.order_by } else { spec.order_by.clone() },
            window_frame: spec.window_frame.clone(),
        })
    }

    /// A call with `OVER`: a window function or an aggregate over a window.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bind_window_call(
        &mut self,
        name: &str,
        f: &ast::Function,
        over: &ast::WindowType,
        aggregate: Option<AggFunc>,
        args: &[&ast::Expr],
        distinct: bool,
        order_by: &[ast::OrderByExpr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        // Without a query level the expression is a row of INSERT's VALUES.
        let Some(level) = self.levels.last() else {
            return Err(self.at(err!(SqlState::WINDOWING_ERROR, "window functions are not allowed in VALUES"), node));
        };
        let misplaced = |b: &Self, code, message: String| Err(b.at(Error::new(code, message), node));
        if level.in_agg {
            return misplaced(
                self,
                SqlState::GROUPING_ERROR,
                "aggregate function calls cannot contain window function calls".into(),
            );
        }
        match level.in_window {
            Some(true) => {
                return misplaced(self, SqlState::WINDOWING_ERROR, "window function calls cannot be nested".into());
            }
            Some(false) => {
                return misplaced(
                    self,
                    SqlState::WINDOWING_ERROR,
                    "window functions are not allowed in window definitions".into(),
                );
            }
            None => {}
        }
        if let Some(clause) = level.no_aggs.or(level.no_windows) {
            return misplaced(self, SqlState::WINDOWING_ERROR, format!("window functions are not allowed in {clause}"));
        }
        if !level.windows_ok {
            return Err(self.at(Error::not_supported("window functions in this clause"), node));
        }
        let func = match (WinFunc::lookup(name), aggregate) {
            (Some(w), _) => w,
            (None, Some(a)) => WinFunc::Agg(a),
            (None, None) => {
                return misplaced(
                    self,
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("OVER specified, but {name} is not a window function nor an aggregate function"),
                );
            }
        };
        if distinct {
            return Err(self
                .at(err!(SqlState::FEATURE_NOT_SUPPORTED, "DISTINCT is not implemented for window functions"), node));
        }
        if !order_by.is_empty() {
            return Err(self.at(
                err!(SqlState::FEATURE_NOT_SUPPORTED, "aggregate ORDER BY is not implemented for window functions"),
                node,
            ));
        }
        if f.filter.is_some() && aggregate.is_none() {
            return Err(self.at(
                err!(SqlState::FEATURE_NOT_SUPPORTED, "FILTER is not implemented for non-aggregate window functions"),
                node,
            ));
        }
        let spec = match over {
            ast::WindowType::NamedWindow(n) => self.named_window(n)?,
            ast::WindowType::WindowSpec(spec) => self.merge_window(spec)?,
        };
        let r = self.bind_window_parts(name, func, f, &spec, args, node);
        self.level().in_window = None;
        let window = r?;
        let ty = window.call.ty;
        let level = self.level();
        level.windows.push(window);
        Ok(Expr::WinRef(level.windows.len() - 1, ty))
    }

    fn bind_window_parts(
        &mut self,
        name: &str,
        func: WinFunc,
        f: &ast::Function,
        spec: &ast::WindowSpec,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<WindowUse> {
        self.level().in_window = Some(false);
        let mut partition = Vec::with_capacity(spec.partition_by.len());
        for p in &spec.partition_by {
            let e = self.bind_expr(p)?;
            partition.push(if e.ty() == PgType::Unknown { self.coerce(e, PgType::Text, p)? } else { e });
        }
        let mut order = Vec::with_capacity(spec.order_by.len());
        for o in &spec.order_by {
            let e = self.bind_expr(&o.expr)?;
            let e = if e.ty() == PgType::Unknown { self.coerce(e, PgType::Text, &o.expr)? } else { e };
            order.push((e, sort_key(0, &o.options)));
        }
        let frame = match &spec.window_frame {
            None => Frame::default_frame(),
            Some(wf) => self.bind_frame(wf, &order)?,
        };
        self.level().in_window = Some(true);
        let call = match func {
            WinFunc::Agg(agg) => {
                let a = self.bind_aggregate_args(agg, name, f, args, false, &[], node)?;
                WinCall { func: WinFunc::Agg(a.func), name: name.to_string(), args: a.args, filter: a.filter, ty: a.ty }
            }
            _ => self.bind_window_function(func, name, args, node)?,
        };
        Ok(WindowUse { call, partition, order, frame })
    }

    /// Arguments and result type of a window function proper.
    fn bind_window_function(
        &mut self,
        func: WinFunc,
        name: &str,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<WinCall> {
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            bound.push(self.bind_expr(a)?);
        }
        let no_fn = |b: &Self, bound: &[Expr]| b.no_function(name, bound, node);
        let polymorphic = !matches!(
            func,
            WinFunc::RowNumber
                | WinFunc::Rank
                | WinFunc::DenseRank
                | WinFunc::PercentRank
                | WinFunc::CumeDist
                | WinFunc::Ntile
        );
        let unknown = |e: &Expr| e.ty() == PgType::Unknown;
        if polymorphic
            && bound.first().is_some_and(unknown)
            && (!matches!(func, WinFunc::Lag | WinFunc::Lead) || bound.get(2).is_none_or(unknown))
        {
            return Err(self.at(
                err!(
                    SqlState::DATATYPE_MISMATCH,
                    "could not determine polymorphic type because input has type unknown"
                ),
                node,
            ));
        }
        let int4_ok = |e: &Expr| e.ty().is_integer() && e.ty() != PgType::Int8 || e.ty() == PgType::Unknown;
        let (args, ty) = match func {
            WinFunc::RowNumber | WinFunc::Rank | WinFunc::DenseRank if bound.is_empty() => (bound, PgType::Int8),
            WinFunc::PercentRank | WinFunc::CumeDist if bound.is_empty() => (bound, PgType::Float8),
            WinFunc::Ntile if bound.len() == 1 && int4_ok(&bound[0]) => {
                let n = self.coerce(bound.remove(0), PgType::Int4, args[0])?;
                (vec![n], PgType::Int4)
            }
            WinFunc::FirstValue | WinFunc::LastValue if bound.len() == 1 => {
                let v = bound.remove(0);
                let v = if v.ty() == PgType::Unknown { self.coerce(v, PgType::Text, args[0])? } else { v };
                let ty = v.ty();
                (vec![v], ty)
            }
            WinFunc::NthValue if bound.len() == 2 && int4_ok(&bound[1]) => {
                let n = self.coerce(bound.remove(1), PgType::Int4, args[1])?;
                let v = bound.remove(0);
                let v = if v.ty() == PgType::Unknown { self.coerce(v, PgType::Text, args[0])? } else { v };
                let ty = v.ty();
                (vec![v, n], ty)
            }
            WinFunc::Lag | WinFunc::Lead if (1..=3).contains(&bound.len()) => {
                if bound.len() >= 2 && !int4_ok(&bound[1]) {
                    return Err(no_fn(self, &bound));
                }
                // The value and the default share a type (anycompatible).
                let ty = if bound.len() == 3 {
                    let refs: Vec<&Expr> = vec![&bound[0], &bound[2]];
                    self.common_type(&refs, name, Some(args[2]))?
                } else if bound[0].ty() == PgType::Unknown {
                    PgType::Text
                } else {
                    bound[0].ty()
                };
                let mut out = Vec::with_capacity(bound.len());
                for (i, (b, a)) in bound.into_iter().zip(args).enumerate() {
                    out.push(if i == 1 { self.coerce(b, PgType::Int4, a)? } else { self.coerce(b, ty, a)? });
                }
                (out, ty)
            }
            // With arguments these name the hypothetical-set aggregates.
            WinFunc::Rank | WinFunc::DenseRank | WinFunc::PercentRank | WinFunc::CumeDist => {
                return Err(self.at(
                    err!(SqlState::WRONG_OBJECT_TYPE, "WITHIN GROUP is required for ordered-set aggregate {name}"),
                    node,
                ));
            }
            _ => return Err(no_fn(self, &bound)),
        };
        Ok(WinCall { func, name: name.to_string(), args, filter: None, ty })
    }

    fn bind_frame(&mut self, wf: &ast::WindowFrame, order: &[(Expr, SortKey)]) -> Result<Frame> {
        let units = match wf.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        let unit_name = match units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
            FrameUnits::Groups => "GROUPS",
        };
        let windowing = |m: &str| Err(err!(SqlState::WINDOWING_ERROR, "{m}"));
        let has_offset = |b: &ast::WindowFrameBound| {
            matches!(b, ast::WindowFrameBound::Preceding(Some(_)) | ast::WindowFrameBound::Following(Some(_)))
        };
        // The offsets' type: a count of rows or groups, or a distance in the
        // order column's type.
        let offset_type = match units {
            FrameUnits::Range if has_offset(&wf.start_bound) || wf.end_bound.as_ref().is_some_and(has_offset) => {
                if order.len() != 1 {
                    return windowing("RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column");
                }
                match order[0].0.ty() {
                    t if t.is_integer() => PgType::Int8,
                    t if t.is_float() => PgType::Float8,
                    PgType::Numeric => PgType::Numeric,
                    t => {
                        return Err(err!(
                            SqlState::FEATURE_NOT_SUPPORTED,
                            "RANGE with offset PRECEDING/FOLLOWING is not supported for column type {}",
                            t.sql_name()
                        ));
                    }
                }
            }
            _ => PgType::Int8,
        };
        let start = self.bind_bound(&wf.start_bound, unit_name, offset_type)?;
        let end = match &wf.end_bound {
            Some(b) => self.bind_bound(b, unit_name, offset_type)?,
            None => FrameBound::CurrentRow,
        };
        match (&start, &end) {
            (FrameBound::UnboundedFollowing, _) => return windowing("frame start cannot be UNBOUNDED FOLLOWING"),
            (_, FrameBound::UnboundedPreceding) => return windowing("frame end cannot be UNBOUNDED PRECEDING"),
            (FrameBound::CurrentRow, FrameBound::Preceding(_)) => {
                return windowing("frame starting from current row cannot have preceding rows");
            }
            (FrameBound::Following(_), FrameBound::Preceding(_) | FrameBound::CurrentRow) => {
                return windowing("frame starting from following row cannot have preceding rows");
            }
            _ => {}
        }
        if units == FrameUnits::Groups && order.is_empty() {
            return windowing("GROUPS mode requires an ORDER BY clause");
        }
        Ok(Frame { units, start, end })
    }

    fn bind_bound(&mut self, b: &ast::WindowFrameBound, unit_name: &str, ty: PgType) -> Result<FrameBound> {
        let offset = |binder: &mut Self, e: &ast::Expr| -> Result<Expr> {
            let bound = binder.bind_expr(e)?;
            if bound.uses_columns() {
                return Err(binder.at(
                    err!(SqlState::INVALID_COLUMN_REFERENCE, "argument of {unit_name} must not contain variables"),
                    e,
                ));
            }
            let fits = match ty {
                PgType::Int8 => bound.ty().is_integer(),
                PgType::Float8 => bound.ty().is_integer() || bound.ty().is_float() || bound.ty() == PgType::Numeric,
                _ => bound.ty().is_integer() || bound.ty() == PgType::Numeric,
            };
            if !(fits || bound.ty() == PgType::Unknown) {
                return Err(binder.at(
                    err!(
                        SqlState::DATATYPE_MISMATCH,
                        "argument of {unit_name} must be type {}, not type {}",
                        ty.sql_name(),
                        bound.ty().sql_name()
                    ),
                    e,
                ));
            }
            let bound = if bound.ty() == ty || bound.ty() == PgType::Unknown {
                bound
            } else {
                Expr::Cast(Box::new(bound), ty, None)
            };
            binder.coerce(bound, ty, e)
        };
        Ok(match b {
            ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            ast::WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(offset(self, e)?),
            ast::WindowFrameBound::Following(Some(e)) => FrameBound::Following(offset(self, e)?),
        })
    }

    /// Put the level's window functions over `plan` (the grouped rows when
    /// `grouped` gives the grouping keys and their count), and rewrite
    /// `exprs` to read their results. Returns the plan and the order its
    /// rows come out in (by input column), when a window sorted them.
    pub(super) fn place_windows(
        &mut self,
        mut plan: Plan,
        exprs: &mut [Expr],
        grouped: Option<(&[Expr], usize)>,
    ) -> Result<(Plan, Vec<(Expr, SortKey)>)> {
        let mut windows = std::mem::take(&mut self.level().windows);
        if windows.is_empty() {
            return Ok((plan, Vec::new()));
        }
        if let Some((groups, ng)) = grouped {
            for w in &mut windows {
                let r = |b: &Self, e: &Expr| b.regroup(e, groups, ng);
                // Arguments first: PostgreSQL names the first ungrouped column found there.
                for e in w.call.args.iter_mut().chain(w.call.filter.iter_mut()) {
                    *e = r(self, e)?;
                }
                for e in w.partition.iter_mut().chain(w.order.iter_mut().map(|(e, _)| e)) {
                    *e = r(self, e)?;
                }
            }
        }
        // Partition and order expressions that are not input columns are
        // computed by a projection below the windows.
        let width = plan.types().len();
        let mut extra: Vec<Expr> = Vec::new();
        let mut column_of = |e: &Expr| -> usize {
            if let Expr::Column(i, _) = e {
                return *i;
            }
            let key = format!("{e:?}");
            match extra.iter().position(|x| format!("{x:?}") == key) {
                Some(k) => width + k,
                None => {
                    extra.push(e.clone());
                    width + extra.len() - 1
                }
            }
        };
        // Windows in groups that share one operator, in order of first use.
        let mut groups: Vec<WindowGroup> = Vec::new();
        for (j, w) in windows.iter().enumerate() {
            if let Some(g) = groups.iter_mut().find(|g| windows[g.3[0]].same_window(w)) {
                g.3.push(j);
                continue;
            }
            let partition: Vec<usize> = w.partition.iter().map(&mut column_of).collect();
            let order: Vec<SortKey> = w.order.iter().map(|(e, k)| SortKey { column: column_of(e), ..*k }).collect();
            groups.push((partition, order, w.frame.clone(), vec![j]));
        }
        let input_types = plan.types();
        let computed = extra.clone();
        let expr_of = |c: usize| match c.checked_sub(width) {
            Some(k) => computed[k].clone(),
            None => Expr::Column(c, input_types[c]),
        };
        let sorted_exprs = |keys: &[SortKey]| keys.iter().map(|k| (expr_of(k.column), *k)).collect::<Vec<_>>();
        let mut window_order = Vec::new();
        if !extra.is_empty() {
            let types = plan.types();
            let exprs = (0..width).map(|i| Expr::Column(i, types[i])).chain(extra).collect();
            plan = Plan::Project { input: Box::new(plan), exprs };
        }
        // The window needing the longest sort runs first (as PostgreSQL orders them).
        groups.sort_by_key(|g| std::cmp::Reverse(g.0.len() + g.1.len()));
        let mut at = plan.types().len();
        let mut position = vec![0; windows.len()];
        let mut sorted: Vec<SortKey> = Vec::new();
        for (partition, order, frame, members) in groups {
            let keys: Vec<SortKey> = partition
                .iter()
                .map(|&column| SortKey { column, descending: false, nulls_first: false })
                .chain(order.iter().copied())
                .collect();
            let same_key = |a: &SortKey, b: &SortKey| {
                a.column == b.column && a.descending == b.descending && a.nulls_first == b.nulls_first
            };
            let in_order = keys.len() <= sorted.len() && keys.iter().zip(&sorted).all(|(a, b)| same_key(a, b));
            if !keys.is_empty() && !in_order {
                window_order = sorted_exprs(&keys);
                plan = Plan::Sort { input: Box::new(plan), keys: keys.clone() };
                sorted = keys;
            }
            let funcs: Vec<WinCall> = members.iter().map(|&j| windows[j].call.clone()).collect();
            for &j in &members {
                position[j] = at;
                at += 1;
            }
            plan = Plan::Window { input: Box::new(plan), partition, order, frame, funcs };
        }
        for e in exprs.iter_mut() {
            e.walk_mut(&mut |x| {
                if let Expr::WinRef(j, t) = x {
                    *x = Expr::Column(position[*j], *t);
                }
            });
        }
        Ok((plan, window_order))
    }
}
