//! What ws-server asks PostgreSQL, off the async workers: group membership of the users
//! connected here, what a conversation is (for typing), blocks (typing in direct chats),
//! `users.last_seen_at`, the privacy settings presence and receipts obey, a new socket's
//! session, and what the node re-reads after a broker outage ([`reread`]). The SQL itself
//! lives in `shared::models`.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use shared::db::{self, PgPool};
use shared::models::contact::Block;
use shared::models::conversation::{Conversation, ConversationRoute};
use shared::models::group::GroupMember;
use shared::models::privacy;
use shared::models::refresh_token::RefreshToken;
use shared::models::user::User;

use crate::hub::{Hub, Install};
use shared::ids::{ConversationId, GroupId, UserId};

/// Groups whose channels' events `user_id` may receive.
pub async fn groups_of(pool: &PgPool, user_id: UserId) -> shared::Result<HashSet<GroupId>> {
    db::run(pool, move |conn| Ok(GroupMember::group_ids_of(conn, user_id)?.into_iter().collect())).await
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("loading group memberships failed: {0}")]
    Database(#[from] shared::Error),
    #[error("group memberships of user {0} kept changing while loading")]
    Contended(UserId),
}

/// Loads the user's groups into the hub. A membership event that arrives during the query
/// makes the result stale; then it is read again (events are applied on top of what is read).
pub async fn load_groups(hub: &Hub, pool: &PgPool, user_id: UserId) -> Result<(), LoadError> {
    for _ in 0..5 {
        let Some((generation, _)) = hub.membership_generation(user_id) else { return Ok(()) };
        let groups = groups_of(pool, user_id).await?;
        match hub.install_groups(user_id, generation, groups) {
            Install::Installed | Install::Gone => return Ok(()),
            Install::Stale => continue,
        }
    }
    Err(LoadError::Contended(user_id))
}

/// Per-node cache of [`ConversationRoute`]s. Bounded: cleared when full (refilling is one
/// primary-key lookup per conversation).
pub struct Conversations {
    pool: PgPool,
    cache: Mutex<HashMap<ConversationId, ConversationRoute>>,
}

const CONVERSATION_CACHE_MAX: usize = 50_000;

impl Conversations {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, cache: Mutex::new(HashMap::new()) }
    }

    fn cached(&self, id: ConversationId) -> Option<ConversationRoute> {
        self.cache.lock().ok()?.get(&id).copied()
    }

    pub async fn kind(&self, id: ConversationId) -> shared::Result<Option<ConversationRoute>> {
        if let Some(kind) = self.cached(id) {
            return Ok(Some(kind));
        }
        let kind = db::run(&self.pool, move |conn| Ok(Conversation::route_of(conn, id)?)).await?;
        if let (Some(kind), Ok(mut cache)) = (kind, self.cache.lock()) {
            if cache.len() >= CONVERSATION_CACHE_MAX {
                cache.clear();
            }
            cache.insert(id, kind);
        }
        Ok(kind)
    }

    /// A deleted conversation.
    pub fn forget(&self, id: ConversationId) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(&id);
        }
    }

    /// A deleted group: its channels go.
    pub fn forget_group(&self, group_id: GroupId) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.retain(|_, kind| *kind != ConversationRoute::Channel { group_id });
        }
    }
}

pub async fn last_seen_of(pool: &PgPool, ids: Vec<UserId>) -> shared::Result<HashMap<UserId, Option<DateTime<Utc>>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    db::run(pool, move |conn| Ok(User::last_seen_many(conn, &ids)?.into_iter().collect())).await
}

/// Of `targets`, the users whose presence `viewer` may see.
pub async fn presence_visible_to(
    pool: &PgPool,
    viewer: UserId,
    targets: Vec<UserId>,
) -> shared::Result<HashSet<UserId>> {
    db::run(pool, move |conn| Ok(privacy::last_seen_visible_to(conn, viewer, &targets)?)).await
}

/// Of `viewers`, those who may see `target`'s presence.
pub async fn presence_viewers(pool: &PgPool, target: UserId, viewers: Vec<UserId>) -> shared::Result<HashSet<UserId>> {
    db::run(pool, move |conn| {
        Ok(privacy::last_seen_pairs(conn, &[target], &viewers)?.into_iter().map(|(_, viewer)| viewer).collect())
    })
    .await
}

/// Whether either user blocked the other.
pub async fn blocked_between(pool: &PgPool, a: UserId, b: UserId) -> shared::Result<bool> {
    db::run(pool, move |conn| Ok(Block::between(conn, a, b)?)).await
}

/// What a new socket needs to know of its user besides groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserSettings {
    /// The user turned read receipts off.
    pub hides_reads: bool,
}

/// What a new socket checks once its user's key is bound, in one trip to the database: whether
/// its session is still live, and the user's settings (`None`: no such user).
pub async fn session_and_settings(
    pool: &PgPool,
    user_id: UserId,
    session: uuid::Uuid,
) -> shared::Result<(bool, Option<UserSettings>)> {
    db::run(pool, move |conn| {
        let live = RefreshToken::family_is_live(conn, user_id, session)?;
        let settings = privacy::reads_hidden(conn, user_id)?.map(|hides_reads| UserSettings { hides_reads });
        Ok((live, settings))
    })
    .await
}

/// The state of the users connected here, read again after a broker outage.
#[derive(Debug, Default)]
pub struct Reread {
    /// Groups of each user (users in no group are missing).
    pub groups: HashMap<UserId, HashSet<GroupId>>,
    /// The users who keep their read receipts to themselves.
    pub hiding_reads: HashSet<UserId>,
}

/// Reads groups and settings of `users`.
pub async fn reread(pool: &PgPool, users: Vec<UserId>) -> shared::Result<Reread> {
    db::run(pool, move |conn| {
        let mut groups: HashMap<UserId, HashSet<GroupId>> = HashMap::new();
        for (user, group) in GroupMember::memberships_of(conn, &users)? {
            groups.entry(user).or_default().insert(group);
        }
        Ok(Reread { groups, hiding_reads: privacy::hiding_reads(conn, &users)? })
    })
    .await
}

/// The (target, viewer) pairs of `targets` x `viewers` where the viewer may see the target's
/// presence.
pub async fn presence_pairs(
    pool: &PgPool,
    targets: Vec<UserId>,
    viewers: Vec<UserId>,
) -> shared::Result<HashSet<(UserId, UserId)>> {
    db::run(pool, move |conn| Ok(privacy::last_seen_pairs(conn, &targets, &viewers)?)).await
}

/// Moves `last_seen_at` forward to `at` (never back: several nodes may report one offline).
pub async fn record_last_seen(pool: &PgPool, user_id: UserId, at: DateTime<Utc>) -> shared::Result<()> {
    db::run(pool, move |conn| Ok(User::advance_last_seen(conn, user_id, at).map(|_| ())?)).await
}
