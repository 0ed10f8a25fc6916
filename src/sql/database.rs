//! CREATE, DROP and ALTER DATABASE: their grammar (PostgreSQL's, which
//! `sqlparser` does not have). The options are kept as written, by name,
//! and checked when the statement runs (`session/databases.rs`).

use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// A database command.
#[derive(Clone, Debug, PartialEq)]
pub enum DatabaseStmt {
    /// `CREATE DATABASE name [[WITH] option [=] value …]`
    Create { name: String, options: Vec<DbOption> },
    /// `DROP DATABASE [IF EXISTS] name [[WITH] (FORCE)]`
    Drop { name: String, if_exists: bool, force: bool },
    /// `ALTER DATABASE name …`
    Alter { name: String, action: AlterDatabase },
}

/// One `option [=] value` of CREATE or ALTER DATABASE: the option's name
/// in lower case (`connection limit` for CONNECTION LIMIT), and its value
/// as written (`None`: DEFAULT).
#[derive(Clone, Debug, PartialEq)]
pub struct DbOption {
    pub name: String,
    pub value: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlterDatabase {
    RenameTo(String),
    OwnerTo(String),
    Options(Vec<DbOption>),
    /// `SET name … | RESET name | RESET ALL`.
    Setting(super::db_role_setting::SettingAction),
    /// `SET …`, `RESET …`, `SET TABLESPACE`, `REFRESH COLLATION VERSION`:
    /// parsed, refused when run.
    Unsupported(&'static str),
}

/// Whether the statement at `p` is a database command (without consuming it).
pub fn starts_database_statement(p: &Parser<'_>) -> bool {
    let kw = |t: &Token| match t {
        Token::Word(w) if w.quote_style.is_none() => w.keyword,
        _ => Keyword::NoKeyword,
    };
    let [a, b] = p.peek_tokens_ref::<2>().map(|t| kw(&t.token));
    matches!(a, Keyword::CREATE | Keyword::DROP | Keyword::ALTER) && b == Keyword::DATABASE
}

/// A database command, whole.
pub fn parse_database_statement(p: &mut Parser<'_>) -> Result<DatabaseStmt, ParserError> {
    let verb = p.parse_one_of_keywords(&[Keyword::CREATE, Keyword::DROP, Keyword::ALTER]);
    p.expect_keyword(Keyword::DATABASE)?;
    match verb {
        Some(Keyword::CREATE) => {
            let name = p.parse_identifier()?.value;
            let options = parse_options(p)?;
            Ok(DatabaseStmt::Create { name, options })
        }
        Some(Keyword::DROP) => {
            let if_exists = p.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let name = p.parse_identifier()?.value;
            let mut force = false;
            let with = p.parse_keyword(Keyword::WITH);
            if p.consume_token(&Token::LParen) {
                loop {
                    let option = p.parse_identifier()?.value.to_ascii_lowercase();
                    if option != "force" {
                        return Err(ParserError::ParserError(format!(
                            "unrecognized DROP DATABASE option \"{option}\""
                        )));
                    }
                    force = true;
                    if p.consume_token(&Token::RParen) {
                        break;
                    }
                    p.expect_token(&Token::Comma)?;
                }
            } else if with {
                return p.expected_ref("(", p.peek_token_ref());
            }
            Ok(DatabaseStmt::Drop { name, if_exists, force })
        }
        _ => {
            let name = p.parse_identifier()?.value;
            let action = if p.parse_keywords(&[Keyword::RENAME, Keyword::TO]) {
                AlterDatabase::RenameTo(p.parse_identifier()?.value)
            } else if p.parse_keywords(&[Keyword::OWNER, Keyword::TO]) {
                AlterDatabase::OwnerTo(p.parse_identifier()?.value)
            } else if p.parse_keywords(&[Keyword::SET, Keyword::TABLESPACE]) {
                skip_rest(p);
                AlterDatabase::Unsupported("ALTER DATABASE … SET TABLESPACE")
            } else if matches!(p.peek_token_ref().token, Token::Word(ref w) if w.quote_style.is_none() && matches!(w.keyword, Keyword::SET | Keyword::RESET))
            {
                AlterDatabase::Setting(super::db_role_setting::parse_set_reset(p)?)
            } else if p.parse_keyword(Keyword::REFRESH) {
                skip_rest(p);
                AlterDatabase::Unsupported("ALTER DATABASE … REFRESH COLLATION VERSION")
            } else {
                let options = parse_options(p)?;
                if options.is_empty() {
                    return p.expected_ref("an ALTER DATABASE action", p.peek_token_ref());
                }
                AlterDatabase::Options(options)
            };
            Ok(DatabaseStmt::Alter { name, action })
        }
    }
}

/// Everything up to the end of the statement.
fn skip_rest(p: &mut Parser<'_>) {
    while !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        p.next_token();
    }
}

/// `[WITH] option [=] value …` up to the end of the statement.
fn parse_options(p: &mut Parser<'_>) -> Result<Vec<DbOption>, ParserError> {
    let mut out = Vec::new();
    let _ = p.parse_keyword(Keyword::WITH);
    while !matches!(p.peek_token_ref().token, Token::EOF | Token::SemiColon) {
        let mut name = p.parse_identifier()?.value.to_ascii_lowercase();
        if name == "connection" {
            p.expect_keyword(Keyword::LIMIT)?;
            name = "connection limit".into();
        }
        let _ = p.consume_token(&Token::Eq);
        let token = p.next_token();
        let value = match &token.token {
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::DEFAULT => None,
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_lowercase()),
            Token::Word(w) => Some(w.value.clone()),
            Token::SingleQuotedString(s) => Some(s.clone()),
            Token::Number(n, _) => Some(n.clone()),
            Token::Minus => match p.next_token().token {
                Token::Number(n, _) => Some(format!("-{n}")),
                _ => return p.expected_ref("a number", &token),
            },
            _ => return p.expected_ref("an option value", &token),
        };
        out.push(DbOption { name, value });
    }
    Ok(out)
}
