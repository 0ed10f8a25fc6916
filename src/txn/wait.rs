//! Waits that hold no OS thread. A statement runs on a coroutine: a stack
//! of its own, switched to from its session's task ([`run`]). When it has
//! to wait — for a lock, for a transaction to end, for `pg_sleep` — it
//! suspends the coroutine and hands the task a future to await
//! ([`until`]); the task resumes the coroutine once that future is done.
//! Thousands of sessions can wait at once on a few worker threads.
//!
//! A waiting session wakes when the thing it waits for is signalled
//! ([`Event`]), at a time it names (a lock's deadlock check or timeout),
//! or when its [`Alarm`] rings: a cancel, a terminate, or the statement
//! deadline. The wait's caller then rechecks whatever it waits for.
//!
//! Outside a coroutine — statements that run under `block_in_place` for
//! their file I/O, unit tests — a wait blocks its thread instead, as all
//! waits once did.
//!
//! The invariant that makes a suspended coroutine movable to another
//! worker thread: nothing bound to a thread lives on its stack across a
//! wait. No mutex guard (a waiter gives up the mutex it checked under
//! before suspending, see [`Event::wait`]), no buffer content lock (debug
//! builds count them, see [`crate::storage::buffer::content_locks_held`]),
//! no borrow from a thread-local. Buffer pins are plain counters and may
//! stay.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use parking_lot::{Mutex, MutexGuard};
use tokio::sync::Notify;

use crate::err;
use crate::error::{Result, SqlState};

/// A statement's stack: as large as a worker thread's, where statements
/// used to run. Pages are committed as they are touched.
const STACK_SIZE: usize = 2 << 20;

/// Stacks kept for the next statements (each keeps the pages it touched).
const POOLED_STACKS: usize = 64;

/// Without an alarm to wake it, a blocked thread checks for interrupts this often.
const NAP: Duration = Duration::from_millis(20);

static STACKS: Mutex<Vec<DefaultStack>> = Mutex::new(Vec::new());

/// What ends a session's wait early: a cancel or terminate request
/// ([`Alarm::ring`]) or the statement's deadline.
#[derive(Debug, Default)]
pub struct Alarm {
    bell: Notify,
    deadline: Mutex<Option<Instant>>,
}

impl Alarm {
    /// Wake the session's wait, if any (else its next one, once).
    pub fn ring(&self) {
        self.bell.notify_one();
    }

    /// The running statement's `statement_timeout` deadline.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        *self.deadline.lock() = deadline;
    }

    async fn rung(&self) {
        let deadline = *self.deadline.lock();
        tokio::select! {
            _ = self.bell.notified() => {}
            _ = sleep_until(deadline) => {}
        }
    }
}

/// Something waiters wait to happen (locks released, a transaction
/// ended): a condition variable whose waiters need no thread.
#[derive(Default)]
pub struct Event(Notify);

impl Event {
    /// Wake every current waiter.
    pub fn notify_all(&self) {
        self.0.notify_waiters();
    }

    /// Give up `guard`, wait until the event is signalled, `until` passes,
    /// or the session's alarm rings, and take the guard again. A signal
    /// sent once the caller checked its condition under `guard` is not
    /// missed; the caller checks again after.
    pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>, until: Option<Instant>) {
        // Registered from here on: the signaller changes state under the
        // mutex held now, and signals after.
        let notified = self.0.notified();
        MutexGuard::unlocked(guard, || wake_on(notified, until));
    }
}

/// Wait until `until` (or the session's alarm).
pub fn sleep(until: Instant) {
    wake_on(std::future::pending(), Some(until));
}

/// Wait for `event`, until `until`, or for the session's alarm.
fn wake_on(event: impl Future<Output = ()> + Send, until: Option<Instant>) {
    let alarm = CURRENT.get().and_then(|c| c.alarm);
    // Nothing rings for a thread that waits outside a session: it looks
    // for interrupts itself now and then.
    let until = match alarm {
        Some(_) => until,
        None => Some(until.unwrap_or_else(|| Instant::now() + NAP).min(Instant::now() + NAP)),
    };
    self::until(async move {
        let rung = async {
            match alarm {
                Some(a) => a.rung().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = event => {}
            _ = sleep_until(until) => {}
            _ = rung => {}
        }
    });
}

async fn sleep_until(t: Option<Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// What a suspended statement asks its task to await: a future pinned on
/// the coroutine's stack, alive until the coroutine is resumed.
struct Suspension(*mut (dyn Future<Output = ()> + Send + 'static));

// SAFETY: the future itself is `Send`; the pointer is only dereferenced by
// the task that owns the coroutine whose stack holds it.
unsafe impl Send for Suspension {}

type Yield = Yielder<(), Suspension>;

/// The statement running on this thread: its coroutine's yielder (none
/// under `block_in_place`) and its session's alarm. Set by whoever runs or
/// resumes it, on the thread that does, and cleared when it suspends.
#[derive(Clone, Copy)]
struct Current {
    yielder: Option<*const Yield>,
    alarm: Option<&'static Alarm>,
}

thread_local! {
    static CURRENT: Cell<Option<Current>> = const { Cell::new(None) };
}

/// Sets [`CURRENT`] and puts the previous value back when dropped (also
/// when the statement panics).
struct Entered(Option<Current>);

impl Entered {
    fn new(current: Option<Current>) -> Entered {
        Entered(CURRENT.replace(current))
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.set(self.0);
    }
}

/// Extend the alarm's borrow to the `'static` that [`CURRENT`] holds.
///
/// # Safety
/// The caller clears [`CURRENT`] (drops its [`Entered`]) before the borrow ends.
unsafe fn forever(alarm: &Alarm) -> &'static Alarm {
    unsafe { &*(alarm as *const Alarm) }
}

/// Await `fut` from synchronous code: suspend the statement's coroutine
/// while it is pending, or, outside one, block the thread.
pub fn until<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    let Some(current @ Current { yielder: Some(yielder), .. }) = CURRENT.get() else {
        return block_on(fut);
    };
    debug_assert_eq!(crate::storage::buffer::content_locks_held(), 0, "a buffer content lock held across a wait");
    let mut out = None;
    {
        let mut task = std::pin::pin!(async { out = Some(fut.await) });
        // SAFETY: the future stays pinned here, and alive, until the
        // coroutine is resumed; the task drops its pointer before that
        // (see `run`). The lifetime is erased only to pass it through.
        let task: *mut (dyn Future<Output = ()> + Send + '_) = unsafe { task.as_mut().get_unchecked_mut() };
        let task: *mut (dyn Future<Output = ()> + Send + 'static) = unsafe { std::mem::transmute(task) };
        CURRENT.set(None);
        // SAFETY: the yielder belongs to the coroutine running this code.
        unsafe { &*yielder }.suspend(Suspension(task));
        // Resumed, perhaps on another thread: this statement runs here now.
        CURRENT.set(Some(current));
    }
    out.expect("a statement resumes once its wait is over")
}

/// Outside a coroutine: block this thread until `fut` is done, letting the
/// worker's other tasks move elsewhere first.
fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    fn own<F: Future>(fut: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime for a wait").block_on(fut)
    }
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(|| h.block_on(fut)),
        // A single-threaded runtime cannot be blocked from inside.
        Ok(_) => std::thread::scope(|s| s.spawn(|| own(fut)).join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        Err(_) => own(fut),
    }
}

/// A statement's coroutine, moved between worker threads with its
/// session's task.
struct Running<R>(Coroutine<(), Suspension, R, DefaultStack>);

// SAFETY: a coroutine is not `Send` because its stack may hold values
// bound to a thread. It is moved only while suspended, and it suspends
// only in `until`, where by this module's invariant nothing thread-bound
// is on its stack; `CURRENT` is cleared before suspending and set again,
// on the resuming thread, after.
unsafe impl<R: Send> Send for Running<R> {}

/// Run `f` — a statement — on a coroutine, awaiting whatever it waits for
/// in between. Fails only if no stack can be had.
pub async fn run<R: Send>(alarm: &Alarm, f: impl FnOnce() -> R + Send) -> Result<R> {
    let stack = match STACKS.lock().pop() {
        Some(s) => s,
        None => DefaultStack::new(STACK_SIZE).map_err(|e| {
            err!(SqlState::OUT_OF_MEMORY, "out of memory").with_detail(format!("no statement stack: {e}"))
        })?,
    };
    // SAFETY: `f` borrows only what outlives this future, and the coroutine
    // is driven to its end or dropped (which unwinds it) before this future
    // is done or dropped. The alarm reference in `CURRENT` is set only while
    // the coroutine runs.
    let alarm = unsafe { forever(alarm) };
    let body = move |yielder: &Yield, ()| {
        CURRENT.set(Some(Current { yielder: Some(yielder), alarm: Some(alarm) }));
        f()
    };
    let mut co = Running(unsafe { Coroutine::with_stack_unchecked(stack, body) });
    let result = loop {
        let step = {
            let _entered = Entered::new(None);
            co.0.resume(())
        };
        let task = match step {
            CoroutineResult::Yield(task) => task,
            CoroutineResult::Return(r) => break r,
        };
        // SAFETY: see `until`: pinned on the suspended coroutine's stack.
        unsafe { Pin::new_unchecked(&mut *task.0) }.await;
    };
    let stack = co.0.into_stack();
    let mut pool = STACKS.lock();
    if pool.len() < POOLED_STACKS {
        pool.push(stack);
    }
    Ok(result)
}

/// Run `f` on this thread, letting the worker's other tasks move elsewhere
/// first (for file I/O); its waits block the thread, and wake on `alarm`.
pub fn blocking<R>(alarm: &Alarm, f: impl FnOnce() -> R) -> R {
    // SAFETY: `CURRENT` is put back before `alarm`'s borrow ends.
    let _entered = Entered::new(Some(Current { yielder: None, alarm: Some(unsafe { forever(alarm) }) }));
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread { tokio::task::block_in_place(f) } else { f() }
}

#[cfg(test)]
mod tests;
