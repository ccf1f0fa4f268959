//! Disappearing messages: a conversation keeps its messages N days; the sweeper deletes older
//! ones with their media and every member's view starts after them.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{png, spawn_app_with};

#[tokio::test]
async fn old_messages_and_their_media_disappear_for_everyone() {
    let app = spawn_app_with(&[("RETENTION_SWEEP_MS", "200")]).await;
    let (anna, ben, carl) = (app.register("anna").await, app.register("ben").await, app.register("carl").await);
    let chat = app.direct(&anna, &ben).await;
    let upload = app.upload(&anna, "image", "old.png", &png(16, 16)).await;
    let media = upload.body["id"].as_i64().expect("media id");
    assert_eq!(app.send_media(&anna, chat, "image", media).await.status, 201);
    assert_eq!(app.send(&ben, chat, "an old reply").await.status, 201);
    assert_eq!(app.send(&anna, chat, "fresh news").await.status, 201);
    app.exec(&format!(
        "UPDATE messages SET created_at = now() - interval '3 days' WHERE conversation_id = {chat} AND seq <= 2"
    ));

    // Bad values and the wrong people change nothing.
    let path = format!("/api/conversations/{chat}/retention");
    for days in [json!(0), json!(366), json!("7")] {
        let reply = app.request(reqwest::Method::PUT, &path, Some(&ben.token), Some(json!({"days": days}))).await;
        assert_eq!(reply.status.as_u16() / 100, 4, "{days}: {}", reply.body);
    }
    let outsider = app.request(reqwest::Method::PUT, &path, Some(&carl.token), Some(json!({"days": 2}))).await;
    assert_eq!(outsider.status, 404);
    assert_eq!(app.count(&format!("messages WHERE conversation_id = {chat}")), 3);

    let set = app.request(reqwest::Method::PUT, &path, Some(&ben.token), Some(json!({"days": 2}))).await;
    assert_eq!((set.status.as_u16(), &set.body["retention_days"]), (200, &json!(2)), "{}", set.body);

    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count(&format!("messages WHERE conversation_id = {chat}")) > 1 {
        assert!(Instant::now() < deadline, "the sweeper did not delete the expired messages");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for user in [&anna, &ben] {
        let page = app.get(&format!("/api/conversations/{chat}/messages"), Some(&user.token)).await;
        let bodies: Vec<&str> =
            page.body["items"].as_array().expect("items").iter().map(|m| m["body"].as_str().unwrap_or("")).collect();
        assert_eq!(bodies, ["fresh news"]);
        let conversation = app.get(&format!("/api/conversations/{chat}"), Some(&user.token)).await;
        assert_eq!(conversation.body["cleared_seq"], 2, "their view starts after the expired messages");
    }
    // The media went with its message: row and bytes.
    assert_eq!(app.count(&format!("attachments WHERE id = {media}")), 0);
    assert_eq!(app.get(&format!("/api/media/{media}"), Some(&anna.token)).await.status, 404);
    let files = std::fs::read_dir(&app.settings.media_dir).map(|d| d.flatten().count()).unwrap_or(0);
    let leftover: usize = std::fs::read_dir(&app.settings.media_dir)
        .map(|d| d.flatten().map(|e| std::fs::read_dir(e.path()).map(|f| f.count()).unwrap_or(0)).sum())
        .unwrap_or(0);
    assert_eq!(leftover, 0, "no media bytes left ({files} shard directories)");

    // Turned off: nothing more disappears.
    let off = app.request(reqwest::Method::PUT, &path, Some(&anna.token), Some(json!({"days": null}))).await;
    assert_eq!(off.body["retention_days"], json!(null));
}

#[tokio::test]
async fn only_group_admins_set_a_channels_retention() {
    let app = spawn_app_with(&[]).await;
    let (owner, member) = (app.register("owner").await, app.register("member").await);
    let (_, channel) = app.group(&owner, &[&member]).await;
    let path = format!("/api/conversations/{channel}/retention");
    let denied = app.request(reqwest::Method::PUT, &path, Some(&member.token), Some(json!({"days": 7}))).await;
    assert_eq!((denied.status.as_u16(), denied.code()), (403, "insufficient_role"));
    let ok = app.request(reqwest::Method::PUT, &path, Some(&owner.token), Some(json!({"days": 7}))).await;
    assert_eq!((ok.status.as_u16(), &ok.body["retention_days"]), (200, &json!(7)));
}
