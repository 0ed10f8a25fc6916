//! The storage engine: 8 KiB slotted pages ([`page`]) in relation files
//! ([`smgr`]), cached in a shared buffer pool ([`buffer`]).
//!
//! `storage` depends on nothing above it: not on SQL, sessions or the
//! protocol.

pub mod buffer;
pub mod page;
pub mod smgr;
