//! Flood control. Sending the same text over and over (near-identical counts: case, spacing,
//! punctuation and digits are ignored) or opening many new direct chats puts a temporary send
//! limit on the account and records it for the administrators.
//!
//! The counters live in Memcached (shared by every replica; while it is unreachable nothing is
//! counted, so nobody is limited by mistake); the limit itself is a column, checked in the
//! send transaction.

use chrono::{Duration, Utc};
use diesel::PgConnection;
use sha2::{Digest, Sha256};
use shared::cache::Cache;
use shared::config::Settings;
use shared::db::PgPool;
use shared::enums::AbuseFlagKind;
use shared::error::ErrorCode;
use shared::error::Kind;
use shared::ids::UserId;
use shared::models::abuse::AbuseFlag;
use shared::models::user::User;
use shared::Error;

/// How long a tripped limit lasts.
pub const LIMIT_MINUTES: i64 = 15;
/// Repeats are counted over this window.
const REPEAT_WINDOW_SECS: u32 = 600;
const NEW_CHAT_WINDOW_SECS: u32 = 3600;
/// Shorter texts ("ok", "lol") are repeated innocently and are not counted.
const REPEAT_MIN_CHARS: usize = 10;

/// 429 `send_limited` (with Retry-After) while the account is under a send limit.
pub fn check(conn: &mut PgConnection, me: UserId) -> Result<(), Error> {
    match User::send_limit(conn, me)? {
        Some(until) => Err(Error {
            retry_after: Some(shared::num::non_negative((until - Utc::now()).num_seconds().max(1))),
            ..Error::new(
                Kind::RateLimited,
                ErrorCode::SendLimited,
                "sending is paused for this account: too many repeated messages or new chats",
            )
        }),
        None => Ok(()),
    }
}

/// What counts as "the same text": letters and digits only, lower case, each run of digits
/// folded to one, no spacing or punctuation. `None` for short texts.
pub fn fingerprint(body: &str) -> Option<String> {
    let mut folded = String::new();
    for c in body.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase) {
        // A run of digits is one '0': "shop 7" and "shop 27" are the same text.
        if !(c.is_numeric() && folded.ends_with('0')) {
            folded.push(if c.is_numeric() { '0' } else { c });
        }
    }
    (folded.chars().count() >= REPEAT_MIN_CHARS).then(|| {
        let digest = Sha256::digest(folded.as_bytes());
        digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
    })
}

/// Counts a sent text by its [`fingerprint`]; trips the limit on too many repeats. Blocking
/// (Memcached; PostgreSQL only when tripping).
pub fn after_send(cache: &Cache, pool: &PgPool, settings: &Settings, me: UserId, fp: &str) -> Result<(), Error> {
    let Ok(count) = cache.incr(&format!("flood:repeat:{me}:{fp}"), 1, REPEAT_WINDOW_SECS) else { return Ok(()) };
    if count > settings.flood_repeat_max {
        let detail = format!("the same text {count} times in 10 minutes");
        trip(&mut *pool.get()?, me, AbuseFlagKind::RepeatedMessages, &detail)?;
    }
    Ok(())
}

/// Counts a newly opened direct chat; trips the limit on too many in an hour.
pub fn after_new_chat(cache: &Cache, pool: &PgPool, settings: &Settings, me: UserId) -> Result<(), Error> {
    let Ok(count) = cache.incr(&format!("flood:chats:{me}"), 1, NEW_CHAT_WINDOW_SECS) else { return Ok(()) };
    if count > settings.flood_new_chats_per_hour {
        trip(&mut *pool.get()?, me, AbuseFlagKind::NewChats, &format!("{count} new direct chats in an hour"))?;
    }
    Ok(())
}

/// Starts a limit (one record per limit, not per refused message).
fn trip(conn: &mut PgConnection, me: UserId, kind: AbuseFlagKind, detail: &str) -> Result<(), Error> {
    let until = Utc::now() + Duration::minutes(LIMIT_MINUTES);
    if User::limit_sends(conn, me, until)? {
        AbuseFlag::record(conn, me, kind, detail, until)?;
        tracing::warn!(user_id = me.0, kind = kind.as_str(), detail, "flood control: sending paused");
    }
    Ok(())
}

/// Runs a counting step off the async threads; its failure is logged, never the request's.
pub async fn observe<F>(f: F)
where
    F: FnOnce() -> Result<(), Error> + Send + 'static,
{
    match shared::telemetry::spawn_blocking(f).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "flood control could not count"),
        Err(e) => tracing::warn!(error = %e, "flood control task failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_identical_texts_share_a_fingerprint() {
        let a = fingerprint("Buy cheap watches at shop 1!").expect("long enough");
        assert_eq!(fingerprint("buy CHEAP watches at shop 27").as_deref(), Some(a.as_str()));
        assert_eq!(fingerprint("  buy-cheap-watches atshop 3 ").as_deref(), Some(a.as_str()));
        assert_ne!(fingerprint("buy cheap clocks at shop 1").as_deref(), Some(a.as_str()));
        assert_eq!(fingerprint("ok!!"), None);
        assert_eq!(fingerprint("👍👍👍👍👍👍👍👍👍👍👍"), None, "emoji alone are not counted");
    }
}
