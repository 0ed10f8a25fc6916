//! Running ALTER TABLE in a session: its actions, in order, in the
//! statement's transaction under an ACCESS EXCLUSIVE lock on the table
//! (see [`crate::catalog`]'s `alter` module for the catalog rows each
//! writes), and ALTER INDEX / ALTER VIEW … RENAME TO.
//!
//! What depends on a column goes or refuses as in PostgreSQL: dropping a
//! column drops the indexes (and key constraints) over it and the foreign
//! keys that hold it; a foreign key of another table that relies on such
//! an index, or a view that reads the column, is refused with 2BP01
//! unless CASCADE drops it too. Whether a view reads the column is found
//! by binding its query again without the column.
//!
//! Views keep their query as SQL text, so renaming a table or a column
//! that a view reads would break the view: that is refused (0A000) where
//! PostgreSQL, which keeps parse trees, renames through.

use crate::catalog::{Column, FIRST_NORMAL_OID, ForeignKey, Reader, RelKind, Table};
use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::sql::binder::Binder;
use crate::sql::{AlterAction, ColumnSequence, DropKind, Statement, parser};
use crate::txn::lock::LockMode;

use super::Session;
use super::rewrite::TypeChange;
use super::views::Dependent;

impl Session {
    /// `ALTER TABLE [IF EXISTS] t action, …`.
    pub(super) fn alter_table(&mut self, table_name: &str, if_exists: bool, actions: &[AlterAction]) -> Result<()> {
        let Some((xid, mut table)) = self.alter_table_target(table_name, if_exists)? else { return Ok(()) };
        if table.oid < FIRST_NORMAL_OID {
            return Err(crate::catalog::system_catalog_error(&table.name));
        }
        self.catalog_changed = true;
        // Actions that look the table up again by name use the name as
        // written, so that a schema-qualified one is not read through the
        // search path (RENAME TO keeps its schema).
        let mut target = table_name.to_string();
        let mut types_altered = false;
        for action in actions {
            if table.view.is_some() {
                check_view_action(action, &table.name)?;
            }
            if matches!(
                action,
                AlterAction::AlterColumnType { .. } | AlterAction::DropColumn { .. } | AlterAction::AddColumn { .. }
            ) {
                self.check_row_type_unused(&table, action, xid)?;
            }
            match action {
                AlterAction::AddColumn { column, if_not_exists, sequence } => {
                    self.add_column(&table, column, *if_not_exists, sequence.as_ref(), xid)?
                }
                AlterAction::DropColumn { name, if_exists, cascade } => {
                    self.drop_column(&table, name, *if_exists, *cascade, xid)?
                }
                AlterAction::RenameColumn { from, to } => self.rename_column(&table, from, to, xid)?,
                AlterAction::RenameTo(new_name) => {
                    self.rename_to(&table, RelKind::Table, new_name, xid)?;
                    let (schema, _) = crate::catalog::namespace::split_qualified(&target)?;
                    target = crate::catalog::namespace::qualified_name(schema.as_deref(), new_name);
                }
                AlterAction::SetNotNull(name) => {
                    let i = existing_column(&table, name)?;
                    let snapshot = self.statement_snapshot();
                    let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
                    self.shared.catalog.set_not_null(&table, &[i], xid, self.cid, &who)?;
                }
                AlterAction::SetStatistics { column, target } => {
                    let i = existing_column(&table, column)?;
                    if *target < -1 {
                        return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "statistics target {target} is too low"));
                    }
                    // PostgreSQL lowers a target above the maximum to it (with a warning).
                    let target = (*target).min(10_000) as i32;
                    let snapshot = self.statement_snapshot();
                    let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
                    self.shared.catalog.set_stat_target(&table, i, target, xid, self.cid, &who)?;
                }
                AlterAction::DropNotNull(name) => {
                    let i = existing_column(&table, name)?;
                    if table.indexes.iter().any(|x| x.primary && x.columns.contains(&i)) {
                        return Err(err!(SqlState::INVALID_TABLE_DEFINITION, "column \"{name}\" is in a primary key"));
                    }
                    let snapshot = self.statement_snapshot();
                    let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
                    self.shared.catalog.drop_not_null(&table, i, xid, self.cid, &who)?;
                }
                AlterAction::AddConstraint(def) => self.add_constraint(&target, false, def)?,
                AlterAction::DropConstraint { name, missing_ok, cascade } => {
                    self.drop_constraint(&target, false, name, *missing_ok, *cascade)?
                }
                AlterAction::ValidateConstraint(name) => self.validate_constraint(&table, name, xid)?,
                AlterAction::RenameConstraint { from, to } => self.rename_constraint(&table, from, to, xid)?,
                AlterAction::OwnerTo(role) => self.set_relation_owner(table.oid, role, xid)?,
                AlterAction::DropIdentity { column, missing_ok } => {
                    self.drop_identity(&table, column, *missing_ok, xid)?
                }
                AlterAction::AddIdentity { column, generated, options } => {
                    self.add_identity(&table, column, *generated, options, xid)?
                }
                AlterAction::SetIdentity { column, generated, options } => {
                    self.set_identity(&table, column, *generated, options, xid)?
                }
                // All of a statement's changes of type go together, in one
                // rewrite (see session/rewrite.rs).
                AlterAction::AlterColumnType { .. } if types_altered => continue,
                AlterAction::AlterColumnType { .. } => {
                    types_altered = true;
                    let changes: Vec<TypeChange<'_>> = actions
                        .iter()
                        .filter_map(|a| match a {
                            AlterAction::AlterColumnType { name, ty, typmod, using } => Some(TypeChange {
                                name,
                                column: Column::new(name.clone(), *ty, *typmod, false),
                                using: using.as_deref(),
                            }),
                            _ => None,
                        })
                        .collect();
                    self.alter_column_types(&table, &changes, xid)?
                }
            }
            self.cid += 1;
            // The next action sees what this one did.
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            table =
                self.shared.catalog.lookup_oid(table.oid, &who)?.ok_or_else(|| Error::internal("table vanished"))?;
        }
        self.simple_cache.clear();
        Ok(())
    }

    /// `ALTER INDEX|VIEW [IF EXISTS] name RENAME TO new_name`.
    pub(super) fn rename_relation(
        &mut self,
        kind: DropKind,
        name: &str,
        if_exists: bool,
        new_name: &str,
    ) -> Result<()> {
        let (command, wanted) = match kind {
            DropKind::Index => ("ALTER INDEX", RelKind::Index),
            DropKind::View => ("ALTER VIEW", RelKind::View),
            DropKind::Table => ("ALTER TABLE", RelKind::Table),
            DropKind::Sequence => ("ALTER SEQUENCE", RelKind::Sequence),
        };
        let xid = self.ensure_xid(command)?;
        self.lock_for_ddl(name, LockMode::AccessExclusive)?;
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let Some(rel) = self.shared.catalog.relation(name, &who)? else {
            if if_exists {
                self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("relation \"{name}\" does not exist, skipping"),
                ));
                return Ok(());
            }
            return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"));
        };
        // PostgreSQL lets ALTER INDEX rename any relation, but ALTER VIEW
        // only a view.
        if kind == DropKind::View && rel.kind != wanted {
            return Err(
                err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not a view").with_hint("Use ALTER TABLE instead.")
            );
        }
        self.check_owner(crate::catalog::privileges::PrivObject::Relation(rel.oid))?;
        if rel.oid < FIRST_NORMAL_OID {
            return Err(crate::catalog::system_catalog_error(name));
        }
        let table = match rel.kind {
            RelKind::Index => None,
            _ => self.shared.catalog.lookup(name, &who)?,
        };
        self.catalog_changed = true;
        match table {
            Some(t) => self.rename_to(&t, rel.kind, new_name, xid)?,
            None => {
                self.check_name_free(rel.namespace, new_name, xid)?;
                self.shared.catalog.rename_relation(rel.oid, new_name, xid, self.cid, &who)?;
            }
        }
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// RENAME TO of a table or view.
    fn rename_to(&mut self, table: &Table, kind: RelKind, new_name: &str, xid: u64) -> Result<()> {
        self.check_name_free(table.namespace, new_name, xid)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        if let Some((_, view)) = self.shared.catalog.dependent_views(table.oid, &who)?.first() {
            return Err(Error::not_supported(format!(
                "renaming {} \"{}\" that view \"{view}\" reads (views keep their query as text)",
                kind.noun(),
                table.name
            )));
        }
        self.shared.catalog.rename_relation(table.oid, new_name, xid, self.cid, &who)
    }

    /// A new relation name must not be taken (42P07).
    pub(super) fn check_name_free(&mut self, namespace: u32, name: &str, xid: u64) -> Result<()> {
        if self.relation_exists_in(namespace, name, xid)? {
            return Err(err!(SqlState::DUPLICATE_TABLE, "relation \"{name}\" already exists"));
        }
        Ok(())
    }

    /// ADD COLUMN: a new last column, NULL in every row there is (a NOT
    /// NULL one is refused if there are rows).
    fn add_column(
        &mut self,
        table: &Table,
        column: &Column,
        if_not_exists: bool,
        sequence: Option<&ColumnSequence>,
        xid: u64,
    ) -> Result<()> {
        if table.view.is_none() {
            crate::catalog::system::check_not_system_column(&column.name)?;
        }
        if table.column_index(&column.name).is_some() {
            let msg = format!("column \"{}\" of relation \"{}\" already exists", column.name, table.name);
            if if_not_exists {
                self.notices.push(Notice::info(SqlState::DUPLICATE_COLUMN, format!("{msg}, skipping")));
                return Ok(());
            }
            return Err(err!(SqlState::DUPLICATE_COLUMN, "{msg}"));
        }
        // A SERIAL or identity column gets its sequence first: its
        // default is the sequence's nextval.
        let mut column = column.clone();
        let qualified = self.qualified_table_name(table, xid)?;
        let owned = match sequence {
            // The sequence goes in the table's schema.
            Some(cs) => self.create_column_sequences(
                &qualified,
                std::slice::from_mut(&mut column),
                std::slice::from_ref(cs),
                xid,
            )?,
            None => Vec::new(),
        };
        let attnum = table.columns.len() as i16 + 1;
        let owned: Vec<(u32, i16, u8)> = owned.into_iter().map(|(seq, _, dep)| (seq, attnum, dep)).collect();
        let column = &column;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let nullable = Column { not_null: false, ..column.clone() };
        let catalog = self.shared.catalog.clone();
        if let Some(toast) = catalog.add_column(table, &nullable, xid, self.cid, &who)? {
            self.created_files.extend([toast.heap, toast.index]);
        }
        self.cid += 1;
        if !owned.is_empty() {
            self.own_column_sequences(table.oid, &owned, xid)?;
        }
        // An identity column's nextval is not a stored default.
        if let (Some(sql), 0) = (&column.default, column.identity) {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            catalog.set_default(table.oid, attnum, Some(sql), xid, self.cid, &who)?;
            self.cid += 1;
        }
        if column.default.is_some() || column.not_null || column.domain.is_some() {
            // The rows there are get the default (see session/rewrite.rs).
            self.fill_added_column(table.oid, column, xid)?;
        }
        Ok(())
    }

    /// A column's type cannot change while another table's column is of
    /// the table's row type (PostgreSQL's rule); columns cannot be added
    /// or dropped then either, as stored row values keep their fields by
    /// place and would not follow.
    fn check_row_type_unused(&mut self, table: &Table, action: &AlterAction, xid: u64) -> Result<()> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        let mut row_type = None;
        catalog.scan_types(&who, |t| {
            if t.kind == b'c' && t.relid == table.oid {
                row_type = Some(t);
            }
        })?;
        let Some(ty) = row_type else { return Ok(()) };
        if let AlterAction::AddColumn { column, .. } = action {
            if column.ty == crate::sql::types::PgType::Composite(ty.oid) {
                return Err(err!(
                    SqlState::INVALID_TABLE_DEFINITION,
                    "composite type {} cannot be made a member of itself",
                    table.name
                ));
            }
        }
        let Some((rel, column)) = catalog.columns_of_type(ty.oid, ty.array, &who)?.into_iter().next() else {
            return Ok(());
        };
        let user = catalog.regclass_text(rel, &who)?.unwrap_or_default();
        let verb = match action {
            AlterAction::DropColumn { .. } => Some("dropping"),
            AlterAction::AddColumn { .. } => Some("adding"),
            _ => None,
        };
        if let Some(verb) = verb {
            return Err(Error::not_supported(format!(
                "{verb} a column of table \"{}\" while column \"{user}.{column}\" uses its row type",
                table.name
            )));
        }
        Err(err!(
            SqlState::FEATURE_NOT_SUPPORTED,
            "cannot alter table \"{}\" because column \"{user}.{column}\" uses its row type",
            table.name
        ))
    }

    /// DROP COLUMN, with what depends on it (see the module doc).
    pub(super) fn drop_column(
        &mut self,
        table: &Table,
        name: &str,
        if_exists: bool,
        cascade: bool,
        xid: u64,
    ) -> Result<()> {
        let Some(i) = table.column_index(name) else {
            let msg = format!("column \"{name}\" of relation \"{}\" does not exist", table.name);
            if if_exists {
                self.notices.push(Notice::info(SqlState::SUCCESSFUL_COMPLETION, format!("{msg}, skipping")));
                return Ok(());
            }
            return Err(err!(SqlState::UNDEFINED_COLUMN, "{msg}"));
        };
        let catalog = self.shared.catalog.clone();
        // CHECK constraints that read it go first: the table is looked up
        // again below, and they would no longer bind.
        self.drop_checks_reading(table, i, xid)?;
        let indexes: Vec<u32> = table.indexes.iter().filter(|x| x.columns_read().contains(&i)).map(|x| x.oid).collect();
        // Foreign keys of other tables that rely on an index going away.
        let referencing: Vec<&ForeignKey> =
            table.referenced_by.iter().filter(|f| f.child != table.oid && indexes.contains(&f.index)).collect();
        // The column goes first (as a later command), so that the views
        // that read it can be found by binding them without it.
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        catalog.drop_column(table, i, xid, self.cid, &who)?;
        self.cid += 1;
        let readers = self.views_reading(table, xid)?;
        let mut lines: Vec<String> = readers.iter().map(|d| format!("view {}", d.name)).collect();
        lines.extend(referencing.iter().map(|f| format!("constraint {} on table {}", f.name, f.child_name)));
        if !lines.is_empty() && !cascade {
            let mut detail: Vec<String> = readers
                .iter()
                .map(|d| format!("view {} depends on column {name} of table {}", d.name, table.name))
                .collect();
            detail.extend(referencing.iter().map(|f| {
                format!(
                    "constraint {} on table {} depends on column {name} of table {}",
                    f.name, f.child_name, table.name
                )
            }));
            return Err(err!(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                "cannot drop column {name} of table {} because other objects depend on it",
                table.name
            )
            .with_detail(detail.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        self.cascade_notice(&lines);
        for f in &referencing {
            self.lock_for_ddl(&f.child_name, LockMode::AccessExclusive)?;
        }
        for d in &readers {
            self.locker().relation(d.oid, LockMode::AccessExclusive)?;
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        // Foreign keys held over the column, or relying on a doomed index.
        let doomed_fks: Vec<u32> = table
            .foreign_keys
            .iter()
            .filter(|f| f.columns.contains(&i))
            .chain(referencing.iter().copied())
            .map(|f| f.oid)
            .collect();
        let rows = catalog.constraints(&who, &|c| doomed_fks.contains(&c.oid))?;
        catalog.delete_constraint_rows(&rows.iter().map(|r| r.0).collect::<Vec<_>>(), xid, self.cid)?;
        // Views (the most dependent first), then indexes with their key
        // constraints.
        for oid in readers.iter().rev().map(|d| d.oid).chain(indexes) {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            let files = catalog.drop_relation(oid, xid, self.cid, &who)?;
            self.dropped_files.extend(files);
            self.cid += 1;
        }
        // Its default goes, and the sequence it owns (SERIAL, identity).
        let attnum = i as i16 + 1;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        if table.columns[i].default.is_some() {
            catalog.set_default(table.oid, attnum, None, xid, self.cid, &who)?;
            self.cid += 1;
        }
        let owned: Vec<u32> = catalog
            .owned_sequences(table.oid, &who)?
            .into_iter()
            .filter(|&(_, a, _)| a == i32::from(attnum))
            .map(|(seq, _, _)| seq)
            .collect();
        for seq in owned {
            self.locker().relation(seq, LockMode::AccessExclusive)?;
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            let files = catalog.drop_relation(seq, xid, self.cid, &who)?;
            self.dropped_files.extend(files);
            self.cid += 1;
        }
        Ok(())
    }

    /// RENAME COLUMN `from` TO `to`.
    fn rename_column(&mut self, table: &Table, from: &str, to: &str, xid: u64) -> Result<()> {
        let Some(i) = table.column_index(from) else {
            return Err(err!(SqlState::UNDEFINED_COLUMN, "column \"{from}\" does not exist"));
        };
        if table.view.is_none() {
            crate::catalog::system::check_not_system_column(to)?;
        }
        if table.column_index(to).is_some() {
            return Err(err!(
                SqlState::DUPLICATE_COLUMN,
                "column \"{to}\" of relation \"{}\" already exists",
                table.name
            ));
        }
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.rename_column(table, i, to, xid, self.cid, &who)?;
        self.rename_in_checks(table, i, to, xid)?;
        self.cid += 1;
        if let Some(view) = self.views_reading(table, xid)?.first() {
            return Err(Error::not_supported(format!(
                "renaming column \"{from}\" of \"{}\" that view \"{}\" reads (views keep their query as text)",
                table.name, view.name
            )));
        }
        Ok(())
    }

    /// The views over `table` (directly or through other views) that no
    /// longer bind to the columns they were created with, as the catalog
    /// is now in this transaction: those that read what was just changed.
    /// Views over those views come with them.
    fn views_reading(&mut self, table: &Table, xid: u64) -> Result<Vec<Dependent>> {
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = self.shared.catalog.clone();
        let mut broken = Vec::new();
        for (oid, name) in catalog.dependent_views(table.oid, &who)? {
            let Some(view) = catalog.lookup(&name, &who)? else { continue };
            if !self.view_still_binds(&view)? {
                broken.push((oid, RelKind::View, name));
            }
        }
        let mut out: Vec<Dependent> = broken
            .iter()
            .map(|(oid, _, name)| Dependent { oid: *oid, name: name.clone(), on: (RelKind::Table, table.name.clone()) })
            .collect();
        out.extend(self.dependent_views(&broken, &who)?);
        Ok(out)
    }

    /// Whether view `view`'s query still binds, to columns of the types it
    /// was created with.
    fn view_still_binds(&mut self, view: &Table) -> Result<bool> {
        let Some(sql) = &view.view else { return Ok(true) };
        let parsed = parser::parse(sql)?;
        let [statement] = parsed.as_slice() else { return Ok(false) };
        let tables = self.tables();
        let bound = match Binder::simple(sql, &tables).bind(statement) {
            Ok(b) => b,
            Err(e) if e.code() == SqlState::UNDEFINED_COLUMN => return Ok(false),
            Err(e) => return Err(e),
        };
        let Statement::Query { columns, .. } = &bound.statement else { return Ok(false) };
        let live: Vec<&Column> = view.columns.iter().filter(|c| !c.dropped).collect();
        Ok(columns.len() == live.len() && columns.iter().zip(live).all(|(a, b)| a.ty == b.ty))
    }
}

/// A live column by name, for ALTER COLUMN (42703 otherwise).
fn existing_column(table: &Table, name: &str) -> Result<usize> {
    table.column_index(name).ok_or_else(|| {
        err!(SqlState::UNDEFINED_COLUMN, "column \"{name}\" of relation \"{}\" does not exist", table.name)
    })
}

/// What ALTER TABLE may do to a view: rename it or its columns.
fn check_view_action(action: &AlterAction, name: &str) -> Result<()> {
    let what = match action {
        AlterAction::RenameColumn { .. } | AlterAction::RenameTo(_) | AlterAction::OwnerTo(_) => return Ok(()),
        AlterAction::AddColumn { .. } => "ADD COLUMN",
        AlterAction::DropColumn { .. } => "DROP COLUMN",
        AlterAction::SetNotNull(_) => "ALTER COLUMN ... SET NOT NULL",
        AlterAction::DropIdentity { .. } => "ALTER COLUMN ... DROP IDENTITY",
        AlterAction::AddIdentity { .. } => "ALTER COLUMN ... ADD IDENTITY",
        AlterAction::SetIdentity { .. } => "ALTER COLUMN ... SET GENERATED",
        AlterAction::DropNotNull(_) => "ALTER COLUMN ... DROP NOT NULL",
        AlterAction::SetStatistics { .. } => "ALTER COLUMN ... SET STATISTICS",
        AlterAction::AddConstraint(_) => "ADD CONSTRAINT",
        AlterAction::AlterColumnType { .. } => "ALTER COLUMN ... SET DATA TYPE",
        AlterAction::DropConstraint { .. } => "DROP CONSTRAINT",
        AlterAction::ValidateConstraint(_) => "VALIDATE CONSTRAINT",
        AlterAction::RenameConstraint { .. } => "RENAME CONSTRAINT",
    };
    Err(err!(SqlState::WRONG_OBJECT_TYPE, "ALTER action {what} cannot be performed on relation \"{name}\"")
        .with_detail("This operation is not supported for views."))
}
