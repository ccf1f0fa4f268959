//! `GET /search`: full-text search over the messages I can see (see `shared::models::search`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use shared::api::MessageDto;
use shared::error::FieldError;
use shared::ids::{ConversationId, MessageId, UserId};
use shared::models::message::Message;
use shared::models::search::{self, Filters, Has, SearchQuery};
use shared::Error;
use utoipa::{IntoParams, ToSchema};

use crate::domain::message_view;
use crate::domain::validate::{self, Checks};

pub const QUERY_MAX: usize = 200;
pub const PAGE_MAX: i64 = 50;

/// The query string of `GET /search` (deserialized by the route as it is).
#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchInput {
    /// Words to find (web-search syntax: `"exact phrase"`, `-excluded`, `or`); 1-200 characters, with
    /// at least one word a message must contain (`-word` alone is refused: 422). Word forms
    /// match ("meetings" finds "meeting"); the last word, 3 characters or more and not followed
    /// by a space, also matches as a prefix (results while typing). Attachment file names are
    /// searched too.
    pub q: String,
    /// Only this conversation.
    #[param(value_type = Option<i64>)]
    pub conversation_id: Option<ConversationId>,
    /// Only messages of this user.
    #[param(value_type = Option<i64>)]
    pub sender_id: Option<UserId>,
    /// Sent at or after this time (RFC 3339).
    pub after: Option<DateTime<Utc>>,
    /// Sent before this time (RFC 3339).
    pub before: Option<DateTime<Utc>>,
    /// `media`: images and voice messages; `files`: files; `links`: a link in the text.
    pub has: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1-50, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub message: MessageDto,
    /// The matching passages; each match between U+0002 and U+0003 (escape the rest, then
    /// highlight between them).
    pub snippet: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    /// Newest first.
    pub items: Vec<SearchHit>,
    /// Pass back as `cursor` for older results.
    pub next_cursor: Option<String>,
}

pub fn search(conn: &mut PgConnection, me: UserId, input: SearchInput) -> Result<SearchPage, Error> {
    let mut checks = Checks::default();
    let q = checks.check(validate::text("q", &input.q, 1, QUERY_MAX, false));
    let limit = checks.check(validate::limit(input.limit, PAGE_MAX));
    let has = match input.has.as_deref().map(|h| (h, Has::parse(h))) {
        None => None,
        Some((_, Some(has))) => Some(has),
        Some((_, None)) => checks.check::<Has>(Err(FieldError::new("has", "must be one of media, files, links"))),
    };
    let before_id = match input.cursor.as_deref().map(str::parse::<MessageId>) {
        None => None,
        Some(Ok(id)) if id.0 > 0 => Some(id),
        Some(_) => checks.check::<MessageId>(Err(FieldError::new("cursor", "is not a cursor of this list"))),
    };
    if let (Some(after), Some(before)) = (input.after, input.before) {
        if after >= before {
            checks.check::<()>(Err(FieldError::new("before", "must be later than `after`")));
        }
    }
    checks.finish()?;
    let (Some(q), Some(limit)) = (q, limit) else { return Err(Error::invalid("q", "invalid")) };
    // A space after the last word says it is finished: no prefix (validation trimmed it).
    let q = if input.q.ends_with(char::is_whitespace) { q + " " } else { q };
    let Some(q) = SearchQuery::compile(conn, &q)? else {
        return Err(Error::invalid(
            "q",
            "needs a word to find: excluded words (-word) and punctuation alone would match nearly everything",
        ));
    };
    let filters = Filters {
        conversation_id: input.conversation_id,
        sender_id: input.sender_id,
        after: input.after,
        before: input.before,
        has,
        before_id,
    };
    let mut ids = search::matching_ids(conn, me, &q, &filters, limit + 1)?;
    let more = shared::num::len_i64(ids.len()) > limit;
    ids.truncate(shared::num::limit_usize(limit));
    let stored: HashMap<MessageId, Message> = Message::by_ids(conn, &ids)?.into_iter().map(|m| (m.id, m)).collect();
    let mut messages: Vec<MessageDto> = ids.iter().filter_map(|id| stored.get(id)).map(MessageDto::from).collect();
    message_view::decorate(conn, &mut messages, me)?;
    let mut snippets = search::snippets(conn, &q, &ids)?;
    let items = messages
        .into_iter()
        .map(|message| SearchHit { snippet: snippets.remove(&message.id).unwrap_or_default(), message })
        .collect();
    let next_cursor = if more { ids.last().map(|id| id.to_string()) } else { None };
    Ok(SearchPage { items, next_cursor })
}
