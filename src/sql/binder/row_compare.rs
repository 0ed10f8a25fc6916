//! Row comparisons: `(a, b) < (1, 2)`, `ROW(a, b) = ROW(c, d)`,
//! `(a, b) IN ((1, 2), (3, 4))`, `(a, b) IS [NOT] DISTINCT FROM (c, d)`,
//! `ROW(a, b) IS [NOT] NULL`, bound the way PostgreSQL evaluates them: pair
//! by pair, into comparisons of the columns.
//!
//! `=` is every pair equal, `<>` any pair unequal. An ordering comparison
//! decides at the first pair that differs, so `(a, b) < (c, d)` is
//! `a < c OR (a = c AND b < d)`, which gives PostgreSQL's three-valued
//! answer too: a NULL in a pair reached before the result is known makes it
//! NULL. It is also bound with the implied `a <= c` in front — the same
//! answer, NULL included — so that an index on `a` can start a keyset
//! scan (`WHERE (created, id) > ($1, $2) ORDER BY created, id LIMIT n`) at
//! the right place instead of reading the whole table.

use sqlparser::ast;

use std::sync::Arc;

use super::{Binder, comparison_type, equality_only};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::{CmpOp, Expr};
use crate::sql::plan::{Plan, SubKind};
use crate::sql::types::{Datum, PgType};

/// The fields of a row constructor, `(a, b)` or `ROW(a, b)`; `None` for
/// any other expression.
pub(super) fn row_fields(e: &ast::Expr) -> Option<Vec<&ast::Expr>> {
    match e {
        ast::Expr::Nested(inner) => row_fields(inner),
        ast::Expr::Tuple(items) => Some(items.iter().collect()),
        ast::Expr::Function(f) if is_row_constructor(f) => {
            let ast::FunctionArguments::List(list) = &f.args else { return Some(Vec::new()) };
            list.args
                .iter()
                .map(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => Some(x),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    }
}

/// `ROW(…)`: the unqualified, unquoted name `row` with plain arguments.
pub(super) fn is_row_constructor(f: &ast::Function) -> bool {
    let [part] = f.name.0.as_slice() else { return false };
    let Some(id) = part.as_ident() else { return false };
    id.quote_style.is_none()
        && id.value.eq_ignore_ascii_case("row")
        && f.filter.is_none()
        && f.over.is_none()
        && f.within_group.is_empty()
        && matches!(&f.args, ast::FunctionArguments::List(l) if l.duplicate_treatment.is_none() && l.clauses.is_empty())
}

/// Whether exactly one side is a row constructor (the other may still
/// be a row value: `t = ROW(1, 2)`).
fn one_row_constructor(left: &ast::Expr, right: &ast::Expr) -> bool {
    row_fields(left).is_some() != row_fields(right).is_some()
}

fn and(a: Expr, b: Expr) -> Expr {
    Expr::And(Box::new(a), Box::new(b))
}

fn or(a: Expr, b: Expr) -> Expr {
    Expr::Or(Box::new(a), Box::new(b))
}

fn cmp(op: CmpOp, l: &Expr, r: &Expr) -> Expr {
    Expr::Cmp(op, Box::new(l.clone()), Box::new(r.clone()))
}

impl Binder<'_> {
    /// `left op right` when either side is a row constructor: the pairwise
    /// comparison, or `None` when neither is a row.
    pub(super) fn bind_row_comparison(
        &mut self,
        op: CmpOp,
        left: &ast::Expr,
        right: &ast::Expr,
        node: &ast::Expr,
    ) -> Result<Option<Expr>> {
        if let (Some(fields), ast::Expr::Subquery(q)) = (row_fields(left), right) {
            let pairs = self.bind_row_subquery_pairs(&fields, q, op.symbol(), node)?;
            return self.row_comparison_of(op, pairs, node).map(Some);
        }
        if one_row_constructor(left, right) {
            if let Some(records) = self.bind_record_comparison(op, left, right)? {
                return Ok(Some(records));
            }
        }
        let Some(pairs) = self.bind_row_pairs(left, right, op.symbol(), node)? else { return Ok(None) };
        self.row_comparison_of(op, pairs, node).map(Some)
    }

    /// The pairwise comparison `op` of bound pairs of fields.
    fn row_comparison_of(&mut self, op: CmpOp, pairs: Vec<(Expr, Expr)>, node: &ast::Expr) -> Result<Expr> {
        let mut pairs = pairs.into_iter().rev();
        let Some((l, r)) = pairs.next() else {
            return Err(self.at(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot compare rows of zero length"), node));
        };
        let strict = match op {
            CmpOp::LtEq => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::Gt,
            other => other,
        };
        // Built from the last pair backwards.
        let mut out = cmp(op, &l, &r);
        let mut first = (l, r);
        for (l, r) in pairs {
            out = match op {
                CmpOp::Eq => and(cmp(CmpOp::Eq, &l, &r), out),
                CmpOp::NotEq => or(cmp(CmpOp::NotEq, &l, &r), out),
                _ => or(cmp(strict, &l, &r), and(cmp(CmpOp::Eq, &l, &r), out)),
            };
            first = (l, r);
        }
        let implied = match op {
            CmpOp::Lt => Some(CmpOp::LtEq),
            CmpOp::Gt => Some(CmpOp::GtEq),
            CmpOp::LtEq | CmpOp::GtEq => Some(op),
            _ => None,
        };
        Ok(match implied {
            Some(weak) if matches!(out, Expr::Or(..)) => and(cmp(weak, &first.0, &first.1), out),
            _ => out,
        })
    }

    /// `(a, b) op (SELECT x, y …)`: the fields paired with the columns of
    /// the subquery's single row (NULLs without a row, 21000 with more
    /// than one), each pair brought to its comparison type. The columns
    /// share the subquery's number, so an uncorrelated one runs once.
    fn bind_row_subquery_pairs(
        &mut self,
        fields: &[&ast::Expr],
        q: &ast::Query,
        op: &str,
        node: &ast::Expr,
    ) -> Result<Vec<(Expr, Expr)>> {
        let mut bound = Vec::with_capacity(fields.len());
        for f in fields {
            bound.push(self.bind_expr(f)?);
        }
        let columns = self.bind_row_subquery(q, node)?;
        self.check_subquery_width(columns.len(), fields.len(), node)?;
        bound
            .into_iter()
            .zip(fields)
            .zip(columns)
            .map(|((l, left), (r, right))| {
                let r = if r.ty() == PgType::Unknown { Expr::Cast(Box::new(r), PgType::Text, None) } else { r };
                self.comparison_operands(l, r, left, right, op, node)
            })
            .collect()
    }

    /// 42601 when a subquery compared with a row has another number of
    /// columns than the row has fields.
    fn check_subquery_width(&self, columns: usize, width: usize, node: &ast::Expr) -> Result<()> {
        let message = match columns.cmp(&width) {
            std::cmp::Ordering::Equal => return Ok(()),
            std::cmp::Ordering::Greater => "subquery has too many columns",
            std::cmp::Ordering::Less => "subquery has too few columns",
        };
        Err(self.at_operator(err!(SqlState::SYNTAX_ERROR, "{message}"), node))
    }

    /// `(a, b) op ANY/ALL (SELECT x, y …)` (`IN`, `NOT IN`): the subquery's
    /// columns, each brought to the type it is compared with its field in,
    /// as one record per row, compared pairwise with the row of the fields
    /// (see [`SubKind::Quantified`]).
    pub(super) fn bind_row_quantified(
        &mut self,
        fields: &[&ast::Expr],
        q: &ast::Query,
        (op, all, symbol): (CmpOp, bool, &str),
        node: &ast::Expr,
    ) -> Result<Expr> {
        let mut bound = Vec::with_capacity(fields.len());
        for f in fields {
            bound.push(self.bind_expr(f)?);
        }
        let placeholder =
            SubKind::Quantified { lhs: Box::new(Expr::Const(Datum::Null, PgType::Unknown)), op, all, pairwise: true };
        let Expr::Sub(mut sp) = self.bind_sub_checked(q, placeholder, node, false)? else {
            return Err(Error::internal("subquery expected"));
        };
        let types = sp.plan.types();
        self.check_subquery_width(types.len(), fields.len(), node)?;
        if fields.is_empty() {
            return Err(self.at(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot compare rows of zero length"), node));
        }
        let mut lhs = Vec::with_capacity(fields.len());
        let mut outs = Vec::with_capacity(fields.len());
        for (i, (l, rt)) in bound.into_iter().zip(types).enumerate() {
            let lt = l.ty();
            let shown = if rt == PgType::Unknown { PgType::Text } else { rt };
            let Some(ty) = comparison_type(lt, shown).filter(|ty| equality_only(*ty, symbol)) else {
                return Err(self.no_operator(symbol, lt, shown, node));
            };
            lhs.push(self.coerce_operand(l, ty, fields[i])?);
            let col = Expr::Column(i, rt);
            outs.push(if rt == ty { col } else { Expr::Cast(Box::new(col), ty, None) });
        }
        let names: Vec<String> = (1..=lhs.len()).map(|i| format!("f{i}")).collect();
        let plan = std::mem::replace(&mut sp.plan, Arc::new(Plan::Values { rows: vec![], types: vec![] }));
        let plan = Arc::try_unwrap(plan).unwrap_or_else(|p| (*p).clone());
        sp.plan = Arc::new(Plan::Project { input: Box::new(plan), exprs: vec![Expr::Row(outs, names.clone())] });
        sp.ty = PgType::Record;
        sp.kind = SubKind::Quantified { lhs: Box::new(Expr::Row(lhs, names)), op, all, pairwise: true };
        Ok(Expr::Sub(sp))
    }

    /// `left IS [NOT] DISTINCT FROM right` between rows: any pair distinct.
    pub(super) fn bind_row_distinct(
        &mut self,
        left: &ast::Expr,
        right: &ast::Expr,
        not: bool,
        node: &ast::Expr,
    ) -> Result<Option<Expr>> {
        if one_row_constructor(left, right) {
            if let Some((l, r)) = self.bind_record_operands(left, right)? {
                return Ok(Some(Expr::Distinct(Box::new(l), Box::new(r), not)));
            }
        }
        let Some(pairs) = self.bind_row_pairs(left, right, "=", node)? else { return Ok(None) };
        let any =
            pairs.into_iter().map(|(l, r)| Expr::Distinct(Box::new(l), Box::new(r), false)).reduce(or).ok_or_else(
                || self.at(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot compare rows of zero length"), node),
            )?;
        Ok(Some(if not { Expr::Not(Box::new(any)) } else { any }))
    }

    /// `ROW(…) IS [NOT] NULL`: every field NULL (every field not NULL).
    pub(super) fn bind_row_null_test(&mut self, row: &ast::Expr, not: bool) -> Result<Option<Expr>> {
        let Some(fields) = row_fields(row) else { return Ok(None) };
        let mut out: Option<Expr> = None;
        for f in fields {
            let test = Expr::IsNull(Box::new(self.bind_expr(f)?), not);
            out = Some(match out {
                None => test,
                Some(prev) => and(prev, test),
            });
        }
        // A row of no fields is NULL and not NULL at once (all of none).
        Ok(Some(out.unwrap_or(Expr::Const(Datum::Bool(true), PgType::Bool))))
    }

    /// The fields of two rows, bound pair by pair to a common type; `None`
    /// when neither side is a row, 42883 when only one is, 42601 when they
    /// differ in length.
    fn bind_row_pairs(
        &mut self,
        left: &ast::Expr,
        right: &ast::Expr,
        op: &str,
        node: &ast::Expr,
    ) -> Result<Option<Vec<(Expr, Expr)>>> {
        let (l, r) = match (row_fields(left), row_fields(right)) {
            (None, None) => return Ok(None),
            (Some(l), Some(r)) => (l, r),
            (Some(_), None) => {
                let rt = self.bind_expr(right)?.ty();
                return Err(self.no_operator_named(op, "record", rt.sql_name(), node));
            }
            (None, Some(_)) => {
                let lt = self.bind_expr(left)?.ty();
                return Err(self.no_operator_named(op, lt.sql_name(), "record", node));
            }
        };
        if l.len() != r.len() {
            let e = err!(SqlState::SYNTAX_ERROR, "unequal number of entries in row expressions");
            return Err(self.at_operator(e, node));
        }
        l.into_iter()
            .zip(r)
            .map(|(a, b)| self.bind_comparison_operands(a, b, op, node))
            .collect::<Result<_>>()
            .map(Some)
    }
}
