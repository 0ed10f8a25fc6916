//! Text output in PostgreSQL's `DateStyle = ISO` and `IntervalStyle = postgres`.

use super::*;

fn push_2(out: &mut String, v: i64) {
    if v < 10 {
        out.push('0');
    }
    out.push_str(&v.to_string());
}

/// Seconds with the fraction PostgreSQL prints: up to six digits, trailing zeros trimmed.
fn push_seconds(out: &mut String, micros_of_minute: i64) {
    push_2(out, micros_of_minute / USECS_PER_SEC);
    let frac = micros_of_minute % USECS_PER_SEC;
    if frac != 0 {
        let f = format!("{frac:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

fn push_date(out: &mut String, jd: i64) -> bool {
    let (y, m, d) = j2date(jd);
    let bc = y <= 0;
    let y = if bc { -(y - 1) } else { y };
    out.push_str(&format!("{y:04}-{m:02}-{d:02}"));
    bc
}

fn push_time(out: &mut String, t: i64) {
    push_2(out, t / USECS_PER_HOUR);
    out.push(':');
    push_2(out, t / USECS_PER_MINUTE % 60);
    out.push(':');
    push_seconds(out, t % USECS_PER_MINUTE);
}

pub fn format_date(d: i32) -> String {
    match d {
        DATE_NOBEGIN => "-infinity".into(),
        DATE_NOEND => "infinity".into(),
        _ => {
            let mut out = String::with_capacity(13);
            if push_date(&mut out, d as i64 + POSTGRES_EPOCH_JDATE as i64) {
                out.push_str(" BC");
            }
            out
        }
    }
}

pub fn format_time(t: i64) -> String {
    let mut out = String::with_capacity(15);
    push_time(&mut out, t);
    out
}

/// `timestamp_out`, or `timestamptz_out` when `tz` is given.
pub fn format_timestamp(ts: i64, tz: Option<&TimeZone>) -> String {
    match ts {
        TS_NOBEGIN => return "-infinity".into(),
        TS_NOEND => return "infinity".into(),
        _ => {}
    }
    let offset = tz.map(|z| z.offset_at_utc(ts));
    let (jd, time) = split(ts + offset.unwrap_or(0) as i64 * USECS_PER_SEC);
    let mut out = String::with_capacity(32);
    let bc = push_date(&mut out, jd);
    out.push(' ');
    push_time(&mut out, time);
    if let Some(off) = offset {
        push_offset(&mut out, off);
    }
    if bc {
        out.push_str(" BC");
    }
    out
}

/// A zone offset east of UTC as PostgreSQL's EncodeTimezone writes it:
/// `+HH`, with `:MM` and `:SS` only when they are not zero.
pub(super) fn push_offset(out: &mut String, east: i32) {
    out.push(if east < 0 { '-' } else { '+' });
    let a = east.unsigned_abs() as i64;
    push_2(out, a / 3600);
    if a % 3600 != 0 {
        out.push(':');
        push_2(out, a / 60 % 60);
        if a % 60 != 0 {
            out.push(':');
            push_2(out, a % 60);
        }
    }
}

/// `interval_out` in the `postgres` IntervalStyle.
pub fn format_interval(iv: &Interval) -> String {
    let mut out = String::new();
    let (mut is_zero, mut is_before) = (true, false);
    let mut part = |out: &mut String, v: i64, unit: &str| {
        if v == 0 {
            return;
        }
        if !is_zero {
            out.push(' ');
        }
        if is_before && v > 0 {
            out.push('+');
        }
        out.push_str(&format!("{v} {unit}{}", if v != 1 { "s" } else { "" }));
        is_before = v < 0;
        is_zero = false;
    };
    part(&mut out, (iv.months / 12) as i64, "year");
    part(&mut out, (iv.months % 12) as i64, "mon");
    part(&mut out, iv.days as i64, "day");
    let t = iv.micros;
    if is_zero || t != 0 {
        let minus = t < 0;
        if !is_zero {
            out.push(' ');
        }
        out.push_str(if minus {
            "-"
        } else if is_before {
            "+"
        } else {
            ""
        });
        let a = t.unsigned_abs();
        push_2(&mut out, (a / USECS_PER_HOUR as u64) as i64);
        out.push(':');
        push_2(&mut out, (a / USECS_PER_MINUTE as u64 % 60) as i64);
        out.push(':');
        push_seconds(&mut out, (a % USECS_PER_MINUTE as u64) as i64);
    }
    out
}
