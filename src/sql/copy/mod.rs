//! COPY: moving rows between a table (or a query) and a stream of bytes in
//! PostgreSQL's text, CSV or binary format.
//!
//! - [`syntax`] parses the statement (PostgreSQL's grammar, old and new
//!   option syntax) with `sqlparser`'s parser primitives;
//! - [`options`] checks the options as PostgreSQL's `ProcessCopyOptions`
//!   does and resolves them into [`CopyOptions`];
//! - [`from`] decodes COPY FROM input incrementally: bytes arrive in
//!   arbitrary pieces (CopyData messages, file reads), complete rows come out
//!   as values in table column order, and at most one partial row is kept,
//!   so memory stays bounded whatever the input's size. Errors carry
//!   PostgreSQL's CONTEXT (`COPY t, line 3, column b: "x"`);
//! - [`to`] encodes result rows for COPY TO, byte for byte as PostgreSQL.
//!
//! The rows themselves go through the executor's insert path (NOT NULL,
//! heap tuple, index entries with unique checks), see
//! [`super::exec::insert_row`]; COPY TO runs its query with the ordinary
//! executor and a sink that encodes rows instead of DataRow messages.

pub mod from;
pub mod options;
pub mod syntax;
pub mod to;

use std::sync::Arc;

pub use options::{CopyOptions, Format, HeaderMode};

use super::Column;
use super::plan::Plan;
use crate::catalog::Table;

/// Where a COPY's data comes from or goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyIo {
    /// `STDIN` / `STDOUT`: the client, over CopyData messages.
    Client,
    /// A file the server reads or writes.
    File(String),
}

/// A bound COPY statement.
#[derive(Clone, Debug)]
pub struct CopyStmt {
    /// `COPY FROM` (into a table) rather than `COPY TO`.
    pub from: bool,
    pub io: CopyIo,
    /// The table named by the statement (for FROM, and for `COPY t TO`).
    pub table: Option<Arc<Table>>,
    /// The relation name shown in CONTEXT lines.
    pub relname: String,
    /// COPY FROM: the table columns the input's fields fill, in order.
    pub targets: Vec<usize>,
    /// COPY FROM: the other columns with a default, and its expression
    /// (evaluated for each row).
    pub defaults: Vec<(usize, super::expr::Expr)>,
    /// COPY TO: the rows to write.
    pub plan: Option<Arc<Plan>>,
    /// COPY FROM … WHERE: only rows for which it is true are stored.
    pub filter: Option<super::expr::Expr>,
    /// The columns of the data: input fields (FROM) or output columns (TO).
    pub columns: Vec<Column>,
    pub options: CopyOptions,
}

impl CopyStmt {
    /// The data is in the binary format (CopyIn/OutResponse say so).
    pub fn binary(&self) -> bool {
        self.options.format == Format::Binary
    }
}

/// PostgreSQL shows at most this many bytes of a line or value in CONTEXT.
const MAX_DISPLAY: usize = 100;

/// A line or value as CONTEXT shows it: clipped to 100 bytes (at a character
/// boundary) with `...` appended when longer.
fn clip(s: &str) -> String {
    if s.len() <= MAX_DISPLAY {
        return s.to_string();
    }
    let mut end = MAX_DISPLAY;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}
