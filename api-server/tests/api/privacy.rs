//! Privacy settings: last seen (users, presence), read receipts both ways, who may start a
//! chat or add to a group, the status; bad values change nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, User};

async fn set_privacy(app: &TestApp, user: &User, body: Value) -> Value {
    let reply = app.request(Method::PUT, "/api/me/privacy", Some(&user.token), Some(body)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

async fn last_seen_seen_by(app: &TestApp, viewer: &User, target: &User) -> (Value, Value) {
    let profile = app.get(&format!("/api/users/{}", target.id), Some(&viewer.token)).await;
    let presence = app.get(&format!("/api/presence?ids={}", target.id), Some(&viewer.token)).await;
    (profile.body["last_seen_at"].clone(), presence.body[0]["last_seen_at"].clone())
}

#[tokio::test]
async fn settings_default_to_open_and_change_field_by_field() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let got = app.get("/api/me/privacy", Some(&alice.token)).await;
    assert_eq!(
        got.body,
        json!({"last_seen": "everyone", "read_receipts": true, "direct_messages": "everyone", "group_adds": "everyone"})
    );
    let after = set_privacy(&app, &alice, json!({"last_seen": "contacts", "read_receipts": false})).await;
    assert_eq!(after["last_seen"], "contacts");
    assert_eq!(after["read_receipts"], false);
    assert_eq!(after["direct_messages"], "everyone", "untouched");
    assert!(app.count_where("outbox_log", &format!("routing_key = 'presence.{}'", alice.id)), "ws nodes are told");

    for bad in [json!({"last_seen": "friends"}), json!({"read_receipts": "no"}), json!({"who": "everyone"}), json!([])]
    {
        let reply = app.request(Method::PUT, "/api/me/privacy", Some(&alice.token), Some(bad.clone())).await;
        assert!(reply.status.is_client_error(), "{bad}: {}", reply.status);
        assert!(!reply.code().is_empty(), "{bad}: {}", reply.body);
    }
    assert_eq!(app.get("/api/me/privacy", Some(&alice.token)).await.body, after, "bad input changed nothing");
    assert_eq!(app.get("/api/me/privacy", None).await.status, 401);
}

#[tokio::test]
async fn last_seen_is_shown_to_the_audience_the_user_chose() {
    let app = spawn_app().await;
    let [owner, friend, stranger] =
        [app.register("owner").await, app.register("friend").await, app.register("stranger").await];
    app.exec(&format!("UPDATE users SET last_seen_at = now() WHERE id = {}", owner.id));
    let add = app.post("/api/contacts", Some(&owner.token), json!({"user_id": friend.id})).await;
    assert!(add.status.is_success(), "{}", add.body);

    let (profile, presence) = last_seen_seen_by(&app, &stranger, &owner).await;
    assert!(profile.is_string() && presence.is_string(), "everyone by default");

    set_privacy(&app, &owner, json!({"last_seen": "contacts"})).await;
    let (profile, presence) = last_seen_seen_by(&app, &friend, &owner).await;
    assert!(profile.is_string() && presence.is_string(), "a contact sees it");
    let (profile, presence) = last_seen_seen_by(&app, &stranger, &owner).await;
    assert!(profile.is_null() && presence.is_null(), "a stranger does not");
    let search = app.get("/api/users?q=owner", Some(&stranger.token)).await;
    assert!(search.body["items"][0]["last_seen_at"].is_null(), "{}", search.body);
    let (gid, _) = app.group(&stranger, &[&owner]).await;
    let group = app.get(&format!("/api/groups/{gid}"), Some(&stranger.token)).await;
    let member =
        group.body["members"].as_array().expect("members").iter().find(|m| m["user"]["id"] == owner.id).cloned();
    assert!(member.expect("owner is a member")["user"]["last_seen_at"].is_null());

    set_privacy(&app, &owner, json!({"last_seen": "nobody"})).await;
    let (profile, presence) = last_seen_seen_by(&app, &friend, &owner).await;
    assert!(profile.is_null() && presence.is_null(), "nobody means the contacts too");
    let me = app.get("/api/me", Some(&owner.token)).await;
    assert!(me.body["last_seen_at"].is_string(), "the owner always sees their own");

    // A block hides it whatever the setting.
    set_privacy(&app, &owner, json!({"last_seen": "everyone"})).await;
    assert!(app.put(&format!("/api/blocks/{}", stranger.id), Some(&owner.token)).await.status.is_success());
    let (profile, presence) = last_seen_seen_by(&app, &stranger, &owner).await;
    assert!(profile.is_null() && presence.is_null(), "blocked");
}

#[tokio::test]
async fn read_receipts_off_hides_reads_both_ways_but_not_delivery() {
    let app = spawn_app().await;
    let [quiet, chatty] = [app.register("quiet").await, app.register("chatty").await];
    let dm = app.direct(&chatty, &quiet).await;
    for body in ["one", "two", "three"] {
        assert_eq!(app.send(&chatty, dm, body).await.status, 201);
    }
    set_privacy(&app, &quiet, json!({"read_receipts": false})).await;
    let path = format!("/api/conversations/{dm}/receipts");
    assert!(app.post(&path, Some(&quiet.token), json!({"read_seq": 2})).await.status.is_success());

    let seen_by = |list: &Value, user: &User| {
        let r = list.as_array().expect("list").iter().find(|r| r["user_id"] == user.id).cloned().expect("member");
        (r["delivered_seq"].as_i64().expect("delivered"), r["read_seq"].as_i64().expect("read"))
    };
    let for_chatty = app.get(&path, Some(&chatty.token)).await.body;
    assert_eq!(seen_by(&for_chatty, &quiet), (2, 0), "delivery shows, the read does not");
    assert_eq!(seen_by(&for_chatty, &chatty), (3, 3), "my own reads are mine");
    let for_quiet = app.get(&path, Some(&quiet.token)).await.body;
    assert_eq!(seen_by(&for_quiet, &chatty), (3, 0), "and I do not see theirs");
    assert_eq!(seen_by(&for_quiet, &quiet), (2, 2));
    // The events: the conversation hears of delivery only; my own devices get the read.
    let conversation_events = app.count(&format!(
        "outbox_log WHERE payload->>'type' = 'receipt' AND (payload->'data'->>'user_id')::bigint = {} \
         AND (payload->'data'->>'read_seq')::bigint > 0 AND cc <> '{{}}'",
        quiet.id
    ));
    assert_eq!(conversation_events, 0, "no read of a quiet reader goes to the conversation");
    assert!(app.count_where(
        "outbox_log",
        &format!(
            "payload->>'type' = 'receipt' AND routing_key = 'user.{}' AND cc = '{{}}' AND (payload->'data'->>'read_seq')::bigint = 2",
            quiet.id
        )
    ));
}

#[tokio::test]
async fn who_may_start_a_chat_or_add_to_a_group_is_the_targets_choice() {
    let app = spawn_app().await;
    let [picky, friend, stranger] =
        [app.register("picky").await, app.register("friend2").await, app.register("stranger2").await];
    assert!(app.post("/api/contacts", Some(&picky.token), json!({"user_id": friend.id})).await.status.is_success());
    set_privacy(&app, &picky, json!({"direct_messages": "contacts", "group_adds": "nobody"})).await;

    let before = app.count("conversations");
    let reply = app.post("/api/conversations/direct", Some(&stranger.token), json!({"user_id": picky.id})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (403, "direct_messages_not_allowed"), "{}", reply.body);
    assert_eq!(app.count("conversations"), before, "nothing created");
    let dm = app.direct(&friend, &picky).await;
    assert_eq!(app.send(&friend, dm, "hi").await.status, 201, "a contact may");

    // An existing chat goes on when the setting tightens.
    set_privacy(&app, &picky, json!({"direct_messages": "nobody"})).await;
    assert_eq!(app.direct(&friend, &picky).await, dm);
    assert_eq!(app.send(&friend, dm, "still here").await.status, 201);

    let reply = app.post("/api/groups", Some(&friend.token), json!({"name": "G", "member_ids": [picky.id]})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (403, "group_add_not_allowed"), "{}", reply.body);
    let (gid, _) = app.group(&friend, &[&stranger]).await;
    let reply = app.post(&format!("/api/groups/{gid}/members/{}", picky.id), Some(&friend.token), json!({})).await;
    assert_eq!((reply.status.as_u16(), reply.code()), (403, "group_add_not_allowed"), "{}", reply.body);
    // An invite link still works: joining is the user's own choice.
    let invite = app.post(&format!("/api/groups/{gid}/invites"), Some(&friend.token), json!({})).await;
    let token = invite.body["token"].as_str().expect("invite token").to_owned();
    let joined = app.post(&format!("/api/invites/{token}/accept"), Some(&picky.token), json!({})).await;
    assert!(joined.status.is_success(), "{}", joined.body);
}

#[tokio::test]
async fn a_status_is_set_shown_and_cleared() {
    let app = spawn_app().await;
    let [me, other] = [app.register("statusy").await, app.register("looker").await];
    let reply = app.patch("/api/me", Some(&me.token), json!({"status_text": "On holiday", "status_emoji": "🌴"})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        (reply.body["status_text"].as_str(), reply.body["status_emoji"].as_str()),
        (Some("On holiday"), Some("🌴"))
    );
    let seen = app.get(&format!("/api/users/{}", me.id), Some(&other.token)).await;
    assert_eq!(seen.body["status_emoji"], "🌴");
    let dm = app.direct(&other, &me).await;
    let sidebar = app.get(&format!("/api/conversations/{dm}"), Some(&other.token)).await;
    assert_eq!(sidebar.body["peer"]["status_emoji"], "🌴", "{}", sidebar.body);

    for bad in [
        json!({"status_emoji": "lol"}),
        json!({"status_emoji": "🌴 🌴"}),
        json!({"status_text": "x".repeat(81)}),
        json!({"status_text": "bad\u{0}char"}),
    ] {
        let reply = app.patch("/api/me", Some(&me.token), bad.clone()).await;
        assert_eq!(reply.status, 422, "{bad}: {}", reply.body);
    }
    let reply = app.patch("/api/me", Some(&me.token), json!({"status_text": "", "status_emoji": ""})).await;
    assert!(reply.body["status_text"].is_null() && reply.body["status_emoji"].is_null(), "{}", reply.body);
}
