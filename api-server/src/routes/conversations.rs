//! `/api/conversations/*`: the sidebar, direct chats, messages, receipts, chat management.

use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::api::{ConversationDto, MessageDto, Page, ReceiptDto};
use shared::error::ErrorBody;
use shared::ids::{ConversationId, UserId};
use shared::{db, Error};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::conversations::{self, Flag};
use crate::domain::messages::{self, MessagesPage, SendInput, Sent};
use crate::domain::{message_changes, message_context, receipts, retention, sending};
use crate::http::{no_content, respond, Json};
use crate::limits;
use crate::state::AppState;
use shared::ids::{AttachmentId, MessageId};

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1-200, default 50.
    pub limit: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct DirectRequest {
    #[schema(value_type = i64)]
    pub user_id: UserId,
}

#[derive(Deserialize, IntoParams)]
pub struct HistoryQuery {
    pub before_seq: Option<i64>,
    pub after_seq: Option<i64>,
    /// The messages edited, deleted or re-reacted after this change version (alone: not with
    /// `before_seq` / `after_seq`), ascending by `change_version`; continue from the answer's
    /// `change_version` while `has_more`.
    pub changed_since: Option<i64>,
    /// The page around this seq (alone): half before it, the message and what follows; the
    /// answer's `has_more_after` says whether newer messages exist (a search result in context).
    pub around: Option<i64>,
    /// 1-100, default 50.
    pub limit: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct SendRequest {
    /// Chosen by the client; a retry with the same id returns the stored message (200).
    pub client_id: Uuid,
    /// text (default) | image | file | voice
    #[serde(default = "text_kind")]
    pub kind: String,
    #[serde(default)]
    pub body: String,
    #[schema(value_type = Option<i64>)]
    pub reply_to_id: Option<MessageId>,
    #[schema(value_type = Option<i64>)]
    pub attachment_id: Option<AttachmentId>,
}

fn text_kind() -> String {
    "text".into()
}

#[derive(Deserialize, ToSchema)]
pub struct ReceiptRequest {
    pub delivered_seq: Option<i64>,
    pub read_seq: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
pub struct MuteRequest {
    /// Muted until this time; absent or null mutes forever (send `{}`).
    pub until: Option<DateTime<Utc>>,
}

/// My conversations: pinned first, then by last activity.
#[utoipa::path(get, path = "/api/conversations", tag = "conversations", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, body = Page<ConversationDto>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/conversations")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Error> {
    let q = query.into_inner();
    let page =
        db::run(&state.pool, move |conn| conversations::list(conn, user.id, q.cursor.as_deref(), q.limit)).await?;
    Ok(respond(StatusCode::OK, &page))
}

/// Open the direct chat with a user (201 when created, 200 when it existed).
#[utoipa::path(post, path = "/api/conversations/direct", tag = "conversations", security(("bearer" = [])), request_body = DirectRequest, responses(
    (status = 200, body = ConversationDto), (status = 201, body = ConversationDto), (status = 401, body = ErrorBody),
    (status = 403, description = "blocked", body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    (status = 429, description = "send_limited (flood control)", body = ErrorBody)))]
#[post("/conversations/direct")]
pub async fn open_direct(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<DirectRequest>,
) -> Result<HttpResponse, Error> {
    let peer = body.0.user_id;
    let (dto, created) = sending::open_direct(&state, user.id, peer).await?;
    Ok(respond(if created { StatusCode::CREATED } else { StatusCode::OK }, &dto))
}

/// One conversation.
#[utoipa::path(get, path = "/api/conversations/{id}", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/conversations/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let dto = db::run(&state.pool, move |conn| conversations::get(conn, user.id, id)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// History: `after_seq` (what follows), `before_seq` (the page before), `around` a message (a
/// search result in context), or the newest; or, with `changed_since`, the messages changed
/// since a change version (a client catching up).
#[utoipa::path(get, path = "/api/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path), HistoryQuery), responses(
    (status = 200, body = MessagesPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/conversations/{id}/messages")]
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, Error> {
    let (id, q) = (id.into_inner(), query.into_inner());
    let window = q.before_seq.is_some() || q.after_seq.is_some();
    let page = db::run(&state.pool, move |conn| match (q.changed_since, q.around) {
        (None, None) => messages::history(conn, user.id, id, q.before_seq, q.after_seq, q.limit),
        (Some(since), None) if !window => message_changes::since(conn, user.id, id, since, q.limit),
        (None, Some(seq)) if !window => message_context::around(conn, user.id, id, seq, q.limit),
        (Some(_), None) => Err(message_changes::not_with_a_window()),
        _ => Err(message_context::not_alone()),
    })
    .await?;
    Ok(respond(StatusCode::OK, &page))
}

/// Send a message: 201 when stored, 200 when this client_id was sent before.
#[utoipa::path(post, path = "/api/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = SendRequest, responses(
    (status = 200, body = MessageDto), (status = 201, body = MessageDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, description = "blocked", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/conversations/{id}/messages")]
pub async fn send(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
    body: Json<SendRequest>,
) -> Result<HttpResponse, Error> {
    limits::check(&state, limits::send(&state), user.id.to_string()).await?;
    let (id, b) = (id.into_inner(), body.0);
    let input = SendInput {
        client_id: b.client_id,
        kind: b.kind,
        body: b.body,
        reply_to_id: b.reply_to_id,
        attachment_id: b.attachment_id,
    };
    match sending::send(&state, user.id, id, input).await? {
        Sent::Created(m) => Ok(respond(StatusCode::CREATED, &m)),
        Sent::Existing(m) => Ok(respond(StatusCode::OK, &m)),
    }
}

/// Move my delivered/read watermarks forward.
#[utoipa::path(post, path = "/api/conversations/{id}/receipts", tag = "receipts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReceiptRequest, responses(
    (status = 200, body = ReceiptDto), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/conversations/{id}/receipts")]
pub async fn post_receipts(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
    body: Json<ReceiptRequest>,
) -> Result<HttpResponse, Error> {
    let (id, b) = (id.into_inner(), body.0);
    let dto = state.write(move |conn| receipts::update(conn, user.id, id, b.delivered_seq, b.read_seq)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Every member's watermarks (a group's "seen by").
#[utoipa::path(get, path = "/api/conversations/{id}/receipts", tag = "receipts", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<ReceiptDto>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/conversations/{id}/receipts")]
pub async fn get_receipts(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let watermarks = db::run(&state.pool, move |conn| receipts::list(conn, user.id, id)).await?;
    Ok(respond(StatusCode::OK, &watermarks))
}

async fn flag(state: &AppState, user: AuthUser, id: ConversationId, flag: Flag) -> Result<HttpResponse, Error> {
    let dto = state.write(move |conn| conversations::set_flag(conn, user.id, id, flag)).await?;
    Ok(respond(StatusCode::OK, &dto))
}

/// Pin for me.
#[utoipa::path(put, path = "/api/conversations/{id}/pin", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[put("/conversations/{id}/pin")]
pub async fn pin(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    flag(&state, user, id.into_inner(), Flag::Pin(true)).await
}

/// Unpin.
#[utoipa::path(delete, path = "/api/conversations/{id}/pin", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/conversations/{id}/pin")]
pub async fn unpin(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    flag(&state, user, id.into_inner(), Flag::Pin(false)).await
}

/// Archive for me.
#[utoipa::path(put, path = "/api/conversations/{id}/archive", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[put("/conversations/{id}/archive")]
pub async fn archive(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    flag(&state, user, id.into_inner(), Flag::Archive(true)).await
}

/// Unarchive.
#[utoipa::path(delete, path = "/api/conversations/{id}/archive", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/conversations/{id}/archive")]
pub async fn unarchive(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    flag(&state, user, id.into_inner(), Flag::Archive(false)).await
}

/// Mute until a time (or forever).
#[utoipa::path(put, path = "/api/conversations/{id}/mute", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = MuteRequest, responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/conversations/{id}/mute")]
pub async fn mute(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
    body: Json<MuteRequest>,
) -> Result<HttpResponse, Error> {
    let until = body.0.until.unwrap_or_else(conversations::forever);
    if until <= Utc::now() {
        return Err(Error::invalid("until", "must be in the future"));
    }
    flag(&state, user, id.into_inner(), Flag::Mute(Some(until))).await
}

/// Unmute.
#[utoipa::path(delete, path = "/api/conversations/{id}/mute", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/conversations/{id}/mute")]
pub async fn unmute(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    flag(&state, user, id.into_inner(), Flag::Mute(None)).await
}

/// Clear the history for me (messages up to now disappear for me only).
#[utoipa::path(post, path = "/api/conversations/{id}/clear", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/conversations/{id}/clear")]
pub async fn clear(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    flag(&state, user, id.into_inner(), Flag::Clear).await
}

/// Delete the chat for me: history cleared, hidden until a new message arrives.
#[utoipa::path(delete, path = "/api/conversations/{id}", tag = "conversations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/conversations/{id}")]
pub async fn hide(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
) -> Result<HttpResponse, Error> {
    flag(&state, user, id.into_inner(), Flag::Hide).await?;
    Ok(no_content())
}

#[derive(Deserialize, ToSchema)]
pub struct RetentionRequest {
    /// Keep messages this many days (1-365); null keeps them.
    pub days: Option<i32>,
}

/// Disappearing messages: older ones are deleted for everyone (with their media). Either member
/// of a direct chat, or a group admin for a channel.
#[utoipa::path(put, path = "/api/conversations/{id}/retention", tag = "conversations", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RetentionRequest,
    responses((status = 200, body = ConversationDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/conversations/{id}/retention")]
pub async fn set_retention(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<ConversationId>,
    body: Json<RetentionRequest>,
) -> Result<HttpResponse, Error> {
    let (id, days) = (id.into_inner(), body.0.days);
    let dto = state.write(move |conn| retention::set(conn, user.id, id, days)).await?;
    Ok(respond(StatusCode::OK, &dto))
}
