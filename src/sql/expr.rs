//! Bound scalar expressions and their evaluation, with PostgreSQL's
//! semantics: three-valued logic, overflow and division-by-zero errors,
//! and PostgreSQL's casts.
//!
//! The binder ([`super::binder`]) produces [`Expr`] trees whose every node
//! has a resolved type; evaluation never has to guess.

use std::cmp::Ordering;

use super::datetime::{self, Interval, TimeZone};
use super::func::Func;
use super::record::{Need, RecordValue};
use super::regtypes::RegKind;
use super::types::{ByteaOutput, Datum, PgType, TextStyle, bpchar_trim, bpchar_with_length, int_datum, parse_text_tz};
use crate::err;
use crate::error::{Error, Result, SqlState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::NotEq => "<>",
            CmpOp::Lt => "<",
            CmpOp::LtEq => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtEq => ">=",
        }
    }

    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn commuted(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            other => other,
        }
    }

    pub fn holds(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::NotEq => ord != Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::LtEq => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::GtEq => ord != Ordering::Less,
        }
    }
}

/// A typed expression.
#[derive(Clone, Debug)]
pub enum Expr {
    Const(Datum, PgType),
    /// `$n` (0-based index here), with its inferred type.
    Param(usize, PgType),
    Arith(ArithOp, Box<Expr>, Box<Expr>, PgType),
    Neg(Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    /// `IS [NOT] DISTINCT FROM`; `true` for NOT DISTINCT.
    Distinct(Box<Expr>, Box<Expr>, bool),
    Concat(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    IsNull(Box<Expr>, bool),
    /// `IS [NOT] TRUE/FALSE`: (expr, value tested, negated).
    IsBool(Box<Expr>, bool, bool),
    Case {
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
        ty: PgType,
    },
    Cast(Box<Expr>, PgType, Option<u32>),
    /// An assignment cast for storing into a column: as a cast, but a
    /// too-long string is an error (22001) instead of truncated.
    Assign(Box<Expr>, PgType, Option<u32>),
    /// A value becoming one of a domain (a cast to it): the value,
    /// checked against the domain's NOT NULL and CHECK constraints. Its
    /// type is the domain's base type.
    Domain(Box<Expr>, std::sync::Arc<crate::catalog::domains::Domain>),
    /// A column of the row being processed (index into the table's columns).
    Column(usize, PgType),
    Call(Func, Vec<Expr>, PgType),
    /// A value of an enclosing query's row, read by a correlated subquery (its slot).
    Outer(usize, PgType),
    /// A subquery.
    Sub(Box<super::plan::SubPlan>),
    /// A row constructor, `ROW(a, b)`, `(a, b)` or a whole-row reference
    /// `t`: its fields and their names (`f1`, `f2`, … for a constructor,
    /// the columns' for a whole row), which only the binder reads.
    Row(Vec<Expr>, Vec<String>),
    /// `expr [NOT] LIKE/ILIKE pattern`: (expr, pattern, negated, case-insensitive).
    Like(Box<Expr>, Box<Expr>, bool, bool),
    /// An aggregate's result, while the binder places it (never evaluated).
    AggRef(usize, PgType),
    /// A window function's result, while the binder places it (never evaluated).
    WinRef(usize, PgType),
    /// A set-returning function's current value, while the binder places
    /// it (never evaluated; see `super::srf`).
    SrfRef(usize, PgType),
}

/// Chains of AND or OR at most this long nest as written (left to right,
/// each a level deeper); longer ones are joined as a balanced tree.
const LINEAR_CHAIN: usize = 64;

/// `Expr::And` or `Expr::Or`, as a function.
pub type Join = fn(Box<Expr>, Box<Expr>) -> Expr;

/// `items` joined in order by `join` (`Expr::And` or `Expr::Or`), `None`
/// if there are none. A long chain — a generated IN list, thousands of
/// ANDed conditions — is built as a balanced tree: nested as deep as it is
/// long, every walk over it would recurse as deep (PostgreSQL keeps such a
/// chain as one flat list).
pub fn join_chain(items: Vec<Expr>, join: Join) -> Option<Expr> {
    if items.len() <= LINEAR_CHAIN {
        return items.into_iter().reduce(|a, b| join(Box::new(a), Box::new(b)));
    }
    let mut level = items;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut it = level.into_iter();
        while let Some(a) = it.next() {
            next.push(match it.next() {
                Some(b) => join(Box::new(a), Box::new(b)),
                None => a,
            });
        }
        level = next;
    }
    level.pop()
}

impl Expr {
    /// The field names of a row the binder knows them of: a row
    /// constructor's or a whole-row reference's (also when it is NULL for a
    /// row an outer join made up, see `binder::row_value`).
    pub fn row_names(&self) -> Option<&[String]> {
        match self {
            Expr::Row(_, names) => Some(names),
            Expr::Cast(row, PgType::Composite(_), None) => row.row_names(),
            Expr::Case { whens, otherwise: Some(row), ty } if ty.is_row() && whens.len() == 1 => row.row_names(),
            _ => None,
        }
    }

    pub fn ty(&self) -> PgType {
        match self {
            Expr::Const(_, t)
            | Expr::Param(_, t)
            | Expr::Arith(.., t)
            | Expr::Cast(_, t, _)
            | Expr::Assign(_, t, _)
            | Expr::Column(_, t)
            | Expr::Outer(_, t)
            | Expr::AggRef(_, t)
            | Expr::WinRef(_, t)
            | Expr::SrfRef(_, t)
            | Expr::Call(.., t) => *t,
            Expr::Sub(s) => match s.kind {
                super::plan::SubKind::Scalar | super::plan::SubKind::Column(_) => s.ty,
                super::plan::SubKind::Array => PgType::array_of(s.ty).unwrap_or(PgType::Unknown),
                _ => PgType::Bool,
            },
            Expr::Like(..) => PgType::Bool,
            Expr::Case { ty, .. } => *ty,
            Expr::Neg(e) => e.ty(),
            Expr::Domain(_, d) => d.base,
            Expr::Concat(..) => PgType::Text,
            Expr::Cmp(..) | Expr::Distinct(..) | Expr::And(..) | Expr::Or(..) | Expr::Not(..) => PgType::Bool,
            Expr::IsNull(..) | Expr::IsBool(..) => PgType::Bool,
            Expr::Row(..) => PgType::Record,
        }
    }

    /// The subqueries it contains (not those nested inside them).
    pub fn subplans<'a>(&'a self, out: &mut Vec<&'a super::plan::SubPlan>) {
        self.walk(&mut |e| {
            if let Expr::Sub(s) = e {
                out.push(s);
            }
        });
    }

    /// Whether it reads any column of its input row.
    pub fn uses_columns(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Column(..)));
        found
    }

    /// The operands of a chain of ORs (itself if it is no OR), left to right.
    pub fn or_arms<'e>(&'e self, out: &mut Vec<&'e Expr>) {
        match self {
            Expr::Or(a, b) => {
                a.or_arms(out);
                b.or_arms(out);
            }
            other => out.push(other),
        }
    }

    /// The columns (positions) it reads, in increasing order, once each.
    pub fn columns_read(&self) -> Vec<usize> {
        let mut used = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Column(i, _) = e {
                if !used.contains(i) {
                    used.push(*i);
                }
            }
        });
        used.sort_unstable();
        used
    }

    /// Call `f` on this node and every node below it (subquery bindings
    /// and quantified operands included, subquery plans not).
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Const(..)
            | Expr::Param(..)
            | Expr::Column(..)
            | Expr::Outer(..)
            | Expr::AggRef(..)
            | Expr::WinRef(..)
            | Expr::SrfRef(..) => {}
            Expr::Sub(s) => {
                for (_, b) in &s.bindings {
                    b.walk(f);
                }
                if let super::plan::SubKind::Quantified { lhs, .. } = &s.kind {
                    lhs.walk(f);
                }
            }
            Expr::Like(a, b, ..) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Assign(e, ..) | Expr::Domain(e, _) => e.walk(f),
            Expr::Neg(e) | Expr::Not(e) | Expr::IsNull(e, _) | Expr::IsBool(e, ..) | Expr::Cast(e, ..) => e.walk(f),
            Expr::Arith(_, a, b, _)
            | Expr::Cmp(_, a, b)
            | Expr::Distinct(a, b, _)
            | Expr::Concat(a, b)
            | Expr::And(a, b)
            | Expr::Or(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Case { whens, otherwise, .. } => {
                for (w, t) in whens {
                    w.walk(f);
                    t.walk(f);
                }
                if let Some(o) = otherwise {
                    o.walk(f);
                }
            }
            Expr::Call(_, args, _) | Expr::Row(args, _) => args.iter().for_each(|a| a.walk(f)),
        }
    }

    /// As [`Expr::walk`], with mutable access.
    pub fn walk_mut(&mut self, f: &mut impl FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Const(..)
            | Expr::Param(..)
            | Expr::Column(..)
            | Expr::Outer(..)
            | Expr::AggRef(..)
            | Expr::WinRef(..)
            | Expr::SrfRef(..) => {}
            Expr::Sub(s) => {
                for (_, b) in &mut s.bindings {
                    b.walk_mut(f);
                }
                if let super::plan::SubKind::Quantified { lhs, .. } = &mut s.kind {
                    lhs.walk_mut(f);
                }
            }
            Expr::Like(a, b, ..) => {
                a.walk_mut(f);
                b.walk_mut(f);
            }
            Expr::Assign(e, ..) | Expr::Domain(e, _) => e.walk_mut(f),
            Expr::Neg(e) | Expr::Not(e) | Expr::IsNull(e, _) | Expr::IsBool(e, ..) | Expr::Cast(e, ..) => e.walk_mut(f),
            Expr::Arith(_, a, b, _)
            | Expr::Cmp(_, a, b)
            | Expr::Distinct(a, b, _)
            | Expr::Concat(a, b)
            | Expr::And(a, b)
            | Expr::Or(a, b) => {
                a.walk_mut(f);
                b.walk_mut(f);
            }
            Expr::Case { whens, otherwise, .. } => {
                for (w, t) in whens.iter_mut() {
                    w.walk_mut(f);
                    t.walk_mut(f);
                }
                if let Some(o) = otherwise {
                    o.walk_mut(f);
                }
            }
            Expr::Call(_, args, _) | Expr::Row(args, _) => args.iter_mut().for_each(|a| a.walk_mut(f)),
        }
    }
}

/// What evaluation may read or change besides its inputs.
pub trait EvalContext {
    fn param(&self, index: usize) -> &Datum;
    /// Column `index` of the current row.
    fn column(&self, index: usize) -> &Datum;
    /// `current_setting(name, missing_ok)`.
    fn current_setting(&self, name: &str, missing_ok: bool) -> Result<Option<String>>;
    /// `set_config(name, value, is_local)`, returning the new value as shown.
    fn set_config(&mut self, name: &str, value: &str, is_local: bool) -> Result<String>;
    /// PostgreSQL's CHECK_FOR_INTERRUPTS: cancel, statement timeout, shutdown.
    fn check_interrupts(&self) -> Result<()>;
    fn backend_pid(&self) -> i32;
    fn extra_float_digits(&self) -> i32;
    /// The session's `bytea_output`, for casts of bytea to text.
    fn bytea_output(&self) -> ByteaOutput {
        ByteaOutput::Hex
    }
    /// The session's `TimeZone`, for timestamptz input, output and arithmetic.
    fn time_zone(&self) -> TimeZone {
        TimeZone::UTC
    }
    /// When the current transaction started (`now()`), as a timestamp.
    fn transaction_timestamp(&self) -> i64 {
        datetime::now()
    }
    /// When the current statement started.
    fn statement_timestamp(&self) -> i64 {
        datetime::now()
    }
    /// The transaction's queue of constraint checks put off (see
    /// [`super::exec::deferred`]); `None` where there is none.
    fn pending_checks(&self) -> Option<super::exec::deferred::SharedPending> {
        None
    }
    /// The value in an outer-row slot (for correlated subqueries).
    fn outer(&self, _slot: usize) -> Datum {
        Datum::Null
    }
    /// An advisory-lock function (see [`super::func::AdvisoryOp`]) on
    /// `key` (the key and whether it came as two int4 halves).
    fn advisory(&mut self, _op: super::func::AdvisoryOp, _shared: bool, _key: Option<(u64, bool)>) -> Result<Datum> {
        Err(Error::not_supported("advisory locks here"))
    }
    /// Run a subquery for the current row.
    fn subquery(&mut self, _sub: &super::plan::SubPlan) -> Result<Datum> {
        Err(Error::internal("subquery evaluated outside a query"))
    }
    /// A type made by CREATE TYPE (or its array type): its name, whether
    /// it is an array type, and whether the search path finds it by its
    /// name (`pg_type_is_visible`).
    fn user_type_info(&self, _oid: u32) -> Result<Option<crate::catalog::enums::TypeInfo>> {
        Ok(None)
    }
    /// The labels of enum type `oid`, as the statement's snapshot sees them.
    fn enum_labels(&self, _oid: u32) -> Result<super::enums::EnumLabels> {
        Err(Error::internal("enum lookup outside a query"))
    }
    /// The fields of composite type `oid`, as the statement's snapshot sees them.
    fn row_type(&self, _oid: u32) -> Result<std::sync::Arc<super::record::RowType>> {
        Err(Error::internal("composite type lookup outside a query"))
    }
    /// The OID of the relation named `name` (`[schema.]name`, folded and
    /// quoted as SQL identifiers), as the statement's snapshot sees it.
    fn relation_oid(&self, _name: &str) -> Result<Option<u32>> {
        Err(Error::internal("relation lookup outside a query"))
    }
    /// The schemas of the session's `search_path` that exist, in order
    /// (with `implicit`, `pg_catalog` first unless the path places it):
    /// OID and name.
    fn search_path(&self, implicit: bool) -> Result<Vec<(u32, String)>> {
        let setting = self.current_setting("search_path", false)?.unwrap_or_default();
        let path = crate::catalog::describe::search_path(&setting, self.session_user()?, implicit);
        Ok(path
            .into_iter()
            .map(|n| (n, crate::catalog::describe::namespace_name(n).unwrap_or_default().to_string()))
            .collect())
    }
    /// Relation `oid` as `regclass` prints it: its name in SQL quoting,
    /// qualified by its schema when the search path would not find it.
    /// Input of an OID alias type (`regproc`, `regnamespace`, …; see
    /// [`super::regtypes`]): the OID `text` names, or the error saying why
    /// no object has that name.
    fn reg_in(&self, _kind: super::regtypes::RegKind, _text: &str) -> Result<crate::catalog::regtypes::RegLookup> {
        Err(Error::internal("catalog lookup outside a query"))
    }
    /// Output of an OID alias type: how the object with OID `oid` prints.
    fn reg_out(&self, _kind: super::regtypes::RegKind, _oid: u32) -> Result<String> {
        Err(Error::internal("catalog lookup outside a query"))
    }
    fn regclass_text(&self, oid: u32) -> Result<Option<String>> {
        Ok(self.relation_name(oid)?.map(|n| crate::catalog::describe::quote_identifier(&n)))
    }
    /// The name of relation `oid`, as the statement's snapshot sees it.
    fn relation_name(&self, _oid: u32) -> Result<Option<String>> {
        Err(Error::internal("relation lookup outside a query"))
    }
    /// The `pg_namespace` OID of relation `oid`, as the statement's
    /// snapshot sees it.
    /// The name of schema `oid`, if there is one.
    fn namespace_name(&self, _oid: u32) -> Result<Option<String>> {
        Ok(None)
    }
    fn relation_namespace(&self, _oid: u32) -> Result<Option<u32>> {
        Err(Error::internal("relation lookup outside a query"))
    }
    /// `pg_get_indexdef` of index `oid` (see
    /// [`crate::catalog::Catalog::index_definition`]).
    fn index_definition(
        &self,
        _oid: u32,
        _column: usize,
        _qualify: &dyn Fn(u32) -> crate::catalog::describe::Qualify,
        _pretty: bool,
    ) -> Result<Option<String>> {
        Err(Error::internal("relation lookup outside a query"))
    }
    /// The write-ahead log's positions (`pg_current_wal_lsn()`, …).
    fn wal_positions(&self) -> Option<&dyn super::lsn::WalPositions> {
        None
    }
    /// The session's top-level transaction id, if it has one; with
    /// `assign`, one is assigned now if it has none
    /// (`pg_current_xact_id()`, see [`super::xid8`]).
    fn top_xid(&mut self, _assign: bool) -> Result<Option<u64>> {
        Err(Error::internal("the transaction is not at hand"))
    }
    /// The transaction manager, and the id the transaction reads as (its
    /// innermost subtransaction's; 0 if it has none).
    fn transaction_manager(&self) -> Option<(&crate::txn::TransactionManager, u64)> {
        None
    }
    /// The snapshot the statement reads with (`pg_current_snapshot()`).
    fn reading_snapshot(&self) -> Option<crate::txn::Snapshot> {
        None
    }
    /// The disk space of relation `oid` (`None` if there is none).
    fn relation_size(&self, _oid: u32, _what: crate::catalog::SizeOf) -> Result<Option<i64>> {
        Err(Error::internal("relation lookup outside a query"))
    }
    /// The session's user (`current_user`, `session_user`).
    fn session_user(&self) -> Result<&str> {
        Err(Error::internal("session user asked outside a session"))
    }
    /// The session user (`session_user`), which `SET ROLE` leaves as it is.
    fn authorization_user(&self) -> Result<&str> {
        self.session_user()
    }
    /// The name of role `oid`, as the statement's snapshot sees it.
    fn role_name(&self, oid: u32) -> Result<Option<String>> {
        Ok(crate::catalog::describe::role_name(oid))
    }
    /// The OID of role `name`, as the statement's snapshot sees it.
    fn role_oid(&self, name: &str) -> Result<Option<u32>> {
        Ok(crate::catalog::describe::role_oid(name))
    }
    /// The roles role `oid` is a member of, directly or through others.
    fn role_member_of(&self, _oid: u32) -> Result<Vec<u32>> {
        Ok(Vec::new())
    }
    /// Whether role `oid` is a superuser (`None`: no such role).
    fn role_is_superuser(&self, oid: u32) -> Result<Option<bool>> {
        Ok(crate::catalog::describe::role_name(oid).map(|_| oid == crate::catalog::system::SUPERUSER))
    }
    /// Whether role `role` holds one of `any` on `object` (with grant
    /// option if `grant_option`); `None` if the role or object does not
    /// exist.
    fn privilege(
        &self,
        _role: u32,
        _object: crate::catalog::privileges::PrivObject,
        _any: &[char],
        _grant_option: bool,
    ) -> Result<Option<bool>> {
        Err(Error::internal("privileges asked outside a session"))
    }
    /// The OID of the object of kind `on` named `name` (a schema or a
    /// database), if there is one.
    fn object_oid(&self, on: super::func::PrivilegeOn, name: &str) -> Result<Option<u32>> {
        Ok(match on {
            super::func::PrivilegeOn::Schema => crate::catalog::system::fixed_namespace(name),
            super::func::PrivilegeOn::Database => crate::catalog::describe::database_oid(name),
            _ => None,
        })
    }
    /// The sessions session `pid` waits for: for a lock or a transaction,
    /// or (`safe_snapshot`) for a safe snapshot of SERIALIZABLE READ ONLY
    /// DEFERRABLE.
    fn blocking_pids(&self, _pid: i32, _safe_snapshot: bool) -> Result<Vec<i32>> {
        Ok(Vec::new())
    }
    /// The database the session is connected to (`current_database()`).
    fn current_database(&self) -> Result<&str> {
        Err(Error::internal("database asked outside a session"))
    }
    /// `pg_get_viewdef` of relation `oid`: `None` if it is not a view.
    fn view_definition(&self, _oid: u32) -> Result<Option<String>> {
        Err(Error::internal("relation lookup outside a query"))
    }
    /// `pg_get_ruledef` of rule `oid`: `None` if there is no such rule.
    fn rule_definition(&self, _oid: u32) -> Result<Option<String>> {
        Err(Error::internal("relation lookup outside a query"))
    }
    /// A `pg_stat_get_*` counter of table or index `oid`.
    fn stat_counter(&self, _oid: u32, _counter: super::func::StatCounter) -> Result<Datum> {
        Err(Error::internal("statistics asked outside a query"))
    }
    /// The rows of a set-returning function called in FROM.
    fn set_returning(&mut self, _func: super::plan::SetFunc) -> Result<Vec<Vec<Datum>>> {
        Err(Error::internal("set-returning function outside a session"))
    }
    /// `nextval`, `currval`, `setval` or `lastval` with its arguments (a
    /// `regclass` first: the sequence's name, or its OID as a number).
    fn sequence(&mut self, _func: super::func::SeqFunc, _args: &[Datum]) -> Result<Datum> {
        Err(Error::not_supported("sequence functions here"))
    }
    /// `pg_cancel_backend(pid)` or `pg_terminate_backend(pid, timeout)`.
    fn signal_backend(&mut self, _pid: i32, _terminate: bool, _timeout_ms: i64) -> Result<bool> {
        Err(Error::not_supported("signalling sessions here"))
    }
    /// The comment on an object (`obj_description`, `col_description`).
    fn description(&self, _target: crate::catalog::comment::CommentTarget) -> Result<Option<String>> {
        Err(Error::internal("catalog lookup outside a query"))
    }
    /// The comment on a shared object (`shobj_description`).
    fn shared_description(&self, _objoid: u32, _classoid: u32) -> Result<Option<String>> {
        Err(Error::internal("catalog lookup outside a query"))
    }
    /// `pg_get_constraintdef` of constraint `oid`, naming relations as
    /// search path `path` finds them: `None` if there is none.
    fn constraint_definition(&self, _oid: u32, _pretty: bool, _path: &[u32]) -> Result<Option<String>> {
        Err(Error::internal("catalog lookup outside a query"))
    }
    /// The disk space of the current database's relations.
    fn database_size(&self) -> Result<i64> {
        Err(Error::internal("catalog lookup outside a query"))
    }
    /// The disk space of the database a name or OID names (`None`: no such database).
    fn database_size_of(&self, _database: &Datum) -> Result<Option<i64>> {
        Err(Error::internal("catalog lookup outside a query"))
    }
    /// Whether relation `oid` could be published (a permanent user table);
    /// `None` if there is no such relation.
    fn relation_is_publishable(&self, _oid: u32) -> Result<Option<bool>> {
        Err(Error::internal("relation lookup outside a query"))
    }
    /// A counter of the checkpointer, background writer or buffer pool.
    fn bgwriter_stat(&self, _stat: super::func::BgwriterStat) -> Result<Datum> {
        Err(Error::internal("statistics asked outside a query"))
    }
    /// When the server started (`pg_postmaster_start_time()`).
    fn postmaster_start_time(&self) -> i64 {
        0
    }
    /// `pg_get_serial_sequence(table, column)`: the qualified name of the
    /// sequence the column owns, if any.
    fn serial_sequence(&self, _table: &str, _column: &str) -> Result<Option<String>> {
        Err(Error::internal("relation lookup outside a query"))
    }
}

/// Casts to and from `regclass`, which read the catalog: a name (or a
/// number) becomes the relation it names, an OID prints as its relation's
/// name (or as the number when there is none, as PostgreSQL prints it).
fn regclass_cast(v: Datum, from: PgType, to: PgType, ctx: &mut dyn EvalContext) -> Result<Datum> {
    if v.is_null() {
        return Ok(Datum::Null);
    }
    let oid = match (&v, from) {
        (Datum::Text(text) | Datum::Bpchar(text), _) => Some(regclass_in(text, ctx)?),
        (other, _) => match other.as_i64() {
            Some(i) => Some(oid_of_int(i)?),
            None => None,
        },
    };
    let Some(oid) = oid else {
        return Err(err!(SqlState::CANNOT_COERCE, "cannot cast type {} to {}", from.sql_name(), to.sql_name()));
    };
    match to {
        PgType::RegClass => Ok(Datum::Text(match ctx.regclass_text(oid)? {
            // Printed as SQL spells it, so that it reads back as the same relation.
            Some(name) => name,
            None if oid == 0 => "-".to_string(),
            None => oid.to_string(),
        })),
        PgType::Text | PgType::Varchar | PgType::Name => match v {
            Datum::Text(s) => Ok(Datum::Text(s)),
            other => cast(other, from, to, None, ctx.extra_float_digits()),
        },
        _ => cast(Datum::Oid(oid), PgType::Oid, to, None, ctx.extra_float_digits()),
    }
}

/// A cast between an OID alias type (`regclass`, `regproc`, …) and
/// another type, which reads the catalog.
pub fn oid_alias_cast(v: Datum, from: PgType, to: PgType, ctx: &mut dyn EvalContext) -> Result<Datum> {
    if from == PgType::RegClass || to == PgType::RegClass {
        regclass_cast(v, from, to, ctx)
    } else {
        reg_cast(v, from, to, ctx)
    }
}

/// Casts to and from the OID alias types of [`super::regtypes`] (and
/// `regtype`): a name becomes the OID of the object it names, an OID
/// prints as its object's name.
fn reg_cast(v: Datum, from: PgType, to: PgType, ctx: &mut dyn EvalContext) -> Result<Datum> {
    if v.is_null() {
        return Ok(Datum::Null);
    }
    // Its text is the value as it prints.
    if to.is_string() && RegKind::of(from).is_some() {
        return cast(v, PgType::Text, to, None, 0);
    }
    let oid = match (&v, RegKind::of(from), RegKind::of(to)) {
        (Datum::Text(text), Some(kind), _) | (Datum::Text(text) | Datum::Bpchar(text), None, Some(kind)) => {
            ctx.reg_in(kind, text)??
        }
        (other, _, _) => match other.as_i64() {
            Some(i) => oid_of_int(i)?,
            None => {
                return Err(err!(SqlState::CANNOT_COERCE, "cannot cast type {} to {}", from.sql_name(), to.sql_name()));
            }
        },
    };
    match RegKind::of(to) {
        Some(kind) => Ok(Datum::Text(ctx.reg_out(kind, oid)?)),
        None => cast(Datum::Oid(oid), PgType::Oid, to, None, ctx.extra_float_digits()),
    }
}

/// A cast to an enum type: text input through the type's labels.
fn enum_cast(v: Datum, from: PgType, to: PgType, oid: u32, ctx: &mut dyn EvalContext) -> Result<Datum> {
    match v {
        Datum::Null => Ok(Datum::Null),
        Datum::Text(s) | Datum::Bpchar(s) => ctx.enum_labels(oid)?.input_as(to, &s),
        Datum::Array(mut a) if to.is_array() && from.elem().is_some_and(PgType::is_string) => {
            let labels = ctx.enum_labels(oid)?;
            let items = std::mem::take(&mut a.items);
            a.items = items
                .into_iter()
                .map(|d| match d {
                    Datum::Text(s) | Datum::Bpchar(s) => labels.input(&s),
                    other => Ok(other),
                })
                .collect::<Result<_>>()?;
            a.elem = PgType::Enum(oid);
            Ok(Datum::Array(a))
        }
        _ => Err(err!(SqlState::CANNOT_COERCE, "cannot cast type {} to {}", from.sql_name(), "anyenum")),
    }
}

/// A cast to a composite type: text input through the type's fields
/// (`record_in`); a record (of a row constructor the binder fitted to the
/// type) is the value as it is.
fn composite_cast(v: Datum, from: PgType, oid: u32, ctx: &mut dyn EvalContext) -> Result<Datum> {
    match v {
        Datum::Null => Ok(Datum::Null),
        Datum::Text(s) | Datum::Bpchar(s) => composite_in(oid, &s, ctx),
        v @ Datum::Record(_) => Ok(v),
        _ => Err(err!(SqlState::CANNOT_COERCE, "cannot cast type {} to record", from.sql_name())),
    }
}

/// A value of composite type `oid` from its text form.
pub fn composite_in(oid: u32, text: &str, ctx: &mut dyn EvalContext) -> Result<Datum> {
    let row = ctx.row_type(oid)?;
    let mut field_in = |field: &super::record::RowField, text: Option<&str>| -> Result<Datum> {
        match text {
            Some(text) => field_input(field, text, ctx),
            None => Ok(Datum::Null),
        }
    };
    Ok(row.input(text, &mut field_in)?.into_datum())
}

/// A composite type's field from its text form, by its type's input
/// function (through the catalog for enum and composite fields).
pub fn field_input(field: &super::record::RowField, text: &str, ctx: &mut dyn EvalContext) -> Result<Datum> {
    let ty = field.ty;
    match ty {
        PgType::Enum(oid) => ctx.enum_labels(oid)?.input(text),
        PgType::Composite(oid) => composite_in(oid, text, ctx),
        PgType::EnumArray(oid) => {
            let texts = PgType::array_of(PgType::Text).unwrap_or(PgType::Text);
            let items = cast_in_session(Datum::Text(text.to_string()), PgType::Text, texts, None, ctx)?;
            enum_cast(items, texts, ty, oid, ctx)
        }
        _ => cast_in_session(Datum::Text(text.to_string()), PgType::Text, ty, None, ctx),
    }
}

/// `regclassin`: a number is taken as an OID, `-` as OID 0; a name must
/// be a relation that exists (42P01 otherwise).
fn regclass_in(text: &str, ctx: &mut dyn EvalContext) -> Result<u32> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return super::types::parse_oid(t);
    }
    if t == "-" {
        return Ok(0);
    }
    ctx.relation_oid(t)?.ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{t}\" does not exist"))
}

/// A string stored into `char(n)` or `varchar(n)` (`to`): refused if too
/// long, unless the excess of a `char(n)` is all blanks (then cut).
fn assign_string(v: Datum, to: PgType, n: u32) -> Result<Datum> {
    let (Datum::Text(s) | Datum::Bpchar(s)) = &v else { return Ok(v) };
    if s.chars().count() <= n as usize {
        return Ok(v);
    }
    if to == PgType::Bpchar && s.chars().skip(n as usize).all(|c| c == ' ') {
        return Ok(Datum::Bpchar(bpchar_with_length(s, n as usize)));
    }
    let name = if to == PgType::Bpchar { "character" } else { "character varying" };
    Err(err!(SqlState::STRING_DATA_RIGHT_TRUNCATION, "value too long for type {name}({n})"))
}

/// An integer as an OID: int4 values below zero wrap, as in PostgreSQL.
fn oid_of_int(i: i64) -> Result<u32> {
    if i < i32::MIN as i64 || i > u32::MAX as i64 {
        return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "OID out of range"));
    }
    Ok(i as u32)
}

pub fn eval(expr: &Expr, ctx: &mut dyn EvalContext) -> Result<Datum> {
    crate::txn::wait::check_stack_depth()?;
    Ok(match expr {
        Expr::Const(d, _) => d.clone(),
        Expr::Param(i, _) => ctx.param(*i).clone(),
        Expr::Column(i, _) => ctx.column(*i).clone(),
        Expr::Domain(e, domain) => {
            let v = eval(e, ctx)?;
            domain.check(&v, ctx)?;
            v
        }
        Expr::Assign(e, to, typmod) => {
            let v = eval(e, ctx)?;
            let v = match (typmod, to.elem()) {
                // Each element of an array of strings is assigned as one.
                (Some(n), Some(elem)) if elem.is_string() => match v {
                    Datum::Array(mut a) => {
                        let items = std::mem::take(&mut a.items);
                        a.items = items.into_iter().map(|d| assign_string(d, elem, *n)).collect::<Result<_>>()?;
                        Datum::Array(a)
                    }
                    other => other,
                },
                (Some(n), None) if to.is_string() => assign_string(v, *to, *n)?,
                _ => v,
            };
            let string = to.elem().unwrap_or(*to).is_string();
            let typmod = if string && to.elem().unwrap_or(*to) != PgType::Bpchar { None } else { *typmod };
            cast_in_session(v, e.ty(), *to, typmod, ctx)?
        }
        Expr::Arith(op, a, b, ty) => {
            let (a, b) = (eval(a, ctx)?, eval(b, ctx)?);
            if a.is_null() || b.is_null() {
                return Ok(Datum::Null);
            }
            match datetime_arith(*op, &a, &b, *ty, ctx) {
                Some(r) => r?,
                None => arith(*op, &a, &b, *ty)?,
            }
        }
        Expr::Neg(e) => match eval(e, ctx)? {
            Datum::Null => Datum::Null,
            Datum::Int2(v) => Datum::Int2(v.checked_neg().ok_or_else(|| out_of_range(PgType::Int2))?),
            Datum::Int4(v) => Datum::Int4(v.checked_neg().ok_or_else(|| out_of_range(PgType::Int4))?),
            Datum::Int8(v) => Datum::Int8(v.checked_neg().ok_or_else(|| out_of_range(PgType::Int8))?),
            Datum::Float4(v) => Datum::Float4(-v),
            Datum::Float8(v) => Datum::Float8(-v),
            Datum::Interval(iv) => Datum::Interval(iv.checked_neg()?),
            Datum::Numeric(n) => Datum::Numeric(super::numeric::num(&n)?.negate().to_string()),
            other => return Err(Error::internal(format!("cannot negate {other:?}"))),
        },
        Expr::Cmp(op, a, b) => {
            let (a, b) = (eval(a, ctx)?, eval(b, ctx)?);
            match (a, b) {
                (Datum::Null, _) | (_, Datum::Null) => Datum::Null,
                (Datum::Record(x), Datum::Record(y)) => {
                    let need = if matches!(op, CmpOp::Eq | CmpOp::NotEq) { Need::Equality } else { Need::Order };
                    Datum::Bool(op.holds(super::record::compare(&x, &y, need)?))
                }
                (a, b) => Datum::Bool(op.holds(compare(&a, &b))),
            }
        }
        Expr::Distinct(a, b, not) => {
            let (a, b) = (eval(a, ctx)?, eval(b, ctx)?);
            let same = match (a, b) {
                (Datum::Null, Datum::Null) => true,
                (Datum::Null, _) | (_, Datum::Null) => false,
                (Datum::Record(x), Datum::Record(y)) => {
                    super::record::compare(&x, &y, Need::Equality)? == Ordering::Equal
                }
                (a, b) => compare(&a, &b) == Ordering::Equal,
            };
            Datum::Bool(same == *not)
        }
        Expr::Concat(a, b) => {
            let (a, b) = (eval(a, ctx)?, eval(b, ctx)?);
            if a.is_null() || b.is_null() {
                return Ok(Datum::Null);
            }
            let efd = ctx.extra_float_digits();
            let mut out = Vec::new();
            a.write_text(&mut out, efd);
            b.write_text(&mut out, efd);
            Datum::Text(String::from_utf8(out).map_err(|_| Error::internal("invalid UTF-8 in concatenation"))?)
        }
        Expr::And(a, b) => {
            let a = eval(a, ctx)?;
            if a == Datum::Bool(false) {
                return Ok(a);
            }
            match (a, eval(b, ctx)?) {
                (_, Datum::Bool(false)) => Datum::Bool(false),
                (Datum::Bool(true), Datum::Bool(true)) => Datum::Bool(true),
                _ => Datum::Null,
            }
        }
        Expr::Or(a, b) => {
            let a = eval(a, ctx)?;
            if a == Datum::Bool(true) {
                return Ok(a);
            }
            match (a, eval(b, ctx)?) {
                (_, Datum::Bool(true)) => Datum::Bool(true),
                (Datum::Bool(false), Datum::Bool(false)) => Datum::Bool(false),
                _ => Datum::Null,
            }
        }
        Expr::Not(e) => match eval(e, ctx)? {
            Datum::Bool(b) => Datum::Bool(!b),
            _ => Datum::Null,
        },
        Expr::IsNull(e, negated) => match eval(e, ctx)? {
            // A row is NULL when all its fields are, NOT NULL when none is.
            Datum::Record(r) => Datum::Bool(r.null_test(*negated)),
            v => Datum::Bool(v.is_null() != *negated),
        },
        Expr::IsBool(e, value, negated) => Datum::Bool((eval(e, ctx)? == Datum::Bool(*value)) != *negated),
        Expr::Case { whens, otherwise, .. } => {
            for (cond, then) in whens {
                if eval(cond, ctx)? == Datum::Bool(true) {
                    return eval(then, ctx);
                }
            }
            match otherwise {
                Some(e) => eval(e, ctx)?,
                None => Datum::Null,
            }
        }
        Expr::Cast(e, to, typmod) => {
            let v = eval(e, ctx)?;
            let from = e.ty();
            if (from == PgType::RegClass || *to == PgType::RegClass) && from != *to {
                return regclass_cast(v, from, *to, ctx);
            }
            if (RegKind::of(from).is_some() || RegKind::of(*to).is_some()) && from != *to {
                return reg_cast(v, from, *to, ctx);
            }
            if let (PgType::Enum(oid) | PgType::EnumArray(oid), false) = (*to, from == *to) {
                return enum_cast(v, from, *to, oid, ctx);
            }
            if from.is_row() && to.is_row() {
                // A composite value is a record, and a fitted row constructor
                // its composite type's value.
                return Ok(v);
            }
            if let (PgType::Composite(oid), false) = (*to, from == *to) {
                return composite_cast(v, from, oid, ctx);
            }
            cast_in_session(v, from, *to, *typmod, ctx)?
        }
        Expr::Call(func, args, _) => super::func::call(*func, args, ctx)?,
        Expr::Row(fields, _) => {
            let mut r =
                RecordValue { types: Vec::with_capacity(fields.len()), values: Vec::with_capacity(fields.len()) };
            for f in fields {
                r.types.push(f.ty());
                r.values.push(eval(f, ctx)?);
            }
            r.into_datum()
        }
        Expr::Outer(slot, _) => ctx.outer(*slot),
        Expr::Sub(s) => ctx.subquery(s)?,
        Expr::Like(a, p, negated, ci) => {
            let (a, p) = (eval(a, ctx)?, eval(p, ctx)?);
            match (a, p) {
                (Datum::Text(a) | Datum::Bpchar(a), Datum::Text(p)) => Datum::Bool(like(&a, &p, *ci)? != *negated),
                (Datum::Bytea(a), Datum::Bytea(p)) => Datum::Bool(like_bytes(&a, &p)? != *negated),
                _ => Datum::Null,
            }
        }
        Expr::AggRef(..) => return Err(Error::internal("aggregate reference outside an aggregate")),
        Expr::WinRef(..) => return Err(Error::internal("window function reference outside a window")),
        Expr::SrfRef(..) => return Err(Error::internal("set-returning function reference outside ProjectSet")),
    })
}

pub fn out_of_range(ty: PgType) -> Error {
    err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "{} out of range", ty.sql_name())
}

fn division_by_zero() -> Error {
    err!(SqlState::DIVISION_BY_ZERO, "division by zero")
}

/// Arithmetic with a date/time operand, by the operands' types (the
/// binder chose the operator): `None` when neither is a date/time value.
fn datetime_arith(op: ArithOp, a: &Datum, b: &Datum, ty: PgType, ctx: &dyn EvalContext) -> Option<Result<Datum>> {
    use Datum as D;
    let add = op == ArithOp::Add;
    let neg = |iv: &Interval| iv.checked_neg();
    let r = || -> Result<Datum> {
        Ok(match (op, a, b) {
            (ArithOp::Add | ArithOp::Sub, D::Date(d), n) if n.as_i64().is_some() => {
                let n = n.as_i64().unwrap_or(0);
                D::Date(datetime::date_add_days(*d, if add { n } else { -n })?)
            }
            (ArithOp::Add, n, D::Date(d)) if n.as_i64().is_some() => {
                D::Date(datetime::date_add_days(*d, n.as_i64().unwrap_or(0))?)
            }
            (ArithOp::Sub, D::Date(x), D::Date(y)) => {
                if !datetime::is_finite_date(*x) || !datetime::is_finite_date(*y) {
                    return Err(err!(SqlState::DATETIME_FIELD_OVERFLOW, "cannot subtract infinite dates"));
                }
                D::Int4(x.checked_sub(*y).ok_or_else(|| out_of_range(PgType::Int4))?)
            }
            (ArithOp::Add | ArithOp::Sub, D::Timestamp(t), D::Interval(iv)) => {
                let iv = if add { *iv } else { neg(iv)? };
                D::Timestamp(datetime::timestamp_add(*t, &iv)?)
            }
            (ArithOp::Add, D::Interval(iv), D::Timestamp(t)) => D::Timestamp(datetime::timestamp_add(*t, iv)?),
            (ArithOp::Add | ArithOp::Sub, D::TimestampTz(t), D::Interval(iv)) => {
                let iv = if add { *iv } else { neg(iv)? };
                D::TimestampTz(datetime::timestamptz_add(*t, &iv, &ctx.time_zone())?)
            }
            (ArithOp::Add, D::Interval(iv), D::TimestampTz(t)) => {
                D::TimestampTz(datetime::timestamptz_add(*t, iv, &ctx.time_zone())?)
            }
            (ArithOp::Add | ArithOp::Sub, D::Date(d), D::Interval(iv)) => {
                let iv = if add { *iv } else { neg(iv)? };
                D::Timestamp(datetime::timestamp_add(datetime::date_to_timestamp(*d)?, &iv)?)
            }
            (ArithOp::Add, D::Interval(iv), D::Date(d)) => {
                D::Timestamp(datetime::timestamp_add(datetime::date_to_timestamp(*d)?, iv)?)
            }
            (ArithOp::Add, D::Date(d), D::Time(t)) | (ArithOp::Add, D::Time(t), D::Date(d)) => {
                let ts = datetime::date_to_timestamp(*d)?;
                D::Timestamp(if datetime::is_finite_ts(ts) { ts + t } else { ts })
            }
            (ArithOp::Sub, D::Timestamp(x), D::Timestamp(y)) | (ArithOp::Sub, D::TimestampTz(x), D::TimestampTz(y)) => {
                D::Interval(datetime::timestamp_diff(*x, *y)?)
            }
            (ArithOp::Add | ArithOp::Sub, D::Time(t), D::Interval(iv)) => {
                let iv = if add { *iv } else { neg(iv)? };
                D::Time(datetime::time_add(*t, &iv))
            }
            (ArithOp::Add, D::Interval(iv), D::Time(t)) => D::Time(datetime::time_add(*t, iv)),
            (ArithOp::Add | ArithOp::Sub, D::TimeTz { micros, offset_secs }, D::Interval(iv)) => {
                let iv = if add { *iv } else { neg(iv)? };
                D::TimeTz { micros: datetime::timetz_add(*micros, &iv), offset_secs: *offset_secs }
            }
            (ArithOp::Add, D::Interval(iv), D::TimeTz { micros, offset_secs }) => {
                D::TimeTz { micros: datetime::timetz_add(*micros, iv), offset_secs: *offset_secs }
            }
            (ArithOp::Add, D::Date(d), D::TimeTz { micros, offset_secs })
            | (ArithOp::Add, D::TimeTz { micros, offset_secs }, D::Date(d)) => {
                D::TimestampTz(datetime::date_timetz(*d, *micros, *offset_secs)?)
            }
            (ArithOp::Sub, D::Time(x), D::Time(y)) => D::Interval(Interval { months: 0, days: 0, micros: x - y }),
            (ArithOp::Add, D::Interval(x), D::Interval(y)) => D::Interval(x.checked_add(y)?),
            (ArithOp::Sub, D::Interval(x), D::Interval(y)) => D::Interval(x.checked_add(&neg(y)?)?),
            (ArithOp::Mul, D::Interval(iv), f) | (ArithOp::Mul, f, D::Interval(iv)) => {
                D::Interval(iv.mul(f.as_f64().unwrap_or(f64::NAN))?)
            }
            (ArithOp::Div, D::Interval(iv), f) => {
                let f = f.as_f64().unwrap_or(f64::NAN);
                if f == 0.0 {
                    return Err(division_by_zero());
                }
                D::Interval(iv.mul(1.0 / f)?)
            }
            _ => return Err(Error::internal(format!("no date/time operator {} for {a:?} and {b:?}", op.symbol()))),
        })
    };
    let is_dt = |d: &Datum| {
        matches!(d, D::Date(_) | D::Time(_) | D::TimeTz { .. } | D::Timestamp(_) | D::TimestampTz(_) | D::Interval(_))
    };
    let _ = ty;
    (is_dt(a) || is_dt(b)).then(r)
}

/// Arithmetic on two non-null values already coerced to the operator's input types.
pub(super) fn arith(op: ArithOp, a: &Datum, b: &Datum, ty: PgType) -> Result<Datum> {
    if ty.is_integer() {
        let (x, y) = (a.as_i64().unwrap_or(0), b.as_i64().unwrap_or(0));
        let r = match op {
            ArithOp::Add => x.checked_add(y),
            ArithOp::Sub => x.checked_sub(y),
            ArithOp::Mul => x.checked_mul(y),
            ArithOp::Div if y == 0 => return Err(division_by_zero()),
            ArithOp::Div => x.checked_div(y),
            ArithOp::Mod if y == 0 => return Err(division_by_zero()),
            // PostgreSQL: INT_MIN % -1 is 0, not an overflow.
            ArithOp::Mod => Some(x.checked_rem(y).unwrap_or(0)),
        };
        return r.and_then(|v| int_datum(ty, v)).ok_or_else(|| out_of_range(ty));
    }
    if ty == PgType::Numeric {
        let num = |d: &Datum| match d {
            Datum::Numeric(s) => super::numeric::Num::parse(s),
            other => super::numeric::Num::parse(&other.to_text()),
        };
        let (x, y) = (num(a)?, num(b)?);
        let r = match op {
            ArithOp::Add => x.add(&y)?,
            ArithOp::Sub => x.sub(&y)?,
            ArithOp::Mul => x.mul(&y)?,
            ArithOp::Div => x.div(&y)?,
            ArithOp::Mod => x.rem(&y)?,
        };
        return Ok(Datum::Numeric(r.to_string()));
    }
    let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
    let r = match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div if y == 0.0 => return Err(division_by_zero()),
        ArithOp::Div => x / y,
        ArithOp::Mod => return Err(Error::internal("float modulo is not an operator")),
    };
    // Underflow: a product of non-zeros, or a quotient of a non-zero by a finite value, that is zero.
    let underflow = r == 0.0
        && match op {
            ArithOp::Mul => x != 0.0 && y != 0.0,
            ArithOp::Div => x != 0.0 && !y.is_infinite(),
            _ => false,
        };
    check_float(r, x.is_infinite() || y.is_infinite(), underflow, ty)
}

/// PostgreSQL's float_overflow_error / float_underflow_error checks.
fn check_float(r: f64, input_inf: bool, underflow: bool, ty: PgType) -> Result<Datum> {
    let overflow_err = || err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow");
    let underflow_err = || err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow");
    if ty == PgType::Float4 {
        let f = r as f32;
        if f.is_infinite() && !input_inf {
            return Err(overflow_err());
        }
        if (f == 0.0 && r != 0.0) || underflow {
            return Err(underflow_err());
        }
        return Ok(Datum::Float4(f));
    }
    if r.is_infinite() && !input_inf {
        return Err(overflow_err());
    }
    if underflow {
        return Err(underflow_err());
    }
    Ok(Datum::Float8(r))
}

/// Total order of two non-null values of comparable types (PostgreSQL's
/// btree order: NaN sorts above every other float; text in "C" collation).
pub fn compare(a: &Datum, b: &Datum) -> Ordering {
    match (a, b) {
        (Datum::Bool(x), Datum::Bool(y)) => x.cmp(y),
        (Datum::Text(x), Datum::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Datum::Bpchar(x), Datum::Bpchar(y)) => bpchar_trim(x).as_bytes().cmp(bpchar_trim(y).as_bytes()),
        (Datum::Date(x), Datum::Date(y)) => x.cmp(y),
        (Datum::Time(x), Datum::Time(y))
        | (Datum::Timestamp(x), Datum::Timestamp(y))
        | (Datum::TimestampTz(x), Datum::TimestampTz(y)) => x.cmp(y),
        (Datum::TimeTz { micros: x, offset_secs: xo }, Datum::TimeTz { micros: y, offset_secs: yo }) => {
            datetime::timetz_cmp((*x, *xo), (*y, *yo))
        }
        (Datum::Interval(x), Datum::Interval(y)) => x.span().cmp(&y.span()),
        (Datum::Bytea(x), Datum::Bytea(y)) => x.cmp(y),
        (Datum::Array(x), Datum::Array(y)) => super::array::compare(x, y),
        (Datum::Record(x), Datum::Record(y)) => super::record::sort_order(x, y),
        (Datum::Uuid(x), Datum::Uuid(y)) => x.cmp(y),
        (Datum::PgLsn(x), Datum::PgLsn(y)) | (Datum::Xid8(x), Datum::Xid8(y)) => x.cmp(y),
        (Datum::Tid(xb, xo), Datum::Tid(yb, yo)) => (xb, xo).cmp(&(yb, yo)),
        (Datum::Jsonb(x), Datum::Jsonb(y)) => super::json::compare(x, y),
        (Datum::Enum(x, _), Datum::Enum(y, _)) => x.total_cmp(y),
        (Datum::Numeric(x), Datum::Numeric(y)) => {
            match (super::numeric::Num::parse(x), super::numeric::Num::parse(y)) {
                (Ok(x), Ok(y)) => x.compare(&y),
                _ => x.cmp(y),
            }
        }
        _ => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => {
                let (x, y) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
                match (x.is_nan(), y.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                }
            }
        },
    }
}

/// Whether a cast from `from` to `to` exists, and whether it may be applied implicitly.
pub fn cast_exists(from: PgType, to: PgType) -> bool {
    use PgType::*;
    // A record converts only to text (through its output); nothing
    // converts to an anonymous one (`record_in` is not implemented). A
    // composite type reads from and prints to text, and is a record.
    if from.is_row() || to.is_row() {
        return from == to
            || (from.is_row() && to.is_string())
            || (from.is_string() && matches!(to, Composite(_)))
            || (matches!(from, Composite(_)) && to == Record);
    }
    from == to
        || from == Unknown
        || to.is_string()
        || from.is_string()
        || (from.is_numeric() && to.is_numeric())
        || matches!((from, to), (Int4, Bool) | (Bool, Int4))
        || (from.is_datetime() && to.is_datetime())
        || matches!((from, to), (Timestamp | TimestampTz, Time) | (Time, Interval) | (Interval, Time))
        || matches!((from, to), (Time | TimestampTz, TimeTz) | (TimeTz, Time))
        || ((from.is_oid() || from.is_integer()) && (to.is_oid() || to.is_integer()))
        || matches!((from.elem(), to.elem()), (Some(f), Some(t)) if cast_exists(f, t))
        || matches!((from, to), (Json, Jsonb) | (Jsonb, Json))
        || (from == Jsonb && (to.is_numeric() || to == Bool))
        || vector_to_array(from) == Some(to)
        || (from, to) == (Xid8, Xid)
}

/// The array type the catalog vector types cast to: `int2vector` to
/// `smallint[]`, `oidvector` to `oid[]`.
pub fn vector_to_array(from: PgType) -> Option<PgType> {
    match from {
        PgType::TextForm(22) => PgType::array_of(PgType::Int2),
        PgType::TextForm(30) => PgType::array_of(PgType::Oid),
        _ => None,
    }
}

/// Convert a value (of type `from`) to type `to`, as PostgreSQL's cast
/// functions do, with timestamptz in UTC (see [`cast_tz`]).
pub fn cast(v: Datum, from: PgType, to: PgType, typmod: Option<u32>, extra_float_digits: i32) -> Result<Datum> {
    cast_tz(v, from, to, typmod, extra_float_digits, &TimeZone::UTC)
}

/// A cast between date/time types, or `None` for other pairs.
fn datetime_cast(v: &Datum, to: PgType, typmod: Option<u32>, tz: &TimeZone) -> Option<Result<Datum>> {
    use Datum as D;
    let range = datetime::timestamp_out_of_range;
    let round = |t: i64| typmod.map_or(t, |p| datetime::round_timestamp(t, p));
    let round_time = |t: i64| typmod.map_or(t, |p| datetime::round_micros(t, p));
    let r = || -> Result<Datum> {
        Ok(match (v, to) {
            (D::Date(d), PgType::Timestamp) => D::Timestamp(datetime::date_to_timestamp(*d)?),
            (D::Date(d), PgType::TimestampTz) => {
                D::TimestampTz(tz.to_utc(datetime::date_to_timestamp(*d)?).ok_or_else(range)?)
            }
            (D::Timestamp(t), PgType::TimestampTz) => D::TimestampTz(round(tz.to_utc(*t).ok_or_else(range)?)),
            (D::TimestampTz(t), PgType::Timestamp) => D::Timestamp(round(tz.to_local(*t))),
            (D::Timestamp(t), PgType::Timestamp) => D::Timestamp(round(*t)),
            (D::TimestampTz(t), PgType::TimestampTz) => D::TimestampTz(round(*t)),
            (D::Timestamp(t), PgType::Date) => D::Date(datetime::timestamp_to_date(*t)?),
            (D::TimestampTz(t), PgType::Date) => D::Date(datetime::timestamp_to_date(tz.to_local(*t))?),
            (D::Timestamp(t), PgType::Time) if datetime::is_finite_ts(*t) => D::Time(datetime::time_of(*t)),
            (D::TimestampTz(t), PgType::Time) if datetime::is_finite_ts(*t) => {
                D::Time(datetime::time_of(tz.to_local(*t)))
            }
            (D::Timestamp(_) | D::TimestampTz(_), PgType::Time) => D::Null,
            (D::Time(t), PgType::Time) => D::Time(round_time(*t)),
            (D::Time(t), PgType::TimeTz) => {
                let (micros, offset_secs) = datetime::time_to_timetz(round_time(*t), tz);
                D::TimeTz { micros, offset_secs }
            }
            (D::TimeTz { micros, .. }, PgType::Time) => D::Time(round_time(*micros)),
            (D::TimeTz { micros, offset_secs }, PgType::TimeTz) => {
                D::TimeTz { micros: round_time(*micros), offset_secs: *offset_secs }
            }
            (D::TimestampTz(t), PgType::TimeTz) => match datetime::timestamptz_to_timetz(round(*t), tz) {
                Some((micros, offset_secs)) => D::TimeTz { micros, offset_secs },
                None => D::Null,
            },
            (D::Time(t), PgType::Interval) => D::Interval(Interval { months: 0, days: 0, micros: *t }),
            (D::Interval(iv), PgType::Time) => D::Time(iv.micros.rem_euclid(datetime::USECS_PER_DAY)),
            (D::Date(d), PgType::Date) => D::Date(*d),
            (D::Interval(iv), PgType::Interval) => D::Interval(datetime::adjust_interval(*iv, typmod)?),
            _ => return Err(Error::internal("not a date/time cast")),
        })
    };
    let is_dt =
        matches!(v, D::Date(_) | D::Time(_) | D::TimeTz { .. } | D::Timestamp(_) | D::TimestampTz(_) | D::Interval(_));
    let to_dt = to.is_datetime() || matches!(to, PgType::Time | PgType::TimeTz | PgType::Interval);
    (is_dt && to_dt).then(r)
}

/// [`cast`], with the session's time zone for timestamptz.
pub fn cast_tz(
    v: Datum,
    from: PgType,
    to: PgType,
    typmod: Option<u32>,
    extra_float_digits: i32,
    tz: &TimeZone,
) -> Result<Datum> {
    cast_styled(v, from, to, typmod, &TextStyle { extra_float_digits, time_zone: tz, bytea_output: ByteaOutput::Hex })
}

/// [`cast`] as the session's settings shape text output.
fn cast_in_session(v: Datum, from: PgType, to: PgType, typmod: Option<u32>, ctx: &dyn EvalContext) -> Result<Datum> {
    let tz = ctx.time_zone();
    let style =
        TextStyle { extra_float_digits: ctx.extra_float_digits(), time_zone: &tz, bytea_output: ctx.bytea_output() };
    cast_styled(v, from, to, typmod, &style)
}

/// [`cast`], with the text output of values shaped by `style`.
pub fn cast_styled(v: Datum, from: PgType, to: PgType, typmod: Option<u32>, style: &TextStyle<'_>) -> Result<Datum> {
    let tz = style.time_zone;
    if v.is_null() {
        return Ok(Datum::Null);
    }
    if from == to && typmod.is_none() {
        return Ok(v);
    }
    if let (PgType::Numeric, Some(t)) = (to, typmod) {
        // numeric(p,s): convert first, then round to the scale and check the precision.
        return Ok(match cast_styled(v, from, to, None, style)? {
            Datum::Numeric(s) => Datum::Numeric(super::numeric::apply_typmod(&s, t as i32)?),
            other => other,
        });
    }
    if let Some(r) = datetime_cast(&v, to, typmod, tz) {
        return r;
    }
    // An array to another array type: element by element.
    if let (Datum::Array(_), Some(from_elem), Some(to_elem)) = (&v, from.elem(), to.elem()) {
        let Datum::Array(mut a) = v else { return Ok(Datum::Null) };
        let items = std::mem::take(&mut a.items);
        a.items =
            items.into_iter().map(|d| cast_styled(d, from_elem, to_elem, typmod, style)).collect::<Result<_>>()?;
        a.elem = to_elem;
        return Ok(Datum::Array(a));
    }
    let out = match (&v, to) {
        // A vector's text form is its elements separated by spaces.
        (Datum::Text(text), _) if vector_to_array(from) == Some(to) => {
            let elem = to.elem().unwrap_or(PgType::Int2);
            let items =
                text.split_whitespace().map(|t| super::types::parse_text(elem, t)).collect::<Result<Vec<_>>>()?;
            // Vectors are subscripted from 0.
            Datum::Array(Box::new(super::array::ArrayValue { elem, lower: 0, items }))
        }
        (Datum::Text(name), _) if from == PgType::RegType && !to.is_string() => {
            let oid = Datum::Oid(super::types::regtype_in(name)?.oid());
            return cast_styled(oid, PgType::Oid, to, typmod, style);
        }
        // The modifier's fields say how the text reads (see
        // `datetime::parse_interval_typmod`).
        (Datum::Text(s) | Datum::Bpchar(s), PgType::Interval) if typmod.is_some() => {
            Datum::Interval(datetime::parse_interval_typmod(s, typmod)?)
        }
        (Datum::Text(s) | Datum::Bpchar(s), _) if !to.is_string() => {
            let d = parse_text_tz(to, s, tz)?;
            match (typmod, &d) {
                (Some(_), Datum::Timestamp(_) | Datum::TimestampTz(_) | Datum::Time(_) | Datum::TimeTz { .. }) => {
                    return datetime_cast(&d, to, typmod, tz).unwrap_or(Ok(d));
                }
                _ => d,
            }
        }
        (_, PgType::Bpchar) => {
            let text = match v {
                Datum::Text(s) | Datum::Bpchar(s) => s,
                Datum::Bool(b) => (if b { "true" } else { "false" }).to_string(),
                other => {
                    let mut out = Vec::new();
                    other.write_text_as(&mut out, style);
                    String::from_utf8(out).unwrap_or_default()
                }
            };
            Datum::Bpchar(match typmod {
                Some(n) => bpchar_with_length(&text, n as usize),
                None => text,
            })
        }
        (_, PgType::Name) => match cast_styled(v, from, PgType::Text, None, style)? {
            Datum::Text(s) => Datum::Text(super::types::name_truncated(&s).to_string()),
            other => other,
        },
        (_, PgType::Text | PgType::Varchar | PgType::Unknown) => {
            let mut text = match v {
                Datum::Text(s) => s,
                Datum::Bpchar(s) => bpchar_trim(&s).to_string(),
                Datum::Bool(b) => (if b { "true" } else { "false" }).to_string(),
                other => {
                    let mut out = Vec::new();
                    other.write_text_as(&mut out, style);
                    String::from_utf8(out).unwrap_or_default()
                }
            };
            if let (PgType::Varchar, Some(n)) = (to, typmod) {
                if let Some((i, _)) = text.char_indices().nth(n as usize) {
                    text.truncate(i);
                }
            }
            Datum::Text(text)
        }
        (Datum::Jsonb(j), _) => return super::json_fn::cast_jsonb(j, to, style),
        (Datum::Bool(b), PgType::Int4) => Datum::Int4(*b as i32),
        (_, PgType::Oid) if from.is_integer() => Datum::Oid(oid_of_int(v.as_i64().unwrap_or(0))?),
        // Only for `xid = int4` (`xideqint4`, see `Binder::bind_comparison_operands`),
        // which reads the integer as a transaction id, wrapping.
        (_, PgType::Xid) if from.is_integer() => Datum::Oid(v.as_i64().unwrap_or(0) as u32),
        // `xid(xid8)`: the low 32 bits, as PostgreSQL's xid is of its full id.
        (Datum::Xid8(x), PgType::Xid) => Datum::Oid(*x as u32),
        (_, PgType::RegType) if from == PgType::Oid || from.is_integer() => {
            let oid = oid_of_int(v.as_i64().unwrap_or(0))?;
            Datum::Text(PgType::from_oid(oid).map_or_else(|| oid.to_string(), |t| t.sql_name().to_string()))
        }

        (Datum::Numeric(n), PgType::Int2 | PgType::Int4 | PgType::Int8) => {
            let name = match to {
                PgType::Int2 => "smallint",
                PgType::Int4 => "integer",
                _ => "bigint",
            };
            let i = super::numeric::to_integer(n, name)?.ok_or_else(|| out_of_range(to))?;
            int_datum(to, i).ok_or_else(|| out_of_range(to))?
        }
        (Datum::Numeric(_), PgType::Numeric) => v,
        (Datum::Numeric(n), PgType::Float4 | PgType::Float8) => {
            let f = super::numeric::to_f64(n);
            let name = if to == PgType::Float4 { "real" } else { "double precision" };
            let out_of_range = || err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "\"{n}\" is out of range for type {name}");
            let special = matches!(n.as_str(), "NaN" | "Infinity" | "-Infinity");
            if to == PgType::Float4 {
                let r = f as f32;
                if !special && (r.is_infinite() || (r == 0.0 && super::numeric::sign(n)? != "0")) {
                    return Err(out_of_range());
                }
                Datum::Float4(r)
            } else {
                if !special && (f.is_infinite() || (f == 0.0 && super::numeric::sign(n)? != "0")) {
                    return Err(out_of_range());
                }
                Datum::Float8(f)
            }
        }
        (_, PgType::Numeric) => Datum::Numeric(match &v {
            Datum::Float4(f) => super::numeric::from_f64(*f as f64, 6)?,
            Datum::Float8(f) => super::numeric::from_f64(*f, 15)?,
            other => other.as_i64().map(|i| i.to_string()).unwrap_or_else(|| "NaN".into()),
        }),
        (Datum::Int4(i), PgType::Bool) => Datum::Bool(*i != 0),
        (_, PgType::Int2 | PgType::Int4 | PgType::Int8) => {
            let i = match v.as_i64() {
                Some(i) => i,
                None => {
                    // float to integer rounds half to even (rint), range-checked.
                    let f = v.as_f64().unwrap_or(f64::NAN).round_ties_even();
                    if !(-9.223372036854776e18..9.223372036854776e18).contains(&f) {
                        return Err(out_of_range(to));
                    }
                    f as i64
                }
            };
            int_datum(to, i).ok_or_else(|| out_of_range(to))?
        }
        (_, PgType::Float4) => {
            let f = v.as_f64().unwrap_or(0.0);
            let r = f as f32;
            if r.is_infinite() && !f.is_infinite() {
                return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow"));
            }
            if r == 0.0 && f != 0.0 {
                return Err(err!(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow"));
            }
            Datum::Float4(r)
        }
        (_, PgType::Float8) => Datum::Float8(v.as_f64().unwrap_or(0.0)),
        _ => {
            return Err(err!(SqlState::CANNOT_COERCE, "cannot cast type {} to {}", from.sql_name(), to.sql_name()));
        }
    };
    Ok(out)
}

/// SQL `LIKE` matching with `%`, `_` and the default escape `\\` (other
/// escapes are rewritten to it first: see [`like_escape`]).
pub fn like(text: &str, pattern: &str, case_insensitive: bool) -> Result<bool> {
    if case_insensitive {
        let (t, p): (Vec<char>, Vec<char>) =
            (text.to_lowercase().chars().collect(), pattern.to_lowercase().chars().collect());
        return like_units(&t, &p, ['%', '_', '\\']);
    }
    if text.is_ascii() && pattern.is_ascii() {
        return like_units(text.as_bytes(), pattern.as_bytes(), [b'%', b'_', b'\\']);
    }
    let (t, p): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
    like_units(&t, &p, ['%', '_', '\\'])
}

/// `bytea LIKE bytea`: the same matching, a byte at a time.
pub fn like_bytes(bytes: &[u8], pattern: &[u8]) -> Result<bool> {
    like_units(bytes, pattern, [b'%', b'_', b'\\'])
}

/// LIKE over units (characters or bytes); `special` is the any-string,
/// any-unit and escape units. One pass with one point to come back to:
/// on a mismatch, the last `%` takes one more unit (earlier ones need
/// not, as whatever they would take the last one can), so that the work
/// is bounded by the product of the lengths, whatever the pattern.
fn like_units<T: PartialEq + Copy>(t: &[T], p: &[T], [any, one, escape]: [T; 3]) -> Result<bool> {
    let (mut ti, mut pi) = (0, 0);
    // After the last `%` seen: where the pattern goes on, and where in the
    // text the `%`'s match ends.
    let mut retry: Option<(usize, usize)> = None;
    loop {
        if let Some(&c) = p.get(pi) {
            if c == any {
                pi += 1;
                retry = Some((pi, ti));
                continue;
            }
            if let Some(&u) = t.get(ti) {
                // As in PostgreSQL, a pattern's last escape is an error
                // only once the text before it has matched.
                if c == escape && pi + 1 == p.len() {
                    return Err(err!(
                        SqlState::INVALID_ESCAPE_SEQUENCE,
                        "LIKE pattern must not end with escape character"
                    ));
                }
                let (wanted, len) = if c == escape { (Some(p[pi + 1]), 2) } else { ((c != one).then_some(c), 1) };
                if wanted.is_none_or(|w| w == u) {
                    pi += len;
                    ti += 1;
                    continue;
                }
            }
        } else if ti == t.len() {
            return Ok(true);
        }
        match retry {
            Some((at, end)) if end < t.len() => {
                retry = Some((at, end + 1));
                (pi, ti) = (at, end + 1);
            }
            _ => return Ok(false),
        }
    }
}

fn invalid_escape_string() -> Error {
    err!(SqlState::INVALID_ESCAPE_SEQUENCE, "invalid escape string")
        .with_hint("Escape string must be empty or one character.")
}

/// The one character of an ESCAPE clause (`None`: empty, no escape).
fn escape_char(escape: &str) -> Result<Option<char>> {
    let mut chars = escape.chars();
    match (chars.next(), chars.next()) {
        (c, None) => Ok(c),
        _ => Err(invalid_escape_string()),
    }
}

/// `like_escape(pattern, escape)`: `pattern` with escape character
/// `escape` rewritten to use LIKE's default escape `\\` (what
/// `LIKE … ESCAPE` matches with). An empty `escape` means none.
pub fn like_escape(pattern: &str, escape: &str) -> Result<String> {
    let escape = escape_char(escape)?;
    if escape == Some('\\') {
        return Ok(pattern.to_string());
    }
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut escaped = false;
    for c in pattern.chars() {
        if Some(c) == escape && !escaped {
            out.push('\\');
            escaped = true;
            continue;
        }
        if c == '\\' && !escaped {
            out.push('\\');
        }
        out.push(c);
        escaped = false;
    }
    Ok(out)
}

/// `similar_to_escape(pattern [, escape])`: a SQL regular expression
/// (`SIMILAR TO`) as the POSIX one that matches the same whole strings:
/// `%` and `_` become `.*` and `.`, groups do not capture, an escaped
/// character and the POSIX specials SQL does not have (`.`, `$`, `^`,
/// `\\`) stand for themselves, bracket expressions are kept, and the two
/// escaped double quotes of `SUBSTRING … SIMILAR` split the pattern into
/// three parts, the first matching as little as it can. The default
/// escape is `\\`; an empty one means none.
pub fn similar_to_escape(pattern: &str, escape: Option<&str>) -> Result<String> {
    let escape = match escape {
        Some(e) => escape_char(e)?,
        None => Some('\\'),
    };
    let mut out = String::with_capacity(pattern.len() + 12);
    out.push_str("^(?:");
    let (mut escaped, mut quotes) = (false, 0);
    // Inside a bracket expression: how many characters of it were read
    // (a `]` first, or first after `^`, is one of its members).
    let mut class: Option<usize> = None;
    for c in pattern.chars() {
        if escaped {
            escaped = false;
            if c == '"' && class.is_none() {
                quotes += 1;
                out.push_str(match quotes {
                    1 => "){1,1}?(",
                    2 => "){1,1}(?:",
                    _ => {
                        return Err(err!(
                            SqlState::INVALID_USE_OF_ESCAPE_CHARACTER,
                            "SQL regular expression may not contain more than two escape-double-quote separators"
                        ));
                    }
                });
            } else {
                out.push('\\');
                out.push(c);
            }
            continue;
        }
        if Some(c) == escape {
            escaped = true;
            continue;
        }
        if let Some(read) = class {
            if c == ']' && read > 0 && !(read == 1 && out.ends_with("[^")) {
                class = None;
            } else {
                class = Some(read + 1);
            }
            if c == '\\' {
                out.push('\\');
            }
            out.push(c);
            continue;
        }
        match c {
            '[' => {
                class = Some(0);
                out.push('[');
            }
            '%' => out.push_str(".*"),
            '_' => out.push('.'),
            '(' => out.push_str("(?:"),
            '\\' | '.' | '$' | '^' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push_str(")$");
    Ok(out)
}
