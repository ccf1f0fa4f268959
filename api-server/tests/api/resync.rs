//! Resync converges: a client back from a disconnect asks for the messages changed since the
//! change version it holds (`GET /conversations/{id}/messages?changed_since=`) and learns every
//! edit, deletion (its author's, a group admin's, a moderator's) and reaction change it missed;
//! what it cleared, or retention deleted, it learns from `cleared_seq`.

use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use shared::events::{Event, RoutingKey};

use crate::broker::TestConsumer;
use crate::helpers::{spawn_app, spawn_app_with, TestApp, User};
use shared::ids::UserId;

const THUMBS: &str = "%F0%9F%91%8D"; // 👍

async fn changes(app: &TestApp, user: &User, conversation: i64, query: &str) -> Value {
    let reply = app.get(&format!("/api/conversations/{conversation}/messages?{query}"), Some(&user.token)).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    reply.body
}

/// `(seq, change_version)` of a page's items.
fn versions(page: &Value) -> Vec<(i64, i64)> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| (m["seq"].as_i64().expect("seq"), m["change_version"].as_i64().expect("change_version")))
        .collect()
}

/// My sidebar row of a conversation.
async fn sidebar_row(app: &TestApp, user: &User, conversation: i64) -> Value {
    let list = app.get("/api/conversations", Some(&user.token)).await;
    list.body["items"].as_array().expect("items").iter().find(|c| c["id"] == conversation).expect("row").clone()
}

async fn send_ids(app: &TestApp, user: &User, conversation: i64, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 1..=n {
        let reply = app.send(user, conversation, &format!("m{i}")).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        ids.push(reply.body["id"].as_i64().expect("id"));
    }
    ids
}

#[tokio::test]
async fn every_kind_of_change_shows_up_in_changed_since_with_its_version() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let moderator = app.register("mod").await;
    app.exec(&format!("UPDATE users SET role = 'admin' WHERE id = {}", moderator.id));
    let chat = app.direct(&anna, &ben).await;
    let m = send_ids(&app, &anna, chat, 5).await;
    let mut consumer =
        TestConsumer::new(&app.settings, &[RoutingKey::User(UserId(anna.id.min(ben.id))).to_string()]).await;

    // Nothing changed yet.
    let untouched = changes(&app, &ben, chat, "changed_since=0").await;
    assert_eq!(
        (versions(&untouched), &untouched["has_more"], &untouched["change_version"]),
        (vec![], &json!(false), &json!(0))
    );
    assert_eq!(sidebar_row(&app, &ben, chat).await["change_version"], 0);

    // Ben is away; meanwhile: an edit, a reaction, a deletion, a reaction added and taken back,
    // a no-op (the same reaction again: no version), a moderator's deletion.
    let edited = app.patch(&format!("/api/messages/{}", m[0]), Some(&anna.token), json!({"body": "edited"})).await;
    assert_eq!((edited.status.as_u16(), &edited.body["change_version"]), (200, &json!(1)), "{}", edited.body);
    let reacted = app.put(&format!("/api/messages/{}/reactions/{THUMBS}", m[1]), Some(&anna.token)).await;
    assert_eq!(reacted.body["change_version"], 2, "{}", reacted.body);
    assert_eq!(app.delete(&format!("/api/messages/{}", m[2]), Some(&anna.token)).await.status, 204);
    app.put(&format!("/api/messages/{}/reactions/{THUMBS}", m[3]), Some(&anna.token)).await;
    let again = app.put(&format!("/api/messages/{}/reactions/{THUMBS}", m[3]), Some(&anna.token)).await;
    assert_eq!(again.body["change_version"], 4, "a no-op keeps the version: {}", again.body);
    app.delete(&format!("/api/messages/{}/reactions/{THUMBS}", m[3]), Some(&anna.token)).await;
    let report = app.post(&format!("/api/messages/{}/report", m[4]), Some(&ben.token), json!({"reason": "rude"})).await;
    let resolve = format!("/api/admin/reports/{}/resolve", report.body["id"]);
    let resolved = app.post(&resolve, Some(&moderator.token), json!({"decision": "delete_message"})).await;
    assert_eq!(resolved.status, 200, "{}", resolved.body);

    // The sidebar tells Ben there is something to ask for; the answer has every change once.
    let row = sidebar_row(&app, &ben, chat).await;
    assert_eq!(row["change_version"], 6, "{row}");
    assert_eq!(row["last_message"]["change_version"], 6, "the last message is the moderated one");
    let page = changes(&app, &ben, chat, "changed_since=0").await;
    assert_eq!(versions(&page), [(1, 1), (2, 2), (3, 3), (4, 5), (5, 6)]);
    assert_eq!((&page["has_more"], &page["change_version"]), (&json!(false), &json!(6)));
    let items = page["items"].as_array().expect("items");
    assert_eq!(items[0]["body"], "edited");
    assert!(!items[0]["edited_at"].is_null());
    assert_eq!(items[1]["reactions"], json!([{"emoji": "👍", "count": 1, "user_ids": [anna.id], "me": false}]));
    assert_eq!((&items[2]["body"], items[2]["deleted_at"].is_null()), (&json!(""), false), "a tombstone");
    assert_eq!(items[3]["reactions"], json!([]), "the reaction taken back");
    assert_eq!((&items[4]["body"], items[4]["deleted_at"].is_null()), (&json!(""), false), "the moderated one");
    let tail = changes(&app, &ben, chat, "changed_since=3").await;
    assert_eq!((versions(&tail), &tail["change_version"]), (vec![(4, 5), (5, 6)], &json!(6)));
    let none = changes(&app, &ben, chat, "changed_since=6").await;
    assert_eq!((versions(&none), &none["change_version"]), (vec![], &json!(6)));

    // A history page says which version it reflects; its items carry theirs.
    let history = changes(&app, &ben, chat, "limit=50").await;
    assert_eq!(history["change_version"], 6);
    assert_eq!(versions(&history), [(1, 1), (2, 2), (3, 3), (4, 5), (5, 6)]);

    // A live client advances its watermark from the events: each carries its version.
    let events = consumer.take(6, Duration::from_secs(10)).await;
    let announced: Vec<Value> = events
        .iter()
        .filter_map(|(_, e)| match e {
            Event::MessageUpdated(m) => Some(serde_json::to_value(m).expect("json")["change_version"].clone()),
            _ => None,
        })
        .collect();
    assert_eq!(announced, [1, 2, 3, 4, 5, 6]);
}

#[tokio::test]
async fn changed_since_pages_in_version_order_and_continues_from_the_answer() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let chat = app.direct(&anna, &ben).await;
    let m = send_ids(&app, &anna, chat, 7).await;
    // Edited from the newest to the oldest, then the 4th (seq 4) once more: 8 versions, 7 messages.
    for (i, id) in m.iter().rev().chain(std::iter::once(&m[3])).enumerate() {
        let reply =
            app.patch(&format!("/api/messages/{id}"), Some(&anna.token), json!({"body": format!("v{i}")})).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }

    let mut since = 0;
    let mut pages = Vec::new();
    loop {
        let page = changes(&app, &ben, chat, &format!("changed_since={since}&limit=3")).await;
        pages.push(versions(&page));
        since = page["change_version"].as_i64().expect("change_version");
        if page["has_more"] == json!(false) {
            break;
        }
    }
    assert_eq!(
        pages,
        [vec![(7, 1), (6, 2), (5, 3)], vec![(3, 5), (2, 6), (1, 7)], vec![(4, 8)]],
        "ascending by version, each message once with its latest state"
    );
    assert_eq!(since, 8, "the last page reaches the conversation's version");
}

#[tokio::test]
async fn changed_since_never_shows_what_i_cleared_and_retention_moves_cleared_seq_instead() {
    let app = spawn_app_with(&[("RETENTION_SWEEP_MS", "200")]).await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let chat = app.direct(&anna, &ben).await;
    let m = send_ids(&app, &anna, chat, 2).await;
    assert_eq!(app.post(&format!("/api/conversations/{chat}/clear"), Some(&ben.token), json!({})).await.status, 200);
    let m3 = send_ids(&app, &anna, chat, 1).await[0];
    for id in [m[0], m3] {
        app.patch(&format!("/api/messages/{id}"), Some(&anna.token), json!({"body": "changed"})).await;
    }

    // Ben cleared seqs 1-2: the change to seq 1 is skipped, not missing (the version goes on).
    let bens = changes(&app, &ben, chat, "changed_since=0").await;
    assert_eq!((versions(&bens), &bens["change_version"]), (vec![(3, 2)], &json!(2)));
    let annas = changes(&app, &anna, chat, "changed_since=0").await;
    assert_eq!(versions(&annas), [(1, 1), (3, 2)]);

    // Retention deletes seq 1 for everyone: Anna learns it from her cleared_seq (the sidebar and
    // the conversation carry it); no change version is spent, none of it shows as a change.
    app.exec(&format!(
        "UPDATE messages SET created_at = now() - interval '3 days' WHERE conversation_id = {chat} AND seq = 1"
    ));
    let set = app
        .request(
            Method::PUT,
            &format!("/api/conversations/{chat}/retention"),
            Some(&anna.token),
            Some(json!({"days": 1})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count(&format!("messages WHERE conversation_id = {chat}")) > 2 {
        assert!(Instant::now() < deadline, "the sweeper did not delete the expired message");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = sidebar_row(&app, &anna, chat).await;
    assert_eq!((&row["cleared_seq"], &row["change_version"]), (&json!(1), &json!(2)), "{row}");
    let after = changes(&app, &anna, chat, "changed_since=0").await;
    assert_eq!((versions(&after), &after["change_version"]), (vec![(3, 2)], &json!(2)));
}

#[tokio::test]
async fn bad_changed_since_values_are_refused_and_outsiders_get_404() {
    let app = spawn_app().await;
    let (anna, ben, carl) = (app.register("anna").await, app.register("ben").await, app.register("carl").await);
    let chat = app.direct(&anna, &ben).await;
    let m = send_ids(&app, &anna, chat, 1).await;
    app.patch(&format!("/api/messages/{}", m[0]), Some(&anna.token), json!({"body": "changed"})).await;
    let outbox = app.count("outbox_log");

    let get = |query: &str, token: Option<&str>| {
        let path = format!("/api/conversations/{chat}/messages?{query}");
        let token = token.map(str::to_owned);
        let app = &app;
        async move { app.get(&path, token.as_deref()).await }
    };
    for bad in [
        "changed_since=-1",
        "changed_since=0&after_seq=0",
        "changed_since=0&before_seq=5",
        "changed_since=0&limit=0",
        "changed_since=0&limit=101",
    ] {
        let reply = get(bad, Some(&ben.token)).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (422, "validation_failed"), "{bad}: {}", reply.body);
    }
    let field = get("changed_since=-1", Some(&ben.token)).await;
    assert_eq!(field.body["error"]["fields"][0]["field"], "changed_since", "{}", field.body);
    for bad in ["changed_since=abc", "changed_since=1.5", "changed_since=99999999999999999999"] {
        let reply = get(bad, Some(&ben.token)).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (400, "invalid_query"), "{bad}: {}", reply.body);
    }
    let outsider = get("changed_since=0", Some(&carl.token)).await;
    assert_eq!((outsider.status.as_u16(), outsider.code()), (404, "conversation_not_found"));
    assert!(!outsider.body.to_string().contains("changed"), "no message leaks: {}", outsider.body);
    let missing = app.get("/api/conversations/424242/messages?changed_since=0", Some(&ben.token)).await;
    assert_eq!((missing.status.as_u16(), missing.code()), (404, "conversation_not_found"));
    assert_eq!(get("changed_since=0", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("outbox_log"), outbox, "nothing written");
}

/// Edits, reactions, deletions and sends of one conversation all at once: every change gets its
/// own version, gap-free, in the order the changes committed (outbox id order), and none of them
/// fails (a deadlock between two orders of locks would answer 500).
#[tokio::test]
async fn concurrent_changes_and_sends_get_every_version_once_in_commit_order_without_deadlocks() {
    let app = spawn_app().await;
    let owner = app.register("own").await;
    let (x, y) = (app.register("xan").await, app.register("yul").await);
    let (_, channel) = app.group(&owner, &[&x, &y]).await;
    let m = send_ids(&app, &owner, channel, 8).await;
    for id in &m {
        app.put(&format!("/api/messages/{id}/reactions/{THUMBS}"), Some(&x.token)).await;
    }
    let before = sidebar_row(&app, &owner, channel).await["change_version"].as_i64().expect("version");
    assert_eq!(before, 8);

    let request = |method: Method, path: String, user: &User, body: Option<Value>| {
        let mut req = app.client.request(method, app.url(&path)).bearer_auth(&user.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        tokio::spawn(req.send())
    };
    let mut tasks = Vec::new();
    for round in 0..3 {
        for id in &m {
            // On one message at once: its reaction taken back, another added, an edit, and (last
            // round) its deletion, which clears the reactions the others are changing.
            let emoji = format!("/api/messages/{id}/reactions/{THUMBS}");
            tasks.push(request(if round % 2 == 0 { Method::DELETE } else { Method::PUT }, emoji.clone(), &x, None));
            tasks.push(request(Method::PUT, emoji, &y, None));
            let body = json!({"body": format!("round {round}")});
            tasks.push(request(Method::PATCH, format!("/api/messages/{id}"), &owner, Some(body)));
            if round == 2 {
                tasks.push(request(Method::DELETE, format!("/api/messages/{id}"), &owner, None));
            }
        }
        let send = json!({"client_id": uuid::Uuid::new_v4(), "body": format!("send {round}")});
        tasks.push(request(Method::POST, format!("/api/conversations/{channel}/messages"), &y, Some(send)));
    }
    for task in tasks {
        let status = task.await.expect("task").expect("answered").status();
        // 409: an edit or reaction that found its message deleted already; never a 5xx.
        assert!(status.is_success() || status == StatusCode::CONFLICT, "{status}");
    }

    // Every bump announced once, versions before + 1 ..= now, in outbox id (commit) order.
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        v: i64,
    }
    let mut conn = app.env.db.connect();
    let announced: Vec<i64> = diesel::sql_query(format!(
        "SELECT (payload->'data'->>'change_version')::bigint AS v FROM outbox_log \
         WHERE payload->>'type' = 'message.updated' AND (payload->'data'->>'change_version')::bigint > {before} ORDER BY id"
    ))
    .load::<Version>(&mut conn)
    .expect("outbox")
    .into_iter()
    .map(|r| r.v)
    .collect();
    let now = sidebar_row(&app, &owner, channel).await["change_version"].as_i64().expect("version");
    assert_eq!(announced, ((before + 1)..=now).collect::<Vec<_>>());

    // A client at `before` catches up to exactly what a fresh load shows.
    let mut since = before;
    let mut caught = std::collections::BTreeMap::new();
    loop {
        let page = changes(&app, &y, channel, &format!("changed_since={since}&limit=5")).await;
        for item in page["items"].as_array().expect("items") {
            caught.insert(item["seq"].as_i64().expect("seq"), item.clone());
        }
        since = page["change_version"].as_i64().expect("version");
        if page["has_more"] == json!(false) {
            break;
        }
    }
    assert_eq!(since, now);
    let fresh = changes(&app, &y, channel, "limit=100").await;
    for item in fresh["items"].as_array().expect("items").iter().filter(|i| i["seq"].as_i64() <= Some(8)) {
        assert_eq!(caught.get(&item["seq"].as_i64().expect("seq")), Some(item), "seq {}", item["seq"]);
    }
}

/// Makes the commit of every transaction that wrote a `message.updated` wait while the test
/// holds advisory lock 4243.
const HOLD_CHANGE_COMMITS: [&str; 2] = [
    "CREATE FUNCTION hold_change_commit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_advisory_xact_lock_shared(4243); RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER hold_change_commits AFTER INSERT ON outbox
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.payload->>'type' = 'message.updated') EXECUTE FUNCTION hold_change_commit()",
];

/// A version is never visible before a smaller one of its conversation: a change waiting to
/// commit holds back the next change (and sends), so a reader that sees version `v` saw every
/// version below it and may move its watermark to `v`.
#[tokio::test]
async fn a_change_waiting_to_commit_holds_back_the_next_so_no_reader_skips_a_version() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let chat = app.direct(&anna, &ben).await;
    let m = send_ids(&app, &anna, chat, 2).await;
    HOLD_CHANGE_COMMITS.iter().for_each(|sql| app.exec(sql));
    let mut holder = app.env.db.connect();
    diesel::sql_query("SELECT pg_advisory_lock(4243)").execute(&mut holder).expect("hold");

    let edit = |id: i64, body: &str| {
        let req = app.client.patch(app.url(&format!("/api/messages/{id}"))).bearer_auth(&anna.token);
        tokio::spawn(req.json(&json!({"body": body})).send())
    };
    // Version 1 is taken; its commit waits. The next change must wait for it, not commit 2.
    let first = edit(m[0], "first");
    wait_for_lock_waiters(&app, 1).await;
    let second = edit(m[1], "second");
    wait_for_lock_waiters(&app, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second change waits for the first one's commit");
    let meanwhile = changes(&app, &ben, chat, "changed_since=0").await;
    assert_eq!((versions(&meanwhile), &meanwhile["change_version"]), (vec![], &json!(0)));

    diesel::sql_query("SELECT pg_advisory_unlock(4243)").execute(&mut holder).expect("release");
    for task in [first, second] {
        assert_eq!(task.await.expect("task").expect("answered").status(), StatusCode::OK);
    }
    let after = changes(&app, &ben, chat, "changed_since=0").await;
    assert_eq!((versions(&after), &after["change_version"]), (vec![(1, 1), (2, 2)], &json!(2)));
}

/// Waits until `n` statements of the test's database wait for a lock.
async fn wait_for_lock_waiters(app: &TestApp, n: i64) {
    let waiting = "pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
    for _ in 0..100 {
        if app.count(waiting) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{n} statements never waited for a lock");
}
