//! tusk: a PostgreSQL-compatible database server.
//!
//! One query's way through the crate:
//!
//! 1. [`server`] (the postmaster) accepts a TCP or Unix-socket connection
//!    and spawns a task for it;
//! 2. [`protocol`] runs the startup handshake (admission under
//!    `max_connections`, authentication) and then reads messages;
//! 3. a Query message reaches the [`session`] (the backend), which parses
//!    the text with [`sql::parser`], binds names and types with
//!    [`sql::binder`], and runs the result with [`sql::exec`];
//! 4. rows go back through a sink that encodes DataRow messages straight
//!    into the connection's output buffer, flushed whenever it fills;
//! 5. the statement's work area is reset, and ReadyForQuery is sent.
//!
//! Settings live in [`config`]; every error carries a SQLSTATE
//! ([`error`]); counters are exported by [`metrics`].

pub mod catalog;
pub mod config;
pub mod error;
pub mod metrics;
pub mod protocol;
pub mod server;
pub mod session;
pub mod sql;
pub mod storage;
pub mod txn;
