//! My contacts (with aliases) and my blocks.

use diesel::{OptionalExtension, PgConnection};
use shared::api::{ContactDto, UserDto};
use shared::error::ErrorCode;
use shared::ids::UserId;
use shared::models::contact::{Block, Contact};
use shared::models::outbox::Outbox;
use shared::models::user::User;
use shared::Error;

use crate::domain::users::{active_user, user_not_found};
use crate::domain::validate;
use crate::domain::{block_events, privacy};

fn parse_alias(alias: Option<&str>) -> Result<Option<String>, Error> {
    match alias {
        None => Ok(None),
        Some(a) if a.trim().is_empty() => Ok(None),
        Some(a) => {
            Ok(Some(validate::text("alias", a, 1, validate::ALIAS_MAX, false).map_err(|e| Error::validation(vec![e]))?))
        }
    }
}

fn existing_other_user(conn: &mut PgConnection, me: UserId, other: UserId) -> Result<User, Error> {
    if other == me {
        return Err(Error::invalid("user_id", "cannot be yourself"));
    }
    active_user(conn, other)?.ok_or_else(user_not_found)
}

pub fn list(conn: &mut PgConnection, me: UserId) -> Result<Vec<ContactDto>, Error> {
    let rows = Contact::list(conn, me)?;
    let users = privacy::user_dtos(conn, me, rows.iter().map(|(_, u)| u))?;
    Ok(rows
        .iter()
        .zip(users)
        .map(|((c, _), user)| ContactDto { user, alias: c.alias.clone(), created_at: c.created_at })
        .collect())
}

/// Adds a contact, or sets the alias when it is one already.
pub fn add(conn: &mut Outbox<'_>, me: UserId, user_id: UserId, alias: Option<&str>) -> Result<ContactDto, Error> {
    let alias = parse_alias(alias)?;
    let user = existing_other_user(conn, me, user_id)?;
    conn.transaction(|conn| {
        let contact = Contact::upsert(conn, me, user_id, alias.as_deref())?;
        privacy::contacts_changed(conn, me)?;
        dto(conn, me, &contact, &user)
    })
}

pub fn rename(conn: &mut PgConnection, me: UserId, user_id: UserId, alias: Option<&str>) -> Result<ContactDto, Error> {
    let alias = parse_alias(alias)?;
    let contact = Contact::set_alias(conn, me, user_id, alias.as_deref()).optional()?.ok_or_else(contact_not_found)?;
    let user = User::find(conn, user_id)?;
    dto(conn, me, &contact, &user)
}

pub fn remove(conn: &mut Outbox<'_>, me: UserId, user_id: UserId) -> Result<(), Error> {
    conn.transaction(|conn| match Contact::delete(conn, me, user_id)? {
        0 => Err(contact_not_found()),
        _ => privacy::contacts_changed(conn, me),
    })
}

pub fn block(conn: &mut Outbox<'_>, me: UserId, user_id: UserId) -> Result<(), Error> {
    existing_other_user(conn, me, user_id)?;
    conn.transaction(|conn| {
        Block::add(conn, me, user_id)?;
        blocks_changed(conn, me)?;
        block_events::tell_direct_chat(conn, me, user_id)
    })
}

pub fn unblock(conn: &mut Outbox<'_>, me: UserId, user_id: UserId) -> Result<(), Error> {
    conn.transaction(|conn| {
        Block::remove(conn, me, user_id)?;
        blocks_changed(conn, me)?;
        block_events::tell_direct_chat(conn, me, user_id)
    })
}

pub fn blocked(conn: &mut PgConnection, me: UserId) -> Result<Vec<UserDto>, Error> {
    let users = Block::list(conn, me)?;
    privacy::user_dtos(conn, me, &users)
}

fn contact_not_found() -> Error {
    Error::not_found(ErrorCode::ContactNotFound, "this user is not in your contacts")
}

/// A block hides my presence from the blocked user, whatever my setting.
fn blocks_changed(conn: &mut Outbox<'_>, me: UserId) -> Result<(), Error> {
    let settings = shared::models::privacy::of(conn, me)?;
    privacy::announce(conn, me, settings.read_receipts)
}

fn dto(conn: &mut PgConnection, me: UserId, contact: &Contact, user: &User) -> Result<ContactDto, Error> {
    let user = privacy::user_dto(conn, me, user)?;
    Ok(ContactDto { user, alias: contact.alias.clone(), created_at: contact.created_at })
}
