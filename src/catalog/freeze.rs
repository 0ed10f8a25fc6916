//! Freezing, and the truncation of the commit log and the multixact store
//! it allows (PostgreSQL's relfrozenxid / datfrozenxid scheme, without
//! wraparound: ids are 64-bit, but the files must not grow forever).
//!
//! - VACUUM passes over every version it keeps ([`Catalog::freeze_heap`]):
//!   an insert committed below the horizon is frozen, a delete committed
//!   below it hinted, lockers that ended dropped (see
//!   `TransactionManager::freeze_tuple`). What is left is the oldest
//!   transaction and multixact the relation still refers to, stored as
//!   its `pg_class.relfrozenxid` / `relminmxid` (with its TOAST
//!   relation's folded in).
//! - The system catalogs are frozen by every VACUUM too (they are small).
//! - Then the oldest of all of them, in every database (and of the
//!   horizon: a running transaction may write older ids than none), is
//!   where the commit log
//!   and the multixact store are cut ([`Catalog::truncate_xact_logs`]). A
//!   table never vacuumed (`relfrozenxid` 0) holds truncation back.
//!
//! An aborted id needs no commit-log entry: an id that is neither running
//! nor found committed reads as aborted.

use super::system::{self, PG_CLASS};
use super::{Catalog, Reader, Table, text_of};
use crate::error::Result;
use crate::sql::types::Datum;
use crate::storage::heap::tuple::deform;
use crate::storage::smgr::RelFileLocator;
use crate::txn::rowlock::Frozen;

/// The oldest ids left in a relation, once frozen.
fn fold(a: Frozen, b: Frozen) -> Frozen {
    Frozen { oldest_xid: a.oldest_xid.min(b.oldest_xid), oldest_multi: a.oldest_multi.min(b.oldest_multi) }
}

const NONE: Frozen = Frozen { oldest_xid: u64::MAX, oldest_multi: u64::MAX };

impl Catalog {
    /// Freeze the versions of heap `rel` (see the module doc); the oldest
    /// ids it still refers to.
    pub(crate) fn freeze_heap(
        &self,
        rel: RelFileLocator,
        unlogged: bool,
        horizon: u64,
        interrupted: &dyn Fn() -> Result<()>,
    ) -> Result<Frozen> {
        let heap = self.heap(rel).unlogged(unlogged);
        let mut out = NONE;
        for block in 0..heap.nblocks()? {
            interrupted()?;
            // All frozen: nothing to do, and no id referred to.
            if heap.all_frozen(block)? {
                continue;
            }
            let left = std::cell::Cell::new(NONE);
            heap.freeze_page(block, &|t| {
                let (changed, f) = self.txns.freeze_tuple(t, horizon)?;
                left.set(fold(left.get(), f));
                Ok(changed)
            })?;
            out = fold(out, left.get());
        }
        Ok(out)
    }

    /// Freeze a table and its TOAST relation; remember the oldest ids left
    /// (bounded by the horizon and the next multixact: what a running
    /// transaction may still write there) for [`Catalog::set_size`].
    pub(crate) fn freeze_table(&self, table: &Table, horizon: u64, interrupted: &dyn Fn() -> Result<()>) -> Result<()> {
        let next_multi = self.txns.multixacts.next();
        let mut f = self.freeze_heap(table.rel, table.unlogged, horizon, interrupted)?;
        if let Some(toast) = &table.toast {
            f = fold(f, self.freeze_heap(toast.heap, table.unlogged, horizon, interrupted)?);
        }
        let f = Frozen { oldest_xid: f.oldest_xid.min(horizon), oldest_multi: f.oldest_multi.min(next_multi) };
        self.frozen.insert(table.oid, f);
        Ok(())
    }

    /// The `relfrozenxid` and `relminmxid` to store for relation `oid`
    /// (taken: stored once), if a vacuum computed them.
    pub(crate) fn take_frozen(&self, oid: u32) -> Option<(Datum, Datum)> {
        let (_, f) = self.frozen.remove(&oid)?;
        Some((Datum::Text(f.oldest_xid.to_string()), Datum::Text(f.oldest_multi.to_string())))
    }

    /// Freeze the system catalogs, and cut the commit log and the
    /// multixact store below what every relation of every database may
    /// still refer to (see the module doc); `who` reads this database's
    /// `pg_class` (with this VACUUM's own updates of it). Returns the cut
    /// points, if there was one.
    pub fn truncate_xact_logs(
        &self,
        horizon: u64,
        who: &Reader<'_>,
        interrupted: &dyn Fn() -> Result<()>,
    ) -> Result<Option<(u64, u64)>> {
        let next_multi = self.txns.multixacts.next();
        let start = Frozen { oldest_xid: horizon, oldest_multi: next_multi };
        let Some(mut oldest) = self.oldest_referenced(start, horizon, who, interrupted)? else {
            tracing::debug!("a table was never vacuumed: the commit log is not truncated");
            return Ok(None);
        };
        // The other databases' relations count as much as this one's (the
        // commit log is the cluster's). A database directory that
        // pg_database does not list yet is a CREATE DATABASE copying:
        // its files are not known, so nothing is cut this time.
        let snapshot = self.txns.snapshot();
        let committed = Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 };
        let listed: Vec<u32> = self.databases(&committed)?.iter().map(|d| d.oid).collect();
        let on_disk = self.engine.smgr.databases_on_disk()?;
        if on_disk.iter().any(|db| *db != super::SHARED_DB && !listed.contains(db)) {
            return Ok(None);
        }
        for db in listed.into_iter().filter(|&db| db != self.db) {
            let other = Catalog::of_database(self.engine.clone(), self.txns.clone(), db);
            match other.oldest_referenced(oldest, horizon, &committed, interrupted)? {
                Some(o) => oldest = o,
                None => return Ok(None),
            }
        }
        self.txns.clog.truncate(oldest.oldest_xid)?;
        self.txns.multixacts.truncate(oldest.oldest_multi)?;
        Ok(Some((oldest.oldest_xid, oldest.oldest_multi)))
    }

    /// Freeze this database's system catalogs and fold the oldest ids they
    /// and its tables (by `relfrozenxid` / `relminmxid`) still refer to
    /// into `oldest`; `None` if a table was never vacuumed.
    fn oldest_referenced(
        &self,
        mut oldest: Frozen,
        horizon: u64,
        who: &Reader<'_>,
        interrupted: &dyn Fn() -> Result<()>,
    ) -> Result<Option<Frozen>> {
        for c in system::ALL {
            oldest = fold(oldest, self.freeze_heap(self.catalog_rel(c), false, horizon, interrupted)?);
        }
        let desc = PG_CLASS.desc();
        let mut unknown = false;
        self.scan(&PG_CLASS, who, |_, t| {
            let v = deform(&desc, t);
            // The system catalogs were frozen above.
            let catalog = super::u32_of(v[system::CLASS_RELNAMESPACE]) == system::PG_CATALOG_NAMESPACE;
            if catalog || !matches!(v[system::CLASS_RELKIND], Some(b"r") | Some(b"m")) {
                return;
            }
            let xid = text_of(v[PG_CLASS.attno("relfrozenxid")]).parse::<u64>().unwrap_or(0);
            let multi = text_of(v[PG_CLASS.attno("relminmxid")]).parse::<u64>().unwrap_or(0);
            if xid == 0 || multi == 0 {
                unknown = true;
            }
            oldest = fold(oldest, Frozen { oldest_xid: xid, oldest_multi: multi });
        })?;
        Ok(if unknown { None } else { Some(oldest) })
    }
}
