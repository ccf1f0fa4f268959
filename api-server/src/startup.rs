//! config -> pool + migrations -> state -> relay -> HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, ErrorHandlers};
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use diesel::RunQueryDsl;
use secrecy::ExposeSecret;
use shared::auth::TokenKeys;
use shared::broker::BrokerStatus;
use shared::cache::Cache;
use shared::config::Settings;
use shared::db::{self, PgPool};
use shared::models::outbox::Writer;
use shared::ratelimit::RateLimiter;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use utoipa::OpenApi;

use crate::domain::media_sweep;
use crate::http;
use crate::mail::Mailer;
use crate::media::decode_budget::DecodeBudget;
use crate::media::storage::LocalDir;
use crate::openapi::Document;
use crate::outbox::listen::Listening;
use crate::outbox::{self, Relay};
use crate::routes::ApiDoc;
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    stop_relay: watch::Sender<bool>,
    relay: JoinHandle<()>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::build_pool(
            settings.database_url.expose_secret(),
            settings.database_pool_size,
            settings.database_queue_wait_ms,
        );
        migrate(&pool).await?;
        if settings.demo_data {
            seed_demo(&pool).await?;
        }
        let cache = Cache::with_client(&settings.memcached_url, &settings.cache_prefix, settings.memcached_client);
        let state = AppState {
            keys: TokenKeys::new(&settings.jwt_secret),
            limiter: Arc::new(RateLimiter::new(cache.clone())),
            cache,
            pool: pool.clone(),
            broker: BrokerStatus::default(),
            outbox: Writer::new(pool.clone(), Arc::new(Notify::new())),
            media: Arc::new(
                LocalDir::new(&settings.media_dir)
                    .with_context(|| format!("MEDIA_DIR {} is not a usable directory", settings.media_dir.display()))?,
            ),
            requests: Arc::new(shared::admission::Admission::new(
                "requests",
                settings.api_max_in_flight as usize,
                std::time::Duration::from_millis(settings.api_queue_wait_ms),
            )),
            uploads: Arc::default(),
            decode_budget: Arc::new(DecodeBudget::new(settings.image_decode_memory_mb)),
            mailer: Mailer::new(&settings)?,
            oidc: Arc::new(crate::oidc_client::Clients::new().context("OpenID Connect HTTP client")?),
            settings: Arc::new(settings),
        };
        let (stop_relay, stopped) = watch::channel(false);
        let listening = Listening::default();
        tokio::spawn(outbox::listen::run(
            state.settings.database_url.expose_secret().to_owned(),
            state.outbox.wakeup(),
            listening.clone(),
            stopped.clone(),
        ));
        let relay = tokio::spawn(
            Relay {
                pool,
                database_url: state.settings.database_url.expose_secret().to_owned(),
                amqp_url: state.settings.amqp_url.expose_secret().to_owned(),
                exchange: state.settings.exchange.clone(),
                node_id: state.settings.node_id.clone(),
                poll: state.settings.outbox_poll,
                safety_poll: state.settings.outbox_safety_poll,
                listening,
                confirm_timeout: state.settings.outbox_confirm_timeout,
                status: state.broker.clone(),
                wakeup: state.outbox.wakeup(),
            }
            .run(stopped.clone()),
        );
        tokio::spawn(sweep_retention(state.clone(), stopped.clone()));
        // Once before serving (what a crash left behind), then periodically.
        let store = state.media.clone();
        tokio::task::spawn_blocking(move || media_sweep::sweep_partial(store.as_ref())).await?;
        tokio::spawn(sweep_media(state.clone(), stopped));

        let metrics = shared::metrics::install("api-server", &state.settings.node_id);
        shared::metrics::describe("api-server");
        let listener = TcpListener::bind(state.settings.api_addr)
            .with_context(|| format!("cannot listen on API_ADDR={}", state.settings.api_addr))?;
        let port = listener.local_addr()?.port();
        let app_state = state.clone();
        let document = web::Data::new(Document(ApiDoc::openapi()));
        let server = HttpServer::new(move || {
            App::new()
                .wrap(ErrorHandlers::new().default_handler(http::json_error_body))
                .wrap(from_fn(crate::admission::admit))
                .wrap(from_fn(http::observe))
                .app_data(web::Data::new(app_state.clone()))
                .app_data(web::Data::new(metrics.clone()))
                .app_data(document.clone())
                .app_data(web::PayloadConfig::new(http::JSON_LIMIT))
                .app_data(web::QueryConfig::default().error_handler(http::query_error))
                .app_data(web::PathConfig::default().error_handler(http::path_error))
                .configure(crate::routes::configure)
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        tracing::info!(port, "api-server listening");
        Ok(Self { port, server, state, stop_relay, relay })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM/SIGINT (graceful: in-flight requests finish), then stops the relay.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        let _ = self.stop_relay.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.relay).await;
        tracing::info!("api-server stopped");
        Ok(())
    }
}

/// Applies pending migrations, waiting up to 60 s for PostgreSQL. An advisory lock keeps
/// replicas that start together from migrating at the same time.
/// `DEMO_DATA`: the demo users and chats, on a database without users (see [`crate::demo`]).
async fn seed_demo(pool: &PgPool) -> anyhow::Result<()> {
    let hash = crate::demo::password_hash().await?;
    match Writer::new(pool.clone(), Arc::default()).write(move |conn| crate::demo::seed_if_empty(conn, &hash)).await? {
        Some(seeded) => tracing::info!(
            users = ?crate::demo::USERS.map(|(name, _)| name),
            group_id = seeded.group.0,
            "demo data created (DEMO_DATA=false turns it off); their password is in the README and docs/configuration.md"
        ),
        None => tracing::debug!("demo data: the database has users already, nothing to do"),
    }
    Ok(())
}

async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut waited = 0;
        let mut conn = loop {
            match pool.get() {
                Ok(conn) => break conn,
                Err(e) if waited < 20 => {
                    tracing::warn!(error = %e, "waiting for PostgreSQL");
                    waited += 1;
                }
                Err(e) => return Err(anyhow::anyhow!("PostgreSQL is unreachable (DATABASE_URL): {e}")),
            }
        };
        diesel::sql_query("SELECT pg_advisory_lock(424242)").execute(&mut conn)?;
        let applied = db::run_migrations(&mut conn);
        diesel::sql_query("SELECT pg_advisory_unlock(424242)").execute(&mut conn)?;
        let applied = applied?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "migrations applied");
        }
        Ok(())
    })
    .await?
}

/// Empties the media trash and removes stale `.part` files every `MEDIA_SWEEP_MS` until the
/// relay is told to stop (see `domain::media_sweep`).
async fn sweep_media(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        let store = state.media.clone();
        if let Err(e) = db::run(&state.pool, move |conn| media_sweep::empty_trash(conn, store.as_ref())).await {
            tracing::warn!(error = %e, "media sweep failed; next try at the next period");
        }
        let store = state.media.clone();
        let _ = tokio::task::spawn_blocking(move || media_sweep::sweep_partial(store.as_ref())).await;
        tokio::select! {
            _ = tokio::time::sleep(state.settings.media_sweep) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Deletes messages past their conversation's retention every `RETENTION_SWEEP_MS` until the
/// relay is told to stop (one replica at a time sweeps; see `domain::retention`).
async fn sweep_retention(state: AppState, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(state.settings.retention_sweep) => {}
            _ = stop.changed() => return,
        }
        let store = state.media.clone();
        match state.write(move |conn| crate::domain::retention::sweep(conn, store.as_ref())).await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention sweep failed; next try at the next period"),
        }
    }
}
