//! A node's two periodic tasks: the publisher (one bounded queue, so the bus sees this node's messages in order)
//! and the ticker (membership batches, heartbeats, silent nodes, the bus's status).

use std::sync::{Arc, Weak};

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::adapter::{Adapter, BusStatus};
use super::health::Counters;
use super::node::Node;
use crate::telemetry::names;

/// The publisher: sends queued messages one at a time, in order.
pub(crate) async fn publish(adapter: Arc<dyn Adapter>, node: Weak<Node>, mut queue: mpsc::Receiver<(String, Bytes)>) {
    while let Some((subject, message)) = queue.recv().await {
        let outcome = adapter.publish(subject, message).await;
        let Some(node) = node.upgrade() else { return };
        match outcome {
            Ok(()) => Counters::count_as(&node.counters.published, names::BUS_PUBLISHED),
            Err(error) => {
                Counters::count_as(&node.counters.dropped, names::BUS_DROPPED);
                if node.log.admit("cluster") {
                    tracing::warn!(node = node.id, %error, "cluster message not published");
                }
            }
        }
    }
}

/// The ticker: membership batches every `batch_interval`, a heartbeat every `heartbeat`, silent nodes dropped,
/// and the bus's status followed.
pub(crate) async fn tick(node: Weak<Node>, mut status: tokio::sync::watch::Receiver<BusStatus>) {
    let (batch, heartbeat) = match node.upgrade() {
        Some(node) => (node.settings.batch_interval, node.settings.heartbeat),
        None => return,
    };
    let mut batches = tokio::time::interval(batch);
    batches.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next_heartbeat = Instant::now();
    let mut watching = true;
    loop {
        tokio::select! {
            _ = batches.tick() => {}
            changed = status.changed(), if watching => {
                if changed.is_err() {
                    // The adapter dropped its status: it no longer changes.
                    watching = false;
                    continue;
                }
                let now = *status.borrow_and_update();
                let Some(node) = node.upgrade() else { return };
                node.set_bus(now);
                continue;
            }
        }
        let Some(node) = node.upgrade() else { return };
        node.flush_batch();
        let now = Instant::now();
        if now >= next_heartbeat {
            node.heartbeat();
            next_heartbeat = now + heartbeat;
        }
        node.check_silent(now);
    }
}
