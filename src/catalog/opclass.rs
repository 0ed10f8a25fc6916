//! The operator classes and families of tusk's one index access method,
//! btree: `pg_opclass`, `pg_opfamily`, `pg_amop` (rows copied from
//! PostgreSQL 15 for the types a btree index of tusk orders, see
//! `bootstrap/pg_opclass.tsv`) and `pg_amproc`, which stays empty: tusk's
//! btree compares keys natively and calls no SQL-visible support function.
//! `pg_index.indclass` names these classes (see `system::index_row`).

use std::sync::LazyLock;

use super::proc::parse_rows;
use super::system::{REGPROC, SystemCatalog};
use crate::sql::types::{Datum, PgType};

use PgType::{Bool, Char, Int2, Name, Oid};

pub const PG_OPCLASS: SystemCatalog = SystemCatalog {
    oid: 2616,
    name: "pg_opclass",
    columns: &[
        ("oid", Oid),
        ("opcmethod", Oid),
        ("opcname", Name),
        ("opcnamespace", Oid),
        ("opcowner", Oid),
        ("opcfamily", Oid),
        ("opcintype", Oid),
        ("opcdefault", Bool),
        ("opckeytype", Oid),
    ],
};

pub const PG_OPFAMILY: SystemCatalog = SystemCatalog {
    oid: 2753,
    name: "pg_opfamily",
    columns: &[("oid", Oid), ("opfmethod", Oid), ("opfname", Name), ("opfnamespace", Oid), ("opfowner", Oid)],
};

pub const PG_AMOP: SystemCatalog = SystemCatalog {
    oid: 2602,
    name: "pg_amop",
    columns: &[
        ("oid", Oid),
        ("amopfamily", Oid),
        ("amoplefttype", Oid),
        ("amoprighttype", Oid),
        ("amopstrategy", Int2),
        ("amoppurpose", Char),
        ("amopopr", Oid),
        ("amopmethod", Oid),
        ("amopsortfamily", Oid),
    ],
};

pub const PG_AMPROC: SystemCatalog = SystemCatalog {
    oid: 2603,
    name: "pg_amproc",
    columns: &[
        ("oid", Oid),
        ("amprocfamily", Oid),
        ("amproclefttype", Oid),
        ("amprocrighttype", Oid),
        ("amprocnum", Int2),
        ("amproc", REGPROC),
    ],
};

static OPCLASS_ROWS: LazyLock<Vec<Vec<Datum>>> =
    LazyLock::new(|| parse_rows(include_str!("bootstrap/pg_opclass.tsv"), &PG_OPCLASS));

static OPFAMILY_ROWS: LazyLock<Vec<Vec<Datum>>> =
    LazyLock::new(|| parse_rows(include_str!("bootstrap/pg_opfamily.tsv"), &PG_OPFAMILY));

/// The rows bootstrap writes to `pg_opclass`.
pub fn opclass_rows() -> Vec<Vec<Datum>> {
    OPCLASS_ROWS.clone()
}

/// The rows bootstrap writes to `pg_opfamily`.
pub fn opfamily_rows() -> Vec<Vec<Datum>> {
    OPFAMILY_ROWS.clone()
}

/// The rows bootstrap writes to `pg_amop`.
pub fn amop_rows() -> Vec<Vec<Datum>> {
    parse_rows(include_str!("bootstrap/pg_amop.tsv"), &PG_AMOP)
}

/// Whether operator class `oid` exists (all of them are in `pg_catalog`).
pub fn opclass_exists(oid: u32) -> bool {
    OPCLASS_ROWS.iter().any(|r| r[0] == Datum::Oid(oid))
}

/// Whether operator family `oid` exists (all of them are in `pg_catalog`).
pub fn opfamily_exists(oid: u32) -> bool {
    OPFAMILY_ROWS.iter().any(|r| r[0] == Datum::Oid(oid))
}
