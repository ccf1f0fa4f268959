//! `/api/groups/{id}/invites[/{invite_id}]`, `/api/invites/{token}/accept`.

use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use shared::api::{GroupDto, InviteDto, InviteLinkDto};
use shared::error::ErrorBody;
use shared::invite_links::InviteLinks;
use shared::{db, Error};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::invites::{self, NewLink};
use crate::http::{no_content, respond, Json};
use crate::state::AppState;
use shared::ids::{GroupId, InviteId};

#[derive(Deserialize, ToSchema)]
pub struct InviteRequest {
    /// 60 s to 30 days; absent: no expiry.
    pub expires_in_secs: Option<i64>,
    /// Absent: unlimited.
    pub max_uses: Option<i32>,
}

fn links(state: &AppState) -> InviteLinks {
    InviteLinks::new(&state.settings.jwt_secret)
}

/// Create an invite link (admins). Admins can copy it again from the list of live links.
#[utoipa::path(post, path = "/api/groups/{id}/invites", tag = "groups", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = InviteRequest, responses((status = 201, body = InviteDto), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/groups/{id}/invites")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<GroupId>,
    body: Json<InviteRequest>,
) -> Result<HttpResponse, Error> {
    let (id, b, links) = (id.into_inner(), body.0, links(&state));
    let link = NewLink { expires_in_secs: b.expires_in_secs, max_uses: b.max_uses };
    let dto = state.write(move |conn| invites::create(conn, &links, user.id, id, link)).await?;
    Ok(respond(StatusCode::CREATED, &dto))
}

/// The group's live invite links (not revoked, expired or used up), newest first, each with its
/// token to copy again (admins).
#[utoipa::path(get, path = "/api/groups/{id}/invites", tag = "groups", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<InviteLinkDto>), (status = 401, body = ErrorBody),
    (status = 403, description = "insufficient_role", body = ErrorBody), (status = 404, description = "group_not_found", body = ErrorBody)))]
#[get("/groups/{id}/invites")]
pub async fn list(state: web::Data<AppState>, user: AuthUser, id: web::Path<GroupId>) -> Result<HttpResponse, Error> {
    let (id, links) = (id.into_inner(), links(&state));
    let items = db::run(&state.pool, move |conn| invites::list(conn, &links, user.id, id)).await?;
    Ok(respond(StatusCode::OK, &items))
}

/// Revoke an invite link (admins): it stops working at once. Idempotent.
#[utoipa::path(delete, path = "/api/groups/{id}/invites/{invite_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = i64, Path), ("invite_id" = i64, Path)), responses((status = 204), (status = 401, body = ErrorBody),
    (status = 403, description = "insufficient_role", body = ErrorBody),
    (status = 404, description = "group_not_found | invite_not_found", body = ErrorBody)))]
#[delete("/groups/{id}/invites/{invite_id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(GroupId, InviteId)>,
) -> Result<HttpResponse, Error> {
    let (id, invite_id) = path.into_inner();
    db::run(&state.pool, move |conn| invites::revoke(conn, user.id, id, invite_id)).await?;
    Ok(no_content())
}

/// Join a group with an invite link.
#[utoipa::path(post, path = "/api/invites/{token}/accept", tag = "groups", security(("bearer" = [])), params(("token" = String, Path)),
    responses((status = 200, body = GroupDto), (status = 401, body = ErrorBody),
    (status = 403, description = "removed_from_group (an admin removed me after the link was made)", body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 410, description = "invite_expired | invite_revoked", body = ErrorBody)))]
#[post("/invites/{token}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    user: AuthUser,
    token: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let token = token.into_inner();
    let dto = state.write(move |conn| invites::accept(conn, user.id, &token)).await?;
    Ok(respond(StatusCode::OK, &dto))
}
