//! Arrays through the protocol: a driver's `Vec<i32>`, `Vec<String>` and
//! `Vec<Option<i32>>` parameters arrive as arrays in binary format, and
//! array results come back in binary (decoded by tokio-postgres) and in
//! text; `x = ANY($1)` takes an array parameter; array columns survive a
//! restart; COPY reads and writes their text form.

mod common;

use common::TestServer;

/// The first row's first column of a simple (text-format) query.
async fn simple_text(client: &tokio_postgres::Client, sql: &str) -> Option<String> {
    let messages = client.simple_query(sql).await.unwrap();
    messages.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
        _ => None,
    })?
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_parameters_and_results() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    client.batch_execute("CREATE TABLE a (id int PRIMARY KEY, n int[], tags text[], o int[])").await.unwrap();
    let n: Vec<i32> = vec![1, -2, i32::MAX];
    let tags: Vec<String> = vec!["a b".into(), "".into(), "x\"y".into(), "NULL".into()];
    let o: Vec<Option<i32>> = vec![Some(1), None, Some(3)];
    client.execute("INSERT INTO a VALUES (1, $1, $2, $3)", &[&n, &tags, &o]).await.unwrap();
    client
        .execute("INSERT INTO a VALUES (2, $1, $2, NULL)", &[&Vec::<i32>::new(), &vec!["z".to_string()]])
        .await
        .unwrap();

    let row = client.query_one("SELECT n, tags, o FROM a WHERE id = 1", &[]).await.unwrap();
    assert_eq!(row.get::<_, Vec<i32>>(0), n);
    assert_eq!(row.get::<_, Vec<String>>(1), tags);
    assert_eq!(row.get::<_, Vec<Option<i32>>>(2), o);
    let row = client.query_one("SELECT n, o FROM a WHERE id = 2", &[]).await.unwrap();
    assert_eq!(row.get::<_, Vec<i32>>(0), Vec::<i32>::new());
    assert_eq!(row.get::<_, Option<Vec<i32>>>(1), None);

    // The text form of the same values.
    let text = simple_text(&client, "SELECT tags FROM a WHERE id = 1").await;
    assert_eq!(text.as_deref(), Some(r#"{"a b","","x\"y","NULL"}"#));
    let text = simple_text(&client, "SELECT o FROM a WHERE id = 1").await;
    assert_eq!(text.as_deref(), Some("{1,NULL,3}"));

    // x = ANY($1) with an array parameter, and an array parameter compared whole.
    let ids: Vec<i32> = vec![2, 5];
    let rows = client.query("SELECT id FROM a WHERE id = ANY($1) ORDER BY id", &[&ids]).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(), vec![2]);
    let row = client.query_one("SELECT id FROM a WHERE n = $1", &[&n]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 1);
    let words: Vec<&str> = vec!["z", "q"];
    let row = client.query_one("SELECT count(*) FROM a WHERE 'z' = ANY($1::text[])", &[&words]).await.unwrap();
    assert_eq!(row.get::<_, i64>(0), 2);

    // Computed arrays in binary.
    let row = client
        .query_one(
            "SELECT array_agg(id ORDER BY id), ARRAY[1.5::float8, 2], $1::int8[] || 7::int8 FROM a",
            &[&vec![6i64]],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<i32>>(0), vec![1, 2]);
    assert_eq!(row.get::<_, Vec<f64>>(1), vec![1.5, 2.0]);
    assert_eq!(row.get::<_, Vec<i64>>(2), vec![6, 7]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn array_columns_survive_a_restart_and_copy() {
    let dir = common::temp_dir("arrays");
    {
        let mut server = TestServer::start_in(dir.clone(), &[], &[]);
        server.keep_dir = true;
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE a (id int PRIMARY KEY, tags text[])").await.unwrap();
        client.batch_execute("INSERT INTO a VALUES (1, '{a,\"b c\",NULL}'), (2, '{}')").await.unwrap();
    }
    let server = TestServer::start_in(dir, &[], &[]);
    let client = server.connect().await;
    let row = client.query_one("SELECT tags FROM a WHERE id = 1", &[]).await.unwrap();
    assert_eq!(row.get::<_, Vec<Option<String>>>(0), vec![Some("a".into()), Some("b c".into()), None]);

    // COPY TO writes the text form; COPY FROM reads it back.
    let text = simple_text(&client, "SELECT array_to_string(tags, '|', '-') FROM a WHERE id = 1").await;
    assert_eq!(text.as_deref(), Some("a|b c|-"));
    client.batch_execute("CREATE TABLE b (id int, tags text[])").await.unwrap();
    client.batch_execute("INSERT INTO b SELECT * FROM a").await.unwrap();
    let n: i64 = client.query_one("SELECT count(*) FROM b WHERE tags = '{a,\"b c\",NULL}'", &[]).await.unwrap().get(0);
    assert_eq!(n, 1);
}
