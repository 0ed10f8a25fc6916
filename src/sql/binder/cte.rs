//! Common table expressions: `WITH [RECURSIVE] name [(columns)] AS
//! [[NOT] MATERIALIZED] (query), … statement`.
//!
//! A WITH list opens a scope of names, searched before the catalog by
//! unqualified table names in its statement (and its subqueries). Each CTE's
//! query is bound where it is defined — at the WITH's query level, so that
//! it sees the enclosing queries but not the FROM items of its own
//! statement — in list order, each seeing the ones before it. With
//! RECURSIVE every item is visible everywhere in the list (one is bound
//! when first referenced), and an item that references itself must be
//! `non-recursive term UNION [ALL] recursive term`: the non-recursive term
//! fixes the columns' types, and the recursive term reads the previous
//! round's rows through a work table.
//!
//! After the statement is bound, each CTE is either inlined — its plan put
//! in place of its one reference, as a derived table would be — or
//! materialized: computed once into rows that every reference reads
//! (`Plan::With` + `Plan::CteScan`). As in PostgreSQL 12 and later, a
//! non-recursive CTE referenced once without side effects is inlined unless
//! `MATERIALIZED` is written; `NOT MATERIALIZED` inlines it wherever it is
//! referenced. Either way the statement means the same: a CTE whose plan has
//! side effects is evaluated once per row of the CTE.

use std::collections::HashMap;
use std::sync::Arc;

use sqlparser::ast::{self, Spanned};

use super::query::{Level, RelColumn};
use super::{Binder, ident};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::Column;
use crate::sql::expr::Expr;
use crate::sql::plan::{Cte, CteWrite, Plan, SetOpKind};
use crate::sql::planner::for_each_plan_mut;
use crate::sql::types::PgType;

/// A WITH item in scope.
pub(super) struct CteEntry {
    name: String,
    state: CteState,
    /// `levels.len()` at its WITH: where its query is bound.
    depth: usize,
    /// `Binder::nesting` at its WITH: a reference from deeper is in a subquery.
    nesting: usize,
    /// The end of its WITH list's entries in `Binder::ctes`.
    scope_end: usize,
    recursive_with: bool,
    def: Box<ast::Cte>,
}

enum CteState {
    /// A non-recursive WITH's item that is not visible here yet (itself,
    /// or a later item).
    Hidden,
    /// A WITH RECURSIVE item not bound yet.
    Unbound,
    /// Its query is being bound; what a reference to itself means.
    Binding(SelfReference),
    Bound(Box<BoundCte>),
}

/// What a reference of a CTE's query to the CTE itself means, by where it is.
enum SelfReference {
    /// In the non-recursive term: an error.
    NonRecursiveTerm,
    /// The query is not `… UNION [ALL] …`: an error at the CTE's name.
    NotUnion(Option<u32>),
    /// A UNION with ORDER BY, LIMIT or OFFSET: not implemented (the
    /// message and position).
    Unsupported(String, Option<u32>),
    /// In the recursive term: a scan of the work table.
    RecursiveTerm { work_table: usize, columns: Vec<RelColumn>, nesting: usize, refs: usize },
}

struct BoundCte {
    id: usize,
    columns: Vec<RelColumn>,
    plan: Plan,
    refs: usize,
    /// Some reference is in a subquery (which may read it again).
    nested_refs: bool,
    /// It reads an enclosing query's row.
    correlated: bool,
    recursive: bool,
    /// Its plan calls something with side effects (never inlined by default).
    volatile: bool,
    hint: Option<ast::CteAsMaterialized>,
    /// A data-modifying CTE's statement (its plan gives the rows to change).
    write: Option<CteWrite>,
}

/// What the statement of a WITH does with its CTEs once bound: the plans
/// of the inlined ones (replacing their scans) and the materialized ones.
pub(super) struct WithPlans {
    inline: HashMap<usize, Plan>,
    materialized: Vec<Cte>,
}

impl WithPlans {
    /// Put the inlined CTEs in place of their scans in `plan`, and the
    /// materialized ones above it.
    pub(super) fn apply(&self, plan: &mut Plan) {
        self.inline_into(plan);
        if !self.materialized.is_empty() {
            let input = std::mem::replace(plan, Plan::Values { rows: Vec::new(), types: Vec::new() });
            *plan = Plan::With { ctes: self.materialized.clone(), input: Box::new(input) };
        }
    }

    /// Put the inlined CTEs in place of their scans in the subqueries of `e`.
    pub(super) fn apply_to_expr(&self, e: &mut Expr) {
        e.walk_mut(&mut |x| {
            if let Expr::Sub(s) = x {
                self.inline_into(Arc::make_mut(&mut s.plan));
            }
        });
    }

    fn inline_into(&self, plan: &mut Plan) {
        if self.inline.is_empty() {
            return;
        }
        for_each_plan_mut(plan, &mut |p| {
            if let Plan::CteScan { id, .. } = p {
                if let Some(inlined) = self.inline.get(id) {
                    *p = inlined.clone();
                }
            }
        });
    }
}

impl Binder<'_> {
    /// Bind `body` (the statement a WITH list belongs to) with the list's
    /// names in scope; what to do with the CTEs' plans.
    pub(super) fn with_scope<T>(
        &mut self,
        with: &ast::With,
        body: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<(T, WithPlans)> {
        let scope = self.ctes.len();
        let r = self.bind_with_list(with, scope).and_then(|()| body(self));
        let entries = self.ctes.split_off(scope);
        let value = r?;
        Ok((value, finish(entries)))
    }

    fn bind_with_list(&mut self, with: &ast::With, scope: usize) -> Result<()> {
        // Only the WITH of the statement itself may hold INSERT, UPDATE or DELETE.
        let top_level = std::mem::take(&mut self.top_level_with);
        let depth = self.levels.len();
        for (i, cte) in with.cte_tables.iter().enumerate() {
            let name = ident(&cte.alias.name);
            if with.cte_tables[..i].iter().any(|c| ident(&c.alias.name) == name) {
                let e = err!(SqlState::DUPLICATE_ALIAS, "WITH query name \"{name}\" specified more than once");
                return Err(self.at_ident(e, &cte.alias.name));
            }
            match cte.query.body.as_ref() {
                ast::SetExpr::Insert(_) | ast::SetExpr::Update(_) | ast::SetExpr::Delete(_) if !top_level => {
                    let e = err!(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        "WITH clause containing a data-modifying statement must be at the top level"
                    );
                    return Err(self.at_ident(e, &cte.alias.name));
                }
                ast::SetExpr::Merge(_) => return Err(Error::not_supported("MERGE in WITH")),
                _ => {}
            }
            if cte.from.is_some() {
                return Err(Error::not_supported("WITH … FROM"));
            }
            self.ctes.push(CteEntry {
                name,
                state: if with.recursive { CteState::Unbound } else { CteState::Hidden },
                depth,
                nesting: self.nesting,
                scope_end: 0,
                recursive_with: with.recursive,
                def: Box::new(cte.clone()),
            });
        }
        let end = self.ctes.len();
        for e in &mut self.ctes[scope..end] {
            e.scope_end = end;
        }
        for i in scope..end {
            if matches!(self.ctes[i].state, CteState::Hidden | CteState::Unbound) {
                self.bind_cte(i)?;
            }
        }
        Ok(())
    }

    /// Bind the query of WITH item `i` where its WITH is (it may be
    /// referenced from deeper down: a WITH RECURSIVE item bound on first use).
    fn bind_cte(&mut self, i: usize) -> Result<()> {
        let (depth, scope_end) = (self.ctes[i].depth, self.ctes[i].scope_end);
        let def = self.ctes[i].def.clone();
        let deeper_levels = self.levels.split_off(depth);
        let inner_ctes = self.ctes.split_off(scope_end);
        self.binding_ctes.push(i);
        // As deep as its WITH (plus the CTE's own level), wherever the
        // reference that binds it is.
        let nesting = std::mem::replace(&mut self.nesting, self.ctes[i].nesting + 1);
        let context = self.recursion_context.take();
        self.levels.push(Level::default());
        let r = match def.query.body.as_ref() {
            ast::SetExpr::Insert(_) | ast::SetExpr::Update(_) | ast::SetExpr::Delete(_) if def.query.with.is_some() => {
                Err(Error::not_supported("WITH inside a data-modifying statement in WITH"))
            }
            ast::SetExpr::Insert(s) | ast::SetExpr::Update(s) | ast::SetExpr::Delete(s) => self.bind_cte_write(s),
            _ => self.bind_cte_query(i, &def).map(|(plan, columns, recursive)| (plan, columns, recursive, None)),
        };
        let boundary = self.levels.pop().expect("CTE boundary level");
        self.nesting = nesting;
        self.recursion_context = context;
        self.binding_ctes.pop();
        self.ctes.extend(inner_ctes);
        self.levels.extend(deeper_levels);
        let (plan, columns, recursive, write) = r?;
        let mut volatile = false;
        plan.walk(&mut |p| {
            p.visit_exprs(&mut |e| {
                e.walk(&mut |x| volatile |= matches!(x, Expr::Call(f, ..) if f.has_side_effects()));
            })
        });
        let id = self.next_cte;
        self.next_cte += 1;
        self.ctes[i].state = CteState::Bound(Box::new(BoundCte {
            id,
            columns,
            plan,
            refs: 0,
            nested_refs: false,
            correlated: boundary.correlated,
            recursive,
            volatile,
            hint: def.materialized,
            write,
        }));
        Ok(())
    }

    /// A data-modifying CTE: the rows its statement changes, its RETURNING
    /// columns, and the statement.
    fn bind_cte_write(&mut self, statement: &ast::Statement) -> Result<(Plan, Vec<RelColumn>, bool, Option<CteWrite>)> {
        let crate::sql::Statement::Modify { kind, table, source, returning } = self.bind_statement(statement)? else {
            return Err(Error::internal("a data-modifying CTE that is not INSERT, UPDATE or DELETE"));
        };
        let (exprs, columns) = match returning {
            Some((exprs, columns)) => (Some(exprs), columns),
            None => (None, Vec::new()),
        };
        let columns = columns
            .into_iter()
            .map(|c| RelColumn {
                name: c.name,
                ty: c.ty,
                typmod: c.typmod,
                merged: false,
                dropped: false,
                domain: None,
                system: false,
            })
            .collect();
        let plan = Arc::try_unwrap(source).unwrap_or_else(|p| Plan::clone(&p));
        Ok((plan, columns, false, Some(CteWrite { kind, table, returning: exprs })))
    }

    /// The plan and columns of a CTE's query, and whether it is recursive.
    fn bind_cte_query(&mut self, i: usize, def: &ast::Cte) -> Result<(Plan, Vec<RelColumn>, bool)> {
        let q = &def.query;
        if !self.ctes[i].recursive_with {
            let bound = self.bind_query_plan(q)?;
            let columns = self.cte_columns(i, &bound.columns, def)?;
            return Ok((bound.plan, columns, false));
        }
        let name_at = self.pos(def.alias.name.span);
        let ast::SetExpr::SetOperation { op: ast::SetOperator::Union, set_quantifier, left, right } = q.body.as_ref()
        else {
            self.ctes[i].state = CteState::Binding(SelfReference::NotUnion(name_at));
            let bound = self.bind_query_plan(q)?;
            let columns = self.cte_columns(i, &bound.columns, def)?;
            return Ok((bound.plan, columns, false));
        };
        if let Some((message, at)) = self.recursive_query_limits(q) {
            self.ctes[i].state = CteState::Binding(SelfReference::Unsupported(message, at));
            let bound = self.bind_query_plan(q)?;
            let columns = self.cte_columns(i, &bound.columns, def)?;
            return Ok((bound.plan, columns, false));
        }
        let all = match set_quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::None | ast::SetQuantifier::Distinct => false,
            other => return Err(Error::not_supported(format!("UNION {other}"))),
        };
        self.ctes[i].state = CteState::Binding(SelfReference::NonRecursiveTerm);
        let base = self.bind_set_expr(left)?;
        let columns = self.cte_columns(i, &base.columns, def)?;
        let work_table = self.next_cte;
        self.next_cte += 1;
        self.ctes[i].state = CteState::Binding(SelfReference::RecursiveTerm {
            work_table,
            columns: columns.clone(),
            nesting: self.nesting,
            refs: 0,
        });
        let step = self.bind_set_expr(right)?;
        let refs = match &self.ctes[i].state {
            CteState::Binding(SelfReference::RecursiveTerm { refs, .. }) => *refs,
            _ => 0,
        };
        if refs == 0 {
            // No self-reference: an ordinary UNION.
            let bound = self.set_operation(SetOpKind::Union, all, "UNION", (base, &[]), (step, &[]), right)?;
            let columns = self.cte_columns(i, &bound.columns, def)?;
            return Ok((bound.plan, columns, false));
        }
        if base.columns.len() != step.columns.len() {
            let e = err!(SqlState::SYNTAX_ERROR, "each UNION query must have the same number of columns");
            return Err(self.at(e, right.as_ref()));
        }
        let name = &self.ctes[i].name;
        let mut casts = Vec::with_capacity(step.columns.len());
        for (k, (b, s)) in base.columns.iter().zip(&step.columns).enumerate() {
            let overall = self.union_type(b.ty, s.ty, "UNION")?;
            if overall != b.ty {
                let e = err!(
                    SqlState::DATATYPE_MISMATCH,
                    "recursive query \"{name}\" column {} has type {} in non-recursive term but type {} overall",
                    k + 1,
                    b.ty.sql_name(),
                    overall.sql_name()
                )
                .with_hint("Cast the output of the non-recursive term to the correct type.");
                return Err(match output_expr(left, k) {
                    Some(x) => self.at(e, x),
                    None => self.at(e, left.as_ref()),
                });
            }
            let c = Expr::Column(k, s.ty);
            casts.push(if s.ty == b.ty { c } else { Expr::Cast(Box::new(c), b.ty, None) });
        }
        let recursive = if casts.iter().any(|c| matches!(c, Expr::Cast(..))) {
            Plan::Project { input: Box::new(step.plan), exprs: casts }
        } else {
            step.plan
        };
        let plan = Plan::RecursiveUnion {
            id: work_table,
            distinct: !all,
            base: Box::new(base.plan),
            recursive: Box::new(recursive),
        };
        Ok((plan, columns, true))
    }

    /// The error (message and position) a recursive query with ORDER BY,
    /// OFFSET or LIMIT gets.
    fn recursive_query_limits(&self, q: &ast::Query) -> Option<(String, Option<u32>)> {
        let refused = |what: &str, node: Option<&ast::Expr>| {
            (format!("{what} in a recursive query is not implemented"), node.and_then(|n| self.pos(n.span())))
        };
        if let Some(o) = &q.order_by {
            let first = match &o.kind {
                ast::OrderByKind::Expressions(v) => v.first().map(|x| &x.expr),
                ast::OrderByKind::All(_) => None,
            };
            return Some(refused("ORDER BY", first));
        }
        if let Some(ast::LimitClause::LimitOffset { limit, offset, .. }) = &q.limit_clause {
            if let Some(o) = offset {
                return Some(refused("OFFSET", Some(&o.value)));
            }
            if let Some(l) = limit {
                return Some(refused("LIMIT", Some(l)));
            }
        }
        if q.fetch.is_some() || q.limit_clause.is_some() {
            return Some(refused("LIMIT", None));
        }
        if !q.locks.is_empty() {
            return Some(refused("FOR UPDATE/SHARE", None));
        }
        None
    }

    /// A CTE's columns: its query's, renamed by its column list.
    fn cte_columns(&self, i: usize, columns: &[Column], def: &ast::Cte) -> Result<Vec<RelColumn>> {
        let names = &def.alias.columns;
        if names.len() > columns.len() {
            let e = err!(
                SqlState::INVALID_COLUMN_REFERENCE,
                "WITH query \"{}\" has {} columns available but {} columns specified",
                self.ctes[i].name,
                columns.len(),
                names.len()
            );
            return Err(self.at_ident(e, &def.alias.name));
        }
        Ok(columns
            .iter()
            .enumerate()
            .map(|(k, c)| RelColumn {
                name: names.get(k).map_or_else(|| c.name.clone(), |n| ident(&n.name)),
                ty: c.ty,
                typmod: c.typmod,
                merged: false,
                dropped: false,
                domain: None,
                system: false,
            })
            .collect())
    }

    /// The WITH item an unqualified table name refers to, if any.
    pub(super) fn find_cte(&self, name: &ast::ObjectName) -> Option<usize> {
        let [part] = name.0.as_slice() else { return None };
        let wanted = ident(part.as_ident()?);
        (0..self.ctes.len())
            .rev()
            .find(|&i| self.ctes[i].name == wanted && !matches!(self.ctes[i].state, CteState::Hidden))
    }

    /// A table that was not found: PostgreSQL's pointer to a WITH item of
    /// that name that cannot be referenced from here.
    pub(super) fn explain_missing_table(&self, e: Error, name: &ast::ObjectName) -> Error {
        let [part] = name.0.as_slice() else { return e };
        let Some(id) = part.as_ident() else { return e };
        let wanted = ident(id);
        if e.code() != SqlState::UNDEFINED_TABLE || !self.ctes.iter().any(|c| c.name == wanted) {
            return e;
        }
        e.with_detail(format!(
            "There is a WITH item named \"{wanted}\", but it cannot be referenced from this part of the query."
        ))
        .with_hint("Use WITH RECURSIVE, or re-order the WITH items to remove forward references.")
    }

    /// A reference to WITH item `i` in FROM: a scan of it (or, in its own
    /// recursive term, of its work table). Returns the plan, its label
    /// and columns.
    pub(super) fn cte_reference(
        &mut self,
        i: usize,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, String, Vec<RelColumn>)> {
        if matches!(self.ctes[i].state, CteState::Unbound) {
            self.bind_cte(i)?;
        }
        let cte_name = self.ctes[i].name.clone();
        let label = alias.map(|a| ident(&a.name)).unwrap_or_else(|| cte_name.clone());
        let shown_alias = (label != cte_name).then(|| label.clone());
        let recursion_error = |b: &Self, message: String| b.at(Error::new(SqlState::INVALID_RECURSION, message), name);
        let nesting = self.nesting;
        let with_nesting = self.ctes[i].nesting;
        let context = self.recursion_context;
        let own = self.binding_ctes.last() == Some(&i);
        let (plan_of, mut columns) = match &mut self.ctes[i].state {
            CteState::Hidden | CteState::Unbound => return Err(Error::internal("unbound WITH item referenced")),
            CteState::Binding(_) if !own => {
                let e = err!(SqlState::FEATURE_NOT_SUPPORTED, "mutual recursion between WITH items is not implemented");
                return Err(self.at(e, name));
            }
            CteState::Binding(SelfReference::NonRecursiveTerm) => {
                return Err(recursion_error(
                    self,
                    format!(
                        "recursive reference to query \"{cte_name}\" must not appear within its non-recursive term"
                    ),
                ));
            }
            CteState::Binding(SelfReference::NotUnion(at)) => {
                let e = Error::new(
                    SqlState::INVALID_RECURSION,
                    format!(
                        "recursive query \"{cte_name}\" does not have the form non-recursive-term UNION [ALL] recursive-term"
                    ),
                );
                return Err(match at {
                    Some(p) => e.with_position(*p),
                    None => e,
                });
            }
            CteState::Binding(SelfReference::Unsupported(message, at)) => {
                let e = Error::new(SqlState::FEATURE_NOT_SUPPORTED, message.clone());
                return Err(match at {
                    Some(p) => e.with_position(*p),
                    None => e,
                });
            }
            CteState::Binding(SelfReference::RecursiveTerm { work_table, columns, nesting: at, refs }) => {
                let problem = if *at != nesting {
                    Some("within a subquery")
                } else if *refs > 0 {
                    Some("more than once")
                } else {
                    context
                };
                if let Some(within) = problem {
                    let within = match within {
                        "INTERSECT" | "EXCEPT" => format!("within {within}"),
                        other => other.to_string(),
                    };
                    return Err(recursion_error(
                        self,
                        format!("recursive reference to query \"{cte_name}\" must not appear {within}"),
                    ));
                }
                *refs += 1;
                (Err(*work_table), columns.clone())
            }
            CteState::Bound(b) if b.write.as_ref().is_some_and(|w| w.returning.is_none()) => {
                let e =
                    err!(SqlState::FEATURE_NOT_SUPPORTED, "WITH query \"{cte_name}\" does not have a RETURNING clause");
                return Err(self.at(e, name));
            }
            CteState::Bound(b) => {
                b.refs += 1;
                b.nested_refs |= nesting != with_nesting;
                (Ok((b.id, b.correlated)), b.columns.clone())
            }
        };
        if let Some(a) = alias {
            super::query::rename_columns(&mut columns, &a.columns, &label)?;
        }
        let names = columns.iter().map(|c| c.name.clone()).collect();
        let types: Vec<PgType> = columns.iter().map(|c| c.ty).collect();
        let plan = match plan_of {
            Ok((id, correlated)) => {
                if correlated {
                    // Subqueries between here and the WITH read its enclosing row too.
                    let depth = self.ctes[i].depth;
                    for l in &mut self.levels[depth..] {
                        l.correlated = true;
                    }
                }
                Plan::CteScan { id, name: cte_name, alias: shown_alias, columns: names, types }
            }
            Err(work_table) => {
                self.self_refs += 1;
                self.last_self_ref = self.pos(name.span());
                self.level().self_ref = true;
                Plan::WorkTableScan { id: work_table, name: cte_name, alias: shown_alias, columns: names, types }
            }
        };
        Ok((plan, label, columns))
    }

    fn at_ident(&self, e: Error, id: &ast::Ident) -> Error {
        match self.pos(id.span) {
            Some(p) => e.with_position(p),
            None => e,
        }
    }
}

/// The expression of output column `k` of a query term, when it is written out.
fn output_expr(term: &ast::SetExpr, k: usize) -> Option<&ast::Expr> {
    match term {
        ast::SetExpr::Select(s) => match s.projection.get(k)? {
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
            _ => None,
        },
        ast::SetExpr::Query(q) => output_expr(&q.body, k),
        ast::SetExpr::SetOperation { left, .. } => output_expr(left, k),
        ast::SetExpr::Values(v) => v.rows.first()?.get(k),
        _ => None,
    }
}

/// Decide, for each CTE of a WITH list that the statement referenced,
/// whether it is inlined or materialized.
fn finish(entries: Vec<CteEntry>) -> WithPlans {
    let mut plans = WithPlans { inline: HashMap::new(), materialized: Vec::new() };
    for e in entries {
        let CteState::Bound(b) = e.state else { continue };
        if b.write.is_some() {
            // Run once, whether read or not.
            let (plan, write) = (Arc::new(b.plan), b.write);
            plans.materialized.push(Cte { id: b.id, name: e.name, plan, write, single_reader: false });
            continue;
        }
        if b.refs == 0 {
            continue;
        }
        let inline = !b.recursive
            && match b.hint {
                Some(ast::CteAsMaterialized::Materialized) => false,
                Some(ast::CteAsMaterialized::NotMaterialized) => true,
                None => b.refs == 1 && !b.volatile,
            };
        if inline {
            plans.inline.insert(b.id, b.plan);
        } else {
            let single_reader = b.refs == 1 && !b.nested_refs;
            plans.materialized.push(Cte { id: b.id, name: e.name, plan: Arc::new(b.plan), write: None, single_reader });
        }
    }
    let inline = WithPlans { inline: std::mem::take(&mut plans.inline), materialized: Vec::new() };
    for c in &mut plans.materialized {
        inline.inline_into(Arc::make_mut(&mut c.plan));
    }
    plans.inline = inline.inline;
    plans
}

impl Binder<'_> {
    pub(super) fn cte_name(&self, i: usize) -> String {
        self.ctes[i].name.clone()
    }
}
