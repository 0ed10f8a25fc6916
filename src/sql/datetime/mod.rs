//! PostgreSQL's date and time types: `date`, `time`, `timetz`,
//! `timestamp`, `timestamptz` and `interval`, with PostgreSQL's representation, text
//! input and output (`DateStyle = ISO, MDY`, `IntervalStyle = postgres`),
//! arithmetic, `extract` and `date_trunc`.
//!
//! Values count from PostgreSQL's epoch, 2000-01-01 00:00:00 UTC:
//!
//! - `date`: days (i32); `i32::MIN`/`i32::MAX` are `-infinity`/`infinity`;
//! - `time`: microseconds since midnight (i64, 0 ..= 24:00:00);
//! - `timetz`: a `time` and its zone offset in seconds west of UTC (see
//!   `timetz`);
//! - `timestamp`, `timestamptz`: microseconds (i64); `i64::MIN`/`i64::MAX`
//!   are `-infinity`/`infinity`. A `timestamptz` is an instant in UTC; the
//!   session's `TimeZone` only matters for input without an explicit zone
//!   and for output;
//! - `interval`: months, days and microseconds kept apart, since a month
//!   and a day have no fixed length.
//!
//! Calendar arithmetic uses PostgreSQL's Julian day numbers (`date2j`,
//! `j2date`), valid from 4714-11-24 BC on. The parts: `zone` (time
//! zones), `input` and `output` (text forms), `arith` (operators),
//! `fields` (`extract`, `date_trunc`), `timetz` (`time with time zone`).

use std::sync::Arc;

use crate::err;
use crate::error::{Error, Result, SqlState};

pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;
pub const USECS_PER_HOUR: i64 = 60 * USECS_PER_MINUTE;
pub const USECS_PER_DAY: i64 = 24 * USECS_PER_HOUR;
/// `date2j(2000, 1, 1)`.
pub const POSTGRES_EPOCH_JDATE: i32 = 2_451_545;
/// `date2j(1970, 1, 1)`.
pub const UNIX_EPOCH_JDATE: i32 = 2_440_588;
const DATE_END_JULIAN: i64 = 2_147_483_494;
/// 4714-11-24 00:00:00 BC.
pub const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
/// 294277-01-01 00:00:00, exclusive.
pub const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;
pub const DATE_NOBEGIN: i32 = i32::MIN;
pub const DATE_NOEND: i32 = i32::MAX;
pub const TS_NOBEGIN: i64 = i64::MIN;
pub const TS_NOEND: i64 = i64::MAX;

/// The fields of an interval type modifier (`interval day to second`),
/// as PostgreSQL's INTERVAL_MASK bits; the modifier is `fields << 16 |
/// precision`.
pub const INTERVAL_MONTH: u32 = 1 << 1;
pub const INTERVAL_YEAR: u32 = 1 << 2;
pub const INTERVAL_DAY: u32 = 1 << 3;
pub const INTERVAL_HOUR: u32 = 1 << 10;
pub const INTERVAL_MINUTE: u32 = 1 << 11;
pub const INTERVAL_SECOND: u32 = 1 << 12;
/// The field lists of more than one field.
pub const YEAR_TO_MONTH: u32 = INTERVAL_YEAR | INTERVAL_MONTH;
pub const DAY_TO_HOUR: u32 = INTERVAL_DAY | INTERVAL_HOUR;
pub const DAY_TO_MINUTE: u32 = DAY_TO_HOUR | INTERVAL_MINUTE;
pub const DAY_TO_SECOND: u32 = DAY_TO_MINUTE | INTERVAL_SECOND;
pub const HOUR_TO_MINUTE: u32 = INTERVAL_HOUR | INTERVAL_MINUTE;
pub const HOUR_TO_SECOND: u32 = HOUR_TO_MINUTE | INTERVAL_SECOND;
pub const MINUTE_TO_SECOND: u32 = INTERVAL_MINUTE | INTERVAL_SECOND;
/// Every field (no field list given).
pub const INTERVAL_FULL_RANGE: u32 = 0x7fff;
/// No precision given.
pub const INTERVAL_FULL_PRECISION: u32 = 0xffff;

/// The type modifier of `interval fields(precision)`.
pub fn interval_typmod(fields: u32, precision: Option<u32>) -> u32 {
    (fields << 16) | precision.unwrap_or(INTERVAL_FULL_PRECISION)
}

/// An interval cut to the fields of type modifier `typmod` and rounded
/// to its precision (PostgreSQL's AdjustIntervalForTypmod): `interval
/// hour` drops minutes and seconds, `interval year` months beyond whole
/// years, `interval(0)` fractions of a second.
pub fn adjust_interval(iv: Interval, typmod: Option<u32>) -> Result<Interval> {
    let Some(typmod) = typmod else { return Ok(iv) };
    let (range, precision) = ((typmod >> 16) & INTERVAL_FULL_RANGE, typmod & 0xffff);
    let Interval { mut months, mut days, mut micros } = iv;
    // Integer division truncates toward zero, as C's does.
    let truncate = |t: i64, unit: i64| t / unit * unit;
    match range {
        INTERVAL_FULL_RANGE | INTERVAL_SECOND | DAY_TO_SECOND | HOUR_TO_SECOND | MINUTE_TO_SECOND => {}
        INTERVAL_YEAR => (months, days, micros) = (months / 12 * 12, 0, 0),
        INTERVAL_MONTH | YEAR_TO_MONTH => (days, micros) = (0, 0),
        INTERVAL_DAY => micros = 0,
        INTERVAL_HOUR | DAY_TO_HOUR => micros = truncate(micros, USECS_PER_HOUR),
        INTERVAL_MINUTE | DAY_TO_MINUTE | HOUR_TO_MINUTE => micros = truncate(micros, USECS_PER_MINUTE),
        _ => return Err(Error::internal(format!("unrecognized interval typmod: {typmod}"))),
    }
    if precision != INTERVAL_FULL_PRECISION {
        micros = round_micros(micros, precision);
    }
    Ok(Interval { months, days, micros })
}

/// An `interval`: its three fields are independent, as in PostgreSQL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

impl Interval {
    /// The span PostgreSQL compares and hashes intervals by: months of 30
    /// days, days of 24 hours.
    pub fn span(&self) -> i128 {
        self.micros as i128 + (self.days as i128 + self.months as i128 * 30) * USECS_PER_DAY as i128
    }

    pub fn checked_neg(&self) -> Result<Interval> {
        Ok(Interval {
            months: self.months.checked_neg().ok_or_else(interval_out_of_range)?,
            days: self.days.checked_neg().ok_or_else(interval_out_of_range)?,
            micros: self.micros.checked_neg().ok_or_else(interval_out_of_range)?,
        })
    }

    pub fn checked_add(&self, o: &Interval) -> Result<Interval> {
        Ok(Interval {
            months: self.months.checked_add(o.months).ok_or_else(interval_out_of_range)?,
            days: self.days.checked_add(o.days).ok_or_else(interval_out_of_range)?,
            micros: self.micros.checked_add(o.micros).ok_or_else(interval_out_of_range)?,
        })
    }

    /// `interval * float8` (`interval_mul`): fractions cascade down from
    /// months to days (30 per month) and from days to time (24 hours).
    pub fn mul(&self, f: f64) -> Result<Interval> {
        if f.is_nan() {
            return Err(interval_out_of_range());
        }
        let months = self.months as f64 * f;
        let days = self.days as f64 * f;
        if !(i32::MIN as f64..=i32::MAX as f64).contains(&months.trunc())
            || !(i32::MIN as f64..=i32::MAX as f64).contains(&days.trunc())
        {
            return Err(interval_out_of_range());
        }
        let m = months.trunc();
        let month_remainder_days = (months - m) * 30.0;
        let mut d = days.trunc();
        let mut sec_remainder = (days - d + month_remainder_days.fract()) * USECS_PER_DAY as f64;
        d += month_remainder_days.trunc();
        // Push whole days of the remainder into days, as PostgreSQL does.
        if sec_remainder.abs() >= USECS_PER_DAY as f64 {
            let whole = (sec_remainder / USECS_PER_DAY as f64).trunc();
            d += whole;
            sec_remainder -= whole * USECS_PER_DAY as f64;
        }
        let micros = (self.micros as f64 * f + sec_remainder).round_ties_even();
        if !(i64::MIN as f64..i64::MAX as f64).contains(&micros) || !(i32::MIN as f64..=i32::MAX as f64).contains(&d) {
            return Err(interval_out_of_range());
        }
        Ok(Interval { months: m as i32, days: d as i32, micros: micros as i64 })
    }
}

pub fn interval_out_of_range() -> Error {
    err!(SqlState::DATETIME_FIELD_OVERFLOW, "interval out of range")
}

pub fn timestamp_out_of_range() -> Error {
    err!(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

pub fn date_out_of_range() -> Error {
    err!(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range")
}

// ---------------------------------------------------------------------------
// Calendar

/// The Julian day number of a (proleptic Gregorian) date; year 0 is 1 BC.
pub fn date2j(y: i32, m: i32, d: i32) -> i64 {
    let (mut y, mut m) = (y as i64, m as i64);
    if m > 2 {
        m += 1;
        y += 4800;
    } else {
        m += 13;
        y += 4799;
    }
    let century = y / 100;
    let mut julian = y * 365 - 32167;
    julian += y / 4 - century + century / 4;
    julian + 7834 * m / 256 + d as i64
}

/// The date of a Julian day number: (year, month, day), year 0 being 1 BC.
pub fn j2date(jd: i64) -> (i32, i32, i32) {
    let mut julian = jd as u64 as i64 + 32044;
    let mut quad = julian / 146097;
    let extra = (julian - quad * 146097) * 4 + 3;
    julian += 60 + quad * 3 + extra / 146097;
    quad = julian / 1461;
    julian -= quad * 1461;
    let mut y = julian * 4 / 1461;
    julian = if y != 0 { (julian + 305) % 365 } else { (julian + 306) % 366 } + 123;
    y += quad * 4;
    let year = y - 4800;
    let quad = julian * 2141 / 65536;
    let day = julian - 7834 * quad / 256;
    let month = (quad + 10) % 12 + 1;
    (year as i32, month as i32, day as i32)
}

pub fn is_leap(y: i32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

pub fn days_in_month(y: i32, m: i32) -> i32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn valid_julian(y: i32, m: i32) -> bool {
    (y > -4713 || (y == -4713 && m >= 11)) && (y < 5_874_898 || (y == 5_874_898 && m < 6))
}

/// Day of week, 0 = Sunday.
fn j2day(jd: i64) -> i64 {
    (jd + 1).rem_euclid(7)
}

/// Split a timestamp into (Julian day, microseconds of the day).
fn split(ts: i64) -> (i64, i64) {
    (ts.div_euclid(USECS_PER_DAY) + POSTGRES_EPOCH_JDATE as i64, ts.rem_euclid(USECS_PER_DAY))
}

/// A timestamp from a Julian day and a time of day, range-checked.
fn join(jd: i64, time: i64) -> Option<i64> {
    let ts = (jd - POSTGRES_EPOCH_JDATE as i64).checked_mul(USECS_PER_DAY)?.checked_add(time)?;
    (MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts).then_some(ts)
}

pub fn is_finite_ts(ts: i64) -> bool {
    ts != TS_NOBEGIN && ts != TS_NOEND
}

pub fn is_finite_date(d: i32) -> bool {
    d != DATE_NOBEGIN && d != DATE_NOEND
}

/// The current time as a PostgreSQL timestamp.
pub fn now() -> i64 {
    let unix =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0);
    unix - (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) as i64 * USECS_PER_DAY
}

mod arith;
mod fields;
mod input;
mod output;
mod timetz;
mod zone;

pub use arith::*;
pub use fields::*;
pub use input::*;
pub use output::*;
pub use timetz::*;
pub use zone::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> String {
        format_date(parse_date_text(s, &TimeZone::UTC).unwrap())
    }

    fn ts(s: &str) -> String {
        format_timestamp(parse_timestamp_text(s, false, &TimeZone::UTC).unwrap(), None)
    }

    fn iv(s: &str) -> String {
        format_interval(&parse_interval_text(s).unwrap())
    }

    #[test]
    fn julian_days_round_trip() {
        assert_eq!(date2j(2000, 1, 1), POSTGRES_EPOCH_JDATE as i64);
        assert_eq!(date2j(1970, 1, 1), UNIX_EPOCH_JDATE as i64);
        for jd in [0, 1, 1721426, 2451545, 2460000, 5373484, 100_000_000] {
            let (y, m, dd) = j2date(jd);
            assert_eq!(date2j(y, m, dd), jd);
        }
    }

    #[test]
    fn dates_parse_and_print_like_postgres() {
        assert_eq!(d("2024-01-02"), "2024-01-02");
        assert_eq!(d(" 2024-1-2 "), "2024-01-02");
        assert_eq!(d("01/02/2024"), "2024-01-02");
        assert_eq!(d("20240102"), "2024-01-02");
        assert_eq!(d("Jan 2, 2024"), "2024-01-02");
        assert_eq!(d("2024-02-29 12:00"), "2024-02-29");
        assert_eq!(d("0044-03-15 BC"), "0044-03-15 BC");
        assert_eq!(d("infinity"), "infinity");
        assert_eq!(d("-infinity"), "-infinity");
        assert_eq!(d("epoch"), "1970-01-01");
        assert_eq!(d("01-02-03"), "2003-01-02");
        assert!(parse_date_text("99-01-02", &TimeZone::UTC).is_err());
        assert!(parse_date_text("0000-01-01", &TimeZone::UTC).is_err());
        let e = parse_date_text("2024-13-01", &TimeZone::UTC).unwrap_err();
        assert_eq!(e.code(), SqlState::DATETIME_FIELD_OVERFLOW);
        assert_eq!(e.message(), "date/time field value out of range: \"2024-13-01\"");
        let e = parse_date_text("2023-02-29", &TimeZone::UTC).unwrap_err();
        assert_eq!(e.code(), SqlState::DATETIME_FIELD_OVERFLOW);
        let e = parse_date_text("x", &TimeZone::UTC).unwrap_err();
        assert_eq!(e.message(), "invalid input syntax for type date: \"x\"");
        assert_eq!(e.code(), SqlState::INVALID_DATETIME_FORMAT);
    }

    #[test]
    fn timestamps_parse_and_print_like_postgres() {
        assert_eq!(ts("2024-01-02 03:04:05"), "2024-01-02 03:04:05");
        assert_eq!(ts("2024-01-02T03:04:05.123456"), "2024-01-02 03:04:05.123456");
        assert_eq!(ts("2024-01-02 03:04:05.1"), "2024-01-02 03:04:05.1");
        assert_eq!(ts("2024-01-02 03:04:05.1234567"), "2024-01-02 03:04:05.123457");
        assert_eq!(ts("2024-01-02 03:04:05+02"), "2024-01-02 03:04:05");
        assert_eq!(ts("2024-01-02"), "2024-01-02 00:00:00");
        assert_eq!(ts("2024-01-02 24:00"), "2024-01-03 00:00:00");
        assert_eq!(ts("epoch"), "1970-01-01 00:00:00");
        let utc = |s: &str| parse_timestamp_text(s, true, &TimeZone::UTC).unwrap();
        assert_eq!(format_timestamp(utc("2024-01-02 03:04:05+02"), Some(&TimeZone::UTC)), "2024-01-02 01:04:05+00");
        assert_eq!(format_timestamp(utc("2024-01-02T03:04:05Z"), Some(&TimeZone::UTC)), "2024-01-02 03:04:05+00");
        let ist = TimeZone::Fixed(5 * 3600 + 1800);
        assert_eq!(format_timestamp(utc("2024-01-02 03:04:05-05:30"), Some(&ist)), "2024-01-02 14:04:05+05:30");
        assert_eq!(
            parse_timestamp_text("2024-01-02 25:00", false, &TimeZone::UTC).unwrap_err().code(),
            SqlState::DATETIME_FIELD_OVERFLOW
        );
    }

    #[test]
    fn named_zones_follow_transitions() {
        let TimeZone::Named(_) = TimeZone::from_setting("Europe/Paris") else { return };
        let paris = TimeZone::from_setting("Europe/Paris");
        let winter = parse_timestamp_text("2024-01-15 12:00", true, &paris).unwrap();
        assert_eq!(format_timestamp(winter, Some(&paris)), "2024-01-15 12:00:00+01");
        let summer = parse_timestamp_text("2024-07-15 12:00", true, &paris).unwrap();
        assert_eq!(format_timestamp(summer, Some(&TimeZone::UTC)), "2024-07-15 10:00:00+00");
        // Past the last transition in the file, the footer's rule applies.
        let far = parse_timestamp_text("2240-07-15 12:00+00", true, &paris).unwrap();
        assert_eq!(format_timestamp(far, Some(&paris)), "2240-07-15 14:00:00+02");
        let far_winter = parse_timestamp_text("2240-12-15 12:00+00", true, &paris).unwrap();
        assert_eq!(format_timestamp(far_winter, Some(&paris)), "2240-12-15 13:00:00+01");
    }

    #[test]
    fn times_and_intervals() {
        assert_eq!(format_time(parse_time_text("03:04:05.5").unwrap()), "03:04:05.5");
        assert_eq!(format_time(parse_time_text("allballs").unwrap()), "00:00:00");
        assert_eq!(format_time(parse_time_text("24:00:00").unwrap()), "24:00:00");
        assert!(parse_time_text("25:00").is_err());
        assert_eq!(iv("1 day 02:03:04"), "1 day 02:03:04");
        assert_eq!(iv("1 year 2 months"), "1 year 2 mons");
        assert_eq!(iv("-1 days +02:03:04"), "-1 days +02:03:04");
        assert_eq!(iv("1.5 days"), "1 day 12:00:00");
        assert_eq!(iv("1.5 months"), "1 mon 15 days");
        assert_eq!(iv("0"), "00:00:00");
        assert_eq!(iv("@ 2 hours ago"), "-02:00:00");
        assert_eq!(iv("P1Y2M3DT4H5M6S"), "1 year 2 mons 3 days 04:05:06");
        assert_eq!(iv("3 weeks"), "21 days");
        assert_eq!(iv("90 minutes"), "01:30:00");
        assert!(parse_interval_text("x").is_err());
        assert!(parse_interval_text("1 2").is_err());
        assert_eq!(iv("1 day 2"), "1 day 00:00:02");
    }

    #[test]
    fn arithmetic() {
        let t = parse_timestamp_text("2024-01-31 10:00", false, &TimeZone::UTC).unwrap();
        let month = Interval { months: 1, days: 0, micros: 0 };
        assert_eq!(format_timestamp(timestamp_add(t, &month).unwrap(), None), "2024-02-29 10:00:00");
        let t2 = parse_timestamp_text("2024-01-01 12:00", false, &TimeZone::UTC).unwrap();
        assert_eq!(format_interval(&timestamp_diff(t, t2).unwrap()), "29 days 22:00:00");
        assert_eq!(format_interval(&timestamp_diff(t2, t).unwrap()), "-29 days -22:00:00");
        let a = Interval { months: 1, days: 0, micros: 0 };
        let b = Interval { months: 0, days: 30, micros: 0 };
        assert_eq!(a.span(), b.span());
        assert_eq!(format_interval(&Interval { months: 0, days: 1, micros: 0 }.mul(1.5).unwrap()), "1 day 12:00:00");
    }

    #[test]
    fn zones_for_at_time_zone_and_age() {
        // `AT TIME ZONE '+05'` is POSIX: five hours west.
        assert_eq!(zone_for_at("+05").unwrap().offset_at_utc(0), -5 * 3600);
        assert_eq!(zone_for_at("PST").unwrap().offset_at_utc(0), -8 * 3600);
        assert_eq!(zone_for_at("Nowhere/Else").unwrap_err().code(), SqlState::INVALID_PARAMETER_VALUE);
        let t = |s: &str| parse_timestamp_text(s, false, &TimeZone::UTC).unwrap();
        let a = age(t("2024-03-01"), t("2023-01-31 10:00")).unwrap();
        assert_eq!(format_interval(&a), "1 year 1 mon 14:00:00");
        assert_eq!(format_interval(&justify_days(&Interval { months: 1, days: -40, micros: 0 })), "-10 days");
        assert_eq!(
            format_interval(&justify_hours(&Interval { months: 0, days: 0, micros: 50 * USECS_PER_HOUR })),
            "2 days 02:00:00"
        );
    }

    #[test]
    fn extract_fields() {
        let t = parse_timestamp_text("2024-01-02 03:04:05.5", false, &TimeZone::UTC).unwrap();
        let x = |f: &str| extract(f, Source::Timestamp(t)).unwrap().unwrap();
        assert_eq!(x("year"), "2024");
        assert_eq!(x("second"), "5.500000");
        assert_eq!(x("dow"), "2");
        assert_eq!(x("doy"), "2");
        assert_eq!(x("epoch"), "1704164645.500000");
        assert_eq!(x("week"), "1");
        assert_eq!(
            format_timestamp(trunc_timestamp("month", t, "timestamp without time zone").unwrap(), None),
            "2024-01-01 00:00:00"
        );
    }
}
