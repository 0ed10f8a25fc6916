//! The planner's row estimates from ANALYZE's statistics, checked against
//! the rows the queries really return (within a tolerance: the statistics
//! come from a sample), and EXPLAIN's cost annotations in PostgreSQL's
//! shape, with EXPLAIN ANALYZE's actual figures after them.

mod common;

use common::{TestServer, rows};

/// The `rows=` estimate of the first line of EXPLAIN's output for `query`.
async fn estimate(client: &tokio_postgres::Client, query: &str) -> f64 {
    let plan = rows(client, &format!("EXPLAIN {query}")).await;
    let top = &plan[0];
    let at = top.find(" rows=").unwrap_or_else(|| panic!("no estimate in {top:?}")) + 6;
    top[at..].split(' ').next().unwrap().parse().unwrap()
}

async fn actual(client: &tokio_postgres::Client, query: &str) -> f64 {
    rows(client, &format!("SELECT count(*) FROM ({query}) q")).await[0].parse().unwrap()
}

/// The estimate is within `factor` of the real count (both at least 1).
async fn close(client: &tokio_postgres::Client, query: &str, factor: f64) {
    let (e, a) = (estimate(client, query).await, actual(client, query).await.max(1.0));
    assert!(e / a <= factor && a / e <= factor, "{query}: estimated {e}, returned {a}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estimates_on_an_analyzed_table_are_close_to_the_real_rows() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    // u: uniform 1..50000; s: skewed (half the rows 0, then 1..99 evenly);
    // t: strings with a shared prefix; n: a quarter NULL.
    c.batch_execute(
        "CREATE TABLE e (u int, s int, t text, n int);
         INSERT INTO e SELECT g, CASE WHEN g % 2 = 0 THEN 0 ELSE g % 99 + 1 END, 'key' || lpad((g % 5000)::text, 5, '0'),
                              CASE WHEN g % 4 = 0 THEN NULL ELSE g % 7 END
                         FROM generate_series(1, 50000) g;
         ANALYZE e",
    )
    .await
    .unwrap();
    close(&c, "SELECT * FROM e", 1.01).await;
    close(&c, "SELECT * FROM e WHERE u < 1000", 1.3).await;
    close(&c, "SELECT * FROM e WHERE u > 45000", 1.3).await;
    close(&c, "SELECT * FROM e WHERE u BETWEEN 10000 AND 20000", 1.3).await;
    close(&c, "SELECT * FROM e WHERE s = 0", 1.1).await;
    close(&c, "SELECT * FROM e WHERE s = 7", 1.5).await;
    close(&c, "SELECT * FROM e WHERE s <> 0", 1.1).await;
    close(&c, "SELECT * FROM e WHERE s IN (0, 5, 9)", 1.2).await;
    close(&c, "SELECT * FROM e WHERE s > 50", 1.3).await;
    close(&c, "SELECT * FROM e WHERE t = 'key00042'", 2.0).await;
    close(&c, "SELECT * FROM e WHERE t < 'key01000'", 1.3).await;
    close(&c, "SELECT * FROM e WHERE t LIKE 'key001%'", 2.0).await;
    close(&c, "SELECT * FROM e WHERE n IS NULL", 1.1).await;
    close(&c, "SELECT * FROM e WHERE n = 3", 1.2).await;
    close(&c, "SELECT * FROM e WHERE n = 3 AND u < 25000", 1.3).await;
    close(&c, "SELECT * FROM e WHERE s = 0 OR u < 100", 1.2).await;
    close(&c, "SELECT n, count(*) FROM e GROUP BY n", 1.5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_prints_costs_in_postgresql_s_shape() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE p (id int PRIMARY KEY, v text);
         INSERT INTO p SELECT g, 'v' || g FROM generate_series(1, 20000) g;
         ANALYZE p",
    )
    .await
    .unwrap();
    let shape = |line: &str, node: &str| {
        let rest = line.trim_start().trim_start_matches("->  ");
        let Some(after) = rest.strip_prefix(node) else { return false };
        let Some(costs) = after.strip_prefix("  (cost=") else { return false };
        let (range, tail) = costs.split_once(' ').unwrap();
        let (start, total) = range.split_once("..").unwrap();
        let (start, total): (f64, f64) = (start.parse().unwrap(), total.parse().unwrap());
        start <= total && tail.starts_with("rows=") && tail.contains(" width=") && tail.ends_with(')')
    };
    let plan = rows(&c, "EXPLAIN SELECT * FROM p WHERE id = 42").await;
    assert!(shape(&plan[0], "Index Scan using p_pkey on p"), "{plan:?}");
    assert!(plan[0].contains(" rows=1 width="), "{plan:?}");
    let plan = rows(&c, "EXPLAIN SELECT v, count(*) FROM p WHERE id > 10 GROUP BY v ORDER BY v").await;
    assert!(shape(&plan[0], "Sort"), "{plan:?}");
    assert!(plan.iter().any(|l| shape(l, "HashAggregate")), "{plan:?}");
    assert!(plan.iter().any(|l| shape(l, "Seq Scan on p")), "{plan:?}");
    // A cost is the sum of its inputs' and its own: a node costs at least its input.
    let total = |l: &str| -> f64 { l.split("..").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap() };
    assert!(total(&plan[0]) >= total(plan.iter().find(|l| l.contains("Seq Scan")).unwrap()));
    // COSTS off: no estimates.
    let plan = rows(&c, "EXPLAIN (COSTS OFF) SELECT * FROM p WHERE id = 42").await;
    assert_eq!(plan[0], "Index Scan using p_pkey on p");
    // ANALYZE: the actual figures follow the estimate.
    let plan = rows(&c, "EXPLAIN ANALYZE SELECT * FROM p WHERE id < 100").await;
    let first = &plan[0];
    let (est, act) = first.split_once(") (actual time=").unwrap_or_else(|| panic!("{plan:?}"));
    assert!(est.contains("(cost="), "{first}");
    assert!(act.contains(" rows=99 loops=1)"), "{first}");
    // Changing a cost setting changes the estimate.
    let before = rows(&c, "EXPLAIN SELECT * FROM p").await;
    c.batch_execute("SET seq_page_cost = 10").await.unwrap();
    let after = rows(&c, "EXPLAIN SELECT * FROM p").await;
    assert!(total(&after[0]) > total(&before[0]), "{before:?} {after:?}");
}

/// A prepared statement's plan follows its table's statistics: after an
/// ANALYZE that makes an index pay, its next runs use the index, and its
/// rows are the same either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_are_planned_again_when_statistics_change() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE s (id int, k int, pad text);
         CREATE INDEX s_k ON s (k);
         INSERT INTO s SELECT g, 1, repeat('x', 50) FROM generate_series(1, 20000) g;
         ANALYZE s;
         PREPARE q AS SELECT count(pad) FROM s WHERE k = 1;
         PREPARE g (int) AS SELECT count(pad) FROM s WHERE k = $1",
    )
    .await
    .unwrap();
    let extended = c.prepare("SELECT count(pad) FROM s WHERE k = 1").await.unwrap();
    let p = plan(&c).await;
    assert!(p.contains("Seq Scan on s"), "every row has k = 1: {p}");
    // The generic plan of `k = $1`: whatever the value, one of k's one
    // distinct value, so every row.
    let g = rows(&c, "EXPLAIN (COSTS OFF) EXECUTE g(1)").await.join("\n");
    assert!(g.contains("Seq Scan on s"), "k has one value: {g}");
    c.batch_execute("UPDATE s SET k = id; ANALYZE s").await.unwrap();
    for _ in 0..3 {
        let p = plan(&c).await;
        assert!(p.contains("Index Scan using s_k on s"), "k is now unique: {p}");
        let g = rows(&c, "EXPLAIN (COSTS OFF) EXECUTE g(1)").await.join("\n");
        assert!(g.contains("Index Scan using s_k on s"), "k is now unique: {g}");
        assert_eq!(rows(&c, "EXECUTE q").await, ["1"]);
        let n: i64 = c.query_one(&extended, &[]).await.unwrap().get(0);
        assert_eq!(n, 1);
    }
}

async fn plan(c: &tokio_postgres::Client) -> String {
    rows(c, "EXPLAIN (COSTS OFF) EXECUTE q").await.join("\n")
}

/// A statement prepared through the protocol (Parse once, then Bind and
/// Execute per run) is planned with each run's value for its first five
/// runs, as PostgreSQL's plan cache does; after that its generic plan runs
/// only where it costs less than those custom plans did on average.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_prepared_statements_get_custom_plans_first() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE skew (id int PRIMARY KEY, status text);
         INSERT INTO skew SELECT g, CASE WHEN g % 1000 = 0 THEN 'rare' || g ELSE 'common' END
           FROM generate_series(1, 10000) g;
         CREATE INDEX skew_status ON skew (status);
         ANALYZE skew",
    )
    .await
    .unwrap();
    let sql = "SELECT count(*) FROM skew WHERE status = $1";
    // Rare values: their index scans cost less than the generic plan.
    let rare = c.prepare(sql).await.unwrap();
    for i in 1..=7 {
        let n: i64 = c.query_one(&rare, &[&format!("rare{}", i * 1000)]).await.unwrap().get(0);
        assert_eq!(n, 1);
    }
    // The common value: its sequential scans cost more than the generic plan.
    let common = c.prepare(sql).await.unwrap();
    for _ in 0..7 {
        let n: i64 = c.query_one(&common, &[&"common"]).await.unwrap().get(0);
        assert_eq!(n, 9990);
    }
    let n: i64 = c.query_one(&common, &[&"rare1000"]).await.unwrap().get(0);
    assert_eq!(n, 1, "the generic plan finds the rare value too");
    let counts =
        rows(&c, "SELECT generic_plans, custom_plans FROM pg_prepared_statements ORDER BY generic_plans").await;
    assert_eq!(counts, ["0 7", "3 5"]);
}
