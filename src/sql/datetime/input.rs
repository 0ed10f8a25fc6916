//! Text input of dates, times, timestamps and intervals, in the forms
//! PostgreSQL's `DecodeDateTime` and `DecodeInterval` accept, with its errors.

use super::*;

/// Why a date/time string was rejected.
#[derive(Debug, PartialEq, Eq)]
enum DtErr {
    Syntax,
    FieldOverflow,
    TzOverflow,
    /// A word with a slash names no zone (PostgreSQL takes it for a zone name).
    UnknownZone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Special {
    Epoch,
    Infinity,
    NegInfinity,
    Now,
    Today,
    Tomorrow,
    Yesterday,
    Allballs,
}

/// The fields of a date/time string.
#[derive(Debug, Default)]
struct Fields {
    date: Option<(i32, i32, i32)>,
    time: Option<i64>,
    /// Seconds east of UTC.
    tz: Option<i32>,
    /// A zone named in full (`Europe/Paris`): its offset depends on the date.
    zone: Option<TimeZone>,
    special: Option<Special>,
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month_name(tok: &str) -> Option<i32> {
    if tok.len() < 3 {
        return None;
    }
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let tok = tok.trim_end_matches('.');
    FULL.iter()
        .zip(MONTHS)
        .position(|(f, a)| tok == *f || tok == a || (tok == "sept" && a == "sep"))
        .map(|i| i as i32 + 1)
}

fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `HH:MM[:SS[.ffffff]]` as microseconds (not range-checked beyond fields).
fn parse_time(s: &str) -> std::result::Result<i64, DtErr> {
    let mut parts = s.split(':');
    let h = digits(parts.next().unwrap_or("")).ok_or(DtErr::Syntax)?;
    let m = digits(parts.next().ok_or(DtErr::Syntax)?).ok_or(DtErr::Syntax)?;
    let (sec, frac) = match parts.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            let whole = digits(whole).ok_or(DtErr::Syntax)?;
            if !frac.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DtErr::Syntax);
            }
            (whole, fraction_micros(frac))
        }
    };
    if parts.next().is_some() {
        return Err(DtErr::Syntax);
    }
    if h > 24 || m > 59 || sec > 60 || (h == 24 && (m > 0 || sec > 0 || frac > 0)) {
        return Err(DtErr::FieldOverflow);
    }
    Ok(h * USECS_PER_HOUR + m * USECS_PER_MINUTE + sec * USECS_PER_SEC + frac)
}

/// Digits after a decimal point as microseconds, rounded.
fn fraction_micros(frac: &str) -> i64 {
    let mut v = 0i64;
    for (i, b) in frac.bytes().take(7).enumerate() {
        let d = (b - b'0') as i64;
        if i < 6 {
            v = v * 10 + d;
        } else if d >= 5 {
            v += 1;
        }
    }
    for _ in frac.len().min(6)..6 {
        v *= 10;
    }
    v
}

/// A zone offset `+HH`, `+HHMM`, `+HH:MM`, `+HH:MM:SS` as seconds east.
fn parse_offset(s: &str) -> std::result::Result<i32, DtErr> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(DtErr::Syntax),
    };
    let (h, m, sec) = if body.contains(':') {
        let mut p = body.split(':');
        let h = digits(p.next().unwrap_or("")).ok_or(DtErr::Syntax)?;
        let m = digits(p.next().unwrap_or("")).ok_or(DtErr::Syntax)?;
        let sec = match p.next() {
            Some(x) => digits(x).ok_or(DtErr::Syntax)?,
            None => 0,
        };
        (h, m, sec)
    } else {
        let v = digits(body).ok_or(DtErr::Syntax)?;
        match body.len() {
            1 | 2 => (v, 0, 0),
            3 | 4 => (v / 100, v % 100, 0),
            5 | 6 => (v / 10000, v / 100 % 100, v % 100),
            _ => return Err(DtErr::Syntax),
        }
    };
    if h > 15 || m > 59 || sec > 59 {
        return Err(DtErr::TzOverflow);
    }
    Ok(sign * (h * 3600 + m * 60 + sec) as i32)
}

/// Split `03:04:05+02` or `03:04:05z` into the time and its zone.
fn split_time_zone(tok: &str) -> (&str, Option<&str>) {
    match tok.find(['+', '-', 'z']) {
        Some(i) => (&tok[..i], Some(&tok[i..])),
        None => (tok, None),
    }
}

/// A numeric date `y-m-d`, `m/d/y`, `yyyymmdd` (DateStyle MDY).
fn parse_date(tok: &str) -> std::result::Result<(i32, i32, i32, bool), DtErr> {
    let parts: Vec<&str> = tok.split(['-', '/', '.']).collect();
    if parts.len() == 1 {
        if tok.len() == 8 {
            let v = digits(tok).ok_or(DtErr::Syntax)?;
            return Ok(((v / 10000) as i32, (v / 100 % 100) as i32, (v % 100) as i32, false));
        }
        return Err(DtErr::Syntax);
    }
    if parts.len() == 2 || parts.len() > 3 {
        return Err(DtErr::Syntax);
    }
    // `2024-jan-02` and `02-jan-2024`.
    if let Some(m) = month_name(parts[1]) {
        let (a, c) = (digits(parts[0]).ok_or(DtErr::Syntax)?, digits(parts[2]).ok_or(DtErr::Syntax)?);
        return Ok(if parts[0].len() > 2 {
            (a as i32, m, c as i32, false)
        } else {
            (c as i32, m, a as i32, parts[2].len() <= 2)
        });
    }
    let n: Vec<i64> = parts.iter().map(|p| digits(p).ok_or(DtErr::Syntax)).collect::<std::result::Result<_, _>>()?;
    if parts[0].len() > 2 {
        Ok((n[0].min(i32::MAX as i64) as i32, n[1].min(99) as i32, n[2].min(99) as i32, false))
    } else {
        Ok((n[2].min(i32::MAX as i64) as i32, n[0].min(99) as i32, n[1].min(99) as i32, parts[2].len() <= 2))
    }
}

fn decode(text: &str) -> std::result::Result<Fields, DtErr> {
    let s = text.trim().to_ascii_lowercase();
    let mut f = Fields::default();
    let mut ymd: Option<(i32, i32, i32, bool)> = None;
    let mut bc = false;
    // Pieces of a textual date (`jan 2 2024`, `2 january 2024`).
    let mut month: Option<i32> = None;
    let mut numbers: Vec<(i64, usize)> = Vec::new();
    // `J2451187`: a Julian day number.
    let mut julian: Option<i64> = None;
    let mut tokens: Vec<String> = Vec::new();
    for t in s.split([' ', '\t', '\n', ',']).filter(|t| !t.is_empty()) {
        // ISO 8601's `T` between date and time.
        if t.as_bytes()[0].is_ascii_digit() {
            if let Some(i) = t.find('t') {
                if t[i + 1..].starts_with(|c: char| c.is_ascii_digit()) {
                    tokens.push(t[..i].to_string());
                    tokens.push(t[i + 1..].to_string());
                    continue;
                }
            }
        }
        tokens.push(t.to_string());
    }
    if tokens.is_empty() {
        return Err(DtErr::Syntax);
    }
    for tok in &tokens {
        let tok = tok.as_str();
        let special = match tok {
            "epoch" => Some(Special::Epoch),
            "infinity" | "+infinity" => Some(Special::Infinity),
            "-infinity" => Some(Special::NegInfinity),
            "now" => Some(Special::Now),
            "today" => Some(Special::Today),
            "tomorrow" => Some(Special::Tomorrow),
            "yesterday" => Some(Special::Yesterday),
            "allballs" => Some(Special::Allballs),
            _ => None,
        };
        if let Some(sp) = special {
            if f.special.is_some() {
                return Err(DtErr::Syntax);
            }
            f.special = Some(sp);
            continue;
        }
        if let Some(days) = tok.strip_prefix('j').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())) {
            if julian.is_some() {
                return Err(DtErr::Syntax);
            }
            let jd: i64 = days.parse().map_err(|_| DtErr::FieldOverflow)?;
            if jd > i32::MAX as i64 {
                return Err(DtErr::FieldOverflow);
            }
            julian = Some(jd);
            continue;
        }
        let first = tok.as_bytes()[0];
        if first.is_ascii_digit() {
            if tok.contains(':') {
                if f.time.is_some() {
                    return Err(DtErr::Syntax);
                }
                let (time, zone) = split_time_zone(tok);
                f.time = Some(parse_time(time)?);
                if let Some(z) = zone {
                    f.tz = Some(if z == "z" { 0 } else { parse_offset(z)? });
                }
            } else if tok.contains(['-', '/', '.']) || (tok.len() == 8 && ymd.is_none() && month.is_none()) {
                if ymd.is_some() {
                    return Err(DtErr::Syntax);
                }
                ymd = Some(parse_date(tok)?);
            } else {
                numbers.push((digits(tok).ok_or(DtErr::Syntax)?, tok.len()));
            }
        } else if first == b'+' || first == b'-' {
            if f.tz.is_some() {
                return Err(DtErr::Syntax);
            }
            f.tz = Some(parse_offset(tok)?);
        } else if let Some(z) = zone_abbrev(tok) {
            f.tz = Some(z);
        } else if tok == "bc" {
            bc = true;
        } else if tok == "ad" {
        } else if let Some(m) = month_name(tok) {
            if month.is_some() || ymd.is_some() {
                return Err(DtErr::Syntax);
            }
            month = Some(m);
        } else if matches!(
            tok,
            "mon"
                | "tue"
                | "wed"
                | "thu"
                | "fri"
                | "sat"
                | "sun"
                | "monday"
                | "tuesday"
                | "wednesday"
                | "thursday"
                | "friday"
                | "saturday"
                | "sunday"
        ) {
        } else if let Some(z) = (f.tz.is_none() && f.zone.is_none()).then(|| zone_named(tok)).flatten() {
            f.zone = Some(z);
        } else if tok.contains('/') {
            return Err(DtErr::UnknownZone);
        } else {
            return Err(DtErr::Syntax);
        }
    }
    if let Some(m) = month {
        // day and year among the bare numbers: a number over 31 or with more
        // than two digits is the year.
        let (day, year) = match numbers.as_slice() {
            [(a, la), (b, lb)] => {
                if *la > 2 || *a > 31 {
                    ((*b, *lb), (*a, *la))
                } else {
                    ((*a, *la), (*b, *lb))
                }
            }
            _ => return Err(DtErr::Syntax),
        };
        ymd = Some((year.0.min(i32::MAX as i64) as i32, m, day.0.min(99) as i32, year.1 <= 2));
    } else if !numbers.is_empty() {
        return Err(DtErr::Syntax);
    }
    if let Some(jd) = julian {
        // A Julian day names the date whole: no other date, and no era.
        if ymd.is_some() || month.is_some() {
            return Err(DtErr::Syntax);
        }
        f.date = Some(j2date(jd));
    } else if let Some((mut y, m, d, two_digit)) = ymd {
        if bc {
            if y <= 0 {
                return Err(DtErr::FieldOverflow);
            }
            y = -(y - 1);
        } else if two_digit {
            y += if y < 70 { 2000 } else { 1900 };
        } else if y <= 0 {
            return Err(DtErr::FieldOverflow);
        }
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return Err(DtErr::FieldOverflow);
        }
        f.date = Some((y, m, d));
    } else if bc {
        return Err(DtErr::Syntax);
    }
    if f.special.is_some() && (f.date.is_some() || (f.time.is_some() && f.special != Some(Special::Today))) {
        // `today 10:00` etc. are not supported; PostgreSQL accepts few of these.
        if !matches!(f.special, Some(Special::Today | Special::Tomorrow | Special::Yesterday)) {
            return Err(DtErr::Syntax);
        }
    }
    Ok(f)
}

fn dt_error(e: DtErr, type_name: &str, text: &str) -> Error {
    match e {
        DtErr::Syntax => {
            err!(SqlState::INVALID_DATETIME_FORMAT, "invalid input syntax for type {type_name}: \"{text}\"")
        }
        DtErr::FieldOverflow => {
            err!(SqlState::DATETIME_FIELD_OVERFLOW, "date/time field value out of range: \"{text}\"")
        }
        DtErr::TzOverflow => {
            err!(SqlState::INVALID_TIME_ZONE_DISPLACEMENT_VALUE, "time zone displacement out of range: \"{text}\"")
        }
        DtErr::UnknownZone => {
            let word = text.split_whitespace().find(|w| w.contains('/') && w.starts_with(|c: char| c.is_alphabetic()));
            let name = word.unwrap_or(text).to_lowercase();
            err!(SqlState::INVALID_PARAMETER_VALUE, "time zone \"{name}\" not recognized")
        }
    }
}

/// Today's Julian day in `tz`, plus `offset` days.
fn today(tz: &TimeZone, offset: i64) -> i64 {
    split(tz.to_local(now())).0 + offset
}

/// `date_in`.
pub fn parse_date_text(text: &str, tz: &TimeZone) -> Result<i32> {
    let f = decode(text).map_err(|e| dt_error(e, "date", text))?;
    let jd = match f.special {
        Some(Special::Infinity) => return Ok(DATE_NOEND),
        Some(Special::NegInfinity) => return Ok(DATE_NOBEGIN),
        Some(Special::Epoch) => UNIX_EPOCH_JDATE as i64,
        Some(Special::Now | Special::Today) => today(tz, 0),
        Some(Special::Tomorrow) => today(tz, 1),
        Some(Special::Yesterday) => today(tz, -1),
        Some(Special::Allballs) => return Err(dt_error(DtErr::Syntax, "date", text)),
        None => {
            let (y, m, d) = f.date.ok_or_else(|| dt_error(DtErr::Syntax, "date", text))?;
            if !valid_julian(y, m) {
                return Err(err!(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range: \"{text}\""));
            }
            date2j(y, m, d)
        }
    };
    let d = jd - POSTGRES_EPOCH_JDATE as i64;
    if !(-(POSTGRES_EPOCH_JDATE as i64)..DATE_END_JULIAN - POSTGRES_EPOCH_JDATE as i64).contains(&d) {
        return Err(err!(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range: \"{text}\""));
    }
    Ok(d as i32)
}

/// `time_in`: a date or zone in the string is ignored.
pub fn parse_time_text(text: &str) -> Result<i64> {
    let f = decode(text).map_err(|e| dt_error(e, "time", text))?;
    match (f.special, f.time) {
        (Some(Special::Allballs), None) => Ok(0),
        (Some(Special::Now), None) => Ok(split(now()).1),
        (None, Some(t)) => Ok(t),
        _ => Err(dt_error(DtErr::Syntax, "time", text)),
    }
}

/// `timetz_in`: a time of day and its zone as (microseconds, seconds
/// *west* of UTC). Without a zone, the session zone's offset on the
/// string's date, or today, applies (PostgreSQL's DecodeTimeOnly), so a
/// zone with daylight time gives `12:00` a different offset in summer.
pub fn parse_timetz_text(text: &str, tz: &TimeZone) -> Result<(i64, i32)> {
    const TYPE_NAME: &str = "time with time zone";
    let f = decode(text).map_err(|e| dt_error(e, TYPE_NAME, text))?;
    let (time, zone) = match (f.special, f.time) {
        // `allballs` is midnight UTC, whatever the session zone.
        (Some(Special::Allballs), None) => (0, Some(f.tz.unwrap_or(0))),
        (Some(Special::Now), None) => {
            let now = now();
            (split(tz.to_local(now)).1, Some(f.tz.unwrap_or_else(|| tz.offset_at_utc(now))))
        }
        (None, Some(t)) => (t, f.tz),
        _ => return Err(dt_error(DtErr::Syntax, TYPE_NAME, text)),
    };
    // A zone named in full gives its offset on the string's date: without
    // one the offset is unknown.
    let zone = match (&f.zone, zone) {
        (Some(named), None) => {
            let (y, m, d) = f.date.ok_or_else(|| dt_error(DtErr::Syntax, TYPE_NAME, text))?;
            let local = join(date2j(y, m, d), time).ok_or_else(|| dt_error(DtErr::Syntax, TYPE_NAME, text))?;
            Some(named.offset_for_local(local))
        }
        (_, zone) => zone,
    };
    let east = zone.unwrap_or_else(|| {
        let day = f.date.map_or_else(|| today(tz, 0), |(y, m, d)| date2j(y, m, d));
        let local = join(day, time).or_else(|| join(today(tz, 0), time)).unwrap_or(time);
        tz.offset_for_local(local)
    });
    Ok((time, -east))
}

/// `timestamp_in` (`with_tz` false) and `timestamptz_in` (true).
pub fn parse_timestamp_text(text: &str, with_tz: bool, tz: &TimeZone) -> Result<i64> {
    let type_name = if with_tz { "timestamp with time zone" } else { "timestamp" };
    let f = decode(text).map_err(|e| dt_error(e, type_name, text))?;
    let out_of_range = || err!(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range: \"{text}\"");
    let local_day = |days: i64| -> Result<i64> {
        let jd = today(tz, days);
        let local = join(jd, f.time.unwrap_or(0)).ok_or_else(out_of_range)?;
        if with_tz { tz.to_utc(local).ok_or_else(out_of_range) } else { Ok(local) }
    };
    match f.special {
        Some(Special::Infinity) => return Ok(TS_NOEND),
        Some(Special::NegInfinity) => return Ok(TS_NOBEGIN),
        Some(Special::Epoch) => return Ok(-((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) as i64 * USECS_PER_DAY)),
        Some(Special::Now) => return Ok(if with_tz { now() } else { tz.to_local(now()) }),
        Some(Special::Today) => return local_day(0),
        Some(Special::Tomorrow) => return local_day(1),
        Some(Special::Yesterday) => return local_day(-1),
        Some(Special::Allballs) => return Err(dt_error(DtErr::Syntax, type_name, text)),
        None => {}
    }
    let (y, m, d) = f.date.ok_or_else(|| dt_error(DtErr::Syntax, type_name, text))?;
    if !valid_julian(y, m) {
        return Err(out_of_range());
    }
    let local = join(date2j(y, m, d), f.time.unwrap_or(0)).ok_or_else(out_of_range)?;
    if !with_tz {
        return Ok(local);
    }
    match (f.tz, &f.zone) {
        (Some(off), _) => {
            let ts = local.checked_sub(off as i64 * USECS_PER_SEC).ok_or_else(out_of_range)?;
            if (MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts) { Ok(ts) } else { Err(out_of_range()) }
        }
        (None, Some(zone)) => zone.to_utc(local).ok_or_else(out_of_range),
        (None, None) => tz.to_utc(local).ok_or_else(out_of_range),
    }
}

fn unit_of(word: &str) -> Option<Unit> {
    Some(match word {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" | "usecond" => Unit::Micro,
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" | "msecond" => Unit::Milli,
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Second,
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Minute,
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Hour,
        "day" | "days" | "d" => Unit::Day,
        "week" | "weeks" | "w" => Unit::Week,
        "month" | "months" | "mon" | "mons" => Unit::Month,
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Year,
        "decade" | "decades" | "dec" | "decs" => Unit::Decade,
        "century" | "centuries" | "c" | "cent" => Unit::Century,
        "millennium" | "millennia" | "mil" | "mils" | "millenniums" => Unit::Millennium,
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Micro,
    Milli,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
    Decade,
    Century,
    Millennium,
}

/// Accumulates an interval's fields as `DecodeInterval` does, fractions
/// cascading into smaller units.
#[derive(Default)]
struct IntervalAcc {
    months: f64,
    days: f64,
    micros: f64,
}

impl IntervalAcc {
    fn add(&mut self, v: f64, unit: Unit) {
        let frac_days = |acc: &mut IntervalAcc, days: f64| {
            let whole = days.trunc();
            acc.days += whole;
            acc.micros += ((days - whole) * USECS_PER_DAY as f64).round();
        };
        match unit {
            Unit::Micro => self.micros += v.round(),
            Unit::Milli => self.micros += (v * 1000.0).round(),
            Unit::Second => self.micros += (v * 1e6).round(),
            Unit::Minute => self.micros += (v * 6e7).round(),
            Unit::Hour => self.micros += (v * 3.6e9).round(),
            Unit::Day => frac_days(self, v),
            Unit::Week => frac_days(self, v * 7.0),
            Unit::Month => {
                let whole = v.trunc();
                self.months += whole;
                frac_days(self, (v - whole) * 30.0);
            }
            Unit::Year => self.months += (v * 12.0).round(),
            Unit::Decade => self.months += (v * 120.0).round(),
            Unit::Century => self.months += (v * 1200.0).round(),
            Unit::Millennium => self.months += (v * 12000.0).round(),
        }
    }
}

/// `interval_in` (postgres style and `@ … ago`), every field allowed.
pub fn parse_interval_text(text: &str) -> Result<Interval> {
    parse_interval_in_range(text, INTERVAL_FULL_RANGE)
}

/// `interval_in` with a type modifier: the value read as PostgreSQL's
/// DecodeInterval reads it for the modifier's fields (a bare number is
/// the last field: `'5'` is 5 minutes for `interval minute`), then cut
/// to those fields and rounded to the precision.
pub fn parse_interval_typmod(text: &str, typmod: Option<u32>) -> Result<Interval> {
    let range = typmod.map_or(INTERVAL_FULL_RANGE, |t| (t >> 16) & INTERVAL_FULL_RANGE);
    adjust_interval(parse_interval_in_range(text, range)?, typmod)
}

/// A field of an interval's text (see [`interval_fields`]).
#[derive(Debug)]
enum IntervalField<'a> {
    /// `[+-]hh:mm[:ss[.f]]` (or `mm:ss`).
    Time(&'a str),
    /// `[+-]n[.f]` or `[+-]y-m`.
    Number(&'a str),
    Word(&'a str),
}

/// The fields of an interval's text, as PostgreSQL's ParseDateTime splits
/// them: at blanks, and where letters follow digits (`1day`).
fn interval_fields(s: &str) -> Option<Vec<IntervalField<'_>>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || c == b'@' {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(IntervalField::Word(&s[start..i]));
            continue;
        }
        // A sign goes with a digit.
        let signed = c == b'+' || c == b'-';
        if !(c.is_ascii_digit() || c == b'.' || (signed && b.get(i + 1).is_some_and(u8::is_ascii_digit))) {
            return None;
        }
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || matches!(b[i], b'.' | b':' | b'-')) {
            i += 1;
        }
        let field = &s[start..i];
        out.push(if field.contains(':') { IntervalField::Time(field) } else { IntervalField::Number(field) });
    }
    Some(out)
}

/// PostgreSQL's field mask bits, to refuse a unit given twice.
fn unit_mask(unit: Unit, fraction: bool) -> u32 {
    match unit {
        Unit::Second if fraction => unit_mask(Unit::Second, false) | ALL_SUBSECONDS,
        Unit::Micro => 1,
        Unit::Milli => 2,
        Unit::Second => 4,
        Unit::Minute => 8,
        Unit::Hour => 16,
        Unit::Day => 32,
        Unit::Week => 64,
        Unit::Month => 128,
        Unit::Year => 256,
        Unit::Decade => 512,
        Unit::Century => 1024,
        Unit::Millennium => 2048,
    }
}
const ALL_SUBSECONDS: u32 = 1 | 2;
/// The mask of a `hh:mm:ss` field.
const TIME_MASK: u32 = 4 | 8 | 16 | ALL_SUBSECONDS;

/// The unit a number without one stands for, as the last field of an
/// interval of type modifier fields `range`.
fn rightmost_unit(range: u32) -> Unit {
    match range {
        INTERVAL_YEAR => Unit::Year,
        INTERVAL_MONTH | YEAR_TO_MONTH => Unit::Month,
        INTERVAL_DAY => Unit::Day,
        INTERVAL_HOUR | DAY_TO_HOUR => Unit::Hour,
        INTERVAL_MINUTE | HOUR_TO_MINUTE | DAY_TO_MINUTE => Unit::Minute,
        _ => Unit::Second,
    }
}

/// Why an interval's text is refused.
enum IntervalErr {
    Syntax,
    Overflow,
}

/// `hh:mm[:ss[.f]]` (unsigned) as microseconds; `a:b` is minutes and
/// seconds for `interval minute to second` or when `b` has a fraction
/// (PostgreSQL's DecodeTime).
fn interval_time(body: &str, range: u32) -> std::result::Result<i64, IntervalErr> {
    let whole = |p: &str| digits(p).ok_or(IntervalErr::Syntax);
    let seconds = |p: &str| -> std::result::Result<(i64, i64), IntervalErr> {
        let (w, f) = p.split_once('.').unwrap_or((p, ""));
        if !f.bytes().all(|b| b.is_ascii_digit()) || w.is_empty() {
            return Err(IntervalErr::Syntax);
        }
        let frac: f64 = if f.is_empty() { 0.0 } else { format!("0.{f}").parse().map_err(|_| IntervalErr::Syntax)? };
        Ok((whole(w)?, (frac * 1e6).round() as i64))
    };
    let parts: Vec<&str> = body.split(':').collect();
    let (h, m, (s, us)) = match parts.as_slice() {
        [a, b] if b.contains('.') || range == MINUTE_TO_SECOND => (0, whole(a)?, seconds(b)?),
        [a, b] => (whole(a)?, whole(b)?, (0, 0)),
        [a, b, c] => (whole(a)?, whole(b)?, seconds(c)?),
        _ => return Err(IntervalErr::Syntax),
    };
    if m > 59 || s > 60 || us > 1_000_000 {
        return Err(IntervalErr::Overflow);
    }
    h.checked_mul(USECS_PER_HOUR)
        .and_then(|t| t.checked_add(m * USECS_PER_MINUTE + s * USECS_PER_SEC + us))
        .ok_or(IntervalErr::Overflow)
}

/// A number field: its value and whether it had a fraction; `1-2` (a
/// year and two months) gives months and makes the unit `Month`.
fn interval_number(field: &str, unit: &mut Unit) -> std::result::Result<(f64, bool), IntervalErr> {
    let negative = field.starts_with('-');
    let body = field.trim_start_matches(['+', '-']);
    let end = body.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(body.len());
    let (int, rest) = body.split_at(end);
    let val = if int.is_empty() { 0 } else { digits(int).ok_or(IntervalErr::Overflow)? };
    let val = if negative { -val } else { val };
    if let Some(months) = rest.strip_prefix('-') {
        let m = digits(months).ok_or(IntervalErr::Syntax)?;
        if m >= 12 {
            return Err(IntervalErr::Overflow);
        }
        *unit = Unit::Month;
        let m = if negative { -m } else { m };
        return Ok(((val * 12 + m) as f64, false));
    }
    if int.is_empty() && rest.is_empty() {
        return Err(IntervalErr::Syntax);
    }
    match rest.strip_prefix('.') {
        Some(f) if f.bytes().all(|b| b.is_ascii_digit()) => {
            let frac: f64 =
                if f.is_empty() { 0.0 } else { format!("0.{f}").parse().map_err(|_| IntervalErr::Syntax)? };
            Ok((val as f64 + if negative { -frac } else { frac }, !f.is_empty()))
        }
        Some(_) => Err(IntervalErr::Syntax),
        None if rest.is_empty() => Ok((val as f64, false)),
        None => Err(IntervalErr::Syntax),
    }
}

/// `interval_in` for type modifier fields `range`: PostgreSQL's
/// DecodeInterval (of version 15), which reads the fields from the
/// right, so that a unit word applies to the number before it, a number
/// before a time of day counts days (`1 2:03:04`), and a bare last
/// number takes the range's last field.
fn parse_interval_in_range(text: &str, range: u32) -> Result<Interval> {
    let syntax = || err!(SqlState::INVALID_DATETIME_FORMAT, "invalid input syntax for type interval: \"{text}\"");
    let overflow = || err!(SqlState::INTERVAL_FIELD_OVERFLOW, "interval field value out of range: \"{text}\"");
    let fail = |e| match e {
        IntervalErr::Syntax => syntax(),
        IntervalErr::Overflow => overflow(),
    };
    let s = text.trim().to_ascii_lowercase();
    if let Some(iso) = s.strip_prefix('p') {
        return parse_iso_interval(iso).ok_or_else(syntax);
    }
    let fields = interval_fields(&s).ok_or_else(syntax)?;
    let mut acc = IntervalAcc::default();
    let (mut ago, mut after_ago) = (false, false);
    let mut unit: Option<Unit> = None;
    let mut seen = 0u32;
    for field in fields.iter().rev() {
        let mask = match field {
            IntervalField::Time(t) => {
                let (negative, body) = match t.as_bytes()[0] {
                    b'-' => (true, &t[1..]),
                    b'+' => (false, &t[1..]),
                    _ => (false, *t),
                };
                let micros = interval_time(body, range).map_err(fail)?;
                acc.micros += if negative { -micros } else { micros } as f64;
                unit = Some(Unit::Day);
                after_ago = false;
                TIME_MASK
            }
            IntervalField::Number(_) if after_ago => return Err(syntax()),
            IntervalField::Number(n) => {
                let mut u = *unit.get_or_insert_with(|| rightmost_unit(range));
                let (v, fraction) = interval_number(n, &mut u).map_err(fail)?;
                acc.add(v, u);
                // A number before hours counts days (`1 2` in `interval
                // day to hour`).
                unit = Some(if u == Unit::Hour { Unit::Day } else { u });
                unit_mask(u, fraction)
            }
            // Anywhere (version 15), but a number right before it has no unit.
            IntervalField::Word("ago") => {
                ago = true;
                unit = None;
                after_ago = true;
                continue;
            }
            IntervalField::Word(w) => {
                unit = Some(unit_of(w).ok_or_else(syntax)?);
                after_ago = false;
                continue;
            }
        };
        if seen & mask != 0 {
            return Err(syntax());
        }
        seen |= mask;
    }
    if seen == 0 {
        return Err(syntax());
    }
    let sign = if ago { -1.0 } else { 1.0 };
    let fits32 = |v: f64| (i32::MIN as f64..=i32::MAX as f64).contains(&v);
    if !fits32(acc.months) || !fits32(acc.days) || !(i64::MIN as f64..i64::MAX as f64).contains(&acc.micros) {
        return Err(overflow());
    }
    Ok(Interval {
        months: (acc.months * sign) as i32,
        days: (acc.days * sign) as i32,
        micros: (acc.micros * sign) as i64,
    })
}

/// ISO 8601 `P1Y2M3DT4H5M6S` (after the `P`).
fn parse_iso_interval(s: &str) -> Option<Interval> {
    let mut acc = IntervalAcc::default();
    let mut in_time = false;
    let mut num = String::new();
    for c in s.chars() {
        match c {
            't' => in_time = true,
            '0'..='9' | '.' | '-' | '+' => num.push(c),
            _ => {
                let v: f64 = num.parse().ok()?;
                num.clear();
                let unit = match (c, in_time) {
                    ('y', false) => Unit::Year,
                    ('m', false) => Unit::Month,
                    ('w', false) => Unit::Week,
                    ('d', false) => Unit::Day,
                    ('h', true) => Unit::Hour,
                    ('m', true) => Unit::Minute,
                    ('s', true) => Unit::Second,
                    _ => return None,
                };
                acc.add(v, unit);
            }
        }
    }
    if !num.is_empty() {
        return None;
    }
    Some(Interval { months: acc.months as i32, days: acc.days as i32, micros: acc.micros as i64 })
}
