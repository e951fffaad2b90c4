//! Settings shared by servers and clients, each with a documented default and a builder method.

use std::time::Duration;

pub use crate::listeners::DEFAULT_EVENT_QUEUE_LEN;

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
/// Default time without any frame from the peer after which it is considered dead: 30 seconds.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

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
        /// The deadline of `invoke` calls made without an explicit timeout (`invoke_with_timeout` sets one per
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
        /// closed when nothing at all has arrived for `idle_timeout` (a live peer always answers pings, so a silent
        /// one is dead or stuck). The interval is capped at a third of the timeout. Defaults: 10 s and 30 s.
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
    };
}

pub(crate) use shared_settings;
