//! Test harness: real services, isolated per test.
//!
//! Each test gets its own PostgreSQL database cloned from a migrated template (the template's
//! name carries a hash of `migrations/`, so a schema change makes a new one), its own exchange
//! name and its own Memcached key prefix. Service URLs come from `TEST_DATABASE_URL` (an admin
//! URL; the database part is replaced), `TEST_AMQP_URL`, `TEST_MEMCACHED_URL`; when unset the
//! local defaults are used, and when nothing listens there and a Docker engine answers,
//! containers are started with testcontainers and reused by every test process (see
//! [`services`] and `containers.rs`). Otherwise the test fails with a message saying how to
//! start the services: no test is ever skipped.
#![expect(clippy::expect_used, reason = "the test harness fails the test loudly on a broken setup")]
#![expect(clippy::cast_possible_truncation, reason = "test fixtures: small sizes, frame lengths of test messages")]

pub mod amqp_frames;
pub mod bare_ids;
mod broker_proxy;
mod containers;
pub mod docs;
pub mod import_graph;
pub mod media;
mod proxy;
mod services;

use std::collections::HashMap;

use diesel::{Connection, PgConnection, RunQueryDsl};

pub use broker_proxy::BrokerProxy;
pub use proxy::{host_port, TcpProxy};
pub use services::{services, Services};

use crate::config::Settings;

/// A database of one's own, dropped (with FORCE) when this value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl TestDatabase {
    /// A fresh database cloned from the migrated template.
    pub fn new() -> Self {
        let admin_url = services().database_admin_url.clone();
        let template = ensure_template(&admin_url);
        Self::create(admin_url, &format!("TEMPLATE {template} STRATEGY FILE_COPY"))
    }

    /// An empty database (no migrations), for the migration tests.
    pub fn empty() -> Self {
        Self::create(services().database_admin_url.clone(), "")
    }

    fn create(admin_url: String, options: &str) -> Self {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = connect(&admin_url);
        diesel::sql_query(format!("CREATE DATABASE {name} {options}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        let url = with_database(&admin_url, &name);
        Self { name, url, admin_url }
    }

    pub fn connect(&self) -> PgConnection {
        connect(&self.url)
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ =
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut admin);
        }
    }
}

/// One test's world: its database, its settings (own exchange and key prefix, ports chosen by
/// the OS); the exchange is deleted when this is dropped.
pub struct TestEnv {
    pub settings: Settings,
    pub db: TestDatabase,
    _exchange: ExchangeGuard,
}

impl TestEnv {
    pub fn new(extra: &[(&str, &str)]) -> Self {
        let db = TestDatabase::new();
        let settings = test_settings(&db, extra);
        let exchange = ExchangeGuard { amqp_url: services().amqp_url.clone(), name: settings.exchange.clone() };
        Self { settings, db, _exchange: exchange }
    }
}

/// Deletes a test's exchange at the end of the test (from a thread of its own: Drop is sync).
struct ExchangeGuard {
    amqp_url: String,
    name: String,
}

impl Drop for ExchangeGuard {
    fn drop(&mut self) {
        let (url, name) = (self.amqp_url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                let fut = async {
                    let conn = crate::broker::connect(&url, "test-cleanup").await.ok()?;
                    let ch = conn.create_channel().await.ok()?;
                    let _ = ch.exchange_delete(name.as_str().into(), Default::default()).await;
                    let _ = conn.close(200, "bye".into()).await;
                    Some(())
                };
                let _ = tokio::time::timeout(std::time::Duration::from_secs(3), fut).await;
            });
        });
        let _ = cleanup.join();
    }
}

/// Settings for one test: its own database, exchange and key prefix, ports chosen by the OS.
/// Prefer [`TestEnv`], which also removes the exchange afterwards.
pub fn test_settings(db: &TestDatabase, extra: &[(&str, &str)]) -> Settings {
    let s = services();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db.url.clone()),
        ("DATABASE_POOL_SIZE".into(), "8".into()),
        // Tests that race many requests on one row wait on its lock, not on a busy machine:
        // they are not overload. Overload tests set their own bound.
        ("DB_QUEUE_WAIT_MS".into(), "10000".into()),
        ("API_QUEUE_WAIT_MS".into(), "10000".into()),
        ("AMQP_URL".into(), s.amqp_url.clone()),
        ("MEMCACHED_URL".into(), s.memcached_url.clone()),
        ("API_ADDR".into(), "127.0.0.1:0".into()),
        ("WS_ADDR".into(), "127.0.0.1:0".into()),
        ("NODE_ID".into(), format!("test-{}", &id[..8])),
        ("CHAT_EXCHANGE".into(), format!("test.{id}.events")),
        ("MEMCACHED_PREFIX".into(), format!("t{}:", &id[..12])),
        ("OUTBOX_POLL_MS".into(), "100".into()),
        ("MEDIA_DIR".into(), std::env::temp_dir().join(format!("chat-test-media/{id}")).display().to_string()),
        ("ALLOWED_ORIGINS".into(), "http://localhost:8000".into()),
        ("JWT_SECRET".into(), "test-secret-test-secret-test-secret-0000".into()),
        // Tests register many users from one address; the rate-limit tests lower these.
        ("AUTH_RATE_LIMIT_PER_MIN".into(), "100000".into()),
        ("LOGIN_FAILURES_PER_ACCOUNT".into(), "100000".into()),
        ("WS_TICKETS_PER_MIN".into(), "100000".into()),
        ("SEND_RATE_LIMIT_PER_MIN".into(), "100000".into()),
        // Tests send numbered, otherwise identical texts; the flood-control test lowers these.
        ("FLOOD_REPEAT_MAX".into(), "100000".into()),
        ("FLOOD_NEW_CHATS_PER_HOUR".into(), "100000".into()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Settings::from_lookup(|k| vars.get(k).cloned()).unwrap_or_else(|e| panic!("test settings: {e}"))
}

fn connect(url: &str) -> PgConnection {
    PgConnection::establish(url).unwrap_or_else(|e| {
        panic!("cannot connect to PostgreSQL ({e}). Start the services with `deploy/local/services.sh` or set TEST_DATABASE_URL.")
    })
}

/// Runs fixture SQL on a test database; a failing statement fails the test, naming it.
pub fn exec(conn: &mut PgConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// `postgres://u@h:p/x?q` with the database replaced.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{root}/{db}{query}")
}

/// Test databases only: `outbox_log` keeps a copy of every outbox row written. The relay deletes
/// a row once it is published, so a test that checks what a request wrote (or that it wrote
/// nothing) counts `outbox_log`, which no relay touches.
const OUTBOX_LOG: &str = "
    CREATE TABLE outbox_log (LIKE outbox);
    CREATE FUNCTION outbox_log() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN INSERT INTO outbox_log SELECT NEW.*; RETURN NULL; END $$;
    CREATE TRIGGER outbox_log AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_log();
";

/// Creates the migrated template once (across test processes: guarded by an advisory lock).
fn ensure_template(admin_url: &str) -> String {
    // `_l`: templates made before `outbox_log` existed had the same migrations.
    let name = format!("chat_tpl_{}_l", env!("MIGRATIONS_HASH"));
    let mut admin = connect(admin_url);
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let exists = |conn: &mut PgConnection| -> bool {
        diesel::sql_query(format!("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}') AS exists"))
            .get_result::<Exists>(conn)
            .map(|e| e.exists)
            .unwrap_or(false)
    };
    if exists(&mut admin) {
        return name;
    }
    let _ = diesel::sql_query("SELECT pg_advisory_lock(727274)").execute(&mut admin);
    if !exists(&mut admin) {
        let building = format!("{name}_building");
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)")).execute(&mut admin);
        diesel::sql_query(format!("CREATE DATABASE {building}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("creating template database: {e}"));
        {
            let mut conn = connect(&with_database(admin_url, &building));
            crate::db::run_migrations(&mut conn).unwrap_or_else(|e| panic!("{e:#}"));
            diesel::connection::SimpleConnection::batch_execute(&mut conn, OUTBOX_LOG)
                .unwrap_or_else(|e| panic!("creating outbox_log: {e}"));
        }
        diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("renaming template database: {e}"));
    }
    let _ = diesel::sql_query("SELECT pg_advisory_unlock(727274)").execute(&mut admin);
    name
}
