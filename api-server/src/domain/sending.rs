//! Sending a message and starting a direct chat, as a handler asks for them: the transaction
//! (`messages::send`, `conversations::open_direct`, through `AppState::write`), then what
//! follows a commit: the sent-messages counter, the "message sent" line and flood control's
//! counting (Memcached, off the transaction).

use shared::api::ConversationDto;
use shared::Error;

use crate::domain::messages::{self, SendInput, Sent};
use crate::domain::{conversations, flood};
use crate::state::AppState;
use shared::ids::{ConversationId, UserId};

pub async fn send(
    state: &AppState,
    me: UserId,
    conversation_id: ConversationId,
    input: SendInput,
) -> Result<Sent, Error> {
    let sent = state.write(move |conn| messages::send(conn, me, conversation_id, input)).await?;
    if let Sent::Created(m) = &sent {
        metrics::counter!(shared::metrics::MESSAGES_SENT).increment(1);
        tracing::info!(conversation_id = m.conversation_id.0, seq = m.seq, message_id = m.id.0, "message sent");
        if let Some(fp) = flood::fingerprint(&m.body) {
            let (cache, pool, settings) = (state.cache.clone(), state.pool.clone(), state.settings.clone());
            flood::observe(move || flood::after_send(&cache, &pool, &settings, me, &fp)).await;
        }
    }
    Ok(sent)
}

/// The direct chat with `peer`, and whether this call created it.
pub async fn open_direct(state: &AppState, me: UserId, peer: UserId) -> Result<(ConversationDto, bool), Error> {
    let (dto, created) = state.write(move |conn| conversations::open_direct(conn, me, peer)).await?;
    if created {
        let (cache, pool, settings) = (state.cache.clone(), state.pool.clone(), state.settings.clone());
        flood::observe(move || flood::after_new_chat(&cache, &pool, &settings, me)).await;
    }
    Ok((dto, created))
}
