//! pg_language: the languages functions are written in. tusk's functions
//! are all built in (`prolang` 12 in every `pg_proc` row) and there is no
//! `CREATE FUNCTION`, so the one language is `internal` — no `c`, `sql` or
//! procedural language such as `plpgsql`, which PostgreSQL also lists.

use super::system::{ACLITEM_ARRAY, SUPERUSER, SystemCatalog};
use crate::sql::types::Datum;
use crate::sql::types::PgType::{Bool, Name, Oid};

pub const PG_LANGUAGE: SystemCatalog = SystemCatalog {
    oid: 2612,
    name: "pg_language",
    columns: &[
        ("oid", Oid),
        ("lanname", Name),
        ("lanowner", Oid),
        ("lanispl", Bool),
        ("lanpltrusted", Bool),
        ("lanplcallfoid", Oid),
        ("laninline", Oid),
        ("lanvalidator", Oid),
        ("lanacl", ACLITEM_ARRAY),
    ],
};

/// The OID of language `internal`.
pub const INTERNAL_LANGUAGE: u32 = 12;

/// `pg_language` rows: `internal`, without the validator function
/// PostgreSQL names (tusk checks nothing at function creation, having none).
pub fn language_rows() -> Vec<Vec<Datum>> {
    vec![vec![
        Datum::Oid(INTERNAL_LANGUAGE),
        Datum::Text("internal".into()),
        Datum::Oid(SUPERUSER),
        Datum::Bool(false),
        Datum::Bool(false),
        Datum::Oid(0),
        Datum::Oid(0),
        Datum::Oid(0),
        Datum::Null,
    ]]
}
