//! Writing through a view: INSERT, UPDATE and DELETE of a simple view
//! (PostgreSQL's automatically updatable views) change the rows of its
//! table. A view is
//! simple when its query is `SELECT col, … FROM table [alias] [WHERE …]`:
//! one table, each output a plain column of it (shown once), no DISTINCT,
//! grouping, aggregates, ordering, limits or set operations. The statement
//! then runs on the table, its WHERE clause joined to the view's, with the
//! view's column names standing for the table's columns; an INSERT fills
//! the columns the view does not show with NULL (their default, as tusk
//! has no column defaults yet) and, as in PostgreSQL without CHECK OPTION,
//! may add rows the view does not show.
//!
//! Writes through views that are not simple (or through a view over a
//! view), and RETURNING through a view, are refused (0A000).

use std::sync::Arc;

use sqlparser::ast;

use super::query::RelColumn;
use super::{Binder, ident, split_name, view_not_writable};
use crate::catalog::Table;
use crate::error::Result;
use crate::sql::expr::Expr;
use crate::txn::lock::LockMode;

/// The relation an UPDATE or DELETE changes, as its statement sees it.
pub(super) struct WriteTarget {
    /// The table whose rows change.
    pub table: Arc<Table>,
    /// What the statement calls it (its alias, or the name it named).
    pub label: String,
    /// The name each of the table's columns goes by in the statement
    /// (`None`: a table column the view does not show).
    pub names: Vec<Option<String>>,
    /// The view's own condition on the table's rows, if it has one.
    pub view_filter: Option<Expr>,
    /// The table columns the statement's relation shows, in its order.
    pub shown: Vec<usize>,
    /// The view named, when the statement writes through one.
    pub view: Option<String>,
}

impl WriteTarget {
    /// A table written directly.
    pub fn table(table: Arc<Table>, alias: Option<&ast::TableAlias>) -> WriteTarget {
        let label = alias.map(|a| ident(&a.name)).unwrap_or_else(|| table.name.clone());
        let names = table.columns.iter().map(|c| (!c.dropped).then(|| c.name.clone())).collect();
        let shown = table.live_columns();
        WriteTarget { table, label, names, view_filter: None, shown, view: None }
    }

    /// The name of the relation the statement named.
    pub fn relation_name(&self) -> &str {
        self.view.as_deref().unwrap_or(&self.table.name)
    }
}

impl Binder<'_> {
    /// The relation `name` as the target of `verb` (`update`, `delete from`).
    pub(super) fn write_target(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        verb: &str,
    ) -> Result<WriteTarget> {
        let reads = self.access.clone();
        let named = self.table(name, LockMode::RowExclusive)?;
        self.access = reads;
        if named.view.is_none() {
            return Ok(WriteTarget::table(self.table_for_write(name, verb)?, alias));
        }
        let position = self.pos(sqlparser::ast::Spanned::span(name));
        let refused = || {
            let e = view_not_writable(&named.name, verb);
            match position {
                Some(p) => e.with_position(p),
                None => e,
            }
        };
        let Some(simple) = simple_view_query(named.view.as_deref().unwrap_or_default()) else {
            return Err(refused());
        };
        let (base_name, base_alias, shown, selection) = simple;
        self.require(named.oid, super::write_privilege(verb));
        // The view's names are resolved as when it is expanded.
        self.expanding.push(named.oid);
        let r = (|| -> Result<(Arc<Table>, Option<Expr>)> {
            let reads = self.access.clone();
            let base_is_view = self.table(&base_name, LockMode::RowExclusive)?.view.is_some();
            self.access = reads;
            if base_is_view {
                return Err(refused());
            }
            let base = self.table_for_write(&base_name, verb)?;
            self.levels.push(super::query::Level::default());
            let filter = self.add_table_rel(&base, base_alias.as_ref(), false).and_then(|()| match &selection {
                Some(w) => self.bind_condition(w, "WHERE").map(Some),
                None => Ok(None),
            });
            self.levels.pop();
            Ok((base, filter?))
        })();
        self.expanding.pop();
        let (table, view_filter) = r?;
        let mut names = vec![None; table.columns.len()];
        let mut positions = Vec::with_capacity(shown.len());
        for (column, shown) in named.columns.iter().zip(&shown) {
            let Some(k) = table.columns.iter().position(|c| &c.name == shown) else { return Err(refused()) };
            if names[k].is_some() {
                return Err(refused());
            }
            names[k] = Some(column.name.clone());
            positions.push(k);
        }
        let label = alias.map(|a| ident(&a.name)).unwrap_or_else(|| named.name.clone());
        if !self.views.iter().any(|v| v.oid == named.oid) {
            self.views.push(named.clone());
        }
        Ok(WriteTarget { table, label, names, view_filter, shown: positions, view: Some(named.name.clone()) })
    }

    /// Put the target's row in scope under the statement's names, with the
    /// table's system columns after its own if `system` (a scan of the
    /// table itself, not through a view, whose query may name one); how
    /// many system columns it has then.
    pub(super) fn add_target_rel(&mut self, target: &WriteTarget, system: bool) -> Result<usize> {
        let columns = target
            .table
            .columns
            .iter()
            .zip(&target.names)
            .map(|(c, n)| RelColumn {
                // A column the view does not show cannot be named.
                name: n.clone().unwrap_or_default(),
                ty: c.ty,
                typmod: c.typmod,
                merged: false,
                dropped: c.dropped,
                domain: c.domain.as_ref().map(|d| d.oid),
                system: false,
            })
            .collect::<Vec<_>>();
        let system = system && target.view.is_none();
        let mut columns = columns;
        if system {
            columns.extend(RelColumn::system_columns());
        }
        self.add_rel(target.label.clone(), columns)?;
        if let Some(r) = self.level().rels.last_mut().filter(|_| target.view.is_none()) {
            r.table = Some(target.table.name.clone());
        }
        Ok(if system { crate::catalog::system::SYSTEM_COLUMNS.len() } else { 0 })
    }
}

/// A simple view's query taken apart: its table, the table's alias, the
/// table columns it shows in order, and its WHERE clause.
type SimpleQuery = (ast::ObjectName, Option<ast::TableAlias>, Vec<String>, Option<ast::Expr>);

fn simple_view_query(sql: &str) -> Option<SimpleQuery> {
    let parsed = crate::sql::parser::parse(sql).ok()?;
    let [crate::sql::parser::Parsed::Sql(stmt)] = parsed.as_slice() else { return None };
    let ast::Statement::Query(q) = stmt.as_ref() else { return None };
    if q.with.is_some() || q.order_by.is_some() || q.limit_clause.is_some() || q.fetch.is_some() || !q.locks.is_empty()
    {
        return None;
    }
    let ast::SetExpr::Select(s) = q.body.as_ref() else { return None };
    let no_grouping = matches!(&s.group_by, ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty());
    if s.distinct.is_some() || !no_grouping || s.having.is_some() || s.from.len() != 1 || !s.from[0].joins.is_empty() {
        return None;
    }
    let ast::TableFactor::Table { name, alias, args: None, .. } = &s.from[0].relation else { return None };
    let alias_label = alias.as_ref().map(|a| ident(&a.name));
    let table_label = split_name(name).ok()?.1;
    let mut shown = Vec::with_capacity(s.projection.len());
    for item in &s.projection {
        let e = match item {
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => return None,
        };
        let column = match e {
            ast::Expr::Identifier(id) => ident(id),
            ast::Expr::CompoundIdentifier(ids) if ids.len() == 2 => {
                let qualifier = ident(&ids[0]);
                if Some(&qualifier) != alias_label.as_ref() && qualifier != table_label {
                    return None;
                }
                ident(&ids[1])
            }
            _ => return None,
        };
        shown.push(column);
    }
    Some((name.clone(), alias.clone(), shown, s.selection.clone()))
}
