//! INSERT … ON CONFLICT between sessions, as PostgreSQL's speculative
//! insertion behaves: an upsert that meets a key another transaction is
//! still inserting waits for it and then updates the row (or skips it, or
//! inserts after a rollback); READ COMMITTED updates the newest version
//! of a row changed meanwhile; REPEATABLE READ gets 40001 for a row its
//! snapshot does not see; and sessions racing to upsert the same keys
//! count exactly, with no 23505.

mod common;

use std::time::Duration;

use common::TestServer;
use tokio_postgres::Client;

async fn setup() -> (TestServer, Client, Client) {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE c (k int PRIMARY KEY, n int NOT NULL)").await.unwrap();
    (server, a, b)
}

async fn value(c: &Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).await.unwrap().get(0)
}

const UPSERT: &str = "INSERT INTO c VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = c.n + 1";

/// Run `sql` on `b` in a task and check that it is still waiting.
async fn start_waiting(
    b: Client,
    sql: &'static str,
) -> tokio::task::JoinHandle<(Client, Result<u64, tokio_postgres::Error>)> {
    let waiting = tokio::spawn(async move {
        let r = b.execute(sql, &[]).await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "{sql} waits for the other inserter");
    waiting
}

/// The key session `s` upserts in round `r`: each session walks a few keys
/// in its own order, and every ten rounds moves on to new keys, which the
/// sessions then race to insert.
fn key(s: i32, r: i32) -> i32 {
    (r / 10) * 5 + (r * (s + 1) + s) % 5
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upserts_count_exactly() {
    let server = TestServer::start(&[]);
    let setup = server.connect().await;
    setup.batch_execute("CREATE TABLE c (k int PRIMARY KEY, n int NOT NULL)").await.unwrap();
    const SESSIONS: i32 = 4;
    const ROUNDS: i32 = 100;
    let mut tasks = Vec::new();
    for s in 0..SESSIONS {
        let client = server.connect().await;
        tasks.push(tokio::spawn(async move {
            let upsert = client.prepare(UPSERT).await.unwrap();
            for r in 0..ROUNDS {
                let k = key(s, r);
                client.execute(&upsert, &[&k]).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(value(&setup, "SELECT sum(n)::int8 FROM c").await, (SESSIONS * ROUNDS) as i64);
    // Each key counted as often as some session chose it.
    let mut expected = std::collections::BTreeMap::new();
    for s in 0..SESSIONS {
        for r in 0..ROUNDS {
            *expected.entry(key(s, r)).or_insert(0i64) += 1;
        }
    }
    let expected: Vec<i64> = expected.into_values().collect();
    let rows = setup.query("SELECT n::int8 FROM c ORDER BY k", &[]).await.unwrap();
    let got: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upsert_waits_for_the_inserter_of_its_key() {
    let (_server, a, b) = setup().await;
    // The inserter commits: DO UPDATE updates its row.
    a.batch_execute("BEGIN; INSERT INTO c VALUES (1, 5)").await.unwrap();
    let waiting =
        start_waiting(b, "INSERT INTO c VALUES (1, 1) ON CONFLICT (k) DO UPDATE SET n = c.n + excluded.n + 10").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = waiting.await.unwrap();
    assert_eq!(r.unwrap(), 1);
    assert_eq!(value(&a, "SELECT n::int8 FROM c WHERE k = 1").await, 16);

    // The inserter rolls back: the waiting upsert inserts.
    a.batch_execute("BEGIN; INSERT INTO c VALUES (2, 5)").await.unwrap();
    let waiting = start_waiting(b, "INSERT INTO c VALUES (2, 1) ON CONFLICT DO NOTHING").await;
    a.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = waiting.await.unwrap();
    assert_eq!(r.unwrap(), 1);

    // DO NOTHING after a commit: nothing inserted, no error.
    a.batch_execute("BEGIN; INSERT INTO c VALUES (3, 5)").await.unwrap();
    let waiting = start_waiting(b, "INSERT INTO c VALUES (3, 1) ON CONFLICT (k) DO NOTHING").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (_b, r) = waiting.await.unwrap();
    assert_eq!(r.unwrap(), 0);
    assert_eq!(value(&a, "SELECT sum(n)::int8 FROM c").await, 16 + 1 + 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_updates_the_newest_version() {
    let (_server, a, b) = setup().await;
    a.batch_execute("INSERT INTO c VALUES (1, 1)").await.unwrap();
    a.batch_execute("BEGIN; UPDATE c SET n = 100 WHERE k = 1").await.unwrap();
    let waiting = start_waiting(b, "INSERT INTO c VALUES (1, 1) ON CONFLICT (k) DO UPDATE SET n = c.n + 1").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (_b, r) = waiting.await.unwrap();
    assert_eq!(r.unwrap(), 1);
    assert_eq!(value(&a, "SELECT n::int8 FROM c WHERE k = 1").await, 101);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeatable_read_refuses_rows_it_cannot_see() {
    let (_server, a, b) = setup().await;
    for action in ["DO NOTHING", "DO UPDATE SET n = 0"] {
        a.batch_execute("DELETE FROM c").await.unwrap();
        b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM c").await.unwrap();
        a.batch_execute("INSERT INTO c VALUES (7, 1)").await.unwrap();
        let e = b.batch_execute(&format!("INSERT INTO c VALUES (7, 2) ON CONFLICT (k) {action}")).await.unwrap_err();
        let db = e.as_db_error().unwrap();
        assert_eq!((db.code().code(), db.message()), ("40001", "could not serialize access due to concurrent update"));
        b.batch_execute("ROLLBACK").await.unwrap();
    }
    // A row the snapshot sees is updated as usual.
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM c").await.unwrap();
    b.batch_execute("INSERT INTO c VALUES (7, 2) ON CONFLICT (k) DO UPDATE SET n = c.n + excluded.n").await.unwrap();
    b.batch_execute("COMMIT").await.unwrap();
    assert_eq!(value(&a, "SELECT n::int8 FROM c WHERE k = 7").await, 3);
}
