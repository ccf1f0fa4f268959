//! A TCP proxy a test can switch off and on, freeze, or (for AMQP) put under a memory alarm:
//! an outage of one service for one test, without touching the shared service the other tests
//! use.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::amqp_frames::PublishScanner;

pub struct TcpProxy {
    pub port: u16,
    state: Arc<State>,
}

struct State {
    up: AtomicBool,
    /// Bumped by every cut: open connections end.
    cuts: watch::Sender<u64>,
    /// Nothing is forwarded in either direction while true (connections stay open).
    frozen: watch::Sender<bool>,
    /// AMQP only: like RabbitMQ under a memory alarm, a connection that publishes is not read
    /// any more (its frames are held) until the alarm clears.
    alarm: watch::Sender<bool>,
    amqp: bool,
}

impl TcpProxy {
    /// Listens on a free local port and forwards every connection to `upstream` (host:port).
    pub async fn start(upstream: String) -> Self {
        Self::start_with(upstream, false).await
    }

    /// The same for an AMQP 0-9-1 server, with [`TcpProxy::set_alarm`] available.
    pub async fn start_amqp(upstream: String) -> Self {
        Self::start_with(upstream, true).await
    }

    async fn start_with(upstream: String, amqp: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let state = Arc::new(State {
            up: AtomicBool::new(true),
            cuts: watch::channel(0u64).0,
            frozen: watch::channel(false).0,
            alarm: watch::channel(false).0,
            amqp,
        });
        let accepting = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if !accepting.up.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                tokio::spawn(serve(client, upstream.clone(), accepting.clone()));
            }
        });
        Self { port, state }
    }

    /// Off: open connections are cut and new ones dropped. On: forwarding again.
    pub fn set_up(&self, up: bool) {
        self.state.up.store(up, Ordering::SeqCst);
        if !up {
            self.state.cuts.send_modify(|g| *g += 1);
        }
    }

    /// Frozen: connections stay open but no byte moves either way (a stalled peer).
    pub fn freeze(&self, frozen: bool) {
        self.state.frozen.send_replace(frozen);
    }

    /// AMQP memory alarm: from now on, a connection that publishes is no longer read (the
    /// publish and everything after it wait), so it gets no confirm; cleared, they flow again.
    pub fn set_alarm(&self, on: bool) {
        assert!(self.state.amqp, "set_alarm needs TcpProxy::start_amqp");
        self.state.alarm.send_replace(on);
    }
}

async fn serve(client: TcpStream, upstream: String, state: Arc<State>) {
    let mut cut = state.cuts.subscribe();
    let Ok(server) = TcpStream::connect(upstream).await else { return };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let scanner = state.amqp.then(PublishScanner::new);
    tokio::select! {
        _ = pump(client_read, server_write, &state, scanner) => {}
        _ = pump(server_read, client_write, &state, None) => {}
        _ = cut.changed() => {}
    }
}

/// Forwards one direction until either side closes.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, state: &State, mut scanner: Option<PublishScanner>) {
    let mut buf = vec![0u8; 16 * 1024];
    let (mut frozen, mut alarm) = (state.frozen.subscribe(), state.alarm.subscribe());
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if scanner.as_mut().is_some_and(|s| s.has_publish(&buf[..n])) && alarm.wait_for(|on| !on).await.is_err() {
            return;
        }
        if frozen.wait_for(|f| !f).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// host:port of a service URL (`scheme://[user:pass@]host:port[/...]`).
pub fn host_port(url: &str, default: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hp = rest.rsplit('@').next().unwrap_or(rest).split(['/', '?']).next().unwrap_or("");
    if hp.is_empty() {
        default.to_owned()
    } else {
        hp.to_owned()
    }
}
