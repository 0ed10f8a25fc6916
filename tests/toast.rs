//! Values of hundreds of megabytes: stored out of line (TOAST), passed as
//! a bind parameter, read back in text and binary format and through COPY,
//! and still identical after a clean restart and after kill -9 right after
//! the commit (recovered from the WAL alone).

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
