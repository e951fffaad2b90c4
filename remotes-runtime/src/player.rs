//! Players: the server's handle on one connected client, on this server or, in a cluster, on another node.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use std::any::Any;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::FunctionError;
use crate::link::Link;
use crate::pending::Settlement;

/// How to reach players connected to other nodes of a cluster. The cluster layer implements it; a `Player` of
/// another node holds it, so the typed handles reach it the way they reach a local one.
pub(crate) trait Away: Send + Sync {
    /// Whether the player is still listed by the cluster (the view is eventually consistent).
    fn is_connected(&self, player: u64) -> bool;
    /// Sends a call of remote `remote` to the player's node, with `timeout` left.
    fn call(&self, player: u64, remote: u32, args: Bytes, timeout: Duration) -> Result<AwaySent, FunctionError>;
    /// The caller gave up on call `call`: forget it and tell the node (which stops it on the client).
    fn cancel(&self, call: u64);
    /// Call `call` passed its deadline here: forget it (the node enforces the same deadline).
    fn forget(&self, call: u64);
    /// Asks the player's node to close the player's connection.
    fn disconnect(&self, player: u64);
}

/// A call sent to another node: its reply channel, its id in the cluster's table, its deadline.
pub(crate) struct AwaySent {
    pub(crate) reply: oneshot::Receiver<Settlement>,
    pub(crate) call: u64,
    pub(crate) deadline: Instant,
}

/// Where a player is connected.
pub(crate) enum Home {
    /// To this server: its connection.
    Here(Arc<Link>),
    /// To another node of the cluster.
    Away(Arc<dyn Away>),
}

/// A connected client, as the server sees it. Cheap to clone; equal when it is the same connection.
///
/// Server callbacks receive the `Player` of the connection a request arrived on: nothing in a payload can change
/// who is calling. A `Player` stays valid after its client leaves; calls to it then settle `Disconnected` at once.
///
/// In a cluster ([`ServerBuilder::cluster`](crate::ServerBuilder::cluster)) a `Player` may also stand for a client
/// connected to another node (see [`is_local`](Player::is_local)), as found by [`Server::player`](crate::Server::player),
/// [`Cluster::players`](crate::cluster::Cluster::players) or [`Room::players`](crate::Room::players): events fired
/// at it and functions invoked on it travel through the cluster's bus. Its counters (`pending_calls`,
/// `bad_requests`, ...) are kept by its own node and read 0 here.
///
/// ```no_run
/// # async fn demo(server: remotes_runtime::Server) {
/// for player in server.players() {
///     println!("player {} connected: {}", player.id(), player.is_connected());
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct Player {
    inner: Arc<PlayerInner>,
}

struct PlayerInner {
    id: u64,
    home: Home,
    name: Option<String>,
    data: Option<Arc<dyn Any + Send + Sync>>,
}

impl Player {
    pub(crate) fn new(
        id: u64,
        link: Arc<Link>,
        name: Option<String>,
        data: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Player {
        Player { inner: Arc::new(PlayerInner { id, home: Home::Here(link), name, data }) }
    }

    /// A player connected to another node of the cluster.
    pub(crate) fn away(id: u64, away: Arc<dyn Away>, name: Option<String>) -> Player {
        Player { inner: Arc::new(PlayerInner { id, home: Home::Away(away), name, data: None }) }
    }

    /// The display name the authentication hook gave the player ([`Accept::name`](crate::Accept::name)), if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The value the authentication hook attached to the player ([`Accept::data`](crate::Accept::data)), if it is a `T`.
    /// `None` for a player of another node: the data stays in its node's process.
    ///
    /// ```no_run
    /// # fn demo(player: remotes_runtime::Player) {
    /// struct Account { coins: u64 }
    /// if let Some(account) = player.data::<Account>() {
    ///     println!("{} coins", account.coins);
    /// }
    /// # }
    /// ```
    pub fn data<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.inner.data.as_deref()?.downcast_ref()
    }

    /// The player's id: unique among the players of one server (of the whole cluster, for a server in one),
    /// never reused, stable for the connection's life.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// `true` when the player is connected to this server; `false` for a player of another node of the cluster.
    pub fn is_local(&self) -> bool {
        matches!(self.inner.home, Home::Here(_))
    }

    /// `true` while the client is connected. For a player of another node: while the cluster lists it (an
    /// eventually consistent view, see [`crate::cluster`]).
    pub fn is_connected(&self) -> bool {
        match &self.inner.home {
            Home::Here(link) => !link.is_closed(),
            Home::Away(away) => away.is_connected(self.inner.id),
        }
    }

    /// Resolves once everything the server queued for this player so far has been written to its transport, or
    /// the connection has closed (for example, to say goodbye before [`disconnect`](Self::disconnect)). At once
    /// for a player of another node.
    pub async fn flush(&self) {
        if let Home::Here(link) = &self.inner.home {
            link.outbox.flushed().await;
        }
    }

    /// Closes this player's connection. Its pending calls settle `Disconnected`; the server's player-removing
    /// callbacks run. For a player of another node, asks that node to close it.
    pub fn disconnect(&self) {
        match &self.inner.home {
            Home::Here(link) => link.close(),
            Home::Away(away) => away.disconnect(self.inner.id),
        }
    }

    /// How many calls the server made to this player that await a reply (the server's pending-call table for
    /// this connection). Settled calls never linger: after a timeout, a reply, a cancellation or a disconnect the
    /// entry is gone.
    pub fn pending_calls(&self) -> usize {
        self.link().map_or(0, |link| link.pending.len())
    }

    /// How many of this player's calls the server is handling right now.
    pub fn calls_in_flight(&self) -> usize {
        self.link().map_or(0, |link| link.in_flight())
    }

    /// How many of this player's requests and events the server rejected because their arguments did not decode
    /// as declared or broke a declared constraint. A game can read it to kick repeat offenders.
    pub fn bad_requests(&self) -> u64 {
        self.link().map_or(0, |link| link.bad_requests())
    }

    /// How many of this player's requests and events were refused by a rate limit.
    pub fn rate_limited(&self) -> u64 {
        self.link().map_or(0, |link| link.rate_limited())
    }

    /// This player's figures: bytes in and out of its connection, calls in flight both ways, refusals. Zero for a
    /// player of another node (its node keeps them).
    pub fn stats(&self) -> crate::telemetry::PlayerStats {
        let Some(link) = self.link() else { return crate::telemetry::PlayerStats::default() };
        crate::telemetry::PlayerStats {
            bytes_in: link.bytes_in.load(std::sync::atomic::Ordering::Relaxed),
            bytes_out: link.bytes_out.load(std::sync::atomic::Ordering::Relaxed),
            calls_in_flight: link.in_flight(),
            pending_calls: link.pending.len(),
            bad_requests: link.bad_requests(),
            rate_limited: link.rate_limited(),
        }
    }

    /// The connection, for a player of this server.
    pub(crate) fn link(&self) -> Option<&Arc<Link>> {
        match &self.inner.home {
            Home::Here(link) => Some(link),
            Home::Away(_) => None,
        }
    }

    pub(crate) fn home(&self) -> &Home {
        &self.inner.home
    }

    /// Whether `self` and `other` are the same connection (not only the same id).
    pub(crate) fn same_connection(&self, other: &Player) -> bool {
        match (self.link(), other.link()) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl PartialEq for Player {
    fn eq(&self, other: &Self) -> bool {
        self.inner.id == other.inner.id
    }
}

impl Eq for Player {}

impl Hash for Player {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.id.hash(state);
    }
}

impl fmt::Debug for Player {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Player")
            .field("id", &self.inner.id)
            .field("name", &self.inner.name)
            .field("local", &self.is_local())
            .field("connected", &self.is_connected())
            .finish()
    }
}
