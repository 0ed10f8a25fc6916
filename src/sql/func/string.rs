//! The everyday string functions: `replace`, `left`/`right`, the padding
//! functions, `concat` and `format`, quoting, `regexp_replace` and kin.
//!
//! [`StrFunc::lookup`] names them, [`StrFunc::signatures`] types the fixed
//! ones and [`call`] computes a value from evaluated arguments. `concat`,
//! `concat_ws`, `format`, `quote_literal` and `quote_nullable` take
//! arguments of any type ([`StrFunc::takes_any`]): the binder leaves them
//! as they are and each value is used in its text output form, as
//! PostgreSQL's `"any"` parameters are.

use crate::catalog::describe::quote_identifier;
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::expr::EvalContext;
use crate::sql::types::{Datum, PgType, TextStyle};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrFunc {
    Replace,
    Left,
    Right,
    Lpad,
    Rpad,
    Concat,
    ConcatWs,
    Initcap,
    Reverse,
    Translate,
    StartsWith,
    Ascii,
    Chr,
    QuoteIdent,
    QuoteLiteral,
    QuoteNullable,
    ToHex,
    BitLength,
    RegexpReplace,
    Format,
    LikeEscape,
    SimilarToEscape,
}

impl StrFunc {
    /// Every name [`StrFunc::lookup`] knows (what `pg_proc` may list).
    pub const NAMES: &[&str] = &[
        "replace",
        "left",
        "right",
        "lpad",
        "rpad",
        "concat",
        "concat_ws",
        "initcap",
        "reverse",
        "translate",
        "starts_with",
        "ascii",
        "chr",
        "quote_ident",
        "quote_literal",
        "quote_nullable",
        "to_hex",
        "bit_length",
        "regexp_replace",
        "format",
        "like_escape",
        "similar_to_escape",
    ];

    pub fn lookup(name: &str) -> Option<StrFunc> {
        use StrFunc::*;
        Some(match name {
            "replace" => Replace,
            "left" => Left,
            "right" => Right,
            "lpad" => Lpad,
            "rpad" => Rpad,
            "concat" => Concat,
            "concat_ws" => ConcatWs,
            "initcap" => Initcap,
            "reverse" => Reverse,
            "translate" => Translate,
            "starts_with" => StartsWith,
            "ascii" => Ascii,
            "chr" => Chr,
            "quote_ident" => QuoteIdent,
            "quote_literal" => QuoteLiteral,
            "quote_nullable" => QuoteNullable,
            "to_hex" => ToHex,
            "bit_length" => BitLength,
            "regexp_replace" => RegexpReplace,
            "format" => Format,
            "like_escape" => LikeEscape,
            "similar_to_escape" => SimilarToEscape,
            _ => return None,
        })
    }

    /// For the functions whose arguments may be of any type: how many
    /// leading ones are text (the separator of `concat_ws`, the format
    /// string of `format`), and the fewest and most arguments there may be.
    pub fn takes_any(self) -> Option<(usize, usize, usize)> {
        match self {
            StrFunc::Concat => Some((0, 1, usize::MAX)),
            StrFunc::ConcatWs => Some((1, 2, usize::MAX)),
            StrFunc::Format => Some((1, 1, usize::MAX)),
            StrFunc::QuoteLiteral | StrFunc::QuoteNullable => Some((0, 1, 1)),
            _ => None,
        }
    }

    /// The fixed signatures (none for the [`StrFunc::takes_any`] ones).
    pub fn signatures(self) -> &'static [(&'static [PgType], PgType)] {
        use PgType::*;
        match self {
            StrFunc::Replace | StrFunc::Translate => &[(&[Text, Text, Text], Text)],
            StrFunc::Left | StrFunc::Right => &[(&[Text, Int4], Text)],
            StrFunc::Lpad | StrFunc::Rpad => &[(&[Text, Int4], Text), (&[Text, Int4, Text], Text)],
            StrFunc::Initcap | StrFunc::Reverse | StrFunc::QuoteIdent => &[(&[Text], Text)],
            StrFunc::StartsWith => &[(&[Text, Text], Bool)],
            StrFunc::Ascii => &[(&[Text], Int4)],
            StrFunc::Chr => &[(&[Int4], Text)],
            StrFunc::ToHex => &[(&[Int4], Text), (&[Int8], Text)],
            StrFunc::BitLength => &[(&[Text], Int4), (&[Bytea], Int4)],
            StrFunc::RegexpReplace => &[(&[Text, Text, Text], Text), (&[Text, Text, Text, Text], Text)],
            StrFunc::LikeEscape => &[(&[Text, Text], Text)],
            StrFunc::SimilarToEscape => &[(&[Text], Text), (&[Text, Text], Text)],
            StrFunc::Concat | StrFunc::ConcatWs | StrFunc::Format | StrFunc::QuoteLiteral | StrFunc::QuoteNullable => {
                &[]
            }
        }
    }

    /// Whether a NULL argument makes the result NULL without running.
    /// The others look at their NULLs: `concat` skips them, `format`
    /// prints them, `quote_nullable` spells them.
    pub fn strict(self) -> bool {
        !matches!(self, StrFunc::Concat | StrFunc::ConcatWs | StrFunc::Format | StrFunc::QuoteNullable)
    }

    /// All are immutable except those that print values of any type,
    /// whose output may depend on settings (a timestamptz on TimeZone),
    /// which PostgreSQL marks stable.
    pub fn immutable(self) -> bool {
        !matches!(
            self,
            StrFunc::Concat | StrFunc::ConcatWs | StrFunc::Format | StrFunc::QuoteLiteral | StrFunc::QuoteNullable
        )
    }
}

/// The text output form of `v` (NULL: `None`), as the session shows it.
fn output(v: &Datum, ctx: &dyn EvalContext) -> Option<String> {
    match v {
        Datum::Null => None,
        Datum::Text(s) => Some(s.clone()),
        other => {
            let tz = ctx.time_zone();
            let style = TextStyle {
                extra_float_digits: ctx.extra_float_digits(),
                time_zone: &tz,
                bytea_output: ctx.bytea_output(),
            };
            let mut out = Vec::new();
            other.write_text_as(&mut out, &style);
            Some(String::from_utf8_lossy(&out).into_owned())
        }
    }
}

fn int(v: &Datum) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn too_long() -> crate::error::Error {
    err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "requested length too large")
}

pub fn call(func: StrFunc, values: &[Datum], ctx: &dyn EvalContext) -> Result<Datum> {
    let text = |i: usize| values.get(i).and_then(Datum::as_str).unwrap_or("");
    Ok(match func {
        StrFunc::LikeEscape => Datum::Text(crate::sql::expr::like_escape(text(0), text(1))?),
        StrFunc::SimilarToEscape => {
            Datum::Text(crate::sql::expr::similar_to_escape(text(0), values.get(1).map(|_| text(1)))?)
        }
        StrFunc::Replace => {
            if text(1).is_empty() {
                Datum::Text(text(0).to_string())
            } else {
                Datum::Text(text(0).replace(text(1), text(2)))
            }
        }
        StrFunc::Left | StrFunc::Right => {
            let chars: Vec<char> = text(0).chars().collect();
            let n = int(&values[1]);
            let len = chars.len() as i64;
            let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) } as usize;
            let part = if func == StrFunc::Left { &chars[..keep] } else { &chars[chars.len() - keep..] };
            Datum::Text(part.iter().collect())
        }
        StrFunc::Lpad | StrFunc::Rpad => {
            let fill: Vec<char> = if values.len() > 2 { text(2).chars().collect() } else { vec![' '] };
            let len = int(&values[1]).max(0);
            if len > crate::storage::heap::toast::MAX_VALUE_SIZE as i64 {
                return Err(too_long());
            }
            Datum::Text(pad(text(0), len as usize, &fill, func == StrFunc::Lpad))
        }
        StrFunc::Concat => Datum::Text(values.iter().filter_map(|v| output(v, ctx)).collect()),
        StrFunc::ConcatWs => match values[0].as_str() {
            None => Datum::Null,
            Some(sep) => {
                let parts: Vec<String> = values[1..].iter().filter_map(|v| output(v, ctx)).collect();
                Datum::Text(parts.join(sep))
            }
        },
        StrFunc::Initcap => Datum::Text(initcap(text(0))),
        StrFunc::Reverse => Datum::Text(text(0).chars().rev().collect()),
        StrFunc::Translate => {
            let (from, to): (Vec<char>, Vec<char>) = (text(1).chars().collect(), text(2).chars().collect());
            let out = text(0)
                .chars()
                .filter_map(|c| match from.iter().position(|&f| f == c) {
                    Some(i) => to.get(i).copied(),
                    None => Some(c),
                })
                .collect();
            Datum::Text(out)
        }
        StrFunc::StartsWith => Datum::Bool(text(0).starts_with(text(1))),
        StrFunc::Ascii => Datum::Int4(text(0).chars().next().map_or(0, |c| c as i32)),
        StrFunc::Chr => Datum::Text(chr(int(&values[0]))?.to_string()),
        StrFunc::QuoteIdent => Datum::Text(quote_identifier(text(0))),
        StrFunc::QuoteLiteral | StrFunc::QuoteNullable => match output(&values[0], ctx) {
            Some(s) => Datum::Text(quote_literal(&s)),
            None => Datum::Text("NULL".to_string()),
        },
        StrFunc::ToHex => Datum::Text(match values[0] {
            Datum::Int4(v) => format!("{:x}", v as u32),
            _ => format!("{:x}", int(&values[0]) as u64),
        }),
        StrFunc::BitLength => Datum::Int4(match &values[0] {
            Datum::Bytea(b) => b.len() as i32 * 8,
            _ => text(0).len() as i32 * 8,
        }),
        StrFunc::RegexpReplace => {
            let flags = if values.len() > 3 { text(3) } else { "" };
            Datum::Text(crate::sql::regex::replace(text(0), text(1), text(2), flags)?)
        }
        StrFunc::Format => match values[0].as_str() {
            None => Datum::Null,
            Some(fmt) => {
                let args: Vec<Option<String>> = values[1..].iter().map(|v| output(v, ctx)).collect();
                Datum::Text(format(fmt, &args)?)
            }
        },
    })
}

/// `lpad`/`rpad`: `s` cut or filled to `len` characters with `fill`
/// repeated (an empty fill only cuts).
fn pad(s: &str, len: usize, fill: &[char], left: bool) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() >= len || fill.is_empty() {
        return chars.iter().take(len).collect();
    }
    let filler: String = fill.iter().cycle().take(len - chars.len()).collect();
    if left { format!("{filler}{s}") } else { format!("{s}{filler}") }
}

/// `initcap`: the first letter of each run of letters and digits upper
/// case, the rest lower case.
fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        if in_word {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        in_word = c.is_alphanumeric();
    }
    out
}

/// `chr(n)`: the character with code point `n`.
fn chr(n: i64) -> Result<char> {
    if n == 0 {
        return Err(err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "null character not permitted"));
    }
    if n < 0 {
        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "character number must be positive"));
    }
    if n > 0x10FFFF {
        return Err(err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "requested character too large for encoding: {n}"));
    }
    char::from_u32(n as u32)
        .ok_or_else(|| err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "requested character not valid for encoding: {n}"))
}

/// `quote_literal`: `s` as a string literal, in the `E''` form when it
/// holds a backslash (doubled).
pub fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') { format!("E'{}'", body.replace('\\', "\\\\")) } else { format!("'{body}'") }
}

fn format_error(message: &str) -> crate::error::Error {
    err!(SqlState::INVALID_PARAMETER_VALUE, "{message}")
}

/// `format(fmt, args…)`: `%s` (the value, NULL as empty), `%I` (quoted as
/// an identifier), `%L` (quoted as a literal, NULL unquoted), `%%`; each
/// with an optional position `n$`, the flag `-` and a width (`*` or
/// `*n$` to take it from an argument).
fn format(fmt: &str, args: &[Option<String>]) -> Result<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::with_capacity(fmt.len());
    let mut next = 0usize;
    let mut i = 0;
    let unterminated = || format_error("unterminated format() type specifier");
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        // An optional argument position `n$`.
        let (n, after) = digits(&chars, i)?;
        let mut position = None;
        if n.is_some() && chars.get(after) == Some(&'$') {
            position = n;
            i = after + 1;
        }
        let mut left = false;
        if chars.get(i) == Some(&'-') {
            left = true;
            i += 1;
        }
        let mut width: Option<i64> = None;
        if chars.get(i) == Some(&'*') {
            i += 1;
            let (n, after) = digits(&chars, i)?;
            let arg = match n {
                Some(n) if chars.get(after) == Some(&'$') => {
                    i = after + 1;
                    n
                }
                _ => {
                    next += 1;
                    next
                }
            };
            let w = args.get(arg - 1).ok_or_else(|| format_error("too few arguments for format()"))?;
            let w = w.as_deref().map(|s| s.trim().parse::<i64>()).transpose().map_err(|_| {
                err!(
                    SqlState::INVALID_TEXT_REPRESENTATION,
                    "invalid input syntax for type integer: \"{}\"",
                    w.as_deref().unwrap_or("")
                )
            })?;
            if let Some(w) = w {
                if w < 0 {
                    left = true;
                }
                width = Some(w.abs());
            }
        } else {
            let (n, after) = digits(&chars, i)?;
            if n.is_some() {
                width = n.map(|n| n as i64);
                i = after;
            }
        }
        let Some(&kind) = chars.get(i) else { return Err(unterminated()) };
        i += 1;
        if !matches!(kind, 's' | 'I' | 'L') {
            return Err(format_error(&format!("unrecognized format() type specifier \"{kind}\""))
                .with_hint("For a single \"%\" use \"%%\"."));
        }
        let arg = match position {
            Some(p) => {
                next = p;
                p
            }
            None => {
                next += 1;
                next
            }
        };
        let value = args.get(arg - 1).ok_or_else(|| format_error("too few arguments for format()"))?;
        let piece = match (kind, value) {
            ('s', v) => v.clone().unwrap_or_default(),
            ('I', None) => {
                return Err(err!(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    "null values cannot be formatted as an SQL identifier"
                ));
            }
            ('I', Some(v)) => quote_identifier(v),
            (_, None) => "NULL".to_string(),
            (_, Some(v)) => quote_literal(v),
        };
        let w = width.unwrap_or(0).max(0) as usize;
        let len = piece.chars().count();
        if len >= w {
            out.push_str(&piece);
        } else if left {
            out.push_str(&piece);
            out.extend(std::iter::repeat_n(' ', w - len));
        } else {
            out.extend(std::iter::repeat_n(' ', w - len));
            out.push_str(&piece);
        }
    }
    Ok(out)
}

/// A run of decimal digits at `at` (a number above zero), and where it ends.
fn digits(chars: &[char], at: usize) -> Result<(Option<usize>, usize)> {
    let mut end = at;
    let mut n: usize = 0;
    while let Some(d) = chars.get(end).and_then(|c| c.to_digit(10)) {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(d as usize))
            .filter(|n| *n <= i32::MAX as usize)
            .ok_or_else(|| format_error("number is out of range"))?;
        end += 1;
    }
    if end == at {
        return Ok((None, at));
    }
    if n == 0 {
        return Err(format_error("format specifies argument 0, but arguments are numbered from 1"));
    }
    Ok((Some(n), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_postgres() {
        let args = |v: &[Option<&str>]| v.iter().map(|s| s.map(str::to_string)).collect::<Vec<_>>();
        assert_eq!(format("%s %I %L %%", &args(&[Some("a"), Some("B c"), None])).unwrap(), "a \"B c\" NULL %");
        assert_eq!(format("%2$s %1$s", &args(&[Some("x"), Some("y")])).unwrap(), "y x");
        assert_eq!(format("%5s|%-5s|", &args(&[Some("a"), Some("b")])).unwrap(), "    a|b    |");
        assert!(format("%s %s", &args(&[Some("a")])).is_err());
        assert_eq!(pad("abc", 5, &['x', 'y'], true), "xyabc");
        assert_eq!(pad("abcdef", 3, &[' '], false), "abc");
        assert_eq!(initcap("hello wORLD foo_bar 3abc o'neil"), "Hello World Foo_Bar 3abc O'Neil");
        assert_eq!(quote_literal("a\\b'c"), "E'a\\\\b''c'");
    }
}
