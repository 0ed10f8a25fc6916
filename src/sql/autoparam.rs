//! Auto-parameterisation of simple queries: the statements a client sends
//! again and again with other constants (`UPDATE t SET v = v + -5 WHERE
//! id = 17`) share one bound plan, as if the client had prepared them.
//!
//! A query's text is scanned into its *skeleton* — the text with every
//! numeric and string literal replaced by a marker — and its literals
//! ([`scan`]). Two queries with the same skeleton differ only in their
//! constants. The session keeps, per skeleton, a statement bound with some
//! of those constants turned into parameters ([`parameterise`]); a later
//! query of that skeleton runs that statement with its own constants as the
//! parameter values, skipping parse and bind.
//!
//! Only constants whose place makes a parameter mean exactly what the
//! literal meant become parameters: an operand of a comparison or of
//! arithmetic whose other operand is a column, an item of an IN list or a
//! BETWEEN bound on a column, a value of `UPDATE … SET`, an item of
//! `INSERT … VALUES`. Every other literal (an `ORDER BY 1` position, a
//! typed literal `DATE '…'`, a constant folded at plan time) stays in the
//! statement and must be equal in a query that reuses it. A number's
//! parameter has the literal's own type (int4, int8 or numeric, by its
//! value); a string's is inferred from its place, as an unknown literal's.
//!
//! The scanner handles the plain forms of PostgreSQL's lexical structure
//! (standard-conforming strings, quoted identifiers, comments); a text with
//! anything else (`E'…'`, dollar quoting, `U&"…"`) is not parameterised.

use sqlparser::ast::{self, Expr, Value};

use super::types::PgType;

/// Markers of a literal in a skeleton (bytes no SQL text holds outside one).
const NUMBER_MARK: char = '\u{1}';
const STRING_MARK: char = '\u{2}';

/// The most literals a parameterised query may have.
pub const MAX_LITERALS: usize = 256;

/// A literal of the query text: its byte range, quotes included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Literal {
    pub start: usize,
    pub end: usize,
    pub string: bool,
}

impl Literal {
    /// The literal's value as text: a number's digits, a string's contents
    /// with doubled quotes made single.
    pub fn text<'a>(&self, sql: &'a str) -> std::borrow::Cow<'a, str> {
        let raw = &sql[self.start..self.end];
        match self.string {
            false => raw.into(),
            true => {
                let inner = &raw[1..raw.len() - 1];
                if inner.contains('\'') { inner.replace("''", "'").into() } else { inner.into() }
            }
        }
    }
}

/// Scan `sql` into its skeleton (in `skeleton`) and literals (in
/// `literals`); false if the text has a form the scanner does not handle,
/// or more than [`MAX_LITERALS`] literals.
pub fn scan(sql: &str, skeleton: &mut String, literals: &mut Vec<Literal>) -> bool {
    skeleton.clear();
    literals.clear();
    let b = sql.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    let mut copied = 0; // bytes of `sql` before this are in the skeleton
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            0x01 | 0x02 => return false,
            b'\'' => {
                // A letter just before: E'…', B'…', X'…', N'…', U&'…' forms.
                if i > 0 && (ident(b[i - 1]) || b[i - 1] == b'&') {
                    return false;
                }
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None => return false,
                        Some(b'\'') if b.get(j + 1) == Some(&b'\'') => j += 2,
                        Some(b'\'') => break,
                        Some(_) => j += 1,
                    }
                }
                let end = j + 1;
                // Strings separated by a newline are one in PostgreSQL.
                let mut k = end;
                while k < b.len() && b[k].is_ascii_whitespace() {
                    k += 1;
                }
                if b.get(k) == Some(&b'\'') {
                    return false;
                }
                skeleton.push_str(&sql[copied..i]);
                skeleton.push(STRING_MARK);
                literals.push(Literal { start: i, end, string: true });
                copied = end;
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                loop {
                    match b.get(j) {
                        None => return false,
                        Some(b'"') if b.get(j + 1) == Some(&b'"') => j += 2,
                        Some(b'"') => break,
                        Some(_) => j += 1,
                    }
                }
                i = j + 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                loop {
                    match (b.get(i), b.get(i + 1)) {
                        (None, _) => return false,
                        (Some(b'/'), Some(b'*')) => {
                            depth += 1;
                            i += 2;
                        }
                        (Some(b'*'), Some(b'/')) => {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => i += 1,
                    }
                }
            }
            // `$1` is a parameter (refused in a simple query); `$tag$` quotes.
            b'$' => match b.get(i + 1) {
                Some(d) if d.is_ascii_digit() => i += 1,
                _ => return false,
            },
            b'0'..=b'9' | b'.' if !(i > 0 && ident(b[i - 1])) => {
                let Some(end) = number_end(b, i) else {
                    i += 1;
                    continue;
                };
                if b.get(end).is_some_and(|&n| ident(n) || n == b'.') {
                    return false;
                }
                skeleton.push_str(&sql[copied..i]);
                skeleton.push(NUMBER_MARK);
                literals.push(Literal { start: i, end, string: false });
                copied = end;
                i = end;
            }
            _ if ident(c) => {
                while i < b.len() && ident(b[i]) {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        if literals.len() > MAX_LITERALS {
            return false;
        }
    }
    skeleton.push_str(&sql[copied..]);
    true
}

/// The end of the numeric literal starting at `i` (`12`, `1.5`, `.5`,
/// `1e-3`), or `None` for a lone `.`.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i > s
    };
    let mut any = digits(&mut i);
    if b.get(i) == Some(&b'.') && b.get(i + 1) != Some(&b'.') {
        i += 1;
        any |= digits(&mut i);
    }
    if !any {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if digits(&mut j) {
            i = j;
        }
    }
    Some(i)
}

/// The type PostgreSQL gives a numeric literal: int4 if it fits, else int8,
/// else numeric (as the binder types a constant).
pub fn number_type(text: &str) -> PgType {
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        if let Ok(v) = text.parse::<i64>() {
            return if i32::try_from(v).is_ok() { PgType::Int4 } else { PgType::Int8 };
        }
    }
    PgType::Numeric
}

/// A parameter of a parameterised statement: which literal gives its value,
/// negated (`-5`, one constant in PostgreSQL's grammar) or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub literal: usize,
    pub negate: bool,
}

impl Param {
    /// The parameter's value as text, from the query's literals.
    pub fn text<'a>(&self, sql: &'a str, literals: &[Literal]) -> std::borrow::Cow<'a, str> {
        let text = literals[self.literal].text(sql);
        match self.negate {
            false => text,
            true => format!("-{text}").into(),
        }
    }

    /// The type declared for it: a number's own type, unknown for a string.
    pub fn declared(&self, sql: &str, literals: &[Literal]) -> PgType {
        match literals[self.literal].string {
            true => PgType::Unknown,
            false => number_type(&self.text(sql, literals)),
        }
    }
}

/// Turn the literals of `stmt` that can be parameters (see the module doc)
/// into `$1`, `$2`, …; returns which literal each stands for. `None` when a
/// literal of the statement cannot be matched to one of `literals`.
pub fn parameterise(stmt: &mut ast::Statement, sql: &str, literals: &[Literal]) -> Option<Vec<Param>> {
    let mut p = Parameteriser { sql, places: locations(sql, literals), literals, params: Vec::new(), ok: true };
    match stmt {
        ast::Statement::Query(q) => p.query(q),
        ast::Statement::Update(u) => {
            for a in &mut u.assignments {
                if !p.operand(&mut a.value) {
                    p.expr(&mut a.value);
                }
            }
            if let Some(w) = &mut u.selection {
                p.expr(w);
            }
        }
        ast::Statement::Delete(d) => {
            if let Some(w) = &mut d.selection {
                p.expr(w);
            }
        }
        ast::Statement::Insert(i) => {
            if let Some(source) = &mut i.source {
                if source.with.is_none() {
                    if let ast::SetExpr::Values(v) = source.body.as_mut() {
                        for row in &mut v.rows {
                            for e in &mut row.content {
                                p.operand(e);
                            }
                        }
                    }
                }
            }
        }
        _ => return None,
    }
    p.ok.then_some(p.params)
}

/// The (line, column) at which each literal starts, as the tokenizer counts
/// them (from 1; columns in characters).
fn locations(sql: &str, literals: &[Literal]) -> Vec<(u64, u64)> {
    let mut out = Vec::with_capacity(literals.len());
    let (mut line, mut col) = (1u64, 1u64);
    let mut next = literals.iter().peekable();
    for (at, c) in sql.char_indices() {
        while next.peek().is_some_and(|l| l.start == at) {
            next.next();
            out.push((line, col));
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    out
}

struct Parameteriser<'a> {
    sql: &'a str,
    places: Vec<(u64, u64)>,
    literals: &'a [Literal],
    params: Vec<Param>,
    /// False once a literal could not be matched.
    ok: bool,
}

impl Parameteriser<'_> {
    /// The WHERE clause of a plain SELECT.
    fn query(&mut self, q: &mut ast::Query) {
        if q.with.is_some() {
            return;
        }
        if let ast::SetExpr::Select(s) = q.body.as_mut() {
            if let Some(w) = &mut s.selection {
                self.expr(w);
            }
        }
    }

    /// Walk a condition or value, making parameters of the constants
    /// that stand beside a column.
    fn expr(&mut self, e: &mut Expr) {
        use ast::BinaryOperator as B;
        match e {
            Expr::Nested(inner) => self.expr(inner),
            Expr::UnaryOp { op: ast::UnaryOperator::Not, expr } => self.expr(expr),
            Expr::BinaryOp { left, op: B::And | B::Or, right } => {
                self.expr(left);
                self.expr(right);
            }
            Expr::BinaryOp {
                left,
                op: B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq | B::Plus | B::Minus | B::Multiply | B::Divide,
                right,
            } => {
                if is_column(left) {
                    self.operand(right);
                } else if is_column(right) {
                    self.operand(left);
                }
                self.expr(left);
                self.expr(right);
            }
            Expr::In { expr, target: ast::InTarget::List(list), .. } if is_column(expr) => {
                for item in list {
                    self.operand(item);
                }
            }
            Expr::Between { expr, low, high, .. } if is_column(expr) => {
                self.operand(low);
                self.operand(high);
            }
            _ => {}
        }
    }

    /// Make `e` a parameter if it is a literal number or string (or a
    /// negated number); true if it became one.
    fn operand(&mut self, e: &mut Expr) -> bool {
        let (value, negate) = match e {
            Expr::Value(v) => (v, false),
            Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => match expr.as_mut() {
                Expr::Value(v) if matches!(v.value, Value::Number(..)) => (v, true),
                _ => return false,
            },
            _ => return false,
        };
        let (text, string) = match &value.value {
            Value::Number(n, false) => (n.as_str(), false),
            Value::SingleQuotedString(s) => (s.as_str(), true),
            _ => return false,
        };
        let at = (value.span.start.line, value.span.start.column);
        let Some(i) = self.places.iter().position(|&p| p == at) else {
            self.ok = false;
            return false;
        };
        let literal = self.literals[i];
        if literal.string != string || literal.text(self.sql) != text {
            self.ok = false;
            return false;
        }
        self.params.push(Param { literal: i, negate });
        let placeholder = Value::Placeholder(format!("${}", self.params.len()));
        *e = Expr::value(ast::ValueWithSpan { value: placeholder, span: value.span });
        true
    }
}

fn is_column(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skeleton(sql: &str) -> Option<(String, Vec<String>)> {
        let (mut s, mut l) = (String::new(), Vec::new());
        scan(sql, &mut s, &mut l).then(|| (s, l.iter().map(|x| x.text(sql).into_owned()).collect()))
    }

    #[test]
    fn literals_are_found_and_the_rest_is_kept() {
        let (s, l) = skeleton("UPDATE t1 SET v = v + -12 WHERE id = 5 AND name = 'it''s' -- 7\n").unwrap();
        assert_eq!(s, "UPDATE t1 SET v = v + -\u{1} WHERE id = \u{1} AND name = \u{2} -- 7\n");
        assert_eq!(l, ["12", "5", "it's"]);
        let (s, l) = skeleton("select \"a 1\", x2, 1.5e-3, .5, 3. from t /* '9' /* 8 */ */").unwrap();
        assert_eq!(s, "select \"a 1\", x2, \u{1}, \u{1}, \u{1} from t /* '9' /* 8 */ */");
        assert_eq!(l, ["1.5e-3", ".5", "3."]);
    }

    #[test]
    fn forms_not_handled_are_refused() {
        for sql in
            ["select E'a\\'b'", "select $$x$$", "select 'a'\n'b'", "select 12abc", "select 'open", "select x'1f'"]
        {
            assert!(skeleton(sql).is_none(), "{sql}");
        }
        assert!(skeleton("select $1").is_some());
    }

    #[test]
    fn number_types_follow_the_value() {
        assert_eq!(number_type("2147483647"), PgType::Int4);
        assert_eq!(number_type("-2147483648"), PgType::Int4);
        assert_eq!(number_type("2147483648"), PgType::Int8);
        assert_eq!(number_type("99999999999999999999"), PgType::Numeric);
        assert_eq!(number_type("1.5"), PgType::Numeric);
    }

    #[test]
    fn only_constants_beside_columns_become_parameters() {
        let sql = "SELECT a, 1 FROM t WHERE a = 5 AND 2 < b AND c + 1 > 3 AND d IN (7, 'x') ORDER BY 1";
        let mut parsed = crate::sql::parser::parse(sql).unwrap();
        let crate::sql::parser::Parsed::Sql(stmt) = &mut parsed[0] else { panic!() };
        let (mut s, mut l) = (String::new(), Vec::new());
        assert!(scan(sql, &mut s, &mut l));
        let params = parameterise(stmt, sql, &l).unwrap();
        let texts: Vec<_> = params.iter().map(|p| p.text(sql, &l).into_owned()).collect();
        assert_eq!(texts, ["5", "2", "1", "7", "x"]);
        assert_eq!(
            stmt.to_string(),
            "SELECT a, 1 FROM t WHERE a = $1 AND $2 < b AND c + $3 > 3 AND d IN ($4, $5) ORDER BY 1"
        );
    }

    #[test]
    fn a_negated_number_is_one_parameter() {
        let sql = "UPDATE t SET v = v + -2147483648, w = 'z' WHERE id = 1";
        let mut parsed = crate::sql::parser::parse(sql).unwrap();
        let crate::sql::parser::Parsed::Sql(stmt) = &mut parsed[0] else { panic!() };
        let (mut s, mut l) = (String::new(), Vec::new());
        assert!(scan(sql, &mut s, &mut l));
        let params = parameterise(stmt, sql, &l).unwrap();
        assert_eq!(params[0], Param { literal: 0, negate: true });
        assert_eq!(params[0].declared(sql, &l), PgType::Int4);
        assert_eq!(params[1].declared(sql, &l), PgType::Unknown);
        assert_eq!(stmt.to_string(), "UPDATE t SET v = v + $1, w = $2 WHERE id = $3");
    }
}
