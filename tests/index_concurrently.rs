//! CREATE / DROP / REINDEX INDEX CONCURRENTLY while other sessions write:
//! the writers keep committing for the whole build or drop, and afterwards
//! every row is found through the new index, which enforces uniqueness; a
//! build that fails leaves an INVALID index that no plan uses; a build
//! waits for the transactions that wrote without knowing of the index.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::{TestServer, code, rows};
use tokio_postgres::Client;

const ROWS: i32 = 20_000;

async fn setup(c: &Client) {
    c.batch_execute(&format!(
        "CREATE TABLE t (id int NOT NULL, v int NOT NULL, pad text);
         INSERT INTO t SELECT g, 0, repeat('p', 40) FROM generate_series(1, {ROWS}) g"
    ))
    .await
    .unwrap();
}

/// A session that, until stopped, inserts new rows, updates rows in
/// place and moves rows to new keys, one autocommitted statement at a
/// time, keeping the ids unique (its new ones start at `first`).
struct Writer {
    stop: Arc<AtomicBool>,
    /// Statements committed so far.
    commits: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Client>,
}

impl Writer {
    /// Start writing, and let it run a moment.
    async fn start(client: Client, first: i32) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let commits = Arc::new(AtomicU64::new(0));
        let (s, n) = (stop.clone(), commits.clone());
        let task = tokio::spawn(async move {
            let mut next = first;
            let mut step = 0;
            while !s.load(Ordering::Relaxed) {
                step += 1;
                let sql = match step % 3 {
                    0 => format!("INSERT INTO t VALUES ({next}, 0, 'w')"),
                    1 => format!("UPDATE t SET v = v + 1 WHERE id = {}", step % ROWS + 1),
                    _ => format!("UPDATE t SET id = {} WHERE id = {}", next + 1_000_000, step % ROWS + 1),
                };
                if step % 3 != 1 {
                    next += 1;
                }
                client.batch_execute(&sql).await.unwrap();
                n.fetch_add(1, Ordering::Relaxed);
            }
            client
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        Writer { stop, commits, task }
    }

    fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Let it run a moment more, then stop it.
    async fn stop(self) -> Client {
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap()
    }
}

async fn plan(c: &Client, sql: &str) -> String {
    rows(c, &format!("EXPLAIN (COSTS OFF) {sql}")).await.join("\n")
}

/// Every row of `t` is found through index `index` on `t (id)`: the
/// index scan's count and sum of ids equal the sequential scan's, with
/// no id twice.
async fn check_every_row_indexed(c: &Client, index: &str) {
    c.batch_execute("SET enable_seqscan = off").await.unwrap();
    let through_index = "SELECT count(*), sum(id::int8), count(DISTINCT id) FROM t WHERE id > -2000000000";
    let p = plan(c, through_index).await;
    assert!(p.contains(&format!("using {index} on t")), "{p}");
    let by_index = rows(c, through_index).await;
    c.batch_execute("SET enable_seqscan = on; SET enable_indexscan = off").await.unwrap();
    let p = plan(c, "SELECT count(*), sum(id::int8), count(DISTINCT id) FROM t").await;
    assert!(p.contains("Seq Scan on t"), "{p}");
    let by_heap = rows(c, "SELECT count(*), sum(id::int8), count(DISTINCT id) FROM t").await;
    c.batch_execute("RESET enable_seqscan; RESET enable_indexscan").await.unwrap();
    assert_eq!(by_index, by_heap);
    let parts: Vec<&str> = by_heap[0].split(' ').collect();
    assert_eq!(parts[0], parts[2], "ids are unique");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_keep_committing_while_a_unique_index_is_built_concurrently() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    setup(&c).await;
    let writer = Writer::start(server.connect().await, ROWS + 1).await;
    let before = writer.commits();
    c.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id)").await.unwrap();
    assert!(writer.commits() > before, "the writer committed while the index was built");
    // Writers now maintain the index.
    let client = writer.stop().await;

    let state = rows(&c, "SELECT indisvalid, indisready FROM pg_index WHERE indexrelid = 't_id'::regclass").await;
    assert_eq!(state, ["t t"]);
    check_every_row_indexed(&c, "t_id").await;
    let e = c.batch_execute("INSERT INTO t VALUES (1, 0, 'dup')").await.unwrap_err();
    assert_eq!(code(&e), "23505");
    assert_eq!(e.as_db_error().unwrap().message(), "duplicate key value violates unique constraint \"t_id\"");

    // REINDEX CONCURRENTLY under the same writer: the copy takes the
    // index's name and place, and finds every row too.
    let writer = Writer::start(client, ROWS + 500_000).await;
    let before = writer.commits();
    c.batch_execute("REINDEX INDEX CONCURRENTLY t_id").await.unwrap();
    assert!(writer.commits() > before, "the writer committed during REINDEX CONCURRENTLY");
    writer.stop().await;
    let names = rows(&c, "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid ORDER BY 1").await;
    assert_eq!(names.iter().filter(|n| n.starts_with("t_id")).collect::<Vec<_>>(), ["t_id"]);
    check_every_row_indexed(&c, "t_id").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_keep_committing_while_an_index_is_dropped_concurrently() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    setup(&c).await;
    c.batch_execute("CREATE UNIQUE INDEX t_id ON t (id)").await.unwrap();
    let writer = Writer::start(server.connect().await, ROWS + 1).await;
    let before = writer.commits();
    c.batch_execute("DROP INDEX CONCURRENTLY t_id").await.unwrap();
    assert!(writer.commits() > before, "the writer committed while the index was dropped");
    writer.stop().await;

    assert_eq!(rows(&c, "SELECT count(*) FROM pg_class WHERE relname = 't_id'").await, ["0"]);
    assert_eq!(rows(&c, "SELECT count(*) FROM pg_index WHERE indrelid = 't'::regclass").await, ["0"]);
    // Its key is no longer enforced.
    c.batch_execute("INSERT INTO t VALUES (1, 0, 'dup')").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_unique_build_leaves_an_invalid_index_no_plan_uses() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    setup(&c).await;
    c.batch_execute("INSERT INTO t VALUES (7, 0, 'dup')").await.unwrap();
    let e = c.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id)").await.unwrap_err();
    assert_eq!(code(&e), "23505");
    let db = e.as_db_error().unwrap();
    assert_eq!(db.message(), "could not create unique index \"t_id\"");
    assert_eq!(db.detail(), Some("Key (id)=(7) is duplicated."));

    // It stays, INVALID (as psql's \d reads it), and no plan reads it.
    let state = rows(&c, "SELECT indisvalid, indisready FROM pg_index WHERE indexrelid = 't_id'::regclass").await;
    assert_eq!(state, ["f f"]);
    c.batch_execute("SET enable_seqscan = off").await.unwrap();
    let p = plan(&c, "SELECT * FROM t WHERE id = 7").await;
    assert!(p.contains("Seq Scan on t") && !p.contains("t_id"), "{p}");
    assert_eq!(rows(&c, "SELECT count(*) FROM t WHERE id = 7").await, ["2"]);

    // DROP removes it; then a clean table takes the index.
    c.batch_execute("DROP INDEX t_id").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM pg_class WHERE relname = 't_id'").await, ["0"]);
    // (Not with other statements in one message: that is one transaction.)
    let e = c.batch_execute("DELETE FROM t WHERE pad = 'dup'; CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id)");
    assert_eq!(code(&e.await.unwrap_err()), "25001");
    c.batch_execute("DELETE FROM t WHERE pad = 'dup'").await.unwrap();
    c.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id)").await.unwrap();
    let p = plan(&c, "SELECT * FROM t WHERE id = 7").await;
    assert!(p.contains("Index Scan using t_id on t"), "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_waits_for_writers_that_did_not_know_of_the_index_and_indexes_their_rows() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    setup(&c).await;
    let w = server.connect().await;
    w.batch_execute(&format!("BEGIN; INSERT INTO t VALUES ({}, 0, 'early')", ROWS + 1)).await.unwrap();

    let builder = server.connect().await;
    let build = tokio::spawn(async move {
        let r = builder.batch_execute("CREATE UNIQUE INDEX CONCURRENTLY t_id ON t (id)").await;
        (builder, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!build.is_finished(), "the build waits for the open writer");
    // The open writer is not blocked by the build.
    w.batch_execute(&format!("INSERT INTO t VALUES ({}, 0, 'early')", ROWS + 2)).await.unwrap();
    // Nor is a new one.
    c.batch_execute(&format!("INSERT INTO t VALUES ({}, 0, 'new')", ROWS + 3)).await.unwrap();
    w.batch_execute("COMMIT").await.unwrap();
    let (_builder, r) = tokio::time::timeout(Duration::from_secs(20), build).await.expect("the build ends").unwrap();
    r.unwrap();
    check_every_row_indexed(&c, "t_id").await;
    c.batch_execute("SET enable_seqscan = off").await.unwrap();
    let sql = format!("SELECT pad FROM t WHERE id IN ({}, {}, {}) ORDER BY id", ROWS + 1, ROWS + 2, ROWS + 3);
    assert_eq!(rows(&c, &sql).await, ["early", "early", "new"]);
}
