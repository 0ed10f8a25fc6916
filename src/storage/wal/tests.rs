use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::*;

fn temp(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tusk-wal-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn records_cross_segments_and_read_back() {
    let dir = temp("segs");
    let wal = Wal::open(&dir, 4096, true, 0, 0).unwrap();
    let mut lsns = Vec::new();
    for i in 0..100u64 {
        let payload = vec![i as u8; (i as usize * 37) % 500 + 1];
        lsns.push(wal.insert(i, Rmgr::Heap, 1, &payload).unwrap());
        if i % 10 == 0 {
            wal.flush_to(wal.insert_end()).unwrap();
        }
    }
    let end = wal.insert_end();
    wal.flush_to(end).unwrap();
    assert!(dir.join(format!("{:016X}", 4096)).exists(), "more than one segment");
    let mut reader = Wal::read_from(&dir, 4096, 0, 0);
    let recs: Vec<Record> = reader.by_ref().collect();
    assert_eq!(recs.len(), 100);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r.lsn, lsns[i].0);
        assert_eq!(r.xid, i as u64);
        assert_eq!(r.payload.len(), (i * 37) % 500 + 1);
    }
    assert_eq!(reader.position(), end);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_flush_spanning_many_segments() {
    // A bulk load can leave more than two segments' worth of log unflushed;
    // the flush must write and sync every one of them.
    let dir = temp("span");
    let wal = Wal::open(&dir, 4096, true, 0, 0).unwrap();
    for i in 0..40u64 {
        wal.insert(i, Rmgr::Heap, 1, &[i as u8; 1000]).unwrap();
    }
    let end = wal.insert_end();
    assert!(end > 5 * 4096);
    wal.flush_to(end).unwrap();
    assert_eq!(Wal::read_from(&dir, 4096, 0, 0).count(), 40);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unflushed_records_are_not_on_disk_and_a_torn_tail_ends_replay() {
    let dir = temp("torn");
    let wal = Wal::open(&dir, 1 << 16, true, 0, 0).unwrap();
    for i in 0..10 {
        wal.insert(i, Rmgr::Heap, 0, b"0123456789").unwrap();
    }
    let (_, end5) = (0..1).map(|_| wal.insert(99, Rmgr::Heap, 0, b"last flushed").unwrap()).next().unwrap();
    wal.flush_to(end5).unwrap();
    wal.insert(100, Rmgr::Heap, 0, b"never flushed").unwrap();
    assert_eq!(Wal::read_from(&dir, 1 << 16, 0, 0).count(), 11);
    // Tear the last record: flip a byte inside it.
    let seg = dir.join(format!("{:016X}", 0));
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes[end5 as usize - 5] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let mut r = Wal::read_from(&dir, 1 << 16, 0, 0);
    assert_eq!(r.by_ref().count(), 10);
    // A log reopened at the end of valid WAL continues from there.
    let (pos, prev) = (r.position(), r.prev());
    let wal = Wal::open(&dir, 1 << 16, true, pos, prev).unwrap();
    wal.insert(7, Rmgr::Heap, 0, b"after recovery").unwrap();
    wal.flush_to(wal.insert_end()).unwrap();
    let recs: Vec<Record> = Wal::read_from(&dir, 1 << 16, 0, 0).collect();
    assert_eq!(recs.len(), 11);
    assert_eq!(recs[10].payload, b"after recovery");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn concurrent_inserters_lose_nothing() {
    let dir = temp("conc");
    let wal = Arc::new(Wal::open(&dir, 1 << 20, false, 0, 0).unwrap());
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let wal = wal.clone();
            std::thread::spawn(move || {
                for i in 0..1000u64 {
                    wal.insert(t, Rmgr::Heap, 0, &(t * 1_000_000 + i).to_le_bytes()).unwrap();
                    if i % 100 == 0 {
                        wal.flush_to(wal.insert_end()).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    wal.flush_to(wal.insert_end()).unwrap();
    let mut seen: Vec<u64> =
        Wal::read_from(&dir, 1 << 20, 0, 0).map(|r| u64::from_le_bytes(r.payload.try_into().unwrap())).collect();
    assert_eq!(seen.len(), 8000);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_shares_syncs() {
    let dir = temp("group");
    let wal = Arc::new(Wal::open(&dir, 1 << 24, true, 0, 0).unwrap());
    let stop = CancellationToken::new();
    let writer = tokio::spawn(run_writer(wal.clone(), Duration::from_millis(200), stop.clone()));
    let committers: Vec<_> = (0..32u64)
        .map(|t| {
            let wal = wal.clone();
            tokio::spawn(async move {
                for i in 0..20u64 {
                    let (_, end) = wal.insert(t, Rmgr::Transaction, 0, &i.to_le_bytes()).unwrap();
                    wal.wait_flushed(end).await.unwrap();
                    assert!(wal.flushed() >= end);
                }
            })
        })
        .collect();
    for c in committers {
        c.await.unwrap();
    }
    stop.cancel();
    writer.await.unwrap();
    let commits = 32 * 20;
    let flushes = wal.stats.flushes.load(Ordering::Relaxed);
    assert!(flushes < commits, "{flushes} syncs for {commits} commits: no grouping");
    assert_eq!(Wal::read_from(&dir, 1 << 24, 0, 0).count(), 640);
    let _ = std::fs::remove_dir_all(&dir);
}
