//! Databases: each has its own catalog and files, CREATE DATABASE copies
//! its template, DROP DATABASE refuses while others are connected (and
//! FORCE ends them), and both survive a kill -9 whole.

mod common;

use std::time::Duration;

use common::{TestServer, code, rows};

async fn connect_to(server: &TestServer, db: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let s = format!("host=127.0.0.1 port={} user=postgres dbname={db}", server.port);
    let (client, conn) = tokio_postgres::connect(&s, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_belong_to_their_database_and_templates_copy_them() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE DATABASE a").await.unwrap();
    c.batch_execute("CREATE DATABASE b").await.unwrap();
    let a = connect_to(&server, "a").await.unwrap();
    a.batch_execute(
        "CREATE TABLE only_in_a (id int PRIMARY KEY, v text); INSERT INTO only_in_a SELECT g, 'v' || g FROM generate_series(1, 500) g;
         CREATE SEQUENCE s_a",
    )
    .await
    .unwrap();
    assert_eq!(rows(&a, "SELECT current_database()").await, ["a"]);
    let b = connect_to(&server, "b").await.unwrap();
    let e = b.simple_query("SELECT * FROM only_in_a").await.unwrap_err();
    assert_eq!(code(&e), "42P01");
    // The same name in another database is another table.
    b.batch_execute("CREATE TABLE only_in_a (x text); INSERT INTO only_in_a VALUES ('b')").await.unwrap();
    assert_eq!(rows(&b, "SELECT * FROM only_in_a").await, ["b"]);
    assert_eq!(rows(&a, "SELECT count(*) FROM only_in_a").await, ["500"]);
    // Shared catalogs look the same from everywhere.
    assert_eq!(
        rows(&b, "SELECT datname FROM pg_database ORDER BY datname").await,
        ["a", "b", "postgres", "template0", "template1"]
    );
    assert_eq!(rows(&c, "SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'").await, ["0"]);

    // TEMPLATE a copies a's tables, rows, indexes and sequences; a must be free.
    let e = c.simple_query("CREATE DATABASE a_copy TEMPLATE a").await.unwrap_err();
    assert_eq!(code(&e), "55006");
    assert_eq!(e.as_db_error().unwrap().message(), "source database \"a\" is being accessed by other users");
    drop(a);
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.batch_execute("CREATE DATABASE a_copy TEMPLATE a").await.unwrap();
    let copy = connect_to(&server, "a_copy").await.unwrap();
    assert_eq!(rows(&copy, "SELECT count(*), sum(id) FROM only_in_a").await, ["500 125250"]);
    assert_eq!(rows(&copy, "SELECT v FROM only_in_a WHERE id = 77").await, ["v77"]);
    assert_eq!(rows(&copy, "SELECT nextval('s_a')").await, ["1"]);
    copy.batch_execute("INSERT INTO only_in_a VALUES (1000, 'new')").await.unwrap();
    let a = connect_to(&server, "a").await.unwrap();
    assert_eq!(rows(&a, "SELECT count(*) FROM only_in_a").await, ["500"], "the copy is independent");
    let size: i64 = c.query_one("SELECT pg_database_size('a_copy')", &[]).await.unwrap().get(0);
    assert!(size > 8192 * 10, "{size}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_database_waits_for_others_or_forces_them_out() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE DATABASE busy").await.unwrap();
    let other = connect_to(&server, "busy").await.unwrap();
    other.batch_execute("CREATE TABLE t (a int)").await.unwrap();
    let e = c.simple_query("DROP DATABASE busy").await.unwrap_err();
    assert_eq!(code(&e), "55006");
    let db = e.as_db_error().unwrap();
    assert_eq!(db.message(), "database \"busy\" is being accessed by other users");
    assert_eq!(db.detail(), Some("There is 1 other session using the database."));
    let e = other.simple_query("DROP DATABASE busy").await.unwrap_err();
    assert_eq!(code(&e), "55006");
    assert_eq!(e.as_db_error().unwrap().message(), "cannot drop the currently open database");
    let e = c.simple_query("BEGIN; DROP DATABASE busy").await.unwrap_err();
    assert_eq!(code(&e), "25001");
    c.batch_execute("ROLLBACK").await.unwrap();

    c.batch_execute("DROP DATABASE busy WITH (FORCE)").await.unwrap();
    let e = other.simple_query("SELECT 1").await.unwrap_err();
    assert!(e.is_closed() || code(&e) == "57P01", "{e}");
    let Err(e) = connect_to(&server, "busy").await else { panic!("the database is gone") };
    assert_eq!(code(&e), "3D000");
    assert_eq!(rows(&c, "SELECT count(*) FROM pg_database WHERE datname = 'busy'").await, ["0"]);
    c.batch_execute("CREATE DATABASE busy").await.unwrap();
    let again = connect_to(&server, "busy").await.unwrap();
    let e = again.simple_query("SELECT * FROM t").await.unwrap_err();
    assert_eq!(code(&e), "42P01", "a new database of the same name starts empty");
}

/// On one backend thread every session shares it: DROP DATABASE must let
/// the sessions it waits for (or terminates) run while it waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_database_waits_without_holding_its_thread() {
    let server = TestServer::start(&["backend_threads=1"]);
    let c = server.connect().await;
    c.batch_execute("CREATE DATABASE shared").await.unwrap();
    let other = connect_to(&server, "shared").await.unwrap();
    let sleeper = tokio::spawn(async move { other.simple_query("SELECT pg_sleep(30)").await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    c.batch_execute("DROP DATABASE shared WITH (FORCE)").await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "{:?}", started.elapsed());
    let ended = sleeper.await.unwrap();
    assert!(ended.is_err(), "the terminated session's statement does not complete");
    assert_eq!(rows(&c, "SELECT count(*) FROM pg_database WHERE datname = 'shared'").await, ["0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_and_drop_database_survive_kill_9() {
    let dir = common::temp_dir("databases-crash");
    let server = TestServer::start_in(dir.clone(), &[], &[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept SELECT g FROM generate_series(1, 1000) g",
    )
    .await
    .unwrap();
    // Not in a multi-statement query string: that is a transaction block.
    let e = c.simple_query("CREATE DATABASE made TEMPLATE postgres; CREATE DATABASE doomed").await.unwrap_err();
    assert_eq!(code(&e), "25001");
    c.batch_execute("CREATE DATABASE made TEMPLATE postgres").await.unwrap();
    c.batch_execute("CREATE DATABASE doomed").await.unwrap();
    let made = connect_to(&server, "made").await.unwrap();
    made.batch_execute("INSERT INTO kept VALUES (5000)").await.unwrap();
    let doomed = connect_to(&server, "doomed").await.unwrap();
    doomed.batch_execute("CREATE TABLE d (a int); INSERT INTO d VALUES (1)").await.unwrap();
    drop(doomed);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let doomed_oid: String =
        rows(&c, "SELECT oid FROM pg_database WHERE datname = 'doomed'").await.into_iter().next().unwrap();
    c.batch_execute("DROP DATABASE doomed").await.unwrap();
    drop((c, made));
    let mut server = server;
    server.keep_dir = true;
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed");
    drop(server);
    // What a crash between a copy and its commit (or between a drop's
    // commit and its removal) leaves: files no pg_database row names.
    let stray = dir.join("data/base/999999");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("1259"), vec![0u8; 8192]).unwrap();
    std::fs::create_dir_all(dir.join("data/base/999998.copy")).unwrap();
    let server = TestServer::start_in(dir.clone(), &[], &[]);
    assert!(server.log().contains("redo done"), "no recovery after kill -9");
    assert!(!stray.exists() && !dir.join("data/base/999998.copy").exists(), "orphan files are removed");

    let made = connect_to(&server, "made").await.unwrap();
    assert_eq!(rows(&made, "SELECT count(*), max(id) FROM kept").await, ["1001 5000"]);
    let Err(e) = connect_to(&server, "doomed").await else { panic!("dropped") };
    assert_eq!(code(&e), "3D000");
    assert!(!dir.join("data/base").join(&doomed_oid).exists(), "the dropped database's files are gone");
    let c = server.connect().await;
    assert_eq!(rows(&c, "SELECT count(*) FROM kept").await, ["1000"]);
    // Every directory under base/ is a database pg_database lists (or the shared one).
    let listed = rows(&c, "SELECT oid FROM pg_database").await;
    for entry in std::fs::read_dir(dir.join("data/base")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(name == "0" || listed.contains(&name), "stray directory base/{name}");
    }
}
