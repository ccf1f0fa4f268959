//! The rate limits of the API, applied by handlers through [`check`] (per user or account) and
//! [`check_address`] (per client address).

use std::net::IpAddr;

use shared::ratelimit::Limit;
use shared::Error;

use crate::state::AppState;

/// Logins, registrations and second-factor steps per client address.
pub fn auth(state: &AppState) -> Limit {
    Limit { name: "auth", max: state.settings.auth_rate_limit_per_min, window_secs: 60 }
}

/// Failed logins per account name, from any address: a guess spread over many addresses is
/// bounded, and the owner is locked out for one window at most.
pub fn login_failures(state: &AppState) -> Limit {
    Limit { name: "login_failures", max: state.settings.login_failures_per_account, window_secs: 15 * 60 }
}

/// Second-factor attempts per account (logging in, turning it off).
pub fn second_factor(state: &AppState) -> Limit {
    Limit { name: "second_factor", max: state.settings.second_factor_attempts_per_account, window_secs: 5 * 60 }
}

/// OpenID Connect starts and completions per client IP: each start stores a flow, so it is
/// limited, but more loosely than password attempts (a provider sign-in guesses nothing).
pub fn oidc(state: &AppState) -> Limit {
    Limit { name: "oidc", max: state.settings.auth_rate_limit_per_min.saturating_mul(3).max(30), window_secs: 60 }
}

/// WebSocket tickets per user: a reconnecting client needs a few a minute, never hundreds.
pub fn ws_ticket(state: &AppState) -> Limit {
    Limit { name: "ws_ticket", max: state.settings.ws_tickets_per_min, window_secs: 60 }
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
    match shared::telemetry::spawn_blocking(move || limiter.hit(limit, &subject)).await {
        Ok(Err(retry_after)) => Err(Error::rate_limited(retry_after)),
        _ => Ok(()),
    }
}

/// [`check`] for a client address: an IPv6 address counts as its /64.
pub async fn check_address(state: &AppState, limit: Limit, ip: &str) -> Result<(), Error> {
    check(state, limit, address_subject(ip)).await
}

/// 429 when the subject has used up `limit`, without counting this request (limits on failures:
/// [`record`] counts one).
pub async fn ensure_left(state: &AppState, limit: Limit, subject: String) -> Result<(), Error> {
    let limiter = state.limiter.clone();
    match shared::telemetry::spawn_blocking(move || limiter.peek(limit, &subject)).await {
        Ok(Err(retry_after)) => Err(Error::rate_limited(retry_after)),
        _ => Ok(()),
    }
}

/// Counts one hit (a failure) without refusing anything.
pub async fn record(state: &AppState, limit: Limit, subject: String) {
    let limiter = state.limiter.clone();
    let _ = shared::telemetry::spawn_blocking(move || limiter.hit(limit, &subject)).await;
}

/// What the account's failed password checks are counted under: its name, lower-cased and
/// hashed (any text makes one valid Memcached key, and no two names share one).
pub fn account_subject(username: &str) -> String {
    format!("acct:{}", shared::auth::hash_token(&username.to_lowercase()))
}

/// What a per-address limit counts: the address, or for IPv6 its /64 prefix (one subscriber's
/// network: an attacker owns all 2^64 addresses of it, so per address would bound nothing).
/// IPv4-mapped IPv6 addresses count as their IPv4 address.
pub fn address_subject(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_prefix() {
        assert_eq!(address_subject("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(address_subject("2001:0db8:0001:0002:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_ne!(address_subject("2001:db8:1:3::1"), address_subject("2001:db8:1:2::1"));
        assert_eq!(address_subject("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_subject("192.0.2.7"), "192.0.2.7");
        assert_eq!(address_subject("unknown"), "unknown");
    }
}
