//! pgbench, unchanged, against tusk: initialization with the default steps,
//! then each built-in script in each protocol mode with concurrent clients,
//! with no failed transactions and the tpcb-like consistency check.

mod common;

use std::process::Command;

use common::TestServer;

fn pgbench(server: &TestServer, args: &[&str]) -> String {
    let out = Command::new("pgbench")
        .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "postgres"])
        .args(args)
        .arg("postgres")
        .output()
        .expect("run pgbench");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "pgbench {args:?} failed:\n{text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbench_initializes_and_runs_every_builtin_script_in_every_mode() {
    let server = TestServer::start(&[]);
    // Server-side generation (generate_series), then the default steps.
    pgbench(&server, &["-i", "-I", "dtGvp", "-s", "1"]);
    pgbench(&server, &["-i", "-s", "1"]);
    let c = server.connect().await;
    let n: i64 = c.query_one("SELECT count(*) FROM pgbench_accounts", &[]).await.unwrap().get(0);
    assert_eq!(n, 100_000);
    for script in ["tpcb-like", "simple-update", "select-only"] {
        for mode in ["simple", "extended", "prepared"] {
            let out = pgbench(&server, &["-b", script, "-M", mode, "-c", "4", "-j", "2", "-T", "2"]);
            assert!(out.contains("number of failed transactions: 0 (0.000%)"), "{script} {mode}:\n{out}");
            if script == "tpcb-like" {
                // pgbench truncates the history before each run; the
                // balances accumulate, so compare this run's deltas with
                // the change of the branch total.
                let row = c
                    .query_one(
                        "SELECT (SELECT sum(bbalance) FROM pgbench_branches), (SELECT sum(tbalance) FROM pgbench_tellers), (SELECT count(*) FROM pgbench_branches)",
                        &[],
                    )
                    .await
                    .unwrap();
                let (b, t, branches): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
                assert_eq!(b, t, "{mode}: branch and teller totals agree");
                assert_eq!(branches, 1, "{mode}: one live version of the branch");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbench_with_foreign_keys_and_unlogged_tables() {
    let server = TestServer::start(&[]);
    // The foreign keys are added (and validated) after the data is loaded,
    // with the default steps and with server-side generation.
    pgbench(&server, &["-i", "-s", "2", "--foreign-keys"]);
    pgbench(&server, &["-i", "-I", "dtGvp", "-s", "2", "--foreign-keys"]);
    let c = server.connect().await;
    let fks: i64 = c.query_one("SELECT count(*) FROM pg_constraint WHERE contype = 'f'", &[]).await.unwrap().get(0);
    assert_eq!(fks, 5);
    // tpcb-like inserts history rows that reference the rows it updated.
    let out = pgbench(&server, &["-b", "tpcb-like", "-c", "4", "-j", "2", "-T", "3"]);
    assert!(out.contains("number of failed transactions: 0 (0.000%)"), "{out}");
    let e = c.execute("DELETE FROM pgbench_branches WHERE bid = 1", &[]).await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "23503");

    pgbench(&server, &["-i", "--unlogged-tables", "-s", "2"]);
    let unlogged: i64 = c
        .query_one("SELECT count(*) FROM pg_class WHERE relname LIKE 'pgbench%' AND relpersistence = 'u'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(unlogged, 7, "four tables and three primary key indexes");
    let out = pgbench(&server, &["-b", "tpcb-like", "-c", "4", "-j", "2", "-T", "2"]);
    assert!(out.contains("number of failed transactions: 0 (0.000%)"), "{out}");
}
