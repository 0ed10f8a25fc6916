//! Privilege checks of the statements a session runs, as PostgreSQL's
//! `ExecCheckPermissions` and `pg_*_ownercheck` make them: a statement's
//! needs on relations ([`crate::sql::RelAccess`], gathered by the binder)
//! are checked each time it starts, against the current user (or, for a
//! relation read through a view, the view's owner); DDL checks ownership
//! and schema privileges before it changes anything.
//!
//! The decisions themselves are [`crate::catalog::privileges`]'s.

use std::sync::Arc;

use crate::catalog::Reader;
use crate::catalog::privileges::{Holder, PrivObject};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::Access;

use super::Session;

/// `permission denied for <noun> <name>`.
pub fn denied(noun: &str, name: &str) -> Error {
    err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied for {noun} {name}")
}

/// `must be owner of <noun> <name>`.
pub fn not_owner(noun: &str, name: &str) -> Error {
    err!(SqlState::INSUFFICIENT_PRIVILEGE, "must be owner of {noun} {name}")
}

impl Session {
    /// The current user's OID (the bootstrap superuser's if it is gone).
    pub(super) fn current_role_oid(&mut self) -> Result<u32> {
        let name = self.current_user().to_string();
        Ok(self.find_role(&name)?.map_or(crate::catalog::system::SUPERUSER, |r| r.oid))
    }

    /// Role `oid` with the roles whose privileges it uses.
    pub(super) fn holder(&mut self, oid: u32) -> Result<Holder> {
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let holder = self.shared.catalog.privilege_holder(oid, &who)?;
        Ok(holder.unwrap_or(Holder { oid, superuser: false, roles: vec![oid], names: Vec::new() }))
    }

    /// The current user as a [`Holder`]. Asked before every statement, so
    /// it is kept until the role changes or some transaction that changed
    /// a catalog commits ([`crate::catalog::cluster_version`]). Like
    /// PostgreSQL's catalog caches it reads the latest committed catalog,
    /// not the transaction's snapshot; the transaction's own catalog
    /// changes are read through its snapshot, and not kept.
    pub(super) fn current_holder(&mut self) -> Result<Arc<Holder>> {
        if self.catalog_changed {
            let (version, cid) = (crate::catalog::cluster_version(), self.cid);
            let user = self.current_user().to_string();
            if let Some(holder) = self.own_catalog.get_mut().holder(&user, version, cid) {
                return Ok(holder);
            }
            let before = crate::catalog::catalog_writes();
            let me = self.current_role_oid()?;
            let holder = Arc::new(self.holder(me)?);
            self.own_catalog.get_mut().keep_holder(&user, version, cid, before, &holder);
            return Ok(holder);
        }
        // Read before the catalog: a change committed after this is seen
        // now or found by the next call.
        let version = crate::catalog::cluster_version();
        if let Some((user, v, holder)) = &self.holder_cache {
            if *v == version && user == self.current_user() {
                return Ok(holder.clone());
            }
        }
        let user = self.current_user().to_string();
        let holder = self.shared.catalog.committed_holder(&user)?;
        self.holder_cache = Some((user, version, holder.clone()));
        Ok(holder)
    }

    /// Error 42501 unless `holder` has one of `any` on `object`.
    pub(super) fn check_privilege(&mut self, holder: &Holder, object: PrivObject, any: &[char]) -> Result<()> {
        if holder.superuser {
            return Ok(());
        }
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let Some(acl) = self.shared.catalog.object_acl(object, &who)? else { return Ok(()) };
        if holder.allowed(&acl, any, false) {
            return Ok(());
        }
        Err(denied(acl.noun, &acl.name))
    }

    /// Error 42501 unless the current user has the privileges of the
    /// owner of `object`.
    pub(super) fn check_owner(&mut self, object: PrivObject) -> Result<()> {
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let Some(acl) = self.shared.catalog.object_acl(object, &who)? else { return Ok(()) };
        if self.owns(object)? {
            return Ok(());
        }
        Err(not_owner(acl.noun, &acl.name))
    }

    /// Whether the current user has the privileges of the owner of
    /// `object` (a superuser has everyone's).
    pub(super) fn owns(&mut self, object: PrivObject) -> Result<bool> {
        let holder = self.current_holder()?;
        if holder.superuser {
            return Ok(true);
        }
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let Some(acl) = self.shared.catalog.object_acl(object, &who)? else { return Ok(true) };
        Ok(holder.acts_as(acl.owner))
    }

    /// Error 42501 unless the current user is role `role` or a member of
    /// it (to make it an owner).
    pub(super) fn check_member_of(&mut self, role: u32, name: &str) -> Result<()> {
        let me = self.current_holder()?;
        if me.superuser || me.oid == role {
            return Ok(());
        }
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        if self.shared.catalog.member_of(me.oid, &who)?.contains(&role) {
            return Ok(());
        }
        Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "must be member of role \"{name}\""))
    }

    /// A statement's needs on relations, before it runs.
    pub(super) fn check_access(&mut self, access: &[Access]) -> Result<()> {
        if access.is_empty() {
            return Ok(());
        }
        let me = self.current_holder()?;
        if me.superuser {
            return Ok(());
        }
        for need in access {
            let holder = match need.as_owner_of {
                None => (*me).clone(),
                Some(view) => {
                    let snapshot = self.statement_snapshot();
                    let xid = self.current_xid();
                    let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
                    let owner = self.shared.catalog.relation_owner(view, &who)?;
                    self.holder(owner)?
                }
            };
            for &letter in &need.privileges {
                self.check_privilege(&holder, need.object, &[letter])?;
            }
        }
        Ok(())
    }

    /// Error 42501 unless the current user holds `letter` on the current
    /// database: CREATE (`C`, for CREATE SCHEMA) or TEMPORARY (`T`).
    pub(super) fn check_database_privilege(&mut self, letter: char) -> Result<()> {
        let me = self.current_holder()?;
        if me.superuser {
            return Ok(());
        }
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let Some(db) = catalog.database_named(&self.database, &who)? else { return Ok(()) };
        let Some(acl) = catalog.object_acl(PrivObject::Database(db.oid), &who)? else { return Ok(()) };
        if me.allowed(&acl, &[letter], false) {
            return Ok(());
        }
        Err(match letter {
            'T' => err!(
                SqlState::INSUFFICIENT_PRIVILEGE,
                "permission denied to create temporary tables in database \"{}\"",
                db.name
            ),
            _ => denied("database", &db.name),
        })
    }

    /// At login: a role that is not a superuser needs CONNECT on the
    /// database (FATAL 42501 otherwise).
    pub fn check_connect(&self, role: u32) -> Result<()> {
        let catalog = &self.shared.catalog;
        let allowed = catalog.read_committed(|who| {
            let Some(db) = catalog.database_named(&self.database, who)? else { return Ok(true) };
            Ok(catalog.has_privilege(role, PrivObject::Database(db.oid), &['c'], false, who)?.unwrap_or(true))
        })?;
        if allowed {
            return Ok(());
        }
        Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied for database \"{}\"", self.database)
            .with_detail("User does not have CONNECT privilege."))
    }
}
