//! Index-only scans and the visibility map as sessions and crash recovery
//! see them: a row changed after VACUUM is on a page no longer
//! all-visible, so a scan reads it from the heap and answers as its
//! snapshot must; the answers of index-only scans equal those of index
//! and sequential scans under concurrent writers and VACUUMs; and after
//! kill -9 no page is wrongly all-visible.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{TestServer, rows};
use tokio_postgres::Client;

async fn plan(c: &Client, sql: &str) -> String {
    rows(c, &format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}")).await.join("\n")
}

async fn setup(c: &Client) {
    c.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, k int NOT NULL, pad text);
         CREATE INDEX t_k_id ON t (k, id);
         INSERT INTO t SELECT g, g % 100, repeat('p', 20) FROM generate_series(1, 5000) g",
    )
    .await
    .unwrap();
    // (VACUUM alone: several statements in one message are one transaction.)
    c.batch_execute("VACUUM ANALYZE t").await.unwrap();
}

const COVERED: &str = "SELECT count(*), coalesce(sum(id), 0)::int8 FROM t WHERE k BETWEEN 10 AND 40";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heap_fetches_are_zero_after_vacuum_and_a_changed_page_is_read_from_the_heap() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    setup(&c).await;
    let p = plan(&c, COVERED).await;
    assert!(p.contains("Index Only Scan using t_k_id on t"), "{p}");
    assert!(p.contains("Heap Fetches: 0"), "{p}");
    let before = rows(&c, COVERED).await;
    // An update moves row 20 out of the range; its old entry is still in
    // the index, on a page the update took out of the map.
    c.batch_execute("UPDATE t SET k = 90 WHERE id = 20").await.unwrap();
    let p = plan(&c, COVERED).await;
    assert!(!p.contains("Heap Fetches: 0"), "{p}");
    let after = rows(&c, COVERED).await;
    let n: Vec<i64> = before[0].split(' ').map(|v| v.parse().unwrap()).collect();
    assert_eq!(after, vec![format!("{} {}", n[0] - 1, n[1] - 20)]);
    // VACUUM takes the dead version and its entry away and sets the bit again.
    c.batch_execute("VACUUM t").await.unwrap();
    let p = plan(&c, COVERED).await;
    assert!(p.contains("Heap Fetches: 0"), "{p}");
    assert_eq!(rows(&c, COVERED).await, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_snapshot_sees_its_rows_through_an_index_only_scan_after_vacuum() {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    let b = server.connect().await;
    setup(&a).await;
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    let seen = rows(&b, COVERED).await;
    a.batch_execute(
        "UPDATE t SET k = 99 WHERE id BETWEEN 10 AND 60;
         DELETE FROM t WHERE id BETWEEN 100 AND 140;
         INSERT INTO t SELECT g, 20, 'new' FROM generate_series(5001, 5100) g",
    )
    .await
    .unwrap();
    // VACUUM while B's snapshot still sees the old versions: nothing it
    // could not see may become all-visible.
    a.batch_execute("VACUUM t").await.unwrap();
    let p = plan(&b, COVERED).await;
    assert!(p.contains("Index Only Scan"), "{p}");
    assert_eq!(rows(&b, COVERED).await, seen, "B's snapshot, through the index");
    b.batch_execute("COMMIT").await.unwrap();
    let now = rows(&a, COVERED).await;
    a.batch_execute("SET enable_indexonlyscan = off").await.unwrap();
    assert_eq!(rows(&a, COVERED).await, now);
    a.batch_execute("SET enable_indexscan = off").await.unwrap();
    assert_eq!(rows(&a, COVERED).await, now);
    a.batch_execute("RESET enable_indexscan; RESET enable_indexonlyscan").await.unwrap();
    a.batch_execute("VACUUM t").await.unwrap();
    let p = plan(&a, COVERED).await;
    assert!(p.contains("Heap Fetches: 0"), "{p}");
    assert_eq!(rows(&a, COVERED).await, now);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_only_answers_equal_heap_answers_under_concurrent_writers_and_vacuums() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    setup(&c).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..2u64 {
        let client = server.connect().await;
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let mut i = w * 7919;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let id = (i * 2654435761 % 5000) as i32 + 1;
                let sql = match i % 5 {
                    0 => "VACUUM t".to_string(),
                    1 => format!("DELETE FROM t WHERE id = {id}"),
                    2 => format!("INSERT INTO t VALUES ({id}, {}, 'again') ON CONFLICT (id) DO NOTHING", i % 100),
                    _ => format!("UPDATE t SET k = {} WHERE id = {id}", (i * 31) % 100),
                };
                client.batch_execute(&sql).await.unwrap();
            }
        }));
    }
    let r = server.connect().await;
    for round in 0..30 {
        r.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
        // The plans are forced: what the writers leave all-visible moves
        // the costs, and the point here is the answers of each plan.
        r.batch_execute("SET LOCAL enable_seqscan = off").await.unwrap();
        let lo = round % 50;
        let q = format!(
            "SELECT count(*), coalesce(sum(id), 0)::int8, coalesce(sum(k), 0)::int8 FROM t WHERE k BETWEEN {lo} AND {}",
            lo + 30
        );
        let p = plan(&r, &q).await;
        assert!(p.contains("Index Only Scan"), "{p}");
        let only = rows(&r, &q).await;
        r.batch_execute("SET LOCAL enable_indexonlyscan = off").await.unwrap();
        let p = plan(&r, &q).await;
        assert!(p.contains("Index Scan"), "{p}");
        let index = rows(&r, &q).await;
        r.batch_execute("SET LOCAL enable_indexscan = off").await.unwrap();
        r.batch_execute("SET LOCAL enable_seqscan = on").await.unwrap();
        let p = plan(&r, &q).await;
        assert!(p.contains("Seq Scan"), "{p}");
        let seq = rows(&r, &q).await;
        r.batch_execute("COMMIT").await.unwrap();
        assert_eq!(only, index, "round {round}: index-only vs index scan");
        assert_eq!(only, seq, "round {round}: index-only vs sequential scan");
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_is_wrongly_all_visible_after_kill_9() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    setup(&c).await;
    // The map pages reach the disk with every bit set.
    c.batch_execute("CHECKPOINT").await.unwrap();
    c.batch_execute(
        "UPDATE t SET k = 99 WHERE id BETWEEN 10 AND 3000 AND id % 3 = 0;
         DELETE FROM t WHERE id % 7 = 0;
         INSERT INTO t SELECT g, 15, 'new' FROM generate_series(6001, 6300) g",
    )
    .await
    .unwrap();
    c.batch_execute("SET enable_indexonlyscan = off").await.unwrap();
    let expected = rows(&c, COVERED).await;
    drop(c);
    // Only the WAL has the changes: redo must clear the bits again.
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let p = plan(&c, COVERED).await;
    assert!(p.contains("Index Only Scan"), "{p}");
    assert_eq!(rows(&c, COVERED).await, expected, "index-only answers after recovery");
    c.batch_execute("VACUUM t").await.unwrap();
    let p = plan(&c, COVERED).await;
    assert!(p.contains("Heap Fetches: 0"), "{p}");
    assert_eq!(rows(&c, COVERED).await, expected);
    // And the bits VACUUM set survive a crash too.
    drop(c);
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    assert_eq!(rows(&c, COVERED).await, expected);
    c.batch_execute("UPDATE t SET k = 12 WHERE id = 4001").await.unwrap();
    c.batch_execute("SET enable_indexonlyscan = off").await.unwrap();
    let expected = rows(&c, COVERED).await;
    drop(c);
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    assert_eq!(rows(&c, COVERED).await, expected);
}
