//! Foreign data: `pg_foreign_data_wrapper`, `pg_foreign_server` and
//! `pg_user_mapping`, declared as PostgreSQL 15 declares them. tusk has no
//! foreign-data wrappers (`CREATE FOREIGN DATA WRAPPER` and its kin are
//! 0A000), so they stay empty, as does `pg_foreign_table` (see `absent`);
//! the `pg_user_mappings` view reads them.

use super::system::{ACLITEM_ARRAY, SystemCatalog, TEXT_ARRAY};
use crate::sql::types::PgType::{Name, Oid, Text};

pub const PG_FOREIGN_DATA_WRAPPER: SystemCatalog = SystemCatalog {
    oid: 2328,
    name: "pg_foreign_data_wrapper",
    columns: &[
        ("oid", Oid),
        ("fdwname", Name),
        ("fdwowner", Oid),
        ("fdwhandler", Oid),
        ("fdwvalidator", Oid),
        ("fdwacl", ACLITEM_ARRAY),
        ("fdwoptions", TEXT_ARRAY),
    ],
};

pub const PG_FOREIGN_SERVER: SystemCatalog = SystemCatalog {
    oid: 1417,
    name: "pg_foreign_server",
    columns: &[
        ("oid", Oid),
        ("srvname", Name),
        ("srvowner", Oid),
        ("srvfdw", Oid),
        ("srvtype", Text),
        ("srvversion", Text),
        ("srvacl", ACLITEM_ARRAY),
        ("srvoptions", TEXT_ARRAY),
    ],
};

pub const PG_USER_MAPPING: SystemCatalog = SystemCatalog {
    oid: 1418,
    name: "pg_user_mapping",
    columns: &[("oid", Oid), ("umuser", Oid), ("umserver", Oid), ("umoptions", TEXT_ARRAY)],
};
