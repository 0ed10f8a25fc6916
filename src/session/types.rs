//! Running `CREATE TYPE … AS ENUM`, `ALTER TYPE` and `DROP TYPE` in a
//! session: rows of `pg_type` and `pg_enum` written by the session's
//! transaction (see [`crate::catalog::enums`]).

use crate::catalog::enums::TypeRow;
use crate::catalog::{Reader, RelKind};
use crate::err;
use crate::error::{Notice, Result, SqlState};
use crate::sql::TypeStmt;

use super::Session;

/// PostgreSQL's NAMEDATALEN - 1: the longest label, in bytes.
const MAX_LABEL: usize = 63;

fn check_label(label: &str) -> Result<()> {
    if label.is_empty() || label.len() > MAX_LABEL {
        return Err(err!(SqlState::INVALID_NAME, "invalid enum label \"{label}\"")
            .with_detail("Labels must be 63 bytes or less."));
    }
    Ok(())
}

fn not_a_label(label: &str) -> crate::error::Error {
    err!(SqlState::INVALID_PARAMETER_VALUE, "\"{label}\" is not an existing enum label")
}

fn label_exists(label: &str) -> crate::error::Error {
    err!(SqlState::DUPLICATE_OBJECT, "enum label \"{label}\" already exists")
}

impl Session {
    pub(super) fn type_statement(&mut self, stmt: &TypeStmt) -> Result<()> {
        let xid = self.ensure_xid(match stmt {
            TypeStmt::CreateEnum { .. } => "CREATE TYPE",
            TypeStmt::Drop { .. } => "DROP TYPE",
            _ => "ALTER TYPE",
        })?;
        match stmt {
            TypeStmt::CreateEnum { schema, name, labels } => self.create_enum(schema.as_deref(), name, labels, xid)?,
            TypeStmt::AddValue { schema, name, label, if_not_exists, position } => {
                let ty = self.enum_type(schema.as_deref(), name, xid)?;
                self.add_enum_value(&ty, label, *if_not_exists, position.as_ref(), xid)?;
            }
            TypeStmt::RenameValue { schema, name, from, to } => {
                let ty = self.enum_type(schema.as_deref(), name, xid)?;
                self.rename_enum_value(&ty, from, to, xid)?;
            }
            TypeStmt::Rename { schema, name, new_name } => {
                let namespace = self.schema_of(schema.as_deref(), xid)?;
                if let Some(ty) = self.find_type(namespace, name, xid)?
                    && self.row_type_owner(&ty, xid)?.is_some()
                {
                    let written = crate::catalog::namespace::qualified_name(schema.as_deref(), name);
                    return Err(err!(SqlState::WRONG_OBJECT_TYPE, "{written} is a table's row type")
                        .with_hint("Use ALTER TABLE instead."));
                }
                let ty = self.enum_type(schema.as_deref(), name, xid)?;
                if self.find_type(Some(ty.namespace), new_name, xid)?.is_some() {
                    return Err(err!(SqlState::DUPLICATE_OBJECT, "type \"{new_name}\" already exists"));
                }
                let snapshot = self.statement_snapshot();
                let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
                self.shared.catalog.rename_type(&ty, new_name, ty.namespace, xid, self.cid, &who)?;
            }
            TypeStmt::Drop { names, if_exists, cascade } => self.drop_types(names, *if_exists, *cascade, xid)?,
        }
        self.cid += 1;
        self.catalog_changed = true;
        self.simple_cache.clear();
        Ok(())
    }

    /// The relation whose row type `ty` is, if it is one: its name as
    /// `regclass` shows it, and its kind.
    fn row_type_owner(&mut self, ty: &TypeRow, xid: u64) -> Result<Option<(String, Option<RelKind>)>> {
        if ty.kind != b'c' || ty.relid == 0 {
            return Ok(None);
        }
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        let Some((_, rel)) = catalog.relation_by_oid(ty.relid, &who)? else { return Ok(None) };
        let shown = catalog.regclass_text(ty.relid, &who)?.unwrap_or_default();
        Ok(Some((shown, Some(rel.kind))))
    }

    /// Type `oid` as `format_type` shows it (`name` if it cannot).
    fn type_shown(&mut self, oid: u32, name: &str, xid: u64) -> Result<String> {
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        Ok(self.shared.catalog.user_type_info(oid, &who)?.map_or_else(|| name.to_string(), |i| i.shown))
    }

    /// The type `name` in schema `namespace` (`None`: on the search path).
    pub(super) fn find_type(&mut self, namespace: Option<u32>, name: &str, xid: u64) -> Result<Option<TypeRow>> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let path = match namespace {
            Some(n) => vec![n],
            None => self.search_path.clone(),
        };
        self.shared.catalog.type_on_path(&path, name, &who)
    }

    /// The schema a qualified name names (3F000 if none).
    pub(super) fn schema_of(&mut self, schema: Option<&str>, xid: u64) -> Result<Option<u32>> {
        let Some(schema) = schema else { return Ok(None) };
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.namespace_oid(schema, &who).map(Some)
    }

    /// The enum type a name denotes: 42704 if there is none, 42809 if the
    /// type is not an enum.
    fn enum_type(&mut self, schema: Option<&str>, name: &str, xid: u64) -> Result<TypeRow> {
        let namespace = self.schema_of(schema, xid)?;
        match self.find_type(namespace, name, xid)? {
            Some(t) if t.kind == b'e' => Ok(t),
            Some(t) => {
                let shown = crate::sql::types::PgType::from_oid(t.oid).map_or(t.name.as_str(), |p| p.sql_name());
                Err(err!(SqlState::WRONG_OBJECT_TYPE, "{shown} is not an enum"))
            }
            None => Err(err!(SqlState::UNDEFINED_OBJECT, "type \"{name}\" does not exist")),
        }
    }

    fn create_enum(&mut self, schema: Option<&str>, name: &str, labels: &[String], xid: u64) -> Result<()> {
        let namespace = match self.schema_of(schema, xid)? {
            Some(n) => n,
            None => *self
                .explicit_path
                .first()
                .ok_or_else(|| err!(SqlState::INVALID_SCHEMA_NAME, "no schema has been selected to create in"))?,
        };
        if self.find_type(Some(namespace), name, xid)?.is_some() {
            return Err(err!(SqlState::DUPLICATE_OBJECT, "type \"{name}\" already exists"));
        }
        for (i, label) in labels.iter().enumerate() {
            check_label(label)?;
            if labels[..i].contains(label) {
                return Err(label_exists(label));
            }
        }
        self.shared.catalog.create_enum(namespace, name, labels, xid, self.cid)?;
        Ok(())
    }

    fn add_enum_value(
        &mut self,
        ty: &TypeRow,
        label: &str,
        if_not_exists: bool,
        position: Option<&(bool, String)>,
        xid: u64,
    ) -> Result<()> {
        check_label(label)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let rows = self.shared.catalog.enum_rows(ty.oid, &who)?;
        if rows.iter().any(|r| r.label == label) {
            if if_not_exists {
                self.notices.push(Notice::info(
                    SqlState::DUPLICATE_OBJECT,
                    format!("enum label \"{label}\" already exists, skipping"),
                ));
                return Ok(());
            }
            return Err(label_exists(label));
        }
        let sorts: Vec<f32> = rows.iter().map(|r| r.sort).collect();
        let (before, after) = match position {
            None => (sorts.last().copied(), None),
            Some((is_before, neighbour)) => {
                let i = rows.iter().position(|r| &r.label == neighbour).ok_or_else(|| not_a_label(neighbour))?;
                if *is_before {
                    (i.checked_sub(1).map(|p| sorts[p]), Some(sorts[i]))
                } else {
                    (Some(sorts[i]), sorts.get(i + 1).copied())
                }
            }
        };
        let sort = crate::sql::enums::sort_order_between(before, after).ok_or_else(|| {
            crate::error::Error::not_supported(format!(
                "adding label \"{label}\" there: no sort order is left between its neighbours"
            ))
        })?;
        self.shared.catalog.add_enum_label(ty.oid, label, sort, xid, self.cid)
    }

    fn rename_enum_value(&mut self, ty: &TypeRow, from: &str, to: &str, xid: u64) -> Result<()> {
        check_label(to)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let rows = catalog.enum_rows(ty.oid, &who)?;
        let row = rows.iter().find(|r| r.label == from).ok_or_else(|| not_a_label(from))?;
        if rows.iter().any(|r| r.label == to) {
            return Err(label_exists(to));
        }
        // Stored values keep their label beside their sort order (see
        // crate::sql::enums): renaming would leave them with the old one.
        if !catalog.columns_of_type(ty.oid, ty.array, &who)?.is_empty() {
            return Err(crate::error::Error::not_supported(format!(
                "renaming a value of enum type {} while table columns use the type",
                ty.name
            )));
        }
        catalog.rename_enum_label(row, ty.oid, to, xid, self.cid)
    }

    fn drop_types(
        &mut self,
        names: &[(Option<String>, String)],
        if_exists: bool,
        cascade: bool,
        xid: u64,
    ) -> Result<()> {
        let mut doomed = Vec::new();
        let mut domains = Vec::new();
        for (schema, name) in names {
            let namespace = match self.schema_of(schema.as_deref(), xid) {
                Err(e) if if_exists && e.code() == SqlState::INVALID_SCHEMA_NAME => {
                    let schema = schema.as_deref().unwrap_or_default();
                    self.notices.push(Notice::info(
                        SqlState::SUCCESSFUL_COMPLETION,
                        format!("schema \"{schema}\" does not exist, skipping"),
                    ));
                    continue;
                }
                other => other?,
            };
            match self.find_type(namespace, name, xid)? {
                None if if_exists => self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("type \"{name}\" does not exist, skipping"),
                )),
                None => return Err(err!(SqlState::UNDEFINED_OBJECT, "type \"{name}\" does not exist")),
                Some(t) if t.kind == b'd' => domains.push(t),
                Some(t) if t.kind == b'c' && t.oid >= crate::catalog::FIRST_NORMAL_OID => {
                    let (relation, kind) = self.row_type_owner(&t, xid)?.unwrap_or_default();
                    let noun = kind.map_or("relation", |k| k.noun());
                    let shown = self.type_shown(t.oid, name, xid)?;
                    return Err(err!(
                        SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                        "cannot drop type {shown} because {noun} {relation} requires it"
                    )
                    .with_hint(format!("You can drop {noun} {relation} instead.")));
                }
                Some(t) if t.kind != b'e' => {
                    return Err(err!(
                        SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                        "cannot drop type {name} because it is required by the database system"
                    ));
                }
                Some(t) => doomed.push(t),
            }
        }
        for ty in &domains {
            self.drop_domain(ty, cascade, xid)?;
        }
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        for ty in &doomed {
            let columns = catalog.columns_of_type(ty.oid, ty.array, &who)?;
            if columns.is_empty() {
                catalog.drop_enum(ty, xid, self.cid, &who)?;
                continue;
            }
            if cascade {
                return Err(crate::error::Error::not_supported("DROP TYPE … CASCADE of a type that table columns use"));
            }
            let mut detail = Vec::new();
            for (rel, column) in &columns {
                let table = catalog.regclass_text(*rel, &who)?.unwrap_or_default();
                detail.push(format!("column {column} of table {table} depends on type {}", ty.name));
            }
            return Err(err!(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                "cannot drop type {} because other objects depend on it",
                ty.name
            )
            .with_detail(detail.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        Ok(())
    }
}
