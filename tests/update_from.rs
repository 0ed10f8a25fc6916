//! UPDATE … FROM and DELETE … USING against a concurrent writer, as
//! PostgreSQL behaves: under READ COMMITTED a target row that another
//! transaction changed is waited for and then checked again in its newest
//! version, joined with the same FROM row (a row the change moved out of
//! the join is passed over, one it kept in is updated from its new values);
//! under REPEATABLE READ the statement fails with 40001.

mod common;

use std::time::Duration;

use common::TestServer;
use tokio_postgres::Client;

type Rows = Vec<(i32, i32, i32)>;

async fn rows(c: &Client, sql: &str) -> Rows {
    c.query(sql, &[]).await.unwrap().iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect()
}

/// Run `sql` on `client` in the background; check that it waits for the
/// other transaction; its rows (sorted) once that one has ended (`end`).
async fn waits_then(client: &Client, sql: &str, other: &Client, end: &str) -> Result<Rows, tokio_postgres::Error> {
    let running = client.query(sql, &[]);
    tokio::pin!(running);
    let waited = tokio::time::timeout(Duration::from_millis(300), &mut running).await;
    assert!(waited.is_err(), "{sql} waits for the other transaction");
    other.batch_execute(end).await.unwrap();
    let done = tokio::time::timeout(Duration::from_secs(10), running).await.expect("the waiter wakes")?;
    let mut out: Rows = done.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    out.sort();
    Ok(out)
}

async fn setup() -> (TestServer, Client, Client) {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, k int NOT NULL, v int NOT NULL);
         CREATE TABLE o (k int, d int);
         INSERT INTO t VALUES (1, 1, 10), (2, 2, 20), (3, 3, 30);
         INSERT INTO o VALUES (1, 1), (2, 2), (3, 3)",
    )
    .await
    .unwrap();
    (server, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_update_from_rechecks_the_newest_version() {
    let (_server, a, b) = setup().await;
    // A moves row 1 out of the join and changes row 2's value.
    a.batch_execute("BEGIN; UPDATE t SET k = 9 WHERE id = 1; UPDATE t SET v = v + 100 WHERE id = 2").await.unwrap();
    let sql = "UPDATE t SET v = t.v + o.d FROM o WHERE t.k = o.k RETURNING t.id, t.v, o.d";
    let got = waits_then(&b, sql, &a, "COMMIT").await.unwrap();
    // Row 1 no longer joins its FROM row: passed over. Row 2 is updated from A's value.
    assert_eq!(got, vec![(2, 122, 2), (3, 33, 3)]);
    assert_eq!(rows(&b, "SELECT * FROM t ORDER BY id").await, vec![(1, 9, 10), (2, 2, 122), (3, 3, 33)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_update_from_after_a_rollback_uses_the_old_row() {
    let (_server, a, b) = setup().await;
    a.batch_execute("BEGIN; UPDATE t SET v = 0").await.unwrap();
    let sql = "UPDATE t SET v = t.v * o.d FROM o WHERE t.k = o.k AND o.d > 1 RETURNING t.id, t.v, o.d";
    let got = waits_then(&b, sql, &a, "ROLLBACK").await.unwrap();
    assert_eq!(got, vec![(2, 40, 2), (3, 90, 3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_delete_using_skips_deleted_and_moved_rows() {
    let (_server, a, b) = setup().await;
    a.batch_execute("BEGIN; DELETE FROM t WHERE id = 1; UPDATE t SET k = 3 WHERE id = 2").await.unwrap();
    // Row 2 now has k = 3: checked again against its FROM row (k = 2), it
    // no longer matches and stays.
    let sql = "DELETE FROM t USING o WHERE t.k = o.k RETURNING t.id, t.k, o.d";
    let got = waits_then(&b, sql, &a, "COMMIT").await.unwrap();
    assert_eq!(got, vec![(3, 3, 3)]);
    assert_eq!(rows(&b, "SELECT * FROM t ORDER BY id").await, vec![(2, 3, 20)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeatable_read_update_from_refuses_a_concurrent_change() {
    let (_server, a, b) = setup().await;
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    assert_eq!(rows(&b, "SELECT * FROM t WHERE id = 1").await, vec![(1, 1, 10)]);
    a.batch_execute("BEGIN; UPDATE t SET v = 11 WHERE id = 1").await.unwrap();
    let sql = "UPDATE t SET v = t.v + o.d FROM o WHERE t.k = o.k RETURNING t.id, t.v, o.d";
    let e = waits_then(&b, sql, &a, "COMMIT").await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!((db.code().code(), db.message()), ("40001", "could not serialize access due to concurrent update"));
    b.batch_execute("ROLLBACK; BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    a.batch_execute("BEGIN; DELETE FROM t WHERE id = 3").await.unwrap();
    let e = waits_then(&b, "DELETE FROM t USING o WHERE t.k = o.k RETURNING t.id, t.k, o.d", &a, "COMMIT")
        .await
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!((db.code().code(), db.message()), ("40001", "could not serialize access due to concurrent delete"));
    b.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(rows(&b, "SELECT * FROM t ORDER BY id").await, vec![(1, 1, 11), (2, 2, 20)]);
}

/// The target read as the inner side of a nested loop (an index scan per
/// FROM row): a row changed meanwhile is waited for and updated in its
/// newest version, once per FROM row that joins it, as with the target
/// on the outer side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_update_from_with_the_target_inside_a_nested_loop() {
    let (_server, a, b) = setup().await;
    b.batch_execute("SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_seqscan = off").await.unwrap();
    let sql = "UPDATE t SET v = t.v + o.d FROM o WHERE t.id = o.k RETURNING t.id, t.v, o.d";
    let plan: Vec<String> =
        b.query(&format!("EXPLAIN {sql}"), &[]).await.unwrap().iter().map(|r| r.get::<_, String>(0)).collect();
    let plan = plan.join("\n");
    assert!(plan.contains("Nested Loop"), "{plan}");
    assert!(plan.contains("Index Scan using t_pkey on t"), "{plan}");
    a.batch_execute("BEGIN; UPDATE t SET v = v + 100 WHERE id = 2; DELETE FROM t WHERE id = 3").await.unwrap();
    let got = waits_then(&b, sql, &a, "COMMIT").await.unwrap();
    // Row 2 from A's value; row 3 is gone.
    assert_eq!(got, vec![(1, 11, 1), (2, 122, 2)]);
    assert_eq!(rows(&b, "SELECT * FROM t ORDER BY id").await, vec![(1, 1, 11), (2, 2, 122)]);
}
