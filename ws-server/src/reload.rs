//! After a broker reconnect, before the new consumer delivers anything (and before `resync`).
//!
//! The node queue died with the old connection, so every event published meanwhile went
//! nowhere: a member removed, a session revoked, a privacy setting changed. What those events
//! would have changed is read again from PostgreSQL for the users connected here and applied:
//! - sessions: the periodic session check runs at once ([`revalidate::check`]): a socket whose
//!   device (refresh-token family) is no longer signed in is closed with 4001, as
//!   `session.revoked` would have (a suspension or password reset revokes every family);
//! - group memberships: installed in the hub (the caller binds and unbinds the keys that
//!   changed before it consumes);
//! - privacy: who keeps read receipts to themselves, and who may see each followed user.

use shared::db::PgPool;

use crate::hub::{Hub, Install};
use crate::membership::{self, LoadError};
use crate::presence::Presence;
use crate::revalidate;

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
    let closed = revalidate::check(hub, pool).await?;
    let mut now = membership::reread(pool, users.iter().map(|(uid, _)| *uid).collect()).await?;
    for &(user_id, generation) in &users {
        let groups = now.groups.remove(&user_id).unwrap_or_default();
        if hub.install_groups(user_id, generation, groups) == Install::Stale {
            membership::load_groups(hub, pool, user_id).await?;
        }
        hub.set_hides_reads(user_id, now.hiding_reads.contains(&user_id));
    }
    presence.recheck_visibility().await?;
    Ok(Reloaded { users: users.len(), closed })
}
