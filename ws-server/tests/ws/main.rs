//! ws-server integration tests against the real PostgreSQL, RabbitMQ and Memcached: in-process
//! nodes for speed, real processes for signals and crashes.
#![expect(clippy::expect_used, reason = "test helpers fail the test loudly on a broken setup")]

mod broker;
mod delivery;
mod flood;
mod helpers;
mod layering;
mod ops;
mod ordering;
mod presence;
mod privacy;
mod process;
mod resilience;
mod sessions;
mod tickets;
mod typing;
mod upgrade;
