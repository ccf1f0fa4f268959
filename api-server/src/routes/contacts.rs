//! `/api/contacts`, `/api/blocks`.

use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use shared::api::{ContactDto, UserDto};
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::contacts;
use crate::http::{no_content, respond, Json};
use crate::limits;
use crate::state::AppState;
use shared::ids::UserId;

#[derive(Deserialize, ToSchema)]
pub struct AddContactRequest {
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub alias: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RenameContactRequest {
    /// null or empty removes the alias.
    pub alias: Option<String>,
}

/// My contacts.
#[utoipa::path(get, path = "/api/contacts", tag = "contacts", security(("bearer" = [])), responses(
    (status = 200, body = Vec<ContactDto>), (status = 401, body = ErrorBody)))]
#[get("/contacts")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let items = db::run(&state.pool, move |conn| contacts::list(conn, user.id)).await?;
    Ok(respond(StatusCode::OK, &items))
}

/// Add a contact (or set the alias of one).
#[utoipa::path(post, path = "/api/contacts", tag = "contacts", security(("bearer" = [])), request_body = AddContactRequest, responses(
    (status = 201, body = ContactDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/contacts")]
pub async fn add(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<AddContactRequest>,
) -> Result<HttpResponse, Error> {
    let b = body.0;
    let contact = state.write(move |conn| contacts::add(conn, user.id, b.user_id, b.alias.as_deref())).await?;
    Ok(respond(StatusCode::CREATED, &contact))
}

/// Rename a contact.
#[utoipa::path(patch, path = "/api/contacts/{user_id}", tag = "contacts", security(("bearer" = [])), params(("user_id" = i64, Path)),
    request_body = RenameContactRequest, responses((status = 200, body = ContactDto), (status = 401, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/contacts/{user_id}")]
pub async fn rename(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<UserId>,
    body: Json<RenameContactRequest>,
) -> Result<HttpResponse, Error> {
    let (id, alias) = (path.into_inner(), body.0.alias);
    let contact = db::run(&state.pool, move |conn| contacts::rename(conn, user.id, id, alias.as_deref())).await?;
    Ok(respond(StatusCode::OK, &contact))
}

/// Remove a contact.
#[utoipa::path(delete, path = "/api/contacts/{user_id}", tag = "contacts", security(("bearer" = [])), params(("user_id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/contacts/{user_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, Error> {
    let id = path.into_inner();
    state.write(move |conn| contacts::remove(conn, user.id, id)).await?;
    Ok(no_content())
}

/// Users I blocked.
#[utoipa::path(get, path = "/api/blocks", tag = "contacts", security(("bearer" = [])), responses(
    (status = 200, body = Vec<UserDto>), (status = 401, body = ErrorBody)))]
#[get("/blocks")]
pub async fn blocked(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let items = db::run(&state.pool, move |conn| contacts::blocked(conn, user.id)).await?;
    Ok(respond(StatusCode::OK, &items))
}

/// Block a user: no direct chat between us can be opened or written to, no message in it edited
/// or reacted to, no typing shown, and neither of us can add the other to a group (code `blocked`).
#[utoipa::path(put, path = "/api/blocks/{user_id}", tag = "contacts", security(("bearer" = [])), params(("user_id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    (status = 429, description = "rate_limited (blocks, unblocks and privacy changes per user)", body = ErrorBody)))]
#[put("/blocks/{user_id}")]
pub async fn block(state: web::Data<AppState>, user: AuthUser, path: web::Path<UserId>) -> Result<HttpResponse, Error> {
    let id = path.into_inner();
    limits::check(&state, limits::privacy(&state), user.id.to_string()).await?;
    state.write(move |conn| contacts::block(conn, user.id, id)).await?;
    Ok(no_content())
}

/// Unblock a user (idempotent).
#[utoipa::path(delete, path = "/api/blocks/{user_id}", tag = "contacts", security(("bearer" = [])), params(("user_id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody),
    (status = 429, description = "rate_limited (blocks, unblocks and privacy changes per user)", body = ErrorBody)))]
#[delete("/blocks/{user_id}")]
pub async fn unblock(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, Error> {
    let id = path.into_inner();
    limits::check(&state, limits::privacy(&state), user.id.to_string()).await?;
    state.write(move |conn| contacts::unblock(conn, user.id, id)).await?;
    Ok(no_content())
}
