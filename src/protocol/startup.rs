//! The startup phase of a connection: everything before the first
//! ReadyForQuery.
//!
//! ```text
//! client                           tusk
//!   SSLRequest / GSSENCRequest  →  'N' (no encryption yet), read again
//!   CancelRequest               →  cancel the named session's statement, close
//!   StartupMessage              →  [NegotiateProtocolVersion]
//!                                  admission under max_connections (53300)
//!                                  trust, or SCRAM-SHA-256 exchange
//!                                  role and database checks
//!                                  AuthenticationOk, ParameterStatus…, BackendKeyData
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use pgwire::messages::PgWireBackendMessage as B;
use pgwire::messages::startup::{Authentication, BackendKeyData, NegotiateProtocolVersion, ParameterStatus, SecretKey};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::OwnedSemaphorePermit;

use super::scram::{MECHANISM, ScramError, ServerExchange, Verifier};
use super::wire::Wire;
use super::{Peer, ServerContext};
use crate::catalog::roles::Role;
use crate::err;
use crate::error::{Result, SqlState};
use crate::session::Session;
use crate::session::activity::Activity;
use crate::session::registry::Registration;

const SSL_REQUEST: i32 = 80877103;
const GSSENC_REQUEST: i32 = 80877104;
const CANCEL_REQUEST: i32 = 80877102;

pub struct Admitted {
    pub session: Session,
    pub _permit: OwnedSemaphorePermit,
    pub registration: Registration,
}

/// Run the startup phase. `Ok(None)` when the connection ends normally
/// before a session starts (a cancel request, or the client went away).
pub async fn handshake<S>(wire: &mut Wire<S>, peer: &Peer, ctx: &ServerContext) -> Result<Option<Admitted>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let backend_start = crate::sql::datetime::now();
    let (version, params) = loop {
        let Some(mut packet) = wire.read_startup_packet().await? else {
            return Ok(None);
        };
        let code = packet.get_i32();
        match code {
            SSL_REQUEST | GSSENC_REQUEST => {
                wire.out.put_u8(b'N');
                wire.flush().await?;
            }
            CANCEL_REQUEST => {
                if packet.len() >= 8 {
                    let (pid, key) = (packet.get_i32(), packet.get_i32());
                    if !ctx.registry.cancel(pid, key) {
                        tracing::debug!(pid, "cancel request did not match any session");
                    }
                }
                return Ok(None);
            }
            v if v >> 16 == 3 => break (v, parse_parameters(packet)?),
            v => {
                return Err(err!(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "unsupported frontend protocol {}.{}: server supports 3.0 to 3.0",
                    v >> 16,
                    v & 0xffff
                )
                .fatal());
            }
        }
    };
    let metrics = &ctx.shared.metrics;
    let unsupported: Vec<String> = params.keys().filter(|k| k.starts_with("_pq_.")).cloned().collect();
    if version & 0xffff > 0 || !unsupported.is_empty() {
        wire.send(B::NegotiateProtocolVersion(NegotiateProtocolVersion::new(3 << 16, unsupported)))?;
    }
    let user = params.get("user").filter(|u| !u.is_empty()).cloned().ok_or_else(|| {
        err!(SqlState::INVALID_AUTHORIZATION_SPECIFICATION, "no PostgreSQL user name specified in startup packet")
            .fatal()
    })?;
    let database = params.get("database").filter(|d| !d.is_empty()).cloned().unwrap_or_else(|| user.clone());
    if params.get("replication").is_some_and(|r| r != "false" && r != "0" && r != "off") {
        return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "replication connections are not supported yet").fatal());
    }
    if ctx.shutting_down.load(Ordering::SeqCst) {
        metrics.connections_rejected.with_label_values(&["shutdown"]).inc();
        return Err(err!(SqlState::CANNOT_CONNECT_NOW, "the database system is shutting down").fatal());
    }
    let Ok(permit) = ctx.permits.clone().try_acquire_owned() else {
        metrics.connections_rejected.with_label_values(&["too_many"]).inc();
        return Err(err!(SqlState::TOO_MANY_CONNECTIONS, "sorry, too many clients already").fatal());
    };
    metrics.sessions_starting.inc();
    let authed = authenticate(wire, peer, ctx, &user).await;
    metrics.sessions_starting.dec();
    let role = match authed {
        Ok(Some(role)) => role,
        Ok(None) => return Ok(None),
        Err(e) => {
            metrics.connections_rejected.with_label_values(&["auth"]).inc();
            return Err(e);
        }
    };
    if !role.canlogin {
        return Err(
            err!(SqlState::INVALID_AUTHORIZATION_SPECIFICATION, "role \"{user}\" is not permitted to log in").fatal()
        );
    }
    if role.connlimit >= 0 && !role.superuser && ctx.registry.sessions_of(role.oid) >= role.connlimit as usize {
        metrics.connections_rejected.with_label_values(&["too_many"]).inc();
        return Err(err!(SqlState::TOO_MANY_CONNECTIONS, "too many connections for role \"{user}\"").fatal());
    }

    let registration = ctx.registry.register_for(role.oid);
    let databases = ctx.shared.databases.clone();
    let (name, pid, interrupts) = (database.clone(), registration.pid, registration.interrupts.clone());
    let connection = databases.connect(&name, pid, interrupts).await.map_err(|e| e.fatal())?;
    let datid = crate::session::databases::Databases::database_of(&connection);
    let shared = ctx.shared.databases.shared(datid);
    let mut session = Session::new(shared, registration.pid, registration.secret_key, registration.interrupts.clone());
    session.set_connection(connection);
    session.user = user.clone();
    session.login_user = user;
    session.database = database;
    if !role.superuser {
        session.check_connect(role.oid).map_err(|e| e.fatal())?;
    }
    session.backend_id = registration.backend_id;
    session.settings.set_internal(crate::config::Guc::session_authorization, &session.user)?;
    session.settings.set_internal(crate::config::Guc::is_superuser, if role.superuser { "on" } else { "off" })?;
    session.apply_stored_settings(role.oid, role.superuser).map_err(|e| e.fatal())?;
    for (name, value) in &params {
        match name.as_str() {
            "user" | "database" | "replication" => {}
            n if n.starts_with("_pq_.") => {}
            "options" => {
                for (n, v) in parse_options(value)? {
                    session.settings.set_startup(&n, &v).map_err(|e| e.fatal())?;
                }
            }
            n => session.settings.set_startup(n, value).map_err(|e| e.fatal())?,
        }
    }
    let client = match peer {
        Peer::Tcp(addr) => Some(*addr),
        Peer::Unix => None,
    };
    let application_name = session.settings.str(crate::config::Guc::application_name).to_string();
    let activity = Activity::new(registration.pid, datid, role.oid, client, backend_start, &application_name);
    session.publish_activity(ctx.registry.clone(), std::sync::Arc::new(activity));
    metrics.connections_accepted.inc();
    if session.settings.bool(crate::config::Guc::log_connections) {
        tracing::info!(
            user = %session.user, database = %session.database,
            application_name = session.settings.str(crate::config::Guc::application_name),
            "connection authorized"
        );
    }
    wire.send(B::Authentication(Authentication::Ok))?;
    for (name, value) in session.settings.take_changed_reports() {
        wire.send(B::ParameterStatus(ParameterStatus::new(name.to_string(), value)))?;
    }
    wire.send(B::BackendKeyData(BackendKeyData::new(registration.pid, SecretKey::I32(registration.secret_key))))?;
    Ok(Some(Admitted { session, _permit: permit, registration }))
}

/// The startup packet's name/value pairs (NUL-terminated strings, then a final NUL).
fn parse_parameters(mut body: BytesMut) -> Result<BTreeMap<String, String>> {
    let layout = || {
        err!(SqlState::PROTOCOL_VIOLATION, "invalid startup packet layout: expected terminator as last byte").fatal()
    };
    let mut params = BTreeMap::new();
    loop {
        let name = read_cstr(&mut body).ok_or_else(layout)?;
        if name.is_empty() {
            break;
        }
        let value = read_cstr(&mut body).ok_or_else(layout)?;
        params.insert(name, value);
    }
    if !body.is_empty() {
        return Err(layout());
    }
    Ok(params)
}

fn read_cstr(buf: &mut BytesMut) -> Option<String> {
    let end = buf.iter().position(|&b| b == 0)?;
    let s = buf.split_to(end);
    buf.advance(1);
    String::from_utf8(s.to_vec()).ok()
}

/// The startup `options` string: `-c name=value`, `-cname=value` or `--name=value`,
/// separated by spaces (a backslash escapes the next character).
fn parse_options(options: &str) -> Result<Vec<(String, String)>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.extend(chars.next()),
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let invalid = |w: &str| {
        err!(SqlState::SYNTAX_ERROR, "invalid command-line argument for server process: {w}")
            .fatal()
            .with_hint("Try \"tusk --help\" for more information.")
    };
    let mut out = Vec::new();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let setting = if w == "-c" {
            it.next().ok_or_else(|| invalid(w))?.as_str()
        } else if let Some(s) = w.strip_prefix("-c").or_else(|| w.strip_prefix("--")) {
            s
        } else {
            return Err(invalid(w));
        };
        let (name, value) = setting.split_once('=').ok_or_else(|| invalid(w))?;
        out.push((name.replace('-', "_"), value.to_string()));
    }
    Ok(out)
}

fn no_role(user: &str) -> crate::error::Error {
    err!(SqlState::INVALID_AUTHORIZATION_SPECIFICATION, "role \"{user}\" does not exist").fatal()
}

fn auth_failed(user: &str) -> crate::error::Error {
    err!(SqlState::INVALID_PASSWORD, "password authentication failed for user \"{user}\"").fatal()
}

/// The verifier role `role` logs in with: its `rolpassword` if that is a
/// SCRAM-SHA-256 verifier and has not expired (`VALID UNTIL`); for the
/// bootstrap superuser with no `rolpassword`, the one kept in the data
/// directory (`TUSK_PASSWORD` at first start).
fn login_verifier(role: &Role, ctx: &ServerContext) -> Option<Verifier> {
    if role.valid_until.is_some_and(|t| t < crate::sql::datetime::now()) {
        return None;
    }
    match role.password.as_deref() {
        Some(p) => Verifier::decode(p),
        None if role.oid == crate::catalog::system::SUPERUSER => ctx.superuser_verifier.clone(),
        None => None,
    }
}

/// Trust for local clients; SCRAM-SHA-256 for the rest. The role that
/// authenticated, or `Ok(None)` if the client left.
async fn authenticate<S>(wire: &mut Wire<S>, peer: &Peer, ctx: &ServerContext, user: &str) -> Result<Option<Role>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let role = ctx.shared.catalog.committed_role(user)?;
    if peer.is_local() && ctx.shared.config.bool(crate::config::Guc::trust_local_connections) {
        return role.map(Some).ok_or_else(|| no_role(user));
    }
    let stored = role.as_ref().and_then(|r| login_verifier(r, ctx));
    if stored.is_none() && role.as_ref().is_some_and(|r| r.oid == crate::catalog::system::SUPERUSER) {
        return Err(auth_failed(user).with_hint(
            "No password is set, so only trusted local connections are accepted. Start the server once with TUSK_PASSWORD set to give the superuser a password.",
        ));
    }
    // An unknown role, or one with no usable password, still goes through
    // the exchange (against a throw-away verifier) so that a client cannot
    // tell which roles exist.
    let verifier = stored.clone().unwrap_or_else(|| Verifier::new(&rand::random::<u64>().to_string()));
    wire.send(B::Authentication(Authentication::SASL(vec![MECHANISM.to_string()])))?;
    wire.flush().await?;
    let Some(mut first) = wire.read_password_message().await? else {
        return Ok(None);
    };
    let mechanism = read_cstr(&mut first).unwrap_or_default();
    if mechanism != MECHANISM || first.len() < 4 {
        return Err(
            err!(SqlState::PROTOCOL_VIOLATION, "client selected an invalid SASL authentication mechanism").fatal()
        );
    }
    let len = first.get_i32();
    let data: Bytes = if len < 0 { Bytes::new() } else { first.split_to((len as usize).min(first.len())).freeze() };
    let client_first = String::from_utf8_lossy(&data).to_string();
    let malformed = |why: &str| err!(SqlState::PROTOCOL_VIOLATION, "malformed SCRAM message ({why})").fatal();
    let (exchange, server_first) = ServerExchange::start(verifier, &client_first).map_err(|e| match e {
        ScramError::Malformed(why) => malformed(why),
        ScramError::WrongPassword => auth_failed(user),
    })?;
    wire.send(B::Authentication(Authentication::SASLContinue(Bytes::from(server_first))))?;
    wire.flush().await?;
    let Some(fin) = wire.read_password_message().await? else {
        return Ok(None);
    };
    let client_final = String::from_utf8_lossy(&fin).to_string();
    match (exchange.finish(&client_final), role) {
        (Ok(server_final), Some(role)) if stored.is_some() => {
            wire.send(B::Authentication(Authentication::SASLFinal(Bytes::from(server_final))))?;
            Ok(Some(role))
        }
        (Ok(_) | Err(ScramError::WrongPassword), _) => Err(auth_failed(user)),
        (Err(ScramError::Malformed(why)), _) => Err(malformed(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_parsed_like_postgres() {
        let o = parse_options("-c work_mem=8MB -cstatement_timeout=5s --search-path=a\\ b").unwrap();
        assert_eq!(
            o,
            vec![
                ("work_mem".into(), "8MB".into()),
                ("statement_timeout".into(), "5s".into()),
                ("search_path".into(), "a b".into())
            ]
        );
        assert!(parse_options("-x").is_err());
    }

    #[test]
    fn startup_parameters_need_a_terminator() {
        let mut b = BytesMut::new();
        b.put_slice(b"user\0postgres\0\0");
        assert_eq!(parse_parameters(b).unwrap().get("user").map(String::as_str), Some("postgres"));
        let mut b = BytesMut::new();
        b.put_slice(b"user\0postgres");
        assert!(parse_parameters(b).is_err());
    }
}
