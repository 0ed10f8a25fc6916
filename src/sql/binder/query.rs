//! Binding queries into plans: FROM clauses and joins, WHERE (pushed down
//! into scans and joins), grouping and aggregates, the select list, DISTINCT,
//! ORDER BY, LIMIT, set operations, VALUES and subqueries.

use std::sync::Arc;

use sqlparser::ast;

use super::sublink::pull_up_sublinks;
use super::{Binder, common_datetime, common_numeric, figure_colname, ident, object_name};
use crate::catalog::Table;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::Column;
use crate::sql::cost;
use crate::sql::expr::{CmpOp, Expr};
use crate::sql::plan::{AggCall, AggFunc, JoinKind, Plan, SetOpKind, SortKey, SubKind, SubPlan};
use crate::sql::srf::{SrfCall, SrfFunc};
use crate::sql::types::{Datum, PgType};

/// A relation visible in a FROM clause: a table, a derived table, a join's side.
#[derive(Clone, Debug)]
pub(super) struct Rel {
    pub label: String,
    /// The table's own name, when it is a table.
    pub table: Option<String>,
    /// The table's schema, when it is a table (where its row type is).
    pub namespace: Option<u32>,
    pub columns: Vec<RelColumn>,
    /// Position of its first column in the level's row.
    pub offset: usize,
    /// On the nullable side of an outer join: its columns are NULL in the
    /// rows the join makes up.
    pub nullable: bool,
    /// A column (its place among `columns`) that is never NULL in the
    /// relation's own rows (a NOT NULL column of a table).
    pub never_null: Option<usize>,
}

impl Rel {
    /// A table whose system columns the statement does not read where it
    /// names the table (see [`target_system_column`]).
    fn lacks_system_columns(&self) -> bool {
        self.table.is_some() && !self.columns.iter().any(|c| c.system)
    }
}

#[derive(Clone, Debug)]
pub(super) struct RelColumn {
    pub name: String,
    pub ty: PgType,
    pub typmod: i32,
    /// Merged into another relation's column by `JOIN … USING`: found only
    /// when qualified, and not part of `*`.
    pub merged: bool,
    /// A dropped table column: it keeps its place in the row, but is
    /// never found and never part of `*`.
    pub dropped: bool,
    /// The domain a table column is of (`ty` is its base type), for
    /// `pg_typeof`.
    pub domain: Option<u32>,
    /// A system column of a table (`ctid`, `xmin`, …): found by name, but
    /// never part of `*`, `label.*`, `NATURAL` or `USING`.
    pub system: bool,
}

impl RelColumn {
    /// A table's column as its relation shows it.
    pub fn of_table(c: &crate::catalog::Column) -> RelColumn {
        RelColumn {
            name: c.name.clone(),
            ty: c.ty,
            typmod: c.typmod,
            merged: false,
            dropped: c.dropped,
            domain: c.domain.as_ref().map(|d| d.oid),
            system: false,
        }
    }

    /// A table's system columns, after its own in its relation (see
    /// [`crate::sql::plan::system_column_types`]).
    pub(super) fn system_columns() -> impl Iterator<Item = RelColumn> {
        let types = crate::sql::plan::system_column_types();
        crate::catalog::system::SYSTEM_COLUMNS.iter().zip(types).map(|(c, ty)| RelColumn {
            name: c.0.to_string(),
            ty,
            typmod: -1,
            merged: false,
            dropped: false,
            domain: None,
            system: true,
        })
    }
}

/// The names one query level can see, and what binding it collected.
#[derive(Debug, Default)]
pub(super) struct Level {
    pub rels: Vec<Rel>,
    pub width: usize,
    pub aggs: Vec<AggCall>,
    /// Outer values this level (as a subquery) reads: slot ← expression in the parent's row.
    pub bindings: Vec<(usize, Expr)>,
    /// Whether this level or one inside it reads an enclosing query's row.
    pub correlated: bool,
    /// Where aggregates are not allowed, the clause's name for the error.
    pub no_aggs: Option<&'static str>,
    pub in_agg: bool,
    /// Row positions of columns that `JOIN … USING`/`NATURAL` joined on,
    /// which `*` lists first.
    pub using_first: Vec<usize>,
    /// Its FROM reads a recursive CTE's work table (no aggregates then).
    pub self_ref: bool,
    /// Window function calls, in the order bound (see `window.rs`).
    pub windows: Vec<super::window::WindowUse>,
    /// The `WINDOW` clause's definitions.
    pub named_windows: Vec<(String, ast::WindowSpec)>,
    /// Window functions may appear here (select list, ORDER BY).
    pub windows_ok: bool,
    /// Binding a window function's arguments (`Some(true)`) or its window (`Some(false)`).
    pub in_window: Option<bool>,
    /// Where window functions are not allowed though aggregates are (HAVING).
    pub no_windows: Option<&'static str>,
    /// Labels of FROM items hidden from a subquery in FROM that is not
    /// LATERAL (for the error naming one).
    pub hidden_rels: Vec<String>,
    /// Set-returning calls, in the order bound (see `srf.rs`).
    pub srfs: Vec<super::srf::PendingSrf>,
    /// Set-returning calls may appear here (select list, ORDER BY).
    pub srfs_ok: bool,
    /// Inside CASE or COALESCE, which must not hold set-returning calls.
    pub no_srfs: Option<&'static str>,
}

/// A bound query: its plan and output columns.
pub struct BoundQuery {
    pub plan: Plan,
    pub columns: Vec<Column>,
    /// The domain each column is of (its `ty` being the base type), as
    /// a table's column of a domain passes it on through subqueries and
    /// views (for `pg_typeof`).
    pub domains: Vec<Option<u32>>,
}

pub(super) fn conjuncts(e: Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::And(a, b) => {
            conjuncts(*a, out);
            conjuncts(*b, out);
        }
        other => out.push(other),
    }
}

pub(super) fn and_all(v: Vec<Expr>) -> Option<Expr> {
    crate::sql::expr::join_chain(v, Expr::And)
}

/// The columns (of the level's row) an expression reads; `None` if it
/// reads something that pins it in place (a subquery, a volatile function).
pub(super) fn columns_used(e: &Expr) -> Option<Vec<usize>> {
    let mut cols = Vec::new();
    let mut movable = true;
    e.walk(&mut |x| match x {
        Expr::Column(i, _) => cols.push(*i),
        Expr::Call(f, ..) if f.has_side_effects() => movable = false,
        _ => {}
    });
    // Subqueries may move too: their bindings were walked above.
    movable.then_some(cols)
}

/// Shift the column references of an expression: `Column(i)` → `Column(i - by)`.
pub(super) fn shift(e: &Expr, by: usize) -> Expr {
    map_columns(e, &|i, t| Expr::Column(i - by, t))
}

/// Rebuild an expression with every column reference replaced by `f`.
pub(super) fn map_columns(e: &Expr, f: &dyn Fn(usize, PgType) -> Expr) -> Expr {
    let m = |x: &Expr| Box::new(map_columns(x, f));
    match e {
        Expr::Column(i, t) => f(*i, *t),
        Expr::Const(..)
        | Expr::Param(..)
        | Expr::Outer(..)
        | Expr::AggRef(..)
        | Expr::WinRef(..)
        | Expr::SrfRef(..) => e.clone(),
        Expr::Arith(op, a, b, t) => Expr::Arith(*op, m(a), m(b), *t),
        Expr::Neg(a) => Expr::Neg(m(a)),
        Expr::Cmp(op, a, b) => Expr::Cmp(*op, m(a), m(b)),
        Expr::Distinct(a, b, n) => Expr::Distinct(m(a), m(b), *n),
        Expr::Concat(a, b) => Expr::Concat(m(a), m(b)),
        Expr::And(a, b) => Expr::And(m(a), m(b)),
        Expr::Or(a, b) => Expr::Or(m(a), m(b)),
        Expr::Not(a) => Expr::Not(m(a)),
        Expr::IsNull(a, n) => Expr::IsNull(m(a), *n),
        Expr::IsBool(a, v, n) => Expr::IsBool(m(a), *v, *n),
        Expr::Case { whens, otherwise, ty } => Expr::Case {
            whens: whens.iter().map(|(w, t)| (map_columns(w, f), map_columns(t, f))).collect(),
            otherwise: otherwise.as_ref().map(|o| m(o)),
            ty: *ty,
        },
        Expr::Cast(a, t, n) => Expr::Cast(m(a), *t, *n),
        Expr::Assign(a, t, n) => Expr::Assign(m(a), *t, *n),
        Expr::Domain(a, d) => Expr::Domain(m(a), d.clone()),
        Expr::Call(func, args, t) => Expr::Call(*func, args.iter().map(|a| map_columns(a, f)).collect(), *t),
        Expr::Row(fields, names) => Expr::Row(fields.iter().map(|a| map_columns(a, f)).collect(), names.clone()),
        Expr::Like(a, b, n, ci) => Expr::Like(m(a), m(b), *n, *ci),
        Expr::Sub(s) => {
            let mut s = s.as_ref().clone();
            s.bindings = s.bindings.iter().map(|(slot, b)| (*slot, map_columns(b, f))).collect();
            if let SubKind::Quantified { lhs, .. } = &mut s.kind {
                *lhs = m(lhs);
            }
            Expr::Sub(Box::new(s))
        }
    }
}

/// Structural equality of bound expressions (for matching GROUP BY and ORDER BY items).
pub(super) fn same(a: &Expr, b: &Expr) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// A FROM item while it is being joined: its plan and the level's relations it covers.
#[derive(Clone)]
pub(super) struct FromItem {
    pub(super) plan: Plan,
    /// Column range of the level's row it produces.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Only inner joins inside (its WHERE conjuncts may be pushed into it).
    pub(super) inner: bool,
    /// An inner join of items: those items, and its ON conditions (over
    /// the level's row), so that the FROM clause's join order may be
    /// chosen over all of them. Empty for anything else.
    pub(super) parts: Vec<FromItem>,
    pub(super) conds: Vec<Expr>,
    /// `LATERAL`: the values of earlier FROM items it reads (outer slot ←
    /// column of the level's row); empty when it reads none.
    pub(super) lateral: Vec<(usize, Expr)>,
    /// An explicit JOIN that is not kept flat: what it joins, so that it
    /// can be rebuilt when the conditions above make it an inner join.
    pub(super) joined: Option<Box<super::outer_join::JoinParts>>,
}

impl FromItem {
    pub(super) fn new(plan: Plan, start: usize, end: usize, inner: bool) -> FromItem {
        FromItem { plan, start, end, inner, parts: Vec::new(), conds: Vec::new(), lateral: Vec::new(), joined: None }
    }

    /// The items it joins (itself, if it is not an inner join).
    pub(super) fn leaves(&self) -> Vec<FromItem> {
        if self.parts.is_empty() { vec![self.clone()] } else { self.parts.clone() }
    }
}

impl Binder<'_> {
    pub(super) fn level(&mut self) -> &mut Level {
        self.levels.last_mut().expect("a query level")
    }

    /// Bind a query (SELECT, VALUES, set operation, with ORDER BY/LIMIT),
    /// with the common table expressions of its WITH.
    pub(super) fn bind_query_plan(&mut self, q: &ast::Query) -> Result<BoundQuery> {
        let Some(with) = &q.with else { return self.bind_query_body(q) };
        let (mut bound, ctes) = self.with_scope(with, |b| b.bind_query_body(q))?;
        ctes.apply(&mut bound.plan);
        Ok(bound)
    }

    fn bind_query_body(&mut self, q: &ast::Query) -> Result<BoundQuery> {
        self.top_level_with = false;
        if !q.locks.is_empty() {
            return Err(Error::not_supported("SELECT FOR UPDATE/SHARE"));
        }
        let order_by: &[ast::OrderByExpr] = match &q.order_by {
            Some(o) => match &o.kind {
                ast::OrderByKind::Expressions(v) => v,
                ast::OrderByKind::All(_) => return Err(Error::not_supported("ORDER BY ALL")),
            },
            None => &[],
        };
        let (offset, count, with_ties);
        let mut ties = Vec::new();
        let mut bound = match q.body.as_ref() {
            ast::SetExpr::Select(s) => {
                self.levels.push(Level::default());
                // LIMIT is bound in the query's scope, where naming a column is a clear error.
                let r = self.bind_select(s, order_by).and_then(|b| Ok((b, self.limit_clause(q)?)));
                self.levels.pop();
                let (b, limits) = r?;
                (offset, count, with_ties) = limits;
                if with_ties {
                    ties = std::mem::take(&mut self.order_columns);
                }
                b
            }
            body => {
                let mut b = self.bind_set_expr(body)?;
                if !order_by.is_empty() {
                    let keys = self.output_order(&b.columns, order_by)?;
                    ties = keys.iter().map(|k| k.column).collect();
                    b.plan = Plan::Sort { input: Box::new(b.plan), keys };
                }
                self.levels.push(Level::default());
                let r = self.limit_clause(q);
                self.levels.pop();
                (offset, count, with_ties) = r?;
                if !with_ties {
                    ties.clear();
                }
                b
            }
        };
        if offset.is_some() || count.is_some() {
            bound.plan = Plan::Limit { input: Box::new(bound.plan), offset, count, ties };
        }
        Ok(bound)
    }

    /// OFFSET and LIMIT (or FETCH FIRST), and whether FETCH counts rows
    /// that tie with the last one (`WITH TIES`).
    pub(super) fn limit_clause(&mut self, q: &ast::Query) -> Result<(Option<Expr>, Option<Expr>, bool)> {
        let mut offset = None;
        let mut count = None;
        let bind = |b: &mut Self, e: &ast::Expr, what: &str| -> Result<Expr> {
            let saved = b.level().no_aggs.replace(if what == "LIMIT" { "LIMIT" } else { "OFFSET" });
            let r = b.bind_expr(e);
            b.level().no_aggs = saved;
            let r = r?;
            if r.uses_columns() {
                return Err(
                    b.at(err!(SqlState::INVALID_COLUMN_REFERENCE, "argument of {what} must not contain variables"), e)
                );
            }
            let r = match r.ty() {
                PgType::Int8 => r,
                t if t.is_integer() || t == PgType::Unknown => b.coerce(r, PgType::Int8, e)?,
                t if t.is_numeric() => Expr::Cast(Box::new(r), PgType::Int8, None),
                t => {
                    return Err(b.at(
                        err!(
                            SqlState::DATATYPE_MISMATCH,
                            "argument of {what} must be type bigint, not type {}",
                            t.sql_name()
                        ),
                        e,
                    ));
                }
            };
            Ok(r)
        };
        match &q.limit_clause {
            Some(ast::LimitClause::LimitOffset { limit, offset: off, limit_by }) => {
                if !limit_by.is_empty() {
                    return Err(Error::not_supported("LIMIT BY"));
                }
                if let Some(l) = limit {
                    // LIMIT ALL and LIMIT NULL mean no limit.
                    let all = matches!(l, ast::Expr::Identifier(id) if id.value.eq_ignore_ascii_case("all"));
                    if !all {
                        count = Some(bind(self, l, "LIMIT")?);
                    }
                }
                if let Some(o) = off {
                    offset = Some(bind(self, &o.value, "OFFSET")?);
                }
            }
            Some(ast::LimitClause::OffsetCommaLimit { .. }) => {
                return Err(err!(SqlState::SYNTAX_ERROR, "LIMIT #,# syntax is not supported")
                    .with_hint("Use separate LIMIT and OFFSET clauses."));
            }
            None => {}
        }
        let mut with_ties = false;
        if let Some(f) = &q.fetch {
            if f.percent {
                return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"PERCENT\""));
            }
            if f.with_ties {
                let ordered = q
                    .order_by
                    .as_ref()
                    .is_some_and(|o| !matches!(&o.kind, ast::OrderByKind::Expressions(v) if v.is_empty()));
                if !ordered {
                    return Err(err!(SqlState::SYNTAX_ERROR, "WITH TIES cannot be specified without ORDER BY clause"));
                }
                if matches!(&f.quantity, Some(ast::Expr::Value(v)) if v.value == ast::Value::Null) {
                    return Err(err!(
                        SqlState::INVALID_ROW_COUNT_IN_LIMIT,
                        "row count cannot be null in FETCH FIRST ... WITH TIES clause"
                    ));
                }
                with_ties = true;
            }
            count = Some(match &f.quantity {
                Some(e) => bind(self, e, "LIMIT")?,
                None => Expr::Const(Datum::Int8(1), PgType::Int8),
            });
        }
        Ok((offset, count, with_ties))
    }

    pub(super) fn bind_set_expr(&mut self, body: &ast::SetExpr) -> Result<BoundQuery> {
        match body {
            ast::SetExpr::Select(s) => {
                self.levels.push(Level::default());
                let r = self.bind_select(s, &[]);
                self.levels.pop();
                r
            }
            ast::SetExpr::Query(q) => self.bind_query_plan(q),
            ast::SetExpr::Values(v) => self.bind_values(v),
            ast::SetExpr::SetOperation { op, set_quantifier, left, right } => {
                let kind = match op {
                    ast::SetOperator::Union => SetOpKind::Union,
                    ast::SetOperator::Intersect => SetOpKind::Intersect,
                    ast::SetOperator::Except | ast::SetOperator::Minus => SetOpKind::Except,
                };
                let all = match set_quantifier {
                    ast::SetQuantifier::All => true,
                    ast::SetQuantifier::None | ast::SetQuantifier::Distinct => false,
                    other => return Err(Error::not_supported(format!("{op} {other}"))),
                };
                // Where a recursive CTE's work table must not be read
                // (PostgreSQL's rules for the recursive term).
                let (left_context, right_context) = match (kind, all) {
                    (SetOpKind::Intersect, true) => (Some("INTERSECT"), Some("INTERSECT")),
                    (SetOpKind::Except, true) => (Some("EXCEPT"), Some("EXCEPT")),
                    (SetOpKind::Except, false) => (self.recursion_context, Some("EXCEPT")),
                    _ => (self.recursion_context, self.recursion_context),
                };
                let saved = std::mem::replace(&mut self.recursion_context, left_context);
                // Which columns of a side are untyped literals: a SELECT's
                // (a nested set operation's columns have types).
                let literals = |b: &mut Self, side: &ast::SetExpr| match side {
                    ast::SetExpr::Select(_) => b.select_unknowns.take().unwrap_or_default(),
                    _ => Vec::new(),
                };
                let l = self.bind_set_expr(left).map(|l| (l, literals(self, left)));
                self.recursion_context = right_context;
                let r = l.and_then(|l| Ok((l, self.bind_set_expr(right)?, literals(self, right))));
                self.recursion_context = saved;
                let ((l, lu), r, ru) = r?;
                let name = op.to_string().to_uppercase();
                self.set_operation(kind, all, &name, (l, &lu), (r, &ru), right)
            }
            ast::SetExpr::Table(t) if t.table_name.is_some() => {
                let select = table_command(t);
                self.levels.push(Level::default());
                let r = self.bind_select(&select, &[]);
                self.levels.pop();
                r
            }
            _ => Err(Error::not_supported("this kind of query")),
        }
    }

    /// Two bound queries combined by a set operation, their columns
    /// brought to common types.
    pub(super) fn set_operation(
        &mut self,
        kind: SetOpKind,
        all: bool,
        name: &str,
        (l, lu): (BoundQuery, &[bool]),
        (r, ru): (BoundQuery, &[bool]),
        right: &ast::SetExpr,
    ) -> Result<BoundQuery> {
        {
            {
                if l.columns.len() != r.columns.len() {
                    let e = err!(SqlState::SYNTAX_ERROR, "each {name} query must have the same number of columns");
                    return Err(self.at(e, right));
                }
                // An untyped literal (bound as text) takes the other side's type.
                let seen = |c: &Column, literal: Option<&bool>| {
                    if literal == Some(&true) && c.ty == PgType::Text { PgType::Unknown } else { c.ty }
                };
                let mut types = Vec::with_capacity(l.columns.len());
                for (i, (a, b)) in l.columns.iter().zip(&r.columns).enumerate() {
                    types.push(self.union_type(seen(a, lu.get(i)), seen(b, ru.get(i)), name)?);
                }
                let cast_side = |q: BoundQuery, types: &[PgType]| -> BoundQuery {
                    let have: Vec<PgType> = q.columns.iter().map(|c| c.ty).collect();
                    if have == types {
                        return q;
                    }
                    let exprs = have
                        .iter()
                        .zip(types)
                        .enumerate()
                        .map(|(i, (h, t))| {
                            let c = Expr::Column(i, *h);
                            if h == t { c } else { Expr::Cast(Box::new(c), *t, None) }
                        })
                        .collect();
                    BoundQuery { plan: Plan::Project { input: Box::new(q.plan), exprs }, ..q }
                };
                let l = cast_side(l, &types);
                let r = cast_side(r, &types);
                let columns = l
                    .columns
                    .iter()
                    .zip(&types)
                    .map(|(c, t)| Column { name: c.name.clone(), ty: *t, typmod: -1 })
                    .collect();
                // Both sides of one domain give it; anything else the base type.
                let domains = l.domains.iter().zip(&r.domains).map(|(a, b)| a.filter(|_| a == b)).collect();
                let plan = Plan::SetOp { kind, all, left: Box::new(l.plan), right: Box::new(r.plan) };
                Ok(BoundQuery { plan, columns, domains })
            }
        }
    }

    /// The common type of two set-operation (or VALUES) columns.
    pub(super) fn union_type(&self, a: PgType, b: PgType, context: &str) -> Result<PgType> {
        Ok(match (a, b) {
            _ if a == b => {
                if a == PgType::Unknown {
                    PgType::Text
                } else {
                    a
                }
            }
            (PgType::Unknown, t) | (t, PgType::Unknown) => t,
            _ => match common_numeric(a, b) {
                Some(t) => t,
                None if common_datetime(a, b).is_some() => common_datetime(a, b).unwrap_or(a),
                None if a.is_string() && b.is_string() => PgType::Text,
                None => {
                    return Err(err!(
                        SqlState::DATATYPE_MISMATCH,
                        "{context} types {} and {} cannot be matched",
                        a.sql_name(),
                        b.sql_name()
                    ));
                }
            },
        })
    }

    fn bind_values(&mut self, v: &ast::Values) -> Result<BoundQuery> {
        let width = v.rows.first().map_or(0, |r| r.len());
        // Aggregates and window functions have no rows to work over here.
        let pushed = self.levels.is_empty();
        if pushed {
            self.levels.push(Level::default());
        }
        let saved = self.level().no_aggs.replace("VALUES");
        let bound = (|| {
            let mut rows = Vec::with_capacity(v.rows.len());
            for row in &v.rows {
                if row.len() != width {
                    return Err(err!(SqlState::SYNTAX_ERROR, "VALUES lists must all be the same length"));
                }
                let mut out = Vec::with_capacity(width);
                for e in row.iter() {
                    out.push(self.bind_expr(e)?);
                }
                rows.push(out);
            }
            Ok(rows)
        })();
        self.level().no_aggs = saved;
        if pushed {
            self.levels.pop();
        }
        let mut rows = bound?;
        let mut types = vec![PgType::Unknown; width];
        for (i, t) in types.iter_mut().enumerate() {
            let mut ty = PgType::Unknown;
            for r in &rows {
                ty = self.union_type(ty, r[i].ty(), "VALUES")?;
            }
            *t = if ty == PgType::Unknown { PgType::Text } else { ty };
        }
        for (row, ast_row) in rows.iter_mut().zip(&v.rows) {
            for (i, e) in row.iter_mut().enumerate() {
                let taken = std::mem::replace(e, Expr::Const(Datum::Null, PgType::Unknown));
                *e = if taken.ty() == types[i] {
                    taken
                } else if taken.ty() == PgType::Unknown {
                    self.coerce(taken, types[i], &ast_row[i])?
                } else {
                    Expr::Cast(Box::new(taken), types[i], None)
                };
            }
        }
        let columns = types
            .iter()
            .enumerate()
            .map(|(i, t)| Column { name: format!("column{}", i + 1), ty: *t, typmod: -1 })
            .collect();
        let domains = vec![None; types.len()];
        Ok(BoundQuery { plan: Plan::Values { rows, types }, columns, domains })
    }

    /// ORDER BY over a set operation's output: output names and ordinals only.
    fn output_order(&mut self, columns: &[Column], order_by: &[ast::OrderByExpr]) -> Result<Vec<SortKey>> {
        let mut keys = Vec::with_capacity(order_by.len());
        for o in order_by {
            let column = match &o.expr {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::Number(n, _) => self.ordinal(n, columns.len(), &o.expr)?,
                    _ => return Err(Error::not_supported("ORDER BY a constant")),
                },
                ast::Expr::Identifier(id) => {
                    let name = ident(id);
                    columns.iter().position(|c| c.name == name).ok_or_else(|| {
                        self.at(err!(SqlState::UNDEFINED_COLUMN, "column \"{name}\" does not exist"), &o.expr)
                    })?
                }
                _ => {
                    return Err(self.at(
                        err!(SqlState::FEATURE_NOT_SUPPORTED, "invalid UNION/INTERSECT/EXCEPT ORDER BY clause")
                            .with_detail("Only result column names can be used, not expressions or functions.")
                            .with_hint(
                                "Add the expression/function to every SELECT, or move the UNION into a FROM clause.",
                            ),
                        &o.expr,
                    ));
                }
            };
            keys.push(sort_key(column, &o.options));
        }
        Ok(keys)
    }

    fn ordinal(&self, n: &str, width: usize, node: &ast::Expr) -> Result<usize> {
        match n.parse::<usize>() {
            Ok(k) if k >= 1 && k <= width => Ok(k - 1),
            _ => {
                Err(self
                    .at(err!(SqlState::INVALID_COLUMN_REFERENCE, "ORDER BY position {n} is not in select list"), node))
            }
        }
    }

    fn bind_select(&mut self, s: &ast::Select, order_by: &[ast::OrderByExpr]) -> Result<BoundQuery> {
        let saved = self.select_unknowns.take();
        let r = self.bind_select_level(s, order_by);
        let mine = std::mem::replace(&mut self.select_unknowns, saved);
        let r = r?;
        self.select_unknowns = mine.or_else(|| Some(vec![false; r.columns.len()]));
        Ok(r)
    }

    fn bind_select_level(&mut self, s: &ast::Select, order_by: &[ast::OrderByExpr]) -> Result<BoundQuery> {
        if s.into.is_some() {
            return Err(err!(SqlState::SYNTAX_ERROR, "SELECT ... INTO is not allowed here"));
        }
        if !s.lateral_views.is_empty() || s.top.is_some() || !s.cluster_by.is_empty() || s.qualify.is_some() {
            return Err(Error::not_supported("this form of SELECT"));
        }
        // FROM: relations of this level, joined.
        let mut items = Vec::with_capacity(s.from.len());
        for twj in &s.from {
            items.push(self.bind_from_item(twj)?);
        }
        // WHERE
        let mut filters = Vec::new();
        if let Some(w) = &s.selection {
            self.level().no_aggs = Some("WHERE");
            let cond = self.bind_condition(w, "WHERE");
            self.level().no_aggs = None;
            conjuncts(cond?, &mut filters);
        }
        let mut plan = self.join_items(items, filters)?;
        // GROUP BY
        let group_exprs: &[ast::Expr] = match &s.group_by {
            ast::GroupByExpr::Expressions(v, m) if m.is_empty() => v,
            _ => return Err(Error::not_supported("this form of GROUP BY")),
        };
        self.bind_named_windows(&s.named_window)?;
        let stores_into = match self.insert_outputs.take() {
            Some((select, types)) if std::ptr::eq(select, s) => Some(types),
            other => {
                self.insert_outputs = other;
                None
            }
        };
        let output_type = |k: usize| stores_into.as_ref().and_then(|t| t.get(k).copied()).unwrap_or(PgType::Text);
        // Select list (bound before GROUP BY so that GROUP BY may name output columns).
        let mut targets: Vec<(Expr, Column)> = Vec::with_capacity(s.projection.len());
        let mut unknowns: Vec<bool> = Vec::new();
        self.level().windows_ok = true;
        self.level().srfs_ok = true;
        for item in &s.projection {
            match item {
                ast::SelectItem::UnnamedExpr(e) if super::row_value::field_star(e).is_some() => {
                    let root = super::row_value::field_star(e).expect("checked");
                    targets.extend(self.expr_star_targets(root)?);
                }
                ast::SelectItem::UnnamedExpr(e) => {
                    let b = self.bind_output(e, output_type(targets.len()))?;
                    unknowns.resize(targets.len(), false);
                    unknowns.push(self.output_was_unknown);
                    let name = figure_colname(e);
                    targets.push((b.0, Column { name, ty: PgType::Unknown, typmod: b.1 }));
                }
                ast::SelectItem::ExprWithAlias { expr, alias } => {
                    self.check_bare_label(alias)?;
                    let b = self.bind_output(expr, output_type(targets.len()))?;
                    unknowns.resize(targets.len(), false);
                    unknowns.push(self.output_was_unknown);
                    targets.push((b.0, Column { name: alias.value.clone(), ty: PgType::Unknown, typmod: b.1 }));
                }
                ast::SelectItem::Wildcard(_) => {
                    if self.levels.last().expect("level").rels.is_empty() {
                        return Err(err!(SqlState::SYNTAX_ERROR, "SELECT * with no tables specified is not valid"));
                    }
                    let star = self.star_targets();
                    self.note_view_star(s, &star);
                    targets.extend(star);
                }
                ast::SelectItem::ExprWithAliases { .. } => {
                    return Err(Error::not_supported("several aliases for one select list item"));
                }
                ast::SelectItem::QualifiedWildcard(kind, _) => {
                    let star = self.rel_star_targets(kind)?;
                    self.note_view_star(s, &star);
                    targets.extend(star);
                }
            }
        }
        unknowns.resize(targets.len(), false);
        self.select_unknowns = Some(unknowns);
        self.level().windows_ok = false;
        self.level().srfs_ok = false;
        let group_by = self.bind_group_by(group_exprs, &targets)?;
        let (groups, sets) = (group_by.keys, group_by.sets);
        let having = match &s.having {
            Some(h) => {
                self.level().no_windows = Some("HAVING");
                let r = self.bind_condition(h, "HAVING");
                self.level().no_windows = None;
                Some(r?)
            }
            None => None,
        };
        self.level().windows_ok = true;
        self.level().srfs_ok = true;
        // ORDER BY: output columns by ordinal or name, else expressions.
        let mut sort = Vec::with_capacity(order_by.len());
        let mut hidden: Vec<Expr> = Vec::new();
        let visible = targets.len();
        for o in order_by {
            let col = match &o.expr {
                ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                    let ast::Value::Number(n, _) = &v.value else { unreachable!() };
                    Some(self.ordinal(n, visible, &o.expr)?)
                }
                ast::Expr::Identifier(id) => {
                    let name = ident(id);
                    let hits: Vec<usize> =
                        targets.iter().enumerate().filter(|(_, (_, c))| c.name == name).map(|(i, _)| i).collect();
                    match hits.as_slice() {
                        [] => None,
                        [i] => Some(*i),
                        [first, rest @ ..] => {
                            if rest.iter().all(|r| same(&targets[*r].0, &targets[*first].0)) {
                                Some(*first)
                            } else {
                                return Err(self.at(
                                    err!(SqlState::AMBIGUOUS_COLUMN, "ORDER BY \"{name}\" is ambiguous"),
                                    &o.expr,
                                ));
                            }
                        }
                    }
                }
                _ => None,
            };
            let col = match col {
                Some(c) => c,
                None => {
                    let e = self.bind_expr(&o.expr)?;
                    let e = if e.ty() == PgType::Unknown { self.coerce(e, PgType::Text, &o.expr)? } else { e };
                    match targets.iter().position(|(t, _)| same(t, &e)) {
                        Some(i) => i,
                        None => {
                            if matches!(s.distinct, Some(ast::Distinct::Distinct)) {
                                return Err(self.at(
                                    err!(
                                        SqlState::INVALID_COLUMN_REFERENCE,
                                        "for SELECT DISTINCT, ORDER BY expressions must appear in select list"
                                    ),
                                    &o.expr,
                                ));
                            }
                            hidden.push(e);
                            visible + hidden.len() - 1
                        }
                    }
                }
            };
            sort.push(sort_key(col, &o.options));
        }
        let order_columns: Vec<usize> = sort.iter().map(|k| k.column).collect();
        self.level().windows_ok = false;
        self.level().srfs_ok = false;
        // DISTINCT ON: its expressions, as ORDER BY finds them.
        let mut distinct_on = Vec::new();
        if let Some(ast::Distinct::On(on)) = &s.distinct {
            for d in on {
                let col = match d {
                    ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                        let ast::Value::Number(n, _) = &v.value else { unreachable!() };
                        match n.parse::<usize>() {
                            Ok(k) if k >= 1 && k <= visible => k - 1,
                            _ => {
                                return Err(self.at(
                                    err!(
                                        SqlState::INVALID_COLUMN_REFERENCE,
                                        "DISTINCT ON position {n} is not in select list"
                                    ),
                                    d,
                                ));
                            }
                        }
                    }
                    _ => {
                        let by_name = match d {
                            ast::Expr::Identifier(id) => {
                                let name = ident(id);
                                targets.iter().position(|(_, c)| c.name == name)
                            }
                            _ => None,
                        };
                        match by_name {
                            Some(i) => i,
                            None => {
                                let e = self.bind_expr(d)?;
                                let e = if e.ty() == PgType::Unknown { self.coerce(e, PgType::Text, d)? } else { e };
                                match targets.iter().map(|(t, _)| t).chain(&hidden).position(|t| same(t, &e)) {
                                    Some(i) => i,
                                    None => {
                                        hidden.push(e);
                                        visible + hidden.len() - 1
                                    }
                                }
                            }
                        }
                    }
                };
                if !distinct_on.iter().any(|(c, _)| *c == col) {
                    distinct_on.push((col, d));
                }
            }
            // ORDER BY must lead with the DISTINCT ON expressions; any
            // left over sort after the whole ORDER BY.
            let mut skipped = false;
            for k in &sort {
                match distinct_on.iter().find(|(c, _)| *c == k.column) {
                    Some((_, node)) if skipped => return Err(self.distinct_on_mismatch(node)),
                    Some(_) => {}
                    None => skipped = true,
                }
            }
            for &(col, node) in &distinct_on {
                if !sort.iter().any(|k| k.column == col) {
                    if skipped {
                        return Err(self.distinct_on_mismatch(node));
                    }
                    sort.push(SortKey { column: col, descending: false, nulls_first: false });
                }
            }
        }
        // Aggregation.
        let mut aggs = std::mem::take(&mut self.level().aggs);
        let mut exprs: Vec<Expr> = targets.iter().map(|(e, _)| e.clone()).chain(hidden).collect();
        // Set-returning calls' arguments go through grouping and windows
        // with the select list, after it.
        let output_width = exprs.len();
        let srf_args = self.srf_arguments();
        exprs.extend(srf_args.iter().flatten().cloned());
        let mut having = having;
        let window_order;
        if !aggs.is_empty() || !groups.is_empty() || !sets.is_empty() || having.is_some() {
            self.resolve_grouping_calls(&mut aggs, &groups)?;
            let ng = groups.len();
            for e in exprs.iter_mut().chain(having.iter_mut()) {
                *e = self.regroup(e, &groups, ng)?;
            }
            let grouped = groups.clone();
            plan = Plan::Aggregate { input: Box::new(plan), groups, aggs, sets };
            if let Some(h) = having {
                plan = Plan::Filter { input: Box::new(plan), predicate: h };
            }
            (plan, window_order) = self.place_windows(plan, &mut exprs, Some((&grouped, ng)))?;
        } else {
            (plan, window_order) = self.place_windows(plan, &mut exprs, None)?;
        }
        // A window that sorted its rows as ORDER BY wants them makes the sort needless.
        if !window_order.is_empty()
            && s.distinct.is_none()
            && sort.len() <= window_order.len()
            && sort.iter().zip(&window_order).all(|(k, (e, w))| {
                exprs.get(k.column).is_some_and(|x| same(x, e))
                    && k.descending == w.descending
                    && k.nulls_first == w.nulls_first
            })
        {
            sort.clear();
        }
        let mut flat = exprs.split_off(output_width).into_iter();
        let srf_args: Vec<Vec<Expr>> = srf_args.iter().map(|a| flat.by_ref().take(a.len()).collect()).collect();
        // Sorting by columns of the row below the set-returning calls
        // happens before them, as PostgreSQL plans it (the expanded rows
        // of one row stay together either way).
        if !srf_args.is_empty() && s.distinct.is_none() && !sort.is_empty() {
            let below: Option<Vec<SortKey>> = sort
                .iter()
                .map(|k| match exprs[k.column] {
                    Expr::Column(c, _) => Some(SortKey { column: c, ..*k }),
                    _ => None,
                })
                .collect();
            if let Some(keys) = below {
                plan = Plan::Sort { input: Box::new(plan), keys };
                sort.clear();
            }
        }
        plan = self.place_srfs(plan, &mut exprs, srf_args);
        plan = Plan::Project { input: Box::new(plan), exprs };
        match &s.distinct {
            None | Some(ast::Distinct::All) => {}
            Some(ast::Distinct::Distinct) => plan = Plan::Distinct { input: Box::new(plan), columns: visible },
            Some(ast::Distinct::On(_)) => {}
        }
        if !sort.is_empty() {
            plan = Plan::Sort { input: Box::new(plan), keys: sort };
        }
        if !distinct_on.is_empty() {
            plan = Plan::Unique { input: Box::new(plan), keys: distinct_on.iter().map(|(c, _)| *c).collect() };
        }
        let domains = targets
            .iter()
            .map(|(e, _)| match e {
                Expr::Domain(_, d) => Some(d.oid),
                _ => self.column_domain(e),
            })
            .collect();
        let columns = targets
            .into_iter()
            .map(|(e, mut c)| {
                c.ty = e.ty();
                c
            })
            .collect();
        self.order_columns = order_columns;
        Ok(BoundQuery { plan, columns, domains })
    }

    /// `*`: the columns of the level's relations that it shows, those
    /// `JOIN … USING` joined on first.
    pub(super) fn star_targets(&self) -> Vec<(Expr, Column)> {
        let level = self.levels.last().expect("level");
        let mut order: Vec<(usize, &RelColumn)> = Vec::new();
        for &at in &level.using_first {
            for rel in &level.rels {
                if at >= rel.offset && at < rel.offset + rel.columns.len() {
                    order.push((at, &rel.columns[at - rel.offset]));
                }
            }
        }
        for rel in &level.rels {
            for (i, c) in rel.columns.iter().enumerate() {
                if !c.merged && !c.dropped && !c.system && !level.using_first.contains(&(rel.offset + i)) {
                    order.push((rel.offset + i, c));
                }
            }
        }
        order
            .into_iter()
            .map(|(at, c)| (Expr::Column(at, c.ty), Column { name: c.name.clone(), ty: c.ty, typmod: c.typmod }))
            .collect()
    }

    /// Binding CREATE VIEW's own SELECT: remember the columns a `*` stood
    /// for, each qualified with its relation's label.
    fn note_view_star(&mut self, s: &ast::Select, star: &[(Expr, Column)]) {
        if self.view_stars.as_ref().is_none_or(|(view, _)| !std::ptr::eq(*view, s)) {
            return;
        }
        let name = |n: &str| {
            let plain = crate::catalog::describe::quote_identifier(n) == n;
            if plain { ast::Ident::new(n) } else { ast::Ident::with_quote('"', n) }
        };
        let level = self.levels.last().expect("level");
        let names = star
            .iter()
            .map(|(e, c)| {
                let label = match e {
                    Expr::Column(at, _) => level
                        .rels
                        .iter()
                        .find(|r| r.offset <= *at && *at < r.offset + r.columns.len())
                        .map(|r| r.label.clone()),
                    _ => None,
                };
                let column = ast::Expr::CompoundIdentifier(label.iter().chain([&c.name]).map(|n| name(n)).collect());
                ast::SelectItem::UnnamedExpr(column)
            })
            .collect();
        if let Some((_, stars)) = &mut self.view_stars {
            stars.push(names);
        }
    }

    /// `label.*`: the columns of one relation of the level.
    pub(super) fn rel_star_targets(
        &mut self,
        kind: &ast::SelectItemQualifiedWildcardKind,
    ) -> Result<Vec<(Expr, Column)>> {
        let name = match kind {
            ast::SelectItemQualifiedWildcardKind::ObjectName(name) => name,
            ast::SelectItemQualifiedWildcardKind::Expr(e) => return self.expr_star_targets(e),
        };
        let label = object_name(name).to_ascii_lowercase();
        let level = self.levels.last().expect("level");
        let Some(rel) = level.rels.iter().find(|r| r.label == label) else {
            return Err(err!(SqlState::UNDEFINED_TABLE, "missing FROM-clause entry for table \"{label}\""));
        };
        Ok(rel
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.dropped && !c.system)
            .map(|(i, c)| {
                (Expr::Column(rel.offset + i, c.ty), Column { name: c.name.clone(), ty: c.ty, typmod: c.typmod })
            })
            .collect())
    }

    fn distinct_on_mismatch(&self, node: &ast::Expr) -> Error {
        self.at(
            err!(
                SqlState::INVALID_COLUMN_REFERENCE,
                "SELECT DISTINCT ON expressions must match initial ORDER BY expressions"
            ),
            node,
        )
    }

    /// A select-list expression: `unknown` literals become `unknown_as`
    /// (text, unless the column stores into a table); its typmod.
    fn bind_output(&mut self, e: &ast::Expr, unknown_as: PgType) -> Result<(Expr, i32)> {
        let b = self.bind_expr(e)?;
        self.output_was_unknown = b.ty() == PgType::Unknown && matches!(b, Expr::Const(..));
        let b = if b.ty() == PgType::Unknown { self.coerce(b, unknown_as, e)? } else { b };
        let typmod = match &b {
            Expr::Cast(_, PgType::Varchar | PgType::Bpchar, Some(n)) => *n as i32 + 4,
            // A column keeps its declared modifier (`varchar(10)`).
            Expr::Column(i, _) => self.column_typmod(*i),
            _ => -1,
        };
        Ok((b, typmod))
    }

    /// The type modifier of column `i` of the current level's row.
    pub(super) fn column_typmod(&self, i: usize) -> i32 {
        let level = self.levels.last().expect("level");
        level
            .rels
            .iter()
            .find(|r| i >= r.offset && i < r.offset + r.columns.len())
            .map_or(-1, |r| r.columns[i - r.offset].typmod)
    }

    /// Rewrite an expression over the FROM row into one over the aggregate's
    /// output (grouping keys, then aggregates).
    pub(super) fn regroup(&self, e: &Expr, groups: &[Expr], ng: usize) -> Result<Expr> {
        if let Some(i) = groups.iter().position(|g| same(g, e)) {
            return Ok(Expr::Column(i, e.ty()));
        }
        let m = |x: &Expr| -> Result<Box<Expr>> { Ok(Box::new(self.regroup(x, groups, ng)?)) };
        Ok(match e {
            Expr::AggRef(j, t) => Expr::Column(ng + j, *t),
            Expr::Column(i, _) => {
                let (label, name) = self.column_name(*i);
                return Err(err!(
                    SqlState::GROUPING_ERROR,
                    "column \"{label}.{name}\" must appear in the GROUP BY clause or be used in an aggregate function"
                ));
            }
            Expr::Const(..) | Expr::Param(..) | Expr::Outer(..) | Expr::WinRef(..) | Expr::SrfRef(..) => e.clone(),
            Expr::Arith(op, a, b, t) => Expr::Arith(*op, m(a)?, m(b)?, *t),
            Expr::Neg(a) => Expr::Neg(m(a)?),
            Expr::Cmp(op, a, b) => Expr::Cmp(*op, m(a)?, m(b)?),
            Expr::Distinct(a, b, n) => Expr::Distinct(m(a)?, m(b)?, *n),
            Expr::Concat(a, b) => Expr::Concat(m(a)?, m(b)?),
            Expr::And(a, b) => Expr::And(m(a)?, m(b)?),
            Expr::Or(a, b) => Expr::Or(m(a)?, m(b)?),
            Expr::Not(a) => Expr::Not(m(a)?),
            Expr::IsNull(a, n) => Expr::IsNull(m(a)?, *n),
            Expr::IsBool(a, v, n) => Expr::IsBool(m(a)?, *v, *n),
            Expr::Case { whens, otherwise, ty } => Expr::Case {
                whens: whens
                    .iter()
                    .map(|(w, t)| Ok((self.regroup(w, groups, ng)?, self.regroup(t, groups, ng)?)))
                    .collect::<Result<_>>()?,
                otherwise: match otherwise {
                    Some(o) => Some(m(o)?),
                    None => None,
                },
                ty: *ty,
            },
            Expr::Cast(a, t, n) => Expr::Cast(m(a)?, *t, *n),
            Expr::Assign(a, t, n) => Expr::Assign(m(a)?, *t, *n),
            Expr::Domain(a, d) => Expr::Domain(m(a)?, d.clone()),
            Expr::Call(f, args, t) => {
                Expr::Call(*f, args.iter().map(|a| self.regroup(a, groups, ng)).collect::<Result<_>>()?, *t)
            }
            Expr::Row(fields, names) => {
                Expr::Row(fields.iter().map(|a| self.regroup(a, groups, ng)).collect::<Result<_>>()?, names.clone())
            }
            Expr::Like(a, b, n, ci) => Expr::Like(m(a)?, m(b)?, *n, *ci),
            Expr::Sub(s) => {
                let mut s = s.as_ref().clone();
                s.bindings = s
                    .bindings
                    .iter()
                    .map(|(slot, b)| Ok((*slot, self.regroup(b, groups, ng)?)))
                    .collect::<Result<_>>()?;
                if let SubKind::Quantified { lhs, .. } = &mut s.kind {
                    *lhs = m(lhs)?;
                }
                Expr::Sub(Box::new(s))
            }
        })
    }

    /// The relation label and name of column `i` of the current level's row.
    pub(super) fn column_name(&self, i: usize) -> (String, String) {
        let level = self.levels.last().expect("level");
        for r in &level.rels {
            if i >= r.offset && i < r.offset + r.columns.len() {
                return (r.label.clone(), r.columns[i - r.offset].name.clone());
            }
        }
        (String::new(), format!("#{i}"))
    }

    /// Register a relation in the current level; its column offset.
    pub(super) fn add_rel(&mut self, label: String, columns: Vec<RelColumn>) -> Result<usize> {
        let level = self.level();
        if level.rels.iter().any(|r| r.label == label) {
            return Err(err!(SqlState::DUPLICATE_ALIAS, "table name \"{label}\" specified more than once"));
        }
        let offset = level.width;
        level.width += columns.len();
        level.rels.push(Rel {
            label,
            table: None,
            namespace: None,
            columns,
            offset,
            nullable: false,
            never_null: None,
        });
        Ok(offset)
    }

    pub(super) fn bind_from_item(&mut self, twj: &ast::TableWithJoins) -> Result<FromItem> {
        let before = self.self_refs;
        let mut item = self.bind_table_factor(&twj.relation)?;
        for j in &twj.joins {
            let (left_refs, mid) = (self.self_refs > before, self.self_refs);
            let right = self.bind_table_factor(&j.relation)?;
            let right_refs = self.self_refs > mid;
            use ast::JoinOperator as J;
            let nullable = match &j.join_operator {
                J::Left(_) | J::LeftOuter(_) => right_refs,
                J::Right(_) | J::RightOuter(_) => left_refs,
                J::FullOuter(_) => left_refs || right_refs,
                _ => false,
            };
            if nullable {
                // A recursive CTE's work table on the nullable side of an outer join.
                let name = self.ctes_recursive_name().unwrap_or_default();
                let e = err!(
                    SqlState::INVALID_RECURSION,
                    "recursive reference to query \"{name}\" must not appear within an outer join"
                );
                return Err(match self.last_self_ref {
                    Some(p) => e.with_position(p),
                    None => e,
                });
            }
            item = self.bind_join(item, right, &j.join_operator)?;
        }
        Ok(item)
    }

    fn bind_table_factor(&mut self, tf: &ast::TableFactor) -> Result<FromItem> {
        let start = self.levels.last().expect("level").width;
        match tf {
            ast::TableFactor::Table { name, alias, args: None, with_hints, version: None, partitions, .. }
                if with_hints.is_empty() && partitions.is_empty() && self.find_cte(name).is_some() =>
            {
                let i = self.find_cte(name).unwrap_or_default();
                let (plan, label, columns) = self.cte_reference(i, name, alias.as_ref())?;
                self.add_rel(label, columns)?;
                let end = self.levels.last().expect("level").width;
                Ok(FromItem::new(plan, start, end, true))
            }
            ast::TableFactor::Table { name, alias, args: None, with_hints, version: None, partitions, .. }
                if with_hints.is_empty() && partitions.is_empty() =>
            {
                let table: Arc<Table> = self
                    .table(name, crate::txn::lock::LockMode::AccessShare)
                    .map_err(|e| self.explain_missing_table(e, name))?;
                if table.view.is_some() {
                    return self.bind_view(&table, alias.as_ref(), start);
                }
                if table.sequence {
                    return self.bind_sequence_scan(&table, alias.as_ref(), start);
                }
                let (label, mut columns) = relation_columns(&table, alias.as_ref())?;
                let alias = (label != table.name).then(|| label.clone());
                let system = self.system_columns;
                if system {
                    columns.extend(RelColumn::system_columns());
                }
                self.add_rel(label, columns)?;
                if let Some(r) = self.level().rels.last_mut() {
                    r.table = Some(table.name.clone());
                    r.namespace = Some(table.namespace);
                    r.never_null =
                        table.columns.iter().zip(&r.columns).position(|(t, c)| t.not_null && !c.dropped && !c.system);
                }
                let end = self.levels.last().expect("level").width;
                let scan = Plan::Scan { table, filter: None, ctid: false, system, alias, read: None };
                Ok(FromItem::new(scan, start, end, true))
            }
            ast::TableFactor::Derived { lateral, subquery, alias, .. } => {
                let (q, bindings) = if *lateral {
                    self.bind_lateral(|b| b.bind_query_plan(subquery))?
                } else {
                    (self.bind_subquery_plan(subquery)?, Vec::new())
                };
                let Some(alias) = alias else {
                    return Err(err!(SqlState::SYNTAX_ERROR, "subquery in FROM must have an alias")
                        .with_hint("For example, FROM (SELECT ...) [AS] foo."));
                };
                let label = ident(&alias.name);
                let mut columns: Vec<RelColumn> = q
                    .columns
                    .iter()
                    .zip(q.domains.iter().copied().chain(std::iter::repeat(None)))
                    .map(|(c, domain)| RelColumn {
                        name: c.name.clone(),
                        ty: c.ty,
                        typmod: c.typmod,
                        merged: false,
                        dropped: false,
                        domain,
                        system: false,
                    })
                    .collect();
                rename_columns(&mut columns, &alias.columns, &label)?;
                self.add_rel(label, columns)?;
                let end = self.levels.last().expect("level").width;
                let mut item = FromItem::new(q.plan, start, end, true);
                item.lateral = bindings;
                Ok(item)
            }
            ast::TableFactor::NestedJoin { table_with_joins, alias: None } => self.bind_from_item(table_with_joins),
            ast::TableFactor::Table { name, args: Some(args), alias, with_ordinality: false, .. }
                if object_name_is(name, "generate_series") && args.settings.is_none() =>
            {
                // Integers make a Series; timestamps and numerics are
                // stepped as in the select list.
                match self.generate_series_item(&args.args, alias.as_ref(), start) {
                    Err(e) if e.code() == SqlState::UNDEFINED_FUNCTION => {
                        let exprs = unnamed_args(&args.args, "generate_series")?;
                        self.srf_item(SrfFunc::Series, "generate_series", &exprs, alias.as_ref(), false, start)
                    }
                    r => r,
                }
            }
            ast::TableFactor::Table { name, args: Some(args), alias, with_ordinality, .. }
                if object_name_is(name, "unnest") && args.settings.is_none() && args.args.len() == 1 =>
            {
                let mut exprs = Vec::with_capacity(args.args.len());
                for a in &args.args {
                    let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                        return Err(Error::not_supported("this argument of unnest"));
                    };
                    exprs.push(e.clone());
                }
                self.unnest_item(&exprs, alias.as_ref(), *with_ordinality, start)
            }
            ast::TableFactor::Table { name, args: Some(args), alias, with_ordinality, .. }
                if args.settings.is_none() && json_set_function(name).is_some() =>
            {
                let f = json_set_function(name).ok_or_else(|| Error::internal("json function vanished"))?;
                let mut exprs = Vec::with_capacity(args.args.len());
                for a in &args.args {
                    let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                        return Err(Error::not_supported(format!("this argument of {}", f.name())));
                    };
                    exprs.push(e.clone());
                }
                self.json_set_function_item(f, &exprs, alias.as_ref(), *with_ordinality, start)
            }
            ast::TableFactor::Table { name, args: Some(args), alias, with_ordinality: false, .. }
                if object_name_is(name, "pg_stat_get_activity") && args.settings.is_none() =>
            {
                self.stat_activity_item(&args.args, alias.as_ref(), start)
            }
            ast::TableFactor::Table { name, args: Some(args), alias, with_ordinality, .. }
                if object_name_is(name, "pg_partition_ancestors") && args.settings.is_none() =>
            {
                self.partition_ancestors_item(&args.args, alias.as_ref(), *with_ordinality, start)
            }
            ast::TableFactor::Table { name, args: Some(args), alias, with_ordinality, .. }
                if args.settings.is_none()
                    && (object_name_is(name, "pg_snapshot_xip") || object_name_is(name, "txid_snapshot_xip")) =>
            {
                let legacy = object_name_is(name, "txid_snapshot_xip");
                self.snapshot_xip_item(&args.args, legacy, alias.as_ref(), *with_ordinality, start)
            }
            ast::TableFactor::UNNEST { alias, array_exprs, with_offset: false, with_ordinality, .. }
                if array_exprs.len() == 1 =>
            {
                self.unnest_item(array_exprs, alias.as_ref(), *with_ordinality, start)
            }
            ast::TableFactor::UNNEST { alias, array_exprs, with_offset: false, with_ordinality, .. } => {
                let exprs: Vec<&ast::Expr> = array_exprs.iter().collect();
                self.srf_item(SrfFunc::Unnest, "unnest", &exprs, alias.as_ref(), *with_ordinality, start)
            }
            ast::TableFactor::Function { name, args, alias, with_ordinality: false, .. }
                if object_name_is(name, "generate_series") =>
            {
                self.generate_series_item(args, alias.as_ref(), start)
            }
            ast::TableFactor::Table { name, args: Some(args), alias, .. }
                if args.args.is_empty() && args.settings.is_none() && set_function(name).is_some() =>
            {
                let func = set_function(name).ok_or_else(|| Error::internal("set-returning function vanished"))?;
                let label = alias.as_ref().map(|a| ident(&a.name)).unwrap_or_else(|| func.name().to_string());
                let mut columns: Vec<RelColumn> = func
                    .columns()
                    .iter()
                    .map(|(n, ty)| RelColumn {
                        name: n.to_string(),
                        ty: *ty,
                        typmod: -1,
                        merged: false,
                        dropped: false,
                        domain: None,
                        system: false,
                    })
                    .collect();
                if let Some(a) = alias {
                    rename_columns(&mut columns, &a.columns, &label)?;
                }
                self.add_rel(label, columns)?;
                let end = self.levels.last().expect("level").width;
                Ok(FromItem::new(Plan::Function { func }, start, end, true))
            }
            ast::TableFactor::Table { name, args: Some(args), alias, with_ordinality, .. }
                if args.settings.is_none() && select_list_function(name).is_some() =>
            {
                let func = select_list_function(name).ok_or_else(|| Error::internal("function vanished"))?;
                let label = name.0.last().and_then(|p| p.as_ident()).map(ident).unwrap_or_default();
                let exprs = unnamed_args(&args.args, &label)?;
                self.srf_item(func, &label, &exprs, alias.as_ref(), *with_ordinality, start)
            }
            ast::TableFactor::Table { args: Some(_), .. } | ast::TableFactor::Function { .. } => {
                Err(Error::not_supported("this function in FROM"))
            }
            _ => Err(Error::not_supported("this kind of FROM item")),
        }
    }

    /// A sequence named in FROM: its one row of state. The sequence is
    /// checked again before a cached plan runs, like a view.
    fn bind_sequence_scan(
        &mut self,
        seq: &Arc<Table>,
        alias: Option<&ast::TableAlias>,
        start: usize,
    ) -> Result<FromItem> {
        let (label, columns) = relation_columns(seq, alias)?;
        self.add_rel(label, columns)?;
        if !self.views.iter().any(|v| v.oid == seq.oid) {
            self.views.push(seq.clone());
        }
        let end = self.levels.last().expect("level").width;
        let plan = Plan::Function { func: crate::sql::plan::SetFunc::Sequence(seq.oid) };
        Ok(FromItem::new(plan, start, end, true))
    }

    /// `generate_series(…)` in FROM, its arguments reading earlier FROM items if they like.
    fn generate_series_item(
        &mut self,
        args: &[ast::FunctionArg],
        alias: Option<&ast::TableAlias>,
        start: usize,
    ) -> Result<FromItem> {
        let (plan, bindings) = self.bind_lateral(|b| b.bind_generate_series(args))?;
        self.function_item("generate_series", &[None], plan, bindings, alias, start)
    }

    /// A function's rows as a FROM item: its leading columns named by
    /// `names` (`None`: the alias, or the function), the rest
    /// (`ordinality`) as they are.
    fn function_item(
        &mut self,
        name: &str,
        names: &[Option<&str>],
        plan: Plan,
        bindings: Vec<(usize, Expr)>,
        alias: Option<&ast::TableAlias>,
        start: usize,
    ) -> Result<FromItem> {
        let label = alias.map(|a| ident(&a.name)).unwrap_or_else(|| name.into());
        let column = |name: String, ty: PgType| RelColumn {
            name,
            ty,
            typmod: -1,
            merged: false,
            dropped: false,
            domain: None,
            system: false,
        };
        let mut columns: Vec<RelColumn> = plan.types().into_iter().map(|ty| column("ordinality".into(), ty)).collect();
        for (c, n) in columns.iter_mut().zip(names) {
            c.name = n.map_or_else(|| label.clone(), str::to_string);
        }
        if let Some(a) = alias {
            rename_columns(&mut columns, &a.columns, &label)?;
        }
        self.add_rel(label, columns)?;
        let end = self.levels.last().expect("level").width;
        let mut item = FromItem::new(plan, start, end, true);
        item.lateral = bindings;
        Ok(item)
    }

    /// A set-returning function of the select list called in FROM
    /// (`unnest` of several arrays too, one call per array side by side,
    /// the shorter ones padded with NULLs): its arguments bound as a
    /// lateral level, the calls run by a ProjectSet over one empty row.
    fn srf_item(
        &mut self,
        func: SrfFunc,
        name: &str,
        exprs: &[&ast::Expr],
        alias: Option<&ast::TableAlias>,
        ordinality: bool,
        start: usize,
    ) -> Result<FromItem> {
        let calls: Vec<&[&ast::Expr]> = match func {
            SrfFunc::Unnest if exprs.len() > 1 => exprs.chunks(1).collect(),
            _ => vec![exprs],
        };
        let (plan, bindings) = self.bind_lateral(|b| {
            let mut srfs = Vec::with_capacity(calls.len());
            for nodes in &calls {
                let Some(node) = nodes.first() else {
                    return Err(err!(SqlState::UNDEFINED_FUNCTION, "function {name}() does not exist").with_hint(
                        "No function matches the given name and argument types. You might need to add explicit type casts.",
                    ));
                };
                let bound = nodes.iter().map(|a| b.bind_expr(a)).collect::<Result<Vec<_>>>()?;
                let (args, ty) = b.srf_args(func, name, bound, nodes, node)?;
                srfs.push(SrfCall { func, args, ty });
            }
            let one_row = Plan::Values { rows: vec![Vec::new()], types: Vec::new() };
            Ok(Plan::ProjectSet { input: Box::new(one_row), srfs, ordinality })
        })?;
        // One column takes the alias's name; several, the function's.
        let names = if calls.len() > 1 { vec![Some(name); calls.len()] } else { vec![None] };
        self.function_item(name, &names, plan, bindings, alias, start)
    }

    /// `unnest(array) [WITH ORDINALITY]` in FROM, its argument reading
    /// earlier FROM items if it likes.
    fn unnest_item(
        &mut self,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        ordinality: bool,
        start: usize,
    ) -> Result<FromItem> {
        let [arg] = args else {
            return Err(Error::not_supported("unnest of more than one array"));
        };
        let (plan, bindings) = self.bind_lateral(|b| {
            let array = b.bind_expr(arg)?;
            let Some(elem) = array.ty().elem() else {
                let types = array.ty().sql_name();
                return Err(err!(SqlState::UNDEFINED_FUNCTION, "function unnest({types}) does not exist").with_hint(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                ));
            };
            Ok(Plan::Unnest { array, elem, ordinality, json: None })
        })?;
        self.function_item("unnest", &[None], plan, bindings, alias, start)
    }

    /// `pg_partition_ancestors(relation) [WITH ORDINALITY]` in FROM: its
    /// column `relid`, the elements of [`Func::PartitionAncestors`].
    fn partition_ancestors_item(
        &mut self,
        args: &[ast::FunctionArg],
        alias: Option<&ast::TableAlias>,
        ordinality: bool,
        start: usize,
    ) -> Result<FromItem> {
        let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(arg))] = args else {
            return Err(err!(SqlState::UNDEFINED_FUNCTION, "function pg_partition_ancestors does not exist")
                .with_hint(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                ));
        };
        let (plan, bindings) = self.bind_lateral(|b| {
            let rel = b.bind_expr(arg)?;
            let rel = b.coerce(rel, PgType::RegClass, arg)?;
            let regclasses = PgType::array_of(PgType::RegClass).unwrap_or(PgType::RegClass);
            let array = Expr::Call(crate::sql::func::Func::PartitionAncestors, vec![rel], regclasses);
            Ok(Plan::Unnest { array, elem: PgType::RegClass, ordinality, json: None })
        })?;
        self.function_item("pg_partition_ancestors", &[Some("relid")], plan, bindings, alias, start)
    }

    /// `pg_stat_get_activity(pid)` in FROM: the session `pid`, or all of
    /// them for NULL.
    fn stat_activity_item(
        &mut self,
        args: &[ast::FunctionArg],
        alias: Option<&ast::TableAlias>,
        start: usize,
    ) -> Result<FromItem> {
        let func = crate::sql::plan::SetFunc::Activity;
        let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(arg))] = args else {
            let mut types = Vec::with_capacity(args.len());
            for a in args {
                let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                    return Err(Error::not_supported("this argument of pg_stat_get_activity"));
                };
                types.push(self.bind_expr(e)?.ty().sql_name());
            }
            let types = types.join(", ");
            return Err(err!(SqlState::UNDEFINED_FUNCTION, "function pg_stat_get_activity({types}) does not exist")
                .with_hint(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                ));
        };
        let (plan, bindings) = self.bind_lateral(|b| {
            let pid = b.bind_expr(arg)?;
            let pid = b.coerce(pid, PgType::Int4, arg)?;
            let column = func.columns().iter().position(|(n, _)| *n == "pid").unwrap_or(1);
            let all = Expr::IsNull(Box::new(pid.clone()), false);
            let this = Expr::Cmp(CmpOp::Eq, Box::new(Expr::Column(column, PgType::Int4)), Box::new(pid));
            let predicate = Expr::Or(Box::new(all), Box::new(this));
            Ok(Plan::Filter { input: Box::new(Plan::Function { func }), predicate })
        })?;
        let names: Vec<Option<&str>> = func.columns().iter().map(|(n, _)| Some(*n)).collect();
        self.function_item(func.name(), &names, plan, bindings, alias, start)
    }

    /// `pg_snapshot_xip(snapshot)` (`txid_snapshot_xip` when `legacy`) in
    /// FROM: the elements of the snapshot's running ids as an array.
    fn snapshot_xip_item(
        &mut self,
        args: &[ast::FunctionArg],
        legacy: bool,
        alias: Option<&ast::TableAlias>,
        ordinality: bool,
        start: usize,
    ) -> Result<FromItem> {
        use crate::sql::xid8::XactFunc;
        let func = XactFunc::XipArray { legacy };
        let (&[(want, array_ty)], name) = (func.signatures(), func.name()) else {
            return Err(Error::internal("snapshot_xip signature"));
        };
        let no_function = |types: &str| {
            err!(SqlState::UNDEFINED_FUNCTION, "function {name}({types}) does not exist").with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            )
        };
        let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(arg))] = args else {
            return Err(no_function(""));
        };
        let (plan, bindings) = self.bind_lateral(|b| {
            let snapshot = b.bind_expr(arg)?;
            if !matches!(snapshot.ty(), t if t == want[0] || t == PgType::Unknown) {
                return Err(b.at(no_function(snapshot.ty().sql_name()), arg));
            }
            let snapshot = b.coerce(snapshot, want[0], arg)?;
            let array = Expr::Call(crate::sql::func::Func::Xact(func), vec![snapshot], array_ty);
            let elem = array_ty.elem().unwrap_or(array_ty);
            Ok(Plan::Unnest { array, elem, ordinality, json: None })
        })?;
        self.function_item(name, &[None], plan, bindings, alias, start)
    }

    /// A json set-returning function in FROM (`jsonb_each(j)`, …), its
    /// argument reading earlier FROM items if it likes.
    fn json_set_function_item(
        &mut self,
        f: crate::sql::json_fn::JsonSrf,
        args: &[ast::Expr],
        alias: Option<&ast::TableAlias>,
        ordinality: bool,
        start: usize,
    ) -> Result<FromItem> {
        let want = f.arg_type();
        let (plan, bindings) = self.bind_lateral(|b| {
            let bound: Vec<Expr> = args.iter().map(|a| b.bind_expr(a)).collect::<Result<_>>()?;
            let [arg] = bound.as_slice() else {
                let types: Vec<&str> = bound.iter().map(|e| e.ty().sql_name()).collect();
                return Err(err!(
                    SqlState::UNDEFINED_FUNCTION,
                    "function {}({}) does not exist",
                    f.name(),
                    types.join(", ")
                )
                .with_hint(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                ));
            };
            if arg.ty() != want && arg.ty() != PgType::Unknown {
                return Err(err!(
                    SqlState::UNDEFINED_FUNCTION,
                    "function {}({}) does not exist",
                    f.name(),
                    arg.ty().sql_name()
                )
                .with_hint(
                    "No function matches the given name and argument types. You might need to add explicit type casts.",
                ));
            }
            let array = b.coerce(arg.clone(), want, &args[0])?;
            Ok(Plan::Unnest { array, elem: want, ordinality, json: Some(f) })
        })?;
        let names: Vec<Option<&str>> = f.columns().into_iter().map(|c| c.0).collect();
        self.function_item(f.name(), &names, plan, bindings, alias, start)
    }

    /// A view named in FROM: its query, bound afresh in a scope of its own
    /// like a subquery in FROM, under the view's column names.
    fn bind_view(&mut self, view: &Arc<Table>, alias: Option<&ast::TableAlias>, start: usize) -> Result<FromItem> {
        let (plan, domains) = self.expand_view(view)?;
        let (label, mut columns) = relation_columns(view, alias)?;
        // A column of a domain in the view's query is of it through the view.
        for (c, d) in columns.iter_mut().zip(domains) {
            c.domain = c.domain.or(d);
        }
        self.add_rel(label, columns)?;
        let end = self.levels.last().expect("level").width;
        Ok(FromItem::new(plan, start, end, true))
    }

    /// The plan of a view's query, producing exactly the view's columns,
    /// and the domain each is of.
    pub(super) fn expand_view(&mut self, view: &Arc<Table>) -> Result<(Plan, Vec<Option<u32>>)> {
        if self.expanding.contains(&view.oid) || self.expanding.len() >= MAX_VIEW_DEPTH {
            return Err(err!(
                SqlState::INVALID_OBJECT_DEFINITION,
                "infinite recursion detected in rules for relation \"{}\"",
                view.name
            ));
        }
        let sql = view.view.as_deref().unwrap_or_default();
        let parsed = crate::sql::parser::parse(sql)?;
        let query = match parsed.as_slice() {
            [crate::sql::parser::Parsed::Sql(stmt)] => match stmt.as_ref() {
                ast::Statement::Query(q) => q.clone(),
                _ => return Err(Error::internal(format!("view \"{}\" holds a statement that is no query", view.name))),
            },
            _ => return Err(Error::internal(format!("view \"{}\" holds no single query", view.name))),
        };
        self.expanding.push(view.oid);
        // The view's tables carry their system columns if its own text
        // may name one (the outer query cannot reach them through it).
        let outer = std::mem::replace(&mut self.system_columns, may_name_system_column(sql));
        let r = self.bind_subquery_plan(&query);
        self.system_columns = outer;
        self.expanding.pop();
        let q = view_output(r?);
        if !self.views.iter().any(|v| v.oid == view.oid) {
            self.views.push(view.clone());
        }
        let fits = q.columns.len() >= view.columns.len()
            && q.columns.iter().zip(&view.columns).all(|(have, want)| have.ty == want.ty);
        if !fits {
            return Err(err!(
                SqlState::DATA_CORRUPTED,
                "the query of view \"{}\" no longer produces the view's columns",
                view.name
            ));
        }
        let mut domains = q.domains;
        domains.resize(view.columns.len(), None);
        if q.columns.len() == view.columns.len() {
            return Ok((q.plan, domains));
        }
        let exprs = view.columns.iter().enumerate().map(|(i, c)| Expr::Column(i, c.ty)).collect();
        Ok((Plan::Project { input: Box::new(q.plan), exprs }, domains))
    }

    /// `generate_series(start, stop [, step])` over integers (int4 when
    /// every argument is, else int8).
    fn bind_generate_series(&mut self, args: &[ast::FunctionArg]) -> Result<Plan> {
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
                return Err(Error::not_supported("this argument of generate_series"));
            };
            // Bound in a level of their own (see `bind_lateral`): earlier
            // FROM items are read through outer slots.
            let b = self.bind_expr(e);
            bound.push((b?, e));
        }
        if !(2..=3).contains(&bound.len())
            || bound
                .iter()
                .any(|(b, _)| !matches!(b.ty(), PgType::Int2 | PgType::Int4 | PgType::Int8 | PgType::Unknown))
        {
            let types: Vec<&str> = bound.iter().map(|(b, _)| b.ty().sql_name()).collect();
            return Err(err!(
                SqlState::UNDEFINED_FUNCTION,
                "function generate_series({}) does not exist",
                types.join(", ")
            )
            .with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            ));
        }
        let ty = if bound.iter().all(|(b, _)| matches!(b.ty(), PgType::Int2 | PgType::Int4 | PgType::Unknown)) {
            PgType::Int4
        } else {
            PgType::Int8
        };
        let mut exprs = Vec::with_capacity(3);
        for (b, e) in bound {
            exprs.push(self.coerce(b, ty, e)?);
        }
        let step = exprs.get(2).cloned();
        Ok(Plan::Series { start: exprs[0].clone(), stop: exprs[1].clone(), step, ty })
    }

    /// A FROM item that may read earlier FROM items of this level (a
    /// `LATERAL` subquery, a function's arguments): bound as a level of its
    /// own inside this one, so that what it reads of them becomes outer
    /// slots. Returns its result and those slots' bindings (slot ← column
    /// of this level's row), empty when it reads none.
    fn bind_lateral<T>(&mut self, bind: impl FnOnce(&mut Self) -> Result<T>) -> Result<(T, Vec<(usize, Expr)>)> {
        self.levels.push(Level::default());
        self.nesting += 1;
        let r = bind(self);
        self.nesting -= 1;
        let level = self.levels.pop().expect("level");
        Ok((r?, level.bindings))
    }

    /// A subquery in FROM: its own level (it cannot see this level's relations).
    fn bind_subquery_plan(&mut self, q: &ast::Query) -> Result<BoundQuery> {
        let saved = std::mem::take(self.level());
        self.level().hidden_rels = saved.rels.iter().map(|r| r.label.clone()).collect();
        self.nesting += 1;
        let r = self.bind_query_plan(q);
        self.nesting -= 1;
        let mine = std::mem::replace(self.level(), saved);
        // Outer references from inside it belong to this level's enclosing query.
        let level = self.level();
        level.bindings.extend(mine.bindings);
        level.correlated |= mine.correlated;
        r
    }

    fn bind_join(&mut self, left: FromItem, right: FromItem, op: &ast::JoinOperator) -> Result<FromItem> {
        use ast::JoinOperator as J;
        let (kind, constraint) = match op {
            J::Join(c) | J::Inner(c) => (JoinKind::Inner, Some(c)),
            J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, Some(c)),
            J::Right(c) | J::RightOuter(c) => (JoinKind::Right, Some(c)),
            J::FullOuter(c) => (JoinKind::Full, Some(c)),
            J::CrossJoin(_) => (JoinKind::Inner, None),
            _ => return Err(Error::not_supported("this kind of join")),
        };
        let mut on = Vec::new();
        let mut full = Vec::new();
        match constraint {
            None | Some(ast::JoinConstraint::None) => {}
            Some(ast::JoinConstraint::On(e)) => {
                // The condition sees only the join's own items (and
                // enclosing queries), not the FROM items beside it.
                let (start, end) = (left.start, right.end);
                let level = self.level();
                let (inside, beside): (Vec<Rel>, Vec<Rel>) =
                    std::mem::take(&mut level.rels).into_iter().partition(|r| r.offset >= start && r.offset < end);
                level.rels = inside;
                let hidden = level.hidden_rels.len();
                level.hidden_rels.extend(beside.iter().map(|r| r.label.clone()));
                level.no_aggs = Some("JOIN conditions");
                let c = self.bind_condition(e, "JOIN/ON");
                let level = self.level();
                level.no_aggs = None;
                level.hidden_rels.truncate(hidden);
                level.rels.extend(beside);
                level.rels.sort_by_key(|r| r.offset);
                conjuncts(c?, &mut on);
            }
            Some(ast::JoinConstraint::Using(names)) => {
                let names: Vec<String> = names.iter().map(object_name).map(|n| n.to_ascii_lowercase()).collect();
                for n in names {
                    on.push(self.using_pair(&left, &right, &n, kind, &mut full)?);
                }
            }
            Some(ast::JoinConstraint::UsingAlias(..)) => {
                return Err(Error::not_supported("JOIN … USING … AS"));
            }
            Some(ast::JoinConstraint::Natural) => {
                let lcols = self.columns_in(left.start, left.end);
                let rcols = self.columns_in(right.start, right.end);
                for n in lcols.iter().filter(|n| rcols.contains(n)) {
                    on.push(self.using_pair(&left, &right, n, kind, &mut full)?);
                }
            }
        }
        let (start, end) = (left.start, right.end);
        let nullable = match kind {
            JoinKind::Left => Some(right.start..right.end),
            JoinKind::Right => Some(left.start..left.end),
            JoinKind::Full => Some(start..end),
            _ => None,
        };
        if let Some(range) = nullable {
            for r in self.level().rels.iter_mut().filter(|r| range.contains(&r.offset)) {
                r.nullable = true;
            }
        }
        if !right.lateral.is_empty() {
            return self.lateral_join(left, right, on, kind);
        }
        if full.is_empty() {
            return self.join_of(left, right, kind, on);
        }
        let mut plan = self.join_two(left.plan, right.plan, left.start, left.end, on, kind);
        let mut end = end;
        if !full.is_empty() {
            // FULL JOIN … USING: the joined columns are COALESCE(left, right).
            let types = plan.types();
            let mut exprs: Vec<Expr> = types.iter().enumerate().map(|(i, t)| Expr::Column(i, *t)).collect();
            let mut columns = Vec::with_capacity(full.len());
            for (name, li, ri, ty) in &full {
                let side = |at: usize| {
                    let c = Expr::Column(at - start, types[at - start]);
                    if types[at - start] == *ty { c } else { Expr::Cast(Box::new(c), *ty, None) }
                };
                exprs.push(Expr::Call(crate::sql::func::Func::Coalesce, vec![side(*li), side(*ri)], *ty));
                columns.push(RelColumn {
                    name: name.clone(),
                    ty: *ty,
                    typmod: -1,
                    merged: false,
                    dropped: false,
                    domain: None,
                    system: false,
                });
            }
            plan = Plan::Project { input: Box::new(plan), exprs };
            let at = self.add_rel(format!("\u{0}using{end}"), columns)?;
            self.level().using_first.extend(at..at + full.len());
            end = self.levels.last().expect("level").width;
        }
        Ok(FromItem::new(plan, start, end, false))
    }

    /// `left JOIN LATERAL right ON …`: a nested loop running `right` for
    /// each row of `left`.
    fn lateral_join(&mut self, left: FromItem, right: FromItem, on: Vec<Expr>, kind: JoinKind) -> Result<FromItem> {
        if !matches!(kind, JoinKind::Inner | JoinKind::Left) {
            let (label, _) = self.column_name(binding_column(&right.lateral[0].1).unwrap_or(left.start));
            return Err(err!(
                SqlState::INVALID_COLUMN_REFERENCE,
                "invalid reference to FROM-clause entry for table \"{label}\""
            )
            .with_detail("The combining JOIN type must be INNER or LEFT for a LATERAL reference."));
        }
        let (start, end) = (left.start, right.end);
        let mut bindings = Vec::with_capacity(right.lateral.len());
        for (slot, e) in &right.lateral {
            if binding_column(e).is_some_and(|c| c < start) {
                return Err(Error::not_supported("LATERAL references to FROM items outside the join"));
            }
            bindings.push((*slot, shift(e, start)));
        }
        let on = and_all(on.iter().map(|c| shift(c, start)).collect());
        let plan = Plan::LateralJoin { left: Box::new(left.plan), right: Box::new(right.plan), kind, bindings, on };
        Ok(FromItem::new(plan, start, end, kind == JoinKind::Inner && left.inner))
    }

    /// Visible column names of the current level's row in `start..end`.
    fn columns_in(&self, start: usize, end: usize) -> Vec<String> {
        let level = self.levels.last().expect("level");
        let mut out = Vec::new();
        for r in &level.rels {
            for (i, c) in r.columns.iter().enumerate() {
                let at = r.offset + i;
                if at >= start && at < end && !c.merged && !c.dropped && !c.system {
                    out.push(c.name.clone());
                }
            }
        }
        out
    }

    /// `USING (name)`: the equality of the two sides' columns; the right one
    /// (the left one for RIGHT joins) is merged away.
    fn using_pair(
        &mut self,
        left: &FromItem,
        right: &FromItem,
        name: &str,
        kind: JoinKind,
        full: &mut Vec<(String, usize, usize, PgType)>,
    ) -> Result<Expr> {
        let find = |b: &Self, start: usize, end: usize, side: &str| -> Result<(usize, usize, usize, PgType)> {
            let level = b.levels.last().expect("level");
            for (ri, r) in level.rels.iter().enumerate() {
                for (ci, c) in r.columns.iter().enumerate() {
                    let at = r.offset + ci;
                    if at >= start && at < end && !c.merged && !c.dropped && !c.system && c.name == name {
                        return Ok((ri, ci, at, c.ty));
                    }
                }
            }
            Err(err!(
                SqlState::UNDEFINED_COLUMN,
                "column \"{name}\" specified in USING clause does not exist in {side} table"
            ))
        };
        let (lr, lc, li, lt) = find(self, left.start, left.end, "left")?;
        let (rr, rc, ri, rt) = find(self, right.start, right.end, "right")?;
        let ty = common_numeric(lt, rt).or_else(|| common_datetime(lt, rt)).unwrap_or(if lt == rt {
            lt
        } else {
            PgType::Text
        });
        let cast = |e: Expr, t: PgType| if t == ty { e } else { Expr::Cast(Box::new(e), ty, None) };
        let eq =
            Expr::Cmp(CmpOp::Eq, Box::new(cast(Expr::Column(li, lt), lt)), Box::new(cast(Expr::Column(ri, rt), rt)));
        let level = self.level();
        if kind == JoinKind::Full {
            // Both sides give way to a COALESCE of the two, added after the join.
            level.rels[lr].columns[lc].merged = true;
            level.rels[rr].columns[rc].merged = true;
            full.push((name.to_string(), li, ri, ty));
        } else if kind == JoinKind::Right {
            level.rels[lr].columns[lc].merged = true;
            level.using_first.push(ri);
        } else {
            level.rels[rr].columns[rc].merged = true;
            level.using_first.push(li);
        }
        Ok(eq)
    }

    /// Join two plans covering `lstart..lend` and `lend..` of the row,
    /// with conditions over the row: equalities across the sides become hash
    /// keys, the rest a residual condition.
    pub(super) fn join_two(
        &self,
        left: Plan,
        right: Plan,
        lstart: usize,
        lend: usize,
        conds: Vec<Expr>,
        kind: JoinKind,
    ) -> Plan {
        let mut equi = Vec::new();
        let mut rest = Vec::new();
        for c in conds {
            if let Expr::Cmp(CmpOp::Eq, a, b) = &c {
                let side = |e: &Expr| -> Option<bool> {
                    let cols = columns_used(e)?;
                    if cols.is_empty() || !e.subplans_empty() {
                        return None;
                    }
                    if cols.iter().all(|i| *i < lend) {
                        Some(true)
                    } else if cols.iter().all(|i| *i >= lend) {
                        Some(false)
                    } else {
                        None
                    }
                };
                match (side(a), side(b)) {
                    (Some(true), Some(false)) => {
                        equi.push((shift(a, lstart), shift(b, lend)));
                        continue;
                    }
                    (Some(false), Some(true)) => {
                        equi.push((shift(b, lstart), shift(a, lend)));
                        continue;
                    }
                    _ => {}
                }
            }
            rest.push(shift(&c, lstart));
        }
        Plan::Join { left: Box::new(left), right: Box::new(right), kind, equi, on: and_all(rest), merge: false }
    }

    /// Join the FROM items, placing each WHERE conjunct at the lowest point
    /// where all it reads is available: into a scan's filter, as a join key
    /// or condition, or above everything.
    ///
    /// The order is greedy: after the first item, the next one joined is
    /// the first (in FROM order) that a condition connects to what is
    /// joined so far, so that no cross product is formed while a joining
    /// condition could avoid it. When the order differs from FROM order, a
    /// projection restores the row layout the rest of the query expects.
    pub(super) fn join_items(&mut self, items: Vec<FromItem>, mut filters: Vec<Expr>) -> Result<Plan> {
        if items.is_empty() {
            let plan = Plan::Values { rows: vec![Vec::new()], types: Vec::new() };
            return Ok(match and_all(filters) {
                Some(f) => Plan::Filter { input: Box::new(plan), predicate: f },
                None => plan,
            });
        }
        let first = items[0].start;
        let last = items[items.len() - 1].end;
        // EXISTS, NOT EXISTS and IN conjuncts that joins can do.
        let mut sublinks = pull_up_sublinks(&mut filters, first, last);
        // Outer joins the WHERE clause makes inner are inner joins; inner
        // joins written with JOIN … ON count as their parts.
        let items = self.reduce_outer_joins(items, &mut filters)?;
        let items: Vec<FromItem> = items
            .into_iter()
            .flat_map(|item| {
                if item.parts.is_empty() {
                    vec![item]
                } else {
                    filters.extend(item.conds);
                    item.parts
                }
            })
            .collect();
        sublinks.extend(pull_up_sublinks(&mut filters, first, last));
        // Split the conjuncts by where they can go.
        let mut pending: Vec<(Expr, Option<Vec<usize>>)> = filters
            .into_iter()
            .map(|f| {
                let cols = columns_used(&f);
                (f, cols)
            })
            .collect();
        // LATERAL items read the items before them: keep FROM order then.
        let lateral = items.iter().any(|i| !i.lateral.is_empty());
        let mut laterals: Vec<Vec<(usize, Expr)>> = Vec::with_capacity(items.len());
        let mut remaining: Vec<(Plan, usize, usize)> = Vec::with_capacity(items.len());
        for item in items {
            laterals.push(item.lateral.clone());
            // Conjuncts reading only this item go into it (when it has only inner joins).
            let mut own = Vec::new();
            if item.inner {
                pending.retain(|(f, cols)| match cols {
                    Some(c) if !c.is_empty() && c.iter().all(|i| *i >= item.start && *i < item.end) => {
                        own.push(f.clone());
                        false
                    }
                    _ => true,
                });
            }
            let mut plan = push_filter(item.plan, own, item.start);
            // A sublink that reads only this item joins it before the rest.
            let mut k = 0;
            while k < sublinks.len() {
                if sublinks[k].reads.iter().all(|&c| c >= item.start && c < item.end) && !sublinks[k].reads.is_empty() {
                    let s = sublinks.remove(k);
                    let conds = s.conds_at(last, item.end);
                    plan = self.join_two(plan, s.plan, item.start, item.end, conds, s.kind);
                } else {
                    k += 1;
                }
            }
            remaining.push((plan, item.start, item.end));
        }
        let order = if lateral { (0..remaining.len()).collect() } else { self.join_order(&remaining, &pending) };
        // Each item once: its plan, column range and LATERAL bindings.
        let mut slots: Vec<Option<_>> =
            remaining.into_iter().zip(laterals).map(|((p, s, e), l)| Some((p, s, e, l))).collect();
        let mut take = |i: usize| slots[i].take().expect("each item is joined once");
        // Items joined so far, as column ranges in the order joined.
        let (mut plan, s0, e0, _) = take(order[0]);
        let mut joined: Vec<(usize, usize)> = vec![(s0, e0)];
        let in_joined = |joined: &[(usize, usize)], i: usize| joined.iter().any(|&(s, e)| i >= s && i < e);
        for &next in &order[1..] {
            let (item_plan, s, e, bindings) = take(next);
            let width: usize = joined.iter().map(|(s, e)| e - s).sum();
            joined.push((s, e));
            let mut conds = Vec::new();
            pending.retain(|(f, cols)| match cols {
                Some(c) if !c.is_empty() && c.iter().all(|&i| in_joined(&joined, i)) => {
                    conds.push(map_columns(f, &|i, t| Expr::Column(joined_position(&joined, i), t)));
                    false
                }
                _ => true,
            });
            plan = if bindings.is_empty() {
                self.join_two(plan, item_plan, 0, width, conds, JoinKind::Inner)
            } else {
                let bindings = bindings
                    .iter()
                    .map(|(slot, b)| (*slot, map_columns(b, &|i, t| Expr::Column(joined_position(&joined, i), t))))
                    .collect();
                Plan::LateralJoin {
                    left: Box::new(plan),
                    right: Box::new(item_plan),
                    kind: JoinKind::Inner,
                    bindings,
                    on: and_all(conds),
                }
            };
        }
        if joined.windows(2).any(|w| w[0].0 > w[1].0) {
            // Back to FROM order.
            let types = plan.types();
            let exprs = (first..last)
                .map(|i| {
                    let at = joined_position(&joined, i);
                    Expr::Column(at, types[at])
                })
                .collect();
            plan = Plan::Project { input: Box::new(plan), exprs };
        }
        let rest: Vec<Expr> = pending.into_iter().map(|(f, _)| shift(&f, first)).collect();
        if let Some(f) = and_all(rest) {
            plan = Plan::Filter { input: Box::new(plan), predicate: f };
        }
        for s in sublinks {
            let conds = s.conds_at(last, last);
            plan = self.join_two(plan, s.plan, first, last, conds, s.kind);
        }
        Ok(plan)
    }

    /// The order to join the FROM items in (see [`cost`]): estimated
    /// rows of each, and the conditions that connect them.
    fn join_order(&self, items: &[(Plan, usize, usize)], pending: &[(Expr, Option<Vec<usize>>)]) -> Vec<usize> {
        if items.len() < 2 {
            return (0..items.len()).collect();
        }
        let item_of = |i: usize| items.iter().position(|&(_, s, e)| i >= s && i < e);
        // The conditions over two or more items, with the items they read.
        let conds: Vec<(&Expr, Vec<usize>)> = pending
            .iter()
            .filter_map(|(f, cols)| {
                let mut read: Vec<usize> = cols.as_ref()?.iter().map(|&c| item_of(c)).collect::<Option<_>>()?;
                read.sort_unstable();
                read.dedup();
                (read.len() >= 2).then_some((f, read))
            })
            .collect();
        // Without any counted table the estimates are guesses alike: keep
        // FROM order, joining next the first item a condition connects.
        // So too past the 64 items the cost search's item sets can hold.
        let counted = items.iter().any(|(p, _, _)| cost::counted(p));
        if !counted || items.len() > 64 {
            let sets: Vec<Vec<usize>> = conds.into_iter().map(|(_, read)| read).collect();
            return cost::connected_in_order(items.len(), &sets);
        }
        let tables = self.tables;
        let blocks = |t: &Table| tables.blocks(t);
        let rows: Vec<f64> = items.iter().map(|(p, _, _)| cost::plan_rows(p, &blocks)).collect();
        let source = |i: usize| item_of(i).map(|k| (&items[k].0, i - items[k].1, rows[k]));
        let edges: Vec<cost::Edge> = conds
            .iter()
            .map(|(f, read)| cost::Edge {
                items: read.iter().fold(0u64, |m, &k| m | (1 << k)),
                selectivity: cost::join_selectivity(f, &source, &blocks),
            })
            .collect();
        // Per item, its hash table's bucket share on its best join key
        // (as if unique without one).
        let mut shares: Vec<Option<f64>> = vec![None; rows.len()];
        for (f, _) in &conds {
            let Expr::Cmp(CmpOp::Eq, a, b) = f else { continue };
            for side in [a, b] {
                let Expr::Column(c, _) = side.as_ref() else { continue };
                if let Some(k) = item_of(*c) {
                    let share = cost::bucket_fraction(&items[k].0, c - items[k].1, rows[k], &blocks);
                    shares[k] = Some(shares[k].map_or(share, |s: f64| s.min(share)));
                }
            }
        }
        let buckets: Vec<f64> = shares.iter().zip(&rows).map(|(s, r)| s.unwrap_or(1.0 / r.max(1.0))).collect();
        cost::join_order_hashed(&rows, &buckets, &edges)
    }

    /// A column reference by name, searched from the innermost level out.
    pub(super) fn resolve_column(
        &mut self,
        qualifier: Option<&ast::Ident>,
        id: &ast::Ident,
        node: &ast::Expr,
    ) -> Result<Expr> {
        let name = ident(id);
        let qual = qualifier.map(ident);
        let depth = self.levels.len();
        for li in (0..depth).rev() {
            let level = &self.levels[li];
            let mut found: Option<(usize, PgType)> = None;
            let mut rel_seen = false;
            for r in &level.rels {
                if let Some(q) = &qual {
                    if r.label != *q {
                        continue;
                    }
                    rel_seen = true;
                }
                for (i, c) in r.columns.iter().enumerate() {
                    if c.name == name && !c.dropped && (qual.is_some() || !c.merged) {
                        if found.is_some() {
                            return Err(self.at(
                                err!(SqlState::AMBIGUOUS_COLUMN, "column reference \"{name}\" is ambiguous"),
                                node,
                            ));
                        }
                        found = Some((r.offset + i, c.ty));
                    }
                }
            }
            if let Some((i, ty)) = found {
                return Ok(self.column_at_level(li, i, ty));
            }
            if rel_seen {
                let q = qual.unwrap_or_default();
                let target = level.rels.iter().any(|r| r.label == q && r.lacks_system_columns());
                if target && is_system_column(&name) {
                    return Err(self.at(target_system_column(&name), node));
                }
                return Err(self.at(err!(SqlState::UNDEFINED_COLUMN, "column {q}.{name} does not exist"), node));
            }
        }
        // A name that is no column may name a relation: its whole row.
        if qual.is_none() {
            if let Some(row) = self.whole_row_value(&name) {
                return Ok(row);
            }
        }
        let any_target = self.levels.iter().flat_map(|l| &l.rels).any(Rel::lacks_system_columns);
        if qual.is_none() && any_target && is_system_column(&name) {
            return Err(self.at(target_system_column(&name), node));
        }
        match qual {
            Some(q) => {
                let aliased = self.levels.iter().flat_map(|l| &l.rels).find(|r| r.table.as_deref() == Some(q.as_str()));
                if let Some(r) = aliased {
                    return Err(self.at(
                        err!(SqlState::UNDEFINED_TABLE, "invalid reference to FROM-clause entry for table \"{q}\"")
                            .with_hint(format!("Perhaps you meant to reference the table alias \"{}\".", r.label)),
                        node,
                    ));
                }
                if self.levels.iter().any(|l| l.hidden_rels.contains(&q)) {
                    return Err(self.at(
                        err!(SqlState::UNDEFINED_TABLE, "invalid reference to FROM-clause entry for table \"{q}\"")
                            .with_hint(format!(
                                "There is an entry for table \"{q}\", but it cannot be referenced from this part of the query."
                            )),
                        node,
                    ));
                }
                Err(self.at(err!(SqlState::UNDEFINED_TABLE, "missing FROM-clause entry for table \"{q}\""), node))
            }
            None => Err(self.at(err!(SqlState::UNDEFINED_COLUMN, "column \"{name}\" does not exist"), node)),
        }
    }

    /// Column `i` (of type `ty`) of the row of level `li`: itself at the
    /// current level, or from an enclosing one a correlated reference, a
    /// slot filled from level `li`'s row when the subquery at level
    /// `li + 1` starts.
    pub(super) fn column_at_level(&mut self, li: usize, i: usize, ty: PgType) -> Expr {
        if li + 1 == self.levels.len() {
            return Expr::Column(i, ty);
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        self.levels[li + 1].bindings.push((slot, Expr::Column(i, ty)));
        for l in &mut self.levels[li + 1..] {
            l.correlated = true;
        }
        Expr::Outer(slot, ty)
    }

    /// A subquery in an expression.
    pub(super) fn bind_sub(&mut self, q: &ast::Query, kind: SubKind, node: &ast::Expr) -> Result<Expr> {
        self.bind_sub_checked(q, kind, node, true)
    }

    /// A subquery whose row may have any number of columns (the source of
    /// a multiple-column UPDATE item); its type is its first column's.
    pub(super) fn bind_sub_any_width(&mut self, q: &ast::Query, node: &ast::Expr) -> Result<Expr> {
        self.bind_sub_checked(q, SubKind::Scalar, node, false)
    }

    pub(super) fn bind_sub_checked(
        &mut self,
        q: &ast::Query,
        kind: SubKind,
        node: &ast::Expr,
        one_column: bool,
    ) -> Result<Expr> {
        self.levels.push(Level::default());
        self.nesting += 1;
        let r = self.bind_query_plan(q);
        self.nesting -= 1;
        let level = self.levels.pop().expect("level");
        let bound = r?;
        if one_column && !matches!(kind, SubKind::Exists) && bound.columns.len() != 1 {
            let message = match kind {
                SubKind::Quantified { .. } if bound.columns.len() > 1 => "subquery has too many columns",
                SubKind::Quantified { .. } => "subquery has too few columns",
                _ => "subquery must return only one column",
            };
            return Err(self.at(err!(SqlState::SYNTAX_ERROR, "{message}"), node));
        }
        let ty = bound.columns.first().map_or(PgType::Bool, |c| c.ty);
        let id = self.next_subplan;
        self.next_subplan += 1;
        let correlated = level.correlated;
        Ok(Expr::Sub(Box::new(SubPlan {
            id,
            plan: Arc::new(bound.plan),
            kind,
            bindings: level.bindings,
            ty,
            correlated,
        })))
    }

    /// The current level, if an aggregate (or, as `what` says, a
    /// grouping operation) may stand where `node` is.
    pub(super) fn check_aggregate_place(&self, what: &str, node: &ast::Expr) -> Result<&Level> {
        // Without a query level the expression is a row of INSERT's VALUES.
        let Some(level) = self.levels.last() else {
            return Err(self.at(err!(SqlState::GROUPING_ERROR, "{what} are not allowed in VALUES"), node));
        };
        if let Some(clause) = level.no_aggs {
            return Err(self.at(err!(SqlState::GROUPING_ERROR, "{what} are not allowed in {clause}"), node));
        }
        if level.in_agg {
            return Err(self.at(err!(SqlState::GROUPING_ERROR, "aggregate function calls cannot be nested"), node));
        }
        Ok(level)
    }

    /// An aggregate call, recorded in the current level; its reference.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bind_aggregate(
        &mut self,
        func: AggFunc,
        name: &str,
        f: &ast::Function,
        args: &[&ast::Expr],
        distinct: bool,
        order_by: &[ast::OrderByExpr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        self.record_aggregate(node, |b| b.bind_aggregate_args(func, name, f, args, distinct, order_by, node))
    }

    /// Check that an aggregate may stand at `node`, bind it with `bind`
    /// (inside the aggregate: no nested ones), record it in the current
    /// level; its reference.
    pub(super) fn record_aggregate(
        &mut self,
        node: &ast::Expr,
        bind: impl FnOnce(&mut Self) -> Result<AggCall>,
    ) -> Result<Expr> {
        let level = self.check_aggregate_place("aggregate functions", node)?;
        if level.self_ref {
            return Err(self.at(
                err!(
                    SqlState::INVALID_RECURSION,
                    "aggregate functions are not allowed in a recursive query's recursive term"
                ),
                node,
            ));
        }
        self.level().in_agg = true;
        let r = bind(self);
        self.level().in_agg = false;
        let call = r?;
        let ty = call.ty;
        let level = self.level();
        level.aggs.push(call);
        Ok(Expr::AggRef(level.aggs.len() - 1, ty))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn bind_aggregate_args(
        &mut self,
        func: AggFunc,
        name: &str,
        f: &ast::Function,
        args: &[&ast::Expr],
        distinct: bool,
        order_by: &[ast::OrderByExpr],
        node: &ast::Expr,
    ) -> Result<AggCall> {
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            bound.push(self.bind_expr(a)?);
        }
        let types: Vec<PgType> = bound.iter().map(Expr::ty).collect();
        let no_fn = |b: &Self| b.no_function(name, &bound, node);
        let ty = match func {
            AggFunc::CountStar => PgType::Int8,
            AggFunc::Count if bound.len() == 1 => PgType::Int8,
            AggFunc::Sum | AggFunc::Avg if bound.len() == 1 => match (func, types[0]) {
                (AggFunc::Sum, PgType::Int2 | PgType::Int4) => PgType::Int8,
                (_, PgType::Interval) => PgType::Interval,
                (AggFunc::Sum, PgType::Int8 | PgType::Numeric) => PgType::Numeric,
                (AggFunc::Sum, PgType::Float4) => PgType::Float4,
                (AggFunc::Sum, PgType::Float8 | PgType::Unknown) => PgType::Float8,
                (AggFunc::Avg, t) if t.is_integer() || t == PgType::Numeric => PgType::Numeric,
                (AggFunc::Avg, PgType::Float4 | PgType::Float8 | PgType::Unknown) => PgType::Float8,
                _ => return Err(no_fn(self)),
            },
            AggFunc::Min | AggFunc::Max if bound.len() == 1 => match types[0] {
                PgType::Unknown => PgType::Text,
                // bytea has no min or max in PostgreSQL.
                PgType::Void
                | PgType::Bytea
                | PgType::Uuid
                | PgType::Json
                | PgType::Jsonb
                | PgType::Record
                | PgType::Composite(_) => {
                    return Err(no_fn(self));
                }
                t => t,
            },
            AggFunc::BoolAnd | AggFunc::BoolOr if bound.len() == 1 => {
                if !matches!(types[0], PgType::Bool | PgType::Unknown) {
                    return Err(no_fn(self));
                }
                PgType::Bool
            }
            AggFunc::StringAgg
                if bound.len() == 2
                    && matches!((types[0], types[1]), (PgType::Bytea, PgType::Bytea | PgType::Unknown)) =>
            {
                PgType::Bytea
            }
            AggFunc::StringAgg if bound.len() == 2 => {
                let texty = |t: PgType| t.is_string() || t == PgType::Unknown;
                if !texty(types[0]) || !texty(types[1]) {
                    return Err(no_fn(self));
                }
                PgType::Text
            }
            AggFunc::JsonAgg { jsonb } if bound.len() == 1 => {
                if jsonb {
                    PgType::Jsonb
                } else {
                    PgType::Json
                }
            }
            AggFunc::JsonObjectAgg { jsonb } if bound.len() == 2 => {
                if jsonb {
                    PgType::Jsonb
                } else {
                    PgType::Json
                }
            }
            AggFunc::Variance { .. } if bound.len() == 1 => match types[0] {
                t if t.is_integer() || t == PgType::Numeric => PgType::Numeric,
                PgType::Float4 | PgType::Float8 | PgType::Unknown => PgType::Float8,
                _ => return Err(no_fn(self)),
            },
            AggFunc::ArrayAgg if bound.len() == 1 => {
                let elem = if types[0] == PgType::Unknown { PgType::Text } else { types[0] };
                if elem.is_array() {
                    return Err(self.at(Error::not_supported("array_agg of arrays"), node));
                }
                self.array_type_of(elem, node)?
            }
            _ => return Err(no_fn(self)),
        };
        // Unknown arguments take the aggregate's input type.
        let want = match func {
            AggFunc::Sum | AggFunc::Avg | AggFunc::Variance { .. } => Some(PgType::Float8),
            AggFunc::Min
            | AggFunc::Max
            | AggFunc::StringAgg
            | AggFunc::Count
            | AggFunc::ArrayAgg
            | AggFunc::JsonAgg { .. }
            | AggFunc::JsonObjectAgg { .. } => Some(PgType::Text),
            AggFunc::BoolAnd | AggFunc::BoolOr => Some(PgType::Bool),
            AggFunc::CountStar
            | AggFunc::Grouping
            | AggFunc::PercentileCont { .. }
            | AggFunc::PercentileDisc { .. }
            | AggFunc::Mode
            | AggFunc::Hypothetical(_) => None,
        };
        let want = if ty == PgType::Bytea && func == AggFunc::StringAgg { Some(PgType::Bytea) } else { want };
        let mut out = Vec::with_capacity(bound.len());
        for (b, a) in bound.into_iter().zip(args) {
            out.push(match want {
                Some(w) if b.ty() == PgType::Unknown => self.coerce(b, w, a)?,
                // string_agg(text, text): char(n) loses its blanks on the way.
                _ if func == AggFunc::StringAgg && b.ty() == PgType::Bpchar => self.coerce(b, PgType::Text, a)?,
                _ => b,
            });
        }
        let filter = match &f.filter {
            Some(e) => Some(self.bind_condition(e, "FILTER")?),
            None => None,
        };
        let mut order = Vec::with_capacity(order_by.len());
        for o in order_by {
            let e = self.bind_expr(&o.expr)?;
            let e = if e.ty() == PgType::Unknown { self.coerce(e, PgType::Text, &o.expr)? } else { e };
            let key = sort_key(0, &o.options);
            order.push((e, key.descending, key.nulls_first));
        }
        Ok(AggCall { func, args: out, distinct, filter, order_by: order, ty, grouping: Vec::new() })
    }

    /// The domain of the table column `e` reads (directly or as an outer
    /// reference), if it is of one.
    pub(super) fn column_domain(&self, e: &Expr) -> Option<u32> {
        let (level, index) = match e {
            Expr::Column(i, _) => (self.levels.len().checked_sub(1)?, *i),
            Expr::Outer(slot, _) => {
                // The slot is filled at the level below the one it reads.
                let (below, bound) = self
                    .levels
                    .iter()
                    .enumerate()
                    .find_map(|(k, l)| l.bindings.iter().find(|(s, _)| s == slot).map(|(_, bound)| (k, bound)))?;
                let Expr::Column(i, _) = bound else { return None };
                (below.checked_sub(1)?, *i)
            }
            _ => return None,
        };
        let rel = self.levels[level].rels.iter().find(|r| r.offset <= index && index < r.offset + r.columns.len())?;
        rel.columns[index - rel.offset].domain
    }

    /// Register a table as a relation of the current level (with its
    /// system columns after its own if `system`).
    pub(super) fn add_table_rel(
        &mut self,
        table: &Arc<Table>,
        alias: Option<&ast::TableAlias>,
        system: bool,
    ) -> Result<()> {
        let label = alias.map(|a| ident(&a.name)).unwrap_or_else(|| table.name.clone());
        let mut columns: Vec<RelColumn> = table.columns.iter().map(RelColumn::of_table).collect();
        if system {
            columns.extend(RelColumn::system_columns());
        }
        self.add_rel(label, columns)?;
        if let Some(r) = self.level().rels.last_mut() {
            r.table = Some(table.name.clone());
        }
        Ok(())
    }
}

impl Expr {
    pub(super) fn subplans_empty(&self) -> bool {
        let mut v = Vec::new();
        self.subplans(&mut v);
        v.is_empty()
    }
}

/// The column of this level's row an outer slot of a LATERAL item is filled from.
fn binding_column(e: &Expr) -> Option<usize> {
    match e {
        Expr::Column(i, _) => Some(*i),
        _ => None,
    }
}

pub(super) fn sort_key(column: usize, options: &ast::OrderByOptions) -> SortKey {
    let descending = matches!(options.sort, Some(ast::OrderBySort::Desc));
    // PostgreSQL: NULLs sort as larger than every value by default.
    let nulls_first = options.nulls_first.unwrap_or(descending);
    SortKey { column, descending, nulls_first }
}

/// Whether `name` is the built-in `wanted`, written bare or as `pg_catalog.wanted`.
/// The json set-returning function `name` names, if any.
fn json_set_function(name: &ast::ObjectName) -> Option<crate::sql::json_fn::JsonSrf> {
    let parts: Vec<String> = name.0.iter().filter_map(|p| p.as_ident().map(|i| i.value.to_ascii_lowercase())).collect();
    match parts.as_slice() {
        [n] => crate::sql::json_fn::JsonSrf::lookup(n),
        [schema, n] if schema == "pg_catalog" => crate::sql::json_fn::JsonSrf::lookup(n),
        _ => None,
    }
}

/// A function call's arguments, which must be plain expressions.
fn unnamed_args<'a>(args: &'a [ast::FunctionArg], name: &str) -> Result<Vec<&'a ast::Expr>> {
    args.iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(e),
            _ => Err(Error::not_supported(format!("this argument of {name}"))),
        })
        .collect()
}

/// A set-returning function of the select list (see [`crate::sql::srf`]).
fn select_list_function(name: &ast::ObjectName) -> Option<SrfFunc> {
    let parts: Vec<String> = name.0.iter().filter_map(|p| p.as_ident()).map(ident).collect();
    match parts.as_slice() {
        [n] => crate::sql::srf::lookup(n),
        [schema, n] if schema == "pg_catalog" => crate::sql::srf::lookup(n),
        _ => None,
    }
}

fn object_name_is(name: &ast::ObjectName, wanted: &str) -> bool {
    let is = |part: &ast::ObjectNamePart, w: &str| part.as_ident().is_some_and(|i| i.value.eq_ignore_ascii_case(w));
    match name.0.as_slice() {
        [part] => is(part, wanted),
        [schema, part] => is(schema, "pg_catalog") && is(part, wanted),
        _ => false,
    }
}

pub(super) fn rename_columns(columns: &mut [RelColumn], names: &[ast::TableAliasColumnDef], label: &str) -> Result<()> {
    let available = columns.iter().filter(|c| !c.dropped).count();
    if names.len() > available {
        return Err(err!(
            SqlState::INVALID_COLUMN_REFERENCE,
            "table \"{label}\" has {available} columns available but {} columns specified",
            names.len()
        ));
    }
    for (c, n) in columns.iter_mut().filter(|c| !c.dropped).zip(names) {
        c.name = ident(&n.name);
    }
    Ok(())
}

/// Put conjuncts (over the level's row, the item starting at `start`) into a plan.
/// Where column `i` of the level's row is in a join of the ranges
/// `joined`, taken in that order.
fn joined_position(joined: &[(usize, usize)], i: usize) -> usize {
    let mut at = 0;
    for &(s, e) in joined {
        if i >= s && i < e {
            return at + (i - s);
        }
        at += e - s;
    }
    unreachable!("column {i} is in a joined item")
}

pub(super) fn push_filter(plan: Plan, filters: Vec<Expr>, start: usize) -> Plan {
    let shifted: Vec<Expr> = filters.iter().map(|f| shift(f, start)).collect();
    let Some(pred) = and_all(shifted) else { return plan };
    match plan {
        Plan::Scan { table, filter: None, ctid, system, alias, read } => {
            Plan::Scan { table, filter: Some(pred), ctid, system, alias, read }
        }
        Plan::Scan { table, filter: Some(f), ctid, system, alias, read } => {
            Plan::Scan { table, filter: Some(Expr::And(Box::new(f), Box::new(pred))), ctid, system, alias, read }
        }
        other => Plan::Filter { input: Box::new(other), predicate: pred },
    }
}

/// How deeply views may be nested in one another.
const MAX_VIEW_DEPTH: usize = 64;

/// A set-returning function of the server's state named in FROM.
fn set_function(name: &ast::ObjectName) -> Option<crate::sql::plan::SetFunc> {
    let parts: Vec<String> = name.0.iter().filter_map(|p| p.as_ident()).map(ident).collect();
    match parts.as_slice() {
        [n] => crate::sql::plan::SetFunc::lookup(n),
        [schema, n] if schema == "pg_catalog" => crate::sql::plan::SetFunc::lookup(n),
        _ => None,
    }
}

/// A view's output: a column of an undecided type (a bare literal)
/// becomes `text`, as PostgreSQL makes it.
pub(super) fn view_output(q: BoundQuery) -> BoundQuery {
    if !q.columns.iter().any(|c| c.ty == PgType::Unknown) {
        return q;
    }
    let exprs = q
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let col = Expr::Column(i, c.ty);
            if c.ty == PgType::Unknown { Expr::Cast(Box::new(col), PgType::Text, None) } else { col }
        })
        .collect();
    let columns = q
        .columns
        .into_iter()
        .map(|c| if c.ty == PgType::Unknown { Column { ty: PgType::Text, ..c } } else { c })
        .collect();
    BoundQuery { plan: Plan::Project { input: Box::new(q.plan), exprs }, columns, domains: q.domains }
}

/// `TABLE [schema.]name`, which is `SELECT * FROM [schema.]name`.
fn table_command(t: &ast::Table) -> ast::Select {
    let name = ast::ObjectName::from(t.schema_name.iter().chain(&t.table_name).cloned().collect::<Vec<_>>());
    let relation = ast::TableFactor::Table {
        name,
        alias: None,
        args: None,
        with_hints: Vec::new(),
        version: None,
        with_ordinality: false,
        partitions: Vec::new(),
        json_path: None,
        sample: None,
        index_directives: Vec::new(),
        inheritance: None,
    };
    ast::Select {
        select_token: ast::helpers::attached_token::AttachedToken::empty(),
        optimizer_hints: Vec::new(),
        distinct: None,
        select_modifiers: None,
        top: None,
        top_before_distinct: false,
        projection: vec![ast::SelectItem::Wildcard(ast::WildcardAdditionalOptions::default())],
        exclude: None,
        into: None,
        from: vec![ast::TableWithJoins { relation, joins: Vec::new() }],
        lateral_views: Vec::new(),
        prewhere: None,
        selection: None,
        connect_by: Vec::new(),
        group_by: ast::GroupByExpr::Expressions(Vec::new(), Vec::new()),
        cluster_by: Vec::new(),
        distribute_by: Vec::new(),
        sort_by: Vec::new(),
        having: None,
        named_window: Vec::new(),
        qualify: None,
        window_before_qualify: false,
        value_table_mode: None,
        flavor: ast::SelectFlavor::Standard,
    }
}

/// The label and columns a table or view named in FROM adds to its level,
/// renamed by its alias.
fn relation_columns(table: &Table, alias: Option<&ast::TableAlias>) -> Result<(String, Vec<RelColumn>)> {
    let label = alias.map(|a| ident(&a.name)).unwrap_or_else(|| table.name.clone());
    let mut columns: Vec<RelColumn> = table.columns.iter().map(RelColumn::of_table).collect();
    if let Some(a) = alias {
        rename_columns(&mut columns, &a.columns, &label)?;
    }
    Ok((label, columns))
}

/// Whether `name` is one of the system columns every table has (`ctid`,
/// `xmin`, …; `pg_attribute` lists them with attnum < 0).
fn is_system_column(name: &str) -> bool {
    crate::catalog::system::SYSTEM_COLUMNS.iter().any(|c| c.0 == name)
}

/// A system column of a table where this statement does not read them (an
/// INSERT's RETURNING, ON CONFLICT DO UPDATE, COPY's WHERE, a locking
/// SELECT's ORDER BY): not readable yet.
fn target_system_column(name: &str) -> crate::error::Error {
    crate::error::Error::not_supported(format!("reading system column \"{name}\" here"))
}

/// Whether `text` (a statement's, a view's definition) may name a system
/// column: whether one of their names is in it as a word, in any case.
/// A table scan returns its rows' system columns only then, so that the
/// queries that name none (nearly all) pay nothing for them. Finding a
/// name where it is no column (in a string, a comment) costs only that.
pub(super) fn may_name_system_column(text: &str) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$' || *b >= 0x80;
    text.as_bytes().split(|b| !word(b)).any(|w| {
        crate::catalog::system::SYSTEM_COLUMNS.iter().any(|(name, ..)| w.eq_ignore_ascii_case(name.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::may_name_system_column;

    #[test]
    fn system_column_names_are_found_as_words() {
        assert!(may_name_system_column("SELECT CTID FROM t"));
        assert!(may_name_system_column("select t.\"xmin\"+1 from t"));
        assert!(may_name_system_column("update t set a = 1 where xmax=0"));
        assert!(!may_name_system_column("select xmin_at, myctid, tableoids from t"));
    }
}
