//! Administration: the `admin` role, suspending and reinstating accounts, the user list.
//!
//! A suspension refuses logins, revokes every refresh token, bumps the token version (every
//! access token is refused on its next request) and announces `session.revoked`, on which
//! the ws nodes close the user's sockets. All in one transaction; the new token version
//! reaches the cache right after the commit.

use diesel::{OptionalExtension, PgConnection};
use serde::Serialize;
use std::collections::HashMap;

use shared::api::{AbuseFlagDto, AdminUserDto};
use shared::cache::Cache;
use shared::enums::AccountRole;
use shared::error::ErrorCode;
use shared::models::abuse::AbuseFlag;
use shared::models::outbox::Outbox;
use shared::models::user::User;
use shared::Error;
use utoipa::ToSchema;

use crate::domain::sessions;
use crate::domain::validate;
use shared::ids::{AbuseFlagId, UserId};
use shared::token_gate;

pub const REASON_MAX: usize = 500;
pub const USERS_PAGE_MAX: i64 = 100;

/// 403 unless `me` is an admin. Checked before anything else, so a non-admin learns nothing
/// about the resource named.
pub fn require_admin(conn: &mut PgConnection, me: UserId) -> Result<(), Error> {
    match User::find(conn, me).optional()? {
        Some(user) if user.role == AccountRole::Admin && user.suspended_at.is_none() => Ok(()),
        _ => Err(Error::forbidden(ErrorCode::AdminOnly, "only administrators may do this")),
    }
}

fn user_not_found() -> Error {
    Error::not_found(ErrorCode::UserNotFound, "no such user")
}

/// Suspends `target`, ending their sessions and sockets at once. Idempotent.
pub fn suspend(
    conn: &mut Outbox<'_>,
    cache: &Cache,
    me: UserId,
    target: UserId,
    reason: &str,
) -> Result<AdminUserDto, Error> {
    let reason = validate::text("reason", reason, 1, REASON_MAX, true).map_err(|e| Error::validation(vec![e]))?;
    require_admin(conn, me)?;
    if target == me {
        return Err(Error::conflict(ErrorCode::CannotSuspendSelf, "an administrator cannot suspend their own account"));
    }
    let user = conn.transaction(|conn| suspend_in_transaction(conn, target, &reason))?;
    token_gate::publish(cache, target, user.token_version);
    Ok((&user).into())
}

/// The steps of a suspension, inside the caller's transaction (also used when resolving a
/// report).
pub(crate) fn suspend_in_transaction(conn: &mut Outbox<'_>, target: UserId, reason: &str) -> Result<User, Error> {
    let user = User::find(conn, target).optional()?.ok_or_else(user_not_found)?;
    if user.suspended_at.is_some() {
        return Ok(user);
    }
    let mut user = User::set_suspended(conn, target, Some(reason))?;
    let (version, sessions) = sessions::end_every_session(conn, target, "suspended")?;
    user.token_version = version;
    tracing::info!(user_id = target.0, sessions, "user suspended");
    Ok(user)
}

/// Lifts a suspension: the user may log in again (old sessions stay ended). Idempotent.
pub fn unsuspend(conn: &mut PgConnection, me: UserId, target: UserId) -> Result<AdminUserDto, Error> {
    require_admin(conn, me)?;
    let user = User::find(conn, target).optional()?.ok_or_else(user_not_found)?;
    let user = if user.suspended_at.is_some() { User::set_suspended(conn, target, None)? } else { user };
    tracing::info!(user_id = target.0, "user reinstated");
    Ok((&user).into())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUsersPage {
    pub items: Vec<AdminUserDto>,
    /// Pass as `after` for the next page; absent on the last page.
    #[schema(value_type = Option<i64>)]
    pub next_after: Option<UserId>,
}

pub fn users(
    conn: &mut PgConnection,
    me: UserId,
    prefix: Option<&str>,
    suspended_only: bool,
    after: Option<UserId>,
    limit: Option<i64>,
) -> Result<AdminUsersPage, Error> {
    let limit = validate::limit(limit, USERS_PAGE_MAX).map_err(|e| Error::validation(vec![e]))?;
    require_admin(conn, me)?;
    let prefix = match prefix.map(str::trim).filter(|p| !p.is_empty()) {
        // Checked like every text: a NUL used to reach PostgreSQL (500).
        Some(p) => {
            Some(validate::text("q", p, 1, validate::SEARCH_QUERY_MAX, false).map_err(|e| Error::validation(vec![e]))?)
        }
        None => None,
    };
    let rows = User::admin_page(conn, prefix.as_deref(), suspended_only, after, limit + 1)?;
    let (rows, next_after) = validate::keyset_page(rows, limit, |u| u.id);
    Ok(AdminUsersPage { items: rows.iter().map(AdminUserDto::from).collect(), next_after })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AbuseFlagsPage {
    /// Newest first.
    pub items: Vec<AbuseFlagDto>,
    /// Pass as `before` for the next page; absent on the last page.
    #[schema(value_type = Option<i64>)]
    pub next_before: Option<AbuseFlagId>,
}

/// What flood control recorded, newest first.
pub fn abuse_flags(
    conn: &mut PgConnection,
    me: UserId,
    before: Option<AbuseFlagId>,
    limit: Option<i64>,
) -> Result<AbuseFlagsPage, Error> {
    let limit = validate::limit(limit, USERS_PAGE_MAX).map_err(|e| Error::validation(vec![e]))?;
    require_admin(conn, me)?;
    let (rows, next_before) = validate::keyset_page(AbuseFlag::page(conn, before, limit + 1)?, limit, |r| r.id);
    let ids: Vec<UserId> = rows.iter().map(|r| r.user_id).collect();
    let users: HashMap<UserId, User> = User::by_ids(conn, &ids)?.into_iter().map(|u| (u.id, u)).collect();
    let items = rows
        .iter()
        .filter_map(|r| {
            Some(AbuseFlagDto {
                id: r.id,
                user: users.get(&r.user_id)?.into(),
                kind: r.kind,
                detail: r.detail.clone(),
                limited_until: r.limited_until,
                created_at: r.created_at,
            })
        })
        .collect();
    Ok(AbuseFlagsPage { items, next_before })
}

/// `api-server admin grant|revoke <username>`: the way the first admin is made.
pub fn set_role(conn: &mut PgConnection, username: &str, admin: bool) -> Result<User, Error> {
    let user = User::find_by_username(conn, &username.to_lowercase())?.ok_or_else(user_not_found)?;
    User::set_role(conn, user.id, if admin { AccountRole::Admin } else { AccountRole::User })?;
    Ok(User::find(conn, user.id)?)
}
