//! Full-text search over the messages a user can see: `messages.search_tsv` (GIN) matched
//! with a [`SearchQuery`] (`search_query.rs`: user text never reaches `to_tsquery` as syntax),
//! restricted to conversations the user is a member of and to what they have not cleared;
//! newest first, keyset by id.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};

use crate::ids::{ConversationId, MessageId, UserId};
pub use crate::models::search_query::SearchQuery;

/// Marks around each match in `snippet` (control characters, so a message's own text can
/// never fake them; clients turn them into highlighting after escaping the rest).
pub const MARK_START: char = '\u{2}';
pub const MARK_END: char = '\u{3}';

#[derive(Debug, Default)]
pub struct Filters {
    pub conversation_id: Option<ConversationId>,
    pub sender_id: Option<UserId>,
    pub after: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
    pub has: Option<Has>,
    /// Only messages with an id below this (the previous page's last id).
    pub before_id: Option<MessageId>,
}

/// `has=`: what kind of content a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Has {
    /// Images and voice messages (shown inline).
    Media,
    /// Files (`kind = 'file'`).
    Files,
    /// A link in the text (`http://`, `https://`, `www.`).
    Links,
}

impl Has {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "media" => Some(Self::Media),
            "files" => Some(Self::Files),
            "links" => Some(Self::Links),
            _ => None,
        }
    }

    /// The value bound as $7 ([`MATCHES`] picks the condition).
    fn as_sql(self) -> &'static str {
        match self {
            Self::Media => "media",
            Self::Files => "files",
            Self::Links => "links",
        }
    }
}

#[derive(Debug, QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: MessageId,
}

#[derive(Debug, QueryableByName)]
struct Newest {
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
}

#[derive(Debug, QueryableByName)]
struct Snippet {
    #[diesel(sql_type = BigInt)]
    id: MessageId,
    #[diesel(sql_type = Text)]
    snippet: String,
}

/// Newest messages (by id, any conversation) the first step looks at.
pub const FIRST_RANGE: i64 = 4096;
/// Each further step looks at this many times more.
pub const RANGE_GROWTH: i64 = 8;

/// What a message must be to match, in every plan ($2 query text via `q`, $4-$8 the filters).
/// Membership and `cleared_seq` are each plan's own join.
const MATCHES: &str = "m.search_tsv @@ q.query \
    AND m.deleted_at IS NULL \
    AND ($4::bigint IS NULL OR m.sender_id = $4) \
    AND ($5::timestamptz IS NULL OR m.created_at >= $5) \
    AND ($6::timestamptz IS NULL OR m.created_at < $6) \
    AND CASE $7::text WHEN 'media' THEN m.kind IN ('image', 'voice') \
                      WHEN 'files' THEN m.kind = 'file' \
                      WHEN 'links' THEN m.body ~* '(https?://|www\\.)[^[:space:]]' \
                      ELSE true END \
    AND ($8::bigint IS NULL OR m.id < $8)";

/// Ids of up to `limit` matching messages, newest first.
///
/// Newest first means: a word in many messages has its answer among the newest few thousand
/// messages, a rare word only in the GIN index's few matches. So the search looks at the newest
/// [`FIRST_RANGE`] messages (ids below the cursor, whoever's they are) first, through the GIN
/// index or a walk of the primary key, whichever the planner finds cheaper for that range; the
/// answer is exact once a step finds `limit` hits (nothing newer was left out). Otherwise the
/// range grows [`RANGE_GROWTH`]-fold, and the last step is the GIN plan over everything. Each
/// step reads at most its range or the word's matches in it, so the steps together cost about
/// as much as the last one; a rare word costs a few GIN lookups and its few matches.
pub fn matching_ids(
    conn: &mut PgConnection,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
) -> QueryResult<Vec<MessageId>> {
    matching_ids_stepped(conn, user_id, q, f, limit, FIRST_RANGE)
}

/// [`matching_ids`] with another first range (tests use small ones to reach every step).
pub fn matching_ids_stepped(
    conn: &mut PgConnection,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
    first_range: i64,
) -> QueryResult<Vec<MessageId>> {
    // The top of the ranges: the cursor, or just above the newest message.
    let top = match f.before_id {
        Some(id) => i64::from(id),
        None => {
            let newest: Newest = diesel::sql_query("SELECT max(id) AS id FROM messages").get_result(conn)?;
            newest.id.unwrap_or(0).saturating_add(1)
        }
    };
    let mut range = first_range.max(1);
    while range < top {
        let ids = in_range(conn, user_id, q, f, limit, MessageId(top - range))?;
        if crate::num::len_i64(ids.len()) >= limit {
            return Ok(ids.into_iter().map(|r| r.id).collect());
        }
        range = range.saturating_mul(RANGE_GROWTH);
    }
    all_matching_ids(conn, user_id, q, f, limit)
}

/// One step, with bitmap scans only. Left to itself the planner walks `messages_pkey` over the
/// whole range and tests `@@` (and a `has` filter) on every row, which it takes for cheap: a
/// range of 262,144 ids read for 63 matches (BENCHMARKS.md). As bitmaps, the range and the GIN
/// index's matches are intersected (`BitmapAnd`) before any row is read, or the GIN matches
/// alone are read when they are few. `SET LOCAL` ends with this transaction (put back when it
/// is a savepoint inside another).
fn in_range(
    conn: &mut PgConnection,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
    from_id: MessageId,
) -> QueryResult<Vec<Id>> {
    conn.transaction(|conn| {
        diesel::sql_query("SET LOCAL enable_indexscan = off").execute(conn)?;
        let ids = bind(diesel::sql_query(range_sql()), user_id, q, f, limit).bind::<BigInt, _>(from_id).load(conn)?;
        diesel::sql_query("SET LOCAL enable_indexscan = on").execute(conn)?;
        Ok(ids)
    })
}

/// One step: the matches with an id from $10 up (below the cursor), collected once
/// (MATERIALIZED) and then joined with my memberships, like the GIN plan.
fn range_sql() -> String {
    format!(
        "WITH q AS (SELECT $2::tsquery AS query), \
         found AS MATERIALIZED (SELECT m.id, m.conversation_id, m.seq FROM q, messages m \
                                WHERE {MATCHES} AND m.id >= $10 AND ($3::bigint IS NULL OR m.conversation_id = $3)) \
         SELECT found.id FROM found \
         JOIN conversation_members cm ON cm.conversation_id = found.conversation_id AND cm.user_id = $1 \
         WHERE found.seq > cm.cleared_seq \
         ORDER BY found.id DESC LIMIT $9"
    )
}

/// The GIN plan alone: always exact; its cost grows with the number of matches anywhere.
/// The matches are collected once (MATERIALIZED) and then joined with my memberships: left to
/// itself the planner may repeat the index scan for each of my conversations.
pub fn all_matching_ids(
    conn: &mut PgConnection,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
) -> QueryResult<Vec<MessageId>> {
    let all: Vec<Id> = bind(diesel::sql_query(all_matching_sql()), user_id, q, f, limit).load(conn)?;
    Ok(all.into_iter().map(|r| r.id).collect())
}

/// The GIN plan. It reads every message its query matches, so the query must have a word to
/// find ([`SearchQuery::compile`] refuses others): `-word` alone matches nearly everything.
fn all_matching_sql() -> String {
    format!(
        "WITH q AS (SELECT $2::tsquery AS query), \
         found AS MATERIALIZED (SELECT m.id, m.conversation_id, m.seq FROM q, messages m \
                                WHERE {MATCHES} AND ($3::bigint IS NULL OR m.conversation_id = $3)) \
         SELECT found.id FROM found \
         JOIN conversation_members cm ON cm.conversation_id = found.conversation_id AND cm.user_id = $1 \
         WHERE found.seq > cm.cleared_seq \
         ORDER BY found.id DESC LIMIT $9"
    )
}

#[derive(Debug, QueryableByName)]
struct Explained {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    plan: String,
}

/// `EXPLAIN (ANALYZE, FORMAT JSON)` of the GIN plan (it runs the query): what a search reads,
/// for tests and for an operator looking at a slow search.
pub fn explain_all_matching(
    conn: &mut PgConnection,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
) -> QueryResult<serde_json::Value> {
    let sql = format!("EXPLAIN (ANALYZE, FORMAT JSON) {}", all_matching_sql());
    let row: Explained = bind(diesel::sql_query(sql), user_id, q, f, limit).get_result(conn)?;
    serde_json::from_str(&row.plan).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// Binds $1-$9 of both plans.
fn bind(
    query: diesel::query_builder::SqlQuery,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    query
        .into_boxed()
        .bind::<BigInt, _>(user_id)
        .bind::<Text, _>(q.as_tsquery().to_owned())
        .bind::<Nullable<BigInt>, _>(f.conversation_id)
        .bind::<Nullable<BigInt>, _>(f.sender_id)
        .bind::<Nullable<Timestamptz>, _>(f.after)
        .bind::<Nullable<Timestamptz>, _>(f.before)
        .bind::<Nullable<Text>, _>(f.has.map(Has::as_sql))
        .bind::<Nullable<BigInt>, _>(f.before_id)
        .bind::<BigInt, _>(limit)
}

/// Highlighted snippets of these messages for the query (only for the page shown: headlines
/// are the costly part of a search). The text is the body and the attachment's file name.
/// Marked by English stems first ("meetings" marks "meeting"); when that marks nothing (a
/// prefix being typed, a stop word, another language), by the words as written.
pub fn snippets(
    conn: &mut PgConnection,
    q: &SearchQuery,
    ids: &[MessageId],
) -> QueryResult<std::collections::HashMap<MessageId, String>> {
    let rows: Vec<Snippet> = diesel::sql_query(
        "WITH o(opts) AS (SELECT 'StartSel=\u{2}, StopSel=\u{3}, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"'::text) \
         SELECT t.id, CASE WHEN strpos(t.stems, chr(2)) > 0 THEN t.stems \
                           ELSE ts_headline('simple', t.doc, $1::tsquery, o.opts) END AS snippet \
         FROM o, (SELECT d.id, d.doc, ts_headline('english', d.doc, $1::tsquery, o.opts) AS stems \
                  FROM o, (SELECT m.id, concat_ws(E'\\n', nullif(m.body, ''), a.file_name) AS doc \
                           FROM messages m LEFT JOIN attachments a ON a.id = m.attachment_id \
                           WHERE m.id = ANY($2)) d) t",
    )
    .bind::<Text, _>(q.as_tsquery())
    .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.id, r.snippet)).collect())
}
