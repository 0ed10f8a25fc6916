//! Whether a role holds a privilege on an object, as PostgreSQL's
//! `aclchk.c` decides it (`pg_class_aclcheck` and its kin).
//!
//! A role holds a privilege when
//! 1. it is a superuser (every privilege, grant options included);
//! 2. an item of the object's ACL (its default, [`super::acl::default_acl`],
//!    when `NULL`) grants it to PUBLIC, to the role, or to a role whose
//!    privileges it inherits (membership through roles with INHERIT);
//! 3. or, for a grant option only, it has the privileges of the owner: an
//!    owner may always grant, even what it revoked from itself.
//!
//! Entry points: [`Catalog::privilege_holder`], [`Catalog::object_acl`],
//! [`Catalog::has_privilege`]. The session checks a statement's needs
//! with them (`session/privileges.rs`); the `has_*_privilege` functions
//! ask them through `EvalContext`.

use super::acl::{self, AclItem, AclObject};
use super::system::{PG_CATALOG_NAMESPACE, PG_CLASS, PG_NAMESPACE};
use super::{Catalog, Reader, u32_of};
use crate::error::Result;
use crate::sql::types::PgType;
use crate::storage::heap::tuple::deform;

/// The predefined role that the owner of the current database is
/// implicitly a member of.
pub const PG_DATABASE_OWNER: u32 = 6171;

/// An object that has an ACL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrivObject {
    Relation(u32),
    Schema(u32),
    Database(u32),
}

/// The roles whose privileges a role uses.
#[derive(Clone, Debug)]
pub struct Holder {
    pub oid: u32,
    pub superuser: bool,
    /// The role itself and every role it inherits privileges from.
    pub roles: Vec<u32>,
    /// Their names, as the ACL items name grantees.
    pub names: Vec<String>,
}

/// An object's owner and ACL.
#[derive(Clone, Debug)]
pub struct ObjectAcl {
    pub kind: AclObject,
    pub owner: u32,
    pub items: Vec<AclItem>,
    /// The name an error shows (a relation's or schema's bare name).
    pub name: String,
    /// For a relation: what an error calls it (`table`, `view`, …).
    pub noun: &'static str,
}

impl Holder {
    /// Whether the holder has the privileges of role `oid` (is it, or
    /// inherits from it), as `has_privs_of_role`.
    pub fn acts_as(&self, oid: u32) -> bool {
        self.superuser || self.roles.contains(&oid)
    }

    /// Whether ACL `acl` gives the holder one of `any` (with its grant
    /// option if `grant_option`).
    pub fn allowed(&self, acl: &ObjectAcl, any: &[char], grant_option: bool) -> bool {
        if self.superuser || (grant_option && self.acts_as(acl.owner)) {
            return true;
        }
        acl.items
            .iter()
            .filter(|i| i.grantee.is_empty() || self.names.contains(&i.grantee))
            .any(|i| i.privileges.iter().any(|(letter, option)| any.contains(letter) && (*option || !grant_option)))
    }
}

impl Catalog {
    /// The privilege holder of role `user` as committed now (a name no
    /// role has holds the superuser's OID without its rights), cached
    /// until a catalog change commits (see [`Catalog::committed_roles`]).
    pub fn committed_holder(&self, user: &str) -> Result<std::sync::Arc<Holder>> {
        let version = super::cluster_version();
        if let Some(e) = self.holders.get(user) {
            if e.0 == version {
                return Ok(e.1.clone());
            }
        }
        let oid = self.committed_roles()?.iter().find(|r| r.name == user).map_or(super::system::SUPERUSER, |r| r.oid);
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 };
        let holder = self.privilege_holder(oid, &who)?;
        let holder = std::sync::Arc::new(holder.unwrap_or(Holder {
            oid,
            superuser: false,
            roles: vec![oid],
            names: Vec::new(),
        }));
        if self.holders.len() >= 1024 {
            self.holders.clear();
        }
        self.holders.insert(user.to_string(), (version, holder.clone()));
        Ok(holder)
    }

    /// Role `oid` with the roles it inherits from (`None`: no such role).
    /// A role inherits from the roles it is a member of when it has
    /// INHERIT, and on through those that have it too.
    pub fn privilege_holder(&self, oid: u32, who: &Reader<'_>) -> Result<Option<Holder>> {
        let roles = self.roles(who)?;
        let Some(me) = roles.iter().find(|r| r.oid == oid) else { return Ok(None) };
        let memberships = self.memberships(who)?;
        let mut held = vec![oid];
        let mut frontier = vec![oid];
        while let Some(r) = frontier.pop() {
            if !roles.iter().any(|x| x.oid == r && x.inherit) {
                continue;
            }
            for m in memberships.iter().filter(|m| m.member == r) {
                if !held.contains(&m.role) {
                    held.push(m.role);
                    frontier.push(m.role);
                }
            }
        }
        // The owner of the current database is a member of
        // pg_database_owner, which owns schema public.
        let db_owner = self.database_owner(who)?;
        if held.iter().any(|&r| Some(r) == db_owner) {
            held.push(PG_DATABASE_OWNER);
        }
        let names = held
            .iter()
            .map(|&r| match roles.iter().find(|x| x.oid == r) {
                Some(x) => x.name.clone(),
                None => super::describe::user_name(r),
            })
            .collect();
        Ok(Some(Holder { oid, superuser: me.superuser, roles: held, names }))
    }

    /// The owner of the database this catalog belongs to.
    fn database_owner(&self, who: &Reader<'_>) -> Result<Option<u32>> {
        let own = self.db;
        Ok(self.databases(who)?.into_iter().find(|d| d.oid == own).map(|d| d.owner))
    }

    /// The owner and ACL of `object` (`None`: there is no such object).
    pub fn object_acl(&self, object: PrivObject, who: &Reader<'_>) -> Result<Option<ObjectAcl>> {
        let (kind, owner, stored, name, noun) = match object {
            PrivObject::Relation(oid) => {
                let Some((name, rel)) = self.relation_by_oid(oid, who)? else { return Ok(None) };
                let (owner, stored) = self.class_owner_acl(oid, who)?;
                let kind = match rel.kind {
                    super::RelKind::Sequence => AclObject::Sequence,
                    _ => AclObject::Table,
                };
                // The system catalogs may be read by anyone (initdb grants
                // PUBLIC SELECT on them).
                let stored = match stored {
                    None if rel.namespace == PG_CATALOG_NAMESPACE
                        || rel.namespace == super::system::INFORMATION_SCHEMA_NAMESPACE =>
                    {
                        let owner_name = self.role_name_or_oid(owner, who)?;
                        Some(vec![format!("{owner_name}=arwdDxt/{owner_name}"), format!("=r/{owner_name}")])
                    }
                    other => other,
                };
                (kind, owner, stored, name, rel.kind.noun())
            }
            PrivObject::Schema(oid) => {
                let Some(ns) = self.namespaces(who)?.into_iter().find(|n| n.oid == oid) else { return Ok(None) };
                // Every session may use its temporary schema.
                let stored = match ns.name.starts_with("pg_temp_") || ns.name.starts_with("pg_toast_temp_") {
                    true => Some(vec![format!("=UC/{}", self.role_name_or_oid(ns.owner, who)?)]),
                    false => self.row_acl(&PG_NAMESPACE, ns.tid)?,
                };
                (AclObject::Schema, ns.owner, stored, ns.name, "schema")
            }
            PrivObject::Database(oid) => {
                let Some(db) = self.database_by_oid(oid, who)? else { return Ok(None) };
                let stored = self.row_acl(&super::system::PG_DATABASE, db.tid)?;
                (AclObject::Database, db.owner, stored, db.name, "database")
            }
        };
        let items = match stored {
            Some(texts) => acl::parse_acl(&texts)?,
            None => acl::default_acl(kind, &self.role_name_or_oid(owner, who)?),
        };
        Ok(Some(ObjectAcl { kind, owner, items, name, noun }))
    }

    /// Whether role `role` holds one of `any` on `object` (with grant
    /// option if `grant_option`); `None` if the role or the object does
    /// not exist.
    pub fn has_privilege(
        &self,
        role: u32,
        object: PrivObject,
        any: &[char],
        grant_option: bool,
        who: &Reader<'_>,
    ) -> Result<Option<bool>> {
        let Some(holder) = self.privilege_holder(role, who)? else { return Ok(None) };
        let Some(acl) = self.object_acl(object, who)? else { return Ok(None) };
        Ok(Some(holder.allowed(&acl, any, grant_option)))
    }

    /// `relowner` and `relacl` of relation `oid`.
    fn class_owner_acl(&self, oid: u32, who: &Reader<'_>) -> Result<(u32, Option<Vec<String>>)> {
        let desc = PG_CLASS.desc();
        let mut found = (super::system::SUPERUSER, None);
        let mut failed = None;
        self.scan(&PG_CLASS, who, |_, t| {
            let v = deform(&desc, t);
            if u32_of(v[super::system::CLASS_OID]) != oid {
                return;
            }
            found.0 = u32_of(v[PG_CLASS.attno("relowner")]);
            if let Some(bytes) = v[PG_CLASS.attno("relacl")] {
                match crate::sql::array::ArrayValue::from_storage(PgType::TextForm(1033), bytes) {
                    Ok(a) => found.1 = Some(a.items.iter().filter_map(|d| d.as_str().map(str::to_string)).collect()),
                    Err(e) => failed = Some(e),
                }
            }
        })?;
        match failed {
            Some(e) => Err(e),
            None => Ok(found),
        }
    }

    /// ALTER ROLE … RENAME TO: the ACLs of this database's relations and
    /// schemas (and, with `databases`, the cluster's databases) that name
    /// role `old` name `new` instead. An aclitem names its roles by name
    /// (see [`acl`]), so the rows change with the role's name.
    pub fn rename_role_in_acls(
        &self,
        old: &str,
        new: &str,
        databases: bool,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let mut catalogs = vec![&PG_CLASS, &PG_NAMESPACE];
        if databases {
            catalogs.push(&super::system::PG_DATABASE);
        }
        for catalog in catalogs {
            let column = acl::acl_column(catalog);
            let desc = catalog.desc();
            let mut with_acl = Vec::new();
            self.scan(catalog, who, |tid, t| {
                if deform(&desc, t)[column].is_some() {
                    with_acl.push(tid);
                }
            })?;
            for tid in with_acl {
                let Some(texts) = self.row_acl(catalog, tid)? else { continue };
                let mut items = acl::parse_acl(&texts)?;
                if acl::rename_role(&mut items, old, new) {
                    self.set_row_acl(catalog, tid, &items, xid, cid)?;
                }
            }
        }
        Ok(())
    }

    /// A role's name, or its OID as text when no role has it.
    pub fn role_name_or_oid(&self, oid: u32, who: &Reader<'_>) -> Result<String> {
        Ok(match self.role_by_oid(oid, who)? {
            Some(r) => r.name,
            None => super::describe::role_name(oid).unwrap_or_else(|| oid.to_string()),
        })
    }
}
