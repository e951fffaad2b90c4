//! What a node does with each message the bus delivers. Everything here is untrusted: a message that does not
//! decode, comes from another interface or format version, or names a frame, remote or player it may not, is
//! dropped and counted (`ClusterHealth::malformed`), with a rate-limited log.

use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::time::Instant;

use super::adapter::{Adapter, BusFuture, BusMessages};
use super::calls::run_on;
use super::directory::NodeView;
use super::envelope::{self, Audience, Body, Header, Outcome};
use super::health::Counters;
use super::node::{Node, lock};
use crate::FunctionError;
use crate::interface::{Direction, RemoteKind};
use crate::player::Player;
use crate::telemetry::names;
use crate::wire::frame::peek_varint;
use crate::wire::message::Message;

/// The receiver task: subscribes to the node's subjects (retrying each heartbeat while the bus refuses), then
/// handles each message in the order the bus delivers it, until the node is gone.
pub(crate) async fn receive(
    adapter: Arc<dyn Adapter>,
    node: Weak<Node>,
    subjects: [String; 2],
    first: [BusFuture<'static, BusMessages>; 2],
) {
    let mut streams = Vec::new();
    for (subject, first) in subjects.into_iter().zip(first) {
        let mut attempt = first;
        loop {
            match attempt.await {
                Ok(stream) => break streams.push(stream),
                Err(error) => {
                    let Some(node) = node.upgrade() else { return };
                    tracing::error!(node = node.id, %subject, %error, "cannot subscribe to the cluster bus; retrying");
                    let retry = node.settings.heartbeat;
                    drop(node);
                    tokio::time::sleep(retry).await;
                    attempt = adapter.subscribe(subject.clone());
                }
            }
        }
    }
    let mut messages = futures_util::stream::select_all(streams);
    while let Some(message) = messages.next().await {
        let Some(node) = node.upgrade() else { return };
        node.handle(&message);
    }
}

impl Node {
    fn malformed(&self, why: &dyn std::fmt::Display) {
        Counters::count_as(&self.counters.malformed, names::BUS_MALFORMED);
        self.changed();
        if self.log.admit("cluster bus") {
            tracing::warn!(node = self.id, %why, "cluster message dropped");
        }
    }

    pub(crate) fn handle(&self, message: &Bytes) {
        let (header, tail) = match envelope::decode(message) {
            Ok(decoded) => decoded,
            Err(error) => return self.malformed(&error),
        };
        if header.interface != self.interface {
            return self.malformed(&format_args!("node {:08x} serves another interface", header.node));
        }
        if header.node == self.id {
            if header.instance != self.instance && matches!(header.body, Body::Heartbeat { .. }) {
                Counters::count(&self.counters.id_collisions);
                tracing::error!(
                    node = format!("{:08x}", self.id),
                    "another process uses this node id: player ids may collide; give each node its own `ClusterSettings::node_id`"
                );
            }
            // Our own messages on `all` come back: nothing to do.
            return;
        }
        Counters::count_as(&self.counters.received, names::BUS_RECEIVED);
        let Header { node, instance, body, .. } = header;
        match body {
            Body::Heartbeat { seq } => self.heard(node, instance, Some(seq)),
            Body::Goodbye => self.lose(node, "it shut down"),
            Body::Delta { seq, changes } => {
                self.heard(node, instance, None);
                let away = self.away();
                let max = self.settings.max_remote_members;
                let mut directory = self.directory();
                let Some(view) = directory.nodes.get_mut(&node) else { return };
                if !view.synced || seq <= view.seq {
                    return;
                }
                if seq != view.seq + 1 {
                    view.synced = false;
                    drop(directory);
                    return self.ask_snapshot(node);
                }
                view.seq = seq;
                let applied = changes.into_iter().try_for_each(|change| view.apply(change, &away, max));
                drop(directory);
                self.changed();
                if applied.is_err() {
                    self.malformed(&format_args!("node {node:08x} lists more than max_remote_members"));
                }
            }
            Body::SyncRequest => self.send_snapshot(node),
            Body::Snapshot { seq, players, rooms } => {
                self.heard(node, instance, None);
                let away = self.away();
                let max = self.settings.max_remote_members;
                let mut directory = self.directory();
                let Some(view) = directory.nodes.get_mut(&node) else { return };
                let replaced = view.replace(seq, players, rooms, &away, max);
                drop(directory);
                self.changed();
                if replaced.is_err() {
                    self.malformed(&format_args!("node {node:08x} lists more than max_remote_members"));
                }
            }
            Body::Event { to } => self.deliver_event(to, &tail),
            Body::Fire { players } => {
                if let Some(body_len) = self.event_frame(&tail) {
                    let local = self.local();
                    let recipients = players.iter().filter_map(|&id| local.as_ref()?.player(id));
                    queue_all(recipients, &tail, body_len);
                }
            }
            Body::Call { call, player, remote, timeout_ms } => {
                self.run_call(node, call, player, remote, timeout_ms, tail)
            }
            Body::Cancel { call } => {
                let task = lock(&self.inbound).running.remove(&(node, call));
                if let Some(task) = task {
                    task.abort();
                }
            }
            Body::Reply { call, outcome } => {
                let entry = lock(&self.outbound).remove(call);
                match entry {
                    Some((to, settle)) if to == node => {
                        let settlement = match outcome {
                            Outcome::Ok => Ok(tail),
                            Outcome::Err(code) => Err(FunctionError::from_wire_code(code)),
                        };
                        let _ = settle.send(settlement);
                    }
                    Some((to, settle)) => {
                        // Not the node it was sent to: the answer is not trusted, and the call is put back.
                        lock(&self.outbound).restore(call, to, settle);
                        self.malformed(&format_args!("node {node:08x} answered a call sent to {to:08x}"));
                    }
                    // Settled already (deadline, cancellation): a late answer.
                    None => {}
                }
            }
            Body::Kick { player } => {
                if let Some(player) = self.local().and_then(|local| local.player(player)) {
                    tracing::debug!(
                        player = player.id(),
                        from = format!("{node:08x}"),
                        "disconnected at another node's request"
                    );
                    player.disconnect();
                }
            }
        }
    }

    /// Node `node` (process `instance`) is alive; a heartbeat also says which batch it is at, so a missed batch
    /// is noticed within a heartbeat.
    fn heard(&self, node: u32, instance: u64, heartbeat_seq: Option<u64>) {
        let now = Instant::now();
        let (ask, new) = {
            let mut directory = self.directory();
            let mut new = !directory.nodes.contains_key(&node);
            let view = directory.nodes.entry(node).or_insert_with(|| NodeView::new(instance, now));
            if view.instance != instance {
                tracing::info!(node = format!("{node:08x}"), "cluster node restarted");
                *view = NodeView::new(instance, now);
                new = true;
            }
            view.last_seen = now;
            if heartbeat_seq.is_some_and(|seq| seq != view.seq) {
                view.synced = false;
            }
            let due = view.asked.is_none_or(|asked| now.duration_since(asked) >= self.settings.heartbeat);
            let ask = !view.synced && due;
            if ask {
                view.asked = Some(now);
            }
            (ask, new)
        };
        if new {
            tracing::info!(node = format!("{node:08x}"), "cluster node seen");
            self.changed();
        }
        if ask {
            self.ask_snapshot(node);
        }
    }

    fn ask_snapshot(&self, node: u32) {
        self.send(self.subject_of(node), self.message(Body::SyncRequest, &[]), false);
    }

    fn send_snapshot(&self, to: u32) {
        if !lock(&self.snapshots).admit() {
            return self.malformed(&format_args!("node {to:08x} asks for snapshots faster than they are sent"));
        }
        let Some(local) = self.local() else { return };
        let snapshot = local.snapshot();
        let body = Body::Snapshot { seq: snapshot.seq, players: snapshot.players, rooms: snapshot.rooms };
        self.send(self.subject_of(to), self.message(body, &[]), false);
    }

    /// The body length of `frame` when it is one whole `EVENT` frame of an event this interface sends to clients;
    /// `None` (counted) otherwise.
    fn event_frame(&self, frame: &Bytes) -> Option<usize> {
        let checked = match peek_varint(frame) {
            Ok(Some((len, prefix))) if prefix + len as usize == frame.len() => {
                match Message::parse(frame.slice(prefix..)) {
                    Ok(Message::Event { remote, .. }) => self
                        .remotes
                        .get(remote as usize)
                        .filter(|def| def.kind == RemoteKind::Event && def.direction == Direction::ToClient)
                        .map(|_| len as usize),
                    _ => None,
                }
            }
            _ => None,
        };
        if checked.is_none() {
            self.malformed(&"an event message without a valid EVENT frame");
        }
        checked
    }

    fn deliver_event(&self, to: Audience, frame: &Bytes) {
        let Some(body_len) = self.event_frame(frame) else { return };
        let Some(local) = self.local() else { return };
        match to {
            Audience::All => queue_all(local.players(), frame, body_len),
            Audience::Except(excluded) => {
                let recipients = local.players().into_iter().filter(|p| !excluded.contains(&p.id()));
                queue_all(recipients, frame, body_len);
            }
            Audience::Room(room) => queue_all(local.room_members(&room), frame, body_len),
            Audience::RoomExcept(room, excluded) => {
                let recipients = local.room_members(&room).into_iter().filter(|p| !excluded.contains(&p.id()));
                queue_all(recipients, frame, body_len);
            }
        }
    }

    /// Runs call `call` of node `from` on local player `player`, and answers it.
    fn run_call(&self, from: u32, call: u64, player: u64, remote: u32, timeout_ms: u32, args: Bytes) {
        let def = self.remotes.get(remote as usize);
        let Some(def) = def.filter(|def| def.kind == RemoteKind::Function && def.direction == Direction::ToClient)
        else {
            self.malformed(&format_args!("node {from:08x} called remote {remote}, not a client function"));
            return self.answer(from, call, Err(FunctionError::BadRequest));
        };
        let Some(link) = self.local().and_then(|local| local.player(player)).and_then(|p| p.link().cloned()) else {
            return self.answer(from, call, Err(FunctionError::Disconnected));
        };
        let timeout = Duration::from_millis(u64::from(timeout_ms.max(1)));
        let mut inbound = lock(&self.inbound);
        if inbound.running.len() >= self.settings.max_calls_in || inbound.running.contains_key(&(from, call)) {
            drop(inbound);
            tracing::warn!(node = self.id, max = self.settings.max_calls_in, "too many calls from other nodes");
            return self.answer(from, call, Err(FunctionError::Cancelled));
        }
        let node = self.me();
        let name = def.name;
        let task = tokio::spawn(async move {
            let outcome = run_on(link, remote, name, args, timeout).await;
            if let Some(node) = node.upgrade() {
                lock(&node.inbound).running.remove(&(from, call));
                node.answer(from, call, outcome);
            }
        });
        inbound.running.insert((from, call), task.abort_handle());
    }

    fn answer(&self, to: u32, call: u64, outcome: Result<Bytes, FunctionError>) {
        let (outcome, value) = match outcome {
            Ok(value) => (Outcome::Ok, value),
            Err(error) => (Outcome::Err(error.wire_code()), Bytes::new()),
        };
        self.send(self.subject_of(to), self.message(Body::Reply { call, outcome }, &value), false);
    }
}

/// Queues one encoded frame on each local recipient's connection.
fn queue_all(recipients: impl IntoIterator<Item = Player>, frame: &Bytes, body_len: usize) {
    for player in recipients {
        if let Some(link) = player.link() {
            let _ = link.queue_frame(frame, body_len);
        }
    }
}
