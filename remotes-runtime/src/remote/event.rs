//! Remote events: firing them (`fire`, `fire_many`, `broadcast`, `except`, `fire_room`, `fire_room_except`) and
//! hearing them (`connect`).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::bus::Audience;
use crate::client::ClientShared;
use crate::endpoint::Endpoint;
use crate::link::Link;
use crate::listeners::{EventFuture, EventHub};
use crate::middleware::Reject;
use crate::player::Player;
use crate::rate_limit::RateLimit;
use crate::remote::function::{client_middleware, encode_outgoing, server_middleware};
use crate::remote::marker::Remote;
use crate::server::{Room, ServerShared};
use crate::telemetry::Dropped;
use crate::validate::Check;
use crate::wire::args::Args;
use crate::wire::frame::{body_len, frame_len, put_frame};
use crate::wire::message::kind;

/// What became of a fired event: how many players it was queued for, and how many it skipped.
///
/// Firing never blocks and never panics. A recipient is skipped when it is no longer connected, or when the event
/// is larger than the maximum frame length the recipient accepts; each skip also emits a `tracing` event.
///
/// ```
/// use remotes_runtime::Fired;
///
/// let fired = Fired { queued: 3, skipped: 1 };
/// assert!(!fired.all_queued());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Fired {
    /// Recipients whose outgoing queue took the event.
    pub queued: usize,
    /// Recipients that were skipped (see above).
    pub skipped: usize,
}

impl Fired {
    /// `true` when no recipient was skipped.
    pub fn all_queued(&self) -> bool {
        self.skipped == 0
    }

    fn count(&mut self, queued: bool) {
        if queued {
            self.queued += 1;
        } else {
            self.skipped += 1;
        }
    }
}

/// A listener added with `connect`. Call [`disconnect`](Connection::disconnect) to remove it; dropping the
/// `Connection` keeps the listener (as in Roblox).
///
/// ```no_run
/// # fn demo(chat: remotes_runtime::Connection) {
/// chat.disconnect(); // this listener only; the event's other listeners stay
/// assert!(!chat.is_connected());
/// # }
/// ```
pub struct Connection {
    endpoint: Arc<Endpoint>,
    index: usize,
    id: u64,
}

impl Connection {
    /// Removes this listener (and only this one). Calling it again does nothing.
    pub fn disconnect(&self) {
        self.endpoint.listeners.disconnect(self.index, self.id);
    }

    /// `true` until [`disconnect`](Connection::disconnect) is called.
    pub fn is_connected(&self) -> bool {
        self.endpoint.listeners.is_connected(self.index, self.id)
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("event", &self.endpoint.remote_name(self.index))
            .field("connected", &self.is_connected())
            .finish()
    }
}

/// Runs the listeners of event `index` as if the event had arrived (encoded and decoded as over the network).
fn predict<A: Args>(endpoint: &Endpoint, index: usize, caller: Option<&Player>, args: &A) {
    let mut bytes = Vec::new();
    match args.encode(&mut bytes) {
        Ok(()) => endpoint.listeners.deliver(index, caller, bytes.into(), None),
        Err(reason) => tracing::warn!(event = endpoint.remote_name(index), %reason, "event arguments failed to encode"),
    }
}

/// An `EVENT` frame, encoded once for any number of recipients.
struct EventFrame {
    bytes: Bytes,
    /// The length its prefix announces, which each recipient's maximum is checked against.
    body_len: usize,
}

impl EventFrame {
    /// Checks and encodes the arguments; `None` (logged) when they break a declared constraint or do not encode.
    fn encode<A: Args>(remote: u32, args: &A, check: Option<Check<A>>, name: &'static str) -> Option<EventFrame> {
        let payload = encode_outgoing(args, check, name)?;
        let mut frame = BytesMut::with_capacity(frame_len(&[remote], payload.len()));
        put_frame(&mut frame, kind::EVENT, &[remote], &payload);
        let body_len = body_len(&[remote], payload.len());
        crate::wire::buffers::give_back(payload);
        Some(EventFrame { bytes: frame.freeze(), body_len })
    }

    fn queue_on(&self, link: &Link) -> Result<(), Dropped> {
        link.queue_frame(&self.bytes, self.body_len)
    }
}

/// Server side of an event declared in `ServerEvents`: the server hears it.
pub struct ServerListener<M: Remote> {
    endpoint: Arc<Endpoint>,
    hub: Arc<EventHub<M::Args>>,
}

impl<M: Remote> ServerListener<M> {
    pub(crate) fn new(endpoint: &Arc<Endpoint>) -> Self {
        let hub = Arc::new(EventHub::new(endpoint.new_pipeline(M::INDEX, M::CHECK)));
        ServerListener { endpoint: Arc::clone(endpoint), hub }
    }
}

impl<M: Remote<Args: Args>> ServerListener<M> {
    /// Adds a listener. Events held while no listener was connected are delivered to the first one, in order.
    pub fn connect<F, Fut>(&self, listener: F) -> Connection
    where
        F: Fn(Player, M::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let id = self.endpoint.listeners.connect(M::INDEX, &self.hub, move |caller: Option<&Player>, args| {
            // Server connections always carry their player; `None` only reaches client endpoints.
            caller.cloned().map(|player| Box::pin(listener(player, args)) as EventFuture)
        });
        Connection { endpoint: Arc::clone(&self.endpoint), index: M::INDEX, id }
    }

    /// Adds a middleware: it sees each event's player and arguments after validation, may replace the arguments,
    /// and may reject the event (it is then dropped).
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Player, M::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Args, Reject>> + Send + 'static,
    {
        self.hub.pipeline().add_middleware(server_middleware(middleware));
    }

    /// Limits how often each player may fire this event: events over the limit are dropped before their arguments
    /// are decoded, and counted.
    pub fn rate_limit(&self, limit: RateLimit) {
        self.endpoint.set_rate_limit(M::INDEX, limit);
    }

    /// Runs the pipeline and listeners as if `player` had fired the event (encoded and decoded as over the network).
    pub fn predict(&self, player: &Player, args: M::Args) {
        predict(&self.endpoint, M::INDEX, Some(player), &args);
    }
}

/// Server side of an event declared in `ClientEvents`: the server fires it.
pub struct ServerEmitter<M: Remote> {
    server: Arc<ServerShared>,
    _remote: PhantomData<fn() -> M>,
}

impl<M: Remote> ServerEmitter<M> {
    pub(crate) fn new(server: &Arc<ServerShared>) -> Self {
        ServerEmitter { server: Arc::clone(server), _remote: PhantomData }
    }
}

impl<M: Remote<Args: Args>> ServerEmitter<M> {
    /// Encodes the event once, queues it for each local recipient, then (in a cluster) publishes it once for
    /// `audience` on the other nodes and once per node for the recipients that are players of other nodes.
    fn send(&self, recipients: impl IntoIterator<Item = Player>, args: &M::Args, audience: Option<Audience>) -> Fired {
        let mut fired = Fired::default();
        let name = self.server.remote_name(M::INDEX);
        // The server's own table is the wire's numbering: its local index is the remote id.
        let Some(frame) = EventFrame::encode(M::INDEX as u32, args, M::CHECK, name) else {
            fired.skipped = recipients.into_iter().count();
            return fired;
        };
        let mut away = Vec::new();
        let figures = self.server.endpoint().telemetry().remote(M::INDEX);
        for player in recipients {
            let Some(link) = player.link() else {
                away.push(player.id());
                continue;
            };
            let queued = frame.queue_on(link);
            if let Err(why) = queued {
                tracing::debug!(event = name, player = player.id(), "event not sent: player not connected");
                figures.event_dropped(why);
            }
            fired.count(queued.is_ok());
        }
        figures.event_fired(frame.body_len, fired.queued as u64);
        if let Some(node) = &self.server.node {
            if let Some(audience) = audience {
                node.publish_event(audience, &frame.bytes);
            }
            if !away.is_empty() {
                let published = node.fire_players(&away, &frame.bytes);
                fired.queued += published;
                fired.skipped += away.len() - published;
            }
        } else {
            fired.skipped += away.len();
        }
        fired
    }

    /// Fires the event at one player (of any node, in a cluster). A player who has left is skipped (see
    /// [`Fired`]).
    pub fn fire(&self, player: &Player, args: M::Args) -> Fired {
        self.send([player.clone()], &args, None)
    }

    /// Fires the event at each of `players`, encoding it once (and publishing it once per other node they are on).
    pub fn fire_many(&self, players: &[Player], args: M::Args) -> Fired {
        self.send(players.iter().cloned(), &args, None)
    }

    /// Fires the event at every connected player, encoding it once. In a cluster: this server's players first,
    /// then one message on the bus, which each other node writes to its own players. [`Fired`] counts this
    /// server's players.
    pub fn broadcast(&self, args: M::Args) -> Fired {
        self.send(self.server.connected_players(), &args, Some(Audience::All))
    }

    /// Fires the event at every connected player except `excluded` (of any node), encoding it once.
    pub fn except(&self, excluded: &[Player], args: M::Args) -> Fired {
        let recipients = self.server.connected_players().into_iter().filter(|p| !excluded.contains(p));
        let audience = Audience::Except(excluded.iter().map(Player::id).collect());
        self.send(recipients, &args, Some(audience))
    }

    /// Fires the event at every member of `room`, encoding it once; in a cluster, at its members on every node
    /// (one message on the bus). A room of another server reaches nobody (logged). O(members): a copy of the
    /// member list, then one queue push per member, outside the room lock.
    pub fn fire_room(&self, room: &Room, args: M::Args) -> Fired {
        let Some(members) = self.members(room) else { return Fired::default() };
        self.send(members, &args, Some(Audience::Room(room.name().to_string())))
    }

    /// Fires the event at every member of `room` except `excluded`, encoding it once. O(members × excluded).
    pub fn fire_room_except(&self, room: &Room, excluded: &[Player], args: M::Args) -> Fired {
        let Some(members) = self.members(room) else { return Fired::default() };
        let recipients = members.into_iter().filter(|p| !excluded.contains(p));
        let audience = Audience::RoomExcept(room.name().to_string(), excluded.iter().map(Player::id).collect());
        self.send(recipients, &args, Some(audience))
    }

    /// The room's members on this server; `None` (logged) for a room of another server.
    fn members(&self, room: &Room) -> Option<Vec<Player>> {
        if !room.is_of(&self.server.rooms) {
            let event = self.server.remote_name(M::INDEX);
            tracing::warn!(event, room = room.name(), "a room of another server; event not sent");
            return None;
        }
        Some(room.local_players())
    }
}

/// Client side of an event declared in `ClientEvents`: the client hears it.
pub struct ClientListener<M: Remote> {
    endpoint: Arc<Endpoint>,
    hub: Arc<EventHub<M::Args>>,
}

impl<M: Remote> ClientListener<M> {
    pub(crate) fn new(endpoint: &Arc<Endpoint>) -> Self {
        let hub = Arc::new(EventHub::new(endpoint.new_pipeline(M::INDEX, M::CHECK)));
        ClientListener { endpoint: Arc::clone(endpoint), hub }
    }
}

impl<M: Remote<Args: Args>> ClientListener<M> {
    /// Adds a listener. Events held while no listener was connected are delivered to the first one, in order.
    pub fn connect<F, Fut>(&self, listener: F) -> Connection
    where
        F: Fn(M::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let id = self.endpoint.listeners.connect(M::INDEX, &self.hub, move |_caller: Option<&Player>, args| {
            Some(Box::pin(listener(args)) as EventFuture)
        });
        Connection { endpoint: Arc::clone(&self.endpoint), index: M::INDEX, id }
    }

    /// Adds a middleware: it sees each event's arguments after validation, may replace them, and may reject the
    /// event (it is then dropped).
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(M::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Args, Reject>> + Send + 'static,
    {
        self.hub.pipeline().add_middleware(client_middleware(middleware));
    }

    /// Runs the pipeline and listeners as if the server had fired the event (encoded and decoded as over the
    /// network).
    pub fn predict(&self, args: M::Args) {
        predict(&self.endpoint, M::INDEX, None, &args);
    }
}

/// Client side of an event declared in `ServerEvents`: the client fires it.
pub struct ClientEmitter<M: Remote> {
    client: Arc<ClientShared>,
    _remote: PhantomData<fn() -> M>,
}

impl<M: Remote> ClientEmitter<M> {
    pub(crate) fn new(client: &Arc<ClientShared>) -> Self {
        ClientEmitter { client: Arc::clone(client), _remote: PhantomData }
    }
}

impl<M: Remote<Args: Args>> ClientEmitter<M> {
    /// Fires the event at the server. Skipped (see [`Fired`]) when the connection is closed, the server does not
    /// declare this event the same way, or the arguments break a declared constraint.
    pub fn fire(&self, args: M::Args) -> Fired {
        let name = self.client.remote_name(M::INDEX);
        let mut fired = Fired::default();
        let frame =
            self.client.outgoing_id(M::INDEX).ok().and_then(|remote| EventFrame::encode(remote, &args, M::CHECK, name));
        let figures = self.client.endpoint().telemetry().remote(M::INDEX);
        let queued = frame.map(|frame| (frame.queue_on(self.client.link()), frame.body_len));
        match queued {
            Some((Ok(()), len)) => figures.event_fired(len, 1),
            Some((Err(why), _)) => figures.event_dropped(why),
            None => {}
        }
        fired.count(matches!(queued, Some((Ok(()), _))));
        fired
    }
}

macro_rules! debug_handle {
    ($($ty:ident { $field:ident, $extra:ident } ),*) => {$(
        impl<M: Remote> fmt::Debug for $ty<M> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("remote", &self.$field.remote_name(M::INDEX)).finish()
            }
        }
        impl<M: Remote> Clone for $ty<M> {
            fn clone(&self) -> Self {
                $ty { $field: Arc::clone(&self.$field), $extra: Clone::clone(&self.$extra) }
            }
        }
    )*};
}

debug_handle!(
    ServerListener { endpoint, hub },
    ServerEmitter { server, _remote },
    ClientListener { endpoint, hub },
    ClientEmitter { client, _remote }
);
