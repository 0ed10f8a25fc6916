//! The catalogs of features tusk does not have yet, declared as
//! PostgreSQL 15 declares them so that clients that read them (psql's
//! describe commands, pgbench, JDBC, DBeaver) find them. They are real
//! heap relations and stay empty — there are no row-level security
//! policies, inheritance, triggers, publications, partitioning, extended
//! statistics, foreign tables or extensions — except `pg_tablespace`,
//! which lists the two tablespaces every cluster has, and
//! `pg_auth_members`, which has the predefined roles' memberships.

use super::system::{
    ACLITEM_ARRAY, CHAR_ARRAY, INT2VECTOR, OID_ARRAY, OIDVECTOR, PG_NODE_TREE, SUPERUSER, SystemCatalog, TEXT_ARRAY,
};
use crate::sql::types::{Datum, PgType};

use PgType::{Bool, Bytea, Char, Int2, Int4, Name, Oid, Text};

/// pg_auth_members: which role is a member of which. Only the memberships
/// among PostgreSQL's predefined roles: there is no `GRANT role` (nor
/// `CREATE ROLE`) yet.
pub const PG_AUTH_MEMBERS: SystemCatalog = SystemCatalog {
    oid: 1261,
    name: "pg_auth_members",
    columns: &[("roleid", Oid), ("member", Oid), ("grantor", Oid), ("admin_option", Bool)],
};

/// `pg_auth_members` rows: `pg_monitor` is a member of
/// `pg_read_all_settings`, `pg_read_all_stats` and `pg_stat_scan_tables`,
/// granted by the superuser, as initdb makes them.
pub fn auth_members_rows() -> Vec<Vec<Datum>> {
    const PG_MONITOR: u32 = 3373;
    [3374, 3375, 3377]
        .into_iter()
        .map(|role| vec![Datum::Oid(role), Datum::Oid(PG_MONITOR), Datum::Oid(SUPERUSER), Datum::Bool(false)])
        .collect()
}

pub const PG_TABLESPACE: SystemCatalog = SystemCatalog {
    oid: 1213,
    name: "pg_tablespace",
    columns: &[
        ("oid", Oid),
        ("spcname", Name),
        ("spcowner", Oid),
        ("spcacl", ACLITEM_ARRAY),
        ("spcoptions", TEXT_ARRAY),
    ],
};

/// The default tablespace of every relation (`reltablespace` 0 means it).
pub const DEFAULT_TABLESPACE: u32 = 1663;
/// Where the shared catalogs live.
pub const GLOBAL_TABLESPACE: u32 = 1664;

/// `pg_tablespace` rows: `pg_default` and `pg_global`, as initdb makes them.
pub fn tablespace_rows() -> Vec<Vec<Datum>> {
    [(DEFAULT_TABLESPACE, "pg_default"), (GLOBAL_TABLESPACE, "pg_global")]
        .into_iter()
        .map(|(oid, name)| {
            vec![Datum::Oid(oid), Datum::Text(name.into()), Datum::Oid(SUPERUSER), Datum::Null, Datum::Null]
        })
        .collect()
}

pub const PG_POLICY: SystemCatalog = SystemCatalog {
    oid: 3256,
    name: "pg_policy",
    columns: &[
        ("oid", Oid),
        ("polname", Name),
        ("polrelid", Oid),
        ("polcmd", Char),
        ("polpermissive", Bool),
        ("polroles", OID_ARRAY),
        ("polqual", PG_NODE_TREE),
        ("polwithcheck", PG_NODE_TREE),
    ],
};

pub const PG_INHERITS: SystemCatalog = SystemCatalog {
    oid: 2611,
    name: "pg_inherits",
    columns: &[("inhrelid", Oid), ("inhparent", Oid), ("inhseqno", Int4), ("inhdetachpending", Bool)],
};

pub const PG_TRIGGER: SystemCatalog = SystemCatalog {
    oid: 2620,
    name: "pg_trigger",
    columns: &[
        ("oid", Oid),
        ("tgrelid", Oid),
        ("tgparentid", Oid),
        ("tgname", Name),
        ("tgfoid", Oid),
        ("tgtype", Int2),
        ("tgenabled", Char),
        ("tgisinternal", Bool),
        ("tgconstrrelid", Oid),
        ("tgconstrindid", Oid),
        ("tgconstraint", Oid),
        ("tgdeferrable", Bool),
        ("tginitdeferred", Bool),
        ("tgnargs", Int2),
        ("tgattr", INT2VECTOR),
        ("tgargs", Bytea),
        ("tgqual", PG_NODE_TREE),
        ("tgoldtable", Name),
        ("tgnewtable", Name),
    ],
};

pub const PG_PUBLICATION: SystemCatalog = SystemCatalog {
    oid: 6104,
    name: "pg_publication",
    columns: &[
        ("oid", Oid),
        ("pubname", Name),
        ("pubowner", Oid),
        ("puballtables", Bool),
        ("pubinsert", Bool),
        ("pubupdate", Bool),
        ("pubdelete", Bool),
        ("pubtruncate", Bool),
        ("pubviaroot", Bool),
    ],
};

pub const PG_PUBLICATION_REL: SystemCatalog = SystemCatalog {
    oid: 6106,
    name: "pg_publication_rel",
    columns: &[("oid", Oid), ("prpubid", Oid), ("prrelid", Oid), ("prqual", PG_NODE_TREE), ("prattrs", INT2VECTOR)],
};

pub const PG_PUBLICATION_NAMESPACE: SystemCatalog = SystemCatalog {
    oid: 6237,
    name: "pg_publication_namespace",
    columns: &[("oid", Oid), ("pnpubid", Oid), ("pnnspid", Oid)],
};

pub const PG_PARTITIONED_TABLE: SystemCatalog = SystemCatalog {
    oid: 3350,
    name: "pg_partitioned_table",
    columns: &[
        ("partrelid", Oid),
        ("partstrat", Char),
        ("partnatts", Int2),
        ("partdefid", Oid),
        ("partattrs", INT2VECTOR),
        ("partclass", OIDVECTOR),
        ("partcollation", OIDVECTOR),
        ("partexprs", PG_NODE_TREE),
    ],
};

pub const PG_STATISTIC_EXT: SystemCatalog = SystemCatalog {
    oid: 3381,
    name: "pg_statistic_ext",
    columns: &[
        ("oid", Oid),
        ("stxrelid", Oid),
        ("stxname", Name),
        ("stxnamespace", Oid),
        ("stxowner", Oid),
        ("stxstattarget", Int4),
        ("stxkeys", INT2VECTOR),
        ("stxkind", CHAR_ARRAY),
        ("stxexprs", PG_NODE_TREE),
    ],
};

pub const PG_FOREIGN_TABLE: SystemCatalog = SystemCatalog {
    oid: 3118,
    name: "pg_foreign_table",
    columns: &[("ftrelid", Oid), ("ftserver", Oid), ("ftoptions", TEXT_ARRAY)],
};

/// pg_extension: empty, as tusk has no extensions (not even plpgsql,
/// which PostgreSQL lists: tusk has no procedural language).
pub const PG_EXTENSION: SystemCatalog = SystemCatalog {
    oid: 3079,
    name: "pg_extension",
    columns: &[
        ("oid", Oid),
        ("extname", Name),
        ("extowner", Oid),
        ("extnamespace", Oid),
        ("extrelocatable", Bool),
        ("extversion", Text),
        ("extconfig", OID_ARRAY),
        ("extcondition", TEXT_ARRAY),
    ],
};

/// pg_event_trigger: empty, as tusk has no event triggers.
pub const PG_EVENT_TRIGGER: SystemCatalog = SystemCatalog {
    oid: 3466,
    name: "pg_event_trigger",
    columns: &[
        ("oid", Oid),
        ("evtname", Name),
        ("evtevent", Name),
        ("evtowner", Oid),
        ("evtfoid", Oid),
        ("evtenabled", Char),
        ("evttags", TEXT_ARRAY),
    ],
};

/// pg_subscription: empty, as tusk has no logical replication. Shared by
/// all databases, as in PostgreSQL.
pub const PG_SUBSCRIPTION: SystemCatalog = SystemCatalog {
    oid: 6100,
    name: "pg_subscription",
    columns: &[
        ("oid", Oid),
        ("subdbid", Oid),
        ("subskiplsn", PgType::PgLsn),
        ("subname", Name),
        ("subowner", Oid),
        ("subenabled", Bool),
        ("subbinary", Bool),
        ("substream", Bool),
        ("subtwophasestate", Char),
        ("subdisableonerr", Bool),
        ("subconninfo", Text),
        ("subslotname", Name),
        ("subsynccommit", Text),
        ("subpublications", TEXT_ARRAY),
    ],
};
