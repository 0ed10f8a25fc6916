//! The postmaster: opens the data directory, listens on TCP and Unix
//! sockets, admits clients and spawns one session task per connection,
//! serves metrics, and owns shutdown.
//!
//! Shutdown follows PostgreSQL's modes ([`ShutdownMode`]):
//! - *smart* (SIGTERM): stop accepting; wait for every session to end;
//! - *fast* (SIGINT): stop accepting; end every session (their running
//!   statements stop at the next interrupt check with 57P01); exit;
//! - *immediate* (SIGQUIT): exit at once.
//!
//! A later, stronger request overrides an earlier one (smart → fast).
//! Every task is tracked by a `TaskTracker`, so `run` returns only when
//! nothing is left running.

pub mod autovacuum;
mod backends;
mod datadir;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, Guc};
use crate::err;
use crate::error::{Result, SqlState};
use crate::metrics::Metrics;
use crate::protocol::{self, Peer, ServerContext};
use crate::session::Shared;
use crate::session::registry::Registry;
use crate::storage::engine::{Engine, StorageConfig};
use crate::txn::TransactionManager;
pub use datadir::{DataDir, write_atomic};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShutdownMode {
    Smart,
    Fast,
    Immediate,
}

/// Run the server until a shutdown request completes. `password` is the
/// superuser's initial password (from `TUSK_PASSWORD`).
pub async fn run(
    config: Config,
    password: Option<String>,
    mut shutdown: mpsc::UnboundedReceiver<ShutdownMode>,
) -> Result<()> {
    let datadir = DataDir::open(&config.data_dir)?;
    datadir.lock()?;
    let result = serve(&config, &datadir, password, &mut shutdown).await;
    datadir.unlock();
    result
}

async fn serve(
    config: &Config,
    datadir: &DataDir,
    password: Option<String>,
    shutdown: &mut mpsc::UnboundedReceiver<ShutdownMode>,
) -> Result<()> {
    let verifier = datadir.superuser_verifier(password.as_deref())?;
    if !config.bool(Guc::fsync) {
        tracing::warn!("fsync is off: a crash of the machine can lose or corrupt data; use this only for benchmarks");
    }
    let engine = Arc::new(Engine::open(storage_config(config))?);
    let clog = crate::txn::clog::Clog::open(&config.data_dir.join("xact"))?;
    let multixacts = crate::txn::multixact::MultiXacts::open(&config.data_dir.join("multixact"))?;
    let txns = Arc::new(TransactionManager::new(clog, multixacts, engine.wal.clone(), engine.next_xid()));
    engine.startup(vec![txns.clone() as Arc<dyn crate::storage::engine::ResourceManager>])?;
    let background = TaskTracker::new();
    let stop_background = CancellationToken::new();
    engine.spawn_background(&background, stop_background.clone());
    let metrics = Arc::new(Metrics::new());
    let template1 = Arc::new(crate::catalog::Catalog::open(engine.clone(), txns.clone())?);
    let databases = crate::session::databases::Databases::open(
        template1,
        engine.clone(),
        txns.clone(),
        config.clone(),
        metrics.clone(),
    )?;
    let shared: Arc<Shared> = databases.shared(crate::catalog::POSTGRES_DB);
    let (metrics_engine, metrics_txns, metrics_catalog) = (engine.clone(), txns.clone(), shared.catalog.clone());
    metrics.add_source(move |out| {
        metrics_engine.render_metrics(out);
        metrics_txns.locks.stats.render(out);
        metrics_catalog.stats.render(out);
    });
    background.spawn(autovacuum::run(shared.clone(), stop_background.clone()));
    let ctx = Arc::new(ServerContext {
        shared: shared.clone(),
        registry: Arc::new(Registry::default()),
        permits: Arc::new(Semaphore::new(config.max_connections())),
        shutting_down: AtomicBool::new(false),
        terminate: CancellationToken::new(),
        superuser_verifier: verifier,
    });

    let (tcp, port) = bind_tcp(config).await?;
    let mut unix = Vec::new();
    for dir in config.unix_socket_directories() {
        let path = dir.join(format!(".s.PGSQL.{port}"));
        if path.exists() {
            // A live server on this port would have made the TCP bind fail; the file is stale.
            let _ = std::fs::remove_file(&path);
        }
        let listener = UnixListener::bind(&path)
            .map_err(|e| err!(SqlState::IO_ERROR, "could not create Unix-domain socket \"{}\": {e}", path.display()))?;
        tracing::info!(path = %path.display(), "listening on Unix socket");
        unix.push((listener, path));
    }

    let stop_accepting = CancellationToken::new();
    let listeners = TaskTracker::new();
    let sessions = TaskTracker::new();
    let metrics_addr = match config.metrics_listen() {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| err!(SqlState::IO_ERROR, "could not bind metrics endpoint to {addr}: {e}"))?;
            let local = listener.local_addr()?;
            tracing::info!(address = %local, "metrics endpoint listening");
            listeners.spawn(crate::metrics::serve(
                listener,
                shared.metrics.clone(),
                stop_accepting.clone(),
                listeners.clone(),
            ));
            local.to_string()
        }
        None => String::new(),
    };

    let backends = backends::Backends::start(config.backend_threads())?;
    let socket_paths: Vec<PathBuf> = unix.iter().map(|(_, p)| p.clone()).collect();
    let mut sockets: Vec<StdListener> = Vec::new();
    for l in tcp {
        sockets.push(StdListener::Tcp(l.into_std()?));
    }
    for (l, _) in unix {
        sockets.push(StdListener::Unix(l.into_std()?));
    }
    for socket in sockets {
        let (ctx, stop, sessions, placement) =
            (ctx.clone(), stop_accepting.clone(), sessions.clone(), backends.placement());
        let (tracker, socket) = (listeners.clone(), Arc::new(socket));
        // Backend threads accept on their own handles of the socket.
        backends.placement().on_first(config.accept_threads(), move || {
            let (ctx, stop, sessions, placement) = (ctx.clone(), stop.clone(), sessions.clone(), placement.clone());
            let socket = socket.try_clone();
            tracker.track_future(async move {
                let listener = match socket.and_then(StdListener::register) {
                    Ok(l) => l,
                    Err(e) => return tracing::error!(error = %e, "could not accept on listening socket"),
                };
                accept_loop(
                    stop,
                    || listener.accept(),
                    |conn| {
                        let (ctx, tracked) = (ctx.clone(), sessions.token());
                        if placement.keeps_here() {
                            placement.spawn_here(async move {
                                conn.serve(ctx).await;
                                drop(tracked);
                            });
                            return;
                        }
                        // Moved to a less busy backend thread as a plain socket.
                        match conn.into_std() {
                            Ok(conn) => placement.spawn(move || async move {
                                match conn.register() {
                                    Ok(conn) => conn.serve(ctx).await,
                                    Err(e) => tracing::warn!(error = %e, "could not take over new connection"),
                                }
                                drop(tracked);
                            }),
                            Err(e) => tracing::warn!(error = %e, "could not hand over new connection"),
                        }
                    },
                )
                .await
            })
        });
    }

    let socket_dir = config.unix_socket_directories().first().map(|d| d.display().to_string()).unwrap_or_default();
    let listen = config.listen_addresses().join(",");
    datadir.write_lock(&[&port.to_string(), &socket_dir, &listen, &metrics_addr, "ready"])?;
    shared.metrics.set_ready(true);
    tracing::info!(port, "database system is ready to accept connections");

    // Wait for a shutdown request, then carry it out; a stronger one may follow.
    let mut mode = shutdown.recv().await.unwrap_or(ShutdownMode::Fast);
    shared.metrics.set_ready(false);
    ctx.shutting_down.store(true, Ordering::SeqCst);
    stop_accepting.cancel();
    listeners.close();
    sessions.close();
    loop {
        match mode {
            ShutdownMode::Smart => tracing::info!("received smart shutdown request"),
            ShutdownMode::Fast => {
                tracing::info!("received fast shutdown request");
                ctx.registry.terminate_all();
                ctx.terminate.cancel();
            }
            ShutdownMode::Immediate => {
                tracing::info!("received immediate shutdown request");
                for p in &socket_paths {
                    let _ = std::fs::remove_file(p);
                }
                datadir.unlock();
                std::process::exit(0);
            }
        }
        tokio::select! {
            _ = sessions.wait() => break,
            next = shutdown.recv() => match next {
                Some(m) if m > mode => mode = m,
                _ => {}
            },
        }
    }
    listeners.wait().await;
    // Every session has ended: the backend threads stop.
    drop(backends);
    for p in &socket_paths {
        let _ = std::fs::remove_file(p);
    }
    stop_background.cancel();
    background.close();
    background.wait().await;
    tracing::info!("shutting down");
    tokio::task::spawn_blocking(move || engine.shutdown())
        .await
        .map_err(|e| crate::error::Error::internal(format!("shutdown checkpoint task failed: {e}")))??;
    tracing::info!("database system is shut down");
    Ok(())
}

/// The storage engine's settings, from the server configuration.
fn storage_config(config: &Config) -> StorageConfig {
    StorageConfig {
        data_dir: config.data_dir.clone(),
        buffers: config.int(Guc::shared_buffers) as usize,
        fsync: config.bool(Guc::fsync),
        wal_segment_size: config.int(Guc::wal_segment_size) as u64,
        max_open_files: 1000,
        checkpoint_timeout: Duration::from_secs(config.int(Guc::checkpoint_timeout) as u64),
        max_wal_size: config.int(Guc::max_wal_size) as u64 * 1024 * 1024,
        wal_writer_delay: Duration::from_millis(config.int(Guc::wal_writer_delay) as u64),
        bgwriter_delay: Duration::from_millis(config.int(Guc::bgwriter_delay) as u64),
        bgwriter_lru_maxpages: config.int(Guc::bgwriter_lru_maxpages) as usize,
    }
}

/// Bind every `listen_addresses` entry on `port` (0 picks a free port, the
/// same for all). Returns the listeners and the port.
async fn bind_tcp(config: &Config) -> Result<(Vec<TcpListener>, u16)> {
    let mut port = config.port();
    let mut out = Vec::new();
    for entry in config.listen_addresses() {
        let hosts: Vec<&str> = match entry.as_str() {
            "*" => vec!["0.0.0.0", "::"],
            "localhost" => vec!["127.0.0.1"],
            h => vec![h],
        };
        for host in hosts {
            let addr = format!("{}:{port}", if host.contains(':') { format!("[{host}]") } else { host.to_string() });
            let addr: SocketAddr = addr
                .parse()
                .map_err(|_| err!(SqlState::INVALID_PARAMETER_VALUE, "invalid listen address \"{host}\""))?;
            let listener = TcpListener::bind(addr).await.map_err(|e| {
                err!(SqlState::IO_ERROR, "could not bind to {addr}: {e}")
                    .with_hint("Is another server already running on that port?")
            })?;
            port = listener.local_addr()?.port();
            tracing::info!(address = %listener.local_addr()?, "listening");
            out.push(listener);
        }
    }
    if out.is_empty() && config.unix_socket_directories().is_empty() {
        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "no socket created for listening"));
    }
    Ok((out, port))
}

/// Accept connections until `stop`; errors (such as running out of file
/// descriptors) back off and retry, never ending the loop.
async fn accept_loop<S, Fut, A, H>(stop: CancellationToken, mut accept: A, mut handle: H)
where
    A: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<S>>,
    H: FnMut(S),
{
    let mut backoff = Duration::from_millis(5);
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            a = accept() => a,
        };
        match accepted {
            Ok(s) => {
                backoff = Duration::from_millis(5);
                handle(s);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not accept new connection");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// A listening socket as a plain handle, to be registered with the runtime
/// of each backend thread that accepts on it.
enum StdListener {
    Tcp(std::net::TcpListener),
    Unix(std::os::unix::net::UnixListener),
}

/// A listening socket registered with this thread's runtime.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// A new connection, registered with this thread's runtime.
enum Accepted {
    Tcp(tokio::net::TcpStream, SocketAddr),
    Unix(tokio::net::UnixStream),
}

/// A new connection as a plain socket, on its way to another thread.
enum StdAccepted {
    Tcp(std::net::TcpStream, SocketAddr),
    Unix(std::os::unix::net::UnixStream),
}

impl StdListener {
    fn try_clone(&self) -> std::io::Result<StdListener> {
        Ok(match self {
            StdListener::Tcp(l) => StdListener::Tcp(l.try_clone()?),
            StdListener::Unix(l) => StdListener::Unix(l.try_clone()?),
        })
    }

    fn register(self) -> std::io::Result<Listener> {
        Ok(match self {
            StdListener::Tcp(l) => Listener::Tcp(TcpListener::from_std(l)?),
            StdListener::Unix(l) => Listener::Unix(UnixListener::from_std(l)?),
        })
    }
}

impl Listener {
    async fn accept(&self) -> std::io::Result<Accepted> {
        match self {
            Listener::Tcp(l) => {
                let (s, addr) = l.accept().await?;
                let _ = s.set_nodelay(true);
                Ok(Accepted::Tcp(s, addr))
            }
            Listener::Unix(l) => Ok(Accepted::Unix(l.accept().await?.0)),
        }
    }
}

impl Accepted {
    /// The connection's life. Its state (handshake, session, message loop)
    /// is large and lives in one heap block made when the task first runs,
    /// so moving the task to its thread and into the runtime copies only
    /// this small future.
    async fn serve(self, ctx: Arc<ServerContext>) {
        match self {
            Accepted::Tcp(s, addr) => Box::pin(protocol::serve_connection(s, Peer::Tcp(addr), ctx)).await,
            Accepted::Unix(s) => Box::pin(protocol::serve_connection(s, Peer::Unix, ctx)).await,
        }
    }

    fn into_std(self) -> std::io::Result<StdAccepted> {
        Ok(match self {
            Accepted::Tcp(s, addr) => StdAccepted::Tcp(s.into_std()?, addr),
            Accepted::Unix(s) => StdAccepted::Unix(s.into_std()?),
        })
    }
}

impl StdAccepted {
    fn register(self) -> std::io::Result<Accepted> {
        Ok(match self {
            StdAccepted::Tcp(s, addr) => Accepted::Tcp(tokio::net::TcpStream::from_std(s)?, addr),
            StdAccepted::Unix(s) => Accepted::Unix(tokio::net::UnixStream::from_std(s)?),
        })
    }
}
