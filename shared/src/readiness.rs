//! `/readyz`: which dependency is down. A server is not ready (503) when a dependency it cannot
//! work without is down; an optional one being down makes it "degraded" (200).

use std::future::Future;
use std::time::Duration;

use diesel::RunQueryDsl;
use serde_json::{json, Map, Value};

use crate::cache::Cache;
use crate::db::PgPool;

pub struct Check {
    pub name: &'static str,
    pub up: bool,
    pub required: bool,
}

/// Status code and body: `{"status": "ready|degraded|unavailable", "checks": {"postgres": "up", ...}}`.
pub fn report(checks: &[Check]) -> (u16, Value) {
    let mut by_name = Map::new();
    for c in checks {
        by_name.insert(c.name.into(), if c.up { "up" } else { "down" }.into());
    }
    let required_down = checks.iter().any(|c| c.required && !c.up);
    let any_down = checks.iter().any(|c| !c.up);
    let (code, status) = match (required_down, any_down) {
        (true, _) => (503, "unavailable"),
        (false, true) => (200, "degraded"),
        (false, false) => (200, "ready"),
    };
    (code, json!({ "status": status, "checks": by_name }))
}

async fn within<F: Future<Output = bool>>(f: F) -> bool {
    tokio::time::timeout(Duration::from_secs(2), f).await.unwrap_or(false)
}

pub async fn postgres_up(pool: &PgPool) -> bool {
    let pool = pool.clone();
    within(async move {
        tokio::task::spawn_blocking(move || {
            pool.get().ok().is_some_and(|mut c| diesel::sql_query("SELECT 1").execute(&mut c).is_ok())
        })
        .await
        .unwrap_or(false)
    })
    .await
}

pub async fn memcached_up(cache: &Cache) -> bool {
    let cache = cache.clone();
    within(async move { tokio::task::spawn_blocking(move || cache.ping().is_ok()).await.unwrap_or(false) }).await
}

/// The checks both servers run: PostgreSQL (required), RabbitMQ (required when the process
/// cannot work without it), Memcached (optional: presence and rate limits degrade).
pub async fn check(pool: &PgPool, cache: &Cache, broker_up: bool, broker_required: bool) -> (u16, Value) {
    let (postgres, memcached) = tokio::join!(postgres_up(pool), memcached_up(cache));
    report(&[
        Check { name: "postgres", up: postgres, required: true },
        Check { name: "rabbitmq", up: broker_up, required: broker_required },
        Check { name: "memcached", up: memcached, required: false },
    ])
}
