//! Full-text search over the messages a user can see: `messages.search_tsv` (GIN) matched
//! with `websearch_to_tsquery` (any user input is valid syntax), restricted to conversations
//! the user is a member of and to what they have not cleared; newest first, keyset by id.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz};

/// Marks around each match in `snippet` (control characters, so a message's own text can
/// never fake them; clients turn them into highlighting after escaping the rest).
pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

#[derive(Debug, Default)]
pub struct Filters {
    pub conversation_id: Option<i64>,
    pub sender_id: Option<i64>,
    pub after: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
    pub has_media: bool,
    /// Only messages with an id below this (the previous page's last id).
    pub before_id: Option<i64>,
}

#[derive(Debug, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub snippet: String,
}

/// Ids (newest first) and highlighted snippets of up to `limit` matching messages.
pub fn search(conn: &mut PgConnection, user_id: i64, q: &str, f: &Filters, limit: i64) -> QueryResult<Vec<Hit>> {
    // One statement, all parameters bound: a NULL filter matches everything.
    diesel::sql_query(
        "WITH q AS (SELECT websearch_to_tsquery('simple', $2) AS query) \
         SELECT m.id, ts_headline('simple', m.body, q.query, \
                'StartSel=\u{2}, StopSel=\u{3}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet \
         FROM q, messages m \
         JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1 \
         WHERE m.search_tsv @@ q.query \
           AND m.seq > cm.cleared_seq \
           AND m.deleted_at IS NULL \
           AND ($3::bigint IS NULL OR m.conversation_id = $3) \
           AND ($4::bigint IS NULL OR m.sender_id = $4) \
           AND ($5::timestamptz IS NULL OR m.created_at >= $5) \
           AND ($6::timestamptz IS NULL OR m.created_at < $6) \
           AND (NOT $7 OR m.attachment_id IS NOT NULL) \
           AND ($8::bigint IS NULL OR m.id < $8) \
         ORDER BY m.id DESC \
         LIMIT $9",
    )
    .bind::<BigInt, _>(user_id)
    .bind::<Text, _>(q)
    .bind::<Nullable<BigInt>, _>(f.conversation_id)
    .bind::<Nullable<BigInt>, _>(f.sender_id)
    .bind::<Nullable<Timestamptz>, _>(f.after)
    .bind::<Nullable<Timestamptz>, _>(f.before)
    .bind::<Bool, _>(f.has_media)
    .bind::<Nullable<BigInt>, _>(f.before_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
