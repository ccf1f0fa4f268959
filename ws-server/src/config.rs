//! ws-server's own limits and timings. Defaults follow the design; a few can be set from the
//! environment (mainly so tests can shorten the presence TTL of real processes).

use std::time::Duration;

use shared::config::ConfigError;

#[derive(Debug, Clone)]
pub struct Tuning {
    /// Frames queued for one socket; a client that lets it fill up is closed with 4008.
    pub outbound_queue: usize,
    /// Largest text frame (and aggregated message) a client may send; more closes with 1009.
    pub max_frame_bytes: usize,
    /// Unacked deliveries the broker may push to this node (basic.qos).
    pub prefetch: u16,
    /// Events the node queue holds at most (`x-max-length`); beyond, the oldest are dropped
    /// and every socket of the node is told to resync.
    pub queue_max_length: u32,
    /// How long a node vouches for a connected user in Memcached (refreshed every third).
    pub presence_ttl: Duration,
    /// How often watched users are re-read, to notice entries of crashed nodes running out.
    pub presence_sweep: Duration,
    /// A user's last socket on this node must stay closed this long before the node withdraws
    /// (a page reload does not flap offline/online).
    pub offline_grace: Duration,
    /// Ids one `presence.subscribe` may follow.
    pub max_presence_ids: usize,
    /// Typing events one connection may send per second (excess dropped).
    pub typing_per_second: u32,
    /// How long a new connection may wait for its bindings before it is closed with 1013.
    pub bind_timeout: Duration,
    /// How long a close frame may take to leave before the socket is abandoned.
    pub close_timeout: Duration,
    /// Kernel send buffer of each socket (bytes; the kernel doubles it).
    pub socket_send_buffer: u32,
    /// How often every open socket's session is checked to still be live (a socket whose session
    /// ended while this node missed the `session.revoked` event is closed with 4001). At most an
    /// access token's lifetime, so a socket never outlives what its session could still do.
    pub session_check: Duration,
    /// Sockets one user may hold on this node; one more is refused with 429 `too_many_sockets`.
    pub max_sockets_per_user: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            outbound_queue: 256,
            max_frame_bytes: 32 * 1024,
            prefetch: 500,
            queue_max_length: 20_000,
            presence_ttl: Duration::from_millis(shared::presence::DEFAULT_TTL_MS as u64),
            presence_sweep: Duration::from_secs(2),
            offline_grace: Duration::from_secs(2),
            max_presence_ids: 500,
            typing_per_second: 5,
            bind_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(10),
            socket_send_buffer: 128 * 1024,
            session_check: Duration::from_secs(shared::auth::ACCESS_TTL_SECS as u64),
            max_sockets_per_user: 20,
        }
    }
}

impl Tuning {
    /// `WS_OUTBOUND_QUEUE`, `WS_MAX_FRAME_BYTES`, `WS_SOCKET_SEND_BUFFER`, `WS_QUEUE_MAX_LENGTH`,
    /// `PRESENCE_TTL_MS`, `PRESENCE_SWEEP_MS`, `WS_SESSION_CHECK_MS`, `WS_MAX_SOCKETS_PER_USER`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = Self::default();
        let ms = shared::num::millis;
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Ok(Self {
            outbound_queue: size(number(&lookup, "WS_OUTBOUND_QUEUE", d.outbound_queue as u64)?.max(1)),
            max_frame_bytes: size(number(&lookup, "WS_MAX_FRAME_BYTES", d.max_frame_bytes as u64)?.max(1024)),
            queue_max_length: number(&lookup, "WS_QUEUE_MAX_LENGTH", u64::from(d.queue_max_length))?
                .clamp(100, u64::from(u32::MAX))
                .try_into()
                .unwrap_or(u32::MAX),
            presence_ttl: Duration::from_millis(number(&lookup, "PRESENCE_TTL_MS", ms(d.presence_ttl))?.max(1000)),
            presence_sweep: Duration::from_millis(number(&lookup, "PRESENCE_SWEEP_MS", ms(d.presence_sweep))?.max(100)),
            socket_send_buffer: number(&lookup, "WS_SOCKET_SEND_BUFFER", u64::from(d.socket_send_buffer))?
                .clamp(4096, 16 << 20)
                .try_into()
                .unwrap_or(16 << 20),
            // Never longer than an access token lives (the point of the check), never a busy loop.
            session_check: Duration::from_millis(
                number(&lookup, "WS_SESSION_CHECK_MS", ms(d.session_check))?.clamp(100, ms(d.session_check)),
            ),
            max_sockets_per_user: size(
                number(&lookup, "WS_MAX_SOCKETS_PER_USER", d.max_sockets_per_user as u64)?.max(1),
            ),
            ..d
        })
    }

    /// Entries are rewritten three times per TTL, so one missed round never expires a user.
    pub fn presence_refresh(&self) -> Duration {
        self.presence_ttl / 3
    }
}

fn number(lookup: &impl Fn(&str) -> Option<String>, var: &'static str, default: u64) -> Result<u64, ConfigError> {
    match lookup(var).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ConfigError { var, message: format!("'{raw}' is not valid (expected a number)") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let t = Tuning::from_lookup(|_| None).expect("defaults");
        assert_eq!(t.outbound_queue, 256);
        assert_eq!(t.presence_refresh(), Duration::from_secs(10));
        let t = Tuning::from_lookup(|k| (k == "PRESENCE_TTL_MS").then(|| "3000".into())).expect("valid");
        assert_eq!(t.presence_ttl, Duration::from_secs(3));
        let t = Tuning::from_lookup(|k| (k == "WS_QUEUE_MAX_LENGTH").then(|| "5".into())).expect("valid");
        assert_eq!((Tuning::default().queue_max_length, t.queue_max_length), (20_000, 100), "at least 100");
        let err = Tuning::from_lookup(|k| (k == "WS_OUTBOUND_QUEUE").then(|| "many".into())).expect_err("invalid");
        assert_eq!(err.var, "WS_OUTBOUND_QUEUE");
        assert_eq!(t.session_check, Duration::from_secs(15 * 60), "an access token's lifetime");
        let t = Tuning::from_lookup(|k| (k == "WS_SESSION_CHECK_MS").then(|| "3600000".into())).expect("valid");
        assert_eq!(t.session_check, Duration::from_secs(15 * 60), "never longer");
    }

    /// docs/configuration.md lists exactly what `Tuning` reads, in its ws-server section.
    #[test]
    fn docs_list_every_variable() {
        use shared::testing::docs::{configuration_doc, documented_variables, variables_read};
        let read = variables_read(&[], |get| drop(Tuning::from_lookup(get)));
        let documented = documented_variables(&configuration_doc(), "ws-server only");
        assert_eq!(read, documented, "docs/configuration.md (ws-server only) against ws-server/src/config.rs");
    }
}
