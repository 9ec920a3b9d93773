//! What the MDM is doing besides answering requests, for whoever embeds it
//! and must know when it has nothing left to do: the harness's negative
//! checks ("no mail", "exactly one command") wait until the MDM's background
//! work has run dry instead of for a stretch of wall time.
//!
//! Every piece of work the MDM does unasked (a command dispatch, a round of
//! the sweep and the mail outbox, a Pub/Sub push it is handling) holds a [`Busy`] guard while it runs, taken before
//! the work is spawned, so that there is no moment between "decided to do
//! something" and "doing it" in which the MDM looks idle. Rounds are
//! counted as they begin and end, so a watcher can wait for a round that
//! began after it looked.
//!
//! A second, quieter signal counts work done: a dispatch or a push that
//! ended, or a round that had something to do (unfinished actions, mail in
//! the outbox). An idle round does not count, so a watcher waiting for the
//! MDM to have done something is not woken at every poll interval.

use std::sync::Arc;
use tokio::sync::watch;

/// A snapshot of the MDM's background work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Work running now (dispatches, a sweep round, pushes being handled).
    pub busy: usize,
    /// Background rounds (sweep, then mail outbox) begun so far.
    pub rounds_begun: u64,
    /// Background rounds finished so far.
    pub rounds_done: u64,
}

/// The sending side, owned by the MDM.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    tx: Arc<watch::Sender<Activity>>,
    work: Arc<watch::Sender<u64>>,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker { tx: Arc::new(watch::channel(Activity::default()).0), work: Arc::new(watch::channel(0).0) }
    }
}

impl Tracker {
    pub(crate) fn subscribe(&self) -> watch::Receiver<Activity> {
        self.tx.subscribe()
    }

    /// How much work has been done, bumped as each piece of it ends.
    pub(crate) fn work(&self) -> watch::Receiver<u64> {
        self.work.subscribe()
    }

    /// Mark one piece of background work as running until the guard drops.
    pub(crate) fn busy(&self) -> Busy {
        self.tx.send_modify(|a| a.busy += 1);
        Busy { tx: Arc::clone(&self.tx), work: Arc::clone(&self.work) }
    }

    /// A background round begins: it is busy until the guard drops, and
    /// counted as done then.
    pub(crate) fn round(&self) -> Round {
        self.tx.send_modify(|a| {
            a.busy += 1;
            a.rounds_begun += 1;
        });
        Round { tx: Arc::clone(&self.tx), work: Arc::clone(&self.work), worked: false }
    }
}

/// Held while a piece of background work runs.
#[derive(Debug)]
pub(crate) struct Busy {
    tx: Arc<watch::Sender<Activity>>,
    work: Arc<watch::Sender<u64>>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.tx.send_modify(|a| a.busy = a.busy.saturating_sub(1));
        self.work.send_modify(|n| *n += 1);
    }
}

/// Held while a background round runs.
#[derive(Debug)]
pub(crate) struct Round {
    tx: Arc<watch::Sender<Activity>>,
    work: Arc<watch::Sender<u64>>,
    worked: bool,
}

impl Round {
    /// The round had something to do: count it as work when it ends.
    pub(crate) fn worked(&mut self) {
        self.worked = true;
    }
}

impl Drop for Round {
    fn drop(&mut self) {
        self.tx.send_modify(|a| {
            a.busy = a.busy.saturating_sub(1);
            a.rounds_done += 1;
        });
        if self.worked {
            self.work.send_modify(|n| *n += 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_work_and_rounds() {
        let t = Tracker::default();
        let rx = t.subscribe();
        let work = t.work();
        let round = t.round();
        let busy = t.busy();
        assert_eq!(*rx.borrow(), Activity { busy: 2, rounds_begun: 1, rounds_done: 0 });
        drop(round);
        assert_eq!(*rx.borrow(), Activity { busy: 1, rounds_begun: 1, rounds_done: 1 });
        // An idle round is no work; a dispatch that ended is.
        assert_eq!(*work.borrow(), 0);
        drop(busy);
        assert_eq!(rx.borrow().busy, 0);
        assert_eq!(*work.borrow(), 1);
        let mut round = t.round();
        round.worked();
        drop(round);
        assert_eq!(*work.borrow(), 2);
    }
}
