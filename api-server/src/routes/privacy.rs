//! `/api/me/privacy`: who sees my presence and reads, who may start a chat with me or add me.

use actix_web::http::StatusCode;
use actix_web::{get, put, web, HttpResponse};
use serde::Deserialize;
use shared::api::{Audience, PrivacyDto};
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::privacy::{self, PrivacyUpdate};
use crate::http::{respond, Json};
use crate::limits;
use crate::state::AppState;

/// Every field optional; the others stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyRequest {
    pub last_seen: Option<Audience>,
    pub read_receipts: Option<bool>,
    pub direct_messages: Option<Audience>,
    pub group_adds: Option<Audience>,
}

/// My privacy settings.
#[utoipa::path(get, path = "/api/me/privacy", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = PrivacyDto), (status = 401, body = ErrorBody)))]
#[get("/me/privacy")]
pub async fn get(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let dto = db::run(&state.pool, move |conn| privacy::get(conn, user.id)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Change my privacy settings. Open sockets follow at once: presence watchers who may no longer
/// see me are told I am offline, and receipts stop showing reads.
#[utoipa::path(put, path = "/api/me/privacy", tag = "users", security(("bearer" = [])), request_body = PrivacyRequest,
    responses((status = 200, body = PrivacyDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 422, body = ErrorBody),
    (status = 429, description = "rate_limited (blocks, unblocks and privacy changes per user)", body = ErrorBody)))]
#[put("/me/privacy")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<PrivacyRequest>,
) -> Result<HttpResponse, Error> {
    limits::check(&state, limits::privacy(&state), user.id.to_string()).await?;
    let b = body.0;
    let update = PrivacyUpdate {
        last_seen: b.last_seen,
        read_receipts: b.read_receipts,
        direct_messages: b.direct_messages,
        group_adds: b.group_adds,
    };
    let dto = state.write(move |conn| privacy::update(conn, user.id, update)).await?;
    Ok(respond(StatusCode::OK, &dto))
}
