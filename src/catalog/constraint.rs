//! Constraints in the catalog: `pg_constraint` rows (see
//! [`super::system::PG_CONSTRAINT`]) for PRIMARY KEY (`p`), UNIQUE (`u`) and
//! FOREIGN KEY (`f`) constraints, and the [`ForeignKey`] description the
//! executor checks rows against.
//!
//! A key constraint's row is written with its index ([`Catalog::create_index`])
//! and goes with it. A foreign key's row names the referencing table
//! (`conrelid`, columns `conkey`), the referenced one (`confrelid`, columns
//! `confkey`) and the referenced table's unique index it relies on
//! (`conindid`). A CHECK constraint's row (`c`) holds its expression as
//! SQL text in `conbin`, bound over the table's columns whenever the table
//! is loaded ([`CheckConstraint`]). A [`Table`] carries both directions: the foreign keys it
//! holds and those that reference it, read with it and cached with it, so
//! a committed `ALTER TABLE … ADD FOREIGN KEY` reaches every later
//! statement on either table through the catalog version bump.

use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::expr::{EvalContext, Expr};
use crate::sql::types::{Datum, PgType};
use crate::storage::btree::IndexEntry;
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::deform;
use crate::txn::predicate::Target;

use super::system::{self, ConstraintRow, PG_CLASS, PG_CONSTRAINT};
use super::{Catalog, Column, Reader, Table, numbers_of_array, text_of, u32_of};

/// What a foreign key does to referencing rows when the referenced key
/// goes away (`confdeltype`, `confupdtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    /// The `pg_constraint` letter.
    pub fn code(self) -> u8 {
        match self {
            FkAction::NoAction => b'a',
            FkAction::Restrict => b'r',
            FkAction::Cascade => b'c',
            FkAction::SetNull => b'n',
            FkAction::SetDefault => b'd',
        }
    }

    fn from_code(c: u8) -> FkAction {
        match c {
            b'r' => FkAction::Restrict,
            b'c' => FkAction::Cascade,
            b'n' => FkAction::SetNull,
            b'd' => FkAction::SetDefault,
            _ => FkAction::NoAction,
        }
    }
}

/// Whether a constraint's check may wait for the end of the transaction
/// (`condeferrable`), and whether it does unless told otherwise by SET
/// CONSTRAINTS (`condeferred`). Only FOREIGN KEY, UNIQUE and PRIMARY KEY
/// constraints may be deferrable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Deferral {
    pub deferrable: bool,
    pub initially_deferred: bool,
}

impl Deferral {
    /// As `pg_get_constraintdef` and psql end a constraint's definition.
    pub fn clause(self) -> &'static str {
        match (self.deferrable, self.initially_deferred) {
            (false, _) => "",
            (true, false) => " DEFERRABLE",
            (true, true) => " DEFERRABLE INITIALLY DEFERRED",
        }
    }
}

/// A FOREIGN KEY constraint: rows of `child` whose `columns` are all non-NULL
/// must match a row of `parent` in `parent_columns` (MATCH SIMPLE).
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignKey {
    /// The `pg_constraint` row's OID.
    pub oid: u32,
    pub name: String,
    pub child: u32,
    pub child_name: String,
    /// Positions in the child's column list.
    pub columns: Vec<usize>,
    pub parent: u32,
    pub parent_name: String,
    /// Positions in the parent's column list, pairwise with `columns`.
    pub parent_columns: Vec<usize>,
    /// The parent's unique index over `parent_columns`.
    pub index: u32,
    pub on_update: FkAction,
    pub on_delete: FkAction,
    pub deferral: Deferral,
}

fn decode(v: &[Option<&[u8]>]) -> ConstraintRow {
    let byte = |b: Option<&[u8]>| b.and_then(|b| b.first().copied()).unwrap_or(b' ');
    ConstraintRow {
        oid: u32_of(v[system::CON_OID]),
        name: text_of(v[system::CON_NAME]),
        namespace: u32_of(v[system::CON_NAMESPACE]),
        kind: byte(v[system::CON_TYPE]),
        relid: u32_of(v[system::CON_RELID]),
        typid: u32_of(v[system::CON_TYPID]),
        index: u32_of(v[system::CON_INDID]),
        frelid: u32_of(v[system::CON_FRELID]),
        update_action: byte(v[system::CON_UPDTYPE]),
        delete_action: byte(v[system::CON_DELTYPE]),
        key: numbers_of_array(v[system::CON_KEY], PgType::Int2).into_iter().map(|n| n as i16).collect(),
        fkey: numbers_of_array(v[system::CON_FKEY], PgType::Int2).into_iter().map(|n| n as i16).collect(),
        eq_ops: numbers_of_array(v[system::CON_PFEQOP], PgType::Oid).into_iter().map(|o| o as u32).collect(),
        check: v[system::CON_BIN].map(|b| text_of(Some(b))),
        validated: v[system::CON_VALIDATED].is_none_or(|b| b.first() != Some(&0)),
        no_inherit: v[system::CON_NOINHERIT].is_some_and(|b| b.first() == Some(&1)),
        deferral: Deferral {
            deferrable: v[system::CON_DEFERRABLE].is_some_and(|b| b.first() == Some(&1)),
            initially_deferred: v[system::CON_DEFERRED].is_some_and(|b| b.first() == Some(&1)),
        },
    }
}

/// A CHECK constraint: rows for which its expression is false are refused
/// (true and NULL pass).
#[derive(Clone, Debug)]
pub struct CheckConstraint {
    /// The `pg_constraint` row's OID.
    pub oid: u32,
    pub name: String,
    /// The expression as stored (`conbin`) and as `pg_get_constraintdef`
    /// prints it inside `CHECK (…)`.
    pub text: String,
    /// The expression bound over the table's columns.
    pub expr: Expr,
    /// The columns it reads (positions), in order.
    pub columns: Vec<usize>,
    /// False while a NOT VALID constraint is not validated.
    pub validated: bool,
    pub no_inherit: bool,
}

impl PartialEq for CheckConstraint {
    fn eq(&self, other: &CheckConstraint) -> bool {
        (self.oid, &self.name, &self.text, self.validated) == (other.oid, &other.name, &other.text, other.validated)
    }
}

impl CheckConstraint {
    /// Whether the row that `cx` evaluates columns over passes.
    pub fn passes(&self, cx: &mut dyn EvalContext) -> Result<bool> {
        Ok(!matches!(crate::sql::expr::eval(&self.expr, cx)?, Datum::Bool(false)))
    }
}

/// The row `values` of `table` as PostgreSQL shows a failing row in a
/// DETAIL: `(1, null, x)`, dropped columns left out.
pub fn failing_row(table: &Table, values: &[Datum]) -> String {
    let shown: Vec<String> = values
        .iter()
        .zip(&table.columns)
        .filter(|(_, c)| !c.dropped)
        .map(|(v, _)| if v.is_null() { "null".into() } else { v.to_text() })
        .collect();
    format!("Failing row contains ({}).", shown.join(", "))
}

/// 23514 for a row `values` of `table` that CHECK constraint `check` refuses.
pub fn check_violation(table: &Table, check: &CheckConstraint, values: &[Datum]) -> Error {
    err!(
        SqlState::CHECK_VIOLATION,
        "new row for relation \"{}\" violates check constraint \"{}\"",
        table.name,
        check.name
    )
    .with_detail(failing_row(table, values))
    .with_table(table.namespace, &table.name)
    .with_constraint(&check.name)
}

impl Catalog {
    /// The `pg_constraint` rows visible to `who` that `wanted` accepts,
    /// with their addresses.
    pub fn constraints(
        &self,
        who: &Reader<'_>,
        wanted: &dyn Fn(&ConstraintRow) -> bool,
    ) -> Result<Vec<(Tid, ConstraintRow)>> {
        let desc = PG_CONSTRAINT.desc();
        let mut out = Vec::new();
        self.scan(&PG_CONSTRAINT, who, |tid, t| {
            let row = decode(&deform(&desc, t));
            if wanted(&row) {
                out.push((tid, row));
            }
        })?;
        Ok(out)
    }

    /// Record a constraint (its OID already allocated) as transaction `xid`
    /// at command `cid`.
    pub fn add_constraint_row(&self, row: &ConstraintRow, xid: u64, cid: u32) -> Result<()> {
        self.insert_catalog_row(&PG_CONSTRAINT, &row.values(), xid, cid)?;
        if row.kind == b'f' {
            self.mark_has_triggers(row.relid, xid, cid)?;
            self.mark_has_triggers(row.frelid, xid, cid)?;
        }
        if row.kind == b'c' && row.relid != 0 {
            self.count_checks(row.relid, xid, cid)?;
        }
        Ok(())
    }

    /// Keep `pg_class.relchecks` of table `relid` equal to the number of
    /// its CHECK constraints as `xid` sees them after its command `cid`
    /// (psql's `\d` looks for CHECK constraints only when it is not 0).
    fn count_checks(&self, relid: u32, xid: u64, cid: u32) -> Result<()> {
        let snapshot = self.txns.snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: u32::MAX };
        let Some((_, rel)) = self.relation_by_oid(relid, &who)? else { return Ok(()) };
        let checks = self.constraints(&who, &|c| c.kind == b'c' && c.relid == relid)?.len() as i16;
        let old = self.heap(self.catalog_rel(&PG_CLASS)).fetch(rel.tid)?.unwrap_or_default();
        if super::i16_of(deform(&PG_CLASS.desc(), &old)[system::CLASS_RELCHECKS]) == checks {
            return Ok(());
        }
        self.update_class_row(&rel, xid, cid, &|v| v[system::CLASS_RELCHECKS] = Some(checks.to_le_bytes().to_vec()))
    }

    /// Set `pg_class.relhastriggers` of a table a foreign key starts or
    /// ends at. PostgreSQL enforces foreign keys with internal triggers on
    /// both tables and so sets the flag on both ("has, or once had,
    /// triggers"); clients read it to decide whether to look for foreign
    /// keys at all (psql's `\d` does).
    fn mark_has_triggers(&self, oid: u32, xid: u64, cid: u32) -> Result<()> {
        self.set_class_flag(oid, PG_CLASS.attno("relhastriggers"), xid, cid)
    }

    /// Delete `pg_constraint` rows (by address) as `xid` at `cid`.
    pub fn delete_constraint_rows(&self, tids: &[Tid], xid: u64, cid: u32) -> Result<()> {
        for relid in self.remove_constraint_rows(tids, xid, cid)? {
            self.count_checks(relid, xid, cid)?;
        }
        Ok(())
    }

    /// Delete `pg_constraint` rows (by address) as `xid` at `cid`, leaving
    /// `pg_class` as it is (the table goes too, or the row is replaced):
    /// the tables whose CHECK constraints were among them.
    pub(super) fn remove_constraint_rows(&self, tids: &[Tid], xid: u64, cid: u32) -> Result<Vec<u32>> {
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let heap = self.heap(self.catalog_rel(&PG_CONSTRAINT));
        let desc = PG_CONSTRAINT.desc();
        let mut checked = Vec::new();
        for &tid in tids {
            if let Some(old) = heap.fetch(tid)? {
                let row = decode(&deform(&desc, &old));
                if row.kind == b'c' && row.relid != 0 && !checked.contains(&row.relid) {
                    checked.push(row.relid);
                }
            }
            heap.delete_checked(tid, xid, cid, &check)?;
        }
        Ok(checked)
    }

    /// Whether a constraint named `name` exists on relation `relid`, or
    /// (`relid` 0) on any relation.
    pub fn constraint_exists(&self, name: &str, relid: u32, who: &Reader<'_>) -> Result<bool> {
        Ok(!self.constraints(who, &|c| c.name == name && (relid == 0 || c.relid == relid))?.is_empty())
    }

    /// Replace the `pg_constraint` row at `tid` by `row` (same OID) as
    /// `xid` at `cid`.
    pub fn replace_constraint_row(&self, tid: Tid, row: &ConstraintRow, xid: u64, cid: u32) -> Result<()> {
        self.remove_constraint_rows(&[tid], xid, cid)?;
        self.insert_catalog_row(&PG_CONSTRAINT, &row.values(), xid, cid)?;
        Ok(())
    }

    /// The CHECK constraints of table `oid` (named `name`, with
    /// `columns`), bound, in name order.
    pub(super) fn checks_of(
        &self,
        oid: u32,
        name: &str,
        columns: &[Column],
        who: &Reader<'_>,
    ) -> Result<Vec<CheckConstraint>> {
        let rows = self.constraints(who, &|c| c.kind == b'c' && c.relid == oid)?;
        let mut out = Vec::with_capacity(rows.len());
        for (_, c) in rows {
            let text = c.check.clone().unwrap_or_default();
            let expr = crate::sql::binder::bind_check_expression(&text, name, columns)?;
            out.push(CheckConstraint {
                oid: c.oid,
                name: c.name,
                columns: expr.columns_read(),
                text,
                expr,
                validated: c.validated,
                no_inherit: c.no_inherit,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// How the deferrable PRIMARY KEY and UNIQUE constraints of table
    /// `oid` are deferred, by index OID.
    pub(super) fn key_deferrals_of(&self, oid: u32, who: &Reader<'_>) -> Result<Vec<(u32, Deferral)>> {
        let rows =
            self.constraints(who, &|c| matches!(c.kind, b'p' | b'u') && c.relid == oid && c.deferral.deferrable)?;
        Ok(rows.into_iter().map(|(_, c)| (c.index, c.deferral)).collect())
    }

    /// A new OID for a constraint row.
    pub fn allocate_oid(&self) -> Result<u32> {
        self.engine.allocate_oid()
    }

    /// The foreign keys table `oid` holds, and those that reference it.
    pub(super) fn foreign_keys_of(&self, oid: u32, who: &Reader<'_>) -> Result<(Vec<ForeignKey>, Vec<ForeignKey>)> {
        let rows = self.constraints(who, &|c| c.kind == b'f' && (c.relid == oid || c.frelid == oid))?;
        let (mut holds, mut referenced) = (Vec::new(), Vec::new());
        for (_, c) in rows {
            let name_of = |rel: u32| -> Result<String> {
                Ok(self.relation_by_oid(rel, who)?.map(|(n, _)| n).unwrap_or_default())
            };
            let positions = |key: &[i16]| key.iter().map(|&a| (a - 1) as usize).collect();
            let fk = ForeignKey {
                oid: c.oid,
                name: c.name.clone(),
                child: c.relid,
                child_name: name_of(c.relid)?,
                columns: positions(&c.key),
                parent: c.frelid,
                parent_name: name_of(c.frelid)?,
                parent_columns: positions(&c.fkey),
                index: c.index,
                on_update: FkAction::from_code(c.update_action),
                on_delete: FkAction::from_code(c.delete_action),
                deferral: c.deferral,
            };
            if c.relid == oid {
                holds.push(fk.clone());
            }
            if c.frelid == oid {
                referenced.push(fk);
            }
        }
        holds.sort_by_key(|f| f.oid);
        referenced.sort_by_key(|f| f.oid);
        Ok((holds, referenced))
    }
}

impl Catalog {
    /// A snapshot taken now for session `pid` (foreign key checks read the
    /// latest committed state, as PostgreSQL's RI triggers do).
    pub fn fresh_snapshot(&self, pid: i32) -> crate::txn::Snapshot {
        self.txns.snapshot_for(pid)
    }

    /// The versions of `table`'s rows whose key in `index` is `key` (as
    /// [`super::Index::key`] encodes it) that `who` sees.
    pub fn rows_with_key(&self, table: &Table, index: &super::Index, key: &[u8], who: &Reader<'_>) -> Result<Vec<Tid>> {
        use std::ops::Bound;
        let range = super::IndexRange {
            lower: Bound::Included(key.to_vec()),
            upper: Bound::Included(key.to_vec()),
            forward: true,
        };
        // A serializable reader (a foreign key's check) locks the key's
        // range before the scan and each version it finds while its page
        // is locked, as a query would (see catalog/serial.rs).
        self.serial_lock_range(index, &range, who)?;
        let serial = self.serial_reader(table, who);
        let mut writers = Vec::new();
        let mut entries = Vec::new();
        let mut after = None;
        loop {
            let start = entries.len();
            let more = self.index_scan(index, &range, after.as_ref(), &mut entries, 64)?;
            after = entries.last().cloned().filter(|_| entries.len() > start);
            if !more || after.is_none() {
                break;
            }
        }
        let heap = self.table_heap(table);
        let desc = table.desc();
        let mut out = Vec::new();
        for IndexEntry { key: k, tid, .. } in entries {
            if k != key {
                continue;
            }
            // The version the snapshot sees, through the row's HOT chain.
            heap.fetch_chain(tid, |at, t, multi| {
                let visible = self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid)?;
                if serial.is_some() {
                    self.serial_examined(who, t, visible, &mut writers)?;
                }
                if !visible {
                    return Ok(false);
                }
                if !multi || self.index_key_of(table, &desc, index, t)?.as_deref() == Some(key) {
                    if let Some(id) = serial {
                        self.txns.serial.lock(id, table.oid, Target::Tuple(at.block, at.offset))?;
                    }
                    out.push(at);
                }
                Ok(true)
            })?;
        }
        if let Some(id) = serial {
            self.serial_conflicts_out(id, &writers)?;
        }
        Ok(out)
    }

    /// The rows of `table` visible to `who` that `wanted` accepts, with
    /// their addresses (the referencing rows a foreign key's action
    /// changes; read whole before any is changed).
    pub fn rows_where(
        &self,
        table: &Table,
        who: &Reader<'_>,
        wanted: &mut dyn FnMut(&[Datum]) -> bool,
    ) -> Result<Vec<(Tid, Vec<Datum>)>> {
        let desc = table.desc();
        let heap = self.table_heap(table);
        let mut out = Vec::new();
        // A serializable reader (a cascading action's lookup) locks the
        // relation before the scan, as a sequential scan does.
        let serial = self.serial_reader(table, who);
        if let Some(id) = serial {
            self.txns.serial.lock(id, table.oid, Target::Relation)?;
        }
        let mut writers = Vec::new();
        for block in 0..heap.nblocks()? {
            let mut error = None;
            heap.scan_block(block, |tid, t| {
                if error.is_some() {
                    return;
                }
                let step = (|| -> Result<()> {
                    let visible = self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid)?;
                    if serial.is_some() {
                        self.serial_examined(who, t, visible, &mut writers)?;
                    }
                    if visible {
                        let row = self.decode_row(table, &desc, t)?;
                        if wanted(&row) {
                            out.push((tid, row));
                        }
                    }
                    Ok(())
                })();
                if let Err(e) = step {
                    error = Some(e);
                }
            })?;
            if let Some(e) = error {
                return Err(e);
            }
        }
        if let Some(id) = serial {
            self.serial_conflicts_out(id, &writers)?;
        }
        Ok(out)
    }

    /// Scan `table` for rows visible to `who` and call `f` with the
    /// values of `columns` of each (a sequential scan: referencing rows
    /// are looked up without an index, as PostgreSQL does without one).
    pub fn scan_columns(
        &self,
        table: &Table,
        columns: &[usize],
        who: &Reader<'_>,
        f: &mut dyn FnMut(&[Datum]) -> Result<()>,
    ) -> Result<()> {
        let desc = table.desc();
        let heap = self.table_heap(table);
        let mut values = Vec::with_capacity(columns.len());
        // A serializable reader (a foreign key's check) locks the relation
        // before the scan, as a sequential scan does.
        let serial = self.serial_reader(table, who);
        if let Some(id) = serial {
            self.txns.serial.lock(id, table.oid, Target::Relation)?;
        }
        let mut writers = Vec::new();
        for block in 0..heap.nblocks()? {
            let mut error = None;
            heap.scan_block(block, |_, t| {
                if error.is_some() {
                    return;
                }
                let step = (|| -> Result<()> {
                    let visible = self.txns.tuple_visible(t, who.snapshot, who.xid, who.cid)?;
                    if serial.is_some() {
                        self.serial_examined(who, t, visible, &mut writers)?;
                    }
                    if !visible {
                        return Ok(());
                    }
                    let v = deform(&desc, t);
                    values.clear();
                    for &c in columns {
                        values.push(v[c].map_or(Ok(Datum::Null), |b| Datum::from_storage(table.columns[c].ty, b))?);
                    }
                    f(&values)
                })();
                if let Err(e) = step {
                    error = Some(e);
                }
            })?;
            if let Some(e) = error {
                return Err(e);
            }
        }
        if let Some(id) = serial {
            self.serial_conflicts_out(id, &writers)?;
        }
        Ok(())
    }
}
