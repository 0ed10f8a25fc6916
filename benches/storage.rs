//! Micro-benchmarks of the storage engine's hot paths: a buffer-pool hit,
//! a heap insert (WAL record included), a btree insert and point lookup in
//! an index of a million entries, WAL insertion with one and eight
//! concurrent inserters, and storing and reading back a 1 MB value out of
//! line (TOAST), compressible and not.
//!
//!     cargo bench --bench storage

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tusk::storage::btree::{BTree, Tid};
use tusk::storage::buffer::{BufferPool, BufferTag, WalFlush};
use tusk::storage::heap::Heap;
use tusk::storage::heap::toast::{ToastRelation, Toaster};
use tusk::storage::heap::tuple::{Attr, TupleDesc, deform_stored, form};
use tusk::storage::page::PageRead;
use tusk::storage::smgr::{Fork, RelFileLocator, Smgr};
use tusk::storage::wal::{Rmgr, Wal};

const REL: RelFileLocator = RelFileLocator { db: 1, relfilenode: 16384 };

fn setup(tag: &str, frames: usize) -> (std::path::PathBuf, Arc<Wal>, BufferPool) {
    let dir = std::env::temp_dir().join(format!("tusk-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let wal = Arc::new(Wal::open(&dir.join("wal"), 16 << 20, false, 0, 0).expect("wal"));
    let smgr = Arc::new(Smgr::new(&dir, 64));
    smgr.create(REL, Fork::Main).expect("create");
    let pool = BufferPool::new(frames, smgr, wal.clone() as Arc<dyn WalFlush>);
    (dir, wal, pool)
}

fn buffer_hit(c: &mut Criterion) {
    let (dir, _wal, pool) = setup("hit", 1024);
    for _ in 0..256 {
        pool.extend(REL, Fork::Main).expect("extend");
    }
    let mut block = 0u32;
    c.bench_function("buffer_pool/hit_pin_read_unpin", |b| {
        b.iter(|| {
            block = (block + 1) % 256;
            let buf = pool.read_buffer(BufferTag { rel: REL, fork: Fork::Main, block }).expect("read");
            black_box(buf.read().lsn());
        })
    });
    let _ = std::fs::remove_dir_all(dir);
}

fn heap_insert(c: &mut Criterion) {
    let (dir, wal, pool) = setup("heap", 4096);
    let heap = Heap::new(&pool, &wal, REL);
    let desc = TupleDesc::new(vec![Attr { len: 4, align: 4 }, Attr { len: 4, align: 4 }, Attr { len: -1, align: 4 }]);
    let tuple = form(&desc, &[Some(&1i32.to_le_bytes()), Some(&2i32.to_le_bytes()), Some(&[b'x'; 84][..])]);
    let mut g = c.benchmark_group("heap");
    g.throughput(Throughput::Elements(1));
    g.bench_function("insert_100_byte_row", |b| b.iter(|| heap.insert(10, 0, black_box(&tuple)).expect("insert")));
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

/// An 8-byte key in a byte-comparable order, as an int8 column's.
fn int_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn btree(c: &mut Criterion) {
    let (dir, wal, pool) = setup("btree", 16384);
    let tree = BTree::new(&pool, &wal, REL);
    let n = 1_000_000u64;
    let tid = |i: u64| Tid { block: (i / 100) as u32, offset: (i % 100) as u16 + 1 };
    tree.build(1, &mut (0..n).map(|i| (int_key(2 * i).to_vec(), tid(i)))).expect("build");
    let mut g = c.benchmark_group("btree");
    g.throughput(Throughput::Elements(1));
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut i = 0u64;
    g.bench_function("insert_random_int8_key", |b| {
        b.iter(|| {
            i += 1;
            let k = int_key((next() % (2 * n)) | 1);
            tree.insert(10, black_box(&k), tid(n + i)).expect("insert");
            if i % 4096 == 0 {
                wal.flush_to(wal.insert_end()).expect("flush");
            }
        })
    });
    let mut out = Vec::with_capacity(4);
    g.bench_function("lookup_random_int8_key", |b| {
        b.iter(|| {
            let k = int_key((next() % (2 * n)) & !1).to_vec();
            out.clear();
            let mut cursor = tree.scan(std::ops::Bound::Included(k.clone()), std::ops::Bound::Included(k), true);
            cursor.next_batch(&mut out, 4).expect("scan");
            black_box(&out);
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

fn wal_insert(c: &mut Criterion) {
    let payload = [7u8; 100];
    let mut g = c.benchmark_group("wal");
    for threads in [1usize, 8] {
        g.throughput(Throughput::Elements(1000 * threads as u64));
        g.bench_function(format!("insert_100_bytes_x1000_{threads}_inserters"), |b| {
            let (dir, wal, _pool) = setup("wal", 16);
            b.iter(|| {
                std::thread::scope(|s| {
                    for t in 0..threads {
                        let wal = &wal;
                        s.spawn(move || {
                            for _ in 0..1000 {
                                wal.insert(t as u64, Rmgr::Heap, 0, &payload).expect("insert");
                            }
                        });
                    }
                });
                // Keep the in-memory buffer from growing without bound between iterations.
                wal.flush_to(wal.insert_end()).expect("flush");
            });
            let _ = std::fs::remove_dir_all(dir);
        });
    }
    g.finish();
}

/// A 1 MB text value: random letters (stored as they are, in 526 chunks)
/// or a repeated phrase (compressed first).
fn toast(c: &mut Criterion) {
    let (dir, wal, pool) = setup("toast", 4096);
    let rel = |n| RelFileLocator { db: 1, relfilenode: n };
    let toast = ToastRelation { oid: 16390, heap: rel(16390), index: rel(16391) };
    for r in [toast.heap, toast.index] {
        pool.smgr().create(r, Fork::Main).expect("create");
    }
    let toaster = Toaster::new(&pool, &wal, Some(toast));
    toaster.create_index(10).expect("index");
    let heap = Heap::new(&pool, &wal, REL);
    let desc = TupleDesc::new(vec![Attr { len: 4, align: 4 }, Attr { len: -1, align: 4 }]);
    let mut x = 0x9e37_79b9u64;
    let random: Vec<u8> = (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'a' + (x % 26) as u8
        })
        .collect();
    let phrase: Vec<u8> = b"a compressible phrase, again and again; ".iter().copied().cycle().take(1 << 20).collect();
    let mut oid = 20000u32;
    let mut g = c.benchmark_group("toast");
    g.throughput(Throughput::Bytes(1 << 20));
    g.sample_size(20);
    for (name, value) in [("random", &random), ("compressible", &phrase)] {
        let mut tuple = Vec::new();
        let mut store = || {
            tuple.clear();
            let values = [Some(&1i32.to_le_bytes()[..]), Some(&value[..])];
            let mut next = || {
                oid += 1;
                Ok(oid)
            };
            toaster.form(&desc, &values, 10, 0, &mut next, &mut tuple).expect("toast");
            heap.insert(10, 0, &tuple).expect("insert")
        };
        g.bench_function(format!("insert_1mb_{name}"), |b| b.iter(&mut store));
        let tid = store();
        g.bench_function(format!("read_1mb_{name}"), |b| {
            b.iter(|| {
                let t = heap.fetch(tid).expect("fetch").expect("tuple");
                let v = deform_stored(&desc, &t)[1].expect("value");
                black_box(toaster.detoast(v).expect("detoast").len())
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, buffer_hit, heap_insert, btree, wal_insert, toast);
criterion_main!(benches);
