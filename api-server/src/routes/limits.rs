//! The rate limits of the API, applied by handlers through [`check`].

use shared::ratelimit::Limit;
use shared::Error;

use crate::state::AppState;

pub fn auth(state: &AppState) -> Limit {
    Limit { name: "auth", max: state.settings.auth_rate_limit_per_min, window_secs: 60 }
}

/// OpenID Connect starts and completions per client IP: each start stores a flow, so it is
/// limited, but more loosely than password attempts (a provider sign-in guesses nothing).
pub fn oidc(state: &AppState) -> Limit {
    Limit { name: "oidc", max: state.settings.auth_rate_limit_per_min.saturating_mul(3).max(30), window_secs: 60 }
}

pub fn send(state: &AppState) -> Limit {
    Limit { name: "send", max: state.settings.send_rate_limit_per_min, window_secs: 60 }
}

pub fn search(state: &AppState) -> Limit {
    Limit { name: "search", max: state.settings.search_rate_limit_per_min, window_secs: 60 }
}

/// Blocks, unblocks and privacy changes per user, together.
pub fn privacy(state: &AppState) -> Limit {
    Limit { name: "privacy", max: state.settings.privacy_rate_limit_per_min, window_secs: 60 }
}

/// Uploads per user (each is decoded and stored: far dearer than a message).
pub fn upload() -> Limit {
    Limit { name: "upload", max: 60, window_secs: 60 }
}

/// Counts one hit; 429 with Retry-After when over. Memcached trouble never blocks a request.
pub async fn check(state: &AppState, limit: Limit, subject: String) -> Result<(), Error> {
    let limiter = state.limiter.clone();
    match tokio::task::spawn_blocking(move || limiter.hit(limit, &subject)).await {
        Ok(Err(retry_after)) => Err(Error::rate_limited(retry_after)),
        _ => Ok(()),
    }
}
