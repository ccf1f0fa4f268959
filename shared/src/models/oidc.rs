//! OpenID Connect sign-in: pending flows (`oidc_logins`), linked identities
//! (`oidc_identities`) and the one-time codes handed to the web client (`oidc_codes`).
//! Flows and codes are found by the SHA-256 of their random secret and deleted when used, so a
//! second use finds nothing; a code is also bound to the browser that finished the flow (the
//! SHA-256 of a random value in that browser's cookie).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{oidc_codes, oidc_identities, oidc_logins};
use crate::ids::UserId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = oidc_logins)]
pub struct PendingLogin {
    pub state_hash: String,
    pub provider: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub redirect_after: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Started from Settings to link the provider to this signed-in user (not a sign-in).
    pub link_user_id: Option<i64>,
}

impl PendingLogin {
    /// Stores a started flow, and drops the ones that expired (nobody came back for them).
    pub fn insert(conn: &mut PgConnection, login: &PendingLogin) -> QueryResult<()> {
        diesel::delete(oidc_logins::table.filter(oidc_logins::expires_at.lt(Utc::now()))).execute(conn)?;
        diesel::insert_into(oidc_logins::table).values(login).execute(conn)?;
        Ok(())
    }

    /// Takes the flow of this state out (single use), expired or not: the caller checks.
    pub fn take(conn: &mut PgConnection, state_hash: &str) -> QueryResult<Option<PendingLogin>> {
        diesel::delete(oidc_logins::table.find(state_hash))
            .returning(PendingLogin::as_returning())
            .get_result(conn)
            .optional()
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oidc_identities)]
pub struct Identity {
    pub provider: String,
    pub subject: String,
    pub user_id: UserId,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Identity {
    pub fn find(conn: &mut PgConnection, provider: &str, subject: &str) -> QueryResult<Option<Identity>> {
        oidc_identities::table.find((provider, subject)).select(Identity::as_select()).first(conn).optional()
    }

    /// Links a provider's subject to a user; false when it was linked meanwhile (a concurrent
    /// callback of the same identity).
    pub fn link(
        conn: &mut PgConnection,
        provider: &str,
        subject: &str,
        user_id: UserId,
        email: Option<&str>,
    ) -> QueryResult<bool> {
        let n = diesel::insert_into(oidc_identities::table)
            .values((
                oidc_identities::provider.eq(provider),
                oidc_identities::subject.eq(subject),
                oidc_identities::user_id.eq(user_id),
                oidc_identities::email.eq(email),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok(n == 1)
    }

    /// Removes the user's identities of `provider`; how many there were.
    pub fn unlink(conn: &mut PgConnection, user_id: UserId, provider: &str) -> QueryResult<usize> {
        diesel::delete(
            oidc_identities::table
                .filter(oidc_identities::user_id.eq(user_id))
                .filter(oidc_identities::provider.eq(provider)),
        )
        .execute(conn)
    }

    pub fn for_user(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Vec<Identity>> {
        oidc_identities::table
            .filter(oidc_identities::user_id.eq(user_id))
            .order(oidc_identities::created_at)
            .select(Identity::as_select())
            .load(conn)
    }
}

/// Stores a one-time code bound to a browser (the hash of the value in its cookie).
pub fn insert_code(
    conn: &mut PgConnection,
    code_hash: &str,
    binding_hash: &str,
    user_id: UserId,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::delete(oidc_codes::table.filter(oidc_codes::expires_at.lt(Utc::now()))).execute(conn)?;
    diesel::insert_into(oidc_codes::table)
        .values((
            oidc_codes::code_hash.eq(code_hash),
            oidc_codes::binding_hash.eq(binding_hash),
            oidc_codes::user_id.eq(user_id),
            oidc_codes::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// What presenting a one-time code found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeTaken {
    /// Taken out (used up): the user it signs in, and until when it was good.
    Taken { user_id: UserId, expires_at: DateTime<Utc> },
    /// The code exists but is bound to another browser: left in place for that browser.
    OtherBrowser,
    /// Unknown or already used.
    Unknown,
}

/// Takes a one-time code out if it is bound to `binding_hash` (the presenting browser's).
pub fn take_code(conn: &mut PgConnection, code_hash: &str, binding_hash: Option<&str>) -> QueryResult<CodeTaken> {
    if let Some(binding) = binding_hash {
        let taken: Option<(UserId, DateTime<Utc>)> =
            diesel::delete(oidc_codes::table.find(code_hash).filter(oidc_codes::binding_hash.eq(binding)))
                .returning((oidc_codes::user_id, oidc_codes::expires_at))
                .get_result(conn)
                .optional()?;
        if let Some((user_id, expires_at)) = taken {
            return Ok(CodeTaken::Taken { user_id, expires_at });
        }
    }
    let exists = diesel::select(diesel::dsl::exists(oidc_codes::table.find(code_hash))).get_result(conn)?;
    Ok(if exists { CodeTaken::OtherBrowser } else { CodeTaken::Unknown })
}
