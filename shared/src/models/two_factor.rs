//! A user's TOTP secret (pending while enrolling, then active), the last accepted time step,
//! and single-use recovery codes (stored as SHA-256: they are random and high-entropy).

use diesel::prelude::*;

use crate::auth::hash_token;
use crate::db::schema::{recovery_codes, users};
use crate::ids::UserId;

/// (active secret, pending secret, last accepted step)
pub fn state(conn: &mut PgConnection, user_id: UserId) -> QueryResult<(Option<String>, Option<String>, Option<i64>)> {
    users::table
        .find(user_id)
        .select((users::totp_secret, users::totp_pending_secret, users::totp_last_step))
        .first(conn)
}

pub fn set_pending(conn: &mut PgConnection, user_id: UserId, secret: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id)).set(users::totp_pending_secret.eq(secret)).execute(conn)
}

/// The pending secret becomes the active one.
pub fn activate(conn: &mut PgConnection, user_id: UserId, step: i64) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id).filter(users::totp_pending_secret.is_not_null()))
        .set((
            users::totp_secret.eq(users::totp_pending_secret),
            users::totp_pending_secret.eq(None::<String>),
            users::totp_last_step.eq(step),
        ))
        .execute(conn)
}

pub fn disable(conn: &mut PgConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set((
            users::totp_secret.eq(None::<String>),
            users::totp_pending_secret.eq(None::<String>),
            users::totp_last_step.eq(None::<i64>),
        ))
        .execute(conn)
}

/// Records an accepted step; `false` if an equal or later one was accepted meanwhile (the
/// same code raced itself).
pub fn use_step(conn: &mut PgConnection, user_id: UserId, step: i64) -> QueryResult<bool> {
    let n = diesel::update(
        users::table.find(user_id).filter(users::totp_last_step.is_null().or(users::totp_last_step.lt(step))),
    )
    .set(users::totp_last_step.eq(step))
    .execute(conn)?;
    Ok(n == 1)
}

/// Replaces the user's recovery codes with these.
pub fn replace_recovery_codes(conn: &mut PgConnection, user_id: UserId, codes: &[String]) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(conn)?;
    let rows: Vec<_> = codes
        .iter()
        .map(|c| (recovery_codes::user_id.eq(user_id), recovery_codes::code_hash.eq(hash_token(&normalize(c)))))
        .collect();
    diesel::insert_into(recovery_codes::table).values(&rows).execute(conn)
}

/// Uses up a recovery code; `false` when it is unknown or was used before.
pub fn use_recovery_code(conn: &mut PgConnection, user_id: UserId, code: &str) -> QueryResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash_token(&normalize(code))))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(diesel::dsl::now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Codes are shown as `xxxxx-xxxxx`; typed with or without the dash, in any case.
fn normalize(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}
