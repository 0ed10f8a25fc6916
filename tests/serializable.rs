//! SERIALIZABLE isolation (serializable snapshot isolation): the anomalies
//! REPEATABLE READ allows are refused with 40001, and transactions that do
//! not depend on each other are not. Each scenario is a fixed interleaving
//! of steps of several sessions; the last test runs many clients at once
//! against an invariant that only serializability keeps.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::TestServer;
use tokio_postgres::Client;

const REASON_COMMIT: &str = "Reason code: Canceled on identification as a pivot, during commit attempt.";

async fn int(c: &Client, sql: &str) -> i64 {
    c.query_one(sql, &[]).await.unwrap().get(0)
}

/// Assert a 40001 with PostgreSQL's text; returns its DETAIL.
fn serialization_failure(e: tokio_postgres::Error) -> String {
    let db = e.as_db_error().unwrap_or_else(|| panic!("not a server error: {e}"));
    assert_eq!(db.code().code(), "40001", "{db:?}");
    assert_eq!(db.message(), "could not serialize access due to read/write dependencies among transactions");
    assert_eq!(db.hint(), Some("The transaction might succeed if retried."));
    db.detail().unwrap_or_default().to_string()
}

/// Two sessions, after the first ran `setup`.
async fn two_sessions(server: &TestServer, setup: &str) -> (Client, Client) {
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(setup).await.unwrap();
    (a, b)
}

async fn doctors(server: &TestServer) -> (Client, Client) {
    let setup = "CREATE TABLE doctors (name text PRIMARY KEY, on_call bool NOT NULL);
                 INSERT INTO doctors VALUES ('alice', true), ('bob', true)";
    two_sessions(server, setup).await
}

/// Both sessions begin a transaction at `level`.
async fn begin_both(a: &Client, b: &Client, level: &str) {
    let begin = format!("BEGIN ISOLATION LEVEL {level}");
    each(a, &begin, b, &begin).await;
}

/// A step of session `a`, then one of session `b`; both succeed.
async fn each(a: &Client, sql_a: &str, b: &Client, sql_b: &str) {
    a.batch_execute(sql_a).await.unwrap();
    b.batch_execute(sql_b).await.unwrap();
}

/// The doctors' write skew, in transactions both sessions began: each
/// sees both on call, each goes off call, `a` commits; `b`'s COMMIT.
async fn go_off_call(a: &Client, b: &Client) -> Result<(), tokio_postgres::Error> {
    let on_call = "SELECT count(*) FROM doctors WHERE on_call";
    assert_eq!(int(a, on_call).await, 2);
    assert_eq!(int(b, on_call).await, 2);
    let off = "UPDATE doctors SET on_call = false WHERE name = ";
    each(a, &format!("{off}'alice'"), b, &format!("{off}'bob'")).await;
    a.batch_execute("COMMIT").await.unwrap();
    b.batch_execute("COMMIT").await
}

/// Two doctors on call each check that the other still is, then go off
/// call: REPEATABLE READ lets both commit (nobody left on call);
/// SERIALIZABLE fails the second commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_skew_fails_under_serializable_only() {
    let server = TestServer::start(&[]);
    let (a, b) = doctors(&server).await;
    let on_call = "SELECT count(*) FROM doctors WHERE on_call";
    for level in ["REPEATABLE READ", "SERIALIZABLE"] {
        a.batch_execute("UPDATE doctors SET on_call = true").await.unwrap();
        begin_both(&a, &b, level).await;
        let second = go_off_call(&a, &b).await;
        if level == "REPEATABLE READ" {
            second.unwrap();
            assert_eq!(int(&a, on_call).await, 0, "write skew under REPEATABLE READ");
        } else {
            assert_eq!(serialization_failure(second.unwrap_err()), REASON_COMMIT);
            assert_eq!(int(&a, on_call).await, 1, "one doctor stays on call");
            // The failed COMMIT rolled back: the session is usable again.
            assert_eq!(int(&b, "SELECT count(*) FROM doctors WHERE name = 'bob' AND on_call").await, 1);
        }
    }
}

/// The same through `SET TRANSACTION` and `default_transaction_isolation`
/// (implicit transactions included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serializable_by_set_transaction_and_default() {
    let server = TestServer::start(&[]);
    let (a, b) = doctors(&server).await;
    each(
        &a,
        "BEGIN; SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        &b,
        "SET default_transaction_isolation = serializable; BEGIN",
    )
    .await;
    assert_eq!(common::rows(&b, "SHOW transaction_isolation").await, vec!["serializable"]);
    serialization_failure(go_off_call(&a, &b).await.unwrap_err());
    b.batch_execute("RESET default_transaction_isolation").await.unwrap();

    // Implicit transactions under a serializable default: a reader in a
    // block, then a writer that commits on its own; the reader, now a
    // pivot with an out-conflict to a committed writer, cannot write.
    each(&a, "UPDATE doctors SET on_call = true", &b, "SET default_transaction_isolation = serializable").await;
    a.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await.unwrap();
    assert_eq!(int(&a, "SELECT count(*) FROM doctors WHERE on_call").await, 2);
    b.batch_execute(
        "UPDATE doctors SET on_call = false WHERE name = 'bob' AND (SELECT count(*) FROM doctors WHERE on_call) = 2",
    )
    .await
    .unwrap();
    let e = a.batch_execute("UPDATE doctors SET on_call = false WHERE name = 'alice'").await.unwrap_err();
    serialization_failure(e);
    a.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(int(&a, "SELECT count(*) FROM doctors WHERE on_call").await, 1);
}

/// Fekete, O'Neil and O'Neil's read-only anomaly: a report that sees a
/// batch closed but misses a receipt added to it would not fit any serial
/// order, though the two writers alone would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_anomaly_is_caught() {
    let server = TestServer::start(&[]);
    let receipt = server.connect().await;
    let close = server.connect().await;
    let report = server.connect().await;
    receipt
        .batch_execute(
            "CREATE TABLE ctl (k text PRIMARY KEY, deposit_date int NOT NULL);
             INSERT INTO ctl VALUES ('receipt', 1);
             CREATE TABLE receipts (receipt_no int, deposit_date int NOT NULL, amount numeric);
             INSERT INTO receipts VALUES (1, 1, 1.00), (2, 1, 2.00)",
        )
        .await
        .unwrap();
    for with_report in [true, false] {
        // The receipt transaction reads the current batch and adds to it.
        receipt.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await.unwrap();
        let batch = int(&receipt, "SELECT deposit_date::int8 FROM ctl WHERE k = 'receipt'").await;
        receipt.batch_execute(&format!("INSERT INTO receipts VALUES (3, {batch}, 4.00)")).await.unwrap();
        // The batch is closed meanwhile.
        close
            .batch_execute(
                "BEGIN ISOLATION LEVEL SERIALIZABLE;
                 UPDATE ctl SET deposit_date = deposit_date + 1 WHERE k = 'receipt';
                 COMMIT",
            )
            .await
            .unwrap();
        if !with_report {
            // The two writers alone commit (in the order receipt, close).
            receipt.batch_execute("COMMIT").await.unwrap();
            break;
        }
        // The report sees the batch closed, and totals it without the new receipt.
        report.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY").await.unwrap();
        assert_eq!(int(&report, "SELECT deposit_date::int8 FROM ctl WHERE k = 'receipt'").await, batch + 1);
        let sum = format!("SELECT sum(amount)::text FROM receipts WHERE deposit_date = {batch}");
        let total: String = report.query_one(&sum, &[]).await.unwrap().get(0);
        assert_eq!(total, "3.00");
        report.batch_execute("COMMIT").await.unwrap();
        // The receipt, the pivot, may no longer commit.
        assert_eq!(serialization_failure(receipt.batch_execute("COMMIT").await.unwrap_err()), REASON_COMMIT);
    }
}

async fn ranges(server: &TestServer) -> (Client, Client) {
    let setup = "CREATE TABLE r (k int PRIMARY KEY, v int);
                 INSERT INTO r SELECT g, g FROM generate_series(1, 1000) g WHERE g % 10 <> 5;
                 ANALYZE r";
    two_sessions(server, setup).await
}

/// Each transaction counts a key range the other then inserts into (a
/// phantom each way): the ranges are read through the index and locked as
/// ranges, so one of them fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phantom_inserts_into_a_read_range_conflict() {
    let server = TestServer::start(&[]);
    let (a, b) = ranges(&server).await;
    let plan: Vec<String> = common::rows(&a, "EXPLAIN SELECT count(*) FROM r WHERE k BETWEEN 10 AND 20").await;
    assert!(plan.iter().any(|l| l.contains("Index")), "the range is read through the index: {plan:?}");
    begin_both(&a, &b, "SERIALIZABLE").await;
    assert_eq!(int(&a, "SELECT count(*) FROM r WHERE k BETWEEN 10 AND 20").await, 10);
    assert_eq!(int(&b, "SELECT count(*) FROM r WHERE k BETWEEN 500 AND 510").await, 10);
    each(&a, "INSERT INTO r VALUES (505, 0)", &b, "INSERT INTO r VALUES (15, 0)").await;
    a.batch_execute("COMMIT").await.unwrap();
    serialization_failure(b.batch_execute("COMMIT").await.unwrap_err());

    // Inserts outside the ranges read are no conflict.
    begin_both(&a, &b, "SERIALIZABLE").await;
    assert_eq!(int(&a, "SELECT count(*) FROM r WHERE k BETWEEN 100 AND 120").await, 19);
    assert_eq!(int(&b, "SELECT count(*) FROM r WHERE k BETWEEN 600 AND 620").await, 19);
    each(&a, "INSERT INTO r VALUES (705, 0)", &b, "INSERT INTO r VALUES (25, 0)").await;
    each(&a, "COMMIT", &b, "COMMIT").await;
}

/// Point reads and writes of different rows through the primary key take
/// tuple locks: no false 40001.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disjoint_point_reads_and_writes_do_not_conflict() {
    let server = TestServer::start(&[]);
    let (a, b) = ranges(&server).await;
    for round in 0..3 {
        let (x, y) = (100 + round * 10, 300 + round * 10);
        begin_both(&a, &b, "SERIALIZABLE").await;
        assert_eq!(int(&a, &format!("SELECT v::int8 FROM r WHERE k = {x}")).await, x);
        assert_eq!(int(&b, &format!("SELECT v::int8 FROM r WHERE k = {y}")).await, y);
        each(
            &a,
            &format!("UPDATE r SET v = v + 1 WHERE k = {x}"),
            &b,
            &format!("UPDATE r SET v = v + 1 WHERE k = {y}"),
        )
        .await;
        each(&a, &format!("INSERT INTO r VALUES ({}, 0)", x + 5), &b, &format!("INSERT INTO r VALUES ({}, 0)", y + 5))
            .await;
        each(&a, "COMMIT", &b, "COMMIT").await;
    }
}

/// Only serializable transactions take part (as in PostgreSQL): a
/// REPEATABLE READ writer creates no conflict with a serializable reader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_levels_do_not_take_part() {
    let server = TestServer::start(&[]);
    let (a, b) = doctors(&server).await;
    each(&a, "BEGIN ISOLATION LEVEL SERIALIZABLE", &b, "BEGIN ISOLATION LEVEL REPEATABLE READ").await;
    go_off_call(&a, &b).await.unwrap();
}

/// `SERIALIZABLE READ ONLY DEFERRABLE` waits for a safe snapshot: until
/// no serializable transaction that may write is running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferrable_read_only_waits_for_a_safe_snapshot() {
    let server = TestServer::start(&[]);
    let (a, b) = doctors(&server).await;
    a.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await.unwrap();
    assert_eq!(int(&a, "SELECT count(*) FROM doctors WHERE on_call").await, 2);
    b.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE").await.unwrap();
    let b = Arc::new(b);
    let reader = b.clone();
    let report = tokio::spawn(async move { int(&reader, "SELECT count(*) FROM doctors WHERE on_call").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!report.is_finished(), "the deferrable transaction waits while a serializable writer runs");
    a.batch_execute("UPDATE doctors SET on_call = false WHERE name = 'alice'; COMMIT").await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(10), report).await.expect("still waiting").unwrap();
    assert_eq!(seen, 1, "its snapshot is taken after the writer ended");
    b.batch_execute("COMMIT").await.unwrap();
}

const CUSTOMERS: i64 = 20;
const CLIENTS: usize = 8;

/// Each customer has two accounts whose sum must never go below zero; a
/// withdrawal reads both and takes from one (a write skew waiting to
/// happen). Many serializable clients at once, retrying on 40001: the
/// invariant holds and most work commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_withdrawals_keep_the_invariant() {
    let server = TestServer::start(&["deadlock_timeout=100ms"]);
    let setup = server.connect().await;
    setup
        .batch_execute(&format!(
            "CREATE TABLE acct (cust int, kind int, balance bigint NOT NULL, PRIMARY KEY (cust, kind));
             INSERT INTO acct SELECT c, k, 100 FROM generate_series(1, {CUSTOMERS}) c, generate_series(1, 2) k"
        ))
        .await
        .unwrap();
    let until = Instant::now() + Duration::from_secs(4);
    let committed = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client = server.connect().await;
        let (committed, failed) = (committed.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (c as u64 + 1);
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            while Instant::now() < until {
                let cust = (next() % CUSTOMERS as u64) as i64 + 1;
                let kind = (next() % 2) as i64 + 1;
                let amount = (next() % 60) as i64 + 1;
                let deposit = next() % 4 == 0;
                let result = async {
                    client.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await?;
                    let sum: i64 = client
                        .query_one(&format!("SELECT sum(balance)::int8 FROM acct WHERE cust = {cust}"), &[])
                        .await?
                        .get(0);
                    let change = if deposit { amount } else { -amount };
                    if deposit || sum >= amount {
                        client
                            .batch_execute(&format!(
                                "UPDATE acct SET balance = balance + {change} WHERE cust = {cust} AND kind = {kind}"
                            ))
                            .await?;
                    }
                    client.batch_execute("COMMIT").await
                }
                .await;
                match result {
                    Ok(()) => _ = committed.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        let code = common::code(&e);
                        assert!(code == "40001" || code == "40P01", "unexpected error: {e}");
                        failed.fetch_add(1, Ordering::Relaxed);
                        client.batch_execute("ROLLBACK").await.unwrap();
                    }
                }
            }
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(30), t).await.expect("a client is stuck").unwrap();
    }
    let negative =
        int(&setup, "SELECT count(*) FROM (SELECT cust FROM acct GROUP BY cust HAVING sum(balance) < 0) s").await;
    let (committed, failed) = (committed.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!("serializable withdrawals: {committed} committed, {failed} failed and rolled back");
    assert_eq!(negative, 0, "a customer's accounts went below zero: write skew slipped through");
    assert!(committed > 50, "too few transactions committed: {committed}");
    assert!(failed > 0, "conflicting withdrawals must fail sometimes");
}

/// The same skew read through an index-only scan (no heap visit on an
/// all-visible page): each transaction counts the rows by the primary key
/// alone, then deletes one. REPEATABLE READ lets both commit; SERIALIZABLE
/// must fail one, because an index-only read locks the heap pages it
/// trusted the visibility map for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_skew_through_index_only_scans_fails_under_serializable() {
    let server = TestServer::start(&[]);
    let (a, b) = two_sessions(&server, "CREATE TABLE shifts (k int PRIMARY KEY, v int)").await;
    let count = "SELECT count(*) FROM shifts WHERE k <= 2";
    for level in ["REPEATABLE READ", "SERIALIZABLE"] {
        a.batch_execute("TRUNCATE shifts").await.unwrap();
        a.batch_execute("INSERT INTO shifts VALUES (1, 0), (2, 0)").await.unwrap();
        a.batch_execute("VACUUM shifts").await.unwrap();
        for c in [&a, &b] {
            c.batch_execute("SET enable_seqscan = off").await.unwrap();
            let plan: Vec<String> =
                c.query(&format!("EXPLAIN (COSTS off) {count}"), &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
            assert!(plan.iter().any(|l| l.contains("Index Only Scan")), "{plan:?}");
        }
        begin_both(&a, &b, level).await;
        assert_eq!(int(&a, count).await, 2);
        assert_eq!(int(&b, count).await, 2);
        each(&a, "DELETE FROM shifts WHERE k = 1", &b, "DELETE FROM shifts WHERE k = 2").await;
        a.batch_execute("COMMIT").await.unwrap();
        let second = b.batch_execute("COMMIT").await;
        match level {
            "REPEATABLE READ" => {
                second.unwrap();
                assert_eq!(int(&a, count).await, 0, "both deletes committed");
            }
            _ => {
                serialization_failure(second.unwrap_err());
                assert_eq!(int(&a, count).await, 1, "the second delete was rolled back");
            }
        }
    }
}

/// An index read of a row racing an update of the same row: whichever
/// order their steps take, the rw-conflict must be found (the reader's
/// tuple lock is taken while the page is locked, the writer checks for
/// locks after its change; see src/catalog/serial.rs). Each round is a
/// write skew over two rows whose middle steps run at once; both sides
/// committing would be an anomaly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_read_racing_an_update_is_never_missed() {
    let server = TestServer::start(&[]);
    let (a, b) = two_sessions(&server, "CREATE TABLE pair (k int PRIMARY KEY, v int NOT NULL)").await;
    a.batch_execute("INSERT INTO pair VALUES (1, 0), (2, 0)").await.unwrap();
    for c in [&a, &b] {
        c.batch_execute("SET enable_seqscan = off; SET enable_bitmapscan = off").await.unwrap();
    }
    let plan = common::rows(&a, "EXPLAIN (COSTS off) SELECT v FROM pair WHERE k = 1").await;
    assert!(plan.iter().any(|l| l.contains("Index Scan")), "{plan:?}");
    let until = Instant::now() + Duration::from_secs(6);
    let (mut rounds, mut both) = (0, 0);
    while Instant::now() < until {
        rounds += 1;
        begin_both(&a, &b, "SERIALIZABLE").await;
        let b_read: Result<(), tokio_postgres::Error> = async {
            b.query_one("SELECT v FROM pair WHERE k = 2", &[]).await?;
            Ok(())
        }
        .await;
        b_read.unwrap();
        // The race: a reads row 1 while b updates it.
        let (read, write) = tokio::join!(
            a.query_one("SELECT v FROM pair WHERE k = 1", &[]),
            b.batch_execute("UPDATE pair SET v = v + 1 WHERE k = 1")
        );
        let a_rest = async {
            read?;
            a.batch_execute("UPDATE pair SET v = v + 1 WHERE k = 2").await?;
            a.batch_execute("COMMIT").await
        }
        .await;
        let b_rest = async {
            write?;
            b.batch_execute("COMMIT").await
        }
        .await;
        match (a_rest, b_rest) {
            (Ok(()), Ok(())) => both += 1,
            (ra, rb) => {
                for (c, r) in [(&a, ra), (&b, rb)] {
                    if let Err(e) = r {
                        assert_eq!(common::code(&e), "40001", "{e}");
                        c.batch_execute("ROLLBACK").await.unwrap();
                    }
                }
            }
        }
    }
    eprintln!("index read racing an update: {rounds} rounds");
    assert_eq!(both, 0, "write skew committed in {both} of {rounds} rounds");
}

/// A foreign key's check is a read of the referenced row, and takes a
/// SIREAD lock as a query would (PostgreSQL's RI queries do): `a` adds a
/// child of parent 1 (its check reads parent 1) while `b` counts the
/// children and updates parent 1. Each missed the other's change; without
/// the check's lock both committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_key_check_takes_siread_locks() {
    let server = TestServer::start(&[]);
    let setup = "CREATE TABLE p (id int PRIMARY KEY, note text);
                 CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p);
                 INSERT INTO p VALUES (1, 'a'), (2, 'b')";
    let (a, b) = two_sessions(&server, setup).await;
    begin_both(&a, &b, "SERIALIZABLE").await;
    assert_eq!(int(&b, "SELECT count(*) FROM c").await, 0);
    each(&a, "INSERT INTO c VALUES (10, 1)", &b, "UPDATE p SET note = 'x' WHERE id = 1").await;
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(serialization_failure(b.batch_execute("COMMIT").await.unwrap_err()), REASON_COMMIT);

    // The referenced side: deleting a parent checks that no child refers
    // to it, a read of the children. `a` deletes parent 2 (no children in
    // its view) while `b`, which read parent 2's note, adds a child of
    // parent 1; `a` then writes what `b` read.
    each(&a, "DELETE FROM c", &b, "SELECT 1").await;
    begin_both(&a, &b, "SERIALIZABLE").await;
    assert_eq!(common::rows(&b, "SELECT note FROM p WHERE id = 2").await, vec!["b"]);
    each(&b, "INSERT INTO c VALUES (11, 1)", &a, "DELETE FROM p WHERE id = 2").await;
    b.batch_execute("COMMIT").await.unwrap();
    serialization_failure(a.batch_execute("COMMIT").await.unwrap_err());
}

/// An ON DELETE CASCADE action looks for the children to delete, a read
/// of the child table: `a` deletes parent 2 (cascading to no child) while
/// `b`, which read parent 2, adds a child of parent 1. Each missed the
/// other's change, and `a`'s commit fails as in PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cascading_delete_takes_siread_locks() {
    let server = TestServer::start(&[]);
    let setup = "CREATE TABLE p (id int PRIMARY KEY, note text);
                 CREATE TABLE c (id int PRIMARY KEY, pid int REFERENCES p ON DELETE CASCADE);
                 INSERT INTO p VALUES (1, 'a'), (2, 'b')";
    let (a, b) = two_sessions(&server, setup).await;
    begin_both(&a, &b, "SERIALIZABLE").await;
    assert_eq!(common::rows(&b, "SELECT note FROM p WHERE id = 2").await, vec!["b"]);
    each(&b, "INSERT INTO c VALUES (11, 1)", &a, "DELETE FROM p WHERE id = 2").await;
    b.batch_execute("COMMIT").await.unwrap();
    serialization_failure(a.batch_execute("COMMIT").await.unwrap_err());
    assert_eq!(common::rows(&a, "SELECT id FROM p ORDER BY id").await, vec!["1", "2"]);
}

/// INSERT … ON CONFLICT that meets a row its snapshot does not see may not
/// skip or update it: 40001 under SERIALIZABLE (as under REPEATABLE READ).
/// The arbiter lookup itself takes no SIREAD lock, as in PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_conflict_with_an_invisible_row_fails() {
    let server = TestServer::start(&[]);
    let (a, b) =
        two_sessions(&server, "CREATE TABLE u (id int PRIMARY KEY, note text); INSERT INTO u VALUES (1, 'a')").await;
    for (k, action) in [(2, "DO NOTHING"), (3, "(id) DO UPDATE SET note = 'u'")] {
        a.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await.unwrap();
        int(&a, "SELECT count(*) FROM u").await;
        b.batch_execute(&format!("INSERT INTO u VALUES ({k}, 'b')")).await.unwrap();
        let e = a.batch_execute(&format!("INSERT INTO u VALUES ({k}, 'z') ON CONFLICT {action}")).await.unwrap_err();
        let db = e.as_db_error().unwrap();
        assert_eq!((db.code().code(), db.message()), ("40001", "could not serialize access due to concurrent update"));
        a.batch_execute("ROLLBACK").await.unwrap();
    }
}

/// `a` read from `t` and wrote `u`, then committed; `b` read `u` before
/// that (missing `a`'s row) and then runs `write`, which touches what `a`
/// read of `t` only as a whole: it must fail as the pivot, as in
/// PostgreSQL. `between` runs (in a third session) after `a` committed.
async fn skew_through_a_relation_change(setup: &str, a_read: &str, between: &str, write: &str) -> String {
    let server = TestServer::start(&[]);
    let (a, b) = two_sessions(&server, setup).await;
    let c = server.connect().await;
    for s in [&a, &b] {
        s.batch_execute("SET enable_seqscan = off").await.unwrap();
    }
    b.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await.unwrap();
    assert_eq!(int(&b, "SELECT count(*) FROM u").await, 0);
    a.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await.unwrap();
    let plan = common::rows(&a, &format!("EXPLAIN (COSTS off) {a_read}")).await;
    assert!(plan.iter().any(|l| l.contains("Index")), "{plan:?}");
    a.batch_execute(a_read).await.unwrap();
    a.batch_execute("INSERT INTO u VALUES (1); COMMIT").await.unwrap();
    c.batch_execute(between).await.unwrap();
    serialization_failure(b.batch_execute(write).await.unwrap_err())
}

/// TRUNCATE writes the whole table (a reader of any row of it conflicts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_conflicts_with_readers_of_the_table() {
    let setup = "CREATE TABLE t (k int PRIMARY KEY, v int); CREATE TABLE u (x int);
                 INSERT INTO t VALUES (1, 0), (2, 0)";
    let detail = skew_through_a_relation_change(setup, "SELECT v FROM t WHERE k = 2", "SELECT 1", "TRUNCATE t").await;
    assert_eq!(detail, "Reason code: Canceled on identification as a pivot, during write.");
}

/// VACUUM FULL moves rows: a lock on a row's old address becomes a lock on
/// the table, so the update of the row at its new address still conflicts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuum_full_keeps_siread_locks() {
    let setup = "CREATE TABLE t (k int PRIMARY KEY, v int); CREATE TABLE u (x int);
                 INSERT INTO t VALUES (1, 0), (2, 0); DELETE FROM t WHERE k = 1";
    let detail = skew_through_a_relation_change(
        setup,
        "SELECT v FROM t WHERE k = 2",
        "VACUUM FULL t",
        "UPDATE t SET v = 1 WHERE k = 2",
    )
    .await;
    assert_eq!(detail, "Reason code: Canceled on identification as a pivot, during write.");
}

/// DROP INDEX: a range read through the index keeps its protection against
/// phantoms as a lock on the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_index_keeps_siread_locks() {
    let setup = "CREATE TABLE t (k int, v int); CREATE INDEX t_k ON t (k); CREATE TABLE u (x int);
                 INSERT INTO t VALUES (1, 0), (2, 0)";
    let detail = skew_through_a_relation_change(
        setup,
        "SELECT count(*) FROM t WHERE k BETWEEN 3 AND 5",
        "DROP INDEX t_k",
        "INSERT INTO t VALUES (4, 0)",
    )
    .await;
    assert_eq!(detail, "Reason code: Canceled on identification as a pivot, during write.");
}

/// pg_locks from another session: a table lock, an advisory lock, a
/// transaction id and a SIREAD lock; pg_blocking_pids of a session waiting
/// for a table lock (as PostgreSQL 15 shows them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_locks_shows_other_sessions_locks() {
    let server = TestServer::start(&[]);
    let (a, b) = two_sessions(&server, "CREATE TABLE lk (k int PRIMARY KEY)").await;
    let a_pid = int(&a, "SELECT pg_backend_pid()::int8").await;
    a.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE lk IN SHARE MODE; SELECT pg_advisory_lock(42)")
        .await
        .unwrap();
    a.batch_execute("SELECT count(*) FROM lk; INSERT INTO lk VALUES (1)").await.unwrap();
    let rows = common::rows(
        &b,
        &format!(
            "SELECT concat_ws(' ', locktype, relation::regclass::text, objid, mode, granted, transactionid IS NOT NULL)
               FROM pg_locks WHERE pid = {a_pid} AND locktype <> 'virtualxid' AND (relation IS NULL OR relation = 'lk'::regclass)
              ORDER BY 1"
        ),
    )
    .await;
    assert_eq!(
        rows,
        vec![
            "advisory 42 ExclusiveLock t f",
            "relation lk AccessShareLock t f",
            "relation lk RowExclusiveLock t f",
            "relation lk SIReadLock t f",
            "relation lk ShareLock t f",
            "transactionid ExclusiveLock t t",
        ]
    );
    // b waits for a's SHARE lock; a third session sees who blocks it.
    let c = server.connect().await;
    let b_pid = int(&b, "SELECT pg_backend_pid()::int8").await;
    let waiter = tokio::spawn(async move { b.batch_execute("BEGIN; LOCK TABLE lk; COMMIT").await });
    let deadline = Instant::now() + Duration::from_secs(10);
    let blocking = format!("SELECT array_to_string(pg_blocking_pids({b_pid}), ',')");
    while common::rows(&c, &blocking).await != vec![a_pid.to_string()] {
        assert!(Instant::now() < deadline, "b never showed as blocked by a: {:?}", common::rows(&c, &blocking).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let waiting = format!("SELECT mode FROM pg_locks WHERE pid = {b_pid} AND NOT granted");
    assert_eq!(common::rows(&c, &waiting).await, vec!["AccessExclusiveLock"]);
    a.batch_execute("COMMIT; SELECT pg_advisory_unlock_all()").await.unwrap();
    waiter.await.unwrap().unwrap();
}
