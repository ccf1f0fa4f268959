//! Invite links: admins list the live ones (and can copy each again), revoke them; a member an
//! admin removed cannot come back with a link made before the removal (one who left can).

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, User};

async fn invite(app: &TestApp, admin: &User, group: i64, body: Value) -> (i64, String) {
    let r = app.post(&format!("/api/groups/{group}/invites"), Some(&admin.token), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    (r.body["id"].as_i64().expect("id"), r.body["token"].as_str().expect("token").to_owned())
}

async fn accept(app: &TestApp, user: &User, token: &str) -> crate::helpers::Reply {
    app.post(&format!("/api/invites/{token}/accept"), Some(&user.token), json!({})).await
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().expect("a list").iter().map(|i| i["id"].as_i64().expect("id")).collect()
}

#[tokio::test]
async fn admins_list_live_invites_copy_them_again_and_revoke_them() {
    let app = spawn_app().await;
    let (owner, member, outsider) =
        (app.register("owner").await, app.register("member").await, app.register("outsider").await);
    let (group, _) = app.group(&owner, &[&member]).await;
    let (open, open_token) = invite(&app, &owner, group, json!({})).await;
    let (limited, limited_token) = invite(&app, &owner, group, json!({"max_uses": 1, "expires_in_secs": 3600})).await;
    let (stale, _) = invite(&app, &owner, group, json!({"expires_in_secs": 60})).await;
    app.exec(&format!("UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = {stale}"));
    let (used_up, used_up_token) = invite(&app, &owner, group, json!({"max_uses": 1})).await;
    assert_eq!(accept(&app, &app.register("joiner").await, &used_up_token).await.status, 200);

    let list = app.get(&format!("/api/groups/{group}/invites"), Some(&owner.token)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(ids(&list.body), [limited, open], "live ones only, newest first (not {stale} or {used_up})");
    let first = &list.body[0];
    assert_eq!(first["token"], limited_token.as_str(), "the link can be copied again: {first}");
    assert_eq!((first["max_uses"].as_i64(), first["uses"].as_i64()), (Some(1), Some(0)));
    assert!(first["expires_at"].is_string() && first["created_at"].is_string());
    assert_eq!(first["created_by"]["id"], owner.id);
    assert_eq!(list.body[1]["token"], open_token.as_str());
    assert!(
        !app.count_where("invites", &format!("token_hash = '{open_token}' OR token_seed = '{open_token}'")),
        "no token stored"
    );

    // Members may not see the links; outsiders learn nothing about the group.
    let by_member = app.get(&format!("/api/groups/{group}/invites"), Some(&member.token)).await;
    assert_eq!((by_member.status.as_u16(), by_member.code()), (403, "insufficient_role"));
    let by_outsider = app.get(&format!("/api/groups/{group}/invites"), Some(&outsider.token)).await;
    assert_eq!((by_outsider.status.as_u16(), by_outsider.code()), (404, "group_not_found"));
    let revoke_by_member = app.delete(&format!("/api/groups/{group}/invites/{open}"), Some(&member.token)).await;
    assert_eq!((revoke_by_member.status.as_u16(), revoke_by_member.code()), (403, "insufficient_role"));

    // Revoked: gone from the list, refused at once, revoking again is fine.
    let before = app.count("outbox_log");
    assert_eq!(app.delete(&format!("/api/groups/{group}/invites/{open}"), Some(&owner.token)).await.status, 204);
    assert_eq!(app.delete(&format!("/api/groups/{group}/invites/{open}"), Some(&owner.token)).await.status, 204);
    assert_eq!(ids(&app.get(&format!("/api/groups/{group}/invites"), Some(&owner.token)).await.body), [limited]);
    let refused = accept(&app, &outsider, &open_token).await;
    assert_eq!((refused.status.as_u16(), refused.code()), (410, "invite_revoked"), "{}", refused.body);
    assert_eq!(app.count("outbox_log"), before, "nobody joined");
    let unknown = app.delete(&format!("/api/groups/{group}/invites/987654"), Some(&owner.token)).await;
    assert_eq!((unknown.status.as_u16(), unknown.code()), (404, "invite_not_found"));
    let (other_group, _) = app.group(&owner, &[]).await;
    let elsewhere = app.delete(&format!("/api/groups/{other_group}/invites/{limited}"), Some(&owner.token)).await;
    assert_eq!((elsewhere.status.as_u16(), elsewhere.code()), (404, "invite_not_found"), "another group's invite");
    assert_eq!(accept(&app, &outsider, &limited_token).await.status, 200, "still live");
}

#[tokio::test]
async fn a_removed_member_cannot_return_with_an_older_link_but_one_who_left_can() {
    let app = spawn_app().await;
    let (owner, removed, leaver) =
        (app.register("owner").await, app.register("removed").await, app.register("leaver").await);
    let (group, _) = app.group(&owner, &[]).await;
    let (_, old_link) = invite(&app, &owner, group, json!({})).await;
    for user in [&removed, &leaver] {
        assert_eq!(accept(&app, user, &old_link).await.status, 200);
    }
    assert_eq!(
        app.delete(&format!("/api/groups/{group}/members/{}", removed.id), Some(&owner.token)).await.status,
        204
    );
    assert_eq!(app.post(&format!("/api/groups/{group}/leave"), Some(&leaver.token), json!({})).await.status, 204);

    let members = app.count("group_members");
    let back = accept(&app, &removed, &old_link).await;
    assert_eq!((back.status.as_u16(), back.code()), (403, "removed_from_group"), "{}", back.body);
    assert_eq!(app.count("group_members"), members, "not rejoined");
    assert_eq!(accept(&app, &leaver, &old_link).await.status, 200, "leaving is not a ban");

    // A link made after the removal is the admins' new decision; so is adding them back.
    let (_, new_link) = invite(&app, &owner, group, json!({})).await;
    assert_eq!(accept(&app, &removed, &new_link).await.status, 200);
    assert_eq!(
        app.delete(&format!("/api/groups/{group}/members/{}", removed.id), Some(&owner.token)).await.status,
        204
    );
    assert_eq!(accept(&app, &removed, &new_link).await.code(), "removed_from_group");
    let added = app.post(&format!("/api/groups/{group}/members/{}", removed.id), Some(&owner.token), json!({})).await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(app.post(&format!("/api/groups/{group}/leave"), Some(&removed.token), json!({})).await.status, 204);
    assert_eq!(accept(&app, &removed, &old_link).await.status, 200, "an admin's add lifts the removal");
}
