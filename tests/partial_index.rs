//! A partial unique index survives kill -9 and restart: its predicate is
//! read back from `pg_index`, its entries are those of the covered rows
//! (WAL replay), reads through it are right and it still enforces
//! uniqueness among the covered rows alone.

mod common;

use common::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_unique_index_survives_a_crash() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TABLE pic (id int PRIMARY KEY, code text, open bool NOT NULL);
         CREATE UNIQUE INDEX pic_open_code ON pic (code) WHERE open;
         CREATE INDEX pic_big ON pic (id) WHERE id > 900;
         INSERT INTO pic SELECT g, 'c' || (g % 100), g <= 100 FROM generate_series(1, 1000) g;
         UPDATE pic SET open = false WHERE id = 5;
         UPDATE pic SET open = true WHERE id = 105",
    )
    .await
    .unwrap();
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let def: String = c.query_one("SELECT pg_get_indexdef('pic_open_code'::regclass)", &[]).await.unwrap().get(0);
    assert!(def.ends_with("USING btree (code) WHERE open"), "{def}");
    let open: i64 = c.query_one("SELECT count(*) FROM pic WHERE open", &[]).await.unwrap().get(0);
    assert_eq!(open, 100);
    let big: i64 = c.query_one("SELECT count(*) FROM pic WHERE id > 950", &[]).await.unwrap().get(0);
    assert_eq!(big, 50);
    // Uniqueness among the open rows only: c5's open row is now 105.
    let e = c.batch_execute("UPDATE pic SET open = true WHERE id = 205").await.unwrap_err();
    assert_eq!(e.as_db_error().map(|d| d.code().code()), Some("23505"), "{e}");
    c.batch_execute("UPDATE pic SET open = true WHERE id = 5").await.unwrap_err();
    c.batch_execute("INSERT INTO pic VALUES (2000, 'c5', false)").await.unwrap();
    let n: i64 = c.query_one("SELECT count(*) FROM pic WHERE code = 'c5'", &[]).await.unwrap().get(0);
    assert_eq!(n, 11);
}
