//! Two-factor authentication with TOTP (RFC 6238): enrol (a secret shown as a QR code),
//! confirm with a first code (which turns it on and gives ten single-use recovery codes),
//! log in in two steps, turn it off with a code. A code is accepted once (the last accepted
//! time step is stored) and attempts are rate limited per account. Turning it on or off also
//! needs the password (or, without one, a fresh sign-in: [`crate::domain::reauth`]), so a stolen
//! access token can neither lock the owner out with the thief's app nor remove the second factor.

use chrono::Utc;
use diesel::{Connection, PgConnection};
use rand::RngCore;
use shared::api::{EnrolmentDto, RecoveryCodesDto, TokensDto};
use shared::auth::{TokenError, AUD_MFA};
use shared::error::ErrorCode;
use shared::error::Kind;
use shared::ids::UserId;
use shared::models::two_factor;
use shared::models::user::User;
use shared::{db, totp, Error};

use crate::domain::auth::{sign_in, suspended, ClientInfo};
use crate::domain::reauth;
use crate::limits;
use crate::state::AppState;

pub const ISSUER: &str = "Chat";
const RECOVERY_CODES: usize = 10;

/// The proof offered: a code from the app, or a recovery code.
#[derive(Debug, Clone)]
pub enum Proof {
    Code(String),
    Recovery(String),
}

impl Proof {
    pub fn parse(code: Option<String>, recovery_code: Option<String>) -> Result<Self, Error> {
        match (code, recovery_code) {
            (Some(c), None) => Ok(Proof::Code(c)),
            (None, Some(r)) => Ok(Proof::Recovery(r)),
            _ => Err(Error::invalid("code", "give either code or recovery_code")),
        }
    }
}

fn wrong_code() -> Error {
    Error::unauthorized(ErrorCode::InvalidCode, "the code is wrong, expired or already used")
}

/// Checks a proof against the account and uses it up (a code's step, a recovery code).
fn check(conn: &mut PgConnection, user_id: UserId, proof: &Proof) -> Result<(), Error> {
    let (Some(secret), _, last) = two_factor::state(conn, user_id)? else {
        return Err(Error::conflict(ErrorCode::TwoFactorOff, "two-factor authentication is not on"));
    };
    let ok = match proof {
        Proof::Code(code) => match totp::verify(&secret, code, Utc::now().timestamp(), last) {
            Some(step) => two_factor::use_step(conn, user_id, step)?,
            None => false,
        },
        Proof::Recovery(code) => two_factor::use_recovery_code(conn, user_id, code)?,
    };
    ok.then_some(()).ok_or_else(wrong_code)
}

/// Second-factor attempts per account (`SECOND_FACTOR_ATTEMPTS_PER_ACCOUNT` per 5 minutes).
async fn limit_attempts(state: &AppState, user_id: UserId) -> Result<(), Error> {
    limits::check(state, limits::second_factor(state), user_id.to_string()).await
}

/// Step two of a login: the token from step one plus a proof.
pub async fn finish_login(
    state: &AppState,
    mfa_token: &str,
    proof: Proof,
    client: ClientInfo,
) -> Result<TokensDto, Error> {
    let claims = state.keys.verify(mfa_token, AUD_MFA).map_err(|e| match e {
        TokenError::Expired => {
            Error::unauthorized(ErrorCode::MfaTokenExpired, "the sign-in took too long; enter the password again")
        }
        TokenError::Invalid => Error::unauthorized(ErrorCode::InvalidMfaToken, "the sign-in token is invalid"),
    })?;
    let user_id = claims
        .user_id()
        .ok_or_else(|| Error::unauthorized(ErrorCode::InvalidMfaToken, "the sign-in token is invalid"))?;
    limit_attempts(state, user_id).await?;
    let user = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            check(conn, user_id, &proof)
                .map_err(|e| if e.code == ErrorCode::TwoFactorOff { wrong_code() } else { e })?;
            Ok(User::find(conn, user_id)?)
        })
    })
    .await?;
    if user.suspended_at.is_some() {
        return Err(suspended());
    }
    sign_in(state, &user, client).await
}

/// Starts (or restarts) an enrolment: a new pending secret.
pub fn enrol(conn: &mut PgConnection, me: UserId) -> Result<EnrolmentDto, Error> {
    let user = User::find(conn, me)?;
    if user.two_factor {
        return Err(Error::conflict(
            ErrorCode::TwoFactorOn,
            "two-factor authentication is on already; turn it off first",
        ));
    }
    let secret = totp::new_secret();
    two_factor::set_pending(conn, me, &secret)?;
    Ok(EnrolmentDto { otpauth_uri: totp::otpauth_uri(&secret, &user.username, ISSUER), secret })
}

/// Who asks, and what proves it is the owner (see [`reauth::confirm_owner`]).
pub struct Owner {
    pub id: UserId,
    pub session: Option<uuid::Uuid>,
    pub password: Option<String>,
}

/// Turns it on with a first code from the app; answers the recovery codes (shown once).
pub async fn confirm(state: &AppState, owner: Owner, code: String) -> Result<RecoveryCodesDto, Error> {
    let me = owner.id;
    reauth::confirm_owner(state, me, owner.session, owner.password).await?;
    db::run(&state.pool, move |conn| activate(conn, me, &code)).await
}

fn activate(conn: &mut PgConnection, me: UserId, code: &str) -> Result<RecoveryCodesDto, Error> {
    conn.transaction(|conn| {
        let (active, pending, _) = two_factor::state(conn, me)?;
        if active.is_some() {
            return Err(Error::conflict(ErrorCode::TwoFactorOn, "two-factor authentication is on already"));
        }
        let pending = pending.ok_or_else(|| Error::conflict(ErrorCode::NoEnrolment, "start an enrolment first"))?;
        let step = totp::verify(&pending, code, Utc::now().timestamp(), None).ok_or_else(|| {
            Error::new(Kind::Validation, ErrorCode::InvalidCode, "the code does not match; check the app's clock")
        })?;
        two_factor::activate(conn, me, step)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        two_factor::replace_recovery_codes(conn, me, &codes)?;
        tracing::info!(user_id = me.0, "two-factor authentication turned on");
        Ok(RecoveryCodesDto { recovery_codes: codes })
    })
}

/// Turns it off; needs a current code or a recovery code.
pub async fn disable(state: &AppState, owner: Owner, proof: Proof) -> Result<(), Error> {
    let me = owner.id;
    reauth::confirm_owner(state, me, owner.session, owner.password).await?;
    limit_attempts(state, me).await?;
    db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            check(conn, me, &proof)?;
            two_factor::disable(conn, me)?;
            tracing::info!(user_id = me.0, "two-factor authentication turned off");
            Ok(())
        })
    })
    .await
}

/// Ten random base32 characters (50 bits) as `xxxxx-xxxxx`.
fn recovery_code() -> String {
    let mut bytes = [0u8; 7];
    rand::rng().fill_bytes(&mut bytes);
    let letters: String = totp::base32_encode(&bytes).to_lowercase().chars().take(10).collect();
    format!("{}-{}", &letters[..5], &letters[5..])
}
