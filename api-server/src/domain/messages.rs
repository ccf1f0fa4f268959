//! Sending, reading, editing and deleting messages.
//!
//! A send is one transaction: `seq` from the conversation row (its lock queues concurrent
//! senders, so seqs are gap-free, and membership changes of the group, which lock every
//! channel first), then the membership (and block) check, which so sees any removal that
//! committed first, the message, the sender's watermarks, and the `message.new` outbox row,
//! whose id therefore follows the removal's. A retry with the same `client_id` returns the
//! stored message and writes nothing (the rollback returns the seq too).
//!
//! A change to a stored message (edit, deletion by anyone, reaction: `reactions.rs`, a
//! moderator's deletion: `reports.rs`) takes the same lock first: [`visible_message`] holds the
//! conversation row `FOR NO KEY UPDATE`, then reads the message again. From there the changes
//! and sends of a conversation run one at a time, so a change bumps the conversation's
//! `change_version` (`shared::models::change_version::record`: an UPDATE of the row it already
//! holds, so no lock upgrade and no new wait) and versions commit in version order, which is
//! what lets a client that was away ask "changed since `v`" ([`crate::domain::message_changes`]).
//! Every lock a change takes after that (the message row, its reactions, its upload) is taken
//! under the conversation's, the order a send uses too (the row, then the replied-to message's
//! key share): no cycle, no deadlock. Outbox ids of the sends and changes of a conversation,
//! and of a membership change of its group, follow their commit order.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{OptionalExtension, PgConnection};
use serde::Serialize;
use shared::api::MessageDto;
use shared::enums::{GroupRole, MessageKind};
use shared::error::ErrorCode;
use shared::events::Event;
use shared::ids::{AttachmentId, ConversationId, MessageId, UserId};
use shared::models::attachment::Attachment;
use shared::models::change_version;
use shared::models::conversation::{Conversation, Member};
use shared::models::group::GroupMember;
use shared::models::message::{Message, NewMessage, Window};
use shared::models::outbox::Outbox;
use shared::models::reaction;
use shared::Error;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::conversations::{not_found, require_member, require_no_block};
use crate::domain::message_view::{decorate, for_everyone, visible_message};
use crate::domain::validate::{self, Checks};
use crate::domain::{events, flood, media};

pub const HISTORY_MAX: i64 = 100;

pub struct SendInput {
    pub client_id: Uuid,
    pub kind: String,
    pub body: String,
    pub reply_to_id: Option<MessageId>,
    pub attachment_id: Option<AttachmentId>,
}

pub enum Sent {
    /// 201: stored now.
    Created(MessageDto),
    /// 200: the same client_id was sent before; nothing new was written.
    Existing(MessageDto),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagesPage {
    /// Ascending by seq (with `changed_since`: by `change_version`).
    pub items: Vec<MessageDto>,
    /// More messages exist beyond this page in the direction asked (with `around`: older ones).
    pub has_more: bool,
    /// With `around` only: newer messages exist after this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_more_after: Option<bool>,
    /// With `changed_since`: the version to ask from next (the last item's while `has_more`,
    /// else the conversation's). Otherwise: the conversation's change version when the page
    /// was read; the items reflect every change up to it.
    pub change_version: i64,
}

const RACE: ErrorCode = ErrorCode::ClientIdRace;

#[tracing::instrument(name = "send", skip_all, fields(conversation_id = conversation_id.0))]
pub fn send(
    conn: &mut Outbox<'_>,
    me: UserId,
    conversation_id: ConversationId,
    input: SendInput,
) -> Result<Sent, Error> {
    let (kind, body) = check_send(&input)?;
    match conn.transaction(|conn| send_in_transaction(conn, me, conversation_id, &input, kind, &body)) {
        // A retry (or a concurrent twin) of a stored send: answer with the stored message.
        Err(e) if e.code == RACE => existing(conn, me, conversation_id, input.client_id)?.ok_or(e),
        other => other,
    }
}

fn check_send(input: &SendInput) -> Result<(MessageKind, String), Error> {
    let mut checks = Checks::default();
    let (kind, min, needs_attachment) = match MessageKind::parse(&input.kind) {
        Some(MessageKind::Text) => (MessageKind::Text, 1, false),
        Some(kind @ (MessageKind::Image | MessageKind::File | MessageKind::Voice)) => (kind, 0, true),
        _ => {
            return Err(Error::invalid("kind", "must be one of text, image, file, voice"));
        }
    };
    let body = checks.check(validate::text("body", &input.body, min, validate::MESSAGE_MAX, true));
    if needs_attachment && input.attachment_id.is_none() {
        checks.check::<()>(Err(shared::error::FieldError::new("attachment_id", "is required for this kind")));
    }
    if !needs_attachment && input.attachment_id.is_some() {
        checks.check::<()>(Err(shared::error::FieldError::new(
            "attachment_id",
            "only image, file and voice messages carry one",
        )));
    }
    checks.finish()?;
    Ok((kind, body.unwrap_or_default()))
}

fn existing(
    conn: &mut PgConnection,
    me: UserId,
    conversation_id: ConversationId,
    client_id: Uuid,
) -> Result<Option<Sent>, Error> {
    match Message::find_by_client_id(conn, me, client_id)? {
        Some(m) if m.conversation_id == conversation_id => {
            let mut dto = MessageDto::from(&m);
            decorate(conn, std::slice::from_mut(&mut dto), me)?;
            Ok(Some(Sent::Existing(dto)))
        }
        Some(_) => Err(Error::conflict(ErrorCode::ClientIdReused, "this client_id was used for another conversation")),
        None => Ok(None),
    }
}

#[tracing::instrument(name = "send_transaction", skip_all)]
fn send_in_transaction(
    conn: &mut Outbox<'_>,
    me: UserId,
    conversation_id: ConversationId,
    input: &SendInput,
    kind: MessageKind,
    body: &str,
) -> Result<Sent, Error> {
    // The lock first, the membership check after it (module doc).
    let (seq, at) = Conversation::next_seq(conn, conversation_id).optional()?.ok_or_else(not_found)?;
    let (conversation, _member) = require_member(conn, conversation_id, me)?;
    flood::check(conn, me)?;
    // No look-up of `client_id` first: a retry hits the unique key at the insert, which rolls
    // the whole transaction back (the seq included, so no gap) and `send` answers with the
    // stored message. Saves a round trip on every first send.
    require_no_block(conn, &conversation, me)?;
    if let Some(reply_to) = input.reply_to_id {
        let ok = Message::find(conn, reply_to).optional()?.is_some_and(|m| m.conversation_id == conversation_id);
        if !ok {
            return Err(Error::invalid("reply_to_id", "no such message in this conversation"));
        }
    }
    let attachment = match input.attachment_id {
        Some(id) => {
            let upload = Attachment::find(conn, id)?
                .filter(|a| a.owner_id == me)
                .ok_or_else(|| Error::invalid("attachment_id", "no such upload of yours"))?;
            media::check_fits(&upload, kind)?;
            Some(upload)
        }
        None => None,
    };
    let new = NewMessage {
        conversation_id,
        seq,
        sender_id: me,
        client_id: input.client_id,
        kind,
        body,
        attachment_id: input.attachment_id,
        reply_to_id: input.reply_to_id,
        created_at: at,
    };
    let message = Message::insert(conn, &new).map_err(|e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            Error::conflict(RACE, "this message was stored by an earlier try")
        }
        other => other.into(),
    })?;
    tracing::debug!(seq, message_id = message.id.0, "message stored");
    // My own message is read by me.
    Member::advance(conn, conversation_id, me, seq, seq)?;
    let dto = MessageDto { attachment: attachment.as_ref().map(Into::into), ..MessageDto::from(&message) };
    events::to_conversation(conn, &conversation, &Event::MessageNew(dto.clone()))?;
    Ok(Sent::Created(dto))
}

/// `GET /conversations/{id}/messages`: `after_seq` (ascending from there), `before_seq`
/// (the page just before), or the newest; never what I cleared.
pub fn history(
    conn: &mut PgConnection,
    me: UserId,
    conversation_id: ConversationId,
    before_seq: Option<i64>,
    after_seq: Option<i64>,
    limit: Option<i64>,
) -> Result<MessagesPage, Error> {
    let limit = validate::limit(limit, HISTORY_MAX).map_err(|e| Error::validation(vec![e]))?;
    let window = match (before_seq, after_seq) {
        (Some(_), Some(_)) => return Err(Error::invalid("before_seq", "give before_seq or after_seq, not both")),
        (Some(b), None) if b < 1 => return Err(Error::invalid("before_seq", "must be at least 1")),
        (None, Some(a)) if a < 0 => return Err(Error::invalid("after_seq", "must not be negative")),
        (Some(b), None) => Window::Before(b),
        (None, Some(a)) => Window::After(a),
        (None, None) => Window::Latest,
    };
    let (conversation, member) = require_member(conn, conversation_id, me)?;
    let mut rows = Message::page(conn, conversation_id, member.cleared_seq, window, limit + 1)?;
    let has_more = shared::num::len_i64(rows.len()) > limit;
    if has_more {
        match window {
            Window::After(_) => {
                rows.pop();
            }
            _ => {
                rows.remove(0);
            }
        }
    }
    let mut items: Vec<MessageDto> = rows.iter().map(MessageDto::from).collect();
    decorate(conn, &mut items, me)?;
    Ok(MessagesPage { items, has_more, has_more_after: None, change_version: conversation.change_version })
}

pub fn edit(conn: &mut Outbox<'_>, me: UserId, message_id: MessageId, body: &str) -> Result<MessageDto, Error> {
    let body = validate::text("body", body, 1, validate::MESSAGE_MAX, true).map_err(|e| Error::validation(vec![e]))?;
    conn.transaction(|conn| {
        let (message, conversation) = visible_message(conn, me, message_id)?;
        if message.sender_id != me {
            return Err(Error::forbidden(ErrorCode::NotMessageAuthor, "only the author can edit a message"));
        }
        if message.deleted_at.is_some() {
            return Err(Error::conflict(ErrorCode::MessageDeleted, "a deleted message cannot be edited"));
        }
        require_no_block(conn, &conversation, me)?;
        change_version::record(conn, &message)?;
        let mut dto = MessageDto::from(&Message::edit(conn, message_id, &body)?);
        decorate(conn, std::slice::from_mut(&mut dto), me)?;
        events::to_conversation(conn, &conversation, &Event::MessageUpdated(for_everyone(&dto)))?;
        Ok(dto)
    })
}

/// The author, or an admin/owner of the group, deletes a message (tombstone). Idempotent.
pub fn delete(conn: &mut Outbox<'_>, me: UserId, message_id: MessageId) -> Result<(), Error> {
    conn.transaction(|conn| {
        let (message, conversation) = visible_message(conn, me, message_id)?;
        if message.deleted_at.is_some() {
            return Ok(());
        }
        if message.sender_id != me {
            let moderator = match conversation.group_id {
                Some(g) => GroupMember::find(conn, g, me)?.is_some_and(|m| m.role >= GroupRole::Admin),
                None => false,
            };
            if !moderator {
                return Err(Error::forbidden(
                    ErrorCode::NotMessageAuthor,
                    "only the author or a group admin can delete a message",
                ));
            }
        }
        tombstone(conn, &conversation, &message)
    })
}

/// Replaces a message by its tombstone and tells the conversation (inside the caller's
/// transaction; the caller checked who may do it). Its upload goes too when nothing else uses
/// it: the row now, the bytes by the media sweeper (`media_trash`). The change version is
/// bumped first: its UPDATE locks the conversation row before the message's (module doc).
pub(crate) fn tombstone(conn: &mut Outbox<'_>, conversation: &Conversation, message: &Message) -> Result<(), Error> {
    change_version::record(conn, message)?;
    let dto = MessageDto::from(&Message::tombstone(conn, message.id)?);
    reaction::clear(conn, message.id)?;
    if let Some(upload) = message.attachment_id {
        Attachment::trash_unreferenced(conn, &[upload])?;
    }
    events::to_conversation(conn, conversation, &Event::MessageUpdated(dto))
}
