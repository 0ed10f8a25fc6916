//! Micro-benchmarks of the simple-query front end: parsing pgbench's
//! statements (select-only's point lookup and tpcb-like's UPDATE, INSERT
//! and BEGIN), which every simple-protocol query pays before it is bound
//! and planned; and scanning them into their skeletons, which is all a
//! query whose skeleton has a shared parameterised plan pays instead.
//!
//!     cargo bench --bench sql

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tusk::sql::parser::parse;

const STATEMENTS: [(&str, &str); 4] = [
    ("select_only", "SELECT abalance FROM pgbench_accounts WHERE aid = 48213;"),
    ("update_accounts", "UPDATE pgbench_accounts SET abalance = abalance + -2617 WHERE aid = 48213;"),
    (
        "insert_history",
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (37, 4, 48213, -2617, CURRENT_TIMESTAMP);",
    ),
    ("begin", "BEGIN;"),
];

fn parse_pgbench(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    for (name, sql) in STATEMENTS {
        g.bench_function(name, |b| b.iter(|| parse(black_box(sql)).expect("parse")));
    }
    g.finish();
}

fn skeleton_pgbench(c: &mut Criterion) {
    let mut g = c.benchmark_group("skeleton");
    g.throughput(Throughput::Elements(1));
    let (mut skeleton, mut literals) = (String::new(), Vec::new());
    for (name, sql) in STATEMENTS {
        g.bench_function(name, |b| {
            b.iter(|| assert!(tusk::sql::autoparam::scan(black_box(sql), &mut skeleton, &mut literals)))
        });
    }
    g.finish();
}

criterion_group!(benches, parse_pgbench, skeleton_pgbench);
criterion_main!(benches);
