//! The name, kind, unit and labels of every metric the runtime records (the table in `crate::telemetry`'s docs).

/// Calls started, by side: a request received (server) or sent (client or server invoking a client).
pub const CALLS_STARTED: &str = "remotes.calls.started";
/// Calls settled, with label `outcome` (`ok` or the `FunctionError` variant).
pub const CALLS_SETTLED: &str = "remotes.calls.settled";
/// Duration of calls this side handled, seconds (OpenTelemetry's `rpc.server.call.duration`).
pub const SERVER_CALL_DURATION: &str = "rpc.server.call.duration";
/// Duration of calls this side made, seconds (OpenTelemetry's `rpc.client.call.duration`).
pub const CLIENT_CALL_DURATION: &str = "rpc.client.call.duration";
/// Bytes received, by remote (requests, events, replies to this side's calls), frame bodies.
pub const BYTES_IN: &str = "remotes.bytes.in";
/// Bytes queued to send, by remote (requests, events, replies), frame bodies; an event fired at n players counts n.
pub const BYTES_OUT: &str = "remotes.bytes.out";
/// Frames received, by remote.
pub const FRAMES_IN: &str = "remotes.frames.in";
/// Frames queued to send, by remote.
pub const FRAMES_OUT: &str = "remotes.frames.out";
/// Events fired: one per recipient whose queue took it.
pub const EVENTS_FIRED: &str = "remotes.events.fired";
/// Events delivered to this side's listeners (one per event, however many listeners).
pub const EVENTS_DELIVERED: &str = "remotes.events.delivered";
/// Events dropped, with label `reason`.
pub const EVENTS_DROPPED: &str = "remotes.events.dropped";
/// Requests and events refused for their arguments (decoding or constraints).
pub const BAD_REQUESTS: &str = "remotes.bad_requests";
/// Requests and events refused by a rate limit, the calls- or events-in-flight limits or the bytes in flight.
pub const RATE_LIMITED: &str = "remotes.rate_limited";
/// Players connected to the server (gauge).
pub const PLAYERS: &str = "remotes.players";
/// Bytes a connection's writer took from its outgoing queue at once (histogram: the queue's depth when written).
pub const OUTGOING_QUEUE: &str = "remotes.outgoing.queued_bytes";
/// Handshakes that failed, with label `cause`.
pub const HANDSHAKE_FAILURES: &str = "remotes.handshake.failures";
/// Cluster bus messages published.
pub const BUS_PUBLISHED: &str = "remotes.cluster.published";
/// Cluster bus messages received from other nodes.
pub const BUS_RECEIVED: &str = "remotes.cluster.received";
/// Cluster bus messages not published (rate, queue, bus down).
pub const BUS_DROPPED: &str = "remotes.cluster.dropped";
/// Cluster bus messages dropped as malformed or not allowed.
pub const BUS_MALFORMED: &str = "remotes.cluster.malformed";

/// Tells the installed recorder each metric's unit and meaning (Prometheus's `HELP`, OpenTelemetry's
/// description), once per process: when the first server or client is made.
pub(crate) fn describe() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
        describe_counter!(CALLS_STARTED, Unit::Count, "Calls received (handled here) or sent (made here)");
        describe_counter!(CALLS_SETTLED, Unit::Count, "Calls settled, by outcome (ok or the FunctionError variant)");
        describe_histogram!(SERVER_CALL_DURATION, Unit::Seconds, "Duration of calls handled, arrival to reply");
        describe_histogram!(CLIENT_CALL_DURATION, Unit::Seconds, "Duration of calls made, sending to settling");
        describe_counter!(BYTES_IN, Unit::Bytes, "Frame-body bytes received, by remote");
        describe_counter!(BYTES_OUT, Unit::Bytes, "Frame-body bytes queued to send, by remote");
        describe_counter!(FRAMES_IN, Unit::Count, "Frames received, by remote");
        describe_counter!(FRAMES_OUT, Unit::Count, "Frames queued to send, by remote");
        describe_counter!(EVENTS_FIRED, Unit::Count, "Events queued, one per recipient");
        describe_counter!(EVENTS_DELIVERED, Unit::Count, "Events that reached this side's listeners");
        describe_counter!(EVENTS_DROPPED, Unit::Count, "Events dropped, by reason");
        describe_counter!(BAD_REQUESTS, Unit::Count, "Requests and events refused for their arguments");
        describe_counter!(RATE_LIMITED, Unit::Count, "Requests and events refused by a rate or in-flight limit");
        describe_gauge!(PLAYERS, Unit::Count, "Players connected to the server");
        describe_histogram!(OUTGOING_QUEUE, Unit::Bytes, "Bytes a connection's writer took from its queue at once");
        describe_counter!(HANDSHAKE_FAILURES, Unit::Count, "Handshakes that failed, by cause");
        describe_counter!(BUS_PUBLISHED, Unit::Count, "Cluster bus messages published");
        describe_counter!(BUS_RECEIVED, Unit::Count, "Cluster bus messages received from other nodes");
        describe_counter!(BUS_DROPPED, Unit::Count, "Cluster bus messages not published");
        describe_counter!(BUS_MALFORMED, Unit::Count, "Cluster bus messages dropped as malformed or not allowed");
    });
}
