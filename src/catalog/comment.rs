//! Comments on objects: `pg_description` (objects of this database) and
//! `pg_shdescription` (shared objects: databases, roles, tablespaces).
//!
//! `COMMENT ON … IS 'text'` replaces the object's row (deletes the old
//! one, inserts the new one) and `IS NULL` or `IS ''` deletes it, as
//! ordinary transactional writes. A relation's comments (its own,
//! `objsubid` 0, and its columns', `objsubid` = attnum) go with it in
//! [`Catalog::drop_relation`]. `obj_description`, `col_description` and
//! `shobj_description` read them.
//!
//! Bootstrap writes PostgreSQL's own descriptions of the built-in types,
//! functions and operators tusk has ([`builtin_description_rows`]).

use super::system::SystemCatalog;
use super::{Catalog, Reader, i32_of, u32_of};
use crate::error::Result;
use crate::sql::types::Datum;
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::deform;

use crate::sql::types::PgType::{Int4, Oid, Text};

pub const PG_DESCRIPTION: SystemCatalog = SystemCatalog {
    oid: 2609,
    name: "pg_description",
    columns: &[("objoid", Oid), ("classoid", Oid), ("objsubid", Int4), ("description", Text)],
};

pub const PG_SHDESCRIPTION: SystemCatalog = SystemCatalog {
    oid: 2396,
    name: "pg_shdescription",
    columns: &[("objoid", Oid), ("classoid", Oid), ("description", Text)],
};

/// PostgreSQL's `pg_description` rows for the built-in types, functions
/// and operators that tusk has.
pub fn builtin_description_rows() -> Vec<Vec<Datum>> {
    super::proc::parse_rows(include_str!("bootstrap/pg_description.tsv"), &PG_DESCRIPTION)
        .into_iter()
        .filter(|row| {
            let (Datum::Oid(objoid), Datum::Oid(classoid)) = (&row[0], &row[1]) else { return false };
            match *classoid {
                1247 => super::describe::type_exists(*objoid),
                1255 => super::proc::proc_info(*objoid).is_some(),
                2617 => super::proc::operator_exists(*objoid),
                2615 => super::system::fixed_namespace_name(*objoid).is_some(),
                _ => false,
            }
        })
        .collect()
}

/// What a comment is attached to: (`objoid`, `classoid`, `objsubid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommentTarget {
    pub objoid: u32,
    pub classoid: u32,
    pub objsubid: i32,
}

impl Catalog {
    /// The `pg_description` rows `wanted` accepts, with their addresses
    /// and text.
    fn descriptions(
        &self,
        who: &Reader<'_>,
        wanted: &dyn Fn(CommentTarget) -> bool,
    ) -> Result<Vec<(Tid, CommentTarget, String)>> {
        let desc = PG_DESCRIPTION.desc();
        let mut out = Vec::new();
        self.scan(&PG_DESCRIPTION, who, |tid, t| {
            let v = deform(&desc, t);
            let target = CommentTarget { objoid: u32_of(v[0]), classoid: u32_of(v[1]), objsubid: i32_of(v[2]) };
            if wanted(target) {
                out.push((tid, target, String::from_utf8_lossy(v[3].unwrap_or_default()).into_owned()));
            }
        })?;
        Ok(out)
    }

    /// The comment on `target`, if any.
    pub fn description(&self, target: CommentTarget, who: &Reader<'_>) -> Result<Option<String>> {
        Ok(self.descriptions(who, &|t| t == target)?.into_iter().next().map(|(_, _, text)| text))
    }

    /// The comment on shared object `objoid` of catalog `classoid`, if any.
    pub fn shared_description(&self, objoid: u32, classoid: u32, who: &Reader<'_>) -> Result<Option<String>> {
        let desc = PG_SHDESCRIPTION.desc();
        let mut out = None;
        self.scan(&PG_SHDESCRIPTION, who, |_, t| {
            let v = deform(&desc, t);
            if u32_of(v[0]) == objoid && u32_of(v[1]) == classoid {
                out = Some(String::from_utf8_lossy(v[2].unwrap_or_default()).into_owned());
            }
        })?;
        Ok(out)
    }

    /// `COMMENT ON`: set `target`'s comment to `text` (None or empty: remove it).
    pub fn set_description(
        &self,
        target: CommentTarget,
        text: Option<&str>,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let old: Vec<Tid> = self.descriptions(who, &|t| t == target)?.into_iter().map(|(tid, ..)| tid).collect();
        self.delete_description_rows(&old, xid, cid)?;
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            let row = [
                Datum::Oid(target.objoid),
                Datum::Oid(target.classoid),
                Datum::Int4(target.objsubid),
                Datum::Text(text.to_string()),
            ];
            self.insert_catalog_row(&PG_DESCRIPTION, &row, xid, cid)?;
        }
        Ok(())
    }

    /// Remove the comments of the objects `gone` accepts (a dropped
    /// relation's, or one dropped column's).
    pub(super) fn drop_descriptions(
        &self,
        gone: &dyn Fn(CommentTarget) -> bool,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let rows: Vec<Tid> = self.descriptions(who, gone)?.into_iter().map(|(tid, ..)| tid).collect();
        self.delete_description_rows(&rows, xid, cid)
    }

    fn delete_description_rows(&self, tids: &[Tid], xid: u64, cid: u32) -> Result<()> {
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let heap = self.heap(self.catalog_rel(&PG_DESCRIPTION));
        for &tid in tids {
            heap.delete_checked(tid, xid, cid, &check)?;
        }
        Ok(())
    }
}
