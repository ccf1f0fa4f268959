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
    /// A link in the text (`http://`, `https://`, `www.`): the document's `has link` lexeme
    /// (migration `000510_search_has_link`), so the GIN index answers it, not a regex per row.
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

/// Newest messages (by id, any conversation) the first step walks at most.
pub const FIRST_RANGE: i64 = 32_768;
/// Each further step looks at this many times more.
pub const RANGE_GROWTH: i64 = 8;

/// The query of every plan ($2: [`tsquery_text`]).
const QUERY: &str = "WITH q AS (SELECT $2::tsquery AS query)";

/// What a document with a link carries (migration `000510_search_has_link`); no parsed word
/// can have a space, so nobody can type it.
const LINK_LEXEME: &str = "'has link'";

/// The tsquery of a search: the user's, and with `has=links` also the link lexeme, so the GIN
/// index answers the filter instead of a pattern run on every row the words match.
fn tsquery_text(q: &SearchQuery, f: &Filters) -> String {
    match f.has {
        Some(Has::Links) => format!("({}) & {LINK_LEXEME}", q.as_tsquery()),
        _ => q.as_tsquery().to_owned(),
    }
}

/// Matches the planner expects anywhere at or below which the GIN plan runs at once: reading
/// that many rows costs less than the range steps' repeated index scans (a prefix or common
/// word's GIN scan alone takes 10-40 ms on 1,000,000 messages; BENCHMARKS.md).
pub const FEW_MATCHES: i64 = 5000;

/// What a message must be to match, in every plan ($2 query text via `q`, $4-$8 the filters).
/// Membership and `cleared_seq` are each plan's own join.
const MATCHES: &str = "m.search_tsv @@ q.query \
    AND m.deleted_at IS NULL \
    AND ($4::bigint IS NULL OR m.sender_id = $4) \
    AND ($5::timestamptz IS NULL OR m.created_at >= $5) \
    AND ($6::timestamptz IS NULL OR m.created_at < $6) \
    AND CASE $7::text WHEN 'media' THEN m.kind IN ('image', 'voice') \
                      WHEN 'files' THEN m.kind = 'file' \
                      ELSE true END \
    AND ($8::bigint IS NULL OR m.id < $8)";

/// Ids of up to `limit` matching messages, newest first.
///
/// Newest first means: a word in many messages has its answer among the newest few thousand
/// messages, a rare word only in the GIN index's few matches. So the search:
/// 1. runs the GIN plan over everything when the planner expects at most [`FEW_MATCHES`]
///    matches (rare words, `has=links`, a medium word in a quiet chat): it reads just those;
/// 2. otherwise walks back from the newest message (below the cursor, whoever's it is) along
///    the primary key, testing each, until it has `limit` hits or has seen [`FIRST_RANGE`]
///    messages: bounded whatever the word, and common words and prefixes are answered after a
///    few hundred rows, without their large GIN scans;
/// 3. then looks at ranges [`RANGE_GROWTH`] times larger each, by bitmaps, and last the GIN
///    plan over everything.
///
/// A step's answer is exact once it finds `limit` hits (nothing newer was left out).
pub fn matching_ids(
    conn: &mut PgConnection,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
) -> QueryResult<Vec<MessageId>> {
    matching_ids_stepped(conn, user_id, q, f, limit, Steps::default())
}

/// Where [`matching_ids`] steps: tests use small ranges and no GIN shortcut to reach every step.
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    /// The first range (walked).
    pub first_range: i64,
    /// The GIN plan at once when the planner expects at most this many matches.
    pub few_matches: i64,
}

impl Default for Steps {
    fn default() -> Self {
        Self { first_range: FIRST_RANGE, few_matches: FEW_MATCHES }
    }
}

/// [`matching_ids`] with other [`Steps`].
pub fn matching_ids_stepped(
    conn: &mut PgConnection,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
    steps: Steps,
) -> QueryResult<Vec<MessageId>> {
    if expected_matches(conn, q, f)? <= steps.few_matches {
        return all_matching_ids(conn, user_id, q, f, limit);
    }
    // The top of the ranges: the cursor, or just above the newest message.
    let top = match f.before_id {
        Some(id) => i64::from(id),
        None => {
            let newest: Newest = diesel::sql_query("SELECT max(id) AS id FROM messages").get_result(conn)?;
            newest.id.unwrap_or(0).saturating_add(1)
        }
    };
    let full =
        |ids: Vec<Id>| (crate::num::len_i64(ids.len()) >= limit).then(|| ids.into_iter().map(|r| r.id).collect());
    let mut range = steps.first_range.max(1);
    if range < top {
        if let Some(ids) = full(in_range(conn, user_id, q, f, limit, MessageId(top - range), Scan::Walk)?) {
            return Ok(ids);
        }
        range = range.saturating_mul(RANGE_GROWTH);
        while range < top {
            if let Some(ids) = full(in_range(conn, user_id, q, f, limit, MessageId(top - range), Scan::Bitmaps)?) {
                return Ok(ids);
            }
            range = range.saturating_mul(RANGE_GROWTH);
        }
    }
    all_matching_ids(conn, user_id, q, f, limit)
}

#[derive(Debug, QueryableByName)]
struct Explained {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    plan: String,
}

/// The planner's estimate of the messages the query matches in the chat and from the sender
/// asked for, from the statistics (`EXPLAIN`, nothing run).
fn expected_matches(conn: &mut PgConnection, q: &SearchQuery, f: &Filters) -> QueryResult<i64> {
    let row: Explained = diesel::sql_query(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM messages m WHERE m.search_tsv @@ $1::tsquery \
         AND ($2::bigint IS NULL OR m.conversation_id = $2) AND ($3::bigint IS NULL OR m.sender_id = $3)",
    )
    .bind::<Text, _>(tsquery_text(q, f))
    .bind::<Nullable<BigInt>, _>(f.conversation_id)
    .bind::<Nullable<BigInt>, _>(f.sender_id)
    .get_result(conn)?;
    let plan: serde_json::Value =
        serde_json::from_str(&row.plan).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    // A whole number ("%.0f" in PostgreSQL). Unknown: assume many (the range steps are right
    // for any number of matches).
    Ok(plan[0]["Plan"]["Plan Rows"].as_i64().unwrap_or(i64::MAX))
}

/// How a range step reads its range.
#[derive(Debug, Clone, Copy)]
enum Scan {
    /// Row by row along an index (the primary key), each row tested: no GIN scan.
    Walk,
    /// The range and the GIN index's matches as bitmaps, intersected before any row is read.
    Bitmaps,
}

/// One step. As [`Scan::Bitmaps`]: left to itself the planner walks `messages_pkey` over the
/// whole range and tests `@@` (and a `has` filter) on every row, which it takes for cheap: a
/// range of 262,144 ids read for 63 matches (BENCHMARKS.md). As bitmaps, the range and the GIN
/// index's matches are intersected (`BitmapAnd`) before any row is read, or the GIN matches
/// alone are read when they are few. As [`Scan::Walk`] (the first range) the other way round:
/// a common word's or a prefix's GIN scan costs more than testing the rows up to its answer.
/// `SET LOCAL` ends with this transaction (put back when it is a savepoint inside another).
fn in_range(
    conn: &mut PgConnection,
    user_id: UserId,
    q: &SearchQuery,
    f: &Filters,
    limit: i64,
    from_id: MessageId,
    scan: Scan,
) -> QueryResult<Vec<Id>> {
    let (off, sql) = match scan {
        Scan::Walk => ("enable_bitmapscan", walk_sql()),
        Scan::Bitmaps => ("enable_indexscan", range_sql()),
    };
    conn.transaction(|conn| {
        diesel::sql_query(format!("SET LOCAL {off} = off")).execute(conn)?;
        let ids = bind(diesel::sql_query(sql), user_id, q, f, limit).bind::<BigInt, _>(from_id).load(conn)?;
        diesel::sql_query(format!("SET LOCAL {off} = on")).execute(conn)?;
        Ok(ids)
    })
}

/// The walk: back along `messages_pkey` from the top, each row tested and its membership looked
/// up, stopping at the `limit`th hit or at id $10.
fn walk_sql() -> String {
    format!(
        "{QUERY} \
         SELECT m.id FROM q, messages m \
         JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = $1 \
         WHERE {MATCHES} AND m.id >= $10 AND m.seq > cm.cleared_seq AND ($3::bigint IS NULL OR m.conversation_id = $3) \
         ORDER BY m.id DESC LIMIT $9"
    )
}

/// One step: the matches with an id from $10 up (below the cursor), collected once
/// (MATERIALIZED) and then joined with my memberships, like the GIN plan.
fn range_sql() -> String {
    format!(
        "{QUERY}, \
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
        "{QUERY}, \
         found AS MATERIALIZED (SELECT m.id, m.conversation_id, m.seq FROM q, messages m \
                                WHERE {MATCHES} AND ($3::bigint IS NULL OR m.conversation_id = $3)) \
         SELECT found.id FROM found \
         JOIN conversation_members cm ON cm.conversation_id = found.conversation_id AND cm.user_id = $1 \
         WHERE found.seq > cm.cleared_seq \
         ORDER BY found.id DESC LIMIT $9"
    )
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
        .bind::<Text, _>(tsquery_text(q, f))
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
