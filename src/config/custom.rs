//! Custom settings: names of two or more identifiers joined by dots
//! (`app.user_id`, `my.var`), which no built-in setting has. As in
//! PostgreSQL, where they are the settings of extensions not loaded, the
//! first `SET` of such a name (or `set_config`, `RESET`, an `ALTER ROLE …
//! SET` item) makes a placeholder: a text setting whose value is `''`
//! until set. A placeholder lasts as long as the session — a rolled-back
//! `SET` leaves it at `''` — and follows the transactional rules of the
//! built-in settings (see [`super::Settings`]). `SHOW` and
//! `current_setting` of a name with no placeholder fail with 42704; SHOW
//! ALL and `pg_settings` do not list placeholders.

use crate::err;
use crate::error::{Result, SqlState};

/// One placeholder's values.
#[derive(Debug, Clone)]
struct Placeholder {
    /// As first written; names compare case-insensitively.
    name: String,
    current: String,
    /// As of the last transaction end (what an abort returns to).
    committed: String,
    /// What `RESET` returns to: `''`, or the value the connection started with.
    reset: String,
    /// Changed in the current transaction: `Some(true)` when by `SET` (not LOCAL).
    touched: Option<bool>,
}

/// A session's placeholders.
#[derive(Debug, Clone, Default)]
pub struct Placeholders(Vec<Placeholder>);

/// Whether `name` is a custom setting's: dotted, each part an identifier
/// (PostgreSQL's `valid_custom_variable_name`). A dotted name that is
/// not one is 42602; an undotted one is no custom setting's at all.
pub fn is_custom(name: &str) -> Result<bool> {
    if !name.contains('.') {
        return Ok(false);
    }
    let word = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_' || !c.is_ascii())
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii())
    };
    if name.split('.').all(word) {
        return Ok(true);
    }
    Err(err!(SqlState::INVALID_NAME, "invalid configuration parameter name \"{name}\"")
        .with_detail("Custom parameter names must be two or more simple identifiers separated by dots."))
}

impl Placeholders {
    fn find(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The placeholder for custom setting `name`, made if there is none.
    fn make(&mut self, name: &str) -> usize {
        self.find(name).unwrap_or_else(|| {
            let empty = String::new();
            self.0.push(Placeholder {
                name: name.to_string(),
                current: empty.clone(),
                committed: empty.clone(),
                reset: empty,
                touched: None,
            });
            self.0.len() - 1
        })
    }

    /// Make the placeholder of custom setting `name` if there is none
    /// (what checking an `ALTER ROLE … SET` item does in PostgreSQL).
    pub fn declare(&mut self, name: &str) {
        self.make(name);
    }

    /// The value of custom setting `name`, if it has a placeholder.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name).map(|i| self.0[i].current.as_str())
    }

    /// `SET [LOCAL] name = text`; `None` is `RESET` (`DEFAULT`).
    pub fn set(&mut self, name: &str, text: Option<&str>, local: bool) {
        let i = self.make(name);
        let p = &mut self.0[i];
        p.current = text.map_or_else(|| p.reset.clone(), str::to_string);
        p.touched = Some(p.touched.unwrap_or(false) | !local);
    }

    /// A value the connection starts with (a `pg_db_role_setting` item),
    /// unless one was applied already.
    pub fn set_at_start(&mut self, name: &str, text: &str) {
        if self.find(name).is_some() {
            return;
        }
        let i = self.make(name);
        let p = &mut self.0[i];
        p.current = text.to_string();
        p.committed = text.to_string();
        p.reset = text.to_string();
    }

    /// `RESET ALL`.
    pub fn reset_all(&mut self) {
        for p in &mut self.0 {
            p.current = p.reset.clone();
            p.touched = Some(true);
        }
    }

    /// The transaction ended: keep (commit) or undo (abort) its `SET`s;
    /// `SET LOCAL`s end either way.
    pub fn end_transaction(&mut self, commit: bool) {
        for p in &mut self.0 {
            if let Some(session) = p.touched.take() {
                if commit && session {
                    p.committed = p.current.clone();
                }
                p.current = p.committed.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dotted_identifiers() {
        assert!(is_custom("my.var").unwrap());
        assert!(is_custom("a.b$.c_1").unwrap());
        assert!(!is_custom("work_mem").unwrap());
        for bad in ["my..x", ".x", "x.", "1a.b", "a.1b"] {
            assert_eq!(is_custom(bad).unwrap_err().code(), SqlState::INVALID_NAME, "{bad}");
        }
    }

    #[test]
    fn placeholders_follow_transactions() {
        let mut p = Placeholders::default();
        p.set("my.t", Some("a"), false);
        p.end_transaction(false);
        assert_eq!(p.get("MY.T"), Some(""), "a rolled-back SET leaves the placeholder");
        p.set("app.user_id", Some("42"), true);
        assert_eq!(p.get("app.user_id"), Some("42"));
        p.end_transaction(true);
        assert_eq!(p.get("app.user_id"), Some(""));
        p.set("my.v", Some("x"), false);
        p.end_transaction(true);
        p.reset_all();
        assert_eq!(p.get("my.v"), Some(""));
        assert_eq!(p.get("my.missing"), None);
    }
}
