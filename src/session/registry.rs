//! The registry of live sessions (PostgreSQL's backend list): how a cancel
//! request finds the session it names, and how fast shutdown reaches every
//! session; where `pg_stat_activity` finds each session's activity, and
//! `pg_cancel_backend` / `pg_terminate_backend` the session they name.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use dashmap::DashMap;
use tokio_util::sync::CancellationToken;

use super::Interrupts;
use super::activity::Activity;

struct Entry {
    secret_key: i32,
    /// The OID of the role that logged in (0: not known).
    role: u32,
    interrupts: Arc<Interrupts>,
    /// Published once the session has started (see [`Registry::publish`]).
    activity: Option<Arc<Activity>>,
    /// Cancelled to end the session while it waits for its client.
    terminate: CancellationToken,
}

/// A live session, as a signal to it needs it.
pub struct Backend {
    /// The OID of the role that logged in.
    pub role: u32,
    pub interrupts: Arc<Interrupts>,
    /// Ends the session while it waits for its client.
    pub terminate: CancellationToken,
}

#[derive(Default)]
pub struct Registry {
    sessions: DashMap<i32, Entry>,
    next_pid: AtomicI32,
    /// The backend ids of live sessions (PostgreSQL's `MyBackendId`: the
    /// smallest free one, from 1, so that they stay small and are reused;
    /// a session's temporary schema is named after it). A plain mutex: it
    /// is held only to pick or free an id, never across an await.
    backend_ids: std::sync::Mutex<std::collections::BTreeSet<i32>>,
}

/// Removes the session from the registry when dropped.
pub struct Registration {
    registry: Arc<Registry>,
    pub pid: i32,
    pub secret_key: i32,
    pub interrupts: Arc<Interrupts>,
    /// The session's backend id (see [`Registry`]).
    pub backend_id: i32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.sessions.remove(&self.pid);
        self.registry.backend_ids.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.backend_id);
    }
}

impl Registry {
    /// Register a new session under a fresh process id and random secret key.
    pub fn register(self: &Arc<Self>) -> Registration {
        self.register_for(0)
    }

    /// Register a new session of role `role` (see [`Registry::sessions_of`]).
    pub fn register_for(self: &Arc<Self>, role: u32) -> Registration {
        let interrupts = Arc::new(Interrupts::default());
        loop {
            // Process ids are positive and unique among live sessions.
            let pid = (self.next_pid.fetch_add(1, Ordering::Relaxed) & 0x3fff_ffff) + 1000;
            let secret_key = rand::random::<i32>();
            if let dashmap::Entry::Vacant(v) = self.sessions.entry(pid) {
                v.insert(Entry {
                    secret_key,
                    role,
                    interrupts: interrupts.clone(),
                    activity: None,
                    terminate: CancellationToken::new(),
                });
                let backend_id = {
                    let mut ids = self.backend_ids.lock().unwrap_or_else(|e| e.into_inner());
                    let id = (1..).find(|i| !ids.contains(i)).unwrap_or(1);
                    ids.insert(id);
                    id
                };
                return Registration { registry: self.clone(), pid, secret_key, interrupts, backend_id };
            }
        }
    }

    /// A CancelRequest: cancel the named session's statement if the key matches.
    pub fn cancel(&self, pid: i32, secret_key: i32) -> bool {
        match self.sessions.get(&pid) {
            Some(e) if e.secret_key == secret_key => {
                e.interrupts.cancel();
                true
            }
            _ => false,
        }
    }

    /// The session has started: its activity record, and the token that
    /// ends it while it waits for its client.
    pub fn publish(&self, pid: i32, activity: Arc<Activity>, terminate: CancellationToken) {
        if let Some(mut e) = self.sessions.get_mut(&pid) {
            e.activity = Some(activity);
            e.terminate = terminate;
        }
    }

    /// The activity records of the started sessions.
    pub fn activities(&self) -> Vec<Arc<Activity>> {
        self.sessions.iter().filter_map(|e| e.activity.clone()).collect()
    }

    /// The started session `pid`, if it is live.
    pub fn backend(&self, pid: i32) -> Option<Backend> {
        let e = self.sessions.get(&pid)?;
        e.activity.as_ref()?;
        Some(Backend { role: e.role, interrupts: e.interrupts.clone(), terminate: e.terminate.clone() })
    }

    /// How many live sessions role `role` logged in (its connection limit).
    pub fn sessions_of(&self, role: u32) -> usize {
        self.sessions.iter().filter(|e| e.role == role).count()
    }

    /// Fast shutdown: ask every session to end.
    pub fn terminate_all(&self) {
        for e in self.sessions.iter() {
            e.interrupts.terminate();
        }
    }
}
