//! Seeing inside a running server: tracing spans per call, metrics through the `metrics` facade, and a snapshot
//! of per-remote figures ([`Server::stats`](crate::Server::stats), [`Player::stats`](crate::Player::stats)).
//!
//! # Spans
//!
//! Every call gets a span on each side, at level `INFO`, target `remotes`, named `rpc`, with the attributes of
//! OpenTelemetry's RPC conventions, so that `tracing-opentelemetry` exports it as an RPC span with no code of
//! yours: `otel.name` (`net/buy_item`: the interface's module, then the remote), `otel.kind` (`server` on the side
//! that handles it, `client` on the side that calls), `rpc.system.name` and `rpc.system` (`remotes`),
//! `rpc.service` (`net`), `rpc.method` (`buy_item`), `remotes.player` (the player's id, on the server),
//! `server.address` (the server's listener, or the address the client dialled), and, once
//! the call settles unsuccessfully, `error.type` (the [`FunctionError`](crate::FunctionError) variant, such as
//! `Timeout`) with `otel.status_code = "ERROR"`. The server's span covers the callback: what it logs nests in it.
//!
//! Events get a lighter span: level `DEBUG`, named `event`, with `otel.name`, `otel.kind = "consumer"`,
//! `rpc.system.name`, `rpc.method` and `remotes.player`, around the listeners of each event heard. They are one-way
//! (no outcome to record) and can be many times more frequent than calls (a broadcast reaches every player), so
//! they stay out of an `INFO` trace and cost nothing unless asked for.
//!
//! With no subscriber (or one that filters these out), a span costs one check of a cached flag.
//!
//! # Metrics
//!
//! Recorded through the `metrics` facade, for whatever recorder the program installs (Prometheus, OpenTelemetry,
//! StatsD...); the runtime depends on no exporter. Install the (global) recorder before making servers and
//! clients. Every metric carries `rpc.service` (the interface's module name) and `side` (`server` or `client`);
//! per-remote ones carry `rpc.method` too.
//!
//! A call, an event or a frame only adds to figures kept by the thread it runs on; they are handed to the recorder
//! every [`metrics_interval`](crate::ServerBuilder::metrics_interval) (1 s by default), on
//! [`Server::flush_metrics`](crate::Server::flush_metrics) and [`Client::flush_metrics`](crate::Client::flush_metrics),
//! and when the server or client is dropped, as increments of what was counted since the last time. So a recorder
//! sees the counters at most one interval late, and a call costs no recorder call (and, with a recorder, no shared
//! atomic) on its way. The durations of successful calls go over as samples at the middle of their bucket in a
//! log-linear histogram (eight buckets per power of two from about 1 µs: within 6.25 % of the true duration); those of
//! calls that fail, and the `dropped`, `bad_requests` and `rate_limited` counters, are recorded as they happen.
//! Each remote's handles are registered at its first hand-over: a remote never used has none.
//!
//! | name | kind | unit | labels | what |
//! |---|---|---|---|---|
//! | `remotes.calls.started` | counter | calls | `rpc.method` | calls received (handled here) or sent (made here) |
//! | `remotes.calls.settled` | counter | calls | `rpc.method`, `role`, `outcome` | calls settled, `outcome` = `ok` or the `FunctionError` variant; `role` = `handled` or `made` |
//! | `rpc.server.call.duration` | histogram | s | `rpc.method`, `outcome` | from a request's arrival to its reply being queued |
//! | `rpc.client.call.duration` | histogram | s | `rpc.method`, `outcome` | from a call's sending to its settling |
//! | `remotes.bytes.in` | counter | bytes | `rpc.method` | frame bodies received: requests, events, replies |
//! | `remotes.bytes.out` | counter | bytes | `rpc.method` | frame bodies queued: requests, events (each recipient), replies |
//! | `remotes.frames.in`, `remotes.frames.out` | counter | frames | `rpc.method` | the same, in frames |
//! | `remotes.events.fired` | counter | events | `rpc.method` | an event queued for one recipient |
//! | `remotes.events.delivered` | counter | events | `rpc.method` | an event that reached this side's listeners |
//! | `remotes.events.dropped` | counter | events | `rpc.method`, `reason` | `queue_full`, `not_connected`, `too_large` (firing), `no_listener` (held events overflowed), `rate_limited`, `bad_request` (hearing) |
//! | `remotes.bad_requests` | counter | requests | `rpc.method` | requests and events refused for their arguments |
//! | `remotes.rate_limited` | counter | requests | `rpc.method` | requests and events refused by a rate limit or an in-flight limit |
//! | `remotes.players` | gauge | players | | players connected to the server |
//! | `remotes.outgoing.queued_bytes` | histogram | bytes | | what a connection's writer took from its queue at once: the queue's depth when written |
//! | `remotes.handshake.failures` | counter | handshakes | `cause` | `timeout`, `rejected` (authentication), `mismatch`, `malformed`, `shutdown`, `io` |
//! | `remotes.cluster.published`, `.received`, `.dropped`, `.malformed` | counter | messages | | the cluster bus ([`crate::cluster`]) |
//!
//! The names are constants in [`names`].

mod clock;
mod histogram;
pub mod names;
mod publish;
mod shards;
mod stats;

pub(crate) use histogram::Histogram;
pub(crate) use stats::{CallStart, Dropped, Outcome, Telemetry, enter};
pub use stats::{ErrorCounts, PlayerStats, RemoteStats, ServerStats};
