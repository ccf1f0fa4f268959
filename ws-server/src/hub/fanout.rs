//! Fan-out: one frame -> the ready sessions of its audiences, each at most once.
//!
//! # Backpressure
//! Fan-out never waits for a client: each session has a bounded queue and the hub only
//! `try_send`s into it ([`SessionEntry::push`]). A full queue closes that session with 4008 (its
//! queued frames are dropped by its task), so one slow client costs at most its queue; the
//! others are not delayed. Frames are serialized once and shared (`ByteString` clones are
//! reference counts).

use super::socket_queue::TrySendError;
use actix_ws::CloseCode;
use shared::metrics::WS_DROPPED;

use super::frame::{Frame, Outbound};
use super::registry::{Hub, SessionEntry, SessionId, State};
use crate::close;
use shared::ids::{GroupId, UserId};

/// Who an event from the broker is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every session of the user.
    User(UserId),
    /// Every session of the local users who are members of the group.
    Group(GroupId),
    /// Every session following the user's presence.
    Watchers(UserId),
}

impl Hub {
    /// Queues `frame` for every ready session in `audiences` (each at most once), except the
    /// sessions of `skip_user`. Returns how many sessions got it.
    pub fn deliver(&self, audiences: &[Audience], frame: &Frame, skip_user: Option<UserId>) -> usize {
        let s = self.lock();
        s.targets(audiences, skip_user)
            .into_iter()
            .filter_map(|id| s.sessions.get(&id))
            .filter(|e| e.ready && e.push(Outbound::Event(frame.clone())))
            .count()
    }

    /// Delivers a `receipt` of `reader`: sessions of users who hide their own reads (and so see
    /// nobody's) get `without_read` instead, built once if needed (nothing if it cannot be).
    pub fn deliver_receipt(
        &self,
        audiences: &[Audience],
        frame: &Frame,
        reader: UserId,
        without_read: impl FnOnce() -> Option<Frame>,
    ) -> usize {
        let s = self.lock();
        let mut make = Some(without_read);
        // Built at most once; if it cannot be, those sessions get nothing (never the reads).
        let mut redacted: Option<Option<Frame>> = None;
        let mut told = 0;
        for entry in s.targets(audiences, None).into_iter().filter_map(|id| s.sessions.get(&id)) {
            if !entry.ready {
                continue;
            }
            let hides = entry.user_id != reader && s.users.get(&entry.user_id).is_some_and(|u| u.hides_reads);
            let f = if hides {
                let Some(f) = redacted.get_or_insert_with(|| make.take().and_then(|m| m())) else { continue };
                f
            } else {
                frame
            };
            told += usize::from(entry.push(Outbound::Event(f.clone())));
        }
        told
    }

    /// Whether the local user keeps reads to themselves (see [`Hub::deliver_receipt`]).
    pub fn set_hides_reads(&self, user_id: UserId, hides: bool) {
        if let Some(user) = self.lock().users.get_mut(&user_id) {
            user.hides_reads = hides;
        }
    }

    /// Queues `frame` for every ready session (e.g. `resync`).
    pub fn broadcast(&self, frame: &Frame) -> usize {
        let s = self.lock();
        s.sessions.values().filter(|e| e.ready && e.push(Outbound::Event(frame.clone()))).count()
    }
}

impl State {
    /// The sessions in `audiences`, each once, without those of `skip_user`.
    fn targets(&self, audiences: &[Audience], skip_user: Option<UserId>) -> Vec<SessionId> {
        let s = self;
        let mut targets: Vec<SessionId> = Vec::new();
        for audience in audiences {
            match *audience {
                Audience::User(uid) => s.sessions_of(uid, skip_user, &mut targets),
                Audience::Group(gid) => {
                    for &uid in s.group_users.get(&gid).into_iter().flatten() {
                        s.sessions_of(uid, skip_user, &mut targets);
                    }
                }
                Audience::Watchers(uid) => targets.extend(s.watchers.get(&uid).into_iter().flatten()),
            }
        }
        if audiences.len() > 1 {
            targets.sort_unstable();
            targets.dedup();
        }
        targets
    }

    fn sessions_of(&self, user_id: UserId, skip_user: Option<UserId>, out: &mut Vec<SessionId>) {
        if skip_user == Some(user_id) {
            return;
        }
        if let Some(user) = self.users.get(&user_id) {
            out.extend(user.sessions.iter().copied());
        }
    }
}

impl SessionEntry {
    /// Never awaits: a full queue means the client does not keep up, and it is closed.
    pub(super) fn push(&self, item: Outbound) -> bool {
        match self.tx.try_send(item) {
            Ok(()) => true,
            Err(TrySendError::Full) => {
                if self.closer.close(CloseCode::Other(close::SLOW_CONSUMER), "slow consumer") {
                    metrics::counter!(WS_DROPPED, "reason" => "slow_consumer").increment(1);
                    tracing::warn!(user_id = self.user_id.0, "closing a slow consumer (outbound queue full)");
                }
                false
            }
            Err(TrySendError::Closed) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use shared::events::Event;

    use super::*;
    use crate::hub::socket_queue;
    use crate::hub::test_support::{frame, ready, session};

    #[test]
    fn group_events_reach_members_only_and_skip_the_typing_user() {
        let hub = Hub::default();
        let (a, mut ra, _) = session(&hub, UserId(1), 8);
        let (b, mut rb, _) = session(&hub, UserId(2), 8);
        let (c, mut rc, _) = session(&hub, UserId(3), 8);
        for (id, rx, uid) in [(a, &mut ra, 1), (b, &mut rb, 2), (c, &mut rc, 3)] {
            ready(&hub, id, rx);
            let groups = if uid == 3 { HashSet::new() } else { HashSet::from([GroupId(9)]) };
            hub.install_groups(UserId(uid), 0, groups);
        }
        assert_eq!(hub.deliver(&[Audience::Group(GroupId(9))], &frame(), Some(UserId(1))), 1);
        assert!(ra.try_recv().is_err() && rb.try_recv().is_ok() && rc.try_recv().is_err());
        hub.apply_membership(GroupId(9), UserId(2), false);
        assert_eq!(hub.deliver(&[Audience::Group(GroupId(9))], &frame(), None), 1, "only user 1 left");
        assert_eq!(
            hub.deliver(&[Audience::User(UserId(1)), Audience::User(UserId(1))], &frame(), None),
            1,
            "once per session"
        );
    }

    #[test]
    fn a_full_queue_closes_the_session_with_4008() {
        let hub = Hub::default();
        let (a, mut ra, closer) = session(&hub, UserId(1), 2);
        ready(&hub, a, &mut ra);
        for _ in 0..2 {
            hub.deliver(&[Audience::User(UserId(1))], &frame(), None);
        }
        assert!(!closer.is_closed());
        assert_eq!(hub.deliver(&[Audience::User(UserId(1))], &frame(), None), 0);
        assert!(closer.is_closed());
    }

    #[test]
    fn readers_who_hide_their_reads_see_nobody_elses() {
        let hub = Hub::default();
        let (a, mut ra, _) = session(&hub, UserId(1), 8);
        let (b, mut rb, _) = session(&hub, UserId(2), 8);
        ready(&hub, a, &mut ra);
        ready(&hub, b, &mut rb);
        hub.set_hides_reads(UserId(2), true);
        let redacted = || Frame::from_event(&Event::Resync { reason: "redacted".into() });
        let unbuildable = || None;
        let to_both = [Audience::User(UserId(1)), Audience::User(UserId(2))];
        assert_eq!(hub.deliver_receipt(&to_both, &frame(), UserId(1), redacted), 2);
        let text = |rx: &mut socket_queue::Receiver| match rx.try_recv() {
            Ok(Outbound::Event(f)) => f.text().to_string(),
            _ => String::new(),
        };
        assert!(!text(&mut ra).contains("redacted"), "the reader sees its own");
        assert!(text(&mut rb).contains("redacted"));
        assert_eq!(hub.deliver_receipt(&to_both, &frame(), UserId(2), redacted), 2);
        assert!(!text(&mut rb).contains("redacted"), "its own reads are never hidden from it");
        assert!(!text(&mut ra).contains("redacted"));
        assert_eq!(hub.deliver_receipt(&to_both, &frame(), UserId(1), unbuildable), 1, "no reads instead of the reads");
        assert!(!text(&mut ra).is_empty() && text(&mut rb).is_empty());
    }
}
