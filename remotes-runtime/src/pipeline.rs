//! The receiving pipeline of one remote: decode (refusing over-long values from their headers) -> declared
//! constraints -> global middleware -> per-remote middleware. Function callbacks and event listeners run after it;
//! `predict` goes through it too, so a game can test its rules without a network.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::boundary::Boundary;
use crate::interface::{RemoteDef, RemoteKind};
use crate::log_limit::log_at;
use crate::middleware::{Reject, RemoteMiddleware, Request};
use crate::player::Player;
use crate::user_code::CatchUnwind;
use crate::validate::Check;
use crate::wire::args::Args;

/// Why the middleware stopped a request.
pub(crate) enum Stopped {
    /// A middleware returned `Err(Reject)`.
    Rejected,
    /// A middleware panicked.
    Panicked,
}

/// One remote's typed pipeline. Shared by its callback or listeners, its middleware and `predict`.
pub(crate) struct Pipeline<A> {
    pub(crate) def: &'static RemoteDef,
    check: Option<Check<A>>,
    boundary: Arc<Boundary>,
    middleware: RwLock<Arc<[RemoteMiddleware<A>]>>,
    /// Set once this remote has middleware of its own: until then requests skip the lock.
    has_middleware: AtomicBool,
}

impl<A> Pipeline<A> {
    pub(crate) fn new(def: &'static RemoteDef, check: Option<Check<A>>, boundary: Arc<Boundary>) -> Pipeline<A> {
        Pipeline {
            def,
            check,
            boundary,
            middleware: RwLock::new(Arc::from(Vec::new())),
            has_middleware: AtomicBool::new(false),
        }
    }
}

impl<A: Args> Pipeline<A> {
    /// Decodes the arguments and checks the declared constraints. A failure is reported (counted, logged, hooks)
    /// and yields `None`.
    pub(crate) fn admit(&self, caller: Option<&Player>, bytes: &[u8]) -> Option<A> {
        let outcome = A::decode(bytes, self.def.args).map_err(|e| (e.index, e.reason)).and_then(|args| {
            match self.check.map_or(Ok(()), |check| check(&args)) {
                Ok(()) => Ok(args),
                Err(violation) => Err((Some(violation.index), violation.reason)),
            }
        });
        match outcome {
            Ok(args) => Some(args),
            Err((index, reason)) => {
                self.boundary.bad_request(caller, self.def, index, reason);
                None
            }
        }
    }

    pub(crate) fn add_middleware(&self, middleware: RemoteMiddleware<A>) {
        let mut list = self.middleware.write().unwrap_or_else(|p| p.into_inner());
        let mut next = list.to_vec();
        next.push(middleware);
        *list = Arc::from(next);
        self.has_middleware.store(true, Ordering::Release);
    }

    /// The middleware to run for one request, or `None` when there is none anywhere (no `.await` needed).
    pub(crate) fn middleware(&self) -> Option<Middleware<A>> {
        let global = self.boundary.middleware();
        if global.is_none() && !self.has_middleware.load(Ordering::Acquire) {
            return None;
        }
        let remote = Arc::clone(&self.middleware.read().unwrap_or_else(|p| p.into_inner()));
        Some(Middleware { def: self.def, boundary: Arc::clone(&self.boundary), global, remote })
    }
}

/// The middleware of one request, taken when it arrived: global (in order), then the remote's own (in order).
pub(crate) struct Middleware<A> {
    def: &'static RemoteDef,
    boundary: Arc<Boundary>,
    global: Option<Arc<[crate::middleware::GlobalMiddleware]>>,
    remote: Arc<[RemoteMiddleware<A>]>,
}

impl<A: Args> Middleware<A> {
    /// Runs every middleware; the arguments that come out are what the callback or listeners get.
    pub(crate) async fn run(self, caller: Option<Player>, mut args: A, payload_len: usize) -> Result<A, Stopped> {
        for middleware in self.global.iter().flat_map(|list| list.iter()) {
            let request = Request { player: caller.clone(), remote: self.def.name, kind: self.def.kind, payload_len };
            let verdict = guarded(|| middleware(request)).await;
            self.verdict(caller.as_ref(), verdict)?;
        }
        for middleware in self.remote.iter() {
            let verdict = guarded(|| middleware(caller.clone(), args)).await;
            args = self.verdict(caller.as_ref(), verdict)?;
        }
        Ok(args)
    }

    fn verdict<T>(&self, caller: Option<&Player>, verdict: Option<Result<T, Reject>>) -> Result<T, Stopped> {
        let what = match self.def.kind {
            RemoteKind::Function => "call cancelled",
            RemoteKind::Event => "event dropped",
        };
        match verdict {
            Some(Ok(value)) => Ok(value),
            Some(Err(reject)) if !self.boundary.may_log(caller) => {
                drop(reject);
                Err(Stopped::Rejected)
            }
            Some(Err(reject)) => {
                log_at!(
                    self.boundary.log_level,
                    player = caller.map(Player::id),
                    remote = self.def.name,
                    reason = %reject,
                    "middleware rejected a request; {what}"
                );
                Err(Stopped::Rejected)
            }
            None => {
                tracing::error!(player = caller.map(Player::id), remote = self.def.name, "middleware panicked");
                Err(Stopped::Panicked)
            }
        }
    }
}

/// Calls a middleware and awaits it, turning a panic (while calling or polling) into `None`.
async fn guarded<T>(call: impl FnOnce() -> crate::middleware::BoxFuture<T>) -> Option<T> {
    let future = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).ok()?;
    (CatchUnwind { inner: future }).await.ok()
}
