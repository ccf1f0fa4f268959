//! Overload: past the bounded queue in front of the database (`DB_QUEUE_WAIT_MS`), requests are
//! refused at once with 503 `overloaded` and Retry-After, store nothing, and the process serves
//! normally again once the queue drains.

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;

use crate::helpers::{spawn_app_with, TestApp};

/// A transaction that holds `conversation`'s row (as a send of it does) until its `COMMIT`.
fn hold_row_of(app: &TestApp, conversation: i64) -> diesel::PgConnection {
    let mut holder = app.env.db.connect();
    diesel::sql_query("BEGIN").execute(&mut holder).expect("begin");
    diesel::sql_query(format!("SELECT 1 FROM conversations WHERE id = {conversation} FOR UPDATE"))
        .execute(&mut holder)
        .expect("lock");
    holder
}

#[tokio::test]
async fn sends_past_the_database_queue_are_refused_at_once_and_store_nothing() {
    let app = spawn_app_with(&[("DATABASE_POOL_SIZE", "1"), ("DB_QUEUE_WAIT_MS", "50")]).await;
    let a = app.register("ann").await;
    let b = app.register("bob").await;
    let dm = app.direct(&a, &b).await;
    let before = app.count("messages");

    // The first send takes the only connection and waits on the conversation's row.
    let mut holder = hold_row_of(&app, dm);
    let first = app.send(&a, dm, "first");
    let refused = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let bodies: Vec<String> = (0..3).map(|i| format!("extra {i}")).collect();
        let replies = futures_util::future::join_all(bodies.iter().map(|body| app.send(&a, dm, body))).await;
        let elapsed = started.elapsed();
        diesel::sql_query("COMMIT").execute(&mut holder).expect("release");
        (replies, elapsed)
    };
    let (first, (refused, elapsed)) = tokio::join!(first, refused);

    assert_eq!(first.status, 201, "the send that held the place completes: {}", first.body);
    for reply in &refused {
        assert_eq!((reply.status.as_u16(), reply.code()), (503, "overloaded"), "{}", reply.body);
        assert_eq!(reply.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    }
    assert!(elapsed < Duration::from_secs(1), "refused at once, not queued: {elapsed:?}");
    assert_eq!(app.count("messages"), before + 1, "a refused send stores nothing");
    assert_eq!(app.send(&a, dm, "after").await.status, 201, "served again once the queue drained");
}

#[tokio::test]
async fn requests_past_the_request_queue_are_refused_at_once_but_probes_answer() {
    let app = spawn_app_with(&[("API_MAX_IN_FLIGHT", "1"), ("API_QUEUE_WAIT_MS", "50")]).await;
    let a = app.register("ann").await;
    let b = app.register("bob").await;
    let dm = app.direct(&a, &b).await;

    // A send waits on the conversation's row and so holds the one place.
    let mut holder = hold_row_of(&app, dm);
    let first = app.send(&a, dm, "first");
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let me = app.get("/api/me", Some(&b.token)).await;
        let elapsed = started.elapsed();
        let probes = (app.get("/healthz", None).await.status, app.get("/readyz", None).await.status);
        diesel::sql_query("COMMIT").execute(&mut holder).expect("release");
        (me, elapsed, probes)
    };
    let (first, (me, elapsed, probes)) = tokio::join!(first, meanwhile);

    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!((me.status.as_u16(), me.code()), (503, "overloaded"), "{}", me.body);
    assert_eq!(me.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    assert!(elapsed < Duration::from_secs(1), "refused at once: {elapsed:?}");
    assert_eq!((probes.0.as_u16(), probes.1.as_u16()), (200, 200), "probes are never refused");
    assert_eq!(app.get("/api/me", Some(&b.token)).await.status, 200, "served again once the place is free");
}

/// An upload whose body arrives slowly (or that waits for an upload slot) holds no place of the
/// request queue: it is bounded by the upload queue, so slow uploads never shut out the rest.
#[tokio::test]
async fn slow_uploads_hold_no_place_of_the_request_queue() {
    use tokio::io::AsyncWriteExt;

    let app = spawn_app_with(&[("API_MAX_IN_FLIGHT", "2"), ("API_QUEUE_WAIT_MS", "50")]).await;
    let ann = app.register("ann").await;
    let host = app.address.trim_start_matches("http://").to_owned();
    // Five uploads that send their headers and the start of the body, then stall: four read
    // into upload slots, the fifth waits for one.
    let mut stalled = Vec::new();
    for _ in 0..5 {
        let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connect");
        let head = format!(
            "POST /api/media?kind=file HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n\
             --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\nstart",
            ann.token
        );
        stream.write_all(head.as_bytes()).await.expect("send the start");
        stalled.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let me = app.get("/api/me", Some(&ann.token)).await;
    assert_eq!(me.status, 200, "stalled uploads hold no request place: {}", me.body);
    drop(stalled);
}
