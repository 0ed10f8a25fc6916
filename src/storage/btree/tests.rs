use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::storage::buffer::{WalFlush, Writer};
use crate::storage::page::{PAGE_SIZE, PageBuf, PageRead, PageWrite};
use crate::storage::smgr::Smgr;

const REL: RelFileLocator = RelFileLocator { db: 1, relfilenode: 16600 };
const SEGMENT: u64 = 1 << 20;

type Entries = Vec<(Vec<u8>, Tid)>;
type Model = BTreeSet<(Vec<u8>, Tid)>;

fn temp(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tusk-btree-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

struct Env {
    wal: Arc<Wal>,
    pool: BufferPool,
}

fn env(dir: &std::path::Path, frames: usize) -> Env {
    let wal = Arc::new(Wal::open(&dir.join("wal"), SEGMENT, false, 0, 0).unwrap());
    let smgr = Arc::new(Smgr::new(dir, 32));
    smgr.create(REL, Fork::Main).unwrap();
    let pool = BufferPool::new(frames, smgr, wal.clone() as Arc<dyn WalFlush>);
    Env { wal, pool }
}

impl Env {
    fn tree(&self) -> BTree<'_> {
        BTree::new(&self.pool, &self.wal, REL)
    }
}

fn tid(n: u64) -> Tid {
    Tid { block: (n / 200) as u32, offset: (n % 200) as u16 + 1 }
}

/// Keys with many duplicates, shared prefixes and varied lengths.
fn key_for(id: u64) -> Vec<u8> {
    let mut k = format!("k{:04}", (id * 7919) % 3000).into_bytes();
    k.extend(std::iter::repeat_n(b'a' + (id % 3) as u8, (id % 23) as usize));
    k
}

/// [`Cursor::next_batch`] into `(key, TID)` pairs (these tests carry no
/// INCLUDE payloads).
fn pairs(c: &mut Cursor<'_>, out: &mut Entries, batch: usize) -> crate::error::Result<bool> {
    let mut got = Vec::new();
    let more = c.next_batch(&mut got, batch)?;
    out.extend(got.into_iter().map(|e| (e.key, e.tid)));
    Ok(more)
}

fn all(c: &mut Cursor<'_>, batch: usize) -> Entries {
    let mut out = Vec::new();
    while pairs(c, &mut out, batch).unwrap() {}
    out
}

fn full(tree: &BTree<'_>, forward: bool) -> Entries {
    all(&mut tree.scan(Bound::Unbounded, Bound::Unbounded, forward), 97)
}

/// The smallest key above every key that starts with `b`.
fn successor(b: &[u8]) -> Option<Vec<u8>> {
    let mut v = b.to_vec();
    while let Some(last) = v.pop() {
        if last < 0xFF {
            v.push(last + 1);
            return Some(v);
        }
    }
    None
}

/// The model's answer to a scan: prefix bounds restated as plain key
/// ranges (key >= b, key >= successor(b), key < successor(b), key < b).
fn model_scan(m: &Model, lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>, forward: bool, limit: usize) -> Entries {
    const MIN: Tid = Tid { block: 0, offset: 0 };
    let lo = match lower {
        Bound::Included(b) => Some(b.clone()),
        Bound::Excluded(b) => match successor(b) {
            Some(s) => Some(s),
            None => return Vec::new(),
        },
        Bound::Unbounded => None,
    };
    let hi = match upper {
        Bound::Included(b) => successor(b),
        Bound::Excluded(b) => Some(b.clone()),
        Bound::Unbounded => None,
    };
    if let (Some(l), Some(h)) = (&lo, &hi)
        && l >= h
    {
        return Vec::new();
    }
    let lo = lo.map_or(Bound::Unbounded, |l| Bound::Included((l, MIN)));
    let hi = hi.map_or(Bound::Unbounded, |h| Bound::Excluded((h, MIN)));
    let r = m.range((lo, hi));
    if forward { r.take(limit).cloned().collect() } else { r.rev().take(limit).cloned().collect() }
}

fn random_bound(rng: &mut StdRng) -> Bound<Vec<u8>> {
    let k = key_for(rng.random_range(0..3000));
    let prefix = k[..rng.random_range(1..=k.len())].to_vec();
    bound_of(rng, prefix)
}

/// `key` as an inclusive or exclusive bound, or no bound.
fn bound_of(rng: &mut StdRng, key: Vec<u8>) -> Bound<Vec<u8>> {
    match rng.random_range(0..5) {
        0 => Bound::Unbounded,
        1 | 2 => Bound::Included(key),
        _ => Bound::Excluded(key),
    }
}

/// Random inserts, deletes, lookups and scans against a model, on an index
/// many times the size of a 16-frame buffer pool.
#[test]
fn random_operations_match_a_model() {
    let dir = temp("model");
    let e = env(&dir, 16);
    let tree = e.tree();
    tree.create(1).unwrap();
    let mut rng = StdRng::seed_from_u64(0x5eed_b7ee);
    let mut model = Model::new();
    let mut live: Entries = Vec::new();
    let mut next_tid = 0u64;
    let ops = 150_000;
    for step in 0..ops {
        match rng.random_range(0..100) {
            0..70 => {
                let id = rng.random_range(0..3000u64);
                let mut key = key_for(id);
                if rng.random_range(0..400) == 0 {
                    key.resize(rng.random_range(1000..=MAX_KEY_SIZE), b'z');
                }
                next_tid += 1;
                let t = tid(next_tid * 7 % 1_000_003);
                tree.insert(2, &key, t).unwrap();
                assert!(model.insert((key.clone(), t)));
                live.push((key, t));
            }
            70..85 if !live.is_empty() => {
                let (k, t) = live.swap_remove(rng.random_range(0..live.len()));
                assert!(tree.delete(3, &k, t).unwrap(), "entry missing at step {step}");
                model.remove(&(k.clone(), t));
                assert!(!tree.delete(3, &k, t).unwrap(), "deleted twice");
            }
            85..95 => {
                let key = key_for(rng.random_range(0..3000));
                let b = (Bound::Included(key.clone()), Bound::Included(key.clone()));
                let got: Vec<Tid> = all(&mut tree.scan(b.0, b.1, true), 50)
                    .into_iter()
                    .filter(|(k, _)| *k == key) // the bound is a prefix: longer keys match too
                    .map(|(_, t)| t)
                    .collect();
                let want: Vec<Tid> = model
                    .range((key.clone(), Tid { block: 0, offset: 0 })..)
                    .take_while(|(k, _)| *k == key)
                    .map(|(_, t)| *t)
                    .collect();
                assert_eq!(got, want, "lookup at step {step}");
            }
            _ => {
                let (lower, upper) = (random_bound(&mut rng), random_bound(&mut rng));
                let forward = rng.random_bool(0.5);
                let limit = rng.random_range(1..400);
                let batch = rng.random_range(1..64);
                let mut c = tree.scan(lower.clone(), upper.clone(), forward);
                let mut got = Vec::new();
                while got.len() < limit && pairs(&mut c, &mut got, batch).unwrap() {}
                got.truncate(limit);
                let want = model_scan(&model, &lower, &upper, forward, limit);
                assert_eq!(got, want, "scan {lower:?}..{upper:?} forward={forward} at step {step}");
            }
        }
        if step % 30_000 == 29_999 {
            assert_eq!(tree.verify().unwrap(), model.len() as u64);
        }
    }
    let blocks = e.pool.smgr().nblocks(REL, Fork::Main).unwrap();
    assert!(blocks > 16 * 20, "index of {blocks} pages is not much larger than the pool");
    assert_eq!(tree.verify().unwrap(), model.len() as u64);
    let want: Entries = model.iter().cloned().collect();
    assert_eq!(full(&tree, true), want);
    assert_eq!(full(&tree, false), want.into_iter().rev().collect::<Entries>());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bulk_build_then_scans_and_inserts() {
    let dir = temp("build");
    let e = env(&dir, 32);
    let tree = e.tree();
    let mut model: Model = (0..150_000u64).map(|i| (key_for(i % 40_000), tid(i))).collect();
    let sorted: Entries = model.iter().cloned().collect();
    tree.build(1, &mut sorted.clone().into_iter()).unwrap();
    assert_eq!(tree.verify().unwrap(), 150_000);
    assert_eq!(full(&tree, true), sorted);
    assert_eq!(full(&tree, false), sorted.iter().rev().cloned().collect::<Entries>());
    assert!(tree.root().unwrap().1 >= 2, "three levels at least");
    // Leaves are ~90% full: about 150k * 24 B / (0.9 * 8 KiB) of them.
    let blocks = e.pool.smgr().nblocks(REL, Fork::Main).unwrap();
    assert!((450..700).contains(&blocks), "{blocks} blocks");
    let mut rng = StdRng::seed_from_u64(7);
    for i in 0..30_000u64 {
        let key = key_for(rng.random_range(0..50_000));
        let t = tid(200_000 + i);
        tree.insert(2, &key, t).unwrap();
        model.insert((key, t));
    }
    assert_eq!(tree.verify().unwrap(), model.len() as u64);
    let lower = Bound::Included(b"k1".to_vec());
    let upper = Bound::Excluded(b"k2".to_vec());
    assert_eq!(
        all(&mut tree.scan(lower.clone(), upper.clone(), false), 13),
        model_scan(&model, &lower, &upper, false, usize::MAX)
    );
    assert_eq!(full(&tree, true), model.iter().cloned().collect::<Entries>());
    // Build into a relation set up by create(), and refuse a non-empty one.
    let rel2 = RelFileLocator { db: 1, relfilenode: 16601 };
    e.pool.smgr().create(rel2, Fork::Main).unwrap();
    let t2 = BTree::new(&e.pool, &e.wal, rel2);
    t2.create(1).unwrap();
    t2.build(1, &mut sorted[..5000].iter().cloned()).unwrap();
    assert_eq!(t2.verify().unwrap(), 5000);
    assert!(t2.build(1, &mut std::iter::empty()).is_err());
    assert!(t2.create(1).is_err());
    // Unsorted input is refused.
    let rel3 = RelFileLocator { db: 1, relfilenode: 16602 };
    e.pool.smgr().create(rel3, Fork::Main).unwrap();
    let t3 = BTree::new(&e.pool, &e.wal, rel3);
    let unsorted = vec![(b"b".to_vec(), tid(1)), (b"a".to_vec(), tid(2))];
    assert!(t3.build(1, &mut unsorted.into_iter()).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn build_of_nothing_and_of_big_keys() {
    let dir = temp("build-edge");
    let e = env(&dir, 16);
    let tree = e.tree();
    tree.build(1, &mut std::iter::empty()).unwrap();
    assert_eq!(tree.verify().unwrap(), 0);
    assert!(full(&tree, true).is_empty());
    tree.insert(1, b"x", tid(1)).unwrap();
    assert_eq!(full(&tree, false), vec![(b"x".to_vec(), tid(1))]);
    let rel2 = RelFileLocator { db: 1, relfilenode: 16603 };
    e.pool.smgr().create(rel2, Fork::Main).unwrap();
    let t2 = BTree::new(&e.pool, &e.wal, rel2);
    let big: Entries = (0..300u64).map(|i| (format!("{i:05}").into_bytes().repeat(MAX_KEY_SIZE / 5), tid(i))).collect();
    t2.build(1, &mut big.clone().into_iter()).unwrap();
    assert_eq!(t2.verify().unwrap(), 300);
    assert_eq!(full(&t2, true), big);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Keys several writers insert; long enough that the tree grows to three
/// levels (and its root splits) while they run.
fn shared_key(x: u64) -> Vec<u8> {
    format!("{x:05}{}", "p".repeat(90)).into_bytes()
}

/// Writers inserting overlapping and disjoint keys while readers scan both
/// ways: scans stay ordered without repeats, and every entry is there once.
#[test]
fn concurrent_inserts_and_scans() {
    let dir = temp("concurrent");
    let e = env(&dir, 128);
    let tree = e.tree();
    tree.create(1).unwrap();
    // Entries present throughout: every scan must return all of them.
    const BASE: u32 = 999_999;
    let base = 3000u64;
    for i in 0..base {
        tree.insert(0, &shared_key(i * 5000 / base), Tid { block: BASE, offset: i as u16 + 1 }).unwrap();
    }
    let writers = 4u64;
    let per_writer = 12_000u64;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let scans = std::sync::atomic::AtomicU64::new(0);
    let inserted: Vec<Entries> = std::thread::scope(|s| {
        let mut readers = Vec::new();
        for r in 0..2 {
            let (stop, scans, tree) = (&stop, &scans, tree);
            readers.push(s.spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Acquire) {
                    let forward = r == 0;
                    let got = all(&mut tree.scan(Bound::Unbounded, Bound::Unbounded, forward), 41);
                    for w in got.windows(2) {
                        if forward {
                            assert!(w[0] < w[1], "forward scan out of order or repeated: {w:?}");
                        } else {
                            assert!(w[0] > w[1], "backward scan out of order or repeated: {w:?}");
                        }
                    }
                    let seen = got.iter().filter(|(_, t)| t.block == BASE).count() as u64;
                    assert_eq!(seen, base, "a scan missed entries that were there all along");
                    scans.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }));
        }
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                s.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(w);
                    let mut mine = Vec::new();
                    for n in 0..per_writer {
                        let key = if n % 2 == 0 {
                            shared_key(rng.random_range(0..5000))
                        } else {
                            format!("w{w}-{n:06}").into_bytes()
                        };
                        let t = Tid { block: (w * 1000 + n / 1000) as u32, offset: (n % 1000) as u16 + 1 };
                        tree.insert(w, &key, t).unwrap();
                        mine.push((key, t));
                    }
                    mine
                })
            })
            .collect();
        let out = handles.into_iter().map(|h| h.join().unwrap()).collect();
        stop.store(true, std::sync::atomic::Ordering::Release);
        for r in readers {
            r.join().unwrap();
        }
        out
    });
    assert!(scans.load(std::sync::atomic::Ordering::Relaxed) > 2, "readers ran during the writes");
    assert_eq!(tree.root().unwrap().1, 2, "the root split while writers ran");
    let mut model: Model = inserted.into_iter().flatten().collect();
    assert_eq!(model.len() as u64, writers * per_writer);
    model.extend((0..base).map(|i| (shared_key(i * 5000 / base), Tid { block: BASE, offset: i as u16 + 1 })));
    assert_eq!(tree.verify().unwrap(), model.len() as u64);
    assert_eq!(full(&tree, true), model.iter().cloned().collect::<Entries>());
    assert_eq!(full(&tree, false), model.iter().rev().cloned().collect::<Entries>());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unique_insert_checks_equal_keys_only() {
    let dir = temp("unique");
    let e = env(&dir, 16);
    let tree = e.tree();
    tree.create(1).unwrap();
    // A run of one key over several pages, between neighbours.
    let key = |s: &str| format!("{s}{}", "-".repeat(200)).into_bytes();
    let dup = key("m");
    for i in 0..400u64 {
        tree.insert(1, &key("l"), tid(i)).unwrap();
        tree.insert(1, &dup, tid(2 * i + 1)).unwrap();
        tree.insert(1, &key("n"), tid(i)).unwrap();
    }
    let dup_count = {
        let mut c = tree.scan(Bound::Included(dup.clone()), Bound::Included(dup.clone()), true);
        all(&mut c, 1000).len()
    };
    assert_eq!(dup_count, 400);
    assert_eq!(tree.verify().unwrap(), 1200);
    let mut seen = Vec::new();
    // Its TID falls in the middle of the run, so the insert goes to a later page than the first checked.
    let r = tree.insert_unique(2, &dup, tid(400), &mut |t| {
        seen.push(t);
        Ok(UniqueCheck::Ok)
    });
    assert_eq!(r.unwrap(), InsertOutcome::Done);
    assert_eq!(tree.verify().unwrap(), 1201);
    seen.sort();
    assert_eq!(seen, (0..400u64).map(|i| tid(2 * i + 1)).collect::<Vec<_>>());
    // Wait: nothing inserted, the xid handed back.
    let r = tree.insert_unique(2, &dup, tid(2000), &mut |t| {
        Ok(if t == tid(601) { UniqueCheck::Wait(77) } else { UniqueCheck::Ok })
    });
    assert_eq!(r.unwrap(), InsertOutcome::Wait(77));
    // Conflict and the caller's own error: nothing inserted.
    let r = tree.insert_unique(2, &dup, tid(2001), &mut |t| {
        Ok(if t == tid(799) { UniqueCheck::Conflict } else { UniqueCheck::Ok })
    });
    assert!(r.unwrap_err().message().contains("duplicate key"));
    let r = tree.insert_unique(2, &dup, tid(2002), &mut |_| Err(crate::err!(SqlState::QUERY_CANCELED, "mine")));
    assert_eq!(r.unwrap_err().code(), SqlState::QUERY_CANCELED);
    // A new key sees no checks.
    let r = tree.insert_unique(2, &key("mm"), tid(1), &mut |_| panic!("no equal key"));
    assert_eq!(r.unwrap(), InsertOutcome::Done);
    assert_eq!(tree.verify().unwrap(), 1202);
    let dups = all(&mut tree.scan(Bound::Included(dup.clone()), Bound::Included(dup.clone()), true), 1000);
    assert_eq!(dups.len(), 401);
    assert!(dups.contains(&(dup.clone(), tid(400))));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Threads racing to insert the same keys into a unique index, each
/// treating any existing entry as a conflict: one wins per key.
#[test]
fn unique_insert_race_has_one_winner() {
    let dir = temp("unique-race");
    let e = env(&dir, 64);
    let tree = e.tree();
    tree.create(1).unwrap();
    let keys = 600u64;
    let wins: Vec<Vec<u64>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4u64)
            .map(|w| {
                s.spawn(move || {
                    let mut won = Vec::new();
                    for k in 0..keys {
                        let key = format!("{:08}{}", k * 37 % keys, "u".repeat((k % 50) as usize)).into_bytes();
                        let t = Tid { block: w as u32, offset: k as u16 + 1 };
                        match tree.insert_unique(w, &key, t, &mut |_| Ok(UniqueCheck::Conflict)) {
                            Ok(InsertOutcome::Done) => won.push(k),
                            Ok(InsertOutcome::Wait(_)) => panic!("no waits here"),
                            Err(e) => assert!(e.message().contains("duplicate key")),
                        }
                    }
                    won
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all_wins: Vec<u64> = wins.into_iter().flatten().collect();
    all_wins.sort();
    assert_eq!(all_wins, (0..keys).collect::<Vec<_>>(), "exactly one winner per key");
    assert_eq!(tree.verify().unwrap(), keys);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn keys_longer_than_the_maximum_are_refused() {
    let dir = temp("maxkey");
    let e = env(&dir, 16);
    let tree = e.tree();
    tree.create(1).unwrap();
    assert!((2600..=2704).contains(&MAX_KEY_SIZE));
    for i in 0..20 {
        tree.insert(1, &vec![i as u8; MAX_KEY_SIZE], tid(i)).unwrap();
    }
    let long = vec![7u8; MAX_KEY_SIZE + 1];
    let err = tree.insert(1, &long, tid(99)).unwrap_err();
    assert_eq!(err.code(), SqlState::PROGRAM_LIMIT_EXCEEDED);
    assert_eq!(err.message(), format!("index row size {} exceeds btree maximum, {MAX_KEY_SIZE}", MAX_KEY_SIZE + 1));
    let err = tree.insert_unique(1, &long, tid(99), &mut |_| Ok(UniqueCheck::Ok)).unwrap_err();
    assert_eq!(err.code(), SqlState::PROGRAM_LIMIT_EXCEEDED);
    assert_eq!(tree.verify().unwrap(), 20);
    let rel2 = RelFileLocator { db: 1, relfilenode: 16604 };
    e.pool.smgr().create(rel2, Fork::Main).unwrap();
    let t2 = BTree::new(&e.pool, &e.wal, rel2);
    assert_eq!(t2.build(1, &mut std::iter::once((long, tid(1)))).unwrap_err().code(), SqlState::PROGRAM_LIMIT_EXCEEDED);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every page of the relation, checksum field cleared (it is only set on
/// the copy written to disk).
fn dump(pool: &BufferPool) -> Vec<Vec<u8>> {
    let n = pool.smgr().nblocks(REL, Fork::Main).unwrap();
    (0..n)
        .map(|b| {
            let buf = pool.read_buffer(BufferTag { rel: REL, fork: Fork::Main, block: b }).unwrap();
            let mut bytes = buf.read().0.to_vec();
            bytes[8..12].fill(0);
            bytes
        })
        .collect()
}

fn workload(tree: &BTree<'_>, seed: u64, n: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut live = Vec::new();
    for i in 0..n {
        if i % 5 == 4 {
            let (k, t): (Vec<u8>, Tid) = live.swap_remove(rng.random_range(0..live.len()));
            assert!(tree.delete(9, &k, t).unwrap());
        } else {
            let key = key_for(rng.random_range(0..3000));
            let t = tid(seed * 1_000_000 + i);
            tree.insert(9, &key, t).unwrap();
            live.push((key, t));
        }
    }
}

fn replay(pool: &BufferPool, wal_dir: &std::path::Path, from: u64, prev: u64) -> usize {
    let mut n = 0;
    for rec in Wal::read_from(wal_dir, SEGMENT, from, prev) {
        assert_eq!(rec.rmgr, Rmgr::Btree);
        redo(pool, &rec).unwrap();
        n += 1;
    }
    n
}

/// The WAL alone rebuilds the index, page for page, in an empty directory;
/// replaying it twice is the same as once.
#[test]
fn replay_rebuilds_every_page() {
    let dir = temp("redo");
    let e = env(&dir, 16);
    let tree = e.tree();
    tree.create(1).unwrap();
    workload(&tree, 1, 15_000);
    // A checkpoint in the middle: later first changes log full images.
    e.wal.begin_checkpoint();
    e.pool.flush_all(Writer::Checkpointer).unwrap();
    workload(&tree, 2, 15_000);
    e.wal.flush_to(e.wal.insert_end()).unwrap();
    let expected = dump(&e.pool);
    let count = tree.verify().unwrap();
    assert!(expected.len() > 100);
    let dir2 = temp("redo-target");
    let e2 = env(&dir2, 16);
    assert!(replay(&e2.pool, &dir.join("wal"), 0, 0) > 20_000);
    assert_eq!(dump(&e2.pool), expected);
    assert_eq!(e2.tree().verify().unwrap(), count);
    assert_eq!(full(&e2.tree(), true), full(&tree, true));
    replay(&e2.pool, &dir.join("wal"), 0, 0);
    assert_eq!(dump(&e2.pool), expected);
    // From a record in the middle of the log, where no full image precedes
    // the changes: pages that already have them must be left alone.
    let recs: Vec<(u64, u64)> = Wal::read_from(&dir.join("wal"), SEGMENT, 0, 0).map(|r| (r.lsn, r.prev)).collect();
    let (mid, mid_prev) = recs[recs.len() * 3 / 4];
    assert!(replay(&e2.pool, &dir.join("wal"), mid, mid_prev) > 1000);
    assert_eq!(dump(&e2.pool), expected);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

/// After a checkpoint, pages torn on disk are repaired from the full
/// images their first change logged.
#[test]
fn full_page_images_repair_torn_pages() {
    let dir = temp("torn");
    let (expected, redo_from, redo_prev) = {
        let e = env(&dir, 64);
        let tree = e.tree();
        tree.create(1).unwrap();
        workload(&tree, 3, 8000);
        let (redo, prev) = e.wal.begin_checkpoint();
        e.pool.flush_all(Writer::Checkpointer).unwrap();
        workload(&tree, 4, 8000);
        e.wal.flush_to(e.wal.insert_end()).unwrap();
        e.pool.flush_all(Writer::Checkpointer).unwrap();
        (dump(&e.pool), redo, prev)
    };
    let file = dir.join("base/1/16600");
    let mut bytes = std::fs::read(&file).unwrap();
    let lsn = |p: &Vec<u8>| u64::from_le_bytes(p[..8].try_into().unwrap());
    let changed: Vec<usize> = expected.iter().enumerate().filter(|(_, p)| lsn(p) > redo_from).map(|(b, _)| b).collect();
    assert!(changed.len() > 10);
    for b in changed {
        bytes[b * PAGE_SIZE + 4096..(b + 1) * PAGE_SIZE].fill(0xAB);
    }
    std::fs::write(&file, &bytes).unwrap();
    let e = env(&dir, 64);
    replay(&e.pool, &dir.join("wal"), redo_from, redo_prev);
    assert_eq!(dump(&e.pool), expected);
    e.tree().verify().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn prefix_bounds_on_a_small_index() {
    let dir = temp("prefix");
    let e = env(&dir, 16);
    let tree = e.tree();
    tree.create(1).unwrap();
    for (i, k) in [&b"a"[..], b"ab", b"abc", b"abd", b"ac", b"b"].iter().enumerate() {
        tree.insert(1, k, tid(i as u64)).unwrap();
    }
    let keys = |lo: Bound<&[u8]>, hi: Bound<&[u8]>, fwd: bool| -> Vec<Vec<u8>> {
        let mut c = tree.scan(lo.map(<[u8]>::to_vec), hi.map(<[u8]>::to_vec), fwd);
        all(&mut c, 2).into_iter().map(|(k, _)| k).collect()
    };
    let v = |s: &[&str]| -> Vec<Vec<u8>> { s.iter().map(|x| x.as_bytes().to_vec()).collect() };
    use Bound::*;
    assert_eq!(keys(Included(b"ab"), Included(b"ab"), true), v(&["ab", "abc", "abd"]));
    assert_eq!(keys(Excluded(b"ab"), Unbounded, true), v(&["ac", "b"]));
    assert_eq!(keys(Unbounded, Excluded(b"ab"), false), v(&["a"]));
    assert_eq!(keys(Excluded(b"a"), Excluded(b"b"), false), v(&[]));
    assert_eq!(keys(Included(b"a"), Excluded(b"b"), false), v(&["ac", "abd", "abc", "ab", "a"]));
    assert_eq!(keys(Included(b"c"), Unbounded, true), v(&[]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Inserts and deletes from several threads through a small pool, with a
/// backward scanner, then a check that exactly the survivors remain.
#[test]
fn concurrent_inserts_and_deletes_in_a_small_pool() {
    let dir = temp("churn");
    let e = env(&dir, 48);
    let tree = e.tree();
    tree.create(1).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let survivors: Vec<Entries> = std::thread::scope(|s| {
        let stop = &stop;
        let reader = s.spawn(move || {
            let mut scans = 0;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                let got = all(&mut tree.scan(Bound::Included(b"k1".to_vec()), Bound::Unbounded, false), 29);
                assert!(got.windows(2).all(|w| w[0] > w[1]), "backward scan out of order or repeated");
                assert!(got.iter().all(|(k, _)| k.as_slice() >= &b"k1"[..]));
                scans += 1;
            }
            scans
        });
        let hs: Vec<_> = (0..3u64)
            .map(|w| {
                s.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(100 + w);
                    let mut live: Entries = Vec::new();
                    for n in 0..15_000u64 {
                        if n % 3 == 2 {
                            let (k, t) = live.swap_remove(rng.random_range(0..live.len()));
                            assert!(tree.delete(w, &k, t).unwrap());
                        } else {
                            let key = key_for(rng.random_range(0..3000));
                            let t = Tid { block: (w * 1000 + n / 1000) as u32, offset: (n % 1000) as u16 + 1 };
                            tree.insert(w, &key, t).unwrap();
                            live.push((key, t));
                        }
                    }
                    live
                })
            })
            .collect();
        let out: Vec<Entries> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        stop.store(true, std::sync::atomic::Ordering::Release);
        assert!(reader.join().unwrap() > 0);
        out
    });
    let model: Model = survivors.into_iter().flatten().collect();
    assert_eq!(tree.verify().unwrap(), model.len() as u64);
    assert_eq!(full(&tree, true), model.iter().cloned().collect::<Entries>());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A split whose descent path is used up below the root (the root split
/// since) finds the parent by a new descent: for every page of the two
/// lower levels, from an empty path, the parent found holds its downlink.
#[test]
fn parent_found_without_a_descent_path() {
    let dir = temp("parent");
    let e = env(&dir, 32);
    let tree = e.tree();
    let entries: Entries = (0..20_000u64).map(|i| (shared_key(i), tid(i))).collect();
    tree.build(1, &mut entries.into_iter()).unwrap();
    assert_eq!(tree.root().unwrap().1, 2);
    for level in 0..2 {
        let mut block = Some(tree.descend(&node::Goal::Start, level, None, None).unwrap().tag().block);
        let mut pages = 0;
        while let Some(b) = block {
            let (sep, right) = {
                let p = tree.read(b).unwrap();
                let off = node::first_data(&*p) + if level == 0 { 0 } else { 1 };
                let it = node::raw_item(&*p, off);
                let e = node::decode_entry(if level == 0 { it } else { &it[4..] });
                ((e.key.to_vec(), e.tid), node::right(&*p))
            };
            match tree.find_parent(&mut Vec::new(), b, level, node::Entry { key: &sep.0, tid: sep.1 }).unwrap() {
                insert::Up::Parent(parent, off) => assert_eq!(node::downlink(&*parent, off).0, b),
                insert::Up::Root(_) => panic!("block {b} is not the root"),
            }
            block = right;
            pages += 1;
        }
        assert!(pages > 3, "{pages} pages at level {level}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A split that cannot get a buffer for the new root fails cleanly: the
/// tree is as it was, and the insert works once buffers are free again.
#[test]
fn failed_split_leaves_the_tree_unchanged() {
    let dir = temp("split-fail");
    let e = env(&dir, 4);
    let tree = e.tree();
    tree.create(1).unwrap();
    let key = |i: u64| format!("{i:04}{}", "s".repeat(600)).into_bytes();
    let mut n = 0;
    while tree.read(1).unwrap().free_space() >= node::item_cost(node::ENTRY_HEADER + key(0).len()) {
        tree.insert(1, &key(n), tid(n)).unwrap();
        n += 1;
    }
    let before = full(&tree, true);
    let other = RelFileLocator { db: 1, relfilenode: 16605 };
    e.pool.smgr().create(other, Fork::Main).unwrap();
    // Leaf, new right page and metapage get the three other frames; the new root none.
    let hold = e.pool.extend(other, Fork::Main).unwrap();
    let err = tree.insert(1, &key(n), tid(n)).unwrap_err();
    assert_eq!(err.code(), SqlState::INSUFFICIENT_RESOURCES);
    drop(hold);
    assert_eq!(tree.verify().unwrap(), n);
    assert_eq!(full(&tree, true), before);
    tree.insert(1, &key(n), tid(n)).unwrap();
    assert_eq!(tree.verify().unwrap(), n + 1);
    assert_eq!(tree.root().unwrap().1, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `verify` notices entries out of order, a high key that disagrees with
/// the parent, and a broken right-link.
#[test]
fn verify_finds_damage() {
    let dir = temp("damage");
    let e = env(&dir, 32);
    let tree = e.tree();
    let entries: Entries = (0..5000u64).map(|i| (key_for(i), tid(i))).collect::<Model>().into_iter().collect();
    tree.build(1, &mut entries.into_iter()).unwrap();
    assert_eq!(tree.verify().unwrap(), 5000);
    let leaf = tree.descend(&node::Goal::Start, 0, None, None).unwrap().tag().block;
    let damage = |f: &dyn Fn(&mut PageBuf)| -> String {
        let mut page = tree.write(leaf).unwrap();
        let saved = (*page).clone();
        f(&mut page);
        drop(page);
        let msg = tree.verify().unwrap_err().message().to_string();
        *tree.write(leaf).unwrap() = saved;
        assert_eq!(tree.verify().unwrap(), 5000);
        msg
    };
    let swap = |p: &mut PageBuf| {
        let (a, b) = (p.line_pointer(3).unwrap(), p.line_pointer(4).unwrap());
        p.set_line_pointer(3, b);
        p.set_line_pointer(4, a);
    };
    assert!(damage(&swap).contains("out of order"));
    let drop_high_key_entry = |p: &mut PageBuf| {
        // The last entry moved past the high key.
        let last = p.max_offset();
        let hk = p.line_pointer(1).unwrap();
        p.set_line_pointer(1, p.line_pointer(last).unwrap());
        p.set_line_pointer(last, hk);
    };
    assert!(!damage(&drop_high_key_entry).is_empty());
    let relink = |p: &mut PageBuf| {
        let r = node::right(p).unwrap();
        node::set_right(p, r + 1);
    };
    assert!(damage(&relink).contains("right-link"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Cursors paused between batches while inserts split the pages around
/// their position and deletes remove entries ahead of them: each goes on
/// from where it stopped, in order, returning every entry that was there
/// throughout, none of the deleted ones, and new ones only ahead of it.
#[test]
fn cursors_resume_after_splits_and_deletes() {
    let dir = temp("resume");
    let e = env(&dir, 32);
    let tree = e.tree();
    let old: Model = (0..20_000u64).map(|i| (key_for(i), tid(i))).collect();
    tree.build(1, &mut old.iter().cloned()).unwrap();
    let mut fwd = tree.scan(Bound::Unbounded, Bound::Unbounded, true);
    let mut bwd = tree.scan(Bound::Unbounded, Bound::Unbounded, false);
    let (mut f_out, mut b_out) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        pairs(&mut fwd, &mut f_out, 250).unwrap();
        pairs(&mut bwd, &mut b_out, 250).unwrap();
    }
    // Pause late in a leaf (they hold ~250 entries), so that its split
    // moves the forward cursor's position to the new right page.
    pairs(&mut fwd, &mut f_out, 200).unwrap();
    let (f_pos, b_pos) = (f_out.last().unwrap().clone(), b_out.last().unwrap().clone());
    let mut rng = StdRng::seed_from_u64(99);
    let mut new = Model::new();
    for i in 0..20_000u64 {
        let k = (key_for(rng.random_range(0..3000)), tid(100_000 + i));
        tree.insert(2, &k.0, k.1).unwrap();
        new.insert(k);
    }
    let deleted: Model = old.iter().step_by(7).cloned().collect();
    for (k, t) in &deleted {
        assert!(tree.delete(3, k, *t).unwrap());
    }
    while pairs(&mut fwd, &mut f_out, 250).unwrap() {}
    while pairs(&mut bwd, &mut b_out, 250).unwrap() {}
    assert!(f_out.windows(2).all(|w| w[0] < w[1]));
    assert!(b_out.windows(2).all(|w| w[0] > w[1]));
    for (out, pos, ahead) in [(&f_out, &f_pos, true), (&b_out, &b_pos, false)] {
        let at = out.iter().position(|x| x == pos).unwrap();
        let after: Model = out[at + 1..].iter().cloned().collect();
        for x in &after {
            assert!(old.contains(x) && !deleted.contains(x) || new.contains(x));
        }
        let expected = old.iter().filter(|x| !deleted.contains(*x) && ((*x > pos) == ahead) && *x != pos);
        for x in expected {
            assert!(after.contains(x), "{x:?} missed");
        }
    }
    assert_eq!(tree.verify().unwrap(), (old.len() - deleted.len() + new.len()) as u64);
    let _ = std::fs::remove_dir_all(&dir);
}

/// INCLUDE payloads ride along in leaf entries through builds, inserts and
/// splits, come back with scans, and never reach high keys or separators.
#[test]
fn include_payloads_stay_in_leaf_entries() {
    let dir = temp("include");
    let e = env(&dir, 32);
    let tree = e.tree();
    let payload = |i: u64| format!("payload-{i}-").repeat((i % 5) as usize + 1).into_bytes();
    let built: Vec<IndexEntry> =
        (0..20_000u64).map(|i| IndexEntry { key: key_for(2 * i), tid: tid(i), include: payload(i) }).collect();
    let mut sorted = built.clone();
    sorted.sort_by(|a, b| (&a.key, a.tid).cmp(&(&b.key, b.tid)));
    tree.build_with(1, &mut sorted.into_iter()).unwrap();
    for i in 20_000..40_000u64 {
        tree.insert_with(2, &key_for(2 * i + 1), &payload(i), tid(i)).unwrap();
    }
    assert_eq!(tree.verify().unwrap(), 40_000);
    let mut c = tree.scan(Bound::Unbounded, Bound::Unbounded, true);
    let mut got = Vec::new();
    while c.next_batch(&mut got, 300).unwrap() {}
    assert_eq!(got.len(), 40_000);
    for g in &got {
        let i = g.tid.block as u64 * 200 + g.tid.offset as u64 - 1;
        assert_eq!(g.include, payload(i), "entry {i}");
    }
    // Every page but the leaves' data items holds keys alone.
    let blocks = e.pool.smgr().nblocks(REL, Fork::Main).unwrap();
    for b in 1..blocks {
        let page = tree.read(b).unwrap();
        if let Some(hk) = node::high_key_bytes(&*page) {
            assert!(node::include_of(hk).is_empty(), "high key of block {b}");
        }
        if !node::is_leaf(&*page) {
            for off in node::first_data(&*page)..=page.max_offset() {
                let it = node::raw_item(&*page, off);
                assert!(it.len() == 4 || node::include_of(&it[4..]).is_empty(), "separator in block {b}");
            }
        }
    }
    // The payload counts towards the size limit.
    let long = vec![7u8; MAX_KEY_SIZE - 10];
    assert_eq!(tree.insert_with(3, &long, &[1; 11], tid(0)).unwrap_err().code(), SqlState::PROGRAM_LIMIT_EXCEEDED);
    tree.insert_with(3, &long, &[1; 10], tid(0)).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

mod vacuum;
