//! Disappearing messages. A conversation may keep its messages for 1-365 days: set by either
//! member of a direct chat, or by a group admin for a channel. A sweeper deletes what is
//! older, with media no other message carries, moves every member's `cleared_seq` past it
//! (so unread counts, history and search start after it, and clients drop those messages),
//! and announces `conversation.updated` (reason `retention`).

use std::collections::BTreeMap;

use diesel::PgConnection;
use shared::api::ConversationDto;
use shared::enums::GroupRole;
use shared::error::ErrorCode;
use shared::events::UpdateReason;
use shared::ids::{AttachmentId, ConversationId, UserId};
use shared::models::attachment::Attachment;
use shared::models::conversation::Conversation;
use shared::models::group::GroupMember;
use shared::models::message::Message;
use shared::models::outbox::Outbox;
use shared::Error;

use crate::domain::conversations::{self, require_member};
use crate::domain::events;
use crate::media::storage::MediaStore;

pub const MAX_DAYS: i32 = 365;
/// Messages deleted per transaction.
const BATCH: i64 = 2_000;

/// Sets (or with `None` removes) the retention of a conversation I am in.
pub fn set(
    conn: &mut Outbox<'_>,
    me: UserId,
    conversation_id: ConversationId,
    days: Option<i32>,
) -> Result<ConversationDto, Error> {
    if days.is_some_and(|d| !(1..=MAX_DAYS).contains(&d)) {
        return Err(Error::invalid("days", format!("must be between 1 and {MAX_DAYS}, or null to keep messages")));
    }
    conn.transaction(|conn| {
        let (conversation, _) = require_member(conn, conversation_id, me)?;
        if let Some(group_id) = conversation.group_id {
            if GroupMember::find(conn, group_id, me)?.is_none_or(|m| m.role < GroupRole::Admin) {
                return Err(Error::forbidden(
                    ErrorCode::InsufficientRole,
                    "only group admins set a channel's retention",
                ));
            }
        }
        if conversation.retention_days != days {
            Conversation::set_retention(conn, conversation_id, days)?;
            let event = events::updated(Some(conversation_id), conversation.group_id, UpdateReason::Retention, None);
            events::to_conversation(conn, &conversation, &event)?;
        }
        conversations::get(conn, me, conversation_id)
    })
}

/// One sweep: deletes expired messages in batches until none are left. Only one replica sweeps
/// at a time (a transaction-scoped advisory lock; the others skip). Returns how many.
pub fn sweep(conn: &mut Outbox<'_>, store: &dyn MediaStore) -> Result<usize, Error> {
    let mut total = 0;
    loop {
        let (deleted, orphans) = conn.transaction(|conn| {
            if !advisory_lock(conn)? {
                return Ok::<_, Error>((0, Vec::new()));
            }
            let expired = Message::delete_expired(conn, BATCH)?;
            let mut newest: BTreeMap<ConversationId, i64> = BTreeMap::new();
            for e in &expired {
                let seq = newest.entry(e.conversation_id).or_insert(e.seq);
                *seq = (*seq).max(e.seq);
            }
            for (&conversation_id, &seq) in &newest {
                Conversation::clear_up_to(conn, conversation_id, seq)?;
                let conversation = Conversation::find(conn, conversation_id)?;
                let event =
                    events::updated(Some(conversation_id), conversation.group_id, UpdateReason::Retention, None);
                events::to_conversation(conn, &conversation, &event)?;
            }
            let carried: Vec<AttachmentId> = expired.iter().filter_map(|e| e.attachment_id).collect();
            let orphans =
                if carried.is_empty() { Vec::new() } else { Attachment::delete_unreferenced(conn, &carried)? };
            Ok((expired.len(), orphans))
        })?;
        // The rows are gone for good: now their bytes (a failure leaves a file, never a row).
        for a in &orphans {
            for key in std::iter::once(&a.storage_key).chain(a.thumb_key.as_ref()) {
                if let Err(e) = store.delete(key) {
                    tracing::warn!(attachment_id = a.id.0, error = %e, "retention: media file not deleted");
                }
            }
        }
        total += deleted;
        if shared::num::len_i64(deleted) < BATCH {
            if total > 0 {
                tracing::info!(messages = total, "retention: expired messages deleted");
            }
            return Ok(total);
        }
    }
}

fn advisory_lock(conn: &mut PgConnection) -> Result<bool, Error> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    // An arbitrary constant naming "the retention sweep" among advisory locks.
    let row: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock(7264001) AS locked").get_result(conn)?;
    Ok(row.locked)
}
