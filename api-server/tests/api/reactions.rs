//! Emoji reactions: add / remove mine, aggregated with `me`, pushed as `message.updated`.

use std::time::Duration;

use serde_json::{json, Value};
use shared::events::{Event, RoutingKey};

use crate::broker::TestConsumer;
use crate::helpers::{spawn_app, TestApp, User};
use shared::ids::{MessageId, UserId};

const THUMBS: &str = "%F0%9F%91%8D"; // 👍
const PARTY: &str = "%F0%9F%8E%89"; // 🎉

async fn react(app: &TestApp, user: &User, message: i64, emoji: &str, on: bool) -> crate::helpers::Reply {
    let path = format!("/api/messages/{message}/reactions/{emoji}");
    if on {
        app.put(&path, Some(&user.token)).await
    } else {
        app.delete(&path, Some(&user.token)).await
    }
}

fn reactions(message: &Value) -> Vec<(String, i64, Vec<i64>, Value)> {
    message["reactions"]
        .as_array()
        .expect("reactions")
        .iter()
        .map(|r| {
            let ids = r["user_ids"].as_array().expect("ids").iter().map(|v| v.as_i64().expect("id")).collect();
            (r["emoji"].as_str().expect("emoji").to_owned(), r["count"].as_i64().expect("count"), ids, r["me"].clone())
        })
        .collect()
}

#[tokio::test]
async fn reactions_are_aggregated_with_me_flags_and_pushed_once_per_change() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let chat = app.direct(&anna, &ben).await;
    let message = app.send(&anna, chat, "hello").await.body["id"].as_i64().expect("id");
    let mut consumer =
        TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(anna.id.min(ben.id))).to_string()]).await;

    let mine = react(&app, &ben, message, THUMBS, true).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(reactions(&mine.body), [("👍".to_owned(), 1, vec![ben.id], json!(true))]);
    assert_eq!(react(&app, &ben, message, THUMBS, true).await.status, 200, "adding twice is a no-op");
    react(&app, &anna, message, THUMBS, true).await;
    react(&app, &anna, message, PARTY, true).await;

    let page = app.get(&format!("/api/conversations/{chat}/messages"), Some(&ben.token)).await;
    let seen = reactions(&page.body["items"][0]);
    assert_eq!(seen[0], ("👍".to_owned(), 2, vec![ben.id, anna.id], json!(true)));
    assert_eq!(seen[1], ("🎉".to_owned(), 1, vec![anna.id], json!(false)));

    let removed = react(&app, &ben, message, THUMBS, false).await;
    assert_eq!(reactions(&removed.body)[0], ("👍".to_owned(), 1, vec![anna.id], json!(false)));
    assert_eq!(react(&app, &ben, message, THUMBS, false).await.status, 200, "removing twice is a no-op");

    // Four changes, four events (the no-ops publish nothing); events carry no per-viewer flag.
    let events = consumer.take(4, Duration::from_secs(10)).await;
    let updates: Vec<&shared::api::MessageDto> = events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::MessageUpdated(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(updates.len(), 4, "{events:?}");
    assert!(updates.iter().all(|m| m.id == MessageId(message) && m.reactions.iter().all(|r| r.me.is_none())));
    assert_eq!(updates[3].reactions.iter().map(|r| r.count).collect::<Vec<_>>(), [1, 1]);
    assert!(consumer.rest(Duration::from_millis(500)).await.is_empty(), "no event for a no-op");

    // An edit keeps them; a delete drops them.
    let edited = app.patch(&format!("/api/messages/{message}"), Some(&anna.token), json!({"body": "hello!"})).await;
    assert_eq!(reactions(&edited.body).len(), 2, "{}", edited.body);
    assert_eq!(app.delete(&format!("/api/messages/{message}"), Some(&anna.token)).await.status, 204);
    assert_eq!(app.count("reactions"), 0);
    let late = react(&app, &ben, message, THUMBS, true).await;
    assert_eq!((late.status.as_u16(), late.code()), (409, "message_deleted"));
}

#[tokio::test]
async fn bad_reactions_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let (anna, ben, eve) = (app.register("anna").await, app.register("ben").await, app.register("eve").await);
    let chat = app.direct(&anna, &ben).await;
    let message = app.send(&anna, chat, "hello").await.body["id"].as_i64().expect("id");

    for bad in ["lol", "%20", "%F0%9F%91%8D%20x", &"%F0%9F%98%80".repeat(9)] {
        let r = react(&app, &ben, message, bad, true).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "validation_failed"), "{bad}: {}", r.body);
    }
    let outsider = react(&app, &eve, message, THUMBS, true).await;
    assert_eq!((outsider.status.as_u16(), outsider.code()), (404, "message_not_found"));
    assert_eq!(react(&app, &ben, 987_654, THUMBS, true).await.status, 404);
    assert_eq!(app.count("reactions"), 0);

    // At most 20 different emoji on one message; more of an existing one is fine.
    for i in 0..20u32 {
        let emoji: String = char::from_u32(0x1F600 + i).expect("emoji").to_string();
        let encoded: String = emoji.bytes().map(|b| format!("%{b:02X}")).collect();
        assert_eq!(react(&app, &ben, message, &encoded, true).await.status, 200);
    }
    let too_many = react(&app, &ben, message, THUMBS, true).await;
    assert_eq!(too_many.status, 422, "{}", too_many.body);
    assert_eq!(react(&app, &anna, message, "%F0%9F%98%80", true).await.status, 200, "an existing emoji");
    assert_eq!(app.count("reactions"), 21);
}
