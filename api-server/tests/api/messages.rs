//! Direct chats, sending (seq, idempotency), history, edits, deletes, receipts, chat
//! management and the sidebar.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use shared::events::{Event, RoutingKey};

use crate::broker::TestConsumer;
use crate::helpers::{spawn_app, TestApp};
use shared::ids::{ConversationId, GroupId, UserId};

#[tokio::test]
async fn a_direct_chat_is_created_once_even_under_concurrent_requests() {
    let app = spawn_app().await;
    let a = app.register("anna").await;
    let b = app.register("ben").await;
    let calls = (0..10).map(|i| {
        let (app, a, b) = (&app, &a, &b);
        async move {
            // Both sides race to open it.
            let (me, peer) = if i % 2 == 0 { (a, b) } else { (b, a) };
            app.post("/api/conversations/direct", Some(&me.token), json!({"user_id": peer.id})).await
        }
    });
    let replies = futures_util::future::join_all(calls).await;
    let ids: BTreeSet<i64> = replies.iter().map(|r| r.body["id"].as_i64().expect("id")).collect();
    assert_eq!(ids.len(), 1, "one conversation per pair");
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1, "exactly one creator");
    assert_eq!(app.count("conversations"), 1);
    assert_eq!(app.count("conversation_members"), 2);
    let again = app.post("/api/conversations/direct", Some(&a.token), json!({"user_id": b.id})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["peer"]["username"], "ben");
    assert_eq!(app.post("/api/conversations/direct", Some(&a.token), json!({"user_id": a.id})).await.status, 422);
}

#[tokio::test]
async fn twenty_concurrent_senders_get_gap_free_seqs_and_exactly_one_event_each() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let mut senders = vec![owner.clone()];
    for i in 0..19 {
        senders.push(app.register(&format!("sender{i}")).await);
    }
    let others: Vec<&crate::helpers::User> = senders.iter().skip(1).collect();
    let (group, channel) = app.group(&owner, &others).await;
    let mut consumer = TestConsumer::new(&app.settings, &[RoutingKey::Group(GroupId(group)).to_string()]).await;

    let tasks = senders.iter().map(|s| {
        let app = &app;
        async move {
            for i in 0..50 {
                let r = app.send(s, channel, &format!("{} #{i}", s.username)).await;
                assert_eq!(r.status, 201, "{}", r.body);
            }
        }
    });
    futures_util::future::join_all(tasks).await;

    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let page = app
            .get(&format!("/api/conversations/{channel}/messages?after_seq={after}&limit=100"), Some(&owner.token))
            .await;
        let got = TestApp::seqs(&page.body);
        if got.is_empty() {
            break;
        }
        after = *got.last().expect("last");
        seqs.extend(got);
    }
    assert_eq!(seqs, (1..=1000).collect::<Vec<i64>>(), "seqs 1..1000, no gap, no duplicate");

    let events = consumer.take(1000, Duration::from_secs(30)).await;
    let mut event_seqs: Vec<i64> = events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::MessageNew(m) if m.conversation_id == ConversationId(channel) => Some(m.seq),
            _ => None,
        })
        .collect();
    event_seqs.sort_unstable();
    assert_eq!(event_seqs, (1..=1000).collect::<Vec<i64>>(), "exactly 1000 message.new events on the broker");
    let extra: Vec<_> = consumer
        .rest(Duration::from_millis(500))
        .await
        .into_iter()
        .filter(|(_, e)| matches!(e, Event::MessageNew(_)))
        .collect();
    assert!(extra.is_empty(), "no duplicate publishes while all is well: {extra:?}");
}

#[tokio::test]
async fn retrying_with_the_same_client_id_returns_the_same_message_and_publishes_nothing() {
    let app = spawn_app().await;
    let a = app.register("cara").await;
    let b = app.register("dan").await;
    let dm = app.direct(&a, &b).await;
    let body = json!({"client_id": "7f1f9c1e-7f53-4a2b-9c8e-6b1d2f3a4b5c", "body": "hello"});
    let path = format!("/api/conversations/{dm}/messages");
    let first = app.post(&path, Some(&a.token), body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let outbox_after_first = app.count("outbox_log");
    let retries = futures_util::future::join_all((0..5).map(|_| app.post(&path, Some(&a.token), body.clone()))).await;
    for r in &retries {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["id"], first.body["id"]);
        assert_eq!(r.body["seq"], 1);
    }
    assert_eq!(app.count("messages"), 1);
    assert_eq!(app.count("outbox_log"), outbox_after_first, "a retry publishes nothing");
    // The same client_id in another conversation is a client bug: 409.
    let c = app.register("cyd").await;
    let other = app.direct(&a, &c).await;
    let reused = app.post(&format!("/api/conversations/{other}/messages"), Some(&a.token), body).await;
    assert_eq!((reused.status.as_u16(), reused.code()), (409, "client_id_reused"));
}

#[tokio::test]
async fn direct_events_go_to_both_users_with_one_publish() {
    let app = spawn_app().await;
    let a = app.register("eve").await;
    let b = app.register("fay").await;
    let mut to_a = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(a.id)).to_string()]).await;
    let mut to_b = TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(b.id)).to_string()]).await;
    let dm = app.direct(&a, &b).await;
    let sent = app.send(&a, dm, "hi").await;
    assert_eq!(sent.status, 201);
    for consumer in [&mut to_a, &mut to_b] {
        let events = consumer.take(2, Duration::from_secs(10)).await;
        assert!(
            matches!(&events[0].1, Event::ConversationUpdated(u) if u.conversation_id == Some(ConversationId(dm))),
            "{events:?}"
        );
        assert!(matches!(&events[1].1, Event::MessageNew(m) if m.seq == 1 && m.body == "hi"), "{events:?}");
    }
    let outbox: i64 = app.count("outbox_log");
    assert_eq!(outbox, 2, "created + message.new, each one row reaching both users (CC)");
}

#[tokio::test]
async fn history_pages_in_both_directions() {
    let app = spawn_app().await;
    let a = app.register("gus").await;
    let b = app.register("hal").await;
    let dm = app.direct(&a, &b).await;
    for i in 1..=7 {
        assert_eq!(app.send(&a, dm, &format!("m{i}")).await.status, 201);
    }
    let get = |q: &str| {
        let path = format!("/api/conversations/{dm}/messages?{q}");
        let (app, token) = (&app, b.token.clone());
        async move { app.get(&path, Some(&token)).await }
    };
    let latest = get("limit=3").await;
    assert_eq!((TestApp::seqs(&latest.body), latest.body["has_more"].as_bool()), (vec![5, 6, 7], Some(true)));
    let before = get("before_seq=5&limit=3").await;
    assert_eq!((TestApp::seqs(&before.body), before.body["has_more"].as_bool()), (vec![2, 3, 4], Some(true)));
    let first = get("before_seq=2&limit=3").await;
    assert_eq!((TestApp::seqs(&first.body), first.body["has_more"].as_bool()), (vec![1], Some(false)));
    let after = get("after_seq=5").await;
    assert_eq!((TestApp::seqs(&after.body), after.body["has_more"].as_bool()), (vec![6, 7], Some(false)));
    let from_start = get("after_seq=0&limit=3").await;
    assert_eq!((TestApp::seqs(&from_start.body), from_start.body["has_more"].as_bool()), (vec![1, 2, 3], Some(true)));
    let nothing = get("after_seq=7").await;
    assert_eq!((TestApp::seqs(&nothing.body), nothing.body["has_more"].as_bool()), (vec![], Some(false)));
    let all = get("limit=100").await;
    assert_eq!(TestApp::seqs(&all.body), (1..=7).collect::<Vec<_>>());
    for bad in ["limit=0", "limit=101", "before_seq=3&after_seq=1", "before_seq=0", "after_seq=-1"] {
        assert_eq!(get(bad).await.status, 422, "{bad}");
    }
    assert_eq!(get("limit=abc").await.status, 400);
}

#[tokio::test]
async fn messages_can_be_edited_replied_to_and_deleted_by_their_author() {
    let app = spawn_app().await;
    let a = app.register("ida").await;
    let b = app.register("jon").await;
    let dm = app.direct(&a, &b).await;
    let m = app.send(&a, dm, "frist").await.body;
    let id = m["id"].as_i64().expect("id");
    let edited = app.patch(&format!("/api/messages/{id}"), Some(&a.token), json!({"body": "first"})).await;
    assert_eq!((edited.status.as_u16(), edited.body["body"].as_str()), (200, Some("first")));
    assert!(edited.body["edited_at"].is_string());
    let not_mine = app.patch(&format!("/api/messages/{id}"), Some(&b.token), json!({"body": "hacked"})).await;
    assert_eq!((not_mine.status.as_u16(), not_mine.code()), (403, "not_message_author"));
    let reply = app
        .post(
            &format!("/api/conversations/{dm}/messages"),
            Some(&b.token),
            json!({"client_id": uuid::Uuid::new_v4(), "body": "re", "reply_to_id": id}),
        )
        .await;
    assert_eq!(reply.body["reply_to_id"], id);
    assert_eq!(app.delete(&format!("/api/messages/{id}"), Some(&b.token)).await.status, 403);
    assert_eq!(app.delete(&format!("/api/messages/{id}"), Some(&a.token)).await.status, 204);
    assert_eq!(app.delete(&format!("/api/messages/{id}"), Some(&a.token)).await.status, 204, "idempotent");
    let history = app.get(&format!("/api/conversations/{dm}/messages"), Some(&b.token)).await;
    let tomb = &history.body["items"][0];
    assert_eq!((tomb["seq"].as_i64(), tomb["body"].as_str()), (Some(1), Some("")));
    assert!(tomb["deleted_at"].is_string(), "a tombstone keeps the seq");
    assert_eq!(
        app.patch(&format!("/api/messages/{id}"), Some(&a.token), json!({"body": "x"})).await.code(),
        "message_deleted"
    );
    let stranger = app.register("kim").await;
    assert_eq!(
        app.patch(&format!("/api/messages/{id}"), Some(&stranger.token), json!({"body": "x"})).await.status,
        404
    );
}

#[tokio::test]
async fn receipts_only_move_forward_and_feed_unread_counts() {
    let app = spawn_app().await;
    let a = app.register("lea").await;
    let b = app.register("max").await;
    let dm = app.direct(&a, &b).await;
    for i in 0..5 {
        app.send(&a, dm, &format!("{i}")).await;
    }
    let sidebar = app.get("/api/conversations", Some(&b.token)).await;
    assert_eq!(sidebar.body["items"][0]["unread_count"], 5);
    assert_eq!(
        app.get("/api/conversations", Some(&a.token)).await.body["items"][0]["unread_count"],
        0,
        "my own messages are read"
    );
    let path = format!("/api/conversations/{dm}/receipts");
    let r = app.post(&path, Some(&b.token), json!({"delivered_seq": 5})).await;
    assert_eq!((r.body["delivered_seq"].as_i64(), r.body["read_seq"].as_i64()), (Some(5), Some(0)));
    let r = app.post(&path, Some(&b.token), json!({"read_seq": 3})).await;
    assert_eq!((r.body["delivered_seq"].as_i64(), r.body["read_seq"].as_i64()), (Some(5), Some(3)));
    let r = app.post(&path, Some(&b.token), json!({"read_seq": 1, "delivered_seq": 2})).await;
    assert_eq!((r.body["delivered_seq"].as_i64(), r.body["read_seq"].as_i64()), (Some(5), Some(3)), "never backwards");
    assert_eq!(app.post(&path, Some(&b.token), json!({"read_seq": 6})).await.status, 422, "beyond last_seq");
    assert_eq!(app.post(&path, Some(&b.token), json!({})).await.status, 422);
    assert_eq!(app.get("/api/conversations", Some(&b.token)).await.body["items"][0]["unread_count"], 2);
    let all = app.get(&path, Some(&a.token)).await;
    let mine = all.body.as_array().expect("list").iter().find(|w| w["user_id"] == b.id).cloned().expect("b");
    assert_eq!(
        (mine["delivered_seq"].as_i64(), mine["read_seq"].as_i64()),
        (Some(5), Some(3)),
        "the sender sees b's watermarks"
    );
}

#[tokio::test]
async fn chat_management_pins_archives_mutes_clears_and_hides_for_me_only() {
    let app = spawn_app().await;
    let a = app.register("ned").await;
    let b = app.register("ola").await;
    let c = app.register("pia").await;
    let ab = app.direct(&a, &b).await;
    let ac = app.direct(&a, &c).await;
    app.send(&b, ab, "old").await;
    app.send(&c, ac, "newer").await;
    let order = |v: &serde_json::Value| -> Vec<i64> {
        v["items"].as_array().expect("items").iter().map(|c| c["id"].as_i64().expect("id")).collect()
    };
    assert_eq!(order(&app.get("/api/conversations", Some(&a.token)).await.body), vec![ac, ab], "by last activity");
    let pinned = app.put(&format!("/api/conversations/{ab}/pin"), Some(&a.token)).await;
    assert_eq!(pinned.body["pinned"], true);
    assert_eq!(order(&app.get("/api/conversations", Some(&a.token)).await.body), vec![ab, ac], "pinned first");
    assert_eq!(app.get("/api/conversations", Some(&b.token)).await.body["items"][0]["pinned"], false, "only for me");
    assert_eq!(app.put(&format!("/api/conversations/{ab}/archive"), Some(&a.token)).await.body["archived"], true);
    let muted = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/conversations/{ab}/mute"),
            Some(&a.token),
            Some(json!({"until": "2999-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(muted.body["muted_until"], "2999-01-01T00:00:00Z");
    assert!(app.delete(&format!("/api/conversations/{ab}/mute"), Some(&a.token)).await.body["muted_until"].is_null());
    let past = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/conversations/{ab}/mute"),
            Some(&a.token),
            Some(json!({"until": "2000-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(past.status, 422);

    // Clear: history gone for me, not for b.
    let cleared = app.post(&format!("/api/conversations/{ab}/clear"), Some(&a.token), json!({})).await;
    assert_eq!((cleared.body["unread_count"].as_i64(), cleared.body["last_message"].is_null()), (Some(0), true));
    assert_eq!(
        TestApp::seqs(&app.get(&format!("/api/conversations/{ab}/messages"), Some(&a.token)).await.body),
        Vec::<i64>::new()
    );
    assert_eq!(
        TestApp::seqs(&app.get(&format!("/api/conversations/{ab}/messages"), Some(&b.token)).await.body),
        vec![1]
    );

    // Delete for me: gone from my sidebar until a new message arrives.
    assert_eq!(app.delete(&format!("/api/conversations/{ac}"), Some(&a.token)).await.status, 204);
    assert_eq!(order(&app.get("/api/conversations", Some(&a.token)).await.body), vec![ab]);
    assert_eq!(app.send(&c, ac, "are you there?").await.status, 201);
    let back = app.get("/api/conversations", Some(&a.token)).await;
    assert!(order(&back.body).contains(&ac), "reappears with the new message");
    let row = back.body["items"].as_array().expect("items").iter().find(|r| r["id"] == ac).cloned().expect("row");
    assert_eq!((row["last_message"]["body"].as_str(), row["unread_count"].as_i64()), (Some("are you there?"), Some(1)));
    assert_eq!(
        TestApp::seqs(&app.get(&format!("/api/conversations/{ac}/messages"), Some(&a.token)).await.body),
        vec![2],
        "older history stays deleted"
    );
}

#[tokio::test]
async fn the_sidebar_shows_peer_alias_group_and_channel_names_and_paginates() {
    let app = spawn_app().await;
    let a = app.register("quin").await;
    let b = app.register("rex").await;
    app.post("/api/contacts", Some(&a.token), json!({"user_id": b.id, "alias": "Rexy"})).await;
    let dm = app.direct(&a, &b).await;
    let (group, channel) = app.group(&a, &[&b]).await;
    app.send(&b, channel, "in the group").await;
    let sidebar = app.get("/api/conversations?limit=1", Some(&a.token)).await;
    let first = &sidebar.body["items"][0];
    assert_eq!(
        (first["id"].as_i64(), first["group_id"].as_i64(), first["group_name"].as_str(), first["name"].as_str()),
        (Some(channel), Some(group), Some("Team"), Some("general"))
    );
    assert_eq!(first["last_message"]["body"], "in the group");
    let next = sidebar.body["next_cursor"].as_str().expect("more");
    let page2 = app.get(&format!("/api/conversations?limit=1&cursor={next}"), Some(&a.token)).await;
    let second = &page2.body["items"][0];
    assert_eq!(
        (second["id"].as_i64(), second["peer"]["alias"].as_str(), second["peer"]["username"].as_str()),
        (Some(dm), Some("Rexy"), Some("rex"))
    );
    assert_eq!(
        app.get(&format!("/api/conversations?limit=1&cursor={}", 2), Some(&a.token)).await.body["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert_eq!(app.get("/api/conversations?cursor=-4", Some(&a.token)).await.status, 422);
}

#[tokio::test]
async fn blocks_stop_direct_chats_in_both_directions() {
    let app = spawn_app().await;
    let a = app.register("sal").await;
    let b = app.register("tom").await;
    let dm = app.direct(&a, &b).await;
    app.put(&format!("/api/blocks/{}", a.id), Some(&b.token)).await;
    for (who, peer) in [(&a, &b), (&b, &a)] {
        let open = app.post("/api/conversations/direct", Some(&who.token), json!({"user_id": peer.id})).await;
        assert_eq!((open.status.as_u16(), open.code()), (403, "blocked"));
        let send = app.send(who, dm, "hello?").await;
        assert_eq!((send.status.as_u16(), send.code()), (403, "blocked"));
    }
    assert_eq!(app.count("messages"), 0);
    app.delete(&format!("/api/blocks/{}", a.id), Some(&b.token)).await;
    assert_eq!(app.send(&a, dm, "hello again").await.status, 201);
}

#[tokio::test]
async fn non_members_learn_nothing_and_can_do_nothing() {
    let app = spawn_app().await;
    let a = app.register("uma").await;
    let b = app.register("vic").await;
    let outsider = app.register("wes").await;
    let dm = app.direct(&a, &b).await;
    let m = app.send(&a, dm, "private").await.body["id"].as_i64().expect("id");
    let t = Some(outsider.token.as_str());
    let attempts = vec![
        app.get(&format!("/api/conversations/{dm}"), t).await,
        app.get(&format!("/api/conversations/{dm}/messages"), t).await,
        app.send(&outsider, dm, "intrude").await,
        app.post(&format!("/api/conversations/{dm}/receipts"), t, json!({"read_seq": 1})).await,
        app.get(&format!("/api/conversations/{dm}/receipts"), t).await,
        app.put(&format!("/api/conversations/{dm}/pin"), t).await,
        app.post(&format!("/api/conversations/{dm}/clear"), t, json!({})).await,
        app.delete(&format!("/api/conversations/{dm}"), t).await,
        app.patch(&format!("/api/messages/{m}"), t, json!({"body": "x"})).await,
        app.delete(&format!("/api/messages/{m}"), t).await,
        app.get("/api/conversations/999999", t).await,
    ];
    for r in attempts {
        assert_eq!(r.status, 404, "{}", r.body);
        assert!(!r.body.to_string().contains("private"));
    }
    assert_eq!(app.count("messages"), 1);
    assert!(app.get("/api/conversations", t).await.body["items"].as_array().is_some_and(Vec::is_empty));
}
