//! Activity counters per table (PostgreSQL's cumulative statistics, the
//! numbers behind `pg_stat_user_tables`): rows inserted, updated and
//! deleted by committed transactions, dead row versions left behind, and
//! changes since the last analyze. Autovacuum decides from them. They live
//! in memory and start from zero after a restart, as PostgreSQL's do after
//! a crash.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One table's counters.
#[derive(Debug, Default)]
pub struct TableStats {
    pub name: String,
    pub inserted: AtomicU64,
    pub updated: AtomicU64,
    pub deleted: AtomicU64,
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
}

/// A transaction's changes to one table, counted as its statements finish.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
}

#[derive(Debug, Default)]
pub struct Stats {
    tables: dashmap::DashMap<u32, Arc<TableStats>>,
}

impl Stats {
    pub fn table(&self, oid: u32, name: &str) -> Arc<TableStats> {
        self.tables
            .entry(oid)
            .or_insert_with(|| Arc::new(TableStats { name: name.to_string(), ..TableStats::default() }))
            .clone()
    }

    /// A transaction ended having made `changes` to table `oid`. Committed,
    /// its updates and deletes leave dead versions; rolled back, its
    /// inserts and the new versions of its updates are the dead ones.
    pub fn record(&self, oid: u32, name: &str, changes: Changes, committed: bool) {
        let t = self.table(oid, name);
        let Changes { inserted, updated, deleted } = changes;
        if committed {
            t.inserted.fetch_add(inserted, Ordering::Relaxed);
            t.updated.fetch_add(updated, Ordering::Relaxed);
            t.deleted.fetch_add(deleted, Ordering::Relaxed);
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
        (if auto { &t.autovacuums } else { &t.vacuums }).fetch_add(1, Ordering::Relaxed);
    }

    /// An analyze counted `rows` live rows.
    pub fn analyzed(&self, oid: u32, name: &str, rows: u64, auto: bool) {
        let t = self.table(oid, name);
        t.live.store(rows, Ordering::Relaxed);
        t.changed_since_analyze.store(0, Ordering::Relaxed);
        (if auto { &t.autoanalyzes } else { &t.analyzes }).fetch_add(1, Ordering::Relaxed);
    }

    /// The table was dropped.
    pub fn forget(&self, oid: u32) {
        self.tables.remove(&oid);
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
