//! ws-server: the WebSocket edge. One exclusive queue per node on the `chat.events` exchange,
//! bindings for the users connected here, presence in Memcached.
//!
//! Map, top down; a file uses only files below it, never one that uses it back
//! (`tests/ws/layering.rs` checks it):
//! - `startup` wires everything; `shutdown` closes every socket with 1012 on SIGTERM.
//! - `routes/` (`ws`: upgrade checks; `health`) -> `session` (one socket) -> `typing`, which
//!   reach the node through `state`; `ticket` checks a ticket and its session.
//! - `consumer` (the node queues of `queue`, reconnects, re-binds) -> `reload` (after a
//!   reconnect) and `route` (one event -> sessions) -> `revalidate` (closes sockets whose
//!   session ended unannounced) and `presence`, which publishes through `publisher` (a
//!   connection of its own), as `typing` does.
//! - `membership` (PostgreSQL, through `shared::models`) -> `hub` (routing keys -> sessions,
//!   bindings, membership cache) -> `close` (close codes, the first reason wins).

pub mod close;
pub mod config;
pub mod consumer;
pub mod hub;
pub mod membership;
pub mod presence;
pub mod publisher;
pub mod queue;
pub mod reload;
pub mod revalidate;
pub mod route;
pub mod routes;
pub mod session;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod ticket;
pub mod typing;
