//! The outbox: one connection's outgoing bytes, in the order they will be written.
//!
//! Every sender (callers, reply tasks, event emitters) appends whole frames under a short lock; the connection's
//! writer task swaps the buffer out and writes it in one go, so frames queued while a write is in progress leave
//! together in the next write (natural batching). Order on the wire is the order of appends, which is also how
//! request ids are numbered: the id of a request is the number of requests appended before it.

use std::sync::Mutex;

use bytes::BytesMut;
use tokio::sync::Notify;

/// The writer's view of the outbox.
pub(crate) struct Outbox {
    state: Mutex<OutboxState>,
    wake_writer: Notify,
}

pub(crate) struct OutboxState {
    pub(crate) buf: BytesMut,
    /// The id the next request frame gets.
    pub(crate) next_request: u32,
    /// Set when the connection closed: nothing more is queued.
    pub(crate) closed: bool,
}

impl Outbox {
    pub(crate) fn new() -> Outbox {
        Outbox {
            state: Mutex::new(OutboxState {
                buf: BytesMut::new(),
                next_request: 0,
                closed: false,
            }),
            wake_writer: Notify::new(),
        }
    }

    /// Runs `append` on the outbox under its lock, unless the connection closed; wakes the writer if bytes were
    /// added. Returns `None` when closed.
    pub(crate) fn with<T>(&self, append: impl FnOnce(&mut OutboxState) -> T) -> Option<T> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        let before = state.buf.len();
        let out = append(&mut state);
        let grew = state.buf.len() > before;
        drop(state);
        if grew {
            self.wake_writer.notify_one();
        }
        Some(out)
    }

    /// Swaps the queued bytes into `spare` (which must be empty) for writing. `false` when there is nothing to write.
    pub(crate) fn take(&self, spare: &mut BytesMut) -> bool {
        let mut state = self.lock();
        if state.buf.is_empty() {
            return false;
        }
        std::mem::swap(&mut state.buf, spare);
        true
    }

    /// Waits until something may have been queued (or the outbox closed).
    pub(crate) async fn wait(&self) {
        self.wake_writer.notified().await;
    }

    /// Marks the outbox closed and wakes the writer. Runs `then` under the same lock, so no frame (and no pending
    /// call, inserted under this lock) can slip in after it.
    pub(crate) fn close(&self, then: impl FnOnce()) -> bool {
        let mut state = self.lock();
        let was_open = !state.closed;
        state.closed = true;
        then();
        drop(state);
        self.wake_writer.notify_one();
        was_open
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
