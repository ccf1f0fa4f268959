//! Linked sign-in providers (Settings > Sign-in methods): list them, link one to the signed-in
//! account (a flow of `domain::oidc` started with the user's id: its callback links instead of
//! signing in), unlink one, never the last way in: an account without a password keeps at
//! least one provider.

use diesel::{Connection, PgConnection};
use shared::api::LinkedIdentityDto;
use shared::error::ErrorCode;
use shared::ids::UserId;
use shared::models::oidc::Identity;
use shared::models::user::User;
use shared::Error;

use crate::oidc_client::IdClaims;
use crate::state::AppState;

/// My linked providers, oldest first, with the labels configured now.
pub fn list(conn: &mut PgConnection, state: &AppState, user: UserId) -> Result<Vec<LinkedIdentityDto>, Error> {
    let identities = Identity::for_user(conn, user)?;
    Ok(identities
        .into_iter()
        .map(|i| {
            let label = state.settings.oidc_providers.iter().find(|p| p.name == i.provider).map(|p| p.label.clone());
            LinkedIdentityDto {
                label: label.unwrap_or_else(|| i.provider.clone()),
                provider: i.provider,
                email: i.email,
                linked_at: i.created_at,
            }
        })
        .collect())
}

/// The callback of a link flow: the provider's identity becomes a way into `user`'s account.
/// Already mine: nothing to do; another account's: 409 `identity_in_use`.
pub fn link(conn: &mut PgConnection, user: UserId, provider: &str, claims: &IdClaims) -> Result<(), Error> {
    conn.transaction(|conn| {
        if let Some(existing) = Identity::find(conn, provider, &claims.sub)? {
            return if existing.user_id == user { Ok(()) } else { Err(in_use()) };
        }
        let email = claims.email.as_deref().map(str::trim).filter(|e| e.contains('@') && e.len() <= 254);
        if !Identity::link(conn, provider, &claims.sub, user, email)? {
            // Linked by a concurrent flow meanwhile: whose is it?
            let now = Identity::find(conn, provider, &claims.sub)?;
            if now.is_none_or(|i| i.user_id != user) {
                return Err(in_use());
            }
        }
        tracing::info!(user_id = user.0, provider, "OpenID identity linked from the settings");
        Ok(())
    })
}

/// Removes `provider` from my sign-in methods: 404 `identity_not_found` when it is not linked,
/// 409 `last_sign_in_method` when it is the last way in (no password, no other provider).
pub fn unlink(conn: &mut PgConnection, user: UserId, provider: &str) -> Result<(), Error> {
    conn.transaction(|conn| {
        // Locked: two unlinks of different providers at once cannot both take the last but one.
        let account = User::find_for_update(conn, user)?;
        let identities = Identity::for_user(conn, user)?;
        if !identities.iter().any(|i| i.provider == provider) {
            return Err(Error::not_found(ErrorCode::IdentityNotFound, "this provider is not linked to your account"));
        }
        let others = identities.iter().filter(|i| i.provider != provider).count();
        if others == 0 && !shared::auth::has_password(&account.password_hash) {
            return Err(Error::conflict(
                ErrorCode::LastSignInMethod,
                "this is your only way to sign in: set a password or link another provider first",
            ));
        }
        Identity::unlink(conn, user, provider)?;
        tracing::info!(user_id = user.0, provider, "OpenID identity unlinked");
        Ok(())
    })
}

fn in_use() -> Error {
    Error::conflict(ErrorCode::IdentityInUse, "this account of the provider is linked to another user")
}
