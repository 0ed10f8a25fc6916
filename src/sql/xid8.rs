//! The `xid8` type, the snapshot types `pg_snapshot` and `txid_snapshot`,
//! and the functions that report on transactions (PostgreSQL's
//! `xid8funcs.c`).
//!
//! tusk's transaction ids are 64 bits and never wrap, so an `xid8` is
//! simply the id: PostgreSQL's FullTransactionId without an epoch to
//! compute. `xid8` values compare as unsigned integers. The older `txid_*`
//! functions give the same ids as `bigint`, and take a `txid_snapshot`,
//! which is a `pg_snapshot` by another name.
//!
//! A snapshot value is the snapshot the statement reads with (see
//! [`crate::txn::Snapshot`]): transactions below `xmin` had ended when it
//! was taken, those at or above `xmax` had not started (or are the
//! reader's own), and `xip` lists the others in between that were
//! running, the reader's own transaction left out as PostgreSQL leaves it
//! (see [`XidSnapshot::of`]). Its text form is `xmin:xmax:xip1,xip2,…`.
//!
//! ```text
//!  pg_current_xact_id()  ── assigns the top-level id if the transaction has none
//!  pg_xact_status(id)    ── the commit log: committed / aborted / in progress
//!  pg_current_snapshot() ── the statement's snapshot
//! ```

use bytes::BufMut;

use super::expr::EvalContext;
use super::types::{Datum, PgType};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::txn::TransactionManager;
use crate::txn::clog::XidStatus;

/// `xid8in`: PostgreSQL reads the text with `strtou64(text, NULL, 0)` and
/// checks nothing, so it accepts what C's `strtoull` does: leading blanks,
/// a sign (a minus wraps), a `0x` prefix for hexadecimal or a leading `0`
/// for octal, and it stops at the first character that is not a digit
/// (no digits: 0). A value too large reads as the largest one.
pub fn parse(text: &str) -> u64 {
    strtou64(text, 0).0
}

/// C's `strtoull(text, &end, base)` for base 0 or 10: the value and how
/// many bytes it read (0 when there are no digits).
fn strtou64(text: &str, base: u32) -> (u64, usize) {
    let b = text.as_bytes();
    let mut i = b.iter().take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)).count();
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut radix = if base == 0 { 10 } else { base };
    if base == 0 && b.get(i) == Some(&b'0') {
        let hex = matches!(b.get(i + 1), Some(b'x' | b'X')) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if hex {
            radix = 16;
            i += 2;
        } else {
            radix = 8;
        }
    }
    let start = i;
    let mut value: u64 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(radix)) {
        match value.checked_mul(radix as u64).and_then(|v| v.checked_add(d as u64)) {
            Some(v) => value = v,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    let value = match (overflow, negative) {
        (true, _) => u64::MAX,
        (false, true) => value.wrapping_neg(),
        (false, false) => value,
    };
    (value, i)
}

/// A `pg_snapshot` (or `txid_snapshot`) value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XidSnapshot {
    pub xmin: u64,
    pub xmax: u64,
    /// The transactions in progress, ascending, without duplicates.
    pub xip: Vec<u64>,
}

impl XidSnapshot {
    /// The value of the snapshot a statement reads with, for a
    /// transaction whose own ids `mine` tells. As PostgreSQL's, it leaves
    /// the transaction's own ids out of the running ones (they count in
    /// `xmin`), and `xmax` stops below the own ids that were the last
    /// assigned: the snapshot of a transaction alone is `id:id:`.
    pub fn of(snap: &crate::txn::Snapshot, mine: impl Fn(u64) -> bool) -> XidSnapshot {
        let mut running = snap.running.clone();
        running.sort_unstable();
        running.dedup();
        let mut xmax = snap.xmax;
        while xmax > snap.xmin && running.binary_search(&(xmax - 1)).is_ok() && mine(xmax - 1) {
            xmax -= 1;
        }
        let xip = running.into_iter().filter(|&x| x < xmax && !mine(x)).collect();
        XidSnapshot { xmin: snap.xmin, xmax, xip }
    }

    /// `pg_snapshot_in`: `xmin:xmax:` and the running ids, ascending,
    /// between the two (duplicates are dropped). `txid_snapshot` input is
    /// the same function, and its errors name `pg_snapshot` too.
    pub fn parse(text: &str) -> Result<XidSnapshot> {
        let bad =
            || err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type pg_snapshot: \"{text}\"");
        let (xmin, n) = strtou64(text, 10);
        let rest = text[n..].strip_prefix(':').ok_or_else(bad)?;
        let (xmax, n) = strtou64(rest, 10);
        let mut rest = rest[n..].strip_prefix(':').ok_or_else(bad)?;
        if xmin == 0 || xmax == 0 || xmax < xmin {
            return Err(bad());
        }
        let mut xip = Vec::new();
        let mut last = 0;
        while !rest.is_empty() {
            let (v, n) = strtou64(rest, 10);
            rest = &rest[n..];
            if v < xmin || v >= xmax || v < last {
                return Err(bad());
            }
            if v != last {
                xip.push(v);
            }
            last = v;
            match rest.strip_prefix(',') {
                Some(r) => rest = r,
                None if rest.is_empty() => {}
                None => return Err(bad()),
            }
        }
        Ok(XidSnapshot { xmin, xmax, xip })
    }

    /// `pg_snapshot_out`.
    pub fn format(&self) -> String {
        let xip: Vec<String> = self.xip.iter().map(u64::to_string).collect();
        format!("{}:{}:{}", self.xmin, self.xmax, xip.join(","))
    }

    /// `pg_snapshot_send`: the number of running ids (int4), xmin and xmax
    /// (int8), then the ids.
    pub fn write_binary(&self, out: &mut impl BufMut) {
        out.put_i32(self.xip.len() as i32);
        out.put_u64(self.xmin);
        out.put_u64(self.xmax);
        for x in &self.xip {
            out.put_u64(*x);
        }
    }

    /// `pg_snapshot_recv`, which checks what the text input does, but
    /// for an id equal to `xmax`, which it lets by. Bytes missing are a
    /// protocol violation, as `pq_getmsgint64` finds them; bytes left
    /// over are the caller's error (it gets how many were read).
    pub fn read_binary(bytes: &[u8]) -> Result<(XidSnapshot, usize)> {
        let bad = || err!(SqlState::INVALID_BINARY_REPRESENTATION, "invalid external pg_snapshot data");
        let word = |at: usize, len: usize| {
            bytes
                .get(at..at + len)
                .ok_or_else(|| err!(SqlState::PROTOCOL_VIOLATION, "insufficient data left in message"))
        };
        let id = |at: usize| word(at, 8).map(|b| u64::from_be_bytes(b.try_into().unwrap_or_default()));
        let n = i32::from_be_bytes(word(0, 4)?.try_into().unwrap_or_default());
        if n < 0 {
            return Err(bad());
        }
        let (xmin, xmax) = (id(4)?, id(12)?);
        if xmin == 0 || xmax == 0 || xmax < xmin {
            return Err(bad());
        }
        let mut xip: Vec<u64> = Vec::new();
        for i in 0..n as usize {
            let x = id(20 + 8 * i)?;
            if x < xmin || x > xmax || xip.last().is_some_and(|&l| x < l) {
                return Err(bad());
            }
            if xip.last() != Some(&x) {
                xip.push(x);
            }
        }
        Ok((XidSnapshot { xmin, xmax, xip }, 20 + 8 * n as usize))
    }

    /// The stored form: xmin, xmax, then the running ids (little-endian).
    pub fn storage_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 8 * self.xip.len());
        for v in [self.xmin, self.xmax].iter().chain(&self.xip) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    pub fn from_storage(b: &[u8]) -> Option<XidSnapshot> {
        if b.len() < 16 || b.len() % 8 != 0 {
            return None;
        }
        let mut words = b.chunks_exact(8).map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
        let (xmin, xmax) = (words.next()?, words.next()?);
        Some(XidSnapshot { xmin, xmax, xip: words.collect() })
    }

    /// `pg_visible_in_snapshot`: whether `xid` had ended when the snapshot
    /// was taken (committed or not: the caller asks the commit log).
    pub fn sees(&self, xid: u64) -> bool {
        xid < self.xmin || (xid < self.xmax && self.xip.binary_search(&xid).is_err())
    }
}

const XID8_ARRAY: PgType = PgType::array_by_oid(271);
const INT8_ARRAY: PgType = PgType::array_by_oid(1016);

/// The transaction functions, and the `xid8` ones besides comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XactFunc {
    /// `pg_current_xact_id()`; `txid_current()` (as bigint) when legacy.
    CurrentId {
        legacy: bool,
    },
    /// `pg_current_xact_id_if_assigned()`, `txid_current_if_assigned()`.
    CurrentIdIfAssigned {
        legacy: bool,
    },
    /// `pg_xact_status(xid8)`, `txid_status(bigint)`.
    Status {
        legacy: bool,
    },
    /// `pg_current_snapshot()`, `txid_current_snapshot()`.
    CurrentSnapshot {
        legacy: bool,
    },
    /// `pg_snapshot_xmin`, `txid_snapshot_xmin`.
    SnapshotXmin {
        legacy: bool,
    },
    /// `pg_snapshot_xmax`, `txid_snapshot_xmax`.
    SnapshotXmax {
        legacy: bool,
    },
    /// `pg_visible_in_snapshot(xid8, pg_snapshot)`,
    /// `txid_visible_in_snapshot(bigint, txid_snapshot)`.
    Visible {
        legacy: bool,
    },
    /// `xid8cmp`: -1, 0 or 1.
    Cmp,
    /// `xid8_larger`, `xid8_smaller`.
    Larger,
    Smaller,
    /// The running ids of a snapshot as an array, for `pg_snapshot_xip`
    /// (or, `legacy`, `txid_snapshot_xip`) in FROM, which reads its
    /// elements (not callable by name).
    XipArray {
        legacy: bool,
    },
}

/// The functions by name (`pg_snapshot_xip` and `txid_snapshot_xip` are
/// set-returning, see [`super::srf`]).
pub const FUNCTIONS: &[(&str, XactFunc)] = &[
    ("pg_current_xact_id", XactFunc::CurrentId { legacy: false }),
    ("txid_current", XactFunc::CurrentId { legacy: true }),
    ("pg_current_xact_id_if_assigned", XactFunc::CurrentIdIfAssigned { legacy: false }),
    ("txid_current_if_assigned", XactFunc::CurrentIdIfAssigned { legacy: true }),
    ("pg_xact_status", XactFunc::Status { legacy: false }),
    ("txid_status", XactFunc::Status { legacy: true }),
    ("pg_current_snapshot", XactFunc::CurrentSnapshot { legacy: false }),
    ("txid_current_snapshot", XactFunc::CurrentSnapshot { legacy: true }),
    ("pg_snapshot_xmin", XactFunc::SnapshotXmin { legacy: false }),
    ("txid_snapshot_xmin", XactFunc::SnapshotXmin { legacy: true }),
    ("pg_snapshot_xmax", XactFunc::SnapshotXmax { legacy: false }),
    ("txid_snapshot_xmax", XactFunc::SnapshotXmax { legacy: true }),
    ("pg_visible_in_snapshot", XactFunc::Visible { legacy: false }),
    ("txid_visible_in_snapshot", XactFunc::Visible { legacy: true }),
    ("xid8cmp", XactFunc::Cmp),
    ("xid8_larger", XactFunc::Larger),
    ("xid8_smaller", XactFunc::Smaller),
];

impl XactFunc {
    pub fn lookup(name: &str) -> Option<XactFunc> {
        FUNCTIONS.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }

    pub fn name(self) -> &'static str {
        match self {
            XactFunc::XipArray { legacy: false } => "pg_snapshot_xip",
            XactFunc::XipArray { legacy: true } => "txid_snapshot_xip",
            _ => FUNCTIONS.iter().find(|(_, f)| *f == self).map_or("xid8", |(n, _)| n),
        }
    }

    pub fn signatures(self) -> &'static [(&'static [PgType], PgType)] {
        use PgType::{Bool, Int4, Int8, PgSnapshot, Text, TxidSnapshot, Xid8};
        match self {
            XactFunc::CurrentId { legacy: false } | XactFunc::CurrentIdIfAssigned { legacy: false } => &[(&[], Xid8)],
            XactFunc::CurrentId { legacy: true } | XactFunc::CurrentIdIfAssigned { legacy: true } => &[(&[], Int8)],
            XactFunc::Status { legacy: false } => &[(&[Xid8], Text)],
            XactFunc::Status { legacy: true } => &[(&[Int8], Text)],
            XactFunc::CurrentSnapshot { legacy: false } => &[(&[], PgSnapshot)],
            XactFunc::CurrentSnapshot { legacy: true } => &[(&[], TxidSnapshot)],
            XactFunc::SnapshotXmin { legacy: false } | XactFunc::SnapshotXmax { legacy: false } => {
                &[(&[PgSnapshot], Xid8)]
            }
            XactFunc::SnapshotXmin { legacy: true } | XactFunc::SnapshotXmax { legacy: true } => {
                &[(&[TxidSnapshot], Int8)]
            }
            XactFunc::Visible { legacy: false } => &[(&[Xid8, PgSnapshot], Bool)],
            XactFunc::Visible { legacy: true } => &[(&[Int8, TxidSnapshot], Bool)],
            XactFunc::Cmp => &[(&[Xid8, Xid8], Int4)],
            XactFunc::Larger | XactFunc::Smaller => &[(&[Xid8, Xid8], Xid8)],
            XactFunc::XipArray { legacy: false } => &[(&[PgSnapshot], XID8_ARRAY)],
            XactFunc::XipArray { legacy: true } => &[(&[TxidSnapshot], INT8_ARRAY)],
        }
    }

    /// Whether the result depends on the arguments alone (the others read
    /// the transaction's state, and must not be computed ahead).
    pub fn immutable(self) -> bool {
        !matches!(
            self,
            XactFunc::CurrentId { .. }
                | XactFunc::CurrentIdIfAssigned { .. }
                | XactFunc::Status { .. }
                | XactFunc::CurrentSnapshot { .. }
        )
    }

    /// `pg_xact_status` may answer differently within one statement.
    pub fn volatile(self) -> bool {
        matches!(self, XactFunc::Status { .. })
    }
}

/// An `xid8` (or, for the legacy functions, `bigint`) argument.
fn id_arg(d: Option<&Datum>) -> Result<u64> {
    match d {
        Some(Datum::Xid8(v)) => Ok(*v),
        Some(Datum::Int8(v)) => Ok(*v as u64),
        _ => Err(Error::internal("transaction id argument expected")),
    }
}

fn snapshot_arg(d: Option<&Datum>) -> Result<&XidSnapshot> {
    match d {
        Some(Datum::Snapshot(s)) => Ok(s),
        _ => Err(Error::internal("snapshot argument expected")),
    }
}

/// An id as the function returns it.
fn id_datum(v: u64, legacy: bool) -> Datum {
    if legacy { Datum::Int8(v as i64) } else { Datum::Xid8(v) }
}

/// Compute `f` of non-null `args`.
pub fn call(f: XactFunc, args: &[Datum], ctx: &mut dyn EvalContext) -> Result<Datum> {
    let not_at_hand = || Error::internal("the transaction is not at hand");
    Ok(match f {
        XactFunc::CurrentId { legacy } => ctx.top_xid(true)?.map_or(Datum::Null, |x| id_datum(x, legacy)),
        XactFunc::CurrentIdIfAssigned { legacy } => ctx.top_xid(false)?.map_or(Datum::Null, |x| id_datum(x, legacy)),
        XactFunc::Status { .. } => {
            let (txns, me) = ctx.transaction_manager().ok_or_else(not_at_hand)?;
            status(txns, me, id_arg(args.first())?)?.map_or(Datum::Null, |s| Datum::Text(s.to_string()))
        }
        XactFunc::CurrentSnapshot { .. } => {
            let snap = ctx.reading_snapshot().ok_or_else(not_at_hand)?;
            let (txns, me) = ctx.transaction_manager().ok_or_else(not_at_hand)?;
            Datum::Snapshot(Box::new(XidSnapshot::of(&snap, |x| txns.is_mine(x, me))))
        }
        XactFunc::SnapshotXmin { legacy } => id_datum(snapshot_arg(args.first())?.xmin, legacy),
        XactFunc::SnapshotXmax { legacy } => id_datum(snapshot_arg(args.first())?.xmax, legacy),
        XactFunc::Visible { .. } => Datum::Bool(snapshot_arg(args.get(1))?.sees(id_arg(args.first())?)),
        XactFunc::Cmp => Datum::Int4(id_arg(args.first())?.cmp(&id_arg(args.get(1))?) as i32),
        XactFunc::Larger => Datum::Xid8(id_arg(args.first())?.max(id_arg(args.get(1))?)),
        XactFunc::Smaller => Datum::Xid8(id_arg(args.first())?.min(id_arg(args.get(1))?)),
        XactFunc::XipArray { legacy } => {
            let ids = snapshot_arg(args.first())?.xip.iter().map(|&x| id_datum(x, legacy)).collect();
            let elem = if legacy { PgType::Int8 } else { PgType::Xid8 };
            super::array::ArrayValue::new(elem, ids).into_datum()
        }
    })
}

/// `pg_xact_status(xid)`, asked by a transaction reading as `me` (0 if
/// it has no id): NULL for the invalid id 0 and for ids older than the
/// commit log keeps; ids in the future are an error. The special ids 1
/// (bootstrap) and 2 (frozen) count as committed, as in PostgreSQL. Its
/// own transaction is in progress; another is what the commit log says,
/// or in progress while it runs, or else aborted (a crash aborts).
pub fn status(txns: &TransactionManager, me: u64, xid: u64) -> Result<Option<&'static str>> {
    if xid == 0 {
        return Ok(None);
    }
    if xid < crate::txn::FIRST_NORMAL_XID {
        return Ok(Some("committed"));
    }
    if xid >= txns.next_xid() {
        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "transaction ID {xid} is in the future"));
    }
    if xid < txns.clog.oldest_xid() {
        return Ok(None);
    }
    Ok(Some(if txns.is_mine(xid, me) {
        "in progress"
    } else if txns.status(xid)? == XidStatus::Committed {
        "committed"
    } else if txns.is_running(xid) {
        "in progress"
    } else {
        "aborted"
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_reads_as_strtoull() {
        for (text, v) in [
            ("12", 12),
            (" 12 ", 12),
            ("0x10", 16),
            ("010", 8),
            ("abc", 0),
            ("12abc", 12),
            ("-1", u64::MAX),
            ("18446744073709551616", u64::MAX),
            ("0x", 0),
            ("+7", 7),
        ] {
            assert_eq!(parse(text), v, "{text}");
        }
    }

    #[test]
    fn snapshot_text_round_trips_and_is_checked() {
        let s = XidSnapshot::parse("10:20:10,11,11,15").unwrap();
        assert_eq!(s.xip, vec![10, 11, 15]);
        assert_eq!(s.format(), "10:20:10,11,15");
        assert_eq!(XidSnapshot::parse("10:20:11,").unwrap().xip, vec![11]);
        for bad in
            ["20:10:", "0:10:", "10:20", "10:20:9", "10:20:20", "10:20:12,11", "10:20:11,,12", "10:20:11 ", "x:1:"]
        {
            assert!(XidSnapshot::parse(bad).is_err(), "{bad}");
        }
        assert!(s.sees(9) && !s.sees(10) && s.sees(12) && !s.sees(20));
        let mut b = Vec::new();
        s.write_binary(&mut b);
        assert_eq!(XidSnapshot::read_binary(&b).unwrap(), (s.clone(), b.len()));
        assert_eq!(XidSnapshot::from_storage(&s.storage_bytes()).unwrap(), s);
    }
}
