//! Binding array expressions: `ARRAY[…]` and `ARRAY(SELECT …)`,
//! subscripts and slices, `op ANY/ALL (array)`, `||` with an array, and
//! the array functions, typed as PostgreSQL types their polymorphic
//! (`anyarray`, `anyelement`) signatures. They compute in
//! [`crate::sql::array_fn`].

use sqlparser::ast;

use super::Binder;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::array_fn::ArrayFn;
use crate::sql::expr::{CmpOp, Expr};
use crate::sql::func::Func;
use crate::sql::plan::SubKind;
use crate::sql::types::PgType;

fn call(f: ArrayFn, args: Vec<Expr>, ty: PgType) -> Expr {
    Expr::Call(Func::Array(f), args, ty)
}

impl Binder<'_> {
    /// The array type of `elem` (`integer[]`), or an error.
    pub(super) fn array_type_of(&self, elem: PgType, node: &impl sqlparser::ast::Spanned) -> Result<PgType> {
        if elem.is_array() {
            return Ok(elem);
        }
        PgType::array_of(elem)
            .ok_or_else(|| self.at(Error::not_supported(format!("an array of {}", elem.sql_name())), node))
    }

    /// `ARRAY[a, b, …]`: the elements' common type; `to` is the array type
    /// of an enclosing cast (`ARRAY[]::int[]`), which an empty one needs.
    pub(super) fn bind_array_ctor(&mut self, arr: &ast::Array, to: Option<PgType>, node: &ast::Expr) -> Result<Expr> {
        let mut items = Vec::with_capacity(arr.elem.len());
        for e in &arr.elem {
            if matches!(e, ast::Expr::Array(_)) {
                return Err(self.at(Error::not_supported("multidimensional array"), e));
            }
            items.push(self.bind_expr(e)?);
        }
        let all_unknown = items.iter().all(|e| e.ty() == PgType::Unknown);
        let elem = match to.and_then(PgType::elem) {
            Some(t) if all_unknown => t,
            _ if items.is_empty() => {
                return Err(self.at(
                    err!(SqlState::INDETERMINATE_DATATYPE, "cannot determine type of empty array")
                        .with_hint("Explicitly cast to the desired type, for example ARRAY[]::integer[]."),
                    node,
                ));
            }
            _ => {
                let refs: Vec<&Expr> = items.iter().collect();
                self.common_type(&refs, "ARRAY", arr.elem.first())?
            }
        };
        if elem.is_array() {
            return Err(self.at(Error::not_supported("multidimensional array"), node));
        }
        let Some(ty) = PgType::array_of(elem) else {
            return Err(self.at(
                err!(SqlState::UNDEFINED_OBJECT, "could not find array type for data type {}", elem.sql_name()),
                node,
            ));
        };
        let mut out = Vec::with_capacity(items.len());
        for (e, n) in items.into_iter().zip(&arr.elem) {
            out.push(self.coerce(e, elem, n)?);
        }
        Ok(call(ArrayFn::Ctor(elem), out, ty))
    }

    /// `ARRAY(SELECT …)`.
    pub(super) fn bind_array_subquery(&mut self, q: &ast::Query, node: &ast::Expr) -> Result<Expr> {
        let sub = self.bind_sub(q, SubKind::Array, node)?;
        let Expr::Sub(sp) = &sub else { return Err(Error::internal("subquery expected")) };
        if sp.ty.is_array() || PgType::array_of(sp.ty).is_none() {
            let what = if sp.ty.is_array() {
                "multidimensional array".to_string()
            } else {
                format!("an array of {}", sp.ty.sql_name())
            };
            return Err(self.at(Error::not_supported(what), node));
        }
        Ok(sub)
    }

    /// `a[i]`, `a[i:j]` (one subscript: arrays have one dimension).
    pub(super) fn bind_subscript(
        &mut self,
        root: &ast::Expr,
        chain: &[ast::AccessExpr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        let [ast::AccessExpr::Subscript(sub)] = chain else {
            return Err(self.at(Error::not_supported("multidimensional array"), node));
        };
        let mut a = self.bind_expr(root)?;
        // int2vector and oidvector subscript as the arrays they cast to.
        if let Some(array) = crate::sql::expr::vector_to_array(a.ty()) {
            a = Expr::Cast(Box::new(a), array, None);
        }
        let ty = a.ty();
        let Some(elem) = ty.elem() else {
            return Err(self.at(
                err!(
                    SqlState::DATATYPE_MISMATCH,
                    "cannot subscript type {} because it does not support subscripting",
                    ty.sql_name()
                ),
                root,
            ));
        };
        let index = |b: &mut Self, e: &ast::Expr| -> Result<Expr> {
            let x = b.bind_expr(e)?;
            if !(x.ty().is_integer() || x.ty() == PgType::Unknown) {
                return Err(b.at(err!(SqlState::DATATYPE_MISMATCH, "array subscript must have type integer"), e));
            }
            b.coerce(x, PgType::Int4, e)
        };
        match sub {
            ast::Subscript::Index { index: i } => {
                let i = index(self, i)?;
                Ok(call(ArrayFn::Subscript, vec![a, i], elem))
            }
            ast::Subscript::Slice { lower_bound, upper_bound, stride: None } => {
                let mut args = vec![a];
                if let Some(l) = lower_bound {
                    args.push(index(self, l)?);
                }
                if let Some(u) = upper_bound {
                    args.push(index(self, u)?);
                }
                Ok(call(ArrayFn::Slice(lower_bound.is_some(), upper_bound.is_some()), args, ty))
            }
            _ => Err(self.at(Error::not_supported("array slices with a stride"), node)),
        }
    }

    /// `x op ANY (array)`, `x op ALL (array)`.
    pub(super) fn bind_array_quantified(
        &mut self,
        left: &ast::Expr,
        op: CmpOp,
        all: bool,
        right: &ast::Expr,
        node: &ast::Expr,
    ) -> Result<Expr> {
        let l = self.bind_expr(left)?;
        let r = self.bind_expr(right)?;
        let (lt, rt) = (l.ty(), r.ty());
        // An untyped array ($1, '{…}') is an array of the left side's type.
        let rt = match rt {
            PgType::Unknown => PgType::array_of(if lt == PgType::Unknown { PgType::Text } else { lt }).unwrap_or(rt),
            t => t,
        };
        let Some(elem) = rt.elem() else {
            let e = err!(SqlState::WRONG_OBJECT_TYPE, "op ANY/ALL (array) requires array on right side");
            return Err(self.at(e, node));
        };
        let Some(ty) = super::comparison_type(lt, elem) else {
            return Err(self.no_operator(op.symbol(), lt, elem, node));
        };
        let l = self.coerce(l, ty, left)?;
        let array_ty = PgType::array_of(ty).unwrap_or(rt);
        let r = self.coerce(r, array_ty, right)?;
        Ok(call(ArrayFn::Any { op, all }, vec![l, r], PgType::Bool))
    }

    /// `a @> b`, `a <@ b`, `a && b` over arrays of one type (an untyped
    /// side, `'{…}'`, of the other's).
    pub(super) fn array_containment(
        &mut self,
        op: &ast::BinaryOperator,
        l: Expr,
        r: Expr,
        left: &ast::Expr,
        right: &ast::Expr,
        node: &ast::Expr,
    ) -> Result<Expr> {
        let (lt, rt) = (l.ty(), r.ty());
        let ty = if lt == PgType::Unknown { rt } else { lt };
        if ty.elem().is_none() || (rt != ty && rt != PgType::Unknown) {
            return Err(self.no_operator(&op.to_string(), lt, rt, node));
        }
        let l = self.coerce(l, ty, left)?;
        let r = self.coerce(r, ty, right)?;
        Ok(match op {
            ast::BinaryOperator::ArrowAt => call(ArrayFn::ContainedBy, vec![l, r], PgType::Bool),
            ast::BinaryOperator::PGOverlap => call(ArrayFn::Overlap, vec![l, r], PgType::Bool),
            _ => call(ArrayFn::Contains, vec![l, r], PgType::Bool),
        })
    }

    /// `a || b` where a side is an array: `array_cat`, `array_append` or
    /// `array_prepend`; `None` when neither side is an array.
    pub(super) fn bind_array_concat(
        &mut self,
        l: Expr,
        r: Expr,
        left: &ast::Expr,
        right: &ast::Expr,
        node: &ast::Expr,
    ) -> Result<std::result::Result<Expr, (Expr, Expr)>> {
        let (lt, rt) = (l.ty(), r.ty());
        let expr = match (lt.elem(), rt.elem()) {
            (Some(_), Some(_)) => self.array_call("array_cat", ArrayFn::Cat, vec![l, r], &[left, right], node)?,
            // An untyped operand (NULL, '{…}') is an array, as PostgreSQL resolves it.
            (Some(e), None) if rt != PgType::Unknown => {
                let r = self.coerce(r, e, right)?;
                call(ArrayFn::Append(e), vec![l, r], lt)
            }
            (Some(_), None) => {
                let r = self.coerce(r, lt, right)?;
                call(ArrayFn::Cat, vec![l, r], lt)
            }
            (None, Some(e)) if lt != PgType::Unknown => {
                let l = self.coerce(l, e, left)?;
                call(ArrayFn::Prepend(e), vec![l, r], rt)
            }
            (None, Some(_)) => {
                let l = self.coerce(l, rt, left)?;
                call(ArrayFn::Cat, vec![l, r], rt)
            }
            (None, None) => return Ok(Err((l, r))),
        };
        Ok(Ok(expr))
    }

    /// The array functions by name; `None` for other names.
    pub(super) fn bind_array_function(
        &mut self,
        name: &str,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Option<Result<Expr>> {
        let f = match name {
            "array_length" => ArrayFn::Length,
            "cardinality" => ArrayFn::Cardinality,
            "array_upper" => ArrayFn::Upper,
            "array_lower" => ArrayFn::Lower,
            "array_dims" => ArrayFn::Dims,
            "array_to_string" => ArrayFn::ToString,
            "string_to_array" => ArrayFn::StringToArray,
            "array_position" => ArrayFn::Position,
            "array_append" => ArrayFn::Append(PgType::Unknown),
            "array_prepend" => ArrayFn::Prepend(PgType::Unknown),
            "array_cat" => ArrayFn::Cat,
            "array_remove" => ArrayFn::Remove,
            _ => return None,
        };
        Some((|| {
            let mut bound = Vec::with_capacity(args.len());
            for a in args {
                bound.push(self.bind_expr(a)?);
            }
            self.array_call(name, f, bound, args, node)
        })())
    }

    /// Type a call of an array function by its polymorphic signature.
    fn array_call(
        &mut self,
        name: &str,
        f: ArrayFn,
        args: Vec<Expr>,
        nodes: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        use PgType::{Int4, Text};
        let types: Vec<PgType> = args.iter().map(Expr::ty).collect();
        // The array argument's type (an untyped literal cannot stand for anyarray).
        let array_at = |i: usize| types.get(i).copied().filter(|t| t.is_array());
        // (argument types wanted, result type), or no such function.
        let sig: Option<(Vec<PgType>, PgType)> = match (f, types.len()) {
            (ArrayFn::Length | ArrayFn::Upper | ArrayFn::Lower, 2) => array_at(0).map(|a| (vec![a, Int4], Int4)),
            (ArrayFn::Cardinality, 1) => array_at(0).map(|a| (vec![a], Int4)),
            (ArrayFn::Dims, 1) => array_at(0).map(|a| (vec![a], Text)),
            (ArrayFn::ToString, 2 | 3) => array_at(0).map(|a| {
                let mut want = vec![a, Text];
                want.extend((types.len() == 3).then_some(Text));
                (want, Text)
            }),
            (ArrayFn::StringToArray, 2 | 3) => {
                let text_array = PgType::array_of(Text).unwrap_or(Text);
                Some((vec![Text; types.len()], text_array))
            }
            (ArrayFn::Position, 2 | 3) | (ArrayFn::Remove, 2) => array_at(0).and_then(|a| {
                let elem = a.elem()?;
                let mut want = vec![a, elem];
                want.extend((types.len() == 3).then_some(Int4));
                let ret = if f == ArrayFn::Remove { a } else { Int4 };
                Some((want, ret))
            }),
            (ArrayFn::Append(_), 2) => {
                let a = array_at(0).or_else(|| PgType::array_of(types[1]).filter(|_| types[0] == PgType::Unknown));
                a.and_then(|a| Some((vec![a, a.elem()?], a)))
            }
            (ArrayFn::Prepend(_), 2) => {
                let a = array_at(1).or_else(|| PgType::array_of(types[0]).filter(|_| types[1] == PgType::Unknown));
                a.and_then(|a| Some((vec![a.elem()?, a], a)))
            }
            (ArrayFn::Cat, 2) => match (array_at(0), array_at(1)) {
                (Some(a), Some(b)) if a == b => Some((vec![a, b], a)),
                (Some(a), Some(b)) => super::comparison_type(a, b).filter(|t| t.is_array()).map(|t| (vec![t, t], t)),
                (Some(a), None) | (None, Some(a)) => Some((vec![a, a], a)),
                (None, None) => None,
            },
            _ => None,
        };
        let Some((want, ret)) = sig else {
            return Err(self.no_function(name, &args, node));
        };
        let fits = args.iter().zip(&want).all(|(a, w)| {
            let t = a.ty();
            t == *w || t == PgType::Unknown || super::implicit_coercion(t, *w)
        });
        if !fits {
            return Err(self.no_function(name, &args, node));
        }
        let mut out = Vec::with_capacity(args.len());
        for ((a, w), n) in args.into_iter().zip(&want).zip(nodes) {
            out.push(self.coerce(a, *w, n)?);
        }
        let f = match f {
            ArrayFn::Append(_) | ArrayFn::Prepend(_) => {
                let elem = ret.elem().unwrap_or(PgType::Text);
                if matches!(f, ArrayFn::Append(_)) { ArrayFn::Append(elem) } else { ArrayFn::Prepend(elem) }
            }
            other => other,
        };
        Ok(call(f, out, ret))
    }
}
