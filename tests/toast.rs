//! Values of hundreds of megabytes: stored out of line (TOAST), passed as
//! a bind parameter, read back in text and binary format and through COPY,
//! and still identical after a clean restart and after kill -9 right after
//! the commit (recovered from the WAL alone). Values that updates carried
//! on to newer row versions survive kill -9 and VACUUM, and go with the
//! row.

mod common;

use std::time::Duration;

use common::TestServer;
use futures_util::{SinkExt, StreamExt};
use md5::Digest;

/// `len` pseudo-random letters and digits: text that barely compresses.
fn random_text(len: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    common::random_bytes(len, seed).iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

fn md5_hex(s: &str) -> String {
    md5::Md5::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every way of reading value `id` back gives `expected`.
async fn check(client: &tokio_postgres::Client, id: i32, expected: &str) {
    // Binary result format (an extended-protocol query).
    let row = client.query_one("SELECT t, length(t), md5(t) FROM big WHERE id = $1", &[&id]).await.unwrap();
    assert!(row.get::<_, &str>(0) == expected, "value {id} read back different (binary)");
    assert_eq!(row.get::<_, i32>(1), expected.len() as i32);
    assert_eq!(row.get::<_, &str>(2), md5_hex(expected));
    // Text result format (simple query).
    let rows = client.simple_query(&format!("SELECT t FROM big WHERE id = {id}")).await.unwrap();
    let text = rows.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
        _ => None,
    });
    assert!(text.as_deref() == Some(expected), "value {id} read back different (text)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_value_survives_restart_and_kill_9() {
    let dir = common::temp_dir("toast");
    let a = random_text(200 << 20, 0x1234_5678);
    let b: String = "tusk keeps big values. ".repeat((120 << 20) / 23);
    {
        let mut server = TestServer::start_in(dir.clone(), &[], &[]);
        server.keep_dir = true;
        let client = server.connect().await;
        client.batch_execute("CREATE TABLE big (id int PRIMARY KEY, t text)").await.unwrap();
        client.execute("INSERT INTO big VALUES (1, $1)", &[&a]).await.unwrap();
        check(&client, 1, &a).await;

        // COPY in and out with a value of 120 MB.
        let sink = client.copy_in::<_, bytes::Bytes>("COPY big FROM STDIN").await.unwrap();
        futures_util::pin_mut!(sink);
        sink.send(bytes::Bytes::from(format!("2\t{b}\n"))).await.unwrap();
        assert_eq!(sink.finish().await.unwrap(), 1);
        check(&client, 2, &b).await;
        let out = client.copy_out("COPY (SELECT t FROM big WHERE id = 2) TO STDOUT").await.unwrap();
        futures_util::pin_mut!(out);
        let mut copied = Vec::new();
        while let Some(chunk) = out.next().await {
            copied.extend_from_slice(&chunk.unwrap());
        }
        assert!(copied.len() == b.len() + 1 && copied.starts_with(b.as_bytes()), "COPY TO gave another value");
        // A clean shutdown, then a restart.
        drop(client);
    }
    {
        let mut server = TestServer::start_in(dir.clone(), &[], &[]);
        server.keep_dir = true;
        let client = server.connect().await;
        check(&client, 1, &a).await;
        check(&client, 2, &b).await;
        // Committed, then killed before any checkpoint: WAL must bring it back.
        let c = random_text(50 << 20, 99);
        client.execute("INSERT INTO big VALUES (3, $1)", &[&c]).await.unwrap();
        client.execute("UPDATE big SET t = t || 'x' WHERE id = 1", &[]).await.unwrap();
        server.signal("KILL");
        server.wait_exit(Duration::from_secs(10)).expect("killed server did not exit");
        drop(server);
        let mut server = TestServer::start_in(dir.clone(), &[], &[]);
        assert!(server.log().contains("redo done"), "no recovery after kill -9");
        let client = server.connect().await;
        check(&client, 1, &format!("{a}x")).await;
        check(&client, 2, &b).await;
        check(&client, 3, &c).await;
        // The old version of row 1 and its 200 MB go at VACUUM.
        client.batch_execute("DELETE FROM big WHERE id = 3").await.unwrap();
        client.batch_execute("VACUUM big").await.unwrap();
        check(&client, 1, &format!("{a}x")).await;
        server.keep_dir = false;
    }
}

async fn toast_size(client: &tokio_postgres::Client) -> i64 {
    let sql = "SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'big'";
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_kept_by_updates_survive_kill_9_and_vacuum() {
    let server = TestServer::start(&["autovacuum=off"]);
    let client = server.connect().await;
    let (a, b) = (random_text(4 << 20, 7), random_text(4 << 20, 8));
    client.batch_execute("CREATE TABLE big (id int PRIMARY KEY, n int, t text)").await.unwrap();
    client.execute("INSERT INTO big VALUES (1, 0, $1), (2, 0, $2)", &[&a, &b]).await.unwrap();
    let grown = toast_size(&client).await;
    // Updates that leave the values as they were, one rolled back with a
    // change of the value, and one change of row 2's value.
    for _ in 0..3 {
        client.batch_execute("UPDATE big SET n = n + 1").await.unwrap();
    }
    client.batch_execute("BEGIN; UPDATE big SET n = n + 1; UPDATE big SET t = 'short'; ROLLBACK").await.unwrap();
    client.batch_execute("UPDATE big SET t = t || 'z' WHERE id = 2").await.unwrap();
    client.batch_execute("UPDATE big SET n = n + 1").await.unwrap();
    let b = format!("{b}z");
    // Committed, then killed before any checkpoint: WAL brings back the
    // versions sharing the values and the marks of the values' ends.
    let server = server.crash_and_restart(&["autovacuum=off"]);
    let client = server.connect().await;
    check(&client, 1, &a).await;
    check(&client, 2, &b).await;
    client.batch_execute("VACUUM big").await.unwrap();
    check(&client, 1, &a).await;
    check(&client, 2, &b).await;
    assert_eq!(common::rows(&client, "SELECT n FROM big ORDER BY id").await, ["4", "4"]);
    // Row 2's old value went at VACUUM: a new one of its size fits in its space.
    let before = toast_size(&client).await;
    let c = random_text(4 << 20, 9);
    client.execute("INSERT INTO big VALUES (3, 0, $1)", &[&c]).await.unwrap();
    assert!(toast_size(&client).await <= before, "row 2's old value was not freed");
    // Deleted after its updates: row 1's value goes at VACUUM too.
    client.batch_execute("DELETE FROM big WHERE id = 1").await.unwrap();
    client.batch_execute("VACUUM big").await.unwrap();
    let before = toast_size(&client).await;
    client.execute("INSERT INTO big VALUES (4, 0, $1)", &[&a]).await.unwrap();
    assert!(toast_size(&client).await <= before, "row 1's value was not freed");
    assert!(toast_size(&client).await < grown * 2, "values were stored anew");
    for (id, v) in [(2, &b), (3, &c), (4, &a)] {
        check(&client, id, v).await;
    }
    // The log's position names a segment file that exists.
    let name: String = client.query_one("SELECT pg_walfile_name(pg_current_wal_lsn())", &[]).await.unwrap().get(0);
    assert!(server.dir.join("data/wal").join(&name).exists(), "no WAL segment file {name}");
}
