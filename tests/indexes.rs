//! Indexes across sessions and restarts: a unique insert waits for the
//! transaction holding the same key and then fails or proceeds by its
//! outcome; a dropped table's files go away only when the drop commits;
//! indexes survive a crash (kill -9) with every acknowledged key findable.

mod common;

use std::time::Duration;

use common::TestServer;
use common::code;

type Outcome = (tokio_postgres::Client, Result<u64, tokio_postgres::Error>);

/// Run `sql` on `client` in the background; check that it is still
/// waiting a moment later.
async fn start_waiting(client: tokio_postgres::Client, sql: &'static str) -> tokio::task::JoinHandle<Outcome> {
    let waiting = tokio::spawn(async move {
        let r = client.execute(sql, &[]).await;
        (client, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "{sql} waits for the other transaction");
    waiting
}

async fn finish(waiting: tokio::task::JoinHandle<Outcome>) -> Outcome {
    tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("the waiter wakes").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unique_insert_waits_for_the_other_holder_of_the_key() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE u (id int PRIMARY KEY, who text)").await.unwrap();

    // A inserts key 1 and keeps its transaction open: B must wait.
    a.batch_execute("BEGIN; INSERT INTO u VALUES (1, 'a')").await.unwrap();
    let waiting = start_waiting(b, "INSERT INTO u VALUES (1, 'b')").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = finish(waiting).await;
    let err = r.unwrap_err();
    assert_eq!(code(&err), "23505");
    assert_eq!(err.as_db_error().unwrap().detail(), Some("Key (id)=(1) already exists."));

    // A inserts key 2 and rolls back: B's insert then succeeds.
    a.batch_execute("BEGIN; INSERT INTO u VALUES (2, 'a')").await.unwrap();
    let waiting = start_waiting(b, "INSERT INTO u VALUES (2, 'b')").await;
    a.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);

    // A deletes key 1 and commits while B waits to insert it: B proceeds.
    a.batch_execute("BEGIN; DELETE FROM u WHERE id = 1").await.unwrap();
    let waiting = start_waiting(b, "INSERT INTO u VALUES (1, 'b')").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 1);

    let rows = b.query("SELECT id, who FROM u ORDER BY id", &[]).await.unwrap();
    let got: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(got, vec![(1, "b".to_string()), (2, "b".to_string())]);

    // A waiter can be cancelled by statement_timeout.
    a.batch_execute("BEGIN; INSERT INTO u VALUES (3, 'a')").await.unwrap();
    b.batch_execute("SET statement_timeout = '200ms'").await.unwrap();
    let err = b.execute("INSERT INTO u VALUES (3, 'b')", &[]).await.unwrap_err();
    assert_eq!(code(&err), "57014");
    a.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_files_go_only_when_the_drop_commits() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE d (id int PRIMARY KEY); INSERT INTO d VALUES (1), (2)").await.unwrap();
    let base = server.dir.join("data").join("base").join("5");
    let files = || std::fs::read_dir(&base).unwrap().count();
    c.batch_execute("CHECKPOINT").await.unwrap();
    let before = files();

    c.batch_execute("BEGIN; DROP TABLE d").await.unwrap();
    assert_eq!(files(), before, "nothing is removed before the commit");
    c.batch_execute("ROLLBACK").await.unwrap();
    let n: i64 = c.query_one("SELECT count(*) FROM d WHERE id = 2", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);

    c.batch_execute("DROP TABLE d").await.unwrap();
    assert_eq!(files(), before - 2, "the table's and its index's files are gone");

    // A table created in a transaction that rolls back leaves no file.
    c.batch_execute("BEGIN; CREATE TABLE e (id int PRIMARY KEY); INSERT INTO e VALUES (1); ROLLBACK").await.unwrap();
    assert_eq!(files(), before - 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes_survive_a_crash() {
    let dir = common::temp_dir("index-crash");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE k (id int PRIMARY KEY, v text); CREATE INDEX k_v ON k (v)").await.unwrap();
    // Enough keys for many leaf splits; a checkpoint in the middle, so that
    // recovery replays both full-page images and plain inserts.
    let insert = c.prepare("INSERT INTO k VALUES ($1, $2)").await.unwrap();
    for i in 0..6000i32 {
        c.execute(&insert, &[&(i * 7919 % 6000), &format!("value-{i:05}")]).await.unwrap();
        if i == 3000 {
            c.batch_execute("CHECKPOINT").await.unwrap();
        }
    }
    server.keep_dir = true;
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed");
    drop(c);

    let server = TestServer::start_in(dir, &[], &[]);
    let c = server.connect().await;
    let n: i64 = c.query_one("SELECT count(*) FROM k WHERE id >= 0", &[]).await.unwrap().get(0);
    assert_eq!(n, 6000);
    for i in [0i32, 1, 2999, 3000, 5999] {
        let v: String = c.query_one("SELECT v FROM k WHERE id = $1", &[&i]).await.unwrap().get(0);
        let back: i32 = c.query_one("SELECT id FROM k WHERE v = $1", &[&v]).await.unwrap().get(0);
        assert_eq!(back, i);
    }
    let err = c.execute("INSERT INTO k VALUES (42, 'again')", &[]).await.unwrap_err();
    assert_eq!(code(&err), "23505", "the primary key still enforces uniqueness after recovery");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_follow_truncate_and_index_changes() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE p (id int PRIMARY KEY, v int); INSERT INTO p VALUES (1, 10), (2, 20)").await.unwrap();
    let select = c.prepare("SELECT v FROM p WHERE id = $1").await.unwrap();
    let insert = c.prepare("INSERT INTO p VALUES ($1, $2)").await.unwrap();
    let by_v = c.prepare("SELECT id FROM p WHERE v = $1").await.unwrap();
    let v: i32 = c.query_one(&select, &[&2i32]).await.unwrap().get(0);
    assert_eq!(v, 20);

    // TRUNCATE gives the table and its index new files: the prepared
    // statements use them.
    c.batch_execute("TRUNCATE p").await.unwrap();
    assert!(c.query_opt(&select, &[&2i32]).await.unwrap().is_none());
    c.execute(&insert, &[&2i32, &21i32]).await.unwrap();
    let v: i32 = c.query_one(&select, &[&2i32]).await.unwrap().get(0);
    assert_eq!(v, 21);
    let err = c.execute(&insert, &[&2i32, &22i32]).await.unwrap_err();
    assert_eq!(code(&err), "23505");

    // An index created after PREPARE is maintained by the prepared INSERT
    // and found by the prepared SELECT; one dropped after PREPARE is not used.
    c.batch_execute("CREATE UNIQUE INDEX p_v ON p (v)").await.unwrap();
    c.execute(&insert, &[&3i32, &30i32]).await.unwrap();
    let id: i32 = c.query_one(&by_v, &[&30i32]).await.unwrap().get(0);
    assert_eq!(id, 3);
    let err = c.execute(&insert, &[&4i32, &30i32]).await.unwrap_err();
    assert_eq!(code(&err), "23505");
    c.batch_execute("DROP INDEX p_v").await.unwrap();
    let id: i32 = c.query_one(&by_v, &[&30i32]).await.unwrap().get(0);
    assert_eq!(id, 3);
    c.execute(&insert, &[&4i32, &30i32]).await.unwrap();
    assert_eq!(c.query(&by_v, &[&30i32]).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_fillfactor_leaves_room_on_each_page() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE full_pages (id int, pad text); CREATE TABLE sparse_pages (id int, pad text) WITH (fillfactor = 20)",
    )
    .await
    .unwrap();
    for t in ["full_pages", "sparse_pages"] {
        let insert = c.prepare(&format!("INSERT INTO {t} VALUES ($1, $2)")).await.unwrap();
        for i in 0..400i32 {
            c.execute(&insert, &[&i, &"x".repeat(100)]).await.unwrap();
        }
    }
    c.batch_execute("CHECKPOINT").await.unwrap();
    let base = server.dir.join("data").join("base").join("5");
    // User relations' files are named by OIDs from 16384 on (the system
    // catalogs' are below, and grow with bootstrap's rows).
    let mut sizes: Vec<u64> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()).is_some_and(|oid| oid >= 16384))
        .map(|e| e.metadata().unwrap().len())
        .filter(|&n| n > 8192 * 4)
        .collect();
    sizes.sort();
    assert_eq!(sizes.len(), 2, "two user tables of several pages: {sizes:?}");
    let ratio = sizes[1] as f64 / sizes[0] as f64;
    assert!(ratio > 3.0, "fillfactor 20 needs about five times the pages: {sizes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sessions_see_ddl_when_it_commits() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("BEGIN; CREATE TABLE s (id int)").await.unwrap();
    assert_eq!(code(&b.execute("SELECT * FROM s", &[]).await.unwrap_err()), "42P01");
    a.batch_execute("COMMIT").await.unwrap();
    b.execute("INSERT INTO s VALUES (1)", &[]).await.unwrap();

    // A unique index committed by A is enforced on B's next insert.
    b.execute("INSERT INTO s VALUES (2)", &[]).await.unwrap();
    a.batch_execute("BEGIN; CREATE UNIQUE INDEX s_id ON s (id)").await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(code(&b.execute("INSERT INTO s VALUES (2)", &[]).await.unwrap_err()), "23505");

    // A drop holds its table's ACCESS EXCLUSIVE lock: a reader waits for
    // it to end, then finds the table (rolled back) or not (committed).
    a.batch_execute("BEGIN; DROP TABLE s").await.unwrap();
    let waiting = start_waiting(b, "SELECT * FROM s").await;
    a.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = finish(waiting).await;
    assert_eq!(r.unwrap(), 2, "a rolled-back drop leaves the table");
    a.batch_execute("BEGIN; DROP TABLE s").await.unwrap();
    let waiting = start_waiting(b, "SELECT * FROM s").await;
    a.batch_execute("COMMIT").await.unwrap();
    let (_, r) = finish(waiting).await;
    assert_eq!(code(&r.unwrap_err()), "42P01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_increments_of_one_row_are_each_applied_once() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE counter (id int PRIMARY KEY, n int); INSERT INTO counter VALUES (1, 0)")
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let client = server.connect().await;
        tasks.push(tokio::spawn(async move {
            for _ in 0..50 {
                let n = client.execute("UPDATE counter SET n = n + 1 WHERE id = 1", &[]).await.unwrap();
                assert_eq!(n, 1, "each update changes exactly one row");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let row = c.query_one("SELECT count(*), sum(n) FROM counter", &[]).await.unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1, 400), "one live version, every increment once");
    // VACUUM removes the dead versions; the row and its index entry stay.
    c.batch_execute("VACUUM counter").await.unwrap();
    let n: i32 = c.query_one("SELECT n FROM counter WHERE id = 1", &[]).await.unwrap().get(0);
    assert_eq!(n, 400);
}
