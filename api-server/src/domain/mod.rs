//! Domain rules and transactions, one module per resource. Functions take a connection (or the
//! state, when they orchestrate several steps) and checked inputs; handlers only call them.

pub mod admin;
pub mod auth;
pub mod avatars;
pub mod block_events;
pub mod contacts;
pub mod conversations;
pub mod email;
pub mod events;
pub mod flood;
pub mod groups;
pub mod invites;
pub mod media;
pub mod media_sweep;
pub mod message_changes;
pub mod message_context;
pub mod message_view;
pub mod messages;
pub mod oidc;
pub mod oidc_link;
pub mod overview;
pub mod presence;
pub mod privacy;
pub mod reactions;
pub mod reauth;
pub mod receipts;
pub mod reports;
pub mod retention;
pub mod search;
pub mod sending;
pub mod sessions;
pub mod two_factor;
pub mod users;
pub mod validate;
