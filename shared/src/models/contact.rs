//! Contacts (with my alias for them) and blocks.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{blocks, contacts, users};
use crate::ids::UserId;
use crate::models::user::User;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub owner_id: UserId,
    pub contact_id: UserId,
    pub alias: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Contact {
    /// Inserts, or updates the alias of an existing contact. Returns the row.
    pub fn upsert(
        conn: &mut PgConnection,
        owner_id: UserId,
        contact_id: UserId,
        alias: Option<&str>,
    ) -> QueryResult<Contact> {
        diesel::insert_into(contacts::table)
            .values((contacts::owner_id.eq(owner_id), contacts::contact_id.eq(contact_id), contacts::alias.eq(alias)))
            .on_conflict((contacts::owner_id, contacts::contact_id))
            .do_update()
            .set(contacts::alias.eq(alias))
            .returning(Contact::as_returning())
            .get_result(conn)
    }

    pub fn set_alias(
        conn: &mut PgConnection,
        owner_id: UserId,
        contact_id: UserId,
        alias: Option<&str>,
    ) -> QueryResult<Contact> {
        diesel::update(contacts::table.find((owner_id, contact_id)))
            .set(contacts::alias.eq(alias))
            .returning(Contact::as_returning())
            .get_result(conn)
    }

    /// Whether `owner_id` has `contact_id` among their contacts.
    pub fn exists(conn: &mut PgConnection, owner_id: UserId, contact_id: UserId) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(contacts::table.find((owner_id, contact_id)))).get_result(conn)
    }

    pub fn delete(conn: &mut PgConnection, owner_id: UserId, contact_id: UserId) -> QueryResult<usize> {
        diesel::delete(contacts::table.find((owner_id, contact_id))).execute(conn)
    }

    /// My contacts with their users, by alias (or display name).
    pub fn list(conn: &mut PgConnection, owner_id: UserId) -> QueryResult<Vec<(Contact, User)>> {
        contacts::table
            .inner_join(users::table.on(users::id.eq(contacts::contact_id)))
            .filter(contacts::owner_id.eq(owner_id))
            .order((
                diesel::dsl::sql::<diesel::sql_types::Text>("lower(coalesce(contacts.alias, users.display_name))"),
                users::id,
            ))
            .select((Contact::as_select(), User::as_select()))
            .load(conn)
    }
}

pub struct Block;

impl Block {
    /// Idempotent.
    pub fn add(conn: &mut PgConnection, blocker_id: UserId, blocked_id: UserId) -> QueryResult<usize> {
        diesel::insert_into(blocks::table)
            .values((blocks::blocker_id.eq(blocker_id), blocks::blocked_id.eq(blocked_id)))
            .on_conflict_do_nothing()
            .execute(conn)
    }

    pub fn remove(conn: &mut PgConnection, blocker_id: UserId, blocked_id: UserId) -> QueryResult<usize> {
        diesel::delete(blocks::table.find((blocker_id, blocked_id))).execute(conn)
    }

    /// Whether `blocker_id` blocked `blocked_id`.
    pub fn exists(conn: &mut PgConnection, blocker_id: UserId, blocked_id: UserId) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(blocks::table.find((blocker_id, blocked_id)))).get_result(conn)
    }

    /// Whether either user blocked the other.
    pub fn between(conn: &mut PgConnection, a: UserId, b: UserId) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            blocks::table.filter(
                blocks::blocker_id
                    .eq(a)
                    .and(blocks::blocked_id.eq(b))
                    .or(blocks::blocker_id.eq(b).and(blocks::blocked_id.eq(a))),
            ),
        ))
        .get_result(conn)
    }

    pub fn list(conn: &mut PgConnection, blocker_id: UserId) -> QueryResult<Vec<User>> {
        blocks::table
            .inner_join(users::table.on(users::id.eq(blocks::blocked_id)))
            .filter(blocks::blocker_id.eq(blocker_id))
            .order(users::username)
            .select(User::as_select())
            .load(conn)
    }
}
