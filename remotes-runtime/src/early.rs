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

use crate::link::Binding;

/// One connection's early events, and the binding they wait for.
pub(crate) struct EarlyEvents {
    events: Mutex<VecDeque<(u32, Bytes)>>,
    max: usize,
    binding: OnceLock<Binding>,
    /// Set by the first `bind`: only the first binding counts.
    claimed: AtomicBool,
}

/// What became of an event that arrived.
pub(crate) enum Arrival<'a> {
    /// The binding is set: deliver the event with it.
    Bound(&'a Binding),
    /// Held until the binding is set; `overflowed` when the oldest held event was dropped to make room.
    Held { overflowed: bool },
}

impl EarlyEvents {
    pub(crate) fn new(max: usize) -> EarlyEvents {
        EarlyEvents {
            events: Mutex::new(VecDeque::new()),
            max,
            binding: OnceLock::new(),
            claimed: AtomicBool::new(false),
        }
    }

    /// The binding, once it is set (and every early event was delivered).
    pub(crate) fn binding(&self) -> Option<&Binding> {
        self.binding.get()
    }

    /// Takes an event that arrived: to be delivered with the binding, or held until there is one.
    pub(crate) fn arrive(&self, remote: u32, args: &Bytes) -> Arrival<'_> {
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
    pub(crate) fn bind(&self, binding: Binding, deliver: impl Fn(&Binding, u32, Bytes)) {
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
