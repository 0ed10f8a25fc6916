//! The executor: runs a plan as a tree of operators that pull batches of
//! Arrow arrays from their inputs, and hands result rows to a sink a chunk
//! at a time. A chunk ends when the sink asks to be drained (its buffer is
//! full), when the portal's row limit is reached, when a scan has read its
//! share of blocks (so a long query never keeps an async worker from other
//! sessions), or when the rows run out; the caller then flushes to the client
//! and resumes, which keeps a result's memory bounded however many rows it
//! has.
//!
//! Operators are resumable state machines: `next` returns a batch, or
//! `Yield` when it must hand control back before it has one (its state is
//! kept and the next call continues), or `Done`.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Int16Type, Int32Type, Int64Type, Time64MicrosecondType, TimestampMicrosecondType,
};
use arrow_array::{Array, ArrayRef, BooleanArray, Int64Array, UInt32Array};

use super::batch::{BATCH_ROWS, Batch, ColumnBuilder, datum_at, from_rows, repeat};
pub use super::explain::NodeStats;
use super::expr::{ArithOp, CmpOp, EvalContext, Expr, compare, eval};
use super::plan::{AggCall, AggFunc, JoinKind, Plan, SetOpKind, SortKey, SubKind, SubPlan};
use super::types::{Datum, PgType};
use crate::catalog::{Catalog, Index, NewestVersion, Reader, RowChange, Table};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::storage::heap::Tid;
use crate::txn::Snapshot;
pub use row_headers::{RowHeaders, system_values};

pub mod deferred;
mod fast_agg;
pub mod foreign_key;
mod index_scan;
mod merge_join;
mod on_conflict;
mod ordered_set;
mod project_set;
mod row_headers;
mod window;

pub use on_conflict::{ConflictAction, OnConflict};

/// Where result rows go.
pub trait RowSink {
    /// Take one row; return `true` when the sink wants to be drained before more rows.
    fn push_row(&mut self, row: &[Datum]) -> Result<bool>;
}

/// A scan reads at most this many blocks before handing control back.
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

/// What one step of an operator produced.
enum Step {
    Batch(Batch),
    Yield,
    Done,
}

/// The statement-wide state operators share.
pub struct ExecCx<'a> {
    pub eval: &'a mut dyn EvalContext,
    pub catalog: &'a Catalog,
    pub snapshot: &'a Snapshot,
    pub xid: u64,
    pub cid: u32,
    state: &'a mut SharedState,
    blocks_read: u32,
    /// False while running a subquery, which always runs to completion.
    may_yield: bool,
}

impl ExecCx<'_> {
    /// Whether the statement has done its share of work for this step and
    /// should hand the thread to other sessions (`Step::Yield`).
    fn yield_due(&self) -> bool {
        self.may_yield && self.blocks_read >= YIELD_AFTER_BLOCKS
    }
}

/// State that lives as long as the statement: outer-row slots of correlated
/// subqueries and the results of uncorrelated ones.
#[derive(Default)]
pub struct SharedState {
    outer: Vec<Datum>,
    cache: HashMap<usize, Cached>,
    /// Materialized CTEs by id: their rows so far and what produces the rest.
    ctes: HashMap<usize, CteStore>,
    /// Work tables of recursive unions by id: the previous round's rows.
    work_tables: HashMap<usize, Vec<Batch>>,
    /// Data-modifying CTEs still to run, by id.
    write_setups: HashMap<usize, CteWriteSetup>,
    /// What the data-modifying CTEs changed: table, kind, rows.
    written: Vec<(Arc<Table>, ModifyKind, u64)>,
    /// HOT updates made by the statement (its CTEs' too), by table.
    hot_updates: Vec<(Arc<Table>, u64)>,
}

impl std::fmt::Debug for SharedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedState").field("outer", &self.outer).field("cache", &self.cache).finish_non_exhaustive()
    }
}

/// The rows of a materialized CTE, produced as far as its readers have
/// asked and kept (in memory) for every reader.
struct CteStore {
    /// `None` while a reader is pulling from it, or once it is done.
    producer: Option<Node>,
    batches: Vec<Batch>,
    done: bool,
    /// Rows are kept for other readers (or for reading again).
    keep: bool,
}

#[derive(Debug)]
enum Cached {
    Value(Datum),
    Column(Vec<Datum>),
    /// The single row of a multiple-column UPDATE item's subquery.
    Row(Vec<Datum>),
}

impl ExecCx<'_> {
    fn reader(&self) -> Reader<'_> {
        Reader { path: None, snapshot: self.snapshot, xid: self.xid, cid: self.cid }
    }
}

/// Evaluation over one row of a batch, for expressions without a vector kernel.
struct RowCx<'a, 'b> {
    cx: &'a mut ExecCx<'b>,
    row: &'a [Datum],
}

impl EvalContext for RowCx<'_, '_> {
    fn param(&self, index: usize) -> &Datum {
        self.cx.eval.param(index)
    }
    fn column(&self, index: usize) -> &Datum {
        self.row.get(index).unwrap_or(&Datum::Null)
    }
    fn current_setting(&self, name: &str, missing_ok: bool) -> Result<Option<String>> {
        self.cx.eval.current_setting(name, missing_ok)
    }
    fn set_config(&mut self, name: &str, value: &str, is_local: bool) -> Result<String> {
        self.cx.eval.set_config(name, value, is_local)
    }
    fn check_interrupts(&self) -> Result<()> {
        self.cx.eval.check_interrupts()
    }
    fn backend_pid(&self) -> i32 {
        self.cx.eval.backend_pid()
    }
    fn extra_float_digits(&self) -> i32 {
        self.cx.eval.extra_float_digits()
    }
    fn time_zone(&self) -> super::datetime::TimeZone {
        self.cx.eval.time_zone()
    }
    fn bytea_output(&self) -> super::types::ByteaOutput {
        self.cx.eval.bytea_output()
    }
    fn transaction_timestamp(&self) -> i64 {
        self.cx.eval.transaction_timestamp()
    }
    fn statement_timestamp(&self) -> i64 {
        self.cx.eval.statement_timestamp()
    }
    fn pending_checks(&self) -> Option<deferred::SharedPending> {
        self.cx.eval.pending_checks()
    }
    fn outer(&self, slot: usize) -> Datum {
        self.cx.state.outer.get(slot).cloned().unwrap_or(Datum::Null)
    }
    fn advisory(&mut self, op: super::func::AdvisoryOp, shared: bool, key: Option<(u64, bool)>) -> Result<Datum> {
        self.cx.eval.advisory(op, shared, key)
    }
    fn subquery(&mut self, sub: &SubPlan) -> Result<Datum> {
        let mut values = Vec::with_capacity(sub.bindings.len());
        for (_, e) in &sub.bindings {
            values.push(eval(e, self)?);
        }
        let lhs = match &sub.kind {
            SubKind::Quantified { lhs, .. } => Some(eval(lhs, self)?),
            _ => None,
        };
        run_subquery(self.cx, sub, values, lhs)
    }
    fn user_type_info(&self, oid: u32) -> Result<Option<crate::catalog::enums::TypeInfo>> {
        self.cx.eval.user_type_info(oid)
    }
    fn enum_labels(&self, oid: u32) -> Result<super::enums::EnumLabels> {
        self.cx.catalog.enum_labels(oid, &self.cx.reader())
    }
    fn row_type(&self, oid: u32) -> Result<Arc<super::record::RowType>> {
        self.cx
            .catalog
            .row_type(oid, &self.cx.reader())?
            .ok_or_else(|| err!(SqlState::UNDEFINED_OBJECT, "type with OID {oid} does not exist"))
    }
    fn relation_oid(&self, name: &str) -> Result<Option<u32>> {
        // Through the session: an unqualified name follows its search path.
        self.cx.eval.relation_oid(name)
    }
    fn privilege(
        &self,
        role: u32,
        object: crate::catalog::privileges::PrivObject,
        any: &[char],
        grant_option: bool,
    ) -> Result<Option<bool>> {
        self.cx.eval.privilege(role, object, any, grant_option)
    }
    fn object_oid(&self, on: crate::sql::func::PrivilegeOn, name: &str) -> Result<Option<u32>> {
        self.cx.eval.object_oid(on, name)
    }
    fn search_path(&self, implicit: bool) -> Result<Vec<(u32, String)>> {
        self.cx.eval.search_path(implicit)
    }
    fn regclass_text(&self, oid: u32) -> Result<Option<String>> {
        self.cx.eval.regclass_text(oid)
    }
    fn reg_in(&self, kind: super::regtypes::RegKind, text: &str) -> Result<crate::catalog::regtypes::RegLookup> {
        self.cx.eval.reg_in(kind, text)
    }
    fn reg_out(&self, kind: super::regtypes::RegKind, oid: u32) -> Result<String> {
        self.cx.eval.reg_out(kind, oid)
    }
    fn relation_name(&self, oid: u32) -> Result<Option<String>> {
        Ok(self.cx.catalog.relation_by_oid(oid, &self.cx.reader())?.map(|(name, _)| name))
    }
    fn namespace_name(&self, oid: u32) -> Result<Option<String>> {
        self.cx.catalog.namespace_name(oid, &self.cx.reader())
    }
    fn relation_namespace(&self, oid: u32) -> Result<Option<u32>> {
        Ok(self.cx.catalog.relation_by_oid(oid, &self.cx.reader())?.map(|(_, rel)| rel.namespace))
    }
    fn index_definition(
        &self,
        oid: u32,
        column: usize,
        qualify: &dyn Fn(u32) -> crate::catalog::describe::Qualify,
        pretty: bool,
    ) -> Result<Option<String>> {
        self.cx.catalog.index_definition(oid, column, qualify, pretty, &self.cx.reader())
    }
    fn relation_size(&self, oid: u32, what: crate::catalog::SizeOf) -> Result<Option<i64>> {
        self.cx.catalog.relation_size(oid, what, &self.cx.reader())
    }
    fn wal_positions(&self) -> Option<&dyn super::lsn::WalPositions> {
        Some(self.cx.catalog.wal())
    }
    fn top_xid(&mut self, assign: bool) -> Result<Option<u64>> {
        self.cx.eval.top_xid(assign)
    }
    fn transaction_manager(&self) -> Option<(&crate::txn::TransactionManager, u64)> {
        Some((self.cx.catalog.txns(), self.cx.xid))
    }
    fn reading_snapshot(&self) -> Option<crate::txn::Snapshot> {
        Some(self.cx.snapshot.clone())
    }
    fn session_user(&self) -> Result<&str> {
        self.cx.eval.session_user()
    }
    fn authorization_user(&self) -> Result<&str> {
        self.cx.eval.authorization_user()
    }
    fn role_name(&self, oid: u32) -> Result<Option<String>> {
        self.cx.eval.role_name(oid)
    }
    fn role_oid(&self, name: &str) -> Result<Option<u32>> {
        self.cx.eval.role_oid(name)
    }
    fn role_member_of(&self, oid: u32) -> Result<Vec<u32>> {
        self.cx.eval.role_member_of(oid)
    }
    fn role_is_superuser(&self, oid: u32) -> Result<Option<bool>> {
        self.cx.eval.role_is_superuser(oid)
    }
    fn current_database(&self) -> Result<&str> {
        self.cx.eval.current_database()
    }
    fn blocking_pids(&self, pid: i32, safe_snapshot: bool) -> Result<Vec<i32>> {
        self.cx.eval.blocking_pids(pid, safe_snapshot)
    }
    fn view_definition(&self, oid: u32) -> Result<Option<String>> {
        self.cx.catalog.view_definition(oid, &self.cx.reader())
    }
    fn rule_definition(&self, oid: u32) -> Result<Option<String>> {
        self.cx.catalog.rule_definition(oid, &self.cx.reader())
    }
    fn stat_counter(&self, oid: u32, counter: super::func::StatCounter) -> Result<Datum> {
        Ok(stat_counter(&self.cx.catalog.stats, oid, counter))
    }
    fn bgwriter_stat(&self, stat: super::func::BgwriterStat) -> Result<Datum> {
        Ok(bgwriter_stat(self.cx.catalog, stat))
    }
    fn set_returning(&mut self, func: super::plan::SetFunc) -> Result<Vec<Vec<Datum>>> {
        self.cx.eval.set_returning(func)
    }
    fn sequence(&mut self, func: super::func::SeqFunc, args: &[Datum]) -> Result<Datum> {
        self.cx.eval.sequence(func, args)
    }
    fn signal_backend(&mut self, pid: i32, terminate: bool, timeout_ms: i64) -> Result<bool> {
        self.cx.eval.signal_backend(pid, terminate, timeout_ms)
    }
    fn description(&self, target: crate::catalog::comment::CommentTarget) -> Result<Option<String>> {
        self.cx.catalog.description(target, &self.cx.reader())
    }
    fn shared_description(&self, objoid: u32, classoid: u32) -> Result<Option<String>> {
        self.cx.catalog.shared_description(objoid, classoid, &self.cx.reader())
    }
    fn constraint_definition(&self, oid: u32, pretty: bool, path: &[u32]) -> Result<Option<String>> {
        self.cx.catalog.constraint_definition(oid, pretty, path, &self.cx.reader())
    }
    fn database_size(&self) -> Result<i64> {
        self.cx.catalog.database_size(&self.cx.reader())
    }
    fn database_size_of(&self, database: &Datum) -> Result<Option<i64>> {
        self.cx.catalog.database_size_of(database, &self.cx.reader())
    }
    fn relation_is_publishable(&self, oid: u32) -> Result<Option<bool>> {
        let rel = self.cx.catalog.relation_by_oid(oid, &self.cx.reader())?;
        Ok(rel.map(|(_, r)| {
            r.kind == crate::catalog::RelKind::Table && !r.unlogged && r.oid >= crate::catalog::FIRST_NORMAL_OID
        }))
    }
    fn postmaster_start_time(&self) -> i64 {
        self.cx.catalog.started_at
    }
    fn serial_sequence(&self, table: &str, column: &str) -> Result<Option<String>> {
        self.cx.eval.serial_sequence(table, column)
    }
}

/// A `pg_stat_get_*` value: a count (0 for a relation without counters) or
/// a time (NULL if it never happened).
fn stat_counter(stats: &crate::catalog::stats::Stats, oid: u32, counter: super::func::StatCounter) -> Datum {
    use super::func::StatCounter as C;
    use crate::catalog::stats::TableStats;
    use std::sync::atomic::Ordering::Relaxed;
    // `pg_stat_get_tuples_returned`: a table's sequentially read rows, an
    // index's entries returned.
    let (scans, returned, fetched_rows) = stats.scan_counts(oid);
    let table = stats.get(oid);
    let count = |f: fn(&TableStats) -> &std::sync::atomic::AtomicU64| {
        Datum::Int8(table.as_ref().map_or(0, |t| f(t).load(Relaxed) as i64))
    };
    let time = |f: fn(&TableStats) -> &std::sync::atomic::AtomicI64| {
        table.as_ref().and_then(|t| TableStats::time(f(t))).map_or(Datum::Null, Datum::TimestampTz)
    };
    match counter {
        C::NumScans => Datum::Int8(scans as i64),
        C::TuplesReturned => Datum::Int8(returned as i64),
        C::TuplesFetched => Datum::Int8(fetched_rows as i64),
        C::TuplesInserted => count(|t| &t.inserted),
        C::TuplesUpdated => count(|t| &t.updated),
        C::TuplesDeleted => count(|t| &t.deleted),
        C::TuplesHotUpdated => count(|t| &t.hot_updated),
        C::LiveTuples => count(|t| &t.live),
        C::DeadTuples => count(|t| &t.dead),
        C::ModSinceAnalyze => count(|t| &t.changed_since_analyze),
        C::InsSinceVacuum => count(|t| &t.inserted_since_vacuum),
        C::LastVacuumTime => time(|t| &t.last_vacuum),
        C::LastAutovacuumTime => time(|t| &t.last_autovacuum),
        C::LastAnalyzeTime => time(|t| &t.last_analyze),
        C::LastAutoanalyzeTime => time(|t| &t.last_autoanalyze),
        C::VacuumCount => count(|t| &t.vacuums),
        C::AutovacuumCount => count(|t| &t.autovacuums),
        C::AnalyzeCount => count(|t| &t.analyzes),
        C::AutoanalyzeCount => count(|t| &t.autoanalyzes),
    }
}

/// A `pg_stat_bgwriter` counter, read from the storage engine.
fn bgwriter_stat(catalog: &crate::catalog::Catalog, stat: super::func::BgwriterStat) -> Datum {
    use super::func::BgwriterStat as S;
    use std::sync::atomic::Ordering::Relaxed;
    let (checkpoints, buffers) = catalog.storage_stats();
    let count = |c: &std::sync::atomic::AtomicU64| Datum::Int8(c.load(Relaxed) as i64);
    let millis = |c: &std::sync::atomic::AtomicU64| Datum::Float8(c.load(Relaxed) as f64 / 1000.0);
    match stat {
        S::TimedCheckpoints => count(&checkpoints.timed),
        S::RequestedCheckpoints => count(&checkpoints.requested),
        S::CheckpointWriteTime => millis(&checkpoints.write_micros),
        S::CheckpointSyncTime => millis(&checkpoints.sync_micros),
        S::WrittenByCheckpoints => count(&checkpoints.buffers_written),
        S::WrittenByBgwriter => count(&buffers.writes_bgwriter),
        S::MaxwrittenClean => count(&checkpoints.maxwritten_clean),
        S::WrittenByBackends => count(&buffers.writes_backend),
        S::BackendFsyncs => Datum::Int8(0),
        S::Allocated => count(&buffers.reads),
        S::ResetTime => Datum::TimestampTz(catalog.started_at),
    }
}

/// Run a subquery with its outer slots set to `values`.
fn run_subquery(cx: &mut ExecCx<'_>, sub: &SubPlan, values: Vec<Datum>, lhs: Option<Datum>) -> Result<Datum> {
    let cached = if !sub.correlated { cx.state.cache.get(&sub.id) } else { None };
    let result = match cached {
        Some(c) => match c {
            Cached::Value(v) => return Ok(v.clone()),
            Cached::Row(row) => return row_column(&sub.kind, row),
            Cached::Column(values) => {
                let values = values.clone();
                return quantified(&sub.kind, lhs, &values);
            }
        },
        None => with_outer(cx, &sub.bindings, values, |cx| collect_subquery(cx, sub))?,
    };
    let out = match &result {
        Cached::Value(v) => v.clone(),
        Cached::Column(values) => quantified(&sub.kind, lhs, values)?,
        Cached::Row(row) => row_column(&sub.kind, row)?,
    };
    if !sub.correlated {
        cx.state.cache.insert(sub.id, result);
    }
    Ok(out)
}

/// Run `f` to completion (it may not yield) with the outer slots of
/// `bindings` set to `values`, then put the slots back as they were.
fn with_outer<T>(
    cx: &mut ExecCx<'_>,
    bindings: &[(usize, Expr)],
    values: Vec<Datum>,
    f: impl FnOnce(&mut ExecCx<'_>) -> Result<T>,
) -> Result<T> {
    let mut saved = Vec::with_capacity(values.len());
    for ((slot, _), v) in bindings.iter().zip(values) {
        if cx.state.outer.len() <= *slot {
            cx.state.outer.resize(slot + 1, Datum::Null);
        }
        saved.push(std::mem::replace(&mut cx.state.outer[*slot], v));
    }
    let may_yield = std::mem::replace(&mut cx.may_yield, false);
    let result = f(cx);
    cx.may_yield = may_yield;
    for ((slot, _), v) in bindings.iter().zip(saved) {
        cx.state.outer[*slot] = v;
    }
    result
}

/// Column `i` of a subquery's row (`SubKind::Column(i)`).
fn row_column(kind: &SubKind, row: &[Datum]) -> Result<Datum> {
    match kind {
        SubKind::Column(i) => row.get(*i).cloned().ok_or_else(|| Error::internal("subquery row too short")),
        _ => Err(Error::internal("not a row subquery")),
    }
}

fn collect_subquery(cx: &mut ExecCx<'_>, sub: &SubPlan) -> Result<Cached> {
    let mut node = Node::build(&sub.plan)?;
    let mut values = Vec::new();
    let mut row: Option<Vec<Datum>> = None;
    loop {
        match node.next(cx)? {
            Step::Yield => continue,
            Step::Done => break,
            Step::Batch(b) => {
                if b.rows == 0 {
                    continue;
                }
                match sub.kind {
                    SubKind::Exists => return Ok(Cached::Value(Datum::Bool(true))),
                    SubKind::Column(_) => {
                        if b.rows > 1 || row.is_some() {
                            return Err(err!(
                                SqlState::CARDINALITY_VIOLATION,
                                "more than one row returned by a subquery used as an expression"
                            ));
                        }
                        let types = sub.plan.types();
                        row = Some(b.columns.iter().zip(types).map(|(c, t)| datum_at(c, t, 0)).collect());
                    }
                    SubKind::Scalar => {
                        if b.rows > 1 || !values.is_empty() {
                            return Err(err!(
                                SqlState::CARDINALITY_VIOLATION,
                                "more than one row returned by a subquery used as an expression"
                            ));
                        }
                        values.push(datum_at(&b.columns[0], sub.ty, 0));
                    }
                    SubKind::Quantified { .. } | SubKind::Array => {
                        for i in 0..b.rows {
                            values.push(datum_at(&b.columns[0], sub.ty, i));
                        }
                    }
                }
            }
        }
    }
    Ok(match sub.kind {
        SubKind::Exists => Cached::Value(Datum::Bool(false)),
        SubKind::Scalar => Cached::Value(values.pop().unwrap_or(Datum::Null)),
        SubKind::Quantified { .. } => Cached::Column(values),
        SubKind::Column(_) => Cached::Row(row.unwrap_or_else(|| vec![Datum::Null; sub.plan.types().len()])),
        SubKind::Array => Cached::Value(super::array::ArrayValue::new(sub.ty, values).into_datum()),
    })
}

/// `lhs op ANY/ALL (values)` with SQL's three-valued logic.
fn quantified(kind: &SubKind, lhs: Option<Datum>, values: &[Datum]) -> Result<Datum> {
    let SubKind::Quantified { op, all, pairwise, .. } = kind else {
        return Err(Error::internal("not a quantified subquery"));
    };
    let lhs = lhs.unwrap_or(Datum::Null);
    let mut saw_null = false;
    if *pairwise {
        let Datum::Record(l) = &lhs else { return Err(Error::internal("row comparison without a row")) };
        for v in values {
            let Datum::Record(r) = v else { return Err(Error::internal("row comparison without a row")) };
            match row_holds(*op, &l.values, &r.values) {
                None => saw_null = true,
                Some(holds) if holds != *all => return Ok(Datum::Bool(holds)),
                Some(_) => {}
            }
        }
        return Ok(if saw_null { Datum::Null } else { Datum::Bool(*all) });
    }
    for v in values {
        if lhs.is_null() || v.is_null() {
            saw_null = true;
            continue;
        }
        let holds = op.holds(compare(&lhs, v));
        if holds != *all {
            return Ok(Datum::Bool(holds));
        }
    }
    Ok(if saw_null { Datum::Null } else { Datum::Bool(*all) })
}

/// `(l…) op (r…)` as a row comparison, pair by pair: `=` holds when every
/// pair is equal, `<>` when any pair differs, an ordering at the first pair
/// that differs. `None` (NULL) when a pair with a NULL is reached before
/// the answer is known.
fn row_holds(op: CmpOp, l: &[Datum], r: &[Datum]) -> Option<bool> {
    let mut unknown = false;
    for (x, y) in l.iter().zip(r) {
        if x.is_null() || y.is_null() {
            match op {
                CmpOp::Eq | CmpOp::NotEq => {
                    unknown = true;
                    continue;
                }
                _ => return None,
            }
        }
        let o = compare(x, y);
        if o != std::cmp::Ordering::Equal {
            return Some(op.holds(o));
        }
    }
    if unknown { None } else { Some(op.holds(std::cmp::Ordering::Equal)) }
}

// ---------------------------------------------------------------------------
// Expressions over batches

/// Evaluate an expression over every row of a batch.
pub fn eval_batch(e: &Expr, b: &Batch, cx: &mut ExecCx<'_>) -> Result<ArrayRef> {
    match e {
        Expr::Column(i, _) => return Ok(b.columns[*i].clone()),
        Expr::Const(d, ty) => return repeat(d, *ty, b.rows),
        Expr::Param(i, ty) => return repeat(cx.eval.param(*i), *ty, b.rows),
        // A cast constant (a timestamptz literal, read in the session's zone
        // when run) is the same for every row: computed once per batch.
        Expr::Cast(inner, ty, _) if matches!(**inner, Expr::Const(..)) && b.rows > 0 => {
            let v = eval(e, &mut RowCx { cx, row: &[] })?;
            return repeat(&v, *ty, b.rows);
        }
        Expr::Cmp(op, l, r) if l.ty() == r.ty() => {
            let (x, y) = (eval_batch(l, b, cx)?, eval_batch(r, b, cx)?);
            if let Some(out) = compare_kernel(*op, &x, &y, l.ty()) {
                return Ok(out);
            }
        }
        Expr::Arith(op, l, r, ty) if l.ty() == *ty && r.ty() == *ty && matches!(ty, PgType::Int4 | PgType::Int8) => {
            if let Expr::Const(c, _) = &**r {
                if let Some(c) = c.as_i64() {
                    return int_arith_const(*op, &eval_batch(l, b, cx)?, c, *ty);
                }
            }
            let (x, y) = (eval_batch(l, b, cx)?, eval_batch(r, b, cx)?);
            return int_arith_kernel(*op, &x, &y, *ty);
        }
        Expr::And(l, r) | Expr::Or(l, r) if !r.has_side_effects() => {
            let (x, y) = (eval_batch(l, b, cx)?, eval_batch(r, b, cx)?);
            let (x, y) = (x.as_boolean(), y.as_boolean());
            let and = matches!(e, Expr::And(..));
            let out: BooleanArray = x
                .iter()
                .zip(y.iter())
                .map(|(p, q)| match (p, q, and) {
                    (Some(false), _, true) | (_, Some(false), true) => Some(false),
                    (Some(true), Some(true), true) => Some(true),
                    (Some(true), _, false) | (_, Some(true), false) => Some(true),
                    (Some(false), Some(false), false) => Some(false),
                    _ => None,
                })
                .collect();
            return Ok(Arc::new(out));
        }
        Expr::Not(x) => {
            let v = eval_batch(x, b, cx)?;
            let out: BooleanArray = v.as_boolean().iter().map(|p| p.map(|p| !p)).collect();
            return Ok(Arc::new(out));
        }
        Expr::IsNull(x, negated) if !x.ty().is_row() => {
            let v = eval_batch(x, b, cx)?;
            let out: BooleanArray = (0..b.rows).map(|i| Some(v.is_null(i) != *negated)).collect();
            return Ok(Arc::new(out));
        }
        _ => {}
    }
    eval_rows(e, b, cx)
}

impl Expr {
    /// Whether evaluating it can do more than compute a value (raise an
    /// error, change a setting, wait), so that it must not be evaluated for
    /// rows where SQL's short-circuit rules would skip it.
    fn has_side_effects(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            found |= matches!(
                e,
                Expr::Arith(..)
                    | Expr::Neg(..)
                    | Expr::Cast(..)
                    | Expr::Assign(..)
                    | Expr::Domain(..)
                    | Expr::Call(..)
                    | Expr::Sub(..)
                    | Expr::Like(..)
            );
        });
        found
    }
}

/// Evaluate row by row through the scalar evaluator.
fn eval_rows(e: &Expr, b: &Batch, cx: &mut ExecCx<'_>) -> Result<ArrayRef> {
    let mut used = Vec::new();
    e.walk(&mut |x| {
        if let Expr::Column(i, t) = x {
            used.push((*i, *t));
        }
    });
    let width = used.iter().map(|(i, _)| i + 1).max().unwrap_or(0);
    let mut row = vec![Datum::Null; width];
    let ty = e.ty();
    let mut out = ColumnBuilder::new(ty, b.rows);
    for r in 0..b.rows {
        for (i, t) in &used {
            row[*i] = datum_at(&b.columns[*i], *t, r);
        }
        let v = eval(e, &mut RowCx { cx, row: &row })?;
        out.push(&v)?;
    }
    Ok(out.finish())
}

fn compare_kernel(op: CmpOp, x: &ArrayRef, y: &ArrayRef, ty: PgType) -> Option<ArrayRef> {
    fn run<T: PartialOrd + Copy>(
        op: CmpOp,
        n: usize,
        x: impl Fn(usize) -> Option<T>,
        y: impl Fn(usize) -> Option<T>,
    ) -> ArrayRef {
        let out: BooleanArray = (0..n)
            .map(|i| match (x(i), y(i)) {
                (Some(a), Some(b)) => a.partial_cmp(&b).map(|o| op.holds(o)),
                _ => None,
            })
            .collect();
        Arc::new(out)
    }
    let n = x.len();
    Some(match ty {
        PgType::Int2 => {
            let (a, b) = (x.as_primitive::<Int16Type>(), y.as_primitive::<Int16Type>());
            run(op, n, |i| a.is_valid(i).then(|| a.value(i)), |i| b.is_valid(i).then(|| b.value(i)))
        }
        PgType::Int4 => {
            let (a, b) = (x.as_primitive::<Int32Type>(), y.as_primitive::<Int32Type>());
            run(op, n, |i| a.is_valid(i).then(|| a.value(i)), |i| b.is_valid(i).then(|| b.value(i)))
        }
        PgType::Int8 => {
            let (a, b) = (x.as_primitive::<Int64Type>(), y.as_primitive::<Int64Type>());
            run(op, n, |i| a.is_valid(i).then(|| a.value(i)), |i| b.is_valid(i).then(|| b.value(i)))
        }
        PgType::Date => {
            let (a, b) = (x.as_primitive::<Date32Type>(), y.as_primitive::<Date32Type>());
            run(op, n, |i| a.is_valid(i).then(|| a.value(i)), |i| b.is_valid(i).then(|| b.value(i)))
        }
        PgType::Time => {
            let (a, b) = (x.as_primitive::<Time64MicrosecondType>(), y.as_primitive::<Time64MicrosecondType>());
            run(op, n, |i| a.is_valid(i).then(|| a.value(i)), |i| b.is_valid(i).then(|| b.value(i)))
        }
        PgType::Timestamp | PgType::TimestampTz => {
            let (a, b) = (x.as_primitive::<TimestampMicrosecondType>(), y.as_primitive::<TimestampMicrosecondType>());
            run(op, n, |i| a.is_valid(i).then(|| a.value(i)), |i| b.is_valid(i).then(|| b.value(i)))
        }
        PgType::Text | PgType::Varchar => {
            let (a, b) = (x.as_string::<i32>(), y.as_string::<i32>());
            run(
                op,
                n,
                |i| a.is_valid(i).then(|| a.value(i).as_bytes()),
                |i| b.is_valid(i).then(|| b.value(i).as_bytes()),
            )
        }
        PgType::Bytea => {
            let (a, b) = (x.as_binary::<i32>(), y.as_binary::<i32>());
            run(op, n, |i| a.is_valid(i).then(|| a.value(i)), |i| b.is_valid(i).then(|| b.value(i)))
        }
        _ => return None,
    })
}

/// Integer arithmetic of two int4 or two int8 values, `None` on overflow.
fn int_arith(op: ArithOp, a: i64, b: i64) -> Result<Option<i64>> {
    Ok(match op {
        ArithOp::Add => a.checked_add(b),
        ArithOp::Sub => a.checked_sub(b),
        ArithOp::Mul => a.checked_mul(b),
        ArithOp::Div | ArithOp::Mod if b == 0 => {
            return Err(err!(SqlState::DIVISION_BY_ZERO, "division by zero"));
        }
        ArithOp::Div => a.checked_div(b),
        ArithOp::Mod => Some(a.checked_rem(b).unwrap_or(0)),
    })
}

/// [`int_arith_kernel`] with a constant right operand (`k % 100`): no
/// array of copies of it, and the result keeps the input's NULLs.
fn int_arith_const(op: ArithOp, x: &ArrayRef, c: i64, ty: PgType) -> Result<ArrayRef> {
    use arrow_array::{ArrowPrimitiveType, PrimitiveArray};
    fn map<T: ArrowPrimitiveType>(
        x: &ArrayRef,
        f: impl Fn(i64) -> Option<i64>,
        narrow: impl Fn(i64) -> Option<T::Native>,
        ty: PgType,
    ) -> Result<ArrayRef>
    where
        T::Native: Into<i64>,
    {
        let a = x.as_primitive::<T>();
        let mut out = Vec::with_capacity(a.len());
        for (i, &v) in a.values().iter().enumerate() {
            match f(v.into()).and_then(&narrow) {
                Some(r) => out.push(r),
                None if a.is_null(i) => out.push(T::Native::default()),
                None => return Err(super::expr::out_of_range(ty)),
            }
        }
        Ok(Arc::new(PrimitiveArray::<T>::new(out.into(), a.nulls().cloned())))
    }
    fn run<T: ArrowPrimitiveType>(
        op: ArithOp,
        x: &ArrayRef,
        c: i64,
        narrow: impl Fn(i64) -> Option<T::Native> + Copy,
        ty: PgType,
    ) -> Result<ArrayRef>
    where
        T::Native: Into<i64>,
    {
        match op {
            ArithOp::Add => map::<T>(x, |v| v.checked_add(c), narrow, ty),
            ArithOp::Sub => map::<T>(x, |v| v.checked_sub(c), narrow, ty),
            ArithOp::Mul => map::<T>(x, |v| v.checked_mul(c), narrow, ty),
            ArithOp::Div => map::<T>(x, |v| v.checked_div(c), narrow, ty),
            ArithOp::Mod => map::<T>(x, |v| Some(v.checked_rem(c).unwrap_or(0)), narrow, ty),
        }
    }
    if c == 0 && matches!(op, ArithOp::Div | ArithOp::Mod) {
        if x.null_count() < x.len() {
            return Err(err!(SqlState::DIVISION_BY_ZERO, "division by zero"));
        }
        return repeat(&Datum::Null, ty, x.len());
    }
    if ty == PgType::Int4 {
        run::<Int32Type>(op, x, c, |v| i32::try_from(v).ok(), ty)
    } else {
        run::<Int64Type>(op, x, c, Some, ty)
    }
}

fn int_arith_kernel(op: ArithOp, x: &ArrayRef, y: &ArrayRef, ty: PgType) -> Result<ArrayRef> {
    let apply = int_arith;
    let n = x.len();
    let range = || super::expr::out_of_range(ty);
    if ty == PgType::Int4 {
        let (a, b) = (x.as_primitive::<Int32Type>(), y.as_primitive::<Int32Type>());
        let mut out = arrow_array::builder::Int32Builder::with_capacity(n);
        for i in 0..n {
            if a.is_null(i) || b.is_null(i) {
                out.append_null();
                continue;
            }
            let v = apply(op, a.value(i) as i64, b.value(i) as i64)?.ok_or_else(range)?;
            out.append_value(i32::try_from(v).map_err(|_| range())?);
        }
        return Ok(Arc::new(out.finish()));
    }
    let (a, b) = (x.as_primitive::<Int64Type>(), y.as_primitive::<Int64Type>());
    let mut out = arrow_array::builder::Int64Builder::with_capacity(n);
    for i in 0..n {
        if a.is_null(i) || b.is_null(i) {
            out.append_null();
            continue;
        }
        out.append_value(apply(op, a.value(i), b.value(i))?.ok_or_else(range)?);
    }
    Ok(Arc::new(out.finish()))
}

/// Evaluate a boolean expression and keep the rows where it is true.
fn filter_batch(b: Batch, predicate: &Expr, cx: &mut ExecCx<'_>) -> Result<Batch> {
    let keep = eval_batch(predicate, &b, cx)?;
    b.filter(keep.as_boolean())
}

// ---------------------------------------------------------------------------
// Hashing values for joins, grouping and DISTINCT

/// A value as a hash key: equal keys for values PostgreSQL's equality calls equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Text(String),
    Bytes(Vec<u8>),
    /// An interval's span (intervals of equal span are equal).
    Wide(i128),
    /// A row value's fields (`record_eq`: NULL fields equal each other).
    Row(Vec<Key>),
}

fn key_of(d: &Datum) -> Key {
    match d {
        Datum::Null => Key::Null,
        Datum::Bool(b) => Key::Bool(*b),
        Datum::Int2(v) => Key::Int(*v as i64),
        Datum::Int4(v) => Key::Int(*v as i64),
        Datum::Int8(v) => Key::Int(*v),
        Datum::Oid(v) => Key::Int(*v as i64),
        Datum::Float4(v) | Datum::Enum(v, _) => float_key(*v as f64),
        Datum::Float8(v) => float_key(*v),
        Datum::Numeric(s) => Key::Text(super::numeric::normalized(s)),
        Datum::Text(s) => Key::Text(s.clone()),
        Datum::Bpchar(s) => Key::Text(super::types::bpchar_trim(s).to_string()),
        Datum::Date(v) => Key::Int(*v as i64),
        Datum::Time(v) | Datum::Timestamp(v) | Datum::TimestampTz(v) => Key::Int(*v),
        // Equal only when both the time and the offset are (timetz_eq).
        Datum::TimeTz { micros, offset_secs } => Key::Wide(((*micros as i128) << 32) | (*offset_secs as u32) as i128),
        Datum::Interval(iv) => Key::Wide(iv.span()),
        Datum::Bytea(b) => Key::Bytes(b.clone()),
        // Arrays hash by their key encoding, equal exactly when the arrays are.
        Datum::Uuid(u) => Key::Bytes(u.to_vec()),
        Datum::PgLsn(v) | Datum::Xid8(v) => Key::Bytes(v.to_be_bytes().to_vec()),
        Datum::Snapshot(s) => Key::Bytes(s.storage_bytes()),
        Datum::Tid(block, offset) => Key::Int(super::batch::tid_packed(*block, *offset)),
        Datum::Record(r) => Key::Row(r.values.iter().map(key_of).collect()),
        Datum::Array(_) | Datum::Jsonb(_) => {
            let mut out = Vec::new();
            crate::catalog::keycode::encode(&mut out, d, crate::catalog::keycode::KeyOrder::ASC);
            Key::Bytes(out)
        }
    }
}

fn float_key(v: f64) -> Key {
    // -0 equals 0, and every NaN equals every other in PostgreSQL.
    if v == 0.0 {
        Key::Float(0)
    } else if v.is_nan() {
        Key::Float(u64::MAX)
    } else {
        Key::Float(v.to_bits())
    }
}

fn row_key(cols: &[ArrayRef], types: &[PgType], row: usize) -> Vec<Key> {
    cols.iter().zip(types).map(|(c, t)| key_of(&datum_at(c, *t, row))).collect()
}

// ---------------------------------------------------------------------------
// Operators

enum Node {
    Series(Box<SeriesState>),
    Unnest(Box<UnnestState>),
    /// A set-returning function: its rows, once computed.
    Function {
        func: super::plan::SetFunc,
        done: bool,
    },
    /// An operator whose rows and time are counted (EXPLAIN ANALYZE).
    Timed(Box<Timed>),
    Scan(Box<ScanState>),
    IndexScan(Box<index_scan::IndexScanState>),
    Values {
        rows: Vec<Vec<Expr>>,
        types: Vec<PgType>,
        done: bool,
    },
    Filter {
        input: Box<Node>,
        predicate: Expr,
    },
    Project {
        input: Box<Node>,
        exprs: Vec<Expr>,
    },
    ProjectSet(Box<project_set::ProjectSetState>),
    Join(Box<JoinState>),
    MergeJoin(Box<merge_join::MergeJoinState>),
    Aggregate(Box<AggState>),
    Sort(Box<SortState>),
    Limit {
        input: Box<Node>,
        offset_expr: Option<Expr>,
        count_expr: Option<Expr>,
        bounds: Option<(u64, Option<u64>)>,
        seen: u64,
        /// `WITH TIES`: the ORDER BY columns and their types, and where
        /// the rows past the count stand.
        ties: Vec<(usize, PgType)>,
        tie: Tie,
    },
    Distinct {
        input: Box<Node>,
        columns: usize,
        types: Vec<PgType>,
        seen: HashSet<Vec<Key>>,
    },
    SetOp(Box<SetOpState>),
    Window(Box<window::WindowState>),
    /// Keeps the first of each run of rows equal in `keys`; `last` is the
    /// previous row's key values.
    Unique {
        input: Box<Node>,
        keys: Vec<usize>,
        types: Vec<PgType>,
        last: Option<Vec<Datum>>,
    },
    LateralJoin(Box<LateralJoinState>),
    With(Box<WithState>),
    /// Reads a materialized CTE from its `next` batch on.
    CteScan {
        id: usize,
        next: usize,
    },
    /// The work table's rows, taken when first asked.
    WorkTableScan {
        id: usize,
        rows: Option<std::vec::IntoIter<Batch>>,
    },
    RecursiveUnion(Box<RecursiveUnion>),
}

/// A query with materialized CTEs. When first asked for rows it makes the
/// CTEs' producers known to their scans and runs its data-modifying CTEs
/// to their end (in WITH order, each once, all with the statement's
/// snapshot and command id); then it passes its input's rows on.
struct WithState {
    /// Producers of the CTEs: number, operators, whether rows are kept.
    ctes: Vec<(usize, Node, bool)>,
    registered: bool,
    writes: std::collections::VecDeque<PendingWrite>,
    /// The data-modifying CTE being run.
    writing: Option<(usize, Node, Modify)>,
    input: Node,
}

struct PendingWrite {
    id: usize,
    source: Node,
    plan: Arc<Plan>,
    write: super::plan::CteWrite,
}

/// What the session settles for a data-modifying CTE before the statement
/// runs: its table (locked for writing), whether a concurrently changed
/// row is re-checked (READ COMMITTED), and the foreign keys to check.
pub struct CteWriteSetup {
    pub id: usize,
    pub table: Arc<Table>,
    pub recheck: bool,
    pub fks: Option<foreign_key::FkChecks>,
}

impl WithState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        if !self.registered {
            self.registered = true;
            for (id, producer, keep) in self.ctes.drain(..) {
                // A fresh store: a subquery that runs again computes its CTEs again.
                let store = CteStore { producer: Some(producer), batches: Vec::new(), done: false, keep };
                cx.state.ctes.insert(id, store);
            }
        }
        loop {
            if self.writing.is_none() {
                let Some(w) = self.writes.pop_front() else { break };
                let setup = cx
                    .state
                    .write_setups
                    .remove(&w.id)
                    .ok_or_else(|| Error::internal("data-modifying CTE without its setup"))?;
                let recheck = if setup.recheck { Recheck::of(&w.plan, &w.write.kind) } else { None };
                let returning = w.write.returning.clone();
                let mut m = Modify::new(w.write.kind.clone(), setup.table, returning, recheck, setup.fks);
                m.read_committed = setup.recheck;
                self.writing = Some((w.id, w.source, m));
            }
            let Some((id, source, m)) = self.writing.as_mut() else { continue };
            match source.next(cx)? {
                Step::Batch(b) => m.apply(b, cx)?,
                Step::Yield => return Ok(Step::Yield),
                Step::Done => {
                    m.check_foreign_keys(cx)?;
                    let batches = std::mem::take(&mut m.output);
                    cx.state.written.push((m.table.clone(), m.kind.clone(), m.count));
                    cx.state.ctes.insert(*id, CteStore { producer: None, batches, done: true, keep: true });
                    self.writing = None;
                }
            }
        }
        self.input.next(cx)
    }
}

/// `WITH RECURSIVE`'s iteration: the base (non-recursive term) runs
/// first; every round then runs the recursive term over the work table,
/// which holds the rows the round before produced, until a round produces
/// none.
struct RecursiveUnion {
    id: usize,
    distinct: bool,
    types: Vec<PgType>,
    base: Option<Node>,
    /// The recursive term, built anew for every round.
    plan: Plan,
    slots: Option<Slots>,
    /// The round being run.
    current: Option<Node>,
    /// The first round's operators, built with the plan (and its statistics slots).
    first_round: Option<Node>,
    /// Rows produced in this round: the next round's work table.
    next_round: Vec<Batch>,
    /// UNION: every row produced so far.
    seen: HashSet<Vec<Key>>,
}

impl RecursiveUnion {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        loop {
            cx.eval.check_interrupts()?;
            let step = if let Some(base) = self.base.as_mut() {
                match base.next(cx)? {
                    Step::Done => {
                        self.base = None;
                        continue;
                    }
                    other => other,
                }
            } else {
                if self.current.is_none() {
                    if self.next_round.is_empty() {
                        return Ok(Step::Done);
                    }
                    // A round is a unit of work: rounds that scan no table
                    // still hand control back now and then.
                    cx.blocks_read += 1;
                    if cx.yield_due() {
                        return Ok(Step::Yield);
                    }
                    cx.state.work_tables.insert(self.id, std::mem::take(&mut self.next_round));
                    // Each round is another loop of the recursive term's operators.
                    self.current = Some(match self.first_round.take() {
                        Some(node) => node,
                        None => Node::rebuild(&self.plan, &self.slots)?,
                    });
                }
                let Some(current) = self.current.as_mut() else { continue };
                match current.next(cx)? {
                    Step::Done => {
                        self.current = None;
                        continue;
                    }
                    other => other,
                }
            };
            let b = match step {
                Step::Batch(b) => b,
                other => return Ok(other),
            };
            let b = if self.distinct {
                let keep: BooleanArray =
                    (0..b.rows).map(|i| Some(self.seen.insert(row_key(&b.columns, &self.types, i)))).collect();
                b.filter(&keep)?
            } else {
                b
            };
            if b.rows > 0 {
                self.next_round.push(b.clone());
                return Ok(Step::Batch(b));
            }
        }
    }
}

/// A join whose right side reads the left row (`LATERAL`, or an index
/// scan keyed by it): a nested loop that runs the right plan anew for
/// every left row, with the outer slots it reads set from that row.
struct LateralJoinState {
    left: Node,
    right: Plan,
    slots: Option<Slots>,
    /// The right side's operators for the first left row, built with the
    /// plan (and its statistics slots).
    first: Option<Node>,
    kind: JoinKind,
    bindings: Vec<(usize, Expr)>,
    on: Option<Expr>,
    left_types: Vec<PgType>,
    right_types: Vec<PgType>,
    /// The left batch being joined and its next row, when a step paused
    /// in the middle of it.
    current: Option<(Batch, usize)>,
}

impl LateralJoinState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        let emits_right = self.kind.emits_right();
        let right_types = if emits_right { &self.right_types[..] } else { &[] };
        let types: Vec<PgType> = self.left_types.iter().chain(right_types).copied().collect();
        loop {
            let (b, start) = match self.current.take() {
                Some(current) => current,
                None => match self.left.next(cx)? {
                    Step::Batch(b) => (b, 0),
                    other => return Ok(other),
                },
            };
            let mut rows = Vec::new();
            let mut i = start;
            while i < b.rows {
                // Each left row runs the right side: a unit of work, after
                // which other sessions may get the thread.
                if cx.yield_due() {
                    break;
                }
                cx.blocks_read += 1;
                cx.eval.check_interrupts()?;
                let left: Vec<Datum> = self.left_types.iter().enumerate().map(|(c, t)| b.datum(c, *t, i)).collect();
                i += 1;
                let mut values = Vec::with_capacity(self.bindings.len());
                for (_, e) in &self.bindings {
                    values.push(eval(e, &mut RowCx { cx, row: &left })?);
                }
                let bindings = std::mem::take(&mut self.bindings);
                // A semi or anti join without a condition of its own needs one row at most.
                let first_only = !emits_right && self.on.is_none();
                let right = with_outer(cx, &bindings, values, |cx| self.right_rows(cx, first_only));
                self.bindings = bindings;
                let mut matched = false;
                for r in right? {
                    let mut joined = left.clone();
                    joined.extend(r);
                    if let Some(on) = &self.on {
                        if eval(on, &mut RowCx { cx, row: &joined })? != Datum::Bool(true) {
                            continue;
                        }
                    }
                    matched = true;
                    if !emits_right {
                        break;
                    }
                    rows.push(joined);
                }
                match self.kind {
                    JoinKind::Left if !matched => {
                        let mut joined = left;
                        joined.extend(self.right_types.iter().map(|_| Datum::Null));
                        rows.push(joined);
                    }
                    JoinKind::Semi if matched => rows.push(left),
                    JoinKind::Anti if !matched => rows.push(left),
                    _ => {}
                }
            }
            let paused = i < b.rows;
            if paused {
                self.current = Some((b, i));
            }
            if !rows.is_empty() {
                let mut out = from_rows(&rows, &types)?;
                out.rows = rows.len();
                return Ok(Step::Batch(out));
            }
            if paused {
                return Ok(Step::Yield);
            }
        }
    }

    /// The right side's rows for the outer slots as they are set now (the
    /// first batch's only, if `first_only`).
    fn right_rows(&mut self, cx: &mut ExecCx<'_>, first_only: bool) -> Result<Vec<Vec<Datum>>> {
        let mut node = match self.first.take() {
            Some(node) => node,
            None => Node::rebuild(&self.right, &self.slots)?,
        };
        let mut rows = Vec::new();
        loop {
            match node.next(cx)? {
                Step::Batch(b) => {
                    for i in 0..b.rows {
                        rows.push(self.right_types.iter().enumerate().map(|(c, t)| b.datum(c, *t, i)).collect());
                    }
                    if first_only && !rows.is_empty() {
                        return Ok(rows);
                    }
                }
                Step::Yield => continue,
                Step::Done => return Ok(rows),
            }
        }
    }
}

/// `generate_series(start, stop, step)` over integers, a batch at a time.
/// `unnest(array)`: the array, evaluated once, handed out a batch at a time.
/// A json set-returning function works the same way, its rows computed
/// at once from its argument, column by column.
struct UnnestState {
    array: Expr,
    elem: PgType,
    ordinality: bool,
    json: Option<super::json_fn::JsonSrf>,
    /// The columns (one for unnest), once evaluated (empty for NULL).
    items: Option<Vec<Vec<Datum>>>,
    /// How many rows have been returned.
    at: usize,
}

impl UnnestState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        let items = match &mut self.items {
            Some(items) => items,
            None => {
                let arg = eval(&self.array, &mut RowCx { cx: &mut *cx, row: &[] })?;
                let items = match (self.json, arg) {
                    (Some(f), arg) => f.rows(&arg)?,
                    (None, Datum::Array(a)) => vec![a.items],
                    (None, _) => vec![Vec::new()],
                };
                self.items.insert(items)
            }
        };
        let len = items.first().map_or(0, Vec::len);
        if self.at >= len {
            return Ok(Step::Done);
        }
        cx.eval.check_interrupts()?;
        let end = (self.at + BATCH_ROWS).min(len);
        let types = match self.json {
            Some(f) => f.columns().into_iter().map(|c| c.1).collect(),
            None => vec![self.elem],
        };
        let mut columns = Vec::with_capacity(types.len() + 1);
        for (ty, col) in types.into_iter().zip(items.iter()) {
            let mut values = ColumnBuilder::new(ty, end - self.at);
            for d in &col[self.at..end] {
                values.push(d)?;
            }
            columns.push(values.finish());
        }
        if self.ordinality {
            let n: Int64Array = (self.at as i64 + 1..=end as i64).map(Some).collect();
            columns.push(Arc::new(n));
        }
        let rows = end - self.at;
        self.at = end;
        Ok(Step::Batch(Batch::new(columns, rows)))
    }
}

struct SeriesState {
    exprs: (Expr, Expr, Option<Expr>),
    ty: PgType,
    /// The next value, the last one and the step, once evaluated; `None`
    /// inside when the series is empty or done.
    next: Option<Option<(i64, i64, i64)>>,
}

impl SeriesState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        if self.next.is_none() {
            let mut value = |e: &Expr| eval(e, &mut RowCx { cx: &mut *cx, row: &[] });
            let start = value(&self.exprs.0)?;
            let stop = value(&self.exprs.1)?;
            let step = match &self.exprs.2 {
                Some(e) => value(e)?,
                None => Datum::Int8(1),
            };
            self.next = Some(match (start.as_i64(), stop.as_i64(), step.as_i64()) {
                (Some(_), Some(_), Some(0)) => {
                    return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "step size cannot equal zero"));
                }
                (Some(a), Some(b), Some(s)) => Some((a, b, s)),
                _ => None,
            });
        }
        let Some(Some((from, to, step))) = self.next else { return Ok(Step::Done) };
        if (step > 0 && from > to) || (step < 0 && from < to) {
            return Ok(Step::Done);
        }
        cx.eval.check_interrupts()?;
        // A batch of the series counts as a block read: a long series
        // hands the thread to other sessions now and then.
        if cx.yield_due() {
            return Ok(Step::Yield);
        }
        cx.blocks_read += 1;
        let mut values = Vec::with_capacity(BATCH_ROWS);
        let mut v = Some(from);
        while let Some(x) = v {
            if values.len() == BATCH_ROWS || (step > 0 && x > to) || (step < 0 && x < to) {
                break;
            }
            values.push(x);
            v = x.checked_add(step);
        }
        self.next = Some(v.map(|x| (x, to, step)));
        let rows = values.len();
        let column: ArrayRef = if self.ty == PgType::Int4 {
            Arc::new(arrow_array::Int32Array::from_iter_values(values.into_iter().map(|x| x as i32)))
        } else {
            Arc::new(arrow_array::Int64Array::from(values))
        };
        Ok(Step::Batch(Batch::new(vec![column], rows)))
    }
}

/// Statistics of every operator of a plan, by pre-order number.
pub type Timing = Arc<parking_lot::Mutex<Vec<NodeStats>>>;

struct Timed {
    node: Node,
    stats: Timing,
    slot: usize,
    /// When the operator was first asked for rows.
    started: Option<std::time::Instant>,
    /// The slot's rows removed, heap fetches and time from earlier loops
    /// (an operator built anew for each run of a nested loop's inner side).
    earlier: (u64, u64, f64),
}

impl Timed {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        let start = std::time::Instant::now();
        let first = self.started.is_none();
        let begun = *self.started.get_or_insert(start);
        let step = self.node.next(cx)?;
        let now = std::time::Instant::now();
        let mut stats = self.stats.lock();
        let s = &mut stats[self.slot];
        let (removed, fetched, ms) = self.earlier;
        s.removed = removed
            + match &self.node {
                Node::Scan(scan) => scan.removed,
                Node::IndexScan(scan) => scan.removed,
                _ => 0,
            };
        if let Node::IndexScan(scan) = &self.node {
            s.heap_fetches = fetched + scan.heap_fetches;
        }
        s.loops = s.loops.max(1);
        s.total_ms = ms + (now - begun).as_secs_f64() * 1000.0;
        if let Step::Batch(b) = &step {
            if s.rows == 0 && b.rows > 0 || first && s.first_ms == 0.0 {
                s.first_ms = (now - begun).as_secs_f64() * 1000.0;
            }
            s.rows += b.rows as u64;
        }
        Ok(step)
    }
}

struct ScanState {
    /// Rows the filter removed (EXPLAIN ANALYZE).
    removed: u64,
    table: Arc<Table>,
    filter: Option<Expr>,
    /// The columns to decode (see `Plan::Scan`).
    read: Option<Vec<bool>>,
    decoder: Option<crate::catalog::BlockDecoder>,
    ctid: bool,
    /// Return the rows' system columns (see `Plan::Scan`).
    system: bool,
    next_block: u32,
    /// Where in `next_block` to go on (a batch filled up with large values).
    next_offset: u16,
    nblocks: Option<u32>,
}

struct JoinState {
    left: Node,
    right: Node,
    kind: JoinKind,
    equi: Vec<(Expr, Expr)>,
    on: Option<Expr>,
    left_types: Vec<PgType>,
    right_types: Vec<PgType>,
    /// The right input, collected.
    right_batches: Vec<Batch>,
    right_done: bool,
    built: Option<Built>,
    /// The left batch being joined and the next row of it.
    current: Option<(Batch, usize)>,
    left_done: bool,
    right_emitted: bool,
}

struct Built {
    rows: Batch,
    /// `None`: a nested loop (no equality to hash on).
    table: Option<JoinTable>,
    matched: Vec<bool>,
}

/// A hash join's table: the build side's rows by join key.
enum JoinTable {
    Keys(HashMap<Vec<Key>, Vec<u32>>),
    /// One key of integer-like types on both sides (values as i64s).
    Int(HashMap<i64, Vec<u32>, std::hash::BuildHasherDefault<fast_agg::IntHasher>>),
}

/// Whether a join on `l = r` may hash both sides' values as i64s.
fn int_join_key(l: PgType, r: PgType) -> bool {
    let int = |t: PgType| matches!(t, PgType::Int2 | PgType::Int4 | PgType::Int8);
    (int(l) && int(r)) || (l == r && fast_agg::integer_like(l))
}

struct AggState {
    input: Node,
    groups: Vec<Expr>,
    aggs: Vec<AggCall>,
    /// The grouping sets (see `Plan::Aggregate`); empty for a plain GROUP BY.
    sets: Vec<Vec<usize>>,
    table: HashMap<Vec<Key>, usize>,
    keys: Vec<Vec<Datum>>,
    accs: Vec<Vec<Acc>>,
    /// The grouping set each group belongs to (with `sets`).
    group_sets: Vec<usize>,
    /// The column-at-a-time form, when the aggregation has one.
    fast: Option<fast_agg::FastAgg>,
    done: bool,
}

struct SortState {
    input: Node,
    keys: Vec<SortKey>,
    types: Vec<PgType>,
    batches: Vec<Batch>,
    output: Option<(Batch, usize)>,
}

struct SetOpState {
    kind: SetOpKind,
    all: bool,
    left: Node,
    right: Node,
    types: Vec<PgType>,
    right_counts: HashMap<Vec<Key>, i64>,
    right_done: bool,
    emitted: HashSet<Vec<Key>>,
    left_done: bool,
}

/// Where the operators being built count their rows and time (EXPLAIN
/// ANALYZE): new slots in pre-order, or — for a subtree built anew, as a
/// recursive union's recursive term is for every round — the slots it had.
#[derive(Clone)]
struct Slots {
    timing: Timing,
    /// The next slot to reuse; `None`: add new ones.
    reuse: Option<usize>,
}

impl Slots {
    fn take(&mut self) -> usize {
        match &mut self.reuse {
            Some(next) => {
                *next += 1;
                *next - 1
            }
            None => {
                let mut v = self.timing.lock();
                v.push(NodeStats::default());
                v.len() - 1
            }
        }
    }
}

impl Node {
    fn build(plan: &Plan) -> Result<Node> {
        Node::build_with(plan, None)
    }

    /// Build the operators of `plan`; with `timing`, each is wrapped to
    /// count its rows and time into a slot of its own, in pre-order (EXPLAIN
    /// ANALYZE).
    fn build_with(plan: &Plan, timing: Option<&Timing>) -> Result<Node> {
        let mut slots = timing.map(|t| Slots { timing: t.clone(), reuse: None });
        Node::build_in(plan, &mut slots)
    }

    /// Build a subtree that runs again (a recursive term's next round, a
    /// LATERAL side's next left row): its operators count another loop in
    /// the statistics slots they had.
    fn rebuild(plan: &Plan, slots: &Option<Slots>) -> Result<Node> {
        if let Some(Slots { timing, reuse: Some(first) }) = slots {
            let count = super::explain::operator_count(plan);
            for s in timing.lock().iter_mut().skip(*first).take(count) {
                s.loops += 1;
            }
        }
        Node::build_in(plan, &mut slots.clone())
    }

    fn build_in(plan: &Plan, slots: &mut Option<Slots>) -> Result<Node> {
        let slot = slots.as_mut().map(Slots::take);
        let timing = slots.as_ref().map(|s| s.timing.clone());
        let node = match plan {
            Plan::Scan { table, filter, ctid, system, read, .. } => Node::Scan(Box::new(ScanState {
                removed: 0,
                table: table.clone(),
                filter: filter.clone(),
                read: read.clone(),
                decoder: None,
                ctid: *ctid,
                system: *system,
                next_block: 0,
                next_offset: 0,
                nblocks: None,
            })),
            Plan::IndexScan {
                table,
                index,
                eq,
                any,
                any_array,
                lower,
                upper,
                residual,
                ctid,
                system,
                backward,
                index_only,
                read,
                ..
            } => {
                let mut scan = index_scan::IndexScanState::new(
                    table.clone(),
                    Index::clone(index),
                    (eq.clone(), any.clone(), *any_array),
                    lower.clone(),
                    upper.clone(),
                    residual.clone(),
                    (*ctid, *backward),
                );
                scan.index_only = *index_only;
                scan.system = *system;
                scan.read = read.clone();
                Node::IndexScan(Box::new(scan))
            }
            Plan::Values { rows, types } => Node::Values { rows: rows.clone(), types: types.clone(), done: false },
            Plan::Function { func } => Node::Function { func: *func, done: false },
            Plan::Unnest { array, elem, ordinality, json } => Node::Unnest(Box::new(UnnestState {
                array: array.clone(),
                elem: *elem,
                ordinality: *ordinality,
                json: *json,
                items: None,
                at: 0,
            })),
            Plan::Series { start, stop, step, ty } => Node::Series(Box::new(SeriesState {
                exprs: (start.clone(), stop.clone(), step.clone()),
                ty: *ty,
                next: None,
            })),
            Plan::Filter { input, predicate } => {
                Node::Filter { input: Box::new(Node::build_in(input, slots)?), predicate: predicate.clone() }
            }
            Plan::Project { input, exprs } => {
                Node::Project { input: Box::new(Node::build_in(input, slots)?), exprs: exprs.clone() }
            }
            Plan::ProjectSet { input, srfs, ordinality } => Node::ProjectSet(Box::new(
                project_set::ProjectSetState::new(Node::build_in(input, slots)?, srfs.clone(), *ordinality),
            )),
            Plan::Join { merge: true, .. } => merge_join::MergeJoinState::build(plan, slots)?,
            Plan::Join { left, right, kind, equi, on, merge: false } => Node::Join(Box::new(JoinState {
                left_types: left.types(),
                right_types: right.types(),
                left: Node::build_in(left, slots)?,
                right: Node::build_in(right, slots)?,
                kind: *kind,
                equi: equi.clone(),
                on: on.clone(),
                right_batches: Vec::new(),
                right_done: false,
                built: None,
                current: None,
                left_done: false,
                right_emitted: false,
            })),
            Plan::Aggregate { input, groups, aggs, sets } => Node::Aggregate(Box::new(AggState {
                input: Node::build_in(input, slots)?,
                groups: groups.clone(),
                aggs: aggs.clone(),
                sets: sets.clone(),
                table: HashMap::new(),
                keys: Vec::new(),
                accs: Vec::new(),
                group_sets: Vec::new(),
                fast: if sets.is_empty() { fast_agg::FastAgg::new(groups, aggs) } else { None },
                done: false,
            })),
            Plan::Sort { input, keys } => Node::Sort(Box::new(SortState {
                types: input.types(),
                input: Node::build_in(input, slots)?,
                keys: keys.clone(),
                batches: Vec::new(),
                output: None,
            })),
            Plan::Limit { input, offset, count, ties } => {
                let types = input.types();
                Node::Limit {
                    input: Box::new(Node::build_in(input, slots)?),
                    offset_expr: offset.clone(),
                    count_expr: count.clone(),
                    bounds: None,
                    seen: 0,
                    ties: ties.iter().map(|&c| (c, types[c])).collect(),
                    tie: Tie::Counting,
                }
            }
            Plan::Distinct { input, columns } => Node::Distinct {
                types: input.types(),
                input: Box::new(Node::build_in(input, slots)?),
                columns: *columns,
                seen: HashSet::new(),
            },
            Plan::Window { input, partition, order, frame, funcs } => Node::Window(Box::new(window::WindowState {
                input: Node::build_in(input, slots)?,
                partition: partition.clone(),
                order: order.clone(),
                frame: frame.clone(),
                funcs: funcs.clone(),
                types: input.types(),
                batches: Vec::new(),
                output: None,
            })),
            Plan::Unique { input, keys } => Node::Unique {
                input: Box::new(Node::build_in(input, slots)?),
                keys: keys.clone(),
                types: input.types(),
                last: None,
            },
            Plan::LateralJoin { left, right, kind, bindings, on } => {
                let left_node = Node::build_in(left, slots)?;
                let reuse = slots.as_ref().map(|s| Slots {
                    timing: s.timing.clone(),
                    reuse: Some(s.reuse.unwrap_or_else(|| s.timing.lock().len())),
                });
                let first = Node::build_in(right, slots)?;
                Node::LateralJoin(Box::new(LateralJoinState {
                    left: left_node,
                    right: right.as_ref().clone(),
                    slots: reuse,
                    first: Some(first),
                    kind: *kind,
                    bindings: bindings.clone(),
                    on: on.clone(),
                    left_types: left.types(),
                    right_types: right.types(),
                    current: None,
                }))
            }
            Plan::SetOp { kind, all, left, right } => Node::SetOp(Box::new(SetOpState {
                kind: *kind,
                all: *all,
                types: left.types(),
                left: Node::build_in(left, slots)?,
                right: Node::build_in(right, slots)?,
                right_counts: HashMap::new(),
                right_done: false,
                emitted: HashSet::new(),
                left_done: false,
            })),
            Plan::With { ctes, input } => {
                let mut built = Vec::with_capacity(ctes.len());
                let mut writes = std::collections::VecDeque::new();
                for c in ctes {
                    let node = Node::build_in(&c.plan, slots)?;
                    match &c.write {
                        None => built.push((c.id, node, !c.single_reader)),
                        Some(w) => writes.push_back(PendingWrite {
                            id: c.id,
                            source: node,
                            plan: c.plan.clone(),
                            write: w.clone(),
                        }),
                    }
                }
                Node::With(Box::new(WithState {
                    ctes: built,
                    registered: false,
                    writes,
                    writing: None,
                    input: Node::build_in(input, slots)?,
                }))
            }
            Plan::CteScan { id, .. } => Node::CteScan { id: *id, next: 0 },
            Plan::WorkTableScan { id, .. } => Node::WorkTableScan { id: *id, rows: None },
            Plan::RecursiveUnion { id, distinct, base, recursive } => {
                let base = Node::build_in(base, slots)?;
                let reuse = slots.as_ref().map(|s| Slots {
                    timing: s.timing.clone(),
                    reuse: Some(s.reuse.unwrap_or_else(|| s.timing.lock().len())),
                });
                let first = Node::build_in(recursive, slots)?;
                Node::RecursiveUnion(Box::new(RecursiveUnion {
                    id: *id,
                    distinct: *distinct,
                    types: plan.types(),
                    base: Some(base),
                    plan: recursive.as_ref().clone(),
                    slots: reuse,
                    current: None,
                    first_round: Some(first),
                    next_round: Vec::new(),
                    seen: HashSet::new(),
                }))
            }
        };
        Ok(match (timing, slot) {
            (Some(t), Some(slot)) => {
                let earlier = t.lock().get(slot).map_or((0, 0, 0.0), |s| (s.removed, s.heap_fetches, s.total_ms));
                Node::Timed(Box::new(Timed { node, stats: t, slot, started: None, earlier }))
            }
            _ => node,
        })
    }

    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        match self {
            Node::Timed(t) => t.next(cx),
            Node::Series(s) => s.next(cx),
            Node::Unnest(s) => s.next(cx),
            Node::Function { func, done } => {
                if *done {
                    return Ok(Step::Done);
                }
                *done = true;
                let rows = cx.eval.set_returning(*func)?;
                let types: Vec<PgType> = func.columns().iter().map(|c| c.1).collect();
                Ok(Step::Batch(from_rows(&rows, &types)?))
            }
            Node::Scan(s) => s.next(cx),
            Node::IndexScan(s) => s.next(cx),
            Node::Values { rows, types, done } => {
                if *done {
                    return Ok(Step::Done);
                }
                *done = true;
                let mut values = Vec::with_capacity(rows.len());
                for row in rows.iter() {
                    let mut out = Vec::with_capacity(row.len());
                    for e in row {
                        out.push(eval(e, &mut RowCx { cx, row: &[] })?);
                    }
                    values.push(out);
                }
                let mut b = from_rows(&values, types)?;
                b.rows = rows.len();
                Ok(Step::Batch(b))
            }
            Node::Filter { input, predicate } => loop {
                match input.next(cx)? {
                    Step::Batch(b) => {
                        let b = filter_batch(b, predicate, cx)?;
                        if b.rows > 0 {
                            return Ok(Step::Batch(b));
                        }
                    }
                    other => return Ok(other),
                }
            },
            Node::Project { input, exprs } => match input.next(cx)? {
                Step::Batch(b) => {
                    let mut cols = Vec::with_capacity(exprs.len());
                    for e in exprs.iter() {
                        cols.push(eval_batch(e, &b, cx)?);
                    }
                    Ok(Step::Batch(Batch::new(cols, b.rows)))
                }
                other => Ok(other),
            },
            Node::ProjectSet(p) => p.next(cx),
            Node::Join(j) => j.next(cx),
            Node::MergeJoin(j) => j.next(cx),
            Node::Aggregate(a) => a.next(cx),
            Node::Sort(s) => s.next(cx),
            Node::Limit { input, offset_expr, count_expr, bounds, seen, ties, tie } => {
                let (offset, count) = match bounds {
                    Some(b) => *b,
                    None => {
                        let b = limit_bounds(offset_expr.as_ref(), count_expr.as_ref(), cx)?;
                        *bounds = Some(b);
                        b
                    }
                };
                loop {
                    let counted = count.is_some_and(|c| *seen >= offset + c);
                    if counted && !matches!(tie, Tie::Last(_)) {
                        return Ok(Step::Done);
                    }
                    let b = match input.next(cx)? {
                        Step::Batch(b) => b,
                        other => return Ok(other),
                    };
                    if counted {
                        // Past the count: the rows that tie with the last one counted.
                        let n = tie.peers(ties, &b, 0);
                        if n > 0 {
                            return Ok(Step::Batch(b.slice(0, n)));
                        }
                        continue;
                    }
                    let start = *seen;
                    *seen += b.rows as u64;
                    let from = offset.saturating_sub(start).min(b.rows as u64) as usize;
                    let mut to = match count {
                        Some(c) => ((offset + c).saturating_sub(start)).min(b.rows as u64) as usize,
                        None => b.rows,
                    };
                    if !ties.is_empty() && to > from && count.is_some_and(|c| *seen >= offset + c) {
                        *tie = Tie::Last(ties.iter().map(|&(c, ty)| datum_at(&b.columns[c], ty, to - 1)).collect());
                        to += tie.peers(ties, &b, to);
                    }
                    if to > from {
                        return Ok(Step::Batch(b.slice(from, to - from)));
                    }
                }
            }
            Node::Distinct { input, columns, types, seen } => loop {
                let b = match input.next(cx)? {
                    Step::Batch(b) => b,
                    other => return Ok(other),
                };
                let cols = &b.columns[..*columns];
                let keep: BooleanArray =
                    (0..b.rows).map(|i| Some(seen.insert(row_key(cols, &types[..*columns], i)))).collect();
                let b = b.filter(&keep)?;
                if b.rows > 0 {
                    return Ok(Step::Batch(b));
                }
            },
            Node::SetOp(s) => s.next(cx),
            Node::Window(w) => w.next(cx),
            Node::Unique { input, keys, types, last } => loop {
                let b = match input.next(cx)? {
                    Step::Batch(b) => b,
                    other => return Ok(other),
                };
                let mut keep = Vec::with_capacity(b.rows);
                for i in 0..b.rows {
                    let row: Vec<Datum> = keys.iter().map(|&k| datum_at(&b.columns[k], types[k], i)).collect();
                    let new = last.as_ref().is_none_or(|l| {
                        l.iter().zip(&row).any(|(a, b)| sort_cmp(a, b, false, false) != Ordering::Equal)
                    });
                    if new {
                        *last = Some(row);
                    }
                    keep.push(Some(new));
                }
                let b = b.filter(&BooleanArray::from(keep))?;
                if b.rows > 0 {
                    return Ok(Step::Batch(b));
                }
            },
            Node::LateralJoin(j) => j.next(cx),
            Node::With(w) => w.next(cx),
            Node::CteScan { id, next } => cte_scan(cx, *id, next),
            Node::WorkTableScan { id, rows } => {
                let rows =
                    rows.get_or_insert_with(|| cx.state.work_tables.get(id).cloned().unwrap_or_default().into_iter());
                Ok(rows.next().map_or(Step::Done, Step::Batch))
            }
            Node::RecursiveUnion(r) => r.next(cx),
        }
    }
}

/// The `next`th batch of CTE `id`, produced now if no reader has asked for it yet.
fn cte_scan(cx: &mut ExecCx<'_>, id: usize, next: &mut usize) -> Result<Step> {
    loop {
        let store = cx.state.ctes.get_mut(&id).ok_or_else(|| Error::internal("CTE scan before its WITH"))?;
        if let Some(b) = store.batches.get(*next) {
            *next += 1;
            return Ok(Step::Batch(b.clone()));
        }
        if store.done {
            return Ok(Step::Done);
        }
        let mut producer = store.producer.take().ok_or_else(|| Error::internal("CTE read while it is produced"))?;
        let step = producer.next(cx);
        let store = cx.state.ctes.get_mut(&id).ok_or_else(|| Error::internal("CTE store vanished"))?;
        match step? {
            Step::Batch(b) => {
                store.producer = Some(producer);
                if !store.keep {
                    // The only reader: the rows go on without being kept.
                    return Ok(Step::Batch(b));
                }
                if b.rows > 0 {
                    store.batches.push(b);
                }
            }
            Step::Yield => {
                store.producer = Some(producer);
                return Ok(Step::Yield);
            }
            Step::Done => store.done = true,
        }
    }
}

/// Where `FETCH … WITH TIES` stands once its count is reached.
enum Tie {
    /// Still counting (or no ties wanted, or none to look for: a count of 0).
    Counting,
    /// The ORDER BY values of the last row counted: rows equal in them come too.
    Last(Vec<Datum>),
    /// A row that differs came: nothing more.
    Done,
}

impl Tie {
    /// How many rows of `b` from `from` on tie with the last row counted
    /// (fewer than all of them: no more ties to come).
    fn peers(&mut self, ties: &[(usize, PgType)], b: &Batch, from: usize) -> usize {
        let Tie::Last(last) = self else { return 0 };
        let equal = |i: usize| {
            ties.iter()
                .zip(last.iter())
                .all(|(&(c, ty), v)| sort_cmp(&datum_at(&b.columns[c], ty, i), v, false, false) == Ordering::Equal)
        };
        let n = (from..b.rows).take_while(|&i| equal(i)).count();
        if from + n < b.rows {
            *self = Tie::Done;
        }
        n
    }
}

fn limit_bounds(offset: Option<&Expr>, count: Option<&Expr>, cx: &mut ExecCx<'_>) -> Result<(u64, Option<u64>)> {
    let mut value = |e: Option<&Expr>| -> Result<Option<i64>> {
        match e {
            None => Ok(None),
            Some(e) => Ok(eval(e, &mut RowCx { cx, row: &[] })?.as_i64()),
        }
    };
    let count = value(count)?;
    let offset = value(offset)?;
    if count.is_some_and(|c| c < 0) {
        return Err(err!(SqlState::INVALID_ROW_COUNT_IN_LIMIT, "LIMIT must not be negative"));
    }
    if offset.is_some_and(|o| o < 0) {
        return Err(err!(SqlState::INVALID_ROW_COUNT_IN_RESULT_OFFSET, "OFFSET must not be negative"));
    }
    Ok((offset.unwrap_or(0) as u64, count.map(|c| c as u64)))
}

impl ScanState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        let nblocks = match self.nblocks {
            Some(n) => n,
            None => {
                // The SIREAD lock comes before the size is read: a row
                // added in a block past it is then a conflict.
                cx.catalog.serial_lock_relation(&self.table, &cx.reader())?;
                let n = cx.catalog.nblocks(&self.table)?;
                self.nblocks = Some(n);
                cx.catalog.stats.scan_started(self.table.oid);
                n
            }
        };
        let read = |i: usize| self.read.as_ref().is_none_or(|r| r[i]);
        let mut builders: Vec<ColumnBuilder> = (self.table.columns.iter().enumerate())
            .map(|(i, c)| if read(i) { ColumnBuilder::new(c.ty, BATCH_ROWS) } else { ColumnBuilder::skip(c.ty) })
            .collect();
        let mut headers = (self.ctid || self.system).then(|| RowHeaders::new(self.system));
        let mut rows = 0;
        let mut bytes = 0;
        while self.next_block < nblocks && rows < BATCH_ROWS && bytes < crate::catalog::BATCH_BYTES {
            if cx.yield_due() {
                if rows > 0 {
                    break;
                }
                return Ok(Step::Yield);
            }
            cx.eval.check_interrupts()?;
            cx.blocks_read += 1;
            let who = cx.reader();
            let decoder = self.decoder.get_or_insert_with(|| crate::catalog::BlockDecoder::new(&self.table));
            let (n, stopped) = cx.catalog.scan_block_into(
                &self.table,
                decoder,
                self.next_block,
                self.next_offset,
                &who,
                &mut builders,
                headers.as_mut(),
                &mut bytes,
            )?;
            rows += n;
            if let Some(offset) = stopped {
                self.next_offset = offset;
                break;
            }
            self.next_block += 1;
            self.next_offset = 0;
        }
        if rows == 0 && self.next_block >= nblocks {
            return Ok(Step::Done);
        }
        let mut columns: Vec<ArrayRef> = builders.iter_mut().map(ColumnBuilder::finish).collect();
        if super::reg_column::has_oid_columns(&self.table) {
            super::reg_column::columns_from_stored(&self.table, &mut columns, rows, cx.eval)?;
        }
        if let Some(h) = headers {
            h.finish(self.table.oid, self.ctid, &mut columns);
        }
        cx.catalog.stats.seq_returned(self.table.oid, rows as u64);
        let b = Batch::new(columns, rows);
        Ok(Step::Batch(match &self.filter {
            Some(f) => {
                let kept = filter_batch(b, f, cx)?;
                self.removed += (rows - kept.rows) as u64;
                kept
            }
            None => b,
        }))
    }
}

/// The `ctid` column value of a tuple address (a `tid` packed as in
/// [`super::batch::tid_packed`]).
pub fn ctid_value(tid: Tid) -> i64 {
    super::batch::tid_packed(tid.block, tid.offset)
}

pub fn tid_of(v: i64) -> Tid {
    Tid { block: (v >> 16) as u32, offset: (v & 0xffff) as u16 }
}

impl JoinState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        while !self.right_done {
            match self.right.next(cx)? {
                Step::Batch(b) => self.right_batches.push(b),
                Step::Yield => return Ok(Step::Yield),
                Step::Done => self.right_done = true,
            }
        }
        if self.built.is_none() {
            let rows = Batch::concat(&std::mem::take(&mut self.right_batches), &self.right_types)?;
            let table = if self.equi.is_empty() {
                None
            } else {
                let keys: Vec<ArrayRef> =
                    self.equi.iter().map(|(_, r)| eval_batch(r, &rows, cx)).collect::<Result<_>>()?;
                let types: Vec<PgType> = self.equi.iter().map(|(_, r)| r.ty()).collect();
                if let [(l, r)] = &self.equi[..]
                    && int_join_key(l.ty(), r.ty())
                {
                    let mut values = Vec::new();
                    fast_agg::widen(&keys[0], &mut values)?;
                    let mut t: HashMap<i64, Vec<u32>, _> = HashMap::default();
                    for (i, v) in values.iter().enumerate() {
                        if keys[0].is_valid(i) {
                            t.entry(*v).or_default().push(i as u32);
                        }
                    }
                    Some(JoinTable::Int(t))
                } else {
                    let mut t: HashMap<Vec<Key>, Vec<u32>> = HashMap::new();
                    for i in 0..rows.rows {
                        let k = row_key(&keys, &types, i);
                        if k.contains(&Key::Null) {
                            continue;
                        }
                        t.entry(k).or_default().push(i as u32);
                    }
                    Some(JoinTable::Keys(t))
                }
            };
            let matched = vec![false; rows.rows];
            self.built = Some(Built { rows, table, matched });
        }
        loop {
            if self.current.is_none() {
                if self.left_done {
                    return self.unmatched_right();
                }
                match self.left.next(cx)? {
                    Step::Batch(b) => self.current = Some((b, 0)),
                    Step::Yield => return Ok(Step::Yield),
                    Step::Done => {
                        self.left_done = true;
                        continue;
                    }
                }
            }
            let Some((left, start)) = self.current.take() else { continue };
            // A join may run long with no scan below reading a block.
            cx.eval.check_interrupts()?;
            let built = self.built.as_mut().ok_or_else(|| Error::internal("join without its build side"))?;
            let left_keys: Vec<ArrayRef> = if built.table.is_some() {
                self.equi.iter().map(|(l, _)| eval_batch(l, &left, cx)).collect::<Result<_>>()?
            } else {
                Vec::new()
            };
            let key_types: Vec<PgType> = self.equi.iter().map(|(l, _)| l.ty()).collect();
            let mut left_ints = Vec::new();
            if let Some(JoinTable::Int(_)) = &built.table {
                fast_agg::widen(&left_keys[0], &mut left_ints)?;
            }
            // A semi or anti join without a residual condition needs only
            // to know which left rows have a key in the table.
            if !self.kind.emits_right() && self.on.is_none() {
                let end = (start + 4 * BATCH_ROWS).min(left.rows);
                if end < left.rows {
                    self.current = Some((left.clone(), end));
                }
                let hit: Vec<bool> = (start..end)
                    .map(|row| match &built.table {
                        Some(JoinTable::Int(t)) => left_keys[0].is_valid(row) && t.contains_key(&left_ints[row]),
                        Some(JoinTable::Keys(t)) => t.contains_key(&row_key(&left_keys, &key_types, row)),
                        None => built.rows.rows > 0,
                    })
                    .collect();
                match semi_rows(self.kind, &left, start, &hit)? {
                    Some(out) => return Ok(Step::Batch(out)),
                    None if idle_run(cx) => return Ok(Step::Yield),
                    None => continue,
                }
            }
            // Candidate pairs for a run of left rows, bounded in number.
            let (mut li, mut ri) = (Vec::new(), Vec::new());
            let mut row = start;
            while row < left.rows && li.len() < 4 * BATCH_ROWS {
                match &built.table {
                    Some(JoinTable::Int(t)) => {
                        if left_keys[0].is_valid(row) {
                            if let Some(m) = t.get(&left_ints[row]) {
                                for &r in m {
                                    li.push(row as u32);
                                    ri.push(r);
                                }
                            }
                        }
                    }
                    Some(JoinTable::Keys(t)) => {
                        let k = row_key(&left_keys, &key_types, row);
                        if let Some(m) = t.get(&k) {
                            for &r in m {
                                li.push(row as u32);
                                ri.push(r);
                            }
                        }
                    }
                    None => {
                        for r in 0..built.rows.rows {
                            li.push(row as u32);
                            ri.push(r as u32);
                        }
                    }
                }
                row += 1;
            }
            let end = row;
            if end < left.rows {
                self.current = Some((left.clone(), end));
            }
            let (li_arr, ri_arr) = (UInt32Array::from(li.clone()), UInt32Array::from(ri.clone()));
            let lpart = left.take(&li_arr)?;
            let rpart = built.rows.take(&ri_arr)?;
            let mut columns = lpart.columns;
            columns.extend(rpart.columns);
            let mut joined = Batch::new(columns, li.len());
            let pass: Vec<bool> = match &self.on {
                Some(on) => {
                    let m = eval_batch(on, &joined, cx)?;
                    let m = m.as_boolean();
                    (0..joined.rows).map(|i| m.is_valid(i) && m.value(i)).collect()
                }
                None => vec![true; joined.rows],
            };
            if !self.kind.emits_right() {
                let mut hit = vec![false; end - start];
                for (k, p) in pass.iter().enumerate() {
                    if *p {
                        hit[li[k] as usize - start] = true;
                    }
                }
                match semi_rows(self.kind, &left, start, &hit)? {
                    Some(out) => return Ok(Step::Batch(out)),
                    None if idle_run(cx) => return Ok(Step::Yield),
                    None => continue,
                }
            }
            if self.on.is_some() {
                joined = joined.filter(&BooleanArray::from(pass.clone()))?;
            }
            for (k, p) in pass.iter().enumerate() {
                if *p {
                    built.matched[ri[k] as usize] = true;
                }
            }
            if matches!(self.kind, JoinKind::Left | JoinKind::Full) {
                // Left rows of this run without a passing match, NULL-extended.
                let mut hit = vec![false; end - start];
                for (k, p) in pass.iter().enumerate() {
                    if *p {
                        hit[li[k] as usize - start] = true;
                    }
                }
                let missing: Vec<u32> = (start..end).filter(|r| !hit[r - start]).map(|r| r as u32).collect();
                if !missing.is_empty() {
                    let lpart = left.take(&UInt32Array::from(missing.clone()))?;
                    let nulls: Vec<ArrayRef> = self
                        .right_types
                        .iter()
                        .map(|t| repeat(&Datum::Null, *t, missing.len()))
                        .collect::<Result<_>>()?;
                    let mut columns = lpart.columns;
                    columns.extend(nulls);
                    let extra = Batch::new(columns, missing.len());
                    let all_types: Vec<PgType> = self.left_types.iter().chain(&self.right_types).copied().collect();
                    joined = Batch::concat(&[joined, extra], &all_types)?;
                }
            }
            if joined.rows > 0 {
                return Ok(Step::Batch(joined));
            }
            if idle_run(cx) {
                return Ok(Step::Yield);
            }
        }
    }

    /// After the left input: right rows that matched nothing (RIGHT and FULL joins).
    fn unmatched_right(&mut self) -> Result<Step> {
        if self.right_emitted || !matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            return Ok(Step::Done);
        }
        self.right_emitted = true;
        let built = self.built.as_ref().ok_or_else(|| Error::internal("join without its build side"))?;
        let missing: Vec<u32> = (0..built.rows.rows).filter(|r| !built.matched[*r]).map(|r| r as u32).collect();
        if missing.is_empty() {
            return Ok(Step::Done);
        }
        let rpart = built.rows.take(&UInt32Array::from(missing.clone()))?;
        let mut columns: Vec<ArrayRef> =
            self.left_types.iter().map(|t| repeat(&Datum::Null, *t, missing.len())).collect::<Result<_>>()?;
        columns.extend(rpart.columns);
        Ok(Step::Batch(Batch::new(columns, missing.len())))
    }
}

/// Count a join's run that produced no rows as work (other sessions get
/// the thread now and then however long the join goes on); whether to
/// yield now.
fn idle_run(cx: &mut ExecCx<'_>) -> bool {
    cx.blocks_read += 1;
    cx.yield_due()
}

/// The rows of `left` from `start` on that a semi join keeps (those
/// with a match in `hit`) or an anti join keeps (those without);
/// `None` if there are none.
fn semi_rows(kind: JoinKind, left: &Batch, start: usize, hit: &[bool]) -> Result<Option<Batch>> {
    let keep = kind == JoinKind::Semi;
    let rows: Vec<u32> = (0..hit.len()).filter(|&k| hit[k] == keep).map(|k| (start + k) as u32).collect();
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(left.take(&UInt32Array::from(rows))?))
}

// ---------------------------------------------------------------------------
// Aggregation

/// The running state of one aggregate for one group.
#[derive(Clone, Debug)]
enum Acc {
    Count(i64),
    /// Integer sums are exact (i128); the count serves avg.
    IntSum {
        sum: i128,
        count: i64,
    },
    FloatSum {
        sum: f64,
        count: i64,
    },
    NumericSum {
        sum: super::numeric::Num,
        count: i64,
    },
    IntervalSum {
        sum: super::datetime::Interval,
        count: i64,
    },
    MinMax(Option<Datum>),
    Bool(Option<bool>),
    /// string_agg's items: ORDER BY values, value and delimiter, each as
    /// its bytes (of text, or of bytea).
    Strings(Vec<(Vec<Datum>, Vec<u8>, Vec<u8>)>),
    /// array_agg's and json_agg's items: ORDER BY values and value.
    Items(Vec<(Vec<Datum>, Datum)>),
    /// json_object_agg's pairs: ORDER BY values, key and value.
    Pairs(Vec<(Vec<Datum>, Datum, Datum)>),
    /// variance and stddev of integers and numerics: the count, Σx and
    /// Σx², exact (as PostgreSQL's numeric accumulators).
    NumericMoments {
        count: i64,
        sum: super::numeric::Num,
        sum2: super::numeric::Num,
    },
    /// variance and stddev of floats: the count, Σx and the sum of squared
    /// deviations, updated as PostgreSQL's float8_accum does (Youngs–Cramer).
    FloatMoments {
        n: f64,
        sx: f64,
        sxx: f64,
    },
    /// Values seen by a DISTINCT aggregate, with the inner state.
    Distinct(HashSet<Key>, Box<Acc>),
}

fn new_acc(call: &AggCall) -> Acc {
    let inner = match call.func {
        AggFunc::CountStar | AggFunc::Count | AggFunc::Grouping => Acc::Count(0),
        AggFunc::Sum | AggFunc::Avg => match call.args.first().map(Expr::ty) {
            Some(t) if t.is_integer() => Acc::IntSum { sum: 0, count: 0 },
            Some(PgType::Numeric) => Acc::NumericSum { sum: super::numeric::Num::zero(), count: 0 },
            Some(PgType::Interval) => Acc::IntervalSum { sum: Default::default(), count: 0 },
            _ => Acc::FloatSum { sum: 0.0, count: 0 },
        },
        AggFunc::Min | AggFunc::Max => Acc::MinMax(None),
        AggFunc::BoolAnd | AggFunc::BoolOr => Acc::Bool(None),
        AggFunc::StringAgg => Acc::Strings(Vec::new()),
        AggFunc::ArrayAgg | AggFunc::JsonAgg { .. } => Acc::Items(Vec::new()),
        AggFunc::PercentileCont { .. } | AggFunc::PercentileDisc { .. } | AggFunc::Mode | AggFunc::Hypothetical(_) => {
            Acc::Items(Vec::new())
        }
        AggFunc::JsonObjectAgg { .. } => Acc::Pairs(Vec::new()),
        AggFunc::Variance { .. } => match call.args.first().map(Expr::ty) {
            Some(t) if t.is_integer() || t == PgType::Numeric => {
                Acc::NumericMoments { count: 0, sum: super::numeric::Num::zero(), sum2: super::numeric::Num::zero() }
            }
            _ => Acc::FloatMoments { n: 0.0, sx: 0.0, sxx: 0.0 },
        },
    };
    if call.distinct { Acc::Distinct(HashSet::new(), Box::new(inner)) } else { inner }
}

fn update_acc(acc: &mut Acc, call: &AggCall, args: &[Datum], order: Vec<Datum>) -> Result<()> {
    if call.func.is_ordered_set() {
        // Hypothetical-set aggregates rank NULLs too; the others skip them.
        let skip = !matches!(call.func, AggFunc::Hypothetical(_)) && order.first().is_none_or(Datum::is_null);
        if let (Acc::Items(items), false) = (acc, skip) {
            items.push((order, Datum::Null));
        }
        return Ok(());
    }
    let keeps_nulls = matches!(
        call.func,
        AggFunc::CountStar | AggFunc::ArrayAgg | AggFunc::JsonAgg { .. } | AggFunc::JsonObjectAgg { .. }
    );
    if !keeps_nulls && args.first().is_none_or(Datum::is_null) {
        return Ok(());
    }
    let v = args.first().cloned().unwrap_or(Datum::Null);
    match acc {
        Acc::Distinct(seen, inner) => {
            if seen.insert(key_of(&v)) {
                update_acc(inner, call, args, order)?;
            }
        }
        Acc::Count(n) => *n += 1,
        Acc::IntSum { sum, count } => {
            *sum += v.as_i64().unwrap_or(0) as i128;
            *count += 1;
        }
        Acc::FloatSum { sum, count } => {
            *sum += v.as_f64().unwrap_or(0.0);
            *count += 1;
        }
        Acc::IntervalSum { sum, count } => {
            if let Datum::Interval(iv) = &v {
                *sum = sum.checked_add(iv)?;
            }
            *count += 1;
        }
        Acc::NumericSum { sum, count } => {
            if let Datum::Numeric(s) = &v {
                *sum = sum.add(&super::numeric::Num::parse(s)?)?;
            }
            *count += 1;
        }
        Acc::NumericMoments { count, sum, sum2 } => {
            let x = match &v {
                Datum::Numeric(s) => super::numeric::Num::parse(s)?,
                other => super::numeric::Num::from_i128(other.as_i64().unwrap_or(0) as i128),
            };
            *sum2 = sum2.add(&x.mul(&x)?)?;
            *sum = sum.add(&x)?;
            *count += 1;
        }
        Acc::FloatMoments { n, sx, sxx } => {
            let x = v.as_f64().unwrap_or(0.0);
            let (before, sx_before) = (*n, *sx);
            *n += 1.0;
            *sx += x;
            if before > 0.0 {
                let tmp = x * *n - *sx;
                *sxx += tmp * tmp / (*n * before);
                if sx.is_infinite() || sxx.is_infinite() {
                    if !sx_before.is_infinite() && !x.is_infinite() {
                        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow"));
                    }
                    *sxx = f64::NAN;
                }
            } else if !x.is_finite() {
                *sxx = f64::NAN;
            }
        }
        Acc::MinMax(cur) => {
            let replace = match cur {
                None => true,
                Some(c) => {
                    let o = compare(&v, c);
                    if call.func == AggFunc::Min { o == Ordering::Less } else { o == Ordering::Greater }
                }
            };
            if replace {
                *cur = Some(v);
            }
        }
        Acc::Bool(cur) => {
            let b = v == Datum::Bool(true);
            *cur = Some(match (*cur, call.func) {
                (None, _) => b,
                (Some(c), AggFunc::BoolAnd) => c && b,
                (Some(c), _) => c || b,
            });
        }
        Acc::Strings(items) => {
            let bytes_of = |d: Datum| match d {
                Datum::Null => Vec::new(),
                Datum::Text(s) => s.into_bytes(),
                Datum::Bytea(b) => b,
                other => other.to_text().into_bytes(),
            };
            items.push((order, bytes_of(v), bytes_of(args.get(1).cloned().unwrap_or(Datum::Null))));
        }
        Acc::Items(items) => items.push((order, v)),
        Acc::Pairs(pairs) => {
            if v.is_null() {
                return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "field name must not be null"));
            }
            pairs.push((order, v, args.get(1).cloned().unwrap_or(Datum::Null)));
        }
    }
    Ok(())
}

fn finish_acc(acc: Acc, call: &AggCall) -> Result<Datum> {
    Ok(match acc {
        Acc::Distinct(_, inner) => finish_acc(*inner, call)?,
        Acc::Count(n) => Datum::Int8(n),
        Acc::IntSum { count: 0, .. }
        | Acc::FloatSum { count: 0, .. }
        | Acc::NumericSum { count: 0, .. }
        | Acc::IntervalSum { count: 0, .. } => Datum::Null,
        Acc::IntervalSum { sum, count } => match call.func {
            AggFunc::Avg => Datum::Interval(sum.mul(1.0 / count as f64)?),
            _ => Datum::Interval(sum),
        },
        Acc::IntSum { sum, count } => match (call.func, call.ty) {
            (AggFunc::Avg, _) => Datum::Numeric(
                super::numeric::Dec::from_i128(sum).div(&super::numeric::Dec::from_i128(count as i128))?.to_string(),
            ),
            (_, PgType::Int8) => Datum::Int8(i64::try_from(sum).map_err(|_| super::expr::out_of_range(PgType::Int8))?),
            _ => Datum::Numeric(super::numeric::Dec::from_i128(sum).to_string()),
        },
        Acc::FloatSum { sum, count } => match (call.func, call.ty) {
            (AggFunc::Avg, _) => Datum::Float8(sum / count as f64),
            (_, PgType::Float4) => Datum::Float4(sum as f32),
            _ => Datum::Float8(sum),
        },
        Acc::NumericSum { sum, count } => match call.func {
            AggFunc::Avg => Datum::Numeric(sum.div(&super::numeric::Num::from_i128(count as i128))?.to_string()),
            _ => Datum::Numeric(sum.to_string()),
        },
        Acc::NumericMoments { count, sum, sum2 } => {
            let AggFunc::Variance { population, root, .. } = call.func else {
                return Err(Error::internal("moments of another aggregate"));
            };
            match (&sum, &sum2) {
                _ if count == 0 => Datum::Null,
                (super::numeric::Num::Fin(s), super::numeric::Num::Fin(s2)) => {
                    match super::numeric::variance(count, s, s2, !population, root)? {
                        Some(d) => Datum::Numeric(d.to_string()),
                        None => Datum::Null,
                    }
                }
                // NaN or an infinity among the values.
                _ => Datum::Numeric("NaN".into()),
            }
        }
        Acc::FloatMoments { n, sxx, .. } => {
            let AggFunc::Variance { population, root, .. } = call.func else {
                return Err(Error::internal("moments of another aggregate"));
            };
            if n == 0.0 || (!population && n <= 1.0) {
                Datum::Null
            } else {
                let var = if population { sxx / n } else { sxx / (n - 1.0) };
                Datum::Float8(if root { var.sqrt() } else { var })
            }
        }
        Acc::MinMax(v) => v.unwrap_or(Datum::Null),
        Acc::Bool(v) => v.map_or(Datum::Null, Datum::Bool),
        Acc::Items(mut items) if matches!(call.func, AggFunc::JsonAgg { .. }) => {
            if items.is_empty() {
                return Ok(Datum::Null);
            }
            sort_by_order_keys(&mut items, call, |item| &item.0);
            let ty = call.args.first().map_or(PgType::Text, Expr::ty);
            let names = call.args.first().and_then(Expr::row_names);
            let values = items.into_iter().map(|(_, v)| v).collect();
            super::json_fn::json_agg(values, ty, call.ty == PgType::Jsonb, names)?
        }
        Acc::Pairs(mut pairs) => {
            if pairs.is_empty() {
                return Ok(Datum::Null);
            }
            sort_by_order_keys(&mut pairs, call, |item| &item.0);
            let types = [0, 1].map(|i| call.args.get(i).map_or(PgType::Text, Expr::ty));
            let pairs = pairs.into_iter().map(|(_, k, v)| (k, v)).collect();
            super::json_fn::json_object_agg(pairs, types, call.ty == PgType::Jsonb)?
        }
        Acc::Items(mut items) => {
            if items.is_empty() {
                return Ok(Datum::Null);
            }
            sort_by_order_keys(&mut items, call, |item| &item.0);
            let elem = call.ty.elem().unwrap_or(PgType::Text);
            super::array::ArrayValue::new(elem, items.into_iter().map(|(_, v)| v).collect()).into_datum()
        }
        Acc::Strings(mut items) => {
            if items.is_empty() {
                return Ok(Datum::Null);
            }
            sort_by_order_keys(&mut items, call, |item| &item.0);
            let mut out = Vec::new();
            for (i, (_, s, d)) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(d);
                }
                out.extend_from_slice(s);
            }
            if call.ty == PgType::Bytea {
                Datum::Bytea(out)
            } else {
                // Text and text delimiters make text.
                Datum::Text(String::from_utf8(out).map_err(|_| Error::internal("string_agg made invalid UTF-8"))?)
            }
        }
    })
}

/// Sort an ordered aggregate's items by their ORDER BY values (`keys`).
fn sort_by_order_keys<T>(items: &mut [T], call: &AggCall, keys: impl Fn(&T) -> &Vec<Datum>) {
    if call.order_by.is_empty() {
        return;
    }
    items.sort_by(|a, b| {
        for (k, (_, d, nulls_first)) in call.order_by.iter().enumerate() {
            let o = sort_cmp(&keys(a)[k], &keys(b)[k], *d, *nulls_first);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

/// Order two values for ORDER BY (NULLs per `nulls_first`).
fn sort_cmp(a: &Datum, b: &Datum, descending: bool, nulls_first: bool) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => {
            if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (false, true) => {
            if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        _ => {
            let o = compare(a, b);
            if descending { o.reverse() } else { o }
        }
    }
}

impl AggState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        if self.done {
            return Ok(Step::Done);
        }
        loop {
            let b = match self.input.next(cx)? {
                Step::Batch(b) => b,
                Step::Yield => return Ok(Step::Yield),
                Step::Done => break,
            };
            let group_cols: Vec<ArrayRef> = self.groups.iter().map(|g| eval_batch(g, &b, cx)).collect::<Result<_>>()?;
            if let Some(fast) = &mut self.fast {
                let mut args = Vec::with_capacity(self.aggs.len());
                let mut filters = Vec::with_capacity(self.aggs.len());
                for a in &self.aggs {
                    args.push(a.args.first().map(|e| eval_batch(e, &b, cx)).transpose()?);
                    filters.push(a.filter.as_ref().map(|f| eval_batch(f, &b, cx)).transpose()?);
                }
                fast.add(&group_cols, &refs(&args), &refs(&filters), b.rows)?;
                continue;
            }
            let group_types: Vec<PgType> = self.groups.iter().map(Expr::ty).collect();
            let mut arg_cols = Vec::with_capacity(self.aggs.len());
            for a in &self.aggs {
                // An ordered-set aggregate's direct arguments are taken once, at the end.
                let direct = if a.func.is_ordered_set() { &[][..] } else { &a.args[..] };
                let args: Vec<ArrayRef> = direct.iter().map(|e| eval_batch(e, &b, cx)).collect::<Result<_>>()?;
                let filter = match &a.filter {
                    Some(f) => Some(eval_batch(f, &b, cx)?),
                    None => None,
                };
                let order: Vec<ArrayRef> =
                    a.order_by.iter().map(|(e, ..)| eval_batch(e, &b, cx)).collect::<Result<_>>()?;
                arg_cols.push((args, filter, order));
            }
            let mut targets = Vec::with_capacity(self.sets.len().max(1));
            for row in 0..b.rows {
                targets.clear();
                if self.sets.is_empty() {
                    let key = row_key(&group_cols, &group_types, row);
                    targets.push(match self.table.get(&key) {
                        Some(g) => *g,
                        None => {
                            let values =
                                group_cols.iter().zip(&group_types).map(|(c, t)| datum_at(c, *t, row)).collect();
                            self.new_group(key, values, 0)
                        }
                    });
                } else {
                    for s in 0..self.sets.len() {
                        // The set's own number leads its key: sets group apart.
                        let mut key = Vec::with_capacity(self.sets[s].len() + 1);
                        key.push(Key::Int(s as i64));
                        key.extend(
                            self.sets[s].iter().map(|&k| key_of(&datum_at(&group_cols[k], group_types[k], row))),
                        );
                        targets.push(match self.table.get(&key) {
                            Some(g) => *g,
                            None => {
                                let mut values = vec![Datum::Null; group_cols.len()];
                                for &k in &self.sets[s] {
                                    values[k] = datum_at(&group_cols[k], group_types[k], row);
                                }
                                self.new_group(key, values, s)
                            }
                        });
                    }
                }
                for &g in &targets {
                    self.update_group(g, row, &arg_cols)?;
                }
            }
        }
        self.done = true;
        if let Some(fast) = self.fast.take() {
            (self.keys, self.accs) = fast.finish(&self.aggs);
        }
        if self.keys.is_empty() && self.groups.is_empty() && self.sets.is_empty() {
            self.keys.push(Vec::new());
            self.accs.push(self.aggs.iter().map(new_acc).collect());
        }
        // An empty grouping set makes its row over no input too.
        for s in 0..self.sets.len() {
            if self.sets[s].is_empty() && !self.group_sets.contains(&s) {
                self.new_group(vec![Key::Int(s as i64)], vec![Datum::Null; self.groups.len()], s);
            }
        }
        let direct = self.direct_arguments(cx)?;
        let mut rows = Vec::with_capacity(self.keys.len());
        let keys = std::mem::take(&mut self.keys);
        let accs = std::mem::take(&mut self.accs);
        for (g, (key, accs)) in keys.into_iter().zip(accs).enumerate() {
            let mut row = key;
            for ((acc, call), direct) in accs.into_iter().zip(&self.aggs).zip(&direct) {
                row.push(if call.func == AggFunc::Grouping {
                    let set = if self.sets.is_empty() { None } else { Some(self.sets[self.group_sets[g]].as_slice()) };
                    grouping_mask(call, set)
                } else if call.func.is_ordered_set() {
                    let Acc::Items(items) = acc else { return Err(Error::internal("ordered-set aggregate state")) };
                    ordered_set::finish(items, call, direct)?
                } else {
                    finish_acc(acc, call)?
                });
            }
            rows.push(row);
        }
        let types: Vec<PgType> = self.groups.iter().map(Expr::ty).chain(self.aggs.iter().map(|a| a.ty)).collect();
        let mut b = from_rows(&rows, &types)?;
        b.rows = rows.len();
        Ok(Step::Batch(b))
    }

    /// Each ordered-set aggregate's direct arguments (none for the
    /// others): they read no column, so one evaluation serves every group.
    fn direct_arguments(&self, cx: &mut ExecCx<'_>) -> Result<Vec<Vec<Datum>>> {
        let row = Batch { columns: Vec::new(), rows: 1 };
        let mut out = Vec::with_capacity(self.aggs.len());
        for a in &self.aggs {
            let mut values = Vec::new();
            if a.func.is_ordered_set() {
                for e in &a.args {
                    values.push(datum_at(&eval_batch(e, &row, cx)?, e.ty(), 0));
                }
            }
            out.push(values);
        }
        Ok(out)
    }

    /// A new group of grouping set `set`: its hash key and key values.
    fn new_group(&mut self, key: Vec<Key>, values: Vec<Datum>, set: usize) -> usize {
        let g = self.keys.len();
        self.keys.push(values);
        self.accs.push(self.aggs.iter().map(new_acc).collect());
        self.group_sets.push(set);
        self.table.insert(key, g);
        g
    }

    /// Add input row `row` to group `g`'s aggregates (`arg_cols`: each
    /// aggregate's argument, FILTER and ORDER BY columns of the batch).
    #[allow(clippy::type_complexity)]
    fn update_group(
        &mut self,
        g: usize,
        row: usize,
        arg_cols: &[(Vec<ArrayRef>, Option<ArrayRef>, Vec<ArrayRef>)],
    ) -> Result<()> {
        for (k, a) in self.aggs.iter().enumerate() {
            let (args, filter, order) = &arg_cols[k];
            if let Some(f) = filter {
                let f = f.as_boolean();
                if !(f.is_valid(row) && f.value(row)) {
                    continue;
                }
            }
            let values: Vec<Datum> = args.iter().zip(&a.args).map(|(c, e)| datum_at(c, e.ty(), row)).collect();
            let order: Vec<Datum> =
                order.iter().zip(&a.order_by).map(|(c, (e, ..))| datum_at(c, e.ty(), row)).collect();
            update_acc(&mut self.accs[g][k], a, &values, order)?;
        }
        Ok(())
    }
}

/// `GROUPING (…)` of a row of grouping set `set` (`None`: a plain GROUP
/// BY, which groups by every key): a bit for each argument the set
/// leaves out, the first argument the highest.
fn grouping_mask(call: &AggCall, set: Option<&[usize]>) -> Datum {
    let mut mask = 0i32;
    for k in &call.grouping {
        mask <<= 1;
        if set.is_some_and(|s| !s.contains(k)) {
            mask |= 1;
        }
    }
    Datum::Int4(mask)
}

fn refs(columns: &[Option<ArrayRef>]) -> Vec<Option<&ArrayRef>> {
    columns.iter().map(Option::as_ref).collect()
}

// ---------------------------------------------------------------------------
// Sorting

/// Pull every batch of `input` into `batches`; `false` when it yielded first
/// (call again to go on).
fn collect_input(input: &mut Node, batches: &mut Vec<Batch>, cx: &mut ExecCx<'_>) -> Result<bool> {
    loop {
        match input.next(cx)? {
            Step::Batch(b) => batches.push(b),
            Step::Yield => return Ok(false),
            Step::Done => return Ok(true),
        }
    }
}

/// The next batch of a fully computed result, from row `at` on.
fn next_slice(output: &mut Option<(Batch, usize)>) -> Step {
    let Some((all, at)) = output.as_mut() else { return Step::Done };
    if *at >= all.rows {
        return Step::Done;
    }
    let n = BATCH_ROWS.min(all.rows - *at);
    let out = all.slice(*at, n);
    *at += n;
    Step::Batch(out)
}

impl SortState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        if self.output.is_none() {
            if !collect_input(&mut self.input, &mut self.batches, cx)? {
                return Ok(Step::Yield);
            }
            let all = Batch::concat(&std::mem::take(&mut self.batches), &self.types)?;
            let keys: Vec<(Vec<Datum>, SortKey)> = self
                .keys
                .iter()
                .map(|k| {
                    ((0..all.rows).map(|i| datum_at(&all.columns[k.column], self.types[k.column], i)).collect(), *k)
                })
                .collect();
            let mut idx: Vec<u32> = (0..all.rows as u32).collect();
            idx.sort_by(|&a, &b| {
                for (vals, k) in &keys {
                    let o = sort_cmp(&vals[a as usize], &vals[b as usize], k.descending, k.nulls_first);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            });
            let sorted = all.take(&UInt32Array::from(idx))?;
            self.output = Some((sorted, 0));
        }
        Ok(next_slice(&mut self.output))
    }
}

// ---------------------------------------------------------------------------
// Set operations

impl SetOpState {
    fn next(&mut self, cx: &mut ExecCx<'_>) -> Result<Step> {
        if self.kind != SetOpKind::Union {
            while !self.right_done {
                match self.right.next(cx)? {
                    Step::Batch(b) => {
                        for i in 0..b.rows {
                            *self.right_counts.entry(row_key(&b.columns, &self.types, i)).or_default() += 1;
                        }
                    }
                    Step::Yield => return Ok(Step::Yield),
                    Step::Done => self.right_done = true,
                }
            }
        }
        loop {
            let b = if !self.left_done {
                match self.left.next(cx)? {
                    Step::Batch(b) => b,
                    Step::Yield => return Ok(Step::Yield),
                    Step::Done => {
                        self.left_done = true;
                        continue;
                    }
                }
            } else if self.kind == SetOpKind::Union && !self.right_done {
                match self.right.next(cx)? {
                    Step::Batch(b) => b,
                    Step::Yield => return Ok(Step::Yield),
                    Step::Done => {
                        self.right_done = true;
                        return Ok(Step::Done);
                    }
                }
            } else {
                return Ok(Step::Done);
            };
            let mut keep = Vec::with_capacity(b.rows);
            for i in 0..b.rows {
                let k = row_key(&b.columns, &self.types, i);
                let yes = match (self.kind, self.all) {
                    (SetOpKind::Union, true) => true,
                    (SetOpKind::Union, false) => self.emitted.insert(k),
                    (SetOpKind::Intersect, true) => match self.right_counts.get_mut(&k) {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            true
                        }
                        _ => false,
                    },
                    (SetOpKind::Intersect, false) => self.right_counts.contains_key(&k) && self.emitted.insert(k),
                    (SetOpKind::Except, true) => match self.right_counts.get_mut(&k) {
                        Some(n) if *n > 0 => {
                            *n -= 1;
                            false
                        }
                        _ => true,
                    },
                    (SetOpKind::Except, false) => !self.right_counts.contains_key(&k) && self.emitted.insert(k),
                };
                keep.push(yes);
            }
            let b = b.filter(&BooleanArray::from(keep))?;
            if b.rows > 0 {
                return Ok(Step::Batch(b));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Statements

/// What a data-changing statement does to each row its source produces.
#[derive(Debug, Clone)]
pub enum ModifyKind {
    /// Source rows are the new rows, in table column order.
    Insert,
    /// `INSERT … ON CONFLICT`: as `Insert`, rows whose key is taken
    /// being skipped or updating the row that has it.
    Upsert(Arc<OnConflict>),
    /// Source rows are `ctid` then the new values of every column (then,
    /// for UPDATE … FROM, the joined FROM items' columns).
    Update(Option<Arc<Joined>>),
    /// Source rows are `ctid` (then, for DELETE … USING, the joined USING
    /// items' columns).
    Delete(Option<Arc<Joined>>),
    /// `SELECT … FOR UPDATE`: source rows are `ctid`; each row is locked,
    /// and the RETURNING list is the select list. `nowait`: a row another
    /// transaction holds is an error; `skip_locked`: it is skipped. OFFSET
    /// and LIMIT count locked rows (those OFFSET passes over are locked too).
    /// `strength`: the lock's (FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE or
    /// FOR KEY SHARE).
    Lock { nowait: bool, skip_locked: bool, offset: Option<Expr>, count: Option<Expr>, strength: crate::txn::RowLock },
}

impl ModifyKind {
    /// UPDATE … FROM or DELETE … USING: what the source rows carry besides the target's.
    pub fn joined(&self) -> Option<&Joined> {
        match self {
            ModifyKind::Update(j) | ModifyKind::Delete(j) => j.as_deref(),
            _ => None,
        }
    }
}

/// UPDATE … FROM and DELETE … USING: each source row carries, after the
/// target row's part, the columns of the FROM (USING) items it was joined
/// with (`types`), as PostgreSQL's plan carries them up to its ModifyTable
/// node. The *joined row* is the target's columns, its `ctid`, then those
/// columns: `condition` (the WHERE clause) and the RETURNING list read it.
/// A target row that a concurrent transaction changed is checked again in
/// its newest version joined with the same FROM row (READ COMMITTED).
#[derive(Debug)]
pub struct Joined {
    pub types: Vec<PgType>,
    pub condition: Option<Expr>,
    /// The target's system columns are in the joined row (see `Plan::Scan`).
    pub system: bool,
}

/// A running query or data-changing statement.
pub struct QueryExec {
    node: Node,
    types: Vec<PgType>,
    /// How many leading columns are the result (the rest are sort keys).
    visible: usize,
    catalog: Arc<Catalog>,
    snapshot: Snapshot,
    xid: u64,
    cid: u32,
    state: SharedState,
    /// The batch being sent and the next row of it.
    pending: Option<(Batch, usize)>,
    modify: Option<Modify>,
}

struct Modify {
    kind: ModifyKind,
    table: Arc<Table>,
    desc: crate::storage::heap::tuple::TupleDesc,
    returning: Option<Vec<Expr>>,
    /// The RETURNING list (or a locking SELECT's select list) reads the
    /// changed versions' system columns: its rows carry them after the
    /// table's columns (see `Plan::Scan`).
    returning_system: bool,
    /// RETURNING rows, sent once every row has been changed.
    output: Vec<Batch>,
    count: u64,
    done: bool,
    /// How to re-check a concurrently changed row (READ COMMITTED only).
    recheck: Option<Recheck>,
    /// SELECT FOR UPDATE: locked rows still to pass over (OFFSET) and to
    /// return (LIMIT), once evaluated.
    window: Option<(u64, Option<u64>)>,
    /// The LIMIT is reached: no more source rows are wanted.
    full: bool,
    /// The foreign keys the changed rows must keep (none: no checks).
    fks: Option<foreign_key::FkChecks>,
    /// The transaction runs at READ COMMITTED (a row changed concurrently
    /// is looked at again rather than refused).
    read_committed: bool,
}

/// The parts of an UPDATE's or DELETE's source plan that decide whether a
/// row is changed and into what: the scan's filter and the projection
/// (`ctid`, then the new values), both over the table's row and `ctid`
/// (with FROM items: over the joined row, see [`Joined`]).
struct Recheck {
    filter: Option<Expr>,
    exprs: Vec<Expr>,
    /// The types of the FROM items' columns in the joined row.
    joined: Vec<PgType>,
    /// The table's system columns follow its columns (see `Plan::Scan`).
    system: bool,
}

impl Recheck {
    fn of(plan: &Plan, kind: &ModifyKind) -> Option<Recheck> {
        // A statement with materialized CTEs: they are there when a row is re-checked.
        let plan = match plan {
            Plan::With { input, .. } => input,
            other => other,
        };
        let Plan::Project { input, exprs } = plan else { return None };
        if let Some(j) = kind.joined() {
            // `ctid`, the new values (an UPDATE), the FROM items' columns.
            let values = exprs.len().checked_sub(1 + j.types.len())?;
            let exprs = exprs[1..1 + values].to_vec();
            return Some(Recheck { filter: j.condition.clone(), exprs, joined: j.types.clone(), system: j.system });
        }
        // SELECT FOR UPDATE … ORDER BY: the rows are sorted before they are locked.
        let input = match input.as_ref() {
            Plan::Sort { input, .. } => input,
            other => other,
        };
        match input {
            Plan::Scan { filter, system, .. } | Plan::IndexScan { filter, system, .. } => Some(Recheck {
                filter: filter.clone(),
                exprs: exprs[1..].to_vec(),
                joined: Vec::new(),
                system: *system,
            }),
            _ => None,
        }
    }

    /// The new values for the row version `values` at `tid` (joined with
    /// the FROM items' columns `joined`) if it still satisfies the filter
    /// (for a DELETE: an empty list), else `None`.
    fn apply(
        &self,
        table: &Table,
        values: &[Datum],
        tid: Tid,
        joined: &[Datum],
        cx: &mut ExecCx<'_>,
    ) -> Result<Option<Vec<Datum>>> {
        let mut types: Vec<PgType> = table.columns.iter().map(|c| c.ty).collect();
        let mut row = values.to_vec();
        if self.system {
            types.extend(crate::sql::plan::system_column_types());
            row.extend(cx.catalog.system_values(table, tid)?);
        }
        types.push(PgType::Int8);
        types.extend_from_slice(&self.joined);
        row.push(Datum::Int8(ctid_value(tid)));
        row.extend_from_slice(joined);
        let b = from_rows(&[row], &types)?;
        let b = Batch::new(b.columns, 1);
        if let Some(f) = &self.filter {
            if filter_batch(b.clone(), f, cx)?.rows == 0 {
                return Ok(None);
            }
        }
        let mut out = Vec::with_capacity(self.exprs.len());
        for e in &self.exprs {
            let col = eval_batch(e, &b, cx)?;
            out.push(datum_at(&col, e.ty(), 0));
        }
        Ok(Some(out))
    }
}

/// The value of a LIMIT or OFFSET expression: `None` for NULL (no limit).
fn window_value(e: &Option<Expr>, cx: &mut ExecCx<'_>, what: &str) -> Result<Option<u64>> {
    let Some(e) = e else { return Ok(None) };
    match eval(e, cx.eval)? {
        Datum::Null => Ok(None),
        Datum::Int8(n) if n >= 0 => Ok(Some(n as u64)),
        _ if what == "LIMIT" => Err(err!(SqlState::INVALID_ROW_COUNT_IN_LIMIT, "LIMIT must not be negative")),
        _ => Err(err!(SqlState::INVALID_ROW_COUNT_IN_RESULT_OFFSET, "OFFSET must not be negative")),
    }
}

fn concurrent_change(deleted: bool) -> Error {
    let what = if deleted { "delete" } else { "update" };
    err!(SqlState::T_R_SERIALIZATION_FAILURE, "could not serialize access due to concurrent {what}")
}

impl std::fmt::Debug for QueryExec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QueryExec")
    }
}

/// The state of a running statement.
#[derive(Debug)]
pub enum Executor {
    Query(Box<QueryExec>),
    /// Precomputed rows (SHOW, EXPLAIN).
    Values {
        rows: std::vec::IntoIter<Vec<Datum>>,
    },
    Explain(Box<ExplainAnalyze>),
}

pub struct Start<'a> {
    pub plan: &'a Plan,
    pub visible: usize,
    pub catalog: Arc<Catalog>,
    pub snapshot: Snapshot,
    pub xid: u64,
    pub cid: u32,
    /// Count every operator's rows and time here (EXPLAIN ANALYZE).
    pub timing: Option<Timing>,
    /// The data-modifying CTEs of the plan.
    pub writes: Vec<CteWriteSetup>,
}

/// EXPLAIN ANALYZE: the statement runs to its end (its rows discarded),
/// then the plan is printed with what each operator did.
pub struct ExplainAnalyze {
    pub inner: Option<Box<Executor>>,
    pub plan: Arc<Plan>,
    pub top: Option<String>,
    pub stats: Timing,
    pub timing: bool,
    pub summary: bool,
    /// Each node's estimate (by node address), when EXPLAIN prints costs.
    pub estimates: Option<std::collections::HashMap<usize, super::costsize::Estimate>>,
    /// VERBOSE: the schema names of the plan's tables, by namespace OID.
    pub schemas: Option<std::collections::HashMap<u32, String>>,
    pub lines: std::vec::IntoIter<Vec<Datum>>,
}

impl std::fmt::Debug for ExplainAnalyze {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExplainAnalyze")
    }
}

struct Discard;

impl RowSink for Discard {
    fn push_row(&mut self, _row: &[Datum]) -> Result<bool> {
        Ok(false)
    }
}

impl Executor {
    pub fn query(s: Start<'_>) -> Result<Executor> {
        Ok(Executor::Query(Box::new(QueryExec::new(s, None)?)))
    }

    /// A data-changing statement over `source` rows.
    /// A data-changing statement over `source` rows. Under READ COMMITTED
    /// (`recheck`), a row another transaction changed meanwhile is looked
    /// at again in its newest version, as PostgreSQL's EvalPlanQual does.
    pub fn modify(
        s: Start<'_>,
        kind: ModifyKind,
        table: Arc<Table>,
        returning: Option<Vec<Expr>>,
        recheck: bool,
        fks: Option<foreign_key::FkChecks>,
    ) -> Result<Executor> {
        let read_committed = recheck;
        let recheck = if recheck { Recheck::of(s.plan, &kind) } else { None };
        let mut modify = Modify::new(kind, table, returning, recheck, fks);
        modify.read_committed = read_committed;
        Ok(Executor::Query(Box::new(QueryExec::new(s, Some(modify))?)))
    }

    /// What the statement's data-modifying CTEs changed: table, kind, rows.
    pub fn cte_changes(&self) -> Vec<(Arc<Table>, ModifyKind, u64)> {
        match self {
            Executor::Query(q) => q.state.written.clone(),
            Executor::Values { .. } | Executor::Explain(_) => Vec::new(),
        }
    }

    /// The HOT updates the statement made (its CTEs' too), by table.
    pub fn hot_updates(&self) -> Vec<(Arc<Table>, u64)> {
        match self {
            Executor::Query(q) => q.state.hot_updates.clone(),
            Executor::Values { .. } | Executor::Explain(_) => Vec::new(),
        }
    }

    /// Rows changed by a data-changing statement.
    pub fn modified(&self) -> Option<u64> {
        match self {
            Executor::Query(q) => q.modify.as_ref().map(|m| m.count),
            Executor::Values { .. } | Executor::Explain(_) => None,
        }
    }

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
        if let Executor::Explain(e) = self {
            if let Some(mut inner) = e.inner.take() {
                let started = std::time::Instant::now();
                let mut discarded = 0;
                while inner.run(ctx, &mut Discard, 0, &mut discarded, arena)? != Progress::Done {}
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                let stats = e.stats.lock().clone();
                let options = super::explain::Options {
                    stats: Some(&stats),
                    timing: e.timing,
                    costs: e.estimates.as_ref(),
                    schemas: e.schemas.as_ref(),
                };
                let mut lines = super::explain::explain(&e.plan, e.top.clone(), &options);
                if e.summary {
                    lines.push(format!("Execution Time: {ms:.3} ms"));
                }
                e.lines = lines.into_iter().map(|l| vec![Datum::Text(l)]).collect::<Vec<_>>().into_iter();
            }
        }
        match self {
            Executor::Values { rows } => emit_values(rows, sink, limit, produced),
            Executor::Explain(e) => emit_values(&mut e.lines, sink, limit, produced),
            Executor::Query(q) => q.run(ctx, sink, limit, produced, arena),
        }
    }
}

fn emit_values(
    rows: &mut std::vec::IntoIter<Vec<Datum>>,
    sink: &mut dyn RowSink,
    limit: usize,
    produced: &mut u64,
) -> Result<Progress> {
    let mut this_call = 0;
    loop {
        if limit != 0 && this_call >= limit {
            return Ok(Progress::Suspended);
        }
        let Some(r) = rows.next() else { return Ok(Progress::Done) };
        *produced += 1;
        this_call += 1;
        if sink.push_row(&r)? {
            return Ok(Progress::SinkFull);
        }
    }
}

impl QueryExec {
    fn new(s: Start<'_>, modify: Option<Modify>) -> Result<QueryExec> {
        // A data-changing statement's result is its RETURNING list.
        let (types, visible) = match &modify {
            Some(m) => {
                let r = m.returning.as_deref().unwrap_or(&[]);
                (r.iter().map(Expr::ty).collect(), r.len())
            }
            None => (s.plan.types(), s.visible),
        };
        Ok(QueryExec {
            node: Node::build_with(s.plan, s.timing.as_ref())?,
            types,
            visible,
            catalog: s.catalog,
            snapshot: s.snapshot,
            xid: s.xid,
            cid: s.cid,
            state: SharedState {
                write_setups: s.writes.into_iter().map(|w| (w.id, w)).collect(),
                ..SharedState::default()
            },
            pending: None,
            modify,
        })
    }

    fn run(
        &mut self,
        ctx: &mut dyn EvalContext,
        sink: &mut dyn RowSink,
        limit: usize,
        produced: &mut u64,
        arena: &bumpalo::Bump,
    ) -> Result<Progress> {
        let catalog = self.catalog.clone();
        let mut cx = ExecCx {
            eval: ctx,
            catalog: &catalog,
            snapshot: &self.snapshot,
            xid: self.xid,
            cid: self.cid,
            state: &mut self.state,
            blocks_read: 0,
            may_yield: true,
        };
        if let Some(m) = self.modify.as_mut() {
            if !m.done {
                loop {
                    match self.node.next(&mut cx)? {
                        Step::Batch(b) => {
                            m.apply(b, &mut cx)?;
                            if m.full {
                                break;
                            }
                        }
                        Step::Yield => return Ok(Progress::SinkFull),
                        Step::Done => break,
                    }
                }
                m.check_foreign_keys(&mut cx)?;
                m.done = true;
                m.output.reverse();
            }
        }
        let mut this_call = 0usize;
        let mut row = bumpalo::collections::Vec::new_in(arena);
        loop {
            if self.pending.as_ref().is_none_or(|(b, at)| *at >= b.rows) {
                let next = match self.modify.as_mut() {
                    Some(m) => m.output.pop().map(Step::Batch).unwrap_or(Step::Done),
                    None => self.node.next(&mut cx)?,
                };
                match next {
                    Step::Batch(b) => {
                        self.pending = Some((b, 0));
                        continue;
                    }
                    Step::Yield => return Ok(Progress::SinkFull),
                    Step::Done => return Ok(Progress::Done),
                }
            }
            let Some((b, at)) = self.pending.as_mut() else { continue };
            while *at < b.rows {
                if limit != 0 && this_call >= limit {
                    return Ok(Progress::Suspended);
                }
                cx.eval.check_interrupts()?;
                row.clear();
                for c in 0..self.visible {
                    row.push(datum_at(&b.columns[c], self.types[c], *at));
                }
                *at += 1;
                *produced += 1;
                this_call += 1;
                if sink.push_row(&row)? {
                    return Ok(Progress::SinkFull);
                }
            }
        }
    }
}

/// A HOT update of a row of `table` (for `n_tup_hot_upd`).
fn count_hot_update(state: &mut SharedState, table: &Arc<Table>) {
    match state.hot_updates.iter_mut().find(|(t, _)| t.oid == table.oid) {
        Some((_, n)) => *n += 1,
        None => state.hot_updates.push((table.clone(), 1)),
    }
}

impl Modify {
    fn new(
        kind: ModifyKind,
        table: Arc<Table>,
        returning: Option<Vec<Expr>>,
        recheck: Option<Recheck>,
        fks: Option<foreign_key::FkChecks>,
    ) -> Modify {
        let returning_system = match kind.joined() {
            Some(j) => j.system,
            None => returning.as_ref().is_some_and(|exprs| {
                let mut past = false;
                let width = table.columns.len();
                exprs.iter().for_each(|e| e.walk(&mut |x| past |= matches!(x, Expr::Column(i, _) if *i >= width)));
                past
            }),
        };
        Modify {
            kind,
            desc: table.desc(),
            table,
            returning,
            returning_system,
            output: Vec::new(),
            count: 0,
            done: false,
            recheck,
            window: None,
            full: false,
            fks: fks.filter(|f| !f.is_empty()),
            read_committed: false,
        }
    }

    /// Once every row is changed: the foreign keys the changes must keep.
    fn check_foreign_keys(&mut self, cx: &mut ExecCx<'_>) -> Result<()> {
        let Some(fks) = self.fks.as_mut() else { return Ok(()) };
        fks.run_actions(cx)?;
        let (catalog, pid, xid) = (cx.catalog, cx.eval.backend_pid(), cx.xid);
        let eval = &mut *cx.eval;
        let mut wait = |other: u64| wait_until_ended(catalog, pid, other, &mut || eval.check_interrupts());
        fks.run(catalog, &self.table, cx.snapshot, (pid, xid), &mut wait)
    }

    /// Update the row version at `tid` to `values` (a DELETE: delete it),
    /// waiting for a transaction that is changing it, and under READ
    /// COMMITTED following a committed change to the row's newest version
    /// and checking that again. The address of the version replaced, that
    /// of the new one (a DELETE: the same) and the values written; `None`
    /// if the row is skipped.
    #[allow(clippy::type_complexity)]
    fn change(
        &self,
        cx: &mut ExecCx<'_>,
        mut tid: Tid,
        mut values: Vec<Datum>,
        joined: &[Datum],
    ) -> Result<Option<(Tid, Tid, Vec<Datum>, bool)>> {
        let delete = matches!(self.kind, ModifyKind::Delete(_));
        loop {
            let result = if let ModifyKind::Lock { strength, .. } = self.kind {
                cx.catalog.lock_row_as(&self.table, tid, cx.xid, strength)?
            } else if delete {
                cx.catalog.delete_row(&self.table, tid, cx.xid, cx.cid)?
            } else {
                check_not_null(&self.table, &values)?;
                check_constraints(&self.table, &values, cx.eval)?;
                let stored = super::reg_column::to_stored(&self.table, &values, cx.eval)?;
                cx.catalog.update_row(&self.table, &self.desc, tid, &stored, cx.xid, cx.cid)?
            };
            match result {
                RowChange::Done(at) => return Ok(Some((tid, at, values, false))),
                // A heap-only new version: no index entries to add.
                RowChange::DoneHot(at) => return Ok(Some((tid, at, values, true))),
                RowChange::SelfModified => return Ok(None),
                RowChange::Wait(_) if matches!(self.kind, ModifyKind::Lock { skip_locked: true, .. }) => {
                    return Ok(None);
                }
                RowChange::Wait(_) if matches!(self.kind, ModifyKind::Lock { nowait: true, .. }) => {
                    return Err(err!(
                        SqlState::LOCK_NOT_AVAILABLE,
                        "could not obtain lock on row in relation \"{}\"",
                        self.table.name
                    ));
                }
                RowChange::Wait(other) => wait_for_row_holder(cx, other)?,
                RowChange::Modified { newer } => {
                    let Some(recheck) = &self.recheck else { return Err(concurrent_change(newer.is_none())) };
                    let Some(newer) = newer else { return Ok(None) };
                    let strength = match self.kind {
                        ModifyKind::Lock { strength, .. } => strength,
                        _ => crate::txn::RowLock::Update,
                    };
                    match cx.catalog.newest_version_as(&self.table, newer, cx.xid, strength)? {
                        NewestVersion::Gone => return Ok(None),
                        NewestVersion::Wait(other) => {
                            wait_for_row_holder(cx, other)?;
                            tid = newer;
                            // Look at the version again after the wait.
                            let row = fetch_named(cx, &self.table, tid)?;
                            match recheck.apply(&self.table, &row, tid, joined, cx)? {
                                Some(v) => values = v,
                                None => return Ok(None),
                            }
                        }
                        NewestVersion::At(at, mut row) => {
                            super::reg_column::from_stored(&self.table, &mut row, cx.eval)?;
                            match recheck.apply(&self.table, &row, at, joined, cx)? {
                                Some(v) => {
                                    tid = at;
                                    values = v;
                                }
                                None => return Ok(None),
                            }
                        }
                    }
                }
            }
        }
    }

    fn apply(&mut self, b: Batch, cx: &mut ExecCx<'_>) -> Result<()> {
        let table = self.table.clone();
        let types: Vec<PgType> = table.columns.iter().map(|c| c.ty).collect();
        let first = match self.kind {
            ModifyKind::Insert | ModifyKind::Upsert(_) => 0,
            ModifyKind::Update(_) | ModifyKind::Delete(_) | ModifyKind::Lock { .. } => 1,
        };
        // UPDATE … FROM, DELETE … USING: the FROM items' columns follow.
        let joined_types = self.kind.joined().map(|j| j.types.clone()).unwrap_or_default();
        let joined_system = self.kind.joined().is_some_and(|j| j.system);
        let returning_system = self.returning_system && self.returning.is_some();
        let joined_at = match self.kind {
            ModifyKind::Update(_) => first + types.len(),
            _ => first,
        };
        let mut returned = Vec::new();
        for row in 0..b.rows {
            cx.eval.check_interrupts()?;
            let tid = if first == 1 { Some(tid_of(b.columns[0].as_primitive::<Int64Type>().value(row))) } else { None };
            let values: Vec<Datum> = match self.kind {
                ModifyKind::Delete(_) | ModifyKind::Lock { .. } => Vec::new(),
                _ => types.iter().enumerate().map(|(i, t)| datum_at(&b.columns[first + i], *t, row)).collect(),
            };
            let joined: Vec<Datum> =
                joined_types.iter().enumerate().map(|(i, t)| datum_at(&b.columns[joined_at + i], *t, row)).collect();
            // A RETURNING row: the target's values, the version's system
            // columns if the list reads them, then (with FROM items) the
            // rest of the joined row.
            let returned_row = |mut values: Vec<Datum>, at: Tid, cx: &ExecCx<'_>| -> Result<Vec<Datum>> {
                if returning_system {
                    values.extend(cx.catalog.system_values(&table, at)?);
                }
                if joined_system || !joined_types.is_empty() {
                    values.push(Datum::Int8(ctid_value(at)));
                    values.extend_from_slice(&joined);
                }
                Ok(values)
            };
            match (&self.kind, tid) {
                (ModifyKind::Insert, _) => {
                    let at = insert_row(cx.catalog, cx.eval, &table, &self.desc, &values, (cx.xid, cx.cid))
                        .map_err(InsertError::into_error)?;
                    if let Some(fks) = self.fks.as_mut() {
                        fks.row_inserted(&values);
                    }
                    self.count += 1;
                    if self.returning.is_some() {
                        returned.push(returned_row(values, at, cx)?);
                    }
                    continue;
                }
                (ModifyKind::Upsert(oc), _) => {
                    let oc = oc.clone();
                    match self.upsert(cx, &oc, values)? {
                        on_conflict::Upserted::Inserted(values) => {
                            if let Some(fks) = self.fks.as_mut() {
                                fks.row_inserted(&values);
                            }
                            self.count += 1;
                            if self.returning.is_some() {
                                returned.push(values);
                            }
                        }
                        on_conflict::Upserted::Updated { old, new } => {
                            if let Some(fks) = self.fks.as_mut() {
                                fks.row_updated(&old, &new);
                            }
                            self.count += 1;
                            if self.returning.is_some() {
                                returned.push(new);
                            }
                        }
                        on_conflict::Upserted::Skipped => {}
                    }
                    continue;
                }
                (ModifyKind::Update(_), Some(tid)) => {
                    let Some((replaced, new, values, hot)) = self.change(cx, tid, values.clone(), &joined)? else {
                        continue;
                    };
                    let old = match (table.indexes.is_empty() || hot) && self.fks.is_none() {
                        true => None,
                        false => Some(fetch_named(cx, &table, replaced)?),
                    };
                    if hot {
                        count_hot_update(cx.state, &table);
                    } else {
                        insert_index_entries(cx.catalog, cx.eval, cx.xid, &table, &values, old.as_deref(), new)?;
                    }
                    if let (Some(fks), Some(old)) = (self.fks.as_mut(), old.as_deref()) {
                        fks.row_updated(old, &values);
                    }
                    self.count += 1;
                    if self.returning.is_some() {
                        returned.push(returned_row(values, new, cx)?);
                    }
                }
                (ModifyKind::Lock { offset, count, .. }, Some(tid)) => {
                    if self.window.is_none() {
                        self.window =
                            Some((window_value(offset, cx, "OFFSET")?.unwrap_or(0), window_value(count, cx, "LIMIT")?));
                    }
                    if self.window.is_some_and(|w| w.1 == Some(0)) {
                        self.full = true;
                        break;
                    }
                    let Some((locked, ..)) = self.change(cx, tid, Vec::new(), &[])? else { continue };
                    let Some((skip, left)) = self.window.as_mut() else { continue };
                    if *skip > 0 {
                        *skip -= 1;
                        continue;
                    }
                    let row = fetch_named(cx, &table, locked)?;
                    returned.push(returned_row(row, locked, cx)?);
                    self.count += 1;
                    if let Some(left) = left {
                        *left -= 1;
                        if *left == 0 {
                            self.full = true;
                            break;
                        }
                    }
                    continue;
                }
                (ModifyKind::Delete(_), Some(tid)) => {
                    let Some((deleted, ..)) = self.change(cx, tid, Vec::new(), &joined)? else { continue };
                    if self.returning.is_some() || self.fks.is_some() {
                        let old = fetch_named(cx, &table, deleted)?;
                        if let Some(fks) = self.fks.as_mut() {
                            fks.row_deleted(&old);
                        }
                        if self.returning.is_some() {
                            returned.push(returned_row(old, deleted, cx)?);
                        }
                    }
                    self.count += 1;
                    continue;
                }
                _ => return Err(Error::internal("modify row without its address")),
            }
        }
        if let Some(exprs) = &self.returning {
            if !returned.is_empty() {
                let mut types = types;
                if returning_system {
                    types.extend(crate::sql::plan::system_column_types());
                }
                if joined_system || !joined_types.is_empty() {
                    types.push(PgType::Int8);
                    types.extend(joined_types);
                }
                let rows = from_rows(&returned, &types)?;
                let rows = Batch::new(rows.columns, returned.len());
                let cols: Vec<ArrayRef> = exprs.iter().map(|e| eval_batch(e, &rows, cx)).collect::<Result<_>>()?;
                self.output.push(Batch::new(cols, rows.rows));
            }
        }
        Ok(())
    }
}

/// Row `tid` of `table` as the executor holds it (OID alias columns as
/// names, see [`super::reg_column`]).
fn fetch_named(cx: &mut ExecCx<'_>, table: &Table, tid: Tid) -> Result<Vec<Datum>> {
    let mut row = cx.catalog.fetch_row(table, tid)?;
    super::reg_column::from_stored(table, &mut row, cx.eval)?;
    Ok(row)
}

/// Give a new tuple version its index entries (a unique index may wait
/// for another transaction that holds the same key). `old`: the values of
/// the version an UPDATE replaced.
fn insert_index_entries(
    catalog: &Catalog,
    eval: &mut dyn EvalContext,
    xid: u64,
    table: &Table,
    values: &[Datum],
    old: Option<&[Datum]>,
    tid: Tid,
) -> Result<()> {
    if table.indexes.is_empty() {
        return Ok(());
    }
    let values = &*super::reg_column::to_stored(table, values, eval)?;
    let old = match old {
        Some(old) => Some(super::reg_column::to_stored(table, old, eval)?),
        None => None,
    };
    let old = old.as_deref();
    let pid = eval.backend_pid();
    let mut deferred = Vec::new();
    {
        let mut wait = |other: u64| wait_until_ended(catalog, pid, other, &mut || eval.check_interrupts());
        catalog.insert_index_entries(table, values, old, tid, xid, &mut wait, &mut deferred)?;
    }
    defer_unique_checks(eval, table, values, tid, &deferred)
}

/// Queue the checks that deferrable unique indexes put off for the new
/// version `tid` of a row of `table` (see [`deferred`]); with no queue to
/// put them in, the duplicate is an error now.
fn defer_unique_checks(
    eval: &mut dyn EvalContext,
    table: &Table,
    values: &[Datum],
    tid: Tid,
    indexes: &[u32],
) -> Result<()> {
    for &oid in indexes {
        let Some(index) = table.indexes.iter().find(|i| i.oid == oid) else { continue };
        let Some(pending) = eval.pending_checks() else {
            return Err(crate::catalog::unique_violation(index, table, values));
        };
        let check = deferred::PendingCheck::Unique { table: table.oid, index: oid, tid, deferral: index.deferral };
        pending.lock().map_err(|_| Error::internal("deferred checks poisoned"))?.push(check);
    }
    Ok(())
}

/// Wait for the holder `xid` of a row lock this statement wants to end
/// or to be committing (see [`crate::txn`]).
fn wait_for_row_holder(cx: &mut ExecCx<'_>, xid: u64) -> Result<()> {
    let (catalog, pid, me) = (cx.catalog, cx.eval.backend_pid(), cx.xid);
    let eval = &mut *cx.eval;
    catalog.wait_for_row_holder(pid, me, xid, &mut || eval.check_interrupts())
}

fn wait_for_transaction(cx: &mut ExecCx<'_>, xid: u64) -> Result<()> {
    let (catalog, pid) = (cx.catalog, cx.eval.backend_pid());
    let eval = &mut *cx.eval;
    wait_until_ended(catalog, pid, xid, &mut || eval.check_interrupts())
}

/// Wait for transaction `xid` to end (suspending the statement, see
/// [`crate::txn::wait`]), checking for cancel and timeouts whenever it
/// wakes; a wait that closes a cycle of waits fails with 40P01.
pub fn wait_until_ended(
    catalog: &Catalog,
    pid: i32,
    xid: u64,
    interrupted: &mut dyn FnMut() -> Result<()>,
) -> Result<()> {
    catalog.wait_for_transaction(pid, xid, interrupted)
}

/// Where a row stored by [`insert_row`] failed: its NOT NULL check, or
/// storing it (the heap tuple or its index entries).
pub enum InsertError {
    Check(Error),
    Store(Error),
}

impl InsertError {
    pub fn into_error(self) -> Error {
        match self {
            InsertError::Check(e) | InsertError::Store(e) => e,
        }
    }
}

/// Insert one new row as INSERT does (COPY FROM stores rows through here):
/// NOT NULL checks, the heap tuple, then its index entries, whose unique
/// checks may wait for another transaction holding the same key.
pub fn insert_row(
    catalog: &Catalog,
    eval: &mut dyn EvalContext,
    table: &Table,
    desc: &crate::storage::heap::tuple::TupleDesc,
    values: &[Datum],
    (xid, cid): (u64, u32),
) -> std::result::Result<Tid, InsertError> {
    check_not_null(table, values).map_err(InsertError::Check)?;
    check_constraints(table, values, eval).map_err(InsertError::Check)?;
    let stored = super::reg_column::to_stored(table, values, eval).map_err(InsertError::Check)?;
    let tid = catalog.insert_row(table, desc, &stored, xid, cid).map_err(InsertError::Store)?;
    insert_index_entries(catalog, eval, xid, table, values, None, tid).map_err(InsertError::Store)?;
    Ok(tid)
}

/// The constraints of the domains of `table`'s columns, then the CHECK
/// constraints of `table` for the row `values` (after its NOT NULL
/// checks, as PostgreSQL orders them): 23514 for the first, in name
/// order, that it fails.
pub fn check_constraints(table: &Table, values: &[Datum], eval: &mut dyn EvalContext) -> Result<()> {
    for (v, c) in values.iter().zip(&table.columns) {
        if let (Some(d), false) = (&c.domain, c.dropped) {
            d.check(v, eval)?;
        }
    }
    if table.checks.is_empty() {
        return Ok(());
    }
    let mut row = RowOver { inner: eval, row: values };
    for c in &table.checks {
        if !c.passes(&mut row)? {
            return Err(crate::catalog::check_violation(table, c, values));
        }
    }
    Ok(())
}

/// Evaluation over one row given whole (a CHECK constraint's, a COPY
/// FROM … WHERE row's, a rewritten row's), with everything else from the
/// statement's context.
pub struct RowOver<'a, 'b> {
    pub inner: &'a mut (dyn EvalContext + 'b),
    pub row: &'a [Datum],
}

impl EvalContext for RowOver<'_, '_> {
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
    fn time_zone(&self) -> crate::sql::datetime::TimeZone {
        self.inner.time_zone()
    }
    fn bytea_output(&self) -> crate::sql::types::ByteaOutput {
        self.inner.bytea_output()
    }
    fn transaction_timestamp(&self) -> i64 {
        self.inner.transaction_timestamp()
    }
    fn statement_timestamp(&self) -> i64 {
        self.inner.statement_timestamp()
    }
    fn pending_checks(&self) -> Option<deferred::SharedPending> {
        self.inner.pending_checks()
    }
    fn advisory(&mut self, op: crate::sql::func::AdvisoryOp, shared: bool, key: Option<(u64, bool)>) -> Result<Datum> {
        self.inner.advisory(op, shared, key)
    }
    fn session_user(&self) -> Result<&str> {
        self.inner.session_user()
    }
    fn authorization_user(&self) -> Result<&str> {
        self.inner.authorization_user()
    }
    fn role_name(&self, oid: u32) -> Result<Option<String>> {
        self.inner.role_name(oid)
    }
    fn role_oid(&self, name: &str) -> Result<Option<u32>> {
        self.inner.role_oid(name)
    }
    fn role_member_of(&self, oid: u32) -> Result<Vec<u32>> {
        self.inner.role_member_of(oid)
    }
    fn role_is_superuser(&self, oid: u32) -> Result<Option<bool>> {
        self.inner.role_is_superuser(oid)
    }
    fn current_database(&self) -> Result<&str> {
        self.inner.current_database()
    }
    fn blocking_pids(&self, pid: i32, safe_snapshot: bool) -> Result<Vec<i32>> {
        self.inner.blocking_pids(pid, safe_snapshot)
    }
    fn sequence(&mut self, func: crate::sql::func::SeqFunc, args: &[Datum]) -> Result<Datum> {
        self.inner.sequence(func, args)
    }
    fn signal_backend(&mut self, pid: i32, terminate: bool, timeout_ms: i64) -> Result<bool> {
        self.inner.signal_backend(pid, terminate, timeout_ms)
    }
    fn serial_sequence(&self, table: &str, column: &str) -> Result<Option<String>> {
        self.inner.serial_sequence(table, column)
    }
    fn relation_oid(&self, name: &str) -> Result<Option<u32>> {
        self.inner.relation_oid(name)
    }
    fn privilege(
        &self,
        role: u32,
        object: crate::catalog::privileges::PrivObject,
        any: &[char],
        grant_option: bool,
    ) -> Result<Option<bool>> {
        self.inner.privilege(role, object, any, grant_option)
    }
    fn object_oid(&self, on: crate::sql::func::PrivilegeOn, name: &str) -> Result<Option<u32>> {
        self.inner.object_oid(on, name)
    }
    fn user_type_info(&self, oid: u32) -> Result<Option<crate::catalog::enums::TypeInfo>> {
        self.inner.user_type_info(oid)
    }
    fn enum_labels(&self, oid: u32) -> Result<crate::sql::enums::EnumLabels> {
        self.inner.enum_labels(oid)
    }
    fn row_type(&self, oid: u32) -> Result<Arc<crate::sql::record::RowType>> {
        self.inner.row_type(oid)
    }
    fn relation_name(&self, oid: u32) -> Result<Option<String>> {
        self.inner.relation_name(oid)
    }
    fn reg_in(&self, kind: super::regtypes::RegKind, text: &str) -> Result<crate::catalog::regtypes::RegLookup> {
        self.inner.reg_in(kind, text)
    }
    fn reg_out(&self, kind: super::regtypes::RegKind, oid: u32) -> Result<String> {
        self.inner.reg_out(kind, oid)
    }
    fn top_xid(&mut self, assign: bool) -> Result<Option<u64>> {
        self.inner.top_xid(assign)
    }
    fn transaction_manager(&self) -> Option<(&crate::txn::TransactionManager, u64)> {
        self.inner.transaction_manager()
    }
    fn reading_snapshot(&self) -> Option<crate::txn::Snapshot> {
        self.inner.reading_snapshot()
    }
}

/// A NOT NULL column given NULL: 23502 with the failing row.
pub fn check_not_null(table: &Table, values: &[Datum]) -> Result<()> {
    for (v, c) in values.iter().zip(&table.columns) {
        // A NULL for a column of a NOT NULL domain fails as the domain's
        // (in check_constraints), as PostgreSQL checks it first.
        if c.not_null && v.is_null() && !c.domain.as_ref().is_some_and(|d| d.not_null) {
            return Err(err!(
                SqlState::NOT_NULL_VIOLATION,
                "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                c.name,
                table.name
            )
            .with_detail(crate::catalog::failing_row(table, values))
            .with_table(table.namespace, &table.name)
            .with_column(&c.name));
        }
    }
    Ok(())
}
