//! `pg_control_checkpoint()`, `pg_control_system()`, `pg_control_init()`
//! and `pg_control_recovery()`: the control file (`storage::control`)
//! and the constants the cluster was built with, in PostgreSQL's columns.
//!
//! Where tusk has no such thing, a column shows what PostgreSQL shows for
//! the equivalent state; each such value says so below.

use crate::catalog::Catalog;
use crate::sql::plan::SetFunc;
use crate::sql::types::Datum;
use crate::storage::control::CONTROL_VERSION;

/// PostgreSQL 15's `CATALOG_VERSION_NO`: tusk's catalogs are PostgreSQL
/// 15's, and it has no catalog version of its own.
const CATALOG_VERSION_NO: i32 = 202209061;

/// Seconds since the Unix epoch as a timestamptz.
fn timestamptz(secs: u64) -> Datum {
    const UNIX_TO_POSTGRES_EPOCH: i64 = 946_684_800;
    Datum::TimestampTz((secs as i64 - UNIX_TO_POSTGRES_EPOCH) * 1_000_000)
}

fn xid(x: u64) -> Datum {
    Datum::Oid(x as u32)
}

/// The one row of a `pg_control_*` function.
pub(super) fn control_row(func: SetFunc, catalog: &Catalog) -> Vec<Datum> {
    let control = catalog.control();
    match func {
        SetFunc::ControlCheckpoint => {
            let multixacts = &catalog.txns().multixacts;
            vec![
                Datum::PgLsn(control.checkpoint),
                Datum::PgLsn(control.redo),
                Datum::Text(catalog.wal().segment_name(control.redo)),
                // One timeline: tusk has no archive recovery to branch one.
                Datum::Int4(1),
                Datum::Int4(1),
                // Every page's first change after a checkpoint is logged whole.
                Datum::Bool(true),
                // Epoch and transaction id, as PostgreSQL prints a FullTransactionId.
                Datum::Text(format!("{}:{}", control.next_xid >> 32, control.next_xid & 0xFFFF_FFFF)),
                Datum::Oid(control.next_oid),
                xid(multixacts.next()),
                // Member offsets are not counted as PostgreSQL counts them:
                // its value for a cluster that never made a multixact.
                xid(0),
                // Transaction ids do not wrap around in tusk, so none is
                // ever frozen away: the first normal id.
                xid(3),
                // The database PostgreSQL names here (template1) is OID 1.
                Datum::Oid(1),
                // Not recorded at checkpoints: the next id, which is
                // what PostgreSQL shows when no transaction was running.
                xid(control.next_xid),
                xid(multixacts.oldest()),
                Datum::Oid(1),
                // No commit timestamps are kept (track_commit_timestamp off).
                xid(0),
                xid(0),
                timestamptz(control.checkpoint_time),
            ]
        }
        SetFunc::ControlSystem => vec![
            Datum::Int4(CONTROL_VERSION as i32),
            Datum::Int4(CATALOG_VERSION_NO),
            Datum::Int8(control.system_identifier as i64),
            timestamptz(control.time),
        ],
        SetFunc::ControlInit => vec![
            Datum::Int4(8),
            Datum::Int4(crate::storage::page::PAGE_SIZE as i32),
            Datum::Int4(crate::storage::smgr::RELSEG_SIZE as i32),
            // The log is not written in blocks: PostgreSQL's default.
            Datum::Int4(8192),
            Datum::Int4(catalog.wal().segment_size() as i32),
            // NAMEDATALEN: names are cut to 63 bytes.
            Datum::Int4(64),
            Datum::Int4(32),
            Datum::Int4(crate::storage::heap::toast::TOAST_MAX_CHUNK_SIZE as i32),
            // No large objects: PostgreSQL's LOBLKSIZE.
            Datum::Int4(2048),
            Datum::Bool(true),
            // Every page carries a checksum (CRC-32C): version 1, as
            // PostgreSQL reports a cluster with checksums on.
            Datum::Int4(1),
        ],
        // No archive recovery or base backups: what a primary shows.
        SetFunc::ControlRecovery => {
            vec![Datum::PgLsn(0), Datum::Int4(0), Datum::PgLsn(0), Datum::PgLsn(0), Datum::Bool(false)]
        }
        _ => Vec::new(),
    }
}
