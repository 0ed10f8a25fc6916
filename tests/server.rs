//! The server front end to end: real clients (psql, pg_isready,
//! tokio-postgres) and raw sockets against the `tusk` binary.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::TestServer;

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn startup_packet(user: &str) -> Vec<u8> {
    let mut body = 196608i32.to_be_bytes().to_vec();
    body.extend_from_slice(format!("user\0{user}\0database\0postgres\0\0").as_bytes());
    let mut p = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    p.extend_from_slice(&body);
    p
}

/// Read until the peer closes (or a timeout); everything received.
fn read_all(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

async fn assert_answers(server: &TestServer) {
    let c = server.connect().await;
    let row = c.query_one("SELECT 40 + 2", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);
}

#[test]
fn psql_connects_over_tcp_and_unix_socket() {
    if !have("psql") {
        eprintln!("psql not installed; skipping");
        return;
    }
    let server = TestServer::start(&[]);
    for host in ["127.0.0.1".to_string(), server.socket_dir.display().to_string()] {
        let out = Command::new("psql")
            .args(["-X", "-A", "-t", "-h", &host, "-p", &server.port.to_string(), "-U", "postgres", "-c", "select 1+1"])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2");
    }
    let out = Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "postgres"])
        .args(["-c", "SET work_mem = '64MB'", "-c", "SHOW work_mem", "-c", "SHOW server_version"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("64MB"), "{stdout}");
    assert!(stdout.contains("16.0 (tusk"), "{stdout}");
    if have("pg_isready") {
        let out =
            Command::new("pg_isready").args(["-h", "127.0.0.1", "-p", &server.port.to_string()]).output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("accepting connections"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_rejects_the_extra_client_only() {
    let server = TestServer::start(&["max_connections=2"]);
    let a = server.connect().await;
    let b = server.connect().await;
    let err = match tokio_postgres::connect(&server.conn_str(), tokio_postgres::NoTls).await {
        Ok(_) => panic!("third connection was admitted"),
        Err(e) => e,
    };
    let db = err.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "53300");
    assert_eq!(db.message(), "sorry, too many clients already");
    assert_eq!(a.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0), 1);
    assert_eq!(b.query_one("SELECT 2", &[]).await.unwrap().get::<_, i32>(0), 2);
    drop(a);
    // The freed slot is reusable.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match tokio_postgres::connect(&server.conn_str(), tokio_postgres::NoTls).await {
            Ok(_) => break,
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("slot was not freed: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_request_stops_the_running_statement() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    let token = client.cancel_token();
    let started = Instant::now();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        token.cancel_query(tokio_postgres::NoTls).await.unwrap();
    });
    let err = client.query("SELECT pg_sleep(30)", &[]).await.unwrap_err();
    canceller.await.unwrap();
    let db = err.as_db_error().expect("server error");
    assert_eq!(db.code().code(), "57014");
    assert_eq!(db.message(), "canceling statement due to user request");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The session survives the cancel.
    assert_eq!(client.query_one("SELECT 7", &[]).await.unwrap().get::<_, i32>(0), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_cancels() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    client.batch_execute("SET statement_timeout = 200").await.unwrap();
    let started = Instant::now();
    let err = client.batch_execute("SELECT pg_sleep(10)").await.unwrap_err();
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "57014");
    assert_eq!(db.message(), "canceling statement due to statement timeout");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_statements_leave_the_server_answering_others() {
    // More CPU-bound statements than the server has threads, none reading
    // a table block: a join, a long series, a LATERAL join must each hand
    // their thread back now and then.
    let server = TestServer::start(&[]);
    let mut running = Vec::new();
    let mut tokens = Vec::new();
    let statements = [
        "SELECT count(*) FROM generate_series(1, 2000) a, generate_series(1, 2000) b, \
         generate_series(1, 2000) c WHERE a.a + b.b + c.c < 0",
        "SELECT count(*) FROM generate_series(1, 100000000000) g",
        "SELECT count(*) FROM generate_series(1, 100000) a, LATERAL generate_series(1, a.a) b WHERE b < 0",
        "SELECT count(*) FROM generate_series(1, 2000) a, generate_series(1, 2000) b, \
         generate_series(1, 2000) c WHERE a.a + b.b + c.c < 0",
    ];
    for sql in statements {
        let c = server.connect().await;
        tokens.push(c.cancel_token());
        running.push(tokio::spawn(async move { c.batch_execute(sql).await }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::time::timeout(Duration::from_secs(60), assert_answers(&server))
        .await
        .expect("a new session is served while they run");
    assert!(running.iter().all(|j| !j.is_finished()), "the statements were still running");
    for t in tokens {
        t.cancel_query(tokio_postgres::NoTls).await.unwrap();
    }
    for j in running {
        let err = j.await.unwrap().unwrap_err();
        assert_eq!(err.as_db_error().unwrap().code().code(), "57014");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smart_shutdown_waits_for_sessions() {
    let mut server = TestServer::start(&[]);
    let client = server.connect().await;
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Still running for the connected client; new clients are turned away.
    assert_eq!(client.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0), 1);
    let err = tokio_postgres::connect(&server.conn_str(), tokio_postgres::NoTls).await.err();
    assert!(err.is_some(), "a new connection was accepted during smart shutdown");
    assert!(server.wait_exit(Duration::from_millis(200)).is_none(), "exited while a session was open");
    drop(client);
    let status = server.wait_exit(Duration::from_secs(10)).expect("server did not exit after the last session");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_shutdown_ends_sessions() {
    let mut server = TestServer::start(&[]);
    let idle = server.connect().await;
    let busy = server.connect().await;
    let running = tokio::spawn(async move { busy.query("SELECT pg_sleep(60)", &[]).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.signal("INT");
    let status = server.wait_exit(Duration::from_secs(10)).expect("fast shutdown did not finish");
    assert!(status.success());
    let err = running.await.unwrap().unwrap_err();
    if let Some(db) = err.as_db_error() {
        assert_eq!(db.code().code(), "57P01");
    }
    assert!(idle.query("SELECT 1", &[]).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immediate_shutdown_exits_at_once() {
    let mut server = TestServer::start(&[]);
    let _client = server.connect().await;
    server.signal("QUIT");
    assert!(server.wait_exit(Duration::from_secs(5)).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_closes_only_that_connection() {
    let server = TestServer::start(&[]);
    let addr = format!("127.0.0.1:{}", server.port);
    let keeper = server.connect().await;

    // A truncated startup packet: a length that promises more than is sent.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(&100i32.to_be_bytes()).unwrap();
    s.write_all(&[0, 3, 0]).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    read_all(&mut s);

    // An absurd length and random bytes.
    for junk in [&b"\xff\xff\xff\xff garbage"[..], b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", &[0, 0, 0, 8, 0, 2, 0, 0]] {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(junk).unwrap();
        let reply = read_all(&mut s);
        assert!(reply.is_empty() || reply[0] == b'E', "unexpected reply {reply:?}");
    }

    // A valid startup, then random bytes where a message should be.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(&startup_packet("postgres")).unwrap();
    s.write_all(b"\x01\x02\x03 this is not a message \xff\xfe").unwrap();
    let reply = read_all(&mut s);
    assert_eq!(reply.first(), Some(&b'R'), "no authentication response");
    assert!(reply.windows(6).any(|w| w == b"C08P01"), "no protocol violation error");

    // A message whose length runs past what is sent, then EOF.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(&startup_packet("postgres")).unwrap();
    s.write_all(b"Q\x00\x00\x10\x00SELECT").unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    read_all(&mut s);

    // An unknown role is refused with PostgreSQL's error.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(&startup_packet("nobody")).unwrap();
    let reply = read_all(&mut s);
    assert!(reply.windows(6).any(|w| w == b"C28000"));

    assert_eq!(keeper.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0), 1);
    assert_answers(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_health_endpoints() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    client.batch_execute("CREATE TABLE m (id int); INSERT INTO m VALUES (1), (2)").await.unwrap();
    let get = |path: &str| {
        let mut s = TcpStream::connect(&server.metrics).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        String::from_utf8_lossy(&read_all(&mut s)).to_string()
    };
    // The session counts as idle once it is done with the statement, a
    // moment after the client has its answer.
    let mut metrics = get("/metrics");
    for _ in 0..50 {
        if metrics.contains("tusk_sessions{state=\"idle\"} 1") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        metrics = get("/metrics");
    }
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(metrics.contains("tusk_sessions{state=\"idle\"} 1"), "{metrics}");
    assert!(metrics.contains("tusk_connections_accepted_total"));
    assert!(metrics.contains("tusk_deadlocks_total 0"), "{metrics}");
    assert!(metrics.contains("tusk_lock_waits_total 0"), "{metrics}");
    assert!(metrics.contains("tusk_table_live_rows{table=\"m\"} 2"), "{metrics}");
    assert!(get("/healthz").starts_with("HTTP/1.1 200"));
    assert!(get("/readyz").starts_with("HTTP/1.1 200"));
    assert!(get("/nope").starts_with("HTTP/1.1 404"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_password_authentication() {
    let server = TestServer::start_with_env(&["trust_local_connections=off"], &[("TUSK_PASSWORD", "s3cret")]);
    let ok = format!("{} password=s3cret", server.conn_str());
    let (client, conn) = tokio_postgres::connect(&ok, tokio_postgres::NoTls).await.expect("right password");
    tokio::spawn(conn);
    assert_eq!(client.query_one("SELECT 1", &[]).await.unwrap().get::<_, i32>(0), 1);
    let bad = format!("{} password=wrong", server.conn_str());
    let err = tokio_postgres::connect(&bad, tokio_postgres::NoTls).await.err().expect("wrong password admitted");
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "28P01");
    assert_eq!(db.message(), "password authentication failed for user \"postgres\"");
    // The password is stored only as a SCRAM verifier.
    let stored = std::fs::read_to_string(server.dir.join("data/global/superuser.scram")).unwrap();
    assert!(stored.starts_with("SCRAM-SHA-256$4096:") && !stored.contains("s3cret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_set_refuses_untrusted_clients_with_a_hint() {
    let server = TestServer::start(&["trust_local_connections=off"]);
    let err = tokio_postgres::connect(&server.conn_str(), tokio_postgres::NoTls).await.err().unwrap();
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "28P01");
    assert!(db.hint().unwrap_or("").contains("TUSK_PASSWORD"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extended_protocol_parameters_formats_and_portals() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    // Binary parameters and results, typed from context.
    let row = client
        .query_one("SELECT $1::int4 + 1, $2 || 'x', $3::float8 * 2, $4::bool", &[&41i32, &"a", &1.25f64, &true])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);
    assert_eq!(row.get::<_, String>(1), "ax");
    assert_eq!(row.get::<_, f64>(2), 2.5);
    assert!(row.get::<_, bool>(3));
    // Parameter types inferred from context for Describe.
    let stmt = client.prepare("SELECT $1 + 1::int8, $2 = 'a'").await.unwrap();
    assert_eq!(stmt.params(), &[tokio_postgres::types::Type::INT8, tokio_postgres::types::Type::TEXT]);
    let tx_client = client;
    // Errors in the extended protocol leave the session usable.
    assert!(tx_client.query("SELECT 1/0", &[]).await.is_err());
    assert!(tx_client.prepare("SELECT 1; SELECT 2").await.is_err());
    assert_eq!(tx_client.query_one("SELECT 3", &[]).await.unwrap().get::<_, i32>(0), 3);
}

fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![tag];
    m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// Read backend messages until ReadyForQuery; their type bytes in order.
fn read_until_ready(s: &mut TcpStream) -> Vec<u8> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut types = Vec::new();
    loop {
        let mut head = [0u8; 5];
        s.read_exact(&mut head).unwrap();
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len - 4];
        s.read_exact(&mut body).unwrap();
        types.push(head[0]);
        if head[0] == b'Z' {
            return types;
        }
    }
}

#[test]
fn portal_rows_come_in_max_rows_chunks() {
    let server = TestServer::start(&[]);
    let mut s = TcpStream::connect(format!("127.0.0.1:{}", server.port)).unwrap();
    s.write_all(&startup_packet("postgres")).unwrap();
    read_until_ready(&mut s);
    let mut batch = Vec::new();
    batch.extend(msg(b'P', b"\0SHOW ALL\0\0\0"));
    batch.extend(msg(b'B', b"\0\0\0\0\0\0\0\0"));
    batch.extend(msg(b'E', b"\0\0\0\0\x03"));
    batch.extend(msg(b'E', b"\0\0\0\0\x02"));
    batch.extend(msg(b'E', b"\0\0\0\0\0"));
    batch.extend(msg(b'S', b""));
    s.write_all(&batch).unwrap();
    let types = read_until_ready(&mut s);
    let text: String = types.iter().map(|&t| t as char).collect();
    // ParseComplete, BindComplete, 3 rows + suspended, 2 rows + suspended, the rest + CommandComplete.
    assert!(text.starts_with("12DDDsDDsD"), "{text}");
    assert!(text.ends_with("DCZ"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_simple_queries_give_fresh_results() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    for round in 0..3 {
        let msgs = client.simple_query("SELECT 1 AS a; SELECT current_setting('work_mem')").await.unwrap();
        let rows: Vec<String> = msgs
            .iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                _ => None,
            })
            .collect();
        let expected_mem = if round == 0 { "4MB" } else { "8MB" };
        assert_eq!(rows, vec!["1".to_string(), expected_mem.to_string()]);
        client.batch_execute("SET work_mem = '8MB'").await.unwrap();
        let err = client.simple_query("SELECT 1/0").await.unwrap_err();
        assert_eq!(err.as_db_error().unwrap().code().code(), "22012");
    }
}

#[test]
fn checkpoint_crash_and_recovery_at_start() {
    let dir = common::temp_dir("recovery");
    let mut first = TestServer::start_in(dir.clone(), &[], &[]);
    first.keep_dir = true;
    let out = Command::new("psql")
        .args(["-X", "-h", "127.0.0.1", "-p", &first.port.to_string(), "-U", "postgres", "-c", "CHECKPOINT"])
        .output();
    if let Ok(out) = out {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "CHECKPOINT");
    }
    assert!(dir.join("data/tusk.control").exists());
    assert!(first.log().contains("checkpoint complete"));
    // kill -9: the next start must recover.
    first.signal("KILL");
    first.wait_exit(Duration::from_secs(5)).expect("killed server still running");
    drop(first);
    let mut second = TestServer::start_in(dir.clone(), &[], &[]);
    second.keep_dir = true;
    let log = second.log();
    assert!(log.contains("not properly shut down"), "{log}");
    assert!(log.contains("redo done"), "{log}");
    // A clean (fast) shutdown needs no recovery afterwards.
    second.signal("INT");
    assert!(second.wait_exit(Duration::from_secs(10)).unwrap().success());
    drop(second);
    let before = std::fs::read_to_string(dir.join("server.log")).unwrap().matches("redo done").count();
    let third = TestServer::start_in(dir.clone(), &[], &[]);
    let after = third.log().matches("redo done").count();
    assert_eq!(before, after, "recovery ran after a clean shutdown");
}

/// Two sessions changing the same row: the second never overwrites the
/// first's change unseen. Until waiting for the other writer exists, the
/// second gets a serialization failure (40001) while the first is open, and
/// succeeds against the committed version afterwards; in REPEATABLE READ a
/// row changed since the snapshot is a serialization failure, as in PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_of_one_row_never_lose_a_change() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE acct (id int, v int); INSERT INTO acct VALUES (1, 0), (2, 0)").await.unwrap();

    // READ COMMITTED: B waits for A's update of the row, then applies its
    // own to the newest version.
    a.batch_execute("BEGIN; UPDATE acct SET v = v + 1 WHERE id = 1").await.unwrap();
    let waiting = tokio::spawn(async move {
        let r = b.execute("UPDATE acct SET v = v + 10 WHERE id = 1", &[]).await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the second updater waits for the first");
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
    assert_eq!(r.unwrap(), 1);
    let v: i32 = a.query_one("SELECT v FROM acct WHERE id = 1", &[]).await.unwrap().get(0);
    assert_eq!(v, 11, "both increments are applied");
    // Another row is free to change meanwhile.
    assert_eq!(b.execute("UPDATE acct SET v = v + 10 WHERE id = 2", &[]).await.unwrap(), 1);

    // The newest version is checked against the WHERE clause again: a row
    // that no longer matches is left alone.
    a.batch_execute("BEGIN; UPDATE acct SET v = 100 WHERE id = 1").await.unwrap();
    let waiting = tokio::spawn(async move {
        let r = b.execute("UPDATE acct SET v = -1 WHERE id = 1 AND v = 11", &[]).await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.batch_execute("COMMIT").await.unwrap();
    let (b, r) = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
    assert_eq!(r.unwrap(), 0);
    let v: i32 = a.query_one("SELECT v FROM acct WHERE id = 1", &[]).await.unwrap().get(0);
    assert_eq!(v, 100);

    // A rolled-back update lets the waiter change the original version.
    a.batch_execute("BEGIN; UPDATE acct SET v = 0 WHERE id = 1").await.unwrap();
    let waiting = tokio::spawn(async move {
        let r = b.execute("DELETE FROM acct WHERE id = 1 AND v = 100", &[]).await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
    assert_eq!(r.unwrap(), 1);
    a.batch_execute("INSERT INTO acct VALUES (1, 11)").await.unwrap();

    // Two transactions waiting for each other: one of them is told.
    a.batch_execute("BEGIN; UPDATE acct SET v = v + 1 WHERE id = 1").await.unwrap();
    b.batch_execute("BEGIN; UPDATE acct SET v = v + 1 WHERE id = 2").await.unwrap();
    let waiting = tokio::spawn(async move {
        let r = b.execute("UPDATE acct SET v = v + 1 WHERE id = 1", &[]).await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = a.execute("UPDATE acct SET v = v + 1 WHERE id = 2", &[]).await.unwrap_err();
    let db = err.as_db_error().unwrap();
    assert_eq!(db.code().code(), "40P01");
    assert_eq!(db.message(), "deadlock detected");
    assert!(db.detail().unwrap().contains("waits for ShareLock on transaction"), "{:?}", db.detail());
    a.batch_execute("ROLLBACK").await.unwrap();
    let (b, r) = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap();
    assert_eq!(r.unwrap(), 1);
    b.batch_execute("COMMIT").await.unwrap();
    let v: i32 = a.query_one("SELECT v FROM acct WHERE id = 1", &[]).await.unwrap().get(0);
    assert_eq!(v, 12);

    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT v FROM acct").await.unwrap();
    a.batch_execute("UPDATE acct SET v = 100 WHERE id = 1").await.unwrap();
    let err = b.execute("DELETE FROM acct WHERE id = 1", &[]).await.unwrap_err();
    assert_eq!(err.as_db_error().unwrap().code().code(), "40001");
    b.batch_execute("ROLLBACK").await.unwrap();
    let n: i64 = a.query_one("SELECT count(*) FROM acct", &[]).await.unwrap().get(0);
    assert_eq!(n, 2);
}

/// A statement a client prepared keeps working after another session
/// changes its table (it is bound again when it runs, as PostgreSQL
/// re-plans), and fails with PostgreSQL's error once its result shape
/// would change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_are_bound_again_after_ddl() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE rb (k int PRIMARY KEY, v text); INSERT INTO rb VALUES (1, 'one'), (2, 'two')")
        .await
        .unwrap();
    let by_key = a.prepare("SELECT v FROM rb WHERE k = $1").await.unwrap();
    let all = a.prepare("SELECT * FROM rb ORDER BY k").await.unwrap();
    let bump = a.prepare("UPDATE rb SET v = v || '!' WHERE k = $1").await.unwrap();
    assert_eq!(a.query_one(&by_key, &[&1i32]).await.unwrap().get::<_, String>(0), "one");
    // Another session adds a column and an index, and renames nothing the statements name.
    b.batch_execute("ALTER TABLE rb ADD COLUMN w int DEFAULT 7; CREATE INDEX rb_v ON rb (v)").await.unwrap();
    assert_eq!(a.query_one(&by_key, &[&2i32]).await.unwrap().get::<_, String>(0), "two");
    assert_eq!(a.execute(&bump, &[&2i32]).await.unwrap(), 1);
    assert_eq!(a.query_one(&by_key, &[&2i32]).await.unwrap().get::<_, String>(0), "two!");
    // `SELECT *` now has another column: refused, as PostgreSQL refuses it.
    let err = a.query(&all, &[]).await.unwrap_err();
    assert_eq!(err.as_db_error().unwrap().code().code(), "0A000");
    assert_eq!(err.as_db_error().unwrap().message(), "cached plan must not change result type");
    // Dropping the table: the statement's relation is gone.
    b.batch_execute("DROP TABLE rb").await.unwrap();
    let err = a.query(&by_key, &[&1i32]).await.unwrap_err();
    assert_eq!(err.as_db_error().unwrap().code().code(), "42P01");
}

/// Result column names follow PostgreSQL's rules for casts: a cast keeps
/// its operand's name, and a constant's cast is named after the type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cast_columns_are_named_as_postgres_names_them() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    let stmt = client
        .prepare("SELECT 1::int::text, relname::text::varchar, (relname)::text, oid::regclass::text, now()::date FROM pg_class")
        .await
        .unwrap();
    let names: Vec<&str> = stmt.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["text", "relname", "relname", "oid", "now"]);
}
