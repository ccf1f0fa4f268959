//! "Is it really the owner at the keyboard?" before a change a stolen access token must not
//! make: turning two-factor authentication on or off.
//!
//! The proof is the password. An account without one (made by an OpenID Connect sign-in) proves
//! a fresh sign-in instead: the session making the request began at most
//! [`RECENT_SIGN_IN_SECS`] ago (a refresh keeps the session's start, so a stolen refresh token
//! does not pass). Wrong passwords count against the account's login failures
//! (`LOGIN_FAILURES_PER_ACCOUNT`), so this is no side door for guessing.

use chrono::Utc;
use shared::auth;
use shared::error::ErrorCode;
use shared::models::refresh_token::RefreshToken;
use shared::models::user::User;
use shared::{db, Error};
use uuid::Uuid;

use crate::limits;
use crate::state::AppState;
use shared::ids::UserId;

/// How recent a sign-in stands in for the password of an account that has none.
pub const RECENT_SIGN_IN_SECS: i64 = 5 * 60;

/// Ok when `password` is the account's, or (no password) `session` began recently.
pub async fn confirm_owner(
    state: &AppState,
    me: UserId,
    session: Option<Uuid>,
    password: Option<String>,
) -> Result<(), Error> {
    let (user, started) = db::run(&state.pool, move |conn| {
        let started = match session {
            Some(s) => RefreshToken::session_started(conn, me, s)?,
            None => None,
        };
        Ok((User::find(conn, me)?, started))
    })
    .await?;
    if !auth::has_password(&user.password_hash) {
        let recent = started.is_some_and(|at| (Utc::now() - at).num_seconds() <= RECENT_SIGN_IN_SECS);
        return recent.then_some(()).ok_or_else(|| {
            Error::forbidden(ErrorCode::RecentSignInRequired, "sign in again, then retry within 5 minutes")
        });
    }
    let (limit, subject) = (limits::login_failures(state), limits::account_subject(&user.username));
    limits::ensure_left(state, limit, subject.clone()).await?;
    if password_matches(password.unwrap_or_default(), user.password_hash).await? {
        Ok(())
    } else {
        limits::record(state, limit, subject).await;
        Err(Error::forbidden(ErrorCode::InvalidPassword, "the password is wrong"))
    }
}

/// argon2 verification, off the async workers.
pub async fn password_matches(password: String, hash: String) -> Result<bool, Error> {
    shared::telemetry::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| Error::internal(anyhow::anyhow!("verify task: {e}")))
}
