//! `INSERT … ON CONFLICT`: each proposed row is inserted unless a row
//! already holds its key in one of the arbiter indexes; then it is
//! dropped (`DO NOTHING`) or that row is updated (`DO UPDATE`).
//!
//! The insertion is speculative, as PostgreSQL's is. First the arbiters
//! are searched for the key, as unique checks see rows (live ones, and
//! those of transactions still running, which are waited for). With the
//! key free the row goes in, and its index entries are added with the
//! arbiters' checks made again under the leaf locks; a transaction that
//! took the key in between is not an error: the row is taken back (deleted
//! by the transaction that inserted it, which makes it dead to every
//! unique check) and the search starts over.
//!
//! ```text
//!   session A                          session B
//!   search: key free                   search: key free
//!   insert row, index entry            insert row
//!                                      index entry: A's row has the key
//!                                      take the row back, wait for A
//!   commit
//!                                      search: A's row → update it
//! ```
//!
//! `DO UPDATE` locks the row it met (`FOR UPDATE`) before reading it. A
//! row changed meanwhile by a committed transaction sends READ COMMITTED
//! back to the search (which finds the newest version); REPEATABLE READ
//! fails with 40001, as it does when the row met is not in its snapshot.

use std::sync::Arc;

use super::{
    ExecCx, Modify, check_not_null, concurrent_change, eval_batch, filter_batch, insert_index_entries,
    wait_for_transaction,
};
use crate::catalog::{KeyCheck, Reader, RowChange, Speculation, Table};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::batch::{Batch, datum_at, from_rows};
use crate::sql::expr::Expr;
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::Tid;

/// The ON CONFLICT clause of an INSERT, bound.
#[derive(Debug, Clone)]
pub struct OnConflict {
    /// The unique indexes (OIDs) whose keys count, in the table's order.
    pub arbiters: Vec<u32>,
    /// The statement named them (a conflict target or a constraint);
    /// EXPLAIN lists them only then.
    pub inferred: bool,
    pub action: ConflictAction,
}

#[derive(Debug, Clone)]
pub enum ConflictAction {
    Nothing,
    /// `DO UPDATE SET … [WHERE …]`: the new values of every column, and
    /// the condition, over the existing row's columns followed by those
    /// of the row proposed for insertion (`excluded`).
    Update {
        values: Vec<Expr>,
        filter: Option<Expr>,
    },
}

impl OnConflict {
    /// The properties EXPLAIN prints under `Insert on t`, each line
    /// starting with a line break.
    pub fn explain(&self, table: &Table) -> String {
        let mut out = String::new();
        let resolution = match self.action {
            ConflictAction::Nothing => "NOTHING",
            ConflictAction::Update { .. } => "UPDATE",
        };
        out.push_str(&format!("\n  Conflict Resolution: {resolution}"));
        if self.inferred {
            let names: Vec<&str> =
                table.indexes.iter().filter(|i| self.arbiters.contains(&i.oid)).map(|i| i.name.as_str()).collect();
            out.push_str(&format!("\n  Conflict Arbiter Indexes: {}", names.join(", ")));
        }
        if let ConflictAction::Update { filter: Some(f), .. } = &self.action {
            let names: Vec<String> = ["", "excluded"]
                .iter()
                .flat_map(|rel| {
                    let rel = if rel.is_empty() { table.name.as_str() } else { rel };
                    table.columns.iter().map(move |c| format!("{rel}.{}", c.name))
                })
                .collect();
            out.push_str(&format!("\n  Conflict Filter: {}", crate::sql::explain::expression(f, &names)));
        }
        out
    }
}

/// What became of one proposed row.
pub(super) enum Upserted {
    Inserted(Vec<Datum>),
    Updated { old: Vec<Datum>, new: Vec<Datum> },
    Skipped,
}

impl Modify {
    /// Insert `values`, or resolve the conflict with the row that holds
    /// its key.
    pub(super) fn upsert(&self, cx: &mut ExecCx<'_>, oc: &OnConflict, values: Vec<Datum>) -> Result<Upserted> {
        let table = self.table.clone();
        check_not_null(&table, &values)?;
        super::check_constraints(&table, &values, cx.eval)?;
        let stored = crate::sql::reg_column::to_stored(&table, &values, cx.eval)?.into_owned();
        loop {
            cx.eval.check_interrupts()?;
            let mut holder = KeyCheck::Free;
            for index in table.indexes.iter().filter(|i| oc.arbiters.contains(&i.oid)) {
                holder = cx.catalog.key_holder(&table, index, &stored, cx.xid)?;
                if holder != KeyCheck::Free {
                    break;
                }
            }
            match holder {
                KeyCheck::Wait(x) => {
                    wait_for_transaction(cx, x)?;
                    continue;
                }
                KeyCheck::Taken(at) => match self.resolve(cx, oc, &table, at, &values)? {
                    Some(done) => return Ok(done),
                    None => continue,
                },
                KeyCheck::Free => {}
            }
            let tid = cx.catalog.insert_row(&table, &self.desc, &stored, cx.xid, cx.cid)?;
            let outcome = {
                let (catalog, pid) = (cx.catalog, cx.eval.backend_pid());
                let eval = &mut *cx.eval;
                let mut wait =
                    |other: u64| super::wait_until_ended(catalog, pid, other, &mut || eval.check_interrupts());
                let mut deferred = Vec::new();
                let outcome = catalog.insert_index_entries_speculative(
                    &table,
                    &stored,
                    tid,
                    cx.xid,
                    &oc.arbiters,
                    &mut wait,
                    &mut deferred,
                )?;
                if outcome == Speculation::Inserted {
                    super::defer_unique_checks(eval, &table, &values, tid, &deferred)?;
                }
                outcome
            };
            match outcome {
                Speculation::Inserted => return Ok(Upserted::Inserted(values)),
                Speculation::Conflict(other) => {
                    // Lost the race for the key: take the row back, start over.
                    cx.catalog.delete_row(&table, tid, cx.xid, cx.cid)?;
                    if let Some(other) = other {
                        wait_for_transaction(cx, other)?;
                    }
                }
            }
        }
    }

    /// The proposed row `proposed` conflicts with the live version at
    /// `at`: skip it, or update that row. `None`: the row changed
    /// meanwhile, search again.
    fn resolve(
        &self,
        cx: &mut ExecCx<'_>,
        oc: &OnConflict,
        table: &Arc<Table>,
        at: Tid,
        proposed: &[Datum],
    ) -> Result<Option<Upserted>> {
        let seen = {
            let who = Reader { path: None, snapshot: cx.snapshot, xid: cx.xid, cid: cx.cid };
            cx.catalog.version_seen(table, at, &who)?
        };
        // REPEATABLE READ may not act on a row its snapshot does not see.
        let invisible = !self.read_committed && !seen.visible && !seen.own;
        let ConflictAction::Update { values, filter } = &oc.action else {
            if invisible {
                return Err(concurrent_change(false));
            }
            return Ok(Some(Upserted::Skipped));
        };
        if seen.this_command {
            return Err(affect_row_twice());
        }
        match cx.catalog.lock_row(table, at, cx.xid)? {
            RowChange::Done(_) | RowChange::DoneHot(_) => {}
            RowChange::SelfModified => return Err(affect_row_twice()),
            RowChange::Wait(other) => {
                wait_for_transaction(cx, other)?;
                return Ok(None);
            }
            RowChange::Modified { .. } if self.read_committed => return Ok(None),
            RowChange::Modified { .. } => return Err(concurrent_change(false)),
        }
        if invisible {
            return Err(concurrent_change(false));
        }
        let old = super::fetch_named(cx, table, at)?;
        let mut types: Vec<PgType> = table.columns.iter().map(|c| c.ty).collect();
        types.extend_from_slice(&types.clone());
        let mut row = old.clone();
        row.extend_from_slice(proposed);
        let b = from_rows(&[row], &types)?;
        let b = Batch::new(b.columns, 1);
        if let Some(f) = filter {
            if filter_batch(b.clone(), f, cx)?.rows == 0 {
                return Ok(Some(Upserted::Skipped));
            }
        }
        let mut new = Vec::with_capacity(values.len());
        for e in values {
            let col = eval_batch(e, &b, cx)?;
            new.push(datum_at(&col, e.ty(), 0));
        }
        check_not_null(table, &new)?;
        super::check_constraints(table, &new, cx.eval)?;
        let stored = crate::sql::reg_column::to_stored(table, &new, cx.eval)?;
        match cx.catalog.update_row(table, &self.desc, at, &stored, cx.xid, cx.cid)? {
            RowChange::Done(version) => {
                insert_index_entries(cx.catalog, cx.eval, cx.xid, table, &new, Some(&old), version)?
            }
            RowChange::DoneHot(_) => {}
            // The row is locked: nobody else can have changed it.
            _ => return Err(Error::internal("a locked row changed under ON CONFLICT DO UPDATE")),
        }
        Ok(Some(Upserted::Updated { old, new }))
    }
}

fn affect_row_twice() -> Error {
    err!(SqlState::CARDINALITY_VIOLATION, "ON CONFLICT DO UPDATE command cannot affect row a second time").with_hint(
        "Ensure that no rows proposed for insertion within the same command have duplicate constrained values.",
    )
}
