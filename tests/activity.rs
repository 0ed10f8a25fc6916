//! `pg_stat_activity`, `pg_cancel_backend` and `pg_terminate_backend`
//! between real client connections.

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, code, rows};

/// The session's `state`, `query` and whether `xact_start` is set, as
/// another session sees them.
async fn activity_of(observer: &tokio_postgres::Client, pid: i32) -> Vec<String> {
    rows(
        observer,
        &format!(
            "SELECT state, xact_start IS NOT NULL, query FROM pg_stat_activity \
             WHERE pid = {pid}"
        ),
    )
    .await
}

/// Poll until session `pid` is seen in `state` (or 5 seconds pass); what
/// was last seen.
async fn wait_for_state(observer: &tokio_postgres::Client, pid: i32, state: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = activity_of(observer, pid).await;
        let matches = match seen.first() {
            Some(row) => row.starts_with(&format!("{state} ")),
            None => state == "gone",
        };
        if matches || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn backend_pid(client: &tokio_postgres::Client) -> i32 {
    client.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_seen_cancelled_and_terminated() {
    let server = TestServer::start(&[]);
    let observer = server.connect().await;
    let watched = std::sync::Arc::new(server.connect().await);
    let pid = backend_pid(&watched).await;

    // A running statement: active, with its text.
    let running = {
        let watched = watched.clone();
        tokio::spawn(async move { watched.batch_execute("select pg_sleep(5)").await })
    };
    let seen = wait_for_state(&observer, pid, "active").await;
    assert_eq!(seen, vec!["active t select pg_sleep(5)"]);
    let fixed = rows(
        &observer,
        &format!(
            "SELECT datname, usename, client_addr, client_port > 0, backend_type, \
             backend_start <= query_start, wait_event FROM pg_stat_activity WHERE pid = {pid}"
        ),
    )
    .await;
    assert_eq!(fixed, vec!["postgres postgres 127.0.0.1 t client backend t NULL"]);

    // Cancelled: the statement fails with 57014 and the session is idle.
    assert_eq!(rows(&observer, &format!("SELECT pg_cancel_backend({pid})")).await, vec!["t"]);
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(code(&err), "57014");
    let seen = wait_for_state(&observer, pid, "idle").await;
    assert_eq!(seen, vec!["idle f select pg_sleep(5)"]);
    let waits =
        rows(&observer, &format!("SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = {pid}")).await;
    assert_eq!(waits, vec!["Client ClientRead"]);

    // A transaction block, and a failed one.
    watched.batch_execute("BEGIN").await.unwrap();
    let seen = wait_for_state(&observer, pid, "idle in transaction").await;
    assert_eq!(seen, vec!["idle in transaction t BEGIN"]);
    assert!(watched.batch_execute("SELECT 1/0").await.is_err());
    let seen = wait_for_state(&observer, pid, "idle in transaction (aborted)").await;
    assert_eq!(seen, vec!["idle in transaction (aborted) t SELECT 1/0"]);
    watched.batch_execute("ROLLBACK").await.unwrap();

    // The extended protocol shows the prepared statement's text.
    let n: i32 = watched.query_one("SELECT $1::int4 + 1", &[&41i32]).await.unwrap().get(0);
    assert_eq!(n, 42);
    let seen = wait_for_state(&observer, pid, "idle").await;
    assert_eq!(seen, vec!["idle f SELECT $1::int4 + 1"]);

    // application_name follows SET.
    watched.batch_execute("SET application_name = 'watched'").await.unwrap();
    let name = rows(&observer, &format!("SELECT application_name FROM pg_stat_activity WHERE pid = {pid}")).await;
    assert_eq!(name, vec!["watched"]);

    // pg_stat_get_activity(pid) lists only that session.
    let one = rows(&observer, &format!("SELECT pid FROM pg_stat_get_activity({pid})")).await;
    assert_eq!(one, vec![pid.to_string()]);

    // Terminated while running: 57P01, and the session is gone.
    let running = {
        let watched = watched.clone();
        tokio::spawn(async move { watched.batch_execute("select pg_sleep(5)").await })
    };
    wait_for_state(&observer, pid, "active").await;
    assert_eq!(rows(&observer, &format!("SELECT pg_terminate_backend({pid})")).await, vec!["t"]);
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(code(&err), "57P01");
    assert_eq!(err.as_db_error().unwrap().message(), "terminating connection due to administrator command");
    assert!(wait_for_state(&observer, pid, "gone").await.is_empty());

    // Terminated while idle, waiting for the session to end.
    let idle = server.connect().await;
    let idle_pid = backend_pid(&idle).await;
    let ended = rows(&observer, &format!("SELECT pg_terminate_backend({idle_pid}, 5000)")).await;
    assert_eq!(ended, vec!["t"]);
    assert!(activity_of(&observer, idle_pid).await.is_empty());
    assert!(idle.simple_query("SELECT 1").await.is_err());

    // No such session.
    assert_eq!(rows(&observer, "SELECT pg_cancel_backend(1), pg_terminate_backend(1)").await, vec!["f f"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_roles_sessions_are_private() {
    let server = TestServer::start(&[]);
    let admin = server.connect().await;
    let admin_pid = backend_pid(&admin).await;
    admin.batch_execute("CREATE ROLE act_plain LOGIN; CREATE ROLE act_other LOGIN").await.unwrap();
    let connect_as = |user: &'static str| {
        let conn_str = server.conn_str().replace("user=postgres", &format!("user={user}"));
        async move {
            let (client, conn) = tokio_postgres::connect(&conn_str, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            client
        }
    };
    let plain = connect_as("act_plain").await;
    let other = connect_as("act_other").await;
    let other_pid = backend_pid(&other).await;

    let seen = rows(
        &plain,
        &format!(
            "SELECT usename, state, query, backend_start, client_port, backend_type \
             FROM pg_stat_activity WHERE pid = {admin_pid}"
        ),
    )
    .await;
    assert_eq!(seen, vec!["postgres NULL <insufficient privilege> NULL NULL NULL"]);

    let err = plain.simple_query(&format!("SELECT pg_cancel_backend({admin_pid})")).await.unwrap_err();
    assert_eq!(code(&err), "42501");
    assert_eq!(err.as_db_error().unwrap().message(), "must be a superuser to cancel superuser query");
    let err = plain.simple_query(&format!("SELECT pg_terminate_backend({other_pid})")).await.unwrap_err();
    assert_eq!(code(&err), "42501");
    assert_eq!(
        err.as_db_error().unwrap().message(),
        "must be a member of the role whose process is being terminated or member of pg_signal_backend"
    );

    // With pg_signal_backend, other roles' sessions may be signalled.
    admin.batch_execute("GRANT pg_signal_backend TO act_plain").await.unwrap();
    assert_eq!(rows(&plain, &format!("SELECT pg_cancel_backend({other_pid})")).await, vec!["t"]);
    // With pg_read_all_stats, they are seen.
    admin.batch_execute("GRANT pg_read_all_stats TO act_plain").await.unwrap();
    let seen = rows(&plain, &format!("SELECT state FROM pg_stat_activity WHERE pid = {admin_pid}")).await;
    assert_eq!(seen, vec!["idle"]);
}
