use std::sync::Arc;

use super::*;
use crate::storage::buffer::WalFlush;
use crate::storage::heap::tuple::{Header, deform_stored, form};
use crate::storage::smgr::{Fork, Smgr};
use crate::storage::wal::Rmgr;

const MAIN: RelFileLocator = RelFileLocator { db: 1, relfilenode: 16600 };
const TOAST: ToastRelation = ToastRelation {
    oid: 16601,
    heap: RelFileLocator { db: 1, relfilenode: 16601 },
    index: RelFileLocator { db: 1, relfilenode: 16602 },
};

fn temp(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("tusk-toast-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

struct Env {
    wal: Arc<Wal>,
    pool: BufferPool,
}

/// Storage over `dir` (64 MiB WAL segments: big values make a lot of WAL).
fn env(dir: &std::path::Path, frames: usize) -> Env {
    let wal = Arc::new(Wal::open(&dir.join("wal"), 64 << 20, false, 0, 0).unwrap());
    let smgr = Arc::new(Smgr::new(dir, 32));
    for rel in [MAIN, TOAST.heap, TOAST.index] {
        smgr.create(rel, Fork::Main).unwrap();
    }
    let pool = BufferPool::new(frames, smgr, wal.clone() as Arc<dyn WalFlush>);
    if pool.smgr().nblocks(TOAST.index, Fork::Main).unwrap() == 0 {
        Toaster::new(&pool, &wal, Some(TOAST)).create_index(7).unwrap();
    }
    Env { wal, pool }
}

fn desc() -> TupleDesc {
    TupleDesc::new(vec![Attr { len: 8, align: 8 }, Attr { len: -1, align: 4 }, Attr { len: -1, align: 4 }])
}

/// Deterministic bytes: random (incompressible) or a short repeated phrase.
fn value(len: usize, seed: u64, compressible: bool) -> Vec<u8> {
    if compressible {
        return b"all work and no play makes jack a dull boy. ".iter().copied().cycle().take(len).collect();
    }
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn oids() -> impl FnMut() -> Result<u32> {
    let mut next = 20000;
    move || {
        next += 1;
        Ok(next)
    }
}

/// Form a row of `(id, a, b)`, store it in the main heap; its address.
fn store(
    t: &Toaster<'_>,
    heap: &Heap<'_>,
    id: u64,
    a: Option<&[u8]>,
    b: Option<&[u8]>,
    ids: &mut dyn FnMut() -> Result<u32>,
) -> Tid {
    let mut tuple = Vec::new();
    t.form(&desc(), &[Some(&id.to_le_bytes()), a, b], 7, 0, ids, &mut tuple).unwrap();
    assert!(tuple.len() <= TOAST_TUPLE_THRESHOLD || t.rel.is_none(), "a toasted tuple fits four to a page");
    heap.insert(7, 0, &tuple).unwrap()
}

fn read(t: &Toaster<'_>, heap: &Heap<'_>, tid: Tid) -> Vec<Option<Vec<u8>>> {
    let tuple = heap.fetch(tid).unwrap().unwrap();
    deform_stored(&desc(), &tuple).into_iter().map(|v| v.map(|s| t.detoast(s).unwrap().into_owned())).collect()
}

fn toast_rows(e: &Env) -> usize {
    let heap = Heap::new(&e.pool, &e.wal, TOAST.heap);
    let mut n = 0;
    for b in 0..heap.nblocks().unwrap() {
        heap.scan_block(b, |_, _| n += 1).unwrap();
    }
    n
}

#[test]
fn constants_match_postgres_page_arithmetic() {
    assert_eq!(TOAST_TUPLE_THRESHOLD, 2032);
    // Four chunk rows (and their line pointers) fill a page.
    const { assert!(4 * (TOAST_MAX_CHUNK_SIZE + CHUNK_OVERHEAD + LINE_POINTER_SIZE) <= PAGE_SIZE - PAGE_HEADER) };
    let p = ToastPointer {
        raw_size: 5,
        stored_size: MAX_VALUE_SIZE as u32,
        compression: Compression::Lz4,
        value_id: 9,
        toast_relid: 7,
    };
    assert_eq!(ToastPointer::decode(&p.encode()).unwrap(), p);
}

#[test]
fn values_of_every_size_round_trip() {
    let dir = temp("sizes");
    let e = env(&dir, 64);
    let t = Toaster::new(&e.pool, &e.wal, Some(TOAST));
    let heap = Heap::new(&e.pool, &e.wal, MAIN);
    let mut ids = oids();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let sizes = [0usize, 1, 31, 32, 100, 1000, 2000, 2032, 2100, 4000, 8000, 8200, 20_000, 100_000, 1 << 20, 3 << 20];
    for (i, &n) in sizes.iter().enumerate() {
        for compressible in [false, true] {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let a = value(n, seed, compressible);
            let b = value(n / 3, seed ^ 1, !compressible);
            let tid = store(&t, &heap, i as u64, Some(&a), Some(&b), &mut ids);
            assert_eq!(read(&t, &heap, tid), vec![Some((i as u64).to_le_bytes().to_vec()), Some(a.clone()), Some(b)]);
            let tid = store(&t, &heap, i as u64, None, Some(&a), &mut ids);
            assert_eq!(read(&t, &heap, tid)[1..], [None, Some(a)]);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn random_rows_round_trip() {
    let dir = temp("random");
    let e = env(&dir, 32);
    let t = Toaster::new(&e.pool, &e.wal, Some(TOAST));
    let heap = Heap::new(&e.pool, &e.wal, MAIN);
    let mut ids = oids();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut rows = Vec::new();
    for i in 0..300u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Sizes spread over orders of magnitude, up to 256 KiB.
        let len = |r: u64| ((1u64 << (r % 19)) + r % 977) as usize;
        let a = (x % 7 != 0).then(|| value(len(x), x, x % 3 == 0));
        let b = (x % 5 != 0).then(|| value(len(x >> 11), x >> 3, x % 2 == 0));
        let tid = store(&t, &heap, i, a.as_deref(), b.as_deref(), &mut ids);
        rows.push((tid, vec![Some(i.to_le_bytes().to_vec()), a, b]));
    }
    for (tid, expected) in &rows {
        assert_eq!(&read(&t, &heap, *tid), expected);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compression_keeps_values_inline_when_it_helps() {
    let dir = temp("inline");
    let e = env(&dir, 16);
    let t = Toaster::new(&e.pool, &e.wal, Some(TOAST));
    let heap = Heap::new(&e.pool, &e.wal, MAIN);
    let mut ids = oids();
    // 50 kB of a repeated phrase compresses to well under a quarter page.
    let a = value(50_000, 0, true);
    let tid = store(&t, &heap, 1, Some(&a), None, &mut ids);
    let tuple = heap.fetch(tid).unwrap().unwrap();
    assert!(Header(&tuple).has_toasted());
    assert!(matches!(deform_stored(&desc(), &tuple)[1], Some(Stored::Compressed(_))));
    assert_eq!(toast_rows(&e), 0);
    // Random bytes do not compress: out of line, uncompressed.
    let b = value(50_000, 3, false);
    let tid = store(&t, &heap, 2, Some(&b), None, &mut ids);
    let tuple = heap.fetch(tid).unwrap().unwrap();
    let d = desc();
    let Some(Stored::External(p)) = deform_stored(&d, &tuple)[1] else { panic!("not external") };
    let p = ToastPointer::decode(p).unwrap();
    assert_eq!((p.compression, p.raw_size, p.stored_size), (Compression::None, 50_000, 50_000));
    assert_eq!(toast_rows(&e), 50_000usize.div_ceil(TOAST_MAX_CHUNK_SIZE));
    // Without a TOAST relation a value that does not compress enough is too big.
    let plain = Toaster::new(&e.pool, &e.wal, None);
    let mut out = Vec::new();
    let e2 = plain.form(&desc(), &[None, Some(&b), None], 7, 0, &mut ids, &mut out).unwrap_err();
    assert!(e2.message().starts_with("row is too big"), "{}", e2.message());
    // Small rows are stored as they are.
    out.clear();
    plain.form(&desc(), &[None, Some(b"short"), None], 7, 0, &mut ids, &mut out).unwrap();
    assert_eq!(out, form(&desc(), &[None, Some(b"short"), None]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deleting_a_value_and_orphans_frees_the_chunks() {
    let dir = temp("delete");
    let e = env(&dir, 16);
    let t = Toaster::new(&e.pool, &e.wal, Some(TOAST));
    let heap = Heap::new(&e.pool, &e.wal, MAIN);
    let mut ids = oids();
    let a = value(30_000, 5, false);
    let tid = store(&t, &heap, 1, Some(&a), Some(&a), &mut ids);
    let keep = store(&t, &heap, 2, Some(&a), None, &mut ids);
    let per_value = 30_000usize.div_ceil(TOAST_MAX_CHUNK_SIZE);
    assert_eq!(toast_rows(&e), 3 * per_value);
    let tuple = heap.fetch(tid).unwrap().unwrap();
    let pointers = Toaster::pointers(&deform_stored(&desc(), &tuple)).unwrap();
    assert_eq!(pointers.len(), 2);
    for p in &pointers {
        t.delete_value(p).unwrap();
        t.delete_value(p).unwrap(); // twice is once
    }
    assert_eq!(toast_rows(&e), per_value);
    assert_eq!(read(&t, &heap, keep)[1], Some(a.clone()));
    let err = t.detoast(deform_stored(&desc(), &tuple)[1].unwrap()).unwrap_err();
    assert!(err.message().starts_with("missing chunk number 0 for toast value"), "{}", err.message());
    // Chunks whose inserter aborted (here: xid 8) go at vacuum.
    let mut out = Vec::new();
    t.form(&desc(), &[None, Some(&a), None], 8, 0, &mut ids, &mut out).unwrap();
    assert_eq!(toast_rows(&e), 2 * per_value);
    let removed = t.vacuum_orphans(&|c| Ok(Header(c).xmin() == 8), &|| Ok(())).unwrap();
    assert_eq!((removed, toast_rows(&e)), (per_value as u64, per_value));
    assert_eq!(read(&t, &heap, keep)[1], Some(a));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A value kept by a newer tuple is not stored again; its end is marked
/// on its first chunk, and it goes only when removed.
#[test]
fn a_kept_value_is_shared_and_marked_at_its_end() {
    let dir = temp("kept");
    let e = env(&dir, 64);
    let t = Toaster::new(&e.pool, &e.wal, Some(TOAST));
    let heap = Heap::new(&e.pool, &e.wal, MAIN);
    let mut ids = oids();
    let a = value(100_000, 3, false);
    let old = store(&t, &heap, 1, Some(&a), Some(b"b"), &mut ids);
    let rows = toast_rows(&e);
    let tuple = heap.fetch(old).unwrap().unwrap();
    let pointer = Toaster::pointers(&deform_stored(&desc(), &tuple)).unwrap()[0];
    // A new version keeping `a` and changing the short value: no new chunks.
    let mut out = Vec::new();
    let values = [Some(&1u64.to_le_bytes()[..]), Some(&b""[..]), Some(&b"c"[..])];
    let created = t.form_keeping(&desc(), &values, &[None, Some(pointer), None], 7, 1, &mut ids, &mut out).unwrap();
    assert!(created.is_empty());
    assert_eq!(toast_rows(&e), rows);
    let new = heap.insert(7, 1, &out).unwrap();
    assert_eq!(read(&t, &heap, new)[1], Some(a.clone()));
    // The end of its life is marked, not carried out.
    assert_eq!(t.killed_by(&pointer).unwrap(), None);
    t.kill_value(&pointer, 9, 2).unwrap();
    assert_eq!(t.killed_by(&pointer).unwrap(), Some((9, 2)));
    assert_eq!(read(&t, &heap, new)[1], Some(a));
    t.delete_value(&pointer).unwrap();
    assert_eq!((toast_rows(&e), t.killed_by(&pointer).unwrap()), (0, None));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Replay every heap and B-tree record of the WAL in `dir`.
fn replay(pool: &BufferPool, dir: &std::path::Path) -> usize {
    let mut n = 0;
    for rec in Wal::read_from(&dir.join("wal"), 64 << 20, 0, 0) {
        match rec.rmgr {
            Rmgr::Heap => crate::storage::heap::redo(pool, &rec).unwrap(),
            Rmgr::Btree => crate::storage::btree::redo(pool, &rec).unwrap(),
            _ => continue,
        }
        n += 1;
    }
    n
}

#[test]
fn redo_after_a_crash_restores_out_of_line_values() {
    let dir = temp("redo");
    let values: Vec<Vec<u8>> = (0..6).map(|i| value(200_000 * i + 7, i as u64, i % 2 == 0)).collect();
    let tids: Vec<Tid> = {
        let e = env(&dir, 16);
        let t = Toaster::new(&e.pool, &e.wal, Some(TOAST));
        let heap = Heap::new(&e.pool, &e.wal, MAIN);
        let mut ids = oids();
        let tids =
            values.iter().enumerate().map(|(i, v)| store(&t, &heap, i as u64, Some(v), None, &mut ids)).collect();
        e.wal.flush_to(e.wal.insert_end()).unwrap();
        tids
        // Dropped without writing its dirty pages: a crash.
    };
    let e = env(&dir, 16);
    assert!(replay(&e.pool, &dir) > 100);
    let t = Toaster::new(&e.pool, &e.wal, Some(TOAST));
    let heap = Heap::new(&e.pool, &e.wal, MAIN);
    for (tid, v) in tids.iter().zip(&values) {
        assert_eq!(read(&t, &heap, *tid)[1].as_ref(), Some(v));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Hundreds of megabytes: one incompressible and one compressible value.
#[test]
fn values_of_hundreds_of_megabytes_round_trip() {
    let dir = temp("huge");
    let e = env(&dir, 256);
    let t = Toaster::new(&e.pool, &e.wal, Some(TOAST));
    let heap = Heap::new(&e.pool, &e.wal, MAIN);
    let mut ids = oids();
    for (len, compressible) in [(200 << 20, false), (300 << 20, true)] {
        let v = value(len, 11, compressible);
        let tid = store(&t, &heap, 1, Some(&v), None, &mut ids);
        assert!(read(&t, &heap, tid)[1].as_ref() == Some(&v), "a value of {len} bytes came back different");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
