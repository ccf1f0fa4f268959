//! What every handler can reach.

use std::sync::Arc;

use shared::auth::TokenKeys;
use shared::broker::BrokerStatus;
use shared::cache::Cache;
use shared::config::Settings;
use shared::db::PgPool;
use shared::ratelimit::RateLimiter;
use tokio::sync::{Notify, Semaphore};

use crate::mail::Mailer;
use crate::media::storage::MediaStore;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: PgPool,
    pub cache: Cache,
    pub keys: TokenKeys,
    pub limiter: Arc<RateLimiter>,
    /// Up while the outbox relay holds a broker connection.
    pub broker: BrokerStatus,
    /// Wakes the local outbox relay right after a commit that wrote outbox rows.
    pub outbox_wakeup: Arc<Notify>,
    /// Where uploads are kept.
    pub media: Arc<dyn MediaStore>,
    /// Uploads held in memory at once (each up to 25 MiB).
    pub upload_slots: Arc<Semaphore>,
    /// Memory all image decodes may use at once (`IMAGE_DECODE_MEMORY_MB`).
    pub decode_budget: Arc<crate::media::decode_budget::DecodeBudget>,
    /// Verification and password-reset mails (sent in the background).
    pub mailer: Mailer,
    /// OpenID Connect: HTTP client, discovery and JWKS caches.
    pub oidc: Arc<crate::oidc_client::Clients>,
}

impl AppState {
    /// Runs a writing domain function, then wakes the local outbox relay so the events it
    /// committed are published at once if it leads (else the leader finds them when it polls).
    pub async fn write<T, F>(&self, f: F) -> shared::Result<T>
    where
        F: FnOnce(&mut diesel::PgConnection) -> shared::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let result = shared::db::run(&self.pool, f).await;
        if result.is_ok() {
            self.outbox_wakeup.notify_one();
        }
        result
    }
}
