//! Schemas across sessions and restarts: a schema and the relations in it
//! survive a crash (kill -9) through WAL replay; another session sees a
//! schema created or dropped when that commits, also through its
//! search_path; DROP SCHEMA … CASCADE waits for a reader of a table in it.

mod common;

use std::time::Duration;

use common::TestServer;
use common::{code, rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_survive_a_crash() {
    let dir = common::temp_dir("schemas-crash");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE SCHEMA kept;
         CREATE TABLE kept.t (id serial PRIMARY KEY, v text);
         INSERT INTO kept.t (v) VALUES ('a'), ('b');
         CREATE VIEW kept.v AS SELECT v FROM kept.t;
         CREATE SCHEMA renamed_from;
         ALTER SCHEMA renamed_from RENAME TO renamed_to;
         CREATE SCHEMA dropped;
         CREATE TABLE dropped.t (a int);
         DROP SCHEMA dropped CASCADE;",
    )
    .await
    .unwrap();
    c.batch_execute("BEGIN; CREATE SCHEMA rolled_back; ROLLBACK").await.unwrap();
    drop(c);
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed");

    let server = TestServer::start_in(dir, &[], &[]);
    let c = server.connect().await;
    assert_eq!(
        rows(&c, "SELECT nspname FROM pg_namespace WHERE oid >= 16384 ORDER BY 1").await,
        ["kept", "renamed_to"]
    );
    assert_eq!(rows(&c, "SELECT v FROM kept.v ORDER BY 1").await, ["a", "b"]);
    c.batch_execute("SET search_path = kept; INSERT INTO t (v) VALUES ('c')").await.unwrap();
    // (The sequence may skip the values logged ahead before the crash.)
    assert_eq!(rows(&c, "SELECT count(*), count(DISTINCT id) FROM t").await, ["3 3"]);
    let e = c.simple_query("SELECT * FROM dropped.t").await.unwrap_err();
    assert_eq!(code(&e), "42P01", "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_session_sees_a_schema_when_it_commits() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    b.batch_execute("SET search_path = later, public").await.unwrap();
    a.batch_execute("CREATE TABLE t (src text); INSERT INTO t VALUES ('public')").await.unwrap();
    assert_eq!(rows(&b, "SELECT src FROM t").await, ["public"]);
    assert_eq!(rows(&b, "SELECT current_schema()").await, ["public"]);

    a.batch_execute(
        "BEGIN; CREATE SCHEMA later; CREATE TABLE later.t (src text); INSERT INTO later.t VALUES ('later')",
    )
    .await
    .unwrap();
    assert_eq!(rows(&b, "SELECT src FROM t").await, ["public"], "not committed yet");
    a.batch_execute("COMMIT").await.unwrap();
    // The same statement text, bound before: it names the table anew.
    assert_eq!(rows(&b, "SELECT src FROM t").await, ["later"]);
    assert_eq!(rows(&b, "SELECT current_schema()").await, ["later"]);

    a.batch_execute("DROP SCHEMA later CASCADE").await.unwrap();
    assert_eq!(rows(&b, "SELECT src FROM t").await, ["public"]);
    assert_eq!(rows(&b, "SELECT current_schema()").await, ["public"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_schema_waits_for_a_reader_of_its_table() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE SCHEMA s; CREATE TABLE s.t (a int); INSERT INTO s.t VALUES (1)").await.unwrap();
    a.batch_execute("BEGIN; SELECT * FROM s.t").await.unwrap();
    let dropping = tokio::spawn(async move {
        let r = b.batch_execute("DROP SCHEMA s CASCADE").await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!dropping.is_finished(), "DROP SCHEMA waits for the reader's ACCESS SHARE lock");
    assert_eq!(rows(&a, "SELECT a FROM s.t").await, ["1"]);
    a.batch_execute("COMMIT").await.unwrap();
    let (_b, r) = tokio::time::timeout(Duration::from_secs(10), dropping).await.expect("the drop ends").unwrap();
    r.unwrap();
    let e = a.simple_query("SELECT * FROM s.t").await.unwrap_err();
    assert_eq!(code(&e), "42P01", "{e:?}");
}
