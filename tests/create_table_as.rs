//! CREATE TABLE … AS and SELECT … INTO across sessions and crashes: the
//! table and its rows appear to others only when the creating transaction
//! commits, survive a crash once committed, and leave nothing behind (the
//! name stays free) when the server dies before the commit.

mod common;

use common::{TestServer, rows};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_tables_are_transactional_and_survive_a_crash() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE src (id int PRIMARY KEY, v text);
         INSERT INTO src SELECT g, repeat('v', g % 100) FROM generate_series(1, 3000) g",
    )
    .await
    .unwrap();

    // Not visible to another session before its commit.
    a.batch_execute("BEGIN; CREATE TABLE copy1 AS SELECT * FROM src WHERE id % 2 = 0").await.unwrap();
    let e = b.simple_query("SELECT count(*) FROM copy1").await.unwrap_err();
    assert_eq!(common::code(&e), "42P01");
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&b, "SELECT count(*), sum(length(v)) FROM copy1").await, ["1500 73500"]);

    // SELECT INTO, committed; then one left open when the server dies.
    b.batch_execute("SELECT id, v INTO copy2 FROM src WHERE id <= 100").await.unwrap();
    a.batch_execute("BEGIN; CREATE TABLE pending AS SELECT * FROM src").await.unwrap();
    // Killed with the transaction still open (the clients go only after).
    let server = server.crash_and_restart(&[]);
    drop((a, b));
    let c = server.connect().await;
    assert_eq!(rows(&c, "SELECT count(*), min(id), max(id) FROM copy1").await, ["1500 2 3000"]);
    assert_eq!(rows(&c, "SELECT count(*) FROM copy2").await, ["100"]);
    assert_eq!(rows(&c, "SELECT count(*) FROM pg_class WHERE relname = 'pending'").await, ["0"]);
    // The name is free, and the table made again holds what it should.
    c.batch_execute("CREATE TABLE pending AS SELECT * FROM src WHERE id > 2990").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM pending").await, ["10"]);
}
