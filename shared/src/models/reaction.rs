//! Emoji reactions: one row per (message, user, emoji).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::api::ReactionDto;
use crate::db::schema::reactions;
use crate::ids::{MessageId, UserId};

/// Adds my reaction; `false` when it was already there.
pub fn add(conn: &mut PgConnection, message_id: MessageId, user_id: UserId, emoji: &str) -> QueryResult<bool> {
    let n = diesel::insert_into(reactions::table)
        .values((reactions::message_id.eq(message_id), reactions::user_id.eq(user_id), reactions::emoji.eq(emoji)))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(n == 1)
}

/// Removes my reaction; `false` when there was none.
pub fn remove(conn: &mut PgConnection, message_id: MessageId, user_id: UserId, emoji: &str) -> QueryResult<bool> {
    let n = diesel::delete(reactions::table.find((message_id, user_id, emoji))).execute(conn)?;
    Ok(n == 1)
}

/// Removes every reaction of a message (it was deleted).
pub fn clear(conn: &mut PgConnection, message_id: MessageId) -> QueryResult<usize> {
    diesel::delete(reactions::table.filter(reactions::message_id.eq(message_id))).execute(conn)
}

/// Whether `emoji` is on the message already, and how many distinct emoji it carries.
pub fn emoji_in_use(conn: &mut PgConnection, message_id: MessageId, emoji: &str) -> QueryResult<(bool, usize)> {
    let used: Vec<String> =
        reactions::table.filter(reactions::message_id.eq(message_id)).select(reactions::emoji).distinct().load(conn)?;
    Ok((used.iter().any(|e| e == emoji), used.len()))
}

/// The reactions of these messages, aggregated per emoji; `viewer` sets each `me` flag.
pub fn for_messages(
    conn: &mut PgConnection,
    message_ids: &[MessageId],
    viewer: Option<UserId>,
) -> QueryResult<HashMap<MessageId, Vec<ReactionDto>>> {
    if message_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(MessageId, String, UserId)> = reactions::table
        .filter(reactions::message_id.eq_any(message_ids))
        .order((reactions::message_id, reactions::created_at, reactions::user_id))
        .select((reactions::message_id, reactions::emoji, reactions::user_id))
        .load(conn)?;
    Ok(aggregate(rows, viewer))
}

fn aggregate(rows: Vec<(MessageId, String, UserId)>, viewer: Option<UserId>) -> HashMap<MessageId, Vec<ReactionDto>> {
    let mut out: HashMap<MessageId, Vec<ReactionDto>> = HashMap::new();
    for (message_id, emoji, user_id) in rows {
        let list = out.entry(message_id).or_default();
        let at = match list.iter().position(|r| r.emoji == emoji) {
            Some(i) => i,
            None => {
                list.push(ReactionDto { emoji, count: 0, user_ids: Vec::new(), me: viewer.map(|_| false) });
                list.len() - 1
            }
        };
        let r = &mut list[at];
        r.count += 1;
        r.user_ids.push(user_id);
        if viewer == Some(user_id) {
            r.me = Some(true);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_per_emoji_in_first_use_order_with_the_viewer_flag() {
        let rows = [(1, "👍", 7), (1, "🎉", 8), (1, "👍", 8), (2, "👍", 9)]
            .map(|(m, e, u)| (MessageId(m), e.to_owned(), UserId(u)))
            .to_vec();
        let out = aggregate(rows.clone(), Some(UserId(8)));
        let first = &out[&MessageId(1)];
        assert_eq!(first.iter().map(|r| r.emoji.as_str()).collect::<Vec<_>>(), ["👍", "🎉"]);
        assert_eq!(
            (first[0].count, first[0].user_ids.clone(), first[0].me),
            (2, vec![UserId(7), UserId(8)], Some(true))
        );
        assert_eq!(out[&MessageId(2)][0].me, Some(false));
        assert_eq!(aggregate(rows, None)[&MessageId(1)][0].me, None, "events carry no per-viewer flag");
    }
}
