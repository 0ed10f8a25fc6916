//! Configuration: where settings come from and how they are read.
//!
//! A setting's value is decided in this order, later sources winning:
//! built-in default → `<data>/tusk.conf` (or `--config FILE`) → `TUSK_<NAME>`
//! environment variables → command line (`--port`, `-c name=value`) →
//! the client's startup packet → `SET` in the session.
//!
//! [`Config`] holds the server-wide result of the first four; each session
//! starts a [`Settings`] from it and layers the last two on top, with
//! PostgreSQL's transactional behaviour for `SET` and `SET LOCAL`.

mod custom;
pub mod guc;
mod session;

use std::path::{Path, PathBuf};

use crate::err;
use crate::error::{Error, Result, SqlState};
pub use guc::{Context, Guc, Value};
pub use session::Settings;

/// What the command line asked for; see `tusk --help`.
#[derive(Debug, Default, Clone)]
pub struct CommandLine {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub port: Option<u16>,
    pub config_file: Option<PathBuf>,
    /// `-c name=value` pairs in order.
    pub settings: Vec<(String, String)>,
}

/// Where a setting's current value came from (`pg_settings.source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    ConfigFile,
    Environment,
    CommandLine,
    /// `ALTER ROLE ALL SET` (`pg_db_role_setting`, any database and role).
    Global,
    /// `ALTER DATABASE d SET`.
    Database,
    /// `ALTER ROLE r SET`.
    User,
    /// `ALTER ROLE r IN DATABASE d SET`.
    DatabaseUser,
    Client,
    Session,
}

impl Source {
    /// How `pg_settings.source` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::ConfigFile => "configuration file",
            Source::Environment => "environment variable",
            Source::CommandLine => "command line",
            Source::Global => "global",
            Source::Database => "database",
            Source::User => "user",
            Source::DatabaseUser => "database user",
            Source::Client => "client",
            Source::Session => "session",
        }
    }
}

/// Backend threads per CPU by default. More than one: a thread that runs
/// sessions without pause is the first the kernel preempts when a client
/// on the same machine (pgbench, an application server) wakes, and every
/// session on it then waits; with a few threads per core each runs in
/// short bursts, as PostgreSQL's processes do. pgbench select-only at 32
/// clients on 2 cores: about 1.2-1.4 times the throughput of one thread
/// per core.
pub const THREADS_PER_CPU: usize = 4;

/// The server-wide configuration, fixed at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    values: Vec<Value>,
    sources: Vec<Source>,
}

impl Config {
    /// Built-in defaults only, for the given data directory.
    pub fn defaults(data_dir: impl Into<PathBuf>) -> Config {
        let data_dir = data_dir.into();
        let mut c = Config {
            values: guc::ALL.iter().map(|g| g.default_value()).collect(),
            sources: vec![Source::Default; guc::ALL.len()],
            data_dir: PathBuf::new(),
        };
        c.set_data_dir(data_dir);
        c
    }

    fn set_data_dir(&mut self, dir: PathBuf) {
        self.values[Guc::data_directory as usize] = Value::Str(dir.display().to_string().into());
        self.data_dir = dir;
    }

    /// Read every source but the client's, in order.
    pub fn load(cli: &CommandLine, env: impl Iterator<Item = (String, String)>) -> Result<Config> {
        let env: Vec<(String, String)> = env.filter(|(k, _)| k.starts_with("TUSK_")).collect();
        let env_data_dir = env.iter().find(|(k, _)| k == "TUSK_DATA_DIR").map(|(_, v)| PathBuf::from(v));
        let data_dir = cli.data_dir.clone().or(env_data_dir).unwrap_or_else(|| PathBuf::from("tusk-data"));
        let mut config = Config::defaults(data_dir);

        let file = cli.config_file.clone().unwrap_or_else(|| config.data_dir.join("tusk.conf"));
        match std::fs::read_to_string(&file) {
            Ok(text) => config.apply_file(&file, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && cli.config_file.is_none() => {}
            Err(e) => {
                return Err(err!(
                    SqlState::CONFIG_FILE_ERROR,
                    "could not read configuration file \"{}\": {e}",
                    file.display()
                ));
            }
        }
        for (key, value) in &env {
            let name = key["TUSK_".len()..].to_ascii_lowercase();
            // Variables that are not settings: the data directory and the
            // superuser's initial password.
            if name == "data_dir" || name == "password" {
                continue;
            }
            let guc = guc::lookup_or_error(&name)
                .map_err(|e| Error::new(e.code(), format!("environment variable {key}: {}", e.message())))?;
            config.set(guc, value, Source::Environment)?;
        }
        if let Some(listen) = &cli.listen {
            config.set(Guc::listen_addresses, listen, Source::CommandLine)?;
        }
        if let Some(port) = cli.port {
            config.set(Guc::port, &port.to_string(), Source::CommandLine)?;
        }
        for (name, value) in &cli.settings {
            config.set(guc::lookup_or_error(name)?, value, Source::CommandLine)?;
        }
        Ok(config)
    }

    /// Parse `tusk.conf`: PostgreSQL's `name = value  # comment` lines.
    fn apply_file(&mut self, path: &Path, text: &str) -> Result<()> {
        for (lineno, line) in text.lines().enumerate() {
            let parsed = parse_conf_line(line).map_err(|msg| {
                err!(SqlState::CONFIG_FILE_ERROR, "{msg} in file \"{}\" line {}", path.display(), lineno + 1)
            })?;
            if let Some((name, value)) = parsed {
                let guc = guc::lookup_or_error(&name).map_err(|e| {
                    Error::new(e.code(), format!("{} in file \"{}\" line {}", e.message(), path.display(), lineno + 1))
                })?;
                self.set(guc, &value, Source::ConfigFile)?;
            }
        }
        Ok(())
    }

    /// Set a server-wide value from one of the start-up sources.
    pub fn set(&mut self, guc: Guc, text: &str, source: Source) -> Result<()> {
        if guc.def().context == Context::Internal {
            return Err(err!(SqlState::CANT_CHANGE_RUNTIME_PARAM, "parameter \"{}\" cannot be changed", guc.name()));
        }
        if guc == Guc::data_directory {
            self.set_data_dir(PathBuf::from(text));
        } else {
            self.values[guc as usize] = guc::parse(guc, text)?;
        }
        self.sources[guc as usize] = source;
        Ok(())
    }

    pub fn get(&self, guc: Guc) -> &Value {
        &self.values[guc as usize]
    }

    pub fn source(&self, guc: Guc) -> Source {
        self.sources[guc as usize]
    }

    pub(crate) fn values(&self) -> &[Value] {
        &self.values
    }

    pub fn int(&self, guc: Guc) -> i64 {
        value_int(self.get(guc))
    }

    pub fn bool(&self, guc: Guc) -> bool {
        matches!(self.get(guc), Value::Bool(true))
    }

    pub fn real(&self, guc: Guc) -> f64 {
        match self.get(guc) {
            Value::Real(r) => *r,
            other => value_int(other) as f64,
        }
    }

    pub fn str(&self, guc: Guc) -> &str {
        value_str(self.get(guc))
    }

    pub fn port(&self) -> u16 {
        self.int(Guc::port) as u16
    }

    /// How many backend threads run sessions: `backend_threads`, or
    /// [`THREADS_PER_CPU`] per CPU.
    pub fn backend_threads(&self) -> usize {
        match self.int(Guc::backend_threads) {
            n if n > 0 => n as usize,
            _ => THREADS_PER_CPU * std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// How many backend threads accept connections: one per CPU (each
    /// one wakes for every new connection).
    pub fn accept_threads(&self) -> usize {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.backend_threads().min(cpus)
    }

    pub fn max_connections(&self) -> usize {
        self.int(Guc::max_connections) as usize
    }

    /// `listen_addresses` split into entries; `*` means every interface.
    pub fn listen_addresses(&self) -> Vec<String> {
        split_list(self.str(Guc::listen_addresses))
    }

    pub fn unix_socket_directories(&self) -> Vec<PathBuf> {
        split_list(self.str(Guc::unix_socket_directories)).into_iter().map(PathBuf::from).collect()
    }

    /// The metrics endpoint's address, or `None` when disabled.
    pub fn metrics_listen(&self) -> Option<&str> {
        Some(self.str(Guc::metrics_listen).trim()).filter(|s| !s.is_empty())
    }
}

pub(crate) fn value_int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Real(r) => *r as i64,
        Value::Bool(b) => *b as i64,
        Value::Str(_) => 0,
    }
}

pub(crate) fn value_str(v: &Value) -> &str {
    match v {
        Value::Str(s) => s,
        _ => "",
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// One line of a configuration file: `None` for blank or comment lines.
fn parse_conf_line(line: &str) -> std::result::Result<Option<(String, String)>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let name_end = line.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(line.len());
    let name = &line[..name_end];
    let rest = line[name_end..].trim_start();
    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
    let value = if let Some(quoted) = rest.strip_prefix('\'') {
        let mut out = String::new();
        let mut chars = quoted.chars();
        loop {
            match chars.next() {
                None => return Err("unterminated quoted string".into()),
                Some('\'') if chars.as_str().starts_with('\'') => {
                    chars.next();
                    out.push('\'');
                }
                Some('\'') => break,
                Some('\\') => {
                    if let Some(c) = chars.next() {
                        out.push(c);
                    }
                }
                Some(c) => out.push(c),
            }
        }
        let tail = chars.as_str().trim();
        if !(tail.is_empty() || tail.starts_with('#')) {
            return Err(format!("syntax error near \"{tail}\""));
        }
        out
    } else {
        let v = rest.split('#').next().unwrap_or("").trim();
        if v.is_empty() {
            return Err(format!("syntax error near end of line after \"{name}\""));
        }
        v.to_string()
    };
    if name.is_empty() {
        return Err("syntax error".into());
    }
    Ok(Some((name.to_string(), value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_apply_in_order() {
        let dir = std::env::temp_dir().join(format!("tusk-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("tusk.conf"), "work_mem = '8MB'  # comment\nport=6000\nmax_connections 7\n").unwrap();
        let cli = CommandLine {
            data_dir: Some(dir.clone()),
            settings: vec![("max_connections".into(), "9".into())],
            ..Default::default()
        };
        let env = vec![("TUSK_PORT".to_string(), "6001".to_string()), ("HOME".into(), "/".into())];
        let c = Config::load(&cli, env.into_iter()).unwrap();
        assert_eq!(c.int(Guc::work_mem), 8192);
        assert_eq!(c.port(), 6001);
        assert_eq!(c.max_connections(), 9);
        assert_eq!(c.source(Guc::max_connections), Source::CommandLine);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn conf_lines() {
        assert_eq!(parse_conf_line("  # x").unwrap(), None);
        assert_eq!(parse_conf_line("a = 'it''s' # c").unwrap(), Some(("a".into(), "it's".into())));
        assert!(parse_conf_line("a = 'open").is_err());
    }
}
