//! The data directory: created on first start (as `initdb` would), locked
//! while a server runs in it (`tusk.pid`, like PostgreSQL's `postmaster.pid`,
//! which also tells tools the port and socket directory), and home of the
//! superuser's password verifier.

use std::path::{Path, PathBuf};

use crate::err;
use crate::error::{Result, SqlState};
use crate::protocol::Verifier;
pub use crate::storage::control::write_atomic;

const VERSION_FILE: &str = "TUSK_VERSION";
const LOCK_FILE: &str = "tusk.pid";
/// Until the role catalog exists, the superuser's verifier lives here.
const VERIFIER_FILE: &str = "global/superuser.scram";

/// The on-disk format version of a data directory. 5: varlena length
/// words carry TOAST flags, tables have TOAST relations, `pg_toast` exists;
/// `pg_constraint` exists and `relpersistence` may be `u`; views with
/// `pg_rewrite`, `pg_depend`, `pg_attrdef` and `pg_collation`; `pg_type`
/// has `bytea` and `_bytea`; TOAST relations have `pg_attribute` rows.
/// 6: row lock strengths and multixacts in tuple headers (`xmax` bits,
/// `KEYS_UPDATED`), frozen inserts, `multixact/`, and heap WAL records
/// that carry the `xmax` they write; `pg_statistic`; free-space map forks;
/// `pg_sequence`; the `information_schema` views, `pg_authid`, `pg_roles`
/// and `pg_user` are written at bootstrap. 7: `pg_proc`, `pg_operator`,
/// `pg_description` and the other catalogs client tools read; catalog
/// array columns (`conkey`, `reloptions`, …) hold arrays in their stored
/// form rather than text. 8: `pg_stats` has PostgreSQL's value columns
/// (`most_common_vals`, `histogram_bounds`, `correlation`, …) and
/// `pg_statistic` slots hold them; `pg_enum`; CHECK constraints; the
/// uuid, json and jsonb types (jsonb in its own stored form);
/// `pg_prepared_statements`. 9: databases are real: the shared catalogs
/// (`pg_database`, `pg_authid`, `pg_auth_members`, `pg_tablespace`,
/// `pg_shdescription`) live in `base/0/`, each database's catalogs in
/// `base/<oid>/` (`template1` bootstrapped, `postgres` and `template0`
/// copied from it); roles are stored (`pg_authid` rows made by CREATE
/// ROLE) and `aclitem[]` columns are real arrays; the reg* types have
/// `pg_type` rows. 11: `information_schema.columns` names a column's
/// domain and reports the domain's base type. 12: `pg_db_role_setting`
/// (shared, in `base/0/`). 15: `pg_attribute` rows of the system columns
/// (`ctid` … `tableoid`, attnum < 0) of every table, sequence, TOAST
/// relation and catalog; `tid` and `cid` have `pg_type` rows. 16:
/// `information_schema.columns.interval_type` names an interval column's
/// fields; `pg_lsn` has its `pg_type`, `pg_proc` and `pg_operator` rows;
/// an out-of-line value may be shared by a row's versions, its first
/// chunk marked by the change that ends it. 17: `timetz` and `_timetz`
/// have their `pg_type`, `pg_proc`, `pg_operator` and `pg_cast` rows.
/// 18: a B-tree entry without INCLUDE payload stores no key length (its
/// TID is followed by the key alone). 19: `xid8`, `pg_snapshot` and
/// `txid_snapshot` have their `pg_type` rows, with the transaction-id
/// functions' `pg_proc`, `pg_operator` and `pg_cast` rows. 20: tables,
/// views and the system catalogs have row types (`pg_class.reltype`).
pub const FORMAT_VERSION: &str = "21";

pub struct DataDir {
    pub path: PathBuf,
}

impl DataDir {
    /// Open the data directory, initializing it if it is new or empty.
    pub fn open(path: &Path) -> Result<DataDir> {
        let fresh = !path.exists() || std::fs::read_dir(path).map(|mut d| d.next().is_none()).unwrap_or(false);
        if fresh {
            std::fs::create_dir_all(path.join("global"))
                .map_err(|e| err!(SqlState::IO_ERROR, "could not create data directory \"{}\": {e}", path.display()))?;
            set_private(path);
            write_atomic(&path.join(VERSION_FILE), format!("{FORMAT_VERSION}\n").as_bytes())?;
            tracing::info!(path = %path.display(), "initialized new data directory");
        }
        let version = std::fs::read_to_string(path.join(VERSION_FILE)).map_err(|e| {
            err!(
                SqlState::IO_ERROR,
                "\"{}\" is not a tusk data directory: could not read {VERSION_FILE}: {e}",
                path.display()
            )
            .with_hint("Give an empty or new directory to create a cluster there.")
        })?;
        if version.trim() != FORMAT_VERSION {
            return Err(err!(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "database files are incompatible with server: the data directory was initialized with format version {}, this server uses version {FORMAT_VERSION}",
                version.trim()
            ));
        }
        std::fs::create_dir_all(path.join("global"))?;
        Ok(DataDir { path: path.to_path_buf() })
    }

    /// Take the lock file, refusing if another live server holds it.
    pub fn lock(&self) -> Result<()> {
        let lock = self.path.join(LOCK_FILE);
        if let Ok(text) = std::fs::read_to_string(&lock) {
            if let Some(pid) = text.lines().next().and_then(|l| l.trim().parse::<u32>().ok()) {
                if pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists() {
                    return Err(err!(
                        SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                        "lock file \"{LOCK_FILE}\" already exists"
                    )
                    .with_hint(format!(
                        "Is another tusk (PID {pid}) running in data directory \"{}\"?",
                        self.path.display()
                    )));
                }
            }
        }
        self.write_lock(&["starting"])
    }

    /// Rewrite the lock file: pid, data directory, then the given lines
    /// (port, socket directory, listen address, metrics address, status).
    pub fn write_lock(&self, lines: &[&str]) -> Result<()> {
        let mut text = format!("{}\n{}\n", std::process::id(), self.path.display());
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        write_atomic(&self.path.join(LOCK_FILE), text.as_bytes())
    }

    pub fn unlock(&self) {
        let _ = std::fs::remove_file(self.path.join(LOCK_FILE));
    }

    /// The superuser's verifier; set from `password` if none is stored yet.
    pub fn superuser_verifier(&self, password: Option<&str>) -> Result<Option<Verifier>> {
        let file = self.path.join(VERIFIER_FILE);
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                if password.is_some() {
                    tracing::info!("TUSK_PASSWORD is ignored: the superuser's password was set at first start");
                }
                Verifier::decode(&text)
                    .map(Some)
                    .ok_or_else(|| err!(SqlState::IO_ERROR, "invalid password verifier in \"{}\"", file.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match password.filter(|p| !p.is_empty()) {
                Some(p) => {
                    let v = Verifier::new(p);
                    write_atomic(&file, format!("{}\n", v.encode()).as_bytes())?;
                    tracing::info!("stored the superuser's password verifier (SCRAM-SHA-256)");
                    Ok(Some(v))
                }
                None => Ok(None),
            },
            Err(e) => Err(e.into()),
        }
    }
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}
