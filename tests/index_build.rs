//! CREATE INDEX over a table whose rows are being pruned: every entry the
//! build makes must keep pointing at its row until VACUUM or pruning
//! removes the entry, never at a line pointer freed and reused by another
//! row. Checked by comparing what the index finds (`enable_seqscan = off`)
//! with what a sequential scan finds.

mod common;

use common::{TestServer, rows};
use tokio_postgres::Client;

/// `(id, b)` of the rows `filter` selects, in order, read through the
/// index on `b` and by a sequential scan: the two must agree.
async fn assert_index_agrees(c: &Client, filter: &str) {
    c.batch_execute("SET enable_seqscan = off; SET enable_bitmapscan = off").await.unwrap();
    let plan = rows(c, &format!("EXPLAIN SELECT id, b FROM t WHERE {filter}")).await.join("\n");
    assert!(plan.contains("Index"), "not through the index:\n{plan}");
    let through_index = rows(c, &format!("SELECT id, b FROM t WHERE {filter} ORDER BY b, id")).await;
    let counted = rows(c, &format!("SELECT count(*) FROM t WHERE {filter}")).await;
    c.batch_execute("SET enable_seqscan = on; SET enable_indexscan = off; SET enable_indexonlyscan = off")
        .await
        .unwrap();
    let by_seqscan = rows(c, &format!("SELECT id, b FROM t WHERE {filter} ORDER BY b, id")).await;
    c.batch_execute(
        "RESET enable_seqscan; RESET enable_indexscan; RESET enable_indexonlyscan; RESET enable_bitmapscan",
    )
    .await
    .unwrap();
    assert_eq!(through_index.len(), by_seqscan.len(), "rows found through the index and by a scan differ");
    assert_eq!(through_index, by_seqscan);
    assert_eq!(counted, vec![by_seqscan.len().to_string()], "count(*) through the index");
}

/// Rows deleted before the build get entries (an older snapshot may still
/// see them); a reader that prunes their pages while the build's
/// transaction is open does not know the new index, so it must leave
/// their line pointers for a later VACUUM that does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_pruning_during_an_uncommitted_build_leaves_its_entries_valid() {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, b int, pad text);
         INSERT INTO t SELECT g, g, repeat('x', 100) FROM generate_series(1, 2000) g;
         DELETE FROM t WHERE id % 2 = 0",
    )
    .await
    .unwrap();
    a.batch_execute("BEGIN; CREATE INDEX t_b ON t (b)").await.unwrap();
    // B prunes every page as it reads them.
    assert_eq!(rows(&b, "SELECT count(*) FROM t").await, vec!["1000"]);
    a.batch_execute("COMMIT").await.unwrap();
    // New rows go where the pruned ones were.
    a.batch_execute("INSERT INTO t SELECT g, g, repeat('y', 100) FROM generate_series(2001, 3000) g").await.unwrap();
    assert_index_agrees(&a, "b BETWEEN 1 AND 100000").await;
    assert_index_agrees(&a, "b = 2").await;
    a.batch_execute("VACUUM t").await.unwrap();
    assert_index_agrees(&a, "b BETWEEN 1 AND 100000").await;
    a.batch_execute("INSERT INTO t SELECT g, g, repeat('z', 100) FROM generate_series(3001, 4000) g").await.unwrap();
    assert_index_agrees(&a, "b BETWEEN 1 AND 100000").await;
}

/// Table `t` of 1000 rows, every other one HOT-updated in `b` (no index
/// on `b` yet), on pages filled to `fillfactor`.
async fn hot_updated_in_b(c: &Client, fillfactor: u8) {
    c.batch_execute(&format!(
        "CREATE TABLE t (id int PRIMARY KEY, b int, pad text) WITH (fillfactor = {fillfactor});
         INSERT INTO t SELECT g, g, repeat('x', 100) FROM generate_series(1, 1000) g;
         UPDATE t SET b = b + 100000 WHERE id % 2 = 0"
    ))
    .await
    .unwrap();
}

/// Rows HOT-updated in `b` before an index on `b` is built, so that each
/// chain gets an entry per key; with `prune_first`, VACUUM leaves each
/// chain's newest version only before a quarter of the rows die, else the
/// rows die with both versions there. VACUUM must then take every one of
/// a dead row's entries, not just its kept version's, before the freed
/// line pointers go to new rows.
async fn hot_chains_indexed_then_deleted(prune_first: bool) {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    hot_updated_in_b(&a, 50).await;
    if !prune_first {
        a.batch_execute("DELETE FROM t WHERE id % 4 = 0").await.unwrap();
    }
    a.batch_execute("CREATE INDEX t_b ON t (b)").await.unwrap();
    assert_index_agrees(&a, "b BETWEEN 1 AND 1000000").await;
    if prune_first {
        a.batch_execute("VACUUM t").await.unwrap();
        assert_index_agrees(&a, "b BETWEEN 1 AND 1000000").await;
        a.batch_execute("DELETE FROM t WHERE id % 4 = 0").await.unwrap();
    }
    a.batch_execute("VACUUM t").await.unwrap();
    a.batch_execute("INSERT INTO t SELECT g, g - 2000, repeat('y', 100) FROM generate_series(2001, 3000) g")
        .await
        .unwrap();
    assert_index_agrees(&a, "b BETWEEN -10000 AND 1000000").await;
    assert_index_agrees(&a, "b = 4").await;
    assert_index_agrees(&a, "b = 100004").await;
    a.batch_execute("VACUUM t").await.unwrap();
    assert_index_agrees(&a, "b BETWEEN -10000 AND 1000000").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_for_every_key_of_a_pruned_hot_chain_go_with_the_row() {
    hot_chains_indexed_then_deleted(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_chain_loses_the_entries_of_all_its_keys() {
    hot_chains_indexed_then_deleted(false).await;
}

/// Updaters (HOT and not), deleters, inserters, readers that prune, old
/// snapshots and VACUUM all at once, while indexes on `b` are built and
/// dropped over and over: each index, read in one snapshot, finds exactly
/// the rows a sequential scan finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_amid_updates_deletes_pruning_and_vacuum_index_every_row_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let server = TestServer::start(&["autovacuum=on", "autovacuum_naptime=1"]);
    let setup = server.connect().await;
    setup
        .batch_execute(
            "CREATE TABLE t (id int PRIMARY KEY, b int, pad text) WITH (fillfactor = 70);
             INSERT INTO t SELECT g, g, repeat('x', 60) FROM generate_series(1, 3000) g",
        )
        .await
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4u64 {
        let c = server.connect().await;
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (w + 1);
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let mut new_id = 10_000 * (w as i64 + 1);
            while !stop.load(Ordering::Relaxed) {
                let id = (next() % 3000) as i64 + 1;
                let sql = match (w, next() % 6) {
                    (3, 0) => "VACUUM t".to_string(),
                    (3, _) => format!(
                        "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM t WHERE id < {id}; \
                         SELECT pg_sleep(0.05); SELECT count(*) FROM t; COMMIT"
                    ),
                    (_, 0) => format!("DELETE FROM t WHERE id = {id}"),
                    (_, 1) => {
                        new_id += 1;
                        format!("INSERT INTO t VALUES ({new_id}, {id}, 'n') ON CONFLICT DO NOTHING")
                    }
                    (_, 2) => format!("UPDATE t SET b = b + 1 WHERE id BETWEEN {id} AND {id} + 20"),
                    (_, 3) => format!("UPDATE t SET pad = pad || 'y' WHERE id BETWEEN {id} AND {id} + 20"),
                    (_, 4) => "SELECT count(*) FROM t".to_string(),
                    _ => format!("INSERT INTO t VALUES ({id} + 5000, {id}, 'r') ON CONFLICT (id) DO UPDATE SET b = -1"),
                };
                if let Err(e) = c.batch_execute(&sql).await {
                    let code = common::code(&e);
                    // Deadlocks and serialization failures between workers are expected.
                    assert!(["40P01", "40001"].contains(&code.as_str()), "{sql}: {e}");
                    let _ = c.batch_execute("ROLLBACK").await;
                }
            }
        }));
    }
    let check = server.connect().await;
    for round in 0..12 {
        setup.batch_execute(&format!("CREATE INDEX t_b{round} ON t (b)")).await.unwrap();
        check.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
        assert_index_agrees(&check, "b BETWEEN -5 AND 1000000").await;
        check.batch_execute("COMMIT").await.unwrap();
        if round % 3 != 2 {
            setup.batch_execute(&format!("DROP INDEX t_b{round}")).await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    // The indexes kept have lived through everything since their build.
    setup.batch_execute("VACUUM t").await.unwrap();
    setup.batch_execute("INSERT INTO t SELECT g, g, 'z' FROM generate_series(50001, 52000) g").await.unwrap();
    assert_index_agrees(&check, "b BETWEEN -5 AND 1000000").await;
    setup.batch_execute("VACUUM t").await.unwrap();
    assert_index_agrees(&check, "b BETWEEN -5 AND 1000000").await;
}

/// Rows HOT-updated in `b` before an index on `b` is built, so that the
/// index has an entry per key of each chain; then updates that find no
/// room on those pages, first while an older snapshot holds pruning off,
/// then not. A version freed to make room must take the entry of its key
/// with it: once the row dies and VACUUM frees its root, an entry left
/// behind would be counted by an index-only scan (the page being
/// all-visible) and lead to whatever row reuses the line pointer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_pruning_full_pages_take_the_entries_of_the_versions_they_free() {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    let old = server.connect().await;
    hot_updated_in_b(&a, 60).await;
    old.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1").await.unwrap();
    a.batch_execute("CREATE INDEX t_b ON t (b)").await.unwrap();
    let all = "b BETWEEN -10000 AND 1000000";
    assert_index_agrees(&a, all).await;
    // Not HOT (`b` changes), so that no redirect keeps the pages from
    // becoming all-visible.
    let update = |ids: &str| format!("UPDATE t SET b = -b, pad = repeat('z', 1000) WHERE id IN ({ids})");
    a.batch_execute(&update("1, 3, 5, 301, 303, 305")).await.unwrap();
    old.batch_execute("COMMIT").await.unwrap();
    assert_index_agrees(&a, all).await;
    a.batch_execute(&update("7, 9, 11, 307, 309, 311")).await.unwrap();
    assert_index_agrees(&a, all).await;
    a.batch_execute("DELETE FROM t WHERE id % 2 = 0").await.unwrap();
    a.batch_execute("VACUUM t").await.unwrap();
    assert_index_agrees(&a, all).await;
    a.batch_execute("INSERT INTO t SELECT g, g - 2000, repeat('y', 100) FROM generate_series(2001, 3000) g")
        .await
        .unwrap();
    assert_index_agrees(&a, all).await;
    assert_index_agrees(&a, "b = 4").await;
}

/// An index-only scan reads a batch of entries, then looks at the
/// visibility map for their pages. VACUUM may meanwhile remove an entry
/// it read, free the row version it pointed at and set the page
/// all-visible: the scan must not count that entry. Rows are deleted and
/// inserted again in one transaction, so every snapshot counts as many.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_only_counts_stay_right_while_vacuum_sets_pages_all_visible() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let server = TestServer::start(&["autovacuum=off"]);
    let setup = server.connect().await;
    setup
        .batch_execute(
            "CREATE TABLE t (id int PRIMARY KEY, b int, pad text);
             INSERT INTO t SELECT g, g, repeat('x', 60) FROM generate_series(1, 4000) g;
             CREATE INDEX t_b ON t (b)",
        )
        .await
        .unwrap();
    setup.batch_execute("VACUUM t").await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..2u64 {
        let c = server.connect().await;
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut round = 0u64;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                let sql = match w {
                    0 => {
                        let from = (round * 37 % 3900) as i64 + 1;
                        format!(
                            "BEGIN; DELETE FROM t WHERE id BETWEEN {from} AND {from} + 40;
                             INSERT INTO t SELECT g, g, repeat('y', 60) FROM generate_series({from}, {from} + 40) g;
                             COMMIT"
                        )
                    }
                    _ => "VACUUM t".to_string(),
                };
                c.batch_execute(&sql).await.unwrap();
            }
        }));
    }
    let check = server.connect().await;
    check.batch_execute("SET enable_seqscan = off; SET enable_bitmapscan = off").await.unwrap();
    let plan = rows(&check, "EXPLAIN SELECT count(*) FROM t WHERE b > 0").await.join("\n");
    assert!(plan.contains("Index Only Scan"), "not an index-only scan:\n{plan}");
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(3) {
        assert_eq!(rows(&check, "SELECT count(*) FROM t WHERE b > 0").await, vec!["4000"]);
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
}
