//! ALTER TABLE's actions that may touch every row: ADD COLUMN with a
//! default, and ALTER COLUMN … TYPE.
//!
//! As in PostgreSQL, a column added with a default that is not volatile
//! costs no rewrite: the default is evaluated once and kept in
//! `pg_attribute.attmissingval`, which the tuples written before read
//! for the column they lack (see [`crate::catalog`]'s `alter` module). A
//! volatile default (`random()`, `clock_timestamp()`, `nextval(…)`), or a
//! change of type that changes how values are stored, rewrites the table:
//!
//! ```text
//!   pg_attribute rows changed ─┐  (command n)
//!   pg_class.relfilenode: new ─┤  (n+1; the TOAST relation's too)
//!   each row the statement sees, read from the old file, converted
//!     and inserted into the new one, by this transaction
//!   each index: a new file, built from the new heap
//! ```
//!
//! All of it is ordinary transactional catalog writes and WAL-logged
//! inserts into files created for this transaction: the old files go
//! when it commits, the new ones when it aborts, so a crash or ROLLBACK
//! at any point leaves the table as it was. The table is held under
//! ACCESS EXCLUSIVE throughout (readers wait).

use crate::catalog::{Column, Reader, Table};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::binder::{Binder, TableLookup, binary_coercible, bind_type_conversion};
use crate::sql::expr::{EvalContext, Expr};
use crate::sql::types::Datum;
use crate::sql::{Statement, parser};
use crate::txn::lock::LockMode;

use super::{Eval, Session};

/// One ALTER COLUMN … TYPE of a statement.
pub(super) struct TypeChange<'a> {
    pub name: &'a str,
    pub column: Column,
    pub using: Option<&'a str>,
}

/// Where each column of a rewritten row comes from.
enum Source {
    /// The old row's value, as it is.
    Kept,
    /// Computed over the old row (a conversion, a volatile default).
    Computed(Expr),
}

impl Session {
    /// ADD COLUMN `column` (already recorded, as the last column) with a
    /// default: kept as the missing value of the rows there are, or for
    /// a volatile default, computed per row by a rewrite. Then NOT NULL.
    pub(super) fn fill_added_column(&mut self, oid: u32, column: &Column, xid: u64) -> Result<()> {
        let catalog = self.shared.catalog.clone();
        let table = self.table_now(oid, xid)?;
        let index = table.columns.len() - 1;
        let default = {
            let tables = self.tables();
            Binder::simple("", &tables).column_default(column)?
        };
        let mut volatile = false;
        default.walk(&mut |e| volatile |= matches!(e, Expr::Call(f, ..) if f.is_volatile()));
        if volatile {
            let mut sources: Vec<Source> = (0..table.columns.len()).map(|_| Source::Kept).collect();
            sources[index] = Source::Computed(default);
            self.rewrite(&table, &table, &sources, xid)?;
        } else {
            let time_zone = self.time_zone();
            let (value, fits) = {
                let mut eval = eval_context!(self, &[], time_zone);
                let value = crate::sql::expr::eval(&default, &mut eval)?;
                let fits = match &column.domain {
                    Some(d) => d.check(&value, &mut eval),
                    None => Ok(()),
                };
                (value, fits)
            };
            // A value the column's domain refuses fails only if some row
            // would get it.
            if let Err(e) = fits {
                let snapshot = self.statement_snapshot();
                let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
                let mut any = false;
                catalog.scan_columns(&table, &[], &who, &mut |_| {
                    any = true;
                    Ok(())
                })?;
                if any {
                    return Err(e);
                }
            }
            if !value.is_null() {
                let snapshot = self.statement_snapshot();
                let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
                catalog.set_missing(&table, index, &value, xid, self.cid, &who)?;
                self.cid += 1;
            }
        }
        if column.not_null {
            let table = self.table_now(oid, xid)?;
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            catalog.set_not_null(&table, &[index], xid, self.cid, &who)?;
            self.cid += 1;
        }
        Ok(())
    }

    /// ALTER COLUMN … TYPE of one or more columns of `table`, together
    /// (each USING expression reads the row as it was).
    pub(super) fn alter_column_types(&mut self, table: &Table, changes: &[TypeChange<'_>], xid: u64) -> Result<()> {
        let catalog = self.shared.catalog.clone();
        let mut sources: Vec<Source> = (0..table.columns.len()).map(|_| Source::Kept).collect();
        let mut after = table.clone();
        let mut rewrite = false;
        for change in changes {
            let Some(i) = table.column_index(change.name) else {
                return Err(err!(
                    SqlState::UNDEFINED_COLUMN,
                    "column \"{}\" of relation \"{}\" does not exist",
                    change.name,
                    table.name
                ));
            };
            if matches!(sources[i], Source::Computed(_)) {
                return Err(err!(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "cannot alter type of column \"{}\" twice",
                    change.name
                ));
            }
            let old = &table.columns[i];
            let new = Column { name: old.name.clone(), ..change.column.clone() };
            self.refuse_if_view_reads(table, i, xid)?;
            let conversion = bind_type_conversion(&table.name, &table.columns, i, &new, change.using)?;
            rewrite |= change.using.is_some() || !binary_coercible(old, &new);
            // The default must convert too.
            if let Some(text) = &old.default {
                let with_default = Column { default: Some(text.clone()), ..new.clone() };
                let tables = self.tables();
                Binder::simple("", &tables).column_default(&with_default).map_err(|e| {
                    if e.code() != SqlState::DATATYPE_MISMATCH {
                        return e;
                    }
                    err!(
                        SqlState::DATATYPE_MISMATCH,
                        "default for column \"{}\" cannot be cast automatically to type {}",
                        old.name,
                        new.ty.sql_name()
                    )
                })?;
            }
            after.columns[i] = Column { default: old.default.clone(), not_null: old.not_null, ..new };
            sources[i] = Source::Computed(conversion);
        }
        for fk in &table.foreign_keys {
            if fk.parent == table.oid {
                check_foreign_key_pair(fk, &after, &after)?;
            } else {
                let parent = self.table_now(fk.parent, xid)?;
                check_foreign_key_pair(fk, &after, &parent)?;
            }
        }
        for fk in table.referenced_by.iter().filter(|f| f.child != table.oid) {
            let child = self.table_now(fk.child, xid)?;
            check_foreign_key_pair(fk, &child, &after)?;
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        for (i, source) in sources.iter().enumerate() {
            if let Source::Computed(_) = source {
                let c = &after.columns[i];
                catalog.set_column_type(table, i, (c.ty, c.typmod), !rewrite, xid, self.cid, &who)?;
            }
        }
        self.cid += 1;
        let changed: Vec<usize> =
            sources.iter().enumerate().filter(|(_, s)| matches!(s, Source::Computed(_))).map(|(i, _)| i).collect();
        let now = self.table_now(table.oid, xid)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        for index in now.indexes.iter().filter(|x| x.columns.iter().any(|c| changed.contains(c))) {
            catalog.refresh_index_row(index, &now, xid, self.cid, &who)?;
        }
        self.cid += 1;
        if rewrite {
            self.rewrite(table, &after, &sources, xid)?;
        }
        // The CHECK constraints over the changed columns, bound to the new
        // types when the table was looked up, must hold for the new values.
        let now = self.table_now(table.oid, xid)?;
        if now.checks.iter().any(|c| c.columns.iter().any(|i| changed.contains(i))) {
            self.recheck_rows(&now, xid)?;
        }
        Ok(())
    }

    /// Refuse to change column `index` of `table` if a view reads it
    /// (0A000, as PostgreSQL: a view's query is fixed to its columns'
    /// types). A view reads it if its query no longer binds without it.
    fn refuse_if_view_reads(&mut self, table: &Table, index: usize, xid: u64) -> Result<()> {
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        for (oid, name) in catalog.dependent_views(table.oid, &who)? {
            let Some(view) = catalog.lookup_oid(oid, &who)? else { continue };
            let Some(sql) = &view.view else { continue };
            let parsed = parser::parse(sql)?;
            let [statement] = parsed.as_slice() else { continue };
            let tables = self.tables();
            let hidden = WithoutColumn { inner: &tables, oid: table.oid, index };
            let reads = match Binder::simple(sql, &hidden).bind(statement) {
                Ok(b) => !matches!(b.statement, Statement::Query { .. }),
                Err(e) if e.code() == SqlState::UNDEFINED_COLUMN => true,
                Err(e) => return Err(e),
            };
            if reads {
                return Err(err!(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "cannot alter type of a column used by a view or rule"
                )
                .with_detail(format!(
                    "rule _RETURN on view {name} depends on column \"{}\"",
                    table.columns[index].name
                )));
            }
        }
        Ok(())
    }

    /// Table `oid` as this transaction sees it now.
    fn table_now(&mut self, oid: u32, xid: u64) -> Result<Table> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.lookup_oid(oid, &who)?.ok_or_else(|| Error::internal("table vanished"))
    }

    /// Rewrite `before` (whose catalog rows already describe `after`'s
    /// columns) into new files: each row the statement sees gets its
    /// values from `sources`; then each index is built anew.
    fn rewrite(&mut self, before: &Table, after: &Table, sources: &[Source], xid: u64) -> Result<()> {
        let catalog = self.shared.catalog.clone();
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let heap = catalog.new_relfilenode(before.oid, xid, self.cid, &who)?;
        self.created_files.push(heap);
        self.dropped_files.push(before.rel);
        // SERIALIZABLE readers' locks on rows and keys that move (or whose
        // keys change type) now cover the whole table.
        catalog.serial_rows_moved(before.oid);
        before.indexes.iter().for_each(|i| catalog.serial_index_gone(i.oid, before.oid));
        let (created, dropped) = catalog.truncate_toast(before, xid, self.cid, &who)?;
        self.created_files.extend(created);
        self.dropped_files.extend(dropped);
        catalog.clear_missing(before, xid, self.cid, &who)?;
        self.cid += 1;
        let mut target = self.table_now(before.oid, xid)?;
        debug_assert_eq!(target.columns.len(), after.columns.len());
        let write_cid = self.cid;
        let desc = target.desc();
        let time_zone = self.time_zone();
        let mut rows: Vec<Vec<Datum>> = Vec::new();
        let mut values: Vec<Datum> = Vec::with_capacity(target.columns.len());
        {
            let mut eval = eval_context!(self, &[], time_zone);
            // The old file is read as the statement sees it (nothing
            // writes to it any more: the lock keeps others out).
            let old_who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: write_cid };
            for block in 0..catalog.nblocks(before)? {
                eval.check_interrupts()?;
                rows.clear();
                catalog.scan_block(before, block, &old_who, &mut rows)?;
                for row in &rows {
                    values.clear();
                    for (i, source) in sources.iter().enumerate() {
                        values.push(match source {
                            _ if before.columns[i].dropped => Datum::Null,
                            Source::Kept => row.get(i).cloned().unwrap_or(Datum::Null),
                            Source::Computed(e) => {
                                crate::sql::expr::eval(e, &mut crate::sql::exec::RowOver { inner: &mut eval, row })?
                            }
                        });
                    }
                    if let Some(c) = target.columns.iter().zip(&values).position(|(c, v)| c.not_null && v.is_null()) {
                        return Err(err!(
                            SqlState::NOT_NULL_VIOLATION,
                            "column \"{}\" of relation \"{}\" contains null values",
                            target.columns[c].name,
                            target.name
                        )
                        .with_table(target.namespace, &target.name)
                        .with_column(&target.columns[c].name));
                    }
                    catalog.insert_row(&target, &desc, &values, xid, write_cid)?;
                }
            }
        }
        for index in target.indexes.iter_mut() {
            let rel = catalog.new_relfilenode(index.oid, xid, write_cid, &who)?;
            self.created_files.push(rel);
            self.dropped_files.push(std::mem::replace(&mut index.rel, rel));
        }
        for index in &target.indexes {
            catalog.build_index(&target, index, xid)?;
        }
        self.cid += 1;
        Ok(())
    }
}

/// Foreign key `fk` of `child` referencing `parent` must still join
/// columns of types that compare alike (42804, as PostgreSQL reports
/// re-adding the constraint).
fn check_foreign_key_pair(fk: &crate::catalog::ForeignKey, child: &Table, parent: &Table) -> Result<()> {
    for (&c, &p) in fk.columns.iter().zip(&fk.parent_columns) {
        let (c, p) = (&child.columns[c], &parent.columns[p]);
        if !super::constraints::comparable(c.ty, p.ty) {
            return Err(err!(
                SqlState::DATATYPE_MISMATCH,
                "foreign key constraint \"{}\" cannot be implemented",
                fk.name
            )
            .with_detail(format!(
                "Key columns \"{}\" and \"{}\" are of incompatible types: {} and {}.",
                c.name,
                p.name,
                c.ty.sql_name(),
                p.ty.sql_name()
            )));
        }
    }
    Ok(())
}

/// The tables a session sees, with one column of one table hidden (as
/// if dropped): what binds without it does not read it.
struct WithoutColumn<'a> {
    inner: &'a dyn TableLookup,
    oid: u32,
    index: usize,
}

impl WithoutColumn<'_> {
    fn hide(&self, t: Option<std::sync::Arc<Table>>) -> Option<std::sync::Arc<Table>> {
        t.map(|t| {
            if t.oid != self.oid {
                return t;
            }
            let mut hidden = Table::clone(&t);
            hidden.columns[self.index].dropped = true;
            std::sync::Arc::new(hidden)
        })
    }
}

impl TableLookup for WithoutColumn<'_> {
    fn table(&self, name: &str, mode: LockMode) -> Result<Option<std::sync::Arc<Table>>> {
        Ok(self.hide(self.inner.table(name, mode)?))
    }
    fn table_in(&self, namespace: u32, name: &str, mode: LockMode) -> Result<Option<std::sync::Arc<Table>>> {
        Ok(self.hide(self.inner.table_in(namespace, name, mode)?))
    }
    fn namespace(&self, name: &str) -> Result<Option<u32>> {
        self.inner.namespace(name)
    }
    fn user_type(&self, namespace: Option<u32>, name: &str) -> Result<Option<(u32, u8)>> {
        self.inner.user_type(namespace, name)
    }
    fn row_type(&self, oid: u32) -> Result<Option<std::sync::Arc<crate::sql::record::RowType>>> {
        self.inner.row_type(oid)
    }
}
