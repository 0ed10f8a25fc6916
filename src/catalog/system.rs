//! The system catalogs' declarations: each catalog's OID, name and columns
//! (names and types exactly as in PostgreSQL 15), in one place. Rows are
//! `Vec<Datum>` in column order; [`SystemCatalog::desc`] gives their tuple
//! layout, and the column positions the engine reads are constants checked
//! against the declarations when compiling ([`SystemCatalog::attno`]).
//!
//! Columns whose concept tusk does not have yet hold PostgreSQL's value for
//! the default case (`relpersistence 'p'`, `relowner 10`, `attislocal t`)
//! or NULL where PostgreSQL has NULL by default (`relacl`, `indexprs`).
//! Transaction-id columns (`datfrozenxid`, …) are 0, but a table's
//! `relfrozenxid` and `relminmxid` are set by VACUUM (see `freeze.rs`). See also [`super::bootstrap`], which writes the
//! initial rows.

use super::absent;
use crate::sql::array::ArrayValue;
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::tuple::{Attr, TupleDesc};

use PgType::{Bool, Char, Float4, Int2, Int4, Int8, Name, Oid, Text, TextForm};

pub const PG_CATALOG_NAMESPACE: u32 = 11;
pub const PUBLIC_NAMESPACE: u32 = 2200;
/// Where TOAST relations live (`pg_toast_<table oid>`).
pub const PG_TOAST_NAMESPACE: u32 = 99;
pub const INFORMATION_SCHEMA_NAMESPACE: u32 = 13207;
/// The bootstrap superuser (`postgres`), owner of everything.
pub const SUPERUSER: u32 = 10;
pub const HEAP_AM: u32 = 2;
pub const BTREE_AM: u32 = 403;
const TEXT_FORM_XID: PgType = TextForm(28);
pub(super) const REGPROC: PgType = PgType::Reg(crate::sql::types::RegKind::Proc);
pub(super) const INT2VECTOR: PgType = TextForm(22);
pub(super) const OIDVECTOR: PgType = TextForm(30);
pub(super) const PG_NODE_TREE: PgType = TextForm(194);
pub(super) const TEXT_ARRAY: PgType = PgType::array_by_oid(1009);
pub(super) const ACLITEM_ARRAY: PgType = PgType::array_by_oid(1034);
const ANYARRAY: PgType = TextForm(2277);
const INT2_ARRAY: PgType = PgType::array_by_oid(1005);
pub(super) const OID_ARRAY: PgType = PgType::array_by_oid(1028);
const FLOAT4_ARRAY: PgType = PgType::array_by_oid(1021);
pub(super) const CHAR_ARRAY: PgType = PgType::array_by_oid(1002);

/// A system catalog: a heap relation whose file is its OID.
pub struct SystemCatalog {
    pub oid: u32,
    pub name: &'static str,
    pub columns: &'static [(&'static str, PgType)],
}

impl SystemCatalog {
    /// How its tuples are laid out.
    pub fn desc(&self) -> TupleDesc {
        TupleDesc::new(
            self.columns.iter().map(|(_, ty)| ty.storage()).map(|(len, align)| Attr { len, align }).collect(),
        )
    }

    /// The position of column `name`; a missing name fails the build when
    /// used in a constant.
    pub const fn attno(&self, name: &str) -> usize {
        let mut i = 0;
        while i < self.columns.len() {
            if str_eq(self.columns[i].0, name) {
                return i;
            }
            i += 1;
        }
        panic!("no such catalog column")
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub const PG_NAMESPACE: SystemCatalog = SystemCatalog {
    oid: 2615,
    name: "pg_namespace",
    columns: &[("oid", Oid), ("nspname", Name), ("nspowner", Oid), ("nspacl", ACLITEM_ARRAY)],
};

pub const PG_CLASS: SystemCatalog = SystemCatalog {
    oid: 1259,
    name: "pg_class",
    columns: &[
        ("oid", Oid),
        ("relname", Name),
        ("relnamespace", Oid),
        ("reltype", Oid),
        ("reloftype", Oid),
        ("relowner", Oid),
        ("relam", Oid),
        ("relfilenode", Oid),
        ("reltablespace", Oid),
        ("relpages", Int4),
        ("reltuples", Float4),
        ("relallvisible", Int4),
        ("reltoastrelid", Oid),
        ("relhasindex", Bool),
        ("relisshared", Bool),
        ("relpersistence", Char),
        ("relkind", Char),
        ("relnatts", Int2),
        ("relchecks", Int2),
        ("relhasrules", Bool),
        ("relhastriggers", Bool),
        ("relhassubclass", Bool),
        ("relrowsecurity", Bool),
        ("relforcerowsecurity", Bool),
        ("relispopulated", Bool),
        ("relreplident", Char),
        ("relispartition", Bool),
        ("relrewrite", Oid),
        ("relfrozenxid", TEXT_FORM_XID),
        ("relminmxid", TEXT_FORM_XID),
        ("relacl", ACLITEM_ARRAY),
        ("reloptions", TEXT_ARRAY),
        ("relpartbound", PG_NODE_TREE),
    ],
};

pub const PG_ATTRIBUTE: SystemCatalog = SystemCatalog {
    oid: 1249,
    name: "pg_attribute",
    columns: &[
        ("attrelid", Oid),
        ("attname", Name),
        ("atttypid", Oid),
        ("attstattarget", Int4),
        ("attlen", Int2),
        ("attnum", Int2),
        ("attndims", Int4),
        ("attcacheoff", Int4),
        ("atttypmod", Int4),
        ("attbyval", Bool),
        ("attalign", Char),
        ("attstorage", Char),
        ("attcompression", Char),
        ("attnotnull", Bool),
        ("atthasdef", Bool),
        ("atthasmissing", Bool),
        ("attidentity", Char),
        ("attgenerated", Char),
        ("attisdropped", Bool),
        ("attislocal", Bool),
        ("attinhcount", Int4),
        ("attcollation", Oid),
        ("attacl", ACLITEM_ARRAY),
        ("attoptions", TEXT_ARRAY),
        ("attfdwoptions", TEXT_ARRAY),
        ("attmissingval", ANYARRAY),
    ],
};

pub const PG_TYPE: SystemCatalog = SystemCatalog {
    oid: 1247,
    name: "pg_type",
    columns: &[
        ("oid", Oid),
        ("typname", Name),
        ("typnamespace", Oid),
        ("typowner", Oid),
        ("typlen", Int2),
        ("typbyval", Bool),
        ("typtype", Char),
        ("typcategory", Char),
        ("typispreferred", Bool),
        ("typisdefined", Bool),
        ("typdelim", Char),
        ("typrelid", Oid),
        ("typsubscript", REGPROC),
        ("typelem", Oid),
        ("typarray", Oid),
        ("typinput", REGPROC),
        ("typoutput", REGPROC),
        ("typreceive", REGPROC),
        ("typsend", REGPROC),
        ("typmodin", REGPROC),
        ("typmodout", REGPROC),
        ("typanalyze", REGPROC),
        ("typalign", Char),
        ("typstorage", Char),
        ("typnotnull", Bool),
        ("typbasetype", Oid),
        ("typtypmod", Int4),
        ("typndims", Int4),
        ("typcollation", Oid),
        ("typdefaultbin", PG_NODE_TREE),
        ("typdefault", Text),
        ("typacl", ACLITEM_ARRAY),
    ],
};

/// pg_index. tusk keeps one attribute past the declared columns, not
/// described in `pg_attribute` and so invisible to SQL: whether a PRIMARY
/// KEY or UNIQUE constraint owns the index, until `pg_constraint` exists.
pub const PG_INDEX: SystemCatalog = SystemCatalog {
    oid: 2610,
    name: "pg_index",
    columns: &[
        ("indexrelid", Oid),
        ("indrelid", Oid),
        ("indnatts", Int2),
        ("indnkeyatts", Int2),
        ("indisunique", Bool),
        ("indnullsnotdistinct", Bool),
        ("indisprimary", Bool),
        ("indisexclusion", Bool),
        ("indimmediate", Bool),
        ("indisclustered", Bool),
        ("indisvalid", Bool),
        ("indcheckxmin", Bool),
        ("indisready", Bool),
        ("indislive", Bool),
        ("indisreplident", Bool),
        ("indkey", INT2VECTOR),
        ("indcollation", OIDVECTOR),
        ("indclass", OIDVECTOR),
        ("indoption", INT2VECTOR),
        ("indexprs", PG_NODE_TREE),
        ("indpred", PG_NODE_TREE),
    ],
};

pub const PG_DATABASE: SystemCatalog = SystemCatalog {
    oid: 1262,
    name: "pg_database",
    columns: &[
        ("oid", Oid),
        ("datname", Name),
        ("datdba", Oid),
        ("encoding", Int4),
        ("datlocprovider", Char),
        ("datistemplate", Bool),
        ("datallowconn", Bool),
        ("datconnlimit", Int4),
        ("datfrozenxid", TEXT_FORM_XID),
        ("datminmxid", TEXT_FORM_XID),
        ("dattablespace", Oid),
        ("datcollate", Text),
        ("datctype", Text),
        ("daticulocale", Text),
        ("datcollversion", Text),
        ("datacl", ACLITEM_ARRAY),
    ],
};

/// pg_authid: the roles. Shared by all databases. tusk keeps the
/// superuser's password verifier in the data directory, so `rolpassword`
/// is NULL here.
pub const PG_AUTHID: SystemCatalog = SystemCatalog {
    oid: 1260,
    name: "pg_authid",
    columns: &[
        ("oid", Oid),
        ("rolname", Name),
        ("rolsuper", Bool),
        ("rolinherit", Bool),
        ("rolcreaterole", Bool),
        ("rolcreatedb", Bool),
        ("rolcanlogin", Bool),
        ("rolreplication", Bool),
        ("rolbypassrls", Bool),
        ("rolconnlimit", Int4),
        ("rolpassword", Text),
        ("rolvaliduntil", PgType::TimestampTz),
    ],
};

pub const PG_AM: SystemCatalog = SystemCatalog {
    oid: 2601,
    name: "pg_am",
    columns: &[("oid", Oid), ("amname", Name), ("amhandler", REGPROC), ("amtype", Char)],
};

pub const PG_CONSTRAINT: SystemCatalog = SystemCatalog {
    oid: 2606,
    name: "pg_constraint",
    columns: &[
        ("oid", Oid),
        ("conname", Name),
        ("connamespace", Oid),
        ("contype", Char),
        ("condeferrable", Bool),
        ("condeferred", Bool),
        ("convalidated", Bool),
        ("conrelid", Oid),
        ("contypid", Oid),
        ("conindid", Oid),
        ("conparentid", Oid),
        ("confrelid", Oid),
        ("confupdtype", Char),
        ("confdeltype", Char),
        ("confmatchtype", Char),
        ("conislocal", Bool),
        ("coninhcount", Int4),
        ("connoinherit", Bool),
        ("conkey", INT2_ARRAY),
        ("confkey", INT2_ARRAY),
        ("conpfeqop", OID_ARRAY),
        ("conppeqop", OID_ARRAY),
        ("conffeqop", OID_ARRAY),
        ("confdelsetcols", INT2_ARRAY),
        ("conexclop", OID_ARRAY),
        ("conbin", PG_NODE_TREE),
    ],
};

/// pg_rewrite: a view's `_RETURN` rule. tusk keeps the view's query as
/// SQL text in `ev_action` where PostgreSQL keeps a node tree.
pub const PG_REWRITE: SystemCatalog = SystemCatalog {
    oid: 2618,
    name: "pg_rewrite",
    columns: &[
        ("oid", Oid),
        ("rulename", Name),
        ("ev_class", Oid),
        ("ev_type", Char),
        ("ev_enabled", Char),
        ("is_instead", Bool),
        ("ev_qual", PG_NODE_TREE),
        ("ev_action", PG_NODE_TREE),
    ],
};

/// pg_depend: which object needs which (a view's rule needs the relations
/// its query reads, and is part of its view).
pub const PG_DEPEND: SystemCatalog = SystemCatalog {
    oid: 2608,
    name: "pg_depend",
    columns: &[
        ("classid", Oid),
        ("objid", Oid),
        ("objsubid", Int4),
        ("refclassid", Oid),
        ("refobjid", Oid),
        ("refobjsubid", Int4),
        ("deptype", Char),
    ],
};

/// pg_attrdef: column defaults. `adbin` holds the default expression as
/// SQL text, in the form `pg_get_expr` shows (where PostgreSQL keeps a
/// node tree).
pub const PG_ATTRDEF: SystemCatalog = SystemCatalog {
    oid: 2604,
    name: "pg_attrdef",
    columns: &[("oid", Oid), ("adrelid", Oid), ("adnum", Int2), ("adbin", PG_NODE_TREE)],
};

/// pg_collation: the collations there are (the database's is "C").
/// Per-column statistics that ANALYZE gathers for the planner (see
/// `catalog::analyze`): the slots hold most common values, a histogram
/// and the correlation, in that order as far as a column has them.
pub const PG_STATISTIC: SystemCatalog = SystemCatalog {
    oid: 2619,
    name: "pg_statistic",
    columns: &[
        ("starelid", Oid),
        ("staattnum", Int2),
        ("stainherit", Bool),
        ("stanullfrac", Float4),
        ("stawidth", Int4),
        ("stadistinct", Float4),
        ("stakind1", Int2),
        ("stakind2", Int2),
        ("stakind3", Int2),
        ("stakind4", Int2),
        ("stakind5", Int2),
        ("staop1", Oid),
        ("staop2", Oid),
        ("staop3", Oid),
        ("staop4", Oid),
        ("staop5", Oid),
        ("stacoll1", Oid),
        ("stacoll2", Oid),
        ("stacoll3", Oid),
        ("stacoll4", Oid),
        ("stacoll5", Oid),
        ("stanumbers1", FLOAT4_ARRAY),
        ("stanumbers2", FLOAT4_ARRAY),
        ("stanumbers3", FLOAT4_ARRAY),
        ("stanumbers4", FLOAT4_ARRAY),
        ("stanumbers5", FLOAT4_ARRAY),
        ("stavalues1", ANYARRAY),
        ("stavalues2", ANYARRAY),
        ("stavalues3", ANYARRAY),
        ("stavalues4", ANYARRAY),
        ("stavalues5", ANYARRAY),
    ],
};

pub const STA_RELID: usize = PG_STATISTIC.attno("starelid");
pub const STA_ATTNUM: usize = PG_STATISTIC.attno("staattnum");
pub const STA_NULLFRAC: usize = PG_STATISTIC.attno("stanullfrac");
pub const STA_WIDTH: usize = PG_STATISTIC.attno("stawidth");
pub const STA_DISTINCT: usize = PG_STATISTIC.attno("stadistinct");
pub const STA_KIND1: usize = PG_STATISTIC.attno("stakind1");
pub const STA_NUMBERS1: usize = PG_STATISTIC.attno("stanumbers1");
pub const STA_VALUES1: usize = PG_STATISTIC.attno("stavalues1");

pub const PG_COLLATION: SystemCatalog = SystemCatalog {
    oid: 3456,
    name: "pg_collation",
    columns: &[
        ("oid", Oid),
        ("collname", Name),
        ("collnamespace", Oid),
        ("collowner", Oid),
        ("collprovider", Char),
        ("collisdeterministic", Bool),
        ("collencoding", Int4),
        ("collcollate", Text),
        ("collctype", Text),
        ("colliculocale", Text),
        ("collversion", Text),
    ],
};

/// pg_sequence: a sequence's parameters (its state is on its own page).
pub const PG_SEQUENCE: SystemCatalog = SystemCatalog {
    oid: 2224,
    name: "pg_sequence",
    columns: &[
        ("seqrelid", Oid),
        ("seqtypid", Oid),
        ("seqstart", Int8),
        ("seqincrement", Int8),
        ("seqmax", Int8),
        ("seqmin", Int8),
        ("seqcache", Int8),
        ("seqcycle", Bool),
    ],
};

/// Every system catalog, in the order bootstrap creates them.
pub const ALL: [&SystemCatalog; 49] = [
    &PG_NAMESPACE,
    &PG_CLASS,
    &PG_ATTRIBUTE,
    &PG_TYPE,
    &PG_INDEX,
    &PG_DATABASE,
    &PG_AM,
    &PG_CONSTRAINT,
    &PG_REWRITE,
    &PG_DEPEND,
    &PG_ATTRDEF,
    &PG_COLLATION,
    &PG_STATISTIC,
    &PG_SEQUENCE,
    &PG_AUTHID,
    &super::proc::PG_PROC,
    &super::proc::PG_OPERATOR,
    &super::comment::PG_DESCRIPTION,
    &super::comment::PG_SHDESCRIPTION,
    &absent::PG_AUTH_MEMBERS,
    &absent::PG_TABLESPACE,
    &absent::PG_POLICY,
    &absent::PG_INHERITS,
    &absent::PG_TRIGGER,
    &absent::PG_PUBLICATION,
    &absent::PG_PUBLICATION_REL,
    &absent::PG_PUBLICATION_NAMESPACE,
    &absent::PG_PARTITIONED_TABLE,
    &absent::PG_STATISTIC_EXT,
    &absent::PG_FOREIGN_TABLE,
    &absent::PG_EXTENSION,
    &super::enums::PG_ENUM,
    &super::db_role_setting::PG_DB_ROLE_SETTING,
    &super::cast::PG_CAST,
    &super::language::PG_LANGUAGE,
    &super::opclass::PG_OPCLASS,
    &super::opclass::PG_OPFAMILY,
    &super::opclass::PG_AMOP,
    &super::opclass::PG_AMPROC,
    &super::foreign::PG_FOREIGN_DATA_WRAPPER,
    &super::foreign::PG_FOREIGN_SERVER,
    &super::foreign::PG_USER_MAPPING,
    &absent::PG_EVENT_TRIGGER,
    &absent::PG_SUBSCRIPTION,
    &super::text_search::PG_TS_CONFIG,
    &super::text_search::PG_TS_CONFIG_MAP,
    &super::text_search::PG_TS_DICT,
    &super::text_search::PG_TS_PARSER,
    &super::text_search::PG_TS_TEMPLATE,
];

/// The OID of the system catalog named `name` (what `obj_description`'s
/// second argument names).
pub fn catalog_oid(name: &str) -> Option<u32> {
    let name = name.strip_prefix("pg_catalog.").unwrap_or(name);
    ALL.iter().find(|c| c.name == name).map(|c| c.oid)
}

/// Whether a catalog column may be NULL (`attnotnull` false): PostgreSQL's
/// rule marks the columns of arrays, node trees and optional text so.
pub fn nullable(column: &str, ty: PgType) -> bool {
    if matches!(column, "polroles" | "stxkind" | "subpublications") {
        return false;
    }
    matches!(
        ty,
        TEXT_ARRAY | ACLITEM_ARRAY | PG_NODE_TREE | ANYARRAY | INT2_ARRAY | OID_ARRAY | FLOAT4_ARRAY | CHAR_ARRAY
    ) || matches!(
        column,
        "typdefault"
            | "rolpassword"
            | "rolvaliduntil"
            | "daticulocale"
            | "datcollversion"
            | "collcollate"
            | "collctype"
            | "colliculocale"
            | "collversion"
            | "probin"
            | "prattrs"
            | "tgoldtable"
            | "tgnewtable"
            | "srvtype"
            | "srvversion"
            | "subslotname"
            | "dictinitoption"
    )
}

fn oid(v: u32) -> Datum {
    Datum::Oid(v)
}
fn name(s: &str) -> Datum {
    Datum::Text(s.to_string())
}
fn char(c: u8) -> Datum {
    Datum::Text(if c == 0 { String::new() } else { (c as char).to_string() })
}
/// A `"char"` value (0: the empty string).
pub fn char_datum(c: u8) -> Datum {
    char(c)
}
fn xid0() -> Datum {
    Datum::Text("0".into())
}

/// A `pg_class` row (the arguments are the columns tusk knows; the rest
/// are PostgreSQL's defaults for an unpartitioned relation).
pub struct ClassRow<'a> {
    pub oid: u32,
    pub name: &'a str,
    pub namespace: u32,
    pub kind: u8,
    pub relfilenode: u32,
    pub natts: i16,
    pub has_index: bool,
    pub shared: bool,
    /// `relpersistence`: `p` (permanent), `u` (UNLOGGED) or `t` (temporary).
    pub persistence: u8,
    /// `reloptions` in its text form (`{fillfactor=50}`).
    pub options: Option<String>,
    /// `reltoastrelid`: the table's TOAST relation, 0 if none.
    pub toast: u32,
    /// `reltype`: the relation's row type, 0 if none.
    pub reltype: u32,
}

impl ClassRow<'_> {
    pub fn values(&self) -> Vec<Datum> {
        let index = self.kind == b'i';
        let view = self.kind == b'v';
        let sequence = self.kind == b'S';
        let catalog = self.namespace == PG_CATALOG_NAMESPACE;
        vec![
            oid(self.oid),
            name(self.name),
            oid(self.namespace),
            oid(self.reltype),
            oid(0),
            oid(SUPERUSER),
            oid(if index {
                BTREE_AM
            } else if view || sequence {
                0
            } else {
                HEAP_AM
            }),
            oid(self.relfilenode),
            oid(0),
            Datum::Int4(0),
            Datum::Float4(-1.0), // reltuples: never counted
            Datum::Int4(0),
            oid(self.toast),
            Datum::Bool(self.has_index),
            Datum::Bool(self.shared),
            char(self.persistence),
            char(self.kind),
            Datum::Int2(self.natts),
            Datum::Int2(0),
            Datum::Bool(view), // relhasrules: a view has its _RETURN rule
            Datum::Bool(false),
            Datum::Bool(false),
            Datum::Bool(false),
            Datum::Bool(false),
            Datum::Bool(true),
            char(if catalog || index || view || sequence { b'n' } else { b'd' }),
            Datum::Bool(false),
            oid(0),
            xid0(),
            xid0(),
            Datum::Null,
            self.options
                .as_deref()
                .map_or(Datum::Null, |o| crate::sql::types::parse_text(TEXT_ARRAY, o).unwrap_or(Datum::Null)),
            Datum::Null,
        ]
    }
}

pub const CLASS_OID: usize = PG_CLASS.attno("oid");
pub const CLASS_RELNAME: usize = PG_CLASS.attno("relname");
pub const CLASS_RELNAMESPACE: usize = PG_CLASS.attno("relnamespace");
pub const CLASS_RELFILENODE: usize = PG_CLASS.attno("relfilenode");
pub const CLASS_RELPAGES: usize = PG_CLASS.attno("relpages");
pub const CLASS_RELTUPLES: usize = PG_CLASS.attno("reltuples");
pub const CLASS_RELTOASTRELID: usize = PG_CLASS.attno("reltoastrelid");
pub const CLASS_RELHASINDEX: usize = PG_CLASS.attno("relhasindex");
pub const CLASS_RELPERSISTENCE: usize = PG_CLASS.attno("relpersistence");

/// The `relpersistence` of a relation: temporary wins over UNLOGGED.
pub fn persistence(unlogged: bool, temp: bool) -> u8 {
    match (temp, unlogged) {
        (true, _) => b't',
        (false, true) => b'u',
        (false, false) => b'p',
    }
}
pub const CLASS_RELKIND: usize = PG_CLASS.attno("relkind");
pub const CLASS_RELOPTIONS: usize = PG_CLASS.attno("reloptions");
pub const CLASS_RELNATTS: usize = PG_CLASS.attno("relnatts");
pub const CLASS_RELCHECKS: usize = PG_CLASS.attno("relchecks");

/// The `pg_rewrite` row of view `view`'s `_RETURN` rule, whose action is
/// the view's query as SQL text.
pub fn rewrite_row(rule: u32, view: u32, sql: &str) -> Vec<Datum> {
    vec![
        oid(rule),
        name("_RETURN"),
        oid(view),
        char(b'1'), // ev_type: SELECT
        char(b'O'), // ev_enabled: origin
        Datum::Bool(true),
        Datum::Text("<>".into()), // ev_qual: no condition
        Datum::Text(sql.to_string()),
    ]
}

pub const RW_OID: usize = PG_REWRITE.attno("oid");
pub const RW_EV_CLASS: usize = PG_REWRITE.attno("ev_class");
pub const RW_EV_ACTION: usize = PG_REWRITE.attno("ev_action");

/// A `pg_depend` row: object (`classid`, `objid`) needs (`refclassid`,
/// `refobjid`) in the way `deptype` says (`n` normal, `i` internal).
pub fn depend_row(classid: u32, objid: u32, refclassid: u32, refobjid: u32, deptype: u8) -> Vec<Datum> {
    vec![oid(classid), oid(objid), Datum::Int4(0), oid(refclassid), oid(refobjid), Datum::Int4(0), char(deptype)]
}

pub const DEP_CLASSID: usize = PG_DEPEND.attno("classid");
pub const DEP_OBJID: usize = PG_DEPEND.attno("objid");
pub const DEP_REFCLASSID: usize = PG_DEPEND.attno("refclassid");
pub const DEP_REFOBJID: usize = PG_DEPEND.attno("refobjid");
pub const DEP_DEPTYPE: usize = PG_DEPEND.attno("deptype");
pub const DEP_OBJSUBID: usize = PG_DEPEND.attno("objsubid");
pub const DEP_REFOBJSUBID: usize = PG_DEPEND.attno("refobjsubid");

pub const AD_OID: usize = PG_ATTRDEF.attno("oid");
pub const AD_ADRELID: usize = PG_ATTRDEF.attno("adrelid");
pub const AD_ADNUM: usize = PG_ATTRDEF.attno("adnum");
pub const AD_ADBIN: usize = PG_ATTRDEF.attno("adbin");

pub const SEQ_RELID: usize = PG_SEQUENCE.attno("seqrelid");
pub const SEQ_TYPID: usize = PG_SEQUENCE.attno("seqtypid");
pub const SEQ_START: usize = PG_SEQUENCE.attno("seqstart");
pub const SEQ_INCREMENT: usize = PG_SEQUENCE.attno("seqincrement");
pub const SEQ_MAX: usize = PG_SEQUENCE.attno("seqmax");
pub const SEQ_MIN: usize = PG_SEQUENCE.attno("seqmin");
pub const SEQ_CACHE: usize = PG_SEQUENCE.attno("seqcache");
pub const SEQ_CYCLE: usize = PG_SEQUENCE.attno("seqcycle");

/// A `pg_depend` row with sub-object numbers (a column: its attnum).
pub fn depend_row_sub(
    classid: u32,
    objid: u32,
    objsubid: i32,
    refclassid: u32,
    refobjid: u32,
    refobjsubid: i32,
    deptype: u8,
) -> Vec<Datum> {
    vec![
        oid(classid),
        oid(objid),
        Datum::Int4(objsubid),
        oid(refclassid),
        oid(refobjid),
        Datum::Int4(refobjsubid),
        char(deptype),
    ]
}

/// A `pg_attribute` row for column `attnum` (1-based) of relation `rel`.
pub fn attribute_row(rel: u32, attnum: i16, col_name: &str, ty: PgType, typmod: i32, not_null: bool) -> Vec<Datum> {
    let t = super::bootstrap::type_info(ty.oid());
    vec![
        oid(rel),
        name(col_name),
        oid(ty.oid()),
        Datum::Int4(-1),
        Datum::Int2(t.len),
        Datum::Int2(attnum),
        Datum::Int4(0),
        Datum::Int4(-1),
        Datum::Int4(typmod),
        Datum::Bool(t.byval),
        char(t.align),
        char(t.storage),
        char(0),
        Datum::Bool(not_null),
        Datum::Bool(false),
        Datum::Bool(false),
        char(0),
        char(0),
        Datum::Bool(false),
        Datum::Bool(true),
        Datum::Int4(0),
        oid(t.collation),
        Datum::Null,
        Datum::Null,
        Datum::Null,
        Datum::Null,
    ]
}

/// The system columns of every relation that holds rows (PostgreSQL's
/// `SystemAttributes`): name, negative attnum, type OID (`tid`, `xid`,
/// `cid`, `oid`). Views, indexes and composite types have none.
pub const SYSTEM_COLUMNS: [(&str, i16, u32); 6] =
    [("ctid", -1, 27), ("xmin", -2, 28), ("cmin", -3, 29), ("xmax", -4, 28), ("cmax", -5, 29), ("tableoid", -6, 26)];

/// The `pg_attribute` rows of relation `rel`'s system columns, as
/// PostgreSQL stores them: NOT NULL, no statistics target.
pub fn system_attribute_rows(rel: u32) -> Vec<Vec<Datum>> {
    SYSTEM_COLUMNS
        .iter()
        .map(|&(name, attnum, ty)| {
            let ty = PgType::from_oid(ty).expect("system column types are built in");
            let mut row = attribute_row(rel, attnum, name, ty, -1, true);
            row[ATT_STATTARGET] = Datum::Int4(0);
            row
        })
        .collect()
}

/// 42701 for a table column named as one of the table's system columns.
pub fn check_not_system_column(name: &str) -> crate::error::Result<()> {
    if SYSTEM_COLUMNS.iter().any(|c| c.0 == name) {
        return Err(crate::err!(
            crate::error::SqlState::DUPLICATE_COLUMN,
            "column name \"{name}\" conflicts with a system column name"
        ));
    }
    Ok(())
}

pub const ATT_RELID: usize = PG_ATTRIBUTE.attno("attrelid");
pub const ATT_NAME: usize = PG_ATTRIBUTE.attno("attname");
pub const ATT_TYPID: usize = PG_ATTRIBUTE.attno("atttypid");
pub const ATT_STATTARGET: usize = PG_ATTRIBUTE.attno("attstattarget");
pub const ATT_NUM: usize = PG_ATTRIBUTE.attno("attnum");
pub const ATT_TYPMOD: usize = PG_ATTRIBUTE.attno("atttypmod");
pub const ATT_NOTNULL: usize = PG_ATTRIBUTE.attno("attnotnull");
pub const ATT_STORAGE: usize = PG_ATTRIBUTE.attno("attstorage");
pub const ATT_HASDEF: usize = PG_ATTRIBUTE.attno("atthasdef");
pub const ATT_IDENTITY: usize = PG_ATTRIBUTE.attno("attidentity");
pub const ATT_ISDROPPED: usize = PG_ATTRIBUTE.attno("attisdropped");
pub const ATT_HASMISSING: usize = PG_ATTRIBUTE.attno("atthasmissing");
pub const ATT_MISSINGVAL: usize = PG_ATTRIBUTE.attno("attmissingval");
pub const ATT_LEN: usize = PG_ATTRIBUTE.attno("attlen");
pub const ATT_BYVAL: usize = PG_ATTRIBUTE.attno("attbyval");
pub const ATT_ALIGN: usize = PG_ATTRIBUTE.attno("attalign");
pub const ATT_COLLATION: usize = PG_ATTRIBUTE.attno("attcollation");

/// The `pg_index` row of `index` on `table`, followed by tusk's
/// constraint flag (see [`PG_INDEX`]).
pub fn index_row(index: &super::Index, table: &super::Table) -> Vec<Datum> {
    // An expression key part is 0 in indkey, its text in indexprs.
    let key: Vec<i16> = index.columns.iter().map(|&c| if c == super::EXPR_KEY { 0 } else { c as i16 + 1 }).collect();
    // INCLUDE columns follow the key in indkey only.
    let natts = key.len() + index.include.len();
    let all_columns: Vec<i16> = key.iter().copied().chain(index.include.iter().map(|&c| c as i16 + 1)).collect();
    let types: Vec<PgType> = (0..index.columns.len())
        .map(|i| match index.exprs.get(i).and_then(Option::as_ref) {
            Some(e) => e.expr.ty(),
            None => table.columns[index.columns[i]].ty,
        })
        .collect();
    let exprs: Vec<&str> = index.exprs.iter().flatten().map(|e| e.text.as_str()).collect();
    let options: Vec<i16> = index.orders.iter().map(|o| o.option_bits()).collect();
    let join = |v: Vec<String>| Datum::Text(v.join(" "));
    let collations = types.iter().map(|t| super::bootstrap::type_info(t.oid()).collation.to_string()).collect();
    let opclasses = types.iter().map(|t| default_btree_opclass(*t).to_string()).collect();
    vec![
        oid(index.oid),
        oid(table.oid),
        Datum::Int2(natts as i16),
        Datum::Int2(key.len() as i16),
        Datum::Bool(index.unique),
        Datum::Bool(false),
        Datum::Bool(index.primary),
        Datum::Bool(false),
        // indimmediate: a deferrable constraint's index checks later.
        Datum::Bool(!index.deferral.deferrable),
        Datum::Bool(false),
        Datum::Bool(index.valid),
        Datum::Bool(false),
        Datum::Bool(index.ready),
        Datum::Bool(true),
        Datum::Bool(false),
        join(all_columns.iter().map(i16::to_string).collect()),
        join(collations),
        join(opclasses),
        join(options.iter().map(i16::to_string).collect()),
        if exprs.is_empty() { Datum::Null } else { Datum::Text(exprs.join(", ")) },
        index.predicate.as_ref().map_or(Datum::Null, |p| Datum::Text(p.text.clone())),
        Datum::Bool(index.constraint),
    ]
}

pub const IND_INDEXRELID: usize = PG_INDEX.attno("indexrelid");
pub const IND_INDRELID: usize = PG_INDEX.attno("indrelid");
pub const IND_ISUNIQUE: usize = PG_INDEX.attno("indisunique");
pub const IND_ISPRIMARY: usize = PG_INDEX.attno("indisprimary");
pub const IND_ISVALID: usize = PG_INDEX.attno("indisvalid");
pub const IND_ISREADY: usize = PG_INDEX.attno("indisready");
pub const IND_KEY: usize = PG_INDEX.attno("indkey");
pub const IND_OPTION: usize = PG_INDEX.attno("indoption");
pub const IND_PRED: usize = PG_INDEX.attno("indpred");
pub const IND_EXPRS: usize = PG_INDEX.attno("indexprs");
pub const IND_NKEYATTS: usize = PG_INDEX.attno("indnkeyatts");
/// tusk's constraint flag, just past the declared columns.
pub const IND_CONSTRAINT: usize = PG_INDEX.columns.len();

/// pg_index's layout including tusk's constraint flag.
pub fn index_desc() -> TupleDesc {
    let mut desc = PG_INDEX.desc();
    let (len, align) = Bool.storage();
    desc.attrs.push(Attr { len, align });
    desc
}

/// The default btree operator class of a type (its `pg_opclass` row, see
/// `opclass`); 0 if it has none.
fn default_btree_opclass(ty: PgType) -> u32 {
    match ty {
        PgType::Bool => 10003,
        PgType::Bpchar => 10004,
        PgType::Bytea => 10006,
        PgType::Char => 10007,
        PgType::Date => 3122,
        PgType::Float4 => 10012,
        PgType::Float8 => 3123,
        PgType::Int2 => 1979,
        PgType::Int4 => 1978,
        PgType::Int8 => 3124,
        PgType::Interval => 10022,
        PgType::Name => 10028,
        PgType::Numeric => 3125,
        PgType::Oid | PgType::RegClass | PgType::RegType => 1981,
        PgType::Text | PgType::Varchar => 3126,
        PgType::Time => 10038,
        PgType::TimeTz => 10041,
        PgType::Xid8 => 10053,
        PgType::TimestampTz => 3127,
        PgType::Timestamp => 3128,
        _ => 0,
    }
}

/// What a `pg_constraint` row says (the columns tusk uses; the rest are
/// PostgreSQL's values for a constraint that is neither deferrable nor
/// inherited). Column numbers are 1-based, as in `pg_attribute`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstraintRow {
    pub oid: u32,
    pub name: String,
    /// `connamespace`: the schema of the constraint's table.
    pub namespace: u32,
    /// `p` primary key, `u` unique, `f` foreign key.
    pub kind: u8,
    pub relid: u32,
    /// `contypid`: the domain a domain constraint belongs to (0 otherwise).
    pub typid: u32,
    /// The index: of a key constraint its own, of a foreign key the
    /// referenced table's unique index it relies on.
    pub index: u32,
    /// A foreign key's referenced table (0 otherwise).
    pub frelid: u32,
    /// A foreign key's ON UPDATE and ON DELETE actions (`a` no action,
    /// `r` restrict, `c` cascade, `n` set null, `d` set default); `' '`
    /// otherwise.
    pub update_action: u8,
    pub delete_action: u8,
    pub key: Vec<i16>,
    pub fkey: Vec<i16>,
    /// A foreign key's equality operators (`=` of each referenced column's type).
    pub eq_ops: Vec<u32>,
    /// A CHECK constraint's expression, as SQL text (`conbin`).
    pub check: Option<String>,
    /// `convalidated`: false for a constraint added NOT VALID and not
    /// validated since.
    pub validated: bool,
    /// `connoinherit`: a CHECK constraint's NO INHERIT.
    pub no_inherit: bool,
    /// `condeferrable`, `condeferred`.
    pub deferral: super::constraint::Deferral,
}

impl Default for ConstraintRow {
    fn default() -> ConstraintRow {
        ConstraintRow {
            oid: 0,
            name: String::new(),
            namespace: PUBLIC_NAMESPACE,
            kind: b' ',
            relid: 0,
            typid: 0,
            index: 0,
            frelid: 0,
            update_action: b' ',
            delete_action: b' ',
            key: Vec::new(),
            fkey: Vec::new(),
            eq_ops: Vec::new(),
            check: None,
            validated: true,
            no_inherit: false,
            deferral: Default::default(),
        }
    }
}

/// An `int2[]` of column numbers.
fn int2_array(items: &[i16]) -> Datum {
    ArrayValue::new(Int2, items.iter().map(|&i| Datum::Int2(i)).collect()).into_datum()
}

/// An `oid[]`.
fn oid_array(items: &[u32]) -> Datum {
    ArrayValue::new(Oid, items.iter().map(|&i| Datum::Oid(i)).collect()).into_datum()
}

impl ConstraintRow {
    pub fn values(&self) -> Vec<Datum> {
        let fk = self.kind == b'f';
        let fk_only = |d: Datum| if fk { d } else { Datum::Null };
        vec![
            oid(self.oid),
            name(&self.name),
            oid(self.namespace),
            char(self.kind),
            Datum::Bool(self.deferral.deferrable),
            Datum::Bool(self.deferral.initially_deferred),
            Datum::Bool(self.validated),
            oid(self.relid),
            oid(self.typid),
            oid(self.index),
            oid(0),
            oid(self.frelid),
            char(self.update_action),
            char(self.delete_action),
            char(if fk { b's' } else { b' ' }),
            Datum::Bool(true),
            Datum::Int4(0),
            // Key and foreign key constraints are never inherited.
            Datum::Bool(self.kind != b'c' || self.no_inherit),
            // A CHECK that reads no column has no key.
            if self.kind == b'c' && self.key.is_empty() { Datum::Null } else { int2_array(&self.key) },
            fk_only(int2_array(&self.fkey)),
            fk_only(oid_array(&self.eq_ops)),
            fk_only(oid_array(&self.eq_ops)),
            fk_only(oid_array(&self.eq_ops)),
            Datum::Null,
            Datum::Null,
            self.check.as_deref().map_or(Datum::Null, |t| Datum::Text(t.to_string())),
        ]
    }
}

pub const CON_OID: usize = PG_CONSTRAINT.attno("oid");
pub const CON_NAME: usize = PG_CONSTRAINT.attno("conname");
pub const CON_TYPE: usize = PG_CONSTRAINT.attno("contype");
pub const CON_NAMESPACE: usize = PG_CONSTRAINT.attno("connamespace");
pub const CON_RELID: usize = PG_CONSTRAINT.attno("conrelid");
pub const CON_TYPID: usize = PG_CONSTRAINT.attno("contypid");
pub const CON_INDID: usize = PG_CONSTRAINT.attno("conindid");
pub const CON_FRELID: usize = PG_CONSTRAINT.attno("confrelid");
pub const CON_UPDTYPE: usize = PG_CONSTRAINT.attno("confupdtype");
pub const CON_DELTYPE: usize = PG_CONSTRAINT.attno("confdeltype");
pub const CON_KEY: usize = PG_CONSTRAINT.attno("conkey");
pub const CON_FKEY: usize = PG_CONSTRAINT.attno("confkey");
pub const CON_PFEQOP: usize = PG_CONSTRAINT.attno("conpfeqop");
pub const CON_VALIDATED: usize = PG_CONSTRAINT.attno("convalidated");
pub const CON_NOINHERIT: usize = PG_CONSTRAINT.attno("connoinherit");
pub const CON_BIN: usize = PG_CONSTRAINT.attno("conbin");
pub const CON_DEFERRABLE: usize = PG_CONSTRAINT.attno("condeferrable");
pub const CON_DEFERRED: usize = PG_CONSTRAINT.attno("condeferred");

/// The `=` operator of a type (`pg_operator`, which tusk does not have
/// yet: these are PostgreSQL's OIDs); 0 if unknown.
pub fn equality_operator(ty: PgType) -> u32 {
    match ty {
        PgType::Bool => 91,
        PgType::Char => 92,
        PgType::Name => 93,
        PgType::Int2 => 94,
        PgType::Int4 => 96,
        PgType::Text | PgType::Varchar => 98,
        PgType::Int8 => 410,
        PgType::Oid | PgType::RegClass | PgType::RegType => 607,
        PgType::Float4 => 620,
        PgType::Float8 => 670,
        PgType::Bpchar => 1054,
        PgType::Bytea => 1955,
        PgType::Date => 1093,
        PgType::Time => 1108,
        PgType::TimeTz => 1550,
        PgType::Xid8 => 5068,
        PgType::TimestampTz => 1320,
        PgType::Interval => 1330,
        PgType::Numeric => 1752,
        PgType::Timestamp => 2060,
        _ => 0,
    }
}

/// `pg_namespace` rows.
pub fn namespace_rows() -> Vec<Vec<Datum>> {
    [(PG_CATALOG_NAMESPACE, "pg_catalog", SUPERUSER), (PG_TOAST_NAMESPACE, "pg_toast", SUPERUSER)]
        .into_iter()
        .chain([(PUBLIC_NAMESPACE, "public", 6171)])
        .chain([(INFORMATION_SCHEMA_NAMESPACE, "information_schema", SUPERUSER)])
        .map(|(o, n, owner)| {
            // PostgreSQL's initial privileges: everyone may look up names
            // in the catalog schemas and in public, whose owner (the
            // database owner) may also create there.
            let acl = match o {
                PG_TOAST_NAMESPACE => Datum::Null,
                PUBLIC_NAMESPACE => aclitems(&["pg_database_owner=UC/pg_database_owner", "=U/pg_database_owner"]),
                _ => aclitems(&["postgres=UC/postgres", "=U/postgres"]),
            };
            vec![oid(o), name(n), oid(owner), acl]
        })
        .collect()
}

/// The name of a schema bootstrap creates, by OID.
pub fn fixed_namespace_name(oid: u32) -> Option<&'static str> {
    if oid == PUBLIC_NAMESPACE {
        return Some("public");
    }
    ["pg_catalog", "information_schema", "pg_toast"].into_iter().find(|n| fixed_namespace(n) == Some(oid))
}

/// The OID of a schema that bootstrap creates and that stays, by name.
/// Not `public`: it may be dropped, and made again under another OID, so
/// it is looked up in `pg_namespace` like the schemas users make.
pub fn fixed_namespace(name: &str) -> Option<u32> {
    match name {
        "pg_catalog" => Some(PG_CATALOG_NAMESPACE),
        "information_schema" => Some(INFORMATION_SCHEMA_NAMESPACE),
        "pg_toast" => Some(PG_TOAST_NAMESPACE),
        _ => None,
    }
}

pub const NSP_OID: usize = PG_NAMESPACE.attno("oid");
pub const NSP_NAME: usize = PG_NAMESPACE.attno("nspname");

/// `pg_database` rows: tusk serves database `postgres`; the templates are
/// listed as PostgreSQL lists them (and refuse connections, as template0 does).
pub fn database_rows() -> Vec<Vec<Datum>> {
    [(5, "postgres", false, true), (1, "template1", true, true), (4, "template0", true, false)]
        .into_iter()
        .map(|(o, n, template, allow)| {
            vec![
                oid(o),
                name(n),
                oid(SUPERUSER),
                Datum::Int4(6), // UTF8
                char(b'c'),
                Datum::Bool(template),
                Datum::Bool(allow),
                Datum::Int4(-1),
                xid0(),
                xid0(),
                oid(1663), // pg_default
                Datum::Text("C".into()),
                Datum::Text("C".into()),
                Datum::Null,
                Datum::Null,
                // The templates: anyone may connect, as initdb grants.
                if template { aclitems(&["=c/postgres", "postgres=CTc/postgres"]) } else { Datum::Null },
            ]
        })
        .collect()
}

/// An `aclitem[]` value of items in their text form.
pub fn aclitems(items: &[&str]) -> Datum {
    let elem = TextForm(1033);
    ArrayValue::new(elem, items.iter().map(|i| Datum::Text(i.to_string())).collect()).into_datum()
}

/// `pg_authid` rows: the bootstrap superuser and PostgreSQL 15's
/// predefined roles (which cannot log in).
pub fn authid_rows() -> Vec<Vec<Datum>> {
    let predefined = [
        (6171, "pg_database_owner"),
        (6181, "pg_read_all_data"),
        (6182, "pg_write_all_data"),
        (3373, "pg_monitor"),
        (3374, "pg_read_all_settings"),
        (3375, "pg_read_all_stats"),
        (3377, "pg_stat_scan_tables"),
        (4569, "pg_read_server_files"),
        (4570, "pg_write_server_files"),
        (4571, "pg_execute_server_program"),
        (4200, "pg_signal_backend"),
        (4544, "pg_checkpoint"),
    ];
    std::iter::once((SUPERUSER, super::describe::SUPERUSER_NAME, true))
        .chain(predefined.into_iter().map(|(o, n)| (o, n, false)))
        .map(|(o, n, superuser)| {
            let b = Datum::Bool(superuser);
            vec![
                oid(o),
                name(n),
                b.clone(),
                Datum::Bool(true),
                b.clone(),
                b.clone(),
                b.clone(),
                b.clone(),
                b,
                Datum::Int4(-1),
                Datum::Null,
                Datum::Null,
            ]
        })
        .collect()
}

/// `pg_collation` rows: the database default, and the byte-order
/// collations PostgreSQL always has (`ucs_basic` for UTF8).
pub fn collation_rows() -> Vec<Vec<Datum>> {
    let text = |s: Option<&str>| s.map_or(Datum::Null, |s| Datum::Text(s.to_string()));
    [(100, "default", b'd', -1, None), (950, "C", b'c', -1, Some("C")), (951, "POSIX", b'c', -1, Some("POSIX"))]
        .into_iter()
        .chain([(12340, "ucs_basic", b'c', 6, Some("C"))])
        .map(|(o, n, provider, encoding, locale)| {
            vec![
                oid(o),
                name(n),
                oid(PG_CATALOG_NAMESPACE),
                oid(SUPERUSER),
                char(provider),
                Datum::Bool(true),
                Datum::Int4(encoding),
                text(locale),
                text(locale),
                Datum::Null,
                Datum::Null,
            ]
        })
        .collect()
}

/// `pg_am` rows: the access methods tusk has.
pub fn am_rows() -> Vec<Vec<Datum>> {
    vec![
        vec![oid(HEAP_AM), name("heap"), Datum::Text("heap_tableam_handler".into()), char(b't')],
        vec![oid(BTREE_AM), name("btree"), Datum::Text("bthandler".into()), char(b'i')],
    ]
}

/// The catalogs shared by every database (`pg_database`, `pg_authid`,
/// `pg_auth_members`, `pg_tablespace`, `pg_shdescription`,
/// `pg_db_role_setting`, `pg_subscription`): stored once
/// for the cluster, in [`super::SHARED_DB`], and seen alike from each.
pub fn is_shared(oid: u32) -> bool {
    matches!(oid, 1262 | 1260 | 1261 | 1213 | 2396 | 2964 | 6100)
}
