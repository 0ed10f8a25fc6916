//! The storage engine: 8 KiB slotted pages ([`page`]) in relation files
//! ([`smgr`]), cached in a shared buffer pool ([`buffer`]), with every
//! change logged ahead in the write-ahead log ([`wal`]).
//!
//! `storage` depends on nothing above it: not on SQL, sessions or the
//! protocol.

pub mod btree;
pub mod buffer;
pub mod control;
pub mod engine;
pub mod fsm;
pub mod hash;
pub mod heap;
pub mod page;
pub mod sequence;
pub mod smgr;
pub mod vm;
pub mod wal;
