//! The group-membership cache of the users connected here: which groups each local user is in
//! (so a group event reaches current members only), and which users each group has here (so
//! `group.<gid>` is bound exactly while one of them is connected).
//!
//! # Lifecycle
//! A user's groups are unknown until loaded from PostgreSQL (`crate::membership`), outside the
//! lock, and installed with the generation read before the query ([`Hub::install_groups`]).
//! Membership events apply at once ([`Hub::apply_membership`]) and bump the generation, so a
//! load that raced one is refused as stale and read again. After a broker reconnect
//! `crate::reload` installs what PostgreSQL says now before anything is delivered.

use std::collections::HashSet;

use shared::events::RoutingKey;

use super::registry::{Hub, State};
use shared::ids::{GroupId, UserId};

/// Result of installing a user's groups loaded from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Install {
    Installed,
    /// A membership event arrived while loading: load again.
    Stale,
    /// The user has no session here any more.
    Gone,
}

impl Hub {
    /// The user's membership generation, and whether the groups are loaded. None: not local.
    pub fn membership_generation(&self, user_id: UserId) -> Option<(u64, bool)> {
        self.lock().users.get(&user_id).map(|u| (u.generation, u.groups.is_some()))
    }

    /// Installs the groups loaded at `generation` (see [`Install`]).
    pub fn install_groups(&self, user_id: UserId, generation: u64, groups: HashSet<GroupId>) -> Install {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(user) = s.users.get_mut(&user_id) else { return Install::Gone };
        if user.generation != generation {
            return Install::Stale;
        }
        let old = user.groups.replace(groups.clone()).unwrap_or_default();
        for &gid in old.difference(&groups) {
            s.unlink(gid, user_id);
        }
        for &gid in groups.difference(&old) {
            s.link(gid, user_id);
        }
        self.notify_if_dirty(s);
        Install::Installed
    }

    /// Applies a membership change from an event. Returns whether the user is local (then
    /// the caller re-reads the user's groups from the database to correct any reordering).
    pub fn apply_membership(&self, group_id: GroupId, user_id: UserId, member: bool) -> bool {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(user) = s.users.get_mut(&user_id) else { return false };
        user.generation += 1;
        let Some(groups) = user.groups.as_mut() else { return true };
        let changed = if member { groups.insert(group_id) } else { groups.remove(&group_id) };
        if changed {
            if member {
                s.link(group_id, user_id);
            } else {
                s.unlink(group_id, user_id);
            }
            self.notify_if_dirty(s);
        }
        true
    }

    /// A deleted group: no local user is a member any more.
    pub fn drop_group(&self, group_id: GroupId) {
        let mut guard = self.lock();
        let s = &mut *guard;
        for uid in s.group_users.remove(&group_id).unwrap_or_default() {
            if let Some(user) = s.users.get_mut(&uid) {
                user.generation += 1;
                if let Some(groups) = user.groups.as_mut() {
                    groups.remove(&group_id);
                }
            }
        }
        s.dirty.insert(RoutingKey::Group(group_id).to_string());
        self.dirty.notify_one();
    }

    pub fn is_member(&self, user_id: UserId, group_id: GroupId) -> bool {
        self.lock().users.get(&user_id).and_then(|u| u.groups.as_ref()).is_some_and(|g| g.contains(&group_id))
    }
}

impl State {
    /// `user_id` is a local member of `group_id`; the group's key is wanted from its first one.
    pub(super) fn link(&mut self, group_id: GroupId, user_id: UserId) {
        let members = self.group_users.entry(group_id).or_default();
        members.insert(user_id);
        if members.len() == 1 {
            self.dirty.insert(RoutingKey::Group(group_id).to_string());
        }
    }

    /// The reverse of [`State::link`]; the key is no longer wanted after the last one.
    pub(super) fn unlink(&mut self, group_id: GroupId, user_id: UserId) {
        if let Some(members) = self.group_users.get_mut(&group_id) {
            members.remove(&user_id);
            if members.is_empty() {
                self.group_users.remove(&group_id);
                self.dirty.insert(RoutingKey::Group(group_id).to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::test_support::session;

    #[test]
    fn a_racing_membership_event_makes_a_load_stale() {
        let hub = Hub::default();
        let (_a, _ra, _) = session(&hub, UserId(1), 8);
        let (generation, loaded) = hub.membership_generation(UserId(1)).expect("local");
        assert!(!loaded);
        hub.apply_membership(GroupId(5), UserId(1), true);
        assert_eq!(hub.install_groups(UserId(1), generation, HashSet::new()), Install::Stale);
        assert_eq!(hub.install_groups(UserId(1), generation + 1, HashSet::from([GroupId(5)])), Install::Installed);
        assert!(hub.is_member(UserId(1), GroupId(5)));
    }
}
