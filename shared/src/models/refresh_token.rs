//! Refresh tokens: opaque, stored hashed, rotated on every use, grouped in families (a login).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::refresh_tokens;
use crate::ids::{RefreshTokenId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: RefreshTokenId,
    pub user_id: UserId,
    pub family_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub replaced_by: Option<RefreshTokenId>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When a replay of this (rotated) token was answered with its successor again: once only.
    pub replay_answered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub user_id: UserId,
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

    /// The token with this hash.
    pub fn find_by_hash(conn: &mut PgConnection, token_hash: &str) -> QueryResult<Option<RefreshToken>> {
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .select(RefreshToken::as_select())
            .first(conn)
            .optional()
    }

    pub fn find(conn: &mut PgConnection, id: RefreshTokenId) -> QueryResult<Option<RefreshToken>> {
        refresh_tokens::table.find(id).select(RefreshToken::as_select()).first(conn).optional()
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

    /// Spends the token for its successor `by`; returns when (kept as its `revoked_at`).
    pub fn mark_replaced(
        conn: &mut PgConnection,
        id: RefreshTokenId,
        by: RefreshTokenId,
    ) -> QueryResult<DateTime<Utc>> {
        let at: Option<DateTime<Utc>> = diesel::update(refresh_tokens::table.find(id))
            .set((refresh_tokens::replaced_by.eq(by), refresh_tokens::revoked_at.eq(diesel::dsl::now)))
            .returning(refresh_tokens::revoked_at)
            .get_result(conn)?;
        Ok(at.unwrap_or_else(Utc::now))
    }

    /// Records that a replay of this rotated token was answered (it is, once).
    pub fn mark_replay_answered(conn: &mut PgConnection, id: RefreshTokenId) -> QueryResult<usize> {
        diesel::update(refresh_tokens::table.find(id))
            .set(refresh_tokens::replay_answered_at.eq(diesel::dsl::now))
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
    pub fn revoke_all(conn: &mut PgConnection, user_id: UserId) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(user_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
    }

    /// The live head of each of the user's sessions, with when the session began.
    pub fn sessions(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Vec<(RefreshToken, DateTime<Utc>)>> {
        let heads: Vec<RefreshToken> = refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(diesel::dsl::now))
            .order(refresh_tokens::created_at.desc())
            .select(RefreshToken::as_select())
            .load(conn)?;
        let families: Vec<Uuid> = heads.iter().map(|t| t.family_id).collect();
        let began: Vec<(Uuid, Option<DateTime<Utc>>)> = refresh_tokens::table
            .filter(refresh_tokens::family_id.eq_any(&families))
            .group_by(refresh_tokens::family_id)
            .select((refresh_tokens::family_id, diesel::dsl::min(refresh_tokens::created_at)))
            .load(conn)?;
        let began: std::collections::HashMap<Uuid, DateTime<Utc>> =
            began.into_iter().filter_map(|(f, at)| Some((f, at?))).collect();
        Ok(heads
            .into_iter()
            .map(|t| {
                let at = began.get(&t.family_id).copied().unwrap_or(t.created_at);
                (t, at)
            })
            .collect())
    }

    /// The families of the user's live sessions.
    pub fn live_families(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Vec<Uuid>> {
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(diesel::dsl::now))
            .select(refresh_tokens::family_id)
            .distinct()
            .load(conn)
    }

    /// Whether the session (family) is one of the user's and still has a live token.
    pub fn family_is_live(conn: &mut PgConnection, user_id: UserId, family_id: Uuid) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(user_id))
                .filter(refresh_tokens::family_id.eq(family_id))
                .filter(refresh_tokens::revoked_at.is_null())
                .filter(refresh_tokens::expires_at.gt(diesel::dsl::now)),
        ))
        .get_result(conn)
    }

    /// Which of these (user, session) pairs are still live.
    pub fn live_among(conn: &mut PgConnection, sessions: &[(UserId, Uuid)]) -> QueryResult<HashSet<(UserId, Uuid)>> {
        let families: Vec<Uuid> = sessions.iter().map(|(_, f)| *f).collect();
        let live: Vec<(UserId, Uuid)> = refresh_tokens::table
            .filter(refresh_tokens::family_id.eq_any(&families))
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(diesel::dsl::now))
            .select((refresh_tokens::user_id, refresh_tokens::family_id))
            .distinct()
            .load(conn)?;
        Ok(live.into_iter().collect())
    }

    /// When the session began (its first token), if it is one of the user's.
    pub fn session_started(
        conn: &mut PgConnection,
        user_id: UserId,
        family_id: Uuid,
    ) -> QueryResult<Option<DateTime<Utc>>> {
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::family_id.eq(family_id))
            .select(diesel::dsl::min(refresh_tokens::created_at))
            .first(conn)
    }

    /// Revokes these sessions of the user (others' ids are ignored); how many tokens ended.
    pub fn revoke_families(conn: &mut PgConnection, user_id: UserId, families: &[Uuid]) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(user_id))
                .filter(refresh_tokens::family_id.eq_any(families))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)
    }
}
