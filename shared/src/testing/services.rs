//! Where the test services are: `TEST_*` variables, else the local defaults, else containers
//! started with the Docker CLI when a Docker engine answers, else a clear failure.

use std::net::{TcpStream, ToSocketAddrs};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

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
            &["-e", "POSTGRES_HOST_AUTH_METHOD=trust", "postgres:16-alpine"],
            5432,
            |port| format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        ),
        amqp_url: resolve(
            "TEST_AMQP_URL",
            "amqp://guest:guest@127.0.0.1:5672/%2f",
            "RabbitMQ",
            &["rabbitmq:3-alpine"],
            5672,
            |port| format!("amqp://guest:guest@127.0.0.1:{port}/%2f"),
        ),
        memcached_url: resolve(
            "TEST_MEMCACHED_URL",
            "memcache://127.0.0.1:11211",
            "Memcached",
            &["memcached:1.6-alpine"],
            11211,
            |port| format!("memcache://127.0.0.1:{port}"),
        ),
    })
}

fn resolve(
    var: &str,
    default: &str,
    name: &str,
    image_args: &[&str],
    container_port: u16,
    url_for: impl Fn(u16) -> String,
) -> String {
    if let Ok(url) = std::env::var(var) {
        if !url.is_empty() {
            return url;
        }
    }
    if reachable(default) {
        return default.to_owned();
    }
    if let Some(port) = start_container(image_args, container_port) {
        let url = url_for(port);
        for _ in 0..120 {
            if reachable(&url) {
                // Brokers accept TCP a little before they accept clients.
                std::thread::sleep(Duration::from_secs(2));
                return url;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    panic!(
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

/// `docker run -d -P` (removed when the engine stops it); returns the host port.
fn start_container(image_args: &[&str], container_port: u16) -> Option<u16> {
    let docker_ok = Command::new("docker").arg("info").output().is_ok_and(|o| o.status.success());
    if !docker_ok {
        return None;
    }
    let out = Command::new("docker")
        .args(["run", "-d", "--rm", "-p", &format!("127.0.0.1::{container_port}")])
        .args(image_args)
        .output()
        .ok()?;
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let port = Command::new("docker").args(["port", &id, &container_port.to_string()]).output().ok()?;
    String::from_utf8_lossy(&port.stdout).lines().next()?.rsplit(':').next()?.trim().parse().ok()
}
