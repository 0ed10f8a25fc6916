//! Binding the predicate of a partial index (`CREATE INDEX … WHERE
//! pred`): against the indexed table's columns alone, with no parameters
//! and nothing else in scope. The catalog keeps the predicate as the text
//! [`predicate_text`] prints, and binds that text again whenever it loads
//! the table ([`bind_index_predicate`]).

use std::sync::Arc;

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
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
        if contains_subquery(pred) {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot use subquery in index predicate"));
        }
        self.levels.push(Level::default());
        let r = self.add_rel(table.to_string(), rel_columns(columns)).and_then(|_| {
            self.level().no_aggs = Some("index predicates");
            self.bind_condition(pred, "WHERE")
        });
        self.levels.pop();
        r
    }
}

/// A table's columns as a relation in scope.
pub(super) fn rel_columns(columns: &[Column]) -> Vec<RelColumn> {
    columns
        .iter()
        .map(|c| RelColumn { name: c.name.clone(), ty: c.ty, typmod: c.typmod, merged: false, dropped: c.dropped })
        .collect()
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
    let dialect = PostgreSqlDialect {};
    let pred = Parser::new(&dialect)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::internal(format!("stored index predicate \"{text}\" does not parse: {e}")))?;
    let lookup = NoTables;
    let mut binder = Binder::simple(text, &lookup);
    binder.bind_predicate_of(table, columns, &pred)
}
