//! Delivered/read watermarks per member. They only move forward; read implies delivered.

use diesel::{Connection, PgConnection};
use shared::api::ReceiptDto;
use shared::events::Event;
use shared::models::conversation::Member;
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
    conn: &mut PgConnection,
    me: i64,
    conversation_id: i64,
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
            events::to_conversation(conn, &conversation, &Event::Receipt(receipt.clone()))?;
        }
        Ok(receipt)
    })
}

/// Every member's watermarks (a group's "seen by").
pub fn list(conn: &mut PgConnection, me: i64, conversation_id: i64) -> Result<Vec<ReceiptDto>, Error> {
    require_member(conn, conversation_id, me)?;
    Ok(Member::all_of(conn, conversation_id)?.iter().map(dto).collect())
}
