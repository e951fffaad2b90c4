//! Players: the server's handle on one connected client.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use std::any::Any;

use crate::link::Link;

/// A connected client, as the server sees it. Cheap to clone; equal when it is the same connection.
///
/// Server callbacks receive the `Player` of the connection a request arrived on: nothing in a payload can change
/// who is calling. A `Player` stays valid after its client leaves; calls to it then settle `Disconnected` at once.
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
    link: Arc<Link>,
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
        Player { inner: Arc::new(PlayerInner { id, link, name, data }) }
    }

    /// The display name the authentication hook gave the player ([`Accept::name`](crate::Accept::name)), if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The value the authentication hook attached to the player ([`Accept::data`](crate::Accept::data)), if it is a `T`.
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

    /// The player's id: unique among the players of one server, never reused, stable for the connection's life.
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// `true` while the client is connected.
    pub fn is_connected(&self) -> bool {
        !self.inner.link.is_closed()
    }

    /// Resolves once everything the server queued for this player so far has been written to its transport, or
    /// the connection has closed (for example, to say goodbye before [`disconnect`](Self::disconnect)).
    pub async fn flush(&self) {
        self.inner.link.outbox.flushed().await;
    }

    /// Closes this player's connection. Its pending calls settle `Disconnected`; the server's player-removing
    /// callbacks run.
    pub fn disconnect(&self) {
        self.inner.link.close();
    }

    /// How many calls the server made to this player that await a reply (the server's pending-call table for
    /// this connection). Settled calls never linger: after a timeout, a reply, a cancellation or a disconnect the
    /// entry is gone.
    pub fn pending_calls(&self) -> usize {
        self.inner.link.pending.len()
    }

    /// How many of this player's calls the server is handling right now.
    pub fn calls_in_flight(&self) -> usize {
        self.inner.link.in_flight()
    }

    /// How many of this player's requests and events the server rejected because their arguments did not decode
    /// as declared or broke a declared constraint. A game can read it to kick repeat offenders.
    pub fn bad_requests(&self) -> u64 {
        self.inner.link.bad_requests()
    }

    /// How many of this player's requests and events were refused by a rate limit.
    pub fn rate_limited(&self) -> u64 {
        self.inner.link.rate_limited()
    }

    pub(crate) fn link(&self) -> &Arc<Link> {
        &self.inner.link
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
            .field("connected", &self.is_connected())
            .finish()
    }
}
