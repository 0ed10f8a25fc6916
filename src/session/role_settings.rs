//! `ALTER ROLE … [IN DATABASE d] SET | RESET …` and `ALTER DATABASE d SET
//! | RESET …`: the settings a connection starts with, kept in
//! `pg_db_role_setting` ([`crate::catalog::db_role_setting`]) as
//! PostgreSQL's `AlterSetting` keeps them.
//!
//! 1. A value is checked as `SET` would check it (the setting exists, a
//!    session may change it, the value is valid), and kept as written,
//!    flattened to one string (`search_path=a, "B"`), under the setting's
//!    own name (`TimeZone`, not `timezone`).
//! 2. Changing a role's settings takes what changing the role takes
//!    (superuser for a superuser, else CREATEROLE or being the role);
//!    every role's (`ALL`) takes superuser; a database's takes owning it.
//! 3. The rows are written by the statement's transaction: a rollback
//!    undoes them, and a connection sees them once committed.
//!
//! Connections apply the rows at start (`protocol/startup.rs`, through
//! [`Session::apply_stored_settings`]).

use crate::catalog::Reader;
use crate::catalog::db_role_setting::DbRoleSetting;
use crate::config::Source;
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::db_role_setting::{AlterSetting, SettingAction, SettingScope, flatten};

use super::Session;

impl Session {
    /// `ALTER ROLE | DATABASE … SET | RESET …`.
    pub(super) fn alter_setting(&mut self, stmt: &AlterSetting) -> Result<()> {
        let verb = match stmt.scope {
            SettingScope::Database(_) => "ALTER DATABASE",
            SettingScope::Role { .. } => "ALTER ROLE",
        };
        let xid = self.ensure_xid(verb)?;
        let me = self.current_role_row()?;
        let (database, role) = match &stmt.scope {
            SettingScope::Database(name) => {
                let db = self.existing_database(name)?;
                if !me.superuser && me.oid != db.owner && !self.roles_of(me.oid)?.contains(&db.owner) {
                    return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "must be owner of database {name}"));
                }
                (db.oid, 0)
            }
            SettingScope::Role { role, database } => {
                let role = match role {
                    None if !me.superuser => {
                        return Err(err!(
                            SqlState::INSUFFICIENT_PRIVILEGE,
                            "must be superuser to alter settings globally"
                        ));
                    }
                    None => 0,
                    Some(name) => {
                        let name = match name.as_str() {
                            "current_user" => self.current_user().to_string(),
                            "session_user" => self.user.clone(),
                            n => n.to_string(),
                        };
                        let role = self.existing_role(&name)?;
                        if role.superuser && !me.superuser {
                            return Err(err!(
                                SqlState::INSUFFICIENT_PRIVILEGE,
                                "must be superuser to alter superusers"
                            ));
                        }
                        if !role.superuser && !me.superuser && !me.createrole && role.oid != me.oid {
                            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied"));
                        }
                        role.oid
                    }
                };
                let database = match database {
                    Some(name) => self.existing_database(name)?.oid,
                    None => 0,
                };
                (database, role)
            }
        };
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let existing = catalog.db_role_settings(&who)?.into_iter().find(|r| r.database == database && r.role == role);
        let mut config = existing.as_ref().map(|r| r.config.clone()).unwrap_or_default();
        match &stmt.action {
            SettingAction::Set { name, values } => {
                let text = flatten(name, values)?;
                let stored = self.settings.validate_stored(name, &text, me.superuser)?;
                self.settings.declare_custom(name);
                put(&mut config, &stored, &text);
            }
            SettingAction::FromCurrent { name } => {
                let stored = self.settings.validate_stored_name(name, me.superuser)?;
                let text = self.settings.show_named(name)?;
                put(&mut config, &stored, &text);
            }
            SettingAction::Reset(Some(name)) => {
                let stored = self.settings.validate_stored_name(name, me.superuser)?;
                config.retain(|item| item.split_once('=').is_none_or(|(n, _)| n != stored));
            }
            // A superuser clears them all; anyone else those a non-superuser
            // could have set (PostgreSQL's `GUCArrayReset`).
            SettingAction::Reset(None) => config.retain(|item| {
                !me.superuser
                    && item.split_once('=').is_some_and(|(n, _)| self.settings.validate_stored_name(n, false).is_err())
            }),
        }
        catalog.write_db_role_setting(database, role, &config, existing.map(|r| r.tid), xid, self.cid)?;
        self.roles_changed();
        Ok(())
    }

    /// Database `name` as the statement sees the catalog, or 3D000.
    fn existing_database(&mut self, name: &str) -> Result<crate::catalog::database::Database> {
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared
            .catalog
            .database_named(name, &who)?
            .ok_or_else(|| err!(SqlState::INVALID_CATALOG_NAME, "database \"{name}\" does not exist"))
    }

    /// At connection start, after authentication: the settings of
    /// `pg_db_role_setting` that apply to role `role` in the session's
    /// database, as committed now, from the most specific row to the
    /// least (PostgreSQL's `process_settings`). An item that no longer
    /// applies is skipped with a warning in the log, as PostgreSQL skips
    /// it.
    pub fn apply_stored_settings(&mut self, role: u32, superuser: bool) -> Result<()> {
        let catalog = self.shared.catalog.clone();
        let database = catalog.database();
        let rows: Vec<DbRoleSetting> = catalog.read_committed(|who| catalog.db_role_settings(who))?;
        let order = [
            (database, role, Source::DatabaseUser),
            (0, role, Source::User),
            (database, 0, Source::Database),
            (0, 0, Source::Global),
        ];
        for (db, r, source) in order {
            let Some(row) = rows.iter().find(|row| row.database == db && row.role == r) else { continue };
            for item in &row.config {
                let Some((name, value)) = item.split_once('=') else { continue };
                if let Err(e) = self.settings.apply_stored(name, value, source, superuser) {
                    tracing::warn!(setting = name, error = %e.message(), "stored setting not applied");
                }
            }
        }
        Ok(())
    }
}

/// `name=text` replaces the item of setting `name`, or goes last.
fn put(config: &mut Vec<String>, name: &str, text: &str) {
    let item = format!("{name}={text}");
    match config.iter_mut().find(|i| i.split_once('=').is_some_and(|(n, _)| n == name)) {
        Some(old) => *old = item,
        None => config.push(item),
    }
}
