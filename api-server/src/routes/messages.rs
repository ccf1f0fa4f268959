//! `/api/messages/{id}`: edit, delete, reactions, reports.

use actix_web::http::StatusCode;
use actix_web::{delete, patch, post, put, web, HttpResponse};
use serde::Deserialize;
use shared::api::{MessageDto, ReportReceiptDto};
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::{messages, reactions, reports};
use crate::http::{no_content, respond, Json};
use crate::state::AppState;
use shared::ids::MessageId;

#[derive(Deserialize, ToSchema)]
pub struct EditRequest {
    pub body: String,
}

/// Edit my message.
#[utoipa::path(patch, path = "/api/messages/{id}", tag = "messages", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = EditRequest, responses((status = 200, body = MessageDto), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/messages/{id}")]
pub async fn edit(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<MessageId>,
    body: Json<EditRequest>,
) -> Result<HttpResponse, Error> {
    let (id, text) = (id.into_inner(), body.0.body);
    let dto = state.write(move |conn| messages::edit(conn, user.id, id, &text)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Delete a message (mine, or any as a group admin); a tombstone stays.
#[utoipa::path(delete, path = "/api/messages/{id}", tag = "messages", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/messages/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<MessageId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    state.write(move |conn| messages::delete(conn, user.id, id)).await?;
    Ok(no_content())
}

/// Add my reaction (one emoji, URL-encoded in the path) to a message I can see. Idempotent.
#[utoipa::path(put, path = "/api/messages/{id}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), ("emoji" = String, Path)),
    responses((status = 200, body = MessageDto), (status = 401, body = ErrorBody),
    (status = 403, description = "blocked (a direct chat with a block either way)", body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/messages/{id}/reactions/{emoji}")]
pub async fn react(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(MessageId, String)>,
) -> Result<HttpResponse, Error> {
    set_reaction(state, user, path.into_inner(), true).await
}

/// Remove my reaction. Idempotent.
#[utoipa::path(delete, path = "/api/messages/{id}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), ("emoji" = String, Path)),
    responses((status = 200, body = MessageDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[delete("/messages/{id}/reactions/{emoji}")]
pub async fn unreact(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(MessageId, String)>,
) -> Result<HttpResponse, Error> {
    set_reaction(state, user, path.into_inner(), false).await
}

async fn set_reaction(
    state: web::Data<AppState>,
    user: AuthUser,
    (id, emoji): (MessageId, String),
    on: bool,
) -> Result<HttpResponse, Error> {
    let dto = state.write(move |conn| reactions::react(conn, user.id, id, &emoji, on)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

#[derive(Deserialize, ToSchema)]
pub struct ReportRequest {
    /// Why (1-500 characters); shown to the administrators.
    pub reason: String,
}

/// Report a message I can see (not my own) to the administrators. Reporting it again
/// returns the first report.
#[utoipa::path(post, path = "/api/messages/{id}/report", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReportRequest,
    responses((status = 201, body = ReportReceiptDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/messages/{id}/report")]
pub async fn report(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<MessageId>,
    body: Json<ReportRequest>,
) -> Result<HttpResponse, Error> {
    let (id, reason) = (id.into_inner(), body.0.reason);
    let receipt = db::run(&state.pool, move |conn| reports::file(conn, user.id, id, &reason)).await?;
    Ok(respond(StatusCode::CREATED, &receipt))
}
