//! Running DDL in a session: CREATE TABLE, CREATE INDEX, DROP TABLE and
//! DROP INDEX. Catalog rows are written by the session's transaction, so
//! they appear and disappear with it. Files follow the catalog: a file
//! created by a transaction that rolls back is removed at the rollback; the
//! file of a dropped relation is removed only once the drop has committed
//! and its commit record is on disk.

use crate::catalog::{Index, Reader, RelKind, Table};
use crate::config::Guc;
use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::sql::{CheckDef, ConstraintDef, DropKind, ForeignKeyDef, IndexDef};
use crate::storage::smgr::RelFileLocator;
use crate::txn::lock::{LockMode, LockTag};

use super::Session;
use super::privileges::not_owner;
use crate::catalog::privileges::PrivObject;

/// What CREATE TABLE creates with the table: the indexes of its keys, its
/// foreign keys, its columns' sequences and its CHECK constraints.
type CreateTableParts<'a> = (&'a [IndexDef], &'a [ForeignKeyDef], &'a [crate::sql::ColumnSequence], &'a [CheckDef]);

impl Session {
    pub(super) fn create_table(
        &mut self,
        name: &str,
        columns: &[crate::catalog::Column],
        if_not_exists: bool,
        (indexes, foreign_keys, sequences, checks): CreateTableParts<'_>,
        (fillfactor, unlogged): (u8, bool),
    ) -> Result<Option<u32>> {
        let xid = self.ensure_xid("CREATE TABLE")?;
        let name = &self.creation_name(name, xid)?;
        if !self.check_new_relation(name, if_not_exists, xid)? {
            return Ok(None);
        }
        self.catalog_changed = true;
        let mut columns = columns.to_vec();
        let owned = self.create_column_sequences(name, &mut columns, sequences, xid)?;
        let mut table = self.shared.catalog.create_table(name, columns, (fillfactor, unlogged), xid, self.cid)?;
        self.created_files.push(table.rel);
        if let Some(toast) = table.toast {
            self.created_files.extend([toast.heap, toast.index]);
        }
        self.cid += 1;
        self.own_column_sequences(table.oid, &owned, xid)?;
        // CHECK constraints first, as PostgreSQL creates them with the table.
        for def in checks {
            self.add_check(&table, def, xid, false)?;
        }
        for def in indexes {
            let index = self.new_index(&table, def, xid)?;
            table.indexes.push(index);
        }
        for def in foreign_keys {
            self.add_foreign_key(&table, def, xid, false)?;
        }
        // Bound statements may name this table now.
        self.simple_cache.clear();
        Ok(Some(table.oid))
    }

    pub(super) fn create_index(&mut self, table_name: &str, def: &IndexDef, if_not_exists: bool) -> Result<()> {
        let xid = self.ensure_xid("CREATE INDEX")?;
        if let Some(name) = &def.name {
            if if_not_exists && self.relation_exists(name, xid)? {
                self.notices.push(Notice::info(
                    SqlState::DUPLICATE_TABLE,
                    format!("relation \"{name}\" already exists, skipping"),
                ));
                return Ok(());
            }
        }
        self.lock_for_ddl(table_name, LockMode::Share)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let Some(table) = self.shared.catalog.lookup(table_name, &who)? else {
            return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{table_name}\" does not exist"));
        };
        if table.view.is_some() {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "cannot create index on relation \"{table_name}\"")
                .with_detail("This operation is not supported for views."));
        }
        self.check_owner(PrivObject::Relation(table.oid))?;
        self.catalog_changed = true;
        self.new_index(&table, def, xid)?;
        self.simple_cache.clear();
        Ok(())
    }

    /// TRUNCATE: every table named (and each of its indexes) gets a new,
    /// empty file; the old ones go when the transaction commits.
    /// With `cascade`, the tables whose foreign keys reference them are
    /// truncated too; without, such a table must be named as well.
    pub(super) fn truncate(&mut self, names: &[String], cascade: bool, restart_identity: bool) -> Result<()> {
        let xid = self.ensure_xid("TRUNCATE TABLE")?;
        let mut names = names.to_vec();
        let mut tables: Vec<Table> = Vec::with_capacity(names.len());
        let mut i = 0;
        while i < names.len() {
            let name = names[i].clone();
            self.lock_for_ddl(&name, LockMode::AccessExclusive)?;
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            match self.shared.catalog.relation(&name, &who)? {
                None => return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist")),
                Some(r) if r.kind != RelKind::Table => {
                    return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not a table"));
                }
                Some(_) => {}
            }
            let table = self.shared.catalog.lookup(&name, &who)?.ok_or_else(|| Error::internal("table vanished"))?;
            let me = self.current_holder()?;
            self.check_privilege(&me, PrivObject::Relation(table.oid), &['D'])?;
            if cascade {
                for fk in &table.referenced_by {
                    if !names.contains(&fk.child_name) {
                        self.notices.push(Notice::info(
                            SqlState::SUCCESSFUL_COMPLETION,
                            format!("truncate cascades to table \"{}\"", fk.child_name),
                        ));
                        names.push(fk.child_name.clone());
                    }
                }
            }
            tables.push(table);
            i += 1;
        }
        for table in &tables {
            if let Some(fk) = table.referenced_by.iter().find(|f| !names.contains(&f.child_name)) {
                return Err(err!(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "cannot truncate a table referenced in a foreign key constraint"
                )
                .with_detail(format!("Table \"{}\" references \"{}\".", fk.child_name, table.name))
                .with_hint(format!(
                    "Truncate table \"{}\" at the same time, or use TRUNCATE ... CASCADE.",
                    fk.child_name
                )));
            }
        }
        if restart_identity {
            self.restart_owned_sequences(&tables.iter().map(|t| t.oid).collect::<Vec<_>>())?;
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        self.catalog_changed = true;
        for table in tables {
            let indexes: Vec<u32> = table.indexes.iter().map(|i| i.oid).collect();
            self.shared.catalog.serial_write_relation(table.oid, &indexes, xid)?;
            let new = self.shared.catalog.new_relfilenode(table.oid, xid, self.cid, &who)?;
            self.created_files.push(new);
            self.dropped_files.push(table.rel);
            let (created, dropped) = self.shared.catalog.truncate_toast(&table, xid, self.cid, &who)?;
            self.created_files.extend(created);
            self.dropped_files.extend(dropped);
            for index in &table.indexes {
                let new = self.shared.catalog.new_relfilenode(index.oid, xid, self.cid, &who)?;
                self.created_files.push(new);
                self.dropped_files.push(index.rel);
                self.shared.catalog.build_empty_index(&Index { rel: new, ..index.clone() }, xid)?;
            }
        }
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// VACUUM and/or ANALYZE of the tables named, or of every table.
    ///
    /// VACUUM removes row versions that no snapshot of any session can see
    /// any more, with their index entries; like PostgreSQL's it runs outside
    /// a transaction block. Both record the table's pages and live rows in
    /// `pg_class` (per-column statistics are not collected yet).
    ///
    /// VACUUM FULL instead copies each table's row versions that someone may
    /// still see into a new file and rebuilds its indexes there, under ACCESS
    /// EXCLUSIVE; the old files go when it commits.
    pub(super) fn vacuum(&mut self, vacuum: bool, analyze: bool, full: bool, names: &[String]) -> Result<()> {
        if vacuum {
            self.refuse_in_block("VACUUM")?;
        }
        let snapshot = self.statement_snapshot();
        let xid0 = self.current_xid();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid: xid0, cid: self.cid };
        let names = if names.is_empty() { self.shared.catalog.table_names(&who)? } else { names.to_vec() };
        let mode = if full { LockMode::AccessExclusive } else { LockMode::ShareUpdateExclusive };
        for name in &names {
            self.lock_for_ddl(name, mode)?;
        }
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid: xid0, cid: self.cid };
        let mut tables = Vec::with_capacity(names.len());
        for name in &names {
            match self.shared.catalog.relation(name, &who)? {
                None => return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist")),
                Some(r) if r.kind != RelKind::Table && vacuum => {
                    self.notices.push(Notice::warning(
                        SqlState::WARNING,
                        format!("skipping \"{name}\" --- cannot vacuum non-tables or special system tables"),
                    ));
                    continue;
                }
                Some(r) if r.kind != RelKind::Table => {
                    self.notices.push(Notice::warning(
                        SqlState::WARNING,
                        format!("skipping \"{name}\" --- cannot analyze non-tables or special system tables"),
                    ));
                    continue;
                }
                Some(_) => {}
            }
            tables.push(self.shared.catalog.lookup(name, &who)?.ok_or_else(|| Error::internal("table vanished"))?);
        }
        // This statement's own snapshot (taken for the catalog, outside any
        // transaction block) must not hold back the horizon.
        if vacuum {
            self.shared.txns.release_snapshots(self.pid);
        }
        let horizon = self.shared.txns.horizon();
        let interrupts = self.interrupts.clone();
        let deadline = self.deadline;
        let throttle = crate::server::autovacuum::Throttle::new(
            self.settings.int(Guc::vacuum_cost_delay),
            self.settings.int(Guc::vacuum_cost_limit),
            self.settings.int(Guc::vacuum_cost_page_miss),
        );
        let check = move || {
            throttle.page();
            interrupts.check(deadline)
        };
        if full {
            self.vacuum_full(&mut tables, horizon, &check)?;
        }
        let mut sizes = Vec::with_capacity(tables.len());
        let stats = &self.shared.catalog.stats;
        for table in &tables {
            let mut vacuumed = None;
            if vacuum && !full {
                let live = |t: &[u8]| self.shared.txns.tuple_visible(t, who.snapshot, who.xid, who.cid);
                vacuumed = Some(self.shared.catalog.vacuum(table, horizon, &check, Some(&live))?);
                let locker = self.locker();
                let tag = LockTag::Relation { db: self.shared.catalog.database(), rel: table.oid };
                let lock = || locker.lock(tag, LockMode::AccessExclusive, false, true);
                self.shared.catalog.truncate_empty_tail(table, &lock)?;
            }
            // A plain VACUUM counts the rows too, but is no ANALYZE.
            let analyzing = analyze || !vacuum;
            let (pages, rows, columns) = if analyzing {
                let target = self.settings.int(Guc::default_statistics_target) as i32;
                let (pages, rows, columns) = self.shared.catalog.analyze_rows(table, &who, target)?;
                (pages, rows as f64, Some(columns))
            } else if let Some((pages, rows)) = vacuumed
                .as_ref()
                .map(|done| self.shared.catalog.vacuumed_rows(table, done))
                .transpose()?
                .filter(|s| s.1 >= 0.0)
            {
                (pages, rows, None)
            } else {
                // VACUUM FULL, or rows never counted (tusk's CREATE INDEX
                // does not count them as PostgreSQL's does): count now.
                let (pages, rows) = self.shared.catalog.count_rows(table, &who)?;
                (pages, rows as f64, None)
            };
            let counted = rows.max(0.0) as u64;
            if let Some(done) = &vacuumed {
                stats.vacuumed(table.oid, &table.name, done.removed, counted, false);
            }
            if analyzing {
                stats.analyzed(table.oid, &table.name, counted, false);
            }
            sizes.push((pages, rows, columns));
        }
        let xid = self.ensure_xid(if vacuum { "VACUUM" } else { "ANALYZE" })?;
        self.catalog_changed = true;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        for (table, (pages, rows, columns)) in tables.iter().zip(sizes) {
            self.shared.catalog.set_size(table.oid, pages, rows as f32, xid, self.cid, &who)?;
            if let Some(columns) = columns {
                self.shared.catalog.set_column_stats(table.oid, &columns, xid, self.cid, &who)?;
            }
        }
        if vacuum && !full {
            // Commit-log and multixact segments no relation refers to go.
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid + 1 };
            self.cid += 1;
            self.shared.catalog.truncate_xact_logs(horizon, &who, &check)?;
        }
        self.cid += 1;
        Ok(())
    }

    /// VACUUM FULL's rewrite of `tables`, in this statement's transaction;
    /// each entry is pointed at its new files.
    fn vacuum_full(&mut self, tables: &mut [Table], horizon: u64, check: &dyn Fn() -> Result<()>) -> Result<()> {
        let xid = self.ensure_xid("VACUUM")?;
        self.catalog_changed = true;
        let snapshot = self.statement_snapshot();
        let catalog = &self.shared.catalog;
        for table in tables.iter_mut() {
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            let heap = catalog.new_relfilenode(table.oid, xid, self.cid, &who)?;
            self.created_files.push(heap);
            self.dropped_files.push(table.rel);
            let (removed, kept) = catalog.rewrite_heap(table, heap, horizon, xid, check)?;
            catalog.serial_rows_moved(table.oid);
            table.rel = heap;
            for i in 0..table.indexes.len() {
                let rel = catalog.new_relfilenode(table.indexes[i].oid, xid, self.cid, &who)?;
                self.created_files.push(rel);
                self.dropped_files.push(std::mem::replace(&mut table.indexes[i].rel, rel));
                catalog.build_index(table, &table.indexes[i], xid)?;
            }
            catalog.stats.vacuumed(table.oid, &table.name, removed, kept, false);
        }
        self.cid += 1;
        Ok(())
    }

    /// `REINDEX INDEX name` / `REINDEX TABLE name`: each index is built
    /// afresh into a new file from the table's rows; the old file goes
    /// when the transaction commits. Deviation: the table is locked ACCESS
    /// EXCLUSIVE (PostgreSQL lets readers that do not use the index go on).
    pub(super) fn reindex(&mut self, whole_table: bool, name: &str) -> Result<()> {
        let xid = self.ensure_xid("REINDEX")?;
        self.lock_for_ddl(name, LockMode::AccessExclusive)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        let (noun, wanted) =
            if whole_table { ("a table or materialized view", RelKind::Table) } else { ("an index", RelKind::Index) };
        let rel = catalog.relation(name, &who)?.filter(|r| r.kind == wanted);
        let Some(rel) = rel else {
            return Err(match catalog.relation(name, &who)? {
                Some(_) => err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not {noun}"),
                None => err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"),
            });
        };
        let table = if whole_table { catalog.lookup(name, &who)? } else { catalog.table_of_index(rel.oid, &who)? };
        let mut table = table.ok_or_else(|| Error::internal("table vanished"))?;
        self.catalog_changed = true;
        for i in 0..table.indexes.len() {
            if !whole_table && table.indexes[i].oid != rel.oid {
                continue;
            }
            let new = catalog.new_relfilenode(table.indexes[i].oid, xid, self.cid, &who)?;
            self.created_files.push(new);
            self.dropped_files.push(std::mem::replace(&mut table.indexes[i].rel, new));
            catalog.build_index(&table, &table.indexes[i], xid)?;
            // An index a concurrent build or drop left unfinished is whole again.
            if !(table.indexes[i].valid && table.indexes[i].ready) {
                (table.indexes[i].valid, table.indexes[i].ready) = (true, true);
                catalog.set_index_state(&table.indexes[i], &table, xid, self.cid, &who)?;
            }
        }
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// ALTER TABLE's table, locked ACCESS EXCLUSIVE in the statement's
    /// transaction (whose id comes with it); `None` (after PostgreSQL's
    /// notice) if it does not exist and `IF EXISTS` was given.
    pub(super) fn alter_table_target(&mut self, table_name: &str, if_exists: bool) -> Result<Option<(u64, Table)>> {
        let xid = self.ensure_xid("ALTER TABLE")?;
        self.lock_for_ddl(table_name, LockMode::AccessExclusive)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        match self.shared.catalog.lookup(table_name, &who)? {
            Some(table) => {
                self.check_owner(PrivObject::Relation(table.oid))?;
                Ok(Some((xid, table)))
            }
            None if if_exists => {
                self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("relation \"{table_name}\" does not exist, skipping"),
                ));
                Ok(None)
            }
            None => Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{table_name}\" does not exist")),
        }
    }

    /// ALTER TABLE … ADD PRIMARY KEY / UNIQUE: build the constraint's index
    /// over the rows there are (refusing duplicates) and, for a primary
    /// key, make its columns NOT NULL (refusing NULLs). ALTER TABLE … ADD
    /// FOREIGN KEY: check the rows there are, and record it.
    pub(super) fn add_constraint(&mut self, table_name: &str, if_exists: bool, def: &ConstraintDef) -> Result<()> {
        let Some((xid, table)) = self.alter_table_target(table_name, if_exists)? else { return Ok(()) };
        if table.view.is_some() {
            return Err(err!(
                SqlState::WRONG_OBJECT_TYPE,
                "ALTER action ADD CONSTRAINT cannot be performed on relation \"{table_name}\""
            )
            .with_detail("This operation is not supported for views."));
        }
        let def = match def {
            ConstraintDef::Key(def) => def,
            ConstraintDef::ForeignKey(fk) => {
                self.catalog_changed = true;
                self.add_foreign_key(&table, fk, xid, true)?;
                self.simple_cache.clear();
                return Ok(());
            }
            ConstraintDef::Check(check) => {
                self.catalog_changed = true;
                self.add_check(&table, check, xid, true)?;
                self.simple_cache.clear();
                return Ok(());
            }
        };
        let mut columns = Vec::with_capacity(def.columns.len());
        for (name, _) in &def.columns {
            match table.columns.iter().position(|c| &c.name == name) {
                Some(i) => columns.push(i),
                // A primary key first makes its columns NOT NULL, whose
                // error PostgreSQL reports.
                None if def.primary => {
                    return Err(err!(
                        SqlState::UNDEFINED_COLUMN,
                        "column \"{name}\" of relation \"{table_name}\" does not exist"
                    ));
                }
                None => {
                    return Err(err!(SqlState::UNDEFINED_COLUMN, "column \"{name}\" named in key does not exist"));
                }
            }
        }
        if def.primary && table.indexes.iter().any(|i| i.primary) {
            return Err(err!(
                SqlState::INVALID_TABLE_DEFINITION,
                "multiple primary keys for table \"{table_name}\" are not allowed"
            ));
        }
        self.catalog_changed = true;
        self.new_index(&table, def, xid)?;
        if def.primary {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            self.shared.catalog.set_not_null(&table, &columns, xid, self.cid, &who)?;
            self.cid += 1;
        }
        self.simple_cache.clear();
        Ok(())
    }

    /// Create and build one index of `table` as the next command.
    fn new_index(&mut self, table: &Table, def: &IndexDef, xid: u64) -> Result<Index> {
        let index = self.index_from_def(table, def, xid)?;
        let index = self.shared.catalog.create_index(table, index, xid, self.cid)?;
        self.created_files.push(index.rel);
        self.cid += 1;
        Ok(index)
    }

    /// The index `def` describes on `table`, named (valid and ready; not
    /// recorded yet).
    pub(super) fn index_from_def(&mut self, table: &Table, def: &IndexDef, xid: u64) -> Result<Index> {
        let mut columns = Vec::with_capacity(def.columns.len());
        let mut exprs = Vec::with_capacity(def.exprs.len());
        for (i, (name, _)) in def.columns.iter().enumerate() {
            if let Some(Some(text)) = def.exprs.get(i) {
                let e = crate::catalog::Predicate::bind_key(text, &table.name, &table.columns)?;
                exprs.push(Some(std::sync::Arc::new(e)));
                columns.push(crate::catalog::EXPR_KEY);
                continue;
            }
            let Some(i) = table.columns.iter().position(|c| !c.dropped && &c.name == name) else {
                return Err(err!(SqlState::UNDEFINED_COLUMN, "column \"{name}\" does not exist"));
            };
            columns.push(i);
            if !def.exprs.is_empty() {
                exprs.push(None);
            }
        }
        let mut include = Vec::with_capacity(def.include.len());
        for name in &def.include {
            let Some(i) = table.columns.iter().position(|c| !c.dropped && &c.name == name) else {
                return Err(err!(SqlState::UNDEFINED_COLUMN, "column \"{name}\" does not exist"));
            };
            include.push(i);
        }
        let name = match &def.name {
            Some(n) => {
                if self.relation_exists_in(table.namespace, n, xid)? {
                    return Err(err!(SqlState::DUPLICATE_TABLE, "relation \"{n}\" already exists"));
                }
                n.clone()
            }
            None => self.choose_index_name(table, def, xid)?,
        };
        let index = Index {
            oid: 0,
            name,
            rel: table.rel,
            columns,
            exprs,
            include,
            orders: def.columns.iter().map(|(_, o)| *o).collect(),
            unique: def.unique,
            primary: def.primary,
            constraint: def.constraint,
            deferral: def.deferral,
            unlogged: table.unlogged,
            predicate: match &def.predicate {
                Some(text) => {
                    Some(std::sync::Arc::new(crate::catalog::Predicate::bind(text, &table.name, &table.columns)?))
                }
                None => None,
            },
            valid: true,
            ready: true,
        };
        Ok(index)
    }

    /// PostgreSQL's default names: `t_pkey`, `t_a_b_key`, `t_a_idx`, with a
    /// number appended to the label while the name is taken.
    fn choose_index_name(&mut self, table: &Table, def: &IndexDef, xid: u64) -> Result<String> {
        let (middle, label) = if def.primary {
            (String::new(), "pkey")
        } else {
            let parts: Vec<(&str, bool)> = def
                .columns
                .iter()
                .enumerate()
                .map(|(i, (c, _))| (c.as_str(), matches!(def.exprs.get(i), Some(Some(_)))))
                .chain(def.include.iter().map(|c| (c.as_str(), false)))
                .collect();
            let cols = crate::catalog::index_column_names(&parts);
            (format!("_{}", cols.join("_")), if def.constraint { "key" } else { "idx" })
        };
        for n in 0.. {
            let candidate = if n == 0 {
                format!("{}{middle}_{label}", table.name)
            } else {
                format!("{}{middle}_{label}{n}", table.name)
            };
            if !self.relation_exists_in(table.namespace, &candidate, xid)? {
                return Ok(candidate);
            }
        }
        unreachable!("some name is free")
    }

    pub(super) fn drop(&mut self, kind: DropKind, names: &[String], if_exists: bool, cascade: bool) -> Result<()> {
        let xid = self.ensure_xid(match kind {
            DropKind::Table => "DROP TABLE",
            DropKind::Index => "DROP INDEX",
            DropKind::View => "DROP VIEW",
            DropKind::Sequence => "DROP SEQUENCE",
        })?;
        for name in names {
            self.lock_for_ddl(name, LockMode::AccessExclusive)?;
        }
        // Check every name first: nothing is dropped if one is wrong.
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let mut doomed = Vec::new();
        for name in names {
            let Some(rel) = self.drop_target(kind, name, if_exists, &who)? else { continue };
            if !doomed.iter().any(|d: &(u32, RelKind, String)| d.0 == rel.oid) {
                doomed.push((rel.oid, rel.kind, name.clone()));
            }
        }
        self.drop_doomed(kind, doomed, cascade, xid, &who)
    }

    /// What DROP `kind` `name` drops, once checked (it is of that kind,
    /// the current role owns it, nothing keeps it); `None` (after
    /// PostgreSQL's notice) if it does not exist and `if_exists` was given.
    pub(super) fn drop_target(
        &mut self,
        kind: DropKind,
        name: &str,
        if_exists: bool,
        who: &Reader<'_>,
    ) -> Result<Option<crate::catalog::Relation>> {
        let noun = match kind {
            DropKind::Table => "table",
            DropKind::Index => "index",
            DropKind::View => "view",
            DropKind::Sequence => "sequence",
        };
        let Some(rel) = self.shared.catalog.relation(name, who)? else {
            if if_exists {
                self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("{noun} \"{name}\" does not exist, skipping"),
                ));
                return Ok(None);
            }
            let code = if kind == DropKind::Index { SqlState::UNDEFINED_OBJECT } else { SqlState::UNDEFINED_TABLE };
            return Err(err!(code, "{noun} \"{name}\" does not exist"));
        };
        let wanted = match kind {
            DropKind::Table => RelKind::Table,
            DropKind::Index => RelKind::Index,
            DropKind::View => RelKind::View,
            DropKind::Sequence => RelKind::Sequence,
        };
        if rel.kind != wanted {
            let article = if wanted == RelKind::Index { "an" } else { "a" };
            let hint = format!(
                "Use DROP {} to remove {} {}.",
                rel.kind.noun().to_uppercase(),
                article_of(rel.kind),
                rel.kind.noun()
            );
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not {article} {noun}").with_hint(hint));
        }
        if !self.owns(PrivObject::Relation(rel.oid))? {
            return Err(not_owner(rel.kind.noun(), &crate::catalog::namespace::split_qualified(name)?.1));
        }
        if kind == DropKind::Index {
            self.check_index_droppable(name, rel.oid, who)?;
        }
        if kind == DropKind::View && rel.oid < crate::catalog::FIRST_NORMAL_OID {
            return Err(err!(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                "cannot drop view {name} because it is required by the database system"
            ));
        }
        Ok(Some(rel))
    }

    /// DROP's second half: the relations `doomed` (oid, kind, name), all
    /// checked, go with what depends on them (refused without `cascade`).
    fn drop_doomed(
        &mut self,
        kind: DropKind,
        doomed: Vec<(u32, RelKind, String)>,
        cascade: bool,
        xid: u64,
        who: &Reader<'_>,
    ) -> Result<()> {
        let dependents = self.dependent_views(&doomed, who)?;
        let mut found: Vec<(u32, String, String)> = dependents
            .iter()
            .map(|d| (d.oid, format!("view {}", d.name), format!("{} {}", d.on.0.noun(), d.on.1)))
            .collect();
        // Foreign keys of other tables that reference a table dropped.
        let mut referencing = Vec::new();
        if kind == DropKind::Table {
            for (oid, _, name) in &doomed {
                let Some(table) = self.shared.catalog.lookup_oid(*oid, who)? else { continue };
                for fk in &table.referenced_by {
                    if !doomed.iter().any(|(o, ..)| *o == fk.child) {
                        found.push((
                            fk.oid,
                            format!("constraint {} on table {}", fk.name, fk.child_name),
                            format!("table {name}"),
                        ));
                        referencing.push(fk.child_name.clone());
                    }
                }
            }
        }
        // Columns of other tables whose type is a dropped relation's row type.
        let typed_columns = self.row_type_columns(&doomed, who)?;
        if cascade && !typed_columns.is_empty() {
            return Err(crate::error::Error::not_supported(
                "DROP … CASCADE of a relation whose row type is a column's type",
            ));
        }
        found.extend(typed_columns);
        self.check_dependents(&doomed, found, &dependents, cascade)?;
        for child in &referencing {
            self.lock_for_ddl(child, LockMode::AccessExclusive)?;
        }
        if kind == DropKind::Sequence {
            self.check_sequence_droppable(&doomed, cascade, xid)?;
        }
        // Sequences owned by the tables' columns go with them.
        let mut owned = Vec::new();
        if kind == DropKind::Table {
            for (oid, _, _) in &doomed {
                for (seq, name) in self.owned_sequences_of(*oid, who)? {
                    self.lock_for_ddl(&name, LockMode::AccessExclusive)?;
                    owned.push(seq);
                }
            }
        }
        self.catalog_changed = true;
        // Dependent views first, the most dependent first.
        let order: Vec<u32> =
            dependents.iter().rev().map(|d| d.oid).chain(doomed.iter().map(|d| d.0)).chain(owned).collect();
        for oid in order {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            let files = self.shared.catalog.drop_relation(oid, xid, self.cid, &who)?;
            self.dropped_files.extend(files);
            self.cid += 1;
        }
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// The columns of relations not in `doomed` whose type is the row type
    /// of one in it (or its array type), as DROP reports them.
    fn row_type_columns(
        &self,
        doomed: &[(u32, RelKind, String)],
        who: &Reader<'_>,
    ) -> Result<Vec<(u32, String, String)>> {
        let catalog = &self.shared.catalog;
        let mut out = Vec::new();
        let mut types = Vec::new();
        catalog.scan_types(who, |t| {
            if t.kind == b'c' && doomed.iter().any(|d| d.0 == t.relid) {
                types.push(t);
            }
        })?;
        for ty in types {
            for (rel, column) in catalog.columns_of_type(ty.oid, ty.array, who)? {
                if doomed.iter().any(|d| d.0 == rel) {
                    continue;
                }
                let table = catalog.regclass_text(rel, who)?.unwrap_or_default();
                out.push((rel, format!("column {column} of table {table}"), format!("type {}", ty.name)));
            }
        }
        Ok(out)
    }

    /// An index that implements a PRIMARY KEY or UNIQUE constraint goes
    /// with the constraint, not by DROP INDEX.
    fn check_index_droppable(&self, name: &str, oid: u32, who: &Reader<'_>) -> Result<()> {
        let Some(owner) = self.shared.catalog.table_of_index(oid, who)? else { return Ok(()) };
        if owner.indexes.iter().any(|i| i.oid == oid && i.constraint) {
            return Err(err!(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                "cannot drop index {name} because constraint {name} on table {} requires it",
                owner.name
            )
            .with_hint(format!("You can drop constraint {name} on table {} instead.", owner.name)));
        }
        let users: Vec<String> = owner
            .referenced_by
            .iter()
            .filter(|f| f.index == oid)
            .map(|f| format!("constraint {} on table {} depends on index {name}", f.name, f.child_name))
            .collect();
        if !users.is_empty() {
            return Err(err!(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                "cannot drop index {name} because other objects depend on it"
            )
            .with_detail(users.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        Ok(())
    }

    /// A new relation's name (a relation name string), qualified with the
    /// schema it goes to: the one it names, or the first of the search
    /// path that exists (3F000 if none does).
    pub(super) fn creation_name(&mut self, name: &str, xid: u64) -> Result<String> {
        if let (Some(schema), bare) = crate::catalog::namespace::split_qualified(name)?
            && let Some(temp) = self.temp_schema_for_creation(&schema, xid)?
        {
            return Ok(crate::catalog::namespace::qualified_name(Some(&temp), &bare));
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        let (namespace, bare) = catalog.creation_namespace(name, &self.explicit_path, &who)?;
        let schema = catalog.namespace_name(namespace, &who)?.unwrap_or_default();
        let me = self.current_holder()?;
        self.check_privilege(&me, crate::catalog::privileges::PrivObject::Schema(namespace), &['C'])?;
        Ok(crate::catalog::namespace::qualified_name(Some(&schema), &bare))
    }

    /// Before CREATE of relation `name`: `false` (with a notice) if one
    /// exists and IF NOT EXISTS was given, an error if one exists without.
    pub(super) fn check_new_relation(&mut self, name: &str, if_not_exists: bool, xid: u64) -> Result<bool> {
        if !self.relation_exists(name, xid)? {
            return Ok(true);
        }
        let name = crate::catalog::namespace::split_qualified(name)?.1;
        if if_not_exists {
            self.notices
                .push(Notice::info(SqlState::DUPLICATE_TABLE, format!("relation \"{name}\" already exists, skipping")));
            return Ok(false);
        }
        Err(err!(SqlState::DUPLICATE_TABLE, "relation \"{name}\" already exists"))
    }

    /// Whether any relation (table or index) is named `name`, as this
    /// transaction sees the catalog now.
    pub(super) fn relation_exists_in(&mut self, namespace: u32, name: &str, xid: u64) -> Result<bool> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: self.cid };
        Ok(self.shared.catalog.relation_in(namespace, name, &who)?.is_some())
    }

    /// Whether relation name string `name` names a relation (table or
    /// index), as this transaction sees the catalog now.
    pub(super) fn relation_exists(&mut self, name: &str, xid: u64) -> Result<bool> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        Ok(self.shared.catalog.relation(name, &who)?.is_some())
    }

    /// The files to remove now that the transaction ended: those it
    /// dropped if it committed, those it created if it rolled back.
    pub(super) fn files_to_remove(&mut self, committed: bool) -> Vec<RelFileLocator> {
        let created = std::mem::take(&mut self.created_files);
        let dropped = std::mem::take(&mut self.dropped_files);
        if committed { dropped } else { created }
    }

    /// Remove files of relations that no longer exist. A failure leaves an
    /// orphaned file behind, never a wrong answer, so it is only logged.
    pub(super) fn remove_files(&self, files: Vec<RelFileLocator>) {
        for rel in files {
            if let Err(e) = self.shared.catalog.unlink(rel) {
                tracing::warn!(relfilenode = rel.relfilenode, error = %e, "could not remove relation file");
            }
        }
    }
}

/// "a" or "an", before a relation kind's noun.
fn article_of(kind: RelKind) -> &'static str {
    if kind == RelKind::Index { "an" } else { "a" }
}
