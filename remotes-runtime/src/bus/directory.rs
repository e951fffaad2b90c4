//! The directory: this node's view of the other nodes of its cluster — which are alive, which players each has,
//! which rooms those players are in. Built from their heartbeats, membership batches and snapshots; eventually
//! consistent (a change is seen one batch interval plus one bus hop after it happens).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use tokio::time::Instant;

use super::envelope::Change;
use crate::player::{Away, Player};

/// What this node knows of one other node.
pub(crate) struct NodeView {
    pub(crate) instance: u64,
    /// The last membership batch applied; meaningful only when `synced`.
    pub(crate) seq: u64,
    /// `false` until a snapshot arrived, and again whenever a batch was missed: batches are then ignored until the
    /// next snapshot.
    pub(crate) synced: bool,
    pub(crate) last_seen: Instant,
    /// When this node last asked it for a snapshot.
    pub(crate) asked: Option<Instant>,
    pub(crate) players: BTreeMap<u64, Player>,
    pub(crate) rooms: HashMap<Arc<str>, BTreeSet<u64>>,
    /// Players plus room memberships held for it: bounded by `ClusterSettings::max_remote_members`.
    members: usize,
}

/// A change or snapshot exceeded the bound on what one node may make this node hold.
pub(crate) struct OverLimit;

impl NodeView {
    pub(crate) fn new(instance: u64, now: Instant) -> NodeView {
        NodeView {
            instance,
            seq: 0,
            synced: false,
            last_seen: now,
            asked: None,
            players: BTreeMap::new(),
            rooms: HashMap::new(),
            members: 0,
        }
    }

    /// Applies one change of this node's players (idempotent: a snapshot may already hold it).
    pub(crate) fn apply(&mut self, change: Change, away: &Arc<dyn Away>, max: usize) -> Result<(), OverLimit> {
        match change {
            Change::Added(id, name) => {
                if !self.players.contains_key(&id) {
                    self.grow(max)?;
                    self.players.insert(id, Player::away(id, Arc::clone(away), name));
                }
            }
            Change::Removed(id) => {
                if self.players.remove(&id).is_some() {
                    let mut left = 0;
                    self.rooms.retain(|_, members| {
                        left += usize::from(members.remove(&id));
                        !members.is_empty()
                    });
                    self.members -= 1 + left;
                }
            }
            Change::Joined(room, id) => {
                if self.players.contains_key(&id) {
                    let members = self.rooms.entry(Arc::from(room)).or_default();
                    if !members.contains(&id) {
                        if self.members >= max {
                            return Err(OverLimit);
                        }
                        members.insert(id);
                        self.members += 1;
                    }
                }
            }
            Change::Left(room, id) => {
                if let Some(members) = self.rooms.get_mut(room.as_str()) {
                    if members.remove(&id) {
                        self.members -= 1;
                    }
                    if members.is_empty() {
                        self.rooms.remove(room.as_str());
                    }
                }
            }
        }
        Ok(())
    }

    fn grow(&mut self, max: usize) -> Result<(), OverLimit> {
        if self.members >= max {
            return Err(OverLimit);
        }
        self.members += 1;
        Ok(())
    }

    /// Replaces the membership with a snapshot's.
    pub(crate) fn replace(
        &mut self,
        seq: u64,
        players: Vec<(u64, Option<String>)>,
        rooms: Vec<(String, Vec<u64>)>,
        away: &Arc<dyn Away>,
        max: usize,
    ) -> Result<(), OverLimit> {
        self.players.clear();
        self.rooms.clear();
        self.members = 0;
        self.seq = seq;
        self.synced = true;
        for (id, name) in players {
            self.apply(Change::Added(id, name), away, max)?;
        }
        for (room, ids) in rooms {
            for id in ids {
                self.apply(Change::Joined(room.clone(), id), away, max)?;
            }
        }
        Ok(())
    }
}

/// Every other node this one has heard from, by node id.
#[derive(Default)]
pub(crate) struct Directory {
    pub(crate) nodes: HashMap<u32, NodeView>,
}

impl Directory {
    /// The player `id` of node `node`, if the view lists it.
    pub(crate) fn player(&self, id: u64) -> Option<&Player> {
        self.nodes.get(&node_of(id))?.players.get(&id)
    }

    /// Every player of the other nodes, by node then id.
    pub(crate) fn players(&self) -> Vec<Player> {
        let mut nodes: Vec<_> = self.nodes.iter().collect();
        nodes.sort_by_key(|(id, _)| **id);
        nodes.into_iter().flat_map(|(_, view)| view.players.values().cloned()).collect()
    }

    /// The members room `name` has on other nodes.
    pub(crate) fn room_members(&self, name: &str) -> Vec<Player> {
        let mut members = Vec::new();
        for view in self.nodes.values() {
            if let Some(ids) = view.rooms.get(name) {
                members.extend(ids.iter().filter_map(|id| view.players.get(id).cloned()));
            }
        }
        members.sort_by_key(Player::id);
        members
    }

    pub(crate) fn room_len(&self, name: &str) -> usize {
        self.nodes.values().filter_map(|view| view.rooms.get(name)).map(BTreeSet::len).sum()
    }

    pub(crate) fn room_contains(&self, name: &str, id: u64) -> bool {
        self.nodes.get(&node_of(id)).and_then(|view| view.rooms.get(name)).is_some_and(|ids| ids.contains(&id))
    }

    /// The rooms player `id` is in, by name.
    pub(crate) fn rooms_of(&self, id: u64) -> Vec<Arc<str>> {
        let Some(view) = self.nodes.get(&node_of(id)) else {
            return Vec::new();
        };
        let mut names: Vec<Arc<str>> =
            view.rooms.iter().filter(|(_, ids)| ids.contains(&id)).map(|(name, _)| Arc::clone(name)).collect();
        names.sort();
        names
    }

    /// Every room name with a member on another node.
    pub(crate) fn room_names(&self) -> BTreeSet<Arc<str>> {
        self.nodes.values().flat_map(|view| view.rooms.keys().cloned()).collect()
    }
}

/// The node a player id belongs to: its high 32 bits.
pub(crate) fn node_of(player: u64) -> u32 {
    (player >> 32) as u32
}
