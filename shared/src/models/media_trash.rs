//! Storage keys of media whose rows are gone: written in the transaction that deleted the row,
//! emptied by the media sweeper once the bytes are deleted (see `api-server` `domain::media_sweep`).

use diesel::prelude::*;

use crate::db::schema::media_trash;

pub fn add(conn: &mut PgConnection, keys: &[&str]) -> QueryResult<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = keys.iter().map(|k| media_trash::storage_key.eq(*k)).collect();
    diesel::insert_into(media_trash::table).values(rows).on_conflict_do_nothing().execute(conn)?;
    Ok(())
}

/// Up to `limit` keys, locked for this transaction (other replicas' sweepers skip them).
pub fn claim(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<String>> {
    media_trash::table
        .select(media_trash::storage_key)
        .order(media_trash::created_at)
        .limit(limit)
        .for_update()
        .skip_locked()
        .load(conn)
}

pub fn remove(conn: &mut PgConnection, keys: &[String]) -> QueryResult<usize> {
    diesel::delete(media_trash::table.filter(media_trash::storage_key.eq_any(keys))).execute(conn)
}
