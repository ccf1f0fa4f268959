//! The transactional outbox: events are written here in the transaction that causes them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::broker::Outgoing;
use crate::db::schema::outbox;
use crate::events::Event;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub routing_key: String,
    pub cc: Vec<Option<String>>,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

impl OutboxRow {
    pub fn to_outgoing(&self) -> Outgoing {
        Outgoing {
            routing_key: self.routing_key.clone(),
            cc: self.cc.iter().flatten().cloned().collect(),
            payload: serde_json::to_vec(&self.payload).unwrap_or_default(),
        }
    }

    /// The oldest unpublished rows, in id order. A plain read: only the leading relay
    /// publishes, so nothing needs locking, and no transaction stays open while it publishes.
    pub fn pending(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<OutboxRow>> {
        outbox::table
            .filter(outbox::published_at.is_null())
            .order(outbox::id)
            .limit(limit)
            .select(OutboxRow::as_select())
            .load(conn)
    }

    /// Marks rows published, after their confirms, in a short transaction of its own. Its
    /// commit does not wait for the WAL flush (`synchronous_commit` off for this transaction
    /// only): a mark lost in a crash only publishes those rows again (at-least-once; clients
    /// dedupe by seq), and the relay then adds no fsync of its own next to every send's.
    pub fn mark_published(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<usize> {
        conn.transaction(|conn| {
            diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(conn)?;
            diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
                .set(outbox::published_at.eq(diesel::dsl::now))
                .execute(conn)
        })
    }

    pub fn count_pending(conn: &mut PgConnection) -> QueryResult<i64> {
        outbox::table.filter(outbox::published_at.is_null()).count().get_result(conn)
    }

    /// Deletes rows published more than a day ago (a bounded batch per call).
    pub fn prune_published(conn: &mut PgConnection) -> QueryResult<usize> {
        diesel::sql_query(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at < now() - interval '1 day' LIMIT 10000)",
        )
        .execute(conn)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = outbox)]
struct NewOutboxRow<'a> {
    routing_key: &'a str,
    cc: Vec<String>,
    payload: serde_json::Value,
}

/// Writes `event` to the outbox for `routing_key` (plus `cc` keys). Call inside the transaction
/// of the change the event announces.
pub fn enqueue(conn: &mut PgConnection, routing_key: &str, cc: Vec<String>, event: &Event) -> QueryResult<()> {
    let payload = serde_json::to_value(event).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(outbox::table).values(NewOutboxRow { routing_key, cc, payload }).execute(conn)?;
    Ok(())
}
