//! A session's activity record (PostgreSQL's `PgBackendStatus`): what
//! `pg_stat_activity` shows of it, and `pg_cancel_backend` /
//! `pg_terminate_backend`, which signal another session.
//!
//! ```text
//! startup        Activity::new, published in the Registry
//! Query          report_query     → active, the query text, query_start
//! Execute        report_execute   → active, the statement's text
//! ReadyForQuery  report_ready     → idle / idle in transaction [(aborted)]
//! SET application_name            → reported with ParameterStatus
//! ```
//!
//! The record is written on every statement, so a write takes one
//! uncontended lock and copies the text into a buffer that is kept (at
//! most `QUERY_SIZE` bytes, PostgreSQL's `track_activity_query_size`): no
//! allocation once the buffer has grown. Readers (`pg_stat_get_activity`)
//! take the same lock briefly, once per session listed.
//!
//! See also `registry.rs` (where the records are found) and
//! `protocol/mod.rs` (where the reports are made).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::registry::Registry;
use super::{Eval, Session};
use crate::err;
use crate::error::{Notice, Result, SqlState};
use crate::sql::types::Datum;

/// How much of a query's text is kept (PostgreSQL's default
/// `track_activity_query_size` of 1024 bytes, with its terminator).
const QUERY_SIZE: usize = 1023;

/// `pg_read_all_stats`: sees every session's activity.
const PG_READ_ALL_STATS: u32 = 3375;
/// `pg_signal_backend`: may cancel and terminate other roles' sessions.
const PG_SIGNAL_BACKEND: u32 = 4200;

/// A session's state as `pg_stat_activity.state` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Active,
    Idle,
    IdleInTransaction,
    IdleInTransactionAborted,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Idle => "idle",
            State::IdleInTransaction => "idle in transaction",
            State::IdleInTransactionAborted => "idle in transaction (aborted)",
        }
    }
}

/// One session's activity: fixed at login, and what changes per statement.
pub struct Activity {
    pub pid: i32,
    /// The database's OID.
    pub datid: u32,
    /// The OID of the role that logged in.
    pub usesysid: u32,
    /// The client's address; `None` for a Unix-domain socket.
    pub client: Option<SocketAddr>,
    pub backend_start: i64,
    current: Mutex<Current>,
}

/// What changes as the session runs statements (timestamps are
/// timestamptz values).
struct Current {
    state: State,
    query: String,
    application_name: String,
    query_start: Option<i64>,
    xact_start: Option<i64>,
    state_change: i64,
}

impl Activity {
    pub fn new(
        pid: i32,
        datid: u32,
        usesysid: u32,
        client: Option<SocketAddr>,
        backend_start: i64,
        application_name: &str,
    ) -> Activity {
        Activity {
            pid,
            datid,
            usesysid,
            client,
            backend_start,
            current: Mutex::new(Current {
                state: State::Idle,
                query: String::new(),
                application_name: application_name.to_string(),
                query_start: None,
                xact_start: None,
                state_change: backend_start,
            }),
        }
    }

    /// A statement starts: `query` is its text; `xact_start` the start of
    /// the transaction block it runs in, if one is open (else the
    /// statement starts its own transaction now).
    fn start_query(&self, query: &str, xact_start: Option<i64>) {
        let now = crate::sql::datetime::now();
        let mut end = query.len().min(QUERY_SIZE);
        while !query.is_char_boundary(end) {
            end -= 1;
        }
        let mut c = self.current.lock();
        c.query.clear();
        c.query.push_str(&query[..end]);
        c.state = State::Active;
        c.query_start = Some(now);
        c.xact_start = Some(xact_start.unwrap_or(now));
        c.state_change = now;
    }

    /// The session waits for the client's next command.
    fn ready(&self, state: State, xact_start: Option<i64>) {
        let now = crate::sql::datetime::now();
        let mut c = self.current.lock();
        c.state = state;
        c.xact_start = xact_start;
        c.state_change = now;
    }

    pub fn set_application_name(&self, name: &str) {
        let mut c = self.current.lock();
        c.application_name.clear();
        c.application_name.push_str(name);
    }

    /// The row of `pg_stat_get_activity` (its columns in
    /// [`crate::sql::plan::SetFunc::Activity`]); `visible`: the viewer may
    /// see the private columns.
    fn row(&self, visible: bool) -> Vec<Datum> {
        let c = self.current.lock();
        let text = |s: &str| Datum::Text(s.to_string());
        let ts = |t: Option<i64>| t.map_or(Datum::Null, Datum::TimestampTz);
        let mut row = vec![Datum::Null; 30];
        row[0] = Datum::Oid(self.datid);
        row[1] = Datum::Int4(self.pid);
        row[2] = Datum::Oid(self.usesysid);
        row[3] = text(&c.application_name);
        if !visible {
            row[5] = text("<insufficient privilege>");
            return row;
        }
        row[4] = text(c.state.name());
        row[5] = text(&c.query);
        if c.state != State::Active {
            (row[6], row[7]) = (text("Client"), text("ClientRead"));
        }
        row[8] = ts(c.xact_start);
        row[9] = ts(c.query_start);
        row[10] = Datum::TimestampTz(self.backend_start);
        row[11] = Datum::TimestampTz(c.state_change);
        if let Some(addr) = self.client {
            row[12] = text(&addr.ip().to_string());
            row[14] = Datum::Int4(addr.port() as i32);
        } else {
            row[14] = Datum::Int4(-1);
        }
        // backend_xid and backend_xmin (15, 16) stay NULL.
        row[17] = text("client backend");
        (row[18], row[25], row[27]) = (Datum::Bool(false), Datum::Bool(false), Datum::Bool(false));
        row
    }
}

impl Session {
    /// Publish this session's activity record (at login).
    pub fn publish_activity(&mut self, registry: Arc<Registry>, activity: Arc<Activity>) {
        let terminate = self.terminate_token().unwrap_or_default();
        registry.publish(activity.pid, activity.clone(), terminate);
        self.registry = Some(registry);
        self.activity = Some(activity);
    }

    /// A simple Query message's text starts running.
    pub fn report_query(&self, sql: &str) {
        if let Some(a) = &self.activity {
            a.start_query(sql, self.block_start());
        }
    }

    /// An Execute message: portal `portal`'s statement starts running.
    pub fn report_execute(&self, portal: &str) {
        if let (Some(a), Some(p)) = (&self.activity, self.portals.get(portal)) {
            a.start_query(&p.statement.sql, self.block_start());
        }
    }

    /// ReadyForQuery: the session waits for its client.
    pub fn report_ready(&self) {
        if let Some(a) = &self.activity {
            let state = match self.transaction_status() {
                b'T' => State::IdleInTransaction,
                b'E' => State::IdleInTransactionAborted,
                _ => State::Idle,
            };
            a.ready(state, self.block_start());
        }
    }

    /// `application_name` changed (reported to the client).
    pub fn report_application_name(&self, name: &str) {
        if let Some(a) = &self.activity {
            a.set_application_name(name);
        }
    }

    /// When the open transaction block started, if one is open.
    fn block_start(&self) -> Option<i64> {
        self.block.as_ref().and(self.xact_timestamp)
    }
}

/// Whom the current user acts for: PostgreSQL's `has_privs_of_role`.
struct Viewer {
    superuser: bool,
    roles: Vec<u32>,
}

impl Viewer {
    fn of(eval: &Eval<'_>) -> Result<Viewer> {
        let user = eval.session_user_name();
        let Some(role) = eval.read_catalog(|who| eval.catalog.role_by_name(user, who))? else {
            return Ok(Viewer { superuser: false, roles: Vec::new() });
        };
        let mut roles = eval.read_catalog(|who| eval.catalog.member_of(role.oid, who))?;
        roles.push(role.oid);
        Ok(Viewer { superuser: role.superuser, roles })
    }

    fn acts_for(&self, role: u32) -> bool {
        self.superuser || self.roles.contains(&role)
    }
}

/// The rows of `pg_stat_get_activity(NULL)`: every session, by process
/// id. PostgreSQL also lists its background processes; tusk lists only
/// client sessions.
pub(super) fn activity_rows(eval: &Eval<'_>) -> Result<Vec<Vec<Datum>>> {
    let Some(registry) = eval.registry else { return Ok(Vec::new()) };
    let viewer = Viewer::of(eval)?;
    let all_stats = viewer.acts_for(PG_READ_ALL_STATS);
    let mut activities = registry.activities();
    activities.sort_by_key(|a| a.pid);
    Ok(activities.iter().map(|a| a.row(all_stats || viewer.acts_for(a.usesysid))).collect())
}

/// `pg_cancel_backend(pid)` (`terminate` false) and
/// `pg_terminate_backend(pid, timeout)`: whether the signal was sent (and,
/// with a timeout, whether the session ended within it).
pub(super) fn signal_backend(eval: &mut Eval<'_>, pid: i32, terminate: bool, timeout_ms: i64) -> Result<bool> {
    if timeout_ms < 0 {
        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "\"timeout\" must not be negative"));
    }
    let registry = eval.registry;
    let Some((registry, target)) = registry.and_then(|r| Some((r, r.backend(pid)?))) else {
        eval.notices.push(Notice::warning(SqlState::WARNING, format!("PID {pid} is not a PostgreSQL backend process")));
        return Ok(false);
    };
    let viewer = Viewer::of(eval)?;
    let target_superuser =
        eval.read_catalog(|who| eval.catalog.role_by_oid(target.role, who))?.is_some_and(|r| r.superuser);
    let denied = |message: &str| err!(SqlState::INSUFFICIENT_PRIVILEGE, "{message}");
    if target_superuser && !viewer.superuser {
        return Err(denied(match terminate {
            false => "must be a superuser to cancel superuser query",
            true => "must be a superuser to terminate superuser process",
        }));
    }
    if !viewer.acts_for(target.role) && !viewer.acts_for(PG_SIGNAL_BACKEND) {
        return Err(denied(match terminate {
            false => "must be a member of the role whose query is being canceled or member of pg_signal_backend",
            true => "must be a member of the role whose process is being terminated or member of pg_signal_backend",
        }));
    }
    // Signalled itself: the interrupt is taken at once, as PostgreSQL's
    // CHECK_FOR_INTERRUPTS() right after the signal takes it.
    if pid == eval.pid {
        if terminate {
            target.interrupts.terminate();
            target.terminate.cancel();
        } else {
            target.interrupts.cancel();
        }
        return eval.interrupts.check(None).map(|()| true);
    }
    if !terminate {
        target.interrupts.cancel();
        return Ok(true);
    }
    target.interrupts.terminate();
    target.terminate.cancel();
    if timeout_ms == 0 {
        return Ok(true);
    }
    let deadline = Instant::now() + Duration::from_millis(timeout_ms as u64);
    while registry.backend(pid).is_some() {
        if Instant::now() >= deadline {
            eval.notices.push(Notice::warning(
                SqlState::WARNING,
                format!("backend with PID {pid} did not terminate within {timeout_ms} milliseconds"),
            ));
            return Ok(false);
        }
        eval.interrupts.check(eval.deadline)?;
        // Cooperatively: the session to wait for may run on this thread.
        crate::txn::wait::sleep((Instant::now() + Duration::from_millis(10)).min(deadline));
    }
    Ok(true)
}
