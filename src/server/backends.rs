//! Backend threads: where sessions run. Each is a single-threaded runtime
//! whose tasks never move to another thread, so a session can handle a
//! message on a coroutine that suspends while it waits (see
//! [`crate::txn::wait`]) and resumes where it began. A new session goes to
//! the thread with the fewest sessions.
//!
//! One thread per core: a session that computes keeps its core, one that
//! waits holds none. The postmaster's accept loops, the background writer,
//! checkpointer, WAL writer and autovacuum stay on the multi-threaded
//! runtime.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::err;
use crate::error::{Result, SqlState};

/// Builds a session's future on the thread that runs it (the future holds
/// coroutines, which cannot move between threads).
type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

struct Backend {
    jobs: mpsc::UnboundedSender<Job>,
    /// Sessions running there now.
    sessions: Arc<AtomicUsize>,
}

pub struct Backends {
    backends: Vec<Backend>,
    threads: Vec<JoinHandle<()>>,
}

impl Backends {
    /// Start `n` backend threads.
    pub fn start(n: usize) -> Result<Backends> {
        let mut backends = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        for i in 0..n.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| err!(SqlState::INTERNAL_ERROR, "could not start backend runtime: {e}"))?;
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            let thread = std::thread::Builder::new()
                .name(format!("tusk-backend-{i}"))
                .spawn(move || {
                    crate::txn::wait::mark_cooperative_thread();
                    let local = tokio::task::LocalSet::new();
                    local.block_on(&runtime, async move {
                        while let Some(job) = rx.recv().await {
                            tokio::task::spawn_local(job());
                        }
                    });
                })
                .map_err(|e| err!(SqlState::INTERNAL_ERROR, "could not start backend thread: {e}"))?;
            backends.push(Backend { jobs: tx, sessions: Arc::new(AtomicUsize::new(0)) });
            threads.push(thread);
        }
        Ok(Backends { backends, threads })
    }

    /// Run the future `make` builds on the backend thread with the fewest
    /// sessions.
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
        let job: Job = Box::new(move || {
            Box::pin(async move {
                let here = crate::txn::wait::ThreadSession::enter();
                make().await;
                drop(here);
                sessions.fetch_sub(1, Ordering::Relaxed);
            })
        });
        // The threads outlive every accept loop (see `Drop`).
        let _ = backend.jobs.send(job);
    }
}

impl Drop for Backends {
    /// Stop the threads once they have nothing left to run.
    fn drop(&mut self) {
        self.backends.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
