//! Sequences in the catalog: a `pg_class` row of kind `S` with the three
//! columns `SELECT * FROM seq` shows, a `pg_sequence` row with its
//! parameters, and a one-page relation holding its state
//! ([`crate::storage::sequence`]). The parameters are transactional (they
//! are catalog rows); the state is not, as in PostgreSQL.
//!
//! A sequence owned by a column (SERIAL, identity, `OWNED BY t.c`) has a
//! `pg_depend` row naming the column: deptype `a` (auto) or `i` (identity
//! internal). Dropping the table drops it.

use super::system::{self, PG_ATTRIBUTE, PG_CLASS, PG_DEPEND, PG_SEQUENCE};
use super::{Catalog, Reader, i16_of, u32_of};
use crate::err;
use crate::error::{Result, SqlState};
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::deform;
use crate::storage::sequence::{self as storage, Exhausted, Fetched, SeqLimits, SeqState};
use crate::storage::smgr::RelFileLocator;

/// A sequence's parameters (its `pg_sequence` row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SequenceDef {
    /// `smallint`, `integer` or `bigint`.
    pub ty: PgType,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
}

impl SequenceDef {
    pub fn limits(&self) -> SeqLimits {
        SeqLimits { increment: self.increment, min: self.min, max: self.max, cycle: self.cycle }
    }
}

/// A sequence as the catalog describes it.
#[derive(Clone, Debug)]
pub struct Sequence {
    pub oid: u32,
    pub name: String,
    pub rel: RelFileLocator,
    pub def: SequenceDef,
    /// Its `pg_sequence` row.
    tid: Tid,
}

fn i64_of(v: Option<&[u8]>) -> i64 {
    v.and_then(|b| b.try_into().ok()).map(i64::from_le_bytes).unwrap_or(0)
}

fn sequence_row(oid: u32, def: &SequenceDef) -> Vec<Datum> {
    vec![
        Datum::Oid(oid),
        Datum::Oid(def.ty.oid()),
        Datum::Int8(def.start),
        Datum::Int8(def.increment),
        Datum::Int8(def.max),
        Datum::Int8(def.min),
        Datum::Int8(def.cache),
        Datum::Bool(def.cycle),
    ]
}

impl Catalog {
    /// Record a new sequence and create its relation, with its first state
    /// (`start`, not yet called). The WAL position its creation was logged to.
    pub fn create_sequence(&self, name: &str, def: &SequenceDef, xid: u64, cid: u32) -> Result<(Sequence, u64)> {
        let (namespace, name) = self.creation_target(name, xid, cid)?;
        let name = name.as_str();
        self.check_row_type_name(namespace, name, xid, cid)?;
        let oid = self.engine.allocate_oid()?;
        let class = system::ClassRow {
            oid,
            name,
            namespace,
            kind: b'S',
            relfilenode: oid,
            natts: 3,
            has_index: false,
            shared: false,
            persistence: system::persistence(false, self.is_temp_namespace(namespace, xid, cid)?),
            options: None,
            toast: 0,
            reltype: 0,
        };
        self.insert_catalog_row(&PG_CLASS, &class.values(), xid, cid)?;
        let columns = [("last_value", PgType::Int8), ("log_cnt", PgType::Int8), ("is_called", PgType::Bool)];
        for (i, (col, ty)) in columns.iter().enumerate() {
            let row = system::attribute_row(oid, i as i16 + 1, col, *ty, -1, true);
            self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
        }
        for row in system::system_attribute_rows(oid) {
            self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
        }
        let tid = self.insert_catalog_row(&PG_SEQUENCE, &sequence_row(oid, def), xid, cid)?;
        let rel = self.file(oid);
        self.engine.smgr.create(rel, crate::storage::smgr::Fork::Main)?;
        let state = SeqState { last_value: def.start, log_cnt: 0, is_called: false };
        let lsn = storage::create(&self.engine.pool, &self.engine.wal, rel, state)?;
        Ok((Sequence { oid, name: name.to_string(), rel, def: *def, tid }, lsn))
    }

    /// Sequence `oid`, if it is one that `who` sees.
    pub fn sequence(&self, oid: u32, who: &Reader<'_>) -> Result<Option<Sequence>> {
        let Some((name, rel)) = self.relation_by_oid(oid, who)? else { return Ok(None) };
        if rel.kind != super::RelKind::Sequence {
            return Ok(None);
        }
        let desc = PG_SEQUENCE.desc();
        let mut found = None;
        self.scan(&PG_SEQUENCE, who, |tid, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::SEQ_RELID]) == oid {
                let def = SequenceDef {
                    ty: PgType::from_oid(u32_of(v[system::SEQ_TYPID])).unwrap_or(PgType::Int8),
                    start: i64_of(v[system::SEQ_START]),
                    increment: i64_of(v[system::SEQ_INCREMENT]),
                    min: i64_of(v[system::SEQ_MIN]),
                    max: i64_of(v[system::SEQ_MAX]),
                    cache: i64_of(v[system::SEQ_CACHE]),
                    cycle: v[system::SEQ_CYCLE] == Some(&[1]),
                };
                found = Some((tid, def));
            }
        })?;
        let Some((tid, def)) = found else {
            return Err(err!(SqlState::DATA_CORRUPTED, "sequence \"{name}\" has no pg_sequence row"));
        };
        let rel = self.file(rel.relfilenode);
        Ok(Some(Sequence { oid, name, rel, def, tid }))
    }

    /// Change a sequence's parameters (ALTER SEQUENCE).
    pub fn alter_sequence(&self, seq: &Sequence, def: &SequenceDef, xid: u64, cid: u32) -> Result<()> {
        self.sequence_resets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.delete_catalog_rows(&PG_SEQUENCE, &[seq.tid], xid, cid)?;
        self.insert_catalog_row(&PG_SEQUENCE, &sequence_row(seq.oid, def), xid, cid)?;
        Ok(())
    }

    /// The sequence's state (`SELECT * FROM seq`).
    pub fn sequence_state(&self, seq: &Sequence) -> Result<SeqState> {
        storage::read(&self.engine.pool, seq.rel)
    }

    /// `nextval`: the block of CACHE values the caller now owns, and the
    /// WAL position that must be durable before a commit that saw one is
    /// reported.
    pub fn nextval(&self, seq: &Sequence) -> Result<Fetched> {
        match storage::nextval(&self.engine.pool, &self.engine.wal, seq.rel, &seq.def.limits(), seq.def.cache)? {
            Ok(v) => Ok(v),
            Err(Exhausted::Max(m)) => Err(err!(
                SqlState::SEQUENCE_GENERATOR_LIMIT_EXCEEDED,
                "nextval: reached maximum value of sequence \"{}\" ({m})",
                seq.name
            )),
            Err(Exhausted::Min(m)) => Err(err!(
                SqlState::SEQUENCE_GENERATOR_LIMIT_EXCEEDED,
                "nextval: reached minimum value of sequence \"{}\" ({m})",
                seq.name
            )),
        }
    }

    /// `setval`: the WAL position of the change. Values other sessions
    /// hold in their caches stay theirs, as in PostgreSQL.
    pub fn set_sequence(&self, seq: &Sequence, value: i64, is_called: bool) -> Result<u64> {
        let state = SeqState { last_value: value, log_cnt: 0, is_called };
        storage::set(&self.engine.pool, &self.engine.wal, seq.rel, state)
    }

    /// `ALTER SEQUENCE … RESTART` and `TRUNCATE … RESTART IDENTITY`: the
    /// sequence starts again at `value`, and every session's cached values
    /// are dropped (PostgreSQL gives the sequence a new relation file, which
    /// its sessions notice). The WAL position of the change.
    pub fn restart_sequence(&self, seq: &Sequence, value: i64) -> Result<u64> {
        self.sequence_resets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.set_sequence(seq, value, false)
    }

    /// How many times a sequence restarted or changed parameters: a
    /// session's cached values are good while this stays the same.
    pub fn sequence_resets(&self) -> u64 {
        self.sequence_resets.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Make sequence `seq` owned by column `attnum` of table `table`
    /// (`deptype` `a` for SERIAL and OWNED BY, `i` for identity), replacing
    /// any owner it had; `None` removes the owner (OWNED BY NONE).
    pub fn set_sequence_owner(
        &self,
        seq: u32,
        owner: Option<(u32, i16)>,
        deptype: u8,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let desc = PG_DEPEND.desc();
        let mut old = Vec::new();
        self.scan(&PG_DEPEND, who, |tid, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::DEP_CLASSID]) == PG_CLASS.oid
                && u32_of(v[system::DEP_OBJID]) == seq
                && u32_of(v[system::DEP_REFCLASSID]) == PG_CLASS.oid
                && matches!(v[system::DEP_DEPTYPE], Some(b"a") | Some(b"i"))
            {
                old.push(tid);
            }
        })?;
        self.delete_catalog_rows(&PG_DEPEND, &old, xid, cid)?;
        if let Some((table, attnum)) = owner {
            let row = system::depend_row_sub(PG_CLASS.oid, seq, 0, PG_CLASS.oid, table, attnum.into(), deptype);
            self.insert_catalog_row(&PG_DEPEND, &row, xid, cid)?;
        }
        Ok(())
    }

    /// The sequences owned by columns of table `oid`: (sequence OID,
    /// column attnum, deptype).
    pub fn owned_sequences(&self, oid: u32, who: &Reader<'_>) -> Result<Vec<(u32, i32, u8)>> {
        let desc = PG_DEPEND.desc();
        let mut out = Vec::new();
        self.scan(&PG_DEPEND, who, |_, t| {
            let v = deform(&desc, t);
            let deptype = v[system::DEP_DEPTYPE].and_then(|b| b.first().copied()).unwrap_or(0);
            if u32_of(v[system::DEP_CLASSID]) == PG_CLASS.oid
                && u32_of(v[system::DEP_REFCLASSID]) == PG_CLASS.oid
                && u32_of(v[system::DEP_REFOBJID]) == oid
                && matches!(deptype, b'a' | b'i')
            {
                let attnum =
                    v[system::DEP_REFOBJSUBID].and_then(|b| b.try_into().ok()).map(i32::from_le_bytes).unwrap_or(0);
                out.push((u32_of(v[system::DEP_OBJID]), attnum, deptype));
            }
        })?;
        Ok(out)
    }

    /// The sequence of identity column `attnum` of table `table`, if it is one.
    pub fn identity_sequence(&self, table: u32, attnum: i16, who: &Reader<'_>) -> Result<Option<u32>> {
        let owned = self.owned_sequences(table, who)?;
        Ok(owned.into_iter().find(|&(_, a, deptype)| a == i32::from(attnum) && deptype == b'i').map(|s| s.0))
    }

    /// Make column `attnum` of table `table` an identity column of kind
    /// `identity` (`a`lways, by `d`efault, or 0: none) in `pg_attribute`.
    pub fn set_identity(
        &self,
        table: u32,
        attnum: i16,
        identity: u8,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        self.update_attribute(table, attnum, xid, cid, who, &|v| {
            v[system::ATT_IDENTITY] = Some(if identity == 0 { Vec::new() } else { vec![identity] });
        })
    }

    /// The column that owns sequence `seq`, if any: (table OID, attnum, deptype).
    pub fn sequence_owner(&self, seq: u32, who: &Reader<'_>) -> Result<Option<(u32, i16, u8)>> {
        let desc = PG_DEPEND.desc();
        let mut out = None;
        self.scan(&PG_DEPEND, who, |_, t| {
            let v = deform(&desc, t);
            let deptype = v[system::DEP_DEPTYPE].and_then(|b| b.first().copied()).unwrap_or(0);
            if u32_of(v[system::DEP_CLASSID]) == PG_CLASS.oid
                && u32_of(v[system::DEP_OBJID]) == seq
                && u32_of(v[system::DEP_REFCLASSID]) == PG_CLASS.oid
                && matches!(deptype, b'a' | b'i')
            {
                out = Some((
                    u32_of(v[system::DEP_REFOBJID]),
                    i16_of(v[system::DEP_REFOBJSUBID].map(|b| &b[..2])),
                    deptype,
                ));
            }
        })?;
        Ok(out)
    }
}
