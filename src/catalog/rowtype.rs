//! Row types of relations. As in PostgreSQL, every table and view has a
//! composite type of its own name in its schema (`pg_type` row of `typtype`
//! `c` whose `typrelid` is the relation, pointed at by `pg_class.reltype`),
//! with an array type beside it. Sequences, indexes and TOAST relations
//! have none.
//!
//! The rows are written with the relation ([`Catalog::create_row_type`]),
//! follow it when it is renamed, moved or given away (every change of a
//! `pg_class` row passes through [`Catalog::follow_relation`]) and go with
//! it when it is dropped ([`Catalog::drop_row_type`]); all in the DDL's
//! transaction. The array type's OID is the row type's minus one:
//! PostgreSQL assigns the array type's first.

use std::sync::Arc;

use super::system::{self, PG_ATTRIBUTE, PG_CLASS, PG_DEPEND, PG_TYPE, SUPERUSER};
use super::{Attribute, Catalog, Reader, i16_of, i32_of, text_of, u32_of};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::record::{RowField, RowType};
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::tuple::deform;

/// Who a row type's `pg_type` rows name: the relation's name, schema and
/// owner.
struct RowTypeOf<'a> {
    relid: u32,
    name: &'a str,
    namespace: u32,
    owner: u32,
}

/// The `pg_type` row of a relation's row type (`array`: its array type).
fn row_type_values(oid: u32, array: u32, of: &RowTypeOf<'_>) -> Vec<Datum> {
    let mut row = common_values(oid, of.name, of);
    let at = |c: &str| PG_TYPE.attno(c);
    row[at("typlen")] = Datum::Int2(-1);
    row[at("typbyval")] = Datum::Bool(false);
    row[at("typrelid")] = Datum::Oid(of.relid);
    row[at("typelem")] = Datum::Oid(0);
    row[at("typarray")] = Datum::Oid(array);
    let text = [
        ("typtype", "c"),
        ("typcategory", "C"),
        ("typsubscript", "-"),
        ("typinput", "record_in"),
        ("typoutput", "record_out"),
        ("typreceive", "record_recv"),
        ("typsend", "record_send"),
        ("typanalyze", "-"),
        ("typstorage", "x"),
    ];
    for (col, value) in text {
        row[at(col)] = Datum::Text(value.to_string());
    }
    row
}

/// The `pg_type` row of the array type `name` of row type `elem`.
fn array_values(oid: u32, name: &str, elem: u32, of: &RowTypeOf<'_>) -> Vec<Datum> {
    let mut row = common_values(oid, name, of);
    super::enums::array_type_fields(&mut row, elem);
    row
}

/// The columns a row type and its array type share.
fn common_values(oid: u32, name: &str, of: &RowTypeOf<'_>) -> Vec<Datum> {
    let name = crate::sql::types::name_truncated(name);
    super::enums::new_type_row(oid, name, of.namespace, of.owner, "d")
}

/// The error for a relation whose row type's name is taken.
fn type_name_taken(name: &str) -> crate::error::Error {
    err!(SqlState::DUPLICATE_OBJECT, "type \"{name}\" already exists").with_hint(
        "A relation has an associated type of the same name, so you must use a name that doesn't conflict with any existing type.",
    )
}

/// The row types of the system catalogs and their array types (OIDs as
/// PostgreSQL 15's `initdb` assigns them).
const CATALOG_ROW_TYPES: [(&str, u32, u32); 49] = [
    ("pg_am", 10015, 10014),
    ("pg_amop", 10017, 10016),
    ("pg_amproc", 10019, 10018),
    ("pg_event_trigger", 10039, 10038),
    ("pg_foreign_data_wrapper", 10076, 10075),
    ("pg_foreign_server", 10078, 10077),
    ("pg_language", 10021, 10020),
    ("pg_opclass", 10013, 10012),
    ("pg_opfamily", 10011, 10010),
    ("pg_subscription", 6101, 10112),
    ("pg_ts_config", 10064, 10063),
    ("pg_ts_config_map", 10066, 10065),
    ("pg_ts_dict", 10068, 10067),
    ("pg_ts_parser", 10070, 10069),
    ("pg_ts_template", 10072, 10071),
    ("pg_user_mapping", 10080, 10079),
    ("pg_attrdef", 10001, 10000),
    ("pg_attribute", 75, 270),
    ("pg_auth_members", 2843, 10058),
    ("pg_authid", 2842, 10057),
    ("pg_cast", 10043, 10042),
    ("pg_class", 83, 273),
    ("pg_collation", 10095, 10094),
    ("pg_constraint", 10003, 10002),
    ("pg_database", 1248, 10052),
    ("pg_db_role_setting", 10054, 10053),
    ("pg_depend", 10051, 10050),
    ("pg_description", 10041, 10040),
    ("pg_enum", 10045, 10044),
    ("pg_extension", 10074, 10073),
    ("pg_foreign_table", 10082, 10081),
    ("pg_index", 10007, 10006),
    ("pg_inherits", 10005, 10004),
    ("pg_namespace", 10047, 10046),
    ("pg_operator", 10009, 10008),
    ("pg_partitioned_table", 10099, 10098),
    ("pg_policy", 10084, 10083),
    ("pg_proc", 81, 272),
    ("pg_publication", 10107, 10106),
    ("pg_publication_namespace", 10109, 10108),
    ("pg_publication_rel", 10111, 10110),
    ("pg_rewrite", 10035, 10034),
    ("pg_sequence", 10105, 10104),
    ("pg_shdescription", 10062, 10061),
    ("pg_statistic", 10029, 10028),
    ("pg_statistic_ext", 10031, 10030),
    ("pg_tablespace", 10056, 10055),
    ("pg_trigger", 10037, 10036),
    ("pg_type", 71, 210),
];

/// The row type (and its array type) of system catalog `name`.
pub(super) fn catalog_row_type(name: &str) -> Option<(u32, u32)> {
    CATALOG_ROW_TYPES.iter().find(|c| c.0 == name).map(|c| (c.1, c.2))
}

/// Bootstrap: the `pg_type` rows of system catalog `relid`'s row type
/// `oid` and of its array type `array`.
pub(super) fn catalog_row_type_rows(relid: u32, name: &str, (oid, array): (u32, u32)) -> [Vec<Datum>; 2] {
    let of = RowTypeOf { relid, name, namespace: system::PG_CATALOG_NAMESPACE, owner: SUPERUSER };
    [row_type_values(oid, array, &of), array_values(array, &format!("_{name}"), oid, &of)]
}

impl Catalog {
    /// The composite type whose `pg_type` OID is `oid`: its fields are
    /// its relation's columns that are not dropped (a domain column's
    /// field is of the domain's base type). `None` when `oid` is no
    /// composite type.
    pub fn row_type(&self, oid: u32, who: &Reader<'_>) -> Result<Option<Arc<RowType>>> {
        let Some(ty) = self.type_by_oid(oid, who)? else { return Ok(None) };
        if ty.kind != b'c' || ty.relid == 0 {
            return Ok(None);
        }
        let desc = PG_ATTRIBUTE.desc();
        let mut columns: Vec<(i16, String, u32, i32)> = Vec::new();
        self.scan(&PG_ATTRIBUTE, who, |_, t| {
            let v = deform(&desc, t);
            let num = i16_of(v[system::ATT_NUM]);
            if u32_of(v[system::ATT_RELID]) == ty.relid && num > 0 && v[system::ATT_ISDROPPED] != Some(&[1]) {
                columns.push((
                    num,
                    text_of(v[system::ATT_NAME]),
                    u32_of(v[system::ATT_TYPID]),
                    i32_of(v[system::ATT_TYPMOD]),
                ));
            }
        })?;
        columns.sort_by_key(|c| c.0);
        let mut fields = Vec::with_capacity(columns.len());
        for (_, name, typid, typmod) in columns {
            let ty = match PgType::from_oid(typid) {
                Some(t) => t,
                None => match self.domain(typid, who)? {
                    Some(d) => d.base,
                    None => self.user_column_type(typid, who)?.ok_or_else(|| {
                        err!(
                            SqlState::DATA_CORRUPTED,
                            "catalog lists unknown type OID {typid} for type \"{}\"",
                            ty.name
                        )
                    })?,
                },
            };
            fields.push(RowField { name, ty, typmod });
        }
        Ok(Some(Arc::new(RowType { oid, name: ty.name, relid: ty.relid, fields })))
    }

    /// A new relation named `name` in `namespace` needs its name free
    /// among the schema's types (42710 otherwise), as its row type takes
    /// it; sequences are checked too, as in PostgreSQL.
    pub(super) fn check_row_type_name(&self, namespace: u32, name: &str, xid: u64, cid: u32) -> Result<()> {
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid };
        match self.type_on_path(&[namespace], crate::sql::types::name_truncated(name), &who)? {
            Some(_) => Err(type_name_taken(name)),
            None => Ok(()),
        }
    }

    /// The row type of new relation `relid` and its array type, with the
    /// `pg_depend` rows that tie them to it; the row type's OID (for
    /// `pg_class.reltype`). Owned by the bootstrap superuser until the
    /// relation's owner is set ([`Catalog::follow_relation`]).
    pub(super) fn create_row_type(&self, relid: u32, name: &str, namespace: u32, xid: u64, cid: u32) -> Result<u32> {
        self.check_row_type_name(namespace, name, xid, cid)?;
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid };
        let array = self.allocate_type_oids()?;
        let oid = array + 1;
        let of = RowTypeOf { relid, name, namespace, owner: SUPERUSER };
        let array_name = self.array_type_name(name, namespace, 0, &who)?;
        self.insert_catalog_row(&PG_TYPE, &row_type_values(oid, array, &of), xid, cid)?;
        self.insert_catalog_row(&PG_TYPE, &array_values(array, &array_name, oid, &of), xid, cid)?;
        for (objid, refclass, refobj) in [(array, PG_TYPE.oid, oid), (oid, PG_CLASS.oid, relid)] {
            self.insert_catalog_row(
                &PG_DEPEND,
                &system::depend_row(PG_TYPE.oid, objid, refclass, refobj, b'i'),
                xid,
                cid,
            )?;
        }
        Ok(oid)
    }

    /// The name of the array type of a type `name` in `namespace`: `_name`,
    /// with more underscores in front while a type other than `except`
    /// has it (PostgreSQL's `makeArrayTypeName`).
    fn array_type_name(&self, name: &str, namespace: u32, except: u32, who: &Reader<'_>) -> Result<String> {
        let mut candidate = format!("_{name}");
        for _ in 0..64 {
            let truncated = crate::sql::types::name_truncated(&candidate).to_string();
            match self.type_on_path(&[namespace], &truncated, who)? {
                Some(t) if t.oid != except => candidate.insert(0, '_'),
                _ => return Ok(truncated),
            }
        }
        Err(err!(SqlState::DUPLICATE_OBJECT, "could not form array type name for type \"{name}\""))
    }

    /// After a change of relation `relid`'s `pg_class` row (`class`, in
    /// column order): its row type and array type take the relation's
    /// name, schema and owner.
    pub(super) fn follow_relation(&self, class: &[Attribute], xid: u64, cid: u32) -> Result<()> {
        let reltype = u32_of(class[PG_CLASS.attno("reltype")].as_deref());
        if reltype == 0 {
            return Ok(());
        }
        // This command's own changes are to be seen too.
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: cid + 1 };
        let Some(ty) = self.type_by_oid(reltype, &who)? else { return Ok(()) };
        let name = super::text_of(class[system::CLASS_RELNAME].as_deref());
        let of = RowTypeOf {
            relid: u32_of(class[system::CLASS_OID].as_deref()),
            name: &name,
            namespace: u32_of(class[system::CLASS_RELNAMESPACE].as_deref()),
            owner: u32_of(class[PG_CLASS.attno("relowner")].as_deref()),
        };
        if ty.name == name && ty.namespace == of.namespace && ty.owner == of.owner {
            return Ok(());
        }
        let taken = self.type_on_path(&[of.namespace], crate::sql::types::name_truncated(&name), &who)?;
        if taken.is_some_and(|t| t.oid != ty.oid) {
            if ty.name != name {
                return Err(err!(SqlState::DUPLICATE_OBJECT, "type \"{name}\" already exists"));
            }
            let schema = self.namespace_name(of.namespace, &who)?.unwrap_or_default();
            return Err(err!(SqlState::DUPLICATE_OBJECT, "type \"{name}\" already exists in schema \"{schema}\""));
        }
        self.replace_catalog_row(&PG_TYPE, ty.tid, &row_type_values(ty.oid, ty.array, &of), xid, cid)?;
        let Some(array) = self.type_by_oid(ty.array, &who)? else { return Ok(()) };
        let array_name = if ty.name == name && ty.namespace == of.namespace {
            array.name.clone()
        } else {
            self.array_type_name(&name, of.namespace, array.oid, &who)?
        };
        self.replace_catalog_row(&PG_TYPE, array.tid, &array_values(array.oid, &array_name, ty.oid, &of), xid, cid)
    }

    /// Dropping relation `relid`: its row type, the array type and their
    /// `pg_depend` rows.
    pub(super) fn drop_row_type(&self, relid: u32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let mut types = Vec::new();
        self.scan_types(who, |t| {
            if t.relid == relid && t.kind == b'c' {
                types.push(t);
            }
        })?;
        let arrays: Vec<u32> = types.iter().map(|t| t.array).collect();
        let mut doomed: Vec<u32> = types.iter().map(|t| t.oid).collect();
        let mut tids: Vec<_> = types.iter().map(|t| t.tid).collect();
        self.scan_types(who, |t| {
            if arrays.contains(&t.oid) {
                doomed.push(t.oid);
                tids.push(t.tid);
            }
        })?;
        if doomed.is_empty() {
            return Ok(());
        }
        self.delete_catalog_rows(&PG_TYPE, &tids, xid, cid)?;
        let desc = PG_DEPEND.desc();
        let mut deps = Vec::new();
        self.scan(&PG_DEPEND, who, |tid, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::DEP_CLASSID]) == PG_TYPE.oid && doomed.contains(&u32_of(v[system::DEP_OBJID])) {
                deps.push(tid);
            }
        })?;
        self.delete_catalog_rows(&PG_DEPEND, &deps, xid, cid)
    }
}
