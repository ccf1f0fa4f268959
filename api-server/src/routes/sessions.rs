//! `/api/sessions`: my signed-in devices.

use actix_web::http::StatusCode;
use actix_web::{delete, get, web, HttpResponse};
use serde::Serialize;
use shared::api::SessionDto;
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::sessions;
use crate::http::{no_content, respond};
use crate::state::AppState;

/// My live sessions, most recently active first; `current` marks this one.
#[utoipa::path(get, path = "/api/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = [SessionDto]), (status = 401, body = ErrorBody)))]
#[get("/sessions")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let items = db::run(&state.pool, move |conn| sessions::list(conn, user.id, user.session)).await?;
    Ok(respond(StatusCode::OK, &items))
}

/// Sign one of my sessions out: its refresh token stops working, its sockets close (4001) and
/// its access token is refused at once.
#[utoipa::path(delete, path = "/api/sessions/{id}", tag = "auth", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/sessions/{id}")]
pub async fn revoke(state: web::Data<AppState>, user: AuthUser, id: web::Path<Uuid>) -> Result<HttpResponse, Error> {
    let (target, cache) = (id.into_inner(), state.cache.clone());
    state.write(move |conn| sessions::revoke(conn, &cache, user.id, target)).await?;
    Ok(no_content())
}

#[derive(Serialize, ToSchema)]
pub struct RevokedOthers {
    /// How many sessions were signed out.
    pub revoked: usize,
}

/// Sign out every other session of mine.
#[utoipa::path(delete, path = "/api/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = RevokedOthers), (status = 401, body = ErrorBody)))]
#[delete("/sessions")]
pub async fn revoke_others(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let cache = state.cache.clone();
    let revoked = state.write(move |conn| sessions::revoke_others(conn, &cache, user.id, user.session)).await?;
    Ok(respond(StatusCode::OK, &RevokedOthers { revoked }))
}
