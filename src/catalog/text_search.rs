//! Text search: `pg_ts_config`, `pg_ts_config_map`, `pg_ts_dict`,
//! `pg_ts_parser` and `pg_ts_template`, declared as PostgreSQL 15 declares
//! them. tusk has no full-text search (no `tsvector`, parsers or
//! dictionaries), so they are empty, and the `pg_ts_*_is_visible`
//! functions find nothing (NULL, as for an OID PostgreSQL does not know).

use super::system::{REGPROC, SystemCatalog};
use crate::sql::types::PgType::{Int4, Name, Oid, Text};

pub const PG_TS_CONFIG: SystemCatalog = SystemCatalog {
    oid: 3602,
    name: "pg_ts_config",
    columns: &[("oid", Oid), ("cfgname", Name), ("cfgnamespace", Oid), ("cfgowner", Oid), ("cfgparser", Oid)],
};

pub const PG_TS_CONFIG_MAP: SystemCatalog = SystemCatalog {
    oid: 3603,
    name: "pg_ts_config_map",
    columns: &[("mapcfg", Oid), ("maptokentype", Int4), ("mapseqno", Int4), ("mapdict", Oid)],
};

pub const PG_TS_DICT: SystemCatalog = SystemCatalog {
    oid: 3600,
    name: "pg_ts_dict",
    columns: &[
        ("oid", Oid),
        ("dictname", Name),
        ("dictnamespace", Oid),
        ("dictowner", Oid),
        ("dicttemplate", Oid),
        ("dictinitoption", Text),
    ],
};

pub const PG_TS_PARSER: SystemCatalog = SystemCatalog {
    oid: 3601,
    name: "pg_ts_parser",
    columns: &[
        ("oid", Oid),
        ("prsname", Name),
        ("prsnamespace", Oid),
        ("prsstart", REGPROC),
        ("prstoken", REGPROC),
        ("prsend", REGPROC),
        ("prsheadline", REGPROC),
        ("prslextype", REGPROC),
    ],
};

pub const PG_TS_TEMPLATE: SystemCatalog = SystemCatalog {
    oid: 3764,
    name: "pg_ts_template",
    columns: &[
        ("oid", Oid),
        ("tmplname", Name),
        ("tmplnamespace", Oid),
        ("tmplinit", REGPROC),
        ("tmpllexize", REGPROC),
    ],
};
