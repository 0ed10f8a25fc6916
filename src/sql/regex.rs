//! POSIX regular-expression matching for `~`, `~*`, `!~` and `!~*`, and
//! substitution for `regexp_replace`.
//! Patterns are compiled with the `regex` crate, whose syntax agrees with
//! PostgreSQL's advanced regular expressions for the common forms (anchors,
//! classes, alternation, repetition); back-references and look-around are
//! refused as invalid. Compiled patterns are kept per thread, as a query
//! usually matches many rows against one pattern.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::err;
use crate::error::{Result, SqlState};

/// How many compiled patterns a thread keeps.
const CACHED_PATTERNS: usize = 64;

thread_local! {
    static COMPILED: RefCell<HashMap<(String, Options), regex::Regex>> = RefCell::new(HashMap::new());
}

/// How a pattern is compiled: case-insensitively, and whether `.` and
/// `[^…]` stop at newlines while `^`/`$` match at them (PostgreSQL's `n`;
/// by default a newline is a character like any other, as in PostgreSQL).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
struct Options {
    case_insensitive: bool,
    newline_sensitive: bool,
}

/// `pattern` in the `regex` crate's syntax where the two differ: in
/// PostgreSQL a backslash before a character that is not a letter or
/// digit makes it stand for itself, while the crate gives some of them
/// meanings (`\<`, `\>`: word boundaries) and refuses others (`\é`).
fn translated(pattern: &str) -> std::borrow::Cow<'_, str> {
    const META: &str = "\\.+*?()|[]{}^$#&-~";
    if !pattern.contains('\\') {
        return std::borrow::Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(e) if e.is_ascii_alphanumeric() || META.contains(e) => {
                out.push('\\');
                out.push(e);
            }
            Some(e) => out.push(e),
            None => out.push('\\'),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Run `f` on `pattern` compiled with `options` (from the thread's cache).
fn with_compiled<T>(pattern: &str, options: Options, f: impl FnOnce(&regex::Regex) -> T) -> Result<T> {
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = (pattern.to_string(), options);
        if let Some(re) = cache.get(&key) {
            return Ok(f(re));
        }
        let mut builder = regex::RegexBuilder::new(&translated(pattern));
        builder.case_insensitive(options.case_insensitive);
        builder.dot_matches_new_line(!options.newline_sensitive).multi_line(options.newline_sensitive);
        let re = builder.build().map_err(|e| {
            let why = match e {
                regex::Error::Syntax(s) => s.lines().last().unwrap_or("").trim_start_matches("error: ").to_string(),
                other => other.to_string(),
            };
            err!(SqlState::INVALID_REGULAR_EXPRESSION, "invalid regular expression: {why}")
        })?;
        let out = f(&re);
        if cache.len() >= CACHED_PATTERNS {
            cache.clear();
        }
        cache.insert(key, re);
        Ok(out)
    })
}

/// Whether `text` contains a match of `pattern`.
pub fn is_match(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    with_compiled(pattern, Options { case_insensitive, ..Options::default() }, |re| re.is_match(text))
}

/// `regexp_replace(text, pattern, replacement, flags)`: the first match
/// (every match with flag `g`) replaced. In the replacement `\n` (1–9)
/// stands for the n-th parenthesized group, `\&` for the whole match and
/// `\\` for a backslash.
/// The options of a flags argument, and whether it has `g`.
fn parse_flags(flags: &str) -> Result<(Options, bool)> {
    let mut options = Options::default();
    let mut global = false;
    for f in flags.chars() {
        match f {
            'g' => global = true,
            'i' => options.case_insensitive = true,
            'c' => options.case_insensitive = false,
            'n' | 'm' => options.newline_sensitive = true,
            's' => options.newline_sensitive = false,
            _ => return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "invalid regular expression option: \"{f}\"")),
        }
    }
    Ok((options, global))
}

/// `regexp_matches`: per match (only the first without `g`), its
/// parenthesized groups (the whole match when there are none), a group
/// that took no part as `None`.
pub fn matches(text: &str, pattern: &str, flags: &str) -> Result<Vec<Vec<Option<String>>>> {
    let (options, global) = parse_flags(flags)?;
    with_compiled(pattern, options, |re| {
        let mut out = Vec::new();
        for caps in re.captures_iter(text) {
            let groups: Vec<Option<String>> = if caps.len() > 1 {
                (1..caps.len()).map(|i| caps.get(i).map(|m| m.as_str().to_string())).collect()
            } else {
                vec![caps.get(0).map(|m| m.as_str().to_string())]
            };
            out.push(groups);
            if !global {
                break;
            }
        }
        out
    })
}

/// `regexp_split_to_table`: the text between matches. As in PostgreSQL,
/// an empty match at the start or end of the text, or right after the
/// previous match, does not split.
pub fn split(text: &str, pattern: &str, flags: &str, function: &str) -> Result<Vec<String>> {
    let (options, global) = parse_flags(flags)?;
    if global {
        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "{function}() does not support the \"global\" option"));
    }
    with_compiled(pattern, options, |re| {
        let mut out = Vec::new();
        let mut last = 0;
        for m in re.find_iter(text) {
            if m.start() == m.end() && (m.start() == 0 || m.start() == text.len() || m.start() == last) {
                continue;
            }
            out.push(text[last..m.start()].to_string());
            last = m.end();
        }
        out.push(text[last..].to_string());
        out
    })
}

pub fn replace(text: &str, pattern: &str, replacement: &str, flags: &str) -> Result<String> {
    let (options, global) = parse_flags(flags)?;
    with_compiled(pattern, options, |re| {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in re.captures_iter(text) {
            let whole = caps.get(0).expect("group 0 is the match");
            out.push_str(&text[last..whole.start()]);
            substitute(&mut out, replacement, &caps);
            last = whole.end();
            if !global {
                break;
            }
        }
        out.push_str(&text[last..]);
        out
    })
}

/// Append `replacement` with its group references filled from `caps`.
fn substitute(out: &mut String, replacement: &str, caps: &regex::Captures<'_>) {
    let mut chars = replacement.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(d @ '1'..='9') => {
                chars.next();
                let n = d as usize - '0' as usize;
                out.push_str(caps.get(n).map_or("", |m| m.as_str()));
            }
            Some('&') => {
                chars.next();
                out.push_str(caps.get(0).map_or("", |m| m.as_str()));
            }
            Some('\\') => {
                chars.next();
                out.push('\\');
            }
            _ => out.push('\\'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_postgres() {
        assert!(is_match("pg_toast_1", "^pg_toast", false).unwrap());
        assert!(!is_match("my_table", "^pg_toast", false).unwrap());
        assert!(is_match("zz_v", "^(zz_v)$", false).unwrap());
        assert!(is_match("ABC", "b", true).unwrap());
        assert!(!is_match("ABC", "b", false).unwrap());
        assert_eq!(is_match("x", "(", false).unwrap_err().code(), SqlState::INVALID_REGULAR_EXPRESSION);
        assert_eq!(replace("Thomas", ".[mN]a.", "M", "").unwrap(), "ThM");
        assert_eq!(replace("foobarbaz", "b(..)", "X\\1Y", "g").unwrap(), "fooXarYXazY");
        assert_eq!(replace("ABC", "b", "x", "i").unwrap(), "AxC");
        assert_eq!(replace("abc", "b", "[\\&]", "").unwrap(), "a[b]c");
    }
}
