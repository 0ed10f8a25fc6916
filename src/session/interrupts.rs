//! Interrupts: how another task stops a running statement, as PostgreSQL's
//! `CHECK_FOR_INTERRUPTS()` does. A cancel request or shutdown sets a flag
//! here and rings the session's alarm, which wakes a waiting statement
//! (see [`crate::txn::wait`]); the executor checks the flags between rows
//! and after each wait, and raises the matching error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::err;
use crate::error::{Result, SqlState};
use crate::txn::wait::Alarm;

#[derive(Debug, Default)]
pub struct Interrupts {
    cancel: AtomicBool,
    terminate: AtomicBool,
    /// Wakes the session if it waits (see [`crate::txn::wait`]).
    pub alarm: Alarm,
}

impl Interrupts {
    /// A cancel request arrived for this session.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
        self.alarm.ring();
    }

    /// Fast shutdown: end the session at the next check.
    pub fn terminate(&self) {
        self.terminate.store(true, Ordering::SeqCst);
        self.alarm.ring();
    }

    pub fn terminating(&self) -> bool {
        self.terminate.load(Ordering::SeqCst)
    }

    /// A cancel that arrives while no statement runs is dropped, as in PostgreSQL.
    pub fn clear_cancel(&self) {
        self.cancel.store(false, Ordering::SeqCst);
    }

    pub fn check(&self, deadline: Option<Instant>) -> Result<()> {
        if self.terminate.load(Ordering::Relaxed) {
            return Err(err!(SqlState::ADMIN_SHUTDOWN, "terminating connection due to administrator command").fatal());
        }
        if self.cancel.swap(false, Ordering::Relaxed) {
            return Err(err!(SqlState::QUERY_CANCELED, "canceling statement due to user request"));
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(err!(SqlState::QUERY_CANCELED, "canceling statement due to statement timeout"));
        }
        Ok(())
    }
}
