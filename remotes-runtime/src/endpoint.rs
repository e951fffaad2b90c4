//! The endpoint: one side's registry of callbacks for the remotes it handles, indexed by local index.
//!
//! Handlers are stored type-erased: they take the encoded arguments and return a future of the encoded reply,
//! so the connection task needs no knowledge of the remote's types. Decoding happens synchronously in `call`, so a
//! malformed request is answered `BadRequest` without spawning anything.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, RwLock};

use crate::FunctionError;
use crate::boundary::{Boundary, Side};
use crate::interface::{Direction, Interface, RemoteDef};
use crate::link::ReplyFuture;
use crate::listeners::Listeners;
use crate::pipeline::{Pipeline, Stopped};
use crate::player::Player;
use crate::rate_limit::RateLimit;
use crate::telemetry::Telemetry;
use crate::user_code::{CatchUnwind, log_panic};
use crate::validate::Check;
use crate::wire::args::{Args, Wire, encode_value};

/// A type-erased function callback.
pub(crate) trait Handler: Send + Sync {
    /// Runs the receiving pipeline on `args` and starts the callback. `caller` is the calling player on the server,
    /// `None` on a client. Arguments that do not decode or break a constraint are reported and answered
    /// `BadRequest`, without starting anything.
    fn call(&self, caller: Option<&Player>, args: &[u8]) -> Result<ReplyFuture, FunctionError>;
}

/// A callback. Returns `None` when it cannot run for this caller (a server callback reached without a player, which
/// the connection code never does); that answers `Unprocessed`.
type Callback<A, Fut> = dyn Fn(Option<&Player>, A) -> Option<Fut> + Send + Sync;

struct TypedHandler<A, Fut> {
    pipeline: Arc<Pipeline<A>>,
    callback: Arc<Callback<A, Fut>>,
}

/// Wraps a typed callback behind the remote's pipeline.
pub(crate) fn typed_handler<A, R, F, Fut>(pipeline: Arc<Pipeline<A>>, callback: F) -> Arc<dyn Handler>
where
    A: Args,
    R: Wire,
    F: Fn(Option<&Player>, A) -> Option<Fut> + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    Arc::new(TypedHandler { pipeline, callback: Arc::new(callback) as Arc<Callback<A, Fut>> })
}

impl<A, R, Fut> Handler for TypedHandler<A, Fut>
where
    A: Args,
    R: Wire,
    Fut: Future<Output = R> + Send + 'static,
{
    fn call(&self, caller: Option<&Player>, bytes: &[u8]) -> Result<ReplyFuture, FunctionError> {
        let args = self.pipeline.admit(caller, bytes).ok_or(FunctionError::BadRequest)?;
        let name = self.pipeline.def.name;
        let Some(middleware) = self.pipeline.middleware() else {
            return Ok(start_callback(name, &*self.callback, caller, args));
        };
        let callback = Arc::clone(&self.callback);
        let caller = caller.cloned();
        let payload_len = bytes.len();
        Ok(Box::pin(async move {
            let args = match middleware.run(caller.clone(), args, payload_len).await {
                Ok(args) => args,
                Err(Stopped::Rejected) => return Err(FunctionError::Cancelled),
                Err(Stopped::Panicked) => return Err(FunctionError::Unprocessed),
            };
            start_callback(name, &*callback, caller.as_ref(), args).await
        }))
    }
}

/// Calls the callback and wraps its future: panics become `Unprocessed`, the value is encoded.
fn start_callback<A, R, Fut>(
    name: &'static str,
    callback: &Callback<A, Fut>,
    caller: Option<&Player>,
    args: A,
) -> ReplyFuture
where
    R: Wire,
    Fut: Future<Output = R> + Send + 'static,
{
    let future = match catch_unwind(AssertUnwindSafe(|| callback(caller, args))) {
        Ok(Some(future)) => future,
        Ok(None) => return Box::pin(std::future::ready(Err(FunctionError::Unprocessed))),
        Err(panic) => {
            log_panic(name, &*panic);
            return Box::pin(std::future::ready(Err(FunctionError::Unprocessed)));
        }
    };
    Box::pin(async move {
        match (CatchUnwind { inner: future }).await {
            Ok(value) => {
                let mut out = crate::wire::buffers::take();
                encode_value(&value, &mut out).map_err(|reason| {
                    tracing::error!(remote = name, %reason, "callback's return value failed to encode");
                    FunctionError::InvalidResult
                })?;
                Ok(out)
            }
            Err(panic) => {
                log_panic(name, &*panic);
                Err(FunctionError::Unprocessed)
            }
        }
    })
}

/// The callback of one function, if set.
type HandlerSlot = RwLock<Option<Arc<dyn Handler>>>;

/// One side's registry for one interface.
pub(crate) struct Endpoint {
    side: Side,
    interface: &'static Interface,
    handlers: Box<[HandlerSlot]>,
    /// The listeners of the events this side hears.
    pub(crate) listeners: Listeners,
    /// The side's receiving policy: global middleware, hooks, global rate limit.
    pub(crate) boundary: Arc<Boundary>,
    /// Each remote's own rate limit, if one is set.
    rate_limits: Box<[RwLock<Option<RateLimit>>]>,
}

impl Endpoint {
    pub(crate) fn new(
        side: Side,
        interface: &'static Interface,
        event_queue_len: usize,
        boundary: Arc<Boundary>,
    ) -> Endpoint {
        let names = interface.remotes().iter().map(|r| r.name).collect();
        let per_remote = || interface.remotes().iter();
        let telemetry = Some(Arc::clone(boundary.telemetry()));
        Endpoint {
            side,
            interface,
            handlers: per_remote().map(|_| RwLock::new(None)).collect(),
            listeners: Listeners::new(names, event_queue_len, telemetry),
            boundary,
            rate_limits: per_remote().map(|_| RwLock::new(None)).collect(),
        }
    }

    /// A pipeline for remote `index`: its typed handle makes the one it keeps, when the handle is made.
    pub(crate) fn new_pipeline<A>(&self, index: usize, check: Option<Check<A>>) -> Arc<Pipeline<A>> {
        Arc::new(Pipeline::new(self.def(index), check, Arc::clone(&self.boundary)))
    }

    /// Sets remote `index`'s own rate limit (per player, checked before decoding).
    pub(crate) fn set_rate_limit(&self, index: usize, limit: RateLimit) {
        *self.rate_limits[index].write().unwrap_or_else(|p| p.into_inner()) = Some(limit);
        self.boundary.any_rate_limit.store(true, std::sync::atomic::Ordering::Release);
    }

    pub(crate) fn rate_limit(&self, index: usize) -> Option<RateLimit> {
        *self.rate_limits.get(index)?.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Each remote's figures on this side (spans, metrics, `stats()`): its boundary's.
    pub(crate) fn telemetry(&self) -> &Arc<Telemetry> {
        self.boundary.telemetry()
    }

    /// The direction of the remotes this side handles (or hears).
    pub(crate) fn handles(&self) -> Direction {
        match self.side {
            Side::Server => Direction::ToServer,
            Side::Client => Direction::ToClient,
        }
    }

    pub(crate) fn interface(&self) -> &'static Interface {
        self.interface
    }

    pub(crate) fn def(&self, index: usize) -> &'static RemoteDef {
        &self.interface.remotes()[index]
    }

    /// The name of the remote at `index`, for logs and `Debug`.
    pub(crate) fn remote_name(&self, index: usize) -> &'static str {
        self.def(index).name
    }

    /// Installs the callback of the function at `index`, warning when it replaces one.
    pub(crate) fn set_handler(&self, index: usize, handler: Arc<dyn Handler>) {
        let previous = self.handlers[index].write().unwrap_or_else(|p| p.into_inner()).replace(handler);
        if previous.is_some() {
            tracing::warn!(
                remote = self.remote_name(index),
                side = %self.side,
                "set_callback replaced the callback already set for this function"
            );
        }
    }

    /// Drops every callback and listener. Callbacks often capture the typed views, which hold the server or client
    /// that owns this endpoint; clearing them when the server or client is dropped breaks that cycle.
    pub(crate) fn clear(&self) {
        for slot in &self.handlers {
            let handler = slot.write().unwrap_or_else(|p| p.into_inner()).take();
            // Dropped with the lock released: the callback's captures may hold anything of the game's.
            drop(handler);
        }
        self.listeners.clear();
    }

    /// The callback of the function at `index`, if one is set.
    pub(crate) fn handler(&self, index: usize) -> Option<Arc<dyn Handler>> {
        self.handlers.get(index)?.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
