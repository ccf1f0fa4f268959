//! `/api/media`: upload (multipart) and member-only download of images, files and voice notes.

use actix_multipart::Multipart;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use shared::api::AttachmentDto;
use shared::error::ErrorBody;
use shared::error::ErrorCode;
use shared::{db, Error};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::media::{self, MediaUsage, UploadKind};
use crate::http::respond;
use crate::limits;
use crate::media::sniff::sniff;
use crate::media::upload_queue::UploadSlot;
use crate::state::AppState;
use shared::ids::AttachmentId;

#[derive(Deserialize, IntoParams)]
pub struct UploadQuery {
    /// What the upload will be sent as: `image` (PNG, JPEG, GIF, WebP; up to 10 MiB), `voice`
    /// (WebM, Ogg or WAV audio; up to 5 MiB and 15 minutes) or `file` (anything; up to 25 MiB).
    pub kind: UploadKind,
}

/// The multipart form: one part named `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Multipart framing allowed on top of the file itself.
const FRAMING: usize = 16 * 1024;

/// Upload a file. The server decides what it is from its content (never from the client's
/// type or name), checks it fits `kind`, measures it (image dimensions and thumbnail, voice
/// duration) and answers with the upload to send in a message of that kind. An upload past
/// the uploader's media quota (`MEDIA_QUOTA_BYTES_PER_USER`) is refused with 413
/// `media_quota_exceeded` and nothing of it is stored.
#[utoipa::path(post, path = "/api/media", tag = "media", security(("bearer" = [])), params(UploadQuery),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 413, description = "media_too_large | media_quota_exceeded", body = ErrorBody), (status = 415, body = ErrorBody),
    (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[post("/media")]
pub async fn upload(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: web::Query<UploadQuery>,
    mut form: Multipart,
) -> Result<HttpResponse, Error> {
    let kind = query.kind;
    let _slot = admit(&state, &user, &req, kind).await?;
    let (file_name, bytes) = read_file_part(&mut form, kind).await?;
    let (bytes, inspected) = media::inspect_within(&state.decode_budget, kind, bytes).await?;
    let (store, quota) = (state.media.clone(), state.settings.media_quota_bytes_per_user);
    let dto = db::run(&state.pool, move |conn| {
        media::save(store.as_ref(), conn, user.id, file_name.as_deref(), &bytes, &inspected, quota)
    })
    .await?;
    Ok(respond(StatusCode::CREATED, &dto))
}

/// What my uploads use of my media quota (`quota_bytes` null: no quota).
#[utoipa::path(get, path = "/api/me/media-usage", tag = "media", security(("bearer" = [])),
    responses((status = 200, body = MediaUsage), (status = 401, body = ErrorBody)))]
#[get("/me/media-usage")]
pub async fn usage(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, Error> {
    let quota = state.settings.media_quota_bytes_per_user;
    let dto = db::run(&state.pool, move |conn| media::usage(conn, user.id, quota)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// What every upload passes before its body is read: a declared length within the kind's
/// limit, the user's upload rate limit, and one of the process's upload slots (held until the
/// returned slot drops: they bound memory use; [`crate::media::upload_queue`]).
pub(crate) async fn admit(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    kind: UploadKind,
) -> Result<UploadSlot, Error> {
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > kind.max_bytes() + FRAMING) {
        return Err(media::too_large(kind));
    }
    limits::check(state, limits::upload(), user.id.to_string()).await?;
    state.uploads.enter().await
}

fn bad_form(e: impl std::fmt::Display) -> Error {
    Error::bad_request(
        ErrorCode::BadMultipart,
        format!("the body must be multipart/form-data with a part named 'file' ({e})"),
    )
}

/// The `file` part's name and bytes; other parts are read and dropped (up to a few KiB).
pub(crate) async fn read_file_part(form: &mut Multipart, kind: UploadKind) -> Result<(Option<String>, Vec<u8>), Error> {
    let mut other = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad_form)?;
        let is_file = field.name() == Some("file");
        let file_name = field.content_disposition().and_then(|cd| cd.get_filename()).and_then(media::clean_file_name);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad_form)?;
            if !is_file {
                other += chunk.len();
                if other > FRAMING {
                    return Err(bad_form("parts other than 'file' are too large"));
                }
            } else if bytes.len() + chunk.len() > kind.max_bytes() {
                return Err(media::too_large(kind));
            } else {
                bytes.extend_from_slice(&chunk);
            }
        }
        if is_file {
            return Ok((file_name, bytes));
        }
    }
    Err(Error::bad_request(ErrorCode::MissingFile, "the form has no part named 'file'"))
}

/// Download an upload: its uploader, or a member of a conversation where it was sent.
#[utoipa::path(get, path = "/api/media/{id}", tag = "media", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The bytes, with the sniffed Content-Type"), (status = 304),
    (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/media/{id}")]
pub async fn download(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<AttachmentId>,
) -> Result<HttpResponse, Error> {
    serve(state, user, req, id.into_inner(), false).await
}

/// Download an image's thumbnail (at most 320 px a side; JPEG, or PNG when transparent).
#[utoipa::path(get, path = "/api/media/{id}/thumb", tag = "media", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The thumbnail"), (status = 304), (status = 401, body = ErrorBody),
    (status = 404, body = ErrorBody)))]
#[get("/media/{id}/thumb")]
pub async fn thumbnail(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<AttachmentId>,
) -> Result<HttpResponse, Error> {
    serve(state, user, req, id.into_inner(), true).await
}

async fn serve(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: AttachmentId,
    thumb: bool,
) -> Result<HttpResponse, Error> {
    let attachment = db::run(&state.pool, move |conn| media::readable(conn, user.id, id)).await?;
    let key =
        if thumb { attachment.thumb_key.clone().ok_or_else(media::not_found)? } else { attachment.storage_key.clone() };
    // Stored bytes never change: the key is a strong validator.
    let etag = format!("\"{key}\"");
    let cache = ("cache-control", "private, max-age=31536000, immutable");
    if req.headers().get(header::IF_NONE_MATCH).is_some_and(|v| v.as_bytes() == etag.as_bytes()) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, etag)).insert_header(cache).finish());
    }
    let store = state.media.clone();
    let bytes = shared::telemetry::spawn_blocking(move || store.get(&key))
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)?;
    let content_type = if thumb { sniff(&bytes).mime().to_owned() } else { attachment.content_type.clone() };
    let disposition = if content_type.starts_with("image/") || content_type.starts_with("audio/") {
        "inline".to_owned()
    } else {
        attachment_disposition(attachment.file_name.as_deref().unwrap_or("download"))
    };
    let mut res = HttpResponse::Ok();
    res.content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header(cache)
        .insert_header(("x-content-type-options", "nosniff"))
        // Opened directly, an upload can run nothing and load nothing.
        .insert_header(("content-security-policy", "default-src 'none'; sandbox"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.insert_header((header::CONTENT_DISPOSITION, v));
    }
    Ok(res.body(bytes))
}

/// `attachment` with an ASCII fallback name and the exact name percent-encoded (RFC 6266).
fn attachment_disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._- ".contains(c) { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_safe_in_a_header() {
        assert_eq!(
            attachment_disposition("résumé \"final\".pdf"),
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
    }
}
