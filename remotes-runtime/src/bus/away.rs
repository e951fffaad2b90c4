//! A node as the way to players of other nodes: what a `Player` of another node does when an event is fired at
//! it, a function invoked on it, or it is disconnected.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::directory::node_of;
use super::envelope::Body;
use super::node::{Node, lock};
use crate::FunctionError;
use crate::config::millis;
use crate::player::{Away, AwaySent};

impl Away for Node {
    fn is_connected(&self, player: u64) -> bool {
        self.directory().player(player).is_some()
    }

    fn call(&self, player: u64, remote: u32, args: Bytes, timeout: Duration) -> Result<AwaySent, FunctionError> {
        let node = node_of(player);
        if !self.bus_up.load(Ordering::Acquire) || self.directory().player(player).is_none() {
            return Err(FunctionError::Disconnected);
        }
        let Some((call, reply)) = lock(&self.outbound).insert(node, self.settings.max_calls_out) else {
            tracing::warn!(node = self.id, max = self.settings.max_calls_out, "too many calls to other nodes");
            return Err(FunctionError::Cancelled);
        };
        let deadline = Instant::now() + timeout;
        let body = Body::Call { call, player, remote, timeout_ms: millis(timeout) };
        if !self.send(self.subject_of(node), self.message(body, &args), true) {
            lock(&self.outbound).remove(call);
            return Err(FunctionError::Cancelled);
        }
        Ok(AwaySent { reply, call, deadline })
    }

    fn cancel(&self, call: u64) {
        let removed = lock(&self.outbound).remove(call);
        if let Some((node, _)) = removed {
            self.send(self.subject_of(node), self.message(Body::Cancel { call }, &[]), false);
        }
    }

    fn forget(&self, call: u64) {
        let _ = lock(&self.outbound).remove(call);
    }

    fn disconnect(&self, player: u64) {
        let subject = self.subject_of(node_of(player));
        self.send(subject, self.message(Body::Kick { player }, &[]), true);
    }
}
