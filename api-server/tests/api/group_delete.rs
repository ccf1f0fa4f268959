//! Deleting a group (issue 23 item 5): only the owner; members hear it live; every row of it
//! goes (channels, messages, receipts, reactions, reports, invites) and so do its uploads,
//! rows at once and bytes by the media sweep, unless something else still uses them.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::events::{Event, RoutingKey, UpdateReason};

use crate::broker::TestConsumer;
use crate::helpers::{eventually, png, spawn_app_with, TestApp, User, FAST_SWEEP};
use shared::ids::GroupId;

async fn image_message(app: &TestApp, user: &User, channel: i64) -> (i64, i64) {
    let up = app.upload(user, "image", "p.png", &png(40, 30)).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let attachment = up.body["id"].as_i64().expect("id");
    let sent = app.send_media(user, channel, "image", attachment).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    (attachment, sent.body["id"].as_i64().expect("message id"))
}

#[tokio::test]
async fn only_the_owner_deletes_a_group_and_everything_in_it_goes_with_its_media() {
    let app = spawn_app_with(&[FAST_SWEEP]).await;
    let (owner, admin, member, outsider) = (
        app.register("owner").await,
        app.register("admin").await,
        app.register("member").await,
        app.register("outsider").await,
    );
    let (group, general) = app.group(&owner, &[&admin, &member]).await;
    let path = format!("/api/groups/{group}");
    let r = app.patch(&format!("{path}/members/{}", admin.id), Some(&owner.token), json!({"role": "admin"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let side = app.post(&format!("{path}/channels"), Some(&owner.token), json!({"name": "side"})).await;
    let side = side.body["id"].as_i64().expect("channel");

    // Content of every kind the deletion must take along.
    let (photo, photo_msg) = image_message(&app, &member, general).await;
    let (other_photo, _) = image_message(&app, &admin, side).await;
    let (kept, _) = image_message(&app, &member, side).await;
    // The same upload is also the member's avatar: it stays.
    assert_eq!(app.patch("/api/me", Some(&member.token), json!({"avatar_id": kept})).await.status, 200);
    assert_eq!(app.send(&owner, general, "hello").await.status, 201);
    let receipts =
        app.post(&format!("/api/conversations/{general}/receipts"), Some(&member.token), json!({"read_seq": 1})).await;
    assert!(receipts.status.is_success(), "{}", receipts.body);
    assert_eq!(
        app.put(&format!("/api/messages/{photo_msg}/reactions/%F0%9F%91%8D"), Some(&owner.token)).await.status.as_u16()
            / 100,
        2
    );
    let report =
        app.post(&format!("/api/messages/{photo_msg}/report"), Some(&owner.token), json!({"reason": "test"})).await;
    assert_eq!(report.status, 201, "{}", report.body);
    let invite = app.post(&format!("{path}/invites"), Some(&owner.token), json!({})).await;
    let token = invite.body["token"].as_str().expect("token").to_owned();
    let (photo_files, other_files, kept_files) =
        (app.media_files(photo), app.media_files(other_photo), app.media_files(kept));
    assert!(photo_files.iter().chain(&other_files).all(|f| f.exists()));

    // Rights: members and admins 403 with a stable code, outsiders and unknown groups 404, bad ids 4xx JSON.
    for who in [&member, &admin] {
        let r = app.delete(&path, Some(&who.token)).await;
        assert_eq!((r.status.as_u16(), r.code()), (403, "insufficient_role"), "{}", who.username);
    }
    let r = app.delete(&path, Some(&outsider.token)).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "group_not_found"));
    let r = app.delete("/api/groups/424242", Some(&owner.token)).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "group_not_found"));
    let r = app.delete("/api/groups/abc", Some(&owner.token)).await;
    assert!(r.status.is_client_error() && !r.code().is_empty(), "{} {}", r.status, r.body);
    assert_eq!(app.delete(&path, None).await.status, 401);
    assert!(app.count_where("groups", &format!("id = {group}")), "refusals change nothing");

    let mut members_hear = TestConsumer::new(&app.settings, &[RoutingKey::Group(GroupId(group)).to_string()]).await;
    let r = app.delete(&path, Some(&owner.token)).await;
    assert_eq!(r.status, 204, "{}", r.body);

    // Told live: conversation.updated {reason: deleted, group_id, conversation_id: null} on group.<gid>.
    // (Earlier events of the setup may still be on their way: read until the deletion.)
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    let told = loop {
        let Some((key, e)) = members_hear.take(1, Duration::from_millis(500)).await.pop() else {
            assert!(Instant::now() < deadline, "the deletion is announced to the group: {seen:?}");
            continue;
        };
        let deleted = matches!(&e, Event::ConversationUpdated(u)
            if u.reason == UpdateReason::Deleted && u.group_id == Some(GroupId(group)) && u.conversation_id.is_none());
        if deleted {
            break key;
        }
        seen.push(e);
    };
    assert_eq!(told, format!("group.{group}"));

    // Every row of it is gone.
    for (table, condition) in [
        ("groups", format!("id = {group}")),
        ("group_members", format!("group_id = {group}")),
        ("conversations", format!("group_id = {group}")),
        ("conversation_members", format!("conversation_id IN ({general}, {side})")),
        ("messages", format!("conversation_id IN ({general}, {side})")),
        ("reactions", format!("message_id = {photo_msg}")),
        ("reports", format!("message_id = {photo_msg}")),
        ("invites", format!("group_id = {group}")),
        ("attachments", format!("id IN ({photo}, {other_photo})")),
    ] {
        assert!(!app.count_where(table, &condition), "{table} keeps rows of the deleted group");
    }
    eventually("the uploads' bytes are deleted", || photo_files.iter().chain(&other_files).all(|f| !f.exists())).await;
    assert!(app.count_where("attachments", &format!("id = {kept}")), "an avatar stays");
    assert!(kept_files.iter().all(|f| f.exists()), "its bytes too");

    // Nothing of it answers any more.
    assert_eq!(app.get(&path, Some(&member.token)).await.code(), "group_not_found");
    assert_eq!(app.get(&format!("/api/conversations/{general}"), Some(&member.token)).await.status, 404);
    let accept = app.post(&format!("/api/invites/{token}/accept"), Some(&outsider.token), json!({})).await;
    assert_eq!((accept.status.as_u16(), accept.code()), (404, "invite_not_found"));
    assert_eq!(app.delete(&path, Some(&owner.token)).await.code(), "group_not_found", "a second delete");
}

#[tokio::test]
async fn a_deleted_channel_takes_its_uploads_along() {
    let app = spawn_app_with(&[FAST_SWEEP]).await;
    let (owner, member) = (app.register("owner").await, app.register("member").await);
    let (group, _) = app.group(&owner, &[&member]).await;
    let side = app.post(&format!("/api/groups/{group}/channels"), Some(&owner.token), json!({"name": "side"})).await;
    let side = side.body["id"].as_i64().expect("channel");
    let (photo, _) = image_message(&app, &member, side).await;
    let files = app.media_files(photo);
    assert_eq!(app.delete(&format!("/api/groups/{group}/channels/{side}"), Some(&owner.token)).await.status, 204);
    assert!(!app.count_where("attachments", &format!("id = {photo}")), "the row goes with the channel");
    eventually("the bytes are deleted", || files.iter().all(|f| !f.exists())).await;
}

#[tokio::test]
async fn the_last_member_leaving_deletes_the_group_with_its_uploads() {
    let app = spawn_app_with(&[FAST_SWEEP]).await;
    let owner = app.register("owner").await;
    let (group, general) = app.group(&owner, &[]).await;
    let (photo, _) = image_message(&app, &owner, general).await;
    let files = app.media_files(photo);
    assert_eq!(app.post(&format!("/api/groups/{group}/leave"), Some(&owner.token), json!({})).await.status, 204);
    assert!(!app.count_where("groups", &format!("id = {group}")));
    assert!(!app.count_where("attachments", &format!("id = {photo}")));
    eventually("the bytes are deleted", || files.iter().all(|f| !f.exists())).await;
}
