//! The free-space map: which pages of a relation have room, so that
//! inserts and new row versions go into space vacuum freed instead of
//! always at the end (PostgreSQL's FSM). It is a hint: a page it names is
//! checked under its lock before use, and a wrong entry only costs a look.
//!
//! Deviation: the map is kept in memory, not in a relation fork. After a
//! restart it is empty until vacuum (or a page found with room) fills it
//! again; nothing but space reuse depends on it.

use std::collections::BTreeMap;

use super::smgr::RelFileLocator;

/// Pages with less free space than this are not worth remembering.
const MIN_USEFUL: usize = 256;

/// Sharded by relation: an insert into a relation with no entries (the
/// common case) only takes a shard's read lock.
#[derive(Debug, Default)]
pub struct FreeSpaceMap {
    rels: dashmap::DashMap<RelFileLocator, BTreeMap<u32, u16>>,
}

impl FreeSpaceMap {
    /// Page `block` of `rel` has `free` bytes.
    pub fn record(&self, rel: RelFileLocator, block: u32, free: usize) {
        if free < MIN_USEFUL {
            if let Some(mut m) = self.rels.get_mut(&rel) {
                m.remove(&block);
            }
            return;
        }
        self.rels.entry(rel).or_default().insert(block, free.min(u16::MAX as usize) as u16);
    }

    /// A page of `rel` said to have at least `len` bytes free, other than
    /// `avoid`, lowest first (so a table fills from the front).
    pub fn find(&self, rel: RelFileLocator, len: usize, avoid: Option<u32>) -> Option<u32> {
        let m = self.rels.get(&rel)?;
        m.iter().find(|&(&b, &free)| free as usize >= len && Some(b) != avoid).map(|(&b, _)| b)
    }

    /// The relation's file is gone (dropped or truncated).
    pub fn forget(&self, rel: RelFileLocator) {
        self.rels.remove(&rel);
    }

    /// The relation was cut to `nblocks` blocks: pages from there on are gone.
    pub fn forget_from(&self, rel: RelFileLocator, nblocks: u32) {
        if let Some(mut m) = self.rels.get_mut(&rel) {
            m.split_off(&nblocks);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_lowest_page_with_room() {
        let fsm = FreeSpaceMap::default();
        let rel = RelFileLocator { db: 5, relfilenode: 16384 };
        assert_eq!(fsm.find(rel, 100, None), None);
        fsm.record(rel, 7, 4000);
        fsm.record(rel, 3, 500);
        fsm.record(rel, 9, 100);
        assert_eq!(fsm.find(rel, 400, None), Some(3));
        assert_eq!(fsm.find(rel, 600, None), Some(7));
        assert_eq!(fsm.find(rel, 600, Some(7)), None);
        fsm.record(rel, 7, 0);
        assert_eq!(fsm.find(rel, 600, None), None);
        fsm.forget(rel);
        assert_eq!(fsm.find(rel, 400, None), None);
    }
}
