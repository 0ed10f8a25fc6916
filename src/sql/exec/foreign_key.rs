//! FOREIGN KEY checks of a data-changing statement.
//!
//! As rows change, the checks they need are queued ([`FkChecks::row_inserted`],
//! [`FkChecks::row_updated`], [`FkChecks::row_deleted`]) and run when the
//! statement has changed all its rows ([`FkChecks::run`]), as PostgreSQL's
//! RI triggers fire after the statement: a statement that inserts a parent
//! and its child, or moves a key and its references, passes.
//!
//! - A new or changed key in a referencing (child) row must be present in
//!   the parent: looked up through the parent's unique index with a fresh
//!   snapshot (READ COMMITTED; the transaction's under REPEATABLE READ) that
//!   also sees the transaction's own changes. The parent row found is then
//!   locked FOR KEY SHARE, as PostgreSQL does, so that a concurrent delete
//!   of it (or an update of its key) waits for this transaction and then
//!   sees the reference, while other children's checks and updates of the
//!   parent's other columns go on.
//! - A key removed from the referenced (parent) table, by DELETE or by an
//!   UPDATE of the key, must have no referencing rows left; with NO ACTION
//!   a parent row that has the key again by the end of the statement
//!   satisfies the references. The child is scanned sequentially.
//!
//! - A key removed from the parent whose foreign key has an action (ON
//!   DELETE / ON UPDATE CASCADE, SET NULL, SET DEFAULT) changes the
//!   referencing rows instead ([`FkChecks::run_actions`]), in the same
//!   statement and before the checks run: found with the same snapshot
//!   the checks use, deleted or updated as an UPDATE or DELETE does
//!   (waiting for a transaction changing the row, following a committed
//!   change under READ COMMITTED, 40001 under REPEATABLE READ), with the
//!   referencing table's own CHECK and NOT NULL constraints and, in turn,
//!   its own foreign keys (actions first, then checks), recursively.
//!
//! Keys are compared in their index encoding ([`crate::catalog::keycode`]),
//! in which the integer types encode alike, so an `int4` column may
//! reference an `int8` key.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::catalog::{Catalog, FkAction, ForeignKey, Index, NewestVersion, Reader, RowChange, Table};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::Expr;
use crate::sql::types::Datum;
use crate::txn::Snapshot;

/// A foreign key the statement's table holds, with the referenced table
/// and its unique index.
pub struct Holds {
    pub fk: ForeignKey,
    pub parent: Arc<Table>,
    pub index: Index,
}

impl Holds {
    /// Foreign key `fk` checked against `parent` through the unique index it relies on.
    pub fn new(fk: &ForeignKey, parent: Arc<Table>) -> Result<Holds> {
        let index = parent
            .indexes
            .iter()
            .find(|i| i.oid == fk.index)
            .cloned()
            .ok_or_else(|| Error::internal("foreign key without its index"))?;
        Ok(Holds { fk: fk.clone(), parent, index })
    }
}

/// A foreign key that references the statement's table, with the
/// referencing table.
pub struct ReferencedBy {
    pub fk: ForeignKey,
    pub child: Arc<Table>,
}

/// A key removed from the referenced table: encoded, its values, and
/// whether the action is NO ACTION (rather than RESTRICT).
type RemovedKey = (Vec<u8>, Vec<Datum>, bool);

/// A key whose referencing rows an action changes: the old key's values
/// and, for an UPDATE of the parent, the new key's.
type ActedKey = (Vec<Datum>, Option<Vec<Datum>>);

/// What the actions of a statement's foreign keys reach, settled (and
/// locked) by the session before the statement runs: every table a chain
/// of actions changes, with the tables their own checks read, and the
/// default of each column a SET DEFAULT action sets (by foreign key OID).
pub struct Cascades {
    pub tables: HashMap<u32, Arc<Table>>,
    pub defaults: HashMap<u32, Vec<Expr>>,
}

/// Whether `action` changes the referencing rows.
pub fn acts(action: FkAction) -> bool {
    matches!(action, FkAction::Cascade | FkAction::SetNull | FkAction::SetDefault)
}

/// The foreign keys a statement on one table must keep, and the checks
/// its changed rows have queued.
pub struct FkChecks {
    pub holds: Vec<Holds>,
    pub referenced_by: Vec<ReferencedBy>,
    /// READ COMMITTED: checks read with a fresh snapshot.
    pub read_committed: bool,
    /// Keys to find in each parent (by `holds` position): encoded key and
    /// the child's values, in queue order.
    child_keys: Vec<Vec<(Vec<u8>, Vec<Datum>)>>,
    /// Keys removed from this table (by `referenced_by` position).
    parent_keys: Vec<Vec<RemovedKey>>,
    /// Keys removed or changed whose foreign key has an action (by
    /// `referenced_by` position).
    acted: Vec<Vec<ActedKey>>,
    cascades: Option<Arc<Cascades>>,
    /// Where the checks of deferred foreign keys go (see
    /// [`super::deferred`]); without it every check runs now.
    pending: Option<super::deferred::SharedPending>,
}

/// The values of `values` in `columns` (taken in `order`), encoded for
/// comparison; `None` if one is NULL (MATCH SIMPLE: such a row references
/// nothing).
pub fn encoded_key(values: &[Datum], columns: &[usize], order: &[usize]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for &i in order {
        let v = &values[columns[i]];
        if v.is_null() {
            return None;
        }
        crate::catalog::keycode::encode(&mut out, v, crate::catalog::keycode::KeyOrder::ASC);
    }
    Some(out)
}

impl Holds {
    /// The key a child row (`values`) references, as the parent's index
    /// encodes it; `None` if a column is NULL.
    fn key(&self, values: &[Datum]) -> Option<Vec<u8>> {
        let mut row = vec![Datum::Null; self.parent.columns.len()];
        for (&c, &p) in self.fk.columns.iter().zip(&self.fk.parent_columns) {
            if values[c].is_null() {
                return None;
            }
            row[p] = values[c].clone();
        }
        Some(self.index.plain_key(&row))
    }
}

fn describe(table: &Table, columns: &[usize], values: &[Datum]) -> String {
    let names: Vec<&str> = columns.iter().map(|&c| table.columns[c].name.as_str()).collect();
    let vals: Vec<String> = values.iter().map(Datum::to_text).collect();
    format!("Key ({})=({})", names.join(", "), vals.join(", "))
}

impl FkChecks {
    pub fn new(holds: Vec<Holds>, referenced_by: Vec<ReferencedBy>, read_committed: bool) -> FkChecks {
        let (a, b) = (holds.len(), referenced_by.len());
        FkChecks {
            holds,
            referenced_by,
            read_committed,
            child_keys: vec![Vec::new(); a],
            parent_keys: vec![Vec::new(); b],
            acted: vec![Vec::new(); b],
            cascades: None,
            pending: None,
        }
    }

    /// With the transaction's queue of deferred checks.
    pub fn with_pending(mut self, pending: Option<super::deferred::SharedPending>) -> FkChecks {
        self.pending = pending;
        self
    }

    /// Queue a check of a key a referencing row holds (`holds[i]`'s), as
    /// a deferred check put off (see [`super::deferred::PendingCheck`]).
    pub fn push_referencing(&mut self, i: usize, key: Vec<u8>, values: Vec<Datum>) {
        self.child_keys[i].push((key, values));
    }

    /// Queue a check of a key removed from the referenced table (NO ACTION).
    pub fn push_referenced(&mut self, i: usize, key: Vec<u8>, values: Vec<Datum>) {
        self.parent_keys[i].push((key, values, true));
    }

    /// Whether the checks of foreign key `fk` wait for the end of the
    /// transaction now.
    fn deferred(&self, fk: &ForeignKey) -> bool {
        fk.deferral.deferrable
            && self.pending.as_ref().is_some_and(|p| p.lock().is_ok_and(|p| p.modes.deferred(fk.oid, fk.deferral)))
    }

    /// Put the check off: into the transaction's queue.
    fn defer(&self, check: super::deferred::PendingCheck) {
        if let Some(p) = &self.pending {
            if let Ok(mut p) = p.lock() {
                p.push(check);
            }
        }
    }

    /// With the tables (and defaults) the actions of the foreign keys
    /// reach.
    pub fn with_cascades(mut self, cascades: Option<Arc<Cascades>>) -> FkChecks {
        self.cascades = cascades;
        self
    }

    /// The checks of rows changed in `table` by an action, with the tables
    /// `cascades` holds.
    fn of_table(table: &Arc<Table>, cascades: &Arc<Cascades>, read_committed: bool) -> Result<FkChecks> {
        let get = |oid: u32| {
            cascades.tables.get(&oid).cloned().ok_or_else(|| Error::internal("foreign key action without its table"))
        };
        let mut holds = Vec::new();
        for fk in &table.foreign_keys {
            holds.push(Holds::new(fk, get(fk.parent)?)?);
        }
        let mut referenced_by = Vec::new();
        for fk in &table.referenced_by {
            referenced_by.push(ReferencedBy { fk: fk.clone(), child: get(fk.child)? });
        }
        Ok(FkChecks::new(holds, referenced_by, read_committed).with_cascades(Some(cascades.clone())))
    }

    /// Nested checks share the statement's queue.
    fn nested(&self, table: &Arc<Table>, cascades: &Arc<Cascades>) -> Result<FkChecks> {
        Ok(FkChecks::of_table(table, cascades, self.read_committed)?.with_pending(self.pending.clone()))
    }

    pub fn is_empty(&self) -> bool {
        self.holds.is_empty() && self.referenced_by.is_empty()
    }

    pub fn row_inserted(&mut self, values: &[Datum]) {
        for (h, queue) in self.holds.iter().zip(&mut self.child_keys) {
            if let Some(key) = h.key(values) {
                queue.push((key, h.fk.columns.iter().map(|&c| values[c].clone()).collect()));
            }
        }
    }

    pub fn row_updated(&mut self, old: &[Datum], new: &[Datum]) {
        for (h, queue) in self.holds.iter().zip(&mut self.child_keys) {
            if let Some(key) = h.key(new).filter(|k| h.key(old).as_ref() != Some(k)) {
                queue.push((key, h.fk.columns.iter().map(|&c| new[c].clone()).collect()));
            }
        }
        for (i, (r, queue)) in self.referenced_by.iter().zip(&mut self.parent_keys).enumerate() {
            let order: Vec<usize> = (0..r.fk.parent_columns.len()).collect();
            let old_key = encoded_key(old, &r.fk.parent_columns, &order);
            if let Some(key) = old_key.filter(|k| encoded_key(new, &r.fk.parent_columns, &order).as_ref() != Some(k)) {
                let values: Vec<Datum> = r.fk.parent_columns.iter().map(|&c| old[c].clone()).collect();
                if acts(r.fk.on_update) {
                    let new_values = r.fk.parent_columns.iter().map(|&c| new[c].clone()).collect();
                    self.acted[i].push((values, Some(new_values)));
                } else {
                    queue.push((key, values, r.fk.on_update == FkAction::NoAction));
                }
            }
        }
    }

    pub fn row_deleted(&mut self, old: &[Datum]) {
        for (i, (r, queue)) in self.referenced_by.iter().zip(&mut self.parent_keys).enumerate() {
            let order: Vec<usize> = (0..r.fk.parent_columns.len()).collect();
            if let Some(key) = encoded_key(old, &r.fk.parent_columns, &order) {
                let values = r.fk.parent_columns.iter().map(|&c| old[c].clone()).collect();
                if acts(r.fk.on_delete) {
                    self.acted[i].push((values, None));
                } else {
                    queue.push((key, values, r.fk.on_delete == FkAction::NoAction));
                }
            }
        }
    }

    /// Run the actions of the keys removed or changed so far: change the
    /// referencing rows (see the module doc), then check the changes made.
    pub(in crate::sql) fn run_actions(&mut self, cx: &mut super::ExecCx<'_>) -> Result<()> {
        for i in 0..self.referenced_by.len() {
            let keys = std::mem::take(&mut self.acted[i]);
            if keys.is_empty() {
                continue;
            }
            let cascades =
                self.cascades.clone().ok_or_else(|| Error::internal("foreign key action without its tables"))?;
            let (fk, child) = (self.referenced_by[i].fk.clone(), self.referenced_by[i].child.clone());
            let order: Vec<usize> = (0..fk.columns.len()).collect();
            let mut wanted: HashMap<Vec<u8>, Option<Vec<Datum>>> = HashMap::new();
            for (old, new) in keys {
                if let Some(k) = encoded_key(&old, &order, &order) {
                    wanted.insert(k, new);
                }
            }
            let (catalog, pid, xid) = (cx.catalog, cx.eval.backend_pid(), cx.xid);
            let fresh;
            let snapshot = if self.read_committed {
                fresh = catalog.fresh_snapshot(pid);
                &fresh
            } else {
                cx.snapshot
            };
            let who = Reader { path: None, snapshot, xid, cid: u32::MAX };
            let rows = catalog.rows_where(&child, &who, &mut |row| {
                encoded_key(row, &fk.columns, &order).is_some_and(|k| wanted.contains_key(&k))
            })?;
            let mut nested = self.nested(&child, &cascades)?;
            let act = Act { fk: &fk, child: &child, cascades: &cascades, read_committed: self.read_committed };
            for (tid, row) in rows {
                let Some(key) = encoded_key(&row, &fk.columns, &order) else { continue };
                let new_key = wanted.get(&key).cloned().flatten();
                act.apply(cx, tid, row, &key, new_key.as_deref(), &mut nested)?;
            }
            nested.run_actions(cx)?;
            let statement = cx.snapshot;
            let eval = &mut *cx.eval;
            let mut wait = |other: u64| super::wait_until_ended(catalog, pid, other, &mut || eval.check_interrupts());
            nested.run(catalog, &child, statement, (pid, xid), &mut wait)?;
        }
        Ok(())
    }

    /// Run the queued checks of the statement's table `table` (see the
    /// module doc). `statement` is the statement's snapshot; `wait` waits
    /// for a transaction to end.
    pub fn run(
        &mut self,
        catalog: &Catalog,
        table: &Table,
        statement: &Snapshot,
        (pid, xid): (i32, u64),
        wait: &mut dyn FnMut(u64) -> Result<()>,
    ) -> Result<()> {
        use super::deferred::PendingCheck;
        for i in 0..self.referenced_by.len() {
            let mut keys = std::mem::take(&mut self.parent_keys[i]);
            if self.deferred(&self.referenced_by[i].fk) {
                // NO ACTION waits; RESTRICT is checked now all the same.
                let fk = &self.referenced_by[i].fk;
                for (key, values, _) in keys.iter().filter(|k| k.2) {
                    let check = PendingCheck::Referenced { fk: fk.clone(), key: key.clone(), values: values.clone() };
                    self.defer(check);
                }
                keys.retain(|k| !k.2);
            }
            if !keys.is_empty() {
                self.check_unreferenced(catalog, table, i, &keys, statement, (pid, xid))?;
            }
        }
        for i in 0..self.holds.len() {
            let keys = std::mem::take(&mut self.child_keys[i]);
            let deferred = self.deferred(&self.holds[i].fk);
            let mut seen = HashSet::new();
            for (key, values) in keys {
                if !seen.insert(key.clone()) {
                    continue;
                }
                if deferred {
                    self.defer(PendingCheck::Referencing { fk: self.holds[i].fk.clone(), key, values });
                } else {
                    self.check_present(catalog, table, i, &key, &values, statement, (pid, xid), wait)?;
                }
            }
        }
        Ok(())
    }

    /// The parent of `holds[i]` has `key`: find it, and lock its row.
    #[allow(clippy::too_many_arguments)]
    fn check_present(
        &self,
        catalog: &Catalog,
        table: &Table,
        i: usize,
        key: &[u8],
        values: &[Datum],
        statement: &Snapshot,
        (pid, xid): (i32, u64),
        wait: &mut dyn FnMut(u64) -> Result<()>,
    ) -> Result<()> {
        let h = &self.holds[i];
        loop {
            let fresh;
            let snapshot = if self.read_committed {
                fresh = catalog.fresh_snapshot(pid);
                &fresh
            } else {
                statement
            };
            let who = Reader { path: None, snapshot, xid, cid: u32::MAX };
            let Some(&tid) = catalog.rows_with_key(&h.parent, &h.index, key, &who)?.first() else {
                return Err(err!(
                    SqlState::FOREIGN_KEY_VIOLATION,
                    "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                    table.name,
                    h.fk.name
                )
                .with_detail(format!(
                    "{} is not present in table \"{}\".",
                    describe(table, &h.fk.columns, values),
                    h.parent.name
                ))
                .with_table(table.namespace, &table.name)
                .with_constraint(&h.fk.name));
            };
            match catalog.lock_row_as(&h.parent, tid, xid, crate::txn::RowLock::KeyShare)? {
                RowChange::Done(_) | RowChange::DoneHot(_) | RowChange::SelfModified => return Ok(()),
                RowChange::Wait(other) => wait(other)?,
                RowChange::Modified { .. } if self.read_committed => {}
                RowChange::Modified { newer } => {
                    let what = if newer.is_some() { "update" } else { "delete" };
                    return Err(err!(
                        SqlState::T_R_SERIALIZATION_FAILURE,
                        "could not serialize access due to concurrent {what}"
                    ));
                }
            }
        }
    }

    /// No row of the child of `referenced_by[i]` may still hold one of
    /// `keys` (removed from `table`, the parent).
    fn check_unreferenced(
        &self,
        catalog: &Catalog,
        table: &Table,
        i: usize,
        keys: &[RemovedKey],
        statement: &Snapshot,
        (pid, xid): (i32, u64),
    ) -> Result<()> {
        let r = &self.referenced_by[i];
        // A current snapshot, with the SERIALIZABLE transaction's SIREAD
        // locks and conflict checks (as PostgreSQL's RI queries have).
        let mut snapshot = catalog.fresh_snapshot(pid);
        snapshot.serial = statement.serial;
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: u32::MAX };
        let mut gone: Vec<&RemovedKey> = Vec::with_capacity(keys.len());
        let mut wanted = HashSet::new();
        for k in keys {
            // NO ACTION: a key that some row has again is not gone.
            if k.2 {
                if let Some(index) = table.indexes.iter().find(|x| x.oid == r.fk.index) {
                    let row = self.parent_row(table, &r.fk, &k.1);
                    if !catalog.rows_with_key(table, index, &index.plain_key(&row), &who)?.is_empty() {
                        continue;
                    }
                }
            }
            if wanted.insert(k.0.clone()) {
                gone.push(k);
            }
        }
        if gone.is_empty() {
            return Ok(());
        }
        let order: Vec<usize> = (0..r.fk.columns.len()).collect();
        let mut found = HashSet::new();
        let positions: Vec<usize> = (0..r.fk.columns.len()).collect();
        catalog.scan_columns(&r.child, &r.fk.columns, &who, &mut |v| {
            if let Some(k) = encoded_key(v, &positions, &order) {
                if wanted.contains(&k) {
                    found.insert(k);
                }
            }
            Ok(())
        })?;
        if let Some(k) = gone.iter().find(|k| found.contains(&k.0)) {
            return Err(referenced_error(table, &r.fk, &r.child, &k.1));
        }
        Ok(())
    }

    /// A row of the parent shaped for its index: the key's values in place.
    fn parent_row(&self, table: &Table, fk: &ForeignKey, key: &[Datum]) -> Vec<Datum> {
        let mut row = vec![Datum::Null; table.columns.len()];
        for (&c, v) in fk.parent_columns.iter().zip(key) {
            row[c] = v.clone();
        }
        row
    }
}

/// One foreign key's action on the referencing rows of `child`.
struct Act<'a> {
    fk: &'a ForeignKey,
    child: &'a Arc<Table>,
    cascades: &'a Cascades,
    read_committed: bool,
}

impl Act<'_> {
    /// Delete or update the referencing row at `tid` (`row`, holding
    /// `key`), as an UPDATE or DELETE changes a row, and queue the checks
    /// of the change in `nested`. `new_key`: the parent's new key (an
    /// UPDATE's).
    fn apply(
        &self,
        cx: &mut super::ExecCx<'_>,
        mut tid: crate::storage::heap::Tid,
        mut row: Vec<Datum>,
        key: &[u8],
        new_key: Option<&[Datum]>,
        nested: &mut FkChecks,
    ) -> Result<()> {
        let (fk, child) = (self.fk, self.child.as_ref());
        let action = if new_key.is_some() { fk.on_update } else { fk.on_delete };
        let delete = action == FkAction::Cascade && new_key.is_none();
        let order: Vec<usize> = (0..fk.columns.len()).collect();
        let desc = child.desc();
        loop {
            let (result, values) = if delete {
                (cx.catalog.delete_row(child, tid, cx.xid, cx.cid)?, Vec::new())
            } else {
                let values = self.new_values(cx, &row, new_key)?;
                super::check_not_null(child, &values)?;
                super::check_constraints(child, &values, cx.eval)?;
                (cx.catalog.update_row(child, &desc, tid, &values, cx.xid, cx.cid)?, values)
            };
            match result {
                RowChange::Done(at) | RowChange::DoneHot(at) => {
                    if delete {
                        nested.row_deleted(&row);
                    } else {
                        if matches!(result, RowChange::Done(_)) {
                            super::insert_index_entries(cx.catalog, cx.eval, cx.xid, child, &values, Some(&row), at)?;
                        }
                        nested.row_updated(&row, &values);
                    }
                    return Ok(());
                }
                // Changed already by this statement.
                RowChange::SelfModified => return Ok(()),
                RowChange::Wait(other) => super::wait_for_row_holder(cx, other)?,
                RowChange::Modified { newer } => {
                    if !self.read_committed {
                        return Err(super::concurrent_change(newer.is_none()));
                    }
                    let Some(newer) = newer else { return Ok(()) };
                    match cx.catalog.newest_version_as(child, newer, cx.xid, crate::txn::RowLock::Update)? {
                        NewestVersion::Gone => return Ok(()),
                        NewestVersion::Wait(other) => {
                            super::wait_for_row_holder(cx, other)?;
                            tid = newer;
                            row = cx.catalog.fetch_row(child, tid)?;
                        }
                        NewestVersion::At(at, newest) => {
                            tid = at;
                            row = newest;
                        }
                    }
                    // The newest version must still reference the key.
                    if encoded_key(&row, &fk.columns, &order).as_deref() != Some(key) {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// The referencing row `row` as the action leaves it.
    fn new_values(&self, cx: &mut super::ExecCx<'_>, row: &[Datum], new_key: Option<&[Datum]>) -> Result<Vec<Datum>> {
        let (fk, child) = (self.fk, self.child.as_ref());
        let action = if new_key.is_some() { fk.on_update } else { fk.on_delete };
        let mut values = row.to_vec();
        for (k, &c) in fk.columns.iter().enumerate() {
            let ty = child.columns[c].ty;
            values[c] = match (action, new_key) {
                (FkAction::Cascade, Some(new)) => {
                    let v = new[k].clone();
                    let from = self.cascades.tables.get(&fk.parent).map_or(ty, |p| p.columns[fk.parent_columns[k]].ty);
                    if from == ty { v } else { crate::sql::expr::cast(v, from, ty, None, 1)? }
                }
                (FkAction::SetDefault, _) => match self.cascades.defaults.get(&fk.oid).and_then(|d| d.get(k)) {
                    Some(e) => {
                        let mut over = super::RowOver { inner: &mut *cx.eval, row: &[] };
                        crate::sql::expr::eval(e, &mut over)?
                    }
                    None => Datum::Null,
                },
                _ => Datum::Null,
            };
        }
        Ok(values)
    }
}

/// 23503 for a parent key still referenced.
pub fn referenced_error(parent: &Table, fk: &ForeignKey, child: &Table, key: &[Datum]) -> Error {
    err!(
        SqlState::FOREIGN_KEY_VIOLATION,
        "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{}\"",
        parent.name,
        fk.name,
        child.name
    )
    .with_detail(format!(
        "{} is still referenced from table \"{}\".",
        describe(parent, &fk.parent_columns, key),
        child.name
    ))
    .with_table(child.namespace, &child.name)
    .with_constraint(&fk.name)
}
