//! Constraint checks that wait: PostgreSQL's deferred trigger events.
//!
//! A deferrable constraint's check need not run when its row changes:
//!
//! - A FOREIGN KEY whose mode is DEFERRED (`INITIALLY DEFERRED`, or
//!   `SET CONSTRAINTS … DEFERRED`) queues its checks here instead of
//!   running them at the end of the statement ([`super::foreign_key`]);
//!   RESTRICT checks never wait.
//! - The index of a deferrable UNIQUE or PRIMARY KEY constraint takes a
//!   key another row has, and queues the row version here
//!   ([`crate::catalog::Catalog::insert_index_entries`]); the key is
//!   checked again at the end of the statement if the constraint is
//!   IMMEDIATE, else later, so that `UPDATE t SET id = id + 1` passes.
//!
//! The session owns the queue ([`SharedPending`]) for its transaction: it
//! runs what is due at the end of each statement, everything at COMMIT
//! (a failure rolls the transaction back), the checks of the constraints
//! made IMMEDIATE at `SET CONSTRAINTS … IMMEDIATE`, drops what came after
//! a savepoint at `ROLLBACK TO` and everything when the transaction ends.
//!
//! ```text
//!   BEGIN
//!   INSERT child (pid 7)        deferred FK: Referencing(7) queued
//!   SAVEPOINT s
//!   INSERT child (pid 8)        Referencing(8) queued
//!   ROLLBACK TO s               Referencing(8) dropped
//!   INSERT parent (7)
//!   COMMIT                      Referencing(7) checked: parent 7 found
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::catalog::{Deferral, ForeignKey};
use crate::sql::types::Datum;
use crate::storage::heap::Tid;

/// `SET CONSTRAINTS` of the transaction: the mode of ALL, and of the
/// constraints named since (by the OID the queue knows them by: a
/// foreign key's constraint OID, a key constraint's index OID).
#[derive(Clone, Debug, Default)]
pub struct ConstraintModes {
    all: Option<bool>,
    named: HashMap<u32, bool>,
}

impl ConstraintModes {
    /// Whether constraint `oid` (with `deferral`) waits for the end of the
    /// transaction now.
    pub fn deferred(&self, oid: u32, deferral: Deferral) -> bool {
        deferral.deferrable && self.named.get(&oid).copied().or(self.all).unwrap_or(deferral.initially_deferred)
    }

    /// `SET CONSTRAINTS ALL …`: it overrides what was said of single ones.
    pub fn set_all(&mut self, deferred: bool) {
        self.all = Some(deferred);
        self.named.clear();
    }

    pub fn set(&mut self, oid: u32, deferred: bool) {
        self.named.insert(oid, deferred);
    }
}

/// A check put off.
#[derive(Clone, Debug)]
pub enum PendingCheck {
    /// A key a referencing row holds (`key` as the referenced table's
    /// index encodes it, `values` the referencing columns'), to be found
    /// in the referenced table.
    Referencing { fk: ForeignKey, key: Vec<u8>, values: Vec<Datum> },
    /// A key removed from the referenced table (NO ACTION): no
    /// referencing row may hold it unless a row has it again.
    Referenced { fk: ForeignKey, key: Vec<u8>, values: Vec<Datum> },
    /// A row version of table `table` that unique index `index` took
    /// while another row had (or might have had) its key.
    Unique { table: u32, index: u32, tid: Tid, deferral: Deferral },
}

impl PendingCheck {
    /// The OID SET CONSTRAINTS knows its constraint by, and its deferral.
    pub fn constraint(&self) -> (u32, Deferral) {
        match self {
            PendingCheck::Referencing { fk, .. } | PendingCheck::Referenced { fk, .. } => (fk.oid, fk.deferral),
            PendingCheck::Unique { index, deferral, .. } => (*index, *deferral),
        }
    }
}

/// The transaction's queue and modes. Each check carries the number it
/// was queued as, so that a savepoint can name where it began.
#[derive(Debug, Default)]
pub struct Pending {
    pub modes: ConstraintModes,
    queue: Vec<(u64, PendingCheck)>,
    next: u64,
}

/// The queue a session shares with the statements it runs.
pub type SharedPending = Arc<Mutex<Pending>>;

impl Pending {
    pub fn push(&mut self, check: PendingCheck) {
        self.queue.push((self.next, check));
        self.next += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Where the queue is now (for a savepoint).
    pub fn mark(&self) -> u64 {
        self.next
    }

    /// `ROLLBACK TO`: drop what was queued since `mark`, and restore the
    /// modes of then.
    pub fn rollback_to(&mut self, mark: u64, modes: ConstraintModes) {
        self.queue.retain(|(n, _)| *n < mark);
        self.modes = modes;
    }

    /// Take out the checks that are due: all of them (`everything`, at
    /// COMMIT), or those whose constraint is IMMEDIATE now.
    pub fn take_due(&mut self, everything: bool) -> Vec<PendingCheck> {
        let modes = &self.modes;
        let (due, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queue).into_iter().partition(|(_, c)| {
            let (oid, deferral) = c.constraint();
            everything || !modes.deferred(oid, deferral)
        });
        self.queue = kept;
        due.into_iter().map(|(_, c)| c).collect()
    }

    /// The transaction ended.
    pub fn clear(&mut self) {
        self.queue.clear();
        self.modes = ConstraintModes::default();
    }
}
