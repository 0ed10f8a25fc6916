//! Typing rules of the date/time types: which date/time operators exist
//! and their result types, and the common type of date, timestamp and
//! timestamptz (their casts are in [`crate::sql::coercion`]).

use super::implicit_coercion;
use crate::sql::expr::ArithOp;
use crate::sql::types::PgType;

/// A date/time literal whose value depends on when it is read (`now`, `today`, …).
pub(super) fn relative_time(ty: PgType, text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    matches!(ty, PgType::Date | PgType::Time | PgType::TimeTz | PgType::Timestamp)
        && ["now", "today", "tomorrow", "yesterday"].iter().any(|w| t.starts_with(w))
}

/// Date, time and interval types (the operands of date/time operators).
pub(super) fn is_temporal(t: PgType) -> bool {
    t.is_datetime() || matches!(t, PgType::Time | PgType::TimeTz | PgType::Interval)
}

/// The type two date/time operands meet in: among date, timestamp and
/// timestamptz the later of them, between time and timetz timetz (the
/// implicit casts go that way); none across the two families.
pub(super) fn common_datetime(a: PgType, b: PgType) -> Option<PgType> {
    let rank = |t: PgType| match t {
        PgType::Date => Some((0, 0)),
        PgType::Timestamp => Some((0, 1)),
        PgType::TimestampTz => Some((0, 2)),
        PgType::Time => Some((1, 0)),
        PgType::TimeTz => Some((1, 1)),
        _ => None,
    };
    let (ra, rb) = (rank(a)?, rank(b)?);
    (ra.0 == rb.0).then_some(if ra.1 >= rb.1 { a } else { b })
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

/// How `l op r` resolves among the date/time operators.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum DatetimeOperator {
    /// The types the operands are coerced to, and the result type.
    Found(PgType, PgType, PgType),
    /// No operator takes these operands.
    None,
    /// Several take the typed operand and an untyped one, and the
    /// untyped one does not decide (`timetz + '1 hour'`: `+ interval`
    /// or `+ date`), as PostgreSQL's operator resolution finds.
    Ambiguous,
}

/// PostgreSQL's date/time arithmetic operators: for `l op r`, the types the
/// operands are coerced to and the result type.
pub(super) fn datetime_operator(op: ArithOp, l: PgType, r: PgType) -> DatetimeOperator {
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
        (TimeTz, Interval, TimeTz),
        (Interval, TimeTz, TimeTz),
        (Date, TimeTz, TimestampTz),
        (TimeTz, Date, TimestampTz),
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
        (TimeTz, Interval, TimeTz),
        (Interval, Interval, Interval),
    ];
    const MUL: &[(PgType, PgType, PgType)] = &[(Interval, Float8, Interval), (Float8, Interval, Interval)];
    const DIV: &[(PgType, PgType, PgType)] = &[(Interval, Float8, Interval)];
    let table = match op {
        ArithOp::Add => ADD,
        ArithOp::Sub => SUB,
        ArithOp::Mul => MUL,
        ArithOp::Div => DIV,
        ArithOp::Mod => return DatetimeOperator::None,
    };
    let fits = |from: PgType, to: PgType| from == to || implicit_coercion(from, to);
    // An unknown operand is first taken to be of the other operand's type.
    let guess = |t: PgType, other: PgType| if t == Unknown { other } else { t };
    let (gl, gr) = (guess(l, r), guess(r, l));
    let found = |row: Option<&(PgType, PgType, PgType)>| match row {
        Some(&(a, b, ty)) => DatetimeOperator::Found(a, b, ty),
        None => DatetimeOperator::None,
    };
    if let Some(row) = table.iter().find(|(a, b, _)| (*a == gl && *b == gr) || (*a == l && *b == r)) {
        return found(Some(row));
    }
    // One operand untyped: the operators taking the other exactly; among
    // several, the one whose untyped side takes the typed operand's type
    // (PostgreSQL's "assume the unknown is of the known type" rule).
    if (l == Unknown) != (r == Unknown) {
        let known = if l == Unknown { r } else { l };
        let exact: Vec<_> = table.iter().filter(|(a, b, _)| if l == Unknown { *b == r } else { *a == l }).collect();
        let untyped_side = |row: &&&(PgType, PgType, PgType)| if l == Unknown { row.0 } else { row.1 };
        match exact.as_slice() {
            [] => {}
            [one] => return found(Some(one)),
            several => {
                let mut taking = several.iter().filter(|row| fits(known, untyped_side(row)));
                return match (taking.next(), taking.next()) {
                    (Some(one), None) => found(Some(one)),
                    _ => DatetimeOperator::Ambiguous,
                };
            }
        }
    }
    found(table.iter().find(|(a, b, _)| (l == Unknown || fits(l, *a)) && (r == Unknown || fits(r, *b))))
}

/// The type modifier of `interval [fields] [(precision)]` (none for a
/// plain `interval`), as PostgreSQL's intervaltypmodin makes it.
pub(super) fn interval_type_typmod(
    fields: Option<&sqlparser::ast::IntervalFields>,
    precision: Option<u64>,
) -> crate::error::Result<Option<u32>> {
    use crate::sql::datetime::*;
    use sqlparser::ast::IntervalFields as F;
    let Some(fields) = fields else {
        return Ok(precision.map(|p| interval_typmod(INTERVAL_FULL_RANGE, Some(p.min(6) as u32))));
    };
    let (mask, to_second) = match fields {
        F::Year => (INTERVAL_YEAR, false),
        F::Month => (INTERVAL_MONTH, false),
        F::Day => (INTERVAL_DAY, false),
        F::Hour => (INTERVAL_HOUR, false),
        F::Minute => (INTERVAL_MINUTE, false),
        F::Second => (INTERVAL_SECOND, true),
        F::YearToMonth => (YEAR_TO_MONTH, false),
        F::DayToHour => (DAY_TO_HOUR, false),
        F::DayToMinute => (DAY_TO_MINUTE, false),
        F::DayToSecond => (DAY_TO_SECOND, true),
        F::HourToMinute => (HOUR_TO_MINUTE, false),
        F::HourToSecond => (HOUR_TO_SECOND, true),
        F::MinuteToSecond => (MINUTE_TO_SECOND, true),
    };
    if precision.is_some() && !to_second {
        return Err(interval_syntax_error());
    }
    Ok(Some(interval_typmod(mask, precision.map(|p| p.min(6) as u32))))
}

/// The type modifier of a literal `INTERVAL '…' fields`: its field list
/// read as the type's (`YEAR TO MONTH`, `SECOND(3)`, …).
pub(super) fn interval_literal_typmod(iv: &sqlparser::ast::Interval) -> crate::error::Result<Option<u32>> {
    use sqlparser::ast::DateTimeField as D;
    use sqlparser::ast::IntervalFields as F;
    let fields = match (&iv.leading_field, &iv.last_field) {
        (None, None) => None,
        (Some(first), last) => Some(match (first, last) {
            (D::Year | D::Years, None) => F::Year,
            (D::Month | D::Months, None) => F::Month,
            (D::Day | D::Days, None) => F::Day,
            (D::Hour | D::Hours, None) => F::Hour,
            (D::Minute | D::Minutes, None) => F::Minute,
            (D::Second | D::Seconds, None) => F::Second,
            (D::Year | D::Years, Some(D::Month | D::Months)) => F::YearToMonth,
            (D::Day | D::Days, Some(D::Hour | D::Hours)) => F::DayToHour,
            (D::Day | D::Days, Some(D::Minute | D::Minutes)) => F::DayToMinute,
            (D::Day | D::Days, Some(D::Second | D::Seconds)) => F::DayToSecond,
            (D::Hour | D::Hours, Some(D::Minute | D::Minutes)) => F::HourToMinute,
            (D::Hour | D::Hours, Some(D::Second | D::Seconds)) => F::HourToSecond,
            (D::Minute | D::Minutes, Some(D::Second | D::Seconds)) => F::MinuteToSecond,
            _ => return Err(interval_syntax_error()),
        }),
        (None, Some(_)) => return Err(interval_syntax_error()),
    };
    // `SECOND(p)` alone puts its precision where a leading field's goes.
    let precision = match (&fields, iv.leading_precision, iv.fractional_seconds_precision) {
        (Some(F::Second), Some(p), None) | (_, None, Some(p)) => Some(p),
        (_, None, None) => None,
        _ => return Err(interval_syntax_error()),
    };
    interval_type_typmod(fields.as_ref(), precision)
}

fn interval_syntax_error() -> crate::error::Error {
    crate::err!(crate::error::SqlState::SYNTAX_ERROR, "syntax error in interval type modifier")
}
