//! Binding the conversion ALTER TABLE … ALTER COLUMN … TYPE applies to
//! each value of a column: the column itself, or its `USING` expression
//! (over the row's columns as they were), assigned to the new type with
//! the assignment casts an INSERT would use. A column whose values have
//! no assignment cast to the new type needs an explicit `USING` (42804).

use super::Binder;
use super::index_expr::{NoTables, contains_subquery, rel_columns};
use super::query::Level;
use crate::catalog::Column;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;

/// The expression giving column `index` of `table`'s row (of `columns`)
/// its value of type `target` (the column as it becomes), from `using`
/// (SQL text) or else from the value itself.
pub fn bind_type_conversion(
    table: &str,
    columns: &[Column],
    index: usize,
    target: &Column,
    using: Option<&str>,
) -> Result<Expr> {
    let name = &columns[index].name;
    let text = using.map_or_else(|| quoted(name), str::to_string);
    let parsed = crate::sql::parser::stored_text_parser(&text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| Error::internal(format!("USING expression \"{text}\" does not parse: {e}")))?;
    if using.is_some() && contains_subquery(&parsed) {
        return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot use subquery in transform expression"));
    }
    let lookup = NoTables;
    let mut binder = Binder::simple(&text, &lookup);
    binder.levels.push(Level::default());
    let bound = binder.add_rel(table.to_string(), rel_columns(columns)).and_then(|_| {
        binder.level().no_aggs = Some("transform expressions");
        binder.bind_expr(&parsed)
    });
    let assigned = bound.and_then(|e| binder.assign(e, target, &parsed));
    binder.levels.pop();
    let type_name = target.ty.sql_name();
    assigned.map_err(|e| match (e.code() == SqlState::DATATYPE_MISMATCH, using) {
        (false, _) => e,
        (true, None) => {
            err!(SqlState::DATATYPE_MISMATCH, "column \"{name}\" cannot be cast automatically to type {type_name}")
                .with_hint(format!("You might need to specify \"USING {}::{type_name}\".", quoted(name)))
        }
        (true, Some(_)) => err!(
            SqlState::DATATYPE_MISMATCH,
            "result of USING clause for column \"{name}\" cannot be cast automatically to type {type_name}"
        )
        .with_hint("You might need to add an explicit cast."),
    })
}

/// A column name as SQL would write it (quoted unless plain lower case).
fn quoted(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { name.to_string() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// Whether values of column `from` are stored, compared and indexed alike
/// as values of column `to`, so that the type can change without a
/// rewrite (PostgreSQL's binary-coercible casts that need no length
/// check): varchar to text, text to unbounded varchar, a varchar made
/// longer or unbounded.
pub fn binary_coercible(from: &Column, to: &Column) -> bool {
    use crate::sql::types::PgType::{Text, Varchar};
    match (from.ty, to.ty) {
        (a, b) if a == b && from.typmod == to.typmod => true,
        (Varchar, Text) | (Text, Text) => true,
        (Varchar | Text, Varchar) if to.typmod < 0 => true,
        (Varchar, Varchar) => from.typmod >= 0 && to.typmod >= from.typmod,
        _ => false,
    }
}
