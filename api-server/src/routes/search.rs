//! `/api/search`: full-text search over my messages.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::error::ErrorBody;
use shared::{db, Error};
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::domain::search::{self, SearchInput, SearchPage};
use crate::http::respond;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words to find (web-search syntax: `"exact phrase"`, `-excluded`, `or`); 1-200 characters.
    pub q: String,
    /// Only this conversation.
    pub conversation_id: Option<i64>,
    /// Only messages of this user.
    pub sender_id: Option<i64>,
    /// Sent at or after this time (RFC 3339).
    pub after: Option<DateTime<Utc>>,
    /// Sent before this time (RFC 3339).
    pub before: Option<DateTime<Utc>>,
    /// `media`: only messages with an attachment.
    pub has: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1-50, default 50.
    pub limit: Option<i64>,
}

/// Messages I can see (member, not cleared, not deleted) matching `q`, newest first, with
/// highlighted snippets.
#[utoipa::path(get, path = "/api/search", tag = "messages", security(("bearer" = [])), params(SearchQuery), responses(
    (status = 200, body = SearchPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[get("/search")]
pub async fn find(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, Error> {
    let q = query.into_inner();
    let input = SearchInput {
        q: q.q,
        conversation_id: q.conversation_id,
        sender_id: q.sender_id,
        after: q.after,
        before: q.before,
        has: q.has,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = db::run(&state.pool, move |conn| search::search(conn, user.id, input)).await?;
    Ok(respond(StatusCode::OK, &page))
}
