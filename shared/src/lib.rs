//! Everything the chat servers share: configuration, telemetry, the error type, the database
//! (schema, pool, models), the event type and routing keys, the broker topology, the Memcached
//! client, rate limits and auth tokens. See ARCHITECTURE.md for the map.

pub mod admission;
pub mod api;
pub mod auth;
pub mod broker;
pub mod cache;
pub mod config;
pub mod db;
pub mod enums;
pub mod error;
pub mod error_code;
pub mod events;
pub mod ids;
pub mod invite_links;
pub mod jwt_secret;
pub mod metrics;
pub mod models;
pub mod num;
pub mod presence;
pub mod ratelimit;
pub mod readiness;
pub mod telemetry;
pub mod token_gate;
pub mod totp;
#[cfg(feature = "http")]
pub mod web;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, Result};
