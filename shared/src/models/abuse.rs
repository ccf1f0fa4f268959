//! What flood control recorded: one row each time an account was put under a send limit.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::abuse_flags;
use crate::enums::AbuseFlagKind;
use crate::ids::{AbuseFlagId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = abuse_flags)]
pub struct AbuseFlag {
    pub id: AbuseFlagId,
    pub user_id: UserId,
    pub kind: AbuseFlagKind,
    pub detail: String,
    pub limited_until: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl AbuseFlag {
    pub fn record(
        conn: &mut PgConnection,
        user_id: UserId,
        kind: AbuseFlagKind,
        detail: &str,
        limited_until: DateTime<Utc>,
    ) -> QueryResult<AbuseFlag> {
        diesel::insert_into(abuse_flags::table)
            .values((
                abuse_flags::user_id.eq(user_id),
                abuse_flags::kind.eq(kind),
                abuse_flags::detail.eq(detail),
                abuse_flags::limited_until.eq(limited_until),
            ))
            .returning(AbuseFlag::as_returning())
            .get_result(conn)
    }

    /// Newest first; `before` is the last id of the previous page.
    pub fn page(conn: &mut PgConnection, before: Option<AbuseFlagId>, limit: i64) -> QueryResult<Vec<AbuseFlag>> {
        let mut query =
            abuse_flags::table.order(abuse_flags::id.desc()).limit(limit).select(AbuseFlag::as_select()).into_boxed();
        if let Some(before) = before {
            query = query.filter(abuse_flags::id.lt(before));
        }
        query.load(conn)
    }
}
