//! Recursive CTEs that never end: a cancel request stops them, and while
//! one runs other sessions' statements still get their turn.

mod common;

use std::time::{Duration, Instant};

use common::TestServer;

const ENDLESS: &str = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_an_endless_recursion_and_others_get_their_turn() {
    let server = TestServer::start(&[]);
    let looping = server.connect().await;
    let other = server.connect().await;
    let token = looping.cancel_token();
    let started = Instant::now();
    let runner = tokio::spawn(async move {
        let err = looping.query(ENDLESS, &[]).await.unwrap_err();
        (looping, err)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The recursion hands control back between rounds: a point query of
    // another session is answered while it runs.
    for i in 0..5 {
        let asked = Instant::now();
        let v: i32 = other.query_one("SELECT $1::int4 + 1", &[&i]).await.unwrap().get(0);
        assert_eq!(v, i + 1);
        assert!(asked.elapsed() < Duration::from_secs(2), "a query waited {:?}", asked.elapsed());
    }
    assert!(!runner.is_finished(), "the endless recursion ended by itself");
    token.cancel_query(tokio_postgres::NoTls).await.unwrap();
    let (looping, err) = runner.await.unwrap();
    let db = err.as_db_error().expect("server error");
    assert_eq!(db.code().code(), "57014");
    assert_eq!(db.message(), "canceling statement due to user request");
    assert!(started.elapsed() < Duration::from_secs(20));
    // The session goes on.
    assert_eq!(looping.query_one("SELECT 7", &[]).await.unwrap().get::<_, i32>(0), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_stops_an_endless_recursion_in_a_subquery() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    client.batch_execute("SET statement_timeout = 300").await.unwrap();
    let started = Instant::now();
    let err = client.batch_execute(&format!("SELECT 1 WHERE 0 < ({ENDLESS})")).await.unwrap_err();
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "57014");
    assert_eq!(db.message(), "canceling statement due to statement timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
}
