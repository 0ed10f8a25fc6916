//! The system catalog: `pg_namespace`, `pg_class`, `pg_attribute`,
//! `pg_type`, `pg_index`, `pg_database`, `pg_am`, `pg_rewrite`,
//! `pg_depend`, `pg_attrdef`, `pg_sequence` and `pg_collation` are heap relations in
//! tusk's own storage with PostgreSQL 15's names, OIDs and columns
//! ([`system`] declares them; [`bootstrap`] fills them on a new cluster).
//! They describe themselves, so SQL reads them as it reads any table: the
//! binder finds `pg_class` or `pg_catalog.pg_class` through the same
//! lookup as a user table, and scans see them through the caller's
//! snapshot. Writing to them with DML is refused (42501); DDL is their
//! only writer.
//!
//! DDL is transactional because it is ordinary writes to them; a lookup
//! reads them through the caller's snapshot, so a table is visible exactly
//! when its creating transaction is. The engine keeps a narrower
//! description of a table for itself ([`Table`]), cached by name.
//!
//! Every user relation lives in database `postgres` (OID 5), in the schema
//! (`pg_namespace` row) it was created in; names are found through the
//! reader's search path ([`namespace`]).
//!
//! Indexes are `pg_class` rows of kind `i` with a `pg_index` row each
//! ([`index`]); their keys are byte-comparable ([`keycode`]). Views are
//! rows of kind `v` with a `pg_rewrite` rule holding their query ([`view`]).
//! Sequences are rows of kind `S` with a `pg_sequence` row and a page of
//! state ([`sequence`]); column defaults are `pg_attrdef` rows ([`default`]).

mod absent;
pub mod acl;
mod alter;
pub mod analyze;
mod bootstrap;
pub mod cast;
pub mod comment;
mod concurrently;
mod constraint;
pub mod database;
pub mod db_role_setting;
mod default;
pub mod describe;
pub mod domains;
pub mod enums;
mod foreign;
mod freeze;
mod index;
pub mod keycode;
mod language;
pub mod namespace;
pub mod opclass;
pub mod privileges;
pub mod proc;
pub mod regtypes;
pub mod roles;
mod rowtype;
pub mod sequence;
mod serial;
pub mod stats;
pub mod system;
mod temp;
mod text_search;
pub mod view;

use std::sync::Arc;

use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::types::{Datum, PgType};
use crate::storage::engine::Engine;
use crate::storage::heap::toast::{self, ToastPointer, ToastRelation, Toaster};
use crate::storage::heap::tuple::{Attr, Header, Stored, TupleDesc, deform, deform_each_from, deform_stored, form};
use crate::storage::heap::{Heap, Tid};
use crate::storage::smgr::{Fork, RelFileLocator};
use crate::txn::{RowCheck, RowLock, Snapshot, TransactionManager};

/// The database `postgres` (made at initdb as a copy of `template1`).
pub const POSTGRES_DB: u32 = 5;
/// The database `template1`, whose catalogs bootstrap fills.
pub const TEMPLATE1_DB: u32 = 1;
/// The database `template0` (a copy of `template1` that refuses connections).
pub const TEMPLATE0_DB: u32 = 4;
/// The "database" the shared catalogs' files live in (`pg_database`,
/// `pg_authid`, …: one copy for the whole cluster).
pub const SHARED_DB: u32 = 0;
pub use system::{
    INFORMATION_SCHEMA_NAMESPACE, PG_CATALOG_NAMESPACE, PG_TOAST_NAMESPACE, PUBLIC_NAMESPACE, fixed_namespace,
};
use system::{PG_ATTRIBUTE, PG_CLASS, PG_INDEX, SystemCatalog};

/// A scan stops adding rows to a batch once their values reach this many
/// bytes (Arrow's string arrays hold at most 2 GiB, a value up to 1 GiB).
pub const BATCH_BYTES: usize = 256 << 20;

/// The first OID of objects created after bootstrap (PostgreSQL's
/// `FirstNormalObjectId`): relations below it are system catalogs.
pub const FIRST_NORMAL_OID: u32 = 16384;

pub use crate::storage::btree::IndexEntry;
pub use alter::dropped_column_name;
pub use constraint::{CheckConstraint, Deferral, FkAction, ForeignKey, check_violation, failing_row};
pub use default::nextval_text;
pub use index::{EXPR_KEY, Index, IndexRange, KeyCheck, Predicate, Speculation, index_column_names, unique_violation};

/// A column of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: PgType,
    pub typmod: i32,
    pub not_null: bool,
    /// The default expression as SQL text (`pg_get_expr` of its
    /// `pg_attrdef` row); for an identity column, the `nextval` of its
    /// sequence (which PostgreSQL keeps out of `pg_attrdef`).
    pub default: Option<String>,
    /// `attidentity`: 0, or `a` (GENERATED ALWAYS) or `d` (BY DEFAULT).
    pub identity: u8,
    /// Dropped by ALTER TABLE … DROP COLUMN (`attisdropped`): its values
    /// stay in the tuples written before, but no statement sees it.
    pub dropped: bool,
    /// What the tuples written before the column was added hold for it
    /// (`attmissingval`, stored bytes), when it was added with a default.
    pub missing: Option<Vec<u8>>,
    /// `attstattarget`: the column's own statistics target (-1: `default_statistics_target`).
    pub stat_target: i32,
    /// The domain the column is of (`ty` and `typmod` are its base
    /// type's): what a value written to the column must satisfy.
    pub domain: Option<Arc<domains::Domain>>,
}

impl Column {
    /// A live column of a type, with no default.
    pub fn new(name: impl Into<String>, ty: PgType, typmod: i32, not_null: bool) -> Column {
        Column {
            name: name.into(),
            ty,
            typmod,
            not_null,
            default: None,
            identity: 0,
            dropped: false,
            missing: None,
            stat_target: -1,
            domain: None,
        }
    }
}

/// Pages VACUUM skips only in runs at least this long (PostgreSQL's
/// `SKIP_PAGES_THRESHOLD`): reading ahead through a short run costs less
/// than breaking the sequential read.
pub const SKIP_FROZEN_RUN: u32 = 32;

/// Whether a stored row is one to count.
pub type RowTest<'a> = dyn Fn(&[u8]) -> Result<bool> + 'a;

/// What a VACUUM of one table did: versions removed, pages read, and rows
/// counted on them.
pub struct Vacuumed {
    pub removed: u64,
    pub scanned: u32,
    pub live: u64,
}

/// A table as the catalog describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub oid: u32,
    pub name: String,
    /// `pg_namespace` OID: `public`, or `pg_catalog` for a system catalog.
    pub namespace: u32,
    pub rel: RelFileLocator,
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    /// How full inserts make a page, in percent (`WITH (fillfactor = n)`).
    pub fillfactor: u8,
    /// CREATE UNLOGGED TABLE: no WAL, emptied after a crash. A temporary
    /// table is unlogged too.
    pub unlogged: bool,
    /// A temporary table (`relpersistence 't'`, in a `pg_temp_N` schema).
    pub temp: bool,
    /// The FOREIGN KEY constraints it holds, in creation order.
    pub foreign_keys: Vec<ForeignKey>,
    /// The FOREIGN KEY constraints (of any table, itself included) that
    /// reference it.
    pub referenced_by: Vec<ForeignKey>,
    /// Its CHECK constraints, in name order (the order they are checked
    /// in, as PostgreSQL checks them).
    pub checks: Vec<CheckConstraint>,
    /// Where its values too large for a page go, if it has variable-length
    /// columns (`pg_toast.pg_toast_<oid>`).
    pub toast: Option<ToastRelation>,
    /// A view's query, as SQL text (`None` for a table). A view has no
    /// file; its query is expanded wherever it is named ([`view`]).
    pub view: Option<String>,
    /// `pg_class.relpages` and `reltuples` when it was looked up: the
    /// planner's row estimates start from them.
    pub counted: (i32, f32),
    /// `pg_class.relallvisible`: the pages the visibility map said were
    /// all-visible when VACUUM or ANALYZE counted (index-only scan costs).
    pub allvisible: i32,
    /// What ANALYZE found per column (`pg_statistic`), if it ran.
    pub stats: Vec<Option<analyze::ColumnStats>>,
    /// A sequence (`relkind 'S'`): its columns are `last_value`,
    /// `log_cnt` and `is_called`, read from its page ([`sequence`]).
    pub sequence: bool,
}

impl Table {
    /// How its tuples are laid out.
    pub fn desc(&self) -> TupleDesc {
        let attrs = self.columns.iter().map(|c| c.ty.storage()).map(|(len, align)| Attr { len, align }).collect();
        let mut desc = TupleDesc::new(attrs);
        if self.columns.iter().any(|c| c.missing.is_some()) {
            desc.missing = self.columns.iter().map(|c| c.missing.clone()).collect();
        }
        desc
    }

    /// The positions of the columns that have not been dropped, in order
    /// (what `*` and a column list left out stand for).
    pub fn live_columns(&self) -> Vec<usize> {
        (0..self.columns.len()).filter(|&i| !self.columns[i].dropped).collect()
    }

    /// The position of the live column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| !c.dropped && c.name == name)
    }
}

/// One attribute value of a tuple being rewritten (`None`: NULL).
type Attribute = Option<Vec<u8>>;

/// The name of table `oid`'s TOAST relation, and of its index.
fn toast_names(oid: u32) -> (String, String) {
    (format!("pg_toast_{oid}"), format!("pg_toast_{oid}_index"))
}

fn u32_of(v: Option<&[u8]>) -> u32 {
    v.and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0)
}
fn i32_of(v: Option<&[u8]>) -> i32 {
    v.and_then(|b| b.try_into().ok()).map(i32::from_le_bytes).unwrap_or(0)
}
fn i16_of(v: Option<&[u8]>) -> i16 {
    v.and_then(|b| b.try_into().ok()).map(i16::from_le_bytes).unwrap_or(0)
}
fn text_of(v: Option<&[u8]>) -> String {
    v.map(|b| String::from_utf8_lossy(b).to_string()).unwrap_or_default()
}

/// The parts of a dotted SQL name, each folded to lower case unless quoted.
fn identifier_parts(text: &str) -> Result<Vec<String>> {
    let invalid = || err!(SqlState::INVALID_NAME, "invalid name syntax");
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(invalid()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return Err(invalid());
        }
        parts.push(part);
        match chars.next() {
            None => return Ok(parts),
            Some('.') => {}
            Some(_) => return Err(invalid()),
        }
    }
}

/// The numbers of a stored `int2[]` or `oid[]` (`elem`).
fn numbers_of_array(v: Option<&[u8]>, elem: PgType) -> Vec<i64> {
    let Some(bytes) = v else { return Vec::new() };
    match crate::sql::array::ArrayValue::from_storage(elem, bytes) {
        Ok(a) => a.items.iter().filter_map(Datum::as_i64).collect(),
        Err(_) => Vec::new(),
    }
}

/// A stored `text[]` in its text form (`{fillfactor=50}`).
fn text_of_array(v: Option<&[u8]>) -> Option<String> {
    let elem = PgType::Text;
    crate::sql::array::ArrayValue::from_storage(elem, v?).ok().map(|a| a.into_datum().to_text())
}

/// The numbers of an `int2vector` in its text form (`1 2`).
fn int2_vector(v: Option<&[u8]>) -> Vec<i16> {
    text_of(v).split_ascii_whitespace().filter_map(|n| n.parse().ok()).collect()
}

/// A catalog's tuple layout (pg_index's with tusk's extra attribute).
fn catalog_desc(catalog: &SystemCatalog) -> TupleDesc {
    if catalog.oid == PG_INDEX.oid { system::index_desc() } else { catalog.desc() }
}

/// The error for changing a system catalog's rows or structure directly.
pub fn system_catalog_error(name: &str) -> Error {
    err!(SqlState::INSUFFICIENT_PRIVILEGE, "permission denied: \"{name}\" is a system catalog")
}

/// What became of an attempt to update or delete a row version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowChange {
    /// Changed; the new version's address (an update) or the row's (a delete).
    Done(Tid),
    /// Updated by a heap-only version (no index entries: see
    /// [`crate::storage::heap::hot`]); its address.
    DoneHot(Tid),
    /// This transaction already changed it: skipped, as PostgreSQL does.
    SelfModified,
    /// A transaction still running changed it: wait for it, then try again.
    Wait(u64),
    /// A committed transaction changed it: `newer` is the next version if
    /// it was updated, `None` if it was deleted.
    Modified { newer: Option<Tid> },
}

/// See [`Catalog::version_seen`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionSeen {
    /// Inserted by the reader's transaction.
    pub own: bool,
    /// Inserted by the reader's own command (the statement running).
    pub this_command: bool,
    /// Visible to the reader's snapshot.
    pub visible: bool,
}

/// See [`Catalog::newest_version`].
#[derive(Clone, Debug, PartialEq)]
pub enum NewestVersion {
    At(Tid, Vec<Datum>),
    Gone,
    Wait(u64),
}

/// What a relation name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelKind {
    Table,
    Index,
    View,
    Sequence,
}

impl RelKind {
    /// The noun PostgreSQL's messages use for it.
    pub fn noun(self) -> &'static str {
        match self {
            RelKind::Table => "table",
            RelKind::Index => "index",
            RelKind::View => "view",
            RelKind::Sequence => "sequence",
        }
    }
}

/// What [`Catalog::relation_size`] measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeOf {
    /// One fork of the relation (`pg_relation_size`).
    Fork(Fork),
    /// All forks of the relation (`pg_table_size`).
    Table,
    /// All of a table's indexes (`pg_indexes_size`).
    Indexes,
    /// Both (`pg_total_relation_size`).
    Total,
}

/// A `pg_class` row.
#[derive(Clone, Debug)]
pub struct Relation {
    pub oid: u32,
    pub namespace: u32,
    pub kind: RelKind,
    pub relfilenode: u32,
    pub tid: Tid,
    pub options: Option<String>,
    /// `relpersistence` is `u` or `t`: its pages are not WAL-logged.
    pub unlogged: bool,
    /// `relpersistence` is `t`.
    pub temp: bool,
    /// `reltoastrelid` (0: none).
    pub toast: u32,
    /// `relpages` and `reltuples` as the last VACUUM or ANALYZE counted
    /// them (`reltuples` -1: never counted).
    pub counted: (i32, f32),
    /// `relallvisible`.
    pub allvisible: i32,
}

impl Relation {
    /// The value of storage parameter `name`, if set.
    pub fn option(&self, name: &str) -> Option<&str> {
        let list = self.options.as_deref()?.trim_start_matches('{').trim_end_matches('}');
        list.split(',').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    }
}

/// Who is looking: the snapshot, and the transaction and command (whose own
/// uncommitted catalog rows it sees).
pub struct Reader<'a> {
    /// The schemas an unqualified name is looked up in, in order (the
    /// session's resolved `search_path`, `pg_catalog` included where it is
    /// searched); `None`: `pg_catalog`, then `public`.
    pub path: Option<&'a [u32]>,
    pub snapshot: &'a Snapshot,
    pub xid: u64,
    pub cid: u32,
}

/// Bumped by every [`Catalog::invalidate`] of any database: what is cached
/// from the catalogs all databases share (roles, databases) is read again.
static CLUSTER_VERSION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Page changes made to system catalogs, committed or not, by anyone in
/// this process (see [`catalog_writes`]).
static CATALOG_WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A count that moves whenever any system catalog's page changes: a
/// description a transaction read of its own uncommitted catalog state is
/// still right while this stays the same (and the transaction's commands
/// see every change counted in it).
pub fn catalog_writes() -> u64 {
    CATALOG_WRITES.load(std::sync::atomic::Ordering::Acquire)
}

/// See [`CLUSTER_VERSION`].
pub fn cluster_version() -> u64 {
    CLUSTER_VERSION.load(std::sync::atomic::Ordering::Acquire)
}

pub struct Catalog {
    /// The database this catalog describes: its relations' files are
    /// `base/<db>/…` (the shared catalogs' are in [`SHARED_DB`]).
    db: u32,
    engine: Arc<Engine>,
    txns: Arc<TransactionManager>,
    /// Tables as committed, by name, each with the catalog version it was
    /// read at (see [`Catalog::cached`]).
    cache: dashmap::DashMap<String, (u64, Arc<Table>), crate::storage::hash::FastBuild>,
    /// The descriptors in use, by table OID: a table read again (under
    /// another name key, or after an unrelated change bumped the version)
    /// that is as it was gets the same descriptor, so that a plan's check
    /// of its tables is a pointer comparison.
    in_use: dashmap::DashMap<u32, std::sync::Weak<Table>>,
    /// Bumped after every commit that changed the catalog.
    version: std::sync::atomic::AtomicU64,
    /// Activity counters per table (for autovacuum).
    pub stats: stats::Stats,
    /// The oldest ids each table vacuumed since refers to, until stored in
    /// its `pg_class` row (see [`freeze`]).
    frozen: dashmap::DashMap<u32, crate::txn::rowlock::Frozen>,
    /// When the catalog was opened, at server start (`pg_postmaster_start_time()`).
    pub started_at: i64,
    /// The index builds on each table that may hold pruners off, each
    /// with its transaction and that transaction's top-level one (see
    /// [`Catalog::build_pending`]).
    index_builds: dashmap::DashMap<u32, Vec<(u64, u64)>>,
    /// How many index builds have started, on any table (a pruner frees
    /// nothing if one started since it looked at the table's indexes).
    build_starts: std::sync::atomic::AtomicU64,
    /// Bumped whenever a sequence restarts or its parameters change: the
    /// values sessions hold in their sequence caches are dropped then (see
    /// [`Catalog::sequence_resets`]).
    sequence_resets: std::sync::atomic::AtomicU64,
    /// Roles, and the privilege holder of each role name that logged in,
    /// as last committed, with the [`cluster_version`] they were read at
    /// (see [`Catalog::committed_roles`]).
    committed_roles: parking_lot::Mutex<Option<(u64, Arc<Vec<roles::Role>>)>>,
    holders: dashmap::DashMap<String, (u64, Arc<privileges::Holder>)>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Catalog")
    }
}

/// Decode a tuple's values from attribute `first` on (starting at `off`
/// in its data) into column builders, detoasting them; the number of bytes
/// of the values.
fn push_values_from(
    toaster: &Toaster<'_>,
    desc: &TupleDesc,
    t: &[u8],
    first: usize,
    off: usize,
    builders: &mut [crate::sql::batch::ColumnBuilder],
) -> Result<usize> {
    let mut bytes = 0;
    let mut error = None;
    deform_each_from(desc, t, first, off, |i, v| {
        let Some(b) = builders.get_mut(i) else { return };
        // A column nothing reads is neither detoasted nor counted.
        let v = if b.is_skip() { None } else { v };
        let pushed = match v {
            None => {
                b.push_null();
                Ok(())
            }
            Some(Stored::Plain(v)) => {
                bytes += v.len();
                b.push_storage(v)
            }
            Some(v) => toaster.detoast(v).and_then(|v| {
                bytes += v.len();
                b.push_storage(&v)
            }),
        };
        if let Err(e) = pushed {
            error.get_or_insert(e);
        }
    });
    match error {
        Some(e) => Err(e),
        None => Ok(bytes),
    }
}

/// How a scan decodes a run of tuples without NULLs a column at a time:
/// the fixed-length attributes before the first of variable length sit at
/// the same place in every such tuple, so each of those columns is copied
/// straight from its offset; the attributes from the first of variable
/// length on are decoded tuple by tuple.
struct RunLayout {
    /// Where attributes start in a tuple's data, up to the first of
    /// variable length (see `fixed_offsets`).
    offsets: Vec<usize>,
    /// How many attributes have a fixed length and place.
    fixed: usize,
}

impl RunLayout {
    fn new(desc: &TupleDesc) -> RunLayout {
        let offsets = crate::storage::heap::tuple::fixed_offsets(desc);
        let fixed = desc.attrs.iter().take_while(|a| a.len >= 0).count();
        RunLayout { offsets, fixed }
    }

    /// Whether a tuple may join a run: every attribute present, none NULL.
    fn fits(&self, h: &Header<'_>, natts: usize) -> bool {
        h.infomask() & crate::storage::heap::tuple::HASNULL == 0 && h.natts() as usize == natts
    }

    /// Decode a run's tuples into the builders; the bytes of their values.
    fn push_run(
        &self,
        toaster: &Toaster<'_>,
        desc: &TupleDesc,
        run: &[&[u8]],
        builders: &mut [crate::sql::batch::ColumnBuilder],
    ) -> Result<usize> {
        if run.is_empty() {
            return Ok(0);
        }
        let data: Vec<&[u8]> = run.iter().map(|t| &t[Header(t).hoff().min(t.len())..]).collect();
        let mut bytes = 0;
        for (j, b) in builders.iter_mut().enumerate().take(self.fixed) {
            let len = desc.attrs[j].len as usize;
            b.push_fixed_run(&data, self.offsets[j], len)?;
            if !b.is_skip() {
                bytes += len * run.len();
            }
        }
        if let Some(&off) = self.offsets.get(self.fixed) {
            for t in run {
                bytes += push_values_from(toaster, desc, t, self.fixed, off, builders)?;
            }
        }
        Ok(bytes)
    }
}

/// What a sequential scan needs to decode a table's tuples, made once per
/// scan rather than per block.
pub struct BlockDecoder {
    desc: TupleDesc,
    layout: RunLayout,
}

impl BlockDecoder {
    pub fn new(table: &Table) -> BlockDecoder {
        let desc = table.desc();
        let layout = RunLayout::new(&desc);
        BlockDecoder { desc, layout }
    }
}

impl Catalog {
    /// The catalog of database `template1` over the engine's storage;
    /// creates the catalog relations' files (the shared ones included) and
    /// fills them on a new cluster.
    pub fn open(engine: Arc<Engine>, txns: Arc<TransactionManager>) -> Result<Catalog> {
        let catalog = Catalog::of_database(engine, txns, TEMPLATE1_DB);
        for c in system::ALL {
            catalog.engine.smgr.create(catalog.catalog_rel(c), crate::storage::smgr::Fork::Main)?;
        }
        catalog.bootstrap_if_new()?;
        Ok(catalog)
    }

    /// The catalog of database `db`, whose files exist (copied from its
    /// template by CREATE DATABASE, or by initdb).
    pub fn of_database(engine: Arc<Engine>, txns: Arc<TransactionManager>, db: u32) -> Catalog {
        Catalog {
            db,
            engine,
            txns,
            cache: dashmap::DashMap::default(),
            in_use: dashmap::DashMap::new(),
            version: std::sync::atomic::AtomicU64::new(0),
            stats: stats::Stats::default(),
            frozen: dashmap::DashMap::new(),
            started_at: crate::sql::datetime::now(),
            index_builds: dashmap::DashMap::new(),
            build_starts: std::sync::atomic::AtomicU64::new(0),
            sequence_resets: std::sync::atomic::AtomicU64::new(0),
            committed_roles: parking_lot::Mutex::new(None),
            holders: dashmap::DashMap::new(),
        }
    }

    /// The OID of the database this catalog describes.
    /// The transaction manager (lock views read its state).
    pub fn txns(&self) -> &TransactionManager {
        &self.txns
    }

    /// The checkpointer's and the buffer pool's counters (`pg_stat_bgwriter`).
    pub fn storage_stats(&self) -> (&crate::storage::engine::CheckpointStats, &crate::storage::buffer::BufferStats) {
        (&self.engine.checkpoints, &self.engine.pool.stats)
    }

    pub fn database(&self) -> u32 {
        self.db
    }

    /// The file of relation file node `relfilenode` of this database (a
    /// shared catalog's is the cluster's one).
    fn file(&self, relfilenode: u32) -> RelFileLocator {
        let db = if system::is_shared(relfilenode) { SHARED_DB } else { self.db };
        RelFileLocator { db, relfilenode }
    }

    /// A system catalog's file.
    fn catalog_rel(&self, catalog: &SystemCatalog) -> RelFileLocator {
        self.file(catalog.oid)
    }

    /// After crash recovery, every UNLOGGED table and index is made empty:
    /// their pages were never logged, so whatever reached disk before the
    /// crash may be torn or out of step with each other. (PostgreSQL copies
    /// an empty init fork over them instead; the outcome is the same.)
    pub fn reset_unlogged(&self) -> Result<()> {
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 };
        let desc = PG_CLASS.desc();
        let mut relations = Vec::new();
        self.scan(&PG_CLASS, &who, |_, t| {
            let v = deform(&desc, t);
            if v[system::CLASS_RELPERSISTENCE] == Some(b"u") {
                let rel = self.file(u32_of(v[system::CLASS_RELFILENODE]));
                relations.push((rel, v[system::CLASS_RELKIND] == Some(b"i")));
            }
        })?;
        for (rel, index) in relations {
            self.reset_relation(rel, index)?;
            tracing::info!(relfilenode = rel.relfilenode, "reset unlogged relation after crash recovery");
        }
        Ok(())
    }

    fn heap(&self, rel: RelFileLocator) -> Heap<'_> {
        let heap = Heap::new(&self.engine.pool, &self.engine.wal, rel);
        // A system catalog's file is named by its OID.
        if rel.relfilenode < FIRST_NORMAL_OID { heap.counting(&CATALOG_WRITES) } else { heap }
    }

    /// A table's heap, with its fillfactor and persistence.
    fn table_heap(&self, table: &Table) -> Heap<'_> {
        self.heap(table.rel).with_fillfactor(table.fillfactor).unlogged(table.unlogged)
    }

    /// Visit every tuple of a catalog visible to `who`.
    fn scan(&self, catalog: &SystemCatalog, who: &Reader<'_>, mut f: impl FnMut(Tid, &[u8])) -> Result<()> {
        let heap = self.heap(self.catalog_rel(catalog));
        let mut error = None;
        for block in 0..heap.nblocks()? {
            heap.scan_block(block, |tid, t| {
                if error.is_some() {
                    return;
                }
                match self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid) {
                    Ok(true) => f(tid, t),
                    Ok(false) => {}
                    Err(e) => error = Some(e),
                }
            })?;
        }
        error.map_or(Ok(()), Err)
    }

    /// The relation a relation name string denotes (a table, view,
    /// sequence or index), if one is visible: a qualified name in its
    /// schema, an unqualified one in the first schema of the reader's
    /// search path that holds one ([`namespace`]). TOAST relations are not
    /// found unqualified: `pg_toast` is never on the search path.
    pub fn relation(&self, name: &str, who: &Reader<'_>) -> Result<Option<Relation>> {
        let (path, name) = self.resolve_relation_name(name, who)?;
        self.relation_on_path(&path, &name, who)
    }

    /// The relation with bare name `name` in the first schema of `path`
    /// that holds one.
    fn relation_on_path(&self, path: &[u32], name: &str, who: &Reader<'_>) -> Result<Option<Relation>> {
        let found = self.find_relations(who, |v| {
            v[system::CLASS_RELNAME] == Some(name.as_bytes()) && path.contains(&u32_of(v[system::CLASS_RELNAMESPACE]))
        })?;
        Ok(found.into_iter().min_by_key(|r| path.iter().position(|&n| n == r.namespace)))
    }

    /// The relation named `name` in schema `namespace`, if one is visible.
    pub fn relation_in(&self, namespace: u32, name: &str, who: &Reader<'_>) -> Result<Option<Relation>> {
        self.find_relation(who, |v| {
            v[system::CLASS_RELNAME] == Some(name.as_bytes()) && u32_of(v[system::CLASS_RELNAMESPACE]) == namespace
        })
    }

    /// The OID of the relation a SQL name denotes (`t`, `"T"`,
    /// `pg_catalog.pg_class`), if one is visible: `regclass` input.
    pub fn relation_oid(&self, sql_name: &str, who: &Reader<'_>) -> Result<Option<u32>> {
        let parts = identifier_parts(sql_name)?;
        let (schema, name) = match parts.as_slice() {
            [name] => (None, name),
            [schema, name] => (Some(schema.as_str()), name),
            _ => {
                return Err(err!(SqlState::INVALID_NAME, "improper relation name (too many dotted names): {sql_name}"));
            }
        };
        let rel = match schema {
            None => self.relation_on_path(who.path.unwrap_or(&namespace::DEFAULT_PATH), name, who)?,
            Some(s) => self.relation_in(self.lookup_namespace(s, who)?, name, who)?,
        };
        Ok(rel.map(|r| r.oid))
    }

    /// The relation whose OID is `oid`, if one is visible.
    pub fn relation_by_oid(&self, oid: u32, who: &Reader<'_>) -> Result<Option<(String, Relation)>> {
        let mut name = String::new();
        let found = self.find_relation(who, |v| {
            let hit = u32_of(v[system::CLASS_OID]) == oid;
            if hit {
                name = text_of(v[system::CLASS_RELNAME]);
            }
            hit
        })?;
        Ok(found.map(|r| (name, r)))
    }

    /// The control file as it is now.
    pub fn control(&self) -> crate::storage::control::ControlFile {
        self.engine.control()
    }

    /// The write-ahead log (for the functions that report its positions).
    pub fn wal(&self) -> &crate::storage::wal::Wal {
        &self.engine.wal
    }

    /// The disk space of relation `oid` in bytes (`pg_relation_size` and
    /// friends), `None` if there is no such relation.
    pub fn relation_size(&self, oid: u32, what: SizeOf, who: &Reader<'_>) -> Result<Option<i64>> {
        let Some((_, rel)) = self.relation_by_oid(oid, who)? else { return Ok(None) };
        let smgr = self.engine.pool.smgr();
        let bytes = |relfilenode: u32, fork: Fork| -> Result<i64> {
            let locator = self.file(relfilenode);
            let blocks = if smgr.exists(locator, fork) { smgr.nblocks(locator, fork)? } else { 0 };
            Ok(blocks as i64 * crate::storage::page::PAGE_SIZE as i64)
        };
        let all_forks = |relfilenode: u32| -> Result<i64> {
            Fork::ALL.iter().try_fold(0, |sum, &f| Ok(sum + bytes(relfilenode, f)?))
        };
        let indexes = || -> Result<i64> {
            let list = if rel.kind == RelKind::Table { self.indexes_of(oid, false, None, who)? } else { Vec::new() };
            list.iter().try_fold(0, |sum, i| Ok(sum + all_forks(i.rel.relfilenode)?))
        };
        Ok(Some(match what {
            SizeOf::Fork(fork) => bytes(rel.relfilenode, fork)?,
            SizeOf::Table => all_forks(rel.relfilenode)?,
            SizeOf::Indexes => indexes()?,
            SizeOf::Total => all_forks(rel.relfilenode)? + indexes()?,
        }))
    }

    /// `pg_database_size` of the current database: the bytes of every fork
    /// of every relation `pg_class` lists (catalogs included).
    pub fn database_size(&self, who: &Reader<'_>) -> Result<i64> {
        let desc = PG_CLASS.desc();
        let mut files = Vec::new();
        self.scan(&PG_CLASS, who, |_, t| {
            let v = deform(&desc, t);
            if v[system::CLASS_RELKIND] != Some(b"v") {
                files.push(u32_of(v[system::CLASS_RELFILENODE]));
            }
        })?;
        let smgr = self.engine.pool.smgr();
        let mut total = 0i64;
        for relfilenode in files {
            let locator = self.file(relfilenode);
            for &fork in Fork::ALL.iter() {
                if smgr.exists(locator, fork) {
                    total += smgr.nblocks(locator, fork)? as i64 * crate::storage::page::PAGE_SIZE as i64;
                }
            }
        }
        Ok(total)
    }

    /// The first visible `pg_class` row that `wanted` accepts.
    fn find_relation(
        &self,
        who: &Reader<'_>,
        mut wanted: impl FnMut(&[Option<&[u8]>]) -> bool,
    ) -> Result<Option<Relation>> {
        let mut first = true;
        let found = self.find_relations(who, |v| {
            let hit = first && wanted(v);
            first &= !hit;
            hit
        })?;
        Ok(found.into_iter().next())
    }

    /// Every visible `pg_class` row that `wanted` accepts.
    fn find_relations(
        &self,
        who: &Reader<'_>,
        mut wanted: impl FnMut(&[Option<&[u8]>]) -> bool,
    ) -> Result<Vec<Relation>> {
        let cdesc = PG_CLASS.desc();
        let mut found = Vec::new();
        self.scan(&PG_CLASS, who, |tid, t| {
            let v = deform(&cdesc, t);
            if wanted(&v) {
                let kind = match v[system::CLASS_RELKIND] {
                    Some(b"i") => RelKind::Index,
                    Some(b"v") => RelKind::View,
                    Some(b"S") => RelKind::Sequence,
                    _ => RelKind::Table,
                };
                let options = text_of_array(v[system::CLASS_RELOPTIONS]);
                found.push(Relation {
                    oid: u32_of(v[system::CLASS_OID]),
                    namespace: u32_of(v[system::CLASS_RELNAMESPACE]),
                    kind,
                    relfilenode: u32_of(v[system::CLASS_RELFILENODE]),
                    tid,
                    options,
                    unlogged: matches!(v[system::CLASS_RELPERSISTENCE], Some(b"u" | b"t")),
                    temp: v[system::CLASS_RELPERSISTENCE] == Some(b"t"),
                    toast: u32_of(v[system::CLASS_RELTOASTRELID]),
                    counted: (
                        i32_of(v[system::CLASS_RELPAGES]),
                        v[system::CLASS_RELTUPLES]
                            .and_then(|b| b.try_into().ok())
                            .map(f32::from_le_bytes)
                            .unwrap_or(-1.0),
                    ),
                    allvisible: i32_of(v[PG_CLASS.attno("relallvisible")]),
                });
            }
        })?;
        Ok(found)
    }

    /// The table named `name`, if one is visible; an index of that name is
    /// an error (42809), as in PostgreSQL.
    pub fn lookup(&self, name: &str, who: &Reader<'_>) -> Result<Option<Table>> {
        match self.relation(name, who)? {
            Some(rel) => self.lookup_relation(rel, &namespace::split_qualified(name)?.1, who),
            None => Ok(None),
        }
    }

    /// The table named `name` in schema `namespace`, if one is visible.
    pub fn lookup_in(&self, namespace: u32, name: &str, who: &Reader<'_>) -> Result<Option<Table>> {
        match self.relation_in(namespace, name, who)? {
            Some(rel) => self.lookup_relation(rel, name, who),
            None => Ok(None),
        }
    }

    /// The table (or view, or sequence) whose OID is `oid`, if one is visible.
    pub fn lookup_oid(&self, oid: u32, who: &Reader<'_>) -> Result<Option<Table>> {
        match self.relation_by_oid(oid, who)? {
            Some((name, rel)) => self.lookup_relation(rel, &name, who),
            None => Ok(None),
        }
    }

    /// The table (or view) whose `pg_class` row is `rel`.
    fn lookup_relation(&self, rel: Relation, name: &str, who: &Reader<'_>) -> Result<Option<Table>> {
        let fillfactor = rel.option("fillfactor").and_then(|v| v.parse().ok()).unwrap_or(100);
        if rel.kind == RelKind::Index {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is an index"));
        }
        let oid = rel.oid;
        let adesc = PG_ATTRIBUTE.desc();
        let mut columns: Vec<(i16, Column)> = Vec::new();
        let mut bad_type = None;
        // Enum columns: user-made types, known from `pg_type` alone.
        let mut enum_types = Vec::new();
        let mut user_types: Vec<(u32, PgType)> = Vec::new();
        self.scan(&PG_ATTRIBUTE, who, |_, t| {
            let v = deform(&adesc, t);
            let typid = u32_of(v[system::ATT_TYPID]);
            if u32_of(v[system::ATT_RELID]) == oid && PgType::from_oid(typid).is_none() {
                enum_types.push(typid);
            }
        })?;
        let mut column_domains: Vec<Arc<domains::Domain>> = Vec::new();
        if !enum_types.is_empty() {
            let mut kinds = Vec::new();
            for t in &enum_types {
                if let Some(d) = self.domain(*t, who)? {
                    kinds.push(Some((*t, d.base)));
                    column_domains.push(d);
                    continue;
                }
                kinds.push(self.user_column_type(*t, who)?.map(|ty| (*t, ty)));
            }
            user_types = kinds.into_iter().flatten().collect();
        }
        self.scan(&PG_ATTRIBUTE, who, |_, t| {
            let v = deform(&adesc, t);
            // The system columns (attnum < 0) are no columns of the table's rows.
            if u32_of(v[system::ATT_RELID]) != oid || i16_of(v[system::ATT_NUM]) < 1 {
                return;
            }
            let typid = u32_of(v[system::ATT_TYPID]);
            let builtin = match typid {
                // The catalogs' transaction ids are 64-bit values kept as
                // text (see `system::TEXT_FORM_XID`); a system view's are xids.
                28 if system::ALL.iter().any(|c| c.oid == oid) => Some(PgType::TextForm(28)),
                _ => PgType::from_oid(typid),
            };
            match builtin.or_else(|| user_types.iter().find(|u| u.0 == typid).map(|u| u.1)) {
                Some(ty) => columns.push((
                    i16_of(v[system::ATT_NUM]),
                    Column {
                        name: text_of(v[system::ATT_NAME]),
                        ty,
                        typmod: i32_of(v[system::ATT_TYPMOD]),
                        not_null: v[system::ATT_NOTNULL] == Some(&[1]),
                        default: None,
                        identity: v[system::ATT_IDENTITY].and_then(|b| b.first().copied()).unwrap_or(0),
                        dropped: v[system::ATT_ISDROPPED] == Some(&[1]),
                        missing: match v[system::ATT_HASMISSING] {
                            Some([1]) => alter::missing_value(ty, v[system::ATT_MISSINGVAL]),
                            _ => None,
                        },
                        stat_target: i32_of(v[system::ATT_STATTARGET]),
                        domain: column_domains.iter().find(|d| d.oid == typid).cloned(),
                    },
                )),
                None => bad_type = Some(typid),
            }
        })?;
        if let Some(t) = bad_type {
            return Err(err!(SqlState::DATA_CORRUPTED, "catalog lists unknown type OID {t} for relation \"{name}\""));
        }
        columns.sort_by_key(|(n, _)| *n);
        if rel.kind == RelKind::Table {
            self.fill_defaults(oid, &mut columns, who)?;
        }
        let columns: Vec<Column> = columns.into_iter().map(|(_, c)| c).collect();
        let types: Vec<PgType> = columns.iter().map(|c| c.ty).collect();
        let mut indexes = self.indexes_of(oid, rel.unlogged, Some((name, &columns)), who)?;
        if indexes.iter().any(|i| i.constraint) {
            for (index, deferral) in self.key_deferrals_of(oid, who)? {
                if let Some(i) = indexes.iter_mut().find(|i| i.oid == index) {
                    i.deferral = deferral;
                }
            }
        }
        let (foreign_keys, referenced_by) = self.foreign_keys_of(oid, who)?;
        let checks = if rel.kind == RelKind::Table { self.checks_of(oid, name, &columns, who)? } else { Vec::new() };
        let view = if rel.kind == RelKind::View { Some(self.view_query(oid, who)?) } else { None };
        Ok(Some(Table {
            oid,
            name: name.to_string(),
            namespace: rel.namespace,
            rel: self.file(rel.relfilenode),
            columns,
            indexes,
            fillfactor,
            unlogged: rel.unlogged,
            temp: rel.temp,
            foreign_keys,
            referenced_by,
            checks,
            toast: if rel.toast == 0 { None } else { Some(self.toast_relation(oid, rel.toast, who)?) },
            view,
            counted: rel.counted,
            allvisible: rel.allvisible,
            stats: if rel.kind == RelKind::Table { self.column_stats_of(oid, &types, who)? } else { Vec::new() },
            sequence: rel.kind == RelKind::Sequence,
        }))
    }

    /// Table `oid`'s TOAST relation `toast_oid`, with its index.
    fn toast_relation(&self, oid: u32, toast_oid: u32, who: &Reader<'_>) -> Result<ToastRelation> {
        let (_, index_name) = toast_names(oid);
        let cdesc = PG_CLASS.desc();
        let (mut heap, mut index) = (None, None);
        self.scan(&PG_CLASS, who, |_, t| {
            let v = deform(&cdesc, t);
            let file = self.file(u32_of(v[system::CLASS_RELFILENODE]));
            if u32_of(v[system::CLASS_OID]) == toast_oid {
                heap = Some(file);
            } else if u32_of(v[system::CLASS_RELNAMESPACE]) == PG_TOAST_NAMESPACE
                && v[system::CLASS_RELNAME] == Some(index_name.as_bytes())
            {
                index = Some(file);
            }
        })?;
        match (heap, index) {
            (Some(heap), Some(index)) => Ok(ToastRelation { oid: toast_oid, heap, index }),
            _ => Err(err!(SqlState::DATA_CORRUPTED, "TOAST relation {toast_oid} of relation {oid} is missing")),
        }
    }

    /// Toasting and detoasting of `table`'s values.
    pub fn toaster(&self, table: &Table) -> Toaster<'_> {
        // An UNLOGGED table's TOAST relation is logged (see
        // `create_toast_relation`); a temporary table's is not.
        Toaster::new(&self.engine.pool, &self.engine.wal, table.toast).unlogged(table.temp)
    }

    /// A tuple's values, decoded (and detoasted).
    pub(crate) fn decode_row(&self, table: &Table, desc: &TupleDesc, t: &[u8]) -> Result<Vec<Datum>> {
        self.decode_columns(table, desc, t, None)
    }

    /// As [`Catalog::decode_row`], but only the columns `wanted` marks
    /// (the others read as NULL, and are not detoasted).
    fn decode_columns(&self, table: &Table, desc: &TupleDesc, t: &[u8], wanted: Option<&[bool]>) -> Result<Vec<Datum>> {
        let mut values = Vec::with_capacity(table.columns.len());
        self.decode_columns_into(table, desc, t, wanted, &mut values)?;
        Ok(values)
    }

    /// As [`Catalog::decode_columns`], into `values` (cleared first), which
    /// a caller decoding row after row reuses.
    fn decode_columns_into(
        &self,
        table: &Table,
        desc: &TupleDesc,
        t: &[u8],
        wanted: Option<&[bool]>,
        values: &mut Vec<Datum>,
    ) -> Result<()> {
        let toaster = self.toaster(table);
        values.clear();
        let mut error = None;
        crate::storage::heap::tuple::deform_each(desc, t, |i, v| {
            let value = match (v, table.columns.get(i)) {
                (Some(v), Some(c)) if error.is_none() && wanted.is_none_or(|w| w[i]) => {
                    toaster.detoast(v).and_then(|b| Datum::from_storage(c.ty, &b)).unwrap_or_else(|e| {
                        error = Some(e);
                        Datum::Null
                    })
                }
                _ => Datum::Null,
            };
            values.push(value);
        });
        values.truncate(table.columns.len());
        error.map_or(Ok(()), Err)
    }

    /// Decode a tuple's values into column builders, detoasting them;
    /// the number of bytes of the values.
    fn push_tuple(
        toaster: &Toaster<'_>,
        desc: &TupleDesc,
        t: &[u8],
        builders: &mut [crate::sql::batch::ColumnBuilder],
    ) -> Result<usize> {
        push_values_from(toaster, desc, t, 0, 0, builders)
    }

    /// The bytes of a tuple's values once detoasted, without detoasting.
    fn values_size(desc: &TupleDesc, t: &[u8]) -> usize {
        deform_stored(desc, t).into_iter().flatten().map(toast::raw_size).sum()
    }

    /// Append the heap tuple of a row of values (already of the columns'
    /// types) to `out`, as [`Catalog::insert_row`] stores it: values too
    /// large are compressed or moved out of line now, as written by
    /// `xid`/`cid` (see [`Toaster::form`]). The values moved out of line.
    pub fn form_row(
        &self,
        table: &Table,
        desc: &TupleDesc,
        values: &[Datum],
        xid: u64,
        cid: u32,
        out: &mut Vec<u8>,
    ) -> Result<Vec<ToastPointer>> {
        self.form_row_keeping(table, desc, values, &[], xid, cid, out)
    }

    /// As [`Catalog::form_row`], the values `kept` names (by column) kept
    /// out of line where they are (see [`Toaster::form_keeping`]).
    #[allow(clippy::too_many_arguments)]
    fn form_row_keeping(
        &self,
        table: &Table,
        desc: &TupleDesc,
        values: &[Datum],
        kept: &[Option<ToastPointer>],
        xid: u64,
        cid: u32,
        out: &mut Vec<u8>,
    ) -> Result<Vec<ToastPointer>> {
        // Most rows: no value needs toasting; formed straight from the
        // values.
        if !kept.iter().any(Option::is_some) && Self::fits_inline(desc, values) {
            let value = |i: usize| values[i].storage_len().filter(|_| !values[i].is_null()).map(|n| (n, 0));
            crate::storage::heap::tuple::form_with(desc, value, |i, out| values[i].write_storage(out), out);
            return Ok(Vec::new());
        }
        // Every value's bytes in one buffer, not one allocation each.
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            // A kept value is not read again.
            if !v.is_null() && kept.get(i).is_none_or(Option::is_none) {
                v.write_storage(&mut bytes);
            }
            ends.push(bytes.len());
        }
        let mut start = 0;
        let refs: Vec<Option<&[u8]>> = values
            .iter()
            .zip(&ends)
            .map(|(v, &end)| {
                let b = &bytes[start..end];
                start = end;
                (!v.is_null()).then_some(b)
            })
            .collect();
        self.toaster(table).form_keeping(desc, &refs, kept, xid, cid, &mut || self.engine.allocate_oid(), out)
    }

    /// Whether a row of `values` is stored as it is: every value's stored
    /// length is known and together they are short enough that nothing is
    /// compressed or moved out of line.
    fn fits_inline(desc: &TupleDesc, values: &[Datum]) -> bool {
        let plain = |i: usize| match &values[i] {
            v if v.is_null() => Some(None),
            v => v.storage_len().map(Some),
        };
        values.len() == desc.attrs.len()
            && (0..values.len()).all(|i| plain(i).is_some())
            && crate::storage::heap::tuple::formed_len_with(desc, |i| plain(i).flatten())
                <= crate::storage::heap::toast::TOAST_TUPLE_THRESHOLD
    }

    /// The out-of-line values of the version at `tid` that `values` (the
    /// new version's) leaves as they are, by column: the new version
    /// points at them too, as PostgreSQL's UPDATE keeps an unchanged
    /// TOAST pointer. Not those of columns an index reads: VACUUM reads a
    /// dead version's indexed values to remove its index entries, and a
    /// shared value may be gone by then with the version that ended it.
    /// Also the old version's pointers, every one.
    fn unchanged_values(
        &self,
        table: &Table,
        desc: &TupleDesc,
        tid: Tid,
        values: &[Datum],
    ) -> Result<(Vec<Option<ToastPointer>>, Vec<ToastPointer>)> {
        if table.toast.is_none() {
            return Ok((Vec::new(), Vec::new()));
        }
        let Some(old) = self.table_heap(table).fetch(tid)? else { return Ok((Vec::new(), Vec::new())) };
        if !Header(&old).has_toasted() {
            return Ok((Vec::new(), Vec::new()));
        }
        let toaster = self.toaster(table);
        let mut indexed = vec![false; values.len()];
        table.indexes.iter().flat_map(|i| i.each_column_read()).for_each(|c| indexed[c] = true);
        let stored = deform_stored(desc, &old);
        let mut kept = vec![None; values.len()];
        for (c, v) in stored.iter().enumerate() {
            let Some(Stored::External(b)) = v else { continue };
            let Some(new) = values.get(c).filter(|n| !n.is_null() && !indexed[c]) else { continue };
            let pointer = ToastPointer::decode(b)?;
            if Self::same_value(&toaster, &pointer, b, new)? {
                kept[c] = Some(pointer);
            }
        }
        Ok((kept, Toaster::pointers(&stored)?))
    }

    /// Whether `new` is the value stored out of line under `pointer`
    /// (read back only when the lengths agree).
    fn same_value(toaster: &Toaster<'_>, pointer: &ToastPointer, stored: &[u8], new: &Datum) -> Result<bool> {
        let bytes = match new {
            Datum::Text(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
            Datum::Bytea(b) => std::borrow::Cow::Borrowed(b.as_slice()),
            other => std::borrow::Cow::Owned(other.storage_bytes()),
        };
        if bytes.len() != pointer.raw_size as usize {
            return Ok(false);
        }
        Ok(*toaster.detoast(Stored::External(stored))? == *bytes)
    }

    /// The table named `name` as last committed, from the catalog cache.
    ///
    /// Like PostgreSQL's catalog lookups, this sees the latest committed
    /// state, not the statement's snapshot. An entry is valid while the
    /// catalog version it was read at is current: the version is read
    /// before the fresh snapshot the catalog is scanned with, and bumped
    /// only after a DDL commit has become visible ([`Catalog::invalidate`]),
    /// so an entry can never be older than its version says.
    pub fn cached(&self, name: &str) -> Result<Option<Arc<Table>>> {
        self.cached_in(None, name, None)
    }

    /// As [`Catalog::cached`], for a name qualified by its schema
    /// (`namespace`) or looked up through search path `path`.
    pub fn cached_in(&self, namespace: Option<u32>, name: &str, path: Option<&[u32]>) -> Result<Option<Arc<Table>>> {
        use std::sync::atomic::Ordering;
        let version = self.version.load(Ordering::Acquire);
        let hit = CACHE_KEY.with_borrow_mut(|key| {
            cache_key(key, namespace, name, path);
            self.cache.get(key.as_str()).filter(|e| e.0 == version).map(|e| e.1.clone())
        });
        if hit.is_some() {
            return Ok(hit);
        }
        let snapshot = self.txns.snapshot();
        let who = Reader { path, snapshot: &snapshot, xid: 0, cid: 0 };
        let table = match namespace {
            None => match self.relation_on_path(path.unwrap_or(&namespace::DEFAULT_PATH), name, &who)? {
                Some(rel) => self.lookup_relation(rel, name, &who)?,
                None => None,
            },
            Some(n) => self.lookup_in(n, name, &who)?,
        };
        let Some(table) = table else { return Ok(None) };
        let table = self.share(table);
        let mut key = String::new();
        cache_key(&mut key, namespace, name, path);
        self.cache.insert(key, (version, table.clone()));
        if namespace.is_none() {
            // The same description under its schema-qualified name, which
            // is how a bound statement's tables are checked again before
            // each execution: finding this very one spares comparing them.
            let mut key = String::new();
            cache_key(&mut key, Some(table.namespace), name, None);
            self.cache.insert(key, (version, table.clone()));
        }
        Ok(Some(table))
    }

    /// The descriptor in use for `table` if it is the same, else `table`
    /// (now the one in use).
    fn share(&self, table: Table) -> Arc<Table> {
        /// Past this many OIDs, those of tables no longer in use are forgotten.
        const IN_USE_SWEEP: usize = 4096;
        if let Some(known) = self.in_use.get(&table.oid).and_then(|w| w.upgrade()).filter(|k| **k == table) {
            return known;
        }
        let table = Arc::new(table);
        if self.in_use.len() >= IN_USE_SWEEP {
            self.in_use.retain(|_, w| w.strong_count() > 0);
        }
        self.in_use.insert(table.oid, Arc::downgrade(&table));
        table
    }

    /// Table `oid` as last committed (a table found by OID is not cached).
    pub fn committed_table(&self, oid: u32) -> Result<Option<Table>> {
        let snapshot = self.txns.snapshot();
        self.lookup_oid(oid, &Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 })
    }

    /// A snapshot of the committed state now.
    pub fn snapshot(&self) -> Snapshot {
        self.txns.snapshot()
    }

    /// Bumped by every [`Catalog::invalidate`] of this database.
    pub fn version(&self) -> u64 {
        self.version.load(std::sync::atomic::Ordering::Acquire)
    }

    /// A transaction that changed the catalog has committed (and is
    /// visible): cached tables must be read again.
    pub fn invalidate(&self) {
        self.version.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        CLUSTER_VERSION.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// The table that index `oid` belongs to.
    pub fn table_of_index(&self, oid: u32, who: &Reader<'_>) -> Result<Option<Table>> {
        let idesc = system::index_desc();
        let mut table = None;
        self.scan(&PG_INDEX, who, |_, t| {
            let v = deform(&idesc, t);
            if u32_of(v[system::IND_INDEXRELID]) == oid {
                table = Some(u32_of(v[system::IND_INDRELID]));
            }
        })?;
        let Some(table) = table else { return Ok(None) };
        self.lookup_oid(table, who)
    }

    /// The indexes of table `oid`, in the order they were created.
    ///
    /// Partial indexes' predicates are bound over `table` (its name and
    /// columns); without it they are left out (for sizes only).
    fn indexes_of(
        &self,
        oid: u32,
        unlogged: bool,
        table: Option<(&str, &[Column])>,
        who: &Reader<'_>,
    ) -> Result<Vec<Index>> {
        let idesc = system::index_desc();
        let mut rows = Vec::new();
        self.scan(&PG_INDEX, who, |_, t| {
            let v = deform(&idesc, t);
            if u32_of(v[system::IND_INDRELID]) == oid {
                rows.push((
                    u32_of(v[system::IND_INDEXRELID]),
                    v[system::IND_ISUNIQUE] == Some(&[1]),
                    v[system::IND_ISPRIMARY] == Some(&[1]),
                    int2_vector(v[system::IND_KEY]),
                    int2_vector(v[system::IND_OPTION]),
                    v[system::IND_CONSTRAINT] == Some(&[1]),
                    v[system::IND_PRED].map(|p| text_of(Some(p))),
                    v[system::IND_EXPRS].map(|p| text_of(Some(p))),
                    i16_of(v[system::IND_NKEYATTS]),
                    (v[system::IND_ISVALID] == Some(&[1]), v[system::IND_ISREADY] == Some(&[1])),
                ));
            }
        })?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let cdesc = PG_CLASS.desc();
        let mut names = std::collections::HashMap::new();
        self.scan(&PG_CLASS, who, |_, t| {
            let v = deform(&cdesc, t);
            let ioid = u32_of(v[system::CLASS_OID]);
            if rows.iter().any(|r| r.0 == ioid) {
                names.insert(ioid, (text_of(v[system::CLASS_RELNAME]), u32_of(v[system::CLASS_RELFILENODE])));
            }
        })?;
        let mut out: Vec<Index> = Vec::with_capacity(rows.len());
        for (ioid, unique, primary, mut key, options, constraint, pred, exprs, nkey, (valid, ready)) in rows {
            let Some((name, relfilenode)) = names.remove(&ioid) else { continue };
            // indkey lists the key columns, then the INCLUDE ones.
            let include: Vec<usize> =
                key.split_off((nkey.max(0) as usize).min(key.len())).iter().map(|&a| (a - 1) as usize).collect();
            let predicate = match (pred, table) {
                (Some(text), Some((tname, columns))) => Some(Arc::new(Predicate::bind(&text, tname, columns)?)),
                _ => None,
            };
            // `indexprs`: the expressions of the key parts whose `indkey` is 0, in order.
            let mut texts = match &exprs {
                Some(text) => crate::sql::binder::split_index_expressions(text)?,
                None => Vec::new(),
            }
            .into_iter();
            let mut exprs = Vec::new();
            if key.contains(&0) {
                for &a in &key {
                    exprs.push(match (a, table) {
                        (0, Some((tname, columns))) => {
                            let text = texts.next().ok_or_else(|| Error::internal("pg_index.indexprs is short"))?;
                            Some(Arc::new(Predicate::bind_key(&text, tname, columns)?))
                        }
                        _ => None,
                    });
                }
            }
            out.push(Index {
                oid: ioid,
                name,
                rel: self.file(relfilenode),
                columns: key.iter().map(|&a| if a == 0 { EXPR_KEY } else { (a - 1) as usize }).collect(),
                exprs,
                include,
                orders: options.iter().map(|&o| keycode::KeyOrder::from_option_bits(o)).collect(),
                unique,
                primary,
                constraint,
                deferral: Deferral::default(),
                unlogged,
                predicate,
                valid,
                ready,
            });
        }
        out.sort_by_key(|i| i.oid);
        Ok(out)
    }

    /// Insert a row (values in the catalog's column order) into a catalog.
    fn insert_catalog_row(&self, catalog: &SystemCatalog, row: &[Datum], xid: u64, cid: u32) -> Result<Tid> {
        let bytes: Vec<Option<Vec<u8>>> =
            row.iter().map(|v| if v.is_null() { None } else { Some(v.storage_bytes()) }).collect();
        let refs: Vec<Option<&[u8]>> = bytes.iter().map(|b| b.as_deref()).collect();
        self.heap(self.catalog_rel(catalog)).insert(xid, cid, &form(&catalog_desc(catalog), &refs))
    }

    /// Replace relation `rel`'s `pg_class` row by a copy that `change` edits
    /// (attribute values in `pg_class` column order).
    fn update_class_row(&self, rel: &Relation, xid: u64, cid: u32, change: &dyn Fn(&mut [Attribute])) -> Result<()> {
        let desc = PG_CLASS.desc();
        let old = self
            .heap(self.catalog_rel(&PG_CLASS))
            .fetch(rel.tid)?
            .ok_or_else(|| Error::internal("pg_class row vanished"))?;
        let mut v: Vec<Option<Vec<u8>>> = deform(&desc, &old).iter().map(|b| b.map(<[u8]>::to_vec)).collect();
        change(&mut v);
        let refs: Vec<Option<&[u8]>> = v.iter().map(|b| b.as_deref()).collect();
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
        self.heap(self.catalog_rel(&PG_CLASS)).update_checked(rel.tid, xid, cid, &form(&desc, &refs), &how)?;
        self.follow_relation(&v, xid, cid)
    }

    /// A table's size now in blocks (`None` for a view, or if unknown).
    pub fn blocks(&self, table: &Table) -> Option<u32> {
        if table.view.is_some() {
            return None;
        }
        let smgr = self.engine.pool.smgr();
        if !smgr.exists(table.rel, Fork::Main) {
            return Some(0);
        }
        smgr.nblocks(table.rel, Fork::Main).ok()
    }

    /// Record a table's size as counted by VACUUM or ANALYZE
    /// (`pg_class.relpages`, `reltuples`, and `relallvisible` from the
    /// visibility map).
    pub fn set_size(&self, oid: u32, pages: u32, tuples: f32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let (_, rel) = self.relation_by_oid(oid, who)?.ok_or_else(|| Error::internal("relation vanished"))?;
        let frozen = self.take_frozen(rel.oid);
        let heap = self.file(rel.relfilenode);
        let allvisible =
            if rel.unlogged { 0 } else { crate::storage::vm::count_all_visible(&self.engine.pool, heap, pages)? };
        self.update_class_row(&rel, xid, cid, &|v| {
            v[system::CLASS_RELPAGES] = Some((pages as i32).to_le_bytes().to_vec());
            v[PG_CLASS.attno("relallvisible")] = Some((allvisible as i32).to_le_bytes().to_vec());
            v[system::CLASS_RELTUPLES] = Some(tuples.to_le_bytes().to_vec());
            if let Some((xid, multi)) = &frozen {
                v[PG_CLASS.attno("relfrozenxid")] = Some(xid.storage_bytes());
                v[PG_CLASS.attno("relminmxid")] = Some(multi.storage_bytes());
            }
        })
    }

    /// Every user table in schema `public` (as `who` sees the catalog), by name.
    pub fn table_names(&self, who: &Reader<'_>) -> Result<Vec<String>> {
        let desc = PG_CLASS.desc();
        let mut names = Vec::new();
        let Some(public) = self.namespace("public", who)? else { return Ok(names) };
        self.scan(&PG_CLASS, who, |_, t| {
            let v = deform(&desc, t);
            if v[system::CLASS_RELKIND] == Some(b"r") && u32_of(v[system::CLASS_RELNAMESPACE]) == public.oid {
                names.push(text_of(v[system::CLASS_RELNAME]));
            }
        })?;
        names.sort();
        Ok(names)
    }

    /// VACUUM one table: remove the row versions no snapshot can see any
    /// more (their insert aborted, or their delete committed before
    /// `horizon`), index entries first, then their values stored out of
    /// line, then the heap line pointers, page by page; then the empty
    /// leaves of the indexes (see `BTree::vacuum_pages`); then the chunks of
    /// values whose tuple was never stored. Runs of at least
    /// [`SKIP_FROZEN_RUN`] pages the visibility map has all-frozen are not
    /// read, as in PostgreSQL (the last page always is). On the pages read,
    /// the rows `live` accepts are counted (see [`Catalog::vacuumed_rows`]).
    pub fn vacuum(
        &self,
        table: &Table,
        horizon: u64,
        interrupted: &dyn Fn() -> Result<()>,
        live: Option<&RowTest<'_>>,
    ) -> Result<Vacuumed> {
        let heap = self.table_heap(table);
        let toaster = self.toaster(table);
        let mut done = Vacuumed { removed: 0, scanned: 0, live: 0 };
        let blocks = heap.nblocks()?;
        // Blocks below `skip_until` are skipped; those below `decided` have
        // been looked up in the map.
        let (mut skip_until, mut decided) = (0, 0);
        for block in 0..blocks {
            interrupted()?;
            if block >= decided {
                let mut end = block;
                while end < blocks && heap.all_frozen(end)? {
                    end += 1;
                }
                if end - block >= SKIP_FROZEN_RUN {
                    skip_until = end;
                }
                decided = end.max(block + 1);
            }
            if block < skip_until && block + 1 < blocks {
                continue;
            }
            done.removed += self.vacuum_page(table, block, horizon, true)?.0 as u64;
            done.scanned += 1;
            if let Some(live) = live {
                let mut error = None;
                heap.scan_block(block, |_, t| match live(t) {
                    Ok(true) => done.live += 1,
                    Ok(false) => {}
                    Err(e) => error = Some(e),
                })?;
                if let Some(e) = error {
                    return Err(e);
                }
            }
        }
        // Leaves the entries of dead rows left empty go, and deleted pages
        // become free for the index's new pages.
        for index in &table.indexes {
            interrupted()?;
            self.btree(index).vacuum_pages(0)?;
        }
        toaster.vacuum_orphans(&|t| self.txns.inserter_aborted(t), interrupted)?;
        self.freeze_table(table, horizon, interrupted)?;
        // Frozen and pruned: pages whose every row everyone sees go into
        // the visibility map (see `storage::vm`).
        for block in 0..heap.nblocks()? {
            interrupted()?;
            if !heap.all_frozen(block)? {
                heap.set_all_visible(block, &|t| self.txns.visible_to_all(t, horizon))?;
            }
        }
        Ok(done)
    }

    /// After a VACUUM that counted `done.live` rows on the pages it read:
    /// the table's pages and its estimated rows (PostgreSQL's
    /// `vac_estimate_reltuples`: pages not read are taken to hold as many
    /// rows per page as `pg_class` said before; -1 stays unknown).
    pub fn vacuumed_rows(&self, table: &Table, done: &Vacuumed) -> Result<(u32, f64)> {
        let pages = self.table_heap(table).nblocks()?;
        let (old_pages, old_rows) = (table.counted.0.max(0) as f64, table.counted.1 as f64);
        let (total, scanned, live) = (pages as f64, done.scanned as f64, done.live as f64);
        let rows = if done.scanned >= pages {
            live
        } else if old_pages == total && scanned < total * 0.02 || done.scanned <= 1 {
            old_rows
        } else if old_rows < 0.0 || old_pages == 0.0 {
            (live / scanned * total + 0.5).floor()
        } else {
            (old_rows / old_pages * (total - scanned) + live + 0.5).floor()
        };
        Ok((pages, rows))
    }

    /// VACUUM FULL's copy: every row version of `table` that a snapshot
    /// may still see (all but those dead below `horizon`) is copied, header
    /// and all, into the new heap file `new`, packed from its first page.
    /// Returns how many versions were left behind and how many copied.
    pub fn rewrite_heap(
        &self,
        table: &Table,
        new: RelFileLocator,
        horizon: u64,
        xid: u64,
        interrupted: &dyn Fn() -> Result<()>,
    ) -> Result<(u64, u64)> {
        let old = self.table_heap(table);
        let fresh = self.heap(new).with_fillfactor(table.fillfactor).unlogged(table.unlogged);
        let (desc, toaster) = (table.desc(), self.toaster(table));
        let (mut removed, mut kept) = (0u64, 0u64);
        let mut batch: Vec<u8> = Vec::new();
        let mut ends: Vec<usize> = Vec::new();
        let mut tids = Vec::new();
        let blocks = old.nblocks()?;
        for block in 0..blocks {
            interrupted()?;
            let mut error = None;
            old.scan_block(block, |_, t| match self.txns.dead_to_all(t, horizon) {
                // A version left behind takes its out-of-line values with it.
                Ok(true) => {
                    removed += 1;
                    if let Err(e) = self.free_values(&toaster, &desc, t) {
                        error = Some(e);
                    }
                }
                Ok(false) => {
                    batch.extend_from_slice(t);
                    ends.push(batch.len());
                }
                Err(e) => error = Some(e),
            })?;
            if let Some(e) = error {
                return Err(e);
            }
            if batch.len() >= 1 << 20 || (block + 1 == blocks && !ends.is_empty()) {
                let mut start = 0;
                let tuples: Vec<&[u8]> = ends
                    .iter()
                    .map(|&end| {
                        let t = &batch[start..end];
                        start = end;
                        t
                    })
                    .collect();
                tids.clear();
                fresh.copy_batch(xid, &tuples, &mut tids)?;
                kept += tuples.len() as u64;
                batch.clear();
                ends.clear();
            }
        }
        Ok((removed, kept))
    }

    /// After a vacuum: give the empty pages at the end of the table back to
    /// the file system, when there are enough of them to be worth it
    /// (PostgreSQL's thresholds: 1,000 pages or a sixteenth of the table)
    /// and `lock` takes ACCESS EXCLUSIVE at once (no waiting: readers and
    /// writers come first). Returns how many pages went.
    pub fn truncate_empty_tail(&self, table: &Table, lock: &dyn Fn() -> Result<bool>) -> Result<u32> {
        let heap = self.table_heap(table);
        let (pages, keep) = (heap.nblocks()?, heap.nonempty_blocks()?);
        let freeable = pages - keep;
        if freeable == 0 || (freeable < 1000 && freeable < pages / 16) || !lock()? {
            return Ok(0);
        }
        // Under the lock nobody adds rows; look again, since someone may have before.
        let keep = heap.nonempty_blocks()?;
        let pages = heap.nblocks()?;
        if keep < pages {
            self.engine.truncate_relation(table.rel, keep)?;
        }
        Ok(pages - keep)
    }

    /// A table's pages and the rows `who` sees.
    pub fn count_rows(&self, table: &Table, who: &Reader<'_>) -> Result<(u32, u64)> {
        let heap = self.table_heap(table);
        let pages = heap.nblocks()?;
        let mut rows = 0u64;
        let mut error = None;
        for block in 0..pages {
            heap.scan_block(block, |_, t| match self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid) {
                Ok(true) => rows += 1,
                Ok(false) => {}
                Err(e) => error = Some(e),
            })?;
        }
        error.map_or(Ok((pages, rows)), Err)
    }

    /// Give relation `oid` a new, empty file (TRUNCATE): its `pg_class`
    /// row is updated, so the change is transactional. The new locator.
    pub fn new_relfilenode(&self, oid: u32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<RelFileLocator> {
        let (name, rel) = self.relation_by_oid(oid, who)?.ok_or_else(|| Error::internal("relation vanished"))?;
        if rel.oid < FIRST_NORMAL_OID {
            return Err(system_catalog_error(&name));
        }
        let relfilenode = self.engine.allocate_oid()?;
        self.update_class_row(&rel, xid, cid, &|v| {
            v[system::CLASS_RELFILENODE] = Some(relfilenode.to_le_bytes().to_vec())
        })?;
        let locator = self.file(relfilenode);
        self.engine.smgr.create(locator, crate::storage::smgr::Fork::Main)?;
        Ok(locator)
    }

    /// Mark columns NOT NULL (ALTER TABLE … ADD PRIMARY KEY), after checking
    /// that no row the transaction can see has a NULL in them.
    pub fn set_not_null(&self, table: &Table, columns: &[usize], xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let columns: Vec<usize> = columns.iter().copied().filter(|&c| !table.columns[c].not_null).collect();
        if columns.is_empty() {
            return Ok(());
        }
        let desc = table.desc();
        let mut null_in = None;
        let heap = self.table_heap(table);
        for block in 0..heap.nblocks()? {
            let mut error = None;
            heap.scan_block(block, |_, t| {
                if null_in.is_some() || error.is_some() {
                    return;
                }
                match self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid) {
                    Ok(true) => {
                        let v = deform(&desc, t);
                        null_in = columns.iter().copied().find(|&c| v[c].is_none());
                    }
                    Ok(false) => {}
                    Err(e) => error = Some(e),
                }
            })?;
            if let Some(e) = error {
                return Err(e);
            }
            if let Some(c) = null_in {
                return Err(err!(
                    SqlState::NOT_NULL_VIOLATION,
                    "column \"{}\" of relation \"{}\" contains null values",
                    table.columns[c].name,
                    table.name
                )
                .with_table(table.namespace, &table.name)
                .with_column(&table.columns[c].name));
            }
        }
        let adesc = PG_ATTRIBUTE.desc();
        let mut rows = Vec::new();
        self.scan(&PG_ATTRIBUTE, who, |tid, t| {
            let v = deform(&adesc, t);
            if u32_of(v[system::ATT_RELID]) == table.oid
                && columns.contains(&((i16_of(v[system::ATT_NUM]) - 1) as usize))
            {
                rows.push((tid, t.to_vec()));
            }
        })?;
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let attrs = self.heap(self.catalog_rel(&PG_ATTRIBUTE));
        for (tid, old) in rows {
            let mut v: Vec<Option<Vec<u8>>> = deform(&adesc, &old).iter().map(|b| b.map(<[u8]>::to_vec)).collect();
            v[system::ATT_NOTNULL] = Some(vec![1]);
            let refs: Vec<Option<&[u8]>> = v.iter().map(|b| b.as_deref()).collect();
            let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
            attrs.update_checked(tid, xid, cid, &form(&adesc, &refs), &how)?;
        }
        Ok(())
    }

    /// Record a new table, written by transaction `xid` at command `cid`,
    /// and create its file.
    pub fn create_table(
        &self,
        name: &str,
        columns: Vec<Column>,
        (fillfactor, unlogged): (u8, bool),
        xid: u64,
        cid: u32,
    ) -> Result<Table> {
        let (namespace, name) = self.creation_target(name, xid, cid)?;
        let name = name.as_str();
        for c in &columns {
            system::check_not_system_column(&c.name)?;
        }
        let temp = self.is_temp_namespace(namespace, xid, cid)?;
        let unlogged = unlogged || temp;
        let oid = self.engine.allocate_oid()?;
        let reltype = self.create_row_type(oid, name, namespace, xid, cid)?;
        let table = Table {
            oid,
            name: name.to_string(),
            rel: self.file(oid),
            namespace,
            columns,
            indexes: Vec::new(),
            fillfactor,
            unlogged,
            temp,
            foreign_keys: Vec::new(),
            referenced_by: Vec::new(),
            checks: Vec::new(),
            toast: None,
            view: None,
            counted: (0, -1.0),
            allvisible: 0,
            stats: Vec::new(),
            sequence: false,
        };
        let mut table = table;
        // As in PostgreSQL, a table gets a TOAST relation if it has a
        // column whose values can be long.
        if table.desc().attrs.iter().any(|a| a.len < 0) {
            table.toast = Some(self.create_toast_relation(oid, temp, xid, cid)?);
        }
        let class = system::ClassRow {
            oid,
            name,
            namespace,
            kind: b'r',
            relfilenode: oid,
            natts: table.columns.len() as i16,
            has_index: false,
            shared: false,
            persistence: system::persistence(unlogged, temp),
            options: (fillfactor != 100).then(|| format!("{{fillfactor={fillfactor}}}")),
            toast: table.toast.map_or(0, |t| t.oid),
            reltype,
        };
        self.insert_catalog_row(&PG_CLASS, &class.values(), xid, cid)?;
        for (i, c) in table.columns.iter().enumerate() {
            let mut row = system::attribute_row(oid, i as i16 + 1, &c.name, c.ty, c.typmod, c.not_null);
            if let Some(d) = &c.domain {
                row[system::ATT_TYPID] = Datum::Oid(d.oid);
            }
            let stored_default = c.default.is_some() && c.identity == 0;
            row[system::ATT_HASDEF] = Datum::Bool(stored_default);
            row[system::ATT_IDENTITY] = system::char_datum(c.identity);
            self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
            if let (Some(sql), true) = (&c.default, stored_default) {
                self.insert_default_row(oid, i as i16 + 1, sql, xid, cid)?;
            }
        }
        for row in system::system_attribute_rows(oid) {
            self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
        }
        Ok(table)
    }

    /// Record table `oid`'s TOAST relation and its index (`pg_class` rows
    /// in `pg_toast`) and create their files.
    fn create_toast_relation(&self, oid: u32, temp: bool, xid: u64, cid: u32) -> Result<ToastRelation> {
        let (name, index_name) = toast_names(oid);
        let toast_oid = self.engine.allocate_oid()?;
        let index_oid = self.engine.allocate_oid()?;
        for (o, name, kind, natts) in [(toast_oid, &name, b't', 3), (index_oid, &index_name, b'i', 2)] {
            let class = system::ClassRow {
                oid: o,
                name,
                namespace: PG_TOAST_NAMESPACE,
                kind,
                relfilenode: o,
                natts,
                has_index: kind == b't',
                shared: false,
                // Logged even for an unlogged table (whose crash reset leaves
                // orphaned chunks rather than dangling pointers); a
                // temporary table's is temporary, as it is.
                persistence: system::persistence(false, temp),
                options: None,
                toast: 0,
                reltype: 0,
            };
            self.insert_catalog_row(&PG_CLASS, &class.values(), xid, cid)?;
        }
        // Their columns, as PostgreSQL lists them (stored plain: chunks
        // are never toasted again).
        let columns = [("chunk_id", PgType::Oid), ("chunk_seq", PgType::Int4), ("chunk_data", PgType::Bytea)];
        for (rel, n) in [(toast_oid, 3), (index_oid, 2)] {
            for (i, (name, ty)) in columns.iter().take(n).enumerate() {
                let mut row = system::attribute_row(rel, i as i16 + 1, name, *ty, -1, false);
                row[system::ATT_STORAGE] = Datum::Text("p".into());
                self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
            }
        }
        for row in system::system_attribute_rows(toast_oid) {
            self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
        }
        let rel = |o| self.file(o);
        let toast = ToastRelation { oid: toast_oid, heap: rel(toast_oid), index: rel(index_oid) };
        self.create_toast_files(&toast, xid)?;
        Ok(toast)
    }

    /// Create a TOAST relation's files (empty heap, empty index).
    fn create_toast_files(&self, toast: &ToastRelation, xid: u64) -> Result<()> {
        self.engine.smgr.create(toast.heap, crate::storage::smgr::Fork::Main)?;
        self.engine.smgr.create(toast.index, crate::storage::smgr::Fork::Main)?;
        Toaster::new(&self.engine.pool, &self.engine.wal, Some(*toast)).create_index(xid)
    }

    /// TRUNCATE of a table with a TOAST relation: new, empty files for it
    /// and its index (recorded in `pg_class`, so transactional). The files
    /// created, and the old ones to remove if the transaction commits.
    pub fn truncate_toast(
        &self,
        table: &Table,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<(Vec<RelFileLocator>, Vec<RelFileLocator>)> {
        let Some(old) = table.toast else { return Ok((Vec::new(), Vec::new())) };
        let (name, index_name) = toast_names(table.oid);
        let mut new = old;
        for (name, file) in [(&name, &mut new.heap), (&index_name, &mut new.index)] {
            let rel = self
                .find_relation(who, |v| {
                    v[system::CLASS_RELNAME] == Some(name.as_bytes())
                        && u32_of(v[system::CLASS_RELNAMESPACE]) == PG_TOAST_NAMESPACE
                })?
                .ok_or_else(|| Error::internal("TOAST relation vanished"))?;
            let relfilenode = self.engine.allocate_oid()?;
            self.update_class_row(&rel, xid, cid, &|v| {
                v[system::CLASS_RELFILENODE] = Some(relfilenode.to_le_bytes().to_vec())
            })?;
            *file = self.file(relfilenode);
        }
        self.create_toast_files(&new, xid)?;
        Ok((vec![new.heap, new.index], vec![old.heap, old.index]))
    }

    /// Record a new index on `table` and build it over the rows the table
    /// already has (an index not `ready` yet is left empty). `index.oid`
    /// and `index.rel` are assigned here.
    pub fn create_index(&self, table: &Table, mut index: Index, xid: u64, cid: u32) -> Result<Index> {
        let oid = self.engine.allocate_oid()?;
        index.oid = oid;
        index.rel = self.file(oid);
        if table.oid < FIRST_NORMAL_OID {
            return Err(system_catalog_error(&table.name));
        }
        let class = system::ClassRow {
            oid,
            name: &index.name,
            namespace: table.namespace,
            kind: b'i',
            relfilenode: oid,
            natts: (index.columns.len() + index.include.len()) as i16,
            has_index: false,
            shared: false,
            persistence: system::persistence(table.unlogged, table.temp),
            options: None,
            toast: 0,
            reltype: 0,
        };
        index.unlogged = table.unlogged;
        self.insert_catalog_row(&PG_CLASS, &class.values(), xid, cid)?;
        let row = system::index_row(&index, table);
        self.insert_catalog_row(&PG_INDEX, &row, xid, cid)?;
        if index.constraint {
            let row = system::ConstraintRow {
                oid: self.engine.allocate_oid()?,
                name: index.name.clone(),
                namespace: table.namespace,
                kind: if index.primary { b'p' } else { b'u' },
                relid: table.oid,
                index: oid,
                frelid: 0,
                update_action: b' ',
                delete_action: b' ',
                key: index.columns.iter().map(|&c| c as i16 + 1).collect(),
                fkey: Vec::new(),
                eq_ops: Vec::new(),
                deferral: index.deferral,
                ..Default::default()
            };
            self.add_constraint_row(&row, xid, cid)?;
        }
        let index_column_names = index.column_names(table);
        for (i, &c) in index.columns.iter().chain(&index.include).enumerate() {
            let row = match index.exprs.get(i).and_then(Option::as_ref) {
                // An expression's column is named as CREATE INDEX chose.
                Some(e) => system::attribute_row(oid, i as i16 + 1, &index_column_names[i], e.expr.ty(), -1, false),
                None => {
                    let col = &table.columns[c];
                    system::attribute_row(oid, i as i16 + 1, &index_column_names[i], col.ty, col.typmod, false)
                }
            };
            self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
        }
        self.mark_has_index(table, xid, cid)?;
        self.engine.smgr.create(index.rel, crate::storage::smgr::Fork::Main)?;
        if index.ready {
            self.build_index(table, &index, xid)?;
        } else {
            // CREATE INDEX CONCURRENTLY fills it in a later transaction.
            self.build_empty_index(&index, xid)?;
        }
        Ok(index)
    }

    /// Set `pg_class.relhasindex` of a table that gets its first index.
    fn mark_has_index(&self, table: &Table, xid: u64, cid: u32) -> Result<()> {
        self.set_class_flag(table.oid, system::CLASS_RELHASINDEX, xid, cid)
    }

    /// Set boolean column `attno` of relation `oid`'s `pg_class` row, if
    /// it is not set yet, as `xid` at `cid`.
    fn set_class_flag(&self, oid: u32, attno: usize, xid: u64, cid: u32) -> Result<()> {
        // The transaction's own changes, up to this command's, included:
        // the table may have been created by this very command.
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: u32::MAX };
        let Some((_, rel)) = self.relation_by_oid(oid, &who)? else { return Ok(()) };
        let old = self.heap(self.catalog_rel(&PG_CLASS)).fetch(rel.tid)?.unwrap_or_default();
        if deform(&PG_CLASS.desc(), &old)[attno] == Some(&[1]) {
            return Ok(());
        }
        self.update_class_row(&rel, xid, cid, &|v| v[attno] = Some(vec![1]))
    }

    /// Delete the catalog rows of relation `oid` (a table with its columns
    /// and indexes, one index, or a view with its rule) as transaction
    /// `xid` at command `cid`.
    /// Returns the files to remove once the transaction commits.
    pub fn drop_relation(&self, oid: u32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<Vec<RelFileLocator>> {
        if oid < FIRST_NORMAL_OID {
            let name = self.relation_by_oid(oid, who)?.map(|(n, _)| n).unwrap_or_default();
            return Err(system_catalog_error(&name));
        }
        let idesc = system::index_desc();
        let mut doomed_indexes = Vec::new();
        let mut index_rows = Vec::new();
        let mut table_of_index = None;
        self.scan(&PG_INDEX, who, |tid, t| {
            let v = deform(&idesc, t);
            if u32_of(v[system::IND_INDRELID]) == oid || u32_of(v[system::IND_INDEXRELID]) == oid {
                index_rows.push(tid);
                doomed_indexes.push(u32_of(v[system::IND_INDEXRELID]));
            }
            if u32_of(v[system::IND_INDEXRELID]) == oid {
                table_of_index = Some(u32_of(v[system::IND_INDRELID]));
            }
        })?;
        // SERIALIZABLE: dropping a table writes all of it; dropping an
        // index hands its readers' locks to its table.
        match table_of_index {
            Some(table) => self.serial_index_gone(oid, table),
            None => self.serial_write_relation(oid, &doomed_indexes, xid)?,
        }
        let cdesc = PG_CLASS.desc();
        let mut class_rows = Vec::new();
        let mut files = Vec::new();
        let (toast, toast_index) = toast_names(oid);
        let mut toast_oids = Vec::new();
        self.scan(&PG_CLASS, who, |tid, t| {
            let v = deform(&cdesc, t);
            let roid = u32_of(v[system::CLASS_OID]);
            let name = v[system::CLASS_RELNAME];
            let toast_of_it = u32_of(v[system::CLASS_RELNAMESPACE]) == PG_TOAST_NAMESPACE
                && (name == Some(toast.as_bytes()) || name == Some(toast_index.as_bytes()));
            if toast_of_it {
                toast_oids.push(roid);
            }
            if roid == oid || doomed_indexes.contains(&roid) || toast_of_it {
                class_rows.push(tid);
                // A view has no file.
                if v[system::CLASS_RELKIND] != Some(b"v") {
                    files.push(self.file(u32_of(v[system::CLASS_RELFILENODE])));
                }
            }
        })?;
        let adesc = PG_ATTRIBUTE.desc();
        let mut attr_rows = Vec::new();
        self.scan(&PG_ATTRIBUTE, who, |tid, t| {
            let relid = u32_of(deform(&adesc, t)[system::ATT_RELID]);
            if relid == oid || doomed_indexes.contains(&relid) || toast_oids.contains(&relid) {
                attr_rows.push(tid);
            }
        })?;
        // Its constraints (and, the caller having allowed it, the foreign
        // keys of other tables that reference it) go with it.
        let constraint_rows: Vec<Tid> = self
            .constraints(who, &|c| c.relid == oid || c.frelid == oid || doomed_indexes.contains(&c.index))?
            .into_iter()
            .map(|(tid, _)| tid)
            .collect();
        // (Its own `pg_class` row goes below, so its CHECK count stays.)
        self.remove_constraint_rows(&constraint_rows, xid, cid)?;
        self.drop_view_rules(oid, xid, cid, who)?;
        self.drop_row_type(oid, xid, cid, who)?;
        self.delete_column_stats(oid, xid, cid, who)?;
        self.drop_defaults_and_sequence_rows(oid, xid, cid, who)?;
        self.drop_descriptions(
            &|c| c.classoid == PG_CLASS.oid && (c.objoid == oid || doomed_indexes.contains(&c.objoid)),
            xid,
            cid,
            who,
        )?;
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        for (catalog, tids) in [(&PG_INDEX, index_rows), (&PG_CLASS, class_rows), (&PG_ATTRIBUTE, attr_rows)] {
            let heap = self.heap(self.catalog_rel(catalog));
            for tid in tids {
                heap.delete_checked(tid, xid, cid, &check)?;
            }
        }
        Ok(files)
    }

    /// Remove a dropped relation's file (after its drop committed, or after
    /// its creation rolled back), and its pages from the buffer pool.
    pub fn unlink(&self, rel: RelFileLocator) -> Result<()> {
        self.engine.pool.drop_relation(rel)?;
        self.engine.pool.forget_free_space(rel);
        self.engine.smgr.unlink(rel)
    }

    /// Insert a row of values (already of the columns' types) into a
    /// table's heap; its address. `desc` is `table.desc()`, computed once by
    /// the caller for all its rows. Index entries are the caller's next step
    /// ([`Catalog::insert_index_entries`]).
    pub fn insert_row(&self, table: &Table, desc: &TupleDesc, values: &[Datum], xid: u64, cid: u32) -> Result<Tid> {
        let mut tuple = Vec::new();
        self.form_row(table, desc, values, xid, cid, &mut tuple)?;
        let tid = self.table_heap(table).insert(xid, cid, &tuple)?;
        // After the change, never before (see catalog/serial.rs).
        self.serial_write(table, xid, crate::txn::predicate::Written::Insert)?;
        Ok(tid)
    }

    /// Insert tuples formed by [`Catalog::form_row`] into a table's heap,
    /// a page at a time (COPY FROM into a table without indexes); `frozen`:
    /// stored frozen, for COPY FREEZE into a relation file created by the
    /// inserting (sub)transaction (see [`crate::storage::heap::Heap::insert_batch_frozen`]).
    pub fn insert_formed(&self, table: &Table, tuples: &[&[u8]], (xid, cid): (u64, u32), frozen: bool) -> Result<()> {
        let mut tids = Vec::with_capacity(tuples.len());
        let heap = self.table_heap(table);
        if frozen {
            heap.insert_batch_frozen(xid, cid, tuples, &mut tids)?;
        } else {
            heap.insert_batch(xid, cid, tuples, &mut tids)?;
        }
        self.serial_write(table, xid, crate::txn::predicate::Written::Insert)
    }

    /// The visible rows of one block of a table, decoded.
    pub fn scan_block(&self, table: &Table, block: u32, who: &Reader<'_>, out: &mut Vec<Vec<Datum>>) -> Result<()> {
        let desc = table.desc();
        let mut error = None;
        self.table_heap(table).scan_block(block, |_, t| {
            if error.is_some() {
                return;
            }
            let visible = match self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid) {
                Ok(v) => v,
                Err(e) => {
                    error = Some(e);
                    return;
                }
            };
            if !visible {
                return;
            }
            match self.decode_row(table, &desc, t) {
                Ok(row) => out.push(row),
                Err(e) => error = Some(e),
            }
        })?;
        error.map_or(Ok(()), Err)
    }

    /// Decode the visible rows of one block of a table, from line pointer
    /// `from` on, into column builders (and their headers into `headers`),
    /// adding their values' sizes to `bytes`; how many rows, and where to
    /// go on in this block if it stopped because `bytes` reached
    /// [`BATCH_BYTES`]. Values stored out of line are read while the
    /// block's page is share-locked (main page, then TOAST pages: see
    /// `storage/heap/toast.rs`).
    #[allow(clippy::too_many_arguments)]
    pub fn scan_block_into(
        &self,
        table: &Table,
        decoder: &BlockDecoder,
        block: u32,
        from: u16,
        who: &Reader<'_>,
        builders: &mut [crate::sql::batch::ColumnBuilder],
        mut headers: Option<&mut crate::sql::exec::RowHeaders>,
        bytes: &mut usize,
    ) -> Result<(usize, Option<u16>)> {
        let BlockDecoder { desc, layout } = decoder;
        let toaster = self.toaster(table);
        // A serializable reader locked the whole relation before the scan
        // ([`Catalog::serial_lock_relation`]).
        let serial = self.serial_reader(table, who);
        let mut writers = Vec::new();
        let mut rows = 0;
        let mut stopped = None;
        let mut memo = crate::txn::CommitMemo::default();
        let heap = self.table_heap(table);
        let (scanned, prune_hint) = heap.with_block(block, |tuples, all_visible| -> Result<()> {
            // Visible tuples without NULLs wait in `run` to be decoded a
            // column at a time; any other is decoded alone, after the run.
            let mut run: Vec<&[u8]> = Vec::with_capacity(tuples.size_hint().1.unwrap_or(0));
            for (tid, t) in tuples {
                if tid.offset < from {
                    continue;
                }
                let visible =
                    all_visible || self.txns.tuple_visible_memo(t, who.snapshot, who.xid, who.cid, &mut memo)?;
                if serial.is_some() {
                    self.serial_examined(who, t, visible, &mut writers)?;
                }
                if !visible {
                    continue;
                }
                let h = Header(t);
                if h.has_toasted() && *bytes > 0 && *bytes + Self::values_size(desc, t) > BATCH_BYTES {
                    stopped = Some(tid.offset);
                    break;
                }
                if layout.fits(&h, desc.attrs.len()) {
                    run.push(t);
                } else {
                    *bytes += layout.push_run(&toaster, desc, &run, builders)?;
                    run.clear();
                    *bytes += Self::push_tuple(&toaster, desc, t, builders)?;
                }
                if let Some(h) = headers.as_mut() {
                    h.push(tid, t);
                }
                rows += 1;
            }
            *bytes += layout.push_run(&toaster, desc, &run, builders)?;
            Ok(())
        })?;
        scanned?;
        if let Some(id) = serial {
            self.serial_conflicts_out(id, &writers)?;
        }
        if from <= 1 {
            self.prune_if_due(table, block, prune_hint)?;
        }
        Ok((rows, stopped))
    }

    /// Decode the version of the row at index entry `tid` (following its
    /// HOT chain) that `who` sees into column builders (and its header
    /// into `headers`), adding its values' sizes to `bytes`; whether there
    /// was one. `entry` is the index and the entry's key: a version
    /// reached through a chain of several must have that key (an index
    /// built after the chain grew has an entry per key the chain holds).
    #[allow(clippy::too_many_arguments)]
    pub fn fetch_visible_into(
        &self,
        table: &Table,
        desc: &TupleDesc,
        tid: Tid,
        who: &Reader<'_>,
        entry: (&Index, &[u8]),
        builders: &mut [crate::sql::batch::ColumnBuilder],
        mut headers: Option<&mut crate::sql::exec::RowHeaders>,
        bytes: &mut usize,
    ) -> Result<bool> {
        let mut found = None;
        let serial = self.serial_reader(table, who);
        let mut writers = Vec::new();
        let hint = self.table_heap(table).fetch_chain(tid, |at, t, multi| {
            let visible = self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid)?;
            if serial.is_some() {
                self.serial_examined(who, t, visible, &mut writers)?;
            }
            if !visible {
                return Ok(false);
            }
            // Only one version of a row is visible; if its key is not this
            // entry's, another entry stands for it.
            if !multi || self.index_key_of(table, desc, entry.0, t)?.as_deref() == Some(entry.1) {
                // The SIREAD lock is taken while the page is still
                // share-locked: before a writer can change the version
                // (see catalog/serial.rs).
                if let Some(id) = serial {
                    self.txns.serial.lock(id, table.oid, crate::txn::predicate::Target::Tuple(at.block, at.offset))?;
                }
                *bytes += Self::push_tuple(&self.toaster(table), desc, t, builders)?;
                if let Some(h) = headers.as_mut() {
                    h.push(at, t);
                }
                found = Some(at);
            }
            Ok(true)
        })?;
        if let Some(id) = serial {
            self.serial_conflicts_out(id, &writers)?;
        }
        self.prune_if_due(table, tid.block, hint)?;
        Ok(found.is_some())
    }

    /// Prune a page a reader has just left, if its prune hint (see
    /// `Heap::prune_hint`) says it is short of room
    /// with versions old enough: PostgreSQL's heap_page_prune_opt, from
    /// the header the reader read anyway.
    fn prune_if_due(&self, table: &Table, block: u32, hint: Option<u64>) -> Result<()> {
        if let Some(hint) = hint {
            let horizon = self.txns.horizon();
            if hint < horizon {
                self.vacuum_page(table, block, horizon, false)?;
            }
        }
        Ok(())
    }

    /// The key a version of a row of `table` has in `index`.
    /// `None` when the version has no entry (a partial index's predicate
    /// does not hold for it).
    pub(crate) fn index_key_of(
        &self,
        table: &Table,
        desc: &TupleDesc,
        index: &Index,
        t: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        let mut wanted = vec![false; table.columns.len()];
        index.columns_read().into_iter().for_each(|c| wanted[c] = true);
        let values = self.decode_columns(table, desc, t, Some(&wanted))?;
        Ok(if index.covers(&values)? { Some(index.key(&values)?) } else { None })
    }

    /// The system columns of the tuple version at `tid` (see
    /// [`crate::sql::exec::system_values`]).
    pub fn system_values(&self, table: &Table, tid: Tid) -> Result<Vec<Datum>> {
        let t = self.table_heap(table).fetch(tid)?.ok_or_else(|| Error::internal("row vanished"))?;
        Ok(crate::sql::exec::system_values(tid, &t, table.oid))
    }

    /// The values of the tuple version at `tid`.
    pub fn fetch_row(&self, table: &Table, tid: Tid) -> Result<Vec<Datum>> {
        let t = self.table_heap(table).fetch(tid)?.ok_or_else(|| Error::internal("row vanished"))?;
        self.decode_row(table, &table.desc(), &t)
    }

    /// Replace the row at `tid` by a new version of `values` (see
    /// [`RowChange`]).
    pub fn update_row(
        &self,
        table: &Table,
        desc: &TupleDesc,
        tid: Tid,
        values: &[Datum],
        xid: u64,
        cid: u32,
    ) -> Result<RowChange> {
        // Out-of-line values left as they were stay where they are; the
        // others' lives end with this update (see storage/heap/toast.rs).
        // A new version stored whole keeps none, and learns the old one's
        // from the update's own read of it.
        let inline = table.toast.is_none() || Self::fits_inline(desc, values);
        let (kept, old_pointers) = match inline {
            true => (Vec::new(), Vec::new()),
            false => self.unchanged_values(table, desc, tid, values)?,
        };
        let old_pointers = std::cell::RefCell::new(old_pointers);
        let mut tuple = Vec::new();
        let stored = self.form_row_keeping(table, desc, values, &kept, xid, cid, &mut tuple)?;
        let refused = std::cell::Cell::new(None);
        // A HOT update when no indexed column changes — key columns, and
        // the columns partial indexes' predicates read (compared as stored:
        // a compressed or out-of-line value counts as changed).
        let new_values = deform_stored(desc, &tuple);
        // An update that changes no key column (of a unique index that is
        // not partial) holds the row FOR NO KEY UPDATE only (see
        // txn/rowlock.rs).
        let same = |old: &[Option<Stored<'_>>], c: usize| match (&old[c], &new_values[c]) {
            (None, None) => true,
            (Some(Stored::Plain(a)), Some(Stored::Plain(b))) => a == b,
            _ => false,
        };
        let mode = |old: &[u8]| {
            let old_values = deform_stored(desc, old);
            let keys = table
                .indexes
                .iter()
                .filter(|i| i.unique && i.predicate.is_none() && i.is_plain())
                .flat_map(|i| &i.columns);
            match keys.into_iter().all(|&c| same(&old_values, c)) {
                true => RowLock::NoKeyUpdate,
                false => RowLock::Update,
            }
        };
        let keep = std::cell::RefCell::new(Vec::new());
        let check = |t: &[u8]| {
            if inline && Header(t).has_toasted() {
                *old_pointers.borrow_mut() = Toaster::pointers(&deform_stored(desc, t))?;
            }
            self.change_check(t, xid, mode(t), &refused, &keep)
        };
        let stamp = |t: &[u8]| self.txns.change_stamp(&keep.borrow(), xid, mode(t));
        let hot = |old: &[u8]| -> Result<bool> {
            let old_values = deform_stored(desc, old);
            Ok(table.indexes.iter().flat_map(|i| i.each_column_read()).all(|c| same(&old_values, c)))
        };
        let how = crate::storage::heap::Update { check: &check, hot: &hot };
        let heap = self.table_heap(table);
        // No room for the new version beside the old one: the page is
        // pruned first, as VACUUM prunes it, so that it may stay there
        // (heap-only). Not by the heap alone: a version freed may be the
        // last with its key in an index built while its chain was there,
        // and that entry must go with it (see `Catalog::vacuum_page`).
        let hint = heap.prune_hint_without_room(tid.block, tuple.len())?;
        self.prune_if_due(table, tid.block, hint)?;
        let changed = heap.update_stamped(tid, xid, cid, &tuple, &how, &stamp)?;
        if changed.is_some() {
            self.serial_write_tuple(table, xid, tid)?;
            let toaster = self.toaster(table);
            for p in old_pointers.borrow().iter().filter(|p| !kept.contains(&Some(**p))) {
                toaster.kill_value(p, xid, cid)?;
            }
        }
        match changed {
            Some((new, true)) => Ok(RowChange::DoneHot(new)),
            Some((new, false)) => Ok(RowChange::Done(new)),
            None => {
                // Not stored: nothing will ever point to these values.
                let toaster = self.toaster(table);
                stored.iter().try_for_each(|p| toaster.delete_value(p))?;
                refused.get().ok_or_else(|| Error::internal("update refused without a reason"))
            }
        }
    }

    /// Vacuum one page: the versions no snapshot may see any more (dead
    /// below `horizon`) lose the index entries no version that stays
    /// shares, from their own values; then the page is pruned (see
    /// [`crate::storage::heap::hot`]), rows with no version left losing
    /// their roots. Nothing is freed while an index build on the table may
    /// hold entries this descriptor does not know of: while one is pending
    /// ([`Catalog::build_pending`]), if one started meanwhile, or if the
    /// descriptor lacks an index the table has (a statement binds before
    /// it takes its snapshot, and a reader's lock does not exclude CREATE
    /// INDEX, so a build may commit in between, and every snapshot older
    /// than it end, before the statement prunes). One pruner at a time
    /// (see [`crate::storage::heap::hot::PruneLocks`]): with `wait`, this
    /// one waits for another to finish, else it leaves the page to it.
    /// Returns versions freed and left (none left when the page was left).
    fn vacuum_page(&self, table: &Table, block: u32, horizon: u64, wait: bool) -> Result<(usize, usize)> {
        let locks = &self.engine.prune_locks;
        let _pruning = match wait {
            true => locks.page(table.rel, block),
            false => match locks.try_page(table.rel, block) {
                Some(g) => g,
                None => return Ok((0, 0)),
            },
        };
        let desc = table.desc();
        let heap = self.table_heap(table);
        let toaster = self.toaster(table);
        let dead = |t: &[u8]| self.txns.dead_to_all(t, horizon);
        let freed = |t: &[u8]| self.free_values(&toaster, &desc, t);
        let starts = self.build_starts.load(std::sync::atomic::Ordering::SeqCst);
        if self.build_pending(table)? || !self.knows_every_index(table)? {
            return heap.prune_page(block, &dead, &[], &freed, &|| Ok(false));
        }
        let rows = heap.pruned_rows(block, &dead)?;
        if !table.indexes.is_empty() {
            // Index keys need only the indexed columns, so only those are detoasted.
            let mut indexed = vec![false; table.columns.len()];
            table.indexes.iter().flat_map(|i| i.each_column_read()).for_each(|c| indexed[c] = true);
            for row in &rows {
                self.remove_pruned_entries(table, &desc, &indexed, block, row)?;
            }
        }
        let cleaned: Vec<_> = rows.iter().filter(|r| r.kept.is_empty()).map(|r| r.root).collect();
        // Checked again under the page's lock: a build that starts now
        // reads the page only once it is pruned.
        let proceed = || {
            let started = self.build_starts.load(std::sync::atomic::Ordering::SeqCst) != starts;
            Ok(!started && !self.build_pending(table)?)
        };
        heap.prune_page(block, &dead, &cleaned, &freed, &proceed)
    }

    /// Remove the entries of `row`'s versions that go, in every index of
    /// `table`, unless a version that stays has the same key. Versions of
    /// one HOT chain share their keys, except in an index built while the
    /// chain was there: that got an entry per key (see
    /// [`Catalog::build_index`]), and each must go with the last version
    /// holding its key, or it would outlive the row's root and lead to
    /// whatever row reuses it.
    fn remove_pruned_entries(
        &self,
        table: &Table,
        desc: &TupleDesc,
        indexed: &[bool],
        block: u32,
        row: &crate::storage::heap::PrunedRow,
    ) -> Result<()> {
        let decode = |t: &Vec<u8>| self.decode_columns(table, desc, t, Some(indexed));
        let kept = row.kept.iter().map(decode).collect::<Result<Vec<_>>>()?;
        let mut gone = row.gone.iter().map(decode).collect::<Result<Vec<_>>>()?;
        // Versions equal in every indexed column to one that stays have its keys.
        gone.retain(|v| !kept.contains(v));
        gone.dedup();
        let tid = Tid { block, offset: row.root };
        for index in &table.indexes {
            let mut kept_keys = Vec::with_capacity(kept.len());
            for v in &kept {
                if index.covers(v).unwrap_or(true) {
                    kept_keys.push(index.key(v)?);
                }
            }
            let mut removed: Vec<Vec<u8>> = Vec::new();
            for v in &gone {
                // A row a partial index leaves out has no entry there
                // (one whose predicate cannot be evaluated is looked for).
                if !index.covers(v).unwrap_or(true) {
                    continue;
                }
                let key = index.key(v)?;
                if kept_keys.contains(&key) || removed.contains(&key) {
                    continue;
                }
                self.btree(index).delete(0, &key, tid)?;
                removed.push(key);
            }
        }
        Ok(())
    }

    /// Whether an index build on `table` may have entries that a pruner
    /// could not find: its transaction is still running (its index known
    /// to no one else), or has committed but not yet invalidated the
    /// cached descriptors (see [`Catalog::settle_builds`]), so that one
    /// read now may still lack the index. Such a pruner must free
    /// nothing: the build may have given a version it would free an
    /// entry, and a freed root is reused by other rows. (PostgreSQL's
    /// pruning leaves dead roots to VACUUM, which conflicts with CREATE
    /// INDEX; here pruning removes index entries itself, so it must know
    /// every index.) Builds found aborted are forgotten.
    fn build_pending(&self, table: &Table) -> Result<bool> {
        let Some(builds) = self.index_builds.get(&table.oid).map(|b| b.clone()) else { return Ok(false) };
        let mut aborted = Vec::new();
        for &(xid, _) in &builds {
            if self.txns.aborted(xid)? {
                aborted.push(xid);
            }
        }
        if aborted.is_empty() {
            return Ok(true);
        }
        if let Some(mut b) = self.index_builds.get_mut(&table.oid) {
            b.retain(|(xid, _)| !aborted.contains(xid));
        }
        self.index_builds.remove_if(&table.oid, |_, b| b.is_empty());
        Ok(aborted.len() < builds.len())
    }

    /// Top-level transaction `top` committed and invalidated the cached
    /// descriptors: a table's descriptor read from now on knows the
    /// indexes it built, so they hold pruners off no longer.
    pub fn settle_builds(&self, top: u64) {
        self.index_builds.retain(|_, builds| {
            builds.retain(|&(_, t)| t != top);
            !builds.is_empty()
        });
    }

    /// Whether descriptor `table` knows every index the table has as last
    /// committed. Asked once no build is pending
    /// ([`Catalog::build_pending`]), so that the committed descriptor is
    /// not older than any build.
    fn knows_every_index(&self, table: &Table) -> Result<bool> {
        let Some(now) = self.cached_in(Some(table.namespace), &table.name, None)? else { return Ok(false) };
        Ok(now.oid == table.oid && now.indexes.iter().all(|i| table.indexes.iter().any(|t| t.oid == i.oid)))
    }

    /// A dead version's storage goes (pruned): so do the out-of-line
    /// values whose life its deletion or update ended (marked by the same
    /// transaction and command, see [`Toaster::kill_value`]). Values it
    /// carried on to a newer version stay; so do those of a version whose
    /// insert aborted (it may have carried them on from a version that
    /// stays; its own new values go with their aborted inserter, see
    /// [`Toaster::vacuum_orphans`]).
    fn free_values(&self, toaster: &Toaster<'_>, desc: &TupleDesc, t: &[u8]) -> Result<()> {
        let h = Header(t);
        if !h.has_toasted() || self.txns.inserter_aborted(t)? {
            return Ok(());
        }
        let Some(change) = self.txns.updater(&h)?.map(|x| (x, h.cid())) else { return Ok(()) };
        for pointer in Toaster::pointers(&deform_stored(desc, t))? {
            if toaster.killed_by(&pointer)? == Some(change) {
                toaster.delete_value(&pointer)?;
            }
        }
        Ok(())
    }

    /// Whether a value of the `wanted` columns of row version `t` was
    /// stored out of line and is gone. That happens to a version deleted
    /// by a committed transaction whose successor, the version that ended
    /// the value's life, VACUUM removed first (deleters' ids need not be
    /// in commit order): no snapshot sees either, but readers of every
    /// version (index builds) must pass it over.
    pub(crate) fn values_freed(
        &self,
        toaster: &Toaster<'_>,
        desc: &TupleDesc,
        t: &[u8],
        wanted: &[bool],
    ) -> Result<bool> {
        if !Header(t).has_toasted() {
            return Ok(false);
        }
        for (i, v) in deform_stored(desc, t).iter().enumerate() {
            if let (Some(Stored::External(b)), Some(true)) = (v, wanted.get(i)) {
                if !toaster.value_exists(&ToastPointer::decode(b)?)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The out-of-line values of the version at `tid` (before it is deleted).
    fn toasted_values(&self, table: &Table, tid: Tid) -> Result<Vec<ToastPointer>> {
        if table.toast.is_none() {
            return Ok(Vec::new());
        }
        match self.table_heap(table).fetch(tid)? {
            Some(t) if Header(&t).has_toasted() => Toaster::pointers(&deform_stored(&table.desc(), &t)),
            _ => Ok(Vec::new()),
        }
    }

    /// Delete the row at `tid` (see [`RowChange`]).
    pub fn delete_row(&self, table: &Table, tid: Tid, xid: u64, cid: u32) -> Result<RowChange> {
        let refused = std::cell::Cell::new(None);
        let keep = std::cell::RefCell::new(Vec::new());
        let check = |t: &[u8]| self.change_check(t, xid, RowLock::Update, &refused, &keep);
        let stamp = |_: &[u8]| Ok(self.txns.change_stamp(&keep.borrow(), xid, RowLock::Update)?.0);
        let values = self.toasted_values(table, tid)?;
        if self.table_heap(table).delete_stamped(tid, xid, cid, &check, &stamp)? {
            self.serial_write_tuple(table, xid, tid)?;
            // The row's out-of-line values end with it.
            let toaster = self.toaster(table);
            values.iter().try_for_each(|p| toaster.kill_value(p, xid, cid))?;
            Ok(RowChange::Done(tid))
        } else {
            refused.get().ok_or_else(|| Error::internal("delete refused without a reason"))
        }
    }

    /// Lock the row at `tid` for `xid` (`FOR UPDATE`; see [`RowChange`]).
    pub fn lock_row(&self, table: &Table, tid: Tid, xid: u64) -> Result<RowChange> {
        self.lock_row_as(table, tid, xid, RowLock::Update)
    }

    /// Lock the row at `tid` for `xid` with strength `mode` (see
    /// [`RowChange`]). Other transactions may hold it too, in ways that do
    /// not conflict. When a running transaction that does not conflict
    /// updated it, its newer versions are locked as well (so that the
    /// lock outlives that update).
    pub fn lock_row_as(&self, table: &Table, mut tid: Tid, xid: u64, mode: RowLock) -> Result<RowChange> {
        let heap = self.table_heap(table);
        let first = tid;
        loop {
            let refused = std::cell::Cell::new(None);
            let keep = std::cell::RefCell::new(Vec::new());
            // The stamp is made while checking (a multixact is created
            // only once the lock is sure to be taken).
            let made = std::cell::Cell::new(None);
            let check = |t: &[u8]| {
                if !self.change_check(t, xid, mode, &refused, &keep)? {
                    return Ok(false);
                }
                match self.txns.lock_stamp(&keep.borrow(), xid, mode)? {
                    Some(stamp) => {
                        made.set(Some(stamp));
                        Ok(true)
                    }
                    // Already held at least as strongly.
                    None => {
                        refused.set(Some(RowChange::Done(tid)));
                        Ok(false)
                    }
                }
            };
            let stamp = |_: &[u8]| made.get().ok_or_else(|| Error::internal("row lock without a stamp"));
            let locked = heap.lock_stamped(tid, xid, &check, &stamp)?;
            let result = if locked {
                RowChange::Done(tid)
            } else {
                refused.get().ok_or_else(|| Error::internal("row lock refused without a reason"))?
            };
            if tid != first && result != RowChange::Done(tid) {
                // A newer version: locked as far as it could be.
                return Ok(match result {
                    RowChange::Wait(x) => RowChange::Wait(x),
                    _ => RowChange::Done(first),
                });
            }
            if !matches!(result, RowChange::Done(_)) {
                return Ok(result);
            }
            // A running updater that did not conflict: lock its version too.
            let updated = keep.borrow().iter().any(|m| m.status.is_update());
            if !updated {
                return Ok(RowChange::Done(first));
            }
            let Some(t) = heap.fetch(tid)? else { return Ok(RowChange::Done(first)) };
            let h = crate::storage::heap::tuple::Header(&t);
            if h.ctid() == tid {
                return Ok(RowChange::Done(first));
            }
            tid = h.ctid();
        }
    }

    /// How the version at `tid` stands to `who` (an INSERT … ON CONFLICT
    /// that met it): see [`VersionSeen`].
    pub fn version_seen(&self, table: &Table, tid: Tid, who: &Reader<'_>) -> Result<VersionSeen> {
        let t = self.table_heap(table).fetch(tid)?.ok_or_else(|| Error::internal("row vanished"))?;
        let h = Header(&t);
        let own = self.txns.is_mine(h.xmin(), who.xid);
        Ok(VersionSeen {
            own,
            this_command: own && h.cid() >= who.cid,
            visible: self.txns.tuple_visible(&t, who.snapshot, who.xid, who.cid)?,
        })
    }

    /// Under the page lock: may `xid` take this version with strength
    /// `mode`? If so, `keep` gets the holders that stay; if not, why.
    fn change_check(
        &self,
        t: &[u8],
        xid: u64,
        mode: RowLock,
        refused: &std::cell::Cell<Option<RowChange>>,
        keep: &std::cell::RefCell<Vec<crate::txn::multixact::Member>>,
    ) -> Result<bool> {
        let why = match self.txns.row_check(t, xid, mode)? {
            RowCheck::Free(holders) => {
                *keep.borrow_mut() = holders;
                return Ok(true);
            }
            RowCheck::SelfModified => RowChange::SelfModified,
            RowCheck::BeingModified(x) => RowChange::Wait(x),
            RowCheck::Modified => {
                let h = crate::storage::heap::tuple::Header(t);
                let updated = h.infomask() & crate::storage::heap::tuple::UPDATED != 0;
                RowChange::Modified { newer: updated.then(|| h.ctid()) }
            }
        };
        refused.set(Some(why));
        Ok(false)
    }

    /// The newest version of the row whose version at `tid` was changed by
    /// committed transactions (following the update chain): its address
    /// and values, `None` if the row was deleted, or `Err(Wait)` … as a
    /// [`RowChange::Wait`] when a transaction is still changing it.
    pub fn newest_version(&self, table: &Table, tid: Tid, xid: u64) -> Result<NewestVersion> {
        self.newest_version_as(table, tid, xid, RowLock::Update)
    }

    /// [`Catalog::newest_version`] for a change or lock of strength `mode`
    /// (only a holder that conflicts with it is waited for).
    pub fn newest_version_as(&self, table: &Table, mut tid: Tid, xid: u64, mode: RowLock) -> Result<NewestVersion> {
        let desc = table.desc();
        loop {
            let Some(t) = self.table_heap(table).fetch(tid)? else { return Ok(NewestVersion::Gone) };
            match crate::txn::TransactionManager::as_update_check(self.txns.row_check(&t, xid, mode)?) {
                crate::txn::UpdateCheck::Free => return Ok(NewestVersion::At(tid, self.decode_row(table, &desc, &t)?)),
                crate::txn::UpdateCheck::SelfModified => return Ok(NewestVersion::Gone),
                crate::txn::UpdateCheck::BeingModified(x) => return Ok(NewestVersion::Wait(x)),
                crate::txn::UpdateCheck::Modified => {
                    let h = crate::storage::heap::tuple::Header(&t);
                    if h.infomask() & crate::storage::heap::tuple::UPDATED == 0 || h.ctid() == tid {
                        return Ok(NewestVersion::Gone);
                    }
                    tid = h.ctid();
                }
            }
        }
    }

    /// Wait until transaction `xid` has ended (see
    /// [`TransactionManager::wait_for`]).
    pub fn wait_for_transaction(&self, pid: i32, xid: u64, interrupted: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        self.txns.wait_for(pid, xid, interrupted)
    }

    /// Wait until the holder `xid` of a row lock that transaction `me`
    /// wants has ended or is committing (see
    /// [`TransactionManager::wait_for_row_holder`]).
    pub fn wait_for_row_holder(
        &self,
        pid: i32,
        me: u64,
        xid: u64,
        interrupted: &mut dyn FnMut() -> Result<()>,
    ) -> Result<()> {
        self.txns.wait_for_row_holder(pid, me, xid, interrupted)
    }

    pub fn nblocks(&self, table: &Table) -> Result<u32> {
        self.table_heap(table).nblocks()
    }
}

thread_local! {
    /// The key being looked up in the table cache: built here so a hit
    /// allocates nothing.
    static CACHE_KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The key under which the table cache keeps a name (see [`cache_key`]).
pub fn table_cache_key(namespace: Option<u32>, name: &str, path: Option<&[u32]>) -> String {
    let mut key = String::new();
    cache_key(&mut key, namespace, name, path);
    key
}

/// The key of a name in the table cache, into `key`: the bare name, `n.name`
/// for a schema-qualified one, `[a, b]|name` for one found through search
/// path `[a, b]`.
fn cache_key(key: &mut String, namespace: Option<u32>, name: &str, path: Option<&[u32]>) {
    use std::fmt::Write;
    key.clear();
    match (namespace, path) {
        (None, None) => {}
        (None, Some(path)) => {
            key.push('[');
            for (i, n) in path.iter().enumerate() {
                if i > 0 {
                    key.push_str(", ");
                }
                let _ = write!(key, "{n}");
            }
            key.push_str("]|");
        }
        (Some(n), _) => {
            let _ = write!(key, "{n}.");
        }
    }
    key.push_str(name);
}
