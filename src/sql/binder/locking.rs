//! Locking clauses (`FOR UPDATE`, `FOR NO KEY UPDATE`, `FOR SHARE`,
//! `FOR KEY SHARE`, each with `OF` and `NOWAIT` / `SKIP LOCKED`) as the
//! parser hands them over: `sqlparser` knows only UPDATE and SHARE and one
//! `OF` name, so the parser front marks the other forms inside the `OF`
//! name (see [`crate::sql::parser`]), and they are read back here.

use sqlparser::ast;

use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::parser::{LOCK_MARK, LOCK_NAME_SEPARATOR};
use crate::txn::RowLock;

/// One locking clause.
pub(super) struct Clause {
    pub strength: RowLock,
    /// The relations it names (none: every relation of the FROM clause).
    pub of: Vec<String>,
    pub nonblock: Option<ast::NonBlock>,
}

pub(super) fn clause(l: &ast::LockClause) -> Result<Clause> {
    let mut strength = match l.lock_type {
        ast::LockType::Update => RowLock::Update,
        ast::LockType::Share => RowLock::Share,
    };
    let mut of = Vec::new();
    let Some(name) = &l.of else { return Ok(Clause { strength, of, nonblock: l.nonblock }) };
    let parts: Vec<&ast::Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
    let (marked, parts) = match parts.split_first() {
        Some((first, rest)) if first.value.starts_with(LOCK_MARK) => (Some(&first.value[LOCK_MARK.len_utf8()..]), rest),
        _ => (None, &parts[..]),
    };
    match marked {
        Some("no key update") => strength = RowLock::NoKeyUpdate,
        Some("key share") => strength = RowLock::KeyShare,
        _ => {}
    }
    // Names are separated by marks; each must be a bare relation name.
    let names: Vec<&[&ast::Ident]> = match marked {
        Some(_) => parts.split(|p| p.value == LOCK_NAME_SEPARATOR).filter(|n| !n.is_empty()).collect(),
        None => vec![parts],
    };
    for n in names {
        match n {
            [one] => of.push(super::ident(one)),
            _ => {
                return Err(err!(
                    SqlState::SYNTAX_ERROR,
                    "{} must specify unqualified relation names",
                    strength.clause()
                ));
            }
        }
    }
    Ok(Clause { strength, of, nonblock: l.nonblock })
}

/// Whether a select-list expression calls a window function (found before
/// binding: a locking query refuses it by its own message).
pub(super) fn has_window_function(e: &ast::Expr) -> bool {
    use ast::Expr as E;
    match e {
        E::Function(f) => {
            f.over.is_some()
                || match &f.args {
                    ast::FunctionArguments::List(l) => l.args.iter().any(|a| match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e))
                        | ast::FunctionArg::Named { arg: ast::FunctionArgExpr::Expr(e), .. } => has_window_function(e),
                        _ => false,
                    }),
                    _ => false,
                }
        }
        E::BinaryOp { left, right, .. } => has_window_function(left) || has_window_function(right),
        E::UnaryOp { expr, .. } | E::Nested(expr) | E::Cast { expr, .. } => has_window_function(expr),
        _ => false,
    }
}
