//! Merge join: both inputs arrive sorted by the join keys (ascending,
//! NULLs last, in the order the Sort operator gives), and are walked side
//! by side, as PostgreSQL's `nodeMergejoin.c` does.
//!
//! ```text
//!  left (outer)   1 2 2 3 5          right (inner)  2 2 3 4
//!                   └─┴─────── run of 2 ───────────┴─┘
//! ```
//!
//! The right side is read one *run* at a time: its rows with equal keys,
//! kept (as slices of the batches they came in) while left rows with
//! that key join them. A left row below the run's key matches nothing;
//! a run below the left row's key is done, its rows that matched nothing
//! go out NULL-extended (RIGHT, FULL). Neither input is read ahead of the
//! other by more than a batch and a run. A key holding a NULL matches
//! nothing, but its row stays in the order and in outer joins.
//!
//! Output rows are first collected as *entries* that name their source
//! rows; every `BATCH_ROWS` entries the join filter (`Join Filter`, the
//! conditions other than the merge keys) is evaluated over all the
//! candidate pairs at once, and the entries' columns are gathered into a
//! batch (`interleave`). An outer row's NULL-extended entry waits, in
//! its place in the order, for the filter's verdict on its pairs.

use std::cmp::Ordering;
use std::collections::HashSet;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};

use super::{ExecCx, Node, Slots, Step, eval_batch, idle_run, sort_cmp};
use crate::error::{Error, Result};
use crate::sql::batch::{BATCH_ROWS, Batch, arrow_error, datum_at, repeat};
use crate::sql::expr::Expr;
use crate::sql::plan::{JoinKind, Plan};
use crate::sql::types::{Datum, PgType};

/// A merge join's state between calls.
pub(in crate::sql) struct MergeJoinState {
    kind: JoinKind,
    on: Option<Expr>,
    left: Cursor,
    right: Cursor,
    /// The right side's current run; `None` before the first and once
    /// the right side is exhausted.
    run: Option<Run>,
    /// Whether `run` holds every row of its key.
    run_complete: bool,
    out: Entries,
    /// Left rows (by serial number) a pair of which passed the filter,
    /// until their NULL-extended, semi or anti entry is decided.
    left_passed: HashSet<u64>,
    /// The same for right rows.
    right_passed: HashSet<u64>,
    /// Merge steps since the last check for cancellation (a long
    /// stretch of rows matching nothing still lets other sessions run).
    steps: usize,
}

/// One input, read a batch at a time, with its key values computed.
struct Cursor {
    node: Node,
    keys: Vec<usize>,
    types: Vec<PgType>,
    /// The batch holding the current row, its key values (one vector
    /// per key column) and its number in this input's batches.
    batch: Option<(Batch, Vec<Vec<Datum>>, usize)>,
    row: usize,
    /// Batches read so far; rows before the current one.
    batches_read: usize,
    rows_before: u64,
    done: bool,
}

/// A run of right rows with equal keys.
struct Run {
    key: Vec<Datum>,
    /// Whether the key holds a NULL (the run matches nothing).
    null: bool,
    /// Slices of batches: batch number, batch, first row, end row.
    parts: Vec<(usize, Batch, usize, usize)>,
    /// Serial number of the run's first row.
    first: u64,
    /// Whether some left row joined it without a filter to pass.
    matched: bool,
}

/// What decides whether an entry becomes an output row.
#[derive(Clone, Copy)]
enum Test {
    /// Always output.
    Always,
    /// A pair of rows: output if the join filter passes.
    Pair { left: u64, right: u64 },
    /// A pair tested for a semi or anti join: never output itself.
    Probe { left: u64 },
    /// Output if no pair of left row `.0` passed.
    LeftUnmatched(u64),
    /// Output if some pair of left row `.0` passed.
    LeftMatched(u64),
    /// Output if no pair of right row `.0` passed.
    RightUnmatched(u64),
}

/// Output rows being collected: per side, the batches they come from
/// (the first, a row of NULLs) and per entry its row in each.
struct Entries {
    sources: [Vec<(usize, Batch)>; 2],
    rows: [Vec<(usize, usize)>; 2],
    tests: Vec<Test>,
}

const LEFT: usize = 0;
const RIGHT: usize = 1;
/// The row of NULLs every side's sources begin with.
const NULL_ROW: (usize, usize) = (0, 0);

impl MergeJoinState {
    /// The operator of the merge join `plan` (a `Plan::Join` with
    /// `merge`) and of its inputs. Kept out of `Node::build_in`, whose
    /// stack frame every level of a deep plan repeats.
    #[inline(never)]
    pub(super) fn build(plan: &Plan, slots: &mut Option<Slots>) -> Result<Node> {
        let Plan::Join { left, right, kind, equi, on, .. } = plan else {
            return Err(Error::internal("merge join operator for another plan"));
        };
        let keys = equi
            .iter()
            .map(|pair| match pair {
                (Expr::Column(l, _), Expr::Column(r, _)) => Ok((*l, *r)),
                _ => Err(Error::internal("merge join key is not a column")),
            })
            .collect::<Result<_>>()?;
        let inputs = (Node::build_in(left, slots)?, Node::build_in(right, slots)?);
        let state = MergeJoinState::new(*kind, inputs, keys, (left.types(), right.types()), on.clone())?;
        Ok(Node::MergeJoin(Box::new(state)))
    }

    fn new(
        kind: JoinKind,
        (left, right): (Node, Node),
        keys: Vec<(usize, usize)>,
        types: (Vec<PgType>, Vec<PgType>),
        on: Option<Expr>,
    ) -> Result<MergeJoinState> {
        let null_row = |types: &[PgType]| -> Result<Batch> {
            let cols = types.iter().map(|t| repeat(&Datum::Null, *t, 1)).collect::<Result<_>>()?;
            Ok(Batch::new(cols, 1))
        };
        let out = Entries {
            sources: [vec![(usize::MAX, null_row(&types.0)?)], vec![(usize::MAX, null_row(&types.1)?)]],
            rows: [Vec::new(), Vec::new()],
            tests: Vec::new(),
        };
        Ok(MergeJoinState {
            kind,
            on,
            left: Cursor::new(left, keys.iter().map(|k| k.0).collect(), types.0),
            right: Cursor::new(right, keys.iter().map(|k| k.1).collect(), types.1),
            run: None,
            run_complete: false,
            out,
            left_passed: HashSet::new(),
            right_passed: HashSet::new(),
            steps: 0,
        })
    }

    pub(super) fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        loop {
            if self.out.tests.len() >= BATCH_ROWS {
                cx.eval.check_interrupts()?;
                if let Some(b) = self.flush(cx)? {
                    return Ok(Step::Batch(b));
                }
            }
            if !self.run_complete && !self.read_run(cx)? {
                return Ok(Step::Yield);
            }
            if !self.left.fill(cx)? {
                return Ok(Step::Yield);
            }
            self.steps += 1;
            if self.steps >= BATCH_ROWS {
                self.steps = 0;
                cx.eval.check_interrupts()?;
                if idle_run(cx) {
                    return Ok(Step::Yield);
                }
            }
            // Once one side is exhausted, the other's rows matter only
            // if the join keeps them unmatched.
            let order = match (&self.run, self.left.done) {
                (None, true) => None,
                (Some(_), true) => matches!(self.kind, JoinKind::Right | JoinKind::Full).then_some(Ordering::Greater),
                (None, false) => {
                    matches!(self.kind, JoinKind::Left | JoinKind::Full | JoinKind::Anti).then_some(Ordering::Less)
                }
                (Some(run), false) => Some(self.left.compare_key(run)),
            };
            match order {
                Some(Ordering::Less) => self.left_alone(),
                Some(Ordering::Greater) => self.run_done(),
                Some(Ordering::Equal) => self.join_left_row(),
                None if self.out.tests.is_empty() => return Ok(Step::Done),
                None => {
                    if let Some(b) = self.flush(cx)? {
                        return Ok(Step::Batch(b));
                    }
                }
            }
        }
    }

    /// The current left row has no run of its key: out NULL-extended
    /// (LEFT, FULL) or as an anti join's row.
    fn left_alone(&mut self) {
        if matches!(self.kind, JoinKind::Left | JoinKind::Full | JoinKind::Anti) {
            let l = self.out.source(LEFT, &self.left);
            self.out.push(l, NULL_ROW, Test::Always);
        }
        self.left.advance();
    }

    /// The current left row's key equals the run's: its pairs with the
    /// run's rows, and what the join kind makes of them.
    fn join_left_row(&mut self) {
        let Some(run) = self.run.as_mut() else { return };
        let lid = self.left.serial();
        let l = self.out.source(LEFT, &self.left);
        let filtered = self.on.is_some();
        match self.kind {
            JoinKind::Semi | JoinKind::Anti if !filtered => {
                if self.kind == JoinKind::Semi {
                    self.out.push(l, NULL_ROW, Test::Always);
                }
            }
            JoinKind::Semi | JoinKind::Anti => {
                self.out.pairs(l, run, |_| Test::Probe { left: lid });
                let test = if self.kind == JoinKind::Semi { Test::LeftMatched(lid) } else { Test::LeftUnmatched(lid) };
                self.out.push(l, NULL_ROW, test);
            }
            _ if !filtered => {
                run.matched = true;
                self.out.pairs(l, run, |_| Test::Always);
            }
            _ => {
                self.out.pairs(l, run, |right| Test::Pair { left: lid, right });
                if matches!(self.kind, JoinKind::Left | JoinKind::Full) {
                    self.out.push(l, NULL_ROW, Test::LeftUnmatched(lid));
                }
            }
        }
        self.left.advance();
    }

    /// The run's key is below every left row still to come: its rows
    /// that matched nothing go out NULL-extended (RIGHT, FULL), and the
    /// next run is read.
    fn run_done(&mut self) {
        if let Some(run) = self.run.take()
            && matches!(self.kind, JoinKind::Right | JoinKind::Full)
            && !run.matched
        {
            let filtered = self.on.is_some() && !run.null;
            self.out.pairs(NULL_ROW, &run, |right| if filtered { Test::RightUnmatched(right) } else { Test::Always });
        }
        self.run_complete = false;
    }

    /// Read the right side's next run (or the rest of it); `false` when
    /// the input yielded first. At the end of the input there is none.
    fn read_run(&mut self, cx: &mut ExecCx<'_>) -> Result<bool> {
        loop {
            if !self.right.fill(cx)? {
                return Ok(false);
            }
            let Some((batch, keys, number)) = &self.right.batch else {
                self.run_complete = true;
                return Ok(true);
            };
            let run = match &mut self.run {
                Some(run) => run,
                None => {
                    let key: Vec<Datum> = keys.iter().map(|k| k[self.right.row].clone()).collect();
                    let null = key.iter().any(Datum::is_null);
                    let first = self.right.serial();
                    self.run.insert(Run { key, null, parts: Vec::new(), first, matched: false })
                }
            };
            let start = self.right.row;
            let mut end = start;
            // A NULL key's run is its one row: it matches nothing anyway.
            let bound = if run.null { (start + 1).min(batch.rows) } else { batch.rows };
            while end < bound && (end == start && run.parts.is_empty() || same_key(keys, end, &run.key)) {
                end += 1;
            }
            if end > start {
                run.parts.push((*number, batch.clone(), start, end));
            }
            let exhausted = end == batch.rows;
            self.right.row = end;
            self.right.rows_before += (end - start) as u64;
            if !exhausted || run.null {
                self.run_complete = true;
                return Ok(true);
            }
            // The run may go on in the next batch.
            self.right.batch = None;
        }
    }

    /// Decide the collected entries and gather their rows into a batch
    /// (`None` if none is output).
    fn flush(&mut self, cx: &mut ExecCx<'_>) -> Result<Option<Batch>> {
        let passed = self.evaluate_filter(cx)?;
        let mut passed = passed.into_iter();
        let mut keep = Vec::with_capacity(self.out.tests.len());
        // Passes are remembered only for rows that wait for them.
        let left_outer = matches!(self.kind, JoinKind::Left | JoinKind::Full);
        let right_outer = matches!(self.kind, JoinKind::Right | JoinKind::Full);
        for test in &self.out.tests {
            let kept = match *test {
                Test::Always => true,
                Test::Pair { left, right } => {
                    let pass = passed.next().unwrap_or(false);
                    if pass && left_outer {
                        self.left_passed.insert(left);
                    }
                    if pass && right_outer {
                        self.right_passed.insert(right);
                    }
                    pass
                }
                Test::Probe { left } => {
                    if passed.next().unwrap_or(false) {
                        self.left_passed.insert(left);
                    }
                    false
                }
                Test::LeftUnmatched(id) => !self.left_passed.remove(&id),
                Test::LeftMatched(id) => self.left_passed.remove(&id),
                Test::RightUnmatched(id) => !self.right_passed.remove(&id),
            };
            keep.push(kept);
        }
        let sides: &[usize] = if self.kind.emits_right() { &[LEFT, RIGHT] } else { &[LEFT] };
        let batch = self.out.gather(sides, &keep)?;
        self.out.clear();
        Ok((batch.rows > 0).then_some(batch))
    }

    /// Whether each pair entry passes the join filter, in entry order.
    fn evaluate_filter(&mut self, cx: &mut ExecCx<'_>) -> Result<Vec<bool>> {
        let Some(on) = &self.on else { return Ok(Vec::new()) };
        let pairs: Vec<bool> =
            self.out.tests.iter().map(|t| matches!(t, Test::Pair { .. } | Test::Probe { .. })).collect();
        if !pairs.contains(&true) {
            return Ok(Vec::new());
        }
        let joined = self.out.gather(&[LEFT, RIGHT], &pairs)?;
        let m = eval_batch(on, &joined, cx)?;
        let m = m.as_boolean();
        Ok((0..joined.rows).map(|i| m.is_valid(i) && m.value(i)).collect())
    }
}

/// Whether row `row`'s keys (`keys`, one vector per key column) equal `key`.
fn same_key(keys: &[Vec<Datum>], row: usize, key: &[Datum]) -> bool {
    compare_keys(keys, row, key) == Ordering::Equal && !key.iter().any(Datum::is_null)
}

/// Row `row`'s keys against `key`, as the sort ordered them (ascending,
/// NULLs last).
fn compare_keys(keys: &[Vec<Datum>], row: usize, key: &[Datum]) -> Ordering {
    for (column, k) in keys.iter().zip(key) {
        let o = sort_cmp(&column[row], k, false, false);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl Cursor {
    fn new(node: Node, keys: Vec<usize>, types: Vec<PgType>) -> Cursor {
        Cursor { node, keys, types, batch: None, row: 0, batches_read: 0, rows_before: 0, done: false }
    }

    /// Make the current row one of a batch, reading the next batch if
    /// needed; `false` when the input yielded first. At the end of the
    /// input `batch` is `None` and `done` set.
    fn fill(&mut self, cx: &mut ExecCx<'_>) -> Result<bool> {
        while !self.done && self.batch.as_ref().is_none_or(|(b, ..)| self.row >= b.rows) {
            self.batch = None;
            match self.node.next(cx)? {
                Step::Batch(b) => {
                    let keys = self
                        .keys
                        .iter()
                        .map(|&k| (0..b.rows).map(|i| datum_at(&b.columns[k], self.types[k], i)).collect())
                        .collect();
                    self.batch = Some((b, keys, self.batches_read));
                    self.batches_read += 1;
                    self.row = 0;
                }
                Step::Yield => return Ok(false),
                Step::Done => self.done = true,
            }
        }
        Ok(true)
    }

    /// The current row's serial number in its input.
    fn serial(&self) -> u64 {
        self.rows_before
    }

    fn advance(&mut self) {
        self.row += 1;
        self.rows_before += 1;
    }

    /// The current row's key against the run's; a key holding a NULL
    /// equals nothing (it sorts as its NULLs say, and before an equal
    /// run so that the left row goes first).
    fn compare_key(&self, run: &Run) -> Ordering {
        let Some((_, keys, _)) = &self.batch else { return Ordering::Greater };
        match compare_keys(keys, self.row, &run.key) {
            Ordering::Equal if run.null || keys.iter().any(|k| k[self.row].is_null()) => Ordering::Less,
            o => o,
        }
    }
}

impl Entries {
    /// Where the current row of `cursor` is among side `side`'s sources
    /// (source, row).
    fn source(&mut self, side: usize, cursor: &Cursor) -> (usize, usize) {
        let Some((batch, _, number)) = &cursor.batch else { return NULL_ROW };
        (self.source_of(side, *number, batch), cursor.row)
    }

    /// The index of batch `number` of side `side` among the sources,
    /// added if new.
    fn source_of(&mut self, side: usize, number: usize, batch: &Batch) -> usize {
        let sources = &mut self.sources[side];
        if let Some(i) = sources.iter().rposition(|(n, _)| *n == number) {
            return i;
        }
        sources.push((number, batch.clone()));
        sources.len() - 1
    }

    /// Add an entry of the rows `l` and `r` (as `source` gives them).
    fn push(&mut self, l: (usize, usize), r: (usize, usize), test: Test) {
        self.rows[LEFT].push(l);
        self.rows[RIGHT].push(r);
        self.tests.push(test);
    }

    /// Add an entry of `l` with each row of `run`, `test` made from the
    /// right row's serial number.
    fn pairs(&mut self, l: (usize, usize), run: &Run, test: impl Fn(u64) -> Test) {
        let mut serial = run.first;
        for (number, batch, from, to) in &run.parts {
            let source = self.source_of(RIGHT, *number, batch);
            for row in *from..*to {
                self.rows[LEFT].push(l);
                self.rows[RIGHT].push((source, row));
                self.tests.push(test(serial));
                serial += 1;
            }
        }
    }

    /// The columns of sides `sides` of the entries `keep` selects, as a
    /// batch.
    fn gather(&self, sides: &[usize], keep: &[bool]) -> Result<Batch> {
        let mut columns = Vec::new();
        let mut rows = 0;
        for &side in sides {
            let indices: Vec<(usize, usize)> =
                self.rows[side].iter().zip(keep).filter(|(_, k)| **k).map(|(r, _)| *r).collect();
            rows = indices.len();
            let width = self.sources[side][0].1.columns.len();
            for c in 0..width {
                let arrays: Vec<&dyn Array> = self.sources[side].iter().map(|(_, b)| b.columns[c].as_ref()).collect();
                let column: ArrayRef = arrow_select::interleave::interleave(&arrays, &indices).map_err(arrow_error)?;
                columns.push(column);
            }
        }
        Ok(Batch::new(columns, rows))
    }

    /// Forget the entries; keep as sources only the NULL rows.
    fn clear(&mut self) {
        for side in [LEFT, RIGHT] {
            self.sources[side].truncate(1);
            self.rows[side].clear();
        }
        self.tests.clear();
    }
}
