//! Sequence relations (PostgreSQL's `sequence.c`, storage half): a
//! sequence's state — `last_value`, `log_cnt`, `is_called` — is one item on
//! the single page of its relation, read and changed in place through the
//! buffer pool. Changes are not transactional: a value handed out stays
//! handed out whatever becomes of the transaction that took it.
//!
//! Rules:
//! 1. The state changes only under the page's exclusive content lock, so
//!    concurrent `nextval` calls never hand out the same value.
//! 2. A `nextval` that finds no values logged ahead (`log_cnt` is 0), or a
//!    page not logged since the last checkpoint's redo point, writes a WAL
//!    record whose state is [`LOG_AHEAD`] values further on than the value
//!    it returns. Replay sets the page to that state, so after a crash the
//!    sequence resumes past every value handed out under a durable record —
//!    some values are skipped, none is given twice.
//! 3. The record must be durable before a value from its batch reaches a
//!    client whose transaction commits: [`nextval`] returns the page's LSN
//!    (the end of the record that logged the value, by whichever
//!    transaction wrote it — one that rolled back does not flush) and the
//!    session flushes the WAL up to it at commit, even when the transaction
//!    has no transaction id.
//! 4. `setval`, `ALTER SEQUENCE … RESTART` and creation log the new state
//!    as it is (no values ahead).
//!
//! Replay ([`redo`]) rewrites the whole page from the record: a record
//! carries the full state, so it needs no page image.

use super::buffer::{BufferPool, BufferTag};
use super::page::{PageRead, PageWrite};
use super::smgr::{Fork, RelFileLocator};
use super::wal::{Record, Rmgr, Wal};
use crate::err;
use crate::error::{Result, SqlState};

/// How many values a WAL record logs ahead (PostgreSQL's SEQ_LOG_VALS).
pub const LOG_AHEAD: i64 = 32;
/// WAL record kind: the sequence's state (PostgreSQL's XLOG_SEQ_LOG).
const XLOG_SEQ_LOG: u8 = 0x00;
/// Marks a sequence page in its special space (PostgreSQL's SEQ_MAGIC).
const SEQ_MAGIC: u32 = 0x1717;
const SPECIAL_SIZE: usize = 8;
const STATE_SIZE: usize = 17;

/// What `SELECT * FROM seq` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqState {
    pub last_value: i64,
    pub log_cnt: i64,
    pub is_called: bool,
}

impl SeqState {
    fn encode(&self) -> [u8; STATE_SIZE] {
        let mut b = [0u8; STATE_SIZE];
        b[..8].copy_from_slice(&self.last_value.to_le_bytes());
        b[8..16].copy_from_slice(&self.log_cnt.to_le_bytes());
        b[16] = self.is_called as u8;
        b
    }

    fn decode(b: &[u8]) -> Option<SeqState> {
        let b: &[u8; STATE_SIZE] = b.get(..STATE_SIZE)?.try_into().ok()?;
        Some(SeqState {
            last_value: i64::from_le_bytes(b[..8].try_into().ok()?),
            log_cnt: i64::from_le_bytes(b[8..16].try_into().ok()?),
            is_called: b[16] != 0,
        })
    }
}

/// The parameters `nextval` steps by (a `pg_sequence` row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqLimits {
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cycle: bool,
}

fn tag(rel: RelFileLocator) -> BufferTag {
    BufferTag { rel, fork: Fork::Main, block: 0 }
}

/// Lay out a sequence page holding `state`.
fn write_page(page: &mut impl PageWrite, state: &SeqState) -> Result<()> {
    page.init(SPECIAL_SIZE);
    let special = page.special();
    page.bytes_mut()[special..special + 4].copy_from_slice(&SEQ_MAGIC.to_le_bytes());
    page.add_item(&state.encode()).ok_or_else(|| crate::error::Error::internal("sequence page too small"))?;
    Ok(())
}

fn read_state(page: &impl PageRead, rel: RelFileLocator) -> Result<SeqState> {
    let special = page.special();
    let magic = page.bytes().get(special..special + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    match (magic, page.item(1).and_then(SeqState::decode)) {
        (Some(SEQ_MAGIC), Some(s)) => Ok(s),
        _ => Err(err!(SqlState::DATA_CORRUPTED, "bad magic number in sequence relation {rel}")),
    }
}

/// Overwrite the state item in place.
fn put_state(page: &mut impl PageWrite, state: &SeqState) {
    if let Some(lp) = page.line_pointer(1) {
        let at = lp.offset as usize;
        page.bytes_mut()[at..at + STATE_SIZE].copy_from_slice(&state.encode());
    }
}

fn log_state(wal: &Wal, rel: RelFileLocator, state: &SeqState) -> Result<u64> {
    let mut payload = Vec::with_capacity(8 + STATE_SIZE);
    payload.extend_from_slice(&rel.db.to_le_bytes());
    payload.extend_from_slice(&rel.relfilenode.to_le_bytes());
    payload.extend_from_slice(&state.encode());
    let (_, end) = wal.insert(0, Rmgr::Sequence, XLOG_SEQ_LOG, &payload)?;
    Ok(end)
}

/// Create the page of a new sequence (whose file exists and is empty)
/// with its first state, logged. The record's end LSN.
pub fn create(pool: &BufferPool, wal: &Wal, rel: RelFileLocator, state: SeqState) -> Result<u64> {
    let buf = pool.extend(rel, Fork::Main)?;
    let mut page = buf.write();
    write_page(&mut *page, &state)?;
    let end = log_state(wal, rel, &state)?;
    page.set_lsn(end);
    drop(page);
    buf.mark_dirty();
    Ok(end)
}

/// The sequence's state.
pub fn read(pool: &BufferPool, rel: RelFileLocator) -> Result<SeqState> {
    let buf = pool.read_buffer(tag(rel))?;
    let page = buf.read();
    read_state(&*page, rel)
}

/// Set the state (setval, ALTER SEQUENCE … RESTART): logged as is, with
/// no values ahead. The record's end LSN.
pub fn set(pool: &BufferPool, wal: &Wal, rel: RelFileLocator, state: SeqState) -> Result<u64> {
    let buf = pool.read_buffer(tag(rel))?;
    let mut page = buf.write();
    read_state(&*page, rel)?;
    let state = SeqState { log_cnt: 0, ..state };
    let end = log_state(wal, rel, &state)?;
    put_state(&mut *page, &state);
    page.set_lsn(end);
    drop(page);
    buf.mark_dirty();
    Ok(end)
}

/// Why [`nextval`] could not step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exhausted {
    Max(i64),
    Min(i64),
}

/// The value after `v`, or `None` past the limits.
fn step_within(v: i64, l: &SeqLimits) -> Option<i64> {
    match v.checked_add(l.increment) {
        Some(n) if n <= l.max && n >= l.min => Some(n),
        _ => None,
    }
}

/// The value after `v`, or `None` past the limits without CYCLE.
fn step(v: i64, l: &SeqLimits) -> Option<i64> {
    match step_within(v, l) {
        Some(n) => Some(n),
        None if !l.cycle => None,
        None if l.increment > 0 => Some(l.min),
        None => Some(l.max),
    }
}

/// A block of values [`nextval`] handed out: `first`, then each step on
/// to `last` (the same value unless the sequence has a CACHE above 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub first: i64,
    pub last: i64,
    /// The end of the WAL record that logged the block (the caller must see
    /// the WAL flushed that far before a commit that used one is reported).
    pub lsn: u64,
}

/// Hand out the sequence's next `cache` values (PostgreSQL's
/// `nextval_internal`): the page moves past all of them, so other sessions
/// never see them; fewer when a limit comes first (a block never wraps
/// around a CYCLE). Exhausted only when not even one value is left.
pub fn nextval(
    pool: &BufferPool,
    wal: &Wal,
    rel: RelFileLocator,
    limits: &SeqLimits,
    cache: i64,
) -> Result<std::result::Result<Fetched, Exhausted>> {
    let buf = pool.read_buffer(tag(rel))?;
    let mut page = buf.write();
    let state = read_state(&*page, rel)?;
    // Values still wanted after the first, and how many steps to take.
    let mut wanted = cache.max(1);
    let mut first = None;
    if !state.is_called {
        first = Some(state.last_value);
        wanted -= 1;
    }
    let mut fetch = wanted;
    let mut log = state.log_cnt;
    let must_log = !state.is_called || log < fetch || page.lsn() <= wal.redo_ptr();
    if must_log {
        // Log the state LOG_AHEAD values past the block.
        fetch += LOG_AHEAD;
        log = fetch;
    }
    let (mut next, mut last) = (state.last_value, state.last_value);
    while fetch > 0 {
        match step_within(next, limits) {
            Some(n) => next = n,
            // A block stops at a limit; only its first value wraps around.
            None if first.is_some() => break,
            None => match step(next, limits) {
                Some(n) => next = n,
                None if limits.increment > 0 => return Ok(Err(Exhausted::Max(limits.max))),
                None => return Ok(Err(Exhausted::Min(limits.min))),
            },
        }
        fetch -= 1;
        if wanted > 0 {
            wanted -= 1;
            log -= 1;
            last = next;
            first.get_or_insert(next);
        }
    }
    // Steps not taken for want of values were not logged ahead either.
    log -= fetch;
    if must_log {
        let end = log_state(wal, rel, &SeqState { last_value: next, log_cnt: 0, is_called: true })?;
        page.set_lsn(end);
    }
    put_state(&mut *page, &SeqState { last_value: last, log_cnt: log, is_called: true });
    let lsn = page.lsn();
    drop(page);
    buf.mark_dirty();
    let first = first.unwrap_or(last);
    Ok(Ok(Fetched { first, last, lsn }))
}

/// Replay a sequence record: the page becomes the logged state.
pub fn redo(pool: &BufferPool, rec: &Record) -> Result<()> {
    let bad = || err!(SqlState::DATA_CORRUPTED, "invalid sequence WAL record at {:X}", rec.lsn);
    if rec.info != XLOG_SEQ_LOG {
        return Err(bad());
    }
    let p = &rec.payload;
    let word = |i: usize| p.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (Some(db), Some(relfilenode), Some(state)) = (word(0), word(4), p.get(8..).and_then(SeqState::decode)) else {
        return Err(bad());
    };
    let buf = pool.read_buffer_for_overwrite(tag(RelFileLocator { db, relfilenode }))?;
    let mut page = buf.write();
    write_page(&mut *page, &state)?;
    page.set_lsn(rec.end_lsn());
    drop(page);
    buf.mark_dirty();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_stop_or_wrap_at_the_limits() {
        let l = SeqLimits { increment: 2, min: 1, max: 5, cycle: false };
        assert_eq!(step(3, &l), Some(5));
        assert_eq!(step(5, &l), None);
        assert_eq!(step(5, &SeqLimits { cycle: true, ..l }), Some(1));
        let down = SeqLimits { increment: -1, min: -3, max: -1, cycle: false };
        assert_eq!(step(-3, &down), None);
        assert_eq!(step(-3, &SeqLimits { cycle: true, ..down }), Some(-1));
        let big = SeqLimits { increment: i64::MAX, min: 1, max: i64::MAX, cycle: false };
        assert_eq!(step(2, &big), None);
    }

    #[test]
    fn state_round_trips() {
        let s = SeqState { last_value: -7, log_cnt: 31, is_called: true };
        assert_eq!(SeqState::decode(&s.encode()), Some(s));
    }
}
