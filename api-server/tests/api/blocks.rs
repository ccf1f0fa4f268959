//! A block holds everywhere between the two users: no direct message, edit, reaction (typing:
//! ws-server's tests) in their direct chat, and neither may put the other into a group.
//! Refusals are 403 `blocked`, with nothing stored and nothing published (no outbox row).

use serde_json::json;

use crate::helpers::{spawn_app, TestApp, User};

const THUMBS: &str = "%F0%9F%91%8D"; // 👍
const TABLES: [&str; 6] = ["messages", "reactions", "groups", "group_members", "conversation_members", "outbox_log"];

fn snapshot(app: &TestApp) -> Vec<i64> {
    TABLES.iter().map(|t| app.count(t)).collect()
}

async fn block(app: &TestApp, blocker: &User, blocked: &User) {
    let r = app.put(&format!("/api/blocks/{}", blocked.id), Some(&blocker.token)).await;
    assert_eq!(r.status, 204, "block: {}", r.body);
}

#[tokio::test]
async fn a_block_stops_edits_and_reactions_in_the_direct_chat_both_ways() {
    let app = spawn_app().await;
    let (blocker, blocked) = (app.register("blocker").await, app.register("blocked").await);
    let chat = app.direct(&blocker, &blocked).await;
    let theirs = app.send(&blocked, chat, "before the block").await.body["id"].as_i64().expect("id");
    let mine = app.send(&blocker, chat, "mine, before the block").await.body["id"].as_i64().expect("id");
    block(&app, &blocker, &blocked).await;

    let before = snapshot(&app);
    for (user, message) in [(&blocked, theirs), (&blocker, mine)] {
        let edit = app.patch(&format!("/api/messages/{message}"), Some(&user.token), json!({"body": "edited"})).await;
        assert_eq!((edit.status.as_u16(), edit.code()), (403, "blocked"), "edit by {}: {}", user.username, edit.body);
    }
    for (user, message) in [(&blocked, mine), (&blocker, theirs)] {
        let react = app.put(&format!("/api/messages/{message}/reactions/{THUMBS}"), Some(&user.token)).await;
        assert_eq!(
            (react.status.as_u16(), react.code()),
            (403, "blocked"),
            "react by {}: {}",
            user.username,
            react.body
        );
    }
    assert_eq!(snapshot(&app), before, "nothing stored, nothing published");
    assert!(!app.count_where("messages", "edited_at IS NOT NULL"), "no message edited");

    // Deleting my own message still works: taking something back never helps the other side.
    let delete = app.delete(&format!("/api/messages/{theirs}"), Some(&blocked.token)).await;
    assert_eq!(delete.status, 204, "{}", delete.body);
}

#[tokio::test]
async fn neither_side_of_a_block_can_add_the_other_to_a_group() {
    let app = spawn_app().await;
    let (blocker, blocked, friend) =
        (app.register("blocker").await, app.register("blocked").await, app.register("friend").await);
    block(&app, &blocker, &blocked).await;
    let (theirs, _) = app.group(&blocked, &[&friend]).await;
    let (mine, _) = app.group(&blocker, &[&friend]).await;

    let before = snapshot(&app);
    let create =
        app.post("/api/groups", Some(&blocked.token), json!({"name": "Trap", "member_ids": [blocker.id]})).await;
    assert_eq!((create.status.as_u16(), create.code()), (403, "blocked"), "{}", create.body);
    let add = app.post(&format!("/api/groups/{theirs}/members/{}", blocker.id), Some(&blocked.token), json!({})).await;
    assert_eq!((add.status.as_u16(), add.code()), (403, "blocked"), "{}", add.body);
    let add_back =
        app.post(&format!("/api/groups/{mine}/members/{}", blocked.id), Some(&blocker.token), json!({})).await;
    assert_eq!((add_back.status.as_u16(), add_back.code()), (403, "blocked"), "{}", add_back.body);
    assert_eq!(snapshot(&app), before, "no group, member or event created");

    // Another admin of the group (no block with either) still may.
    let promote = app
        .patch(&format!("/api/groups/{theirs}/members/{}", friend.id), Some(&blocked.token), json!({"role": "admin"}))
        .await;
    assert_eq!(promote.status, 200, "{}", promote.body);
    let by_friend =
        app.post(&format!("/api/groups/{theirs}/members/{}", blocker.id), Some(&friend.token), json!({})).await;
    assert_eq!(by_friend.status, 200, "{}", by_friend.body);
}

/// Each block, unblock or privacy change makes every ws node re-evaluate who may see whom
/// (`privacy.updated`): a toggling loop was free. Per user: 429 `rate_limited` + Retry-After.
#[tokio::test]
async fn blocks_and_privacy_changes_are_rate_limited_per_user() {
    let app = crate::helpers::spawn_app_with(&[("PRIVACY_RATE_LIMIT_PER_MIN", "3")]).await;
    let (toggler, target, calm) =
        (app.register("toggler").await, app.register("target").await, app.register("calm").await);
    let path = format!("/api/blocks/{}", target.id);
    assert_eq!(app.put(&path, Some(&toggler.token)).await.status, 204);
    assert_eq!(app.delete(&path, Some(&toggler.token)).await.status, 204);
    let privacy = app
        .request(reqwest::Method::PUT, "/api/me/privacy", Some(&toggler.token), Some(json!({"last_seen": "nobody"})))
        .await;
    assert_eq!(privacy.status, 200, "{}", privacy.body);

    let before = (app.count("blocks"), app.count("outbox_log"));
    let refused = [
        app.put(&path, Some(&toggler.token)).await,
        app.delete(&path, Some(&toggler.token)).await,
        app.request(
            reqwest::Method::PUT,
            "/api/me/privacy",
            Some(&toggler.token),
            Some(json!({"last_seen": "everyone"})),
        )
        .await,
    ];
    for r in &refused {
        assert_eq!((r.status.as_u16(), r.code()), (429, "rate_limited"), "{}", r.body);
        assert!(r.headers.contains_key("retry-after"));
    }
    assert_eq!((app.count("blocks"), app.count("outbox_log")), before, "nothing changed, nothing published");
    assert!(app.count_where("users", &format!("id = {} AND last_seen_visibility = 'nobody'", toggler.id)));
    assert_eq!(app.put(&format!("/api/blocks/{}", target.id), Some(&calm.token)).await.status, 204, "per user");
}

async fn peer_of(app: &TestApp, user: &User, chat: i64) -> serde_json::Value {
    app.get(&format!("/api/conversations/{chat}"), Some(&user.token)).await.body["peer"].clone()
}

#[tokio::test]
async fn anyone_can_be_blocked_from_the_chat_and_both_sides_see_it_in_the_peer() {
    let app = spawn_app().await;
    // Strangers: neither has the other in their contacts.
    let (blocker, blocked) = (app.register("blocker").await, app.register("stranger").await);
    let chat = app.direct(&blocked, &blocker).await;
    let before = peer_of(&app, &blocker, chat).await;
    assert_eq!((before["blocked"].as_bool(), before["messaging_blocked"].as_bool()), (Some(false), Some(false)));

    block(&app, &blocker, &blocked).await;
    let mine = peer_of(&app, &blocker, chat).await;
    assert_eq!((mine["blocked"].as_bool(), mine["messaging_blocked"].as_bool()), (Some(true), Some(true)), "{mine}");
    let theirs = peer_of(&app, &blocked, chat).await;
    assert_eq!((theirs["blocked"].as_bool(), theirs["messaging_blocked"].as_bool()), (Some(false), Some(true)));
    let list = app.get("/api/conversations", Some(&blocked.token)).await;
    assert_eq!(list.body["items"][0]["peer"]["messaging_blocked"], true, "the sidebar too: {}", list.body);
    // Both members are told at once, so the composer gives way to the notice without a reload.
    let told = format!(
        "payload->>'type' = 'conversation.updated' AND payload->'data'->>'reason' = 'blocked' \
         AND (payload->'data'->>'conversation_id')::bigint = {chat}"
    );
    assert!(app.count_where("outbox_log", &told), "conversation.updated(blocked) is published");
    let send = app.send(&blocked, chat, "hello?").await;
    assert_eq!((send.status.as_u16(), send.code()), (403, "blocked"), "{}", send.body);

    let r = app.delete(&format!("/api/blocks/{}", blocked.id), Some(&blocker.token)).await;
    assert_eq!(r.status, 204, "unblock: {}", r.body);
    let after = peer_of(&app, &blocked, chat).await;
    assert_eq!((after["blocked"].as_bool(), after["messaging_blocked"].as_bool()), (Some(false), Some(false)));
    assert_eq!(app.send(&blocked, chat, "hello again").await.status, 201);
}
