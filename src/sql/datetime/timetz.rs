//! `time with time zone` (`timetz`): a time of day and the zone offset it
//! was read in, as PostgreSQL's `TimeTzADT` keeps them — microseconds
//! since midnight (0 ..= 24:00:00) and the offset in seconds *west* of
//! UTC (so `12:00+02` holds the offset -7200). Its order is by the UTC
//! time the pair stands for, then by offset (`timetz_cmp_internal`), so
//! `12:00+02` sorts before `11:00+00` and two values are equal only when
//! both parts are.
//!
//! Its text input is in [`super::input`] (`parse_timetz_text`).

use std::cmp::Ordering;

use super::*;

/// The widest zone offset a timetz holds (PostgreSQL's TZDISP_LIMIT,
/// exclusive): 16 hours.
const TZDISP_LIMIT: i32 = 16 * 3600;

/// `timetz_out`: the time, then the offset east as `+HH[:MM[:SS]]`.
pub fn format_timetz(micros: i64, offset_west: i32) -> String {
    let mut out = format_time(micros);
    push_offset(&mut out, -offset_west);
    out
}

/// The UTC time of day a timetz stands for (not reduced to one day).
pub fn timetz_utc(micros: i64, offset_west: i32) -> i64 {
    micros + offset_west as i64 * USECS_PER_SEC
}

/// `timetz_cmp_internal`: by the UTC time, then by offset.
pub fn timetz_cmp(a: (i64, i32), b: (i64, i32)) -> Ordering {
    timetz_utc(a.0, a.1).cmp(&timetz_utc(b.0, b.1)).then(a.1.cmp(&b.1))
}

/// `timetz + interval` (and `-` with the interval negated): the
/// interval's time part added, wrapped to one day; days and months do
/// not count (`timetz_pl_interval`).
pub fn timetz_add(micros: i64, iv: &Interval) -> i64 {
    time_add(micros, iv)
}

/// `time` to `timetz` (`time_timetz`): the offset the session zone has
/// on the current date at that time of day.
pub fn time_to_timetz(micros: i64, tz: &TimeZone) -> (i64, i32) {
    let today = split(tz.to_local(now())).0;
    let local = join(today, micros).unwrap_or(micros);
    (micros, -tz.offset_for_local(local))
}

/// `timestamptz` to `timetz` (`timestamptz_timetz`): the local time and
/// offset in the session zone; `None` for an infinite timestamp (NULL,
/// as PostgreSQL returns).
pub fn timestamptz_to_timetz(ts: i64, tz: &TimeZone) -> Option<(i64, i32)> {
    is_finite_ts(ts).then(|| (split(tz.to_local(ts)).1, -tz.offset_at_utc(ts)))
}

/// `date + timetz` (`datetimetz_timestamptz`): the instant the date, the
/// time and its offset name.
pub fn date_timetz(date: i32, micros: i64, offset_west: i32) -> Result<i64> {
    match date {
        DATE_NOBEGIN => return Ok(TS_NOBEGIN),
        DATE_NOEND => return Ok(TS_NOEND),
        _ => {}
    }
    let out_of_range = || err!(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range for timestamp");
    let ts = (date as i64)
        .checked_mul(USECS_PER_DAY)
        .and_then(|t| t.checked_add(timetz_utc(micros, offset_west)))
        .ok_or_else(out_of_range)?;
    if (MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts) { Ok(ts) } else { Err(out_of_range()) }
}

/// `timetz AT TIME ZONE zone` (`timetz_zone`, `timetz_izone`): the same
/// instant of the day seen at offset `to_west` (seconds west).
pub fn timetz_at_offset(micros: i64, offset_west: i32, to_west: i32) -> (i64, i32) {
    let t = micros + (offset_west as i64 - to_west as i64) * USECS_PER_SEC;
    (t.rem_euclid(USECS_PER_DAY), to_west)
}

/// The offset (seconds west) `AT TIME ZONE` gives a timetz: a named zone
/// takes its offset at `at` (the transaction's start, as PostgreSQL).
pub fn timetz_zone_offset(zone: &TimeZone, at: i64) -> i32 {
    -zone.offset_at_utc(at)
}

/// The offset (seconds west) of `timetz AT TIME ZONE interval`: its time
/// part only, and an interval with months or days is refused.
pub fn interval_zone_offset(iv: &Interval) -> Result<i32> {
    if iv.months != 0 || iv.days != 0 {
        return Err(err!(
            SqlState::INVALID_PARAMETER_VALUE,
            "interval time zone \"{}\" must not include months or days",
            format_interval(iv)
        ));
    }
    Ok(-((iv.micros / USECS_PER_SEC) as i32))
}

/// `timetz_recv`'s checks: a time within a day, an offset within 16 hours.
pub fn check_timetz(micros: i64, offset_west: i32) -> Result<()> {
    if !(0..=USECS_PER_DAY).contains(&micros) {
        return Err(err!(SqlState::DATETIME_FIELD_OVERFLOW, "time out of range"));
    }
    if offset_west <= -TZDISP_LIMIT || offset_west >= TZDISP_LIMIT {
        return Err(err!(SqlState::INVALID_TIME_ZONE_DISPLACEMENT_VALUE, "time zone displacement out of range"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(s: &str) -> String {
        let (t, z) = parse_timetz_text(s, &TimeZone::UTC).unwrap();
        format_timetz(t, z)
    }

    #[test]
    fn input_and_output_like_postgres() {
        assert_eq!(tz("12:34:56+02"), "12:34:56+02");
        assert_eq!(tz("12:34:56.789-05:30"), "12:34:56.789-05:30");
        assert_eq!(tz("04:05 PST"), "04:05:00-08");
        assert_eq!(tz("12:00"), "12:00:00+00");
        assert_eq!(tz("allballs"), "00:00:00+00");
        assert_eq!(tz("12:00:00+05:30:15"), "12:00:00+05:30:15");
        assert_eq!(tz("12:00-00:30"), "12:00:00-00:30");
        let fixed = TimeZone::Fixed(3 * 3600);
        let (t, z) = parse_timetz_text("12:00", &fixed).unwrap();
        assert_eq!(format_timetz(t, z), "12:00:00+03");
        let e = parse_timetz_text("abc", &TimeZone::UTC).unwrap_err();
        assert_eq!(e.message(), "invalid input syntax for type time with time zone: \"abc\"");
        assert_eq!(
            parse_timetz_text("12:00+16", &TimeZone::UTC).unwrap_err().code(),
            SqlState::INVALID_TIME_ZONE_DISPLACEMENT_VALUE
        );
    }

    #[test]
    fn order_is_by_utc_then_offset() {
        let a = parse_timetz_text("12:00+02", &TimeZone::UTC).unwrap();
        let b = parse_timetz_text("11:00+00", &TimeZone::UTC).unwrap();
        let c = parse_timetz_text("10:00+00", &TimeZone::UTC).unwrap();
        assert_eq!(timetz_cmp(a, b), Ordering::Less);
        // Same instant: the offset decides (further west sorts later).
        assert_eq!(timetz_cmp(a, c), Ordering::Less);
        assert_eq!(timetz_cmp(c, c), Ordering::Equal);
    }

    #[test]
    fn at_time_zone_wraps_around_midnight() {
        let (t, z) = timetz_at_offset(USECS_PER_HOUR, -2 * 3600, 5 * 3600);
        assert_eq!(format_timetz(t, z), "18:00:00-05");
    }
}
