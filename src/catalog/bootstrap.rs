//! Bootstrap: on the first start of a cluster the system catalogs are
//! filled, as `initdb` fills PostgreSQL's, in one committed transaction:
//! the namespaces, databases, access methods and types, and a `pg_class`
//! row with its `pg_attribute` rows for every catalog, so that the
//! catalogs describe themselves and SQL reads them like any table.
//!
//! A cluster whose bootstrap did not commit (a crash during the first
//! start) has no visible `pg_class` row and is bootstrapped again.
//!
//! `pg_type`'s rows are PostgreSQL's own (`bootstrap/pg_type.tsv`, copied
//! from a PostgreSQL 15 cluster); [`type_info`] reads the storage facts
//! that `pg_attribute` repeats from them.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::system::{self, ClassRow, PG_CATALOG_NAMESPACE, SystemCatalog};
use super::{Catalog, Reader};
use crate::error::{Error, Result};
use crate::sql::types::{Datum, PgType};

const PG_TYPE_ROWS: &str = include_str!("bootstrap/pg_type.tsv");

/// What `pg_attribute` repeats of a column's type.
#[derive(Clone, Copy, Debug)]
pub struct TypeInfo {
    pub len: i16,
    pub byval: bool,
    pub align: u8,
    pub storage: u8,
    pub collation: u32,
}

/// The `pg_type` rows, parsed once.
static TYPE_ROWS: LazyLock<Vec<Vec<Datum>>> = LazyLock::new(|| super::proc::parse_rows(PG_TYPE_ROWS, &system::PG_TYPE));

static TYPE_INFO: LazyLock<HashMap<u32, TypeInfo>> = LazyLock::new(|| {
    let at = |name: &str| system::PG_TYPE.attno(name);
    let byte = |d: &Datum| d.as_str().and_then(|s| s.bytes().next()).unwrap_or(0);
    TYPE_ROWS
        .iter()
        .map(|r| {
            let oid = match r[at("oid")] {
                Datum::Oid(o) => o,
                _ => 0,
            };
            let info = TypeInfo {
                len: r[at("typlen")].as_i64().unwrap_or(-1) as i16,
                byval: r[at("typbyval")] == Datum::Bool(true),
                align: byte(&r[at("typalign")]),
                storage: byte(&r[at("typstorage")]),
                collation: r[at("typcollation")].as_i64().unwrap_or(0) as u32,
            };
            (oid, info)
        })
        .collect()
});

/// The storage facts of type `oid` as `pg_type` lists them.
pub fn type_info(oid: u32) -> TypeInfo {
    TYPE_INFO.get(&oid).copied().unwrap_or(TypeInfo { len: -1, byval: false, align: b'i', storage: b'x', collation: 0 })
}

/// The `pg_type` row of built-in type `oid`.
pub fn builtin_type_row(oid: u32) -> Option<Vec<Datum>> {
    let at = system::PG_TYPE.attno("oid");
    TYPE_ROWS.iter().find(|r| r[at] == Datum::Oid(oid)).cloned()
}

/// The name of type `oid` and, for a true array type (one subscripted as
/// an array and not stored plain, unlike `int2vector`), its element type.
pub fn type_naming(oid: u32) -> Option<super::describe::TypeNaming> {
    let at = |name: &str| system::PG_TYPE.attno(name);
    let row = TYPE_ROWS.iter().find(|r| r[at("oid")] == Datum::Oid(oid))?;
    let text = |col: &str| row[at(col)].as_str().unwrap_or("");
    let elem = match row[at("typelem")] {
        Datum::Oid(e) if e != 0 => Some(e),
        _ => None,
    };
    let array = text("typsubscript") == "array_subscript_handler" && text("typstorage") != "p";
    Some(super::describe::TypeNaming { typname: text("typname"), array_of: elem.filter(|_| array) })
}

impl Catalog {
    /// Fill the catalogs of a new cluster (see the module doc).
    pub(super) fn bootstrap_if_new(&self) -> Result<()> {
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 };
        let mut any = false;
        self.scan(&system::PG_CLASS, &who, |_, _| any = true)?;
        if any {
            return Ok(());
        }
        let xid = self.txns.assign(0);
        let result = self.write_bootstrap_rows(xid);
        if let Err(e) = result {
            self.txns.abort(xid)?;
            return Err(e);
        }
        let lsn = self.txns.log_commit(xid)?;
        self.engine.wal.flush_to(lsn)?;
        self.txns.finish_commit(xid, lsn)?;
        tracing::info!("bootstrapped the system catalogs");
        Ok(())
    }

    fn write_bootstrap_rows(&self, xid: u64) -> Result<()> {
        let put = |catalog: &SystemCatalog, rows: Vec<Vec<Datum>>| -> Result<()> {
            for row in rows {
                self.insert_catalog_row(catalog, &row, xid, 0)?;
            }
            Ok(())
        };
        put(&system::PG_NAMESPACE, system::namespace_rows())?;
        put(&system::PG_DATABASE, system::database_rows())?;
        put(&system::PG_AM, system::am_rows())?;
        put(&system::PG_COLLATION, system::collation_rows())?;
        put(&system::PG_AUTHID, system::authid_rows())?;
        put(&system::PG_TYPE, TYPE_ROWS.clone())?;
        put(&super::proc::PG_PROC, super::proc::proc_rows())?;
        put(&super::proc::PG_OPERATOR, super::proc::operator_rows())?;
        put(&super::cast::PG_CAST, super::cast::cast_rows())?;
        put(&super::absent::PG_TABLESPACE, super::absent::tablespace_rows())?;
        put(&super::absent::PG_AUTH_MEMBERS, super::absent::auth_members_rows())?;
        put(&super::language::PG_LANGUAGE, super::language::language_rows())?;
        put(&super::opclass::PG_OPCLASS, super::opclass::opclass_rows())?;
        put(&super::opclass::PG_OPFAMILY, super::opclass::opfamily_rows())?;
        put(&super::opclass::PG_AMOP, super::opclass::amop_rows())?;
        put(&super::comment::PG_DESCRIPTION, super::comment::builtin_description_rows())?;
        for catalog in system::ALL {
            let row_type = super::rowtype::catalog_row_type(catalog.name);
            if let Some(types) = row_type {
                put(
                    &system::PG_TYPE,
                    super::rowtype::catalog_row_type_rows(catalog.oid, catalog.name, types).to_vec(),
                )?;
            }
            let class = ClassRow {
                oid: catalog.oid,
                name: catalog.name,
                namespace: PG_CATALOG_NAMESPACE,
                kind: b'r',
                relfilenode: catalog.oid,
                natts: catalog.columns.len() as i16,
                has_index: false,
                shared: system::is_shared(catalog.oid),
                persistence: b'p',
                options: None,
                toast: 0,
                reltype: row_type.map_or(0, |t| t.0),
            };
            put(&system::PG_CLASS, vec![class.values()])?;
            let mut attributes = Vec::new();
            for (i, (name, ty)) in catalog.columns.iter().enumerate() {
                if PgType::from_oid(ty.oid()).is_none() {
                    return Err(Error::internal(format!("catalog column {name} has a type tusk lacks")));
                }
                attributes.push(system::attribute_row(
                    catalog.oid,
                    i as i16 + 1,
                    name,
                    *ty,
                    -1,
                    !system::nullable(name, *ty),
                ));
            }
            attributes.extend(system::system_attribute_rows(catalog.oid));
            put(&system::PG_ATTRIBUTE, attributes)?;
        }
        self.write_system_views(xid)
    }
}
