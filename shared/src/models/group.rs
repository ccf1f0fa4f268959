//! Groups, their members and roles, and invite links.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{group_members, groups, invites, users};
use crate::enums::GroupRole;
use crate::ids::{AttachmentId, GroupId, InviteId, UserId};
use crate::models::user::User;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = groups)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub avatar_id: Option<AttachmentId>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = group_members)]
pub struct GroupMember {
    pub group_id: GroupId,
    pub user_id: UserId,
    pub role: GroupRole,
    pub joined_at: DateTime<Utc>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = groups)]
pub struct GroupChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar_id: Option<Option<AttachmentId>>,
}

impl Group {
    pub fn create(conn: &mut PgConnection, name: &str, description: &str, created_by: UserId) -> QueryResult<Group> {
        diesel::insert_into(groups::table)
            .values((groups::name.eq(name), groups::description.eq(description), groups::created_by.eq(created_by)))
            .returning(Group::as_returning())
            .get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, id: GroupId) -> QueryResult<Group> {
        groups::table.find(id).select(Group::as_select()).first(conn)
    }

    pub fn update(conn: &mut PgConnection, id: GroupId, changes: &GroupChanges) -> QueryResult<Group> {
        diesel::update(groups::table.find(id)).set(changes).returning(Group::as_returning()).get_result(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: GroupId) -> QueryResult<usize> {
        diesel::delete(groups::table.find(id)).execute(conn)
    }

    /// The groups both `a` and `b` are members of, by name, at most `limit`.
    pub fn shared(conn: &mut PgConnection, a: UserId, b: UserId, limit: i64) -> QueryResult<Vec<Group>> {
        let groups_of =
            |user: UserId| group_members::table.filter(group_members::user_id.eq(user)).select(group_members::group_id);
        groups::table
            .filter(groups::id.eq_any(groups_of(a)))
            .filter(groups::id.eq_any(groups_of(b)))
            .order((groups::name, groups::id))
            .limit(limit)
            .select(Group::as_select())
            .load(conn)
    }
}

impl GroupMember {
    pub fn find(conn: &mut PgConnection, group_id: GroupId, user_id: UserId) -> QueryResult<Option<GroupMember>> {
        group_members::table.find((group_id, user_id)).select(GroupMember::as_select()).first(conn).optional()
    }

    /// Locks the member row (role changes and removals of one member serialize on it).
    pub fn find_for_update(
        conn: &mut PgConnection,
        group_id: GroupId,
        user_id: UserId,
    ) -> QueryResult<Option<GroupMember>> {
        group_members::table
            .find((group_id, user_id))
            .for_update()
            .select(GroupMember::as_select())
            .first(conn)
            .optional()
    }

    /// Adds a member; `false` when they were one already.
    pub fn add(conn: &mut PgConnection, group_id: GroupId, user_id: UserId, role: GroupRole) -> QueryResult<bool> {
        let n = diesel::insert_into(group_members::table)
            .values((
                group_members::group_id.eq(group_id),
                group_members::user_id.eq(user_id),
                group_members::role.eq(role),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok(n == 1)
    }

    pub fn remove(conn: &mut PgConnection, group_id: GroupId, user_id: UserId) -> QueryResult<usize> {
        diesel::delete(group_members::table.find((group_id, user_id))).execute(conn)
    }

    pub fn set_role(
        conn: &mut PgConnection,
        group_id: GroupId,
        user_id: UserId,
        role: GroupRole,
    ) -> QueryResult<usize> {
        diesel::update(group_members::table.find((group_id, user_id))).set(group_members::role.eq(role)).execute(conn)
    }

    pub fn list(conn: &mut PgConnection, group_id: GroupId) -> QueryResult<Vec<(GroupMember, User)>> {
        group_members::table
            .inner_join(users::table.on(users::id.eq(group_members::user_id)))
            .filter(group_members::group_id.eq(group_id))
            .order((group_members::joined_at, group_members::user_id))
            .select((GroupMember::as_select(), User::as_select()))
            .load(conn)
    }

    pub fn user_ids(conn: &mut PgConnection, group_id: GroupId) -> QueryResult<Vec<UserId>> {
        group_members::table.filter(group_members::group_id.eq(group_id)).select(group_members::user_id).load(conn)
    }

    pub fn count(conn: &mut PgConnection, group_id: GroupId) -> QueryResult<i64> {
        group_members::table.filter(group_members::group_id.eq(group_id)).count().get_result(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invites)]
pub struct Invite {
    pub id: InviteId,
    pub group_id: GroupId,
    pub token_hash: String,
    pub created_by: UserId,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i32>,
    pub uses: i32,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// What the token is derived from (`shared::invite_links`); None for older links.
    pub token_seed: Option<String>,
}

/// A new invite link's row: the token itself is never stored.
pub struct NewInvite<'a> {
    pub group_id: GroupId,
    pub token_hash: &'a str,
    pub token_seed: &'a str,
    pub created_by: UserId,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i32>,
}

impl Invite {
    pub fn create(conn: &mut PgConnection, new: &NewInvite) -> QueryResult<Invite> {
        diesel::insert_into(invites::table)
            .values((
                invites::group_id.eq(new.group_id),
                invites::token_hash.eq(new.token_hash),
                invites::token_seed.eq(new.token_seed),
                invites::created_by.eq(new.created_by),
                invites::expires_at.eq(new.expires_at),
                invites::max_uses.eq(new.max_uses),
            ))
            .returning(Invite::as_returning())
            .get_result(conn)
    }

    /// The group's links that still let someone in (not revoked, expired or used up), newest
    /// first, with their creators.
    pub fn live(conn: &mut PgConnection, group_id: GroupId, now: DateTime<Utc>) -> QueryResult<Vec<(Invite, User)>> {
        invites::table
            .inner_join(users::table.on(users::id.eq(invites::created_by)))
            .filter(invites::group_id.eq(group_id))
            .filter(invites::revoked_at.is_null())
            .filter(invites::expires_at.is_null().or(invites::expires_at.gt(now)))
            .filter(invites::max_uses.is_null().or(invites::max_uses.gt(invites::uses.nullable())))
            .order(invites::id.desc())
            .select((Invite::as_select(), User::as_select()))
            .load(conn)
    }

    /// Revokes the group's invite `id` (a revoked one stays revoked at its first time); `false`
    /// when the group has no such invite.
    pub fn revoke(conn: &mut PgConnection, group_id: GroupId, id: InviteId) -> QueryResult<bool> {
        let n =
            diesel::update(invites::table.find(id).filter(invites::group_id.eq(group_id)))
                .set(invites::revoked_at.eq(diesel::dsl::sql::<
                    diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                >("coalesce(revoked_at, now())")))
                .execute(conn)?;
        Ok(n == 1)
    }

    pub fn find_for_update(conn: &mut PgConnection, token_hash: &str) -> QueryResult<Option<Invite>> {
        invites::table
            .filter(invites::token_hash.eq(token_hash))
            .for_update()
            .select(Invite::as_select())
            .first(conn)
            .optional()
    }

    pub fn count_use(conn: &mut PgConnection, id: InviteId) -> QueryResult<usize> {
        diesel::update(invites::table.find(id)).set(invites::uses.eq(invites::uses + 1)).execute(conn)
    }

    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none()
            && self.expires_at.is_none_or(|e| e > now)
            && self.max_uses.is_none_or(|m| self.uses < m)
    }
}

impl GroupMember {
    /// The groups `user_id` is a member of (whose channels' events the user may receive).
    pub fn group_ids_of(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Vec<GroupId>> {
        group_members::table.filter(group_members::user_id.eq(user_id)).select(group_members::group_id).load(conn)
    }

    /// Every (user_id, group_id) membership of `user_ids`.
    pub fn memberships_of(conn: &mut PgConnection, user_ids: &[UserId]) -> QueryResult<Vec<(UserId, GroupId)>> {
        group_members::table
            .filter(group_members::user_id.eq_any(user_ids))
            .select((group_members::user_id, group_members::group_id))
            .load(conn)
    }
}
