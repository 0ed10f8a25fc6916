//! Binding COPY: the table and its column list (COPY FROM, `COPY t TO`),
//! or the query (`COPY (SELECT …) TO`), and the options.

use std::sync::Arc;

use super::{Binder, ident};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::copy::syntax::{CopyAst, Relation, Target};
use crate::sql::copy::{CopyIo, CopyStmt, options};
use crate::sql::expr::Expr;
use crate::sql::plan::Plan;
use crate::sql::{Column, Statement};
use crate::txn::lock::LockMode;

impl Binder<'_> {
    pub(super) fn bind_copy(&mut self, c: &CopyAst) -> Result<Statement> {
        let from = !c.to;
        let io = match &c.target {
            Target::Client => CopyIo::Client,
            Target::File(path) => {
                if c.to && !std::path::Path::new(path).is_absolute() {
                    return Err(err!(SqlState::INVALID_NAME, "relative path not allowed for COPY to file"));
                }
                CopyIo::File(path.clone())
            }
            Target::Program(_) => {
                return Err(Error::not_supported(if from { "COPY FROM PROGRAM" } else { "COPY TO PROGRAM" }));
            }
        };
        let options = options::resolve(&c.options, from, self.sql)?;
        if let (Some((at, _)), false) = (&c.filter, from) {
            let e = err!(SqlState::FEATURE_NOT_SUPPORTED, "WHERE clause not allowed with COPY TO");
            return Err(match crate::sql::parser::position(self.sql, *at) {
                Some(p) => e.with_position(p),
                None => e,
            });
        }
        let stmt = match &c.relation {
            Relation::Table { name, columns } => {
                let table = self.table(name, if from { LockMode::RowExclusive } else { LockMode::AccessShare })?;
                if table.view.is_some() {
                    let e = if from {
                        err!(SqlState::WRONG_OBJECT_TYPE, "cannot copy to view \"{}\"", table.name)
                    } else {
                        err!(SqlState::WRONG_OBJECT_TYPE, "cannot copy from view \"{}\"", table.name)
                            .with_hint("Try the COPY (SELECT ...) TO variant.")
                    };
                    return Err(e);
                }
                let table = if from { self.table_for_write(name, "copy to")? } else { table };
                let mut targets = Vec::with_capacity(columns.len());
                for col in columns {
                    let n = ident(col);
                    let i = table.column_index(&n).ok_or_else(|| {
                        err!(SqlState::UNDEFINED_COLUMN, "column \"{n}\" of relation \"{}\" does not exist", table.name)
                    })?;
                    if targets.contains(&i) {
                        return Err(err!(SqlState::DUPLICATE_COLUMN, "column \"{n}\" specified more than once"));
                    }
                    targets.push(i);
                }
                if columns.is_empty() {
                    targets = table.live_columns();
                }
                let out: Vec<Column> = targets
                    .iter()
                    .map(|&i| {
                        let tc = &table.columns[i];
                        Column { name: tc.name.clone(), ty: tc.ty, typmod: tc.typmod }
                    })
                    .collect();
                let plan = (!from).then(|| {
                    let scan = Plan::Scan {
                        table: table.clone(),
                        filter: None,
                        ctid: false,
                        system: false,
                        alias: None,
                        read: None,
                    };
                    let exprs = targets.iter().map(|&i| Expr::Column(i, table.columns[i].ty)).collect();
                    Arc::new(Plan::Project { input: Box::new(scan), exprs })
                });
                let filter = match &c.filter {
                    Some((_, w)) => Some(self.bind_copy_filter(&table, w)?),
                    None => None,
                };
                let mut defaults = Vec::new();
                if from {
                    for (i, col) in table.columns.iter().enumerate() {
                        if !targets.contains(&i) && col.default.is_some() {
                            defaults.push((i, self.column_default(col)?));
                        }
                    }
                }
                CopyStmt {
                    from,
                    io,
                    filter,
                    relname: table.name.clone(),
                    table: Some(table),
                    targets,
                    defaults,
                    plan,
                    columns: out,
                    options,
                }
            }
            Relation::Query(q) => {
                let bound = self.bind_query_plan(q)?;
                let mut plan = bound.plan;
                let blocks = |t: &crate::catalog::Table| self.tables.blocks(t);
                let costing = crate::sql::costsize::Costing::new(self.tables.cost_params(), &blocks);
                crate::sql::planner::choose_access_paths(&mut plan, &costing);
                CopyStmt {
                    from,
                    io,
                    filter: None,
                    relname: String::new(),
                    table: None,
                    targets: Vec::new(),
                    defaults: Vec::new(),
                    plan: Some(Arc::new(plan)),
                    columns: bound.columns,
                    options,
                }
            }
        };
        Ok(Statement::Copy(Box::new(stmt)))
    }

    /// `COPY … FROM … WHERE condition`: a condition over the table's row,
    /// without aggregates or subqueries (as PostgreSQL requires).
    fn bind_copy_filter(&mut self, table: &Arc<crate::catalog::Table>, w: &sqlparser::ast::Expr) -> Result<Expr> {
        self.levels.push(super::query::Level::default());
        let bound = self.add_table_rel(table, None, false).and_then(|()| {
            self.level().no_aggs = Some("COPY FROM WHERE conditions");
            self.bind_condition(w, "WHERE")
        });
        self.levels.pop();
        let bound = bound?;
        let mut subplans = Vec::new();
        bound.subplans(&mut subplans);
        if !subplans.is_empty() {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot use subquery in COPY FROM WHERE condition"));
        }
        Ok(bound)
    }
}
