//! Calls across the cluster: the calls this node made to other nodes' players (awaiting a `Reply`), and the
//! calls other nodes made to this node's players (running here, until they settle or are cancelled).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::FunctionError;
use crate::link::{Link, Sent};
use crate::pending::Settlement;

/// This node's calls to players of other nodes, by call id.
#[derive(Default)]
pub(crate) struct Outbound {
    next: u64,
    calls: HashMap<u64, (u32, oneshot::Sender<Settlement>)>,
}

impl Outbound {
    /// Lists a call to node `node`; `None` when `max` calls already wait.
    pub(crate) fn insert(&mut self, node: u32, max: usize) -> Option<(u64, oneshot::Receiver<Settlement>)> {
        if self.calls.len() >= max {
            return None;
        }
        self.next += 1;
        let (tx, rx) = oneshot::channel();
        self.calls.insert(self.next, (node, tx));
        Some((self.next, rx))
    }

    /// Removes call `call`; whoever removes an entry settles it.
    pub(crate) fn remove(&mut self, call: u64) -> Option<(u32, oneshot::Sender<Settlement>)> {
        self.calls.remove(&call)
    }

    /// Puts back an entry removed by mistake (an answer from the wrong node).
    pub(crate) fn restore(&mut self, call: u64, node: u32, settle: oneshot::Sender<Settlement>) {
        self.calls.insert(call, (node, settle));
    }

    /// Removes every call to node `node` (or to every node).
    pub(crate) fn take_node(&mut self, node: Option<u32>) -> Vec<oneshot::Sender<Settlement>> {
        let ids: Vec<u64> =
            self.calls.iter().filter(|(_, (to, _))| node.is_none_or(|node| *to == node)).map(|(id, _)| *id).collect();
        ids.into_iter().filter_map(|id| self.calls.remove(&id)).map(|(_, tx)| tx).collect()
    }
}

/// Settles calls with `error` (after the table's lock is released: a settlement wakes the caller).
pub(crate) fn settle_all(calls: Vec<oneshot::Sender<Settlement>>, error: FunctionError) {
    for call in calls {
        let _ = call.send(Err(error));
    }
}

/// Calls of other nodes running on this node's players, by (calling node, call id).
#[derive(Default)]
pub(crate) struct Inbound {
    pub(crate) running: HashMap<(u32, u64), AbortHandle>,
}

/// Runs one call from another node on a local player's connection: the value's bytes undecoded (the caller
/// decodes them), or how it failed. Dropping the future (a `Cancel`, the caller's node gone) cancels it on the
/// client, as dropping an `Invoke` does.
pub(crate) async fn run_on(
    link: Arc<Link>,
    remote: u32,
    name: &'static str,
    args: Bytes,
    timeout: Duration,
) -> Settlement {
    // The link's expiry task settles the call `Timeout` at its deadline, as it does an `Invoke`'s.
    let deadline = Instant::now() + timeout;
    let Sent { reply, mut guard } = link.call(remote, name, &args, timeout, deadline)?;
    let outcome = reply.await;
    guard.settled();
    outcome.unwrap_or(Err(FunctionError::Disconnected))
}
