//! Row values: `ROW(a, b)` and `(a, b)` as values of type `record`, the
//! whole-row reference `t` (and `ROW(t.*)`), field selection `(r).f`, and
//! comparisons where only one side is written as a row constructor.
//!
//! A whole-row reference to a table is of the table's row type, as in
//! PostgreSQL: its row constructor cast to `PgType::Composite` (see
//! [`super::composite`]); one to a subquery or a view is a `record`. The
//! field names of a row constructor are the binder's ([`Expr::Row`] keeps
//! them): `(t).a` and `(ROW(1, 2)).f1` become the field's own expression;
//! a composite value from anywhere else has its type's names, and a
//! `record` from anywhere else (a subquery's column) has no names to
//! select by, as in PostgreSQL.
//!
//! A whole-row reference to a relation on the nullable side of an outer
//! join is NULL in a row the join made up, as in PostgreSQL. The
//! executor's rows carry no mark of being made up, so the binder tests a
//! NOT NULL column of the relation for NULL; a relation without one (a
//! subquery, a table without NOT NULL columns) is taken to be made up
//! when all its fields are NULL, so that there, unlike PostgreSQL, a row
//! of its own whose fields are all NULL reads as NULL too.
//!
//! Comparisons of two row *constructors* stay column by column (see
//! [`super::row_compare`]): that is PostgreSQL's semantics for them, and
//! it keeps them indexable.

use sqlparser::ast;

use super::Binder;
use super::ident;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::{CmpOp, Expr};
use crate::sql::types::{Datum, PgType};

/// The names PostgreSQL gives the fields of a row constructor.
fn constructor_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("f{i}")).collect()
}

/// The relation label a whole-row reference names: `t` (when it is no
/// column; the caller tries that first), `t.*`, `(t)`, `(t.*)`.
fn whole_row_label(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Nested(inner) => whole_row_label(inner),
        ast::Expr::Identifier(id) => Some(ident(id)),
        ast::Expr::QualifiedWildcard(name, _) => match name.0.as_slice() {
            [part] => part.as_ident().map(ident),
            _ => None,
        },
        _ => None,
    }
}

impl Binder<'_> {
    /// `ROW(a, b, …)` or `(a, b, …)`: a `record` of the fields as bound
    /// (a `t.*` among them stands for t's columns, as in PostgreSQL).
    pub(super) fn bind_row_constructor(&mut self, items: &[&ast::Expr]) -> Result<Expr> {
        let mut fields = Vec::with_capacity(items.len());
        for item in items {
            match item {
                ast::Expr::QualifiedWildcard(..) => match strip_made_up(self.bind_whole_row(item)?) {
                    Expr::Row(columns, _) => fields.extend(columns),
                    other => fields.push(other),
                },
                _ if field_star(item).is_some() => {
                    let root = field_star(item).expect("checked");
                    fields.extend(self.expr_star_targets(root)?.into_iter().map(|(e, _)| e));
                }
                _ => fields.push(self.bind_expr(item)?),
            }
        }
        let names = constructor_names(fields.len());
        Ok(Expr::Row(fields, names))
    }

    /// `ROW(…)` written as a call; `None` for any other function.
    pub(super) fn bind_row_function(&mut self, f: &ast::Function) -> Result<Option<Expr>> {
        if !super::row_compare::is_row_constructor(f) {
            return Ok(None);
        }
        let ast::FunctionArguments::List(list) = &f.args else { return self.bind_row_constructor(&[]).map(Some) };
        let mut items = Vec::with_capacity(list.args.len());
        for a in &list.args {
            items.push(match a {
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => x.clone(),
                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::QualifiedWildcard(name)) => {
                    ast::Expr::QualifiedWildcard(name.clone(), ast::helpers::attached_token::AttachedToken::empty())
                }
                other => return Err(Error::not_supported(format!("row constructor field {other}"))),
            });
        }
        let items: Vec<&ast::Expr> = items.iter().collect();
        self.bind_row_constructor(&items).map(Some)
    }

    /// `t.*` in an expression (not a select list's): t's whole row.
    pub(super) fn bind_whole_row(&mut self, e: &ast::Expr) -> Result<Expr> {
        let label = whole_row_label(e).unwrap_or_default();
        self.whole_row_value(&label).ok_or_else(|| {
            self.at(err!(SqlState::UNDEFINED_TABLE, "missing FROM-clause entry for table \"{label}\""), e)
        })
    }

    /// The row of the relation labelled `label` in scope, innermost level
    /// first: its columns (not dropped or system ones) as a `record`, or
    /// `None` when no relation has that label.
    pub(super) fn whole_row(&mut self, label: &str) -> Option<Expr> {
        self.whole_row_parts(label).map(|(row, _)| row)
    }

    /// The whole row `label` as a value: as [`Binder::whole_row`], but NULL
    /// in a row an outer join made up when the relation is on the join's
    /// nullable side.
    pub(super) fn whole_row_value(&mut self, label: &str) -> Option<Expr> {
        let (row, made_up) = self.whole_row_parts(label)?;
        let ty = row.ty();
        Some(match made_up {
            Some(test) => {
                Expr::Case { whens: vec![(test, Expr::Const(Datum::Null, ty))], otherwise: Some(Box::new(row)), ty }
            }
            None => row,
        })
    }

    /// The row of `label`, and for a relation on the nullable side of an
    /// outer join, the test of whether a row is one the join made up: its
    /// never-NULL column is NULL, or, without one, every field is (which
    /// also takes a row of the relation's own whose fields are all NULL
    /// for a made-up one).
    fn whole_row_parts(&mut self, label: &str) -> Option<(Expr, Option<Expr>)> {
        let depth = self.levels.len();
        for li in (0..depth).rev() {
            let Some(rel) = self.levels[li].rels.iter().find(|r| r.label == label) else { continue };
            let columns: Vec<(usize, PgType, String)> = rel
                .columns
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.dropped && !c.system)
                .map(|(i, c)| (rel.offset + i, c.ty, c.name.clone()))
                .collect();
            let marker = match (rel.nullable, rel.never_null) {
                (false, _) => None,
                (true, Some(k)) => Some(Some((rel.offset + k, rel.columns[k].ty))),
                (true, None) => Some(None),
            };
            let row_type = match (&rel.table, rel.namespace) {
                (Some(name), Some(ns)) => match self.tables.user_type(Some(ns), name) {
                    Ok(Some((oid, b'c'))) => Some(oid),
                    _ => None,
                },
                _ => None,
            };
            let mut fields = Vec::with_capacity(columns.len());
            let mut names = Vec::with_capacity(columns.len());
            for (i, ty, name) in columns {
                fields.push(self.column_at_level(li, i, ty));
                names.push(name);
            }
            let test = match marker {
                None => None,
                Some(Some((i, ty))) => Some(Expr::IsNull(Box::new(self.column_at_level(li, i, ty)), false)),
                Some(None) => crate::sql::expr::join_chain(
                    fields.iter().map(|f| Expr::IsNull(Box::new(f.clone()), false)).collect(),
                    Expr::And,
                ),
            };
            let row = Expr::Row(fields, names);
            // A table's row is of its row type.
            let row = match row_type {
                Some(oid) => Expr::Cast(Box::new(row), PgType::Composite(oid), None),
                None => row,
            };
            return Some((row, test));
        }
        None
    }

    /// `(r).name`: the field of a row the binder knows the fields of.
    pub(super) fn bind_field_selection(
        &mut self,
        root: &ast::Expr,
        field: &ast::Ident,
        node: &ast::Expr,
    ) -> Result<Expr> {
        let name = ident(field);
        if field.value == crate::sql::parser::FIELD_STAR {
            return Err(
                self.at(err!(SqlState::FEATURE_NOT_SUPPORTED, "row expansion via \"*\" is not supported here"), node)
            );
        }
        let label = match root {
            ast::Expr::Nested(inner) if matches!(**inner, ast::Expr::QualifiedWildcard(..)) => whole_row_label(root),
            _ => None,
        };
        let bound = match &label {
            Some(l) => self.whole_row(l).ok_or_else(|| {
                self.at(err!(SqlState::UNDEFINED_TABLE, "missing FROM-clause entry for table \"{l}\""), root)
            })?,
            None => self.bind_expr(root)?,
        };
        let ty = bound.ty();
        let bound = strip_made_up(bound);
        let label = label.or_else(|| whole_row_label(root).filter(|_| matches!(bound, Expr::Row(..))));
        match bound {
            Expr::Row(mut fields, names) => match names.iter().position(|n| *n == name) {
                Some(i) => Ok(fields.swap_remove(i)),
                None if label.is_none() && matches!(ty, PgType::Composite(_)) => {
                    Err(self.at(self.no_field_in_type(ty, &name)?, node))
                }
                None => Err(self.at(self.unknown_field(label.as_deref(), &name), node)),
            },
            e if matches!(ty, PgType::Composite(_)) => self.composite_field(e, &name, node),
            e if e.ty() == PgType::Record => Err(self.at(
                err!(SqlState::UNDEFINED_COLUMN, "could not identify column \"{name}\" in record data type"),
                node,
            )),
            e => Err(self.at(
                err!(
                    SqlState::WRONG_OBJECT_TYPE,
                    "column notation .{name} applied to type {}, which is not a composite type",
                    e.ty().sql_name()
                ),
                node,
            )),
        }
    }

    /// `(r).*` in a select list: the fields of a row the binder knows the
    /// fields of, as columns named after them (`(t).*` is `t.*`).
    pub(super) fn expr_star_targets(&mut self, e: &ast::Expr) -> Result<Vec<(Expr, crate::sql::Column)>> {
        match strip_made_up(self.bind_expr(e)?) {
            Expr::Row(fields, names) => fields
                .into_iter()
                .zip(names)
                .map(|(f, name)| {
                    let f = if f.ty() == PgType::Unknown { self.coerce(f, PgType::Text, e)? } else { f };
                    let typmod = match &f {
                        Expr::Column(i, _) => self.column_typmod(*i),
                        _ => -1,
                    };
                    let ty = f.ty();
                    Ok((f, crate::sql::Column { name, ty, typmod }))
                })
                .collect(),
            b if matches!(b.ty(), PgType::Composite(_)) => self.composite_star(b, e),
            b if b.ty() == PgType::Record => {
                Err(self.at(err!(SqlState::WRONG_OBJECT_TYPE, "record type has not been registered"), e))
            }
            b => Err(err!(SqlState::WRONG_OBJECT_TYPE, "type {} is not composite", b.ty().sql_name())),
        }
    }

    /// A field name a row does not have: a table's row says which column,
    /// any other row only that there is none.
    fn unknown_field(&self, label: Option<&str>, name: &str) -> Error {
        match label {
            Some(l) => err!(SqlState::UNDEFINED_COLUMN, "column {l}.{name} does not exist"),
            None => err!(SqlState::UNDEFINED_COLUMN, "could not identify column \"{name}\" in record data type"),
        }
    }

    /// `left op right` where one side is a row constructor and the other
    /// a `record` value (`t = ROW(1, 'x')`): compared as records
    /// (`record_eq`, `record_lt`, …). `None` when the other side is not a
    /// record; the caller reports that.
    pub(super) fn bind_record_operands(&mut self, left: &ast::Expr, right: &ast::Expr) -> Result<Option<(Expr, Expr)>> {
        let (l, r) = (self.bind_expr(left)?, self.bind_expr(right)?);
        // An untyped literal meeting a record (of a composite type too, as
        // PostgreSQL resolves `record = unknown`) is read as one: NULL is
        // a NULL record, any text `record_in`'s error.
        let (l, r) = match (l.ty(), r.ty()) {
            (a, b) if a.is_row() && b.is_row() => (l, r),
            (t, PgType::Unknown) if t.is_row() => (l, self.coerce(r, PgType::Record, right)?),
            (PgType::Unknown, t) if t.is_row() => (self.coerce(l, PgType::Record, left)?, r),
            _ => return Ok(None),
        };
        Ok(Some((l, r)))
    }

    /// `left op right` between records, as [`Binder::bind_record_operands`].
    pub(super) fn bind_record_comparison(
        &mut self,
        op: CmpOp,
        left: &ast::Expr,
        right: &ast::Expr,
    ) -> Result<Option<Expr>> {
        Ok(self.bind_record_operands(left, right)?.map(|(l, r)| Expr::Cmp(op, Box::new(l), Box::new(r))))
    }
}

/// `(r).*` (see [`crate::sql::parser::FIELD_STAR`]): `r`.
pub(super) fn field_star(e: &ast::Expr) -> Option<&ast::Expr> {
    match e {
        ast::Expr::CompoundFieldAccess { root, access_chain } => match access_chain.as_slice() {
            [ast::AccessExpr::Dot(ast::Expr::Identifier(id))] if id.value == crate::sql::parser::FIELD_STAR => {
                Some(root)
            }
            _ => None,
        },
        _ => None,
    }
}

/// A whole-row reference's row of fields, without the test that makes it
/// NULL in a row an outer join made up (its fields are NULL there, as
/// PostgreSQL's are): what `(t).f`, `(t).*` and `ROW(t.*)` read.
pub(super) fn strip_made_up(e: Expr) -> Expr {
    match e {
        Expr::Case { whens, otherwise: Some(row), ty }
            if ty.is_row() && whens.len() == 1 && is_row(&row) && matches!(whens[0].1, Expr::Const(Datum::Null, _)) =>
        {
            strip_made_up(*row)
        }
        Expr::Cast(row, PgType::Composite(_), None) if matches!(*row, Expr::Row(..)) => *row,
        other => other,
    }
}

/// A row constructor, or one typed as a composite type.
fn is_row(e: &Expr) -> bool {
    match e {
        Expr::Row(..) => true,
        Expr::Cast(row, PgType::Composite(_), None) => matches!(**row, Expr::Row(..)),
        _ => false,
    }
}

/// A table column of type `record`: PostgreSQL's error.
pub(super) fn pseudo_type_column(name: &str) -> Error {
    err!(SqlState::INVALID_TABLE_DEFINITION, "column \"{name}\" has pseudo-type record")
}
