//! Passwords (argon2id), access tokens and WebSocket tickets (HS256 JWTs), and opaque
//! refresh/invite tokens (random, stored as SHA-256).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::UserId;

pub const ISSUER: &str = "chat-api";
/// Audience of access tokens (REST).
pub const AUD_API: &str = "chat-api";
/// Audience of WebSocket tickets.
pub const AUD_WS: &str = "ws";
/// Audience of the token between a right password and the second factor.
pub const AUD_MFA: &str = "mfa";
pub const MFA_TTL_SECS: i64 = 5 * 60;
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
pub const WS_TICKET_TTL_SECS: i64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// Unique id (WebSocket tickets are single-use by it).
    pub jti: String,
    /// The user's token version at issue (access tokens): an older one is refused.
    #[serde(default)]
    pub ver: i32,
    /// The session (refresh-token family) the token was issued to (access tokens, tickets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<uuid::Uuid>,
}

/// What an access token or WebSocket ticket says about the session it belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionRef {
    /// The user's token version when issued.
    pub version: i32,
    /// The refresh-token family (a signed-in device).
    pub id: Option<uuid::Uuid>,
}

impl Claims {
    pub fn user_id(&self) -> Option<UserId> {
        self.sub.parse().ok()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid")]
    Invalid,
}

/// HS256 keys derived from `JWT_SECRET`, and the key refresh-token successors are derived with.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    successor: [u8; 32],
}

impl TokenKeys {
    pub fn new(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let successor = hmac_sha256(bytes, b"chat refresh-token successor key");
        Self { encoding: EncodingKey::from_secret(bytes), decoding: DecodingKey::from_secret(bytes), successor }
    }

    /// The refresh token that replaces `presented` when it is rotated: HMAC-SHA256 of it under a
    /// key derived from `JWT_SECRET`, not random. Only its hash is stored, like any refresh token;
    /// deriving it again is how a replay of `presented` within the grace window gets the same
    /// successor without a usable token ever being stored. As unguessable as a random token to
    /// anyone without the secret (who could forge access tokens anyway).
    pub fn successor(&self, presented: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac_sha256(&self.successor, presented.as_bytes()))
    }

    pub fn issue(&self, user_id: UserId, audience: &str, ttl_secs: i64) -> String {
        self.issue_for(user_id, audience, ttl_secs, SessionRef::default())
    }

    /// A token that also names its session and the user's token version.
    pub fn issue_for(&self, user_id: UserId, audience: &str, ttl_secs: i64, session: SessionRef) -> String {
        let now = chrono::Utc::now().timestamp();
        self.issue_at(user_id, audience, ttl_secs, session, now, uuid::Uuid::new_v4().to_string())
    }

    /// A token issued at `iat` with id `jti`: the same inputs give the same token, byte for byte.
    pub fn issue_at(
        &self,
        user_id: UserId,
        audience: &str,
        ttl_secs: i64,
        session: SessionRef,
        iat: i64,
        jti: String,
    ) -> String {
        let claims = Claims {
            sub: user_id.to_string(),
            iss: ISSUER.into(),
            aud: audience.into(),
            exp: iat + ttl_secs,
            iat,
            jti,
            ver: session.version,
            sid: session.id,
        };
        // HS256 with a non-empty key and plain claims cannot fail to encode.
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// Checks signature (HS256 only: `alg: none` and others are rejected), `exp`, `iss`, `aud`.
    pub fn verify(&self, token: &str, audience: &str) -> Result<Claims, TokenError> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = 5;
        match decode::<Claims>(token, &self.decoding, &v) {
            Ok(data) if data.claims.user_id().is_some() => Ok(data.claims),
            Ok(_) => Err(TokenError::Invalid),
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => Err(TokenError::Expired),
            Err(_) => Err(TokenError::Invalid),
        }
    }
}

/// argon2id PHC string. CPU-heavy: call off the async workers.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let hash: PasswordHash =
        Argon2::default().hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether the account has a password at all (one made by a provider sign-in has none: its
/// hash field holds a marker that is no PHC string).
pub fn has_password(phc: &str) -> bool {
    PasswordHash::new(phc).is_ok()
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash to compare against when the user does not exist, so a login for an unknown name
/// costs as much time as one with a wrong password.
pub fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

/// 32 random bytes, URL-safe base64 (43 chars).
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token id derived from an opaque token (under its own label, so it is not the stored hash).
pub fn derived_id(token: &str) -> String {
    let digest = Sha256::digest([b"token id\0".as_slice(), token.as_bytes()].concat());
    let bytes: [u8; 16] = digest[..16].try_into().unwrap_or_default();
    uuid::Uuid::from_bytes(bytes).to_string()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// How an opaque token is stored: hex SHA-256 (tokens are random, so no salt is needed).
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        TokenKeys::new(&SecretString::from(secret.to_owned()))
    }

    #[test]
    fn tokens_round_trip_and_check_audience() {
        let k = keys("a-secret-that-is-long-enough-for-tests-000");
        let t = k.issue(UserId(42), AUD_API, 60);
        assert_eq!(k.verify(&t, AUD_API).expect("valid").user_id(), Some(UserId(42)));
        assert_eq!(k.verify(&t, AUD_WS), Err(TokenError::Invalid), "wrong audience");
        assert_eq!(keys("another-secret-that-is-long-enough-0000").verify(&t, AUD_API), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_and_unsigned_tokens_are_rejected() {
        let k = keys("a-secret-that-is-long-enough-for-tests-000");
        let expired = k.issue(UserId(1), AUD_API, -60);
        assert_eq!(k.verify(&expired, AUD_API), Err(TokenError::Expired));
        // alg: none, with the same claims and no signature.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let valid = k.issue(UserId(1), AUD_API, 60);
        let payload = valid.split('.').nth(1).expect("payload");
        assert_eq!(k.verify(&format!("{header}.{payload}."), AUD_API), Err(TokenError::Invalid));
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a phc string"));
        assert!(has_password(&h));
        assert!(!has_password("!oidc-no-password"));
    }

    #[test]
    fn successors_are_derived_with_the_secret_and_look_like_random_tokens() {
        let k = keys("a-secret-that-is-long-enough-for-tests-000");
        let t = new_opaque_token();
        assert_eq!(k.successor(&t), k.successor(&t), "derived again: the same");
        assert_ne!(k.successor(&t), k.successor(&new_opaque_token()));
        assert_ne!(k.successor(&t), keys("another-secret-that-is-long-enough-0000").successor(&t));
        assert_eq!(k.successor(&t).len(), 43);
        assert_ne!(derived_id(&t), hash_token(&t));
        let same = |jti: &str| k.issue_at(UserId(1), AUD_API, 60, SessionRef::default(), 1_000, jti.into());
        assert_eq!(same(&derived_id(&t)), same(&derived_id(&t)));
    }

    #[test]
    fn opaque_tokens_are_random_and_hashed() {
        let a = new_opaque_token();
        assert_ne!(a, new_opaque_token());
        assert_eq!(hash_token(&a).len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
    }
}
