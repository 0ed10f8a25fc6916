//! Binding `INSERT … ON CONFLICT`: the arbiter indexes (inferred from a
//! conflict target, named by a constraint, or every unique index for a
//! bare `DO NOTHING`) and the `DO UPDATE` assignments and condition, which
//! see the existing row under the table's name (or the INSERT's alias) and
//! the proposed row as `excluded`.

use std::sync::Arc;

use sqlparser::ast;

use super::query::{Level, RelColumn};
use super::updatable::WriteTarget;
use super::{Binder, ident};
use crate::catalog::{Index, Table};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::exec::{ConflictAction, OnConflict};
use crate::sql::expr::Expr;

impl Binder<'_> {
    pub(super) fn bind_on_conflict(
        &mut self,
        oc: &ast::OnConflict,
        table: &Arc<Table>,
        alias: Option<&ast::Ident>,
    ) -> Result<OnConflict> {
        let update = match &oc.action {
            ast::OnConflictAction::DoNothing => None,
            ast::OnConflictAction::DoUpdate(u) => Some(u),
        };
        let (arbiters, inferred) = match &oc.conflict_target {
            None if update.is_some() => {
                return Err(err!(
                    SqlState::SYNTAX_ERROR,
                    "ON CONFLICT DO UPDATE requires inference specification or constraint name"
                )
                .with_hint("For example, ON CONFLICT (column_name)."));
            }
            None => (table.indexes.iter().filter(|i| i.unique && i.ready).map(|i| i.oid).collect(), false),
            Some(ast::ConflictTarget::Columns { columns, predicate }) => {
                (self.infer_arbiters(table, columns, predicate.as_ref())?, true)
            }
            Some(ast::ConflictTarget::OnConstraint(name)) => {
                let name = name.0.last().and_then(|p| p.as_ident()).map(ident).unwrap_or_default();
                let index = table.indexes.iter().find(|i| i.constraint && i.name == name).ok_or_else(|| {
                    err!(
                        SqlState::UNDEFINED_OBJECT,
                        "constraint \"{name}\" for table \"{}\" does not exist",
                        table.name
                    )
                })?;
                (vec![index.oid], true)
            }
        };
        if table.indexes.iter().any(|i| arbiters.contains(&i.oid) && i.deferral.deferrable) {
            return Err(err!(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "ON CONFLICT does not support deferrable unique constraints/exclusion constraints as arbiters"
            ));
        }
        let action = match update {
            None => ConflictAction::Nothing,
            Some(u) => {
                self.levels.push(Level::default());
                let r = self.bind_conflict_update(u, table, alias);
                self.levels.pop();
                r?
            }
        };
        Ok(OnConflict { arbiters, inferred, action })
    }

    /// PostgreSQL's arbiter inference: every unique index whose key is
    /// exactly the named columns (in any order) is an arbiter.
    fn infer_arbiters(
        &mut self,
        table: &Arc<Table>,
        columns: &[ast::Ident],
        predicate: Option<&ast::Expr>,
    ) -> Result<Vec<u32>> {
        let mut wanted = Vec::with_capacity(columns.len());
        for c in columns {
            let name = ident(c);
            let i = table.columns.iter().position(|col| col.name == name).ok_or_else(|| {
                let e = err!(SqlState::UNDEFINED_COLUMN, "column \"{name}\" does not exist");
                match self.pos(c.span) {
                    Some(p) => e.with_position(p),
                    None => e,
                }
            })?;
            if !wanted.contains(&i) {
                wanted.push(i);
            }
        }
        // A whole index serves whatever the predicate says; a partial one
        // only where the predicate implies its own (PostgreSQL's rule).
        let bound = match predicate {
            Some(p) => {
                self.levels.push(Level::default());
                let r = self.add_table_rel(table, None, false).and_then(|_| self.bind_condition(p, "WHERE"));
                self.levels.pop();
                Some(r?)
            }
            None => None,
        };
        let mut conjuncts = Vec::new();
        if let Some(b) = &bound {
            crate::sql::planner::split_and(b, &mut conjuncts);
        }
        let matches = |i: &Index| {
            if !crate::sql::planner::usable(i, &conjuncts) {
                return false;
            }
            let mut key = i.columns.clone();
            key.sort_unstable();
            key.dedup();
            let mut want = wanted.clone();
            want.sort_unstable();
            i.unique && key == want
        };
        let arbiters: Vec<u32> = table.indexes.iter().filter(|i| matches(i)).map(|i| i.oid).collect();
        if arbiters.is_empty() {
            return Err(err!(
                SqlState::INVALID_COLUMN_REFERENCE,
                "there is no unique or exclusion constraint matching the ON CONFLICT specification"
            ));
        }
        Ok(arbiters)
    }

    /// `DO UPDATE SET … [WHERE …]` over the existing row then `excluded`.
    fn bind_conflict_update(
        &mut self,
        u: &ast::DoUpdate,
        table: &Arc<Table>,
        alias: Option<&ast::Ident>,
    ) -> Result<ConflictAction> {
        let mut target = WriteTarget::table(table.clone(), None);
        if let Some(a) = alias {
            target.label = ident(a);
        }
        // The existing row, then `excluded`: no system columns between.
        self.add_target_rel(&target, false)?;
        let columns = table.columns.iter().map(RelColumn::of_table).collect();
        self.add_rel("excluded".into(), columns)?;
        self.level().no_aggs = Some("UPDATE");
        let values = self.bind_assignments(&u.assignments, &target)?;
        let filter: Option<Expr> = match &u.selection {
            Some(w) => {
                self.level().no_aggs = Some("WHERE");
                Some(self.bind_condition(w, "WHERE")?)
            }
            None => None,
        };
        self.level().no_aggs = None;
        Ok(ConflictAction::Update { values, filter })
    }
}
