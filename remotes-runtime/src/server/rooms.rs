//! Rooms: named groups of one server's players (a match, a lobby, a zone), to fire events at and invoke
//! functions on together.
//!
//! All of a server's rooms live in one [`RoomRegistry`] behind one lock; [`Room`] and [`Rooms`] are handles on
//! it. Only server code creates rooms (nothing a client sends names one), and a room exists only while it has
//! members, so the registry holds at most one entry per membership of a connected player.
//!
//! In a cluster a room spans nodes: each node holds its own players' memberships here and records every change
//! with its node (under the room lock, so in order), which publishes them in batches; the other nodes'
//! members come from the node's directory, an eventually consistent view.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::bus::{Change, Node, Snapshot};
use crate::player::Player;

/// The state of every room of one server: which players are in which room, and which rooms each player is in.
///
/// Every change and every read of membership goes through this type's methods, each one short critical section
/// that runs no user code and takes no other lock (players removed are dropped after it is released, since
/// dropping a `Player` may drop the game's data attached to it). In a cluster, each change is also recorded
/// with the node, under the same lock (the node's batch lock is a leaf).
pub(crate) struct RoomRegistry {
    state: Mutex<RoomState>,
    node: Option<Arc<Node>>,
}

#[derive(Default)]
struct RoomState {
    /// Each room with at least one member, its members by player id (the order players connected in).
    rooms: HashMap<Arc<str>, BTreeMap<u64, Player>>,
    /// Every connected player of the server and the rooms it is in. A player is listed from when it joins the
    /// server (before `on_player_added`) until it leaves (after `on_player_removing`); only those may join a room,
    /// so a departed player, or one of another server, is never left behind in a room.
    players: HashMap<u64, Membership>,
}

struct Membership {
    player: Player,
    rooms: Vec<Arc<str>>,
}

impl RoomRegistry {
    pub(crate) fn new(node: Option<Arc<Node>>) -> Arc<RoomRegistry> {
        Arc::new(RoomRegistry { state: Mutex::new(RoomState::default()), node })
    }

    fn record(&self, change: impl FnOnce() -> Change) {
        if let Some(node) = &self.node {
            node.record(change());
        }
    }

    /// The other nodes' view, for a room's cluster-wide members (nothing outside a cluster).
    fn elsewhere<T: Default>(&self, read: impl FnOnce(&crate::bus::Directory) -> T) -> T {
        match &self.node {
            Some(node) => read(&node.directory()),
            None => T::default(),
        }
    }

    /// This server's players and memberships, as of the node's last batch (see `Node::batch_seq`).
    pub(crate) fn snapshot(&self) -> Snapshot {
        let state = self.lock();
        let seq = self.node.as_ref().map_or(0, |node| node.batch_seq());
        let mut players: Vec<_> =
            state.players.values().map(|m| (m.player.id(), m.player.name().map(str::to_string))).collect();
        players.sort_by_key(|(id, _)| *id);
        let rooms = state.rooms.iter().map(|(name, members)| (name.to_string(), members.keys().copied().collect()));
        Snapshot { seq, players, rooms: rooms.collect() }
    }

    fn lock(&self) -> MutexGuard<'_, RoomState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A player joined the server: from now on it may join rooms.
    pub(crate) fn add_player(&self, player: &Player) {
        let membership = Membership { player: player.clone(), rooms: Vec::new() };
        let mut state = self.lock();
        state.players.insert(player.id(), membership);
        self.record(|| Change::Added(player.id(), player.name().map(str::to_string)));
    }

    /// A player left the server: it leaves every room it is in (rooms left empty are forgotten).
    pub(crate) fn remove_player(&self, player: &Player) {
        let mut removed = Vec::new();
        {
            let mut state = self.lock();
            let Some(membership) = state.players.remove(&player.id()) else {
                return;
            };
            self.record(|| Change::Removed(player.id()));
            for name in &membership.rooms {
                if let Some(members) = state.rooms.get_mut(name) {
                    removed.extend(members.remove(&player.id()));
                    if members.is_empty() {
                        state.rooms.remove(name);
                    }
                }
            }
            removed.push(membership.player);
        }
        drop(removed);
    }

    /// Adds `player` to room `name`; `false` when it is already a member, or is not a connected player of this
    /// server.
    fn join(&self, name: &Arc<str>, player: &Player) -> bool {
        let mut state = self.lock();
        let Some(membership) = state.players.get_mut(&player.id()) else {
            return false;
        };
        if !membership.player.same_connection(player) || membership.rooms.contains(name) {
            return false;
        }
        membership.rooms.push(Arc::clone(name));
        state.rooms.entry(Arc::clone(name)).or_default().insert(player.id(), player.clone());
        self.record(|| Change::Joined(name.to_string(), player.id()));
        true
    }

    /// Removes `player` from room `name`; `false` when it was not a member.
    fn leave(&self, name: &str, player: &Player) -> bool {
        let removed;
        {
            let mut state = self.lock();
            let Some(members) = state.rooms.get_mut(name) else {
                return false;
            };
            match members.get(&player.id()) {
                Some(member) if member.same_connection(player) => {}
                _ => return false,
            }
            removed = members.remove(&player.id());
            if members.is_empty() {
                state.rooms.remove(name);
            }
            if let Some(membership) = state.players.get_mut(&player.id()) {
                membership.rooms.retain(|room| &**room != name);
            }
            self.record(|| Change::Left(name.to_string(), player.id()));
        }
        drop(removed);
        true
    }

    /// The members of room `name`, by player id.
    pub(crate) fn members(&self, name: &str) -> Vec<Player> {
        self.lock().rooms.get(name).map(|members| members.values().cloned().collect()).unwrap_or_default()
    }

    /// The members of room `name` on every node: this server's, then the other nodes' by id.
    fn all_members(&self, name: &str) -> Vec<Player> {
        let mut members = self.members(name);
        members.extend(self.elsewhere(|directory| directory.room_members(name)));
        members
    }

    fn len(&self, name: &str) -> usize {
        let here = self.lock().rooms.get(name).map_or(0, BTreeMap::len);
        here + self.elsewhere(|directory| directory.room_len(name))
    }

    fn contains(&self, name: &str, player: &Player) -> bool {
        if !player.is_local() {
            return self.elsewhere(|directory| directory.room_contains(name, player.id()));
        }
        let state = self.lock();
        let member = state.rooms.get(name).and_then(|members| members.get(&player.id()));
        member.is_some_and(|member| member.same_connection(player))
    }

    fn rooms_of(&self, player: &Player) -> Vec<Arc<str>> {
        if !player.is_local() {
            return self.elsewhere(|directory| directory.rooms_of(player.id()));
        }
        let state = self.lock();
        match state.players.get(&player.id()) {
            Some(membership) if membership.player.same_connection(player) => membership.rooms.clone(),
            _ => Vec::new(),
        }
    }

    fn names(&self) -> Vec<Arc<str>> {
        let mut names: std::collections::BTreeSet<Arc<str>> = self.elsewhere(|directory| directory.room_names());
        names.extend(self.lock().rooms.keys().cloned());
        names.into_iter().collect()
    }
}

/// A server's rooms: hands out [`Room`] handles by name. Cheap to clone; get it with
/// [`Server::rooms`](crate::Server::rooms) and move it into the callbacks and listeners that need rooms.
///
/// ```no_run
/// # use remotes_runtime::{remotes, Player, Server};
/// # #[remotes] pub mod net { pub trait ServerFunctions { fn queue(); } pub trait ClientEvents { fn started(); } }
/// # fn demo(server: &Server<net::Api>) {
/// let rooms = server.rooms();
/// server.remotes().functions.queue.set_callback(move |player: Player| {
///     let lobby = rooms.room("lobby");
///     lobby.join(&player);
///     async {}
/// });
/// server.on_player_removing({
///     let rooms = server.rooms();
///     move |player| tracing::info!(player = player.id(), rooms = ?rooms.of(&player), "leaving")
/// });
/// # }
/// ```
#[derive(Clone)]
pub struct Rooms {
    registry: Arc<RoomRegistry>,
}

impl Rooms {
    pub(crate) fn new(registry: &Arc<RoomRegistry>) -> Rooms {
        Rooms { registry: Arc::clone(registry) }
    }

    /// The room called `name`, empty if nobody is in it: no room is created until a player joins it, and a room
    /// is forgotten when its last member leaves. One allocation (the name); no lock.
    pub fn room(&self, name: &str) -> Room {
        Room { registry: Arc::clone(&self.registry), name: Arc::from(name) }
    }

    /// The rooms `player` is in, in the order it joined them. One lock; O(rooms of the player).
    pub fn of(&self, player: &Player) -> Vec<Room> {
        let names = self.registry.rooms_of(player);
        names.into_iter().map(|name| Room { registry: Arc::clone(&self.registry), name }).collect()
    }

    /// Every room with at least one member, by name. One lock; O(rooms).
    pub fn list(&self) -> Vec<Room> {
        let names = self.registry.names();
        names.into_iter().map(|name| Room { registry: Arc::clone(&self.registry), name }).collect()
    }
}

impl fmt::Debug for Rooms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rooms").field("rooms", &self.registry.lock().rooms.len()).finish()
    }
}

/// A named group of one server's players. Cheap to clone; two handles of the same name on the same server are
/// the same room.
///
/// Get one with [`Server::room`](crate::Server::room) or [`Rooms::room`]. Only server code adds players to rooms:
/// nothing a client sends can create a room or join one. A room holds only connected players of its server: a
/// player leaves every room when its connection closes, after the server's
/// [`on_player_removing`](crate::Server::on_player_removing) callbacks (which still find it in its rooms) and as
/// it leaves [`Server::players`](crate::Server::players). A room with no members is forgotten (its handles stay
/// valid: joining again brings it back).
///
/// Fire an event at the members with the generated `fire_room` and `fire_room_except` (encoded once for all of
/// them), and invoke a function on each with `invoke_room`, a stream of each answer as it arrives.
///
/// Costs, with `n` the room's members: `join`, `leave`, `contains` take the server's room lock once, O(log n)
/// (plus O(rooms of the player) for `join` and `leave`); `len` and `is_empty` O(1); `players` (and so `fire_room`
/// and `invoke_room`) copies the member list under the lock, O(n), then works on the copy without it.
///
/// ```no_run
/// # use remotes_runtime::{remotes, Player, Server};
/// # #[remotes] pub mod net { pub trait ClientEvents { fn announce(text: String); } }
/// # fn demo(server: &Server<net::Api>, alice: &Player, bob: &Player) {
/// let room = server.room("match-42");
/// room.join(alice);
/// room.join(bob);
/// assert_eq!(room.len(), 2);
/// server.remotes().events.announce.fire_room(&room, "round one".to_string());
/// room.leave(bob);
/// # }
/// ```
#[derive(Clone)]
pub struct Room {
    registry: Arc<RoomRegistry>,
    name: Arc<str>,
}

impl Room {
    /// The room's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds `player` to the room. `true` when it joined now; `false` when it was already a member, or is not a
    /// connected player of this room's server (a player whose connection has been removed never rejoins; in a
    /// cluster, each node adds its own players).
    /// O(log n) under the room lock.
    pub fn join(&self, player: &Player) -> bool {
        self.registry.join(&self.name, player)
    }

    /// Removes `player` from the room. `true` when it was a member. Calls made to it with `invoke_room` before it
    /// left still settle as usual. O(log n) under the room lock.
    pub fn leave(&self, player: &Player) -> bool {
        self.registry.leave(&self.name, player)
    }

    /// The members, by player id (the order they connected to the server in). O(n): a copy of the list. In a
    /// cluster: this server's members, then the other nodes' (as this node last heard; eventually consistent).
    pub fn players(&self) -> Vec<Player> {
        self.registry.all_members(&self.name)
    }

    /// The members connected to this server. O(n).
    pub fn local_players(&self) -> Vec<Player> {
        self.registry.members(&self.name)
    }

    /// How many players are in the room (on every node, in a cluster). O(1) under the room lock (plus O(nodes)).
    pub fn len(&self) -> usize {
        self.registry.len(&self.name)
    }

    /// `true` when nobody is in the room.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `player` is in the room. O(log n) under the room lock.
    pub fn contains(&self, player: &Player) -> bool {
        self.registry.contains(&self.name, player)
    }

    /// Whether this room belongs to the server whose registry is `registry`.
    pub(crate) fn is_of(&self, registry: &Arc<RoomRegistry>) -> bool {
        Arc::ptr_eq(&self.registry, registry)
    }
}

impl PartialEq for Room {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.registry, &other.registry) && self.name == other.name
    }
}

impl Eq for Room {}

impl fmt::Debug for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Room").field("name", &self.name).field("players", &self.len()).finish()
    }
}
