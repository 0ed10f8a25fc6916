//! The cast functions: the functions `pg_cast` names as the `castfunc` of
//! its casts (`int8(integer)`, `text(boolean)`, `numeric(integer)`, …),
//! callable by name as in PostgreSQL. A function per target type, named
//! as the type; its signatures are the source types tusk casts from
//! explicitly. The binder binds a call as the cast it names (see
//! `Binder::bind_cast_call`), so there is nothing here to evaluate.

use std::sync::LazyLock;

use crate::sql::types::PgType;

use PgType::{
    Bool, Bpchar, Char, Date, Float4, Float8, Int2, Int4, Int8, Interval, Jsonb, Name, Numeric, Oid, RegClass, Text,
    Time, TimeTz, Timestamp, TimestampTz, Varchar, Xid, Xid8,
};

/// The cast functions, one per `pg_proc` row: the type each makes (its
/// name is the type's `typname`) and the type it takes.
const FUNCTIONS: &[(PgType, [PgType; 1])] = &[
    (Bool, [Int4]),
    (Bool, [Jsonb]),
    (Int2, [Int8]),
    (Int2, [Int4]),
    (Int2, [Float4]),
    (Int2, [Float8]),
    (Int2, [Numeric]),
    (Int2, [Jsonb]),
    (Int4, [Int8]),
    (Int4, [Int2]),
    (Int4, [Float4]),
    (Int4, [Float8]),
    (Int4, [Numeric]),
    (Int4, [Bool]),
    (Int4, [Jsonb]),
    (Int8, [Int2]),
    (Int8, [Int4]),
    (Int8, [Float4]),
    (Int8, [Float8]),
    (Int8, [Numeric]),
    (Int8, [Oid]),
    (Int8, [Jsonb]),
    (Float4, [Int8]),
    (Float4, [Int2]),
    (Float4, [Int4]),
    (Float4, [Float8]),
    (Float4, [Numeric]),
    (Float4, [Jsonb]),
    (Float8, [Int8]),
    (Float8, [Int2]),
    (Float8, [Int4]),
    (Float8, [Float4]),
    (Float8, [Numeric]),
    (Float8, [Jsonb]),
    (Numeric, [Int8]),
    (Numeric, [Int2]),
    (Numeric, [Int4]),
    (Numeric, [Float4]),
    (Numeric, [Float8]),
    (Numeric, [Jsonb]),
    (Oid, [Int8]),
    (Text, [Bpchar]),
    (Text, [Char]),
    (Text, [Name]),
    (Text, [Bool]),
    (Bpchar, [Char]),
    (Bpchar, [Name]),
    (Varchar, [Name]),
    (Char, [Text]),
    (Name, [Text]),
    (Name, [Bpchar]),
    (Name, [Varchar]),
    (RegClass, [Text]),
    (Date, [Timestamp]),
    (Date, [TimestampTz]),
    (Time, [Timestamp]),
    (Time, [TimestampTz]),
    (Time, [Interval]),
    (Time, [TimeTz]),
    (TimeTz, [Time]),
    (TimeTz, [TimestampTz]),
    (Timestamp, [Date]),
    (Timestamp, [TimestampTz]),
    (TimestampTz, [Date]),
    (TimestampTz, [Timestamp]),
    (Interval, [Time]),
    (Xid, [Xid8]),
];

/// The signatures of each cast function, by the type it makes.
static SIGNATURES: LazyLock<Vec<(PgType, Vec<Signature>)>> = LazyLock::new(|| {
    let mut out: Vec<(PgType, Vec<Signature>)> = Vec::new();
    for (to, from) in FUNCTIONS {
        match out.iter_mut().find(|(t, _)| t == to) {
            Some((_, sigs)) => sigs.push((from, *to)),
            None => out.push((*to, vec![(from, *to)])),
        }
    }
    out
});

type Signature = (&'static [PgType], PgType);

/// The type the cast function `name` makes, if `name` is one.
pub fn lookup(name: &str) -> Option<PgType> {
    SIGNATURES.iter().map(|(to, _)| *to).find(|to| to.typname() == name)
}

/// The types the cast functions make.
pub fn targets() -> impl Iterator<Item = PgType> {
    SIGNATURES.iter().map(|(to, _)| *to)
}

/// The signatures of the cast function to `to`: PostgreSQL's, for the
/// source types tusk has.
pub fn signatures(to: PgType) -> &'static [Signature] {
    SIGNATURES.iter().find(|(t, _)| *t == to).map_or(&[], |(_, sigs)| sigs.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::coercion::{CastContext, allowed};

    #[test]
    fn every_signature_is_a_cast_tusk_performs() {
        assert_eq!(lookup("int8"), Some(PgType::Int8));
        assert_eq!(lookup("char"), Some(PgType::Char));
        for to in targets() {
            for (args, ret) in signatures(to) {
                assert_eq!(*ret, to);
                assert!(allowed(args[0], to, CastContext::Explicit), "{}({})", to.typname(), args[0].sql_name());
            }
        }
    }
}
