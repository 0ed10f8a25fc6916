//! Table columns of the OID alias types (`regclass`, `regtype`,
//! `regproc`, …, and arrays of them).
//!
//! In memory a value of these types is the name it prints as (see
//! [`super::regtypes`]); a table keeps the OID instead, as PostgreSQL
//! does, so that a renamed object prints by its new name and a dropped
//! one by its number. The stored form is the OID's decimal digits, held
//! as the column's text; the executor converts at the heap's edges:
//!
//! ```text
//!  INSERT/UPDATE/COPY: 'pg_class' ──to_stored──▶ "1259"   (heap, indexes)
//!  scans:              "1259"     ──from_stored─▶ pg_class (or "16999" once dropped)
//! ```
//!
//! Digits read back as the same OID, so a value that reaches
//! [`to_stored`] already stored (a row copied by a table rewrite) keeps
//! its OID. An index on such a column orders the digits, not the names,
//! so the planner does not search one by a value (see `index_usable`).

use std::borrow::Cow;

use arrow_array::ArrayRef;

use super::batch::{ColumnBuilder, datum_at};
use super::expr::{EvalContext, oid_alias_cast};
use super::types::{Datum, PgType};
use crate::catalog::Table;
use crate::error::Result;

/// Whether values of type `ty` are stored as OIDs: an OID alias type or
/// an array of one.
pub fn stores_oid(ty: PgType) -> bool {
    ty.is_oid_alias() || ty.elem().is_some_and(PgType::is_oid_alias)
}

/// Whether any live column of `table` stores OIDs.
pub fn has_oid_columns(table: &Table) -> bool {
    table.columns.iter().any(|c| !c.dropped && stores_oid(c.ty))
}

/// Map each non-null value of type `ty` (or each element, for an array)
/// through `f`, which takes the scalar type.
fn map_value(v: Datum, ty: PgType, f: &mut dyn FnMut(Datum, PgType) -> Result<Datum>) -> Result<Datum> {
    match (v, ty.elem()) {
        (Datum::Null, _) => Ok(Datum::Null),
        (Datum::Array(mut a), Some(elem)) => {
            let items = std::mem::take(&mut a.items);
            a.items = items.into_iter().map(|d| if d.is_null() { Ok(d) } else { f(d, elem) }).collect::<Result<_>>()?;
            Ok(Datum::Array(a))
        }
        (v, _) => f(v, ty),
    }
}

/// A value of OID alias type `ty` as stored: its OID's digits.
fn store(v: Datum, ty: PgType, ctx: &mut dyn EvalContext) -> Result<Datum> {
    match oid_alias_cast(v, ty, PgType::Oid, ctx)? {
        Datum::Oid(oid) => Ok(Datum::Text(oid.to_string())),
        other => Ok(other),
    }
}

/// A stored value of OID alias type `ty` as it is held in memory.
fn load(v: Datum, ty: PgType, ctx: &mut dyn EvalContext) -> Result<Datum> {
    let oid = match &v {
        Datum::Text(digits) => digits.parse::<u32>().ok(),
        _ => None,
    };
    match oid {
        Some(oid) => oid_alias_cast(Datum::Oid(oid), PgType::Oid, ty, ctx),
        // Not digits: written before OIDs were stored; held as it is.
        None => Ok(v),
    }
}

/// The row `values` of `table` as the heap stores it: names of the OID
/// alias columns become their OIDs (the lookup fails as the cast does).
pub fn to_stored<'v>(table: &Table, values: &'v [Datum], ctx: &mut dyn EvalContext) -> Result<Cow<'v, [Datum]>> {
    if !has_oid_columns(table) {
        return Ok(Cow::Borrowed(values));
    }
    let mut row = values.to_vec();
    for (v, c) in row.iter_mut().zip(&table.columns) {
        if !c.dropped && stores_oid(c.ty) {
            *v = map_value(std::mem::replace(v, Datum::Null), c.ty, &mut |d, t| store(d, t, ctx))?;
        }
    }
    Ok(Cow::Owned(row))
}

/// A row of `table` read from the heap (all its columns), its OID alias
/// columns turned back into names.
pub fn from_stored(table: &Table, values: &mut [Datum], ctx: &mut dyn EvalContext) -> Result<()> {
    for (v, c) in values.iter_mut().zip(&table.columns) {
        if !c.dropped && stores_oid(c.ty) {
            *v = map_value(std::mem::replace(v, Datum::Null), c.ty, &mut |d, t| load(d, t, ctx))?;
        }
    }
    Ok(())
}

/// As [`from_stored`], for the columns of a scanned batch (one per
/// column of `table`, in order).
pub fn columns_from_stored(
    table: &Table,
    columns: &mut [ArrayRef],
    rows: usize,
    ctx: &mut dyn EvalContext,
) -> Result<()> {
    for (col, c) in columns.iter_mut().zip(&table.columns) {
        if c.dropped || !stores_oid(c.ty) || col.len() < rows {
            continue;
        }
        let mut builder = ColumnBuilder::new(c.ty, rows);
        for i in 0..rows {
            let v = map_value(datum_at(col, c.ty, i), c.ty, &mut |d, t| load(d, t, ctx))?;
            builder.push(&v)?;
        }
        *col = builder.finish();
    }
    Ok(())
}
