//! Binding the json and jsonb operators (`-> ->> #> #>> @> <@ ? ?| ?& ||
//! - #-`) and the json functions whose arguments may be of any type
//! (`to_json`, `json_build_object`, …). They compute in
//! [`crate::sql::json_fn`].

use sqlparser::ast;

use super::Binder;
use crate::error::Result;
use crate::sql::expr::Expr;
use crate::sql::func::Func;
use crate::sql::json_fn::{JsonFn, TEXT_ARRAY};
use crate::sql::types::PgType;

fn call(f: JsonFn, args: Vec<Expr>, ty: PgType) -> Expr {
    Expr::Call(Func::Json(f), args, ty)
}

fn is_json(t: PgType) -> bool {
    matches!(t, PgType::Json | PgType::Jsonb)
}

impl Binder<'_> {
    /// A json operator, `None` when `op` is not one.
    pub(super) fn bind_json_operator(
        &mut self,
        op: &ast::BinaryOperator,
        left: &ast::Expr,
        right: &ast::Expr,
        node: &ast::Expr,
    ) -> Option<Result<Expr>> {
        use ast::BinaryOperator as B;
        if !matches!(
            op,
            B::Arrow
                | B::LongArrow
                | B::HashArrow
                | B::HashLongArrow
                | B::AtArrow
                | B::ArrowAt
                | B::Question
                | B::QuestionAnd
                | B::QuestionPipe
                | B::HashMinus
                | B::PGOverlap
        ) {
            return None;
        }
        Some((|| {
            let (l, r) = (self.bind_expr(left)?, self.bind_expr(right)?);
            if matches!(op, B::AtArrow | B::ArrowAt | B::PGOverlap) {
                if l.ty().elem().is_some() || r.ty().elem().is_some() {
                    return self.array_containment(op, l, r, left, right, node);
                }
                if matches!(op, B::PGOverlap) {
                    return Err(self.no_operator("&&", l.ty(), r.ty(), node));
                }
            }
            self.json_operator(op, l, r, left, right, node)
        })())
    }

    fn json_operator(
        &mut self,
        op: &ast::BinaryOperator,
        l: Expr,
        r: Expr,
        left: &ast::Expr,
        right: &ast::Expr,
        node: &ast::Expr,
    ) -> Result<Expr> {
        use PgType::{Bool, Int4, Jsonb, Text, Unknown};
        use ast::BinaryOperator as B;
        let (lt, rt) = (l.ty(), r.ty());
        let symbol = op.to_string();
        let no_op = |b: &Self| b.no_operator(&symbol, lt, rt, node);
        let texty = |t: PgType| t.is_string() || t == Unknown;
        match op {
            B::Arrow | B::LongArrow | B::HashArrow | B::HashLongArrow => {
                if !is_json(lt) {
                    return Err(no_op(self));
                }
                let jsonb = lt == Jsonb;
                let as_text = matches!(op, B::LongArrow | B::HashLongArrow);
                let ty = if as_text { Text } else { lt };
                let (f, want) = match op {
                    B::HashArrow | B::HashLongArrow if rt == TEXT_ARRAY || rt == Unknown => {
                        (JsonFn::Path { jsonb, as_text }, TEXT_ARRAY)
                    }
                    B::Arrow | B::LongArrow if texty(rt) => (JsonFn::Field { jsonb, as_text }, Text),
                    B::Arrow | B::LongArrow if rt.is_integer() => (JsonFn::Element { jsonb, as_text }, Int4),
                    _ => return Err(no_op(self)),
                };
                let r = self.coerce(r, want, right)?;
                Ok(call(f, vec![l, r], ty))
            }
            _ => {
                // The jsonb-only operators: the left operand jsonb (or an
                // untyped literal read as jsonb).
                let left_ok = lt == Jsonb || (lt == Unknown && matches!(op, B::AtArrow | B::ArrowAt) && rt == Jsonb);
                if !left_ok {
                    return Err(no_op(self));
                }
                let l = self.coerce(l, Jsonb, left)?;
                let (f, want) = match op {
                    B::AtArrow | B::ArrowAt if rt == Jsonb || rt == Unknown => (JsonFn::Contains, Jsonb),
                    B::Question if texty(rt) => (JsonFn::Exists, Text),
                    B::QuestionPipe | B::QuestionAnd if rt == TEXT_ARRAY || rt == Unknown => {
                        (JsonFn::ExistsAnyAll { all: matches!(op, B::QuestionAnd) }, TEXT_ARRAY)
                    }
                    B::HashMinus if rt == TEXT_ARRAY || rt == Unknown => (JsonFn::DeletePath, TEXT_ARRAY),
                    _ => return Err(no_op(self)),
                };
                let r = self.coerce(r, want, right)?;
                let ty = if matches!(f, JsonFn::DeletePath) { Jsonb } else { Bool };
                // `a <@ b` is `b @> a`.
                let args = if matches!(op, B::ArrowAt) { vec![r, l] } else { vec![l, r] };
                Ok(call(f, args, ty))
            }
        }
    }

    /// `jsonb || jsonb` (an untyped literal on one side read as jsonb);
    /// `Err` gives the operands back when neither is jsonb.
    pub(super) fn bind_jsonb_concat(
        &mut self,
        l: Expr,
        r: Expr,
        left: &ast::Expr,
        right: &ast::Expr,
    ) -> Result<std::result::Result<Expr, (Expr, Expr)>> {
        let (lt, rt) = (l.ty(), r.ty());
        let fits = |a: PgType, b: PgType| a == PgType::Jsonb && (b == PgType::Jsonb || b == PgType::Unknown);
        if !(fits(lt, rt) || fits(rt, lt)) {
            return Ok(Err((l, r)));
        }
        let l = self.coerce(l, PgType::Jsonb, left)?;
        let r = self.coerce(r, PgType::Jsonb, right)?;
        Ok(Ok(call(JsonFn::Concat, vec![l, r], PgType::Jsonb)))
    }

    /// `jsonb - text`, `jsonb - int`, `jsonb - text[]`; `Err` gives the
    /// operands back when the left one is not jsonb.
    pub(super) fn bind_jsonb_minus(
        &mut self,
        l: Expr,
        r: Expr,
        right: &ast::Expr,
        node: &ast::Expr,
    ) -> Result<std::result::Result<Expr, (Expr, Expr)>> {
        if l.ty() != PgType::Jsonb {
            return Ok(Err((l, r)));
        }
        let rt = r.ty();
        let (f, want) = match rt {
            t if t.is_string() || t == PgType::Unknown => (JsonFn::DeleteKey, PgType::Text),
            t if t.is_integer() => (JsonFn::DeleteIndex, PgType::Int4),
            TEXT_ARRAY => (JsonFn::DeleteKeys, TEXT_ARRAY),
            _ => return Err(self.no_operator("-", PgType::Jsonb, rt, node)),
        };
        let r = self.coerce(r, want, right)?;
        Ok(Ok(call(f, vec![l, r], PgType::Jsonb)))
    }

    /// `json[b]_extract_path[_text](from, VARIADIC path)`.
    pub(super) fn bind_json_extract_path(
        &mut self,
        f: JsonFn,
        name: &str,
        bound: Vec<Expr>,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        let JsonFn::Path { jsonb, as_text } = f else { return Err(self.no_function(name, &bound, node)) };
        let want = if jsonb { PgType::Jsonb } else { PgType::Json };
        let fits = bound.first().is_some_and(|b| b.ty() == want || b.ty() == PgType::Unknown)
            && bound[1..].iter().all(|b| b.ty().is_string() || b.ty() == PgType::Unknown);
        if !fits {
            return Err(self.no_function(name, &bound, node));
        }
        let mut out = Vec::with_capacity(bound.len());
        for (i, (b, a)) in bound.into_iter().zip(args).enumerate() {
            out.push(self.coerce(b, if i == 0 { want } else { PgType::Text }, a)?);
        }
        Ok(call(f, out, if as_text { PgType::Text } else { want }))
    }

    /// A json function that takes arguments of any type: untyped literals
    /// become text; json values are marked in the call (they are text
    /// that nests as JSON, not as a string).
    pub(super) fn bind_json_any_args(
        &mut self,
        f: JsonFn,
        name: &str,
        bound: Vec<Expr>,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        let Some((min, max, ret)) = f.takes_any() else {
            return Err(self.no_function(name, &bound, node));
        };
        if !(min..=max).contains(&bound.len()) {
            return Err(self.no_function(name, &bound, node));
        }
        let mut out = Vec::with_capacity(bound.len());
        let mut json_args = 0u64;
        for (i, (b, a)) in bound.into_iter().zip(args).enumerate() {
            out.push(match b.ty() {
                PgType::Unknown => self.coerce(b, PgType::Text, a)?,
                PgType::Json if i < 64 => {
                    json_args |= 1 << i;
                    b
                }
                PgType::Json => Expr::Cast(Box::new(b), PgType::Jsonb, None),
                _ => b,
            });
        }
        if f == JsonFn::RowToJson && !out.first().is_some_and(|e| e.ty().is_row()) {
            return Err(self.no_function(name, &out, node));
        }
        // The names of a row's fields, where the binder knows them: a
        // row constructor's, a whole row's, a composite type's.
        let names = match out.first() {
            Some(e) if e.row_names().is_some() => e.row_names().map(<[String]>::to_vec),
            Some(e) => match e.ty() {
                PgType::Composite(oid) => Some(self.row_type_of(oid)?.names()),
                _ => None,
            },
            None => None,
        };
        if let (JsonFn::RowToJson | JsonFn::To { .. }, Some(names)) = (f, names) {
            let items = names.iter().map(|n| crate::sql::types::Datum::Text(n.clone())).collect();
            let names = crate::sql::array::ArrayValue { elem: PgType::Text, lower: 1, items }.into_datum();
            out.push(Expr::Const(names, crate::sql::json_fn::TEXT_ARRAY));
        }
        let f = match f {
            JsonFn::To { jsonb, .. } => JsonFn::To { jsonb, json_args },
            JsonFn::BuildObject { jsonb, .. } => JsonFn::BuildObject { jsonb, json_args },
            JsonFn::BuildArray { jsonb, .. } => JsonFn::BuildArray { jsonb, json_args },
            other => other,
        };
        Ok(call(f, out, ret))
    }
}
