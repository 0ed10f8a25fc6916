//! ALTER TABLE's changes to the catalog rows of a relation: columns added,
//! dropped, renamed and made (not) NULL, relations renamed. Each is an
//! ordinary transactional write of `pg_class` or `pg_attribute` rows.
//!
//! No change here rewrites the table, as in PostgreSQL:
//! - an added column is a new `pg_attribute` row; the tuples written
//!   before have fewer attributes than the table now, and the missing ones
//!   read as NULL (see [`crate::storage::heap::tuple::deform_stored`]), or,
//!   for a column added with a default that is not volatile, as that
//!   default evaluated once when the column was added: `atthasmissing` is
//!   set and `attmissingval` holds it, as a one-element array in text form
//!   (`{42}`), which [`missing_value`] reads back;
//! - a dropped column keeps its `pg_attribute` row, marked `attisdropped`
//!   and renamed `........pg.dropped.N........`, so that the values the
//!   tuples hold for it keep their places; no statement sees it any more.
//!   (PostgreSQL also sets its `atttypid` to 0; tusk keeps the type, from
//!   which it reads the column's storage.)
//!
//! ALTER COLUMN … TYPE changes the column's type in place
//! ([`Catalog::set_column_type`]); the rewrite of the rows that usually
//! goes with it is the session's (`session/rewrite.rs`).
//!
//! The session's side (locks, dependent objects, messages) is in
//! `session/alter.rs`.

use super::system::{self, PG_ATTRIBUTE, PG_INDEX};
use super::{Catalog, Column, Index, Reader, Table, u32_of};
use crate::error::{Error, Result};
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::toast::ToastRelation;
use crate::storage::heap::tuple::{deform, form};

/// `attmissingval` as stored: value `v` (not NULL) as a one-element array
/// literal, quoted as array output quotes an element.
pub fn missing_text(v: &Datum) -> String {
    let text = v.to_text();
    let plain = !text.is_empty()
        && !text.eq_ignore_ascii_case("null")
        && !text.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_ascii_whitespace());
    if plain {
        return format!("{{{text}}}");
    }
    format!("{{\"{}\"}}", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The stored bytes of the value an `attmissingval` of a column of type
/// `ty` holds (see [`missing_text`]); `None` if there is none.
pub(super) fn missing_value(ty: PgType, stored: Option<&[u8]>) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(stored?).ok()?;
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let element = match inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => {
            let mut out = String::with_capacity(quoted.len());
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next()? } else { c });
            }
            out
        }
        None => inner.to_string(),
    };
    crate::sql::types::parse_text(ty, &element).ok().map(|d| d.storage_bytes())
}

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
        let mut row = system::attribute_row(table.oid, attnum, &column.name, column.ty, column.typmod, column.not_null);
        if let Some(d) = &column.domain {
            row[system::ATT_TYPID] = Datum::Oid(d.oid);
        }
        row[system::ATT_IDENTITY] = system::char_datum(column.identity);
        if let Some(stored) = &column.missing {
            row[system::ATT_HASMISSING] = Datum::Bool(true);
            row[system::ATT_MISSINGVAL] = Datum::Text(missing_text(&Datum::from_storage(column.ty, stored)?));
        }
        self.insert_catalog_row(&PG_ATTRIBUTE, &row, xid, cid)?;
        let toast = if table.toast.is_none() && column.ty.storage().0 < 0 {
            Some(self.create_toast_relation(table.oid, table.temp, xid, cid)?)
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
        // Its comment goes with it.
        let attnum = index as i32 + 1;
        let column = |c: super::comment::CommentTarget| {
            c.objoid == table.oid && c.classoid == system::PG_CLASS.oid && c.objsubid == attnum
        };
        self.drop_descriptions(&column, xid, cid, who)?;
        // A dropped column of a domain is of the domain's base type: its
        // old values are still read past, and the domain may go.
        let stored_type = table.columns[index].domain.as_ref().map(|d| d.base.oid());
        self.update_attribute(table.oid, index as i16 + 1, xid, cid, who, &|v| {
            v[system::ATT_NAME] = Some(name_bytes(&name));
            v[system::ATT_ISDROPPED] = Some(vec![1]);
            v[system::ATT_NOTNULL] = Some(vec![0]);
            if let Some(t) = stored_type {
                v[system::ATT_TYPID] = Some(t.to_le_bytes().to_vec());
            }
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

    /// ALTER TABLE … ALTER COLUMN … TYPE: column `index` takes type `ty`
    /// (and `typmod`) with its storage; a value for the tuples that lack
    /// the column goes (the caller rewrites every row, or changes nothing
    /// in how values are stored).
    #[allow(clippy::too_many_arguments)]
    pub fn set_column_type(
        &self,
        table: &Table,
        index: usize,
        (ty, typmod): (PgType, i32),
        keep_missing: bool,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let fresh = system::attribute_row(table.oid, index as i16 + 1, "", ty, typmod, false);
        let bytes = |d: &Datum| (!d.is_null()).then(|| d.storage_bytes());
        self.update_attribute(table.oid, index as i16 + 1, xid, cid, who, &|v| {
            for i in [
                system::ATT_TYPID,
                system::ATT_LEN,
                system::ATT_TYPMOD,
                system::ATT_BYVAL,
                system::ATT_ALIGN,
                system::ATT_STORAGE,
                system::ATT_COLLATION,
            ] {
                v[i] = bytes(&fresh[i]);
            }
            if !keep_missing {
                v[system::ATT_HASMISSING] = Some(vec![0]);
                v[system::ATT_MISSINGVAL] = None;
            }
        })
    }

    /// ADD COLUMN … DEFAULT: the rows there are read `value` for column
    /// `index` (which they lack).
    pub fn set_missing(
        &self,
        table: &Table,
        index: usize,
        value: &Datum,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let text = missing_text(value);
        self.update_attribute(table.oid, index as i16 + 1, xid, cid, who, &|v| {
            v[system::ATT_HASMISSING] = Some(vec![1]);
            v[system::ATT_MISSINGVAL] = Some(text.as_bytes().to_vec());
        })
    }

    /// After ALTER COLUMN … TYPE: `index`'s `pg_index` row names the
    /// operator classes and collations of its columns' new types.
    pub fn refresh_index_row(&self, index: &Index, table: &Table, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        let desc = system::index_desc();
        let mut found = None;
        self.scan(&PG_INDEX, who, |tid, t| {
            if u32_of(deform(&desc, t)[system::IND_INDEXRELID]) == index.oid {
                found = Some(tid);
            }
        })?;
        let tid = found.ok_or_else(|| Error::internal("pg_index row vanished"))?;
        let row = system::index_row(index, table);
        let bytes: Vec<Option<Vec<u8>>> = row.iter().map(|d| (!d.is_null()).then(|| d.storage_bytes())).collect();
        let refs: Vec<Option<&[u8]>> = bytes.iter().map(|b| b.as_deref()).collect();
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
        self.heap(self.catalog_rel(&PG_INDEX)).update_checked(tid, xid, cid, &form(&desc, &refs), &how)?;
        Ok(())
    }

    /// After a rewrite every tuple has every column: no `attmissingval`
    /// is needed any more (PostgreSQL clears them too).
    pub fn clear_missing(&self, table: &Table, xid: u64, cid: u32, who: &Reader<'_>) -> Result<()> {
        for (i, _) in table.columns.iter().enumerate().filter(|(_, c)| c.missing.is_some()) {
            self.update_attribute(table.oid, i as i16 + 1, xid, cid, who, &|v| {
                v[system::ATT_HASMISSING] = Some(vec![0]);
                v[system::ATT_MISSINGVAL] = None;
            })?;
        }
        Ok(())
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
