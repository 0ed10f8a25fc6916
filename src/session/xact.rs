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
//!
//! A savepoint begins a subtransaction. The first write after it gets the
//! subtransaction an id of its own (after the top-level transaction's), so
//! that `ROLLBACK TO` can abort exactly the rows written since:
//!
//! ```text
//!   BEGIN; INSERT (xid 10)  SAVEPOINT a; INSERT (xid 11)  SAVEPOINT b; INSERT (xid 12)
//!   RELEASE b        → 12 joins a: it commits or aborts with a
//!   ROLLBACK TO a    → 11 and 12 abort now; a stays, with no id until it writes again
//!   COMMIT           → 10 commits (with any subtransaction ids still running)
//! ```

use crate::catalog::stats::Changes;
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
    /// `DEFERRABLE`: a SERIALIZABLE READ ONLY transaction waits for a safe
    /// snapshot (see `session/serial.rs`).
    pub deferrable: bool,
    /// A statement other than transaction control has run in the block.
    pub ran_query: bool,
    pub failed: bool,
    /// Open savepoints, oldest first.
    pub savepoints: Vec<Savepoint>,
}

/// A savepoint: the subtransaction it began, and what `ROLLBACK TO` restores.
#[derive(Clone)]
pub struct Savepoint {
    pub name: String,
    /// The subtransaction's id, once it has written.
    pub xid: Option<u64>,
    /// Ids of savepoints released into this one: they end with it.
    pub released: Vec<u64>,
    /// The settings when it was made.
    pub settings: Settings,
    /// How many relation files the transaction had created and dropped then.
    pub created_files: usize,
    pub dropped_files: usize,
    /// The transaction's row changes per table then (for the table statistics).
    pub changes: Vec<(u32, String, Changes)>,
    /// Where the queue of constraint checks put off was then, and the
    /// SET CONSTRAINTS modes.
    pub pending_mark: u64,
    pub constraint_modes: crate::sql::exec::deferred::ConstraintModes,
}

impl Savepoint {
    /// The subtransaction ids that end with this savepoint.
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.xid.iter().chain(self.released.iter()).copied()
    }
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
