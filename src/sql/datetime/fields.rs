//! `extract`/`date_part` and `date_trunc`.

use super::*;

/// A numeric value with `scale` decimals from `v / 10^scale`.
fn scaled(v: i128, scale: u32) -> String {
    if scale == 0 {
        return v.to_string();
    }
    let p = 10i128.pow(scale);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.abs();
    format!("{sign}{}.{:0width$}", a / p, a % p, width = scale as usize)
}

/// The value of `extract(field from …)` as canonical numeric text:
/// `Ok(None)` for NULL.
pub enum Source<'a> {
    Date(i32),
    Time(i64),
    /// A timetz: its time of day and offset west of UTC.
    TimeTz(i64, i32),
    Timestamp(i64),
    TimestampTz(i64, &'a TimeZone),
    Interval(&'a Interval),
}

fn unit_not_supported(field: &str, type_name: &str) -> Error {
    err!(SqlState::FEATURE_NOT_SUPPORTED, "unit \"{field}\" not supported for type {type_name}")
}

fn unit_not_recognized(field: &str, type_name: &str) -> Error {
    err!(SqlState::INVALID_PARAMETER_VALUE, "unit \"{field}\" not recognized for type {type_name}")
}

fn canonical_field(field: &str) -> String {
    let f = field.to_ascii_lowercase();
    match f.as_str() {
        "years" | "y" | "yr" | "yrs" => "year",
        "months" | "mon" | "mons" => "month",
        "days" | "d" => "day",
        "hours" | "h" | "hr" | "hrs" => "hour",
        "minutes" | "m" | "min" | "mins" => "minute",
        "seconds" | "s" | "sec" | "secs" => "second",
        "milliseconds" | "ms" | "msec" | "msecs" => "millisecond",
        "microseconds" | "us" | "usec" | "usecs" => "microsecond",
        "weeks" | "w" => "week",
        "decades" => "decade",
        "centuries" => "century",
        "millennia" | "millenniums" => "millennium",
        "quarters" => "quarter",
        _ => return f,
    }
    .to_string()
}

/// `extract(field from source)` as canonical numeric text.
pub fn extract(field: &str, src: Source<'_>) -> Result<Option<String>> {
    let f = canonical_field(field);
    let f = f.as_str();
    let type_name = match src {
        Source::Date(_) => "date",
        Source::Time(_) => "time without time zone",
        Source::TimeTz(..) => "time with time zone",
        Source::Timestamp(_) => "timestamp without time zone",
        Source::TimestampTz(..) => "timestamp with time zone",
        Source::Interval(_) => "interval",
    };
    const KNOWN: &[&str] = &[
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "millisecond",
        "microsecond",
        "week",
        "decade",
        "century",
        "millennium",
        "quarter",
        "dow",
        "isodow",
        "doy",
        "epoch",
        "julian",
        "isoyear",
        "timezone",
        "timezone_hour",
        "timezone_minute",
    ];
    if !KNOWN.contains(&f) {
        return Err(unit_not_recognized(field, type_name));
    }
    let time_part = |t: i64| -> Option<String> {
        Some(match f {
            "hour" => (t / USECS_PER_HOUR).to_string(),
            "minute" => (t / USECS_PER_MINUTE % 60).to_string(),
            "second" => scaled((t % USECS_PER_MINUTE) as i128, 6),
            "millisecond" => scaled((t % USECS_PER_MINUTE) as i128, 3),
            "microsecond" => (t % USECS_PER_MINUTE).to_string(),
            _ => return None,
        })
    };
    match src {
        Source::Interval(iv) => {
            let t = iv.micros;
            let years = iv.months / 12;
            Ok(Some(match f {
                "year" => years.to_string(),
                "month" => (iv.months % 12).to_string(),
                "day" => iv.days.to_string(),
                "quarter" => ((iv.months % 12) / 3 + 1).to_string(),
                "decade" => (years / 10).to_string(),
                "century" => (years / 100).to_string(),
                "millennium" => (years / 1000).to_string(),
                "hour" => (t / USECS_PER_HOUR).to_string(),
                "minute" => (t / USECS_PER_MINUTE % 60).to_string(),
                "second" => scaled((t % USECS_PER_MINUTE) as i128, 6),
                "millisecond" => scaled((t % USECS_PER_MINUTE) as i128, 3),
                "microsecond" => (t % USECS_PER_MINUTE).to_string(),
                "epoch" => {
                    // 365.25 days a year, 30 days a month, as PostgreSQL.
                    let months_part = iv.months as i128 % 12;
                    let year_micros = years as i128 * 36525 * 864 * USECS_PER_SEC as i128 / 100;
                    let v = year_micros
                        + months_part * 30 * USECS_PER_DAY as i128
                        + iv.days as i128 * USECS_PER_DAY as i128
                        + t as i128;
                    scaled(v, 6)
                }
                _ => return Err(unit_not_supported(field, type_name)),
            }))
        }
        Source::Time(t) => match time_part(t) {
            Some(v) => Ok(Some(v)),
            None if f == "epoch" => Ok(Some(scaled(t as i128, 6))),
            None => Err(unit_not_supported(field, type_name)),
        },
        // `timetz_part_common`: the zone fields count east, `epoch` is the
        // UTC time of day.
        Source::TimeTz(t, west) => match (time_part(t), f) {
            (Some(v), _) => Ok(Some(v)),
            (None, "epoch") => Ok(Some(scaled(timetz_utc(t, west) as i128, 6))),
            (None, "timezone") => Ok(Some((-west).to_string())),
            (None, "timezone_hour") => Ok(Some((-west / 3600).to_string())),
            (None, "timezone_minute") => Ok(Some((-west / 60 % 60).to_string())),
            (None, _) => Err(unit_not_supported(field, type_name)),
        },
        Source::Date(d) => {
            if !is_finite_date(d) {
                let sign = if d == DATE_NOEND { "" } else { "-" };
                return Ok(match f {
                    "year" | "decade" | "century" | "millennium" | "julian" | "isoyear" | "epoch" => {
                        Some(format!("{sign}Infinity"))
                    }
                    "hour" | "minute" | "second" | "millisecond" | "microsecond" | "timezone" | "timezone_hour"
                    | "timezone_minute" => return Err(unit_not_supported(field, type_name)),
                    _ => None,
                });
            }
            match f {
                "hour" | "minute" | "second" | "millisecond" | "microsecond" | "timezone" | "timezone_hour"
                | "timezone_minute" => Err(unit_not_supported(field, type_name)),
                "epoch" => {
                    Ok(Some(((d as i64 + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) as i64) * 86400).to_string()))
                }
                _ => date_fields(f, d as i64 + POSTGRES_EPOCH_JDATE as i64, 0, false).map(Some),
            }
        }
        Source::Timestamp(ts) | Source::TimestampTz(ts, _) => {
            let tz = match src {
                Source::TimestampTz(_, z) => Some(z),
                _ => None,
            };
            if !is_finite_ts(ts) {
                let sign = if ts == TS_NOEND { "" } else { "-" };
                return Ok(match f {
                    "year" | "decade" | "century" | "millennium" | "julian" | "isoyear" | "epoch" => {
                        Some(format!("{sign}Infinity"))
                    }
                    _ => None,
                });
            }
            let offset = tz.map(|z| z.offset_at_utc(ts)).unwrap_or(0);
            match f {
                "epoch" => {
                    let unix = ts as i128 + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) as i128 * USECS_PER_DAY as i128;
                    return Ok(Some(scaled(unix, 6)));
                }
                "timezone" | "timezone_hour" | "timezone_minute" => {
                    if tz.is_none() {
                        return Err(unit_not_supported(field, type_name));
                    }
                    return Ok(Some(match f {
                        "timezone" => offset.to_string(),
                        "timezone_hour" => (offset / 3600).to_string(),
                        _ => (offset / 60 % 60).to_string(),
                    }));
                }
                _ => {}
            }
            let (jd, t) = split(ts + offset as i64 * USECS_PER_SEC);
            if let Some(v) = time_part(t) {
                return Ok(Some(v));
            }
            date_fields(f, jd, t, true).map(Some)
        }
    }
}

/// Calendar fields of a Julian day (and time, for `julian`).
fn date_fields(f: &str, jd: i64, time: i64, with_time: bool) -> Result<String> {
    let (y, m, d) = j2date(jd);
    // Years as PostgreSQL numbers them: no year zero.
    let year_ad = if y > 0 { y } else { y - 1 };
    Ok(match f {
        "year" => year_ad.to_string(),
        "month" => m.to_string(),
        "day" => d.to_string(),
        "quarter" => ((m - 1) / 3 + 1).to_string(),
        "decade" => (if y >= 0 { y / 10 } else { -((8 - (y - 1)) / 10) }).to_string(),
        "century" => (if y > 0 { (y + 99) / 100 } else { -((99 - (y - 1)) / 100) }).to_string(),
        "millennium" => (if y > 0 { (y + 999) / 1000 } else { -((999 - (y - 1)) / 1000) }).to_string(),
        "dow" => j2day(jd).to_string(),
        "isodow" => (if j2day(jd) == 0 { 7 } else { j2day(jd) }).to_string(),
        "doy" => (jd - date2j(y, 1, 1) + 1).to_string(),
        "week" => iso_week(jd).1.to_string(),
        "isoyear" => {
            let iy = iso_week(jd).0;
            (if iy > 0 { iy } else { iy - 1 }).to_string()
        }
        "julian" if with_time => {
            // The day plus the time as a fraction of a day, in numeric's division.
            use crate::sql::numeric::Dec;
            let day = Dec::from_i128(jd as i128);
            let frac = Dec::from_i128(time as i128).div(&Dec::from_i128(USECS_PER_DAY as i128))?;
            day.add(&frac).to_string()
        }
        "julian" => jd.to_string(),
        _ => return Err(Error::internal("unexpected date field")),
    })
}

/// ISO 8601 (year, week) of a Julian day.
fn iso_week(jd: i64) -> (i32, i64) {
    let (y, _, _) = j2date(jd);
    // The Monday of week 1: the week containing January 4th.
    let week1 = |y: i32| {
        let jan4 = date2j(y, 1, 4);
        jan4 - (j2day(jan4) + 6) % 7
    };
    let mut iy = y;
    if jd < week1(y) {
        iy = y - 1;
    } else if jd >= week1(y + 1) {
        iy = y + 1;
    }
    (iy, (jd - week1(iy)) / 7 + 1)
}

/// `date_trunc(field, timestamp)` on a local timestamp.
pub fn trunc_timestamp(field: &str, ts: i64, type_name: &str) -> Result<i64> {
    let f = canonical_field(field);
    if !is_finite_ts(ts) {
        return Ok(ts);
    }
    let (jd, t) = split(ts);
    let (y, m, _) = j2date(jd);
    let day = |jd: i64| join(jd, 0).ok_or_else(timestamp_out_of_range);
    match f.as_str() {
        "microsecond" => Ok(ts),
        "millisecond" => join(jd, t / 1000 * 1000).ok_or_else(timestamp_out_of_range),
        "second" => join(jd, t / USECS_PER_SEC * USECS_PER_SEC).ok_or_else(timestamp_out_of_range),
        "minute" => join(jd, t / USECS_PER_MINUTE * USECS_PER_MINUTE).ok_or_else(timestamp_out_of_range),
        "hour" => join(jd, t / USECS_PER_HOUR * USECS_PER_HOUR).ok_or_else(timestamp_out_of_range),
        "day" => day(jd),
        "week" => day(jd - (j2day(jd) + 6) % 7),
        "month" => day(date2j(y, m, 1)),
        "quarter" => day(date2j(y, (m - 1) / 3 * 3 + 1, 1)),
        "year" => day(date2j(y, 1, 1)),
        "decade" => {
            let dy = if y > 0 { y / 10 * 10 } else { -((8 - (y - 1)) / 10) * 10 };
            day(date2j(dy, 1, 1))
        }
        "century" => {
            let cy = if y > 0 { (y + 99) / 100 * 100 - 99 } else { -((99 - (y - 1)) / 100) * 100 + 1 };
            day(date2j(cy, 1, 1))
        }
        "millennium" => {
            let my = if y > 0 { (y + 999) / 1000 * 1000 - 999 } else { -((999 - (y - 1)) / 1000) * 1000 + 1 };
            day(date2j(my, 1, 1))
        }
        _ => Err(unit_not_recognized(field, type_name)),
    }
}

/// `date_trunc(field, interval)`.
pub fn trunc_interval(field: &str, iv: &Interval) -> Result<Interval> {
    let f = canonical_field(field);
    let t = iv.micros;
    let years = iv.months / 12;
    Ok(match f.as_str() {
        "microsecond" => *iv,
        "millisecond" => Interval { micros: t / 1000 * 1000, ..*iv },
        "second" => Interval { micros: t / USECS_PER_SEC * USECS_PER_SEC, ..*iv },
        "minute" => Interval { micros: t / USECS_PER_MINUTE * USECS_PER_MINUTE, ..*iv },
        "hour" => Interval { micros: t / USECS_PER_HOUR * USECS_PER_HOUR, ..*iv },
        "day" => Interval { micros: 0, ..*iv },
        "month" => Interval { months: iv.months, days: 0, micros: 0 },
        "quarter" => Interval { months: years * 12 + (iv.months % 12) / 3 * 3, days: 0, micros: 0 },
        "year" => Interval { months: years * 12, days: 0, micros: 0 },
        "decade" => Interval { months: years / 10 * 120, days: 0, micros: 0 },
        "century" => Interval { months: years / 100 * 1200, days: 0, micros: 0 },
        "millennium" => Interval { months: years / 1000 * 12000, days: 0, micros: 0 },
        "week" => {
            return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "unit \"{field}\" not supported for type interval"));
        }
        _ => return Err(unit_not_recognized(field, "interval")),
    })
}
