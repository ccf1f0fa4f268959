//! Profiles, search, contacts, blocks, and that nobody reads or changes another user's data.

use serde_json::json;

use crate::helpers::spawn_app;
use shared::ids::UserId;

#[tokio::test]
async fn me_can_be_read_and_updated() {
    let app = spawn_app().await;
    let u = app.register("hana").await;
    let me = app.get("/api/me", Some(&u.token)).await;
    assert_eq!((me.status.as_u16(), me.body["username"].as_str()), (200, Some("hana")));
    let updated =
        app.patch("/api/me", Some(&u.token), json!({"display_name": "  Hana K  ", "bio": "line one\nline two"})).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["display_name"], "Hana K");
    assert_eq!(updated.body["bio"], "line one\nline two");
    let avatar = app.patch("/api/me", Some(&u.token), json!({"avatar_id": 999})).await;
    assert_eq!(avatar.status, 422, "not an upload of mine");
}

#[tokio::test]
async fn the_theme_is_stored_with_the_account_and_only_known_values_are_taken() {
    let app = spawn_app().await;
    let u = app.register("hana").await;
    assert_eq!(app.get("/api/me", Some(&u.token)).await.body["theme"], "system", "the default");
    let dark = app.patch("/api/me", Some(&u.token), json!({"theme": "dark"})).await;
    assert_eq!((dark.status.as_u16(), &dark.body["theme"]), (200, &json!("dark")), "{}", dark.body);
    for bad in [json!({"theme": "purple"}), json!({"theme": ""}), json!({"theme": "Dark"})] {
        let reply = app.patch("/api/me", Some(&u.token), bad.clone()).await;
        assert_eq!((reply.status.as_u16(), reply.code()), (422, "validation_failed"), "{bad}: {}", reply.body);
        assert_eq!(reply.body["error"]["fields"][0]["field"], "theme", "{}", reply.body);
    }
    // Not even a string: serde_json calls that a syntax error.
    let number = app.patch("/api/me", Some(&u.token), json!({"theme": 1})).await;
    assert_eq!((number.status.as_u16(), number.code()), (400, "malformed_json"), "{}", number.body);
    let bio = app.patch("/api/me", Some(&u.token), json!({"bio": "night owl"})).await;
    assert_eq!(bio.body["theme"], "dark", "absent field: unchanged");
    // Another browser signing in gets it with the session.
    let login = app.post("/api/auth/login", None, json!({"username": "hana", "password": "password123"})).await;
    assert_eq!(login.body["user"]["theme"], "dark", "{}", login.body);
}

#[tokio::test]
async fn do_not_disturb_is_set_until_a_time_kept_by_other_updates_and_cleared_with_null() {
    let app = spawn_app().await;
    let u = app.register("hana").await;
    assert_eq!(app.get("/api/me", Some(&u.token)).await.body["dnd_until"], serde_json::Value::Null);
    let on = app.patch("/api/me", Some(&u.token), json!({"dnd_until": "9999-12-31T00:00:00Z"})).await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.body["dnd_until"], "9999-12-31T00:00:00Z");
    let bio = app.patch("/api/me", Some(&u.token), json!({"bio": "busy"})).await;
    assert_eq!(bio.body["dnd_until"], "9999-12-31T00:00:00Z", "absent field: unchanged");
    let bad = app.patch("/api/me", Some(&u.token), json!({"dnd_until": "tomorrow"})).await;
    assert_eq!((bad.status.as_u16(), bad.code()), (422, "validation_failed"), "{}", bad.body);
    let off = app.patch("/api/me", Some(&u.token), json!({"dnd_until": null})).await;
    assert_eq!(off.body["dnd_until"], serde_json::Value::Null);
    let login = app.post("/api/auth/login", None, json!({"username": "hana", "password": "password123"})).await;
    assert!(login.body["user"].as_object().is_some_and(|m| m.contains_key("dnd_until")), "{}", login.body);
}

#[tokio::test]
async fn user_search_is_a_paginated_prefix_search_without_private_fields() {
    let app = spawn_app().await;
    let me = app.register("searcher").await;
    for name in ["sam_a", "sam_b", "sam_c", "samuel", "other"] {
        app.register(name).await;
    }
    let page1 = app.get("/api/users?q=SAM&limit=2", Some(&me.token)).await;
    assert_eq!(page1.status, 200, "{}", page1.body);
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["items"].as_array().expect("items").iter().map(|u| u["username"].as_str().unwrap_or("").to_owned()).collect()
    };
    assert_eq!(names(&page1.body), ["sam_a", "sam_b"]);
    let cursor = page1.body["next_cursor"].as_str().expect("cursor");
    let page2 = app.get(&format!("/api/users?q=sam&limit=2&cursor={cursor}"), Some(&me.token)).await;
    assert_eq!(names(&page2.body), ["sam_c", "samuel"]);
    let text = page1.body.to_string();
    assert!(!text.contains("password") && !text.contains("email"), "{text}");
    // LIKE wildcards are literal.
    let wild = app.get("/api/users?q=%25", Some(&me.token)).await;
    assert_eq!(wild.body["items"].as_array().map(Vec::len), Some(0));
    let underscore = app.get("/api/users?q=sam_", Some(&me.token)).await;
    assert_eq!(names(&underscore.body), ["sam_a", "sam_b", "sam_c"]);
    assert_eq!(app.get("/api/users?q=", Some(&me.token)).await.status, 422);
    assert_eq!(app.get("/api/users?q=sam&limit=1000", Some(&me.token)).await.status, 422);
}

#[tokio::test]
async fn users_can_be_fetched_by_id() {
    let app = spawn_app().await;
    let a = app.register("ivan").await;
    let b = app.register("judy").await;
    let reply = app.get(&format!("/api/users/{}", b.id), Some(&a.token)).await;
    assert_eq!(reply.body["username"], "judy");
    assert_eq!(app.get("/api/users/999999", Some(&a.token)).await.code(), "user_not_found");
    assert_eq!(app.get("/api/users/abc", Some(&a.token)).await.status, 404);
}

#[tokio::test]
async fn contacts_with_aliases_can_be_added_renamed_and_removed() {
    let app = spawn_app().await;
    let a = app.register("kate").await;
    let b = app.register("liam").await;
    let added = app.post("/api/contacts", Some(&a.token), json!({"user_id": b.id, "alias": "Liam from work"})).await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.body["alias"], "Liam from work");
    assert_eq!(added.body["user"]["id"], b.id);
    let renamed = app.patch(&format!("/api/contacts/{}", b.id), Some(&a.token), json!({"alias": "Liam"})).await;
    assert_eq!(renamed.body["alias"], "Liam");
    let list = app.get("/api/contacts", Some(&a.token)).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
    // b's contact list is b's own: empty.
    assert_eq!(app.get("/api/contacts", Some(&b.token)).await.body.as_array().map(Vec::len), Some(0));
    // b cannot rename or remove a's contact (it is not theirs): 404, nothing changes.
    assert_eq!(app.patch(&format!("/api/contacts/{}", b.id), Some(&b.token), json!({"alias": "x"})).await.status, 404);
    assert_eq!(app.delete(&format!("/api/contacts/{}", b.id), Some(&b.token)).await.status, 404);
    assert_eq!(app.get("/api/contacts", Some(&a.token)).await.body[0]["alias"], "Liam");
    assert_eq!(app.delete(&format!("/api/contacts/{}", b.id), Some(&a.token)).await.status, 204);
    assert_eq!(app.count("contacts"), 0);
    assert_eq!(app.post("/api/contacts", Some(&a.token), json!({"user_id": a.id})).await.status, 422, "not yourself");
    assert_eq!(app.post("/api/contacts", Some(&a.token), json!({"user_id": 424242})).await.status, 404);
}

#[tokio::test]
async fn blocks_can_be_set_listed_and_removed() {
    let app = spawn_app().await;
    let a = app.register("mona").await;
    let b = app.register("ned").await;
    assert_eq!(app.put(&format!("/api/blocks/{}", b.id), Some(&a.token)).await.status, 204);
    assert_eq!(app.put(&format!("/api/blocks/{}", b.id), Some(&a.token)).await.status, 204, "idempotent");
    let list = app.get("/api/blocks", Some(&a.token)).await;
    assert_eq!(list.body[0]["id"], b.id);
    assert_eq!(app.get("/api/blocks", Some(&b.token)).await.body.as_array().map(Vec::len), Some(0));
    assert_eq!(app.delete(&format!("/api/blocks/{}", b.id), Some(&a.token)).await.status, 204);
    assert_eq!(app.count("blocks"), 0);
    assert_eq!(app.put(&format!("/api/blocks/{}", a.id), Some(&a.token)).await.status, 422);
}

#[tokio::test]
async fn presence_reads_what_the_ws_nodes_write_and_last_seen() {
    let app = spawn_app().await;
    let a = app.register("pres_a").await;
    let b = app.register("pres_b").await;
    let cache = shared::cache::Cache::new(&app.settings.memcached_url, &app.settings.cache_prefix);
    let now = shared::broker::now_ms();
    shared::presence::update(&cache, UserId(b.id), "ws-test", Some(now + 30_000), now, 30_000)
        .expect("presence written");
    app.exec(&format!("UPDATE users SET last_seen_at = '2026-01-01T00:00:00Z' WHERE id = {}", a.id));
    let reply = app.get(&format!("/api/presence?ids={},{},424242", a.id, b.id), Some(&a.token)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let list = reply.body.as_array().expect("list");
    assert_eq!(list.len(), 2, "unknown ids are left out");
    assert_eq!((list[0]["user_id"].as_i64(), list[0]["online"].as_bool()), (Some(a.id), Some(false)));
    assert_eq!(list[0]["last_seen_at"], "2026-01-01T00:00:00Z");
    assert_eq!((list[1]["user_id"].as_i64(), list[1]["online"].as_bool()), (Some(b.id), Some(true)));
    assert_eq!(app.get("/api/presence?ids=x", Some(&a.token)).await.status, 422);
    assert_eq!(app.get("/api/presence", Some(&a.token)).await.status, 400);
    assert_eq!(app.get(&format!("/api/presence?ids={}", b.id), None).await.status, 401);
}
