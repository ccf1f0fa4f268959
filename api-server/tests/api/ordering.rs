//! Commit order of conflicting transactions is outbox id order: a member's removal and a
//! message of that group never commit in one order and get their outbox ids in the other
//! (the leading relay publishes in id order, so the ws nodes see what was committed first).

use std::time::Duration;

use diesel::RunQueryDsl;
use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestApp, User};

/// The outbox id of the first row matching `condition`, if any.
fn outbox_id(app: &TestApp, condition: &str) -> Option<i64> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let mut conn = app.env.db.connect();
    diesel::sql_query(format!("SELECT id FROM outbox_log WHERE {condition} ORDER BY id LIMIT 1"))
        .get_result::<Id>(&mut conn)
        .ok()
        .map(|r| r.id)
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

fn request(app: &TestApp, method: reqwest::Method, path: &str, user: &User) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(&user.token)
}

/// Makes the commit of every transaction that wrote a `message.new` wait while the test holds
/// advisory lock 4242: a send held between its outbox insert and its commit.
const HOLD_MESSAGE_COMMITS: [&str; 2] = [
    "CREATE FUNCTION hold_commit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER hold_message_commits AFTER INSERT ON outbox
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.payload->>'type' = 'message.new') EXECUTE FUNCTION hold_commit()",
];

#[tokio::test]
async fn a_message_and_a_removal_in_its_group_get_outbox_ids_in_commit_order() {
    let app = spawn_app().await;
    let owner = app.register("own").await;
    let x = app.register("xan").await;
    let y = app.register("yul").await;
    let (group, channel) = app.group(&owner, &[&x, &y]).await;
    HOLD_MESSAGE_COMMITS.iter().for_each(|sql| app.exec(sql));
    let mut holder = app.env.db.connect();
    diesel::sql_query("SELECT pg_advisory_lock(4242)").execute(&mut holder).expect("hold");

    // y's message: its outbox id is taken, its commit waits.
    let send = request(&app, reqwest::Method::POST, &format!("/api/conversations/{channel}/messages"), &y)
        .json(&serde_json::json!({"client_id": uuid::Uuid::new_v4(), "body": "after x left?"}))
        .send();
    let send = tokio::spawn(send);
    wait_for_lock_waiters(&app, 1).await;
    // x's removal meanwhile.
    let remove =
        request(&app, reqwest::Method::DELETE, &format!("/api/groups/{group}/members/{}", x.id), &owner).send();
    let remove = tokio::spawn(remove);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let removal_committed_first = remove.is_finished();
    diesel::sql_query("SELECT pg_advisory_unlock(4242)").execute(&mut holder).expect("release");

    assert_eq!(send.await.expect("task").expect("send answered").status(), StatusCode::CREATED);
    assert_eq!(remove.await.expect("task").expect("remove answered").status(), StatusCode::NO_CONTENT);
    let removal = outbox_id(&app, "payload->'data'->>'reason' = 'member_removed'").expect("the removal's event");
    let message = outbox_id(&app, "payload->>'type' = 'message.new'").expect("the message's event");
    assert_eq!(
        removal < message,
        removal_committed_first,
        "outbox ids follow commit order (removal {removal}, message {message}; removal committed first: \
         {removal_committed_first}): the relay publishes in id order"
    );
}

/// Not a defect before (the removed sender's watermark update found no member row), kept
/// because the send now checks membership after taking the conversation's lock.
#[tokio::test]
async fn a_send_racing_the_senders_removal_commits_before_the_removal_or_not_at_all() {
    let app = spawn_app().await;
    let owner = app.register("own").await;
    let x = app.register("xan").await;
    let (group, channel) = app.group(&owner, &[&x]).await;

    // Another transaction holds the channel's row (as a send of the channel does).
    let mut holder = app.env.db.connect();
    diesel::sql_query("BEGIN").execute(&mut holder).expect("begin");
    diesel::sql_query(format!("SELECT id FROM conversations WHERE id = {channel} FOR UPDATE"))
        .execute(&mut holder)
        .expect("lock the channel");

    let send = request(&app, reqwest::Method::POST, &format!("/api/conversations/{channel}/messages"), &x)
        .json(&serde_json::json!({"client_id": uuid::Uuid::new_v4(), "body": "racing my removal"}))
        .send();
    let send = tokio::spawn(send);
    wait_for_lock_waiters(&app, 1).await;
    let remove =
        request(&app, reqwest::Method::DELETE, &format!("/api/groups/{group}/members/{}", x.id), &owner).send();
    let remove = tokio::spawn(remove);
    tokio::time::sleep(Duration::from_millis(500)).await;
    diesel::sql_query("COMMIT").execute(&mut holder).expect("commit");

    let sent = send.await.expect("task").expect("send answered");
    let removed = remove.await.expect("task").expect("remove answered");
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let removal = outbox_id(&app, "payload->'data'->>'reason' = 'member_removed'").expect("the removal's event");
    let message = outbox_id(&app, "payload->>'type' = 'message.new'");
    match sent.status() {
        StatusCode::CREATED => {
            let message = message.expect("the message's event");
            assert!(message < removal, "x's message was committed after x's removal (outbox {message} > {removal})");
        }
        StatusCode::NOT_FOUND => assert_eq!(message, None, "a refused send leaves no event"),
        other => panic!("send answered {other}"),
    }
}
