//! The node's registry: routing keys -> local sessions, the ref-counted bindings of the node
//! queue, the group-membership cache of the users connected here, presence watchers.
//!
//! Map: `registry` (the `Hub`, its lock and the maps behind it) and one file per concern,
//! each an `impl Hub` block with the `State` helpers and tests of that concern: `sessions`
//! (register, ready, leave, close), `fanout` (audiences -> queues), `watchers` (presence
//! followers), `membership` (the group cache), `bindings` (wanted vs bound keys);
//! `frame` is what the queues carry, `socket_queue` the queues themselves.
//!
//! # Concurrency model
//! One `std::sync::Mutex` around plain maps. Every method takes it briefly and never awaits
//! while holding it: the consumer's fan-out, session (un)registration from the actix workers
//! and the binder all call in from different threads. Broker and database work happen outside,
//! in the consumer's binder task and in `crate::membership`, which hand their results back
//! here.
//!
//! # Lifecycle
//! Sessions: see `sessions`; keys and binding rounds: `bindings`; groups: `membership`.
//!
//! # Backpressure
//! The hub never awaits a client: see `fanout`.

mod bindings;
mod fanout;
mod frame;
mod membership;
mod registry;
mod sessions;
pub mod socket_queue;
#[cfg(test)]
mod test_support;
mod watchers;

pub use bindings::BindOp;
pub use fanout::Audience;
pub use frame::{Frame, Outbound};
pub use membership::Install;
pub use registry::{Hub, SessionId};
pub use sessions::{Departure, Refused};
