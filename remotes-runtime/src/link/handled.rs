//! The peer's calls handled here: each one's single reply, named by its slot among the peer's unanswered requests,
//! and the table of those still running (so a `CANCEL`, a deadline or a shutdown can stop them).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::AbortHandle;

use super::Link;
use crate::FunctionError;
use crate::pending::IdMap;
use crate::telemetry::{CallStart, Outcome, enter};
use crate::user_code::{Started, log_panic, start};
use crate::wire::frame::body_len;
use crate::wire::message::kind;
use crate::work::Ticket;

/// The encoded return value of a handled call, or why there is none.
pub(crate) type Reply = Result<Vec<u8>, FunctionError>;
/// A handled call in progress.
pub(crate) type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// The peer's calls being handled here, each with its task (`None` while the task is being spawned), and how many
/// there are, readable without the lock.
/// A call being handled: its task (`None` while it is being spawned) and what its telemetry needs.
pub(super) struct Handling {
    pub(super) task: Option<AbortHandle>,
    pub(super) start: CallStart,
}

#[derive(Default)]
pub(super) struct InFlight {
    tasks: Mutex<IdMap<Handling>>,
    len: AtomicUsize,
}

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, IdMap<Handling>> {
        // Single map operations: a panic cannot leave the map inconsistent.
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lists call `id` with no task yet.
    fn insert(&self, id: u32, start: CallStart) {
        let mut tasks = self.lock();
        tasks.insert(id, Handling { task: None, start });
        self.len.store(tasks.len(), Ordering::Release);
    }

    /// Records call `id`'s task; `false` when the call was taken out meanwhile.
    fn set_task(&self, id: u32, task: AbortHandle) -> bool {
        match self.lock().get_mut(&id) {
            Some(entry) => {
                entry.task = Some(task);
                true
            }
            None => false,
        }
    }

    /// Removes call `id`. `None` when it was not there.
    fn remove(&self, id: u32) -> Option<Handling> {
        let mut tasks = self.lock();
        let task = tasks.remove(&id);
        self.len.store(tasks.len(), Ordering::Release);
        task
    }

    /// Removes every call.
    pub(super) fn take_all(&self) -> Vec<(u32, Handling)> {
        let mut tasks = self.lock();
        let all = tasks.drain().collect();
        self.len.store(0, Ordering::Release);
        all
    }

    fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }
}

/// What became of a reply.
enum Replied {
    Sent(usize),
    Already,
}

impl Link {
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
    /// Answers call `id`, handled here, and records how it settled.
    fn settle(&self, id: u32, reply: Reply, start: &CallStart) {
        let outcome = Outcome::of(&reply);
        let len = self.reply(id, reply);
        self.record(start, outcome, len);
    }

    /// Records how a handled call settled (`len`: the reply's frame body, 0 when none was sent).
    pub(super) fn record(&self, start: &CallStart, outcome: Outcome, len: usize) {
        if let Some(telemetry) = &self.telemetry {
            telemetry.remote(start.remote).handled_call_settled(start, outcome, len);
        }
    }

    /// Answers call `id`; returns the frame body's length (0 when it was answered already).
    pub(crate) fn reply(&self, id: u32, reply: Reply) -> usize {
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
            Replied::Sent(body_len(&[slot], payload.len()))
        });
        if let Ok(value) = reply {
            crate::wire::buffers::give_back(value);
        }
        match sent {
            Some(Replied::Already) => {
                tracing::debug!(peer = %self.peer, call = id, "call already answered");
                0
            }
            Some(Replied::Sent(len)) => len,
            None => 0,
        }
    }

    /// `true` when the peer already has as many handled calls in flight here as it may.
    pub(crate) fn at_in_flight_limit(&self) -> bool {
        self.inflight.len() >= self.max_in_flight
    }

    /// Starts a handled call: polls it once here (see `user_code::start`), replying at once if it finished;
    /// otherwise it continues in a task of its own, bounded by `timeout`, and replies when it finishes.
    pub(crate) fn start_handler(
        self: &Arc<Self>,
        id: u32,
        timeout: Duration,
        reply: ReplyFuture,
        ticket: Ticket,
        call: CallStart,
    ) {
        // Handler futures catch their own panics (see `endpoint::TypedHandler`); a panic here is one all the same.
        let started = {
            let _in_span = enter(call.span.as_ref());
            start(reply)
        };
        let reply = match started {
            Started::Done(outcome) => return self.settle(id, outcome, &call),
            Started::Waiting(reply) => reply,
            Started::Panicked(panic) => {
                log_panic("a handled call", &*panic);
                return self.settle(id, Err(FunctionError::Unprocessed), &call);
            }
        };
        // The callback runs inside its call's span (when a subscriber wants it: otherwise nothing is wrapped).
        let reply: ReplyFuture = match call.span.as_ref().filter(|span| !span.is_disabled()) {
            Some(span) => Box::pin(tracing::Instrument::instrument(reply, span.clone())),
            None => reply,
        };
        // Listed before its task exists, and spawned with the lock released (a runtime shutting down drops the
        // future, and so the callback's captures, inside `spawn`). Whoever takes the entry out answers the call.
        self.inflight.insert(id, call);
        let link = Arc::clone(self);
        let task = tokio::spawn(async move {
            let outcome = tokio::time::timeout(timeout, reply).await;
            drop(ticket);
            // Whoever takes the call out of the in-flight table answers it (this task, a cancellation, a shutdown).
            let Some(handling) = link.inflight.remove(id) else {
                return;
            };
            match outcome {
                Ok(reply) => link.settle(id, reply, &handling.start),
                Err(_) => {
                    tracing::debug!(peer = %link.peer, call = id, "callback outlived the call's deadline; stopped");
                    link.settle(id, Err(FunctionError::Timeout), &handling.start);
                }
            }
        });
        // Taken out meanwhile (by the task itself, a cancellation or a shutdown), and answered by whoever took it.
        if !self.inflight.set_task(id, task.abort_handle()) {
            task.abort();
        }
    }

    /// Aborts the handled call `id` (the caller cancelled it). Unknown ids are ignored.
    pub(crate) fn cancel_handler(&self, id: u32) {
        if let Some(handling) = self.inflight.remove(id) {
            handling.task.iter().for_each(AbortHandle::abort);
            self.settle(id, Err(FunctionError::Cancelled), &handling.start);
            tracing::debug!(peer = %self.peer, call = id, "caller cancelled the call; callback aborted");
        }
    }

    /// How many of the peer's calls are being handled here.
    pub(crate) fn in_flight(&self) -> usize {
        self.inflight.len()
    }

    /// Shuts the connection down: every call being handled is aborted and answered `Cancelled` (this side abandons
    /// it), then the connection closes (see `close`); the writer flushes the answers first.
    pub(crate) fn shutdown(&self) {
        for (id, handling) in self.inflight.take_all() {
            handling.task.iter().for_each(AbortHandle::abort);
            self.settle(id, Err(FunctionError::Cancelled), &handling.start);
        }
        self.close();
    }
}
