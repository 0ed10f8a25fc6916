//! A session's part in SERIALIZABLE isolation (see
//! [`crate::txn::predicate`] for the method).
//!
//! ```text
//!  first snapshot ── registered with the tracker (snapshot.serial = id)
//!  each write id  ── add_xid: writes under it meet other readers' SIREAD locks
//!  COMMIT         ── pre_commit (may fail with 40001: the transaction rolls back)
//!                 ── commit record, flush, leave the running set
//!                 ── end(id, committed): the commit counts for the others from now
//!  ROLLBACK       ── end(id, aborted): its locks and conflicts go at once
//! ```
//!
//! `SERIALIZABLE READ ONLY DEFERRABLE` waits instead for a snapshot no
//! running serializable writer overlaps, and then runs untracked.
//!
//! An implicit transaction (no `BEGIN`) is serializable when
//! `default_transaction_isolation` says so; its check before commit is made
//! by the protocol loop when the implicit transaction ends
//! ([`Session::pre_commit_implicit`]), so that a failure is reported.

use super::Session;
use super::xact::Isolation;
use crate::config::Guc;
use crate::error::Result;
use crate::txn::Snapshot;
use crate::txn::predicate::SerialId;

/// The tracker entries of the session's transaction.
#[derive(Default, Debug)]
pub(super) struct SerialState {
    /// The running transaction's entry, from its first snapshot on.
    pub id: Option<SerialId>,
    /// A commit logged but not yet visible: registered as committed in
    /// [`Session::serial_visible`].
    pub committing: Option<SerialId>,
}

impl Session {
    /// Whether the current transaction runs SERIALIZABLE (an implicit one
    /// by `default_transaction_isolation`).
    pub(super) fn serializable(&self) -> bool {
        match &self.block {
            Some(b) => b.isolation == Isolation::Serializable,
            None => {
                Isolation::parse(self.settings.str(Guc::default_transaction_isolation)) == Some(Isolation::Serializable)
            }
        }
    }

    /// The transaction snapshot of a serializable transaction, registered
    /// with the tracker together with it (with any ids it already has).
    pub(super) fn serial_snapshot(&mut self) -> Snapshot {
        let (read_only, deferrable) = match &self.block {
            Some(b) => (b.read_only, b.deferrable),
            None => (
                self.settings.bool(Guc::default_transaction_read_only),
                self.settings.bool(Guc::default_transaction_deferrable),
            ),
        };
        let (txns, pid) = (&self.shared.txns, self.pid);
        if read_only && deferrable {
            // A safe snapshot needs no tracking at all. A cancel or timeout
            // ends the wait; the transaction then runs tracked, and the
            // statement is canceled at its next check.
            let (interrupts, deadline) = (self.interrupts.clone(), self.deadline);
            let mut interrupted = || interrupts.check(deadline);
            let waited = txns.serial.safe_snapshot(pid, || txns.snapshot_for(pid), &mut interrupted);
            match waited {
                Ok(snapshot) => return snapshot,
                Err(e) if e.message().ends_with("user request") => self.interrupts.cancel(),
                Err(_) => {}
            }
        }
        let (id, mut snapshot) = txns.serial.begin(pid, read_only, || txns.snapshot_for(pid));
        snapshot.serial = Some(id);
        self.serial.id = Some(id);
        let subs = self.block.iter().flat_map(|b| b.savepoints.iter().flat_map(|sp| sp.ids()));
        for xid in self.xid.into_iter().chain(subs) {
            txns.serial.add_xid(id, xid);
        }
        snapshot
    }

    /// The transaction got a new id: its writes are tracked under it.
    pub(super) fn serial_new_xid(&self, xid: u64) {
        if let Some(id) = self.serial.id {
            self.shared.txns.serial.add_xid(id, xid);
        }
    }

    /// Before a serializable transaction commits: 40001 if it must not.
    pub(super) fn serial_pre_commit(&self) -> Result<()> {
        match self.serial.id {
            Some(id) => self.shared.txns.serial.pre_commit(id),
            None => Ok(()),
        }
    }

    /// An implicit transaction that is about to commit is checked first;
    /// if it may not commit it is marked failed (and so rolls back) and
    /// the error is returned for the client.
    pub fn pre_commit_implicit(&mut self) -> Result<()> {
        if self.block.is_some() || self.implicit_failed {
            return Ok(());
        }
        let result = self.serial_pre_commit();
        if result.is_err() {
            self.implicit_failed = true;
        }
        result
    }

    /// The transaction ends: an abort (or a read-only commit, which has
    /// nothing to make visible) is registered now, a commit with an id
    /// once it is visible.
    pub(super) fn serial_end(&mut self, committed: bool, awaits_visibility: bool) {
        let Some(id) = self.serial.id.take() else { return };
        if committed && awaits_visibility {
            self.serial.committing = Some(id);
        } else {
            self.shared.txns.serial.end(id, committed);
        }
    }

    /// The commit is visible: it counts as committed for the others.
    pub(super) fn serial_visible(&mut self) {
        if let Some(id) = self.serial.committing.take() {
            self.shared.txns.serial.end(id, true);
        }
    }
}
