//! Crash safety: clients insert and commit rows while the server is killed
//! with SIGKILL at a random moment, again and again. After every restart,
//! every commit the server acknowledged is there, nothing that was never
//! committed (or was rolled back) is, and every page reads back with a valid
//! checksum.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::TestServer;

const CYCLES: u64 = 20;
const CLIENTS: u64 = 4;

#[derive(Default, Clone)]
struct Ledger {
    attempted: HashSet<i64>,
    acknowledged: HashSet<i64>,
}

async fn verify(server: &TestServer, ledger: &Ledger) -> usize {
    let client = server.connect().await;
    let rows = client.query("SELECT id FROM crash_t", &[]).await.expect("scan after restart");
    let present: HashSet<i64> = rows.iter().map(|r| r.get::<_, i64>(0)).collect();
    assert_eq!(present.len(), rows.len(), "a row appears twice");
    let lost: Vec<_> = ledger.acknowledged.difference(&present).collect();
    assert!(lost.is_empty(), "acknowledged commits lost: {lost:?}");
    let phantom: Vec<_> = present.iter().filter(|id| !ledger.attempted.contains(id) || **id < 0).collect();
    assert!(phantom.is_empty(), "rows that were never committed: {phantom:?}");
    present.len()
}

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_commit() {
    let dir = common::temp_dir("crash");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = 0x5DEECE66Du64 ^ std::process::id() as u64;
    for cycle in 0..=CYCLES {
        let mut server = TestServer::start_in(dir.clone(), &[], &[]);
        server.keep_dir = true;
        if cycle == 0 {
            server
                .connect()
                .await
                .batch_execute("CREATE TABLE crash_t (id bigint NOT NULL, client int, note text)")
                .await
                .unwrap();
        } else {
            let log = server.log();
            assert!(log.contains("redo done"), "cycle {cycle}: no recovery after kill -9");
        }
        let seen = ledger.lock().unwrap().clone();
        let rows = verify(&server, &seen).await;
        if cycle == CYCLES {
            assert!(rows > 100, "too few rows committed over the run: {rows}");
            server.keep_dir = false;
            break;
        }
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let (client, conn) = tokio_postgres::connect(&server.conn_str(), tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            let ledger = ledger.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..100_000i64 {
                    let id = (cycle * 10_000_000 + c * 1_000_000) as i64 + i;
                    if c == 0 && i % 10 == 5 {
                        // A rolled-back insert must never be seen.
                        if client
                            .batch_execute(&format!("BEGIN; INSERT INTO crash_t VALUES ({}, 0, 'r')", -id))
                            .await
                            .is_err()
                        {
                            return;
                        }
                        if client.batch_execute("ROLLBACK").await.is_err() {
                            return;
                        }
                        continue;
                    }
                    if c == 1 && i % 25 == 0 {
                        // Checkpoints run while the others insert (and the kill may land in one).
                        if client.batch_execute("CHECKPOINT").await.is_err() {
                            return;
                        }
                    }
                    ledger.lock().unwrap().attempted.insert(id);
                    match client.execute("INSERT INTO crash_t VALUES ($1, $2, 'committed')", &[&id, &(c as i32)]).await
                    {
                        Ok(_) => {
                            ledger.lock().unwrap().acknowledged.insert(id);
                        }
                        Err(_) => return,
                    }
                }
            }));
        }
        let wait = 150 + next(&mut rng) % 600;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.signal("KILL");
        server.wait_exit(Duration::from_secs(10)).expect("killed server did not exit");
        for t in tasks {
            t.await.unwrap();
        }
        drop(server);
    }
    let l = ledger.lock().unwrap();
    eprintln!("{} commits acknowledged, {} attempted over {CYCLES} kills", l.acknowledged.len(), l.attempted.len());
}
