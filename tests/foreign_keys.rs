//! FOREIGN KEY constraints between sessions and across restarts: a child
//! inserter locks the parent row it references, so a concurrent DELETE of
//! that parent waits for it and then finds the reference (tusk's lock is
//! exclusive where PostgreSQL's is FOR KEY SHARE); an inserter referencing
//! a parent row being deleted waits and then fails; the constraints are
//! catalog rows, so they survive a clean restart and a crash.

mod common;

use std::time::Duration;

use common::TestServer;
use common::code;
use tokio_postgres::Client;

type Outcome = (Client, Result<u64, tokio_postgres::Error>);

async fn start_waiting(client: Client, sql: &'static str) -> tokio::task::JoinHandle<Outcome> {
    let waiting = tokio::spawn(async move {
        let r = client.execute(sql, &[]).await;
        (client, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "{sql} waits for the row lock");
    waiting
}

async fn finish(waiting: tokio::task::JoinHandle<Outcome>) -> Outcome {
    tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("the waiter wakes").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parent_delete_waits_for_the_child_inserter_and_then_fails() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE p (id int PRIMARY KEY, n int); CREATE TABLE c (id int, pid int REFERENCES p);
         INSERT INTO p VALUES (1, 0), (2, 0)",
    )
    .await
    .unwrap();

    // The child inserter commits: the delete then sees the reference.
    a.batch_execute("BEGIN; INSERT INTO c VALUES (1, 1)").await.unwrap();
    let waiting = start_waiting(b, "DELETE FROM p WHERE id = 1").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = finish(waiting).await;
    let e = r.expect_err("the delete finds the committed reference");
    assert_eq!(code(&e), "23503");
    assert_eq!(
        e.as_db_error().unwrap().message(),
        "update or delete on table \"p\" violates foreign key constraint \"c_pid_fkey\" on table \"c\""
    );

    // The child inserter rolls back: the delete goes through.
    a.batch_execute("BEGIN; INSERT INTO c VALUES (2, 2)").await.unwrap();
    let waiting = start_waiting(b, "DELETE FROM p WHERE id = 2").await;
    a.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);

    // The other way round: a child insert referencing a row being deleted
    // waits for the deleter and fails once it commits.
    b.batch_execute("INSERT INTO p VALUES (3, 0)").await.unwrap();
    b.batch_execute("BEGIN; DELETE FROM p WHERE id = 3").await.unwrap();
    let waiting = start_waiting(a, "INSERT INTO c VALUES (3, 3)").await;
    b.batch_execute("COMMIT").await.unwrap();
    let (a, r) = finish(waiting).await;
    let e = r.expect_err("the parent row is gone");
    assert_eq!(code(&e), "23503");
    assert_eq!(e.as_db_error().unwrap().detail(), Some("Key (pid)=(3) is not present in table \"p\"."));

    // A parent inserted by a transaction that has committed is found by a
    // READ COMMITTED child insert.
    b.batch_execute("INSERT INTO p VALUES (4, 0)").await.unwrap();
    a.batch_execute("INSERT INTO c VALUES (4, 4)").await.unwrap();
    let n: i64 = a.query_one("SELECT count(*) FROM c", &[]).await.unwrap().get(0);
    assert_eq!(n, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cascading_delete_waits_for_a_child_inserter_and_deletes_its_row() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE cp (id int PRIMARY KEY); CREATE TABLE cc (id int, pid int REFERENCES cp ON DELETE CASCADE);
         INSERT INTO cp VALUES (1), (2); INSERT INTO cc VALUES (1, 1)",
    )
    .await
    .unwrap();

    // The child inserter locks the parent row; the cascading delete waits
    // for it and then deletes the committed child row too.
    a.batch_execute("BEGIN; INSERT INTO cc VALUES (2, 1)").await.unwrap();
    let waiting = start_waiting(b, "DELETE FROM cp WHERE id = 1").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);
    let n: i64 = a.query_one("SELECT count(*) FROM cc", &[]).await.unwrap().get(0);
    assert_eq!(n, 0, "both referencing rows went with the parent");

    // A child row being updated by another transaction: the cascade waits
    // for it and deletes the row's newest version if it still references
    // the key (READ COMMITTED).
    a.batch_execute("INSERT INTO cc VALUES (3, 2), (4, 2)").await.unwrap();
    a.batch_execute("BEGIN; UPDATE cc SET id = 30 WHERE id = 3").await.unwrap();
    let waiting = start_waiting(b, "DELETE FROM cp WHERE id = 2").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (_b, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);
    let n: i64 = a.query_one("SELECT count(*) FROM cc", &[]).await.unwrap().get(0);
    assert_eq!(n, 0);

    // Under REPEATABLE READ a referencing row changed since the snapshot
    // is a serialization failure.
    a.batch_execute("INSERT INTO cp VALUES (5); INSERT INTO cc VALUES (5, 5)").await.unwrap();
    let c = server.connect().await;
    c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1").await.unwrap();
    a.batch_execute("UPDATE cc SET id = 50 WHERE id = 5").await.unwrap();
    let e = c.batch_execute("DELETE FROM cp WHERE id = 5").await.expect_err("the child row changed");
    assert_eq!(code(&e), "40001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_keys_survive_restart_and_crash() {
    let dir = common::temp_dir("fk-restart");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (pid int);
         INSERT INTO p VALUES (1); INSERT INTO c VALUES (1);
         ALTER TABLE c ADD CONSTRAINT c_pid_fkey FOREIGN KEY (pid) REFERENCES p",
    )
    .await
    .unwrap();
    // Rolled back: leaves no constraint behind, before or after the crash.
    c.batch_execute("BEGIN; ALTER TABLE c ADD FOREIGN KEY (pid) REFERENCES p; ROLLBACK").await.unwrap();
    server.keep_dir = true;
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed");
    drop(c);

    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let c = server.connect().await;
    let names: Vec<String> = c
        .query("SELECT conname::text FROM pg_constraint WHERE contype = 'f'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(names, vec!["c_pid_fkey".to_string()]);
    assert_eq!(code(&c.execute("INSERT INTO c VALUES (2)", &[]).await.unwrap_err()), "23503");
    assert_eq!(code(&c.execute("DELETE FROM p", &[]).await.unwrap_err()), "23503");
    server.keep_dir = true;
    server.signal("INT");
    server.wait_exit(Duration::from_secs(10)).expect("stopped");
    drop(c);

    let server = TestServer::start_in(dir, &[], &[]);
    let c = server.connect().await;
    assert_eq!(code(&c.execute("INSERT INTO c VALUES (2)", &[]).await.unwrap_err()), "23503");
}
