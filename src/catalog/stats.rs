//! Activity counters per table (PostgreSQL's cumulative statistics, the
//! numbers behind `pg_stat_user_tables`): rows inserted, updated and
//! deleted by committed transactions, dead row versions left behind, and
//! changes since the last analyze, when and how often it was vacuumed
//! and analyzed; and per table or index, how often it was scanned and the
//! rows its scans returned. Autovacuum decides from them. They live in
//! memory and start from zero after a restart (PostgreSQL keeps them over a
//! clean shutdown).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A timestamp slot that has never been set.
const NEVER: i64 = i64::MIN;

/// One table's counters.
#[derive(Debug, Default)]
pub struct TableStats {
    pub name: String,
    pub inserted: AtomicU64,
    pub updated: AtomicU64,
    pub deleted: AtomicU64,
    /// Updates that made a heap-only version (HOT), of those `updated`.
    pub hot_updated: AtomicU64,
    /// Live rows as of the last vacuum or analyze, plus inserts minus
    /// deletes since.
    pub live: AtomicU64,
    /// Row versions that are dead or will be once their deleter ends.
    pub dead: AtomicU64,
    pub changed_since_analyze: AtomicU64,
    pub vacuums: AtomicU64,
    pub autovacuums: AtomicU64,
    pub analyzes: AtomicU64,
    pub autoanalyzes: AtomicU64,
    /// Rows inserted by committed transactions since the last vacuum.
    pub inserted_since_vacuum: AtomicU64,
    /// When the last vacuum or analyze of each kind ended (PostgreSQL's
    /// timestamp: microseconds since 2000-01-01), [`NEVER`] if none did.
    pub last_vacuum: AtomicI64,
    pub last_autovacuum: AtomicI64,
    pub last_analyze: AtomicI64,
    pub last_autoanalyze: AtomicI64,
}

impl TableStats {
    fn new(name: &str) -> TableStats {
        TableStats {
            name: name.to_string(),
            last_vacuum: AtomicI64::new(NEVER),
            last_autovacuum: AtomicI64::new(NEVER),
            last_analyze: AtomicI64::new(NEVER),
            last_autoanalyze: AtomicI64::new(NEVER),
            ..TableStats::default()
        }
    }

    /// A timestamp slot's value, if it was ever set.
    pub fn time(slot: &AtomicI64) -> Option<i64> {
        Some(slot.load(Ordering::Relaxed)).filter(|&t| t != NEVER)
    }
}

/// How a table or an index was read: scans started, and the rows they
/// returned — a table's sequential scans' visible rows (`seq_rows`); an
/// index's scans' entries (`seq_rows`) and the visible heap rows they led
/// to (`fetched_rows`).
#[derive(Debug, Default)]
pub struct ScanStats {
    pub scans: AtomicU64,
    pub seq_rows: AtomicU64,
    pub fetched_rows: AtomicU64,
}

/// A transaction's changes to one table, counted as its statements finish.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Of `updated`, those that were HOT.
    pub hot_updated: u64,
}

#[derive(Debug, Default)]
pub struct Stats {
    tables: dashmap::DashMap<u32, Arc<TableStats>>,
    scans: dashmap::DashMap<u32, Arc<ScanStats>>,
}

impl Stats {
    pub fn table(&self, oid: u32, name: &str) -> Arc<TableStats> {
        self.tables.entry(oid).or_insert_with(|| Arc::new(TableStats::new(name))).clone()
    }

    /// Table `oid`'s counters, if it has any.
    pub fn get(&self, oid: u32) -> Option<Arc<TableStats>> {
        self.tables.get(&oid).map(|e| e.value().clone())
    }

    /// The scan counters of table or index `oid`.
    fn scans(&self, oid: u32) -> Arc<ScanStats> {
        if let Some(s) = self.scans.get(&oid) {
            return s.value().clone();
        }
        self.scans.entry(oid).or_default().clone()
    }

    /// Table or index `oid`'s scans, sequentially read rows and fetched
    /// rows so far (zeros if it was never scanned).
    pub fn scan_counts(&self, oid: u32) -> (u64, u64, u64) {
        self.scans.get(&oid).map_or((0, 0, 0), |s| {
            (
                s.scans.load(Ordering::Relaxed),
                s.seq_rows.load(Ordering::Relaxed),
                s.fetched_rows.load(Ordering::Relaxed),
            )
        })
    }

    /// A scan of table or index `oid` started.
    pub fn scan_started(&self, oid: u32) {
        self.scans(oid).scans.fetch_add(1, Ordering::Relaxed);
    }

    /// A sequential scan of table `oid` returned `rows` more rows.
    pub fn seq_returned(&self, oid: u32, rows: u64) {
        if rows > 0 {
            self.scans(oid).seq_rows.fetch_add(rows, Ordering::Relaxed);
        }
    }

    /// A scan of index `oid` returned `entries` more index entries (kept
    /// where a table keeps its sequentially read rows).
    pub fn index_read(&self, oid: u32, entries: u64) {
        if entries > 0 {
            self.scans(oid).seq_rows.fetch_add(entries, Ordering::Relaxed);
        }
    }

    /// A scan of index `oid` fetched `rows` more visible rows.
    pub fn index_fetched(&self, oid: u32, rows: u64) {
        if rows > 0 {
            self.scans(oid).fetched_rows.fetch_add(rows, Ordering::Relaxed);
        }
    }

    /// A transaction ended having made `changes` to table `oid`. Committed,
    /// its updates and deletes leave dead versions; rolled back, its
    /// inserts and the new versions of its updates are the dead ones.
    pub fn record(&self, oid: u32, name: &str, changes: Changes, committed: bool) {
        let t = self.table(oid, name);
        let Changes { inserted, updated, deleted, hot_updated } = changes;
        if committed {
            t.inserted.fetch_add(inserted, Ordering::Relaxed);
            t.updated.fetch_add(updated, Ordering::Relaxed);
            t.hot_updated.fetch_add(hot_updated, Ordering::Relaxed);
            t.deleted.fetch_add(deleted, Ordering::Relaxed);
            t.inserted_since_vacuum.fetch_add(inserted, Ordering::Relaxed);
            t.dead.fetch_add(updated + deleted, Ordering::Relaxed);
            t.changed_since_analyze.fetch_add(inserted + updated + deleted, Ordering::Relaxed);
            let _ = t.live.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |live| {
                Some((live + inserted).saturating_sub(deleted))
            });
        } else {
            t.dead.fetch_add(inserted + updated, Ordering::Relaxed);
        }
    }

    /// A vacuum removed `removed` dead versions and kept `kept`.
    pub fn vacuumed(&self, oid: u32, name: &str, removed: u64, kept: u64, auto: bool) {
        let t = self.table(oid, name);
        let _ = t.dead.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |dead| Some(dead.saturating_sub(removed)));
        t.live.store(kept, Ordering::Relaxed);
        t.inserted_since_vacuum.store(0, Ordering::Relaxed);
        (if auto { &t.autovacuums } else { &t.vacuums }).fetch_add(1, Ordering::Relaxed);
        (if auto { &t.last_autovacuum } else { &t.last_vacuum }).store(crate::sql::datetime::now(), Ordering::Relaxed);
    }

    /// An analyze counted `rows` live rows.
    pub fn analyzed(&self, oid: u32, name: &str, rows: u64, auto: bool) {
        let t = self.table(oid, name);
        t.live.store(rows, Ordering::Relaxed);
        t.changed_since_analyze.store(0, Ordering::Relaxed);
        (if auto { &t.autoanalyzes } else { &t.analyzes }).fetch_add(1, Ordering::Relaxed);
        (if auto { &t.last_autoanalyze } else { &t.last_analyze })
            .store(crate::sql::datetime::now(), Ordering::Relaxed);
    }

    /// The table was dropped.
    pub fn forget(&self, oid: u32) {
        self.tables.remove(&oid);
        self.scans.remove(&oid);
    }

    /// Prometheus text lines: per-table rows and autovacuum work.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let all = self.all();
        type Field = fn(&TableStats) -> &AtomicU64;
        let series: [(&str, &str, &str, Field); 4] = [
            ("tusk_table_live_rows", "gauge", "Estimated live rows per table.", |t| &t.live),
            ("tusk_table_dead_rows", "gauge", "Estimated dead row versions per table.", |t| &t.dead),
            ("tusk_autovacuum_vacuums_total", "counter", "Tables vacuumed by autovacuum.", |t| &t.autovacuums),
            ("tusk_autovacuum_analyzes_total", "counter", "Tables analyzed by autovacuum.", |t| &t.autoanalyzes),
        ];
        for (name, kind, help, field) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (_, t) in &all {
                let table = t.name.replace('\\', "\\\\").replace('"', "\\\"");
                let _ = writeln!(out, "{name}{{table=\"{table}\"}} {}", field(t).load(Ordering::Relaxed));
            }
        }
    }

    /// Every table with counters: (OID, counters).
    pub fn all(&self) -> Vec<(u32, Arc<TableStats>)> {
        self.tables.iter().map(|e| (*e.key(), e.value().clone())).collect()
    }
}
