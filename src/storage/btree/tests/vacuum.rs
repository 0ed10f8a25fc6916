//! Page deletion by [`BTree::vacuum_pages`] and the reuse of deleted pages.

use super::*;

const MIN_TID: Tid = Tid { block: 0, offset: 0 };

fn nblocks(e: &Env) -> u32 {
    e.pool.smgr().nblocks(REL, Fork::Main).unwrap()
}

/// Dense keys in order: whole leaves of them empty out when a range of
/// them is deleted.
fn seq_key(i: u64) -> Vec<u8> {
    format!("k{i:07}{:40}", "").into_bytes()
}

/// Random inserts and range deletes with VACUUM between them, against a
/// model: the tree stays valid and equal to the model, empty leaves are
/// deleted, and the index does not grow across cycles of filling and
/// emptying.
#[test]
fn vacuum_deletes_empty_leaves_and_reuses_them() {
    let dir = temp("vacuum-model");
    let e = env(&dir, 32);
    let tree = e.tree();
    tree.create(1).unwrap();
    let mut rng = StdRng::seed_from_u64(0xdead_1eaf);
    let mut model = Model::new();
    let mut sizes = Vec::new();
    for round in 0..4u64 {
        // Fill: 40k entries, in random order over a dense key space.
        let mut ids: Vec<u64> = (0..40_000).collect();
        for i in (1..ids.len()).rev() {
            ids.swap(i, rng.random_range(0..=i));
        }
        for &id in &ids {
            let (k, t) = (seq_key(id), tid(round * 100_000 + id));
            tree.insert(2, &k, t).unwrap();
            model.insert((k, t));
        }
        sizes.push(nblocks(&e));
        // Empty random ranges, vacuuming between them, with scans checked.
        while !model.is_empty() {
            let from = rng.random_range(0..40_000u64);
            let len = rng.random_range(1..15_000u64);
            let doomed: Entries =
                model.range((seq_key(from), MIN_TID)..(seq_key(from + len), MIN_TID)).cloned().collect();
            let doomed = if doomed.is_empty() { model.iter().cloned().collect() } else { doomed };
            for (k, t) in &doomed {
                assert!(tree.delete(3, k, *t).unwrap());
                model.remove(&(k.clone(), *t));
            }
            let stats = tree.vacuum_pages(4).unwrap();
            assert_eq!(tree.verify().unwrap(), model.len() as u64, "round {round}");
            for _ in 0..20 {
                let (lower, upper) = (random_seq_bound(&mut rng), random_seq_bound(&mut rng));
                let forward = rng.random_bool(0.5);
                let got = all(&mut tree.scan(lower.clone(), upper.clone(), forward), rng.random_range(1..50));
                assert_eq!(got, model_scan(&model, &lower, &upper, forward, usize::MAX));
            }
            assert!(stats.free <= stats.pages);
        }
        let stats = tree.vacuum_pages(4).unwrap();
        // All leaves but one per parent (its last child) are deleted.
        assert!(stats.free * 10 >= stats.pages * 8, "{stats:?}");
    }
    let want: Entries = model.iter().cloned().collect();
    assert_eq!(full(&tree, true), want);
    assert!(sizes[0] > 400, "{sizes:?}");
    assert!(sizes.iter().all(|&s| s <= sizes[0] + sizes[0] / 20), "the index grows: {sizes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn random_seq_bound(rng: &mut StdRng) -> Bound<Vec<u8>> {
    let k = seq_key(rng.random_range(0..40_000));
    bound_of(rng, k)
}

/// Scans forward and backward, in small batches, while other threads fill
/// and empty ranges of keys and VACUUM deletes and reuses their pages:
/// every key that stays in the index is seen exactly once, in order.
#[test]
fn scans_miss_nothing_while_pages_are_deleted() {
    let dir = temp("vacuum-scan");
    let e = env(&dir, 64);
    let tree = e.tree();
    tree.create(1).unwrap();
    const SPAN: u64 = 60_000;
    // Every 700th key stays; the ones between come and go in runs.
    let stable: Entries = (0..SPAN).step_by(700).map(|i| (seq_key(i), tid(i))).collect();
    for (k, t) in &stable {
        tree.insert(1, k, *t).unwrap();
    }
    let stable_tids: std::collections::HashSet<Tid> = stable.iter().map(|s| s.1).collect();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let passes = std::thread::scope(|s| {
        let (stop, stable, stable_tids) = (&stop, &stable, &stable_tids);
        let scanners: Vec<_> = [true, false]
            .into_iter()
            .map(|forward| {
                s.spawn(move || {
                    let mut n = 0;
                    let mut rng = StdRng::seed_from_u64(forward as u64);
                    while !stop.load(std::sync::atomic::Ordering::Acquire) || n < 3 {
                        let got =
                            all(&mut tree.scan(Bound::Unbounded, Bound::Unbounded, forward), rng.random_range(1..40));
                        if forward {
                            assert!(got.windows(2).all(|w| w[0] < w[1]), "forward scan out of order or repeated");
                        } else {
                            assert!(got.windows(2).all(|w| w[0] > w[1]), "backward scan out of order or repeated");
                        }
                        let mut seen: Entries = got.into_iter().filter(|(_, t)| stable_tids.contains(t)).collect();
                        if !forward {
                            seen.reverse();
                        }
                        assert_eq!(seen.len(), stable.len(), "a stable key was missed or repeated");
                        assert_eq!(&seen, stable);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let churners: Vec<_> = (0..2u64)
            .map(|w| {
                s.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(40 + w);
                    for _ in 0..8 {
                        let from = rng.random_range(0..SPAN - 2000);
                        let run: Entries = (from..from + 2000)
                            .filter(|i| i % 700 != 0 && i % 2 == w)
                            .map(|i| (seq_key(i), tid(SPAN * (w + 1) + i)))
                            .collect();
                        for (k, t) in &run {
                            tree.insert(2, k, *t).unwrap();
                        }
                        for (k, t) in &run {
                            assert!(tree.delete(2, k, *t).unwrap());
                        }
                    }
                })
            })
            .collect();
        let vacuum = s.spawn(move || {
            let mut deleted = 0;
            while !stop.load(std::sync::atomic::Ordering::Acquire) {
                deleted += tree.vacuum_pages(3).unwrap().deleted;
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
            deleted
        });
        // Stop the others before a failed churner's panic is passed on.
        let churned: Vec<_> = churners.into_iter().map(|h| h.join()).collect();
        stop.store(true, std::sync::atomic::Ordering::Release);
        churned.into_iter().for_each(|r| r.unwrap());
        assert!(vacuum.join().unwrap() > 5, "VACUUM deleted hardly any page");
        scanners.into_iter().map(|h| h.join().unwrap()).sum::<usize>()
    });
    assert!(passes >= 6);
    assert_eq!(tree.verify().unwrap(), stable.len() as u64);
    assert_eq!(full(&tree, true), stable);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Deletions and reuse replay from the WAL page for page; and the tree
/// replayed up to any record of a VACUUM (a crash in the middle of it) is
/// valid and holds the same entries.
#[test]
fn page_deletion_replays_and_every_prefix_is_a_valid_tree() {
    let dir = temp("vacuum-redo");
    let e = env(&dir, 32);
    let tree = e.tree();
    tree.create(1).unwrap();
    let entries: Entries = (0..20_000).map(|i| (seq_key(i * 7 % 20_000), tid(i))).collect();
    for (k, t) in &entries {
        tree.insert(1, k, *t).unwrap();
    }
    let keep: Model = entries.iter().filter(|(k, _)| k[5] == b'3').cloned().collect();
    for (k, t) in entries.iter().filter(|x| !keep.contains(*x)) {
        assert!(tree.delete(2, k, *t).unwrap());
    }
    let vacuum_from = e.wal.insert_end();
    assert!(tree.vacuum_pages(3).unwrap().deleted > 20);
    for i in 0..5000 {
        tree.insert(4, &seq_key(i), tid(50_000 + i)).unwrap();
    }
    e.wal.flush_to(e.wal.insert_end()).unwrap();
    let expected = dump(&e.pool);
    let count = tree.verify().unwrap();
    let dir2 = temp("vacuum-redo-target");
    let e2 = env(&dir2, 32);
    replay(&e2.pool, &dir.join("wal"), 0, 0);
    assert_eq!(dump(&e2.pool), expected);
    assert_eq!(e2.tree().verify().unwrap(), count);
    let _ = std::fs::remove_dir_all(&dir2);

    let recs: Vec<(u64, u64)> = Wal::read_from(&dir.join("wal"), SEGMENT, 0, 0).map(|r| (r.lsn, r.prev)).collect();
    let first = recs.iter().position(|r| r.0 >= vacuum_from).unwrap();
    for cut in [first + 1, first + 5, first + 17, first + 30] {
        let dir3 = temp(&format!("vacuum-prefix-{cut}"));
        let e3 = env(&dir3, 32);
        for rec in Wal::read_from(&dir.join("wal"), SEGMENT, 0, 0).take(cut) {
            redo(&e3.pool, &rec).unwrap();
        }
        assert_eq!(e3.tree().verify().unwrap(), keep.len() as u64, "replayed up to record {cut}");
        assert_eq!(full(&e3.tree(), true), keep.iter().cloned().collect::<Entries>());
        let _ = std::fs::remove_dir_all(&dir3);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Wide keys, so that a few thousand entries make four levels: a parent
/// holds only a handful of leaves, and emptied key ranges leave parents
/// whose only child is empty.
fn wide_key(i: u64) -> Vec<u8> {
    format!("w{i:07}{:400}", "").into_bytes()
}

/// Emptying large key ranges and vacuuming deletes each emptied leaf and,
/// where it is the only child left, its parent with it: the tree stays
/// valid and equal to the model, almost every page of an emptied tree is
/// free, refilling reuses them instead of growing the file, and the WAL
/// replays into the same pages.
#[test]
fn empty_leaves_go_with_parents_left_without_children() {
    let dir = temp("vacuum-parents");
    let e = env(&dir, 64);
    let tree = e.tree();
    tree.create(1).unwrap();
    let mut rng = StdRng::seed_from_u64(0x009a_7e17);
    let mut model = Model::new();
    const N: u64 = 6000;
    let mut sizes = Vec::new();
    let mut freed_parents = false;
    for round in 0..3u64 {
        let mut ids: Vec<u64> = (0..N).collect();
        for i in (1..ids.len()).rev() {
            ids.swap(i, rng.random_range(0..=i));
        }
        for &id in &ids {
            let (k, t) = (wide_key(id), tid(round * 100_000 + id));
            tree.insert(2, &k, t).unwrap();
            model.insert((k, t));
        }
        sizes.push(nblocks(&e));
        let kept = |k: &[u8]| k.starts_with(b"w0001000") || k.starts_with(b"w0005000");
        while model.iter().any(|(k, _)| !kept(k)) {
            let from = rng.random_range(0..N);
            let len = rng.random_range(1..N / 3);
            let doomed: Entries =
                model.range((wide_key(from), MIN_TID)..(wide_key(from + len), MIN_TID)).cloned().collect();
            // The last few entries stay, far apart: their leaves' parents do too.
            let doomed: Entries = doomed.into_iter().filter(|(k, _)| !kept(k)).collect();
            for (k, t) in &doomed {
                assert!(tree.delete(3, k, *t).unwrap());
                model.remove(&(k.clone(), *t));
            }
            tree.vacuum_pages(4).unwrap();
            assert_eq!(tree.verify().unwrap(), model.len() as u64, "round {round}");
            for _ in 0..10 {
                let at = wide_key(rng.random_range(0..N));
                let (lower, upper) = (bound_of(&mut rng, at), Bound::Unbounded);
                let forward = rng.random_bool(0.5);
                let got = all(&mut tree.scan(lower.clone(), upper.clone(), forward), rng.random_range(1..30));
                assert_eq!(got, model_scan(&model, &lower, &upper, forward, usize::MAX));
            }
        }
        let stats = tree.vacuum_pages(4).unwrap();
        // Leaves and their parents alike: only the pages on the paths to
        // the entries left, and the rightmost pages of each level, stay.
        // (Before parents were deleted, one leaf per parent stayed too: over 40 pages.)
        assert!(stats.free + 24 >= stats.pages, "round {round}: {stats:?}");
        freed_parents |= stats.free > stats.pages * 9 / 10;
    }
    assert!(freed_parents);
    assert!(sizes[0] > 400, "{sizes:?}");
    assert!(sizes.iter().all(|&s| s <= sizes[0] + sizes[0] / 20), "the index grows: {sizes:?}");
    assert_eq!(full(&tree, true), model.iter().cloned().collect::<Entries>());
    e.wal.flush_to(e.wal.insert_end()).unwrap();
    let expected = dump(&e.pool);
    let count = tree.verify().unwrap();
    let dir2 = temp("vacuum-parents-replayed");
    let e2 = env(&dir2, 64);
    replay(&e2.pool, &dir.join("wal"), 0, 0);
    assert_eq!(dump(&e2.pool), expected);
    assert_eq!(e2.tree().verify().unwrap(), count);
    let _ = std::fs::remove_dir_all(&dir2);
    let _ = std::fs::remove_dir_all(&dir);
}
