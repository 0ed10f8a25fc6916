//! Binding of `CREATE TABLE … AS query` and `SELECT … INTO table`: the
//! query is bound now, and its output columns (names, types, typmods;
//! unknown-typed literals becoming `text`) become the new table's columns,
//! renamed by an optional column list. The session creates the table and
//! then runs the query as an `INSERT` into it, in the same transaction.

use std::sync::Arc;

use sqlparser::ast;

use super::{Binder, ident, query};
use crate::catalog;
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;
use crate::sql::plan::Plan;
use crate::sql::types::PgType;
use crate::sql::{CreateTableAs, Statement};

impl Binder<'_> {
    /// `CREATE [UNLOGGED] TABLE [IF NOT EXISTS] name [(names…)] [WITH (…)] AS query [WITH [NO] DATA]`.
    pub(super) fn bind_create_table_as(&mut self, ct: &ast::CreateTable, q: &ast::Query) -> Result<Statement> {
        if ct.or_replace || ct.like.is_some() || ct.clone.is_some() || !ct.constraints.is_empty() {
            return Err(Error::not_supported("this form of CREATE TABLE AS"));
        }
        if let Some(c) = ct.columns.iter().find(|c| c.data_type != ast::DataType::Unspecified || !c.options.is_empty())
        {
            return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{}\"", c.data_type));
        }
        let fillfactor = match &ct.table_options {
            ast::CreateTableOptions::None => 100,
            ast::CreateTableOptions::With(options) => super::ddl::storage_parameters(options)?,
            other => return Err(Error::not_supported(format!("table options {other}"))),
        };
        let names: Vec<String> = ct.columns.iter().map(|c| ident(&c.name)).collect();
        let target = Target {
            name: &ct.name,
            names: &names,
            if_not_exists: ct.if_not_exists,
            unlogged: ct.unlogged,
            temporary: ct.temporary,
            fillfactor,
            with_data: ct.with_data.is_none_or(|w| w.data),
            select_into: false,
            on_commit: super::temp::on_commit(ct.on_commit),
        };
        self.bind_into(target, q)
    }

    /// `SELECT … INTO [TEMP | UNLOGGED] [TABLE] name FROM …`: as CREATE
    /// TABLE AS of the query without its INTO clause. Only the first SELECT
    /// of a set operation may carry it.
    pub(super) fn bind_select_into(&mut self, q: &ast::Query) -> Result<Statement> {
        let mut q = q.clone();
        let Some(into) = leftmost_select(&mut q.body).and_then(|s| s.into.take()) else {
            return Err(Error::internal("SELECT INTO without INTO"));
        };
        let name = match into.targets.as_slice() {
            [ast::Expr::Identifier(i)] => ast::ObjectName::from(vec![i.clone()]),
            [ast::Expr::CompoundIdentifier(parts)] => ast::ObjectName::from(parts.clone()),
            _ => return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"INTO\"")),
        };
        let target = Target {
            name: &name,
            names: &[],
            if_not_exists: false,
            unlogged: into.unlogged,
            temporary: into.temporary,
            fillfactor: 100,
            with_data: true,
            select_into: true,
            on_commit: None,
        };
        self.bind_into(target, &q)
    }

    fn bind_into(&mut self, target: Target<'_>, q: &ast::Query) -> Result<Statement> {
        let name = match target.temporary {
            true => super::temp::temp_relation_name(target.name)?,
            false => super::ddl::public_name(target.name)?,
        };
        let bound = query::view_output(self.bind_query_plan(q)?);
        if target.names.len() > bound.columns.len() {
            return Err(err!(SqlState::SYNTAX_ERROR, "too many column names were specified"));
        }
        let mut columns: Vec<catalog::Column> = Vec::with_capacity(bound.columns.len());
        for (i, c) in bound.columns.iter().enumerate() {
            let col = target.names.get(i).cloned().unwrap_or_else(|| c.name.clone());
            if columns.iter().any(|have| have.name == col) {
                return Err(err!(SqlState::DUPLICATE_COLUMN, "column \"{col}\" specified more than once"));
            }
            // The types CREATE TABLE refuses for columns (see `column_type`
            // in ddl.rs), refused here alike.
            let refused = |t: PgType| t == PgType::Unknown;
            if refused(c.ty) || c.ty.elem().is_some_and(refused) {
                return Err(Error::not_supported(format!("table columns of type {}", c.ty.sql_name())));
            }
            if c.ty == PgType::Void {
                return Err(err!(SqlState::INVALID_TABLE_DEFINITION, "column \"{col}\" has pseudo-type void"));
            }
            if c.ty == PgType::Record {
                return Err(super::row_value::pseudo_type_column(&col));
            }
            columns.push(catalog::Column::new(col, c.ty, c.typmod, false));
        }
        // Only the query's visible columns are stored (ORDER BY may have
        // added hidden ones).
        let exprs = bound.columns.iter().enumerate().map(|(i, c)| Expr::Column(i, c.ty)).collect();
        let plan = Plan::Project { input: Box::new(bound.plan), exprs };
        let mut tables = Vec::new();
        plan.tables(&mut tables);
        tables.extend(self.views.iter().cloned());
        Ok(Statement::CreateTableAs(Box::new(CreateTableAs {
            name,
            columns,
            if_not_exists: target.if_not_exists,
            fillfactor: target.fillfactor,
            unlogged: target.unlogged,
            plan: Arc::new(plan),
            tables,
            with_data: target.with_data,
            select_into: target.select_into,
            on_commit: target.on_commit,
        })))
    }
}

/// What CREATE TABLE AS or SELECT INTO creates.
struct Target<'a> {
    name: &'a ast::ObjectName,
    /// The column list, renaming the query's first columns.
    names: &'a [String],
    if_not_exists: bool,
    unlogged: bool,
    temporary: bool,
    fillfactor: u8,
    with_data: bool,
    select_into: bool,
    /// `ON COMMIT …` of a temporary table.
    on_commit: Option<crate::sql::OnCommit>,
}

/// The first SELECT of a (possibly set-operation) query body.
fn leftmost_select(body: &mut ast::SetExpr) -> Option<&mut ast::Select> {
    match body {
        ast::SetExpr::Select(s) => Some(s),
        ast::SetExpr::SetOperation { left, .. } => leftmost_select(left),
        _ => None,
    }
}

/// Whether a query is `SELECT … INTO`; an error if a SELECT of a set
/// operation other than the first has INTO.
pub(super) fn has_into(q: &ast::Query) -> Result<bool> {
    fn later(body: &ast::SetExpr) -> Option<&ast::SelectInto> {
        match body {
            ast::SetExpr::Select(s) => s.into.as_ref(),
            ast::SetExpr::SetOperation { left, right, .. } => later(left).or_else(|| later(right)),
            _ => None,
        }
    }
    if let ast::SetExpr::SetOperation { left, right, .. } = q.body.as_ref() {
        let mut rest = later(right);
        let mut left = left.as_ref();
        while let ast::SetExpr::SetOperation { left: l, right: r, .. } = left {
            rest = rest.or_else(|| later(r));
            left = l;
        }
        if rest.is_some() {
            return Err(err!(SqlState::SYNTAX_ERROR, "INTO is only allowed on first SELECT of UNION/INTERSECT/EXCEPT"));
        }
    }
    fn first(body: &ast::SetExpr) -> bool {
        match body {
            ast::SetExpr::Select(s) => s.into.is_some(),
            ast::SetExpr::SetOperation { left, .. } => first(left),
            _ => false,
        }
    }
    Ok(first(&q.body))
}
