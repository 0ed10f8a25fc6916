//! The COPY statement's grammar, as PostgreSQL has it:
//!
//! ```text
//! COPY [BINARY] table [(cols)] FROM {STDIN | 'file' | PROGRAM 'cmd'} [[WITH] options]
//! COPY {table [(cols)] | (query)} TO {STDOUT | 'file' | PROGRAM 'cmd'} [[WITH] options]
//! options: '(' name [value] [, …] ')'                      -- since 9.0
//!        | BINARY | CSV | HEADER | DELIMITER [AS] 's' | …  -- before 9.0
//! ```
//!
//! `sqlparser` knows a narrower form (no `HEADER MATCH`, no `FORCE_QUOTE *`,
//! no generic option values), so the statement is parsed here with its
//! parser primitives and the options are kept as written, to be checked by
//! [`super::options`] with PostgreSQL's messages.

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{IsOptional, Parser, ParserError};
use sqlparser::tokenizer::{Location, Token};

/// What a COPY reads from or writes to, as written.
#[derive(Clone, Debug)]
pub enum Target {
    Client,
    File(String),
    Program(String),
}

/// The source of `COPY … TO` / destination of `COPY … FROM`, as written.
#[derive(Clone, Debug)]
pub enum Relation {
    Table { name: ast::ObjectName, columns: Vec<ast::Ident> },
    Query(Box<ast::Query>),
}

/// An option's argument.
#[derive(Clone, Debug, PartialEq)]
pub enum OptValue {
    None,
    /// A string, number or word (unquoted words lower-cased, as PostgreSQL's lexer does).
    Str(String),
    /// `*`
    Star,
    /// `(a, b)`
    List(Vec<String>),
}

/// One option, with where it was written.
#[derive(Clone, Debug)]
pub struct RawOption {
    pub name: String,
    pub value: OptValue,
    pub location: Location,
}

/// A parsed COPY statement.
#[derive(Clone, Debug)]
pub struct CopyAst {
    pub relation: Relation,
    pub to: bool,
    pub target: Target,
    pub options: Vec<RawOption>,
    /// `COPY … FROM … WHERE condition`, with where `WHERE` is.
    pub filter: Option<(Location, ast::Expr)>,
}

fn error(msg: impl Into<String>) -> ParserError {
    ParserError::ParserError(msg.into())
}

/// Parse a COPY statement; the `COPY` keyword has been consumed.
pub fn parse_copy(p: &mut Parser<'_>) -> Result<CopyAst, ParserError> {
    let mut options = Vec::new();
    let here = |p: &Parser<'_>| p.peek_token_ref().span.start;
    if p.peek_keyword(Keyword::BINARY) {
        let location = here(p);
        p.next_token();
        options.push(RawOption { name: "format".into(), value: OptValue::Str("binary".into()), location });
    }
    let relation = if p.consume_token(&Token::LParen) {
        let q = p.parse_query()?;
        p.expect_token(&Token::RParen)?;
        Relation::Query(q)
    } else {
        let name = p.parse_object_name(false)?;
        let columns = p.parse_parenthesized_column_list(IsOptional::Optional, false)?;
        Relation::Table { name, columns }
    };
    if matches!(relation, Relation::Query(_)) && p.peek_keyword(Keyword::FROM) {
        return p.expected_ref("TO", p.peek_token_ref());
    }
    let to = if p.parse_keyword(Keyword::FROM) {
        false
    } else if p.parse_keyword(Keyword::TO) {
        true
    } else {
        return p.expected_ref("FROM or TO", p.peek_token_ref());
    };
    let target = if p.parse_keyword(Keyword::PROGRAM) {
        Target::Program(p.parse_literal_string()?)
    } else if p.parse_keyword(if to { Keyword::STDOUT } else { Keyword::STDIN }) {
        Target::Client
    } else {
        Target::File(p.parse_literal_string()?)
    };
    // [USING] DELIMITERS 's' (before 7.3)
    let using = p.parse_keyword(Keyword::USING);
    if using || matches!(&p.peek_token_ref().token, Token::Word(w) if w.value.eq_ignore_ascii_case("delimiters")) {
        let location = here(p);
        match p.next_token().token {
            Token::Word(w) if w.value.eq_ignore_ascii_case("delimiters") => {}
            _ => return p.expected_ref("DELIMITERS", p.peek_token_ref()),
        }
        let value = OptValue::Str(p.parse_literal_string()?);
        options.push(RawOption { name: "delimiter".into(), value, location });
    }
    let with = p.parse_keyword(Keyword::WITH);
    if p.consume_token(&Token::LParen) {
        loop {
            let location = here(p);
            let name = match p.next_token().token {
                Token::Word(w) => w.value.to_ascii_lowercase(),
                _ => return p.expected_ref("option name", p.peek_token_ref()),
            };
            let value = generic_value(p)?;
            options.push(RawOption { name, value, location });
            if !p.consume_token(&Token::Comma) {
                break;
            }
        }
        p.expect_token(&Token::RParen)?;
    } else {
        legacy_options(p, &mut options)?;
        if with && options.is_empty() {
            return p.expected_ref("COPY option", p.peek_token_ref());
        }
    }
    let where_at = here(p);
    let filter = if p.parse_keyword(Keyword::WHERE) { Some((where_at, p.parse_expr()?)) } else { None };
    if let Token::CopyData { .. } = &p.peek_token_ref().token {
        // Data after `COPY … FROM STDIN;` in the same query string is SQL to PostgreSQL.
        return p.expected_ref("end of statement", p.peek_token_ref());
    }
    Ok(CopyAst { relation, to, target, options, filter })
}

/// `copy_generic_opt_arg`: a boolean, string, number, word, `*`, a
/// parenthesized list, or nothing.
fn generic_value(p: &mut Parser<'_>) -> Result<OptValue, ParserError> {
    let value = match &p.peek_token_ref().token {
        Token::Comma | Token::RParen => return Ok(OptValue::None),
        Token::Mul => OptValue::Star,
        Token::LParen => {
            p.next_token();
            let mut items = Vec::new();
            loop {
                let t = p.next_token().token;
                items.push(word_or_string(&t).ok_or_else(|| error(format!("Expected: value, found: {t}")))?);
                if !p.consume_token(&Token::Comma) {
                    break;
                }
            }
            p.expect_token(&Token::RParen)?;
            return Ok(OptValue::List(items));
        }
        Token::Minus => {
            p.next_token();
            match p.next_token().token {
                Token::Number(n, _) => return Ok(OptValue::Str(format!("-{n}"))),
                t => return Err(error(format!("Expected: number, found: {t}"))),
            }
        }
        t => match word_or_string(t) {
            Some(s) => OptValue::Str(s),
            None => return p.expected_ref("option value", p.peek_token_ref()),
        },
    };
    p.next_token();
    Ok(value)
}

fn word_or_string(t: &Token) -> Option<String> {
    match t {
        Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_lowercase()),
        Token::Word(w) => Some(w.value.clone()),
        Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) | Token::Number(s, _) => Some(s.clone()),
        _ => None,
    }
}

/// The options of the old syntax, each a keyword with perhaps an argument.
fn legacy_options(p: &mut Parser<'_>, out: &mut Vec<RawOption>) -> Result<(), ParserError> {
    loop {
        let location = p.peek_token_ref().span.start;
        let Token::Word(w) = &p.peek_token_ref().token else { return Ok(()) };
        let word = w.value.to_ascii_lowercase();
        let (name, value) = match word.as_str() {
            "binary" => ("format", Some(OptValue::Str("binary".into()))),
            "csv" => ("format", Some(OptValue::Str("csv".into()))),
            "freeze" | "header" => (word.as_str(), Some(OptValue::Str("true".into()))),
            "delimiter" | "null" | "quote" | "escape" | "encoding" => (word.as_str(), None),
            "force" => ("force", None),
            _ => return Ok(()),
        };
        let name = name.to_string();
        p.next_token();
        let value = match value {
            Some(v) => v,
            None if name == "force" => {
                let which = if p.parse_keyword(Keyword::QUOTE) {
                    "force_quote"
                } else if p.parse_keywords(&[Keyword::NOT, Keyword::NULL]) {
                    "force_not_null"
                } else if p.parse_keyword(Keyword::NULL) {
                    "force_null"
                } else {
                    return p.expected_ref("QUOTE, NOT NULL or NULL", p.peek_token_ref());
                };
                let value = if which == "force_quote" && p.consume_token(&Token::Mul) {
                    OptValue::Star
                } else {
                    let mut cols = Vec::new();
                    loop {
                        cols.push(p.parse_identifier()?.value);
                        if !p.consume_token(&Token::Comma) {
                            break;
                        }
                    }
                    OptValue::List(cols)
                };
                out.push(RawOption { name: which.into(), value, location });
                continue;
            }
            None => {
                let _ = p.parse_keyword(Keyword::AS);
                OptValue::Str(p.parse_literal_string()?)
            }
        };
        out.push(RawOption { name, value, location });
    }
}
