//! Row values: `ROW(a, b)` and `(a, b)` as values of type `record`, the
//! whole-row reference `t` (and `ROW(t.*)`), field selection `(r).f`, and
//! comparisons where only one side is written as a row constructor.
//!
//! tusk has no composite types in its catalog (no `pg_type` row per
//! table), so a whole-row reference is typed `record`, as a `ROW(…)` is;
//! PostgreSQL types it as the table's row type. The field names of a row
//! are the binder's alone ([`Expr::Row`] keeps them): `(t).a` and
//! `(ROW(1, 2)).f1` become the field's own expression, and a record from
//! anywhere else (a subquery's column) has no names to select by, as in
//! PostgreSQL.
//!
//! One difference remains: a whole-row reference to the nullable side of
//! an outer join is, in a row the join made up, a row of NULL fields
//! (`(,)`), where PostgreSQL's is NULL; the executor's rows carry no mark
//! of being made up.
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
use crate::sql::types::PgType;

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
                ast::Expr::QualifiedWildcard(..) => match self.bind_whole_row(item)? {
                    Expr::Row(columns, _) => fields.extend(columns),
                    other => fields.push(other),
                },
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
        self.whole_row(&label).ok_or_else(|| {
            self.at(err!(SqlState::UNDEFINED_TABLE, "missing FROM-clause entry for table \"{label}\""), e)
        })
    }

    /// The row of the relation labelled `label` in scope, innermost level
    /// first: its columns (not dropped or system ones) as a `record`, or
    /// `None` when no relation has that label.
    pub(super) fn whole_row(&mut self, label: &str) -> Option<Expr> {
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
            let mut fields = Vec::with_capacity(columns.len());
            let mut names = Vec::with_capacity(columns.len());
            for (i, ty, name) in columns {
                fields.push(self.column_at_level(li, i, ty));
                names.push(name);
            }
            return Some(Expr::Row(fields, names));
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
        let label = label.or_else(|| whole_row_label(root).filter(|_| matches!(bound, Expr::Row(..))));
        match bound {
            Expr::Row(mut fields, names) => match names.iter().position(|n| *n == name) {
                Some(i) => Ok(fields.swap_remove(i)),
                None => Err(self.at(self.unknown_field(label.as_deref(), &name), node)),
            },
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
        // An untyped literal meeting a record is read as one: NULL is a
        // NULL record, any text `record_in`'s error.
        let (l, r) = match (l.ty(), r.ty()) {
            (PgType::Record, PgType::Record) => (l, r),
            (PgType::Record, PgType::Unknown) => (l, self.coerce(r, PgType::Record, right)?),
            (PgType::Unknown, PgType::Record) => (self.coerce(l, PgType::Record, left)?, r),
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

impl Binder<'_> {
    /// `(a, b) IN (SELECT …)` and `ROW(…) op ANY/ALL (SELECT …)`: compared
    /// column by column in PostgreSQL, which tusk does not do yet. The
    /// error says so, or, when the widths differ, what PostgreSQL says.
    pub(super) fn row_quantified(&mut self, width: usize, q: &ast::Query, node: &ast::Expr) -> Error {
        let columns = match self.bind_sub_any_width(q, node) {
            Ok(Expr::Sub(s)) => s.plan.types().len(),
            Ok(_) => width,
            Err(e) => return e,
        };
        let e = match columns.cmp(&width) {
            std::cmp::Ordering::Greater => err!(SqlState::SYNTAX_ERROR, "subquery has too many columns"),
            std::cmp::Ordering::Less => err!(SqlState::SYNTAX_ERROR, "subquery has too few columns"),
            std::cmp::Ordering::Equal => Error::not_supported("row comparison with a subquery"),
        };
        self.at(e, node)
    }
}

/// A table column of type `record`: PostgreSQL's error.
pub(super) fn pseudo_type_column(name: &str) -> Error {
    err!(SqlState::INVALID_TABLE_DEFINITION, "column \"{name}\" has pseudo-type record")
}
