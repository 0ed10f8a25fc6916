//! Metrics: counters every subsystem updates, exposed in Prometheus text
//! format at `http://<metrics_listen>/metrics`, with `/healthz` (the process
//! is alive) and `/readyz` (it accepts connections) beside them.
//!
//! Counters are atomics updated where the event happens; the endpoint only
//! reads them.

mod http;

use std::sync::atomic::{AtomicBool, Ordering};

use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

pub use http::serve;

/// A subsystem's metrics writer: appends Prometheus text lines.
type MetricsSource = Box<dyn Fn(&mut String) + Send + Sync>;

pub struct Metrics {
    registry: Registry,
    /// Sessions by state (`starting`, `idle`, `active`, `idle in transaction`).
    pub sessions: IntGaugeVec,
    pub connections_accepted: IntCounter,
    /// Refused connections by reason (`too_many`, `auth`, `shutdown`, `protocol`).
    pub connections_rejected: IntCounterVec,
    /// Statements executed by command (`SELECT`, `SET`, …).
    pub statements: IntCounterVec,
    /// Errors sent to clients by SQLSTATE class.
    pub errors: IntCounterVec,
    /// Bytes held by all sessions' work areas.
    pub session_arena_bytes: IntGauge,
    /// Simple-query statements by where their plan came from: `parsed`
    /// (parsed and bound), `text` (cached by query text), `parameterised`
    /// (a plan shared by queries that differ only in constants).
    pub simple_plans: SimplePlans,
    /// Handles on `sessions` for the hot states, so updates skip the label lookup.
    pub sessions_idle: IntGauge,
    pub sessions_active: IntGauge,
    pub sessions_starting: IntGauge,
    /// Cached `statements` counters for the common commands.
    statement_counters: Vec<(&'static str, IntCounter)>,
    /// Other subsystems' counters, appended in text form (the storage engine's).
    extra: std::sync::OnceLock<MetricsSource>,
    ready: AtomicBool,
}

/// Handles on `simple_query_plans_total`'s sources.
pub struct SimplePlans {
    pub parsed: IntCounter,
    pub text: IntCounter,
    pub parameterised: IntCounter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("tusk".into()), None).expect("metric prefix is valid");
        let sessions = IntGaugeVec::new(Opts::new("sessions", "Client sessions by state."), &["state"]).expect("valid");
        let connections_accepted =
            IntCounter::new("connections_accepted_total", "Client connections admitted.").expect("valid");
        let connections_rejected = IntCounterVec::new(
            Opts::new("connections_rejected_total", "Client connections refused, by reason."),
            &["reason"],
        )
        .expect("valid");
        let statements =
            IntCounterVec::new(Opts::new("statements_total", "Statements executed, by command."), &["command"])
                .expect("valid");
        let errors =
            IntCounterVec::new(Opts::new("errors_total", "Errors reported to clients, by SQLSTATE class."), &["class"])
                .expect("valid");
        let session_arena_bytes =
            IntGauge::new("session_arena_bytes", "Bytes held by the sessions' local work areas.").expect("valid");
        let simple_plans = IntCounterVec::new(
            Opts::new("simple_query_plans_total", "Simple-query statements, by where their plan came from."),
            &["source"],
        )
        .expect("valid");
        for c in [
            Box::new(simple_plans.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(sessions.clone()),
            Box::new(connections_accepted.clone()),
            Box::new(connections_rejected.clone()),
            Box::new(statements.clone()),
            Box::new(errors.clone()),
            Box::new(session_arena_bytes.clone()),
        ] {
            registry.register(c).expect("metric names are unique");
        }
        for state in ["starting", "idle", "active", "idle in transaction"] {
            sessions.with_label_values(&[state]).set(0);
        }
        let statement_counters =
            ["SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "SET", "RESET", "SHOW"]
                .into_iter()
                .map(|c| (c, statements.with_label_values(&[c])))
                .collect();
        Metrics {
            sessions_idle: sessions.with_label_values(&["idle"]),
            sessions_active: sessions.with_label_values(&["active"]),
            sessions_starting: sessions.with_label_values(&["starting"]),
            simple_plans: SimplePlans {
                parsed: simple_plans.with_label_values(&["parsed"]),
                text: simple_plans.with_label_values(&["text"]),
                parameterised: simple_plans.with_label_values(&["parameterised"]),
            },
            statement_counters,
            extra: std::sync::OnceLock::new(),
            registry,
            sessions,
            connections_accepted,
            connections_rejected,
            statements,
            errors,
            session_arena_bytes,
            ready: AtomicBool::new(false),
        }
    }

    /// Count one executed statement of the given command.
    pub fn count_statement(&self, command: &'static str) {
        match self.statement_counters.iter().find(|(c, _)| *c == command) {
            Some((_, counter)) => counter.inc(),
            None => self.statements.with_label_values(&[command]).inc(),
        }
    }

    /// Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let encoder = prometheus::TextEncoder::new();
        if let Err(e) = encoder.encode_utf8(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "could not encode metrics");
        }
        if let Some(extra) = self.extra.get() {
            extra(&mut out);
        }
        out
    }

    /// Add a subsystem's metrics, written in Prometheus text format.
    pub fn add_source(&self, render: impl Fn(&mut String) + Send + Sync + 'static) {
        let _ = self.extra.set(Box::new(render));
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
}
