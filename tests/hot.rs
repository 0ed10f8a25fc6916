//! HOT updates and page pruning as sessions and crash recovery see them:
//! a snapshot older than a HOT update still finds the old version through
//! an index built afterwards (and only by its old value), pruning never
//! takes a version someone may still see, and after kill -9 the pruned
//! pages and their redirects replay into the same answers.

mod common;

use common::TestServer;
use tokio_postgres::Client;

async fn ids(c: &Client, sql: &str) -> Vec<i32> {
    c.query(sql, &[]).await.unwrap().iter().map(|r| r.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_snapshot_reads_its_versions_through_an_index_built_later() {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, pad text);
         INSERT INTO t SELECT g, g, 'p' FROM generate_series(1, 500) g",
    )
    .await
    .unwrap();
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    assert_eq!(ids(&b, "SELECT v FROM t WHERE id = 42").await, vec![42]);
    // HOT updates (v has no index yet), many times over, with pruning.
    for _ in 0..20 {
        a.batch_execute("UPDATE t SET v = v + 1000, pad = pad || 'x' WHERE id <= 100").await.unwrap();
    }
    a.batch_execute("CREATE INDEX t_v ON t (v)").await.unwrap();
    // A finds the new values through the index; B its own.
    assert_eq!(ids(&a, "SELECT id FROM t WHERE v = 20042").await, vec![42]);
    assert_eq!(ids(&a, "SELECT id FROM t WHERE v = 42").await, Vec::<i32>::new());
    assert_eq!(ids(&b, "SELECT id FROM t WHERE v = 42").await, vec![42], "B's version, by its old value");
    assert_eq!(ids(&b, "SELECT id FROM t WHERE v = 20042").await, Vec::<i32>::new(), "not by the new one");
    let n: i64 = b.query_one("SELECT count(*) FROM t WHERE v BETWEEN 1 AND 100000", &[]).await.unwrap().get(0);
    assert_eq!(n, 500, "each row once for B");
    let n: i64 = a.query_one("SELECT count(*) FROM t WHERE v BETWEEN 1 AND 100000", &[]).await.unwrap().get(0);
    assert_eq!(n, 500, "each row once for A");
    b.batch_execute("COMMIT").await.unwrap();
    // With B gone the old versions are dead; VACUUM and reads prune them.
    a.batch_execute("VACUUM t").await.unwrap();
    let sum: i64 = a.query_one("SELECT sum(v)::int8 FROM t", &[]).await.unwrap().get(0);
    assert_eq!(sum, (1..=500).sum::<i64>() + 100 * 20_000);
    assert_eq!(ids(&a, "SELECT id FROM t WHERE v = 20042").await, vec![42]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pruned_pages_replay_after_kill_9() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL, pad text);
         CREATE INDEX acct_pad ON acct (pad);
         INSERT INTO acct SELECT g, 0, 'p' FROM generate_series(1, 1000) g;
         CHECKPOINT",
    )
    .await
    .unwrap();
    // HOT updates (balance is not indexed), pruned as pages fill; some
    // updates of the indexed column too; one transaction left open.
    for round in 0..30 {
        c.batch_execute(&format!("UPDATE acct SET balance = balance + 1 WHERE id % 7 <> {}", round % 7)).await.unwrap();
    }
    c.batch_execute("UPDATE acct SET pad = 'q' WHERE id <= 50; DELETE FROM acct WHERE id > 990").await.unwrap();
    let expected: i64 = c.query_one("SELECT sum(balance)::int8 FROM acct", &[]).await.unwrap().get(0);
    let size: i64 = c.query_one("SELECT pg_relation_size('acct')", &[]).await.unwrap().get(0);
    eprintln!("after 30 rounds of updates: {size} bytes, balance sum {expected}");
    let open = server.connect().await;
    open.batch_execute("BEGIN; UPDATE acct SET balance = balance + 1000000").await.unwrap();
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let row = c.query_one("SELECT count(*), sum(balance)::int8 FROM acct", &[]).await.unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (990, expected));
    // Each row once through each index, with its newest values.
    for id in [1, 49, 51, 500, 990] {
        let got: i64 = c.query_one(&format!("SELECT count(*) FROM acct WHERE id = {id}"), &[]).await.unwrap().get(0);
        assert_eq!(got, 1, "row {id} through the primary key");
    }
    let n: i64 = c.query_one("SELECT count(*) FROM acct WHERE pad = 'q'", &[]).await.unwrap().get(0);
    assert_eq!(n, 50);
    let n: i64 = c.query_one("SELECT count(*) FROM acct WHERE pad = 'p'", &[]).await.unwrap().get(0);
    assert_eq!(n, 940);
    c.batch_execute("UPDATE acct SET balance = balance + 1").await.unwrap();
    c.batch_execute("VACUUM acct").await.unwrap();
    let sum: i64 = c.query_one("SELECT sum(balance)::int8 FROM acct", &[]).await.unwrap().get(0);
    assert_eq!(sum, expected + 990);
}
