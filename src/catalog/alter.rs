//! ALTER TABLE's changes to the catalog rows of a relation: columns added,
//! dropped, renamed and made (not) NULL, relations renamed. Each is an
//! ordinary transactional write of `pg_class` or `pg_attribute` rows.
//!
//! No change here rewrites the table, as in PostgreSQL:
//! - an added column is a new `pg_attribute` row; the tuples written
//!   before have fewer attributes than the table now, and the missing ones
//!   read as NULL (see [`crate::storage::heap::tuple::deform_stored`]);
//! - a dropped column keeps its `pg_attribute` row, marked `attisdropped`
//!   and renamed `........pg.dropped.N........`, so that the values the
//!   tuples hold for it keep their places; no statement sees it any more.
//!   (PostgreSQL also sets its `atttypid` to 0; tusk keeps the type, from
//!   which it reads the column's storage.)
//!
//! The session's side (locks, dependent objects, messages) is in
//! `session/alter.rs`.

use super::system::{self, PG_ATTRIBUTE};
use super::{Catalog, Column, Reader, Table};
use crate::error::{Error, Result};
use crate::storage::heap::toast::ToastRelation;

/// The name PostgreSQL gives the `pg_attribute` row of dropped column `attnum`.
pub fn dropped_column_name(attnum: usize) -> String {
    format!("........pg.dropped.{attnum}........")
}

impl Catalog {
    /// ALTER TABLE … ADD COLUMN: a new last attribute. A table that had
    /// only fixed-length columns gets its TOAST relation now if the new
    /// one is of variable length (returned: its files were created).
    pub fn add_column(
        &self,
        table: &Table,
        column: &Column,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<Option<ToastRelation>> {
        let rel =
            self.relation_by_oid(table.oid, who)?.map(|r| r.1).ok_or_else(|| Error::internal("relation vanished"))?;
        let attnum = table.columns.len() as i16 + 1;
        let row = system::attribute_row(table.oid, attnum, &column.name, column.ty, column.typmod, column.not_null);
        self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
        let toast = if table.toast.is_none() && column.ty.storage().0 < 0 {
            Some(self.create_toast_relation(table.oid, xid, cid)?)
        } else {
            None
        };
        let toast_oid = toast.map(|t| t.oid);
        self.update_class_row(&rel, xid, cid, &|v| {
            v[system::CLASS_RELNATTS] = Some(attnum.to_le_bytes().to_vec());
            if let Some(t) = toast_oid {
                v[system::CLASS_RELTOASTRELID] = Some(t.to_le_bytes().to_vec());
            }
        })?;
        Ok(toast)
    }

    /// ALTER TABLE … DROP COLUMN: column `index` is marked dropped (see the
    /// module doc). The indexes and constraints over it are the caller's.
    pub fn drop_column(&self, table: &Table, index: usize, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let name = dropped_column_name(index + 1);
        self.update_attribute(table.oid, index as i16 + 1, xid, cid, who, &|v| {
            v[system::ATT_NAME] = Some(name_bytes(&name));
            v[system::ATT_ISDROPPED] = Some(vec![1]);
            v[system::ATT_NOTNULL] = Some(vec![0]);
        })
    }

    /// ALTER TABLE … RENAME COLUMN (or ALTER VIEW … RENAME COLUMN).
    pub fn rename_column(
        &self,
        table: &Table,
        index: usize,
        new_name: &str,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        self.update_attribute(table.oid, index as i16 + 1, xid, cid, who, &|v| {
            v[system::ATT_NAME] = Some(name_bytes(new_name));
        })
    }

    /// ALTER TABLE … ALTER COLUMN … DROP NOT NULL.
    pub fn drop_not_null(&self, table: &Table, index: usize, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        self.update_attribute(table.oid, index as i16 + 1, xid, cid, who, &|v| {
            v[system::ATT_NOTNULL] = Some(vec![0]);
        })
    }

    /// ALTER TABLE/INDEX/VIEW … RENAME TO: relation `oid`'s `pg_class` row
    /// gets the new name.
    pub fn rename_relation(&self, oid: u32, new_name: &str, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let (_, rel) = self.relation_by_oid(oid, who)?.ok_or_else(|| Error::internal("relation vanished"))?;
        self.update_class_row(&rel, xid, cid, &|v| v[system::CLASS_RELNAME] = Some(name_bytes(new_name)))
    }
}

/// A `name` value as stored: its bytes, cut to PostgreSQL's 63.
fn name_bytes(name: &str) -> Vec<u8> {
    crate::sql::types::name_truncated(name).as_bytes().to_vec()
}
