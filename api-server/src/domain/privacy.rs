//! Privacy settings: reading and changing them, and applying them to what others see (last
//! seen in user objects, who may start a chat or add to a group). Presence on the socket and
//! receipts apply them in ws-server and `receipts`.

use diesel::PgConnection;
use shared::api::{Audience, PrivacyDto, UserDto};
use shared::error::ErrorCode;
use shared::events::Event;
use shared::models::outbox::Outbox;
use shared::models::privacy::{self, Approach, PrivacyChanges};
use shared::models::user::User;
use shared::Error;

use crate::domain::events;
use shared::ids::UserId;

/// `PUT /me/privacy`: every field optional.
#[derive(Debug, Default)]
pub struct PrivacyUpdate {
    pub last_seen: Option<Audience>,
    pub read_receipts: Option<bool>,
    pub direct_messages: Option<Audience>,
    pub group_adds: Option<Audience>,
}

pub fn get(conn: &mut PgConnection, me: UserId) -> Result<PrivacyDto, Error> {
    Ok(privacy::of(conn, me)?)
}

pub fn update(conn: &mut Outbox<'_>, me: UserId, update: PrivacyUpdate) -> Result<PrivacyDto, Error> {
    let changes = PrivacyChanges {
        last_seen_visibility: update.last_seen,
        read_receipts: update.read_receipts,
        direct_messages: update.direct_messages,
        group_adds: update.group_adds,
    };
    conn.transaction(|conn| {
        let before = privacy::of(conn, me)?;
        let after = privacy::update(conn, me, &changes)?;
        if after.last_seen != before.last_seen || after.read_receipts != before.read_receipts {
            announce(conn, me, after.read_receipts)?;
        }
        Ok(after)
    })
}

/// Tells every ws node that who may see `user_id`'s presence, or whose reads they see,
/// changed (settings, contacts or blocks). Inside the transaction of the change.
pub fn announce(conn: &mut Outbox<'_>, user_id: UserId, read_receipts: bool) -> Result<(), Error> {
    events::to_presence_watchers(conn, user_id, &Event::PrivacyUpdated { user_id, read_receipts })
}

/// After a change to `owner`'s contacts: announced when their last seen goes to contacts only.
pub fn contacts_changed(conn: &mut Outbox<'_>, owner: UserId) -> Result<(), Error> {
    let settings = privacy::of(conn, owner)?;
    if settings.last_seen == Audience::Contacts {
        announce(conn, owner, settings.read_receipts)?;
    }
    Ok(())
}

/// Refuses with 403 when `target`'s settings do not let `actor` approach them that way.
pub fn require(conn: &mut PgConnection, target: &User, actor: UserId, approach: Approach) -> Result<(), Error> {
    if privacy::allows(conn, target.id, actor, approach)? {
        return Ok(());
    }
    let name = &target.display_name;
    Err(match approach {
        Approach::DirectMessage => Error::forbidden(
            ErrorCode::DirectMessagesNotAllowed,
            format!("{name} does not accept new direct chats from you"),
        ),
        Approach::AddToGroup => Error::forbidden(
            ErrorCode::GroupAddNotAllowed,
            format!("{name} does not allow being added to groups by you; send an invite link instead"),
        ),
    })
}

/// User objects as `viewer` may see them: last seen only where the owner's setting allows.
pub fn user_dtos<'a>(
    conn: &mut PgConnection,
    viewer: UserId,
    users: impl IntoIterator<Item = &'a User>,
) -> Result<Vec<UserDto>, Error> {
    let users: Vec<&User> = users.into_iter().collect();
    let ask: Vec<UserId> = users.iter().filter(|u| u.last_seen_at.is_some()).map(|u| u.id).collect();
    let visible = privacy::last_seen_visible_to(conn, viewer, &ask)?;
    Ok(users
        .into_iter()
        .map(|u| UserDto { last_seen_at: u.last_seen_at.filter(|_| visible.contains(&u.id)), ..UserDto::from(u) })
        .collect())
}

pub fn user_dto(conn: &mut PgConnection, viewer: UserId, user: &User) -> Result<UserDto, Error> {
    user_dtos(conn, viewer, [user])?.pop().ok_or_else(|| Error::internal(anyhow::anyhow!("one user in, none out")))
}
