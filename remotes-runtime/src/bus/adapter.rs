//! The adapter: what the cluster needs from a message bus, and nothing more (publish, subscribe, its status).
//!
//! NATS core implements it (`Nats`, feature `nats`), and so does the in-process `MemoryBus`. A Redis sharded
//! pub/sub adapter (`SPUBLISH`/`SSUBSCRIBE`, one subject per channel) would implement the same four methods: the
//! cluster builds its calls, heartbeats and membership on plain subjects, not on any bus's request/reply or
//! persistence.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::watch;

/// A future an [`Adapter`] returns.
pub type BusFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, BusError>> + Send + 'a>>;

/// The messages of one subscription, in the order the bus delivers them. It ends when the bus is closed for good.
pub type BusMessages = Pin<Box<dyn Stream<Item = Bytes> + Send>>;

/// Whether a node's connection to the bus is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BusStatus {
    /// Messages are published and delivered.
    Connected,
    /// The bus is unreachable: publishing fails, nothing is delivered. The adapter reconnects by itself.
    Disconnected,
}

/// Why the bus did not take a message or a subscription.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// The bus is unreachable right now (the adapter is reconnecting).
    #[error("the cluster bus is unreachable")]
    Disconnected,
    /// The message is larger than the bus accepts.
    #[error("a cluster message of {len} bytes exceeds the bus's maximum of {max}")]
    TooLarge {
        /// The message's length.
        len: usize,
        /// The largest message the bus accepts.
        max: usize,
    },
    /// A cluster name that cannot be part of a subject (empty, or with `.`, `*`, `>` or whitespace).
    #[error("`{0}` cannot name a cluster: use letters, digits, `-` and `_`")]
    InvalidName(String),
    /// The bus refused the operation (its message says why).
    #[error("the cluster bus failed: {0}")]
    Failed(String),
}

/// A message bus the nodes of a cluster share: subject-based publish and subscribe, at most once, in order per
/// publisher per subject. Implement it to run a cluster over another bus; the server does not change.
///
/// The cluster uses two subjects per node and one for all: `remotes.<cluster>.all` and
/// `remotes.<cluster>.node.<id>` (see PROTOCOL.md, "Cluster bus").
pub trait Adapter: Send + Sync + 'static {
    /// Subscribes to `subject`: every message published to it from when the subscription is made (when this is
    /// called, or when the future is first polled) until the stream is dropped. A subscription survives
    /// reconnections. The future owns what it needs: a node calls this as it joins and polls it in its task.
    fn subscribe(&self, subject: String) -> BusFuture<'static, BusMessages>;

    /// Publishes `payload` to `subject`: delivered at most once to each subscriber; no retry.
    fn publish(&self, subject: String, payload: Bytes) -> BusFuture<'_, ()>;

    /// The connection's status, as it changes.
    fn status(&self) -> watch::Receiver<BusStatus>;

    /// The largest payload the bus carries, in bytes.
    fn max_payload(&self) -> usize;
}
