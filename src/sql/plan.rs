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
    /// `ORDER BY` inside the call (for `string_agg`): expressions and directions.
    pub order_by: Vec<(Expr, bool)>,
    /// The result type.
    pub ty: PgType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

#[derive(Clone, Debug)]
pub enum Plan {
    /// A sequential scan: the table's visible rows (and their `ctid` as a
    /// last int8 column when `ctid` is set), filtered.
    Scan {
        table: Arc<Table>,
        filter: Option<Expr>,
        ctid: bool,
        /// The name the query gave the table (for EXPLAIN), if not its own.
        alias: Option<String>,
    },
    /// An index scan: the rows of `table` that `index`'s entries in a key
    /// range point to (visible ones only), in index order, filtered. The
    /// range is given by values for the index's first `eq.len()` columns
    /// and optional bounds on the next one; `filter` still checks every
    /// condition, so the range only has to contain the matching rows.
    /// Output columns are as a sequential scan's. An `IS NULL` test among
    /// the `eq` values stands for the column's NULL (`col IS NULL`).
    IndexScan {
        table: Arc<Table>,
        index: Box<Index>,
        /// The conjuncts of the filter the key range comes from (for EXPLAIN).
        conds: Vec<Expr>,
        eq: Vec<Expr>,
        /// Bound on column `eq.len()` of the index: value and inclusiveness.
        lower: Option<(Expr, bool)>,
        upper: Option<(Expr, bool)>,
        filter: Option<Expr>,
        ctid: bool,
        alias: Option<String>,
        /// Entries in descending key order.
        backward: bool,
    },
    /// `generate_series(start, stop [, step])` in FROM: one integer column.
    Series {
        start: Expr,
        stop: Expr,
        step: Option<Expr>,
        ty: PgType,
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
    /// A join. With `equi` keys (left expression, right expression) it is a
    /// hash join on them; otherwise a nested loop. `on` is checked on the
    /// joined row (left columns then right columns).
    Join {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        equi: Vec<(Expr, Expr)>,
        on: Option<Expr>,
    },
    /// Hash aggregation: output is the grouping keys then the aggregates.
    /// Without grouping keys it produces exactly one row.
    Aggregate {
        input: Box<Plan>,
        groups: Vec<Expr>,
        aggs: Vec<AggCall>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    Limit {
        input: Box<Plan>,
        offset: Option<Expr>,
        count: Option<Expr>,
    },
    /// Remove duplicate rows (over the first `columns` columns).
    Distinct {
        input: Box<Plan>,
        columns: usize,
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

impl Plan {
    /// The types of the columns it produces.
    pub fn types(&self) -> Vec<PgType> {
        match self {
            Plan::Scan { table, ctid, .. } | Plan::IndexScan { table, ctid, .. } => {
                let mut t: Vec<PgType> = table.columns.iter().map(|c| c.ty).collect();
                if *ctid {
                    t.push(PgType::Int8);
                }
                t
            }
            Plan::Values { types, .. } => types.clone(),
            Plan::Series { ty, .. } => vec![*ty],
            Plan::Function { func } => func.columns().iter().map(|c| c.1).collect(),
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input, .. } => input.types(),
            Plan::Project { exprs, .. } => exprs.iter().map(Expr::ty).collect(),
            Plan::Join { left, right, .. } => {
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

    /// Whether running it may wait for long (it then runs off the async workers).
    pub fn may_block(&self) -> bool {
        let mut found = false;
        self.visit_exprs(&mut |e| found |= e.may_block());
        if let Plan::With { ctes, input } = self {
            // A data-modifying CTE may wait for row locks.
            found |= input.may_block() || ctes.iter().any(|c| c.write.is_some() || c.plan.may_block());
        }
        found
    }

    /// Call `f` on every expression of the plan (not descending into subplans).
    pub fn visit_exprs(&self, f: &mut dyn FnMut(&Expr)) {
        match self {
            Plan::Scan { filter, .. } => filter.iter().for_each(&mut *f),
            Plan::IndexScan { eq, lower, upper, filter, .. } => {
                eq.iter().chain(lower.iter().map(|b| &b.0)).chain(upper.iter().map(|b| &b.0)).for_each(&mut *f);
                filter.iter().for_each(&mut *f);
            }
            Plan::Values { rows, .. } => rows.iter().flatten().for_each(&mut *f),
            Plan::Series { start, stop, step, .. } => [start, stop].into_iter().chain(step).for_each(&mut *f),
            Plan::Function { .. } => {}
            Plan::Filter { input, predicate } => {
                f(predicate);
                input.visit_exprs(f);
            }
            Plan::Project { input, exprs } => {
                exprs.iter().for_each(&mut *f);
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
            Plan::Aggregate { input, groups, aggs } => {
                groups.iter().for_each(&mut *f);
                for a in aggs {
                    a.args.iter().for_each(&mut *f);
                    a.filter.iter().for_each(&mut *f);
                    a.order_by.iter().for_each(|(e, _)| f(e));
                }
                input.visit_exprs(f);
            }
            Plan::Limit { input, offset, count } => {
                offset.iter().chain(count).for_each(&mut *f);
                input.visit_exprs(f);
            }
            Plan::Sort { input, .. } | Plan::Distinct { input, .. } => input.visit_exprs(f),
            Plan::SetOp { left, right, .. } | Plan::RecursiveUnion { base: left, recursive: right, .. } => {
                left.visit_exprs(f);
                right.visit_exprs(f);
            }
            // The CTEs' own expressions belong to their plans (like subqueries').
            Plan::With { input, .. } => input.visit_exprs(f),
            Plan::CteScan { .. } | Plan::WorkTableScan { .. } => {}
        }
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
            | Plan::Function { .. }
            | Plan::CteScan { .. }
            | Plan::WorkTableScan { .. } => Vec::new(),
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input, .. }
            | Plan::With { input, .. } => vec![input],
            Plan::Join { left, right, .. }
            | Plan::SetOp { left, right, .. }
            | Plan::RecursiveUnion { base: left, recursive: right, .. } => vec![left, right],
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
    /// `lhs op ANY (SELECT …)` (`IN`), or `op ALL` when `all`.
    Quantified { lhs: Box<Expr>, op: CmpOp, all: bool },
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

/// A set-returning function over the server's state, callable in FROM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetFunc {
    /// `pg_show_all_settings()`, behind the `pg_settings` view.
    ShowAllSettings,
    /// The state of sequence `oid`: `SELECT * FROM seq` (one row).
    Sequence(u32),
}

impl SetFunc {
    pub fn lookup(name: &str) -> Option<SetFunc> {
        match name {
            "pg_show_all_settings" => Some(SetFunc::ShowAllSettings),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SetFunc::ShowAllSettings => "pg_show_all_settings",
            SetFunc::Sequence(_) => "sequence",
        }
    }

    /// Its result columns, as PostgreSQL declares them.
    pub const fn columns(self) -> &'static [(&'static str, PgType)] {
        use PgType::{Bool, Int4, Int8, Text};
        match self {
            SetFunc::Sequence(_) => &[("last_value", Int8), ("log_cnt", Int8), ("is_called", Bool)],
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
                ("enumvals", PgType::TextForm(1009)),
                ("boot_val", Text),
                ("reset_val", Text),
                ("sourcefile", Text),
                ("sourceline", Int4),
                ("pending_restart", Bool),
            ],
        }
    }
}
