//! An in-process bus: every node of a test or a single-process cluster on one hub, with no network. Delivery is
//! what NATS core promises (at most once, in order per publisher per subject), and each connection can be cut
//! and restored, to test what a node does when its bus is unreachable.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{mpsc, watch};

use super::adapter::{Adapter, BusError, BusFuture, BusMessages, BusStatus};

/// Messages a subscription holds before the hub drops more (NATS's slow-consumer behaviour).
const SUBSCRIPTION_QUEUE: usize = 8192;

/// The largest message it carries: NATS's default `max_payload`.
const MAX_PAYLOAD: usize = 1 << 20;

/// An in-process message bus: make one hub, then one [`MemoryConnection`] per node with
/// [`connect`](MemoryBus::connect).
///
/// ```
/// use remotes_runtime::cluster::MemoryBus;
///
/// let bus = MemoryBus::new();
/// let (first, second) = (bus.connect(), bus.connect());
/// second.set_connected(false); // as if this node lost its bus
/// # drop(first);
/// ```
#[derive(Clone, Default)]
pub struct MemoryBus {
    hub: Arc<Hub>,
}

#[derive(Default)]
struct Hub {
    subjects: Mutex<HashMap<String, Vec<Subscriber>>>,
}

struct Subscriber {
    tx: mpsc::Sender<Bytes>,
    up: Arc<AtomicBool>,
}

impl MemoryBus {
    /// A new, empty hub.
    pub fn new() -> MemoryBus {
        MemoryBus::default()
    }

    /// A connection to this hub, for one node.
    pub fn connect(&self) -> MemoryConnection {
        MemoryConnection {
            hub: Arc::clone(&self.hub),
            up: Arc::new(AtomicBool::new(true)),
            status: Arc::new(watch::Sender::new(BusStatus::Connected)),
        }
    }
}

impl std::fmt::Debug for MemoryBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subjects = self.hub.subjects.lock().unwrap_or_else(|p| p.into_inner()).len();
        f.debug_struct("MemoryBus").field("subjects", &subjects).finish()
    }
}

/// One node's connection to a [`MemoryBus`]: the [`Adapter`] to give
/// [`ServerBuilder::cluster`](crate::ServerBuilder::cluster).
#[derive(Clone)]
pub struct MemoryConnection {
    hub: Arc<Hub>,
    up: Arc<AtomicBool>,
    status: Arc<watch::Sender<BusStatus>>,
}

impl MemoryConnection {
    /// Cuts (`false`) or restores (`true`) this connection: while cut, publishing fails and nothing is delivered
    /// to its subscriptions (messages published meanwhile are lost, as on a real bus).
    pub fn set_connected(&self, connected: bool) {
        self.up.store(connected, Ordering::Release);
        let status = if connected { BusStatus::Connected } else { BusStatus::Disconnected };
        self.status.send_replace(status);
    }
}

impl std::fmt::Debug for MemoryConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryConnection").field("connected", &self.up.load(Ordering::Acquire)).finish()
    }
}

impl Adapter for MemoryConnection {
    fn subscribe(&self, subject: String) -> BusFuture<'static, BusMessages> {
        let (tx, rx) = mpsc::channel(SUBSCRIPTION_QUEUE);
        let subscriber = Subscriber { tx, up: Arc::clone(&self.up) };
        self.hub.subjects.lock().unwrap_or_else(|p| p.into_inner()).entry(subject).or_default().push(subscriber);
        let messages = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
        Box::pin(async move { Ok(Box::pin(messages) as BusMessages) })
    }

    fn publish(&self, subject: String, payload: Bytes) -> BusFuture<'_, ()> {
        let outcome = if !self.up.load(Ordering::Acquire) {
            Err(BusError::Disconnected)
        } else if payload.len() > MAX_PAYLOAD {
            Err(BusError::TooLarge { len: payload.len(), max: MAX_PAYLOAD })
        } else {
            let mut subjects = self.hub.subjects.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(subscribers) = subjects.get_mut(&subject) {
                subscribers.retain(|subscriber| !subscriber.tx.is_closed());
                for subscriber in subscribers.iter().filter(|s| s.up.load(Ordering::Acquire)) {
                    // A full subscription loses the message, as a slow NATS consumer does.
                    let _ = subscriber.tx.try_send(payload.clone());
                }
            }
            Ok(())
        };
        Box::pin(async move { outcome })
    }

    fn status(&self) -> watch::Receiver<BusStatus> {
        self.status.subscribe()
    }

    fn max_payload(&self) -> usize {
        MAX_PAYLOAD
    }
}
