//! Views across sessions and restarts: a view and what it depends on
//! survive a clean restart and a crash (kill -9); a view's creation is
//! seen by other sessions when it commits; DROP VIEW waits for a reader of
//! the view; the activity counters behind pg_stat_user_tables start from
//! zero after a restart.

mod common;

use std::time::Duration;

use common::TestServer;
use common::{code, rows};

/// What the views of the test look like from a fresh session.
async fn check_views(server: &TestServer) {
    let c = server.connect().await;
    assert_eq!(rows(&c, "SELECT * FROM v_over ORDER BY 1").await, ["2 b", "3 c"]);
    assert_eq!(rows(&c, "SELECT x, y, z FROM v_base ORDER BY x").await, ["2 b 20", "3 c 30"]);
    assert_eq!(
        rows(&c, "SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1").await,
        ["v_base", "v_over"]
    );
    assert!(rows(&c, "SELECT count(*) FROM pg_class WHERE relname = 'v_gone'").await == ["0"]);
    let e = c.batch_execute("DROP TABLE t").await.unwrap_err();
    assert_eq!(code(&e), "2BP01", "{e:?}");
    assert_eq!(
        e.as_db_error().and_then(|d| d.detail()),
        Some("view v_base depends on table t\nview v_over depends on view v_base")
    );
    // The system views were written at bootstrap and are there still.
    assert_eq!(rows(&c, "SELECT setting FROM pg_settings WHERE name = 'work_mem'").await, ["4096"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_survive_a_restart_and_a_crash() {
    let dir = common::temp_dir("views-restart");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE t (a int PRIMARY KEY, b text, c int);
         INSERT INTO t VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 30);
         CREATE VIEW v_base (x, y) AS SELECT a, b FROM t WHERE a > 1;
         CREATE OR REPLACE VIEW v_base AS SELECT a AS x, b AS y, c AS z FROM t WHERE a > 1;
         CREATE VIEW v_over AS SELECT x, y FROM v_base;",
    )
    .await
    .unwrap();
    c.batch_execute("BEGIN; CREATE VIEW v_gone AS SELECT 1; ROLLBACK").await.unwrap();
    assert_eq!(
        rows(&c, "SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 't'").await,
        ["3"],
        "counted at commit"
    );
    drop(c);

    // A clean (fast) shutdown, then a start.
    server.signal("INT");
    server.wait_exit(Duration::from_secs(30)).expect("shut down");
    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    check_views(&server).await;
    let c = server.connect().await;
    // The counters live in memory: they start again from zero.
    assert_eq!(rows(&c, "SELECT n_tup_ins, n_live_tup FROM pg_stat_user_tables WHERE relname = 't'").await, ["0 0"]);

    // A view created after the last checkpoint survives a crash through WAL replay.
    c.batch_execute("CREATE VIEW v_late AS SELECT count(*) AS n FROM v_over").await.unwrap();
    drop(c);
    server.signal("KILL");
    server.wait_exit(Duration::from_secs(10)).expect("killed");
    let server = TestServer::start_in(dir, &[], &[]);
    let c = server.connect().await;
    assert_eq!(rows(&c, "SELECT n FROM v_late").await, ["2"]);
    c.batch_execute("DROP VIEW v_late").await.unwrap();
    check_views(&server).await;
    c.batch_execute("DROP TABLE t CASCADE").await.unwrap();
    assert_eq!(rows(&c, "SELECT count(*) FROM pg_views WHERE schemaname = 'public'").await, ["0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_is_seen_by_other_sessions_when_it_commits() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2)").await.unwrap();
    a.batch_execute("BEGIN; CREATE VIEW v AS SELECT a FROM t").await.unwrap();
    let e = b.simple_query("SELECT * FROM v").await.unwrap_err();
    assert_eq!(code(&e), "42P01");
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&b, "SELECT * FROM v ORDER BY 1").await, ["1", "2"]);

    // A replacement (which holds the view locked until it commits).
    a.batch_execute("CREATE OR REPLACE VIEW v AS SELECT a FROM t WHERE a > 1").await.unwrap();
    assert_eq!(rows(&b, "SELECT * FROM v ORDER BY 1").await, ["2"]);

    // A statement prepared over the old definition does not run the old
    // query: it is bound again, over the new one, as PostgreSQL re-plans.
    let stmt = b.prepare("SELECT a FROM v").await.unwrap();
    a.batch_execute("CREATE OR REPLACE VIEW v AS SELECT a FROM t WHERE a < 2").await.unwrap();
    let got: Vec<i32> = b.query(&stmt, &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(got, [1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_view_waits_for_a_reader_of_the_view() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t").await.unwrap();
    a.batch_execute("BEGIN; SELECT * FROM v").await.unwrap();
    let dropping = tokio::spawn(async move {
        let r = b.batch_execute("DROP VIEW v").await;
        (b, r)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!dropping.is_finished(), "DROP VIEW waits for the reader's ACCESS SHARE lock");
    a.batch_execute("COMMIT").await.unwrap();
    let (_b, r) = tokio::time::timeout(Duration::from_secs(10), dropping).await.expect("the drop ends").unwrap();
    r.unwrap();
    let e = a.simple_query("SELECT * FROM v").await.unwrap_err();
    assert_eq!(code(&e), "42P01");
}

fn have(program: &str) -> bool {
    std::process::Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// psql's own describe commands, run by psql against tusk.
#[test]
fn psql_lists_and_describes_views() {
    if !have("psql") {
        eprintln!("psql not installed; skipping");
        return;
    }
    let server = TestServer::start(&[]);
    let psql = |command: &str| {
        let out = std::process::Command::new("psql")
            .args(["-X", "-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "postgres", "-c", command])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    psql("CREATE TABLE t (a int PRIMARY KEY, b varchar(10))");
    psql("CREATE VIEW v AS SELECT a, b, 'x' AS c FROM t");
    let listed = psql("\\dv");
    assert!(listed.contains(" public | v    | view | postgres"), "{listed}");
    let tables = psql("\\dt");
    assert!(tables.contains(" public | t    | table | postgres"), "{tables}");
    assert!(!tables.contains("| v "), "{tables}");
    let all = psql("\\d");
    assert!(all.contains("| t    | table") && all.contains("| v    | view"), "{all}");
    let described = psql("\\d v");
    assert!(described.contains("View \"public.v\""), "{described}");
    assert!(described.contains(" b      | character varying(10) |"), "{described}");
    assert!(described.contains(" c      | text                  |"), "{described}");
}
