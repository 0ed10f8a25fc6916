//! Roles end to end: created roles log in over TCP with SCRAM-SHA-256
//! through a real client, and pg_authid rows are transactional and
//! survive a crash.

mod common;

use common::{TestServer, rows};

/// Connect with connection string `conn`: the client, or the error's
/// SQLSTATE and message.
async fn connect(conn: &str) -> Result<tokio_postgres::Client, (String, String)> {
    match tokio_postgres::connect(conn, tokio_postgres::NoTls).await {
        Ok((client, connection)) => {
            tokio::spawn(connection);
            Ok(client)
        }
        Err(e) => Err(match e.as_db_error() {
            Some(db) => (db.code().code().to_string(), db.message().to_string()),
            None => (String::new(), e.to_string()),
        }),
    }
}

fn as_user(server: &TestServer, user: &str, password: &str) -> String {
    format!("host=127.0.0.1 port={} user={user} password={password} dbname=postgres", server.port)
}

fn failed(user: &str) -> (String, String) {
    ("28P01".into(), format!("password authentication failed for user \"{user}\""))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_roles_log_in_with_scram() {
    let server = TestServer::start_with_env(&["trust_local_connections=off"], &[("TUSK_PASSWORD", "su")]);
    let admin = connect(&as_user(&server, "postgres", "su")).await.expect("superuser logs in");
    admin
        .batch_execute(
            "CREATE ROLE alice LOGIN PASSWORD 'wonder';
             CREATE ROLE bob PASSWORD 'builder';
             CREATE USER carol PASSWORD 'old' VALID UNTIL '2001-01-01';
             CREATE USER dave PASSWORD NULL;
             CREATE USER erin PASSWORD 'e' CONNECTION LIMIT 1;",
        )
        .await
        .unwrap();

    let alice = connect(&as_user(&server, "alice", "wonder")).await.expect("alice logs in");
    assert_eq!(rows(&alice, "SELECT current_user, session_user").await, ["alice alice"]);
    assert_eq!(rows(&alice, "SHOW is_superuser").await, ["off"]);
    assert_eq!(connect(&as_user(&server, "alice", "wrong")).await.err(), Some(failed("alice")));
    // NOLOGIN: refused even with the right password.
    assert_eq!(
        connect(&as_user(&server, "bob", "builder")).await.err(),
        Some(("28000".into(), "role \"bob\" is not permitted to log in".into()))
    );
    // Expired, without a password, or unknown: the password fails.
    assert_eq!(connect(&as_user(&server, "carol", "old")).await.err(), Some(failed("carol")));
    assert_eq!(connect(&as_user(&server, "dave", "")).await.err().map(|e| e.0), Some("28P01".into()));
    assert_eq!(connect(&as_user(&server, "nobody", "x")).await.err(), Some(failed("nobody")));
    // Connection limit.
    let erin = connect(&as_user(&server, "erin", "e")).await.expect("erin logs in");
    assert_eq!(
        connect(&as_user(&server, "erin", "e")).await.err(),
        Some(("53300".into(), "too many connections for role \"erin\"".into()))
    );
    drop(erin);

    // A new password, and a new VALID UNTIL, apply to the next login.
    admin.batch_execute("ALTER ROLE carol PASSWORD 'new' VALID UNTIL 'infinity'").await.unwrap();
    assert!(connect(&as_user(&server, "carol", "new")).await.is_ok());
    admin.batch_execute("ALTER ROLE bob LOGIN").await.unwrap();
    assert!(connect(&as_user(&server, "bob", "builder")).await.is_ok());

    // A dropped role cannot log in.
    drop(alice);
    admin.batch_execute("DROP ROLE alice").await.unwrap();
    assert_eq!(connect(&as_user(&server, "alice", "wonder")).await.err(), Some(failed("alice")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_local_clients_still_need_a_login_role() {
    let server = TestServer::start(&[]);
    let admin = server.connect().await;
    admin.batch_execute("CREATE ROLE quiet; CREATE ROLE chatty LOGIN").await.unwrap();
    let conn = |user: &str| format!("host=127.0.0.1 port={} user={user} dbname=postgres", server.port);
    let chatty = connect(&conn("chatty")).await.expect("a login role needs no password when trusted");
    assert_eq!(rows(&chatty, "SELECT current_user").await, ["chatty"]);
    assert_eq!(
        connect(&conn("quiet")).await.err(),
        Some(("28000".into(), "role \"quiet\" is not permitted to log in".into()))
    );
    assert_eq!(connect(&conn("ghost")).await.err(), Some(("28000".into(), "role \"ghost\" does not exist".into())));
    // A role that is not a superuser cannot create roles.
    let e = chatty.batch_execute("CREATE ROLE other").await.unwrap_err();
    assert_eq!(common::code(&e), "42501");
    // Since PostgreSQL 15, PUBLIC may not create in schema public.
    let e = chatty.batch_execute("CREATE TABLE mine (a int)").await.unwrap_err();
    assert_eq!(common::code(&e), "42501");
    admin.batch_execute("GRANT CREATE ON SCHEMA public TO chatty").await.unwrap();
    // Tables it creates are its own.
    chatty.batch_execute("CREATE TABLE mine (a int)").await.unwrap();
    assert_eq!(rows(&admin, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'mine'").await, ["chatty"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_transactional_and_survive_a_crash() {
    let server = TestServer::start(&[]);
    let admin = server.connect().await;
    admin.batch_execute("BEGIN; CREATE ROLE fleeting LOGIN; ROLLBACK").await.unwrap();
    assert!(rows(&admin, "SELECT rolname FROM pg_authid WHERE rolname = 'fleeting'").await.is_empty());
    admin.batch_execute("CREATE ROLE lasting LOGIN; CREATE ROLE member_of_lasting IN ROLE lasting").await.unwrap();
    drop(admin);
    let server = server.crash_and_restart(&[]);
    let admin = server.connect().await;
    assert_eq!(
        rows(&admin, "SELECT rolname FROM pg_authid WHERE rolname LIKE '%lasting' ORDER BY 1").await,
        ["lasting", "member_of_lasting"]
    );
    assert_eq!(
        rows(
            &admin,
            "SELECT pg_get_userbyid(roleid), pg_get_userbyid(member) FROM pg_auth_members WHERE member >= 16384"
        )
        .await,
        ["lasting member_of_lasting"]
    );
    let conn = format!("host=127.0.0.1 port={} user=lasting dbname=postgres", server.port);
    assert!(connect(&conn).await.is_ok(), "the committed role logs in after recovery");
    assert!(connect(&format!("host=127.0.0.1 port={} user=fleeting dbname=postgres", server.port)).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_privilege_is_checked_at_login() {
    let server = TestServer::start(&[]);
    let admin = server.connect().await;
    admin.batch_execute("CREATE ROLE walker LOGIN; CREATE ROLE boss LOGIN SUPERUSER").await.unwrap();
    let conn = |user: &str| format!("host=127.0.0.1 port={} user={user} dbname=postgres", server.port);
    assert!(connect(&conn("walker")).await.is_ok(), "PUBLIC may connect by default");
    admin.batch_execute("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC").await.unwrap();
    let refused = tokio_postgres::connect(&conn("walker"), tokio_postgres::NoTls).await.err().expect("refused");
    let db = refused.as_db_error().expect("a server error");
    assert_eq!(db.code().code(), "42501");
    assert_eq!(db.message(), "permission denied for database \"postgres\"");
    assert_eq!(db.detail(), Some("User does not have CONNECT privilege."));
    // A superuser needs no grant; a grant to the role lets it in again.
    assert!(connect(&conn("boss")).await.is_ok());
    admin.batch_execute("GRANT CONNECT ON DATABASE postgres TO walker").await.unwrap();
    assert!(connect(&conn("walker")).await.is_ok());
}

/// A session's privileges follow other sessions' committed role changes
/// at its next statement (they are cached between statements).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileges_follow_role_changes_made_elsewhere() {
    let server = TestServer::start_with_env(&["trust_local_connections=off"], &[("TUSK_PASSWORD", "su")]);
    let admin = connect(&as_user(&server, "postgres", "su")).await.expect("superuser logs in");
    admin
        .batch_execute(
            "CREATE ROLE boss LOGIN SUPERUSER PASSWORD 'b';
             CREATE ROLE readers;
             CREATE TABLE secrets (v int);
             INSERT INTO secrets VALUES (7);",
        )
        .await
        .unwrap();
    let boss = connect(&as_user(&server, "boss", "b")).await.expect("boss logs in");
    assert_eq!(rows(&boss, "SELECT v FROM secrets").await, ["7"]);
    admin.batch_execute("ALTER ROLE boss NOSUPERUSER").await.unwrap();
    let e = boss.query("SELECT v FROM secrets", &[]).await.unwrap_err();
    assert_eq!(e.as_db_error().map(|d| d.message()), Some("permission denied for table secrets"));
    // Membership granted elsewhere counts at once, and so does its revocation.
    admin.batch_execute("GRANT SELECT ON secrets TO readers; GRANT readers TO boss").await.unwrap();
    assert_eq!(rows(&boss, "SELECT v FROM secrets").await, ["7"]);
    admin.batch_execute("REVOKE readers FROM boss").await.unwrap();
    assert!(boss.query("SELECT v FROM secrets", &[]).await.is_err());
    // A change not yet committed is not seen by others.
    admin.batch_execute("BEGIN; ALTER ROLE boss SUPERUSER").await.unwrap();
    assert!(boss.query("SELECT v FROM secrets", &[]).await.is_err());
    admin.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&boss, "SELECT v FROM secrets").await, ["7"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_role_keeps_its_privileges_in_every_database() {
    let server = TestServer::start(&[]);
    let admin = server.connect().await;
    admin.batch_execute("CREATE DATABASE other").await.unwrap();
    admin.batch_execute("CREATE ROLE ra LOGIN").await.unwrap();
    let other = connect(&format!("host=127.0.0.1 port={} user=postgres dbname=other", server.port)).await.unwrap();
    other.batch_execute("CREATE TABLE t (a int); INSERT INTO t VALUES (7); GRANT SELECT ON t TO ra").await.unwrap();
    drop(other);
    admin.batch_execute("ALTER ROLE ra RENAME TO rb").await.unwrap();

    let other = connect(&format!("host=127.0.0.1 port={} user=postgres dbname=other", server.port)).await.unwrap();
    assert_eq!(
        rows(&other, "SELECT relacl FROM pg_class WHERE relname = 't'").await,
        ["{postgres=arwdDxt/postgres,rb=r/postgres}"]
    );
    let as_rb = connect(&format!("host=127.0.0.1 port={} user=rb dbname=other", server.port)).await.unwrap();
    assert_eq!(rows(&as_rb, "SELECT a FROM t").await, ["7"]);
    // DROP ROLE counts what the role has elsewhere.
    let e = admin.simple_query("DROP ROLE rb").await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "2BP01");
    assert_eq!(db.detail(), Some("1 object in database other"));
    other.batch_execute("REVOKE SELECT ON t FROM rb").await.unwrap();
    drop(as_rb);
    admin.batch_execute("DROP ROLE rb").await.unwrap();
}
