//! The `pg_lsn` type and the functions that report positions in the
//! write-ahead log.
//!
//! A tusk LSN is what PostgreSQL's is: a byte position in one continuous
//! log (see `storage/wal`), 64 bits, written as two hexadecimal halves
//! `high/low` in upper case without leading zeros (`16/B374D848`).
//! Values compare as unsigned integers; `pg_lsn - pg_lsn` is the distance
//! in bytes as numeric, and `pg_lsn ± numeric` moves a position by a
//! number of bytes (rounded half away from zero, as numeric's casts do).
//!
//! The WAL functions read the log's three positions, which in tusk are:
//!
//! ```text
//!  flushed ≤ insert
//!  └ pg_current_wal_lsn, pg_current_wal_flush_lsn (written and synced together)
//!            └ pg_current_wal_insert_lsn (where the next record goes)
//! ```
//!
//! tusk's WAL writer writes and syncs in one step, so its write position
//! is its flush position.

use super::numeric::{self, Num};
use super::types::{Datum, PgType};
use crate::err;
use crate::error::{Error, Result, SqlState};

/// `pg_lsn_in`: `high/low`, each one to eight hex digits, nothing else.
pub fn parse(text: &str) -> Result<u64> {
    let bad = || err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type pg_lsn: \"{text}\"");
    let (high, low) = text.split_once('/').ok_or_else(bad)?;
    let half = |s: &str| {
        let hex = !s.is_empty() && s.len() <= 8 && s.bytes().all(|b| b.is_ascii_hexdigit());
        hex.then(|| u32::from_str_radix(s, 16).ok()).flatten()
    };
    match (half(high), half(low)) {
        (Some(h), Some(l)) => Ok((h as u64) << 32 | l as u64),
        _ => Err(bad()),
    }
}

/// `pg_lsn_out`.
pub fn format(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn as u32)
}

/// `pg_lsn - pg_lsn`: the distance in bytes (negative if `b` is later).
pub fn diff(a: u64, b: u64) -> Datum {
    Datum::Numeric((a as i128 - b as i128).to_string())
}

/// `pg_lsn + numeric` (`subtract`: `pg_lsn - numeric`).
pub fn offset(lsn: u64, bytes: &str, subtract: bool) -> Result<Datum> {
    let n = numeric::num(bytes)?;
    if n == Num::NaN {
        let verb = if subtract { "subtract NaN from" } else { "add NaN to" };
        return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot {verb} pg_lsn"));
    }
    let at = Num::from_i128(lsn as i128);
    let moved = if subtract { at.sub(&n)? } else { at.add(&n)? };
    let out_of_range = || err!(SqlState::INVALID_PARAMETER_VALUE, "pg_lsn out of range");
    match moved {
        Num::Fin(d) => {
            let v = d.to_i128_rounded().ok_or_else(out_of_range)?;
            u64::try_from(v).map(Datum::PgLsn).map_err(|_| out_of_range())
        }
        Num::Inf(_) => Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot convert infinity to pg_lsn")),
        Num::NaN => Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot convert NaN to pg_lsn")),
    }
}

/// The pg_lsn operators besides comparison, and the WAL functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LsnFunc {
    /// `pg_lsn - pg_lsn`, `pg_wal_lsn_diff(a, b)`.
    Diff,
    /// `pg_lsn + numeric`, `numeric + pg_lsn` (the binder puts the LSN first).
    Add,
    /// `pg_lsn - numeric`.
    Sub,
    /// `pg_lsn_larger`, `pg_lsn_smaller`.
    Larger,
    Smaller,
    /// `pg_current_wal_lsn()`, `pg_current_wal_flush_lsn()`.
    FlushLsn,
    /// `pg_current_wal_insert_lsn()`.
    InsertLsn,
    /// `pg_walfile_name(lsn)`: the segment file holding the byte before `lsn`.
    WalfileName,
}

/// The functions by name (the operators are bound by the binder).
pub const FUNCTIONS: &[(&str, LsnFunc)] = &[
    ("pg_wal_lsn_diff", LsnFunc::Diff),
    ("pg_lsn_mi", LsnFunc::Diff),
    ("pg_lsn_pli", LsnFunc::Add),
    ("pg_lsn_mii", LsnFunc::Sub),
    ("pg_lsn_larger", LsnFunc::Larger),
    ("pg_lsn_smaller", LsnFunc::Smaller),
    ("pg_current_wal_lsn", LsnFunc::FlushLsn),
    ("pg_current_wal_flush_lsn", LsnFunc::FlushLsn),
    ("pg_current_wal_insert_lsn", LsnFunc::InsertLsn),
    ("pg_walfile_name", LsnFunc::WalfileName),
];

impl LsnFunc {
    pub fn lookup(name: &str) -> Option<LsnFunc> {
        FUNCTIONS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }

    /// Its name (the first of its names).
    pub fn name(self) -> &'static str {
        FUNCTIONS.iter().find(|(_, f)| *f == self).map_or("pg_lsn", |(n, _)| n)
    }

    pub fn signatures(self) -> &'static [(&'static [PgType], PgType)] {
        use PgType::{Numeric, PgLsn, Text};
        match self {
            LsnFunc::Diff => &[(&[PgLsn, PgLsn], Numeric)],
            LsnFunc::Add | LsnFunc::Sub => &[(&[PgLsn, Numeric], PgLsn)],
            LsnFunc::Larger | LsnFunc::Smaller => &[(&[PgLsn, PgLsn], PgLsn)],
            LsnFunc::FlushLsn | LsnFunc::InsertLsn => &[(&[], PgLsn)],
            LsnFunc::WalfileName => &[(&[PgLsn], Text)],
        }
    }

    /// The log positions change from one call to the next.
    pub fn volatile(self) -> bool {
        matches!(self, LsnFunc::FlushLsn | LsnFunc::InsertLsn)
    }

    /// Whether the result depends on the arguments alone.
    pub fn immutable(self) -> bool {
        !self.volatile()
    }
}

/// Where the log stands, as the WAL functions report it.
pub trait WalPositions {
    /// Everything before it is written and durable.
    fn flushed_lsn(&self) -> u64;
    /// Where the next record will be inserted.
    fn insert_lsn(&self) -> u64;
    /// The name of the segment file holding the byte at `lsn`.
    fn segment_file_name(&self, lsn: u64) -> String;
}

impl WalPositions for crate::storage::wal::Wal {
    fn flushed_lsn(&self) -> u64 {
        self.flushed()
    }
    fn insert_lsn(&self) -> u64 {
        self.insert_end()
    }
    fn segment_file_name(&self, lsn: u64) -> String {
        self.segment_name(lsn)
    }
}

/// Compute `f` of non-null `args`.
pub fn call(f: LsnFunc, args: &[Datum], wal: Option<&dyn WalPositions>) -> Result<Datum> {
    let lsn = |i: usize| match args.get(i) {
        Some(Datum::PgLsn(v)) => Ok(*v),
        _ => Err(Error::internal("pg_lsn argument expected")),
    };
    let wal = || wal.ok_or_else(|| Error::internal("the write-ahead log is not at hand"));
    Ok(match f {
        LsnFunc::Diff => diff(lsn(0)?, lsn(1)?),
        LsnFunc::Add | LsnFunc::Sub => match args.get(1) {
            Some(Datum::Numeric(n)) => offset(lsn(0)?, n, f == LsnFunc::Sub)?,
            _ => return Err(Error::internal("numeric argument expected")),
        },
        LsnFunc::Larger => Datum::PgLsn(lsn(0)?.max(lsn(1)?)),
        LsnFunc::Smaller => Datum::PgLsn(lsn(0)?.min(lsn(1)?)),
        LsnFunc::FlushLsn => Datum::PgLsn(wal()?.flushed_lsn()),
        LsnFunc::InsertLsn => Datum::PgLsn(wal()?.insert_lsn()),
        // PostgreSQL names the segment of the byte before: an LSN these
        // functions return is the end of what was written.
        LsnFunc::WalfileName => Datum::Text(wal()?.segment_file_name(lsn(0)?.saturating_sub(1))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for (text, v) in [("0/0", 0), ("16/B374D848", 0x16_B374_D848), ("FFFFFFFF/FFFFFFFF", u64::MAX)] {
            assert_eq!(parse(text).unwrap(), v);
            assert_eq!(format(v), text);
        }
        assert_eq!(parse("a/0b").unwrap(), 0xA_0000_000B);
        for bad in ["x", "1/", "/1", " 1/2", "1/2 ", "100000000/0", "-1/0", "0x1/0", "1/2/3", "+1/0"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_rounds_and_checks_range() {
        assert_eq!(offset(1 << 32, "1.5", false).unwrap(), Datum::PgLsn((1 << 32) + 2));
        assert_eq!(offset(1 << 32, "0.5", true).unwrap(), Datum::PgLsn(1 << 32));
        assert!(offset(u64::MAX, "1", false).is_err());
        assert!(offset(0, "1", true).is_err());
        assert_eq!(diff(0, u64::MAX), Datum::Numeric("-18446744073709551615".into()));
    }
}
