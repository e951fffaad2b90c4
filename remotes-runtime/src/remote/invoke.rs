//! The `Invoke` future: a call to the peer, sent when first polled, settled by its reply, its deadline, a
//! cancellation (dropping it) or the connection closing.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use pin_project_lite::pin_project;
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};

use crate::FunctionError;
use crate::boundary::Boundary;
use crate::link::{CallGuard, Link, Sent};
use crate::player::{Away, AwaySent, Home, Player};
use crate::telemetry::{CallStart, Outcome};
use crate::wire::args::{Wire, decode_value};
use crate::wire::frame::body_len;

pin_project! {
    /// The future of a remote function call: resolves with the callee's return value or a [`FunctionError`].
    ///
    /// Returned by the generated `invoke` methods. Like every Rust future it is lazy: **nothing is sent until it is
    /// first polled** (awaited, or spawned), so an `invoke` that is never awaited buys nothing. The call's deadline
    /// (the side's default timeout, or the one given with [`timeout`](Invoke::timeout)) runs from that first poll.
    /// Dropping it after it was sent and before it settles cancels the call: the receiver is told and aborts its
    /// callback. It is `Send + 'static`, so it can be spawned.
    ///
    /// ```no_run
    /// # use remotes_runtime::{remotes, Client, FunctionError};
    /// # #[remotes] pub mod net { pub trait ServerFunctions { fn slow(millis: u64); } }
    /// # async fn demo(remotes: net::client::Remotes) {
    /// use std::time::Duration;
    ///
    /// let call = remotes.functions.slow.invoke(1000);           // nothing sent yet
    /// let outcome = call.timeout(Duration::from_millis(100)).await; // sent now, with its own deadline
    /// assert_eq!(outcome, Err(FunctionError::Timeout));
    /// # }
    /// ```
    #[must_use = "an `Invoke` sends nothing until it is awaited (or spawned)"]
    pub struct Invoke<R> {
        state: InvokeState,
        timeout: Duration,
        observed: Option<Observed>,
        // A call to another node's player waits for its deadline here; a connection's calls are settled at theirs
        // by the connection (its expiry task): they arm no timer of their own.
        #[pin]
        sleep: Option<Sleep>,
        _returns: PhantomData<fn() -> R>,
    }
}

/// A call's encoded arguments.
pub(crate) enum Payload {
    /// This call's own buffer, given back to the thread's spare once copied out (`wire::buffers`).
    Own(Vec<u8>),
    /// Shared by every call of one `invoke_room` or `invoke_many`: encoded once.
    Shared(Bytes),
}

impl Payload {
    fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Own(bytes) => bytes,
            Payload::Shared(bytes) => bytes,
        }
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Payload::Own(bytes) => bytes.into(),
            Payload::Shared(bytes) => bytes,
        }
    }

    /// Done with: its buffer, if its own, is kept for the next encode.
    fn done(self) {
        if let Payload::Own(bytes) = self {
            crate::wire::buffers::give_back(bytes);
        }
    }
}

enum InvokeState {
    /// Not polled yet: the request, encoded, and where it will go.
    Unsent {
        target: Target,
        remote: u32,
        name: &'static str,
        args: Payload,
        report: Report,
    },
    Waiting {
        rx: oneshot::Receiver<Result<Bytes, FunctionError>>,
        guard: Guard,
        /// `None` for a call on a connection of this side: its `Timeout` arrives on `rx`, from the connection.
        deadline: Option<Instant>,
    },
    Failed(FunctionError),
    Done,
}

/// Where a call goes: a connection of this side, or a player of another node of the cluster.
pub(crate) enum Target {
    Link(Arc<Link>),
    Away(Arc<dyn Away>, u64),
}

impl Target {
    /// `player`, wherever in the cluster it is connected.
    pub(crate) fn player(player: &Player) -> Target {
        match player.home() {
            Home::Here(link) => Target::Link(Arc::clone(link)),
            Home::Away(away) => Target::Away(Arc::clone(away), player.id()),
        }
    }
}

/// Cleans up a call that is pending: dropped unsettled, it cancels the call.
enum Guard {
    Link(CallGuard),
    Away(AwayGuard),
}

impl Guard {
    fn settled(&mut self) {
        match self {
            Guard::Link(guard) => guard.settled(),
            Guard::Away(guard) => guard.armed = false,
        }
    }

    /// The deadline passed (only a call to another node's player waits for it here).
    fn timed_out(&mut self) {
        match self {
            Guard::Link(guard) => guard.settled(),
            Guard::Away(guard) => {
                guard.armed = false;
                guard.away.forget(guard.call);
            }
        }
    }
}

/// A call to a player of another node: dropped while armed, it cancels the call there.
struct AwayGuard {
    away: Arc<dyn Away>,
    call: u64,
    armed: bool,
}

impl Drop for AwayGuard {
    fn drop(&mut self) {
        if self.armed {
            self.away.cancel(self.call);
        }
    }
}

impl<R> Invoke<R> {
    pub(crate) fn failed(error: FunctionError) -> Self {
        Invoke {
            state: InvokeState::Failed(error),
            timeout: Duration::ZERO,
            observed: None,
            sleep: None,
            _returns: PhantomData,
        }
    }

    /// A call to remote `remote` (a wire id) at `target`, sent when first polled; a reply that does not decode is
    /// reported through `report`.
    pub(crate) fn unsent(
        target: Target,
        remote: u32,
        name: &'static str,
        args: Payload,
        timeout: Duration,
        report: Report,
    ) -> Self {
        let state = InvokeState::Unsent { target, remote, name, args, report };
        Invoke { state, timeout, observed: None, sleep: None, _returns: PhantomData }
    }

    /// Gives this call its own deadline instead of the side's default timeout (`default_timeout`), counted from
    /// when the call is sent. The receiver is told and stops its callback at the same deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Polls for the raw reply bytes.
    fn poll_reply(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Bytes, FunctionError>> {
        let mut this = self.project();
        if let InvokeState::Unsent { .. } = this.state {
            let InvokeState::Unsent { target, remote, name, args, report } =
                std::mem::replace(this.state, InvokeState::Done)
            else {
                unreachable!("state checked above")
            };
            let figures = report.boundary.telemetry().remote(report.index);
            let started = figures.made_call_started(body_len(&[remote], args.as_slice().len()));
            let span = figures.client_span(report.player.as_ref().map(Player::id));
            let start = CallStart { remote: report.index, started, span };
            *this.observed = Some(Observed { report, start, done: false });
            *this.state = match target {
                Target::Link(link) => {
                    // The link settles the deadline, on tokio's clock (a test can pause it), not the telemetry's.
                    // The arguments are copied into the connection's queue: the buffer is done with.
                    let deadline = tokio::time::Instant::now() + *this.timeout;
                    let sent = link.call(remote, name, args.as_slice(), *this.timeout, deadline);
                    args.done();
                    match sent {
                        Ok(Sent { reply, guard }) => {
                            InvokeState::Waiting { rx: reply, guard: Guard::Link(guard), deadline: None }
                        }
                        Err(error) => InvokeState::Failed(error),
                    }
                }
                Target::Away(away, player) => match away.call(player, remote, args.into_bytes(), *this.timeout) {
                    Ok(AwaySent { reply, call, deadline }) => {
                        let guard = Guard::Away(AwayGuard { away, call, armed: true });
                        InvokeState::Waiting { rx: reply, guard, deadline: Some(deadline) }
                    }
                    Err(error) => InvokeState::Failed(error),
                },
            };
        }
        let (rx, deadline) = match this.state {
            InvokeState::Waiting { rx, deadline, .. } => (rx, *deadline),
            InvokeState::Failed(error) => {
                let error = *error;
                *this.state = InvokeState::Done;
                return Poll::Ready(Err(error));
            }
            InvokeState::Done | InvokeState::Unsent { .. } => panic!("`Invoke` polled after completion"),
        };
        // A reply that arrived wins over a deadline that passed at the same time.
        if let Poll::Ready(outcome) = Pin::new(rx).poll(cx) {
            let InvokeState::Waiting { mut guard, .. } = std::mem::replace(this.state, InvokeState::Done) else {
                unreachable!("state checked above")
            };
            guard.settled();
            return Poll::Ready(match outcome {
                Ok(Ok(bytes)) => Ok(bytes),
                Ok(Err(error)) => Err(error),
                // The pending table dropped the entry without answering: the connection is gone.
                Err(_) => Err(FunctionError::Disconnected),
            });
        }
        // A connection's call waits for its reply or the connection's `Timeout`, on `rx`.
        let Some(deadline) = deadline else {
            return Poll::Pending;
        };
        if this.sleep.is_none() {
            this.sleep.set(Some(tokio::time::sleep_until(deadline)));
        }
        let sleep = this.sleep.as_pin_mut().expect("sleep set above");
        ready!(sleep.poll(cx));
        let InvokeState::Waiting { mut guard, .. } = std::mem::replace(this.state, InvokeState::Done) else {
            unreachable!("state checked above")
        };
        guard.timed_out();
        Poll::Ready(Err(FunctionError::Timeout))
    }
}

impl<R: Wire> Future for Invoke<R> {
    type Output = Result<R, FunctionError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let reply = ready!(self.as_mut().poll_reply(cx));
        // Every call that was sent is observed; only `Invoke::failed` is not, and it has no reply to decode.
        let observed = self.project().observed.take();
        let reply_len = reply.as_ref().map_or(0, |bytes| bytes.len() + 2);
        let outcome = reply.and_then(|bytes| {
            decode_value::<R>(&bytes).map_err(|reason| {
                if let Some(Observed { report, .. }) = &observed {
                    report.boundary.bad_response(report.player.clone(), report.name, reason);
                }
                FunctionError::InvalidResult
            })
        });
        if let Some(observed) = observed {
            observed.settle(Outcome::of(&outcome), reply_len);
        }
        Poll::Ready(outcome)
    }
}

/// Where a reply that does not decode is reported: this side's boundary, with the player called (on the server).
pub(crate) struct Report {
    pub(crate) boundary: Arc<Boundary>,
    pub(crate) player: Option<Player>,
    pub(crate) name: &'static str,
    /// The remote's index in this side's table (its telemetry).
    pub(crate) index: usize,
}

/// A call made here, from its sending to its settling, with where its reply is reported: recorded when it
/// settles, or as `Cancelled` when the caller drops it first.
struct Observed {
    report: Report,
    start: CallStart,
    done: bool,
}

impl Observed {
    fn record(&self, outcome: Outcome, reply_len: usize) {
        self.report.boundary.telemetry().remote(self.start.remote).made_call_settled(&self.start, outcome, reply_len);
    }

    fn settle(mut self, outcome: Outcome, reply_len: usize) {
        self.done = true;
        self.record(outcome, reply_len);
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        if !self.done {
            self.record(Outcome::error(FunctionError::Cancelled), 0);
        }
    }
}

impl<R> fmt::Debug for Invoke<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            InvokeState::Unsent { .. } => "unsent",
            InvokeState::Waiting { .. } => "waiting",
            InvokeState::Failed(_) => "failed",
            InvokeState::Done => "done",
        };
        f.debug_struct("Invoke").field("state", &state).finish()
    }
}
