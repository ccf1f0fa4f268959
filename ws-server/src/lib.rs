//! ws-server: the WebSocket edge. One exclusive queue per node on the `chat.events` exchange,
//! bindings for the users connected here, presence in Memcached.
//!
//! Map: `routes/ws` (upgrade checks) -> `session` (one socket) <-> `hub` (routing keys ->
//! sessions, bindings, membership cache) <- `route` (one event -> sessions) <- `consumer` (the
//! node queues of `queue`, reconnects, re-binds, `reload` after a reconnect); `presence` and
//! `typing` publish ephemeral events through `publisher` (a connection of its own);
//! `membership` asks PostgreSQL (the SQL is in `shared::models`); `ticket` checks a ticket and
//! its session; `revalidate` closes sockets whose session ended unannounced; `shutdown` closes
//! every socket with 1012 on SIGTERM.

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
