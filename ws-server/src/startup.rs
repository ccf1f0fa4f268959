//! config -> pool, cache, hub -> consumer, presence -> HTTP/WebSocket server.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use actix_ws::CloseCode;
use anyhow::Context;
use secrecy::ExposeSecret;
use shared::auth::TokenKeys;
use shared::broker::BrokerStatus;
use shared::cache::Cache;
use shared::config::Settings;
use shared::db;
use tokio::net::TcpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Tuning;
use crate::consumer::Consumer;
use crate::hub::Hub;
use crate::membership::Conversations;
use crate::presence::Presence;
use crate::publisher::Publisher;
use crate::route::Router;
use crate::shutdown::{self, ShutdownHandle};
use crate::state::AppState;
use crate::ticket::Tickets;

/// How long closing sockets get before the HTTP server drops them.
const SHUTDOWN_TIMEOUT_SECS: u64 = 5;

/// The listening socket. Accepted sockets inherit its send buffer: a fixed, modest one bounds
/// the kernel memory a client that stops reading can pin, and lets its queue fill (4008) sooner
/// (autotuning would grow it to `tcp_wmem`'s maximum, 4 MiB by default).
fn listen(addr: SocketAddr, send_buffer: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.set_send_buffer_size(send_buffer)?;
    socket.bind(addr)?;
    socket.listen(1024)?.into_std()
}

pub struct Application {
    port: u16,
    server: Server,
    hub: Arc<Hub>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    shutdown: ShutdownHandle,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, Tuning::default()).await
    }

    pub async fn build_with(settings: Settings, tuning: Tuning) -> anyhow::Result<Self> {
        let pool = db::build_pool(
            settings.database_url.expose_secret(),
            settings.database_pool_size,
            settings.database_queue_wait_ms,
        );
        let cache = Cache::with_client(&settings.memcached_url, &settings.cache_prefix, settings.memcached_client);
        let hub = Arc::new(Hub::default());
        let publisher = Publisher::new(&settings.exchange);
        let presence =
            Presence::new(cache.clone(), pool.clone(), hub.clone(), publisher.clone(), &settings.node_id, &tuning);
        let state = AppState {
            tickets: Arc::new(Tickets::new(TokenKeys::new(&settings.jwt_secret), cache.clone(), pool.clone())),
            cache,
            conversations: Arc::new(Conversations::new(pool.clone())),
            pool,
            broker: BrokerStatus::default(),
            hub: hub.clone(),
            presence: presence.clone(),
            publisher,
            tuning: Arc::new(tuning),
            settings: Arc::new(settings),
        };
        let (stop, stopped) = watch::channel(false);
        let consumer = Consumer {
            amqp_url: state.settings.amqp_url.expose_secret().to_owned(),
            exchange: state.settings.exchange.clone(),
            node_id: state.settings.node_id.clone(),
            prefetch: state.tuning.prefetch,
            queue_max_length: state.tuning.queue_max_length,
            status: state.broker.clone(),
            hub: hub.clone(),
            pool: state.pool.clone(),
            presence: presence.clone(),
            router: Router {
                hub: hub.clone(),
                conversations: state.conversations.clone(),
                pool: state.pool.clone(),
                presence: presence.clone(),
            },
        };
        let publishing = state.publisher.clone().run(
            state.settings.amqp_url.expose_secret().to_owned(),
            format!("ws.{}.publish", state.settings.node_id),
            stopped.clone(),
        );
        let revalidate =
            crate::revalidate::run(hub.clone(), state.pool.clone(), state.tuning.session_check, stopped.clone());
        let tasks = vec![
            tokio::spawn(consumer.run(stopped.clone())),
            tokio::spawn(publishing),
            tokio::spawn(presence.run(stopped)),
            tokio::spawn(revalidate),
        ];
        let metrics = shared::metrics::install("ws-server", &state.settings.node_id);
        shared::metrics::describe("ws-server");
        let listener = listen(state.settings.ws_addr, state.tuning.socket_send_buffer)
            .with_context(|| format!("cannot listen on WS_ADDR={}", state.settings.ws_addr))?;
        let port = listener.local_addr()?.port();
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(app_state.clone()))
                .app_data(web::Data::new(metrics.clone()))
                .configure(crate::routes::configure)
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .run();
        tracing::info!(port, node_id = state.settings.node_id, "ws-server listening");
        Ok(Self { port, server, hub, stop, tasks, shutdown: ShutdownHandle::default() })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the node like SIGTERM does.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self { server, hub, stop, tasks, shutdown, .. } = self;
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        tokio::select! {
            result = &mut server => result?,
            cause = shutdown::requested(&shutdown) => {
                let closed = hub.shutdown(CloseCode::Restart, "server restarting");
                tracing::info!(cause, sockets = closed, "ws-server stopping: sockets closed with 1012");
                // The server future must be polled for the stop command to take effect.
                let drain = async {
                    let _ = tokio::join!(handle.stop(true), &mut server);
                };
                let _ = tokio::time::timeout(Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 1), drain).await;
            }
        }
        let _ = stop.send(true);
        for task in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(3), task).await;
        }
        tracing::info!("ws-server stopped");
        Ok(())
    }
}
