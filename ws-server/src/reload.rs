//! After a broker reconnect, before the new consumer delivers anything (and before `resync`).
//!
//! The node queue died with the old connection, so every event published meanwhile went
//! nowhere: a member removed, a session revoked, a privacy setting changed. What those events
//! would have changed is read again from PostgreSQL for the users connected here and applied:
//! - sessions: a socket whose device (refresh-token family) is no longer signed in, or, for a
//!   socket without a device, whose user's token version moved past the one read at setup, is
//!   closed with 4001 (as `session.revoked` would have);
//! - group memberships: installed in the hub (the caller binds and unbinds the keys that
//!   changed before it consumes);
//! - privacy: who keeps read receipts to themselves, and who may see each followed user.

use actix_ws::CloseCode;
use shared::db::PgPool;

use crate::close::SESSION_REVOKED;
use crate::hub::{Hub, Install, SessionInfo};
use crate::membership::{self, LoadError, Reread};
use crate::presence::Presence;

/// What the reload did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reloaded {
    pub users: usize,
    pub closed: usize,
}

pub async fn after_reconnect(hub: &Hub, pool: &PgPool, presence: &Presence) -> Result<Reloaded, LoadError> {
    let users = hub.local_users();
    if users.is_empty() {
        return Ok(Reloaded::default());
    }
    let sessions = hub.sessions();
    let devices: Vec<uuid::Uuid> = sessions.iter().filter_map(|s| s.device).collect();
    let mut now = membership::reread(pool, users.iter().map(|(uid, _)| *uid).collect(), devices).await?;

    let ended: Vec<_> = sessions.iter().filter(|s| has_ended(s, &now)).map(|s| s.id).collect();
    let closed = hub.close_sessions(&ended, CloseCode::Other(SESSION_REVOKED), "session revoked");
    for &(user_id, generation) in &users {
        let groups = now.groups.remove(&user_id).unwrap_or_default();
        if hub.install_groups(user_id, generation, groups) == Install::Stale {
            membership::load_groups(hub, pool, user_id).await?;
        }
        let hides = now.settings.get(&user_id).is_some_and(|s| s.hides_reads);
        hub.set_hides_reads(user_id, hides);
    }
    presence.recheck_visibility().await?;
    Ok(Reloaded { users: users.len(), closed })
}

/// Whether the session would have been closed by a `session.revoked` the node missed.
fn has_ended(session: &SessionInfo, now: &Reread) -> bool {
    let current = now.settings.get(&session.user_id).map(|s| s.token_version);
    match (session.device, session.token_version, current) {
        (_, _, None) => true, // the account is gone
        (Some(device), _, _) => !now.live_devices.contains(&device),
        (None, Some(at_setup), Some(current)) => current > at_setup,
        (None, None, Some(_)) => false, // still being set up: it reads the version itself
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::membership::UserSettings;

    #[test]
    fn ended_sessions_are_those_a_missed_revocation_would_have_closed() {
        let (live, gone) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let settings = UserSettings { hides_reads: false, token_version: 3 };
        let now = Reread {
            groups: HashMap::new(),
            live_devices: HashSet::from([live]),
            settings: HashMap::from([(1, settings)]),
        };
        let session = |user_id, device, token_version| SessionInfo { id: 1, user_id, device, token_version };
        assert!(!has_ended(&session(1, Some(live), Some(2)), &now), "a live device stays (other devices signed out)");
        assert!(has_ended(&session(1, Some(gone), Some(3)), &now), "its device was signed out");
        assert!(!has_ended(&session(1, None, Some(3)), &now));
        assert!(has_ended(&session(1, None, Some(2)), &now), "no device: the token version moved on");
        assert!(!has_ended(&session(1, None, None), &now), "not set up yet");
        assert!(has_ended(&session(2, None, Some(0)), &now), "the account is gone");
    }
}
