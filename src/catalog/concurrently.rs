//! The catalog's part of CREATE / DROP INDEX CONCURRENTLY: an index's
//! `indisvalid` / `indisready` flags, and the catch-up pass that gives a
//! concurrently built index the entries its build missed (PostgreSQL's
//! `validate_index`). The phases, and the waits between them, are the
//! session's (see `crate::session::concurrently`).
//!
//! Why the catch-up finds every missing row and adds none twice: by the
//! time it runs, every transaction that could have written the table
//! without knowing of the index (so without adding entries to it) has
//! ended, as the session waited for them. It takes a snapshot; a row
//! version whose inserter committed before that snapshot was either
//! written by such a transaction (no entry: one is added) or by one that
//! added its entry before committing (the entry is there to be found).
//! Versions of transactions the snapshot does not see as committed are
//! written by transactions that maintain the index themselves.

use std::ops::Bound;

use crate::error::{Error, Result};
use crate::sql::types::Datum;
use crate::storage::heap::Tid;
use crate::txn::Snapshot;

use super::index::{Index, KeyCheck};
use super::{Catalog, Reader, Table};

/// A row version the catch-up considers: its chain's root, where it is,
/// the values of the indexed columns, and whether it is live (counts for
/// uniqueness). Versions of one chain with one key make one candidate,
/// live if one of them is (and then it is that one).
struct Candidate {
    root: Tid,
    at: Tid,
    values: Vec<Datum>,
    key: Vec<u8>,
    live: bool,
}

impl Catalog {
    /// Set index `index`'s `pg_index.indisvalid` and `indisready` (as
    /// `index.valid` and `index.ready` say), as `xid` at `cid`.
    pub fn set_index_state(&self, index: &Index, table: &Table, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        self.refresh_index_row(index, table, xid, cid, who)
    }

    /// REINDEX CONCURRENTLY's swap: index `a` takes the file of index `b`
    /// (its rebuilt copy), and `b` the file of `a` (`pg_class.relfilenode`),
    /// so that `a` keeps its OID, name and constraint with the new file.
    pub fn swap_index_files(&self, a: &Index, b: &Index, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        for (index, file) in [(a, b.rel), (b, a.rel)] {
            let (_, rel) = self.relation_by_oid(index.oid, who)?.ok_or_else(|| Error::internal("index vanished"))?;
            let relfilenode = file.relfilenode.to_le_bytes().to_vec();
            self.update_class_row(&rel, xid, cid, &|v| {
                v[super::system::CLASS_RELFILENODE] = Some(relfilenode.clone())
            })?;
        }
        Ok(())
    }

    /// Give `index` an entry for every version of `table`'s rows whose
    /// inserter committed before `snapshot` and that has none (see the
    /// module doc), checking uniqueness as an insert does; `wait` waits
    /// for a transaction that holds the key. Versions dead to every
    /// snapshot with `snapshot`'s xmin are left out, as in
    /// [`Catalog::build_index_concurrently`]. Returns how many entries
    /// were added.
    pub fn validate_index(
        &self,
        table: &Table,
        index: &Index,
        xid: u64,
        snapshot: &Snapshot,
        wait: &mut dyn FnMut(u64) -> Result<()>,
        interrupted: &dyn Fn() -> Result<()>,
    ) -> Result<u64> {
        let desc = table.desc();
        let mut wanted = vec![false; table.columns.len()];
        for c in index.columns_read() {
            wanted[c] = true;
        }
        let heap = self.table_heap(table);
        let mut added = 0;
        let mut candidates: Vec<Candidate> = Vec::new();
        for block in 0..heap.nblocks()? {
            interrupted()?;
            candidates.clear();
            let mut error = None;
            // The page's versions are read under its lock; the index is
            // looked at and written after it is let go.
            heap.scan_chains(block, |root, versions| {
                let first = candidates.len();
                for &(at, t) in versions {
                    if error.is_some() {
                        return;
                    }
                    match self.candidate(table, &desc, index, &wanted, t, (root, at), snapshot, xid) {
                        Ok(Some(c)) => match candidates[first..].iter_mut().find(|o| o.key == c.key) {
                            Some(o) if c.live && !o.live => *o = c,
                            Some(_) => {}
                            None => candidates.push(c),
                        },
                        Ok(None) => {}
                        Err(e) => error = Some(e),
                    }
                }
            })?;
            if let Some(e) = error {
                return Err(e);
            }
            for c in &candidates {
                if self.has_index_entry(index, &c.key, c.root)? {
                    continue;
                }
                let mut check = c.live;
                loop {
                    match self.insert_index_entry(table, index, &c.values, c.root, xid, check)? {
                        KeyCheck::Free => break,
                        // A version deleted meanwhile (by the transaction
                        // waited for, say) holds its key no more: it gets
                        // its entry, unchecked, as in PostgreSQL.
                        KeyCheck::Taken(_) if !self.still_live(table, c.at, xid)? => check = false,
                        KeyCheck::Taken(_) => return Err(super::unique_violation(index, table, &c.values)),
                        KeyCheck::Wait(x) => wait(x)?,
                    }
                }
                added += 1;
            }
        }
        Ok(added)
    }

    /// The catch-up's view of one row version: `None` if it needs no
    /// look (dead to all, not committed before `snapshot`, or outside a
    /// partial index).
    #[allow(clippy::too_many_arguments)]
    fn candidate(
        &self,
        table: &Table,
        desc: &crate::storage::heap::tuple::TupleDesc,
        index: &Index,
        wanted: &[bool],
        t: &[u8],
        (root, at): (Tid, Tid),
        snapshot: &Snapshot,
        xid: u64,
    ) -> Result<Option<Candidate>> {
        if self.txns.dead_to_all(t, snapshot.xmin)? || !self.txns.inserted_before(t, snapshot)? {
            return Ok(None);
        }
        let live = !matches!(self.txns.unique_status(t, xid)?, crate::txn::UniqueStatus::Dead);
        if !live && self.values_freed(&self.toaster(table), desc, t, wanted)? {
            return Ok(None);
        }
        let values = self.decode_columns(table, desc, t, Some(wanted))?;
        if !index.covers(&values)? {
            return Ok(None);
        }
        let key = index.key(&values)?;
        Ok(Some(Candidate { root, at, values, key, live }))
    }

    /// Whether the row version at `at` still holds its key (as a unique
    /// check judges: live, or changed by a transaction still running).
    fn still_live(&self, table: &Table, at: Tid, xid: u64) -> Result<bool> {
        let Some(t) = self.table_heap(table).fetch(at)? else { return Ok(false) };
        Ok(!matches!(self.txns.unique_status(&t, xid)?, crate::txn::UniqueStatus::Dead))
    }

    /// Whether `index` holds the entry (`key`, `tid`).
    fn has_index_entry(&self, index: &Index, key: &[u8], tid: Tid) -> Result<bool> {
        let mut cursor = self.btree(index).scan(Bound::Included(key.to_vec()), Bound::Included(key.to_vec()), true);
        let mut batch = Vec::new();
        loop {
            batch.clear();
            let more = cursor.next_batch(&mut batch, 64)?;
            if batch.iter().any(|e| e.tid == tid && e.key == key) {
                return Ok(true);
            }
            if !more || batch.is_empty() {
                return Ok(false);
            }
        }
    }
}
