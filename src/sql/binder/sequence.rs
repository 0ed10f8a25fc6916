//! Binding of CREATE SEQUENCE, ALTER SEQUENCE and ALTER TABLE … ALTER
//! COLUMN … SET/DROP DEFAULT: options become [`SeqOptions`], checked
//! against the sequence when the statement runs.

use sqlparser::ast;

use super::ddl::public_name;
use super::{Binder, ident};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::Statement;
use crate::sql::sequence::SeqOptions;
use crate::sql::types::PgType;

/// A number written in an option (`-5`, `+3`, `10`).
pub(super) fn option_number(e: &ast::Expr) -> Result<i64> {
    let (negative, v) = match e {
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => (true, expr.as_ref()),
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Plus, expr } => (false, expr.as_ref()),
        other => (false, other),
    };
    let text = match v {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.clone(),
            other => return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{other}\"")),
        },
        other => return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{other}\"")),
    };
    let text = if negative { format!("-{text}") } else { text };
    text.parse::<i64>()
        .map_err(|_| err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value \"{text}\" is out of range for type bigint"))
}

/// The options as written, each at most once (the parser saw to that).
pub(super) fn seq_options(options: &[ast::SequenceOptions]) -> Result<SeqOptions> {
    use ast::SequenceOptions as O;
    let mut out = SeqOptions::default();
    for o in options {
        match o {
            O::DataType(dt) => {
                let name = dt.to_string().to_ascii_lowercase();
                out.ty = Some(match name.as_str() {
                    "smallint" | "int2" => PgType::Int2,
                    "int" | "integer" | "int4" => PgType::Int4,
                    "bigint" | "int8" => PgType::Int8,
                    _ => {
                        return Err(err!(
                            SqlState::INVALID_PARAMETER_VALUE,
                            "sequence type must be smallint, integer, or bigint"
                        ));
                    }
                });
            }
            O::IncrementBy(e, _) => out.increment = Some(option_number(e)?),
            O::MinValue(v) => out.min = Some(v.as_ref().map(option_number).transpose()?),
            O::MaxValue(v) => out.max = Some(v.as_ref().map(option_number).transpose()?),
            O::StartWith(e, _) => out.start = Some(option_number(e)?),
            O::Cache(e) => out.cache = Some(option_number(e)?),
            // `Cycle(true)` is NO CYCLE.
            O::Cycle(no) => out.cycle = Some(!no),
            O::OwnedBy(None) => out.owned_by = Some(None),
            O::OwnedBy(Some(name)) => {
                let parts: Vec<String> = name.0.iter().filter_map(|p| p.as_ident()).map(ident).collect();
                let (table, column) = match parts.as_slice() {
                    [t, c] => (t.clone(), c.clone()),
                    [schema, t, c] if schema == "public" => (t.clone(), c.clone()),
                    _ => {
                        return Err(err!(SqlState::SYNTAX_ERROR, "invalid OWNED BY option")
                            .with_hint("Specify OWNED BY table.column or OWNED BY NONE."));
                    }
                };
                out.owned_by = Some(Some((table, column)));
            }
        }
    }
    Ok(out)
}

impl Binder<'_> {
    pub(super) fn bind_create_sequence(
        &mut self,
        temporary: bool,
        if_not_exists: bool,
        name: &ast::ObjectName,
        options: &[ast::SequenceOptions],
    ) -> Result<Statement> {
        let options = seq_options(options)?;
        // Checked now for the errors' sake; again when it runs.
        options.resolve(None)?;
        let name = if temporary { super::temp::temp_relation_name(name)? } else { public_name(name)? };
        Ok(Statement::CreateSequence { name, if_not_exists, options })
    }

    pub(super) fn bind_alter_sequence(
        &mut self,
        if_exists: bool,
        name: &ast::ObjectName,
        options: &[ast::SequenceOptions],
        restart: &Option<Box<Option<ast::Expr>>>,
    ) -> Result<Statement> {
        let mut options = seq_options(options)?;
        options.restart = restart.as_deref().map(|r| r.as_ref().map(option_number).transpose()).transpose()?;
        Ok(Statement::AlterSequence { name: public_name(name)?, if_exists, options })
    }

    /// `ALTER TABLE t ALTER COLUMN c SET DEFAULT expr | DROP DEFAULT`: the
    /// expression is bound against the column now (its type must fit).
    pub(super) fn bind_set_default(
        &mut self,
        table: &str,
        if_exists: bool,
        column: &ast::Ident,
        op: &ast::AlterColumnOperation,
    ) -> Result<Statement> {
        let column = ident(column);
        let default = match op {
            ast::AlterColumnOperation::SetDefault { value } => {
                let t = match self.table_named(table, crate::txn::lock::LockMode::AccessShare)? {
                    Some(t) => t,
                    None if if_exists => {
                        return Ok(Statement::SetDefault {
                            table: table.to_string(),
                            if_exists,
                            column,
                            default: None,
                        });
                    }
                    None => return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{table}\" does not exist")),
                };
                let Some(col) = t.columns.iter().find(|c| c.name == column) else {
                    return Err(err!(
                        SqlState::UNDEFINED_COLUMN,
                        "column \"{column}\" of relation \"{table}\" does not exist"
                    ));
                };
                self.default_text(value, col)?
            }
            _ => None,
        };
        Ok(Statement::SetDefault { table: table.to_string(), if_exists, column, default })
    }
}
