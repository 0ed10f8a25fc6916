//! Sequences in a session: the sequence functions (`nextval`, `currval`,
//! `setval`, `lastval`) with the session's own `currval`/`lastval` state,
//! and the DDL that makes and changes sequences — CREATE and ALTER
//! SEQUENCE, the sequences of SERIAL and identity columns, ALTER TABLE …
//! SET/DROP DEFAULT.
//!
//! Values are handed out outside MVCC (see [`crate::storage::sequence`]);
//! the session remembers the end of the WAL that logged values ahead, and
//! its commit awaits that WAL's flush even when the transaction wrote
//! nothing else (`Session::end_transaction`).

use std::collections::HashMap;

use super::{Eval, Session};
use crate::catalog::sequence::{Sequence, SequenceDef};
use crate::catalog::{Reader, RelKind, Table};
use crate::err;
use crate::error::{Error, Notice, Result, SqlState};
use crate::sql::ColumnSequence;
use crate::sql::func::SeqFunc;
use crate::sql::sequence::SeqOptions;
use crate::sql::types::Datum;
use crate::txn::lock::LockMode;

/// What a session remembers of the sequences it used.
#[derive(Debug, Default)]
pub struct SessionSequences {
    /// The last value `nextval` (or `setval`) gave each sequence: `currval`.
    current: HashMap<u32, i64>,
    /// The sequence `nextval` last advanced: `lastval`.
    last: Option<u32>,
    /// Values of a sequence with CACHE above 1 this session took from it
    /// but has not handed out yet.
    cached: HashMap<u32, CachedValues>,
    /// The end of the WAL logging values this transaction took.
    pub flush_lsn: u64,
}

/// A sequence's values a session holds (PostgreSQL's `SeqTable` entry):
/// `nextval` steps from the last one handed out up to `last`.
#[derive(Clone, Copy, Debug)]
struct CachedValues {
    handed_out: i64,
    last: i64,
    increment: i64,
    /// The WAL that logged the block: a commit that used one of its values
    /// awaits it, whichever transaction fetched the block.
    lsn: u64,
    /// [`crate::catalog::Catalog::sequence_resets`] when fetched.
    resets: u64,
}

impl SessionSequences {
    /// `DISCARD SEQUENCES`: no `currval` or `lastval` until the next
    /// `nextval`, and no cached values.
    pub(super) fn forget(&mut self) {
        self.current.clear();
        self.cached.clear();
        self.last = None;
    }

    /// The next value of the block this session holds of `seq`, if any is
    /// left and the sequence has not restarted or changed since.
    fn next_cached(&mut self, seq: u32, resets: u64) -> Option<(i64, u64)> {
        let c = self.cached.get_mut(&seq)?;
        if c.resets != resets || c.handed_out == c.last {
            self.cached.remove(&seq);
            return None;
        }
        c.handed_out += c.increment;
        Some((c.handed_out, c.lsn))
    }
}

impl Eval<'_> {
    /// Sequence `regclass` names, as the transaction sees the catalog now.
    fn find_sequence(&self, regclass: &Datum) -> Result<Sequence> {
        let snapshot = self.txns.snapshot();
        let who = Reader { path: Some(self.search_path), snapshot: &snapshot, xid: self.reader_xid, cid: u32::MAX };
        let oid = match regclass {
            Datum::Text(name) => match name.parse::<u32>() {
                Ok(oid) => oid,
                Err(_) => self
                    .catalog
                    .relation_oid(name, &who)?
                    .ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"))?,
            },
            other => other.as_i64().and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
        };
        if let Some(seq) = self.catalog.sequence(oid, &who)? {
            return Ok(seq);
        }
        match self.catalog.relation_by_oid(oid, &who)? {
            Some((name, _)) => Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not a sequence")),
            None => Err(err!(SqlState::UNDEFINED_TABLE, "could not open relation with OID {oid}")),
        }
    }

    /// A change to a sequence in a read-only transaction is refused.
    fn check_writable(&self, func: &str) -> Result<()> {
        if self.block.is_some_and(|(_, read_only)| read_only) {
            return Err(err!(
                SqlState::READ_ONLY_SQL_TRANSACTION,
                "cannot execute {func}() in a read-only transaction"
            ));
        }
        Ok(())
    }

    /// Error 42501 unless the current user holds one of `any` on sequence
    /// `seq` (nextval: USAGE or UPDATE; currval: SELECT or USAGE; setval:
    /// UPDATE).
    fn check_sequence_privilege(&self, seq: &Sequence, any: &[char]) -> Result<()> {
        if self.settings.str(crate::config::Guc::is_superuser) == "on" {
            return Ok(());
        }
        let role = self.session_user_name().to_string();
        let allowed = self.read_catalog(|who| {
            let Some(r) = self.catalog.role_by_name(&role, who)? else { return Ok(true) };
            let object = crate::catalog::privileges::PrivObject::Relation(seq.oid);
            Ok(self.catalog.has_privilege(r.oid, object, any, false, who)?.unwrap_or(true))
        })?;
        match allowed {
            true => Ok(()),
            false => Err(super::privileges::denied("sequence", &seq.name)),
        }
    }

    pub(super) fn sequence_call(&mut self, func: SeqFunc, args: &[Datum]) -> Result<Datum> {
        match func {
            SeqFunc::Nextval => {
                let seq = self.find_sequence(&args[0])?;
                self.check_sequence_privilege(&seq, &['U', 'w'])?;
                self.check_writable("nextval")?;
                let resets = self.catalog.sequence_resets();
                let (value, lsn) = match self.sequences.next_cached(seq.oid, resets) {
                    Some(cached) => cached,
                    None => {
                        let block = self.catalog.nextval(&seq)?;
                        if block.last != block.first {
                            let increment = seq.def.increment;
                            let values = CachedValues {
                                handed_out: block.first,
                                last: block.last,
                                increment,
                                lsn: block.lsn,
                                resets,
                            };
                            self.sequences.cached.insert(seq.oid, values);
                        }
                        (block.first, block.lsn)
                    }
                };
                self.sequences.flush_lsn = self.sequences.flush_lsn.max(lsn);
                self.sequences.current.insert(seq.oid, value);
                self.sequences.last = Some(seq.oid);
                Ok(Datum::Int8(value))
            }
            SeqFunc::Currval => {
                let seq = self.find_sequence(&args[0])?;
                self.check_sequence_privilege(&seq, &['r', 'U'])?;
                match self.sequences.current.get(&seq.oid) {
                    Some(&v) => Ok(Datum::Int8(v)),
                    None => Err(err!(
                        SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                        "currval of sequence \"{}\" is not yet defined in this session",
                        seq.name
                    )),
                }
            }
            SeqFunc::Lastval => {
                let undefined =
                    || err!(SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, "lastval is not yet defined in this session");
                let oid = self.sequences.last.ok_or_else(undefined)?;
                // A sequence dropped since counts as never used (as PostgreSQL has it).
                let seq = self.find_sequence(&Datum::Text(oid.to_string())).map_err(|_| undefined())?;
                self.check_sequence_privilege(&seq, &['r', 'U'])?;
                self.sequences.current.get(&seq.oid).map(|&v| Datum::Int8(v)).ok_or_else(undefined)
            }
            SeqFunc::LastValue => {
                let seq = self.find_sequence(&args[0])?;
                self.check_sequence_privilege(&seq, &['r', 'U'])?;
                let s = self.catalog.sequence_state(&seq)?;
                Ok(if s.is_called { Datum::Int8(s.last_value) } else { Datum::Null })
            }
            SeqFunc::Setval => {
                let seq = self.find_sequence(&args[0])?;
                self.check_sequence_privilege(&seq, &['w'])?;
                self.check_writable("setval")?;
                let value = args[1].as_i64().unwrap_or(0);
                let is_called = args.get(2).is_none_or(|c| *c == Datum::Bool(true));
                let d = &seq.def;
                if value < d.min || value > d.max {
                    return Err(err!(
                        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                        "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
                        seq.name,
                        d.min,
                        d.max
                    ));
                }
                let lsn = self.catalog.set_sequence(&seq, value, is_called)?;
                self.sequences.flush_lsn = self.sequences.flush_lsn.max(lsn);
                // This session's own cached values are dropped.
                self.sequences.cached.remove(&seq.oid);
                if is_called {
                    self.sequences.current.insert(seq.oid, value);
                }
                Ok(Datum::Int8(value))
            }
        }
    }

    /// The row of `SELECT * FROM seq`.
    pub(super) fn sequence_row(&self, oid: u32) -> Result<Vec<Vec<Datum>>> {
        let seq = self.find_sequence(&Datum::Text(oid.to_string()))?;
        let s = self.catalog.sequence_state(&seq)?;
        Ok(vec![vec![Datum::Int8(s.last_value), Datum::Int8(s.log_cnt), Datum::Bool(s.is_called)]])
    }

    pub(super) fn serial_sequence_of(&self, table: &str, column: &str) -> Result<Option<String>> {
        let snapshot = self.txns.snapshot();
        let who = Reader { path: Some(self.search_path), snapshot: &snapshot, xid: self.reader_xid, cid: u32::MAX };
        let oid = self
            .catalog
            .relation_oid(table, &who)?
            .ok_or_else(|| err!(SqlState::UNDEFINED_TABLE, "relation \"{table}\" does not exist"))?;
        let Some((name, _)) = self.catalog.relation_by_oid(oid, &who)? else { return Ok(None) };
        let t = self.catalog.lookup_oid(oid, &who)?.ok_or_else(|| Error::internal("relation vanished"))?;
        // The column is an identifier, folded like one unless quoted.
        let col = match column.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => column.to_lowercase(),
        };
        let Some(attnum) = t.columns.iter().position(|c| c.name == col) else {
            return Err(err!(SqlState::UNDEFINED_COLUMN, "column \"{col}\" of relation \"{name}\" does not exist"));
        };
        for (seq, n, _) in self.catalog.owned_sequences(oid, &who)? {
            if n == attnum as i32 + 1 {
                if let Some((seq_name, rel)) = self.catalog.relation_by_oid(seq, &who)? {
                    let schema = self.catalog.schema_or_temp(rel.namespace, self.search_path, &who)?;
                    let quote = crate::catalog::describe::quote_identifier;
                    return Ok(Some(format!("{schema}.{}", quote(&seq_name))));
                }
            }
        }
        Ok(None)
    }
}

impl Session {
    /// A name for a table column's sequence that no relation has:
    /// `<table>_<column>_seq`, then with 1, 2, … appended.
    fn choose_sequence_name(&mut self, table: &str, column: &str, xid: u64) -> Result<String> {
        use crate::catalog::namespace::{qualified_name, split_qualified};
        let (schema, table) = split_qualified(table)?;
        // In `public` the name stays unqualified, as PostgreSQL prints it.
        let schema = schema.filter(|s| s != "public");
        for n in 0.. {
            let suffix = if n == 0 { "seq".to_string() } else { format!("seq{n}") };
            let mut base = format!("{table}_{column}");
            // Names are at most 63 bytes, as PostgreSQL's NAMEDATALEN says.
            while base.len() + 1 + suffix.len() > 63 {
                base.pop();
            }
            let candidate = qualified_name(schema.as_deref(), &format!("{base}_{suffix}"));
            if !self.relation_exists(
                &qualified_name(Some(schema.as_deref().unwrap_or("public")), &format!("{base}_{suffix}")),
                xid,
            )? {
                return Ok(candidate);
            }
        }
        unreachable!("some name is free")
    }

    /// `table`'s name qualified with its schema.
    pub(super) fn qualified_table_name(&mut self, table: &Table, xid: u64) -> Result<String> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let schema = self.shared.catalog.namespace_name(table.namespace, &who)?;
        Ok(crate::catalog::namespace::qualified_name(schema.as_deref(), &table.name))
    }

    /// CREATE TABLE: create the sequences of its SERIAL and identity
    /// columns and give those columns their defaults. Each sequence is
    /// tied to its column once the table exists ([`Session::own_column_sequences`]).
    pub(super) fn create_column_sequences(
        &mut self,
        table: &str,
        columns: &mut [crate::catalog::Column],
        sequences: &[ColumnSequence],
        xid: u64,
    ) -> Result<Vec<(u32, i16, u8)>> {
        let mut owned = Vec::new();
        for cs in sequences {
            let Some(i) = columns.iter().position(|c| c.name == cs.column) else { continue };
            let name = self.choose_sequence_name(table, &cs.column, xid)?;
            let options = SeqOptions { ty: Some(columns[i].ty), ..cs.options.clone() };
            let (def, _) = options.resolve(None)?;
            let seq = self.new_sequence(&name, &def, xid)?;
            // The session's temporary schema is always searched first, so
            // its sequences go unqualified, as PostgreSQL prints them.
            let visible = match crate::catalog::namespace::split_qualified(&name)? {
                (Some(schema), bare) if crate::catalog::namespace::is_temp_namespace_name(&schema) => bare,
                _ => name.clone(),
            };
            columns[i].default = Some(crate::catalog::nextval_text(&visible));
            columns[i].identity = cs.identity;
            owned.push((seq.oid, i as i16 + 1, if cs.identity != 0 { b'i' } else { b'a' }));
        }
        Ok(owned)
    }

    /// Record the columns' ownership of their sequences.
    pub(super) fn own_column_sequences(&mut self, table_oid: u32, owned: &[(u32, i16, u8)], xid: u64) -> Result<()> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        for &(seq, attnum, deptype) in owned {
            self.shared.catalog.set_sequence_owner(seq, Some((table_oid, attnum)), deptype, xid, self.cid, &who)?;
        }
        self.cid += 1;
        Ok(())
    }

    fn new_sequence(&mut self, name: &str, def: &SequenceDef, xid: u64) -> Result<Sequence> {
        self.catalog_changed = true;
        let (seq, lsn) = self.shared.catalog.create_sequence(name, def, xid, self.cid)?;
        self.created_files.push(seq.rel);
        self.sequences.flush_lsn = self.sequences.flush_lsn.max(lsn);
        self.cid += 1;
        self.simple_cache.clear();
        Ok(seq)
    }

    /// `CREATE SEQUENCE [IF NOT EXISTS] name options…`.
    pub(super) fn create_sequence(&mut self, name: &str, if_not_exists: bool, options: &SeqOptions) -> Result<()> {
        let xid = self.ensure_xid("CREATE SEQUENCE")?;
        let name = &self.creation_name(name, xid)?;
        if !self.check_new_relation(name, if_not_exists, xid)? {
            return Ok(());
        }
        let (def, _) = options.resolve(None)?;
        let owner = match &options.owned_by {
            Some(Some((t, c))) => Some(self.owner_column(t, c, xid)?),
            _ => None,
        };
        let seq = self.new_sequence(name, &def, xid)?;
        if let Some(owner) = owner {
            self.own_column_sequences(owner.0, &[(seq.oid, owner.1, b'a')], xid)?;
        }
        Ok(())
    }

    /// The table OID and attnum `OWNED BY table.column` names.
    fn owner_column(&mut self, table: &str, column: &str, xid: u64) -> Result<(u32, i16)> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let Some(rel) = self.shared.catalog.relation(table, &who)? else {
            return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{table}\" does not exist"));
        };
        if rel.kind != RelKind::Table && rel.kind != RelKind::View {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "sequence cannot be owned by relation \"{table}\"")
                .with_detail(format!("This operation is not supported for {}s.", rel.kind.noun())));
        }
        let t = self.shared.catalog.lookup(table, &who)?.ok_or_else(|| Error::internal("relation vanished"))?;
        match t.columns.iter().position(|c| c.name == column) {
            Some(i) => Ok((rel.oid, i as i16 + 1)),
            None => Err(err!(SqlState::UNDEFINED_COLUMN, "column \"{column}\" of relation \"{table}\" does not exist")),
        }
    }

    /// `ALTER SEQUENCE [IF EXISTS] name options…`: new parameters are
    /// catalog rows (transactional); RESTART changes the state at once.
    pub(super) fn alter_sequence(&mut self, name: &str, if_exists: bool, options: &SeqOptions) -> Result<()> {
        let xid = self.ensure_xid("ALTER SEQUENCE")?;
        self.lock_for_ddl(name, LockMode::ShareRowExclusive)?;
        let snapshot = self.statement_snapshot();
        let path = self.search_path.clone();
        let who = Reader { path: Some(&path), snapshot: &snapshot, xid, cid: self.cid };
        let rel = self.shared.catalog.relation(name, &who)?;
        let Some(rel) = rel else {
            if if_exists {
                self.notices.push(Notice::info(
                    SqlState::SUCCESSFUL_COMPLETION,
                    format!("relation \"{name}\" does not exist, skipping"),
                ));
                return Ok(());
            }
            return Err(err!(SqlState::UNDEFINED_TABLE, "relation \"{name}\" does not exist"));
        };
        let Some(seq) = self.shared.catalog.sequence(rel.oid, &who)? else {
            return Err(err!(SqlState::WRONG_OBJECT_TYPE, "\"{name}\" is not a sequence"));
        };
        self.check_owner(crate::catalog::privileges::PrivObject::Relation(rel.oid))?;
        let (def, restart) = options.resolve(Some(&seq.def))?;
        let owner = match &options.owned_by {
            Some(Some((t, c))) => Some(Some(self.owner_column(t, c, xid)?)),
            Some(None) => Some(None),
            None => None,
        };
        self.catalog_changed = true;
        if def != seq.def {
            self.shared.catalog.alter_sequence(&seq, &def, xid, self.cid)?;
        }
        if let Some(value) = restart {
            let lsn = self.shared.catalog.restart_sequence(&seq, value)?;
            self.sequences.flush_lsn = self.sequences.flush_lsn.max(lsn);
        }
        if let Some(owner) = owner {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            self.shared.catalog.set_sequence_owner(seq.oid, owner, b'a', xid, self.cid, &who)?;
        }
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// TRUNCATE … RESTART IDENTITY: the sequences the tables' columns own
    /// start again.
    pub(super) fn restart_owned_sequences(&mut self, tables: &[u32]) -> Result<()> {
        let xid = self.ensure_xid("TRUNCATE")?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        for &t in tables {
            for (oid, _, _) in self.shared.catalog.owned_sequences(t, &who)? {
                if let Some(seq) = self.shared.catalog.sequence(oid, &who)? {
                    let lsn = self.shared.catalog.restart_sequence(&seq, seq.def.start)?;
                    self.sequences.flush_lsn = self.sequences.flush_lsn.max(lsn);
                }
            }
        }
        Ok(())
    }

    /// DROP TABLE: the sequences its columns own go with it (OIDs, names).
    pub(super) fn owned_sequences_of(&self, table: u32, who: &Reader<'_>) -> Result<Vec<(u32, String)>> {
        let mut out = Vec::new();
        for (oid, _, _) in self.shared.catalog.owned_sequences(table, who)? {
            if let Some((name, _)) = self.shared.catalog.relation_by_oid(oid, who)? {
                out.push((oid, name));
            }
        }
        Ok(out)
    }

    /// The sequence of identity column `column` of `table`: its index, OID
    /// and schema-qualified name; `None` (with `missing_ok`, after a
    /// notice) or error 55000 if the column is no identity column.
    fn identity_of(
        &mut self,
        table: &Table,
        column: &str,
        missing_ok: bool,
        xid: u64,
    ) -> Result<Option<(usize, u32, String)>> {
        let i = table.column_index(column).ok_or_else(|| {
            err!(SqlState::UNDEFINED_COLUMN, "column \"{column}\" of relation \"{}\" does not exist", table.name)
        })?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        let seq = match table.columns[i].identity {
            0 => None,
            _ => catalog.identity_sequence(table.oid, i as i16 + 1, &who)?,
        };
        let Some(seq) = seq else {
            let msg = format!("column \"{column}\" of relation \"{}\" is not an identity column", table.name);
            if missing_ok {
                self.notices.push(Notice::info(SqlState::SUCCESSFUL_COMPLETION, format!("{msg}, skipping")));
                return Ok(None);
            }
            return Err(err!(SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, "{msg}"));
        };
        let (name, rel) = catalog.relation_by_oid(seq, &who)?.ok_or_else(|| Error::internal("sequence vanished"))?;
        let schema = catalog.namespace_name(rel.namespace, &who)?;
        Ok(Some((i, seq, crate::catalog::namespace::qualified_name(schema.as_deref(), &name))))
    }

    /// `ALTER TABLE t ALTER COLUMN c DROP IDENTITY [IF EXISTS]`: the column
    /// is an ordinary one again, and its sequence goes.
    pub(super) fn drop_identity(&mut self, table: &Table, column: &str, missing_ok: bool, xid: u64) -> Result<()> {
        let Some((i, seq, name)) = self.identity_of(table, column, missing_ok, xid)? else { return Ok(()) };
        self.lock_for_ddl(&name, LockMode::AccessExclusive)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.set_identity(table.oid, i as i16 + 1, 0, xid, self.cid, &who)?;
        let files = self.shared.catalog.drop_relation(seq, xid, self.cid, &who)?;
        self.dropped_files.extend(files);
        Ok(())
    }

    /// `ALTER TABLE t ALTER COLUMN c ADD GENERATED … AS IDENTITY [(options)]`
    /// with PostgreSQL's checks (`ATExecAddIdentity`): the column gets a
    /// sequence of its own, starting afresh whatever values it holds.
    pub(super) fn add_identity(
        &mut self,
        table: &Table,
        column: &str,
        generated: u8,
        options: &SeqOptions,
        xid: u64,
    ) -> Result<()> {
        let i = table.column_index(column).ok_or_else(|| {
            err!(SqlState::UNDEFINED_COLUMN, "column \"{column}\" of relation \"{}\" does not exist", table.name)
        })?;
        let col = &table.columns[i];
        if !matches!(
            col.ty,
            crate::sql::types::PgType::Int2 | crate::sql::types::PgType::Int4 | crate::sql::types::PgType::Int8
        ) || col.domain.is_some()
        {
            return Err(err!(
                SqlState::INVALID_PARAMETER_VALUE,
                "identity column type must be smallint, integer, or bigint"
            ));
        }
        SeqOptions { ty: Some(col.ty), ..options.clone() }.resolve(None)?;
        let refuse = |what: &str| {
            err!(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "column \"{column}\" of relation \"{}\" {what}",
                table.name
            )
        };
        if !col.not_null {
            return Err(refuse("must be declared NOT NULL before identity can be added"));
        }
        if col.identity != 0 {
            return Err(refuse("is already an identity column"));
        }
        if col.default.is_some() {
            return Err(refuse("already has a default value"));
        }
        self.catalog_changed = true;
        let qualified = self.qualified_table_name(table, xid)?;
        let mut columns = [col.clone()];
        let sequence = ColumnSequence { column: col.name.clone(), identity: generated, options: options.clone() };
        let owned = self.create_column_sequences(&qualified, &mut columns, std::slice::from_ref(&sequence), xid)?;
        let owned: Vec<(u32, i16, u8)> = owned.into_iter().map(|(seq, _, dep)| (seq, i as i16 + 1, dep)).collect();
        self.own_column_sequences(table.oid, &owned, xid)?;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.set_identity(table.oid, i as i16 + 1, generated, xid, self.cid, &who)?;
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// `ALTER TABLE t ALTER COLUMN c SET GENERATED … | SET option | RESTART
    /// …`: the identity's kind, and its sequence as ALTER SEQUENCE changes it.
    pub(super) fn set_identity(
        &mut self,
        table: &Table,
        column: &str,
        generated: Option<u8>,
        options: &SeqOptions,
        xid: u64,
    ) -> Result<()> {
        let Some((i, _, name)) = self.identity_of(table, column, false, xid)? else { return Ok(()) };
        if let Some(kind) = generated {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            self.shared.catalog.set_identity(table.oid, i as i16 + 1, kind, xid, self.cid, &who)?;
            self.cid += 1;
        }
        if *options != SeqOptions::default() {
            self.alter_sequence(&name, false, options)?;
        }
        Ok(())
    }

    /// `ALTER TABLE t ALTER COLUMN c SET DEFAULT expr | DROP DEFAULT`.
    pub(super) fn set_default(
        &mut self,
        table_name: &str,
        if_exists: bool,
        column: &str,
        default: Option<&str>,
    ) -> Result<()> {
        let Some((xid, table)) = self.alter_table_target(table_name, if_exists)? else { return Ok(()) };
        let Some(i) = table.column_index(column) else {
            return Err(err!(
                SqlState::UNDEFINED_COLUMN,
                "column \"{column}\" of relation \"{table_name}\" does not exist"
            ));
        };
        if table.columns[i].identity != 0 {
            let e =
                err!(SqlState::SYNTAX_ERROR, "column \"{column}\" of relation \"{table_name}\" is an identity column");
            return Err(match default {
                Some(_) => e,
                None => e.with_hint("Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead."),
            });
        }
        self.catalog_changed = true;
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        self.shared.catalog.set_default(table.oid, i as i16 + 1, default, xid, self.cid, &who)?;
        self.cid += 1;
        self.simple_cache.clear();
        Ok(())
    }

    /// DROP SEQUENCE: an identity column's sequence goes only with its
    /// column; one a column default calls goes only with CASCADE, which
    /// drops the default.
    pub(super) fn check_sequence_droppable(
        &mut self,
        doomed: &[(u32, RelKind, String)],
        cascade: bool,
        xid: u64,
    ) -> Result<()> {
        let snapshot = self.statement_snapshot();
        let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
        let catalog = &self.shared.catalog;
        let mut users = Vec::new();
        for (oid, _, name) in doomed {
            if let Some((table, attnum, b'i')) = catalog.sequence_owner(*oid, &who)? {
                let (tname, column) = column_name(catalog, table, attnum, &who)?;
                if !doomed.iter().any(|d| d.0 == table) {
                    return Err(err!(
                        SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                        "cannot drop sequence {name} because column {column} of table {tname} requires it"
                    )
                    .with_hint(format!("You can drop column {column} of table {tname} instead.")));
                }
            }
            for (table, attnum) in catalog.defaults_using_sequence(name, &who)? {
                let (tname, column) = column_name(catalog, table, attnum, &who)?;
                users.push((
                    table,
                    attnum,
                    format!("default value for column {column} of table {tname}"),
                    name.clone(),
                ));
            }
        }
        if users.is_empty() {
            return Ok(());
        }
        if !cascade {
            let (_, _, _, name) = &users[0];
            let detail: Vec<String> = users.iter().map(|u| format!("{} depends on sequence {}", u.2, u.3)).collect();
            return Err(err!(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                "cannot drop sequence {name} because other objects depend on it"
            )
            .with_detail(detail.join("\n"))
            .with_hint("Use DROP ... CASCADE to drop the dependent objects too."));
        }
        let objects: Vec<String> = users.iter().map(|u| u.2.clone()).collect();
        self.cascade_notice(&objects);
        for (table, attnum, _, _) in users {
            let snapshot = self.statement_snapshot();
            let who = Reader { path: Some(&self.search_path), snapshot: &snapshot, xid, cid: self.cid };
            self.shared.catalog.set_default(table, attnum, None, xid, self.cid, &who)?;
            self.cid += 1;
        }
        Ok(())
    }
}

/// The names of table `table` and its column `attnum`.
fn column_name(
    catalog: &crate::catalog::Catalog,
    table: u32,
    attnum: i16,
    who: &Reader<'_>,
) -> Result<(String, String)> {
    let (tname, _) = catalog.relation_by_oid(table, who)?.ok_or_else(|| Error::internal("owner table vanished"))?;
    let t = catalog.lookup(&tname, who)?.ok_or_else(|| Error::internal("owner table vanished"))?;
    let column = t.columns.get(attnum as usize - 1).map(|c| c.name.clone()).unwrap_or_default();
    Ok((tname, column))
}
