//! Delivered/read watermarks per member. They only move forward; read implies delivered.

use diesel::PgConnection;
use shared::api::ReceiptDto;
use shared::events::Event;
use shared::ids::{ConversationId, UserId};
use shared::models::conversation::Member;
use shared::models::outbox::Outbox;
use shared::models::privacy;
use shared::Error;

use crate::domain::conversations::require_member;
use crate::domain::events;

fn dto(m: &Member) -> ReceiptDto {
    ReceiptDto {
        conversation_id: m.conversation_id,
        user_id: m.user_id,
        delivered_seq: m.last_delivered_seq,
        read_seq: m.last_read_seq,
    }
}

/// Moves my watermarks; publishes a `receipt` event when one of them moved.
pub fn update(
    conn: &mut Outbox<'_>,
    me: UserId,
    conversation_id: ConversationId,
    delivered_seq: Option<i64>,
    read_seq: Option<i64>,
) -> Result<ReceiptDto, Error> {
    if delivered_seq.is_none() && read_seq.is_none() {
        return Err(Error::invalid("read_seq", "give delivered_seq, read_seq or both"));
    }
    conn.transaction(|conn| {
        let (conversation, before) = require_member(conn, conversation_id, me)?;
        for (field, value) in [("delivered_seq", delivered_seq), ("read_seq", read_seq)] {
            if let Some(v) = value {
                if v < 0 || v > conversation.last_seq {
                    return Err(Error::invalid(field, format!("must be between 0 and {}", conversation.last_seq)));
                }
            }
        }
        let after = Member::advance(conn, conversation_id, me, delivered_seq.unwrap_or(0), read_seq.unwrap_or(0))?;
        let receipt = dto(&after);
        if after.last_delivered_seq != before.last_delivered_seq || after.last_read_seq != before.last_read_seq {
            if privacy::hiding_reads(conn, &[me])?.is_empty() {
                events::to_conversation(conn, &conversation, &Event::Receipt(receipt.clone()))?;
            } else {
                // The others learn only of delivery; my own devices still sync how far I read.
                if after.last_delivered_seq != before.last_delivered_seq {
                    let shown = ReceiptDto { read_seq: 0, ..receipt.clone() };
                    events::to_conversation(conn, &conversation, &Event::Receipt(shown))?;
                }
                events::to_user(conn, me, &Event::Receipt(receipt.clone()))?;
            }
        }
        Ok(receipt)
    })
}

/// Every member's watermarks (a group's "seen by"). Read watermarks are 0 where privacy hides
/// them: a member who keeps reads to themselves, or everyone else's when I do.
pub fn list(conn: &mut PgConnection, me: UserId, conversation_id: ConversationId) -> Result<Vec<ReceiptDto>, Error> {
    require_member(conn, conversation_id, me)?;
    let members = Member::all_of(conn, conversation_id)?;
    let ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
    let hiding = privacy::hiding_reads(conn, &ids)?;
    let i_hide = hiding.contains(&me);
    Ok(members
        .iter()
        .map(dto)
        .map(|r| {
            if r.user_id != me && (i_hide || hiding.contains(&r.user_id)) {
                ReceiptDto { read_seq: 0, ..r }
            } else {
                r
            }
        })
        .collect())
}
