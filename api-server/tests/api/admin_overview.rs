//! Issue 23 item 6: the admin overview (numbers and node health) and the per-user media quota.

use std::path::Path;

use serde_json::json;

use crate::helpers::{spawn_app_with, TestApp, User};

async fn admin(app: &TestApp, name: &str) -> User {
    let user = app.register(name).await;
    app.exec(&format!("UPDATE users SET role = 'admin' WHERE id = {}", user.id));
    user
}

fn files_in(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.flatten().map(|e| if e.path().is_dir() { files_in(&e.path()) } else { 1 }).sum()
}

#[tokio::test]
async fn the_quota_admits_an_upload_up_to_the_limit_and_refuses_one_byte_more_storing_nothing() {
    let app = spawn_app_with(&[("MEDIA_QUOTA_BYTES_PER_USER", "3000")]).await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let usage = app.get("/api/me/media-usage", Some(&anna.token)).await;
    assert_eq!((usage.status.as_u16(), &usage.body), (200, &json!({"used_bytes": 0, "quota_bytes": 3000})));
    assert_eq!(app.get("/api/me/media-usage", None).await.status, 401);

    let first = app.upload(&anna, "file", "a.bin", &[1u8; 1000]).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let exact = app.upload(&anna, "file", "b.bin", &[2u8; 2000]).await;
    assert_eq!(exact.status, 201, "exactly at the quota: {}", exact.body);
    let (rows, files) = (app.count("attachments"), files_in(&app.settings.media_dir));

    let over = app.upload(&anna, "file", "c.bin", &[3u8; 1]).await;
    assert_eq!((over.status.as_u16(), over.code()), (413, "media_quota_exceeded"), "{}", over.body);
    let message = over.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("2.9 KiB") && message.contains("of your 2.9 KiB"), "used and limit said: {message}");
    assert_eq!(app.count("attachments"), rows, "no row on refusal");
    assert_eq!(files_in(&app.settings.media_dir), files, "no bytes on refusal");
    let usage = app.get("/api/me/media-usage", Some(&anna.token)).await;
    assert_eq!(usage.body["used_bytes"], 3000);

    // The quota is per user.
    assert_eq!(app.upload(&ben, "file", "d.bin", &[4u8; 2500]).await.status, 201);

    // Freed space counts again: an upload sent and deleted stops counting with its row.
    let chat = app.direct(&anna, &ben).await;
    let id = exact.body["id"].as_i64().expect("id");
    let sent = app.send_media(&anna, chat, "file", id).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let msg = sent.body["id"].as_i64().expect("message");
    assert_eq!(app.delete(&format!("/api/messages/{msg}"), Some(&anna.token)).await.status, 204);
    assert_eq!(app.get("/api/me/media-usage", Some(&anna.token)).await.body["used_bytes"], 1000);
    assert_eq!(app.upload(&anna, "file", "e.bin", &[5u8; 2000]).await.status, 201);
}

#[tokio::test]
async fn quota_zero_means_no_quota() {
    let app = spawn_app_with(&[("MEDIA_QUOTA_BYTES_PER_USER", "0")]).await;
    let anna = app.register("anna").await;
    assert_eq!(app.upload(&anna, "file", "a.bin", &[1u8; 5000]).await.status, 201);
    let usage = app.get("/api/me/media-usage", Some(&anna.token)).await;
    assert_eq!(usage.body, json!({"used_bytes": 5000, "quota_bytes": null}));
}

#[tokio::test]
async fn parallel_uploads_cannot_overrun_the_quota_together() {
    let app = spawn_app_with(&[("MEDIA_QUOTA_BYTES_PER_USER", "10000")]).await;
    let anna = app.register("anna").await;
    let uploads = (0..6).map(|i| {
        let (app, anna) = (&app, &anna);
        async move { app.upload(anna, "file", &format!("{i}.bin"), &[7u8; 3000]).await.status.as_u16() }
    });
    let mut statuses = futures_util::future::join_all(uploads).await;
    statuses.sort_unstable();
    assert_eq!(statuses, vec![201, 201, 201, 413, 413, 413]);
    assert_eq!(app.get("/api/me/media-usage", Some(&anna.token)).await.body["used_bytes"], 9000);
}

#[tokio::test]
async fn the_overview_counts_users_messages_media_reports_and_flags_and_shows_every_node() {
    // One node answers (the app itself, by a second name), one does not.
    let app = spawn_app_with(&[("CLUSTER_NODES", "nowhere=http://127.0.0.1:9")]).await;
    let anna = admin(&app, "anna").await;
    let (bob, carl) = (app.register("bob").await, app.register("carl").await);

    assert_eq!(app.get("/api/admin/overview", None).await.status, 401);
    let r = app.get("/api/admin/overview", Some(&bob.token)).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "admin_only"));

    let chat = app.direct(&bob, &carl).await;
    for text in ["one", "two", "three"] {
        assert_eq!(app.send(&bob, chat, text).await.status, 201);
    }
    let spam = app.send(&carl, chat, "buy now").await.body["id"].as_i64().expect("id");
    assert_eq!(
        app.post(&format!("/api/messages/{spam}/report"), Some(&bob.token), json!({"reason": "spam"})).await.status,
        201
    );
    assert_eq!(app.upload(&bob, "file", "a.bin", &[1u8; 1234]).await.status, 201);
    app.exec(&format!(
        "INSERT INTO abuse_flags (user_id, kind, detail, limited_until) VALUES ({}, 'repeated_messages', 'x', now() + interval '10 minutes')",
        carl.id
    ));
    // Messages of earlier days: 2 yesterday, 1 forty days ago (outside the chart).
    app.exec(&format!(
        "UPDATE messages SET created_at = now() - interval '1 day' WHERE conversation_id = {chat} AND seq IN (1, 2)"
    ));
    app.exec(&format!(
        "UPDATE messages SET created_at = now() - interval '40 days' WHERE conversation_id = {chat} AND seq = 3"
    ));
    app.exec(&format!("UPDATE users SET last_seen_at = now() - interval '3 days' WHERE id = {}", anna.id));

    let o = app.get("/api/admin/overview", Some(&anna.token)).await;
    assert_eq!(o.status, 200, "{}", o.body);
    let b = &o.body;
    assert_eq!(b["users"]["total"], 3);
    assert_eq!(b["users"]["active_today"], 1, "carl sent today: {b}");
    assert_eq!(b["users"]["active_week"], 3, "bob sent yesterday, anna was seen 3 days ago: {b}");
    let days = b["messages_per_day"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    let counts: Vec<i64> = days.iter().map(|d| d["count"].as_i64().expect("count")).collect();
    assert_eq!(counts.iter().sum::<i64>(), 3, "the 40-day-old message is outside: {counts:?}");
    assert_eq!(counts[29], 1, "today last");
    assert!(days[0]["day"].as_str().expect("day") < days[29]["day"].as_str().expect("day"));
    assert_eq!(b["media"]["bytes"], 1234);
    assert_eq!(b["media"]["uploads"], 1);
    assert_eq!(b["media"]["quota_bytes_per_user"], 1_073_741_824_i64);
    assert_eq!(b["moderation"], json!({"open_reports": 1, "flags_active": 1, "flags_week": 1}));

    let nodes = b["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    assert_eq!(nodes[0]["name"], app.settings.node_id.as_str());
    assert_eq!(nodes[0]["this_node"], true);
    assert_eq!(nodes[0]["service"], "api-server");
    assert_eq!(nodes[0]["checks"]["postgres"], "up");
    assert!(["ready", "degraded"].contains(&nodes[0]["status"].as_str().unwrap_or_default()));
    assert_eq!(nodes[1]["name"], "nowhere");
    assert_eq!(nodes[1]["status"], "unreachable");
}

#[tokio::test]
async fn a_cluster_node_is_read_from_its_readyz_and_metrics() {
    let other = spawn_app_with(&[]).await;
    let app = spawn_app_with(&[("CLUSTER_NODES", &format!("peer={}", other.address))]).await;
    let anna = admin(&app, "anna").await;
    let o = app.get("/api/admin/overview", Some(&anna.token)).await;
    assert_eq!(o.status, 200, "{}", o.body);
    let peer = &o.body["nodes"][1];
    assert_eq!(peer["name"], "peer");
    assert_eq!(peer["this_node"], false);
    assert_eq!(peer["checks"]["postgres"], "up", "{peer}");
    assert!(["ready", "degraded"].contains(&peer["status"].as_str().unwrap_or_default()), "{peer}");
}

#[test]
fn cluster_nodes_must_be_name_equals_url() {
    let settings = |v: &str| {
        shared::config::Settings::from_lookup(|k| (k == "CLUSTER_NODES").then(|| v.to_owned())).map(|s| s.cluster_nodes)
    };
    let nodes = settings("ws-1=http://10.0.0.5:8091/, ws-2=http://10.0.0.6:8091").expect("valid");
    assert_eq!(
        nodes.iter().map(|n| (n.name.as_str(), n.url.as_str())).collect::<Vec<_>>(),
        vec![("ws-1", "http://10.0.0.5:8091"), ("ws-2", "http://10.0.0.6:8091")]
    );
    for bad in ["ws-1", "ws 1=http://x", "ws-1=ftp://x", "a=http://x,a=http://y"] {
        assert!(settings(bad).is_err(), "{bad}");
    }
}
