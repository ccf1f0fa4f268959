//! api-server black-box tests against real PostgreSQL, RabbitMQ and Memcached.
mod admin;
mod auth;
mod authz;
mod bad_input;
mod broker;
mod groups;
mod helpers;
mod media;
mod messages;
mod ops;
mod outbox;
mod reactions;
mod retention;
mod search;
mod sessions;
mod two_factor;
mod users;
