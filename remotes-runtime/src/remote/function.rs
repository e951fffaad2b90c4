//! Remote functions: invoking them (the handles that make an [`Invoke`]), handling them (`set_callback`), and
//! running the local path without a network (`Predict`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::FunctionError;
use crate::client::ClientShared;
use crate::endpoint::{Endpoint, Handler, typed_handler};
use crate::interface::Direction;
use crate::middleware::{BoxFuture, Reject, RemoteMiddleware};
use crate::pipeline::Pipeline;
use crate::player::Player;
use crate::rate_limit::RateLimit;
use crate::remote::invoke::{Invoke, Payload, Report, Target};
use crate::remote::many::{InvokeMany, Request, Targets};
use crate::remote::marker::Remote;
use crate::server::{Room, ServerShared};
use crate::validate::Check;
use crate::wire::args::{Args, Wire, decode_value};

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
    let mut bytes = crate::wire::buffers::take();
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
pub struct ServerFunction<M: Remote> {
    endpoint: Arc<Endpoint>,
    pipeline: Arc<Pipeline<M::Args>>,
}

impl<M: Remote> ServerFunction<M> {
    pub(crate) fn new(endpoint: &Arc<Endpoint>) -> Self {
        debug_assert_eq!(endpoint.def(M::INDEX).direction, Direction::ToServer);
        ServerFunction { endpoint: Arc::clone(endpoint), pipeline: endpoint.new_pipeline(M::INDEX, M::CHECK) }
    }
}

impl<M: Remote<Args: Args, Output: Wire>> ServerFunction<M> {
    /// Sets the callback that answers this function, replacing (with a warning) any callback set before.
    ///
    /// The callback starts on the connection's reader, in arrival order, and continues in a task of its own from
    /// its first `.await` that is not ready: keep work before the first `.await` short (or spawn it).
    pub fn set_callback<F, Fut>(&self, callback: F)
    where
        F: Fn(Player, M::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = M::Output> + Send + 'static,
    {
        let pipeline = Arc::clone(&self.pipeline);
        let handler: Arc<dyn Handler> =
            typed_handler::<M::Args, M::Output, _, _>(pipeline, move |caller: Option<&Player>, args| {
                // Server connections always carry their player; `None` only reaches client endpoints.
                caller.cloned().map(|player| callback(player, args))
            });
        self.endpoint.set_handler(M::INDEX, handler);
    }

    /// Adds a middleware: it sees each call's player and arguments after validation, may replace the arguments,
    /// and may reject the call (`Cancelled` at the caller).
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Player, M::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Args, Reject>> + Send + 'static,
    {
        self.pipeline.add_middleware(server_middleware(middleware));
    }

    /// Limits how often each player may call this function: calls over the limit are answered `Cancelled` before
    /// their arguments are decoded, and counted.
    pub fn rate_limit(&self, limit: RateLimit) {
        self.endpoint.set_rate_limit(M::INDEX, limit);
    }

    /// Runs this side's pipeline and callback for `player` as if the call had arrived from the network.
    pub fn predict(&self, player: &Player, args: M::Args) -> Predict<M::Output> {
        predict(&self.endpoint, M::INDEX, Some(player.clone()), args)
    }
}

/// Server side of a function declared in `ClientFunctions`: the server invokes it on one player.
pub struct ServerInvoker<M: Remote> {
    server: Arc<ServerShared>,
    _remote: PhantomData<fn() -> M>,
}

impl<M: Remote> ServerInvoker<M> {
    pub(crate) fn new(server: &Arc<ServerShared>) -> Self {
        ServerInvoker { server: Arc::clone(server), _remote: PhantomData }
    }
}

impl<M: Remote<Args: Args, Output: Wire>> ServerInvoker<M> {
    /// Invokes the function on `player`'s client, with the server's default timeout unless the call is given one
    /// ([`Invoke::timeout`]). Nothing is sent until the returned future is first polled.
    pub fn invoke(&self, player: &Player, args: M::Args) -> Invoke<M::Output> {
        let name = self.server.remote_name(M::INDEX);
        let Some(bytes) = encode_outgoing(&args, M::CHECK, name) else {
            return Invoke::failed(FunctionError::BadRequest);
        };
        let report =
            Report { boundary: Arc::clone(&self.server.boundary), player: Some(player.clone()), name, index: M::INDEX };
        // The server's own table is the wire's numbering: its local index is the remote id.
        Invoke::unsent(
            Target::player(player),
            M::INDEX as u32,
            name,
            Payload::Own(bytes),
            self.server.config.default_timeout,
            report,
        )
    }

    /// Invokes the function on every member of `room` (its members when the stream is first polled), encoding the
    /// arguments once: a stream of each player's answer as it arrives (see [`InvokeMany`]). A room of another
    /// server yields nothing (logged).
    pub fn invoke_room(&self, room: &Room, args: M::Args) -> InvokeMany<M::Output> {
        let targets = if room.is_of(&self.server.rooms) {
            Targets::Room(room.clone())
        } else {
            let function = self.server.remote_name(M::INDEX);
            tracing::warn!(function, room = room.name(), "a room of another server; nothing invoked");
            Targets::Players(Vec::new())
        };
        self.invoke_targets(targets, &args)
    }

    /// Invokes the function on each of `players`, encoding the arguments once: a stream of each player's answer as
    /// it arrives (see [`InvokeMany`]).
    pub fn invoke_many(&self, players: &[Player], args: M::Args) -> InvokeMany<M::Output> {
        self.invoke_targets(Targets::Players(players.to_vec()), &args)
    }

    fn invoke_targets(&self, targets: Targets, args: &M::Args) -> InvokeMany<M::Output> {
        let name = self.server.remote_name(M::INDEX);
        let args = encode_outgoing(args, M::CHECK, name).map(Into::into);
        // The server's own table is the wire's numbering: its local index is the remote id.
        let request = Request { remote: M::INDEX as u32, name, args, boundary: Arc::clone(&self.server.boundary) };
        InvokeMany::unsent(targets, request, self.server.config.default_timeout)
    }
}

/// Client side of a function declared in `ClientFunctions`: the client handles it.
pub struct ClientFunction<M: Remote> {
    endpoint: Arc<Endpoint>,
    pipeline: Arc<Pipeline<M::Args>>,
}

impl<M: Remote> ClientFunction<M> {
    pub(crate) fn new(endpoint: &Arc<Endpoint>) -> Self {
        debug_assert_eq!(endpoint.def(M::INDEX).direction, Direction::ToClient);
        ClientFunction { endpoint: Arc::clone(endpoint), pipeline: endpoint.new_pipeline(M::INDEX, M::CHECK) }
    }
}

impl<M: Remote<Args: Args, Output: Wire>> ClientFunction<M> {
    /// Sets the callback that answers this function, replacing (with a warning) any callback set before.
    pub fn set_callback<F, Fut>(&self, callback: F)
    where
        F: Fn(M::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = M::Output> + Send + 'static,
    {
        let pipeline = Arc::clone(&self.pipeline);
        let handler: Arc<dyn Handler> =
            typed_handler::<M::Args, M::Output, _, _>(pipeline, move |_caller: Option<&Player>, args| {
                Some(callback(args))
            });
        self.endpoint.set_handler(M::INDEX, handler);
    }

    /// Adds a middleware: it sees each call's arguments after validation, may replace them, and may reject the
    /// call (`Cancelled` at the server).
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(M::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Args, Reject>> + Send + 'static,
    {
        self.pipeline.add_middleware(client_middleware(middleware));
    }

    /// Runs this side's pipeline and callback as if the call had arrived from the network.
    pub fn predict(&self, args: M::Args) -> Predict<M::Output> {
        predict(&self.endpoint, M::INDEX, None, args)
    }
}

/// Client side of a function declared in `ServerFunctions`: the client invokes it on the server.
pub struct ClientInvoker<M: Remote> {
    client: Arc<ClientShared>,
    _remote: PhantomData<fn() -> M>,
}

impl<M: Remote> ClientInvoker<M> {
    pub(crate) fn new(client: &Arc<ClientShared>) -> Self {
        ClientInvoker { client: Arc::clone(client), _remote: PhantomData }
    }
}

impl<M: Remote<Args: Args, Output: Wire>> ClientInvoker<M> {
    /// Invokes the function on the server, with the client's default timeout unless the call is given one
    /// ([`Invoke::timeout`]). Nothing is sent until the returned future is first polled.
    pub fn invoke(&self, args: M::Args) -> Invoke<M::Output> {
        let remote = match self.client.outgoing_id(M::INDEX) {
            Ok(remote) => remote,
            Err(error) => return Invoke::failed(error),
        };
        let name = self.client.remote_name(M::INDEX);
        let Some(bytes) = encode_outgoing(&args, M::CHECK, name) else {
            return Invoke::failed(FunctionError::BadRequest);
        };
        let report = Report { boundary: Arc::clone(&self.client.boundary), player: None, name, index: M::INDEX };
        Invoke::unsent(
            Target::Link(Arc::clone(self.client.link())),
            remote,
            name,
            Payload::Own(bytes),
            self.client.config.default_timeout,
            report,
        )
    }
}

macro_rules! debug_handle {
    ($($ty:ident { $field:ident $(, $extra:ident)* } ),*) => {$(
        impl<M: Remote> fmt::Debug for $ty<M> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("remote", &self.$field.remote_name(M::INDEX)).finish()
            }
        }
        impl<M: Remote> Clone for $ty<M> {
            fn clone(&self) -> Self {
                $ty { $field: Arc::clone(&self.$field) $(, $extra: Clone::clone(&self.$extra))* }
            }
        }
    )*};
}

debug_handle!(
    ServerFunction { endpoint, pipeline },
    ServerInvoker { server, _remote },
    ClientFunction { endpoint, pipeline },
    ClientInvoker { client, _remote }
);
