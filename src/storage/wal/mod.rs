//! The write-ahead log.
//!
//! Every change to a page is described by a [`record`] appended here before
//! the page may reach disk. An LSN is a byte position in the log; the log
//! is stored in segment files of `segment_size` bytes (16 MiB by default)
//! under `<data>/wal/`, each named by its starting LSN in hex.
//!
//! ```text
//!  sessions ──insert──► WAL buffer (in memory) ──flush_to──► segment files ──fdatasync
//!      │                                                         │
//!      └── commit: wait_flushed(lsn).await ◄── flushed LSN ◄─────┘ (WAL writer task)
//! ```
//!
//! Inserting only copies bytes into the buffer under a short lock. Flushing
//! takes the whole buffer out, writes it, syncs once, and publishes the new
//! flushed LSN: every commit waiting at or below it wakes. While one sync
//! runs, further commits gather in the buffer and share the next one — group
//! commit.
//!
//! A committing session wakes the WAL writer task and awaits the flushed
//! LSN; its thread runs other sessions meanwhile, whose commits join the
//! next flush. The writer syncs on a blocking-pool thread, so no session's
//! thread ever waits for the disk, and a single client's commit costs one
//! write and one sync plus two thread wake-ups.

pub mod blocks;
pub mod record;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use crate::err;
use crate::error::{Error, Result, SqlState};
pub use record::{Record, Rmgr};

/// 16 MiB, as PostgreSQL's default.
pub const DEFAULT_SEGMENT_SIZE: u64 = 16 * 1024 * 1024;

/// Counters of the log's work.
#[derive(Default, Debug)]
pub struct WalStats {
    pub bytes: AtomicU64,
    pub records: AtomicU64,
    pub flushes: AtomicU64,
    /// Commits that waited for a flush (with `flushes`, gives commits per flush).
    pub commit_waits: AtomicU64,
}

struct InsertState {
    /// Records not yet handed to the writer; `buf[0]` is at LSN `buf_start`.
    buf: Vec<u8>,
    buf_start: u64,
    /// LSN of the last record inserted (the next one's back-link).
    prev: u64,
}

struct WriteState {
    files: HashMap<u64, File>,
    /// Bytes taken from the insert buffer but not yet durable (kept across a
    /// failed write so that a retry writes them again).
    pending: Vec<u8>,
    pending_start: u64,
    /// An empty buffer swapped in for the insert buffer at the next flush,
    /// so that flushing allocates nothing.
    spare: Vec<u8>,
}

/// Above this, a buffer that grew (a large load between flushes) is not
/// kept for reuse.
const KEEP_BUFFER: usize = 16 << 20;

/// When the insert buffer grows past this, the WAL writer is woken to
/// write it out (a bulk load would otherwise grow it until the next
/// commit or `wal_writer_delay`, reallocating as it goes): 4 MiB, as
/// PostgreSQL's `wal_buffers` for its default `shared_buffers`.
const WAKE_WRITER_AT: usize = 4 << 20;

pub struct Wal {
    dir: PathBuf,
    segment_size: u64,
    fsync: bool,
    insert: Mutex<InsertState>,
    write: Mutex<WriteState>,
    flushed: AtomicU64,
    /// The redo point of the last checkpoint: the first change of a page
    /// after it logs the whole page (torn-page protection).
    redo_ptr: AtomicU64,
    /// Held shared by a change that spans a record and state outside the
    /// pages (a commit record and its commit-log bit), exclusively while a
    /// checkpoint picks its redo point: a redo point never falls between
    /// the two halves (PostgreSQL's delayChkpt).
    checkpoint_start: parking_lot::RwLock<()>,
    flushed_tx: tokio::sync::watch::Sender<u64>,
    wake_writer: tokio::sync::Notify,
    pub stats: WalStats,
}

/// A segment file is named by its first LSN: 16 upper-case hex digits.
fn segment_file_name(start: u64) -> String {
    format!("{start:016X}")
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    err!(SqlState::IO_ERROR, "could not {what} WAL file \"{}\": {e}", path.display()).with_source(e)
}

impl Wal {
    /// Open the log to append after `end` (the end of valid WAL, as found by
    /// [`Wal::read_from`]), whose last record is at `prev`.
    pub fn open(dir: &Path, segment_size: u64, fsync: bool, end: u64, prev: u64) -> Result<Wal> {
        std::fs::create_dir_all(dir).map_err(|e| io_error("create directory for", dir, e))?;
        let (flushed_tx, _) = tokio::sync::watch::channel(end);
        Ok(Wal {
            dir: dir.to_path_buf(),
            segment_size,
            fsync,
            insert: Mutex::new(InsertState { buf: Vec::with_capacity(1 << 20), buf_start: end, prev }),
            write: Mutex::new(WriteState {
                files: HashMap::new(),
                pending: Vec::with_capacity(1 << 20),
                pending_start: end,
                spare: Vec::with_capacity(1 << 20),
            }),
            flushed: AtomicU64::new(end),
            redo_ptr: AtomicU64::new(0),
            checkpoint_start: parking_lot::RwLock::new(()),
            flushed_tx,
            wake_writer: tokio::sync::Notify::new(),
            stats: WalStats::default(),
        })
    }

    fn segment_path(dir: &Path, segment_size: u64, seg: u64) -> PathBuf {
        dir.join(segment_file_name(seg * segment_size))
    }

    /// The size of a segment file in bytes.
    pub fn segment_size(&self) -> u64 {
        self.segment_size
    }

    /// The name of the segment file that holds the byte at `lsn`.
    pub fn segment_name(&self, lsn: u64) -> String {
        segment_file_name(lsn - lsn % self.segment_size)
    }

    /// Append a record; returns its start and end LSN. It is durable once
    /// the log is flushed past its end.
    pub fn insert(&self, xid: u64, rmgr: Rmgr, info: u8, payload: &[u8]) -> Result<(u64, u64)> {
        if payload.len() > record::MAX_RECORD {
            return Err(err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "WAL record too large ({} bytes)", payload.len()));
        }
        let mut ins = self.insert.lock();
        Ok(self.append(&mut ins, xid, rmgr, info, payload))
    }

    /// Encode a record at the end of the insert buffer (insert lock held).
    fn append(&self, ins: &mut InsertState, xid: u64, rmgr: Rmgr, info: u8, payload: &[u8]) -> (u64, u64) {
        let before = ins.buf.len();
        let lsn = ins.buf_start + before as u64;
        let prev = ins.prev;
        record::encode(&mut ins.buf, prev, xid, rmgr, info, payload);
        ins.prev = lsn;
        if before < WAKE_WRITER_AT && ins.buf.len() >= WAKE_WRITER_AT {
            self.wake_writer.notify_one();
        }
        let end = ins.buf_start + ins.buf.len() as u64;
        self.stats.records.fetch_add(1, Ordering::Relaxed);
        self.stats.bytes.fetch_add(end - lsn, Ordering::Relaxed);
        (lsn, end)
    }

    /// Append a record that changes pages (one block reference per page).
    /// Which pages need their full image — those not changed since the
    /// checkpoint's redo point — is decided under the insert lock, so a
    /// checkpoint starting meanwhile cannot slip between that decision and
    /// the record's position. `fresh` pages were initialized by this change
    /// (redo rebuilds them) and need no image.
    pub fn insert_page_change(
        &self,
        xid: u64,
        rmgr: Rmgr,
        info: u8,
        refs: &mut [blocks::BlockRef],
        pages: &[(&crate::storage::page::PageBuf, bool)],
    ) -> Result<(u64, u64)> {
        use crate::storage::page::PageRead;
        let mut ins = self.insert.lock();
        let redo = self.redo_ptr();
        for (r, (page, fresh)) in refs.iter_mut().zip(pages) {
            if !fresh && r.image.is_none() && page.lsn() <= redo {
                r.image = Some(Box::new(*page.0));
            }
        }
        let payload = blocks::encode(refs);
        if payload.len() > record::MAX_RECORD {
            return Err(err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "WAL record too large ({} bytes)", payload.len()));
        }
        Ok(self.append(&mut ins, xid, rmgr, info, &payload))
    }

    /// Start a checkpoint: the redo point is the current end of the log;
    /// from now on first changes of pages log their full image. Returns the
    /// redo point and the LSN of the record before it.
    pub fn begin_checkpoint(&self) -> (u64, u64) {
        let _no_commit_halfway = self.checkpoint_start.write();
        let ins = self.insert.lock();
        let redo = ins.buf_start + ins.buf.len() as u64;
        self.redo_ptr.store(redo, Ordering::Release);
        (redo, ins.prev)
    }

    /// Keep a checkpoint from choosing its redo point until the guard is
    /// dropped (see `checkpoint_start`).
    pub fn delay_checkpoint(&self) -> parking_lot::RwLockReadGuard<'_, ()> {
        self.checkpoint_start.read()
    }

    /// The LSN the next record will get.
    pub fn insert_end(&self) -> u64 {
        let ins = self.insert.lock();
        ins.buf_start + ins.buf.len() as u64
    }

    /// The current checkpoint redo point.
    pub fn redo_ptr(&self) -> u64 {
        self.redo_ptr.load(Ordering::Acquire)
    }

    /// Recovery: the redo point replay started from.
    pub fn set_redo_ptr(&self, lsn: u64) {
        self.redo_ptr.store(lsn, Ordering::Release);
    }

    /// Everything before this LSN is durable.
    pub fn flushed(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Make the log durable at least up to `lsn` (blocking). Everything
    /// inserted so far is written in the same sync.
    pub fn flush_to(&self, lsn: u64) -> Result<()> {
        if self.flushed() >= lsn {
            return Ok(());
        }
        let mut w = self.write.lock();
        let result = self.flush_locked(&mut w, lsn);
        drop(w);
        self.publish_flushed();
        result
    }

    /// Tell every waiter the flushed LSN. Called after each release of the
    /// write lock (which a waiter may have found taken, see
    /// [`Wal::wait_flushed`]), whether or not the holder flushed anything.
    fn publish_flushed(&self) {
        let flushed = self.flushed();
        self.flushed_tx.send_modify(|v| *v = (*v).max(flushed));
    }

    /// The body of [`Wal::flush_to`], with the write lock held.
    fn flush_locked(&self, w: &mut WriteState, lsn: u64) -> Result<()> {
        if self.flushed() >= lsn {
            return Ok(());
        }
        {
            let mut taken = std::mem::take(&mut w.spare);
            let mut ins = self.insert.lock();
            std::mem::swap(&mut ins.buf, &mut taken);
            ins.buf_start += taken.len() as u64;
            drop(ins);
            if w.pending.is_empty() {
                std::mem::swap(&mut w.pending, &mut taken);
            } else {
                w.pending.extend_from_slice(&taken);
            }
            taken.clear();
            if taken.capacity() <= KEEP_BUFFER {
                w.spare = taken;
            }
        }
        if w.pending.is_empty() {
            return Ok(());
        }
        let mut bytes = std::mem::take(&mut w.pending);
        let start = w.pending_start;
        let result = self.write_and_sync(w, &bytes, start);
        if let Err(e) = result {
            w.pending = bytes;
            return Err(e);
        }
        w.pending_start = start + bytes.len() as u64;
        bytes.clear();
        if bytes.capacity() <= KEEP_BUFFER {
            w.pending = bytes;
        }
        Ok(())
    }

    fn write_and_sync(&self, w: &mut WriteState, bytes: &[u8], start: u64) -> Result<()> {
        let end = start + bytes.len() as u64;
        let mut pos = start;
        while pos < end {
            let seg = pos / self.segment_size;
            let off = pos % self.segment_size;
            let n = ((self.segment_size - off) as usize).min((end - pos) as usize);
            let from = (pos - start) as usize;
            let file = self.segment(w, seg)?;
            let path = || Self::segment_path(&self.dir, self.segment_size, seg);
            file.write_all_at(&bytes[from..from + n], off).map_err(|e| io_error("write to", &path(), e))?;
            // Each pass writes one segment; sync it before the next is
            // opened, which may close it (a write can span many segments).
            if self.fsync {
                file.sync_data().map_err(|e| io_error("fdatasync", &path(), e))?;
            }
            pos += n as u64;
        }
        self.flushed.store(end, Ordering::Release);
        self.stats.flushes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The open file of a segment, creating it zero-filled (so that a sync
    /// of later writes need not also persist the file's growth).
    fn segment<'a>(&self, w: &'a mut WriteState, seg: u64) -> Result<&'a File> {
        if !w.files.contains_key(&seg) {
            let path = Self::segment_path(&self.dir, self.segment_size, seg);
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| io_error("open", &path, e))?;
            let len = file.metadata().map_err(|e| io_error("stat", &path, e))?.len();
            if len < self.segment_size {
                let zeros = vec![0u8; 1 << 20];
                let mut at = len;
                while at < self.segment_size {
                    let n = ((self.segment_size - at) as usize).min(zeros.len());
                    file.write_all_at(&zeros[..n], at).map_err(|e| io_error("zero-fill", &path, e))?;
                    at += n as u64;
                }
                if self.fsync {
                    file.sync_all().map_err(|e| io_error("fsync", &path, e))?;
                    if let Ok(d) = File::open(&self.dir) {
                        let _ = d.sync_all();
                    }
                }
            }
            // Keep few segments open: the log moves forward.
            w.files.retain(|&s, _| s + 1 >= seg);
            w.files.insert(seg, file);
        }
        Ok(&w.files[&seg])
    }

    /// Make the log durable up to `lsn` for a commit, flushing on this
    /// thread (blocking it) rather than waiting for the WAL writer: for a
    /// committer that has its thread to itself, where the hand-offs to the
    /// writer and back would cost more than the flush. Commits arriving
    /// meanwhile are flushed with it if they make it into the buffer first.
    pub fn flush_for_commit(&self, lsn: u64) -> Result<()> {
        if self.flushed() >= lsn {
            return Ok(());
        }
        self.stats.commit_waits.fetch_add(1, Ordering::Relaxed);
        self.flush_to(lsn)
    }

    /// Wait until the log is durable up to `lsn`: the commit path. The WAL
    /// writer task flushes everything inserted so far, for every commit
    /// waiting at that moment, while the sessions' threads go on running
    /// other sessions (see the module documentation).
    pub async fn wait_flushed(&self, lsn: u64) -> Result<()> {
        if self.flushed() >= lsn {
            return Ok(());
        }
        self.stats.commit_waits.fetch_add(1, Ordering::Relaxed);
        // Subscribed before the writer is woken: it publishes after its
        // flush, which this receiver then sees.
        let mut rx = self.flushed_tx.subscribe();
        loop {
            if self.flushed() >= lsn {
                return Ok(());
            }
            self.wake_writer.notify_one();
            rx.changed().await.map_err(|_| Error::internal("WAL writer stopped"))?;
        }
    }

    /// Remove segment files that end at or before `lsn` (no longer needed
    /// for recovery once a checkpoint's redo point is past them).
    pub fn remove_segments_before(&self, lsn: u64) -> Result<usize> {
        let keep_from = lsn / self.segment_size;
        let mut removed = 0;
        let entries = std::fs::read_dir(&self.dir).map_err(|e| io_error("read directory of", &self.dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(start) = name.to_str().and_then(|n| u64::from_str_radix(n, 16).ok()) else { continue };
            if start / self.segment_size < keep_from {
                std::fs::remove_file(entry.path()).map_err(|e| io_error("remove", &entry.path(), e))?;
                removed += 1;
            }
        }
        self.write.lock().files.retain(|&seg, _| seg >= keep_from);
        self.publish_flushed();
        Ok(removed)
    }

    /// Read the log from `start` (a record boundary, after the record at
    /// `prev`) until the first invalid record.
    pub fn read_from(dir: &Path, segment_size: u64, start: u64, prev: u64) -> WalReader {
        WalReader { dir: dir.to_path_buf(), segment_size, pos: start, prev, files: HashMap::new() }
    }
}

/// The WAL writer task: flushes whenever a commit waits, and at least every
/// `delay` (so asynchronous commits become durable within it). Stops when
/// `shutdown` is cancelled, after a last flush. A flush error is logged and
/// retried: the waiting commits stay blocked rather than be told "done".
pub async fn run_writer(wal: Arc<Wal>, delay: Duration, shutdown: CancellationToken) {
    loop {
        let stop = tokio::select! {
            _ = shutdown.cancelled() => true,
            _ = wal.wake_writer.notified() => false,
            _ = tokio::time::sleep(delay) => false,
        };
        let target = wal.insert_end();
        if target > wal.flushed() {
            let w = wal.clone();
            match tokio::task::spawn_blocking(move || w.flush_to(target)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "could not flush WAL; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    wal.wake_writer.notify_one();
                }
                Err(e) => tracing::error!(error = %e, "WAL flush task failed"),
            }
        }
        if stop {
            return;
        }
    }
}

impl crate::storage::buffer::WalFlush for Wal {
    fn flush_to(&self, lsn: u64) -> Result<()> {
        Wal::flush_to(self, lsn)
    }
}

/// Reads records in order; ends at the first invalid one.
pub struct WalReader {
    dir: PathBuf,
    segment_size: u64,
    pos: u64,
    prev: u64,
    files: HashMap<u64, Option<File>>,
}

impl WalReader {
    /// Where the next record would start (after the end, the end of valid WAL).
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The LSN of the last record read.
    pub fn prev(&self) -> u64 {
        self.prev
    }

    fn read_at(&mut self, mut pos: u64, out: &mut [u8]) -> bool {
        let mut done = 0;
        while done < out.len() {
            let seg = pos / self.segment_size;
            let off = pos % self.segment_size;
            let n = ((self.segment_size - off) as usize).min(out.len() - done);
            let (dir, size) = (&self.dir, self.segment_size);
            let file = self.files.entry(seg).or_insert_with(|| File::open(Wal::segment_path(dir, size, seg)).ok());
            let Some(f) = file else { return false };
            if f.read_exact_at(&mut out[done..done + n], off).is_err() {
                return false;
            }
            done += n;
            pos += n as u64;
        }
        true
    }
}

impl Iterator for WalReader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let mut header = [0u8; record::HEADER_SIZE];
        if !self.read_at(self.pos, &mut header) {
            return None;
        }
        let len = record::claimed_len(&header)?;
        let mut bytes = vec![0u8; len];
        if !self.read_at(self.pos, &mut bytes) {
            return None;
        }
        let rec = record::decode(&bytes, self.pos, self.prev)?;
        self.prev = rec.lsn;
        self.pos = rec.end_lsn();
        Some(rec)
    }
}

#[cfg(test)]
mod tests;
