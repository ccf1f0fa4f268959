//! Refresh tokens: opaque, stored hashed, rotated on every use, grouped in families (a login).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::refresh_tokens;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: i64,
    pub user_id: i64,
    pub family_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<i64>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub user_id: i64,
    pub family_id: Uuid,
    pub token_hash: &'a str,
    pub expires_at: DateTime<Utc>,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

impl RefreshToken {
    pub fn insert(conn: &mut PgConnection, new: &NewRefreshToken) -> QueryResult<RefreshToken> {
        diesel::insert_into(refresh_tokens::table).values(new).returning(RefreshToken::as_returning()).get_result(conn)
    }

    /// The token with this hash, locked for the rotation.
    pub fn find_for_update(conn: &mut PgConnection, token_hash: &str) -> QueryResult<Option<RefreshToken>> {
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .for_update()
            .select(RefreshToken::as_select())
            .first(conn)
            .optional()
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.replaced_by.is_none() && self.expires_at > now
    }

    pub fn mark_replaced(conn: &mut PgConnection, id: i64, by: i64) -> QueryResult<usize> {
        diesel::update(refresh_tokens::table.find(id))
            .set((refresh_tokens::replaced_by.eq(by), refresh_tokens::revoked_at.eq(diesel::dsl::now)))
            .execute(conn)
    }

    pub fn revoke_family(conn: &mut PgConnection, family_id: Uuid) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
    }

    /// Ends every session of a user (suspension, password reset, "log out everywhere").
    pub fn revoke_all(conn: &mut PgConnection, user_id: i64) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(user_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
    }
}
