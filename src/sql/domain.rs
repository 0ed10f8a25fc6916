//! CREATE, ALTER and DROP DOMAIN: their grammar (PostgreSQL's; `sqlparser`
//! knows only part of CREATE DOMAIN and one name in DROP DOMAIN) and the
//! statements the binder makes of them, which `session/domains.rs` runs.

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

use super::types::PgType;

/// A domain command as written.
#[derive(Clone, Debug)]
pub enum DomainSyntax {
    /// `CREATE DOMAIN name [AS] type [COLLATE c] [DEFAULT e] [constraint …]`
    Create {
        name: ast::ObjectName,
        data_type: ast::DataType,
        collation: Option<String>,
        default: Option<ast::Expr>,
        /// NOT NULL (true) or NULL (false), the last one written.
        not_null: Option<bool>,
        checks: Vec<(Option<String>, ast::Expr)>,
    },
    /// `DROP DOMAIN [IF EXISTS] name [, …] [CASCADE | RESTRICT]`
    Drop { names: Vec<ast::ObjectName>, if_exists: bool, cascade: bool },
    /// `ALTER DOMAIN name …`
    Alter { name: ast::ObjectName, action: AlterDomainSyntax },
}

/// What ALTER DOMAIN does, as written.
#[derive(Clone, Debug)]
pub enum AlterDomainSyntax {
    /// `SET DEFAULT e` or `DROP DEFAULT` (`None`).
    Default(Option<ast::Expr>),
    /// `SET NOT NULL` (true) or `DROP NOT NULL`.
    NotNull(bool),
    /// `ADD [CONSTRAINT name] CHECK (e) [NOT VALID]`.
    AddCheck {
        name: Option<String>,
        expr: ast::Expr,
        not_valid: bool,
    },
    DropConstraint {
        name: String,
        if_exists: bool,
    },
    ValidateConstraint(String),
    RenameConstraint {
        from: String,
        to: String,
    },
    RenameTo(String),
    /// A form PostgreSQL has that is not built (`OWNER TO`, `SET SCHEMA`).
    Unsupported(&'static str),
}

/// A domain command, bound: names split into (schema, name), the base
/// type resolved, expressions kept as SQL text for the session to bind
/// over the domain's value.
#[derive(Clone, Debug)]
pub enum DomainStmt {
    Create {
        schema: Option<String>,
        name: String,
        base: PgType,
        typmod: i32,
        not_null: bool,
        /// As `typdefault` stores it.
        default: Option<String>,
        checks: Vec<(Option<String>, String)>,
    },
    Drop {
        names: Vec<(Option<String>, String)>,
        if_exists: bool,
        cascade: bool,
    },
    Alter {
        schema: Option<String>,
        name: String,
        action: AlterDomain,
    },
}

/// What ALTER DOMAIN does, bound.
#[derive(Clone, Debug)]
pub enum AlterDomain {
    Default(Option<String>),
    NotNull(bool),
    AddCheck { name: Option<String>, expr: String, not_valid: bool },
    DropConstraint { name: String, if_exists: bool },
    ValidateConstraint(String),
    RenameConstraint { from: String, to: String },
    RenameTo(String),
}

impl DomainStmt {
    /// The command tag.
    pub fn command(&self) -> &'static str {
        match self {
            DomainStmt::Create { .. } => "CREATE DOMAIN",
            DomainStmt::Drop { .. } => "DROP DOMAIN",
            DomainStmt::Alter { .. } => "ALTER DOMAIN",
        }
    }
}

fn keyword(t: &Token) -> Keyword {
    match t {
        Token::Word(w) if w.quote_style.is_none() => w.keyword,
        _ => Keyword::NoKeyword,
    }
}

/// Whether the statement at `p` is a domain command (without consuming it).
pub fn starts_domain_statement(p: &Parser<'_>) -> bool {
    let [a, b] = p.peek_tokens_ref::<2>().map(|t| keyword(&t.token));
    matches!(a, Keyword::CREATE | Keyword::DROP | Keyword::ALTER) && b == Keyword::DOMAIN
}

/// A domain command, whole.
pub fn parse_domain_statement(p: &mut Parser<'_>) -> Result<DomainSyntax, ParserError> {
    let verb = p.parse_one_of_keywords(&[Keyword::CREATE, Keyword::DROP, Keyword::ALTER]);
    p.expect_keyword(Keyword::DOMAIN)?;
    match verb {
        Some(Keyword::CREATE) => parse_create(p),
        Some(Keyword::DROP) => {
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let mut names = vec![p.parse_object_name(false)?];
            while p.consume_token(&Token::Comma) {
                names.push(p.parse_object_name(false)?);
            }
            let cascade = p.parse_keyword(Keyword::CASCADE);
            if !cascade {
                let _ = p.parse_keyword(Keyword::RESTRICT);
            }
            Ok(DomainSyntax::Drop { names, if_exists, cascade })
        }
        _ => {
            let name = p.parse_object_name(false)?;
            Ok(DomainSyntax::Alter { name, action: parse_alter(p)? })
        }
    }
}

fn parse_create(p: &mut Parser<'_>) -> Result<DomainSyntax, ParserError> {
    let name = p.parse_object_name(false)?;
    let _ = p.parse_keyword(Keyword::AS);
    let data_type = p.parse_data_type()?;
    let (mut collation, mut default, mut not_null, mut checks) = (None, None, None, Vec::new());
    loop {
        if p.parse_keyword(Keyword::COLLATE) {
            collation = Some(p.parse_object_name(false)?.to_string());
        } else if p.parse_keyword(Keyword::DEFAULT) {
            if default.replace(p.parse_expr()?).is_some() {
                return Err(ParserError::ParserError("multiple default expressions".into()));
            }
        } else {
            let constraint_name =
                if p.parse_keyword(Keyword::CONSTRAINT) { Some(p.parse_identifier()?.value) } else { None };
            match parse_constraint(p)? {
                Some(Constraint::NotNull(n)) => {
                    if not_null.is_some_and(|was| was != n) {
                        return Err(ParserError::ParserError("conflicting NULL/NOT NULL constraints".into()));
                    }
                    not_null = Some(n);
                }
                Some(Constraint::Check(e)) => checks.push((constraint_name, *e)),
                None if constraint_name.is_some() => return p.expected_ref("NOT NULL or CHECK", p.peek_token_ref()),
                None => break,
            }
        }
    }
    Ok(DomainSyntax::Create { name, data_type, collation, default, not_null, checks })
}

enum Constraint {
    NotNull(bool),
    Check(Box<ast::Expr>),
}

/// `NOT NULL`, `NULL` or `CHECK (expr)`, if one comes next.
fn parse_constraint(p: &mut Parser<'_>) -> Result<Option<Constraint>, ParserError> {
    if p.parse_keywords(&[Keyword::NOT, Keyword::NULL]) {
        Ok(Some(Constraint::NotNull(true)))
    } else if p.parse_keyword(Keyword::NULL) {
        Ok(Some(Constraint::NotNull(false)))
    } else if p.parse_keyword(Keyword::CHECK) {
        p.expect_token(&Token::LParen)?;
        let e = p.parse_expr()?;
        p.expect_token(&Token::RParen)?;
        Ok(Some(Constraint::Check(Box::new(e))))
    } else {
        Ok(None)
    }
}

fn parse_alter(p: &mut Parser<'_>) -> Result<AlterDomainSyntax, ParserError> {
    if p.parse_keywords(&[Keyword::SET, Keyword::DEFAULT]) {
        return Ok(AlterDomainSyntax::Default(Some(p.parse_expr()?)));
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::DEFAULT]) {
        return Ok(AlterDomainSyntax::Default(None));
    }
    if p.parse_keywords(&[Keyword::SET, Keyword::NOT, Keyword::NULL]) {
        return Ok(AlterDomainSyntax::NotNull(true));
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::NOT, Keyword::NULL]) {
        return Ok(AlterDomainSyntax::NotNull(false));
    }
    if p.parse_keyword(Keyword::ADD) {
        let name = if p.parse_keyword(Keyword::CONSTRAINT) { Some(p.parse_identifier()?.value) } else { None };
        return match parse_constraint(p)? {
            Some(Constraint::Check(expr)) => {
                let not_valid = p.parse_keywords(&[Keyword::NOT, Keyword::VALID]);
                Ok(AlterDomainSyntax::AddCheck { name, expr: *expr, not_valid })
            }
            _ => p.expected_ref("CHECK or NOT NULL", p.peek_token_ref()),
        };
    }
    if p.parse_keywords(&[Keyword::DROP, Keyword::CONSTRAINT]) {
        let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
        let name = p.parse_identifier()?.value;
        if !p.parse_keyword(Keyword::CASCADE) {
            let _ = p.parse_keyword(Keyword::RESTRICT);
        }
        return Ok(AlterDomainSyntax::DropConstraint { name, if_exists });
    }
    if p.parse_keywords(&[Keyword::VALIDATE, Keyword::CONSTRAINT]) {
        return Ok(AlterDomainSyntax::ValidateConstraint(p.parse_identifier()?.value));
    }
    if p.parse_keywords(&[Keyword::RENAME, Keyword::CONSTRAINT]) {
        let from = p.parse_identifier()?.value;
        p.expect_keyword(Keyword::TO)?;
        let to = p.parse_identifier()?.value;
        return Ok(AlterDomainSyntax::RenameConstraint { from, to });
    }
    if p.parse_keywords(&[Keyword::RENAME, Keyword::TO]) {
        return Ok(AlterDomainSyntax::RenameTo(p.parse_identifier()?.value));
    }
    for (words, what) in [
        (&[Keyword::OWNER, Keyword::TO][..], "ALTER DOMAIN … OWNER TO"),
        (&[Keyword::SET, Keyword::SCHEMA][..], "ALTER DOMAIN … SET SCHEMA"),
    ] {
        if p.parse_keywords(words) {
            p.parse_identifier()?;
            return Ok(AlterDomainSyntax::Unsupported(what));
        }
    }
    p.expected_ref("an ALTER DOMAIN action", p.peek_token_ref())
}

/// `REASSIGN OWNED BY …`, `DROP OWNED BY …`, `CREATE CAST …` or
/// `DROP CAST …` (not built): whether the statement at `p` is one,
/// consuming it whole if so.
pub fn skip_unbuilt_statement(p: &mut Parser<'_>) -> Option<&'static str> {
    let is_word =
        |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let [a, b] = p.peek_tokens_ref::<2>().map(|t| t.token.clone());
    let what = if is_word(&a, "reassign") && is_word(&b, "owned") {
        "REASSIGN OWNED"
    } else if keyword(&a) == Keyword::DROP && is_word(&b, "owned") {
        "DROP OWNED"
    } else if keyword(&a) == Keyword::CREATE && keyword(&b) == Keyword::CAST {
        "CREATE CAST"
    } else if keyword(&a) == Keyword::DROP && keyword(&b) == Keyword::CAST {
        "DROP CAST"
    } else {
        return None;
    };
    while !matches!(p.peek_token_ref().token, Token::SemiColon | Token::EOF) {
        p.next_token();
    }
    Some(what)
}
