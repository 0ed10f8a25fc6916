//! COPY end to end: tokio-postgres's `copy_in`/`copy_out` (extended
//! protocol), raw protocol messages (simple protocol, CopyFail, protocol
//! violations, rows split across CopyData messages), psql's `\copy`, and
//! server-side files. Expected output bytes in `tests/copy_expected/` were
//! produced by PostgreSQL 15 from the same rows.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use common::{TestServer, copy_out, expected};
use futures_util::SinkExt;

const TYPES_TABLE: &str = "
CREATE TABLE ty (b bool, s int2, i int4, l int8, r float4, d float8, t text, v varchar(10));
INSERT INTO ty VALUES (true, 1, 2, 3, 1.5, 2.25, 'plain', 'v'),
 (false, -32768, -2147483647, -9223372036854775807, 'NaN', 'Infinity', E'tab\\there', 'new\\nl'),
 (null, null, null, null, '-Infinity', '-Infinity', E'back\\\\slash,\"quote\"', E'cr\\rx'),
 (true, 0, 0, 0, 3.4028235e38, 1e-300, E'\\u00e9t\\u00e9 \\u2603', ''),
 (false, 5, 6, 7, 0.1, 0.1, '\\.', 'a,b'),
 (true, 5, 6, 7, -0, 1.7976931348623157e308, '', ' '),
 (true, 5, 6, 7, 1, 1, E'\\x01\\x1f\\b\\f\\v', 'x');
";

/// COPY FROM STDIN with `data` sent in CopyData messages of `piece` bytes.
async fn copy_in(
    c: &tokio_postgres::Client,
    sql: &str,
    data: &[u8],
    piece: usize,
) -> Result<u64, tokio_postgres::Error> {
    let sink = c.copy_in::<_, Bytes>(sql).await?;
    futures_util::pin_mut!(sink);
    for chunk in data.chunks(piece.max(1)) {
        // `send` flushes: each piece is its own CopyData message.
        sink.send(Bytes::copy_from_slice(chunk)).await?;
    }
    sink.finish().await
}

/// SQLSTATE, message and CONTEXT of a server error.
fn db_error(e: &tokio_postgres::Error) -> (String, String, Option<String>) {
    let d = e.as_db_error().unwrap_or_else(|| panic!("not a server error: {e:?}"));
    (d.code().code().to_string(), d.message().to_string(), d.where_().map(str::to_string))
}

async fn count(c: &tokio_postgres::Client, table: &str) -> i64 {
    c.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_to_writes_what_postgres_writes() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(TYPES_TABLE).await.unwrap();
    assert_eq!(copy_out(&c, "COPY ty TO STDOUT").await, expected("types.txt"));
    assert_eq!(copy_out(&c, "COPY ty TO STDOUT (FORMAT csv, HEADER)").await, expected("types_header.csv"));
    assert_eq!(copy_out(&c, "COPY ty TO STDOUT WITH (FORMAT binary)").await, expected("types.bin"));
    assert_eq!(
        copy_out(
            &c,
            "COPY ty TO STDOUT (FORMAT csv, DELIMITER '|', NULL 'NULL', QUOTE '''', ESCAPE '\\', FORCE_QUOTE (t))"
        )
        .await,
        expected("types_options.csv")
    );
    // A query, the old option syntax, a column list, FORCE_QUOTE *.
    assert_eq!(
        copy_out(&c, "COPY (SELECT s, t FROM ty WHERE s = 1) TO STDOUT WITH CSV HEADER").await,
        b"s,t\n1,plain\n"
    );
    let quoted = copy_out(&c, "COPY ty (t, s) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)").await;
    assert_eq!(quoted.len(), 100);
    assert!(quoted.starts_with(b"\"plain\",\"1\"\n\"tab\there\",\"-32768\"\n"));
    assert_eq!(
        copy_out(&c, "COPY (SELECT 1 AS \"a,b\", NULL::text AS c) TO STDOUT (FORMAT csv, HEADER, FORCE_QUOTE *)").await,
        b"\"a,b\",c\n\"1\",\n"
    );
    assert_eq!(copy_out(&c, "COPY (SELECT s FROM ty WHERE false) TO STDOUT").await, b"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_round_trip_in_every_format() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(TYPES_TABLE).await.unwrap();
    c.batch_execute("CREATE TABLE ty2 (b bool, s int2, i int4, l int8, r float4, d float8, t text, v varchar(10))")
        .await
        .unwrap();
    for (to, from) in [
        ("", ""),
        ("(FORMAT csv)", "(FORMAT csv)"),
        ("(FORMAT csv, HEADER)", "(FORMAT csv, HEADER MATCH)"),
        ("(FORMAT binary)", "(FORMAT binary)"),
        ("(DELIMITER ',', NULL '<null>')", "(DELIMITER ',', NULL '<null>')"),
        ("(FORMAT csv, QUOTE '''', ESCAPE '\\')", "(FORMAT csv, QUOTE '''', ESCAPE '\\')"),
    ] {
        let data = copy_out(&c, &format!("COPY ty TO STDOUT {to}")).await;
        // Whole, and in pieces that split rows, escapes and quotes anywhere.
        for piece in [data.len(), 1, 3, 7] {
            c.batch_execute("DELETE FROM ty2").await.unwrap();
            let n = copy_in(&c, &format!("COPY ty2 FROM STDIN {from}"), &data, piece).await.unwrap();
            assert_eq!(n, 7, "{from} in pieces of {piece}");
            let back = copy_out(&c, &format!("COPY ty2 TO STDOUT {to}")).await;
            assert_eq!(String::from_utf8_lossy(&back), String::from_utf8_lossy(&data), "{from} in pieces of {piece}");
        }
    }
    // PostgreSQL's own output reads back the same.
    c.batch_execute("DELETE FROM ty2").await.unwrap();
    copy_in(&c, "COPY ty2 FROM STDIN (FORMAT binary)", &expected("types.bin"), 1000).await.unwrap();
    assert_eq!(copy_out(&c, "COPY ty2 TO STDOUT").await, expected("types.txt"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_csv_input_forms() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE f (a int, b text, c varchar(3))").await.unwrap();
    let cases: &[(&str, &[u8], &[u8])] = &[
        // Escapes: octal, hex, control characters, a backslash before any other byte.
        ("", b"1\t\\101\\x42\\x4a\\t\\n\\r\\\\\\q\\\t\t\\N\n", b"1\tABJ\\t\\n\\r\\\\q\\t\t\\N\n"),
        // CRLF line ends, \. ends the data (what follows is ignored), a last line without a line end.
        ("", b"1\tx\ty\r\n2\t\\N\tz\r\n\\.\r\nignored", b"1\tx\ty\n2\t\\N\tz\n"),
        ("", b"3\tno newline\t", b"3\tno newline\t\n"),
        // CSV: quoted delimiters and newlines, doubled quotes, quoted empty vs unquoted empty.
        ("(FORMAT csv)", b"1,\"a,b\nc\",\"\"\"\"\n2,\"\",\n", b"1\ta,b\\nc\t\"\n2\t\t\\N\n"),
        ("(FORMAT csv, HEADER)", b"a,b,c\n4,x,y\n\\.\n", b"4\tx\ty\n"),
        ("(FORMAT csv, FORCE_NOT_NULL (b), FORCE_NULL (c))", b"5,,\"\"\n", b"5\t\t\\N\n"),
        ("WITH CSV HEADER DELIMITER ';'", b"a;b;c\n6;\"x;y\";\n", b"6\tx;y\t\\N\n"),
        ("(NULL 'nil', DELIMITER '|')", b"7|nil|\\N\n", b"7\t\\N\tN\n"),
        // varchar(3): trailing spaces beyond the length are cut.
        ("", b"8\t\\N\tab   \n", b"8\t\\N\tab \n"),
    ];
    for (options, input, want) in cases {
        c.batch_execute("DELETE FROM f").await.unwrap();
        copy_in(&c, &format!("COPY f FROM STDIN {options}"), input, 2)
            .await
            .unwrap_or_else(|e| panic!("{options}: {e:?}"));
        let got = copy_out(&c, "COPY f TO STDOUT").await;
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want), "{options}");
    }
    // WHERE keeps the rows for which it is true; an error in it names the line.
    c.batch_execute("DELETE FROM f").await.unwrap();
    let n =
        copy_in(&c, "COPY f FROM STDIN WHERE a > 1 AND b <> 'skip'", b"1\tone\t\n2\ttwo\t\n3\tskip\t\n4\t\\N\t\n", 3);
    assert_eq!(n.await.unwrap(), 1);
    assert_eq!(copy_out(&c, "COPY f TO STDOUT").await, b"2\ttwo\t\n");
    let e = copy_in(&c, "COPY f FROM STDIN WHERE a / 0 > 1", b"5\tx\t\n", 3).await.unwrap_err();
    assert_eq!(db_error(&e).1, "division by zero");
    assert_eq!(db_error(&e).2.as_deref(), Some("COPY f, line 1: \"5\tx\t\""));
    // A column list: the others are NULL.
    c.batch_execute("DELETE FROM f").await.unwrap();
    copy_in(&c, "COPY f (c, a) FROM STDIN", b"xyz\t9\n", 100).await.unwrap();
    assert_eq!(copy_out(&c, "COPY f TO STDOUT").await, b"9\t\\N\txyz\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn char_n_input_is_padded_to_its_length() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE p (a int, s char(3), w char(150))").await.unwrap();
    copy_in(&c, "COPY p FROM STDIN", b"1\tx\tshort\n2\tabc\t\\N\n3\t\t\n", 3).await.unwrap();
    // COPY TO prints each value as stored: padded to the column's length.
    let out = copy_out(&c, "COPY p TO STDOUT").await;
    let want = format!("1\tx  \tshort{}\n2\tabc\t\\N\n3\t   \t{}\n", " ".repeat(145), " ".repeat(150));
    assert_eq!(String::from_utf8_lossy(&out), want);
    let rows = c.query("SELECT a, s || '|', rtrim(w) || '|' FROM p ORDER BY a", &[]).await.unwrap();
    let got: Vec<(i32, Option<String>, Option<String>)> = rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    // Trailing spaces do not count in comparisons or when cast to text.
    assert_eq!(
        got,
        vec![
            (1, Some("x|".into()), Some("short|".into())),
            (2, Some("abc|".into()), None),
            (3, Some("|".into()), Some("|".into())),
        ]
    );
}

const BYTEA_TABLE: &str = "
CREATE TABLE cb (id int, b bytea, t text);
INSERT INTO cb VALUES (1, '\\x0102ff', 'a'), (2, '', ''), (3, null, null),
 (4, '\\x5c2c0a0d09225c78', 'x'), (5, 'abc\\\\000', 'y'), (6, '\\x00', 'z');
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytea_in_every_format() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(BYTEA_TABLE).await.unwrap();
    // What PostgreSQL writes: `\\x…` in text (its backslash escaped), `\x…`
    // in CSV, the raw bytes in binary; `bytea_output` is followed.
    assert_eq!(copy_out(&c, "COPY cb TO STDOUT").await, expected("bytea.txt"));
    assert_eq!(copy_out(&c, "COPY cb TO STDOUT (FORMAT csv, HEADER)").await, expected("bytea_header.csv"));
    assert_eq!(copy_out(&c, "COPY cb TO STDOUT (FORMAT binary)").await, expected("bytea.bin"));
    c.batch_execute("SET bytea_output = escape").await.unwrap();
    assert_eq!(copy_out(&c, "COPY cb TO STDOUT").await, expected("bytea_escape.txt"));
    c.batch_execute("RESET bytea_output").await.unwrap();
    // Each of PostgreSQL's outputs reads back as the same rows.
    c.batch_execute("CREATE TABLE cb2 (id int, b bytea, t text)").await.unwrap();
    for (file, options) in [
        ("bytea.txt", ""),
        ("bytea_escape.txt", ""),
        ("bytea_header.csv", "(FORMAT csv, HEADER)"),
        ("bytea.bin", "(FORMAT binary)"),
    ] {
        for piece in [1000, 3] {
            c.batch_execute("DELETE FROM cb2").await.unwrap();
            let n = copy_in(&c, &format!("COPY cb2 FROM STDIN {options}"), &expected(file), piece).await.unwrap();
            assert_eq!(n, 6, "{file}");
            assert_eq!(copy_out(&c, "COPY cb2 TO STDOUT").await, expected("bytea.txt"), "{file} in pieces of {piece}");
        }
    }
    // Bad input fails with PostgreSQL's message and context.
    for (line, message) in [
        (&b"1\t\\\\xzz\tq\n"[..], "invalid hexadecimal digit: \"z\""),
        (b"1\tab\\\\q\tq\n", "invalid input syntax for type bytea"),
    ] {
        let e = copy_in(&c, "COPY cb2 FROM STDIN", line, 100).await.unwrap_err();
        let column = String::from_utf8_lossy(line).split('\t').nth(1).unwrap().replace("\\\\", "\\");
        assert_eq!(db_error(&e).1, message);
        assert_eq!(db_error(&e).2, Some(format!("COPY cb2, line 1, column b: \"{column}\"")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_copy_streams() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE big (a int4, b text)").await.unwrap();
    const ROWS: i64 = 200_000;
    let sink = c.copy_in::<_, Bytes>("COPY big FROM STDIN").await.unwrap();
    futures_util::pin_mut!(sink);
    let mut chunk = Vec::with_capacity(70_000);
    let mut text_bytes = 0i64;
    for i in 1..=ROWS {
        let b = format!("row number {i} with some text");
        text_bytes += b.len() as i64;
        writeln!(chunk, "{i}\t{b}").unwrap();
        if chunk.len() > 64 * 1024 {
            sink.send(Bytes::from(std::mem::take(&mut chunk))).await.unwrap();
        }
    }
    sink.send(Bytes::from(chunk)).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), ROWS as u64);
    let row = c.query_one("SELECT count(*), sum(a), sum(length(b)) FROM big", &[]).await.unwrap();
    assert_eq!(row.get::<_, i64>(0), ROWS);
    assert_eq!(row.get::<_, i64>(1), ROWS * (ROWS + 1) / 2);
    assert_eq!(row.get::<_, i64>(2), text_bytes);
    let out = copy_out(&c, "COPY big TO STDOUT (FORMAT csv)").await;
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count() as i64, ROWS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_data_fails_with_context_and_keeps_nothing() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (a int NOT NULL, b text, c int UNIQUE)").await.unwrap();
    let s = |x: &str| Some(x.to_string());
    // (options, input, SQLSTATE, message, CONTEXT)
    type Case<'a> = (&'a str, &'a [u8], &'a str, &'a str, Option<String>);
    let cases: &[Case] = &[
        (
            "",
            b"1\t1\t1\n2\t2\tx\n",
            "22P02",
            "invalid input syntax for type integer: \"x\"",
            s("COPY t, line 2, column c: \"x\""),
        ),
        ("(FORMAT csv)", b"1,2,3\n1,2\n", "22P04", "missing data for column \"c\"", s("COPY t, line 2: \"1,2\"")),
        ("", b"1\t2\t3\t4\n", "22P04", "extra data after last expected column", s("COPY t, line 1: \"1\t2\t3\t4\"")),
        (
            "",
            b"1\t2\t3\n\\N\ty\t4\n",
            "23502",
            "null value in column \"a\" of relation \"t\" violates not-null constraint",
            s("COPY t, line 2: \"\\N\ty\t4\""),
        ),
        (
            "",
            b"1\tx\t1\n2\ty\t1\n",
            "23505",
            "duplicate key value violates unique constraint \"t_c_key\"",
            s("COPY t, line 2"),
        ),
        ("", b"1\t2\t3\\.x\n", "22P04", "end-of-copy marker corrupt", s("COPY t, line 1")),
        ("(FORMAT csv)", b"1,\"open\n", "22P04", "unterminated CSV quoted field", s("COPY t, line 1: \"1,\"open\n\"")),
        (
            "(FORMAT csv, HEADER MATCH)",
            b"a,b,d\n",
            "22P04",
            "column name mismatch in header line field 3: got \"d\", expected \"c\"",
            s("COPY t, line 1: \"a,b,d\""),
        ),
        ("", b"1\t\xff\t2\n", "22021", "invalid byte sequence for encoding \"UTF8\": 0xff", s("COPY t, line 1")),
        (
            "",
            b"1\tx\t99999999999\n",
            "22003",
            "value \"99999999999\" is out of range for type integer",
            s("COPY t, line 1, column c: \"99999999999\""),
        ),
        ("(FORMAT binary)", b"PGCOPY\n", "22P04", "COPY file signature not recognized", None),
        (
            "(FORMAT binary)",
            b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\0\x02",
            "22P04",
            "row field count is 2, expected 3",
            s("COPY t, line 1"),
        ),
        (
            "(FORMAT binary)",
            b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\0\x03\0\0\0\x02\0\x01",
            "08P01",
            "insufficient data left in message",
            s("COPY t, line 1, column a"),
        ),
        (
            "(FORMAT binary)",
            b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\0\x03\0\0\0\x08\0\0\0\0\0\0\0\x01\xff\xff\xff\xff",
            "22P03",
            "incorrect binary data format",
            s("COPY t, line 1, column a"),
        ),
        (
            "(FORMAT binary)",
            b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0\0\x03\0\0\0\x04\0\0\0\x01\xff\xff\xff\xff",
            "22P04",
            "unexpected EOF in COPY data",
            s("COPY t, line 1"),
        ),
    ];
    for (options, input, code, message, context) in cases {
        let e = copy_in(&c, &format!("COPY t FROM STDIN {options}"), input, 5).await.unwrap_err();
        let (got_code, got_message, got_context) = db_error(&e);
        assert_eq!((got_code.as_str(), got_message.as_str()), (*code, *message), "{input:?}");
        assert_eq!(&got_context, context, "{input:?}");
        assert_eq!(count(&c, "t").await, 0, "nothing of a failed COPY is kept");
    }
    // The session goes on.
    assert_eq!(copy_in(&c, "COPY t FROM STDIN", b"1\tok\t1\n", 100).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oid_alias_columns_copy_as_names() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE regs (c regclass, t regtype[])").await.unwrap();
    let n = copy_in(&c, "COPY regs FROM STDIN", b"pg_class\t{int4,text}\n1247\t\\N\n", 64).await.unwrap();
    assert_eq!(n, 2);
    let oids: Vec<u32> =
        c.query("SELECT c::oid FROM regs ORDER BY 1", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(oids, [1247, 1259]);
    let out = copy_out(&c, "COPY (SELECT * FROM regs ORDER BY c::oid) TO STDOUT").await;
    assert_eq!(out, b"pg_type\t\\N\npg_class\t{integer,text}\n");
    let out = copy_out(&c, "COPY regs TO STDOUT").await;
    assert_eq!(out, b"pg_class\t{integer,text}\npg_type\t\\N\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copied_rows_pass_check_constraints() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    // Without indexes rows are stored in batches; with one, one by one.
    c.batch_execute(
        "CREATE TABLE ck1 (a int CHECK (a > 0), b text); CREATE TABLE ck2 (a int UNIQUE CHECK (a > 0), b text)",
    )
    .await
    .unwrap();
    for table in ["ck1", "ck2"] {
        let e = copy_in(
            &c,
            &format!("COPY {table} FROM STDIN"),
            b"1	x
-2	y
",
            3,
        )
        .await
        .unwrap_err();
        let (code, message, context) = db_error(&e);
        assert_eq!(
            (code.as_str(), message.as_str()),
            (
                "23514",
                format!("new row for relation \"{table}\" violates check constraint \"{table}_a_check\"").as_str()
            )
        );
        assert_eq!(e.as_db_error().unwrap().detail(), Some("Failing row contains (-2, y)."));
        assert_eq!(context, Some(format!("COPY {table}, line 2: \"-2\ty\"")));
        assert_eq!(count(&c, table).await, 0);
        assert_eq!(copy_in(&c, &format!("COPY {table} FROM STDIN"), b"1\tx\n\\N\ty\n", 3).await.unwrap(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_is_part_of_its_transaction() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (a int PRIMARY KEY, b text)").await.unwrap();
    c.batch_execute("BEGIN").await.unwrap();
    assert_eq!(copy_in(&c, "COPY t FROM STDIN", b"1\ta\n2\tb\n", 100).await.unwrap(), 2);
    assert_eq!(count(&c, "t").await, 2, "the transaction sees its rows");
    c.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(&c, "t").await, 0);

    // A failed COPY fails its transaction block.
    c.batch_execute("BEGIN").await.unwrap();
    copy_in(&c, "COPY t FROM STDIN", b"1\ta\n", 100).await.unwrap();
    let e = copy_in(&c, "COPY t FROM STDIN", b"3\tc\n1\tdup\n", 100).await.unwrap_err();
    assert_eq!(db_error(&e).0, "23505");
    let e = c.batch_execute("SELECT 1").await.unwrap_err();
    assert_eq!(db_error(&e).0, "25P02");
    c.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(&c, "t").await, 0);

    // The client gives up (tokio-postgres sends CopyFail when the sink is dropped).
    {
        let sink = c.copy_in::<_, Bytes>("COPY t FROM STDIN").await.unwrap();
        futures_util::pin_mut!(sink);
        sink.send(Bytes::from_static(b"1\ta\n")).await.unwrap();
    }
    assert_eq!(count(&c, "t").await, 0);
    // Read-only transactions refuse it.
    // (Through the simple protocol: tokio-postgres's copy_in follows an
    // error before CopyInResponse with CopyFail and a second Sync.)
    c.batch_execute("BEGIN READ ONLY").await.unwrap();
    let e = c.batch_execute("COPY t FROM STDIN").await.unwrap_err();
    assert_eq!(db_error(&e).1, "cannot execute COPY FROM in a read-only transaction");
    c.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_ends_a_slow_copy() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (a int); SET statement_timeout = 200").await.unwrap();
    let sink = c.copy_in::<_, Bytes>("COPY t FROM STDIN").await.unwrap();
    futures_util::pin_mut!(sink);
    let mut failed = None;
    for i in 0..50 {
        if let Err(e) = sink.send(Bytes::from(format!("{i}\n"))).await {
            failed = Some(e);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let e = match failed {
        Some(e) => e,
        None => sink.finish().await.unwrap_err(),
    };
    let (code, message, _) = db_error(&e);
    assert_eq!((code.as_str(), message.as_str()), ("57014", "canceling statement due to statement timeout"));
    c.batch_execute("SET statement_timeout = 0").await.unwrap();
    assert_eq!(count(&c, "t").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_errors() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (a int, b text)").await.unwrap();
    // FREEZE is for a table created (or truncated) by the same transaction.
    c.batch_execute("BEGIN; CREATE TABLE fz (a int)").await.unwrap();
    assert_eq!(copy_in(&c, "COPY fz FROM STDIN (FREEZE)", b"1\n", 10).await.unwrap(), 1);
    c.batch_execute("COMMIT").await.unwrap();
    for (sql, code, message) in [
        ("COPY nope FROM STDIN", "42P01", "relation \"nope\" does not exist"),
        ("COPY t (zz) FROM STDIN", "42703", "column \"zz\" of relation \"t\" does not exist"),
        ("COPY t (a, a) FROM STDIN", "42701", "column \"a\" specified more than once"),
        ("COPY t FROM STDIN (foo 1)", "42601", "option \"foo\" not recognized"),
        ("COPY t FROM STDIN (FORMAT xml)", "22023", "COPY format \"xml\" not recognized"),
        ("COPY t FROM STDIN (FORMAT csv, FORMAT text)", "42601", "conflicting or redundant options"),
        ("COPY t FROM STDIN (HEADER 2)", "42601", "header requires a Boolean value or \"match\""),
        ("COPY t TO STDOUT (HEADER MATCH)", "0A000", "cannot use \"match\" with HEADER in COPY TO"),
        ("COPY t FROM STDIN (DELIMITER 'ab')", "0A000", "COPY delimiter must be a single one-byte character"),
        ("COPY t FROM STDIN (QUOTE 'x')", "0A000", "COPY quote available only in CSV mode"),
        ("COPY t FROM STDIN (FORMAT csv, FORCE_QUOTE *)", "0A000", "COPY force quote only available using COPY TO"),
        ("COPY t FROM STDIN (FORMAT binary, DELIMITER ',')", "42601", "cannot specify DELIMITER in BINARY mode"),
        (
            "COPY t (a) FROM STDIN (FORMAT csv, FORCE_NOT_NULL (b))",
            "42P10",
            "FORCE_NOT_NULL column \"b\" not referenced by COPY",
        ),
        ("COPY t FROM PROGRAM 'ls'", "0A000", "COPY FROM PROGRAM is not supported yet"),
        (
            "COPY t FROM '/nonexistent/file'",
            "58P01",
            "could not open file \"/nonexistent/file\" for reading: No such file or directory",
        ),
        ("COPY t TO 'relative.txt'", "42602", "relative path not allowed for COPY to file"),
        ("COPY (SELECT 1) FROM STDIN", "42601", "syntax error at or near \"FROM\""),
        ("COPY t FROM STDIN (FORMAT)", "42601", "format requires a parameter"),
        ("COPY t FROM STDIN (FREEZE 2)", "42601", "freeze requires a Boolean value"),
        ("COPY t TO STDOUT WHERE a > 1", "0A000", "WHERE clause not allowed with COPY TO"),
        (
            "COPY t FROM STDIN WHERE count(*) > 1",
            "42803",
            "aggregate functions are not allowed in COPY FROM WHERE conditions",
        ),
        ("COPY t FROM STDIN WHERE a IN (SELECT 1)", "0A000", "cannot use subquery in COPY FROM WHERE condition"),
        ("COPY t FROM STDIN WHERE b", "42804", "argument of WHERE must be type boolean, not type text"),
        (
            "COPY t FROM STDIN (FREEZE)",
            "55000",
            "cannot perform COPY FREEZE because the table was not created or truncated in the current subtransaction",
        ),
    ] {
        let e = c.batch_execute(sql).await.unwrap_err();
        let (got_code, got_message, _) = db_error(&e);
        assert_eq!((got_code.as_str(), got_message.as_str()), (code, message), "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_files() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE t (a int, b text); INSERT INTO t VALUES (1, 'one'), (2, NULL), (3, 'a,\"b\"')")
        .await
        .unwrap();
    let path = server.dir.join("out.csv");
    let n = c.execute(&format!("COPY t TO '{}' (FORMAT csv, HEADER)", path.display()), &[]).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a,b\n1,one\n2,\n3,\"a,\"\"b\"\"\"\n");
    c.batch_execute("CREATE TABLE u (a int, b text)").await.unwrap();
    let n = c.execute(&format!("COPY u FROM '{}' WITH CSV HEADER", path.display()), &[]).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(copy_out(&c, "COPY u TO STDOUT").await, b"1\tone\n2\t\\N\n3\ta,\"b\"\n");
}

// ---- raw protocol ----------------------------------------------------------

struct Raw(TcpStream);

impl Raw {
    fn connect(server: &TestServer) -> Raw {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut body = 196608i32.to_be_bytes().to_vec();
        body.extend_from_slice(b"user\0postgres\0database\0postgres\0\0");
        let mut p = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        p.extend_from_slice(&body);
        s.write_all(&p).unwrap();
        let mut raw = Raw(s);
        raw.until_ready();
        raw
    }

    fn send(&mut self, ty: u8, body: &[u8]) {
        let mut m = vec![ty];
        m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
        m.extend_from_slice(body);
        self.0.write_all(&m).unwrap();
    }

    fn query(&mut self, sql: &str) {
        self.send(b'Q', format!("{sql}\0").as_bytes());
    }

    fn read(&mut self) -> (u8, Vec<u8>) {
        let mut head = [0u8; 5];
        self.0.read_exact(&mut head).unwrap();
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len - 4];
        self.0.read_exact(&mut body).unwrap();
        (head[0], body)
    }

    /// Messages up to and including ReadyForQuery, as (type, body).
    fn until_ready(&mut self) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        loop {
            let m = self.read();
            let done = m.0 == b'Z';
            out.push(m);
            if done {
                return out;
            }
        }
    }
}

/// An ErrorResponse's field.
fn field(body: &[u8], code: u8) -> Option<String> {
    body.split(|&b| b == 0).find(|f| f.first() == Some(&code)).map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
}

#[test]
fn simple_protocol_copy_with_rows_across_messages() {
    let server = TestServer::start(&[]);
    let mut r = Raw::connect(&server);
    r.query("CREATE TABLE t (a int, b text)");
    r.until_ready();
    r.query("COPY t FROM STDIN (FORMAT csv); SELECT count(*) FROM t");
    let (ty, body) = r.read();
    assert_eq!(ty, b'G', "CopyInResponse");
    assert_eq!(body, [0, 0, 2, 0, 0, 0, 0]);
    for piece in [&b"1,\"multi"[..], b"\nline\"\n2", b",x\n", b"3,", b"\"\"\"\"\n"] {
        r.send(b'd', piece);
    }
    r.send(b'c', b"");
    let msgs = r.until_ready();
    let kinds: Vec<u8> = msgs.iter().map(|m| m.0).collect();
    assert_eq!(kinds, b"CTDCZ", "CommandComplete, then the SELECT's rows");
    assert_eq!(msgs[0].1, b"COPY 3\0");
    assert_eq!(&msgs[2].1[6..], b"3");

    // COPY TO STDOUT: CopyOutResponse, a CopyData per row, CopyDone.
    r.query("COPY t TO STDOUT (FORMAT csv)");
    let msgs = r.until_ready();
    let kinds: Vec<u8> = msgs.iter().map(|m| m.0).collect();
    assert_eq!(kinds, b"HdddcCZ");
    assert_eq!(msgs[0].1, [0, 0, 2, 0, 0, 0, 0]);
    assert_eq!(msgs[1].1, b"1,\"multi\nline\"\n");
    assert_eq!(msgs[3].1, b"3,\"\"\"\"\n");
    assert_eq!(msgs[5].1, b"COPY 3\0");
}

#[test]
fn copy_fail_and_protocol_violations() {
    let server = TestServer::start(&[]);
    let mut r = Raw::connect(&server);
    r.query("CREATE TABLE t (a int)");
    r.until_ready();

    // CopyFail: 57014 with the client's message; later CopyData is ignored.
    r.query("COPY t FROM STDIN");
    assert_eq!(r.read().0, b'G');
    r.send(b'd', b"1\n");
    r.send(b'f', b"client gave up\0");
    r.send(b'd', b"2\n");
    r.send(b'c', b"");
    let msgs = r.until_ready();
    assert_eq!(msgs[0].0, b'E');
    assert_eq!(field(&msgs[0].1, b'C').as_deref(), Some("57014"));
    assert_eq!(field(&msgs[0].1, b'M').as_deref(), Some("COPY from stdin failed: client gave up"));

    // Bad data: the error comes at once; the rest of the data is ignored.
    r.query("COPY t FROM STDIN");
    assert_eq!(r.read().0, b'G');
    r.send(b'd', b"1\nx\n");
    let msgs = r.until_ready();
    assert_eq!(field(&msgs[0].1, b'W').as_deref(), Some("COPY t, line 2, column a: \"x\""));
    r.send(b'd', b"3\n");
    r.send(b'c', b"");
    r.query("SELECT count(*) FROM t");
    let msgs = r.until_ready();
    assert_eq!(msgs.iter().map(|m| m.0).collect::<Vec<_>>(), b"TDCZ");
    assert_eq!(&msgs[1].1[6..], b"0");

    // Another message during COPY is a protocol violation.
    r.query("COPY t FROM STDIN");
    assert_eq!(r.read().0, b'G');
    r.query("SELECT 1");
    let msgs = r.until_ready();
    assert_eq!(field(&msgs[0].1, b'C').as_deref(), Some("08P01"));
    assert_eq!(field(&msgs[0].1, b'M').as_deref(), Some("unexpected message type 0x51 during COPY from stdin"));
    r.query("SELECT 1");
    assert_eq!(r.until_ready().last().unwrap().0, b'Z');
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_during_copy_rolls_back() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE u (a int PRIMARY KEY)").await.unwrap();
    let mut r = Raw::connect(&server);
    r.query("COPY u FROM STDIN");
    assert_eq!(r.read().0, b'G');
    r.send(b'd', b"1\n2\n");
    // A message out of place fails the COPY; the connection then closes.
    r.query("SELECT 1");
    drop(r);
    let insert = tokio::time::timeout(Duration::from_secs(10), c.execute("INSERT INTO u VALUES (1)", &[]));
    assert_eq!(insert.await.expect("not left waiting").unwrap(), 1);

    let mut r = Raw::connect(&server);
    r.query("BEGIN");
    r.until_ready();
    r.query("COPY u FROM STDIN");
    assert_eq!(r.read().0, b'G');
    r.send(b'd', b"2\n");
    // The client leaves inside a transaction block, in the middle of a
    // COPY: its transaction rolls back, and an insert of the same key that
    // would wait for it goes ahead.
    drop(r);
    let insert = tokio::time::timeout(Duration::from_secs(10), c.execute("INSERT INTO u VALUES (2)", &[]));
    assert_eq!(insert.await.expect("not left waiting").unwrap(), 1);
}

fn have_psql() -> bool {
    Command::new("psql").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn psql_backslash_copy_in_and_out() {
    if !have_psql() {
        eprintln!("psql not installed; skipping");
        return;
    }
    let server = TestServer::start(&[]);
    let input = server.dir.join("in.csv");
    std::fs::write(&input, "a,b\n1,\"x, y\"\n2,\n3,\"multi\nline\"\n").unwrap();
    let output = server.dir.join("out.csv");
    let script = format!(
        "CREATE TABLE t (a int, b text);\n\\copy t from '{}' csv header\n\\copy t to '{}' csv\nSELECT count(*) FROM t;\n",
        input.display(),
        output.display()
    );
    let mut child = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-At",
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
            "-U",
            "postgres",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "1,\"x, y\"\n2,\n3,\"multi\nline\"\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enums_in_every_format() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute(
        "CREATE TYPE ce_mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE ce (id int, m ce_mood, ms ce_mood[])",
    )
    .await
    .unwrap();
    let text = b"1\tok\t{sad,happy}\n2\t\\N\t\\N\n";
    assert_eq!(copy_in(&c, "COPY ce FROM STDIN", text, 5).await.unwrap(), 2);
    assert_eq!(copy_out(&c, "COPY ce TO STDOUT").await, text.to_vec());
    assert_eq!(copy_out(&c, "COPY ce TO STDOUT (FORMAT csv)").await, b"1,ok,\"{sad,happy}\"\n2,,\n".to_vec());
    // Binary: a label is sent as its text; it reads back.
    let binary = copy_out(&c, "COPY ce (id, m) TO STDOUT (FORMAT binary)").await;
    c.batch_execute("CREATE TABLE ce2 (id int, m ce_mood)").await.unwrap();
    assert_eq!(copy_in(&c, "COPY ce2 FROM STDIN (FORMAT binary)", &binary, 7).await.unwrap(), 2);
    assert_eq!(copy_out(&c, "COPY ce2 TO STDOUT").await, b"1\tok\n2\t\\N\n".to_vec());
    let e = copy_in(&c, "COPY ce FROM STDIN", b"3\tgreat\t\\N\n", 100).await.unwrap_err();
    assert_eq!(db_error(&e).1, "invalid input value for enum ce_mood: \"great\"");
    assert_eq!(db_error(&e).2, Some("COPY ce, line 1, column m: \"great\"".to_string()));
}

/// COPY FREEZE into a table its transaction created (or truncated) stores
/// the rows frozen on all-visible pages: they are there after a commit and
/// a crash (VACUUM then finds every page all-visible), gone after a
/// rollback or a crash before the commit, and a savepoint since the table
/// was made refuses FREEZE as PostgreSQL does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_freeze_rows_are_frozen_and_durable() {
    let server = TestServer::start(&["autovacuum=off"]);
    let c = server.connect().await;
    let rows: String = (1..=5000).map(|i| format!("{i}\trow {i}\n")).collect();
    c.batch_execute("CREATE TABLE keep (a int, b text); INSERT INTO keep VALUES (1, 'x'), (2, 'y')").await.unwrap();
    c.batch_execute("BEGIN; TRUNCATE keep").await.unwrap();
    assert_eq!(copy_in(&c, "COPY keep FROM STDIN (FREEZE)", rows.as_bytes(), 4096).await.unwrap(), 5000);
    assert_eq!(count(&c, "keep").await, 5000);
    c.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(count(&c, "keep").await, 2);

    c.batch_execute("BEGIN; CREATE TABLE sp (a int); SAVEPOINT s").await.unwrap();
    let e = c.batch_execute("COPY sp FROM STDIN (FREEZE)").await.unwrap_err();
    assert_eq!(db_error(&e).0, "55000");
    c.batch_execute("ROLLBACK").await.unwrap();

    c.batch_execute("BEGIN; CREATE TABLE fz (a int, b text)").await.unwrap();
    assert_eq!(copy_in(&c, "COPY fz FROM STDIN (FREEZE)", rows.as_bytes(), 4096).await.unwrap(), 5000);
    c.batch_execute("COMMIT").await.unwrap();
    let other = server.connect().await;
    assert_eq!(count(&other, "fz").await, 5000);
    // Left open across the crash: its table must not survive.
    other.batch_execute("BEGIN; CREATE TABLE gone (a int, b text)").await.unwrap();
    assert_eq!(copy_in(&other, "COPY gone FROM STDIN (FREEZE)", rows.as_bytes(), 4096).await.unwrap(), 5000);

    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let r = c.query_one("SELECT count(*), sum(a), min(b) FROM fz", &[]).await.unwrap();
    assert_eq!((r.get::<_, i64>(0), r.get::<_, i64>(1), r.get::<_, String>(2)), (5000, 12_502_500, "row 1".into()));
    let e = c.batch_execute("SELECT * FROM gone").await.unwrap_err();
    assert_eq!(db_error(&e).0, "42P01");
    // The pages are all-visible already: an index-only scan reads no heap.
    c.batch_execute("CREATE INDEX fz_a ON fz (a); SET enable_seqscan = off; SET enable_bitmapscan = off")
        .await
        .unwrap();
    let plan = c.simple_query("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT a FROM fz WHERE a < 100");
    let plan: Vec<String> = plan
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect();
    assert!(plan.iter().any(|l| l.contains("Index Only Scan")), "{plan:?}");
    assert!(plan.iter().any(|l| l.trim() == "Heap Fetches: 0"), "{plan:?}");
    c.batch_execute("VACUUM fz").await.unwrap();
    let r = c.query_one("SELECT relpages, relallvisible, reltuples FROM pg_class WHERE relname = 'fz'", &[]).await;
    let r = r.unwrap();
    let (pages, visible, tuples): (i32, i32, f32) = (r.get(0), r.get(1), r.get(2));
    assert!(pages > 1);
    assert_eq!((visible, tuples), (pages, 5000.0));
    // A frozen row changed again leaves its page for VACUUM to do.
    c.batch_execute("DELETE FROM fz WHERE a <= 10").await.unwrap();
    c.batch_execute("VACUUM fz").await.unwrap();
    assert_eq!(count(&c, "fz").await, 4990);
    let r = c.query_one("SELECT reltuples FROM pg_class WHERE relname = 'fz'", &[]).await.unwrap();
    // Two pages read, the other 31 estimated from the density before (as
    // PostgreSQL's vac_estimate_reltuples): near the truth, not exact.
    let tuples = r.get::<_, f32>(0);
    assert!((4700.0..=5100.0).contains(&tuples), "{tuples}");
}

/// COPY adds pages to a table several at a time: two COPYs into one
/// table at once share them out, and pages added but never filled (left
/// empty by a crash) are taken by later inserts and cut by VACUUM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_a_copy_adds_in_bulk_are_filled_or_cut() {
    let server = TestServer::start(&["autovacuum=off"]);
    let setup = server.connect().await;
    setup.batch_execute("CREATE TABLE bulk (a int, b text)").await.unwrap();
    let (c1, c2) = (server.connect().await, server.connect().await);
    let rows = |from: i32| (from..from + 20_000).map(|i| format!("{i}\t{}\n", "p".repeat(40))).collect::<String>();
    let (r1, r2) = (rows(0), rows(100_000));
    let (n1, n2) = tokio::join!(
        copy_in(&c1, "COPY bulk FROM STDIN", r1.as_bytes(), 8192),
        copy_in(&c2, "COPY bulk FROM STDIN", r2.as_bytes(), 8192)
    );
    assert_eq!((n1.unwrap(), n2.unwrap()), (20_000, 20_000));
    // Acknowledged, then the server dies before any checkpoint.
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let c = server.connect().await;
    let sums = "SELECT count(*), count(DISTINCT a), sum(a) FROM bulk";
    let r = c.query_one(sums, &[]).await.unwrap();
    let expected: i64 = (0..20_000).chain(100_000..120_000).sum();
    assert_eq!((r.get::<_, i64>(0), r.get::<_, i64>(1), r.get::<_, i64>(2)), (40_000, 40_000, expected));
    // Rows inserted one at a time go where there is room, empty pages included.
    c.batch_execute("INSERT INTO bulk SELECT g, 'x' FROM generate_series(1, 500) g").await.unwrap();
    c.batch_execute("VACUUM bulk").await.unwrap();
    assert_eq!(count(&c, "bulk").await, 40_500);
    // Every page VACUUM leaves holds rows: 40 500 rows of ~80 bytes need
    // under 450 pages of 8 KiB.
    let r = c.query_one("SELECT relpages, reltuples FROM pg_class WHERE relname = 'bulk'", &[]).await.unwrap();
    let (pages, tuples): (i32, f32) = (r.get(0), r.get(1));
    assert_eq!(tuples, 40_500.0);
    assert!(pages < 450, "{pages} pages");
    let r = c.query_one("SELECT count(*) FROM bulk WHERE a BETWEEN 100000 AND 100099", &[]).await.unwrap();
    assert_eq!(r.get::<_, i64>(0), 100);
}

/// A column of a composite type (a table's row type) reads and writes
/// `record_in`/`record_out`'s text form, as PostgreSQL's COPY does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composite_columns_in_text_form() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE cp_t (a int, b text); CREATE TABLE cp_u (id int, p cp_t)").await.unwrap();
    let input = b"6\t(6,\"x y\")\n7\t\\N\n8\t(,\"\")\n9\t( 9 ,q)\n";
    assert_eq!(copy_in(&c, "COPY cp_u FROM STDIN", input, 5).await.unwrap(), 4);
    let b: Option<String> = c.query_one("SELECT (p).b FROM cp_u WHERE id = 6", &[]).await.unwrap().get(0);
    assert_eq!(b.as_deref(), Some("x y"));
    assert_eq!(copy_out(&c, "COPY cp_u TO STDOUT").await, b"6\t(6,\"x y\")\n7\t\\N\n8\t(,\"\")\n9\t(9,q)\n");
    let e = copy_in(&c, "COPY cp_u FROM STDIN", b"1\t(1,x\n", 100).await.unwrap_err();
    let (code, message, _) = db_error(&e);
    assert_eq!((code.as_str(), message.as_str()), ("22P02", "malformed record literal: \"(1,x\""));
}

/// Rows written by COPY (and a multi-row INSERT) are logged compactly —
/// without the header fields redo can restore — so recovery must rebuild
/// them exactly: after kill -9 the committed rows are back with their
/// values, inserter and own addresses (an UPDATE of each follows its ctid),
/// and a rolled-back COPY's rows stay invisible.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copied_rows_are_recovered_after_kill_9() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE cr (id int, v text, n numeric)").await.unwrap();
    // In a transaction after another command: the copied rows' cmin is 1.
    c.batch_execute("BEGIN; INSERT INTO cr VALUES (0, 'first', 0)").await.unwrap();
    let rows: String = (1..=20000).map(|i| format!("{i}\tvalue {i}\t{}.5\n", i * 3)).collect();
    copy_in(&c, "COPY cr FROM STDIN", rows.as_bytes(), 65536).await.unwrap();
    c.batch_execute("COMMIT; DELETE FROM cr WHERE id = 0").await.unwrap();
    c.batch_execute("BEGIN").await.unwrap();
    copy_in(&c, "COPY cr FROM STDIN", b"-1\tgone\t0\n-2\tgone\t0\n", 100).await.unwrap();
    c.batch_execute("ROLLBACK").await.unwrap();
    c.batch_execute(
        "BEGIN; CREATE TABLE fr (id int, v text); INSERT INTO fr VALUES (1, 'a'), (2, NULL), (3, 'c'); COMMIT",
    )
    .await
    .unwrap();
    c.batch_execute("BEGIN; TRUNCATE fr").await.unwrap();
    copy_in(&c, "COPY fr FROM STDIN (FREEZE)", b"7\tseven\n8\t\\N\n", 100).await.unwrap();
    c.batch_execute("COMMIT").await.unwrap();
    let before = texts(&c, "SELECT cr::text || xmin || ' ' || cmin FROM cr ORDER BY id").await;
    drop(c);

    let server = server.crash_and_restart(&[]);
    let c = server.connect().await;
    let after = texts(&c, "SELECT cr::text || xmin || ' ' || cmin FROM cr ORDER BY id").await;
    assert_eq!(after.len(), 20000, "every committed row and none of the rolled-back COPY");
    assert!(after[0].ends_with(" 1"), "cmin restored: {}", after[0]);
    assert_eq!(after, before);
    assert_eq!(texts(&c, "SELECT fr::text FROM fr ORDER BY id").await, ["(7,seven)", "(8,)"]);
    // Each row's ctid is its own address: updating every row follows it.
    assert_eq!(c.execute("UPDATE cr SET n = n + 1", &[]).await.unwrap(), 20000);
    let sum: String = c.query_one("SELECT sum(n)::text FROM cr", &[]).await.unwrap().get(0);
    let expect: u64 = (1..=20000u64).map(|i| i * 3).sum::<u64>() + 20000 + 10000;
    assert_eq!(sum, format!("{expect}.0"));
    drop(c);

    let server = server.crash_and_restart(&[]);
    let c = server.connect().await;
    assert_eq!(count(&c, "cr").await, 20000);
    let sum: String = c.query_one("SELECT sum(n)::text FROM cr", &[]).await.unwrap().get(0);
    assert_eq!(sum, format!("{expect}.0"));
}

/// The first column of every row, as text.
async fn texts(c: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    c.query(sql, &[]).await.unwrap().iter().map(|r| r.get(0)).collect()
}

/// VACUUM skips long runs of all-frozen pages (those COPY FREEZE writes)
/// and estimates their rows from what `pg_class` said; rows never counted
/// are counted; once every page changed, VACUUM counts them all again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuum_skips_frozen_pages_and_estimates_as_postgres() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    c.batch_execute("CREATE TABLE fz (id int, pad text); BEGIN; TRUNCATE fz").await.unwrap();
    let rows: String = (1..=20000).map(|i| format!("{i}\t{}\n", "p".repeat(60))).collect();
    copy_in(&c, "COPY fz FROM STDIN (FREEZE)", rows.as_bytes(), 65536).await.unwrap();
    c.batch_execute("COMMIT").await.unwrap();
    c.batch_execute("VACUUM fz").await.unwrap();
    let sizes = "SELECT relpages::text || ' ' || reltuples::text FROM pg_class WHERE relname = 'fz'";
    let (pages, tuples) = {
        let s = &texts(&c, sizes).await[0];
        let (p, t) = s.split_once(' ').unwrap();
        (p.parse::<i64>().unwrap(), t.to_string())
    };
    assert!(pages > 64, "relpages set: {pages}");
    // PostgreSQL leaves reltuples at -1 here; tusk counts rows never counted.
    assert_eq!(tuples, "20000");
    c.batch_execute("DELETE FROM fz WHERE id % 100 = 0").await.unwrap();
    c.batch_execute("VACUUM fz").await.unwrap();
    assert_eq!(texts(&c, sizes).await, [format!("{pages} 19800")]);
}
