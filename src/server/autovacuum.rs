//! The autovacuum task: every `autovacuum_naptime` it looks at each
//! table's activity counters and vacuums the tables whose dead row
//! versions passed PostgreSQL's threshold
//! (`autovacuum_vacuum_threshold` + `autovacuum_vacuum_scale_factor` ×
//! live rows), then analyzes those (and the ones whose changes passed the
//! analyze threshold), recording pages and rows in `pg_class`.
//!
//! It works on one table at a time under SHARE UPDATE EXCLUSIVE, taken
//! without waiting: a table someone holds a conflicting lock on is left
//! for the next round, so autovacuum never queues in front of DDL.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::catalog::{Reader, Table};
use crate::config::Guc;
use crate::err;
use crate::error::{Result, SqlState};
use crate::session::Shared;
use crate::txn::lock::{LockMode, LockTag, Wait};

/// The lock-manager and transaction owner id of the autovacuum task (no
/// session has a negative process id).
pub const AUTOVACUUM_PID: i32 = -1;

pub async fn run(shared: Arc<Shared>, stop: CancellationToken) {
    let naptime = Duration::from_secs(shared.config.int(Guc::autovacuum_naptime).max(1) as u64);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(naptime) => {}
        }
        if !shared.config.bool(Guc::autovacuum) {
            continue;
        }
        let (s, st) = (shared.clone(), stop.clone());
        match tokio::task::spawn_blocking(move || round(&s, &st)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "autovacuum round failed"),
            Err(e) => tracing::warn!(error = %e, "autovacuum task failed"),
        }
    }
}

/// One pass over the open databases (the others have had no activity
/// since the server started), each while autovacuum is a member of it, so
/// that DROP DATABASE waits for it to leave.
fn round(shared: &Shared, stop: &CancellationToken) -> Result<()> {
    for catalog in shared.databases.open_catalogs() {
        let db = catalog.database();
        let Some(_inside) = shared.databases.enter(db, AUTOVACUUM_PID) else { continue };
        round_in(&shared.databases.shared(db), stop)?;
    }
    Ok(())
}

/// One pass over a database's tables with counters.
fn round_in(shared: &Shared, stop: &CancellationToken) -> Result<()> {
    let config = &shared.config;
    let catalog = &shared.catalog;
    for (oid, t) in catalog.stats.all() {
        if stop.is_cancelled() {
            return Ok(());
        }
        let live = t.live.load(Ordering::Relaxed) as f64;
        let vacuum_limit = config.int(Guc::autovacuum_vacuum_threshold) as f64
            + config.real(Guc::autovacuum_vacuum_scale_factor) * live;
        let analyze_limit = config.int(Guc::autovacuum_analyze_threshold) as f64
            + config.real(Guc::autovacuum_analyze_scale_factor) * live;
        let vacuum = t.dead.load(Ordering::Relaxed) as f64 > vacuum_limit;
        let analyze = vacuum || t.changed_since_analyze.load(Ordering::Relaxed) as f64 > analyze_limit;
        if !analyze {
            continue;
        }
        let tag = LockTag::Relation { db: catalog.database(), rel: oid };
        let mut go_on = || Ok(());
        let mut at_once =
            Wait { nowait: true, timeout: None, deadlock_timeout: Duration::ZERO, interrupted: &mut go_on };
        let owner_of = |xid| shared.txns.owner_of(xid);
        if !shared.txns.locks.acquire(
            AUTOVACUUM_PID,
            tag,
            LockMode::ShareUpdateExclusive,
            false,
            &mut at_once,
            &owner_of,
        )? {
            continue;
        }
        // Under the lock the catalog shows whether the table still exists.
        let result = match catalog.committed_table(oid)? {
            // A temporary table is its session's to vacuum, as in PostgreSQL.
            Some(table) if table.temp => Ok(()),
            Some(table) => work_on(shared, &table, vacuum, stop),
            _ => {
                catalog.stats.forget(oid);
                Ok(())
            }
        };
        shared.txns.locks.release_all(AUTOVACUUM_PID, true, false);
        result?;
    }
    Ok(())
}

/// PostgreSQL's cost-based vacuum delay: each page a vacuum visits costs
/// `page_cost`; once `limit` has been spent, the vacuum sleeps `delay`, so
/// that it does not take the disk from foreground work. No delay, no sleep.
pub struct Throttle {
    delay: Duration,
    limit: i64,
    page_cost: i64,
    spent: std::cell::Cell<i64>,
}

impl Throttle {
    pub fn new(delay_ms: i64, limit: i64, page_cost: i64) -> Throttle {
        let delay = Duration::from_millis(delay_ms.max(0) as u64);
        Throttle { delay, limit: limit.max(1), page_cost, spent: std::cell::Cell::new(0) }
    }

    /// Autovacuum's: its own settings, or (at -1) VACUUM's.
    fn for_autovacuum(config: &crate::config::Config) -> Throttle {
        let or_vacuum = |own: Guc, vacuum: Guc| match config.int(own) {
            -1 => config.int(vacuum),
            v => v,
        };
        Throttle::new(
            or_vacuum(Guc::autovacuum_vacuum_cost_delay, Guc::vacuum_cost_delay),
            or_vacuum(Guc::autovacuum_vacuum_cost_limit, Guc::vacuum_cost_limit),
            config.int(Guc::vacuum_cost_page_miss),
        )
    }

    /// A page was visited.
    pub fn page(&self) {
        if self.delay.is_zero() {
            return;
        }
        let spent = self.spent.get() + self.page_cost;
        if spent >= self.limit {
            std::thread::sleep(self.delay);
            self.spent.set(0);
        } else {
            self.spent.set(spent);
        }
    }
}

fn work_on(shared: &Shared, table: &Table, vacuum: bool, stop: &CancellationToken) -> Result<()> {
    let catalog = &shared.catalog;
    let started = Instant::now();
    let mut removed = 0;
    if vacuum {
        let horizon = shared.txns.horizon();
        let throttle = Throttle::for_autovacuum(&shared.config);
        let interrupted = || {
            throttle.page();
            if stop.is_cancelled() {
                Err(err!(SqlState::ADMIN_SHUTDOWN, "terminating autovacuum process due to administrator command"))
            } else {
                Ok(())
            }
        };
        removed = catalog.vacuum(table, horizon, &interrupted, None)?.removed;
        let lock = || {
            let tag = LockTag::Relation { db: catalog.database(), rel: table.oid };
            let mut go_on = || Ok(());
            let mut at_once =
                Wait { nowait: true, timeout: None, deadlock_timeout: Duration::ZERO, interrupted: &mut go_on };
            let owner_of = |xid| shared.txns.owner_of(xid);
            shared.txns.locks.acquire(AUTOVACUUM_PID, tag, LockMode::AccessExclusive, false, &mut at_once, &owner_of)
        };
        catalog.truncate_empty_tail(table, &lock)?;
    }
    let rows = analyze(shared, table)?;
    if vacuum {
        catalog.stats.vacuumed(table.oid, &table.name, removed, rows, true);
    }
    catalog.stats.analyzed(table.oid, &table.name, rows, true);
    tracing::info!(
        table = table.name,
        vacuum,
        removed,
        rows,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "automatic vacuum/analyze"
    );
    Ok(())
}

/// Count the table's live rows and record pages and rows in `pg_class`
/// and its columns' statistics in `pg_statistic`, in a transaction of its own.
fn analyze(shared: &Shared, table: &Table) -> Result<u64> {
    let (catalog, txns) = (&shared.catalog, &shared.txns);
    let snapshot = txns.snapshot();
    let (pages, rows, columns) = catalog.analyze_rows(
        table,
        &Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 },
        shared.config.int(Guc::default_statistics_target) as i32,
    )?;
    let xid = txns.assign(AUTOVACUUM_PID);
    let snapshot = txns.snapshot();
    let who = Reader { path: None, snapshot: &snapshot, xid, cid: 0 };
    let written = catalog
        .set_size(table.oid, pages, rows as f32, xid, 0, &who)
        .and_then(|()| catalog.set_column_stats(table.oid, &columns, xid, 0, &who));
    if let Err(e) = written {
        txns.abort(xid)?;
        return Err(e);
    }
    let lsn = txns.log_commit(xid)?;
    shared.engine.wal.flush_to(lsn)?;
    txns.finish_commit(xid, lsn)?;
    catalog.invalidate();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::Throttle;
    use std::time::{Duration, Instant};

    #[test]
    fn throttle_sleeps_once_the_limit_is_spent() {
        // Limit 10 at 2 a page: a sleep every 5 pages.
        let t = Throttle::new(20, 10, 2);
        let started = Instant::now();
        (0..4).for_each(|_| t.page());
        assert!(started.elapsed() < Duration::from_millis(20), "no sleep before the limit");
        t.page();
        assert!(started.elapsed() >= Duration::from_millis(20), "a sleep at the limit");
        let off = Throttle::new(0, 1, 100);
        let started = Instant::now();
        (0..1000).for_each(|_| off.page());
        assert!(started.elapsed() < Duration::from_millis(20), "no delay, no sleep");
    }
}
