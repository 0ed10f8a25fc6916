use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::*;
use crate::storage::page::{PageRead, PageWrite};

fn temp(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tusk-buf-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

const REL: RelFileLocator = RelFileLocator { db: 1, relfilenode: 16384 };

fn tag(block: u32) -> BufferTag {
    BufferTag { rel: REL, fork: Fork::Main, block }
}

/// Records the highest LSN WAL was flushed to, and checks the rule on every write.
#[derive(Default)]
struct RecordingWal {
    flushed: AtomicU64,
}

impl WalFlush for RecordingWal {
    fn flush_to(&self, lsn: u64) -> Result<()> {
        self.flushed.fetch_max(lsn, Ordering::SeqCst);
        Ok(())
    }
}

fn pool(dir: &std::path::Path, frames: usize, wal: Arc<dyn WalFlush>) -> BufferPool {
    let smgr = Arc::new(Smgr::new(dir, 16));
    smgr.create(REL, Fork::Main).unwrap();
    BufferPool::new(frames, smgr, wal)
}

/// Write `value` into the page's first item (creating it on a new page).
fn set_counter(buf: &Buffer<'_>, value: u64) {
    let mut page = buf.write();
    if page.is_new() {
        page.init(0);
        page.add_item(&0u64.to_le_bytes()).unwrap();
    }
    page.item_mut(1).unwrap().copy_from_slice(&value.to_le_bytes());
    buf.mark_dirty();
}

fn counter(buf: &Buffer<'_>) -> u64 {
    let page = buf.read();
    if page.is_new() {
        return 0;
    }
    u64::from_le_bytes(page.item(1).unwrap().try_into().unwrap())
}

#[test]
fn pages_survive_eviction_and_a_new_pool() {
    let dir = temp("evict");
    let wal: Arc<dyn WalFlush> = Arc::new(NotLogged);
    {
        let pool = pool(&dir, 8, wal.clone());
        for b in 0..200u32 {
            let buf = pool.extend(REL, Fork::Main).unwrap();
            assert_eq!(buf.tag().block, b);
            set_counter(&buf, b as u64 * 7);
        }
        assert!(pool.stats.evictions.load(Ordering::Relaxed) > 150);
        for b in (0..200u32).rev() {
            assert_eq!(counter(&pool.read_buffer(tag(b)).unwrap()), b as u64 * 7);
        }
        pool.flush_all(Writer::Checkpointer).unwrap();
    }
    let pool = pool(&dir, 8, wal);
    assert_eq!(pool.smgr().nblocks(REL, Fork::Main).unwrap(), 200);
    for b in 0..200u32 {
        assert_eq!(counter(&pool.read_buffer(tag(b)).unwrap()), b as u64 * 7);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_increments_are_never_lost() {
    let dir = temp("conc");
    let pool = Arc::new(pool(&dir, 8, Arc::new(NotLogged)));
    const PAGES: u32 = 64;
    for _ in 0..PAGES {
        let buf = pool.extend(REL, Fork::Main).unwrap();
        set_counter(&buf, 0);
    }
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let mut x = 0x2545F4914F6CDD1Du64 ^ (t + 1);
                for _ in 0..5000 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let buf = pool.read_buffer(tag((x % PAGES as u64) as u32)).unwrap();
                    let mut page = buf.write();
                    let v = u64::from_le_bytes(page.item(1).unwrap().try_into().unwrap());
                    page.item_mut(1).unwrap().copy_from_slice(&(v + 1).to_le_bytes());
                    drop(page);
                    buf.mark_dirty();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let total: u64 = (0..PAGES).map(|b| counter(&pool.read_buffer(tag(b)).unwrap())).sum();
    assert_eq!(total, 4 * 5000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wal_is_flushed_before_a_page_is_written() {
    let dir = temp("wal");
    let wal = Arc::new(RecordingWal::default());
    let pool = pool(&dir, 4, wal.clone());
    let buf = pool.extend(REL, Fork::Main).unwrap();
    set_counter(&buf, 1);
    buf.write().set_lsn(5000);
    drop(buf);
    // Evict it by touching more pages than there are frames.
    for _ in 0..8 {
        pool.extend(REL, Fork::Main).unwrap();
    }
    assert!(wal.flushed.load(Ordering::SeqCst) >= 5000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corrupt_page_is_refused() {
    let dir = temp("corrupt");
    {
        let pool = pool(&dir, 4, Arc::new(NotLogged));
        let buf = pool.extend(REL, Fork::Main).unwrap();
        set_counter(&buf, 42);
        drop(buf);
        pool.flush_all(Writer::Checkpointer).unwrap();
    }
    let file = dir.join("base/1/16384");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[6000] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let pool = pool(&dir, 4, Arc::new(NotLogged));
    let err = pool.read_buffer(tag(0)).err().expect("corruption not detected");
    assert_eq!(err.code(), SqlState::DATA_CORRUPTED);
    assert_eq!(err.message(), "invalid page in block 0 of relation base/1/16384");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pinned_pages_are_not_evicted() {
    let dir = temp("pin");
    let pool = pool(&dir, 4, Arc::new(NotLogged));
    let held: Vec<_> = (0..4).map(|_| pool.extend(REL, Fork::Main).unwrap()).collect();
    // Every frame is pinned: a fifth page cannot come in.
    let err = pool.extend(REL, Fork::Main).err().expect("evicted a pinned page");
    assert_eq!(err.code(), SqlState::INSUFFICIENT_RESOURCES);
    drop(held);
    assert!(pool.read_buffer(tag(4)).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}
