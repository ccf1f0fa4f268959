//! Administration: suspensions end sessions at once, reports reach the admins' queue, and
//! only administrators may touch either.

use std::time::Duration;

use serde_json::json;
use shared::events::{Event, RoutingKey};

use crate::broker::TestConsumer;
use crate::helpers::{spawn_app, TestApp, User};
use shared::ids::UserId;

async fn admin(app: &TestApp, name: &str) -> User {
    let user = app.register(name).await;
    app.exec(&format!("UPDATE users SET role = 'admin' WHERE id = {}", user.id));
    user
}

#[tokio::test]
async fn a_suspension_ends_every_session_at_once_and_refuses_logins() {
    let app = spawn_app().await;
    let anna = admin(&app, "anna").await;
    let bob = app.register("bob").await;
    let bob_laptop = app.login(&bob).await;
    let laptop_token = bob_laptop.body["access_token"].as_str().expect("token").to_owned();
    assert_eq!(app.get("/api/me", Some(&bob.token)).await.status, 200);
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(bob.id)).to_string()]).await;

    // Only admins, and not on themselves.
    for path in [format!("/api/admin/users/{}/suspend", anna.id), "/api/admin/users/424242/suspend".to_owned()] {
        let reply = app.post(&path, Some(&bob.token), json!({"reason": "x"})).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (403, "admin_only"), "{path}");
    }
    let own =
        app.post(&format!("/api/admin/users/{}/suspend", anna.id), Some(&anna.token), json!({"reason": "x"})).await;
    assert_eq!((own.status.as_u16(), own.code()), (409, "cannot_suspend_self"));
    let blank =
        app.post(&format!("/api/admin/users/{}/suspend", bob.id), Some(&anna.token), json!({"reason": " "})).await;
    assert_eq!(blank.status, 422);
    let missing = app.post("/api/admin/users/424242/suspend", Some(&anna.token), json!({"reason": "spam"})).await;
    assert_eq!((missing.status.as_u16(), missing.code()), (404, "user_not_found"));

    let done =
        app.post(&format!("/api/admin/users/{}/suspend", bob.id), Some(&anna.token), json!({"reason": "spam"})).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body["suspended_at"].is_string());
    assert_eq!(done.body["suspension_reason"], "spam");

    // Every access token is refused on its very next request, on every device.
    for token in [&bob.token, &laptop_token] {
        let reply = app.get("/api/me", Some(token)).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (401, "session_revoked"));
    }
    for refresh in [bob.refresh.as_str(), bob_laptop.body["refresh_token"].as_str().expect("refresh")] {
        assert_eq!(app.post("/api/auth/refresh", None, json!({"refresh_token": refresh})).await.status, 401);
    }
    let refused = app.login(&bob).await;
    assert_eq!((refused.status.as_u16(), refused.code()), (403, "account_suspended"));
    // The ws nodes hear of it (and close the sockets: see ws-server's delivery tests).
    let events = consumer.take(1, Duration::from_secs(5)).await;
    assert!(matches!(events[0].1, Event::SessionRevoked { user_id, .. } if user_id == UserId(bob.id)), "{events:?}");

    // Listed as suspended; reinstated, bob logs in again, the old tokens stay dead.
    let list = app.get("/api/admin/users?suspended=true", Some(&anna.token)).await;
    let ids: Vec<i64> =
        list.body["items"].as_array().expect("items").iter().map(|u| u["user"]["id"].as_i64().expect("id")).collect();
    assert_eq!(ids, [bob.id]);
    let again = app.post(&format!("/api/admin/users/{}/unsuspend", bob.id), Some(&anna.token), json!({})).await;
    assert_eq!((again.status.as_u16(), again.body["suspended_at"].is_null()), (200, true));
    let back = app.login(&bob).await;
    assert_eq!(back.status, 200, "{}", back.body);
    let fresh = back.body["access_token"].as_str();
    assert_eq!(app.get("/api/me", fresh).await.status, 200);
    assert_eq!(app.get("/api/me", Some(&bob.token)).await.code(), "session_revoked");
    assert_eq!(app.get("/api/admin/users", fresh).await.code(), "admin_only");
}

#[tokio::test]
async fn reports_reach_the_admins_and_one_decision_resolves_them() {
    let app = spawn_app().await;
    let anna = admin(&app, "anna").await;
    let (bob, carl, dave) = (app.register("bob").await, app.register("carl").await, app.register("dave").await);
    let chat = app.direct(&bob, &carl).await;
    let spam = app.send(&carl, chat, "buy cheap watches").await.body["id"].as_i64().expect("id");
    let path = format!("/api/messages/{spam}/report");

    let filed = app.post(&path, Some(&bob.token), json!({"reason": "spam"})).await;
    assert_eq!(filed.status, 201, "{}", filed.body);
    let twice = app.post(&path, Some(&bob.token), json!({"reason": "spam again"})).await;
    assert_eq!(
        (twice.status.as_u16(), &twice.body["id"], &twice.body["reason"]),
        (201, &filed.body["id"], &json!("spam"))
    );
    let own = app.post(&path, Some(&carl.token), json!({"reason": "x"})).await;
    assert_eq!(own.status, 422);
    let outsider = app.post(&path, Some(&dave.token), json!({"reason": "x"})).await;
    assert_eq!((outsider.status.as_u16(), outsider.code()), (404, "message_not_found"));
    assert_eq!(app.post(&path, Some(&bob.token), json!({"reason": ""})).await.status, 422);
    assert_eq!(app.count("reports"), 1);

    // The queue shows what an admin needs; only admins see it.
    assert_eq!(app.get("/api/admin/reports", Some(&bob.token)).await.code(), "admin_only");
    let queue = app.get("/api/admin/reports", Some(&anna.token)).await;
    let item = &queue.body["items"][0];
    assert_eq!((item["message"]["body"].as_str(), item["reason"].as_str()), (Some("buy cheap watches"), Some("spam")));
    assert_eq!((item["sender"]["user"]["id"].as_i64(), item["reporter"]["id"].as_i64()), (Some(carl.id), Some(bob.id)));

    // Deleting the message resolves the report; the members see the tombstone.
    let id = item["id"].as_i64().expect("report id");
    let decided = app
        .post(&format!("/api/admin/reports/{id}/resolve"), Some(&anna.token), json!({"decision": "delete_message"}))
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    assert_eq!(decided.body["resolution"], "message_deleted");
    let page = app.get(&format!("/api/conversations/{chat}/messages"), Some(&bob.token)).await;
    assert!(page.body["items"][0]["deleted_at"].is_string());
    assert_eq!(app.get("/api/admin/reports", Some(&anna.token)).await.body["items"], json!([]));
    assert_eq!(app.get("/api/admin/reports?status=resolved", Some(&anna.token)).await.body["items"][0]["id"], id);

    // Suspending the sender through a report.
    let worse = app.send(&carl, chat, "more spam").await.body["id"].as_i64().expect("id");
    let second = app.post(&format!("/api/messages/{worse}/report"), Some(&bob.token), json!({"reason": "again"})).await;
    let second = second.body["id"].as_i64().expect("id");
    let bad =
        app.post(&format!("/api/admin/reports/{second}/resolve"), Some(&anna.token), json!({"decision": "ban"})).await;
    assert_eq!(bad.status.as_u16() / 100, 4);
    let suspended = app
        .post(&format!("/api/admin/reports/{second}/resolve"), Some(&anna.token), json!({"decision": "suspend_sender"}))
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.body);
    assert!(suspended.body["sender"]["suspended_at"].is_string());
    assert_eq!(app.get("/api/me", Some(&carl.token)).await.code(), "session_revoked");
}

#[test]
fn the_cli_makes_the_first_admin() {
    let env = shared::testing::TestEnv::new(&[]);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_api-server"))
            .args(args)
            .env("DATABASE_URL", env.db.url.as_str())
            .output()
            .expect("runs")
    };
    let usage = run(&["admin", "promote"]);
    assert_eq!(usage.status.code(), Some(2));
    let unknown = run(&["admin", "grant", "nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    let mut conn = env.db.connect();
    use diesel::prelude::*;
    diesel::sql_query("INSERT INTO users (username, display_name, password_hash) VALUES ('root_user', 'Root', 'x')")
        .execute(&mut conn)
        .expect("user");
    let granted = run(&["admin", "grant", "Root_User"]);
    assert!(granted.status.success(), "{}", String::from_utf8_lossy(&granted.stderr));
    assert_eq!(String::from_utf8_lossy(&granted.stdout).trim(), "root_user is now: admin");
    assert!(run(&["admin", "revoke", "root_user"]).status.success());
}

#[tokio::test]
async fn flood_control_pauses_repeated_texts_and_chat_sprees_and_tells_the_admins() {
    let app = crate::helpers::spawn_app_with(&[("FLOOD_REPEAT_MAX", "3"), ("FLOOD_NEW_CHATS_PER_HOUR", "2")]).await;
    let anna = admin(&app, "anna").await;
    let (spammer, ben, carl, dave) = (
        app.register("spammer").await,
        app.register("ben").await,
        app.register("carl").await,
        app.register("dave").await,
    );
    let chat = app.direct(&spammer, &ben).await;

    // Short texts and different texts are never counted.
    for text in ["ok", "ok", "ok", "ok", "first real message", "second real message"] {
        assert_eq!(app.send(&spammer, chat, text).await.status, 201, "{text}");
    }
    // Near-identical texts (digits, case, punctuation) count together: the 4th trips the limit.
    for i in 1..=4 {
        let reply = app.send(&spammer, chat, &format!("Buy cheap watches, shop #{i}!")).await;
        assert_eq!(reply.status, 201, "repeat {i}: {}", reply.body);
    }
    let paused = app.send(&spammer, chat, "something else entirely").await;
    assert_eq!((paused.status.as_u16(), paused.code()), (429, "send_limited"));
    let wait: u64 = paused.headers["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!((800..=900).contains(&wait), "retry after {wait}");
    assert_eq!(
        app.post("/api/conversations/direct", Some(&spammer.token), json!({"user_id": carl.id})).await.code(),
        "send_limited"
    );
    assert_eq!(app.send(&ben, chat, "ben is not affected at all").await.status, 201);

    // The admins see it, with the account's limit.
    let flags = app.get("/api/admin/flags", Some(&anna.token)).await;
    assert_eq!(flags.status, 200, "{}", flags.body);
    let flag = &flags.body["items"][0];
    assert_eq!(
        (flag["kind"].as_str(), flag["user"]["user"]["id"].as_i64()),
        (Some("repeated_messages"), Some(spammer.id))
    );
    assert!(flag["user"]["send_limited_until"].is_string());
    assert_eq!(app.get("/api/admin/flags", Some(&ben.token)).await.code(), "admin_only");

    // Opening many new chats trips it too (here: more than 2 an hour).
    for (i, peer) in [&carl, &dave, &anna].iter().enumerate() {
        let reply = app.post("/api/conversations/direct", Some(&ben.token), json!({"user_id": peer.id})).await;
        assert!(reply.status.is_success(), "chat {i}: {}", reply.body);
    }
    assert_eq!(app.send(&ben, chat, "now ben is paused").await.code(), "send_limited");
    let flags = app.get("/api/admin/flags", Some(&anna.token)).await;
    assert_eq!(flags.body["items"][0]["kind"], "new_chats");
    assert_eq!(app.count("abuse_flags"), 2, "one record per limit, not per refused message");
}
