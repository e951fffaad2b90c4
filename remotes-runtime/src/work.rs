//! Work in progress: what one peer has this side doing at once. Calls in flight are counted by the link (their
//! tasks can be cancelled); this budget adds the events whose listeners are still running and the payload bytes that
//! calls and events in progress hold, so neither a flood of events nor payloads that decode into much larger values
//! can make a peer's share grow without bound.
//!
//! Each admitted call or event holds a [`Ticket`] until its handler or last listener finishes; dropping the ticket
//! gives its share back.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The caps of one peer's budget (see `max_events_in_flight`, `max_in_flight_bytes`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkLimits {
    pub events: usize,
    pub bytes: usize,
}

/// One peer's work in progress.
#[derive(Debug)]
pub(crate) struct Work {
    limits: WorkLimits,
    events: AtomicUsize,
    bytes: AtomicUsize,
}

/// A share of a peer's budget, held while a call or event is in progress.
#[derive(Debug)]
pub(crate) struct Ticket {
    work: Arc<Work>,
    bytes: usize,
    event: bool,
}

/// Why a call or event was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Too many events of this peer have listeners running.
    Events,
    /// The payload would take the bytes in progress past the budget.
    Bytes,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refused::Events => "too many of this peer's events have listeners running",
            Refused::Bytes => "the payloads of this peer's calls and events in progress exceed their budget",
        })
    }
}

impl WorkLimits {
    /// The caps a side's settings give (`max_events_in_flight`, `max_in_flight_bytes`).
    pub(crate) fn from_config(config: &crate::config::Config) -> WorkLimits {
        WorkLimits { events: config.max_events_in_flight, bytes: config.max_in_flight_bytes }
    }
}

impl Work {
    pub(crate) fn new(limits: WorkLimits) -> Arc<Work> {
        Arc::new(Work { limits, events: AtomicUsize::new(0), bytes: AtomicUsize::new(0) })
    }

    /// Takes a share for a call whose payload is `bytes` long (the call count itself is capped by the link).
    pub(crate) fn admit_call(self: &Arc<Self>, bytes: usize) -> Result<Ticket, Refused> {
        self.take_bytes(bytes)?;
        Ok(Ticket { work: Arc::clone(self), bytes, event: false })
    }

    /// Takes a share for an event whose payload is `bytes` long.
    pub(crate) fn admit_event(self: &Arc<Self>, bytes: usize) -> Result<Ticket, Refused> {
        if self.events.fetch_add(1, Ordering::AcqRel) >= self.limits.events {
            self.events.fetch_sub(1, Ordering::AcqRel);
            return Err(Refused::Events);
        }
        if let Err(refused) = self.take_bytes(bytes) {
            self.events.fetch_sub(1, Ordering::AcqRel);
            return Err(refused);
        }
        Ok(Ticket { work: Arc::clone(self), bytes, event: true })
    }

    /// One payload is always admitted when nothing else holds bytes, so a budget below the frame limit cannot
    /// refuse a request forever.
    fn take_bytes(&self, bytes: usize) -> Result<(), Refused> {
        let before = self.bytes.fetch_add(bytes, Ordering::AcqRel);
        if before != 0 && before + bytes > self.limits.bytes {
            self.bytes.fetch_sub(bytes, Ordering::AcqRel);
            return Err(Refused::Bytes);
        }
        Ok(())
    }

    /// Events with listeners running.
    pub(crate) fn events(&self) -> usize {
        self.events.load(Ordering::Acquire)
    }

    /// Payload bytes held by calls and events in progress.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.work.bytes.fetch_sub(self.bytes, Ordering::AcqRel);
        if self.event {
            self.work.events.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_capped_and_given_back() {
        let work = Work::new(WorkLimits { events: 2, bytes: 1 << 20 });
        let a = work.admit_event(10).unwrap();
        let _b = work.admit_event(10).unwrap();
        assert_eq!(work.admit_event(10).unwrap_err(), Refused::Events);
        drop(a);
        assert!(work.admit_event(10).is_ok());
        assert_eq!(work.events(), 1);
    }

    #[test]
    fn bytes_are_budgeted_but_one_payload_always_fits() {
        let work = Work::new(WorkLimits { events: 10, bytes: 100 });
        let big = work.admit_call(1_000).unwrap();
        assert_eq!(work.admit_call(1).unwrap_err(), Refused::Bytes);
        assert_eq!(work.admit_event(1).unwrap_err(), Refused::Bytes);
        assert_eq!(work.events(), 0, "a refused event gives its count back");
        drop(big);
        let _a = work.admit_call(60).unwrap();
        let _b = work.admit_call(40).unwrap();
        assert_eq!(work.admit_call(1).unwrap_err(), Refused::Bytes);
        assert_eq!(work.bytes(), 100);
    }
}
