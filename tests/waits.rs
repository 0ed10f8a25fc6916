//! Waiting sessions hold no OS thread: with thousands of sessions blocked
//! on one lock, the server keeps a handful of threads and answers a fresh
//! connection at once; the holder's commit lets every waiter finish. A
//! deadlock among waiters, lock_timeout, statement_timeout and a cancel
//! request still end a wait.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestServer, code};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio_postgres::Client;

/// The server process's OS thread count.
fn threads(server: &TestServer) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line["Threads:".len()..].trim().parse().unwrap()
}

/// How many waiting sessions this process can afford: 2000, or fewer if
/// the open-file limit (shared by this test's sockets and the server's,
/// which inherits it) is lower.
fn sessions_to_open() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1024);
    2000.min(soft.saturating_sub(200) / 2)
}

/// Open `n` connections, a few at a time.
async fn connect_many(server: &TestServer, n: usize) -> Vec<Arc<Client>> {
    let mut clients = Vec::with_capacity(n);
    while clients.len() < n {
        let batch: Vec<_> = (0..8.min(n - clients.len())).map(|_| server.connect()).collect();
        clients.extend(futures_util::future::join_all(batch).await.into_iter().map(Arc::new));
    }
    clients
}

/// While they wait: few threads, and a new session is answered promptly.
async fn check_while_waiting(server: &TestServer, what: &str) {
    let t = threads(server);
    eprintln!("{what}: {t} server threads while sessions wait");
    assert!(t < 64, "{what}: {t} server threads while sessions wait");
    let started = Instant::now();
    let fresh = tokio::time::timeout(Duration::from_secs(10), server.connect()).await.expect("a fresh connection");
    let one: i32 = fresh.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    assert!(started.elapsed() < Duration::from_secs(5), "{what}: SELECT 1 took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_waiters_hold_no_threads() {
    let n = sessions_to_open();
    assert!(n >= 100, "too few file descriptors for the test");
    let server = TestServer::start(&[&format!("max_connections={}", n + 20)]);
    let holder = server.connect().await;
    holder
        .batch_execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2); CREATE TABLE u (k int UNIQUE)")
        .await
        .unwrap();
    let clients = connect_many(&server, n).await;

    // A table lock: half the waiters use the simple protocol, half the extended one.
    holder.batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let before = lock_waits(&server);
    let mut waiting: FuturesUnordered<_> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let c = c.clone();
            tokio::spawn(async move {
                if i % 2 == 0 {
                    let rows = common::rows(&c, "SELECT count(*) FROM t").await;
                    assert_eq!(rows, ["2"]);
                } else {
                    let count: i64 = c.query_one("SELECT count(*) FROM t", &[]).await.unwrap().get(0);
                    assert_eq!(count, 2);
                }
            })
        })
        .collect();
    wait_for_waiters(&server, before, n).await;
    assert!(tokio::time::timeout(Duration::from_millis(200), waiting.next()).await.is_err(), "all still wait");
    check_while_waiting(&server, "table lock").await;
    holder.batch_execute("COMMIT").await.unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(120), async {
        let mut done = 0;
        while let Some(r) = waiting.next().await {
            r.unwrap();
            done += 1;
        }
        done
    })
    .await
    .expect("every waiter finishes");
    assert_eq!(finished, n);
    drop(waiting);

    // A wait for a transaction: each inserts the key the holder inserted,
    // and fails once the holder commits.
    holder.batch_execute("BEGIN; INSERT INTO u VALUES (1)").await.unwrap();
    let before = lock_waits(&server);
    let mut waiting: FuturesUnordered<_> = clients
        .iter()
        .map(|c| {
            let c = c.clone();
            tokio::spawn(async move { code(&c.execute("INSERT INTO u VALUES (1)", &[]).await.unwrap_err()) })
        })
        .collect();
    wait_for_waiters(&server, before, n).await;
    check_while_waiting(&server, "transaction wait").await;
    holder.batch_execute("COMMIT").await.unwrap();
    let codes = tokio::time::timeout(Duration::from_secs(120), async {
        let mut codes = Vec::new();
        while let Some(c) = waiting.next().await {
            codes.push(c.unwrap());
        }
        codes
    })
    .await
    .expect("every waiter finishes");
    assert_eq!(codes.len(), n);
    assert!(codes.iter().all(|c| c == "23505"), "{:?}", codes.iter().find(|c| *c != "23505"));
}

/// Lock and transaction waits so far (`tusk_lock_waits_total`).
fn lock_waits(server: &TestServer) -> usize {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(&server.metrics).unwrap();
    write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let line = text.lines().find(|l| l.starts_with("tusk_lock_waits_total ")).expect("the lock-wait counter");
    line["tusk_lock_waits_total ".len()..].trim().parse().unwrap()
}

/// Wait until `n` more sessions than `before` have started waiting, so
/// that the checks run while all of them wait.
async fn wait_for_waiters(server: &TestServer, before: usize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting = lock_waits(server) - before;
        if waiting >= n {
            return;
        }
        assert!(Instant::now() < deadline, "only {waiting} of {n} sessions wait");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlocks_timeouts_and_cancels_end_waits() {
    let server = TestServer::start(&["deadlock_timeout=100"]);
    let a = server.connect().await;
    let b = server.connect().await;
    let c = server.connect().await;
    a.batch_execute("CREATE TABLE r (id int PRIMARY KEY, v int); INSERT INTO r VALUES (1, 0), (2, 0)").await.unwrap();

    // A cycle of row waits, with a third session waiting behind it.
    a.batch_execute("BEGIN; UPDATE r SET v = 1 WHERE id = 1").await.unwrap();
    b.batch_execute("BEGIN; UPDATE r SET v = 2 WHERE id = 2").await.unwrap();
    c.batch_execute("BEGIN; SET LOCAL lock_timeout = '5s'").await.unwrap();
    let (a, b, c) = (Arc::new(a), Arc::new(b), Arc::new(c));
    let third = {
        let c = c.clone();
        tokio::spawn(async move { c.execute("UPDATE r SET v = 3 WHERE id = 1", &[]).await })
    };
    let first = {
        let a = a.clone();
        tokio::spawn(async move { a.execute("UPDATE r SET v = 1 WHERE id = 2", &[]).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = b.execute("UPDATE r SET v = 2 WHERE id = 1", &[]).await;
    let e = second.expect_err("one side of the cycle fails");
    assert_eq!(code(&e), "40P01");
    let detail = e.as_db_error().unwrap().detail().unwrap_or("").to_string();
    assert!(detail.starts_with("Process ") && detail.contains("blocked by process"), "{detail}");
    b.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(first.await.unwrap().unwrap(), 1, "the other side proceeds");
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(third.await.unwrap().unwrap(), 1, "the session behind them too");
    c.batch_execute("COMMIT").await.unwrap();

    // lock_timeout and statement_timeout end a table-lock wait.
    a.batch_execute("BEGIN; LOCK TABLE r").await.unwrap();
    b.batch_execute("SET lock_timeout = 200").await.unwrap();
    let started = Instant::now();
    assert_eq!(code(&b.execute("SELECT * FROM r", &[]).await.unwrap_err()), "55P03");
    assert!(started.elapsed() < Duration::from_secs(5));
    b.batch_execute("SET lock_timeout = 0; SET statement_timeout = 200").await.unwrap();
    let e = b.execute("SELECT * FROM r", &[]).await.unwrap_err();
    assert_eq!(code(&e), "57014");
    assert_eq!(e.as_db_error().unwrap().message(), "canceling statement due to statement timeout");
    b.batch_execute("SET statement_timeout = 0").await.unwrap();

    // A cancel request ends a lock wait, an advisory-lock wait and pg_sleep.
    for sql in ["SELECT * FROM r", "SELECT pg_advisory_lock(7)", "SELECT pg_sleep(60)"] {
        let token = b.cancel_token();
        let started = Instant::now();
        let waiting = {
            let b = b.clone();
            tokio::spawn(async move { b.execute(sql, &[]).await })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        if sql.contains("advisory") {
            // Held by another session meanwhile.
            assert!(!waiting.is_finished());
        }
        token.cancel_query(tokio_postgres::NoTls).await.unwrap();
        let e = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the cancel ends it")
            .unwrap()
            .unwrap_err();
        assert_eq!(code(&e), "57014", "{sql}");
        assert_eq!(e.as_db_error().unwrap().message(), "canceling statement due to user request");
        assert!(started.elapsed() < Duration::from_secs(5));
        if sql == "SELECT * FROM r" {
            a.batch_execute("SELECT pg_advisory_lock(7)").await.unwrap();
        }
    }

    // And a waiter wakes when the holder aborts.
    let waiting = {
        let b = b.clone();
        tokio::spawn(async move { b.execute("SELECT * FROM r", &[]).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished());
    a.batch_execute("ROLLBACK").await.unwrap();
    let rows = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("the waiter wakes").unwrap().unwrap();
    assert_eq!(rows, 2);
}

/// With one backend thread, a long statement — a query, and an INSERT that
/// returns no rows — still lets another session on that thread answer,
/// many times, before it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_statement_shares_its_thread() {
    let server = TestServer::start(&["backend_threads=1"]);
    let setup = server.connect().await;
    setup.batch_execute("CREATE TABLE sink (v int)").await.unwrap();
    for long in [
        "SELECT count(*) FROM generate_series(1, 2000000000)",
        "INSERT INTO sink SELECT 1 FROM generate_series(1, 2000000000)",
    ] {
        let busy = server.connect().await;
        busy.batch_execute("SET statement_timeout = '4s'").await.unwrap();
        let mut running = tokio::spawn(async move { code(&busy.batch_execute(long).await.unwrap_err()) });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let other = server.connect().await;
        for i in 0..5 {
            let one: i32 = other.query_one("SELECT $1::int", &[&i]).await.unwrap().get(0);
            assert_eq!(one, i);
            assert!(!running.is_finished(), "{long}: answered only after the long statement ended");
        }
        let ended = tokio::time::timeout(Duration::from_secs(60), &mut running).await.expect("it ends").unwrap();
        assert_eq!(ended, "57014", "{long}");
    }
}

/// Sessions updating the same rows wait for each other's row locks over
/// and over (pgbench's tpcb-like shape): every increment lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contended_row_updates_all_land() {
    let server = TestServer::start(&[]);
    let setup = server.connect().await;
    setup
        .batch_execute(
            "CREATE TABLE branch (id int PRIMARY KEY, balance int); INSERT INTO branch VALUES (1, 0), (2, 0)",
        )
        .await
        .unwrap();
    let (sessions, rounds) = (12, 60);
    let mut tasks = Vec::new();
    for _ in 0..sessions {
        let c = server.connect().await;
        tasks.push(tokio::spawn(async move {
            for _ in 0..rounds {
                c.batch_execute("BEGIN").await.unwrap();
                for id in [1, 2] {
                    c.execute("UPDATE branch SET balance = balance + 1 WHERE id = $1", &[&id]).await.unwrap();
                }
                c.batch_execute("COMMIT").await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let b: Vec<i32> =
        setup.query("SELECT balance FROM branch ORDER BY id", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(b, [sessions * rounds, sessions * rounds]);
}
