//! The executor: runs a bound statement and hands rows to a sink, a chunk at
//! a time. A chunk ends when the sink asks to be drained (its buffer is
//! full), when the portal's row limit is reached, or when the rows run out;
//! the caller then flushes to the client and resumes, which keeps a
//! result's memory bounded however many rows it has.

use std::sync::Arc;

use super::expr::{EvalContext, eval};
use super::types::Datum;
use super::{Bound, Statement};
use crate::error::Result;

/// Where result rows go.
pub trait RowSink {
    /// Take one row; return `true` when the sink wants to be drained before more rows.
    fn push_row(&mut self, row: &[Datum]) -> Result<bool>;
}

/// A scan reads at most this many blocks before handing control back, so
/// that a long scan never keeps an async worker from other sessions.
const YIELD_AFTER_BLOCKS: u32 = 64;

/// Why a chunk of execution stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Every row has been produced.
    Done,
    /// The sink is full, or the executor is yielding; call again after draining it.
    SinkFull,
    /// The row limit of this Execute was reached (PortalSuspended).
    Suspended,
}

/// The state of a running query.
#[derive(Debug)]
pub enum Executor {
    /// One computed row (SELECT without FROM); the plan is shared with the prepared statement.
    Result { plan: Arc<Bound>, done: bool },
    /// A sequential scan of a table (boxed: it is the large variant).
    Scan(Box<SeqScan>),
    /// Precomputed rows (SHOW).
    Values { rows: std::vec::IntoIter<Vec<Datum>> },
}

/// A sequential scan: reads a block at a time, keeps the rows visible to
/// its snapshot, and applies the statement's filter and projection.
#[derive(Debug)]
pub struct SeqScan {
    pub plan: Arc<Bound>,
    pub table: Arc<crate::catalog::Table>,
    pub catalog: Arc<crate::catalog::Catalog>,
    pub snapshot: crate::txn::Snapshot,
    pub xid: u64,
    pub cid: u32,
    pub next_block: u32,
    pub nblocks: u32,
    /// Visible rows of the current block not yet processed.
    pub rows: std::collections::VecDeque<Vec<Datum>>,
}

/// Evaluation with a current row: columns read from it, the rest from the session.
struct RowContext<'a> {
    inner: &'a mut dyn EvalContext,
    row: &'a [Datum],
}

impl EvalContext for RowContext<'_> {
    fn param(&self, index: usize) -> &Datum {
        self.inner.param(index)
    }
    fn column(&self, index: usize) -> &Datum {
        self.row.get(index).unwrap_or(&Datum::Null)
    }
    fn current_setting(&self, name: &str, missing_ok: bool) -> Result<Option<String>> {
        self.inner.current_setting(name, missing_ok)
    }
    fn set_config(&mut self, name: &str, value: &str, is_local: bool) -> Result<String> {
        self.inner.set_config(name, value, is_local)
    }
    fn check_interrupts(&self) -> Result<()> {
        self.inner.check_interrupts()
    }
    fn backend_pid(&self) -> i32 {
        self.inner.backend_pid()
    }
    fn extra_float_digits(&self) -> i32 {
        self.inner.extra_float_digits()
    }
}

impl Executor {
    /// Produce rows until the sink is full, `limit` rows were produced (0 = no limit), or the end.
    /// `produced` counts rows across calls.
    pub fn run(
        &mut self,
        ctx: &mut dyn EvalContext,
        sink: &mut dyn RowSink,
        limit: usize,
        produced: &mut u64,
        arena: &bumpalo::Bump,
    ) -> Result<Progress> {
        let mut this_call = 0usize;
        let mut blocks_read = 0u32;
        let mut row = bumpalo::collections::Vec::new_in(arena);
        loop {
            if limit != 0 && this_call >= limit {
                return Ok(Progress::Suspended);
            }
            ctx.check_interrupts()?;
            row.clear();
            let have = match self {
                Executor::Result { plan, done } => {
                    let Statement::Select { exprs, filter, .. } = &plan.statement else {
                        return Err(crate::error::Error::internal("Result node over a non-SELECT"));
                    };
                    if *done {
                        false
                    } else {
                        *done = true;
                        let pass = match filter {
                            Some(f) => eval(f, ctx)? == Datum::Bool(true),
                            None => true,
                        };
                        if pass {
                            for e in exprs.iter() {
                                row.push(eval(e, ctx)?);
                            }
                        }
                        pass
                    }
                }
                Executor::Scan(scan) => {
                    let Statement::Select { exprs, filter, .. } = &scan.plan.statement else {
                        return Err(crate::error::Error::internal("scan over a non-SELECT"));
                    };
                    let mut found = false;
                    loop {
                        let Some(tuple) = scan.rows.pop_front() else {
                            if scan.next_block >= scan.nblocks {
                                break;
                            }
                            if blocks_read >= YIELD_AFTER_BLOCKS {
                                // Give other sessions their turn; the scan resumes here.
                                return Ok(Progress::SinkFull);
                            }
                            blocks_read += 1;
                            let who = crate::catalog::Reader { snapshot: &scan.snapshot, xid: scan.xid, cid: scan.cid };
                            let mut block_rows = Vec::new();
                            scan.catalog.scan_block(&scan.table, scan.next_block, &who, &mut block_rows)?;
                            scan.rows.extend(block_rows);
                            scan.next_block += 1;
                            ctx.check_interrupts()?;
                            continue;
                        };
                        let mut rc = RowContext { inner: &mut *ctx, row: &tuple };
                        let pass = match filter {
                            Some(f) => eval(f, &mut rc)? == Datum::Bool(true),
                            None => true,
                        };
                        if pass {
                            for e in exprs.iter() {
                                row.push(eval(e, &mut rc)?);
                            }
                            found = true;
                            break;
                        }
                    }
                    found
                }
                Executor::Values { rows } => match rows.next() {
                    Some(r) => {
                        row.extend(r);
                        true
                    }
                    None => false,
                },
            };
            if !have {
                return Ok(Progress::Done);
            }
            *produced += 1;
            this_call += 1;
            if sink.push_row(&row)? {
                return Ok(Progress::SinkFull);
            }
        }
    }
}
