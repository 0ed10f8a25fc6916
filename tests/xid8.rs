//! xid8 and the snapshot types end to end: COPY writes PostgreSQL 15's
//! bytes (`tests/copy_expected/xid8.{txt,bin}`, from the same rows) and
//! reads them back in both formats, binary parameters are read as
//! `xid8recv` and `pg_snapshot_recv` read them, another session's
//! transaction shows as running in a snapshot and in `pg_xact_status`,
//! and stored ids, their index and the commit log's answers survive a
//! crash.

mod common;

use bytes::{BufMut, Bytes, BytesMut};
use common::{TestServer, code, copy_out, expected, rows};
use futures_util::SinkExt;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

const ROWS: &str = "
CREATE TABLE xid8_copy (x xid8, s pg_snapshot, t txid_snapshot, a xid8[]);
INSERT INTO xid8_copy VALUES ('0', '1:1:', '10:20:11,15', '{1,18446744073709551615}'), (NULL, NULL, NULL, NULL),
 ('18446744073709551615', '3:9:4,5,8', '7:7:', '{}');
";

async fn copy_in(c: &tokio_postgres::Client, sql: &str, data: &[u8]) -> u64 {
    let sink = c.copy_in::<_, Bytes>(sql).await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(Bytes::copy_from_slice(data)).await.unwrap();
    sink.finish().await.unwrap()
}

/// A parameter sent as the bytes given, whatever its type.
#[derive(Debug)]
struct Raw(Vec<u8>);

impl ToSql for Raw {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.put_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        [Type::XID8, Type::PG_SNAPSHOT, Type::TXID_SNAPSHOT].contains(ty)
    }

    to_sql_checked!();
}

/// A snapshot's binary form: the number of running ids, xmin, xmax, the ids.
fn snapshot_bytes(xmin: u64, xmax: u64, xip: &[u64]) -> Raw {
    let mut b = Vec::new();
    b.put_i32(xip.len() as i32);
    b.put_u64(xmin);
    b.put_u64(xmax);
    for x in xip {
        b.put_u64(*x);
    }
    Raw(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_matches_postgres_in_both_formats() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(ROWS).await.unwrap();
    assert_eq!(copy_out(&c, "COPY xid8_copy TO STDOUT").await, expected("xid8.txt"));
    assert_eq!(copy_out(&c, "COPY xid8_copy TO STDOUT (FORMAT binary)").await, expected("xid8.bin"));
    let columns = "(x xid8, s pg_snapshot, t txid_snapshot, a xid8[])";
    c.batch_execute(&format!("CREATE TABLE xid8_text {columns}; CREATE TABLE xid8_bin {columns}")).await.unwrap();
    assert_eq!(copy_in(&c, "COPY xid8_text FROM STDIN", &expected("xid8.txt")).await, 3);
    assert_eq!(copy_in(&c, "COPY xid8_bin FROM STDIN (FORMAT binary)", &expected("xid8.bin")).await, 3);
    for table in ["xid8_text", "xid8_bin"] {
        assert_eq!(copy_out(&c, &format!("COPY {table} TO STDOUT")).await, expected("xid8.txt"), "{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_parameters_are_read_as_postgres_reads_them() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    let text = |r: tokio_postgres::Row| r.get::<_, String>(0);
    let id = Raw(u64::MAX.to_be_bytes().to_vec());
    assert_eq!(text(c.query_one("SELECT $1::xid8::text", &[&id]).await.unwrap()), "18446744073709551615");
    let e = c.query_one("SELECT $1::xid8", &[&Raw(vec![0; 4])]).await.unwrap_err();
    assert_eq!(code(&e), "08P01", "{e:?}");
    let e = c.query_one("SELECT $1::xid8", &[&Raw(vec![0; 9])]).await.unwrap_err();
    assert_eq!(code(&e), "22P03", "{e:?}");
    let snap = snapshot_bytes(10, 20, &[11, 11, 15]);
    assert_eq!(text(c.query_one("SELECT $1::pg_snapshot::text", &[&snap]).await.unwrap()), "10:20:11,15");
    let snap = snapshot_bytes(7, 7, &[]);
    assert_eq!(text(c.query_one("SELECT $1::txid_snapshot::text", &[&snap]).await.unwrap()), "7:7:");
    // Unlike the text input, an id equal to xmax passes.
    let snap = snapshot_bytes(10, 20, &[20]);
    assert_eq!(text(c.query_one("SELECT $1::pg_snapshot::text", &[&snap]).await.unwrap()), "10:20:20");
    // Out of order, below xmin, xmax before xmin, bytes left over.
    let mut long = snapshot_bytes(7, 7, &[]);
    long.0.push(0);
    for bad in [snapshot_bytes(10, 20, &[15, 11]), snapshot_bytes(10, 20, &[9]), snapshot_bytes(20, 10, &[]), long] {
        let e = c.query_one("SELECT $1::pg_snapshot", &[&bad]).await.unwrap_err();
        assert_eq!(code(&e), "22P03", "{bad:?}: {e:?}");
    }
    let e = c.query_one("SELECT $1::pg_snapshot", &[&Raw(vec![0, 0, 0, 1])]).await.unwrap_err();
    assert_eq!(code(&e), "08P01", "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sessions_transaction_is_running_until_it_ends() {
    let server = TestServer::start(&[]);
    let a = server.connect().await;
    let b = server.connect().await;
    a.batch_execute("BEGIN").await.unwrap();
    let id = rows(&a, "SELECT pg_current_xact_id()").await.remove(0);
    let status = format!("SELECT pg_xact_status('{id}')");
    assert_eq!(rows(&b, &status).await, ["in progress"]);
    let among = format!("SELECT count(*) FROM pg_snapshot_xip(pg_current_snapshot()) x WHERE x = '{id}'");
    assert_eq!(rows(&b, &among).await, ["1"]);
    let visible = format!("SELECT pg_visible_in_snapshot('{id}', pg_current_snapshot())");
    assert_eq!(rows(&b, &visible).await, ["f"]);
    // A snapshot taken now sees the transaction once it has committed.
    b.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ").await.unwrap();
    assert_eq!(rows(&b, &visible).await, ["f"]);
    a.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&b, &visible).await, ["f"], "the repeatable-read snapshot stays");
    assert_eq!(rows(&b, &status).await, ["committed"]);
    b.batch_execute("COMMIT").await.unwrap();
    assert_eq!(rows(&b, &visible).await, ["t"]);
    // A transaction of its own is in progress for itself; rolled back, aborted.
    a.batch_execute("BEGIN").await.unwrap();
    let id = rows(&a, "SELECT pg_current_xact_id()").await.remove(0);
    assert_eq!(rows(&a, "SELECT pg_xact_status(pg_current_xact_id())").await, ["in progress"]);
    a.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(rows(&b, &format!("SELECT pg_xact_status('{id}')")).await, ["aborted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_ids_and_their_outcomes_survive_a_crash() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(ROWS).await.unwrap();
    c.batch_execute(
        "CREATE TABLE outcomes (what text, x xid8);
         CREATE INDEX outcomes_x ON outcomes (x);
         CREATE SEQUENCE seen;
         BEGIN; INSERT INTO outcomes VALUES ('committed', pg_current_xact_id()); COMMIT;
         BEGIN; SELECT setval('seen', txid_current()); ROLLBACK;
         INSERT INTO outcomes SELECT 'aborted', last_value::text::xid8 FROM seen;",
    )
    .await
    .unwrap();
    drop(c);
    let server = server.crash_and_restart(&[]);
    let c = server.connect().await;
    c.batch_execute("SET enable_seqscan = off").await.unwrap();
    assert_eq!(
        rows(&c, "SELECT what, pg_xact_status(x) FROM outcomes WHERE x > '0' ORDER BY x").await,
        ["committed committed", "aborted aborted"]
    );
    assert_eq!(
        rows(&c, "SELECT x, s, t FROM xid8_copy WHERE x IS NOT NULL ORDER BY x").await,
        ["0 1:1: 10:20:11,15", "18446744073709551615 3:9:4,5,8 7:7:"]
    );
    // Ids go on after the ones used before the crash.
    assert_eq!(rows(&c, "SELECT count(*) FROM outcomes WHERE x >= pg_current_xact_id()").await, ["0"]);
}
