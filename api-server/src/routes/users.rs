//! `/api/me`, `/api/users`.

use actix_web::http::StatusCode;
use actix_web::{get, patch, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::api::{MeDto, Page, ProfileDto, Theme, UserDto};
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::users::{self, ProfileUpdate};
use crate::http::{double_option, respond, Json};
use crate::state::AppState;
use shared::ids::{AttachmentId, UserId};

#[derive(Deserialize, ToSchema)]
pub struct UpdateMeRequest {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    /// An upload of mine, or null to remove the avatar.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub avatar_id: Option<Option<AttachmentId>>,
    /// Do not disturb until this time; null turns it off.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub dnd_until: Option<Option<DateTime<Utc>>>,
    /// Up to 80 characters; "" clears it.
    pub status_text: Option<String>,
    /// One emoji; "" clears it.
    pub status_emoji: Option<String>,
    /// The web client's theme (another value: 422 `validation_failed` naming `theme`).
    pub theme: Option<Theme>,
}

#[derive(Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Prefix of a username or display name.
    pub q: String,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1-100, default 50.
    pub limit: Option<i64>,
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/me", tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let profile = db::run(&state.pool, move |conn| users::me(conn, user.id)).await?;
    Ok(respond(StatusCode::OK, &profile))
}

/// Change my display name, bio, avatar, do-not-disturb time, status or theme.
#[utoipa::path(patch, path = "/api/me", tag = "users", security(("bearer" = [])), request_body = UpdateMeRequest, responses(
    (status = 200, body = MeDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<UpdateMeRequest>,
) -> Result<HttpResponse, Error> {
    let b = body.0;
    let update = ProfileUpdate {
        display_name: b.display_name,
        bio: b.bio,
        avatar_id: b.avatar_id,
        dnd_until: b.dnd_until,
        status_text: b.status_text,
        status_emoji: b.status_emoji,
        theme: b.theme,
    };
    let profile = state.write(move |conn| users::update_profile(conn, user.id, update)).await?;
    Ok(respond(StatusCode::OK, &profile))
}

/// Find users by the start of their username or display name.
#[utoipa::path(get, path = "/api/users", tag = "users", security(("bearer" = [])), params(SearchQuery), responses(
    (status = 200, body = Page<UserDto>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/users")]
pub async fn search(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, Error> {
    let q = query.into_inner();
    let page =
        db::run(&state.pool, move |conn| users::search(conn, user.id, &q.q, q.cursor.as_deref(), q.limit)).await?;
    Ok(respond(StatusCode::OK, &page))
}

/// A user's public profile.
#[utoipa::path(get, path = "/api/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = UserDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/users/{id}")]
pub async fn get(state: web::Data<AppState>, user: AuthUser, id: web::Path<UserId>) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let dto = db::run(&state.pool, move |conn| users::get(conn, user.id, id)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// A user's profile panel: the user as I may see them, the groups we share, and whether they
/// are my contact, blocked by me, and our direct chat.
#[utoipa::path(get, path = "/api/users/{id}/profile", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = ProfileDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/users/{id}/profile")]
pub async fn profile_of(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<UserId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let dto = db::run(&state.pool, move |conn| users::profile(conn, user.id, id)).await?;
    Ok(respond(StatusCode::OK, &dto))
}
