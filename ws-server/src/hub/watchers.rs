//! Presence watchers: which sessions follow which users' presence, the state each was last
//! told (so a sweep and an event never send the same state twice), and who is hidden from
//! whom by privacy settings.
//!
//! # Lifecycle
//! A `presence.subscribe` replaces a session's set ([`Hub::watch`]) and is answered with the
//! states read for it ([`Hub::answer_presence`]); events and sweeps then send changes only
//! ([`Hub::deliver_presence`]). A privacy change moves followers between seen and hidden
//! ([`Hub::refollow`]). Unregistering a session drops what it followed.

use std::collections::HashSet;

use super::socket_queue::Reserved;

use super::frame::{Frame, Outbound};
use super::registry::{Hub, SessionId, State};
use shared::ids::UserId;

impl Hub {
    /// Replaces the set of users `id` follows: `user_ids` whose presence it may see, `hidden`
    /// those whose privacy settings hide it.
    pub fn watch(&self, id: SessionId, user_ids: &[UserId], hidden: &[UserId]) {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(entry) = s.sessions.get_mut(&id) else { return };
        let old: Vec<UserId> = entry.watching.drain().map(|(uid, _)| uid).collect();
        entry.watching = user_ids.iter().map(|&uid| (uid, None)).collect();
        entry.hidden = hidden.iter().copied().collect();
        for uid in old {
            s.unwatch(uid, id);
        }
        for &uid in user_ids {
            s.watchers.entry(uid).or_default().insert(id);
        }
    }

    pub fn watched_users(&self) -> Vec<UserId> {
        self.lock().watchers.keys().copied().collect()
    }

    /// Every user some session here asked to follow (seen or hidden).
    pub fn followed_users(&self) -> Vec<UserId> {
        let s = self.lock();
        let mut users: Vec<UserId> =
            s.sessions.values().flat_map(|e| e.watching.keys().chain(e.hidden.iter()).copied()).collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// The users of the sessions here that asked to follow `user_id` (seen or hidden).
    pub fn followers_of(&self, user_id: UserId) -> Vec<UserId> {
        let s = self.lock();
        let mut users: Vec<UserId> = s
            .sessions
            .values()
            .filter(|e| e.watching.contains_key(&user_id) || e.hidden.contains(&user_id))
            .map(|e| e.user_id)
            .collect();
        users.sort_unstable();
        users.dedup();
        users
    }

    /// Applies a change of who may see `user_id`'s presence: sessions of users not in `allowed`
    /// stop following it and get `hidden_frame` if there is one (offline, never seen); sessions
    /// of users now in `allowed` follow it again, their next presence event for it unsent.
    /// Returns whether any session started following (then the caller sends the current state).
    pub fn refollow(&self, user_id: UserId, allowed: &HashSet<UserId>, hidden_frame: Option<&Frame>) -> bool {
        let mut guard = self.lock();
        let s = &mut *guard;
        let (mut shown, mut hidden) = (Vec::new(), Vec::new());
        for (&id, entry) in s.sessions.iter_mut() {
            let may = allowed.contains(&entry.user_id);
            if may && entry.hidden.remove(&user_id) {
                entry.watching.insert(user_id, None);
                shown.push(id);
            } else if !may && entry.watching.remove(&user_id).is_some() {
                entry.hidden.insert(user_id);
                if let Some(f) = hidden_frame {
                    entry.push(Outbound::Event(f.clone()));
                }
                hidden.push(id);
            }
        }
        for &id in &hidden {
            s.unwatch(user_id, id);
        }
        for &id in &shown {
            s.watchers.entry(user_id).or_default().insert(id);
        }
        !shown.is_empty()
    }

    /// Sends a presence change to the watchers of `user_id` that were not already told this
    /// state. Returns how many were told, and whether one of them had been told "online".
    pub fn deliver_presence(
        &self,
        user_id: UserId,
        online: bool,
        frame: impl FnOnce() -> Option<Frame>,
    ) -> (usize, bool) {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(ids) = s.watchers.get(&user_id) else { return (0, false) };
        // Built at most once, and only when someone needs it.
        let mut make = Some(frame);
        let mut built: Option<Frame> = None;
        let (mut told, mut was_online) = (0, false);
        for id in ids {
            let Some(entry) = s.sessions.get_mut(id) else { continue };
            let Some(state) = entry.watching.get_mut(&user_id) else { continue };
            if *state == Some(online) {
                continue;
            }
            was_online |= *state == Some(true);
            *state = Some(online);
            if built.is_none() {
                built = make.take().and_then(|f| f());
            }
            if let Some(f) = &built {
                told += usize::from(entry.push(Outbound::Event(f.clone())));
            }
        }
        (told, was_online)
    }

    /// Answers a `presence.subscribe` with the states read for it, for the users about whom
    /// no fresher event has reached the session meanwhile. The caller reserved one queue slot
    /// per answer (an answer may be larger than the queue, and must not count as slowness).
    pub fn answer_presence(&self, id: SessionId, answers: Vec<(UserId, bool, Frame)>, mut slots: Reserved) {
        let mut s = self.lock();
        let Some(entry) = s.sessions.get_mut(&id) else { return };
        for (uid, online, frame) in answers {
            if let Some(state @ None) = entry.watching.get_mut(&uid) {
                *state = Some(online);
                slots.send(Outbound::Event(frame));
            } else if entry.hidden.contains(&uid) {
                slots.send(Outbound::Event(frame));
            }
        }
    }
}

impl State {
    pub(super) fn unwatch(&mut self, user_id: UserId, id: SessionId) {
        if let Some(ids) = self.watchers.get_mut(&user_id) {
            ids.remove(&id);
            if ids.is_empty() {
                self.watchers.remove(&user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::test_support::{frame, ready, session, some_frame, tx_of};

    #[tokio::test]
    async fn presence_is_sent_once_per_state() {
        let hub = Hub::default();
        let (a, mut ra, _) = session(&hub, UserId(1), 8);
        ready(&hub, a, &mut ra);
        hub.watch(a, &[UserId(2)], &[]);
        assert_eq!(hub.deliver_presence(UserId(2), true, some_frame), (1, false));
        assert_eq!(hub.deliver_presence(UserId(2), true, some_frame), (0, false), "no repeat");
        assert_eq!(hub.deliver_presence(UserId(2), false, some_frame), (1, true));
        assert!(ra.try_recv().is_ok() && ra.try_recv().is_ok());
        let spare = tx_of(&hub, a);
        hub.answer_presence(a, vec![(UserId(2), true, frame())], spare.try_reserve(1).expect("room"));
        assert!(ra.try_recv().is_err(), "a stale answer does not override an event");
    }

    #[test]
    fn privacy_changes_who_follows_presence() {
        let hub = Hub::default();
        let (a, mut ra, _) = session(&hub, UserId(1), 8);
        let (b, mut rb, _) = session(&hub, UserId(3), 8);
        ready(&hub, a, &mut ra);
        ready(&hub, b, &mut rb);
        hub.watch(a, &[UserId(2)], &[]);
        hub.watch(b, &[], &[UserId(2)]);
        assert_eq!(hub.followers_of(UserId(2)), vec![UserId(1), UserId(3)]);
        assert_eq!(hub.deliver_presence(UserId(2), true, some_frame), (1, false), "only the allowed viewer hears");
        assert!(ra.try_recv().is_ok() && rb.try_recv().is_err());
        // User 2 now lets 3 see it, not 1.
        assert!(hub.refollow(UserId(2), &HashSet::from([UserId(3)]), Some(&frame())), "someone started following");
        assert!(ra.try_recv().is_ok(), "1 is told 'offline, never seen'");
        assert_eq!(
            hub.deliver_presence(UserId(2), true, some_frame),
            (1, false),
            "3 hears the current state, 1 nothing"
        );
        assert!(rb.try_recv().is_ok() && ra.try_recv().is_err());
        assert!(!hub.refollow(UserId(2), &HashSet::from([UserId(3)]), Some(&frame())), "nothing changes twice");
    }
}
