//! The link: one connection's shared state, which callers, reply tasks and the connection's tasks all use. It
//! queues this side's calls with an entry in the pending-call table (`calls`), settles them `Timeout` at their
//! deadlines (`expiry`: one task per connection), sends the one reply to each of the
//! peer's calls and tracks those being handled (`handled`), queues events, and keeps the peer's counters. It knows
//! nothing of remotes beyond their wire ids: the receiving layer decides what a frame means.
//!
//! # Locks
//!
//! The outbox's lock is the only one held while another is taken: under it, `call` lists a request in the reply
//! slots' `outstanding` list and inserts its pending entry, `reply` takes the call's slot out of `unanswered`, and
//! `close` empties the pending table (settling it once the lock is released). The pending table's lock also
//! covers the calls' deadlines; the expiry task takes it alone, and settles the calls it takes out after releasing
//! it. The slot lists and the pending table are taken under nothing else, and take nothing themselves. The
//! in-flight table and the log limiter are taken alone. No user code runs under any of them: handlers are polled
//! with every lock of the link released.

mod calls;
mod expiry;
mod handled;

pub(crate) use calls::{CallGuard, Sent};
pub(crate) use handled::ReplyFuture;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::FunctionError;
use crate::log_limit::LogLimit;
use crate::outbox::{Outbox, QueueLimits};
use crate::pending::PendingTable;
use crate::signal::Signal;
use crate::slots::Slots;
use crate::telemetry::{Dropped, Telemetry};
use crate::wire::message::kind;
use crate::work::{Work, WorkLimits};

/// One connection's shared state.
pub(crate) struct Link {
    pub(crate) outbox: Outbox,
    pub(crate) pending: PendingTable,
    /// The peer's calls being handled here, each with its task (`None` while the task is being spawned).
    inflight: handled::InFlight,
    /// The peer's requests not answered yet and this side's requests the peer has not answered yet: a reply names
    /// its call by its place there.
    slots: Slots,
    closed: Notify,
    /// Raised when the connection closes, for its read loop (which also polls its keepalive timer with it: see
    /// `connection::attention`).
    pub(crate) reader: Arc<Signal>,
    /// Wakes the expiry task (`expiry`) when a call lists a deadline earlier than the one it sleeps until.
    deadline_listed: Notify,
    /// Who is at the other end, for logs: `player 3`, `server`.
    pub(crate) peer: String,
    /// The timeout this side announced: requests with exactly this timeout leave it out.
    local_default: Duration,
    /// The timeout the peer announced, for its requests that leave theirs out.
    peer_default: Duration,
    /// The largest frame the peer accepts.
    peer_max_frame: usize,
    max_in_flight: usize,
    queue_limits: QueueLimits,
    bad_requests: AtomicU64,
    rate_limited: AtomicU64,
    /// The peer's events with listeners running, and the payload bytes its calls and events in progress hold.
    pub(crate) work: Arc<Work>,
    /// Rejections of what this peer sends are logged through this limiter.
    pub(crate) log_limit: LogLimit,
    /// The side's per-remote figures, where the calls handled here are recorded as they settle.
    telemetry: Option<Arc<Telemetry>>,
    /// Bytes read from and written to the transport.
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
}

/// Settings a link needs from the handshake.
pub(crate) struct LinkSettings {
    pub peer: String,
    pub local_default: Duration,
    pub peer_default: Duration,
    pub peer_max_frame: usize,
    pub max_in_flight: usize,
    pub queue_limits: QueueLimits,
    pub work: WorkLimits,
    pub log_limit: LogLimit,
    pub telemetry: Option<Arc<Telemetry>>,
}

impl Link {
    pub(crate) fn new(settings: LinkSettings) -> Arc<Link> {
        Arc::new(Link {
            outbox: Outbox::new(),
            pending: PendingTable::default(),
            inflight: handled::InFlight::default(),
            slots: Slots::default(),
            closed: Notify::new(),
            reader: Arc::default(),
            deadline_listed: Notify::new(),
            peer: settings.peer,
            local_default: settings.local_default,
            peer_default: settings.peer_default,
            peer_max_frame: settings.peer_max_frame,
            max_in_flight: settings.max_in_flight,
            queue_limits: settings.queue_limits,
            bad_requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            work: Work::new(settings.work),
            log_limit: settings.log_limit,
            telemetry: settings.telemetry,
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
        })
    }

    pub(crate) fn count_bad_request(&self) {
        self.bad_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn bad_requests(&self) -> u64 {
        self.bad_requests.load(Ordering::Relaxed)
    }

    pub(crate) fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Counts a request or event refused or delayed by a rate limit, the receive budget or an in-flight cap.
    pub(crate) fn count_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether a complaint about what the peer sent may be logged now (see `LogLimit`).
    pub(crate) fn may_log(&self) -> bool {
        self.log_limit.admit(&self.peer)
    }

    /// Queues an encoded event frame (`body_len` is the length its prefix announces). An error when the connection
    /// is closed, its outgoing queue is full, or the frame exceeds the peer's maximum.
    pub(crate) fn queue_frame(&self, frame: &Bytes, body_len: usize) -> Result<(), Dropped> {
        if body_len > self.peer_max_frame {
            tracing::warn!(peer = %self.peer, len = body_len, max = self.peer_max_frame, "event exceeds the peer's maximum frame length; not sent");
            return Err(Dropped::TooLarge);
        }
        let queued = self.outbox.with(|state| {
            let room = state.has_room(self.queue_limits, frame.len());
            if room {
                state.push_frame(frame);
            }
            room
        });
        match queued {
            Some(true) => Ok(()),
            Some(false) => {
                tracing::debug!(peer = %self.peer, "outgoing queue full; event skipped");
                Err(Dropped::QueueFull)
            }
            None => Err(Dropped::NotConnected),
        }
    }

    pub(crate) fn peer_default_timeout(&self) -> Duration {
        self.peer_default
    }

    /// Answers a keepalive ping, unless the outgoing queue is full: a peer that pings without reading gets no more
    /// than the queue holds (and the slow-peer check notices it).
    pub(crate) fn send_pong(&self) {
        self.outbox.with(|state| {
            if state.has_room(self.queue_limits, 2) {
                state.put_reply(kind::PONG, &[], &[]);
            }
        });
    }

    /// Sends a keepalive ping, unless the outgoing queue is full (which the slow-peer check then notices).
    pub(crate) fn send_ping(&self) {
        self.outbox.with(|state| {
            if state.has_room(self.queue_limits, 2) {
                state.put(kind::PING, &[], &[]);
            }
        });
    }

    /// Closes the connection: nothing more is queued, every pending call settles `Disconnected`, every call being
    /// handled for the peer is stopped (nobody is left to take its reply), and both tasks stop.
    pub(crate) fn close(&self) {
        if let Some(unsettled) = self.outbox.close(|| self.pending.take_all()) {
            unsettled.settle(FunctionError::Disconnected);
            self.log_limit.flush(&self.peer);
            let mut handlers: Vec<AbortHandle> = Vec::new();
            for (_, handling) in self.inflight.take_all() {
                // Nobody is left to take the reply.
                self.record(&handling.start, crate::telemetry::Outcome::error(FunctionError::Disconnected), 0);
                handlers.extend(handling.task);
            }
            if !handlers.is_empty() {
                tracing::debug!(peer = %self.peer, calls = handlers.len(), "connection closed; stopping the calls it was handling");
            }
            for task in handlers {
                task.abort();
            }
            self.closed.notify_waiters();
            self.reader.raise();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.outbox.is_closed()
    }

    /// Resolves once the connection is closed.
    pub(crate) async fn closed(&self) {
        let notified = self.closed.notified();
        if self.is_closed() {
            return;
        }
        notified.await;
    }
}
