//! UNLOGGED tables: not WAL-logged, so a crash leaves them (and their
//! indexes) empty but usable, while logged tables keep every committed
//! row; a clean shutdown writes their pages, so they keep their rows.

mod common;

use std::time::Duration;

use common::TestServer;

async fn count(c: &tokio_postgres::Client, table: &str) -> i64 {
    c.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlogged_tables_are_emptied_by_a_crash_and_kept_by_a_clean_restart() {
    let dir = common::temp_dir("unlogged");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE UNLOGGED TABLE u (id int PRIMARY KEY, v text); CREATE TABLE l (id int PRIMARY KEY, v text);
         INSERT INTO u SELECT g, 'u' FROM generate_series(1, 2000) g;
         INSERT INTO l SELECT g, 'l' FROM generate_series(1, 2000) g",
    )
    .await
    .unwrap();
    let persistence: String =
        c.query_one("SELECT relpersistence::text FROM pg_class WHERE relname = 'u'", &[]).await.unwrap().get(0);
    assert_eq!(persistence, "u");

    // A clean restart keeps both.
    server.keep_dir = true;
    server.signal("INT");
    server.wait_exit(Duration::from_secs(10)).expect("stopped");
    drop(c);
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let c = server.connect().await;
    assert_eq!(count(&c, "u").await, 2000);
    assert_eq!(count(&c, "l").await, 2000);

    // A crash (after a checkpoint put some of u's pages on disk) empties
    // the unlogged table and its index.
    c.batch_execute("CHECKPOINT; INSERT INTO u VALUES (5000, 'late'); INSERT INTO l VALUES (5000, 'late')")
        .await
        .unwrap();
    server.keep_dir = true;
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed");
    drop(c);
    let server = TestServer::start_in(dir, &[], &[]);
    let c = server.connect().await;
    assert_eq!(count(&c, "u").await, 0);
    assert_eq!(count(&c, "l").await, 2001);
    let n: i64 = c.query_one("SELECT count(*) FROM u WHERE id = 7", &[]).await.unwrap().get(0);
    assert_eq!(n, 0, "the index is empty too");
    c.batch_execute("INSERT INTO u VALUES (7, 'again')").await.unwrap();
    let v: String = c.query_one("SELECT v FROM u WHERE id = 7", &[]).await.unwrap().get(0);
    assert_eq!(v, "again");
    let e = c.execute("INSERT INTO u VALUES (7, 'dup')", &[]).await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "23505");
}
