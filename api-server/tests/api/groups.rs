//! Groups: the permission matrix per role, channels, invites, leaving and removal.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, TestApp, User};

struct Cast {
    owner: User,
    admin: User,
    member: User,
    outsider: User,
    group: i64,
    channel: i64,
}

async fn cast(app: &TestApp) -> Cast {
    let owner = app.register("owner").await;
    let admin = app.register("admin").await;
    let member = app.register("member").await;
    let outsider = app.register("outsider").await;
    let (group, channel) = app.group(&owner, &[&admin, &member]).await;
    let r = app
        .patch(&format!("/api/groups/{group}/members/{}", admin.id), Some(&owner.token), json!({"role": "admin"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    Cast { owner, admin, member, outsider, group, channel }
}

#[tokio::test]
async fn a_group_starts_with_its_owner_members_and_a_general_channel() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let g = app.get(&format!("/api/groups/{}", c.group), Some(&c.member.token)).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body["channels"][0]["name"], "general");
    assert_eq!(g.body["my_role"], "member");
    let roles: Vec<(i64, String)> = g.body["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (m["user"]["id"].as_i64().unwrap_or(0), m["role"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert!(roles.contains(&(c.owner.id, "owner".into())) && roles.contains(&(c.admin.id, "admin".into())));
    assert_eq!(app.get(&format!("/api/groups/{}", c.group), Some(&c.outsider.token)).await.status, 404);
    assert_eq!(app.send(&c.member, c.channel, "hello team").await.status, 201);
    let bad = app.post("/api/groups", Some(&c.owner.token), json!({"name": " ", "member_ids": [424242]})).await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn each_role_can_do_exactly_what_it_should() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let g = c.group;
    let newbie = app.register("newbie").await;
    // (who, method, path, body, expected status)
    let who = |name: &str| match name {
        "owner" => c.owner.token.clone(),
        "admin" => c.admin.token.clone(),
        "member" => c.member.token.clone(),
        _ => c.outsider.token.clone(),
    };
    #[rustfmt::skip]
    let matrix: Vec<(&str, Method, String, serde_json::Value, u16)> = vec![
        ("outsider", Method::PATCH, format!("/api/groups/{g}"), json!({"name": "x"}), 404),
        ("member", Method::PATCH, format!("/api/groups/{g}"), json!({"name": "x"}), 403),
        ("admin", Method::PATCH, format!("/api/groups/{g}"), json!({"name": "Renamed"}), 200),
        ("member", Method::POST, format!("/api/groups/{g}/channels"), json!({"name": "random"}), 403),
        ("admin", Method::POST, format!("/api/groups/{g}/channels"), json!({"name": "random"}), 201),
        ("admin", Method::POST, format!("/api/groups/{g}/channels"), json!({"name": "RANDOM"}), 409),
        ("member", Method::POST, format!("/api/groups/{g}/members/{}", newbie.id), json!({}), 403),
        ("outsider", Method::POST, format!("/api/groups/{g}/members/{}", newbie.id), json!({}), 404),
        ("admin", Method::POST, format!("/api/groups/{g}/members/{}", newbie.id), json!({}), 200),
        ("member", Method::DELETE, format!("/api/groups/{g}/members/{}", newbie.id), json!({}), 403),
        ("admin", Method::DELETE, format!("/api/groups/{g}/members/{}", c.owner.id), json!({}), 403),
        ("admin", Method::PATCH, format!("/api/groups/{g}/members/{}", c.member.id), json!({"role": "admin"}), 403),
        ("member", Method::POST, format!("/api/groups/{g}/invites"), json!({}), 403),
        ("admin", Method::POST, format!("/api/groups/{g}/invites"), json!({"max_uses": 2}), 201),
        ("owner", Method::PATCH, format!("/api/groups/{g}/members/{}", c.member.id), json!({"role": "king"}), 422),
        ("owner", Method::DELETE, format!("/api/groups/{g}/members/{}", c.admin.id), json!({}), 204),
        ("admin", Method::POST, format!("/api/groups/{g}/channels"), json!({"name": "after"}), 404),
        ("owner", Method::POST, format!("/api/groups/{g}/leave"), json!({}), 409),
    ];
    for (name, method, path, body, status) in matrix {
        let r = app.request(method.clone(), &path, Some(&who(name)), Some(body)).await;
        assert_eq!(r.status.as_u16(), status, "{name} {method} {path}: {}", r.body);
    }
    let g = app.get(&format!("/api/groups/{}", c.group), Some(&newbie.token)).await;
    assert_eq!(g.body["name"], "Renamed");
    assert_eq!(g.body["channels"].as_array().map(Vec::len), Some(2), "general + random");
}

#[tokio::test]
async fn ownership_transfers_and_then_the_old_owner_can_leave() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let r = app
        .patch(
            &format!("/api/groups/{}/members/{}", c.group, c.member.id),
            Some(&c.owner.token),
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.body["my_role"].as_str()), (200, Some("admin")));
    assert_eq!(app.post(&format!("/api/groups/{}/leave", c.group), Some(&c.owner.token), json!({})).await.status, 204);
    assert_eq!(app.get(&format!("/api/groups/{}", c.group), Some(&c.owner.token)).await.status, 404);
    let g = app.get(&format!("/api/groups/{}", c.group), Some(&c.member.token)).await;
    assert_eq!(g.body["my_role"], "owner");
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    assert_eq!(app.send(&c.member, c.channel, "before").await.status, 201);
    assert_eq!(
        app.delete(&format!("/api/groups/{}/members/{}", c.group, c.member.id), Some(&c.admin.token)).await.status,
        204
    );
    assert_eq!(app.send(&c.member, c.channel, "after").await.status, 404);
    assert_eq!(app.get(&format!("/api/conversations/{}/messages", c.channel), Some(&c.member.token)).await.status, 404);
    assert_eq!(app.get(&format!("/api/groups/{}", c.group), Some(&c.member.token)).await.status, 404);
    let sidebar = app.get("/api/conversations", Some(&c.member.token)).await;
    assert!(sidebar.body["items"].as_array().is_some_and(Vec::is_empty));
}

#[tokio::test]
async fn channels_are_renamed_and_deleted_by_admins_and_one_always_remains() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let created =
        app.post(&format!("/api/groups/{}/channels", c.group), Some(&c.admin.token), json!({"name": "dev"})).await;
    let dev = created.body["id"].as_i64().expect("id");
    assert_eq!(
        app.send(&c.member, dev, "in dev").await.status,
        201,
        "members of the group are members of new channels"
    );
    let renamed = app
        .patch(&format!("/api/groups/{}/channels/{dev}", c.group), Some(&c.admin.token), json!({"name": "engineering"}))
        .await;
    assert_eq!(renamed.body["name"], "engineering");
    assert_eq!(app.delete(&format!("/api/groups/{}/channels/{dev}", c.group), Some(&c.member.token)).await.status, 403);
    assert_eq!(app.delete(&format!("/api/groups/{}/channels/{dev}", c.group), Some(&c.admin.token)).await.status, 204);
    let last = app.delete(&format!("/api/groups/{}/channels/{}", c.group, c.channel), Some(&c.admin.token)).await;
    assert_eq!((last.status.as_u16(), last.code()), (409, "last_channel"));
    assert_eq!(app.delete(&format!("/api/groups/{}/channels/999", c.group), Some(&c.admin.token)).await.status, 404);
}

#[tokio::test]
async fn invite_links_join_the_group_until_used_up_or_expired() {
    let app = spawn_app().await;
    let c = cast(&app).await;
    let invite =
        app.post(&format!("/api/groups/{}/invites", c.group), Some(&c.admin.token), json!({"max_uses": 1})).await;
    assert_eq!(invite.status, 201, "{}", invite.body);
    let token = invite.body["token"].as_str().expect("token").to_owned();
    assert!(!app.count_where("invites", &format!("token_hash = '{token}'")), "only the hash is stored");
    let joined = app.post(&format!("/api/invites/{token}/accept"), Some(&c.outsider.token), json!({})).await;
    assert_eq!((joined.status.as_u16(), joined.body["my_role"].as_str()), (200, Some("member")));
    assert_eq!(app.send(&c.outsider, c.channel, "hi all").await.status, 201);
    let again = app.post(&format!("/api/invites/{token}/accept"), Some(&c.outsider.token), json!({})).await;
    assert_eq!(again.status, 200, "already a member: idempotent");
    let late = app.register("late").await;
    let used_up = app.post(&format!("/api/invites/{token}/accept"), Some(&late.token), json!({})).await;
    assert_eq!((used_up.status.as_u16(), used_up.code()), (410, "invite_expired"));
    assert_eq!(
        app.post("/api/invites/not-a-token/accept", Some(&late.token), json!({})).await.code(),
        "invite_not_found"
    );
    let timed = app
        .post(&format!("/api/groups/{}/invites", c.group), Some(&c.admin.token), json!({"expires_in_secs": 60}))
        .await;
    let timed_token = timed.body["token"].as_str().expect("token").to_owned();
    app.exec("UPDATE invites SET expires_at = now() - interval '1 second' WHERE max_uses IS NULL");
    assert_eq!(app.post(&format!("/api/invites/{timed_token}/accept"), Some(&late.token), json!({})).await.status, 410);
    assert_eq!(
        app.post(&format!("/api/groups/{}/invites", c.group), Some(&c.admin.token), json!({"expires_in_secs": 5}))
            .await
            .status,
        422
    );
}
