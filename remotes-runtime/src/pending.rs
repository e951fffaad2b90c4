//! The pending-call table: calls this side made that await a reply, keyed by call id, with their deadlines.
//!
//! An entry is inserted when the request is queued and removed exactly once: by its reply, its deadline (the
//! connection's expiry task, see `link::expiry`), its cancellation (the caller dropped the `Invoke`), or the
//! connection closing. Whoever removes it settles it, so no entry outlives its call and no call is settled twice.
//! The deadlines are kept beside the entries, under the same lock (see `deadlines` for how).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::FunctionError;
use crate::deadlines::Deadlines;

/// What settles a pending call: the reply's encoded value, or why there is none.
pub(crate) type Settlement = Result<Bytes, FunctionError>;

/// Call ids are sequential: a multiplicative hash spreads them over hashbrown's control bytes.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u32(&mut self, id: u32) {
        self.0 = u64::from(id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

pub(crate) type IdMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

/// A pending call: where its settlement goes, and its deadline.
struct Entry {
    settle: oneshot::Sender<Settlement>,
    deadline: Instant,
}

/// The table. Locked only for map and deadline operations, never across an `.await`.
#[derive(Default)]
pub(crate) struct PendingTable {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    calls: IdMap<Entry>,
    deadlines: Deadlines,
    /// The instant the expiry task sleeps until (`None`: until it is woken): never later than the earliest
    /// deadline of a pending call.
    armed: Option<Instant>,
}

/// Calls whose deadline passed, taken out of the table, and the deadline the expiry task sleeps until next.
pub(crate) struct Expired {
    pub(crate) calls: Vec<(u32, oneshot::Sender<Settlement>)>,
    pub(crate) next: Option<Instant>,
}

impl PendingTable {
    /// Lists call `id`, to be settled `Timeout` at `deadline` unless it settles first. `true` when the deadline is
    /// earlier than the expiry task's next wake-up: the caller then wakes it (with no lock held).
    #[must_use = "the expiry task must be woken when this is true"]
    pub(crate) fn insert(&self, id: u32, settle: oneshot::Sender<Settlement>, deadline: Instant) -> bool {
        let mut state = self.lock();
        let State { calls, deadlines, armed } = &mut *state;
        calls.insert(id, Entry { settle, deadline });
        deadlines.compact(calls.len(), |id, deadline| calls.get(&id).is_some_and(|entry| entry.deadline == deadline));
        deadlines.push(deadline, id);
        let wake = armed.is_none_or(|armed| deadline < armed);
        if wake {
            *armed = Some(deadline);
        }
        wake
    }

    /// Settles call `id`. `false` when no such call is pending (already settled, timed out, or never made).
    pub(crate) fn settle(&self, id: u32, outcome: Settlement) -> bool {
        let entry = self.lock().calls.remove(&id);
        match entry {
            // The caller may have dropped its receiver in the meantime: nothing else to do.
            Some(entry) => {
                let _ = entry.settle.send(outcome);
                true
            }
            None => false,
        }
    }

    /// Removes call `id` without settling it (its caller settles itself). `true` when it was pending.
    pub(crate) fn remove(&self, id: u32) -> bool {
        self.lock().calls.remove(&id).is_some()
    }

    /// Takes out every call whose deadline is `now` or earlier, for the expiry task to settle (with no lock held),
    /// and notes the deadline it sleeps until next: the earliest listed.
    pub(crate) fn expire(&self, now: Instant) -> Expired {
        let mut state = self.lock();
        let State { calls, deadlines, armed } = &mut *state;
        let mut expired = Vec::new();
        while let Some((deadline, id)) = deadlines.pop_due(now) {
            // A stale deadline (its call settled, or the id was reused by a later call) settles nothing.
            if calls.get(&id).is_some_and(|entry| entry.deadline == deadline) {
                let entry = calls.remove(&id).expect("looked up above");
                expired.push((id, entry.settle));
            }
        }
        *armed = deadlines.earliest();
        Expired { calls: expired, next: *armed }
    }

    /// Empties the table, handing back every pending call: the caller settles them (see [`Unsettled::settle`])
    /// once it holds no lock, since settling wakes the callers' tasks.
    pub(crate) fn take_all(&self) -> Unsettled {
        let mut state = self.lock();
        state.deadlines.clear();
        Unsettled(std::mem::take(&mut state.calls))
    }

    /// How many calls are pending.
    pub(crate) fn len(&self) -> usize {
        self.lock().calls.len()
    }

    /// How many deadlines are listed, stale ones included.
    #[cfg(test)]
    pub(crate) fn deadlines_len(&self) -> usize {
        self.lock().deadlines.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the table inconsistent (the entries and their deadlines are
        // checked against each other wherever they meet), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Calls taken out of the table, not settled yet.
#[must_use = "the calls settle only when `settle` is called"]
pub(crate) struct Unsettled(IdMap<Entry>);

impl Unsettled {
    /// Settles every call with `error`.
    pub(crate) fn settle(self, error: FunctionError) {
        for (_, entry) in self.0 {
            let _ = entry.settle.send(Err(error));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_entry_settles_once() {
        let table = PendingTable::default();
        let (tx, mut rx) = oneshot::channel();
        assert!(table.insert(1, tx, Instant::now()));
        assert_eq!(table.len(), 1);
        assert!(table.settle(1, Ok(Bytes::from_static(b"x"))));
        assert!(!table.settle(1, Err(FunctionError::Cancelled)));
        assert_eq!(rx.try_recv().unwrap(), Ok(Bytes::from_static(b"x")));
        assert_eq!(table.len(), 0);
    }

    #[test]
    fn take_all_empties_the_table() {
        let table = PendingTable::default();
        let receivers: Vec<_> = (0..100)
            .map(|id| {
                let (tx, rx) = oneshot::channel();
                let _ = table.insert(id, tx, Instant::now());
                rx
            })
            .collect();
        table.take_all().settle(FunctionError::Disconnected);
        assert_eq!(table.len(), 0);
        for mut rx in receivers {
            assert_eq!(rx.try_recv().unwrap(), Err(FunctionError::Disconnected));
        }
    }

    #[test]
    fn a_stale_deadline_never_settles_a_later_call_with_the_same_id() {
        let table = PendingTable::default();
        let t0 = Instant::now();
        let (tx, _rx) = oneshot::channel();
        assert!(table.insert(7, tx, t0 + Duration::from_millis(10)));
        assert!(table.remove(7));
        // The id comes round again (ids wrap) while the first call's deadline is still listed.
        let (tx, mut rx) = oneshot::channel();
        assert!(!table.insert(7, tx, t0 + Duration::from_millis(100)), "the task already wakes earlier");
        let expired = table.expire(t0 + Duration::from_millis(99));
        assert!(expired.calls.is_empty());
        assert_eq!(expired.next, Some(t0 + Duration::from_millis(100)));
        assert_eq!(table.len(), 1);
        let expired = table.expire(t0 + Duration::from_millis(100));
        assert_eq!(expired.calls.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [7]);
        assert_eq!((expired.next, table.len(), table.deadlines_len()), (None, 0, 0));
        drop(expired);
        assert!(rx.try_recv().is_err(), "the expiry task settles it, not the table");
    }
}
