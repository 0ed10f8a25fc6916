//! What each isolation level lets a transaction see of another's work, as
//! PostgreSQL defines it: no dirty reads at any level; READ COMMITTED sees
//! each statement's newly committed rows (non-repeatable reads and
//! phantoms); REPEATABLE READ sees one snapshot for the whole transaction
//! and refuses to overwrite a row changed since (40001), but allows write
//! skew; SERIALIZABLE forbids it too (see tests/serializable.rs).

mod common;

use common::TestServer;
use tokio_postgres::Client;

async fn ids(c: &Client, sql: &str) -> Vec<i32> {
    c.query(sql, &[]).await.unwrap().iter().map(|r| r.get(0)).collect()
}

async fn setup() -> (TestServer, Client, Client) {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL);
         INSERT INTO t VALUES (1, 10), (2, 20)",
    )
    .await
    .unwrap();
    (server, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_sees_new_commits_per_statement() {
    let (_server, a, b) = setup().await;
    b.batch_execute("BEGIN").await.unwrap();
    assert_eq!(ids(&b, "SELECT v FROM t WHERE id = 1").await, vec![10]);
    // No dirty read: A's uncommitted change is invisible.
    a.batch_execute("BEGIN; UPDATE t SET v = 11 WHERE id = 1; INSERT INTO t VALUES (3, 30)").await.unwrap();
    assert_eq!(ids(&b, "SELECT v FROM t WHERE id = 1").await, vec![10]);
    assert_eq!(ids(&b, "SELECT id FROM t ORDER BY id").await, vec![1, 2]);
    a.batch_execute("COMMIT").await.unwrap();
    // Non-repeatable read and phantom: the next statement sees the commit.
    assert_eq!(ids(&b, "SELECT v FROM t WHERE id = 1").await, vec![11]);
    assert_eq!(ids(&b, "SELECT id FROM t ORDER BY id").await, vec![1, 2, 3]);
    b.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeatable_read_keeps_its_snapshot() {
    let (_server, a, b) = setup().await;
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    assert_eq!(ids(&b, "SELECT v FROM t WHERE id = 1").await, vec![10]);
    a.batch_execute("UPDATE t SET v = 11 WHERE id = 1; INSERT INTO t VALUES (3, 30); DELETE FROM t WHERE id = 2")
        .await
        .unwrap();
    // Neither the change, the new row nor the delete shows.
    assert_eq!(ids(&b, "SELECT v FROM t WHERE id = 1").await, vec![10]);
    assert_eq!(ids(&b, "SELECT id FROM t ORDER BY id").await, vec![1, 2]);
    // Writing a row changed since the snapshot: 40001 (a lost update prevented).
    let e = b.execute("UPDATE t SET v = v + 1 WHERE id = 1", &[]).await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!((db.code().code(), db.message()), ("40001", "could not serialize access due to concurrent update"));
    b.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(ids(&b, "SELECT id FROM t ORDER BY id").await, vec![1, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeatable_read_allows_write_skew() {
    let (_server, a, b) = setup().await;
    // Each reads both rows, then changes a different one: both commit
    // (PostgreSQL's REPEATABLE READ allows this write skew).
    a.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    assert_eq!(ids(&a, "SELECT sum(v)::int4 FROM t").await, vec![30]);
    assert_eq!(ids(&b, "SELECT sum(v)::int4 FROM t").await, vec![30]);
    a.batch_execute("UPDATE t SET v = v - 30 WHERE id = 1").await.unwrap();
    b.batch_execute("UPDATE t SET v = v - 30 WHERE id = 2").await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    b.batch_execute("COMMIT").await.unwrap();
    assert_eq!(ids(&a, "SELECT sum(v)::int4 FROM t").await, vec![-30]);
}
