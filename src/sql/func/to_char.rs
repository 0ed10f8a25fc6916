//! `to_char(timestamp, template)`: a point in time printed by a template
//! of PostgreSQL's patterns. Supported: `YYYY YYY YY Y`, `MM`, `DD`, `DDD`,
//! `D`, `HH HH12 HH24`, `MI`, `SS`, `MS`, `US`, `AM PM am pm A.M. P.M.
//! a.m. p.m.`, `Month MONTH month Mon MON mon`, `Day DAY day Dy DY dy`,
//! the `FM` prefix (no padding), and `"quoted"` literal text; any other
//! character is copied. The patterns PostgreSQL knows that are not built
//! here (week numbering, ISO years, time zones, ordinal suffixes, …) are
//! refused with 0A000 rather than printed wrongly.

use crate::error::{Error, Result};
use crate::sql::datetime;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// PostgreSQL's patterns that are not built, longest first so that a
/// prefix does not hide a longer one.
const NOT_BUILT: &[&str] = &[
    "SSSSS", "SSSS", "IDDD", "IYYY", "Y,YYY", "B.C.", "A.D.", "b.c.", "a.d.", "TZH", "TZM", "IYY", "FF1", "FF2", "FF3",
    "FF4", "FF5", "FF6", "IY", "IW", "ID", "WW", "CC", "RM", "rm", "TZ", "tz", "OF", "BC", "AD", "bc", "ad", "TH",
    "th", "FX", "SP", "TM", "J", "Q", "W", "I",
];

/// The fields of a local timestamp.
struct Parts {
    year: i32,
    month: i32,
    day: i32,
    hour: i64,
    minute: i64,
    second: i64,
    micros: i64,
    dow: usize,
    doy: i64,
}

fn parts(ts: i64) -> Parts {
    let jd = ts.div_euclid(datetime::USECS_PER_DAY) + datetime::POSTGRES_EPOCH_JDATE as i64;
    let time = ts.rem_euclid(datetime::USECS_PER_DAY);
    let (year, month, day) = datetime::j2date(jd);
    let doy = jd - datetime::date2j(year, 1, 1) + 1;
    Parts {
        year,
        month,
        day,
        hour: time / datetime::USECS_PER_HOUR,
        minute: time / datetime::USECS_PER_MINUTE % 60,
        second: time / datetime::USECS_PER_SEC % 60,
        micros: time % datetime::USECS_PER_SEC,
        dow: (jd + 1).rem_euclid(7) as usize,
        doy,
    }
}

/// `to_char` of local timestamp `ts` (NULL for an infinite one or an
/// empty template, as PostgreSQL gives).
pub fn timestamp(ts: i64, template: &str) -> Result<Option<String>> {
    if !datetime::is_finite_ts(ts) || template.is_empty() {
        return Ok(None);
    }
    let p = parts(ts);
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    let mut fill_mode = false;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("FM") {
            fill_mode = true;
            rest = r;
            continue;
        }
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').unwrap_or(r.len());
            out.push_str(&r[..end]);
            rest = r.get(end + 1..).unwrap_or("");
            continue;
        }
        let num = |v: i64, width: usize| {
            if fill_mode { v.to_string() } else { format!("{v:0width$}") }
        };
        let name = |s: &str, case: &str| {
            let s = match case {
                "upper" => s.to_uppercase(),
                "lower" => s.to_lowercase(),
                _ => s.to_string(),
            };
            if fill_mode { s } else { format!("{s:<9}") }
        };
        let hour12 = if p.hour % 12 == 0 { 12 } else { p.hour % 12 };
        let pm = p.hour >= 12;
        let year = if p.year <= 0 { 1 - p.year as i64 } else { p.year as i64 };
        let (len, text) = match rest {
            r if r.starts_with("HH24") => (4, num(p.hour, 2)),
            r if r.starts_with("HH12") => (4, num(hour12, 2)),
            r if r.starts_with("HH") => (2, num(hour12, 2)),
            r if r.starts_with("MI") => (2, num(p.minute, 2)),
            r if r.starts_with("SS") && !r.starts_with("SSSS") => (2, num(p.second, 2)),
            r if r.starts_with("MS") => (2, num(p.micros / 1000, 3)),
            r if r.starts_with("US") => (2, num(p.micros, 6)),
            r if r.starts_with("A.M.") || r.starts_with("P.M.") => (4, (if pm { "P.M." } else { "A.M." }).into()),
            r if r.starts_with("a.m.") || r.starts_with("p.m.") => (4, (if pm { "p.m." } else { "a.m." }).into()),
            r if r.starts_with("AM") || r.starts_with("PM") => (2, (if pm { "PM" } else { "AM" }).into()),
            r if r.starts_with("am") || r.starts_with("pm") => (2, (if pm { "pm" } else { "am" }).into()),
            r if r.starts_with("YYYY") => (4, num(year, 4)),
            r if r.starts_with("YYY") => (3, num(year % 1000, 3)),
            r if r.starts_with("YY") => (2, num(year % 100, 2)),
            r if r.starts_with('Y') && !r.starts_with("Y,YYY") => (1, num(year % 10, 1)),
            r if r.starts_with("MONTH") => (5, name(MONTHS[p.month as usize - 1], "upper")),
            r if r.starts_with("Month") => (5, name(MONTHS[p.month as usize - 1], "")),
            r if r.starts_with("month") => (5, name(MONTHS[p.month as usize - 1], "lower")),
            r if r.starts_with("MON") => (3, MONTHS[p.month as usize - 1][..3].to_uppercase()),
            r if r.starts_with("Mon") => (3, MONTHS[p.month as usize - 1][..3].to_string()),
            r if r.starts_with("mon") => (3, MONTHS[p.month as usize - 1][..3].to_lowercase()),
            r if r.starts_with("MM") => (2, num(p.month as i64, 2)),
            r if r.starts_with("DAY") => (3, name(DAYS[p.dow], "upper")),
            r if r.starts_with("Day") => (3, name(DAYS[p.dow], "")),
            r if r.starts_with("day") => (3, name(DAYS[p.dow], "lower")),
            r if r.starts_with("DY") => (2, DAYS[p.dow][..3].to_uppercase()),
            r if r.starts_with("Dy") => (2, DAYS[p.dow][..3].to_string()),
            r if r.starts_with("dy") => (2, DAYS[p.dow][..3].to_lowercase()),
            r if r.starts_with("DDD") => (3, num(p.doy, 3)),
            r if r.starts_with("DD") => (2, num(p.day as i64, 2)),
            r if r.starts_with('D') => (1, num(p.dow as i64 + 1, 1)),
            r => {
                if let Some(pattern) = NOT_BUILT.iter().find(|n| r.starts_with(**n)) {
                    return Err(Error::not_supported(format!("the to_char pattern \"{pattern}\"")));
                }
                let c = r.chars().next().unwrap_or(' ');
                (c.len_utf8(), c.to_string())
            }
        };
        out.push_str(&text);
        rest = &rest[len..];
        fill_mode = false;
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_postgres() {
        // 2024-03-05 14:07:09.123456
        let ts = (datetime::date2j(2024, 3, 5) - datetime::POSTGRES_EPOCH_JDATE as i64) * datetime::USECS_PER_DAY
            + 14 * datetime::USECS_PER_HOUR
            + 7 * datetime::USECS_PER_MINUTE
            + 9 * datetime::USECS_PER_SEC
            + 123_456;
        let f = |t: &str| timestamp(ts, t).unwrap().unwrap();
        assert_eq!(f("YYYY-MM-DD HH24:MI:SS.US"), "2024-03-05 14:07:09.123456");
        assert_eq!(f("HH12 AM Mon Dy FMDD"), "02 PM Mar Tue 5");
        assert_eq!(f("Month|FMMonth|"), "March    |March|");
        assert!(timestamp(ts, "IW").is_err());
    }
}
