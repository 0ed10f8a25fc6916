//! The `ProjectSet` operator: set-returning calls of the select list.
//!
//! For each input batch it evaluates every call's arguments over the whole
//! batch, then expands the rows one after another: each call is started
//! for the row ([`SrfRows::start`]) and the calls give values in
//! lock-step, up to a batch's worth per step, the ones that have run out
//! padded with NULL. An output batch is the input rows it expands (taken
//! by index) followed by one column per call; it is handed on when full,
//! so a call giving many rows (`generate_series(1, 100000000)`) streams a
//! batch at a time and a LIMIT above stops it early.

use arrow_array::{ArrayRef, UInt32Array};

use super::{ExecCx, Node, RowCx, Step, eval_batch};
use crate::error::Result;
use crate::sql::batch::{BATCH_ROWS, Batch, ColumnBuilder, datum_at};
use crate::sql::srf::{SrfCall, SrfRows};

pub(super) struct ProjectSetState {
    input: Node,
    srfs: Vec<SrfCall>,
    /// The input batch being expanded, with each call's arguments over it.
    current: Option<Current>,
    /// Per call, what it still gives for the row being expanded.
    runs: Vec<SrfRows>,
    /// Room for one call's argument values (kept to spare an allocation a row).
    values: Vec<crate::sql::types::Datum>,
    /// Number the rows of each input row (`WITH ORDINALITY`).
    ordinality: bool,
    /// The rows given so far for the row being expanded.
    given: i64,
}

struct Current {
    batch: Batch,
    /// Per call, its arguments evaluated over the batch.
    args: Vec<Vec<ArrayRef>>,
    /// The row being expanded.
    row: usize,
    /// Whether the calls have been started for that row.
    started: bool,
}

impl ProjectSetState {
    pub(super) fn new(input: Node, srfs: Vec<SrfCall>, ordinality: bool) -> ProjectSetState {
        let runs = srfs.iter().map(|_| SrfRows::Done).collect();
        ProjectSetState { input, srfs, current: None, runs, values: Vec::new(), ordinality, given: 0 }
    }

    pub(super) fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        loop {
            let mut current = match self.current.take() {
                Some(c) => c,
                None => match self.input.next(cx)? {
                    Step::Batch(batch) => {
                        let mut args = Vec::with_capacity(self.srfs.len());
                        for call in &self.srfs {
                            let mut values = Vec::with_capacity(call.args.len());
                            for a in &call.args {
                                values.push(eval_batch(a, &batch, cx)?);
                            }
                            args.push(values);
                        }
                        Current { batch, args, row: 0, started: false }
                    }
                    other => return Ok(other),
                },
            };
            cx.eval.check_interrupts()?;
            // A batch of expanded rows counts as a block read: a long
            // expansion hands the thread to other sessions now and then.
            if cx.yield_due() {
                self.current = Some(current);
                return Ok(Step::Yield);
            }
            cx.blocks_read += 1;
            let out = self.expand(&mut current, cx)?;
            if current.row < current.batch.rows {
                self.current = Some(current);
            }
            if let Some(out) = out {
                return Ok(Step::Batch(out));
            }
        }
    }

    /// Expand rows of the current batch until a batch of output is full or
    /// the input batch is done; the output, if any rows.
    fn expand(&mut self, current: &mut Current, cx: &mut ExecCx<'_>) -> Result<Option<Batch>> {
        let mut builders: Vec<ColumnBuilder> = self.srfs.iter().map(|c| ColumnBuilder::new(c.ty, BATCH_ROWS)).collect();
        let mut indices: Vec<u32> = Vec::new();
        let mut counts = vec![0usize; self.srfs.len()];
        let mut ordinals: Vec<i64> = Vec::new();
        while indices.len() < BATCH_ROWS && current.row < current.batch.rows {
            let row = current.row;
            if !current.started {
                for ((call, args), run) in self.srfs.iter().zip(&current.args).zip(&mut self.runs) {
                    self.values.clear();
                    self.values.extend(args.iter().zip(&call.args).map(|(a, e)| datum_at(a, e.ty(), row)));
                    *run = SrfRows::start(call, &mut self.values)?;
                }
                current.started = true;
                self.given = 0;
            }
            let room = BATCH_ROWS - indices.len();
            for (((run, call), out), n) in self.runs.iter_mut().zip(&self.srfs).zip(&mut builders).zip(&mut counts) {
                *n = run.fill(out, room, call.ty, &mut RowCx { cx: &mut *cx, row: &[] })?;
            }
            let n = counts.iter().copied().max().unwrap_or(0);
            if n == 0 {
                // Every call has run out: on to the next row.
                current.started = false;
                current.row += 1;
                continue;
            }
            for (out, &had) in builders.iter_mut().zip(&counts) {
                for _ in had..n {
                    out.push_null();
                }
            }
            indices.extend(std::iter::repeat_n(row as u32, n));
            if self.ordinality {
                ordinals.extend((1..=n as i64).map(|i| self.given + i));
                self.given += n as i64;
            }
        }
        if indices.is_empty() {
            return Ok(None);
        }
        let mut out = current.batch.take(&UInt32Array::from(indices))?;
        out.columns.extend(builders.iter_mut().map(ColumnBuilder::finish));
        if self.ordinality {
            out.columns.push(std::sync::Arc::new(arrow_array::Int64Array::from(ordinals)));
        }
        Ok(Some(out))
    }
}
