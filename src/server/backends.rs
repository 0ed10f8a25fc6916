//! Backend threads: where sessions run. Each is a single-threaded runtime
//! whose tasks never move to another thread, so a session can handle a
//! message on a coroutine that suspends while it waits (see
//! [`crate::txn::wait`]) and resumes where it began.
//!
//! A few threads per core (see [`crate::config::THREADS_PER_CPU`]): a
//! session that computes keeps a thread, one that waits holds none. One
//! backend thread per core accepts connections itself, on its own handle
//! of each listening socket (each handle wakes for every new connection,
//! so not every thread has one); a new session starts where it was
//! accepted, without a hand-over to another thread, unless that thread
//! has more sessions than the least busy one: then it goes there. The
//! background writer, checkpointer, WAL writer and
//! autovacuum stay on the multi-threaded runtime.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::err;
use crate::error::{Result, SqlState};

/// Builds a task's future on the thread that runs it (a session's future
/// holds coroutines, which cannot move between threads).
type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

thread_local! {
    /// The index of the backend thread running here, if this is one.
    static HERE: Cell<Option<usize>> = const { Cell::new(None) };
}

struct Backend {
    jobs: mpsc::UnboundedSender<Job>,
    /// Sessions running there now.
    sessions: Arc<AtomicUsize>,
}

/// Where sessions go: the backend threads' queues and loads. Accept loops
/// hold it; the threads themselves belong to [`Backends`].
pub struct Placement {
    backends: Vec<Backend>,
}

pub struct Backends {
    placement: Arc<Placement>,
    quit: CancellationToken,
    threads: Vec<JoinHandle<()>>,
}

impl Backends {
    /// Start `n` backend threads.
    pub fn start(n: usize) -> Result<Backends> {
        let mut backends = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        let quit = CancellationToken::new();
        for i in 0..n.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| err!(SqlState::INTERNAL_ERROR, "could not start backend runtime: {e}"))?;
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            let quit = quit.clone();
            let thread = std::thread::Builder::new()
                .name(format!("tusk-backend-{i}"))
                .spawn(move || {
                    crate::txn::wait::mark_cooperative_thread();
                    HERE.set(Some(i));
                    let local = tokio::task::LocalSet::new();
                    local.block_on(&runtime, async move {
                        loop {
                            tokio::select! {
                                job = rx.recv() => match job {
                                    Some(job) => drop(tokio::task::spawn_local(job())),
                                    None => break,
                                },
                                _ = quit.cancelled() => break,
                            }
                        }
                    });
                })
                .map_err(|e| err!(SqlState::INTERNAL_ERROR, "could not start backend thread: {e}"))?;
            backends.push(Backend { jobs: tx, sessions: Arc::new(AtomicUsize::new(0)) });
            threads.push(thread);
        }
        Ok(Backends { placement: Arc::new(Placement { backends }), quit, threads })
    }

    pub fn placement(&self) -> Arc<Placement> {
        self.placement.clone()
    }
}

impl Placement {
    /// Run a future `make` builds on each of the first `n` backend
    /// threads (the accept loops).
    pub fn on_first<M, F>(&self, n: usize, make: M)
    where
        M: Fn() -> F + Clone + Send + 'static,
        F: Future<Output = ()> + 'static,
    {
        for backend in self.backends.iter().take(n.max(1)) {
            let make = make.clone();
            // The threads outlive every accept loop (see `Drop`).
            let _ = backend.jobs.send(Box::new(move || Box::pin(make())));
        }
    }

    /// Whether a session accepted on this backend thread should run here:
    /// when no other thread has fewer sessions, so that sessions spread
    /// as evenly as when each goes to the least busy thread. Never on
    /// other threads.
    pub fn keeps_here(&self) -> bool {
        let Some(me) = HERE.get().filter(|&i| i < self.backends.len()) else { return false };
        let load = |b: &Backend| b.sessions.load(Ordering::Relaxed);
        let least = self.backends.iter().map(load).min().unwrap_or(0);
        load(&self.backends[me]) <= least
    }

    /// Run session `session` on this backend thread (where
    /// [`Placement::keeps_here`] said yes).
    pub fn spawn_here<F>(&self, session: F)
    where
        F: Future<Output = ()> + 'static,
    {
        let me = HERE.get().filter(|&i| i < self.backends.len()).unwrap_or(0);
        let sessions = self.backends[me].sessions.clone();
        sessions.fetch_add(1, Ordering::Relaxed);
        drop(tokio::task::spawn_local(counted(sessions, session)));
    }

    /// Run the session future `make` builds on the backend thread with the
    /// fewest sessions.
    pub fn spawn<M, F>(&self, make: M)
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future<Output = ()> + 'static,
    {
        let backend = self
            .backends
            .iter()
            .min_by_key(|b| b.sessions.load(Ordering::Relaxed))
            .expect("at least one backend thread");
        let sessions = backend.sessions.clone();
        sessions.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move || Box::pin(counted(sessions, make())));
        let _ = backend.jobs.send(job);
    }
}

/// A session's future as its thread runs it: counted in the thread's load
/// (already incremented) until it ends.
async fn counted(sessions: Arc<AtomicUsize>, session: impl Future<Output = ()>) {
    let here = crate::txn::wait::ThreadSession::enter();
    session.await;
    drop(here);
    sessions.fetch_sub(1, Ordering::Relaxed);
}

impl Drop for Backends {
    /// Stop the threads; by now every session and accept loop has ended.
    fn drop(&mut self) {
        self.quit.cancel();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
