//! Column defaults: checking a default expression where CREATE TABLE or
//! ALTER TABLE … SET DEFAULT writes one, turning it into the text stored
//! in `pg_attrdef.adbin` (as `pg_get_expr` prints PostgreSQL's: `5`,
//! `'x'::text`, `(1 + 2)`, `'-1'::integer`, `CURRENT_TIMESTAMP`), and
//! binding a stored default where a statement needs a column's value
//! ([`Binder::column_default`]).

use sqlparser::ast;

use super::{Binder, query};
use crate::catalog;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;
use crate::sql::types::{Datum, PgType};

/// Binding inside a stored expression: error positions would point into
/// another text, so there are none (as inside a view's query).
const STORED_TEXT: u32 = u32::MAX;

/// Whether an entry of the binder's `expanding` stands for a stored
/// expression rather than a view.
pub(super) fn is_stored_text(oid: u32) -> bool {
    oid == STORED_TEXT
}

impl Binder<'_> {
    /// Bind `e` alone (no columns in scope), as a default of `col`.
    fn bind_default_expr(&mut self, e: &ast::Expr, col: &catalog::Column) -> Result<Expr> {
        self.levels.push(query::Level::default());
        let bound = self.bind_expr(e);
        self.levels.pop();
        let bound = bound?;
        let mut subplans = Vec::new();
        bound.subplans(&mut subplans);
        if !subplans.is_empty() {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot use subquery in DEFAULT expression"));
        }
        self.assign(bound, col, e).map_err(|err| {
            if err.code() != SqlState::DATATYPE_MISMATCH {
                return err;
            }
            // PostgreSQL reports it without a position.
            let message = err.message().replacen("but expression", "but default expression", 1);
            Error::new(err.code(), message).with_hint("You will need to rewrite or cast the expression.")
        })
    }

    /// The text to store for default `e` of column `col` (`None` for a
    /// NULL default, which PostgreSQL does not store), after checking that
    /// it binds and fits the column's type.
    pub(super) fn default_text(&mut self, e: &ast::Expr, col: &catalog::Column) -> Result<Option<String>> {
        self.bind_default_expr(e, col)?;
        if matches!(e, ast::Expr::Value(v) if v.value == ast::Value::Null) {
            return Ok(None);
        }
        Ok(Some(self.deparse(e, Some(col.ty))))
    }

    /// What a statement stores into column `col` when it gives no value:
    /// its default expression, bound (evaluated per row, so `nextval` and
    /// `clock_timestamp()` differ row by row), or NULL.
    pub fn column_default(&mut self, col: &catalog::Column) -> Result<Expr> {
        let domain_default = col.domain.as_ref().and_then(|d| d.default.as_ref());
        let Some(text) = col.default.as_ref().or(domain_default) else { return Ok(Expr::Const(Datum::Null, col.ty)) };
        let parsed = crate::sql::parser::stored_text_parser(text).and_then(|mut p| p.parse_expr());
        let e =
            parsed.map_err(|e| Error::internal(format!("default of column \"{}\" does not parse: {e}", col.name)))?;
        self.expanding.push(STORED_TEXT);
        let bound = self.bind_default_expr(&e, col);
        self.expanding.pop();
        bound
    }

    /// PostgreSQL's text of an expression as written (`hint`: the type
    /// an untyped literal takes here).
    fn deparse(&self, e: &ast::Expr, hint: Option<PgType>) -> String {
        use ast::Expr as E;
        let literal = |s: &str, ty: PgType| format!("'{}'::{}", s.replace('\'', "''"), ty.sql_name());
        match e {
            E::Nested(inner) => self.deparse(inner, hint),
            E::Value(v) => match &v.value {
                ast::Value::Number(n, _) => number_text(n, false),
                ast::Value::SingleQuotedString(s) => literal(s, hint.unwrap_or(PgType::Text)),
                ast::Value::Boolean(b) => b.to_string(),
                ast::Value::Null => "NULL".into(),
                other => other.to_string(),
            },
            E::UnaryOp { op: ast::UnaryOperator::Minus, expr } => match expr.as_ref() {
                E::Value(v) => match &v.value {
                    ast::Value::Number(n, _) => number_text(n, true),
                    _ => format!("(- {})", self.deparse(expr, None)),
                },
                other => format!("(- {})", self.deparse(other, None)),
            },
            E::BinaryOp { left, op, right } => {
                let hint = match op {
                    ast::BinaryOperator::StringConcat => Some(PgType::Text),
                    _ => None,
                };
                format!("({} {op} {})", self.deparse(left, hint), self.deparse(right, hint))
            }
            E::Cast { expr, data_type, kind: ast::CastKind::DoubleColon | ast::CastKind::Cast, format: None } => {
                let ty = self.resolve_type(data_type, e).map(|(t, _)| t).ok();
                match (expr.as_ref(), ty) {
                    (E::Value(v), Some(ty)) if matches!(v.value, ast::Value::SingleQuotedString(_)) => {
                        self.deparse(expr, Some(ty))
                    }
                    (E::Value(v), Some(ty)) if matches!(v.value, ast::Value::Number(..)) => {
                        literal(&v.value.to_string(), ty)
                    }
                    (_, Some(ty)) => format!("({})::{}", self.deparse(expr, None), ty.sql_name()),
                    (_, None) => e.to_string(),
                }
            }
            E::Function(f) => {
                let name = f.name.to_string();
                let keyword = ["current_timestamp", "current_date", "localtimestamp", "localtime", "current_time"]
                    .iter()
                    .chain(&["current_user", "session_user", "user", "current_role", "current_catalog"])
                    .find(|k| name.eq_ignore_ascii_case(k));
                match (&f.args, keyword) {
                    (ast::FunctionArguments::None, Some(k)) => k.to_ascii_uppercase(),
                    (ast::FunctionArguments::List(list), _) if list.clauses.is_empty() => {
                        let args: Vec<String> = list
                            .args
                            .iter()
                            .map(|a| match a {
                                ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => {
                                    self.deparse(x, argument_hint(&name))
                                }
                                other => other.to_string(),
                            })
                            .collect();
                        // `CURRENT_TIME(0)`: a keyword with a precision keeps its capitals.
                        let name = keyword.map_or_else(|| name.to_ascii_lowercase(), |k| k.to_ascii_uppercase());
                        format!("{name}({})", args.join(", "))
                    }
                    _ => e.to_string(),
                }
            }
            other => other.to_string(),
        }
    }
}

/// The type an untyped literal takes as an argument of function `name`.
fn argument_hint(name: &str) -> Option<PgType> {
    match name.to_ascii_lowercase().as_str() {
        "nextval" | "currval" => Some(PgType::RegClass),
        _ => None,
    }
}

/// An integer or decimal constant as PostgreSQL prints it: int4 plainly,
/// int8 and negative numbers as quoted literals with their type.
fn number_text(n: &str, negative: bool) -> String {
    let signed = if negative { format!("-{n}") } else { n.to_string() };
    if let Ok(v) = signed.parse::<i32>() {
        return if v < 0 { format!("'{v}'::integer") } else { v.to_string() };
    }
    if let Ok(v) = signed.parse::<i64>() {
        return format!("'{v}'::bigint");
    }
    if negative { format!("'{signed}'::numeric") } else { signed }
}
