//! Table locks between sessions, as PostgreSQL takes them: readers and
//! writers wait for DDL that holds ACCESS EXCLUSIVE and find the result
//! of it; CREATE INDEX waits for writers; LOCK TABLE with NOWAIT and
//! lock_timeout give up with 55P03; a cycle of lock waits is broken with
//! 40P01 for one session while the other proceeds.

mod common;

use std::time::Duration;

use common::TestServer;
use common::code;
use tokio_postgres::Client;

type Outcome = (Client, Result<u64, tokio_postgres::Error>);

/// Run `sql` on `client` in the background; check that it is still
/// waiting a moment later.
async fn start_waiting(client: Client, sql: &'static str) -> tokio::task::JoinHandle<Outcome> {
    let waiting = tokio::spawn(async move {
        let r = client.execute(sql, &[]).await;
        (client, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "{sql} waits for the lock");
    waiting
}

async fn finish(waiting: tokio::task::JoinHandle<Outcome>) -> Outcome {
    tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("the waiter wakes").unwrap()
}

async fn count(c: &Client, table: &str) -> i64 {
    c.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ddl_waits_for_readers_and_readers_wait_for_ddl() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2)").await.unwrap();

    // A reader's open transaction holds ACCESS SHARE: DROP TABLE waits.
    a.batch_execute("BEGIN; SELECT * FROM t").await.unwrap();
    let waiting = start_waiting(b, "DROP TABLE t").await;
    assert_eq!(count(&a, "t").await, 2, "the reader keeps reading");
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = finish(waiting).await;
    r.unwrap();
    assert_eq!(code(&a.execute("SELECT * FROM t", &[]).await.unwrap_err()), "42P01");

    // TRUNCATE waits for a writer, and a reader waits for the TRUNCATE.
    a.batch_execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1)").await.unwrap();
    a.batch_execute("BEGIN; INSERT INTO t VALUES (2)").await.unwrap();
    let waiting = start_waiting(b, "TRUNCATE t").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = finish(waiting).await;
    r.unwrap();
    assert_eq!(count(&a, "t").await, 0);
    b.batch_execute("BEGIN; INSERT INTO t VALUES (7); TRUNCATE t; INSERT INTO t VALUES (8)").await.unwrap();
    let waiting = start_waiting(a, "SELECT * FROM t").await;
    b.batch_execute("COMMIT").await.unwrap();
    let (a, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1, "the reader sees the table as the TRUNCATE's transaction left it");

    // A prepared statement waits the same way, then finds the table gone.
    let select = a.prepare("SELECT id FROM t").await.unwrap();
    b.batch_execute("BEGIN; DROP TABLE t").await.unwrap();
    let waiting = tokio::spawn(async move {
        let r = a.query(&select, &[]).await.map(|rows| rows.len() as u64);
        (a, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the prepared SELECT waits for the DROP");
    b.batch_execute("COMMIT").await.unwrap();
    let (_, r) = finish(waiting).await;
    assert_eq!(code(&r.unwrap_err()), "42P01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_index_waits_for_writers_and_indexes_their_rows() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE w (id int)").await.unwrap();
    a.batch_execute("BEGIN; INSERT INTO w VALUES (1), (1)").await.unwrap();
    let waiting = start_waiting(b, "CREATE UNIQUE INDEX w_id ON w (id)").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = finish(waiting).await;
    assert_eq!(code(&r.unwrap_err()), "23505", "the index build saw the committed duplicates");
    a.batch_execute("DELETE FROM w").await.unwrap();
    // Readers do not block CREATE INDEX (SHARE and ACCESS SHARE do not conflict).
    a.batch_execute("BEGIN; SELECT * FROM w").await.unwrap();
    b.batch_execute("CREATE UNIQUE INDEX w_id ON w (id)").await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_table_nowait_and_lock_timeout() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE l (id int); INSERT INTO l VALUES (1)").await.unwrap();

    let e = a.batch_execute("LOCK TABLE l").await.unwrap_err();
    assert_eq!(code(&e), "25P01");
    assert_eq!(e.as_db_error().unwrap().message(), "LOCK TABLE can only be used in transaction blocks");

    a.batch_execute("BEGIN; LOCK l IN SHARE MODE").await.unwrap();
    // SHARE admits readers and other SHARE holders, not writers.
    assert_eq!(count(&b, "l").await, 1);
    b.batch_execute("BEGIN; LOCK TABLE l IN SHARE MODE NOWAIT; COMMIT").await.unwrap();
    let e = b.batch_execute("BEGIN; LOCK TABLE l IN ROW EXCLUSIVE MODE NOWAIT").await.unwrap_err();
    assert_eq!(code(&e), "55P03");
    assert_eq!(e.as_db_error().unwrap().message(), "could not obtain lock on relation \"l\"");
    b.batch_execute("ROLLBACK").await.unwrap();

    b.batch_execute("SET lock_timeout = '100ms'").await.unwrap();
    let e = b.execute("INSERT INTO l VALUES (2)", &[]).await.unwrap_err();
    assert_eq!(code(&e), "55P03");
    assert_eq!(e.as_db_error().unwrap().message(), "canceling statement due to lock timeout");
    // statement_timeout ends a lock wait too.
    b.batch_execute("SET lock_timeout = 0; SET statement_timeout = '100ms'").await.unwrap();
    let e = b.execute("DELETE FROM l", &[]).await.unwrap_err();
    assert_eq!(code(&e), "57014");
    b.batch_execute("RESET statement_timeout").await.unwrap();

    // The lock goes with the transaction: the writer that waited proceeds.
    let waiting = start_waiting(b, "INSERT INTO l VALUES (3)").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (_, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);
    assert_eq!(count(&a, "l").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_of_table_lock_waits_is_a_deadlock() {
    let server = TestServer::start(&["deadlock_timeout=1s"]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE d1 (id int); CREATE TABLE d2 (id int)").await.unwrap();
    a.batch_execute("BEGIN; LOCK d1").await.unwrap();
    b.batch_execute("BEGIN; LOCK d2").await.unwrap();
    // A waits for B first, so A's deadlock timer runs out first, once B
    // waits too: A finds the cycle (as in PostgreSQL) and B gets its lock.
    let first = start_waiting(a, "LOCK d2").await;
    let second = tokio::spawn(async move {
        let r = b.execute("LOCK d1", &[]).await;
        (b, r)
    });
    let (a, r) = finish(first).await;
    let e = r.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!((db.code().code(), db.message()), ("40P01", "deadlock detected"));
    let detail = db.detail().unwrap();
    assert!(detail.contains("waits for AccessExclusiveLock on relation") && detail.lines().count() == 2, "{detail}");
    a.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = finish(second).await;
    r.unwrap();
    b.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisory_locks_between_sessions() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("SELECT pg_advisory_lock(42)").await.unwrap();
    let taken: bool = b.query_one("SELECT pg_try_advisory_lock(42)", &[]).await.unwrap().get(0);
    assert!(!taken, "held by the other session");
    let shared: bool = b.query_one("SELECT pg_try_advisory_lock_shared(42)", &[]).await.unwrap().get(0);
    assert!(!shared, "a shared lock conflicts with the exclusive one");
    let other: bool = b.query_one("SELECT pg_try_advisory_lock(42, 0)", &[]).await.unwrap().get(0);
    assert!(other, "(42, 0) is another key than 42");

    // A session-level lock outlives the transaction that took it; the
    // waiter gets it when it is released.
    a.batch_execute("BEGIN; SELECT 1; COMMIT").await.unwrap();
    let waiting = start_waiting(b, "SELECT pg_advisory_lock(42)").await;
    let released: bool = a.query_one("SELECT pg_advisory_unlock(42)", &[]).await.unwrap().get(0);
    assert!(released);
    let (b, r) = finish(waiting).await;
    r.unwrap();

    // A transaction-level lock goes at COMMIT.
    b.batch_execute("SELECT pg_advisory_unlock_all()").await.unwrap();
    b.batch_execute("BEGIN; SELECT pg_advisory_xact_lock(7)").await.unwrap();
    let waiting = start_waiting(a, "SELECT pg_advisory_xact_lock(7)").await;
    b.batch_execute("COMMIT").await.unwrap();
    let (_, r) = finish(waiting).await;
    r.unwrap();

    // A session's locks go when it disconnects.
    b.batch_execute("SELECT pg_advisory_lock(99)").await.unwrap();
    drop(b);
    let c = server.connect().await;
    for _ in 0..50 {
        if c.query_one("SELECT pg_try_advisory_lock(99)", &[]).await.unwrap().get::<_, bool>(0) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the disconnected session's advisory lock was not released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeouts_end_the_session_and_free_its_locks() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE idle_t (id int)").await.unwrap();
    a.batch_execute("SET idle_in_transaction_session_timeout = '300ms'; BEGIN; LOCK TABLE idle_t").await.unwrap();
    // B waits for A's lock; A sits idle in its transaction and is ended.
    b.batch_execute("SET lock_timeout = '10s'").await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), b.batch_execute("BEGIN; LOCK TABLE idle_t; COMMIT"))
        .await
        .expect("the idle session's lock is released")
        .unwrap();
    assert!(a.batch_execute("SELECT 1").await.is_err(), "the idle session was ended");

    // Outside a transaction, idle_session_timeout.
    let c = server.connect().await;
    c.batch_execute("SET idle_session_timeout = '200ms'").await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(c.batch_execute("SELECT 1").await.is_err(), "the idle session was ended");
    // Zero (the default) never ends a session.
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.batch_execute("SELECT 1").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_for_update_locks_rows_and_rechecks_them() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE q (id int PRIMARY KEY, job text, done bool);
         INSERT INTO q VALUES (1, 'a', false), (2, 'b', false), (3, 'c', false)",
    )
    .await
    .unwrap();

    // A locked row makes a writer wait until the locker ends.
    a.batch_execute("BEGIN; SELECT * FROM q WHERE id = 1 FOR UPDATE").await.unwrap();
    let e = b.query("SELECT * FROM q WHERE id = 1 FOR UPDATE NOWAIT", &[]).await.unwrap_err();
    assert_eq!(code(&e), "55P03");
    assert_eq!(e.as_db_error().unwrap().message(), "could not obtain lock on row in relation \"q\"");
    let free: Vec<i32> =
        b.query("SELECT id FROM q FOR UPDATE SKIP LOCKED", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(free, vec![2, 3], "SKIP LOCKED passes over the locked row");
    let waiting = start_waiting(b, "UPDATE q SET job = 'b1' WHERE id = 1").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);

    // A locker that meets a concurrent update takes the newest version,
    // if it still matches (READ COMMITTED).
    a.batch_execute("BEGIN; UPDATE q SET job = 'new' WHERE id = 1; UPDATE q SET done = true WHERE id = 2")
        .await
        .unwrap();
    let waiting = tokio::spawn(async move {
        let r = b.query("SELECT id, job FROM q WHERE NOT done FOR UPDATE", &[]).await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the locker waits for the updater");
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
    let mut got: Vec<(i32, String)> = r.unwrap().iter().map(|r| (r.get(0), r.get(1))).collect();
    got.sort();
    assert_eq!(got, vec![(1, "new".to_string()), (3, "c".to_string())]);
    b.batch_execute("COMMIT").await.ok();

    // REPEATABLE READ cannot lock a row changed since its snapshot.
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1").await.unwrap();
    a.batch_execute("UPDATE q SET job = 'later' WHERE id = 3").await.unwrap();
    let e = b.query("SELECT * FROM q WHERE id = 3 FOR UPDATE", &[]).await.unwrap_err();
    assert_eq!(code(&e), "40001");
    b.batch_execute("ROLLBACK").await.unwrap();

    // A job queue: each worker takes the first job no one holds.
    a.batch_execute("BEGIN").await.unwrap();
    b.batch_execute("BEGIN").await.unwrap();
    let take = "SELECT id FROM q ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";
    let first: i32 = a.query_one(take, &[]).await.unwrap().get(0);
    let second: i32 = b.query_one(take, &[]).await.unwrap().get(0);
    assert_eq!((first, second), (1, 2));
    let rest: Vec<i32> = b
        .query("SELECT id FROM q ORDER BY id DESC OFFSET 1 FOR UPDATE SKIP LOCKED", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // 3 is passed over by OFFSET (and locked), 2 is B's own, 1 is A's.
    assert_eq!(rest, vec![2]);
    a.batch_execute("COMMIT").await.unwrap();
    b.batch_execute("COMMIT").await.unwrap();

    // Two sessions locking rows in opposite orders: one gets 40P01.
    a.batch_execute("BEGIN; SELECT * FROM q WHERE id = 1 FOR UPDATE").await.unwrap();
    b.batch_execute("BEGIN; SELECT * FROM q WHERE id = 3 FOR UPDATE").await.unwrap();
    let first = tokio::spawn(async move {
        let r = a.query("SELECT * FROM q WHERE id = 3 FOR UPDATE", &[]).await.map(|v| v.len() as u64);
        (a, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let e = b.query("SELECT * FROM q WHERE id = 1 FOR UPDATE", &[]).await.unwrap_err();
    assert_eq!(code(&e), "40P01");
    b.batch_execute("ROLLBACK").await.unwrap();
    let (a, r) = finish(first).await;
    assert_eq!(r.unwrap(), 1);
    a.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_locks_of_a_crashed_transaction_are_gone_after_recovery() {
    let dir = common::temp_dir("rowlock-crash");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE r (id int PRIMARY KEY, v int); INSERT INTO r VALUES (1, 1), (2, 2); CHECKPOINT")
        .await
        .unwrap();
    // Locks logged after the checkpoint (their records are replayed), the
    // locker still open when the server dies; a later commit makes the
    // log durable past them.
    a.batch_execute("BEGIN; SELECT * FROM r FOR UPDATE").await.unwrap();
    b.batch_execute("CREATE TABLE flush (x int); INSERT INTO flush VALUES (1)").await.unwrap();
    server.keep_dir = true;
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed");
    drop((a, b));

    let server = TestServer::start_in(dir, &[], &[]);
    assert!(server.log().contains("redo done"));
    let c = server.connect().await;
    let rows: Vec<(i32, i32)> =
        c.query("SELECT id, v FROM r ORDER BY id", &[]).await.unwrap().iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(rows, vec![(1, 1), (2, 2)], "locked rows stay live");
    // The crashed locker aborted: its locks bind no one.
    c.batch_execute("SET lock_timeout = '2s'").await.unwrap();
    let n = c.execute("UPDATE r SET v = v + 10", &[]).await.unwrap();
    assert_eq!(n, 2);
    let locked: Vec<i32> =
        c.query("SELECT id FROM r FOR UPDATE NOWAIT", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(locked.len(), 2);
}
