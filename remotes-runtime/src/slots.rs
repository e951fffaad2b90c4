//! Reply slots (PROTOCOL.md section 6): how a reply names the call it answers. Each side keeps two lists of call
//! numbers: `outstanding`, the requests it sent that the peer has not answered yet (sending order), and
//! `unanswered`, the peer's requests it has not answered yet (arrival order). A reply names its call by the call's
//! position in the replier's `unanswered`, which is the same position in the caller's `outstanding`.
//!
//! The two lists only agree while every request gets exactly one reply. A reply frame the caller cannot read, or
//! one whose slot names no outstanding call, means they no longer do: every later reply could land on the wrong
//! call. Such a frame is a [`Desync`], and the connection closes on it.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::wire::message::MessageError;

/// A peer that leaves this many of our calls unanswered is not keeping up (or is hostile): the connection closes.
/// An honest peer answers every call, at the latest at the call's deadline.
pub(crate) const MAX_UNANSWERED: usize = 65_536;

/// A frame that breaks the one-reply-per-request accounting: after it, the caller cannot tell which call a reply
/// answers, so the connection closes (and every pending call settles `Disconnected`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Desync {
    /// A `REPLY_OK`/`REPLY_ERR` frame that does not parse: its slot varint is cut short or too large, or a
    /// `REPLY_ERR` body does not hold exactly one code byte after the slot. It answered some call, which one is
    /// unknown.
    #[error("malformed reply frame: {0}")]
    MalformedReply(MessageError),
    /// A reply whose slot is past the end of the outstanding list.
    #[error("reply names slot {slot}, but only {outstanding} of this side's calls are unanswered")]
    NoSuchSlot { slot: u32, outstanding: usize },
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Both lists of one connection.
#[derive(Default)]
pub(crate) struct Slots {
    /// The peer's requests not answered yet, in arrival order.
    unanswered: Mutex<VecDeque<u32>>,
    /// This side's requests the peer has not answered yet, in sending order (the peer's `unanswered`, plus what is
    /// still on its way).
    outstanding: Mutex<VecDeque<u32>>,
}

impl Slots {
    /// Records a request this side is sending, numbered by `number` (called only when there is room). `None`, and
    /// nothing numbered, when the peer already leaves `MAX_UNANSWERED` calls unanswered. The caller holds the
    /// outbox lock, so the list's order is the sending order.
    pub(crate) fn send(&self, number: impl FnOnce() -> u32) -> Option<u32> {
        let mut outstanding = lock(&self.outstanding);
        if outstanding.len() >= MAX_UNANSWERED {
            return None;
        }
        let id = number();
        outstanding.push_back(id);
        Some(id)
    }

    /// The call a reply with slot `slot` answers, taken off the outstanding list.
    pub(crate) fn take_outstanding(&self, slot: u32) -> Result<u32, Desync> {
        let mut outstanding = lock(&self.outstanding);
        outstanding.remove(slot as usize).ok_or(Desync::NoSuchSlot { slot, outstanding: outstanding.len() })
    }

    /// Records a request of the peer as unanswered (every frame of a request kind, in arrival order).
    pub(crate) fn received(&self, id: u32) {
        lock(&self.unanswered).push_back(id);
    }

    /// The slot of the reply to the peer's call `id`, taking the call off the unanswered list; `None` when it was
    /// answered already. The caller holds the outbox lock and queues the reply under it, so slots are computed in
    /// the order the replies travel.
    pub(crate) fn answer(&self, id: u32) -> Option<u32> {
        let mut unanswered = lock(&self.unanswered);
        let slot = unanswered.iter().position(|&unanswered| unanswered == id)?;
        unanswered.remove(slot);
        Some(slot as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_in_any_order_name_the_right_calls() {
        let (caller, replier) = (Slots::default(), Slots::default());
        for n in 0..4 {
            assert_eq!(caller.send(|| n), Some(n));
            replier.received(n);
        }
        // The replier answers 2, then 0, then 3, then 1: each slot taken on the caller's side is that call.
        for id in [2, 0, 3, 1] {
            let slot = replier.answer(id).unwrap();
            assert_eq!(caller.take_outstanding(slot), Ok(id));
        }
        assert_eq!(replier.answer(1), None, "a call is answered once");
    }

    #[test]
    fn a_slot_past_the_end_is_a_desync() {
        let caller = Slots::default();
        assert_eq!(caller.take_outstanding(0), Err(Desync::NoSuchSlot { slot: 0, outstanding: 0 }));
        caller.send(|| 7);
        assert_eq!(caller.take_outstanding(1), Err(Desync::NoSuchSlot { slot: 1, outstanding: 1 }));
        assert_eq!(caller.take_outstanding(0), Ok(7));
    }

    #[test]
    fn sending_stops_at_the_cap() {
        let caller = Slots::default();
        for n in 0..MAX_UNANSWERED as u32 {
            assert!(caller.send(|| n).is_some());
        }
        assert_eq!(caller.send(|| unreachable!("no number is taken at the cap")), None);
    }
}
