//! This side's calls to the peer: queuing a request with its pending entry, the guard that cancels it when its
//! caller gives up, and settling it when the peer's reply names it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::Link;
use crate::FunctionError;
use crate::config::millis;
use crate::pending::Settlement;
use crate::slots::{Desync, MAX_UNANSWERED};
use crate::wire::frame::body_len;
use crate::wire::message::{kind, request_header};

/// A request that was queued: the channel its reply (or its `Timeout`, from the expiry task) arrives on and its
/// entry's guard (dropping it cancels the call).
pub(crate) struct Sent {
    pub(crate) reply: oneshot::Receiver<Settlement>,
    pub(crate) guard: CallGuard,
}

/// Owned by an `Invoke` while its call is pending. Dropping it unsettled removes the entry and tells the receiver.
pub(crate) struct CallGuard {
    link: Arc<Link>,
    id: u32,
    armed: bool,
}

impl CallGuard {
    pub(crate) fn new(link: Arc<Link>, id: u32) -> CallGuard {
        CallGuard { link, id, armed: true }
    }

    /// The call was settled through the table (by its reply, its deadline or the connection closing); nothing is
    /// left to clean up. A timed-out call sends no cancellation: the receiver enforces the same deadline on its side
    /// (and answers `Timeout`).
    pub(crate) fn settled(&mut self) {
        self.armed = false;
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if self.armed && self.link.pending.remove(self.id) {
            self.link.send_cancel(self.id);
        }
    }
}

impl Link {
    /// Queues a request for remote `remote` (a wire id): what the `Invoke` future does when it is first polled.
    /// Returns what it then waits on, or why the call settles at once. The receiver is told `timeout`; the expiry
    /// task settles the call `Timeout` at `deadline` (the caller's clock read plus `timeout`) if nothing settled it
    /// first.
    pub(crate) fn call(
        self: &Arc<Self>,
        remote: u32,
        name: &'static str,
        args: &[u8],
        timeout: Duration,
        deadline: Instant,
    ) -> Result<Sent, FunctionError> {
        let timeout_ms = (timeout != self.local_default).then(|| millis(timeout));
        let header: &[u32] = match &timeout_ms {
            None => &[remote],
            Some(ms) => &[remote, *ms],
        };
        let len = body_len(header, args.len());
        if len > self.peer_max_frame {
            tracing::warn!(
                peer = %self.peer,
                remote = name,
                len,
                max = self.peer_max_frame,
                "request exceeds the peer's maximum frame length; not sent"
            );
            return Err(FunctionError::BadRequest);
        }
        let (settle, reply) = oneshot::channel();
        let queued = self.outbox.with(|state| {
            let id = self.slots.send(|| {
                let id = state.next_request;
                state.next_request = id.wrapping_add(1);
                id
            })?;
            let wake = self.pending.insert(id, settle, deadline);
            let (kind, header, len) = request_header(remote, timeout_ms);
            state.put(kind, &header[..len], args);
            Some((id, wake))
        });
        match queued {
            Some(Some((id, wake))) => {
                if wake {
                    self.wake_expiry();
                }
                Ok(Sent { reply, guard: CallGuard::new(Arc::clone(self), id) })
            }
            Some(None) => {
                tracing::warn!(peer = %self.peer, max = MAX_UNANSWERED, "the peer leaves too many calls unanswered; closing this connection");
                self.close();
                Err(FunctionError::Disconnected)
            }
            None => Err(FunctionError::Disconnected),
        }
    }

    /// Settles the call a reply names by its slot: its position among this side's requests not answered yet. A
    /// slot past the end of that list is a `Desync`: the reader closes the connection on it.
    pub(crate) fn on_reply(&self, slot: u32, outcome: Result<Bytes, FunctionError>) -> Result<(), Desync> {
        let id = self.slots.take_outstanding(slot)?;
        if !self.pending.settle(id, outcome) {
            tracing::debug!(peer = %self.peer, call = id, "late reply to a call that already settled; dropped");
        }
        Ok(())
    }

    /// Tells the peer that this side gave up on call `id`.
    pub(crate) fn send_cancel(&self, id: u32) {
        self.outbox.with(|state| state.put(kind::CANCEL, &[id], &[]));
    }
}
