//! The SQL engine: parse → bind → execute.
//!
//! - [`parser`] turns text into `sqlparser` statements (errors become 42601
//!   with a cursor position);
//! - [`binder`] resolves names and types into a [`Bound`] statement;
//! - [`exec`] runs it, producing rows a chunk at a time so that the protocol
//!   layer can stream them with back-pressure.
//!
//! Expressions ([`expr`]) are evaluated with PostgreSQL's semantics;
//! values and their wire formats live in [`types`].

pub mod binder;
pub mod exec;
pub mod expr;
pub mod func;
pub mod numeric;
pub mod parser;
pub mod types;

use expr::Expr;
use types::PgType;

/// One output column of a statement.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub ty: PgType,
    pub typmod: i32,
}

impl Column {
    fn text(name: &str) -> Column {
        Column { name: name.to_string(), ty: PgType::Text, typmod: -1 }
    }
}

/// A bound statement, ready to execute.
#[derive(Clone, Debug)]
pub enum Statement {
    /// `SELECT` without tables: one row of expressions, optionally filtered.
    Select {
        exprs: Vec<Expr>,
        columns: Vec<Column>,
        filter: Option<Expr>,
        /// The table scanned, if any.
        from: Option<std::sync::Arc<crate::catalog::Table>>,
    },
    /// `CREATE TABLE [IF NOT EXISTS] name (columns…)`.
    CreateTable {
        name: String,
        columns: Vec<crate::catalog::Column>,
        if_not_exists: bool,
    },
    /// `INSERT INTO t … VALUES`: one expression per table column, per row.
    Insert {
        table: std::sync::Arc<crate::catalog::Table>,
        rows: Vec<Vec<Expr>>,
    },
    /// `SET [LOCAL] name = value` (`None`: DEFAULT) and `RESET name`.
    Set {
        name: String,
        value: Option<String>,
        local: bool,
    },
    ResetAll,
    Show {
        name: String,
    },
    ShowAll,
    /// `CHECKPOINT`: force a checkpoint now.
    Checkpoint,
    /// `BEGIN` / `START TRANSACTION` with its modes.
    Begin {
        isolation: Option<String>,
        read_only: Option<bool>,
        start: bool,
    },
    /// `SET TRANSACTION …` inside a block.
    SetTransaction {
        isolation: Option<String>,
        read_only: Option<bool>,
    },
    Commit,
    Rollback,
    Savepoint(String),
    Release(String),
    RollbackTo(String),
}

impl Statement {
    pub fn columns(&self) -> Vec<Column> {
        match self {
            Statement::Select { columns, .. } => columns.clone(),
            Statement::Show { name } => vec![Column::text(&name.to_ascii_lowercase())],
            Statement::ShowAll => vec![Column::text("name"), Column::text("setting"), Column::text("description")],
            Statement::Set { .. }
            | Statement::ResetAll
            | Statement::Checkpoint
            | Statement::Begin { .. }
            | Statement::SetTransaction { .. }
            | Statement::Commit
            | Statement::Rollback
            | Statement::Savepoint(_)
            | Statement::Release(_)
            | Statement::RollbackTo(_)
            | Statement::CreateTable { .. }
            | Statement::Insert { .. } => Vec::new(),
        }
    }

    /// The command name for metrics and the CommandComplete tag.
    pub fn command(&self) -> &'static str {
        match self {
            Statement::Select { .. } => "SELECT",
            Statement::Set { value: None, .. } | Statement::ResetAll => "RESET",
            Statement::Set { .. } => "SET",
            Statement::Show { .. } | Statement::ShowAll => "SHOW",
            Statement::Checkpoint => "CHECKPOINT",
            Statement::CreateTable { .. } => "CREATE TABLE",
            Statement::Insert { .. } => "INSERT",
            Statement::Begin { start: false, .. } => "BEGIN",
            Statement::Begin { start: true, .. } => "START TRANSACTION",
            Statement::SetTransaction { .. } => "SET",
            Statement::Commit => "COMMIT",
            Statement::Rollback | Statement::RollbackTo(_) => "ROLLBACK",
            Statement::Savepoint(_) => "SAVEPOINT",
            Statement::Release(_) => "RELEASE",
        }
    }

    /// Whether running it may wait for long (it then runs off the async workers).
    pub fn may_block(&self) -> bool {
        match self {
            Statement::Select { exprs, filter, .. } => exprs.iter().chain(filter).any(Expr::may_block),
            Statement::Checkpoint => true,
            _ => false,
        }
    }
}

/// A statement with its parameter types and result columns resolved.
#[derive(Clone, Debug)]
pub struct Bound {
    pub statement: Statement,
    pub params: Vec<PgType>,
    pub columns: Vec<Column>,
}
