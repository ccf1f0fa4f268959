//! Conversations (a direct chat, or one channel of a group) and per-member state.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use crate::db::prepared::Prepare;
use crate::db::schema::{conversation_members, conversations, group_members};
use crate::enums::ConversationKind;
use crate::ids::{ConversationId, GroupId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = conversations)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub group_id: Option<GroupId>,
    pub name: Option<String>,
    pub direct_low: Option<UserId>,
    pub direct_high: Option<UserId>,
    pub last_seq: i64,
    pub last_message_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Messages older than this many days are deleted (None: kept).
    pub retention_days: Option<i32>,
    /// Bumped by every change to one of its messages ([`crate::models::change_version`]).
    pub change_version: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = conversation_members)]
pub struct Member {
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub last_delivered_seq: i64,
    pub last_read_seq: i64,
    pub cleared_seq: i64,
    pub pinned_at: Option<DateTime<Utc>>,
    pub archived_at: Option<DateTime<Utc>>,
    pub muted_until: Option<DateTime<Utc>>,
    pub hidden_at: Option<DateTime<Utc>>,
    pub joined_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<ConversationId>,
}

impl Conversation {
    pub fn set_retention(conn: &mut PgConnection, id: ConversationId, days: Option<i32>) -> QueryResult<usize> {
        diesel::update(conversations::table.find(id)).set(conversations::retention_days.eq(days)).execute(conn)
    }

    /// Every member's view starts after `seq` (messages up to it are gone).
    pub fn clear_up_to(conn: &mut PgConnection, id: ConversationId, seq: i64) -> QueryResult<usize> {
        diesel::update(
            conversation_members::table
                .filter(conversation_members::conversation_id.eq(id))
                .filter(conversation_members::cleared_seq.lt(seq)),
        )
        .set(conversation_members::cleared_seq.eq(seq))
        .execute(conn)
    }

    pub fn find(conn: &mut PgConnection, id: ConversationId) -> QueryResult<Conversation> {
        conversations::table.find(id).select(Conversation::as_select()).first(conn)
    }

    pub fn is_direct(&self) -> bool {
        self.kind == ConversationKind::Direct
    }

    /// The other member of a direct chat.
    pub fn peer_of(&self, user_id: UserId) -> Option<UserId> {
        match (self.direct_low, self.direct_high) {
            (Some(low), Some(high)) if low == user_id => Some(high),
            (Some(low), Some(_)) => Some(low),
            _ => None,
        }
    }

    /// The direct chat of two users, created with both members when missing. Exactly one per
    /// pair even under concurrent calls (unique partial index + ON CONFLICT DO NOTHING).
    /// Returns the conversation and whether this call created it.
    pub fn direct_get_or_create(conn: &mut PgConnection, a: UserId, b: UserId) -> QueryResult<(Conversation, bool)> {
        let (low, high) = if a < b { (a, b) } else { (b, a) };
        let inserted = diesel::sql_query(
            "INSERT INTO conversations (kind, direct_low, direct_high) VALUES ('direct', $1, $2) \
             ON CONFLICT (direct_low, direct_high) WHERE kind = 'direct' DO NOTHING RETURNING id",
        )
        .bind::<BigInt, _>(low)
        .bind::<BigInt, _>(high)
        .get_result::<Id>(conn)
        .optional()?
        .and_then(|r| r.id);
        if let Some(id) = inserted {
            Member::add_many(conn, id, &[low, high])?;
            return Ok((Conversation::find(conn, id)?, true));
        }
        let existing = conversations::table
            .filter(conversations::kind.eq(ConversationKind::Direct))
            .filter(conversations::direct_low.eq(low))
            .filter(conversations::direct_high.eq(high))
            .select(Conversation::as_select())
            .first(conn)?;
        Ok((existing, false))
    }

    /// The direct chat of two users, if they have one.
    pub fn direct_between(conn: &mut PgConnection, a: UserId, b: UserId) -> QueryResult<Option<Conversation>> {
        let (low, high) = if a.0 < b.0 { (a.0, b.0) } else { (b.0, a.0) };
        conversations::table
            .filter(conversations::kind.eq(ConversationKind::Direct))
            .filter(conversations::direct_low.eq(low))
            .filter(conversations::direct_high.eq(high))
            .select(Conversation::as_select())
            .first(conn)
            .optional()
    }

    /// Allocates the next seq (locks the row until commit: senders of one conversation queue
    /// here, which is what makes seqs gap-free and monotonic, and so does a membership change
    /// of its group, see [`Self::lock_group_channels`]).
    pub fn next_seq(conn: &mut PgConnection, id: ConversationId) -> QueryResult<(i64, DateTime<Utc>)> {
        diesel::update(conversations::table.find(id))
            .set((
                conversations::last_seq.eq(conversations::last_seq + 1),
                conversations::last_message_at.eq(diesel::dsl::now),
            ))
            .returning((conversations::last_seq, conversations::last_message_at.assume_not_null()))
            .prepared()
            .get_result(conn)
    }

    /// Locks every channel of a group, in id order (two of these never deadlock), before a
    /// membership change of the group writes anything. A send ([`Self::next_seq`]) or a change
    /// to a message ([`Self::hold`]) in any of them then commits wholly before or after the
    /// membership change, and takes its outbox ids before or after it: the relay publishes in
    /// id order, so the ws nodes apply the change and the message in commit order.
    pub fn lock_group_channels(conn: &mut PgConnection, group_id: GroupId) -> QueryResult<Vec<ConversationId>> {
        conversations::table
            .filter(conversations::group_id.eq(group_id))
            .order(conversations::id)
            .select(conversations::id)
            .for_update()
            .load(conn)
    }

    /// Holds the conversation for a change to one of its messages until the transaction ends:
    /// `FOR NO KEY UPDATE`, the lock a send's [`Self::next_seq`] takes, so the changes and sends
    /// of a conversation queue here before they lock anything else (the change then bumps
    /// `change_version` on this row: see [`crate::models::change_version`]), and a membership
    /// change ([`Self::lock_group_channels`]) commits wholly before or after them. `None`: no
    /// such conversation.
    pub fn hold(conn: &mut PgConnection, id: ConversationId) -> QueryResult<Option<ConversationId>> {
        conversations::table.find(id).select(conversations::id).for_no_key_update().first(conn).optional()
    }

    pub fn create_channel(conn: &mut PgConnection, group_id: GroupId, name: &str) -> QueryResult<Conversation> {
        diesel::insert_into(conversations::table)
            .values((
                conversations::kind.eq(ConversationKind::Channel),
                conversations::group_id.eq(group_id),
                conversations::name.eq(name),
            ))
            .returning(Conversation::as_returning())
            .get_result(conn)
    }

    pub fn channels_of(conn: &mut PgConnection, group_id: GroupId) -> QueryResult<Vec<Conversation>> {
        conversations::table
            .filter(conversations::group_id.eq(group_id))
            .order(conversations::id)
            .select(Conversation::as_select())
            .load(conn)
    }

    pub fn rename(conn: &mut PgConnection, id: ConversationId, name: &str) -> QueryResult<usize> {
        diesel::update(conversations::table.find(id)).set(conversations::name.eq(name)).execute(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: ConversationId) -> QueryResult<usize> {
        diesel::delete(conversations::table.find(id)).execute(conn)
    }
}

/// A per-user flag change (`None` leaves a column unchanged; `Some(None)` clears it).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = conversation_members)]
pub struct FlagChanges {
    pub pinned_at: Option<Option<DateTime<Utc>>>,
    pub archived_at: Option<Option<DateTime<Utc>>>,
    pub muted_until: Option<Option<DateTime<Utc>>>,
    pub hidden_at: Option<Option<DateTime<Utc>>>,
    pub cleared_seq: Option<i64>,
}

diesel::define_sql_function! {
    /// PostgreSQL's GREATEST of two bigints.
    fn greatest(a: BigInt, b: BigInt) -> BigInt;
}

impl Member {
    /// A member's row with its conversation, in one round trip (`None`: not a member).
    pub fn find_with_conversation(
        conn: &mut PgConnection,
        conversation_id: ConversationId,
        user_id: UserId,
    ) -> QueryResult<Option<(Conversation, Member)>> {
        conversation_members::table
            .inner_join(conversations::table)
            .filter(conversation_members::conversation_id.eq(conversation_id))
            .filter(conversation_members::user_id.eq(user_id))
            .select((Conversation::as_select(), Member::as_select()))
            .first(conn)
            .optional()
    }

    pub fn find(
        conn: &mut PgConnection,
        conversation_id: ConversationId,
        user_id: UserId,
    ) -> QueryResult<Option<Member>> {
        conversation_members::table.find((conversation_id, user_id)).select(Member::as_select()).first(conn).optional()
    }

    pub fn add_many(
        conn: &mut PgConnection,
        conversation_id: ConversationId,
        user_ids: &[UserId],
    ) -> QueryResult<usize> {
        let rows: Vec<_> = user_ids
            .iter()
            .map(|u| (conversation_members::conversation_id.eq(conversation_id), conversation_members::user_id.eq(*u)))
            .collect();
        diesel::insert_into(conversation_members::table).values(rows).on_conflict_do_nothing().execute(conn)
    }

    /// Makes `user_id` a member of every channel of the group (on joining it).
    pub fn join_group_channels(conn: &mut PgConnection, group_id: GroupId, user_id: UserId) -> QueryResult<usize> {
        diesel::sql_query(
            "INSERT INTO conversation_members (conversation_id, user_id) \
             SELECT id, $2 FROM conversations WHERE group_id = $1 ON CONFLICT DO NOTHING",
        )
        .bind::<BigInt, _>(group_id)
        .bind::<BigInt, _>(user_id)
        .execute(conn)
    }

    /// Makes every group member a member of a new channel.
    pub fn add_group_members_to(
        conn: &mut PgConnection,
        group_id: GroupId,
        conversation_id: ConversationId,
    ) -> QueryResult<usize> {
        diesel::insert_into(conversation_members::table)
            .values(
                group_members::table
                    .filter(group_members::group_id.eq(group_id))
                    .select((conversation_id.into_sql::<BigInt>(), group_members::user_id)),
            )
            .into_columns((conversation_members::conversation_id, conversation_members::user_id))
            .on_conflict_do_nothing()
            .execute(conn)
    }

    pub fn leave_group_channels(conn: &mut PgConnection, group_id: GroupId, user_id: UserId) -> QueryResult<usize> {
        diesel::delete(
            conversation_members::table.filter(conversation_members::user_id.eq(user_id)).filter(
                conversation_members::conversation_id.eq_any(
                    conversations::table.filter(conversations::group_id.eq(group_id)).select(conversations::id),
                ),
            ),
        )
        .execute(conn)
    }

    pub fn all_of(conn: &mut PgConnection, conversation_id: ConversationId) -> QueryResult<Vec<Member>> {
        conversation_members::table
            .filter(conversation_members::conversation_id.eq(conversation_id))
            .order(conversation_members::user_id)
            .select(Member::as_select())
            .load(conn)
    }

    /// Moves the watermarks forward only (a lower value changes nothing); read implies
    /// delivered. Returns the row after the update.
    /// Moves both watermarks forward (never back); reading implies delivery. One prepared
    /// statement: it runs inside every send.
    pub fn advance(
        conn: &mut PgConnection,
        conversation_id: ConversationId,
        user_id: UserId,
        delivered: i64,
        read: i64,
    ) -> QueryResult<Member> {
        use conversation_members::dsl::{last_delivered_seq, last_read_seq};
        diesel::update(conversation_members::table.find((conversation_id, user_id)))
            .set((
                last_read_seq.eq(greatest(last_read_seq, read)),
                last_delivered_seq.eq(greatest(greatest(last_delivered_seq, read), delivered)),
            ))
            .returning(Member::as_returning())
            .prepared()
            .get_result(conn)
    }

    pub fn set_flags(
        conn: &mut PgConnection,
        conversation_id: ConversationId,
        user_id: UserId,
        changes: &FlagChanges,
    ) -> QueryResult<usize> {
        diesel::update(conversation_members::table.find((conversation_id, user_id))).set(changes).execute(conn)
    }
}

/// Where a conversation's events go: its two members, or its group. Immutable once created
/// (only deletion changes it), so ws-server caches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationRoute {
    Direct { low: UserId, high: UserId },
    Channel { group_id: GroupId },
}

impl ConversationRoute {
    fn from_row(
        kind: ConversationKind,
        group_id: Option<GroupId>,
        low: Option<UserId>,
        high: Option<UserId>,
    ) -> Option<Self> {
        match (kind, group_id, low, high) {
            (ConversationKind::Direct, _, Some(low), Some(high)) => Some(Self::Direct { low, high }),
            (ConversationKind::Channel, Some(group_id), _, _) => Some(Self::Channel { group_id }),
            _ => None,
        }
    }
}

impl Conversation {
    /// Where the events of conversation `id` go; `None` when there is none (or its row makes no
    /// sense).
    pub fn route_of(conn: &mut PgConnection, id: ConversationId) -> QueryResult<Option<ConversationRoute>> {
        let row = conversations::table
            .find(id)
            .select((
                conversations::kind,
                conversations::group_id,
                conversations::direct_low,
                conversations::direct_high,
            ))
            .first::<(ConversationKind, Option<GroupId>, Option<UserId>, Option<UserId>)>(conn)
            .optional()?;
        Ok(row.and_then(|(kind, group, low, high)| ConversationRoute::from_row(kind, group, low, high)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_routes_from_rows() {
        assert_eq!(
            ConversationRoute::from_row(ConversationKind::Direct, None, Some(UserId(1)), Some(UserId(2))),
            Some(ConversationRoute::Direct { low: UserId(1), high: UserId(2) })
        );
        assert_eq!(
            ConversationRoute::from_row(ConversationKind::Channel, Some(GroupId(4)), None, None),
            Some(ConversationRoute::Channel { group_id: GroupId(4) })
        );
        assert_eq!(ConversationRoute::from_row(ConversationKind::Direct, None, None, Some(UserId(2))), None);
    }
}
