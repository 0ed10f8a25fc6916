//! The control file, `<data>/tusk.control`: the cluster's state, where the
//! last checkpoint is, and the next transaction id and OID to hand out.
//!
//! It is small, CRC-checked, and always replaced whole (temp file, fsync,
//! rename, directory fsync), so a crash leaves either the old or the new
//! version. A file of another format version or with a bad checksum stops
//! the server with a clear message; it is never overwritten.

use std::io::Write;
use std::path::Path;

use crate::err;
use crate::error::{Result, SqlState};

const MAGIC: &[u8; 8] = b"TUSKCTL\0";
/// Version 2 added the system identifier and the checkpoint's time;
/// a version 1 file is still read (and written back as version 2).
pub const CONTROL_VERSION: u32 = 2;
const SIZE_V1: usize = 8 + 4 + 4 + 8 + 8 + 8 + 8 + 4 + 8 + 4;
const SIZE: usize = SIZE_V1 + 8 + 8;

/// The cluster state (PostgreSQL's DBState).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterState {
    /// Shut down cleanly: no recovery needed.
    ShutDown = 1,
    /// Running (or crashed while running): recovery replays WAL at start.
    InProduction = 2,
    /// Replaying WAL after a crash.
    InCrashRecovery = 3,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlFile {
    pub state: ClusterState,
    /// LSN of the last checkpoint record.
    pub checkpoint: u64,
    /// Where replay starts: the redo point of the last checkpoint.
    pub redo: u64,
    /// LSN of the record before the redo point (the back-link replay starts with).
    pub redo_prev: u64,
    pub next_xid: u64,
    pub next_oid: u32,
    /// Seconds since the epoch of the last update.
    pub time: u64,
    /// The cluster's unique identifier, made when it was created as
    /// PostgreSQL's initdb makes it (seconds, microseconds and the
    /// process id of the moment, bit-packed).
    pub system_identifier: u64,
    /// Seconds since the epoch when the last checkpoint started.
    pub checkpoint_time: u64,
}

impl ControlFile {
    /// The control file of a new cluster.
    pub fn new() -> ControlFile {
        ControlFile {
            state: ClusterState::ShutDown,
            checkpoint: 0,
            redo: 0,
            redo_prev: 0,
            next_xid: 3,
            next_oid: 16384,
            time: now(),
            system_identifier: new_system_identifier(),
            checkpoint_time: 0,
        }
    }

    fn encode(&self) -> [u8; SIZE] {
        let mut b = [0u8; SIZE];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            b[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(MAGIC);
        put(&CONTROL_VERSION.to_le_bytes());
        put(&(self.state as u32).to_le_bytes());
        put(&self.checkpoint.to_le_bytes());
        put(&self.redo.to_le_bytes());
        put(&self.redo_prev.to_le_bytes());
        put(&self.next_xid.to_le_bytes());
        put(&self.next_oid.to_le_bytes());
        put(&self.time.to_le_bytes());
        put(&self.system_identifier.to_le_bytes());
        put(&self.checkpoint_time.to_le_bytes());
        let crc = crc32c::crc32c(&b[..SIZE - 4]);
        b[SIZE - 4..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    fn decode(b: &[u8], path: &Path) -> Result<ControlFile> {
        let bad = |why: &str| {
            err!(SqlState::DATA_CORRUPTED, "control file \"{}\" is invalid: {why}", path.display())
                .with_hint("The data directory may be damaged; restore it from a backup.")
        };
        if b.len() < 12 || &b[..8] != MAGIC {
            return Err(bad("not a tusk control file"));
        }
        let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        let version = u32_at(8);
        let size = if version == 1 { SIZE_V1 } else { SIZE };
        if version > CONTROL_VERSION || version == 0 {
            return Err(err!(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "database files are incompatible with server: control file version {version}, this server uses version {CONTROL_VERSION}"
            ));
        }
        if b.len() != size {
            return Err(bad("not a tusk control file"));
        }
        if u32_at(size - 4) != crc32c::crc32c(&b[..size - 4]) {
            return Err(bad("incorrect checksum"));
        }
        let state = match u32_at(12) {
            1 => ClusterState::ShutDown,
            2 => ClusterState::InProduction,
            3 => ClusterState::InCrashRecovery,
            _ => return Err(bad("unknown cluster state")),
        };
        Ok(ControlFile {
            state,
            checkpoint: u64_at(16),
            redo: u64_at(24),
            redo_prev: u64_at(32),
            next_xid: u64_at(40),
            next_oid: u32_at(48),
            time: u64_at(52),
            system_identifier: if version == 1 { new_system_identifier() } else { u64_at(60) },
            checkpoint_time: if version == 1 { u64_at(52) } else { u64_at(68) },
        })
    }

    pub fn read(path: &Path) -> Result<ControlFile> {
        let bytes = std::fs::read(path)
            .map_err(|e| err!(SqlState::IO_ERROR, "could not read control file \"{}\": {e}", path.display()))?;
        ControlFile::decode(&bytes, path)
    }

    /// Replace the file atomically and durably.
    pub fn write(&mut self, path: &Path) -> Result<()> {
        self.time = now();
        write_atomic(path, &self.encode())
    }
}

impl Default for ControlFile {
    fn default() -> Self {
        ControlFile::new()
    }
}

/// A new cluster's identifier, made as PostgreSQL's `BootStrapXLOG`
/// makes it: the seconds since the epoch in the upper 32 bits, the
/// microseconds shifted by 12, and the low 12 bits of the process id.
fn new_system_identifier() -> u64 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (t.as_secs() << 32) | (u64::from(t.subsec_micros()) << 12) | u64::from(std::process::id() & 0xFFF)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Write a file so that a crash leaves either the old or the new contents:
/// temp file, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let tmp = path.with_extension("tmp");
    let io = |what: &str, e: std::io::Error| {
        err!(SqlState::IO_ERROR, "could not {what} file \"{}\": {e}", tmp.display()).with_source(e)
    };
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| io("create", e))?;
        f.write_all(data).map_err(|e| io("write", e))?;
        f.sync_all().map_err(|e| io("fsync", e))?;
    }
    let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
    std::fs::rename(&tmp, path).map_err(|e| io("rename", e))?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption_is_refused() {
        let dir = std::env::temp_dir().join(format!("tusk-control-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tusk.control");
        let mut c = ControlFile::new();
        c.state = ClusterState::InProduction;
        c.checkpoint = 12345;
        c.redo = 12000;
        c.next_xid = 99;
        c.write(&path).unwrap();
        assert_eq!(ControlFile::read(&path).unwrap(), c);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[20] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let e = ControlFile::read(&path).unwrap_err();
        assert_eq!(e.code(), SqlState::DATA_CORRUPTED);
        assert!(e.message().contains("incorrect checksum"));
        bytes[20] ^= 1;
        bytes[8] = 9;
        std::fs::write(&path, &bytes).unwrap();
        assert!(ControlFile::read(&path).unwrap_err().message().contains("incompatible"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
