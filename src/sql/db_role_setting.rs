//! `ALTER ROLE … [IN DATABASE d] SET | RESET …` and `ALTER DATABASE d SET
//! | RESET …`: their grammar (PostgreSQL's `SetResetClause`, which
//! `sqlparser` has only in part). The values are kept as written; the
//! session flattens them to the text `pg_db_role_setting` keeps once it
//! knows the setting (`session/role_settings.rs`).

use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// Whose settings a statement changes.
#[derive(Clone, Debug, PartialEq)]
pub enum SettingScope {
    /// `ALTER ROLE role [IN DATABASE database]`; `role` `None` is `ALL`.
    Role { role: Option<String>, database: Option<String> },
    /// `ALTER DATABASE database`.
    Database(String),
}

/// One value of a `SET name = v, …` list.
#[derive(Clone, Debug, PartialEq)]
pub enum SetArg {
    /// A string constant or an identifier (folded to lower case unless quoted).
    Text(String),
    /// A number, with its sign, as written.
    Number(String),
}

/// What a statement does to the setting.
#[derive(Clone, Debug, PartialEq)]
pub enum SettingAction {
    /// `SET name {TO | =} values`.
    Set { name: String, values: Vec<SetArg> },
    /// `SET name FROM CURRENT`: the session's value now.
    FromCurrent { name: String },
    /// `RESET name` or `SET name TO DEFAULT`; `None` is `RESET ALL`.
    Reset(Option<String>),
}

/// `ALTER ROLE | DATABASE … SET | RESET …`.
#[derive(Clone, Debug, PartialEq)]
pub struct AlterSetting {
    pub scope: SettingScope,
    pub action: SettingAction,
}

fn keyword_at(p: &Parser<'_>, n: usize) -> Keyword {
    match &p.peek_nth_token_ref(n).token {
        Token::Word(w) if w.quote_style.is_none() => w.keyword,
        _ => Keyword::NoKeyword,
    }
}

/// Whether the statement at `p` is `ALTER ROLE | USER r [IN DATABASE d]
/// SET | RESET …` (without consuming it).
pub fn starts_role_setting(p: &Parser<'_>) -> bool {
    keyword_at(p, 0) == Keyword::ALTER
        && matches!(keyword_at(p, 1), Keyword::ROLE | Keyword::USER)
        && matches!(p.peek_nth_token_ref(2).token, Token::Word(_))
        && matches!(keyword_at(p, 3), Keyword::IN | Keyword::SET | Keyword::RESET)
}

/// `ALTER ROLE | USER r [IN DATABASE d] SET | RESET …`, whole.
pub fn parse_role_setting(p: &mut Parser<'_>) -> Result<AlterSetting, ParserError> {
    p.expect_keyword(Keyword::ALTER)?;
    p.expect_one_of_keywords(&[Keyword::ROLE, Keyword::USER])?;
    let role = match keyword_at(p, 0) {
        Keyword::ALL => {
            p.next_token();
            None
        }
        Keyword::CURRENT_USER | Keyword::CURRENT_ROLE => {
            p.next_token();
            Some("current_user".to_string())
        }
        Keyword::SESSION_USER => {
            p.next_token();
            Some("session_user".to_string())
        }
        _ => Some(p.parse_identifier()?.value),
    };
    let database = if p.parse_keyword(Keyword::IN) {
        p.expect_keyword(Keyword::DATABASE)?;
        Some(p.parse_identifier()?.value)
    } else {
        None
    };
    let action = parse_set_reset(p)?;
    Ok(AlterSetting { scope: SettingScope::Role { role, database }, action })
}

/// `SET name {TO | =} {values | DEFAULT}`, `SET name FROM CURRENT`, `SET
/// TIME ZONE v`, `RESET name`, `RESET TIME ZONE` or `RESET ALL`.
pub fn parse_set_reset(p: &mut Parser<'_>) -> Result<SettingAction, ParserError> {
    match p.expect_one_of_keywords(&[Keyword::SET, Keyword::RESET])? {
        Keyword::RESET => {
            if p.parse_keyword(Keyword::ALL) {
                return Ok(SettingAction::Reset(None));
            }
            Ok(SettingAction::Reset(Some(parse_name(p)?)))
        }
        _ => {
            if p.parse_keywords(&[Keyword::TIME, Keyword::ZONE]) {
                if matches!(keyword_at(p, 0), Keyword::LOCAL | Keyword::DEFAULT) {
                    p.next_token();
                    return Ok(SettingAction::Reset(Some("timezone".into())));
                }
                let values = vec![parse_value(p)?];
                return Ok(SettingAction::Set { name: "timezone".into(), values });
            }
            let name = parse_name(p)?;
            if p.parse_keywords(&[Keyword::FROM, Keyword::CURRENT]) {
                return Ok(SettingAction::FromCurrent { name });
            }
            if !p.consume_token(&Token::Eq) {
                p.expect_keyword(Keyword::TO)?;
            }
            if keyword_at(p, 0) == Keyword::DEFAULT {
                p.next_token();
                return Ok(SettingAction::Reset(Some(name)));
            }
            let mut values = vec![parse_value(p)?];
            while p.consume_token(&Token::Comma) {
                values.push(parse_value(p)?);
            }
            Ok(SettingAction::Set { name, values })
        }
    }
}

/// A setting's name: `name` or `TIME ZONE`, or a dotted `prefix.name`,
/// in lower case unless quoted.
fn parse_name(p: &mut Parser<'_>) -> Result<String, ParserError> {
    if p.parse_keywords(&[Keyword::TIME, Keyword::ZONE]) {
        return Ok("timezone".into());
    }
    let mut parts = vec![fold(&p.parse_identifier()?)];
    while p.consume_token(&Token::Period) {
        parts.push(fold(&p.parse_identifier()?));
    }
    Ok(parts.join("."))
}

fn fold(id: &sqlparser::ast::Ident) -> String {
    if id.quote_style.is_some() { id.value.clone() } else { id.value.to_ascii_lowercase() }
}

/// One value: a string, a signed number, or a word (`on`, `true`, a name).
fn parse_value(p: &mut Parser<'_>) -> Result<SetArg, ParserError> {
    let token = p.next_token();
    Ok(match &token.token {
        Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => SetArg::Text(s.clone()),
        Token::Number(n, _) => SetArg::Number(n.clone()),
        Token::Minus | Token::Plus => {
            let sign = if token.token == Token::Minus { "-" } else { "" };
            match p.next_token().token {
                Token::Number(n, _) => SetArg::Number(format!("{sign}{n}")),
                _ => return p.expected_ref("a number", &token),
            }
        }
        Token::Word(w) if w.quote_style.is_some() => SetArg::Text(w.value.clone()),
        Token::Word(w) => SetArg::Text(w.value.to_ascii_lowercase()),
        _ => return p.expected_ref("a setting's value", &token),
    })
}

/// The values of `SET name = v, …` as one string, as PostgreSQL's
/// `flatten_set_variable_args` writes them: list settings take several,
/// joined by `, `, and `search_path`'s names are quoted where a name
/// needs it (`a, "B"`). Other settings, and names tusk does not know,
/// take one.
pub fn flatten(name: &str, values: &[SetArg]) -> crate::error::Result<String> {
    use crate::config::Guc;
    let guc = Guc::lookup(name);
    let list = matches!(guc, Some(Guc::search_path | Guc::DateStyle));
    if values.len() > 1 && !list {
        return Err(crate::err!(
            crate::error::SqlState::INVALID_PARAMETER_VALUE,
            "SET {} takes only one argument",
            guc.map_or(name, |g| g.name())
        ));
    }
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            SetArg::Number(n) => n.clone(),
            SetArg::Text(t) if guc == Some(Guc::search_path) => crate::catalog::describe::quote_identifier(t),
            SetArg::Text(t) => t.clone(),
        })
        .collect();
    Ok(parts.join(", "))
}
