//! Index keys in a byte-comparable encoding: comparing two encoded keys
//! with `memcmp` orders them exactly as PostgreSQL's B-tree operator
//! classes order the values, so the B-tree stores and compares plain bytes.
//!
//! A key is the concatenation of its columns' encodings. Each column starts
//! with a flag byte that places NULL (`0x00` for NULLS FIRST, `0x02` for
//! NULLS LAST) around every value (`0x01`), followed, for a value, by a
//! self-delimiting body, so a byte prefix of a key is a prefix of its
//! columns and range bounds on the leading columns are byte prefixes:
//!
//! - integers: big-endian with the sign bit flipped (all integer types
//!   widened to 8 bytes, so int2, int4 and int8 keys compare with each other);
//! - floats: IEEE bits made monotone (negative values inverted, positive ones
//!   with the sign bit set), widened to float8, with `-0` = `0` and every
//!   NaN equal and greater than infinity, as PostgreSQL orders them;
//! - text: its bytes in the "C" collation, `0x00` escaped as `0x00 0xFF`,
//!   ended by `0x00 0x00`;
//! - bool: one byte; numeric: sign class, decimal exponent, significant
//!   digits (so `1.0` = `1.00`), `-Infinity` and `Infinity` around every
//!   finite value and `NaN` after them all, as PostgreSQL orders them;
//! - date, time, timestamp, timestamptz: their integer (days or
//!   microseconds) as integers are, so `-infinity` and `infinity` (the
//!   extreme integers) sort first and last; a date is not comparable with
//!   a timestamp by key (the planner never mixes them);
//! - timetz: its UTC time of day (time plus the offset west, which may
//!   leave the day) as an integer, then the offset as one, so keys sort
//!   as PostgreSQL's timetz_cmp_internal does;
//! - interval: its span with 30-day months and 24-hour days, as a 128-bit
//!   integer, so `1 mon` = `30 days` as PostgreSQL's interval_cmp has it;
//! - bpchar: as text without its trailing blanks;
//! - bytea: as text, its bytes as they are (so in memcmp order, a value
//!   before every longer value it is a prefix of);
//! - arrays: each element encoded as a key column (NULLS LAST), then a
//!   `0x00` end byte, so arrays sort element by element and a prefix
//!   first (the lower bound does not take part);
//! - DESC columns: the body's bytes inverted (the flag byte is not, so NULLS
//!   FIRST/LAST still means what it says).

use crate::sql::types::Datum;

pub const NULL_FIRST: u8 = 0x00;
pub const VALUE: u8 = 0x01;
pub const NULL_LAST: u8 = 0x02;
/// Ends an array's elements: below [`VALUE`] and [`NULL_LAST`].
const ARRAY_END: u8 = 0x00;

/// How one key column sorts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyOrder {
    pub descending: bool,
    pub nulls_first: bool,
}

impl KeyOrder {
    pub const ASC: KeyOrder = KeyOrder { descending: false, nulls_first: false };

    /// `pg_index.indoption` bits: 1 DESC, 2 NULLS FIRST.
    pub fn option_bits(self) -> i16 {
        self.descending as i16 | (self.nulls_first as i16) << 1
    }

    pub fn from_option_bits(bits: i16) -> KeyOrder {
        KeyOrder { descending: bits & 1 != 0, nulls_first: bits & 2 != 0 }
    }

    /// The flag byte of NULL in this order.
    pub fn null_flag(self) -> u8 {
        if self.nulls_first { NULL_FIRST } else { NULL_LAST }
    }
}

/// Append one column's encoding of `value` to `out`.
pub fn encode(out: &mut Vec<u8>, value: &Datum, order: KeyOrder) {
    if value.is_null() {
        out.push(order.null_flag());
        return;
    }
    out.push(VALUE);
    let start = out.len();
    match value {
        Datum::Null => {}
        Datum::Bool(b) => out.push(*b as u8),
        Datum::Int2(_) | Datum::Int4(_) | Datum::Int8(_) | Datum::Oid(_) => {
            let v = value.as_i64().unwrap_or(0);
            out.extend_from_slice(&((v as u64) ^ (1 << 63)).to_be_bytes());
        }
        Datum::Float4(v) | Datum::Enum(v, _) => encode_float(out, *v as f64),
        Datum::Float8(v) => encode_float(out, *v),
        Datum::Text(s) => encode_bytes(out, s.as_bytes()),
        Datum::Bpchar(s) => encode_bytes(out, crate::sql::types::bpchar_trim(s).as_bytes()),
        Datum::Numeric(n) => encode_numeric(out, n),
        Datum::Date(v) => out.extend_from_slice(&((*v as i64 as u64) ^ (1 << 63)).to_be_bytes()),
        Datum::Time(v) | Datum::Timestamp(v) | Datum::TimestampTz(v) => {
            out.extend_from_slice(&((*v as u64) ^ (1 << 63)).to_be_bytes())
        }
        Datum::TimeTz { micros, offset_secs } => {
            let utc = crate::sql::datetime::timetz_utc(*micros, *offset_secs);
            out.extend_from_slice(&((utc as u64) ^ (1 << 63)).to_be_bytes());
            out.extend_from_slice(&((*offset_secs as u32) ^ (1 << 31)).to_be_bytes());
        }
        Datum::Interval(iv) => out.extend_from_slice(&((iv.span() as u128) ^ (1 << 127)).to_be_bytes()),
        Datum::Bytea(b) => encode_bytes(out, b),
        // Each element as a column of its own (a NULL element after every
        // value, as array comparison has it), ended by a byte below every
        // element's flag, so a prefix sorts first.
        Datum::Array(a) => {
            for item in &a.items {
                encode(out, item, KeyOrder::ASC);
            }
            out.push(ARRAY_END);
        }
        // A row's fields the same way: NULL fields after values, as
        // `record_cmp` orders them.
        Datum::Record(r) => {
            for v in &r.values {
                encode(out, v, KeyOrder::ASC);
            }
            out.push(ARRAY_END);
        }
        Datum::Uuid(u) => out.extend_from_slice(u),
        Datum::PgLsn(v) | Datum::Xid8(v) => out.extend_from_slice(&v.to_be_bytes()),
        // Snapshots have no order; a key of one (a hash) is its stored bytes.
        Datum::Snapshot(s) => encode_bytes(out, &s.storage_bytes()),
        Datum::Tid(block, offset) => {
            out.extend_from_slice(&block.to_be_bytes());
            out.extend_from_slice(&offset.to_be_bytes());
        }
        Datum::Jsonb(j) => encode_jsonb(out, j, true),
    }
    if order.descending {
        for b in &mut out[start..] {
            *b = !*b;
        }
    }
}

/// jsonb in PostgreSQL's jsonb order (see `sql::json::compare`): a type
/// rank byte (null < string < number < bool < array < object), then for a
/// container its element count (more elements sort later), then its
/// elements (an object's pairs key, value, key, … in stored order). A
/// top-level scalar is a one-element array marked "raw", which sorts
/// before a real array of one element.
fn encode_jsonb(out: &mut Vec<u8>, j: &crate::sql::json::Jsonb, top: bool) {
    use crate::sql::json::{Jsonb, type_rank};
    if top && j.is_scalar() {
        out.push(4);
        out.extend_from_slice(&1u32.to_be_bytes());
        out.push(0);
        return encode_jsonb(out, j, false);
    }
    out.push(type_rank(j));
    match j {
        Jsonb::Null => {}
        Jsonb::Bool(b) => out.push(*b as u8),
        Jsonb::String(s) => encode_bytes(out, s.as_bytes()),
        Jsonb::Number(n) => encode_numeric(out, n),
        Jsonb::Array(items) => {
            out.extend_from_slice(&(items.len() as u32).to_be_bytes());
            out.push(1);
            for i in items {
                encode_jsonb(out, i, false);
            }
        }
        Jsonb::Object(pairs) => {
            out.extend_from_slice(&(pairs.len() as u32).to_be_bytes());
            for (k, v) in pairs {
                encode_bytes(out, k.as_bytes());
                encode_jsonb(out, v, false);
            }
        }
    }
}

/// A whole key: `values` in index column order.
pub fn encode_key(values: &[Datum], orders: &[KeyOrder]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 9);
    for (v, o) in values.iter().zip(orders) {
        encode(&mut out, v, *o);
    }
    out
}

/// Whether a column of type `ty` reads back from its key (see [`decode`]):
/// what an index-only scan can return without the heap. Not floats (`-0`
/// is stored as `0`), numeric (`1.0` as `1.00`), bpchar (trailing blanks
/// go), interval (`1 mon` as `30 days`), enums, jsonb and arrays.
pub fn decodable(ty: crate::sql::types::PgType) -> bool {
    use crate::sql::types::PgType as T;
    matches!(
        ty,
        T::Bool
            | T::Int2
            | T::Int4
            | T::Int8
            | T::Oid
            | T::Text
            | T::Varchar
            | T::Name
            | T::Date
            | T::Time
            | T::TimeTz
            | T::Timestamp
            | T::TimestampTz
            | T::Bytea
            | T::Uuid
            | T::PgLsn
            | T::Xid8
    )
}

/// Read one key column of type `ty` (one [`decodable`] reads back) from
/// the front of `key`, advancing it past the column; `None` on bytes
/// that are no such column.
pub fn decode(key: &mut &[u8], ty: crate::sql::types::PgType, order: KeyOrder) -> Option<Datum> {
    use crate::sql::types::PgType as T;
    let (&flag, rest) = key.split_first()?;
    *key = rest;
    if flag != VALUE {
        return Some(Datum::Null);
    }
    let inv = |b: u8| if order.descending { !b } else { b };
    let mut take = |n: usize| -> Option<Vec<u8>> {
        let body = key.get(..n)?.iter().map(|&b| inv(b)).collect();
        *key = &key[n..];
        Some(body)
    };
    let int = |b: Vec<u8>| (u64::from_be_bytes(b.try_into().unwrap_or_default()) ^ (1 << 63)) as i64;
    Some(match ty {
        T::Bool => Datum::Bool(take(1)?[0] != 0),
        T::Int2 => Datum::Int2(int(take(8)?) as i16),
        T::Int4 => Datum::Int4(int(take(8)?) as i32),
        T::Int8 => Datum::Int8(int(take(8)?)),
        T::Oid => Datum::Oid(int(take(8)?) as u32),
        T::Date => Datum::Date(int(take(8)?) as i32),
        T::Time => Datum::Time(int(take(8)?)),
        T::TimeTz => {
            let utc = int(take(8)?);
            let offset_secs = (u32::from_be_bytes(take(4)?.try_into().ok()?) ^ (1 << 31)) as i32;
            Datum::TimeTz { micros: utc - offset_secs as i64 * crate::sql::datetime::USECS_PER_SEC, offset_secs }
        }
        T::Timestamp => Datum::Timestamp(int(take(8)?)),
        T::TimestampTz => Datum::TimestampTz(int(take(8)?)),
        T::Uuid => Datum::Uuid(take(16)?.try_into().ok()?),
        T::PgLsn => Datum::PgLsn(u64::from_be_bytes(take(8)?.try_into().ok()?)),
        T::Xid8 => Datum::Xid8(u64::from_be_bytes(take(8)?.try_into().ok()?)),
        T::Bytea | T::Text | T::Varchar | T::Name => {
            let mut out = Vec::new();
            loop {
                let b = take(1)?[0];
                if b != 0 {
                    out.push(b);
                    continue;
                }
                // `0x00 0xFF` is an escaped zero byte, `0x00 0x00` the end.
                match take(1)?[0] {
                    0xFF => out.push(0),
                    0 => break,
                    _ => return None,
                }
            }
            match ty {
                T::Bytea => Datum::Bytea(out),
                _ => Datum::Text(String::from_utf8(out).ok()?),
            }
        }
        _ => return None,
    })
}

fn encode_float(out: &mut Vec<u8>, v: f64) {
    let bits = if v.is_nan() {
        f64::NAN.to_bits() & !(1 << 63)
    } else if v == 0.0 {
        0 // -0 sorts with 0
    } else {
        v.to_bits()
    };
    let monotone = if bits & (1 << 63) != 0 { !bits } else { bits | (1 << 63) };
    out.extend_from_slice(&monotone.to_be_bytes());
}

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

/// Canonical decimal text → sign class (negative 1, zero 2, positive 3,
/// NaN 4), then for non-zero values the exponent (position of the decimal
/// point relative to the first significant digit) and the significant
/// digits, both inverted for negative values so larger magnitudes sort lower.
fn encode_numeric(out: &mut Vec<u8>, text: &str) {
    match text {
        "NaN" => return out.push(4),
        "-Infinity" => return out.push(0),
        // Above every positive value's exponent (at most 131072).
        "Infinity" => return out.extend_from_slice(&[3, 0xFF, 0xFF, 0xFF, 0xFF]),
        _ => {}
    }
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let int_part = int_part.trim_start_matches('0');
    let (exponent, digits): (i64, String) = if int_part.is_empty() {
        let zeros = frac_part.len() - frac_part.trim_start_matches('0').len();
        (-(zeros as i64), frac_part.trim_start_matches('0').to_string())
    } else {
        (int_part.len() as i64, format!("{int_part}{frac_part}"))
    };
    let digits = digits.trim_end_matches('0');
    if digits.is_empty() {
        out.push(2);
        return;
    }
    out.push(if neg { 1 } else { 3 });
    let start = out.len();
    out.extend_from_slice(&((exponent as i32 as u32) ^ (1 << 31)).to_be_bytes());
    out.extend(digits.bytes().map(|d| d - b'0' + 1));
    out.push(0);
    if neg {
        for b in &mut out[start..] {
            *b = !*b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn key(v: &Datum, o: KeyOrder) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, v, o);
        out
    }

    /// The encodings of `values` (given in ascending order, equal
    /// neighbours allowed via `equal`) must sort the same way.
    fn check_sorted(values: &[Datum], equal: &[(usize, usize)]) {
        for o in [KeyOrder::ASC, KeyOrder { descending: true, nulls_first: true }] {
            for i in 0..values.len() {
                for j in 0..values.len() {
                    let want = if equal.contains(&(i.min(j), i.max(j))) { Ordering::Equal } else { i.cmp(&j) };
                    let want = if o.descending { want.reverse() } else { want };
                    let got = key(&values[i], o).cmp(&key(&values[j], o));
                    assert_eq!(got, want, "{:?} vs {:?} in {o:?}", values[i], values[j]);
                }
            }
        }
    }

    #[test]
    fn integers_order_across_widths() {
        let vals = [
            Datum::Int8(i64::MIN),
            Datum::Int4(-70000),
            Datum::Int2(-1),
            Datum::Int8(0),
            Datum::Int2(1),
            Datum::Int4(70000),
            Datum::Int8(i64::MAX),
            Datum::Null,
        ];
        check_sorted(&vals, &[]);
        assert_eq!(key(&Datum::Int2(5), KeyOrder::ASC), key(&Datum::Int8(5), KeyOrder::ASC));
    }

    #[test]
    fn floats_order_like_postgres() {
        let vals = [
            Datum::Float8(f64::NEG_INFINITY),
            Datum::Float8(-1e300),
            Datum::Float4(-1.5),
            Datum::Float8(-0.0),
            Datum::Float8(0.0),
            Datum::Float8(1e-300),
            Datum::Float4(2.5),
            Datum::Float8(f64::INFINITY),
            Datum::Float8(f64::NAN),
            Datum::Float8(-f64::NAN),
            Datum::Null,
        ];
        check_sorted(&vals, &[(3, 4), (8, 9)]);
    }

    #[test]
    fn text_orders_bytewise_and_prefixes_first() {
        let vals = ["", "\u{0}", "\u{0}a", "a", "a\u{0}", "ab", "b", "é"].map(|s| Datum::Text(s.into()));
        let mut v: Vec<Datum> = vals.to_vec();
        v.push(Datum::Null);
        check_sorted(&v, &[]);
    }

    #[test]
    fn numeric_orders_by_value() {
        let vals = ["-1000", "-99.5", "-1.50", "-1", "-0.001", "0", "0.001", "0.01", "1", "1.5", "10", "99.99", "NaN"]
            .map(|s| Datum::Numeric(s.into()));
        check_sorted(&vals, &[]);
        assert_eq!(
            key(&Datum::Numeric("1.50".into()), KeyOrder::ASC),
            key(&Datum::Numeric("1.5".into()), KeyOrder::ASC)
        );
        assert_eq!(key(&Datum::Numeric("0.00".into()), KeyOrder::ASC), key(&Datum::Numeric("0".into()), KeyOrder::ASC));
        let ends: Vec<Datum> = ["-Infinity", "-1e100", "0", "1e1000", "Infinity", "NaN"]
            .iter()
            .map(|s| Datum::Numeric(crate::sql::numeric::canonical(s).unwrap()))
            .collect();
        check_sorted(&ends, &[]);
    }

    #[test]
    fn dates_and_timestamps_order_with_infinities_at_the_ends() {
        use crate::sql::datetime::{DATE_NOBEGIN, DATE_NOEND, TS_NOBEGIN, TS_NOEND};
        let dates = [DATE_NOBEGIN, -2_000_000, -1, 0, 1, 8766, DATE_NOEND].map(Datum::Date);
        let mut v = dates.to_vec();
        v.push(Datum::Null);
        check_sorted(&v, &[]);
        let ts = [TS_NOBEGIN, -211_813_488_000_000_000, -1, 0, 1, 757_382_400_000_000, TS_NOEND];
        check_sorted(&ts.map(Datum::Timestamp), &[]);
        check_sorted(&ts.map(Datum::TimestampTz), &[]);
        check_sorted(&[0, 1, 86_400_000_000].map(Datum::Time), &[]);
    }

    #[test]
    fn timetz_orders_by_utc_time_then_offset_and_reads_back() {
        const H: i64 = 3_600_000_000;
        // 23:00-05 is 04:00 UTC of the next day; 12:00+02 and 10:00+00
        // are the same instant, the one further east first.
        let vals = [(0, 0), (12 * H, -7200), (10 * H, 0), (11 * H, 0), (24 * H, 0), (23 * H, 5 * 3600)]
            .map(|(micros, offset_secs)| Datum::TimeTz { micros, offset_secs });
        check_sorted(&vals, &[]);
        for v in &vals {
            for o in [KeyOrder::ASC, KeyOrder { descending: true, nulls_first: false }] {
                let k = key(v, o);
                assert_eq!(decode(&mut k.as_slice(), crate::sql::types::PgType::TimeTz, o).as_ref(), Some(v));
            }
        }
    }

    #[test]
    fn intervals_order_by_span() {
        use crate::sql::datetime::Interval;
        let iv = |months, days, micros| Datum::Interval(Interval { months, days, micros });
        let vals = [
            iv(-1, 0, 0),
            iv(0, -1, 0),
            iv(0, 0, -1),
            iv(0, 0, 0),
            iv(0, 0, 86_399_999_999),
            iv(0, 1, 0),
            iv(0, 0, 86_400_000_001),
            iv(0, 30, 0),
            iv(1, 0, 0),
            iv(12, 0, 0),
        ];
        check_sorted(&vals, &[(7, 8)]);
    }

    #[test]
    fn bpchar_ignores_trailing_blanks() {
        let b = |s: &str| Datum::Bpchar(s.into());
        assert_eq!(key(&b("ab   "), KeyOrder::ASC), key(&b("ab"), KeyOrder::ASC));
        check_sorted(&[b(""), b("a  "), b("a\t"), b("ab "), b("b")], &[]);
    }

    #[test]
    fn bytea_orders_like_memcmp_with_prefixes_first() {
        let vals: Vec<Datum> = [
            &[][..],
            &[0x00],
            &[0x00, 0x00],
            &[0x00, 0xff],
            &[0x00, 0xff, 0x00],
            &[0x01],
            &[0x01, 0x00],
            &[0x7f, 0xff],
            &[0x80],
            &[0xff],
            &[0xff, 0x00],
            &[0xff, 0xff, 0xff],
        ]
        .iter()
        .map(|b| Datum::Bytea(b.to_vec()))
        .chain([Datum::Null])
        .collect();
        check_sorted(&vals, &[]);
        // Zero bytes in a leading column never run into the next column:
        // (x'00', 2) sorts after (x'00', 1) and before (x'0000', 0).
        let o = [KeyOrder::ASC, KeyOrder::ASC];
        let k = |a: &[u8], b: i32| encode_key(&[Datum::Bytea(a.to_vec()), Datum::Int4(b)], &o);
        assert!(k(&[0], 1) < k(&[0], 2));
        assert!(k(&[0], i32::MAX) < k(&[0, 0], i32::MIN));
        assert!(k(&[], i32::MAX) < k(&[0], i32::MIN));
        assert!(k(&[0, 0xff], 0) < k(&[1], 0));
        // A bytea key is the key of the same bytes as text.
        assert_eq!(key(&Datum::Bytea(b"ab".to_vec()), KeyOrder::ASC), key(&Datum::Text("ab".into()), KeyOrder::ASC));
    }

    #[test]
    fn decodable_columns_read_back_in_either_order() {
        use crate::sql::types::PgType as T;
        let cases = [
            (Datum::Int4(-7), T::Int4),
            (Datum::Int8(i64::MAX), T::Int8),
            (Datum::Int2(3), T::Int2),
            (Datum::Bool(true), T::Bool),
            (Datum::Text("a\0b".into()), T::Text),
            (Datum::Text(String::new()), T::Varchar),
            (Datum::Bytea(vec![0, 255, 0, 0, 1]), T::Bytea),
            (Datum::Date(-3), T::Date),
            (Datum::TimestampTz(123_456), T::TimestampTz),
            (Datum::Uuid([9; 16]), T::Uuid),
            (Datum::Null, T::Int4),
        ];
        for descending in [false, true] {
            let o = KeyOrder { descending, nulls_first: descending };
            let mut key = Vec::new();
            for (v, _) in &cases {
                encode(&mut key, v, o);
            }
            let mut rest = &key[..];
            for (v, ty) in &cases {
                assert_eq!(decode(&mut rest, *ty, o).as_ref(), Some(v));
            }
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn a_key_prefix_is_a_column_prefix() {
        // (a, b) keys with a = "x" all lie between the prefix bounds of "x".
        let o = [KeyOrder::ASC, KeyOrder::ASC];
        let prefix = encode_key(&[Datum::Text("x".into())], &o[..1]);
        for b in [Datum::Null, Datum::Int4(i32::MIN), Datum::Int4(7)] {
            let k = encode_key(&[Datum::Text("x".into()), b], &o);
            assert!(k.starts_with(&prefix));
        }
        let other = encode_key(&[Datum::Text("x\u{1}".into()), Datum::Int4(0)], &o);
        assert!(!other.starts_with(&prefix) && other > prefix);
    }

    #[test]
    fn null_placement_follows_the_order() {
        let first = KeyOrder { descending: false, nulls_first: true };
        assert!(key(&Datum::Null, first) < key(&Datum::Int4(i32::MIN), first));
        assert!(key(&Datum::Null, KeyOrder::ASC) > key(&Datum::Int4(i32::MAX), KeyOrder::ASC));
        assert_eq!(KeyOrder::from_option_bits(first.option_bits()), first);
    }

    #[test]
    fn jsonb_keys_order_as_jsonb_compares() {
        use crate::sql::json::{Jsonb, compare};
        let texts = [
            "[]",
            "null",
            "\"\"",
            "\"a\"",
            "\"ab\"",
            "\"b\"",
            "-1",
            "0",
            "1.0",
            "1",
            "2.5",
            "1e10",
            "false",
            "true",
            "[1]",
            "[\"a\"]",
            "[[]]",
            "[{}]",
            "[1, 2]",
            "[2, 1]",
            "{}",
            "{\"a\": 1}",
            "{\"b\": 1}",
            "{\"aa\": 1}",
            "{\"a\": 2}",
            "{\"a\": [1]}",
            "{\"a\": 1, \"b\": 1}",
            "[null]",
            "[true, false]",
        ];
        let values: Vec<Jsonb> = texts.iter().map(|t| Jsonb::parse(t).unwrap()).collect();
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                let [ka, kb] = [a, b].map(|v| key(&Datum::Jsonb(Box::new(v.clone())), KeyOrder::ASC));
                assert_eq!(ka.cmp(&kb), compare(a, b), "{} vs {}", texts[i], texts[j]);
            }
        }
    }
}
