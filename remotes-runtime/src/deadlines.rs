//! The deadlines of one connection's pending calls, earliest first (issue #16).
//!
//! # Design
//!
//! A call used to arm a tokio timer of its own (`sleep_until(deadline)` in the `Invoke` future) whenever its reply
//! was not there at the first poll: under load every call registered and deregistered a timer in the wheel, a few
//! hundred instructions of the ~11,000 a call costs. Instead each connection keeps its calls' deadlines here,
//! beside their entries in the pending-call table (under the same lock), and one task per connection (see
//! `link::expiry`) sleeps to the earliest one and settles the calls past their deadline with `Timeout`, through the
//! table, as a reply settles them. A call that settles otherwise (a reply, a cancellation) leaves its deadline
//! here: nothing is removed per call.
//!
//! Most calls share the side's default timeout, so their deadlines arrive in the order they are set: those go to
//! the back of a FIFO (`in_order`), O(1). A deadline earlier than the FIFO's last one (a shorter `.timeout(d)`, or
//! a clock read that lost the race to the outbox's lock to a later one) goes to a binary heap (`early`) instead,
//! O(log n). The earliest deadline is the first of the FIFO or the top of the heap. A tokio `DelayQueue` per
//! connection (what tarpc uses) was measured too: it removes each settled call's deadline (O(1), through its key)
//! but still arms its own timer and works its wheel per call (BENCHMARKS.md, "Deadlines per connection").
//!
//! # Bounds
//!
//! A deadline left here by a call that settled is stale. Stale deadlines go when they come due (they settle
//! nothing: see [`Deadlines::pop_due`]'s caller) or, sooner, when they outnumber the calls pending: once the
//! structure holds more than twice as many deadlines as there are calls pending (plus [`SLACK`]), it keeps only the
//! ones of calls still pending ([`Deadlines::compact`]). Each compaction removes more than half of what it looks at,
//! so its cost is O(1) per call made, and the structure never holds more than `2 * pending + SLACK` deadlines
//! (pending calls are themselves bounded by `MAX_UNANSWERED`), however fast a peer answers or however long it
//! keeps one call unanswered.
//!
//! # Correctness
//!
//! A deadline settles a call only if the call is still pending with that very deadline, at or after it: a stale
//! deadline never settles a later call that reused its id. The connection's task sleeps until a deadline no later
//! than the earliest listed (the pending table tracks the instant it sleeps to, and wakes it when an earlier
//! deadline is listed), so no deadline is passed unnoticed; it may wake for a stale one, and then sleeps again.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use tokio::time::Instant;

/// Stale deadlines tolerated beyond twice the calls pending before a compaction: small tables do not compact often.
pub(crate) const SLACK: usize = 64;

/// The deadlines, each with its call's id.
#[derive(Default)]
pub(crate) struct Deadlines {
    /// Deadlines in the order they were listed, each no earlier than the one before it.
    in_order: VecDeque<(Instant, u32)>,
    /// Deadlines listed earlier than the last one in `in_order`, earliest on top.
    early: BinaryHeap<Reverse<(Instant, u32)>>,
}

impl Deadlines {
    /// Lists call `id`'s deadline.
    pub(crate) fn push(&mut self, deadline: Instant, id: u32) {
        match self.in_order.back() {
            Some(&(last, _)) if deadline < last => self.early.push(Reverse((deadline, id))),
            _ => self.in_order.push_back((deadline, id)),
        }
    }

    /// The earliest deadline listed, and whether it is the heap's (`early`) rather than the FIFO's.
    fn next(&self) -> Option<(Instant, bool)> {
        let first = self.in_order.front().map(|&(deadline, _)| deadline);
        let top = self.early.peek().map(|Reverse((deadline, _))| *deadline);
        match (first, top) {
            (Some(a), Some(b)) if b < a => Some((b, true)),
            (Some(a), _) => Some((a, false)),
            (None, top) => top.map(|b| (b, true)),
        }
    }

    /// The earliest deadline listed (stale or not).
    pub(crate) fn earliest(&self) -> Option<Instant> {
        self.next().map(|(deadline, _)| deadline)
    }

    /// Takes out the earliest deadline if it is `now` or earlier.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, u32)> {
        match self.next()? {
            (deadline, _) if deadline > now => None,
            (_, true) => self.early.pop().map(|Reverse(due)| due),
            (_, false) => self.in_order.pop_front(),
        }
    }

    /// When more than `2 * pending + SLACK` deadlines are listed, keeps only those `live` says belong to a call still
    /// pending (`live(id, deadline)`); `pending` is how many calls are.
    pub(crate) fn compact(&mut self, pending: usize, live: impl Fn(u32, Instant) -> bool) {
        if self.len() <= 2 * pending + SLACK {
            return;
        }
        self.in_order.retain(|&(deadline, id)| live(id, deadline));
        self.early.retain(|&Reverse((deadline, id))| live(id, deadline));
        // A FIFO that once held a burst gives its memory back.
        if self.in_order.capacity() > 4 * (self.in_order.len() + SLACK) {
            self.in_order.shrink_to(2 * (self.in_order.len() + SLACK));
        }
        if self.early.capacity() > 4 * (self.early.len() + SLACK) {
            self.early.shrink_to(2 * (self.early.len() + SLACK));
        }
    }

    /// How many deadlines are listed, stale ones included.
    pub(crate) fn len(&self) -> usize {
        self.in_order.len() + self.early.len()
    }

    pub(crate) fn clear(&mut self) {
        self.in_order.clear();
        self.early.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;

    fn due_all(deadlines: &mut Deadlines, now: Instant) -> Vec<u32> {
        std::iter::from_fn(|| deadlines.pop_due(now)).map(|(_, id)| id).collect()
    }

    #[test]
    fn in_order_and_early_deadlines_come_due_earliest_first() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut deadlines = Deadlines::default();
        // Default timeouts in order, with shorter custom ones (and an equal one) among them.
        for (id, ms) in [(1, 100), (2, 100), (3, 110), (4, 20), (5, 120), (6, 50), (7, 110)] {
            deadlines.push(at(ms), id);
        }
        assert_eq!(deadlines.earliest(), Some(at(20)));
        assert_eq!(due_all(&mut deadlines, at(19)), Vec::<u32>::new(), "nothing is due early");
        assert_eq!(due_all(&mut deadlines, at(20)), [4]);
        assert_eq!(due_all(&mut deadlines, at(100)), [6, 1, 2]);
        assert_eq!(deadlines.earliest(), Some(at(110)));
        assert_eq!(due_all(&mut deadlines, at(119)), [3, 7]);
        assert_eq!(due_all(&mut deadlines, at(1000)), [5]);
        assert_eq!((deadlines.len(), deadlines.earliest()), (0, None));
    }

    #[test]
    fn compaction_keeps_the_pending_calls_and_bounds_the_stale_ones() {
        let t0 = Instant::now();
        let mut deadlines = Deadlines::default();
        let mut pending: HashMap<u32, Instant> = HashMap::new();
        // A call that stays pending (the peer never answers it) while 100,000 others come and settle in turn, a
        // few with a shorter timeout of their own.
        let long = t0 + Duration::from_secs(30);
        deadlines.push(long, 0);
        pending.insert(0, long);
        let mut most = 0;
        for id in 1..100_000u32 {
            let deadline =
                t0 + Duration::from_micros(u64::from(id)) + Duration::from_secs(if id % 7 == 0 { 1 } else { 30 });
            pending.insert(id, deadline);
            deadlines.compact(pending.len(), |id, deadline| pending.get(&id) == Some(&deadline));
            deadlines.push(deadline, id);
            most = most.max(deadlines.len());
            pending.remove(&id);
        }
        assert!(most <= 2 * 2 + SLACK + 1, "{most} deadlines listed for at most 2 calls pending");
        // The pending call's deadline survived every compaction.
        let due = due_all(&mut deadlines, t0 + Duration::from_secs(60));
        assert_eq!(due.into_iter().filter(|id| pending.contains_key(id)).collect::<Vec<_>>(), [0]);
    }
}
