//! A session's settings, with PostgreSQL's transactional `SET`.
//!
//! ```text
//!  reset value ── RESET ──┐
//!  session value ◄── commit of SET ── current value ◄── SET / SET LOCAL
//!                 ──── end of transaction (abort, or any end for LOCAL) ──►
//! ```
//!
//! `SET` inside a transaction that aborts is undone; `SET LOCAL` lasts until
//! the end of the transaction either way. Settings marked for reporting are
//! sent to the client (ParameterStatus) whenever their value differs from the
//! last one reported.

use super::custom::{self, Placeholders};
use super::guc::{self, Context, Guc, Value};
use super::{Config, Source, value_int, value_str};
use crate::err;
use crate::error::{Error, Result, SqlState};

/// Where a session-level change comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetSource {
    /// The startup packet (`options`, `application_name`, …).
    Startup,
    /// `SET`, `set_config()`, `RESET`.
    Session,
}

#[derive(Debug, Clone)]
pub struct Settings {
    current: Vec<Value>,
    /// Values as of the last transaction end (what an abort returns to).
    committed: Vec<Value>,
    /// What `RESET` returns to: server configuration plus startup options.
    reset: Vec<Value>,
    /// Settings changed in the current transaction; `true` when by `SET` (not LOCAL).
    touched: Vec<(Guc, bool)>,
    last_reported: Vec<Option<Value>>,
    /// Whether a value may have changed since the last report (a report
    /// is asked for after every query; most change nothing).
    unreported: bool,
    /// Where each server-wide value came from, and which settings the
    /// connection's start set, from where: the startup packet or
    /// `pg_db_role_setting` (`pg_settings.source`).
    config_sources: Vec<Source>,
    at_start: Vec<Option<Source>>,
    /// Custom (dotted) settings set in the session (see [`custom`]).
    custom: Placeholders,
}

impl Settings {
    pub fn new(config: &Config) -> Settings {
        let values = config.values().to_vec();
        Settings {
            current: values.clone(),
            committed: values.clone(),
            reset: values,
            touched: Vec::new(),
            last_reported: vec![None; guc::ALL.len()],
            unreported: true,
            config_sources: guc::ALL.iter().map(|&g| config.source(g)).collect(),
            at_start: vec![None; guc::ALL.len()],
            custom: Placeholders::default(),
        }
    }

    /// What `RESET` would return the setting to.
    pub fn reset_value(&self, guc: Guc) -> &Value {
        &self.reset[guc as usize]
    }

    /// Where the current value came from: a `SET` when it differs from
    /// what `RESET` returns to, else the startup packet or the server's
    /// configuration.
    pub fn source(&self, guc: Guc) -> Source {
        let i = guc as usize;
        if self.current[i] != self.reset[i] {
            Source::Session
        } else {
            self.at_start[i].unwrap_or(self.config_sources[i])
        }
    }

    pub fn get(&self, guc: Guc) -> &Value {
        &self.current[guc as usize]
    }

    pub fn int(&self, guc: Guc) -> i64 {
        value_int(self.get(guc))
    }

    pub fn real(&self, guc: Guc) -> f64 {
        match self.get(guc) {
            Value::Real(v) => *v,
            other => value_int(other) as f64,
        }
    }

    pub fn bool(&self, guc: Guc) -> bool {
        matches!(self.get(guc), Value::Bool(true))
    }

    pub fn str(&self, guc: Guc) -> &str {
        value_str(self.get(guc))
    }

    /// The value as `SHOW` prints it.
    pub fn show(&self, guc: Guc) -> String {
        guc::display(guc, self.get(guc))
    }

    /// The value of setting `name` as `SHOW` prints it, built-in or
    /// custom; 42704 when there is none.
    pub fn show_named(&self, name: &str) -> Result<String> {
        match Guc::lookup(name) {
            Some(guc) => Ok(self.show(guc)),
            None => self.custom.get(name).map(str::to_string).ok_or_else(|| guc::unrecognized(name)),
        }
    }

    /// Apply a startup-packet setting: becomes the session's reset value.
    pub fn set_startup(&mut self, name: &str, text: &str) -> Result<()> {
        let guc = guc::lookup_or_error(name)?;
        check_context(guc, SetSource::Startup)?;
        let value = check_value(guc, guc::parse(guc, text)?)?;
        self.set_at_start(guc, value, Source::Client);
        Ok(())
    }

    /// Apply a `pg_db_role_setting` item at connection start (`source`
    /// says which kind of row it came from), unless a source that wins
    /// over it set the setting already: the rows are applied from the
    /// most specific (database and role) to the least (every database and
    /// role), and the startup packet wins over all of them.
    pub fn apply_stored(&mut self, name: &str, text: &str, source: Source, superuser: bool) -> Result<()> {
        if Guc::lookup(name).is_none() && custom::is_custom(name)? {
            // Whoever stored it was allowed to; a placeholder takes any text.
            self.custom.set_at_start(name, text);
            return Ok(());
        }
        let guc = self.validate_builtin_stored_name(name, superuser)?;
        if self.at_start[guc as usize].is_none() {
            let value = check_value(guc, guc::parse(guc, text)?)?;
            self.set_at_start(guc, value, source);
        }
        Ok(())
    }

    /// Whether `name = text` may be kept in `pg_db_role_setting` (by a
    /// superuser or not): the setting must exist, be one a session may
    /// change, and `text` must be a valid value for it (PostgreSQL's
    /// `validate_option_array_item`). The name to store it under.
    pub fn validate_stored(&self, name: &str, text: &str, superuser: bool) -> Result<String> {
        let stored = self.validate_stored_name(name, superuser)?;
        if let Some(guc) = Guc::lookup(name) {
            check_value(guc, guc::parse(guc, text)?)?;
        }
        Ok(stored)
    }

    /// The name setting `name` is kept under in `pg_db_role_setting`: it
    /// must be one a session may change, or a custom setting's, which only
    /// a superuser may store (its values cannot be checked).
    pub fn validate_stored_name(&self, name: &str, superuser: bool) -> Result<String> {
        if Guc::lookup(name).is_none() && custom::is_custom(name)? {
            if !superuser {
                return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied to set parameter \"{name}\""));
            }
            return Ok(name.to_string());
        }
        self.validate_builtin_stored_name(name, superuser).map(|guc| guc.name().to_string())
    }

    /// The built-in setting `name` for `pg_db_role_setting`: it must exist
    /// and be one a session may change.
    fn validate_builtin_stored_name(&self, name: &str, superuser: bool) -> Result<Guc> {
        let guc = guc::lookup_or_error(name)?;
        check_context(guc, SetSource::Session)?;
        if guc.def().context == Context::Superuser && !superuser {
            return Err(err!(
                SqlState::INSUFFICIENT_PRIVILEGE,
                "permission denied to set parameter \"{}\"",
                guc.name()
            ));
        }
        Ok(guc)
    }

    fn set_at_start(&mut self, guc: Guc, value: Value, source: Source) {
        self.current[guc as usize] = value.clone();
        self.committed[guc as usize] = value.clone();
        self.reset[guc as usize] = value;
        self.unreported = true;
        self.at_start[guc as usize] = Some(source);
    }

    /// A value the server sets for the session (`session_authorization`,
    /// `is_superuser`): it becomes what `RESET` returns to.
    pub fn set_internal(&mut self, guc: Guc, text: &str) -> Result<()> {
        let value = guc::parse(guc, text)?;
        self.current[guc as usize] = value.clone();
        self.committed[guc as usize] = value.clone();
        self.reset[guc as usize] = value;
        self.unreported = true;
        Ok(())
    }

    /// Make the placeholder of custom setting `name` if it has none, as
    /// PostgreSQL does when it checks an `ALTER ROLE … SET` item.
    pub fn declare_custom(&mut self, name: &str) {
        if Guc::lookup(name).is_none() && custom::is_custom(name).unwrap_or(false) {
            self.custom.declare(name);
        }
    }

    /// `SET [LOCAL] name = value`; `None` means `DEFAULT` (as RESET).
    pub fn set(&mut self, name: &str, text: Option<&str>, local: bool) -> Result<()> {
        let Some(guc) = Guc::lookup(name) else {
            if custom::is_custom(name)? {
                self.custom.set(name, text, local);
                return Ok(());
            }
            return Err(guc::unrecognized(name));
        };
        check_context(guc, SetSource::Session)?;
        let value = match text {
            Some(t) => check_value(guc, guc::parse(guc, t)?)?,
            None => self.reset[guc as usize].clone(),
        };
        self.current[guc as usize] = value;
        self.unreported = true;
        match self.touched.iter_mut().find(|(g, _)| *g == guc) {
            Some(entry) => entry.1 |= !local,
            None => self.touched.push((guc, !local)),
        }
        Ok(())
    }

    /// `RESET ALL`: every setting a session may change goes back to its reset value.
    pub fn reset_all(&mut self) {
        for &guc in guc::ALL {
            if guc.def().context >= Context::Superuser && guc != Guc::data_directory {
                // Cannot fail: reset values were checked when they were set.
                let _ = self.set(guc.name(), None, false);
            }
        }
        self.custom.reset_all();
    }

    /// The transaction ended: keep (commit) or undo (abort) its `SET`s; `SET LOCAL`s end either way.
    pub fn end_transaction(&mut self, commit: bool) {
        for (guc, session) in std::mem::take(&mut self.touched) {
            let i = guc as usize;
            if commit && session {
                // PostgreSQL keeps the last SET's value; a later SET LOCAL in
                // the same transaction does not survive it.
                self.committed[i] = self.current[i].clone();
            }
            self.current[i] = self.committed[i].clone();
            self.unreported = true;
        }
        self.custom.end_transaction(commit);
    }

    /// Reported settings whose value changed since last reported, formatted.
    pub fn take_changed_reports(&mut self) -> Vec<(&'static str, String)> {
        // Asked after every query: only the few reported settings are looked at.
        static REPORTED: std::sync::LazyLock<Vec<Guc>> =
            std::sync::LazyLock::new(|| guc::ALL.iter().copied().filter(|g| g.def().report).collect());
        let mut out = Vec::new();
        if !std::mem::take(&mut self.unreported) {
            return out;
        }
        for &guc in REPORTED.iter() {
            let i = guc as usize;
            if self.last_reported[i].as_ref() != Some(&self.current[i]) {
                self.last_reported[i] = Some(self.current[i].clone());
                out.push((guc.name(), self.show(guc)));
            }
        }
        out
    }
}

fn check_context(guc: Guc, source: SetSource) -> Result<()> {
    let name = guc.name();
    let problem = match guc.def().context {
        Context::Internal => "cannot be changed",
        Context::Postmaster => "cannot be changed without restarting the server",
        Context::Sighup => "cannot be changed now",
        Context::SuperuserBackend if source == SetSource::Session => "cannot be set after connection start",
        _ => return Ok(()),
    };
    Err(err!(SqlState::CANT_CHANGE_RUNTIME_PARAM, "parameter \"{name}\" {problem}"))
}

/// Checks and normalisation beyond the type's own (PostgreSQL's check hooks).
fn check_value(guc: Guc, value: Value) -> Result<Value> {
    let text = value_str(&value).to_string();
    let invalid =
        || err!(SqlState::INVALID_PARAMETER_VALUE, "invalid value for parameter \"{}\": \"{text}\"", guc.name());
    Ok(match guc {
        Guc::client_encoding => Value::Str(normalize_encoding(&text)?.into()),
        Guc::DateStyle => Value::Str(normalize_datestyle(&text).ok_or_else(invalid)?.into()),
        Guc::TimeZone => Value::Str(normalize_timezone(&text).ok_or_else(invalid)?.into()),
        Guc::application_name => {
            // As PostgreSQL: printable ASCII only, at most 63 bytes.
            let cleaned: String =
                text.chars().map(|c| if (' '..='~').contains(&c) { c } else { '?' }).take(63).collect();
            Value::Str(cleaned.into())
        }
        _ => value,
    })
}

/// tusk stores text as UTF-8; clients may speak UTF8, or SQL_ASCII (no conversion).
pub fn normalize_encoding(name: &str) -> Result<&'static str> {
    let key: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    match key.as_str() {
        "utf8" | "unicode" => Ok("UTF8"),
        "sqlascii" => Ok("SQL_ASCII"),
        _ => Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("conversion between {} and UTF8 is not supported", name.to_uppercase()),
        )
        .with_hint("tusk speaks UTF8 (or SQL_ASCII without conversion) to clients; set client_encoding to UTF8.")),
    }
}

/// `DateStyle`: an output format and/or a field order, printed as `ISO, MDY`.
fn normalize_datestyle(text: &str) -> Option<String> {
    let (mut format, mut order) = (None, None);
    for part in text.split(',').map(|p| p.trim().to_ascii_lowercase()) {
        match part.as_str() {
            "iso" => format = Some("ISO"),
            "sql" => format = Some("SQL"),
            "postgres" => format = Some("Postgres"),
            "german" => format = Some("German"),
            "mdy" | "us" | "noneuropean" => order = Some("MDY"),
            "dmy" | "euro" | "european" => order = Some("DMY"),
            "ymd" => order = Some("YMD"),
            "default" => {}
            _ => return None,
        }
    }
    Some(format!("{}, {}", format.unwrap_or("ISO"), order.unwrap_or("MDY")))
}

/// Time zone names: UTC spellings, POSIX-style offsets, or a zone in the
/// system's zoneinfo database.
fn normalize_timezone(text: &str) -> Option<String> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    if matches!(upper.as_str(), "UTC" | "GMT" | "Z" | "ZULU" | "UCT" | "ETC/UTC" | "ETC/GMT" | "UNIVERSAL") {
        return Some(if upper.starts_with("ETC/") { t.to_string() } else { upper });
    }
    let numeric = t.strip_prefix(['+', '-']).unwrap_or(t);
    if !numeric.is_empty() && numeric.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '.') {
        return Some(t.to_string());
    }
    let safe = !t.is_empty() && !t.contains("..") && !t.starts_with('/');
    (safe && std::path::Path::new("/usr/share/zoneinfo").join(t).is_file()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::new(&Config::defaults("/nonexistent"))
    }

    #[test]
    fn set_is_undone_by_abort_and_kept_by_commit() {
        let mut s = settings();
        s.set("work_mem", Some("1MB"), false).unwrap();
        s.end_transaction(false);
        assert_eq!(s.show(Guc::work_mem), "4MB");
        s.set("work_mem", Some("2MB"), false).unwrap();
        s.end_transaction(true);
        assert_eq!(s.show(Guc::work_mem), "2MB");
        s.set("work_mem", Some("3MB"), true).unwrap();
        assert_eq!(s.show(Guc::work_mem), "3MB");
        s.end_transaction(true);
        assert_eq!(s.show(Guc::work_mem), "2MB");
    }

    #[test]
    fn contexts_are_enforced() {
        let mut s = settings();
        let e = s.set("max_connections", Some("5"), false).unwrap_err();
        assert_eq!(e.code(), SqlState::CANT_CHANGE_RUNTIME_PARAM);
        assert_eq!(e.message(), "parameter \"max_connections\" cannot be changed without restarting the server");
        assert_eq!(s.set("nope", Some("1"), false).unwrap_err().code(), SqlState::UNDEFINED_OBJECT);
    }

    #[test]
    fn reports_only_changes() {
        let mut s = settings();
        let first = s.take_changed_reports();
        assert!(first.iter().any(|(n, v)| *n == "server_version" && v.starts_with("16.")));
        assert!(s.take_changed_reports().is_empty());
        s.set("application_name", Some("x"), false).unwrap();
        assert_eq!(s.take_changed_reports(), vec![("application_name", "x".to_string())]);
        s.set("datestyle", Some("iso, dmy"), false).unwrap();
        assert_eq!(s.show(Guc::DateStyle), "ISO, DMY");
    }
}
