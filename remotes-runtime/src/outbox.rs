//! The outbox: one connection's outgoing bytes, in the order they will be written.
//!
//! Every sender (callers, reply tasks, event emitters) appends whole frames under a short lock; the connection's
//! writer task takes everything queued and writes it in one go, so frames queued while a write is in progress
//! leave together in the next write (natural batching). Order on the wire is the order of appends, which is also
//! how request ids are numbered: the id of a request is the number of requests appended before it.
//!
//! Replies (and pongs) are counted apart: they are the peer's doing, and while the peer has not taken as many as
//! the queue's cap, its connection's reader stops reading (see `replies_over`), so a peer that sends faster than
//! it reads waits in its own transport instead of growing this queue.
//!
//! Small frames are copied into the tail buffer. A large frame going to many connections (a broadcast) is queued
//! as a shared `Bytes` segment instead, so every recipient's outbox points at the same encoded bytes.
//!
//! # Locks
//!
//! The state lock is the outermost lock of a connection. The closures of `with` and `close` run under it and may
//! take the link's `outstanding` and `unanswered` lists and its pending-call table (see `link.rs`), nothing else;
//! they only move state, never run user code, settle calls or wake tasks (the writer is woken after the lock is
//! released).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::signal::Signal;
use crate::wire::frame::put_frame;

/// Frames at least this long are shared between recipients rather than copied into each outbox.
pub(crate) const SHARE_THRESHOLD: usize = 1024;

/// One connection's queue of outgoing frames.
pub(crate) struct Outbox {
    state: Mutex<OutboxState>,
    /// Replies not written yet (queued or in the batch being written), frames and bytes: a copy of the state's
    /// counts, readable by the reader without the lock.
    reply_debt: [AtomicUsize; 2],
    /// Raised when a frame was queued or the outbox closed: the writer waits on it.
    wake_writer: Signal,
    /// Signalled each time the writer finished a batch, when someone waits for it (`written_waiters`).
    written: Notify,
    /// How many tasks wait on `written` (in `replies_below` and `flushed`): the writer skips `notify_waiters`,
    /// which takes the `Notify`'s lock, when none does.
    written_waiters: AtomicUsize,
    /// Set (under the state's lock, so that nothing is queued after it) when the connection closed: nothing more is
    /// queued. Read without the lock by `is_closed`.
    closed: AtomicBool,
}

pub(crate) struct OutboxState {
    /// Bytes queued before `buf`, as shared segments.
    segments: VecDeque<Bytes>,
    /// The bytes in `segments`.
    segment_bytes: usize,
    /// The newest queued bytes. Callers append frames here.
    buf: BytesMut,
    /// Frames queued since the writer last took the queue.
    frames: usize,
    /// When a frame was first refused because the queue was full, or the reader first waited for the peer to take
    /// its replies (cleared whenever the writer makes progress).
    full_since: Option<Instant>,
    /// Replies queued since the writer last took the queue, and their bytes.
    reply_frames: usize,
    reply_bytes: usize,
    /// Replies in the batch the writer is writing, and their bytes.
    writing_reply_frames: usize,
    writing_reply_bytes: usize,
    /// The id the next request frame gets.
    pub(crate) next_request: u32,
    /// The writer holds a batch it has not finished writing.
    writing: bool,
}

/// Caps on one outbox (see `ServerBuilder::max_queued`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueueLimits {
    pub frames: usize,
    pub bytes: usize,
}

impl OutboxState {
    /// Appends one frame (see `put_frame`).
    pub(crate) fn put(&mut self, kind: u8, header: &[u32], payload: &[u8]) {
        put_frame(&mut self.buf, kind, header, payload);
        self.frames += 1;
    }

    /// Appends a reply to the peer (or a pong): counted against the peer's reply allowance.
    pub(crate) fn put_reply(&mut self, kind: u8, header: &[u32], payload: &[u8]) {
        let before = self.buf.len();
        self.put(kind, header, payload);
        self.reply_frames += 1;
        self.reply_bytes += self.buf.len() - before;
    }

    /// Appends one already encoded frame: shared when it is large, copied otherwise.
    pub(crate) fn push_frame(&mut self, frame: &Bytes) {
        if frame.len() >= SHARE_THRESHOLD {
            if !self.buf.is_empty() {
                let tail = self.buf.split().freeze();
                self.segment_bytes += tail.len();
                self.segments.push_back(tail);
            }
            self.segment_bytes += frame.len();
            self.segments.push_back(frame.clone());
        } else {
            self.buf.extend_from_slice(frame);
        }
        self.frames += 1;
    }

    /// How many bytes are waiting to be written.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.buf.len() + self.segment_bytes
    }

    /// `true` when a frame of `len` bytes fits under `limits`. A refusal marks the queue full from now on, until
    /// the writer takes it.
    pub(crate) fn has_room(&mut self, limits: QueueLimits, len: usize) -> bool {
        let room = self.frames < limits.frames && self.queued_bytes() + len <= limits.bytes;
        if !room {
            self.full_since.get_or_insert_with(Instant::now);
        }
        room
    }
}

/// What the writer takes out of the outbox in one go.
#[derive(Default)]
pub(crate) struct Batch {
    pub(crate) segments: VecDeque<Bytes>,
    pub(crate) tail: BytesMut,
    /// The frames taken.
    pub(crate) frames: usize,
}

impl Outbox {
    pub(crate) fn new() -> Outbox {
        Outbox {
            state: Mutex::new(OutboxState {
                segments: VecDeque::new(),
                segment_bytes: 0,
                buf: BytesMut::new(),
                frames: 0,
                full_since: None,
                reply_frames: 0,
                reply_bytes: 0,
                writing_reply_frames: 0,
                writing_reply_bytes: 0,
                next_request: 0,
                writing: false,
            }),
            reply_debt: [AtomicUsize::new(0), AtomicUsize::new(0)],
            wake_writer: Signal::default(),
            written: Notify::new(),
            written_waiters: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `append` on the outbox under its lock, unless the connection closed (then returns `None`), and wakes the
    /// writer. `append` must only queue frames: it runs under the lock.
    pub(crate) fn with<T>(&self, append: impl FnOnce(&mut OutboxState) -> T) -> Option<T> {
        let mut state = self.lock();
        if self.is_closed() {
            return None;
        }
        let replies = state.reply_frames;
        let out = append(&mut state);
        if state.reply_frames != replies {
            self.publish_debt(&state);
        }
        drop(state);
        self.wake_writer.raise();
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
        state.segment_bytes = 0;
        batch.frames = std::mem::take(&mut state.frames);
        state.full_since = None;
        state.writing_reply_frames = std::mem::take(&mut state.reply_frames);
        state.writing_reply_bytes = std::mem::take(&mut state.reply_bytes);
        state.writing = true;
        true
    }

    /// The writer handed part of its batch to the transport: the peer is reading. A full queue stays full (the
    /// batch is not written yet), but its grace period starts again: the slow-peer rule judges whether the peer
    /// reads, not how much it was sent at once.
    pub(crate) fn progressed(&self) {
        let mut state = self.lock();
        if state.full_since.is_some() {
            state.full_since = Some(Instant::now());
        }
    }

    /// The writer finished writing the batch it took.
    pub(crate) fn written(&self) {
        {
            let mut state = self.lock();
            state.writing = false;
            state.writing_reply_frames = 0;
            state.writing_reply_bytes = 0;
            state.full_since = None;
            self.publish_debt(&state);
        }
        // SeqCst, as the waiters' count: either a waiter counted itself before this load (and is woken), or it
        // takes the state's lock after the writer released it above (and sees the batch written).
        if self.written_waiters.load(Ordering::SeqCst) > 0 {
            self.written.notify_waiters();
        }
    }

    /// `true` when the peer has as many replies waiting to be written as the queue's cap allows: its reader should
    /// stop reading until the writer makes progress (see `replies_below`). Marks the queue full, for the slow-peer
    /// check.
    pub(crate) fn replies_over(&self, limits: QueueLimits) -> bool {
        let over = self.reply_debt[0].load(Ordering::Acquire) >= limits.frames
            || self.reply_debt[1].load(Ordering::Acquire) >= limits.bytes;
        if !over {
            return false;
        }
        let mut state = self.lock();
        if self.is_closed() {
            return false;
        }
        state.full_since.get_or_insert_with(Instant::now);
        true
    }

    fn publish_debt(&self, state: &OutboxState) {
        self.reply_debt[0].store(state.reply_frames + state.writing_reply_frames, Ordering::Release);
        self.reply_debt[1].store(state.reply_bytes + state.writing_reply_bytes, Ordering::Release);
    }

    /// Resolves once the peer's replies waiting to be written are under the queue's cap, or the outbox closed.
    pub(crate) async fn replies_below(&self, limits: QueueLimits) {
        let _counted = WrittenWaiter::count(self);
        loop {
            let written = self.written.notified();
            if !self.replies_over(limits) {
                return;
            }
            written.await;
        }
    }

    /// Resolves once everything queued so far has been handed to the transport, or the connection closed.
    pub(crate) async fn flushed(&self) {
        let _counted = WrittenWaiter::count(self);
        loop {
            let written = self.written.notified();
            {
                let state = self.lock();
                let idle = !state.writing && state.buf.is_empty() && state.segments.is_empty();
                if idle || self.is_closed() {
                    return;
                }
            }
            written.await;
        }
    }

    /// The frames and bytes queued and not taken by the writer yet.
    pub(crate) fn queued(&self) -> (usize, usize) {
        let state = self.lock();
        (state.frames, state.queued_bytes())
    }

    /// How many frames are queued.
    pub(crate) fn queued_frames(&self) -> usize {
        self.lock().frames
    }

    /// How long frames have been refused for lack of room, if they are.
    pub(crate) fn full_for(&self) -> Option<std::time::Duration> {
        self.lock().full_since.map(|since| since.elapsed())
    }

    /// Waits until something may have been queued (or the outbox closed).
    pub(crate) async fn wait(&self) {
        self.wake_writer.take().await;
    }

    /// Marks the outbox closed and wakes the writer. Runs `then` under the same lock, so no frame (and no pending
    /// call, inserted under this lock) can slip in after it: `then` must only take state out (it runs under the
    /// lock), and hands back what to act on once the lock is released. `None` when the outbox was already closed
    /// (`then` does not run).
    pub(crate) fn close<T>(&self, then: impl FnOnce() -> T) -> Option<T> {
        let state = self.lock();
        if self.closed.swap(true, Ordering::AcqRel) {
            return None;
        }
        let out = then();
        drop(state);
        self.wake_writer.raise();
        self.written.notify_waiters();
        Some(out)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutboxState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A task counted among the outbox's `written_waiters` while it lives.
struct WrittenWaiter<'a>(&'a AtomicUsize);

impl WrittenWaiter<'_> {
    fn count(outbox: &Outbox) -> WrittenWaiter<'_> {
        outbox.written_waiters.fetch_add(1, Ordering::SeqCst);
        WrittenWaiter(&outbox.written_waiters)
    }
}

impl Drop for WrittenWaiter<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_segments_keep_their_place_in_line() {
        let outbox = Outbox::new();
        let shared = Bytes::from(vec![b'S'; SHARE_THRESHOLD]);
        outbox.with(|s| s.push_frame(&Bytes::from_static(b"ab")));
        outbox.with(|s| s.push_frame(&shared));
        outbox.with(|s| s.push_frame(&Bytes::from_static(b"cd")));
        outbox.with(|s| assert_eq!((s.queued_bytes(), s.frames), (SHARE_THRESHOLD + 4, 3)));
        let mut batch = Batch::default();
        assert!(outbox.take(&mut batch));
        let mut written: Vec<u8> = batch.segments.iter().flat_map(|s| s.iter().copied()).collect();
        written.extend_from_slice(&batch.tail);
        let mut expected = b"ab".to_vec();
        expected.extend_from_slice(&shared);
        expected.extend_from_slice(b"cd");
        assert_eq!(written, expected);
        batch.segments.clear();
        batch.tail.clear();
        assert!(!outbox.take(&mut batch));
    }

    #[test]
    fn a_shared_frame_is_the_same_bytes_in_every_outbox() {
        let frame = Bytes::from(vec![7u8; SHARE_THRESHOLD]);
        let outboxes = [Outbox::new(), Outbox::new(), Outbox::new()];
        for outbox in &outboxes {
            outbox.with(|s| s.push_frame(&frame));
        }
        for outbox in &outboxes {
            let mut batch = Batch::default();
            assert!(outbox.take(&mut batch));
            assert_eq!(batch.segments.len(), 1);
            assert_eq!(batch.segments[0].as_ptr(), frame.as_ptr(), "the frame was copied, not shared");
        }
    }

    #[test]
    fn the_queue_is_capped_in_frames_and_bytes() {
        let outbox = Outbox::new();
        let limits = QueueLimits { frames: 2, bytes: 100 };
        outbox.with(|s| {
            assert!(s.has_room(limits, 10));
            s.put(0x20, &[1], &[0; 8]);
            assert!(!s.has_room(limits, 100));
            assert!(s.has_room(limits, 10));
            s.put(0x20, &[1], &[0; 8]);
            assert!(!s.has_room(limits, 1));
        });
        assert!(outbox.full_for().is_some());
        let mut batch = Batch::default();
        assert!(outbox.take(&mut batch));
        assert!(outbox.full_for().is_none());
        outbox.with(|s| assert!(s.has_room(limits, 10)));
    }

    #[tokio::test(start_paused = true)]
    async fn replies_count_until_written() {
        let outbox = Outbox::new();
        let limits = QueueLimits { frames: 2, bytes: 1 << 20 };
        outbox.with(|s| s.put(0x20, &[1], b"event"));
        outbox.with(|s| s.put_reply(0x12, &[0], b"a"));
        assert!(!outbox.replies_over(limits), "events and requests are not the peer's replies");
        outbox.with(|s| s.put_reply(0x12, &[0], b"b"));
        assert!(outbox.replies_over(limits));
        assert!(outbox.full_for().is_some(), "waiting for the peer to take its replies counts for the slow-peer rule");
        let mut batch = Batch::default();
        assert!(outbox.take(&mut batch));
        assert!(outbox.replies_over(limits), "replies being written are still the peer's to take");
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        assert_eq!(outbox.full_for(), Some(std::time::Duration::from_secs(1)));
        outbox.progressed();
        assert_eq!(outbox.full_for(), Some(std::time::Duration::ZERO), "progress restarts the grace period");
        outbox.written();
        assert!(!outbox.replies_over(limits));
        assert!(outbox.full_for().is_none());
    }

    #[test]
    fn nothing_is_queued_after_close() {
        let outbox = Outbox::new();
        assert!(outbox.close(|| {}).is_some());
        assert!(outbox.close(|| unreachable!("runs once")).is_none());
        assert_eq!(outbox.with(|s| s.put(0x20, &[1], b"x")), None);
    }
}
