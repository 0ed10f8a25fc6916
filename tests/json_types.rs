//! uuid, json and jsonb through the protocol: parameters and results in
//! binary form (uuid: its 16 bytes; json: its text; jsonb: version byte 1
//! and its text), COPY out in text and binary form byte for byte as
//! PostgreSQL 15 writes them (`tests/copy_expected/json_types.*`), COPY in
//! of both, and the values surviving a crash (WAL replay).

mod common;

use bytes::{Bytes, BytesMut};
use common::{TestServer, copy_out, expected};
use futures_util::SinkExt;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// A value's binary form as the client sends or receives it, of any type.
#[derive(Debug, PartialEq)]
struct Raw(Vec<u8>);

impl ToSql for Raw {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

const UUID: [u8; 16] = [0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11];

fn jsonb_bytes(text: &str) -> Vec<u8> {
    let mut b = vec![1u8];
    b.extend_from_slice(text.as_bytes());
    b
}

async fn copy_in(c: &tokio_postgres::Client, sql: &str, data: Vec<u8>) -> u64 {
    let sink = c.copy_in::<_, Bytes>(sql).await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from(data)).await.unwrap();
    sink.finish().await.unwrap()
}

/// The rows PostgreSQL wrote the expected COPY output from.
const ROWS: &str = r#"SELECT * FROM (VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{"b": [1, 2.50], "a" : null}'::json, '{"b": [1, 2.50], "a": "é\\n"}'::jsonb), (2, NULL, NULL, NULL), (3, '00000000-0000-0000-0000-000000000000', '"x"', '[]')) v(id, u, j, b)"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_parameters_and_results() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (id int PRIMARY KEY, u uuid UNIQUE, j json, b jsonb)").await.unwrap();
    let json = r#"{"z" : [1,  2], "a": 1}"#;
    c.execute(
        "INSERT INTO t VALUES (1, $1, $2, $3)",
        &[&Raw(UUID.to_vec()), &Raw(json.as_bytes().to_vec()), &Raw(jsonb_bytes(r#"{"z": [1], "a": 1.50}"#))],
    )
    .await
    .unwrap();
    let row =
        c.query_one("SELECT u, j, b, u::text, b::text FROM t WHERE u = $1", &[&Raw(UUID.to_vec())]).await.unwrap();
    assert_eq!(row.get::<_, Raw>(0), Raw(UUID.to_vec()));
    assert_eq!(row.get::<_, Raw>(1), Raw(json.as_bytes().to_vec()), "json comes back as written");
    assert_eq!(row.get::<_, Raw>(2), Raw(jsonb_bytes(r#"{"a": 1.50, "z": [1]}"#)), "jsonb comes back normalized");
    assert_eq!(row.get::<_, &str>(3), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    assert_eq!(row.get::<_, &str>(4), r#"{"a": 1.50, "z": [1]}"#);
    // Parameters of these types in expressions.
    let row = c
        .query_one(
            "SELECT $1::jsonb -> 'a', $1::jsonb @> $2",
            &[&Raw(jsonb_bytes(r#"{"a": [1, 2]}"#)), &Raw(jsonb_bytes("{\"a\": [2]}"))],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Raw>(0), Raw(jsonb_bytes("[1, 2]")));
    assert!(row.get::<_, bool>(1));
    // Wrong binary input is refused with PostgreSQL's errors.
    let e = c.execute("INSERT INTO t (id, u) VALUES (2, $1)", &[&Raw(vec![1, 2, 3])]).await.unwrap_err();
    assert_eq!(common::code(&e), "22P03");
    let e = c.execute("INSERT INTO t (id, b) VALUES (2, $1)", &[&Raw(b"\x02{}".to_vec())]).await.unwrap_err();
    assert!(e.as_db_error().unwrap().message().contains("unsupported jsonb version number 2"), "{e:?}");
    let e = c.execute("INSERT INTO t (id, j) VALUES (2, $1)", &[&Raw(b"{x}".to_vec())]).await.unwrap_err();
    assert_eq!(common::code(&e), "22P02");
    assert_eq!(e.as_db_error().unwrap().detail(), Some("Token \"x\" is invalid."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_matches_postgres_and_survives_a_crash() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    assert_eq!(copy_out(&c, &format!("COPY ({ROWS}) TO STDOUT")).await, expected("json_types.txt"));
    assert_eq!(copy_out(&c, &format!("COPY ({ROWS}) TO STDOUT (FORMAT binary)")).await, expected("json_types.bin"));
    c.batch_execute(
        "CREATE TABLE t (id int, u uuid, j json, b jsonb); CREATE TABLE tb (id int, u uuid, j json, b jsonb)",
    )
    .await
    .unwrap();
    assert_eq!(copy_in(&c, "COPY t FROM STDIN", expected("json_types.txt")).await, 3);
    assert_eq!(copy_in(&c, "COPY tb FROM STDIN (FORMAT binary)", expected("json_types.bin")).await, 3);
    for table in ["t", "tb"] {
        assert_eq!(copy_out(&c, &format!("COPY {table} TO STDOUT")).await, expected("json_types.txt"), "{table}");
    }
    // Bad input in COPY is the type's input error.
    let sink = c.copy_in::<_, Bytes>("COPY t FROM STDIN").await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from_static(b"9\tnot-a-uuid\t\\N\t\\N\n")).await.unwrap();
    let e = sink.finish().await.unwrap_err();
    assert_eq!(common::code(&e), "22P02");
    drop(c);
    let server = server.crash_and_restart(&[]);
    let c = server.connect().await;
    let rows = common::rows(&c, "SELECT id, u, b -> 'a' FROM tb ORDER BY id").await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(copy_out(&c, "COPY t TO STDOUT").await, expected("json_types.txt"));
}
