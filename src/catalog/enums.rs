//! Enum types in the catalog: a `pg_type` row of `typtype` `'e'` with its
//! array type `_name` beside it, and a `pg_enum` row per label
//! (`enumtypid`, `enumsortorder` as float4, `enumlabel`). All are written
//! by the DDL's transaction, so CREATE TYPE, ALTER TYPE and DROP TYPE
//! commit or roll back like any other change.
//!
//! A label's sort order is fixed when the label is made (see
//! [`crate::sql::enums`]): values carry it, and so do index keys.
//! The array type's OID is always the enum type's OID plus one.

use super::system::{self, PG_ATTRIBUTE, PG_TYPE, SUPERUSER, SystemCatalog};
use super::{Catalog, Reader, text_of, u32_of};
use crate::error::{Error, Result};
use crate::sql::enums::EnumLabels;
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::{deform, form};

/// pg_enum: the labels of enum types.
pub const PG_ENUM: SystemCatalog = SystemCatalog {
    oid: 3501,
    name: "pg_enum",
    columns: &[
        ("oid", PgType::Oid),
        ("enumtypid", PgType::Oid),
        ("enumsortorder", PgType::Float4),
        ("enumlabel", PgType::Name),
    ],
};

const ENUM_OID: usize = 0;
const ENUM_TYPID: usize = 1;
const ENUM_SORTORDER: usize = 2;
const ENUM_LABEL: usize = 3;

/// A type found by name in `pg_type`.
#[derive(Clone, Debug)]
pub struct TypeRow {
    pub oid: u32,
    pub name: String,
    pub namespace: u32,
    /// `typtype`: `b` base, `c` composite, `e` enum, `p` pseudo, …
    pub kind: u8,
    pub array: u32,
    /// `typelem`: an array type's element type (0 if none).
    pub elem: u32,
    /// `typrelid`: the relation whose row type this is (0 if none).
    pub relid: u32,
    pub owner: u32,
    pub tid: Tid,
}

/// What `format_type` and `pg_type_is_visible` need of a user-made type.
#[derive(Clone, Debug)]
pub struct TypeInfo {
    /// As `format_type` shows it: quoted where needed, qualified where the
    /// search path would not find it, `[]` after an array type's element.
    pub shown: String,
    pub visible: bool,
}

/// One `pg_enum` row.
#[derive(Clone, Debug)]
pub struct EnumRow {
    pub oid: u32,
    pub sort: f32,
    pub label: String,
    pub tid: Tid,
}

/// The columns of a new type's `pg_type` row that every kind of type
/// made by DDL shares (`typalign` `align`); the rest are NULL.
pub(super) fn new_type_row(oid: u32, name: &str, namespace: u32, owner: u32, align: &str) -> Vec<Datum> {
    let text = |s: &str| Datum::Text(s.to_string());
    let at = |c: &str| PG_TYPE.attno(c);
    let mut row = vec![Datum::Null; PG_TYPE.columns.len()];
    row[at("oid")] = Datum::Oid(oid);
    row[at("typname")] = text(name);
    row[at("typnamespace")] = Datum::Oid(namespace);
    row[at("typowner")] = Datum::Oid(owner);
    row[at("typispreferred")] = Datum::Bool(false);
    row[at("typisdefined")] = Datum::Bool(true);
    row[at("typdelim")] = text(",");
    row[at("typrelid")] = Datum::Oid(0);
    row[at("typmodin")] = text("-");
    row[at("typmodout")] = text("-");
    row[at("typalign")] = text(align);
    row[at("typnotnull")] = Datum::Bool(false);
    row[at("typbasetype")] = Datum::Oid(0);
    row[at("typtypmod")] = Datum::Int4(-1);
    row[at("typndims")] = Datum::Int4(0);
    row[at("typcollation")] = Datum::Oid(0);
    row
}

/// A `pg_type` row for a new enum type or its array type.
fn type_row(oid: u32, name: &str, namespace: u32, array_of: Option<u32>) -> Vec<Datum> {
    let text = |s: &str| Datum::Text(s.to_string());
    let at = |c: &str| PG_TYPE.attno(c);
    let mut row = new_type_row(oid, name, namespace, SUPERUSER, "i");
    match array_of {
        None => {
            row[at("typlen")] = Datum::Int2(4);
            row[at("typbyval")] = Datum::Bool(true);
            row[at("typtype")] = text("e");
            row[at("typcategory")] = text("E");
            row[at("typsubscript")] = text("-");
            row[at("typelem")] = Datum::Oid(0);
            row[at("typarray")] = Datum::Oid(oid + 1);
            for (col, f) in [("typinput", "enum_in"), ("typoutput", "enum_out")] {
                row[at(col)] = text(f);
            }
            for (col, f) in [("typreceive", "enum_recv"), ("typsend", "enum_send"), ("typanalyze", "-")] {
                row[at(col)] = text(f);
            }
            row[at("typstorage")] = text("p");
        }
        Some(elem) => array_type_fields(&mut row, elem),
    }
    row
}

/// Make `row` (of `pg_type`) an array type's whose element type is `elem`.
pub(super) fn array_type_fields(row: &mut [Datum], elem: u32) {
    let text = |s: &str| Datum::Text(s.to_string());
    let at = |c: &str| PG_TYPE.attno(c);
    row[at("typlen")] = Datum::Int2(-1);
    row[at("typbyval")] = Datum::Bool(false);
    row[at("typtype")] = text("b");
    row[at("typcategory")] = text("A");
    row[at("typsubscript")] = text("array_subscript_handler");
    row[at("typelem")] = Datum::Oid(elem);
    row[at("typarray")] = Datum::Oid(0);
    for (col, f) in [("typinput", "array_in"), ("typoutput", "array_out"), ("typreceive", "array_recv")] {
        row[at(col)] = text(f);
    }
    row[at("typsend")] = text("array_send");
    row[at("typanalyze")] = text("array_typanalyze");
    row[at("typstorage")] = text("x");
}

impl Catalog {
    /// Visit `pg_type`'s rows as [`TypeRow`]s.
    pub fn scan_types(&self, who: &Reader<'_>, mut f: impl FnMut(TypeRow)) -> Result<()> {
        let desc = PG_TYPE.desc();
        let at = |c: &str| PG_TYPE.attno(c);
        self.scan(&PG_TYPE, who, |tid, t| {
            let v = deform(&desc, t);
            f(TypeRow {
                oid: u32_of(v[at("oid")]),
                name: text_of(v[at("typname")]),
                namespace: u32_of(v[at("typnamespace")]),
                kind: v[at("typtype")].and_then(|b| b.first().copied()).unwrap_or(b'b'),
                array: u32_of(v[at("typarray")]),
                elem: u32_of(v[at("typelem")]),
                relid: u32_of(v[at("typrelid")]),
                owner: u32_of(v[at("typowner")]),
                tid,
            })
        })
    }

    /// The type named `name` in the first schema of `path` that has one.
    pub fn type_on_path(&self, path: &[u32], name: &str, who: &Reader<'_>) -> Result<Option<TypeRow>> {
        let mut found: Vec<TypeRow> = Vec::new();
        self.scan_types(who, |t| {
            if t.name == name && path.contains(&t.namespace) {
                found.push(t);
            }
        })?;
        Ok(found.into_iter().min_by_key(|t| path.iter().position(|&n| n == t.namespace)))
    }

    /// The type of a column of type `oid` that is not a built-in one: an
    /// enum or an array of an enum.
    pub fn user_column_type(&self, oid: u32, who: &Reader<'_>) -> Result<Option<PgType>> {
        Ok(match self.type_by_oid(oid, who)? {
            Some(t) if t.kind == b'e' => Some(PgType::Enum(oid)),
            Some(t) if t.kind == b'c' => Some(PgType::Composite(oid)),
            Some(_) => match self.type_by_oid(oid.wrapping_sub(1), who)? {
                Some(e) if e.kind == b'e' && e.array == oid => Some(PgType::EnumArray(e.oid)),
                _ => None,
            },
            None => None,
        })
    }

    /// The type whose OID is `oid`, if there is one.
    pub fn type_by_oid(&self, oid: u32, who: &Reader<'_>) -> Result<Option<TypeRow>> {
        let mut found = None;
        self.scan_types(who, |t| {
            if t.oid == oid {
                found = Some(t);
            }
        })?;
        Ok(found)
    }

    /// [`TypeInfo`] of a type not among the built-in ones, through the
    /// reader's search path.
    pub fn user_type_info(&self, oid: u32, who: &Reader<'_>) -> Result<Option<TypeInfo>> {
        let Some(ty) = self.type_by_oid(oid, who)? else { return Ok(None) };
        let (elem, suffix) = match self.type_by_oid(ty.elem, who)? {
            Some(e) if ty.elem != 0 && e.array == oid => (e, "[]"),
            _ => (ty.clone(), ""),
        };
        let path = who.path.unwrap_or(&super::namespace::DEFAULT_PATH);
        let visible = self.type_on_path(path, &elem.name, who)?.is_some_and(|t| t.oid == elem.oid);
        let name = super::describe::quote_identifier(&elem.name);
        let shown = if visible {
            format!("{name}{suffix}")
        } else {
            let schema = self.namespace_name(elem.namespace, who)?.unwrap_or_default();
            format!("{}.{name}{suffix}", super::describe::quote_identifier(&schema))
        };
        Ok(Some(TypeInfo { shown, visible: self.type_on_path(path, &ty.name, who)?.is_some_and(|t| t.oid == oid) }))
    }

    /// The `pg_enum` rows of enum type `typoid`, in sort order.
    pub fn enum_rows(&self, typoid: u32, who: &Reader<'_>) -> Result<Vec<EnumRow>> {
        let desc = PG_ENUM.desc();
        let mut rows = Vec::new();
        self.scan(&PG_ENUM, who, |tid, t| {
            let v = deform(&desc, t);
            if u32_of(v[ENUM_TYPID]) == typoid {
                let sort = v[ENUM_SORTORDER].and_then(|b| b.try_into().ok()).map_or(0.0, f32::from_le_bytes);
                rows.push(EnumRow { oid: u32_of(v[ENUM_OID]), sort, label: text_of(v[ENUM_LABEL]), tid });
            }
        })?;
        rows.sort_by(|a, b| a.sort.total_cmp(&b.sort));
        Ok(rows)
    }

    /// The labels of enum type `typoid`, for input and `enum_range`.
    pub fn enum_labels(&self, typoid: u32, who: &Reader<'_>) -> Result<EnumLabels> {
        let ty = self.type_by_oid(typoid, who)?.ok_or_else(|| Error::internal("enum type vanished"))?;
        let labels = self.enum_rows(typoid, who)?.into_iter().map(|r| (r.sort, r.label)).collect();
        Ok(EnumLabels { type_name: ty.name, labels })
    }

    /// CREATE TYPE … AS ENUM: the type, its array type and its labels
    /// (sort orders 1, 2, 3, …); the type's OID.
    pub fn create_enum(&self, namespace: u32, name: &str, labels: &[String], xid: u64, cid: u32) -> Result<u32> {
        let oid = self.allocate_type_oids()?;
        self.insert_catalog_row(&PG_TYPE, &type_row(oid, name, namespace, None), xid, cid)?;
        let array_name = format!("_{name}");
        let array_name = crate::sql::types::name_truncated(&array_name);
        self.insert_catalog_row(&PG_TYPE, &type_row(oid + 1, array_name, namespace, Some(oid)), xid, cid)?;
        for (i, label) in labels.iter().enumerate() {
            self.add_enum_label(oid, label, (i + 1) as f32, xid, cid)?;
        }
        Ok(oid)
    }

    /// Two consecutive new OIDs, for a type and its array type; the first.
    pub(super) fn allocate_type_oids(&self) -> Result<u32> {
        let oid = self.engine.allocate_oid()?;
        if self.engine.allocate_oid()? == oid + 1 {
            return Ok(oid);
        }
        // Another session took an OID in between: take a fresh pair.
        let again = self.engine.allocate_oid()?;
        if self.engine.allocate_oid()? != again + 1 {
            return Err(Error::internal("could not allocate two consecutive OIDs for a type"));
        }
        Ok(again)
    }

    /// A new `pg_enum` row.
    pub fn add_enum_label(&self, typoid: u32, label: &str, sort: f32, xid: u64, cid: u32) -> Result<()> {
        let oid = self.engine.allocate_oid()?;
        let row = [Datum::Oid(oid), Datum::Oid(typoid), Datum::Float4(sort), Datum::Text(label.to_string())];
        self.insert_catalog_row(&PG_ENUM, &row, xid, cid)?;
        Ok(())
    }

    /// ALTER TYPE … RENAME VALUE: a new version of the label's row.
    pub fn rename_enum_label(&self, row: &EnumRow, typoid: u32, label: &str, xid: u64, cid: u32) -> Result<()> {
        let values = [Datum::Oid(row.oid), Datum::Oid(typoid), Datum::Float4(row.sort), Datum::Text(label.into())];
        self.replace_catalog_row(&PG_ENUM, row.tid, &values, xid, cid)
    }

    /// ALTER TYPE … RENAME TO / SET SCHEMA: new versions of the type's
    /// row and of its array type's (`_name`).
    pub fn rename_type(
        &self,
        ty: &TypeRow,
        name: &str,
        namespace: u32,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let array_name = format!("_{name}");
        for (oid, new_name, elem) in [(ty.oid, name, None), (ty.array, array_name.as_str(), Some(ty.oid))] {
            let Some(old) = self.type_by_oid(oid, who)? else { continue };
            let new_name = crate::sql::types::name_truncated(new_name);
            self.replace_catalog_row(&PG_TYPE, old.tid, &type_row(oid, new_name, namespace, elem), xid, cid)?;
        }
        Ok(())
    }

    /// DROP TYPE: the type's row, its array type's and its labels.
    pub fn drop_enum(&self, ty: &TypeRow, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let mut types = vec![ty.tid];
        if let Some(array) = self.type_by_oid(ty.array, who)? {
            types.push(array.tid);
        }
        self.delete_catalog_rows(&PG_TYPE, &types, xid, cid)?;
        let labels: Vec<Tid> = self.enum_rows(ty.oid, who)?.iter().map(|r| r.tid).collect();
        self.delete_catalog_rows(&PG_ENUM, &labels, xid, cid)
    }

    /// The columns (relation OID, column name) whose type is `typoid` or
    /// its array type, in relation order.
    pub fn columns_of_type(&self, typoid: u32, array: u32, who: &Reader<'_>) -> Result<Vec<(u32, String)>> {
        let desc = PG_ATTRIBUTE.desc();
        let mut out = Vec::new();
        self.scan(&PG_ATTRIBUTE, who, |_, t| {
            let v = deform(&desc, t);
            let ty = u32_of(v[system::ATT_TYPID]);
            if (ty == typoid || ty == array) && v[system::ATT_ISDROPPED] != Some(&[1]) {
                out.push((u32_of(v[system::ATT_RELID]), text_of(v[system::ATT_NAME])));
            }
        })?;
        out.sort_by_key(|c| c.0);
        let mut tables = Vec::with_capacity(out.len());
        for (rel, column) in out {
            if self.relation_by_oid(rel, who)?.is_some_and(|(_, r)| r.kind != super::RelKind::Index) {
                tables.push((rel, column));
            }
        }
        Ok(tables)
    }

    /// Replace the catalog row at `tid` by `values` (a new version).
    pub(super) fn replace_catalog_row(
        &self,
        catalog: &SystemCatalog,
        tid: Tid,
        values: &[Datum],
        xid: u64,
        cid: u32,
    ) -> Result<()> {
        let bytes: Vec<Option<Vec<u8>>> =
            values.iter().map(|v| if v.is_null() { None } else { Some(v.storage_bytes()) }).collect();
        let refs: Vec<Option<&[u8]>> = bytes.iter().map(|b| b.as_deref()).collect();
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
        self.heap(self.catalog_rel(catalog)).update_checked(tid, xid, cid, &form(&catalog.desc(), &refs), &how)?;
        Ok(())
    }
}
