//! PostgreSQL's date and time types: `date`, `time`, `timestamp`,
//! `timestamptz` and `interval`, with PostgreSQL's representation, text
//! input and output (`DateStyle = ISO, MDY`, `IntervalStyle = postgres`),
//! arithmetic, `extract` and `date_trunc`.
//!
//! Values count from PostgreSQL's epoch, 2000-01-01 00:00:00 UTC:
//!
//! - `date`: days (i32); `i32::MIN`/`i32::MAX` are `-infinity`/`infinity`;
//! - `time`: microseconds since midnight (i64, 0 ..= 24:00:00);
//! - `timestamp`, `timestamptz`: microseconds (i64); `i64::MIN`/`i64::MAX`
//!   are `-infinity`/`infinity`. A `timestamptz` is an instant in UTC; the
//!   session's `TimeZone` only matters for input without an explicit zone
//!   and for output;
//! - `interval`: months, days and microseconds kept apart, since a month
//!   and a day have no fixed length.
//!
//! Calendar arithmetic uses PostgreSQL's Julian day numbers (`date2j`,
//! `j2date`), valid from 4714-11-24 BC on.

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

// ---------------------------------------------------------------------------
// Time zones

/// The session's `TimeZone`: UTC, a fixed offset, or a zone from the
/// system's zoneinfo database.
#[derive(Clone, Debug)]
pub enum TimeZone {
    /// Seconds east of UTC.
    Fixed(i32),
    Named(Arc<Tzif>),
}

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::Fixed(0)
    }
}

impl TimeZone {
    pub const UTC: TimeZone = TimeZone::Fixed(0);

    /// The zone a `TimeZone` setting names (as normalised by the settings;
    /// an unreadable zone falls back to UTC).
    pub fn from_setting(name: &str) -> TimeZone {
        let t = name.trim();
        let upper = t.to_ascii_uppercase();
        if matches!(upper.as_str(), "UTC" | "GMT" | "Z" | "ZULU" | "UCT" | "ETC/UTC" | "ETC/GMT" | "UNIVERSAL") {
            return TimeZone::UTC;
        }
        // A number is hours east of UTC (SQL's sign convention).
        if let Ok(hours) = t.parse::<f64>() {
            return TimeZone::Fixed((hours * 3600.0).round() as i32);
        }
        // Anything else with a colon is a POSIX offset: hours *west* of UTC.
        if let Some((h, m)) = t.split_once(':') {
            if let (Ok(h), Ok(m)) = (h.trim_start_matches(['+', '-']).parse::<i32>(), m.parse::<i32>()) {
                let west = h * 3600 + m * 60;
                return TimeZone::Fixed(if t.starts_with('-') { west } else { -west });
            }
        }
        match Tzif::load(t) {
            Some(z) => TimeZone::Named(Arc::new(z)),
            None => TimeZone::UTC,
        }
    }

    /// Offset east of UTC, in seconds, at a UTC instant (µs since 2000).
    pub fn offset_at_utc(&self, ts: i64) -> i32 {
        match self {
            TimeZone::Fixed(s) => *s,
            TimeZone::Named(z) => z.offset_at(ts.div_euclid(USECS_PER_SEC) + PG_TO_UNIX_SECS),
        }
    }

    /// Offset east of UTC for a local wall-clock time (µs since 2000).
    pub fn offset_for_local(&self, local: i64) -> i32 {
        match self {
            TimeZone::Fixed(s) => *s,
            TimeZone::Named(z) => {
                let secs = local.div_euclid(USECS_PER_SEC) + PG_TO_UNIX_SECS;
                // PostgreSQL's DetermineTimeZoneOffset: try the offset before
                // the transition, then the one after.
                // An ambiguous time (in an overlap) is taken as the later
                // offset, a time in a gap with the earlier one.
                let before = z.offset_at(secs - 86400 * 2);
                let after = z.offset_at(secs + 86400 * 2);
                if z.offset_at(secs - after as i64) == after { after } else { before }
            }
        }
    }

    /// A UTC timestamp from a local one.
    pub fn to_utc(&self, local: i64) -> Option<i64> {
        if !is_finite_ts(local) {
            return Some(local);
        }
        let ts = local.checked_sub(self.offset_for_local(local) as i64 * USECS_PER_SEC)?;
        (MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts).then_some(ts)
    }

    /// A local timestamp from a UTC one.
    pub fn to_local(&self, ts: i64) -> i64 {
        if !is_finite_ts(ts) {
            return ts;
        }
        ts.saturating_add(self.offset_at_utc(ts) as i64 * USECS_PER_SEC)
    }
}

/// The zone `AT TIME ZONE` (and `timezone(zone, …)`) names: an
/// abbreviation, a POSIX offset (hours *west* of UTC, as PostgreSQL reads
/// `'+05'` there) or a zoneinfo name.
pub fn zone_for_at(name: &str) -> Result<TimeZone> {
    let lower = name.trim().to_ascii_lowercase();
    if let Some(secs) = zone_abbrev(&lower) {
        return Ok(TimeZone::Fixed(secs));
    }
    let body = lower.strip_prefix(['+', '-']).unwrap_or(&lower);
    let mut parts = body.split(':');
    let nums: Option<Vec<i32>> = parts.by_ref().map(|p| p.parse().ok()).collect();
    if let Some(n) = nums.filter(|n| !n.is_empty() && n.len() <= 3) {
        let west = n[0] * 3600 + n.get(1).unwrap_or(&0) * 60 + n.get(2).unwrap_or(&0);
        return Ok(TimeZone::Fixed(if lower.starts_with('-') { west } else { -west }));
    }
    match Tzif::load(name.trim()) {
        Some(z) => Ok(TimeZone::Named(Arc::new(z))),
        None => Err(err!(SqlState::INVALID_PARAMETER_VALUE, "time zone \"{name}\" not recognized")),
    }
}

const PG_TO_UNIX_SECS: i64 = (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) as i64 * 86400;

/// A zone from a TZif file: its transitions and the offsets between them.
#[derive(Debug)]
pub struct Tzif {
    /// Unix seconds at which each offset starts, ascending.
    transitions: Vec<i64>,
    /// The offset (seconds east) from each transition on.
    offsets: Vec<i32>,
    /// The offset before the first transition.
    initial: i32,
}

impl Tzif {
    fn load(name: &str) -> Option<Tzif> {
        if name.is_empty() || name.contains("..") || name.starts_with('/') {
            return None;
        }
        let bytes = std::fs::read(std::path::Path::new("/usr/share/zoneinfo").join(name)).ok()?;
        Tzif::parse(&bytes)
    }

    /// Parse TZif version 2 or later (its 64-bit section).
    fn parse(b: &[u8]) -> Option<Tzif> {
        let header = |at: usize| -> Option<[usize; 6]> {
            if b.get(at..at + 4)? != b"TZif" {
                return None;
            }
            let mut c = [0usize; 6];
            for (i, v) in c.iter_mut().enumerate() {
                let o = at + 20 + i * 4;
                *v = u32::from_be_bytes(b.get(o..o + 4)?.try_into().ok()?) as usize;
            }
            Some(c)
        };
        let [isut, isstd, leap, timecnt, typecnt, charcnt] = header(0)?;
        if b[4] < b'2' {
            return None;
        }
        let v1 = timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut;
        let at = 44 + v1;
        let [_, _, _, timecnt, typecnt, _] = header(at)?;
        let mut p = at + 44;
        let mut transitions = Vec::with_capacity(timecnt);
        for _ in 0..timecnt {
            transitions.push(i64::from_be_bytes(b.get(p..p + 8)?.try_into().ok()?));
            p += 8;
        }
        let idx: Vec<usize> = b.get(p..p + timecnt)?.iter().map(|&i| i as usize).collect();
        p += timecnt;
        let mut types = Vec::with_capacity(typecnt);
        for _ in 0..typecnt {
            types.push(i32::from_be_bytes(b.get(p..p + 4)?.try_into().ok()?));
            p += 6;
        }
        let offsets = idx.iter().map(|&i| types.get(i).copied()).collect::<Option<Vec<_>>>()?;
        Some(Tzif { transitions, offsets, initial: *types.first()? })
    }

    fn offset_at(&self, unix_secs: i64) -> i32 {
        match self.transitions.partition_point(|&t| t <= unix_secs) {
            0 => self.initial,
            n => self.offsets[n - 1],
        }
    }
}

// ---------------------------------------------------------------------------
// Input

/// Why a date/time string was rejected.
#[derive(Debug, PartialEq, Eq)]
enum DtErr {
    Syntax,
    FieldOverflow,
    TzOverflow,
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

/// A few common zone abbreviations (PostgreSQL's `Default` set has more),
/// as seconds east of UTC.
fn zone_abbrev(tok: &str) -> Option<i32> {
    let hours = match tok {
        "z" | "utc" | "gmt" | "zulu" | "ut" => 0,
        "est" => -5,
        "edt" | "ast" => -4,
        "cst" => -6,
        "cdt" => -5,
        "mst" => -7,
        "mdt" => -6,
        "pst" => -8,
        "pdt" => -7,
        "cet" | "bst" => 1,
        "cest" | "eet" => 2,
        "eest" | "msk" => 3,
        "jst" => 9,
        _ => return None,
    };
    Some(hours * 3600)
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
    if let Some((mut y, m, d, two_digit)) = ymd {
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
    match f.tz {
        Some(off) => {
            let ts = local.checked_sub(off as i64 * USECS_PER_SEC).ok_or_else(out_of_range)?;
            if (MIN_TIMESTAMP..END_TIMESTAMP).contains(&ts) { Ok(ts) } else { Err(out_of_range()) }
        }
        None => tz.to_utc(local).ok_or_else(out_of_range),
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

/// `interval_in` (postgres style and `@ … ago`).
pub fn parse_interval_text(text: &str) -> Result<Interval> {
    let syntax = || err!(SqlState::INVALID_DATETIME_FORMAT, "invalid input syntax for type interval: \"{text}\"");
    let overflow = || err!(SqlState::DATETIME_FIELD_OVERFLOW, "interval field value out of range: \"{text}\"");
    let s = text.trim().to_ascii_lowercase();
    if let Some(iso) = s.strip_prefix('p') {
        return parse_iso_interval(iso).ok_or_else(syntax);
    }
    let mut acc = IntervalAcc::default();
    let mut ago = false;
    let mut any = false;
    // Each unit at most once, as PostgreSQL's field mask has it.
    let mut seen: Vec<Unit> = Vec::new();
    let tokens: Vec<&str> = s.split_ascii_whitespace().collect();
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i].trim_start_matches('@');
        i += 1;
        if tok.is_empty() {
            continue;
        }
        if tok == "ago" {
            ago = true;
            continue;
        }
        if tok.contains(':') {
            let (neg, body) = match tok.as_bytes()[0] {
                b'-' => (true, &tok[1..]),
                b'+' => (false, &tok[1..]),
                _ => (false, tok),
            };
            // `hh:mm[:ss]`, where hours may exceed 24.
            let mut p = body.split(':');
            let h = p.next().and_then(digits).ok_or_else(syntax)?;
            let m = p.next().and_then(digits).ok_or_else(syntax)?;
            let secs = match p.next() {
                Some(sec) => {
                    let v: f64 = sec.parse().map_err(|_| syntax())?;
                    if !sec.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                        return Err(syntax());
                    }
                    v
                }
                None => 0.0,
            };
            if p.next().is_some() {
                return Err(syntax());
            }
            if m > 59 || secs >= 60.0 {
                return Err(overflow());
            }
            if seen.contains(&Unit::Hour) {
                return Err(syntax());
            }
            seen.push(Unit::Hour);
            let t = h as f64 * 3.6e9 + m as f64 * 6e7 + (secs * 1e6).round();
            acc.micros += if neg { -t } else { t };
            any = true;
            continue;
        }
        // A number, with its unit attached (`1day`) or as the next word.
        let split = tok
            .char_indices()
            .find(|&(j, c)| c.is_ascii_alphabetic() && !(c == 'e' && j > 0))
            .map(|(j, _)| j)
            .unwrap_or(tok.len());
        let (num, attached) = tok.split_at(split);
        let v: f64 = num.parse().map_err(|_| syntax())?;
        if !v.is_finite() || !num.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+')) {
            return Err(syntax());
        }
        let unit = if !attached.is_empty() {
            unit_of(attached).ok_or_else(syntax)?
        } else if let Some(u) = tokens.get(i).and_then(|w| unit_of(w)) {
            i += 1;
            u
        } else {
            Unit::Second
        };
        if seen.contains(&unit) {
            return Err(syntax());
        }
        seen.push(unit);
        acc.add(v, unit);
        any = true;
    }
    if !any {
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

// ---------------------------------------------------------------------------
// Output

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
        out.push(if off < 0 { '-' } else { '+' });
        let a = off.unsigned_abs() as i64;
        push_2(&mut out, a / 3600);
        if a % 3600 != 0 {
            out.push(':');
            push_2(&mut out, a / 60 % 60);
            if a % 60 != 0 {
                out.push(':');
                push_2(&mut out, a % 60);
            }
        }
    }
    if bc {
        out.push_str(" BC");
    }
    out
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

// ---------------------------------------------------------------------------
// Arithmetic

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

// ---------------------------------------------------------------------------
// extract / date_part / date_trunc

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
            use super::numeric::Dec;
            let day = Dec::from_i128(jd as i128)?;
            let frac = Dec::from_i128(time as i128)?.div(&Dec::from_i128(USECS_PER_DAY as i128)?)?;
            day.add(&frac)?.to_string()
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
