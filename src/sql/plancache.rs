//! Custom and generic plans of a statement with parameters, as
//! PostgreSQL's `plancache.c` chooses between them.
//!
//! A statement bound with parameters (`PREPARE`, a Parse message, an
//! auto-parameterised simple query) keeps two forms: its *generic* plan,
//! made once with the parameters unknown, and the statement as bound
//! before access paths were chosen ([`Bound::unplanned`]). A *custom* plan
//! is made from the latter for one execution: the parameters' values
//! become constants ([`custom_plan`]), so the planner's estimates see them
//! (a rare value's index scan, a common one's sequential scan) and EXPLAIN
//! shows them.
//!
//! Which one an execution runs ([`PlanStats::choose_custom`]):
//!
//! 1. A statement without parameters runs its one plan.
//! 2. `plan_cache_mode` = `force_generic_plan` or `force_custom_plan` decides.
//! 3. Otherwise the first five executions get custom plans, each costed
//!    with a charge for planning it (`1000 * cpu_operator_cost` per table
//!    plus one).
//! 4. After that the generic plan runs while its cost is below the
//!    custom plans' average; once the generic plan's cost is known to be
//!    above it, custom plans go on being made (and averaged).
//!
//! Deciding for the generic plan reads a few counters: the generic
//! path allocates nothing and plans nothing.

use std::sync::atomic::{AtomicU64, Ordering};

use super::binder::TableLookup;
use super::costsize::Costing;
use super::types::Datum;
use super::{Bound, Statement};

/// `plan_cache_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanCacheMode {
    Auto,
    ForceGenericPlan,
    ForceCustomPlan,
}

impl PlanCacheMode {
    pub fn from_setting(s: &str) -> PlanCacheMode {
        match s {
            "force_generic_plan" => PlanCacheMode::ForceGenericPlan,
            "force_custom_plan" => PlanCacheMode::ForceCustomPlan,
            _ => PlanCacheMode::Auto,
        }
    }
}

/// How many custom plans are made before a generic one is considered.
const CUSTOM_PLANS_FIRST: u64 = 5;

/// A statement's plan counts and costs (`pg_prepared_statements`'
/// `generic_plans` and `custom_plans`). Atomics, as the statement is
/// shared (`Arc`) by its session's portals.
#[derive(Debug)]
pub struct PlanStats {
    generic_plans: AtomicU64,
    custom_plans: AtomicU64,
    /// The sum of the custom plans' costs (an `f64`'s bits).
    custom_cost: AtomicU64,
    /// The generic plan's cost (an `f64`'s bits), [`UNKNOWN`] until computed.
    generic_cost: AtomicU64,
}

/// A cost not computed yet (the bits of a NaN).
const UNKNOWN: u64 = u64::MAX;

impl Default for PlanStats {
    fn default() -> PlanStats {
        PlanStats {
            generic_plans: AtomicU64::new(0),
            custom_plans: AtomicU64::new(0),
            custom_cost: AtomicU64::new(0),
            generic_cost: AtomicU64::new(UNKNOWN),
        }
    }
}

impl PlanStats {
    /// The counts and custom costs of `other`; the generic plan's cost
    /// unknown (for a statement bound again: its generic plan is new).
    pub fn carried_over(other: &PlanStats) -> PlanStats {
        let load = |a: &AtomicU64| AtomicU64::new(a.load(Ordering::Relaxed));
        PlanStats {
            generic_plans: load(&other.generic_plans),
            custom_plans: load(&other.custom_plans),
            custom_cost: load(&other.custom_cost),
            generic_cost: AtomicU64::new(UNKNOWN),
        }
    }

    pub fn generic_plans(&self) -> u64 {
        self.generic_plans.load(Ordering::Relaxed)
    }

    pub fn custom_plans(&self) -> u64 {
        self.custom_plans.load(Ordering::Relaxed)
    }

    /// Whether this execution of a statement should get a custom plan
    /// (PostgreSQL's `choose_custom_plan`). `plannable`: the statement has
    /// parameters and an unplanned form ([`Bound::unplanned`]).
    /// `generic_cost` computes the generic plan's cost ([`statement_cost`]),
    /// called once, the first time the choice depends on it.
    pub fn choose_custom(&self, plannable: bool, mode: PlanCacheMode, generic_cost: impl FnOnce() -> f64) -> bool {
        if !plannable {
            return false;
        }
        match mode {
            PlanCacheMode::ForceGenericPlan => return false,
            PlanCacheMode::ForceCustomPlan => return true,
            PlanCacheMode::Auto => {}
        }
        let customs = self.custom_plans.load(Ordering::Relaxed);
        if customs < CUSTOM_PLANS_FIRST {
            return true;
        }
        let generic = match self.generic_cost.load(Ordering::Relaxed) {
            UNKNOWN => {
                let cost = generic_cost();
                self.generic_cost.store(cost.to_bits(), Ordering::Relaxed);
                cost
            }
            bits => f64::from_bits(bits),
        };
        !generic_is_cheaper(customs, f64::from_bits(self.custom_cost.load(Ordering::Relaxed)), generic)
    }

    /// Count an execution that runs the generic plan.
    pub fn count_generic(&self) {
        self.generic_plans.fetch_add(1, Ordering::Relaxed);
    }

    /// Count an execution that runs custom plan `custom`, its cost (with
    /// the charge for planning it) into the average.
    pub fn count_custom(&self, custom: &Bound, tables: &dyn TableLookup) {
        let cost = statement_cost(&custom.statement, tables, true);
        let total = f64::from_bits(self.custom_cost.load(Ordering::Relaxed)) + cost;
        self.custom_cost.store(total.to_bits(), Ordering::Relaxed);
        self.custom_plans.fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether a generic plan of cost `generic` is to run rather than custom
/// plans, `custom_plans` of which were made, costing `custom_cost` in all:
/// after the first five, if it costs less than their average. (Their
/// costs include planning them, so the generic plan need only beat the
/// cost of running a custom plan plus that of making it.)
pub fn generic_is_cheaper(custom_plans: u64, custom_cost: f64, generic: f64) -> bool {
    custom_plans >= CUSTOM_PLANS_FIRST && generic < custom_cost / custom_plans as f64
}

/// `bound` planned for parameter values `values`: each `$n` of its plan a
/// constant, access paths chosen for them. `None` if it has no unplanned
/// form (no parameters, or not a query or data-changing statement).
pub fn custom_plan(bound: &Bound, values: &[Datum], tables: &dyn TableLookup) -> Option<Bound> {
    let mut statement = Statement::clone(bound.unplanned.as_deref()?);
    match &mut statement {
        Statement::Query { plan, .. } | Statement::Modify { source: plan, .. } => {
            super::planner::bind_param_values(std::sync::Arc::make_mut(plan), values);
        }
        _ => return None,
    }
    super::binder::choose_access_paths(&mut statement, tables);
    Some(Bound {
        statement,
        params: bound.params.clone(),
        columns: bound.columns.clone(),
        access: bound.access.clone(),
        unplanned: None,
    })
}

/// The estimated total cost of running `statement` (PostgreSQL's
/// `cached_plan_cost`) under `tables`' cost settings; with `planning`, plus a charge for planning it:
/// `1000 * cpu_operator_cost` per table it names, and once more.
pub fn statement_cost(statement: &Statement, tables: &dyn TableLookup, planning: bool) -> f64 {
    let costs = tables.cost_params();
    let blocks = |t: &crate::catalog::Table| tables.blocks(t);
    let costing = Costing::new(costs, &blocks);
    let (plan, relations) = match statement {
        Statement::Query { plan, tables, .. } => (plan, tables.len()),
        Statement::Modify { source, .. } => {
            let mut read = Vec::new();
            source.tables(&mut read);
            (source, read.len() + 1)
        }
        _ => return 0.0,
    };
    let run = costing.estimate(plan).total;
    match planning {
        true => run + 1000.0 * costs.cpu_operator_cost * (relations as f64 + 1.0),
        false => run,
    }
}
