//! Table-driven hostile input per endpoint: every case gets its documented 4xx JSON error and
//! leaves the database unchanged.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const TABLES: [&str; 4] = ["users", "refresh_tokens", "contacts", "blocks"];

fn snapshot(app: &TestApp) -> Vec<i64> {
    TABLES.iter().map(|t| app.count(t)).collect()
}

enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

#[tokio::test]
async fn bad_inputs_get_4xx_json_and_change_nothing() {
    let app = spawn_app().await;
    let user = app.register("victim").await;
    let other = app.register("other_one").await;
    let huge = "x".repeat(70_000);
    let long = "y".repeat(5_000);
    let contact_path = format!("/api/contacts/{}", other.id);
    #[rustfmt::skip]
    let cases: Vec<(Method, &str, bool, Body, u16, &str)> = vec![
        (Method::POST, "/api/auth/register", false, Body::Json(json!({})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "abc"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": 5, "password": "password123"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "ab", "password": "password123"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "a'; DROP TABLE users;--", "password": "password123"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "ctrl\u{0}name", "password": "password123"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "shortpw", "password": "short"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "longpw", "password": long})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "nuls", "password": "pass\u{0}word123"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/login", false, Body::Json(json!({"username": "nul\u{0}name", "password": "password123"})), 401, "invalid_credentials"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "bell", "password": "password123", "display_name": "a\u{7}b"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!({"username": "huge", "password": "password123", "display_name": huge})), 413, "payload_too_large"),
        (Method::POST, "/api/auth/register", false, Body::Json(json!(["an", "array"])), 422, "validation_failed"),
        (Method::POST, "/api/auth/register", false, Body::Raw("application/json", b"{\"username\": \"x".to_vec()), 400, "malformed_json"),
        (Method::POST, "/api/auth/register", false, Body::Raw("application/json", b"{\"username\":\"\xff\xfe\",\"password\":\"password123\"}".to_vec()), 400, "malformed_json"),
        (Method::POST, "/api/auth/register", false, Body::Raw("application/json", Vec::new()), 400, "malformed_json"),
        (Method::POST, "/api/auth/register", false, Body::Raw("text/plain", b"username=x".to_vec()), 415, "unsupported_media_type"),
        (Method::POST, "/api/auth/login", false, Body::Json(json!({"username": null, "password": "x"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/login", false, Body::Raw("application/json", b"nul".to_vec()), 400, "malformed_json"),
        (Method::POST, "/api/auth/refresh", false, Body::Json(json!({"refresh_token": 12})), 422, "validation_failed"),
        (Method::POST, "/api/auth/refresh", false, Body::Json(json!({"refresh_token": "' OR 1=1 --"})), 401, "invalid_refresh_token"),
        (Method::PATCH, "/api/me", true, Body::Json(json!({"display_name": ""})), 422, "validation_failed"),
        (Method::PATCH, "/api/me", true, Body::Json(json!({"display_name": "z".repeat(65)})), 422, "validation_failed"),
        (Method::PATCH, "/api/me", true, Body::Json(json!({"bio": "b".repeat(501)})), 422, "validation_failed"),
        (Method::PATCH, "/api/me", true, Body::Json(json!({"avatar_id": "one"})), 422, "validation_failed"),
        (Method::PATCH, "/api/me", true, Body::Raw("application/json", b"{\"bio\":".to_vec()), 400, "malformed_json"),
        (Method::PATCH, "/api/me", false, Body::Json(json!({"bio": "no token"})), 401, "missing_token"),
        (Method::POST, "/api/contacts", true, Body::Json(json!({"user_id": "1"})), 422, "validation_failed"),
        (Method::POST, "/api/contacts", true, Body::Json(json!({"user_id": 1e40})), 422, "validation_failed"),
        (Method::POST, "/api/contacts", true, Body::Json(json!({"alias": "no id"})), 422, "validation_failed"),
        (Method::POST, "/api/contacts", true, Body::Json(json!({"user_id": 0, "alias": "a"})), 404, "user_not_found"),
        (Method::POST, "/api/contacts", true, Body::Json(json!({"user_id": 1, "alias": "\u{1b}[31mred"})), 422, "validation_failed"),
        (Method::PATCH, &contact_path, true, Body::Json(json!({"alias": "not a contact yet"})), 404, "contact_not_found"),
        (Method::PUT, "/api/blocks/-1", true, Body::Json(json!({})), 404, "user_not_found"),
        (Method::PUT, "/api/blocks/99999999999999999999", true, Body::Json(json!({})), 404, "not_found"),
        (Method::GET, "/api/users?q=%00", true, Body::Json(json!({})), 422, "validation_failed"),
        (Method::GET, "/api/users?limit=x&q=a", true, Body::Json(json!({})), 400, "invalid_query"),
    ];
    for (method, path, auth, body, status, code) in cases {
        let before = snapshot(&app);
        let mut req = app.client.request(method.clone(), app.url(path));
        if auth {
            req = req.bearer_auth(&user.token);
        }
        req = match &body {
            Body::Json(v) => req.json(v),
            Body::Raw(ct, bytes) => req.header("content-type", *ct).body(bytes.clone()),
        };
        let res = req.send().await.expect("sent");
        let got = res.status().as_u16();
        let json: Value = res.json().await.unwrap_or(Value::Null);
        let label = format!(
            "{method} {path} {}",
            match &body {
                Body::Json(v) => v.to_string().chars().take(80).collect::<String>(),
                Body::Raw(ct, b) => format!("{ct} {} bytes", b.len()),
            }
        );
        assert_eq!(got, status, "{label}: {json}");
        assert_eq!(json["error"]["code"], code, "{label}: {json}");
        assert!(json["error"]["message"].is_string(), "{label}");
        assert_eq!(snapshot(&app), before, "{label} changed the database");
    }
}

#[tokio::test]
async fn bad_messaging_inputs_get_4xx_json_and_change_nothing() {
    let app = spawn_app().await;
    let a = app.register("writer").await;
    let b = app.register("reader").await;
    let dm = app.direct(&a, &b).await;
    let (group, _channel) = app.group(&a, &[&b]).await;
    let seed = app.send(&a, dm, "seed").await;
    let seed_id = seed.body["id"].as_i64().expect("id");
    let tables =
        ["messages", "conversations", "conversation_members", "groups", "group_members", "invites", "outbox_log"];
    let snap = |app: &TestApp| -> Vec<i64> { tables.iter().map(|t| app.count(t)).collect() };
    let send = format!("/api/conversations/{dm}/messages");
    let uuid = "3b241101-e2bb-4255-8caf-4136c566a962";
    #[rustfmt::skip]
    let cases: Vec<(Method, String, Value, u16, &str)> = vec![
        (Method::POST, send.clone(), json!({"body": "no client id"}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": "not-a-uuid", "body": "x"}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": "   "}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": "z".repeat(4001)}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": "nul\u{0}byte"}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": "x", "kind": "system"}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": "x", "kind": "image"}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": "x", "attachment_id": 1}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": "x", "reply_to_id": 999999}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": ["array"]}), 422, "validation_failed"),
        (Method::POST, send.clone(), json!({"client_id": uuid, "body": "'); DELETE FROM messages; --", "reply_to_id": "1"}), 422, "validation_failed"),
        (Method::POST, "/api/conversations/999999/messages".into(), json!({"client_id": uuid, "body": "x"}), 404, "conversation_not_found"),
        (Method::POST, "/api/conversations/abc/messages".into(), json!({"client_id": uuid, "body": "x"}), 404, "not_found"),
        (Method::POST, "/api/conversations/direct".into(), json!({"user_id": "2"}), 422, "validation_failed"),
        (Method::POST, "/api/conversations/direct".into(), json!({"user_id": 987654}), 404, "user_not_found"),
        (Method::POST, format!("/api/conversations/{dm}/receipts"), json!({"read_seq": "1"}), 422, "validation_failed"),
        (Method::POST, format!("/api/conversations/{dm}/receipts"), json!({"read_seq": 99}), 422, "validation_failed"),
        (Method::PUT, format!("/api/conversations/{dm}/mute"), json!({"until": "tomorrow"}), 422, "validation_failed"),
        (Method::PATCH, format!("/api/messages/{seed_id}"), json!({"body": ""}), 422, "validation_failed"),
        (Method::PATCH, format!("/api/messages/{seed_id}"), json!({}), 422, "validation_failed"),
        (Method::POST, "/api/groups".into(), json!({"name": "g".repeat(81)}), 422, "validation_failed"),
        (Method::POST, "/api/groups".into(), json!({"name": "ok", "member_ids": "1,2"}), 422, "validation_failed"),
        (Method::POST, "/api/groups".into(), json!({"name": "ok", "member_ids": (0..201).collect::<Vec<i64>>()}), 422, "validation_failed"),
        (Method::POST, "/api/groups".into(), json!({"name": "ok", "member_ids": [987654]}), 422, "validation_failed"),
        (Method::POST, format!("/api/groups/{group}/channels"), json!({"name": "\u{202e}evil\u{0}"}), 422, "validation_failed"),
        (Method::POST, format!("/api/groups/{group}/channels"), json!({"name": "general"}), 409, "channel_name_taken"),
        (Method::POST, format!("/api/groups/{group}/invites"), json!({"max_uses": 0}), 422, "validation_failed"),
        (Method::POST, format!("/api/groups/{group}/invites"), json!({"expires_in_secs": -5}), 422, "validation_failed"),
        (Method::PATCH, format!("/api/groups/{group}/members/{}", b.id), json!({"role": 1}), 422, "validation_failed"),
        (Method::POST, format!("/api/groups/{group}/members/987654"), json!({}), 404, "user_not_found"),
    ];
    for (method, path, body, status, code) in cases {
        let before = snap(&app);
        let r = app.request(method.clone(), &path, Some(&a.token), Some(body.clone())).await;
        let label = format!("{method} {path} {}", body.to_string().chars().take(80).collect::<String>());
        assert_eq!(r.status.as_u16(), status, "{label}: {}", r.body);
        assert_eq!(r.code(), code, "{label}: {}", r.body);
        assert_eq!(snap(&app), before, "{label} changed the database");
    }
}

/// PostgreSQL text cannot hold NUL and foreign keys refuse unknown ids: either one reaching the
/// database used to answer 500. Every text a client can send and every id it can name is
/// checked first (422 naming the field, or the lookup's 4xx), and nothing changes.
#[tokio::test]
async fn nul_characters_and_unknown_or_foreign_ids_get_4xx_never_500() {
    let app = spawn_app().await;
    let a = app.register("nul_owner").await;
    let b = app.register("nul_other").await;
    app.exec(&format!("UPDATE users SET role = 'admin' WHERE id = {}", a.id));
    let (group, _channel) = app.group(&a, &[&b]).await;
    let upload_id = |r: crate::helpers::Reply| r.body["id"].as_i64().unwrap_or_else(|| panic!("upload: {}", r.body));
    let theirs = upload_id(app.upload(&b, "image", "b.png", &crate::helpers::png(8, 8)).await);
    let my_file = upload_id(app.upload(&a, "file", "notes.txt", b"just text").await);
    let group_path = format!("/api/groups/{group}");
    let tables = ["users", "groups", "group_members", "attachments", "invites", "contacts", "reports", "outbox_log"];
    let snap = |app: &TestApp| -> Vec<i64> { tables.iter().map(|t| app.count(t)).collect() };
    #[rustfmt::skip]
    let cases: Vec<(Method, String, Option<Value>, u16, &str)> = vec![
        (Method::GET, "/api/users?q=a&cursor=%00".into(), None, 422, "validation_failed"),
        (Method::GET, "/api/users?q=a&cursor=a%00b".into(), None, 422, "validation_failed"),
        (Method::GET, "/api/admin/users?q=%00".into(), None, 422, "validation_failed"),
        (Method::PATCH, group_path.clone(), Some(json!({"avatar_id": 987_654})), 422, "validation_failed"),
        (Method::PATCH, group_path.clone(), Some(json!({"avatar_id": theirs})), 422, "validation_failed"),
        (Method::PATCH, group_path.clone(), Some(json!({"avatar_id": my_file})), 422, "validation_failed"),
        (Method::PATCH, "/api/me".into(), Some(json!({"avatar_id": my_file})), 422, "validation_failed"),
        (Method::PATCH, "/api/me".into(), Some(json!({"avatar_id": theirs})), 422, "validation_failed"),
        (Method::PATCH, "/api/me".into(), Some(json!({"status_text": "a\u{0}b"})), 422, "validation_failed"),
        (Method::GET, "/api/search?q=a%00b".into(), None, 422, "validation_failed"),
        (Method::POST, "/api/invites/%00/accept".into(), None, 404, "invite_not_found"),
        (Method::POST, "/api/contacts".into(), Some(json!({"user_id": b.id, "alias": "x\u{0}"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/password/forgot".into(), Some(json!({"email": "a\u{0}@example.com"})), 422, "validation_failed"),
        (Method::POST, "/api/auth/email/verify".into(), Some(json!({"token": "\u{0}"})), 400, "invalid_token"),
        (Method::POST, "/api/auth/oidc/complete".into(), Some(json!({"code": "\u{0}"})), 401, "invalid_oidc_code"),
        (Method::POST, format!("/api/admin/users/{}/suspend", b.id), Some(json!({"reason": "\u{0}"})), 422, "validation_failed"),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, status, code) in cases {
        let before = snap(&app);
        let r = app.request(method.clone(), &path, Some(&a.token), body.clone()).await;
        let label = format!("{method} {path} {}", body.map(|b| b.to_string()).unwrap_or_default());
        if r.status.as_u16() != status || r.code() != code || snap(&app) != before {
            wrong.push(format!(
                "{label}: {} {} (expected {status} {code}, database changed: {})",
                r.status,
                r.body,
                snap(&app) != before
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let avatar: Option<i64> = app.get(&group_path, Some(&a.token)).await.body["avatar_id"].as_i64();
    assert_eq!(avatar, None, "the group kept no avatar");
}

/// Ids in paths and query strings are typed (`shared::ids`), yet read as the integers they always
/// were: a segment that is no integer (or too large for one) names nothing (404 `not_found`), and
/// such a query parameter is a bad query (400 `invalid_query`), for every kind of id.
#[tokio::test]
async fn ids_that_are_no_integers_get_404_in_paths_and_400_in_queries() {
    let app = spawn_app().await;
    let a = app.register("typed_ids").await;
    let b = app.register("typed_ids_b").await;
    let (group, channel) = app.group(&a, &[&b]).await;
    let emoji = "%F0%9F%91%8D";
    for bad in ["abc", "1.5", "99999999999999999999"] {
        #[rustfmt::skip]
        let paths: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/api/conversations/{bad}"), None),
            (Method::GET, format!("/api/users/{bad}"), None),
            (Method::DELETE, format!("/api/contacts/{bad}"), None),
            (Method::PATCH, format!("/api/messages/{bad}"), Some(json!({"body": "x"}))),
            (Method::PUT, format!("/api/messages/{bad}/reactions/{emoji}"), None),
            (Method::GET, format!("/api/groups/{bad}"), None),
            (Method::POST, format!("/api/groups/{group}/members/{bad}"), Some(json!({}))),
            (Method::DELETE, format!("/api/groups/{bad}/members/{}", b.id), None),
            (Method::DELETE, format!("/api/groups/{group}/channels/{bad}"), None),
            (Method::DELETE, format!("/api/groups/{group}/invites/{bad}"), None),
            (Method::GET, format!("/api/media/{bad}"), None),
            (Method::POST, format!("/api/admin/users/{bad}/suspend"), Some(json!({"reason": "x"}))),
            (Method::POST, format!("/api/admin/reports/{bad}/resolve"), Some(json!({"decision": "dismiss"}))),
        ];
        for (method, path, body) in paths {
            let r = app.request(method.clone(), &path, Some(&a.token), body).await;
            assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"), "{method} {path}: {}", r.body);
        }
        for query in [
            format!("/api/search?q=hello&conversation_id={bad}"),
            format!("/api/search?q=hello&sender_id={bad}"),
            format!("/api/admin/users?after={bad}"),
            format!("/api/admin/reports?after={bad}"),
            format!("/api/admin/flags?before={bad}"),
        ] {
            let r = app.request(Method::GET, &query, Some(&a.token), None).await;
            assert_eq!((r.status.as_u16(), r.code()), (400, "invalid_query"), "{query}: {}", r.body);
        }
    }
    // The channel still answers under its real id: only the malformed ones were refused.
    let r = app.request(Method::GET, &format!("/api/conversations/{channel}"), Some(&a.token), None).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
}
