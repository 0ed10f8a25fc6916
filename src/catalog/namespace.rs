//! Schemas: `pg_namespace` rows, and how a relation's name is found
//! through them (PostgreSQL's `namespace.c`).
//!
//! A schema is a row of `pg_namespace`, written and removed by the DDL
//! transaction like any catalog row. Relations point at their schema by
//! `relnamespace`; PostgreSQL records no `pg_depend` row for that, and
//! neither does tusk.
//!
//! A relation name reaches the catalog as a *relation name string*: an
//! unqualified name as written (`t`), or a qualified one in SQL quoting
//! (`s.t`, `"My S"."t"`) — see [`qualified_name`]. An unqualified name is
//! looked up in the schemas of the reader's search path
//! ([`super::Reader::path`]), the first schema that holds one wins.

use super::system::{self, NSP_NAME, NSP_OID, PG_CATALOG_NAMESPACE, PG_NAMESPACE, PUBLIC_NAMESPACE};
use super::{Catalog, Reader, identifier_parts, text_of, u32_of};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::types::Datum;
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::{deform, form};

/// The search path of a reader that names none: `pg_catalog`, `public`.
pub const DEFAULT_PATH: [u32; 2] = [PG_CATALOG_NAMESPACE, PUBLIC_NAMESPACE];

/// A `pg_namespace` row.
#[derive(Clone, Debug)]
pub struct Namespace {
    pub oid: u32,
    pub name: String,
    pub owner: u32,
    pub tid: Tid,
}

/// The relation name string for `name` in schema `schema` (see the module
/// doc). An unqualified name that could be read as qualified is quoted.
pub fn qualified_name(schema: Option<&str>, name: &str) -> String {
    let quote = super::describe::quote_identifier;
    match schema {
        Some(s) => format!("{}.{}", quote(s), quote(name)),
        None if name.contains(['.', '"']) => quote(name),
        None => name.to_string(),
    }
}

/// A relation name string's schema (if qualified) and name.
pub fn split_qualified(text: &str) -> Result<(Option<String>, String)> {
    if !text.contains(['.', '"']) {
        return Ok((None, text.to_string()));
    }
    parse_qualified(text)
}

/// A possibly schema-qualified name's parts, each parsed as an identifier
/// (unquoted ones folded to lower case): the schema, if named, and the name.
pub fn parse_qualified(text: &str) -> Result<(Option<String>, String)> {
    let mut parts = identifier_parts(text)?;
    match parts.len() {
        1 => Ok((None, parts.remove(0))),
        2 => {
            let name = parts.pop().unwrap_or_default();
            Ok((parts.pop(), name))
        }
        _ => Err(err!(SqlState::INVALID_NAME, "improper qualified name (too many dotted names): {text}")),
    }
}

/// The error for a schema that does not exist.
pub fn no_schema(name: &str) -> Error {
    err!(SqlState::INVALID_SCHEMA_NAME, "schema \"{name}\" does not exist")
}

/// Whether a schema name is a session's temporary schema (`pg_temp_N`).
pub fn is_temp_namespace_name(name: &str) -> bool {
    name.strip_prefix("pg_temp_").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a schema name is a temporary schema or its TOAST schema
/// (`pg_toast_temp_N`).
pub fn is_any_temp_namespace_name(name: &str) -> bool {
    is_temp_namespace_name(name) || name.strip_prefix("pg_toast_").is_some_and(is_temp_namespace_name)
}

/// The error for naming another session's temporary schema.
pub fn other_temp_error() -> Error {
    err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot access temporary tables of other sessions")
}

/// The schema names PostgreSQL keeps for itself.
pub fn check_schema_name(name: &str) -> Result<()> {
    if name.starts_with("pg_") {
        return Err(err!(SqlState::RESERVED_NAME, "unacceptable schema name \"{name}\"")
            .with_detail("The prefix \"pg_\" is reserved for system schemas."));
    }
    Ok(())
}

impl Catalog {
    /// Every schema `who` sees, in OID order.
    pub fn namespaces(&self, who: &Reader<'_>) -> Result<Vec<Namespace>> {
        let desc = PG_NAMESPACE.desc();
        let mut out = Vec::new();
        self.scan(&PG_NAMESPACE, who, |tid, t| {
            let v = deform(&desc, t);
            out.push(Namespace {
                oid: u32_of(v[NSP_OID]),
                name: text_of(v[NSP_NAME]),
                owner: u32_of(v[PG_NAMESPACE.attno("nspowner")]),
                tid,
            });
        })?;
        out.sort_by_key(|n| n.oid);
        Ok(out)
    }

    /// The schema named `name`, if `who` sees one.
    pub fn namespace(&self, name: &str, who: &Reader<'_>) -> Result<Option<Namespace>> {
        Ok(self.namespaces(who)?.into_iter().find(|n| n.name == name))
    }

    /// The OID of schema `name`, or 3F000.
    pub fn namespace_oid(&self, name: &str, who: &Reader<'_>) -> Result<u32> {
        if let Some(oid) = system::fixed_namespace(name) {
            return Ok(oid);
        }
        self.namespace(name, who)?.map(|n| n.oid).ok_or_else(|| no_schema(name))
    }

    /// The name of schema `oid`, if `who` sees it.
    /// `public` may have been dropped (and made again under another OID):
    /// it is looked up like the schemas users make.
    pub fn namespace_name(&self, oid: u32, who: &Reader<'_>) -> Result<Option<String>> {
        if let Some(name) = super::describe::namespace_name(oid).filter(|_| oid != PUBLIC_NAMESPACE) {
            return Ok(Some(name.to_string()));
        }
        Ok(self.namespaces(who)?.into_iter().find(|n| n.oid == oid).map(|n| n.name))
    }

    /// The schemas a `search_path` setting names that exist, in order and
    /// without repeats (`"$user"`: the schema named as `user`, if any).
    /// With `implicit`, `pg_catalog` comes first unless the path names it,
    /// and the session's temporary schema (`temp`, once it has one) before
    /// everything unless the path places it (as `pg_temp`). Another
    /// session's temporary schema is never searched.
    pub fn resolve_search_path(
        &self,
        setting: &str,
        user: &str,
        implicit: bool,
        temp: Option<u32>,
        who: &Reader<'_>,
    ) -> Result<Vec<u32>> {
        let all = self.namespaces(who)?;
        let mut out = Vec::new();
        for item in super::describe::search_path_items(setting, user) {
            let oid = match item.as_str() {
                "pg_temp" => temp,
                name if is_any_temp_namespace_name(name) => None,
                name => all.iter().find(|n| n.name == name).map(|n| n.oid),
            };
            if let Some(oid) = oid
                && !out.contains(&oid)
            {
                out.push(oid);
            }
        }
        if implicit && !out.contains(&PG_CATALOG_NAMESPACE) {
            out.insert(0, PG_CATALOG_NAMESPACE);
        }
        if let Some(temp) = temp
            && implicit
            && !out.contains(&temp)
        {
            out.insert(0, temp);
        }
        Ok(out)
    }

    /// The temporary schema among `path`'s (the session's own, see
    /// [`Catalog::resolve_search_path`]), if it has one.
    pub fn temp_namespace_in(&self, path: &[u32], who: &Reader<'_>) -> Result<Option<u32>> {
        let all = self.namespaces(who)?;
        Ok(path.iter().copied().find(|&oid| all.iter().any(|n| n.oid == oid && is_temp_namespace_name(&n.name))))
    }

    /// Whether schema `oid` is a temporary schema, as transaction `xid`
    /// sees the catalog at command `cid`.
    pub fn is_temp_namespace(&self, oid: u32, xid: u64, cid: u32) -> Result<bool> {
        if oid < super::FIRST_NORMAL_OID {
            return Ok(false);
        }
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid };
        Ok(self.namespace_name(oid, &who)?.is_some_and(|n| is_temp_namespace_name(&n)))
    }

    /// The schema a qualified relation name names, for a lookup: `pg_temp`
    /// is the reader's own temporary schema (0, which holds nothing, if it
    /// has none); another session's temporary schema is refused (0A000).
    pub fn lookup_namespace(&self, schema: &str, who: &Reader<'_>) -> Result<u32> {
        if schema == "pg_temp" {
            return Ok(self.temp_namespace_in(who.path.unwrap_or(&DEFAULT_PATH), who)?.unwrap_or(0));
        }
        let oid = self.namespace_oid(schema, who)?;
        if let Some(path) = who.path
            && is_temp_namespace_name(schema)
            && !path.contains(&oid)
        {
            return Err(other_temp_error());
        }
        Ok(oid)
    }

    /// The schema a relation name string names, if qualified, or else the
    /// first schema of `who`'s path that holds a relation of that name;
    /// and the bare name.
    pub(super) fn resolve_relation_name(&self, text: &str, who: &Reader<'_>) -> Result<(Vec<u32>, String)> {
        let (schema, name) = split_qualified(text)?;
        match schema {
            Some(s) => Ok((vec![self.lookup_namespace(&s, who)?], name)),
            None => Ok((who.path.unwrap_or(&DEFAULT_PATH).to_vec(), name)),
        }
    }

    /// Where a new relation named by relation name string `text` goes: its
    /// schema (the named one, or the first of the path that exists, not
    /// counting the implicit `pg_catalog`) and its bare name.
    pub fn creation_namespace(&self, text: &str, explicit_path: &[u32], who: &Reader<'_>) -> Result<(u32, String)> {
        let (schema, name) = split_qualified(text)?;
        let namespace = match schema {
            Some(s) => self.namespace_oid(&s, who)?,
            None => *explicit_path
                .first()
                .ok_or_else(|| err!(SqlState::INVALID_SCHEMA_NAME, "no schema has been selected to create in"))?,
        };
        if namespace == PG_CATALOG_NAMESPACE || namespace == system::PG_TOAST_NAMESPACE {
            let schema = if namespace == PG_CATALOG_NAMESPACE { "pg_catalog" } else { "pg_toast" };
            return Err(err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied to create \"{schema}.{name}\"")
                .with_detail("System catalog modifications are currently disallowed."));
        }
        Ok((namespace, name))
    }

    /// The schema and bare name of a relation being created under relation
    /// name string `name`, which the session has qualified (an unqualified
    /// one goes to `public`), as transaction `xid` sees the catalog at
    /// command `cid`.
    pub(super) fn creation_target(&self, name: &str, xid: u64, cid: u32) -> Result<(u32, String)> {
        let (schema, bare) = split_qualified(name)?;
        let schema = schema.unwrap_or_else(|| "public".to_string());
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid };
        Ok((self.namespace_oid(&schema, &who)?, bare))
    }

    /// Relation `oid` as `regclass` prints it: quoted, and qualified when
    /// an unqualified lookup through `who`'s path would not find it
    /// (PostgreSQL's `RelationIsVisible`).
    pub fn regclass_text(&self, oid: u32, who: &Reader<'_>) -> Result<Option<String>> {
        let Some((name, rel)) = self.relation_by_oid(oid, who)? else { return Ok(None) };
        let path = who.path.unwrap_or(&DEFAULT_PATH);
        let visible = self.relation_on_path(path, &name, who)?.is_some_and(|r| r.oid == oid);
        let quote = super::describe::quote_identifier;
        if visible {
            return Ok(Some(quote(&name)));
        }
        let schema = self.namespace_name(rel.namespace, who)?.unwrap_or_default();
        Ok(Some(format!("{}.{}", quote(&schema), quote(&name))))
    }

    /// ALTER … SET SCHEMA: relation `oid` moves to schema `namespace`, and
    /// with a table its indexes and the sequences its columns own (whose
    /// `nextval` defaults are written anew to name them where they are).
    pub fn set_relation_namespace(&self, oid: u32, namespace: u32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let mut moving = vec![oid];
        let mut owned = Vec::new();
        if let Some(table) = self.lookup_oid(oid, who)? {
            moving.extend(table.indexes.iter().map(|i| i.oid));
            for (seq, attnum, deptype) in self.owned_sequences(oid, who)? {
                moving.push(seq);
                if deptype == b'a' {
                    owned.push((seq, attnum as i16));
                }
            }
        }
        // The table's constraints move with it.
        for (tid, row) in self.constraints(who, &|c| c.relid == oid)? {
            self.replace_constraint_row(tid, &system::ConstraintRow { namespace, ..row }, xid, cid)?;
        }
        for rel in moving {
            let (_, row) = self.relation_by_oid(rel, who)?.ok_or_else(|| Error::internal("relation vanished"))?;
            self.update_class_row(&row, xid, cid, &|v| {
                v[system::CLASS_RELNAMESPACE] = Some(namespace.to_le_bytes().to_vec());
            })?;
        }
        let schema = self.namespace_name(namespace, who)?.unwrap_or_default();
        for (seq, attnum) in owned {
            let Some((name, _)) = self.relation_by_oid(seq, who)? else { continue };
            let qualified = if schema == "public" { name } else { qualified_name(Some(&schema), &name) };
            self.set_default(oid, attnum, Some(&super::nextval_text(&qualified)), xid, cid, who)?;
        }
        Ok(())
    }

    /// CREATE SCHEMA: a `pg_namespace` row; its OID.
    pub fn create_namespace(&self, name: &str, owner: u32, xid: u64, cid: u32) -> Result<u32> {
        let oid = self.engine.allocate_oid()?;
        let row = [Datum::Oid(oid), Datum::Text(name.to_string()), Datum::Oid(owner), Datum::Null];
        self.insert_catalog_row(&PG_NAMESPACE, &row, xid, cid)?;
        Ok(oid)
    }

    /// DROP SCHEMA: its `pg_namespace` row goes (its relations are the
    /// caller's to drop first).
    /// DROP SCHEMA: its row goes, and its comment.
    pub fn drop_namespace(&self, ns: &Namespace, xid: u64, cid: u32) -> Result<()> {
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        self.heap(self.catalog_rel(&PG_NAMESPACE)).delete_checked(ns.tid, xid, cid, &check)?;
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid };
        let gone = |t: super::comment::CommentTarget| t.objoid == ns.oid && t.classoid == PG_NAMESPACE.oid;
        self.drop_descriptions(&gone, xid, cid, &who)
    }

    /// ALTER SCHEMA … RENAME TO / OWNER TO: a new version of its row.
    pub fn update_namespace(&self, ns: &Namespace, name: &str, owner: u32, xid: u64, cid: u32) -> Result<()> {
        let row = [Datum::Oid(ns.oid), Datum::Text(name.to_string()), Datum::Oid(owner), Datum::Null];
        let mut bytes: Vec<Option<Vec<u8>>> =
            row.iter().map(|v| if v.is_null() { None } else { Some(v.storage_bytes()) }).collect();
        // The schema's privileges stay as they are.
        let old = self.heap(self.catalog_rel(&PG_NAMESPACE)).fetch(ns.tid)?;
        bytes[3] = old.and_then(|t| deform(&PG_NAMESPACE.desc(), &t)[3].map(<[u8]>::to_vec));
        let refs: Vec<Option<&[u8]>> = bytes.iter().map(|b| b.as_deref()).collect();
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
        self.heap(self.catalog_rel(&PG_NAMESPACE)).update_checked(
            ns.tid,
            xid,
            cid,
            &form(&PG_NAMESPACE.desc(), &refs),
            &how,
        )?;
        Ok(())
    }

    /// The relations of schema `namespace` that are not indexes or TOAST
    /// relations (those go with their tables): (OID, name, kind), in OID
    /// order.
    pub fn relations_in_namespace(
        &self,
        namespace: u32,
        who: &Reader<'_>,
    ) -> Result<Vec<(u32, String, super::RelKind)>> {
        let mut names = std::collections::HashMap::new();
        let cdesc = super::PG_CLASS.desc();
        self.scan(&super::PG_CLASS, who, |_, t| {
            let v = deform(&cdesc, t);
            if u32_of(v[system::CLASS_RELNAMESPACE]) == namespace {
                names.insert(u32_of(v[system::CLASS_OID]), text_of(v[system::CLASS_RELNAME]));
            }
        })?;
        let rels = self.find_relations(who, |v| u32_of(v[system::CLASS_RELNAMESPACE]) == namespace)?;
        let mut out: Vec<_> = rels
            .into_iter()
            .filter(|r| r.kind != super::RelKind::Index)
            .map(|r| (r.oid, names.remove(&r.oid).unwrap_or_default(), r.kind))
            .collect();
        out.sort_by_key(|r| r.0);
        Ok(out)
    }
}
