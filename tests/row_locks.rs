//! Row locks between sessions, as PostgreSQL takes them: the four
//! strengths' conflict table (a conflicting NOWAIT request fails with
//! 55P03, a compatible one succeeds while the other lock is held), shared
//! locks held by several transactions at once (a multixact), waits for
//! every conflicting holder, non-key updates beside key-share locks, and
//! foreign key checks that take FOR KEY SHARE on the parent row. After
//! kill -9 with rows held by multixacts, the rows are unlocked and intact.

mod common;

use std::time::Duration;

use common::TestServer;
use common::code;
use tokio_postgres::Client;

const MODES: [&str; 4] = ["KEY SHARE", "SHARE", "NO KEY UPDATE", "UPDATE"];

/// PostgreSQL's table: whether a lock of strength `held` keeps one of
/// strength `wanted` out (indexes into [`MODES`], weakest first).
fn conflicts(held: usize, wanted: usize) -> bool {
    held + wanted >= 3 && !(held == 2 && wanted == 0 || held == 0 && wanted == 2) || held == 3 || wanted == 3
}

type Outcome = (Client, Result<u64, tokio_postgres::Error>);

/// Run `sql` on `client` in the background; check that it is still
/// waiting a moment later.
async fn start_waiting(client: Client, sql: String) -> tokio::task::JoinHandle<Outcome> {
    let s = sql.clone();
    let waiting = tokio::spawn(async move {
        let r = client.execute(s.as_str(), &[]).await;
        (client, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "{sql} waits");
    waiting
}

async fn finish(waiting: tokio::task::JoinHandle<Outcome>) -> Outcome {
    tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("the waiter wakes").unwrap()
}

/// `sql` finishes promptly (it does not wait for a lock).
async fn promptly(c: &Client, sql: &str) -> Result<u64, tokio_postgres::Error> {
    tokio::time::timeout(Duration::from_secs(5), c.execute(sql, &[])).await.unwrap_or_else(|_| panic!("{sql} waited"))
}

#[test]
fn the_table_is_postgres() {
    let want = [[false, false, false, true], [false, false, true, true], [false, true, true, true], [true; 4]];
    for (h, row) in want.iter().enumerate() {
        for (w, &c) in row.iter().enumerate() {
            assert_eq!(conflicts(h, w), c, "{} vs {}", MODES[h], MODES[w]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_pair_of_strengths_blocks_or_not() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10), (2, 20)").await.unwrap();
    for (h, held) in MODES.iter().enumerate() {
        for (w, wanted) in MODES.iter().enumerate() {
            a.batch_execute(&format!("BEGIN; SELECT * FROM t WHERE id = 1 FOR {held}")).await.unwrap();
            b.batch_execute("BEGIN").await.unwrap();
            let r = promptly(&b, &format!("SELECT * FROM t WHERE id = 1 FOR {wanted} NOWAIT")).await;
            match conflicts(h, w) {
                true => assert_eq!(code(&r.unwrap_err()), "55P03", "{held} then {wanted}"),
                false => assert_eq!(r.unwrap(), 1, "{held} then {wanted}"),
            }
            // SKIP LOCKED passes over the row instead.
            if conflicts(h, w) {
                b.batch_execute("ROLLBACK; BEGIN").await.unwrap();
                let r = promptly(&b, &format!("SELECT * FROM t FOR {wanted} SKIP LOCKED")).await.unwrap();
                assert_eq!(r, 1, "{held} then {wanted} SKIP LOCKED: only the other row");
            }
            b.batch_execute("ROLLBACK").await.unwrap();
            a.batch_execute("COMMIT").await.unwrap();
        }
    }
    // An UPDATE that changes no key column holds NO KEY UPDATE (setting the
    // key to the value it has changes nothing); one that changes the key,
    // or a DELETE, UPDATE.
    let changes = [
        ("UPDATE t SET v = v + 1 WHERE id = 1", 2),
        ("UPDATE t SET id = 1 WHERE id = 1", 2),
        ("UPDATE t SET id = 5 WHERE id = 1", 3),
        ("DELETE FROM t WHERE id = 1", 3),
    ];
    for (change, strength) in changes {
        a.batch_execute(&format!("BEGIN; {change}")).await.unwrap();
        for (w, wanted) in MODES.iter().enumerate() {
            b.batch_execute("BEGIN").await.unwrap();
            let r = promptly(&b, &format!("SELECT * FROM t WHERE id = 1 FOR {wanted} NOWAIT")).await;
            match conflicts(strength, w) {
                true => assert_eq!(code(&r.unwrap_err()), "55P03", "{change} then {wanted}"),
                false => assert_eq!(r.unwrap(), 1, "{change} then {wanted}"),
            }
            b.batch_execute("ROLLBACK").await.unwrap();
        }
        a.batch_execute("ROLLBACK").await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_locks_are_held_together_and_waited_for_together() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    let c = server.connect().await;
    a.batch_execute("CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 10)").await.unwrap();
    a.batch_execute("BEGIN; SELECT * FROM t FOR SHARE").await.unwrap();
    b.batch_execute("BEGIN; SELECT * FROM t FOR SHARE").await.unwrap();
    // A third sharer and a key-share locker get in; an updater waits for both.
    c.batch_execute("BEGIN; SELECT * FROM t FOR KEY SHARE; COMMIT").await.unwrap();
    assert_eq!(code(&promptly(&c, "SELECT * FROM t FOR NO KEY UPDATE NOWAIT").await.unwrap_err()), "55P03");
    let waiting = start_waiting(c, "UPDATE t SET v = v + 1".into()).await;
    a.batch_execute("COMMIT").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the update still waits for the other sharer");
    b.batch_execute("COMMIT").await.unwrap();
    let (c, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);
    let v: i32 = c.query_one("SELECT v FROM t", &[]).await.unwrap().get(0);
    assert_eq!(v, 11);

    // Lockers that rolled back (a savepoint's lock too) hold nothing.
    a.batch_execute("BEGIN; SAVEPOINT s; SELECT * FROM t FOR UPDATE; ROLLBACK TO s").await.unwrap();
    b.batch_execute("BEGIN; SELECT * FROM t FOR SHARE").await.unwrap();
    assert_eq!(promptly(&c, "SELECT * FROM t FOR KEY SHARE NOWAIT").await.unwrap(), 1);
    assert_eq!(code(&promptly(&c, "SELECT * FROM t FOR UPDATE NOWAIT").await.unwrap_err()), "55P03");
    b.batch_execute("ROLLBACK").await.unwrap();
    a.batch_execute("ROLLBACK").await.unwrap();

    // A non-key update beside a key-share lock: the lock moves to the new
    // version, so a DELETE of it still waits for the locker.
    a.batch_execute("BEGIN; SELECT * FROM t FOR KEY SHARE").await.unwrap();
    promptly(&b, "UPDATE t SET v = 100").await.unwrap();
    assert_eq!(code(&promptly(&c, "SELECT * FROM t FOR UPDATE NOWAIT").await.unwrap_err()), "55P03");
    let waiting = start_waiting(c, "DELETE FROM t".into()).await;
    a.batch_execute("COMMIT").await.unwrap();
    let (c, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);
    assert_eq!(c.query("SELECT * FROM t", &[]).await.unwrap().len(), 0);

    // A key-share lock taken while a non-key update is open locks the
    // updater's new version too: once the update commits, deleting the
    // row still waits for the locker.
    c.batch_execute("INSERT INTO t VALUES (2, 0)").await.unwrap();
    b.batch_execute("BEGIN; UPDATE t SET v = 1").await.unwrap();
    a.batch_execute("BEGIN").await.unwrap();
    assert_eq!(promptly(&a, "SELECT * FROM t FOR KEY SHARE").await.unwrap(), 1);
    b.batch_execute("COMMIT").await.unwrap();
    let waiting = start_waiting(c, "DELETE FROM t".into()).await;
    a.batch_execute("COMMIT").await.unwrap();
    let (_, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_key_checks_take_key_share_locks() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    let c = server.connect().await;
    a.batch_execute(
        "CREATE TABLE parent (id int PRIMARY KEY, note text);
         CREATE TABLE child (id int PRIMARY KEY, parent int REFERENCES parent);
         INSERT INTO parent VALUES (1, 'one'), (2, 'two')",
    )
    .await
    .unwrap();
    // Two children referencing one parent: neither waits for the other.
    a.batch_execute("BEGIN; INSERT INTO child VALUES (1, 1)").await.unwrap();
    b.batch_execute("BEGIN").await.unwrap();
    promptly(&b, "INSERT INTO child VALUES (2, 1)").await.unwrap();
    // A non-key update of the parent goes on beside both.
    promptly(&c, "UPDATE parent SET note = 'uno' WHERE id = 1").await.unwrap();
    b.batch_execute("COMMIT").await.unwrap();
    // Deleting the parent (or changing its key) waits for the open child insert.
    let waiting = start_waiting(c, "DELETE FROM parent WHERE id = 1".into()).await;
    a.batch_execute("COMMIT").await.unwrap();
    let (c, r) = finish(waiting).await;
    assert_eq!(code(&r.unwrap_err()), "23503", "the delete then sees the references");
    a.batch_execute("BEGIN; INSERT INTO child VALUES (3, 2)").await.unwrap();
    let waiting = start_waiting(c, "UPDATE parent SET id = 20 WHERE id = 2".into()).await;
    a.batch_execute("ROLLBACK").await.unwrap();
    let (c, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1, "the child insert rolled back: the key may change");
    let n: i64 = c.query_one("SELECT count(*) FROM child", &[]).await.unwrap().get(0);
    assert_eq!(n, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_multixact_locks_leaves_rows_unlocked_and_intact() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 200) g;
         CHECKPOINT",
    )
    .await
    .unwrap();
    a.batch_execute("BEGIN; SELECT * FROM t WHERE id <= 100 FOR SHARE").await.unwrap();
    b.batch_execute("BEGIN; SELECT * FROM t FOR KEY SHARE").await.unwrap();
    // A committed non-key update beside the locks, and a checkpoint between.
    let c = server.connect().await;
    c.batch_execute("UPDATE t SET v = v || '!' WHERE id % 10 = 0 AND id > 100; CHECKPOINT").await.unwrap();
    b.batch_execute("SELECT * FROM t WHERE id > 150 FOR SHARE").await.unwrap();
    let server = server.crash_and_restart(&[]);
    let a = server.connect().await;
    assert_eq!(a.execute("SELECT * FROM t FOR UPDATE NOWAIT", &[]).await.unwrap(), 200, "no lock survives");
    let rows = a.query("SELECT id, v FROM t ORDER BY id", &[]).await.unwrap();
    assert_eq!(rows.len(), 200);
    for (i, r) in rows.iter().enumerate() {
        let id: i32 = r.get(0);
        let v: String = r.get(1);
        assert_eq!(id, i as i32 + 1);
        let want = if id % 10 == 0 && id > 100 { format!("row {id}!") } else { format!("row {id}") };
        assert_eq!(v, want);
    }
    assert_eq!(a.execute("DELETE FROM t WHERE id <= 50", &[]).await.unwrap(), 50);
    a.batch_execute("VACUUM t").await.unwrap();
    let n: i64 = a.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(n, 150);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuum_drops_ended_lockers_and_truncates_multixacts() {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, v int);
         INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g",
    )
    .await
    .unwrap();
    // Two sharers of every row: a multixact each, more than a segment's worth.
    a.batch_execute("BEGIN; SELECT * FROM t FOR SHARE").await.unwrap();
    b.batch_execute("BEGIN; SELECT * FROM t FOR SHARE").await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    b.batch_execute("COMMIT; CHECKPOINT").await.unwrap();
    let offsets = server.dir.join("data/multixact/offsets");
    let segments = || {
        let mut s: Vec<String> =
            std::fs::read_dir(&offsets).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        s.sort();
        s
    };
    assert_eq!(segments().len(), 2, "{:?}", segments());
    a.batch_execute("VACUUM").await.unwrap();
    assert_eq!(segments(), vec!["0000000000000001"], "the first segment is gone");
    let (xid, multi): (String, String) = {
        let r = a
            .query_one("SELECT relfrozenxid::text, relminmxid::text FROM pg_class WHERE relname = 't'", &[])
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(xid.parse::<u64>().unwrap() > 3 && multi.parse::<u64>().unwrap() > 16384, "{xid} {multi}");
    // The rows are free and whole.
    assert_eq!(a.execute("SELECT * FROM t FOR UPDATE NOWAIT", &[]).await.unwrap(), 20000);
    let sum: i64 = a.query_one("SELECT sum(v)::int8 FROM t", &[]).await.unwrap().get(0);
    assert_eq!(sum, 20000 * 20001 / 2);
    // And after a restart (the cut is durable, the frozen rows read the same).
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let a = server.connect().await;
    let sum: i64 = a.query_one("SELECT sum(v)::int8 FROM t", &[]).await.unwrap().get(0);
    assert_eq!(sum, 20000 * 20001 / 2);
    assert_eq!(a.execute("SELECT * FROM t WHERE id <= 10 FOR KEY SHARE", &[]).await.unwrap(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_updates_are_counted() {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    a.batch_execute(
        "CREATE TABLE h (id int PRIMARY KEY, n int);
         INSERT INTO h VALUES (1, 0), (2, 0);
         UPDATE h SET n = n + 1;
         UPDATE h SET id = 3 WHERE id = 2",
    )
    .await
    .unwrap();
    a.batch_execute("BEGIN; UPDATE h SET n = 5 WHERE id = 1; ROLLBACK").await.unwrap();
    a.batch_execute("WITH u AS (UPDATE h SET n = 7 WHERE id = 1 RETURNING 1) SELECT * FROM u").await.unwrap();
    let r =
        a.query_one("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'h'", &[]).await.unwrap();
    let (upd, hot): (i64, i64) = (r.get(0), r.get(1));
    assert_eq!((upd, hot), (4, 3), "the key update is no HOT one; the rolled-back one is not counted");
}
