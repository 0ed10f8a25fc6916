//! The `json` and `jsonb` types.
//!
//! Both read text with one parser ([`parse`]), which follows PostgreSQL's
//! JSON lexer and grammar so that errors carry the same DETAIL and CONTEXT
//! lines. A `json` value is the text as written, validated; its operators
//! find a part of it through the parse tree's spans ([`Node`]) and return
//! that part verbatim. A `jsonb` value is a [`Jsonb`] tree: object keys
//! sorted as PostgreSQL stores them (shorter first, then bytewise), a
//! repeated key's last value kept, numbers as canonical numeric text
//! (`1e2` is `100`, `1.50` stays `1.50`).
//!
//! ```text
//!   text ──parse──▶ Node (spans) ──Jsonb::from_node──▶ Jsonb ──storage_bytes──▶ heap
//!                                                        │
//!                                                        └─ Display: {"a": 1, "b": [1, 2]}
//! ```
//!
//! The stored form is tusk's own: a version byte (1), then each value as a
//! tag byte followed by its body, little-endian lengths (see
//! [`Jsonb::storage_bytes`]). jsonb values order as PostgreSQL's
//! `compareJsonbContainers` does ([`compare`]); the B-tree key encoding
//! that agrees with it is in `catalog/keycode.rs`.

use std::cmp::Ordering;
use std::fmt;
use std::ops::Range;

use crate::err;
use crate::error::{Error, Result, SqlState};

/// A jsonb value.
#[derive(Clone, Debug, PartialEq)]
pub enum Jsonb {
    Null,
    Bool(bool),
    /// Canonical numeric text.
    Number(String),
    String(String),
    Array(Vec<Jsonb>),
    /// Pairs with unique keys, sorted by [`key_order`].
    Object(Vec<(String, Jsonb)>),
}

/// How jsonb stores object keys: shorter first, then bytewise.
pub fn key_order(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

// ---------------------------------------------------------------------------
// Parsing

/// A parsed JSON value with the byte range of its text.
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Range<usize>,
    pub kind: NodeKind,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// The number as written.
    Number,
    /// The string, escapes decoded.
    String(String),
    Array(Vec<Node>),
    /// Pairs in the order written, repeated keys and all.
    Object(Vec<(String, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open(u8),
    Close(u8),
    Comma,
    Colon,
    String(String),
    Number,
    True,
    False,
    Null,
    End,
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    /// Whether `\u0000` is refused (jsonb cannot hold it).
    for_jsonb: bool,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl<'a> Lexer<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn error(&self, detail: impl Into<String>, upto: usize) -> Error {
        json_error(self.text, detail, upto)
    }

    fn invalid_token(&self, start: usize, end: usize) -> Error {
        let end = self.char_end(end);
        self.error(format!("Token \"{}\" is invalid.", &self.text[start..end]), end)
    }

    /// `end`, moved forward to a character boundary.
    fn char_end(&self, mut end: usize) -> usize {
        while end < self.text.len() && !self.text.is_char_boundary(end) {
            end += 1;
        }
        end.min(self.text.len())
    }

    fn word_end(&self, mut p: usize) -> usize {
        while p < self.text.len() && is_word_byte(self.bytes()[p]) {
            p += 1;
        }
        p
    }

    /// The next token and its byte range.
    fn next(&mut self) -> Result<(Token, Range<usize>)> {
        let b = self.bytes();
        while self.pos < b.len() && matches!(b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else { return Ok((Token::End, start..start)) };
        let tok = match c {
            b'{' | b'[' => Token::Open(c),
            b'}' | b']' => Token::Close(c),
            b',' => Token::Comma,
            b':' => Token::Colon,
            b'"' => {
                let s = self.string(start)?;
                return Ok((Token::String(s), start..self.pos));
            }
            b'-' | b'0'..=b'9' => {
                self.number(start)?;
                return Ok((Token::Number, start..self.pos));
            }
            _ => {
                let end = self.word_end(start);
                if end == start {
                    return Err(self.invalid_token(start, start + 1));
                }
                self.pos = end;
                return match &self.text[start..end] {
                    "true" => Ok((Token::True, start..end)),
                    "false" => Ok((Token::False, start..end)),
                    "null" => Ok((Token::Null, start..end)),
                    _ => Err(self.invalid_token(start, end)),
                };
            }
        };
        self.pos += 1;
        Ok((tok, start..self.pos))
    }

    /// A number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, not
    /// followed by a word character.
    fn number(&mut self, start: usize) -> Result<()> {
        let b = self.bytes();
        let mut p = start;
        let digits = |p: &mut usize| {
            let s = *p;
            while *p < b.len() && b[*p].is_ascii_digit() {
                *p += 1;
            }
            *p > s
        };
        let mut ok = true;
        if b.get(p) == Some(&b'-') {
            p += 1;
        }
        match b.get(p) {
            Some(b'0') => p += 1,
            Some(b'1'..=b'9') => {
                digits(&mut p);
            }
            _ => ok = false,
        }
        if ok && b.get(p) == Some(&b'.') {
            p += 1;
            ok = digits(&mut p);
        }
        if ok && matches!(b.get(p), Some(b'e' | b'E')) {
            p += 1;
            if matches!(b.get(p), Some(b'+' | b'-')) {
                p += 1;
            }
            ok = digits(&mut p);
        }
        let end = self.word_end(p);
        if !ok || end > p {
            return Err(self.invalid_token(start, end));
        }
        self.pos = p;
        Ok(())
    }

    /// A string from its opening quote at `start`, escapes decoded.
    fn string(&mut self, start: usize) -> Result<String> {
        let b = self.bytes();
        let mut out = String::new();
        let mut p = start + 1;
        // A high surrogate waiting for its low half.
        let mut high: Option<u32> = None;
        let surrogate_error =
            |lx: &Self, at: usize| lx.error("Unicode low surrogate must follow a high surrogate.", at);
        loop {
            let Some(&c) = b.get(p) else { return Err(self.invalid_token(start, p)) };
            match c {
                b'"' => {
                    if high.is_some() {
                        return Err(surrogate_error(self, p + 1));
                    }
                    self.pos = p + 1;
                    return Ok(out);
                }
                b'\\' => {
                    let Some(&e) = b.get(p + 1) else { return Err(self.invalid_token(start, p + 1)) };
                    if e == b'u' {
                        let mut code = 0u32;
                        for i in 0..4 {
                            let Some(d) = b.get(p + 2 + i).and_then(|h| (*h as char).to_digit(16)) else {
                                let upto = self.char_end((p + 3 + i).min(b.len()));
                                return Err(self.error("\"\\u\" must be followed by four hexadecimal digits.", upto));
                            };
                            code = code * 16 + d;
                        }
                        p += 6;
                        match (code, high) {
                            (0xD800..=0xDBFF, Some(_)) => {
                                return Err(self.error("Unicode high surrogate must not follow a high surrogate.", p));
                            }
                            (0xD800..=0xDBFF, None) => high = Some(code),
                            (0xDC00..=0xDFFF, Some(h)) => {
                                high = None;
                                let c = 0x10000 + ((h - 0xD800) << 10) + (code - 0xDC00);
                                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                            }
                            (0xDC00..=0xDFFF, None) => return Err(surrogate_error(self, p)),
                            (_, Some(_)) => return Err(surrogate_error(self, p)),
                            (0, None) if self.for_jsonb => {
                                return Err(json_error(self.text, "\\u0000 cannot be converted to text.", p)
                                    .with_code(
                                        SqlState::UNTRANSLATABLE_CHARACTER,
                                        "unsupported Unicode escape sequence",
                                    ));
                            }
                            (c, None) => out.push(char::from_u32(c).unwrap_or('\u{FFFD}')),
                        }
                        continue;
                    }
                    if high.is_some() {
                        return Err(surrogate_error(self, p + 2));
                    }
                    out.push(match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        _ => {
                            let end = self.char_end(p + 2);
                            let detail = format!("Escape sequence \"{}\" is invalid.", &self.text[p..end]);
                            return Err(self.error(detail, end));
                        }
                    });
                    p += 2;
                }
                0..=0x1f => {
                    return Err(self.error(format!("Character with value 0x{c:02x} must be escaped."), p));
                }
                _ => {
                    if high.is_some() {
                        return Err(surrogate_error(self, p));
                    }
                    let end = self.char_end(p + 1);
                    out.push_str(&self.text[p..end]);
                    p = end;
                }
            }
        }
    }
}

/// The error PostgreSQL raises for bad JSON input: DETAIL says what is
/// wrong, CONTEXT shows the line up to where it went wrong.
fn json_error(text: &str, detail: impl Into<String>, upto: usize) -> Error {
    let upto = upto.min(text.len());
    let line_start = text[..upto].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..upto].matches('\n').count() + 1;
    let more = if upto < text.len() { "..." } else { "" };
    err!(SqlState::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type json")
        .with_detail(detail)
        .with_context(format!("JSON data, line {line}: {}{more}", &text[line_start..upto]))
}

trait WithCode {
    fn with_code(self, code: SqlState, message: &str) -> Error;
}

impl WithCode for Error {
    fn with_code(self, code: SqlState, message: &str) -> Error {
        let mut e = Error::new(code, message);
        if let Some(d) = self.detail() {
            e = e.with_detail(d.to_string());
        }
        if let Some(c) = self.context() {
            e = e.with_context(c.to_string());
        }
        e
    }
}

struct Parser<'a> {
    lx: Lexer<'a>,
}

impl Parser<'_> {
    fn found(&self, expected: &str, tok: &Token, span: &Range<usize>) -> Error {
        if *tok == Token::End {
            return self.lx.error("The input string ended unexpectedly.", span.end);
        }
        let text = &self.lx.text[span.clone()];
        self.lx.error(format!("Expected {expected}, but found \"{text}\"."), span.end)
    }

    fn value(&mut self, tok: Token, span: Range<usize>, expected: &str) -> Result<Node> {
        crate::txn::wait::check_stack_depth()?;
        let kind = match tok {
            Token::Null => NodeKind::Null,
            Token::True => NodeKind::Bool(true),
            Token::False => NodeKind::Bool(false),
            Token::Number => NodeKind::Number,
            Token::String(s) => NodeKind::String(s),
            Token::Open(b'[') => return self.array(span.start),
            Token::Open(_) => return self.object(span.start),
            other => return Err(self.found(expected, &other, &span)),
        };
        Ok(Node { span, kind })
    }

    fn array(&mut self, start: usize) -> Result<Node> {
        let mut items = Vec::new();
        let (mut tok, mut span) = self.lx.next()?;
        if tok != Token::Close(b']') {
            loop {
                items.push(self.value(tok, span, "array element or \"]\"")?);
                let (t, s) = self.lx.next()?;
                match t {
                    Token::Comma => {
                        let (t, s) = self.lx.next()?;
                        (tok, span) = (t, s);
                        if matches!(tok, Token::Close(_) | Token::Comma | Token::Colon | Token::End) {
                            return Err(self.found("JSON value", &tok, &span));
                        }
                    }
                    Token::Close(b']') => break,
                    other => return Err(self.found("\",\" or \"]\"", &other, &s)),
                }
            }
        }
        Ok(Node { span: start..self.lx.pos, kind: NodeKind::Array(items) })
    }

    fn object(&mut self, start: usize) -> Result<Node> {
        let mut pairs = Vec::new();
        let (mut tok, mut span) = self.lx.next()?;
        let mut expected = "string or \"}\"";
        if tok != Token::Close(b'}') {
            loop {
                let Token::String(key) = tok else { return Err(self.found(expected, &tok, &span)) };
                let (t, s) = self.lx.next()?;
                if t != Token::Colon {
                    return Err(self.found("\":\"", &t, &s));
                }
                let (t, s) = self.lx.next()?;
                pairs.push((key, self.value(t, s, "JSON value")?));
                let (t, s) = self.lx.next()?;
                match t {
                    Token::Comma => {
                        (tok, span) = self.lx.next()?;
                        expected = "string";
                    }
                    Token::Close(b'}') => break,
                    other => return Err(self.found("\",\" or \"}\"", &other, &s)),
                }
            }
        }
        Ok(Node { span: start..self.lx.pos, kind: NodeKind::Object(pairs) })
    }
}

/// Parse JSON text (PostgreSQL's grammar and errors); `for_jsonb` refuses
/// `\u0000`, which jsonb cannot hold.
pub fn parse(text: &str, for_jsonb: bool) -> Result<Node> {
    let mut p = Parser { lx: Lexer { text, pos: 0, for_jsonb } };
    let (tok, span) = p.lx.next()?;
    let node = p.value(tok, span, "JSON value")?;
    let (tok, span) = p.lx.next()?;
    if tok != Token::End {
        return Err(p.found("end of input", &tok, &span));
    }
    Ok(node)
}

/// `json_in`: the text must be JSON.
pub fn validate(text: &str) -> Result<()> {
    parse(text, false).map(|_| ())
}

// ---------------------------------------------------------------------------
// jsonb values

impl Jsonb {
    /// `jsonb_in`.
    pub fn parse(text: &str) -> Result<Jsonb> {
        Jsonb::from_node(text, &parse(text, true)?)
    }

    /// The jsonb value of a parsed JSON text.
    pub fn from_node(text: &str, node: &Node) -> Result<Jsonb> {
        crate::txn::wait::check_stack_depth()?;
        Ok(match &node.kind {
            NodeKind::Null => Jsonb::Null,
            NodeKind::Bool(b) => Jsonb::Bool(*b),
            NodeKind::Number => Jsonb::Number(super::numeric::canonical(&text[node.span.clone()])?),
            NodeKind::String(s) => Jsonb::String(s.clone()),
            NodeKind::Array(items) => {
                Jsonb::Array(items.iter().map(|n| Jsonb::from_node(text, n)).collect::<Result<_>>()?)
            }
            NodeKind::Object(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((k.clone(), Jsonb::from_node(text, v)?));
                }
                Jsonb::object(out)
            }
        })
    }

    /// An object of these pairs: sorted, the last of a repeated key kept.
    pub fn object(mut pairs: Vec<(String, Jsonb)>) -> Jsonb {
        // A stable sort keeps repeated keys in the order written.
        pairs.sort_by(|a, b| key_order(&a.0, &b.0));
        let mut out: Vec<(String, Jsonb)> = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        Jsonb::Object(out)
    }

    /// `jsonb_typeof`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Jsonb::Null => "null",
            Jsonb::Bool(_) => "boolean",
            Jsonb::Number(_) => "number",
            Jsonb::String(_) => "string",
            Jsonb::Array(_) => "array",
            Jsonb::Object(_) => "object",
        }
    }

    pub fn is_scalar(&self) -> bool {
        !matches!(self, Jsonb::Array(_) | Jsonb::Object(_))
    }

    /// The value of key `k` of an object.
    pub fn get(&self, k: &str) -> Option<&Jsonb> {
        match self {
            Jsonb::Object(pairs) => pairs.binary_search_by(|(pk, _)| key_order(pk, k)).ok().map(|i| &pairs[i].1),
            _ => None,
        }
    }

    /// Element `i` of an array, from the end when negative.
    pub fn index(&self, i: i64) -> Option<&Jsonb> {
        match self {
            Jsonb::Array(items) => items.get(array_index(items.len(), i)?),
            _ => None,
        }
    }

    /// The text `->>` gives: a string without quotes, NULL for null,
    /// others as their jsonb text.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Jsonb::Null => None,
            Jsonb::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// tusk's stored form: a version byte, then the value (see the module doc).
    pub fn storage_bytes(&self) -> Vec<u8> {
        let mut out = vec![1u8];
        self.write_storage(&mut out);
        out
    }

    fn write_storage(&self, out: &mut Vec<u8>) {
        let put_str = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        match self {
            Jsonb::Null => out.push(0),
            Jsonb::Bool(false) => out.push(1),
            Jsonb::Bool(true) => out.push(2),
            Jsonb::Number(n) => {
                out.push(3);
                put_str(out, n);
            }
            Jsonb::String(s) => {
                out.push(4);
                put_str(out, s);
            }
            Jsonb::Array(items) => {
                out.push(5);
                out.extend_from_slice(&(items.len() as u32).to_le_bytes());
                for i in items {
                    i.write_storage(out);
                }
            }
            Jsonb::Object(pairs) => {
                out.push(6);
                out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
                for (k, v) in pairs {
                    put_str(out, k);
                    v.write_storage(out);
                }
            }
        }
    }

    /// A value from its stored form, `None` if the bytes are not one.
    pub fn from_storage(b: &[u8]) -> Option<Jsonb> {
        let (&version, mut rest) = b.split_first()?;
        if version != 1 {
            return None;
        }
        let v = Jsonb::read_storage(&mut rest, 0)?;
        rest.is_empty().then_some(v)
    }

    fn read_storage(b: &mut &[u8], depth: usize) -> Option<Jsonb> {
        fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            if b.len() < n {
                return None;
            }
            let (head, tail) = b.split_at(n);
            *b = tail;
            Some(head)
        }
        fn len(b: &mut &[u8]) -> Option<usize> {
            Some(u32::from_le_bytes(take(b, 4)?.try_into().ok()?) as usize)
        }
        fn string(b: &mut &[u8]) -> Option<String> {
            let n = len(b)?;
            String::from_utf8(take(b, n)?.to_vec()).ok()
        }
        if depth > 10_000 {
            return None;
        }
        let tag = take(b, 1)?[0];
        Some(match tag {
            0 => Jsonb::Null,
            1 => Jsonb::Bool(false),
            2 => Jsonb::Bool(true),
            3 => Jsonb::Number(string(b)?),
            4 => Jsonb::String(string(b)?),
            5 => {
                let n = len(b)?;
                let mut items = Vec::with_capacity(n.min(b.len()));
                for _ in 0..n {
                    items.push(Jsonb::read_storage(b, depth + 1)?);
                }
                Jsonb::Array(items)
            }
            6 => {
                let n = len(b)?;
                let mut pairs = Vec::with_capacity(n.min(b.len()));
                for _ in 0..n {
                    let k = string(b)?;
                    pairs.push((k, Jsonb::read_storage(b, depth + 1)?));
                }
                Jsonb::Object(pairs)
            }
            _ => return None,
        })
    }

    /// `jsonb_pretty`: four-space indents, one element or pair a line.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, level: usize) {
        let indent = |out: &mut String, level: usize| {
            out.push('\n');
            out.extend(std::iter::repeat_n("    ", level));
        };
        match self {
            Jsonb::Array(items) if items.is_empty() => {
                out.push('[');
                indent(out, level);
                out.push(']');
            }
            Jsonb::Object(pairs) if pairs.is_empty() => {
                out.push('{');
                indent(out, level);
                out.push('}');
            }
            Jsonb::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, level + 1);
                    item.write_pretty(out, level + 1);
                }
                indent(out, level);
                out.push(']');
            }
            Jsonb::Object(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, level + 1);
                    write_string(out, k);
                    out.push_str(": ");
                    v.write_pretty(out, level + 1);
                }
                indent(out, level);
                out.push('}');
            }
            other => out.push_str(&other.to_string()),
        }
    }
}

/// An index into `len` elements, negative from the end.
pub fn array_index(len: usize, i: i64) -> Option<usize> {
    let i = if i < 0 { len as i64 + i } else { i };
    (0..len as i64).contains(&i).then_some(i as usize)
}

/// A JSON string literal of `s`, escaped as PostgreSQL's `escape_json` does.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl fmt::Display for Jsonb {
    /// `jsonb_out`: `{"a": 1, "b": [1, 2]}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Jsonb::Null => f.write_str("null"),
            Jsonb::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
            Jsonb::Number(n) => f.write_str(n),
            Jsonb::String(s) => {
                let mut out = String::with_capacity(s.len() + 2);
                write_string(&mut out, s);
                f.write_str(&out)
            }
            Jsonb::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Jsonb::Object(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    let mut key = String::with_capacity(k.len() + 2);
                    write_string(&mut key, k);
                    write!(f, "{key}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Ordering

/// The rank of a value's type in jsonb ordering: null < string < number <
/// boolean < array < object.
pub fn type_rank(v: &Jsonb) -> u8 {
    match v {
        Jsonb::Null => 0,
        Jsonb::String(_) => 1,
        Jsonb::Number(_) => 2,
        Jsonb::Bool(_) => 3,
        Jsonb::Array(_) => 4,
        Jsonb::Object(_) => 5,
    }
}

/// Two numbers in numeric order.
pub fn compare_numbers(a: &str, b: &str) -> Ordering {
    use super::types::Datum;
    super::expr::compare(&Datum::Numeric(a.to_string()), &Datum::Numeric(b.to_string()))
}

/// PostgreSQL's jsonb order (`compareJsonbContainers`). A top-level scalar
/// is a one-element "raw scalar" array: it sorts before a real array of
/// one element, after an empty one.
pub fn compare(a: &Jsonb, b: &Jsonb) -> Ordering {
    match (a.is_scalar(), b.is_scalar()) {
        (true, true) => compare_nested(a, b),
        (true, false) => match b {
            Jsonb::Array(items) if items.len() != 1 => 1.cmp(&items.len()),
            Jsonb::Array(_) => Ordering::Less,
            _ => Ordering::Less,
        },
        (false, true) => compare(b, a).reverse(),
        (false, false) => compare_nested(a, b),
    }
}

fn compare_nested(a: &Jsonb, b: &Jsonb) -> Ordering {
    let (ra, rb) = (type_rank(a), type_rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Jsonb::String(x), Jsonb::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Jsonb::Number(x), Jsonb::Number(y)) => compare_numbers(x, y),
        (Jsonb::Bool(x), Jsonb::Bool(y)) => x.cmp(y),
        (Jsonb::Array(x), Jsonb::Array(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter().zip(y).map(|(p, q)| compare_nested(p, q)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
        }),
        (Jsonb::Object(x), Jsonb::Object(y)) => x.len().cmp(&y.len()).then_with(|| {
            x.iter()
                .zip(y)
                .map(|((kx, vx), (ky, vy))| kx.as_bytes().cmp(ky.as_bytes()).then_with(|| compare_nested(vx, vy)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        }),
        _ => Ordering::Equal,
    }
}

// ---------------------------------------------------------------------------
// Containment and existence

/// `a @> b`: PostgreSQL's `JsonbDeepContains`. A scalar contains only an
/// equal scalar; an array contains the elements of an array (in any
/// order, repeats allowed) or, at the top level only, a scalar; an object
/// contains an object whose every pair it contains.
pub fn contains(a: &Jsonb, b: &Jsonb) -> bool {
    match (a, b) {
        (Jsonb::Array(_), s) if s.is_scalar() => contains_nested(a, &Jsonb::Array(vec![s.clone()])),
        _ => contains_nested(a, b),
    }
}

fn contains_nested(a: &Jsonb, b: &Jsonb) -> bool {
    match (a, b) {
        (Jsonb::Object(x), Jsonb::Object(y)) => {
            y.len() <= x.len() && y.iter().all(|(k, vy)| a.get(k).is_some_and(|vx| contains_nested(vx, vy)))
        }
        (Jsonb::Array(x), Jsonb::Array(y)) => y.iter().all(|vy| {
            if vy.is_scalar() {
                x.iter().any(|vx| vx.is_scalar() && compare_nested(vx, vy) == Ordering::Equal)
            } else {
                x.iter().any(|vx| type_rank(vx) == type_rank(vy) && contains_nested(vx, vy))
            }
        }),
        (x, y) if x.is_scalar() && y.is_scalar() => compare_nested(x, y) == Ordering::Equal,
        _ => false,
    }
}

/// `a ? k`: an object key, an array element string, or the string itself.
pub fn exists(a: &Jsonb, k: &str) -> bool {
    match a {
        Jsonb::Object(_) => a.get(k).is_some(),
        Jsonb::Array(items) => items.iter().any(|i| matches!(i, Jsonb::String(s) if s == k)),
        Jsonb::String(s) => s == k,
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Changing values

/// `a || b`: objects merge (b's keys win); otherwise arrays concatenate,
/// a scalar or object counting as an array of itself.
pub fn concat(a: Jsonb, b: Jsonb) -> Jsonb {
    match (a, b) {
        (Jsonb::Object(mut x), Jsonb::Object(y)) => {
            x.extend(y);
            Jsonb::object(x)
        }
        (a, b) => {
            let as_items = |v: Jsonb| match v {
                Jsonb::Array(items) => items,
                other => vec![other],
            };
            let mut items = as_items(a);
            items.extend(as_items(b));
            Jsonb::Array(items)
        }
    }
}

fn scalar_error(what: &str) -> Error {
    err!(SqlState::INVALID_PARAMETER_VALUE, "{what}")
}

/// `a - k`: without key `k` (or array elements equal to the string `k`).
pub fn delete_key(a: Jsonb, k: &str) -> Result<Jsonb> {
    Ok(match a {
        Jsonb::Object(mut pairs) => {
            pairs.retain(|(pk, _)| pk != k);
            Jsonb::Object(pairs)
        }
        Jsonb::Array(mut items) => {
            items.retain(|i| !matches!(i, Jsonb::String(s) if s == k));
            Jsonb::Array(items)
        }
        _ => return Err(scalar_error("cannot delete from scalar")),
    })
}

/// `a - i`: without array element `i` (negative from the end).
pub fn delete_index(a: Jsonb, i: i64) -> Result<Jsonb> {
    Ok(match a {
        Jsonb::Array(mut items) => {
            if let Some(at) = array_index(items.len(), i) {
                items.remove(at);
            }
            Jsonb::Array(items)
        }
        Jsonb::Object(_) => return Err(scalar_error("cannot delete from object using integer index")),
        _ => return Err(scalar_error("cannot delete from scalar")),
    })
}

/// `a #- path`: without the element at `path`.
pub fn delete_path(mut a: Jsonb, path: &[Option<String>]) -> Result<Jsonb> {
    if a.is_scalar() {
        return Err(scalar_error("cannot delete path in scalar"));
    }
    if path.is_empty() {
        return Ok(a);
    }
    let steps = path_steps(path)?;
    let mut at = &mut a;
    for (level, step) in steps.iter().copied().enumerate() {
        let last = level + 1 == steps.len();
        match at {
            Jsonb::Object(pairs) => {
                let Some(i) = pairs.iter().position(|(k, _)| k == step) else { break };
                if last {
                    pairs.remove(i);
                    break;
                }
                at = &mut pairs[i].1;
            }
            Jsonb::Array(items) => {
                let n = parse_path_index(step, level)?;
                let Some(i) = array_index(items.len(), n) else { break };
                if last {
                    items.remove(i);
                    break;
                }
                at = &mut items[i];
            }
            _ => break,
        }
    }
    Ok(a)
}

/// A path's steps, none of which may be NULL.
fn path_steps(path: &[Option<String>]) -> Result<Vec<&str>> {
    path.iter()
        .enumerate()
        .map(|(level, step)| {
            step.as_deref()
                .ok_or_else(|| err!(SqlState::NULL_VALUE_NOT_ALLOWED, "path element at position {} is null", level + 1))
        })
        .collect()
}

fn parse_path_index(step: &str, level: usize) -> Result<i64> {
    step.trim().parse::<i64>().map_err(|_| {
        err!(
            SqlState::INVALID_TEXT_REPRESENTATION,
            "path element at position {} is not an integer: \"{step}\"",
            level + 1
        )
    })
}

/// `jsonb_set(target, path, new, create_missing)` and
/// `jsonb_insert(target, path, new, insert_after)`.
pub fn set_path(
    mut a: Jsonb,
    path: &[Option<String>],
    new: Jsonb,
    insert: Option<bool>,
    create: bool,
) -> Result<Jsonb> {
    if a.is_scalar() {
        return Err(scalar_error("cannot set path in scalar"));
    }
    if path.is_empty() {
        return Ok(a);
    }
    let steps = path_steps(path)?;
    let mut at = &mut a;
    for (level, step) in steps.iter().copied().enumerate() {
        let last = level + 1 == steps.len();
        match at {
            Jsonb::Object(pairs) => {
                let found = pairs.iter().position(|(k, _)| k == step);
                if last {
                    match (found, insert) {
                        (Some(_), Some(_)) => {
                            return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "cannot replace existing key")
                                .with_hint("Try using the function jsonb_set to replace key value."));
                        }
                        (Some(i), None) => pairs[i].1 = new,
                        (None, _) if create || insert.is_some() => {
                            pairs.push((step.to_string(), new));
                            if let Jsonb::Object(sorted) = Jsonb::object(std::mem::take(pairs)) {
                                *pairs = sorted;
                            }
                        }
                        (None, _) => {}
                    }
                    return Ok(a);
                }
                let Some(i) = found else { return Ok(a) };
                at = &mut pairs[i].1;
            }
            Jsonb::Array(items) => {
                let n = parse_path_index(step, level)?;
                let len = items.len() as i64;
                if last {
                    match insert {
                        Some(after) => {
                            // Position before which `new` goes.
                            let pos = if n < 0 { (len + n).max(0) } else { n.min(len) };
                            let pos = if after && (n < 0 && len + n >= 0 || n >= 0 && n < len) { pos + 1 } else { pos };
                            items.insert(pos.clamp(0, len) as usize, new);
                        }
                        None => match array_index(items.len(), n) {
                            Some(i) => items[i] = new,
                            None if create => {
                                if n < 0 {
                                    items.insert(0, new)
                                } else {
                                    items.push(new)
                                }
                            }
                            None => {}
                        },
                    }
                    return Ok(a);
                }
                let Some(i) = array_index(items.len(), n) else { return Ok(a) };
                at = &mut items[i];
            }
            _ => return Ok(a),
        }
    }
    Ok(a)
}

/// `jsonb_strip_nulls`: without object fields that are null, at any depth.
pub fn strip_nulls(a: Jsonb) -> Jsonb {
    match a {
        Jsonb::Object(pairs) => Jsonb::Object(
            pairs.into_iter().filter(|(_, v)| *v != Jsonb::Null).map(|(k, v)| (k, strip_nulls(v))).collect(),
        ),
        Jsonb::Array(items) => Jsonb::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

// ---------------------------------------------------------------------------
// json (text) navigation

/// A part of a json text: the value `key` or element `index` names.
pub fn json_field<'a>(text: &'a str, node: &'a Node, key: Option<&str>, index: Option<i64>) -> Option<&'a Node> {
    match (&node.kind, key, index) {
        // The last of a repeated key, as PostgreSQL's json_object_field finds.
        (NodeKind::Object(pairs), Some(k), _) => pairs.iter().rev().find(|(pk, _)| pk == k).map(|(_, v)| v),
        (NodeKind::Array(items), _, Some(i)) => items.get(array_index(items.len(), i)?),
        _ => {
            let _ = text;
            None
        }
    }
}

/// The text `->>` gives of a part of a json text.
pub fn json_node_text(text: &str, node: &Node) -> Option<String> {
    match &node.kind {
        NodeKind::Null => None,
        NodeKind::String(s) => Some(s.clone()),
        _ => Some(text[node.span.clone()].to_string()),
    }
}

/// `json_typeof`.
pub fn node_type_name(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Null => "null",
        NodeKind::Bool(_) => "boolean",
        NodeKind::Number => "number",
        NodeKind::String(_) => "string",
        NodeKind::Array(_) => "array",
        NodeKind::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jb(s: &str) -> Jsonb {
        Jsonb::parse(s).unwrap()
    }

    #[test]
    fn output_is_postgres_shape() {
        assert_eq!(
            jb(r#"{"bb":1,"a":2,"aa":[1,2,{"x":null}]}"#).to_string(),
            r#"{"a": 2, "aa": [1, 2, {"x": null}], "bb": 1}"#
        );
        assert_eq!(jb(r#"{"a":1,"a":2}"#).to_string(), r#"{"a": 2}"#);
        assert_eq!(jb(r#""\u00e9\n\u001f""#).to_string(), "\"é\\n\\u001f\"");
        assert_eq!(jb(r#""\ud83d\ude00""#).to_string(), "\"😀\"");
    }

    #[test]
    fn errors_match_postgres() {
        let detail = |s: &str| parse(s, true).unwrap_err().detail().unwrap_or("").to_string();
        assert_eq!(detail("01"), "Token \"01\" is invalid.");
        assert_eq!(detail("1."), "Token \"1.\" is invalid.");
        assert_eq!(detail("-a"), "Token \"-a\" is invalid.");
        assert_eq!(detail(r#"{"a" "b"}"#), "Expected \":\", but found \"\"b\"\".");
        assert_eq!(detail("[1,]"), "Expected JSON value, but found \"]\".");
        assert_eq!(detail(r#"{"a":"#), "The input string ended unexpectedly.");
        assert_eq!(detail("\"abc"), "Token \"\"abc\" is invalid.");
        assert_eq!(detail("[1] 2"), "Expected end of input, but found \"2\".");
        assert_eq!(detail("{1:2}"), "Expected string or \"}\", but found \"1\".");
        assert_eq!(detail("\"a\\q\""), "Escape sequence \"\\q\" is invalid.");
        let e = parse(r#"{"a" "b"}"#, true).unwrap_err();
        assert_eq!(e.context(), Some(r#"JSON data, line 1: {"a" "b"..."#));
    }

    #[test]
    fn ordering_and_storage() {
        let order = ["[]", "null", "\"a\"", "1", "true", "[1]", "[[]]", "[1, 2]", "{}", r#"{"a": 1}"#];
        for w in order.windows(2) {
            assert_eq!(compare(&jb(w[0]), &jb(w[1])), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        let v = jb(r#"{"a": [1, "x", null, true, {"b": 1.50}]}"#);
        assert_eq!(Jsonb::from_storage(&v.storage_bytes()), Some(v));
    }

    #[test]
    fn containment() {
        assert!(contains(&jb(r#"{"a": [1, 2], "b": 3}"#), &jb(r#"{"a": [2]}"#)));
        assert!(contains(&jb("[1, 2]"), &jb("1")));
        assert!(!contains(&jb("[[1, 2]]"), &jb("[1]")));
        assert!(contains(&jb("[[1, 2]]"), &jb("[[1]]")));
    }
}
