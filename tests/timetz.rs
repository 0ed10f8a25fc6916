//! timetz end to end: COPY writes PostgreSQL 15's bytes
//! (`tests/copy_expected/timetz.{txt,bin}`, from the same rows) and reads
//! them back in both formats, binary parameters are checked as
//! `timetz_recv` checks them, stored values and their index survive a
//! crash (WAL redo), and COPY reads and writes date/time values in the
//! session's zone with their columns' type modifiers, as PostgreSQL.

mod common;

use bytes::{BufMut, Bytes, BytesMut};
use common::{TestServer, code, copy_out, expected, rows};
use futures_util::SinkExt;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

const ROWS: &str = "
CREATE TABLE tz (t timetz, a timetz[]);
INSERT INTO tz VALUES ('12:34:56.789-05:30', '{12:00+01,NULL}'), (NULL, NULL), ('24:00:00+15:59', '{}'),
 ('00:00:00.000001+00:00:30', '{23:59:59-15:59:59}');
";

async fn copy_in(c: &tokio_postgres::Client, sql: &str, data: &[u8]) -> u64 {
    let sink = c.copy_in::<_, Bytes>(sql).await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(Bytes::copy_from_slice(data)).await.unwrap();
    sink.finish().await.unwrap()
}

/// A timetz in its binary form: microseconds, then seconds west of UTC.
#[derive(Debug)]
struct RawTimeTz(i64, i32);

impl ToSql for RawTimeTz {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.put_i64(self.0);
        out.put_i32(self.1);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMETZ
    }

    to_sql_checked!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_matches_postgres_in_both_formats() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(ROWS).await.unwrap();
    assert_eq!(String::from_utf8(copy_out(&c, "COPY tz TO STDOUT").await).unwrap(), {
        String::from_utf8(expected("timetz.txt")).unwrap()
    });
    assert_eq!(copy_out(&c, "COPY tz TO STDOUT (FORMAT binary)").await, expected("timetz.bin"));
    c.batch_execute("CREATE TABLE tz_text (t timetz, a timetz[]); CREATE TABLE tz_bin (t timetz, a timetz[])")
        .await
        .unwrap();
    assert_eq!(copy_in(&c, "COPY tz_text FROM STDIN", &expected("timetz.txt")).await, 4);
    assert_eq!(copy_in(&c, "COPY tz_bin FROM STDIN (FORMAT binary)", &expected("timetz.bin")).await, 4);
    for table in ["tz_text", "tz_bin"] {
        assert_eq!(copy_out(&c, &format!("COPY {table} TO STDOUT")).await, expected("timetz.txt"), "{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_parameters_are_checked_like_timetz_recv() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    let text = |r: tokio_postgres::Row| r.get::<_, String>(0);
    let row = c.query_one("SELECT $1::timetz::text", &[&RawTimeTz(45_296_789_000, 19_800)]).await.unwrap();
    assert_eq!(text(row), "12:34:56.789-05:30");
    let row = c.query_one("SELECT $1::timetz::text", &[&RawTimeTz(0, -57_599)]).await.unwrap();
    assert_eq!(text(row), "00:00:00+15:59:59");
    let e = c.query_one("SELECT $1::timetz", &[&RawTimeTz(86_400_000_001, 0)]).await.unwrap_err();
    assert_eq!(code(&e), "22008", "{e:?}");
    let e = c.query_one("SELECT $1::timetz", &[&RawTimeTz(0, 57_600)]).await.unwrap_err();
    assert_eq!(code(&e), "22009", "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_values_and_their_index_survive_a_crash() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(ROWS).await.unwrap();
    c.batch_execute("CREATE INDEX tz_t ON tz (t); INSERT INTO tz VALUES ('10:00+00', NULL), ('12:00+02', NULL)")
        .await
        .unwrap();
    drop(c);
    let server = server.crash_and_restart(&[]);
    let c = server.connect().await;
    c.batch_execute("SET enable_seqscan = off").await.unwrap();
    // By UTC time: 23:59:30 the day before, 08:01, then 12:00+02 and
    // 10:00+00, the same instant, the one further east first.
    assert_eq!(
        rows(&c, "SELECT t FROM tz WHERE t < '10:00:01+00' ORDER BY t").await,
        ["00:00:00.000001+00:00:30", "24:00:00+15:59", "12:00:00+02", "10:00:00+00"]
    );
    assert_eq!(rows(&c, "SELECT a FROM tz WHERE t = '12:34:56.789-05:30'").await, ["{12:00:00+01,NULL}"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_reads_and_writes_in_the_session_zone_and_applies_type_modifiers() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(
        "SET TimeZone = 'Asia/Kolkata';
         CREATE TABLE cz (a timetz, b timetz(0), c time(1), d timestamptz(0), e interval minute, f timestamp(2))",
    )
    .await
    .unwrap();
    let row = b"12:00\t12:00:00.6+01\t10:00:00.55\t2024-01-02 03:04:05.6\t5\t2024-01-02 03:04:05.555\n";
    assert_eq!(copy_in(&c, "COPY cz FROM STDIN", row).await, 1);
    // PostgreSQL 15's output for the same row, in each zone.
    assert_eq!(
        String::from_utf8(copy_out(&c, "COPY cz TO STDOUT").await).unwrap(),
        "12:00:00+05:30\t12:00:01+01\t10:00:00.6\t2024-01-02 03:04:06+05:30\t00:05:00\t2024-01-02 03:04:05.56\n"
    );
    c.batch_execute("SET TimeZone = 'UTC'").await.unwrap();
    assert_eq!(
        String::from_utf8(copy_out(&c, "COPY cz TO STDOUT").await).unwrap(),
        "12:00:00+05:30\t12:00:01+01\t10:00:00.6\t2024-01-01 21:34:06+00\t00:05:00\t2024-01-02 03:04:05.56\n"
    );
    // Binary input takes the modifiers too.
    let bin = copy_out(&c, "COPY (SELECT '10:00:00.44+02'::timetz) TO STDOUT (FORMAT binary)").await;
    c.batch_execute("CREATE TABLE cz0 (t timetz(0))").await.unwrap();
    assert_eq!(copy_in(&c, "COPY cz0 FROM STDIN (FORMAT binary)", &bin).await, 1);
    assert_eq!(rows(&c, "SELECT t FROM cz0").await, ["10:00:00+02"]);
}
