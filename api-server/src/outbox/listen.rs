//! Wakes the relay when any process commits outbox rows: `LISTEN` on the outbox channel
//! (`shared::models::outbox::CHANNEL`) over a PostgreSQL connection of its own.
//!
//! Every transaction that writes outbox rows also sends `NOTIFY` on that channel; PostgreSQL
//! delivers it at commit to every listening session of the database, so the leading relay of
//! any replica publishes rows another replica committed at once. Diesel cannot wait for a
//! notification, so this one connection is tokio-postgres's (no TLS: with `sslmode=require`
//! the listener cannot connect, says so in the log, and the relay keeps polling at
//! `OUTBOX_POLL_MS`).
//!
//! *Lifecycle*: connect -> `LISTEN` -> [`Listening`] up -> forward each notification to the
//! relay's wake-up until the connection ends -> down, retry with backoff, until shutdown.
//! While it is down the leading relay polls at `OUTBOX_POLL_MS` instead of
//! `OUTBOX_SAFETY_POLL_MS`, so no event waits longer than before.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use shared::broker::Backoff;
use shared::models::outbox::CHANNEL;
use tokio::sync::{watch, Notify};
use tokio_postgres::{AsyncMessage, NoTls};

/// Whether the listener holds its `LISTEN` (the relay then relies on notifications).
#[derive(Debug, Clone, Default)]
pub struct Listening(Arc<AtomicBool>);

impl Listening {
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
}

/// Listens until `shutdown`, waking `wakeup` on every notification.
pub async fn run(database_url: String, wakeup: Arc<Notify>, listening: Listening, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    let mut trouble = false;
    loop {
        let ended = listen(&database_url, &wakeup, &listening, &mut shutdown).await;
        listening.set(false);
        match ended {
            Ended::Shutdown => return,
            Ended::Lost { listened, error } => {
                if listened {
                    trouble = false;
                    backoff.reset();
                }
                if !std::mem::replace(&mut trouble, true) {
                    tracing::warn!(error = %error, "outbox listener lost PostgreSQL; the relay polls meanwhile");
                }
            }
        }
        if !backoff.pause(&mut shutdown).await {
            return;
        }
    }
}

enum Ended {
    Shutdown,
    /// The connection failed or ended; `listened`: after its LISTEN took.
    Lost {
        listened: bool,
        error: anyhow::Error,
    },
}

/// One connection, until it ends or `shutdown`.
async fn listen(
    database_url: &str,
    wakeup: &Notify,
    listening: &Listening,
    shutdown: &mut watch::Receiver<bool>,
) -> Ended {
    let lost = |listened, error: anyhow::Error| Ended::Lost { listened, error };
    let (client, mut connection) = match tokio_postgres::connect(&without_libpq_only_options(database_url), NoTls).await
    {
        Ok(pair) => pair,
        Err(e) => return lost(false, e.into()),
    };
    // The connection yields notifications only while it is polled, and LISTEN needs it polled.
    let (tx, mut messages) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            if tx.send(message).is_err() {
                break;
            }
        }
    });
    let ended = match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        Err(e) => lost(false, e.into()),
        Ok(()) => {
            listening.set(true);
            tracing::debug!("outbox listener is listening");
            loop {
                tokio::select! {
                    message = messages.recv() => match message {
                        Some(Ok(AsyncMessage::Notification(_))) => wakeup.notify_one(),
                        Some(Ok(_)) => {}
                        Some(Err(e)) => break lost(true, e.into()),
                        None => break lost(true, anyhow::anyhow!("the connection ended")),
                    },
                    _ = shutdown.changed() => break Ended::Shutdown,
                }
            }
        }
    };
    driver.abort();
    ended
}

/// `DATABASE_URL` is libpq's (diesel); tokio-postgres refuses the query options it does not
/// know (e.g. `gssencmode`, `sslrootcert`), so only the ones it knows are kept.
fn without_libpq_only_options(url: &str) -> String {
    const KNOWN: &[&str] = &[
        "user",
        "password",
        "dbname",
        "options",
        "application_name",
        "sslmode",
        "host",
        "hostaddr",
        "port",
        "connect_timeout",
        "tcp_user_timeout",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_retries",
        "target_session_attrs",
        "channel_binding",
        "load_balance_hosts",
    ];
    let Some((base, query)) = url.split_once('?') else { return url.to_owned() };
    let kept: Vec<&str> =
        query.split('&').filter(|p| KNOWN.contains(&p.split('=').next().unwrap_or_default())).collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_only_libpq_knows_are_dropped() {
        assert_eq!(without_libpq_only_options("postgres://u@h:5432/d"), "postgres://u@h:5432/d");
        assert_eq!(
            without_libpq_only_options("postgres://u@h/d?gssencmode=disable&sslmode=prefer"),
            "postgres://u@h/d?sslmode=prefer"
        );
        assert_eq!(without_libpq_only_options("postgres://u@h/d?gssencmode=disable"), "postgres://u@h/d");
    }
}
