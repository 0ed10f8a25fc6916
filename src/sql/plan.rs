//! Physical plans: trees of operators the executor ([`super::exec`]) runs.
//!
//! Every operator produces batches of columns. An expression's
//! `Expr::Column(i)` always refers to column `i` of the batch the operator
//! evaluating it receives: a scan's columns are the table's (in order), a
//! join's are its left input's followed by its right input's, a projection's
//! are its expressions, an aggregate's are its grouping keys followed by its
//! aggregate results.

use std::sync::Arc;

use super::expr::{CmpOp, Expr};
use super::types::PgType;
use crate::catalog::{Index, Table};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    /// Each left row that has a matching right row, once; only the left
    /// side's columns (`EXISTS`, `IN (SELECT …)`).
    Semi,
    /// Each left row without a matching right row; only the left side's
    /// columns (`NOT EXISTS`).
    Anti,
}

impl JoinKind {
    /// Whether the join's rows carry the right side's columns too (not
    /// so for semi and anti joins, which only test the right side).
    pub fn emits_right(self) -> bool {
        !matches!(self, JoinKind::Semi | JoinKind::Anti)
    }
}

/// A sort key: a column of the input, its direction and where NULLs go.
#[derive(Clone, Copy, Debug)]
pub struct SortKey {
    pub column: usize,
    pub descending: bool,
    pub nulls_first: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    CountStar,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    BoolAnd,
    BoolOr,
    StringAgg,
    /// `array_agg(x)`: every input value, NULLs included.
    ArrayAgg,
    /// `json_agg(x)`, `jsonb_agg(x)`: NULLs included.
    JsonAgg {
        jsonb: bool,
    },
    /// `json_object_agg(k, v)`, `jsonb_object_agg(k, v)`.
    JsonObjectAgg {
        jsonb: bool,
    },
    /// `variance`, `var_samp`, `var_pop`, `stddev`, `stddev_samp`,
    /// `stddev_pop`: the name, whether of the population (else of a
    /// sample), and whether its square root (the standard deviation).
    Variance {
        name: &'static str,
        population: bool,
        root: bool,
    },
    /// `GROUPING(…)`: which of its arguments the row's grouping set groups
    /// away, one bit each, the first argument the highest. Not an
    /// aggregate in PostgreSQL, but computed by the `Aggregate` operator,
    /// which alone knows the grouping set of each row it emits.
    Grouping,
    /// `percentile_cont(fraction) WITHIN GROUP (ORDER BY x)`: the value at
    /// that fraction of the sorted float8 or interval values, interpolated
    /// between the two nearest; `array`: the fractions form an array.
    PercentileCont {
        array: bool,
    },
    /// `percentile_disc(fraction) WITHIN GROUP (ORDER BY x)`: the first
    /// sorted value at or past the fraction, of any sortable type.
    PercentileDisc {
        array: bool,
    },
    /// `mode() WITHIN GROUP (ORDER BY x)`: the most frequent value.
    Mode,
    /// `rank(args…) WITHIN GROUP (ORDER BY …)` and its kin: where the
    /// hypothetical row of the direct arguments would rank among the rows.
    Hypothetical(HypotheticalRank),
}

/// The hypothetical-set aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HypotheticalRank {
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
}

impl AggFunc {
    /// An ordered-set aggregate (`WITHIN GROUP`): its `args` are the
    /// direct arguments, fixed for the statement, and its `order_by` the
    /// aggregated input.
    pub fn is_ordered_set(self) -> bool {
        matches!(
            self,
            AggFunc::PercentileCont { .. } | AggFunc::PercentileDisc { .. } | AggFunc::Mode | AggFunc::Hypothetical(_)
        )
    }

    /// The aggregates by name (`count(*)` is `count` with a star).
    pub const BY_NAME: &[(&str, AggFunc)] = &[
        ("count", AggFunc::Count),
        ("sum", AggFunc::Sum),
        ("avg", AggFunc::Avg),
        ("min", AggFunc::Min),
        ("max", AggFunc::Max),
        ("bool_and", AggFunc::BoolAnd),
        ("every", AggFunc::BoolAnd),
        ("bool_or", AggFunc::BoolOr),
        ("string_agg", AggFunc::StringAgg),
        ("array_agg", AggFunc::ArrayAgg),
        ("json_agg", AggFunc::JsonAgg { jsonb: false }),
        ("jsonb_agg", AggFunc::JsonAgg { jsonb: true }),
        ("json_object_agg", AggFunc::JsonObjectAgg { jsonb: false }),
        ("jsonb_object_agg", AggFunc::JsonObjectAgg { jsonb: true }),
        ("variance", AggFunc::Variance { name: "variance", population: false, root: false }),
        ("var_samp", AggFunc::Variance { name: "var_samp", population: false, root: false }),
        ("var_pop", AggFunc::Variance { name: "var_pop", population: true, root: false }),
        ("stddev", AggFunc::Variance { name: "stddev", population: false, root: true }),
        ("stddev_samp", AggFunc::Variance { name: "stddev_samp", population: false, root: true }),
        ("stddev_pop", AggFunc::Variance { name: "stddev_pop", population: true, root: true }),
    ];

    pub fn lookup(name: &str) -> Option<AggFunc> {
        AggFunc::BY_NAME.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }
}

/// One aggregate call of an `Aggregate` operator.
#[derive(Clone, Debug)]
pub struct AggCall {
    pub func: AggFunc,
    /// Arguments, evaluated over the aggregate's input.
    pub args: Vec<Expr>,
    pub distinct: bool,
    /// `FILTER (WHERE …)`.
    pub filter: Option<Expr>,
    /// `ORDER BY` inside the call (for `string_agg`), or an ordered-set
    /// aggregate's `WITHIN GROUP (ORDER BY …)`: expressions, whether
    /// descending, whether NULLs first.
    pub order_by: Vec<(Expr, bool, bool)>,
    /// The result type.
    pub ty: PgType,
    /// For `GROUPING(…)`: the grouping keys its arguments are (indices
    /// into the operator's `groups`); its `args` are then empty.
    pub grouping: Vec<usize>,
}

/// A function computed by a `Window` operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WinFunc {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
    /// An aggregate over the frame.
    Agg(AggFunc),
}

impl WinFunc {
    /// The window functions by name (aggregates aside).
    pub const BY_NAME: &[(&str, WinFunc)] = &[
        ("row_number", WinFunc::RowNumber),
        ("rank", WinFunc::Rank),
        ("dense_rank", WinFunc::DenseRank),
        ("percent_rank", WinFunc::PercentRank),
        ("cume_dist", WinFunc::CumeDist),
        ("ntile", WinFunc::Ntile),
        ("lag", WinFunc::Lag),
        ("lead", WinFunc::Lead),
        ("first_value", WinFunc::FirstValue),
        ("last_value", WinFunc::LastValue),
        ("nth_value", WinFunc::NthValue),
    ];

    pub fn lookup(name: &str) -> Option<WinFunc> {
        WinFunc::BY_NAME.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }
}

/// One window function call of a `Window` operator.
#[derive(Clone, Debug)]
pub struct WinCall {
    pub func: WinFunc,
    /// The name it was called by (for EXPLAIN).
    pub name: String,
    /// Arguments, evaluated over the operator's input.
    pub args: Vec<Expr>,
    /// `FILTER (WHERE …)` of a window aggregate.
    pub filter: Option<Expr>,
    pub ty: PgType,
}

impl WinCall {
    /// The aggregate it computes over its frame, if it is one.
    pub fn aggregate(&self) -> Option<AggCall> {
        let WinFunc::Agg(func) = self.func else { return None };
        Some(AggCall {
            func,
            args: self.args.clone(),
            distinct: false,
            filter: self.filter.clone(),
            order_by: Vec::new(),
            ty: self.ty,
            grouping: Vec::new(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUnits {
    Rows,
    Range,
    Groups,
}

/// One end of a window frame; offsets are int8 expressions fixed for the statement.
#[derive(Clone, Debug)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

/// A window frame: which rows of the partition a row's aggregate and
/// `first_value`/`last_value`/`nth_value` see.
#[derive(Clone, Debug)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: FrameBound,
    pub end: FrameBound,
}

impl Frame {
    /// PostgreSQL's default: `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`.
    pub fn default_frame() -> Frame {
        Frame { units: FrameUnits::Range, start: FrameBound::UnboundedPreceding, end: FrameBound::CurrentRow }
    }

    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        [&self.start, &self.end].into_iter().filter_map(|b| match b {
            FrameBound::Preceding(e) | FrameBound::Following(e) => Some(e),
            _ => None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

#[derive(Clone, Debug)]
pub enum Plan {
    /// A sequential scan: the table's visible rows (then their system
    /// columns when `system` is set, then their `ctid` as an int8 column
    /// when `ctid` is set), filtered.
    Scan {
        table: Arc<Table>,
        filter: Option<Expr>,
        ctid: bool,
        /// The query names a system column of the table: the scan returns
        /// the six of them (see [`system_column_types`]) after the table's
        /// columns.
        system: bool,
        /// The name the query gave the table (for EXPLAIN), if not its own.
        alias: Option<String>,
        /// The columns the plan reads (the filter and the nodes above);
        /// the others come out NULL, never decoded. `None`: all of them.
        /// Set by [`super::planner::prune_scan_columns`].
        read: Option<Vec<bool>>,
    },
    /// An index scan: the rows of `table` that `index`'s entries in a key
    /// range point to (visible ones only), in index order, filtered. The
    /// range is given by values for the index's first `eq.len()` columns
    /// and optional bounds on the next one; `residual` checks the
    /// conditions the range does not.
    /// Output columns are as a sequential scan's. An `IS NULL` test among
    /// the `eq` values stands for the column's NULL (`col IS NULL`).
    IndexScan {
        table: Arc<Table>,
        index: Box<Index>,
        /// The conjuncts of the filter the key range comes from (for EXPLAIN).
        conds: Vec<Expr>,
        eq: Vec<Expr>,
        /// An IN list on column `eq.len()` of the index: one key range per
        /// value, read in key order (no `lower`/`upper` then). Empty: none.
        any: Vec<Expr>,
        /// `col = ANY (array)`: `any` holds one array expression whose
        /// elements are the values.
        any_array: bool,
        /// Bound on column `eq.len()` of the index: value and inclusiveness.
        lower: Option<(Expr, bool)>,
        upper: Option<(Expr, bool)>,
        /// The whole condition on the table's rows: what EXPLAIN shows
        /// (less `conds`) and what a concurrently changed row is re-checked
        /// against.
        filter: Option<Expr>,
        /// The conjuncts of `filter` the key range does not already
        /// guarantee: what the scan tests on each row it fetches. An entry
        /// in the range holds exactly the key values of the row it points
        /// to (an update changing them makes a new entry), so `conds` need
        /// no second test, as in PostgreSQL's B-tree scans.
        residual: Option<Expr>,
        ctid: bool,
        /// As [`Plan::Scan`]'s `system`.
        system: bool,
        alias: Option<String>,
        /// Entries in descending key order.
        backward: bool,
        /// An index-only scan: every column the query reads is a key
        /// column of `index` (see `Index::can_return`), so rows on pages
        /// the visibility map has all-visible come from the entries, and
        /// only the other columns' values are left NULL.
        index_only: bool,
        /// The columns the plan reads, as [`Plan::Scan`]'s `read`.
        read: Option<Vec<bool>>,
    },
    /// `generate_series(start, stop [, step])` in FROM: one integer column.
    Series {
        start: Expr,
        stop: Expr,
        step: Option<Expr>,
        ty: PgType,
    },
    /// `unnest(array) [WITH ORDINALITY]` in FROM: the elements, and
    /// their 1-based position as a bigint column `ordinality`.
    /// A json set-returning function (`json`) computes its rows from
    /// `array` instead (`jsonb_each(j)`, …).
    Unnest {
        array: Expr,
        elem: PgType,
        ordinality: bool,
        json: Option<super::json_fn::JsonSrf>,
    },
    /// A set-returning function of the server's state in FROM
    /// (`pg_show_all_settings()`).
    Function {
        func: SetFunc,
    },
    /// Literal rows: `VALUES`, and the single empty row of a SELECT without FROM.
    Values {
        rows: Vec<Vec<Expr>>,
        types: Vec<PgType>,
    },
    Filter {
        input: Box<Plan>,
        predicate: Expr,
    },
    Project {
        input: Box<Plan>,
        exprs: Vec<Expr>,
    },
    /// Set-returning functions of the select list (PostgreSQL's
    /// ProjectSet): for each input row, its columns followed by the
    /// calls' values, as many rows as the longest call gives (the others
    /// NULL once run out); none when every call gives none.
    ProjectSet {
        input: Box<Plan>,
        srfs: Vec<super::srf::SrfCall>,
        /// A last bigint column numbering each input row's output rows
        /// from 1 (a FROM function's `WITH ORDINALITY`).
        ordinality: bool,
    },
    /// A join. With `equi` keys (left expression, right expression) it is a
    /// hash join on them, or with `merge` a merge join; otherwise a nested
    /// loop. `on` is checked on the joined row (left columns then right
    /// columns).
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        equi: Vec<(Expr, Expr)>,
        on: Option<Expr>,
        /// A merge join (see `super::mergejoin`): the keys are columns of
        /// their sides, and both inputs come sorted by them, ascending,
        /// NULLs last.
        merge: bool,
    },
    /// Hash aggregation: output is the grouping keys then the aggregates.
    /// Without grouping keys it produces exactly one row.
    Aggregate {
        input: Box<Plan>,
        groups: Vec<Expr>,
        aggs: Vec<AggCall>,
        /// Grouping sets (`GROUPING SETS`, `ROLLUP`, `CUBE`, `()`): each
        /// the keys it groups by (indices into `groups`, ascending); the
        /// keys it leaves out are NULL in its rows, and each set makes its
        /// own groups (an empty set one row, even over no input). Empty
        /// for a plain GROUP BY: one set of every key.
        sets: Vec<Vec<usize>>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    Limit {
        input: Box<Plan>,
        offset: Option<Expr>,
        count: Option<Expr>,
        /// `FETCH … WITH TIES`: the ORDER BY columns; rows equal in them
        /// to the last row counted come too.
        ties: Vec<usize>,
    },
    /// Remove duplicate rows (over the first `columns` columns).
    Distinct {
        input: Box<Plan>,
        columns: usize,
    },
    /// Of each run of consecutive rows equal in the `keys` columns, keep
    /// the first (`DISTINCT ON` over sorted input).
    Unique {
        input: Box<Plan>,
        keys: Vec<usize>,
    },
    /// Window functions over sorted input: its rows, each followed by the
    /// value of every call in `funcs`. Partitions are runs of rows equal in
    /// the `partition` columns; peers are rows of a partition equal in the
    /// `order` columns (the input is sorted by both).
    Window {
        input: Box<Plan>,
        partition: Vec<usize>,
        order: Vec<SortKey>,
        frame: Frame,
        funcs: Vec<WinCall>,
    },
    /// A nested loop whose right side reads the left row: for each left
    /// row, the `bindings` (outer slot ← expression over the left row) are
    /// set and the right plan runs anew; `on` is checked on the joined row.
    /// A `LATERAL` item's join (Inner or Left), and the planner's index
    /// nested loop, whose right side is an index scan keyed by the left
    /// row's values (PostgreSQL's parameterized Nested Loop; Inner, Left,
    /// Semi or Anti, see `super::nestloop`).
    LateralJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        bindings: Vec<(usize, Expr)>,
        on: Option<Expr>,
    },
    SetOp {
        kind: SetOpKind,
        all: bool,
        left: Box<Plan>,
        right: Box<Plan>,
    },
    /// A query with materialized common table expressions: each CTE is
    /// computed at most once per run of this node (lazily, as far as its
    /// readers ask), and its rows are kept for every `CteScan` of it.
    With {
        ctes: Vec<Cte>,
        input: Box<Plan>,
    },
    /// The rows of the materialized CTE `id` (of an enclosing `With`).
    CteScan {
        id: usize,
        /// The CTE's name and the name the query gave it (if another), for EXPLAIN.
        name: String,
        alias: Option<String>,
        /// Column names as the query sees them, and types.
        columns: Vec<String>,
        types: Vec<PgType>,
    },
    /// `WITH RECURSIVE`: the non-recursive term's rows, then the recursive
    /// term run again and again over the rows of the previous round (the
    /// work table `id`) until a round produces none. `distinct` (UNION):
    /// rows already produced are dropped.
    RecursiveUnion {
        id: usize,
        distinct: bool,
        base: Box<Plan>,
        recursive: Box<Plan>,
    },
    /// The work table of the recursive union `id`: the previous round's rows.
    WorkTableScan {
        id: usize,
        name: String,
        alias: Option<String>,
        columns: Vec<String>,
        types: Vec<PgType>,
    },
}

/// A materialized common table expression.
#[derive(Clone, Debug)]
pub struct Cte {
    pub id: usize,
    pub name: String,
    /// Its rows; for a data-modifying CTE, the rows its statement changes.
    pub plan: Arc<Plan>,
    /// A data-modifying statement: run to its end before the query, once,
    /// its RETURNING rows being the CTE's.
    pub write: Option<CteWrite>,
    /// Read by one scan, at the WITH's own query level (read once, not
    /// again by a subquery): its rows need not be kept once passed on.
    pub single_reader: bool,
}

/// The INSERT, UPDATE or DELETE of a data-modifying CTE (its source rows
/// are the CTE's plan, as a `Statement::Modify`'s).
#[derive(Clone, Debug)]
pub struct CteWrite {
    pub kind: super::exec::ModifyKind,
    pub table: Arc<Table>,
    pub returning: Option<Vec<Expr>>,
}

/// The types of a scan's system columns, in the order it returns them:
/// [`crate::catalog::system::SYSTEM_COLUMNS`]' (`ctid`, `xmin`, `cmin`,
/// `xmax`, `cmax`, `tableoid`).
pub fn system_column_types() -> impl Iterator<Item = PgType> {
    crate::catalog::system::SYSTEM_COLUMNS.iter().map(|c| PgType::from_oid(c.2).unwrap_or(PgType::Oid))
}

impl Plan {
    /// The types of the columns it produces.
    pub fn types(&self) -> Vec<PgType> {
        match self {
            Plan::Scan { table, ctid, system, .. } | Plan::IndexScan { table, ctid, system, .. } => {
                let mut t: Vec<PgType> = table.columns.iter().map(|c| c.ty).collect();
                if *system {
                    t.extend(system_column_types());
                }
                if *ctid {
                    t.push(PgType::Int8);
                }
                t
            }
            Plan::Values { types, .. } => types.clone(),
            Plan::Series { ty, .. } => vec![*ty],
            Plan::Unnest { elem, ordinality, json, .. } => {
                let mut t: Vec<PgType> = match json {
                    Some(f) => f.columns().into_iter().map(|c| c.1).collect(),
                    None => vec![*elem],
                };
                if *ordinality {
                    t.push(PgType::Int8);
                }
                t
            }
            Plan::Function { func } => func.columns().iter().map(|c| c.1).collect(),
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input, .. }
            | Plan::Unique { input, .. } => input.types(),
            Plan::Window { input, funcs, .. } => {
                let mut t = input.types();
                t.extend(funcs.iter().map(|f| f.ty));
                t
            }
            Plan::Project { exprs, .. } => exprs.iter().map(Expr::ty).collect(),
            Plan::ProjectSet { input, srfs, ordinality } => {
                let mut t = input.types();
                t.extend(srfs.iter().map(|c| c.ty));
                if *ordinality {
                    t.push(PgType::Int8);
                }
                t
            }
            Plan::Join { left, kind, .. } | Plan::LateralJoin { left, kind, .. } if !kind.emits_right() => left.types(),
            Plan::Join { left, right, .. } | Plan::LateralJoin { left, right, .. } => {
                let mut t = left.types();
                t.extend(right.types());
                t
            }
            Plan::Aggregate { groups, aggs, .. } => {
                groups.iter().map(Expr::ty).chain(aggs.iter().map(|a| a.ty)).collect()
            }
            Plan::SetOp { left, .. } => left.types(),
            Plan::With { input, .. } => input.types(),
            Plan::CteScan { types, .. } | Plan::WorkTableScan { types, .. } => types.clone(),
            Plan::RecursiveUnion { base, .. } => base.types(),
        }
    }

    /// Call `f` on every expression of the plan (not descending into subplans).
    pub fn visit_exprs(&self, f: &mut dyn FnMut(&Expr)) {
        match self {
            Plan::Scan { filter, .. } => filter.iter().for_each(&mut *f),
            Plan::IndexScan { eq, any, lower, upper, filter, residual, .. } => {
                eq.iter()
                    .chain(any)
                    .chain(lower.iter().map(|b| &b.0))
                    .chain(upper.iter().map(|b| &b.0))
                    .for_each(&mut *f);
                filter.iter().chain(residual).for_each(&mut *f);
            }
            Plan::Values { rows, .. } => rows.iter().flatten().for_each(&mut *f),
            Plan::Series { start, stop, step, .. } => [start, stop].into_iter().chain(step).for_each(&mut *f),
            Plan::Unnest { array, .. } => f(array),
            Plan::Function { .. } => {}
            Plan::Filter { input, predicate } => {
                f(predicate);
                input.visit_exprs(f);
            }
            Plan::Project { input, exprs } => {
                exprs.iter().for_each(&mut *f);
                input.visit_exprs(f);
            }
            Plan::ProjectSet { input, srfs, .. } => {
                srfs.iter().flat_map(|c| &c.args).for_each(&mut *f);
                input.visit_exprs(f);
            }
            Plan::Join { left, right, equi, on, .. } => {
                for (l, r) in equi {
                    f(l);
                    f(r);
                }
                on.iter().for_each(&mut *f);
                left.visit_exprs(f);
                right.visit_exprs(f);
            }
            Plan::Aggregate { input, groups, aggs, .. } => {
                groups.iter().for_each(&mut *f);
                for a in aggs {
                    a.args.iter().for_each(&mut *f);
                    a.filter.iter().for_each(&mut *f);
                    a.order_by.iter().for_each(|(e, ..)| f(e));
                }
                input.visit_exprs(f);
            }
            Plan::Limit { input, offset, count, .. } => {
                offset.iter().chain(count).for_each(&mut *f);
                input.visit_exprs(f);
            }
            Plan::Sort { input, .. } | Plan::Distinct { input, .. } | Plan::Unique { input, .. } => {
                input.visit_exprs(f)
            }
            Plan::Window { input, frame, funcs, .. } => {
                for c in funcs {
                    c.args.iter().for_each(&mut *f);
                    c.filter.iter().for_each(&mut *f);
                }
                frame.exprs().for_each(&mut *f);
                input.visit_exprs(f);
            }
            Plan::LateralJoin { left, right, bindings, on, .. } => {
                bindings.iter().for_each(|(_, e)| f(e));
                on.iter().for_each(&mut *f);
                left.visit_exprs(f);
                right.visit_exprs(f);
            }
            Plan::SetOp { left, right, .. } | Plan::RecursiveUnion { base: left, recursive: right, .. } => {
                left.visit_exprs(f);
                right.visit_exprs(f);
            }
            // The CTEs' own expressions belong to their plans (like subqueries').
            Plan::With { input, .. } => input.visit_exprs(f),
            Plan::CteScan { .. } | Plan::WorkTableScan { .. } => {}
        }
    }

    /// The name an UPDATE's or DELETE's source gives its target table, if
    /// not its own (for EXPLAIN's `Update on t alias`): the alias of the
    /// scan that reads the rows' addresses.
    pub fn target_alias(&self) -> Option<&str> {
        let mut found = None;
        let mut plans = vec![self];
        while let Some(p) = plans.pop() {
            match p {
                Plan::Scan { ctid: true, alias, .. } | Plan::IndexScan { ctid: true, alias, .. } => {
                    found = alias.as_deref();
                    break;
                }
                other => plans.extend(other.inputs()),
            }
        }
        found
    }

    /// The tables it reads (subqueries included).
    pub fn tables(&self, out: &mut Vec<Arc<Table>>) {
        self.walk(&mut |p| {
            if let Plan::Scan { table, .. } | Plan::IndexScan { table, .. } = p {
                out.push(table.clone());
            }
        });
        out.extend(self.cte_writes().into_iter().map(|(_, w)| w.table));
    }

    /// The data-modifying CTEs in it, by CTE number.
    pub fn cte_writes(&self) -> Vec<(usize, CteWrite)> {
        let mut out = Vec::new();
        self.walk(&mut |p| {
            if let Plan::With { ctes, .. } = p {
                out.extend(ctes.iter().filter_map(|c| Some((c.id, c.write.clone()?))));
            }
        });
        out
    }

    /// The plans it reads its rows from, at its own query level (not the
    /// plans of its CTEs, nor subqueries in its expressions).
    pub fn inputs(&self) -> Vec<&Plan> {
        match self {
            Plan::Scan { .. }
            | Plan::IndexScan { .. }
            | Plan::Values { .. }
            | Plan::Series { .. }
            | Plan::Unnest { .. }
            | Plan::Function { .. }
            | Plan::CteScan { .. }
            | Plan::WorkTableScan { .. } => Vec::new(),
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::ProjectSet { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input, .. }
            | Plan::Unique { input, .. }
            | Plan::Window { input, .. }
            | Plan::With { input, .. } => vec![input],
            Plan::Join { left, right, .. }
            | Plan::LateralJoin { left, right, .. }
            | Plan::SetOp { left, right, .. }
            | Plan::RecursiveUnion { base: left, recursive: right, .. } => vec![left, right],
        }
    }

    /// The plans it reads its rows from, to change (as [`Plan::inputs`]).
    pub fn inputs_mut(&mut self) -> Vec<&mut Plan> {
        match self {
            Plan::Scan { .. }
            | Plan::IndexScan { .. }
            | Plan::Values { .. }
            | Plan::Series { .. }
            | Plan::Unnest { .. }
            | Plan::Function { .. }
            | Plan::CteScan { .. }
            | Plan::WorkTableScan { .. } => Vec::new(),
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::ProjectSet { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input, .. }
            | Plan::Unique { input, .. }
            | Plan::Window { input, .. }
            | Plan::With { input, .. } => vec![input],
            Plan::Join { left, right, .. }
            | Plan::LateralJoin { left, right, .. }
            | Plan::SetOp { left, right, .. }
            | Plan::RecursiveUnion { base: left, recursive: right, .. } => vec![left, right],
        }
    }

    /// Whether `other` has the same nodes in the same places as this plan,
    /// over the same tables and indexes, with key ranges of the same kinds
    /// (their values and other expressions may differ): one plan made with
    /// constants, the other with parameters in their place.
    pub fn same_shape(&self, other: &Plan) -> bool {
        let shape = |p: &Plan| {
            let mut out = Vec::new();
            p.walk(&mut |n| out.push(n.node_shape()));
            out
        };
        shape(self) == shape(other)
    }

    /// What [`Plan::same_shape`] compares of one node.
    fn node_shape(&self) -> (std::mem::Discriminant<Plan>, u32, u32, usize) {
        let node = std::mem::discriminant(self);
        match self {
            Plan::Scan { table, .. } => (node, table.oid, 0, 0),
            Plan::IndexScan { table, index, eq, any, lower, upper, backward, index_only, .. } => {
                let flags = [lower.is_some(), upper.is_some(), *backward, *index_only];
                let bits = flags.iter().enumerate().fold(0, |acc, (i, &f)| acc | (usize::from(f) << i));
                (node, table.oid, index.oid, eq.len() << 16 | any.len() << 4 | bits)
            }
            Plan::Join { kind, equi, on, merge, .. } => {
                (node, *kind as u32, equi.len() as u32, usize::from(on.is_some()) | usize::from(*merge) << 1)
            }
            Plan::LateralJoin { kind, bindings, on, .. } => {
                (node, *kind as u32, bindings.len() as u32, usize::from(on.is_some()))
            }
            Plan::Limit { offset, count, ties, .. } => {
                (node, ties.len() as u32, 0, usize::from(offset.is_some()) << 1 | usize::from(count.is_some()))
            }
            _ => (node, 0, 0, 0),
        }
    }

    /// Call `f` on this plan and every plan below it, subqueries included.
    pub fn walk(&self, f: &mut dyn FnMut(&Plan)) {
        f(self);
        if let Plan::With { ctes, .. } = self {
            for c in ctes {
                c.plan.walk(f);
            }
        }
        for input in self.inputs() {
            input.walk(f);
        }
        let mut plans = Vec::new();
        self.visit_exprs(&mut |e| {
            let mut subs = Vec::new();
            e.subplans(&mut subs);
            plans.extend(subs.into_iter().map(|s| s.plan.clone()));
        });
        for p in plans {
            p.walk(f);
        }
    }
}

#[derive(Clone, Debug)]
pub enum SubKind {
    /// `(SELECT …)`: its single value, NULL without rows; more rows → 21000.
    Scalar,
    /// `EXISTS (SELECT …)`.
    Exists,
    /// Column `i` of `(SELECT …)`'s single row, the source of a
    /// multiple-column UPDATE item (`SET (a, b) = (SELECT x, y …)`): NULL
    /// without rows; more rows → 21000. The items of one source share the
    /// subquery's number, so an uncorrelated one runs once.
    Column(usize),
    /// `lhs op ANY (SELECT …)` (`IN`), or `op ALL` when `all`. When
    /// `pairwise`, `lhs` is a row constructor and the subquery's row a
    /// record of the same width, compared field by field as a row
    /// comparison (`(a, b) IN (SELECT x, y …)`: NULL where a pair holds a
    /// NULL and no pair decides), not as records.
    Quantified { lhs: Box<Expr>, op: CmpOp, all: bool, pairwise: bool },
    /// `ARRAY(SELECT …)`: its rows' values as an array (empty without rows).
    Array,
}

/// A subquery inside an expression.
#[derive(Clone, Debug)]
pub struct SubPlan {
    /// Statement-wide number, for caching the result of uncorrelated subqueries.
    pub id: usize,
    pub plan: Arc<Plan>,
    pub kind: SubKind,
    /// Outer values the subquery reads: slot ← expression over the outer row.
    pub bindings: Vec<(usize, Expr)>,
    /// The type of the subquery's (first) column.
    pub ty: PgType,
    /// Whether it (or a subquery inside it) reads an enclosing query's row;
    /// if not, its result is computed once per statement.
    pub correlated: bool,
}

const TEXT_ARRAY: PgType = PgType::array_by_oid(1009);
const REGTYPE_ARRAY: PgType = PgType::array_by_oid(2211);

/// A set-returning function over the server's state, callable in FROM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetFunc {
    /// `pg_show_all_settings()`, behind the `pg_settings` view.
    ShowAllSettings,
    /// The state of sequence `oid`: `SELECT * FROM seq` (one row).
    Sequence(u32),
    /// `pg_prepared_statement()`: the session's prepared statements,
    /// behind the `pg_prepared_statements` view.
    PreparedStatements,
    /// `pg_lock_status()`: the locks held and awaited, behind `pg_locks`.
    LockStatus,
    /// `pg_stat_get_activity(pid)`: the sessions, behind `pg_stat_activity`
    /// (the binder filters on the argument; see `session/activity.rs`).
    Activity,
    /// `pg_control_checkpoint()`: the last checkpoint, from the control file.
    ControlCheckpoint,
    /// `pg_control_system()`: the control file's version and identity.
    ControlSystem,
    /// `pg_control_init()`: the constants the cluster was built with.
    ControlInit,
    /// `pg_control_recovery()`: the recovery and backup state.
    ControlRecovery,
    /// `pg_get_keywords()`: the SQL key words (see `sql::keywords`).
    Keywords,
}

impl SetFunc {
    pub fn lookup(name: &str) -> Option<SetFunc> {
        match name {
            "pg_show_all_settings" => Some(SetFunc::ShowAllSettings),
            "pg_prepared_statement" => Some(SetFunc::PreparedStatements),
            "pg_lock_status" => Some(SetFunc::LockStatus),
            "pg_control_checkpoint" => Some(SetFunc::ControlCheckpoint),
            "pg_control_system" => Some(SetFunc::ControlSystem),
            "pg_control_init" => Some(SetFunc::ControlInit),
            "pg_control_recovery" => Some(SetFunc::ControlRecovery),
            "pg_get_keywords" => Some(SetFunc::Keywords),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SetFunc::ShowAllSettings => "pg_show_all_settings",
            SetFunc::Sequence(_) => "sequence",
            SetFunc::PreparedStatements => "pg_prepared_statement",
            SetFunc::LockStatus => "pg_lock_status",
            SetFunc::Activity => "pg_stat_get_activity",
            SetFunc::ControlCheckpoint => "pg_control_checkpoint",
            SetFunc::ControlSystem => "pg_control_system",
            SetFunc::ControlInit => "pg_control_init",
            SetFunc::ControlRecovery => "pg_control_recovery",
            SetFunc::Keywords => "pg_get_keywords",
        }
    }

    /// Its result columns, as PostgreSQL declares them.
    pub const fn columns(self) -> &'static [(&'static str, PgType)] {
        use PgType::{Bool, Int4, Int8, Text, TimestampTz};
        match self {
            SetFunc::PreparedStatements => &[
                ("name", Text),
                ("statement", Text),
                ("prepare_time", TimestampTz),
                ("parameter_types", REGTYPE_ARRAY),
                ("from_sql", Bool),
                ("generic_plans", Int8),
                ("custom_plans", Int8),
            ],
            SetFunc::Sequence(_) => &[("last_value", Int8), ("log_cnt", Int8), ("is_called", Bool)],
            SetFunc::ControlCheckpoint => &[
                ("checkpoint_lsn", PgType::PgLsn),
                ("redo_lsn", PgType::PgLsn),
                ("redo_wal_file", Text),
                ("timeline_id", Int4),
                ("prev_timeline_id", Int4),
                ("full_page_writes", Bool),
                ("next_xid", Text),
                ("next_oid", PgType::Oid),
                ("next_multixact_id", PgType::Xid),
                ("next_multi_offset", PgType::Xid),
                ("oldest_xid", PgType::Xid),
                ("oldest_xid_dbid", PgType::Oid),
                ("oldest_active_xid", PgType::Xid),
                ("oldest_multi_xid", PgType::Xid),
                ("oldest_multi_dbid", PgType::Oid),
                ("oldest_commit_ts_xid", PgType::Xid),
                ("newest_commit_ts_xid", PgType::Xid),
                ("checkpoint_time", TimestampTz),
            ],
            SetFunc::ControlSystem => &[
                ("pg_control_version", Int4),
                ("catalog_version_no", Int4),
                ("system_identifier", Int8),
                ("pg_control_last_modified", TimestampTz),
            ],
            SetFunc::ControlInit => &[
                ("max_data_alignment", Int4),
                ("database_block_size", Int4),
                ("blocks_per_segment", Int4),
                ("wal_block_size", Int4),
                ("bytes_per_wal_segment", Int4),
                ("max_identifier_length", Int4),
                ("max_index_columns", Int4),
                ("max_toast_chunk_size", Int4),
                ("large_object_chunk_size", Int4),
                ("float8_pass_by_value", Bool),
                ("data_page_checksum_version", Int4),
            ],
            SetFunc::Keywords => {
                &[("word", Text), ("catcode", PgType::Char), ("barelabel", Bool), ("catdesc", Text), ("baredesc", Text)]
            }
            SetFunc::ControlRecovery => &[
                ("min_recovery_end_lsn", PgType::PgLsn),
                ("min_recovery_end_timeline", Int4),
                ("backup_start_lsn", PgType::PgLsn),
                ("backup_end_lsn", PgType::PgLsn),
                ("end_of_backup_record_required", Bool),
            ],
            // Deviation: transactionid is bigint (tusk has no xid type).
            SetFunc::LockStatus => &[
                ("locktype", Text),
                ("database", PgType::Oid),
                ("relation", PgType::Oid),
                ("page", Int4),
                ("tuple", PgType::Int2),
                ("virtualxid", Text),
                ("transactionid", Int8),
                ("classid", PgType::Oid),
                ("objid", PgType::Oid),
                ("objsubid", PgType::Int2),
                ("virtualtransaction", Text),
                ("pid", Int4),
                ("mode", Text),
                ("granted", Bool),
                ("fastpath", Bool),
                ("waitstart", TimestampTz),
            ],
            // Deviations: client_addr is text (tusk has no inet type);
            // backend_xid and backend_xmin are bigint (no xid type).
            SetFunc::Activity => &[
                ("datid", PgType::Oid),
                ("pid", Int4),
                ("usesysid", PgType::Oid),
                ("application_name", Text),
                ("state", Text),
                ("query", Text),
                ("wait_event_type", Text),
                ("wait_event", Text),
                ("xact_start", TimestampTz),
                ("query_start", TimestampTz),
                ("backend_start", TimestampTz),
                ("state_change", TimestampTz),
                ("client_addr", Text),
                ("client_hostname", Text),
                ("client_port", Int4),
                ("backend_xid", Int8),
                ("backend_xmin", Int8),
                ("backend_type", Text),
                ("ssl", Bool),
                ("sslversion", Text),
                ("sslcipher", Text),
                ("sslbits", Int4),
                ("ssl_client_dn", Text),
                ("ssl_client_serial", PgType::Numeric),
                ("ssl_issuer_dn", Text),
                ("gss_auth", Bool),
                ("gss_princ", Text),
                ("gss_enc", Bool),
                ("leader_pid", Int4),
                ("query_id", Int8),
            ],
            SetFunc::ShowAllSettings => &[
                ("name", Text),
                ("setting", Text),
                ("unit", Text),
                ("category", Text),
                ("short_desc", Text),
                ("extra_desc", Text),
                ("context", Text),
                ("vartype", Text),
                ("source", Text),
                ("min_val", Text),
                ("max_val", Text),
                ("enumvals", TEXT_ARRAY),
                ("boot_val", Text),
                ("reset_val", Text),
                ("sourcefile", Text),
                ("sourceline", Int4),
                ("pending_restart", Bool),
            ],
        }
    }
}
