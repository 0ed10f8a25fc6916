//! Replay of btree WAL records (PostgreSQL's `nbtxlog.c`).
//!
//! A block reference with a full-page image is restored as is (splits,
//! new roots, create and build log only images; inserts and deletes carry
//! one when they are the page's first change since a checkpoint). Otherwise
//! the logical change is applied only to a page whose LSN is older than the
//! record, so replaying a record twice is the same as once.

use super::node;
use super::{XLOG_DELETE, XLOG_IMAGES, XLOG_INSERT};
use crate::err;
use crate::error::{Result, SqlState};
use crate::storage::buffer::BufferPool;
use crate::storage::page::{PageRead, PageWrite};
use crate::storage::wal::Record;
use crate::storage::wal::blocks;

/// Replay a btree WAL record.
pub fn redo(pool: &BufferPool, rec: &Record) -> Result<()> {
    let bad = || err!(SqlState::DATA_CORRUPTED, "invalid btree WAL record at {:X}", rec.lsn);
    let refs = blocks::decode(&rec.payload).ok_or_else(bad)?;
    let end = rec.end_lsn();
    for r in &refs {
        if blocks::restore_image(pool, r, end)? {
            continue;
        }
        let buf = pool.read_buffer_for_redo(r.tag)?;
        let mut page = buf.write();
        if page.lsn() >= end {
            continue; // already applied
        }
        if page.is_new() {
            return Err(err!(SqlState::DATA_CORRUPTED, "WAL record at {:X} refers to an uninitialized page", rec.lsn));
        }
        let d = &r.data;
        let off = d.get(..2).map(|b| u16::from_le_bytes([b[0], b[1]])).ok_or_else(bad)?;
        let applied = match rec.info {
            XLOG_INSERT => node::insert_at(&mut *page, off, &d[2..]),
            XLOG_DELETE => node::delete_at(&mut *page, off),
            XLOG_IMAGES => false, // an image record without its image
            _ => false,
        };
        if !applied {
            return Err(bad());
        }
        page.set_lsn(end);
        drop(page);
        buf.mark_dirty();
    }
    Ok(())
}
