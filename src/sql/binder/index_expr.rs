//! Binding the predicate of a partial index (`CREATE INDEX … WHERE
//! pred`) and the key expressions of an expression index (`CREATE INDEX
//! … (lower(email))`): against the indexed table's columns alone, with no
//! parameters and nothing else in scope, and with immutable functions
//! only. The catalog keeps each as the text [`predicate_text`] prints, and
//! binds that text again whenever it loads the table
//! ([`bind_index_predicate`], [`bind_index_expression`]).

use std::sync::Arc;

use sqlparser::ast;
use sqlparser::parser::Parser;

use super::query::{Level, RelColumn};
use super::{Binder, TableLookup};
use crate::catalog::{Column, Table};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;
use crate::txn::lock::LockMode;

/// A lookup that knows no tables: an index predicate names only columns.
pub(super) struct NoTables;

impl TableLookup for NoTables {
    fn table(&self, _name: &str, _mode: LockMode) -> Result<Option<Arc<Table>>> {
        Ok(None)
    }
    fn table_in(&self, _namespace: u32, _name: &str, _mode: LockMode) -> Result<Option<Arc<Table>>> {
        Ok(None)
    }
}

impl Binder<'_> {
    /// `WHERE pred` of CREATE INDEX on `table`, bound over its columns.
    pub(super) fn bind_predicate_of(&mut self, table: &str, columns: &[Column], pred: &ast::Expr) -> Result<Expr> {
        self.bind_over_table(table, columns, pred, "predicate")
    }

    /// A key expression of CREATE INDEX on `table`, bound over its columns.
    pub(super) fn bind_key_expression_of(&mut self, table: &str, columns: &[Column], e: &ast::Expr) -> Result<Expr> {
        self.bind_over_table(table, columns, e, "expression")
    }

    /// An index `what` ("predicate", "expression") over `table`'s columns
    /// alone: no subqueries or aggregates, immutable functions only.
    fn bind_over_table(&mut self, table: &str, columns: &[Column], e: &ast::Expr, what: &'static str) -> Result<Expr> {
        if contains_subquery(e) {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot use subquery in index {what}"));
        }
        self.levels.push(Level::default());
        let r = self.add_rel(table.to_string(), rel_columns(columns)).and_then(|_| {
            if what == "predicate" {
                self.level().no_aggs = Some("index predicates");
                self.bind_condition(e, "WHERE")
            } else {
                self.level().no_aggs = Some("index expressions");
                self.bind_expr(e)
            }
        });
        self.levels.pop();
        let bound = r?;
        if !immutable(&bound) {
            return Err(err!(
                SqlState::INVALID_OBJECT_DEFINITION,
                "functions in index {what} must be marked IMMUTABLE"
            ));
        }
        Ok(bound)
    }
}

/// Whether an index expression's value depends on the row alone.
fn immutable(e: &Expr) -> bool {
    let mut ok = true;
    e.walk(&mut |e| {
        ok &= match e {
            Expr::Call(f, ..) => f.immutable(),
            Expr::Sub(_) | Expr::Param(..) | Expr::Outer(..) => false,
            _ => true,
        }
    });
    ok
}

/// A table's columns as a relation in scope.
pub(super) fn rel_columns(columns: &[Column]) -> Vec<RelColumn> {
    columns.iter().map(RelColumn::of_table).collect()
}

pub(super) fn contains_subquery(e: &ast::Expr) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    matches!(e, ast::Expr::Subquery(_) | ast::Expr::Exists { .. }) || text.contains("(select ")
}

/// The text a bound predicate is stored as (and `pg_get_indexdef` shows
/// after `WHERE`), as PostgreSQL prints it: `(b > 0)`, or `open` (a
/// column alone has no parentheses).
pub fn predicate_text(expr: &Expr, columns: &[Column]) -> String {
    let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    crate::sql::explain::expression(expr, &names)
}

/// Bind a stored index predicate (see [`predicate_text`]) over the
/// columns of table `table`.
pub fn bind_index_predicate(text: &str, table: &str, columns: &[Column]) -> Result<Expr> {
    let pred = crate::sql::parser::stored_text_parser(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::internal(format!("stored index predicate \"{text}\" does not parse: {e}")))?;
    let lookup = NoTables;
    let mut binder = Binder::simple(text, &lookup);
    binder.bind_predicate_of(table, columns, &pred)
}

/// Bind a stored index key expression (see [`predicate_text`]) over the
/// columns of table `table`.
pub fn bind_index_expression(text: &str, table: &str, columns: &[Column]) -> Result<Expr> {
    let e = crate::sql::parser::stored_text_parser(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::internal(format!("stored index expression \"{text}\" does not parse: {e}")))?;
    let lookup = NoTables;
    let mut binder = Binder::simple(text, &lookup);
    binder.bind_key_expression_of(table, columns, &e)
}

/// The expressions of a stored `pg_index.indexprs` (their texts joined
/// by ", "), each as text to bind.
pub fn split_index_expressions(text: &str) -> Result<Vec<String>> {
    let exprs = crate::sql::parser::stored_text_parser(text)
        .and_then(|mut p| p.parse_comma_separated(Parser::parse_expr))
        .map_err(|e| Error::internal(format!("stored index expressions \"{text}\" do not parse: {e}")))?;
    Ok(exprs.iter().map(ToString::to_string).collect())
}
