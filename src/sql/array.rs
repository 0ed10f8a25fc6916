//! One-dimensional arrays (`integer[]`, `text[]`, …): the value, its text
//! form (`array_in`/`array_out`), its binary wire form
//! (`array_recv`/`array_send`) and its stored form.
//!
//! An array value is an [`ArrayValue`]: its element type, the lower bound
//! of its one dimension (1 unless written `[l:u]={…}`) and its elements,
//! NULLs included. An array with no elements has no dimension at all, as
//! in PostgreSQL (`array_dims('{}')` is NULL).
//!
//! In batches an array column is an Arrow `Binary` column holding the
//! stored form, not a `ListArray`: a scan then copies a tuple's bytes into
//! the column without decoding them (arrays are read far more often whole —
//! to print or compare — than element by element), one column builder
//! serves every element type, and the per-row path allocates nothing.
//! Values are decoded only when an expression looks inside.
//!
//! The stored form (little-endian, like other stored values):
//!
//! ```text
//! ndim: u8 (0 or 1) | lower: i32 | count: u32 | count × (len: i32 (-1 for NULL) | element's stored bytes)
//! ```
//!
//! Multi-dimensional arrays are not built: their literals are refused
//! with 0A000.

use bytes::BufMut;

use super::types::{Datum, PgType, TextStyle};
use crate::err;
use crate::error::{Error, Result, SqlState};

/// A one-dimensional array value (see the module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayValue {
    pub elem: PgType,
    /// The subscript of the first element.
    pub lower: i32,
    pub items: Vec<Datum>,
}

impl ArrayValue {
    pub fn new(elem: PgType, items: Vec<Datum>) -> ArrayValue {
        ArrayValue { elem, lower: 1, items }
    }

    /// The subscript of the last element (`lower - 1` when empty).
    pub fn upper(&self) -> i32 {
        self.lower.saturating_add(self.items.len() as i32).saturating_sub(1)
    }

    /// The element at 1-based-by-`lower` subscript `i`, NULL when out of range.
    pub fn get(&self, i: i64) -> Datum {
        let at = i - self.lower as i64;
        if at < 0 {
            return Datum::Null;
        }
        self.items.get(at as usize).cloned().unwrap_or(Datum::Null)
    }

    pub fn into_datum(self) -> Datum {
        Datum::Array(Box::new(self))
    }

    /// `array_out`: `{1,2,NULL}`, elements quoted where needed.
    pub fn write_text(&self, out: &mut impl BufMut, style: &TextStyle<'_>) {
        if self.lower != 1 && !self.items.is_empty() {
            out.put_slice(format!("[{}:{}]=", self.lower, self.upper()).as_bytes());
        }
        out.put_u8(b'{');
        let mut buf = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                out.put_u8(b',');
            }
            if item.is_null() {
                out.put_slice(b"NULL");
                continue;
            }
            buf.clear();
            item.write_text_as(&mut buf, style);
            if needs_quotes(&buf) {
                out.put_u8(b'"');
                for &b in &buf {
                    if b == b'"' || b == b'\\' {
                        out.put_u8(b'\\');
                    }
                    out.put_u8(b);
                }
                out.put_u8(b'"');
            } else {
                out.put_slice(&buf);
            }
        }
        out.put_u8(b'}');
    }

    /// `array_send`: dimensions, a has-NULLs flag, the element type, and
    /// each element's binary form with its length (-1 for NULL).
    pub fn write_binary(&self, out: &mut impl BufMut) {
        let ndim = if self.items.is_empty() { 0 } else { 1 };
        out.put_i32(ndim);
        out.put_i32(self.items.iter().any(Datum::is_null) as i32);
        out.put_u32(self.elem.oid());
        if ndim == 1 {
            out.put_i32(self.items.len() as i32);
            out.put_i32(self.lower);
        }
        let mut buf = Vec::new();
        for item in &self.items {
            if item.is_null() {
                out.put_i32(-1);
                continue;
            }
            buf.clear();
            item.write_binary(&mut buf);
            out.put_i32(buf.len() as i32);
            out.put_slice(&buf);
        }
    }

    /// The stored form (see the module doc).
    pub fn write_storage(&self, out: &mut Vec<u8>) {
        out.push(if self.items.is_empty() { 0 } else { 1 });
        out.extend_from_slice(&self.lower.to_le_bytes());
        out.extend_from_slice(&(self.items.len() as u32).to_le_bytes());
        for item in &self.items {
            if item.is_null() {
                out.extend_from_slice(&(-1i32).to_le_bytes());
                continue;
            }
            let bytes = item.storage_bytes();
            out.extend_from_slice(&(bytes.len() as i32).to_le_bytes());
            out.extend_from_slice(&bytes);
        }
    }

    /// An array of `elem` from its stored form.
    pub fn from_storage(elem: PgType, b: &[u8]) -> Result<ArrayValue> {
        let bad = || Error::new(SqlState::DATA_CORRUPTED, "invalid stored array value");
        let mut r = Reader { b, at: 0 };
        let _ndim = r.take(1).ok_or_else(bad)?;
        let lower = i32::from_le_bytes(r.take(4).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
        let count = u32::from_le_bytes(r.take(4).ok_or_else(bad)?.try_into().map_err(|_| bad())?) as usize;
        let mut items = Vec::with_capacity(count.min(b.len()));
        for _ in 0..count {
            let len = i32::from_le_bytes(r.take(4).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
            if len < 0 {
                items.push(Datum::Null);
                continue;
            }
            items.push(Datum::from_storage(elem, r.take(len as usize).ok_or_else(bad)?)?);
        }
        Ok(ArrayValue { elem, lower, items })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }
}

/// `array_isspace`: the blanks array input skips.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Whether an element's text must be quoted to read back as itself.
fn needs_quotes(text: &[u8]) -> bool {
    text.is_empty()
        || text.eq_ignore_ascii_case(b"NULL")
        || text.iter().any(|&b| matches!(b, b'{' | b'}' | b',' | b'"' | b'\\') || is_space(b))
}

fn malformed(text: &str, detail: &str) -> Error {
    err!(SqlState::INVALID_TEXT_REPRESENTATION, "malformed array literal: \"{text}\"").with_detail(detail)
}

/// One element as written in an array literal: its text, or NULL.
pub type ElementText = Option<String>;

/// `array_in`'s parse: the lower bound and each element's text (before
/// the element type's input function reads it).
pub fn parse_literal(text: &str) -> Result<(i32, Vec<ElementText>)> {
    let b = text.as_bytes();
    let mut i = 0;
    let skip = |i: &mut usize| {
        while *i < b.len() && is_space(b[*i]) {
            *i += 1;
        }
    };
    skip(&mut i);
    let mut bounds: Option<(i32, i32)> = None;
    if b.get(i) == Some(&b'[') {
        let close = text[i..]
            .find(']')
            .map(|p| p + i)
            .ok_or_else(|| malformed(text, "Missing \"]\" after array dimensions."))?;
        let dims = &text[i + 1..close];
        let (lo, hi) = match dims.split_once(':') {
            Some((l, h)) => (l.trim(), h.trim()),
            None => ("1", dims.trim()),
        };
        let parse = |s: &str| {
            s.parse::<i32>().map_err(|_| malformed(text, "\"[\" must introduce explicitly-specified array dimensions."))
        };
        let (lo, hi) = (parse(lo)?, parse(hi)?);
        if hi < lo {
            return Err(err!(SqlState::ARRAY_SUBSCRIPT_ERROR, "upper bound cannot be less than lower bound"));
        }
        i = close + 1;
        if b.get(i) == Some(&b'[') {
            return Err(Error::not_supported("multidimensional array"));
        }
        skip(&mut i);
        if b.get(i) != Some(&b'=') {
            return Err(malformed(text, "Missing \"=\" after array dimensions."));
        }
        i += 1;
        skip(&mut i);
        bounds = Some((lo, hi));
    }
    if b.get(i) != Some(&b'{') {
        return Err(malformed(text, "Array value must start with \"{\" or dimension information."));
    }
    i += 1;
    let mut items = Vec::new();
    skip(&mut i);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            skip(&mut i);
            match b.get(i) {
                None => return Err(malformed(text, "Unexpected end of input.")),
                Some(b'{') => {
                    if items.is_empty() {
                        return Err(Error::not_supported("multidimensional array"));
                    }
                    return Err(malformed(text, "Unexpected \"{\" character."));
                }
                Some(&c @ (b',' | b'}')) => {
                    return Err(malformed(text, &format!("Unexpected \"{}\" character.", c as char)));
                }
                _ => {}
            }
            // One element: quoted and unquoted runs, backslash escapes.
            let mut value = Vec::new();
            let mut quoted_any = false;
            let mut in_quotes = false;
            // Length of `value` up to its last character that was quoted or
            // escaped, which trailing-blank trimming must not remove.
            let mut keep = 0;
            let mut escaped = false;
            loop {
                let Some(&c) = b.get(i) else { return Err(malformed(text, "Unexpected end of input.")) };
                match c {
                    b'\\' => {
                        let Some(&n) = b.get(i + 1) else {
                            return Err(malformed(text, "Unexpected end of input."));
                        };
                        value.push(n);
                        keep = value.len();
                        escaped = true;
                        i += 2;
                    }
                    b'"' if in_quotes => {
                        in_quotes = false;
                        keep = value.len();
                        i += 1;
                    }
                    b'"' => {
                        if !value.is_empty() || quoted_any {
                            return Err(malformed(text, "Unexpected array element."));
                        }
                        in_quotes = true;
                        quoted_any = true;
                        i += 1;
                    }
                    _ if in_quotes => {
                        value.push(c);
                        keep = value.len();
                        i += 1;
                    }
                    b',' | b'}' => break,
                    b'{' => return Err(malformed(text, "Unexpected \"{\" character.")),
                    _ if quoted_any && !is_space(c) => return Err(malformed(text, "Unexpected array element.")),
                    _ => {
                        value.push(c);
                        if !is_space(c) {
                            keep = value.len();
                        }
                        i += 1;
                    }
                }
            }
            value.truncate(keep);
            let s = String::from_utf8(value).map_err(|_| malformed(text, "Unexpected end of input."))?;
            let is_null = !quoted_any && !escaped && s.eq_ignore_ascii_case("NULL");
            items.push(if is_null { None } else { Some(s) });
            let c = b[i];
            i += 1;
            if c == b'}' {
                break;
            }
        }
    }
    skip(&mut i);
    if i < b.len() {
        return Err(malformed(text, "Junk after closing right brace."));
    }
    let lower = match bounds {
        Some((lo, hi)) => {
            if (hi as i64 - lo as i64 + 1) != items.len() as i64 {
                return Err(malformed(text, "Specified array dimensions do not match array contents."));
            }
            lo
        }
        None => 1,
    };
    Ok((lower, items))
}

/// `array_recv`: the binary wire form, elements read by `read_elem`.
pub fn parse_binary(elem: PgType, bytes: &[u8]) -> Result<ArrayValue> {
    let wrong = || err!(SqlState::INVALID_BINARY_REPRESENTATION, "incorrect binary data format in bind parameter");
    let mut r = Reader { b: bytes, at: 0 };
    let int = |r: &mut Reader<'_>| -> Result<i32> {
        Ok(i32::from_be_bytes(r.take(4).ok_or_else(wrong)?.try_into().map_err(|_| wrong())?))
    };
    let ndim = int(&mut r)?;
    let _flags = int(&mut r)?;
    let elem_oid = int(&mut r)? as u32;
    if ndim > 1 {
        return Err(Error::not_supported("multidimensional array"));
    }
    if ndim < 0 {
        return Err(err!(SqlState::INVALID_BINARY_REPRESENTATION, "invalid number of dimensions: {ndim}"));
    }
    if elem_oid != elem.oid() {
        return Err(err!(
            SqlState::DATATYPE_MISMATCH,
            "binary data has array element type {elem_oid} instead of expected {}",
            elem.oid()
        ));
    }
    let (count, lower) = if ndim == 1 { (int(&mut r)?, int(&mut r)?) } else { (0, 1) };
    if count < 0 {
        return Err(wrong());
    }
    let mut items = Vec::with_capacity((count as usize).min(bytes.len()));
    for _ in 0..count {
        let len = int(&mut r)?;
        if len < 0 {
            items.push(Datum::Null);
            continue;
        }
        let body = r.take(len as usize).ok_or_else(wrong)?;
        items.push(super::types::parse_binary(elem, body)?);
    }
    if r.at != bytes.len() {
        return Err(wrong());
    }
    Ok(ArrayValue { elem, lower, items })
}

/// Total order of two arrays, as PostgreSQL's `btarraycmp`: element by
/// element (a NULL element after every value), then the shorter first,
/// then the lower bound.
pub fn compare(a: &ArrayValue, b: &ArrayValue) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    for (x, y) in a.items.iter().zip(&b.items) {
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => super::expr::compare(x, y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.items.len().cmp(&b.items.len()).then(a.lower.cmp(&b.lower))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::types::parse_text;

    fn out(d: &Datum) -> String {
        d.to_text()
    }

    #[test]
    fn text_round_trip() {
        let ty = PgType::array_of(PgType::Text).unwrap();
        let d = parse_text(ty, r#"{a,"",NULL,"NULL","a b","x\"y", " z ", \\\\}"#).unwrap();
        assert_eq!(out(&d), r#"{a,"",NULL,"NULL","a b","x\"y"," z ","\\\\"}"#);
        let ints = PgType::array_of(PgType::Int4).unwrap();
        assert_eq!(out(&parse_text(ints, " { 1 , 2 } ").unwrap()), "{1,2}");
        assert_eq!(out(&parse_text(ints, "{}").unwrap()), "{}");
        assert_eq!(out(&parse_text(ints, "[2:3]={1,2}").unwrap()), "[2:3]={1,2}");
        assert_eq!(out(&parse_text(ty, "{1 2}").unwrap()), r#"{"1 2"}"#);
    }

    #[test]
    fn malformed_literals() {
        let ints = PgType::array_of(PgType::Int4).unwrap();
        let detail = |t: &str| parse_text(ints, t).unwrap_err().detail().map(str::to_string);
        assert_eq!(detail("abc").as_deref(), Some("Array value must start with \"{\" or dimension information."));
        assert_eq!(detail("{1,2").as_deref(), Some("Unexpected end of input."));
        assert_eq!(detail("{1,2}x").as_deref(), Some("Junk after closing right brace."));
        assert_eq!(detail("{,}").as_deref(), Some("Unexpected \",\" character."));
        assert_eq!(detail("{1,}").as_deref(), Some("Unexpected \"}\" character."));
        assert_eq!(detail("{1,{2}}").as_deref(), Some("Unexpected \"{\" character."));
        assert_eq!(parse_text(ints, "{{1},{2}}").unwrap_err().code(), SqlState::FEATURE_NOT_SUPPORTED);
    }

    #[test]
    fn storage_and_binary_round_trip() {
        let a = ArrayValue::new(PgType::Int4, vec![Datum::Int4(1), Datum::Null, Datum::Int4(-3)]);
        let mut s = Vec::new();
        a.write_storage(&mut s);
        assert_eq!(ArrayValue::from_storage(PgType::Int4, &s).unwrap(), a);
        let mut w = Vec::new();
        a.write_binary(&mut w);
        assert_eq!(parse_binary(PgType::Int4, &w).unwrap(), a);
    }
}
