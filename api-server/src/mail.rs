//! Outgoing mail over SMTP (`SMTP_URL`, `MAIL_FROM`).
//!
//! *Lifecycle*: one [`Mailer`] per process, built at start (a bad `SMTP_URL` or `MAIL_FROM`
//! stops the start); each send opens its own SMTP connection.
//! *Concurrency model*: [`Mailer::send_later`] spawns a task and returns at once: a request never
//! waits for the mail server and never fails because of it.
//! *Failures*: a connection error, a timeout or a transient (4xx) answer is tried again after
//! [`RETRY_DELAYS`] (about a minute in all: a mail server restart or a greylisting pause passes);
//! a permanent (5xx) answer or a bad address is not. What finally fails is logged (kind and error,
//! never the token or the link) and counted in `chat_mail_sent_total{outcome="failed"}`; it is
//! not kept across a restart of the process (the user asks again: resend / forgot).
//! *Backpressure*: at most [`MAX_IN_FLIGHT`] sends at once; past that a mail is dropped and
//! logged (the per-address rate limits keep this far away in practice).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use shared::config::Settings;
use tokio::sync::Semaphore;
use tracing::Instrument;

pub const MAX_IN_FLIGHT: usize = 64;
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// Waits before the 2nd, 3rd and 4th attempt.
pub const RETRY_DELAYS: [Duration; 3] = [Duration::from_secs(1), Duration::from_secs(10), Duration::from_secs(45)];

/// A plain-text mail.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// For logs and metrics (`verify`, `reset`).
    pub kind: &'static str,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    slots: Arc<Semaphore>,
}

impl Mailer {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.expose_secret())
            .with_context(|| {
                format!("SMTP_URL {} is not usable", shared::config::redact_url(settings.smtp_url.expose_secret()))
            })?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from: Mailbox = settings
            .mail_from
            .parse()
            .with_context(|| format!("MAIL_FROM '{}' is not an address", settings.mail_from))?;
        Ok(Self { transport, from, slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)) })
    }

    /// Sends in the background (see the module docs). Must be called inside a tokio runtime.
    pub fn send_later(&self, mail: Mail) {
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            tracing::error!(kind = mail.kind, "mail dropped: too many sends in flight");
            metrics::counter!(shared::metrics::MAIL_SENT, "kind" => mail.kind, "outcome" => "dropped").increment(1);
            return;
        };
        let this = self.clone();
        tokio::spawn(
            async move {
                let kind = mail.kind;
                let outcome = match this.send_with_retries(mail).await {
                    Ok(attempts) => {
                        tracing::info!(kind, attempts, "mail sent");
                        "sent"
                    }
                    Err(e) => {
                        tracing::error!(kind, error = %format!("{e:#}"), "mail not sent");
                        "failed"
                    }
                };
                metrics::counter!(shared::metrics::MAIL_SENT, "kind" => kind, "outcome" => outcome).increment(1);
                drop(permit);
            }
            .in_current_span(),
        );
    }

    /// How many attempts it took, or the last error.
    async fn send_with_retries(&self, mail: Mail) -> anyhow::Result<usize> {
        let kind = mail.kind;
        let message = self.message(mail)?;
        let mut delays = RETRY_DELAYS.iter();
        let mut attempt = 1;
        loop {
            match self.transport.send(message.clone()).await {
                Ok(_) => return Ok(attempt),
                Err(e) => match delays.next() {
                    Some(delay) if !e.is_permanent() => {
                        tracing::warn!(kind, attempt, error = %e, "mail not sent yet: trying again");
                        tokio::time::sleep(*delay).await;
                        attempt += 1;
                    }
                    _ => return Err(anyhow::Error::new(e).context(format!("SMTP, after {attempt} attempt(s)"))),
                },
            }
        }
    }

    fn message(&self, mail: Mail) -> anyhow::Result<Message> {
        let to: Mailbox = mail.to.parse().context("recipient is not an address")?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .context("building the message")
    }
}
