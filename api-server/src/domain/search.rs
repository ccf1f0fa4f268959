//! `GET /search`: full-text search over the messages I can see (see `shared::models::search`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use shared::api::MessageDto;
use shared::error::FieldError;
use shared::ids::{ConversationId, MessageId, UserId};
use shared::models::message::Message;
use shared::models::search::{self, Filters};
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
    /// at least one word a message must contain (`-word` alone is refused: 422).
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
    /// `media`: only messages with an attachment.
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
    let has_media = match input.has.as_deref() {
        None => false,
        Some("media") => true,
        Some(_) => {
            checks.check::<()>(Err(FieldError::new("has", "only `media` is supported")));
            false
        }
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
    if !search::has_word_to_find(conn, &q)? {
        return Err(Error::invalid(
            "q",
            "needs a word to find: excluded words (-word) and punctuation alone would match nearly everything",
        ));
    }
    let filters = Filters {
        conversation_id: input.conversation_id,
        sender_id: input.sender_id,
        after: input.after,
        before: input.before,
        has_media,
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
