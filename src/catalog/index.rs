//! Indexes in the catalog: `pg_index` rows (see [`super::system::PG_INDEX`]), the
//! [`Index`] description the executor uses, and keeping index entries in
//! step with the heap — new entries for every new tuple version, with the
//! uniqueness check of unique indexes.
//!
//! Every tuple version gets its own entries (there are no heap-only
//! updates yet), so an index scan finds each version through its own entry
//! and checks its visibility at the heap.

use std::sync::Arc;

use crate::error::{Error, Result, SqlState};
use crate::sql::expr::{EvalContext, Expr};
use crate::sql::types::Datum;
use crate::storage::btree::{BTree, IndexEntry, InsertOutcome, UniqueCheck};
use crate::storage::heap::Tid;
use crate::storage::smgr::RelFileLocator;
use crate::txn::Snapshot;
use crate::{err, txn};

use super::keycode::{self, KeyOrder};
use super::{Catalog, Table};

/// An index on a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Index {
    pub oid: u32,
    pub name: String,
    pub rel: RelFileLocator,
    /// The indexed columns: positions in the table's column list;
    /// [`EXPR_KEY`] where the key part is an expression.
    pub columns: Vec<usize>,
    /// The expressions of an expression index's key parts, where `Some`
    /// (empty: every part is a column).
    pub exprs: Vec<Option<Arc<Predicate>>>,
    pub orders: Vec<KeyOrder>,
    /// INCLUDE columns (positions in the table's column list): not part
    /// of the key, stored in the leaf entries after it (see
    /// [`Index::include_payload`]) for index-only scans to return.
    pub include: Vec<usize>,
    pub unique: bool,
    pub primary: bool,
    /// It implements a PRIMARY KEY or UNIQUE constraint, and goes only
    /// with the constraint.
    pub constraint: bool,
    /// The constraint's deferral: a deferrable one's index takes a
    /// duplicate key and has it checked again later.
    pub deferral: super::Deferral,
    /// Its table is UNLOGGED, and so is it.
    pub unlogged: bool,
    /// A partial index's predicate: only rows for which it is true have
    /// entries.
    pub predicate: Option<Arc<Predicate>>,
    /// `pg_index.indisvalid`: it has an entry for every row a query may
    /// see, so the planner may use it. False while CREATE INDEX
    /// CONCURRENTLY builds it (and after such a build failed), and once
    /// DROP INDEX CONCURRENTLY has begun.
    pub valid: bool,
    /// `pg_index.indisready`: writers put their rows' entries into it
    /// (and check its uniqueness). False in the first phase of CREATE
    /// INDEX CONCURRENTLY and the last of DROP INDEX CONCURRENTLY.
    pub ready: bool,
}

/// The `columns` entry of a key part that is an expression.
pub const EXPR_KEY: usize = usize::MAX;

/// An expression over a table's rows stored with an index: a partial
/// index's predicate (the text `pg_index.indpred` holds, as
/// `pg_get_indexdef` prints it after `WHERE`) or a key part of an
/// expression index (one of `pg_index.indexprs`), bound over the table's
/// columns.
#[derive(Clone, Debug)]
pub struct Predicate {
    pub text: String,
    pub expr: Expr,
    /// The columns it reads.
    pub columns: Vec<usize>,
}

impl PartialEq for Predicate {
    fn eq(&self, other: &Predicate) -> bool {
        self.text == other.text
    }
}

impl Predicate {
    /// Bind the stored `text` over the columns of `table` (named `name`).
    pub fn bind(text: &str, name: &str, columns: &[super::Column]) -> Result<Predicate> {
        let expr = crate::sql::binder::bind_index_predicate(text, name, columns)?;
        Ok(Predicate::of(text.to_string(), expr))
    }

    /// Bind the stored text of an index key expression over the columns
    /// of `table` (named `name`).
    pub fn bind_key(text: &str, name: &str, columns: &[super::Column]) -> Result<Predicate> {
        let expr = crate::sql::binder::bind_index_expression(text, name, columns)?;
        // Kept as PostgreSQL prints it, whatever the spelling it came as.
        Ok(Predicate::of(crate::sql::binder::predicate_text(&expr, columns), expr))
    }

    fn of(text: String, expr: Expr) -> Predicate {
        Predicate { columns: expr.columns_read(), text, expr }
    }

    /// Whether the row `values` (in table column order) satisfies it
    /// (NULL counts as false).
    pub fn holds(&self, values: &[Datum]) -> Result<bool> {
        Ok(matches!(self.value(values)?, Datum::Bool(true)))
    }

    /// Its value for the row `values` (in table column order).
    pub fn value(&self, values: &[Datum]) -> Result<Datum> {
        let mut cx = RowContext { values };
        crate::sql::expr::eval(&self.expr, &mut cx)
    }
}

/// Evaluation over one stored row: an index predicate reads only the
/// row's columns and immutable functions.
struct RowContext<'a> {
    values: &'a [Datum],
}

impl EvalContext for RowContext<'_> {
    fn param(&self, _index: usize) -> &Datum {
        &Datum::Null
    }
    fn column(&self, index: usize) -> &Datum {
        self.values.get(index).unwrap_or(&Datum::Null)
    }
    fn current_setting(&self, name: &str, _missing_ok: bool) -> Result<Option<String>> {
        Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "setting \"{name}\" is not readable in an index predicate"))
    }
    fn set_config(&mut self, name: &str, _value: &str, _is_local: bool) -> Result<String> {
        Err(err!(SqlState::FEATURE_NOT_SUPPORTED, "setting \"{name}\" cannot be changed in an index predicate"))
    }
    fn check_interrupts(&self) -> Result<()> {
        Ok(())
    }
    fn backend_pid(&self) -> i32 {
        0
    }
    fn extra_float_digits(&self) -> i32 {
        1
    }
}

impl Index {
    /// Whether the row `values` has entries in this index: every row,
    /// or for a partial index those its predicate holds for.
    pub fn covers(&self, values: &[Datum]) -> Result<bool> {
        match &self.predicate {
            None => Ok(true),
            Some(p) => p.holds(values),
        }
    }

    /// The table columns the index reads: its key's (columns and the
    /// columns its expressions read), its INCLUDE columns and its
    /// predicate's.
    pub fn columns_read(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for c in self.each_column_read() {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// As [`Index::columns_read`], without allocating (a column may come
    /// more than once).
    pub fn each_column_read(&self) -> impl Iterator<Item = usize> + '_ {
        let exprs = self.exprs.iter().flatten().map(|e| &e.columns);
        let lists = exprs.chain([&self.include]).chain(self.predicate.iter().map(|p| &p.columns));
        self.columns.iter().copied().filter(|&c| c != EXPR_KEY).chain(lists.flatten().copied())
    }

    /// Whether an index-only scan can return the table columns `needed`
    /// from this index's entries: each is an INCLUDE column (of any type:
    /// they are stored as the heap stores them), or a key column where
    /// every key part is a column (PostgreSQL returns no expression values
    /// either) whose type reads back from its key encoding
    /// ([`keycode::decodable`]; the parts are read in order).
    pub fn can_return(&self, table: &Table, needed: &[usize]) -> bool {
        let keys = self.keys_decodable(table);
        needed.iter().all(|c| self.include.contains(c) || (keys && self.columns.contains(c)))
    }

    /// Whether the key's values read back from its encoding: every part is
    /// a column of a [`keycode::decodable`] type.
    pub fn keys_decodable(&self, table: &Table) -> bool {
        self.is_plain()
            && self.columns.iter().all(|&c| table.columns.get(c).is_some_and(|col| keycode::decodable(col.ty)))
    }

    /// The INCLUDE payload of a row's entry (`values` in table column
    /// order): for each INCLUDE column in turn, a flag byte (0: NULL, 1: a
    /// value), then a value's length (u32, little-endian) and its bytes as
    /// the heap stores them ([`Datum::storage_bytes`], uncompressed). Any
    /// type reads back from this, decodable key encoding or not. Empty for
    /// an index without INCLUDE columns.
    pub fn include_payload(&self, values: &[Datum]) -> Vec<u8> {
        let mut out = Vec::new();
        self.include_into(values, &mut out);
        out
    }

    /// [`Index::include_payload`], appended to `out`.
    pub fn include_into(&self, values: &[Datum], out: &mut Vec<u8>) {
        for &c in &self.include {
            match values.get(c) {
                None | Some(Datum::Null) => out.push(0),
                Some(v) => {
                    let b = v.storage_bytes();
                    out.push(1);
                    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                    out.extend_from_slice(&b);
                }
            }
        }
    }

    /// Read an entry's INCLUDE payload (see [`Index::include_payload`])
    /// into `values` (in table column order).
    pub fn read_include(&self, table: &Table, mut payload: &[u8], values: &mut [Datum]) -> Result<()> {
        let bad =
            || err!(SqlState::DATA_CORRUPTED, "index \"{}\" has an entry with a malformed INCLUDE payload", self.name);
        for &c in &self.include {
            let (&flag, rest) = payload.split_first().ok_or_else(bad)?;
            payload = rest;
            if flag == 0 {
                values[c] = Datum::Null;
                continue;
            }
            let len = payload.get(..4).ok_or_else(bad)?;
            let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
            let bytes = payload.get(4..4 + len).ok_or_else(bad)?;
            values[c] = Datum::from_storage(table.columns[c].ty, bytes)?;
            payload = &payload[4 + len..];
        }
        Ok(())
    }

    /// Whether every key part is a plain column (what constraints,
    /// foreign keys and ON CONFLICT column lists can use).
    pub fn is_plain(&self) -> bool {
        self.exprs.iter().all(Option::is_none)
    }

    /// Key part `i`'s value for the row `values` (in table column order).
    fn part<'v>(&self, i: usize, values: &'v [Datum]) -> Result<std::borrow::Cow<'v, Datum>> {
        Ok(match self.exprs.get(i).and_then(Option::as_ref) {
            Some(e) => std::borrow::Cow::Owned(e.value(values)?),
            None => std::borrow::Cow::Borrowed(&values[self.columns[i]]),
        })
    }

    /// The key of a row (`values` in table column order). Fails only
    /// where a key expression does (`1 / a` with `a` zero).
    pub fn key(&self, values: &[Datum]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.columns.len() * 9);
        self.key_into(values, &mut out)?;
        Ok(out)
    }

    /// [`Index::key`], appended to `out`.
    pub fn key_into(&self, values: &[Datum], out: &mut Vec<u8>) -> Result<()> {
        for (i, &o) in self.orders.iter().enumerate() {
            keycode::encode(out, self.part(i, values)?.as_ref(), o);
        }
        Ok(())
    }

    /// The key of a row in an index whose parts are all columns (see
    /// [`Index::is_plain`]), as foreign keys use: it cannot fail.
    pub fn plain_key(&self, values: &[Datum]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.columns.len() * 9);
        for (&c, &o) in self.columns.iter().zip(&self.orders) {
            keycode::encode(&mut out, values.get(c).unwrap_or(&Datum::Null), o);
        }
        out
    }

    /// Whether a part of the row's key is NULL (such keys never conflict
    /// in a unique index).
    pub fn null_in_key(&self, values: &[Datum]) -> Result<bool> {
        for i in 0..self.columns.len() {
            if self.part(i, values)?.is_null() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The name of key part `i` in messages and `pg_get_indexdef`: its
    /// column, or its expression's text.
    pub fn part_name<'a>(&'a self, table: &'a Table, i: usize) -> &'a str {
        match self.exprs.get(i).and_then(Option::as_ref) {
            Some(e) => &e.text,
            None => &table.columns[self.columns[i]].name,
        }
    }

    /// `Key (a, b)=(1, 2)`, as PostgreSQL's DETAIL lines show a key.
    pub fn describe_key(&self, table: &Table, values: &[Datum]) -> String {
        let names: Vec<&str> = (0..self.columns.len()).map(|i| self.part_name(table, i)).collect();
        let vals: Vec<String> = (0..self.columns.len())
            .map(|i| match self.part(i, values) {
                Ok(v) if !v.is_null() => v.to_text(),
                _ => "null".into(),
            })
            .collect();
        format!("Key ({})=({})", names.join(", "), vals.join(", "))
    }
}

/// PostgreSQL's names for an index's columns, given each key part's
/// column name or expression text (`true`): a column's own name; for an
/// expression the function it calls (`lower`), else `expr`; numbered
/// where an earlier column has the name (`expr1`, `a1`).
pub fn index_column_names(parts: &[(&str, bool)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    for &(name, expr) in parts {
        let base = if !expr {
            name.to_string()
        } else {
            // `lower(email)`: a call prints as its name and a parenthesis;
            // `(t)::integer`: a cast is named after what it casts.
            let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            let head = name.split('(').next().unwrap_or("");
            let cast = name.strip_prefix('(').and_then(|r| r.split_once(")::")).map(|(inner, _)| inner);
            match cast {
                Some(inner) if word(inner) => inner.to_string(),
                _ if word(head) => head.to_ascii_lowercase(),
                _ => "expr".to_string(),
            }
        };
        let mut candidate = base.clone();
        let mut n = 0;
        while out.contains(&candidate) {
            n += 1;
            candidate = format!("{base}{n}");
        }
        out.push(candidate);
    }
    out
}

impl Index {
    /// The names of its columns in `pg_attribute` (see [`index_column_names`]).
    pub fn column_names(&self, table: &Table) -> Vec<String> {
        let parts: Vec<(&str, bool)> = (0..self.columns.len())
            .map(|i| (self.part_name(table, i), matches!(self.exprs.get(i), Some(Some(_)))))
            .chain(self.include.iter().map(|&c| (table.columns[c].name.as_str(), false)))
            .collect();
        index_column_names(&parts)
    }
}

/// Whether a key is taken in a unique index (see [`Catalog::key_holder`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// No other row has it.
    Free,
    /// The live version at this address has it.
    Taken(Tid),
    /// A row that a transaction still running inserted or deleted has it.
    Wait(u64),
}

/// How a speculative insertion's index entries went (see
/// [`Catalog::insert_index_entries_speculative`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speculation {
    Inserted,
    /// An arbiter index has the key already; wait for this transaction
    /// (if any) before trying again.
    Conflict(Option<u64>),
}

/// The error of a row whose key another live row already has.
pub fn unique_violation(index: &Index, table: &Table, values: &[Datum]) -> Error {
    err!(SqlState::UNIQUE_VIOLATION, "duplicate key value violates unique constraint \"{}\"", index.name)
        .with_detail(format!("{} already exists.", index.describe_key(table, values)))
        .with_table(table.namespace, &table.name)
        .with_constraint(&index.name)
}

impl Catalog {
    pub(super) fn btree(&self, index: &Index) -> BTree<'_> {
        BTree::new(&self.engine.pool, &self.engine.wal, index.rel).unlogged(index.unlogged)
    }

    /// Add the entries of the tuple version `tid` (holding `values`) to
    /// every index of `table`. A unique index first checks that no other
    /// live version has the key; when the one that has it belongs to a
    /// transaction still running, `wait` is called with its id (it returns
    /// once that transaction has ended) and the check is made again.
    ///
    /// `old` holds the values of the version an UPDATE replaced: where the
    /// key did not change, that row itself holds the key, so no other row
    /// can, and the check is skipped.
    ///
    /// The index of a deferrable constraint takes a key another row has
    /// (or may have) all the same, without waiting, and its OID is added to
    /// `deferred`: the caller has the key checked again later (at the end
    /// of the statement or of the transaction), as PostgreSQL does.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_index_entries(
        &self,
        table: &Table,
        values: &[Datum],
        old: Option<&[Datum]>,
        tid: Tid,
        xid: u64,
        wait: &mut dyn FnMut(u64) -> Result<()>,
        deferred: &mut Vec<u32>,
    ) -> Result<()> {
        for index in table.indexes.iter().filter(|i| i.ready) {
            if !index.covers(values)? {
                continue;
            }
            // The old version counts as holding the key only if it had an
            // entry itself.
            let same_key = match old {
                Some(old) => index.each_column_read().all(|c| old[c] == values[c]) && index.covers(old)?,
                None => false,
            };
            loop {
                match self.insert_index_entry(table, index, values, tid, xid, !same_key)? {
                    KeyCheck::Free => break,
                    KeyCheck::Taken(_) | KeyCheck::Wait(_) if index.deferral.deferrable => {
                        self.insert_index_entry(table, index, values, tid, xid, false)?;
                        deferred.push(index.oid);
                        break;
                    }
                    KeyCheck::Taken(_) => return Err(self.unique_violation_serial(index, table, values, xid)),
                    KeyCheck::Wait(x) => wait(x)?,
                }
            }
            // After the entry is in place (see catalog/serial.rs).
            self.serial_write_key(index, values, xid)?;
        }
        Ok(())
    }

    /// The index entries of a speculatively inserted tuple version (INSERT
    /// … ON CONFLICT, PostgreSQL's speculative insertion): as
    /// [`Catalog::insert_index_entries`], except that in the `arbiters`
    /// (index OIDs) another version with the key is not an error, nor
    /// waited for: the insertion stops, and the caller takes its version
    /// back ([`Catalog::delete_row`]; see [`crate::txn::UniqueStatus`]),
    /// waits for the transaction named, if any, and starts over.
    /// Deferrable indexes take duplicates into `deferred`, as there.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_index_entries_speculative(
        &self,
        table: &Table,
        values: &[Datum],
        tid: Tid,
        xid: u64,
        arbiters: &[u32],
        wait: &mut dyn FnMut(u64) -> Result<()>,
        deferred: &mut Vec<u32>,
    ) -> Result<Speculation> {
        for index in table.indexes.iter().filter(|i| i.ready) {
            if !index.covers(values)? {
                continue;
            }
            loop {
                match self.insert_index_entry(table, index, values, tid, xid, true)? {
                    KeyCheck::Free => break,
                    KeyCheck::Taken(_) if arbiters.contains(&index.oid) => return Ok(Speculation::Conflict(None)),
                    KeyCheck::Wait(x) if arbiters.contains(&index.oid) => return Ok(Speculation::Conflict(Some(x))),
                    // Never an arbiter (the binder refuses that).
                    KeyCheck::Taken(_) | KeyCheck::Wait(_) if index.deferral.deferrable => {
                        self.insert_index_entry(table, index, values, tid, xid, false)?;
                        deferred.push(index.oid);
                        break;
                    }
                    KeyCheck::Taken(_) => return Err(self.unique_violation_serial(index, table, values, xid)),
                    KeyCheck::Wait(x) => wait(x)?,
                }
            }
            self.serial_write_key(index, values, xid)?;
        }
        Ok(Speculation::Inserted)
    }

    /// Whether a row other than `me` holds `values`' key in unique index
    /// `index` (PostgreSQL's "dirty snapshot" view: live rows and those of
    /// transactions still running count), as `xid` sees it. Rows whose key
    /// has a NULL never conflict.
    pub fn key_holder(&self, table: &Table, index: &Index, values: &[Datum], xid: u64) -> Result<KeyCheck> {
        if !index.covers(values)? || index.null_in_key(values)? {
            return Ok(KeyCheck::Free);
        }
        self.other_key_holder(table, index, &index.key(values)?, None, xid)
    }

    /// The first row (other than the one whose index entry is `skip`)
    /// that [`Catalog::key_holder`] finds holding `key` in `index`.
    fn other_key_holder(
        &self,
        table: &Table,
        index: &Index,
        key: &[u8],
        skip: Option<Tid>,
        xid: u64,
    ) -> Result<KeyCheck> {
        let range = IndexRange {
            lower: std::ops::Bound::Included(key.to_vec()),
            upper: std::ops::Bound::Included(key.to_vec()),
            forward: true,
        };
        let mut entries = Vec::new();
        let mut after = None;
        loop {
            entries.clear();
            let more = self.index_scan(index, &range, after.as_ref(), &mut entries, 64)?;
            for e in &entries {
                if e.key.as_slice() != key || Some(e.tid) == skip {
                    continue;
                }
                match self.judge_key_holder(table, index, key, e.tid, xid)? {
                    KeyCheck::Free => {}
                    found => return Ok(found),
                }
            }
            after = entries.last().cloned();
            if !more || after.is_none() {
                return Ok(KeyCheck::Free);
            }
        }
    }

    /// Put the entry of `tid` (holding `values`) into `index`; a unique
    /// index (with `check`) first looks for another row with the key.
    pub(super) fn insert_index_entry(
        &self,
        table: &Table,
        index: &Index,
        values: &[Datum],
        tid: Tid,
        xid: u64,
        check: bool,
    ) -> Result<KeyCheck> {
        let key = index.key(values)?;
        let include = index.include_payload(values);
        let tree = self.btree(index);
        // NULLs are distinct from each other: they never conflict.
        let nulls = index.unique && index.null_in_key(values)?;
        if !index.unique || nulls || !check {
            tree.insert_with(xid, &key, &include, tid).map_err(|e| name_index_in_size_error(e, index))?;
            return Ok(KeyCheck::Free);
        }
        let mut found = KeyCheck::Free;
        let mut judge = |other: Tid| -> Result<UniqueCheck> {
            if other == tid {
                return Ok(UniqueCheck::Ok);
            }
            found = self.judge_key_holder(table, index, &key, other, xid)?;
            Ok(match found {
                KeyCheck::Free => UniqueCheck::Ok,
                KeyCheck::Taken(_) => UniqueCheck::Conflict,
                KeyCheck::Wait(x) => UniqueCheck::Wait(x),
            })
        };
        match tree.insert_unique_with(xid, &key, &include, tid, &mut judge) {
            Ok(InsertOutcome::Done) => Ok(KeyCheck::Free),
            Ok(InsertOutcome::Wait(x)) => Ok(KeyCheck::Wait(x)),
            Err(_) if matches!(found, KeyCheck::Taken(_)) => Ok(found),
            Err(e) => Err(name_index_in_size_error(e, index)),
        }
    }

    /// The check a deferrable unique index put off for the row version at
    /// `tid` (see [`Catalog::insert_index_entries`]): whether a row other
    /// than it has its key, as [`Catalog::key_holder`] judges. `Free` too
    /// when the version is gone (deleted, or updated to another key, since).
    pub fn recheck_unique(&self, table: &Table, index: &Index, tid: Tid, xid: u64) -> Result<(KeyCheck, Vec<Datum>)> {
        let values = self.fetch_row(table, tid)?;
        if !index.covers(&values)? || index.null_in_key(&values)? {
            return Ok((KeyCheck::Free, values));
        }
        let key = index.key(&values)?;
        if !matches!(self.judge_key_holder(table, index, &key, tid, xid)?, KeyCheck::Taken(_)) {
            return Ok((KeyCheck::Free, values));
        }
        Ok((self.other_key_holder(table, index, &key, Some(tid), xid)?, values))
    }

    /// What the row whose index entry points at `root` means for another
    /// row with `key`: any version of it (its HOT chain) with the key counts.
    fn judge_key_holder(&self, table: &Table, index: &Index, key: &[u8], root: Tid, xid: u64) -> Result<KeyCheck> {
        let mut outcome = KeyCheck::Free;
        let desc = table.desc();
        self.table_heap(table).fetch_chain(root, |at, t, multi| {
            // Status first: a dead version's key is never read (its values
            // stored out of line may be gone, see `Catalog::values_freed`).
            let status = self.txns.unique_status(t, xid)?;
            if matches!(status, txn::UniqueStatus::Dead)
                || (multi && self.index_key_of(table, &desc, index, t)?.as_deref() != Some(key))
            {
                return Ok(false);
            }
            match status {
                txn::UniqueStatus::Dead => Ok(false),
                txn::UniqueStatus::Live => {
                    outcome = KeyCheck::Taken(at);
                    Ok(true)
                }
                txn::UniqueStatus::InProgress(x) => {
                    outcome = KeyCheck::Wait(x);
                    Ok(true)
                }
            }
        })?;
        Ok(outcome)
    }

    /// Build `index` over the rows already in `table` (CREATE INDEX, or
    /// a constraint added to a table): every tuple version that anyone may
    /// still see gets its entry, sorted and bulk-loaded; a unique index
    /// refuses to be built over two live rows with one key.
    pub fn build_index(&self, table: &Table, index: &Index, xid: u64) -> Result<()> {
        self.build_index_over(table, index, xid, None)
    }

    /// [`Catalog::build_index`] for CREATE INDEX CONCURRENTLY, whose
    /// writers go on meanwhile: only the versions `snapshot` sees get an
    /// entry (as in PostgreSQL), so that uniqueness is judged among
    /// committed rows only, and no version that a pruner may remove
    /// (dead to everyone) gets one. The caller holds `snapshot`
    /// throughout, so that the versions indexed stay; the catch-up pass
    /// ([`Catalog::validate_index`]) adds later ones, and the caller
    /// waits for older snapshots before the index is used.
    pub fn build_index_concurrently(&self, table: &Table, index: &Index, xid: u64, snapshot: &Snapshot) -> Result<()> {
        self.build_index_over(table, index, xid, Some(snapshot))
    }

    /// Whether a build gives row version `t` an entry (`None`: not), and
    /// whether it is live (counts for uniqueness): see
    /// [`Catalog::build_index`] and [`Catalog::build_index_concurrently`].
    fn build_version_state(
        &self,
        t: &[u8],
        xid: u64,
        horizon: u64,
        snapshot: Option<&Snapshot>,
    ) -> Result<Option<bool>> {
        if let Some(snapshot) = snapshot {
            return Ok(self.txns.tuple_visible(t, snapshot, xid, 0)?.then_some(true));
        }
        Ok(match self.txns.unique_status(t, xid)? {
            // Aborted inserts and versions no snapshot can see need no
            // entry (pruning removes them); versions deleted by a committed
            // transaction may still be seen by older snapshots, so they
            // keep theirs.
            txn::UniqueStatus::Dead if self.txns.dead_to_all(t, horizon)? => None,
            txn::UniqueStatus::Dead => Some(false),
            _ => Some(true),
        })
    }

    fn build_index_over(&self, table: &Table, index: &Index, xid: u64, snapshot: Option<&Snapshot>) -> Result<()> {
        // Before the first page is read: pruners that do not know this
        // index leave the table alone from now on (see `build_pending`).
        self.index_builds.entry(table.oid).or_default().push((xid, self.txns.top_level(xid)));
        self.build_starts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let desc = table.desc();
        let horizon = self.txns.horizon();
        let toaster = self.toaster(table);
        // Only the indexed columns are decoded (and detoasted).
        let mut wanted = vec![false; table.columns.len()];
        for c in index.columns_read() {
            wanted[c] = true;
        }
        // The entries, their keys and payloads in one arena (no allocation
        // per entry: a build may make hundreds of millions).
        let mut entries: Vec<Pending> = Vec::new();
        let mut arena: Vec<u8> = Vec::new();
        let heap = self.table_heap(table);
        let mut error = None;
        let mut values = Vec::new();
        let blocks = heap.nblocks()?;
        for block in 0..blocks {
            if block == 1 {
                // As many entries to come per page as on the first.
                entries.reserve(entries.len() * (blocks - 1) as usize);
                arena.reserve(arena.len() * (blocks - 1) as usize);
            }
            // Each row's entries point at its root; a HOT chain whose
            // versions differ in this index's columns gets one entry per
            // key (readers check the key of the version they reach).
            heap.scan_chains(block, |root, versions| {
                let first = entries.len();
                for &(_, t) in versions {
                    if error.is_some() {
                        return;
                    }
                    let step = self.build_version_state(t, xid, horizon, snapshot).and_then(|live| {
                        let Some(live) = live else { return Ok(()) };
                        if !live && self.values_freed(&toaster, &desc, t, &wanted)? {
                            return Ok(());
                        }
                        self.decode_columns_into(table, &desc, t, Some(&wanted), &mut values)?;
                        if !index.covers(&values)? {
                            return Ok(());
                        }
                        let live = live && !index.null_in_key(&values)?;
                        let at = arena.len();
                        index.key_into(&values, &mut arena)?;
                        let key_len = arena.len() - at;
                        let same = entries[first..].iter().position(|e| e.key(&arena) == &arena[at..]);
                        index.include_into(&values, &mut arena);
                        match same {
                            // A later version of the chain with the key:
                            // once the earlier ones are pruned, it is the
                            // row an index-only scan reads the entry as.
                            Some(i) => {
                                let e = &mut entries[first + i];
                                e.at = at;
                                e.include_len = (arena.len() - at - key_len) as u32;
                                e.live |= live;
                            }
                            None => entries.push(Pending::new(&arena, at, key_len, root, live)),
                        }
                        Ok(())
                    });
                    if let Err(e) = step {
                        error = Some(e);
                    }
                }
            })?;
        }
        if let Some(e) = error {
            return Err(e);
        }
        entries.sort_unstable_by(|a, b| {
            a.prefix.cmp(&b.prefix).then_with(|| a.key(&arena).cmp(b.key(&arena))).then(a.tid.cmp(&b.tid))
        });
        if index.unique {
            let mut last_live: Option<&Pending> = None;
            for e in &entries {
                if !e.live {
                    continue;
                }
                if let Some(prev) = last_live.filter(|p| p.key(&arena) == e.key(&arena)) {
                    let mut values = Vec::new();
                    heap.fetch_chain(prev.tid, |_, t, _| {
                        let v = self.decode_columns(table, &desc, t, Some(&wanted))?;
                        let hit = index.key(&v)? == prev.key(&arena) && index.covers(&v)?;
                        if hit {
                            values = v;
                        }
                        Ok(hit)
                    })?;
                    return Err(err!(SqlState::UNIQUE_VIOLATION, "could not create unique index \"{}\"", index.name)
                        .with_detail(format!("{} is duplicated.", index.describe_key(table, &values)))
                        .with_table(table.namespace, &table.name)
                        .with_constraint(&index.name));
                }
                last_live = Some(e);
            }
        }
        for e in &entries {
            let len = e.key_len as usize + e.include_len as usize;
            if len > crate::storage::btree::MAX_KEY_SIZE {
                return Err(name_index_in_size_error(
                    err!(
                        SqlState::PROGRAM_LIMIT_EXCEEDED,
                        "index row size {} exceeds btree maximum, {}",
                        len,
                        crate::storage::btree::MAX_KEY_SIZE
                    ),
                    index,
                ));
            }
        }
        let arena = &arena;
        self.btree(index).build_from(xid, entries.iter().map(|e| (e.key(arena), e.tid, e.include(arena))))
    }

    /// Make `index` an empty index (its relation file just created).
    pub fn build_empty_index(&self, index: &Index, xid: u64) -> Result<()> {
        self.btree(index).build(xid, &mut std::iter::empty())
    }

    /// A mark to give [`Catalog::all_visible`], taken before an
    /// index-only scan reads a batch of index entries.
    pub fn visibility_mark(&self, table: &Table) -> u64 {
        self.engine.pool.vm_sets.mark(table.rel)
    }

    /// Whether the visibility map has page `block` of `table` all-visible,
    /// and had it so when `mark` was taken: an index-only scan then needs
    /// no look at the heap for the entries it read after the mark (rule 6
    /// of [`crate::storage::vm`]).
    pub fn all_visible(&self, table: &Table, block: u32, mark: u64) -> Result<bool> {
        if table.unlogged {
            return Ok(false);
        }
        let bits = crate::storage::vm::bits(&self.engine.pool, table.rel, block)?;
        Ok(bits & crate::storage::vm::ALL_VISIBLE != 0 && self.engine.pool.vm_sets.none_since(table.rel, mark))
    }

    /// The next entries of `index` in `range`, in index order, after
    /// `after` (the last entry of the previous call, if any): at most `max`
    /// of them are appended to `out`; `false` once the range is exhausted.
    pub fn index_scan(
        &self,
        index: &Index,
        range: &IndexRange,
        after: Option<&IndexEntry>,
        out: &mut Vec<IndexEntry>,
        max: usize,
    ) -> Result<bool> {
        use std::ops::Bound;
        let tree = self.btree(index);
        // Start again at the last key returned, and skip what was returned.
        let (lower, upper) = match (after, range.forward) {
            (Some(a), true) => (Bound::Included(a.key.clone()), range.upper.clone()),
            (Some(a), false) => (range.lower.clone(), Bound::Included(a.key.clone())),
            (None, _) => (range.lower.clone(), range.upper.clone()),
        };
        let mut cursor = tree.scan(lower, upper, range.forward);
        let start = out.len();
        let mut more = true;
        while out.len() - start < max && more {
            let before = out.len();
            more = cursor.next_batch(out, max)?;
            if let Some(a) = after {
                let mut i = before;
                while i < out.len() {
                    let e = &out[i];
                    let (at, last) = ((&e.key, e.tid), (&a.key, a.tid));
                    let seen = if range.forward { at <= last } else { at >= last };
                    if seen {
                        out.remove(i);
                    } else {
                        i += 1;
                    }
                }
            }
        }
        Ok(more)
    }
}

/// A range of an index's keys, as byte-prefix bounds (see [`keycode`]).
#[derive(Clone, Debug)]
pub struct IndexRange {
    pub lower: std::ops::Bound<Vec<u8>>,
    pub upper: std::ops::Bound<Vec<u8>>,
    pub forward: bool,
}

fn name_index_in_size_error(e: Error, index: &Index) -> Error {
    if e.code() == SqlState::PROGRAM_LIMIT_EXCEEDED {
        let msg = format!("{} for index \"{}\"", e.message(), index.name);
        Error::new(SqlState::PROGRAM_LIMIT_EXCEEDED, msg)
    } else {
        e
    }
}

/// An entry an index build has made, before sorting: its key and then
/// its INCLUDE payload are in the build's arena at `at`. `prefix` is the
/// key's first eight bytes (zero-padded, big-endian), which settle most
/// comparisons of the sort without reading the arena.
struct Pending {
    prefix: u64,
    at: usize,
    tid: Tid,
    key_len: u32,
    include_len: u32,
    /// A live row's entry with no NULL in the key (one that a unique
    /// index must not have twice).
    live: bool,
}

impl Pending {
    /// The entry whose key starts at `at`, its payload after it up to the
    /// arena's end.
    fn new(arena: &[u8], at: usize, key_len: usize, tid: Tid, live: bool) -> Pending {
        let mut head = [0u8; 8];
        let n = key_len.min(8);
        head[..n].copy_from_slice(&arena[at..at + n]);
        let include_len = arena.len() - at - key_len;
        Pending {
            prefix: u64::from_be_bytes(head),
            at,
            tid,
            key_len: key_len as u32,
            include_len: include_len as u32,
            live,
        }
    }

    fn key<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        &arena[self.at..self.at + self.key_len as usize]
    }

    fn include<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        let from = self.at + self.key_len as usize;
        &arena[from..from + self.include_len as usize]
    }
}
