//! Typing rules of the date/time types: which date/time operators exist
//! and their result types, and the common type of date, timestamp and
//! timestamptz (their casts are in [`crate::sql::coercion`]).

use super::implicit_coercion;
use crate::sql::expr::ArithOp;
use crate::sql::types::PgType;

/// A date/time literal whose value depends on when it is read (`now`, `today`, …).
pub(super) fn relative_time(ty: PgType, text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    matches!(ty, PgType::Date | PgType::Time | PgType::Timestamp)
        && ["now", "today", "tomorrow", "yesterday"].iter().any(|w| t.starts_with(w))
}

/// Date, time and interval types (the operands of date/time operators).
pub(super) fn is_temporal(t: PgType) -> bool {
    t.is_datetime() || matches!(t, PgType::Time | PgType::Interval)
}

/// The type date, timestamp and timestamptz operands are compared in.
pub(super) fn common_datetime(a: PgType, b: PgType) -> Option<PgType> {
    let rank = |t: PgType| match t {
        PgType::Date => Some(0),
        PgType::Timestamp => Some(1),
        PgType::TimestampTz => Some(2),
        _ => None,
    };
    Some(if rank(a)? >= rank(b)? { a } else { b })
}

/// A column's typmod as the casts use it: the length of `char(n)` and
/// `varchar(n)`, the precision of times.
pub(super) fn column_typmod(ty: PgType, typmod: i32) -> Option<u32> {
    if ty.elem().unwrap_or(ty).is_string() {
        (typmod >= 4).then(|| (typmod - 4) as u32)
    } else {
        (typmod >= 0).then_some(typmod as u32)
    }
}

/// PostgreSQL's date/time arithmetic operators: for `l op r`, the types the
/// operands are coerced to and the result type.
pub(super) fn datetime_operator(op: ArithOp, l: PgType, r: PgType) -> Option<(PgType, PgType, PgType)> {
    use PgType::*;
    const ADD: &[(PgType, PgType, PgType)] = &[
        (Date, Int4, Date),
        (Int4, Date, Date),
        (Date, Interval, Timestamp),
        (Interval, Date, Timestamp),
        (Date, Time, Timestamp),
        (Time, Date, Timestamp),
        (Timestamp, Interval, Timestamp),
        (Interval, Timestamp, Timestamp),
        (TimestampTz, Interval, TimestampTz),
        (Interval, TimestampTz, TimestampTz),
        (Time, Interval, Time),
        (Interval, Time, Time),
        (Interval, Interval, Interval),
    ];
    const SUB: &[(PgType, PgType, PgType)] = &[
        (Date, Date, Int4),
        (Date, Int4, Date),
        (Date, Interval, Timestamp),
        (Timestamp, Timestamp, Interval),
        (Timestamp, Interval, Timestamp),
        (TimestampTz, TimestampTz, Interval),
        (TimestampTz, Interval, TimestampTz),
        (Time, Time, Interval),
        (Time, Interval, Time),
        (Interval, Interval, Interval),
    ];
    const MUL: &[(PgType, PgType, PgType)] = &[(Interval, Float8, Interval), (Float8, Interval, Interval)];
    const DIV: &[(PgType, PgType, PgType)] = &[(Interval, Float8, Interval)];
    let table = match op {
        ArithOp::Add => ADD,
        ArithOp::Sub => SUB,
        ArithOp::Mul => MUL,
        ArithOp::Div => DIV,
        ArithOp::Mod => return None,
    };
    let fits = |from: PgType, to: PgType| from == to || implicit_coercion(from, to);
    // An unknown operand is first taken to be of the other operand's type.
    let guess = |t: PgType, other: PgType| if t == Unknown { other } else { t };
    let (gl, gr) = (guess(l, r), guess(r, l));
    table
        .iter()
        .find(|(a, b, _)| *a == gl && *b == gr)
        .or_else(|| table.iter().find(|(a, b, _)| *a == l && *b == r))
        .or_else(|| table.iter().find(|(a, b, _)| (l == Unknown || fits(l, *a)) && (r == Unknown || fits(r, *b))))
        .copied()
}
