//! WebSocket tickets already used (`ws_ticket_uses`): what makes a ticket single-use across
//! every ws node, whatever Memcached does (see `ws-server/src/ticket.rs`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::ws_ticket_uses;

/// Records the uses of these ticket ids (each with its ticket's expiry) in one statement;
/// returns the ids that were not used before. An id listed twice is recorded once.
pub fn record(conn: &mut PgConnection, uses: &[(uuid::Uuid, DateTime<Utc>)]) -> QueryResult<HashSet<uuid::Uuid>> {
    if uses.is_empty() {
        return Ok(HashSet::new());
    }
    let mut seen = HashSet::new();
    let rows: Vec<_> = uses
        .iter()
        .filter(|(jti, _)| seen.insert(*jti))
        .map(|(jti, expires_at)| (ws_ticket_uses::jti.eq(*jti), ws_ticket_uses::expires_at.eq(*expires_at)))
        .collect();
    let fresh: Vec<uuid::Uuid> = diesel::insert_into(ws_ticket_uses::table)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(ws_ticket_uses::jti)
        .get_results(conn)?;
    Ok(fresh.into_iter().collect())
}

/// Forgets uses whose tickets expired more than `after_secs` ago (no verifier accepts them any
/// more); returns how many.
pub fn sweep(conn: &mut PgConnection, after_secs: i32) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM ws_ticket_uses WHERE expires_at < now() - $1 * interval '1 second'")
        .bind::<diesel::sql_types::Integer, _>(after_secs)
        .execute(conn)
}
