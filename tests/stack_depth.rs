//! Statements nested or chained far deeper than any stack allows: each
//! fails with PostgreSQL's `stack depth limit exceeded` (54001), or runs
//! where PostgreSQL runs it (long AND/OR chains and IN lists), through the
//! simple and the extended protocol, and the server and the session go on.
//! A stack overflow would end the whole server instead.

mod common;

use common::{TestServer, code};

/// What a statement must do.
enum Expect {
    /// Run, returning this one value (as text).
    Value(&'static str),
    /// Fail with this SQLSTATE.
    Code(&'static str),
    /// Fail.
    AnyError,
}

fn repeat(item: &str, sep: &str, n: usize) -> String {
    vec![item; n].join(sep)
}

fn nest(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("{}{inner}{}", open.repeat(n), close.repeat(n))
}

/// The statements: (what, SQL, expected). Deep enough to overflow an
/// 8 MiB stack in an optimised build too, where frames are smallest.
fn cases() -> Vec<(&'static str, String, Expect)> {
    const N: usize = 100_000;
    vec![
        // Read up to 50,000 links (see MAX_NESTING in src/sql/parser.rs);
        // PostgreSQL reads longer AND chains too.
        ("AND chain", format!("SELECT 1 WHERE {}", repeat("true", " AND ", 40_000)), Expect::Value("1")),
        ("OR chain", format!("SELECT 1 WHERE {} OR true", repeat("false", " OR ", 40_000)), Expect::Value("1")),
        ("longer AND chain", format!("SELECT 1 WHERE {}", repeat("true", " AND ", N)), Expect::Code("54001")),
        // Printed whole in the error message: recursion that cannot fail.
        (
            "AND chain in an error",
            format!("SELECT ({}) SIMILAR TO 'x'", repeat("true", " AND ", 40_000)),
            Expect::AnyError,
        ),
        (
            "IN list",
            format!("SELECT 7 IN ({})", (0..N).map(|i| i.to_string()).collect::<Vec<_>>().join(",")),
            Expect::Value("t"),
        ),
        ("+ chain", format!("SELECT {}", repeat("1", "+", N)), Expect::Code("54001")),
        ("|| chain", format!("SELECT {}", repeat("'a'", " || ", N)), Expect::Code("54001")),
        ("cast chain", format!("SELECT 1{}", "::int".repeat(N)), Expect::Code("54001")),
        ("IS NULL chain", format!("SELECT 1{}", " IS NULL".repeat(N)), Expect::Code("54001")),
        ("parentheses", format!("SELECT {}", nest("(", "1", ")", N)), Expect::Code("54001")),
        ("subqueries", format!("SELECT {}", nest("(SELECT ", "1", ")", N)), Expect::Code("54001")),
        ("CASE", format!("SELECT {}", nest("CASE WHEN true THEN ", "1", " END", N)), Expect::Code("54001")),
        ("ARRAY", format!("SELECT {}", nest("ARRAY[", "1", "]", N)), Expect::Code("54001")),
        ("NOT", format!("SELECT {}true", "NOT ".repeat(N)), Expect::Code("54001")),
        ("unary minus", format!("SELECT {}1", "- ".repeat(N)), Expect::Code("54001")),
        ("function calls", format!("SELECT {}", nest("abs(", "1", ")", N)), Expect::Code("54001")),
        ("jsonb", format!("SELECT '{}'::jsonb", nest("[", "", "]", N)), Expect::Code("54001")),
        ("json", format!("SELECT '{}'::json", nest("[", "", "]", N)), Expect::Code("54001")),
        ("UNION ALL", format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(N)), Expect::Code("54001")),
        ("view", format!("CREATE VIEW deep AS SELECT {} AS x", repeat("1", "+", N)), Expect::Code("54001")),
        ("default", format!("CREATE TABLE deep (a int DEFAULT {})", repeat("1", "+", N)), Expect::Code("54001")),
    ]
}

async fn still_answers(c: &tokio_postgres::Client, what: &str) {
    let rows = c.simple_query("SELECT 41 + 1").await.unwrap_or_else(|e| panic!("{what}: the session ended: {e}"));
    let value = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    });
    assert_eq!(value.as_deref(), Some("42"), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_statements_fail_without_ending_the_server() {
    let server = TestServer::start(&[]);
    let c = server.connect().await;
    for (what, sql, expect) in cases() {
        // The simple protocol.
        let simple = c.simple_query(&sql).await;
        match (&expect, &simple) {
            (Expect::Value(v), Ok(msgs)) => {
                let row = msgs.iter().find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
                    _ => None,
                });
                assert_eq!(row, Some(Some(v.to_string())), "{what} (simple)");
            }
            (Expect::Code(want), Err(e)) => {
                assert_eq!(code(e), *want, "{what} (simple): {e:?}");
                let db = e.as_db_error().expect("an error from the server");
                if *want == "54001" {
                    assert_eq!(db.message(), "stack depth limit exceeded", "{what}");
                }
            }
            (Expect::AnyError, Err(_)) => {}
            (_, r) => panic!("{what} (simple): unexpected {r:?}"),
        }
        still_answers(&c, what).await;
        // The extended protocol (Parse, Describe, Bind, Execute).
        let extended = c.query(&sql, &[]).await;
        match (&expect, &extended) {
            (Expect::Value(_), Ok(rows)) => assert_eq!(rows.len(), 1, "{what} (extended)"),
            (Expect::Code(want), Err(e)) => assert_eq!(code(e), *want, "{what} (extended): {e:?}"),
            (Expect::AnyError, Err(_)) => {}
            (_, r) => panic!("{what} (extended): unexpected {r:?}"),
        }
        still_answers(&c, what).await;
    }
    // Another session, on a server that is still up.
    let other = server.connect().await;
    still_answers(&other, "a new session").await;
}
