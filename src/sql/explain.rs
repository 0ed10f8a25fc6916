//! EXPLAIN: a plan printed in PostgreSQL's text format — node names
//! (`Seq Scan on t`, `Index Scan using t_pkey on t`, `Hash Join`,
//! `HashAggregate`, …), their properties (`Filter:`, `Index Cond:`,
//! `Hash Cond:`, `Group Key:`, `Sort Key:`) with expressions written as
//! PostgreSQL deparses them, and, for EXPLAIN ANALYZE, each node's actual
//! rows, loops and time. Unless COSTS is off, each node shows the
//! planner's estimate (`(cost=0.00..35.50 rows=2550 width=4)`, see
//! `costsize`); a node folded into another (a projection, a filter)
//! shows the estimate of the outermost one.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write;

use super::costsize::Estimate;
use super::expr::{ArithOp, Expr};
use super::plan::{AggCall, AggFunc, HypotheticalRank, JoinKind, Plan, SetOpKind, SortKey, SubKind, WinFunc};
use super::types::{Datum, PgType};

/// What one executed plan node did (EXPLAIN ANALYZE).
#[derive(Clone, Copy, Debug, Default)]
pub struct NodeStats {
    pub rows: u64,
    /// Rows a scan's filter removed.
    pub removed: u64,
    /// Rows an index-only scan had to read from the heap.
    pub heap_fetches: u64,
    pub loops: u64,
    /// Milliseconds until the first row, and in all.
    pub first_ms: f64,
    pub total_ms: f64,
}

pub struct Options<'a> {
    /// Per plan node, in pre-order (a node before its inputs), when analyzed.
    pub stats: Option<&'a [NodeStats]>,
    pub timing: bool,
    /// Per plan node (by address), its estimate, when COSTS is on.
    pub costs: Option<&'a HashMap<usize, Estimate>>,
    /// VERBOSE: the schema of each table the plan reads, by namespace
    /// OID. Each node then shows its output columns (`Output:`), and
    /// relations and a scan's own conditions are qualified.
    pub schemas: Option<&'a HashMap<u32, String>>,
}

/// The lines of EXPLAIN's output for `plan`; `top` names a data-changing
/// statement's node (`Insert on t`).
pub fn explain(plan: &Plan, top: Option<String>, options: &Options<'_>) -> Vec<String> {
    let mut scans = 0;
    let mut results = 0;
    let mut ctes = false;
    plan.walk(&mut |p| match p {
        Plan::Scan { .. } | Plan::IndexScan { .. } | Plan::CteScan { .. } | Plan::WorkTableScan { .. } => scans += 1,
        Plan::Values { .. } => results += 1,
        Plan::With { .. } => ctes = true,
        _ => {}
    });
    // PostgreSQL qualifies column names when the statement's range table
    // has several entries; a CTE's FROM-less SELECT or VALUES has one too.
    if ctes {
        scans += results;
    }
    let mut e = Explainer::new(options, scans > 1, refnames(plan));
    match top {
        Some(name) => {
            // The node's own properties (`Conflict Resolution: …`) follow its name.
            e.lines.extend(name.split('\n').map(String::from));
            if let Some(est) = e.estimate_of(plan) {
                // A data-changing node returns no rows of its own.
                let own = Estimate { rows: 0.0, width: 0, ..est };
                e.lines[0].push_str(&format!("  {}", own.text()));
            }
            match plan {
                // A data-changing statement's CTEs belong to its own node.
                Plan::With { ctes, input } => {
                    e.next = e.push_ctes(ctes, 0);
                    e.print_ctes(0);
                    e.node(input, 6, true, Vec::new());
                }
                _ => {
                    e.node(plan, 6, true, Vec::new());
                }
            }
        }
        None => {
            e.node(plan, 0, false, Vec::new());
        }
    }
    e.lines
}

/// Whether a projection over `input` computes something from the values
/// of set-returning calls (not merely passes them on).
fn computes_over_srfs(input: &Plan, exprs: &[Expr]) -> bool {
    let Plan::ProjectSet { input: below, .. } = input else { return false };
    let first = below.types().len();
    exprs.iter().any(|e| !matches!(e, Expr::Column(..)) && e.columns_read().iter().any(|&c| c >= first))
}

/// An expression as EXPLAIN prints it in a node's property, its columns
/// named by `names` (an INSERT's `Conflict Filter`).
pub fn expression(expr: &Expr, names: &[String]) -> String {
    let options = Options { stats: None, timing: false, costs: None, schemas: None };
    Explainer::new(&options, true, HashMap::new()).deparse(expr, names, false)
}

struct Explainer<'a> {
    lines: Vec<String>,
    /// Several relations: column names are qualified (`t.a`).
    qualify: bool,
    options: &'a Options<'a>,
    /// The pre-order number of the next plan node (index into the stats).
    next: usize,
    subplans: usize,
    /// Subqueries of folded nodes, printed with the node they fold into.
    pending: Vec<(usize, std::sync::Arc<Plan>, bool)>,
    /// CTEs of a folded `With` node: name, plan, first statistics slot,
    /// and for a data-modifying one its node (`Delete on t`).
    pending_ctes: Vec<(String, std::sync::Arc<Plan>, usize, Option<String>)>,
    /// The pre-order number of the node whose properties are being printed.
    current: usize,
    /// The name each scan node's relation is referred to by, unique in the
    /// statement (by node address).
    refnames: HashMap<usize, String>,
    /// Output names of nodes already peeked at (by node address), so that
    /// a deep tree of joins is not walked again at every level.
    peeked: HashMap<usize, Vec<String>>,
    /// What a nested loop's outer slots hold, as the left row's values
    /// are named (`o.cust_id`), by slot.
    outer_names: HashMap<usize, String>,
    /// The next node printed is folded into the one above (a filter or a
    /// projection): that one shows the output.
    folded: bool,
    /// VERBOSE: a projection's output as its own node shows it (without
    /// the parentheses a reference from above puts around a computation).
    output: Option<Vec<String>>,
}

/// Give each scanned relation a name unique in the statement, as
/// PostgreSQL's EXPLAIN does: the name (or alias) the query used, or with
/// `_1`, `_2`, … appended when an earlier relation has it. Relations of
/// the main query are named first, then those of the CTEs and subqueries.
fn refnames(plan: &Plan) -> HashMap<usize, String> {
    let mut names = HashMap::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut seen_subplans = HashSet::new();
    // Query levels still to name: CTEs' and subqueries' plans (shared
    // through `Arc`, so their nodes keep their addresses).
    let mut queue: VecDeque<std::sync::Arc<Plan>> = VecDeque::new();
    let mut name_level = |query: &Plan, queue: &mut VecDeque<std::sync::Arc<Plan>>| {
        level_nodes(query, &mut |p| {
            let base = match p {
                Plan::Scan { table, alias, .. } | Plan::IndexScan { table, alias, .. } => {
                    alias.clone().unwrap_or_else(|| table.name.clone())
                }
                Plan::CteScan { name, alias, .. } | Plan::WorkTableScan { name, alias, .. } => {
                    alias.clone().unwrap_or_else(|| name.clone())
                }
                Plan::With { ctes, .. } => {
                    queue.extend(ctes.iter().map(|c| c.plan.clone()));
                    return;
                }
                _ => return,
            };
            let mut name = base.clone();
            let mut n = 0;
            while used.contains(&name) {
                n += 1;
                name = format!("{base}_{n}");
            }
            used.insert(name.clone());
            names.insert(p as *const Plan as usize, name);
        });
        for (id, sub, _) in subplans_of(query) {
            if seen_subplans.insert(id) {
                queue.push_back(sub);
            }
        }
    };
    name_level(plan, &mut queue);
    while let Some(query) = queue.pop_front() {
        name_level(&query, &mut queue);
    }
    names
}

/// The nodes of one query level: not those of its CTEs or subqueries.
fn level_nodes<'p>(plan: &'p Plan, f: &mut dyn FnMut(&'p Plan)) {
    f(plan);
    for input in plan.inputs() {
        level_nodes(input, f);
    }
}

/// A count per loop, rounded as PostgreSQL prints it.
fn per_loop(n: u64, loops: u64) -> u64 {
    (n as f64 / loops.max(1) as f64).round() as u64
}

/// How many operators (statistics slots) the executor builds for `plan`.
pub fn operator_count(plan: &Plan) -> usize {
    let ctes = match plan {
        Plan::With { ctes, .. } => ctes.iter().map(|c| operator_count(&c.plan)).sum(),
        _ => 0,
    };
    1 + ctes + plan.inputs().into_iter().map(operator_count).sum::<usize>()
}

impl<'a> Explainer<'a> {
    fn new(options: &'a Options<'a>, qualify: bool, refnames: HashMap<usize, String>) -> Explainer<'a> {
        Explainer {
            lines: Vec::new(),
            qualify,
            options,
            next: 0,
            subplans: 0,
            pending: Vec::new(),
            pending_ctes: Vec::new(),
            current: 0,
            refnames,
            peeked: HashMap::new(),
            outer_names: HashMap::new(),
            folded: false,
            output: None,
        }
    }

    /// Print `plan` with its text at column `at` (after `->  ` if `arrow`),
    /// with `extra` properties from nodes folded into it; returns the names
    /// of its output columns.
    fn node(&mut self, plan: &Plan, at: usize, arrow: bool, extra: Vec<String>) -> Vec<String> {
        // A node folded into the one above shows that one's output.
        let folded = std::mem::take(&mut self.folded);
        let header_at = self.lines.len();
        let names = self.node_lines(plan, at, arrow, extra);
        let output = self.output.take();
        if self.options.schemas.is_some() && !folded && !names.is_empty() && header_at < self.lines.len() {
            let output = format!("{}Output: {}", " ".repeat(at + 2), output.as_ref().unwrap_or(&names).join(", "));
            self.lines.insert(header_at + 1, output);
        }
        names
    }

    fn node_lines(&mut self, plan: &Plan, at: usize, arrow: bool, extra: Vec<String>) -> Vec<String> {
        let id = self.next;
        self.next += 1;
        match plan {
            // Folded into their input: a projection shows nothing of its
            // own, a filter is a property of the node below it.
            // A projection computing over set-returning calls' values is a
            // node of its own (`Result`), as in PostgreSQL.
            Plan::Project { input, exprs } if !computes_over_srfs(input, exprs) => {
                self.pending.extend(subplans_of(plan));
                self.folded = true;
                let names = self.node_folded(plan, input, at, arrow, extra, id);
                if self.options.schemas.is_some() {
                    self.output = Some(exprs.iter().map(|e| self.deparse(e, &names, false)).collect());
                }
                return exprs.iter().map(|e| self.deparse(e, &names, true)).collect();
            }
            Plan::With { ctes, input } => {
                // The CTEs are printed with the node below; their operators
                // come after this one's, before the input's.
                self.next = self.push_ctes(ctes, id);
                self.folded = true;
                return self.node_folded(plan, input, at, arrow, extra, id);
            }
            Plan::Filter { input, predicate } => {
                self.pending.extend(subplans_of(plan));
                let mut names = self.peek_names(input);
                if let Plan::CteScan { columns, .. } | Plan::WorkTableScan { columns, .. } = input.as_ref() {
                    // A scan's own condition names its columns unqualified.
                    names = columns.iter().map(|c| ident(c)).collect();
                }
                let mut props = vec![format!("Filter: {}", self.deparse(predicate, &names, false))];
                let input_id = self.next;
                if let Some(stats) = self.options.stats {
                    if let (Some(mine), Some(input)) = (stats.get(id), stats.get(input_id)) {
                        let removed = input.rows.saturating_sub(mine.rows);
                        if removed > 0 {
                            props.push(format!("Rows Removed by Filter: {}", per_loop(removed, mine.loops)));
                        }
                    }
                }
                props.extend(extra);
                self.folded = true;
                return self.node_folded(plan, input, at, arrow, props, id);
            }
            _ => {}
        }
        let header_at = self.lines.len();
        self.lines.push(String::new());
        self.current = id;
        let (title, names) = self.body(plan, at, extra);
        let estimate = self.estimate_of(plan);
        self.lines[header_at] = self.header(&title, at, arrow, id, estimate);
        names
    }

    /// Queue the CTEs of the `With` node numbered `id` for printing; the
    /// number of the first operator after theirs.
    fn push_ctes(&mut self, ctes: &[super::plan::Cte], id: usize) -> usize {
        let mut slot = id + 1;
        for c in ctes {
            let write = c.write.as_ref().map(|w| {
                let verb = match w.kind {
                    super::exec::ModifyKind::Insert | super::exec::ModifyKind::Upsert(_) => "Insert",
                    super::exec::ModifyKind::Update(_) => "Update",
                    _ => "Delete",
                };
                match c.plan.target_alias() {
                    Some(alias) => format!("{verb} on {} {alias}", w.table.name),
                    None => format!("{verb} on {}", w.table.name),
                }
            });
            self.pending_ctes.push((c.name.clone(), c.plan.clone(), slot, write));
            slot += operator_count(&c.plan);
        }
        slot
    }

    /// Print the queued CTEs as properties of a node at column `at`.
    fn print_ctes(&mut self, at: usize) {
        for (name, cte, slot, write) in std::mem::take(&mut self.pending_ctes) {
            self.prop(at, format!("CTE {name}"));
            let saved = self.next;
            self.next = slot;
            match write {
                Some(title) => {
                    self.lines.push(format!("{}->  {title}", " ".repeat(at + 4)));
                    self.node(&cte, at + 14, true, Vec::new());
                }
                None => {
                    self.node(&cte, at + 8, true, Vec::new());
                }
            }
            self.next = saved;
        }
    }

    /// The planner's estimate of `plan`, when costs are printed.
    fn estimate_of(&self, plan: &Plan) -> Option<Estimate> {
        self.options.costs.and_then(|c| c.get(&(plan as *const Plan as usize)).copied())
    }

    /// Print `input` as if it were the node `outer` numbered `id` (whose
    /// stats count what it passed on, and whose estimate is shown).
    fn node_folded(
        &mut self,
        outer: &Plan,
        input: &Plan,
        at: usize,
        arrow: bool,
        extra: Vec<String>,
        id: usize,
    ) -> Vec<String> {
        let header_at = self.lines.len();
        let names = self.node(input, at, arrow, extra);
        if let Some(est) = self.estimate_of(outer) {
            let line = &mut self.lines[header_at];
            if let Some(start) = line.find("  (cost=") {
                if let Some(len) = line[start..].find(')') {
                    line.replace_range(start..start + len + 1, &format!("  {}", est.text()));
                }
            }
        }
        if let Some(stats) = self.options.stats.and_then(|s| s.get(id)) {
            // Show the rows that left the folded node (after the filter).
            let actual = self.actual(stats);
            let line = &mut self.lines[header_at];
            if let Some(i) = line.find(" (actual") {
                line.truncate(i);
                line.push_str(&actual);
            }
        }
        names
    }

    fn header(&self, title: &str, at: usize, arrow: bool, id: usize, estimate: Option<Estimate>) -> String {
        let mut line =
            if arrow { format!("{}->  {title}", " ".repeat(at - 4)) } else { format!("{}{title}", " ".repeat(at)) };
        if let Some(e) = estimate {
            line.push_str("  ");
            line.push_str(&e.text());
        }
        if let Some(stats) = self.options.stats {
            match stats.get(id) {
                Some(s) if s.loops > 0 => line.push_str(&self.actual(s)),
                _ => line.push_str(" (never executed)"),
            }
        }
        line
    }

    fn actual(&self, s: &NodeStats) -> String {
        let loops = s.loops.max(1);
        if self.options.timing {
            format!(
                " (actual time={:.3}..{:.3} rows={} loops={})",
                s.first_ms / loops as f64,
                s.total_ms / loops as f64,
                per_loop(s.rows, s.loops),
                s.loops
            )
        } else {
            format!(" (actual rows={} loops={})", per_loop(s.rows, s.loops), s.loops)
        }
    }

    /// `Rows Removed by Filter: n` of the node being printed (ANALYZE).
    fn removed(&mut self, at: usize) {
        let Some(s) = self.options.stats.and_then(|s| s.get(self.current)) else { return };
        if s.removed > 0 {
            self.prop(at, format!("Rows Removed by Filter: {}", per_loop(s.removed, s.loops)));
        }
    }

    fn prop(&mut self, at: usize, text: String) {
        self.lines.push(format!("{}{text}", " ".repeat(at + 2)));
    }

    /// The node's title and output names; prints its properties and inputs.
    fn body(&mut self, plan: &Plan, at: usize, extra: Vec<String>) -> (String, Vec<String>) {
        let child = at + 6;
        match plan {
            Plan::Scan { table, filter, ctid, system, .. } => {
                let label = self.refname(plan, &table.name);
                let names = self.scan_names(table, &label, (*ctid, *system));
                // A scan's own conditions name its columns unqualified, as
                // PostgreSQL prints them (qualified with VERBOSE).
                let own = self.own_names(table, &label, *system);
                if let Some(f) = filter {
                    let text = self.deparse(f, &own, false);
                    self.prop(at, format!("Filter: {text}"));
                    self.removed(at);
                }
                self.props(at, extra, plan);
                (format!("Seq Scan on {}{}", self.relation(table), alias_suffix(&table.name, &label)), names)
            }
            Plan::IndexScan { table, index, conds, filter, backward, index_only, ctid, system, .. } => {
                let label = self.refname(plan, &table.name);
                let names = self.scan_names(table, &label, (*ctid, *system));
                let own = self.own_names(table, &label, *system);
                let cond_texts: Vec<String> = conds.iter().map(|c| self.deparse(c, &own, false)).collect();
                if !cond_texts.is_empty() {
                    self.prop(at, format!("Index Cond: {}", join_and(&cond_texts)));
                }
                let mut rest = Vec::new();
                if let Some(f) = filter {
                    for c in conjuncts(f) {
                        let t = self.deparse(c, &own, false);
                        if !cond_texts.contains(&t) {
                            rest.push(t);
                        }
                    }
                }
                if !rest.is_empty() {
                    self.prop(at, format!("Filter: {}", join_and(&rest)));
                    self.removed(at);
                }
                if *index_only {
                    if let Some(s) = self.options.stats.and_then(|s| s.get(self.current)) {
                        self.prop(at, format!("Heap Fetches: {}", per_loop(s.heap_fetches, s.loops)));
                    }
                }
                self.props(at, extra, plan);
                let direction = if *backward { " Backward" } else { "" };
                let only = if *index_only { " Only" } else { "" };
                (
                    format!(
                        "Index{only} Scan{direction} using {} on {}{}",
                        index.name,
                        self.relation(table),
                        alias_suffix(&table.name, &label)
                    ),
                    names,
                )
            }
            Plan::Series { .. } => {
                self.props(at, extra, plan);
                ("Function Scan on generate_series".into(), vec!["generate_series".into()])
            }
            Plan::Unnest { ordinality, json, .. } => {
                self.props(at, extra, plan);
                let name = json.map_or("unnest", |f| f.name());
                let mut names: Vec<String> = match json {
                    Some(f) => f.columns().into_iter().map(|c| c.0.unwrap_or(name).to_string()).collect(),
                    None => vec![name.to_string()],
                };
                names.extend(ordinality.then(|| "ordinality".to_string()));
                (format!("Function Scan on {name}"), names)
            }
            Plan::Function { func } => {
                self.props(at, extra, plan);
                let names = func.columns().iter().map(|c| c.0.to_string()).collect();
                (format!("Function Scan on {}", func.name()), names)
            }
            Plan::Values { rows, types } => {
                self.props(at, extra, plan);
                if rows.len() == 1 && types.is_empty() {
                    return ("Result".into(), Vec::new());
                }
                if rows.len() == 1 {
                    // PostgreSQL plans a one-row VALUES as a Result.
                    return ("Result".into(), (1..=types.len()).map(|i| format!("\"*VALUES*\".column{i}")).collect());
                }
                (
                    "Values Scan on \"*VALUES*\"".into(),
                    (1..=types.len()).map(|i| format!("\"*VALUES*\".column{i}")).collect(),
                )
            }
            Plan::Join { left, right, kind, equi, on, merge } => {
                let (lnames, rnames) = (self.peek_names(left), self.peek_names(right));
                let mut all = lnames.clone();
                all.extend(rnames.iter().cloned());
                let kind_name = match kind {
                    JoinKind::Inner => "",
                    JoinKind::Left => " Left",
                    JoinKind::Right => " Right",
                    JoinKind::Full => " Full",
                    JoinKind::Semi => " Semi",
                    JoinKind::Anti => " Anti",
                };
                let title = if equi.is_empty() {
                    if *kind == JoinKind::Inner {
                        "Nested Loop".to_string()
                    } else {
                        format!("Nested Loop{kind_name} Join")
                    }
                } else {
                    let keys: Vec<String> = equi
                        .iter()
                        .map(|(l, r)| {
                            format!("({} = {})", self.deparse(l, &lnames, false), self.deparse(r, &rnames, false))
                        })
                        .collect();
                    let method = if *merge { "Merge" } else { "Hash" };
                    self.prop(at, format!("{method} Cond: {}", join_and(&keys)));
                    format!("{method}{kind_name} Join")
                };
                if let Some(on) = on {
                    let text = self.deparse(on, &all, false);
                    self.prop(at, format!("Join Filter: {text}"));
                }
                self.props(at, extra, plan);
                self.node(left, child, true, Vec::new());
                if equi.is_empty() || *merge {
                    self.node(right, child, true, Vec::new());
                } else {
                    let hash_line = self.lines.len();
                    self.lines.push(String::new());
                    let id = self.next;
                    self.node(right, child + 6, true, Vec::new());
                    // The hash table holds what its input produced.
                    let built = self.estimate_of(right).map(|r| Estimate { startup: r.total, ..r });
                    self.lines[hash_line] = self.header("Hash", child, true, id, built);
                }
                (title, if kind.emits_right() { all } else { lnames })
            }
            Plan::Aggregate { input, groups, aggs, sets } => {
                let names = self.peek_names(input);
                let keys: Vec<String> = groups.iter().map(|g| self.deparse(g, &names, true)).collect();
                let title = if !sets.is_empty() {
                    // Sets are hashed, but the empty set (one group) is
                    // not: with one, PostgreSQL's node is a MixedAggregate.
                    for set in sets.iter().filter(|s| !s.is_empty()) {
                        let set: Vec<&str> = set.iter().map(|&k| keys[k].as_str()).collect();
                        self.prop(at, format!("Hash Key: {}", set.join(", ")));
                    }
                    let empties = sets.iter().filter(|s| s.is_empty()).count();
                    for _ in 0..empties {
                        self.prop(at, "Group Key: ()".to_string());
                    }
                    match (empties, empties == sets.len()) {
                        (0, _) => "HashAggregate",
                        (_, true) => "Aggregate",
                        _ => "MixedAggregate",
                    }
                } else if groups.is_empty() {
                    "Aggregate"
                } else {
                    self.prop(at, format!("Group Key: {}", keys.join(", ")));
                    "HashAggregate"
                };
                let mut out = keys.clone();
                out.extend(aggs.iter().map(|a| match a.func {
                    AggFunc::Grouping => {
                        let args: Vec<&str> = a.grouping.iter().map(|&k| keys[k].as_str()).collect();
                        format!("GROUPING({})", args.join(", "))
                    }
                    _ => self.agg(a, &names),
                }));
                self.props(at, extra, plan);
                self.node(input, child, true, Vec::new());
                (title.into(), out)
            }
            Plan::Sort { input, keys } => {
                let names = self.peek_names(input);
                let keys: Vec<String> = keys.iter().map(|k| sort_key(k, &names)).collect();
                self.prop(at, format!("Sort Key: {}", keys.join(", ")));
                self.props(at, extra, plan);
                self.node(input, child, true, Vec::new());
                ("Sort".into(), names)
            }
            Plan::Limit { input, .. } => {
                self.props(at, extra, plan);
                let names = self.node(input, child, true, Vec::new());
                ("Limit".into(), names)
            }
            Plan::Distinct { input, columns } => {
                let names = self.peek_names(input);
                self.prop(at, format!("Group Key: {}", names[..*columns].join(", ")));
                self.props(at, extra, plan);
                self.node(input, child, true, Vec::new());
                ("HashAggregate".into(), names)
            }
            Plan::Unique { input, .. } => {
                self.props(at, extra, plan);
                let names = self.node(input, child, true, Vec::new());
                ("Unique".into(), names)
            }
            Plan::Window { input, funcs, .. } => {
                self.props(at, extra, plan);
                let mut names = self.node(input, child, true, Vec::new());
                for f in funcs {
                    let args: Vec<String> = f.args.iter().map(|e| self.deparse(e, &names, true)).collect();
                    let args = if f.func == WinFunc::Agg(AggFunc::CountStar) { "*".into() } else { args.join(", ") };
                    names.push(format!("{}({args}) OVER (?)", f.name));
                }
                ("WindowAgg".into(), names)
            }
            Plan::LateralJoin { left, right, kind, bindings, on } => {
                let lnames = self.peek_names(left);
                let mut all = lnames.clone();
                all.extend(self.peek_names(right));
                if let Some(on) = on {
                    self.prop(at, format!("Join Filter: {}", self.deparse(on, &all, false)));
                }
                self.props(at, extra, plan);
                self.node(left, child, true, Vec::new());
                for (slot, e) in bindings {
                    let name = self.deparse(e, &lnames, true);
                    self.outer_names.insert(*slot, name);
                }
                self.node(right, child, true, Vec::new());
                let title = match kind {
                    JoinKind::Inner => "Nested Loop",
                    JoinKind::Left => "Nested Loop Left Join",
                    JoinKind::Semi => "Nested Loop Semi Join",
                    JoinKind::Anti => "Nested Loop Anti Join",
                    JoinKind::Right => "Nested Loop Right Join",
                    JoinKind::Full => "Nested Loop Full Join",
                };
                (title.into(), if kind.emits_right() { all } else { lnames })
            }
            Plan::SetOp { kind, all, left, right } => {
                let names = self.peek_names(left);
                let title = match (kind, all) {
                    (SetOpKind::Union, true) => "Append".to_string(),
                    (SetOpKind::Union, false) => {
                        self.prop(at, format!("Group Key: {}", names.join(", ")));
                        "HashAggregate".to_string()
                    }
                    (SetOpKind::Intersect, a) => format!("HashSetOp Intersect{}", if *a { " All" } else { "" }),
                    (SetOpKind::Except, a) => format!("HashSetOp Except{}", if *a { " All" } else { "" }),
                };
                self.props(at, extra, plan);
                let inputs_at = if title == "Append" {
                    child
                } else {
                    let mut line = format!("{}->  Append", " ".repeat(child - 4));
                    if let (Some(l), Some(r)) = (self.estimate_of(left), self.estimate_of(right)) {
                        let both = Estimate { total: l.total + r.total, rows: l.rows + r.rows, ..l };
                        line.push_str(&format!("  {}", both.text()));
                    }
                    self.lines.push(line);
                    child + 6
                };
                self.node(left, inputs_at, true, Vec::new());
                self.node(right, inputs_at, true, Vec::new());
                (title, names)
            }
            Plan::CteScan { name, columns, .. } | Plan::WorkTableScan { name, columns, .. } => {
                let label = self.refname(plan, name);
                let names = self.table_names(&label, columns.iter().map(String::as_str));
                self.props(at, extra, plan);
                let kind = if matches!(plan, Plan::CteScan { .. }) { "CTE Scan" } else { "WorkTable Scan" };
                (format!("{kind} on {name}{}", alias_suffix(name, &label)), names)
            }
            Plan::RecursiveUnion { base, recursive, .. } => {
                self.props(at, extra, plan);
                let names = self.node(base, child, true, Vec::new());
                self.node(recursive, child, true, Vec::new());
                ("Recursive Union".into(), names)
            }
            Plan::ProjectSet { input, srfs, .. } => {
                self.props(at, extra, plan);
                let mut names = self.node(input, child, true, Vec::new());
                let calls: Vec<String> = srfs
                    .iter()
                    .map(|c| {
                        let args: Vec<String> = c.args.iter().map(|a| self.deparse(a, &names, true)).collect();
                        // Read from above, a call's value prints in parentheses.
                        format!("({}({}))", c.name(), args.join(", "))
                    })
                    .collect();
                names.extend(calls);
                ("ProjectSet".into(), names)
            }
            Plan::Project { input, exprs } => {
                self.props(at, extra, plan);
                let names = self.node(input, child, true, Vec::new());
                ("Result".into(), exprs.iter().map(|e| self.deparse(e, &names, true)).collect())
            }
            Plan::Filter { .. } | Plan::With { .. } => {
                unreachable!("folded into their input")
            }
        }
    }

    /// Folded properties, then the subqueries of the node's expressions.
    fn props(&mut self, at: usize, extra: Vec<String>, plan: &Plan) {
        for p in extra {
            self.prop(at, p);
        }
        let mut subs = subplans_of(plan);
        subs.append(&mut self.pending);
        // A subquery reached through several folded nodes is printed once.
        let mut printed = HashSet::new();
        subs.retain(|(id, _, _)| printed.insert(*id));
        self.print_ctes(at);
        for (id, sub, correlated) in subs {
            let label = if correlated { format!("SubPlan {}", id + 1) } else { format!("InitPlan {}", id + 1) };
            self.prop(at, label);
            // Subqueries run with nodes of their own: no statistics here.
            let saved = self.next;
            self.next = usize::MAX / 2;
            self.node(&sub, at + 8, true, Vec::new());
            self.next = saved;
        }
    }

    /// A node's output names without printing it.
    fn peek_names(&mut self, plan: &Plan) -> Vec<String> {
        let key = plan as *const Plan as usize;
        if let Some(names) = self.peeked.get(&key) {
            return names.clone();
        }
        let (lines, next, subs) = (self.lines.len(), self.next, self.subplans);
        let pending = std::mem::take(&mut self.pending);
        let pending_ctes = std::mem::take(&mut self.pending_ctes);
        let names = self.node(plan, 6, true, Vec::new());
        self.lines.truncate(lines);
        self.next = next;
        self.subplans = subs;
        self.pending = pending;
        self.pending_ctes = pending_ctes;
        self.peeked.insert(key, names.clone());
        names
    }

    /// The name a scan node's relation goes by (see [`refnames`]).
    fn refname(&self, plan: &Plan, default: &str) -> String {
        self.refnames.get(&(plan as *const Plan as usize)).cloned().unwrap_or_else(|| default.to_string())
    }

    /// A scan's output names: the table's columns, its system columns
    /// when the query names one, then `ctid` when the scan passes it on
    /// (to an UPDATE or DELETE).
    fn scan_names(&self, table: &crate::catalog::Table, label: &str, (ctid, system): (bool, bool)) -> Vec<String> {
        let columns = table.columns.iter().map(|c| c.name.as_str()).chain(system_names(system));
        self.table_names(label, columns.chain(ctid.then_some("ctid")))
    }

    /// The names a scan's own conditions give its columns: bare, or with
    /// VERBOSE qualified by the relation's name in the query.
    fn own_names(&self, table: &crate::catalog::Table, label: &str, system: bool) -> Vec<String> {
        let verbose = self.options.schemas.is_some();
        let columns = table.columns.iter().map(|c| c.name.as_str()).chain(system_names(system));
        columns.map(|c| if verbose { format!("{label}.{}", ident(c)) } else { ident(c) }).collect()
    }

    /// A scanned relation's name in a node's title: with VERBOSE, with its schema.
    fn relation(&self, table: &crate::catalog::Table) -> String {
        match self.options.schemas.and_then(|s| s.get(&table.namespace)) {
            Some(schema) => format!("{}.{}", ident(schema), ident(&table.name)),
            None => table.name.clone(),
        }
    }

    fn table_names<'n>(&self, table: &str, cols: impl Iterator<Item = &'n str>) -> Vec<String> {
        cols.map(|c| if self.qualify { format!("{table}.{}", ident(c)) } else { ident(c) }).collect()
    }

    fn agg(&self, a: &AggCall, names: &[String]) -> String {
        let name = match a.func {
            AggFunc::CountStar => return "count(*)".into(),
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::BoolAnd => "bool_and",
            AggFunc::BoolOr => "bool_or",
            AggFunc::StringAgg => "string_agg",
            AggFunc::ArrayAgg => "array_agg",
            AggFunc::JsonAgg { jsonb: false } => "json_agg",
            AggFunc::JsonAgg { jsonb: true } => "jsonb_agg",
            AggFunc::JsonObjectAgg { jsonb: false } => "json_object_agg",
            AggFunc::JsonObjectAgg { jsonb: true } => "jsonb_object_agg",
            AggFunc::Variance { name, .. } => name,
            AggFunc::Grouping => "grouping",
            AggFunc::PercentileCont { .. } => "percentile_cont",
            AggFunc::PercentileDisc { .. } => "percentile_disc",
            AggFunc::Mode => "mode",
            AggFunc::Hypothetical(HypotheticalRank::Rank) => "rank",
            AggFunc::Hypothetical(HypotheticalRank::DenseRank) => "dense_rank",
            AggFunc::Hypothetical(HypotheticalRank::PercentRank) => "percent_rank",
            AggFunc::Hypothetical(HypotheticalRank::CumeDist) => "cume_dist",
        };
        let args: Vec<String> = a.args.iter().map(|e| self.deparse(e, names, true)).collect();
        format!("{name}({}{})", if a.distinct { "DISTINCT " } else { "" }, args.join(", "))
    }

    /// An expression as PostgreSQL's ruleutils prints it: operators in
    /// parentheses, constants with their type unless they are integers.
    /// `top`: a bare column or call needs no parentheses.
    fn deparse(&self, e: &Expr, names: &[String], top: bool) -> String {
        let d = |x: &Expr| self.deparse(x, names, false);
        let text = match e {
            Expr::Column(i, _) => return names.get(*i).cloned().unwrap_or_else(|| format!("${i}")),
            Expr::Outer(slot, _) => return self.outer_names.get(slot).cloned().unwrap_or_else(|| format!("${slot}")),
            Expr::Param(i, _) => return format!("${}", i + 1),
            Expr::Const(v, ty) => return constant(v, *ty),
            Expr::AggRef(i, _) => return format!("agg{i}"),
            Expr::WinRef(i, _) => return format!("win{i}"),
            Expr::SrfRef(i, _) => return format!("srf{i}"),
            Expr::Arith(op, a, b, _) => {
                let sym = match op {
                    ArithOp::Add => "+",
                    ArithOp::Sub => "-",
                    ArithOp::Mul => "*",
                    ArithOp::Div => "/",
                    ArithOp::Mod => "%",
                };
                format!("({} {sym} {})", d(a), d(b))
            }
            Expr::Neg(a) => format!("(- {})", d(a)),
            Expr::Cmp(op, a, b) => format!("({} {} {})", d(a), op.symbol(), d(b)),
            Expr::Distinct(a, b, not) => {
                format!("({} IS {}DISTINCT FROM {})", d(a), if *not { "NOT " } else { "" }, d(b))
            }
            Expr::Concat(a, b) => format!("({} || {})", d(a), d(b)),
            Expr::And(..) => {
                let parts: Vec<String> = conjuncts(e).into_iter().map(d).collect();
                return format!("({})", parts.join(" AND "));
            }
            Expr::Or(..) => {
                let parts: Vec<String> = flatten(e, false).into_iter().map(d).collect();
                return format!("({})", parts.join(" OR "));
            }
            Expr::Not(a) => format!("(NOT {})", d(a)),
            Expr::IsNull(a, not) => format!("({} IS {}NULL)", d(a), if *not { "NOT " } else { "" }),
            Expr::IsBool(a, v, not) => {
                format!("({} IS {}{})", d(a), if *not { "NOT " } else { "" }, if *v { "TRUE" } else { "FALSE" })
            }
            Expr::Case { whens, otherwise, .. } => {
                let mut s = String::from("CASE");
                for (w, t) in whens {
                    let _ = write!(s, " WHEN {} THEN {}", d(w), d(t));
                }
                if let Some(o) = otherwise {
                    let _ = write!(s, " ELSE {}", d(o));
                }
                s.push_str(" END");
                return s;
            }
            Expr::Domain(a, domain) => return format!("({})::{}", d(a), domain.name),
            // A cast of a constant is folded before PostgreSQL prints it.
            Expr::Cast(a, ty, _) | Expr::Assign(a, ty, _) => {
                return match a.as_ref() {
                    Expr::Const(v, _) if !v.is_null() && *ty != PgType::Int4 => {
                        format!("'{}'::{}", v.to_text().replace('\'', "''"), ty.sql_name())
                    }
                    _ => format!("({})::{}", d(a), ty.sql_name()),
                };
            }
            Expr::Call(super::func::Func::RegexMatch { case_insensitive, negated }, args, _) if args.len() == 2 => {
                let op = match (case_insensitive, negated) {
                    (false, false) => "~",
                    (false, true) => "!~",
                    (true, false) => "~*",
                    (true, true) => "!~*",
                };
                format!("({} {op} {})", d(&args[0]), d(&args[1]))
            }
            Expr::Call(super::func::Func::ByteaCat, args, _) if args.len() == 2 => {
                format!("({} || {})", d(&args[0]), d(&args[1]))
            }
            Expr::Call(super::func::Func::Array(af), args, _) => {
                use super::array_fn::ArrayFn;
                let parts: Vec<String> = args.iter().map(|a| self.deparse(a, names, true)).collect();
                match af {
                    ArrayFn::Ctor(_) => format!("ARRAY[{}]", parts.join(", ")),
                    ArrayFn::Subscript | ArrayFn::Slice(..) if !parts.is_empty() => {
                        format!("({})[{}]", parts[0], parts[1..].join(":"))
                    }
                    ArrayFn::Any { op, all } if parts.len() == 2 => {
                        format!("({} {} {} ({}))", parts[0], op.symbol(), if *all { "ALL" } else { "ANY" }, parts[1])
                    }
                    ArrayFn::Cat | ArrayFn::Append(_) | ArrayFn::Prepend(_) if parts.len() == 2 => {
                        format!("({} || {})", parts[0], parts[1])
                    }
                    ArrayFn::Contains | ArrayFn::ContainedBy | ArrayFn::Overlap if parts.len() == 2 => {
                        let op = match af {
                            ArrayFn::Contains => "@>",
                            ArrayFn::ContainedBy => "<@",
                            _ => "&&",
                        };
                        format!("({} {op} {})", parts[0], parts[1])
                    }
                    other => return format!("{}({})", other.name(), parts.join(", ")),
                }
            }
            Expr::Call(super::func::Func::Json(jf), args, _)
                if args.len() == 2 && !jf.name().starts_with(|c: char| c.is_ascii_alphabetic()) =>
            {
                format!("({} {} {})", d(&args[0]), jf.name(), d(&args[1]))
            }
            Expr::Call(f, args, _) => {
                let args: Vec<String> = args.iter().map(|a| self.deparse(a, names, true)).collect();
                // SQL's value keywords have no parentheses unless given a precision.
                if let Some(k) = value_keyword(f) {
                    return if args.is_empty() { k.into() } else { format!("{k}({})", args.join(", ")) };
                }
                return format!("{}({})", func_name(f), args.join(", "));
            }
            Expr::Row(fields, _) => {
                let parts: Vec<String> = fields.iter().map(|a| self.deparse(a, names, true)).collect();
                return format!("ROW({})", parts.join(", "));
            }
            Expr::Like(a, p, not, ci) => {
                let op = match (ci, not) {
                    (false, false) => "~~",
                    (false, true) => "!~~",
                    (true, false) => "~~*",
                    (true, true) => "!~~*",
                };
                format!("({} {op} {})", d(a), d(p))
            }
            Expr::Sub(s) => {
                let label = format!("SubPlan {}", s.id + 1);
                match &s.kind {
                    SubKind::Scalar => format!("({label})"),
                    SubKind::Column(i) => format!("({label}).col{}", i + 1),
                    SubKind::Exists => format!("(EXISTS({label}))"),
                    SubKind::Array => format!("(ARRAY({label}))"),
                    SubKind::Quantified { lhs, op, all, .. } => {
                        format!("({} {} {}({label}))", d(lhs), op.symbol(), if *all { "ALL" } else { "ANY" })
                    }
                }
            }
        };
        if top && text.starts_with('(') && text.ends_with(')') && matches!(e, Expr::Arith(..)) {
            return format!("({text})");
        }
        text
    }
}

/// The subqueries in a node's own expressions: number, plan, correlated.
fn subplans_of(plan: &Plan) -> Vec<(usize, std::sync::Arc<Plan>, bool)> {
    let mut subs = Vec::new();
    plan.visit_exprs(&mut |e| {
        let mut found = Vec::new();
        e.subplans(&mut found);
        subs.extend(found.into_iter().map(|s| (s.id, s.plan.clone(), s.correlated)));
    });
    subs
}

/// ` refname` after a relation's name, when it goes by another.
fn alias_suffix(name: &str, refname: &str) -> String {
    if name == refname { String::new() } else { format!(" {refname}") }
}

fn conjuncts(e: &Expr) -> Vec<&Expr> {
    flatten(e, true)
}

/// The arms of an AND (`and`) or OR chain, printed as one list as
/// PostgreSQL does.
fn flatten(e: &Expr, and: bool) -> Vec<&Expr> {
    match e {
        Expr::And(a, b) if and => {
            let mut v = flatten(a, and);
            v.extend(flatten(b, and));
            v
        }
        Expr::Or(a, b) if !and => {
            let mut v = flatten(a, and);
            v.extend(flatten(b, and));
            v
        }
        other => vec![other],
    }
}

fn join_and(parts: &[String]) -> String {
    if parts.len() == 1 { parts[0].clone() } else { format!("({})", parts.join(" AND ")) }
}

fn sort_key(k: &SortKey, names: &[String]) -> String {
    let mut s = names.get(k.column).cloned().unwrap_or_default();
    if k.descending {
        s.push_str(" DESC");
    }
    if k.nulls_first != k.descending {
        s.push_str(if k.nulls_first { " NULLS FIRST" } else { " NULLS LAST" });
    }
    s
}

/// A constant as ruleutils writes it: integers bare, other values quoted
/// with their type.
fn constant(v: &Datum, ty: PgType) -> String {
    match v {
        Datum::Null => format!("NULL::{}", ty.sql_name()),
        Datum::Int4(n) => n.to_string(),
        Datum::Int2(_) | Datum::Int8(_) => {
            let n = v.to_text();
            if ty == PgType::Int8 && v.as_i64().is_some_and(|x| i32::try_from(x).is_ok()) {
                format!("'{n}'::bigint")
            } else if ty == PgType::Int2 {
                format!("'{n}'::smallint")
            } else {
                n
            }
        }
        Datum::Bool(b) => b.to_string(),
        Datum::Numeric(n) => {
            if n.starts_with('-') {
                format!("'{n}'::numeric")
            } else {
                n.clone()
            }
        }
        other => format!("'{}'::{}", other.to_text().replace('\'', "''"), ty.sql_name()),
    }
}

/// The keyword PostgreSQL prints for a function that is one of SQL's
/// value functions (`CURRENT_DATE`, `LOCALTIME(2)`, …).
fn value_keyword(f: &super::func::Func) -> Option<&'static str> {
    use super::func::Func;
    Some(match f {
        Func::CurrentDate => "CURRENT_DATE",
        Func::CurrentTime => "CURRENT_TIME",
        Func::LocalTime => "LOCALTIME",
        Func::LocalTimestamp => "LOCALTIMESTAMP",
        Func::CurrentTimestamp => "CURRENT_TIMESTAMP",
        _ => return None,
    })
}

fn func_name(f: &super::func::Func) -> String {
    use super::func::Func;
    match f {
        Func::PgStat(c) => return c.function_name(),
        Func::Sha(bits) => return format!("sha{bits}"),
        Func::Trim(true, true) => return "btrim".into(),
        Func::Trim(true, false) => return "ltrim".into(),
        Func::Trim(..) => return "rtrim".into(),
        Func::Position => return "strpos".into(),
        Func::Array(a) => return a.name().into(),
        Func::Json(j) => return j.name().into(),
        Func::Lsn(l) => return l.name().into(),
        Func::Xact(x) => return x.name().into(),
        Func::ColumnSize(_) => return "pg_column_size".into(),
        // Expressions of their own in PostgreSQL, printed as keywords.
        Func::Coalesce => return "COALESCE".into(),
        Func::NullIf => return "NULLIF".into(),
        Func::Greatest => return "GREATEST".into(),
        Func::Least => return "LEAST".into(),
        _ => {}
    }
    let debug = format!("{f:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    match out.as_str() {
        "null_if" => "nullif".into(),
        _ => out,
    }
}

/// A column name, quoted if it needs to be.
fn ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { name.to_string() } else { format!("\"{}\"", name.replace('"', "\"\"")) }
}

/// The names of a scan's system columns, if it returns them.
fn system_names<'a>(system: bool) -> impl Iterator<Item = &'a str> {
    crate::catalog::system::SYSTEM_COLUMNS.iter().filter(move |_| system).map(|c| c.0)
}
