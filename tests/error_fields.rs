//! The object fields of an ErrorResponse — `s` schema, `t` table, `c`
//! column, `d` data type, `n` constraint — for each kind of constraint
//! violation, read through a client library as applications read them to
//! tell which constraint failed. The expected values are PostgreSQL's
//! (`TUSK_SQL_TESTS_AGAINST` runs the test against another server).

mod common;

use common::TestServer;
use tokio_postgres::Client;

/// What a failed statement's error names: SQLSTATE, schema, table,
/// column, data type, constraint ("-" for a field not sent).
async fn fields(c: &Client, sql: &str) -> String {
    let e = c.batch_execute(sql).await.expect_err(sql);
    let e = e.as_db_error().expect("an error from the server");
    let schema = match e.schema() {
        // The number of a temporary schema is the session's own.
        Some(s) if s.starts_with("pg_temp_") => Some("pg_temp_N"),
        s => s,
    };
    let shown = [schema, e.table(), e.column(), e.datatype(), e.constraint()].map(|f| f.unwrap_or("-"));
    format!("{} {}", e.code().code(), shown.join(" "))
}

async fn connect() -> (Option<TestServer>, Client) {
    match std::env::var("TUSK_SQL_TESTS_AGAINST") {
        Ok(conn) => {
            let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            (None, client)
        }
        Err(_) => {
            let server = TestServer::start(&[]);
            let client = server.connect().await;
            (Some(server), client)
        }
    }
}

#[tokio::test]
async fn constraint_violations_name_their_objects() {
    let (_server, c) = connect().await;
    c.batch_execute(
        "DROP SCHEMA IF EXISTS ef CASCADE; CREATE SCHEMA ef; SET search_path = ef;
         CREATE TABLE p (a int PRIMARY KEY, b int UNIQUE, c int NOT NULL, d int CHECK (d > 0));
         INSERT INTO p VALUES (1, 1, 1, 1);
         CREATE TABLE ch (x int REFERENCES p (a));
         INSERT INTO ch VALUES (1);
         CREATE DOMAIN pos AS int CHECK (value > 0);
         CREATE DOMAIN nn AS int NOT NULL;
         CREATE TABLE dt (v pos, w nn);
         CREATE TABLE q (a int); INSERT INTO q VALUES (1), (1), (NULL), (7);
         CREATE TABLE dfk (x int REFERENCES p DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE du (x int UNIQUE DEFERRABLE INITIALLY DEFERRED);",
    )
    .await
    .unwrap();

    let cases = [
        ("INSERT INTO p VALUES (1, 2, 1, 1)", "23505 ef p - - p_pkey"),
        ("INSERT INTO p VALUES (2, 1, 1, 1)", "23505 ef p - - p_b_key"),
        ("INSERT INTO p VALUES (2, 2, NULL, 1)", "23502 ef p c - -"),
        ("INSERT INTO p VALUES (2, 2, 1, -1)", "23514 ef p - - p_d_check"),
        ("UPDATE p SET d = 0", "23514 ef p - - p_d_check"),
        ("INSERT INTO ch VALUES (5)", "23503 ef ch - - ch_x_fkey"),
        ("DELETE FROM p", "23503 ef ch - - ch_x_fkey"),
        ("UPDATE p SET a = 9", "23503 ef ch - - ch_x_fkey"),
        ("SELECT (-1)::pos", "23514 ef - - pos pos_check"),
        ("SELECT NULL::nn", "23502 ef - - nn -"),
        ("INSERT INTO dt VALUES (-1, 1)", "23514 ef - - pos pos_check"),
        ("INSERT INTO dt VALUES (1, NULL)", "23502 ef - - nn -"),
        ("CREATE UNIQUE INDEX q_a_idx ON q (a)", "23505 ef q - - q_a_idx"),
        ("ALTER TABLE q ADD CHECK (a > 5)", "23514 ef q - - q_a_check"),
        ("ALTER TABLE q ALTER a SET NOT NULL", "23502 ef q a - -"),
        ("ALTER TABLE q ADD CONSTRAINT q_fk FOREIGN KEY (a) REFERENCES p (a)", "23503 ef q - - q_fk"),
        // Constraints checked at COMMIT.
        ("BEGIN; INSERT INTO dfk VALUES (99); COMMIT", "23503 ef dfk - - dfk_x_fkey"),
        ("BEGIN; INSERT INTO du VALUES (1), (1); COMMIT", "23505 ef du - - du_x_key"),
        // A division by zero is about no object.
        ("SELECT 1 / 0", "22012 - - - - -"),
    ];
    for (sql, expected) in cases {
        assert_eq!(fields(&c, sql).await, expected, "{sql}");
    }

    // ALTER DOMAIN checks the columns of the domain's type.
    c.batch_execute("CREATE DOMAIN d2 AS int; CREATE TABLE d2t (v d2); INSERT INTO d2t VALUES (1), (NULL)")
        .await
        .unwrap();
    assert_eq!(fields(&c, "ALTER DOMAIN d2 ADD CONSTRAINT big CHECK (value > 100)").await, "23514 ef d2t v - -");
    assert_eq!(fields(&c, "ALTER DOMAIN d2 SET NOT NULL").await, "23502 ef d2t v - -");
    c.batch_execute("DROP SCHEMA ef CASCADE").await.unwrap();
}

#[tokio::test]
async fn the_schema_is_named_as_the_failing_transaction_sees_it() {
    let (_server, c) = connect().await;
    // A schema the failing transaction created itself.
    let sql = "BEGIN; CREATE SCHEMA ef_new; CREATE TABLE ef_new.t (a int PRIMARY KEY);
               INSERT INTO ef_new.t VALUES (1), (1)";
    assert_eq!(fields(&c, sql).await, "23505 ef_new t - - t_pkey");
    c.batch_execute("ROLLBACK").await.unwrap();

    // A temporary table's schema is the session's pg_temp_N.
    c.batch_execute("CREATE TEMP TABLE ef_tt (a int PRIMARY KEY)").await.unwrap();
    assert_eq!(fields(&c, "INSERT INTO ef_tt VALUES (1), (1)").await, "23505 pg_temp_N ef_tt - - ef_tt_pkey");

    // The extended protocol sends the fields too.
    c.batch_execute("CREATE TEMP TABLE ef_nn (a int NOT NULL)").await.unwrap();
    let e = c.execute("INSERT INTO ef_nn VALUES ($1)", &[&None::<i32>]).await.expect_err("a null");
    let e = e.as_db_error().unwrap();
    assert_eq!((e.table(), e.column(), e.constraint()), (Some("ef_nn"), Some("a"), None));
    assert!(e.schema().is_some_and(|s| s.starts_with("pg_temp_")), "{:?}", e.schema());
}

/// A failed statement's SQLSTATE, message and hint.
async fn message_and_hint(c: &Client, sql: &str) -> String {
    let e = c.batch_execute(sql).await.expect_err(sql);
    let e = e.as_db_error().expect("an error from the server");
    format!("{} {} HINT: {}", e.code().code(), e.message(), e.hint().unwrap_or("-"))
}

#[tokio::test]
async fn row_type_errors_give_postgres_hints() {
    let (_server, c) = connect().await;
    c.batch_execute(
        "DROP SCHEMA IF EXISTS rt CASCADE; CREATE SCHEMA rt; SET search_path = rt;
         CREATE TYPE mood AS ENUM ('ok');
         CREATE TABLE t (a int);
         CREATE VIEW v AS SELECT 1 AS one;",
    )
    .await
    .unwrap();
    let taken = "HINT: A relation has an associated type of the same name, so you must use a name that doesn't conflict with any existing type.";
    let cases = [
        ("CREATE TABLE mood (a int)", format!("42710 type \"mood\" already exists {taken}")),
        ("CREATE VIEW mood AS SELECT 1", format!("42710 type \"mood\" already exists {taken}")),
        ("CREATE SEQUENCE mood", format!("42710 type \"mood\" already exists {taken}")),
        ("CREATE TYPE t AS ENUM ('x')", "42710 type \"t\" already exists HINT: -".to_string()),
        (
            "DROP TYPE t",
            "2BP01 cannot drop type t because table t requires it HINT: You can drop table t instead.".to_string(),
        ),
        (
            "DROP TYPE v",
            "2BP01 cannot drop type v because view v requires it HINT: You can drop view v instead.".to_string(),
        ),
        ("ALTER TYPE t RENAME TO u", "42809 t is a table's row type HINT: Use ALTER TABLE instead.".to_string()),
    ];
    for (sql, want) in cases {
        assert_eq!(message_and_hint(&c, sql).await, want, "{sql}");
    }
    c.batch_execute("DROP SCHEMA rt CASCADE").await.unwrap();
}
