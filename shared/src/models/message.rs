//! Messages: per-conversation `seq`, idempotent by `(sender_id, client_id)`, tombstones.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::api::MessageDto;
use crate::db::prepared::Prepare;
use crate::db::schema::messages;
use crate::enums::MessageKind;
use crate::ids::{AttachmentId, ConversationId, MessageId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = messages)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub sender_id: UserId,
    pub client_id: Uuid,
    pub kind: MessageKind,
    pub body: String,
    pub attachment_id: Option<AttachmentId>,
    pub reply_to_id: Option<MessageId>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Its conversation's change version at its last edit, deletion or reaction change (0:
    /// never changed); see [`crate::models::change_version`].
    pub change_version: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage<'a> {
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub sender_id: UserId,
    pub client_id: Uuid,
    pub kind: MessageKind,
    pub body: &'a str,
    pub attachment_id: Option<AttachmentId>,
    pub reply_to_id: Option<MessageId>,
    pub created_at: DateTime<Utc>,
}

/// Which part of a conversation's history to read.
#[derive(Debug, Clone, Copy)]
pub enum Window {
    /// The newest messages.
    Latest,
    /// Messages with seq < before, newest first before reversal.
    Before(i64),
    /// Messages with seq > after, oldest first.
    After(i64),
}

/// A message deleted by retention: where it was and what it carried.
#[derive(Debug, QueryableByName)]
pub struct Expired {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub conversation_id: ConversationId,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub seq: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub attachment_id: Option<AttachmentId>,
}

impl Message {
    /// Deletes up to `limit` messages older than their conversation's `retention_days`
    /// (reactions and reports go with them; replies keep a null `reply_to_id`).
    pub fn delete_expired(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Expired>> {
        diesel::sql_query(
            "DELETE FROM messages WHERE id IN ( \
               SELECT m.id FROM conversations c JOIN messages m ON m.conversation_id = c.id \
               WHERE c.retention_days IS NOT NULL \
                 AND m.created_at < now() - make_interval(days => c.retention_days) \
               ORDER BY m.id LIMIT $1) \
             RETURNING conversation_id, seq, attachment_id",
        )
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(conn)
    }

    /// The uploads the messages of these conversations carry (tombstones carry none), to trash
    /// when the conversations go.
    pub fn uploads_in(conn: &mut PgConnection, conversations: &[ConversationId]) -> QueryResult<Vec<AttachmentId>> {
        messages::table
            .filter(messages::conversation_id.eq_any(conversations))
            .filter(messages::attachment_id.is_not_null())
            .select(messages::attachment_id.assume_not_null())
            .distinct()
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, new: &NewMessage) -> QueryResult<Message> {
        diesel::insert_into(messages::table).values(new).returning(Message::as_returning()).prepared().get_result(conn)
    }

    /// The messages with these ids (any order).
    pub fn by_ids(conn: &mut PgConnection, ids: &[MessageId]) -> QueryResult<Vec<Message>> {
        messages::table.filter(messages::id.eq_any(ids)).select(Message::as_select()).load(conn)
    }

    pub fn find(conn: &mut PgConnection, id: MessageId) -> QueryResult<Message> {
        messages::table.find(id).select(Message::as_select()).first(conn)
    }

    pub fn find_by_client_id(
        conn: &mut PgConnection,
        sender_id: UserId,
        client_id: Uuid,
    ) -> QueryResult<Option<Message>> {
        messages::table
            .filter(messages::sender_id.eq(sender_id))
            .filter(messages::client_id.eq(client_id))
            .select(Message::as_select())
            .first(conn)
            .optional()
    }

    /// Up to `limit` messages above `cleared_seq`, in ascending seq order.
    pub fn page(
        conn: &mut PgConnection,
        conversation_id: ConversationId,
        cleared_seq: i64,
        window: Window,
        limit: i64,
    ) -> QueryResult<Vec<Message>> {
        let base = messages::table
            .filter(messages::conversation_id.eq(conversation_id))
            .filter(messages::seq.gt(cleared_seq))
            .select(Message::as_select())
            .limit(limit);
        let mut rows = match window {
            Window::Latest => base.order(messages::seq.desc()).load(conn)?,
            Window::Before(before) => base.filter(messages::seq.lt(before)).order(messages::seq.desc()).load(conn)?,
            Window::After(after) => return base.filter(messages::seq.gt(after)).order(messages::seq.asc()).load(conn),
        };
        rows.reverse();
        Ok(rows)
    }

    pub fn edit(conn: &mut PgConnection, id: MessageId, body: &str) -> QueryResult<Message> {
        diesel::update(messages::table.find(id))
            .set((messages::body.eq(body), messages::edited_at.eq(diesel::dsl::now)))
            .returning(Message::as_returning())
            .get_result(conn)
    }

    /// Keeps id, seq, sender and times; drops the content.
    pub fn tombstone(conn: &mut PgConnection, id: MessageId) -> QueryResult<Message> {
        diesel::update(messages::table.find(id))
            .set((
                messages::body.eq(""),
                messages::attachment_id.eq(None::<AttachmentId>),
                messages::deleted_at.eq(diesel::dsl::now),
            ))
            .returning(Message::as_returning())
            .get_result(conn)
    }
}

impl From<&Message> for MessageDto {
    fn from(m: &Message) -> Self {
        MessageDto {
            id: m.id,
            conversation_id: m.conversation_id,
            seq: m.seq,
            sender_id: m.sender_id,
            client_id: m.client_id,
            kind: m.kind,
            body: m.body.clone(),
            attachment_id: m.attachment_id,
            reply_to_id: m.reply_to_id,
            edited_at: m.edited_at,
            deleted_at: m.deleted_at,
            created_at: m.created_at,
            reactions: Vec::new(),
            attachment: None,
            change_version: m.change_version,
        }
    }
}
