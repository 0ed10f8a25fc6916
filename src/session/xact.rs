//! A session's transaction block: PostgreSQL's `BEGIN … COMMIT` state
//! machine, with savepoints.
//!
//! ```text
//!            BEGIN                      error
//!   Idle ─────────────► InBlock ─────────────────► Failed
//!    ▲                   │  │ COMMIT / ROLLBACK      │ ROLLBACK (or COMMIT, which rolls back)
//!    └───────────────────┘  └────────────────────────┘   ROLLBACK TO savepoint: back to InBlock
//! ```
//!
//! Outside a block every statement (or every simple-query message) runs in
//! an implicit transaction. In a failed block every command but the ones
//! that end it is refused with 25P02. Settings changed in a transaction are
//! kept at commit and undone at rollback; a savepoint remembers them so
//! that `ROLLBACK TO` can undo what came after it.

use crate::config::Settings;
use crate::sql::parser::Parsed;
use sqlparser::ast;

/// The isolation levels PostgreSQL has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read committed",
            Isolation::RepeatableRead => "repeatable read",
            Isolation::Serializable => "serializable",
        }
    }

    /// `read uncommitted` behaves as read committed, as in PostgreSQL.
    pub fn parse(s: &str) -> Option<Isolation> {
        match s {
            "read committed" | "read uncommitted" => Some(Isolation::ReadCommitted),
            "repeatable read" => Some(Isolation::RepeatableRead),
            "serializable" => Some(Isolation::Serializable),
            _ => None,
        }
    }
}

/// The explicit transaction block, if any.
#[derive(Clone)]
pub struct Block {
    pub isolation: Isolation,
    pub read_only: bool,
    /// A statement other than transaction control has run in the block.
    pub ran_query: bool,
    pub failed: bool,
    /// Savepoints: name, the settings then, and the session's write count then.
    pub savepoints: Vec<(String, Settings, u64)>,
}

/// Whether a statement may run in a failed block (it ends or repairs it).
pub fn is_exit_statement(stmt: &Parsed) -> bool {
    matches!(
        stmt,
        Parsed::Sql(s) if matches!(
            s.as_ref(),
            ast::Statement::Commit { .. } | ast::Statement::Rollback { .. }
        )
    )
}
