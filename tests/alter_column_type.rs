//! ALTER COLUMN … TYPE and ADD COLUMN … DEFAULT across sessions and
//! crashes: a rewrite committed before kill -9 is there after recovery,
//! its data and indexes intact; one in flight when the server dies leaves
//! the table as it was; a reader waits for the rewrite's lock and then
//! sees the new type.

mod common;

use std::time::Duration;

use common::TestServer;
use common::rows;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_rewrites_survive_kill_9_and_uncommitted_ones_vanish() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    for sql in [
        "CREATE TABLE t (a int PRIMARY KEY, b text, c varchar(10))",
        "CREATE INDEX t_c ON t (c)",
        "INSERT INTO t SELECT g, (g * 2)::text, 'c' || g FROM generate_series(1, 2000) g",
        // Kept as the missing value: no rewrite.
        "ALTER TABLE t ADD COLUMN d int DEFAULT 42",
        // Rewrites: every row gets its own value, then converted types.
        "CREATE SEQUENCE s",
        "ALTER TABLE t ADD COLUMN e bigint DEFAULT nextval('s')",
        "ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE int USING b::int",
        "ALTER TABLE t ALTER COLUMN c TYPE text",
        "INSERT INTO t (a, b, c) VALUES (2001, 4002, 'c2001')",
    ] {
        c.batch_execute(sql).await.unwrap();
    }
    // An uncommitted rewrite dies with the server.
    c.batch_execute("BEGIN; ALTER TABLE t ALTER COLUMN b TYPE text; ALTER TABLE t ADD COLUMN lost int DEFAULT 1")
        .await
        .unwrap();
    let server = server.crash_and_restart(&[]);
    drop(c);
    let c = server.connect().await;
    assert_eq!(
        rows(&c, "SELECT pg_typeof(a)::text, pg_typeof(b)::text, pg_typeof(c)::text FROM t LIMIT 1").await,
        ["bigint integer text"]
    );
    assert_eq!(
        rows(&c, "SELECT count(*), sum(b), count(DISTINCT e), min(d), max(d) FROM t").await,
        ["2001 4006002 2001 42 42"]
    );
    assert_eq!(rows(&c, "SELECT count(*) FROM pg_attribute WHERE attname = 'lost'").await, ["0"]);
    // The indexes were rebuilt for the new files, and still answer.
    assert_eq!(rows(&c, "SELECT a, b, c FROM t WHERE a = 1500").await, ["1500 3000 c1500"]);
    assert_eq!(rows(&c, "SELECT a FROM t WHERE c = 'c77'").await, ["77"]);
    let e = c.batch_execute("INSERT INTO t (a) VALUES (1500)").await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "23505");
    c.batch_execute("INSERT INTO t (a, b) VALUES (3000, 1)").await.unwrap();
    // (A sequence may skip values it had logged ahead before the crash.)
    assert_eq!(rows(&c, "SELECT d, e > 2001 FROM t WHERE a = 3000").await, ["42 t"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_wait_for_the_rewrite_and_see_it_after_commit() {
    let server = TestServer::start(&[]);
    let writer = server.connect().await;
    let reader = server.connect().await;
    writer.batch_execute("CREATE TABLE w (a int, b text)").await.unwrap();
    writer.batch_execute("INSERT INTO w SELECT g, g::text FROM generate_series(1, 100) g").await.unwrap();
    writer.batch_execute("BEGIN; ALTER TABLE w ALTER COLUMN b TYPE int USING b::int").await.unwrap();
    let read = tokio::spawn(async move {
        let r = rows(&reader, "SELECT pg_typeof(b)::text, sum(b) FROM w GROUP BY 1").await;
        (reader, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!read.is_finished(), "a reader did not wait for ACCESS EXCLUSIVE");
    writer.batch_execute("COMMIT").await.unwrap();
    let (_reader, r) = tokio::time::timeout(Duration::from_secs(10), read).await.unwrap().unwrap();
    assert_eq!(r, ["integer 5050"]);
}
