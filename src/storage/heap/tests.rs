use std::sync::Arc;

use super::tuple::{Attr, Header, TupleDesc, deform, form};
use super::*;
use crate::storage::buffer::WalFlush;
use crate::storage::page::{ItemState, PageRead};
use crate::storage::smgr::Smgr;

const REL: RelFileLocator = RelFileLocator { db: 1, relfilenode: 16500 };

fn temp(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tusk-heap-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

struct Env {
    dir: std::path::PathBuf,
    wal: Arc<Wal>,
    pool: BufferPool,
}

fn env(dir: &std::path::Path, frames: usize) -> Env {
    let wal = Arc::new(Wal::open(&dir.join("wal"), 1 << 20, false, 0, 0).unwrap());
    let smgr = Arc::new(Smgr::new(dir, 32));
    smgr.create(REL, Fork::Main).unwrap();
    let pool = BufferPool::new(frames, smgr, wal.clone() as Arc<dyn WalFlush>);
    Env { dir: dir.to_path_buf(), wal, pool }
}

fn desc() -> TupleDesc {
    TupleDesc::new(vec![Attr { len: 8, align: 8 }, Attr { len: -1, align: 4 }])
}

fn row(id: u64, text: &str) -> Vec<u8> {
    form(&desc(), &[Some(&id.to_le_bytes()), Some(text.as_bytes())])
}

fn id_of(t: &[u8]) -> u64 {
    u64::from_le_bytes(deform(&desc(), t)[0].unwrap().try_into().unwrap())
}

/// A page as redo must reproduce it: its LSN and every line pointer's state and item.
type PageDump = (u64, Vec<(ItemState, Vec<u8>)>);

/// Everything about a relation's pages that redo must reproduce.
fn dump(pool: &BufferPool) -> Vec<PageDump> {
    let n = pool.smgr().nblocks(REL, Fork::Main).unwrap();
    (0..n)
        .map(|b| {
            let buf = pool.read_buffer(BufferTag { rel: REL, fork: Fork::Main, block: b }).unwrap();
            let page = buf.read();
            let items = (1..=page.max_offset())
                .map(|o| {
                    let lp = page.line_pointer(o).unwrap();
                    (lp.state, page.item(o).map(<[u8]>::to_vec).unwrap_or_default())
                })
                .collect();
            (page.lsn(), items)
        })
        .collect()
}

/// A deterministic mix of inserts, deletes and updates (some moving to another page).
fn workload(heap: &Heap<'_>, steps: u64, seed: u64) -> Vec<Tid> {
    let mut x = seed;
    let mut live: Vec<Tid> = Vec::new();
    for i in 0..steps {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let text = "x".repeat((x % 700) as usize);
        match x % 5 {
            0..=2 => live.push(heap.insert(i + 10, 0, &row(i, &text)).unwrap()),
            3 if !live.is_empty() => {
                let at = (x as usize / 7) % live.len();
                heap.delete(live.swap_remove(at), i + 10, 1).unwrap();
            }
            _ if !live.is_empty() => {
                let at = (x as usize / 7) % live.len();
                let new = heap.update(live[at], i + 10, 2, &row(i, &text)).unwrap();
                live[at] = new;
            }
            _ => {}
        }
    }
    live
}

fn replay(pool: &BufferPool, dir: &std::path::Path, from: u64, prev: u64) -> usize {
    let mut n = 0;
    for rec in Wal::read_from(&dir.join("wal"), 1 << 20, from, prev) {
        assert_eq!(rec.rmgr, Rmgr::Heap);
        redo(pool, &rec).unwrap();
        n += 1;
    }
    n
}

#[test]
fn insert_fetch_delete_update() {
    let dir = temp("basic");
    let e = env(&dir, 16);
    let heap = Heap::new(&e.pool, &e.wal, REL);
    let a = heap.insert(5, 0, &row(1, "one")).unwrap();
    let t = heap.fetch(a).unwrap().unwrap();
    assert_eq!((Header(&t).xmin(), Header(&t).ctid(), id_of(&t)), (5, a, 1));
    heap.delete(a, 6, 0).unwrap();
    assert_eq!(Header(&heap.fetch(a).unwrap().unwrap()).xmax(), 6);
    // Same-page and other-page updates link the old version to the new.
    let b = heap.insert(7, 0, &row(2, "two")).unwrap();
    let b2 = heap.update(b, 8, 0, &row(2, "two, again")).unwrap();
    assert_eq!(b2.block, b.block);
    assert_eq!(Header(&heap.fetch(b).unwrap().unwrap()).ctid(), b2);
    heap.insert(7, 0, &row(4, &"w".repeat(5000))).unwrap();
    let big = "y".repeat(4000);
    let b3 = heap.update(b2, 9, 0, &row(2, &big)).unwrap();
    assert_ne!(b3.block, b2.block);
    assert_eq!(Header(&heap.fetch(b2).unwrap().unwrap()).ctid(), b3);
    assert_eq!(Header(&heap.fetch(b2).unwrap().unwrap()).xmax(), 9);
    assert!(heap.insert(1, 0, &row(3, &"z".repeat(9000))).unwrap_err().message().starts_with("row is too big"));
    let mut seen = 0;
    for blk in 0..heap.nblocks().unwrap() {
        heap.scan_block(blk, |_, _| seen += 1).unwrap();
    }
    assert_eq!(seen, 5);
    let _ = std::fs::remove_dir_all(&e.dir);
}

#[test]
fn replay_after_a_crash_rebuilds_every_page_and_twice_is_once() {
    let dir = temp("replay");
    let expected = {
        let e = env(&dir, 8);
        let heap = Heap::new(&e.pool, &e.wal, REL);
        workload(&heap, 1500, 0x1234_5678_9abc_def1);
        e.wal.flush_to(e.wal.insert_end()).unwrap();
        assert!(e.pool.stats.writes_backend.load(std::sync::atomic::Ordering::Relaxed) > 0, "some pages reached disk");
        dump(&e.pool)
        // Dropped without writing its dirty pages: a crash.
    };
    let e = env(&dir, 8);
    let n = replay(&e.pool, &dir, 0, 0);
    assert!(n > 1000);
    assert_eq!(dump(&e.pool), expected);
    // Replaying everything again changes nothing.
    replay(&e.pool, &dir, 0, 0);
    assert_eq!(dump(&e.pool), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn batch_inserts_fill_pages_and_replay() {
    let dir = temp("batch");
    let expected = {
        let e = env(&dir, 8);
        let heap = Heap::new(&e.pool, &e.wal, REL).with_fillfactor(90);
        heap.insert(3, 0, &row(0, "first")).unwrap();
        let rows: Vec<Vec<u8>> = (1..400u64).map(|i| row(i, &"b".repeat((i * 37 % 300) as usize))).collect();
        let tuples: Vec<&[u8]> = rows.iter().map(Vec::as_slice).collect();
        let mut tids = Vec::new();
        heap.insert_batch(4, 1, &tuples, &mut tids).unwrap();
        assert_eq!(tids.len(), rows.len());
        assert_eq!(tids[0].block, 0, "the batch starts on the last page");
        for (i, tid) in tids.iter().enumerate() {
            let t = heap.fetch(*tid).unwrap().unwrap();
            assert_eq!((Header(&t).xmin(), Header(&t).cid(), Header(&t).ctid(), id_of(&t)), (4, 1, *tid, i as u64 + 1));
        }
        let blocks = heap.nblocks().unwrap();
        assert!(blocks > 5);
        // Every page but the last keeps the fillfactor's reserve.
        for b in 0..blocks - 1 {
            let buf = e.pool.read_buffer(BufferTag { rel: REL, fork: Fork::Main, block: b }).unwrap();
            assert!(buf.read().free_space() >= PAGE_SIZE / 10 - 400, "block {b} overfilled");
        }
        let err = heap.insert_batch(5, 0, &[&row(9, &"z".repeat(9000))], &mut tids).unwrap_err();
        assert!(err.message().starts_with("row is too big"));
        heap.delete(tids[7], 6, 0).unwrap();
        e.wal.flush_to(e.wal.insert_end()).unwrap();
        dump(&e.pool)
        // Dropped without writing its dirty pages: a crash.
    };
    let e = env(&dir, 8);
    replay(&e.pool, &dir, 0, 0);
    assert_eq!(dump(&e.pool), expected);
    replay(&e.pool, &dir, 0, 0);
    assert_eq!(dump(&e.pool), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn full_page_images_repair_torn_pages() {
    let dir = temp("torn");
    let (expected, redo_from, redo_prev) = {
        let e = env(&dir, 64);
        let heap = Heap::new(&e.pool, &e.wal, REL);
        workload(&heap, 400, 42);
        // A checkpoint: note the redo point, write every page, then go on.
        let (redo, prev) = e.wal.begin_checkpoint();
        e.pool.flush_all(crate::storage::buffer::Writer::Checkpointer).unwrap();
        workload(&heap, 400, 4242);
        e.wal.flush_to(e.wal.insert_end()).unwrap();
        e.pool.flush_all(crate::storage::buffer::Writer::Checkpointer).unwrap();
        (dump(&e.pool), redo, prev)
    };
    // Tear the pages changed after the checkpoint: half of each is garbage,
    // as after a crash in the middle of writing them.
    let file = dir.join("base/1/16500");
    let mut bytes = std::fs::read(&file).unwrap();
    let changed: Vec<usize> =
        expected.iter().enumerate().filter(|(_, (lsn, _))| *lsn > redo_from).map(|(b, _)| b).collect();
    assert!(changed.len() > 1);
    for b in changed {
        bytes[b * PAGE_SIZE + 4096..(b + 1) * PAGE_SIZE].fill(0xAB);
    }
    std::fs::write(&file, &bytes).unwrap();
    let e = env(&dir, 64);
    replay(&e.pool, &dir, redo_from, redo_prev);
    assert_eq!(dump(&e.pool), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A table ten times the size of the buffer pool: loaded, scanned, every
/// row updated, scanned again, and read back after a clean restart.
/// (`TUSK_BIG_TABLE_MB` sets the table size; the default keeps CI quick.)
#[test]
fn table_ten_times_the_buffer_pool() {
    let table_mb: usize = std::env::var("TUSK_BIG_TABLE_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let frames = table_mb * 1024 * 1024 / 10 / PAGE_SIZE;
    let rows = (table_mb * 1024 * 1024 / 1000) as u64;
    let dir = temp("big");
    let filler = "f".repeat(960);
    let live_ids = |heap: &Heap<'_>| -> (u64, u64) {
        let (mut count, mut sum) = (0u64, 0u64);
        for b in 0..heap.nblocks().unwrap() {
            heap.scan_block(b, |_, t| {
                if Header(t).infomask() & crate::storage::heap::tuple::XMAX_INVALID != 0 {
                    count += 1;
                    sum += id_of(t);
                }
            })
            .unwrap();
        }
        (count, sum)
    };
    {
        let e = env(&dir, frames);
        let heap = Heap::new(&e.pool, &e.wal, REL);
        let tids: Vec<Tid> = (0..rows).map(|i| heap.insert(10, 0, &row(i, &filler)).unwrap()).collect();
        assert!(heap.nblocks().unwrap() as usize >= 9 * frames, "table is not ~10x the pool");
        assert_eq!(live_ids(&heap), (rows, rows * (rows - 1) / 2));
        for (i, tid) in tids.iter().enumerate() {
            heap.update(*tid, 11, 0, &row(i as u64 + 1_000_000, &filler)).unwrap();
        }
        let expect = rows * 1_000_000 + rows * (rows - 1) / 2;
        assert_eq!(live_ids(&heap), (rows, expect));
        e.wal.flush_to(e.wal.insert_end()).unwrap();
        e.pool.flush_all(crate::storage::buffer::Writer::Checkpointer).unwrap();
        e.pool.smgr().sync_written().unwrap();
    }
    let e = env(&dir, frames);
    let heap = Heap::new(&e.pool, &e.wal, REL);
    assert_eq!(live_ids(&heap), (rows, rows * 1_000_000 + rows * (rows - 1) / 2));
    let _ = std::fs::remove_dir_all(&dir);
}
