//! Privacy settings (columns of `users`) and the questions asked of them: may this viewer see
//! that user's online status and last seen, may this user start a chat with or add that one.
//!
//! `contacts` means the people the *owner of the setting* added to their contacts. A block
//! hides presence too: whoever blocked the viewer is never shown to them.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};

use crate::api::{Audience, PrivacyDto};
use crate::db::schema::users;
use crate::ids::UserId;

/// The settings as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
struct Row {
    last_seen_visibility: Audience,
    read_receipts: bool,
    direct_messages: Audience,
    group_adds: Audience,
}

impl From<Row> for PrivacyDto {
    fn from(r: Row) -> Self {
        PrivacyDto {
            last_seen: r.last_seen_visibility,
            read_receipts: r.read_receipts,
            direct_messages: r.direct_messages,
            group_adds: r.group_adds,
        }
    }
}

/// A partial update (`None` leaves a setting unchanged).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct PrivacyChanges {
    pub last_seen_visibility: Option<Audience>,
    pub read_receipts: Option<bool>,
    pub direct_messages: Option<Audience>,
    pub group_adds: Option<Audience>,
}

impl PrivacyChanges {
    pub fn is_empty(&self) -> bool {
        self.last_seen_visibility.is_none()
            && self.read_receipts.is_none()
            && self.direct_messages.is_none()
            && self.group_adds.is_none()
    }
}

pub fn of(conn: &mut PgConnection, user_id: UserId) -> QueryResult<PrivacyDto> {
    users::table.find(user_id).select(Row::as_select()).first(conn).map(PrivacyDto::from)
}

pub fn update(conn: &mut PgConnection, user_id: UserId, changes: &PrivacyChanges) -> QueryResult<PrivacyDto> {
    if changes.is_empty() {
        return of(conn, user_id);
    }
    diesel::update(users::table.find(user_id))
        .set(changes)
        .returning(Row::as_returning())
        .get_result(conn)
        .map(PrivacyDto::from)
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = BigInt)]
    target: UserId,
    #[diesel(sql_type = BigInt)]
    viewer: UserId,
}

/// The (target, viewer) pairs, of all `targets` x `viewers`, where the viewer may see the
/// target's online status and last seen. Everyone sees their own.
pub fn last_seen_pairs(
    conn: &mut PgConnection,
    targets: &[UserId],
    viewers: &[UserId],
) -> QueryResult<HashSet<(UserId, UserId)>> {
    if targets.is_empty() || viewers.is_empty() {
        return Ok(HashSet::new());
    }
    let rows: Vec<Pair> = diesel::sql_query(
        "SELECT u.id AS target, v.viewer AS viewer
           FROM users u CROSS JOIN unnest($2) AS v(viewer)
          WHERE u.id = ANY($1)
            AND (u.id = v.viewer
                 OR (u.last_seen_visibility = 'everyone'
                     AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = v.viewer))
                 OR (u.last_seen_visibility = 'contacts'
                     AND EXISTS (SELECT 1 FROM contacts c WHERE c.owner_id = u.id AND c.contact_id = v.viewer)
                     AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = u.id AND b.blocked_id = v.viewer)))",
    )
    .bind::<Array<BigInt>, _>(targets)
    .bind::<Array<BigInt>, _>(viewers)
    .load(conn)?;
    Ok(rows.into_iter().map(|p| (p.target, p.viewer)).collect())
}

/// Of `targets`, those whose online status and last seen `viewer` may see.
pub fn last_seen_visible_to(
    conn: &mut PgConnection,
    viewer: UserId,
    targets: &[UserId],
) -> QueryResult<HashSet<UserId>> {
    Ok(last_seen_pairs(conn, targets, &[viewer])?.into_iter().map(|(target, _)| target).collect())
}

/// What a user may do to another, guarded by one of the target's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approach {
    /// Start a direct chat (`direct_messages`).
    DirectMessage,
    /// Add to a group (`group_adds`).
    AddToGroup,
}

/// Whether `actor` may approach `target` that way (blocks are checked where they apply).
pub fn allows(conn: &mut PgConnection, target: UserId, actor: UserId, approach: Approach) -> QueryResult<bool> {
    let setting: Audience = match approach {
        Approach::DirectMessage => users::table.find(target).select(users::direct_messages).first(conn)?,
        Approach::AddToGroup => users::table.find(target).select(users::group_adds).first(conn)?,
    };
    match setting {
        Audience::Everyone => Ok(true),
        Audience::Nobody => Ok(false),
        Audience::Contacts => super::contact::Contact::exists(conn, target, actor),
    }
}

/// Of `user_ids`, those who keep their read receipts to themselves.
pub fn hiding_reads(conn: &mut PgConnection, user_ids: &[UserId]) -> QueryResult<HashSet<UserId>> {
    let ids: Vec<UserId> = users::table
        .filter(users::id.eq_any(user_ids))
        .filter(users::read_receipts.eq(false))
        .select(users::id)
        .load(conn)?;
    Ok(ids.into_iter().collect())
}

/// Whether `user_id` keeps their read receipts to themselves; `None`: no such user.
pub fn reads_hidden(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Option<bool>> {
    let read_receipts: Option<bool> = users::table.find(user_id).select(users::read_receipts).first(conn).optional()?;
    Ok(read_receipts.map(|on| !on))
}
