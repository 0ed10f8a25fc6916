//! Crash safety under pgbench: eight clients run the built-in tpcb-like
//! script while the server is killed with SIGKILL at a random moment; after
//! each restart on the same data directory the money still adds up and the
//! history holds every transaction pgbench saw committed.
//!
//! Each tpcb-like transaction adds one delta to an account, its teller and
//! its branch and appends it to `pgbench_history`, so:
//!
//! 1. `sum(abalance) = sum(bbalance) = sum(tbalance) = sum(delta)`: no
//!    transaction survives in part;
//! 2. the history grew by at least the number of transactions pgbench
//!    reports as processed (each was acknowledged by its COMMIT) and by at
//!    most that plus one per client (a commit made durable whose
//!    acknowledgement the kill cut off).
//!
//! The test needs pgbench on `PATH`; without it, it says so and passes.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestServer;

const CYCLES: u32 = 3;
const CLIENTS: i64 = 8;

fn pgbench_installed() -> bool {
    Command::new("pgbench").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn pgbench(server: &TestServer, cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("pgbench");
    cmd.current_dir(cwd)
        .args(["-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "postgres"])
        .args(args)
        .arg("postgres");
    cmd
}

/// Transactions pgbench completed: "number of transactions actually
/// processed: N" (or "N/M" with -t) from its report, or, if it printed no
/// report, the lines of its per-transaction logs (one per transaction).
fn processed(report: &str, logs: &Path, prefix: &str) -> i64 {
    let line = report.lines().find_map(|l| l.strip_prefix("number of transactions actually processed: "));
    if let Some(n) = line.and_then(|l| l.split('/').next()).and_then(|n| n.trim().parse().ok()) {
        return n;
    }
    std::fs::read_dir(logs)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .map(|e| std::fs::read_to_string(e.path()).unwrap().lines().count() as i64)
        .sum()
}

/// The four totals (accounts, branches, tellers, history deltas) and the
/// number of history rows.
async fn totals(server: &TestServer) -> ([i64; 4], i64) {
    let client = server.connect().await;
    let row = client
        .query_one(
            "SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(bbalance) FROM pgbench_branches), \
             (SELECT sum(tbalance) FROM pgbench_tellers), (SELECT coalesce(sum(delta), 0) FROM pgbench_history), \
             (SELECT count(*) FROM pgbench_history)",
            &[],
        )
        .await
        .expect("read the totals");
    ([row.get(0), row.get(1), row.get(2), row.get(3)], row.get(4))
}

fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_pgbench_keeps_the_balances_and_every_processed_transaction() {
    if !pgbench_installed() {
        eprintln!("pgbench is not installed: skipping the crash test under pgbench");
        return;
    }
    let dir = common::temp_dir("pgbench-crash");
    let logs = dir.join("pgbench-logs");
    std::fs::create_dir_all(&logs).unwrap();
    let seed = 0x9E3779B97F4A7C15u64 ^ std::process::id() as u64;
    let mut rng = seed;
    eprintln!("seed {seed:#x}");

    let mut server = TestServer::start_in(dir.clone(), &[], &[]);
    server.keep_dir = true;
    let init = pgbench(&server, &logs, &["-i", "-q", "-s", "1"]).output().expect("run pgbench -i");
    assert!(init.status.success(), "pgbench -i failed:\n{}", String::from_utf8_lossy(&init.stderr));
    let (_, mut history) = totals(&server).await;
    let mut total_processed = 0;

    for cycle in 1..=CYCLES {
        let prefix = format!("cycle{cycle}");
        let (clients, log_prefix) = (CLIENTS.to_string(), format!("--log-prefix={prefix}"));
        let run = pgbench(
            &server,
            &logs,
            &["-b", "tpcb-like", "-c", &clients, "-j", "2", "-T", "120", "-n", "-l", &log_prefix],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pgbench");
        tokio::time::sleep(Duration::from_millis(1000 + next(&mut rng) % 2000)).await;
        server.signal("KILL");
        server.wait_exit(Duration::from_secs(10)).expect("killed server did not exit");
        // pgbench's clients lose their connections and end; it still prints its report.
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(move || run.wait_with_output()).await.unwrap().unwrap();
        assert!(started.elapsed() < Duration::from_secs(30), "pgbench kept running after the kill");
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let n = processed(&report, &logs, &prefix);
        total_processed += n;
        drop(server);

        server = TestServer::start_in(dir.clone(), &[], &[]);
        server.keep_dir = true;
        // The log is appended to by every start: one recovery per kill so far.
        let recoveries = server.log().matches("redo done").count();
        assert_eq!(recoveries, cycle as usize, "cycle {cycle}: no recovery after kill -9");
        let ([accounts, branches, tellers, deltas], rows) = totals(&server).await;
        eprintln!("cycle {cycle}: pgbench processed {n}, history grew by {}, sum(delta) = {deltas}", rows - history);
        assert!(
            accounts == branches && branches == tellers && tellers == deltas,
            "cycle {cycle}: totals disagree: accounts {accounts}, branches {branches}, tellers {tellers}, \
             history {deltas}\npgbench:\n{report}"
        );
        assert!(
            rows - history >= n,
            "cycle {cycle}: pgbench processed {n} transactions but the history grew by {} rows\npgbench:\n{report}",
            rows - history
        );
        assert!(
            rows - history <= n + CLIENTS,
            "cycle {cycle}: the history grew by {} rows, more than the {n} processed plus {CLIENTS} in flight",
            rows - history
        );
        history = rows;
    }
    assert!(total_processed > 0, "pgbench completed no transaction in {CYCLES} cycles");
    server.keep_dir = false;
}
