//! Sequences across sessions and crashes: values are never handed out
//! twice — not after a rollback (a value taken stays taken), not after
//! kill -9 (the WAL logged ahead of every value a committed transaction
//! saw is durable, so the sequence resumes past it), not after a
//! checkpoint moved the redo point past the last logged batch.

mod common;

use common::TestServer;
use tokio_postgres::Client;

async fn next(c: &Client, seq: &str) -> i64 {
    c.query_one(&format!("SELECT nextval('{seq}')"), &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_seen_by_committed_transactions_survive_kill_9() {
    let server = TestServer::start(&["autovacuum=off"]);
    let mut seen = Vec::new();
    {
        let c = server.connect().await;
        c.batch_execute("CREATE SEQUENCE s; CREATE TABLE t (id bigserial PRIMARY KEY, v int)").await.unwrap();
        // Autocommit SELECTs (no transaction id), with a checkpoint in the
        // middle of a logged-ahead batch.
        for i in 0..100 {
            seen.push(next(&c, "s").await);
            if i == 45 {
                c.batch_execute("CHECKPOINT").await.unwrap();
            }
        }
        // Inside explicit transactions, committed.
        for _ in 0..10 {
            c.batch_execute("BEGIN").await.unwrap();
            seen.push(next(&c, "s").await);
            seen.push(next(&c, "s").await);
            c.batch_execute("COMMIT").await.unwrap();
        }
        // Through a SERIAL default.
        for v in 0..50 {
            c.execute("INSERT INTO t (v) VALUES ($1)", &[&v]).await.unwrap();
        }
    }
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no value twice");
    let max_seen = *seen.iter().max().unwrap();
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let after = next(&c, "s").await;
    assert!(after > max_seen, "after the crash {after} must exceed {max_seen}");
    let ids: i64 = c.query_one("SELECT max(id) FROM t", &[]).await.unwrap().get(0);
    c.execute("INSERT INTO t (v) VALUES (0)", &[]).await.unwrap();
    let id: i64 = c.query_one("SELECT max(id) FROM t", &[]).await.unwrap().get(0);
    assert!(id > ids, "the serial column resumes past {ids}, got {id}");
    let n: i64 = c.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
    assert_eq!(n, 51);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sessions_never_share_a_value() {
    let server = TestServer::start(&["autovacuum=off"]);
    let setup = server.connect().await;
    setup.batch_execute("CREATE SEQUENCE shared_s").await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let c = server.connect().await;
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..200 {
                got.push(next(&c, "shared_s").await);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    assert_eq!(all, (1..=800).collect::<Vec<i64>>());
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    assert!(next(&c, "shared_s").await > 800);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_blocks_are_never_shared_nor_reused_after_kill_9() {
    let server = TestServer::start(&["autovacuum=off"]);
    let setup = server.connect().await;
    setup.batch_execute("CREATE SEQUENCE cached_s CACHE 7").await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let c = server.connect().await;
        tasks.push(tokio::spawn(async move {
            // The first block is fetched by a transaction that rolls back:
            // a later commit using its values still awaits the WAL that
            // logged it.
            c.batch_execute("BEGIN").await.unwrap();
            let mut got = vec![next(&c, "cached_s").await];
            c.batch_execute("ROLLBACK").await.unwrap();
            for _ in 0..60 {
                got.push(next(&c, "cached_s").await);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let got = t.await.unwrap();
        // Within a session, blocks of 7 consecutive values.
        assert_eq!(got[1], got[0] + 1);
        all.extend(got);
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "no value twice");
    let max_seen = *all.last().unwrap();
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let after = next(&c, "cached_s").await;
    assert!(after > max_seen, "after the crash {after} must exceed {max_seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_keeps_values_taken_and_drops_sequences_created() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    c.batch_execute("CREATE SEQUENCE r").await.unwrap();
    c.batch_execute("BEGIN").await.unwrap();
    assert_eq!(next(&c, "r").await, 1);
    assert_eq!(next(&c, "r").await, 2);
    c.batch_execute("CREATE SEQUENCE gone; ROLLBACK").await.unwrap();
    assert_eq!(next(&c, "r").await, 3, "a rolled-back nextval is not given back");
    let e = c.query_one("SELECT nextval('gone')", &[]).await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().message(), "relation \"gone\" does not exist");
    // currval is the session's own; another session has none yet.
    let d = server.connect().await;
    let e = d.query_one("SELECT currval('r')", &[]).await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "55000");
    assert_eq!(next(&d, "r").await, 4);
    let cur: i64 = c.query_one("SELECT currval('r')", &[]).await.unwrap().get(0);
    assert_eq!(cur, 3);
    drop((c, d));
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let v = next(&c, "r").await;
    assert!(v > 4, "resumes past 4, got {v}");
    let e = c.query_one("SELECT currval('nope')", &[]).await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "42P01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_from_with_a_column_list_applies_defaults() {
    use bytes::Bytes;
    use futures_util::SinkExt;
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE cp (id serial, tag text, n int DEFAULT 7, note text)").await.unwrap();
    let sink = c.copy_in::<_, Bytes>("COPY cp (tag, note) FROM STDIN").await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from_static(b"a\tx\nb\t\\N\nc\tz\n")).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 3);
    let rows = c.query("SELECT id, tag, n, note FROM cp ORDER BY id", &[]).await.unwrap();
    let got: Vec<(i32, String, i32, Option<String>)> =
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
    assert_eq!(
        got,
        vec![(1, "a".into(), 7, Some("x".into())), (2, "b".into(), 7, None), (3, "c".into(), 7, Some("z".into())),]
    );
}
