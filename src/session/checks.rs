//! CHECK constraints in a session: creating one (in CREATE TABLE or
//! ALTER TABLE … ADD, checking the rows there are unless it is NOT
//! VALID), VALIDATE CONSTRAINT, RENAME CONSTRAINT, and keeping the stored
//! expressions in step when a column they read is renamed or dropped.
//! The rows a statement writes are checked by the executor
//! ([`crate::sql::exec::check_constraints`]).

use crate::catalog::system::ConstraintRow;
use crate::catalog::{CheckConstraint, Column, Reader, Table};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::CheckDef;
use crate::sql::binder::{bind_check_expression, predicate_text};
use crate::sql::exec::RowOver;
use crate::sql::expr::EvalContext;

use super::{Eval, Session};

impl Session {
    /// Create CHECK constraint `def` on `table` as the next command; with
    /// `validate`, the rows `table` has must pass it first.
    pub(super) fn add_check(&mut self, table: &Table, def: &CheckDef, xid: u64, validate: bool) -> Result<()> {
        let expr = bind_check_expression(&def.expr, &table.name, &table.columns)?;
        let columns = expr.columns_read();
        let text = predicate_text(&expr, &table.columns);
        let name = match &def.name {
            Some(n) => {
                if self.constraint_named(table, n, xid)?.is_some() {
                    return Err(err!(
                        SqlState::DUPLICATE_OBJECT,
                        "constraint \"{n}\" for relation \"{}\" already exists",
                        table.name
                    ));
                }
                n.clone()
            }
            // PostgreSQL names it after the one column it reads, if it
            // reads just one.
            None => {
                let column = match columns.as_slice() {
                    [one] => Some(table.columns[*one].name.as_str()),
                    _ => None,
                };
                self.choose_check_name(table, column, xid)?
            }
        };
        let check = CheckConstraint {
            oid: self.shared.catalog.allocate_oid()?,
            name,
            text: text.clone(),
            expr,
            columns: columns.clone(),
            validated: !def.not_valid,
            no_inherit: def.no_inherit,
        };
        if validate && !def.not_valid {
            self.validate_check(table, &check, xid)?;
        }
        let row = ConstraintRow {
            oid: check.oid,
            name: check.name.clone(),
            namespace: table.namespace,
            kind: b'c',
            relid: table.oid,
            key: columns.iter().map(|&c| c as i16 + 1).collect(),
            check: Some(text),
            validated: check.validated,
            no_inherit: check.no_inherit,
            ..Default::default()
        };
        self.shared.catalog.add_constraint_row(&row, xid, self.cid)?;
        self.cid += 1;
        Ok(())
    }

    /// The `pg_constraint` row of `table` named `name`, with its address.
    pub(super) fn constraint_named(
        &mut self,
        table: &Table,
        name: &str,
        xid: u64,
    ) -> Result<Option<(crate::storage::heap::Tid, ConstraintRow)>> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        Ok(self.shared.catalog.constraints(&who, &|c| c.relid == table.oid && c.name == name)?.into_iter().next())
    }

    /// PostgreSQL's default name `t_a_check` (or `t_check` when the
    /// expression reads no column or several), with a number appended
    /// while a constraint of that name exists.
    fn choose_check_name(&mut self, table: &Table, column: Option<&str>, xid: u64) -> Result<String> {
        let base = match column {
            Some(c) => format!("{}_{c}_check", table.name),
            None => format!("{}_check", table.name),
        };
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        for n in 0.. {
            let candidate = if n == 0 { base.clone() } else { format!("{base}{n}") };
            // Taken if a constraint of a relation in the same schema has it.
            let catalog = &self.shared.catalog;
            let mut taken = false;
            for (_, c) in catalog.constraints(&who, &|c| c.name == candidate)? {
                taken |= catalog.relation_by_oid(c.relid, &who)?.is_some_and(|(_, r)| r.namespace == table.namespace);
            }
            if !taken {
                return Ok(candidate);
            }
        }
        unreachable!("some name is free")
    }

    /// Every row `table` has (as this transaction sees it) must pass
    /// `check` (23514 otherwise).
    fn validate_check(&mut self, table: &Table, check: &CheckConstraint, xid: u64) -> Result<()> {
        let catalog = self.shared.catalog.clone();
        let snapshot = self.statement_snapshot();
        let time_zone = self.time_zone();
        let cid = self.cid;
        let all: Vec<usize> = (0..table.columns.len()).collect();
        let mut eval = eval_context!(self, &[], time_zone);
        let who = Reader { path: None, snapshot: &snapshot, xid, cid };
        let mut failed = false;
        catalog.scan_columns(table, &all, &who, &mut |values| {
            eval.check_interrupts()?;
            let mut row = RowOver { inner: &mut eval as &mut dyn EvalContext, row: values };
            if !failed && !check.passes(&mut row)? {
                failed = true;
            }
            Ok(())
        })?;
        if failed {
            return Err(err!(
                SqlState::CHECK_VIOLATION,
                "check constraint \"{}\" of relation \"{}\" is violated by some row",
                check.name,
                table.name
            )
            .with_table(table.namespace, &table.name)
            .with_constraint(&check.name));
        }
        Ok(())
    }

    /// `ALTER TABLE t VALIDATE CONSTRAINT name`: a NOT VALID CHECK
    /// constraint is checked against the rows there are and marked valid.
    pub(super) fn validate_constraint(&mut self, table: &Table, name: &str, xid: u64) -> Result<()> {
        let Some((tid, row)) = self.constraint_named(table, name, xid)? else {
            return Err(err!(
                SqlState::UNDEFINED_OBJECT,
                "constraint \"{name}\" of relation \"{}\" does not exist",
                table.name
            ));
        };
        if row.kind != b'c' && row.kind != b'f' {
            return Err(err!(
                SqlState::WRONG_OBJECT_TYPE,
                "constraint \"{name}\" of relation \"{}\" is not a foreign key or check constraint",
                table.name
            ));
        }
        if row.validated {
            return Ok(());
        }
        if let Some(check) = table.checks.iter().find(|c| c.oid == row.oid) {
            self.validate_check(table, check, xid)?;
        }
        let row = ConstraintRow { validated: true, ..row };
        self.shared.catalog.replace_constraint_row(tid, &row, xid, self.cid)
    }

    /// `ALTER TABLE t RENAME CONSTRAINT from TO to`.
    pub(super) fn rename_constraint(&mut self, table: &Table, from: &str, to: &str, xid: u64) -> Result<()> {
        let Some((tid, row)) = self.constraint_named(table, from, xid)? else {
            return Err(err!(
                SqlState::UNDEFINED_OBJECT,
                "constraint \"{from}\" for table \"{}\" does not exist",
                table.name
            ));
        };
        if self.constraint_named(table, to, xid)?.is_some() {
            return Err(err!(
                SqlState::DUPLICATE_OBJECT,
                "constraint \"{to}\" for relation \"{}\" already exists",
                table.name
            ));
        }
        if matches!(row.kind, b'p' | b'u') {
            // The constraint and its index share their name.
            self.check_name_free(table.namespace, to, xid)?;
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            self.shared.catalog.rename_relation(row.index, to, xid, self.cid, &who)?;
        }
        let row = ConstraintRow { name: to.to_string(), ..row };
        self.shared.catalog.replace_constraint_row(tid, &row, xid, self.cid)
    }

    /// Before column `index` of `table` is dropped: the CHECK constraints
    /// that read it go with it (as PostgreSQL drops them, CASCADE or not).
    pub(super) fn drop_checks_reading(&mut self, table: &Table, index: usize, xid: u64) -> Result<()> {
        let doomed: Vec<u32> = table.checks.iter().filter(|c| c.columns.contains(&index)).map(|c| c.oid).collect();
        if doomed.is_empty() {
            return Ok(());
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let rows = self.shared.catalog.constraints(&who, &|c| doomed.contains(&c.oid))?;
        self.shared.catalog.delete_constraint_rows(&rows.iter().map(|r| r.0).collect::<Vec<_>>(), xid, self.cid)
    }

    /// As column `index` of `table` is renamed `to` (in the same command):
    /// the CHECK expressions that read it are stored with the new name.
    pub(super) fn rename_in_checks(&mut self, table: &Table, index: usize, to: &str, xid: u64) -> Result<()> {
        let mut columns: Vec<Column> = table.columns.clone();
        columns[index].name = to.to_string();
        for check in table.checks.iter().filter(|c| c.columns.contains(&index)) {
            let Some((tid, row)) = self.constraint_named(table, &check.name, xid)? else { continue };
            let row = ConstraintRow { check: Some(predicate_text(&check.expr, &columns)), ..row };
            self.shared.catalog.replace_constraint_row(tid, &row, xid, self.cid)?;
        }
        Ok(())
    }

    /// After the rows of `table` were rewritten or its column types
    /// changed in place: its CHECK constraints (as bound now) must hold
    /// for every row.
    pub(super) fn recheck_rows(&mut self, table: &Table, xid: u64) -> Result<()> {
        for check in table.checks.iter().filter(|c| c.validated) {
            self.validate_check(table, check, xid)?;
        }
        Ok(())
    }
}
