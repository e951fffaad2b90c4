//! Remote functions: invoking them (`Invoke`), handling them (`set_callback`), and running the local path
//! without a network (`Predict`).

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
use crate::client::ClientShared;
use crate::endpoint::{Endpoint, Handler, typed_handler};
use crate::interface::Direction;
use crate::link::{CallGuard, Link, Sent};
use crate::middleware::{BoxFuture, Reject, RemoteMiddleware};
use crate::player::Player;
use crate::rate_limit::RateLimit;
use crate::server::ServerShared;
use crate::validate::Check;
use crate::wire::args::{Args, ENCODE_CAPACITY, Wire, decode_value};

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
        #[pin]
        sleep: Option<Sleep>,
        _returns: PhantomData<fn() -> R>,
    }
}

enum InvokeState {
    /// Not polled yet: the request, encoded, and the connection it will go to.
    Unsent {
        link: Arc<Link>,
        remote: u32,
        name: &'static str,
        args: Vec<u8>,
        report: Report,
    },
    Waiting {
        rx: oneshot::Receiver<Result<Bytes, FunctionError>>,
        guard: CallGuard,
        deadline: Instant,
        report: Report,
    },
    Failed(FunctionError),
    Done,
}

impl<R> Invoke<R> {
    pub(crate) fn failed(error: FunctionError) -> Self {
        Invoke { state: InvokeState::Failed(error), timeout: Duration::ZERO, sleep: None, _returns: PhantomData }
    }

    /// A call to remote `remote` (a wire id) over `link`, sent when first polled; a reply that does not decode is
    /// reported through `report`.
    pub(crate) fn unsent(
        link: &Arc<Link>,
        remote: u32,
        name: &'static str,
        args: Vec<u8>,
        timeout: Duration,
        report: Report,
    ) -> Self {
        let state = InvokeState::Unsent { link: Arc::clone(link), remote, name, args, report };
        Invoke { state, timeout, sleep: None, _returns: PhantomData }
    }

    /// Gives this call its own deadline instead of the side's default timeout (`default_timeout`), counted from
    /// when the call is sent. The receiver is told and stops its callback at the same deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Polls for the raw reply bytes.
    fn poll_reply(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(Bytes, Report), FunctionError>> {
        let mut this = self.project();
        if let InvokeState::Unsent { .. } = this.state {
            let InvokeState::Unsent { link, remote, name, args, report } =
                std::mem::replace(this.state, InvokeState::Done)
            else {
                unreachable!("state checked above")
            };
            *this.state = match link.call(remote, name, &args, *this.timeout) {
                Ok(Sent { reply, guard, deadline }) => InvokeState::Waiting { rx: reply, guard, deadline, report },
                Err(error) => InvokeState::Failed(error),
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
            let InvokeState::Waiting { mut guard, report, .. } = std::mem::replace(this.state, InvokeState::Done)
            else {
                unreachable!("state checked above")
            };
            guard.settled();
            return Poll::Ready(match outcome {
                Ok(Ok(bytes)) => Ok((bytes, report)),
                Ok(Err(error)) => Err(error),
                // The pending table dropped the entry without answering: the connection is gone.
                Err(_) => Err(FunctionError::Disconnected),
            });
        }
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (bytes, report) = ready!(self.poll_reply(cx))?;
        Poll::Ready(decode_value::<R>(&bytes).map_err(|reason| {
            report.boundary.bad_response(report.player, report.name, reason);
            FunctionError::InvalidResult
        }))
    }
}

/// Where a reply that does not decode is reported: this side's boundary, with the player called (on the server).
pub(crate) struct Report {
    pub(crate) boundary: Arc<Boundary>,
    pub(crate) player: Option<Player>,
    pub(crate) name: &'static str,
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

/// The future of a `predict` call: runs this side's own callback as if the call had arrived from the network.
///
/// The arguments are encoded and decoded exactly as a real call's would be, so `predict` settles with the same
/// values and errors a peer would get from this side: `Unprocessed` when no callback is set or it panics,
/// `BadRequest` when the arguments do not decode. There is no deadline.
#[must_use = "futures do nothing unless awaited"]
pub struct Predict<R> {
    inner: Pin<Box<dyn Future<Output = Result<R, FunctionError>> + Send>>,
}

impl<R> Future for Predict<R> {
    type Output = Result<R, FunctionError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<R> fmt::Debug for Predict<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Predict").finish_non_exhaustive()
    }
}

fn predict<A: Args, R: Wire>(endpoint: &Arc<Endpoint>, index: usize, caller: Option<Player>, args: A) -> Predict<R> {
    let endpoint = Arc::clone(endpoint);
    Predict {
        inner: Box::pin(async move {
            let mut bytes = Vec::new();
            args.encode(&mut bytes).map_err(|_| FunctionError::BadRequest)?;
            let Some(handler) = endpoint.handler(index) else {
                return Err(FunctionError::Unprocessed);
            };
            let encoded = handler.call(caller.as_ref(), &bytes)?.await?;
            decode_value::<R>(&encoded).map_err(|_| FunctionError::InvalidResult)
        }),
    }
}

/// Encodes outgoing arguments after checking them against the declared constraints: an honest program learns of
/// its own bug at once, without a round trip.
pub(crate) fn encode_outgoing<A: Args>(args: &A, check: Option<Check<A>>, remote: &'static str) -> Option<Vec<u8>> {
    if let Some(Err(violation)) = check.map(|check| check(args)) {
        tracing::warn!(remote, argument = violation.index, reason = %violation.reason, "outgoing arguments break the declared constraints; not sent");
        return None;
    }
    let mut bytes = Vec::with_capacity(ENCODE_CAPACITY);
    match args.encode(&mut bytes) {
        Ok(()) => Some(bytes),
        Err(reason) => {
            tracing::warn!(remote, %reason, "outgoing arguments failed to encode; not sent");
            None
        }
    }
}

/// Wraps a server-side middleware for the pipeline.
pub(crate) fn server_middleware<A, F, Fut>(middleware: F) -> RemoteMiddleware<A>
where
    A: Args,
    F: Fn(Player, A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<A, Reject>> + Send + 'static,
{
    Arc::new(move |caller: Option<Player>, args: A| -> BoxFuture<Result<A, Reject>> {
        match caller {
            Some(player) => Box::pin(middleware(player, args)),
            // Server connections always carry their player; `None` only reaches client endpoints.
            None => Box::pin(std::future::ready(Err(Reject::new("no calling player")))),
        }
    })
}

/// Wraps a client-side middleware for the pipeline.
pub(crate) fn client_middleware<A, F, Fut>(middleware: F) -> RemoteMiddleware<A>
where
    A: Args,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<A, Reject>> + Send + 'static,
{
    Arc::new(move |_caller: Option<Player>, args: A| -> BoxFuture<Result<A, Reject>> { Box::pin(middleware(args)) })
}

/// Server side of a function declared in `ServerFunctions`: the server handles it.
pub struct ServerFunction<A, R> {
    endpoint: Arc<Endpoint>,
    index: usize,
    check: Option<Check<A>>,
    _sig: PhantomData<fn(A) -> R>,
}

impl<A, R> ServerFunction<A, R> {
    pub(crate) fn new(endpoint: &Arc<Endpoint>, index: usize, check: Option<Check<A>>) -> Self {
        debug_assert_eq!(endpoint.def(index).direction, Direction::ToServer);
        ServerFunction { endpoint: Arc::clone(endpoint), index, check, _sig: PhantomData }
    }
}

impl<A: Args, R: Wire> ServerFunction<A, R> {
    /// Sets the callback that answers this function, replacing (with a warning) any callback set before.
    ///
    /// The callback starts on the connection's reader, in arrival order, and continues in a task of its own from
    /// its first `.await` that is not ready: keep work before the first `.await` short (or spawn it).
    pub fn set_callback<F, Fut>(&self, callback: F)
    where
        F: Fn(Player, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
    {
        let pipeline = self.endpoint.pipeline(self.index, self.check);
        let handler: Arc<dyn Handler> =
            typed_handler::<A, R, _, _>(pipeline, move |caller: Option<&Player>, args: A| {
                // Server connections always carry their player; `None` only reaches client endpoints.
                caller.cloned().map(|player| callback(player, args))
            });
        self.endpoint.set_handler(self.index, handler);
    }

    /// Adds a middleware: it sees each call's player and arguments after validation, may replace the arguments,
    /// and may reject the call (`Cancelled` at the caller).
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Player, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A, Reject>> + Send + 'static,
    {
        self.endpoint.pipeline(self.index, self.check).add_middleware(server_middleware(middleware));
    }

    /// Limits how often each player may call this function: calls over the limit are answered `Cancelled` before
    /// their arguments are decoded, and counted.
    pub fn rate_limit(&self, limit: RateLimit) {
        self.endpoint.set_rate_limit(self.index, limit);
    }

    /// Runs this side's pipeline and callback for `player` as if the call had arrived from the network.
    pub fn predict(&self, player: &Player, args: A) -> Predict<R> {
        predict(&self.endpoint, self.index, Some(player.clone()), args)
    }
}

/// Server side of a function declared in `ClientFunctions`: the server invokes it on one player.
pub struct ServerInvoker<A, R> {
    server: Arc<ServerShared>,
    index: usize,
    check: Option<Check<A>>,
    _sig: PhantomData<fn(A) -> R>,
}

impl<A, R> ServerInvoker<A, R> {
    pub(crate) fn new(server: &Arc<ServerShared>, index: usize, check: Option<Check<A>>) -> Self {
        ServerInvoker { server: Arc::clone(server), index, check, _sig: PhantomData }
    }
}

impl<A: Args, R: Wire> ServerInvoker<A, R> {
    /// Invokes the function on `player`'s client, with the server's default timeout unless the call is given one
    /// ([`Invoke::timeout`]). Nothing is sent until the returned future is first polled.
    pub fn invoke(&self, player: &Player, args: A) -> Invoke<R> {
        let name = self.server.remote_name(self.index);
        let Some(bytes) = encode_outgoing(&args, self.check, name) else {
            return Invoke::failed(FunctionError::BadRequest);
        };
        let report = Report { boundary: Arc::clone(&self.server.boundary), player: Some(player.clone()), name };
        // The server's own table is the wire's numbering: its local index is the remote id.
        Invoke::unsent(player.link(), self.index as u32, name, bytes, self.server.config.default_timeout, report)
    }
}

/// Client side of a function declared in `ClientFunctions`: the client handles it.
pub struct ClientFunction<A, R> {
    endpoint: Arc<Endpoint>,
    index: usize,
    check: Option<Check<A>>,
    _sig: PhantomData<fn(A) -> R>,
}

impl<A, R> ClientFunction<A, R> {
    pub(crate) fn new(endpoint: &Arc<Endpoint>, index: usize, check: Option<Check<A>>) -> Self {
        debug_assert_eq!(endpoint.def(index).direction, Direction::ToClient);
        ClientFunction { endpoint: Arc::clone(endpoint), index, check, _sig: PhantomData }
    }
}

impl<A: Args, R: Wire> ClientFunction<A, R> {
    /// Sets the callback that answers this function, replacing (with a warning) any callback set before.
    pub fn set_callback<F, Fut>(&self, callback: F)
    where
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
    {
        let pipeline = self.endpoint.pipeline(self.index, self.check);
        let handler: Arc<dyn Handler> =
            typed_handler::<A, R, _, _>(pipeline, move |_caller: Option<&Player>, args: A| Some(callback(args)));
        self.endpoint.set_handler(self.index, handler);
    }

    /// Adds a middleware: it sees each call's arguments after validation, may replace them, and may reject the
    /// call (`Cancelled` at the server).
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<A, Reject>> + Send + 'static,
    {
        self.endpoint.pipeline(self.index, self.check).add_middleware(client_middleware(middleware));
    }

    /// Runs this side's pipeline and callback as if the call had arrived from the network.
    pub fn predict(&self, args: A) -> Predict<R> {
        predict(&self.endpoint, self.index, None, args)
    }
}

/// Client side of a function declared in `ServerFunctions`: the client invokes it on the server.
pub struct ClientInvoker<A, R> {
    client: Arc<ClientShared>,
    index: usize,
    check: Option<Check<A>>,
    _sig: PhantomData<fn(A) -> R>,
}

impl<A, R> ClientInvoker<A, R> {
    pub(crate) fn new(client: &Arc<ClientShared>, index: usize, check: Option<Check<A>>) -> Self {
        ClientInvoker { client: Arc::clone(client), index, check, _sig: PhantomData }
    }
}

impl<A: Args, R: Wire> ClientInvoker<A, R> {
    /// Invokes the function on the server, with the client's default timeout unless the call is given one
    /// ([`Invoke::timeout`]). Nothing is sent until the returned future is first polled.
    pub fn invoke(&self, args: A) -> Invoke<R> {
        let remote = match self.client.outgoing_id(self.index) {
            Ok(remote) => remote,
            Err(error) => return Invoke::failed(error),
        };
        let name = self.client.remote_name(self.index);
        let Some(bytes) = encode_outgoing(&args, self.check, name) else {
            return Invoke::failed(FunctionError::BadRequest);
        };
        let report = Report { boundary: Arc::clone(&self.client.boundary), player: None, name };
        Invoke::unsent(self.client.link(), remote, name, bytes, self.client.config.default_timeout, report)
    }
}

macro_rules! debug_handle {
    ($($ty:ident { $field:ident } ),*) => {$(
        impl<A, R> fmt::Debug for $ty<A, R> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("remote", &self.$field.remote_name(self.index)).finish()
            }
        }
        impl<A, R> Clone for $ty<A, R> {
            fn clone(&self) -> Self {
                $ty { $field: Arc::clone(&self.$field), index: self.index, check: self.check, _sig: PhantomData }
            }
        }
    )*};
}

debug_handle!(
    ServerFunction { endpoint },
    ServerInvoker { server },
    ClientFunction { endpoint },
    ClientInvoker { client }
);
