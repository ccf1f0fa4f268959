//! Invite links: admins create, list (and copy again) and revoke them; whoever holds a live one
//! joins. A member an admin removed cannot use a link created before the removal: removing
//! someone must not be undone by a link they kept (leaving voluntarily is no ban, and a link
//! created after the removal, or an admin adding them, is the admins' new decision).

use chrono::{Duration, Utc};
use diesel::{Connection, PgConnection};
use shared::api::{GroupDto, InviteDto, InviteLinkDto};
use shared::auth;
use shared::enums::GroupRole;
use shared::error::ErrorCode;
use shared::error::Kind;
use shared::ids::{GroupId, InviteId, UserId};
use shared::invite_links::InviteLinks;
use shared::models::group::{GroupMember, Invite, NewInvite};
use shared::models::group_removal;
use shared::models::outbox::Outbox;
use shared::Error;

use crate::domain::groups::{dto, join, require_role};
use crate::domain::privacy;

pub fn not_found() -> Error {
    Error::not_found(ErrorCode::InviteNotFound, "this invite link is not valid")
}

pub struct NewLink {
    /// 60 s to 30 days; None: no expiry.
    pub expires_in_secs: Option<i64>,
    /// 1-10000; None: unlimited.
    pub max_uses: Option<i32>,
}

pub fn create(
    conn: &mut PgConnection,
    links: &InviteLinks,
    me: UserId,
    group_id: GroupId,
    link: NewLink,
) -> Result<InviteDto, Error> {
    if let Some(secs) = link.expires_in_secs {
        if !(60..=30 * 24 * 3600).contains(&secs) {
            return Err(Error::invalid("expires_in_secs", "must be between 60 and 2592000 (30 days)"));
        }
    }
    if link.max_uses.is_some_and(|m| !(1..=10_000).contains(&m)) {
        return Err(Error::invalid("max_uses", "must be between 1 and 10000"));
    }
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Admin, "create invite links")?;
        let issued = links.issue();
        let expires_at = link.expires_in_secs.map(|s| Utc::now() + Duration::seconds(s));
        let new = NewInvite {
            group_id,
            token_hash: &issued.token_hash,
            token_seed: &issued.seed,
            created_by: me,
            expires_at,
            max_uses: link.max_uses,
        };
        let invite = Invite::create(conn, &new)?;
        Ok(InviteDto { id: invite.id, group_id, token: issued.token, expires_at, max_uses: link.max_uses })
    })
}

/// The group's live links, newest first (admins).
pub fn list(
    conn: &mut PgConnection,
    links: &InviteLinks,
    me: UserId,
    group_id: GroupId,
) -> Result<Vec<InviteLinkDto>, Error> {
    require_role(conn, group_id, me, GroupRole::Admin, "see invite links")?;
    let rows = Invite::live(conn, group_id, Utc::now())?;
    let creators = privacy::user_dtos(conn, me, rows.iter().map(|(_, u)| u))?;
    Ok(rows
        .into_iter()
        .zip(creators)
        .map(|((i, _), created_by)| InviteLinkDto {
            token: links.recover(i.token_seed.as_deref(), &i.token_hash),
            id: i.id,
            group_id: i.group_id,
            created_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
            max_uses: i.max_uses,
            uses: i.uses,
        })
        .collect())
}

/// Revokes a link of the group (admins); revoking a revoked one again is fine.
pub fn revoke(conn: &mut PgConnection, me: UserId, group_id: GroupId, invite_id: InviteId) -> Result<(), Error> {
    conn.transaction(|conn| {
        require_role(conn, group_id, me, GroupRole::Admin, "revoke invite links")?;
        if !Invite::revoke(conn, group_id, invite_id)? {
            return Err(not_found());
        }
        Ok(())
    })
}

fn gone(code: ErrorCode, message: &str) -> Error {
    Error::new(Kind::Gone, code, message)
}

/// Joins the invite's group. Already a member: the group, and the invite is not used up.
pub fn accept(conn: &mut Outbox<'_>, me: UserId, token: &str) -> Result<GroupDto, Error> {
    conn.transaction(|conn| {
        let invite = Invite::find_for_update(conn, &auth::hash_token(token))?.ok_or_else(not_found)?;
        if GroupMember::find(conn, invite.group_id, me)?.is_some() {
            return dto(conn, invite.group_id, me);
        }
        if group_removal::removed_at(conn, invite.group_id, me)?.is_some_and(|at| invite.created_at <= at) {
            return Err(Error::forbidden(
                ErrorCode::RemovedFromGroup,
                "an admin removed you from this group after this link was made: ask an admin for a new one",
            ));
        }
        let now = Utc::now();
        if invite.revoked_at.is_some() {
            return Err(gone(ErrorCode::InviteRevoked, "an admin revoked this invite link"));
        }
        if !invite.usable(now) {
            return Err(gone(ErrorCode::InviteExpired, "this invite link has expired or is used up"));
        }
        Invite::count_use(conn, invite.id)?;
        join(conn, invite.group_id, me)?;
        dto(conn, invite.group_id, me)
    })
}
