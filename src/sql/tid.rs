//! The input forms of the tuple-header types: `tid` (`(block,offset)`),
//! `xid` and `cid` (unsigned numbers), parsed as PostgreSQL 15's `tidin`,
//! `xidin` and `cidin` parse them, C library quirks included: `tidin`
//! takes a block number that wraps from a negative 32-bit one, and
//! `xidin`/`cidin` take any text, reading what number they can (in C's
//! base-0 syntax: `0x` hex, leading-zero octal) and 0 when none.
//!
//! See also [`super::types::PgType::Tid`] for how the values are held.

use super::types::{Datum, PgType, invalid_syntax};
use crate::error::Result;

/// `tidin`: `(block,offset)`. Anything before the `(` and after the `)`
/// is ignored, as in PostgreSQL; the block may have leading blanks and a
/// sign, the offset leading blanks; no blank may precede `,` or `)`.
pub fn parse_tid(text: &str) -> Result<Datum> {
    let bad = || invalid_syntax(PgType::Tid, text);
    let (block_at, offset_at) = coordinates(text).ok_or_else(bad)?;
    let (block, rest) = strtoul(&text[block_at..], 10);
    let block = block.ok_or_else(bad)?;
    // A value past 32 bits is refused unless it is a negative 32-bit
    // number wrapped around (strtoul negates in 64 bits).
    let narrow = block as u32;
    if !rest.starts_with(',') || (block != narrow as u64 && block != narrow as i32 as i64 as u64) {
        return Err(bad());
    }
    let (offset, rest) = strtoul(&text[offset_at..], 10);
    let offset = offset.and_then(|o| u16::try_from(o).ok()).ok_or_else(bad)?;
    if !rest.starts_with(')') {
        return Err(bad());
    }
    Ok(Datum::Tid(narrow, offset))
}

/// Where `tidin`'s two numbers start: after the first `(` and after the
/// `,` that follows it, looking no further than the first `)`.
fn coordinates(text: &str) -> Option<(usize, usize)> {
    let mut found = Vec::with_capacity(2);
    for (i, b) in text.bytes().enumerate() {
        if found.len() == 2 || b == b')' {
            break;
        }
        if b == b',' || (b == b'(' && found.is_empty()) {
            found.push(i + 1);
        }
    }
    match found[..] {
        [a, b] => Some((a, b)),
        _ => None,
    }
}

/// `xidin` / `cidin`: the number at the start of `text` (C's `strtoul`
/// with base 0), cut to 32 bits by the caller; 0 when there is none.
pub fn parse_xid(text: &str) -> u64 {
    let (v, _) = strtoul(text, 0);
    v.unwrap_or(u64::MAX)
}

/// C's `strtoul`: leading white space, an optional sign (a minus negates
/// in 64 bits), digits in `base` (0: `0x` hex, a leading `0` octal, else
/// decimal). The value (`None` when it overflows 64 bits; 0 without
/// digits) and the text after the number (all of `text` without digits).
fn strtoul(text: &str, base: u32) -> (Option<u64>, &str) {
    let s = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let hex = (base == 0 || base == 16) && (s.starts_with("0x") || s.starts_with("0X"));
    let (radix, digits) = match base {
        _ if hex && s[2..].starts_with(|c: char| c.is_ascii_hexdigit()) => (16, &s[2..]),
        0 if s.starts_with('0') => (8, s),
        0 => (10, s),
        b => (b, s),
    };
    let len = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
    if len == 0 {
        return (Some(0), text);
    }
    let value = digits[..len]
        .bytes()
        .try_fold(0u64, |acc, d| acc.checked_mul(radix as u64)?.checked_add((d as char).to_digit(radix)? as u64));
    (value.map(|v| if negative { v.wrapping_neg() } else { v }), &digits[len..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tid_input_as_postgresql() {
        let tid = |s| parse_tid(s).ok();
        assert_eq!(tid("(0,1)"), Some(Datum::Tid(0, 1)));
        assert_eq!(tid("ab(1,2)zz"), Some(Datum::Tid(1, 2)));
        assert_eq!(tid("( -1, 2)"), Some(Datum::Tid(u32::MAX, 2)));
        assert_eq!(tid("(,1)"), Some(Datum::Tid(0, 1)));
        for bad in ["x", "(1 ,2)", "(1,2 )", "(4294967296,1)", "(0,65536)", "(0,-1)", "(1)"] {
            assert_eq!(tid(bad), None, "{bad}");
        }
    }

    #[test]
    fn xid_input_as_postgresql() {
        assert_eq!(parse_xid("x") as u32, 0);
        assert_eq!(parse_xid("0x10") as u32, 16);
        assert_eq!(parse_xid("010") as u32, 8);
        assert_eq!(parse_xid(" 7 ") as u32, 7);
        assert_eq!(parse_xid("-1") as u32, u32::MAX);
        assert_eq!(parse_xid("99999999999999999999") as u32, u32::MAX);
    }
}
