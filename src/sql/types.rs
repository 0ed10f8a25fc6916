//! PostgreSQL data types and values: OIDs, names, and the text and binary
//! input/output functions, byte for byte as PostgreSQL writes them.

use bytes::BufMut;

use super::datetime::{self, Interval, TimeZone};
pub use super::regtypes::RegKind;
use crate::err;
use crate::error::{Error, Result, SqlState};

/// A PostgreSQL type tusk can compute with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PgType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric,
    Text,
    Varchar,
    /// `character(n)`: blank-padded text.
    Bpchar,
    Date,
    Time,
    /// `time with time zone`: a time of day and its zone offset
    /// ([`Datum::TimeTz`]; see `datetime::timetz`).
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    /// The type of a quoted literal before context decides (PostgreSQL's `unknown`).
    Unknown,
    Void,
    /// `oid`: an object identifier (unsigned 32 bits).
    Oid,
    /// `name`: an identifier in the catalogs (at most 63 bytes).
    Name,
    /// `"char"`: one byte, the kind codes of the catalogs (`relkind`).
    Char,
    /// `regclass`: a relation's OID that reads and prints as its name.
    /// In memory it is the name (the output form), resolved through the
    /// catalog when cast from or to `oid`.
    RegClass,
    /// `regtype`: a type's OID that reads and prints as its name (held as
    /// the name, like [`PgType::RegClass`]).
    RegType,
    /// The other OID alias types (`regproc`, `regnamespace`, …; see
    /// [`super::regtypes`]), held as their output text like
    /// [`PgType::RegClass`].
    Reg(RegKind),
    /// `bytea`: a string of bytes (see [`super::bytea`]).
    Bytea,
    /// A type tusk only stores and prints in its text form (see
    /// [`TEXT_FORM_TYPES`]): catalog columns such as `indkey int2vector`.
    TextForm(u32),
    /// A one-dimensional array (see [`super::array`]); which one is an
    /// index into [`ARRAY_TYPES`].
    Array(ArrayOf),
    /// `uuid`: 16 bytes (see [`super::uuid`]).
    Uuid,
    /// `pg_lsn`: a position in the write-ahead log (see [`super::lsn`]).
    PgLsn,
    /// `json`: the input text, validated and kept as it was written (held
    /// as [`Datum::Text`]; see [`super::json`]).
    Json,
    /// `jsonb`: parsed JSON in a binary form (see [`super::json`]).
    Jsonb,
    /// A type made by `CREATE TYPE … AS ENUM`: its `pg_type` OID (see
    /// [`super::enums`]). Its name lives in the catalog only; messages
    /// without the catalog at hand call it `anyenum`.
    Enum(u32),
    /// The array type of an enum type (its OID is the enum type's plus
    /// one); the enum type's OID.
    EnumArray(u32),
    /// `tid`: a tuple's address, (block, offset) ([`Datum::Tid`]; in
    /// Arrow the two packed into an `Int64`, as the executor carries `ctid`).
    Tid,
    /// `xid`: a 32-bit transaction id (held as [`Datum::Oid`]). tusk's
    /// transaction ids are 64 bits; as in PostgreSQL, whose `xid` is the
    /// low half of its 64-bit `FullTransactionId`, an `xid` is the low 32
    /// bits.
    Xid,
    /// `cid`: a command id within a transaction (held as [`Datum::Oid`]).
    Cid,
    /// `xid8`: a full 64-bit transaction id ([`Datum::Xid8`]; see [`super::xid8`]).
    Xid8,
    /// `pg_snapshot`: which transactions a snapshot sees ([`Datum::Snapshot`]).
    PgSnapshot,
    /// `txid_snapshot`: the older name of `pg_snapshot`, a type of its own.
    TxidSnapshot,
    /// `record`: an anonymous row value (see [`super::record`]); its
    /// fields' types travel with each value.
    Record,
    /// A composite type (a relation's row type or one made by `CREATE
    /// TYPE … AS (…)`): its `pg_type` OID. Values are records
    /// ([`Datum::Record`]); the field names and types live in the catalog
    /// (see [`super::record::RowType`]). Messages without the catalog at
    /// hand call it `record`.
    Composite(u32),
}

/// Which array type a [`PgType::Array`] is: an index into [`ARRAY_TYPES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArrayOf(u8);

/// The array types: OID, `typname`, `format_type` name, element type.
pub const ARRAY_TYPES: &[(u32, &str, &str, PgType)] = &[
    (1000, "_bool", "boolean[]", PgType::Bool),
    (1001, "_bytea", "bytea[]", PgType::Bytea),
    (1002, "_char", "\"char\"[]", PgType::Char),
    (1003, "_name", "name[]", PgType::Name),
    (1005, "_int2", "smallint[]", PgType::Int2),
    (1007, "_int4", "integer[]", PgType::Int4),
    (1009, "_text", "text[]", PgType::Text),
    (1014, "_bpchar", "character[]", PgType::Bpchar),
    (1015, "_varchar", "character varying[]", PgType::Varchar),
    (1016, "_int8", "bigint[]", PgType::Int8),
    (1021, "_float4", "real[]", PgType::Float4),
    (1022, "_float8", "double precision[]", PgType::Float8),
    (1028, "_oid", "oid[]", PgType::Oid),
    (1115, "_timestamp", "timestamp without time zone[]", PgType::Timestamp),
    (1182, "_date", "date[]", PgType::Date),
    (1183, "_time", "time without time zone[]", PgType::Time),
    (1270, "_timetz", "time with time zone[]", PgType::TimeTz),
    (1185, "_timestamptz", "timestamp with time zone[]", PgType::TimestampTz),
    (1187, "_interval", "interval[]", PgType::Interval),
    (1231, "_numeric", "numeric[]", PgType::Numeric),
    (2210, "_regclass", "regclass[]", PgType::RegClass),
    (2211, "_regtype", "regtype[]", PgType::RegType),
    (2951, "_uuid", "uuid[]", PgType::Uuid),
    (3221, "_pg_lsn", "pg_lsn[]", PgType::PgLsn),
    (271, "_xid8", "xid8[]", PgType::Xid8),
    (5039, "_pg_snapshot", "pg_snapshot[]", PgType::PgSnapshot),
    (2949, "_txid_snapshot", "txid_snapshot[]", PgType::TxidSnapshot),
    (199, "_json", "json[]", PgType::Json),
    (3807, "_jsonb", "jsonb[]", PgType::Jsonb),
    (1034, "_aclitem", "aclitem[]", PgType::TextForm(1033)),
];

/// The types tusk holds only in their text output form: OID, `typname`,
/// and the name `format_type` gives it. They appear in catalog columns;
/// values can be read and compared as text, nothing more.
pub const TEXT_FORM_TYPES: &[(u32, &str, &str)] = &[
    (22, "int2vector", "int2vector"),
    // The catalogs' transaction-id columns (`relfrozenxid`, …) keep their
    // 64-bit values in text; [`PgType::Xid`] is the `xid` of values.
    (28, "xid", "xid"),
    (30, "oidvector", "oidvector"),
    (194, "pg_node_tree", "pg_node_tree"),
    (1033, "aclitem", "aclitem"),
    (2277, "anyarray", "anyarray"),
];

fn text_form(oid: u32) -> (&'static str, &'static str) {
    TEXT_FORM_TYPES.iter().find(|t| t.0 == oid).map_or(("unknown", "unknown"), |t| (t.1, t.2))
}

impl PgType {
    pub fn oid(self) -> u32 {
        match self {
            PgType::Bool => 16,
            PgType::Bytea => 17,
            PgType::Int8 => 20,
            PgType::Int2 => 21,
            PgType::Int4 => 23,
            PgType::Text => 25,
            PgType::Float4 => 700,
            PgType::Float8 => 701,
            PgType::Unknown => 705,
            PgType::Varchar => 1043,
            PgType::Bpchar => 1042,
            PgType::Date => 1082,
            PgType::Time => 1083,
            PgType::TimeTz => 1266,
            PgType::Timestamp => 1114,
            PgType::TimestampTz => 1184,
            PgType::Interval => 1186,
            PgType::Void => 2278,
            PgType::Numeric => 1700,
            PgType::Oid => 26,
            PgType::Name => 19,
            PgType::Char => 18,
            PgType::RegClass => 2205,
            PgType::RegType => 2206,
            PgType::Reg(k) => k.oid(),
            PgType::TextForm(oid) => oid,
            PgType::Array(a) => ARRAY_TYPES[a.0 as usize].0,
            PgType::Uuid => 2950,
            PgType::PgLsn => 3220,
            PgType::Json => 114,
            PgType::Jsonb => 3802,
            PgType::Enum(oid) => oid,
            PgType::EnumArray(elem) => elem + 1,
            PgType::Tid => 27,
            PgType::Xid => 28,
            PgType::Cid => 29,
            PgType::Xid8 => 5069,
            PgType::PgSnapshot => 5038,
            PgType::TxidSnapshot => 2970,
            PgType::Record => 2249,
            PgType::Composite(oid) => oid,
        }
    }

    /// The array type whose elements are of this type.
    pub fn array_of(elem: PgType) -> Option<PgType> {
        if let PgType::Enum(oid) = elem {
            return Some(PgType::EnumArray(oid));
        }
        ARRAY_TYPES.iter().position(|t| t.3 == elem).map(|i| PgType::Array(ArrayOf(i as u8)))
    }

    /// The element type of an array type.
    pub fn elem(self) -> Option<PgType> {
        match self {
            PgType::Array(a) => Some(ARRAY_TYPES[a.0 as usize].3),
            PgType::EnumArray(oid) => Some(PgType::Enum(oid)),
            _ => None,
        }
    }

    /// The array type of OID `oid`, in constants (a compile error when
    /// `oid` is not in [`ARRAY_TYPES`]).
    pub const fn array_by_oid(oid: u32) -> PgType {
        let mut i = 0;
        while i < ARRAY_TYPES.len() {
            if ARRAY_TYPES[i].0 == oid {
                return PgType::Array(ArrayOf(i as u8));
            }
            i += 1;
        }
        panic!("not an array type OID")
    }

    /// `record` or a composite type: values are [`Datum::Record`]s.
    pub fn is_row(self) -> bool {
        matches!(self, PgType::Record | PgType::Composite(_))
    }

    pub fn is_array(self) -> bool {
        matches!(self, PgType::Array(_) | PgType::EnumArray(_))
    }

    /// Every type but the [`PgType::TextForm`] ones.
    pub const ALL: [PgType; 35] = [
        PgType::Bool,
        PgType::Bytea,
        PgType::Int2,
        PgType::Int4,
        PgType::Int8,
        PgType::Float4,
        PgType::Float8,
        PgType::Numeric,
        PgType::Text,
        PgType::Varchar,
        PgType::Unknown,
        PgType::Void,
        PgType::Bpchar,
        PgType::Date,
        PgType::Time,
        PgType::TimeTz,
        PgType::Timestamp,
        PgType::TimestampTz,
        PgType::Interval,
        PgType::Oid,
        PgType::Name,
        PgType::Char,
        PgType::RegClass,
        PgType::RegType,
        PgType::Uuid,
        PgType::PgLsn,
        PgType::Json,
        PgType::Jsonb,
        PgType::Tid,
        PgType::Xid,
        PgType::Cid,
        PgType::Xid8,
        PgType::PgSnapshot,
        PgType::TxidSnapshot,
        PgType::Record,
    ];

    pub fn from_oid(oid: u32) -> Option<PgType> {
        PgType::ALL
            .into_iter()
            .find(|t| t.oid() == oid)
            .or_else(|| RegKind::TYPES.into_iter().find(|k| k.oid() == oid).map(PgType::Reg))
            .or_else(|| TEXT_FORM_TYPES.iter().any(|t| t.0 == oid).then_some(PgType::TextForm(oid)))
            .or_else(|| ARRAY_TYPES.iter().position(|t| t.0 == oid).map(|i| PgType::Array(ArrayOf(i as u8))))
    }

    /// The name PostgreSQL uses in messages (`format_type`).
    pub fn sql_name(self) -> &'static str {
        match self {
            PgType::Bool => "boolean",
            PgType::Int2 => "smallint",
            PgType::Int4 => "integer",
            PgType::Int8 => "bigint",
            PgType::Float4 => "real",
            PgType::Float8 => "double precision",
            PgType::Text => "text",
            PgType::Varchar => "character varying",
            PgType::Bpchar => "character",
            PgType::Date => "date",
            PgType::Time => "time without time zone",
            PgType::TimeTz => "time with time zone",
            PgType::Timestamp => "timestamp without time zone",
            PgType::TimestampTz => "timestamp with time zone",
            PgType::Interval => "interval",
            PgType::Unknown => "unknown",
            PgType::Void => "void",
            PgType::Numeric => "numeric",
            PgType::Oid => "oid",
            PgType::Name => "name",
            PgType::Char => "\"char\"",
            PgType::RegClass => "regclass",
            PgType::RegType => "regtype",
            PgType::Reg(k) => k.name(),
            PgType::Bytea => "bytea",
            PgType::TextForm(oid) => text_form(oid).1,
            PgType::Array(a) => ARRAY_TYPES[a.0 as usize].2,
            PgType::Uuid => "uuid",
            PgType::PgLsn => "pg_lsn",
            PgType::Json => "json",
            PgType::Jsonb => "jsonb",
            PgType::Enum(_) => "anyenum",
            PgType::EnumArray(_) => "anyenum[]",
            PgType::Tid => "tid",
            PgType::Xid => "xid",
            PgType::Cid => "cid",
            PgType::Xid8 => "xid8",
            PgType::PgSnapshot => "pg_snapshot",
            PgType::TxidSnapshot => "txid_snapshot",
            PgType::Record | PgType::Composite(_) => "record",
        }
    }

    /// The catalog name (`pg_type.typname`), used for column names of casts.
    pub fn typname(self) -> &'static str {
        match self {
            PgType::Bool => "bool",
            PgType::Int2 => "int2",
            PgType::Int4 => "int4",
            PgType::Int8 => "int8",
            PgType::Float4 => "float4",
            PgType::Float8 => "float8",
            PgType::Text => "text",
            PgType::Varchar => "varchar",
            PgType::Bpchar => "bpchar",
            PgType::Date => "date",
            PgType::Time => "time",
            PgType::TimeTz => "timetz",
            PgType::Timestamp => "timestamp",
            PgType::TimestampTz => "timestamptz",
            PgType::Interval => "interval",
            PgType::Unknown => "unknown",
            PgType::Void => "void",
            PgType::Numeric => "numeric",
            PgType::Oid => "oid",
            PgType::Name => "name",
            PgType::Char => "char",
            PgType::RegClass => "regclass",
            PgType::RegType => "regtype",
            PgType::Reg(k) => k.name(),
            PgType::Bytea => "bytea",
            PgType::TextForm(oid) => text_form(oid).0,
            PgType::Array(a) => ARRAY_TYPES[a.0 as usize].1,
            PgType::Uuid => "uuid",
            PgType::PgLsn => "pg_lsn",
            PgType::Json => "json",
            PgType::Jsonb => "jsonb",
            PgType::Enum(_) => "anyenum",
            PgType::EnumArray(_) => "_anyenum",
            PgType::Tid => "tid",
            PgType::Xid => "xid",
            PgType::Cid => "cid",
            PgType::Xid8 => "xid8",
            PgType::PgSnapshot => "pg_snapshot",
            PgType::TxidSnapshot => "txid_snapshot",
            PgType::Record | PgType::Composite(_) => "record",
        }
    }

    /// `pg_type.typlen`: the fixed size, or -1 for variable length, -2 for C strings.
    pub fn typlen(self) -> i16 {
        match self {
            PgType::Bool => 1,
            PgType::Int2 => 2,
            PgType::Char => 1,
            PgType::Int4 | PgType::Float4 | PgType::Void | PgType::Date => 4,
            PgType::Oid
            | PgType::RegClass
            | PgType::RegType
            | PgType::Reg(_)
            | PgType::TextForm(28)
            | PgType::Xid
            | PgType::Cid
            | PgType::Enum(_) => 4,
            PgType::Tid => 6,
            PgType::Name => 64,
            PgType::Int8 | PgType::Float8 | PgType::Time | PgType::Timestamp | PgType::TimestampTz => 8,
            PgType::PgLsn | PgType::Xid8 => 8,
            PgType::TimeTz => 12,
            PgType::Interval => 16,
            PgType::Text | PgType::Varchar | PgType::Numeric | PgType::Bpchar | PgType::Bytea => -1,
            PgType::TextForm(_) | PgType::Array(_) | PgType::EnumArray(_) => -1,
            PgType::Uuid => 16,
            PgType::Json | PgType::Jsonb | PgType::PgSnapshot | PgType::TxidSnapshot | PgType::Record => -1,
            PgType::Composite(_) => -1,
            PgType::Unknown => -2,
        }
    }

    /// How a value of this type is stored in a heap tuple: length (-1:
    /// variable) and alignment. These are tusk's own layout: `name` and
    /// `"char"` are stored with their length, and `regclass`/`regtype` as
    /// their text, unlike PostgreSQL's `typlen` (see [`PgType::typlen`]).
    pub fn storage(self) -> (i16, u8) {
        match self {
            PgType::Bool => (1, 1),
            PgType::Int2 => (2, 2),
            PgType::Int4 | PgType::Float4 | PgType::Date | PgType::Oid | PgType::Xid | PgType::Cid => (4, 4),
            PgType::Int8 | PgType::Float8 | PgType::Time | PgType::Timestamp | PgType::TimestampTz => (8, 8),
            PgType::PgLsn | PgType::Xid8 => (8, 8),
            // Block then offset, as PostgreSQL's ItemPointerData.
            PgType::Tid => (6, 2),
            // Microseconds then the offset, as PostgreSQL's TimeTzADT.
            PgType::TimeTz => (12, 8),
            PgType::Interval => (16, 8),
            PgType::Uuid => (16, 1),
            // Text-like, numeric, bpchar and bytea values: variable length.
            _ => (-1, 4),
        }
    }

    pub fn is_integer(self) -> bool {
        matches!(self, PgType::Int2 | PgType::Int4 | PgType::Int8)
    }

    pub fn is_float(self) -> bool {
        matches!(self, PgType::Float4 | PgType::Float8)
    }

    /// Integer, float or numeric.
    pub fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float() || self == PgType::Numeric
    }

    pub fn is_string(self) -> bool {
        matches!(self, PgType::Text | PgType::Varchar | PgType::Bpchar | PgType::Name)
    }

    /// The types whose values are [`Datum::Text`] (in memory, in Arrow
    /// `Utf8` arrays, and stored as their bytes).
    pub fn held_as_text(self) -> bool {
        matches!(
            self,
            PgType::Text
                | PgType::Varchar
                | PgType::Unknown
                | PgType::Void
                | PgType::Name
                | PgType::Char
                | PgType::RegClass
                | PgType::RegType
                | PgType::Reg(_)
                | PgType::TextForm(_)
                | PgType::Json
        )
    }

    /// `oid` and the types that are OIDs underneath (`regclass`, `regtype`, …).
    pub fn is_oid(self) -> bool {
        matches!(self, PgType::Oid | PgType::RegClass | PgType::RegType | PgType::Reg(_))
    }

    /// The OID alias types (`regclass`, `regtype`, `regproc`, …), held as
    /// the names they print as.
    pub fn is_oid_alias(self) -> bool {
        matches!(self, PgType::RegClass | PgType::RegType | PgType::Reg(_))
    }

    /// date, timestamp or timestamptz (the types that compare with each other).
    pub fn is_datetime(self) -> bool {
        matches!(self, PgType::Date | PgType::Timestamp | PgType::TimestampTz)
    }
}

/// One value.
#[derive(Clone, Debug, PartialEq)]
pub enum Datum {
    Null,
    Bool(bool),
    Int2(i16),
    Int4(i32),
    Int8(i64),
    Float4(f32),
    Float8(f64),
    /// Canonical decimal text (see [`super::numeric`]).
    Numeric(String),
    Text(String),
    /// A `character(n)` value, padded as stored; trailing blanks do not count.
    Bpchar(String),
    /// Days since 2000-01-01 (see [`super::datetime`]).
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// A `timetz`: microseconds since midnight and the zone's offset in
    /// seconds *west* of UTC (PostgreSQL's sign; it prints as east).
    TimeTz {
        micros: i64,
        offset_secs: i32,
    },
    /// Microseconds since 2000-01-01 00:00:00.
    Timestamp(i64),
    /// Microseconds since 2000-01-01 00:00:00 UTC.
    TimestampTz(i64),
    Interval(Interval),
    Oid(u32),
    Bytea(Vec<u8>),
    /// An array (boxed: arrays are rare, and `Datum` stays small).
    Array(Box<super::array::ArrayValue>),
    Uuid([u8; 16]),
    /// A `pg_lsn`: a byte position in the write-ahead log.
    PgLsn(u64),
    /// A jsonb value (boxed, as arrays are).
    Jsonb(Box<super::json::Jsonb>),
    /// A value of an enum type: its sort order and label (see [`super::enums`]).
    Enum(f32, String),
    /// A `tid`: block number and line pointer offset.
    Tid(u32, u16),
    /// An `xid8`: a transaction id.
    Xid8(u64),
    /// A `pg_snapshot` or `txid_snapshot` (boxed, as arrays are).
    Snapshot(Box<super::xid8::XidSnapshot>),
    /// A row value of type `record` (boxed, as arrays are).
    Record(Box<super::record::RecordValue>),
}

/// `bytea_output`: how bytea values print as text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ByteaOutput {
    /// `\x` and two hex digits a byte (the default).
    #[default]
    Hex,
    /// Printable ASCII as it is, `\\` for a backslash, `\ooo` for the rest.
    Escape,
}

impl ByteaOutput {
    /// The setting's value (`hex` or `escape`).
    pub fn from_setting(value: &str) -> ByteaOutput {
        if value == "escape" { ByteaOutput::Escape } else { ByteaOutput::Hex }
    }
}

/// The session settings that shape a value's text output.
#[derive(Clone, Copy, Debug)]
pub struct TextStyle<'a> {
    pub extra_float_digits: i32,
    /// The zone a timestamptz is shown in.
    pub time_zone: &'a TimeZone,
    pub bytea_output: ByteaOutput,
}

impl Datum {
    pub fn is_null(&self) -> bool {
        matches!(self, Datum::Null)
    }

    /// Integer value widened to i64 (for any integer type).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Datum::Int2(v) => Some(v as i64),
            Datum::Int4(v) => Some(v as i64),
            Datum::Int8(v) => Some(v),
            Datum::Oid(v) => Some(v as i64),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Datum::Float4(v) => Some(v as f64),
            Datum::Float8(v) => Some(v),
            Datum::Numeric(ref n) => Some(super::numeric::to_f64(n)),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Datum::Text(s) | Datum::Bpchar(s) => Some(s),
            _ => None,
        }
    }

    /// Write the text output form (`typoutput`) into `out`. NULL writes
    /// nothing; a timestamptz prints in UTC (see [`Datum::write_text_tz`]).
    pub fn write_text(&self, out: &mut impl BufMut, extra_float_digits: i32) {
        self.write_text_tz(out, extra_float_digits, &TimeZone::UTC)
    }

    /// The text output form, a timestamptz shown in the session's zone `tz`
    /// (and a bytea in hex, see [`Datum::write_text_as`]).
    pub fn write_text_tz(&self, out: &mut impl BufMut, extra_float_digits: i32, tz: &TimeZone) {
        self.write_text_as(out, &TextStyle { extra_float_digits, time_zone: tz, bytea_output: ByteaOutput::Hex })
    }

    /// The text output form as the session's settings shape it.
    pub fn write_text_as(&self, out: &mut impl BufMut, style: &TextStyle<'_>) {
        let (extra_float_digits, tz) = (style.extra_float_digits, style.time_zone);
        match self {
            Datum::Bytea(b) => super::bytea::write_output(out, b, style.bytea_output),
            Datum::Null => {}
            Datum::Bool(b) => out.put_u8(if *b { b't' } else { b'f' }),
            Datum::Int2(v) => out.put_slice(itoa_buf(*v as i64).as_bytes()),
            Datum::Int4(v) => out.put_slice(itoa_buf(*v as i64).as_bytes()),
            Datum::Int8(v) => out.put_slice(itoa_buf(*v).as_bytes()),
            Datum::Float4(v) => write_float(out, *v as f64, true, extra_float_digits),
            Datum::Float8(v) => write_float(out, *v, false, extra_float_digits),
            Datum::Text(s) | Datum::Numeric(s) | Datum::Bpchar(s) => out.put_slice(s.as_bytes()),
            Datum::Date(d) => out.put_slice(datetime::format_date(*d).as_bytes()),
            Datum::Time(t) => out.put_slice(datetime::format_time(*t).as_bytes()),
            Datum::TimeTz { micros, offset_secs } => {
                out.put_slice(datetime::format_timetz(*micros, *offset_secs).as_bytes())
            }
            Datum::Timestamp(t) => out.put_slice(datetime::format_timestamp(*t, None).as_bytes()),
            Datum::TimestampTz(t) => out.put_slice(datetime::format_timestamp(*t, Some(tz)).as_bytes()),
            Datum::Interval(iv) => out.put_slice(datetime::format_interval(iv).as_bytes()),
            Datum::Oid(v) => out.put_slice(itoa_buf(*v as i64).as_bytes()),
            Datum::Array(a) => a.write_text(out, style),
            Datum::Record(r) => r.write_text(out, style),
            Datum::Uuid(u) => out.put_slice(super::uuid::format(u).as_bytes()),
            Datum::PgLsn(v) => out.put_slice(super::lsn::format(*v).as_bytes()),
            Datum::Xid8(v) => out.put_slice(v.to_string().as_bytes()),
            Datum::Snapshot(s) => out.put_slice(s.format().as_bytes()),
            Datum::Jsonb(j) => out.put_slice(j.to_string().as_bytes()),
            Datum::Enum(_, label) => out.put_slice(label.as_bytes()),
            Datum::Tid(block, offset) => {
                out.put_u8(b'(');
                out.put_slice(itoa_buf(*block as i64).as_bytes());
                out.put_u8(b',');
                out.put_slice(itoa_buf(*offset as i64).as_bytes());
                out.put_u8(b')');
            }
        }
    }

    /// The text output form as a string.
    pub fn to_text(&self) -> String {
        let mut v = Vec::new();
        self.write_text(&mut v, 1);
        String::from_utf8(v).unwrap_or_default()
    }

    /// Write the binary output form (`typsend`) into `out`.
    pub fn write_binary(&self, out: &mut impl BufMut) {
        match self {
            Datum::Null => {}
            Datum::Bool(b) => out.put_u8(*b as u8),
            Datum::Int2(v) => out.put_i16(*v),
            Datum::Int4(v) => out.put_i32(*v),
            Datum::Int8(v) => out.put_i64(*v),
            Datum::Float4(v) => out.put_f32(*v),
            Datum::Float8(v) => out.put_f64(*v),
            Datum::Text(s) | Datum::Bpchar(s) | Datum::Enum(_, s) => out.put_slice(s.as_bytes()),
            Datum::Date(d) => out.put_i32(*d),
            Datum::Time(t) | Datum::Timestamp(t) | Datum::TimestampTz(t) => out.put_i64(*t),
            Datum::TimeTz { micros, offset_secs } => {
                out.put_i64(*micros);
                out.put_i32(*offset_secs);
            }
            Datum::Interval(iv) => {
                out.put_i64(iv.micros);
                out.put_i32(iv.days);
                out.put_i32(iv.months);
            }
            Datum::Oid(v) => out.put_u32(*v),
            Datum::Bytea(b) => out.put_slice(b),
            Datum::Array(a) => a.write_binary(out),
            Datum::Record(r) => r.write_binary(out),
            Datum::Uuid(u) => out.put_slice(u),
            Datum::PgLsn(v) | Datum::Xid8(v) => out.put_u64(*v),
            Datum::Snapshot(s) => s.write_binary(out),
            Datum::Jsonb(j) => {
                // Version 1 of jsonb's binary wire form: the text after a version byte.
                out.put_u8(1);
                out.put_slice(j.to_string().as_bytes());
            }
            Datum::Tid(block, offset) => {
                out.put_u32(*block);
                out.put_u16(*offset);
            }
            Datum::Numeric(n) => {
                // Canonical text always encodes; an error here would be a bug.
                let _ = super::numeric::write_binary(n, out);
            }
        }
    }
}

impl Datum {
    /// The on-disk bytes of a non-null value (little-endian fixed-length
    /// values; the bytes of variable-length ones).
    /// Append [`Datum::storage_bytes`] to `out` (without a buffer of its
    /// own for the common fixed-width and text values).
    pub fn write_storage(&self, out: &mut Vec<u8>) {
        match self {
            Datum::Null => {}
            Datum::Bool(b) => out.push(*b as u8),
            Datum::Int2(v) => out.extend_from_slice(&v.to_le_bytes()),
            Datum::Int4(v) => out.extend_from_slice(&v.to_le_bytes()),
            Datum::Int8(v) => out.extend_from_slice(&v.to_le_bytes()),
            Datum::Float4(v) => out.extend_from_slice(&v.to_le_bytes()),
            Datum::Float8(v) => out.extend_from_slice(&v.to_le_bytes()),
            Datum::Text(s) | Datum::Bpchar(s) => out.extend_from_slice(s.as_bytes()),
            Datum::Date(d) => out.extend_from_slice(&d.to_le_bytes()),
            Datum::Time(t) | Datum::Timestamp(t) | Datum::TimestampTz(t) => out.extend_from_slice(&t.to_le_bytes()),
            Datum::TimeTz { micros, offset_secs } => out.extend_from_slice(&timetz_storage(*micros, *offset_secs)),
            Datum::Oid(v) => out.extend_from_slice(&v.to_le_bytes()),
            Datum::PgLsn(v) | Datum::Xid8(v) => out.extend_from_slice(&v.to_le_bytes()),
            Datum::Tid(block, offset) => {
                out.extend_from_slice(&block.to_le_bytes());
                out.extend_from_slice(&offset.to_le_bytes());
            }
            Datum::Bytea(b) => out.extend_from_slice(b),
            Datum::Array(a) => a.write_storage(out),
            Datum::Record(r) => r.write_storage(out),
            // The others build their bytes anyway.
            Datum::Numeric(_)
            | Datum::Interval(_)
            | Datum::Uuid(_)
            | Datum::Jsonb(_)
            | Datum::Enum(..)
            | Datum::Snapshot(_) => out.extend_from_slice(&self.storage_bytes()),
        }
    }

    /// The length of the bytes [`Datum::write_storage`] writes, where
    /// it is known without making them (`None` for the kinds that build
    /// their bytes anyway: numeric, arrays, jsonb, enums).
    pub fn storage_len(&self) -> Option<usize> {
        Some(match self {
            Datum::Null => 0,
            Datum::Bool(_) => 1,
            Datum::Int2(_) => 2,
            Datum::Int4(_) | Datum::Float4(_) | Datum::Date(_) | Datum::Oid(_) => 4,
            Datum::Int8(_) | Datum::Float8(_) | Datum::Time(_) | Datum::Timestamp(_) | Datum::TimestampTz(_) => 8,
            Datum::PgLsn(_) | Datum::Xid8(_) => 8,
            Datum::Text(s) | Datum::Bpchar(s) => s.len(),
            Datum::Bytea(b) => b.len(),
            Datum::Uuid(u) => u.len(),
            Datum::Tid(..) => 6,
            Datum::TimeTz { .. } => 12,
            Datum::Numeric(_)
            | Datum::Interval(_)
            | Datum::Array(_)
            | Datum::Jsonb(_)
            | Datum::Enum(..)
            | Datum::Snapshot(_)
            | Datum::Record(_) => {
                return None;
            }
        })
    }

    pub fn storage_bytes(&self) -> Vec<u8> {
        match self {
            Datum::Numeric(n) => super::numeric::to_storage(n),
            Datum::Interval(iv) => interval_storage(iv).to_vec(),
            Datum::Uuid(u) => u.to_vec(),
            Datum::Jsonb(j) => j.storage_bytes(),
            Datum::Enum(sort, label) => super::enums::storage(*sort, label),
            Datum::Snapshot(snap) => snap.storage_bytes(),
            _ => {
                let mut out = Vec::new();
                self.write_storage(&mut out);
                out
            }
        }
    }

    /// A value of type `ty` from its on-disk bytes.
    pub fn from_storage(ty: PgType, b: &[u8]) -> Result<Datum> {
        let bad = || Error::new(SqlState::DATA_CORRUPTED, format!("invalid stored value of type {}", ty.sql_name()));
        Ok(match ty {
            PgType::Bool => Datum::Bool(*b.first().ok_or_else(bad)? != 0),
            PgType::Int2 => Datum::Int2(i16::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Int4 => Datum::Int4(i32::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Int8 => Datum::Int8(i64::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Float4 => Datum::Float4(f32::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Float8 => Datum::Float8(f64::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Numeric => Datum::Numeric(super::numeric::from_storage(b).ok_or_else(bad)?),
            PgType::Oid | PgType::Xid | PgType::Cid => Datum::Oid(u32::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Tid => match b {
                [b0, b1, b2, b3, o0, o1] => {
                    Datum::Tid(u32::from_le_bytes([*b0, *b1, *b2, *b3]), u16::from_le_bytes([*o0, *o1]))
                }
                _ => return Err(bad()),
            },
            PgType::Bpchar => Datum::Bpchar(String::from_utf8(b.to_vec()).map_err(|_| bad())?),
            PgType::Date => Datum::Date(i32::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Time => Datum::Time(i64::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::TimeTz => timetz_from_storage(b).ok_or_else(bad)?,
            PgType::Timestamp => Datum::Timestamp(i64::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::TimestampTz => Datum::TimestampTz(i64::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Interval => Datum::Interval(interval_from_storage(b).ok_or_else(bad)?),
            PgType::Bytea => Datum::Bytea(b.to_vec()),
            PgType::Array(_) | PgType::EnumArray(_) => {
                let elem = ty.elem().ok_or_else(bad)?;
                super::array::ArrayValue::from_storage(elem, b)?.into_datum()
            }
            PgType::Uuid => Datum::Uuid(b.try_into().map_err(|_| bad())?),
            PgType::PgLsn => Datum::PgLsn(u64::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::Xid8 => Datum::Xid8(u64::from_le_bytes(b.try_into().map_err(|_| bad())?)),
            PgType::PgSnapshot | PgType::TxidSnapshot => {
                Datum::Snapshot(Box::new(super::xid8::XidSnapshot::from_storage(b).ok_or_else(bad)?))
            }
            PgType::Jsonb => Datum::Jsonb(Box::new(super::json::Jsonb::from_storage(b).ok_or_else(bad)?)),
            PgType::Enum(_) => super::enums::from_storage(b)?,
            PgType::Record | PgType::Composite(_) => super::record::RecordValue::from_storage(b)?.into_datum(),
            // The types held as text (PgType::held_as_text).
            _ => Datum::Text(String::from_utf8(b.to_vec()).map_err(|_| bad())?),
        })
    }
}

/// An interval's stored form: microseconds, days, months (little-endian),
/// the field order of PostgreSQL's `Interval` struct.
pub fn interval_storage(iv: &Interval) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&iv.micros.to_le_bytes());
    b[8..12].copy_from_slice(&iv.days.to_le_bytes());
    b[12..].copy_from_slice(&iv.months.to_le_bytes());
    b
}

pub fn interval_from_storage(b: &[u8]) -> Option<Interval> {
    if b.len() != 16 {
        return None;
    }
    Some(Interval {
        micros: i64::from_le_bytes(b[..8].try_into().ok()?),
        days: i32::from_le_bytes(b[8..12].try_into().ok()?),
        months: i32::from_le_bytes(b[12..].try_into().ok()?),
    })
}

/// A timetz's stored form: microseconds then the offset west
/// (little-endian), the field order of PostgreSQL's `TimeTzADT`.
pub fn timetz_storage(micros: i64, offset_secs: i32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&micros.to_le_bytes());
    b[8..].copy_from_slice(&offset_secs.to_le_bytes());
    b
}

pub fn timetz_from_storage(b: &[u8]) -> Option<Datum> {
    let b: &[u8; 12] = b.try_into().ok()?;
    Some(Datum::TimeTz {
        micros: i64::from_le_bytes(b[..8].try_into().ok()?),
        offset_secs: i32::from_le_bytes(b[8..].try_into().ok()?),
    })
}

/// `bpchar` semantics: a value without its trailing blanks.
pub fn bpchar_trim(s: &str) -> &str {
    s.trim_end_matches(' ')
}

/// A string as `character(n)`: padded with blanks to `n` characters, or
/// cut to `n` (an explicit cast truncates; see `Expr::Assign` for storing).
pub fn bpchar_with_length(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len >= n {
        match s.char_indices().nth(n) {
            Some((i, _)) => s[..i].to_string(),
            None => s.to_string(),
        }
    } else {
        const SPACES: &str = "                                                                ";
        let mut out = String::with_capacity(s.len() + n - len);
        out.push_str(s);
        let mut pad = n - len;
        while pad > 0 {
            let k = pad.min(SPACES.len());
            out.push_str(&SPACES[..k]);
            pad -= k;
        }
        out
    }
}

/// A stack buffer for integer formatting, so output allocates nothing.
struct IntBuf {
    buf: [u8; 20],
    start: usize,
}

impl IntBuf {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(v: i64) -> IntBuf {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    IntBuf { buf, start: i }
}

/// PostgreSQL's float output: the shortest string that reads back exactly
/// (extra_float_digits > 0), in `%g` style: exponent form when the decimal
/// exponent is below -4 or at least the type's precision (15 or 6 digits).
fn write_float(out: &mut impl BufMut, v: f64, single: bool, extra_float_digits: i32) {
    if v.is_nan() {
        return out.put_slice(b"NaN");
    }
    if v.is_infinite() {
        return out.put_slice(if v > 0.0 { b"Infinity" } else { b"-Infinity" });
    }
    let base_digits: i32 = if single { 6 } else { 15 };
    let sci = if extra_float_digits > 0 {
        if single { format!("{:e}", v as f32) } else { format!("{v:e}") }
    } else {
        let precision = (base_digits + extra_float_digits).max(1) as usize;
        format!("{:.*e}", precision - 1, v)
    };
    // sci is like "-1.2345e-7" or "5e0"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let mut digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if extra_float_digits <= 0 {
        // %g drops trailing zeros.
        while digits.len() > 1 && digits.ends_with('0') {
            digits.pop();
        }
    }
    let mut s = String::with_capacity(24);
    if neg {
        s.push('-');
    }
    if digits == "0" {
        s.push('0');
    } else if exp < -4 || exp >= base_digits {
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            s.push('0');
        }
        s.push_str(&e.to_string());
    } else if exp < 0 {
        s.push_str("0.");
        for _ in 0..(-exp - 1) {
            s.push('0');
        }
        s.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            s.push_str(&digits);
            for _ in digits.len()..int_len {
                s.push('0');
            }
        } else {
            s.push_str(&digits[..int_len]);
            s.push('.');
            s.push_str(&digits[int_len..]);
        }
    }
    out.put_slice(s.as_bytes());
}

pub(super) fn invalid_syntax(ty: PgType, text: &str) -> Error {
    err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type {}: \"{text}\"", ty.sql_name())
}

/// Parse the text input form (`typinput`) of a value; a timestamptz
/// without a zone is taken as UTC (see [`parse_text_tz`]).
pub fn parse_text(ty: PgType, text: &str) -> Result<Datum> {
    parse_text_tz(ty, text, &TimeZone::UTC)
}

/// Parse the text input form, reading times without a zone in `tz`.
pub fn parse_text_tz(ty: PgType, text: &str, tz: &TimeZone) -> Result<Datum> {
    match ty {
        PgType::Bpchar => Ok(Datum::Bpchar(text.to_string())),
        PgType::Date => datetime::parse_date_text(text, tz).map(Datum::Date),
        PgType::Time => datetime::parse_time_text(text).map(Datum::Time),
        PgType::TimeTz => {
            datetime::parse_timetz_text(text, tz).map(|(micros, offset_secs)| Datum::TimeTz { micros, offset_secs })
        }
        PgType::Timestamp => datetime::parse_timestamp_text(text, false, tz).map(Datum::Timestamp),
        PgType::TimestampTz => datetime::parse_timestamp_text(text, true, tz).map(Datum::TimestampTz),
        PgType::Interval => datetime::parse_interval_text(text).map(Datum::Interval),
        PgType::Bool => parse_bool(text).map(Datum::Bool).ok_or_else(|| invalid_syntax(ty, text)),
        PgType::Int2 | PgType::Int4 | PgType::Int8 => {
            let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            let out_of_range = || {
                err!(
                    SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                    "value \"{text}\" is out of range for type {}",
                    ty.sql_name()
                )
            };
            let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            let v: i64 = if plain {
                // The common case, parsed where it stands.
                t.parse().map_err(|_| out_of_range())?
            } else {
                let digits = digits.replace('_', "");
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid_syntax(ty, text));
                }
                let clean = if t.starts_with('-') { format!("-{digits}") } else { digits };
                clean.parse().map_err(|_| out_of_range())?
            };
            int_datum(ty, v).ok_or_else(out_of_range)
        }
        PgType::Float4 | PgType::Float8 => {
            let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
            let lower = t.to_ascii_lowercase();
            let v: f64 = match lower.as_str() {
                "nan" => f64::NAN,
                "infinity" | "+infinity" | "inf" | "+inf" => f64::INFINITY,
                "-infinity" | "-inf" => f64::NEG_INFINITY,
                _ => {
                    let ok = !lower.is_empty()
                        && lower.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
                        && lower.bytes().any(|b| b.is_ascii_digit());
                    let v: f64 = if ok {
                        lower.parse().map_err(|_| invalid_syntax(ty, text))?
                    } else {
                        return Err(invalid_syntax(ty, text));
                    };
                    let out_of_range = || {
                        err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "\"{t}\" is out of range for type {}", ty.sql_name())
                    };
                    let mantissa_nonzero =
                        lower.split('e').next().is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)));
                    if v.is_infinite() || (v == 0.0 && mantissa_nonzero) {
                        return Err(out_of_range());
                    }
                    if ty == PgType::Float4 && ((v as f32).is_infinite() || (v != 0.0 && (v as f32) == 0.0)) {
                        return Err(out_of_range());
                    }
                    v
                }
            };
            Ok(if ty == PgType::Float4 { Datum::Float4(v as f32) } else { Datum::Float8(v) })
        }
        PgType::Numeric => super::numeric::canonical(text).map(Datum::Numeric),
        PgType::Text | PgType::Varchar | PgType::Unknown | PgType::TextForm(_) => Ok(Datum::Text(text.to_string())),
        // Taken as written: names are looked up when cast (see `super::regtypes`).
        PgType::Reg(_) => Ok(Datum::Text(text.to_string())),
        PgType::Void => Ok(Datum::Null),
        PgType::Name => Ok(Datum::Text(name_truncated(text).to_string())),
        PgType::Char => Ok(Datum::Text(char_of(text))),
        PgType::Oid => parse_oid(text).map(Datum::Oid),
        PgType::Tid => super::tid::parse_tid(text),
        PgType::Xid | PgType::Cid => Ok(Datum::Oid(super::tid::parse_xid(text) as u32)),
        PgType::Bytea => super::bytea::parse_input(text).map(Datum::Bytea),
        PgType::RegType => regtype_in(text).map(|t| Datum::Text(t.sql_name().to_string())),
        PgType::RegClass => Err(Error::internal("regclass input needs the catalog")),
        PgType::Uuid => super::uuid::parse(text).map(Datum::Uuid),
        PgType::PgLsn => super::lsn::parse(text).map(Datum::PgLsn),
        PgType::Xid8 => Ok(Datum::Xid8(super::xid8::parse(text))),
        PgType::PgSnapshot | PgType::TxidSnapshot => {
            super::xid8::XidSnapshot::parse(text).map(|s| Datum::Snapshot(Box::new(s)))
        }
        PgType::Json => super::json::validate(text).map(|()| Datum::Text(text.to_string())),
        PgType::Jsonb => super::json::Jsonb::parse(text).map(|j| Datum::Jsonb(Box::new(j))),
        PgType::Enum(_) => Err(Error::internal("enum input needs the catalog")),
        PgType::EnumArray(_) => Err(Error::internal("enum input needs the catalog")),
        PgType::Record => Err(super::record::input_not_implemented()),
        PgType::Composite(_) => Err(Error::internal("composite input needs the catalog")),
        PgType::Array(_) => {
            let elem = ty.elem().ok_or_else(|| Error::internal("array type without element"))?;
            let (lower, items) = super::array::parse_literal(text)?;
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(match item {
                    None => Datum::Null,
                    Some(t) => parse_text_tz(elem, &t, tz)?,
                });
            }
            Ok(super::array::ArrayValue { elem, lower, items: values }.into_datum())
        }
    }
}

/// A binary value shorter than its type's form (`pq_getmsg*` running out).
fn short_message() -> Error {
    err!(SqlState::PROTOCOL_VIOLATION, "insufficient data left in message")
}

/// Parse the binary input form (`typreceive`) of a value.
pub fn parse_binary(ty: PgType, bytes: &[u8]) -> Result<Datum> {
    let wrong = || err!(SqlState::INVALID_BINARY_REPRESENTATION, "incorrect binary data format in bind parameter");
    Ok(match ty {
        PgType::Bool => match bytes {
            [b] => Datum::Bool(*b != 0),
            _ => return Err(wrong()),
        },
        PgType::Int2 => Datum::Int2(i16::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::Int4 => Datum::Int4(i32::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::Int8 => Datum::Int8(i64::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::Float4 => Datum::Float4(f32::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::Float8 => Datum::Float8(f64::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::Text | PgType::Varchar | PgType::Unknown | PgType::Name | PgType::TextForm(_) => Datum::Text(
            std::str::from_utf8(bytes)
                .map_err(|_| {
                    err!(SqlState::CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\"")
                })?
                .to_string(),
        ),
        PgType::Numeric => Datum::Numeric(super::numeric::read_binary(bytes)?),
        PgType::Void => Datum::Null,
        PgType::Oid | PgType::Xid | PgType::Cid => {
            Datum::Oid(u32::from_be_bytes(bytes.try_into().map_err(|_| wrong())?))
        }
        PgType::Tid => match bytes {
            [b0, b1, b2, b3, o0, o1] => {
                Datum::Tid(u32::from_be_bytes([*b0, *b1, *b2, *b3]), u16::from_be_bytes([*o0, *o1]))
            }
            _ => return Err(wrong()),
        },
        PgType::Bytea => Datum::Bytea(bytes.to_vec()),
        PgType::Char => match bytes {
            [b] => Datum::Text(char_of(&String::from_utf8_lossy(&[*b]))),
            _ => return Err(wrong()),
        },
        PgType::RegClass | PgType::RegType | PgType::Reg(_) | PgType::Enum(_) => {
            return Err(Error::not_supported(format!("binary input of {}", ty.sql_name())));
        }
        PgType::Bpchar => match parse_binary(PgType::Text, bytes)? {
            Datum::Text(s) => Datum::Bpchar(s),
            other => other,
        },
        PgType::Date => Datum::Date(i32::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::Uuid => Datum::Uuid(bytes.try_into().map_err(|_| wrong())?),
        PgType::PgLsn => Datum::PgLsn(u64::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        // As PostgreSQL's xid8recv and pg_snapshot_recv: bytes missing are
        // a protocol violation, bytes left over the usual error.
        PgType::Xid8 if bytes.len() < 8 => return Err(short_message()),
        PgType::Xid8 => Datum::Xid8(u64::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::PgSnapshot | PgType::TxidSnapshot => {
            let (snap, read) = super::xid8::XidSnapshot::read_binary(bytes)?;
            if read != bytes.len() {
                return Err(wrong());
            }
            Datum::Snapshot(Box::new(snap))
        }
        PgType::Json => match parse_binary(PgType::Text, bytes)? {
            Datum::Text(s) => parse_text(PgType::Json, &s)?,
            other => other,
        },
        PgType::Jsonb => match bytes.split_first() {
            Some((1, text)) => match parse_binary(PgType::Text, text)? {
                Datum::Text(s) => parse_text(PgType::Jsonb, &s)?,
                other => other,
            },
            Some((v, _)) => {
                return Err(err!(SqlState::INTERNAL_ERROR, "unsupported jsonb version number {v}"));
            }
            None => return Err(wrong()),
        },
        PgType::EnumArray(_) => return Err(Error::not_supported("binary input of arrays of enums")),
        PgType::Record => return Err(Error::not_supported("binary input of type record")),
        PgType::Composite(_) => return Err(Error::not_supported("binary input of composite types")),
        PgType::Array(_) => {
            let elem = ty.elem().ok_or_else(wrong)?;
            super::array::parse_binary(elem, bytes)?.into_datum()
        }
        PgType::Time => Datum::Time(i64::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::TimeTz => {
            let b: &[u8; 12] = bytes.try_into().map_err(|_| wrong())?;
            let micros = i64::from_be_bytes(b[..8].try_into().map_err(|_| wrong())?);
            let offset_secs = i32::from_be_bytes(b[8..].try_into().map_err(|_| wrong())?);
            datetime::check_timetz(micros, offset_secs)?;
            Datum::TimeTz { micros, offset_secs }
        }
        PgType::Timestamp => Datum::Timestamp(i64::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::TimestampTz => Datum::TimestampTz(i64::from_be_bytes(bytes.try_into().map_err(|_| wrong())?)),
        PgType::Interval => {
            if bytes.len() != 16 {
                return Err(wrong());
            }
            Datum::Interval(Interval {
                micros: i64::from_be_bytes(bytes[..8].try_into().map_err(|_| wrong())?),
                days: i32::from_be_bytes(bytes[8..12].try_into().map_err(|_| wrong())?),
                months: i32::from_be_bytes(bytes[12..].try_into().map_err(|_| wrong())?),
            })
        }
    })
}

/// `oidin`: an unsigned 32-bit number; negative numbers down to
/// `-2147483648` wrap around, as PostgreSQL accepts them.
pub fn parse_oid(text: &str) -> Result<u32> {
    let t = text.trim();
    let bad = || invalid_syntax(PgType::Oid, text);
    let v: i64 = t.parse().map_err(|_| bad())?;
    if v < i32::MIN as i64 || v > u32::MAX as i64 {
        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value \"{text}\" is out of range for type oid"));
    }
    Ok(v as u32)
}

/// `namein`: at most 63 bytes (NAMEDATALEN - 1), cut at a character boundary.
pub fn name_truncated(s: &str) -> &str {
    let mut end = s.len().min(63);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `charin`: the first byte of the text (`""` for the zero byte).
fn char_of(text: &str) -> String {
    text.chars().next().filter(|c| c.is_ascii() && *c != '\0').map(String::from).unwrap_or_default()
}

/// `regtypein`: a type by name (`integer`, `int4`, `pg_catalog.text`, …)
/// or by OID.
pub fn regtype_in(text: &str) -> Result<PgType> {
    let t = text.trim();
    let t = t.strip_prefix("pg_catalog.").unwrap_or(t);
    let by_name = |n: &str| {
        let n = n.to_ascii_lowercase();
        let aliases = [("int", PgType::Int4), ("smallint", PgType::Int2), ("bigint", PgType::Int8)];
        aliases.iter().find(|a| a.0 == n).map(|a| a.1).or_else(|| {
            PgType::ALL
                .into_iter()
                .chain(TEXT_FORM_TYPES.iter().map(|t| PgType::TextForm(t.0)))
                .chain(ARRAY_TYPES.iter().filter_map(|t| PgType::array_of(t.3)))
                .find(|ty| ty.typname() == n || ty.sql_name() == n || (*ty == PgType::Char && n == "\"char\""))
        })
    };
    let found = match t.parse::<u32>() {
        Ok(oid) => PgType::from_oid(oid),
        Err(_) => by_name(t),
    };
    found.ok_or_else(|| err!(SqlState::UNDEFINED_OBJECT, "type \"{t}\" does not exist"))
}

/// An integer of the given type, or `None` when it does not fit.
pub fn int_datum(ty: PgType, v: i64) -> Option<Datum> {
    match ty {
        PgType::Int2 => i16::try_from(v).ok().map(Datum::Int2),
        PgType::Int4 => i32::try_from(v).ok().map(Datum::Int4),
        _ => Some(Datum::Int8(v)),
    }
}

/// `boolin`: any unique prefix of true/false/yes/no, on/off, 1/0.
pub fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return None;
    }
    match t.as_str() {
        "1" | "on" => return Some(true),
        "0" | "off" | "of" => return Some(false),
        "o" => return None,
        _ => {}
    }
    if "true".starts_with(&t) || "yes".starts_with(&t) {
        Some(true)
    } else if "false".starts_with(&t) || "no".starts_with(&t) {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f8(v: f64) -> String {
        let mut out = Vec::new();
        Datum::Float8(v).write_text(&mut out, 1);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn float_output_matches_postgres() {
        assert_eq!(f8(1.5), "1.5");
        assert_eq!(f8(1e20), "1e+20");
        assert_eq!(f8(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(f8(0.0001), "0.0001");
        assert_eq!(f8(0.00001), "1e-05");
        assert_eq!(f8(100.0), "100");
        assert_eq!(f8(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f8(-0.0), "-0");
        assert_eq!(f8(123456789012345.0), "123456789012345");
        assert_eq!(f8(1234567890123456.0), "1.234567890123456e+15");
        let mut out = Vec::new();
        Datum::Float4(1.1).write_text(&mut out, 1);
        assert_eq!(out, b"1.1");
        let mut out = Vec::new();
        Datum::Float8(0.1 + 0.2).write_text(&mut out, 0);
        assert_eq!(out, b"0.3");
    }

    #[test]
    fn integer_input_and_errors() {
        assert_eq!(parse_text(PgType::Int4, " 42 ").unwrap(), Datum::Int4(42));
        assert_eq!(
            parse_text(PgType::Int4, "abc").unwrap_err().message(),
            "invalid input syntax for type integer: \"abc\""
        );
        let e = parse_text(PgType::Int2, "70000").unwrap_err();
        assert_eq!(e.message(), "value \"70000\" is out of range for type smallint");
        assert_eq!(parse_text(PgType::Int8, "-9223372036854775808").unwrap(), Datum::Int8(i64::MIN));
    }

    #[test]
    fn bool_and_float_input() {
        assert_eq!(parse_text(PgType::Bool, "ye").unwrap(), Datum::Bool(true));
        assert!(parse_text(PgType::Bool, "o").is_err());
        assert_eq!(parse_text(PgType::Float8, "-Infinity").unwrap(), Datum::Float8(f64::NEG_INFINITY));
        assert_eq!(parse_text(PgType::Float8, "1e400").unwrap_err().code(), SqlState::NUMERIC_VALUE_OUT_OF_RANGE);
        assert_eq!(parse_text(PgType::Float8, "x1").unwrap_err().code(), SqlState::INVALID_TEXT_REPRESENTATION);
    }
}
