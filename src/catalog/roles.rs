//! Roles: `pg_authid` rows (who can log in, with which password
//! verifier and attributes) and `pg_auth_members` rows (which role is a
//! member of which), as PostgreSQL's `user.c` keeps them.
//!
//! Every read and write of these two catalogs goes through this file, so
//! that where they live (they are shared by all databases) is decided in
//! one place. Rows are written by the DDL transaction like any catalog
//! row: a role created by a transaction that rolls back never existed.
//!
//! Entry points: [`Catalog::roles`], [`Catalog::role_by_name`],
//! [`Catalog::role_by_oid`], [`Catalog::insert_role`],
//! [`Catalog::update_role`], [`Catalog::delete_role`],
//! [`Catalog::memberships`], [`Catalog::insert_membership`],
//! [`Catalog::delete_membership`], [`Catalog::role_dependents`].
//! See also `session/roles.rs`, which runs the statements.

use super::absent::PG_AUTH_MEMBERS;
use super::system::{PG_AUTHID, SystemCatalog};
use std::sync::Arc;

use super::{Catalog, Reader};
use crate::error::{Error, Result};
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::{deform, form};

/// A `pg_authid` row.
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    pub oid: u32,
    pub name: String,
    pub superuser: bool,
    pub inherit: bool,
    pub createrole: bool,
    pub createdb: bool,
    pub canlogin: bool,
    pub replication: bool,
    pub bypassrls: bool,
    /// `-1`: no limit.
    pub connlimit: i32,
    /// A SCRAM-SHA-256 verifier (or an md5 hash stored as given).
    pub password: Option<String>,
    /// Microseconds since 2000-01-01 UTC.
    pub valid_until: Option<i64>,
    pub tid: Tid,
}

impl Role {
    /// A new role with `CREATE ROLE`'s defaults (no login, inherit).
    pub fn new(name: &str) -> Role {
        Role {
            oid: 0,
            name: name.to_string(),
            superuser: false,
            inherit: true,
            createrole: false,
            createdb: false,
            canlogin: false,
            replication: false,
            bypassrls: false,
            connlimit: -1,
            password: None,
            valid_until: None,
            tid: Tid { block: 0, offset: 0 },
        }
    }

    fn values(&self) -> Vec<Datum> {
        let text = |t: &Option<String>| t.clone().map_or(Datum::Null, Datum::Text);
        vec![
            Datum::Oid(self.oid),
            Datum::Text(self.name.clone()),
            Datum::Bool(self.superuser),
            Datum::Bool(self.inherit),
            Datum::Bool(self.createrole),
            Datum::Bool(self.createdb),
            Datum::Bool(self.canlogin),
            Datum::Bool(self.replication),
            Datum::Bool(self.bypassrls),
            Datum::Int4(self.connlimit),
            text(&self.password),
            self.valid_until.map_or(Datum::Null, Datum::TimestampTz),
        ]
    }

    fn from_values(v: &[Datum], tid: Tid) -> Role {
        let b = |i: usize| v[i] == Datum::Bool(true);
        Role {
            oid: match v[0] {
                Datum::Oid(o) => o,
                _ => 0,
            },
            name: v[1].as_str().unwrap_or("").to_string(),
            superuser: b(2),
            inherit: b(3),
            createrole: b(4),
            createdb: b(5),
            canlogin: b(6),
            replication: b(7),
            bypassrls: b(8),
            connlimit: v[9].as_i64().unwrap_or(-1) as i32,
            password: v[10].as_str().map(str::to_string),
            valid_until: match v[11] {
                Datum::TimestampTz(t) => Some(t),
                _ => None,
            },
            tid,
        }
    }
}

/// A `pg_auth_members` row: `member` is a member of `role`.
#[derive(Clone, Debug, PartialEq)]
pub struct Membership {
    pub role: u32,
    pub member: u32,
    pub grantor: u32,
    pub admin_option: bool,
    pub tid: Tid,
}

/// The names PostgreSQL keeps for itself: `pg_…` (an error's detail says why).
pub fn reserved_role_name(name: &str) -> bool {
    name.starts_with("pg_")
}

impl Catalog {
    /// A catalog's visible rows, decoded, with their places.
    fn catalog_rows(&self, catalog: &SystemCatalog, who: &Reader<'_>) -> Result<Vec<(Tid, Vec<Datum>)>> {
        let desc = catalog.desc();
        let mut raw = Vec::new();
        self.scan(catalog, who, |tid, t| {
            raw.push((tid, deform(&desc, t).into_iter().map(|b| b.map(<[u8]>::to_vec)).collect::<Vec<_>>()))
        })?;
        raw.into_iter()
            .map(|(tid, values)| {
                let row = values
                    .iter()
                    .zip(catalog.columns)
                    .map(|(v, (_, ty))| match v {
                        None => Ok(Datum::Null),
                        Some(b) => Datum::from_storage(plain(*ty), b),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok((tid, row))
            })
            .collect()
    }

    /// Replace the row at `tid` of `catalog` by `row` (a new version).
    fn replace_row(&self, catalog: &SystemCatalog, tid: Tid, row: &[Datum], xid: u64, cid: u32) -> Result<()> {
        let bytes: Vec<Option<Vec<u8>>> =
            row.iter().map(|v| if v.is_null() { None } else { Some(v.storage_bytes()) }).collect();
        let refs: Vec<Option<&[u8]>> = bytes.iter().map(|b| b.as_deref()).collect();
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
        self.heap(self.catalog_rel(catalog)).update_checked(tid, xid, cid, &form(&catalog.desc(), &refs), &how)?;
        Ok(())
    }

    fn delete_catalog_row(&self, catalog: &SystemCatalog, tid: Tid, xid: u64, cid: u32) -> Result<()> {
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        self.heap(self.catalog_rel(catalog)).delete_checked(tid, xid, cid, &check)?;
        Ok(())
    }

    /// Every role `who` sees, in OID order.
    pub fn roles(&self, who: &Reader<'_>) -> Result<Vec<Role>> {
        let mut out: Vec<Role> =
            self.catalog_rows(&PG_AUTHID, who)?.into_iter().map(|(tid, v)| Role::from_values(&v, tid)).collect();
        out.sort_by_key(|r| r.oid);
        Ok(out)
    }

    pub fn role_by_name(&self, name: &str, who: &Reader<'_>) -> Result<Option<Role>> {
        Ok(self.roles(who)?.into_iter().find(|r| r.name == name))
    }

    pub fn role_by_oid(&self, oid: u32, who: &Reader<'_>) -> Result<Option<Role>> {
        Ok(self.roles(who)?.into_iter().find(|r| r.oid == oid))
    }

    /// Role `name` as committed now (for login, outside any transaction).
    pub fn committed_role(&self, name: &str) -> Result<Option<Role>> {
        Ok(self.committed_roles()?.iter().find(|r| r.name == name).cloned())
    }

    /// Every role as committed now, in OID order. Read again only after a
    /// catalog change commits (the cluster version is read first, so a
    /// change committed meanwhile is either in what is read or bumps the
    /// version past it): logins and privilege checks need no scan.
    pub fn committed_roles(&self) -> Result<Arc<Vec<Role>>> {
        let version = super::cluster_version();
        if let Some((v, roles)) = &*self.committed_roles.lock() {
            if *v == version {
                return Ok(roles.clone());
            }
        }
        let snapshot = self.txns.snapshot();
        let roles = Arc::new(self.roles(&Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 })?);
        *self.committed_roles.lock() = Some((version, roles.clone()));
        Ok(roles)
    }

    /// CREATE ROLE: a `pg_authid` row for `role` under a new OID; the OID.
    pub fn insert_role(&self, role: &Role, xid: u64, cid: u32) -> Result<u32> {
        let oid = self.engine.allocate_oid()?;
        let row = Role { oid, ..role.clone() }.values();
        self.insert_catalog_row(&PG_AUTHID, &row, xid, cid)?;
        Ok(oid)
    }

    /// ALTER ROLE: `role` (found by its `tid`) as it is to be now.
    pub fn update_role(&self, role: &Role, xid: u64, cid: u32) -> Result<()> {
        self.replace_row(&PG_AUTHID, role.tid, &role.values(), xid, cid)
    }

    /// DROP ROLE: its `pg_authid` row goes (memberships are the caller's).
    pub fn delete_role(&self, role: &Role, xid: u64, cid: u32) -> Result<()> {
        self.delete_catalog_row(&PG_AUTHID, role.tid, xid, cid)
    }

    /// Every `pg_auth_members` row `who` sees.
    pub fn memberships(&self, who: &Reader<'_>) -> Result<Vec<Membership>> {
        let oid = |d: &Datum| match d {
            Datum::Oid(o) => *o,
            _ => 0,
        };
        Ok(self
            .catalog_rows(&PG_AUTH_MEMBERS, who)?
            .into_iter()
            .map(|(tid, v)| Membership {
                role: oid(&v[0]),
                member: oid(&v[1]),
                grantor: oid(&v[2]),
                admin_option: v[3] == Datum::Bool(true),
                tid,
            })
            .collect())
    }

    /// GRANT role TO member: a `pg_auth_members` row.
    pub fn insert_membership(&self, m: &Membership, xid: u64, cid: u32) -> Result<()> {
        let row = membership_values(m);
        self.insert_catalog_row(&PG_AUTH_MEMBERS, &row, xid, cid)?;
        Ok(())
    }

    /// A membership's new admin option (GRANT … WITH ADMIN OPTION again,
    /// REVOKE ADMIN OPTION FOR).
    pub fn update_membership(&self, m: &Membership, xid: u64, cid: u32) -> Result<()> {
        self.replace_row(&PG_AUTH_MEMBERS, m.tid, &membership_values(m), xid, cid)
    }

    pub fn delete_membership(&self, m: &Membership, xid: u64, cid: u32) -> Result<()> {
        self.delete_catalog_row(&PG_AUTH_MEMBERS, m.tid, xid, cid)
    }

    /// The roles `role` is a member of, directly or through others (not
    /// counting itself): PostgreSQL's `is_member_of_role` closure.
    pub fn member_of(&self, role: u32, who: &Reader<'_>) -> Result<Vec<u32>> {
        let all = self.memberships(who)?;
        let mut found: Vec<u32> = Vec::new();
        let mut frontier = vec![role];
        while let Some(r) = frontier.pop() {
            for m in all.iter().filter(|m| m.member == r) {
                if !found.contains(&m.role) && m.role != role {
                    found.push(m.role);
                    frontier.push(m.role);
                }
            }
        }
        Ok(found)
    }

    /// What depends on role `oid`, as DROP ROLE's detail lists it
    /// (`owner of table t`), in the order the objects were made.
    pub fn role_dependents(&self, oid: u32, who: &Reader<'_>) -> Result<Vec<String>> {
        let mut found: Vec<(u32, String)> = Vec::new();
        let class = super::PG_CLASS.desc();
        let mut owned = Vec::new();
        let mut with_acl = Vec::new();
        self.scan(&super::PG_CLASS, who, |tid, t| {
            let v = deform(&class, t);
            if super::u32_of(v[super::PG_CLASS.attno("relowner")]) == oid {
                owned.push(super::u32_of(v[super::system::CLASS_OID]));
            } else if v[super::PG_CLASS.attno("relacl")].is_some() {
                with_acl.push((super::u32_of(v[super::system::CLASS_OID]), tid));
            }
        })?;
        let name = self.role_by_oid(oid, who)?.map(|r| r.name).unwrap_or_default();
        for (rel, tid) in with_acl {
            let items = self.row_acl(&super::PG_CLASS, tid)?.unwrap_or_default();
            if super::acl::mentions(&items, &name) {
                let Some((_, r)) = self.relation_by_oid(rel, who)? else { continue };
                let shown = self.regclass_text(rel, who)?.unwrap_or_default();
                found.push((rel, format!("privileges for {} {shown}", r.kind.noun())));
            }
        }
        for rel in owned {
            let Some((_, r)) = self.relation_by_oid(rel, who)? else { continue };
            if matches!(r.kind, super::RelKind::Index) || r.namespace == super::system::PG_TOAST_NAMESPACE {
                continue;
            }
            let shown = self.regclass_text(rel, who)?.unwrap_or_default();
            found.push((rel, format!("owner of {} {shown}", r.kind.noun())));
        }
        for ns in self.namespaces(who)? {
            if ns.owner == oid {
                found.push((ns.oid, format!("owner of schema {}", ns.name)));
            } else if self
                .row_acl(&super::system::PG_NAMESPACE, ns.tid)?
                .is_some_and(|a| super::acl::mentions(&a, &name))
            {
                found.push((ns.oid, format!("privileges for schema {}", ns.name)));
            }
        }
        found.sort_by_key(|f| f.0);
        Ok(found.into_iter().map(|f| f.1).collect())
    }
}

/// Ownership: `relowner` of the relations a role creates or is given.
impl Catalog {
    /// ALTER TABLE … OWNER TO: relation `oid`, with its indexes and the
    /// sequences its columns own, is owned by role `owner`.
    pub fn set_relation_owner(&self, oid: u32, owner: u32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let mut changing = vec![oid];
        if let Some(table) = self.lookup_oid(oid, who)? {
            changing.extend(table.indexes.iter().map(|i| i.oid));
            changing.extend(self.owned_sequences(oid, who)?.into_iter().map(|s| s.0));
        }
        for rel in changing {
            let (_, row) = self.relation_by_oid(rel, who)?.ok_or_else(|| Error::internal("relation vanished"))?;
            self.update_class_row(&row, xid, cid, &|v| {
                v[super::PG_CLASS.attno("relowner")] = Some(owner.to_le_bytes().to_vec());
            })?;
        }
        Ok(())
    }

    /// `relowner` of relation `oid` (the bootstrap superuser if unknown).
    pub fn relation_owner(&self, oid: u32, who: &Reader<'_>) -> Result<u32> {
        let desc = super::PG_CLASS.desc();
        let mut owner = super::system::SUPERUSER;
        self.scan(&super::PG_CLASS, who, |_, t| {
            let v = deform(&desc, t);
            if super::u32_of(v[super::system::CLASS_OID]) == oid {
                owner = super::u32_of(v[super::PG_CLASS.attno("relowner")]);
            }
        })?;
        Ok(owner)
    }

    /// The relations transaction `xid` made at command `since` or later
    /// (one CREATE statement's) are owned by role `owner`.
    pub fn own_new_relations(&self, owner: u32, xid: u64, since: u32, cid: u32, who: &Reader<'_>) -> Result<()> {
        let desc = super::PG_CLASS.desc();
        let mut fresh = Vec::new();
        self.scan(&super::PG_CLASS, who, |_, t| {
            let h = crate::storage::heap::tuple::Header(t);
            if h.xmin() == xid && h.cid() >= since {
                fresh.push(super::u32_of(deform(&desc, t)[super::system::CLASS_OID]));
            }
        })?;
        // A row version the statement wrote for a relation that was there
        // before its transaction (a foreign key marking the table it
        // references) is not a new relation.
        let before = Reader { path: who.path, snapshot: who.snapshot, xid: 0, cid: 0 };
        for rel in fresh {
            if self.relation_by_oid(rel, &before)?.is_some() {
                continue;
            }
            let Some((_, row)) = self.relation_by_oid(rel, who)? else { continue };
            self.update_class_row(&row, xid, cid, &|v| {
                v[super::PG_CLASS.attno("relowner")] = Some(owner.to_le_bytes().to_vec());
            })?;
        }
        Ok(())
    }
}

fn membership_values(m: &Membership) -> Vec<Datum> {
    vec![Datum::Oid(m.role), Datum::Oid(m.member), Datum::Oid(m.grantor), Datum::Bool(m.admin_option)]
}

/// How a catalog column's stored bytes decode (`name` reads as text).
fn plain(ty: PgType) -> PgType {
    match ty {
        PgType::Name => PgType::Text,
        other => other,
    }
}

/// The error for a role that does not exist.
pub fn no_role(name: &str) -> Error {
    crate::err!(crate::error::SqlState::UNDEFINED_OBJECT, "role \"{name}\" does not exist")
}
