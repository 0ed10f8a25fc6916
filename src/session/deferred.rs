//! The session's side of constraint checks put off (see
//! [`crate::sql::exec::deferred`]): running them when they are due,
//! `SET CONSTRAINTS`, and `ALTER TABLE … ALTER CONSTRAINT`.
//!
//! Checks are due at the end of each statement for constraints that are
//! IMMEDIATE (a deferrable unique key's), at `SET CONSTRAINTS …
//! IMMEDIATE` for the constraints it names, and all of them at COMMIT,
//! where a failure rolls the transaction back. Outside a transaction block
//! the statement's end is its transaction's end: everything is due then.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::catalog::system::ConstraintRow;
use crate::catalog::{Deferral, ForeignKey, KeyCheck, Reader, Table, unique_violation};
use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::sql::exec::deferred::{ConstraintModes, PendingCheck};
use crate::sql::exec::foreign_key::{FkChecks, Holds, ReferencedBy, encoded_key};
use crate::sql::types::Datum;
use crate::storage::heap::Tid;

use super::{Session, xact};

/// Deferred foreign key checks of one constraint: its keys.
type FkKeys = (ForeignKey, Vec<(Vec<u8>, Vec<Datum>)>);

impl Session {
    fn pending_lock(&self) -> Result<std::sync::MutexGuard<'_, crate::sql::exec::deferred::Pending>> {
        self.pending.lock().map_err(|_| Error::internal("deferred constraint checks poisoned"))
    }

    /// Where the queue is (for a savepoint).
    pub(super) fn pending_mark(&self) -> u64 {
        self.pending_lock().map(|p| p.mark()).unwrap_or(0)
    }

    /// The SET CONSTRAINTS modes (for a savepoint).
    pub(super) fn constraint_modes(&self) -> ConstraintModes {
        self.pending_lock().map(|p| p.modes.clone()).unwrap_or_default()
    }

    /// `ROLLBACK TO`: what was queued since the savepoint goes.
    pub(super) fn rollback_pending_checks(&mut self, mark: u64, modes: ConstraintModes) {
        if let Ok(mut p) = self.pending_lock() {
            p.rollback_to(mark, modes);
        }
    }

    /// The transaction ended: nothing is due any more.
    pub(super) fn clear_pending_checks(&mut self) {
        if let Ok(mut p) = self.pending_lock() {
            p.clear();
        }
    }

    /// Run the checks that are due: all (`everything`) or those of the
    /// constraints that are IMMEDIATE now.
    pub(super) fn run_pending_checks(&mut self, everything: bool) -> Result<()> {
        let due = {
            let mut p = self.pending_lock()?;
            if p.is_empty() {
                return Ok(());
            }
            p.take_due(everything)
        };
        if due.is_empty() {
            return Ok(());
        }
        // Checks are queued only by writes: the transaction has an id.
        let Some(top) = self.xid else { return Ok(()) };
        let xid = self.block.as_ref().and_then(|b| b.savepoints.iter().rev().find_map(|sp| sp.xid)).unwrap_or(top);
        let read_committed = !self.block.as_ref().is_some_and(|b| b.isolation != xact::Isolation::ReadCommitted);
        let statement = self.statement_snapshot();

        let mut referencing: HashMap<u32, FkKeys> = HashMap::new();
        let mut referenced: HashMap<u32, FkKeys> = HashMap::new();
        let mut unique: HashMap<(u32, u32), Vec<Tid>> = HashMap::new();
        for check in due {
            match check {
                PendingCheck::Referencing { fk, key, values } => {
                    referencing.entry(fk.oid).or_insert_with(|| (fk, Vec::new())).1.push((key, values))
                }
                PendingCheck::Referenced { fk, key, values } => {
                    referenced.entry(fk.oid).or_insert_with(|| (fk, Vec::new())).1.push((key, values))
                }
                PendingCheck::Unique { table, index, tid, .. } => unique.entry((table, index)).or_default().push(tid),
            }
        }

        // The tables, as the transaction sees them now.
        let fresh = self.shared.catalog.fresh_snapshot(self.pid);
        let mut tables: HashMap<u32, Option<Arc<Table>>> = HashMap::new();
        {
            let who = Reader { path: None, snapshot: &fresh, xid, cid: u32::MAX };
            let wanted = referencing
                .values()
                .chain(referenced.values())
                .flat_map(|(fk, _)| [fk.child, fk.parent])
                .chain(unique.keys().map(|(t, _)| *t));
            for oid in wanted.collect::<HashSet<u32>>() {
                tables.insert(oid, self.shared.catalog.lookup_oid(oid, &who)?.map(Arc::new));
            }
        }
        let table = |oid: u32| tables.get(&oid).cloned().flatten();

        let catalog = &self.shared.catalog;
        let (pid, interrupts) = (self.pid, &self.interrupts);
        let deadline = self.deadline;
        let mut wait =
            |other: u64| crate::sql::exec::wait_until_ended(catalog, pid, other, &mut || interrupts.check(deadline));

        let mut order: Vec<&FkKeys> = referenced.values().collect();
        order.sort_by_key(|(fk, _)| fk.oid);
        for (fk, keys) in order {
            let (Some(parent), Some(child)) = (table(fk.parent), table(fk.child)) else { continue };
            let mut checks = FkChecks::new(Vec::new(), vec![ReferencedBy { fk: fk.clone(), child }], read_committed);
            for (key, values) in keys {
                checks.push_referenced(0, key.clone(), values.clone());
            }
            checks.run(catalog, &parent, &statement, (pid, xid), &mut wait)?;
        }

        let mut order: Vec<&FkKeys> = referencing.values().collect();
        order.sort_by_key(|(fk, _)| fk.oid);
        for (fk, keys) in order {
            let (Some(parent), Some(child)) = (table(fk.parent), table(fk.child)) else { continue };
            // Only keys some referencing row still holds: a row deleted or
            // changed since needs nothing.
            let positions: Vec<usize> = (0..fk.columns.len()).collect();
            let mut held = HashSet::new();
            let who = Reader { path: None, snapshot: &fresh, xid, cid: u32::MAX };
            catalog.scan_columns(&child, &fk.columns, &who, &mut |v| {
                if let Some(k) = encoded_key(v, &positions, &positions) {
                    held.insert(k);
                }
                Ok(())
            })?;
            let mut checks = FkChecks::new(vec![Holds::new(fk, parent)?], Vec::new(), read_committed);
            for (key, values) in keys {
                if encoded_key(values, &positions, &positions).is_some_and(|k| held.contains(&k)) {
                    checks.push_referencing(0, key.clone(), values.clone());
                }
            }
            checks.run(catalog, &child, &statement, (pid, xid), &mut wait)?;
        }

        let mut order: Vec<_> = unique.into_iter().collect();
        order.sort_by_key(|(k, _)| *k);
        for ((table_oid, index_oid), tids) in order {
            let Some(t) = table(table_oid) else { continue };
            let Some(index) = t.indexes.iter().find(|i| i.oid == index_oid) else { continue };
            for tid in tids {
                loop {
                    match catalog.recheck_unique(&t, index, tid, xid)? {
                        (KeyCheck::Free, _) => break,
                        (KeyCheck::Taken(_), values) => return Err(unique_violation(index, &t, &values)),
                        (KeyCheck::Wait(other), _) => wait(other)?,
                    }
                }
            }
        }
        Ok(())
    }

    /// `SET CONSTRAINTS { ALL | name [, …] } { DEFERRED | IMMEDIATE }`.
    pub(super) fn set_constraints(&mut self, names: Option<&[(Option<String>, String)]>, deferred: bool) -> Result<()> {
        if self.block.is_none() {
            self.notices.push(Notice::warning(
                SqlState::NO_ACTIVE_SQL_TRANSACTION,
                "SET CONSTRAINTS can only be used in transaction blocks",
            ));
        }
        let mut named = Vec::new();
        if let Some(names) = names {
            let snapshot = self.statement_snapshot();
            let xid = self.xid.unwrap_or(0);
            let path = self.search_path.clone();
            let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
            for (schema, name) in names {
                let schemas = match schema {
                    Some(s) => vec![self.shared.catalog.namespace_oid(s, &who)?],
                    None => path.clone(),
                };
                let rows =
                    self.shared.catalog.constraints(&who, &|c| &c.name == name && schemas.contains(&c.namespace))?;
                // The first schema of the path that has one.
                let Some(first) = schemas.iter().find(|s| rows.iter().any(|(_, c)| c.namespace == **s)) else {
                    return Err(err!(SqlState::UNDEFINED_OBJECT, "constraint \"{name}\" does not exist"));
                };
                for (_, c) in rows.iter().filter(|(_, c)| c.namespace == *first) {
                    if !c.deferral.deferrable {
                        return Err(err!(SqlState::WRONG_OBJECT_TYPE, "constraint \"{name}\" is not deferrable"));
                    }
                    named.push(queue_oid(c));
                }
            }
        }
        if self.block.is_none() {
            return Ok(());
        }
        {
            let mut p = self.pending_lock()?;
            match names {
                None => p.modes.set_all(deferred),
                Some(_) => named.iter().for_each(|&oid| p.modes.set(oid, deferred)),
            }
        }
        if !deferred {
            self.run_pending_checks(false)?;
        }
        Ok(())
    }

    /// `ALTER TABLE t ALTER CONSTRAINT c [NOT] DEFERRABLE [INITIALLY …]`:
    /// foreign keys only, as in PostgreSQL 15.
    pub(super) fn alter_constraint(
        &mut self,
        table_name: &str,
        if_exists: bool,
        name: &str,
        deferral: Deferral,
    ) -> Result<()> {
        let Some((xid, table)) = self.alter_table_target(table_name, if_exists)? else { return Ok(()) };
        let Some((tid, row)) = self.constraint_named(&table, name, xid)? else {
            return Err(err!(
                SqlState::UNDEFINED_OBJECT,
                "constraint \"{name}\" of relation \"{}\" does not exist",
                table.name
            ));
        };
        if row.kind != b'f' {
            return Err(err!(
                SqlState::WRONG_OBJECT_TYPE,
                "constraint \"{name}\" of relation \"{}\" is not a foreign key constraint",
                table.name
            ));
        }
        if row.deferral == deferral {
            return Ok(());
        }
        self.catalog_changed = true;
        self.shared.catalog.replace_constraint_row(tid, &ConstraintRow { deferral, ..row }, xid, self.cid)?;
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }
}

/// The OID the queue knows a constraint by: a foreign key's own, a key
/// constraint's index's.
fn queue_oid(c: &ConstraintRow) -> u32 {
    if matches!(c.kind, b'p' | b'u') { c.index } else { c.oid }
}
