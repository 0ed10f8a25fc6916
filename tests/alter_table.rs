//! ALTER TABLE … ADD/DROP COLUMN survive a crash: the committed catalog
//! changes are replayed from WAL with the rows written around them, an
//! uncommitted one is gone, and old tuples still read right under the new
//! column list.

mod common;

use common::TestServer;
use common::rows;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn added_and_dropped_columns_survive_kill_9() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    for sql in [
        "CREATE TABLE t (a int PRIMARY KEY, b text, c int)",
        "INSERT INTO t SELECT g, 'b' || g, g * 10 FROM generate_series(1, 500) g",
        "ALTER TABLE t ADD COLUMN d text",
        "INSERT INTO t VALUES (501, 'b501', 5010, 'd501')",
        "ALTER TABLE t DROP COLUMN c",
        "INSERT INTO t VALUES (502, 'b502', 'd502')",
    ] {
        c.batch_execute(sql).await.unwrap();
    }
    // d has NULLs: SET NOT NULL fails, and the added column with it.
    let e = c.batch_execute("ALTER TABLE t ADD COLUMN e int, ALTER COLUMN d SET NOT NULL").await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "23502");
    c.batch_execute("ALTER TABLE t RENAME COLUMN b TO bb").await.unwrap();
    c.batch_execute("BEGIN; ALTER TABLE t ADD COLUMN lost int; ALTER TABLE t DROP COLUMN bb").await.unwrap();
    // The open transaction's changes die with the server.
    let server = server.crash_and_restart(&[]);
    drop(c);
    let c = server.connect().await;
    assert_eq!(
        rows(&c, "SELECT * FROM t WHERE a IN (1, 500, 501, 502) ORDER BY a").await,
        ["1 b1 NULL", "500 b500 NULL", "501 b501 d501", "502 b502 d502"]
    );
    assert_eq!(rows(&c, "SELECT count(*), count(d) FROM t").await, ["502 2"]);
    assert_eq!(
        rows(
            &c,
            "SELECT attname, attisdropped FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum"
        )
        .await,
        ["a f", "bb f", "........pg.dropped.3........ t", "d f"]
    );
    // The table is writable and its key still works.
    c.batch_execute("INSERT INTO t VALUES (503, 'b503', 'd503')").await.unwrap();
    let e = c.batch_execute("INSERT INTO t VALUES (503, 'x', 'y')").await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "23505");
}
