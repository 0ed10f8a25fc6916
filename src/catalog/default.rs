//! Column defaults in the catalog: a `pg_attrdef` row per column that has
//! one (its `adbin` is the expression as SQL text, in the form
//! `pg_get_expr` shows) and `pg_attribute.atthasdef` set. An identity
//! column has no `pg_attrdef` row (as in PostgreSQL): its default is the
//! `nextval` of the sequence `pg_depend` ties to it (deptype `i`).
//!
//! [`super::Table`]'s columns carry their default text; the binder parses
//! and binds it where a statement needs it
//! (`Binder::column_default`).

use super::system::{self, PG_ATTRDEF, PG_ATTRIBUTE, PG_CLASS, PG_DEPEND, PG_SEQUENCE};
use super::{Attribute, Catalog, Column, Reader, i16_of, text_of, u32_of};
use crate::error::{Error, Result};
use crate::sql::types::Datum;
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::{deform, form};

/// The default of an identity column: the next value of its sequence.
pub fn nextval_text(sequence: &str) -> String {
    // A qualified relation name string is in SQL quoting already.
    let quoted = match super::namespace::split_qualified(sequence) {
        Ok((Some(_), _)) => sequence.to_string(),
        Ok((None, bare)) => super::describe::quote_identifier(&bare),
        Err(_) => super::describe::quote_identifier(sequence),
    };
    let quoted = quoted.replace('\'', "''");
    format!("nextval('{quoted}'::regclass)")
}

impl Catalog {
    /// Record column `attnum`'s default expression.
    pub(super) fn insert_default_row(&self, relid: u32, attnum: i16, sql: &str, xid: u64, cid: u32) -> Result<()> {
        let oid = self.engine.allocate_oid()?;
        let row = vec![Datum::Oid(oid), Datum::Oid(relid), Datum::Int2(attnum), Datum::Text(sql.to_string())];
        self.insert_catalog_row(&PG_ATTRDEF, &row, xid, cid)?;
        Ok(())
    }

    /// Give the columns (by attnum) their defaults: `pg_attrdef` rows, and
    /// for identity columns their sequence.
    pub(super) fn fill_defaults(&self, relid: u32, columns: &mut [(i16, Column)], who: &Reader<'_>) -> Result<()> {
        let desc = PG_ATTRDEF.desc();
        self.scan(&PG_ATTRDEF, who, |_, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::AD_ADRELID]) == relid {
                let n = i16_of(v[system::AD_ADNUM]);
                if let Some((_, c)) = columns.iter_mut().find(|(a, _)| *a == n) {
                    c.default = Some(text_of(v[system::AD_ADBIN]));
                }
            }
        })?;
        if columns.iter().any(|(_, c)| c.identity != 0) {
            for (seq, attnum, deptype) in self.owned_sequences(relid, who)? {
                if deptype != b'i' {
                    continue;
                }
                let Some((name, _)) = self.relation_by_oid(seq, who)? else { continue };
                if let Some((_, c)) = columns.iter_mut().find(|(a, _)| i32::from(*a) == attnum) {
                    c.default = Some(nextval_text(&name));
                }
            }
        }
        Ok(())
    }

    /// `ALTER TABLE … ALTER COLUMN … SET DEFAULT expr | DROP DEFAULT`:
    /// column `attnum` of table `relid` gets default `sql` (`None`: none).
    pub fn set_default(
        &self,
        relid: u32,
        attnum: i16,
        sql: Option<&str>,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let desc = PG_ATTRDEF.desc();
        let mut old = Vec::new();
        self.scan(&PG_ATTRDEF, who, |tid, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::AD_ADRELID]) == relid && i16_of(v[system::AD_ADNUM]) == attnum {
                old.push(tid);
            }
        })?;
        self.delete_catalog_rows(&PG_ATTRDEF, &old, xid, cid)?;
        if let Some(sql) = sql {
            self.insert_default_row(relid, attnum, sql, xid, cid)?;
        }
        let has = sql.is_some();
        self.update_attribute(relid, attnum, xid, cid, who, &|v| {
            v[system::ATT_HASDEF] = Some(vec![has as u8]);
        })
    }

    /// Replace a `pg_attribute` row by a copy that `change` edits.
    pub(super) fn update_attribute(
        &self,
        relid: u32,
        attnum: i16,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
        change: &dyn Fn(&mut [Attribute]),
    ) -> Result<()> {
        let desc = PG_ATTRIBUTE.desc();
        let mut found = None;
        self.scan(&PG_ATTRIBUTE, who, |tid, t| {
            let v = deform(&desc, t);
            if u32_of(v[system::ATT_RELID]) == relid && i16_of(v[system::ATT_NUM]) == attnum {
                found = Some((tid, t.to_vec()));
            }
        })?;
        let (tid, old) = found.ok_or_else(|| Error::internal("pg_attribute row vanished"))?;
        let mut v: Vec<Attribute> = deform(&desc, &old).iter().map(|b| b.map(<[u8]>::to_vec)).collect();
        change(&mut v);
        let refs: Vec<Option<&[u8]>> = v.iter().map(|b| b.as_deref()).collect();
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
        self.heap(self.catalog_rel(&PG_ATTRIBUTE)).update_checked(tid, xid, cid, &form(&desc, &refs), &how)?;
        Ok(())
    }

    /// Delete rows of a catalog by address.
    pub(super) fn delete_catalog_rows(
        &self,
        catalog: &system::SystemCatalog,
        tids: &[Tid],
        xid: u64,
        cid: u32,
    ) -> Result<()> {
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let heap = self.heap(self.catalog_rel(catalog));
        for &tid in tids {
            heap.delete_checked(tid, xid, cid, &check)?;
        }
        Ok(())
    }

    /// Part of dropping relation `oid`: its columns' defaults, its
    /// `pg_sequence` row, and the `pg_depend` rows of a sequence owned by a
    /// column (those naming the relation as the dependent object).
    pub(super) fn drop_defaults_and_sequence_rows(&self, oid: u32, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let ad = PG_ATTRDEF.desc();
        let mut defaults = Vec::new();
        self.scan(&PG_ATTRDEF, who, |tid, t| {
            if u32_of(deform(&ad, t)[system::AD_ADRELID]) == oid {
                defaults.push(tid);
            }
        })?;
        self.delete_catalog_rows(&PG_ATTRDEF, &defaults, xid, cid)?;
        let sd = PG_SEQUENCE.desc();
        let mut sequences = Vec::new();
        self.scan(&PG_SEQUENCE, who, |tid, t| {
            if u32_of(deform(&sd, t)[system::SEQ_RELID]) == oid {
                sequences.push(tid);
            }
        })?;
        self.delete_catalog_rows(&PG_SEQUENCE, &sequences, xid, cid)?;
        let dd = PG_DEPEND.desc();
        let mut deps = Vec::new();
        self.scan(&PG_DEPEND, who, |tid, t| {
            let v = deform(&dd, t);
            if u32_of(v[system::DEP_CLASSID]) == PG_CLASS.oid && u32_of(v[system::DEP_OBJID]) == oid {
                deps.push(tid);
            }
        })?;
        self.delete_catalog_rows(&PG_DEPEND, &deps, xid, cid)
    }

    /// The column defaults that call `nextval` of sequence `name`: (table
    /// OID, attnum).
    pub fn defaults_using_sequence(&self, name: &str, who: &Reader<'_>) -> Result<Vec<(u32, i16)>> {
        let call = nextval_text(name);
        let desc = PG_ATTRDEF.desc();
        let mut out = Vec::new();
        self.scan(&PG_ATTRDEF, who, |_, t| {
            let v = deform(&desc, t);
            if text_of(v[system::AD_ADBIN]).contains(&call) {
                out.push((u32_of(v[system::AD_ADRELID]), i16_of(v[system::AD_ADNUM])));
            }
        })?;
        Ok(out)
    }
}
