//! Reports: a member flags a message for the admins; admins work through the queue and
//! dismiss a report, delete the message, or suspend its sender. One decision resolves every
//! open report of that message.

use std::collections::HashMap;

use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use shared::api::{AdminUserDto, MessageDto, ReportDto, ReportReceiptDto, UserDto};
use shared::cache::Cache;
use shared::enums::ReportResolution;
use shared::error::ErrorCode;
use shared::ids::{MessageId, ReportId, UserId};
use shared::models::conversation::Conversation;
use shared::models::message::Message;
use shared::models::outbox::Outbox;
use shared::models::report::{Report, Status};
use shared::models::user::User;
use shared::Error;
use utoipa::ToSchema;

use crate::domain::message_view::visible_message;
use crate::domain::messages;
use crate::domain::{admin, media, validate};
use shared::token_gate;

pub const PAGE_MAX: i64 = 100;

/// `me` reports a message they can see (not their own). Reporting it again returns the first
/// report unchanged.
pub fn file(
    conn: &mut PgConnection,
    me: UserId,
    message_id: MessageId,
    reason: &str,
) -> Result<ReportReceiptDto, Error> {
    let reason =
        validate::text("reason", reason, 1, admin::REASON_MAX, true).map_err(|e| Error::validation(vec![e]))?;
    let (message, _) = visible_message(conn, me, message_id)?;
    if message.sender_id == me {
        return Err(Error::invalid("message_id", "you cannot report your own message"));
    }
    if message.deleted_at.is_some() {
        return Err(Error::conflict(ErrorCode::MessageDeleted, "this message was deleted already"));
    }
    let report = Report::file(conn, message_id, me, &reason)?;
    tracing::info!(report_id = report.id.0, message_id = message_id.0, "message reported");
    Ok((&report).into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFilter {
    Open,
    Resolved,
    All,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportsPage {
    /// Oldest first.
    pub items: Vec<ReportDto>,
    /// Pass as `after` for the next page; absent on the last page.
    #[schema(value_type = Option<i64>)]
    pub next_after: Option<ReportId>,
}

pub fn list(
    conn: &mut PgConnection,
    me: UserId,
    filter: Option<ReportFilter>,
    after: Option<ReportId>,
    limit: Option<i64>,
) -> Result<ReportsPage, Error> {
    let limit = validate::limit(limit, PAGE_MAX).map_err(|e| Error::validation(vec![e]))?;
    admin::require_admin(conn, me)?;
    let status = match filter.unwrap_or(ReportFilter::Open) {
        ReportFilter::Open => Status::Open,
        ReportFilter::Resolved => Status::Resolved,
        ReportFilter::All => Status::All,
    };
    let (rows, next_after) = validate::keyset_page(Report::page(conn, status, after, limit + 1)?, limit, |r| r.id);
    Ok(ReportsPage { items: describe(conn, &rows)?, next_after })
}

/// Reports with their messages, senders and reporters (three queries for the whole page).
fn describe(conn: &mut PgConnection, rows: &[Report]) -> Result<Vec<ReportDto>, Error> {
    let message_ids: Vec<MessageId> = rows.iter().map(|r| r.message_id).collect();
    let mut dtos: Vec<MessageDto> = Message::by_ids(conn, &message_ids)?.iter().map(MessageDto::from).collect();
    media::attach(conn, &mut dtos)?;
    let found: HashMap<MessageId, MessageDto> = dtos.into_iter().map(|m| (m.id, m)).collect();
    let user_ids: Vec<UserId> = rows.iter().map(|r| r.reporter_id).chain(found.values().map(|m| m.sender_id)).collect();
    let users: HashMap<UserId, User> = User::by_ids(conn, &user_ids)?.into_iter().map(|u| (u.id, u)).collect();
    Ok(rows
        .iter()
        .filter_map(|r| {
            let message = found.get(&r.message_id)?.clone();
            let sender = AdminUserDto::from(users.get(&message.sender_id)?);
            let reporter = UserDto::from(users.get(&r.reporter_id)?);
            Some(ReportDto {
                id: r.id,
                reason: r.reason.clone(),
                created_at: r.created_at,
                message,
                sender,
                reporter,
                resolved_at: r.resolved_at,
                resolution: r.resolution,
            })
        })
        .collect())
}

/// What an admin decides about a reported message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Nothing wrong: close the report(s).
    Dismiss,
    /// Remove the message for everyone (a tombstone stays).
    DeleteMessage,
    /// Delete the message and suspend its sender.
    SuspendSender,
}

impl Decision {
    fn resolution(self) -> ReportResolution {
        match self {
            Decision::Dismiss => ReportResolution::Dismissed,
            Decision::DeleteMessage => ReportResolution::MessageDeleted,
            Decision::SuspendSender => ReportResolution::UserSuspended,
        }
    }
}

pub fn resolve(
    conn: &mut Outbox<'_>,
    cache: &Cache,
    me: UserId,
    report_id: ReportId,
    decision: Decision,
) -> Result<ReportDto, Error> {
    admin::require_admin(conn, me)?;
    let report =
        Report::find(conn, report_id)?.ok_or_else(|| Error::not_found(ErrorCode::ReportNotFound, "no such report"))?;
    let message = Message::find(conn, report.message_id)?;
    let suspended = conn.transaction(|conn| {
        if decision != Decision::Dismiss && message.deleted_at.is_none() {
            let conversation = Conversation::find(conn, message.conversation_id)?;
            messages::tombstone(conn, &conversation, &message)?;
        }
        if decision == Decision::SuspendSender {
            if message.sender_id == me {
                return Err(Error::conflict(
                    ErrorCode::CannotSuspendSelf,
                    "an administrator cannot suspend their own account",
                ));
            }
            let sender =
                admin::suspend_in_transaction(conn, message.sender_id, &format!("reported message {}", message.id))?;
            Report::resolve_message(conn, message.id, me, decision.resolution())?;
            return Ok(Some(sender.token_version));
        }
        Report::resolve_message(conn, message.id, me, decision.resolution())?;
        Ok::<_, Error>(None)
    })?;
    if let Some(version) = suspended {
        token_gate::publish(cache, message.sender_id, version);
    }
    let updated =
        Report::find(conn, report_id)?.ok_or_else(|| Error::not_found(ErrorCode::ReportNotFound, "no such report"))?;
    describe(conn, std::slice::from_ref(&updated))?
        .pop()
        .ok_or_else(|| Error::internal(anyhow::anyhow!("report {report_id} lost its message or users")))
}
