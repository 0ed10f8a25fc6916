//! The catalog's part in serializable snapshot isolation: which reads and
//! writes of user relations are reported to the transaction manager's
//! [`crate::txn::predicate`] tracker. System catalogs take no SIREAD locks
//! (as in PostgreSQL): DDL is serialized by its table locks instead.

use super::{Catalog, FIRST_NORMAL_OID, Index, IndexRange, Reader, Table};
use crate::error::Result;
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

    /// Transaction `xid` adds an entry with `values`' key to `index`.
    pub(super) fn serial_write_key(&self, index: &Index, values: &[crate::sql::types::Datum], xid: u64) -> Result<()> {
        if index.oid < FIRST_NORMAL_OID || self.txns.serial.tracked() == 0 {
            return Ok(());
        }
        let key = index.key(values)?;
        self.txns.serial.conflict_in(xid, index.oid, Written::Key(&key))
    }
}
