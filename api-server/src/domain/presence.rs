//! `GET /presence?ids=`: who is online now (Memcached, written by the ws-server nodes) and when
//! each was last seen (PostgreSQL). Memcached down: everyone shows offline, as designed.

use std::collections::HashMap;

use shared::events::PresenceEvent;
use shared::models::privacy;
use shared::models::user::User;
use shared::{db, presence, Error};

use crate::state::AppState;
use shared::ids::UserId;

pub const MAX_IDS: usize = 200;

/// `1,2,3` -> ids (distinct, in order).
pub fn parse_ids(raw: &str) -> Result<Vec<UserId>, Error> {
    let mut ids = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id: UserId = part.parse().map_err(|_| Error::invalid("ids", "must be comma-separated user ids"))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(Error::invalid("ids", format!("give 1 to {MAX_IDS} user ids")));
    }
    Ok(ids)
}

/// One entry per id that names an existing user; offline and never seen where the user's
/// privacy settings hide it from `viewer`.
pub async fn lookup(state: &AppState, viewer: UserId, ids: Vec<UserId>) -> Result<Vec<PresenceEvent>, Error> {
    let cache = state.cache.clone();
    let wanted = ids.clone();
    let online: HashMap<UserId, bool> = shared::telemetry::spawn_blocking(move || {
        presence::online_many(&cache, &wanted, shared::broker::now_ms()).unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    let (seen, visible) = db::run(&state.pool, move |conn| {
        Ok((User::last_seen_many(conn, &ids)?, privacy::last_seen_visible_to(conn, viewer, &ids)?))
    })
    .await?;
    let mut list: Vec<PresenceEvent> = seen
        .into_iter()
        .map(|(user_id, last_seen_at)| match visible.contains(&user_id) {
            true => PresenceEvent { user_id, online: online.get(&user_id).copied().unwrap_or(false), last_seen_at },
            false => PresenceEvent { user_id, online: false, last_seen_at: None },
        })
        .collect();
    list.sort_by_key(|p| p.user_id);
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_parsed_and_bounded() {
        assert_eq!(parse_ids("3, 1,3,,2").ok(), Some(vec![UserId(3), UserId(1), UserId(2)]));
        assert!(parse_ids("").is_err());
        assert!(parse_ids("1,x").is_err());
        let many: Vec<String> = (0..=MAX_IDS).map(|i| i.to_string()).collect();
        assert!(parse_ids(&many.join(",")).is_err());
    }
}
