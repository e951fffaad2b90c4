//! The outbox: one connection's outgoing bytes, in the order they will be written.
//!
//! Every sender (callers, reply tasks, event emitters) appends whole frames under a short lock; the connection's
//! writer task takes everything queued and writes it in one go, so frames queued while a write is in progress
//! leave together in the next write (natural batching). Order on the wire is the order of appends, which is also
//! how request ids are numbered: the id of a request is the number of requests appended before it.
//!
//! Small frames are copied into the tail buffer. A large frame going to many connections (a broadcast) is queued
//! as a shared `Bytes` segment instead, so every recipient's outbox points at the same encoded bytes.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

/// Frames at least this long are shared between recipients rather than copied into each outbox.
pub(crate) const SHARE_THRESHOLD: usize = 1024;

/// One connection's queue of outgoing frames.
pub(crate) struct Outbox {
    state: Mutex<OutboxState>,
    wake_writer: Notify,
}

pub(crate) struct OutboxState {
    /// Bytes queued before `buf`, as shared segments.
    segments: VecDeque<Bytes>,
    /// The newest queued bytes. Callers append frames here.
    pub(crate) buf: BytesMut,
    /// The id the next request frame gets.
    pub(crate) next_request: u32,
    /// Set when the connection closed: nothing more is queued.
    closed: bool,
}

impl OutboxState {
    /// Queues a shared segment (a whole frame or several).
    pub(crate) fn push_shared(&mut self, frame: &Bytes) {
        if !self.buf.is_empty() {
            let tail = self.buf.split().freeze();
            self.segments.push_back(tail);
        }
        self.segments.push_back(frame.clone());
    }

    /// How many bytes are waiting to be written.
    #[cfg(test)]
    pub(crate) fn queued_bytes(&self) -> usize {
        self.buf.len() + self.segments.iter().map(Bytes::len).sum::<usize>()
    }
}

/// What the writer takes out of the outbox in one go.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) segments: VecDeque<Bytes>,
    pub(crate) tail: BytesMut,
}

impl Outbox {
    pub(crate) fn new() -> Outbox {
        Outbox {
            state: Mutex::new(OutboxState {
                segments: VecDeque::new(),
                buf: BytesMut::new(),
                next_request: 0,
                closed: false,
            }),
            wake_writer: Notify::new(),
        }
    }

    /// Runs `append` on the outbox under its lock, unless the connection closed (then returns `None`), and wakes the
    /// writer. `append` must only queue frames: it runs under the lock.
    pub(crate) fn with<T>(&self, append: impl FnOnce(&mut OutboxState) -> T) -> Option<T> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        let out = append(&mut state);
        drop(state);
        self.wake_writer.notify_one();
        Some(out)
    }

    /// Moves everything queued into `batch` (whose parts must be empty), keeping the buffers' capacity.
    /// `false` when there is nothing to write.
    pub(crate) fn take(&self, batch: &mut Batch) -> bool {
        let mut state = self.lock();
        if state.buf.is_empty() && state.segments.is_empty() {
            return false;
        }
        std::mem::swap(&mut state.segments, &mut batch.segments);
        std::mem::swap(&mut state.buf, &mut batch.tail);
        true
    }

    /// Waits until something may have been queued (or the outbox closed).
    pub(crate) async fn wait(&self) {
        self.wake_writer.notified().await;
    }

    /// Marks the outbox closed and wakes the writer. Runs `then` under the same lock, so no frame (and no pending
    /// call, inserted under this lock) can slip in after it. `false` when it was already closed.
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
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_segments_keep_their_place_in_line() {
        let outbox = Outbox::new();
        outbox.with(|s| s.buf.extend_from_slice(b"ab"));
        outbox.with(|s| s.push_shared(&Bytes::from_static(b"SHARED")));
        outbox.with(|s| s.buf.extend_from_slice(b"cd"));
        outbox.with(|s| assert_eq!(s.queued_bytes(), 10));
        let mut batch = Batch::default();
        assert!(outbox.take(&mut batch));
        let mut written: Vec<u8> = batch.segments.iter().flat_map(|s| s.iter().copied()).collect();
        written.extend_from_slice(&batch.tail);
        assert_eq!(written, b"abSHAREDcd");
        batch.segments.clear();
        batch.tail.clear();
        assert!(!outbox.take(&mut batch));
    }

    #[test]
    fn a_shared_frame_is_the_same_bytes_in_every_outbox() {
        let frame = Bytes::from(vec![7u8; SHARE_THRESHOLD]);
        let outboxes = [Outbox::new(), Outbox::new(), Outbox::new()];
        for outbox in &outboxes {
            outbox.with(|s| s.push_shared(&frame));
        }
        for outbox in &outboxes {
            let mut batch = Batch::default();
            assert!(outbox.take(&mut batch));
            assert_eq!(batch.segments.len(), 1);
            assert_eq!(batch.segments[0].as_ptr(), frame.as_ptr(), "the frame was copied, not shared");
        }
    }

    #[test]
    fn nothing_is_queued_after_close() {
        let outbox = Outbox::new();
        assert!(outbox.close(|| {}));
        assert!(!outbox.close(|| {}));
        assert_eq!(outbox.with(|s| s.buf.extend_from_slice(b"x")), None);
    }
}
