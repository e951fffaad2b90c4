//! Settings shared by servers and clients, each with a documented default and a builder method.

use std::time::Duration;

/// Default length of an event's queue of held events (events that arrived before any listener connected): 64.
pub const DEFAULT_EVENT_QUEUE_LEN: usize = 64;

/// Default deadline of a call: 10 seconds (the seed documents' promise).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default maximum length of one frame: 1 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 1 << 20;
/// Default deadline of the connect handshake: 10 seconds.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of incoming calls one peer may have in flight at once: 256.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;
/// Default capacity of the in-process transport's pipe, per direction: 256 KiB.
pub const DEFAULT_MEMORY_PIPE_BYTES: usize = 256 << 10;
/// Default cap on one peer's outgoing queue, in frames: 4096.
pub const DEFAULT_MAX_QUEUED_FRAMES: usize = 4096;
/// Default cap on one peer's outgoing queue, in bytes: 4 MiB.
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 4 << 20;
/// Default time a peer's outgoing queue may stay full before the peer is disconnected: 5 seconds.
pub const DEFAULT_SLOW_PEER_GRACE: Duration = Duration::from_secs(5);
/// Default cap on the connections a server holds at once (handshakes included): 65,536.
pub const DEFAULT_MAX_CONNECTIONS: usize = 65_536;
/// Default interval between keepalive pings: 10 seconds.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(10);
/// Default time without any complete frame from the peer after which it is considered dead: 30 seconds.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on the handshake frame a client sends (`HELLO`: its token and interface table): 64 KiB.
pub const DEFAULT_MAX_HANDSHAKE_LEN: usize = 64 << 10;
/// Default number of events from one peer whose listeners may be running at once: 256.
pub const DEFAULT_MAX_EVENTS_IN_FLIGHT: usize = 256;
/// Default budget of payload bytes held by one peer's calls and events in progress: 4 MiB.
pub const DEFAULT_MAX_IN_FLIGHT_BYTES: usize = 4 << 20;
/// Default receive budget of one client, in frames per second (and burst): 10,000.
pub const DEFAULT_RECEIVE_FRAMES_PER_SECOND: f64 = 10_000.0;
/// Default receive budget of one client, in bytes per second (and burst): 1 MiB.
pub const DEFAULT_RECEIVE_BYTES_PER_SECOND: f64 = (1 << 20) as f64;
/// Default time a client may stay over its receive budget before it is disconnected: 10 seconds.
pub const DEFAULT_FLOOD_GRACE: Duration = Duration::from_secs(10);
/// Default number of rejections logged per connection before they are only counted: 10.
pub const DEFAULT_REJECTION_LOG_BURST: u32 = 10;
/// Default interval between summaries of the rejections a connection's log limiter counted: 10 seconds.
pub const DEFAULT_REJECTION_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Default interval at which a side's figures are handed to the `metrics` recorder: 1 second.
pub const DEFAULT_METRICS_INTERVAL: Duration = Duration::from_secs(1);

/// A peer's receive budget: how many frames and bytes per second its connection's reader takes from the transport
/// (token buckets whose burst is one second's worth). Over the budget the reader waits, so the peer's data waits
/// in the transport (the operating system's buffers), not in the server's memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReceiveRate {
    /// Frames per second, on average and at once.
    pub frames_per_second: f64,
    /// Bytes per second (framing included), on average and at once. A frame larger than a second's worth is
    /// still read: it leaves the budget in debt.
    pub bytes_per_second: f64,
}

impl Default for ReceiveRate {
    /// 10,000 frames and 1 MiB per second: far above what a game client sends, far below what floods the server.
    fn default() -> Self {
        ReceiveRate {
            frames_per_second: DEFAULT_RECEIVE_FRAMES_PER_SECOND,
            bytes_per_second: DEFAULT_RECEIVE_BYTES_PER_SECOND,
        }
    }
}

/// Settings of one side. Builders fill it; connections read it.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Deadline of an `invoke` without an explicit timeout.
    pub default_timeout: Duration,
    /// Largest frame accepted from the peer (checked on the length prefix, before allocating) or sent to it.
    pub max_frame_len: usize,
    /// Deadline of the handshake.
    pub handshake_timeout: Duration,
    /// Incoming calls a peer may have in flight at once; further ones are answered `Cancelled` at once.
    pub max_in_flight: usize,
    /// Events held per event while no listener is connected (the oldest is dropped past this).
    pub event_queue_len: usize,
    /// The level rejections are logged at.
    pub rejection_log_level: tracing::Level,
    /// Cap on the outgoing queue, in frames.
    pub max_queued_frames: usize,
    /// Cap on the outgoing queue, in bytes.
    pub max_queued_bytes: usize,
    /// How long the outgoing queue may stay full before the peer is disconnected.
    pub slow_peer_grace: Duration,
    /// Interval between keepalive pings.
    pub ping_interval: Duration,
    /// Time without any frame from the peer after which the connection is closed.
    pub idle_timeout: Duration,
    /// (Server) connections held at once, handshakes included.
    pub max_connections: usize,
    /// (Server) TCP connections held at once from one IP address.
    pub max_connections_per_address: Option<usize>,
    /// (Server) The largest `HELLO` accepted.
    pub max_handshake_len: usize,
    /// Events from the peer whose listeners may run at once; further ones are dropped.
    pub max_events_in_flight: usize,
    /// Payload bytes the peer's calls and events in progress may hold; further ones are refused.
    pub max_in_flight_bytes: usize,
    /// How fast the reader takes frames from the peer (`None`: as fast as they come).
    pub receive_rate: Option<ReceiveRate>,
    /// How long the peer may stay over its receive budget before it is disconnected.
    pub flood_grace: Duration,
    /// Rejections logged per connection before the log limiter only counts them.
    pub rejection_log_burst: u32,
    /// How often a connection's log limiter logs a summary of what it counted.
    pub rejection_log_interval: Duration,
    /// How often the figures go to the `metrics` recorder (zero: only on `flush_metrics` and drop).
    pub metrics_interval: Duration,
}

impl Config {
    /// A server's defaults: the client's, plus the receive budget.
    pub(crate) fn server() -> Config {
        Config { receive_rate: Some(ReceiveRate::default()), ..Config::default() }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_timeout: DEFAULT_TIMEOUT,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            event_queue_len: DEFAULT_EVENT_QUEUE_LEN,
            rejection_log_level: tracing::Level::WARN,
            max_queued_frames: DEFAULT_MAX_QUEUED_FRAMES,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
            slow_peer_grace: DEFAULT_SLOW_PEER_GRACE,
            ping_interval: DEFAULT_PING_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: None,
            max_handshake_len: DEFAULT_MAX_HANDSHAKE_LEN,
            max_events_in_flight: DEFAULT_MAX_EVENTS_IN_FLIGHT,
            max_in_flight_bytes: DEFAULT_MAX_IN_FLIGHT_BYTES,
            receive_rate: None,
            flood_grace: DEFAULT_FLOOD_GRACE,
            rejection_log_burst: DEFAULT_REJECTION_LOG_BURST,
            rejection_log_interval: DEFAULT_REJECTION_LOG_INTERVAL,
            metrics_interval: DEFAULT_METRICS_INTERVAL,
        }
    }
}

/// Milliseconds of a duration, saturated to the `u32` the wire carries (about 49 days).
pub(crate) fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

/// The setters both builders share (each builder has a `config: Config` field). `$peer` names the other side in
/// the docs; `$handshake` says what the handshake deadline covers.
macro_rules! shared_settings {
    (peer = $peer:literal, handshake = $handshake:literal) => {
        /// The deadline of `invoke` calls made without an explicit timeout (`invoke(..).timeout(..)` sets one per
        /// call). Default: 10 s.
        pub fn default_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.config.default_timeout = timeout;
            self
        }

        #[doc = concat!("The largest frame accepted from ", $peer, ", checked on the length prefix before anything ")]
        #[doc = concat!("is allocated; a larger one closes the connection. The limit is announced in the handshake, ")]
        /// so the other side never sends more. Default: 1 MiB.
        pub fn max_frame_len(mut self, bytes: usize) -> Self {
            self.config.max_frame_len = bytes.min(u32::MAX as usize);
            self
        }

        #[doc = concat!("How long ", $handshake, " may take. Default: 10 s.")]
        pub fn handshake_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.config.handshake_timeout = timeout;
            self
        }

        #[doc = concat!("How many calls ", $peer, " may have in flight here at once; more are answered `Cancelled` ")]
        /// at once. Default: 256.
        pub fn max_in_flight(mut self, calls: usize) -> Self {
            self.config.max_in_flight = calls;
            self
        }

        /// How many events are held, per event, while no listener is connected; they are delivered in order to the
        /// first listener that connects. When the queue is full the oldest is dropped with a warning. Default: 64.
        pub fn event_queue_len(mut self, events: usize) -> Self {
            self.config.event_queue_len = events;
            self
        }

        #[doc = concat!("The cap on the queue of frames waiting to be written to ", $peer, ": `frames` frames or ")]
        /// `bytes` bytes, whichever is reached first. Events fired at a peer whose queue is full are skipped (see
        /// `Fired`); a reply to one of its calls that does not fit disconnects it (every call gets exactly one reply);
        /// calls this side makes are not capped (each has a deadline). A queue that stays full for the slow-peer grace
        /// period gets the peer disconnected. Defaults: 4096 frames, 4 MiB.
        pub fn max_queued(mut self, frames: usize, bytes: usize) -> Self {
            self.config.max_queued_frames = frames.max(1);
            self.config.max_queued_bytes = bytes.max(1);
            self
        }

        #[doc = concat!("How long the outgoing queue to ", $peer, " may stay full before it is disconnected (its ")]
        /// pending calls settle `Disconnected`). Checked at each keepalive tick. Default: 5 s.
        pub fn slow_peer_grace(mut self, grace: std::time::Duration) -> Self {
            self.config.slow_peer_grace = grace;
            self
        }

        #[doc = concat!("Keepalive: a ping is sent to ", $peer, " every `ping_interval`, and the connection is ")]
        /// closed when no complete frame has arrived for `idle_timeout` (a live peer always answers pings, so a
        /// silent one is dead or stuck; bytes that never complete a frame do not count, so a peer that trickles a
        /// frame byte by byte is closed too). The interval is capped at a third of the timeout. Defaults: 10 s and
        /// 30 s.
        pub fn keepalive(mut self, ping_interval: std::time::Duration, idle_timeout: std::time::Duration) -> Self {
            self.config.idle_timeout = idle_timeout.max(std::time::Duration::from_millis(3));
            self.config.ping_interval =
                ping_interval.min(self.config.idle_timeout / 3).max(std::time::Duration::from_millis(1));
            self
        }

        /// The level at which rejections are logged: requests whose arguments do not decode or break a declared
        /// constraint, replies that do not decode, rate-limit and middleware refusals. Default: `WARN`.
        pub fn rejection_log_level(mut self, level: tracing::Level) -> Self {
            self.config.rejection_log_level = level;
            self
        }

        /// How many rejections (and other complaints about what a peer sends) are logged per connection before
        /// they are only counted, and how often a summary of the counted ones is logged. Whatever a peer sends, its
        /// connection's log output stays under `burst` lines plus one line per `interval`. Defaults: 10 lines, 10 s.
        pub fn rejection_log_limit(mut self, burst: u32, interval: std::time::Duration) -> Self {
            self.config.rejection_log_burst = burst;
            self.config.rejection_log_interval = interval.max(std::time::Duration::from_millis(1));
            self
        }

        #[doc = concat!("How many events from ", $peer, " may have listeners running at once (listeners that ")]
        /// await). Further events are dropped before decoding and counted in `rate_limited`, so a flood of events
        /// cannot pile up tasks. Events whose listeners finish without waiting are not counted. Default: 256.
        pub fn max_events_in_flight(mut self, events: usize) -> Self {
            self.config.max_events_in_flight = events.max(1);
            self
        }

        #[doc = concat!("The budget of payload bytes that calls and events from ", $peer, " may hold while they ")]
        /// are handled (what their decoded arguments are made from). A request that would exceed it is answered
        /// `Cancelled` at once and an event dropped, before decoding; one request is always admitted when nothing
        /// else is in progress. Default: 4 MiB.
        pub fn max_in_flight_bytes(mut self, bytes: usize) -> Self {
            self.config.max_in_flight_bytes = bytes.max(1);
            self
        }

        /// How often this side's counts and the durations of its successful calls are handed to the `metrics`
        /// recorder (see [`telemetry`](crate::telemetry)): a call only adds to figures of its own thread, and the
        /// recorder sees them at most this late. `flush_metrics` hands them over at once, and so does dropping
        /// the last handle. Zero hands them over only then. `stats()` is always up to date. Default: 1 s.
        pub fn metrics_interval(mut self, interval: std::time::Duration) -> Self {
            self.config.metrics_interval = interval;
            self
        }
    };
}

pub(crate) use shared_settings;
