//! The upgrade's checks and what a socket does with bad client frames.

use serde_json::json;
use shared::auth::{AUD_API, AUD_WS};
use shared::events::routing;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{message, open, Cluster, ORIGIN, WAIT};

fn assert_invalid_ticket(result: Result<crate::helpers::Client, crate::helpers::Refused>, case: &str) {
    let refused = result.err().unwrap_or_else(|| panic!("{case}: the upgrade was accepted"));
    assert_eq!(refused.status, 401, "{case}: {:?}", refused.body);
    assert_eq!(refused.body["error"]["code"], "invalid_ticket", "{case}: {}", refused.body);
    assert!(refused.body["error"]["message"].is_string(), "{case}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_expired_reused_or_foreign_tickets_are_refused_with_401_json() {
    let c = Cluster::start(1).await;
    let uid = c.user("alice");
    let url = |ticket: &str| c.url(0, ticket);

    assert_invalid_ticket(open(&format!("ws://127.0.0.1:{}/ws", c.nodes[0].port), Some(ORIGIN)).await, "missing");
    assert_invalid_ticket(open(&url("not-a-jwt"), Some(ORIGIN)).await, "garbage");
    assert_invalid_ticket(open(&url(&c.keys().issue(uid, AUD_WS, -60)), Some(ORIGIN)).await, "expired");
    assert_invalid_ticket(open(&url(&c.keys().issue(uid, AUD_API, 30)), Some(ORIGIN)).await, "access token");

    let ticket = c.ticket(uid);
    let first = open(&url(&ticket), Some(ORIGIN)).await;
    assert!(first.is_ok(), "a fresh ticket connects");
    assert_invalid_ticket(open(&url(&ticket), Some(ORIGIN)).await, "reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_is_refused_with_403_while_a_listed_or_absent_one_connects() {
    let c = Cluster::start(1).await;
    let uid = c.user("alice");

    let refused = open(&c.url(0, &c.ticket(uid)), Some("https://evil.example")).await.err().expect("refused");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["error"]["code"], "origin_not_allowed");

    let mut listed = open(&c.url(0, &c.ticket(uid)), Some(ORIGIN)).await.expect("listed origin");
    assert_eq!(listed.event(WAIT).await["type"], "ready");
    let mut absent = open(&c.url(0, &c.ticket(uid)), None).await.expect("no Origin: not a browser");
    assert_eq!(absent.event(WAIT).await["type"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_with_1009() {
    let c = Cluster::start(1).await;
    let uid = c.user("alice");
    let mut client = c.connect(0, uid).await;
    let huge = json!({"type": "presence.subscribe", "data": {"user_ids": vec![1; 40_000]}}).to_string();
    client.send_raw(Message::Text(huge.into())).await;
    assert_eq!(client.close_code(WAIT).await, Some(1009));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_frame_closes_with_1003() {
    let c = Cluster::start(1).await;
    let uid = c.user("alice");
    let mut client = c.connect(0, uid).await;
    client.send_raw(Message::Binary(vec![1, 2, 3].into())).await;
    assert_eq!(client.close_code(WAIT).await, Some(1003));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_unknown_client_events_get_an_error_event_and_the_socket_stays_usable() {
    let c = Cluster::start(1).await;
    let uid = c.user("alice");
    let mut client = c.connect(0, uid).await;

    client.send_raw(Message::Text("{not json".into())).await;
    let e = client.event(WAIT).await;
    assert_eq!((e["type"].as_str(), e["data"]["code"].as_str()), (Some("error"), Some("malformed_json")), "{e}");
    client.send(json!({"type": "dance", "data": {}})).await;
    let e = client.event(WAIT).await;
    assert_eq!(e["data"]["code"], "unknown_type", "{e}");
    client.send(json!({"type": "typing", "data": {"conversation_id": "x"}})).await;
    let e = client.event(WAIT).await;
    assert_eq!(e["data"]["code"], "invalid_event", "{e}");

    // Still usable: pings answered, requests answered, events delivered.
    client.send_raw(Message::Ping(b"p".to_vec().into())).await;
    client.subscribe(&[uid]).await;
    let p = client.event(WAIT).await;
    assert_eq!((p["type"].as_str(), p["data"]["user_id"].as_i64()), (Some("presence"), Some(uid)), "{p}");
    c.publish(&routing::user(uid), &[], &message(1, 1, uid, "still here")).await;
    assert_eq!(client.event_of("message.new", WAIT).await["data"]["body"], "still here");
}
