//! Money transfers between accounts from many clients at once, with random
//! aborts: the total never changes, seen from a separate session while
//! they run and after, and nothing deadlocks undetected. In READ COMMITTED
//! a transfer waits for a concurrent writer of the same row and applies to
//! its newest version; in REPEATABLE READ it fails with 40001 and is
//! retried. `TRANSFER_TEST_SECS` lengthens the run (default 4 s per level).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::TestServer;

const ACCOUNTS: i64 = 100;
const CLIENTS: usize = 16;
const START: i64 = 1000;

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

#[derive(Default)]
struct Counts {
    committed: AtomicU64,
    aborted: AtomicU64,
    retried: AtomicU64,
    deadlocks: AtomicU64,
}

async fn run(isolation: &str) {
    let server = TestServer::start(&["deadlock_timeout=100ms"]);
    let setup = server.connect().await;
    setup
        .batch_execute(&format!(
            "CREATE TABLE acct (id int PRIMARY KEY, balance bigint NOT NULL);
             INSERT INTO acct SELECT g, {START} FROM generate_series(1, {ACCOUNTS}) g"
        ))
        .await
        .unwrap();
    let secs: u64 = std::env::var("TRANSFER_TEST_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(4);
    let until = Instant::now() + Duration::from_secs(secs);
    let counts = Arc::new(Counts::default());
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = server.connect().await;
        let counts = counts.clone();
        let begin = format!("BEGIN ISOLATION LEVEL {isolation}");
        tasks.push(tokio::spawn(async move {
            let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (c as u64 + 1);
            while Instant::now() < until {
                let from = (next(&mut rng) % ACCOUNTS as u64) as i64 + 1;
                let to = (next(&mut rng) % ACCOUNTS as u64) as i64 + 1;
                let amount = (next(&mut rng) % 50) as i64 + 1;
                let abort = next(&mut rng) % 8 == 0;
                let steps = [
                    begin.clone(),
                    format!("UPDATE acct SET balance = balance - {amount} WHERE id = {from}"),
                    format!("UPDATE acct SET balance = balance + {amount} WHERE id = {to}"),
                ];
                let mut failed = None;
                for s in &steps {
                    if let Err(e) = client.batch_execute(s).await {
                        failed = Some(e);
                        break;
                    }
                }
                let end = if failed.is_some() || abort { "ROLLBACK" } else { "COMMIT" };
                client.batch_execute(end).await.expect("transaction end");
                match failed {
                    None if abort => counts.aborted.fetch_add(1, Ordering::Relaxed),
                    None => counts.committed.fetch_add(1, Ordering::Relaxed),
                    Some(e) => match e.as_db_error().map(|d| d.code().code()) {
                        Some("40001") => counts.retried.fetch_add(1, Ordering::Relaxed),
                        Some("40P01") => counts.deadlocks.fetch_add(1, Ordering::Relaxed),
                        _ => panic!("transfer failed: {e}"),
                    },
                };
            }
        }));
    }
    // The total, from a separate session, while transfers run.
    let watcher = server.connect().await;
    let mut checks = 0;
    while Instant::now() < until {
        let total: i64 = watcher.query_one("SELECT sum(balance)::int8 FROM acct", &[]).await.unwrap().get(0);
        assert_eq!(total, START * ACCOUNTS, "the total changed while transfers ran");
        checks += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(30), t)
            .await
            .expect("a client is stuck: undetected deadlock?")
            .unwrap();
    }
    let total: i64 = watcher.query_one("SELECT sum(balance)::int8 FROM acct", &[]).await.unwrap().get(0);
    assert_eq!(total, START * ACCOUNTS);
    let n: i64 = watcher.query_one("SELECT count(*) FROM acct", &[]).await.unwrap().get(0);
    assert_eq!(n, ACCOUNTS, "one row per account");
    let committed = counts.committed.load(Ordering::Relaxed);
    eprintln!(
        "{isolation}: {committed} committed, {} rolled back, {} serialization failures, {} deadlocks, {checks} checks",
        counts.aborted.load(Ordering::Relaxed),
        counts.retried.load(Ordering::Relaxed),
        counts.deadlocks.load(Ordering::Relaxed),
    );
    assert!(committed > 50, "too few transfers committed: {committed}");
    if isolation == "REPEATABLE READ" {
        assert!(counts.retried.load(Ordering::Relaxed) > 0, "concurrent updates of one row must conflict");
    } else {
        assert_eq!(counts.retried.load(Ordering::Relaxed), 0, "READ COMMITTED re-checks instead of failing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_keep_the_total_in_read_committed() {
    run("READ COMMITTED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_keep_the_total_in_repeatable_read() {
    run("REPEATABLE READ").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_during_transfers_keeps_the_total() {
    let dir = common::temp_dir("transfer-crash");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    server.keep_dir = true;
    server
        .connect()
        .await
        .batch_execute(&format!(
            "CREATE TABLE acct (id int PRIMARY KEY, balance bigint NOT NULL);
             INSERT INTO acct SELECT g, {START} FROM generate_series(1, {ACCOUNTS}) g"
        ))
        .await
        .unwrap();
    for round in 0..3u64 {
        let mut tasks = Vec::new();
        for c in 0..8u64 {
            let client = server.connect().await;
            tasks.push(tokio::spawn(async move {
                let mut rng = 0x2545_F491_4F6C_DD1Du64 ^ (round * 100 + c + 1);
                loop {
                    let from = (next(&mut rng) % ACCOUNTS as u64) as i64 + 1;
                    let to = (next(&mut rng) % ACCOUNTS as u64) as i64 + 1;
                    let amount = (next(&mut rng) % 50) as i64 + 1;
                    let sql = format!(
                        "BEGIN; UPDATE acct SET balance = balance - {amount} WHERE id = {from};
                         UPDATE acct SET balance = balance + {amount} WHERE id = {to}; COMMIT"
                    );
                    match client.batch_execute(&sql).await {
                        Ok(()) => {}
                        Err(e) if e.as_db_error().is_some_and(|d| d.code().code() == "40P01") => {
                            let _ = client.batch_execute("ROLLBACK").await;
                        }
                        Err(_) => return, // the server is gone
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(800 + round * 300)).await;
        server.signal("KILL");
        server.wait_exit(Duration::from_secs(10)).expect("killed server did not exit");
        for t in tasks {
            t.await.unwrap();
        }
        drop(server);
        server = TestServer::start_in(dir.clone(), &[], &[]);
        server.keep_dir = true;
        assert!(server.log().contains("redo done"), "round {round}: no recovery after kill -9");
        let c = server.connect().await;
        let total: i64 = c.query_one("SELECT sum(balance)::int8 FROM acct", &[]).await.unwrap().get(0);
        assert_eq!(total, START * ACCOUNTS, "round {round}: a transfer was half applied after the crash");
        let n: i64 = c.query_one("SELECT count(*) FROM acct", &[]).await.unwrap().get(0);
        assert_eq!(n, ACCOUNTS, "round {round}: one row per account");
    }
    let c = server.connect().await;
    let moved: i64 = c.query_one("SELECT count(*) FROM acct WHERE balance <> 1000", &[]).await.unwrap().get(0);
    assert!(moved > 0, "no transfer committed before the crashes");
    server.keep_dir = false;
}
