//! The sidebar: every conversation of a user with what the list shows, in ONE query
//! (last visible message through a LATERAL join, peer and my alias for them, group name,
//! unread count from the watermarks), pinned first, then by last activity.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::api::{ConversationDto, MessageDto, PeerDto};
use crate::enums::{ConversationKind, MessageKind};
use crate::ids::{AttachmentId, ConversationId, GroupId, MessageId, UserId};

#[derive(Debug, QueryableByName)]
pub struct SidebarRow {
    #[diesel(sql_type = BigInt)]
    id: ConversationId,
    #[diesel(sql_type = Text)]
    kind: ConversationKind,
    #[diesel(sql_type = Nullable<BigInt>)]
    group_id: Option<GroupId>,
    #[diesel(sql_type = Nullable<Text>)]
    group_name: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    group_avatar_id: Option<AttachmentId>,
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_message_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = BigInt)]
    last_read_seq: i64,
    #[diesel(sql_type = BigInt)]
    last_delivered_seq: i64,
    #[diesel(sql_type = BigInt)]
    cleared_seq: i64,
    #[diesel(sql_type = Bool)]
    pinned: bool,
    #[diesel(sql_type = Bool)]
    archived: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    muted_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    retention_days: Option<i32>,
    #[diesel(sql_type = BigInt)]
    change_version: i64,
    #[diesel(sql_type = BigInt)]
    unread_count: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    peer_id: Option<UserId>,
    #[diesel(sql_type = Nullable<Text>)]
    peer_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    peer_display_name: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    peer_avatar_id: Option<AttachmentId>,
    #[diesel(sql_type = Nullable<Text>)]
    peer_alias: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    peer_status_emoji: Option<String>,
    #[diesel(sql_type = Bool)]
    peer_blocked: bool,
    #[diesel(sql_type = Bool)]
    peer_blocks_me: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_id: Option<MessageId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_seq: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_sender_id: Option<UserId>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    m_client_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    m_kind: Option<MessageKind>,
    #[diesel(sql_type = Nullable<Text>)]
    m_body: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_attachment_id: Option<AttachmentId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_reply_to_id: Option<MessageId>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    m_edited_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    m_deleted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    m_created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_change_version: Option<i64>,
}

const SIDEBAR_SQL: &str = r#"
SELECT c.id, c.kind, c.group_id, g.name AS group_name, g.avatar_id AS group_avatar_id, c.name, c.last_seq, c.last_message_at,
       cm.last_read_seq, cm.last_delivered_seq, cm.cleared_seq,
       cm.pinned_at IS NOT NULL AS pinned, cm.archived_at IS NOT NULL AS archived, cm.muted_until,
       c.retention_days, c.change_version,
       GREATEST(c.last_seq - GREATEST(cm.last_read_seq, cm.cleared_seq), 0) AS unread_count,
       p.id AS peer_id, p.username AS peer_username, p.display_name AS peer_display_name,
       p.avatar_id AS peer_avatar_id, ct.alias AS peer_alias, p.status_emoji AS peer_status_emoji,
       EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = cm.user_id AND b.blocked_id = p.id) AS peer_blocked,
       EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = p.id AND b.blocked_id = cm.user_id) AS peer_blocks_me,
       m.id AS m_id, m.seq AS m_seq, m.sender_id AS m_sender_id, m.client_id AS m_client_id, m.kind AS m_kind,
       m.body AS m_body, m.attachment_id AS m_attachment_id, m.reply_to_id AS m_reply_to_id,
       m.edited_at AS m_edited_at, m.deleted_at AS m_deleted_at, m.created_at AS m_created_at,
       m.change_version AS m_change_version
FROM conversation_members cm
JOIN conversations c ON c.id = cm.conversation_id
LEFT JOIN groups g ON g.id = c.group_id
LEFT JOIN users p ON c.kind = 'direct'
     AND p.id = CASE WHEN c.direct_low = cm.user_id THEN c.direct_high ELSE c.direct_low END
LEFT JOIN contacts ct ON ct.owner_id = cm.user_id AND ct.contact_id = p.id
LEFT JOIN LATERAL (
    SELECT * FROM messages
    WHERE messages.conversation_id = c.id AND messages.seq > cm.cleared_seq
    ORDER BY messages.seq DESC LIMIT 1
) m ON true
WHERE cm.user_id = $1
  AND ($2::bigint IS NULL OR c.id = $2)
  AND ($2::bigint IS NOT NULL OR cm.hidden_at IS NULL OR c.last_message_at > cm.hidden_at)
ORDER BY (cm.pinned_at IS NOT NULL) DESC, COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC
LIMIT $3 OFFSET $4
"#;

/// A page of my sidebar (`offset`/`limit`), or one conversation of it (`only`).
pub fn load(
    conn: &mut PgConnection,
    user_id: UserId,
    only: Option<ConversationId>,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<ConversationDto>> {
    let rows: Vec<SidebarRow> = diesel::sql_query(SIDEBAR_SQL)
        .bind::<BigInt, _>(user_id)
        .bind::<Nullable<BigInt>, _>(only)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)?;
    Ok(rows.into_iter().map(SidebarRow::into_dto).collect())
}

impl SidebarRow {
    fn into_dto(self) -> ConversationDto {
        let peer = match (self.peer_id, self.peer_username, self.peer_display_name) {
            (Some(id), Some(username), Some(display_name)) => Some(PeerDto {
                id,
                username,
                display_name,
                avatar_id: self.peer_avatar_id,
                alias: self.peer_alias,
                status_emoji: self.peer_status_emoji,
                blocked: self.peer_blocked,
                messaging_blocked: self.peer_blocked || self.peer_blocks_me,
            }),
            _ => None,
        };
        let last_message =
            match (self.m_id, self.m_seq, self.m_sender_id, self.m_client_id, self.m_created_at, self.m_kind) {
                (Some(id), Some(seq), Some(sender_id), Some(client_id), Some(created_at), Some(kind)) => {
                    Some(MessageDto {
                        id,
                        conversation_id: self.id,
                        seq,
                        sender_id,
                        client_id,
                        kind,
                        body: self.m_body.unwrap_or_default(),
                        attachment_id: self.m_attachment_id,
                        reply_to_id: self.m_reply_to_id,
                        edited_at: self.m_edited_at,
                        deleted_at: self.m_deleted_at,
                        created_at,
                        // The sidebar preview shows no reactions.
                        reactions: Vec::new(),
                        attachment: None,
                        change_version: self.m_change_version.unwrap_or_default(),
                    })
                }
                _ => None,
            };
        ConversationDto {
            id: self.id,
            kind: self.kind,
            group_id: self.group_id,
            group_name: self.group_name,
            group_avatar_id: self.group_avatar_id,
            name: self.name,
            peer,
            last_seq: self.last_seq,
            last_message_at: self.last_message_at,
            last_message,
            unread_count: self.unread_count,
            last_read_seq: self.last_read_seq,
            last_delivered_seq: self.last_delivered_seq,
            cleared_seq: self.cleared_seq,
            pinned: self.pinned,
            archived: self.archived,
            muted_until: self.muted_until,
            retention_days: self.retention_days,
            change_version: self.change_version,
        }
    }
}
