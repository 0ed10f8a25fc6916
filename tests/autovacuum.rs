//! Autovacuum: an update-heavy workload (every row updated 50 times) with
//! autovacuum on keeps the table far smaller than with it off, and
//! autovacuum's analyze records the table's rows in `pg_class` by itself.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;

const ROWS: i64 = 200;

/// Update every row 50 times, paced so that autovacuum (waking every
/// second) gets several chances; returns the table's pages at the end.
async fn churn(server: &TestServer) -> i32 {
    let c = server.connect().await;
    c.batch_execute(&format!(
        "CREATE TABLE churn (id int PRIMARY KEY, v int NOT NULL, pad text);
         INSERT INTO churn SELECT g, 0, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' FROM generate_series(1, {ROWS}) g"
    ))
    .await
    .unwrap();
    for _ in 0..50 {
        c.batch_execute("UPDATE churn SET v = v + 1").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sum: i64 = c.query_one("SELECT sum(v)::int8 FROM churn", &[]).await.unwrap().get(0);
    assert_eq!(sum, 50 * ROWS, "every update applied once");
    c.batch_execute("ANALYZE churn").await.unwrap();
    c.query_one("SELECT relpages FROM pg_class WHERE relname = 'churn'", &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autovacuum_bounds_an_update_heavy_table() {
    let on = TestServer::start(&["autovacuum_naptime=1"]);
    let off = TestServer::start(&["autovacuum=off"]);
    let (with, without) = tokio::join!(churn(&on), churn(&off));
    eprintln!("pages after 50 updates of every row: {with} with autovacuum, {without} without");
    // The table starts at 3 pages. HOT updates and the pruning of pages as
    // they are read keep it small even without autovacuum (before HOT it
    // grew to 116 pages without autovacuum, 26 with it).
    assert!(with <= 12, "the table grew to {with} pages with autovacuum");
    assert!(without <= 12, "the table grew to {without} pages without autovacuum");
    assert!(on.log().contains("automatic vacuum/analyze"), "autovacuum logged its work");
    assert!(!off.log().contains("automatic vacuum/analyze"), "autovacuum=off is obeyed");
}

/// Rows deleted and never read again are only reclaimed by a vacuum:
/// autovacuum finds the table past its threshold, vacuums it and gives
/// the empty tail back; with autovacuum off the file stays as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autovacuum_reclaims_deleted_rows_nobody_reads() {
    async fn shrink(server: &TestServer) -> (i64, i64) {
        let c = server.connect().await;
        c.batch_execute(
            "CREATE TABLE gone (id int PRIMARY KEY, pad text);
             INSERT INTO gone SELECT g, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' FROM generate_series(1, 20000) g",
        )
        .await
        .unwrap();
        let size = "SELECT pg_relation_size('gone')";
        let before: i64 = c.query_one(size, &[]).await.unwrap().get(0);
        c.batch_execute("DELETE FROM gone WHERE id > 1000").await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let now: i64 = c.query_one(size, &[]).await.unwrap().get(0);
            if now * 4 < before || Instant::now() > deadline {
                return (before, now);
            }
        }
    }
    let on = TestServer::start(&["autovacuum_naptime=1"]);
    let (before, after) = shrink(&on).await;
    eprintln!("autovacuum on: {before} bytes before deleting 95% of the rows, {after} after");
    assert!(after * 4 < before, "autovacuum gave the empty pages back: {before} → {after}");
    let off = TestServer::start(&["autovacuum=off"]);
    let c = off.connect().await;
    c.batch_execute(
        "CREATE TABLE gone (id int PRIMARY KEY, pad text);
         INSERT INTO gone SELECT g, 'x' FROM generate_series(1, 20000) g;
         DELETE FROM gone WHERE id > 1000",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let kept: i64 = c.query_one("SELECT pg_relation_size('gone')", &[]).await.unwrap().get(0);
    let full: i64 = 20000 / 200 * 8192;
    assert!(kept >= full / 2, "without autovacuum nothing shrinks the file: {kept} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autovacuum_analyzes_a_changed_table() {
    let server = TestServer::start(&["autovacuum_naptime=1"]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE fresh (id int); INSERT INTO fresh SELECT g FROM generate_series(1, 500) g")
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let rows: f32 =
            c.query_one("SELECT reltuples FROM pg_class WHERE relname = 'fresh'", &[]).await.unwrap().get(0);
        if rows == 500.0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "autovacuum never analyzed the table (reltuples {rows})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn reuse_pages(c: &tokio_postgres::Client) -> i32 {
    c.batch_execute("ANALYZE reuse").await.unwrap();
    c.query_one("SELECT relpages FROM pg_class WHERE relname = 'reuse'", &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuum_frees_space_that_new_rows_reuse_after_a_restart() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    let pad = "x".repeat(100);
    c.batch_execute(&format!(
        "CREATE TABLE reuse (id int, pad text);
         INSERT INTO reuse SELECT g, '{pad}' FROM generate_series(1, 2000) g"
    ))
    .await
    .unwrap();
    let full = reuse_pages(&c).await;
    c.batch_execute("DELETE FROM reuse WHERE id % 2 = 0").await.unwrap();
    c.batch_execute("VACUUM reuse").await.unwrap();
    // The free-space map is a relation fork: once a checkpoint wrote it,
    // it outlives the server process.
    c.batch_execute("CHECKPOINT").await.unwrap();
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let fsm: i64 = c.query_one("SELECT pg_relation_size('reuse', 'fsm')", &[]).await.unwrap().get(0);
    assert!(fsm > 0, "the table has a free-space map fork");
    c.batch_execute(&format!("INSERT INTO reuse SELECT g, '{pad}' FROM generate_series(1, 1000) g")).await.unwrap();
    let n: i64 = c.query_one("SELECT count(*) FROM reuse", &[]).await.unwrap().get(0);
    assert_eq!(n, 2000);
    let after = reuse_pages(&c).await;
    assert!(after <= full + 1, "the new rows went into freed space: {full} pages before, {after} after");
}

/// VACUUM gives the empty pages at the end of a table back to the file
/// system, and the cut is WAL-logged: after kill -9 the table is still
/// short and whole, and it grows again from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuum_truncates_empty_tail_pages_and_survives_kill_9() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE tail (id int PRIMARY KEY, pad text);
         INSERT INTO tail SELECT g, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'
           FROM generate_series(1, 20000) g",
    )
    .await
    .unwrap();
    let before: i64 = c.query_one("SELECT pg_relation_size('tail')", &[]).await.unwrap().get(0);
    c.batch_execute("DELETE FROM tail WHERE id > 2000").await.unwrap();
    c.batch_execute("VACUUM tail").await.unwrap();
    let after: i64 = c.query_one("SELECT pg_relation_size('tail')", &[]).await.unwrap().get(0);
    eprintln!("pg_relation_size: {before} bytes before, {after} after deleting 90% and VACUUM");
    assert!(after * 5 < before, "the empty tail was cut: {before} → {after}");
    c.batch_execute("INSERT INTO tail SELECT g, 'y' FROM generate_series(20001, 21000) g").await.unwrap();

    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let row = c.query_one("SELECT count(*), sum(id)::int8, pg_relation_size('tail') FROM tail", &[]).await.unwrap();
    let (count, sum, size): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((count, sum), (3000, (1..=2000).sum::<i64>() + (20001..=21000).sum::<i64>()));
    assert!(size * 4 < before, "the cut table stayed short after recovery: {size} bytes");
    // The freed key range is usable and scans see each row once.
    c.batch_execute("INSERT INTO tail SELECT g, 'z' FROM generate_series(2001, 4000) g").await.unwrap();
    let n: i64 = c.query_one("SELECT count(DISTINCT id) FROM tail", &[]).await.unwrap().get(0);
    assert_eq!(n, 5000);
}

/// VACUUM FULL packs a table into a new file and rebuilds its indexes,
/// keeping the row versions an open snapshot may still read: a
/// REPEATABLE READ transaction that took its snapshot before an update
/// still sees the old values after the rewrite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuum_full_compacts_and_keeps_what_snapshots_see() {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE other (x int); INSERT INTO other VALUES (1);
         CREATE TABLE vf (id int PRIMARY KEY, v int NOT NULL, pad text);
         CREATE INDEX vf_v ON vf (v);
         INSERT INTO vf SELECT g, 0, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' FROM generate_series(1, 5000) g;
         DELETE FROM vf WHERE id % 4 <> 0",
    )
    .await
    .unwrap();
    // B's snapshot is taken (on another table) before the update.
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    b.query("SELECT * FROM other", &[]).await.unwrap();
    a.batch_execute("UPDATE vf SET v = 1").await.unwrap();
    let before: i64 = a.query_one("SELECT pg_relation_size('vf')", &[]).await.unwrap().get(0);
    a.batch_execute("VACUUM FULL vf").await.unwrap();
    let after: i64 = a.query_one("SELECT pg_relation_size('vf')", &[]).await.unwrap().get(0);
    eprintln!("VACUUM FULL: {before} bytes before, {after} after");
    assert!(after < before, "rewritten compactly: {before} → {after}");
    // The new versions, through the rebuilt index and a scan.
    let n: i64 = a.query_one("SELECT count(*) FROM vf WHERE v = 1", &[]).await.unwrap().get(0);
    assert_eq!(n, 1250);
    let n: i64 = a.query_one("SELECT count(*) FROM vf WHERE id = 4000 AND v = 1", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
    // B still sees the versions of its snapshot (copied as recently dead).
    let old: i64 = b.query_one("SELECT count(*) FROM vf WHERE v = 0", &[]).await.unwrap().get(0);
    assert_eq!(old, 1250, "the old versions B's snapshot sees were kept");
    // And B cannot overwrite them: they were changed after its snapshot.
    let e = b.execute("UPDATE vf SET v = 2 WHERE id = 4", &[]).await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "40001");
    b.batch_execute("ROLLBACK").await.unwrap();
    // Once B is gone, the next VACUUM FULL leaves them behind.
    a.batch_execute("VACUUM FULL vf").await.unwrap();
    let last: i64 = a.query_one("SELECT pg_relation_size('vf')", &[]).await.unwrap().get(0);
    assert!(last < after, "the versions no one can see were dropped: {after} → {last}");
    a.batch_execute("UPDATE vf SET v = v + 1 WHERE id = 8").await.unwrap();
    let v: i32 = a.query_one("SELECT v FROM vf WHERE id = 8", &[]).await.unwrap().get(0);
    assert_eq!(v, 2);
}
