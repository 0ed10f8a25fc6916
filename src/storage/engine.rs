//! The storage engine as the server runs it: control file, WAL, buffer
//! pool, crash recovery at start, checkpoints, and the background tasks.
//!
//! Start-up ([`Engine::start`]):
//! 1. read `tusk.control` (a new cluster gets a fresh one);
//! 2. scan the WAL from the last checkpoint's redo point to the end of
//!    valid WAL, and open the log to append there;
//! 3. if the cluster was not shut down cleanly, replay those records
//!    (each redo routine skips what a page already has), then write an
//!    end-of-recovery checkpoint;
//! 4. mark the cluster in production.
//!
//! Background tasks ([`Engine::spawn_background`]), each stopped by the
//! shutdown token:
//! - *WAL writer*: flushes WAL for waiting commits and every `wal_writer_delay`;
//! - *checkpointer*: a checkpoint every `checkpoint_timeout`, when WAL since
//!   the last one exceeds `max_wal_size`, or on request (`CHECKPOINT`); an
//!   error is logged and the checkpoint retried on the next round, never
//!   ignored — until one succeeds, recovery starts from the older one;
//! - *background writer*: every `bgwriter_delay`, writes up to
//!   `bgwriter_lru_maxpages` dirty pages the clock will evict next, so that
//!   sessions seldom write pages themselves.
//!
//! A clean shutdown ([`Engine::shutdown`]) ends with a checkpoint and marks
//! the cluster shut down, so the next start needs no replay.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::buffer::{BufferPool, WalFlush, Writer};
use super::control::{ClusterState, ControlFile};
use super::smgr::{Fork, RelFileLocator, Smgr};
use super::wal::{self, Record, Rmgr, Wal};
use super::{btree, heap};
use crate::err;
use crate::error::{Result, SqlState};

/// WAL record kinds of the Xlog resource manager.
const XLOG_CHECKPOINT: u8 = 0x10;
const XLOG_NEXTOID: u8 = 0x30;
/// WAL record kind of the Storage resource manager: a relation cut short.
const SMGR_TRUNCATE: u8 = 0x20;
/// WAL record kinds of the Storage resource manager for whole databases
/// (PostgreSQL's XLOG_DBASE_CREATE_FILE_COPY and XLOG_DBASE_DROP).
const DBASE_CREATE: u8 = 0x30;
const DBASE_DROP: u8 = 0x40;
/// OIDs reserved per NEXTOID record (PostgreSQL's VAR_OID_PREFETCH).
const OID_PREFETCH: u32 = 8192;

/// A subsystem above storage with WAL records of its own (transactions,
/// later sequences and indexes): it replays them in recovery and writes
/// out its own state at checkpoints.
pub trait ResourceManager: Send + Sync {
    fn rmgr(&self) -> Rmgr;
    fn redo(&self, rec: &Record) -> Result<()>;
    /// Make the subsystem's state durable up to the checkpoint's redo point.
    fn checkpoint(&self, wal: &Wal) -> Result<()>;
    /// The next transaction id, to be saved in the checkpoint.
    fn next_xid(&self) -> Option<u64> {
        None
    }
}

/// What the engine is configured with.
#[derive(Clone, Debug)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    pub buffers: usize,
    pub fsync: bool,
    pub wal_segment_size: u64,
    pub max_open_files: usize,
    pub checkpoint_timeout: Duration,
    pub max_wal_size: u64,
    pub wal_writer_delay: Duration,
    pub bgwriter_delay: Duration,
    pub bgwriter_lru_maxpages: usize,
}

#[derive(Default, Debug)]
pub struct CheckpointStats {
    pub timed: AtomicU64,
    pub requested: AtomicU64,
    pub buffers_written: AtomicU64,
    /// Time spent writing dirty pages and syncing files, in microseconds.
    pub write_micros: AtomicU64,
    pub sync_micros: AtomicU64,
    /// Background writer rounds that stopped at `bgwriter_lru_maxpages`.
    pub maxwritten_clean: AtomicU64,
}

pub struct Engine {
    config: StorageConfig,
    pub smgr: Arc<Smgr>,
    pub wal: Arc<Wal>,
    pub pool: Arc<BufferPool>,
    control: Mutex<ControlFile>,
    rmgrs: std::sync::OnceLock<Vec<Arc<dyn ResourceManager>>>,
    /// One checkpoint at a time.
    checkpointing: Mutex<()>,
    wal_records_after_redo: AtomicU64,
    /// This start recovered from a crash.
    recovered: std::sync::atomic::AtomicBool,
    /// Next OID to hand out and the end of the batch reserved in WAL.
    oids: Mutex<(u32, u32)>,
    pub checkpoints: CheckpointStats,
    /// One pruner per heap page (see [`crate::storage::heap::hot::PruneLocks`]).
    pub prune_locks: crate::storage::heap::hot::PruneLocks,
}

/// Why a checkpoint runs (for the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointReason {
    Time,
    WalVolume,
    Requested,
    EndOfRecovery,
    Shutdown,
}

impl Engine {
    fn control_path(dir: &Path) -> PathBuf {
        dir.join("tusk.control")
    }

    /// Open the storage of a data directory: read the control file and find
    /// the end of valid WAL. [`Engine::startup`] then recovers if needed.
    pub fn open(config: StorageConfig) -> Result<Engine> {
        let dir = config.data_dir.clone();
        let control_path = Self::control_path(&dir);
        let mut control = if control_path.exists() {
            ControlFile::read(&control_path)?
        } else {
            let mut c = ControlFile::new();
            c.write(&control_path)?;
            c
        };
        let wal_dir = dir.join("wal");
        // Find the end of valid WAL.
        let mut reader = Wal::read_from(&wal_dir, config.wal_segment_size, control.redo, control.redo_prev);
        let mut records = 0u64;
        let mut max_xid = 0;
        for rec in reader.by_ref() {
            records += 1;
            max_xid = max_xid.max(rec.xid);
        }
        let (end, prev) = (reader.position(), reader.prev());
        let wal = Arc::new(Wal::open(&wal_dir, config.wal_segment_size, config.fsync, end, prev)?);
        wal.set_redo_ptr(control.redo);
        let smgr = Arc::new(Smgr::new(&dir, config.max_open_files));
        let pool = Arc::new(BufferPool::new(config.buffers, smgr.clone(), wal.clone() as Arc<dyn WalFlush>));
        control.next_xid = control.next_xid.max(max_xid + 1);
        let engine = Engine {
            config,
            smgr,
            wal,
            pool,
            control: Mutex::new(control),
            rmgrs: std::sync::OnceLock::new(),
            checkpointing: Mutex::new(()),
            wal_records_after_redo: AtomicU64::new(0),
            recovered: std::sync::atomic::AtomicBool::new(false),
            oids: Mutex::new((0, 0)),
            checkpoints: CheckpointStats::default(),
            prune_locks: Default::default(),
        };
        engine.wal_records_after_redo.store(records, Ordering::Relaxed);
        Ok(engine)
    }

    /// Whether this start replayed WAL after an unclean shutdown (UNLOGGED
    /// relations are then emptied, see `Catalog::open`).
    pub fn recovered(&self) -> bool {
        self.recovered.load(Ordering::Acquire)
    }

    /// The control file as it is now (`pg_control_checkpoint()`, …).
    pub fn control(&self) -> ControlFile {
        self.control.lock().clone()
    }

    /// The next transaction id recorded at the last checkpoint (or found in WAL after it).
    pub fn next_xid(&self) -> u64 {
        self.control.lock().next_xid
    }

    /// A new object identifier. OIDs are reserved in WAL in batches, so that
    /// after a crash none is handed out twice.
    pub fn allocate_oid(&self) -> Result<u32> {
        let mut a = self.oids.lock();
        if a.0 == 0 {
            a.0 = self.control.lock().next_oid;
        }
        if a.0 >= a.1 {
            let upto =
                a.0.checked_add(OID_PREFETCH)
                    .ok_or_else(|| err!(SqlState::PROGRAM_LIMIT_EXCEEDED, "OID counter exhausted"))?;
            self.wal.insert(0, Rmgr::Xlog, XLOG_NEXTOID, &upto.to_le_bytes())?;
            self.control.lock().next_oid = upto;
            a.1 = upto;
        }
        let oid = a.0;
        a.0 += 1;
        Ok(oid)
    }

    /// Register the resource managers above storage, replay WAL if the
    /// cluster was not shut down cleanly, and mark it in production.
    pub fn startup(&self, rmgrs: Vec<Arc<dyn ResourceManager>>) -> Result<()> {
        let _ = self.rmgrs.set(rmgrs);
        let crashed = self.control.lock().state != ClusterState::ShutDown;
        if crashed {
            self.recovered.store(true, Ordering::Release);
            self.recover(self.wal_records_after_redo.load(Ordering::Relaxed))?;
        }
        let mut c = self.control.lock();
        c.state = ClusterState::InProduction;
        c.write(&Self::control_path(&self.config.data_dir))
    }

    fn recover(&self, records: u64) -> Result<()> {
        let (redo, redo_prev) = {
            let mut c = self.control.lock();
            tracing::warn!(
                redo = format!("{:X}", c.redo),
                "database system was not properly shut down; automatic recovery in progress"
            );
            c.state = ClusterState::InCrashRecovery;
            c.write(&Self::control_path(&self.config.data_dir))?;
            (c.redo, c.redo_prev)
        };
        let started = Instant::now();
        let mut applied = 0u64;
        let mut last_report = Instant::now();
        for rec in Wal::read_from(&self.config.data_dir.join("wal"), self.config.wal_segment_size, redo, redo_prev) {
            self.redo(&rec)?;
            applied += 1;
            if last_report.elapsed() > Duration::from_secs(10) {
                tracing::info!(applied, of = records, lsn = format!("{:X}", rec.lsn), "redo in progress");
                last_report = Instant::now();
            }
        }
        tracing::info!(
            records = applied,
            end = format!("{:X}", self.wal.insert_end()),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "redo done"
        );
        self.checkpoint(CheckpointReason::EndOfRecovery)
    }

    /// Cut a relation's main fork to its first `nblocks` blocks (vacuum
    /// giving back empty pages at the end). The caller holds a lock that
    /// keeps everyone else off those pages. The record is made durable
    /// before the file shrinks, so that recovery never replays changes to
    /// pages past the cut without also replaying the cut; pages changed
    /// before it come back from their full-page images and are cut again.
    pub fn truncate_relation(&self, rel: RelFileLocator, nblocks: u32) -> Result<()> {
        let payload: Vec<u8> = [rel.db, rel.relfilenode, nblocks].iter().flat_map(|w| w.to_le_bytes()).collect();
        let (_, end) = self.wal.insert(0, Rmgr::Storage, SMGR_TRUNCATE, &payload)?;
        self.wal.flush_to(end)?;
        self.cut(rel, nblocks)
    }

    /// CREATE DATABASE's file copy (PostgreSQL's FILE_COPY strategy): a
    /// checkpoint writes every dirty page of the template out, its
    /// directory is copied and synced, a record saying so is logged and
    /// flushed, and a second checkpoint makes sure recovery never needs to
    /// replay that record (it would copy the template as it is then, not as
    /// it was). The caller keeps every writer away from the template.
    pub fn create_database(&self, template: u32, db: u32) -> Result<()> {
        self.checkpoint(CheckpointReason::Requested)?;
        self.smgr.copy_database(template, db)?;
        let payload: Vec<u8> = [template, db].iter().flat_map(|w| w.to_le_bytes()).collect();
        let (_, end) = self.wal.insert(0, Rmgr::Storage, DBASE_CREATE, &payload)?;
        self.wal.flush_to(end)?;
        self.checkpoint(CheckpointReason::Requested)
    }

    /// DROP DATABASE's file removal, once the `pg_database` row's deletion
    /// is committed: its pages leave the buffer pool unwritten, a record
    /// is logged and flushed (so that recovery removes the files too, after
    /// replaying any change to them), and the directory goes.
    pub fn drop_database(&self, db: u32) -> Result<()> {
        self.pool.drop_database(db)?;
        let (_, end) = self.wal.insert(0, Rmgr::Storage, DBASE_DROP, &db.to_le_bytes())?;
        self.wal.flush_to(end)?;
        self.smgr.remove_database(db)
    }

    /// Remove the files of a database with no `pg_database` row (a crash
    /// came between the row's deletion and the files', or between a copy
    /// and the commit of the row): no WAL needed, as nothing refers to it.
    pub fn remove_orphan_database(&self, db: u32) -> Result<()> {
        self.pool.drop_database(db)?;
        tracing::info!(db, "removing the files of a database that does not exist");
        self.smgr.remove_database(db)
    }

    fn cut(&self, rel: RelFileLocator, nblocks: u32) -> Result<()> {
        self.pool.drop_blocks_from(rel, nblocks)?;
        self.pool.truncate_free_space(rel, nblocks)?;
        super::vm::truncate(&self.pool, rel, nblocks)?;
        let smgr = self.pool.smgr();
        if smgr.exists(rel, Fork::Main) && smgr.nblocks(rel, Fork::Main)? > nblocks {
            smgr.truncate(rel, Fork::Main, nblocks)?;
        }
        Ok(())
    }

    /// Apply one WAL record (dispatch by resource manager).
    fn redo(&self, rec: &Record) -> Result<()> {
        match rec.rmgr {
            Rmgr::Heap => heap::redo(&self.pool, rec),
            Rmgr::Btree => btree::redo(&self.pool, rec),
            Rmgr::Sequence => super::sequence::redo(&self.pool, rec),
            Rmgr::Xlog if rec.info == XLOG_NEXTOID => {
                let next = rec.payload.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0);
                let mut c = self.control.lock();
                c.next_oid = c.next_oid.max(next);
                Ok(())
            }
            Rmgr::Xlog => Ok(()),
            Rmgr::Storage if rec.info == SMGR_TRUNCATE => {
                let word = |i: usize| {
                    rec.payload.get(i * 4..i * 4 + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
                };
                match (word(0), word(1), word(2)) {
                    (Some(db), Some(relfilenode), Some(n)) => self.cut(RelFileLocator { db, relfilenode }, n),
                    _ => Err(err!(SqlState::DATA_CORRUPTED, "invalid truncate WAL record at {:X}", rec.lsn)),
                }
            }
            Rmgr::Storage if rec.info == DBASE_CREATE || rec.info == DBASE_DROP => {
                let word = |i: usize| {
                    rec.payload.get(i * 4..i * 4 + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
                };
                match (rec.info, word(0), word(1)) {
                    (DBASE_CREATE, Some(template), Some(db)) => {
                        // The copy was synced before the record was logged;
                        // only a directory lost since is copied again.
                        if !self.smgr.database_dir(db).exists() {
                            self.pool.flush_all(super::buffer::Writer::Checkpointer)?;
                            self.smgr.copy_database(template, db)?;
                        }
                        Ok(())
                    }
                    (DBASE_DROP, Some(db), _) => {
                        self.pool.drop_database(db)?;
                        self.smgr.remove_database(db)
                    }
                    _ => Err(err!(SqlState::DATA_CORRUPTED, "invalid database WAL record at {:X}", rec.lsn)),
                }
            }
            other => match self.rmgrs.get().and_then(|v| v.iter().find(|r| r.rmgr() == other)) {
                Some(r) => r.redo(rec),
                None => Err(err!(
                    SqlState::DATA_CORRUPTED,
                    "no redo routine for WAL resource manager {other:?} at {:X}",
                    rec.lsn
                )),
            },
        }
    }

    /// Run a checkpoint now (blocking): redo point, write every dirty page,
    /// sync the written files, log the checkpoint, update the control file,
    /// and drop WAL segments before the redo point.
    pub fn checkpoint(&self, reason: CheckpointReason) -> Result<()> {
        let _one = self.checkpointing.lock();
        let started = Instant::now();
        let started_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let (redo, redo_prev) = self.wal.begin_checkpoint();
        let written = self.pool.flush_all(Writer::Checkpointer)?;
        let wrote_at = Instant::now();
        let synced = self.smgr.sync_written()?;
        let micros = |d: Duration| d.as_micros().try_into().unwrap_or(u64::MAX);
        self.checkpoints.write_micros.fetch_add(micros(wrote_at - started), Ordering::Relaxed);
        self.checkpoints.sync_micros.fetch_add(micros(wrote_at.elapsed()), Ordering::Relaxed);
        let mut next_xid_now = None;
        for r in self.rmgrs.get().map(Vec::as_slice).unwrap_or(&[]) {
            r.checkpoint(&self.wal)?;
            next_xid_now = next_xid_now.or(r.next_xid());
        }
        let (next_xid, next_oid) = {
            let mut c = self.control.lock();
            if let Some(x) = next_xid_now {
                c.next_xid = c.next_xid.max(x);
            }
            (c.next_xid, c.next_oid)
        };
        let mut payload = Vec::with_capacity(28);
        payload.extend_from_slice(&redo.to_le_bytes());
        payload.extend_from_slice(&redo_prev.to_le_bytes());
        payload.extend_from_slice(&next_xid.to_le_bytes());
        payload.extend_from_slice(&next_oid.to_le_bytes());
        let (lsn, end) = self.wal.insert(0, Rmgr::Xlog, XLOG_CHECKPOINT, &payload)?;
        self.wal.flush_to(end)?;
        {
            let mut c = self.control.lock();
            c.checkpoint = lsn;
            c.checkpoint_time = started_at;
            c.redo = redo;
            c.redo_prev = redo_prev;
            if reason == CheckpointReason::Shutdown {
                c.state = ClusterState::ShutDown;
            }
            c.write(&Self::control_path(&self.config.data_dir))?;
        }
        let removed = self.wal.remove_segments_before(redo)?;
        self.checkpoints.buffers_written.fetch_add(written as u64, Ordering::Relaxed);
        match reason {
            CheckpointReason::Time => self.checkpoints.timed.fetch_add(1, Ordering::Relaxed),
            _ => self.checkpoints.requested.fetch_add(1, Ordering::Relaxed),
        };
        tracing::info!(
            reason = ?reason,
            buffers_written = written,
            files_synced = synced,
            wal_segments_removed = removed,
            redo = format!("{redo:X}"),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "checkpoint complete"
        );
        Ok(())
    }

    /// Clean shutdown: a final checkpoint, and the cluster marked shut down.
    pub fn shutdown(&self) -> Result<()> {
        self.checkpoint(CheckpointReason::Shutdown)
    }

    /// Start the WAL writer, checkpointer and background writer.
    pub fn spawn_background(self: &Arc<Self>, tracker: &TaskTracker, stop: CancellationToken) {
        tracker.spawn(wal::run_writer(self.wal.clone(), self.config.wal_writer_delay, stop.clone()));
        let engine = self.clone();
        let token = stop.clone();
        tracker.spawn(async move { engine.run_checkpointer(token).await });
        let engine = self.clone();
        tracker.spawn(async move { engine.run_bgwriter(stop).await });
    }

    async fn run_checkpointer(self: Arc<Self>, stop: CancellationToken) {
        let mut last = Instant::now();
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            let wal_since = self.wal.insert_end().saturating_sub(self.wal.redo_ptr());
            let reason = if wal_since >= self.config.max_wal_size {
                CheckpointReason::WalVolume
            } else if last.elapsed() >= self.config.checkpoint_timeout && wal_since > 0 {
                CheckpointReason::Time
            } else {
                continue;
            };
            let engine = self.clone();
            match tokio::task::spawn_blocking(move || engine.checkpoint(reason)).await {
                Ok(Ok(())) => last = Instant::now(),
                Ok(Err(e)) => tracing::error!(error = %e, "checkpoint failed; will retry"),
                Err(e) => tracing::error!(error = %e, "checkpoint task failed; will retry"),
            }
        }
    }

    async fn run_bgwriter(self: Arc<Self>, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(self.config.bgwriter_delay) => {}
            }
            if self.config.bgwriter_lru_maxpages == 0 {
                continue;
            }
            let engine = self.clone();
            let max = self.config.bgwriter_lru_maxpages;
            match tokio::task::spawn_blocking(move || engine.pool.write_ahead_of_clock(max)).await {
                Ok(Ok(written)) if written >= max => {
                    self.checkpoints.maxwritten_clean.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "background writer could not write a page"),
                _ => {}
            }
        }
    }

    /// Prometheus text lines for the storage counters.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        let b = &self.pool.stats;
        let w = &self.wal.stats;
        let c = &self.checkpoints;
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let lines: [(&str, &str, &str, u64); 13] = [
            ("tusk_buffer_hits_total", "Buffer pool lookups served from memory.", "", r(&b.hits)),
            ("tusk_buffer_reads_total", "Pages read from disk into the buffer pool.", "", r(&b.reads)),
            ("tusk_buffer_evictions_total", "Pages evicted from the buffer pool.", "", r(&b.evictions)),
            ("tusk_buffer_writes_total", "Pages written out, by writer.", "writer=\"backend\"", r(&b.writes_backend)),
            ("tusk_buffer_writes_total", "", "writer=\"bgwriter\"", r(&b.writes_bgwriter)),
            ("tusk_buffer_writes_total", "", "writer=\"checkpointer\"", r(&b.writes_checkpointer)),
            ("tusk_wal_bytes_total", "Bytes of WAL inserted.", "", r(&w.bytes)),
            ("tusk_wal_records_total", "WAL records inserted.", "", r(&w.records)),
            ("tusk_wal_flushes_total", "WAL flushes (each one sync).", "", r(&w.flushes)),
            ("tusk_wal_commit_waits_total", "Commits that waited for a WAL flush.", "", r(&w.commit_waits)),
            ("tusk_checkpoints_total", "Checkpoints, by trigger.", "trigger=\"timed\"", r(&c.timed)),
            ("tusk_checkpoints_total", "", "trigger=\"requested\"", r(&c.requested)),
            ("tusk_checkpoint_buffers_written_total", "Pages written by checkpoints.", "", r(&c.buffers_written)),
        ];
        for (name, help, labels, v) in lines {
            if !help.is_empty() {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            }
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {v}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {v}");
            }
        }
    }
}
