//! Media that nothing needs any more goes, rows and bytes: the upload of a deleted message
//! (unless another message or an avatar still uses it) and `.part` files an interrupted write
//! left behind. Image decoding shares one memory budget per process.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::helpers::{eventually, png, spawn_app_with, TestApp, User, FAST_SWEEP};

async fn upload_image(app: &TestApp, user: &User) -> i64 {
    let r = app.upload(user, "image", "p.png", &png(40, 30)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().expect("id")
}

async fn send_and_delete(app: &TestApp, user: &User, chat: i64, attachment: i64) {
    let sent = app.send_media(user, chat, "image", attachment).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let id = sent.body["id"].as_i64().expect("id");
    assert_eq!(app.delete(&format!("/api/messages/{id}"), Some(&user.token)).await.status, 204);
}

#[tokio::test]
async fn the_upload_of_a_deleted_message_is_deleted_rows_and_bytes_unless_still_used() {
    let app = spawn_app_with(&[FAST_SWEEP]).await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let chat = app.direct(&anna, &ben).await;

    let alone = upload_image(&app, &anna).await;
    let files = app.media_files(alone);
    assert!(files.iter().all(|f| f.exists()), "stored: {files:?}");
    send_and_delete(&app, &anna, chat, alone).await;
    assert!(!app.count_where("attachments", &format!("id = {alone}")), "the row goes with the message");
    eventually("the bytes and the thumbnail are deleted", || files.iter().all(|f| !f.exists())).await;

    // Still carried by another message, or used as an avatar: kept.
    let twice = upload_image(&app, &anna).await;
    assert_eq!(app.send_media(&anna, chat, "image", twice).await.status, 201);
    send_and_delete(&app, &anna, chat, twice).await;
    let avatar = upload_image(&app, &anna).await;
    assert_eq!(app.patch("/api/me", Some(&anna.token), serde_json::json!({"avatar_id": avatar})).await.status, 200);
    send_and_delete(&app, &anna, chat, avatar).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    for kept in [twice, avatar] {
        assert!(app.count_where("attachments", &format!("id = {kept}")), "{kept} still used");
        assert!(app.media_files(kept).iter().all(|f| f.exists()), "{kept}: bytes kept");
    }
}

fn part_file(dir: &Path, name: &str, age: Duration) -> PathBuf {
    std::fs::create_dir_all(dir).expect("dir");
    let path = dir.join(name);
    let file = std::fs::File::create(&path).expect("part file");
    file.set_modified(SystemTime::now() - age).expect("mtime");
    path
}

#[tokio::test]
async fn part_files_left_by_interrupted_writes_are_removed_at_start_and_periodically() {
    let dir = std::env::temp_dir().join(format!("chat-test-media/parts-{}", uuid::Uuid::new_v4()));
    let hour = Duration::from_secs(3600);
    let stale = part_file(&dir.join("ab"), ".abcdef0123.part", hour);
    let fresh = part_file(&dir.join("cd"), ".cdef012345.part", Duration::ZERO);
    let kept = part_file(&dir.join("ef"), "ef01234567", hour);
    let app = spawn_app_with(&[("MEDIA_DIR", &dir.display().to_string()), ("MEDIA_SWEEP_MS", "60000")]).await;
    assert!(!stale.exists(), "removed at start");
    assert!(fresh.exists(), "a write may still be going on");
    assert!(kept.exists(), "stored media stays");
    drop(app);

    let app = spawn_app_with(&[("MEDIA_DIR", &dir.display().to_string()), FAST_SWEEP]).await;
    let later = part_file(&dir.join("ab"), ".ab98765432.part", hour);
    eventually("a stale part found by the periodic sweep", || !later.exists()).await;
    assert!(fresh.exists() && kept.exists());
    drop(app);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_image_needing_more_decode_memory_than_the_process_budget_is_refused() {
    let app = spawn_app_with(&[("IMAGE_DECODE_MEMORY_MB", "4")]).await;
    let anna = app.register("anna").await;
    let big = app.upload(&anna, "image", "big.png", &png(1500, 1500)).await;
    assert_eq!((big.status.as_u16(), big.code()), (422, "invalid_media"), "{}", big.body);
    assert_eq!(app.count("attachments"), 0);
    assert_eq!(app.upload(&anna, "image", "small.png", &png(100, 100)).await.status, 201);
}
