//! Runs every `sql-tests/**/*.slt` file against a real tusk server through
//! tokio-postgres, once over the simple query protocol and once over the
//! extended protocol (prepared statements, binary results).

mod common;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use common::TestServer;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};
use tokio_postgres::types::Type;
use tokio_postgres::{Client, SimpleQueryMessage};

#[derive(Debug)]
struct PgError {
    code: Option<String>,
    message: String,
    detail: Option<String>,
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `statement error 22012: division by zero` matches code and
        // message; a pattern may go on to match ` DETAIL: …` too.
        write!(f, "{}: {}", self.code.as_deref().unwrap_or("?????"), self.message)?;
        match &self.detail {
            Some(d) => write!(f, " DETAIL: {d}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for PgError {}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> PgError {
        match e.as_db_error() {
            Some(db) => PgError {
                code: Some(db.code().code().to_string()),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
            },
            None => PgError { code: None, message: e.to_string(), detail: None },
        }
    }
}

struct Db {
    client: Client,
    extended: bool,
}

fn cell(s: Option<String>) -> String {
    match s {
        None => "NULL".into(),
        Some(s) if s.is_empty() => "(empty)".into(),
        Some(s) => s,
    }
}

/// A `void` result (a function called for its effect): no bytes.
struct Void;

impl<'a> tokio_postgres::types::FromSql<'a> for Void {
    fn from_sql(_: &Type, _: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Void)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::VOID
    }
}

/// `numeric` in binary form, decoded to PostgreSQL's text form.
struct RawNumeric(String);

impl<'a> tokio_postgres::types::FromSql<'a> for RawNumeric {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawNumeric(tusk::sql::numeric::read_binary(raw).map_err(|e| e.message().to_string())?))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// A date/time, uuid, pg_lsn, json, tuple-header (`tid`, `xid`, `cid`),
/// `xid8` or snapshot value in binary form, printed as PostgreSQL prints it (timestamptz in
/// UTC: binary values carry no zone).
struct RawDatetime(String);

impl<'a> tokio_postgres::types::FromSql<'a> for RawDatetime {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let pg = tusk::sql::types::PgType::from_oid(ty.oid()).ok_or("unknown type")?;
        let d = tusk::sql::types::parse_binary(pg, raw).map_err(|e| e.message().to_string())?;
        Ok(RawDatetime(d.to_text()))
    }

    fn accepts(ty: &Type) -> bool {
        [
            Type::DATE,
            Type::TIME,
            Type::TIMETZ,
            Type::TIMESTAMP,
            Type::TIMESTAMPTZ,
            Type::INTERVAL,
            Type::UUID,
            Type::PG_LSN,
            Type::JSON,
            Type::JSONB,
            Type::TID,
            Type::XID,
            Type::CID,
            Type::XID8,
            Type::PG_SNAPSHOT,
            Type::TXID_SNAPSHOT,
        ]
        .contains(ty)
    }
}

/// An enum value: its label.
struct RawEnum(String);

impl<'a> tokio_postgres::types::FromSql<'a> for RawEnum {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawEnum(String::from_utf8(raw.to_vec())?))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), tokio_postgres::types::Kind::Enum(_))
    }
}

/// An array in binary form, printed in its text form.
struct RawArray(String);

/// A record from its binary form (`record_send`), shown in its text form.
struct RawRecord(String);

impl<'a> tokio_postgres::types::FromSql<'a> for RawRecord {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let r = tusk::sql::record::RecordValue::read_binary(raw).map_err(|e| e.message().to_string())?;
        Ok(RawRecord(r.into_datum().to_text()))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::RECORD || matches!(ty.kind(), tokio_postgres::types::Kind::Composite(_))
    }
}

impl<'a> tokio_postgres::types::FromSql<'a> for RawArray {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::Kind;
        let pg = match ty.kind() {
            // Labels are sent as text: read the elements as text.
            Kind::Array(elem) if matches!(elem.kind(), Kind::Enum(_)) => {
                let mut raw = raw.to_vec();
                raw.get_mut(8..12).ok_or("short array")?.copy_from_slice(&25u32.to_be_bytes());
                let d = tusk::sql::types::parse_binary(tusk::sql::types::PgType::array_by_oid(1009), &raw)
                    .map_err(|e| e.message().to_string())?;
                return Ok(RawArray(d.to_text()));
            }
            _ => tusk::sql::types::PgType::from_oid(ty.oid()).ok_or("unknown type")?,
        };
        let d = tusk::sql::types::parse_binary(pg, raw).map_err(|e| e.message().to_string())?;
        Ok(RawArray(d.to_text()))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(ty.kind(), tokio_postgres::types::Kind::Array(_))
    }
}

fn float_text(v: f64, single: bool) -> String {
    let d = if single { tusk::sql::types::Datum::Float4(v as f32) } else { tusk::sql::types::Datum::Float8(v) };
    d.to_text()
}

#[async_trait]
impl AsyncDB for Db {
    type Error = PgError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, PgError> {
        if !self.extended {
            let mut rows = Vec::new();
            let mut ncols = None;
            let mut count = 0;
            for m in self.client.simple_query(sql).await? {
                match m {
                    SimpleQueryMessage::Row(r) => {
                        rows.push((0..r.len()).map(|i| cell(r.get(i).map(str::to_string))).collect());
                    }
                    SimpleQueryMessage::RowDescription(d) => ncols = Some(d.len()),
                    SimpleQueryMessage::CommandComplete(n) => count = n,
                    _ => {}
                }
            }
            return Ok(match ncols {
                Some(n) => DBOutput::Rows { types: vec![DefaultColumnType::Any; n], rows },
                None => DBOutput::StatementComplete(count),
            });
        }
        let stmt = self.client.prepare(sql).await?;
        if stmt.columns().is_empty() {
            let n = self.client.execute(&stmt, &[]).await?;
            return Ok(DBOutput::StatementComplete(n));
        }
        let mut rows = Vec::new();
        for row in self.client.query(&stmt, &[]).await? {
            let mut out = Vec::new();
            for (i, col) in row.columns().iter().enumerate() {
                let v = match *col.type_() {
                    Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(|b| if b { "t" } else { "f" }.to_string()),
                    Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map(|v| v.to_string()),
                    Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map(|v| v.to_string()),
                    Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(|v| v.to_string()),
                    Type::OID => row.try_get::<_, Option<u32>>(i)?.map(|v| v.to_string()),
                    Type::CHAR => row.try_get::<_, Option<i8>>(i)?.map(|v| char::from(v as u8).to_string()),
                    Type::FLOAT4 => row.try_get::<_, Option<f32>>(i)?.map(|v| float_text(v as f64, true)),
                    Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(|v| float_text(v, false)),
                    Type::NUMERIC => row.try_get::<_, Option<RawNumeric>>(i)?.map(|n| n.0),
                    Type::DATE
                    | Type::TIME
                    | Type::TIMETZ
                    | Type::TIMESTAMP
                    | Type::TIMESTAMPTZ
                    | Type::INTERVAL
                    | Type::UUID
                    | Type::PG_LSN
                    | Type::JSON
                    | Type::JSONB
                    | Type::TID
                    | Type::XID
                    | Type::CID
                    | Type::XID8
                    | Type::PG_SNAPSHOT
                    | Type::TXID_SNAPSHOT => row.try_get::<_, Option<RawDatetime>>(i)?.map(|n| n.0),
                    Type::VOID => row.try_get::<_, Option<Void>>(i)?.map(|_| String::new()),
                    ref t if matches!(t.kind(), tokio_postgres::types::Kind::Enum(_)) => {
                        row.try_get::<_, Option<RawEnum>>(i)?.map(|a| a.0)
                    }
                    Type::RECORD => row.try_get::<_, Option<RawRecord>>(i)?.map(|r| r.0),
                    ref t if matches!(t.kind(), tokio_postgres::types::Kind::Composite(_)) => {
                        row.try_get::<_, Option<RawRecord>>(i)?.map(|r| r.0)
                    }
                    ref t if matches!(t.kind(), tokio_postgres::types::Kind::Array(_)) => {
                        row.try_get::<_, Option<RawArray>>(i)?.map(|a| a.0)
                    }
                    // Raw bytes, shown in the default text form (hex).
                    Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(|b| {
                        let mut out = Vec::new();
                        tusk::sql::bytea::write_output(&mut out, &b, tusk::sql::types::ByteaOutput::Hex);
                        String::from_utf8_lossy(&out).into_owned()
                    }),
                    _ => row.try_get::<_, Option<String>>(i)?,
                };
                out.push(cell(v));
            }
            rows.push(out);
        }
        Ok(DBOutput::Rows { types: vec![DefaultColumnType::Any; stmt.columns().len()], rows })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        if self.extended { "tusk-extended" } else { "tusk-simple" }
    }

    fn error_sql_state(err: &PgError) -> Option<String> {
        err.code.clone()
    }
}

fn slt_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "slt") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sql-tests"), &mut out);
    // `SLT_FILTER=indexes` runs only the files whose path contains it.
    if let Ok(filter) = std::env::var("SLT_FILTER") {
        out.retain(|p| p.to_string_lossy().contains(&filter));
    }
    assert!(!out.is_empty(), "no .slt files found");
    out
}

/// `TUSK_SQL_TESTS_AGAINST="host=… port=…"` runs the files against another
/// server, such as a real PostgreSQL, to check the expected results.
async fn run_all(extended: bool) {
    let external = std::env::var("TUSK_SQL_TESTS_AGAINST").ok();
    let server = if external.is_none() { Some(TestServer::start(&[])) } else { None };
    let conn = match (&external, &server) {
        (Some(c), _) => c.clone(),
        (None, Some(s)) => s.conn_str(),
        (None, None) => unreachable!(),
    };
    // Against another server, each file starts in a fresh schema of its own
    // per protocol run (the two runs go in parallel). A tusk server is new
    // for each run; files there must not reuse each other's table names.
    let schema = if extended { "slt_extended" } else { "slt_simple" };
    let conn = if external.is_some() { format!("{conn} options='-c search_path={schema}'") } else { conn };
    let mut failures = Vec::new();
    for file in slt_files() {
        if external.is_some() {
            let (c, driver) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await.expect("connect");
            tokio::spawn(driver);
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).await.unwrap();
        }
        let conn = conn.clone();
        let mut runner = sqllogictest::Runner::new(move || {
            let conn = conn.clone();
            async move {
                let (client, c) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await.map_err(PgError::from)?;
                tokio::spawn(async move {
                    let _ = c.await;
                });
                Ok(Db { client, extended })
            }
        });
        if external.is_none() {
            runner.add_label("tusk");
        }
        runner.add_label(if extended { "extended" } else { "simple" });
        if let Err(e) = runner.run_file_async(&file).await {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{} file(s) failed:\n{}", failures.len(), failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slt_simple_protocol() {
    run_all(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slt_extended_protocol() {
    run_all(true).await;
}
