//! The `tusk` command: run the server, or check that one is up (`tusk ping`).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::sync::mpsc;
use tusk::config::{CommandLine, Config, Guc};
use tusk::server::{self, ShutdownMode};

/// Many sessions on few threads allocate and free small objects all the
/// time; mimalloc's per-thread free lists serve them without the system
/// allocator's consolidation passes.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A PostgreSQL-compatible database server.
#[derive(Parser, Debug)]
#[command(name = "tusk", version, about)]
struct Cli {
    /// Data directory (default: $TUSK_DATA_DIR, else ./tusk-data); created on first start.
    #[arg(short = 'D', long = "data-dir", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Addresses to listen on (listen_addresses), e.g. 127.0.0.1 or '*'.
    #[arg(long = "listen", value_name = "ADDR")]
    listen: Option<String>,
    /// TCP port (0 picks a free one).
    #[arg(short = 'p', long, value_name = "N")]
    port: Option<u16>,
    /// Configuration file (default: <data-dir>/tusk.conf).
    #[arg(long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Set a run-time setting, as in tusk.conf.
    #[arg(short = 'c', value_name = "NAME=VALUE")]
    settings: Vec<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Exit 0 if a server accepts connections (for container health checks).
    Ping {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port (default: $TUSK_PORT, else 5432).
        #[arg(short = 'p', long)]
        port: Option<u16>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Ping { host, port }) = &cli.command {
        let port = port.or_else(|| std::env::var("TUSK_PORT").ok()?.parse().ok()).unwrap_or(5432);
        return ping(host, port);
    }
    let mut settings = Vec::new();
    for s in &cli.settings {
        match s.split_once('=') {
            Some((n, v)) => settings.push((n.replace('-', "_"), v.to_string())),
            None => {
                eprintln!("tusk: -c {s} requires a value");
                return ExitCode::from(2);
            }
        }
    }
    let cmdline =
        CommandLine { data_dir: cli.data_dir, listen: cli.listen, port: cli.port, config_file: cli.config, settings };
    let config = match Config::load(&cmdline, std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("tusk: FATAL: {}{}", e.message(), e.hint().map(|h| format!("\nHINT: {h}")).unwrap_or_default());
            return ExitCode::from(1);
        }
    };
    init_logging(&config);
    let password = std::env::var("TUSK_PASSWORD").ok();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("tusk").build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tusk: could not start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        let (tx, rx) = mpsc::unbounded_channel();
        spawn_signal_handlers(tx)?;
        server::run(config, password, rx).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(sqlstate = %e.code(), hint = e.hint().unwrap_or(""), "{}", e.message());
            eprintln!("tusk: FATAL: {}{}", e.message(), e.hint().map(|h| format!("\nHINT: {h}")).unwrap_or_default());
            ExitCode::from(1)
        }
    }
}

fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("TUSK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if config.str(Guc::log_format) == "json" {
        builder.json().init();
    } else {
        builder.with_ansi(false).init();
    }
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "a task panicked");
    }));
}

/// SIGTERM → smart, SIGINT → fast, SIGQUIT → immediate shutdown.
fn spawn_signal_handlers(tx: mpsc::UnboundedSender<ShutdownMode>) -> tusk::error::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    for (kind, mode) in [
        (SignalKind::terminate(), ShutdownMode::Smart),
        (SignalKind::interrupt(), ShutdownMode::Fast),
        (SignalKind::quit(), ShutdownMode::Immediate),
    ] {
        let mut s = signal(kind)?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while s.recv().await.is_some() {
                if tx.send(mode).is_err() {
                    return;
                }
            }
        });
    }
    Ok(())
}

/// Send a startup packet and see whether the server answers as a server
/// that accepts connections would (an authentication request, or an error
/// other than "the database system is starting up / shutting down").
fn ping(host: &str, port: u16) -> ExitCode {
    let run = || -> std::io::Result<bool> {
        let addr = format!("{host}:{port}");
        let timeout = std::time::Duration::from_secs(3);
        let sockaddr = std::net::ToSocketAddrs::to_socket_addrs(&addr)?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let mut s = std::net::TcpStream::connect_timeout(&sockaddr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        let mut body = Vec::new();
        body.extend_from_slice(&196608i32.to_be_bytes());
        body.extend_from_slice(b"user\0postgres\0database\0postgres\0\0");
        let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        packet.extend_from_slice(&body);
        s.write_all(&packet)?;
        let mut reply = vec![0u8; 512];
        let n = s.read(&mut reply)?;
        let reply = &reply[..n];
        Ok(match reply.first() {
            Some(b'R') => true,
            Some(b'E') => !reply.windows(6).any(|w| w == b"C57P03"),
            _ => false,
        })
    };
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}
