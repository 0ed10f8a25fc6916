//! The catalog's part in serializable snapshot isolation: which reads and
//! writes of user relations are reported to the transaction manager's
//! [`crate::txn::predicate`] tracker. System catalogs take no SIREAD locks
//! (as in PostgreSQL): DDL is serialized by its table locks instead.
//!
//! Why no rw-conflict is missed. A reader and a writer of the same thing
//! meet either through the reader's SIREAD lock (the writer's
//! `conflict_in`) or through the writer's version (the reader's
//! `conflict_out`). Two rules order the steps so that one of the two
//! always happens:
//!
//! 1. The reader's lock is in place no later than its read can be seen
//!    as old: a relation lock (sequential scan, before even the
//!    relation's size is read), a key-range lock (index scan) and a page
//!    lock (index-only scan) are taken before the pages are read; a tuple lock (index fetch) is taken in the callback that
//!    examines the version, while the page is still share-locked.
//! 2. The writer checks for SIREAD locks only after its change is on the
//!    page (heap insert, `xmax` of an update or delete) or in the index
//!    (new entry), that is after it released the exclusive page lock.
//!
//! Take the reader's read R, its lock L, the writer's change W and its
//! check C, with L before the end of R's page lock and W before C. If R
//! read the page before W changed it, L precedes W (the page lock orders
//! R, and so L, before W), so L precedes C: the check finds the lock. If
//! R read the page after W, R sees the writer's version and reports the
//! conflict itself. Checking before the change (the old order) let
//! "check, read, lock, change" through with neither.

use super::{Catalog, FIRST_NORMAL_OID, Index, IndexRange, Reader, Table};
use crate::error::{Error, Result};
use crate::sql::types::Datum;
use crate::storage::heap::Tid;
use crate::txn::predicate::{SerialId, Target, Written};

impl Catalog {
    /// The serializable transaction reading `table` for `who`, if its
    /// reads are tracked.
    pub(super) fn serial_reader(&self, table: &Table, who: &Reader<'_>) -> Option<SerialId> {
        who.snapshot.serial.filter(|_| table.oid >= FIRST_NORMAL_OID)
    }

    /// A serializable reader examined tuple version `t` (visible or not):
    /// the concurrent writer it conflicts with, if any.
    pub(super) fn serial_examined(&self, who: &Reader<'_>, t: &[u8], visible: bool, out: &mut Vec<u64>) -> Result<()> {
        if let Some(x) = self.txns.concurrent_writer(t, who.snapshot, who.xid, visible)? {
            if !out.contains(&x) {
                out.push(x);
            }
        }
        Ok(())
    }

    /// Report the rw-conflicts a read found.
    pub(super) fn serial_conflicts_out(&self, id: SerialId, writers: &[u64]) -> Result<()> {
        writers.iter().try_for_each(|&w| self.txns.serial.conflict_out(id, w))
    }

    /// A serializable index scan reads `range` of `index`: a SIREAD lock on
    /// the range, so that a later insert into it is a conflict (phantoms).
    pub fn serial_lock_range(&self, index: &Index, range: &IndexRange, who: &Reader<'_>) -> Result<()> {
        match who.snapshot.serial.filter(|_| index.oid >= FIRST_NORMAL_OID) {
            Some(id) => self.txns.serial.lock(id, index.oid, Target::Range(range.lower.clone(), range.upper.clone())),
            None => Ok(()),
        }
    }

    /// A serializable sequential scan of `table` starts: a SIREAD lock on
    /// the whole relation (coarse but correct), taken before the scan
    /// reads the relation's size, so that an empty table is locked too and
    /// a row added past the size read is a conflict.
    pub fn serial_lock_relation(&self, table: &Table, who: &Reader<'_>) -> Result<()> {
        match self.serial_reader(table, who) {
            Some(id) => self.txns.serial.lock(id, table.oid, Target::Relation),
            None => Ok(()),
        }
    }

    /// A serializable index-only scan may read rows of heap page `block`
    /// from the index alone: it locks the whole page (its rows' places in
    /// their HOT chains are unknown without the heap), as PostgreSQL does.
    /// Taken before the visibility map is asked, so that a writer either
    /// meets the lock or has already cleared the page's bit (and the scan
    /// then reads the heap, where it meets the writer's version).
    pub fn serial_lock_page(&self, table: &Table, block: u32, who: &Reader<'_>) -> Result<()> {
        match self.serial_reader(table, who) {
            Some(id) => self.txns.serial.lock(id, table.oid, Target::Page(block)),
            None => Ok(()),
        }
    }

    /// Transaction `xid` writes `what` in `table`: a serializable writer
    /// meets the SIREAD locks of concurrent serializable readers.
    pub(super) fn serial_write(&self, table: &Table, xid: u64, what: Written<'_>) -> Result<()> {
        if table.oid < FIRST_NORMAL_OID || self.txns.serial.tracked() == 0 {
            return Ok(());
        }
        self.txns.serial.conflict_in(xid, table.oid, what)
    }

    /// The same for an updated or deleted version.
    pub(super) fn serial_write_tuple(&self, table: &Table, xid: u64, tid: Tid) -> Result<()> {
        self.serial_write(table, xid, Written::Tuple(tid.block, tid.offset))
    }

    /// Transaction `xid` writes all of `table` at once (TRUNCATE, DROP
    /// TABLE): a conflict with every concurrent serializable reader of it
    /// or of its indexes (PostgreSQL's CheckTableForSerializableConflictIn).
    pub fn serial_write_relation(&self, table: u32, indexes: &[u32], xid: u64) -> Result<()> {
        if table < FIRST_NORMAL_OID || self.txns.serial.tracked() == 0 {
            return Ok(());
        }
        std::iter::once(&table)
            .chain(indexes)
            .try_for_each(|&rel| self.txns.serial.conflict_in(xid, rel, Written::Relation))
    }

    /// `table`'s rows moved to new addresses (VACUUM FULL, a rewrite):
    /// its tuple and page locks become relation locks.
    pub fn serial_rows_moved(&self, table: u32) {
        self.txns.serial.transfer_to_relation(table, table);
    }

    /// `index` of `table` goes or is rebuilt: its key-range locks become
    /// locks on the whole table, so a reader that used it keeps its
    /// protection against phantoms.
    pub fn serial_index_gone(&self, index: u32, table: u32) {
        self.txns.serial.transfer_to_relation(index, table);
    }

    /// A unique violation on `index`, unless the key's lookup conflicts
    /// first: the writer checks the key's SIREAD locks as if it were to
    /// add it, so that a 40001 is not masked by the violation (a reader
    /// that saw the key absent makes the violation itself an anomaly).
    pub(super) fn unique_violation_serial(&self, index: &Index, table: &Table, values: &[Datum], xid: u64) -> Error {
        match self.serial_write_key(index, values, xid) {
            Err(e) => e,
            Ok(()) => super::index::unique_violation(index, table, values),
        }
    }

    /// Transaction `xid` adds an entry with `values`' key to `index`.
    pub(super) fn serial_write_key(&self, index: &Index, values: &[Datum], xid: u64) -> Result<()> {
        if index.oid < FIRST_NORMAL_OID || self.txns.serial.tracked() == 0 {
            return Ok(());
        }
        let key = index.key(values)?;
        self.txns.serial.conflict_in(xid, index.oid, Written::Key(&key))
    }
}
