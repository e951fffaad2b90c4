//! A node's health: its bus, the nodes it sees, and the counters of what it dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::adapter::BusStatus;

/// A snapshot of a node's view of its cluster, from [`Cluster::health`](crate::cluster::Cluster::health).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterHealth {
    /// This node's id.
    pub node: u32,
    /// Whether the bus is reachable. While it is not, the node serves its own players as usual; other nodes'
    /// players are unreachable, and calls to them settle `Disconnected`.
    pub bus: BusStatus,
    /// The other nodes it hears from.
    pub nodes: Vec<NodeInfo>,
    /// Messages published.
    pub published: u64,
    /// Messages received from other nodes (its own echoes not counted).
    pub received: u64,
    /// Events and calls not published: over the publish rate, the publish queue full, or the bus down.
    pub dropped: u64,
    /// Messages from the bus that were dropped: malformed, of another interface or format version, naming
    /// remotes or frames they may not, or over `max_remote_members`.
    pub malformed: u64,
    /// Heartbeats from another process using this node's id (see [`ClusterSettings::node_id`](super::ClusterSettings::node_id)).
    pub id_collisions: u64,
}

/// One other node, as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// Its id.
    pub id: u32,
    /// Its players, as last heard.
    pub players: usize,
    /// Time since its last message.
    pub silent_for: Duration,
    /// `false` while this node waits for its snapshot (its membership is then not listed).
    pub synced: bool,
}

/// The counters behind [`ClusterHealth`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) received: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) id_collisions: AtomicU64,
}

impl Counters {
    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts in `counter` and in the `metrics` counter `name`.
    pub(crate) fn count_as(counter: &AtomicU64, name: &'static str) {
        Counters::count(counter);
        metrics::counter!(name).increment(1);
    }

    pub(crate) fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
