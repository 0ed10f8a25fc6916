//! WAL records: how one is laid out in the log and checked when read back.
//!
//! ```text
//! 0      4      8              16             24   25   26       32
//! +------+------+--------------+--------------+----+----+--------+---------------+
//! | len  | crc  | prev LSN     | xid          |rmgr|info| zero   | payload … pad |
//! +------+------+--------------+--------------+----+----+--------+---------------+
//! ```
//!
//! `len` counts header and payload (not the padding that aligns the next
//! record to 8 bytes). `crc` is CRC32C over the header (with `crc` taken as
//! zero) and the payload. `prev` is the LSN of the record before, which
//! tells a valid record from stale bytes left in a reused segment. A record
//! whose length, checksum or back-link does not hold marks the end of the
//! valid log (a torn write at a crash, or never-written space).

pub const HEADER_SIZE: usize = 32;
/// The largest record accepted (a full-page image plus change data fits easily).
pub const MAX_RECORD: usize = 64 * 1024 * 1024;

/// Which subsystem's redo applies a record (PostgreSQL's RmgrId).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Rmgr {
    Xlog = 0,
    Transaction = 1,
    Storage = 2,
    Heap = 10,
    Btree = 11,
    Sequence = 12,
}

impl Rmgr {
    pub fn from_u8(v: u8) -> Option<Rmgr> {
        Some(match v {
            0 => Rmgr::Xlog,
            1 => Rmgr::Transaction,
            2 => Rmgr::Storage,
            10 => Rmgr::Heap,
            11 => Rmgr::Btree,
            12 => Rmgr::Sequence,
            _ => return None,
        })
    }
}

/// A record as read back from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Where the record starts.
    pub lsn: u64,
    pub prev: u64,
    pub xid: u64,
    pub rmgr: Rmgr,
    pub info: u8,
    pub payload: Vec<u8>,
}

impl Record {
    /// Where the next record starts.
    pub fn end_lsn(&self) -> u64 {
        self.lsn + aligned_len(self.payload.len()) as u64
    }
}

/// Bytes a record with this payload occupies in the log, padding included.
pub fn aligned_len(payload: usize) -> usize {
    (HEADER_SIZE + payload + 7) & !7
}

/// Append the encoded record (header, payload, padding) to `out`.
pub fn encode(out: &mut Vec<u8>, prev: u64, xid: u64, rmgr: Rmgr, info: u8, payload: &[u8]) {
    let start = out.len();
    let len = (HEADER_SIZE + payload.len()) as u32;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&prev.to_le_bytes());
    out.extend_from_slice(&xid.to_le_bytes());
    out.push(rmgr as u8);
    out.push(info);
    out.extend_from_slice(&[0; 6]);
    out.extend_from_slice(payload);
    let crc = crc32c::crc32c(&out[start..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    out.resize(start + aligned_len(payload.len()), 0);
}

/// The record length a header claims, if it is plausible.
pub fn claimed_len(header: &[u8]) -> Option<usize> {
    let len = u32::from_le_bytes(header[0..4].try_into().ok()?) as usize;
    (HEADER_SIZE..=HEADER_SIZE + MAX_RECORD).contains(&len).then_some(len)
}

/// Decode and verify a record from its bytes (`len` of them, no padding),
/// expected at `lsn` after the record at `prev`. `None` means: not a valid
/// record here, so the log ends.
pub fn decode(bytes: &[u8], lsn: u64, prev: u64) -> Option<Record> {
    let len = claimed_len(bytes)?;
    if bytes.len() < len {
        return None;
    }
    let bytes = &bytes[..len];
    let stored = u32::from_le_bytes(bytes[4..8].try_into().ok()?);
    let mut crc = crc32c::crc32c(&bytes[..4]);
    crc = crc32c::crc32c_append(crc, &[0; 4]);
    crc = crc32c::crc32c_append(crc, &bytes[8..]);
    if crc != stored {
        return None;
    }
    let rec_prev = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    if rec_prev != prev {
        return None;
    }
    Some(Record {
        lsn,
        prev: rec_prev,
        xid: u64::from_le_bytes(bytes[16..24].try_into().ok()?),
        rmgr: Rmgr::from_u8(bytes[24])?,
        info: bytes[25],
        payload: bytes[HEADER_SIZE..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        encode(&mut buf, 100, 7, Rmgr::Heap, 3, b"payload");
        assert_eq!(buf.len(), aligned_len(7));
        assert_eq!(buf.len() % 8, 0);
        let r = decode(&buf, 200, 100).unwrap();
        assert_eq!((r.xid, r.rmgr, r.info, &r.payload[..]), (7, Rmgr::Heap, 3, &b"payload"[..]));
        assert_eq!(r.end_lsn(), 200 + buf.len() as u64);
    }

    #[test]
    fn torn_or_stale_records_end_the_log() {
        let mut buf = Vec::new();
        encode(&mut buf, 100, 7, Rmgr::Heap, 3, &[5u8; 300]);
        // Any flipped bit, a short read, or a wrong back-link.
        for i in [0usize, 5, 20, 40, 200, 331] {
            let mut b = buf.clone();
            b[i] ^= 0x10;
            assert!(decode(&b, 0, 100).is_none(), "flip at {i} accepted");
        }
        assert!(decode(&buf[..200], 0, 100).is_none());
        assert!(decode(&buf, 0, 99).is_none());
        assert!(decode(&[0u8; 64], 0, 0).is_none());
    }
}
