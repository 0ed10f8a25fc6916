//! Binding of DDL: CREATE TABLE (with PRIMARY KEY and UNIQUE constraints
//! and the fillfactor storage parameter), CREATE INDEX, DROP TABLE / DROP
//! INDEX, TRUNCATE, and ALTER TABLE … ADD PRIMARY KEY / UNIQUE. Names of columns in index
//! definitions stay names here; they are resolved against the table when the
//! statement runs, so a prepared CREATE INDEX sees the table as it is then.

use sqlparser::ast;

use super::{Binder, ident, split_name};
use crate::catalog::FkAction;
use crate::catalog::{self, keycode::KeyOrder};
use crate::err;
use crate::error::{Error, Result, SqlState};
use crate::sql::types::PgType;
use crate::sql::{
    AlterAction, CheckDef, ColumnSequence, CommentOn, ConstraintDef, DropKind, ForeignKeyDef, IndexDef, Statement,
};

impl Binder<'_> {
    pub(super) fn bind_create_table(&mut self, ct: &ast::CreateTable) -> Result<Statement> {
        if ct.on_commit.is_some() && !ct.temporary {
            return Err(err!(SqlState::INVALID_TABLE_DEFINITION, "ON COMMIT can only be used on temporary tables"));
        }
        if let Some(q) = &ct.query {
            return self.bind_create_table_as(ct, q);
        }
        if ct.query.is_some() || ct.like.is_some() || ct.clone.is_some() || ct.or_replace {
            return Err(Error::not_supported("this form of CREATE TABLE"));
        }
        let name = if ct.temporary { super::temp::temp_relation_name(&ct.name)? } else { public_name(&ct.name)? };
        let fillfactor = match &ct.table_options {
            ast::CreateTableOptions::None => 100,
            ast::CreateTableOptions::With(options) => storage_parameters(options)?,
            other => return Err(Error::not_supported(format!("table options {other}"))),
        };
        let mut columns: Vec<catalog::Column> = Vec::with_capacity(ct.columns.len());
        let mut indexes = Vec::new();
        let mut foreign_keys = Vec::new();
        let mut sequences = Vec::new();
        let mut checks = Vec::new();
        for def in &ct.columns {
            let serial = serial_type(&def.data_type);
            let (ty, typmod) = match serial {
                Some(ty) => (ty, -1),
                None => self.column_type(def)?,
            };
            let col = ident(&def.name);
            let mut not_null = serial.is_some();
            let mut default: Option<&ast::Expr> = None;
            let mut identity: Option<(u8, &[ast::SequenceOptions])> = None;
            let multiple = |what: &str| {
                err!(SqlState::SYNTAX_ERROR, "multiple {what} specified for column \"{col}\" of table \"{name}\"")
            };
            for opt in &def.options {
                let constraint_name = opt.name.as_ref().map(ident);
                match &opt.option {
                    ast::ColumnOption::Default(e) => {
                        if default.replace(e).is_some() || serial.is_some() {
                            return Err(multiple("default values"));
                        }
                    }
                    ast::ColumnOption::Generated {
                        generated_as: generated @ (ast::GeneratedAs::Always | ast::GeneratedAs::ByDefault),
                        sequence_options,
                        generation_expr: None,
                        ..
                    } => {
                        let kind = if *generated == ast::GeneratedAs::Always { b'a' } else { b'd' };
                        if identity.replace((kind, sequence_options.as_deref().unwrap_or(&[]))).is_some() {
                            return Err(multiple("identity specifications"));
                        }
                        not_null = true;
                    }
                    ast::ColumnOption::Generated { .. } => {
                        return Err(self.at(Error::not_supported("generated columns"), def));
                    }
                    ast::ColumnOption::NotNull => not_null = true,
                    ast::ColumnOption::Null => not_null = false,
                    ast::ColumnOption::PrimaryKey(pk) => {
                        not_null = true;
                        let deferral = deferral(&pk.characteristics)?;
                        indexes.push(IndexDef::constraint(constraint_name, vec![col.clone()], true).deferred(deferral));
                    }
                    ast::ColumnOption::Unique(u) => {
                        let deferral = deferral(&u.characteristics)?;
                        indexes
                            .push(IndexDef::constraint(constraint_name, vec![col.clone()], false).deferred(deferral));
                    }
                    ast::ColumnOption::ForeignKey(fk) => {
                        let mut fk = foreign_key(fk)?;
                        fk.name = constraint_name;
                        fk.columns = vec![col.clone()];
                        foreign_keys.push(fk);
                    }
                    ast::ColumnOption::Check(c) => {
                        let mut check = check_def(c, false)?;
                        check.name = constraint_name.or(check.name);
                        check.column = Some(col.clone());
                        checks.push(check);
                    }
                    other => return Err(self.at(Error::not_supported(format!("column option {other}")), def)),
                }
            }
            if columns.iter().any(|c| c.name == col) {
                return Err(err!(SqlState::DUPLICATE_COLUMN, "column \"{col}\" specified more than once"));
            }
            let mut column = catalog::Column::new(col.clone(), ty, typmod, not_null);
            column.domain = self.domain_type(&def.data_type)?;
            if let Some((kind, options)) = identity {
                if default.is_some() || serial.is_some() {
                    return Err(err!(
                        SqlState::SYNTAX_ERROR,
                        "both default and identity specified for column \"{col}\" of table \"{name}\""
                    ));
                }
                if !matches!(ty, PgType::Int2 | PgType::Int4 | PgType::Int8) {
                    return Err(err!(
                        SqlState::INVALID_PARAMETER_VALUE,
                        "identity column type must be smallint, integer, or bigint"
                    ));
                }
                let options = super::sequence::seq_options(options)?;
                sequences.push(ColumnSequence { column: col.clone(), identity: kind, options });
            } else if serial.is_some() {
                sequences.push(ColumnSequence { column: col.clone(), identity: 0, options: Default::default() });
            } else if let Some(e) = default {
                column.default = self.default_text(e, &column)?;
            }
            columns.push(column);
        }
        for c in &ct.constraints {
            if let ast::TableConstraint::ForeignKey(fk) = c {
                let def = foreign_key(fk)?;
                if let Some(missing) = def.columns.iter().find(|n| !columns.iter().any(|c| &c.name == *n)) {
                    return Err(err!(
                        SqlState::UNDEFINED_COLUMN,
                        "column \"{missing}\" referenced in foreign key constraint does not exist"
                    ));
                }
                foreign_keys.push(def);
                continue;
            }
            if let ast::TableConstraint::Check(c) = c {
                checks.push(check_def(c, false)?);
                continue;
            }
            let (name, cols, primary, characteristics) = match c {
                ast::TableConstraint::PrimaryKey(pk) if pk.include.is_empty() => {
                    (pk.name.as_ref().map(ident), &pk.columns, true, &pk.characteristics)
                }
                ast::TableConstraint::Unique(u) if u.include.is_empty() => {
                    (u.name.as_ref().map(ident), &u.columns, false, &u.characteristics)
                }
                other => return Err(Error::not_supported(format!("table constraint {other}"))),
            };
            let names = cols.iter().map(plain_column).collect::<Result<Vec<_>>>()?;
            for n in &names {
                let Some(col) = columns.iter_mut().find(|c| &c.name == n) else {
                    return Err(err!(SqlState::UNDEFINED_COLUMN, "column \"{n}\" named in key does not exist"));
                };
                if primary {
                    col.not_null = true;
                }
            }
            indexes.push(IndexDef::constraint(name, names, primary).deferred(deferral(characteristics)?));
        }
        if indexes.iter().filter(|i| i.primary).count() > 1 {
            return Err(err!(
                SqlState::INVALID_TABLE_DEFINITION,
                "multiple primary keys for table \"{name}\" are not allowed"
            ));
        }
        for ix in &indexes {
            if let Some(missing) = ix.columns.iter().find(|(c, _)| !columns.iter().any(|tc| &tc.name == c)) {
                return Err(err!(SqlState::UNDEFINED_COLUMN, "column \"{}\" named in key does not exist", missing.0));
            }
        }
        Ok(Statement::CreateTable {
            name,
            columns,
            if_not_exists: ct.if_not_exists,
            indexes,
            foreign_keys,
            fillfactor,
            unlogged: ct.unlogged,
            sequences,
            checks,
            on_commit: super::temp::on_commit(ct.on_commit),
        })
    }

    pub(super) fn bind_explain(
        &mut self,
        statement: &ast::Statement,
        mut analyze: bool,
        mut verbose: bool,
        options: Option<&[ast::UtilityOption]>,
    ) -> Result<Statement> {
        let (mut timing, mut summary, mut costs) = (true, None, true);
        for o in options.unwrap_or_default() {
            let name = o.name.value.to_ascii_lowercase();
            let arg = o.arg.as_ref().map(|a| a.to_string().to_ascii_lowercase());
            let on = match arg.as_deref() {
                None | Some("true" | "on" | "1") => true,
                Some("false" | "off" | "0") => false,
                Some(other) if name == "format" => {
                    if other != "text" {
                        return Err(Error::not_supported(format!("EXPLAIN (FORMAT {})", other.to_uppercase())));
                    }
                    true
                }
                Some(other) => {
                    return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "{name} requires a Boolean value")
                        .with_detail(format!("Got \"{other}\".")));
                }
            };
            match name.as_str() {
                "analyze" => analyze = on,
                "timing" => timing = on,
                "summary" => summary = Some(on),
                "costs" => costs = on,
                "verbose" => verbose = on,
                // No buffers, WAL or settings are tracked that these would
                // add to the output.
                "buffers" | "wal" | "settings" | "format" => {}
                other => {
                    return Err(err!(SqlState::SYNTAX_ERROR, "unrecognized EXPLAIN option \"{other}\""));
                }
            }
        }
        let inner = match statement {
            ast::Statement::Query(_)
            | ast::Statement::Insert(_)
            | ast::Statement::Update(_)
            | ast::Statement::Delete(_)
            | ast::Statement::Execute { .. } => self.bind_statement(statement)?,
            ast::Statement::CreateTable(ct) if ct.query.is_some() => self.bind_statement(statement)?,
            other => return Err(Error::not_supported(format!("EXPLAIN {}", super::statement_kind(other)))),
        };
        let summary = summary.unwrap_or(analyze);
        Ok(Statement::Explain { inner: Box::new(inner), analyze, timing, summary, costs, verbose })
    }

    pub(super) fn bind_truncate(&mut self, t: &ast::Truncate) -> Result<Statement> {
        if t.partitions.is_some() || t.on_cluster.is_some() || t.if_exists {
            return Err(Error::not_supported("this form of TRUNCATE"));
        }
        let restart_identity = matches!(t.identity, Some(ast::TruncateIdentityOption::Restart));
        let cascade = matches!(t.cascade, Some(ast::CascadeOption::Cascade));
        let mut names: Vec<String> = Vec::with_capacity(t.table_names.len());
        for target in &t.table_names {
            let name = public_name(&target.name)?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        Ok(Statement::Truncate { names, cascade, restart_identity })
    }

    /// `LOCK [TABLE] [ONLY] name [*], … [IN mode MODE] [NOWAIT]`; the
    /// mode defaults to ACCESS EXCLUSIVE.
    pub(super) fn bind_lock(&mut self, l: &ast::Lock) -> Result<Statement> {
        use crate::txn::lock::LockMode;
        let mut names = Vec::with_capacity(l.tables.len());
        for target in &l.tables {
            names.push(public_name(&target.name)?);
        }
        use ast::LockTableMode as M;
        let mode = match &l.lock_mode {
            None | Some(M::AccessExclusive) => LockMode::AccessExclusive,
            Some(M::AccessShare) => LockMode::AccessShare,
            Some(M::RowShare) => LockMode::RowShare,
            Some(M::RowExclusive) => LockMode::RowExclusive,
            Some(M::ShareUpdateExclusive) => LockMode::ShareUpdateExclusive,
            Some(M::Share) => LockMode::Share,
            Some(M::ShareRowExclusive) => LockMode::ShareRowExclusive,
            Some(M::Exclusive) => LockMode::Exclusive,
        };
        Ok(Statement::Lock { names, mode, nowait: l.nowait })
    }

    pub(super) fn bind_alter_table(&mut self, at: &ast::AlterTable) -> Result<Statement> {
        if at.location.is_some() || at.on_cluster.is_some() || at.table_type.is_some() {
            return Err(Error::not_supported("this form of ALTER TABLE"));
        }
        let table = public_name(&at.name)?;
        // One constraint action keeps its own statement (and code path).
        match at.operations.as_slice() {
            [ast::AlterTableOperation::AddConstraint { constraint, not_valid }] => {
                let def = constraint_def(constraint, *not_valid)?;
                return Ok(Statement::AddConstraint { table, if_exists: at.if_exists, def });
            }
            [
                ast::AlterTableOperation::AlterColumn {
                    column_name,
                    op: op @ (ast::AlterColumnOperation::SetDefault { .. } | ast::AlterColumnOperation::DropDefault),
                },
            ] => return self.bind_set_default(&table, at.if_exists, column_name, op),
            [ast::AlterTableOperation::DropConstraint { if_exists, name, drop_behavior }] => {
                return Ok(Statement::DropConstraint {
                    table,
                    if_exists: at.if_exists,
                    name: ident(name),
                    missing_ok: *if_exists,
                    cascade: matches!(drop_behavior, Some(ast::DropBehavior::Cascade)),
                });
            }
            _ => {}
        }
        let mut actions = Vec::with_capacity(at.operations.len());
        for op in &at.operations {
            self.bind_alter_action(op, &mut actions)?;
        }
        Ok(Statement::AlterTable { table, if_exists: at.if_exists, actions })
    }

    /// One action of ALTER TABLE, as one or more [`AlterAction`]s (ADD
    /// COLUMN … PRIMARY KEY is the column, then its constraint).
    fn bind_alter_action(&mut self, op: &ast::AlterTableOperation, out: &mut Vec<AlterAction>) -> Result<()> {
        use ast::AlterTableOperation as Op;
        let cascade = |b: &Option<ast::DropBehavior>| matches!(b, Some(ast::DropBehavior::Cascade));
        match op {
            Op::AddConstraint { constraint, not_valid } => {
                out.push(AlterAction::AddConstraint(constraint_def(constraint, *not_valid)?));
            }
            Op::ValidateConstraint { name } => out.push(AlterAction::ValidateConstraint(ident(name))),
            Op::OwnerTo { new_owner } => out.push(AlterAction::OwnerTo(match new_owner {
                ast::Owner::Ident(id) => ident(id),
                ast::Owner::CurrentRole => "current_role".into(),
                ast::Owner::CurrentUser => "current_user".into(),
                ast::Owner::SessionUser => "session_user".into(),
            })),
            Op::RenameConstraint { old_name, new_name } => {
                out.push(AlterAction::RenameConstraint { from: ident(old_name), to: ident(new_name) });
            }
            Op::DropConstraint { if_exists, name, drop_behavior } => out.push(AlterAction::DropConstraint {
                name: ident(name),
                missing_ok: *if_exists,
                cascade: cascade(drop_behavior),
            }),
            Op::AddColumn { if_not_exists, column_def, column_position: None, .. } => {
                self.bind_add_column(column_def, *if_not_exists, out)?;
            }
            Op::DropColumn { column_names, if_exists, drop_behavior, .. } => {
                for c in column_names {
                    out.push(AlterAction::DropColumn {
                        name: ident(c),
                        if_exists: *if_exists,
                        cascade: cascade(drop_behavior),
                    });
                }
            }
            Op::RenameColumn { old_column_name, new_column_name } => {
                out.push(AlterAction::RenameColumn { from: ident(old_column_name), to: ident(new_column_name) });
            }
            Op::RenameTable { table_name: ast::RenameTableNameKind::To(name) } => {
                out.push(AlterAction::RenameTo(split_name(name)?.1));
            }
            Op::AlterColumn { column_name, op } => {
                let column = ident(column_name);
                match op {
                    ast::AlterColumnOperation::SetNotNull => out.push(AlterAction::SetNotNull(column)),
                    ast::AlterColumnOperation::DropNotNull => out.push(AlterAction::DropNotNull(column)),
                    ast::AlterColumnOperation::SetDataType { data_type, using, .. } => {
                        let def = ast::ColumnDef {
                            name: column_name.clone(),
                            data_type: data_type.clone(),
                            options: Vec::new(),
                        };
                        if self.domain_type(data_type)?.is_some() {
                            return Err(Error::not_supported("ALTER COLUMN … TYPE to a domain"));
                        }
                        let (ty, typmod) = self.column_type(&def)?;
                        let using = using.as_ref().map(|e| e.to_string());
                        out.push(AlterAction::AlterColumnType { name: column, ty, typmod, using });
                    }
                    ast::AlterColumnOperation::AddGenerated { generated_as, sequence_options } => {
                        let generated = match generated_as {
                            None | Some(ast::GeneratedAs::Always) => b'a',
                            Some(ast::GeneratedAs::ByDefault) => b'd',
                            Some(ast::GeneratedAs::ExpStored) => {
                                return Err(Error::not_supported("ALTER COLUMN … ADD GENERATED … STORED"));
                            }
                        };
                        let options = super::sequence::seq_options(sequence_options.as_deref().unwrap_or(&[]))?;
                        out.push(AlterAction::AddIdentity { column, generated, options });
                    }
                    other => return Err(Error::not_supported(format!("ALTER TABLE … ALTER COLUMN … {other}"))),
                }
            }
            other => return Err(Error::not_supported(format!("ALTER TABLE {other}"))),
        }
        Ok(())
    }

    /// `ADD [COLUMN] [IF NOT EXISTS] name type [NULL | NOT NULL | DEFAULT
    /// e | GENERATED … AS IDENTITY | PRIMARY KEY | UNIQUE | REFERENCES …]`
    /// (the type may be SERIAL).
    fn bind_add_column(&mut self, def: &ast::ColumnDef, if_not_exists: bool, out: &mut Vec<AlterAction>) -> Result<()> {
        let serial = serial_type(&def.data_type);
        let (ty, typmod) = match serial {
            Some(ty) => (ty, -1),
            None => self.column_type(def)?,
        };
        let name = ident(&def.name);
        let mut not_null = serial.is_some();
        let mut constraints = Vec::new();
        let mut default = None;
        let mut sequence =
            serial.map(|_| ColumnSequence { column: name.clone(), identity: 0, options: Default::default() });
        for opt in &def.options {
            let constraint_name = opt.name.as_ref().map(ident);
            match &opt.option {
                ast::ColumnOption::Generated {
                    generated_as: generated @ (ast::GeneratedAs::Always | ast::GeneratedAs::ByDefault),
                    sequence_options,
                    generation_expr: None,
                    ..
                } if sequence.is_none() && default.is_none() => {
                    if !matches!(ty, PgType::Int2 | PgType::Int4 | PgType::Int8) {
                        return Err(err!(
                            SqlState::INVALID_PARAMETER_VALUE,
                            "identity column type must be smallint, integer, or bigint"
                        ));
                    }
                    let identity = if *generated == ast::GeneratedAs::Always { b'a' } else { b'd' };
                    let options = super::sequence::seq_options(sequence_options.as_deref().unwrap_or(&[]))?;
                    sequence = Some(ColumnSequence { column: name.clone(), identity, options });
                    not_null = true;
                }
                ast::ColumnOption::NotNull => not_null = true,
                ast::ColumnOption::Null => not_null = false,
                ast::ColumnOption::PrimaryKey(pk) => {
                    not_null = true;
                    let key = IndexDef::constraint(constraint_name, vec![name.clone()], true)
                        .deferred(deferral(&pk.characteristics)?);
                    constraints.push(AlterAction::AddConstraint(ConstraintDef::Key(key)));
                }
                ast::ColumnOption::Unique(u) => {
                    let key = IndexDef::constraint(constraint_name, vec![name.clone()], false)
                        .deferred(deferral(&u.characteristics)?);
                    constraints.push(AlterAction::AddConstraint(ConstraintDef::Key(key)));
                }
                ast::ColumnOption::ForeignKey(fk) => {
                    let mut fk = foreign_key(fk)?;
                    fk.name = constraint_name;
                    fk.columns = vec![name.clone()];
                    constraints.push(AlterAction::AddConstraint(ConstraintDef::ForeignKey(fk)));
                }
                ast::ColumnOption::Check(c) => {
                    let mut check = check_def(c, false)?;
                    check.name = constraint_name.or(check.name);
                    check.column = Some(name.clone());
                    constraints.push(AlterAction::AddConstraint(ConstraintDef::Check(check)));
                }
                ast::ColumnOption::Default(e) if sequence.is_none() => default = Some(e),
                ast::ColumnOption::Default(_) | ast::ColumnOption::Generated { .. } if sequence.is_some() => {
                    return Err(err!(
                        SqlState::SYNTAX_ERROR,
                        "both default and identity specified for column \"{name}\""
                    ));
                }
                other => return Err(self.at(Error::not_supported(format!("column option {other}")), def)),
            }
        }
        let mut column = catalog::Column::new(name, ty, typmod, not_null);
        column.domain = self.domain_type(&def.data_type)?;
        if let Some(e) = default {
            column.default = self.default_text(e, &column)?;
        }
        out.push(AlterAction::AddColumn { column, if_not_exists, sequence });
        out.extend(constraints);
        Ok(())
    }

    /// A column definition's type and `atttypmod`, for a table column.
    pub(super) fn column_type(&mut self, def: &ast::ColumnDef) -> Result<(PgType, i32)> {
        if let Some(d) = self.domain_type(&def.data_type)? {
            return Ok((d.base, d.typmod));
        }
        let (ty, len) = self.resolve_type(&def.data_type, def)?;
        if ty == PgType::Record || ty.elem() == Some(PgType::Record) {
            return Err(self.at(super::row_value::pseudo_type_column(&def.name.value), def));
        }
        // The OID alias types (regclass, regtype, regproc, …) are held as
        // names in memory and stored as OIDs (see `sql::reg_column`).
        let refused = |t: PgType| matches!(t, PgType::Void | PgType::Unknown);
        if refused(ty) || ty.elem().is_some_and(refused) {
            return Err(self.at(Error::not_supported(format!("table columns of type {}", ty.sql_name())), def));
        }
        // PostgreSQL's atttypmod: a length plus 4 (VARHDRSZ), a precision as is.
        let string = ty.elem().unwrap_or(ty).is_string();
        Ok((ty, len.map_or(-1, |n| if string { n as i32 + 4 } else { n as i32 })))
    }

    /// `ALTER INDEX|VIEW [IF EXISTS] name RENAME TO new_name`.
    /// `COMMENT ON … IS …` (see [`crate::catalog::comment`]).
    pub(super) fn bind_comment(
        &mut self,
        object_type: &ast::CommentObject,
        name: &ast::ObjectName,
        text: Option<&str>,
    ) -> Result<Statement> {
        use ast::CommentObject as O;
        let text = text.map(str::to_string);
        let relation = |kind| {
            Ok(Statement::Comment {
                on: CommentOn::Relation(kind),
                name: public_name(name)?,
                column: None,
                text: text.clone(),
            })
        };
        match object_type {
            O::Table => relation(DropKind::Table),
            O::View => relation(DropKind::View),
            O::Index => relation(DropKind::Index),
            O::Sequence => relation(DropKind::Sequence),
            O::Column => {
                let mut parts = name.0.clone();
                let column = match parts.pop() {
                    Some(p) if !parts.is_empty() => match p.as_ident() {
                        Some(i) => ident(i),
                        None => return Err(Error::not_supported("this column name")),
                    },
                    _ => {
                        return Err(err!(SqlState::SYNTAX_ERROR, "column name must be qualified"));
                    }
                };
                let table = public_name(&ast::ObjectName(parts))?;
                Ok(Statement::Comment { on: CommentOn::Column, name: table, column: Some(column), text })
            }
            O::Schema | O::Database => {
                let on = if matches!(object_type, O::Schema) { CommentOn::Schema } else { CommentOn::Database };
                let name = match name.0.as_slice() {
                    [one] => one.as_ident().map(ident).unwrap_or_default(),
                    _ => {
                        return Err(err!(
                            SqlState::SYNTAX_ERROR,
                            "{} name cannot be qualified",
                            if on == CommentOn::Schema { "schema" } else { "database" }
                        ));
                    }
                };
                Ok(Statement::Comment { on, name, column: None, text })
            }
            other => Err(Error::not_supported(format!("COMMENT ON {other}"))),
        }
    }

    pub(super) fn bind_rename_relation(
        &mut self,
        kind: DropKind,
        name: &ast::ObjectName,
        if_exists: bool,
        new_name: &ast::ObjectName,
    ) -> Result<Statement> {
        Ok(Statement::RenameRelation { kind, name: public_name(name)?, if_exists, new_name: split_name(new_name)?.1 })
    }

    pub(super) fn bind_create_index(&mut self, ci: &ast::CreateIndex) -> Result<Statement> {
        if let Some(using) = &ci.using {
            let method = using.to_string().to_ascii_lowercase();
            if method != "btree" {
                return Err(Error::not_supported(format!("index access method \"{method}\"")));
            }
        }
        if ci.nulls_distinct == Some(false) {
            return Err(Error::not_supported("NULLS NOT DISTINCT"));
        }
        if !ci.with.is_empty() || !ci.index_options.is_empty() || !ci.alter_options.is_empty() || ci.r#async {
            return Err(Error::not_supported("index storage parameters"));
        }
        let table = public_name(&ci.table_name)?;
        let name = match &ci.name {
            Some(n) => Some(public_name(n)?),
            None if ci.if_not_exists => {
                return Err(err!(SqlState::SYNTAX_ERROR, "syntax error at or near \"ON\""));
            }
            None => None,
        };
        let mut columns = Vec::with_capacity(ci.columns.len());
        let mut exprs = Vec::new();
        for c in &ci.columns {
            if c.operator_class.is_some() {
                return Err(Error::not_supported("index operator classes"));
            }
            let descending = match &c.column.options.sort {
                None | Some(ast::OrderBySort::Asc) => false,
                Some(ast::OrderBySort::Desc) => true,
                Some(ast::OrderBySort::Using(_)) => return Err(Error::not_supported("USING in an index column")),
            };
            let nulls_first = c.column.options.nulls_first.unwrap_or(descending);
            let order = KeyOrder { descending, nulls_first };
            let e = match &c.column.expr {
                ast::Expr::Nested(inner) => inner.as_ref(),
                e => e,
            };
            if let ast::Expr::Identifier(id) = e {
                columns.push((ident(id), order));
                exprs.push(None);
                continue;
            }
            // An expression key part, kept as text (its name is its text).
            let Some(t) = self.table_named(&table, crate::txn::lock::LockMode::Share)? else {
                return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{table}\" does not exist"));
            };
            let bound = self.bind_key_expression_of(&t.name, &t.columns, e)?;
            let text = super::predicate_text(&bound, &t.columns);
            columns.push((text.clone(), order));
            exprs.push(Some(text));
        }
        if exprs.iter().all(Option::is_none) {
            exprs.clear();
        }
        // INCLUDE: columns whose values ride along with the key (sqlparser
        // parses only names here, so no expression can appear).
        let include: Vec<String> = ci.include.iter().map(ident).collect();
        let predicate = match &ci.predicate {
            None => None,
            Some(p) => {
                let Some(t) = self.table_named(&table, crate::txn::lock::LockMode::Share)? else {
                    return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{table}\" does not exist"));
                };
                let bound = self.bind_predicate_of(&t.name, &t.columns, p)?;
                Some(super::predicate_text(&bound, &t.columns))
            }
        };
        Ok(Statement::CreateIndex {
            table,
            def: IndexDef {
                name,
                columns,
                unique: ci.unique,
                primary: false,
                constraint: false,
                predicate,
                exprs,
                include,
                deferral: Default::default(),
            },
            if_not_exists: ci.if_not_exists,
            concurrently: ci.concurrently,
        })
    }

    pub(super) fn bind_drop(
        &mut self,
        object_type: &ast::ObjectType,
        names: &[ast::ObjectName],
        if_exists: bool,
        cascade: bool,
        concurrently: bool,
    ) -> Result<Statement> {
        let kind = match object_type {
            ast::ObjectType::Table => DropKind::Table,
            ast::ObjectType::Index => DropKind::Index,
            ast::ObjectType::View => DropKind::View,
            ast::ObjectType::Sequence => DropKind::Sequence,
            ast::ObjectType::Schema => return super::schema::bind_drop_schema(names, if_exists, cascade),
            ast::ObjectType::Type => return super::enum_type::bind_drop_type(names, if_exists, cascade),
            ast::ObjectType::Role | ast::ObjectType::User | ast::ObjectType::Group => {
                return super::role::bind_drop_role(names, if_exists);
            }
            other => return Err(Error::not_supported(format!("DROP {other}"))),
        };
        // DROP INDEX CONCURRENTLY refuses CASCADE itself, when it runs.
        if cascade && kind == DropKind::Index && !concurrently {
            return Err(Error::not_supported(format!("DROP {} … CASCADE", kind.keyword())));
        }
        let names = names.iter().map(public_name).collect::<Result<Vec<_>>>()?;
        Ok(Statement::Drop { kind, names, if_exists, cascade, concurrently })
    }

    /// `CREATE [OR REPLACE] VIEW name [(columns)] AS query`: the query is
    /// bound now, so that its errors are CREATE VIEW's and its columns and
    /// the relations it names are known; it is kept as SQL text.
    pub(super) fn bind_create_view(&mut self, cv: &ast::CreateView) -> Result<Statement> {
        if cv.materialized {
            return Err(Error::not_supported("CREATE MATERIALIZED VIEW"));
        }
        if cv.or_alter || cv.secure || cv.if_not_exists || cv.to.is_some() || cv.params.is_some() {
            return Err(Error::not_supported("this form of CREATE VIEW"));
        }
        if !matches!(cv.options, ast::CreateTableOptions::None) {
            return Err(Error::not_supported("view options"));
        }
        let name = if cv.temporary { super::temp::temp_relation_name(&cv.name)? } else { public_name(&cv.name)? };
        // A view's query runs later, with no parameters to refer to.
        let allow_params = std::mem::replace(&mut self.allow_params, false);
        self.reads.clear();
        if let ast::SetExpr::Select(select) = cv.query.body.as_ref() {
            self.view_stars = Some((&**select as *const ast::Select, Vec::new()));
        }
        let bound = self.bind_query_plan(&cv.query);
        let stars = self.view_stars.take().map(|(_, stars)| stars).unwrap_or_default();
        self.allow_params = allow_params;
        let q = super::query::view_output(bound?);
        if cv.columns.len() > q.columns.len() {
            return Err(err!(SqlState::SYNTAX_ERROR, "CREATE VIEW specifies more column names than columns"));
        }
        let mut columns: Vec<catalog::Column> = Vec::with_capacity(q.columns.len());
        for (i, c) in q.columns.iter().enumerate() {
            let col = cv.columns.get(i).map_or_else(|| c.name.clone(), |d| ident(&d.name));
            if columns.iter().any(|have| have.name == col) {
                return Err(err!(SqlState::DUPLICATE_COLUMN, "column \"{col}\" specified more than once"));
            }
            if c.ty == PgType::Record {
                return Err(super::row_value::pseudo_type_column(&col));
            }
            columns.push(catalog::Column::new(col, c.ty, c.typmod, false));
        }
        Ok(Statement::CreateView {
            name,
            sql: view_text(&cv.query, &stars, &columns),
            columns,
            reads: std::mem::take(&mut self.reads),
            or_replace: cv.or_replace,
        })
    }
}

/// A FOREIGN KEY clause (table-level, column-level or in ALTER TABLE ADD).
/// A column-level one has no columns of its own: the caller fills them in.
fn foreign_key(fk: &ast::ForeignKeyConstraint) -> Result<ForeignKeyDef> {
    let deferral = deferral(&fk.characteristics)?;
    match fk.match_kind {
        None | Some(ast::ConstraintReferenceMatchKind::Simple) => {}
        Some(ast::ConstraintReferenceMatchKind::Full) => return Err(Error::not_supported("MATCH FULL")),
        Some(ast::ConstraintReferenceMatchKind::Partial) => {
            return Err(Error::not_supported("MATCH PARTIAL not yet implemented"));
        }
    }
    let action = |a: &Option<ast::ReferentialAction>, _on: &str| -> Result<FkAction> {
        Ok(match a {
            None | Some(ast::ReferentialAction::NoAction) => FkAction::NoAction,
            Some(ast::ReferentialAction::Restrict) => FkAction::Restrict,
            Some(ast::ReferentialAction::Cascade) => FkAction::Cascade,
            Some(ast::ReferentialAction::SetNull) => FkAction::SetNull,
            Some(ast::ReferentialAction::SetDefault) => FkAction::SetDefault,
        })
    };
    Ok(ForeignKeyDef {
        name: fk.name.as_ref().map(ident),
        columns: fk.columns.iter().map(ident).collect(),
        parent: public_name(&fk.foreign_table)?,
        parent_columns: fk.referred_columns.iter().map(ident).collect(),
        on_update: action(&fk.on_update, "UPDATE")?,
        on_delete: action(&fk.on_delete, "DELETE")?,
        deferral,
    })
}

/// `[NOT] DEFERRABLE [INITIALLY DEFERRED | INITIALLY IMMEDIATE]` of a key
/// or foreign key constraint: INITIALLY DEFERRED alone makes it
/// deferrable, as in PostgreSQL.
pub(super) fn deferral(c: &Option<ast::ConstraintCharacteristics>) -> Result<catalog::Deferral> {
    let Some(c) = c else { return Ok(catalog::Deferral::default()) };
    if c.enforced.is_some() {
        return Err(Error::not_supported("ENFORCED and NOT ENFORCED constraints"));
    }
    let initially_deferred = c.initially == Some(ast::DeferrableInitial::Deferred);
    if initially_deferred && c.deferrable == Some(false) {
        return Err(err!(SqlState::SYNTAX_ERROR, "constraint declared INITIALLY DEFERRED must be DEFERRABLE"));
    }
    Ok(catalog::Deferral { deferrable: c.deferrable.unwrap_or(initially_deferred), initially_deferred })
}

/// `WITH (name = value, …)` of CREATE TABLE: the fillfactor.
/// SERIAL, BIGSERIAL, SMALLSERIAL (and serial4, serial8, serial2): the
/// integer type of the column.
fn serial_type(dt: &ast::DataType) -> Option<PgType> {
    let ast::DataType::Custom(name, modifiers) = dt else { return None };
    if !modifiers.is_empty() || name.0.len() != 1 {
        return None;
    }
    match name.to_string().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => Some(PgType::Int4),
        "bigserial" | "serial8" => Some(PgType::Int8),
        "smallserial" | "serial2" => Some(PgType::Int2),
        _ => None,
    }
}

pub(super) fn storage_parameters(options: &[ast::SqlOption]) -> Result<u8> {
    let mut fillfactor = 100;
    for o in options {
        let ast::SqlOption::KeyValue { key, value } = o else {
            return Err(Error::not_supported(format!("storage parameter {o}")));
        };
        let name = key.to_string().to_ascii_lowercase();
        if name != "fillfactor" {
            return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "unrecognized parameter \"{name}\""));
        }
        let text = match value {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Number(n, _) => n.clone(),
                ast::Value::SingleQuotedString(s) => s.clone(),
                other => other.to_string(),
            },
            other => other.to_string(),
        };
        let n: i64 = text.trim().parse().map_err(|_| {
            err!(SqlState::INVALID_PARAMETER_VALUE, "invalid value for integer option \"fillfactor\": {text}")
        })?;
        if !(10..=100).contains(&n) {
            return Err(err!(SqlState::INVALID_PARAMETER_VALUE, "value {n} out of bounds for option \"fillfactor\"")
                .with_detail("Valid values are between \"10\" and \"100\"."));
        }
        fillfactor = n as u8;
    }
    Ok(fillfactor)
}

/// A relation name as the session's DDL takes it: a relation name string
/// (see [`catalog::namespace`]), qualified if it was written so.
pub(super) fn public_name(name: &ast::ObjectName) -> Result<String> {
    let (schema, rel) = split_name(name)?;
    Ok(catalog::namespace::qualified_name(schema.as_deref(), &rel))
}

/// A CHECK constraint (column-level or table-level; the caller names a
/// column constraint's column), `NOT VALID` if `not_valid`.
fn check_def(c: &ast::CheckConstraint, not_valid: bool) -> Result<CheckDef> {
    if c.enforced == Some(false) {
        return Err(Error::not_supported("NOT ENFORCED constraints"));
    }
    Ok(CheckDef {
        name: c.name.as_ref().map(ident),
        expr: c.expr.to_string(),
        column: None,
        not_valid,
        no_inherit: c.no_inherit,
    })
}

/// `ADD [CONSTRAINT c] PRIMARY KEY | UNIQUE (…) | FOREIGN KEY (…) REFERENCES …
/// | CHECK (…)` (only a CHECK may be `NOT VALID` yet).
fn constraint_def(constraint: &ast::TableConstraint, not_valid: bool) -> Result<ConstraintDef> {
    if let ast::TableConstraint::Check(c) = constraint {
        return Ok(ConstraintDef::Check(check_def(c, not_valid)?));
    }
    if not_valid {
        return Err(Error::not_supported("NOT VALID for this kind of constraint"));
    }
    Ok(match constraint {
        ast::TableConstraint::PrimaryKey(pk) if pk.include.is_empty() => {
            let cols = pk.columns.iter().map(plain_column).collect::<Result<Vec<_>>>()?;
            let def = IndexDef::constraint(pk.name.as_ref().map(ident), cols, true);
            ConstraintDef::Key(def.deferred(deferral(&pk.characteristics)?))
        }
        ast::TableConstraint::Unique(u) if u.include.is_empty() => {
            let cols = u.columns.iter().map(plain_column).collect::<Result<Vec<_>>>()?;
            let def = IndexDef::constraint(u.name.as_ref().map(ident), cols, false);
            ConstraintDef::Key(def.deferred(deferral(&u.characteristics)?))
        }
        ast::TableConstraint::ForeignKey(fk) => ConstraintDef::ForeignKey(foreign_key(fk)?),
        other => return Err(Error::not_supported(format!("ALTER TABLE ADD {other}"))),
    })
}

fn plain_column(c: &ast::IndexColumn) -> Result<String> {
    match &c.column.expr {
        ast::Expr::Identifier(id) if c.operator_class.is_none() && c.column.options.sort.is_none() => Ok(ident(id)),
        other => Err(Error::not_supported(format!("key column {other}"))),
    }
}

/// The SQL text a view keeps: its query, with the select list of a plain
/// SELECT aliased to the view's column names where they differ from what
/// the items would be called anyway, so that the text alone defines the
/// view's columns (as `pg_get_viewdef` shows it).
fn view_text(query: &ast::Query, stars: &[Vec<ast::SelectItem>], columns: &[catalog::Column]) -> String {
    let mut q = query.clone();
    if let ast::SetExpr::Select(select) = q.body.as_mut() {
        // Each `*` becomes the columns it stood for: a column added to a
        // table later is not part of the view.
        let mut stars = stars.iter();
        let mut projection = Vec::with_capacity(columns.len());
        for item in std::mem::take(&mut select.projection) {
            match (&item, matches!(item, ast::SelectItem::Wildcard(_) | ast::SelectItem::QualifiedWildcard(..))) {
                (_, true) => match stars.next() {
                    Some(items) => projection.extend(items.iter().cloned()),
                    None => projection.push(item),
                },
                _ => projection.push(item),
            }
        }
        select.projection = projection;
        if select.projection.len() == columns.len() {
            for (item, col) in select.projection.iter_mut().zip(columns) {
                let alias = || {
                    let plain = crate::catalog::describe::quote_identifier(&col.name) == col.name;
                    if plain { ast::Ident::new(&col.name) } else { ast::Ident::with_quote('"', &col.name) }
                };
                match item {
                    ast::SelectItem::UnnamedExpr(e) if super::figure_colname(e) != col.name => {
                        *item = ast::SelectItem::ExprWithAlias { expr: e.clone(), alias: alias() };
                    }
                    ast::SelectItem::ExprWithAlias { alias: a, .. } if ident(a) != col.name => *a = alias(),
                    _ => {}
                }
            }
        }
    }
    // The parser's markers read as the SQL they stand for.
    let distinct = format!("GROUP BY \"{}\", ", crate::sql::parser::GROUP_BY_DISTINCT);
    let field_star = format!(".\"{}\"", crate::sql::parser::FIELD_STAR);
    q.to_string().replace(&distinct, "GROUP BY DISTINCT ").replace(&field_star, ".*")
}
