//! `MEMCACHED_URL`: one server or several, comma-separated
//! (`memcache://a:11211,memcache://b:11211?timeout=0.2`; after the first, `host:port` alone is
//! enough). `?timeout=<seconds>` (default 0.5: the cache must never stall a request for long)
//! applies to the server it follows.

use std::time::Duration;

/// One Memcached server.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// host:port
    pub addr: String,
    /// Connect, read and write timeout.
    pub timeout: Duration,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// The servers of a `MEMCACHED_URL`, in order. Empty items are ignored.
pub fn parse(url: &str) -> Vec<Server> {
    url.split(',').map(str::trim).filter(|item| !item.is_empty()).map(server).collect()
}

fn server(item: &str) -> Server {
    let rest = item.split_once("://").map_or(item, |(_, r)| r);
    let (addr, query) = rest.split_once('?').unwrap_or((rest, ""));
    let timeout = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("timeout="))
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t > 0.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64);
    Server { addr: addr.trim_end_matches('/').to_owned(), timeout }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_with_and_without_a_timeout() {
        assert_eq!(
            parse("memcache://127.0.0.1:11211"),
            [Server { addr: "127.0.0.1:11211".into(), timeout: DEFAULT_TIMEOUT }]
        );
        assert_eq!(parse("memcache://h:1/?timeout=0.2")[0].timeout, Duration::from_millis(200));
        assert_eq!(parse("memcache://h:1?timeout=nonsense")[0].timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn several_servers_comma_separated() {
        let servers = parse("memcache://a:11211, memcache://b:11212?timeout=1 ,c:11213,");
        let addrs: Vec<&str> = servers.iter().map(|s| s.addr.as_str()).collect();
        assert_eq!(addrs, ["a:11211", "b:11212", "c:11213"]);
        assert_eq!(servers[1].timeout, Duration::from_secs(1));
        assert_eq!(servers[2].timeout, DEFAULT_TIMEOUT);
    }
}
