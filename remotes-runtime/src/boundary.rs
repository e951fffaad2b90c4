//! The boundary: one side's policy for what it receives. It holds the global middleware, the global rate limit, the
//! rejection hooks and the level rejections are logged at, and it is where every rejection is reported.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use tracing::Level;

use crate::hooks::{Argument, BadRequestReport, BadResponseReport};
use crate::interface::{Direction, Interface, RemoteDef};
use crate::log_limit::{LogLimit, log_at};
use crate::middleware::GlobalMiddleware;
use crate::player::Player;
use crate::rate_limit::RateLimit;
use crate::telemetry::{Dropped, Telemetry};

type Hook<T> = Arc<dyn Fn(&T) + Send + Sync>;

/// Which side an endpoint belongs to; named in logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Server => "server",
            Side::Client => "client",
        })
    }
}

/// One side's receiving policy.
pub(crate) struct Boundary {
    interface: &'static Interface,
    /// The side's per-remote figures (shared with its endpoint and connections).
    telemetry: Arc<Telemetry>,
    side: Side,
    /// The level rejections (bad requests, bad responses, rate limits, middleware refusals) are logged at.
    pub(crate) log_level: Level,
    middleware: RwLock<Arc<[GlobalMiddleware]>>,
    has_middleware: AtomicBool,
    rate_limit: RwLock<Option<RateLimit>>,
    /// Set once any rate limit (global or per remote) exists, so requests skip the bucket lock until then.
    pub(crate) any_rate_limit: AtomicBool,
    on_bad_request: RwLock<Vec<Hook<BadRequestReport>>>,
    on_bad_response: RwLock<Vec<Hook<BadResponseReport>>>,
    /// Limits the rejection logs of a peer that has no player (the server, as a client sees it); a player's
    /// rejections go through its connection's own limiter.
    log_limit: LogLimit,
}

impl Boundary {
    pub(crate) fn new(
        side: Side,
        log_level: Level,
        log_limit: LogLimit,
        interface: &'static Interface,
        metrics_interval: std::time::Duration,
    ) -> Arc<Boundary> {
        let (name, handles) = match side {
            Side::Server => ("server", Direction::ToServer),
            Side::Client => ("client", Direction::ToClient),
        };
        let telemetry = Arc::new(Telemetry::new(interface, name, handles));
        Telemetry::publish_every(&telemetry, metrics_interval);
        Arc::new(Boundary {
            interface,
            telemetry,
            log_limit,
            side,
            log_level,
            middleware: RwLock::new(Arc::from(Vec::new())),
            has_middleware: AtomicBool::new(false),
            rate_limit: RwLock::new(None),
            any_rate_limit: AtomicBool::new(false),
            on_bad_request: RwLock::new(Vec::new()),
            on_bad_response: RwLock::new(Vec::new()),
        })
    }

    pub(crate) fn telemetry(&self) -> &Arc<Telemetry> {
        &self.telemetry
    }

    pub(crate) fn add_middleware(&self, middleware: GlobalMiddleware) {
        let mut list = self.middleware.write().unwrap_or_else(|p| p.into_inner());
        let mut next = list.to_vec();
        next.push(middleware);
        *list = Arc::from(next);
        self.has_middleware.store(true, Ordering::Release);
    }

    /// The global middleware, in registration order; `None` when there is none (the common, fast case).
    pub(crate) fn middleware(&self) -> Option<Arc<[GlobalMiddleware]>> {
        if !self.has_middleware.load(Ordering::Acquire) {
            return None;
        }
        Some(Arc::clone(&self.middleware.read().unwrap_or_else(|p| p.into_inner())))
    }

    pub(crate) fn set_rate_limit(&self, limit: Option<RateLimit>) {
        *self.rate_limit.write().unwrap_or_else(|p| p.into_inner()) = limit;
        if limit.is_some() {
            self.any_rate_limit.store(true, Ordering::Release);
        }
    }

    pub(crate) fn rate_limit(&self) -> Option<RateLimit> {
        *self.rate_limit.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn on_bad_request(&self, hook: Hook<BadRequestReport>) {
        self.on_bad_request.write().unwrap_or_else(|p| p.into_inner()).push(hook);
    }

    pub(crate) fn on_bad_response(&self, hook: Hook<BadResponseReport>) {
        self.on_bad_response.write().unwrap_or_else(|p| p.into_inner()).push(hook);
    }

    /// Reports a request rejected as malformed: counts it against the player, logs it, runs the hooks.
    pub(crate) fn bad_request(
        &self,
        caller: Option<&Player>,
        def: &'static RemoteDef,
        index: Option<usize>,
        reason: String,
    ) {
        let argument = index.and_then(|index| def.args.get(index).map(|arg| Argument { index, name: arg.name }));
        if let Some(link) = caller.and_then(Player::link) {
            link.count_bad_request();
        }
        if let Some(position) = self.interface.remotes().iter().position(|d| std::ptr::eq(d, def)) {
            let remote = self.telemetry.remote(position);
            remote.bad_request();
            if def.kind == crate::interface::RemoteKind::Event {
                remote.event_dropped(Dropped::BadRequest);
            }
        }
        if self.may_log(caller) {
            log_at!(
            self.log_level,
            side = %self.side,
            player = caller.map(Player::id),
            remote = def.name,
            kind = ?def.kind,
            argument = argument.map(|a| a.name),
            argument_index = index,
            %reason,
            "rejected incoming arguments: they do not decode as declared or break a declared constraint"
            );
        }
        let report = BadRequestReport { player: caller.cloned(), remote: def.name, argument, reason };
        run_hooks(&self.on_bad_request, &report);
    }

    /// Reports a reply that did not decode as the declared return type.
    pub(crate) fn bad_response(&self, player: Option<Player>, remote: &'static str, reason: String) {
        if self.may_log(player.as_ref()) {
            log_at!(
                self.log_level,
                side = %self.side,
                player = player.as_ref().map(Player::id),
                remote,
                %reason,
                "a reply did not decode as the declared return type"
            );
        }
        let report = BadResponseReport { player, remote, reason };
        run_hooks(&self.on_bad_response, &report);
    }
}

impl Boundary {
    /// Whether a rejection of what `caller` (or, without one, the server) sent may be logged now.
    pub(crate) fn may_log(&self, caller: Option<&Player>) -> bool {
        match caller.and_then(Player::link) {
            Some(link) => link.may_log(),
            None => self.log_limit.admit("server"),
        }
    }
}

fn run_hooks<T>(hooks: &RwLock<Vec<Hook<T>>>, report: &T) {
    let hooks = hooks.read().unwrap_or_else(|p| p.into_inner()).clone();
    for hook in hooks {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(report))).is_err() {
            tracing::error!("a rejection hook panicked");
        }
    }
}
