//! Running `CREATE SCHEMA`, `DROP SCHEMA` and `ALTER SCHEMA` in a session.
//! A schema is a `pg_namespace` row written by the session's transaction
//! ([`crate::catalog::namespace`]); DROP SCHEMA … CASCADE drops the
//! relations in it through the same path as DROP TABLE/VIEW/SEQUENCE, so
//! they take the same locks and leave the same files behind for removal at
//! commit.

use crate::catalog::namespace::{Namespace, check_schema_name, no_schema, qualified_name};
use crate::catalog::{FIRST_NORMAL_OID, PUBLIC_NAMESPACE, Reader, RelKind};
use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::sql::{DropKind, SchemaStmt};

use super::Session;
use super::privileges::not_owner;
use crate::catalog::privileges::PrivObject;

impl Session {
    pub(super) fn schema_statement(&mut self, stmt: &SchemaStmt) -> Result<()> {
        match stmt {
            SchemaStmt::Create { name, if_not_exists, owner } => {
                self.create_schema(name.as_deref(), *if_not_exists, owner.as_deref())
            }
            SchemaStmt::Drop { names, if_exists, cascade } => self.drop_schemas(names, *if_exists, *cascade),
            SchemaStmt::Rename { name, new_name } => self.alter_schema(name, Some(new_name), None),
            SchemaStmt::Owner { name, owner } => self.alter_schema(name, None, Some(owner)),
            SchemaStmt::SetSchema { kind, if_exists, name, schema } => self.set_schema(*kind, *if_exists, name, schema),
        }
    }

    /// The OID of role `name` (`current_user` and friends: the session's).
    fn role_oid(&mut self, name: &str) -> Result<(u32, String)> {
        self.owner_role(name)
    }

    /// The schema named `name` as this transaction sees the catalog now.
    fn find_schema(&mut self, name: &str, xid: u64) -> Result<Option<Namespace>> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.namespace(name, &who)
    }

    fn create_schema(&mut self, name: Option<&str>, if_not_exists: bool, owner: Option<&str>) -> Result<()> {
        let (owner, role) = match owner {
            Some(role) => self.role_oid(role)?,
            None => self.role_oid("current_user")?,
        };
        let name = name.unwrap_or(&role).to_string();
        self.check_database_privilege('C')?;
        self.check_member_of(owner, &role)?;
        check_schema_name(&name)?;
        let xid = self.ensure_xid("CREATE SCHEMA")?;
        if self.find_schema(&name, xid)?.is_some() {
            if if_not_exists {
                self.notices.push(Notice::info(
                    SqlState::DUPLICATE_SCHEMA,
                    format!("schema \"{name}\" already exists, skipping"),
                ));
                return Ok(());
            }
            return Err(err!(SqlState::DUPLICATE_SCHEMA, "schema \"{name}\" already exists"));
        }
        self.catalog_changed = true;
        self.shared.catalog.create_namespace(&name, owner, xid, self.cid)?;
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    fn drop_schemas(&mut self, names: &[String], if_exists: bool, cascade: bool) -> Result<()> {
        let xid = self.ensure_xid("DROP SCHEMA")?;
        // Check every name first: nothing is dropped if one is wrong.
        let mut doomed = Vec::new();
        for name in names {
            match self.find_schema(name, xid)? {
                None if if_exists => self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("schema \"{name}\" does not exist, skipping"),
                )),
                None => return Err(no_schema(name)),
                Some(ns) if !self.owns(PrivObject::Schema(ns.oid))? => return Err(not_owner("schema", &ns.name)),
                // `public` is an ordinary schema that initdb makes.
                Some(ns) if ns.oid < FIRST_NORMAL_OID && ns.oid != PUBLIC_NAMESPACE => {
                    return Err(err!(
                        SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                        "cannot drop schema {name} because it is required by the database system"
                    ));
                }
                Some(ns) => {
                    if !doomed.iter().any(|d: &Namespace| d.oid == ns.oid) {
                        doomed.push(ns)
                    }
                }
            }
        }
        // What lives in them, as PostgreSQL lists it: tables, views and
        // sequences (indexes and the sequences a column owns go with their
        // table, unlisted).
        let mut members: Vec<(u32, String, RelKind, String, String)> = Vec::new();
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        for ns in &doomed {
            for (oid, rel, kind) in catalog.relations_in_namespace(ns.oid, &who)? {
                if kind == RelKind::Sequence && catalog.sequence_owner(oid, &who)?.is_some() {
                    continue;
                }
                // Named as PostgreSQL describes objects: qualified only
                // where the search path would not find it.
                let shown = catalog.regclass_text(oid, &who)?.unwrap_or_default();
                members.push((oid, qualified_name(Some(&ns.name), &rel), kind, shown, ns.name.clone()));
            }
        }
        // PostgreSQL lists them by when they were made (OID order).
        members.sort_by_key(|m| m.0);
        let described: Vec<String> = members.iter().map(|m| format!("{} {}", m.2.noun(), m.3)).collect();
        if !members.is_empty() && !cascade {
            let first = &doomed[0].name;
            let detail: Vec<String> =
                members.iter().zip(&described).map(|(m, d)| format!("{d} depends on schema {}", m.4)).collect();
            return Err(err!(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                "cannot drop schema {first} because other objects depend on it"
            )
            .with_detail(detail.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        self.catalog_changed = true;
        // Views first (the most recent first), then tables, then sequences;
        // each DROP takes its locks and drops what depends on it.
        let notices = self.notices.len();
        let order = [
            (RelKind::View, DropKind::View),
            (RelKind::Table, DropKind::Table),
            (RelKind::Sequence, DropKind::Sequence),
        ];
        for (kind, drop_kind) in order {
            for name in members.iter().rev().filter(|m| m.2 == kind).map(|m| m.1.clone()).collect::<Vec<_>>() {
                self.drop(drop_kind, std::slice::from_ref(&name), true, true)?;
            }
        }
        self.notices.truncate(notices);
        self.cascade_notice(&described);
        for ns in &doomed {
            self.shared.catalog.drop_namespace(ns, xid, self.cid)?;
        }
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    fn alter_schema(&mut self, name: &str, new_name: Option<&str>, owner: Option<&str>) -> Result<()> {
        let xid = self.ensure_xid("ALTER SCHEMA")?;
        let ns = self.find_schema(name, xid)?.ok_or_else(|| no_schema(name))?;
        self.check_owner(PrivObject::Schema(ns.oid))?;
        let mut target = (ns.name.clone(), ns.owner);
        if let Some(new_name) = new_name {
            if self.find_schema(new_name, xid)?.is_some() {
                return Err(err!(SqlState::DUPLICATE_SCHEMA, "schema \"{new_name}\" already exists"));
            }
            check_schema_name(new_name)?;
            if ns.oid < FIRST_NORMAL_OID {
                return Err(Error::not_supported(format!("renaming schema \"{name}\", which the system uses")));
            }
            target.0 = new_name.to_string();
        }
        if let Some(role) = owner {
            let (oid, name) = self.role_oid(role)?;
            self.check_member_of(oid, &name)?;
            target.1 = oid;
        }
        self.catalog_changed = true;
        self.shared.catalog.update_namespace(&ns, &target.0, target.1, xid, self.cid)?;
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }
}

impl Session {
    /// `ALTER {TABLE | VIEW | SEQUENCE} [IF EXISTS] name SET SCHEMA schema`.
    fn set_schema(&mut self, kind: DropKind, if_exists: bool, name: &str, schema: &str) -> Result<()> {
        let xid = self.ensure_xid(match kind {
            DropKind::View => "ALTER VIEW",
            DropKind::Sequence => "ALTER SEQUENCE",
            _ => "ALTER TABLE",
        })?;
        self.lock_for_ddl(name, crate::txn::lock::LockMode::AccessExclusive)?;
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let bare = crate::catalog::namespace::split_qualified(name)?.1;
        let Some(rel) = catalog.relation(name, &who)? else {
            if if_exists {
                self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("relation \"{bare}\" does not exist, skipping"),
                ));
                return Ok(());
            }
            return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"));
        };
        let wanted = match kind {
            DropKind::View => Some(RelKind::View),
            DropKind::Sequence => Some(RelKind::Sequence),
            _ => None,
        };
        if let Some(wanted) = wanted.filter(|&w| w != rel.kind) {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{bare}\" is not a {}", wanted.noun()));
        }
        if rel.kind == RelKind::Sequence
            && let Some((table, _, _)) = catalog.sequence_owner(rel.oid, &who)?
        {
            let table = catalog.relation_by_oid(table, &who)?.map(|r| r.0).unwrap_or_default();
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot move an owned sequence into another schema")
                .with_detail(format!("Sequence \"{bare}\" is linked to table \"{table}\".")));
        }
        if rel.kind == RelKind::Index || rel.oid < FIRST_NORMAL_OID {
            return Err(Error::not_supported(format!("moving \"{bare}\" to another schema")));
        }
        if rel.temp || schema == "pg_temp" || crate::catalog::namespace::is_any_temp_namespace_name(schema) {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot move objects into or out of temporary schemas"));
        }
        let namespace = catalog.namespace_oid(schema, &who)?;
        if namespace == rel.namespace {
            return Ok(());
        }
        if namespace == crate::catalog::PG_CATALOG_NAMESPACE || namespace == crate::catalog::PG_TOAST_NAMESPACE {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot move objects into or out of system schemas"));
        }
        if catalog.relation_in(namespace, &bare, &who)?.is_some() {
            return Err(err!(SqlState::DUPLICATE_TABLE, "relation \"{bare}\" already exists in schema \"{schema}\""));
        }
        // A view keeps its query as SQL text, which names the relation
        // where it was.
        if let Some((_, view)) = catalog.dependent_views(rel.oid, &who)?.first() {
            return Err(Error::not_supported(format!(
                "moving \"{bare}\", which view \"{view}\" reads, to another schema"
            )));
        }
        self.catalog_changed = true;
        catalog.set_relation_namespace(rel.oid, namespace, xid, self.cid, &who)?;
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }
}
