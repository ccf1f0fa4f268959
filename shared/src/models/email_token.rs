//! Single-use tokens sent by email (`verify` an address, `reset` a password). Only the SHA-256
//! of a token is stored; spending one is a single conditional UPDATE, so two requests racing
//! with the same token cannot both succeed.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::email_tokens;
use crate::ids::UserId;

pub use crate::enums::EmailPurpose;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_tokens)]
pub struct EmailToken {
    pub id: i64,
    pub user_id: UserId,
    pub purpose: EmailPurpose,
    /// The address the token was mailed to.
    pub email: String,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = email_tokens)]
pub struct NewEmailToken<'a> {
    pub user_id: UserId,
    pub purpose: EmailPurpose,
    pub email: &'a str,
    pub token_hash: &'a str,
    pub expires_at: DateTime<Utc>,
}

impl EmailToken {
    pub fn insert(conn: &mut PgConnection, new: &NewEmailToken) -> QueryResult<EmailToken> {
        diesel::insert_into(email_tokens::table).values(new).returning(EmailToken::as_returning()).get_result(conn)
    }

    /// Marks the live token with this hash and purpose used and returns it; `None` when there is
    /// no such token, or it was used, or it expired.
    pub fn spend(conn: &mut PgConnection, token_hash: &str, purpose: EmailPurpose) -> QueryResult<Option<EmailToken>> {
        diesel::update(
            email_tokens::table
                .filter(email_tokens::token_hash.eq(token_hash))
                .filter(email_tokens::purpose.eq(purpose))
                .filter(email_tokens::used_at.is_null())
                .filter(email_tokens::expires_at.gt(diesel::dsl::now)),
        )
        .set(email_tokens::used_at.eq(diesel::dsl::now))
        .returning(EmailToken::as_returning())
        .get_result(conn)
        .optional()
    }

    /// Makes every unused token of the user for `purpose` useless. Returns how many.
    pub fn spend_all(conn: &mut PgConnection, user_id: UserId, purpose: EmailPurpose) -> QueryResult<usize> {
        diesel::update(
            email_tokens::table
                .filter(email_tokens::user_id.eq(user_id))
                .filter(email_tokens::purpose.eq(purpose))
                .filter(email_tokens::used_at.is_null()),
        )
        .set(email_tokens::used_at.eq(diesel::dsl::now))
        .execute(conn)
    }
}
