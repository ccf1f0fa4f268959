//! The transactional outbox: events are written here in the transaction that causes them.
//!
//! Writing a row needs an [`Outbox`] handle, which only [`Writer::write`] hands out: the work
//! runs in it, and once it returns (committed) the local relay is woken. Every insert also
//! sends `NOTIFY` on [`CHANNEL`] in its transaction (the table's statement trigger
//! `outbox_notify`), delivered at commit, which wakes the leading relay of another replica. So
//! no event waits for a relay's poll (that stays only as a safety net).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use serde::Deserialize;
use tokio::sync::Notify;

use crate::broker::Outgoing;
use crate::db::schema::outbox;
use crate::db::PgPool;
use crate::events::{Event, RoutingKey};

/// The PostgreSQL notification channel of new outbox rows (the `outbox_notify` trigger's).
pub const CHANNEL: &str = "chat_outbox";

/// A connection that may write outbox rows (see the module doc). Everything else it does is
/// the connection's: it dereferences to it.
pub struct Outbox<'c> {
    conn: &'c mut PgConnection,
}

impl Deref for Outbox<'_> {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.conn
    }
}

impl DerefMut for Outbox<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.conn
    }
}

impl Outbox<'_> {
    /// [`Connection::transaction`], keeping the handle.
    pub fn transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Outbox<'_>) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        self.conn.transaction(|conn| f(&mut Outbox { conn }))
    }
}

/// Hands out [`Outbox`] handles and wakes the local relay after each write.
#[derive(Clone)]
pub struct Writer {
    pool: PgPool,
    wakeup: Arc<Notify>,
}

impl Writer {
    pub fn new(pool: PgPool, wakeup: Arc<Notify>) -> Self {
        Self { pool, wakeup }
    }

    /// Runs `f` on a pooled connection off the async workers (as [`crate::db::run`]), then wakes
    /// the local relay so the rows it committed are published at once if it leads.
    pub async fn write<T, F>(&self, f: F) -> crate::Result<T>
    where
        F: FnOnce(&mut Outbox<'_>) -> crate::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let result = crate::db::run(&self.pool, move |conn| f(&mut Outbox { conn })).await;
        if result.is_ok() {
            self.wakeup.notify_one();
        }
        result
    }

    /// What the relay waits on.
    pub fn wakeup(&self) -> Arc<Notify> {
        self.wakeup.clone()
    }
}

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

/// Why a stored row cannot be published as it is (written by something else than [`enqueue`],
/// or by a version that knew other events).
#[derive(Debug, thiserror::Error)]
pub enum Undecodable {
    #[error("routing key {0:?} is not user.<id>, group.<id> or presence.<id>")]
    RoutingKey(String),
    #[error("payload is not an event: {0}")]
    Payload(String),
}

impl OutboxRow {
    /// The message to publish, checked: its keys are routing keys and its payload an event, so
    /// what leaves is never empty nor something no node could read.
    pub fn to_outgoing(&self) -> Result<Outgoing, Undecodable> {
        let key = |k: &str| RoutingKey::parse(k).map(|_| k.to_owned()).ok_or_else(|| Undecodable::RoutingKey(k.into()));
        let routing_key = key(&self.routing_key)?;
        let cc = self.cc.iter().flatten().map(|k| key(k)).collect::<Result<Vec<_>, _>>()?;
        Event::deserialize(&self.payload).map_err(|e| Undecodable::Payload(e.to_string()))?;
        let payload = serde_json::to_vec(&self.payload).map_err(|e| Undecodable::Payload(e.to_string()))?;
        Ok(Outgoing { routing_key, cc, payload })
    }

    /// The oldest unpublished rows, in id order. A plain read: only the leading relay
    /// publishes, so nothing needs locking, and no transaction stays open while it publishes.
    pub fn pending(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<OutboxRow>> {
        outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::failed_at.is_null())
            .order(outbox::id)
            .limit(limit)
            .select(OutboxRow::as_select())
            .load(conn)
    }

    /// Deletes rows the broker has confirmed: one statement, committed on its own. The relay's
    /// session does not wait for the WAL flush of its commits (`api-server/src/outbox/leader.rs`):
    /// a delete lost in a crash only publishes those rows again (at-least-once; clients dedupe
    /// by seq), and the relay then adds no fsync of its own next to every send's. Deleting (not
    /// marking) keeps the table as small as its backlog, so reading the pending rows stays cheap.
    pub fn remove_published(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<usize> {
        diesel::delete(outbox::table.filter(outbox::id.eq_any(ids))).execute(conn)
    }

    /// Sets a row that does not decode aside (never published, kept for an operator, no longer
    /// pending: the rows behind it go on).
    pub fn mark_failed(conn: &mut PgConnection, id: i64, failure: &str) -> QueryResult<usize> {
        diesel::update(outbox::table.find(id))
            .set((outbox::failed_at.eq(diesel::dsl::now), outbox::failure.eq(failure)))
            .execute(conn)
    }

    pub fn count_pending(conn: &mut PgConnection) -> QueryResult<i64> {
        outbox::table
            .filter(outbox::published_at.is_null())
            .filter(outbox::failed_at.is_null())
            .count()
            .get_result(conn)
    }
}

/// Writes `event` to the outbox for `key` (plus `cc` keys, RabbitMQ's `CC`), in the transaction
/// of the change the event announces: one insert (diesel prepares it once per connection: no
/// optional column). Its statement trigger sends `NOTIFY` on [`CHANNEL`] (migration
/// `000521_outbox_notify_trigger`).
pub fn enqueue(out: &mut Outbox<'_>, key: RoutingKey, cc: &[RoutingKey], event: &Event) -> QueryResult<()> {
    let payload = serde_json::to_value(event).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let cc: Vec<Option<String>> = cc.iter().map(|k| Some(k.to_string())).collect();
    diesel::insert_into(outbox::table)
        .values((outbox::routing_key.eq(key.to_string()), outbox::cc.eq(cc), outbox::payload.eq(payload)))
        .execute(out.conn)?;
    Ok(())
}
