//! What a transaction that changed the catalog has read of its own
//! uncommitted catalog state, kept between its commands.
//!
//! Such a transaction cannot use the shared cache (which holds only what
//! is committed), and reading a table's description from the catalogs at
//! every statement costs far more than the statement. A description read
//! here stays right while no catalog page changes anywhere
//! ([`crate::catalog::catalog_writes`] stays the same), no catalog change
//! commits ([`crate::catalog::Catalog::version`]), and no savepoint is
//! rolled back (the session clears it then).
//!
//! A read at command `c` does not see the transaction's own changes made
//! at `c`; later commands do. So a description is kept only if every
//! change counted so far was first seen at an earlier command than the
//! one reading: those changes were made at or before that earlier
//! command, and the reading command sees them all.

use std::collections::HashMap;
use std::sync::Arc;

use crate::catalog::privileges::Holder;
use crate::catalog::{Table, catalog_writes};

#[derive(Default)]
pub(super) struct OwnCatalog {
    /// The catalog write count last seen, and the command it was first seen at.
    seen: Option<(u64, u32)>,
    /// Descriptions by lookup key: catalog version and write count at the read.
    tables: HashMap<String, (u64, u64, Arc<Table>)>,
    /// The current user's privileges: user, cluster version, write count.
    holder: Option<(String, u64, u64, Arc<Holder>)>,
}

impl OwnCatalog {
    /// The write count, if what command `cid` reads now may be kept.
    fn keepable(&mut self, cid: u32) -> Option<u64> {
        let writes = catalog_writes();
        match self.seen {
            Some((w, first)) if w == writes => (first < cid).then_some(writes),
            _ => {
                self.seen = Some((writes, cid));
                self.tables.clear();
                self.holder = None;
                None
            }
        }
    }

    /// The description kept under `key`, if still right at catalog `version`.
    pub fn table(&mut self, key: &str, version: u64, cid: u32) -> Option<Arc<Table>> {
        let writes = self.keepable(cid)?;
        let (v, w, t) = self.tables.get(key)?;
        (*v == version && *w == writes).then(|| t.clone())
    }

    /// Keep `table`, read at command `cid` with the write count `before`
    /// taken before the read.
    pub fn keep_table(&mut self, key: String, version: u64, cid: u32, before: u64, table: &Arc<Table>) {
        if self.keepable(cid) == Some(before) {
            self.tables.insert(key, (version, before, table.clone()));
        }
    }

    /// The current user's privileges kept, if still right.
    pub fn holder(&mut self, user: &str, version: u64, cid: u32) -> Option<Arc<Holder>> {
        let writes = self.keepable(cid)?;
        let (u, v, w, h) = self.holder.as_ref()?;
        (u == user && *v == version && *w == writes).then(|| h.clone())
    }

    pub fn keep_holder(&mut self, user: &str, version: u64, cid: u32, before: u64, holder: &Arc<Holder>) {
        if self.keepable(cid) == Some(before) {
            self.holder = Some((user.to_string(), version, before, holder.clone()));
        }
    }

    /// Forget everything (the transaction ended, or a savepoint was rolled back).
    pub fn clear(&mut self) {
        *self = OwnCatalog::default();
    }
}
