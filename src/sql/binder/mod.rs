//! The binder: resolves a parsed statement into a typed, executable form.
//!
//! It assigns every expression a PostgreSQL type using PostgreSQL's rules:
//! quoted literals start as `unknown` and take their type from context,
//! `$n` parameters are inferred the same way (or taken as the client
//! declared them), integer and float operands are widened to a common type,
//! and anything without a matching operator is a 42883 error with
//! PostgreSQL's wording and HINT.

mod alter_type;
mod array;
mod check;
mod composite;
mod copy;
mod create_as;
mod create_like;
mod cte;
mod ddl;
mod default;
mod dml_from;
mod domain;
mod enum_type;
mod grouping_sets;
mod index_expr;
mod json;
mod locking;
mod lsn;
mod on_conflict;
mod ordered_set;
mod outer_join;
mod prepare;
mod query;
mod role;
mod row_compare;
mod row_value;
mod schema;
mod sequence;
mod srf;
mod sublink;
mod temp;
mod temporal;
mod updatable;
mod window;

pub use alter_type::{binary_coercible, bind_type_conversion};
pub use check::bind_check_expression;
pub use index_expr::{bind_index_expression, bind_index_predicate, predicate_text, split_index_expressions};

use sqlparser::ast::{self, Spanned};

use std::sync::Arc;

use super::coercion::{self, CastContext, implicit as implicit_coercion};
use super::exec::ModifyKind;
use super::expr::{ArithOp, CmpOp, Expr};
use super::func::{Func, StrFunc};
use super::parser::position;
use super::plan::{AggFunc, Plan, SubKind};
use super::types::{Datum, PgType, int_datum, parse_text};
use super::{Bound, Column, DropKind, Statement};
use crate::catalog::privileges::PrivObject;
use crate::catalog::{self, Table};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::txn::lock::LockMode;
use temporal::{DatetimeOperator, column_typmod, common_datetime, datetime_operator, is_temporal, relative_time};

/// A write through a view that is not simple (see [`updatable`]), or an
/// INSERT through a view, is refused rather than guessed at.
fn view_not_writable(name: &str, verb: &str) -> Error {
    err!(SqlState::FEATURE_NOT_SUPPORTED, "cannot {verb} view \"{name}\"")
        .with_detail("Writing through a view is not supported yet.")
        .with_hint("Write to the view's table instead.")
}

/// What a column of an UPDATE's SET list is set to: an expression still
/// to bind (or `DEFAULT`), or a part of a bound row subquery (with the
/// node it came from, for error positions).
enum Source<'e> {
    Expr(&'e ast::Expr),
    Bound((Expr, &'e ast::Expr)),
}

/// `ROW(…)`, written as a function call.
fn is_row_constructor(f: &ast::Function) -> bool {
    matches!(f.name.0.as_slice(), [p] if p.as_ident().is_some_and(|i| i.quote_style.is_none() && i.value.eq_ignore_ascii_case("row")))
}

/// Both conditions (either may be absent).
fn both(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Expr::And(Box::new(a), Box::new(b))),
        (a, b) => a.or(b),
    }
}

/// Choose index scans in the plans of a bound statement.
pub(crate) fn choose_access_paths(statement: &mut Statement, tables: &dyn TableLookup) {
    match statement {
        Statement::Query { plan, .. } | Statement::Modify { source: plan, .. } => {
            let blocks = |t: &Table| tables.blocks(t);
            let costing = super::costsize::Costing::new(tables.cost_params(), &blocks);
            super::planner::choose_access_paths(Arc::make_mut(plan), &costing);
        }
        Statement::Explain { inner, .. } => choose_access_paths(inner, tables),
        _ => {}
    }
}

/// The privilege a write of kind `verb` needs on its target.
fn write_privilege(verb: &str) -> char {
    match verb {
        "update" => 'w',
        "delete from" => 'd',
        _ => 'a',
    }
}

/// How the binder finds tables (the catalog, through the statement's snapshot).
pub trait TableLookup {
    /// The table `name` means, locked in `mode` for the transaction.
    fn table(&self, name: &str, mode: LockMode) -> Result<Option<Arc<Table>>>;

    /// The table's size now in blocks, for row estimates (`None`: unknown).
    fn blocks(&self, _table: &Table) -> Option<u32> {
        None
    }

    /// The planner's cost settings of the session.
    fn cost_params(&self) -> super::costsize::CostParams {
        super::costsize::CostParams::default()
    }
    /// The table `name` of schema `namespace` (a qualified name).
    fn table_in(&self, namespace: u32, name: &str, mode: LockMode) -> Result<Option<Arc<Table>>>;

    /// The OID of the schema named `name`, if there is one.
    fn namespace(&self, name: &str) -> Result<Option<u32>> {
        Ok(catalog::fixed_namespace(name))
    }

    /// Error 42501 unless the current user may look up names in schema
    /// `namespace` (USAGE).
    fn check_schema_usage(&self, _namespace: u32) -> Result<()> {
        Ok(())
    }

    /// The session's prepared statement `name` (for `EXECUTE`).
    fn prepared(&self, _name: &str) -> Option<Arc<super::PreparedStatement>> {
        None
    }

    /// A user-made type (an enum) named `name`, in schema `namespace` or
    /// on the search path: its OID and `typtype`.
    fn user_type(&self, _namespace: Option<u32>, _name: &str) -> Result<Option<(u32, u8)>> {
        Ok(None)
    }

    /// The domain whose OID is `oid`.
    fn domain(&self, _oid: u32) -> Result<Option<Arc<catalog::domains::Domain>>> {
        Ok(None)
    }

    /// The composite type whose OID is `oid`.
    fn row_type(&self, _oid: u32) -> Result<Option<Arc<crate::sql::record::RowType>>> {
        Ok(None)
    }
}

pub struct Binder<'a> {
    sql: &'a str,
    tables: &'a dyn TableLookup,
    /// Query levels being bound, outermost first (subqueries push one).
    levels: Vec<query::Level>,
    /// Next outer-value slot for correlated subqueries.
    next_slot: usize,
    /// Next subquery number.
    next_subplan: usize,
    /// Whether the last select-list item bound was an untyped literal
    /// (`NULL`, `'x'`), which a set operation reads as of the other side's type.
    output_was_unknown: bool,
    /// Which columns of the SELECT bound last were untyped literals.
    select_unknowns: Option<Vec<bool>>,
    /// The output columns the ORDER BY of the SELECT bound last sorts by.
    order_columns: Vec<usize>,
    /// Simple-query statements have no parameters: `$n` is an error there.
    allow_params: bool,
    /// Parameter types: declared by the client, or inferred (`Unknown` until then).
    params: Vec<PgType>,
    /// Relations the statement names itself (not through a view): what a
    /// view defined by it depends on.
    reads: Vec<u32>,
    /// Every view expanded, for checking a cached plan against them later.
    views: Vec<Arc<Table>>,
    /// Views being expanded, innermost last.
    expanding: Vec<u32>,
    /// WITH items in scope, outermost first.
    ctes: Vec<cte::CteEntry>,
    /// WITH items whose queries are being bound (indexes into `ctes`), innermost last.
    binding_ctes: Vec<usize>,
    /// Next number for a CTE or a recursive union's work table.
    next_cte: usize,
    /// How many subqueries (in expressions, in FROM, CTEs) deep binding is.
    nesting: usize,
    /// `INSERT … SELECT`: the SELECT whose select list stores into the
    /// target columns, and their types. Its untyped literals and
    /// parameters take the column's type rather than text, as in PostgreSQL.
    insert_outputs: Option<(*const ast::Select, Vec<PgType>)>,
    /// References of recursive CTEs to themselves bound so far, and where the last was.
    self_refs: usize,
    last_self_ref: Option<u32>,
    /// Inside INTERSECT or EXCEPT where a recursive reference must not be.
    recursion_context: Option<&'static str>,
    /// The next WITH list is the statement's own (it may hold INSERT, UPDATE, DELETE).
    top_level_with: bool,
    /// The privileges the statement needs on the relations it names.
    access: Vec<super::Access>,
    /// CREATE VIEW: the view's SELECT, and what each `*` or `label.*` of
    /// its select list stood for (qualified column names), which the
    /// stored definition lists instead, as PostgreSQL's does.
    view_stars: Option<(*const ast::Select, Vec<Vec<ast::SelectItem>>)>,
    /// The text being bound (the statement's, a view's definition) may
    /// name a system column: the tables it reads carry theirs (see
    /// [`query::may_name_system_column`]).
    system_columns: bool,
}

impl<'a> Binder<'a> {
    /// A binder for a prepared statement, with the client's declared parameter types.
    pub fn new(sql: &'a str, tables: &'a dyn TableLookup, declared_params: &[PgType]) -> Binder<'a> {
        Binder { allow_params: true, params: declared_params.to_vec(), ..Binder::simple(sql, tables) }
    }

    /// A binder for a statement of a simple Query message (no parameters).
    pub fn simple(sql: &'a str, tables: &'a dyn TableLookup) -> Binder<'a> {
        Binder {
            sql,
            tables,
            levels: Vec::new(),
            next_slot: 0,
            next_subplan: 0,
            output_was_unknown: false,
            select_unknowns: None,
            order_columns: Vec::new(),
            allow_params: false,
            params: Vec::new(),
            reads: Vec::new(),
            views: Vec::new(),
            expanding: Vec::new(),
            ctes: Vec::new(),
            binding_ctes: Vec::new(),
            next_cte: 0,
            nesting: 0,
            insert_outputs: None,
            self_refs: 0,
            last_self_ref: None,
            recursion_context: None,
            top_level_with: false,
            access: Vec::new(),
            view_stars: None,
            system_columns: query::may_name_system_column(sql),
        }
    }

    /// The name of the recursive CTE whose recursive term is being bound.
    fn ctes_recursive_name(&self) -> Option<String> {
        self.binding_ctes.last().map(|&i| self.cte_name(i))
    }

    /// Bind one parsed SQL statement (a PREPARE's).
    pub fn bind_ast(mut self, stmt: &ast::Statement) -> Result<Bound> {
        let statement = self.bind_statement(stmt)?;
        self.finish(statement)
    }

    pub fn bind(mut self, stmt: &super::parser::Parsed) -> Result<Bound> {
        let statement = match stmt {
            super::parser::Parsed::Sql(s) => self.bind_statement(s)?,
            super::parser::Parsed::Checkpoint => Statement::Checkpoint,
            super::parser::Parsed::Database(super::database::DatabaseStmt::Alter {
                name,
                action: super::database::AlterDatabase::Setting(action),
            }) => Statement::Role(super::role::RoleStmt::Setting(Box::new(super::db_role_setting::AlterSetting {
                scope: super::db_role_setting::SettingScope::Database(name.clone()),
                action: action.clone(),
            }))),
            super::parser::Parsed::Database(d) => Statement::Database(d.clone()),
            super::parser::Parsed::RoleSetting(s) => Statement::Role(super::role::RoleStmt::Setting(s.clone())),
            super::parser::Parsed::Domain(d) => self.bind_domain(d)?,
            super::parser::Parsed::TransactionModes { set, start, isolation, read_only, deferrable } => {
                let (isolation, read_only, deferrable) = (isolation.clone(), *read_only, Some(*deferrable));
                match set {
                    true => Statement::SetTransaction { isolation, read_only, deferrable },
                    false => Statement::Begin { isolation, read_only, start: *start, deferrable },
                }
            }
            super::parser::Parsed::CreateUser(create) => role::bind_create_role(create, true)?,
            super::parser::Parsed::Unsupported(what) => return Err(Error::not_supported(*what)),
            super::parser::Parsed::CreateTableLike { table, likes } => self.bind_create_table_like(table, likes)?,
            super::parser::Parsed::Copy(c) => self.bind_copy(c)?,
            super::parser::Parsed::Vacuum { vacuum, analyze, full, tables } => {
                let tables = tables.iter().map(|t| split_name(t).map(|(_, n)| n)).collect::<Result<Vec<_>>>()?;
                Statement::Vacuum { vacuum: *vacuum, analyze: *analyze, full: *full, tables }
            }
            super::parser::Parsed::AlterSequence { if_exists, name, options, restart } => {
                self.bind_alter_sequence(*if_exists, name, options, restart)?
            }
            super::parser::Parsed::SetStatistics { if_exists, name, column, target } => Statement::AlterTable {
                table: ddl::public_name(name)?,
                if_exists: *if_exists,
                actions: vec![super::AlterAction::SetStatistics { column: ident(column), target: *target }],
            },
            super::parser::Parsed::AlterIdentity(a) => {
                let super::parser::AlterIdentity { if_exists, name, column, drop, generated, options, restart } =
                    a.as_ref();
                let column = ident(column);
                let action = match drop {
                    Some(missing_ok) => super::AlterAction::DropIdentity { column, missing_ok: *missing_ok },
                    None => {
                        let mut options = sequence::seq_options(options)?;
                        options.restart = restart
                            .as_ref()
                            .map(|r| r.as_ref().map(sequence::option_number).transpose())
                            .transpose()?;
                        super::AlterAction::SetIdentity { column, generated: *generated, options }
                    }
                };
                Statement::AlterTable { table: ddl::public_name(name)?, if_exists: *if_exists, actions: vec![action] }
            }
            super::parser::Parsed::SetConstraints { names, deferred } => Statement::SetConstraints {
                names: match names {
                    None => None,
                    Some(names) => Some(names.iter().map(split_name).collect::<Result<_>>()?),
                },
                deferred: *deferred,
            },
            super::parser::Parsed::AlterConstraint { if_exists, table, name, characteristics } => {
                Statement::AlterConstraint {
                    table: ddl::public_name(table)?,
                    if_exists: *if_exists,
                    name: ident(name),
                    deferral: ddl::deferral(characteristics)?,
                }
            }
            super::parser::Parsed::SetSchema { kind, if_exists, name, schema } => {
                schema::bind_set_schema(*kind, *if_exists, name, schema)?
            }
            super::parser::Parsed::Reindex { table, name, concurrently, unsupported } => {
                if let Some(what) = unsupported {
                    return Err(Error::not_supported(what));
                }
                Statement::Reindex { table: *table, name: split_name(name)?.1, concurrently: *concurrently }
            }
            super::parser::Parsed::DropIndexConcurrently { if_exists, names, cascade } => {
                self.bind_drop(&ast::ObjectType::Index, names, *if_exists, *cascade, true)?
            }
        };
        self.finish(statement)
    }

    /// Access paths chosen, every parameter's type known.
    fn finish(self, mut statement: Statement) -> Result<Bound> {
        // A statement with parameters keeps its unplanned form, for
        // custom plans (see `plancache`).
        let plannable = matches!(statement, Statement::Query { .. } | Statement::Modify { .. });
        let unplanned = (plannable && !self.params.is_empty()).then(|| Arc::new(statement.clone()));
        choose_access_paths(&mut statement, self.tables);
        for (i, t) in self.params.iter().enumerate() {
            if *t == PgType::Unknown {
                return Err(err!(
                    SqlState::INDETERMINATE_DATATYPE,
                    "could not determine data type of parameter ${}",
                    i + 1
                ));
            }
        }
        let columns = statement.columns();
        Ok(Bound { statement, params: self.params, columns, access: self.access, unplanned })
    }

    fn pos(&self, span: sqlparser::tokenizer::Span) -> Option<u32> {
        // Inside a view's query a position would point into another text.
        if !self.expanding.is_empty() {
            return None;
        }
        position(self.sql, span.start)
    }

    fn at(&self, e: Error, node: &impl Spanned) -> Error {
        match self.pos(node.span()) {
            Some(p) => e.with_position(p),
            None => e,
        }
    }

    /// A select list item's alias without `AS` may not be one of the
    /// keywords an interval's field list is made of (`SELECT 1 day` is a
    /// syntax error in PostgreSQL, not a column named "day").
    fn check_bare_label(&self, alias: &ast::Ident) -> Result<()> {
        const NOT_BARE: [&str; 6] = ["year", "month", "day", "hour", "minute", "second"];
        if alias.quote_style.is_some() || !NOT_BARE.iter().any(|k| alias.value.eq_ignore_ascii_case(k)) {
            return Ok(());
        }
        let Some(p) = self.pos(alias.span) else { return Ok(()) };
        let before: String = self.sql.chars().take(p.saturating_sub(1) as usize).collect();
        let before = before.trim_end().to_ascii_lowercase();
        let explicit = before.ends_with("as")
            && !before[..before.len() - 2].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$');
        match explicit {
            true => Ok(()),
            false => Err(Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{}\"", alias.value))
                .with_position(p)),
        }
    }

    fn bind_statement(&mut self, stmt: &ast::Statement) -> Result<Statement> {
        match stmt {
            ast::Statement::Query(q) => self.bind_query(q),
            ast::Statement::Set(set) => bind_set(set),
            ast::Statement::CreateTable(ct) => self.bind_create_table(ct),
            ast::Statement::CreateIndex(ci) => self.bind_create_index(ci),
            ast::Statement::CreateSequence { temporary, if_not_exists, name, sequence_options } => {
                self.bind_create_sequence(*temporary, *if_not_exists, name, sequence_options)
            }
            ast::Statement::CreateView(cv) => self.bind_create_view(cv),
            ast::Statement::Explain {
                describe_alias: ast::DescribeAlias::Explain,
                analyze,
                verbose,
                query_plan: false,
                estimate: false,
                statement,
                format: None,
                options,
            } => self.bind_explain(statement, *analyze, *verbose, options.as_deref()),
            ast::Statement::Truncate(t) => self.bind_truncate(t),
            ast::Statement::Comment { object_type, object_name, comment, if_exists: false } => {
                self.bind_comment(object_type, object_name, comment.as_deref())
            }
            ast::Statement::Lock(l) => self.bind_lock(l),
            ast::Statement::AlterTable(at) => self.bind_alter_table(at),
            ast::Statement::AlterIndex { name, operation: ast::AlterIndexOperation::RenameIndex { index_name } } => {
                self.bind_rename_relation(DropKind::Index, name, false, index_name)
            }
            ast::Statement::AlterView(av) => match &av.operation {
                ast::AlterViewOperation::RenameTo { new_name } if !av.materialized => {
                    self.bind_rename_relation(DropKind::View, &av.name, av.if_exists, new_name)
                }
                _ => Err(Error::not_supported("this form of ALTER VIEW")),
            },
            ast::Statement::Drop {
                object_type,
                if_exists,
                names,
                cascade,
                purge: false,
                temporary: false,
                table: None,
                ..
            } => self.bind_drop(object_type, names, *if_exists, *cascade, false),
            ast::Statement::CreateSchema { .. } | ast::Statement::AlterSchema(_) => schema::bind_schema(stmt),
            ast::Statement::CreateType { name, representation } => enum_type::bind_create_type(name, representation),
            ast::Statement::AlterType(alter) => enum_type::bind_alter_type(alter),
            ast::Statement::CreateRole(create) => role::bind_create_role(create, false),
            ast::Statement::AlterRole { name, operation } => role::bind_alter_role(name, operation),
            ast::Statement::GrantRole(grant) => role::bind_grant_role(grant),
            ast::Statement::Grant(g) if g.as_grantor.is_none() && g.granted_by.is_none() => {
                role::bind_privileges(false, &g.privileges, g.objects.as_ref(), &g.grantees, g.with_grant_option)
            }
            ast::Statement::Revoke(r) if r.granted_by.is_none() => {
                role::bind_privileges(true, &r.privileges, r.objects.as_ref(), &r.grantees, r.grant_option_for)
            }
            ast::Statement::RevokeRole(revoke) => role::bind_revoke_role(revoke),
            ast::Statement::Insert(ins) => self.bind_insert(ins),
            ast::Statement::Update(u) => self.bind_update(u),
            ast::Statement::Delete(d) => self.bind_delete(d),
            ast::Statement::StartTransaction { modes, begin, statements, exception: None, .. }
                if statements.is_empty() =>
            {
                let (isolation, read_only) = transaction_modes(modes)?;
                Ok(Statement::Begin { isolation, read_only, start: !begin, deferrable: None })
            }
            ast::Statement::Commit { chain: false, .. } => Ok(Statement::Commit),
            ast::Statement::Rollback { chain: false, savepoint: None } => Ok(Statement::Rollback),
            ast::Statement::Rollback { chain: false, savepoint: Some(name) } => Ok(Statement::RollbackTo(ident(name))),
            ast::Statement::Savepoint { name } => Ok(Statement::Savepoint(ident(name))),
            ast::Statement::ReleaseSavepoint { name } => Ok(Statement::Release(ident(name))),
            ast::Statement::ShowVariable { variable } => {
                let name = variable.iter().map(|i| i.value.to_ascii_lowercase()).collect::<Vec<_>>().join(" ");
                Ok(match name.as_str() {
                    "all" => Statement::ShowAll,
                    "time zone" => Statement::Show { name: "timezone".into() },
                    "transaction isolation level" => Statement::Show { name: "transaction_isolation".into() },
                    "session authorization" => Statement::Show { name: "session_authorization".into() },
                    _ => Statement::Show {
                        name: variable.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join("."),
                    },
                })
            }
            ast::Statement::Reset(r) => Ok(match &r.reset {
                ast::Reset::ALL => Statement::ResetAll,
                ast::Reset::ConfigurationParameter(name) if object_name(name) == "role" => {
                    Statement::Role(super::role::RoleStmt::SetRole { name: None, local: false, reset: true })
                }
                ast::Reset::ConfigurationParameter(name) => {
                    Statement::Set { name: object_name(name), value: None, local: false, reset: true }
                }
                ast::Reset::SessionAuthorization => {
                    Statement::Role(super::role::RoleStmt::SetSessionAuthorization { name: None, reset: true })
                }
            }),
            ast::Statement::Prepare { name, data_types, statement } => self.bind_prepare(name, data_types, statement),
            ast::Statement::Execute {
                name: Some(name),
                parameters,
                immediate: false,
                into,
                using,
                output: false,
                default: false,
                ..
            } if into.is_empty() && using.is_empty() => self.bind_execute(name, parameters),
            ast::Statement::Deallocate { name, .. } => Ok(self.bind_deallocate(name)),
            ast::Statement::Discard { object_type } => Ok(Statement::Discard(match object_type {
                ast::DiscardObject::ALL => super::Discard::All,
                ast::DiscardObject::PLANS => super::Discard::Plans,
                ast::DiscardObject::SEQUENCES => super::Discard::Sequences,
                ast::DiscardObject::TEMP => super::Discard::Temp,
            })),
            other => Err(Error::not_supported(statement_kind(other))),
        }
    }

    fn bind_query(&mut self, q: &ast::Query) -> Result<Statement> {
        self.top_level_with = q.with.is_some();
        if let (Some(with), ast::SetExpr::Insert(inner) | ast::SetExpr::Update(inner) | ast::SetExpr::Delete(inner)) =
            (&q.with, q.body.as_ref())
        {
            // `WITH … INSERT | UPDATE | DELETE`: the CTEs feed the statement's source.
            let (mut statement, ctes) = self.with_scope(with, |b| b.bind_statement(inner))?;
            if let Statement::Modify { source, returning, .. } = &mut statement {
                ctes.apply(Arc::make_mut(source));
                for e in returning.iter_mut().flat_map(|(exprs, _)| exprs.iter_mut()) {
                    ctes.apply_to_expr(e);
                }
            }
            return Ok(statement);
        }
        if create_as::has_into(q)? {
            return self.bind_select_into(q);
        }
        if !q.locks.is_empty() {
            return self.bind_locking_select(q);
        }
        let bound = self.bind_query_plan(q)?;
        let mut tables = Vec::new();
        bound.plan.tables(&mut tables);
        // A cached plan of a query over a view is checked against the view.
        tables.extend(self.views.iter().cloned());
        Ok(Statement::Query { plan: Arc::new(bound.plan), columns: bound.columns, tables })
    }

    /// A table by name: unqualified names are looked up in `pg_catalog`
    /// and `public` (the search path), qualified ones only in their schema
    /// (`information_schema` only so).
    fn table(&mut self, name: &ast::ObjectName, mode: LockMode) -> Result<Arc<Table>> {
        let (schema, rel) = split_name(name)?;
        let missing = || err!(SqlState::UNDEFINED_TABLE, "relation \"{}\" does not exist", object_name(name));
        let table = match schema.as_deref() {
            None => self.tables.table(&rel, mode),
            Some(s) => match self.tables.namespace(s).map_err(|e| self.at(e, name))? {
                Some(n) if n != catalog::PG_TOAST_NAMESPACE => {
                    self.tables.check_schema_usage(n).map_err(|e| self.at(e, name))?;
                    self.require_on(PrivObject::Schema(n), 'U');
                    self.tables.table_in(n, &rel, mode)
                }
                _ => return Err(self.at(missing(), name)),
            },
        };
        let table = table.map_err(|e| self.at(e, name))?.ok_or_else(|| self.at(missing(), name))?;
        if self.expanding.is_empty() && !self.reads.contains(&table.oid) {
            self.reads.push(table.oid);
        }
        self.require(table.oid, 'r');
        Ok(table)
    }

    /// A table by its name string as a DDL statement keeps it (see
    /// `catalog::namespace::qualified_name`): a qualified one only in its
    /// schema. No privilege is asked for; the command checks ownership.
    pub(super) fn table_named(&self, name: &str, mode: LockMode) -> Result<Option<Arc<Table>>> {
        match catalog::namespace::split_qualified(name)? {
            (None, rel) => self.tables.table(&rel, mode),
            (Some(s), rel) => match self.tables.namespace(&s)? {
                Some(n) if n != catalog::PG_TOAST_NAMESPACE => self.tables.table_in(n, &rel, mode),
                _ => Ok(None),
            },
        }
    }

    /// The statement needs privilege `letter` on relation `oid`: as the
    /// current user, or inside a view's query as the view's owner.
    pub(super) fn require(&mut self, oid: u32, letter: char) {
        self.require_on(PrivObject::Relation(oid), letter);
    }

    fn require_on(&mut self, object: PrivObject, letter: char) {
        let as_owner_of = self.expanding.iter().rev().find(|&&v| !default::is_stored_text(v)).copied();
        match self.access.iter_mut().find(|a| a.object == object && a.as_owner_of == as_owner_of) {
            Some(a) if a.privileges.contains(&letter) => {}
            Some(a) => a.privileges.push(letter),
            None => self.access.push(super::Access { object, privileges: vec![letter], as_owner_of }),
        }
    }

    /// Wherever the statement needs `writes`, it needs `also` too (UPDATE
    /// and DELETE read the rows their WHERE or RETURNING looks at).
    pub(super) fn require_with(&mut self, writes: char, also: char) {
        for a in self.access.iter_mut().filter(|a| a.privileges.contains(&writes)) {
            if !a.privileges.contains(&also) {
                a.privileges.push(also);
            }
        }
    }

    /// A table that the statement writes to: never a system catalog.
    fn table_for_write(&mut self, name: &ast::ObjectName, verb: &str) -> Result<Arc<Table>> {
        let reads = self.access.clone();
        let table = self.table(name, LockMode::RowExclusive)?;
        self.access = reads;
        self.require(table.oid, write_privilege(verb));
        if table.view.is_some() {
            return Err(self.at(view_not_writable(&table.name, verb), name));
        }
        if table.sequence {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "cannot change sequence \"{}\"", table.name));
        }
        if table.namespace == catalog::PG_CATALOG_NAMESPACE {
            let e = err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied for table {}", table.name);
            return Err(self.at(e, name));
        }
        Ok(table)
    }

    fn bind_insert(&mut self, ins: &ast::Insert) -> Result<Statement> {
        if !ins.assignments.is_empty() {
            return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"SET\""));
        }
        let ast::TableObject::TableName(name) = &ins.table else {
            return Err(Error::not_supported("INSERT into a table function"));
        };
        let target = self.write_target(name, None, "insert into")?;
        self.check_returning_through_view(&target, ins.returning.is_some())?;
        let table = target.table.clone();
        let explicit_columns = !ins.columns.is_empty();
        let targets: Vec<usize> = if !explicit_columns {
            target.shown.clone()
        } else {
            let mut t = Vec::with_capacity(ins.columns.len());
            for c in &ins.columns {
                let col = object_name(c).to_ascii_lowercase();
                let i = target.names.iter().position(|n| n.as_ref() == Some(&col)).ok_or_else(|| {
                    err!(
                        SqlState::UNDEFINED_COLUMN,
                        "column \"{col}\" of relation \"{}\" does not exist",
                        target.relation_name()
                    )
                })?;
                if t.contains(&i) {
                    return Err(err!(SqlState::DUPLICATE_COLUMN, "column \"{col}\" specified more than once"));
                }
                t.push(i);
            }
            t
        };
        // What each column gets when the statement gives it no value.
        let mut defaults = Vec::with_capacity(table.columns.len());
        for c in &table.columns {
            defaults.push(self.column_default(c)?);
        }
        let overriding = ins.overriding;
        // A value given for an identity column: refused for GENERATED
        // ALWAYS unless OVERRIDING SYSTEM VALUE; replaced by the default
        // with OVERRIDING USER VALUE.
        let identity_value = |i: usize| -> Result<bool> {
            let col = &table.columns[i];
            match (col.identity, overriding) {
                (0, _) => Ok(false),
                (_, Some(ast::InsertOverriding::User)) => Ok(true),
                (b'a', None) => Err(err!(
                    SqlState::GENERATED_ALWAYS,
                    "cannot insert a non-DEFAULT value into column \"{}\"",
                    col.name
                )
                .with_detail(format!("Column \"{}\" is an identity column defined as GENERATED ALWAYS.", col.name))
                .with_hint("Use OVERRIDING SYSTEM VALUE to override.")),
                _ => Ok(false),
            }
        };
        let Some(source) = &ins.source else {
            let returning = self.bind_returning(&table, ins.returning.as_deref(), true)?;
            let types = table.columns.iter().map(|c| c.ty).collect();
            let plan = Plan::Values { rows: vec![defaults], types };
            return Ok(Statement::Modify { kind: ModifyKind::Insert, table, source: Arc::new(plan), returning });
        };
        let too_many = || err!(SqlState::SYNTAX_ERROR, "INSERT has more expressions than target columns");
        let too_few = || err!(SqlState::SYNTAX_ERROR, "INSERT has more target columns than expressions");
        let plan = match source.body.as_ref() {
            ast::SetExpr::Values(values)
                if source.order_by.is_none() && source.limit_clause.is_none() && source.with.is_none() =>
            {
                let mut rows = Vec::with_capacity(values.rows.len());
                for row in &values.rows {
                    if row.len() > targets.len() {
                        return Err(too_many());
                    }
                    // Without a column list, missing trailing values take their defaults.
                    if row.len() < targets.len() && explicit_columns {
                        return Err(too_few());
                    }
                    let mut out: Vec<Expr> = defaults.clone();
                    for (e, &i) in row.iter().zip(&targets) {
                        if is_default_keyword(e) || identity_value(i)? {
                            continue;
                        }
                        let col = &table.columns[i];
                        let bound = self.bind_expr(e)?;
                        out[i] = self.assign(bound, col, e)?;
                    }
                    rows.push(out);
                }
                let types = table.columns.iter().map(|c| c.ty).collect();
                Plan::Values { rows, types }
            }
            _ => {
                if let ast::SetExpr::Select(s) = source.body.as_ref() {
                    let types = targets.iter().map(|&i| table.columns[i].ty).collect();
                    self.insert_outputs = Some((&**s as *const ast::Select, types));
                }
                let q = self.bind_query_plan(source);
                self.insert_outputs = None;
                let q = q?;
                if q.columns.len() > targets.len() {
                    return Err(too_many());
                }
                if q.columns.len() < targets.len() && explicit_columns {
                    return Err(too_few());
                }
                let mut exprs: Vec<Expr> = defaults;
                for (k, (&i, c)) in targets.iter().zip(&q.columns).enumerate() {
                    if identity_value(i)? {
                        continue;
                    }
                    let col = &table.columns[i];
                    if !coercion::assignable(c.ty, col.ty) {
                        return Err(err!(
                            SqlState::DATATYPE_MISMATCH,
                            "column \"{}\" is of type {} but expression is of type {}",
                            col.name,
                            col.ty.sql_name(),
                            c.ty.sql_name()
                        )
                        .with_hint("You will need to rewrite or cast the expression."));
                    }
                    let typmod = column_typmod(col.ty, col.typmod);
                    let e = Expr::Column(k, c.ty);
                    exprs[i] =
                        if c.ty == col.ty && typmod.is_none() { e } else { Expr::Assign(Box::new(e), col.ty, typmod) };
                }
                Plan::Project { input: Box::new(q.plan), exprs }
            }
        };
        let kind = match &ins.on {
            None => ModifyKind::Insert,
            Some(ast::OnInsert::OnConflict(oc)) => {
                if target.view.is_some() {
                    return Err(Error::not_supported("INSERT … ON CONFLICT through a view"));
                }
                let alias = ins.table_alias.as_ref().map(|a| &a.alias);
                if let ast::OnConflictAction::DoUpdate(u) = &oc.action {
                    self.require_with('a', 'w');
                    if u.selection.is_some() || !u.assignments.is_empty() {
                        self.require_with('a', 'r');
                    }
                }
                ModifyKind::Upsert(Arc::new(self.bind_on_conflict(oc, &table, alias)?))
            }
            Some(_) => return Err(Error::not_supported("INSERT … ON DUPLICATE KEY UPDATE")),
        };
        if ins.returning.is_some() {
            self.require_with('a', 'r');
        }
        // The new rows' system columns (not yet those ON CONFLICT writes).
        let system = matches!(kind, ModifyKind::Insert);
        let returning = match (&ins.table_alias, ins.returning.as_deref()) {
            // `INSERT INTO t AS alias`: RETURNING names the table by its alias.
            (Some(alias), Some(items)) => {
                let alias = ast::TableAlias {
                    explicit: alias.explicit,
                    name: alias.alias.clone(),
                    columns: Vec::new(),
                    at: None,
                };
                self.levels.push(query::Level::default());
                let r = self.bind_returning_items(&table, Some(&alias), items, system);
                self.levels.pop();
                Some(r?)
            }
            _ => self.bind_returning(&table, ins.returning.as_deref(), system)?,
        };
        Ok(Statement::Modify { kind, table, source: Arc::new(plan), returning })
    }

    /// `RETURNING` items over the table's row (and the written version's
    /// system columns, with `system`); `None` without the clause.
    fn bind_returning(
        &mut self,
        table: &Arc<Table>,
        items: Option<&[ast::SelectItem]>,
        system: bool,
    ) -> Result<Option<(Vec<Expr>, Vec<Column>)>> {
        let Some(items) = items else { return Ok(None) };
        self.levels.push(query::Level::default());
        let r = self.bind_returning_items(table, None, items, system);
        self.levels.pop();
        r.map(Some)
    }

    fn bind_returning_items(
        &mut self,
        table: &Arc<Table>,
        alias: Option<&ast::TableAlias>,
        items: &[ast::SelectItem],
        system: bool,
    ) -> Result<(Vec<Expr>, Vec<Column>)> {
        self.add_table_rel(table, alias, system && self.system_columns)?;
        self.bind_returning_list(items)
    }

    /// A RETURNING list (or a locking SELECT's select list) over the
    /// relations of the current level.
    fn bind_returning_list(&mut self, items: &[ast::SelectItem]) -> Result<(Vec<Expr>, Vec<Column>)> {
        self.level().no_aggs = Some("RETURNING");
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for item in items {
            match item {
                ast::SelectItem::UnnamedExpr(e) if row_value::field_star(e).is_some() => {
                    let root = row_value::field_star(e).expect("checked");
                    for (e, c) in self.expr_star_targets(root)? {
                        exprs.push(e);
                        columns.push(c);
                    }
                }
                ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
                    let b = self.bind_expr(e)?;
                    let b = if b.ty() == PgType::Unknown { self.coerce(b, PgType::Text, e)? } else { b };
                    let name = match item {
                        ast::SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
                        _ => figure_colname(e),
                    };
                    columns.push(Column { name, ty: b.ty(), typmod: -1 });
                    exprs.push(b);
                }
                ast::SelectItem::ExprWithAliases { .. } => {
                    return Err(Error::not_supported("several aliases for one RETURNING item"));
                }
                ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..) => {
                    let targets = match item {
                        ast::SelectItem::QualifiedWildcard(kind, _) => self.rel_star_targets(kind)?,
                        _ => self.star_targets(),
                    };
                    for (e, c) in targets {
                        exprs.push(e);
                        columns.push(c);
                    }
                }
            }
        }
        Ok((exprs, columns))
    }

    fn bind_update(&mut self, u: &ast::Update) -> Result<Statement> {
        if matches!(u.from, Some(ast::UpdateTableFromKind::BeforeSet(_)))
            || !u.table.joins.is_empty()
            || u.or.is_some()
            || u.limit.is_some()
        {
            return Err(Error::not_supported("this form of UPDATE"));
        }
        let ast::TableFactor::Table { name, alias, .. } = &u.table.relation else {
            return Err(Error::not_supported("UPDATE of this kind of relation"));
        };
        let target = self.write_target(name, alias.as_ref(), "update")?;
        self.check_returning_through_view(&target, u.returning.is_some())?;
        if u.selection.is_some() || u.returning.is_some() || u.from.is_some() {
            self.require_with('w', 'r');
        }
        if let Some(ast::UpdateTableFromKind::AfterSet(from)) = &u.from {
            let clauses = dml_from::JoinedClauses {
                alias: alias.as_ref(),
                from,
                assignments: Some(&u.assignments),
                selection: u.selection.as_ref(),
                returning: u.returning.as_deref(),
            };
            return self.bind_joined_write(target, clauses);
        }
        self.levels.push(query::Level::default());
        let r = self.bind_update_body(u, &target, alias.as_ref());
        self.levels.pop();
        let (plan, returning) = r?;
        Ok(Statement::Modify { kind: ModifyKind::Update(None), table: target.table, source: Arc::new(plan), returning })
    }

    /// RETURNING through a view is not built.
    fn check_returning_through_view(&self, target: &updatable::WriteTarget, returning: bool) -> Result<()> {
        match &target.view {
            Some(view) if returning => Err(Error::not_supported(format!("RETURNING through view \"{view}\""))),
            _ => Ok(()),
        }
    }

    #[allow(clippy::type_complexity)]
    fn bind_update_body(
        &mut self,
        u: &ast::Update,
        target: &updatable::WriteTarget,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Plan, Option<(Vec<Expr>, Vec<Column>)>)> {
        let table = &target.table;
        let system = self.add_target_rel(target, self.system_columns)?;
        self.level().no_aggs = Some("UPDATE");
        let values = self.bind_assignments(&u.assignments, target)?;
        // `SET a = b + 1` reads the row.
        if values.iter().enumerate().any(|(i, v)| !matches!(v, Expr::Column(j, _) if *j == i) && v.uses_columns()) {
            self.require_with('w', 'r');
        }
        let filter = match &u.selection {
            Some(w) => {
                self.level().no_aggs = Some("WHERE");
                Some(self.bind_condition(w, "WHERE")?)
            }
            None => None,
        };
        let filter = both(target.view_filter.clone(), filter);
        self.level().no_aggs = None;
        // The scan's row: the table's columns, its system columns, `ctid`.
        let ctid = table.columns.len() + system;
        let mut exprs = vec![Expr::Column(ctid, PgType::Int8)];
        exprs.extend(values);
        let alias = alias.filter(|_| target.view.is_none()).map(|a| ident(&a.name));
        let scan = Plan::Scan { table: table.clone(), filter, ctid: true, system: system > 0, alias, read: None };
        let plan = Plan::Project { input: Box::new(scan), exprs };
        let returning = self.bind_returning(table, u.returning.as_deref(), true)?;
        Ok((plan, returning))
    }

    /// The new values of every column of an UPDATE's (or an ON CONFLICT
    /// DO UPDATE's) target after `SET …`: an assigned column takes its
    /// expression, the others keep their value (`Expr::Column(i)`). A
    /// multiple-column item (`(a, b) = (x, y)`, `= ROW(…)`, `= (SELECT …)`)
    /// assigns each column its part.
    fn bind_assignments(
        &mut self,
        assignments: &[ast::Assignment],
        target: &updatable::WriteTarget,
    ) -> Result<Vec<Expr>> {
        let table = &target.table;
        let mut values: Vec<Expr> = table.columns.iter().enumerate().map(|(i, c)| Expr::Column(i, c.ty)).collect();
        let mut assigned = vec![false; table.columns.len()];
        for a in assignments {
            let columns = match &a.target {
                ast::AssignmentTarget::ColumnName(column) => {
                    self.assign_column(target, &mut values, &mut assigned, column, Source::Expr(&a.value))?;
                    continue;
                }
                ast::AssignmentTarget::Tuple(columns) => columns,
            };
            let sources: Vec<Source> = match &a.value {
                ast::Expr::Subquery(q) => self.bind_row_subquery(q, &a.value)?.into_iter().map(Source::Bound).collect(),
                ast::Expr::Tuple(items) => items.iter().map(Source::Expr).collect(),
                ast::Expr::Function(f) if is_row_constructor(f) => match &f.args {
                    ast::FunctionArguments::List(l) => l
                        .args
                        .iter()
                        .map(|arg| match arg {
                            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Ok(Source::Expr(e)),
                            _ => Err(Error::not_supported("this ROW() argument")),
                        })
                        .collect::<Result<_>>()?,
                    _ => Vec::new(),
                },
                other => {
                    return Err(self.at(
                        err!(
                            SqlState::FEATURE_NOT_SUPPORTED,
                            "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression"
                        ),
                        other,
                    ));
                }
            };
            if sources.len() != columns.len() {
                return Err(self
                    .at(err!(SqlState::SYNTAX_ERROR, "number of columns does not match number of values"), &a.value));
            }
            for (column, source) in columns.iter().zip(sources) {
                self.assign_column(target, &mut values, &mut assigned, column, source)?;
            }
        }
        Ok(values)
    }

    /// `SET column = source`: the column's new value in `values`.
    fn assign_column(
        &mut self,
        target: &updatable::WriteTarget,
        values: &mut [Expr],
        assigned: &mut [bool],
        column: &ast::ObjectName,
        source: Source<'_>,
    ) -> Result<()> {
        let table = &target.table;
        if let [col, field] = column.0.as_slice()
            && let (Some(col), Some(field)) = (col.as_ident(), field.as_ident())
            && let Some(i) = target.names.iter().position(|n| n.as_deref() == Some(ident(col).as_str()))
            && let PgType::Composite(oid) = table.columns[i].ty
        {
            let Source::Expr(e) = source else {
                return Err(Error::not_supported("assigning a field of a composite column from a sub-SELECT"));
            };
            let current = std::mem::replace(&mut values[i], Expr::Const(Datum::Null, PgType::Unknown));
            values[i] = self.assign_field(current, (&ident(col), oid), &ident(field), e)?;
            assigned[i] = true;
            return Ok(());
        }
        let col_name = column.0.last().and_then(|p| p.as_ident()).map(ident).unwrap_or_default();
        let Some(i) = target.names.iter().position(|n| n.as_ref() == Some(&col_name)) else {
            return Err(err!(
                SqlState::UNDEFINED_COLUMN,
                "column \"{col_name}\" of relation \"{}\" does not exist",
                target.relation_name()
            ));
        };
        if assigned[i] {
            return Err(err!(SqlState::SYNTAX_ERROR, "multiple assignments to same column \"{col_name}\""));
        }
        assigned[i] = true;
        let is_default = matches!(source, Source::Expr(e) if is_default_keyword(e));
        let col = &table.columns[i];
        if col.identity == b'a' && !is_default {
            return Err(err!(SqlState::GENERATED_ALWAYS, "column \"{}\" can only be updated to DEFAULT", col.name)
                .with_detail(format!("Column \"{}\" is an identity column defined as GENERATED ALWAYS.", col.name)));
        }
        values[i] = match source {
            _ if is_default => self.column_default(col)?,
            Source::Expr(e) => {
                let bound = self.bind_expr(e)?;
                self.assign(bound, col, e)?
            }
            Source::Bound((bound, node)) => self.assign(bound, col, node)?,
        };
        Ok(())
    }

    /// `(SELECT …)` as the source of a multiple-column UPDATE item: one
    /// expression per column of its row (see [`SubKind::Column`]).
    fn bind_row_subquery<'e>(&mut self, q: &ast::Query, node: &'e ast::Expr) -> Result<Vec<(Expr, &'e ast::Expr)>> {
        let Expr::Sub(sub) = self.bind_sub_any_width(q, node)? else {
            return Err(Error::internal("a subquery binds to a subplan"));
        };
        let types = sub.plan.types();
        Ok(types
            .into_iter()
            .enumerate()
            .map(|(i, ty)| {
                let part = crate::sql::plan::SubPlan { kind: SubKind::Column(i), ty, ..(*sub).clone() };
                (Expr::Sub(Box::new(part)), node)
            })
            .collect())
    }

    /// `SELECT … FROM t WHERE … FOR UPDATE [NOWAIT | SKIP LOCKED]`: the
    /// rows the WHERE clause selects are locked (as a DELETE would find
    /// them, re-checking a row a concurrent transaction changed) and the
    /// select list is computed from each locked row's newest version.
    fn bind_locking_select(&mut self, q: &ast::Query) -> Result<Statement> {
        let not_yet = |what: &str| Err(Error::not_supported(format!("SELECT FOR UPDATE with {what}")));
        let clauses = q.locks.iter().map(locking::clause).collect::<Result<Vec<_>>>()?;
        let first = clauses[0].strength.clause();
        let refused = |what: &str| Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "{first} is not allowed with {what}"));
        if q.with.is_some() {
            return not_yet("WITH");
        }
        let select = match q.body.as_ref() {
            ast::SetExpr::Select(select) => select,
            ast::SetExpr::SetOperation { .. } => return refused("UNION/INTERSECT/EXCEPT"),
            ast::SetExpr::Values(_) => {
                return Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "{first} cannot be applied to VALUES"));
            }
            _ => return not_yet("this kind of query"),
        };
        if select.distinct.is_some() {
            return refused("DISTINCT clause");
        }
        if !matches!(&select.group_by, ast::GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty()) {
            return refused("GROUP BY clause");
        }
        if select.having.is_some() {
            return refused("HAVING clause");
        }
        let item_expr = |i: &ast::SelectItem| match i {
            ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => Some(e.clone()),
            _ => None,
        };
        if select.projection.iter().filter_map(item_expr).any(|e| locking::has_window_function(&e)) {
            return refused("window functions");
        }
        if select.from.len() != 1 || !select.from[0].joins.is_empty() {
            return not_yet("a join or several tables");
        }
        let ast::TableFactor::Table { name, alias, .. } = &select.from[0].relation else {
            return not_yet("this kind of relation");
        };
        // The clauses that name no relation, or this one (by its alias if
        // it has one), apply; the strongest wins.
        let rel_name = match alias {
            Some(a) => ident(&a.name),
            None => name.0.last().and_then(|p| p.as_ident()).map(ident).unwrap_or_default(),
        };
        let mut strength = None;
        let mut nonblock = None;
        for c in &clauses {
            if let Some(other) = c.of.iter().find(|n| **n != rel_name) {
                return Err(err!(
                    SqlState::UNDEFINED_TABLE,
                    "relation \"{other}\" in {} clause not found in FROM clause",
                    c.strength.clause()
                ));
            }
            strength = strength.max(Some(c.strength));
            // NOWAIT beats SKIP LOCKED beats waiting, as in PostgreSQL.
            nonblock = match (nonblock, c.nonblock) {
                (Some(ast::NonBlock::Nowait), _) | (_, Some(ast::NonBlock::Nowait)) => Some(ast::NonBlock::Nowait),
                (a, b) => a.or(b),
            };
        }
        let Some(strength) = strength else { return Err(Error::internal("no locking clause")) };
        let table = self.table(name, LockMode::RowShare)?;
        if table.view.is_some() {
            return not_yet("a view");
        }
        let mut plan = self.bind_row_addresses(&table, alias.as_ref(), select.selection.as_ref())?;
        // ORDER BY (over the table's columns) orders the rows before they
        // are locked; LIMIT and OFFSET count locked rows.
        let order: &[ast::OrderByExpr] = match q.order_by.as_ref().map(|o| &o.kind) {
            None => &[],
            Some(ast::OrderByKind::Expressions(v)) => v,
            Some(ast::OrderByKind::All(_)) => return Err(Error::not_supported("ORDER BY ALL")),
        };
        self.levels.push(query::Level::default());
        type Window = (Option<Expr>, Option<Expr>, bool);
        let r = (|| -> Result<(Vec<crate::sql::plan::SortKey>, Window)> {
            self.add_table_rel(&table, alias.as_ref(), false)?;
            let mut keys = Vec::with_capacity(order.len());
            for o in order {
                match self.bind_expr(&o.expr)? {
                    Expr::Column(i, _) if i < table.columns.len() => keys.push(query::sort_key(i, &o.options)),
                    _ => return Err(Error::not_supported("SELECT FOR UPDATE ordered by an expression")),
                }
            }
            Ok((keys, self.limit_clause(q)?))
        })();
        self.levels.pop();
        let (keys, (offset, count, with_ties)) = r?;
        if with_ties {
            return not_yet("FETCH … WITH TIES");
        }
        if !keys.is_empty() {
            let Plan::Project { input, exprs } = plan else { return Err(Error::internal("row addresses plan")) };
            plan = Plan::Project { input: Box::new(Plan::Sort { input, keys }), exprs };
        }
        self.levels.push(query::Level::default());
        let out = self.bind_returning_items(&table, alias.as_ref(), &select.projection, true);
        self.levels.pop();
        // The select list is bound as a RETURNING list would be; its
        // refusals read as PostgreSQL's for a locking clause.
        let (exprs, columns) = out.map_err(|e| {
            let m = e.message();
            if m.starts_with("aggregate functions are not allowed") {
                err!(SqlState::FEATURE_NOT_SUPPORTED, "{first} is not allowed with aggregate functions")
            } else if m.starts_with("window functions are not allowed") {
                err!(SqlState::FEATURE_NOT_SUPPORTED, "{first} is not allowed with window functions")
            } else {
                e
            }
        })?;
        let kind = ModifyKind::Lock {
            nowait: nonblock == Some(ast::NonBlock::Nowait),
            skip_locked: nonblock == Some(ast::NonBlock::SkipLocked),
            offset,
            count,
            strength,
        };
        Ok(Statement::Modify { kind, table, source: Arc::new(plan), returning: Some((exprs, columns)) })
    }

    /// The addresses (`ctid`) of the rows of `table` that `selection`
    /// picks: the source of a DELETE or a SELECT FOR UPDATE.
    fn bind_row_addresses(
        &mut self,
        table: &Arc<Table>,
        alias: Option<&ast::TableAlias>,
        selection: Option<&ast::Expr>,
    ) -> Result<Plan> {
        self.bind_target_rows(&updatable::WriteTarget::table(table.clone(), alias), alias, selection)
    }

    /// [`Binder::bind_row_addresses`] of a write target (a table, or a
    /// simple view's table).
    fn bind_target_rows(
        &mut self,
        target: &updatable::WriteTarget,
        alias: Option<&ast::TableAlias>,
        selection: Option<&ast::Expr>,
    ) -> Result<Plan> {
        let table = &target.table;
        self.levels.push(query::Level::default());
        let r = (|| -> Result<Plan> {
            let system = self.add_target_rel(target, self.system_columns)?;
            let filter = match selection {
                Some(w) => {
                    self.level().no_aggs = Some("WHERE");
                    Some(self.bind_condition(w, "WHERE")?)
                }
                None => None,
            };
            let filter = both(target.view_filter.clone(), filter);
            let alias = alias.filter(|_| target.view.is_none()).map(|a| ident(&a.name));
            let scan = Plan::Scan { table: table.clone(), filter, ctid: true, system: system > 0, alias, read: None };
            let ctid = Expr::Column(table.columns.len() + system, PgType::Int8);
            Ok(Plan::Project { input: Box::new(scan), exprs: vec![ctid] })
        })();
        self.levels.pop();
        r
    }

    fn bind_delete(&mut self, d: &ast::Delete) -> Result<Statement> {
        let from = match &d.from {
            ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
        };
        if !d.tables.is_empty() || from.len() != 1 || !from[0].joins.is_empty() || d.limit.is_some() {
            return Err(Error::not_supported("this form of DELETE"));
        }
        let ast::TableFactor::Table { name, alias, .. } = &from[0].relation else {
            return Err(Error::not_supported("DELETE from this kind of relation"));
        };
        let target = self.write_target(name, alias.as_ref(), "delete from")?;
        self.check_returning_through_view(&target, d.returning.is_some())?;
        if d.selection.is_some() || d.returning.is_some() || d.using.is_some() {
            self.require_with('d', 'r');
        }
        if let Some(using) = &d.using {
            let clauses = dml_from::JoinedClauses {
                alias: alias.as_ref(),
                from: using,
                assignments: None,
                selection: d.selection.as_ref(),
                returning: d.returning.as_deref(),
            };
            return self.bind_joined_write(target, clauses);
        }
        let plan = self.bind_target_rows(&target, alias.as_ref(), d.selection.as_ref())?;
        let table = target.table;
        let returning = self.bind_returning(&table, d.returning.as_deref(), true)?;
        Ok(Statement::Modify { kind: ModifyKind::Delete(None), table, source: Arc::new(plan), returning })
    }

    /// Coerce a value for storing in a column (PostgreSQL's assignment casts).
    fn assign(&mut self, e: Expr, col: &catalog::Column, node: &ast::Expr) -> Result<Expr> {
        let (tables, from) = (self.tables, e.ty());
        let typmod = column_typmod(col.ty, col.typmod);
        self.assign_to(e, col.ty, typmod, node, || {
            err!(
                SqlState::DATATYPE_MISMATCH,
                "column \"{}\" is of type {} but expression is of type {}",
                col.name,
                composite::type_name(tables, col.ty),
                composite::type_name(tables, from)
            )
            .with_hint("You will need to rewrite or cast the expression.")
        })
    }

    /// An assignment cast of `e` to `to` (with its type modifier), or the
    /// error `mismatch` makes.
    fn assign_to(
        &mut self,
        e: Expr,
        to: PgType,
        typmod: Option<u32>,
        node: &ast::Expr,
        mismatch: impl FnOnce() -> Error,
    ) -> Result<Expr> {
        let from = e.ty();
        if from == to && typmod.is_none() {
            return Ok(e);
        }
        if let (PgType::Record, PgType::Composite(oid)) = (from, to) {
            return self.row_to_composite(e, oid, false, node);
        }
        if let Some(interval) = self.interval_literal(&e, to, typmod, node) {
            return interval;
        }
        if from == PgType::Unknown || implicit_coercion(from, to) {
            let c = self.coerce(e, to, node)?;
            return Ok(if typmod.is_some() { Expr::Assign(Box::new(c), to, typmod) } else { c });
        }
        if !coercion::allowed(from, to, CastContext::Assignment) {
            return Err(self.at(mismatch(), node));
        }
        Ok(Expr::Assign(Box::new(e), to, typmod))
    }

    /// A boolean condition (`WHERE`, `AND` operands, `CASE WHEN`).
    fn bind_condition(&mut self, e: &ast::Expr, clause: &str) -> Result<Expr> {
        let bound = self.bind_expr(e)?;
        match bound.ty() {
            PgType::Bool => Ok(bound),
            PgType::Unknown => self.coerce(bound, PgType::Bool, e),
            t => Err(self.at(
                err!(
                    SqlState::DATATYPE_MISMATCH,
                    "argument of {clause} must be type boolean, not type {}",
                    t.sql_name()
                ),
                e,
            )),
        }
    }

    pub fn bind_expr(&mut self, e: &ast::Expr) -> Result<Expr> {
        use ast::Expr as E;
        crate::txn::wait::check_stack_depth()?;
        match e {
            E::Value(v) => self.bind_value(&v.value, e),
            E::Nested(inner) => self.bind_expr(inner),
            // Key words that call a function, never a column name.
            E::Identifier(id) if id.quote_style.is_none() && keyword_function(&id.value).is_some() => {
                let name = id.value.to_ascii_lowercase();
                let func = keyword_function(&name).unwrap_or(Func::CurrentSchema);
                self.bind_call(func, &name, Vec::new(), &[], e)
            }
            E::Identifier(id) if id.quote_style.is_none() && is_reserved(&id.value) => {
                Err(self.at(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{}\"", id.value), e))
            }
            E::Identifier(id) => self.resolve_column(None, id, e),
            E::CompoundIdentifier(ids) if ids.len() == 2 => self.resolve_column(Some(&ids[0]), &ids[1], e),
            E::CompoundIdentifier(ids) => {
                let table = ids.first().map(|i| i.value.as_str()).unwrap_or("");
                Err(self.at(err!(SqlState::UNDEFINED_TABLE, "missing FROM-clause entry for table \"{table}\""), e))
            }
            E::UnaryOp { op, expr } => self.bind_unary(*op, expr, e),
            E::BinaryOp { left, op, right } => self.bind_binary(left, op, right, e),
            E::IsNull(x) | E::IsNotNull(x) => {
                let not = matches!(e, E::IsNotNull(_));
                match self.bind_row_null_test(x, not)? {
                    Some(test) => Ok(test),
                    None => Ok(Expr::IsNull(Box::new(self.bind_expr(x)?), not)),
                }
            }
            E::IsTrue(x) => Ok(Expr::IsBool(Box::new(self.bind_condition(x, "IS TRUE")?), true, false)),
            E::IsNotTrue(x) => Ok(Expr::IsBool(Box::new(self.bind_condition(x, "IS NOT TRUE")?), true, true)),
            E::IsFalse(x) => Ok(Expr::IsBool(Box::new(self.bind_condition(x, "IS FALSE")?), false, false)),
            E::IsNotFalse(x) => Ok(Expr::IsBool(Box::new(self.bind_condition(x, "IS NOT FALSE")?), false, true)),
            E::IsDistinctFrom(a, b) | E::IsNotDistinctFrom(a, b) => {
                let not = matches!(e, E::IsNotDistinctFrom(..));
                if let Some(rows) = self.bind_row_distinct(a, b, not, e)? {
                    return Ok(rows);
                }
                let (a, b) = self.bind_comparison_operands(a, b, "=", e)?;
                Ok(Expr::Distinct(Box::new(a), Box::new(b), not))
            }
            E::Between { expr, negated, low, high } => {
                let (x1, lo) = self.bind_comparison_operands(expr, low, ">=", e)?;
                let (x2, hi) = self.bind_comparison_operands(expr, high, "<=", e)?;
                let both = Expr::And(
                    Box::new(Expr::Cmp(CmpOp::GtEq, Box::new(x1), Box::new(lo))),
                    Box::new(Expr::Cmp(CmpOp::LtEq, Box::new(x2), Box::new(hi))),
                );
                Ok(if *negated { Expr::Not(Box::new(both)) } else { both })
            }
            E::Case { operand, conditions, else_result, .. } => {
                let saved = self.levels.last_mut().and_then(|l| l.no_srfs.replace("CASE"));
                let r = self.bind_case(operand.as_deref(), conditions, else_result.as_deref());
                if let Some(l) = self.levels.last_mut() {
                    l.no_srfs = saved;
                }
                r
            }
            E::Cast { kind, expr, data_type, format: None }
                if !matches!(kind, ast::CastKind::TryCast | ast::CastKind::SafeCast) =>
            {
                let (to, typmod) = self.resolve_type(data_type, e)?;
                let inner = match expr.as_ref() {
                    E::Array(arr) if to.is_array() => self.bind_array_ctor(arr, Some(to), expr)?,
                    _ => self.bind_expr(expr)?,
                };
                self.cast_to_named(inner, data_type, to, typmod, expr)
            }
            E::Function(f) => self.bind_function(f, e),
            // The database's collation is "C", the only one there is.
            E::Collate { expr, collation } => {
                let name = object_name(collation);
                match name.trim_start_matches("pg_catalog.").trim_matches('"') {
                    "default" | "C" | "POSIX" => self.bind_expr(expr),
                    _ => Err(self.at(
                        err!(SqlState::UNDEFINED_OBJECT, "collation \"{}\" for encoding \"UTF8\" does not exist", name),
                        e,
                    )),
                }
            }
            E::TypedString(ts) => {
                let (to, typmod) = self.resolve_type(&ts.data_type, e)?;
                let text = match &ts.value.value {
                    ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => s.clone(),
                    other => return Err(self.at(Error::not_supported(format!("literal {other}")), e)),
                };
                self.cast_to_named(Expr::Const(Datum::Text(text), PgType::Unknown), &ts.data_type, to, typmod, e)
            }
            E::Interval(iv) => {
                let typmod = temporal::interval_literal_typmod(iv).map_err(|err| self.at(err, e))?;
                let inner = self.bind_expr(&iv.value)?;
                self.explicit_cast(inner, PgType::Interval, typmod, e)
            }
            E::AtTimeZone { timestamp, time_zone } => {
                let zone = self.bind_expr(time_zone)?;
                let ts = self.bind_expr(timestamp)?;
                self.bind_call(Func::Timezone, "timezone", vec![zone, ts], &[time_zone, timestamp], e)
            }
            E::Extract { field, expr, .. } => {
                let name = match field {
                    ast::DateTimeField::Custom(id) => id.value.clone(),
                    other => other.to_string().to_ascii_lowercase(),
                };
                let arg = self.bind_expr(expr)?;
                let field = Expr::Const(Datum::Text(name), PgType::Text);
                self.bind_call(Func::Extract, "extract", vec![field, arg], &[expr, expr], e)
            }
            E::Subquery(q) => self.bind_sub(q, SubKind::Scalar, e),
            E::Array(arr) => self.bind_array_ctor(arr, None, e),
            E::CompoundFieldAccess { root, access_chain } => match access_chain.as_slice() {
                [ast::AccessExpr::Dot(ast::Expr::Identifier(field))] => self.bind_field_selection(root, field, e),
                _ => self.bind_subscript(root, access_chain, e),
            },
            E::Tuple(items) => {
                let items: Vec<&ast::Expr> = items.iter().collect();
                self.bind_row_constructor(&items)
            }
            E::QualifiedWildcard(..) => self.bind_whole_row(e),
            E::Ceil { expr, field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) }
            | E::Floor { expr, field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime) } => {
                let (name, func) = match e {
                    E::Ceil { .. } => ("ceil", crate::sql::func::MathFunc::Ceil),
                    _ => ("floor", crate::sql::func::MathFunc::Floor),
                };
                let bound = vec![self.bind_expr(expr)?];
                self.bind_call(Func::Math(func), name, bound, &[expr.as_ref()], e)
            }
            E::Trim { trim_where, trim_what, expr, trim_characters: None } => {
                let (name, func) = match trim_where {
                    Some(ast::TrimWhereField::Leading) => ("ltrim", Func::Trim(true, false)),
                    Some(ast::TrimWhereField::Trailing) => ("rtrim", Func::Trim(false, true)),
                    _ => ("btrim", Func::Trim(true, true)),
                };
                let mut nodes = vec![expr.as_ref()];
                nodes.extend(trim_what.as_deref());
                let bound = nodes.iter().map(|n| self.bind_expr(n)).collect::<Result<Vec<_>>>()?;
                self.bind_call(func, name, bound, &nodes, e)
            }
            E::Overlay { expr, overlay_what, overlay_from, overlay_for } => {
                let mut nodes = vec![expr.as_ref(), overlay_what.as_ref(), overlay_from.as_ref()];
                nodes.extend(overlay_for.as_deref());
                let bound = nodes.iter().map(|n| self.bind_expr(n)).collect::<Result<Vec<_>>>()?;
                self.bind_call(Func::Overlay, "overlay", bound, &nodes, e)
            }
            E::Position { expr, r#in } => {
                // strpos(haystack, needle).
                let bound = vec![self.bind_expr(r#in)?, self.bind_expr(expr)?];
                self.bind_call(Func::Position, "position", bound, &[r#in.as_ref(), expr.as_ref()], e)
            }
            E::Substring { expr, substring_from, substring_for, .. } => {
                let mut args = vec![self.bind_expr(expr)?];
                let mut nodes = vec![expr.as_ref()];
                let from = substring_from.as_deref();
                let one = ast::Expr::value(ast::Value::Number("1".into(), false));
                let from = from.unwrap_or(&one);
                args.push(self.bind_expr(from)?);
                nodes.push(from);
                if let Some(f) = substring_for {
                    args.push(self.bind_expr(f)?);
                    nodes.push(f);
                }
                if args[0].ty() == PgType::Bytea {
                    return self.bind_call(Func::Substr, "substring", args, &nodes, e);
                }
                let want: Vec<PgType> =
                    std::iter::once(PgType::Text).chain(std::iter::repeat(PgType::Int4)).take(args.len()).collect();
                let mut out = Vec::with_capacity(args.len());
                for ((a, w), n) in args.into_iter().zip(want).zip(nodes) {
                    if !(a.ty() == w
                        || a.ty() == PgType::Unknown
                        || implicit_coercion(a.ty(), w)
                        || (w == PgType::Text && a.ty().is_string()))
                    {
                        let types: Vec<&str> = vec![a.ty().sql_name()];
                        return Err(self.at(
                            err!(SqlState::UNDEFINED_FUNCTION, "function substr({}) does not exist", types.join(", "))
                                .with_hint("No function matches the given name and argument types. You might need to add explicit type casts."),
                            e,
                        ));
                    }
                    out.push(self.coerce(a, w, n)?);
                }
                Ok(Expr::Call(Func::Substr, out, PgType::Text))
            }
            E::Exists { subquery, negated } => {
                let x = self.bind_sub(subquery, SubKind::Exists, e)?;
                Ok(if *negated { Expr::Not(Box::new(x)) } else { x })
            }
            E::In { expr, target: ast::InTarget::Subquery(q), negated, .. } => {
                let x = self.bind_quantified(expr, q, CmpOp::Eq, false, "=", e)?;
                Ok(if *negated { Expr::Not(Box::new(x)) } else { x })
            }
            E::In { expr, target: ast::InTarget::List(list), negated, .. } => {
                // x IN (a, b) is x = a OR x = b, with the same NULL semantics.
                let mut arms = Vec::with_capacity(list.len());
                for item in list {
                    let eq = match self.bind_row_comparison(CmpOp::Eq, expr, item, e)? {
                        Some(rows) => rows,
                        None => {
                            let (l, r) = self.bind_comparison_operands(expr, item, "=", e)?;
                            Expr::Cmp(CmpOp::Eq, Box::new(l), Box::new(r))
                        }
                    };
                    arms.push(eq);
                }
                let x = crate::sql::expr::join_chain(arms, Expr::Or)
                    .ok_or_else(|| err!(SqlState::SYNTAX_ERROR, "syntax error at or near \")\""))?;
                Ok(if *negated { Expr::Not(Box::new(x)) } else { x })
            }
            E::AnyOp { left, compare_op, right, .. } | E::AllOp { left, compare_op, right } => {
                let all = matches!(e, E::AllOp { .. });
                let op = match compare_op {
                    ast::BinaryOperator::Eq => CmpOp::Eq,
                    ast::BinaryOperator::NotEq => CmpOp::NotEq,
                    ast::BinaryOperator::Lt => CmpOp::Lt,
                    ast::BinaryOperator::LtEq => CmpOp::LtEq,
                    ast::BinaryOperator::Gt => CmpOp::Gt,
                    ast::BinaryOperator::GtEq => CmpOp::GtEq,
                    other => return Err(self.at(Error::not_supported(format!("operator {other} with ANY/ALL")), e)),
                };
                let ast::Expr::Subquery(q) = right.as_ref() else {
                    return self.bind_array_quantified(left, op, all, right, e);
                };
                self.bind_quantified(left, q, op, all, op.symbol(), e)
            }
            E::Like { negated, any: false, expr, pattern, escape_char }
            | E::ILike { negated, any: false, expr, pattern, escape_char } => {
                let ci = matches!(e, E::ILike { .. });
                let x = self.bind_expr(expr)?;
                let p = self.bind_expr(pattern)?;
                // bytealike (there is no ILIKE for bytea).
                if !ci && x.ty() == PgType::Bytea && matches!(p.ty(), PgType::Bytea | PgType::Unknown) {
                    if escape_char.is_some() {
                        return Err(self.at(Error::not_supported("bytea LIKE with ESCAPE"), e));
                    }
                    let p = self.coerce(p, PgType::Bytea, pattern)?;
                    return Ok(Expr::Like(Box::new(x), Box::new(p), *negated, ci));
                }
                let texty = |t: PgType| t.is_string() || t == PgType::Unknown;
                if !texty(x.ty()) || !texty(p.ty()) {
                    return Err(self.no_operator(if ci { "~~*" } else { "~~" }, x.ty(), p.ty(), e));
                }
                // bpchar matches with its blanks (PostgreSQL's bpcharlike).
                let x = if x.ty() == PgType::Bpchar { x } else { self.coerce(x, PgType::Text, expr)? };
                let p = self.coerce(p, PgType::Text, pattern)?;
                // `ESCAPE e` rewrites the pattern to the default escape.
                let p = match escape_char {
                    Some(escape) => self.string_call(StrFunc::LikeEscape, vec![p], escape)?,
                    None => p,
                };
                Ok(Expr::Like(Box::new(x), Box::new(p), *negated, ci))
            }
            // `x SIMILAR TO p [ESCAPE e]` is `x ~ similar_to_escape(p [, e])`.
            E::SimilarTo { negated, expr, pattern, escape_char } => {
                let x = self.bind_expr(expr)?;
                let p = self.bind_expr(pattern)?;
                let p = self.coerce(p, PgType::Text, pattern)?;
                if !x.ty().is_string() && x.ty() != PgType::Unknown {
                    return Err(self.no_operator("~", x.ty(), p.ty(), e));
                }
                let x = self.coerce(x, PgType::Text, expr)?;
                let regex = match escape_char {
                    Some(escape) => self.string_call(StrFunc::SimilarToEscape, vec![p], escape)?,
                    None => pattern_call(StrFunc::SimilarToEscape, vec![p])?,
                };
                let matches = Func::RegexMatch { case_insensitive: false, negated: *negated };
                Ok(Expr::Call(matches, vec![x, regex], PgType::Bool))
            }
            other => Err(self.at(Error::not_supported(format!("expression \"{other}\"")), e)),
        }
    }

    /// `lhs op ANY/ALL (subquery)`, typed like the comparison `lhs op column`.
    fn bind_quantified(
        &mut self,
        lhs: &ast::Expr,
        q: &ast::Query,
        op: CmpOp,
        all: bool,
        symbol: &str,
        node: &ast::Expr,
    ) -> Result<Expr> {
        if let Some(fields) = row_compare::row_fields(lhs) {
            return self.bind_row_quantified(&fields, q, (op, all, symbol), node);
        }
        let l = self.bind_expr(lhs)?;
        let placeholder =
            SubKind::Quantified { lhs: Box::new(Expr::Const(Datum::Null, PgType::Unknown)), op, all, pairwise: false };
        let sub = self.bind_sub(q, placeholder, node)?;
        let Expr::Sub(mut sp) = sub else { return Err(Error::internal("subquery expected")) };
        let (lt, rt) = (l.ty(), sp.ty);
        let ty = match (lt, rt) {
            _ if lt == rt => lt,
            (PgType::Unknown, t) => t,
            // As for a plain comparison: `oid IN (SELECT regclass …)`
            // compares as OIDs, strings as text.
            _ => match comparison_type(lt, rt) {
                Some(t) => t,
                None => return Err(self.no_operator(symbol, lt, rt, node)),
            },
        };
        let l = self.coerce(l, if ty == PgType::Unknown { PgType::Text } else { ty }, lhs)?;
        if rt != ty && rt != PgType::Unknown {
            let plan = std::mem::replace(
                &mut sp.plan,
                Arc::new(crate::sql::plan::Plan::Values { rows: vec![], types: vec![] }),
            );
            let plan = Arc::try_unwrap(plan).unwrap_or_else(|p| (*p).clone());
            sp.plan = Arc::new(crate::sql::plan::Plan::Project {
                input: Box::new(plan),
                exprs: vec![Expr::Cast(Box::new(Expr::Column(0, rt)), ty, None)],
            });
            sp.ty = ty;
        }
        sp.kind = SubKind::Quantified { lhs: Box::new(l), op, all, pairwise: false };
        Ok(Expr::Sub(sp))
    }

    fn bind_value(&mut self, v: &ast::Value, node: &ast::Expr) -> Result<Expr> {
        use ast::Value as V;
        Ok(match v {
            V::Number(text, _) => self.number(text, node)?,
            V::SingleQuotedString(s) | V::EscapedStringLiteral(s) | V::UnicodeStringLiteral(s) => {
                Expr::Const(Datum::Text(s.clone()), PgType::Unknown)
            }
            V::DollarQuotedString(d) => Expr::Const(Datum::Text(d.value.clone()), PgType::Unknown),
            V::Boolean(b) => Expr::Const(Datum::Bool(*b), PgType::Bool),
            V::Null => Expr::Const(Datum::Null, PgType::Unknown),
            V::Placeholder(p) => {
                let n: usize =
                    p.trim_start_matches('$').parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        self.at(err!(SqlState::UNDEFINED_PARAMETER, "there is no parameter {p}"), node)
                    })?;
                if n > 65535 || !self.allow_params {
                    return Err(self.at(err!(SqlState::UNDEFINED_PARAMETER, "there is no parameter ${n}"), node));
                }
                if self.params.len() < n {
                    self.params.resize(n, PgType::Unknown);
                }
                Expr::Param(n - 1, self.params[n - 1])
            }
            other => return Err(self.at(Error::not_supported(format!("literal {other}")), node)),
        })
    }

    /// An unquoted numeric literal: int4 if it fits, else int8, else numeric.
    fn number(&self, text: &str, node: &ast::Expr) -> Result<Expr> {
        if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            if let Ok(v) = text.parse::<i64>() {
                return Ok(match int_datum(PgType::Int4, v) {
                    Some(d) => Expr::Const(d, PgType::Int4),
                    None => Expr::Const(Datum::Int8(v), PgType::Int8),
                });
            }
        }
        let canon = super::numeric::canonical(text).map_err(|e| self.at(e, node))?;
        Ok(Expr::Const(Datum::Numeric(canon), PgType::Numeric))
    }

    fn bind_unary(&mut self, op: ast::UnaryOperator, operand: &ast::Expr, node: &ast::Expr) -> Result<Expr> {
        match op {
            ast::UnaryOperator::Not => Ok(Expr::Not(Box::new(self.bind_condition(operand, "NOT")?))),
            ast::UnaryOperator::Plus => {
                let x = self.bind_expr(operand)?;
                if x.ty().is_numeric() { Ok(x) } else { Err(self.no_unary_operator("+", x.ty(), node)) }
            }
            ast::UnaryOperator::Minus => {
                // PostgreSQL's unary minus binds tighter than `^`: -a ^ 2 is (-a) ^ 2.
                if let ast::Expr::BinaryOp { left, op: ast::BinaryOperator::PGExp, right } = operand {
                    let neg = ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr: left.clone() };
                    return self.bind_binary(&neg, &ast::BinaryOperator::PGExp, right, node);
                }
                // `-2147483648` is one int4 constant, as in PostgreSQL's grammar.
                if let ast::Expr::Value(v) = operand {
                    if let ast::Value::Number(text, _) = &v.value {
                        return self.number(&format!("-{text}"), node);
                    }
                }
                let x = self.bind_expr(operand)?;
                match x.ty() {
                    t if t.is_numeric() || t == PgType::Interval => Ok(Expr::Neg(Box::new(x))),
                    t => Err(self.no_unary_operator("-", t, node)),
                }
            }
            other => Err(self.at(Error::not_supported(format!("operator {other}")), node)),
        }
    }

    fn no_unary_operator(&self, op: &str, t: PgType, node: &ast::Expr) -> Error {
        self.at(
            err!(SqlState::UNDEFINED_FUNCTION, "operator does not exist: {op} {}", t.sql_name()).with_hint(
                "No operator matches the given name and argument type. You might need to add an explicit type cast.",
            ),
            node,
        )
    }

    fn no_operator(&self, op: &str, l: PgType, r: PgType, node: &ast::Expr) -> Error {
        self.no_operator_named(op, l.sql_name(), r.sql_name(), node)
    }

    /// "operator is not unique". Out of line: [`Binder::bind_binary`]
    /// recurses once per operator of an expression, so its frame stays small.
    #[inline(never)]
    fn ambiguous_operator(&self, op: &str, l: PgType, r: PgType, node: &ast::Expr) -> Error {
        let (l, r) = (l.sql_name(), r.sql_name());
        self.at_operator(
            err!(SqlState::AMBIGUOUS_FUNCTION, "operator is not unique: {l} {op} {r}")
                .with_hint("Could not choose a best candidate operator. You might need to add explicit type casts."),
            node,
        )
    }

    fn no_operator_named(&self, op: &str, l: &str, r: &str, node: &ast::Expr) -> Error {
        self.at_operator(
            err!(SqlState::UNDEFINED_FUNCTION, "operator does not exist: {l} {op} {r}").with_hint(
                "No operator matches the given name and argument types. You might need to add explicit type casts.",
            ),
            node,
        )
    }

    /// As [`Binder::at`], but a binary operation's error points at its
    /// operator, as PostgreSQL's do: found by stepping back from the right
    /// operand over blanks and opening parentheses, then over the
    /// operator's characters.
    fn at_operator(&self, e: Error, node: &ast::Expr) -> Error {
        let ast::Expr::BinaryOp { right, .. } = node else { return self.at(e, node) };
        let Some(right_at) = self.pos(right.span()) else { return self.at(e, node) };
        let before: Vec<char> = self.sql.chars().take(right_at.saturating_sub(1) as usize).collect();
        let mut i = before.len();
        while i > 0 && (before[i - 1].is_whitespace() || before[i - 1] == '(') {
            i -= 1;
        }
        let end = i;
        while i > 0 && "+-*/<>=~!@#%^&|`?".contains(before[i - 1]) {
            i -= 1;
        }
        if i == end {
            return self.at(e, node);
        }
        e.with_position(i as u32 + 1)
    }

    fn bind_binary(
        &mut self,
        left: &ast::Expr,
        op: &ast::BinaryOperator,
        right: &ast::Expr,
        node: &ast::Expr,
    ) -> Result<Expr> {
        use ast::BinaryOperator as B;
        // `OPERATOR(pg_catalog.op)`: the built-in operator, spelled out.
        if let B::PGCustomBinaryOperator(parts) = op {
            let builtin = match parts.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["pg_catalog", "~"] => Some(B::PGRegexMatch),
                ["pg_catalog", "~*"] => Some(B::PGRegexIMatch),
                ["pg_catalog", "!~"] => Some(B::PGRegexNotMatch),
                ["pg_catalog", "!~*"] => Some(B::PGRegexNotIMatch),
                ["pg_catalog", "="] => Some(B::Eq),
                ["pg_catalog", "<>"] => Some(B::NotEq),
                ["pg_catalog", "<"] => Some(B::Lt),
                ["pg_catalog", "<="] => Some(B::LtEq),
                ["pg_catalog", ">"] => Some(B::Gt),
                ["pg_catalog", ">="] => Some(B::GtEq),
                ["pg_catalog", "||"] => Some(B::StringConcat),
                _ => None,
            };
            if let Some(builtin) = builtin {
                return self.bind_binary(left, &builtin, right, node);
            }
        }
        let arith = match op {
            B::Plus => Some(ArithOp::Add),
            B::Minus => Some(ArithOp::Sub),
            B::Multiply => Some(ArithOp::Mul),
            B::Divide => Some(ArithOp::Div),
            B::Modulo => Some(ArithOp::Mod),
            _ => None,
        };
        if let Some(aop) = arith {
            let (l, r) = (self.bind_expr(left)?, self.bind_expr(right)?);
            let (l, r) = match aop {
                ArithOp::Sub => match self.bind_jsonb_minus(l, r, right, node)? {
                    Ok(e) => return Ok(e),
                    Err(operands) => operands,
                },
                _ => (l, r),
            };
            let (lt, rt) = (l.ty(), r.ty());
            if lt == PgType::PgLsn || rt == PgType::PgLsn {
                return self.bind_lsn_arith(aop, l, r, (left, right), node);
            }
            if is_temporal(lt) || is_temporal(rt) {
                let (cl, cr, ty) = match datetime_operator(aop, lt, rt) {
                    DatetimeOperator::Found(cl, cr, ty) => (cl, cr, ty),
                    DatetimeOperator::None => return Err(self.no_operator(aop.symbol(), lt, rt, node)),
                    DatetimeOperator::Ambiguous => return Err(self.ambiguous_operator(aop.symbol(), lt, rt, node)),
                };
                let l = self.coerce(l, cl, left)?;
                let r = self.coerce(r, cr, right)?;
                return Ok(Expr::Arith(aop, Box::new(l), Box::new(r), ty));
            }
            let ty = match common_numeric(lt, rt) {
                Some(t) if !(aop == ArithOp::Mod && t.is_float()) => t,
                _ if lt == PgType::Unknown && rt == PgType::Unknown => {
                    return Err(self.at(
                        err!(SqlState::AMBIGUOUS_FUNCTION, "operator is not unique: unknown {} unknown", aop.symbol())
                            .with_hint("Could not choose a best candidate operator. You might need to add explicit type casts."),
                        node,
                    ));
                }
                _ => return Err(self.no_operator(aop.symbol(), lt, rt, node)),
            };
            let l = self.coerce(l, ty, left)?;
            let r = self.coerce(r, ty, right)?;
            return Ok(Expr::Arith(aop, Box::new(l), Box::new(r), ty));
        }
        let cmp = match op {
            B::Eq => Some(CmpOp::Eq),
            B::NotEq => Some(CmpOp::NotEq),
            B::Lt => Some(CmpOp::Lt),
            B::LtEq => Some(CmpOp::LtEq),
            B::Gt => Some(CmpOp::Gt),
            B::GtEq => Some(CmpOp::GtEq),
            _ => None,
        };
        if let Some(cop) = cmp {
            if let Some(rows) = self.bind_row_comparison(cop, left, right, node)? {
                return Ok(rows);
            }
            let (l, r) = self.bind_comparison_operands(left, right, cop.symbol(), node)?;
            return Ok(Expr::Cmp(cop, Box::new(l), Box::new(r)));
        }
        match op {
            B::And | B::Or => {
                let (word, join): (&str, crate::sql::expr::Join) =
                    if *op == B::And { ("AND", Expr::And) } else { ("OR", Expr::Or) };
                // `a AND b AND c` parses as `(a AND b) AND c`: the whole
                // chain down its left side is walked here, not recursed
                // into, however long it is.
                let mut arms = vec![right];
                let mut rest = left;
                loop {
                    match rest {
                        ast::Expr::BinaryOp { left: l, op: o, right: r } if o == op => {
                            arms.push(r);
                            rest = l;
                        }
                        _ => break,
                    }
                }
                arms.push(rest);
                let mut bound = Vec::with_capacity(arms.len());
                for arm in arms.into_iter().rev() {
                    bound.push(self.bind_condition(arm, word)?);
                }
                Ok(crate::sql::expr::join_chain(bound, join).expect("a chain has two arms at least"))
            }
            B::PGExp => {
                let (l, r) = (self.bind_expr(left)?, self.bind_expr(right)?);
                let (lt, rt) = (l.ty(), r.ty());
                if common_numeric(lt, rt).is_none() && !(lt == PgType::Unknown && rt == PgType::Unknown) {
                    return Err(self.no_operator("^", lt, rt, node));
                }
                if common_numeric(lt, rt) == Some(PgType::Numeric) {
                    let l = self.coerce(l, PgType::Numeric, left)?;
                    let r = self.coerce(r, PgType::Numeric, right)?;
                    return Ok(Expr::Call(Func::Power, vec![l, r], PgType::Numeric));
                }
                let l = self.coerce(l, PgType::Float8, left)?;
                let r = self.coerce(r, PgType::Float8, right)?;
                Ok(Expr::Call(Func::Power, vec![l, r], PgType::Float8))
            }
            B::StringConcat => {
                let (l, r) = (self.bind_expr(left)?, self.bind_expr(right)?);
                let (l, r) = match self.bind_array_concat(l, r, left, right, node)? {
                    Ok(array) => return Ok(array),
                    Err(operands) => operands,
                };
                let (l, r) = match self.bind_jsonb_concat(l, r, left, right)? {
                    Ok(e) => return Ok(e),
                    Err(operands) => operands,
                };
                let (lt, rt) = (l.ty(), r.ty());
                if matches!(
                    (lt, rt),
                    (PgType::Bytea, PgType::Bytea | PgType::Unknown) | (PgType::Unknown, PgType::Bytea)
                ) {
                    return self.bind_call(Func::ByteaCat, "||", vec![l, r], &[left, right], node);
                }
                // textcat, or anytextcat/textanycat when one side is text-like.
                let texty = |t: PgType| t.is_string() || t == PgType::Unknown;
                if !(texty(lt) || texty(rt)) || lt == PgType::Void || rt == PgType::Void {
                    return Err(self.no_operator("||", lt, rt, node));
                }
                // anytextcat/textanycat cast the other operand to text (bool → 'true').
                let as_text = |b: &mut Self, e: Expr, node: &ast::Expr| match e.ty() {
                    PgType::Unknown | PgType::Bpchar => b.coerce(e, PgType::Text, node),
                    t if t.is_string() => Ok(e),
                    _ => Ok(Expr::Cast(Box::new(e), PgType::Text, None)),
                };
                let l = as_text(self, l, left)?;
                let r = as_text(self, r, right)?;
                Ok(Expr::Concat(Box::new(l), Box::new(r)))
            }
            B::PGRegexMatch | B::PGRegexIMatch | B::PGRegexNotMatch | B::PGRegexNotIMatch => {
                let case_insensitive = matches!(op, B::PGRegexIMatch | B::PGRegexNotIMatch);
                let negated = matches!(op, B::PGRegexNotMatch | B::PGRegexNotIMatch);
                let (l, r) = (self.bind_expr(left)?, self.bind_expr(right)?);
                let texty = |t: PgType| t.is_string() || t == PgType::Unknown;
                if !texty(l.ty()) || !texty(r.ty()) {
                    return Err(self.no_operator(&op.to_string(), l.ty(), r.ty(), node));
                }
                let l = self.coerce(l, PgType::Text, left)?;
                let r = self.coerce(r, PgType::Text, right)?;
                Ok(Expr::Call(Func::RegexMatch { case_insensitive, negated }, vec![l, r], PgType::Bool))
            }
            other => match self.bind_json_operator(other, left, right, node) {
                Some(r) => r,
                None => Err(self.at(Error::not_supported(format!("operator {other}")), node)),
            },
        }
    }

    /// `f(args…, last)`: a text function whose last argument, `last`,
    /// is bound here as text.
    fn string_call(&mut self, f: StrFunc, mut args: Vec<Expr>, last: &ast::Expr) -> Result<Expr> {
        let bound = self.bind_expr(last)?;
        args.push(self.coerce(bound, PgType::Text, last)?);
        pattern_call(f, args)
    }

    fn bind_comparison_operands(
        &mut self,
        left: &ast::Expr,
        right: &ast::Expr,
        op: &str,
        node: &ast::Expr,
    ) -> Result<(Expr, Expr)> {
        let (l, r) = (self.bind_expr(left)?, self.bind_expr(right)?);
        self.comparison_operands(l, r, left, right, op, node)
    }

    /// Bound operands `l` and `r` (of `left` and `right`) of a comparison
    /// `op`, brought to the type it is made in.
    fn comparison_operands(
        &mut self,
        l: Expr,
        r: Expr,
        left: &ast::Expr,
        right: &ast::Expr,
        op: &str,
        node: &ast::Expr,
    ) -> Result<(Expr, Expr)> {
        let (lt, rt) = (l.ty(), r.ty());
        let Some(ty) = comparison_type(lt, rt).filter(|ty| equality_only(*ty, op)) else {
            return Err(self.no_operator(op, lt, rt, node));
        };
        Ok((self.coerce_operand(l, ty, left)?, self.coerce_operand(r, ty, right)?))
    }

    /// An operand of a comparison made in type `ty`: as [`Binder::coerce`],
    /// but an integer meeting an `xid` is read as one (PostgreSQL's
    /// operator `xid = int4`, `xideqint4`; there is no cast from int4 to
    /// xid).
    fn coerce_operand(&mut self, e: Expr, ty: PgType, node: &ast::Expr) -> Result<Expr> {
        if ty == PgType::Xid && matches!(e.ty(), PgType::Int2 | PgType::Int4) {
            return Ok(Expr::Cast(Box::new(e), ty, None));
        }
        self.coerce(e, ty, node)
    }

    fn bind_case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        otherwise: Option<&ast::Expr>,
    ) -> Result<Expr> {
        let mut whens = Vec::with_capacity(conditions.len());
        let mut results = Vec::with_capacity(conditions.len() + 1);
        for w in conditions {
            let cond = match operand {
                Some(op) => {
                    let (l, r) = self.bind_comparison_operands(op, &w.condition, "=", &w.condition)?;
                    Expr::Cmp(CmpOp::Eq, Box::new(l), Box::new(r))
                }
                None => self.bind_condition(&w.condition, "CASE/WHEN")?,
            };
            whens.push(cond);
            results.push((self.bind_expr(&w.result)?, &w.result));
        }
        let otherwise = match otherwise {
            Some(e) => Some((self.bind_expr(e)?, e)),
            None => None,
        };
        // PostgreSQL considers the ELSE branch first, which shows in its error message.
        let all: Vec<&Expr> = otherwise.iter().map(|(e, _)| e).chain(results.iter().map(|(e, _)| e)).collect();
        let ty = self.common_type(&all, "CASE", results.first().map(|(_, n)| *n))?;
        let mut bound_whens = Vec::with_capacity(whens.len());
        for (cond, (res, node)) in whens.into_iter().zip(results) {
            bound_whens.push((cond, self.coerce(res, ty, node)?));
        }
        let otherwise = match otherwise {
            Some((e, node)) => Some(Box::new(self.coerce(e, ty, node)?)),
            None => None,
        };
        Ok(Expr::Case { whens: bound_whens, otherwise, ty })
    }

    /// PostgreSQL's `select_common_type` for CASE/COALESCE branches.
    fn common_type(&self, exprs: &[&Expr], context: &str, node: Option<&ast::Expr>) -> Result<PgType> {
        let mut ty = PgType::Unknown;
        for e in exprs {
            let t = e.ty();
            if t == PgType::Unknown || t == ty {
                continue;
            }
            if ty == PgType::Unknown {
                ty = t;
            } else if let Some(c) = common_numeric(ty, t).or_else(|| common_datetime(ty, t)) {
                ty = c;
            } else if ty.is_string() && t.is_string() {
                ty = PgType::Text;
            } else {
                let e = err!(
                    SqlState::DATATYPE_MISMATCH,
                    "{context} types {} and {} cannot be matched",
                    ty.sql_name(),
                    t.sql_name()
                );
                return Err(match node {
                    Some(n) => self.at(e, n),
                    None => e,
                });
            }
        }
        Ok(if ty == PgType::Unknown { PgType::Text } else { ty })
    }

    fn bind_function(&mut self, f: &ast::Function, node: &ast::Expr) -> Result<Expr> {
        if let Some(row) = self.bind_row_function(f)? {
            return Ok(row);
        }
        let name = object_name(&f.name).to_ascii_lowercase();
        let name = name.strip_prefix("pg_catalog.").unwrap_or(&name).to_string();
        let aggregate = AggFunc::lookup(&name);
        // These key words take no parentheses (current_schema may have them).
        let keyword_only = ["current_user", "session_user", "user", "current_role", "current_catalog"];
        if keyword_only.contains(&name.as_str()) && !matches!(f.args, ast::FunctionArguments::None) {
            return Err(self.at(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"(\""), node));
        }
        let mut star = false;
        let mut distinct = false;
        let mut order_by: &[ast::OrderByExpr] = &[];
        let args: Vec<&ast::Expr> = match &f.args {
            ast::FunctionArguments::None => Vec::new(),
            ast::FunctionArguments::List(list) => {
                distinct = matches!(list.duplicate_treatment, Some(ast::DuplicateTreatment::Distinct));
                for c in &list.clauses {
                    match c {
                        ast::FunctionArgumentClause::OrderBy(o) if aggregate.is_some() => order_by = o,
                        _ => return Err(self.at(Error::not_supported(format!("this clause in {name}()")), node)),
                    }
                }
                if (distinct || list.duplicate_treatment.is_some()) && aggregate.is_none() && f.within_group.is_empty()
                {
                    return Err(self.at(
                        err!(
                            SqlState::WRONG_OBJECT_TYPE,
                            "DISTINCT specified, but {name} is not an aggregate function"
                        ),
                        node,
                    ));
                }
                let mut v = Vec::with_capacity(list.args.len());
                for a in &list.args {
                    match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => v.push(e),
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) if aggregate.is_some() => star = true,
                        _ => {
                            return Err(self.at(Error::not_supported("named or wildcard function arguments"), node));
                        }
                    }
                }
                v
            }
            ast::FunctionArguments::Subquery(q) if name == "array" => return self.bind_array_subquery(q, node),
            ast::FunctionArguments::Subquery(_) => {
                return Err(self.at(Error::not_supported("subqueries as function arguments"), node));
            }
        };
        if !f.within_group.is_empty() {
            return self.bind_ordered_set(&name, f, &args, distinct, node);
        }
        if name == "grouping" && f.over.is_none() && f.filter.is_none() && !star && !distinct && order_by.is_empty() {
            return self.bind_grouping_call(&args, node);
        }
        let aggregate = match aggregate {
            Some(_) if star => {
                if name != "count" || !args.is_empty() {
                    return Err(self.at(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"*\""), node));
                }
                Some(AggFunc::CountStar)
            }
            other => other,
        };
        if let Some(over) = &f.over {
            return self.bind_window_call(&name, f, over, aggregate, &args, distinct, order_by, node);
        }
        if let Some(agg) = aggregate {
            return self.bind_aggregate(agg, &name, f, &args, distinct, order_by, node);
        }
        if crate::sql::plan::WinFunc::lookup(&name).is_some() {
            return Err(
                self.at(err!(SqlState::WRONG_OBJECT_TYPE, "window function {name} requires an OVER clause"), node)
            );
        }
        if f.filter.is_some() {
            return Err(self.at(
                err!(SqlState::WRONG_OBJECT_TYPE, "FILTER specified, but {name} is not an aggregate function"),
                node,
            ));
        }
        if let Some(f) = crate::sql::enums::EnumFunc::lookup(&name) {
            return self.bind_enum_function(f, &name, &args, node);
        }
        if let ("json_populate_record" | "jsonb_populate_record", [base, json]) = (name.as_str(), args.as_slice()) {
            return self.bind_populate_record(name == "jsonb_populate_record", &name, (base, json), node);
        }
        if name == "pg_typeof" && args.len() == 1 {
            // The argument's type is known here; the value is its name (a
            // regtype in PostgreSQL, text here until reg* types exist).
            let arg = self.bind_expr(args[0])?;
            // A value cast to a domain, or a column of one, is of the domain.
            let domain = match &arg {
                Expr::Domain(_, d) => Some(d.oid),
                _ => self.column_domain(&arg),
            };
            if let Some(oid) = domain {
                let args = vec![Expr::Const(Datum::Oid(oid), PgType::Oid), Expr::Const(Datum::Null, PgType::Int4)];
                return Ok(Expr::Call(Func::FormatType, args, PgType::Text));
            }
            if let PgType::Enum(_) | PgType::EnumArray(_) | PgType::Composite(_) = arg.ty() {
                // A user-made type's name is the catalog's, read when run.
                let args =
                    vec![Expr::Const(Datum::Oid(arg.ty().oid()), PgType::Oid), Expr::Const(Datum::Null, PgType::Int4)];
                return Ok(Expr::Call(Func::FormatType, args, PgType::Text));
            }
            return Ok(Expr::Const(Datum::Text(arg.ty().sql_name().to_string()), PgType::Text));
        }
        if name.starts_with("jsonb_path_") {
            return Err(self.at(Error::not_supported(format!("jsonpath function {name}")), node));
        }
        if let Some(srf) = crate::sql::srf::lookup(&name) {
            return self.bind_srf_call(srf, &name, &args, node);
        }
        if let Some(r) = self.bind_array_function(&name, &args, node) {
            return r;
        }
        let func = Func::lookup(&name);
        let mut bound = Vec::with_capacity(args.len());
        // COALESCE stops at its first non-null argument: no set-returning call there.
        let saved = match (func, self.levels.last_mut()) {
            (Some(Func::Coalesce), Some(l)) => Some(l.no_srfs.replace("COALESCE")),
            _ => None,
        };
        let r = args.iter().try_for_each(|a| {
            bound.push(self.bind_expr(a)?);
            Ok::<_, Error>(())
        });
        if let (Some(saved), Some(l)) = (saved, self.levels.last_mut()) {
            l.no_srfs = saved;
        }
        r?;
        let Some(func) = func else {
            return Err(self.no_function(&name, &bound, node));
        };
        match func {
            // Typed as CASE is: one common type for all arguments.
            Func::Coalesce | Func::NullIf | Func::Greatest | Func::Least => {
                if matches!(func, Func::Greatest | Func::Least) && bound.is_empty() {
                    // Key words in PostgreSQL's grammar, which wants an argument.
                    return Err(self.at(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \")\""), node));
                }
                if func == Func::NullIf && bound.len() != 2 || bound.is_empty() {
                    return Err(self.no_function(&name, &bound, node));
                }
                let refs: Vec<&Expr> = bound.iter().collect();
                let ty = self.common_type(&refs, &name.to_uppercase(), args.first().copied())?;
                let mut out = Vec::with_capacity(bound.len());
                for (b, a) in bound.into_iter().zip(&args) {
                    out.push(self.coerce(b, ty, a)?);
                }
                return Ok(Expr::Call(func, out, ty));
            }
            Func::NumNulls | Func::NumNonNulls => {
                if bound.is_empty() {
                    return Err(self.no_function(&name, &bound, node));
                }
                return self.bind_any_args(func, 0, bound, &args, PgType::Int4);
            }
            Func::ColumnSize(_) => {
                if bound.len() != 1 {
                    return Err(self.no_function(&name, &bound, node));
                }
                // A column's value is counted as stored, any other as computed.
                let stored = matches!(bound[0], Expr::Column(..));
                return self.bind_any_args(Func::ColumnSize(stored), 0, bound, &args, PgType::Int4);
            }
            Func::Json(f @ crate::sql::json_fn::JsonFn::Path { .. }) => {
                return self.bind_json_extract_path(f, &name, bound, &args, node);
            }
            Func::Json(f) if f.takes_any().is_some() => {
                return self.bind_json_any_args(f, &name, bound, &args, node);
            }
            Func::Cast(to) => return self.bind_cast_call(to, &name, bound, &args, node),
            Func::Str(f) => {
                if let Some((leading, min, max)) = f.takes_any() {
                    if !(min..=max).contains(&bound.len()) {
                        return Err(self.no_function(&name, &bound, node));
                    }
                    return self.bind_any_args(func, leading, bound, &args, PgType::Text);
                }
            }
            _ => {}
        }
        self.bind_call(func, &name, bound, &args, node)
    }

    /// A call of `func` with bound arguments, by its signatures: the first
    /// the arguments can be implicitly coerced to; exact matches of typed
    /// arguments win (abs(int8) over abs(float8)).
    fn bind_call(
        &mut self,
        func: Func,
        name: &str,
        bound: Vec<Expr>,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        let sigs = func.signatures();
        let fits = |sig: &[PgType], exact: bool| {
            sig.len() == bound.len()
                && sig.iter().zip(&bound).all(|(want, got)| {
                    let t = got.ty();
                    t == *want || t == PgType::Unknown || (!exact && implicit_coercion(t, *want))
                })
        };
        // As PostgreSQL's func_select_candidate: among the signatures that
        // fit, the one with the most arguments of exactly the given type
        // (the first listed on a tie).
        let exact_args = |sig: &[PgType]| sig.iter().zip(&bound).filter(|(want, got)| got.ty() == **want).count();
        let chosen = sigs.iter().find(|(s, _)| fits(s, true)).or_else(|| {
            sigs.iter().filter(|(s, _)| fits(s, false)).fold(None, |best: Option<&(&[PgType], PgType)>, c| match best {
                Some(b) if exact_args(b.0) >= exact_args(c.0) => Some(b),
                _ => Some(c),
            })
        });
        let Some((sig, ret)) = chosen else {
            return Err(self.no_function(name, &bound, node));
        };
        let mut out = Vec::with_capacity(bound.len());
        for ((b, want), a) in bound.into_iter().zip(sig.iter()).zip(args) {
            out.push(self.coerce(b, *want, a)?);
        }
        Ok(Expr::Call(func, out, *ret))
    }

    /// A call of a cast function (`int8(x)`, `text(x)`): the cast it
    /// names. As in PostgreSQL, a call of one argument that tusk casts
    /// explicitly to the function's type is that cast whether or not the
    /// function has the argument's type (`text(1)`, `int8('7')`); others
    /// go through the signatures, coercing the argument implicitly.
    fn bind_cast_call(
        &mut self,
        to: PgType,
        name: &str,
        mut bound: Vec<Expr>,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        if bound.len() == 1 && coercion::allowed(bound[0].ty(), to, CastContext::Explicit) {
            return self.explicit_cast(bound.remove(0), to, None, args[0]);
        }
        match self.bind_call(Func::Cast(to), name, bound, args, node)? {
            Expr::Call(_, mut arg, ty) if arg.len() == 1 => Ok(Expr::Cast(Box::new(arg.remove(0)), ty, None)),
            _ => Err(Error::internal("a cast function takes one argument")),
        }
    }

    /// A call of a function whose parameters past the first `leading`
    /// (which are text) take any type: untyped literals become text, the
    /// rest stay as they are.
    fn bind_any_args(
        &mut self,
        func: Func,
        leading: usize,
        bound: Vec<Expr>,
        args: &[&ast::Expr],
        ret: PgType,
    ) -> Result<Expr> {
        let mut out = Vec::with_capacity(bound.len());
        for (i, (b, a)) in bound.into_iter().zip(args).enumerate() {
            let to_text = i < leading || b.ty() == PgType::Unknown;
            out.push(if to_text { self.coerce(b, PgType::Text, a)? } else { b });
        }
        Ok(Expr::Call(func, out, ret))
    }

    fn no_function(&self, name: &str, args: &[Expr], node: &ast::Expr) -> Error {
        let types: Vec<&str> = args.iter().map(|a| a.ty().sql_name()).collect();
        self.at(
            err!(SqlState::UNDEFINED_FUNCTION, "function {name}({}) does not exist", types.join(", ")).with_hint(
                "No function matches the given name and argument types. You might need to add explicit type casts.",
            ),
            node,
        )
    }

    /// Implicit coercion (assignment of a context type), or an error.
    fn coerce(&mut self, e: Expr, to: PgType, node: &ast::Expr) -> Result<Expr> {
        let from = e.ty();
        if from == to {
            return Ok(e);
        }
        match e {
            Expr::Const(Datum::Null, PgType::Unknown) => return Ok(Expr::Const(Datum::Null, to)),
            Expr::Const(Datum::Text(s), PgType::Unknown)
                if matches!(to, PgType::TimestampTz | PgType::TimeTz) || relative_time(to, &s) =>
            {
                // Checked now, converted when run: the input's zone defaults
                // to the session's TimeZone, which may change after binding,
                // and `now`/`today` mean the time the statement runs (a
                // bound statement is cached by its text).
                parse_text(to, &s).map_err(|err| self.at(err, node))?;
                return Ok(Expr::Cast(Box::new(Expr::Const(Datum::Text(s), PgType::Unknown)), to, None));
            }
            // A relation name is resolved when the statement runs, through
            // its snapshot (see `EvalContext::relation_oid`).
            Expr::Const(Datum::Text(s), PgType::Unknown)
                if to == PgType::RegClass
                    || matches!(to, PgType::Enum(_) | PgType::EnumArray(_) | PgType::Reg(_) | PgType::Composite(_))
                    || (to == PgType::RegType && super::types::regtype_in(&s).is_err()) =>
            {
                return Ok(Expr::Cast(Box::new(Expr::Const(Datum::Text(s), PgType::Unknown)), to, None));
            }
            Expr::Const(Datum::Text(s), PgType::Unknown) => {
                return parse_text(to, &s).map(|d| Expr::Const(d, to)).map_err(|err| self.at(err, node));
            }
            // An enum parameter is taken as text and read through the
            // type's labels when the statement runs.
            Expr::Param(i, PgType::Unknown)
                if matches!(to, PgType::Enum(_) | PgType::EnumArray(_) | PgType::Composite(_)) =>
            {
                let text =
                    if to.is_array() { PgType::array_of(PgType::Text).unwrap_or(PgType::Text) } else { PgType::Text };
                self.params[i] = text;
                return Ok(Expr::Cast(Box::new(Expr::Param(i, text)), to, None));
            }
            Expr::Param(i, PgType::Unknown) => {
                self.params[i] = to;
                return Ok(Expr::Param(i, to));
            }
            _ => {}
        }
        if coercion::allowed(from, to, CastContext::Implicit) {
            return Ok(Expr::Cast(Box::new(e), to, None));
        }
        Err(self
            .at(err!(SqlState::DATATYPE_MISMATCH, "cannot coerce type {} to {}", from.sql_name(), to.sql_name()), node))
    }

    fn explicit_cast(&mut self, e: Expr, to: PgType, typmod: Option<u32>, node: &ast::Expr) -> Result<Expr> {
        if let Some(interval) = self.interval_literal(&e, to, typmod, node) {
            return interval;
        }
        let from = e.ty();
        if let (PgType::Record, PgType::Composite(oid)) = (from, to) {
            return self.row_to_composite(e, oid, true, node);
        }
        if from == PgType::Unknown || (from == to && typmod.is_none()) {
            let coerced = self.coerce(e, to, node)?;
            return Ok(if typmod.is_some() { Expr::Cast(Box::new(coerced), to, typmod) } else { coerced });
        }
        if !coercion::allowed(from, to, CastContext::Explicit) {
            let (from, to) = (self.type_display(from), self.type_display(to));
            return Err(self.at(err!(SqlState::CANNOT_COERCE, "cannot cast type {from} to {to}"), node));
        }
        Ok(Expr::Cast(Box::new(e), to, typmod))
    }

    /// A string literal given the type `interval` with a modifier: read
    /// for the modifier's fields (`'5'::interval minute` is 5 minutes), as
    /// PostgreSQL's interval_in takes the modifier.
    fn interval_literal(&self, e: &Expr, to: PgType, typmod: Option<u32>, node: &ast::Expr) -> Option<Result<Expr>> {
        match e {
            Expr::Const(Datum::Text(s), PgType::Unknown) if to == PgType::Interval && typmod.is_some() => Some(
                crate::sql::datetime::parse_interval_typmod(s, typmod)
                    .map(|iv| Expr::Const(Datum::Interval(iv), PgType::Interval))
                    .map_err(|err| self.at(err, node)),
            ),
            _ => None,
        }
    }

    fn resolve_type(&self, dt: &ast::DataType, node: &impl Spanned) -> Result<(PgType, Option<u32>)> {
        use ast::DataType as D;
        let t = match dt {
            D::Bool | D::Boolean => PgType::Bool,
            D::SmallInt(_) | D::Int2(_) => PgType::Int2,
            D::Int(_) | D::Integer(_) | D::Int4(_) => PgType::Int4,
            D::BigInt(_) | D::Int8(_) => PgType::Int8,
            D::Real | D::Float4 => PgType::Float4,
            D::Double(_) | D::DoublePrecision | D::Float8 => PgType::Float8,
            D::Float(info) => match info {
                ast::ExactNumberInfo::Precision(p) | ast::ExactNumberInfo::PrecisionAndScale(p, _) if *p <= 24 => {
                    PgType::Float4
                }
                _ => PgType::Float8,
            },
            D::Text | D::String(None) => PgType::Text,
            D::Numeric(ast::ExactNumberInfo::None) | D::Decimal(ast::ExactNumberInfo::None) => PgType::Numeric,
            D::Numeric(info) | D::Decimal(info) | D::Dec(info) => {
                let (p, s) = match info {
                    ast::ExactNumberInfo::Precision(p) => (*p as i64, 0),
                    ast::ExactNumberInfo::PrecisionAndScale(p, s) => (*p as i64, *s),
                    ast::ExactNumberInfo::None => (0, 0),
                };
                let typmod = super::numeric::typmod(p, s).map_err(|e| self.at(e, node))?;
                return Ok((PgType::Numeric, Some(typmod as u32)));
            }
            D::Date => PgType::Date,
            D::Time(p, tz) => {
                let ty = match tz {
                    ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone => PgType::Time,
                    _ => PgType::TimeTz,
                };
                return Ok((ty, p.map(|p| p.min(6) as u32)));
            }
            D::Timestamp(p, tz) => {
                let ty = match tz {
                    ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone => PgType::Timestamp,
                    _ => PgType::TimestampTz,
                };
                return Ok((ty, p.map(|p| p.min(6) as u32)));
            }
            D::Interval { fields, precision } => {
                let typmod =
                    temporal::interval_type_typmod(fields.as_ref(), *precision).map_err(|e| self.at(e, node))?;
                return Ok((PgType::Interval, typmod));
            }
            D::Regclass => PgType::RegClass,
            D::Bytea => PgType::Bytea,
            D::Uuid => PgType::Uuid,
            D::JSON => PgType::Json,
            D::JSONB => PgType::Jsonb,
            D::Array(ast::ArrayElemTypeDef::SquareBracket(inner, _)) => {
                // The element's modifier is the array's (`varchar(2)[]`).
                let (elem, typmod) = self.resolve_type(inner, node)?;
                return self.array_type_of(elem, node).map(|t| (t, typmod));
            }
            D::Char(len) | D::Character(len) => {
                let n = match len {
                    Some(ast::CharacterLength::IntegerLength { length, .. }) => *length as u32,
                    _ => 1,
                };
                if n == 0 {
                    return Err(self
                        .at(err!(SqlState::INVALID_PARAMETER_VALUE, "length for type char must be at least 1"), node));
                }
                return Ok((PgType::Bpchar, Some(n)));
            }
            D::Varchar(len) | D::CharacterVarying(len) | D::CharVarying(len) => {
                let n = match len {
                    Some(ast::CharacterLength::IntegerLength { length, .. }) => Some(*length as u32),
                    _ => None,
                };
                return Ok((PgType::Varchar, n));
            }
            D::Custom(name, mods) if mods.is_empty() => {
                let n = object_name(name).to_ascii_lowercase();
                let n = n.strip_prefix("pg_catalog.").unwrap_or(&n).to_string();
                if let Some(kind) = super::regtypes::RegKind::by_name(&n) {
                    return Ok((PgType::Reg(kind), None));
                }
                match n.as_str() {
                    "int2" => PgType::Int2,
                    "int4" => PgType::Int4,
                    "int8" => PgType::Int8,
                    "float4" => PgType::Float4,
                    "float8" => PgType::Float8,
                    "bool" => PgType::Bool,
                    "text" => PgType::Text,
                    "varchar" => PgType::Varchar,
                    "void" => PgType::Void,
                    "numeric" | "decimal" => PgType::Numeric,
                    "date" => PgType::Date,
                    "time" => PgType::Time,
                    "timetz" => PgType::TimeTz,
                    "timestamp" => PgType::Timestamp,
                    "timestamptz" => PgType::TimestampTz,
                    "interval" => PgType::Interval,
                    "bpchar" => PgType::Bpchar,
                    "oid" => PgType::Oid,
                    "name" => PgType::Name,
                    "char" => PgType::Char,
                    "regclass" => PgType::RegClass,
                    "regtype" => PgType::RegType,
                    "bytea" => PgType::Bytea,
                    "uuid" => PgType::Uuid,
                    "pg_lsn" => PgType::PgLsn,
                    "json" => PgType::Json,
                    "jsonb" => PgType::Jsonb,
                    "tid" => PgType::Tid,
                    "xid" => PgType::Xid,
                    "cid" => PgType::Cid,
                    "xid8" => PgType::Xid8,
                    "pg_snapshot" => PgType::PgSnapshot,
                    "txid_snapshot" => PgType::TxidSnapshot,
                    "record" => PgType::Record,
                    // `_int4`: the catalog name of `integer[]`.
                    _ if n.starts_with('_') && super::types::regtype_in(&n).is_ok_and(PgType::is_array) => {
                        super::types::regtype_in(&n)?
                    }
                    "jsonpath" => {
                        return Err(self.at(Error::not_supported(format!("type {n}")), node));
                    }
                    _ => return self.user_type(name, node).map(|t| (t, None)),
                }
            }
            other => return Err(self.at(Error::not_supported(format!("type {other}")), node)),
        };
        Ok((t, None))
    }
}

impl Binder<'_> {
    /// `enum_first(e)`, `enum_last(e)`, `enum_range(e)`, `enum_range(a, b)`:
    /// the arguments' enum type is the result's (an array of it for
    /// `enum_range`).
    fn bind_enum_function(
        &mut self,
        f: crate::sql::enums::EnumFunc,
        name: &str,
        args: &[&ast::Expr],
        node: &ast::Expr,
    ) -> Result<Expr> {
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            bound.push(self.bind_expr(a)?);
        }
        let ty = bound.iter().map(Expr::ty).find(|t| *t != PgType::Unknown);
        let arity_ok = bound.len() == 1 || (bound.len() == 2 && f == crate::sql::enums::EnumFunc::Range);
        let (Some(ty @ PgType::Enum(_)), true) = (ty, arity_ok) else {
            return Err(self.no_function(name, &bound, node));
        };
        let mut out = Vec::with_capacity(bound.len());
        for (b, a) in bound.into_iter().zip(args) {
            out.push(self.coerce(b, ty, a)?);
        }
        let ret = if f == crate::sql::enums::EnumFunc::Range { PgType::EnumArray(ty.oid()) } else { ty };
        Ok(Expr::Call(Func::Enum(f), out, ret))
    }

    /// The domain a type name names, if it names one (a built-in type's
    /// name never does).
    pub(super) fn domain_type(&self, dt: &ast::DataType) -> Result<Option<Arc<catalog::domains::Domain>>> {
        let ast::DataType::Custom(name, mods) = dt else { return Ok(None) };
        if !mods.is_empty() {
            return Ok(None);
        }
        let Ok((schema, bare)) = split_name(name) else { return Ok(None) };
        if schema.is_none() && super::types::regtype_in(&bare).is_ok() {
            return Ok(None);
        }
        let namespace = match &schema {
            Some(s) => match self.tables.namespace(s)? {
                Some(n) => Some(n),
                None => return Ok(None),
            },
            None => None,
        };
        match self.tables.user_type(namespace, &bare)? {
            Some((oid, b'd')) => self.tables.domain(oid),
            _ => Ok(None),
        }
    }

    /// A cast to type `dt` (resolved to `to`) of `inner`, checked against
    /// the domain's constraints when `dt` names a domain.
    fn cast_to_named(
        &mut self,
        inner: Expr,
        dt: &ast::DataType,
        to: PgType,
        typmod: Option<u32>,
        node: &ast::Expr,
    ) -> Result<Expr> {
        let domain = self.domain_type(dt)?;
        let typmod = match &domain {
            Some(d) => d.length(),
            None => typmod,
        };
        let cast = self.explicit_cast(inner, to, typmod, node)?;
        Ok(match domain {
            Some(d) => Expr::Domain(Box::new(cast), d),
            None => cast,
        })
    }

    /// A type made by CREATE TYPE (an enum) or CREATE DOMAIN, by its
    /// possibly qualified name.
    fn user_type(&self, name: &ast::ObjectName, node: &impl Spanned) -> Result<PgType> {
        let (schema, bare) = split_name(name).map_err(|e| self.at(e, node))?;
        let namespace = match &schema {
            Some(s) => Some(self.tables.namespace(s)?.ok_or_else(|| self.at(catalog::namespace::no_schema(s), node))?),
            None => None,
        };
        let shown = match &schema {
            Some(s) => format!("{s}.{bare}"),
            None => bare.clone(),
        };
        match self.tables.user_type(namespace, &bare)? {
            Some((oid, b'e')) => Ok(PgType::Enum(oid)),
            Some((oid, b'c')) => Ok(PgType::Composite(oid)),
            Some((oid, b'd')) => match self.tables.domain(oid)? {
                Some(d) => Ok(d.base),
                None => Err(self.at(err!(SqlState::UNDEFINED_OBJECT, "type \"{shown}\" does not exist"), node)),
            },
            Some(_) => Err(self.at(Error::not_supported(format!("type {shown}")), node)),
            None => Err(self.at(err!(SqlState::UNDEFINED_OBJECT, "type \"{shown}\" does not exist"), node)),
        }
    }
}

/// The function a key word written without parentheses calls, for those
/// the parser leaves as identifiers.
fn keyword_function(word: &str) -> Option<Func> {
    match word.to_ascii_lowercase().as_str() {
        "current_schema" => Some(Func::CurrentSchema),
        "current_role" | "current_user" | "user" => Some(Func::CurrentUser),
        "session_user" => Some(Func::SessionUser),
        "current_catalog" => Some(Func::CurrentDatabase),
        _ => None,
    }
}

/// PostgreSQL's reserved key words, which can never be a column name unquoted.
fn is_reserved(word: &str) -> bool {
    const RESERVED: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    RESERVED.contains(&word.to_ascii_lowercase().as_str())
}

/// Whether operator `op` compares values of type `ty`: `xid` and `cid`
/// have only `=` and `<>`, as in PostgreSQL (transaction ids wrap around,
/// so they have no order).
fn equality_only(ty: PgType, op: &str) -> bool {
    !matches!(ty, PgType::Xid | PgType::Cid) || matches!(op, "=" | "<>" | "!=")
}

/// The type two operands of a comparison are compared in, if any.
fn comparison_type(lt: PgType, rt: PgType) -> Option<PgType> {
    let ty = match (lt, rt) {
        (PgType::Record, PgType::Record) => PgType::Record,
        (t @ PgType::Composite(_), u) | (u, t @ PgType::Composite(_)) if u == t => t,
        (a, b)
            if (a.is_row() || b.is_row())
                && (a.is_row() || a == PgType::Unknown)
                && (b.is_row() || b == PgType::Unknown) =>
        {
            PgType::Record
        }
        (PgType::Unknown, PgType::Unknown) => PgType::Text,
        _ if common_numeric(lt, rt).is_some() => common_numeric(lt, rt).unwrap_or(lt),
        (PgType::Bpchar, PgType::Bpchar | PgType::Unknown) | (PgType::Unknown, PgType::Bpchar) => PgType::Bpchar,
        (t, PgType::Unknown) | (PgType::Unknown, t) if is_temporal(t) => t,
        _ if common_datetime(lt, rt).is_some() => common_datetime(lt, rt).unwrap_or(lt),
        (PgType::Time, PgType::Time) => PgType::Time,
        (PgType::Interval, PgType::Interval) => PgType::Interval,
        (PgType::Bytea, PgType::Bytea | PgType::Unknown) | (PgType::Unknown, PgType::Bytea) => PgType::Bytea,
        (t @ (PgType::Uuid | PgType::PgLsn | PgType::Jsonb | PgType::Xid8), u)
        | (u, t @ (PgType::Uuid | PgType::PgLsn | PgType::Jsonb | PgType::Xid8))
            if u == t || u == PgType::Unknown =>
        {
            t
        }
        (a, b) if (a.is_string() || a == PgType::Unknown) && (b.is_string() || b == PgType::Unknown) => PgType::Text,
        (PgType::Bool, PgType::Bool | PgType::Unknown) | (PgType::Unknown, PgType::Bool) => PgType::Bool,
        (PgType::Char, PgType::Char | PgType::Unknown) | (PgType::Unknown, PgType::Char) => PgType::Char,
        (t @ (PgType::RegClass | PgType::RegType | PgType::Reg(_)), u)
        | (u, t @ (PgType::RegClass | PgType::RegType | PgType::Reg(_)))
            if u == t || u == PgType::Unknown =>
        {
            t
        }
        (t @ PgType::Enum(_), u) | (u, t @ PgType::Enum(_)) if u == t || u == PgType::Unknown => t,
        (t @ (PgType::Tid | PgType::Xid | PgType::Cid), u) | (u, t @ (PgType::Tid | PgType::Xid | PgType::Cid))
            if u == t || u == PgType::Unknown =>
        {
            t
        }
        // PostgreSQL's `xid = int4` (`xideqint4`): the integer as an xid.
        (PgType::Xid, PgType::Int2 | PgType::Int4) | (PgType::Int2 | PgType::Int4, PgType::Xid) => PgType::Xid,
        // A catalog value held in its text form (`aclitem[]`) compares with
        // its own type or a literal as that text.
        (t @ PgType::TextForm(_), u) | (u, t @ PgType::TextForm(_)) if u == t || u == PgType::Unknown => t,
        // An integer meets an OID as an OID (PostgreSQL's implicit int4 → oid).
        (a, b)
            if (a.is_oid() || b.is_oid())
                && [a, b].iter().all(|t| t.is_oid() || t.is_integer() || *t == PgType::Unknown) =>
        {
            PgType::Oid
        }
        (a, b) => match (a.elem(), b.elem()) {
            // Arrays compare as arrays of their elements' common type.
            (Some(x), Some(y)) => PgType::array_of(comparison_type(x, y)?)?,
            (Some(_), None) if b == PgType::Unknown => a,
            (None, Some(_)) if a == PgType::Unknown => b,
            _ => return None,
        },
    };
    Some(ty)
}

/// The type two numeric operands are computed in, if both are numeric (or unknown).
fn common_numeric(a: PgType, b: PgType) -> Option<PgType> {
    let rank = |t: PgType| match t {
        PgType::Int2 => Some(0),
        PgType::Int4 => Some(1),
        PgType::Int8 => Some(2),
        PgType::Numeric => Some(3),
        PgType::Float4 => Some(4),
        PgType::Float8 => Some(5),
        _ => None,
    };
    match (a, b) {
        (PgType::Unknown, PgType::Unknown) => None,
        (PgType::Unknown, t) | (t, PgType::Unknown) => rank(t).map(|_| t),
        _ => {
            let (ra, rb) = (rank(a)?, rank(b)?);
            // An integer or numeric meeting float4 is computed in float8, as PostgreSQL resolves it.
            let exact = |t: PgType| t.is_integer() || t == PgType::Numeric;
            if (exact(a) && b == PgType::Float4) || (exact(b) && a == PgType::Float4) {
                return Some(PgType::Float8);
            }
            Some(if ra >= rb { a } else { b })
        }
    }
}

/// PostgreSQL's `FigureColname`: the output column name of an unaliased expression.
fn figure_colname(e: &ast::Expr) -> String {
    figure(e).unwrap_or_else(|| "?column?".to_string())
}

fn figure(e: &ast::Expr) -> Option<String> {
    use ast::Expr as E;
    match e {
        E::Identifier(id) => Some(id.value.clone()),
        E::CompoundIdentifier(ids) => ids.last().map(|i| i.value.clone()),
        E::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| if i.quote_style.is_none() { i.value.to_ascii_lowercase() } else { i.value.clone() }),
        E::TypedString(ts) => Some(cast_type_name(&ts.data_type)),
        E::Interval(_) => Some("interval".into()),
        E::Extract { .. } => Some("extract".into()),
        E::Substring { shorthand, .. } => Some(if *shorthand { "substr" } else { "substring" }.into()),
        E::Position { .. } => Some("position".into()),
        E::Ceil { .. } => Some("ceil".into()),
        E::Floor { .. } => Some("floor".into()),
        E::Overlay { .. } => Some("overlay".into()),
        E::Trim { trim_where: Some(ast::TrimWhereField::Leading), .. } => Some("ltrim".into()),
        E::Trim { trim_where: Some(ast::TrimWhereField::Trailing), .. } => Some("rtrim".into()),
        E::Trim { .. } => Some("btrim".into()),
        E::AtTimeZone { .. } => Some("timezone".into()),
        // A name figured from a type (a cast, a literal, CASE) yields to this cast's type.
        // Casts of casts: the innermost operand's name if it has one of its
        // own (`conrelid::regclass::text` is `conrelid`), else this type's.
        E::Cast { expr, data_type, .. } => {
            let mut base = expr.as_ref();
            while let E::Cast { expr, .. } | E::Nested(expr) = base {
                base = expr;
            }
            match base {
                E::TypedString(_) | E::Case { .. } | E::Value(_) => Some(cast_type_name(data_type)),
                _ => figure(base).or_else(|| Some(cast_type_name(data_type))),
            }
        }
        E::Case { .. } => Some("case".into()),
        E::Nested(inner) => figure(inner),
        E::Value(v) if matches!(v.value, ast::Value::Boolean(_)) => Some("bool".into()),
        // A scalar subquery is named after its first output column.
        E::Subquery(q) => first_output_name(&q.body),
        E::Exists { negated: false, .. } => Some("exists".into()),
        E::Array(_) => Some("array".into()),
        // `(a, b)` is named as `ROW(a, b)` is.
        E::Tuple(_) => Some("row".into()),
        // `a[i]` is named after the array.
        // `(r).f` is named after its field, `a[1]` after its array.
        E::CompoundFieldAccess { root, access_chain } => match access_chain.last() {
            Some(ast::AccessExpr::Dot(ast::Expr::Identifier(id))) if id.value != crate::sql::parser::FIELD_STAR => {
                Some(ident(id))
            }
            _ => figure(root),
        },
        _ => None,
    }
}

fn first_output_name(body: &ast::SetExpr) -> Option<String> {
    match body {
        ast::SetExpr::Select(s) => match s.projection.first()? {
            ast::SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
            ast::SelectItem::UnnamedExpr(e) => figure(e),
            _ => None,
        },
        ast::SetExpr::Query(q) => first_output_name(&q.body),
        ast::SetExpr::SetOperation { left, .. } => first_output_name(left),
        _ => None,
    }
}

fn cast_type_name(dt: &ast::DataType) -> String {
    use ast::DataType as D;
    match dt {
        D::Bool | D::Boolean => "bool",
        D::SmallInt(_) | D::Int2(_) => "int2",
        D::Int(_) | D::Integer(_) | D::Int4(_) => "int4",
        D::BigInt(_) | D::Int8(_) => "int8",
        D::Real | D::Float4 => "float4",
        D::Double(_) | D::DoublePrecision | D::Float8 => "float8",
        D::Text => "text",
        D::Numeric(_) | D::Decimal(_) => "numeric",
        D::Varchar(_) | D::CharacterVarying(_) | D::CharVarying(_) => "varchar",
        D::Char(_) | D::Character(_) => "bpchar",
        D::Date => "date",
        D::Time(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => "time",
        D::Time(..) => "timetz",
        D::Timestamp(_, ast::TimezoneInfo::None | ast::TimezoneInfo::WithoutTimeZone) => "timestamp",
        D::Timestamp(..) => "timestamptz",
        D::Interval { .. } => "interval",
        D::Bytea => "bytea",
        D::Uuid => "uuid",
        D::JSON => "json",
        D::JSONB => "jsonb",
        // `'{1}'::int[]` is named after its element type, as PostgreSQL does.
        D::Array(ast::ArrayElemTypeDef::SquareBracket(inner, _)) => return cast_type_name(inner),
        D::Custom(name, _) => {
            return object_name(name).rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        }
        other => return other.to_string().to_ascii_lowercase(),
    }
    .to_string()
}

fn object_name(n: &ast::ObjectName) -> String {
    n.0.iter()
        .map(|p| match p.as_ident() {
            Some(i) => i.value.clone(),
            None => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The value of `SET name = values` as one string (`None`: DEFAULT).
fn set_value_text(name: &str, values: &[ast::Expr]) -> Result<Option<String>> {
    use super::db_role_setting::SetArg;
    let mut parts = Vec::with_capacity(values.len());
    for v in values {
        let arg = match v {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::EscapedStringLiteral(s) => SetArg::Text(s.clone()),
                ast::Value::Number(n, _) => SetArg::Number(n.clone()),
                ast::Value::Boolean(b) => SetArg::Text(b.to_string()),
                other => return Err(Error::not_supported(format!("SET value {other}"))),
            },
            ast::Expr::Identifier(id)
                if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default") && values.len() == 1 =>
            {
                return Ok(None);
            }
            ast::Expr::Identifier(id) => {
                SetArg::Text(if id.quote_style.is_some() { id.value.clone() } else { id.value.to_ascii_lowercase() })
            }
            ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => match expr.as_ref() {
                ast::Expr::Value(v) => SetArg::Number(format!("-{}", v.value)),
                _ => {
                    return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"-\""));
                }
            },
            other => {
                return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{other}\""));
            }
        };
        parts.push(arg);
    }
    super::db_role_setting::flatten(name, &parts).map(Some)
}

fn bind_set(set: &ast::Set) -> Result<Statement> {
    use ast::Set as S;
    match set {
        S::SingleAssignment { scope, hivevar: false, variable, values } => {
            let local = matches!(scope, Some(ast::ContextModifier::Local));
            let name = object_name(variable);
            let value = set_value_text(&name, values)?;
            Ok(Statement::Set { name, value, local, reset: false })
        }
        S::SetTimeZone { local, value } => {
            let value = match value {
                ast::Expr::Identifier(id)
                    if id.value.eq_ignore_ascii_case("local") || id.value.eq_ignore_ascii_case("default") =>
                {
                    None
                }
                v => set_value_text("timezone", std::slice::from_ref(v))?,
            };
            Ok(Statement::Set { name: "timezone".into(), value, local: *local, reset: false })
        }
        S::SetNames { charset_name, collation_name: None } => Ok(Statement::Set {
            name: "client_encoding".into(),
            value: Some(charset_name.value.clone()),
            local: false,
            reset: false,
        }),
        S::SetTransaction { modes, snapshot: None, session: false } => {
            let (isolation, read_only) = transaction_modes(modes)?;
            Ok(Statement::SetTransaction { isolation, read_only, deferrable: None })
        }
        S::SetTransaction { session: true, modes, .. } => {
            // SET SESSION CHARACTERISTICS AS TRANSACTION: the session defaults.
            let (isolation, read_only) = transaction_modes(modes)?;
            match (isolation, read_only) {
                (Some(level), None) => Ok(Statement::Set {
                    name: "default_transaction_isolation".into(),
                    value: Some(level),
                    local: false,
                    reset: false,
                }),
                (None, Some(ro)) => Ok(Statement::Set {
                    name: "default_transaction_read_only".into(),
                    value: Some(if ro { "on" } else { "off" }.into()),
                    local: false,
                    reset: false,
                }),
                _ => Err(Error::not_supported("SET SESSION CHARACTERISTICS with several modes")),
            }
        }
        S::SetTransaction { .. } => Err(Error::not_supported("SET TRANSACTION SNAPSHOT")),
        S::SetRole { context_modifier, role_name } => role::bind_set_role(*context_modifier, role_name.as_ref()),
        S::SetSessionAuthorization(param) => role::bind_set_session_authorization(param),
        _ => Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"SET\"")),
    }
}

/// `[schema.]name`, folded as PostgreSQL folds identifiers.
/// `DEFAULT` standing for a value (in VALUES and in UPDATE … SET).
fn is_default_keyword(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
}

fn split_name(name: &ast::ObjectName) -> Result<(Option<String>, String)> {
    let parts: Vec<String> = name.0.iter().map(|p| p.as_ident().map(ident).unwrap_or_else(|| p.to_string())).collect();
    match parts.as_slice() {
        [rel] => Ok((None, rel.clone())),
        [schema, rel] => Ok((Some(schema.clone()), rel.clone())),
        _ => Err(Error::not_supported(format!("cross-database references: {name}"))),
    }
}

/// An identifier as PostgreSQL folds it: unquoted ones to lower case.
fn ident(id: &ast::Ident) -> String {
    if id.quote_style.is_some() { id.value.clone() } else { id.value.to_ascii_lowercase() }
}

/// The isolation level and access mode a BEGIN or SET TRANSACTION names.
fn transaction_modes(modes: &[ast::TransactionMode]) -> Result<(Option<String>, Option<bool>)> {
    let (mut isolation, mut read_only) = (None, None);
    for m in modes {
        match m {
            ast::TransactionMode::IsolationLevel(l) => {
                isolation = Some(
                    match l {
                        ast::TransactionIsolationLevel::ReadUncommitted => "read uncommitted",
                        ast::TransactionIsolationLevel::ReadCommitted => "read committed",
                        ast::TransactionIsolationLevel::RepeatableRead => "repeatable read",
                        ast::TransactionIsolationLevel::Serializable => "serializable",
                        other => return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"{other}\"")),
                    }
                    .to_string(),
                )
            }
            ast::TransactionMode::AccessMode(a) => read_only = Some(*a == ast::TransactionAccessMode::ReadOnly),
        }
    }
    Ok((isolation, read_only))
}

/// A short name of a statement kind for messages, e.g. `CREATE TABLE`.
pub fn statement_kind(stmt: &ast::Statement) -> String {
    let text = stmt.to_string();
    let mut words = text.split_whitespace().map(|w| w.to_ascii_uppercase());
    let first = words.next().unwrap_or_default();
    match first.as_str() {
        "CREATE" | "DROP" | "ALTER" => {
            let mut kind = vec![first];
            for w in words {
                let stop = !matches!(
                    w.as_str(),
                    "OR" | "REPLACE" | "TEMPORARY" | "TEMP" | "UNIQUE" | "UNLOGGED" | "MATERIALIZED"
                );
                kind.push(w);
                if stop {
                    break;
                }
            }
            kind.join(" ")
        }
        "START" => "START TRANSACTION".into(),
        _ => first,
    }
}

/// `like_escape` or `similar_to_escape` of `args`: computed here when
/// they are constants (the usual case), so that rows do not each rewrite
/// the pattern.
fn pattern_call(f: StrFunc, args: Vec<Expr>) -> Result<Expr> {
    let texts: Option<Vec<&str>> = args
        .iter()
        .map(|a| match a {
            Expr::Const(Datum::Text(s), _) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    let folded = match (f, texts.as_deref()) {
        (StrFunc::LikeEscape, Some([p, e])) => Some(crate::sql::expr::like_escape(p, e)?),
        (StrFunc::SimilarToEscape, Some([p])) => Some(crate::sql::expr::similar_to_escape(p, None)?),
        (StrFunc::SimilarToEscape, Some([p, e])) => Some(crate::sql::expr::similar_to_escape(p, Some(e))?),
        _ => None,
    };
    Ok(match folded {
        Some(text) => Expr::Const(Datum::Text(text), PgType::Text),
        None => Expr::Call(Func::Str(f), args, PgType::Text),
    })
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    use super::*;
    use crate::catalog::cast::casts;

    /// Every cast `pg_cast` lists is one the binder makes in the row's
    /// context: implicit casts when coercing, assignment casts when
    /// storing, explicit ones in `CAST`.
    #[test]
    fn pg_cast_rows_are_casts_the_binder_makes() {
        let node = Parser::new(&PostgreSqlDialect {}).try_with_sql("NULL").and_then(|mut p| p.parse_expr()).unwrap();
        let tables = index_expr::NoTables;
        let mut binder = Binder::simple("NULL", &tables);
        let casts = casts();
        assert!(casts.len() > 100, "{} casts", casts.len());
        for cast in casts {
            let (from, to) = cast.types().unwrap();
            let value = Expr::Const(Datum::Null, from);
            let bound = match cast.context {
                CastContext::Implicit => binder.coerce(value, to, &node),
                CastContext::Assignment => {
                    binder.assign_to(value, to, None, &node, || Error::internal("not assignable"))
                }
                CastContext::Explicit => binder.explicit_cast(value, to, None, &node),
            };
            let bound = bound.unwrap_or_else(|e| panic!("{cast:?}: {e}"));
            assert_eq!(bound.ty(), to, "{cast:?}");
        }
    }
}
