//! Settings kept by `ALTER ROLE … SET` and `ALTER DATABASE … SET`
//! (`pg_db_role_setting`): a new connection starts with them, most
//! specific first (role in database, role, database, every role), the
//! startup packet wins over all of them, `SHOW` and `RESET` and
//! `pg_settings.source` tell where each came from, and they are
//! transactional and durable.

mod common;

use common::{TestServer, rows};

async fn connect_as(server: &TestServer, user: &str, db: &str, options: &str) -> tokio_postgres::Client {
    let mut conn = format!("host=127.0.0.1 port={} user={user} dbname={db}", server.port);
    if !options.is_empty() {
        conn.push_str(&format!(" options='{options}'"));
    }
    let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

/// `name setting source` of the settings the test sets, by name.
async fn sources(client: &tokio_postgres::Client) -> Vec<String> {
    rows(
        client,
        "SELECT name, setting, source FROM pg_settings \
         WHERE name IN ('work_mem', 'search_path', 'statement_timeout', 'lock_timeout') ORDER BY name",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_connections_start_with_role_and_database_settings() {
    let server = TestServer::start(&[]);
    let admin = server.connect().await;
    admin.batch_execute("CREATE DATABASE appdb").await.unwrap();
    admin
        .batch_execute(
            "CREATE ROLE app LOGIN; CREATE SCHEMA app_s AUTHORIZATION app;
             ALTER ROLE app SET search_path = app_s, public;
             ALTER ROLE app SET work_mem = '8MB';
             ALTER DATABASE appdb SET work_mem = '32MB';
             ALTER DATABASE appdb SET lock_timeout = '3s';
             ALTER ROLE app IN DATABASE appdb SET statement_timeout = '5s';
             ALTER ROLE ALL SET lock_timeout = '7s';
             ALTER ROLE ALL SET statement_timeout = '9s'",
        )
        .await
        .unwrap();
    // A session that was already there keeps its values.
    assert_eq!(rows(&admin, "SHOW work_mem").await, ["4MB"]);

    // In appdb: the role's own value wins over the database's, the role's
    // in the database over both, the database's over every role's.
    let c = connect_as(&server, "app", "appdb", "").await;
    assert_eq!(rows(&c, "SHOW search_path").await, ["app_s, public"]);
    assert_eq!(
        sources(&c).await,
        [
            "lock_timeout 3000 database",
            "search_path app_s, public user",
            "statement_timeout 5000 database user",
            "work_mem 8192 user",
        ]
    );
    // They are the session's defaults: RESET returns to them.
    c.batch_execute("SET work_mem = '1MB'; SET lock_timeout = 0").await.unwrap();
    assert_eq!(rows(&c, "SELECT setting, source FROM pg_settings WHERE name = 'work_mem'").await, ["1024 session"]);
    c.batch_execute("RESET work_mem; RESET lock_timeout").await.unwrap();
    assert_eq!(rows(&c, "SHOW work_mem").await, ["8MB"]);
    assert_eq!(rows(&c, "SHOW lock_timeout").await, ["3s"]);
    // Elsewhere the database's settings do not apply, every role's do.
    let c = connect_as(&server, "app", "postgres", "").await;
    assert_eq!(
        sources(&c).await,
        [
            "lock_timeout 7000 global",
            "search_path app_s, public user",
            "statement_timeout 9000 global",
            "work_mem 8192 user",
        ]
    );
    // The search path names the role's schema: a new table goes there.
    c.batch_execute("CREATE TABLE in_app_s (a int)").await.unwrap();
    assert_eq!(rows(&admin, "SELECT schemaname FROM pg_tables WHERE tablename = 'in_app_s'").await, ["app_s"]);
    // Another role in appdb: the database's and every role's.
    let c = connect_as(&server, "postgres", "appdb", "").await;
    assert_eq!(
        sources(&c).await,
        [
            "lock_timeout 3000 database",
            "search_path \"$user\", public default",
            "statement_timeout 9000 global",
            "work_mem 32768 database",
        ]
    );
    // The startup packet wins over all of them.
    let c = connect_as(&server, "app", "appdb", "-c work_mem=2MB").await;
    assert_eq!(rows(&c, "SELECT setting, source FROM pg_settings WHERE name = 'work_mem'").await, ["2048 client"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_transactional_and_durable() {
    let server = TestServer::start(&[]);
    let admin = server.connect().await;
    admin.batch_execute("CREATE ROLE app LOGIN").await.unwrap();
    admin.batch_execute("BEGIN; ALTER ROLE app SET work_mem = '16MB'").await.unwrap();
    let c = connect_as(&server, "app", "postgres", "").await;
    assert_eq!(rows(&c, "SHOW work_mem").await, ["4MB"], "not committed yet");
    admin.batch_execute("COMMIT").await.unwrap();
    let c = connect_as(&server, "app", "postgres", "").await;
    assert_eq!(rows(&c, "SHOW work_mem").await, ["16MB"]);
    drop(c);
    drop(admin);

    let server = server.crash_and_restart(&[]);
    let c = connect_as(&server, "app", "postgres", "").await;
    assert_eq!(rows(&c, "SELECT setting, source FROM pg_settings WHERE name = 'work_mem'").await, ["16384 user"]);
    let admin = server.connect().await;
    admin.batch_execute("ALTER ROLE app RESET ALL").await.unwrap();
    let c = connect_as(&server, "app", "postgres", "").await;
    assert_eq!(rows(&c, "SELECT setting, source FROM pg_settings WHERE name = 'work_mem'").await, ["4096 default"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_settings_are_kept_for_roles_and_databases() {
    let server = TestServer::start(&[]);
    let admin = server.connect().await;
    admin
        .batch_execute(
            "CREATE ROLE tenant LOGIN;
             ALTER ROLE tenant SET app.tenant = 'acme';
             ALTER DATABASE postgres SET app.region = 'eu'",
        )
        .await
        .unwrap();
    // Checking the item made the placeholder here, empty.
    assert_eq!(rows(&admin, "SHOW app.tenant").await, [""]);

    let c = connect_as(&server, "tenant", "postgres", "").await;
    assert_eq!(rows(&c, "SELECT current_setting('app.tenant'), current_setting('app.region')").await, ["acme eu"]);
    c.batch_execute("SET app.tenant = 'other'; RESET app.tenant").await.unwrap();
    assert_eq!(rows(&c, "SHOW app.tenant").await, ["acme"]);
    // Only a superuser may store a custom setting.
    let e = c.batch_execute("ALTER ROLE tenant SET app.x = 'y'").await.unwrap_err();
    assert_eq!(e.as_db_error().map(|e| e.message()), Some("permission denied to set parameter \"app.x\""));
}
