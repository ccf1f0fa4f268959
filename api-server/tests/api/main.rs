//! api-server black-box tests against real PostgreSQL, RabbitMQ and Memcached.
#![expect(clippy::expect_used, reason = "test helpers fail the test loudly on a broken setup")]
#![expect(clippy::cast_possible_wrap, reason = "counts in tests are small")]
mod admin;
mod admin_overview;
mod architecture;
mod auth;
mod authz;
mod avatars;
mod bad_input;
mod blocks;
mod broker;
mod demo;
mod docs;
mod email;
mod group_delete;
mod groups;
mod helpers;
mod history_around;
mod invites;
mod logs;
mod media;
mod media_cleanup;
mod messages;
mod oidc;
mod ops;
mod ordering;
mod outage;
mod outbox;
mod overload;
mod privacy;
mod reactions;
mod resync;
mod retention;
mod search;
mod sessions;
mod two_factor;
mod users;
