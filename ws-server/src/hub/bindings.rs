//! The node queue's bindings: which routing keys are wanted, which are bound, and the rounds
//! the consumer's binder runs to reconcile the two.
//!
//! # Lifecycle
//! A key is *wanted* while something local needs it (`user.<uid>`: a session of uid;
//! `group.<gid>`: a local user who is a member; `presence.*`: always); changes mark keys dirty
//! and wake the binder ([`Hub::bindings_changed`]), which reconciles wanted against bound in
//! order ([`Hub::plan_bindings`]) and then ends the round ([`Hub::finish_round`]); sessions
//! wait for their keys ([`Hub::wait_bound`]). After a broker reconnect [`Hub::reset_bindings`]
//! forgets what was bound and everything wanted is bound again.

use std::time::Duration;

use shared::events::{RoutingKey, PRESENCE_ALL};

use super::registry::{Hub, State};
use shared::ids::UserId;

/// Binding work for the binder, decided under the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindOp {
    Bind(String),
    Unbind(String),
}

impl Hub {
    /// The keys a session of `user_id` needs before it is ready.
    pub fn keys_of(&self, user_id: UserId) -> Vec<String> {
        let s = self.lock();
        let mut keys = vec![RoutingKey::User(user_id).to_string(), PRESENCE_ALL.to_owned()];
        if let Some(groups) = s.users.get(&user_id).and_then(|u| u.groups.as_ref()) {
            keys.extend(groups.iter().map(|&gid| RoutingKey::Group(gid).to_string()));
        }
        keys
    }

    /// Waits until the binder signals dirty keys.
    pub async fn bindings_changed(&self) {
        self.dirty.notified().await
    }

    /// Takes the dirty keys and decides what to do with each. A key to unbind leaves the
    /// bound set now, so a session arriving meanwhile waits for it to be bound again.
    pub fn plan_bindings(&self) -> Vec<BindOp> {
        let mut guard = self.lock();
        let s = &mut *guard;
        let dirty: Vec<String> = s.dirty.drain().collect();
        let mut ops = Vec::new();
        for key in dirty {
            match (s.wants(&key), s.bound.contains(&key)) {
                (true, false) => ops.push(BindOp::Bind(key)),
                (false, true) => {
                    s.bound.remove(&key);
                    ops.push(BindOp::Unbind(key));
                }
                _ => {}
            }
        }
        ops
    }

    /// A bind succeeded. (If the key stopped being wanted meanwhile it is dirty again, and
    /// the next round unbinds it.)
    pub fn mark_bound(&self, key: &str) {
        self.lock().bound.insert(key.to_owned());
    }

    /// Wakes the sessions waiting for their keys.
    pub fn finish_round(&self) {
        self.rounds.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// After (re)connecting: nothing is bound; returns every key wanted now.
    pub fn reset_bindings(&self) -> Vec<String> {
        let mut s = self.lock();
        s.bound.clear();
        s.dirty.clear();
        let mut keys = vec![PRESENCE_ALL.to_owned()];
        keys.extend(s.users.keys().map(|&uid| RoutingKey::User(uid).to_string()));
        keys.extend(s.group_users.keys().map(|&gid| RoutingKey::Group(gid).to_string()));
        keys
    }

    /// The broker is gone: nothing is bound.
    pub fn clear_bindings(&self) {
        self.lock().bound.clear();
    }

    fn all_bound(&self, keys: &[String]) -> bool {
        let s = self.lock();
        keys.iter().all(|k| s.bound.contains(k))
    }

    /// Waits until every key is bound; `false` after `timeout`.
    pub async fn wait_bound(&self, keys: &[String], timeout: Duration) -> bool {
        let mut rounds = self.rounds.subscribe();
        let wait = async {
            while !self.all_bound(keys) {
                if rounds.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// Wakes the binder if a change under the lock made keys dirty.
    pub(super) fn notify_if_dirty(&self, s: &State) {
        if !s.dirty.is_empty() {
            self.dirty.notify_one();
        }
    }
}

impl State {
    fn wants(&self, key: &str) -> bool {
        match RoutingKey::parse(key) {
            Some(RoutingKey::User(id)) => self.users.contains_key(&id),
            Some(RoutingKey::Group(id)) => self.group_users.contains_key(&id),
            _ => key == PRESENCE_ALL,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::hub::membership::Install;
    use crate::hub::test_support::session;

    #[test]
    fn keys_are_ref_counted_and_planned_in_order() {
        let hub = Hub::default();
        let (a, _ra, _) = session(&hub, UserId(1), 8);
        let (b, _rb, _) = session(&hub, UserId(1), 8);
        assert_eq!(hub.plan_bindings(), vec![BindOp::Bind("user.1".into())]);
        hub.mark_bound("user.1");
        assert!(hub.install_groups(UserId(1), 0, HashSet::from([shared::ids::GroupId(7)])) == Install::Installed);
        assert_eq!(hub.plan_bindings(), vec![BindOp::Bind("group.7".into())]);
        hub.mark_bound("group.7");
        hub.unregister(a);
        assert!(hub.plan_bindings().is_empty(), "user 1 still has a session");
        hub.unregister(b);
        let mut ops = hub.plan_bindings();
        ops.sort_by_key(|op| format!("{op:?}"));
        assert_eq!(ops, vec![BindOp::Unbind("group.7".into()), BindOp::Unbind("user.1".into())]);
        assert!(!hub.all_bound(&["user.1".into()]), "unbinding keys leave the bound set at once");
    }
}
