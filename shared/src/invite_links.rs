//! Invite-link tokens that admins can copy again later, without the database holding them.
//!
//! `token = base64url(HMAC-SHA256(key, seed))` with `key = HMAC-SHA256(JWT_SECRET, LABEL)` (a key
//! of its own, not the JWT signing key). An `invites` row keeps the random seed and SHA-256 of
//! the token, which is what accepting looks up: a copy of the database alone yields no usable
//! link. Listing recomputes each token from its seed and shows it only when its hash matches
//! the stored one, so after a `JWT_SECRET` rotation older links still work but are not shown.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::auth::{hash_token, new_opaque_token};

const LABEL: &[u8] = b"chat invite links v1";

#[derive(Clone)]
pub struct InviteLinks {
    key: Vec<u8>,
}

/// A new link: what to store (`seed`, `token_hash`) and what to show (`token`).
pub struct Issued {
    pub seed: String,
    pub token: String,
    pub token_hash: String,
}

impl InviteLinks {
    pub fn new(jwt_secret: &SecretString) -> Self {
        Self { key: mac(jwt_secret.expose_secret().as_bytes(), LABEL) }
    }

    pub fn issue(&self) -> Issued {
        let seed = new_opaque_token();
        let token = self.token(&seed);
        Issued { token_hash: hash_token(&token), seed, token }
    }

    /// The token of a stored link, when this key made it (`None` for links made before seeds
    /// existed or under another `JWT_SECRET`).
    pub fn recover(&self, seed: Option<&str>, token_hash: &str) -> Option<String> {
        let token = self.token(seed?);
        (hash_token(&token) == token_hash).then_some(token)
    }

    fn token(&self, seed: &str) -> String {
        URL_SAFE_NO_PAD.encode(mac(&self.key, seed.as_bytes()))
    }
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key"));
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_recovered_from_its_seed_only_under_the_same_secret() {
        let links = InviteLinks::new(&SecretString::from("k".repeat(40)));
        let issued = links.issue();
        assert_eq!(issued.token.len(), 43);
        assert_ne!(issued.token, issued.seed);
        assert_eq!(links.recover(Some(&issued.seed), &issued.token_hash), Some(issued.token.clone()));
        assert_eq!(links.recover(None, &issued.token_hash), None);
        let rotated = InviteLinks::new(&SecretString::from("r".repeat(40)));
        assert_eq!(rotated.recover(Some(&issued.seed), &issued.token_hash), None);
    }
}
