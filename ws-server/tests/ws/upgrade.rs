//! The upgrade's checks and what a socket does with bad client frames.

use serde_json::json;
use shared::auth::{AUD_API, AUD_WS};
use shared::events::RoutingKey;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{message, open, Cluster, ORIGIN, WAIT};
use shared::ids::UserId;

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
    assert_invalid_ticket(open(&url(&c.keys().issue(UserId(uid), AUD_WS, -60)), Some(ORIGIN)).await, "expired");
    assert_invalid_ticket(open(&url(&c.keys().issue(UserId(uid), AUD_API, 30)), Some(ORIGIN)).await, "access token");

    let ticket = c.ticket(uid);
    let first = open(&url(&ticket), Some(ORIGIN)).await;
    assert!(first.is_ok(), "a fresh ticket connects");
    assert_invalid_ticket(open(&url(&ticket), Some(ORIGIN)).await, "reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_of_an_ended_session_an_older_token_version_or_no_session_are_refused() {
    let c = Cluster::start(1).await;
    let uid = c.user("alice");
    let url = |ticket: &str| c.url(0, ticket);
    let (laptop, phone) = (c.session(uid), c.session(uid));
    let before_bump = c.ticket_for(uid, phone);

    // Every token issued before a version bump (a sign-out, reset, suspension) is old. (Bumped
    // here before anything cached the version: api-server also rewrites the cached one.)
    c.exec(&format!("UPDATE users SET token_version = token_version + 1 WHERE id = {uid}"));
    assert_invalid_ticket(open(&url(&before_bump), Some(ORIGIN)).await, "older token version");
    // The laptop signed out (its refresh-token family revoked): its current tickets are refused.
    c.exec(&format!("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = '{laptop}'"));
    assert_invalid_ticket(open(&url(&c.ticket_for(uid, laptop)), Some(ORIGIN)).await, "ended session");
    let unnamed = c.keys().issue(UserId(uid), AUD_WS, 30);
    assert_invalid_ticket(open(&url(&unnamed), Some(ORIGIN)).await, "no session");
    let unknown = c.keys().issue_for(
        UserId(uid),
        AUD_WS,
        30,
        shared::auth::SessionRef { version: c.token_version(uid), id: Some(uuid::Uuid::new_v4()) },
    );
    assert_invalid_ticket(open(&url(&unknown), Some(ORIGIN)).await, "unknown session");
    let other_user = c.user("mallory");
    let foreign = c.keys().issue_for(
        UserId(other_user),
        AUD_WS,
        30,
        shared::auth::SessionRef { version: c.token_version(other_user), id: Some(phone) },
    );
    assert_invalid_ticket(open(&url(&foreign), Some(ORIGIN)).await, "another user's session");

    let mut fresh = open(&url(&c.ticket_for(uid, phone)), Some(ORIGIN)).await.expect("a current ticket connects");
    assert_eq!(fresh.event(WAIT).await["type"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_per_user_are_capped_with_a_429_json_refusal() {
    let tuning = ws_server::config::Tuning::from_lookup(|k| (k == "WS_MAX_SOCKETS_PER_USER").then(|| "2".into()))
        .expect("tuning");
    let c = Cluster::start_with(1, &[], tuning).await;
    let (alice, bob) = (c.user("alice"), c.user("bob"));
    let first = c.connect(0, alice).await;
    let _second = c.connect(0, alice).await;
    let refused = open(&c.url(0, &c.ticket(alice)), Some(ORIGIN)).await.err().expect("a third socket is refused");
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "too_many_sockets", "{}", refused.body);
    let _bob = c.connect(0, bob).await; // other users are not affected
    first.close().await;
    let mut again = open(&c.url(0, &c.ticket(alice)), Some(ORIGIN)).await.expect("room again after a close");
    assert_eq!(again.event(WAIT).await["type"], "ready");
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
    c.publish(&RoutingKey::User(UserId(uid)).to_string(), &[], &message(1, 1, uid, "still here")).await;
    assert_eq!(client.event_of("message.new", WAIT).await["data"]["body"], "still here");
}
