//! numeric columns end to end: the packed stored form survives a crash
//! (WAL redo) and a clean restart, values wider than a page go out of line,
//! COPY binary output matches PostgreSQL 15's bytes
//! (`tests/copy_expected/numeric.bin`, from the same rows), and COPY FROM
//! (text and binary) applies the column's `numeric(p,s)`.

mod common;

use bytes::Bytes;
use common::{TestServer, code, copy_out, rows};
use futures_util::SinkExt;

const ROWS: &str = "
CREATE TABLE nb (a numeric, b numeric(10,2));
INSERT INTO nb VALUES (0, 1.5), (-12345.6789, NULL), ('NaN', 99999999.99), ('Infinity', -0.01),
 ('-Infinity', 0), (123456789012345678901234567890.000001, 12.3), (0.00001, 1);
";

async fn copy_in(c: &tokio_postgres::Client, sql: &str, data: &[u8]) -> Result<u64, tokio_postgres::Error> {
    let sink = c.copy_in::<_, Bytes>(sql).await?;
    futures_util::pin_mut!(sink);
    sink.send(Bytes::copy_from_slice(data)).await?;
    sink.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numeric_columns_survive_a_crash_and_copy_like_postgres() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    client.batch_execute(ROWS).await.unwrap();
    // A value of 20000 digits is stored out of line.
    client
        .batch_execute(
            "CREATE TABLE wide (id int PRIMARY KEY, v numeric);
             INSERT INTO wide VALUES (1, 10::numeric ^ 19999 + 0.5), (2, 2.50), (3, 2.5000)",
        )
        .await
        .unwrap();
    let before = rows(&client, "SELECT a, b FROM nb ORDER BY a").await;
    let server = server.crash_and_restart(&[]);
    let client = server.connect().await;
    assert_eq!(rows(&client, "SELECT a, b FROM nb ORDER BY a").await, before);
    assert_eq!(
        rows(&client, "SELECT length(v::text), scale(v), v = 10::numeric ^ 19999 + 0.5 FROM wide WHERE id = 1").await,
        vec!["20017 16 t"]
    );
    assert_eq!(rows(&client, "SELECT v FROM wide WHERE id > 1 ORDER BY id").await, vec!["2.50", "2.5000"]);

    // COPY binary: PostgreSQL's numeric_send bytes, and read back.
    let bin = copy_out(&client, "COPY nb TO STDOUT (FORMAT binary)").await;
    let want = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/copy_expected/numeric.bin"))
        .unwrap();
    assert_eq!(bin, want);
    client.batch_execute("CREATE TABLE nb2 (a numeric, b numeric(4,1))").await.unwrap();
    let err = copy_in(&client, "COPY nb2 FROM STDIN (FORMAT binary)", &bin).await.unwrap_err();
    assert_eq!(code(&err), "22003", "99999999.99 does not fit numeric(4,1)");
    client.batch_execute("ALTER TABLE nb2 ALTER COLUMN b TYPE numeric(12,1)").await.unwrap();
    assert_eq!(copy_in(&client, "COPY nb2 FROM STDIN (FORMAT binary)", &bin).await.unwrap(), 7);
    assert_eq!(
        rows(&client, "SELECT b FROM nb2 WHERE b IS NOT NULL ORDER BY b").await,
        vec!["0.0", "0.0", "1.0", "1.5", "12.3", "100000000.0"]
    );

    // COPY text and CSV in round to the column's scale.
    client.batch_execute("CREATE TABLE nb3 (a numeric(5,1))").await.unwrap();
    assert_eq!(copy_in(&client, "COPY nb3 FROM STDIN", b"1.25\n-3.14159\nNaN\n").await.unwrap(), 3);
    assert_eq!(copy_in(&client, "COPY nb3 FROM STDIN (FORMAT csv)", b"\"7.77\"\n").await.unwrap(), 1);
    assert_eq!(rows(&client, "SELECT a FROM nb3").await, vec!["1.3", "-3.1", "NaN", "7.8"]);
    let err = copy_in(&client, "COPY nb3 FROM STDIN", b"123456\n").await.unwrap_err();
    assert_eq!(code(&err), "22003");
    let text = copy_out(&client, "COPY nb3 TO STDOUT (FORMAT csv)").await;
    assert_eq!(text, b"1.3\n-3.1\nNaN\n7.8\n");
}
