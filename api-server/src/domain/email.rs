//! Account email: verifying an address, changing it, and resetting a forgotten password.
//!
//! Links carry a random 32-byte token (`shared::auth::new_opaque_token`); only its SHA-256 is
//! stored (`email_tokens`), with a purpose, the address it was sent to and an expiry: 24 hours
//! for `verify`, 1 hour for `reset`. Spending a token is one conditional UPDATE (unused, not
//! expired, right purpose), so a token works once even under concurrent requests; a forged,
//! used, expired or wrong-purpose token is the same `400 invalid_token`.
//!
//! - A verify token proves the address it was sent to, and only while the account still has
//!   that address; a new verification mail makes the older ones useless. Changing the address
//!   also spends the reset links sent to the old one; setting the same, verified address again
//!   changes nothing.
//! - `forgot` answers 202 with the same body whether or not an account has the address; the
//!   lookup, the token and the mail all happen in a background task, so the answer also takes
//!   the same time. Only verified addresses get a reset mail (a mistyped, unverified address
//!   must not let a stranger take the account over).
//! - A reset sets the password and ends every session of the account
//!   ([`sessions::end_every_session`]): refresh tokens revoked, access tokens refused,
//!   sockets closed. Other reset tokens of the account are spent with it.
//!
//! Mails leave through [`crate::mail::Mailer::send_later`], after the commit, off the request.

use chrono::{Duration, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection};
use shared::api::MeDto;
use shared::auth;
use shared::error::ErrorCode;
use shared::models::email_token::{EmailPurpose, EmailToken, NewEmailToken};
use shared::models::user::User;
use shared::{db, Error};

use crate::domain::validate::{Email, Password};
use crate::domain::{reauth, sessions};
use crate::mail::Mail;
use crate::state::AppState;
use shared::ids::UserId;
use shared::token_gate;
use tracing::Instrument;

pub const VERIFY_TTL_HOURS: i64 = 24;
pub const RESET_TTL_MINUTES: i64 = 60;

pub fn email_taken() -> Error {
    Error::conflict(ErrorCode::EmailTaken, "another account has this email address")
}

fn invalid_token() -> Error {
    Error::bad_request(ErrorCode::InvalidToken, "this link is invalid, expired or was already used")
}

/// Stores a new token and returns it (the only time it exists in clear).
fn issue(
    conn: &mut PgConnection,
    user: UserId,
    purpose: EmailPurpose,
    email: &str,
    ttl: Duration,
) -> Result<String, Error> {
    let token = auth::new_opaque_token();
    let hash = auth::hash_token(&token);
    EmailToken::insert(
        conn,
        &NewEmailToken { user_id: user, purpose, email, token_hash: &hash, expires_at: Utc::now() + ttl },
    )?;
    Ok(token)
}

/// Inside the caller's transaction: a verify token for `address` (older ones become useless) and
/// the mail with its link (on `public_url`), to be sent after the commit.
pub(crate) fn issue_verification(
    conn: &mut PgConnection,
    public_url: &str,
    user: &User,
    address: &str,
) -> Result<Mail, Error> {
    EmailToken::spend_all(conn, user.id, EmailPurpose::Verify)?;
    let token = issue(conn, user.id, EmailPurpose::Verify, address, Duration::hours(VERIFY_TTL_HOURS))?;
    Ok(verification_mail(public_url, address, &user.username, &token))
}

fn verification_mail(public_url: &str, to: &str, username: &str, token: &str) -> Mail {
    let link = format!("{public_url}/verify-email?token={token}");
    Mail {
        to: to.to_owned(),
        subject: "Confirm your email address".into(),
        body: format!(
            "Hello {username},\r\n\r\nopen this link to confirm that this address belongs to your chat account:\r\n\r\n\
             {link}\r\n\r\nThe link works once, for {VERIFY_TTL_HOURS} hours. If you did not ask for it, ignore this mail.\r\n"
        ),
        kind: "verify",
    }
}

fn reset_mail(public_url: &str, to: &str, username: &str, token: &str) -> Mail {
    let link = format!("{public_url}/reset-password?token={token}");
    Mail {
        to: to.to_owned(),
        subject: "Reset your password".into(),
        body: format!(
            "Hello {username},\r\n\r\nsomeone (hopefully you) asked to reset the password of your chat account.\r\n\
             Open this link to choose a new one:\r\n\r\n{link}\r\n\r\nThe link works once, for {RESET_TTL_MINUTES} minutes; \
             using it signs every device out. If you did not ask for it, ignore this mail: your password stays as it is.\r\n"
        ),
        kind: "reset",
    }
}

/// To the old, verified address when it is replaced: if the owner did not do it, they learn of it
/// from the address the attacker just took away (and no link: nothing to steal from this mail).
fn address_changed_mail(to: &str, username: &str, new_address: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Your email address was changed".into(),
        body: format!(
            "Hello {username},\r\n\r\nthe email address of your chat account was changed to {new_address}; \
             mail goes there from now on.\r\nIf you did not do this, sign in, change your password and sign out \
             your other devices in Settings, or ask an administrator for help.\r\n"
        ),
        kind: "address_changed",
    }
}

/// `PUT /me/email`: a new address (unverified until its link is opened); needs the password.
pub async fn change(state: &AppState, me: UserId, address: Email, password: String) -> Result<MeDto, Error> {
    let user = db::run(&state.pool, move |conn| Ok(User::find(conn, me)?)).await?;
    if !reauth::password_matches(password, user.password_hash).await? {
        return Err(Error::forbidden(ErrorCode::InvalidPassword, "the password is wrong"));
    }
    let public_url = state.settings.public_url.clone();
    let (user, mails) = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let current = User::find(conn, me)?;
            if current.email.as_deref() == Some(address.as_str()) && current.email_verified_at.is_some() {
                return Ok((current, Vec::new())); // the same, verified address: nothing to do
            }
            let user = User::set_email(conn, me, address.as_str()).map_err(|e| match e {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => email_taken(),
                other => other.into(),
            })?;
            // Reset links went to the old address: they must not outlive it.
            EmailToken::spend_all(conn, me, EmailPurpose::Reset)?;
            let mut mails = vec![issue_verification(conn, &public_url, &user, address.as_str())?];
            if let Some(old) = current.email.filter(|_| current.email_verified_at.is_some()) {
                if !old.eq_ignore_ascii_case(address.as_str()) {
                    mails.push(address_changed_mail(&old, &user.username, address.as_str()));
                }
            }
            Ok((user, mails))
        })
    })
    .await?;
    if !mails.is_empty() {
        tracing::info!(user_id = me.0, "email address changed");
    }
    for mail in mails {
        state.mailer.send_later(mail);
    }
    Ok((&user).into())
}

/// `POST /me/email/verification`: mails a new link (older ones stop working).
pub async fn resend(state: &AppState, me: UserId) -> Result<(), Error> {
    let public_url = state.settings.public_url.clone();
    let mail = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let user = User::find(conn, me)?;
            let Some(address) = user.email.clone() else {
                return Err(Error::conflict(ErrorCode::NoEmail, "this account has no email address"));
            };
            if user.email_verified_at.is_some() {
                return Err(Error::conflict(ErrorCode::EmailAlreadyVerified, "this address is already verified"));
            }
            issue_verification(conn, &public_url, &user, &address)
        })
    })
    .await?;
    state.mailer.send_later(mail);
    Ok(())
}

/// `POST /auth/email/verify`: spends the token and marks the address it was sent to verified.
pub async fn verify(state: &AppState, token: String) -> Result<(), Error> {
    let user = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let spent =
                EmailToken::spend(conn, &auth::hash_token(&token), EmailPurpose::Verify)?.ok_or_else(invalid_token)?;
            // The account moved to another address since: this link proves nothing now.
            User::verify_email(conn, spent.user_id, &spent.email)?.ok_or_else(invalid_token)?;
            EmailToken::spend_all(conn, spent.user_id, EmailPurpose::Verify)?;
            Ok(spent.user_id)
        })
    })
    .await?;
    tracing::info!(user_id = user.0, "email address verified");
    Ok(())
}

/// The account's address, if it has one.
pub async fn address_of(state: &AppState, me: UserId) -> Result<Option<String>, Error> {
    db::run(&state.pool, move |conn| Ok(User::find(conn, me)?.email)).await
}

/// `POST /auth/password/forgot`: returns at once; see the module docs.
pub fn forgot(state: &AppState, address: Email) {
    let state = state.clone();
    tokio::spawn(
        async move {
            let public_url = state.settings.public_url.clone();
            let found = db::run(&state.pool, move |conn| {
                conn.transaction(|conn| {
                    let Some(user) = User::find_by_email(conn, address.as_str())? else { return Ok(None) };
                    let (Some(email), Some(_)) = (user.email.as_deref(), user.email_verified_at) else {
                        return Ok(None);
                    };
                    if user.suspended_at.is_some() {
                        return Ok(None);
                    }
                    let token = issue(conn, user.id, EmailPurpose::Reset, email, Duration::minutes(RESET_TTL_MINUTES))?;
                    Ok::<_, Error>(Some((user.id, reset_mail(&public_url, email, &user.username, &token))))
                })
            })
            .await;
            match found {
                Ok(Some((user_id, mail))) => {
                    tracing::info!(user_id = user_id.0, "password reset requested");
                    state.mailer.send_later(mail);
                }
                Ok(None) => tracing::info!("password reset requested for an address without a verified account"),
                Err(e) => tracing::error!(error = %e, "password reset request failed"),
            }
        }
        .in_current_span(),
    );
}

/// `POST /auth/password/reset`: spends the token, sets the password, signs out every device.
pub async fn reset(state: &AppState, token: String, password: Password) -> Result<(), Error> {
    let pw = password.as_str().to_owned();
    let hash = shared::telemetry::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(|e| Error::internal(anyhow::anyhow!("hash task: {e}")))?
        .map_err(Error::internal)?;
    let cache = state.cache.clone();
    let user = state
        .write(move |conn| {
            let (user, version) = conn.transaction(|conn| {
                let spent = EmailToken::spend(conn, &auth::hash_token(&token), EmailPurpose::Reset)?
                    .ok_or_else(invalid_token)?;
                User::set_password(conn, spent.user_id, &hash)?;
                EmailToken::spend_all(conn, spent.user_id, EmailPurpose::Reset)?;
                let (version, _) = sessions::end_every_session(conn, spent.user_id, "password_reset")?;
                Ok::<_, Error>((spent.user_id, version))
            })?;
            token_gate::publish(&cache, user, version);
            Ok(user)
        })
        .await?;
    tracing::info!(user_id = user.0, "password reset");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_carry_the_link_and_no_other_secret() {
        let m = verification_mail("https://chat.example", "a@b.c", "ann", "TOKEN");
        assert!(m.body.contains("\r\nhttps://chat.example/verify-email?token=TOKEN\r\n"), "{}", m.body);
        let m = reset_mail("https://chat.example", "a@b.c", "ann", "TOKEN");
        assert!(m.body.contains("\r\nhttps://chat.example/reset-password?token=TOKEN\r\n"), "{}", m.body);
        assert_eq!(m.kind, "reset");
    }
}
