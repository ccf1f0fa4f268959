//! Profiles and user search.

use diesel::{OptionalExtension, PgConnection};
use shared::api::{MeDto, Page, ProfileDto, SharedGroupDto, UserDto};
use shared::error::ErrorCode;
use shared::error::FieldError;
use shared::models::attachment::Attachment;
use shared::models::contact::{Block, Contact};
use shared::models::conversation::Conversation;
use shared::models::group::Group;
use shared::models::outbox::Outbox;
use shared::models::user::{ProfileChanges, User};
use shared::Error;

use crate::domain::validate::{self, Checks};
use crate::domain::{events, media, privacy};
use shared::ids::{AttachmentId, UserId};

/// `PATCH /me`: every field optional; `avatar_id: null` removes the avatar.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_id: Option<Option<AttachmentId>>,
    pub dnd_until: Option<Option<chrono::DateTime<chrono::Utc>>>,
    /// "" clears the status.
    pub status_text: Option<String>,
    pub status_emoji: Option<String>,
    pub theme: Option<shared::api::Theme>,
}

/// The user, unless there is none or they are suspended (a database error is an error, never
/// "no such user").
pub fn active_user(conn: &mut PgConnection, user_id: UserId) -> Result<Option<User>, Error> {
    Ok(User::find(conn, user_id).optional()?.filter(|u| u.suspended_at.is_none()))
}

pub fn me(conn: &mut PgConnection, user_id: UserId) -> Result<MeDto, Error> {
    Ok((&User::find(conn, user_id).optional()?.ok_or_else(user_not_found)?).into())
}

pub fn get(conn: &mut PgConnection, viewer: UserId, user_id: UserId) -> Result<UserDto, Error> {
    let user = active_user(conn, user_id)?.ok_or_else(user_not_found)?;
    privacy::user_dto(conn, viewer, &user)
}

/// `PATCH /me`. A change others see (display name, bio, avatar, status) is announced as
/// `user.updated` in the same transaction; a replaced avatar that nothing else uses goes to the
/// media trash.
pub fn update_profile(conn: &mut Outbox<'_>, user_id: UserId, update: ProfileUpdate) -> Result<MeDto, Error> {
    let mut checks = Checks::default();
    let changes = ProfileChanges {
        display_name: update
            .display_name
            .and_then(|d| checks.check(validate::text("display_name", &d, 1, validate::DISPLAY_NAME_MAX, false))),
        bio: update.bio.and_then(|b| checks.check(validate::text("bio", &b, 0, validate::BIO_MAX, true))),
        avatar_id: update.avatar_id,
        dnd_until: update.dnd_until,
        status_text: update.status_text.map(|t| match t.trim() {
            "" => None,
            t => checks.check(validate::text("status_text", t, 1, validate::STATUS_TEXT_MAX, false)),
        }),
        status_emoji: update.status_emoji.map(|e| match e.trim() {
            "" => None,
            e => checks.check(validate::emoji("status_emoji", e)),
        }),
        theme: update.theme,
    };
    checks.finish()?;
    if let Some(Some(avatar)) = changes.avatar_id {
        media::require_own_image(conn, user_id, "avatar_id", avatar)?;
    }
    if changes.display_name.is_none()
        && changes.bio.is_none()
        && changes.avatar_id.is_none()
        && changes.dnd_until.is_none()
        && changes.status_text.is_none()
        && changes.status_emoji.is_none()
        && changes.theme.is_none()
    {
        return me(conn, user_id);
    }
    conn.transaction(|conn| {
        let before = User::find_for_update(conn, user_id)?;
        let after = User::update_profile(conn, user_id, &changes)?;
        if let (Some(old), true) = (before.avatar_id, before.avatar_id != after.avatar_id) {
            Attachment::trash_unreferenced(conn, &[old])?;
        }
        if seen_by_others(&before) != seen_by_others(&after) {
            events::user_updated(conn, &after)?;
        }
        Ok((&after).into())
    })
}

/// What `user.updated` carries (a change of anything else is nobody else's business).
fn seen_by_others(u: &User) -> (&str, &str, Option<AttachmentId>, Option<&str>, Option<&str>) {
    (&u.display_name, &u.bio, u.avatar_id, u.status_text.as_deref(), u.status_emoji.as_deref())
}

/// Most shared groups a profile lists.
const SHARED_GROUPS_MAX: i64 = 50;

/// `GET /users/{id}/profile`: the user as `viewer` may see them, the groups they share, and
/// what the profile panel's actions need (contact, blocked, the direct chat).
pub fn profile(conn: &mut PgConnection, viewer: UserId, user_id: UserId) -> Result<ProfileDto, Error> {
    let user = active_user(conn, user_id)?.ok_or_else(user_not_found)?;
    let shared_groups = Group::shared(conn, viewer, user_id, SHARED_GROUPS_MAX)?
        .into_iter()
        .map(|g| SharedGroupDto { id: g.id, name: g.name, avatar_id: g.avatar_id })
        .collect();
    Ok(ProfileDto {
        user: privacy::user_dto(conn, viewer, &user)?,
        shared_groups,
        contact: Contact::exists(conn, viewer, user_id)?,
        blocked: Block::exists(conn, viewer, user_id)?,
        direct_conversation_id: Conversation::direct_between(conn, viewer, user_id)?.map(|c| c.id),
    })
}

/// `GET /users?q=`: prefix search, `cursor` is the last username of the previous page.
pub fn search(
    conn: &mut PgConnection,
    viewer: UserId,
    q: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Page<UserDto>, Error> {
    let mut checks = Checks::default();
    let q = checks.check(validate::text("q", q, 1, validate::SEARCH_QUERY_MAX, false));
    let limit = checks.check(validate::limit(limit, 100));
    // The cursor is a username: anything else (a NUL used to reach PostgreSQL: 500) is refused.
    let cursor = cursor.map(|c| {
        checks
            .check(validate::Username::parse(c).map_err(|_| FieldError::new("cursor", "is not a cursor of this list")))
    });
    checks.finish()?;
    let (Some(q), Some(limit)) = (q, limit) else { return Err(Error::invalid("q", "invalid")) };
    let cursor = cursor.flatten();
    let users = User::search(conn, &q, cursor.as_ref().map(validate::Username::as_str), limit)?;
    let next_cursor =
        if shared::num::len_i64(users.len()) == limit { users.last().map(|u| u.username.clone()) } else { None };
    Ok(Page { items: privacy::user_dtos(conn, viewer, &users)?, next_cursor })
}

pub fn user_not_found() -> Error {
    Error::not_found(ErrorCode::UserNotFound, "no such user")
}
