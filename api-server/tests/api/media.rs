//! Media: uploads judged by their content, measured (dimensions, thumbnail, duration), bounded,
//! downloadable only by the uploader and the members of a conversation where they were sent.

use serde_json::Value;
use shared::testing::media::{wav_bytes, webm_bytes};

use crate::helpers::{multipart, png, spawn_app, TestApp};

/// Files under the test's MEDIA_DIR (refused uploads must leave none behind).
fn stored_files(app: &TestApp) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map_or(0, |entries| entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
    }
    walk(&app.settings.media_dir)
}

fn id(reply: &Value) -> i64 {
    reply["id"].as_i64().expect("id")
}

#[tokio::test]
async fn an_image_is_measured_thumbnailed_and_served_only_to_members() {
    let app = spawn_app().await;
    let (anna, ben, carl) = (app.register("anna").await, app.register("ben").await, app.register("carl").await);
    let chat = app.direct(&anna, &ben).await;
    let original = png(800, 600);

    let up = app.upload(&anna, "image", "holiday.png", &original).await;
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(up.body["content_type"], "image/png");
    assert_eq!((up.body["width"].as_i64(), up.body["height"].as_i64()), (Some(800), Some(600)));
    assert_eq!(up.body["size"].as_i64(), Some(original.len() as i64));
    assert_eq!(up.body["has_thumbnail"], true);
    let media = id(&up.body);
    let path = format!("/api/media/{media}");

    // The uploader can read it before sending; nobody else can, and they learn nothing.
    let (status, headers, bytes) = app.get_bytes(&path, Some(&anna.token)).await;
    assert_eq!((status.as_u16(), bytes == original), (200, true));
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-disposition"], "inline");
    for (who, path) in [(&ben, path.clone()), (&carl, path.clone()), (&ben, "/api/media/999999".to_owned())] {
        let reply = app.get(&path, Some(&who.token)).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (404, "media_not_found"), "{path}");
    }
    assert_eq!(app.get(&path, None).await.status, 401);

    // Sent as an image message: the members can read it and its thumbnail.
    let sent = app.send_media(&anna, chat, "image", media).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["attachment"]["width"].as_i64(), Some(800));
    let (status, _, bytes) = app.get_bytes(&path, Some(&ben.token)).await;
    assert_eq!((status.as_u16(), bytes == original), (200, true));
    let (status, headers, thumb) = app.get_bytes(&format!("{path}/thumb"), Some(&ben.token)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&thumb).expect("the thumbnail decodes");
    assert_eq!((thumb.width(), thumb.height()), (320, 240));
    assert_eq!(app.get(&path, Some(&carl.token)).await.status, 404);

    // Cached by ETag.
    let etag = headers["etag"].to_str().expect("etag").to_owned();
    let again =
        app.client.get(app.url(&format!("{path}/thumb"))).bearer_auth(&ben.token).header("if-none-match", &etag);
    assert_eq!(again.send().await.expect("sent").status(), 304);

    // History carries the attachment; deleting the message deletes the upload it alone carried
    // (media_cleanup.rs: rows and bytes), for everyone, the uploader included.
    let page = app.get(&format!("/api/conversations/{chat}/messages"), Some(&ben.token)).await;
    assert_eq!(page.body["items"][0]["attachment"]["height"].as_i64(), Some(600));
    assert_eq!(app.delete(&format!("/api/messages/{}", id(&sent.body)), Some(&anna.token)).await.status, 204);
    assert_eq!(app.get(&path, Some(&ben.token)).await.status, 404);
    assert_eq!(app.get_bytes(&path, Some(&anna.token)).await.0, 404);
}

#[tokio::test]
async fn uploads_are_judged_by_content_and_bounded() {
    let app = spawn_app().await;
    let anna = app.register("anna").await;
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>";
    let mut broken = png(64, 64);
    broken.truncate(60);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("image", svg.to_vec(), 415, "unsupported_media"),
        ("voice", png(4, 4), 415, "unsupported_media"),
        ("image", broken, 422, "invalid_media"),
        ("voice", b"RIFF\0\0\0\0WAVEfmt ".to_vec(), 422, "invalid_media"),
        ("file", Vec::new(), 422, "invalid_media"),
        ("voice", vec![0u8; 5 * 1024 * 1024 + 1], 413, "media_too_large"),
    ];
    for (kind, bytes, status, code) in cases {
        let reply = app.upload(&anna, kind, "x.bin", &bytes).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (status, code), "{kind} of {} bytes", bytes.len());
    }
    // Broken requests: a clear 4xx with a JSON code, never a 500.
    let json = app.post("/api/media?kind=file", Some(&anna.token), serde_json::json!({"file": "x"})).await;
    assert_eq!((json.status.as_u16(), json.code()), (400, "bad_multipart"));
    let (ct, body) = multipart("picture", "a.png", &png(2, 2));
    let wrong_part = app.post_raw("/api/media?kind=image", Some(&anna.token), &ct, body).await;
    assert_eq!((wrong_part.status.as_u16(), wrong_part.code()), (400, "missing_file"));
    let (ct, body) = multipart("file", "a.png", &png(2, 2));
    let no_kind = app.post_raw("/api/media?kind=video", Some(&anna.token), &ct, body.clone()).await;
    assert_eq!(no_kind.status.as_u16() / 100, 4, "{}", no_kind.body);
    assert!(!no_kind.code().is_empty());
    assert_eq!(app.post_raw("/api/media?kind=image", None, &ct, body).await.status, 401);
    assert_eq!(app.count("attachments"), 0);
    assert_eq!(stored_files(&app), 0);

    // Any file is accepted as a file, typed by its content, named without its path.
    let up = app.upload(&anna, "file", "../../notes.svg", svg).await;
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!(up.body["content_type"], "application/octet-stream");
    assert_eq!(up.body["file_name"], "notes.svg");
    assert_eq!(up.body["has_thumbnail"], false);
    let (_, headers, _) = app.get_bytes(&format!("/api/media/{}", id(&up.body)), Some(&anna.token)).await;
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"notes.svg\"; filename*=UTF-8''notes.svg");
    assert_eq!(headers["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(stored_files(&app), 1);
}

#[tokio::test]
async fn voice_notes_carry_their_duration_and_kinds_must_fit() {
    let app = spawn_app().await;
    let (anna, ben) = (app.register("anna").await, app.register("ben").await);
    let chat = app.direct(&anna, &ben).await;

    let wav = app.upload(&anna, "voice", "note.wav", &wav_bytes(1500)).await;
    assert_eq!(wav.status, 201, "{}", wav.body);
    assert_eq!((wav.body["content_type"].as_str(), wav.body["duration_ms"].as_i64()), (Some("audio/wav"), Some(1500)));
    let webm = app.upload(&anna, "voice", "blob", &webm_bytes(3240)).await;
    assert_eq!(
        (webm.body["content_type"].as_str(), webm.body["duration_ms"].as_i64()),
        (Some("audio/webm"), Some(3240))
    );
    let photo = app.upload(&anna, "image", "p.png", &png(10, 10)).await;

    // The message kind must fit the upload, and only the uploader may send it.
    let before = app.count("messages");
    for (kind, media) in [("image", id(&wav.body)), ("voice", id(&photo.body)), ("text", id(&photo.body))] {
        let reply = app.send_media(&anna, chat, kind, media).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (422, "validation_failed"), "{kind}");
        let fields = reply.body["error"]["fields"].as_array().expect("fields").clone();
        assert!(fields.iter().any(|f| f["field"] == "attachment_id"), "{kind}: {fields:?}");
    }
    let theirs = app.send_media(&ben, chat, "voice", id(&wav.body)).await;
    assert_eq!((theirs.status.as_u16(), theirs.code()), (422, "validation_failed"));
    assert_eq!(app.count("messages"), before);

    let request =
        serde_json::json!({"client_id": uuid::Uuid::new_v4(), "kind": "voice", "attachment_id": id(&webm.body)});
    let path = format!("/api/conversations/{chat}/messages");
    let sent = app.post(&path, Some(&anna.token), request.clone()).await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    assert_eq!(sent.body["attachment"]["duration_ms"].as_i64(), Some(3240));
    let retried = app.post(&path, Some(&anna.token), request).await;
    assert_eq!((retried.status.as_u16(), &retried.body), (200, &sent.body), "a retry answers the same message");
    let file = app.send_media(&anna, chat, "file", id(&photo.body)).await;
    assert_eq!(file.status, 201, "a photo may also be sent as a file: {}", file.body);
    let (status, headers, _) = app.get_bytes(&format!("/api/media/{}", id(&webm.body)), Some(&ben.token)).await;
    assert_eq!((status.as_u16(), headers["content-type"].to_str().ok()), (200, Some("audio/webm")));
}
