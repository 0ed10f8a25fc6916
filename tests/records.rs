//! Row values through the protocol: a `record` column is described as
//! type 2249 and its binary form is `record_send`'s, byte for byte as
//! PostgreSQL 15 sends it; a record parameter is refused as PostgreSQL
//! refuses input of anonymous records.

mod common;

use common::TestServer;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// A value's binary form, of any type.
#[derive(Debug, PartialEq)]
struct Raw(Vec<u8>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(raw.to_vec()))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl ToSql for Raw {
    fn to_sql(&self, _: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_results_in_binary() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    let stmt = c.prepare("SELECT ROW(1, 'a b'::text, NULL::int, ROW(true))").await.unwrap();
    assert_eq!(stmt.columns()[0].type_(), &Type::RECORD);
    let row = c.query_one(&stmt, &[]).await.unwrap();
    // Four fields: int4 1; text "a b"; int4 NULL; record (bool true).
    let expected = hex(concat!(
        "00000004", "00000017", "00000004", "00000001", "00000019", "00000003", "612062", "00000017", "ffffffff",
        "000008c9", "0000000d", "00000001", "00000010", "00000001", "01"
    ));
    assert_eq!(row.get::<_, Raw>(0), Raw(expected));
    // The same value in text, through the simple protocol.
    let rows = c.simple_query("SELECT ROW(1, 'a b'::text, NULL::int, ROW(true))").await.unwrap();
    let tokio_postgres::SimpleQueryMessage::Row(r) = &rows[1] else { panic!("a row expected: {rows:?}") };
    assert_eq!(r.get(0), Some(r#"(1,"a b",,"(t)")"#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_parameters_are_refused() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    let e = c.query_one("SELECT $1::record", &[&Raw(hex("00000000"))]).await.unwrap_err();
    assert_eq!(common::code(&e), "0A000");
}
