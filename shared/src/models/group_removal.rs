//! Members an admin removed from a group: invite links created before the removal no longer
//! let them back in. Leaving voluntarily records nothing; an admin adding them again clears it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::group_removals;
use crate::ids::{GroupId, UserId};

/// Records (or renews) that `by` removed `user_id` from the group now.
pub fn record(conn: &mut PgConnection, group_id: GroupId, user_id: UserId, by: UserId) -> QueryResult<()> {
    diesel::insert_into(group_removals::table)
        .values((
            group_removals::group_id.eq(group_id),
            group_removals::user_id.eq(user_id),
            group_removals::removed_by.eq(by),
        ))
        .on_conflict((group_removals::group_id, group_removals::user_id))
        .do_update()
        .set((group_removals::removed_by.eq(by), group_removals::removed_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(())
}

/// When an admin last removed `user_id` from the group, if they did.
pub fn removed_at(conn: &mut PgConnection, group_id: GroupId, user_id: UserId) -> QueryResult<Option<DateTime<Utc>>> {
    group_removals::table.find((group_id, user_id)).select(group_removals::removed_at).first(conn).optional()
}

/// An admin let them back in.
pub fn clear(conn: &mut PgConnection, group_id: GroupId, user_id: UserId) -> QueryResult<()> {
    diesel::delete(group_removals::table.find((group_id, user_id))).execute(conn)?;
    Ok(())
}
