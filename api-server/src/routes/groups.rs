//! `/api/groups/*` (invite links: `invites.rs`).

use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use shared::api::{ChannelDto, GroupDto};
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::groups::{self, GroupUpdate, NewGroup};
use crate::http::{double_option, no_content, respond, Json};
use crate::state::AppState;
use shared::ids::{AttachmentId, ConversationId, GroupId, UserId};

#[derive(Deserialize, ToSchema)]
pub struct CreateGroupRequest {
    pub name: String,
    pub description: Option<String>,
    /// Initial members besides me (at most 200).
    #[serde(default)]
    #[schema(value_type = Vec<i64>)]
    pub member_ids: Vec<UserId>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateGroupRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub avatar_id: Option<Option<AttachmentId>>,
}

#[derive(Deserialize, ToSchema)]
pub struct RoleRequest {
    /// owner (transfers ownership) | admin | member
    pub role: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ChannelRequest {
    pub name: String,
}

/// Create a group (I am its owner) with a `general` channel.
#[utoipa::path(post, path = "/api/groups", tag = "groups", security(("bearer" = [])), request_body = CreateGroupRequest, responses(
    (status = 201, body = GroupDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, description = "blocked | group_add_not_allowed (a member named)", body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/groups")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<CreateGroupRequest>,
) -> Result<HttpResponse, Error> {
    let b = body.0;
    let input = NewGroup { name: b.name, description: b.description, member_ids: b.member_ids };
    let dto = state.write(move |conn| groups::create(conn, user.id, input)).await?;
    Ok(respond(StatusCode::CREATED, &dto))
}

/// A group I am a member of, with channels and members.
#[utoipa::path(get, path = "/api/groups/{id}", tag = "groups", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = GroupDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/groups/{id}")]
pub async fn get(state: web::Data<AppState>, user: AuthUser, id: web::Path<GroupId>) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let dto = db::run(&state.pool, move |conn| groups::get(conn, user.id, id)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Edit name, description or avatar (admins).
#[utoipa::path(patch, path = "/api/groups/{id}", tag = "groups", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = UpdateGroupRequest, responses((status = 200, body = GroupDto), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/groups/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<GroupId>,
    body: Json<UpdateGroupRequest>,
) -> Result<HttpResponse, Error> {
    let (id, b) = (id.into_inner(), body.0);
    let update = GroupUpdate { name: b.name, description: b.description, avatar_id: b.avatar_id };
    let dto = state.write(move |conn| groups::update(conn, user.id, id, update)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Delete the group (the owner): its channels, messages, receipts, invite links and media go
/// with it, and every member is told live (`conversation.updated` with reason `deleted`,
/// `group_id` and no `conversation_id`).
#[utoipa::path(delete, path = "/api/groups/{id}", tag = "groups", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody),
    (status = 403, description = "insufficient_role (not the owner)", body = ErrorBody),
    (status = 404, description = "group_not_found (no such group, or not a member)", body = ErrorBody)))]
#[delete("/groups/{id}")]
pub async fn delete_group(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<GroupId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    state.write(move |conn| groups::delete(conn, user.id, id)).await?;
    Ok(no_content())
}

/// Add a member (admins).
#[utoipa::path(post, path = "/api/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = i64, Path), ("user_id" = i64, Path)), responses((status = 200, body = GroupDto), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/groups/{id}/members/{user_id}")]
pub async fn add_member(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(GroupId, UserId)>,
) -> Result<HttpResponse, Error> {
    let (id, member) = path.into_inner();
    let dto = state.write(move |conn| groups::add_member(conn, user.id, id, member)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Remove a member (admins remove members; the owner also admins). Removing myself = leave.
#[utoipa::path(delete, path = "/api/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = i64, Path), ("user_id" = i64, Path)), responses((status = 204), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/groups/{id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(GroupId, UserId)>,
) -> Result<HttpResponse, Error> {
    let (id, member) = path.into_inner();
    state.write(move |conn| groups::remove_member(conn, user.id, id, member)).await?;
    Ok(no_content())
}

/// Change a member's role (owner); `owner` transfers ownership.
#[utoipa::path(patch, path = "/api/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = i64, Path), ("user_id" = i64, Path)), request_body = RoleRequest, responses((status = 200, body = GroupDto),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/groups/{id}/members/{user_id}")]
pub async fn set_role(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(GroupId, UserId)>,
    body: Json<RoleRequest>,
) -> Result<HttpResponse, Error> {
    let ((id, member), role) = (path.into_inner(), body.0.role);
    let dto = state.write(move |conn| groups::set_role(conn, user.id, id, member, &role)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Leave the group (the owner must transfer ownership first, unless alone).
#[utoipa::path(post, path = "/api/groups/{id}/leave", tag = "groups", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/groups/{id}/leave")]
pub async fn leave(state: web::Data<AppState>, user: AuthUser, id: web::Path<GroupId>) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    state.write(move |conn| groups::leave(conn, user.id, id)).await?;
    Ok(no_content())
}

/// Create a channel (admins).
#[utoipa::path(post, path = "/api/groups/{id}/channels", tag = "groups", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ChannelRequest, responses((status = 201, body = ChannelDto), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/groups/{id}/channels")]
pub async fn create_channel(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<GroupId>,
    body: Json<ChannelRequest>,
) -> Result<HttpResponse, Error> {
    let (id, name) = (id.into_inner(), body.0.name);
    let dto = state.write(move |conn| groups::create_channel(conn, user.id, id, &name)).await?;
    Ok(respond(StatusCode::CREATED, &dto))
}

/// Rename a channel (admins).
#[utoipa::path(patch, path = "/api/groups/{id}/channels/{cid}", tag = "groups", security(("bearer" = [])),
    params(("id" = i64, Path), ("cid" = i64, Path)), request_body = ChannelRequest, responses((status = 200, body = ChannelDto),
    (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 422, body = ErrorBody)))]
#[patch("/groups/{id}/channels/{cid}")]
pub async fn rename_channel(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(GroupId, ConversationId)>,
    body: Json<ChannelRequest>,
) -> Result<HttpResponse, Error> {
    let ((id, cid), name) = (path.into_inner(), body.0.name);
    let dto = state.write(move |conn| groups::rename_channel(conn, user.id, id, cid, &name)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Delete a channel and its messages (admins; the last channel stays).
#[utoipa::path(delete, path = "/api/groups/{id}/channels/{cid}", tag = "groups", security(("bearer" = [])),
    params(("id" = i64, Path), ("cid" = i64, Path)), responses((status = 204), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[delete("/groups/{id}/channels/{cid}")]
pub async fn delete_channel(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(GroupId, ConversationId)>,
) -> Result<HttpResponse, Error> {
    let (id, cid) = path.into_inner();
    state.write(move |conn| groups::delete_channel(conn, user.id, id, cid)).await?;
    Ok(no_content())
}
