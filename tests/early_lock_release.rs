//! Early lock release: a transaction's row locks go when its commit record
//! is in the WAL, before the flush, so writers queued on one hot row get
//! through several at a time per flush. What must still hold: every
//! change is kept (the row's counter equals the rows logged beside it),
//! a reader never sees a transaction without the ones it built on, and
//! after kill -9 every acknowledged commit is there, with the counter
//! and the log still in step.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::TestServer;

const WRITERS: usize = 12;
const ROUNDS: usize = 40;

/// A counter from the metrics endpoint.
fn metric(server: &TestServer, name: &str) -> u64 {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(&server.metrics).unwrap();
    write!(s, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let prefix = format!("{name} ");
    let line = text.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no metric {name}"));
    line[prefix.len()..].trim().parse().unwrap()
}

async fn setup(server: &TestServer) {
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE hot (id int PRIMARY KEY, n int NOT NULL);
         INSERT INTO hot VALUES (1, 0);
         CREATE TABLE log (writer int, round int)",
    )
    .await
    .unwrap();
}

/// `WRITERS` sessions each add 1 to the hot row `ROUNDS` times, logging
/// each change in the same transaction; returns how many commits were
/// acknowledged (stops quietly when the server goes away).
async fn write_hot_row(server: &TestServer, acknowledged: Arc<AtomicUsize>) {
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let c = server.connect().await;
        let acknowledged = acknowledged.clone();
        tasks.push(tokio::spawn(async move {
            for r in 0..ROUNDS {
                let tx =
                    format!("BEGIN; UPDATE hot SET n = n + 1 WHERE id = 1; INSERT INTO log VALUES ({w}, {r}); COMMIT");
                if c.batch_execute(&tx).await.is_err() {
                    return;
                }
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// The counter and the number of logged changes, read in one snapshot.
async fn counter_and_log(c: &tokio_postgres::Client) -> (i64, i64) {
    let row =
        c.query_one("SELECT (SELECT n FROM hot WHERE id = 1)::int8, (SELECT count(*) FROM log)", &[]).await.unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hot_row_changes_several_times_per_wal_flush_and_readers_see_whole_transactions() {
    // Each flush waits 10 ms for more commits to join it: time for the
    // writers queued on the row to get through, if its lock is free.
    let server = TestServer::start(&["commit_delay=10000", "commit_siblings=0"]);
    setup(&server).await;
    // Readers check, all along, that no snapshot shows a change without
    // the log row committed with it, or the other way round.
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let c = server.connect().await;
        let done = done.clone();
        readers.push(tokio::spawn(async move {
            let mut checks = 0;
            while !done.load(Ordering::SeqCst) {
                let (n, logged) = counter_and_log(&c).await;
                assert_eq!(n, logged, "a snapshot saw the counter and its log out of step");
                checks += 1;
            }
            checks
        }));
    }
    let flushes = metric(&server, "tusk_wal_flushes_total");
    write_hot_row(&server, Arc::new(AtomicUsize::new(0))).await;
    let flushes = metric(&server, "tusk_wal_flushes_total") - flushes;
    done.store(true, Ordering::SeqCst);
    for r in readers {
        assert!(r.await.unwrap() > 0);
    }
    let c = server.connect().await;
    let total = (WRITERS * ROUNDS) as i64;
    assert_eq!(counter_and_log(&c).await, (total, total));
    // Each change of the row waited for the one before; holding the lock
    // until the flush, every one of them would need a flush of its own.
    assert!(
        flushes < (WRITERS * ROUNDS) as u64 * 2 / 3,
        "{flushes} WAL flushes for {} commits of one row",
        WRITERS * ROUNDS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_a_hot_row_is_written_keeps_every_acknowledged_change() {
    let server = TestServer::start(&[]);
    setup(&server).await;
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let server = Arc::new(server);
    let writing = {
        let (server, acknowledged) = (server.clone(), acknowledged.clone());
        tokio::spawn(async move { write_hot_row(&server, acknowledged).await })
    };
    // Kill once a good part of the changes is in.
    while acknowledged.load(Ordering::SeqCst) < WRITERS * ROUNDS / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.signal("KILL");
    let acked = acknowledged.load(Ordering::SeqCst);
    writing.await.unwrap();
    let server = Arc::into_inner(server).expect("the writers are done with the server");
    let server = server.crash_and_restart(&[]);
    let c = server.connect().await;
    let (n, logged) = counter_and_log(&c).await;
    assert_eq!(n, logged, "after recovery the counter and its log are out of step");
    assert!(n as usize >= acked, "{acked} commits acknowledged, {n} survived");
}
