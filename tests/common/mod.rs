//! A tusk server started from the built binary on port 0 with a temporary
//! data directory, for integration tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestServer {
    pub child: Option<Child>,
    pub dir: PathBuf,
    pub port: u16,
    pub metrics: String,
    pub socket_dir: PathBuf,
    log: PathBuf,
    /// Leave the directory in place when dropped (a later server reuses it).
    pub keep_dir: bool,
}

/// `len` pseudo-random bytes from `seed` (xorshift), every value 0..=255
/// equally likely: data that does not compress.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn temp_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("tusk-test-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl TestServer {
    /// Kill the server with SIGKILL and start it again on its data
    /// directory with `settings`; the new server has recovered.
    #[allow(dead_code)]
    pub fn crash_and_restart(mut self, settings: &[&str]) -> TestServer {
        let dir = self.dir.clone();
        self.keep_dir = true;
        self.signal("KILL");
        self.wait_exit(Duration::from_secs(10)).expect("killed server did not exit");
        drop(self);
        let server = TestServer::start_in(dir, settings, &[]);
        assert!(server.log().contains("redo done"), "no recovery after kill -9");
        server
    }

    pub fn start(settings: &[&str]) -> TestServer {
        Self::start_with_env(settings, &[])
    }

    pub fn start_with_env(settings: &[&str], env: &[(&str, &str)]) -> TestServer {
        Self::start_in(temp_dir("srv"), settings, env)
    }

    /// Start on the data directory `dir/data` (which may hold a cluster already).
    pub fn start_in(dir: PathBuf, settings: &[&str], env: &[(&str, &str)]) -> TestServer {
        let data = dir.join("data");
        let log = dir.join("server.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tusk"));
        cmd.arg("--data-dir").arg(&data).args(["--listen", "127.0.0.1", "--port", "0"]);
        cmd.arg("-c").arg(format!("unix_socket_directories={}", dir.display()));
        cmd.arg("-c").arg("metrics_listen=127.0.0.1:0");
        for s in settings {
            cmd.arg("-c").arg(s);
        }
        cmd.env_remove("TUSK_PASSWORD");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        cmd.stdout(Stdio::null()).stderr(log_file);
        let child = cmd.spawn().expect("start tusk");
        let mut server = TestServer {
            child: Some(child),
            dir: dir.clone(),
            port: 0,
            metrics: String::new(),
            socket_dir: dir,
            log,
            keep_dir: false,
        };
        server.wait_ready(&data);
        server
    }

    fn wait_ready(&mut self, data: &Path) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let pid = self.child.as_ref().unwrap().id().to_string();
        loop {
            if let Ok(text) = std::fs::read_to_string(data.join("tusk.pid"))
                .map(|t| if t.starts_with(&pid) { t } else { String::new() })
            {
                let lines: Vec<&str> = text.lines().collect();
                if lines.len() >= 7 && lines[6] == "ready" {
                    self.port = lines[2].parse().unwrap();
                    self.metrics = lines[5].to_string();
                    return;
                }
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("tusk exited early ({status}): {}", self.log());
            }
            assert!(Instant::now() < deadline, "tusk did not become ready: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn conn_str(&self) -> String {
        format!("host=127.0.0.1 port={} user=postgres dbname=postgres", self.port)
    }

    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.conn_str(), tokio_postgres::NoTls).await.expect("connect");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill").arg(format!("-{sig}")).arg(self.pid().to_string()).status().unwrap();
        assert!(status.success());
    }

    /// Wait for the process to exit; its exit status.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        let child = self.child.as_mut().unwrap();
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return Some(s);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            if c.try_wait().ok().flatten().is_none() {
                let _ = Command::new("kill").arg("-INT").arg(c.id().to_string()).status();
                let deadline = Instant::now() + Duration::from_secs(10);
                while c.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        let log = self.log();
        assert!(!log.contains("panicked"), "server log shows a panic:\n{log}");
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// The rows a simple query returns, each as its values joined by spaces
/// (NULL as `NULL`).
pub async fn rows(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    client
        .simple_query(sql)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).unwrap_or("NULL")).collect::<Vec<_>>().join(" "))
            }
            _ => None,
        })
        .collect()
}

/// An error's SQLSTATE (or its text, for an error from no server).
pub fn code(e: &tokio_postgres::Error) -> String {
    e.as_db_error().map(|d| d.code().code().to_string()).unwrap_or_else(|| e.to_string())
}

/// The expected output file `name` under `tests/copy_expected/`.
pub fn expected(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/copy_expected").join(name)).unwrap()
}

/// The bytes a `COPY … TO STDOUT` sends.
pub async fn copy_out(c: &tokio_postgres::Client, sql: &str) -> Vec<u8> {
    use futures_util::StreamExt;
    let stream = c.copy_out(sql).await.unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    futures_util::pin_mut!(stream);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}
