//! `bytea`: strings of bytes. Their text forms, byte for byte as
//! PostgreSQL reads and writes them, and the `encode`/`decode` formats:
//!
//! - **hex** (`\x0102ff`): the output form by default (`bytea_output =
//!   hex`); on input the `\x` prefix selects it, and blanks between
//!   digit pairs are skipped;
//! - **escape**: printable ASCII as it is, `\\` for a backslash and
//!   `\ooo` (three octal digits) for any other byte; input takes the same
//!   two escapes and every other byte as it is;
//! - **base64** (`encode`/`decode` only): lines of 76 characters, as
//!   PostgreSQL wraps them.
//!
//! Errors carry PostgreSQL's messages and SQLSTATEs: a bad hex digit or
//! base64 symbol is 22023 (invalid parameter value), a bad escape 22P02.

use bytes::BufMut;

use super::types::ByteaOutput;
use crate::err;
use crate::error::{Error, Result, SqlState};

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `byteain`: the hex form after `\x`, or else the escape form.
pub fn parse_input(text: &str) -> Result<Vec<u8>> {
    match text.strip_prefix("\\x") {
        Some(hex) => hex_decode(hex),
        None => escape_decode(text),
    }
}

/// `byteaout`: the output form `bytea_output` asks for.
pub fn write_output(out: &mut impl BufMut, bytes: &[u8], style: ByteaOutput) {
    match style {
        ByteaOutput::Hex => {
            out.put_slice(b"\\x");
            hex_encode(out, bytes);
        }
        ByteaOutput::Escape => {
            for &b in bytes {
                match b {
                    b'\\' => out.put_slice(b"\\\\"),
                    0x20..=0x7e => out.put_u8(b),
                    _ => put_octal(out, b),
                }
            }
        }
    }
}

fn put_octal(out: &mut impl BufMut, b: u8) {
    out.put_slice(&[b'\\', b'0' + (b >> 6), b'0' + ((b >> 3) & 7), b'0' + (b & 7)]);
}

pub fn hex_encode(out: &mut impl BufMut, bytes: &[u8]) {
    for &b in bytes {
        out.put_slice(&[HEX_DIGITS[(b >> 4) as usize], HEX_DIGITS[(b & 15) as usize]]);
    }
}

/// The character starting at byte `at` of `s` (whole, as PostgreSQL
/// quotes a multibyte character in its messages).
fn char_at(s: &str, at: usize) -> &str {
    let len = s[at..].chars().next().map_or(1, char::len_utf8);
    &s[at..at + len]
}

/// Hex digits in pairs; blanks (space, tab, newline, carriage return)
/// may come between pairs.
pub fn hex_decode(text: &str) -> Result<Vec<u8>> {
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len() / 2);
    let digit = |at: usize| -> Result<u8> {
        let c = s[at];
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(err!(SqlState::INVALID_PARAMETER_VALUE, "invalid hexadecimal digit: \"{}\"", char_at(text, at))),
        }
    };
    let mut i = 0;
    while i < s.len() {
        if matches!(s[i], b' ' | b'\n' | b'\t' | b'\r') {
            i += 1;
            continue;
        }
        let high = digit(i)?;
        if i + 1 >= s.len() {
            return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "invalid hexadecimal data: odd number of digits"));
        }
        out.push(high << 4 | digit(i + 1)?);
        i += 2;
    }
    Ok(out)
}

fn bad_escape() -> Error {
    err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type bytea")
}

/// The escape form: `\\` is a backslash, `\ooo` (the first digit 0-3) a
/// byte in octal; any other backslash is an error.
pub fn escape_decode(text: &str) -> Result<Vec<u8>> {
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let octal = |k: usize, max: u8| s.get(i + k).is_some_and(|c| (b'0'..=max).contains(c));
        if octal(1, b'3') && octal(2, b'7') && octal(3, b'7') {
            out.push((s[i + 1] - b'0') << 6 | (s[i + 2] - b'0') << 3 | (s[i + 3] - b'0'));
            i += 4;
        } else if s.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            return Err(bad_escape());
        }
    }
    Ok(out)
}

/// `encode(…, 'escape')`: unlike the output form, only the zero byte,
/// bytes with the high bit set and the backslash are escaped.
pub fn escape_encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            0 | 0x80..=0xff => put_octal(&mut out, b),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
    // Every byte kept as it is is ASCII.
    String::from_utf8(out).unwrap_or_default()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `encode(…, 'base64')`: padded, with a newline after every 76 characters.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 4 / 3 + bytes.len() / 57 + 4);
    let mut line = 0;
    for group in bytes.chunks(3) {
        let b = [group[0], *group.get(1).unwrap_or(&0), *group.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            out.push(if k <= group.len() { BASE64[(n >> (18 - 6 * k)) as usize & 63] } else { b'=' });
        }
        line += 4;
        if line >= 76 {
            out.push(b'\n');
            line = 0;
        }
    }
    String::from_utf8(out).unwrap_or_default()
}

fn base64_end_error() -> Error {
    err!(SqlState::INVALID_PARAMETER_VALUE, "invalid base64 end sequence")
        .with_hint("Input data is missing padding, is truncated, or is otherwise corrupted.")
}

/// `decode(…, 'base64')`: blanks are skipped; `=` pads the last group
/// (and what follows it decodes as PostgreSQL's decoder does, one or two
/// bytes a group).
pub fn base64_decode(text: &str) -> Result<Vec<u8>> {
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut buf, mut pos, mut end) = (0u32, 0, 0);
    for (i, &c) in s.iter().enumerate() {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        }
        let b = if c == b'=' {
            if end == 0 {
                end = match pos {
                    2 => 1,
                    3 => 2,
                    _ => {
                        return Err(err!(
                            SqlState::INVALID_PARAMETER_VALUE,
                            "unexpected \"=\" while decoding base64 sequence"
                        ));
                    }
                };
            }
            0
        } else {
            match BASE64.iter().position(|&d| d == c) {
                Some(v) => v as u32,
                None => {
                    return Err(err!(
                        SqlState::INVALID_PARAMETER_VALUE,
                        "invalid symbol \"{}\" found while decoding base64 sequence",
                        char_at(text, i)
                    ));
                }
            }
        };
        buf = buf << 6 | b;
        pos += 1;
        if pos == 4 {
            out.push((buf >> 16) as u8);
            if end == 0 || end > 1 {
                out.push((buf >> 8) as u8);
            }
            if end == 0 {
                out.push(buf as u8);
            }
            (buf, pos) = (0, 0);
        }
    }
    if pos != 0 {
        return Err(base64_end_error());
    }
    Ok(out)
}

/// The formats of `encode` and `decode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Hex,
    Escape,
    Base64,
}

impl Format {
    pub fn named(name: &str) -> Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "hex" => Ok(Format::Hex),
            "escape" => Ok(Format::Escape),
            "base64" => Ok(Format::Base64),
            _ => Err(err!(SqlState::INVALID_PARAMETER_VALUE, "unrecognized encoding: \"{name}\"")),
        }
    }

    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Format::Hex => {
                let mut out = Vec::with_capacity(bytes.len() * 2);
                hex_encode(&mut out, bytes);
                String::from_utf8(out).unwrap_or_default()
            }
            Format::Escape => escape_encode(bytes),
            Format::Base64 => base64_encode(bytes),
        }
    }

    pub fn decode(self, text: &str) -> Result<Vec<u8>> {
        match self {
            Format::Hex => hex_decode(text),
            Format::Escape => escape_decode(text),
            Format::Base64 => base64_decode(text),
        }
    }
}

/// `get_byte`/`set_byte`: the byte at 0-based `n`, or PostgreSQL's error.
pub fn byte_index(bytes: &[u8], n: i64) -> Result<usize> {
    match usize::try_from(n) {
        Ok(i) if i < bytes.len() => Ok(i),
        _ => Err(err!(SqlState::ARRAY_SUBSCRIPT_ERROR, "index {n} out of valid range, 0..{}", bytes.len() as i64 - 1)),
    }
}

/// `get_bit`/`set_bit`: bit `n` (0-based, the lowest bit of each byte
/// first) as its byte's index and mask, or PostgreSQL's error.
pub fn bit_index(bytes: &[u8], n: i64) -> Result<(usize, u8)> {
    let bits = bytes.len() as i64 * 8;
    if n < 0 || n >= bits {
        return Err(err!(SqlState::ARRAY_SUBSCRIPT_ERROR, "index {n} out of valid range, 0..{}", bits - 1));
    }
    Ok(((n / 8) as usize, 1 << (n % 8)))
}

/// `btrim`/`ltrim`/`rtrim`: the units of `s` (bytes, or characters of a
/// text) without those found in `set` at the chosen ends.
pub fn trim<'a, T: PartialEq>(s: &'a [T], set: &[T], leading: bool, trailing: bool) -> &'a [T] {
    let mut s = s;
    while leading && s.first().is_some_and(|u| set.contains(u)) {
        s = &s[1..];
    }
    while trailing && s.last().is_some_and(|u| set.contains(u)) {
        s = &s[..s.len() - 1];
    }
    s
}

/// `overlay(s placing r from start for len)`: units `start..start+len`
/// (1-based) of `s` replaced by `r`.
pub fn overlay<T: Clone>(s: &[T], r: &[T], start: i64, len: i64) -> Result<Vec<T>> {
    if start < 1 {
        return Err(err!(SqlState::SUBSTRING_ERROR, "negative substring length not allowed"));
    }
    let head = &s[..((start - 1) as usize).min(s.len())];
    // The rest from start + len, or from the beginning when that is before it.
    let from = start.saturating_add(len).max(1) as usize - 1;
    let tail = s.get(from..).unwrap_or(&[]);
    Ok([head, r, tail].concat())
}

/// `substring(bytes from start [for len])`, 1-based as SQL counts.
pub fn substring(bytes: &[u8], start: i64, len: Option<i64>) -> Result<Vec<u8>> {
    let end = match len {
        Some(l) if l < 0 => return Err(err!(SqlState::SUBSTRING_ERROR, "negative substring length not allowed")),
        Some(l) => start.saturating_add(l),
        None => i64::MAX,
    };
    let from = start.max(1) - 1;
    let to = (end - 1).clamp(0, bytes.len() as i64);
    if from >= to {
        return Ok(Vec::new());
    }
    Ok(bytes[from as usize..to as usize].to_vec())
}

/// `position(needle in haystack)`: 1-based, 0 when absent, 1 for an empty needle.
pub fn position(haystack: &[u8], needle: &[u8]) -> i32 {
    if needle.is_empty() {
        return 1;
    }
    haystack.windows(needle.len()).position(|w| w == needle).map_or(0, |p| p as i32 + 1)
}

/// The encodings `convert_to` and `convert_from` offer. tusk holds text
/// as UTF-8; SQL_ASCII converts without change, as PostgreSQL's does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Latin1,
}

impl Encoding {
    /// The encoding called `name` (`destination` says which side, for the
    /// message); other encodings PostgreSQL knows are 0A000 here.
    pub fn named(name: &str, destination: bool) -> Result<Encoding> {
        let key: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        match key.as_str() {
            "utf8" | "unicode" | "sqlascii" => return Ok(Encoding::Utf8),
            "latin1" | "iso88591" => return Ok(Encoding::Latin1),
            _ => {}
        }
        const OTHERS: &[&str] = &[
            "eucjp",
            "euccn",
            "euckr",
            "euctw",
            "eucjis2004",
            "muleinternal",
            "koi8r",
            "koi8u",
            "sjis",
            "shiftjis2004",
            "big5",
            "gbk",
            "uhc",
            "gb18030",
            "johab",
            "latin2",
            "latin3",
            "latin4",
            "latin5",
            "latin6",
            "latin7",
            "latin8",
            "latin9",
            "latin10",
            "win866",
            "win874",
            "win1250",
            "win1251",
            "win1252",
            "win1253",
            "win1254",
            "win1255",
            "win1256",
            "win1257",
            "win1258",
            "iso88595",
            "iso88596",
            "iso88597",
            "iso88598",
        ];
        if OTHERS.contains(&key.as_str()) {
            return Err(Error::not_supported(format!("conversion between UTF8 and {}", name.to_uppercase())));
        }
        let which = if destination { "destination" } else { "source" };
        Err(err!(SqlState::INVALID_PARAMETER_VALUE, "invalid {which} encoding name \"{name}\""))
    }

    /// `convert_to`: the text's bytes in this encoding.
    pub fn encode(self, text: &str) -> Result<Vec<u8>> {
        match self {
            Encoding::Utf8 => Ok(text.as_bytes().to_vec()),
            Encoding::Latin1 => text
                .chars()
                .map(|c| {
                    u8::try_from(c as u32).map_err(|_| {
                        let mut buf = [0u8; 4];
                        let shown: Vec<String> =
                            c.encode_utf8(&mut buf).bytes().map(|b| format!("0x{b:02x}")).collect();
                        err!(
                            SqlState::UNTRANSLATABLE_CHARACTER,
                            "character with byte sequence {} in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"",
                            shown.join(" ")
                        )
                    })
                })
                .collect(),
        }
    }

    /// `convert_from`: bytes in this encoding as text, which they must be.
    pub fn decode(self, bytes: &[u8]) -> Result<String> {
        match self {
            Encoding::Utf8 => utf8_text(bytes),
            Encoding::Latin1 => match bytes.iter().position(|&b| b == 0) {
                Some(_) => Err(err!(
                    SqlState::CHARACTER_NOT_IN_REPERTOIRE,
                    "invalid byte sequence for encoding \"LATIN1\": 0x00"
                )),
                None => Ok(bytes.iter().map(|&b| b as char).collect()),
            },
        }
    }
}

/// The bytes as UTF-8 text, which they must be (no zero byte either).
pub fn utf8_text(bytes: &[u8]) -> Result<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.contains('\0') => Ok(s.to_string()),
        Ok(s) => Err(invalid_utf8(&bytes[s.find('\0').unwrap_or(0)..])),
        Err(e) => Err(invalid_utf8(&bytes[e.valid_up_to()..])),
    }
}

/// PostgreSQL's `report_invalid_encoding`: the offending bytes (as many
/// as the sequence claims, at most the ones present).
fn invalid_utf8(rest: &[u8]) -> Error {
    let first = rest.first().copied().unwrap_or(0);
    let claimed = match first {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    };
    let shown: Vec<String> = rest.iter().take(claimed).map(|b| format!("0x{b:02x}")).collect();
    err!(SqlState::CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\": {}", shown.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(bytes: &[u8], style: ByteaOutput) -> String {
        let mut v = Vec::new();
        write_output(&mut v, bytes, style);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn input_forms() {
        assert_eq!(parse_input("\\x0102ff").unwrap(), [1, 2, 255]);
        assert_eq!(parse_input("\\x 01 0A\n").unwrap(), [1, 10]);
        assert_eq!(parse_input("abc\\000").unwrap(), b"abc\0");
        assert_eq!(parse_input("abc\\\\000").unwrap(), b"abc\\000");
        assert_eq!(parse_input("\\\\").unwrap(), b"\\");
        assert_eq!(parse_input("").unwrap(), b"");
        assert_eq!(parse_input("\\xzz").unwrap_err().message(), "invalid hexadecimal digit: \"z\"");
        assert_eq!(parse_input("\\xé").unwrap_err().message(), "invalid hexadecimal digit: \"é\"");
        assert_eq!(parse_input("\\x012").unwrap_err().message(), "invalid hexadecimal data: odd number of digits");
        assert_eq!(parse_input("a\\400").unwrap_err().code(), SqlState::INVALID_TEXT_REPRESENTATION);
        assert_eq!(parse_input("\\X01").unwrap_err().message(), "invalid input syntax for type bytea");
    }

    #[test]
    fn output_forms() {
        let b = [0, 1, b'\\', 0x7f, 0x80, 0xff, b'A'];
        assert_eq!(out(&b, ByteaOutput::Hex), "\\x00015c7f80ff41");
        assert_eq!(out(&b, ByteaOutput::Escape), "\\000\\001\\\\\\177\\200\\377A");
        assert_eq!(escape_encode(&[1, 2, 0xff, b'\\']), "\u{1}\u{2}\\377\\\\");
    }

    #[test]
    fn base64_as_postgres_writes_and_reads_it() {
        assert_eq!(base64_encode(&[1, 2, 255]), "AQL/");
        assert_eq!(base64_encode(&[0xab; 58]).lines().map(str::len).collect::<Vec<_>>(), [76, 4]);
        assert!(base64_encode(&[0xab; 57]).ends_with('\n'));
        assert_eq!(base64_decode("AQL/").unwrap(), [1, 2, 255]);
        assert_eq!(base64_decode("AQ==AQ==").unwrap(), [1, 1]);
        assert_eq!(base64_decode("AQ=A").unwrap(), [1]);
        assert!(base64_decode("AQ=").is_err());
        assert!(base64_decode("A===").is_err());
        assert_eq!(
            base64_decode("A*").unwrap_err().message(),
            "invalid symbol \"*\" found while decoding base64 sequence"
        );
    }

    #[test]
    fn bits_trim_and_overlay() {
        assert_eq!(bit_index(&[1, 2], 9).unwrap(), (1, 2));
        assert_eq!(bit_index(&[1], 8).unwrap_err().message(), "index 8 out of valid range, 0..7");
        assert!(bit_index(&[], 0).is_err());
        assert_eq!(trim(&[0, 1, 2, 1, 0], &[0], true, true), [1, 2, 1]);
        assert_eq!(trim(&[0, 1, 2, 1, 0], &[0, 1], true, false), [2, 1, 0]);
        assert_eq!(overlay(&[1, 2, 3, 4, 5], &[0xaa, 0xbb], 2, 3).unwrap(), [1, 0xaa, 0xbb, 5]);
        assert_eq!(overlay(&[1, 2], &[0xff], 1, -1).unwrap(), [0xff, 1, 2]);
        assert_eq!(overlay(&[1, 2], &[0xff], 5, 1).unwrap(), [1, 2, 0xff]);
        assert!(overlay(&[1, 2], &[0xff], 0, 1).is_err());
    }

    #[test]
    fn substring_and_position() {
        let b = [1, 2, 3, 4, 5];
        assert_eq!(substring(&b, 2, Some(3)).unwrap(), [2, 3, 4]);
        assert_eq!(substring(&b, 3, None).unwrap(), [3, 4, 5]);
        assert_eq!(substring(&b, -1, Some(3)).unwrap(), [1]);
        assert!(substring(&b, 2, Some(-1)).is_err());
        assert_eq!(position(&b, &[3]), 3);
        assert_eq!(position(&b, &[]), 1);
        assert_eq!(position(&b, &[9]), 0);
    }
}
