//! Date/time arithmetic: calendar months and days, differences, `age`,
//! `justify_*`, typmod rounding.

use super::*;

/// A date as the timestamp of its midnight.
pub fn date_to_timestamp(d: i32) -> Result<i64> {
    match d {
        DATE_NOBEGIN => Ok(TS_NOBEGIN),
        DATE_NOEND => Ok(TS_NOEND),
        _ => join(d as i64 + POSTGRES_EPOCH_JDATE as i64, 0)
            .ok_or_else(|| err!(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range for timestamp")),
    }
}

/// The date of a timestamp.
pub fn timestamp_to_date(ts: i64) -> Result<i32> {
    match ts {
        TS_NOBEGIN => Ok(DATE_NOBEGIN),
        TS_NOEND => Ok(DATE_NOEND),
        _ => Ok((split(ts).0 - POSTGRES_EPOCH_JDATE as i64) as i32),
    }
}

pub fn time_of(ts: i64) -> i64 {
    split(ts).1
}

/// `date + integer`.
pub fn date_add_days(d: i32, days: i64) -> Result<i32> {
    if !is_finite_date(d) {
        return Ok(d);
    }
    let r = d as i64 + days;
    if !(-(POSTGRES_EPOCH_JDATE as i64)..DATE_END_JULIAN - POSTGRES_EPOCH_JDATE as i64).contains(&r) {
        return Err(date_out_of_range());
    }
    Ok(r as i32)
}

/// `timestamp + interval`, with days and months added in local time (the
/// caller converts timestamptz to local time and back).
pub fn timestamp_add(ts: i64, iv: &Interval) -> Result<i64> {
    if !is_finite_ts(ts) {
        return Ok(ts);
    }
    let mut ts = ts;
    if iv.months != 0 || iv.days != 0 {
        let (jd, time) = split(ts);
        let (mut y, mut m, mut d) = j2date(jd);
        if iv.months != 0 {
            let total = y as i64 * 12 + (m - 1) as i64 + iv.months as i64;
            y = total.div_euclid(12) as i32;
            m = total.rem_euclid(12) as i32 + 1;
            d = d.min(days_in_month(y, m));
            if !valid_julian(y, m) {
                return Err(timestamp_out_of_range());
            }
        }
        let jd = date2j(y, m, d) + iv.days as i64;
        ts = join(jd, time).ok_or_else(timestamp_out_of_range)?;
    }
    let r = ts.checked_add(iv.micros).ok_or_else(timestamp_out_of_range)?;
    if !(MIN_TIMESTAMP..END_TIMESTAMP).contains(&r) {
        return Err(timestamp_out_of_range());
    }
    Ok(r)
}

/// `timestamptz + interval`: months and days move the local calendar date.
pub fn timestamptz_add(ts: i64, iv: &Interval, tz: &TimeZone) -> Result<i64> {
    if !is_finite_ts(ts) || (iv.months == 0 && iv.days == 0) {
        return timestamp_add(ts, iv);
    }
    let local = timestamp_add(tz.to_local(ts), &Interval { micros: 0, ..*iv })?;
    let utc = tz.to_utc(local).ok_or_else(timestamp_out_of_range)?;
    timestamp_add(utc, &Interval { months: 0, days: 0, micros: iv.micros })
}

/// `timestamp - timestamp`: days and time, as `interval_justify_hours` leaves them.
pub fn timestamp_diff(a: i64, b: i64) -> Result<Interval> {
    if !is_finite_ts(a) || !is_finite_ts(b) {
        return Err(err!(SqlState::DATETIME_FIELD_OVERFLOW, "cannot subtract infinite timestamps"));
    }
    let t = a.checked_sub(b).ok_or_else(interval_out_of_range)?;
    let mut days = t / USECS_PER_DAY;
    let mut micros = t - days * USECS_PER_DAY;
    if days > 0 && micros < 0 {
        micros += USECS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= USECS_PER_DAY;
        days += 1;
    }
    Ok(Interval { months: 0, days: days as i32, micros })
}

/// `age(a, b)`: the difference in years, months and days of the
/// calendar, borrowing from the month of the later argument as PostgreSQL does.
pub fn age(a: i64, b: i64) -> Result<Interval> {
    if !is_finite_ts(a) || !is_finite_ts(b) {
        return Err(interval_out_of_range());
    }
    let fields = |ts: i64| {
        let (jd, t) = split(ts);
        let (y, m, d) = j2date(jd);
        (y as i64, m as i64, d as i64, t / USECS_PER_HOUR, t / USECS_PER_MINUTE % 60, t % USECS_PER_MINUTE)
    };
    let (y1, m1, d1, h1, mi1, us1) = fields(a);
    let (y2, m2, d2, h2, mi2, us2) = fields(b);
    let mut f = [y1 - y2, m1 - m2, d1 - d2, h1 - h2, mi1 - mi2, us1 - us2];
    let flip = a < b;
    if flip {
        f.iter_mut().for_each(|v| *v = -*v);
    }
    let [year, mon, mday, hour, min, us] = &mut f;
    while *us < 0 {
        *us += USECS_PER_MINUTE;
        *min -= 1;
    }
    while *min < 0 {
        *min += 60;
        *hour -= 1;
    }
    while *hour < 0 {
        *hour += 24;
        *mday -= 1;
    }
    while *mday < 0 {
        let (y, m) = if flip { (y1, m1) } else { (y2, m2) };
        *mday += days_in_month(y as i32, m as i32) as i64;
        *mon -= 1;
    }
    while *mon < 0 {
        *mon += 12;
        *year -= 1;
    }
    if flip {
        f.iter_mut().for_each(|v| *v = -*v);
    }
    let [year, mon, mday, hour, min, us] = f;
    Ok(Interval {
        months: i32::try_from(year * 12 + mon).map_err(|_| interval_out_of_range())?,
        days: mday as i32,
        micros: hour * USECS_PER_HOUR + min * USECS_PER_MINUTE + us,
    })
}

/// `justify_days`: 30 days make a month.
pub fn justify_days(iv: &Interval) -> Interval {
    let (mut months, mut days) = (iv.months + iv.days / 30, iv.days % 30);
    if months > 0 && days < 0 {
        days += 30;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= 30;
        months += 1;
    }
    Interval { months, days, micros: iv.micros }
}

/// `justify_hours`: 24 hours make a day.
pub fn justify_hours(iv: &Interval) -> Interval {
    let whole = iv.micros / USECS_PER_DAY;
    let (mut days, mut micros) = (iv.days + whole as i32, iv.micros - whole * USECS_PER_DAY);
    if days > 0 && micros < 0 {
        micros += USECS_PER_DAY;
        days -= 1;
    } else if days < 0 && micros > 0 {
        micros -= USECS_PER_DAY;
        days += 1;
    }
    Interval { months: iv.months, days, micros }
}

/// `time + interval` (wraps around midnight).
pub fn time_add(t: i64, iv: &Interval) -> i64 {
    (t + iv.micros.rem_euclid(USECS_PER_DAY)).rem_euclid(USECS_PER_DAY)
}

/// Round the fractional seconds to `precision` digits (a typmod).
pub fn round_micros(v: i64, precision: u32) -> i64 {
    if precision >= 6 {
        return v;
    }
    let scale = 10i64.pow(6 - precision);
    let half = scale / 2;
    if v >= 0 { (v + half) / scale * scale } else { -((-v + half) / scale * scale) }
}

pub fn round_timestamp(ts: i64, precision: u32) -> i64 {
    if is_finite_ts(ts) { round_micros(ts, precision) } else { ts }
}
