//! Running the role statements in a session: `CREATE | ALTER | DROP
//! ROLE`, `GRANT | REVOKE` of role membership, `SET ROLE` and `SET
//! SESSION AUTHORIZATION`, as PostgreSQL's `user.c` runs them.
//!
//! Roles are `pg_authid` rows and memberships `pg_auth_members` rows,
//! written by the session's transaction through [`crate::catalog::roles`].
//! The current user is the `role` setting when it names one (SET ROLE is
//! a setting, so it is undone with the transaction that made it), else the
//! session user.

use crate::catalog::Reader;
use crate::catalog::roles::{Membership, Role, no_role, reserved_role_name};
use crate::config::Guc;
use crate::err;
use crate::error::{Notice, Result, SqlState};
use crate::sql::role::{RoleOptions, RoleStmt};

use super::Session;

/// The first OID a role made after bootstrap can have: roles below it are
/// the bootstrap superuser and PostgreSQL's predefined roles.
const FIRST_USER_ROLE: u32 = crate::catalog::FIRST_NORMAL_OID;

/// What `rolpassword` keeps for a password given in CREATE or ALTER ROLE:
/// a SCRAM-SHA-256 verifier or an md5 hash the client computed is kept as
/// it is, anything else is a password in clear and is hashed.
pub fn stored_password(password: &str) -> String {
    let md5 = password.len() == 35
        && password.starts_with("md5")
        && password[3..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    if md5 || crate::protocol::Verifier::decode(password).is_some() {
        return password.to_string();
    }
    crate::protocol::Verifier::new(password).encode()
}

impl Session {
    /// The current user: the role `SET ROLE` chose, or the session user.
    pub(super) fn current_user(&self) -> &str {
        match self.settings.str(Guc::role) {
            "none" | "" => &self.user,
            role => role,
        }
    }

    /// Role `name` as the statement sees the catalog.
    pub(super) fn find_role(&mut self, name: &str) -> Result<Option<Role>> {
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.role_by_name(name, &who)
    }

    /// Role `name`, or 42704.
    pub(super) fn existing_role(&mut self, name: &str) -> Result<Role> {
        self.find_role(name)?.ok_or_else(|| no_role(name))
    }

    /// The current user's `pg_authid` row.
    pub(super) fn current_role_row(&mut self) -> Result<Role> {
        let name = self.current_user().to_string();
        self.existing_role(&name)
    }

    /// The roles `role` is a member of, directly or not.
    pub(super) fn roles_of(&mut self, role: u32) -> Result<Vec<u32>> {
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.member_of(role, &who)
    }

    fn memberships(&mut self) -> Result<Vec<Membership>> {
        let snapshot = self.statement_snapshot();
        let xid = self.current_xid();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.memberships(&who)
    }

    /// After a write to the role catalogs: the next command sees it.
    pub(super) fn roles_changed(&mut self) {
        self.catalog_changed = true;
        self.cid += 1;
        self.simple_cache.clear();
    }

    pub(super) fn role_statement(&mut self, stmt: &RoleStmt) -> Result<()> {
        match stmt {
            RoleStmt::Create { name, user, options, in_role, members, admins } => {
                self.create_role(name, *user, options, in_role, members, admins)
            }
            RoleStmt::Alter { name, options } => self.alter_role(name, options),
            RoleStmt::Rename { name, new_name } => self.rename_role(name, new_name),
            RoleStmt::Drop { names, if_exists } => self.drop_roles(names, *if_exists),
            RoleStmt::Grant { roles, members, admin } => {
                let xid = self.ensure_xid("GRANT")?;
                for role in roles {
                    for member in members {
                        self.grant_membership(role, member, *admin, xid)?;
                    }
                }
                Ok(())
            }
            RoleStmt::Revoke { roles, members, admin_only } => {
                let xid = self.ensure_xid("REVOKE")?;
                for role in roles {
                    for member in members {
                        self.revoke_membership(role, member, *admin_only, xid)?;
                    }
                }
                Ok(())
            }
            RoleStmt::Privileges(p) => self.privileges_statement(p),
            RoleStmt::SetRole { name, local, .. } => self.set_role(name.as_deref(), *local),
            RoleStmt::SetSessionAuthorization { name, .. } => self.set_session_authorization(name.as_deref()),
            RoleStmt::Setting(s) => self.alter_setting(s),
        }
    }

    /// The attributes of `options` applied to `role`.
    fn apply_role_options(&mut self, role: &mut Role, options: &RoleOptions) -> Result<()> {
        if let Some(limit) = options.connection_limit {
            if limit < -1 || limit > i32::MAX as i64 {
                return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "invalid connection limit: {limit}"));
            }
            role.connlimit = limit as i32;
        }
        let flags = [
            (options.superuser, &mut role.superuser),
            (options.createdb, &mut role.createdb),
            (options.createrole, &mut role.createrole),
            (options.login, &mut role.canlogin),
            (options.inherit, &mut role.inherit),
            (options.replication, &mut role.replication),
            (options.bypassrls, &mut role.bypassrls),
        ];
        for (value, slot) in flags {
            if let Some(v) = value {
                *slot = v;
            }
        }
        match &options.password {
            None => {}
            Some(None) => role.password = None,
            Some(Some(p)) if p.is_empty() => {
                self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    "empty string is not a valid password, clearing password",
                ));
                role.password = None;
            }
            Some(Some(p)) => role.password = Some(stored_password(p)),
        }
        if let Some(text) = &options.valid_until {
            let tz = self.time_zone();
            role.valid_until = Some(crate::sql::datetime::parse_timestamp_text(text, true, &tz)?);
        }
        Ok(())
    }

    /// The attributes only a superuser may give or take away.
    fn check_superuser_attributes(&mut self, options: &RoleOptions, verb: &str) -> Result<()> {
        let me = self.current_role_row()?;
        if me.superuser {
            return Ok(());
        }
        let attribute = if options.superuser.is_some() {
            Some("superusers")
        } else if options.replication.is_some() {
            Some("replication users")
        } else if options.bypassrls.is_some() {
            Some("bypassrls users")
        } else {
            None
        };
        if let Some(what) = attribute {
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "must be superuser to {verb} {what}"));
        }
        if !me.createrole {
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied to {verb} role"));
        }
        Ok(())
    }

    fn create_role(
        &mut self,
        name: &str,
        user: bool,
        options: &RoleOptions,
        in_role: &[String],
        members: &[String],
        admins: &[String],
    ) -> Result<()> {
        let xid = self.ensure_xid("CREATE ROLE")?;
        self.check_superuser_attributes(options, "create")?;
        if reserved_role_name(name) {
            return Err(err!(SqlState::RESERVED_NAME, "role name \"{name}\" is reserved")
                .with_detail("Role names starting with \"pg_\" are reserved."));
        }
        if self.find_role(name)?.is_some() {
            return Err(err!(SqlState::DUPLICATE_OBJECT, "role \"{name}\" already exists"));
        }
        let mut role = Role::new(name);
        role.canlogin = user;
        self.apply_role_options(&mut role, options)?;
        role.oid = self.shared.catalog.insert_role(&role, xid, self.cid)?;
        self.roles_changed();
        for parent in in_role {
            self.grant_membership(parent, name, false, xid)?;
        }
        for member in members {
            self.grant_membership(name, member, false, xid)?;
        }
        for admin in admins {
            self.grant_membership(name, admin, true, xid)?;
        }
        Ok(())
    }

    fn alter_role(&mut self, name: &str, options: &RoleOptions) -> Result<()> {
        let xid = self.ensure_xid("ALTER ROLE")?;
        let mut role = self.existing_role(name)?;
        // A role may change its own password; anything else takes
        // CREATEROLE (or, for superusers' attributes, superuser).
        let own_password = *options == RoleOptions { password: options.password.clone(), ..RoleOptions::default() }
            && role.name == self.current_user();
        if !own_password {
            let me = self.current_role_row()?;
            if role.superuser && !me.superuser {
                return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "must be superuser to alter superuser roles"));
            }
            self.check_superuser_attributes(options, "alter")?;
        }
        if role.oid == crate::catalog::system::SUPERUSER && options.superuser == Some(false) {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "permission denied to alter role")
                .with_detail("The bootstrap user must have the SUPERUSER attribute."));
        }
        self.apply_role_options(&mut role, options)?;
        self.shared.catalog.update_role(&role, xid, self.cid)?;
        self.roles_changed();
        Ok(())
    }

    fn rename_role(&mut self, name: &str, new_name: &str) -> Result<()> {
        let xid = self.ensure_xid("ALTER ROLE")?;
        let mut role = self.existing_role(name)?;
        if role.name == self.user {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "session user cannot be renamed"));
        }
        if role.name == self.current_user() {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "current user cannot be renamed"));
        }
        if role.oid < FIRST_USER_ROLE {
            return Err(err!(SqlState::RESERVED_NAME, "role name \"{}\" is reserved", role.name)
                .with_detail("Role names starting with \"pg_\" are reserved."));
        }
        if reserved_role_name(new_name) {
            return Err(err!(SqlState::RESERVED_NAME, "role name \"{new_name}\" is reserved")
                .with_detail("Role names starting with \"pg_\" are reserved."));
        }
        if self.find_role(new_name)?.is_some() {
            return Err(err!(SqlState::DUPLICATE_OBJECT, "role \"{new_name}\" already exists"));
        }
        let me = self.current_role_row()?;
        if role.superuser && !me.superuser {
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "must be superuser to rename superusers"));
        }
        if !me.superuser && !me.createrole {
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied to rename role"));
        }
        // An md5 hash is salted with the role's name: it no longer fits.
        if role.password.as_deref().is_some_and(|p| p.starts_with("md5")) {
            role.password = None;
            self.notices
                .push(Notice::info(SqlState::SUCCESSFUL_COMPLETION, "MD5 password cleared because of role rename"));
        }
        let old_name = std::mem::replace(&mut role.name, new_name.to_string());
        self.shared.catalog.update_role(&role, xid, self.cid)?;
        // The ACLs of every database name the role: each changes with it.
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let own = self.shared.catalog.database();
        for db in self.shared.catalog.databases(&who)? {
            let catalog = self.shared.databases.catalog(db.oid);
            catalog.rename_role_in_acls(&old_name, new_name, db.oid == own, xid, self.cid, &who)?;
        }
        self.roles_changed();
        Ok(())
    }

    fn drop_roles(&mut self, names: &[String], if_exists: bool) -> Result<()> {
        let xid = self.ensure_xid("DROP ROLE")?;
        let me = self.current_role_row()?;
        if !me.superuser && !me.createrole {
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied to drop role"));
        }
        for name in names {
            let Some(role) = self.find_role(name)? else {
                if if_exists {
                    self.notices.push(Notice::info(
                        SqlState::SUCCESSFUL_COMPLETION,
                        format!("role \"{name}\" does not exist, skipping"),
                    ));
                    continue;
                }
                return Err(no_role(name));
            };
            if role.name == self.current_user() {
                return Err(err!(SqlState::OBJECT_IN_USE, "current user cannot be dropped"));
            }
            if role.name == self.user {
                return Err(err!(SqlState::OBJECT_IN_USE, "session user cannot be dropped"));
            }
            if role.oid < FIRST_USER_ROLE {
                return Err(err!(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    "cannot drop role {} because it is required by the database system",
                    role.name
                ));
            }
            if role.superuser && !me.superuser {
                return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "must be superuser to drop superusers"));
            }
            let snapshot = self.statement_snapshot();
            let path = self.search_path.clone();
            let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
            let catalog = self.shared.catalog.clone();
            let dependents = self.role_dependents_everywhere(&role, &who)?;
            if !dependents.is_empty() {
                return Err(err!(
                    SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                    "role \"{}\" cannot be dropped because some objects depend on it",
                    role.name
                )
                .with_detail(dependents.join("\n")));
            }
            for m in catalog.memberships(&who)?.iter().filter(|m| m.role == role.oid || m.member == role.oid) {
                catalog.delete_membership(m, xid, self.cid)?;
            }
            catalog.delete_db_role_settings(|s| s.role == role.oid, xid, self.cid, &who)?;
            catalog.delete_role(&role, xid, self.cid)?;
            self.roles_changed();
        }
        Ok(())
    }

    /// What depends on `role`, as DROP ROLE's detail lists it: the
    /// databases it owns or has privileges on, then the objects of this
    /// database, then how many objects of each other database.
    fn role_dependents_everywhere(&mut self, role: &Role, who: &Reader<'_>) -> Result<Vec<String>> {
        use crate::catalog::{acl, system::PG_DATABASE};
        let catalog = self.shared.catalog.clone();
        let databases = catalog.databases(who)?;
        let mut out = Vec::new();
        for db in &databases {
            if db.owner == role.oid {
                out.push(format!("owner of database {}", db.name));
            } else if catalog.row_acl(&PG_DATABASE, db.tid)?.is_some_and(|a| acl::mentions(&a, &role.name)) {
                out.push(format!("privileges for database {}", db.name));
            }
        }
        out.extend(catalog.role_dependents(role.oid, who)?);
        let elsewhere = Reader { path: None, ..*who };
        for db in databases.iter().filter(|d| d.oid != catalog.database()) {
            match self.shared.databases.catalog(db.oid).role_dependents(role.oid, &elsewhere)?.len() {
                0 => {}
                1 => out.push(format!("1 object in database {}", db.name)),
                n => out.push(format!("{n} objects in database {}", db.name)),
            }
        }
        Ok(out)
    }

    /// `GRANT role TO member [WITH ADMIN OPTION]`.
    fn grant_membership(&mut self, role: &str, member: &str, admin: bool, xid: u64) -> Result<()> {
        let granted = self.existing_role(role)?;
        let grantee = self.existing_role(member)?;
        self.check_admin_of(&granted)?;
        if grantee.oid == granted.oid || self.roles_of(granted.oid)?.contains(&grantee.oid) {
            return Err(err!(
                SqlState::INVALID_GRANT_OPERATION,
                "role \"{}\" is a member of role \"{}\"",
                granted.name,
                grantee.name
            ));
        }
        let grantor = self.current_role_row()?.oid;
        let existing = self.memberships()?.into_iter().find(|m| m.role == granted.oid && m.member == grantee.oid);
        match existing {
            Some(m) if admin && !m.admin_option => {
                let m = Membership { admin_option: true, grantor, ..m };
                self.shared.catalog.update_membership(&m, xid, self.cid)?;
            }
            Some(_) => {
                self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("role \"{}\" is already a member of role \"{}\"", grantee.name, granted.name),
                ));
                return Ok(());
            }
            None => {
                let m = Membership {
                    role: granted.oid,
                    member: grantee.oid,
                    grantor,
                    admin_option: admin,
                    tid: crate::storage::heap::Tid { block: 0, offset: 0 },
                };
                self.shared.catalog.insert_membership(&m, xid, self.cid)?;
            }
        }
        self.roles_changed();
        Ok(())
    }

    /// `REVOKE [ADMIN OPTION FOR] role FROM member`.
    fn revoke_membership(&mut self, role: &str, member: &str, admin_only: bool, xid: u64) -> Result<()> {
        let granted = self.existing_role(role)?;
        let grantee = self.existing_role(member)?;
        self.check_admin_of(&granted)?;
        let existing = self.memberships()?.into_iter().find(|m| m.role == granted.oid && m.member == grantee.oid);
        let Some(m) = existing else {
            self.notices.push(Notice::warning(
                SqlState::WARNING,
                format!("role \"{}\" is not a member of role \"{}\"", grantee.name, granted.name),
            ));
            return Ok(());
        };
        if admin_only {
            self.shared.catalog.update_membership(&Membership { admin_option: false, ..m }, xid, self.cid)?;
        } else {
            self.shared.catalog.delete_membership(&m, xid, self.cid)?;
        }
        self.roles_changed();
        Ok(())
    }

    /// Whether the current user may grant or revoke membership in `role`:
    /// a superuser, a role with CREATEROLE (for roles that are not
    /// superusers), or a member with the admin option.
    fn check_admin_of(&mut self, role: &Role) -> Result<()> {
        let me = self.current_role_row()?;
        if me.superuser || (me.createrole && !role.superuser) {
            return Ok(());
        }
        if role.superuser {
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "must be superuser to alter superusers"));
        }
        let admin = self.memberships()?.iter().any(|m| m.role == role.oid && m.member == me.oid && m.admin_option);
        if !admin {
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "must have admin option on role \"{}\"", role.name));
        }
        Ok(())
    }

    /// `SET [LOCAL] ROLE name | NONE`, `RESET ROLE`.
    fn set_role(&mut self, name: Option<&str>, local: bool) -> Result<()> {
        let Some(name) = name else {
            self.settings.set("role", None, local)?;
            return self.note_superuser();
        };
        let Some(role) = self.find_role(name)? else {
            return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "role \"{name}\" does not exist"));
        };
        let session = self.user.clone();
        let me = self.existing_role(&session)?;
        if !me.superuser && me.oid != role.oid && !self.roles_of(me.oid)?.contains(&role.oid) {
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied to set role \"{name}\""));
        }
        self.settings.set("role", Some(name), local)?;
        self.note_superuser()
    }

    /// `SET SESSION AUTHORIZATION name | DEFAULT`: only the role that
    /// logged in decides, and it must be a superuser.
    fn set_session_authorization(&mut self, name: Option<&str>) -> Result<()> {
        let target = name.unwrap_or(&self.login_user).to_string();
        if target != self.login_user {
            let login = self.login_user.clone();
            if !self.existing_role(&login)?.superuser {
                return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied to set session authorization"));
            }
        }
        let role = self
            .find_role(&target)?
            .ok_or_else(|| err!(SqlState::INVALID_PARAMETER_VALUE, "role \"{target}\" does not exist"))?;
        self.user = role.name;
        self.settings.set_internal(Guc::session_authorization, &target)?;
        self.settings.set("role", None, false)?;
        self.note_superuser()
    }

    /// `is_superuser` follows the current user.
    fn note_superuser(&mut self) -> Result<()> {
        let superuser = self.current_role_row().map(|r| r.superuser).unwrap_or(false);
        self.settings.set_internal(Guc::is_superuser, if superuser { "on" } else { "off" })
    }

    /// After a CREATE of relations by a role other than the bootstrap
    /// superuser: what it made (from command `since` on) is the role's.
    pub(super) fn own_new_relations(&mut self, since: u32) -> Result<()> {
        let owner = self.current_role_row()?.oid;
        let xid = self.current_xid();
        if owner == crate::catalog::system::SUPERUSER || xid == 0 {
            return Ok(());
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.own_new_relations(owner, xid, since, self.cid, &who)?;
        self.cid += 1;
        Ok(())
    }

    /// `ALTER TABLE … OWNER TO role`.
    pub(super) fn set_relation_owner(&mut self, oid: u32, role: &str, xid: u64) -> Result<()> {
        let (owner, name) = self.owner_role(role)?;
        self.check_member_of(owner, &name)?;
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.set_relation_owner(oid, owner, xid, self.cid, &who)
    }

    /// The OID of role `name` for an owner clause (`current_user` and
    /// friends: the session's), with its name.
    pub(super) fn owner_role(&mut self, name: &str) -> Result<(u32, String)> {
        let name = match name {
            "current_user" | "current_role" => self.current_user().to_string(),
            "session_user" => self.user.clone(),
            n => n.to_string(),
        };
        let role = self.existing_role(&name)?;
        Ok((role.oid, role.name))
    }
}

impl Session {
    /// `GRANT | REVOKE privileges ON objects …`: each object's ACL (its
    /// default written out first) changes; grants are recorded as made
    /// by the object's owner, as PostgreSQL records a superuser's.
    pub(super) fn privileges_statement(&mut self, stmt: &crate::sql::role::PrivilegeStmt) -> Result<()> {
        use crate::catalog::acl::{self, AclObject};
        use crate::sql::role::PrivilegeTarget;
        let xid = self.ensure_xid(if stmt.revoke { "REVOKE" } else { "GRANT" })?;
        for grantee in stmt.grantees.iter().filter(|g| !g.is_empty()) {
            self.existing_role(grantee)?;
        }
        let holder = self.current_holder()?;
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        // (catalog, row, kind, owner, shown name)
        let mut objects = Vec::new();
        match stmt.target {
            PrivilegeTarget::Tables | PrivilegeTarget::Sequences => {
                for name in &stmt.names {
                    let rel = catalog
                        .relation(name, &who)?
                        .ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"))?;
                    let sequence = rel.kind == crate::catalog::RelKind::Sequence;
                    if stmt.target == PrivilegeTarget::Sequences && !sequence {
                        return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not a sequence"));
                    }
                    let kind = if sequence { AclObject::Sequence } else { AclObject::Table };
                    objects.push((&crate::catalog::system::PG_CLASS, rel.tid, kind, rel.oid, name.clone()));
                }
            }
            PrivilegeTarget::AllTablesInSchema => {
                for schema in &stmt.names {
                    let ns = catalog.namespace_oid(schema, &who)?;
                    for (oid, name, kind) in catalog.relations_in_namespace(ns, &who)? {
                        let Some((_, rel)) = catalog.relation_by_oid(oid, &who)? else { continue };
                        if matches!(kind, crate::catalog::RelKind::Sequence) {
                            continue;
                        }
                        objects.push((&crate::catalog::system::PG_CLASS, rel.tid, AclObject::Table, oid, name));
                    }
                }
            }
            PrivilegeTarget::Schemas => {
                for name in &stmt.names {
                    let ns =
                        catalog.namespace(name, &who)?.ok_or_else(|| crate::catalog::namespace::no_schema(name))?;
                    objects.push((&crate::catalog::system::PG_NAMESPACE, ns.tid, AclObject::Schema, ns.owner, ns.name));
                }
            }
            PrivilegeTarget::Databases => {
                let all = catalog.database_rows_for_acl(&who)?;
                for name in &stmt.names {
                    let (n, owner, tid) =
                        all.iter().find(|d| &d.0 == name).cloned().ok_or_else(|| {
                            err!(SqlState::INVALID_CATALOG_NAME, "database \"{name}\" does not exist")
                        })?;
                    objects.push((&crate::catalog::system::PG_DATABASE, tid, AclObject::Database, owner, n));
                }
            }
        }
        for (table, tid, kind, owner_or_oid, shown) in objects {
            let owner = match kind {
                AclObject::Table | AclObject::Sequence => catalog.relation_owner(owner_or_oid, &who)?,
                _ => owner_or_oid,
            };
            let owner_name = catalog.role_by_oid(owner, &who)?.map_or_else(|| owner.to_string(), |r| r.name);
            if !holder.acts_as(owner) {
                return Err(acl::not_owner(kind, &shown));
            }
            let letters = acl::privilege_letters(kind, stmt.privileges.as_deref())?;
            let mut items = match catalog.row_acl(table, tid)? {
                Some(texts) => acl::parse_acl(&texts)?,
                None => acl::default_acl(kind, &owner_name),
            };
            for grantee in &stmt.grantees {
                if stmt.revoke {
                    acl::revoke(&mut items, grantee, &owner_name, &letters, stmt.grant_option);
                } else {
                    acl::grant(&mut items, grantee, &owner_name, &letters, stmt.grant_option);
                }
            }
            catalog.set_row_acl(table, tid, &items, xid, self.cid)?;
        }
        self.roles_changed();
        Ok(())
    }
}
