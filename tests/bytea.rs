//! bytea through the protocol: a client's `&[u8]` parameters arrive as
//! bytea in binary format and results come back as raw bytes (binary) or
//! in the `bytea_output` form (text); a value of 100 MB of random bytes
//! (which does not compress) goes out of line through TOAST and back,
//! also after a restart.

mod common;

use common::TestServer;
use md5::Digest;

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("\\x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The first row's first column of a simple (text-format) query.
async fn simple_text(client: &tokio_postgres::Client, sql: &str) -> Option<String> {
    let messages = client.simple_query(sql).await.unwrap();
    messages.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
        _ => None,
    })?
}

/// Value `id` of table `blob` reads back as `expected` in both formats.
async fn check(client: &tokio_postgres::Client, id: i32, expected: &[u8]) {
    let row = client.query_one("SELECT b, length(b), md5(b) FROM blob WHERE id = $1", &[&id]).await.unwrap();
    assert!(row.get::<_, &[u8]>(0) == expected, "value {id} read back different (binary)");
    assert_eq!(row.get::<_, i32>(1), expected.len() as i32);
    let md5: String = md5::Md5::digest(expected).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(row.get::<_, &str>(2), md5);
    let text = simple_text(client, &format!("SELECT b FROM blob WHERE id = {id}")).await;
    assert!(text.as_deref() == Some(hex(expected).as_str()), "value {id} read back different (text)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_and_results_in_both_formats() {
    let server = TestServer::start(&[]);
    let client = server.connect().await;
    client.batch_execute("CREATE TABLE blob (id int PRIMARY KEY, b bytea)").await.unwrap();
    let all: Vec<u8> = (0..=255).collect();
    client.execute("INSERT INTO blob VALUES (1, $1), (2, $2), (3, NULL)", &[&all, &Vec::<u8>::new()]).await.unwrap();
    check(&client, 1, &all).await;
    check(&client, 2, b"").await;
    // Parameters compare, index-scan and compute as bytea.
    let id: i32 = client.query_one("SELECT id FROM blob WHERE b = $1", &[&all.as_slice()]).await.unwrap().get(0);
    assert_eq!(id, 1);
    let row = client
        .query_one("SELECT $1::bytea || $2, get_byte($1, 1), sha256($1)", &[&&b"\x00\xff"[..], &&b"\x01"[..]])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<u8>>(0), b"\x00\xff\x01");
    assert_eq!(row.get::<_, i32>(1), 255);
    assert_eq!(row.get::<_, Vec<u8>>(2), sha2::Sha256::digest(b"\x00\xff").to_vec());
    // bytea_output shapes the text form only.
    client.batch_execute("SET bytea_output = 'escape'").await.unwrap();
    let text = simple_text(&client, "SELECT '\\x005c41ff'::bytea").await;
    assert_eq!(text.as_deref(), Some("\\000\\\\A\\377"));
    let row = client.query_one("SELECT b FROM blob WHERE id = 1", &[]).await.unwrap();
    assert_eq!(row.get::<_, &[u8]>(0), all.as_slice());
    // A NULL stays NULL both ways.
    let row = client.query_one("SELECT b FROM blob WHERE id = 3", &[]).await.unwrap();
    assert_eq!(row.get::<_, Option<Vec<u8>>>(0), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_random_value_round_trips() {
    let dir = common::temp_dir("bytea");
    let big = common::random_bytes(100 << 20, 0x5eed);
    {
        let mut server = TestServer::start_in(dir.clone(), &[], &[]);
        server.keep_dir = true;
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE blob (id int PRIMARY KEY, b bytea)").await.unwrap();
        client.execute("INSERT INTO blob VALUES (1, $1)", &[&big]).await.unwrap();
        check(&client, 1, &big).await;
        // Stored out of line: the table's own file stays small.
        let size: i64 = client.query_one("SELECT pg_relation_size('blob')", &[]).await.unwrap().get(0);
        assert!(size < 1 << 20, "the value was not moved out of line ({size} bytes in the table)");
        // Computed on: a byte in the middle, a slice, a comparison.
        let mid: i32 = 50 << 20;
        let row = client
            .query_one(
                "SELECT get_byte(b, $1), substring(b from $2 for 16), b = $3 FROM blob",
                &[&mid, &(mid + 1), &big],
            )
            .await
            .unwrap();
        assert_eq!(row.get::<_, i32>(0), big[mid as usize] as i32);
        assert_eq!(row.get::<_, &[u8]>(1), &big[mid as usize..mid as usize + 16]);
        assert!(row.get::<_, bool>(2));
        drop(client);
    }
    // After a restart it is still there, byte for byte.
    let mut server = TestServer::start_in(dir, &[], &[]);
    let client = server.connect().await;
    check(&client, 1, &big).await;
    server.keep_dir = false;
}
