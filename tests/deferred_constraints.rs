//! Deferred constraint checks between sessions and across a crash: a
//! deferred FOREIGN KEY violation found at COMMIT rolls the whole
//! transaction back (nothing of it is seen, before or after kill -9 and
//! recovery), a deferred check reads what other sessions committed by
//! then, and a deferrable unique key's check at the end of the statement
//! waits for the other transaction that holds the key.

mod common;

use std::time::Duration;

use common::{TestServer, code, rows};

const SCHEMA: &str = "CREATE TABLE p (id int PRIMARY KEY, n int);
     CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p DEFERRABLE INITIALLY DEFERRED);
     CREATE TABLE other (v text);
     INSERT INTO p VALUES (1, 0), (2, 0);
     INSERT INTO c VALUES (1, 1)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_violation_at_commit_leaves_nothing_even_after_a_crash() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    a.batch_execute(SCHEMA).await.unwrap();

    // Every kind of change, then a reference to a missing parent: the
    // statements pass, the COMMIT fails.
    a.batch_execute(
        "BEGIN;
         INSERT INTO p VALUES (3, 0);
         UPDATE p SET n = 7 WHERE id = 1;
         DELETE FROM p WHERE id = 2;
         INSERT INTO other VALUES ('lost');
         INSERT INTO c VALUES (2, 99)",
    )
    .await
    .unwrap();
    assert_eq!(rows(&a, "SELECT count(*) FROM c").await, vec!["2"]);
    let e = a.batch_execute("COMMIT").await.expect_err("the deferred check fails at COMMIT");
    assert_eq!(code(&e), "23503");
    let db = e.as_db_error().unwrap();
    assert_eq!(db.message(), "insert or update on table \"c\" violates foreign key constraint \"c_pid_fkey\"");
    assert_eq!(db.detail(), Some("Key (pid)=(99) is not present in table \"p\"."));
    // The session is out of the transaction block.
    assert_eq!(rows(&a, "SELECT current_setting('transaction_isolation')").await.len(), 1);
    a.batch_execute("BEGIN; ROLLBACK").await.unwrap();

    let before = (
        rows(&a, "SELECT id, n FROM p ORDER BY id").await,
        rows(&a, "SELECT id, pid FROM c ORDER BY id").await,
        rows(&a, "SELECT count(*) FROM other").await,
    );
    assert_eq!(before.0, vec!["1 0", "2 0"]);
    assert_eq!(before.1, vec!["1 1"]);
    assert_eq!(before.2, vec!["0"]);

    // A deferred check that passes commits as usual.
    a.batch_execute("BEGIN; INSERT INTO c VALUES (3, 4); INSERT INTO p VALUES (4, 0); COMMIT").await.unwrap();
    drop(a);

    let server = server.crash_and_restart(&[]);
    let a = server.connect().await;
    assert_eq!(rows(&a, "SELECT id, n FROM p ORDER BY id").await, vec!["1 0", "2 0", "4 0"]);
    assert_eq!(rows(&a, "SELECT id, pid FROM c ORDER BY id").await, vec!["1 1", "3 4"]);
    assert_eq!(rows(&a, "SELECT count(*) FROM other").await, vec!["0"]);
    // The key the failed transaction took is free again.
    a.batch_execute("INSERT INTO c VALUES (2, 2)").await.unwrap();
    // The constraint is still deferred after recovery.
    let e = a.batch_execute("BEGIN; INSERT INTO c VALUES (5, 50); COMMIT").await.expect_err("checked at COMMIT");
    assert_eq!(code(&e), "23503");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_check_sees_what_others_committed_meanwhile() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(SCHEMA).await.unwrap();

    // The parent is deleted by another session after the reference was
    // made but before the COMMIT that checks it.
    a.batch_execute("BEGIN; INSERT INTO c VALUES (2, 2)").await.unwrap();
    b.batch_execute("DELETE FROM p WHERE id = 2").await.unwrap();
    let e = a.batch_execute("COMMIT").await.expect_err("the parent is gone by COMMIT");
    assert_eq!(code(&e), "23503");

    // The parent comes from another session before the COMMIT.
    a.batch_execute("BEGIN; INSERT INTO c VALUES (3, 3)").await.unwrap();
    b.batch_execute("INSERT INTO p VALUES (3, 0)").await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&a, "SELECT id, pid FROM c ORDER BY id").await, vec!["1 1", "3 3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferrable_key_check_waits_for_the_other_holder() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE u (id int PRIMARY KEY DEFERRABLE, v text); INSERT INTO u VALUES (1, 'a')")
        .await
        .unwrap();

    a.batch_execute("BEGIN; INSERT INTO u VALUES (5, 'a')").await.unwrap();
    let waiting = tokio::spawn(async move {
        let r = b.batch_execute("INSERT INTO u VALUES (5, 'b')").await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the check at the end of the statement waits for the holder");
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("the waiter wakes").unwrap();
    let e = r.expect_err("the key is taken once the holder commits");
    assert_eq!(code(&e), "23505");
    assert_eq!(e.as_db_error().unwrap().detail(), Some("Key (id)=(5) already exists."));

    // The holder rolls back: the waiter's key is free.
    a.batch_execute("BEGIN; INSERT INTO u VALUES (6, 'a')").await.unwrap();
    let waiting = tokio::spawn(async move {
        let r = b.batch_execute("INSERT INTO u VALUES (6, 'b')").await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the check waits again");
    a.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("the waiter wakes").unwrap();
    r.expect("the key is free once the holder rolls back");
    assert_eq!(rows(&b, "SELECT id, v FROM u ORDER BY id").await, vec!["1 a", "5 a", "6 b"]);
}
