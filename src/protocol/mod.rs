//! The PostgreSQL frontend/backend protocol 3.0: the only module that
//! speaks `pgwire`.
//!
//! [`serve_connection`] takes an accepted stream through the startup phase
//! (SSL/GSS refusal, cancel requests, the startup packet, admission under
//! `max_connections`, authentication, ParameterStatus, BackendKeyData) and
//! then runs the session's message loop: simple queries, and the extended
//! protocol's Parse/Bind/Describe/Execute/Close/Sync/Flush with
//! skip-until-Sync after an error. Rows are encoded straight into the
//! output buffer and flushed whenever it fills, so a result of any size is
//! sent with bounded memory. COPY's sub-protocol (CopyIn/CopyOut) is in
//! `copy.rs`.

mod copy;
pub mod scram;
mod startup;
mod wire;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use pgwire::messages::PgWireBackendMessage as B;
use pgwire::messages::PgWireFrontendMessage as F;
use pgwire::messages::response::{CommandComplete, EmptyQueryResponse, ReadyForQuery, TransactionStatus};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::config::Guc;
use crate::error::{Error, Result, Severity};
use crate::session::registry::Registry;
use crate::session::{CopyWithClient, Outcome, Session, Shared};
use crate::txn::wait;
pub use scram::Verifier;
use wire::{DataRowSink, Wire};

/// What the postmaster shares with every connection.
pub struct ServerContext {
    pub shared: Arc<Shared>,
    pub registry: Arc<Registry>,
    /// One permit per admitted session (`max_connections`).
    pub permits: Arc<Semaphore>,
    /// Smart or fast shutdown has begun: no new sessions.
    pub shutting_down: AtomicBool,
    /// Fast shutdown: idle sessions end now.
    pub terminate: CancellationToken,
    /// The superuser's password verifier, if a password was set.
    pub superuser_verifier: Option<Verifier>,
}

/// How the client reached us, which decides authentication.
#[derive(Clone, Debug)]
pub enum Peer {
    Tcp(std::net::SocketAddr),
    Unix,
}

impl Peer {
    /// Loopback and Unix-socket clients are trusted by default.
    pub fn is_local(&self) -> bool {
        match self {
            Peer::Tcp(a) => a.ip().is_loopback(),
            Peer::Unix => true,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Peer::Tcp(a) => format!("host={} port={}", a.ip(), a.port()),
            Peer::Unix => "[local]".to_string(),
        }
    }
}

/// Serve one client connection from accept to close. Errors are reported to
/// the client where possible and logged; they never escape.
pub async fn serve_connection<S>(stream: S, peer: Peer, ctx: Arc<ServerContext>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let span = tracing::info_span!("connection", peer = %peer.describe(), pid = tracing::field::Empty);
    async move {
        let mut wire = Wire::new(stream);
        let started = Instant::now();
        if ctx.shared.config.bool(Guc::log_connections) {
            tracing::info!("connection received");
        }
        let admitted = match startup::handshake(&mut wire, &peer, &ctx).await {
            Ok(Some(admitted)) => admitted,
            Ok(None) => return,
            Err(e) => {
                report_fatal(&mut wire, &e).await;
                return;
            }
        };
        let startup::Admitted { mut session, _permit, registration } = admitted;
        tracing::Span::current().record("pid", registration.pid);
        let log_disconnect = session.settings.bool(Guc::log_disconnections);
        let metrics = &ctx.shared.metrics;
        metrics.sessions_idle.inc();
        // A panic inside the session ends this session only, with an error to its client.
        let result = match CatchUnwind(Box::pin(message_loop(&mut wire, &mut session, &ctx))).await {
            Ok(r) => r,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %what, "session panicked; ending it");
                Err(Error::internal("internal error: the session failed unexpectedly and was ended").fatal())
            }
        };
        metrics.sessions_idle.dec();
        metrics.session_arena_bytes.sub(session.arena_bytes() as i64);
        if let Err(e) = result {
            report_fatal(&mut wire, &e).await;
        }
        if log_disconnect {
            tracing::info!(
                user = %session.user, database = %session.database,
                session_time_ms = started.elapsed().as_secs_f64() * 1000.0,
                "disconnection"
            );
        }
        // The session's end (its temporary tables dropped) comes before its
        // backend id is free for another session's temporary schema.
        let interrupts = session.interrupts.clone();
        match wait::on_stack(&interrupts.alarm, async move { drop(session) }) {
            Ok(ended) => ended.await,
            Err(e) => tracing::error!(error = %e, "could not end the session on a stack of its own"),
        }
        drop(registration);
    }
    .instrument(span)
    .await
}

/// Polls a future, turning a panic into an `Err` with the panic payload.
struct CatchUnwind<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for CatchUnwind<F> {
    type Output = std::result::Result<F::Output, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    }
}

async fn report_fatal<S: AsyncRead + AsyncWrite + Unpin>(wire: &mut Wire<S>, e: &Error) {
    let e = if e.severity() == Severity::Fatal { e } else { &Error::new(e.code(), e.message()).fatal() };
    if e.code() != crate::error::SqlState::CONNECTION_FAILURE && e.code() != crate::error::SqlState::IO_ERROR {
        tracing::warn!(sqlstate = %e.code(), message = e.message(), "connection ended with error");
        if wire.send_error(e).is_ok() {
            let _ = wire.flush().await;
        }
    } else {
        tracing::debug!(sqlstate = %e.code(), message = e.message(), "connection lost");
    }
}

/// Make a logged commit durable before anything more is told to the client:
/// wait for the WAL flush (group commit through the WAL writer, or on this
/// thread when the session has it to itself) unless `synchronous_commit` is
/// off, then mark the transaction committed.
async fn complete_commit(session: &mut Session) -> Result<()> {
    if let Some((xid, lsn)) = session.take_pending_commit() {
        // Without waiting for its own commit, a transaction still waits
        // for the commits it depends on (see crate::txn) to be durable.
        let lsn_needed = match session.settings.str(Guc::synchronous_commit) {
            "off" => session.shared().txns.dependency_lsn(xid),
            _ => lsn,
        };
        if lsn_needed > 0 {
            let wal = &session.shared().engine.wal;
            if wal.flushed() < lsn_needed {
                commit_delay(session, xid).await;
            }
            if crate::txn::wait::alone_on_thread() {
                wal.flush_for_commit(lsn_needed)?;
            } else {
                wal.wait_flushed(lsn_needed).await?;
            }
        }
        session.finish_commit(xid, lsn)?;
    }
    Ok(())
}

/// `commit_delay`: before a commit's flush, wait that many microseconds
/// when at least `commit_siblings` other transactions are open, so that
/// the flush takes in their commits too.
async fn commit_delay(session: &Session, xid: u64) {
    let delay = session.settings.int(Guc::commit_delay);
    if delay == 0 || !session.settings.bool(Guc::fsync) {
        return;
    }
    let siblings = session.settings.int(Guc::commit_siblings) as usize;
    if session.shared().txns.open_besides(xid) < siblings {
        return;
    }
    let delay = std::time::Duration::from_micros(delay as u64);
    match crate::txn::wait::alone_on_thread() {
        // Nobody else's work is held up on this thread.
        true => std::thread::sleep(delay),
        false => tokio::time::sleep(delay).await,
    }
}

/// ReadyForQuery's transaction status.
fn ready(session: &Session) -> TransactionStatus {
    match session.transaction_status() {
        b'T' => TransactionStatus::Transaction,
        b'E' => TransactionStatus::Error,
        _ => TransactionStatus::Idle,
    }
}

async fn send_ready<S: AsyncRead + AsyncWrite + Unpin>(wire: &mut Wire<S>, session: &mut Session) -> Result<()> {
    for (name, value) in session.settings.take_changed_reports() {
        if name == "application_name" {
            session.report_application_name(&value);
        }
        wire.send(B::ParameterStatus(pgwire::messages::startup::ParameterStatus::new(name.to_string(), value)))?;
    }
    session.report_ready();
    wire.send(B::ReadyForQuery(ReadyForQuery::new(ready(session))))?;
    wire.flush().await
}

async fn message_loop<S>(wire: &mut Wire<S>, session: &mut Session, ctx: &ServerContext) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    send_ready(wire, session).await?;
    // After an error in the extended protocol, messages are skipped until Sync.
    let mut skip_until_sync = false;
    let metrics = &ctx.shared.metrics;
    let mut arena_reported = 0usize;
    // Cancelled when DROP DATABASE … WITH (FORCE) ends this session.
    let dropped = session.terminate_token().unwrap_or_default();
    // The server's shutdown, as a token of this session's own: waiting on
    // it takes no lock that other sessions share.
    let terminate = ctx.terminate.child_token();
    let terminated = || {
        crate::err!(crate::error::SqlState::ADMIN_SHUTDOWN, "terminating connection due to administrator command")
            .fatal()
    };
    loop {
        // Messages the client sent together (Bind, Execute, Sync) are
        // taken without setting up a wait.
        let buffered = wire.buffered_message()?;
        let msg = match buffered {
            Some(m) if terminate.is_cancelled() || dropped.is_cancelled() => {
                drop(m);
                return Err(terminated());
            }
            Some(m) => Some(m),
            None => {
                let (idle_limit, idle_error) = idle_timeout(session);
                tokio::select! {
                    biased;
                    _ = terminate.cancelled() => return Err(terminated()),
                    _ = dropped.cancelled() => return Err(terminated()),
                    _ = sleep_or_never(idle_limit) => return Err(idle_error()),
                    m = wire.read_message() => m?,
                }
            }
        };
        let Some(msg) = msg else { return Ok(()) };
        metrics.sessions_idle.dec();
        metrics.sessions_active.inc();
        // Handled on a stack of its own: a statement that waits (for a lock,
        // a transaction's end, pg_sleep) suspends it and frees the thread.
        let interrupts = session.interrupts.clone();
        let handle = async {
            let r = handle_message(wire, session, msg, &mut skip_until_sync).await;
            // An Execute of COMMIT: durable before the next message is handled.
            match r {
                Ok(more) => complete_commit(session).await.map(|()| more),
                Err(e) => Err(e),
            }
        };
        let r = match wait::on_stack(&interrupts.alarm, handle) {
            Ok(handled) => handled.await,
            Err(e) => Err(e),
        };
        metrics.sessions_active.dec();
        metrics.sessions_idle.inc();
        let arena = session.arena_bytes();
        metrics.session_arena_bytes.add(arena as i64 - arena_reported as i64);
        arena_reported = arena;
        match r {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// How long the session may wait for the client's next message, and the
/// error that ends it after that: `idle_in_transaction_session_timeout`
/// inside a transaction block, `idle_session_timeout` outside one (0: no
/// limit).
fn idle_timeout(session: &Session) -> (Option<std::time::Duration>, fn() -> Error) {
    use crate::config::Guc;
    use crate::error::SqlState;
    let (guc, error): (Guc, fn() -> Error) = if session.transaction_status() == b'I' {
        (Guc::idle_session_timeout, || {
            crate::err!(SqlState::IDLE_SESSION_TIMEOUT, "terminating connection due to idle-session timeout").fatal()
        })
    } else {
        (Guc::idle_in_transaction_session_timeout, || {
            crate::err!(
                SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
                "terminating connection due to idle-in-transaction timeout"
            )
            .fatal()
        })
    };
    let ms = session.settings.int(guc);
    ((ms > 0).then(|| std::time::Duration::from_millis(ms as u64)), error)
}

async fn sleep_or_never(limit: Option<std::time::Duration>) {
    match limit {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Handle one message; `Ok(false)` when the client said Terminate.
async fn handle_message<S>(wire: &mut Wire<S>, session: &mut Session, msg: F, skip: &mut bool) -> Result<bool>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    if *skip && !matches!(msg, F::Sync(_) | F::Terminate(_)) {
        return Ok(true);
    }
    let result = match msg {
        F::Query(q) => {
            simple_query(wire, session, &q.query).await?;
            return Ok(true);
        }
        F::Terminate(_) => return Ok(false),
        F::Sync(_) => {
            *skip = false;
            // A serializable implicit transaction may fail its commit check.
            if let Err(e) = session.pre_commit_implicit() {
                send_error(wire, session, e)?;
            }
            session.end_implicit_transaction();
            complete_commit(session).await?;
            send_ready(wire, session).await?;
            return Ok(true);
        }
        F::Flush(_) => wire.flush().await,
        F::Parse(p) => session
            .prepare(p.name.as_deref().unwrap_or(""), &p.query, &p.type_oids)
            .and_then(|_| wire.send(B::ParseComplete(pgwire::messages::extendedquery::ParseComplete::new()))),
        F::Bind(b) => {
            let params: Vec<Option<&[u8]>> = b.parameters.iter().map(|p| p.as_deref()).collect();
            session
                .bind(
                    b.portal_name.as_deref().unwrap_or(""),
                    b.statement_name.as_deref().unwrap_or(""),
                    &b.parameter_format_codes,
                    &params,
                    &b.result_column_format_codes,
                )
                .and_then(|_| wire.send(B::BindComplete(pgwire::messages::extendedquery::BindComplete::new())))
        }
        F::Describe(d) => describe(wire, session, d.target_type, d.name.as_deref().unwrap_or("")),
        F::Execute(e) => {
            let max_rows = if e.max_rows > 0 { e.max_rows as usize } else { 0 };
            let portal = e.name.as_deref().unwrap_or("");
            session.report_execute(portal);
            execute(wire, session, portal, max_rows).await
        }
        F::Close(c) => {
            let name = c.name.as_deref().unwrap_or("");
            match c.target_type {
                b'S' => session.close_statement(name),
                _ => session.close_portal(name),
            }
            wire.send(B::CloseComplete(pgwire::messages::extendedquery::CloseComplete::new()))
        }
        F::CopyData(_) | F::CopyDone(_) | F::CopyFail(_) => Ok(()), // ignored outside COPY, as PostgreSQL does
        other => Err(crate::err!(
            crate::error::SqlState::PROTOCOL_VIOLATION,
            "unexpected message {} during query processing",
            message_name(&other)
        )
        .fatal()),
    };
    if let Err(e) = result {
        if e.severity() == Severity::Fatal {
            return Err(e);
        }
        session.abort_statement(&e);
        send_error(wire, session, e)?;
        *skip = true;
    }
    Ok(true)
}

fn message_name(m: &F) -> &'static str {
    match m {
        F::PasswordMessageFamily(_) => "PasswordMessage",
        F::Startup(_) => "StartupMessage",
        F::CancelRequest(_) => "CancelRequest",
        F::SslNegotiation(_) => "SSLRequest",
        F::PortalSuspended(_) => "PortalSuspended",
        _ => "message",
    }
}

fn send_error<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    session: &mut Session,
    mut e: Error,
) -> Result<()> {
    for n in session.take_notices() {
        wire.send_notice(&n)?;
    }
    tracing::info!(sqlstate = %e.code(), message = e.message(), "statement failed");
    session.name_error_schema(&mut e);
    wire.send_error(&e)
}

fn describe<S: AsyncRead + AsyncWrite + Unpin>(
    wire: &mut Wire<S>,
    session: &mut Session,
    target: u8,
    name: &str,
) -> Result<()> {
    use pgwire::messages::data::{NoData, ParameterDescription};
    let (columns, binary, rows) = if target == b'S' {
        let stmt = session.statement(name)?;
        let types = stmt.param_types().iter().map(|t| t.oid()).collect();
        wire.send(B::ParameterDescription(ParameterDescription::new(types)))?;
        (stmt.columns().to_vec(), Vec::new(), stmt.returns_rows())
    } else {
        let portal = session.portal(name)?;
        (portal.statement.columns().to_vec(), portal.binary.clone(), portal.statement.returns_rows())
    };
    if rows { wire.send_row_description(&columns, &binary) } else { wire.send(B::NoData(NoData::new())) }
}

/// Run a portal to completion (or its row limit), flushing rows as the buffer fills.
async fn execute<S>(wire: &mut Wire<S>, session: &mut Session, portal: &str, max_rows: usize) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    match session.copy_with_client(portal) {
        Some(CopyWithClient::In) => return copy::copy_in(wire, session, portal).await,
        Some(CopyWithClient::Out) => return copy::copy_out(wire, session, portal).await,
        None => {}
    }
    let binary = session.portal(portal)?.binary.clone();
    let mut remaining = max_rows;
    loop {
        let efd = session.settings.int(Guc::extra_float_digits) as i32;
        let time_zone = session.time_zone();
        let bytea_output = crate::sql::types::ByteaOutput::from_setting(session.settings.str(Guc::bytea_output));
        let out = &mut wire.out;
        let mut rows = 0usize;
        let outcome = {
            let mut sink = DataRowSink {
                out: &mut *out,
                binary: &binary,
                extra_float_digits: efd,
                time_zone: time_zone.clone(),
                bytea_output,
                rows: &mut rows,
            };
            session.execute(portal, remaining, &mut sink)
        };
        for n in session.take_notices() {
            wire.send_notice(&n)?;
        }
        match outcome? {
            Outcome::SinkFull => {
                wire.flush().await?;
                // A long statement lets other sessions' tasks run between chunks.
                tokio::task::yield_now().await;
                if max_rows > 0 {
                    remaining -= rows.min(remaining);
                    if remaining == 0 {
                        return wire.send(B::PortalSuspended(pgwire::messages::extendedquery::PortalSuspended::new()));
                    }
                }
            }
            Outcome::Suspended => {
                return wire.send(B::PortalSuspended(pgwire::messages::extendedquery::PortalSuspended::new()));
            }
            Outcome::Complete(tag) => {
                return wire.send(B::CommandComplete(CommandComplete::new(tag)));
            }
            Outcome::Empty => return wire.send(B::EmptyQueryResponse(EmptyQueryResponse::new())),
        }
    }
}

async fn simple_query<S>(wire: &mut Wire<S>, session: &mut Session, sql: &str) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    session.report_query(sql);
    let mut statements = match session.parse_simple(sql) {
        Ok(s) => s,
        Err(e) => {
            session.abort_statement(&e);
            send_error(wire, session, e)?;
            session.end_implicit_transaction();
            return send_ready(wire, session).await;
        }
    };
    if statements.is_empty() {
        wire.send(B::EmptyQueryResponse(EmptyQueryResponse::new()))?;
        return send_ready(wire, session).await;
    }
    session.begin_simple_query(statements.len());
    let mut ok = true;
    for i in 0..statements.len() {
        let r = match session.bind_simple(sql, &mut statements, i) {
            Ok(()) => {
                if let Ok(p) = session.portal("") {
                    if p.statement.returns_rows() {
                        wire.send_row_description(p.statement.columns(), &[])?;
                    }
                }
                execute(wire, session, "", 0).await
            }
            Err(e) => Err(e),
        };
        let r = match r {
            Ok(()) => complete_commit(session).await,
            Err(e) => Err(e),
        };
        if let Err(e) = r {
            if e.severity() == Severity::Fatal {
                return Err(e);
            }
            session.abort_statement(&e);
            send_error(wire, session, e)?;
            ok = false;
            break;
        }
    }
    if ok {
        session.cache_simple(sql, &statements);
        // A serializable implicit transaction may fail its commit check.
        if let Err(e) = session.pre_commit_implicit() {
            send_error(wire, session, e)?;
        }
    }
    session.end_implicit_transaction();
    complete_commit(session).await?;
    send_ready(wire, session).await
}
