//! Avatars (users and groups: square, two sizes, who may download them, bad input), profiles
//! (`GET /users/{id}/profile`) and `user.updated` through the real broker.

use std::time::Duration;

use serde_json::{json, Value};
use shared::events::{Event, RoutingKey, UserUpdated};
use shared::ids::{GroupId, UserId};

use crate::broker::TestConsumer;
use crate::helpers::{multipart, png, spawn_app, spawn_app_with, Reply, TestApp, User};

/// Files under the test's MEDIA_DIR.
fn stored_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map_or(0, |entries| entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
    }
    walk(&app.settings.media_dir)
}

async fn upload_avatar(app: &TestApp, user: &User, path: &str, bytes: &[u8]) -> Reply {
    let (content_type, body) = multipart("file", "me.png", bytes);
    app.post_raw(path, Some(&user.token), &content_type, body).await
}

/// (status, decoded width and height) of a download.
async fn image_at(app: &TestApp, path: &str, user: &User) -> (u16, Option<(u32, u32)>) {
    let (status, _, bytes) = app.get_bytes(path, Some(&user.token)).await;
    let dims = image::load_from_memory(&bytes).ok().map(|i| (i.width(), i.height()));
    (status.as_u16(), dims)
}

fn avatar_id(body: &Value) -> i64 {
    body["avatar_id"].as_i64().unwrap_or_else(|| panic!("an avatar_id in {body}"))
}

/// A PNG whose left half is red and right half blue (to see which part a crop kept).
fn two_halves(width: u32, height: u32) -> Vec<u8> {
    use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
    let img = RgbImage::from_fn(width, height, |x, _| if x < width / 2 { Rgb([250, 0, 0]) } else { Rgb([0, 0, 250]) });
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Png).expect("png");
    out.into_inner()
}

#[tokio::test]
async fn a_user_avatar_is_square_in_two_sizes_for_everyone_signed_in_and_replaced_cleanly() {
    let app = spawn_app().await;
    let (ann, stranger) = (app.register("ann").await, app.register("stranger").await);

    let up = upload_avatar(&app, &ann, "/api/avatars/me", &png(300, 200)).await;
    assert_eq!(up.status, 200, "{}", up.body);
    let first = avatar_id(&up.body);
    assert_eq!(app.get("/api/me", Some(&ann.token)).await.body["avatar_id"].as_i64(), Some(first));
    assert_eq!(app.get(&format!("/api/users/{}", ann.id), Some(&stranger.token)).await.body["avatar_id"], first);

    // Anyone signed in may download both sizes, cached per version.
    let large = format!("/api/media/{first}");
    assert_eq!(image_at(&app, &large, &stranger).await, (200, Some((256, 256))));
    assert_eq!(image_at(&app, &format!("{large}/thumb"), &stranger).await, (200, Some((64, 64))));
    let (_, headers, _) = app.get_bytes(&large, Some(&stranger.token)).await;
    assert_eq!(headers["cache-control"], "private, max-age=31536000, immutable");
    let etag = headers["etag"].to_str().expect("etag").to_owned();
    let again = app.client.get(app.url(&large)).bearer_auth(&stranger.token).header("if-none-match", &etag);
    assert_eq!(again.send().await.expect("sent").status(), 304);
    assert_eq!(app.get(&large, None).await.status, 401);

    // A crop box: the right (blue) half of a 200 x 100 image.
    let cropped = upload_avatar(&app, &ann, "/api/avatars/me?x=100&y=0&size=100", &two_halves(200, 100)).await;
    assert_eq!(cropped.status, 200, "{}", cropped.body);
    let second = avatar_id(&cropped.body);
    assert_ne!(second, first, "a new version has a new URL");
    let (_, _, bytes) = app.get_bytes(&format!("/api/media/{second}"), Some(&stranger.token)).await;
    let pixel = image::load_from_memory(&bytes).expect("decodes").to_rgb8().get_pixel(128, 128).0;
    assert!(pixel[2] > 200 && pixel[0] < 50, "the blue half was kept: {pixel:?}");
    // The replaced one is gone, its bytes in the trash for the sweeper.
    assert_eq!(app.get(&large, Some(&stranger.token)).await.status, 404);
    assert_eq!(app.get(&large, Some(&ann.token)).await.status, 404);
    assert_eq!(app.count("attachments"), 1);
    assert_eq!(app.count("media_trash"), 2, "file and thumbnail of the old one");

    // Removed: initials again; the old version is not readable any more by others.
    let removed = app.delete("/api/avatars/me", Some(&ann.token)).await;
    assert_eq!((removed.status.as_u16(), &removed.body["avatar_id"]), (200, &Value::Null), "{}", removed.body);
    assert_eq!(app.get(&format!("/api/media/{second}"), Some(&stranger.token)).await.status, 404);
    assert_eq!(app.count("attachments"), 0);

    // A suspended user's avatar is not served to others.
    let again = upload_avatar(&app, &ann, "/api/avatars/me", &png(40, 40)).await;
    let third = avatar_id(&again.body);
    app.exec(&format!("UPDATE users SET suspended_at = now() WHERE id = {}", ann.id));
    assert_eq!(app.get(&format!("/api/media/{third}"), Some(&stranger.token)).await.status, 404);
}

#[tokio::test]
async fn bad_avatar_uploads_get_a_clear_code_and_change_nothing() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let mut broken = png(64, 64);
    broken.truncate(60);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("/api/avatars/me", b"%PDF-1.7 not an image".to_vec(), 415, "unsupported_media"),
        ("/api/avatars/me", b"<svg onload=alert(1)>".to_vec(), 415, "unsupported_media"),
        ("/api/avatars/me", vec![0u8; 10 * 1024 * 1024 + 1], 413, "media_too_large"),
        ("/api/avatars/me", bomb, 422, "invalid_media"),
        ("/api/avatars/me", broken, 422, "invalid_media"),
        ("/api/avatars/me", Vec::new(), 422, "invalid_media"),
        ("/api/avatars/me?x=150&y=0&size=100", png(200, 100), 422, "invalid_media"),
        ("/api/avatars/me?x=0&size=10", png(200, 100), 422, "validation_failed"),
        ("/api/avatars/me?x=-1&y=0&size=10", png(200, 100), 400, "invalid_query"),
    ];
    for (path, bytes, status, code) in cases {
        let reply = upload_avatar(&app, &ann, path, &bytes).await;
        assert_eq!(reply.status.as_u16(), status, "{path} with {} bytes: {}", bytes.len(), reply.body);
        assert_eq!(reply.code(), code, "{path}: {}", reply.body);
    }
    let json = app.post("/api/avatars/me", Some(&ann.token), json!({"file": "x"})).await;
    assert_eq!((json.status.as_u16(), json.code()), (400, "bad_multipart"));
    let (ct, body) = multipart("picture", "a.png", &png(2, 2));
    let wrong_part = app.post_raw("/api/avatars/me", Some(&ann.token), &ct, body).await;
    assert_eq!((wrong_part.status.as_u16(), wrong_part.code()), (400, "missing_file"));
    assert_eq!(app.count("attachments"), 0);
    assert_eq!(stored_files(&app), 0);
    assert_eq!(app.get("/api/me", Some(&ann.token)).await.body["avatar_id"], Value::Null);
}

/// Avatars count against the uploader's media quota like any upload: past it, 413 and nothing
/// stored or changed. Replacing one needs room for the difference only (the old one goes).
#[tokio::test]
async fn avatars_count_against_the_media_quota() {
    let app = spawn_app_with(&[("MEDIA_QUOTA_BYTES_PER_USER", "20000")]).await;
    let (ann, ben) = (app.register("ann").await, app.register("ben").await);
    let group = app.post("/api/groups", Some(&ann.token), json!({"name": "Quota"})).await;
    let group_path = format!("/api/avatars/groups/{}", group.body["id"]);

    // Ann is 10 bytes short of her quota: neither her avatar nor her group's fits.
    assert_eq!(app.upload(&ann, "file", "big.bin", &[1u8; 19_990]).await.status, 201);
    let (rows, files) = (app.count("attachments"), stored_files(&app));
    for path in ["/api/avatars/me", group_path.as_str()] {
        let over = upload_avatar(&app, &ann, path, &png(300, 200)).await;
        assert_eq!((over.status.as_u16(), over.code()), (413, "media_quota_exceeded"), "{path}: {}", over.body);
    }
    assert_eq!((app.count("attachments"), stored_files(&app)), (rows, files), "nothing stored");
    assert_eq!(app.get("/api/me", Some(&ann.token)).await.body["avatar_id"], Value::Null);
    assert_eq!(app.get("/api/me/media-usage", Some(&ann.token)).await.body["used_bytes"], 19_990);

    // Ben fills his quota exactly around his avatar, then replaces it with one of the same size.
    let first = upload_avatar(&app, &ben, "/api/avatars/me", &png(300, 200)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let used = app.get("/api/me/media-usage", Some(&ben.token)).await.body["used_bytes"].as_u64().expect("used");
    let rest = usize::try_from(20_000 - used).expect("room");
    assert_eq!(app.upload(&ben, "file", "rest.bin", &vec![2u8; rest]).await.status, 201);
    let replaced = upload_avatar(&app, &ben, "/api/avatars/me", &png(300, 200)).await;
    assert_eq!(replaced.status, 200, "the old avatar makes room: {}", replaced.body);
    assert_ne!(avatar_id(&replaced.body), avatar_id(&first.body));
    assert_eq!(app.get("/api/me/media-usage", Some(&ben.token)).await.body["used_bytes"], 20_000);
}

#[tokio::test]
async fn group_avatars_are_set_by_admins_and_seen_by_members_only() {
    let app = spawn_app().await;
    let (owner, member, outsider) =
        (app.register("owner").await, app.register("member").await, app.register("outsider").await);
    let (group, channel) = app.group(&owner, &[&member]).await;
    let path = format!("/api/avatars/groups/{group}");

    let by_member = upload_avatar(&app, &member, &path, &png(50, 50)).await;
    assert_eq!((by_member.status.as_u16(), by_member.code()), (403, "insufficient_role"), "{}", by_member.body);
    let by_outsider = upload_avatar(&app, &outsider, &path, &png(50, 50)).await;
    assert_eq!((by_outsider.status.as_u16(), by_outsider.code()), (404, "group_not_found"));
    assert_eq!(app.count("attachments"), 0);

    let set = upload_avatar(&app, &owner, &path, &png(120, 90)).await;
    assert_eq!(set.status, 200, "{}", set.body);
    let avatar = avatar_id(&set.body);
    assert_eq!(image_at(&app, &format!("/api/media/{avatar}/thumb"), &member).await, (200, Some((64, 64))));
    assert_eq!(app.get(&format!("/api/media/{avatar}"), Some(&outsider.token)).await.status, 404);
    // The sidebar row of a channel carries the group's avatar.
    let row = app.get(&format!("/api/conversations/{channel}"), Some(&member.token)).await;
    assert_eq!(row.body["group_avatar_id"].as_i64(), Some(avatar), "{}", row.body);

    // An admin may change it; removing it leaves nothing behind.
    let promoted = app
        .patch(&format!("/api/groups/{group}/members/{}", member.id), Some(&owner.token), json!({"role": "admin"}))
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.body);
    let removed = app.delete(&path, Some(&member.token)).await;
    assert_eq!((removed.status.as_u16(), &removed.body["avatar_id"]), (200, &Value::Null), "{}", removed.body);
    assert_eq!(app.count("attachments"), 0);
    assert_eq!(app.delete(&path, Some(&outsider.token)).await.status, 404);
}

/// The next `user.updated` that arrives within `wait` (other events are skipped).
async fn user_update(consumer: &mut TestConsumer, wait: Duration) -> Option<UserUpdated> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return None;
        }
        for (_, event) in consumer.take(1, left).await {
            if let Event::UserUpdated(u) = event {
                return Some(u);
            }
        }
    }
}

#[tokio::test]
async fn profile_changes_reach_contacts_peers_and_co_members_live() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (peer, fan, mate, stranger) = (
        app.register("peer").await,
        app.register("fan").await,
        app.register("mate").await,
        app.register("stranger").await,
    );
    app.direct(&peer, &ann).await;
    let added = app.post("/api/contacts", Some(&fan.token), json!({"user_id": ann.id})).await;
    assert!(added.status.is_success(), "{}", added.body);
    let (group, _) = app.group(&mate, &[&ann]).await;
    let key = |id: i64| RoutingKey::User(UserId(id)).to_string();
    let mut to_ann = TestConsumer::new(&app.settings, &[key(ann.id)]).await;
    let mut to_peer = TestConsumer::new(&app.settings, &[key(peer.id)]).await;
    let mut to_fan = TestConsumer::new(&app.settings, &[key(fan.id)]).await;
    let mut to_group = TestConsumer::new(&app.settings, &[RoutingKey::Group(GroupId(group)).to_string()]).await;
    let mut to_stranger = TestConsumer::new(&app.settings, &[key(stranger.id)]).await;
    let wait = Duration::from_secs(10);

    let status =
        app.patch("/api/me", Some(&ann.token), json!({"status_text": "on holiday", "status_emoji": "🌴"})).await;
    assert_eq!(status.status, 200, "{}", status.body);
    for (who, consumer) in
        [("ann", &mut to_ann), ("peer", &mut to_peer), ("fan", &mut to_fan), ("the group", &mut to_group)]
    {
        let got = user_update(consumer, wait).await.unwrap_or_else(|| panic!("{who} hears of it"));
        assert_eq!((got.user_id, got.status_text.as_deref()), (UserId(ann.id), Some("on holiday")), "{who}");
        assert_eq!(got.status_emoji.as_deref(), Some("🌴"));
    }

    let avatar = upload_avatar(&app, &ann, "/api/avatars/me", &png(80, 80)).await;
    let id = avatar_id(&avatar.body);
    let got = user_update(&mut to_peer, wait).await.expect("the peer hears of the avatar");
    assert_eq!(got.avatar_id.map(|a| a.0), Some(id), "the new avatar, live");
    assert!(user_update(&mut to_group, wait).await.is_some(), "the group hears of it");

    // Nothing others see changed: nothing to announce. A stranger never hears.
    let theme = app.patch("/api/me", Some(&ann.token), json!({"theme": "dark"})).await;
    assert_eq!(theme.status, 200);
    let same = app.patch("/api/me", Some(&ann.token), json!({"status_text": "on holiday"})).await;
    assert_eq!(same.status, 200);
    assert!(user_update(&mut to_peer, Duration::from_secs(2)).await.is_none(), "no change, no event");
    assert!(user_update(&mut to_stranger, Duration::from_millis(200)).await.is_none(), "strangers hear nothing");
}

#[tokio::test]
async fn a_profile_shows_shared_groups_and_what_its_actions_need() {
    let app = spawn_app().await;
    let (ann, bob, cara) = (app.register("ann").await, app.register("bob").await, app.register("cara").await);
    let (shared_group, _) = app.group(&ann, &[&bob]).await;
    app.group(&ann, &[&cara]).await;
    let path = format!("/api/users/{}/profile", bob.id);

    let profile = app.get(&path, Some(&ann.token)).await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_eq!(profile.body["user"]["username"], "bob");
    let groups: Vec<i64> =
        profile.body["shared_groups"].as_array().expect("groups").iter().filter_map(|g| g["id"].as_i64()).collect();
    assert_eq!(groups, vec![shared_group], "only the group both are in");
    assert_eq!((&profile.body["contact"], &profile.body["blocked"]), (&json!(false), &json!(false)));
    assert_eq!(profile.body["direct_conversation_id"], Value::Null);

    let direct = app.direct(&ann, &bob).await;
    assert!(app.post("/api/contacts", Some(&ann.token), json!({"user_id": bob.id})).await.status.is_success());
    assert_eq!(app.put(&format!("/api/blocks/{}", bob.id), Some(&ann.token)).await.status, 204);
    let profile = app.get(&path, Some(&ann.token)).await;
    assert_eq!((&profile.body["contact"], &profile.body["blocked"]), (&json!(true), &json!(true)));
    assert_eq!(profile.body["direct_conversation_id"].as_i64(), Some(direct));

    // Last seen as privacy allows; a stranger sees no shared group.
    app.exec(&format!("UPDATE users SET last_seen_at = now(), last_seen_visibility = 'nobody' WHERE id = {}", bob.id));
    let hidden = app.get(&path, Some(&cara.token)).await;
    assert_eq!(hidden.body["user"]["last_seen_at"], Value::Null, "{}", hidden.body);
    assert_eq!(hidden.body["shared_groups"], json!([]));
    let missing = app.get("/api/users/987654321/profile", Some(&ann.token)).await;
    assert_eq!((missing.status.as_u16(), missing.code()), (404, "user_not_found"));
}
