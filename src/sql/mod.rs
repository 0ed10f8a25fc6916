//! The SQL engine: parse → bind and plan → execute.
//!
//! - [`parser`] turns text into `sqlparser` statements (errors become 42601
//!   with a cursor position);
//! - [`binder`] resolves names and types and builds a [`plan::Plan`] for
//!   queries and DML. Planning is rule-based for now: joins run in FROM
//!   order, each WHERE conjunct is placed at the lowest scan or join that has
//!   its columns, and equalities across a join's sides become hash-join keys.
//!   Cost-based join ordering from statistics is still to come;
//! - [`exec`] runs a plan as resumable operators exchanging Arrow batches
//!   ([`batch`]), producing rows a chunk at a time so that the protocol layer
//!   can stream them with back-pressure.
//!
//! Expressions ([`expr`]) are evaluated with PostgreSQL's semantics, with
//! vector kernels over whole batches where they exist (column references,
//! constants, integer arithmetic, comparisons, boolean logic) and the scalar
//! evaluator row by row otherwise; values and their wire formats live in
//! [`types`], exact decimal arithmetic in [`numeric`], dates, times, time
//! zones and intervals in [`datetime`].

pub mod array;
pub mod array_fn;
pub mod autoparam;
pub mod batch;
pub mod binder;
pub mod bytea;
pub mod coercion;
pub mod copy;
pub mod cost;
pub mod costsize;
pub mod database;
pub mod datetime;
pub mod db_role_setting;
pub mod domain;
pub mod enums;
pub mod exec;
pub mod explain;
pub mod expr;
pub mod func;
pub mod json;
pub mod json_fn;
pub mod keywords;
pub mod lsn;
pub mod mergejoin;
pub mod nestloop;
pub mod numeric;
pub mod parser;
pub mod plan;
pub mod plancache;
pub mod planner;
pub mod prune;
pub mod record;
pub mod reg_column;
pub mod regex;
pub mod regtypes;
pub mod role;
pub mod selfuncs;
pub mod sequence;
pub mod srf;
pub mod tid;
pub mod types;
pub mod uuid;
pub mod viewdef;
pub mod xid8;

use expr::Expr;
use types::PgType;

/// One output column of a statement.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub ty: PgType,
    pub typmod: i32,
}

impl Column {
    fn text(name: &str) -> Column {
        Column { name: name.to_string(), ty: PgType::Text, typmod: -1 }
    }
}

/// A bound statement, ready to execute.
#[derive(Clone, Debug)]
pub enum Statement {
    /// A query: its plan, result columns, and the tables it reads.
    Query {
        plan: std::sync::Arc<plan::Plan>,
        columns: Vec<Column>,
        tables: Vec<std::sync::Arc<crate::catalog::Table>>,
    },
    /// `CREATE TABLE [IF NOT EXISTS] name (columns…)`, with the indexes of
    /// its PRIMARY KEY and UNIQUE constraints.
    CreateTable {
        name: String,
        columns: Vec<crate::catalog::Column>,
        if_not_exists: bool,
        indexes: Vec<IndexDef>,
        foreign_keys: Vec<ForeignKeyDef>,
        fillfactor: u8,
        /// `CREATE UNLOGGED TABLE`.
        unlogged: bool,
        /// The sequences of its SERIAL and identity columns.
        sequences: Vec<ColumnSequence>,
        /// Its CHECK constraints, column constraints first.
        checks: Vec<CheckDef>,
        /// `ON COMMIT …` of a temporary table.
        on_commit: Option<OnCommit>,
    },
    /// `CREATE TABLE … AS query` or `SELECT … INTO table`.
    CreateTableAs(Box<CreateTableAs>),
    /// `CREATE SEQUENCE [IF NOT EXISTS] name options…`.
    CreateSequence {
        name: String,
        if_not_exists: bool,
        options: sequence::SeqOptions,
    },
    /// `ALTER SEQUENCE [IF EXISTS] name options…`.
    AlterSequence {
        name: String,
        if_exists: bool,
        options: sequence::SeqOptions,
    },
    /// `ALTER TABLE [IF EXISTS] t ALTER [COLUMN] c SET DEFAULT expr | DROP DEFAULT`:
    /// the default as SQL text (checked when bound), `None` to drop it.
    SetDefault {
        table: String,
        if_exists: bool,
        column: String,
        default: Option<String>,
    },
    /// `TRUNCATE [TABLE] names… [CASCADE]`: each table (and its indexes)
    /// gets a new, empty file when the transaction commits; with CASCADE,
    /// so do the tables whose foreign keys reference them.
    Truncate {
        names: Vec<String>,
        cascade: bool,
        /// `RESTART IDENTITY`: the sequences their columns own start again.
        restart_identity: bool,
    },
    /// `VACUUM` (remove row versions no snapshot can see, and their index
    /// entries) and/or `ANALYZE` (count pages and rows into `pg_class`), of
    /// the tables named or of all.
    Vacuum {
        vacuum: bool,
        analyze: bool,
        /// `VACUUM FULL`: rewrite each table compactly (and rebuild its indexes).
        full: bool,
        tables: Vec<String>,
    },
    /// `REINDEX [INDEX | TABLE] [CONCURRENTLY] name`: rebuild into new
    /// files (concurrently: into new indexes that replace the old ones).
    Reindex {
        table: bool,
        name: String,
        concurrently: bool,
    },
    /// `ALTER TABLE [IF EXISTS] t ADD [CONSTRAINT c] PRIMARY KEY | UNIQUE (…)
    /// | FOREIGN KEY (…) REFERENCES …`.
    AddConstraint {
        table: String,
        if_exists: bool,
        def: ConstraintDef,
    },
    /// `SET CONSTRAINTS { ALL | name [, …] } { DEFERRED | IMMEDIATE }`:
    /// `names` (each with its schema, if given) is `None` for ALL.
    SetConstraints {
        names: Option<Vec<(Option<String>, String)>>,
        deferred: bool,
    },
    /// `ALTER TABLE [IF EXISTS] t ALTER CONSTRAINT c [NOT] DEFERRABLE
    /// [INITIALLY …]`.
    AlterConstraint {
        table: String,
        if_exists: bool,
        name: String,
        deferral: crate::catalog::Deferral,
    },
    /// `ALTER TABLE [IF EXISTS] t DROP CONSTRAINT [IF EXISTS] c [CASCADE]`.
    DropConstraint {
        table: String,
        if_exists: bool,
        name: String,
        missing_ok: bool,
        cascade: bool,
    },
    /// `ALTER TABLE [IF EXISTS] t action, …`: columns added, dropped,
    /// renamed or made (not) NULL, the table renamed, constraints.
    AlterTable {
        table: String,
        if_exists: bool,
        actions: Vec<AlterAction>,
    },
    /// `ALTER INDEX|VIEW [IF EXISTS] name RENAME TO new_name`.
    RenameRelation {
        kind: DropKind,
        name: String,
        if_exists: bool,
        new_name: String,
    },
    /// `COMMENT ON {TABLE | VIEW | INDEX | SEQUENCE | COLUMN | SCHEMA |
    /// DATABASE} name IS 'text' | NULL`.
    Comment {
        on: CommentOn,
        /// The object's name (of a column: its relation's).
        name: String,
        column: Option<String>,
        text: Option<String>,
    },
    /// `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON table (columns…)`.
    CreateIndex {
        table: String,
        def: IndexDef,
        if_not_exists: bool,
        /// `CONCURRENTLY`: built while writers go on.
        concurrently: bool,
    },
    /// `DROP TABLE|INDEX|VIEW [IF EXISTS] names… [CASCADE]`.
    Drop {
        kind: DropKind,
        names: Vec<String>,
        if_exists: bool,
        /// Drop the views that depend on them too.
        cascade: bool,
        /// `DROP INDEX CONCURRENTLY`: without blocking writers.
        concurrently: bool,
    },
    /// `CREATE [OR REPLACE] VIEW name [(columns)] AS query`: the view's
    /// columns, its query as SQL text, and the relations the query names.
    CreateView {
        name: String,
        columns: Vec<crate::catalog::Column>,
        sql: String,
        reads: Vec<u32>,
        or_replace: bool,
    },
    /// INSERT, UPDATE or DELETE: the rows `source` produces are applied to
    /// `table` (see [`exec::ModifyKind`]); RETURNING expressions and columns.
    Modify {
        kind: exec::ModifyKind,
        table: std::sync::Arc<crate::catalog::Table>,
        source: std::sync::Arc<plan::Plan>,
        returning: Option<(Vec<Expr>, Vec<Column>)>,
    },
    /// `EXPLAIN [ANALYZE] statement`: the plan of a query or data-changing
    /// statement, as lines of text.
    Explain {
        inner: Box<Statement>,
        analyze: bool,
        /// ANALYZE with TIMING (on by default).
        timing: bool,
        /// ANALYZE with SUMMARY (the execution time; on by default).
        summary: bool,
        /// COSTS: each node's estimated cost, rows and width (on by default).
        costs: bool,
        /// VERBOSE: each node's output columns, relations with their schema.
        verbose: bool,
    },
    /// `SET [LOCAL] name = value` (`None`: DEFAULT) and `RESET name`.
    /// `SET name = value`, `SET name TO DEFAULT` (no value) or
    /// `RESET name` (no value, `reset`: only the command tag differs).
    Set {
        name: String,
        value: Option<String>,
        local: bool,
        reset: bool,
    },
    ResetAll,
    Show {
        name: String,
    },
    ShowAll,
    /// `CHECKPOINT`: force a checkpoint now.
    Checkpoint,
    /// `CREATE`, `DROP` or `ALTER DATABASE`.
    Database(database::DatabaseStmt),
    /// `BEGIN` / `START TRANSACTION` with its modes.
    Begin {
        isolation: Option<String>,
        read_only: Option<bool>,
        start: bool,
        deferrable: Option<bool>,
    },
    /// `SET TRANSACTION …` inside a block.
    SetTransaction {
        isolation: Option<String>,
        read_only: Option<bool>,
        deferrable: Option<bool>,
    },
    Commit,
    Rollback,
    Savepoint(String),
    Release(String),
    RollbackTo(String),
    /// `COPY … FROM|TO …`.
    Copy(Box<copy::CopyStmt>),
    /// `CREATE`, `DROP` or `ALTER SCHEMA`.
    Schema(SchemaStmt),
    Type(TypeStmt),
    /// `CREATE`, `ALTER` or `DROP DOMAIN`.
    Domain(domain::DomainStmt),
    /// `LOCK [TABLE] name, … [IN mode MODE] [NOWAIT]`.
    Lock {
        names: Vec<String>,
        mode: crate::txn::lock::LockMode,
        nowait: bool,
    },
    /// `PREPARE name [(types)] AS statement`: the statement, bound now.
    Prepare {
        name: String,
        statement: std::sync::Arc<PreparedStatement>,
    },
    /// `EXECUTE name [(args)]`: the prepared statement (as bound when this
    /// statement was), with the argument expressions coerced to its
    /// parameter types.
    Execute {
        statement: std::sync::Arc<PreparedStatement>,
        args: Vec<expr::Expr>,
    },
    /// `DEALLOCATE [PREPARE] name | ALL` (`None`: all).
    Deallocate {
        name: Option<String>,
    },
    /// `DISCARD ALL | PLANS | SEQUENCES | TEMP`.
    Discard(Discard),
    /// `CREATE | ALTER | DROP ROLE`, `GRANT | REVOKE` of roles, `SET ROLE`, …
    Role(role::RoleStmt),
}

/// `CREATE TABLE … AS query [WITH [NO] DATA]` or `SELECT … INTO table`:
/// the table to create, with the columns the query yields, and the query
/// whose rows fill it (projected to exactly those columns).
#[derive(Clone, Debug)]
pub struct CreateTableAs {
    pub name: String,
    pub columns: Vec<crate::catalog::Column>,
    pub if_not_exists: bool,
    pub fillfactor: u8,
    pub unlogged: bool,
    pub plan: std::sync::Arc<plan::Plan>,
    /// The tables (and views) the query reads, for revalidation.
    pub tables: Vec<std::sync::Arc<crate::catalog::Table>>,
    /// `WITH DATA` (the default) rather than `WITH NO DATA`.
    pub with_data: bool,
    /// Written as `SELECT … INTO`.
    pub select_into: bool,
    /// `ON COMMIT …` of a temporary table.
    pub on_commit: Option<OnCommit>,
}

/// What becomes of a temporary table when a transaction commits
/// (`ON COMMIT PRESERVE ROWS` is the default and needs nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnCommit {
    PreserveRows,
    DeleteRows,
    Drop,
}

/// A statement about enum types (schema-qualified names: `(schema, name)`).
#[derive(Clone, Debug)]
pub enum TypeStmt {
    /// `CREATE TYPE name AS ENUM (labels…)`.
    CreateEnum { schema: Option<String>, name: String, labels: Vec<String> },
    /// `ALTER TYPE name ADD VALUE [IF NOT EXISTS] label [BEFORE | AFTER neighbour]`
    /// (`position`: whether BEFORE, and the neighbour).
    AddValue {
        schema: Option<String>,
        name: String,
        label: String,
        if_not_exists: bool,
        position: Option<(bool, String)>,
    },
    /// `ALTER TYPE name RENAME VALUE from TO to`.
    RenameValue { schema: Option<String>, name: String, from: String, to: String },
    /// `ALTER TYPE name RENAME TO new_name`.
    Rename { schema: Option<String>, name: String, new_name: String },
    /// `DROP TYPE [IF EXISTS] names… [CASCADE | RESTRICT]`.
    Drop { names: Vec<(Option<String>, String)>, if_exists: bool, cascade: bool },
}

/// A statement about schemas.
#[derive(Clone, Debug)]
pub enum SchemaStmt {
    /// `CREATE SCHEMA [IF NOT EXISTS] [name] [AUTHORIZATION role]` (no
    /// name: the role's).
    Create { name: Option<String>, if_not_exists: bool, owner: Option<String> },
    /// `DROP SCHEMA [IF EXISTS] names… [CASCADE | RESTRICT]`.
    Drop { names: Vec<String>, if_exists: bool, cascade: bool },
    /// `ALTER SCHEMA name RENAME TO new_name`.
    Rename { name: String, new_name: String },
    /// `ALTER SCHEMA name OWNER TO role`.
    Owner { name: String, owner: String },
    /// `ALTER {TABLE | VIEW | SEQUENCE} [IF EXISTS] name SET SCHEMA schema`
    /// (`kind`: which ALTER; `name` a relation name string).
    SetSchema { kind: DropKind, if_exists: bool, name: String, schema: String },
}

impl Statement {
    /// Whether it answers with rows (a RowDescription, even of no columns).
    pub fn returns_rows(&self) -> bool {
        match self {
            Statement::Query { .. } => true,
            Statement::Execute { statement, .. } => statement.returns_rows(),
            other => !other.columns().is_empty(),
        }
    }

    pub fn columns(&self) -> Vec<Column> {
        match self {
            Statement::Query { columns, .. } => columns.clone(),
            Statement::Modify { returning, .. } => returning.as_ref().map_or(Vec::new(), |(_, c)| c.clone()),
            Statement::Show { name } => vec![Column::text(&name.to_ascii_lowercase())],
            Statement::ShowAll => vec![Column::text("name"), Column::text("setting"), Column::text("description")],
            Statement::Explain { .. } => vec![Column::text("QUERY PLAN")],
            Statement::Execute { statement, .. } => statement.columns().to_vec(),
            Statement::Prepare { .. } | Statement::Deallocate { .. } | Statement::Discard(_) => Vec::new(),
            Statement::Set { .. }
            | Statement::ResetAll
            | Statement::Checkpoint
            | Statement::Database(_)
            | Statement::Domain(_)
            | Statement::Begin { .. }
            | Statement::SetTransaction { .. }
            | Statement::Commit
            | Statement::Rollback
            | Statement::Savepoint(_)
            | Statement::Release(_)
            | Statement::RollbackTo(_)
            | Statement::CreateTable { .. }
            | Statement::CreateTableAs(_)
            | Statement::CreateSequence { .. }
            | Statement::AlterSequence { .. }
            | Statement::SetDefault { .. }
            | Statement::CreateIndex { .. }
            | Statement::Truncate { .. }
            | Statement::AddConstraint { .. }
            | Statement::DropConstraint { .. }
            | Statement::SetConstraints { .. }
            | Statement::AlterConstraint { .. }
            | Statement::AlterTable { .. }
            | Statement::RenameRelation { .. }
            | Statement::Comment { .. }
            | Statement::Drop { .. }
            | Statement::CreateView { .. }
            | Statement::Vacuum { .. }
            | Statement::Reindex { .. }
            | Statement::Lock { .. }
            | Statement::Schema(_)
            | Statement::Type(_)
            | Statement::Role(_)
            | Statement::Copy(_) => Vec::new(),
        }
    }

    /// The command name for metrics and the CommandComplete tag.
    pub fn command(&self) -> &'static str {
        match self {
            Statement::Query { .. } => "SELECT",
            Statement::Modify { kind: exec::ModifyKind::Insert | exec::ModifyKind::Upsert(_), .. } => "INSERT",
            Statement::Modify { kind: exec::ModifyKind::Update(_), .. } => "UPDATE",
            Statement::Modify { kind: exec::ModifyKind::Delete(_), .. } => "DELETE",
            Statement::Modify { kind: exec::ModifyKind::Lock { .. }, .. } => "SELECT",
            Statement::Set { reset: true, .. } | Statement::ResetAll => "RESET",
            Statement::Set { .. } => "SET",
            Statement::Show { .. } | Statement::ShowAll => "SHOW",
            Statement::Checkpoint => "CHECKPOINT",
            Statement::Database(database::DatabaseStmt::Create { .. }) => "CREATE DATABASE",
            Statement::Database(database::DatabaseStmt::Drop { .. }) => "DROP DATABASE",
            Statement::Database(database::DatabaseStmt::Alter { .. }) => "ALTER DATABASE",
            Statement::Explain { .. } => "EXPLAIN",
            Statement::CreateTable { .. } => "CREATE TABLE",
            // With rows to write, the tag counts them (`SELECT n`).
            Statement::CreateTableAs(c) if c.with_data || c.select_into => "SELECT",
            Statement::CreateTableAs(_) => "CREATE TABLE AS",
            Statement::CreateSequence { .. } => "CREATE SEQUENCE",
            Statement::AlterSequence { .. } => "ALTER SEQUENCE",
            Statement::SetDefault { .. } => "ALTER TABLE",
            Statement::CreateIndex { .. } => "CREATE INDEX",
            Statement::Truncate { .. } => "TRUNCATE TABLE",
            Statement::Vacuum { vacuum: true, .. } => "VACUUM",
            Statement::Vacuum { vacuum: false, .. } => "ANALYZE",
            Statement::Reindex { .. } => "REINDEX",
            Statement::AddConstraint { .. }
            | Statement::DropConstraint { .. }
            | Statement::AlterConstraint { .. }
            | Statement::AlterTable { .. } => "ALTER TABLE",
            Statement::SetConstraints { .. } => "SET CONSTRAINTS",
            Statement::Comment { .. } => "COMMENT",
            Statement::RenameRelation { kind: DropKind::Index, .. } => "ALTER INDEX",
            Statement::RenameRelation { kind: DropKind::View, .. } => "ALTER VIEW",
            Statement::RenameRelation { kind: DropKind::Table, .. } => "ALTER TABLE",
            Statement::RenameRelation { kind: DropKind::Sequence, .. } => "ALTER SEQUENCE",
            Statement::Drop { kind: DropKind::Table, .. } => "DROP TABLE",
            Statement::Drop { kind: DropKind::Index, .. } => "DROP INDEX",
            Statement::Drop { kind: DropKind::View, .. } => "DROP VIEW",
            Statement::Drop { kind: DropKind::Sequence, .. } => "DROP SEQUENCE",
            Statement::CreateView { .. } => "CREATE VIEW",
            Statement::Begin { start: false, .. } => "BEGIN",
            Statement::Begin { start: true, .. } => "START TRANSACTION",
            Statement::SetTransaction { .. } => "SET",
            Statement::Commit => "COMMIT",
            Statement::Rollback | Statement::RollbackTo(_) => "ROLLBACK",
            Statement::Savepoint(_) => "SAVEPOINT",
            Statement::Release(_) => "RELEASE",
            Statement::Copy(_) => "COPY",
            Statement::Lock { .. } => "LOCK TABLE",
            Statement::Schema(SchemaStmt::Create { .. }) => "CREATE SCHEMA",
            Statement::Schema(SchemaStmt::Drop { .. }) => "DROP SCHEMA",
            Statement::Schema(SchemaStmt::SetSchema { kind: DropKind::View, .. }) => "ALTER VIEW",
            Statement::Schema(SchemaStmt::SetSchema { kind: DropKind::Sequence, .. }) => "ALTER SEQUENCE",
            Statement::Schema(SchemaStmt::SetSchema { .. }) => "ALTER TABLE",
            Statement::Schema(_) => "ALTER SCHEMA",
            Statement::Prepare { .. } => "PREPARE",
            Statement::Execute { statement, .. } => {
                statement.bound.as_ref().map_or("EXECUTE", |b| b.statement.command())
            }
            Statement::Deallocate { name: Some(_) } => "DEALLOCATE",
            Statement::Deallocate { name: None } => "DEALLOCATE ALL",
            Statement::Discard(Discard::All) => "DISCARD ALL",
            Statement::Discard(Discard::Plans) => "DISCARD PLANS",
            Statement::Discard(Discard::Sequences) => "DISCARD SEQUENCES",
            Statement::Discard(Discard::Temp) => "DISCARD TEMP",
            Statement::Domain(d) => d.command(),
            Statement::Type(TypeStmt::CreateEnum { .. }) => "CREATE TYPE",
            Statement::Type(TypeStmt::Drop { .. }) => "DROP TYPE",
            Statement::Type(_) => "ALTER TYPE",
            Statement::Role(stmt) => stmt.command(),
        }
    }
}

/// An index to create: its name (chosen when the statement runs if not
/// given), its columns by name with their sort order, and its kind.
#[derive(Clone, Debug)]
pub struct IndexDef {
    pub name: Option<String>,
    pub columns: Vec<(String, crate::catalog::keycode::KeyOrder)>,
    pub unique: bool,
    pub primary: bool,
    /// It implements a PRIMARY KEY or UNIQUE constraint (rather than
    /// being made by CREATE INDEX).
    pub constraint: bool,
    /// A partial index's predicate, as the catalog stores it (see
    /// [`binder::predicate_text`]).
    pub predicate: Option<String>,
    /// The key parts that are expressions, as the catalog stores them
    /// (empty: none); such a part's entry in `columns` holds the same text.
    pub exprs: Vec<Option<String>>,
    /// INCLUDE columns, by name.
    pub include: Vec<String>,
    /// A PRIMARY KEY or UNIQUE constraint's `[NOT] DEFERRABLE [INITIALLY …]`.
    pub deferral: crate::catalog::Deferral,
}

impl IndexDef {
    /// The index of a PRIMARY KEY or UNIQUE constraint over `columns`.
    pub fn constraint(name: Option<String>, columns: Vec<String>, primary: bool) -> IndexDef {
        let columns = columns.into_iter().map(|c| (c, crate::catalog::keycode::KeyOrder::ASC)).collect();
        IndexDef {
            name,
            columns,
            unique: true,
            primary,
            constraint: true,
            predicate: None,
            exprs: Vec::new(),
            include: Vec::new(),
            deferral: Default::default(),
        }
    }

    /// With `[NOT] DEFERRABLE [INITIALLY …]`.
    pub fn deferred(self, deferral: crate::catalog::Deferral) -> IndexDef {
        IndexDef { deferral, ..self }
    }
}

/// A FOREIGN KEY constraint to create: the referencing columns by name,
/// the referenced table and columns (none: its primary key), the actions.
#[derive(Clone, Debug)]
pub struct ForeignKeyDef {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
    pub on_update: crate::catalog::FkAction,
    pub on_delete: crate::catalog::FkAction,
    pub deferral: crate::catalog::Deferral,
}

/// A constraint added by ALTER TABLE.
#[derive(Clone, Debug)]
pub enum ConstraintDef {
    /// PRIMARY KEY or UNIQUE: an index.
    Key(IndexDef),
    ForeignKey(ForeignKeyDef),
    Check(CheckDef),
}

/// A CHECK constraint to create: its expression as SQL text (bound over
/// the table's columns when the statement runs).
#[derive(Clone, Debug)]
pub struct CheckDef {
    pub name: Option<String>,
    pub expr: String,
    /// A column constraint's column (it names the constraint by default).
    pub column: Option<String>,
    /// `NOT VALID`: the rows there are are not checked.
    pub not_valid: bool,
    pub no_inherit: bool,
}

/// One action of an ALTER TABLE statement, run in order.
#[derive(Clone, Debug)]
pub enum AlterAction {
    AddColumn {
        column: crate::catalog::Column,
        if_not_exists: bool,
        /// A SERIAL or identity column's new sequence.
        sequence: Option<ColumnSequence>,
    },
    DropColumn {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    RenameColumn {
        from: String,
        to: String,
    },
    RenameTo(String),
    /// `OWNER TO role` (`current_user` and friends as key words).
    OwnerTo(String),
    SetNotNull(String),
    DropNotNull(String),
    /// `ALTER COLUMN c SET STATISTICS n`: the column's statistics target (-1: the default).
    SetStatistics {
        column: String,
        target: i64,
    },
    AddConstraint(ConstraintDef),
    DropConstraint {
        name: String,
        missing_ok: bool,
        cascade: bool,
    },
    /// `VALIDATE CONSTRAINT name`.
    ValidateConstraint(String),
    /// `ALTER COLUMN c DROP IDENTITY [IF EXISTS]`: the column's identity
    /// and its sequence go.
    DropIdentity {
        column: String,
        missing_ok: bool,
    },
    /// `ALTER COLUMN c ADD GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY
    /// [(options)]`: the column (NOT NULL, without a default) gets a new
    /// sequence and becomes an identity column of kind `generated`.
    AddIdentity {
        column: String,
        generated: u8,
        options: sequence::SeqOptions,
    },
    /// `ALTER COLUMN c SET GENERATED … | SET option | RESTART …`: the
    /// identity's new kind (`a`lways or by `d`efault), if given, and the
    /// changes to its sequence.
    SetIdentity {
        column: String,
        generated: Option<u8>,
        options: sequence::SeqOptions,
    },
    /// `RENAME CONSTRAINT from TO to`.
    RenameConstraint {
        from: String,
        to: String,
    },
    /// ALTER COLUMN `name` [SET DATA] TYPE `ty` [USING `using`] (the
    /// expression as SQL text, bound over the table's columns when run).
    AlterColumnType {
        name: String,
        ty: crate::sql::types::PgType,
        typmod: i32,
        using: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentOn {
    /// A relation of the kind given (a table, view, index or sequence).
    Relation(DropKind),
    Column,
    Schema,
    Database,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropKind {
    Table,
    Index,
    View,
    Sequence,
}

impl DropKind {
    pub fn keyword(self) -> &'static str {
        match self {
            DropKind::Table => "TABLE",
            DropKind::Index => "INDEX",
            DropKind::View => "VIEW",
            DropKind::Sequence => "SEQUENCE",
        }
    }
}

/// The sequence a SERIAL or identity column of a new table gets.
#[derive(Clone, Debug)]
pub struct ColumnSequence {
    pub column: String,
    /// `attidentity` (`a` or `d`), 0 for SERIAL.
    pub identity: u8,
    pub options: sequence::SeqOptions,
}

/// What `DISCARD` forgets of the session's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discard {
    /// Everything below, settings, prepared statements, portals and
    /// session-level advisory locks.
    All,
    /// Plans: prepared statements are bound again when next run.
    Plans,
    /// `currval`/`lastval` state.
    Sequences,
    /// Temporary tables.
    Temp,
}

/// A parsed and bound statement (`PREPARE`d or from a Parse message).
#[derive(Debug)]
pub struct PreparedStatement {
    pub sql: String,
    /// `None` for an empty query string.
    pub bound: Option<std::sync::Arc<Bound>>,
    /// Made by SQL `PREPARE` (not a protocol Parse message).
    pub from_sql: bool,
    /// When it was prepared (a timestamptz value).
    pub prepared_at: i64,
    /// How often it ran with a generic and with a custom plan.
    pub plans: plancache::PlanStats,
    /// A `PREPARE`'s statement, to bind again if a table it names changes
    /// (other statements are parsed again from `sql`).
    pub inner: Option<std::sync::Arc<sqlparser::ast::Statement>>,
}

impl PreparedStatement {
    /// A statement prepared by a Parse message (or cached for a simple query) at `now`.
    pub fn new(sql: &str, bound: Option<std::sync::Arc<Bound>>, now: i64) -> PreparedStatement {
        PreparedStatement {
            sql: sql.to_string(),
            bound,
            from_sql: false,
            prepared_at: now,
            plans: Default::default(),
            inner: None,
        }
    }

    pub fn param_types(&self) -> &[PgType] {
        self.bound.as_ref().map_or(&[], |b| &b.params)
    }

    pub fn columns(&self) -> &[Column] {
        self.bound.as_ref().map_or(&[], |b| &b.columns)
    }

    /// Whether it returns rows (a RowDescription, even of no columns: a
    /// query of a table whose columns were all dropped).
    pub fn returns_rows(&self) -> bool {
        self.bound.as_ref().is_some_and(|b| !b.columns.is_empty() || b.statement.returns_rows())
    }
}

/// A statement with its parameter types and result columns resolved.
#[derive(Clone, Debug)]
pub struct Bound {
    pub statement: Statement,
    pub params: Vec<PgType>,
    pub columns: Vec<Column>,
    /// The privileges it needs on relations, checked each time it starts
    /// (a plan outlives a REVOKE or a SET ROLE).
    pub access: Vec<Access>,
    /// A query or data-changing statement with parameters as bound,
    /// before access paths were chosen: what its custom plans are
    /// planned from (see [`plancache`]).
    pub unplanned: Option<std::sync::Arc<Statement>>,
}

/// A privilege a statement needs on a relation (or USAGE on the schema a
/// qualified name looks in), as PostgreSQL's range table entries carry
/// `requiredPerms` and `checkAsUser`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub object: crate::catalog::privileges::PrivObject,
    /// The privilege letters ([`crate::catalog::acl`]) it needs, each.
    pub privileges: Vec<char>,
    /// A relation read through a view is checked against the view's
    /// owner (this view's OID), not the current user.
    pub as_owner_of: Option<u32>,
}
