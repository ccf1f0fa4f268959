//! What every handler can reach.

use std::sync::Arc;

use shared::auth::TokenKeys;
use shared::broker::BrokerStatus;
use shared::cache::Cache;
use shared::config::Settings;
use shared::db::PgPool;
use shared::models::outbox::{Outbox, Writer};
use shared::ratelimit::RateLimiter;

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
    /// The only source of outbox handles: writes through it wake the local relay.
    pub outbox: Writer,
    /// Where uploads are kept.
    pub media: Arc<dyn MediaStore>,
    /// The bounded queue every `/api/` request passes first ([`crate::admission`]).
    pub requests: Arc<shared::admission::Admission>,
    /// Uploads held in memory at once (each up to 25 MiB), and those waiting for a slot.
    pub uploads: Arc<crate::media::upload_queue::UploadQueue>,
    /// Memory all image decodes may use at once (`IMAGE_DECODE_MEMORY_MB`).
    pub decode_budget: Arc<crate::media::decode_budget::DecodeBudget>,
    /// Verification and password-reset mails (sent in the background).
    pub mailer: Mailer,
    /// OpenID Connect: HTTP client, discovery and JWKS caches.
    pub oidc: Arc<crate::oidc_client::Clients>,
}

impl AppState {
    /// Runs a domain function that writes events (it gets an [`Outbox`] handle), then wakes
    /// the local outbox relay so they are published at once if it leads (another replica's
    /// leading relay hears the rows' NOTIFY at commit).
    pub async fn write<T, F>(&self, f: F) -> shared::Result<T>
    where
        F: FnOnce(&mut Outbox<'_>) -> shared::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.outbox.write(f).await
    }
}
