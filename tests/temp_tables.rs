//! Temporary tables across sessions and restarts: another session cannot
//! see or reach them, they (with their indexes, sequences and TOAST
//! relations) are dropped and their files removed when their session
//! ends, and what a crash leaves is removed when the server starts again.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{TestServer, code, rows};

/// The files of every relation the session's temporary schema holds, and
/// of their TOAST relations.
async fn temp_files(c: &tokio_postgres::Client, data: &Path) -> Vec<PathBuf> {
    let nodes = rows(
        c,
        "SELECT relfilenode FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relkind <> 'v'
         UNION ALL SELECT t.relfilenode FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid
           WHERE c.relnamespace = pg_my_temp_schema()",
    )
    .await;
    nodes.iter().map(|n| data.join("base").join("5").join(n)).collect()
}

/// How many relations the temporary schemas hold, as a new session sees.
async fn temp_relations(server: &TestServer) -> i64 {
    let c = server.connect().await;
    let n = rows(
        &c,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'pg_temp_%'",
    )
    .await;
    n[0].parse().unwrap()
}

async fn wait_until_no_temp_relations(server: &TestServer) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while temp_relations(server).await != 0 {
        assert!(Instant::now() < deadline, "temporary relations outlived their session");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const SETUP: &str = "CREATE TEMP TABLE tt (id serial PRIMARY KEY, v text);
     CREATE INDEX tt_v ON tt (md5(v));
     INSERT INTO tt (v) SELECT repeat(md5(g::text), 400) FROM generate_series(1, 50) g;
     CREATE TEMP VIEW tv AS SELECT id FROM tt;
     CREATE TEMP SEQUENCE ts";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temp_tables_are_private_and_dropped_with_their_session() {
    let server = TestServer::start(&[]);
    let data = server.dir.join("data");
    let a = server.connect().await;
    a.batch_execute("CREATE TABLE shadow (who text); INSERT INTO shadow VALUES ('permanent')").await.unwrap();
    a.batch_execute(SETUP).await.unwrap();
    a.batch_execute("CREATE TEMP TABLE shadow (who text); INSERT INTO shadow VALUES ('temporary')").await.unwrap();
    let files = temp_files(&a, &data).await;
    // tt, its TOAST relation and index, its key, tt_v, the sequences, shadow.
    assert!(files.len() >= 7, "{files:?}");
    assert!(files.iter().all(|f| f.exists()), "{files:?}");
    let schema = rows(&a, "SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()").await.remove(0);
    assert!(schema.starts_with("pg_temp_"), "{schema}");
    assert_eq!(rows(&a, "SELECT who FROM shadow").await, ["temporary"]);
    assert_eq!(rows(&a, "SELECT count(*) FROM tt").await, ["50"]);

    // Another session sees the permanent table, and cannot reach the temporary one.
    let b = server.connect().await;
    assert_eq!(rows(&b, "SELECT who FROM shadow").await, ["permanent"]);
    let e = b.simple_query("SELECT * FROM tt").await.unwrap_err();
    assert_eq!(code(&e), "42P01");
    let e = b.simple_query(&format!("SELECT * FROM {schema}.tt")).await.unwrap_err();
    assert_eq!(code(&e), "0A000");
    assert_eq!(e.as_db_error().unwrap().message(), "cannot access temporary tables of other sessions");
    let e = b.simple_query(&format!("INSERT INTO {schema}.shadow VALUES ('b')")).await.unwrap_err();
    assert_eq!(code(&e), "0A000");
    // Its own temporary schema is another one.
    b.batch_execute("CREATE TEMP TABLE tt (x int)").await.unwrap();
    let other = rows(&b, "SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()").await.remove(0);
    assert_ne!(schema, other);
    let q = format!(
        "SELECT pg_is_other_temp_schema(oid) FROM pg_namespace WHERE nspname IN ('{schema}', '{other}') ORDER BY nspname = '{other}'"
    );
    assert_eq!(rows(&b, &q).await, ["t", "f"]);
    drop(b);

    // The session ends: its relations go, files and catalog rows.
    drop(a);
    wait_until_no_temp_relations(&server).await;
    for f in &files {
        assert!(!f.exists(), "{} outlived its session", f.display());
    }
    let c = server.connect().await;
    assert_eq!(rows(&c, "SELECT who FROM shadow").await, ["permanent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temp_tables_left_by_a_crash_are_removed_at_start() {
    let dir = common::temp_dir("temp-crash");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let data = dir.join("data");
    let a = server.connect().await;
    a.batch_execute(SETUP).await.unwrap();
    a.batch_execute("CHECKPOINT").await.unwrap();
    let files = temp_files(&a, &data).await;
    assert!(files.iter().all(|f| f.exists()), "{files:?}");
    server.keep_dir = true;
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed");
    drop(a);
    drop(server);
    let server = TestServer::start_in(dir, &[], &[]);
    assert_eq!(temp_relations(&server).await, 0);
    for f in &files {
        assert!(!f.exists(), "{} survived the restart", f.display());
    }
    // The next session with that backend id uses the schema again.
    let c = server.connect().await;
    c.batch_execute(SETUP).await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM tt").await, ["50"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_commit_actions() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TEMP TABLE del (a int PRIMARY KEY, b text) ON COMMIT DELETE ROWS").await.unwrap();
    c.batch_execute("BEGIN; INSERT INTO del SELECT g, 'x' FROM generate_series(1, 1000) g").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM del").await, ["1000"]);
    c.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM del").await, ["0"]);
    // Its index is empty too.
    c.batch_execute("INSERT INTO del VALUES (1, 'y')").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM del WHERE a = 1").await, ["0"]);
    // And its TOAST relation: long values come and go with the rows.
    let toast_size = "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'del'::regclass";
    c.batch_execute(
        "BEGIN; INSERT INTO del SELECT g, (SELECT string_agg(md5((g * 1000 + i)::text), '')
           FROM generate_series(1, 300) i) FROM generate_series(1, 20) g",
    )
    .await
    .unwrap();
    assert_ne!(rows(&c, toast_size).await, ["0"]);
    assert_eq!(rows(&c, "SELECT sum(length(b)) FROM del").await, ["192000"]);
    c.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&c, toast_size).await, ["0"]);

    c.batch_execute("BEGIN; CREATE TEMP TABLE dr (a int) ON COMMIT DROP; INSERT INTO dr VALUES (1)").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM dr").await, ["1"]);
    c.batch_execute("COMMIT").await.unwrap();
    let e = c.simple_query("SELECT * FROM dr").await.unwrap_err();
    assert_eq!(code(&e), "42P01");
    // Rolled back: neither the table nor its ON COMMIT action remains.
    c.batch_execute("BEGIN; CREATE TEMP TABLE rb (a int) ON COMMIT DROP; ROLLBACK").await.unwrap();
    c.batch_execute("CREATE TEMP TABLE rb (a int)").await.unwrap();
    c.batch_execute("INSERT INTO rb VALUES (1)").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM rb").await, ["1"]);
}
