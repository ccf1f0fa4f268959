//! api-server: the stateless REST API. Handlers (`routes/`) are thin; rules and transactions
//! live in `domain/`; events leave through the outbox (`outbox.rs`).

pub mod admission;
pub mod auth;
pub mod cli;
pub mod demo;
pub mod domain;
pub mod http;
pub mod limits;
pub mod mail;
pub mod media;
pub mod oidc_client;
pub mod openapi;
pub mod outbox;
pub mod routes;
pub mod startup;
pub mod state;
