//! Reports of messages by users, for the admins' queue.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::api::ReportReceiptDto;
use crate::db::schema::reports;
use crate::enums::ReportResolution;
use crate::ids::{MessageId, ReportId, UserId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = reports)]
pub struct Report {
    pub id: ReportId,
    pub message_id: MessageId,
    pub reporter_id: UserId,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<UserId>,
    pub resolution: Option<ReportResolution>,
}

/// Which reports a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Resolved,
    All,
}

impl Report {
    /// Files my report of a message; reporting it again changes nothing and returns the first.
    pub fn file(
        conn: &mut PgConnection,
        message_id: MessageId,
        reporter_id: UserId,
        reason: &str,
    ) -> QueryResult<Report> {
        let inserted = diesel::insert_into(reports::table)
            .values((
                reports::message_id.eq(message_id),
                reports::reporter_id.eq(reporter_id),
                reports::reason.eq(reason),
            ))
            .on_conflict((reports::message_id, reports::reporter_id))
            .do_nothing()
            .returning(Report::as_returning())
            .get_result(conn)
            .optional()?;
        match inserted {
            Some(r) => Ok(r),
            None => reports::table
                .filter(reports::message_id.eq(message_id))
                .filter(reports::reporter_id.eq(reporter_id))
                .select(Report::as_select())
                .first(conn),
        }
    }

    /// Oldest first; `after` is the last id of the previous page.
    pub fn page(
        conn: &mut PgConnection,
        status: Status,
        after: Option<ReportId>,
        limit: i64,
    ) -> QueryResult<Vec<Report>> {
        let mut query = reports::table.order(reports::id).limit(limit).select(Report::as_select()).into_boxed();
        query = match status {
            Status::Open => query.filter(reports::resolved_at.is_null()),
            Status::Resolved => query.filter(reports::resolved_at.is_not_null()),
            Status::All => query,
        };
        if let Some(after) = after {
            query = query.filter(reports::id.gt(after));
        }
        query.load(conn)
    }

    pub fn find(conn: &mut PgConnection, id: ReportId) -> QueryResult<Option<Report>> {
        reports::table.find(id).select(Report::as_select()).first(conn).optional()
    }

    /// Resolves every open report of the message (one decision answers them all).
    pub fn resolve_message(
        conn: &mut PgConnection,
        message_id: MessageId,
        admin: UserId,
        resolution: ReportResolution,
    ) -> QueryResult<usize> {
        diesel::update(reports::table.filter(reports::message_id.eq(message_id)).filter(reports::resolved_at.is_null()))
            .set((
                reports::resolved_at.eq(diesel::dsl::now),
                reports::resolved_by.eq(admin),
                reports::resolution.eq(resolution),
            ))
            .execute(conn)
    }
}

impl From<&Report> for ReportReceiptDto {
    fn from(r: &Report) -> Self {
        ReportReceiptDto { id: r.id, message_id: r.message_id, reason: r.reason.clone(), created_at: r.created_at }
    }
}
