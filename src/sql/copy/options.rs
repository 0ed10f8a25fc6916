//! COPY options, checked as PostgreSQL's `ProcessCopyOptions` checks them,
//! with its messages and SQLSTATEs.

use super::syntax::{OptValue, RawOption};
use crate::err;
use crate::error::{Error, Result, SqlState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Csv,
    Binary,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderMode {
    None,
    /// Write a header line (TO) or skip the first line (FROM).
    Present,
    /// FROM only: the first line must name the columns.
    Match,
}

/// Which columns a FORCE_* option names.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ColumnSet {
    #[default]
    None,
    All,
    Named(Vec<String>),
}

/// The resolved options of one COPY.
#[derive(Clone, Debug)]
pub struct CopyOptions {
    pub format: Format,
    pub freeze: bool,
    pub delimiter: u8,
    pub null: String,
    pub header: HeaderMode,
    pub quote: u8,
    pub escape: u8,
    pub force_quote: ColumnSet,
    pub force_not_null: ColumnSet,
    pub force_null: ColumnSet,
}

/// An option error positioned at the option, as PostgreSQL reports it.
fn at(e: Error, o: &RawOption, sql: &str) -> Error {
    match crate::sql::parser::position(sql, o.location) {
        Some(p) => e.with_position(p),
        None => e,
    }
}

fn redundant(o: &RawOption, sql: &str) -> Error {
    at(err!(SqlState::SYNTAX_ERROR, "conflicting or redundant options"), o, sql)
}

/// `defGetBoolean`.
fn boolean(o: &RawOption) -> Option<bool> {
    match &o.value {
        OptValue::None => Some(true),
        OptValue::Str(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "on" | "1" => Some(true),
            "false" | "off" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `defGetString`.
fn string(o: &RawOption, sql: &str) -> Result<String> {
    match &o.value {
        OptValue::Str(s) => Ok(s.clone()),
        OptValue::Star => Ok("*".into()),
        OptValue::None => Err(err!(SqlState::SYNTAX_ERROR, "{} requires a parameter", o.name)),
        OptValue::List(_) => {
            Err(at(err!(SqlState::SYNTAX_ERROR, "argument to option \"{}\" must be a string", o.name), o, sql))
        }
    }
}

fn columns(o: &RawOption, star_ok: bool, sql: &str) -> Result<ColumnSet> {
    match &o.value {
        OptValue::List(cols) => Ok(ColumnSet::Named(cols.clone())),
        OptValue::Star if star_ok => Ok(ColumnSet::All),
        _ => Err(at(
            err!(SqlState::INVALID_PARAMETER_VALUE, "argument to option \"{}\" must be a list of column names", o.name),
            o,
            sql,
        )),
    }
}

/// Resolve and check the options of a COPY FROM (`from`) or TO.
pub fn resolve(raw: &[RawOption], from: bool, sql: &str) -> Result<CopyOptions> {
    let mut format = None;
    let (mut freeze, mut header, mut encoding) = (None, None, None);
    let (mut delimiter, mut null, mut quote, mut escape) =
        (None::<String>, None::<String>, None::<String>, None::<String>);
    let (mut force_quote, mut force_not_null, mut force_null) = (None, None, None);
    for o in raw {
        let once = |seen: bool| if seen { Err(redundant(o, sql)) } else { Ok(()) };
        match o.name.as_str() {
            "format" => {
                once(format.is_some())?;
                let f = string(o, sql)?;
                format = Some(match f.as_str() {
                    "text" => Format::Text,
                    "csv" => Format::Csv,
                    "binary" => Format::Binary,
                    _ => {
                        return Err(at(
                            err!(SqlState::INVALID_PARAMETER_VALUE, "COPY format \"{f}\" not recognized"),
                            o,
                            sql,
                        ));
                    }
                });
            }
            "freeze" => {
                once(freeze.is_some())?;
                let value = boolean(o);
                freeze =
                    Some(value.ok_or_else(|| err!(SqlState::SYNTAX_ERROR, "{} requires a Boolean value", o.name))?);
            }
            "header" => {
                once(header.is_some())?;
                header = Some(match boolean(o) {
                    Some(true) => HeaderMode::Present,
                    Some(false) => HeaderMode::None,
                    None if matches!(&o.value, OptValue::Str(s) if s.eq_ignore_ascii_case("match")) => {
                        if !from {
                            return Err(err!(
                                SqlState::FEATURE_NOT_SUPPORTED,
                                "cannot use \"match\" with HEADER in COPY TO"
                            ));
                        }
                        HeaderMode::Match
                    }
                    None => {
                        return Err(err!(SqlState::SYNTAX_ERROR, "{} requires a Boolean value or \"match\"", o.name));
                    }
                });
            }
            "delimiter" => {
                once(delimiter.is_some())?;
                delimiter = Some(string(o, sql)?);
            }
            "null" => {
                once(null.is_some())?;
                null = Some(string(o, sql)?);
            }
            "quote" => {
                once(quote.is_some())?;
                quote = Some(string(o, sql)?);
            }
            "escape" => {
                once(escape.is_some())?;
                escape = Some(string(o, sql)?);
            }
            "force_quote" => {
                once(force_quote.is_some())?;
                force_quote = Some(columns(o, true, sql)?);
            }
            "force_not_null" => {
                once(force_not_null.is_some())?;
                force_not_null = Some(columns(o, false, sql)?);
            }
            "force_null" => {
                once(force_null.is_some())?;
                force_null = Some(columns(o, false, sql)?);
            }
            "encoding" => {
                once(encoding.is_some())?;
                let e = string(o, sql)?;
                let norm: String = e.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
                if !matches!(norm.as_str(), "utf8" | "unicode") {
                    return Err(at(
                        err!(SqlState::FEATURE_NOT_SUPPORTED, "COPY with encoding \"{e}\" is not supported yet")
                            .with_hint("Only UTF8 data can be copied."),
                        o,
                        sql,
                    ));
                }
                encoding = Some(e);
            }
            other => {
                return Err(at(err!(SqlState::SYNTAX_ERROR, "option \"{other}\" not recognized"), o, sql));
            }
        }
    }
    let format = format.unwrap_or(Format::Text);
    let csv = format == Format::Csv;
    let binary = format == Format::Binary;
    let not_supported = |m: &str| Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "{m}"));
    let syntax = |m: &str| Err(err!(SqlState::SYNTAX_ERROR, "{m}"));
    let invalid = |m: String| Err(err!(SqlState::INVALID_PARAMETER_VALUE, "{m}"));
    if binary && delimiter.is_some() {
        return syntax("cannot specify DELIMITER in BINARY mode");
    }
    if binary && null.is_some() {
        return syntax("cannot specify NULL in BINARY mode");
    }
    if binary && header.is_some_and(|h| h != HeaderMode::None) {
        return syntax("cannot specify HEADER in BINARY mode");
    }
    let delimiter = delimiter.unwrap_or_else(|| if csv { ",".into() } else { "\t".into() });
    let null = null.unwrap_or_else(|| if csv { String::new() } else { "\\N".into() });
    if delimiter.len() != 1 {
        return not_supported("COPY delimiter must be a single one-byte character");
    }
    let delim = delimiter.as_bytes()[0];
    if delim == b'\n' || delim == b'\r' {
        return invalid("COPY delimiter cannot be newline or carriage return".into());
    }
    if null.contains(['\n', '\r']) {
        return invalid("COPY null representation cannot use newline or carriage return".into());
    }
    if !csv && b"\\.abcdefghijklmnopqrstuvwxyz0123456789".contains(&delim) {
        return invalid(format!("COPY delimiter cannot be \"{delimiter}\""));
    }
    if !csv && quote.is_some() {
        return not_supported("COPY quote available only in CSV mode");
    }
    let quote = quote.unwrap_or_else(|| "\"".into());
    if csv && quote.len() != 1 {
        return not_supported("COPY quote must be a single one-byte character");
    }
    if csv && delimiter == quote {
        return invalid("COPY delimiter and quote must be different".into());
    }
    if !csv && escape.is_some() {
        return not_supported("COPY escape available only in CSV mode");
    }
    let escape = escape.unwrap_or_else(|| quote.clone());
    if csv && escape.len() != 1 {
        return not_supported("COPY escape must be a single one-byte character");
    }
    if force_quote.is_some() && !csv {
        return not_supported("COPY force quote available only in CSV mode");
    }
    if force_quote.is_some() && from {
        return not_supported("COPY force quote only available using COPY TO");
    }
    if force_not_null.is_some() && !csv {
        return not_supported("COPY force not null available only in CSV mode");
    }
    if force_not_null.is_some() && !from {
        return not_supported("COPY force not null only available using COPY FROM");
    }
    if force_null.is_some() && !csv {
        return not_supported("COPY force null available only in CSV mode");
    }
    if force_null.is_some() && !from {
        return not_supported("COPY force null only available using COPY FROM");
    }
    if !binary && null.as_bytes().contains(&delim) {
        return not_supported("COPY delimiter must not appear in the NULL specification");
    }
    if csv && null.contains(quote.as_str()) {
        return not_supported("CSV quote character must not appear in the NULL specification");
    }
    Ok(CopyOptions {
        format,
        freeze: freeze.unwrap_or(false),
        delimiter: delim,
        null,
        header: header.unwrap_or(HeaderMode::None),
        quote: quote.as_bytes().first().copied().unwrap_or(b'"'),
        escape: escape.as_bytes().first().copied().unwrap_or(b'"'),
        force_quote: force_quote.unwrap_or_default(),
        force_not_null: force_not_null.unwrap_or_default(),
        force_null: force_null.unwrap_or_default(),
    })
}
