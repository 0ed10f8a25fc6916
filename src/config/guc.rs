//! The settings registry: every run-time setting tusk knows, with
//! PostgreSQL's names, types, units, contexts and defaults.
//!
//! A setting's value is kept in its canonical form ([`Value`]): integers in
//! the setting's base unit (kB, 8 kB blocks, ms, s …), exactly as PostgreSQL
//! stores them, so that `SHOW` prints `4MB` for `work_mem = 4096` (kB).

use std::sync::Arc;

use crate::err;
use crate::error::{Error, Result, SqlState};

/// When a setting may change (PostgreSQL's `GucContext`, in rising order of
/// freedom).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Context {
    /// Fixed by how tusk was built or initialized; cannot be set.
    Internal,
    /// Set at server start only (`tusk.conf`, environment, command line).
    Postmaster,
    /// Set in the configuration file; changes on reload.
    Sighup,
    /// Set at connection start (startup packet) or by a superuser.
    SuperuserBackend,
    /// Set by a superuser at any time.
    Superuser,
    /// Set by anyone at any time.
    User,
}

impl Context {
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Internal => "internal",
            Context::Postmaster => "postmaster",
            Context::Sighup => "sighup",
            Context::SuperuserBackend => "superuser-backend",
            Context::Superuser => "superuser",
            Context::User => "user",
        }
    }
}

/// The base unit of an integer setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    None,
    Kb,
    Mb,
    Blocks8k,
    Ms,
    S,
}

/// A setting's type and its valid values.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Bool,
    Int { min: i64, max: i64, unit: Unit },
    Real { min: f64, max: f64 },
    String,
    Enum(&'static [&'static str]),
}

/// The definition of one setting.
#[derive(Debug)]
pub struct Def {
    pub name: &'static str,
    pub context: Context,
    pub kind: Kind,
    /// The boot value as it would be written in `tusk.conf`.
    pub default: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    /// Reported to the client with ParameterStatus when it changes (`GUC_REPORT`).
    pub report: bool,
}

/// A setting's value in canonical form.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Real(f64),
    /// Shared: every session starts from the server's values.
    Str(Arc<str>),
}

const I32MAX: i64 = i32::MAX as i64;

macro_rules! settings {
    ($( $id:ident = $name:literal, $ctx:ident, $kind:expr, $default:literal, $report:literal, $cat:literal, $desc:literal; )*) => {
        /// The identity of a setting: an index into [`DEFS`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum Guc { $($id),* }

        /// Every setting, in [`Guc`] order.
        pub static DEFS: &[Def] = &[ $( Def {
            name: $name, context: Context::$ctx, kind: $kind, default: $default,
            report: $report, category: $cat, description: $desc,
        } ),* ];

        /// Every setting id, in [`DEFS`] order.
        pub static ALL: &[Guc] = &[ $( Guc::$id ),* ];
    };
}

const LOG_LEVELS: &[&str] = &["debug5", "debug4", "debug3", "debug2", "debug1", "log", "notice", "warning", "error"];
const ISOLATION_LEVELS: &[&str] = &["serializable", "repeatable read", "read committed", "read uncommitted"];

settings! {
    // Connections and authentication
    listen_addresses = "listen_addresses", Postmaster, Kind::String, "127.0.0.1", false,
        "Connections and Authentication / Connection Settings", "Sets the host name or IP address(es) to listen to.";
    port = "port", Postmaster, Kind::Int { min: 0, max: 65535, unit: Unit::None }, "5432", false,
        "Connections and Authentication / Connection Settings", "Sets the TCP port the server listens on.";
    max_connections = "max_connections", Postmaster, Kind::Int { min: 1, max: 262143, unit: Unit::None }, "100", false,
        "Connections and Authentication / Connection Settings", "Sets the maximum number of concurrent connections.";
    unix_socket_directories = "unix_socket_directories", Postmaster, Kind::String, "/tmp", false,
        "Connections and Authentication / Connection Settings", "Sets the directories where Unix-domain sockets will be created.";
    trust_local_connections = "trust_local_connections", Postmaster, Kind::Bool, "on", false,
        "Connections and Authentication / Authentication", "Lets loopback and Unix-socket clients connect without a password.";
    metrics_listen = "metrics_listen", Postmaster, Kind::String, "127.0.0.1:9187", false,
        "Reporting and Logging / Metrics", "Sets the address of the Prometheus metrics and health endpoint (empty disables it).";
    data_directory = "data_directory", Postmaster, Kind::String, "", false,
        "File Locations", "Sets the server's data directory.";
    // Resource usage
    backend_threads = "backend_threads", Postmaster, Kind::Int { min: 0, max: 1024, unit: Unit::None }, "0", false,
        "Resource Usage / Asynchronous Behavior", "Sets the number of threads sessions run on (0: four per CPU).";
    shared_buffers = "shared_buffers", Postmaster, Kind::Int { min: 16, max: 1073741823, unit: Unit::Blocks8k }, "16384", false,
        "Resource Usage / Memory", "Sets the number of shared memory buffers used by the server.";
    work_mem = "work_mem", User, Kind::Int { min: 64, max: I32MAX, unit: Unit::Kb }, "4096", false,
        "Resource Usage / Memory", "Sets the maximum memory to be used for query workspaces.";
    maintenance_work_mem = "maintenance_work_mem", User, Kind::Int { min: 1024, max: I32MAX, unit: Unit::Kb }, "65536", false,
        "Resource Usage / Memory", "Sets the maximum memory to be used for maintenance operations.";
    temp_buffers = "temp_buffers", User, Kind::Int { min: 100, max: 1073741823, unit: Unit::Blocks8k }, "1024", false,
        "Resource Usage / Memory", "Sets the maximum number of temporary buffers used by each session.";
    // Write-ahead log
    fsync = "fsync", Sighup, Kind::Bool, "on", false,
        "Write-Ahead Log / Settings", "Forces synchronization of updates to disk.";
    wal_writer_delay = "wal_writer_delay", Sighup, Kind::Int { min: 1, max: 10000, unit: Unit::Ms }, "200", false,
        "Write-Ahead Log / Settings", "Time between WAL flushes performed in the WAL writer.";
    commit_delay = "commit_delay", Superuser, Kind::Int { min: 0, max: 100000, unit: Unit::None }, "0", false,
        "Write-Ahead Log / Settings", "Sets the delay in microseconds between transaction commit and flushing WAL to disk.";
    commit_siblings = "commit_siblings", User, Kind::Int { min: 0, max: 1000, unit: Unit::None }, "5", false,
        "Write-Ahead Log / Settings", "Sets the minimum number of concurrent open transactions required before performing commit_delay.";
    checkpoint_timeout = "checkpoint_timeout", Sighup, Kind::Int { min: 30, max: 86400, unit: Unit::S }, "300", false,
        "Write-Ahead Log / Checkpoints", "Sets the maximum time between automatic WAL checkpoints.";
    max_wal_size = "max_wal_size", Sighup, Kind::Int { min: 2, max: I32MAX, unit: Unit::Mb }, "1024", false,
        "Write-Ahead Log / Checkpoints", "Sets the WAL size that triggers a checkpoint.";
    wal_segment_size = "wal_segment_size", Internal, Kind::Int { min: 16777216, max: 16777216, unit: Unit::None }, "16777216", false,
        "Preset Options", "Shows the size of write ahead log segments.";
    autovacuum = "autovacuum", Sighup, Kind::Bool, "on", false,
        "Autovacuum", "Starts the autovacuum subprocess.";
    autovacuum_naptime = "autovacuum_naptime", Sighup, Kind::Int { min: 1, max: 2147483, unit: Unit::S }, "60", false,
        "Autovacuum", "Time to sleep between autovacuum runs.";
    autovacuum_vacuum_threshold = "autovacuum_vacuum_threshold", Sighup, Kind::Int { min: 0, max: I32MAX, unit: Unit::None }, "50", false,
        "Autovacuum", "Minimum number of tuple updates or deletes prior to vacuum.";
    autovacuum_vacuum_scale_factor = "autovacuum_vacuum_scale_factor", Sighup, Kind::Real { min: 0.0, max: 100.0 }, "0.2", false,
        "Autovacuum", "Number of tuple updates or deletes prior to vacuum as a fraction of reltuples.";
    autovacuum_analyze_threshold = "autovacuum_analyze_threshold", Sighup, Kind::Int { min: 0, max: I32MAX, unit: Unit::None }, "50", false,
        "Autovacuum", "Minimum number of tuple inserts, updates, or deletes prior to analyze.";
    autovacuum_analyze_scale_factor = "autovacuum_analyze_scale_factor", Sighup, Kind::Real { min: 0.0, max: 100.0 }, "0.1", false,
        "Autovacuum", "Number of tuple inserts, updates, or deletes prior to analyze as a fraction of reltuples.";
    autovacuum_vacuum_cost_delay = "autovacuum_vacuum_cost_delay", Sighup, Kind::Int { min: -1, max: 100, unit: Unit::Ms }, "2", false,
        "Autovacuum", "Vacuum cost delay in milliseconds, for autovacuum.";
    autovacuum_vacuum_cost_limit = "autovacuum_vacuum_cost_limit", Sighup, Kind::Int { min: -1, max: 10000, unit: Unit::None }, "-1", false,
        "Autovacuum", "Vacuum cost amount available before napping, for autovacuum.";
    vacuum_cost_delay = "vacuum_cost_delay", User, Kind::Int { min: 0, max: 100, unit: Unit::Ms }, "0", false,
        "Resource Usage / Cost-Based Vacuum Delay", "Vacuum cost delay in milliseconds.";
    vacuum_cost_limit = "vacuum_cost_limit", User, Kind::Int { min: 1, max: 10000, unit: Unit::None }, "200", false,
        "Resource Usage / Cost-Based Vacuum Delay", "Vacuum cost amount available before napping.";
    vacuum_cost_page_miss = "vacuum_cost_page_miss", User, Kind::Int { min: 0, max: 10000, unit: Unit::None }, "2", false,
        "Resource Usage / Cost-Based Vacuum Delay", "Vacuum cost for a page not found in the buffer cache.";
    bgwriter_delay = "bgwriter_delay", Sighup, Kind::Int { min: 10, max: 10000, unit: Unit::Ms }, "200", false,
        "Resource Usage / Background Writer", "Background writer sleep time between rounds.";
    bgwriter_lru_maxpages = "bgwriter_lru_maxpages", Sighup, Kind::Int { min: 0, max: 1073741823, unit: Unit::None }, "100", false,
        "Resource Usage / Background Writer", "Background writer maximum number of LRU pages to flush per round.";
    synchronous_commit = "synchronous_commit", User, Kind::Enum(&["local", "remote_write", "remote_apply", "on", "off"]), "on", false,
        "Write-Ahead Log / Settings", "Sets the current transaction's synchronization level.";
    // Query tuning. tusk makes no bitmap scans or merge joins: their
    // enable_* settings are accepted and change nothing.
    enable_seqscan = "enable_seqscan", User, Kind::Bool, "on", false,
        "Query Tuning / Planner Method Configuration", "Enables the planner's use of sequential-scan plans.";
    enable_indexscan = "enable_indexscan", User, Kind::Bool, "on", false,
        "Query Tuning / Planner Method Configuration", "Enables the planner's use of index-scan plans.";
    enable_bitmapscan = "enable_bitmapscan", User, Kind::Bool, "on", false,
        "Query Tuning / Planner Method Configuration", "Enables the planner's use of bitmap-scan plans.";
    enable_indexonlyscan = "enable_indexonlyscan", User, Kind::Bool, "on", false,
        "Query Tuning / Planner Method Configuration", "Enables the planner's use of index-only-scan plans.";
    enable_mergejoin = "enable_mergejoin", User, Kind::Bool, "on", false,
        "Query Tuning / Planner Method Configuration", "Enables the planner's use of merge join plans.";
    enable_hashjoin = "enable_hashjoin", User, Kind::Bool, "on", false,
        "Query Tuning / Planner Method Configuration", "Enables the planner's use of hash join plans.";
    enable_nestloop = "enable_nestloop", User, Kind::Bool, "on", false,
        "Query Tuning / Planner Method Configuration", "Enables the planner's use of nested-loop join plans.";
    enable_sort = "enable_sort", User, Kind::Bool, "on", false,
        "Query Tuning / Planner Method Configuration", "Enables the planner's use of explicit sort steps.";
    seq_page_cost = "seq_page_cost", User, Kind::Real { min: 0.0, max: f64::MAX }, "1", false,
        "Query Tuning / Planner Cost Constants", "Sets the planner's estimate of the cost of a sequentially fetched disk page.";
    random_page_cost = "random_page_cost", User, Kind::Real { min: 0.0, max: f64::MAX }, "4", false,
        "Query Tuning / Planner Cost Constants", "Sets the planner's estimate of the cost of a nonsequentially fetched disk page.";
    cpu_tuple_cost = "cpu_tuple_cost", User, Kind::Real { min: 0.0, max: f64::MAX }, "0.01", false,
        "Query Tuning / Planner Cost Constants", "Sets the planner's estimate of the cost of processing each tuple (row).";
    cpu_index_tuple_cost = "cpu_index_tuple_cost", User, Kind::Real { min: 0.0, max: f64::MAX }, "0.005", false,
        "Query Tuning / Planner Cost Constants", "Sets the planner's estimate of the cost of processing each index entry during an index scan.";
    cpu_operator_cost = "cpu_operator_cost", User, Kind::Real { min: 0.0, max: f64::MAX }, "0.0025", false,
        "Query Tuning / Planner Cost Constants", "Sets the planner's estimate of the cost of processing each operator or function call.";
    effective_cache_size = "effective_cache_size", User, Kind::Int { min: 1, max: I32MAX, unit: Unit::Blocks8k }, "524288", false,
        "Query Tuning / Planner Cost Constants", "Sets the planner's assumption about the total size of the data caches.";
    default_statistics_target = "default_statistics_target", User, Kind::Int { min: 1, max: 10000, unit: Unit::None }, "100", false,
        "Query Tuning / Other Planner Options", "Sets the default statistics target.";
    plan_cache_mode = "plan_cache_mode", User, Kind::Enum(&["auto", "force_generic_plan", "force_custom_plan"]), "auto", false,
        "Query Tuning / Other Planner Options", "Controls the planner's selection of custom or generic plan.";
    // Client connection defaults
    client_min_messages = "client_min_messages", User, Kind::Enum(LOG_LEVELS), "notice", false,
        "Client Connection Defaults / Statement Behavior", "Sets the message levels that are sent to the client.";
    search_path = "search_path", User, Kind::String, "\"$user\", public", false,
        "Client Connection Defaults / Statement Behavior", "Sets the schema search order for names that are not schema-qualified.";
    statement_timeout = "statement_timeout", User, Kind::Int { min: 0, max: I32MAX, unit: Unit::Ms }, "0", false,
        "Client Connection Defaults / Statement Behavior", "Sets the maximum allowed duration of any statement.";
    idle_in_transaction_session_timeout = "idle_in_transaction_session_timeout", User, Kind::Int { min: 0, max: I32MAX, unit: Unit::Ms }, "0", false,
        "Client Connection Defaults / Statement Behavior", "Sets the maximum allowed idle time between queries, when in a transaction.";
    idle_session_timeout = "idle_session_timeout", User, Kind::Int { min: 0, max: I32MAX, unit: Unit::Ms }, "0", false,
        "Client Connection Defaults / Statement Behavior", "Sets the maximum allowed idle time between queries, when not in a transaction.";
    lock_timeout = "lock_timeout", User, Kind::Int { min: 0, max: I32MAX, unit: Unit::Ms }, "0", false,
        "Client Connection Defaults / Statement Behavior", "Sets the maximum allowed duration of any wait for a lock.";
    deadlock_timeout = "deadlock_timeout", Superuser, Kind::Int { min: 1, max: I32MAX, unit: Unit::Ms }, "1000", false,
        "Lock Management", "Sets the time to wait on a lock before checking for deadlock.";
    default_transaction_isolation = "default_transaction_isolation", User, Kind::Enum(ISOLATION_LEVELS), "read committed", false,
        "Client Connection Defaults / Statement Behavior", "Sets the transaction isolation level of each new transaction.";
    default_transaction_read_only = "default_transaction_read_only", User, Kind::Bool, "off", true,
        "Client Connection Defaults / Statement Behavior", "Sets the default read-only status of new transactions.";
    default_transaction_deferrable = "default_transaction_deferrable", User, Kind::Bool, "off", false,
        "Client Connection Defaults / Statement Behavior", "Sets the default deferrable status of new transactions.";
    bytea_output = "bytea_output", User, Kind::Enum(&["escape", "hex"]), "hex", false,
        "Client Connection Defaults / Statement Behavior", "Sets the output format for bytea.";
    DateStyle = "DateStyle", User, Kind::String, "ISO, MDY", true,
        "Client Connection Defaults / Locale and Formatting", "Sets the display format for date and time values.";
    IntervalStyle = "IntervalStyle", User, Kind::Enum(&["postgres", "postgres_verbose", "sql_standard", "iso_8601"]), "postgres", true,
        "Client Connection Defaults / Locale and Formatting", "Sets the display format for interval values.";
    TimeZone = "TimeZone", User, Kind::String, "Etc/UTC", true,
        "Client Connection Defaults / Locale and Formatting", "Sets the time zone for displaying and interpreting time stamps.";
    extra_float_digits = "extra_float_digits", User, Kind::Int { min: -15, max: 3, unit: Unit::None }, "1", false,
        "Client Connection Defaults / Locale and Formatting", "Sets the number of digits displayed for floating-point values.";
    client_encoding = "client_encoding", User, Kind::String, "UTF8", true,
        "Client Connection Defaults / Locale and Formatting", "Sets the client's character set encoding.";
    lc_messages = "lc_messages", Superuser, Kind::String, "C", false,
        "Client Connection Defaults / Locale and Formatting", "Sets the language in which messages are displayed.";
    // Compatibility
    standard_conforming_strings = "standard_conforming_strings", User, Kind::Bool, "on", true,
        "Version and Platform Compatibility / Previous PostgreSQL Versions", "Causes '...' strings to treat backslashes literally.";
    // Reporting and logging
    application_name = "application_name", User, Kind::String, "", true,
        "Reporting and Logging / What to Log", "Sets the application name to be reported in statistics and logs.";
    log_connections = "log_connections", SuperuserBackend, Kind::Bool, "off", false,
        "Reporting and Logging / What to Log", "Logs each successful connection.";
    log_disconnections = "log_disconnections", SuperuserBackend, Kind::Bool, "off", false,
        "Reporting and Logging / What to Log", "Logs end of a session, including duration.";
    log_min_duration_statement = "log_min_duration_statement", Superuser, Kind::Int { min: -1, max: I32MAX, unit: Unit::Ms }, "-1", false,
        "Reporting and Logging / When to Log", "Sets the minimum execution time above which all statements will be logged.";
    log_format = "log_format", Postmaster, Kind::Enum(&["text", "json"]), "text", false,
        "Reporting and Logging / Where to Log", "Sets the format of the server log.";
    log_min_messages = "log_min_messages", Superuser, Kind::Enum(LOG_LEVELS), "warning", false,
        "Reporting and Logging / When to Log", "Sets the message levels that are logged.";
    // Preset options
    server_version = "server_version", Internal, Kind::String, "16.0 (tusk 0.1.0)", true,
        "Preset Options", "Shows the server version.";
    server_version_num = "server_version_num", Internal, Kind::Int { min: 160000, max: 160000, unit: Unit::None }, "160000", false,
        "Preset Options", "Shows the server version as an integer.";
    server_encoding = "server_encoding", Internal, Kind::String, "UTF8", true,
        "Preset Options", "Shows the server (database) character set encoding.";
    integer_datetimes = "integer_datetimes", Internal, Kind::Bool, "on", true,
        "Preset Options", "Shows whether datetimes are integer based.";
    block_size = "block_size", Internal, Kind::Int { min: 8192, max: 8192, unit: Unit::None }, "8192", false,
        "Preset Options", "Shows the size of a disk block.";
    max_identifier_length = "max_identifier_length", Internal, Kind::Int { min: 63, max: 63, unit: Unit::None }, "63", false,
        "Preset Options", "Shows the maximum identifier length.";
    lc_collate = "lc_collate", Internal, Kind::String, "C", false,
        "Preset Options", "Shows the collation order locale.";
    lc_ctype = "lc_ctype", Internal, Kind::String, "C", false,
        "Preset Options", "Shows the character classification and case conversion locale.";
    in_hot_standby = "in_hot_standby", Internal, Kind::Bool, "off", true,
        "Preset Options", "Shows whether hot standby is currently active.";
    is_superuser = "is_superuser", Internal, Kind::Bool, "on", true,
        "Preset Options", "Shows whether the current user is a superuser.";
    session_authorization = "session_authorization", Internal, Kind::String, "postgres", true,
        "Preset Options", "Sets the session user name.";
    role = "role", User, Kind::String, "none", false,
        "Ungrouped", "Sets the current role.";
}

impl Guc {
    pub fn def(self) -> &'static Def {
        &DEFS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Look a setting up by name, case-insensitively as PostgreSQL does.
    pub fn lookup(name: &str) -> Option<Guc> {
        // `timezone` and `datestyle` are the usual spellings in SQL.
        ALL.iter().copied().find(|g| g.name().eq_ignore_ascii_case(name))
    }

    /// The boot value, parsed.
    pub fn default_value(self) -> Value {
        match parse(self, self.def().default) {
            Ok(v) => v,
            Err(e) => panic!("bad default for setting {}: {e:?}", self.name()),
        }
    }
}

/// Look a setting up by name, or fail as PostgreSQL does.
pub fn lookup_or_error(name: &str) -> Result<Guc> {
    Guc::lookup(name).ok_or_else(|| unrecognized(name))
}

pub fn unrecognized(name: &str) -> Error {
    err!(SqlState::UNDEFINED_OBJECT, "unrecognized configuration parameter \"{name}\"")
}

fn invalid_value(guc: Guc, text: &str) -> Error {
    err!(SqlState::INVALID_PARAMETER_VALUE, "invalid value for parameter \"{}\": \"{text}\"", guc.name())
}

/// Parse a value written as in `tusk.conf` or `SET` into canonical form.
pub fn parse(guc: Guc, text: &str) -> Result<Value> {
    let def = guc.def();
    match def.kind {
        Kind::Bool => parse_bool(text).map(Value::Bool).ok_or_else(|| {
            err!(SqlState::INVALID_PARAMETER_VALUE, "parameter \"{}\" requires a Boolean value", def.name)
        }),
        Kind::Int { min, max, unit } => {
            let v = parse_int_with_unit(guc, text, unit)?;
            if v < min || v > max {
                let u = match unit_label(unit) {
                    "" => String::new(),
                    l => format!(" {l}"),
                };
                return Err(err!(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "{v}{u} is outside the valid range for parameter \"{}\" ({min} .. {max})",
                    def.name
                ));
            }
            Ok(Value::Int(v))
        }
        Kind::Real { min, max } => {
            let v: f64 = text.trim().parse().map_err(|_| invalid_value(guc, text))?;
            if !(min..=max).contains(&v) {
                return Err(err!(
                    SqlState::INVALID_PARAMETER_VALUE,
                    "{v} is outside the valid range for parameter \"{}\" ({min} .. {max})",
                    def.name
                ));
            }
            Ok(Value::Real(v))
        }
        Kind::String => Ok(Value::Str(text.into())),
        Kind::Enum(options) => {
            let t = text.trim();
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(t))
                .map(|o| Value::Str((*o).into()))
                .or_else(|| enum_alias(guc, t))
                .ok_or_else(|| invalid_value(guc, text).with_hint(format!("Available values: {}.", options.join(", "))))
        }
    }
}

/// Boolean spellings PostgreSQL accepts for settings (any unique prefix of
/// `true`/`false`/`yes`/`no`, `on`/`off`, `1`/`0`).
pub fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    let prefix_of = |word: &str| word.starts_with(t.as_str());
    match t.as_str() {
        "on" | "1" => Some(true),
        "off" | "of" | "0" => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

/// Extra spellings some enum settings accept (`synchronous_commit = true`).
fn enum_alias(guc: Guc, text: &str) -> Option<Value> {
    if guc == Guc::synchronous_commit {
        return parse_bool(text).map(|b| Value::Str(if b { "on" } else { "off" }.into()));
    }
    None
}

fn unit_label(unit: Unit) -> &'static str {
    match unit {
        Unit::None => "",
        Unit::Kb => "kB",
        Unit::Mb => "MB",
        Unit::Blocks8k => "8kB",
        Unit::Ms => "ms",
        Unit::S => "s",
    }
}

/// Memory units in kB and time units in ms, as PostgreSQL's unit tables have them.
const MEMORY_UNITS: &[(&str, f64)] =
    &[("B", 1.0 / 1024.0), ("kB", 1.0), ("MB", 1024.0), ("GB", 1048576.0), ("TB", 1073741824.0)];
const TIME_UNITS: &[(&str, f64)] =
    &[("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("min", 60000.0), ("h", 3600000.0), ("d", 86400000.0)];

fn parse_int_with_unit(guc: Guc, text: &str, unit: Unit) -> Result<i64> {
    let t = text.trim();
    let split = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0)))
        .map_or(t.len(), |(i, _)| i);
    let (num, suffix) = (&t[..split], t[split..].trim());
    let number: f64 = num.parse().map_err(|_| invalid_value(guc, text))?;
    let scaled = if suffix.is_empty() {
        number
    } else {
        let (table, base) = match unit {
            Unit::Kb => (MEMORY_UNITS, 1.0),
            Unit::Mb => (MEMORY_UNITS, 1024.0),
            Unit::Blocks8k => (MEMORY_UNITS, 8.0),
            Unit::Ms => (TIME_UNITS, 1.0),
            Unit::S => (TIME_UNITS, 1000.0),
            Unit::None => return Err(invalid_value(guc, text)),
        };
        match table.iter().find(|(name, _)| *name == suffix) {
            Some((_, factor)) => number * factor / base,
            None => {
                let names: Vec<String> = table.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                let list = format!("{}, and {}", names[..names.len() - 1].join(", "), names[names.len() - 1]);
                return Err(invalid_value(guc, text).with_hint(format!("Valid units for this parameter are {list}.")));
            }
        }
    };
    let rounded = scaled.round();
    if !(i32::MIN as f64..=i32::MAX as f64).contains(&rounded) {
        return Err(invalid_value(guc, text).with_hint("Value exceeds integer range."));
    }
    Ok(rounded as i64)
}

/// Format a value as `SHOW` prints it.
pub fn display(guc: Guc, value: &Value) -> String {
    match (value, guc.def().kind) {
        (Value::Bool(b), _) => if *b { "on" } else { "off" }.to_string(),
        (Value::Int(v), Kind::Int { unit, .. }) => display_int(*v, unit),
        (Value::Int(v), _) => v.to_string(),
        (Value::Real(v), _) => v.to_string(),
        (Value::Str(s), _) => s.to_string(),
    }
}

/// A value as `pg_settings` shows it: in the setting's base unit, without
/// the unit (`4096` for `work_mem = 4MB`).
pub fn raw(value: &Value) -> String {
    match value {
        Value::Bool(b) => if *b { "on" } else { "off" }.to_string(),
        Value::Int(v) => v.to_string(),
        Value::Real(v) => v.to_string(),
        Value::Str(s) => s.to_string(),
    }
}

/// The parts of a `pg_settings` row that depend only on the definition:
/// `unit`, `vartype`, `min_val`, `max_val` and `enumvals` (as a `text[]`
/// in its text form).
pub fn describe(guc: Guc) -> (Option<&'static str>, &'static str, Option<String>, Option<String>, Option<String>) {
    match guc.def().kind {
        Kind::Bool => (None, "bool", None, None, None),
        Kind::Int { min, max, unit } => {
            let label = Some(unit_label(unit)).filter(|l| !l.is_empty());
            (label, "integer", Some(min.to_string()), Some(max.to_string()), None)
        }
        Kind::Real { min, max } => (None, "real", Some(min.to_string()), Some(max.to_string()), None),
        Kind::String => (None, "string", None, None, None),
        Kind::Enum(options) => {
            let quoted: Vec<String> = options
                .iter()
                .map(|o| if o.contains([' ', ',', '"']) { format!("\"{o}\"") } else { o.to_string() })
                .collect();
            (None, "enum", None, None, Some(format!("{{{}}}", quoted.join(","))))
        }
    }
}

fn display_int(v: i64, unit: Unit) -> String {
    let (table, base_factor): (&[(&str, f64)], f64) = match unit {
        Unit::None => return v.to_string(),
        Unit::Kb => (MEMORY_UNITS, 1.0),
        Unit::Mb => (MEMORY_UNITS, 1024.0),
        Unit::Blocks8k => (MEMORY_UNITS, 8.0),
        Unit::Ms => (TIME_UNITS, 1.0),
        Unit::S => (TIME_UNITS, 1000.0),
    };
    if v == 0 || v == -1 && matches!(unit, Unit::Ms | Unit::S) {
        return v.to_string();
    }
    // The largest unit, no smaller than the base unit, that divides the value evenly.
    let min_factor = match unit {
        Unit::Mb => 1024.0,
        Unit::S => 1000.0,
        _ => 1.0,
    };
    let base = v as f64 * base_factor;
    let mut best = None;
    for (name, factor) in table.iter().filter(|(_, f)| *f >= min_factor) {
        let q = base / factor;
        if q == q.trunc() {
            best = Some(format!("{}{name}", q as i64));
        }
    }
    best.unwrap_or_else(|| format!("{v}{}", unit_label(unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(g: Guc, text: &str) -> String {
        display(g, &parse(g, text).unwrap())
    }

    #[test]
    fn memory_units_print_like_postgres() {
        assert_eq!(show(Guc::work_mem, "64MB"), "64MB");
        assert_eq!(show(Guc::work_mem, "1025"), "1025kB");
        assert_eq!(show(Guc::work_mem, "1GB"), "1GB");
        assert_eq!(show(Guc::shared_buffers, "16384"), "128MB");
        assert_eq!(show(Guc::shared_buffers, "128MB"), "128MB");
        assert_eq!(show(Guc::temp_buffers, "1024"), "8MB");
    }

    #[test]
    fn time_units_print_like_postgres() {
        assert_eq!(show(Guc::statement_timeout, "1500ms"), "1500ms");
        assert_eq!(show(Guc::statement_timeout, "60000"), "1min");
        assert_eq!(show(Guc::statement_timeout, "5 min"), "5min");
        assert_eq!(show(Guc::statement_timeout, "0"), "0");
        assert_eq!(show(Guc::log_min_duration_statement, "-1"), "-1");
    }

    #[test]
    fn bad_values_get_postgres_errors() {
        let e = parse(Guc::work_mem, "10").unwrap_err();
        assert_eq!(e.message(), "10 kB is outside the valid range for parameter \"work_mem\" (64 .. 2147483647)");
        let e = parse(Guc::statement_timeout, "5x").unwrap_err();
        assert_eq!(
            e.hint(),
            Some("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".")
        );
        let e = parse(Guc::work_mem, "100000000000").unwrap_err();
        assert_eq!(e.hint(), Some("Value exceeds integer range."));
        assert!(parse(Guc::fsync, "maybe").unwrap_err().message().contains("requires a Boolean value"));
        assert_eq!(parse(Guc::fsync, "of").unwrap(), Value::Bool(false));
        assert_eq!(parse(Guc::fsync, "t").unwrap(), Value::Bool(true));
    }
}
