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
//! Keys are compared in their index encoding ([`crate::catalog::keycode`]),
//! in which the integer types encode alike, so an `int4` column may
//! reference an `int8` key.

use std::collections::HashSet;
use std::sync::Arc;

use crate::catalog::{Catalog, FkAction, ForeignKey, Index, Reader, RowChange, Table};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::types::Datum;
use crate::txn::Snapshot;

/// A foreign key the statement's table holds, with the referenced table
/// and its unique index.
pub struct Holds {
    pub fk: ForeignKey,
    pub parent: Arc<Table>,
    pub index: Index,
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
}

/// The values of `values` in `columns` (taken in `order`), encoded for
/// comparison; `None` if one is NULL (MATCH SIMPLE: such a row references
/// nothing).
fn encoded_key(values: &[Datum], columns: &[usize], order: &[usize]) -> Option<Vec<u8>> {
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
        }
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
        for (r, queue) in self.referenced_by.iter().zip(&mut self.parent_keys) {
            let order: Vec<usize> = (0..r.fk.parent_columns.len()).collect();
            let old_key = encoded_key(old, &r.fk.parent_columns, &order);
            if let Some(key) = old_key.filter(|k| encoded_key(new, &r.fk.parent_columns, &order).as_ref() != Some(k)) {
                let values = r.fk.parent_columns.iter().map(|&c| old[c].clone()).collect();
                queue.push((key, values, r.fk.on_update == FkAction::NoAction));
            }
        }
    }

    pub fn row_deleted(&mut self, old: &[Datum]) {
        for (r, queue) in self.referenced_by.iter().zip(&mut self.parent_keys) {
            let order: Vec<usize> = (0..r.fk.parent_columns.len()).collect();
            if let Some(key) = encoded_key(old, &r.fk.parent_columns, &order) {
                let values = r.fk.parent_columns.iter().map(|&c| old[c].clone()).collect();
                queue.push((key, values, r.fk.on_delete == FkAction::NoAction));
            }
        }
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
        for i in 0..self.referenced_by.len() {
            let keys = std::mem::take(&mut self.parent_keys[i]);
            if !keys.is_empty() {
                self.check_unreferenced(catalog, table, i, &keys, (pid, xid))?;
            }
        }
        for i in 0..self.holds.len() {
            let keys = std::mem::take(&mut self.child_keys[i]);
            let mut seen = HashSet::new();
            for (key, values) in keys {
                if seen.insert(key.clone()) {
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
                )));
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
        (pid, xid): (i32, u64),
    ) -> Result<()> {
        let r = &self.referenced_by[i];
        let snapshot = catalog.fresh_snapshot(pid);
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
            return Err(referenced_error(table, &r.fk, &r.child.name, &k.1));
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

/// 23503 for a parent key still referenced.
pub fn referenced_error(parent: &Table, fk: &ForeignKey, child: &str, key: &[Datum]) -> Error {
    err!(
        SqlState::FOREIGN_KEY_VIOLATION,
        "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{child}\"",
        parent.name,
        fk.name
    )
    .with_detail(format!("{} is still referenced from table \"{child}\".", describe(parent, &fk.parent_columns, key)))
}
