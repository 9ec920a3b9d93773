//! A pull subscription's messages: the backlog waiting to be pulled and the
//! leases of messages pulled but not yet acknowledged.
//!
//! At least once, as Pub/Sub: a pulled message is leased for the ack
//! deadline; acknowledged within it, it is gone; otherwise (deadline
//! passed, or a ModifyAckDeadline to 0 seconds, a "nack") it goes back to
//! the front of the backlog and is delivered again, with the same
//! messageId and a new ackId.
//!
//! Our choices where Pub/Sub's documentation is silent or leaves it open:
//! - deadlines run on real time (a consumer's lease is about how long the
//!   consumer takes), not on the mock's virtual clock;
//! - an ack or modify for an expired lease, or an unknown ackId, is ignored
//!   (Pub/Sub gives no error either without exactly-once delivery); the
//!   message is redelivered;
//! - a message a fault plan delays becomes pullable that much later, and
//!   later messages overtake it;
//! - messages are offered oldest first, redeliveries before new ones (no
//!   ordering keys: AMAPI publishes none).

use super::Message;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// A message handed to a consumer.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub ack_id: String,
    pub message: Message,
}

#[derive(Debug)]
struct Waiting {
    message: Message,
    /// Not offered before this instant (a delay fault).
    visible_at: Instant,
}

#[derive(Debug)]
struct Lease {
    message: Message,
    deadline: Instant,
}

#[derive(Debug, Default)]
struct Leases {
    backlog: VecDeque<Waiting>,
    leased: HashMap<String, Lease>,
    next_ack: u64,
}

/// One pull subscription's delivery state.
#[derive(Debug)]
pub(crate) struct PullQueue {
    /// The subscription's name, part of every ackId.
    name: String,
    state: Mutex<Leases>,
    /// Woken when a message arrives or the subscription goes.
    pub(crate) arrived: Notify,
    closed: AtomicBool,
}

impl PullQueue {
    pub(crate) fn new(name: &str) -> Self {
        PullQueue {
            name: name.to_owned(),
            state: Mutex::default(),
            arrived: Notify::new(),
            closed: AtomicBool::new(false),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Leases> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue a message, pullable after `delay`.
    pub(crate) fn add(&self, message: Message, delay: Option<Duration>) {
        let visible_at = Instant::now() + delay.unwrap_or_default();
        self.state().backlog.push_back(Waiting { message, visible_at });
        self.arrived.notify_waiters();
    }

    /// The subscription was deleted: wake every waiting consumer.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.arrived.notify_waiters();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Put expired leases back at the front of the backlog, oldest first.
    fn expire(state: &mut Leases, now: Instant) {
        let mut expired: Vec<Message> = Vec::new();
        state.leased.retain(|_, l| {
            let live = l.deadline > now;
            if !live {
                expired.push(l.message.clone());
            }
            live
        });
        // Newest first onto the front, so the oldest ends up first.
        expired.sort_by_key(|m| std::cmp::Reverse(m.seq));
        for message in expired {
            state.backlog.push_front(Waiting { message, visible_at: now });
        }
    }

    /// Lease up to `max` messages that are pullable now, for `deadline`.
    pub(crate) fn take(&self, max: usize, deadline: Duration) -> Vec<Received> {
        let now = Instant::now();
        let mut state = self.state();
        Self::expire(&mut state, now);
        let mut out = Vec::new();
        let mut i = 0;
        while out.len() < max && i < state.backlog.len() {
            if state.backlog[i].visible_at > now {
                i += 1;
                continue;
            }
            let Some(waiting) = state.backlog.remove(i) else { break };
            state.next_ack += 1;
            let ack_id = format!("{}#{}#{}", self.name, waiting.message.id, state.next_ack);
            state.leased.insert(ack_id.clone(), Lease { message: waiting.message.clone(), deadline: now + deadline });
            out.push(Received { ack_id, message: waiting.message });
        }
        out
    }

    /// When something may change without a new message: the next lease to
    /// expire or the next delayed message to become pullable.
    pub(crate) fn next_change(&self) -> Option<Instant> {
        let state = self.state();
        let leases = state.leased.values().map(|l| l.deadline);
        let delayed = state.backlog.iter().map(|w| w.visible_at).filter(|t| *t > Instant::now());
        leases.chain(delayed).min()
    }

    /// Acknowledge: the message is done. Expired or unknown ids are ignored.
    pub(crate) fn ack(&self, ack_ids: &[String]) {
        let now = Instant::now();
        let mut state = self.state();
        Self::expire(&mut state, now);
        for id in ack_ids {
            state.leased.remove(id);
        }
    }

    /// Extend (or with 0, end) the leases of `ack_ids` to `seconds` from now.
    pub(crate) fn modify(&self, ack_ids: &[String], seconds: u32) {
        let now = Instant::now();
        let mut state = self.state();
        Self::expire(&mut state, now);
        for id in ack_ids {
            if let Some(lease) = state.leased.get_mut(id) {
                lease.deadline = now + Duration::from_secs(u64::from(seconds));
            }
        }
        if seconds == 0 {
            Self::expire(&mut state, now);
            drop(state);
            self.arrived.notify_waiters();
        }
    }

    /// Whether `ack_id` is leased and its lease still runs.
    pub(crate) fn is_leased(&self, ack_id: &str) -> bool {
        self.state().leased.get(ack_id).is_some_and(|l| l.deadline > Instant::now())
    }

    /// Messages not yet acknowledged (waiting or leased).
    #[cfg(test)]
    fn unacked(&self) -> usize {
        let state = self.state();
        state.backlog.len() + state.leased.len()
    }

    /// Wait (up to `wait`) until at least one message can be leased; lease
    /// up to `max`. Empty when none came in time or the queue closed.
    pub(crate) async fn pull(&self, max: usize, deadline: Duration, wait: Duration) -> Vec<Received> {
        let give_up = Instant::now() + wait;
        loop {
            let arrived = self.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let got = self.take(max, deadline);
            if !got.is_empty() || self.is_closed() || Instant::now() >= give_up {
                return got;
            }
            let until = self.next_change().map_or(give_up, |t| t.min(give_up));
            tokio::select! {
                () = arrived => {}
                () = tokio::time::sleep_until(until.into()) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use bytes::Bytes;

    fn message(seq: u64) -> Message {
        Message {
            seq,
            id: seq.to_string(),
            data: Bytes::from_static(b"{}"),
            attributes: Default::default(),
            publish_time: Timestamp::from_unix_millis(0),
        }
    }

    #[test]
    fn an_unacked_message_comes_back_after_its_deadline_with_a_new_ack_id() {
        let q = PullQueue::new("projects/p/subscriptions/s");
        q.add(message(1), None);
        q.add(message(2), None);
        let first = q.take(1, Duration::ZERO);
        assert_eq!(first[0].message.id, "1");
        // Deadline zero: already expired, so it is first again.
        let again = q.take(10, Duration::from_secs(60));
        assert_eq!(again.iter().map(|r| r.message.id.as_str()).collect::<Vec<_>>(), ["1", "2"]);
        assert_ne!(again[0].ack_id, first[0].ack_id);
        q.ack(&[first[0].ack_id.clone()]);
        assert_eq!(q.unacked(), 2, "an expired ack id acknowledges nothing");
        q.ack(&again.iter().map(|r| r.ack_id.clone()).collect::<Vec<_>>());
        assert_eq!(q.unacked(), 0);
        assert!(q.take(10, Duration::from_secs(60)).is_empty());
    }

    #[test]
    fn a_nack_redelivers_at_once_and_a_delayed_message_is_overtaken() {
        let q = PullQueue::new("projects/p/subscriptions/s");
        q.add(message(1), Some(Duration::from_secs(3600)));
        q.add(message(2), None);
        let got = q.take(10, Duration::from_secs(60));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].message.id, "2");
        assert!(q.is_leased(&got[0].ack_id));
        q.modify(&[got[0].ack_id.clone()], 0);
        assert!(!q.is_leased(&got[0].ack_id));
        assert_eq!(q.take(10, Duration::from_secs(60))[0].message.id, "2");
    }
}
