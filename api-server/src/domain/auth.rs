//! Accounts and sessions: register, login, refresh (rotation with reuse detection), logout.
//!
//! A session is a refresh-token *family*. Every refresh replaces the presented token with a new
//! one in the same family; presenting a token that was already replaced means it was copied, so
//! the whole family is revoked (the thief and the owner both have to log in again) — except
//! once within [`REPLAY_GRACE_SECS`] of the rotation, when the answer was most likely lost (a
//! dropped connection, two tabs refreshing at once): that replay gets the same pair again. The
//! successor is derived from the presented token with the server's key
//! ([`shared::auth::TokenKeys::successor`]), so nothing usable is stored to answer it.
//!
//! Concurrency: every change to a user's sessions (refresh, logout, sign-out, password reset,
//! suspension) locks the user's row first ([`User::lock`]), so a rotation can never insert a new
//! token behind the back of a revocation running at the same time (READ COMMITTED would let the
//! revocation miss the row inserted by a rotation that held the old token's lock).

use chrono::{DateTime, Duration, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection};
use shared::api::{SecondFactorDto, TokensDto};
use shared::auth::{self, SessionRef, TokenKeys, ACCESS_TTL_SECS, AUD_API, AUD_MFA, MFA_TTL_SECS};
use shared::error::ErrorCode;
use shared::models::refresh_token::{NewRefreshToken, RefreshToken};
use shared::models::user::{NewUser, User};
use shared::{db, Error};

use crate::domain::validate::{self, Checks, Email, Password, Username};
use crate::domain::{email, reauth, sessions};
use crate::limits;
use crate::state::AppState;
use shared::ids::UserId;

pub const REFRESH_TTL_DAYS: i64 = 30;
/// How long after a rotation the spent token may be presented once more and get the same pair.
pub const REPLAY_GRACE_SECS: i64 = 10;

/// Where a session was started from (shown in the sessions list).
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: Option<String>,
}

pub struct Registration {
    pub username: Username,
    pub password: Password,
    pub display_name: String,
    /// Optional; a verification link is mailed to it.
    pub email: Option<Email>,
}

impl Registration {
    pub fn parse(
        username: &str,
        password: &str,
        display_name: Option<&str>,
        email: Option<&str>,
    ) -> Result<Self, Error> {
        let mut checks = Checks::default();
        let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => checks.check(Email::parse(e)),
            None => None,
        };
        let username = checks.check(Username::parse(username));
        let password = checks.check(Password::parse(password));
        let display_name = match display_name {
            Some(d) => checks.check(validate::text("display_name", d, 1, validate::DISPLAY_NAME_MAX, false)),
            None => username.as_ref().map(|u| u.as_str().to_owned()),
        };
        checks.finish()?;
        match (username, password, display_name) {
            (Some(username), Some(password), Some(display_name)) => {
                Ok(Self { username, password, display_name, email })
            }
            _ => Err(Error::internal(anyhow::anyhow!("validation passed without values"))),
        }
    }
}

pub async fn register(state: &AppState, input: Registration, client: ClientInfo) -> Result<TokensDto, Error> {
    let hash = hash_password(input.password).await?;
    let public_url = state.settings.public_url.clone();
    let (user, (refresh, family), verification) = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let new = NewUser {
                username: input.username.as_str(),
                display_name: &input.display_name,
                password_hash: &hash,
                email: input.email.as_ref().map(|e| e.as_str()),
            };
            let user = User::insert(conn, &new).map_err(|e| match e {
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                    if info.constraint_name() == Some("users_email_lower_idx") =>
                {
                    email::email_taken()
                }
                DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                    Error::conflict(ErrorCode::UsernameTaken, "this username is taken")
                }
                other => other.into(),
            })?;
            let verification = match &user.email {
                Some(address) => Some(email::issue_verification(conn, &public_url, &user, address)?),
                None => None,
            };
            let session = start_session(conn, user.id, &client)?;
            Ok((user, session, verification))
        })
    })
    .await?;
    tracing::info!(user_id = user.id.0, "user registered");
    if let Some(mail) = verification {
        state.mailer.send_later(mail);
    }
    Ok(tokens(state, &user, refresh, family))
}

/// What a right password leads to.
pub enum LoginOutcome {
    Tokens(Box<TokensDto>),
    /// Two-factor authentication is on: the second step (`two_factor::finish_login`) follows.
    SecondFactor(SecondFactorDto),
}

#[tracing::instrument(name = "login", skip_all)]
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    client: ClientInfo,
) -> Result<LoginOutcome, Error> {
    let invalid = || Error::unauthorized(ErrorCode::InvalidCredentials, "wrong username or password");
    let name = username.to_lowercase();
    // Failures are counted per name whether or not an account has it (no existence oracle).
    let (limit, account) = (limits::login_failures(state), limits::account_subject(&name));
    limits::ensure_left(state, limit, account.clone()).await?;
    // PostgreSQL text cannot hold NUL: such a name matches nobody and must not reach the query.
    let user = match name.contains('\0') {
        true => None,
        false => db::run(&state.pool, move |conn| Ok(User::find_by_username(conn, &name)?)).await?,
    };
    // Verify against a dummy hash when the user does not exist: the same time either way.
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| auth::dummy_password_hash().to_owned());
    let ok = reauth::password_matches(password.to_owned(), hash).await?;
    match user {
        Some(user) if ok => proven(state, &user, client).await,
        _ => {
            limits::record(state, limit, account).await;
            Err(invalid())
        }
    }
}

/// After a first factor (a password or an OpenID provider): refused when suspended, the
/// second-factor step when the account has it on, else a new session.
#[tracing::instrument(name = "first_factor_proven", skip_all, fields(user_id = user.id.0))]
pub(crate) async fn proven(state: &AppState, user: &User, client: ClientInfo) -> Result<LoginOutcome, Error> {
    if user.suspended_at.is_some() {
        return Err(suspended());
    }
    if user.two_factor {
        let mfa_token = state.keys.issue(user.id, AUD_MFA, MFA_TTL_SECS);
        return Ok(LoginOutcome::SecondFactor(SecondFactorDto { mfa_token, expires_in: MFA_TTL_SECS }));
    }
    Ok(LoginOutcome::Tokens(Box::new(sign_in(state, user, client).await?)))
}

pub(crate) fn suspended() -> Error {
    Error::forbidden(ErrorCode::AccountSuspended, "this account is suspended")
}

/// A new session for a user who proved who they are.
#[tracing::instrument(name = "sign_in", skip_all)]
pub(crate) async fn sign_in(state: &AppState, user: &User, client: ClientInfo) -> Result<TokensDto, Error> {
    let user_id = user.id;
    let (refresh, family) = db::run(&state.pool, move |conn| start_session(conn, user_id, &client)).await?;
    Ok(tokens(state, user, refresh, family))
}

pub async fn refresh(state: &AppState, presented: String, client: ClientInfo) -> Result<TokensDto, Error> {
    let keys = state.keys.clone();
    let outcome =
        db::run(&state.pool, move |conn| conn.transaction(|conn| rotate(conn, &keys, &presented, &client))).await?;
    match outcome {
        Rotation::Rotated { user, refresh_token, family, rotated_at } => {
            Ok(tokens_of_rotation(state, &user, refresh_token, family, rotated_at))
        }
        Rotation::Reused => {
            tracing::warn!("refresh token reuse detected: family revoked");
            Err(Error::unauthorized(ErrorCode::RefreshTokenReused, "this refresh token was already used; log in again"))
        }
        Rotation::Invalid => {
            Err(Error::unauthorized(ErrorCode::InvalidRefreshToken, "the refresh token is invalid or expired"))
        }
    }
}

/// Signs the session of this refresh token out, like signing a device out: its tokens revoked,
/// access tokens refused, `session.revoked` announced so its sockets close on every node.
/// Unknown tokens are ignored (logout is idempotent).
pub async fn logout(state: &AppState, presented: String) -> Result<(), Error> {
    let cache = state.cache.clone();
    state
        .write(move |conn| {
            if let Some(token) = RefreshToken::find_by_hash(conn, &auth::hash_token(&presented))? {
                sessions::end(conn, &cache, token.user_id, &[token.family_id])?;
            }
            Ok(())
        })
        .await
}

enum Rotation {
    Rotated {
        user: Box<User>,
        refresh_token: String,
        family: uuid::Uuid,
        rotated_at: DateTime<Utc>,
    },
    /// Committed: the family is revoked. The caller answers 401.
    Reused,
    Invalid,
}

fn rotate(conn: &mut PgConnection, keys: &TokenKeys, presented: &str, client: &ClientInfo) -> Result<Rotation, Error> {
    let hash = auth::hash_token(presented);
    let Some(found) = RefreshToken::find_by_hash(conn, &hash)? else {
        return Ok(Rotation::Invalid);
    };
    // The user's row before the token's, in the order every revocation takes them.
    User::lock(conn, found.user_id)?;
    let Some(old) = RefreshToken::find_for_update(conn, &hash)? else {
        return Ok(Rotation::Invalid);
    };
    if old.replaced_by.is_some() {
        return replayed(conn, keys, presented, &old);
    }
    if !old.is_active(Utc::now()) {
        return Ok(Rotation::Invalid);
    }
    let user = User::find(conn, old.user_id)?;
    if user.suspended_at.is_some() {
        RefreshToken::revoke_family(conn, old.family_id)?;
        return Ok(Rotation::Invalid);
    }
    let token = keys.successor(presented);
    let new = RefreshToken::insert(conn, &new_token(old.user_id, old.family_id, &auth::hash_token(&token), client))?;
    let rotated_at = RefreshToken::mark_replaced(conn, old.id, new.id)?;
    Ok(Rotation::Rotated { user: Box::new(user), refresh_token: token, family: old.family_id, rotated_at })
}

/// A spent token again: the same successor once within the grace window while that successor
/// is still the session's live token; otherwise it was copied and the family is revoked.
fn replayed(conn: &mut PgConnection, keys: &TokenKeys, presented: &str, old: &RefreshToken) -> Result<Rotation, Error> {
    let forgiven = match (old.revoked_at, old.replay_answered_at, old.replaced_by) {
        (Some(rotated_at), None, Some(successor_id))
            if Utc::now() - rotated_at <= Duration::seconds(REPLAY_GRACE_SECS) =>
        {
            let token = keys.successor(presented);
            RefreshToken::find(conn, successor_id)?
                .filter(|s| s.is_active(Utc::now()) && s.token_hash == auth::hash_token(&token))
                .map(|_| (token, rotated_at))
        }
        _ => None,
    };
    let Some((refresh_token, rotated_at)) = forgiven else {
        RefreshToken::revoke_family(conn, old.family_id)?;
        return Ok(Rotation::Reused);
    };
    RefreshToken::mark_replay_answered(conn, old.id)?;
    let user = User::find(conn, old.user_id)?;
    tracing::info!(user_id = user.id.0, "refresh token replayed within the grace window: same pair again");
    Ok(Rotation::Rotated { user: Box::new(user), refresh_token, family: old.family_id, rotated_at })
}

/// A new session (family); returns the opaque refresh token and the family.
fn start_session(conn: &mut PgConnection, user_id: UserId, client: &ClientInfo) -> Result<(String, uuid::Uuid), Error> {
    let token = auth::new_opaque_token();
    let hash = auth::hash_token(&token);
    let family = uuid::Uuid::new_v4();
    RefreshToken::insert(conn, &new_token(user_id, family, &hash, client))?;
    tracing::debug!(user_id = user_id.0, session = %family, "session started");
    Ok((token, family))
}

fn new_token<'a>(
    user_id: UserId,
    family_id: uuid::Uuid,
    token_hash: &'a str,
    client: &'a ClientInfo,
) -> NewRefreshToken<'a> {
    NewRefreshToken {
        user_id,
        family_id,
        token_hash,
        expires_at: Utc::now() + Duration::days(REFRESH_TTL_DAYS),
        user_agent: client.user_agent.as_deref(),
        ip: Some(client.ip.as_str()),
    }
}

fn tokens(state: &AppState, user: &User, refresh_token: String, family: uuid::Uuid) -> TokensDto {
    let session = SessionRef { version: user.token_version, id: Some(family) };
    let access_token = state.keys.issue_for(user.id, AUD_API, ACCESS_TTL_SECS, session);
    tokens_dto(user, access_token, refresh_token)
}

/// The pair of a rotation: the access token is issued at the rotation's time with an id derived
/// from the refresh token, so a forgiven replay repeats it byte for byte.
fn tokens_of_rotation(
    state: &AppState,
    user: &User,
    refresh_token: String,
    family: uuid::Uuid,
    rotated_at: DateTime<Utc>,
) -> TokensDto {
    let session = SessionRef { version: user.token_version, id: Some(family) };
    let jti = auth::derived_id(&refresh_token);
    let access_token = state.keys.issue_at(user.id, AUD_API, ACCESS_TTL_SECS, session, rotated_at.timestamp(), jti);
    tokens_dto(user, access_token, refresh_token)
}

fn tokens_dto(user: &User, access_token: String, refresh_token: String) -> TokensDto {
    TokensDto {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TTL_SECS,
        user: user.into(),
    }
}

async fn hash_password(password: Password) -> Result<String, Error> {
    shared::telemetry::spawn_blocking(move || auth::hash_password(password.as_str()))
        .await
        .map_err(|e| Error::internal(anyhow::anyhow!("hash task: {e}")))?
        .map_err(Error::internal)
}
