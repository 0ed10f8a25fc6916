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

/// Why a chunk of execution stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Every row has been produced.
    Done,
    /// The sink is full; call again after draining it.
    SinkFull,
    /// The row limit of this Execute was reached (PortalSuspended).
    Suspended,
}

/// The state of a running query.
#[derive(Debug)]
pub enum Executor {
    /// One computed row (SELECT without FROM); the plan is shared with the prepared statement.
    Result { plan: Arc<Bound>, done: bool },
    /// Precomputed rows (SHOW).
    Values { rows: std::vec::IntoIter<Vec<Datum>> },
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
