//! Statements of simple Query messages, and the session's caches of their
//! bound forms.
//!
//! A simple query is parsed, and each of its statements bound as it runs
//! (binding the second may depend on what the first did). Two caches skip
//! that work for queries a client sends again:
//!
//! - by exact text, the bound statements of a query that names no table
//!   (`BEGIN`, `SELECT 1`, `SET …`): nothing a plan there depends on can
//!   change under it except what clears the cache;
//! - by skeleton (the text less its constants, see [`crate::sql::autoparam`]),
//!   one statement bound with parameters in place of its constants: its
//!   generic plan. PostgreSQL plans every simple query with its constants;
//!   so does tusk, until that generic plan is shown to be as good (the
//!   rule of prepared statements, see [`crate::sql::plancache`]): a query
//!   of a skeleton seen before is bound both ways, and after five plans
//!   made with constants (custom plans), every one of the same shape as
//!   the generic plan, later queries of that skeleton run the generic plan
//!   with their constants as parameter values if it costs less than the
//!   custom plans' average — after checking under their locks that its
//!   tables are as they were (else they are parsed and bound afresh). A
//!   custom plan of another shape (a rare value's index scan, a common
//!   one's sequential scan) means the skeleton is always planned with its
//!   constants; so does `plan_cache_mode = force_custom_plan`.
//!
//! Both are cleared when the session changes the catalog, its search path
//! or its cost settings.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Guc;
use crate::error::Result;
use crate::sql::autoparam::{self, Literal};
use crate::sql::binder::Binder;
use crate::sql::plancache::{self, PlanCacheMode};
use crate::sql::types::{Datum, PgType, parse_text_tz};
use crate::sql::{Bound, PreparedStatement, Statement, parser};
use crate::txn::lock::LockMode;

use super::{Portal, Session, is_stale, xact};

/// How many distinct simple-query strings a session keeps bound, and the longest it keeps.
const SIMPLE_CACHE_ENTRIES: usize = 64;
const SIMPLE_CACHE_MAX_QUERY: usize = 4096;
/// How many skeletons a session remembers (seen once, or with a statement).
const AUTO_ENTRIES: usize = 128;

/// The statements of one simple Query message.
pub enum SimpleStatements {
    /// Bound before, from the session's cache.
    Cached(Arc<[Arc<PreparedStatement>]>),
    /// Parsed now; bound one at a time as they run.
    Parsed(Vec<parser::Parsed>),
    /// One statement bound before with parameters, and this query's
    /// constants as their values.
    Auto(Arc<AutoPlan>, Vec<Datum>),
}

impl SimpleStatements {
    pub fn len(&self) -> usize {
        match self {
            SimpleStatements::Cached(c) => c.len(),
            SimpleStatements::Parsed(p) => p.len(),
            SimpleStatements::Auto(..) => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Default)]
pub struct SimpleCache {
    exact: HashMap<String, Arc<[Arc<PreparedStatement>]>>,
    auto: HashMap<Box<str>, AutoEntry>,
    /// The planner's cost settings the cached plans were made with.
    costs: crate::sql::costsize::CostParams,
    /// The statements of the running query, bound so far.
    pending: Vec<Arc<PreparedStatement>>,
    /// The running query's skeleton and literals (buffers kept for reuse).
    skeleton: String,
    literals: Vec<Literal>,
    /// The running query's skeleton is planned with its constants: note
    /// that custom plan ([`Session::note_custom_plan`]).
    fill: bool,
    /// The running query's skeleton's state after its custom plan, kept if it succeeds.
    pending_auto: Option<AutoEntry>,
}

impl SimpleCache {
    pub fn clear(&mut self) {
        self.exact.clear();
        self.auto.clear();
    }
}

enum AutoEntry {
    /// Planned with its constants so far.
    Custom(CustomPlans),
    /// Its parameterised plan would differ from a plan with its constants.
    Never,
    /// Runs its parameterised plan.
    Plan(Arc<AutoPlan>),
}

/// The plans a skeleton's queries got with their constants.
#[derive(Clone, Default)]
struct CustomPlans {
    count: u64,
    /// Their total cost, each with the charge for planning it.
    cost: f64,
    /// The parameterised statement, bound the second time the skeleton is seen.
    generic: Option<Arc<AutoPlan>>,
    /// The first custom plan, until the parameterised statement is bound
    /// to compare it with.
    first: Option<Arc<Bound>>,
}

impl CustomPlans {
    /// The parameterised statement, if it is to run from now on.
    fn generic_if_cheaper(&self) -> Option<&Arc<AutoPlan>> {
        self.generic.as_ref().filter(|g| plancache::generic_is_cheaper(self.count, self.cost, g.cost))
    }
}

/// A statement bound with parameters in place of some of its constants.
pub struct AutoPlan {
    bound: Arc<Bound>,
    /// The statement with `$n` in place of the constants, to bind again.
    ast: Arc<sqlparser::ast::Statement>,
    params: Vec<autoparam::Param>,
    /// The type declared for each parameter (a number's own type).
    declared: Vec<PgType>,
    /// Per literal of the skeleton: `None` for one a parameter stands for,
    /// else its text, which a query must repeat to use this plan.
    fixed: Vec<Option<Box<str>>>,
    /// The estimated cost of running its plan.
    cost: f64,
}

impl AutoPlan {
    /// Whether query `sql` (of this plan's skeleton, with `literals`) can
    /// run this plan: it repeats the literals that are no parameters, and
    /// its numbers have the parameters' types.
    fn fits(&self, sql: &str, literals: &[Literal]) -> bool {
        self.fixed.len() == literals.len()
            && self.fixed.iter().zip(literals).all(|(f, l)| f.as_deref().is_none_or(|f| *f == *l.text(sql)))
            && self.params.iter().zip(&self.declared).all(|(p, &d)| p.declared(sql, literals) == d)
    }
}

impl Session {
    /// Parse a simple Query message's text into statements, or take them
    /// from the caches (which skips parsing and binding for a repeated
    /// query, as a prepared statement would).
    pub fn parse_simple(&mut self, sql: &str) -> Result<SimpleStatements> {
        self.simple_cache.pending.clear();
        self.simple_cache.pending_auto = None;
        self.simple_cache.fill = false;
        self.refresh_search_path();
        // Plans made under other cost settings (`SET enable_seqscan`, …) may differ.
        let costs = self.cost_params();
        if costs != self.simple_cache.costs {
            self.simple_cache.clear();
            self.simple_cache.costs = costs;
        }
        let counts = &self.shared.metrics.simple_plans;
        if let Some(cached) = self.simple_cache.exact.get(sql) {
            counts.text.inc_by(cached.len() as u64);
            return Ok(SimpleStatements::Cached(cached.clone()));
        }
        if let Some(auto) = self.auto_statement(sql) {
            self.shared.metrics.simple_plans.parameterised.inc();
            return Ok(auto);
        }
        let parsed = parser::parse(sql)?;
        self.shared.metrics.simple_plans.parsed.inc_by(parsed.len() as u64);
        Ok(SimpleStatements::Parsed(parsed))
    }

    /// The parameterised statement of `sql`'s skeleton with `sql`'s
    /// constants, if there is one they fit; notes a skeleton seen.
    fn auto_statement(&mut self, sql: &str) -> Option<SimpleStatements> {
        let c = &mut self.simple_cache;
        if sql.len() > SIMPLE_CACHE_MAX_QUERY
            || !autoparam::scan(sql, &mut c.skeleton, &mut c.literals)
            || c.literals.is_empty()
        {
            return None;
        }
        if PlanCacheMode::from_setting(self.settings.str(Guc::plan_cache_mode)) == PlanCacheMode::ForceCustomPlan {
            return None;
        }
        let plan = match c.auto.get_mut(c.skeleton.as_str()) {
            Some(AutoEntry::Plan(p)) => p.clone(),
            Some(entry @ AutoEntry::Custom(_)) => {
                let AutoEntry::Custom(custom) = &*entry else { return None };
                let Some(generic) = custom.generic_if_cheaper().cloned() else {
                    c.fill = true;
                    return None;
                };
                *entry = AutoEntry::Plan(generic.clone());
                generic
            }
            Some(AutoEntry::Never) => return None,
            None => {
                if c.auto.len() >= AUTO_ENTRIES {
                    c.auto.clear();
                }
                c.auto.insert(c.skeleton.as_str().into(), AutoEntry::Custom(CustomPlans::default()));
                c.fill = true;
                return None;
            }
        };
        if !plan.fits(sql, &c.literals) {
            return None;
        }
        // A constant its parameter's type does not accept: parsed and bound
        // afresh, to fail as the query itself does.
        let tz = self.time_zone();
        let mut values = Vec::with_capacity(plan.params.len());
        for (p, &ty) in plan.params.iter().zip(&plan.bound.params) {
            values.push(parse_text_tz(ty, &p.text(sql, &self.simple_cache.literals), &tz).ok()?);
        }
        Some(SimpleStatements::Auto(plan, values))
    }

    /// Bind statement `i` of a simple query into the unnamed portal.
    pub fn bind_simple(&mut self, sql: &str, statements: &mut SimpleStatements, i: usize) -> Result<()> {
        self.start_statement();
        let (prepared, params, fresh) = match statements {
            SimpleStatements::Cached(c) => (c[i].clone(), Vec::new(), false),
            SimpleStatements::Parsed(p) => {
                self.check_not_failed(xact::is_exit_statement(&p[i]))?;
                let tables = self.tables();
                let bound = Arc::new(Binder::simple(sql, &tables).bind(&p[i])?);
                if self.simple_cache.fill && p.len() == 1 {
                    self.simple_cache.fill = false;
                    self.note_custom_plan(sql, &p[0], &bound);
                }
                let prepared = Arc::new(PreparedStatement::new(sql, Some(bound), self.statement_timestamp));
                self.simple_cache.pending.push(prepared.clone());
                (prepared, Vec::new(), true)
            }
            SimpleStatements::Auto(plan, values) => {
                // In a failed block: 25P02 before any table is locked.
                self.check_not_failed(false)?;
                let prepared = match self.auto_tables_current(&plan.bound)? {
                    true => PreparedStatement {
                        bound: Some(plan.bound.clone()),
                        inner: Some(plan.ast.clone()),
                        ..PreparedStatement::new(sql, None, self.statement_timestamp)
                    },
                    false => {
                        // A table changed: bound afresh from the text, and
                        // parameterised again when next seen.
                        let key = self.simple_cache.skeleton.as_str();
                        if let Some(e) = self.simple_cache.auto.get_mut(key) {
                            *e = AutoEntry::Custom(CustomPlans::default());
                        }
                        let parsed = parser::parse(sql)?;
                        let [one] = parsed.as_slice() else {
                            return Err(crate::error::Error::internal("a parameterised query is not one statement"));
                        };
                        let tables = self.tables();
                        let bound = Binder::simple(sql, &tables).bind(one)?;
                        values.clear();
                        PreparedStatement::new(sql, Some(Arc::new(bound)), self.statement_timestamp)
                    }
                };
                (Arc::new(prepared), std::mem::take(values), false)
            }
        };
        let columns = prepared.columns().len();
        self.portals.insert(
            String::new(),
            Portal {
                statement: prepared,
                params,
                binary: vec![false; columns],
                custom: None,
                executor: None,
                rows: 0,
                finished: false,
                fresh,
            },
        );
        Ok(())
    }

    /// Whether the tables a parameterised statement reads and writes are
    /// still as they were when it was bound, taking the locks binding it
    /// would take. Its portal then runs as a prepared statement's does,
    /// looking its tables up again as it starts: a concurrent DROP INDEX
    /// CONCURRENTLY was seen to remove an index file under a plan that
    /// skipped that step.
    fn auto_tables_current(&mut self, bound: &Bound) -> Result<bool> {
        let mut tables = Vec::new();
        match &bound.statement {
            Statement::Query { tables: t, .. } => tables.extend(t.iter().map(|t| (t.clone(), LockMode::AccessShare))),
            Statement::Modify { table, source, .. } => {
                tables.push((table.clone(), LockMode::RowExclusive));
                let mut read = Vec::new();
                source.tables(&mut read);
                tables.extend(read.into_iter().map(|t| (t, LockMode::AccessShare)));
            }
            _ => return Ok(false),
        }
        for (t, mode) in tables {
            match self.revalidate(&t, mode) {
                Ok(now) if super::unchanged(&now, &t) => {}
                Ok(_) => return Ok(false),
                Err(e) if is_stale(&e) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// The running query was planned with its constants (a custom
    /// plan): count it and its cost for its skeleton; the second time,
    /// bind the skeleton with parameters too (a query seen once may never
    /// come again). A custom plan of another shape than the parameterised
    /// one means the skeleton is always planned with its constants. The
    /// skeleton's new state is kept if the query succeeds.
    fn note_custom_plan(&mut self, sql: &str, parsed: &parser::Parsed, custom: &Arc<Bound>) {
        let c = &self.simple_cache;
        let Some(AutoEntry::Custom(seen)) = c.auto.get(c.skeleton.as_str()) else { return };
        let mut seen = seen.clone();
        match &seen.generic {
            // Other constants than its fixed ones: not comparable.
            Some(g) if !g.fits(sql, &c.literals) => return,
            Some(g) if !same_plan(&g.bound, custom) => {
                self.simple_cache.pending_auto = Some(AutoEntry::Never);
                return;
            }
            Some(_) => {}
            None if seen.count == 0 => seen.first = Some(custom.clone()),
            None => match self.parameterised(sql, parsed, custom) {
                Some(g) if seen.first.take().is_none_or(|first| same_plan(&g.bound, &first)) => {
                    seen.generic = Some(Arc::new(g))
                }
                _ => {
                    self.simple_cache.pending_auto = Some(AutoEntry::Never);
                    return;
                }
            },
        }
        let tables = self.tables();
        seen.cost += plancache::statement_cost(&custom.statement, &tables, true);
        seen.count += 1;
        self.simple_cache.pending_auto = Some(AutoEntry::Custom(seen));
    }

    fn parameterised(&mut self, sql: &str, parsed: &parser::Parsed, with_constants: &Bound) -> Option<AutoPlan> {
        let parser::Parsed::Sql(stmt) = parsed else { return None };
        let plan = match &with_constants.statement {
            Statement::Query { plan, .. } => plan,
            Statement::Modify { kind, source, .. } if !matches!(kind, crate::sql::exec::ModifyKind::Lock { .. }) => {
                source
            }
            _ => return None,
        };
        if !plan.cte_writes().is_empty() {
            return None;
        }
        let mut ast = stmt.as_ref().clone();
        let literals = &self.simple_cache.literals;
        let params = autoparam::parameterise(&mut ast, sql, literals)?;
        if params.is_empty() {
            return None;
        }
        let declared: Vec<PgType> = params.iter().map(|p| p.declared(sql, literals)).collect();
        let mut fixed: Vec<Option<Box<str>>> = literals.iter().map(|l| Some(l.text(sql).into())).collect();
        for p in &params {
            fixed[p.literal] = None;
        }
        let tables = self.tables();
        let mut bound = Binder::new(sql, &tables, &declared).bind_ast(&ast).ok()?;
        // Chosen as the skeleton's plan, it runs as it is: its queries are
        // not planned again with their constants.
        bound.unplanned = None;
        let resolved = bound.params.len() == declared.len() && !bound.params.contains(&PgType::Unknown);
        let cost = plancache::statement_cost(&bound.statement, &tables, false);
        (resolved && same_plan(&bound, with_constants)).then(|| AutoPlan {
            bound: Arc::new(bound),
            ast: Arc::new(ast),
            params,
            declared,
            fixed,
            cost,
        })
    }

    /// A simple query ran to its end without error: remember its bound
    /// statements — only those that name no table, since a table's
    /// definition can change (or its creation roll back) under a plan —
    /// and its parameterised statement.
    pub fn cache_simple(&mut self, sql: &str, statements: &SimpleStatements) {
        let c = &mut self.simple_cache;
        if let Some(entry) = c.pending_auto.take() {
            c.auto.insert(c.skeleton.as_str().into(), entry);
        }
        let SimpleStatements::Parsed(parsed) = statements else { return };
        if c.pending.len() != parsed.len() || sql.len() > SIMPLE_CACHE_MAX_QUERY {
            return;
        }
        let names_a_table = |p: &Arc<PreparedStatement>| {
            p.bound.as_ref().is_some_and(|b| {
                matches!(
                    b.statement,
                    Statement::Modify { .. }
                        | Statement::CreateTable { .. }
                        | Statement::CreateTableAs(_)
                        | Statement::CreateSequence { .. }
                        | Statement::AlterSequence { .. }
                        | Statement::SetDefault { .. }
                        | Statement::CreateIndex { .. }
                        | Statement::Truncate { .. }
                        | Statement::AddConstraint { .. }
                        | Statement::DropConstraint { .. }
                        | Statement::AlterConstraint { .. }
                        | Statement::AlterTable { .. }
                        | Statement::RenameRelation { .. }
                        | Statement::Comment { .. }
                        | Statement::Drop { .. }
                        | Statement::CreateView { .. }
                        | Statement::Schema(_)
                        | Statement::Type(_)
                        | Statement::Domain(_)
                        | Statement::Copy(_)
                        | Statement::Prepare { .. }
                        | Statement::Execute { .. }
                        | Statement::Deallocate { .. }
                ) || matches!(&b.statement, Statement::Query { tables, .. } if !tables.is_empty())
            })
        };
        if c.pending.iter().any(names_a_table) {
            return;
        }
        if c.exact.len() >= SIMPLE_CACHE_ENTRIES {
            c.exact.clear();
        }
        let entry: Arc<[Arc<PreparedStatement>]> = std::mem::take(&mut c.pending).into();
        c.exact.insert(sql.to_string(), entry);
    }
}

/// Whether a parameterised statement's plan has the shape of one made
/// with constants, and the same result columns.
fn same_plan(parameterised: &Bound, with_constants: &Bound) -> bool {
    let same = match (&parameterised.statement, &with_constants.statement) {
        (Statement::Query { plan: a, .. }, Statement::Query { plan: b, .. }) => a.same_shape(b),
        (Statement::Modify { kind: k1, source: a, .. }, Statement::Modify { kind: k2, source: b, .. }) => {
            std::mem::discriminant(k1) == std::mem::discriminant(k2) && a.same_shape(b)
        }
        _ => false,
    };
    let typed = |b: &Bound| b.columns.iter().map(|c| (c.name.clone(), c.ty, c.typmod)).collect::<Vec<_>>();
    same && typed(parameterised) == typed(with_constants)
}
