//! POSIX regular-expression matching for `~`, `~*`, `!~` and `!~*`.
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
    static COMPILED: RefCell<HashMap<(String, bool), regex::Regex>> = RefCell::new(HashMap::new());
}

/// Whether `text` contains a match of `pattern`.
pub fn is_match(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        let key = (pattern.to_string(), case_insensitive);
        if let Some(re) = cache.get(&key) {
            return Ok(re.is_match(text));
        }
        let re = regex::RegexBuilder::new(pattern).case_insensitive(case_insensitive).build().map_err(|e| {
            let why = match e {
                regex::Error::Syntax(s) => s.lines().last().unwrap_or("").trim_start_matches("error: ").to_string(),
                other => other.to_string(),
            };
            err!(SqlState::INVALID_REGULAR_EXPRESSION, "invalid regular expression: {why}")
        })?;
        let matched = re.is_match(text);
        if cache.len() >= CACHED_PATTERNS {
            cache.clear();
        }
        cache.insert(key, re);
        Ok(matched)
    })
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
    }
}
