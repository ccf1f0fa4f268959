//! My signed-in devices (refresh-token families): list them, sign one out, or every other.
//!
//! Signing a device out (or logging out: the same [`end`]) revokes its refresh tokens, bumps my
//! token version (every access token and WebSocket ticket issued so far is refused; my other
//! devices refresh once, transparently) and announces `session.revoked` naming the session, so
//! the ws nodes close that device's sockets.
//!
//! [`end_every_session`] does the same for all of a user's devices at once (suspension,
//! password reset).

use diesel::PgConnection;
use shared::api::SessionDto;
use shared::cache::Cache;
use shared::error::ErrorCode;
use shared::events::Event;
use shared::models::outbox::Outbox;
use shared::models::refresh_token::RefreshToken;
use shared::models::user::User;
use shared::Error;
use uuid::Uuid;

use crate::domain::events;
use shared::ids::UserId;
use shared::token_gate;

pub fn list(conn: &mut PgConnection, me: UserId, current: Option<Uuid>) -> Result<Vec<SessionDto>, Error> {
    Ok(RefreshToken::sessions(conn, me)?
        .into_iter()
        .map(|(head, signed_in_at)| SessionDto {
            id: head.family_id,
            user_agent: head.user_agent,
            ip: head.ip,
            signed_in_at,
            last_active_at: head.created_at,
            current: Some(head.family_id) == current,
        })
        .collect())
}

/// Signs one of my sessions out (404 when it is not one of my live sessions).
pub fn revoke(conn: &mut Outbox<'_>, cache: &Cache, me: UserId, session: Uuid) -> Result<(), Error> {
    end(conn, cache, me, &[session])?
        .then_some(())
        .ok_or_else(|| Error::not_found(ErrorCode::SessionNotFound, "no such session of yours"))
}

/// Signs out every session of mine but the one making the request. Returns how many.
pub fn revoke_others(conn: &mut Outbox<'_>, cache: &Cache, me: UserId, current: Option<Uuid>) -> Result<usize, Error> {
    let others: Vec<Uuid> =
        RefreshToken::live_families(conn, me)?.into_iter().filter(|f| Some(*f) != current).collect();
    if !others.is_empty() {
        end(conn, cache, me, &others)?;
    }
    Ok(others.len())
}

/// Signs the user out everywhere (suspension, password reset), inside the caller's transaction:
/// revokes every refresh token, refuses every access token issued so far and announces
/// `session.revoked` with no session list (every socket closes). The caller publishes the
/// returned token version with [`token_gate::publish`] once it committed. Returns (new token
/// version, live sessions ended).
pub(crate) fn end_every_session(conn: &mut Outbox<'_>, user: UserId, reason: &str) -> Result<(i32, usize), Error> {
    User::lock(conn, user)?;
    let sessions = RefreshToken::revoke_all(conn, user)?;
    let version = User::bump_token_version(conn, user)?;
    events::to_user(conn, user, &Event::SessionRevoked { user_id: user, reason: reason.into(), sessions: None })?;
    tracing::info!(user_id = user.0, sessions, reason, "every session ended");
    Ok((version, sessions))
}

/// Signs these sessions of mine out (logout, device sign-out). `false` when none was live.
pub(crate) fn end(conn: &mut Outbox<'_>, cache: &Cache, me: UserId, sessions: &[Uuid]) -> Result<bool, Error> {
    let version = conn.transaction(|conn| {
        // Before the tokens, as a refresh takes them (see `domain::auth`).
        User::lock(conn, me)?;
        if RefreshToken::revoke_families(conn, me, sessions)? == 0 {
            return Ok::<_, Error>(None);
        }
        let version = User::bump_token_version(conn, me)?;
        let event =
            Event::SessionRevoked { user_id: me, reason: "signed_out".into(), sessions: Some(sessions.to_vec()) };
        events::to_user(conn, me, &event)?;
        Ok(Some(version))
    })?;
    if let Some(version) = version {
        token_gate::publish(cache, me, version);
        tracing::info!(user_id = me.0, sessions = sessions.len(), "sessions signed out");
    }
    Ok(version.is_some())
}
