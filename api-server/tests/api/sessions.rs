//! My devices: listed from the refresh-token families; one or all others signed out at once.

use std::time::Duration;

use serde_json::{json, Value};
use shared::events::{Event, RoutingKey};

use crate::broker::TestConsumer;
use crate::helpers::spawn_app;
use shared::ids::UserId;

fn current_id(list: &Value) -> String {
    let items = list.as_array().expect("sessions");
    let current: Vec<&Value> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1, "exactly one current session: {list}");
    current[0]["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn i_see_my_devices_and_sign_one_or_all_others_out() {
    let app = spawn_app().await;
    let anna = app.register("anna").await;
    let ben = app.register("ben").await;
    let laptop = app.login(&anna).await;
    let phone = app.login(&anna).await;
    let laptop_token = laptop.body["access_token"].as_str().expect("token").to_owned();

    let list = app.get("/api/sessions", Some(&anna.token)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body.as_array().map(Vec::len), Some(3));
    assert_eq!(list.body[0]["ip"], "127.0.0.1");
    assert!(list.body[0]["signed_in_at"].is_string() && list.body[0]["last_active_at"].is_string());
    let mine = current_id(&list.body);
    let laptop_id = current_id(&app.get("/api/sessions", Some(&laptop_token)).await.body);
    assert_ne!(mine, laptop_id);

    // Not mine, not live, not an id: the same 404 (Ben cannot probe Anna's sessions).
    for (token, id) in [(&ben.token, laptop_id.clone()), (&anna.token, uuid::Uuid::new_v4().to_string())] {
        let reply = app.delete(&format!("/api/sessions/{id}"), Some(token)).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (404, "session_not_found"));
    }

    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(anna.id)).to_string()]).await;
    assert_eq!(app.delete(&format!("/api/sessions/{laptop_id}"), Some(&anna.token)).await.status, 204);
    // The laptop is out at once: access token refused, refresh token dead, sockets told.
    assert_eq!(app.get("/api/me", Some(&laptop_token)).await.code(), "session_revoked");
    let refresh = |token: &str| app.post("/api/auth/refresh", None, json!({"refresh_token": token}));
    assert_eq!(refresh(laptop.body["refresh_token"].as_str().expect("refresh")).await.status, 401);
    let events = consumer.take(1, Duration::from_secs(5)).await;
    match &events[0].1 {
        Event::SessionRevoked { sessions: Some(ids), .. } => {
            assert_eq!(ids.iter().map(|u| u.to_string()).collect::<Vec<_>>(), vec![laptop_id.clone()])
        }
        other => panic!("expected session.revoked for the laptop, got {other:?}"),
    }

    // This device refreshes once (every access token was refused) and carries on.
    assert_eq!(app.get("/api/me", Some(&anna.token)).await.code(), "session_revoked");
    let renewed = refresh(&anna.refresh).await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let token = renewed.body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(app.delete(&format!("/api/sessions/{laptop_id}"), Some(&token)).await.status, 404, "already out");
    let list = app.get("/api/sessions", Some(&token)).await;
    assert_eq!((list.body.as_array().map(Vec::len), current_id(&list.body)), (Some(2), mine.clone()));

    // Sign out every other device: the phone.
    let others = app.request(reqwest::Method::DELETE, "/api/sessions", Some(&token), None).await;
    assert_eq!((others.status.as_u16(), &others.body["revoked"]), (200, &json!(1)));
    assert_eq!(refresh(phone.body["refresh_token"].as_str().expect("refresh")).await.status, 401);
    let renewed = refresh(renewed.body["refresh_token"].as_str().expect("refresh")).await;
    let token = renewed.body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(app.get("/api/sessions", Some(&token)).await.body.as_array().map(Vec::len), Some(1));
    assert_eq!(app.get("/api/me", Some(&ben.token)).await.status, 200, "other users are untouched");
}

#[tokio::test]
async fn logout_signs_its_session_out_like_a_device_sign_out() {
    let app = spawn_app().await;
    let anna = app.register("anna").await;
    let phone = app.login(&anna).await;
    let phone_token = phone.body["access_token"].as_str().expect("token").to_owned();
    let phone_id = current_id(&app.get("/api/sessions", Some(&phone_token)).await.body);

    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(anna.id)).to_string()]).await;
    let refresh = phone.body["refresh_token"].as_str().expect("refresh");
    assert_eq!(app.post("/api/auth/logout", None, json!({"refresh_token": refresh})).await.status, 204);

    // The ws nodes are told to close that session's sockets; its access token stops at once.
    let events = consumer.take(1, Duration::from_secs(5)).await;
    match &events[0].1 {
        Event::SessionRevoked { sessions: Some(ids), .. } => {
            assert_eq!(ids.iter().map(|u| u.to_string()).collect::<Vec<_>>(), vec![phone_id])
        }
        other => panic!("expected session.revoked for the phone, got {other:?}"),
    }
    assert_eq!(app.get("/api/me", Some(&phone_token)).await.code(), "session_revoked");
    assert_eq!(app.post("/api/auth/refresh", None, json!({"refresh_token": refresh})).await.status, 401);
    let renewed = app.post("/api/auth/refresh", None, json!({"refresh_token": anna.refresh})).await;
    assert_eq!(renewed.status, 200, "the other device carries on: {}", renewed.body);
}
