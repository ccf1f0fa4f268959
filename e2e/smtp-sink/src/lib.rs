//! A mail sink: a small real SMTP server that keeps every message it receives in memory, and
//! an HTTP endpoint that lists them, so tests (and people running the local cluster) can read
//! the mails the api-server sends.
//!
//! - SMTP: EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT. No AUTH, no TLS.
//! - HTTP: `GET /messages?to=<addr>` -> JSON list (oldest first; `to` optional, matched
//!   case-insensitively against the envelope recipients), `DELETE /messages` -> 204.
//!
//! In-process use (each test its own sink on ports chosen by the OS):
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! let sink = smtp_sink::MailSink::start("127.0.0.1:0", "127.0.0.1:0").await?;
//! let smtp_url = format!("smtp://{}", sink.smtp_addr());
//! // ... send mail ...
//! let mails = sink.messages_to("a@example.com");
//! # Ok(()) }
//! ```
//!
//! *Lifecycle*: the listeners run as tokio tasks until the [`MailSink`] is dropped.

mod http;
mod message;
pub mod smtp;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub use message::Message;
use smtp::{Session, Step, GREETING, MAX_LINE};

/// The messages received so far.
#[derive(Clone, Default)]
pub struct Store(Arc<Mutex<Vec<Message>>>);

impl Store {
    fn push(&self, m: Message) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(m);
    }

    /// Messages with `to` among their recipients (all of them for `None`), oldest first.
    pub fn list(&self, to: Option<&str>) -> Vec<Message> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().filter(|m| to.is_none_or(|to| m.to.iter().any(|r| r.eq_ignore_ascii_case(to)))).cloned().collect()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// A running sink; stops when dropped.
pub struct MailSink {
    smtp_addr: SocketAddr,
    http_addr: SocketAddr,
    store: Store,
    tasks: Vec<JoinHandle<()>>,
}

impl MailSink {
    /// Binds both listeners (`127.0.0.1:0` for ports chosen by the OS) and starts serving.
    pub async fn start(smtp: &str, http: &str) -> std::io::Result<Self> {
        let smtp_listener = TcpListener::bind(smtp).await?;
        let http_listener = TcpListener::bind(http).await?;
        let store = Store::default();
        let smtp_addr = smtp_listener.local_addr()?;
        let http_addr = http_listener.local_addr()?;
        let tasks = vec![
            tokio::spawn(serve_smtp(smtp_listener, store.clone())),
            tokio::spawn(http::serve(http_listener, store.clone())),
        ];
        Ok(Self { smtp_addr, http_addr, store, tasks })
    }

    /// On ports chosen by the OS.
    pub async fn start_ephemeral() -> std::io::Result<Self> {
        Self::start("127.0.0.1:0", "127.0.0.1:0").await
    }

    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp_addr
    }

    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// `smtp://127.0.0.1:<port>`, fit for the api-server's `SMTP_URL`.
    pub fn smtp_url(&self) -> String {
        format!("smtp://{}", self.smtp_addr)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn messages(&self) -> Vec<Message> {
        self.store.list(None)
    }

    pub fn messages_to(&self, to: &str) -> Vec<Message> {
        self.store.list(Some(to))
    }

    /// Waits up to `timeout` for at least `n` messages to `to`; returns what is there then.
    pub async fn wait_for(&self, to: &str, n: usize, timeout: Duration) -> Vec<Message> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.messages_to(to);
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn serve_smtp(listener: TcpListener, store: Store) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let store = store.clone();
                tokio::spawn(async move {
                    if let Err(e) = smtp_connection(stream, store).await {
                        log("warn", "smtp connection ended", &e.to_string());
                    }
                });
            }
            Err(e) => {
                log("error", "smtp accept failed", &e.to_string());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One JSON line on stderr, like the other processes of the cluster log.
fn log(level: &str, message: &str, error: &str) {
    let line = serde_json::json!({"ts": chrono::Utc::now().to_rfc3339(), "level": level, "msg": message, "service": "smtp-sink", "error": error});
    eprintln!("{line}");
}

/// Idle clients are dropped after this long.
const IDLE: Duration = Duration::from_secs(300);

async fn smtp_connection(stream: TcpStream, store: Store) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(GREETING.as_bytes()).await?;
    let mut session = Session::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = tokio::time::timeout(IDLE, (&mut reader).take(MAX_LINE as u64 + 2).read_until(b'\n', &mut buf))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle"))??;
        if n == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\r', '\n']);
        match session.line(line) {
            Step::Continue => {}
            Step::Reply(r) => write.write_all(r.as_bytes()).await?,
            Step::Delivered(m, r) => {
                store.push(*m);
                write.write_all(r.as_bytes()).await?;
            }
            Step::Quit(r) => {
                write.write_all(r.as_bytes()).await?;
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn expect(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>, code: &str) {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).await.expect("reply");
            assert!(line.starts_with(code), "expected {code}, got {line:?}");
            if line.as_bytes().get(3) != Some(&b'-') {
                return;
            }
        }
    }

    #[tokio::test]
    async fn a_mail_sent_over_tcp_is_listed_over_http_and_can_be_cleared() {
        let sink = MailSink::start_ephemeral().await.expect("sink starts");
        let stream = TcpStream::connect(sink.smtp_addr()).await.expect("connect");
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        expect(&mut reader, "220").await;
        for (cmd, code) in [
            ("EHLO t\r\n", "250"),
            ("MAIL FROM:<app@localhost>\r\n", "250"),
            ("RCPT TO:<Ann@Example.com>\r\n", "250"),
            ("RCPT TO:<bob@example.com>\r\n", "250"),
            ("DATA\r\n", "354"),
            ("Subject: Verify\r\n\r\n..hello\r\n.\r\n", "250"),
            ("QUIT\r\n", "221"),
        ] {
            write.write_all(cmd.as_bytes()).await.expect("write");
            expect(&mut reader, code).await;
        }
        let mut rest = Vec::new();
        let _ = reader.read_to_end(&mut rest).await;

        let client = reqwest::Client::new();
        let base = format!("http://{}", sink.http_addr());
        let get_json = |path: &str| {
            let request = client.get(format!("{base}{path}"));
            async move { request.send().await.expect("get").json::<serde_json::Value>().await.expect("json") }
        };
        let list = get_json("/messages?to=ann%40example.com").await;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        assert_eq!(list[0]["subject"], "Verify");
        assert_eq!(list[0]["body"], ".hello\r\n");
        assert_eq!(list[0]["to"][1], "bob@example.com");
        assert!(list[0]["received_at"].is_string());
        let none = get_json("/messages?to=carl@example.com").await;
        assert_eq!(none, serde_json::json!([]));

        let deleted = client.delete(format!("{base}/messages")).send().await.expect("delete");
        assert_eq!(deleted.status(), 204);
        assert!(sink.messages().is_empty());
        let missing = client.get(format!("{base}/nothing")).send().await.expect("get");
        assert_eq!(missing.status(), 404);
    }
}
