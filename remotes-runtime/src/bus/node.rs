//! The node: this server's membership of a cluster. It publishes what the server sends to other nodes'
//! players, heartbeats and membership batches, and runs three tasks: the receiver (`inbound.rs` handles each
//! message), the publisher and the ticker (`tasks.rs`). `away.rs` is the node as the way to other nodes' players.
//!
//! # Locks
//!
//! `batch` is taken under the server's room lock (membership changes are recorded in the order they happen);
//! `directory`, `outbound`, `inbound` and `bucket` are taken alone. None is held across an `.await`, and no user
//! code runs under any: a node never calls game code at all, it only queues frames on connections.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::adapter::{Adapter, BusError, BusStatus};
use super::calls::{Inbound, Outbound, settle_all};
use super::directory::{Directory, node_of};
use super::envelope::{self, Audience, Body, Change, Header};
use super::health::{ClusterHealth, Counters, NodeInfo};
use super::settings::ClusterSettings;
use crate::FunctionError;
use crate::interface::{Interface, RemoteDef};
use crate::log_limit::LogLimit;
use crate::player::{Away, Player};
use crate::rate_limit::{RateLimit, TokenBucket};
use crate::telemetry::names;

/// What a node needs of its server: its own players and rooms. The server implements it.
pub(crate) trait Local: Send + Sync {
    /// The connected player `id` of this server.
    fn player(&self, id: u64) -> Option<Player>;
    /// Every connected player of this server.
    fn players(&self) -> Vec<Player>;
    /// The members of room `name` on this server.
    fn room_members(&self, name: &str) -> Vec<Player>;
    /// This server's membership, paired with the batch it is current as of (`Node::batch_seq`, read under the
    /// same lock that orders the changes).
    fn snapshot(&self) -> Snapshot;
}

/// A server's membership, for a `Snapshot` message.
pub(crate) struct Snapshot {
    pub(crate) seq: u64,
    pub(crate) players: Vec<(u64, Option<String>)>,
    pub(crate) rooms: Vec<(String, Vec<u64>)>,
}

/// Membership changes not yet published, and the number of batches published so far.
#[derive(Default)]
struct Batch {
    changes: Vec<Change>,
    seq: u64,
}

/// Snapshots a node sends per heartbeat interval, whoever asks: a joining or recovering node asks each other
/// node once, so this is plenty, and a node that asks in a loop gets no more.
const SNAPSHOTS_PER_HEARTBEAT: u32 = 8;

/// The most changes one `Delta` message carries; a longer batch goes out as several.
const CHANGES_PER_MESSAGE: usize = 4_096;

/// A node of a cluster (see `crate::cluster`).
pub(crate) struct Node {
    pub(crate) id: u32,
    pub(crate) instance: u64,
    pub(crate) interface: u64,
    all: String,
    prefix: String,
    pub(crate) settings: ClusterSettings,
    adapter: Arc<dyn Adapter>,
    pub(crate) outgoing: mpsc::Sender<(String, Bytes)>,
    bucket: Mutex<TokenBucket>,
    /// Snapshots sent to nodes that ask: at most `SNAPSHOTS_PER_HEARTBEAT` per heartbeat interval.
    pub(crate) snapshots: Mutex<TokenBucket>,
    directory: Mutex<Directory>,
    pub(crate) outbound: Mutex<Outbound>,
    pub(crate) inbound: Mutex<Inbound>,
    batch: Mutex<Batch>,
    pub(crate) counters: Counters,
    pub(crate) bus_up: AtomicBool,
    local: OnceLock<Weak<dyn Local>>,
    pub(crate) remotes: &'static [RemoteDef],
    tasks: Mutex<Vec<AbortHandle>>,
    me: Weak<Node>,
    /// Limits the logs about what the bus delivered or refused.
    pub(crate) log: LogLimit,
    /// Bumped whenever the directory changes (a node seen or lost, a batch or snapshot applied).
    changes: watch::Sender<u64>,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A random 64-bit value from the standard library's OS-seeded hasher keys.
fn random() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(Instant::now())
}

/// FNV-1a over every remote's name, kind, direction and signature hash: equal for nodes of one interface.
pub(crate) fn interface_hash(interface: &Interface) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &byte in bytes {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for remote in interface.remotes() {
        eat(remote.name.as_bytes());
        eat(&[remote.kind as u8, remote.direction as u8]);
        eat(&remote.hash.to_le_bytes());
    }
    hash
}

/// Whether `name` can be a subject token (NATS and Redis alike).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

impl Node {
    /// Joins cluster `name` on `adapter`: starts the node's tasks, the receiver first subscribing to the
    /// cluster's subjects (retrying each heartbeat while the bus refuses). Needs a tokio runtime.
    pub(crate) fn join(
        adapter: Arc<dyn Adapter>,
        name: &str,
        settings: ClusterSettings,
        interface: &'static Interface,
    ) -> Result<Arc<Node>, BusError> {
        if !valid_name(name) {
            return Err(BusError::InvalidName(name.to_string()));
        }
        let id = settings.node_id.unwrap_or_else(|| (random() as u32).max(1));
        let all = format!("remotes.{name}.all");
        let prefix = format!("remotes.{name}.node.");
        let subjects = [all.clone(), format!("{prefix}{id:08x}")];
        // Made now (the in-process bus registers them at once), polled by the receiver.
        let first = subjects.clone().map(|subject| adapter.subscribe(subject));
        let (outgoing, queue) = mpsc::channel(settings.publish_queue);
        let node = Arc::new_cyclic(|me| Node {
            id,
            instance: random(),
            interface: interface_hash(interface),
            all,
            prefix,
            bucket: Mutex::new(TokenBucket::new(settings.publish_rate)),
            snapshots: Mutex::new(TokenBucket::new(
                RateLimit::per(SNAPSHOTS_PER_HEARTBEAT, settings.heartbeat).burst(SNAPSHOTS_PER_HEARTBEAT),
            )),
            settings,
            adapter: Arc::clone(&adapter),
            outgoing,
            directory: Mutex::new(Directory::default()),
            outbound: Mutex::new(Outbound::default()),
            inbound: Mutex::new(Inbound::default()),
            batch: Mutex::new(Batch::default()),
            counters: Counters::default(),
            bus_up: AtomicBool::new(*adapter.status().borrow() == BusStatus::Connected),
            local: OnceLock::new(),
            remotes: interface.remotes(),
            tasks: Mutex::new(Vec::new()),
            me: me.clone(),
            log: LogLimit::new(10, Duration::from_secs(10), tracing::Level::WARN),
            changes: watch::Sender::new(0),
        });
        let tasks = vec![
            tokio::spawn(super::inbound::receive(Arc::clone(&adapter), Arc::downgrade(&node), subjects, first))
                .abort_handle(),
            tokio::spawn(super::tasks::publish(Arc::clone(&adapter), Arc::downgrade(&node), queue)).abort_handle(),
            tokio::spawn(super::tasks::tick(Arc::downgrade(&node), adapter.status())).abort_handle(),
        ];
        *lock(&node.tasks) = tasks;
        tracing::info!(cluster = name, node = format!("{id:08x}"), "joined the cluster");
        Ok(node)
    }

    /// Gives the node its server's players and rooms (once, before the server admits anyone).
    pub(crate) fn attach(&self, local: Weak<dyn Local>) {
        let _ = self.local.set(local);
    }

    pub(crate) fn local(&self) -> Option<Arc<dyn Local>> {
        self.local.get()?.upgrade()
    }

    /// The directory changed: wake whoever waits on `changes`.
    pub(crate) fn changed(&self) {
        self.changes.send_modify(|version| *version += 1);
    }

    /// Follows the directory's changes.
    pub(crate) fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// This node's view of the others, locked (no user code runs under it).
    pub(crate) fn directory(&self) -> MutexGuard<'_, Directory> {
        lock(&self.directory)
    }

    pub(crate) fn me(&self) -> Weak<Node> {
        self.me.clone()
    }

    /// This node as the `Away` of the players of other nodes.
    pub(crate) fn away(&self) -> Arc<dyn Away> {
        self.me.upgrade().expect("a node is alive while it runs") as Arc<dyn Away>
    }

    /// Leaves the cluster: says goodbye, stops the tasks, settles the calls waiting on other nodes
    /// `Disconnected` and forgets the other nodes' players (which hold this node).
    pub(crate) fn leave(&self) {
        let goodbye = self.message(Body::Goodbye, &[]);
        let adapter = Arc::clone(&self.adapter);
        let subject = self.all.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { adapter.publish(subject, goodbye).await });
        }
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        let waiting = lock(&self.outbound).take_node(None);
        settle_all(waiting, FunctionError::Disconnected);
        for (_, task) in lock(&self.inbound).running.drain() {
            task.abort();
        }
        let forgotten = std::mem::take(&mut self.directory().nodes);
        drop(forgotten);
    }

    pub(crate) fn message(&self, body: Body, tail: &[u8]) -> Bytes {
        let header = Header {
            version: envelope::VERSION,
            interface: self.interface,
            node: self.id,
            instance: self.instance,
            body,
        };
        envelope::encode(&header, tail)
    }

    pub(crate) fn subject_of(&self, node: u32) -> String {
        format!("{}{node:08x}", self.prefix)
    }

    /// Queues a message for the publisher. `limited`: events and calls, which the publish rate bounds. `false`
    /// (counted in `dropped`) when the bus is down, the rate is spent or the queue is full.
    pub(crate) fn send(&self, subject: String, message: Bytes, limited: bool) -> bool {
        let sent = self.bus_up.load(Ordering::Acquire)
            && (!limited || lock(&self.bucket).admit())
            && self.outgoing.try_send((subject, message)).is_ok();
        if !sent {
            Counters::count_as(&self.counters.dropped, names::BUS_DROPPED);
            if self.log.admit("cluster") {
                tracing::warn!(node = self.id, "cluster message not published (bus down, publish rate or queue full)");
            }
        }
        sent
    }

    /// Publishes an `EVENT` frame for the players in `to` on every other node (local players are served first,
    /// by the caller).
    pub(crate) fn publish_event(&self, to: Audience, frame: &Bytes) -> bool {
        let message = self.message(Body::Event { to }, frame);
        self.send(self.all.clone(), message, true)
    }

    /// Sends an `EVENT` frame to players of other nodes: one message per node.
    pub(crate) fn fire_players(&self, players: &[u64], frame: &Bytes) -> usize {
        let mut by_node: HashMap<u32, Vec<u64>> = HashMap::new();
        for &player in players {
            by_node.entry(node_of(player)).or_default().push(player);
        }
        let mut sent = 0;
        for (node, players) in by_node {
            let count = players.len();
            let message = self.message(Body::Fire { players }, frame);
            if self.send(self.subject_of(node), message, true) {
                sent += count;
            }
        }
        sent
    }

    /// Records a membership change of a local player (under the server's room lock, so in order).
    pub(crate) fn record(&self, change: Change) {
        lock(&self.batch).changes.push(change);
    }

    /// The batches published so far: a snapshot taken under the room lock is current as of this one, plus the
    /// changes still waiting (which the next batch repeats, harmlessly: applying a change twice changes nothing).
    pub(crate) fn batch_seq(&self) -> u64 {
        lock(&self.batch).seq
    }

    /// Publishes the changes gathered since the last batch.
    pub(crate) fn flush_batch(&self) {
        let batches: Vec<(u64, Vec<Change>)> = {
            let mut batch = lock(&self.batch);
            if batch.changes.is_empty() {
                return;
            }
            let changes = std::mem::take(&mut batch.changes);
            let mut chunks = Vec::new();
            let mut changes = changes.into_iter().peekable();
            while changes.peek().is_some() {
                batch.seq += 1;
                chunks.push((batch.seq, changes.by_ref().take(CHANGES_PER_MESSAGE).collect()));
            }
            chunks
        };
        for (seq, changes) in batches {
            let message = self.message(Body::Delta { seq, changes }, &[]);
            self.send(self.all.clone(), message, false);
        }
    }

    pub(crate) fn heartbeat(&self) {
        let message = self.message(Body::Heartbeat { seq: self.batch_seq() }, &[]);
        self.send(self.all.clone(), message, false);
    }

    /// Forgets node `node` (silent too long, or said goodbye): its players leave every room, calls waiting on it
    /// settle `Disconnected`, and the calls it made here stop.
    pub(crate) fn lose(&self, node: u32, why: &str) {
        let Some(view) = self.directory().nodes.remove(&node) else {
            return;
        };
        tracing::info!(node = format!("{node:08x}"), players = view.players.len(), why, "cluster node left");
        drop(view);
        self.changed();
        let waiting = lock(&self.outbound).take_node(Some(node));
        settle_all(waiting, FunctionError::Disconnected);
        let stopped: Vec<AbortHandle> = {
            let mut inbound = lock(&self.inbound);
            let keys: Vec<_> = inbound.running.keys().filter(|(from, _)| *from == node).copied().collect();
            keys.into_iter().filter_map(|key| inbound.running.remove(&key)).collect()
        };
        for task in stopped {
            task.abort();
        }
    }

    pub(crate) fn check_silent(&self, now: Instant) {
        let silent: Vec<u32> = self
            .directory()
            .nodes
            .iter()
            .filter(|(_, view)| now.duration_since(view.last_seen) > self.settings.node_timeout)
            .map(|(id, _)| *id)
            .collect();
        for node in silent {
            self.lose(node, "no heartbeat within the node timeout");
        }
    }

    pub(crate) fn set_bus(&self, status: BusStatus) {
        let up = status == BusStatus::Connected;
        if self.bus_up.swap(up, Ordering::AcqRel) == up {
            return;
        }
        self.changed();
        if up {
            tracing::info!(node = self.id, "cluster bus reachable again");
            self.heartbeat();
        } else {
            // Replies cannot arrive any more: the calls settle now rather than at their deadlines.
            let waiting = lock(&self.outbound).take_node(None);
            tracing::warn!(
                node = self.id,
                calls = waiting.len(),
                "cluster bus unreachable; serving local players only"
            );
            settle_all(waiting, FunctionError::Disconnected);
        }
    }

    /// The node's health (see `ClusterHealth`).
    pub(crate) fn health(&self) -> ClusterHealth {
        let now = Instant::now();
        let mut nodes: Vec<NodeInfo> = self
            .directory()
            .nodes
            .iter()
            .map(|(id, view)| NodeInfo {
                id: *id,
                players: view.players.len(),
                silent_for: now.duration_since(view.last_seen),
                synced: view.synced,
            })
            .collect();
        nodes.sort_by_key(|node| node.id);
        ClusterHealth {
            node: self.id,
            bus: if self.bus_up.load(Ordering::Acquire) { BusStatus::Connected } else { BusStatus::Disconnected },
            nodes,
            published: Counters::read(&self.counters.published),
            received: Counters::read(&self.counters.received),
            dropped: Counters::read(&self.counters.dropped),
            malformed: Counters::read(&self.counters.malformed),
            id_collisions: Counters::read(&self.counters.id_collisions),
        }
    }
}
