//! Diesel models and their queries: SQL lives here, not in handlers.

pub mod abuse;
pub mod attachment;
pub mod change_version;
pub mod contact;
pub mod conversation;
pub mod email_token;
pub mod group;
pub mod group_removal;
pub mod media_trash;
pub mod message;
pub mod oidc;
pub mod outbox;
pub mod privacy;
pub mod reaction;
pub mod refresh_token;
pub mod report;
pub mod search;
pub mod search_query;
pub mod sidebar;
pub mod stats;
pub mod two_factor;
pub mod user;
pub mod ws_ticket;
