//! Which casts tusk performs, and in which contexts — PostgreSQL's
//! `castcontext`:
//!
//! - *implicit* (`i`): anywhere a value must take another type without
//!   being asked (function and operator arguments, `date < timestamp`);
//! - *assignment* (`a`): also when stored into a column (`INSERT`,
//!   `UPDATE`), which adds the narrowing numeric casts and anything to text;
//! - *explicit* (`e`): also in `CAST(x AS t)` and `x::t`.
//!
//! Each context allows what the one before it does. The binder asks
//! [`allowed`] (through [`implicit`] and [`assignable`]) before it binds a
//! cast, and `pg_cast` (see [`crate::catalog::cast`]) lists PostgreSQL's
//! casts only where [`allowed`] says tusk performs them, so the catalog and
//! the binder cannot disagree.

use super::expr::cast_exists;
use super::types::PgType;

/// A cast's context, as `pg_cast.castcontext` codes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CastContext {
    Implicit,
    Assignment,
    Explicit,
}

impl CastContext {
    /// The context a `castcontext` code names.
    pub fn from_code(code: &str) -> Option<CastContext> {
        match code {
            "i" => Some(CastContext::Implicit),
            "a" => Some(CastContext::Assignment),
            "e" => Some(CastContext::Explicit),
            _ => None,
        }
    }
}

/// Whether tusk casts a value of type `from` to type `to` in `context`.
pub fn allowed(from: PgType, to: PgType, context: CastContext) -> bool {
    match context {
        CastContext::Implicit => from == to || implicit(from, to),
        CastContext::Assignment => assignable(from, to),
        CastContext::Explicit => from == to || from == PgType::Unknown || cast_exists(from, to),
    }
}

/// PostgreSQL's implicit casts among the types tusk has (an array's are
/// its elements').
pub fn implicit(from: PgType, to: PgType) -> bool {
    use PgType::*;
    if let (Some(f), Some(t)) = (from.elem(), to.elem()) {
        return implicit(f, t);
    }
    matches!(
        (from, to),
        (Date, Timestamp | TimestampTz)
            | (Timestamp, TimestampTz)
            | (Time, Interval | TimeTz)
            | (Bpchar, Text | Varchar)
            | (Text | Varchar, Bpchar)
            | (Int2, Int4 | Int8 | Numeric | Float4 | Float8)
            | (Int4, Int8 | Numeric | Float4 | Float8)
            | (Int8, Numeric | Float4 | Float8)
            | (Numeric, Float4 | Float8)
            | (Float4, Float8)
            | (Varchar, Text)
            | (Text, Varchar)
            | (Name | Char, Text | Varchar)
            | (Text | Varchar, Name)
            | (Int2 | Int4 | Int8, Oid | RegClass | RegType | Reg(_))
            | (Oid, RegClass | RegType | Reg(_))
            | (RegClass | RegType | Reg(_), Oid)
            | (Oid, Int8)
            | (Composite(_), Record)
    )
}

/// Whether a value of type `from` may be stored in a column of type `to`:
/// the implicit casts, and between numeric types, among the date/time
/// types, between `json` and `jsonb`, a string to `"char"`, and anything
/// to a string type.
pub fn assignable(from: PgType, to: PgType) -> bool {
    use PgType::*;
    from == to
        || from == Unknown
        || implicit(from, to)
        || (from.is_numeric() && to.is_numeric())
        || to.is_string()
        || (from.is_string() && to == Char)
        || matches!((from, to), (Json, Jsonb) | (Jsonb, Json))
        || datetime_assignable(from, to)
}

/// Assignment casts among the date/time types.
pub fn datetime_assignable(from: PgType, to: PgType) -> bool {
    use PgType::*;
    (from.is_datetime() && to.is_datetime())
        || matches!((from, to), (Timestamp | TimestampTz, Time) | (Time, Interval) | (Interval, Time))
        || matches!((from, to), (Time | TimestampTz, TimeTz) | (TimeTz, Time))
}
