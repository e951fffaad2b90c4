//! The cluster's settings: timings and limits, each with a documented default.

use std::time::Duration;

use crate::rate_limit::RateLimit;

/// How a node takes part in its cluster. Every setting has a default fit for a game cluster on one network;
/// tests shorten the timings.
///
/// ```
/// use remotes_runtime::cluster::ClusterSettings;
/// use std::time::Duration;
///
/// let settings = ClusterSettings::default().heartbeat(Duration::from_millis(200), Duration::from_millis(600));
/// assert_eq!(settings.node_timeout_value(), Duration::from_millis(600));
/// ```
#[derive(Debug, Clone)]
pub struct ClusterSettings {
    pub(crate) heartbeat: Duration,
    pub(crate) node_timeout: Duration,
    pub(crate) batch_interval: Duration,
    pub(crate) publish_rate: RateLimit,
    pub(crate) publish_queue: usize,
    pub(crate) max_calls_out: usize,
    pub(crate) max_calls_in: usize,
    pub(crate) max_remote_members: usize,
    pub(crate) node_id: Option<u32>,
}

impl Default for ClusterSettings {
    fn default() -> Self {
        ClusterSettings {
            heartbeat: Duration::from_secs(1),
            node_timeout: Duration::from_secs(3),
            batch_interval: Duration::from_millis(20),
            publish_rate: RateLimit::per_second(50_000.0).burst(5_000),
            publish_queue: 8_192,
            max_calls_out: 65_536,
            max_calls_in: 16_384,
            max_remote_members: 1_000_000,
            node_id: None,
        }
    }
}

impl ClusterSettings {
    /// How often this node says it is alive, and how long a node may stay silent before the others count it
    /// gone (default 1 s and 3 s). A node that died is noticed within `node_timeout` plus half a heartbeat:
    /// its players leave every room and every call waiting on it settles `Disconnected`. `node_timeout` is at
    /// least two heartbeats.
    pub fn heartbeat(mut self, interval: Duration, node_timeout: Duration) -> Self {
        self.heartbeat = interval.max(Duration::from_millis(1));
        self.node_timeout = node_timeout.max(self.heartbeat * 2);
        self
    }

    /// How long membership changes (players joining and leaving, rooms) are gathered before they are published
    /// as one batch (default 20 ms): what other nodes' views lag behind, and what bounds the membership messages
    /// a node publishes, whatever its players do.
    pub fn batch_interval(mut self, interval: Duration) -> Self {
        self.batch_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The most events and calls this node publishes (default 50,000 a second, bursts of 5,000). Beyond it an
    /// event is not published (counted in [`ClusterHealth::dropped`](super::ClusterHealth::dropped)) and a call to
    /// another node settles `Cancelled`. Heartbeats, membership batches, snapshots and replies are not counted.
    pub fn publish_rate(mut self, limit: RateLimit) -> Self {
        self.publish_rate = limit;
        self
    }

    /// Messages waiting to be published (default 8,192). A message that finds it full is dropped and counted, as
    /// one over the rate.
    pub fn publish_queue(mut self, messages: usize) -> Self {
        self.publish_queue = messages.max(1);
        self
    }

    /// Calls to players of other nodes awaiting their reply (default 65,536); more settle `Cancelled`.
    pub fn max_calls_out(mut self, calls: usize) -> Self {
        self.max_calls_out = calls;
        self
    }

    /// Calls from other nodes this node runs on its players at once (default 16,384); more are answered
    /// `Cancelled`.
    pub fn max_calls_in(mut self, calls: usize) -> Self {
        self.max_calls_in = calls;
        self
    }

    /// The players plus room memberships one other node may make this node hold (default 1,000,000); beyond,
    /// its changes are dropped and counted as malformed.
    pub fn max_remote_members(mut self, members: usize) -> Self {
        self.max_remote_members = members;
        self
    }

    /// This node's id in the cluster, the high 32 bits of its players' ids (default: random). Give each node its
    /// own to make ids unique by construction; a random id collides with another node's with probability about
    /// n²/2³³ for n nodes, and a collision is logged as an error and counted.
    pub fn node_id(mut self, id: u32) -> Self {
        self.node_id = Some(id);
        self
    }

    /// The heartbeat interval.
    pub fn heartbeat_value(&self) -> Duration {
        self.heartbeat
    }

    /// How long a node may be silent before it counts as gone.
    pub fn node_timeout_value(&self) -> Duration {
        self.node_timeout
    }
}
