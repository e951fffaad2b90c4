//! Early events: the events a connection receives before this side binds an interface (a client between `connect`
//! and attaching), held in arrival order and delivered when the binding is set, before any event that comes after.
//!
//! # Locks
//!
//! One lock, on the queue. The binding is set under it (the reader checks the binding under it too), and nothing
//! else is taken while it is held. Delivery runs user code (the pipeline's constraints and rejection hooks), so it
//! never runs under the lock: [`EarlyEvents::bind`] takes the queue out, delivers it with the lock released, and
//! comes back for what arrived meanwhile; the binding is set only once the queue is found empty, so until then
//! newer events keep queueing behind the early ones and none overtakes them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use bytes::Bytes;

/// One connection's early events, and the binding they wait for (a `binding::Binding`).
pub(crate) struct EarlyEvents<B> {
    events: Mutex<VecDeque<(u32, Bytes)>>,
    max: usize,
    binding: OnceLock<B>,
    /// Set by the first `bind`: only the first binding counts.
    claimed: AtomicBool,
}

/// What became of an event that arrived.
pub(crate) enum Arrival<'a, B> {
    /// The binding is set: deliver the event with it.
    Bound(&'a B),
    /// Held until the binding is set; `overflowed` when the oldest held event was dropped to make room.
    Held { overflowed: bool },
}

impl<B> EarlyEvents<B> {
    pub(crate) fn new(max: usize) -> EarlyEvents<B> {
        EarlyEvents {
            events: Mutex::new(VecDeque::new()),
            max,
            binding: OnceLock::new(),
            claimed: AtomicBool::new(false),
        }
    }

    /// The binding, once it is set (and every early event was delivered).
    pub(crate) fn binding(&self) -> Option<&B> {
        self.binding.get()
    }

    /// Takes an event that arrived: to be delivered with the binding, or held until there is one.
    pub(crate) fn arrive(&self, remote: u32, args: &Bytes) -> Arrival<'_, B> {
        if let Some(binding) = self.binding() {
            return Arrival::Bound(binding);
        }
        let mut events = self.lock();
        if let Some(binding) = self.binding() {
            return Arrival::Bound(binding);
        }
        let overflowed = events.len() >= self.max;
        if overflowed {
            events.pop_front();
        }
        // Copied out of the read buffer: a held slice would keep the whole buffer alive.
        events.push_back((remote, Bytes::copy_from_slice(args)));
        Arrival::Held { overflowed }
    }

    /// Sets the binding (only the first call counts) after handing every early event to `deliver`, in order and
    /// with the lock released.
    pub(crate) fn bind(&self, binding: B, deliver: impl Fn(&B, u32, Bytes)) {
        if self.claimed.swap(true, Ordering::AcqRel) {
            return;
        }
        loop {
            let early = {
                let mut events = self.lock();
                if events.is_empty() {
                    // Set under the lock: the reader checks the binding under it too, so no event can overtake the
                    // early ones.
                    let _ = self.binding.set(binding);
                    return;
                }
                std::mem::take(&mut *events)
            };
            for (remote, args) in early {
                deliver(&binding, remote, args);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<(u32, Bytes)>> {
        self.events.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_arriving_while_the_early_ones_are_delivered_queue_behind_them() {
        let early = EarlyEvents::<&str>::new(8);
        let args = Bytes::from_static(b"x");
        assert!(matches!(early.arrive(1, &args), Arrival::Held { overflowed: false }));
        assert!(matches!(early.arrive(2, &args), Arrival::Held { overflowed: false }));
        let delivered = Mutex::new(Vec::new());
        early.bind("first", |binding, remote, _args| {
            assert_eq!(*binding, "first");
            delivered.lock().unwrap().push(remote);
            // The reader goes on while the early events are delivered (with the lock released): what arrives now
            // waits behind them.
            if remote == 1 {
                assert!(matches!(early.arrive(3, &args), Arrival::Held { overflowed: false }));
            }
        });
        assert_eq!(*delivered.lock().unwrap(), [1, 2, 3]);
        assert!(matches!(early.arrive(4, &args), Arrival::Bound(&"first")));
        early.bind("second", |_, _, _| unreachable!("only the first binding counts"));
        assert_eq!(early.binding(), Some(&"first"));
    }

    #[test]
    fn a_full_queue_drops_the_oldest() {
        let early = EarlyEvents::<()>::new(2);
        let args = Bytes::from_static(b"x");
        for remote in 0..2 {
            assert!(matches!(early.arrive(remote, &args), Arrival::Held { overflowed: false }));
        }
        assert!(matches!(early.arrive(2, &args), Arrival::Held { overflowed: true }));
        let delivered = Mutex::new(Vec::new());
        early.bind((), |_, remote, _| delivered.lock().unwrap().push(remote));
        assert_eq!(*delivered.lock().unwrap(), [1, 2]);
    }
}
