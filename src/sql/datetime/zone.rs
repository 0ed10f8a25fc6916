//! Time zones: the session's `TimeZone` (UTC, a fixed offset or a zone
//! read from the system's zoneinfo files) and the zones `AT TIME ZONE` names.

use super::*;

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

/// The zoneinfo zone a date/time string names (`2024-03-10 02:30
/// America/New_York`), looked up without regard to case as PostgreSQL's
/// are; `name` is lowercase. Zones once read are kept.
pub(crate) fn zone_named(name: &str) -> Option<TimeZone> {
    type Known = std::collections::HashMap<String, Option<Arc<Tzif>>>;
    static KNOWN: std::sync::OnceLock<parking_lot::Mutex<Known>> = std::sync::OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    if let Some(z) = known.lock().get(name) {
        return z.clone().map(TimeZone::Named);
    }
    let zone = zoneinfo_path(name).and_then(|p| Tzif::load(&p)).map(Arc::new);
    let mut known = known.lock();
    // Strings naming no zone are not remembered past a bound.
    if zone.is_some() || known.len() < 4096 {
        known.insert(name.to_string(), zone.clone());
    }
    zone.map(TimeZone::Named)
}

/// The path under the zoneinfo directory whose components match the
/// lowercase `name`'s, ignoring case.
fn zoneinfo_path(name: &str) -> Option<String> {
    if name.is_empty() || name.contains("..") || name.starts_with('/') {
        return None;
    }
    let mut dir = std::path::PathBuf::from("/usr/share/zoneinfo");
    let mut path = Vec::new();
    for part in name.split('/') {
        let entry = std::fs::read_dir(&dir)
            .ok()?
            .flatten()
            .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(part))?;
        let found = entry.file_name().to_string_lossy().into_owned();
        dir.push(&found);
        path.push(found);
    }
    Some(path.join("/"))
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
    /// The footer's rule for instants after the last transition.
    rule: Option<PosixTz>,
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
        let [isut, isstd, leap, timecnt, typecnt, charcnt] = header(at)?;
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
        // The footer, `\n<POSIX TZ string>\n`, rules the time after the last transition.
        p += charcnt + leap * 12 + isstd + isut;
        let rule = b
            .get(p + 1..)
            .and_then(|rest| rest.split(|&c| c == b'\n').next())
            .and_then(|f| std::str::from_utf8(f).ok())
            .and_then(PosixTz::parse);
        Some(Tzif { transitions, offsets, initial: *types.first()?, rule })
    }

    fn offset_at(&self, unix_secs: i64) -> i32 {
        match self.transitions.partition_point(|&t| t <= unix_secs) {
            0 => self.initial,
            n if n == self.transitions.len() && self.rule.is_some() => {
                self.rule.as_ref().map_or(self.offsets[n - 1], |r| r.offset_at(unix_secs))
            }
            n => self.offsets[n - 1],
        }
    }
}

/// A POSIX TZ rule (`EST5EDT,M3.2.0,M11.1.0`): standard and daylight
/// offsets (seconds east) and when daylight time starts and ends.
#[derive(Debug)]
struct PosixTz {
    std: i32,
    dst: Option<(i32, DstRule, DstRule)>,
}

/// A day of the year (`Mm.w.d`, `Jn`, `n`) and a local time in seconds.
#[derive(Debug)]
enum DstRule {
    MonthWeekDay(i32, i32, i32, i64),
    JulianNoLeap(i32, i64),
    ZeroBased(i32, i64),
}

impl PosixTz {
    fn parse(s: &str) -> Option<PosixTz> {
        let mut rest = s;
        let name = |rest: &mut &str| -> Option<()> {
            if let Some(r) = rest.strip_prefix('<') {
                let end = r.find('>')?;
                *rest = &r[end + 1..];
            } else {
                let end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
                if end < 3 {
                    return None;
                }
                *rest = &rest[end..];
            }
            Some(())
        };
        // `[+-]hh[:mm[:ss]]`, POSIX's sign: positive is west.
        let offset = |rest: &mut &str| -> Option<i64> {
            let end = rest.find(|c: char| !(c.is_ascii_digit() || matches!(c, ':' | '+' | '-'))).unwrap_or(rest.len());
            let text = &rest[..end];
            *rest = &rest[end..];
            let (sign, body) = match text.as_bytes().first()? {
                b'-' => (-1, &text[1..]),
                b'+' => (1, &text[1..]),
                _ => (1, text),
            };
            let mut secs = 0i64;
            for (i, part) in body.split(':').enumerate() {
                secs += part.parse::<i64>().ok()? * [3600, 60, 1].get(i)?;
            }
            Some(sign * secs)
        };
        name(&mut rest)?;
        let std = -offset(&mut rest)? as i32;
        if rest.is_empty() {
            return Some(PosixTz { std, dst: None });
        }
        name(&mut rest)?;
        let dst = if rest.starts_with(',') { std + 3600 } else { -offset(&mut rest)? as i32 };
        let mut rules = rest.strip_prefix(',')?.split(',').map(|r| {
            let (day, time) = match r.split_once('/') {
                Some((d, t)) => (d, offset(&mut { t })?),
                None => (r, 7200),
            };
            Some(if let Some(m) = day.strip_prefix('M') {
                let v: Vec<i32> = m.split('.').map(|x| x.parse().ok()).collect::<Option<_>>()?;
                DstRule::MonthWeekDay(*v.first()?, *v.get(1)?, *v.get(2)?, time)
            } else if let Some(n) = day.strip_prefix('J') {
                DstRule::JulianNoLeap(n.parse().ok()?, time)
            } else {
                DstRule::ZeroBased(day.parse().ok()?, time)
            })
        });
        let (start, end) = (rules.next()??, rules.next()??);
        Some(PosixTz { std, dst: Some((dst, start, end)) })
    }

    /// Unix seconds of a rule's moment in `year`, given the offset in effect before it.
    fn moment(rule: &DstRule, year: i32, offset_before: i32) -> i64 {
        let (jd, time) = match *rule {
            DstRule::MonthWeekDay(m, w, d, t) => {
                let first = date2j(year, m, 1);
                let mut day = 1 + (d as i64 - j2day(first)).rem_euclid(7) + (w as i64 - 1) * 7;
                while day > days_in_month(year, m) as i64 {
                    day -= 7;
                }
                (first + day - 1, t)
            }
            DstRule::JulianNoLeap(n, t) => {
                let leap_shift = (is_leap(year) && n >= 60) as i64;
                (date2j(year, 1, 1) + n as i64 - 1 + leap_shift, t)
            }
            DstRule::ZeroBased(n, t) => (date2j(year, 1, 1) + n as i64, t),
        };
        (jd - UNIX_EPOCH_JDATE as i64) * 86400 + time - offset_before as i64
    }

    fn offset_at(&self, unix_secs: i64) -> i32 {
        let Some((dst, start, end)) = &self.dst else { return self.std };
        let year = j2date((unix_secs + self.std as i64).div_euclid(86400) + UNIX_EPOCH_JDATE as i64).0;
        let (s, e) = (PosixTz::moment(start, year, self.std), PosixTz::moment(end, year, *dst));
        let in_dst = if s < e { s <= unix_secs && unix_secs < e } else { !(e <= unix_secs && unix_secs < s) };
        if in_dst { *dst } else { self.std }
    }
}

/// A few common zone abbreviations (PostgreSQL's `Default` set has more),
/// as seconds east of UTC.
pub(crate) fn zone_abbrev(tok: &str) -> Option<i32> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(s: &str) -> i64 {
        let ts = parse_timestamp_text(s, true, &TimeZone::UTC).unwrap();
        ts.div_euclid(USECS_PER_SEC) + PG_TO_UNIX_SECS
    }

    #[test]
    fn posix_rules_north_and_south() {
        let ny = PosixTz::parse("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!(ny.offset_at(unix("2050-07-01 12:00+00")), -4 * 3600);
        assert_eq!(ny.offset_at(unix("2050-01-01 12:00+00")), -5 * 3600);
        // 2050-03-13 02:00 EST is 07:00 UTC.
        assert_eq!(ny.offset_at(unix("2050-03-13 06:59:59+00")), -5 * 3600);
        assert_eq!(ny.offset_at(unix("2050-03-13 07:00+00")), -4 * 3600);
        let sydney = PosixTz::parse("AEST-10AEDT,M10.1.0,M4.1.0/3").unwrap();
        assert_eq!(sydney.offset_at(unix("2050-01-01 00:00+00")), 11 * 3600);
        assert_eq!(sydney.offset_at(unix("2050-07-01 00:00+00")), 10 * 3600);
        let fixed = PosixTz::parse("<+0530>-5:30").unwrap();
        assert_eq!(fixed.offset_at(0), 5 * 3600 + 1800);
        assert!(PosixTz::parse("").is_none());
    }

    #[test]
    fn setting_names() {
        assert_eq!(TimeZone::from_setting("Etc/UTC").offset_at_utc(0), 0);
        assert_eq!(TimeZone::from_setting("-3").offset_at_utc(0), -3 * 3600);
        // With a colon it is a POSIX offset: hours west.
        assert_eq!(TimeZone::from_setting("+05:30").offset_at_utc(0), -(5 * 3600 + 1800));
    }
}
