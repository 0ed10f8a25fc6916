//! `pg_db_role_setting`: the settings `ALTER ROLE … SET` and `ALTER
//! DATABASE … SET` keep, a shared catalog (one copy for the cluster, like
//! `pg_authid` and `pg_database`).
//!
//! A row is keyed by (`setdatabase`, `setrole`), either of which may be 0
//! (any database, any role), and holds `name=value` strings in
//! `setconfig`. A connection applies the rows that match it at start
//! (see `protocol/startup.rs` and [`crate::config::Settings::apply_stored`]).
//! The rows are written by the DDL transaction like any catalog row; a
//! row whose last setting goes is deleted, as PostgreSQL deletes it.
//!
//! Entry points: [`Catalog::db_role_settings`], [`Catalog::write_db_role_setting`],
//! [`Catalog::delete_db_role_settings`]. See also `session/role_settings.rs`.

use super::system::{SystemCatalog, TEXT_ARRAY};
use super::{Catalog, Reader, u32_of};
use crate::error::Result;
use crate::sql::array::ArrayValue;
use crate::sql::types::{Datum, PgType};
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::{deform, form};

pub const PG_DB_ROLE_SETTING: SystemCatalog = SystemCatalog {
    oid: 2964,
    name: "pg_db_role_setting",
    columns: &[("setdatabase", PgType::Oid), ("setrole", PgType::Oid), ("setconfig", TEXT_ARRAY)],
};

/// A `pg_db_role_setting` row.
#[derive(Clone, Debug, PartialEq)]
pub struct DbRoleSetting {
    /// 0: every database.
    pub database: u32,
    /// 0: every role.
    pub role: u32,
    /// `name=value` items, in the order they were first set.
    pub config: Vec<String>,
    pub tid: Tid,
}

impl DbRoleSetting {
    /// The value of setting `name` (the setting's own spelling).
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.config.iter().find_map(|item| item.split_once('=').filter(|(n, _)| *n == name).map(|(_, v)| v))
    }
}

impl Catalog {
    /// Every `pg_db_role_setting` row `who` sees.
    pub fn db_role_settings(&self, who: &Reader<'_>) -> Result<Vec<DbRoleSetting>> {
        let desc = PG_DB_ROLE_SETTING.desc();
        let mut raw = Vec::new();
        self.scan(&PG_DB_ROLE_SETTING, who, |tid, t| {
            let v = deform(&desc, t);
            raw.push((u32_of(v[0]), u32_of(v[1]), v[2].map(<[u8]>::to_vec), tid));
        })?;
        raw.into_iter()
            .map(|(database, role, config, tid)| {
                let config = match config {
                    Some(bytes) => ArrayValue::from_storage(PgType::Text, &bytes)?
                        .items
                        .iter()
                        .filter_map(|d| d.as_str().map(str::to_string))
                        .collect(),
                    None => Vec::new(),
                };
                Ok(DbRoleSetting { database, role, config, tid })
            })
            .collect()
    }

    /// The settings of (`database`, `role`) are to be `config`: a new row,
    /// a new version of the row `existing`, or (with no settings left)
    /// its deletion.
    pub fn write_db_role_setting(
        &self,
        database: u32,
        role: u32,
        config: &[String],
        existing: Option<Tid>,
        xid: u64,
        cid: u32,
    ) -> Result<()> {
        let heap = self.heap(self.catalog_rel(&PG_DB_ROLE_SETTING));
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        if config.is_empty() {
            if let Some(tid) = existing {
                heap.delete_checked(tid, xid, cid, &check)?;
            }
            return Ok(());
        }
        let items = config.iter().map(|c| Datum::Text(c.clone())).collect();
        let values = [Datum::Oid(database), Datum::Oid(role), ArrayValue::new(PgType::Text, items).into_datum()];
        let bytes: Vec<Vec<u8>> = values.iter().map(Datum::storage_bytes).collect();
        let refs: Vec<Option<&[u8]>> = bytes.iter().map(|b| Some(b.as_slice())).collect();
        let tuple = form(&PG_DB_ROLE_SETTING.desc(), &refs);
        match existing {
            Some(tid) => {
                let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
                heap.update_checked(tid, xid, cid, &tuple, &how)?;
            }
            None => {
                heap.insert(xid, cid, &tuple)?;
            }
        }
        Ok(())
    }

    /// DROP ROLE and DROP DATABASE: the rows of the role or database
    /// whose OID `matches` go.
    pub fn delete_db_role_settings(
        &self,
        matches: impl Fn(&DbRoleSetting) -> bool,
        xid: u64,
        cid: u32,
        who: &Reader<'_>,
    ) -> Result<()> {
        let heap = self.heap(self.catalog_rel(&PG_DB_ROLE_SETTING));
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        for row in self.db_role_settings(who)?.iter().filter(|r| matches(r)) {
            heap.delete_checked(row.tid, xid, cid, &check)?;
        }
        Ok(())
    }
}
