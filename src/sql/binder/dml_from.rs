//! `UPDATE … FROM` and `DELETE … USING`: the target table joined with
//! other FROM items.
//!
//! The statement's query level holds the target first, with its `ctid` as
//! a hidden column after its own, then the FROM (USING) items: the level's
//! row is the *joined row* of [`Joined`]. The items are joined as a
//! SELECT's are (join order from statistics, hash joins, WHERE conjuncts
//! pushed into scans and joins), and the source plan projects what the
//! executor's modify step reads:
//!
//! ```text
//!   ctid │ new values (UPDATE only) │ the FROM items' columns
//! ```
//!
//! A target row that several FROM rows match is changed once: the later
//! source rows find it already changed by this statement and pass over it,
//! as PostgreSQL's do. SET, WHERE and RETURNING read the joined row; the
//! WHERE clause is kept whole as the condition a concurrently changed
//! target row is checked against again (see `exec::Recheck`).

use std::sync::Arc;

use sqlparser::ast;

use super::query::{FromItem, RelColumn, conjuncts};
use super::updatable::WriteTarget;
use super::{Binder, both, ident};
use crate::error::Result;
use crate::sql::exec::{Joined, ModifyKind};
use crate::sql::expr::Expr;
use crate::sql::plan::Plan;
use crate::sql::types::PgType;
use crate::sql::{Column, Statement};

/// A bound UPDATE … FROM or DELETE … USING: its source plan, what the
/// source rows carry for the modify step, and its RETURNING list.
type JoinedParts = (Plan, Arc<Joined>, Option<(Vec<Expr>, Vec<Column>)>);

/// The clauses of an UPDATE … FROM (`assignments` given) or a DELETE … USING.
pub(super) struct JoinedClauses<'q> {
    pub alias: Option<&'q ast::TableAlias>,
    pub from: &'q [ast::TableWithJoins],
    pub assignments: Option<&'q [ast::Assignment]>,
    pub selection: Option<&'q ast::Expr>,
    pub returning: Option<&'q [ast::SelectItem]>,
}

impl Binder<'_> {
    /// Bind the target joined with the FROM items, in a query level of its own.
    pub(super) fn bind_joined_write(&mut self, target: WriteTarget, q: JoinedClauses<'_>) -> Result<Statement> {
        let update = q.assignments.is_some();
        self.levels.push(super::query::Level::default());
        let r = self.bind_joined_level(&target, q);
        self.levels.pop();
        let (source, joined, returning) = r?;
        let kind = if update { ModifyKind::Update(Some(joined)) } else { ModifyKind::Delete(Some(joined)) };
        Ok(Statement::Modify { kind, table: target.table, source: Arc::new(source), returning })
    }

    /// The source plan, what its rows carry besides the target's, and the RETURNING list.
    fn bind_joined_level(&mut self, target: &WriteTarget, q: JoinedClauses<'_>) -> Result<JoinedParts> {
        let table = &target.table;
        let system = self.add_target_rel(target, self.system_columns)?;
        // The target's columns and system columns come before its `ctid`.
        let n = table.columns.len() + system;
        // The target's `ctid`: part of the joined row, found by no name.
        let level = self.level();
        if let Some(rel) = level.rels.last_mut() {
            let ctid = RelColumn {
                name: "ctid".into(),
                ty: PgType::Int8,
                typmod: -1,
                merged: false,
                dropped: true,
                domain: None,
                system: false,
            };
            rel.columns.push(ctid);
        }
        level.width += 1;
        let alias = q.alias.filter(|_| target.view.is_none()).map(|a| ident(&a.name));
        let scan = Plan::Scan { table: table.clone(), filter: None, ctid: true, system: system > 0, alias, read: None };
        let mut items = vec![FromItem::new(scan, 0, n + 1, true)];
        for twj in q.from {
            items.push(self.bind_from_item(twj)?);
        }
        let values = match q.assignments {
            Some(assignments) => {
                self.level().no_aggs = Some("UPDATE");
                self.bind_assignments(assignments, target)?
            }
            None => Vec::new(),
        };
        let filter = match q.selection {
            Some(w) => {
                self.level().no_aggs = Some("WHERE");
                Some(self.bind_condition(w, "WHERE")?)
            }
            None => None,
        };
        self.level().no_aggs = None;
        let condition = both(target.view_filter.clone(), filter);
        let mut conds = Vec::new();
        if let Some(c) = &condition {
            conjuncts(c.clone(), &mut conds);
        }
        let plan = self.join_items(items, conds)?;
        let types: Vec<PgType> = plan.types().get(n + 1..).unwrap_or_default().to_vec();
        let mut exprs = vec![Expr::Column(n, PgType::Int8)];
        exprs.extend(values);
        exprs.extend(types.iter().enumerate().map(|(i, t)| Expr::Column(n + 1 + i, *t)));
        let source = Plan::Project { input: Box::new(plan), exprs };
        let returning = match q.returning {
            Some(items) => Some(self.bind_returning_list(items)?),
            None => None,
        };
        Ok((source, Arc::new(Joined { types, condition, system: system > 0 }), returning))
    }
}
