//! Temporary relations: what the catalog does for them beyond what it
//! does for any relation (PostgreSQL's temporary-namespace handling in
//! `namespace.c` and the ON COMMIT actions of `tablecmds.c`).
//!
//! A session's temporary relations live in its own schema `pg_temp_N`
//! (N: the session's backend id), with `relpersistence 't'`; their pages
//! are never WAL-logged (see [`super::Table::unlogged`]), while their
//! catalog rows are written and logged like any other. The session owns
//! their lifetime (`session/temp.rs`); the catalog provides:
//!
//! 1. [`Catalog::remove_leftover_temp_relations`]: at server start, no
//!    session is alive, so every relation still in a temporary schema was
//!    left by a session that could not clean up (a crash): its rows are
//!    deleted by one transaction and its files removed.
//! 2. [`Catalog::reset_relation`]: empties a relation's file in place,
//!    without a new relfilenode or any catalog change (after a crash for
//!    UNLOGGED relations, at each commit for ON COMMIT DELETE ROWS).

use super::namespace::is_temp_namespace_name;
use super::{Catalog, Reader, RelKind};
use crate::error::Result;
use crate::storage::btree::BTree;
use crate::storage::smgr::{Fork, RelFileLocator};

impl Catalog {
    /// The relations (not indexes, which go with their tables) in
    /// temporary schemas, views first and sequences last, as they can be
    /// dropped one by one.
    pub fn temp_relations(&self, only: Option<u32>, who: &Reader<'_>) -> Result<Vec<(u32, String, RelKind)>> {
        let temp: Vec<u32> = match only {
            Some(n) => vec![n],
            None => {
                self.namespaces(who)?.into_iter().filter(|n| is_temp_namespace_name(&n.name)).map(|n| n.oid).collect()
            }
        };
        let mut out = Vec::new();
        for n in temp {
            out.extend(self.relations_in_namespace(n, who)?);
        }
        let rank = |k: RelKind| match k {
            RelKind::View => 0,
            RelKind::Table => 1,
            _ => 2,
        };
        out.sort_by_key(|r| (rank(r.2), r.0));
        Ok(out)
    }

    /// At server start: drop what sessions that ended in a crash left in
    /// temporary schemas (the schemas themselves stay, as in PostgreSQL,
    /// for the next session with that backend id).
    pub fn remove_leftover_temp_relations(&self) -> Result<()> {
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 };
        let doomed = self.temp_relations(None, &who)?;
        if doomed.is_empty() {
            return Ok(());
        }
        let xid = self.txns.assign(0);
        let mut files = Vec::new();
        let mut cid = 0;
        let dropped = doomed.iter().try_for_each(|(oid, name, _)| {
            let snapshot = self.txns.snapshot();
            let who = Reader { path: None, snapshot: &snapshot, xid, cid };
            files.extend(self.drop_relation(*oid, xid, cid, &who)?);
            tracing::info!(relation = %name, oid, "removed temporary relation left by an earlier session");
            cid += 1;
            Ok(())
        });
        if let Err(e) = dropped {
            self.txns.abort(xid)?;
            return Err(e);
        }
        let lsn = self.txns.log_commit(xid)?;
        self.engine.wal.flush_to(lsn)?;
        self.txns.finish_commit(xid, lsn)?;
        self.invalidate();
        for rel in files {
            self.unlink(rel)?;
        }
        Ok(())
    }

    /// Empty relation `rel` in place (an index: rebuilt empty), writing no
    /// WAL: only for relations whose pages are not logged.
    pub fn reset_relation(&self, rel: RelFileLocator, index: bool) -> Result<()> {
        self.engine.pool.drop_relation(rel)?;
        self.engine.pool.truncate_free_space(rel, 0)?;
        if !self.engine.smgr.exists(rel, Fork::Main) {
            self.engine.smgr.create(rel, Fork::Main)?;
        }
        self.engine.smgr.truncate(rel, Fork::Main, 0)?;
        if index {
            BTree::new(&self.engine.pool, &self.engine.wal, rel).unlogged(true).build(0, &mut std::iter::empty())?;
        }
        Ok(())
    }
}
