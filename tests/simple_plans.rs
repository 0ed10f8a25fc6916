//! Simple queries that differ only in their constants share one plan
//! (auto-parameterisation): the shared plan gives each query its own
//! constants' answers, and a change to a table, the search path or a
//! constant's type never lets a query run a plan that no longer fits.

mod common;

use std::io::{Read, Write};

use common::TestServer;
use tokio_postgres::{Client, SimpleQueryMessage};

/// The rows of a simple query, as text.
async fn rows(c: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut out = Vec::new();
    for m in c.simple_query(sql).await.unwrap() {
        if let SimpleQueryMessage::Row(r) = m {
            out.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
        }
    }
    out
}

async fn one(c: &Client, sql: &str) -> String {
    rows(c, sql).await[0][0].clone().unwrap()
}

/// How many simple-query statements ran a shared (parameterised) plan.
fn parameterised(server: &TestServer) -> u64 {
    let mut s = std::net::TcpStream::connect(&server.metrics).unwrap();
    s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    let line = body
        .lines()
        .find(|l| l.starts_with("tusk_simple_query_plans_total{source=\"parameterised\"}"))
        .unwrap_or_else(|| panic!("no parameterised count in {body}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_differing_in_constants_share_a_plan_and_keep_their_answers() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE acct (id int PRIMARY KEY, bal int NOT NULL, name text);
         INSERT INTO acct SELECT g, 0, 'n' || g FROM generate_series(1, 1000) g;
         CREATE TABLE hist (id int, delta int, at timestamptz)",
    )
    .await
    .unwrap();
    let before = parameterised(&server);
    let mut expect = vec![0i64; 1001];
    for i in 1..=200i64 {
        let (id, delta) = (i * 7 % 1000 + 1, i * 37 % 1000 - 500);
        c.simple_query(&format!("UPDATE acct SET bal = bal + {delta} WHERE id = {id}")).await.unwrap();
        c.simple_query(&format!("INSERT INTO hist (id, delta, at) VALUES ({id}, {delta}, CURRENT_TIMESTAMP)"))
            .await
            .unwrap();
        expect[id as usize] += delta;
        assert_eq!(one(&c, &format!("SELECT bal FROM acct WHERE id = {id}")).await, expect[id as usize].to_string());
    }
    let used = parameterised(&server) - before;
    assert!(used >= 3 * 190, "most statements ran a shared plan: {used}");
    assert_eq!(one(&c, "SELECT sum(bal) FROM acct").await, one(&c, "SELECT sum(delta) FROM hist").await);
    // Strings, a negated number, and constants that stay in the plan.
    assert_eq!(one(&c, "SELECT id FROM acct WHERE name = 'n17'").await, "17");
    assert_eq!(one(&c, "SELECT id FROM acct WHERE name = 'n18'").await, "18");
    c.simple_query("UPDATE acct SET name = 'it''s' WHERE id = 19").await.unwrap();
    assert_eq!(one(&c, "SELECT id FROM acct WHERE name = 'it''s'").await, "19");
    assert_eq!(one(&c, "SELECT bal FROM acct WHERE id = -1 OR id = 2").await, expect[2].to_string());
    assert_eq!(one(&c, "SELECT bal FROM acct WHERE id = -2 OR id = 3").await, expect[3].to_string());
    let q = |col: u8| format!("SELECT id, name FROM acct WHERE id BETWEEN 1 AND 3 ORDER BY {col} DESC");
    assert_eq!(one(&c, &q(1)).await, "3");
    assert_eq!(one(&c, &q(2)).await, "3", "'n3' sorts last");
    c.simple_query("UPDATE acct SET name = 'z' WHERE id = 1").await.unwrap();
    assert_eq!(one(&c, &q(2)).await, "1", "ORDER BY 2 is a column position, not a value");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_constant_of_another_type_or_a_bad_one_is_bound_afresh() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (id int8 PRIMARY KEY, v numeric); INSERT INTO t VALUES (1, 1.5), (5000000000, 2)")
        .await
        .unwrap();
    // Six runs: five planned with their constants, then the shared plan.
    for id in [1; 6] {
        assert_eq!(one(&c, &format!("SELECT v FROM t WHERE id = {id}")).await, "1.5");
    }
    // int8 and numeric constants where the plan has an int4 parameter.
    assert_eq!(one(&c, "SELECT v FROM t WHERE id = 5000000000").await, "2");
    assert_eq!(rows(&c, "SELECT v FROM t WHERE id = 1.5").await.len(), 0);
    assert_eq!(one(&c, "SELECT v FROM t WHERE id = 1").await, "1.5");
    // A constant the parameter's type does not take fails as the query does.
    for _ in 0..6 {
        assert_eq!(one(&c, "SELECT id FROM t WHERE v = '2'").await, "5000000000");
    }
    let e = c.simple_query("SELECT id FROM t WHERE v = 'abc'").await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "22P02");
    assert_eq!(db.message(), "invalid input syntax for type numeric: \"abc\"");
    assert!(db.position().is_some(), "the error points into the query");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_plan_follows_changes_to_its_table_and_search_path() {
    let server = TestServer::start(&["autovacuum=off"]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute(
        "CREATE TABLE t (id int, v text); INSERT INTO t VALUES (1, 'one'), (2, 'two');
         CREATE SCHEMA s; CREATE TABLE s.t (id int, v text); INSERT INTO s.t VALUES (1, 's-one')",
    )
    .await
    .unwrap();
    let before = parameterised(&server);
    for id in [1, 2, 1, 2, 1, 2] {
        rows(&a, &format!("SELECT * FROM t WHERE id = '{id}'")).await;
    }
    assert_eq!(parameterised(&server) - before, 1, "the sixth ran the shared plan");
    // Another session adds a column: the star now has three.
    b.batch_execute("ALTER TABLE t ADD COLUMN w int DEFAULT 7").await.unwrap();
    assert_eq!(
        rows(&a, "SELECT * FROM t WHERE id = '2'").await,
        [[Some("2".into()), Some("two".into()), Some("7".into())]]
    );
    rows(&a, "SELECT * FROM t WHERE id = '1'").await;
    // ... and drops the table and makes another of that name.
    b.batch_execute("DROP TABLE t; CREATE TABLE t (id text, v int); INSERT INTO t VALUES ('1', 10)").await.unwrap();
    assert_eq!(rows(&a, "SELECT * FROM t WHERE id = '1'").await, [[Some("1".into()), Some("10".into())]]);
    let e = a.simple_query("SELECT * FROM t WHERE id = 1").await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "42883", "text = integer");
    // An index made meanwhile is used for the same answers.
    for id in 0..6 {
        rows(&a, &format!("SELECT v FROM t WHERE id = '{id}'")).await;
    }
    b.batch_execute("INSERT INTO t SELECT g::text, g FROM generate_series(2, 5000) g; CREATE INDEX t_id ON t (id)")
        .await
        .unwrap();
    assert_eq!(one(&a, "SELECT v FROM t WHERE id = '4321'").await, "4321");
    // An UPDATE planned before another session's index on its column
    // keeps that index whole.
    for id in [2, 3, 4, 2, 3, 4] {
        a.simple_query(&format!("UPDATE t SET v = v + 100000 WHERE id = '{id}'")).await.unwrap();
    }
    b.batch_execute("CREATE INDEX t_v ON t (v)").await.unwrap();
    a.simple_query("UPDATE t SET v = v + 100000 WHERE id = '5'").await.unwrap();
    a.batch_execute("SET enable_seqscan = off").await.unwrap();
    assert_eq!(one(&a, "SELECT id FROM t WHERE v = 100005").await, "5", "found through t_v");
    a.batch_execute("RESET enable_seqscan").await.unwrap();
    // Another schema first on the path: its table answers.
    for id in [1; 6] {
        assert_eq!(one(&a, &format!("SELECT v FROM t WHERE id = '{id}'")).await, "10");
    }
    a.batch_execute("SET search_path = s, public").await.unwrap();
    assert_eq!(one(&a, "SELECT v FROM t WHERE id = '1'").await, "s-one");
    // A view redefined under the plan: the new definition answers.
    a.batch_execute("RESET search_path").await.unwrap();
    a.batch_execute("CREATE VIEW tv AS SELECT id, v FROM t WHERE v > 0").await.unwrap();
    for id in [1, 2, 3, 1, 2, 3] {
        rows(&a, &format!("SELECT v FROM tv WHERE id = '{id}'")).await;
    }
    b.batch_execute("CREATE OR REPLACE VIEW tv AS SELECT id, v * 2 AS v FROM t").await.unwrap();
    assert_eq!(one(&a, "SELECT v FROM tv WHERE id = '1'").await, "20");
    // A table dropped under the plan: the query fails as it would fresh.
    for id in [1, 2, 3, 1, 2, 3] {
        rows(&a, &format!("UPDATE t SET v = v + 1 WHERE id = '{id}'")).await;
    }
    b.batch_execute("DROP TABLE t CASCADE").await.unwrap();
    let e = a.simple_query("UPDATE t SET v = v + 1 WHERE id = '4'").await.unwrap_err();
    assert_eq!(e.as_db_error().unwrap().message(), "relation \"t\" does not exist");
}

/// As PostgreSQL plans every simple query with its constants, a skeleton
/// runs a shared plan only once five plans made with constants had its
/// shape and cost more on average: a skewed column's rare values keep
/// their own (cheaper) plans, a common value's sequential scan means the
/// skeleton is always planned with its constants, and a key lookup
/// (pgbench's) ends up on the shared plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_plan_is_used_only_where_it_is_as_good_as_planning_with_constants() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE skew (id int PRIMARY KEY, status text, pad int);
         INSERT INTO skew SELECT g, CASE WHEN g % 1000 = 0 THEN 'rare' || g ELSE 'common' END, g
           FROM generate_series(1, 10000) g;
         CREATE INDEX skew_status ON skew (status);
         ANALYZE skew",
    )
    .await
    .unwrap();
    let before = parameterised(&server);
    for i in 1..=10 {
        assert_eq!(one(&c, &format!("SELECT count(*) FROM skew WHERE status = 'rare{}'", i * 1000)).await, "1");
    }
    assert_eq!(parameterised(&server), before, "a rare value's index scan costs less than the shared plan");
    // The common value's sequential scan, though dearer than the shared
    // plan (an index scan), is what PostgreSQL plans for it: planned with
    // constants for good, whether it comes first or later.
    assert_eq!(one(&c, "SELECT max(pad) FROM skew WHERE status = 'common'").await, "9999");
    for i in 1..=10 {
        let q = format!("SELECT max(pad) FROM skew WHERE status = 'rare{}'", i * 1000);
        assert_eq!(one(&c, &q).await, (i * 1000).to_string());
    }
    for _ in 0..10 {
        assert_eq!(one(&c, "SELECT min(pad) FROM skew WHERE status = 'common'").await, "1");
    }
    assert_eq!(parameterised(&server), before, "a common value's plan differs: always planned with constants");
    for i in 1..=10 {
        assert_eq!(one(&c, &format!("SELECT pad FROM skew WHERE id = {i}")).await, i.to_string());
    }
    assert_eq!(parameterised(&server) - before, 5, "after five custom plans, the key lookup's shared plan");
    c.batch_execute("SET plan_cache_mode = force_custom_plan").await.unwrap();
    assert_eq!(one(&c, "SELECT pad FROM skew WHERE id = 77").await, "77");
    assert_eq!(parameterised(&server) - before, 5, "force_custom_plan: planned with its constants");
}
