//! Databases as the server runs them: the registry of open databases
//! (each one's [`Catalog`] opened on first use and kept open, and the
//! [`Shared`] view its sessions read), who is connected to which, and the
//! commands that make, drop and change databases.
//!
//! A session belongs to one database for its life ([`Databases::connect`]).
//! CREATE DATABASE copies its template's files, so nobody may write to the
//! template meanwhile; DROP DATABASE removes files, so nobody may be in
//! the database. Both mark the database *busy* while they work, under the
//! registry's lock: a connection to a busy database waits until it is not,
//! and then finds it as the command left it.
//!
//! Order of the durable steps (crash safety):
//! - CREATE: copy and sync the files, log that, commit the `pg_database`
//!   row. A crash before the commit leaves files no row names, which the
//!   next start removes ([`Databases::remove_orphans`]).
//! - DROP: commit the deletion of the row, log the removal, remove the
//!   files. A crash between leaves files no row names, removed likewise.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::{Interrupts, Session, Shared};
use crate::catalog::database::{Database, DatabaseChange};
use crate::catalog::{Catalog, POSTGRES_DB, TEMPLATE0_DB, TEMPLATE1_DB};
use crate::config::Config;
use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::metrics::Metrics;
use crate::sql::database::{AlterDatabase, DatabaseStmt, DbOption};
use crate::storage::engine::Engine;
use crate::txn::TransactionManager;

/// How long DROP DATABASE waits for the sessions it terminated (or
/// autovacuum) to leave, as PostgreSQL waits 5 seconds.
const LEAVE_WAIT: Duration = Duration::from_secs(5);

/// One session (or autovacuum, with a negative id) in a database.
struct Member {
    pid: i32,
    interrupts: Arc<Interrupts>,
    terminate: CancellationToken,
}

#[derive(Default)]
struct State {
    /// Open databases: the catalog, and the shared view while some session uses it.
    open: HashMap<u32, (Arc<Catalog>, Weak<Shared>)>,
    /// Who is connected, per database.
    members: HashMap<u32, Vec<Member>>,
    /// Databases a CREATE (as template) or DROP DATABASE is working on.
    busy: Vec<u32>,
}

/// The registry of databases (see the module doc).
pub struct Databases {
    engine: Arc<Engine>,
    txns: Arc<TransactionManager>,
    config: Config,
    metrics: Arc<Metrics>,
    state: Mutex<State>,
    /// One CREATE, DROP or ALTER DATABASE at a time.
    ddl: Mutex<()>,
    /// `pg_database` as last read, and the cluster catalog version it was
    /// read at (see [`Databases::list`]).
    listed: Mutex<Option<(u64, Arc<Vec<Database>>)>>,
}

/// A session's (or autovacuum's) membership of a database; leaves it when dropped.
pub struct Connection {
    databases: Arc<Databases>,
    db: u32,
    pid: i32,
    /// Cancelled when DROP DATABASE … WITH (FORCE) terminates the session.
    pub terminate: CancellationToken,
}

impl Drop for Connection {
    fn drop(&mut self) {
        let mut state = self.databases.state.lock();
        if let Some(list) = state.members.get_mut(&self.db) {
            list.retain(|m| m.pid != self.pid);
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Connection({}, {})", self.db, self.pid)
    }
}

impl Databases {
    /// The registry of a cluster whose `template1` catalog is `template1`
    /// (opened, and bootstrapped if new, by the caller). On a new cluster
    /// this makes `postgres` and `template0` as copies of `template1`, as
    /// initdb does; after a crash, it removes the files of databases that
    /// do not exist and empties every database's UNLOGGED relations.
    pub fn open(
        template1: Arc<Catalog>,
        engine: Arc<Engine>,
        txns: Arc<TransactionManager>,
        config: Config,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Databases>> {
        let databases = Arc::new(Databases {
            engine,
            txns,
            config,
            metrics,
            state: Mutex::new(State::default()),
            ddl: Mutex::new(()),
            listed: Mutex::new(None),
        });
        databases.state.lock().open.insert(TEMPLATE1_DB, (template1.clone(), Weak::new()));
        for db in [POSTGRES_DB, TEMPLATE0_DB] {
            if !databases.engine.smgr.database_dir(db).exists() {
                tracing::info!(db, "creating database as a copy of template1");
                databases.engine.create_database(TEMPLATE1_DB, db)?;
            }
        }
        databases.remove_orphans()?;
        let recovered = databases.engine.recovered();
        for db in template1.read_committed(|who| template1.databases(who))? {
            let catalog = databases.catalog(db.oid);
            if recovered {
                catalog.reset_unlogged()?;
            }
            // Temporary relations of sessions that ended without dropping
            // them (a crash, or a failed cleanup) go, in every database.
            catalog.remove_leftover_temp_relations()?;
        }
        Ok(databases)
    }

    /// Remove the files of databases `pg_database` does not list (see the
    /// module doc), and the scratch directories of interrupted copies.
    fn remove_orphans(&self) -> Result<()> {
        self.engine.smgr.remove_scratch_directories()?;
        let catalog = self.catalog(TEMPLATE1_DB);
        let listed: Vec<u32> = catalog.read_committed(|who| catalog.databases(who))?.iter().map(|d| d.oid).collect();
        for db in self.engine.smgr.databases_on_disk()? {
            if db != crate::catalog::SHARED_DB && !listed.contains(&db) {
                self.engine.remove_orphan_database(db)?;
            }
        }
        Ok(())
    }

    /// Database `db`'s catalog, opened if it is not yet.
    pub fn catalog(&self, db: u32) -> Arc<Catalog> {
        let mut state = self.state.lock();
        state
            .open
            .entry(db)
            .or_insert_with(|| {
                (Arc::new(Catalog::of_database(self.engine.clone(), self.txns.clone(), db)), Weak::new())
            })
            .0
            .clone()
    }

    /// The process-wide state as database `db`'s sessions see it.
    pub fn shared(self: &Arc<Self>, db: u32) -> Arc<Shared> {
        let catalog = self.catalog(db);
        let mut state = self.state.lock();
        let entry = state.open.entry(db).or_insert_with(|| (catalog.clone(), Weak::new()));
        if let Some(shared) = entry.1.upgrade() {
            return shared;
        }
        let shared = Arc::new(Shared {
            catalog,
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            engine: self.engine.clone(),
            txns: self.txns.clone(),
            databases: self.clone(),
        });
        entry.1 = Arc::downgrade(&shared);
        shared
    }

    /// The open databases' catalogs (autovacuum's round, statistics).
    pub fn open_catalogs(&self) -> Vec<Arc<Catalog>> {
        let mut out: Vec<Arc<Catalog>> = self.state.lock().open.values().map(|e| e.0.clone()).collect();
        out.sort_by_key(|c| c.database());
        out
    }

    /// `pg_database` as committed now. Read again only after a catalog
    /// change commits, as [`Catalog::committed_roles`] is: every new
    /// connection looks its database up here, twice.
    pub fn list(&self) -> Result<Arc<Vec<Database>>> {
        let version = crate::catalog::cluster_version();
        if let Some((v, list)) = &*self.listed.lock() {
            if *v == version {
                return Ok(list.clone());
            }
        }
        let catalog = self.catalog(TEMPLATE1_DB);
        let list = Arc::new(catalog.read_committed(|who| catalog.databases(who))?);
        *self.listed.lock() = Some((version, list.clone()));
        Ok(list)
    }

    /// A new session's (or autovacuum's, `pid` < 0) entry into database
    /// `name`: 3D000 if there is none, 55000 if it refuses connections,
    /// 53300 past its connection limit. Waits while a CREATE or DROP
    /// DATABASE works on it (55006 after a minute, at once for autovacuum).
    pub async fn connect(self: &Arc<Self>, name: &str, pid: i32, interrupts: Arc<Interrupts>) -> Result<Connection> {
        let started = Instant::now();
        loop {
            if let Some(connection) = self.try_connect(name, pid, &interrupts)? {
                return Ok(connection);
            }
            if pid < 0 || started.elapsed() > Duration::from_secs(60) {
                return Err(err!(SqlState::OBJECT_IN_USE, "database \"{name}\" is being accessed by other users"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// One attempt of [`Databases::connect`]: `None` while the database is
    /// busy with a CREATE or DROP DATABASE, or was renamed or dropped and
    /// made again while this looked.
    fn try_connect(self: &Arc<Self>, name: &str, pid: i32, interrupts: &Arc<Interrupts>) -> Result<Option<Connection>> {
        let list = self.list()?;
        let Some(db) = list.iter().find(|d| d.name == name) else {
            return Err(err!(SqlState::INVALID_CATALOG_NAME, "database \"{name}\" does not exist"));
        };
        if !db.allow_connections {
            return Err(err!(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "database \"{name}\" is not currently accepting connections"
            ));
        }
        let mut state = self.state.lock();
        if state.busy.contains(&db.oid) {
            return Ok(None);
        }
        let members = state.members.entry(db.oid).or_default();
        let sessions = members.iter().filter(|m| m.pid > 0).count() as i32;
        if pid > 0 && db.connection_limit >= 0 && sessions >= db.connection_limit {
            return Err(err!(SqlState::TOO_MANY_CONNECTIONS, "too many connections for database \"{name}\""));
        }
        let terminate = CancellationToken::new();
        members.push(Member { pid, interrupts: interrupts.clone(), terminate: terminate.clone() });
        drop(state);
        let connection = Connection { databases: self.clone(), db: db.oid, pid, terminate };
        // A DROP or RENAME that finished just before may have changed the
        // row since it was read (dropping `connection` leaves again).
        Ok(match self.list()?.iter().find(|d| d.oid == db.oid) {
            Some(now) if now.name == name => Some(connection),
            _ => None,
        })
    }

    /// Autovacuum's entry into open database `db` (`pid` < 0), unless a
    /// CREATE or DROP DATABASE is working on it.
    pub fn enter(self: &Arc<Self>, db: u32, pid: i32) -> Option<Connection> {
        let mut state = self.state.lock();
        if state.busy.contains(&db) || !state.open.contains_key(&db) {
            return None;
        }
        let terminate = CancellationToken::new();
        let member = Member { pid, interrupts: Arc::new(Interrupts::default()), terminate: terminate.clone() };
        state.members.entry(db).or_default().push(member);
        Some(Connection { databases: self.clone(), db, pid, terminate })
    }

    /// The database a connection is in.
    pub fn database_of(connection: &Connection) -> u32 {
        connection.db
    }

    /// Mark `db` busy once no session but `me` is connected to it: with
    /// `force` the others are terminated first; without, they are given
    /// 5 seconds to leave, as PostgreSQL gives them. Then waits for
    /// autovacuum to leave. The error names how many others stayed.
    fn claim(&self, db: u32, me: i32, force: bool, error: impl Fn(usize) -> Error) -> Result<Busy<'_>> {
        let started = Instant::now();
        loop {
            let mut state = self.state.lock();
            let others: Vec<&Member> = state
                .members
                .get(&db)
                .map(|l| l.iter().filter(|m| m.pid > 0 && m.pid != me).collect())
                .unwrap_or_default();
            if others.is_empty() || force {
                for m in others {
                    m.interrupts.terminate();
                    m.terminate.cancel();
                }
                state.busy.push(db);
                break;
            }
            if started.elapsed() > LEAVE_WAIT {
                return Err(error(others.len()));
            }
            drop(state);
            // Cooperatively: a session to wait for may run on this thread.
            crate::txn::wait::sleep(Instant::now() + Duration::from_millis(20));
        }
        let busy = Busy { databases: self, db };
        let started = Instant::now();
        loop {
            let left = self.state.lock().members.get(&db).map_or(0, |l| l.iter().filter(|m| m.pid != me).count());
            if left == 0 {
                return Ok(busy);
            }
            if started.elapsed() > LEAVE_WAIT {
                return Err(error(left));
            }
            crate::txn::wait::sleep(Instant::now() + Duration::from_millis(10));
        }
    }
}

/// A database marked busy; unmarked when dropped.
struct Busy<'a> {
    databases: &'a Databases,
    db: u32,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.databases.state.lock().busy.retain(|&d| d != self.db);
    }
}

/// DETAIL of 55006 for `n` other sessions.
fn others_detail(n: usize) -> String {
    if n == 1 {
        "There is 1 other session using the database.".to_string()
    } else {
        format!("There are {n} other sessions using the database.")
    }
}

fn parse_bool(option: &DbOption) -> Result<bool> {
    let v = option.value.as_deref().unwrap_or("");
    match v.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" | "t" | "y" => Ok(true),
        "false" | "off" | "no" | "0" | "f" | "n" => Ok(false),
        _ => Err(err!(SqlState::INVALID_PARAMETER_VALUE, "{} requires a Boolean value", option.name)),
    }
}

fn parse_limit(option: &DbOption) -> Result<i32> {
    let v = option.value.as_deref().unwrap_or("-1");
    let n: i32 = v.parse().map_err(|_| err!(SqlState::INVALID_PARAMETER_VALUE, "invalid connection limit: {v}"))?;
    if n < -1 {
        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "invalid connection limit: {n}"));
    }
    Ok(n)
}

/// A role's OID by name, as committed now (42704 if there is none):
/// the database commands run outside any transaction block.
fn role(catalog: &Catalog, name: &str) -> Result<u32> {
    Ok(catalog.committed_role(name)?.ok_or_else(|| crate::catalog::roles::no_role(name))?.oid)
}

impl Session {
    /// The database's registry entry this session holds (set at startup).
    pub fn set_connection(&mut self, connection: Connection) {
        self.connection = Some(connection);
    }

    /// Cancelled when the session is terminated by DROP DATABASE … FORCE.
    pub fn terminate_token(&self) -> Option<CancellationToken> {
        self.connection.as_ref().map(|c| c.terminate.clone())
    }

    /// CREATE, DROP or ALTER DATABASE.
    pub(super) fn database_statement(&mut self, stmt: &DatabaseStmt) -> Result<()> {
        let what = match stmt {
            DatabaseStmt::Create { .. } => "CREATE DATABASE",
            DatabaseStmt::Drop { .. } => "DROP DATABASE",
            DatabaseStmt::Alter { .. } => "ALTER DATABASE",
        };
        let alter_in_block = matches!(stmt, DatabaseStmt::Alter { .. });
        if !alter_in_block && (self.block.is_some() || self.implicit_multi) {
            return Err(err!(SqlState::ACTIVE_SQL_TRANSACTION, "{what} cannot run inside a transaction block"));
        }
        if alter_in_block && (self.block.is_some() || self.implicit_multi) {
            return Err(Error::not_supported("ALTER DATABASE inside a transaction block"));
        }
        let databases = self.shared.databases.clone();
        let _one = databases.ddl.lock();
        match stmt {
            DatabaseStmt::Create { name, options } => self.create_database(&databases, name, options),
            DatabaseStmt::Drop { name, if_exists, force } => self.drop_database(&databases, name, *if_exists, *force),
            DatabaseStmt::Alter { name, action } => self.alter_database(&databases, name, action),
        }
    }

    fn create_database(&mut self, databases: &Databases, name: &str, options: &[DbOption]) -> Result<()> {
        let mut owner = None;
        let mut template = "template1".to_string();
        let mut change = DatabaseChange::default();
        let mut seen: Vec<&str> = Vec::new();
        for option in options {
            if seen.contains(&option.name.as_str()) {
                return Err(err!(SqlState::SYNTAX_ERROR, "conflicting or redundant options"));
            }
            seen.push(&option.name);
            let value = option.value.as_deref();
            match option.name.as_str() {
                "owner" => owner = value.map(|v| role(&self.shared.catalog, v)).transpose()?,
                "template" => template = value.unwrap_or("template1").to_string(),
                "encoding" => {
                    if let Some(v) = value
                        && !matches!(v.to_ascii_lowercase().as_str(), "utf8" | "utf-8" | "unicode" | "6")
                    {
                        return Err(Error::not_supported(format!("encoding \"{v}\" (only UTF8 is built)")));
                    }
                }
                "lc_collate" | "lc_ctype" | "locale" => {
                    if let Some(v) = value
                        && !matches!(v, "C" | "POSIX" | "c" | "posix")
                    {
                        return Err(Error::not_supported(format!("locale \"{v}\" (only C is built)")));
                    }
                }
                "strategy" => match value.map(str::to_ascii_lowercase).as_deref() {
                    Some("wal_log" | "file_copy") | None => {}
                    Some(v) => {
                        return Err(err!(
                            SqlState::INVALID_PARAMETER_VALUE,
                            "invalid create database strategy \"{v}\""
                        )
                        .with_hint("Valid strategies are \"wal_log\" and \"file_copy\"."));
                    }
                },
                "tablespace" => {
                    if let Some(v) = value
                        && v != "pg_default"
                    {
                        return Err(err!(SqlState::UNDEFINED_OBJECT, "tablespace \"{v}\" does not exist"));
                    }
                }
                "is_template" => change.is_template = Some(parse_bool(option)?),
                "allow_connections" => change.allow_connections = Some(parse_bool(option)?),
                "connection limit" => change.connection_limit = Some(parse_limit(option)?),
                "locale_provider" | "icu_locale" | "collation_version" | "oid" => {
                    return Err(Error::not_supported(format!("CREATE DATABASE option {}", option.name)));
                }
                other => return Err(err!(SqlState::SYNTAX_ERROR, "option \"{other}\" not recognized")),
            }
        }
        let list = databases.list()?;
        if list.iter().any(|d| d.name == name) {
            return Err(err!(SqlState::DUPLICATE_DATABASE, "database \"{name}\" already exists"));
        }
        let Some(source) = list.iter().find(|d| d.name == template).cloned() else {
            return Err(err!(SqlState::INVALID_CATALOG_NAME, "template database \"{template}\" does not exist"));
        };
        let owner = match owner {
            Some(o) => o,
            None => role(&self.shared.catalog, &self.user)?,
        };
        let busy = databases.claim(source.oid, self.pid, false, |n| {
            err!(SqlState::OBJECT_IN_USE, "source database \"{template}\" is being accessed by other users")
                .with_detail(others_detail(n))
        })?;
        let oid = self.shared.engine.allocate_oid()?;
        self.shared.engine.create_database(source.oid, oid)?;
        drop(busy);
        let catalog = databases.catalog(TEMPLATE1_DB);
        let written = catalog
            .in_own_transaction(self.pid, |xid| catalog.insert_database(oid, name, owner, &source, &change, xid, 0));
        if let Err(e) = written {
            let _ = self.shared.engine.remove_orphan_database(oid);
            return Err(e);
        }
        Ok(())
    }

    fn drop_database(&mut self, databases: &Databases, name: &str, if_exists: bool, force: bool) -> Result<()> {
        let Some(db) = databases.list()?.iter().find(|d| d.name == name).cloned() else {
            if if_exists {
                self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("database \"{name}\" does not exist, skipping"),
                ));
                return Ok(());
            }
            return Err(err!(SqlState::INVALID_CATALOG_NAME, "database \"{name}\" does not exist"));
        };
        if db.oid == self.shared.catalog.database() {
            return Err(err!(SqlState::OBJECT_IN_USE, "cannot drop the currently open database"));
        }
        if db.is_template {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "cannot drop a template database"));
        }
        let _busy = databases.claim(db.oid, self.pid, force, |n| {
            err!(SqlState::OBJECT_IN_USE, "database \"{name}\" is being accessed by other users")
                .with_detail(others_detail(n))
        })?;
        let catalog = databases.catalog(TEMPLATE1_DB);
        catalog.in_own_transaction(self.pid, |xid| {
            catalog.delete_database(&db, xid, 0)?;
            let snapshot = self.shared.txns.snapshot();
            let who = crate::catalog::Reader { path: None, snapshot: &snapshot, xid, cid: 0 };
            catalog.delete_db_role_settings(|s| s.database == db.oid, xid, 0, &who)
        })?;
        databases.state.lock().open.remove(&db.oid);
        self.shared.engine.drop_database(db.oid)
    }

    fn alter_database(&mut self, databases: &Databases, name: &str, action: &AlterDatabase) -> Result<()> {
        let Some(db) = databases.list()?.iter().find(|d| d.name == name).cloned() else {
            return Err(err!(SqlState::INVALID_CATALOG_NAME, "database \"{name}\" does not exist"));
        };
        let mut change = DatabaseChange::default();
        let mut _busy = None;
        match action {
            AlterDatabase::Unsupported(what) => return Err(Error::not_supported(*what)),
            // The binder makes these a role statement (`session/role_settings.rs`).
            AlterDatabase::Setting(_) => {
                return Err(Error::internal("ALTER DATABASE … SET reached the database commands"));
            }
            AlterDatabase::RenameTo(new) => {
                if databases.list()?.iter().any(|d| &d.name == new) {
                    return Err(err!(SqlState::DUPLICATE_DATABASE, "database \"{new}\" already exists"));
                }
                if db.oid == self.shared.catalog.database() {
                    return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "current database cannot be renamed"));
                }
                _busy = Some(databases.claim(db.oid, self.pid, false, |n| {
                    err!(SqlState::OBJECT_IN_USE, "database \"{name}\" is being accessed by other users")
                        .with_detail(others_detail(n))
                })?);
                change.name = Some(new.clone());
            }
            AlterDatabase::OwnerTo(owner) => change.owner = Some(role(&self.shared.catalog, owner)?),
            AlterDatabase::Options(options) => {
                for option in options {
                    match option.name.as_str() {
                        "is_template" => change.is_template = Some(parse_bool(option)?),
                        "allow_connections" => {
                            let allow = parse_bool(option)?;
                            if !allow && db.oid == self.shared.catalog.database() {
                                return Err(err!(
                                    SqlState::INVALID_PARAMETER_VALUE,
                                    "cannot disallow connections for current database"
                                ));
                            }
                            change.allow_connections = Some(allow);
                        }
                        "connection limit" => change.connection_limit = Some(parse_limit(option)?),
                        "tablespace" => return Err(Error::not_supported("ALTER DATABASE … SET TABLESPACE")),
                        other => return Err(err!(SqlState::SYNTAX_ERROR, "option \"{other}\" not recognized")),
                    }
                }
            }
        }
        let catalog = databases.catalog(TEMPLATE1_DB);
        catalog.in_own_transaction(self.pid, |xid| catalog.update_database(&db, &change, xid, 0))
    }
}
