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
