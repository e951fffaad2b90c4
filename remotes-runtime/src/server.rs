//! The server: accepts connections (TCP or in-process), keeps the set of players, runs the handshake and the
//! connection task set for each.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::net::ToSocketAddrs;
use tokio::sync::{Notify, watch};
use tokio::task::AbortHandle;

use crate::api::Api;
use crate::auth::AuthHook;
use crate::boundary::Boundary;
use crate::boundary::Side;
use crate::bus::{ClusterSettings, Node};
use crate::config::Config;
use crate::endpoint::Endpoint;
use crate::hooks::{BadRequestReport, BadResponseReport};
use crate::log_limit::LogLimit;
use crate::middleware::{Reject, Request};
use crate::player::Player;
use crate::rate_limit::RateLimit;

#[cfg(feature = "axum")]
mod axum;
mod builder;
mod cluster;
mod connections;
mod rooms;

pub use builder::ServerBuilder;
pub use cluster::Cluster;
pub(crate) use rooms::RoomRegistry;
pub use rooms::{Room, Rooms};

type PlayerCallback = Arc<dyn Fn(Player) + Send + Sync>;

/// A server: accepts clients, which become [`Player`]s, and serves one `#[remotes]` interface to them (`A`, the
/// `Api` struct the macro generates in the module).
///
/// Make it with [`Server::bind`] (TCP) or [`ServerBuilder::in_memory`] (in-process only): its typed handles are
/// [`remotes`](Server::remotes) from then on. Set the callbacks and listeners, then [`start`](Server::start) it:
/// until then connections wait in their handshake, so no client ever reaches a remote whose callback is not set yet.
/// Dropping the `Server` stops accepting and closes every connection.
///
/// ```no_run
/// # use remotes_runtime::{remotes, Player};
/// # #[remotes] pub mod net { pub trait ServerFunctions { fn ping() -> u32; } }
/// # async fn demo() -> std::io::Result<()> {
/// use remotes_runtime::Server;
/// use std::time::Duration;
///
/// let server = Server::builder().default_timeout(Duration::from_secs(5)).bind::<net::Api>("127.0.0.1:0").await?;
/// server.remotes().functions.ping.set_callback(|_player: Player| async { 42 });
/// server.on_player_added(|player| tracing::info!(id = player.id(), "joined"));
/// server.start();
/// println!("listening on {}", server.local_addr()?);
/// # Ok(()) }
/// ```
///
/// `Server` without its parameter is `Server<()>`, a server of the empty interface; it names the constructors
/// ([`Server::bind`], [`Server::builder`]), which pick the interface.
pub struct Server<A: Api = ()> {
    shared: Arc<ServerShared>,
    remotes: A::Server,
}

pub(crate) struct ServerShared {
    pub(crate) config: Config,
    pub(crate) boundary: Arc<Boundary>,
    local_addr: Option<SocketAddr>,
    endpoint: Arc<Endpoint>,
    /// Set by `start`: handshakes wait for it.
    started: watch::Sender<bool>,
    /// A handshake had to wait for `start` and said so (once).
    warned_unstarted: AtomicBool,
    players: Mutex<BTreeMap<u64, Player>>,
    /// This server's node of a cluster, if it is in one.
    pub(crate) node: Option<Arc<Node>>,
    /// Added to every player id: the node id in the high 32 bits (0 outside a cluster).
    id_base: u64,
    /// Every room and its members.
    pub(crate) rooms: Arc<RoomRegistry>,
    next_player: AtomicU64,
    on_added: RwLock<Vec<PlayerCallback>>,
    on_removing: RwLock<Vec<PlayerCallback>>,
    accept_task: Mutex<Option<AbortHandle>>,
    auth: Option<AuthHook>,
    /// Set by `shutdown`: handshakes in progress are refused.
    shutdown: watch::Sender<bool>,
    /// Connection tasks running (handshake included); `shutdown` waits for none.
    active: AtomicUsize,
    idle: Notify,
    /// TCP connections held, per IP address (only while `max_connections_per_address` is set).
    per_address: Mutex<HashMap<IpAddr, usize>>,
    /// Limits the logs about connections closed for misbehaving and handshakes that failed.
    connection_log: crate::log_limit::LogLimit,
}

impl Server {
    /// Binds a TCP server of interface `A` (the generated `net::Api`) on `addr` with default settings:
    /// `Server::bind::<net::Api>("127.0.0.1:0")` (port 0: any free port).
    pub async fn bind<A: Api>(addr: impl ToSocketAddrs) -> io::Result<Server<A>> {
        ServerBuilder::default().bind::<A>(addr).await
    }

    /// Settings for a server.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }
}

impl<A: Api> Server<A> {
    fn new(
        config: Config,
        auth: Option<AuthHook>,
        local_addr: Option<SocketAddr>,
        cluster: Option<(builder::Joining, ClusterSettings)>,
    ) -> Server<A> {
        let node = cluster.map(|(joining, settings)| {
            Node::join(joining.adapter, &joining.name, settings, A::interface())
                .expect("the cluster's name was checked by `ServerBuilder::cluster`")
        });
        let rooms = RoomRegistry::new(node.clone());
        let boundary = Boundary::new(
            Side::Server,
            config.rejection_log_level,
            LogLimit::from_config(&config),
            A::interface(),
            config.metrics_interval,
        );
        let endpoint =
            Arc::new(Endpoint::new(Side::Server, A::interface(), config.event_queue_len, Arc::clone(&boundary)));
        let shared = Arc::new(ServerShared {
            boundary,
            connection_log: LogLimit::from_config(&config),
            config,
            local_addr,
            endpoint,
            started: watch::Sender::new(false),
            warned_unstarted: AtomicBool::new(false),
            players: Mutex::new(BTreeMap::new()),
            rooms,
            id_base: node.as_ref().map_or(0, |node| u64::from(node.id) << 32),
            node,
            next_player: AtomicU64::new(1),
            on_added: RwLock::new(Vec::new()),
            on_removing: RwLock::new(Vec::new()),
            accept_task: Mutex::new(None),
            auth,
            shutdown: watch::Sender::new(false),
            active: AtomicUsize::new(0),
            idle: Notify::new(),
            per_address: Mutex::new(HashMap::new()),
        });
        if let Some(node) = &shared.node {
            let local: Arc<dyn crate::bus::Local> = Arc::clone(&shared) as Arc<dyn crate::bus::Local>;
            node.attach(Arc::downgrade(&local));
        }
        if let Some(addr) = local_addr {
            shared.endpoint.telemetry().set_address(addr.to_string());
        }
        let remotes = A::__server(crate::__private::ServerEndpoint::new(&shared));
        Server { shared, remotes }
    }

    /// The interface's typed handles on this server: `server.remotes().functions.buy_item.set_callback(..)`,
    /// `server.remotes().events.announce.broadcast(..)`. Clones share the same callbacks and listeners.
    pub fn remotes(&self) -> &A::Server {
        &self.remotes
    }

    /// Admits clients: from now on handshakes complete and remotes are reachable. Call it once the callbacks and
    /// listeners are set; until then connections wait in their handshake (within its deadline). Calling it again
    /// does nothing.
    pub fn start(&self) {
        self.shared.started.send_replace(true);
    }

    /// The address the TCP listener is bound to; an error of kind `Unsupported` for an in-process server
    /// ([`ServerBuilder::in_memory`]), which has none.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.shared.local_addr.ok_or_else(|| {
            io::Error::new(io::ErrorKind::Unsupported, "this server has no TCP listener: it was built with `in_memory`")
        })
    }

    /// The players connected to this server right now, in the order they joined. In a cluster, every node's
    /// players are [`Cluster::players`].
    pub fn players(&self) -> Vec<Player> {
        self.shared.connected_players()
    }

    /// The connected player with this id, if any: one of this server's, or in a cluster one that another node
    /// lists (see [`Player::is_local`]).
    pub fn player(&self, id: u64) -> Option<Player> {
        let local = self.shared.lock_players().get(&id).cloned();
        local.or_else(|| self.shared.node.as_ref()?.directory().player(id).cloned())
    }

    /// Per-remote figures since the server was made: calls (handled, and made to clients), errors by kind, bytes
    /// and frames in and out, events fired, delivered and dropped, and call duration p50/p99 (see
    /// [`crate::telemetry`]). Reads a few atomics per remote: cheap enough to call every second.
    ///
    /// ```no_run
    /// # fn demo(server: &remotes_runtime::Server) {
    /// let stats = server.stats();
    /// for remote in &stats.remotes {
    ///     println!("{}: {} calls, {} errors, p99 {:?}, {} bytes out", remote.name, remote.calls, remote.errors.total(), remote.p99, remote.bytes_out);
    /// }
    /// # }
    /// ```
    pub fn stats(&self) -> crate::telemetry::ServerStats {
        crate::telemetry::ServerStats {
            players: self.shared.lock_players().len(),
            remotes: self.shared.endpoint.telemetry().snapshot(),
        }
    }

    /// Hands the figures counted since the last time to the `metrics` recorder now, rather than at the next
    /// [`metrics_interval`](ServerBuilder::metrics_interval): before reading a recorder in a test, or before the
    /// process exits (dropping the server does it too).
    pub fn flush_metrics(&self) {
        self.shared.endpoint.telemetry().publish();
    }

    /// This server's cluster (see [`crate::cluster`]), when it was built with
    /// [`ServerBuilder::cluster`]: every node's players, its health.
    pub fn cluster(&self) -> Option<Cluster> {
        Cluster::of(&self.shared)
    }

    /// The room called `name` (see [`Room`]): `server.room("match-42").join(&player)`. Rooms are made only by server
    /// code, exist while they have members, and lose a player when its connection closes. Same as
    /// `server.rooms().room(name)`.
    pub fn room(&self, name: &str) -> Room {
        self.rooms().room(name)
    }

    /// A handle on this server's rooms, to move into callbacks and listeners (see [`Rooms`]).
    pub fn rooms(&self) -> Rooms {
        Rooms::new(&self.shared.rooms)
    }

    /// Registers a callback that runs when a player has joined: after the handshake, before any of its requests
    /// is dispatched. The player is already in [`players`](Self::players). A panicking callback is logged.
    pub fn on_player_added(&self, callback: impl Fn(Player) + Send + Sync + 'static) {
        self.shared.on_added.write().unwrap_or_else(|p| p.into_inner()).push(Arc::new(callback));
    }

    /// Registers a callback that runs when a player's connection has closed, before it leaves
    /// [`players`](Self::players) and its rooms (so the callback still finds it in [`Rooms::of`]). Its pending
    /// calls have already settled `Disconnected`.
    pub fn on_player_removing(&self, callback: impl Fn(Player) + Send + Sync + 'static) {
        self.shared.on_removing.write().unwrap_or_else(|p| p.into_inner()).push(Arc::new(callback));
    }

    /// Shuts the server down gracefully: stops accepting, answers every call being handled with `Cancelled`,
    /// settles every call the server is waiting on (`Disconnected`), flushes what is queued, runs the
    /// player-removing callbacks, and returns once every connection task has ended. New handshakes are refused.
    ///
    /// Each connection ends when its client has closed its end too (or after a second, for a client that does
    /// not): a client of this process reports [`is_connected`](crate::Client::is_connected) `false` once
    /// `shutdown` has returned.
    pub async fn shutdown(&self) {
        self.shared.shutdown().await;
    }

    /// Adds a global middleware: it sees every incoming request and event (player, remote, kind, payload size)
    /// after validation, before per-remote middleware and the callback or listeners, in registration order.
    /// `Err(Reject)` settles a call `Cancelled` at the caller and drops an event; a panic counts as `Unprocessed`.
    ///
    /// ```no_run
    /// # fn demo(server: &remotes_runtime::Server) {
    /// use remotes_runtime::{Reject, Request};
    ///
    /// server.middleware(|request: Request| async move {
    ///     if request.payload_len > 4096 { Err(Reject::new("payload too large for this game")) } else { Ok(()) }
    /// });
    /// # }
    /// ```
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Reject>> + Send + 'static,
    {
        self.shared.boundary.add_middleware(Arc::new(move |request| Box::pin(middleware(request))));
    }

    /// Limits how often each player may send requests and events, all remotes together (a token bucket per
    /// player). Over the limit, calls are answered `Cancelled` and events dropped before their arguments are
    /// decoded; each refusal is counted in [`Player::rate_limited`]. Per-remote limits (the generated
    /// `rate_limit` methods) apply on top.
    pub fn rate_limit(&self, limit: RateLimit) {
        self.shared.boundary.set_rate_limit(Some(limit));
    }

    /// Registers a hook told of every request or event the server rejected because its arguments did not decode
    /// as declared or broke a declared constraint. [`Player::bad_requests`] counts them per player.
    ///
    /// ```no_run
    /// # fn demo(server: &remotes_runtime::Server) {
    /// server.on_bad_request(|report| {
    ///     if let Some(player) = &report.player {
    ///         if player.bad_requests() >= 10 {
    ///             player.disconnect();
    ///         }
    ///     }
    /// });
    /// # }
    /// ```
    pub fn on_bad_request(&self, hook: impl Fn(&BadRequestReport) + Send + Sync + 'static) {
        self.shared.boundary.on_bad_request(Arc::new(hook));
    }

    /// Registers a hook told of every reply from a client that did not decode as the declared return type (the
    /// call settled `InvalidResult`).
    pub fn on_bad_response(&self, hook: impl Fn(&BadResponseReport) + Send + Sync + 'static) {
        self.shared.boundary.on_bad_response(Arc::new(hook));
    }

    pub(crate) fn shared(&self) -> &Arc<ServerShared> {
        &self.shared
    }
}

impl<A: Api> std::fmt::Debug for Server<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("interface", &self.shared.endpoint.interface().name())
            .field("local_addr", &self.shared.local_addr)
            .field("players", &self.shared.lock_players().len())
            .finish()
    }
}

impl<A: Api> Drop for Server<A> {
    fn drop(&mut self) {
        if let Some(node) = &self.shared.node {
            node.leave();
        }
        if let Some(task) = self.shared.lock_accept().take() {
            task.abort();
        }
        for player in self.players() {
            player.disconnect();
        }
        // Callbacks often capture handles that hold this server's state: clearing them breaks that cycle.
        self.shared.endpoint.clear();
    }
}

impl ServerShared {
    /// This server's registry of callbacks and listeners.
    pub(crate) fn endpoint(&self) -> &Arc<Endpoint> {
        &self.endpoint
    }

    /// The name of remote `index` of the interface, for logs.
    pub(crate) fn remote_name(&self, index: usize) -> &'static str {
        self.endpoint.remote_name(index)
    }

    /// Stops accepting, abandons every call being handled (answered `Cancelled`), settles every pending call
    /// (`Disconnected`), runs the player-removing callbacks and waits for every connection task to end.
    pub(crate) async fn shutdown(&self) {
        self.shutdown.send_replace(true);
        if let Some(node) = &self.node {
            node.leave();
        }
        if let Some(task) = self.lock_accept().take() {
            task.abort();
        }
        for player in self.connected_players() {
            if let Some(link) = player.link() {
                link.shutdown();
            }
        }
        loop {
            let idle = self.idle.notified();
            if self.active.load(Ordering::Acquire) == 0 {
                break;
            }
            idle.await;
        }
        self.endpoint.telemetry().stop_publishing();
    }

    /// The players connected right now, in the order they joined.
    pub(crate) fn connected_players(&self) -> Vec<Player> {
        self.lock_players().values().cloned().collect()
    }

    fn run_callbacks(&self, callbacks: &RwLock<Vec<PlayerCallback>>, player: &Player, what: &str) {
        let callbacks = callbacks.read().unwrap_or_else(|p| p.into_inner()).clone();
        for callback in callbacks {
            if catch_unwind(AssertUnwindSafe(|| callback(player.clone()))).is_err() {
                tracing::error!(player = player.id(), callback = what, "callback panicked");
            }
        }
    }

    fn lock_players(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Player>> {
        self.players.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_accept(&self) -> std::sync::MutexGuard<'_, Option<AbortHandle>> {
        self.accept_task.lock().unwrap_or_else(|p| p.into_inner())
    }
}
