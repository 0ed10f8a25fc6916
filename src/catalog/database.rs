//! `pg_database`: the databases of the cluster, a shared catalog (one
//! copy, in [`super::SHARED_DB`], read alike from every database's
//! [`Catalog`]). A database's own catalogs and relations are the files
//! under `base/<oid>/`, copied from its template by CREATE DATABASE (see
//! `session/databases.rs` for the commands and the registry of open
//! databases).

use super::system::PG_DATABASE;
use super::{Attribute, Catalog, Reader, i32_of, text_of, u32_of};
use crate::error::{Error, Result};
use crate::sql::types::Datum;
use crate::storage::heap::Tid;
use crate::storage::heap::tuple::{deform, form};

const DAT_OID: usize = PG_DATABASE.attno("oid");
const DAT_NAME: usize = PG_DATABASE.attno("datname");
const DAT_DBA: usize = PG_DATABASE.attno("datdba");
const DAT_ISTEMPLATE: usize = PG_DATABASE.attno("datistemplate");
const DAT_ALLOWCONN: usize = PG_DATABASE.attno("datallowconn");
const DAT_CONNLIMIT: usize = PG_DATABASE.attno("datconnlimit");

/// A `pg_database` row.
#[derive(Clone, Debug, PartialEq)]
pub struct Database {
    pub oid: u32,
    pub name: String,
    /// `datdba`: the owner's role OID.
    pub owner: u32,
    pub is_template: bool,
    pub allow_connections: bool,
    /// `datconnlimit` (-1: no limit).
    pub connection_limit: i32,
    pub tid: Tid,
}

/// A change to a database's `pg_database` row (ALTER DATABASE).
#[derive(Clone, Debug, Default)]
pub struct DatabaseChange {
    pub name: Option<String>,
    pub owner: Option<u32>,
    pub is_template: Option<bool>,
    pub allow_connections: Option<bool>,
    pub connection_limit: Option<i32>,
}

impl Catalog {
    /// Every database `who` sees, in OID order.
    pub fn databases(&self, who: &Reader<'_>) -> Result<Vec<Database>> {
        let desc = PG_DATABASE.desc();
        let mut out = Vec::new();
        self.scan(&PG_DATABASE, who, |tid, t| {
            let v = deform(&desc, t);
            out.push(Database {
                oid: u32_of(v[DAT_OID]),
                name: text_of(v[DAT_NAME]),
                owner: u32_of(v[DAT_DBA]),
                is_template: v[DAT_ISTEMPLATE] == Some(&[1]),
                allow_connections: v[DAT_ALLOWCONN] == Some(&[1]),
                connection_limit: i32_of(v[DAT_CONNLIMIT]),
                tid,
            });
        })?;
        out.sort_by_key(|d| d.oid);
        Ok(out)
    }

    /// The database named `name`, if `who` sees one.
    pub fn database_named(&self, name: &str, who: &Reader<'_>) -> Result<Option<Database>> {
        Ok(self.databases(who)?.into_iter().find(|d| d.name == name))
    }

    /// The database whose OID is `oid`, if `who` sees it.
    pub fn database_by_oid(&self, oid: u32, who: &Reader<'_>) -> Result<Option<Database>> {
        Ok(self.databases(who)?.into_iter().find(|d| d.oid == oid))
    }

    /// CREATE DATABASE: a `pg_database` row for database `oid`, with the
    /// encoding and locale of its template's row.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_database(
        &self,
        oid: u32,
        name: &str,
        owner: u32,
        template: &Database,
        change: &DatabaseChange,
        xid: u64,
        cid: u32,
    ) -> Result<()> {
        let desc = PG_DATABASE.desc();
        let old = self
            .heap(self.catalog_rel(&PG_DATABASE))
            .fetch(template.tid)?
            .ok_or_else(|| Error::internal("pg_database row of the template vanished"))?;
        let mut v: Vec<Attribute> = deform(&desc, &old).iter().map(|b| b.map(<[u8]>::to_vec)).collect();
        v[DAT_OID] = Some(Datum::Oid(oid).storage_bytes());
        v[DAT_NAME] = Some(Datum::Text(name.to_string()).storage_bytes());
        v[DAT_DBA] = Some(Datum::Oid(owner).storage_bytes());
        v[DAT_ISTEMPLATE] = Some(vec![u8::from(change.is_template.unwrap_or(false))]);
        v[DAT_ALLOWCONN] = Some(vec![u8::from(change.allow_connections.unwrap_or(true))]);
        v[DAT_CONNLIMIT] = Some(change.connection_limit.unwrap_or(-1).to_le_bytes().to_vec());
        v[PG_DATABASE.attno("datacl")] = None;
        let refs: Vec<Option<&[u8]>> = v.iter().map(|b| b.as_deref()).collect();
        self.heap(self.catalog_rel(&PG_DATABASE)).insert(xid, cid, &form(&desc, &refs))?;
        Ok(())
    }

    /// DROP DATABASE: its `pg_database` row goes.
    pub fn delete_database(&self, db: &Database, xid: u64, cid: u32) -> Result<()> {
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        self.heap(self.catalog_rel(&PG_DATABASE)).delete_checked(db.tid, xid, cid, &check)?;
        Ok(())
    }

    /// ALTER DATABASE: a new version of its row.
    pub fn update_database(&self, db: &Database, change: &DatabaseChange, xid: u64, cid: u32) -> Result<()> {
        let desc = PG_DATABASE.desc();
        let heap = self.heap(self.catalog_rel(&PG_DATABASE));
        let old = heap.fetch(db.tid)?.ok_or_else(|| Error::internal("pg_database row vanished"))?;
        let mut v: Vec<Attribute> = deform(&desc, &old).iter().map(|b| b.map(<[u8]>::to_vec)).collect();
        if let Some(name) = &change.name {
            v[DAT_NAME] = Some(Datum::Text(name.clone()).storage_bytes());
        }
        if let Some(owner) = change.owner {
            v[DAT_DBA] = Some(Datum::Oid(owner).storage_bytes());
        }
        if let Some(b) = change.is_template {
            v[DAT_ISTEMPLATE] = Some(vec![u8::from(b)]);
        }
        if let Some(b) = change.allow_connections {
            v[DAT_ALLOWCONN] = Some(vec![u8::from(b)]);
        }
        if let Some(n) = change.connection_limit {
            v[DAT_CONNLIMIT] = Some(n.to_le_bytes().to_vec());
        }
        let refs: Vec<Option<&[u8]>> = v.iter().map(|b| b.as_deref()).collect();
        let check = |t: &[u8]| self.txns.check_updatable(t, xid);
        let how = crate::storage::heap::Update { check: &check, hot: &|_| Ok(false) };
        heap.update_checked(db.tid, xid, cid, &form(&desc, &refs), &how)?;
        Ok(())
    }

    /// Run `write` in a transaction of its own and commit it durably
    /// before returning (CREATE, DROP and ALTER DATABASE run outside any
    /// transaction block, as in PostgreSQL).
    pub fn in_own_transaction<T>(&self, pid: i32, write: impl FnOnce(u64) -> Result<T>) -> Result<T> {
        let xid = self.txns.assign(pid);
        match write(xid) {
            Ok(out) => {
                let lsn = self.txns.log_commit(xid)?;
                self.engine.wal.flush_to(lsn)?;
                self.txns.finish_commit(xid, lsn)?;
                // What is cached of pg_database is read again.
                self.invalidate();
                Ok(out)
            }
            Err(e) => {
                self.txns.abort(xid)?;
                Err(e)
            }
        }
    }

    /// `pg_database_size`: the bytes of the files of the database a name
    /// or OID names, `None` if there is no such database.
    pub fn database_size_of(&self, database: &Datum, who: &Reader<'_>) -> Result<Option<i64>> {
        let list = self.databases(who)?;
        let found = match database {
            Datum::Oid(o) => list.iter().find(|d| d.oid == *o),
            other => list.iter().find(|d| Some(d.name.as_str()) == other.as_str()),
        };
        match found {
            Some(d) => Ok(Some(self.engine.smgr.database_bytes(d.oid)? as i64)),
            None => Ok(None),
        }
    }

    /// A snapshot of committed state now, for reading `pg_database`.
    pub fn read_committed<T>(&self, f: impl FnOnce(&Reader<'_>) -> Result<T>) -> Result<T> {
        let snapshot = self.txns.snapshot();
        f(&Reader { path: None, snapshot: &snapshot, xid: 0, cid: 0 })
    }
}
