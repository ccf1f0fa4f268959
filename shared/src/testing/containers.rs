//! Test services in containers (testcontainers), for a machine where they are not reachable
//! but a Docker engine answers. Used by [`services`](super::services) only after the `TEST_*`
//! variables and the local defaults: where those work, nothing here runs.
//!
//! Lifecycle: nextest runs every test in a process of its own, so containers per process would
//! cost a PostgreSQL and a RabbitMQ start (~5-20 s) per test. Each service is therefore one
//! container with a fixed name (`chat-test-postgres`, `chat-test-rabbitmq`,
//! `chat-test-memcached`) and testcontainers' reuse (`ReuseDirective::Always`): the first test
//! process creates it, every later process (and every later run) finds it by name and label
//! and uses it. It is not removed when the processes end (a process cannot know it is the last
//! one); remove them with `docker rm -f chat-test-postgres chat-test-rabbitmq chat-test-memcached`.
//! Tests stay isolated inside them as everywhere: a database, exchange and key prefix each.
//! Processes racing to create one: the loser's create fails on the name, it looks again.
//!
//! Without a Docker engine, `start` fails in about a millisecond and [`start`] returns `None`.

use std::time::Duration;

use testcontainers::core::error::ClientError;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt, ReuseDirective, TestcontainersError};
use testcontainers_modules::postgres::Postgres;

/// A service the tests need.
#[derive(Debug, Clone, Copy)]
pub enum Service {
    Postgres,
    RabbitMq,
    Memcached,
}

impl Service {
    fn container_name(self) -> &'static str {
        match self {
            Service::Postgres => "chat-test-postgres",
            Service::RabbitMq => "chat-test-rabbitmq",
            Service::Memcached => "chat-test-memcached",
        }
    }

    fn port(self) -> u16 {
        match self {
            Service::Postgres => 5432,
            Service::RabbitMq => 5672,
            Service::Memcached => 11211,
        }
    }
}

const LABEL: (&str, &str) = ("chat-cluster.test-service", "1");
/// Pulling an image on a slow network included.
const STARTUP: Duration = Duration::from_secs(300);

/// The host port of the service's container, started (or found running) now; `None` when no
/// Docker engine answers or the container cannot be started.
pub fn start(service: Service) -> Option<u16> {
    // `services()` is synchronous and may be called on an async test's runtime: a thread of
    // its own with its own runtime.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        rt.block_on(async {
            // A lost race on the fixed name fails the create: the next attempt finds the winner's.
            for _ in 0..3 {
                match host_port(service).await {
                    Ok(port) => return Some(port),
                    Err(e) if lost_the_name_race(&e) => tokio::time::sleep(Duration::from_secs(1)).await,
                    Err(e) => {
                        if !matches!(e, TestcontainersError::Client(ClientError::Init(_))) {
                            eprintln!("test services: {} container: {e}", service.container_name());
                        }
                        return None; // Init: no Docker engine (the usual case here): silent
                    }
                }
            }
            None
        })
    })
    .join()
    .ok()
    .flatten()
}

async fn host_port(service: Service) -> Result<u16, TestcontainersError> {
    let port = service.port().tcp();
    let name = service.container_name();
    // The container is kept (reuse): dropping these handles leaves it running.
    match service {
        Service::Postgres => {
            let image = Postgres::default().with_host_auth().with_tag("16-alpine");
            let c = reusable(image, name).start().await?;
            c.get_host_port_ipv4(port).await
        }
        Service::RabbitMq => {
            let image = GenericImage::new("rabbitmq", "3-alpine")
                .with_exposed_port(port)
                .with_wait_for(WaitFor::message_on_stdout("Server startup complete"));
            let c = reusable(image, name).start().await?;
            c.get_host_port_ipv4(port).await
        }
        Service::Memcached => {
            let image = GenericImage::new("memcached", "1.6-alpine").with_exposed_port(port);
            let c = reusable(image, name).start().await?;
            c.get_host_port_ipv4(port).await
        }
    }
}

fn reusable<I: testcontainers::Image>(image: impl ImageExt<I>, name: &str) -> testcontainers::ContainerRequest<I> {
    image
        .with_container_name(name)
        .with_label(LABEL.0, LABEL.1)
        .with_reuse(ReuseDirective::Always)
        .with_startup_timeout(STARTUP)
}

/// Another test process created the container with this name first (409 Conflict).
fn lost_the_name_race(e: &TestcontainersError) -> bool {
    matches!(e, TestcontainersError::Client(ClientError::CreateContainer(_))) && e.to_string().contains("409")
}
