//! Counts for the admin overview: users, activity, messages per day, media, reports, flags.
//! Each is one indexed query (`messages_created_at_idx`, `reports_open_idx`, ...), so the
//! overview stays cheap over millions of messages.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text, Timestamptz};

use crate::db::schema::{abuse_flags, reports, users};
use crate::ids::UserId;

pub fn users_total(conn: &mut PgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Users active since `since`: seen connected (their last socket closed since then) or sent a
/// message since then.
pub fn users_active_since(conn: &mut PgConnection, since: DateTime<Utc>) -> QueryResult<i64> {
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM (
             SELECT id FROM users WHERE last_seen_at >= $1
             UNION
             SELECT DISTINCT sender_id FROM messages WHERE created_at >= $1
         ) active",
    )
    .bind::<Timestamptz, _>(since)
    .get_result(conn)?;
    Ok(row.n)
}

#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct DayCount {
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Messages sent per UTC day over the `days` days ending today, oldest first, days without
/// messages included (count 0). Deleted messages count (they were sent).
pub fn messages_per_day(conn: &mut PgConnection, days: i64) -> QueryResult<Vec<DayCount>> {
    diesel::sql_query(
        "WITH span AS (
             SELECT generate_series((now() AT TIME ZONE 'UTC')::date - ($1 - 1)::int,
                                    (now() AT TIME ZONE 'UTC')::date, interval '1 day')::date AS day
         ),
         sent AS (
             SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
             FROM messages
             WHERE created_at >= (((now() AT TIME ZONE 'UTC')::date - ($1 - 1)::int)::timestamp AT TIME ZONE 'UTC')
             GROUP BY 1
         )
         SELECT span.day, COALESCE(sent.n, 0)::bigint AS count FROM span LEFT JOIN sent USING (day) ORDER BY span.day",
    )
    .bind::<BigInt, _>(days)
    .load(conn)
}

#[derive(QueryableByName)]
struct Totals {
    #[diesel(sql_type = BigInt)]
    bytes: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// (bytes, uploads) of every stored upload (thumbnails not counted).
pub fn media_totals(conn: &mut PgConnection) -> QueryResult<(i64, i64)> {
    let t: Totals = diesel::sql_query("SELECT COALESCE(sum(size), 0)::bigint AS bytes, count(*) AS n FROM attachments")
        .get_result(conn)?;
    Ok((t.bytes, t.n))
}

/// Bytes of the uploads `owner` keeps (their quota's use; `attachments_owner_idx`).
pub fn media_bytes_of(conn: &mut PgConnection, owner: UserId) -> QueryResult<i64> {
    let t: Totals = diesel::sql_query(
        "SELECT COALESCE(sum(size), 0)::bigint AS bytes, count(*) AS n FROM attachments WHERE owner_id = $1",
    )
    .bind::<BigInt, _>(owner.0)
    .get_result(conn)?;
    Ok(t.bytes)
}

/// Holds `owner`'s upload quota until the transaction ends: their uploads are checked against
/// it and recorded one at a time, so two at once cannot both pass on the same remainder.
pub fn lock_media_quota(conn: &mut PgConnection, owner: UserId) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<Text, _>(format!("media_quota:{}", owner.0))
        .execute(conn)
        .map(|_| ())
}

pub fn open_reports(conn: &mut PgConnection) -> QueryResult<i64> {
    reports::table.filter(reports::resolved_at.is_null()).count().get_result(conn)
}

/// Flood-control flags whose send limit still runs at `now`, and those recorded since `since`.
pub fn flood_flags(conn: &mut PgConnection, now: DateTime<Utc>, since: DateTime<Utc>) -> QueryResult<(i64, i64)> {
    let active = abuse_flags::table.filter(abuse_flags::limited_until.gt(now)).count().get_result(conn)?;
    let recent = abuse_flags::table.filter(abuse_flags::created_at.ge(since)).count().get_result(conn)?;
    Ok((active, recent))
}
