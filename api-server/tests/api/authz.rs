//! An authorization matrix generated from the OpenAPI document: every operation is called
//! without a token, with a forged one, and (when it names a resource) by an outsider with a
//! valid body; administration routes by a non-admin. Denials must be 401 / 403 / 404 with a
//! JSON error code, identical for another user's resource and for one that does not exist (no
//! existence oracle), must not echo the owner's data, and must leave every table unchanged.
//!
//! A new route fails this test until it is classified below: either a body is given for its
//! request schema, or it is listed as self-scoped (it acts on the caller's own data only).

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{png, spawn_app, Reply, TestApp, User};

/// Operations that act on the caller's own data, or on nothing owned by someone else.
/// (`/api/invites/{token}/accept` is the one deliberate capability: whoever holds a live token
/// may join; an unknown token is checked below.)
const SELF_SCOPED: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/api/openapi.json"),
    ("get", "/api/me/media-usage"),
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/logout"),
    ("post", "/api/auth/ws-ticket"),
    ("post", "/api/auth/email/verify"),
    ("post", "/api/auth/password/forgot"),
    ("post", "/api/auth/password/reset"),
    ("put", "/api/me/email"),
    ("post", "/api/me/email/verification"),
    ("get", "/api/auth/oidc/providers"),
    ("get", "/api/auth/oidc/{provider}/start"),
    ("get", "/api/auth/oidc/{provider}/callback"),
    ("post", "/api/auth/oidc/complete"),
    ("get", "/api/me/identities"),
    ("post", "/api/me/identities/{provider}"),
    ("delete", "/api/me/identities/{provider}"),
    ("get", "/api/sessions"),
    ("post", "/api/auth/login/second-factor"),
    ("post", "/api/me/2fa"),
    ("post", "/api/me/2fa/confirm"),
    ("delete", "/api/me/2fa"),
    ("get", "/api/me/privacy"),
    ("put", "/api/me/privacy"),
    ("delete", "/api/sessions"),
    ("get", "/api/me"),
    ("patch", "/api/me"),
    ("get", "/api/users"),
    ("get", "/api/users/{id}"),
    ("get", "/api/users/{id}/profile"),
    ("post", "/api/avatars/me"),
    ("delete", "/api/avatars/me"),
    ("get", "/api/presence"),
    ("get", "/api/search"),
    ("get", "/api/contacts"),
    ("post", "/api/contacts"),
    ("patch", "/api/contacts/{user_id}"),
    ("delete", "/api/contacts/{user_id}"),
    ("get", "/api/blocks"),
    ("put", "/api/blocks/{user_id}"),
    ("delete", "/api/blocks/{user_id}"),
    ("get", "/api/conversations"),
    ("post", "/api/conversations/direct"),
    ("post", "/api/groups"),
    ("post", "/api/invites/{token}/accept"),
    ("post", "/api/media"),
];

/// Tables whose content must not change when a request is denied.
const TABLES: &[&str] = &[
    "users",
    "contacts",
    "blocks",
    "conversations",
    "conversation_members",
    "groups",
    "group_members",
    "invites",
    "group_removals",
    "messages",
    "attachments",
    "reactions",
    "reports",
    "outbox_log",
    "email_tokens",
];

/// What the owner created, and the strings that must never reach the outsider.
struct Fixture {
    outsider: User,
    direct: i64,
    group: i64,
    channel: i64,
    extra_channel: i64,
    message: i64,
    media: i64,
    report: i64,
    session: String,
    member: i64,
    invite: i64,
    secrets: Vec<String>,
}

async fn fixture(app: &TestApp) -> Fixture {
    let owner = app.register("owner").await;
    let member = app.register("member").await;
    let outsider = app.register("outsider").await;
    let direct = app.direct(&owner, &member).await;
    let sent = app.send(&owner, direct, "secret-direct-body").await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let upload = app.upload(&owner, "image", "secret-photo.png", &png(8, 8)).await;
    assert_eq!(upload.status, 201, "{}", upload.body);
    let media = upload.body["id"].as_i64().expect("media id");
    assert_eq!(app.send_media(&owner, direct, "image", media).await.status, 201);
    let report = app
        .post(
            &format!("/api/messages/{}/report", sent.body["id"]),
            Some(&member.token),
            json!({"reason": "secret-report"}),
        )
        .await;
    assert_eq!(report.status, 201, "{}", report.body);
    let (group, channel) = app.group(&owner, &[&member]).await;
    assert_eq!(app.send(&member, channel, "secret-channel-body").await.status, 201);
    let extra =
        app.post(&format!("/api/groups/{group}/channels"), Some(&owner.token), json!({"name": "secret-room"})).await;
    assert_eq!(extra.status, 201, "{}", extra.body);
    let invite = app.post(&format!("/api/groups/{group}/invites"), Some(&owner.token), json!({})).await;
    assert_eq!(invite.status, 201, "{}", invite.body);
    let added =
        app.post("/api/contacts", Some(&owner.token), json!({"user_id": member.id, "alias": "secret-alias"})).await;
    assert!(added.status.is_success(), "{}", added.body);
    Fixture {
        outsider,
        direct,
        group,
        channel,
        extra_channel: extra.body["id"].as_i64().expect("channel id"),
        message: sent.body["id"].as_i64().expect("message id"),
        media,
        report: report.body["id"].as_i64().expect("report id"),
        session: app.get("/api/sessions", Some(&owner.token)).await.body[0]["id"].as_str().expect("session").to_owned(),
        member: member.id,
        invite: invite.body["id"].as_i64().expect("invite id"),
        secrets: vec![
            "secret-direct-body".into(),
            "secret-channel-body".into(),
            "secret-room".into(),
            "secret-alias".into(),
            "secret-photo".into(),
            "secret-report".into(),
            "Team".into(),
            invite.body["token"].as_str().expect("invite token").to_owned(),
        ],
    }
}

/// A valid body for a request schema, so that a denial is about authorization, not validation.
fn body_for(schema: &str) -> Value {
    match schema {
        "SendRequest" => json!({"client_id": uuid::Uuid::new_v4(), "body": "intruder"}),
        "ReceiptRequest" => json!({"delivered_seq": 1, "read_seq": 1}),
        "MuteRequest" => json!({}),
        "EditRequest" => json!({"body": "intruder"}),
        "UpdateGroupRequest" => json!({"name": "intruder"}),
        "RoleRequest" => json!({"role": "admin"}),
        "ChannelRequest" => json!({"name": "intruder"}),
        "InviteRequest" => json!({}),
        "UpdateMeRequest" => json!({"display_name": "intruder"}),
        "PrivacyRequest" => json!({"last_seen": "nobody"}),
        "AddContactRequest" => json!({"user_id": 1}),
        "RenameContactRequest" => json!({"alias": "intruder"}),
        "DirectRequest" => json!({"user_id": 1}),
        "CreateGroupRequest" => json!({"name": "intruder", "member_ids": []}),
        "RegisterRequest" | "LoginRequest" => json!({"username": "intruder", "password": "password123"}),
        "RefreshRequest" => json!({"refresh_token": "intruder"}),
        "ReportRequest" | "SuspendRequest" => json!({"reason": "intruder"}),
        "ResolveRequest" => json!({"decision": "dismiss"}),
        "RetentionRequest" => json!({"days": 7}),
        "SecondFactorRequest" => json!({"mfa_token": "intruder", "code": "123456"}),
        "ConfirmRequest" => json!({"code": "123456"}),
        "DisableRequest" => json!({"code": "123456"}),
        "TokenRequest" => json!({"token": "intruder"}),
        "ForgotRequest" => json!({"email": "intruder@example.com"}),
        "ResetRequest" => json!({"token": "intruder", "password": "password123"}),
        "ChangeEmailRequest" => json!({"email": "intruder@example.com", "password": "password123"}),
        "CompleteRequest" => json!({"code": "intruder"}),
        other => panic!("authz matrix: give a valid body for request schema {other}"),
    }
}

/// Every (method, path template, request schema) of the OpenAPI document.
async fn operations(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    let doc = app.get("/api/openapi.json", None).await;
    let mut ops = Vec::new();
    for (path, item) in doc.body["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let schema = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned());
            ops.push((method.clone(), path.clone(), schema));
        }
    }
    assert!(ops.len() >= 48, "only {} operations found", ops.len());
    ops
}

/// Fills a path template with the fixture's ids (`real`) or with ids that exist nowhere.
fn fill(path: &str, fx: &Fixture, conversation: i64, real: bool) -> String {
    let pick = |id: i64| if real { id.to_string() } else { "987654321".to_owned() };
    path.replace("/api/conversations/{id}", &format!("/api/conversations/{}", pick(conversation)))
        .replace("/api/messages/{id}", &format!("/api/messages/{}", pick(fx.message)))
        .replace("/api/groups/{id}", &format!("/api/groups/{}", pick(fx.group)))
        .replace("/api/avatars/groups/{id}", &format!("/api/avatars/groups/{}", pick(fx.group)))
        .replace("/api/media/{id}", &format!("/api/media/{}", pick(fx.media)))
        .replace(
            "/api/sessions/{id}",
            &format!("/api/sessions/{}", if real { fx.session.clone() } else { uuid::Uuid::nil().to_string() }),
        )
        .replace("/api/admin/users/{id}", &format!("/api/admin/users/{}", pick(fx.member)))
        .replace("/api/admin/reports/{id}", &format!("/api/admin/reports/{}", pick(fx.report)))
        .replace("{user_id}", &pick(fx.member))
        .replace("{cid}", &pick(fx.extra_channel))
        .replace("{invite_id}", &pick(fx.invite))
        .replace("{emoji}", "%F0%9F%91%8D")
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.to_uppercase().as_bytes()).expect("method")
}

fn fingerprint(app: &TestApp) -> Vec<(String, String)> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Digest {
        #[diesel(sql_type = diesel::sql_types::Text)]
        digest: String,
    }
    let mut conn = app.env.db.connect();
    TABLES
        .iter()
        .map(|t| {
            let sql =
                format!("SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS digest FROM {t} x");
            let d = diesel::sql_query(sql).get_result::<Digest>(&mut conn).expect("digest");
            (t.to_string(), d.digest)
        })
        .collect()
}

fn assert_denied(reply: &Reply, what: &str, allowed: &[u16], secrets: &[String]) {
    assert!(
        allowed.contains(&reply.status.as_u16()),
        "{what}: expected one of {allowed:?}, got {} {}",
        reply.status,
        reply.body
    );
    assert!(!reply.code().is_empty(), "{what}: no JSON error code in {}", reply.body);
    let text = reply.body.to_string();
    for s in secrets {
        assert!(!text.contains(s.as_str()), "{what}: error body leaks {s:?}: {text}");
    }
}

#[tokio::test]
async fn every_route_denies_outsiders_and_anonymous_callers_without_leaking_or_changing_data() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    // The relay marks the fixture's outbox rows published in the background: let it finish, so
    // the fingerprint only changes if a denied request changed something.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.count_where("outbox", "published_at IS NULL") {
        assert!(std::time::Instant::now() < deadline, "the outbox did not drain");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let before = fingerprint(&app);
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    let mut checked = 0;

    for (verb, path, schema) in operations(&app).await {
        let public = path.starts_with("/api/auth/") && verb == "post" && path != "/api/auth/ws-ticket"
            || path.starts_with("/api/auth/oidc/")
            || !path.starts_with("/api/")
            || path == "/api/openapi.json";
        let body = schema.as_deref().map(body_for);
        let real_path = fill(&path, &fx, fx.direct, true);

        // Anonymous and forged-token callers never reach a protected handler.
        if !public {
            for token in [None, Some(forged)] {
                let reply = app.request(method(&verb), &real_path, token, body.clone()).await;
                assert_denied(&reply, &format!("{verb} {path} with token {token:?}"), &[401], &fx.secrets);
            }
        }

        if SELF_SCOPED.contains(&(verb.as_str(), path.as_str())) {
            continue;
        }
        // Administration: a non-admin is refused before the named resource is looked up.
        if path.starts_with("/api/admin/") {
            for real in [true, false] {
                let reply = app
                    .request(method(&verb), &fill(&path, &fx, fx.direct, real), Some(&fx.outsider.token), body.clone())
                    .await;
                assert_denied(&reply, &format!("{verb} {path} by a non-admin"), &[403], &fx.secrets);
                assert_eq!(reply.code(), "admin_only", "{verb} {path}");
            }
            checked += 1;
            continue;
        }
        assert!(path.contains('{'), "{verb} {path}: not self-scoped and names no resource: classify it");
        // The outsider, on the owner's resources (both conversation kinds) and on missing ones.
        let conversations: &[i64] =
            if path.starts_with("/api/conversations/{id}") { &[fx.direct, fx.channel] } else { &[fx.direct] };
        for &conversation in conversations {
            let foreign = app
                .request(method(&verb), &fill(&path, &fx, conversation, true), Some(&fx.outsider.token), body.clone())
                .await;
            let what = format!("{verb} {path} (conversation {conversation}) by an outsider");
            assert_denied(&foreign, &what, &[403, 404], &fx.secrets);
            let missing = app
                .request(method(&verb), &fill(&path, &fx, conversation, false), Some(&fx.outsider.token), body.clone())
                .await;
            assert_eq!(
                (foreign.status, foreign.code()),
                (missing.status, missing.code()),
                "{what}: another user's resource must look like a missing one"
            );
            checked += 1;
        }
    }
    eprintln!("authz matrix: {checked} outsider checks on other users' resources, each compared with a missing one");
    assert!(checked >= 25, "only {checked} resource operations checked");
    assert_eq!(fingerprint(&app), before, "a denied request changed stored data");
}

#[tokio::test]
async fn an_outsider_sees_none_of_the_owners_data_in_their_own_lists() {
    let app = spawn_app().await;
    let fx = fixture(&app).await;
    let token = Some(fx.outsider.token.as_str());
    for path in
        ["/api/conversations", "/api/contacts", "/api/blocks", "/api/me", "/api/users?q=mem", "/api/search?q=secret"]
    {
        let reply = app.get(path, token).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        let text = reply.body.to_string();
        for s in &fx.secrets {
            assert!(!text.contains(s.as_str()), "{path} leaks {s:?}: {text}");
        }
    }
    let unknown_invite = app.post("/api/invites/not-a-real-token/accept", token, json!({})).await;
    assert_denied(&unknown_invite, "unknown invite token", &[404, 410], &fx.secrets);
    let joined = app.get(&format!("/api/groups/{}", fx.group), token).await;
    assert_eq!(joined.status, 404, "still not a member: {}", joined.body);
}
