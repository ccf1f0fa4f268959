//! Where the test services are: `TEST_*` variables, else the local defaults, else containers
//! ([`containers`](super::containers): testcontainers, reused across test processes) when a
//! Docker engine answers, else a clear failure. Resolved once per process.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::OnceLock;
use std::time::Duration;

use super::containers::{self, Service};

#[derive(Debug, Clone)]
pub struct Services {
    /// URL of a database the tests may create and drop databases from.
    pub database_admin_url: String,
    pub amqp_url: String,
    pub memcached_url: String,
}

pub fn services() -> &'static Services {
    static SERVICES: OnceLock<Services> = OnceLock::new();
    SERVICES.get_or_init(|| Services {
        database_admin_url: resolve(
            "TEST_DATABASE_URL",
            // Plain TCP on loopback: libpq over TLS has crashed test processes at exit.
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&gssencmode=disable",
            "PostgreSQL",
            Service::Postgres,
            |port| format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        ),
        amqp_url: resolve(
            "TEST_AMQP_URL",
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            "RabbitMQ",
            Service::RabbitMq,
            |port| format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
        ),
        memcached_url: resolve(
            "TEST_MEMCACHED_URL",
            "memcache://127.0.0.1:11211",
            "Memcached",
            Service::Memcached,
            |port| format!("memcache://127.0.0.1:{port}"),
        ),
    })
}

fn resolve(var: &str, default: &str, name: &str, service: Service, url_for: impl Fn(u16) -> String) -> String {
    if let Ok(url) = std::env::var(var) {
        if !url.is_empty() {
            return url;
        }
    }
    if reachable(default) {
        return default.to_owned();
    }
    if let Some(port) = containers::start(service) {
        let url = url_for(port);
        // A reused container may have been created a moment ago by another test process.
        for _ in 0..120 {
            if reachable(&url) {
                // Brokers accept TCP a little before they accept clients.
                std::thread::sleep(Duration::from_secs(2));
                return url;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    panic!("{}", unreachable_message(name, default, var))
}

fn unreachable_message(name: &str, default: &str, var: &str) -> String {
    format!(
        "{name} is not reachable at {default} and no Docker engine is available: \
         run `deploy/local/services.sh` (or `make services`), or set {var}."
    )
}

fn reachable(url: &str) -> bool {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hostport = rest.rsplit('@').next().unwrap_or(rest).split(['/', '?']).next().unwrap_or("");
    hostport
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok())
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// The path of a machine without the services and without Docker (this one has no Docker
    /// engine; elsewhere DOCKER_HOST points at nothing): the clear message, and fast.
    #[test]
    fn without_services_or_docker_the_failure_says_how_to_start_them() {
        std::env::set_var("DOCKER_HOST", "unix:///nonexistent/docker.sock");
        let started = Instant::now();
        let panic = std::panic::catch_unwind(|| {
            resolve("TEST_NOT_SET_ANYWHERE_URL", "memcache://127.0.0.1:1", "Memcached", Service::Memcached, |p| {
                format!("memcache://127.0.0.1:{p}")
            })
        })
        .expect_err("nothing to connect to");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(message, unreachable_message("Memcached", "memcache://127.0.0.1:1", "TEST_NOT_SET_ANYWHERE_URL"));
        assert!(message.contains("deploy/local/services.sh"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    }

    #[test]
    fn a_test_variable_wins_without_any_connection() {
        std::env::set_var("TEST_CONTAINERS_CHECK_URL", "memcache://example.invalid:1");
        let url =
            resolve("TEST_CONTAINERS_CHECK_URL", "memcache://127.0.0.1:1", "Memcached", Service::Memcached, |_| {
                unreachable!("no container when the variable is set")
            });
        assert_eq!(url, "memcache://example.invalid:1");
    }
}
