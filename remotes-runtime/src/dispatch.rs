//! Dispatch: what the reader does with each frame that arrives. Requests are checked (remote known, callback set,
//! arguments decode, in-flight limit) and handed to a task; replies settle the pending-call table; cancellations
//! abort handlers. Nothing a peer sends can panic here or affect another connection. A frame that would break the
//! one-reply-per-request accounting is a [`Desync`]: the reader closes the connection on it.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::FunctionError;
use crate::binding::Binding;
use crate::interface::RemoteKind;
use crate::link::Link;
use crate::log_limit::log_at;
use crate::player::Player;
use crate::rate_limit::Buckets;
use crate::slots::Desync;
use crate::telemetry::{CallStart, Dropped, Outcome, enter};
use crate::wire::message::{Message, kind};
use crate::work::Refused;

/// The reader's dispatch state for one connection.
pub(crate) struct Dispatcher {
    link: Arc<Link>,
    /// How the peer's remote ids map to this side's remotes (and so to its endpoint), fixed at connect.
    binding: Binding,
    /// The calling player, on the server; `None` on a client.
    player: Option<Player>,
    /// The peer's token buckets: the global one and one per remote that has a limit. Only the reader takes tokens.
    buckets: Buckets,
    /// The id the peer's next request has: requests are numbered in the order they arrive.
    next_request: u32,
}

impl crate::connection::Dispatch for Dispatcher {
    fn dispatch(&mut self, body: Bytes) -> Result<(), Desync> {
        self.on_frame(body)
    }
}

impl Dispatcher {
    pub(crate) fn new(link: Arc<Link>, binding: Binding, player: Option<Player>) -> Dispatcher {
        Dispatcher { link, binding, player, buckets: Buckets::default(), next_request: 0 }
    }

    /// Handles one frame body. `Err` when the frame breaks the reply accounting (a reply that does not parse, or
    /// names no outstanding call): the caller closes the connection.
    fn on_frame(&mut self, body: Bytes) -> Result<(), Desync> {
        // Every frame of a request kind consumes an id, even one that turns out malformed, so both sides agree on
        // the numbering.
        let request_id = matches!(body[0], kind::REQUEST | kind::REQUEST_TIMED).then(|| {
            let id = self.next_request;
            self.next_request = id.wrapping_add(1);
            // Every request gets exactly one reply, which names it by its place among the unanswered ones.
            self.link.received_request(id);
            id
        });
        let body_kind = body[0];
        let body_len = body.len();
        let message = match Message::parse(body) {
            Ok(message) => message,
            // A reply answered one of this side's calls, but which one is unknown: every later reply could land on
            // the wrong call.
            Err(error) if matches!(body_kind, kind::REPLY_OK | kind::REPLY_ERR) => {
                return Err(Desync::MalformedReply(error));
            }
            Err(error) => {
                if self.link.may_log() {
                    tracing::warn!(peer = %self.link.peer, %error, "dropped a malformed frame");
                }
                if let Some(id) = request_id {
                    self.link.reply(id, Err(FunctionError::BadRequest));
                }
                return Ok(());
            }
        };
        match message {
            Message::Request { remote, timeout_ms, args } => {
                let id = request_id.expect("request kinds number their frames");
                let timeout =
                    timeout_ms.map_or(self.link.peer_default_timeout(), |ms| Duration::from_millis(ms.into()));
                self.on_request(id, remote, timeout, &args, body_len);
            }
            Message::ReplyOk { slot, value } => return self.link.on_reply(slot, Ok(value)),
            // An unknown code still answers its call: the slot is consumed, the call settles `Unprocessed`.
            Message::ReplyErr { slot, code } => {
                return self.link.on_reply(slot, Err(FunctionError::from_wire_code(code)));
            }
            Message::Cancel { call } => self.link.cancel_handler(call),
            Message::Event { remote, args } => self.on_event(remote, args, body_len),
            Message::Ping => self.link.send_pong(),
            // Any frame counts as a sign of life; the reader noted it.
            Message::Pong => {}
            Message::Hello(_) | Message::Welcome(_) | Message::Reject(_) => {
                if self.link.may_log() {
                    tracing::warn!(peer = %self.link.peer, "handshake message after the handshake; dropped");
                }
            }
        }
        Ok(())
    }

    /// Counts and logs a call or event the peer's work budget refused (`outcome`: what became of it).
    fn refused(&self, refused: Refused, remote: &str, outcome: &str) {
        let link = &self.link;
        link.count_rate_limited();
        if link.may_log() {
            log_at!(
                self.binding.endpoint.boundary.log_level,
                peer = %link.peer,
                remote,
                events_in_flight = link.work.events(),
                bytes_in_flight = link.work.bytes(),
                "{refused}; {outcome}"
            );
        }
    }

    /// Delivers an event that arrived from the peer to this side's listeners, within the peer's work budget and
    /// rate limits.
    fn on_event(&mut self, remote: u32, args: Bytes, len: usize) {
        let local = self.binding.handled(remote, RemoteKind::Event);
        // Borrowed, not cloned: a reference count shared by every connection would be written at every frame.
        let figures = local.map(|local| self.binding.endpoint.telemetry().remote(local));
        figures.inspect(|f| f.frame_in(len));
        let limited = || {
            figures.inspect(|f| {
                f.rate_limited();
                f.event_dropped(Dropped::RateLimited);
            });
        };
        let ticket = match self.link.work.admit_event(args.len()) {
            Ok(ticket) => ticket,
            Err(refused) => {
                limited();
                return self.refused(refused, &self.binding.label(remote), "event dropped without decoding");
            }
        };
        let admitted = local.map(|local| (local, admit_rate(&mut self.buckets, &self.binding, &self.link, local)));
        let (link, binding) = (&self.link, &self.binding);
        match admitted {
            Some((local, false)) => {
                limited();
                if link.may_log() {
                    log_at!(
                        binding.endpoint.boundary.log_level,
                        peer = %link.peer,
                        event = binding.endpoint.remote_name(local),
                        "over the rate limit; event dropped without decoding"
                    );
                }
            }
            Some((local, true)) => {
                binding.endpoint.listeners.deliver(local, self.player.as_ref(), args, Some(Arc::new(ticket)))
            }
            None => {
                if link.may_log() {
                    tracing::warn!(
                        peer = %link.peer,
                        remote = %binding.label(remote),
                        "event for a remote this side does not hear (unknown id, or declared differently); dropped"
                    );
                }
            }
        }
    }

    fn on_request(&mut self, id: u32, remote: u32, timeout: Duration, args: &[u8], len: usize) {
        let Some(local) = self.binding.handled(remote, RemoteKind::Function) else {
            let link = &self.link;
            if link.may_log() {
                tracing::warn!(
                    peer = %link.peer,
                    remote = %self.binding.label(remote),
                    "request for a remote this side does not handle (unknown id, or declared differently); BadRequest"
                );
            }
            link.reply(id, Err(FunctionError::BadRequest));
            return;
        };
        // Borrowed, not cloned: a reference count shared by every connection would be written at every call.
        let figures = self.binding.endpoint.telemetry().remote(local);
        let started = figures.handled_call_started(len);
        let refuse = |link: &Link, error: FunctionError| {
            link.reply(id, Err(error));
            figures.call_refused(Outcome::error(error));
        };
        let name = self.binding.endpoint.remote_name(local);
        let Some(handler) = self.binding.endpoint.handler(local) else {
            tracing::debug!(peer = %self.link.peer, remote = name, "no callback set; Unprocessed");
            return refuse(&self.link, FunctionError::Unprocessed);
        };
        if self.link.at_in_flight_limit() {
            let link = &self.link;
            link.count_rate_limited();
            figures.rate_limited();
            if link.may_log() {
                tracing::warn!(peer = %link.peer, remote = name, in_flight = link.in_flight(), "too many calls in flight; Cancelled");
            }
            return refuse(link, FunctionError::Cancelled);
        }
        let rate_admitted = admit_rate(&mut self.buckets, &self.binding, &self.link, local);
        let (link, endpoint) = (&self.link, &self.binding.endpoint);
        if !rate_admitted {
            figures.rate_limited();
            if link.may_log() {
                log_at!(endpoint.boundary.log_level, peer = %link.peer, remote = name, "over the rate limit; Cancelled without decoding");
            }
            return refuse(link, FunctionError::Cancelled);
        }
        let ticket = match link.work.admit_call(args.len()) {
            Ok(ticket) => ticket,
            Err(refused) => {
                figures.rate_limited();
                self.refused(refused, name, "Cancelled without decoding");
                return refuse(&self.link, FunctionError::Cancelled);
            }
        };
        let span = figures.server_span(self.player.as_ref().map(Player::id));
        // Decoding failures and broken constraints are reported by the remote's pipeline.
        let called = {
            let _in_span = enter(span.as_ref());
            handler.call(self.player.as_ref(), args)
        };
        match called {
            Ok(reply) => link.start_handler(id, timeout, reply, ticket, CallStart { remote: local, started, span }),
            Err(error) => {
                let start = CallStart { remote: local, started, span };
                figures.handled_call_settled(&start, Outcome::error(error), link.reply(id, Err(error)));
            }
        }
    }
}

/// Whether the peer may send one more request or event to remote `local` now: takes a token from the global
/// bucket and from the remote's own, where limits are set. A refusal is counted. A function of the dispatcher's
/// fields it needs, so that its callers may hold a borrow of the others.
fn admit_rate(buckets: &mut Buckets, binding: &Binding, link: &Link, local: usize) -> bool {
    let endpoint = &binding.endpoint;
    if !endpoint.boundary.any_rate_limit.load(std::sync::atomic::Ordering::Acquire) {
        return true;
    }
    let admitted = buckets.admit(local, endpoint.boundary.rate_limit(), endpoint.rate_limit(local));
    if !admitted {
        link.count_rate_limited();
    }
    admitted
}
