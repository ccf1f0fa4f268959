//! `/api/avatars/me`, `/api/avatars/groups/{id}` (one prefix, so a proxy gives only these and
//! `/api/media` large bodies): upload (multipart, one image) and remove.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{delete, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use shared::api::{GroupDto, MeDto};
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::domain::avatars::{self, Destination};
use crate::domain::media::UploadKind;
use crate::http::respond;
use crate::media::images::Crop;
use crate::routes::media::{admit, read_file_part, UploadForm};
use crate::state::AppState;
use shared::ids::GroupId;

/// The square to cut, in pixels of the image as displayed; none: the largest centred square.
#[derive(Deserialize, IntoParams)]
pub struct CropQuery {
    /// Left edge of the crop square.
    pub x: Option<u32>,
    /// Top edge of the crop square.
    pub y: Option<u32>,
    /// Side of the crop square (it must lie inside the image).
    pub size: Option<u32>,
}

/// Reads, checks and scales the uploaded image (within the upload slots and decode budget).
async fn prepare(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    crop: CropQuery,
    form: &mut Multipart,
) -> Result<crate::media::images::Avatar, Error> {
    let crop: Option<Crop> = avatars::crop(crop.x, crop.y, crop.size)?;
    let _slot = admit(state, user, req, UploadKind::Image).await?;
    let (_, bytes) = read_file_part(form, UploadKind::Image).await?;
    avatars::prepare(&state.decode_budget, bytes, crop).await
}

/// Set my avatar: a PNG, JPEG, GIF or WebP image (up to 10 MiB), cut to a square (the crop box,
/// or the largest centred square) and stored at 256 px (`GET /media/{avatar_id}`) and 64 px
/// (`GET /media/{avatar_id}/thumb`). Anyone signed in may download it; contacts, direct-chat
/// peers and group co-members hear `user.updated`.
#[utoipa::path(post, path = "/api/avatars/me", tag = "users", security(("bearer" = [])), params(CropQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = MeDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
    (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[post("/avatars/me")]
pub async fn upload_mine(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    crop: web::Query<CropQuery>,
    mut form: Multipart,
) -> Result<HttpResponse, Error> {
    let avatar = prepare(&state, &user, &req, crop.into_inner(), &mut form).await?;
    let (store, quota) = (state.media.clone(), state.settings.media_quota_bytes_per_user);
    let me = state
        .write(move |conn| {
            avatars::upload_for_user(conn, &Destination { store: store.as_ref(), quota }, user.id, &avatar)
        })
        .await?;
    Ok(respond(StatusCode::OK, &me))
}

/// Remove my avatar (the initials show again).
#[utoipa::path(delete, path = "/api/avatars/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
#[delete("/avatars/me")]
pub async fn remove_mine(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let me = state.write(move |conn| avatars::remove_for_user(conn, user.id)).await?;
    Ok(respond(StatusCode::OK, &me))
}

/// Set a group's avatar (admins and the owner), as for `POST /avatars/me`; the members may
/// download it and hear `conversation.updated` (`renamed`).
#[utoipa::path(post, path = "/api/avatars/groups/{id}", tag = "groups", security(("bearer" = [])),
    params(("id" = i64, Path), CropQuery), request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = GroupDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
    (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    (status = 503, body = ErrorBody)))]
#[post("/avatars/groups/{id}")]
pub async fn upload_group(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<GroupId>,
    crop: web::Query<CropQuery>,
    mut form: Multipart,
) -> Result<HttpResponse, Error> {
    let group_id = id.into_inner();
    // Refused before anything is read or decoded (checked again when it is stored).
    db::run(&state.pool, move |conn| avatars::require_group_admin(conn, user.id, group_id)).await?;
    let avatar = prepare(&state, &user, &req, crop.into_inner(), &mut form).await?;
    let (store, quota) = (state.media.clone(), state.settings.media_quota_bytes_per_user);
    let dto = state
        .write(move |conn| {
            avatars::upload_for_group(conn, &Destination { store: store.as_ref(), quota }, user.id, group_id, &avatar)
        })
        .await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Remove a group's avatar (admins and the owner).
#[utoipa::path(delete, path = "/api/avatars/groups/{id}", tag = "groups", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = GroupDto), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/avatars/groups/{id}")]
pub async fn remove_group(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<GroupId>,
) -> Result<HttpResponse, Error> {
    let group_id = id.into_inner();
    let dto = state.write(move |conn| avatars::remove_for_group(conn, user.id, group_id)).await?;
    Ok(respond(StatusCode::OK, &dto))
}
