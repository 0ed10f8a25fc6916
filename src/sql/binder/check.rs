//! Binding the expression of a CHECK constraint: over the table's
//! columns alone, as a boolean condition, with no subqueries, aggregates,
//! window functions or parameters. The catalog keeps the bound expression
//! as the text [`super::predicate_text`] prints (`pg_constraint.conbin`)
//! and binds that text again whenever it loads the table
//! ([`bind_check_expression`]).

use super::Binder;
use super::index_expr::{NoTables, contains_subquery, rel_columns};
use super::query::Level;
use crate::catalog::Column;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;

/// Bind CHECK expression `text` (SQL) over the columns of table `table`.
pub fn bind_check_expression(text: &str, table: &str, columns: &[Column]) -> Result<Expr> {
    let parsed = crate::sql::parser::stored_text_parser(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| err!(SqlState::SYNTAX_ERROR, "check constraint expression \"{text}\" does not parse: {e}"))?;
    if contains_subquery(&parsed) {
        return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot use subquery in check constraint"));
    }
    let lookup = NoTables;
    let mut binder = Binder::simple(text, &lookup);
    binder.levels.push(Level::default());
    let bound = binder.add_rel(table.to_string(), rel_columns(columns)).and_then(|_| {
        binder.level().no_aggs = Some("check constraints");
        binder.bind_condition(&parsed, "CHECK")
    });
    binder.levels.pop();
    let bound = bound?;
    let mut misplaced = None;
    bound.walk(&mut |e| {
        if let Expr::Param(..) | Expr::Outer(..) | Expr::Sub(_) = e {
            misplaced.get_or_insert(e.clone());
        }
    });
    if misplaced.is_some() {
        return Err(Error::not_supported("this expression in a check constraint"));
    }
    Ok(bound)
}
