//! A session's outbound queue: bounded, many senders (the hub, the socket's own task), one
//! receiver (the socket's task, which writes what it pops). tokio's mpsc allocates a block of
//! 32 slots and a cache-padded channel (~1 KiB) when it is made; this queue holds nothing while
//! empty, so 10,000 idle sockets do not pay for room they never use (BENCHMARKS.md, idle
//! memory). A burst's room is given back once the queue drains.
//!
//! The lock is a `std::sync::Mutex`, held only to move one item in or out, never across an await.
//! Nobody waits for room: the hub drops a full queue's socket (slow consumer), and the socket's
//! task, the only one that queues more than one item at a time, makes room by writing
//! ([`Sender::try_reserve`]). So popping an item wakes nobody.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::frame::Outbound;

/// Room kept after the queue drains (more is freed).
const KEEP: usize = 8;

pub fn channel(capacity: usize) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        capacity: capacity.max(1),
        state: Mutex::new(State { senders: 1, ..State::default() }),
        item: Notify::new(),
    });
    (Sender { shared: Arc::clone(&shared) }, Receiver { shared })
}

struct Shared {
    capacity: usize,
    state: Mutex<State>,
    /// Wakes the receiver: an item, or the last sender gone.
    item: Notify,
}

#[derive(Default)]
struct State {
    items: VecDeque<Outbound>,
    /// Slots promised to a [`Reserved`] and not yet used.
    reserved: usize,
    senders: usize,
    receiver_gone: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding it leaves plain data behind: go on with it.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Why [`Sender::try_send`] did not queue the item (it is dropped), or
/// [`Sender::try_reserve`] holds no slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySendError {
    /// The queue holds its capacity: the client does not keep up.
    Full,
    /// The socket's task (the receiver) is gone.
    Closed,
}

pub struct Sender {
    shared: Arc<Shared>,
}

impl Clone for Sender {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Self { shared: Arc::clone(&self.shared) }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let last = {
            let mut s = self.shared.lock();
            s.senders -= 1;
            s.senders == 0
        };
        if last {
            self.shared.item.notify_one();
        }
    }
}

impl Sender {
    /// Queues the item unless the queue is full or the receiver gone; never waits.
    pub fn try_send(&self, item: Outbound) -> Result<(), TrySendError> {
        {
            let mut s = self.shared.lock();
            if s.receiver_gone {
                return Err(TrySendError::Closed);
            }
            if s.items.len() + s.reserved >= self.shared.capacity {
                return Err(TrySendError::Full);
            }
            s.items.push_back(item);
        }
        self.shared.item.notify_one();
        Ok(())
    }

    pub fn max_capacity(&self) -> usize {
        self.shared.capacity
    }

    /// Holds `n` slots (at most the capacity) for the caller if they are free now.
    pub fn try_reserve(&self, n: usize) -> Result<Reserved, TrySendError> {
        let n = n.min(self.shared.capacity);
        let mut s = self.shared.lock();
        if s.receiver_gone {
            return Err(TrySendError::Closed);
        }
        if s.items.len() + s.reserved + n > self.shared.capacity {
            return Err(TrySendError::Full);
        }
        s.reserved += n;
        Ok(Reserved { shared: Arc::clone(&self.shared), left: n })
    }
}

/// Slots held in the queue; unused ones are given back when it drops.
pub struct Reserved {
    shared: Arc<Shared>,
    left: usize,
}

impl Reserved {
    /// Queues the item in one of the held slots (dropped when none is left or the receiver is gone).
    pub fn send(&mut self, item: Outbound) {
        if self.left == 0 {
            return;
        }
        self.left -= 1;
        {
            let mut s = self.shared.lock();
            s.reserved -= 1;
            if s.receiver_gone {
                return;
            }
            s.items.push_back(item);
        }
        self.shared.item.notify_one();
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if self.left > 0 {
            self.shared.lock().reserved -= self.left;
        }
    }
}

/// Why [`Receiver::try_recv`] has nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    Empty,
    /// Empty, and every sender is gone.
    Disconnected,
}

pub struct Receiver {
    shared: Arc<Shared>,
}

impl Receiver {
    /// The next item; `None` once the queue is empty and every sender is gone.
    pub async fn recv(&mut self) -> Option<Outbound> {
        loop {
            let notified = self.shared.item.notified();
            match self.shared.pop() {
                Ok(item) => return Some(item),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => notified.await,
            }
        }
    }

    pub fn try_recv(&mut self) -> Result<Outbound, TryRecvError> {
        self.shared.pop()
    }
}

impl Shared {
    fn pop(&self) -> Result<Outbound, TryRecvError> {
        let mut s = self.lock();
        match s.items.pop_front() {
            Some(item) => {
                if s.items.is_empty() && s.items.capacity() > KEEP {
                    s.items = VecDeque::new();
                }
                Ok(item)
            }
            None if s.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let dropped = {
            let mut s = self.shared.lock();
            s.receiver_gone = true;
            std::mem::take(&mut s.items)
        };
        // The items (frames) are freed outside the lock.
        drop(dropped);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use actix_web::web::Bytes;

    use super::*;

    fn item(n: u8) -> Outbound {
        Outbound::Pong(Box::new(Bytes::from(vec![n])))
    }

    fn number(item: Outbound) -> u8 {
        match item {
            Outbound::Pong(b) => b[0],
            _ => unreachable!("only pongs here"),
        }
    }

    #[test]
    fn bounded_in_order_and_closed_when_the_receiver_goes() {
        let (tx, mut rx) = channel(2);
        assert_eq!(tx.try_send(item(1)), Ok(()));
        assert_eq!(tx.clone().try_send(item(2)), Ok(()));
        assert_eq!(tx.try_send(item(3)), Err(TrySendError::Full));
        assert_eq!(rx.try_recv().map(number), Ok(1));
        assert_eq!(tx.try_send(item(4)), Ok(()));
        assert_eq!(rx.try_recv().map(number), Ok(2));
        assert_eq!(rx.try_recv().map(number), Ok(4));
        assert_eq!(rx.try_recv().map(number), Err(TryRecvError::Empty));
        drop(rx);
        assert_eq!(tx.try_send(item(5)), Err(TrySendError::Closed));
    }

    #[tokio::test]
    async fn the_receiver_wakes_for_an_item_and_ends_with_the_last_sender() {
        let (tx, mut rx) = channel(4);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(item) = rx.recv().await {
                got.push(number(item));
            }
            got
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let other = tx.clone();
        tx.try_send(item(1)).expect("room");
        other.try_send(item(2)).expect("room");
        drop(tx);
        drop(other);
        assert_eq!(reader.await.expect("joined"), [1, 2]);
    }

    #[test]
    fn reserved_slots_count_as_taken_until_used_or_dropped() {
        let (tx, mut rx) = channel(3);
        let mut two = tx.try_reserve(2).expect("room for 2");
        tx.try_send(item(1)).expect("the third slot");
        assert_eq!(tx.try_send(item(9)), Err(TrySendError::Full), "reserved slots are taken");
        assert_eq!(tx.try_reserve(1).err(), Some(TrySendError::Full));
        two.send(item(2));
        two.send(item(3));
        two.send(item(8)); // none left: dropped
        drop(two);
        for want in [1, 2, 3] {
            assert_eq!(rx.try_recv().map(number), Ok(want));
        }
        let one = tx.try_reserve(5).expect("at most the capacity is asked");
        drop(one);
        assert!(tx.try_reserve(3).is_ok(), "an unused reservation gives its slots back");
        drop(rx);
        assert_eq!(tx.try_reserve(1).err(), Some(TrySendError::Closed), "the receiver is gone");
    }

    #[test]
    fn a_burst_gives_its_room_back_once_drained() {
        let (tx, mut rx) = channel(256);
        for n in 0..200 {
            tx.try_send(item(n)).expect("room");
        }
        while rx.try_recv().is_ok() {}
        assert_eq!(rx.shared.lock().items.capacity(), 0);
    }
}
