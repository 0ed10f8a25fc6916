//! Savepoints as other sessions and crash recovery see them: a
//! subtransaction's rows are invisible to others until the whole
//! transaction commits, `ROLLBACK TO` frees the rows it changed at once
//! (a session waiting for one goes on), and after kill -9 the commit
//! record's subtransactions come back committed and the rolled-back ones
//! stay gone.

mod common;

use std::time::Duration;

use common::TestServer;
use tokio_postgres::Client;

async fn ids(c: &Client, sql: &str) -> Vec<i32> {
    c.query(sql, &[]).await.unwrap().iter().map(|r| r.get(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn others_see_only_what_the_transaction_kept() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE t (id int PRIMARY KEY)").await.unwrap();
    a.batch_execute(
        "BEGIN; INSERT INTO t VALUES (1);
         SAVEPOINT s1; INSERT INTO t VALUES (2);
         SAVEPOINT s2; INSERT INTO t VALUES (3); RELEASE s2;
         SAVEPOINT s3; INSERT INTO t VALUES (4)",
    )
    .await
    .unwrap();
    assert_eq!(ids(&b, "SELECT id FROM t").await, Vec::<i32>::new(), "no dirty read of any level");
    a.batch_execute("ROLLBACK TO s3").await.unwrap();
    assert_eq!(ids(&b, "SELECT id FROM t").await, Vec::<i32>::new());
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(ids(&b, "SELECT id FROM t ORDER BY id").await, vec![1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_to_releases_a_waiting_writer() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)").await.unwrap();
    a.batch_execute("BEGIN; SAVEPOINT s; UPDATE acct SET v = v + 1 WHERE id = 1").await.unwrap();
    // B waits for A's subtransaction, which holds the row.
    let waiter = tokio::spawn(async move {
        b.execute("UPDATE acct SET v = v + 100 WHERE id = 1", &[]).await.unwrap();
        b
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "B should wait for A's subtransaction");
    // Rolling back to the savepoint frees the row while A's transaction goes on.
    a.batch_execute("ROLLBACK TO s").await.unwrap();
    let b = tokio::time::timeout(Duration::from_secs(10), waiter).await.expect("B still waiting").unwrap();
    assert_eq!(ids(&b, "SELECT v FROM acct").await, vec![100]);
    // A's transaction is still open and its snapshot (read committed) sees B's commit.
    assert_eq!(ids(&a, "SELECT v FROM acct").await, vec![100]);
    a.batch_execute("INSERT INTO acct VALUES (2, 2); COMMIT").await.unwrap();
    assert_eq!(ids(&b, "SELECT id FROM acct ORDER BY id").await, vec![1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_on_a_released_subtransaction_waits_for_the_commit() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE acct (id int PRIMARY KEY, v int); INSERT INTO acct VALUES (1, 0)").await.unwrap();
    a.batch_execute("BEGIN; SAVEPOINT s; UPDATE acct SET v = v + 1 WHERE id = 1; RELEASE s").await.unwrap();
    let waiter = tokio::spawn(async move {
        b.execute("UPDATE acct SET v = v + 100 WHERE id = 1", &[]).await.unwrap();
        b
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiter.is_finished(), "a released subtransaction still holds its row until the commit");
    a.batch_execute("COMMIT").await.unwrap();
    let b = tokio::time::timeout(Duration::from_secs(10), waiter).await.expect("B still waiting").unwrap();
    // READ COMMITTED re-checks the newest version: both increments apply.
    assert_eq!(ids(&b, "SELECT v FROM acct").await, vec![101]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtransactions_survive_kill_9_as_committed() {
    let dir = common::temp_dir("savepoints-crash");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    server.keep_dir = true;
    let a = server.connect().await;
    a.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t VALUES (0, 'base');
         BEGIN;
         INSERT INTO t VALUES (1, 'top');
         SAVEPOINT s1; INSERT INTO t VALUES (2, 'released'); UPDATE t SET v = 'changed in s1' WHERE id = 0; RELEASE s1;
         SAVEPOINT s2; INSERT INTO t VALUES (3, 'rolled back'); DELETE FROM t WHERE id = 1; ROLLBACK TO s2;
         SAVEPOINT s3; INSERT INTO t VALUES (4, 'open at commit');
         COMMIT",
    )
    .await
    .unwrap();
    // A second transaction, still open when the server dies, writes in a savepoint.
    let c = server.connect().await;
    c.batch_execute("BEGIN; SAVEPOINT x; INSERT INTO t VALUES (5, 'never committed'); RELEASE x").await.unwrap();
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed server did not exit");
    drop(server);

    let server = TestServer::start_in(dir, &[], &[]);
    assert!(server.log().contains("redo done"), "no recovery after kill -9");
    let a = server.connect().await;
    let rows = a.query("SELECT id, v FROM t ORDER BY id", &[]).await.unwrap();
    let got: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let want = [(0, "changed in s1"), (1, "top"), (2, "released"), (4, "open at commit")];
    assert_eq!(got, want.iter().map(|(i, v)| (*i, v.to_string())).collect::<Vec<_>>());
    // The keys of rolled-back and never-committed rows are free.
    a.batch_execute("INSERT INTO t VALUES (3, 'again'), (5, 'again')").await.unwrap();
}
