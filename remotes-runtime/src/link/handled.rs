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
#[derive(Default)]
pub(super) struct InFlight {
    tasks: Mutex<IdMap<Option<AbortHandle>>>,
    len: AtomicUsize,
}

impl InFlight {
    fn lock(&self) -> MutexGuard<'_, IdMap<Option<AbortHandle>>> {
        // Single map operations: a panic cannot leave the map inconsistent.
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Lists call `id` with no task yet.
    fn insert(&self, id: u32) {
        let mut tasks = self.lock();
        tasks.insert(id, None);
        self.len.store(tasks.len(), Ordering::Release);
    }

    /// Records call `id`'s task; `false` when the call was taken out meanwhile.
    fn set_task(&self, id: u32, task: AbortHandle) -> bool {
        match self.lock().get_mut(&id) {
            Some(entry) => {
                *entry = Some(task);
                true
            }
            None => false,
        }
    }

    /// Removes call `id`. `None` when it was not there.
    fn remove(&self, id: u32) -> Option<Option<AbortHandle>> {
        let mut tasks = self.lock();
        let task = tasks.remove(&id);
        self.len.store(tasks.len(), Ordering::Release);
        task
    }

    /// Removes every call.
    pub(super) fn take_all(&self) -> Vec<(u32, Option<AbortHandle>)> {
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
    Sent,
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
        self.inflight.len() >= self.max_in_flight
    }

    /// Starts a handled call: polls it once here (see `user_code::start`), replying at once if it finished;
    /// otherwise it continues in a task of its own, bounded by `timeout`, and replies when it finishes.
    pub(crate) fn start_handler(self: &Arc<Self>, id: u32, timeout: Duration, reply: ReplyFuture, ticket: Ticket) {
        // Handler futures catch their own panics (see `endpoint::TypedHandler`); a panic here is one all the same.
        let reply = match start(reply) {
            Started::Done(outcome) => return self.reply(id, outcome),
            Started::Waiting(reply) => reply,
            Started::Panicked(panic) => {
                log_panic("a handled call", &*panic);
                return self.reply(id, Err(FunctionError::Unprocessed));
            }
        };
        // Listed before its task exists, and spawned with the lock released (a runtime shutting down drops the
        // future, and so the callback's captures, inside `spawn`). Whoever takes the entry out answers the call.
        self.inflight.insert(id);
        let link = Arc::clone(self);
        let task = tokio::spawn(async move {
            let outcome = tokio::time::timeout(timeout, reply).await;
            drop(ticket);
            // Whoever takes the call out of the in-flight table answers it (this task, a cancellation, a shutdown).
            if link.inflight.remove(id).is_none() {
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
        // Taken out meanwhile (by the task itself, a cancellation or a shutdown), and answered by whoever took it.
        if !self.inflight.set_task(id, task.abort_handle()) {
            task.abort();
        }
    }

    /// Aborts the handled call `id` (the caller cancelled it). Unknown ids are ignored.
    pub(crate) fn cancel_handler(&self, id: u32) {
        if let Some(task) = self.inflight.remove(id) {
            task.iter().for_each(AbortHandle::abort);
            self.reply(id, Err(FunctionError::Cancelled));
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
        for (id, task) in self.inflight.take_all() {
            task.iter().for_each(AbortHandle::abort);
            self.reply(id, Err(FunctionError::Cancelled));
        }
        self.close();
    }
}
