//! The pending-call table: calls this side made that await a reply, keyed by call id.
//!
//! An entry is inserted when the request is queued and removed exactly once: by its reply, its deadline, its
//! cancellation (the caller dropped the `Invoke`), or the connection closing. Whoever removes it settles it, so no
//! entry outlives its call and no call is settled twice.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::FunctionError;

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

/// The table. Locked only for map operations, never across an `.await`.
#[derive(Default)]
pub(crate) struct PendingTable {
    calls: Mutex<IdMap<oneshot::Sender<Settlement>>>,
}

impl PendingTable {
    pub(crate) fn insert(&self, id: u32, settle: oneshot::Sender<Settlement>) {
        self.lock().insert(id, settle);
    }

    /// Settles call `id`. `false` when no such call is pending (already settled, timed out, or never made).
    pub(crate) fn settle(&self, id: u32, outcome: Settlement) -> bool {
        let entry = self.lock().remove(&id);
        match entry {
            // The caller may have dropped its receiver in the meantime: nothing else to do.
            Some(settle) => {
                let _ = settle.send(outcome);
                true
            }
            None => false,
        }
    }

    /// Removes call `id` without settling it (its caller settles itself). `true` when it was pending.
    pub(crate) fn remove(&self, id: u32) -> bool {
        self.lock().remove(&id).is_some()
    }

    /// Empties the table, handing back every pending call: the caller settles them (see [`Unsettled::settle`])
    /// once it holds no lock, since settling wakes the callers' tasks.
    pub(crate) fn take_all(&self) -> Unsettled {
        Unsettled(std::mem::take(&mut *self.lock()))
    }

    /// How many calls are pending.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IdMap<oneshot::Sender<Settlement>>> {
        // A panic while holding this lock cannot leave the map inconsistent (single map operations), so a
        // poisoned lock is still usable.
        self.calls.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Calls taken out of the table, not settled yet.
#[must_use = "the calls settle only when `settle` is called"]
pub(crate) struct Unsettled(IdMap<oneshot::Sender<Settlement>>);

impl Unsettled {
    /// Settles every call with `error`.
    pub(crate) fn settle(self, error: FunctionError) {
        for (_, settle) in self.0 {
            let _ = settle.send(Err(error));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_settles_once() {
        let table = PendingTable::default();
        let (tx, mut rx) = oneshot::channel();
        table.insert(1, tx);
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
                table.insert(id, tx);
                rx
            })
            .collect();
        table.take_all().settle(FunctionError::Disconnected);
        assert_eq!(table.len(), 0);
        for mut rx in receivers {
            assert_eq!(rx.try_recv().unwrap(), Err(FunctionError::Disconnected));
        }
    }
}
