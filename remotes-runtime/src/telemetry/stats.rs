//! Each remote's figures on one side, counted where they happen: a successful call, an event or a frame is an add
//! to this thread's copy of the figures (`shards.rs`), read by the snapshot API and handed to the `metrics`
//! recorder every so often (`publish.rs`). Errors, refusals and drops, rarer, also go to the recorder at once.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tracing::Span;

use super::clock::Clock;
use super::histogram::{Histogram, quantiles};
use super::names;
use super::publish::{Handles, Published};
use super::shards::{Local, Sharded};
use crate::FunctionError;
use crate::interface::Interface;

/// How a call ended: `ok`, or one of the six errors (its index in `OUTCOMES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome(usize);

pub(super) const OUTCOMES: [&str; 7] =
    ["ok", "Timeout", "Cancelled", "BadRequest", "InvalidResult", "Unprocessed", "Disconnected"];

impl Outcome {
    pub(crate) const OK: Outcome = Outcome(0);

    pub(crate) fn of<T>(result: &Result<T, FunctionError>) -> Outcome {
        match result {
            Ok(_) => Outcome::OK,
            Err(error) => Outcome::error(*error),
        }
    }

    pub(crate) fn error(error: FunctionError) -> Outcome {
        Outcome(match error {
            FunctionError::Timeout => 1,
            FunctionError::Cancelled => 2,
            FunctionError::BadRequest => 3,
            FunctionError::InvalidResult => 4,
            FunctionError::Unprocessed => 5,
            FunctionError::Disconnected => 6,
        })
    }

    fn label(self) -> &'static str {
        OUTCOMES[self.0]
    }
}

/// Why an event was dropped (the `reason` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dropped {
    QueueFull,
    NotConnected,
    TooLarge,
    NoListener,
    RateLimited,
    BadRequest,
}

pub(super) const DROPPED: [&str; 6] =
    ["queue_full", "not_connected", "too_large", "no_listener", "rate_limited", "bad_request"];

/// A call being handled or made: which remote, since when (a `Clock::now` reading), and its span (none without a
/// subscriber: an empty `Span` still costs a call to drop).
pub(crate) struct CallStart {
    pub(crate) remote: usize,
    pub(crate) started: u64,
    pub(crate) span: Option<Span>,
}

/// One remote's figures on one side.
pub(crate) struct RemoteTelemetry {
    pub(super) name: &'static str,
    pub(super) service: &'static str,
    pub(super) side: &'static str,
    /// Whether this side handles (or hears) the remote, rather than making (or firing) it.
    pub(super) handles_it: bool,
    otel_name: String,
    /// The server's address (`server.address` of the spans), once known.
    address: std::sync::Arc<OnceLock<String>>,
    pub(super) figures: Sharded,
    pub(super) clock: Clock,
    /// Durations of the calls that settled with an error, for the snapshot (successes are in `figures`); made at
    /// the first error, so that a remote that never fails (or is never called) holds no buckets (1.5 KB).
    error_latency: OnceLock<Box<Histogram>>,
    handles: OnceLock<Handles>,
    pub(super) published: Mutex<Published>,
}

/// Whether a span can reach anyone: a `tracing` dispatcher (a subscriber) has been set. With none, the span
/// macros fall back to `tracing`'s `log` compatibility when its `log` feature is on (as many dependency trees
/// turn it on): every span's fields would be gathered for the `log` crate, and every enter and exit logged, at
/// every call (measured: a tenth of an in-process call's instructions; BENCHMARKS.md, "Observability"). These
/// spans are for traces, not log lines, so without a subscriber none is made.
#[inline]
fn spans_wanted() -> bool {
    !OFF && tracing::dispatcher::has_been_set()
}

/// Built with `RUSTFLAGS="--cfg remotes_telemetry_off"`: no span is made and no call or event is counted, so that
/// `scripts/observability-cost.sh` can measure what they cost against the same code without them. Not a feature:
/// no program should be built this way (its `stats()` reads zeros).
const OFF: bool = cfg!(remotes_telemetry_off);

/// Enters `span` until the guard is dropped, or does nothing when there is no span (no subscriber): entering and
/// leaving an empty span is cheap, but not free. A guard rather than `Span::in_scope`, whose closure kept the code
/// it covers out of line (measured: 16 instructions a call, twice per call handled).
#[inline]
pub(crate) fn enter(span: Option<&Span>) -> Option<tracing::span::Entered<'_>> {
    span.filter(|span| !span.is_none()).map(Span::enter)
}

impl RemoteTelemetry {
    pub(super) fn handles(&self) -> &Handles {
        self.handles.get_or_init(|| Handles::register(self))
    }

    /// A span for a call this side handles, made by player `player` (on the server).
    #[inline]
    pub(crate) fn server_span(&self, player: Option<u64>) -> Option<Span> {
        spans_wanted().then(|| self.rpc_span("server", player))
    }

    /// A span for a call this side makes (to player `player`, on the server).
    #[inline]
    pub(crate) fn client_span(&self, player: Option<u64>) -> Option<Span> {
        spans_wanted().then(|| self.rpc_span("client", player))
    }

    /// Out of line: the check above is all a call pays without a subscriber.
    #[cold]
    #[inline(never)]
    fn rpc_span(&self, kind: &'static str, player: Option<u64>) -> Span {
        tracing::info_span!(target: "remotes", "rpc", otel.name = %self.otel_name, otel.kind = kind,
            rpc.system.name = "remotes", rpc.system = "remotes", rpc.service = self.service, rpc.method = self.name,
            remotes.player = player, server.address = self.address.get().map(String::as_str),
            error.type = tracing::field::Empty, otel.status_code = tracing::field::Empty)
    }

    /// A span around the listeners of an event heard from `player` (on the server).
    pub(crate) fn event_span(&self, player: Option<u64>) -> Span {
        if !spans_wanted() {
            return Span::none();
        }
        tracing::debug_span!(target: "remotes", "event", otel.name = %self.otel_name, otel.kind = "consumer",
            rpc.system.name = "remotes", rpc.method = self.name, remotes.player = player)
    }

    /// A call arrived, to be handled here, with `len` bytes of frame body; returns when (`CallStart::started`).
    #[inline]
    pub(crate) fn handled_call_started(&self, len: usize) -> u64 {
        self.call_started::<true>(len)
    }

    /// A call made here was sent, with `len` bytes of frame body; returns when (`CallStart::started`).
    #[inline]
    pub(crate) fn made_call_started(&self, len: usize) -> u64 {
        self.call_started::<false>(len)
    }

    /// A call handled here settled; `reply_len` is the reply's frame body (sent), 0 for none.
    #[inline]
    pub(crate) fn handled_call_settled(&self, start: &CallStart, outcome: Outcome, reply_len: usize) {
        self.call_settled::<true>(start, outcome, reply_len);
    }

    /// A call made here settled; `reply_len` is the reply's frame body (received), 0 for none.
    #[inline]
    pub(crate) fn made_call_settled(&self, start: &CallStart, outcome: Outcome, reply_len: usize) {
        self.call_settled::<false>(start, outcome, reply_len);
    }

    /// One body for both sides, each side's copy without the other's branch (callers always know which they are:
    /// `handles_it` says the same).
    #[inline]
    fn call_started<const HANDLED: bool>(&self, len: usize) -> u64 {
        if OFF {
            return 0;
        }
        debug_assert_eq!(HANDLED, self.handles_it, "{}", self.name);
        let local = self.figures.local();
        local.add(&local.figures.started, 1);
        if HANDLED {
            count_in(&local, len);
        } else {
            count_out(&local, len, 1);
        }
        self.clock.now()
    }

    #[inline]
    fn call_settled<const HANDLED: bool>(&self, start: &CallStart, outcome: Outcome, reply_len: usize) {
        if OFF {
            return;
        }
        debug_assert_eq!(HANDLED, self.handles_it, "{}", self.name);
        let now = self.clock.now();
        let local = self.figures.local();
        if outcome == Outcome::OK {
            local.add(&local.figures.settled[0], 1);
            local.add(local.figures.latency.counter(self.clock.units_between(start.started, now)), 1);
        } else {
            local.add(&local.figures.settled[outcome.0], 1);
            self.errored(outcome, start.started, now, start.span.as_ref());
        }
        if reply_len > 0 {
            if HANDLED {
                count_out(&local, reply_len, 1);
            } else {
                count_in(&local, reply_len);
            }
        }
    }

    /// A call settled with an error, started and ended at these clock readings: timed for the snapshot, recorded
    /// at once, and marked on its span.
    #[cold]
    fn errored(&self, outcome: Outcome, started: u64, ended: u64, span: Option<&Span>) {
        let units = self.clock.units_between(started, ended);
        let histogram = self.error_latency.get_or_init(Box::default);
        histogram.counter(units).fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.handles().duration[outcome.0].record(self.clock.nanos_between(started, ended) as f64 * 1e-9);
        if let Some(span) = span.filter(|span| !span.is_disabled()) {
            span.record("error.type", outcome.label());
            span.record("otel.status_code", "ERROR");
        }
    }

    /// A call refused before it was handled (nothing to time but the refusal).
    pub(crate) fn call_refused(&self, outcome: Outcome) {
        if OFF {
            return;
        }
        let local = self.figures.local();
        local.add(&local.figures.settled[outcome.0], 1);
        self.errored(outcome, 0, 0, None);
    }

    pub(crate) fn frame_in(&self, len: usize) {
        if OFF {
            return;
        }
        count_in(&self.figures.local(), len);
    }

    /// An event of `len` bytes of frame body was queued for `recipients` players.
    pub(crate) fn event_fired(&self, len: usize, recipients: u64) {
        if OFF {
            return;
        }
        let local = self.figures.local();
        local.add(&local.figures.fired, recipients);
        count_out(&local, len, recipients);
    }

    pub(crate) fn event_delivered(&self) {
        if OFF {
            return;
        }
        let local = self.figures.local();
        local.add(&local.figures.delivered, 1);
    }

    pub(crate) fn event_dropped(&self, why: Dropped) {
        if OFF {
            return;
        }
        let local = self.figures.local();
        local.add(&local.figures.dropped, 1);
        self.handles().dropped[why as usize].increment(1);
    }

    pub(crate) fn bad_request(&self) {
        if OFF {
            return;
        }
        self.handles().bad_requests.increment(1);
    }

    pub(crate) fn rate_limited(&self) {
        if OFF {
            return;
        }
        self.handles().rate_limited.increment(1);
    }

    fn snapshot(&self) -> RemoteStats {
        let totals = self.figures.totals();
        let settled = totals.settled;
        let mut latency = self.figures.latency_counts();
        if let Some(errors) = self.error_latency.get() {
            errors.add_counts(&mut latency);
        }
        let [p50, p99] = quantiles(&latency, [0.5, 0.99], self.clock.unit_nanos());
        RemoteStats {
            name: self.name,
            calls: settled.iter().sum(),
            errors: ErrorCounts {
                timeout: settled[1],
                cancelled: settled[2],
                bad_request: settled[3],
                invalid_result: settled[4],
                unprocessed: settled[5],
                disconnected: settled[6],
            },
            bytes_in: totals.bytes_in,
            bytes_out: totals.bytes_out,
            frames_in: totals.frames_in,
            frames_out: totals.frames_out,
            events_fired: totals.fired,
            events_delivered: totals.delivered,
            events_dropped: totals.dropped,
            p50,
            p99,
        }
    }
}

/// One frame of `len` bytes of body received.
#[inline]
fn count_in(local: &Local<'_>, len: usize) {
    local.add(&local.figures.frames_in, 1);
    local.add(&local.figures.bytes_in, len as u64);
}

/// `frames` frames of `len` bytes of body each queued.
#[inline]
fn count_out(local: &Local<'_>, len: usize, frames: u64) {
    local.add(&local.figures.frames_out, frames);
    local.add(&local.figures.bytes_out, len as u64 * frames);
}

/// Every remote's figures on one side (one per server or client endpoint).
pub(crate) struct Telemetry {
    remotes: Box<[RemoteTelemetry]>,
    /// Ends the periodic hand-over to the recorder (`publish.rs`); a permit is kept if its task is not waiting.
    pub(super) stop_publishing: std::sync::Arc<tokio::sync::Notify>,
    address: std::sync::Arc<OnceLock<String>>,
}

impl Telemetry {
    pub(crate) fn new(
        interface: &'static Interface,
        side: &'static str,
        handles: crate::interface::Direction,
    ) -> Telemetry {
        names::describe();
        let clock = Clock::get();
        let service = interface.name();
        let address = std::sync::Arc::new(OnceLock::new());
        let remotes = interface
            .remotes()
            .iter()
            .map(|def| RemoteTelemetry {
                name: def.name,
                service,
                side,
                handles_it: def.direction == handles,
                otel_name: format!("{service}/{}", def.name),
                address: std::sync::Arc::clone(&address),
                figures: Sharded::new(),
                clock,
                error_latency: OnceLock::new(),
                handles: OnceLock::new(),
                published: Published::new(),
            })
            .collect();
        Telemetry { remotes, stop_publishing: std::sync::Arc::new(tokio::sync::Notify::new()), address }
    }

    /// The server's address, for the spans' `server.address` (its listener on a server, where it dialled on a
    /// client).
    pub(crate) fn set_address(&self, address: String) {
        let _ = self.address.set(address);
    }

    pub(crate) fn remote(&self, index: usize) -> &RemoteTelemetry {
        &self.remotes[index]
    }

    pub(super) fn remotes(&self) -> &[RemoteTelemetry] {
        &self.remotes
    }

    pub(crate) fn snapshot(&self) -> Vec<RemoteStats> {
        self.remotes.iter().map(RemoteTelemetry::snapshot).collect()
    }
}

/// Calls that settled with each error, for one remote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorCounts {
    /// `FunctionError::Timeout`.
    pub timeout: u64,
    /// `FunctionError::Cancelled`.
    pub cancelled: u64,
    /// `FunctionError::BadRequest`.
    pub bad_request: u64,
    /// `FunctionError::InvalidResult`.
    pub invalid_result: u64,
    /// `FunctionError::Unprocessed`.
    pub unprocessed: u64,
    /// `FunctionError::Disconnected`.
    pub disconnected: u64,
}

impl ErrorCounts {
    /// Every error together.
    pub fn total(&self) -> u64 {
        self.timeout + self.cancelled + self.bad_request + self.invalid_result + self.unprocessed + self.disconnected
    }
}

/// One remote's figures on one side since the server (or client) was made: see
/// [`Server::stats`](crate::Server::stats).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStats {
    /// The remote's name.
    pub name: &'static str,
    /// Calls settled (handled here, or made here), successes and errors.
    pub calls: u64,
    /// The errors among them.
    pub errors: ErrorCounts,
    /// Frame-body bytes received for this remote (requests, events, replies to calls made here).
    pub bytes_in: u64,
    /// Frame-body bytes queued for this remote (requests, events for each recipient, replies).
    pub bytes_out: u64,
    /// Frames received.
    pub frames_in: u64,
    /// Frames queued.
    pub frames_out: u64,
    /// Events fired, one per recipient whose queue took it.
    pub events_fired: u64,
    /// Events that reached this side's listeners.
    pub events_delivered: u64,
    /// Events dropped (on firing or on hearing).
    pub events_dropped: u64,
    /// The median call duration (within 12.5 %): from arrival to reply for a handled call, from sending to
    /// settling for one made here. Zero before any call.
    pub p50: Duration,
    /// The 99th percentile of the call duration.
    pub p99: Duration,
}

/// A server's figures, from [`Server::stats`](crate::Server::stats): per remote, and its players.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStats {
    /// Players connected now.
    pub players: usize,
    /// Every remote of the interface, in declaration order.
    pub remotes: Vec<RemoteStats>,
}

impl ServerStats {
    /// The figures of the remote called `name` (the first, for a name declared in both directions).
    pub fn remote(&self, name: &str) -> Option<&RemoteStats> {
        self.remotes.iter().find(|remote| remote.name == name)
    }
}

/// One player's figures, from [`Player::stats`](crate::Player::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayerStats {
    /// Bytes read from its connection (the transport's bytes, framing included).
    pub bytes_in: u64,
    /// Bytes written to its connection.
    pub bytes_out: u64,
    /// Its calls the server is handling now.
    pub calls_in_flight: usize,
    /// The server's calls to it awaiting a reply.
    pub pending_calls: usize,
    /// Its requests and events refused for their arguments.
    pub bad_requests: u64,
    /// Its requests and events refused by a limit.
    pub rate_limited: u64,
}
