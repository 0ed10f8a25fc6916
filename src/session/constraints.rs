//! FOREIGN KEY constraints in a session: creating one (in CREATE TABLE or
//! ALTER TABLE … ADD, validating the rows there are), dropping a constraint
//! (ALTER TABLE … DROP CONSTRAINT), the dependencies that DROP TABLE,
//! DROP INDEX and TRUNCATE must respect, and the checks a data-changing
//! statement is given ([`crate::sql::exec::foreign_key`]).
//!
//! Locks follow PostgreSQL's: adding a foreign key takes SHARE ROW
//! EXCLUSIVE on the referenced table (the referencing one is already held
//! by the ALTER TABLE or CREATE TABLE), and a statement checking rows takes
//! ROW SHARE on the other tables of its foreign keys.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::catalog::system::{ConstraintRow, equality_operator};
use crate::catalog::{FkAction, ForeignKey, Index, Reader, Table};
use crate::err;
use crate::error::{Notice, Result, SqlState};
use crate::sql::ForeignKeyDef;
use crate::sql::binder::{Binder, TableLookup};
use crate::sql::exec::ModifyKind;
use crate::sql::exec::foreign_key::{Cascades, FkChecks, Holds, ReferencedBy, acts};
use crate::sql::types::Datum;
use crate::sql::types::PgType;
use crate::txn::lock::LockMode;

use super::{Session, xact};

/// Whether a key column of type `child` can reference one of type
/// `parent`: the same type, or types whose values compare (and encode in
/// an index) alike.
pub(super) fn comparable(child: PgType, parent: PgType) -> bool {
    use PgType::*;
    let family = |t: PgType| match t {
        Int2 | Int4 | Int8 => 1,
        Text | Varchar => 2,
        _ => 0,
    };
    child == parent || (family(child) != 0 && family(child) == family(parent))
}

impl Session {
    /// Create foreign key `def` on `child` as the next command; with
    /// `validate`, the rows `child` has must satisfy it first.
    pub(super) fn add_foreign_key(
        &mut self,
        child: &Table,
        def: &ForeignKeyDef,
        xid: u64,
        validate: bool,
    ) -> Result<()> {
        let parent = if def.parent == child.name {
            child.clone()
        } else {
            self.lock_for_ddl(&def.parent, LockMode::ShareRowExclusive)?;
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            self.shared
                .catalog
                .lookup(&def.parent, &who)?
                .ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{}\" does not exist", def.parent))?
        };
        let me = self.current_holder()?;
        self.check_privilege(&me, crate::catalog::privileges::PrivObject::Relation(parent.oid), &['x'])?;
        if parent.temp != child.temp {
            let what = if child.temp { "temporary" } else { "permanent" };
            return Err(err!(
                SqlState::INVALID_TABLE_DEFINITION,
                "constraints on {what} tables may reference only {what} tables"
            ));
        }
        let resolve = |table: &Table, names: &[String]| -> Result<Vec<usize>> {
            names
                .iter()
                .map(|n| {
                    table.columns.iter().position(|c| &c.name == n).ok_or_else(|| {
                        err!(
                            SqlState::UNDEFINED_COLUMN,
                            "column \"{n}\" referenced in foreign key constraint does not exist"
                        )
                    })
                })
                .collect()
        };
        let columns = resolve(child, &def.columns)?;
        let (parent_columns, index) = if def.parent_columns.is_empty() {
            let Some(pk) = parent.indexes.iter().find(|i| i.primary) else {
                return Err(err!(
                    SqlState::UNDEFINED_OBJECT,
                    "there is no primary key for referenced table \"{}\"",
                    parent.name
                ));
            };
            if pk.deferral.deferrable {
                return Err(err!(
                    SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                    "cannot use a deferrable primary key for referenced table \"{}\"",
                    parent.name
                ));
            }
            (pk.columns.clone(), Some(pk.clone()))
        } else {
            let cols = resolve(&parent, &def.parent_columns)?;
            let set: HashSet<usize> = cols.iter().copied().collect();
            let matching: Vec<&Index> = parent
                .indexes
                .iter()
                .filter(|i| i.unique && i.columns.len() == cols.len() && i.columns.iter().all(|c| set.contains(c)))
                .collect();
            // A deferrable key may hold duplicates until commit: no foreign
            // key can rely on it.
            let index = matching.iter().find(|i| !i.deferral.deferrable);
            if index.is_none() && !matching.is_empty() {
                return Err(err!(
                    SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                    "cannot use a deferrable unique constraint for referenced table \"{}\"",
                    parent.name
                ));
            }
            (cols, index.map(|i| (*i).clone()))
        };
        if columns.len() != parent_columns.len() {
            return Err(err!(
                SqlState::INVALID_FOREIGN_KEY,
                "number of referencing and referenced columns for foreign key disagree"
            ));
        }
        let Some(index) = index else {
            return Err(err!(
                SqlState::INVALID_FOREIGN_KEY,
                "there is no unique constraint matching given keys for referenced table \"{}\"",
                parent.name
            ));
        };
        let name = match &def.name {
            Some(n) => {
                let snapshot = self.statement_snapshot();
                let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
                if self.shared.catalog.constraint_exists(n, child.oid, &who)? {
                    return Err(err!(
                        SqlState::DUPLICATE_OBJECT,
                        "constraint \"{n}\" for relation \"{}\" already exists",
                        child.name
                    ));
                }
                n.clone()
            }
            None => self.choose_constraint_name(child, &columns, xid)?,
        };
        for (&c, &p) in columns.iter().zip(&parent_columns) {
            let (ct, pt) = (child.columns[c].ty, parent.columns[p].ty);
            if !comparable(ct, pt) {
                return Err(err!(
                    SqlState::DATATYPE_MISMATCH,
                    "foreign key constraint \"{name}\" cannot be implemented"
                )
                .with_detail(format!(
                    "Key columns \"{}\" and \"{}\" are of incompatible types: {} and {}.",
                    child.columns[c].name,
                    parent.columns[p].name,
                    ct.sql_name(),
                    pt.sql_name()
                )));
            }
        }
        let fk = ForeignKey {
            oid: self.shared.catalog.allocate_oid()?,
            name,
            child: child.oid,
            child_name: child.name.clone(),
            columns,
            parent: parent.oid,
            parent_name: parent.name.clone(),
            parent_columns,
            index: index.oid,
            on_update: def.on_update,
            on_delete: def.on_delete,
            deferral: def.deferral,
        };
        if validate {
            self.validate_foreign_key(child, &parent, &index, &fk, xid)?;
        }
        let row = ConstraintRow {
            oid: fk.oid,
            name: fk.name.clone(),
            namespace: child.namespace,
            kind: b'f',
            relid: child.oid,
            index: index.oid,
            frelid: parent.oid,
            update_action: fk.on_update.code(),
            delete_action: fk.on_delete.code(),
            key: fk.columns.iter().map(|&c| c as i16 + 1).collect(),
            fkey: fk.parent_columns.iter().map(|&c| c as i16 + 1).collect(),
            eq_ops: fk.parent_columns.iter().map(|&c| equality_operator(parent.columns[c].ty)).collect(),
            deferral: fk.deferral,
            ..Default::default()
        };
        self.shared.catalog.add_constraint_row(&row, xid, self.cid)?;
        self.cid += 1;
        Ok(())
    }

    /// Every row `child` has (as this transaction sees it) must reference a
    /// row of `parent`; the tables are locked against writers meanwhile.
    fn validate_foreign_key(
        &mut self,
        child: &Table,
        parent: &Table,
        index: &Index,
        fk: &ForeignKey,
        xid: u64,
    ) -> Result<()> {
        let snapshot = self.shared.catalog.fresh_snapshot(self.pid);
        let who = Reader { path: None, snapshot: &snapshot, xid, cid: u32::MAX };
        let catalog = &self.shared.catalog;
        // The distinct keys first (no parent page is read while a child
        // page is held), then each looked up once.
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        let mut row = vec![Datum::Null; parent.columns.len()];
        catalog.scan_columns(child, &fk.columns, &who, &mut |values| {
            if values.iter().any(Datum::is_null) {
                return Ok(());
            }
            for (&p, v) in fk.parent_columns.iter().zip(values) {
                row[p] = v.clone();
            }
            let key = index.plain_key(&row);
            if seen.insert(key.clone()) {
                keys.push((key, values.to_vec()));
            }
            Ok(())
        })?;
        let mut missing = None;
        for (key, values) in keys {
            self.interrupts.check(self.deadline)?;
            if catalog.rows_with_key(parent, index, &key, &who)?.is_empty() {
                missing = Some(values);
                break;
            }
        }
        if let Some(values) = missing {
            let names: Vec<&str> = fk.columns.iter().map(|&c| child.columns[c].name.as_str()).collect();
            let vals: Vec<String> = values.iter().map(Datum::to_text).collect();
            return Err(err!(
                SqlState::FOREIGN_KEY_VIOLATION,
                "insert or update on table \"{}\" violates foreign key constraint \"{}\"",
                child.name,
                fk.name
            )
            .with_detail(format!(
                "Key ({})=({}) is not present in table \"{}\".",
                names.join(", "),
                vals.join(", "),
                parent.name
            ))
            .with_table(child.namespace, &child.name)
            .with_constraint(&fk.name));
        }
        Ok(())
    }

    /// PostgreSQL's default name `t_a_b_fkey`, with a number appended while
    /// a constraint of that name exists in the table's schema.
    fn choose_constraint_name(&mut self, child: &Table, columns: &[usize], xid: u64) -> Result<String> {
        let cols: Vec<&str> = columns.iter().map(|&c| child.columns[c].name.as_str()).collect();
        let base = format!("{}_{}_fkey", child.name, cols.join("_"));
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        for n in 0.. {
            let candidate = if n == 0 { base.clone() } else { format!("{base}{n}") };
            // Unique among the constraints of the table's schema, as in PostgreSQL.
            let taken =
                |c: &crate::catalog::system::ConstraintRow| c.name == candidate && c.namespace == child.namespace;
            if self.shared.catalog.constraints(&who, &taken)?.is_empty() {
                return Ok(candidate);
            }
        }
        unreachable!("some name is free")
    }

    /// `ALTER TABLE t DROP CONSTRAINT [IF EXISTS] name [CASCADE]`.
    pub(super) fn drop_constraint(
        &mut self,
        table_name: &str,
        if_exists: bool,
        name: &str,
        missing_ok: bool,
        cascade: bool,
    ) -> Result<()> {
        let Some((xid, table)) = self.alter_table_target(table_name, if_exists)? else { return Ok(()) };
        let Some((tid, row)) = self.constraint_named(&table, name, xid)? else {
            let msg = format!("constraint \"{name}\" of relation \"{table_name}\" does not exist");
            if missing_ok {
                self.notices.push(Notice::info(SqlState::SUCCESSFUL_COMPLETION, format!("{msg}, skipping")));
                return Ok(());
            }
            return Err(err!(SqlState::UNDEFINED_OBJECT, "{msg}"));
        };
        self.catalog_changed = true;
        if row.kind == b'c' {
            self.shared.catalog.delete_constraint_rows(&[tid], xid, self.cid)?;
        } else if row.kind == b'f' {
            if let Some(parent) = table.foreign_keys.iter().find(|f| f.oid == row.oid).map(|f| f.parent_name.clone()) {
                self.lock_for_ddl(&parent, LockMode::ShareRowExclusive)?;
            }
            self.shared.catalog.delete_constraint_rows(&[tid], xid, self.cid)?;
        } else {
            // A key constraint goes with its index, and takes the foreign
            // keys that rely on that index along (CASCADE) or is refused.
            let dependents: Vec<&ForeignKey> = table.referenced_by.iter().filter(|f| f.index == row.index).collect();
            if !dependents.is_empty() {
                let lines: Vec<String> = dependents
                    .iter()
                    .map(|f| format!("constraint {} on table {} depends on index {name}", f.name, f.child_name))
                    .collect();
                if !cascade {
                    return Err(err!(
                        SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                        "cannot drop constraint {name} on table {table_name} because other objects depend on it"
                    )
                    .with_detail(lines.join("\n"))
                    .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
                }
                let list: Vec<String> =
                    dependents.iter().map(|f| format!("constraint {} on table {}", f.name, f.child_name)).collect();
                self.cascade_notice(&list);
            }
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            let files = self.shared.catalog.drop_relation(row.index, xid, self.cid, &who)?;
            self.dropped_files.extend(files);
        }
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// PostgreSQL's NOTICE for objects a CASCADE drops too.
    pub(super) fn cascade_notice(&mut self, objects: &[String]) {
        let notice = match objects {
            [] => return,
            [one] => Notice::info(SqlState::SUCCESSFUL_COMPLETION, format!("drop cascades to {one}")),
            many => {
                let detail: Vec<String> = many.iter().map(|o| format!("drop cascades to {o}")).collect();
                let mut n = Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("drop cascades to {} other objects", many.len()),
                );
                n.detail = Some(detail.join("\n"));
                n
            }
        };
        self.notices.push(notice);
    }

    /// The foreign key checks a data-changing statement on `table` makes,
    /// with the other tables involved (locked ROW SHARE).
    pub(super) fn foreign_key_checks(&mut self, kind: &ModifyKind, table: &Arc<Table>) -> Result<Option<FkChecks>> {
        let (holds, referenced) = match kind {
            ModifyKind::Insert => (true, false),
            ModifyKind::Upsert(_) => (true, true),
            ModifyKind::Update(_) => (true, true),
            ModifyKind::Delete(_) => (false, true),
            ModifyKind::Lock { .. } => return Ok(None),
        };
        let holds = holds && !table.foreign_keys.is_empty();
        let referenced = referenced && !table.referenced_by.is_empty();
        if !holds && !referenced {
            return Ok(None);
        }
        let mut other = |name: &str, oid: u32| -> Result<Arc<Table>> {
            if oid == table.oid {
                return Ok(table.clone());
            }
            let tables = self.tables();
            tables
                .table(name, LockMode::RowShare)?
                .filter(|t| t.oid == oid)
                .ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"))
        };
        let mut h = Vec::new();
        if holds {
            for fk in &table.foreign_keys {
                h.push(Holds::new(fk, other(&fk.parent_name, fk.parent)?)?);
            }
        }
        let mut r = Vec::new();
        if referenced {
            for fk in &table.referenced_by {
                r.push(ReferencedBy { fk: fk.clone(), child: other(&fk.child_name, fk.child)? });
            }
        }
        let read_committed = !self.block.as_ref().is_some_and(|b| b.isolation != xact::Isolation::ReadCommitted);
        let cascades = if referenced { self.cascades(table, matches!(kind, ModifyKind::Delete(_)))? } else { None };
        Ok(Some(FkChecks::new(h, r, read_committed).with_cascades(cascades).with_pending(Some(self.pending.clone()))))
    }

    /// The tables the foreign key actions of a DELETE (`delete`) or an
    /// UPDATE of `table` reach, through every chain of actions, locked:
    /// ROW EXCLUSIVE those whose rows an action changes, ROW SHARE those
    /// their checks read; and the defaults SET DEFAULT actions set.
    fn cascades(&mut self, table: &Arc<Table>, delete: bool) -> Result<Option<Arc<Cascades>>> {
        let action = |fk: &ForeignKey, delete: bool| if delete { fk.on_delete } else { fk.on_update };
        if !table.referenced_by.iter().any(|f| acts(action(f, delete))) {
            return Ok(None);
        }
        let mut cascades = Cascades { tables: HashMap::new(), defaults: HashMap::new() };
        cascades.tables.insert(table.oid, table.clone());
        let mut seen = HashSet::new();
        let mut work = vec![(table.clone(), delete)];
        while let Some((t, delete)) = work.pop() {
            if !seen.insert((t.oid, delete)) {
                continue;
            }
            for fk in &t.foreign_keys {
                self.cascade_table(&mut cascades, &fk.parent_name, fk.parent, LockMode::RowShare)?;
            }
            for fk in &t.referenced_by {
                let changes = acts(action(fk, delete));
                let mode = if changes { LockMode::RowExclusive } else { LockMode::RowShare };
                let child = self.cascade_table(&mut cascades, &fk.child_name, fk.child, mode)?;
                if !changes {
                    continue;
                }
                if action(fk, delete) == FkAction::SetDefault {
                    let tables = self.tables();
                    let mut binder = Binder::simple("", &tables);
                    let defaults =
                        fk.columns.iter().map(|&c| binder.column_default(&child.columns[c])).collect::<Result<_>>()?;
                    cascades.defaults.insert(fk.oid, defaults);
                }
                work.push((child, delete && fk.on_delete == FkAction::Cascade));
            }
        }
        Ok(Some(Arc::new(cascades)))
    }

    /// Table `oid` (named `name`) locked in `mode`, kept in `cascades`.
    fn cascade_table(&mut self, cascades: &mut Cascades, name: &str, oid: u32, mode: LockMode) -> Result<Arc<Table>> {
        let table = match cascades.tables.get(&oid) {
            Some(t) if mode == LockMode::RowShare => return Ok(t.clone()),
            _ => {
                let tables = self.tables();
                tables
                    .table(name, mode)?
                    .filter(|t| t.oid == oid)
                    .ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"))?
            }
        };
        cascades.tables.entry(oid).or_insert_with(|| table.clone());
        Ok(table)
    }
}
