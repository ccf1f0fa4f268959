//! One WebSocket connection.
//!
//! # Concurrency model
//! One task per socket, on the actix worker that accepted it (`MessageStream` is not `Send`):
//! setup, then a loop that reads the client's frames, writes what the hub queued, and watches
//! the heartbeat deadline. The hub holds the queue's sender and the socket's [`Closer`].
//! One task, not a reader and a writer, and its state held once ([`Socket`]): an idle socket
//! pays for ~1.4 KiB of task (BENCHMARKS.md, Change 4).
//!
//! # Lifecycle
//! upgrade (ticket and Origin checked) -> [`admit`]: registered in the hub (within the user's
//! socket cap) -> handshake -> [`start`] -> `user.<uid>` and `presence.*` bound -> the session
//! checked once more (a sign-out that happened before the binding is not missed: either it is
//! seen now or its `session.revoked` arrives), the user's settings read in the same trip to
//! the database -> the user's groups loaded (unless another socket
//! of the user already did) -> their `group.<gid>` keys bound -> `ready {session_id,
//! heartbeat_ms}` -> presence join -> the loop (each client `heartbeat` answered with a
//! `heartbeat` event at once, so the client can tell a dead socket from a quiet one).
//! [`crate::revalidate`] re-checks the session
//! periodically until the socket closes.
//! Any side may close: the first reason wins ([`crate::close`] lists the codes); the task
//! then unregisters (dropping bindings nobody else needs) and sends the close frame.
//!
//! # Backpressure
//! The queue ([`crate::hub::socket_queue`]: it holds no memory while empty) holds
//! [`Tuning::outbound_queue`] frames. The hub only `try_send`s into it; when it
//! is full the client is too slow and is closed with 4008. Only this task awaits the client
//! (actix-ws' own channel of 32, then TCP); a write still waiting when the heartbeat deadline
//! (3 heartbeats after the client's last frame) passes closes the socket with 4008 too, since
//! meanwhile no client frame is read. On close it drops what is still queued, then gives the
//! close frame [`Tuning::close_timeout`] to leave. A client's own frames are limited to
//! [`Tuning::max_frame_bytes`] (1009 beyond) and typing to a few per second.
//!
//! [`Tuning::outbound_queue`]: crate::config::Tuning
//! [`Tuning::close_timeout`]: crate::config::Tuning
//! [`Tuning::max_frame_bytes`]: crate::config::Tuning

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::LazyLock;
use std::time::Duration;

use actix_ws::{
    AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Closed, MessageStream, ProtocolError, Session,
};
use shared::broker::now_ms;
use shared::events::{ClientEvent, Event, PresenceEvent, RoutingKey, PRESENCE_ALL};
use shared::metrics::{WS_DELIVERIES, WS_DELIVERY_LATENCY, WS_DROPPED};
use tokio::time::{Instant, Sleep};

use crate::close::{Closer, HEARTBEAT_TIMEOUT, SESSION_REVOKED, SLOW_CONSUMER};
use crate::hub::socket_queue::{self, Receiver, Sender, TrySendError};
use crate::hub::{Frame, Outbound, Refused, SessionId};
use crate::membership::{self, LoadError};
use crate::state::AppState;
use crate::ticket::Admitted;
use crate::typing::{self, RateLimit, TypingError};
use shared::ids::{ConversationId, UserId};

/// A socket let in before its handshake: registered in the hub (so it counts against the
/// user's cap) with its queue. Dropped without [`start`], it leaves the hub again.
pub struct Admission {
    registration: Registration,
    admitted: Admitted,
    tx: Sender,
    rx: Receiver,
}

/// Registers a socket of a redeemed ticket; refused while shutting down or over the cap.
pub fn admit(state: &AppState, admitted: Admitted) -> Result<Admission, Refused> {
    let (tx, rx) = socket_queue::channel(state.tuning.outbound_queue);
    let closer = Closer::default();
    let max = state.tuning.max_sockets_per_user;
    let id = state.hub.register(admitted.user_id, admitted.session, tx.clone(), closer.clone(), max)?;
    Ok(Admission { registration: Registration { state: state.clone(), id, closer }, admitted, tx, rx })
}

/// Starts the task of an upgraded socket.
pub fn start(admission: Admission, session: Session, stream: MessageStream) {
    let Admission { registration, admitted, tx, rx } = admission;
    let tuning = &registration.state.tuning;
    let max = tuning.max_frame_bytes;
    let socket = Socket {
        user_id: admitted.user_id,
        device: admitted.session,
        typing: RateLimit::per_second(tuning.typing_per_second),
        silence: registration.state.settings.heartbeat * 3,
        stream: stream.max_frame_size(max).aggregate_continuations().max_continuation_size(max),
        out: Outgoing { session, rx },
        tx,
        registration,
    };
    actix_web::rt::spawn(socket.run());
}

/// Queues `ready` (before any event) and announces the user online; `false` when the socket
/// closed meanwhile. Not async: nothing of it stays in the socket's task.
fn announce_ready(state: &AppState, id: SessionId, user_id: UserId, closer: &Closer) -> bool {
    let session_id = uuid::Uuid::new_v4().to_string();
    let ready =
        Event::Ready { session_id: session_id.clone(), heartbeat_ms: shared::num::millis(state.settings.heartbeat) };
    let Some(ready) = Frame::from_event(&ready) else {
        closer.close(CloseCode::Error, "internal error");
        return false;
    };
    if !state.hub.mark_ready(id, &ready) {
        return false;
    }
    state.presence.joined(user_id);
    tracing::debug!(user_id = user_id.0, session_id, "socket ready");
    true
}

#[derive(Debug, thiserror::Error)]
enum SetupError {
    #[error("the broker bindings of this connection are not in place")]
    Unbound,
    #[error("session revoked")]
    Revoked,
    #[error("checking the session failed: {0}")]
    Check(shared::Error),
    #[error(transparent)]
    Membership(#[from] LoadError),
    #[error("the account no longer exists")]
    NoUser,
}

impl SetupError {
    fn close_code(&self) -> CloseCode {
        match self {
            SetupError::Unbound => CloseCode::Again,
            SetupError::Revoked | SetupError::NoUser => CloseCode::Other(SESSION_REVOKED),
            SetupError::Check(_) | SetupError::Membership(_) => CloseCode::Error,
        }
    }
}

/// Bindings for the user, then the user's groups, then theirs: `ready` promises all of them.
async fn establish(state: &AppState, user_id: UserId, device: uuid::Uuid) -> Result<(), SetupError> {
    let (hub, wait) = (&state.hub, state.tuning.bind_timeout);
    let base = [RoutingKey::User(user_id).to_string(), PRESENCE_ALL.to_owned()];
    if !hub.wait_bound(&base, wait).await {
        return Err(SetupError::Unbound);
    }
    // Both read after `user.<uid>` and `presence.*` are bound, in one trip: a sign-out committed
    // since the ticket was redeemed is either seen here or announced on that key, and so is a
    // later change of the settings (set at once, so no event can fall between read and set).
    let (live, settings) =
        membership::session_and_settings(&state.pool, user_id, device).await.map_err(SetupError::Check)?;
    if !live {
        return Err(SetupError::Revoked);
    }
    hub.set_hides_reads(user_id, settings.ok_or(SetupError::NoUser)?.hides_reads);
    // Loaded after `user.<uid>` is bound, so no membership event can fall between the two.
    if !matches!(hub.membership_generation(user_id), Some((_, true))) {
        membership::load_groups(hub, &state.pool, user_id).await?;
    }
    if !hub.wait_bound(&hub.keys_of(user_id), wait).await {
        return Err(SetupError::Unbound);
    }
    Ok(())
}

/// Leaves the hub however the socket's task ends (even if it is dropped).
struct Registration {
    state: AppState,
    id: SessionId,
    closer: Closer,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.closer.close(CloseCode::Away, "going away");
        if let Some(departure) = self.state.hub.unregister(self.id) {
            if departure.last {
                self.state.presence.left(departure.user_id);
            }
        }
    }
}

/// The socket's side that writes: the actix-ws session and the queue the hub fills.
struct Outgoing {
    session: Session,
    rx: Receiver,
}

/// Everything a socket keeps, owned by its one task. Its methods borrow it (`&mut self`), so
/// the task's state holds each part once: an idle socket's memory is mostly this struct and
/// the futures of the loop's one `select!` (BENCHMARKS.md, idle memory).
struct Socket {
    registration: Registration,
    user_id: UserId,
    device: uuid::Uuid,
    typing: RateLimit,
    /// The client's frames; no frame for this long closes the socket (heartbeat timeout).
    stream: AggregatedMessageStream,
    silence: Duration,
    /// Kept so the queue never reports "every sender gone", and for presence answers.
    tx: Sender,
    out: Outgoing,
}

/// What every client `heartbeat` is answered with (serialized once per process).
static HEARTBEAT_ANSWER: LazyLock<Option<Frame>> = LazyLock::new(|| Frame::from_event(&Event::Heartbeat));

/// Presence answers are queued this many at a time.
const ANSWER_CHUNK: usize = 32;

/// Queued items written in a row before the client's frames are looked at again.
const WRITE_BURST: usize = 64;

enum Step {
    Client(Option<Result<AggregatedMessage, ProtocolError>>),
    Queued(Option<Outbound>),
    Silent,
}

impl Socket {
    /// Not an `async fn`: an `async fn` keeps its moved-in `self` twice in the task's state
    /// (456 bytes more per socket, `-Zprint-type-sizes`).
    #[allow(clippy::manual_async_fn)]
    fn run(mut self) -> impl std::future::Future<Output = ()> {
        async move {
            self.serve().await;
            let (closer, close_timeout) =
                (self.registration.closer.clone(), self.registration.state.tuning.close_timeout);
            // Leaves the hub (deciding "going away" if nothing else did) before waiting on the client.
            drop(self.registration);
            // Frees what a slow client left queued before waiting on it any longer.
            drop(self.out.rx);
            let reason = closer.reason().unwrap_or_else(|| crate::close::reason(CloseCode::Away, "going away"));
            let _ = tokio::time::timeout(close_timeout, self.out.session.close(Some(reason))).await;
        }
    }

    async fn serve(&mut self) {
        let Registration { state, id, closer } = &self.registration;
        // Boxed (here and for each client frame below): the states of these rarely-live futures
        // would otherwise stay inside every idle socket's task.
        let setup = Box::pin(establish(state, self.user_id, self.device));
        let ready = match tokio::select! { r = setup => r, _ = closer.closed() => return } {
            Ok(()) => announce_ready(state, *id, self.user_id, closer),
            Err(e) => {
                tracing::warn!(user_id = self.user_id.0, error = %e, "socket setup failed");
                closer.close(e.close_code(), &e.to_string());
                false
            }
        };
        if ready {
            self.serve_ready().await;
        }
    }

    /// The loop: the client's frames, the queued items, the heartbeat deadline.
    async fn serve_ready(&mut self) {
        // One timer for the socket's life, moved on by each client frame.
        let silent = tokio::time::sleep(self.silence);
        tokio::pin!(silent);
        loop {
            // The client's frames first: they are rare, and a busy queue must not starve them.
            let step = tokio::select! {
                biased;
                _ = self.registration.closer.closed() => return,
                msg = self.stream.recv() => Step::Client(msg),
                item = self.out.rx.recv() => Step::Queued(item),
                _ = &mut silent => Step::Silent,
            };
            let msg = match step {
                Step::Queued(Some(item)) => {
                    if !self.write_burst(item, silent.as_mut(), WRITE_BURST).await {
                        return;
                    }
                    continue;
                }
                // Not while `self.tx` lives; handled like a lost connection all the same.
                Step::Queued(None) => None,
                Step::Silent => {
                    self.registration.closer.close(CloseCode::Other(HEARTBEAT_TIMEOUT), "heartbeat timeout");
                    return;
                }
                Step::Client(msg) => msg,
            };
            silent.as_mut().reset(Instant::now() + self.silence);
            let (code, why) = match msg {
                Some(Ok(AggregatedMessage::Text(text))) => {
                    Box::pin(self.on_text(&text, silent.as_mut())).await;
                    continue;
                }
                Some(Ok(AggregatedMessage::Ping(payload))) => {
                    let Registration { state, id, .. } = &self.registration;
                    state.hub.send_to(*id, Outbound::Pong(Box::new(payload)));
                    continue;
                }
                Some(Ok(AggregatedMessage::Pong(_))) => continue,
                Some(Ok(AggregatedMessage::Binary(_))) => (CloseCode::Unsupported, "binary frames are not supported"),
                Some(Ok(AggregatedMessage::Close(reason))) => (echo(reason), ""),
                Some(Err(e)) => protocol_close(&e),
                None => (CloseCode::Away, "connection lost"),
            };
            self.registration.closer.close(code, why);
            return;
        }
    }

    /// Writes `item` and what queued behind it, up to [`WRITE_BURST`] items; `false` when the
    /// socket is closing (the reason is decided). A write still waiting for the client when the
    /// heartbeat deadline passes closes it as a slow consumer: meanwhile none of its frames
    /// could be read.
    async fn write_burst(&mut self, mut item: Outbound, mut silent: Pin<&mut Sleep>, burst: usize) -> bool {
        let closer = &self.registration.closer;
        for left in (0..burst).rev() {
            let written = tokio::select! {
                biased;
                _ = closer.closed() => return false,
                r = write(&mut self.out.session, item) => r,
                _ = silent.as_mut() => {
                    if closer.close(CloseCode::Other(SLOW_CONSUMER), "slow consumer") {
                        metrics::counter!(WS_DROPPED, "reason" => "slow_consumer").increment(1);
                        tracing::warn!(user_id = self.user_id.0, "closing a slow consumer (a write outwaited the heartbeat deadline)");
                    }
                    return false;
                }
            };
            if written.is_err() {
                closer.close(CloseCode::Away, "connection lost");
                return false;
            }
            if left == 0 {
                break;
            }
            match self.out.rx.try_recv() {
                Ok(next) => item = next,
                Err(_) => break,
            }
        }
        true
    }

    async fn on_text(&mut self, text: &str, silent: Pin<&mut Sleep>) {
        match parse_client_event(text) {
            Err(e) => self.send_error(e.code(), &e.to_string()),
            Ok(ClientEvent::Heartbeat) => {
                if let Some(answer) = HEARTBEAT_ANSWER.as_ref() {
                    self.registration.state.hub.send_to(self.registration.id, Outbound::Answer(answer.clone()));
                }
            }
            Ok(ClientEvent::Typing { conversation_id, active }) => self.on_typing(conversation_id, active).await,
            Ok(ClientEvent::PresenceSubscribe { user_ids }) => self.on_presence_subscribe(user_ids, silent).await,
        }
    }

    async fn on_typing(&mut self, conversation_id: ConversationId, active: bool) {
        if !self.typing.allow() {
            metrics::counter!(WS_DROPPED, "reason" => "typing_rate_limited").increment(1);
            return;
        }
        match typing::publish(&self.registration.state, self.user_id, conversation_id, active).await {
            Ok(()) => {}
            Err(e @ TypingError::NotMember(_)) => self.send_error("not_a_member", &e.to_string()),
            Err(e @ TypingError::Blocked(_)) => self.send_error("blocked", &e.to_string()),
            // Ephemeral: a lost typing event is not worth bothering the client.
            Err(e) => tracing::debug!(user_id = self.user_id.0, error = %e, "typing dropped"),
        }
    }

    async fn on_presence_subscribe(&mut self, user_ids: Vec<UserId>, mut silent: Pin<&mut Sleep>) {
        let mut seen = HashSet::new();
        let mut ids: Vec<UserId> = user_ids.into_iter().filter(|id| seen.insert(*id)).collect();
        let max = self.registration.state.tuning.max_presence_ids;
        if ids.len() > max {
            ids.truncate(max);
            self.send_error("too_many_user_ids", &format!("only the first {max} user ids are followed"));
        }
        // Privacy: users hidden from this viewer answer "offline, never seen" (also when the
        // database cannot tell: hidden is the safe side).
        let visible = membership::presence_visible_to(&self.registration.state.pool, self.user_id, ids.clone()).await;
        let visible = visible.unwrap_or_default();
        let (shown, hidden): (Vec<UserId>, Vec<UserId>) = ids.iter().partition(|id| visible.contains(id));
        self.registration.state.hub.watch(self.registration.id, &shown, &hidden);
        let mut answers = self.registration.state.presence.current(&shown).await;
        answers.extend(hidden.iter().map(|&user_id| PresenceEvent { user_id, online: false, last_seen_at: None }));
        let mut frames = answers.into_iter().filter_map(|p| {
            let (user_id, online) = (p.user_id, p.online);
            Frame::from_event(&Event::Presence(p)).map(|frame| (user_id, online, frame))
        });
        // Up to 500 answers do not fit the queue at once: make room by writing, chunk by chunk
        // (this only delays this client's own requests).
        loop {
            let chunk: Vec<_> = frames.by_ref().take(ANSWER_CHUNK.min(self.tx.max_capacity())).collect();
            if chunk.is_empty() {
                return;
            }
            let slots = loop {
                match self.tx.try_reserve(chunk.len()) {
                    Ok(slots) => break slots,
                    Err(TrySendError::Closed) => return,
                    // Full: this task is the queue's only writer, so room comes from writing.
                    Err(TrySendError::Full) => {
                        let Ok(item) = self.out.rx.try_recv() else { return };
                        if !self.write_burst(item, silent.as_mut(), 1).await {
                            return;
                        }
                    }
                }
            };
            self.registration.state.hub.answer_presence(self.registration.id, chunk, slots);
        }
    }

    fn send_error(&self, code: &str, message: &str) {
        let event = Event::Error { code: code.to_owned(), message: message.to_owned() };
        if let Some(frame) = Frame::from_event(&event) {
            self.registration.state.hub.send_to(self.registration.id, Outbound::Event(frame));
        }
    }
}

/// Answer a client's close with its own code (RFC 6455 5.5.1).
fn echo(reason: Option<CloseReason>) -> CloseCode {
    reason.map(|r| r.code).unwrap_or(CloseCode::Normal)
}

fn protocol_close(e: &ProtocolError) -> (CloseCode, &'static str) {
    match e {
        ProtocolError::Overflow => (CloseCode::Size, "frame too large"),
        // actix-ws reports an oversized aggregated message as an I/O error with this text.
        ProtocolError::Io(io) if io.to_string().contains("continuation size") => (CloseCode::Size, "message too large"),
        _ => (CloseCode::Protocol, "protocol error"),
    }
}

/// Why a client frame was not understood; sent back as an `error` event.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientError {
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("invalid event: {0}")]
    Invalid(String),
}

impl ClientError {
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::MalformedJson(_) => "malformed_json",
            ClientError::UnknownType(_) => "unknown_type",
            ClientError::Invalid(_) => "invalid_event",
        }
    }
}

const CLIENT_TYPES: [&str; 3] = ["heartbeat", "typing", "presence.subscribe"];

pub fn parse_client_event(text: &str) -> Result<ClientEvent, ClientError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| ClientError::MalformedJson(e.to_string()))?;
    match value.get("type").and_then(serde_json::Value::as_str) {
        None => Err(ClientError::Invalid("a string \"type\" is required".into())),
        Some(kind) if !CLIENT_TYPES.contains(&kind) => Err(ClientError::UnknownType(kind.chars().take(64).collect())),
        Some(_) => serde_json::from_value(value).map_err(|e| ClientError::Invalid(e.to_string())),
    }
}

async fn write(session: &mut Session, item: Outbound) -> Result<(), Closed> {
    match item {
        Outbound::Event(frame) => {
            let published_at_ms = frame.published_at_ms();
            session.text(frame.into_text()).await?;
            metrics::counter!(WS_DELIVERIES).increment(1);
            if let Some(at) = published_at_ms {
                metrics::histogram!(WS_DELIVERY_LATENCY).record((now_ms() - at).max(0) as f64 / 1000.0);
            }
            Ok(())
        }
        Outbound::Answer(frame) => session.text(frame.into_text()).await,
        Outbound::Pong(payload) => session.pong(&payload).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_events_parse_or_say_why() {
        assert_eq!(parse_client_event(r#"{"type":"heartbeat"}"#), Ok(ClientEvent::Heartbeat));
        assert_eq!(parse_client_event("{nope").map_err(|e| e.code()), Err("malformed_json"));
        assert_eq!(parse_client_event(r#"{"type":"dance"}"#).map_err(|e| e.code()), Err("unknown_type"));
        assert_eq!(parse_client_event(r#"{"type":"typing","data":{}}"#).map_err(|e| e.code()), Err("invalid_event"));
        assert_eq!(parse_client_event(r#"[1]"#).map_err(|e| e.code()), Err("invalid_event"));
    }
}
