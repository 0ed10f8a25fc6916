//! Values of composite types (a relation's row type, or a type made by
//! `CREATE TYPE … AS (…)`): their fields by name (`(v).f`, `(v).*`) and
//! row constructors fitted to a type (`ROW(1, 'x')::t`, a row stored into
//! a column of type `t`).
//!
//! The fields come from the catalog ([`RowType`], through
//! [`super::TableLookup::row_type`]). A row constructor fitted to a type
//! becomes `Cast(Row(fields cast to the field types), Composite(oid))`:
//! the cast only gives the record its type, and `(ROW(…)::t).f` still
//! reads the field's own expression.

use std::sync::Arc;

use sqlparser::ast;

use super::Binder;
use super::row_value::strip_made_up;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::coercion::{self, CastContext};
use crate::sql::expr::Expr;
use crate::sql::func::Func;
use crate::sql::record::RowType;
use crate::sql::types::PgType;

impl Binder<'_> {
    /// The fields of composite type `oid`.
    pub(super) fn row_type_of(&self, oid: u32) -> Result<Arc<RowType>> {
        self.tables.row_type(oid)?.ok_or_else(|| err!(SqlState::UNDEFINED_OBJECT, "type with OID {oid} does not exist"))
    }

    /// The name of type `ty` in messages: a composite type's own name.
    pub(super) fn type_display(&self, ty: PgType) -> String {
        type_name(self.tables, ty)
    }

    /// PostgreSQL's error for a field a composite type lacks.
    pub(super) fn no_field_in_type(&self, ty: PgType, name: &str) -> Result<Error> {
        Ok(err!(SqlState::UNDEFINED_COLUMN, "column \"{name}\" not found in data type {}", self.type_display(ty)))
    }

    /// `(v).name` of a composite value `v` that is no row constructor.
    pub(super) fn composite_field(&mut self, v: Expr, name: &str, node: &ast::Expr) -> Result<Expr> {
        let PgType::Composite(oid) = v.ty() else { return Err(Error::internal("field of a non-composite value")) };
        let row = self.row_type_of(oid)?;
        let Some(i) = row.field(name) else { return Err(self.at(self.no_field_in_type(v.ty(), name)?, node)) };
        let field_ty = row.fields[i].ty;
        let at = u16::try_from(i).map_err(|_| Error::internal("too many fields"))?;
        Ok(Expr::Call(Func::FieldSelect(at), vec![v], field_ty))
    }

    /// `(v).*` of a composite value that is no row constructor: one
    /// column per field.
    pub(super) fn composite_star(&mut self, v: Expr, node: &ast::Expr) -> Result<Vec<(Expr, crate::sql::Column)>> {
        let PgType::Composite(oid) = v.ty() else { return Err(Error::internal("fields of a non-composite value")) };
        let row = self.row_type_of(oid)?;
        let mut out = Vec::with_capacity(row.fields.len());
        for (i, f) in row.fields.iter().enumerate() {
            let at = u16::try_from(i).map_err(|_| self.at(Error::internal("too many fields"), node))?;
            let e = Expr::Call(Func::FieldSelect(at), vec![v.clone()], f.ty);
            out.push((e, crate::sql::Column { name: f.name.clone(), ty: f.ty, typmod: f.typmod }));
        }
        Ok(out)
    }

    /// `SET col.field = e` of an UPDATE: the composite value `current`
    /// (the column, or what earlier field assignments made of it) with
    /// field `field` replaced by `e`. A NULL value becomes a row of NULL
    /// fields but that one, as in PostgreSQL.
    pub(super) fn assign_field(
        &mut self,
        current: Expr,
        (column, oid): (&str, u32),
        field: &str,
        e: &ast::Expr,
    ) -> Result<Expr> {
        let row = self.row_type_of(oid)?;
        let Some(at) = row.field(field) else {
            return Err(self.at(
                err!(
                    SqlState::UNDEFINED_COLUMN,
                    "cannot assign to field \"{field}\" of column \"{column}\" because there is no such column in data type {}",
                    row.name
                ),
                e,
            ));
        };
        let bound = self.bind_expr(e)?;
        let to = &row.fields[at];
        let (tables, from) = (self.tables, bound.ty());
        let value = self.assign_to(bound, to.ty, None, e, || {
            err!(
                SqlState::DATATYPE_MISMATCH,
                "subfield \"{field}\" is of type {} but expression is of type {}",
                type_name(tables, to.ty),
                type_name(tables, from)
            )
            .with_hint("You will need to rewrite or cast the expression.")
        })?;
        let mut fields = Vec::with_capacity(row.fields.len());
        for (i, f) in row.fields.iter().enumerate() {
            if i == at {
                fields.push(value.clone());
                continue;
            }
            let place = u16::try_from(i).map_err(|_| Error::internal("too many fields"))?;
            fields.push(Expr::Call(Func::FieldSelect(place), vec![current.clone()], f.ty));
        }
        Ok(Expr::Cast(Box::new(Expr::Row(fields, row.names())), PgType::Composite(oid), None))
    }

    /// `json_populate_record(base, json)` / `jsonb_populate_record(base,
    /// jsonb)`: of the base's composite type.
    pub(super) fn bind_populate_record(
        &mut self,
        jsonb: bool,
        name: &str,
        (base, json): (&ast::Expr, &ast::Expr),
        node: &ast::Expr,
    ) -> Result<Expr> {
        let json_type = if jsonb { PgType::Jsonb } else { PgType::Json };
        let (b, j) = (self.bind_expr(base)?, self.bind_expr(json)?);
        let j = if j.ty() == PgType::Unknown { self.coerce(j, json_type, json)? } else { j };
        let PgType::Composite(_) = b.ty() else {
            return Err(
                self.at(Error::not_supported(format!("{name} of a base that is not of a composite type")), base)
            );
        };
        if j.ty() != json_type {
            return Err(self.no_function(name, &[b, j], node));
        }
        let ty = b.ty();
        Ok(Expr::Call(Func::PopulateRecord(jsonb), vec![b, j], ty))
    }

    /// A row constructor (or a whole-row reference) of type `record` as a
    /// value of composite type `oid`: as many fields as the type has, each
    /// cast (`explicit`) or assigned to its field's type.
    pub(super) fn row_to_composite(&mut self, e: Expr, oid: u32, explicit: bool, node: &ast::Expr) -> Result<Expr> {
        let row = self.row_type_of(oid)?;
        let cannot = |detail: Option<String>| {
            let e = err!(SqlState::CANNOT_COERCE, "cannot cast type record to {}", row.name);
            match detail {
                Some(d) => e.with_detail(d),
                None => e,
            }
        };
        let Expr::Row(fields, _) = strip_made_up(e) else { return Err(self.at(cannot(None), node)) };
        if fields.len() != row.fields.len() {
            let detail = if fields.len() > row.fields.len() {
                "Input has too many columns."
            } else {
                "Input has too few columns."
            };
            return Err(self.at(cannot(Some(detail.into())), node));
        }
        let context = if explicit { CastContext::Explicit } else { CastContext::Assignment };
        let mut out = Vec::with_capacity(fields.len());
        for (i, (f, to)) in fields.into_iter().zip(&row.fields).enumerate() {
            let from = f.ty();
            if from != PgType::Unknown && from != to.ty && !coercion::allowed(from, to.ty, context) {
                let detail = format!(
                    "Cannot cast type {} to {} in column {}.",
                    self.type_display(from),
                    self.type_display(to.ty),
                    i + 1
                );
                return Err(self.at(cannot(Some(detail)), node));
            }
            out.push(if explicit {
                self.explicit_cast(f, to.ty, None, node)?
            } else {
                self.assign_to(f, to.ty, None, node, || Error::internal("field assignment"))?
            });
        }
        Ok(Expr::Cast(Box::new(Expr::Row(out, row.names())), PgType::Composite(oid), None))
    }
}

/// The name of type `ty` in messages (see [`Binder::type_display`]), for
/// errors made only when they happen.
pub(super) fn type_name(tables: &dyn super::TableLookup, ty: PgType) -> String {
    match ty {
        PgType::Composite(oid) => match tables.row_type(oid) {
            Ok(Some(row)) => row.name.clone(),
            _ => ty.sql_name().to_string(),
        },
        _ => ty.sql_name().to_string(),
    }
}
