//! The link: one connection's shared state, which callers, reply tasks and the connection's tasks all use. It
//! queues calls with an entry in the pending-call table, sends replies (naming each call by its slot among the
//! unanswered ones), tracks the calls it handles for the peer (so a `CANCEL` or a deadline can stop them), holds the
//! peer's token buckets and its counters, and delivers events, holding those that arrive before an interface is bound.
//!
//! # Locks
//!
//! The outbox's lock is the only one held while another is taken: under it, `call` lists a request in the reply
//! slots' `outstanding` list and inserts its pending entry, `reply` takes the call's slot out of `unanswered`, and
//! `close` empties the pending table (settling it once the lock is released). The slot lists and the pending table
//! are taken under nothing else, and take nothing themselves. `inflight`, `buckets` and the log limiter are taken
//! alone. No user code runs under any of them: events are delivered, and
//! handlers polled, with every lock of the link released.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Notify, oneshot};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::FunctionError;
use crate::binding::Binding;
use crate::boundary::Boundary;
use crate::config::millis;
use crate::endpoint::{Endpoint, Reply, ReplyFuture};
use crate::interface::Direction;
use crate::log_limit::LogLimit;
use crate::outbox::{Outbox, QueueLimits};
use crate::pending::{CallGuard, IdMap, PendingTable, Settlement};
use crate::player::{Player, PlayerInner};
use crate::rate_limit::Buckets;
use crate::slots::{Desync, MAX_UNANSWERED, Slots};
use crate::wire::frame::body_len;
use crate::wire::message::{kind, request_header};
use crate::work::{Ticket, Work, WorkLimits};

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A request that was queued: the channel its reply arrives on, its entry's guard (dropping it cancels the call)
/// and its deadline.
pub(crate) struct Sent {
    pub(crate) reply: oneshot::Receiver<Settlement>,
    pub(crate) guard: CallGuard,
    pub(crate) deadline: Instant,
}

/// What became of a reply.
enum Replied {
    Sent,
    Already,
}

/// One connection's shared state.
pub(crate) struct Link {
    pub(crate) outbox: Outbox,
    pub(crate) pending: PendingTable,
    /// The peer's calls being handled here, each with its task (`None` while the task is being spawned).
    inflight: Mutex<IdMap<Option<AbortHandle>>>,
    /// The in-flight table's size, readable without its lock.
    in_flight: AtomicUsize,
    /// The peer's requests not answered yet and this side's requests the peer has not answered yet: a reply names
    /// its call by its place there.
    slots: Slots,
    /// How the peer's remote ids map to this side's remotes, fixed when the connection is made.
    binding: Binding,
    closed: Notify,
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
    /// The direction of the remotes this side handles.
    pub(crate) handles: Direction,
    /// This side's receiving policy: rejections of what the peer sends are reported there.
    pub(crate) boundary: Arc<Boundary>,
    /// The player at the other end (server side), for reports about its replies.
    player: OnceLock<Weak<PlayerInner>>,
    /// Token buckets of this peer: the global one and one per remote that has a limit.
    buckets: Mutex<Buckets>,
    bad_requests: AtomicU64,
    rate_limited: AtomicU64,
    /// The peer's events with listeners running, and the payload bytes its calls and events in progress hold.
    pub(crate) work: Arc<Work>,
    /// Rejections of what this peer sends are logged through this limiter.
    pub(crate) log_limit: LogLimit,
}

/// Settings a link needs from the handshake.
pub(crate) struct LinkSettings {
    pub peer: String,
    pub local_default: Duration,
    pub peer_default: Duration,
    pub peer_max_frame: usize,
    pub max_in_flight: usize,
    pub queue_limits: QueueLimits,
    pub handles: Direction,
    pub boundary: Arc<Boundary>,
    pub work: WorkLimits,
    pub log_limit: LogLimit,
}

impl Link {
    pub(crate) fn new(settings: LinkSettings, binding: Binding) -> Arc<Link> {
        Arc::new(Link {
            outbox: Outbox::new(),
            pending: PendingTable::default(),
            inflight: Mutex::new(IdMap::default()),
            in_flight: AtomicUsize::new(0),
            slots: Slots::default(),
            binding,
            closed: Notify::new(),
            peer: settings.peer,
            local_default: settings.local_default,
            peer_default: settings.peer_default,
            peer_max_frame: settings.peer_max_frame,
            max_in_flight: settings.max_in_flight,
            queue_limits: settings.queue_limits,
            handles: settings.handles,
            boundary: settings.boundary,
            player: OnceLock::new(),
            buckets: Mutex::new(Buckets::default()),
            bad_requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            work: Work::new(settings.work),
            log_limit: settings.log_limit,
        })
    }

    /// Records the player at the other end (server side).
    pub(crate) fn set_player(&self, player: &Player) {
        let _ = self.player.set(player.downgrade());
    }

    /// The player at the other end, on the server, while it exists.
    pub(crate) fn player(&self) -> Option<Player> {
        self.player.get().and_then(Player::upgrade)
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

    /// Whether the peer may send one more request or event to remote `local` now: takes a token from the global
    /// bucket and from the remote's own, where limits are set. A refusal is counted.
    pub(crate) fn admit_rate(&self, endpoint: &Endpoint, local: usize) -> bool {
        if !endpoint.boundary.any_rate_limit.load(Ordering::Acquire) {
            return true;
        }
        let (global, own) = (endpoint.boundary.rate_limit(), endpoint.rate_limit(local));
        let admitted = lock(&self.buckets).admit(local, global, own);
        if !admitted {
            self.count_rate_limited();
        }
        admitted
    }

    /// Queues an encoded event frame (`body_len` is the length its prefix announces). `false` when the connection
    /// is closed, its outgoing queue is full, or the frame exceeds the peer's maximum.
    pub(crate) fn queue_frame(&self, frame: &Bytes, body_len: usize) -> bool {
        if body_len > self.peer_max_frame {
            tracing::warn!(peer = %self.peer, len = body_len, max = self.peer_max_frame, "event exceeds the peer's maximum frame length; not sent");
            return false;
        }
        let queued = self.outbox.with(|state| {
            let room = state.has_room(self.queue_limits, frame.len());
            if room {
                state.push_frame(frame);
            }
            room
        });
        match queued {
            Some(true) => true,
            Some(false) => {
                tracing::debug!(peer = %self.peer, "outgoing queue full; event skipped");
                false
            }
            None => false,
        }
    }

    pub(crate) fn binding(&self) -> &Binding {
        &self.binding
    }

    /// The name of the remote with wire id `remote`, for logs.
    pub(crate) fn remote_label(&self, remote: u32) -> String {
        self.binding.label(remote)
    }

    pub(crate) fn peer_default_timeout(&self) -> Duration {
        self.peer_default
    }

    /// Queues a request for remote `remote` (a wire id): what the `Invoke` future does when it is first polled.
    /// Returns what it then waits on, or why the call settles at once.
    pub(crate) fn call(
        self: &Arc<Self>,
        remote: u32,
        name: &'static str,
        args: &[u8],
        timeout: Duration,
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
        let deadline = Instant::now() + timeout;
        let queued = self.outbox.with(|state| {
            let id = self.slots.send(|| {
                let id = state.next_request;
                state.next_request = id.wrapping_add(1);
                id
            })?;
            self.pending.insert(id, settle);
            let (kind, header, len) = request_header(remote, timeout_ms);
            state.put(kind, &header[..len], args);
            Some(id)
        });
        match queued {
            Some(Some(id)) => Ok(Sent { reply, guard: CallGuard::new(Arc::clone(self), id, name), deadline }),
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

    /// Tells the peer that this side gave up on call `id`.
    pub(crate) fn send_cancel(&self, id: u32) {
        self.outbox.with(|state| state.put(kind::CANCEL, &[id], &[]));
    }

    /// Records a request of the peer as unanswered (the reader does, for every frame of a request kind, in arrival
    /// order). Replies name a request by its place in this list.
    pub(crate) fn received_request(&self, id: u32) {
        self.slots.received(id);
    }

    /// Sends the one reply to the peer's call `id`. The reply names the call by its slot: its position among the
    /// peer's requests not answered yet, in arrival order (usually 0). A call already answered is never answered
    /// again. Replies are always queued (every request gets exactly one): they cannot pile up, because the reader
    /// stops reading while the peer has a queue's worth of replies waiting (see `Outbox::replies_over`), and at most
    /// `max_in_flight` handlers can reply on top of that.
    pub(crate) fn reply(&self, id: u32, reply: Reply) {
        let reply = match reply {
            Ok(value) if body_len(&[0], value.len()) > self.peer_max_frame => {
                tracing::error!(
                    peer = %self.peer,
                    len = value.len(),
                    max = self.peer_max_frame,
                    "return value exceeds the peer's maximum frame length; answering InvalidResult"
                );
                Err(FunctionError::InvalidResult)
            }
            other => other,
        };
        let code;
        let (kind, payload) = match &reply {
            Ok(value) => (kind::REPLY_OK, value.as_slice()),
            Err(error) => {
                code = [error.wire_code()];
                (kind::REPLY_ERR, &code[..])
            }
        };
        let sent = self.outbox.with(|state| {
            let Some(slot) = self.slots.answer(id) else {
                return Replied::Already;
            };
            state.put_reply(kind, &[slot], payload);
            Replied::Sent
        });
        match sent {
            Some(Replied::Already) => tracing::debug!(peer = %self.peer, call = id, "call already answered"),
            Some(Replied::Sent) | None => {}
        }
    }

    /// `true` when the peer already has as many handled calls in flight here as it may.
    pub(crate) fn at_in_flight_limit(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) >= self.max_in_flight
    }

    /// Starts a handled call: polls it once here (see `listeners::start`), replying at once if it finished;
    /// otherwise it continues in a task of its own, bounded by `timeout`, and replies when it finishes.
    pub(crate) fn start_handler(self: &Arc<Self>, id: u32, timeout: Duration, reply: ReplyFuture, ticket: Ticket) {
        let Some(reply) = start_or_reply(reply, |outcome| self.reply(id, outcome)) else {
            return;
        };
        // Listed before its task exists, and spawned with the lock released (a runtime shutting down drops the
        // future, and so the callback's captures, inside `spawn`). Whoever takes the entry out answers the call.
        {
            let mut inflight = self.lock_inflight();
            inflight.insert(id, None);
            self.in_flight.store(inflight.len(), Ordering::Release);
        }
        let link = Arc::clone(self);
        let task = tokio::spawn(async move {
            let outcome = tokio::time::timeout(timeout, reply).await;
            drop(ticket);
            // Whoever takes the call out of the in-flight table answers it (this task, a cancellation, a shutdown).
            if link.forget_handler(id).is_none() {
                return;
            }
            match outcome {
                Ok(reply) => link.reply(id, reply),
                Err(_) => {
                    tracing::debug!(peer = %link.peer, call = id, "callback outlived the call's deadline; stopped");
                    link.reply(id, Err(FunctionError::Timeout));
                }
            }
        });
        let mut inflight = self.lock_inflight();
        match inflight.get_mut(&id) {
            Some(entry) => *entry = Some(task.abort_handle()),
            // Taken out meanwhile (by the task itself, a cancellation or a shutdown), and answered by whoever took it.
            None => {
                drop(inflight);
                task.abort();
            }
        }
    }

    /// Removes handled call `id` from the in-flight table. `None` when it was not there.
    fn forget_handler(&self, id: u32) -> Option<Option<AbortHandle>> {
        let mut inflight = self.lock_inflight();
        let task = inflight.remove(&id);
        self.in_flight.store(inflight.len(), Ordering::Release);
        task
    }

    /// Removes every handled call from the in-flight table.
    fn forget_handlers(&self) -> Vec<(u32, Option<AbortHandle>)> {
        let mut inflight = self.lock_inflight();
        let all = inflight.drain().collect();
        self.in_flight.store(0, Ordering::Release);
        all
    }

    /// Aborts the handled call `id` (the caller cancelled it). Unknown ids are ignored.
    pub(crate) fn cancel_handler(&self, id: u32) {
        if let Some(task) = self.forget_handler(id) {
            task.iter().for_each(AbortHandle::abort);
            self.reply(id, Err(FunctionError::Cancelled));
            tracing::debug!(peer = %self.peer, call = id, "caller cancelled the call; callback aborted");
        }
    }

    /// How many of the peer's calls are being handled here.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Shuts the connection down: every call being handled is aborted and answered `Cancelled` (this side abandons
    /// it), then the connection closes (see `close`); the writer flushes the answers first.
    pub(crate) fn shutdown(&self) {
        let handlers = self.forget_handlers();
        for (id, task) in handlers {
            task.iter().for_each(AbortHandle::abort);
            self.reply(id, Err(FunctionError::Cancelled));
        }
        self.close();
    }

    /// Closes the connection: nothing more is queued, every pending call settles `Disconnected`, every call being
    /// handled for the peer is stopped (nobody is left to take its reply), and both tasks stop.
    pub(crate) fn close(&self) {
        if let Some(unsettled) = self.outbox.close(|| self.pending.take_all()) {
            unsettled.settle(FunctionError::Disconnected);
            self.log_limit.flush(&self.peer);
            let handlers: Vec<AbortHandle> = self.forget_handlers().into_iter().filter_map(|(_, task)| task).collect();
            if !handlers.is_empty() {
                tracing::debug!(peer = %self.peer, calls = handlers.len(), "connection closed; stopping the calls it was handling");
            }
            for task in handlers {
                task.abort();
            }
            self.closed.notify_waiters();
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

    fn lock_inflight(&self) -> std::sync::MutexGuard<'_, IdMap<Option<AbortHandle>>> {
        self.inflight.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Polls a reply future once; if it finished, hands its outcome to `done` and returns `None`.
fn start_or_reply(mut reply: ReplyFuture, done: impl FnOnce(Reply)) -> Option<ReplyFuture> {
    // Handler futures catch their own panics (see `endpoint::TypedHandler`), so a plain poll is safe here.
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match reply.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(outcome) => {
            done(outcome);
            None
        }
        std::task::Poll::Pending => Some(reply),
    }
}
