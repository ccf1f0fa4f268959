//! `/api/presence`.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use shared::error::ErrorBody;
use shared::events::PresenceEvent;
use shared::Error;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::domain::presence;
use crate::http::respond;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct PresenceQuery {
    /// Comma-separated user ids, at most 200.
    pub ids: String,
}

/// Online now and last seen, per user (the socket pushes changes as `presence` events).
#[utoipa::path(get, path = "/api/presence", tag = "users", security(("bearer" = [])), params(PresenceQuery), responses(
    (status = 200, body = Vec<PresenceEvent>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/presence")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PresenceQuery>,
) -> Result<HttpResponse, Error> {
    let ids = presence::parse_ids(&query.ids)?;
    let list = presence::lookup(&state, user.id, ids).await?;
    Ok(respond(StatusCode::OK, &list))
}
