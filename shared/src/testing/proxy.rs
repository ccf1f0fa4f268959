//! A TCP proxy a test can switch off and on: an outage of one service for one test, without
//! touching the shared service the other tests use.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct TcpProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    cuts: Arc<watch::Sender<u64>>,
}

impl TcpProxy {
    /// Listens on a free local port and forwards every connection to `upstream` (host:port).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let cuts = Arc::new(watch::channel(0u64).0);
        let (up2, cuts2) = (up.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is refused
                }
                let upstream = upstream.clone();
                let mut cut = cuts2.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { port, up, cuts }
    }

    /// Off: open connections are cut and new ones dropped. On: forwarding again.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.cuts.send_modify(|g| *g += 1);
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
