//! Waits that hold no OS thread. A session handles each client message on
//! a stack of its own ([`on_stack`]): a coroutine that its task resumes
//! whenever it is polled. Synchronous code running there — a statement
//! waiting for a lock, for a transaction to end, for `pg_sleep` — awaits a
//! future through [`until`], which suspends the coroutine while the future
//! is pending; the task returns `Pending`, and the thread goes on with
//! other sessions. Thousands of sessions can wait at once on a few threads.
//!
//! A coroutine is resumed only on the thread that started it: sessions run
//! on backend threads, each a single-threaded runtime whose tasks never
//! move (see `crate::server::backends`). Code on a coroutine may therefore
//! use thread-locals freely, as compiled code assumes a function never
//! changes threads halfway through.
//!
//! What a suspended coroutine must not hold is anything another session on
//! the same thread might block its thread on: no mutex guard (a waiter
//! gives up the mutex it checked under before suspending, see
//! [`Event::wait`]) and no buffer content lock (debug builds count them,
//! see [`crate::storage::buffer::content_locks_held`]). Buffer pins are
//! plain counters and may stay.
//!
//! A waiting session wakes when the thing it waits for is signalled
//! ([`Event`]), at a time it names (a lock's deadlock check or timeout),
//! or when its [`Alarm`] rings: a cancel, a terminate, or the statement
//! deadline. The wait's caller then rechecks whatever it waits for.
//!
//! Outside a coroutine — background tasks on the multi-threaded runtime,
//! unit tests — a wait blocks its thread instead.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};
use parking_lot::{Mutex, MutexGuard};
use tokio::sync::Notify;

use crate::err;
use crate::error::{Result, SqlState};

/// A session's stack while it handles a message. Code that recurses on
/// what a client sent checks that it keeps within [`MAX_STACK_DEPTH`] of
/// it ([`check_stack_depth`]); the rest is for recursion that cannot
/// fail: dropping, cloning or printing a syntax tree as deep as the parser
/// lets one be (`crate::sql::parser`'s nesting bound). Pages are committed
/// only as they are touched.
const STACK_SIZE: usize = 128 << 20;

/// How much of its stack a session's checked recursion may use: a main
/// thread's whole stack (deeply nested expressions recurse in the binder
/// and planner; an unoptimised build's binder takes tens of KiB per level).
const MAX_STACK_DEPTH: usize = 8 << 20;

/// Stacks each thread keeps for its next messages (each keeps the pages it
/// touched).
const POOLED_STACKS: usize = 32;

/// How long a coroutine runs before it lets the other sessions on its
/// thread run ([`pause_if_due`]).
const SLICE: Duration = Duration::from_millis(5);

/// Without an alarm to wake it, a blocked thread checks for interrupts this often.
const NAP: Duration = Duration::from_millis(20);

thread_local! {
    static STACKS: RefCell<Vec<DefaultStack>> = const { RefCell::new(Vec::new()) };
    /// Set on backend threads, where blocking the thread would stall every
    /// session on it (and could wait for one of them forever).
    static COOPERATIVE: Cell<bool> = const { Cell::new(false) };
    /// Messages being handled on this thread ([`OnStack`]s alive), running
    /// or waiting.
    static BUSY: Cell<usize> = const { Cell::new(0) };
    /// Sessions living on this thread ([`ThreadSession`]s alive).
    static SESSIONS: Cell<usize> = const { Cell::new(0) };
    /// Set when the running coroutine's stack may have been touched deep
    /// down ([`release_stack_after`]): the next stack to finish on this
    /// thread is unmapped, not pooled. That is the deep one unless its
    /// statement waits and another message here finishes first.
    static RELEASE_STACK: Cell<bool> = const { Cell::new(false) };
}

/// Whether the caller is the only session on this thread: then blocking
/// the thread briefly on I/O (a commit's WAL flush) holds up nobody, and
/// costs no hand-off to another thread. With other sessions here, even
/// idle ones, it would keep their next commits from joining the flush.
pub fn alone_on_thread() -> bool {
    CURRENT.get().is_some() && BUSY.get() == 1 && SESSIONS.get() <= 1
}

/// Counts a session on its thread while it lives (see [`alone_on_thread`]).
pub struct ThreadSession(PhantomData<*const ()>);

impl ThreadSession {
    pub fn enter() -> ThreadSession {
        SESSIONS.set(SESSIONS.get() + 1);
        ThreadSession(PhantomData)
    }
}

impl Drop for ThreadSession {
    fn drop(&mut self) {
        SESSIONS.set(SESSIONS.get() - 1);
    }
}

/// Counts an [`OnStack`] in [`BUSY`] while it lives.
struct Busy;

impl Busy {
    fn new() -> Busy {
        BUSY.set(BUSY.get() + 1);
        Busy
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.set(BUSY.get() - 1);
    }
}

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
    let alarm = CURRENT.get().map(|c| c.alarm);
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

type Yield = Yielder<Resume, ()>;

/// The coroutine running on this thread: its yielder, the waker of the
/// task that resumed it (valid until it suspends), and its session's alarm.
/// Set by the coroutine itself each time it starts or resumes, and put
/// back to what it was by its resumer each time it suspends or ends.
#[derive(Clone, Copy)]
struct Current {
    yielder: *const Yield,
    waker: *const Waker,
    alarm: &'static Alarm,
    /// When it was last resumed.
    resumed: Instant,
    /// The highest address of its stack (stacks grow down).
    stack_base: usize,
}

thread_local! {
    static CURRENT: Cell<Option<Current>> = const { Cell::new(None) };
    /// The lowest stack address the running coroutine's checked recursion
    /// may reach ([`check_stack_depth`]); 0 outside a coroutine.
    static STACK_FLOOR: Cell<usize> = const { Cell::new(0) };
}

/// Make `current` the running coroutine of this thread.
fn enter(current: Current) {
    CURRENT.set(Some(current));
    STACK_FLOOR.set(current.stack_base.saturating_sub(MAX_STACK_DEPTH));
}

/// Puts [`CURRENT`] back when dropped (also when the coroutine panics).
struct Restore(Option<Current>, usize);

impl Restore {
    fn save() -> Restore {
        Restore(CURRENT.get(), STACK_FLOOR.get())
    }
}

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.set(self.0);
        STACK_FLOOR.set(self.1);
    }
}

/// Extend the alarm's borrow to the `'static` that [`CURRENT`] holds.
///
/// # Safety
/// [`CURRENT`] holds it only while the coroutine runs, and the coroutine
/// does not outlive the borrow (see [`OnStack`]).
unsafe fn forever(alarm: &Alarm) -> &'static Alarm {
    unsafe { &*(alarm as *const Alarm) }
}

/// Await `fut` from synchronous code: suspend this coroutine while it is
/// pending, or, outside one, block the thread.
pub fn until<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    let Some(current) = CURRENT.get() else {
        return block_on(fut);
    };
    debug_assert_eq!(crate::storage::buffer::content_locks_held(), 0, "a buffer content lock held across a wait");
    let mut fut = std::pin::pin!(fut);
    let mut waker = current.waker;
    loop {
        // SAFETY: the waker of the poll that resumed this coroutine, which
        // is still running.
        let mut cx = Context::from_waker(unsafe { &*waker });
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        // SAFETY: the yielder of the coroutine running this code.
        waker = unsafe { &*current.yielder }.suspend(()).waker;
        enter(Current { waker, resumed: Instant::now(), ..current });
    }
}

/// Fail with PostgreSQL's `stack depth limit exceeded` (54001) once the
/// running session has used more than [`MAX_STACK_DEPTH`] of its stack,
/// instead of overflowing it, which would end the whole server. Called
/// where code recurses on what a client sent (the binder on nested
/// expressions, evaluation, JSON input); cheap enough to call at every
/// level. Outside a session's coroutine it checks nothing.
pub fn check_stack_depth() -> Result<()> {
    let here = 0u8;
    let sp = std::hint::black_box(&here) as *const u8 as usize;
    if sp < STACK_FLOOR.get() { Err(stack_depth_exceeded()) } else { Ok(()) }
}

/// PostgreSQL's error for a statement that nests too deeply.
pub fn stack_depth_exceeded() -> crate::error::Error {
    err!(SqlState::STATEMENT_TOO_COMPLEX, "stack depth limit exceeded").with_hint(
        "Increase the configuration parameter \"max_stack_depth\" (currently 2048kB), after ensuring the platform's stack depth limit is adequate.",
    )
}

/// Give the running coroutine's stack back to the system when it finishes
/// instead of keeping it for the next message: a statement about to
/// recurse deep (a huge expression) would leave its pages committed.
pub fn release_stack_after() {
    if CURRENT.get().is_some() {
        RELEASE_STACK.set(true);
    }
}

/// Let the other sessions on this thread run if this coroutine has run for
/// a time slice: called where long statements check for interrupts, so a
/// long one shares its thread. Not while it holds a buffer content lock
/// (another session here may need the page); it then goes on.
pub fn pause_if_due() {
    let Some(current) = CURRENT.get() else { return };
    if current.resumed.elapsed() < SLICE || crate::storage::buffer::content_locks_held() > 0 {
        return;
    }
    until(tokio::task::yield_now());
}

/// Outside a coroutine: block this thread until `fut` is done, letting the
/// worker's other tasks move elsewhere first.
fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    use tokio::runtime::{Handle, RuntimeFlavor};
    if COOPERATIVE.get() {
        debug_assert!(false, "a wait outside a coroutine on a backend thread");
        tracing::error!("a wait outside a coroutine blocks a backend thread");
    }
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

/// Mark this thread as a backend thread: sessions' tasks run here, so
/// nothing on it may block the thread to wait.
pub fn mark_cooperative_thread() {
    COOPERATIVE.set(true);
}

/// What a coroutine is resumed with: the waker of the task polling it, and
/// where the future it runs and its output live (in its [`OnStack`], which
/// may have moved since the last poll). Valid until it suspends again.
#[derive(Clone, Copy)]
struct Resume {
    waker: *const Waker,
    /// `*mut Option<F>`: taken, onto the coroutine's stack, when it starts.
    fut: *mut (),
    /// `*mut Option<F::Output>`: filled when the future is done.
    out: *mut (),
}

/// A future run on a stack of its own (see [`on_stack`]).
pub struct OnStack<'a, F: Future> {
    /// `None` once finished (its stack recycled).
    co: Option<Coroutine<Resume, (), (), DefaultStack>>,
    fut: Option<F>,
    out: Option<F::Output>,
    _busy: Busy,
    /// The coroutine's body borrows for `'a`.
    _borrows: PhantomData<&'a mut ()>,
}

/// Run `fut` on a stack of its own, so that synchronous code inside it can
/// wait through [`until`] without holding the thread; waits wake early when
/// `alarm` rings. Fails only if no stack can be had. The future is dropped
/// (its stack unwound) if the returned future is dropped first.
pub fn on_stack<'a, F: Future + 'a>(alarm: &'a Alarm, fut: F) -> Result<OnStack<'a, F>> {
    let stack = match STACKS.with_borrow_mut(Vec::pop) {
        Some(s) => s,
        None => DefaultStack::new(STACK_SIZE).map_err(|e| {
            err!(SqlState::OUT_OF_MEMORY, "out of memory").with_detail(format!("no session stack: {e}"))
        })?,
    };
    // SAFETY: `OnStack` does not outlive `'a`, and its coroutine is finished
    // or dropped (which unwinds it) before `OnStack` is.
    let alarm = unsafe { forever(alarm) };
    let stack_base = stack.base().get();
    let body = move |yielder: &Yield, mut resume: Resume| {
        // SAFETY: see `Resume`; the first resume hands over the future.
        let fut = unsafe { (*(resume.fut as *mut Option<F>)).take() }.expect("the future to run");
        let mut fut = std::pin::pin!(fut);
        loop {
            enter(Current { yielder, waker: resume.waker, alarm, resumed: Instant::now(), stack_base });
            // SAFETY: the waker of the poll that resumed this coroutine.
            let mut cx = Context::from_waker(unsafe { &*resume.waker });
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                // SAFETY: see `Resume`.
                unsafe { *(resume.out as *mut Option<F::Output>) = Some(out) };
                return;
            }
            resume = yielder.suspend(());
        }
    };
    // SAFETY: the body borrows only for `'a`, which `OnStack` carries.
    let co = unsafe { Coroutine::with_stack_unchecked(stack, body) };
    Ok(OnStack { co: Some(co), fut: Some(fut), out: None, _busy: Busy::new(), _borrows: PhantomData })
}

// The future runs on the coroutine's stack, pinned there; `OnStack` holds
// it only until it starts.
impl<F: Future> Unpin for OnStack<'_, F> {}

impl<F: Future> Future for OnStack<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let resume = Resume {
            waker: cx.waker() as *const Waker,
            fut: &mut this.fut as *mut Option<F> as *mut (),
            out: &mut this.out as *mut Option<F::Output> as *mut (),
        };
        let co = this.co.as_mut().expect("OnStack polled after it finished");
        let step = {
            let _restore = Restore::save();
            co.resume(resume)
        };
        match step {
            CoroutineResult::Yield(()) => Poll::Pending,
            CoroutineResult::Return(()) => {
                if let Some(co) = this.co.take() {
                    recycle(co.into_stack());
                }
                Poll::Ready(this.out.take().expect("the output of a finished future"))
            }
        }
    }
}

impl<F: Future> Drop for OnStack<'_, F> {
    /// Unwind the coroutine if it has not finished, and keep its stack.
    fn drop(&mut self) {
        if let Some(mut co) = self.co.take() {
            co.force_unwind();
            recycle(co.into_stack());
        }
    }
}

/// Keep a stack for this thread's next coroutine, unless enough are kept.
fn recycle(stack: DefaultStack) {
    if RELEASE_STACK.replace(false) {
        return;
    }
    STACKS.with_borrow_mut(|pool| {
        if pool.len() < POOLED_STACKS {
            pool.push(stack);
        }
    });
}

#[cfg(test)]
mod tests;
