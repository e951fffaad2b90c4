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
use std::time::Duration;

use bytes::BytesMut;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::{Notify, watch};
use tokio::task::AbortHandle;

use crate::api::Api;
use crate::auth::{Accept, AuthHook, Handshake, auth_hook};
use crate::binding::Binding;
use crate::boundary::Boundary;
use crate::config::{self, Config, ReceiveRate, millis};
use crate::connection::{ReadLimits, log_stop, read_loop, write_loop};
use crate::dispatch::Dispatcher;
use crate::endpoint::{CatchUnwind, Endpoint, Side};
use crate::handshake::{self, announced, announced_max_frame};
use crate::hooks::{BadRequestReport, BadResponseReport};
use crate::interface::Direction;
use crate::link::{Link, LinkSettings};
use crate::log_limit::LogLimit;
use crate::middleware::{Reject, Request};
use crate::outbox::QueueLimits;
use crate::player::Player;
use crate::rate_limit::RateLimit;
use crate::transport::{ReadHalf, WriteHalf, tcp};
use crate::wire::message::{Hello, PROTOCOL_VERSION, Welcome, WireRemote, encode_map, kind};
use crate::work::WorkLimits;

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
    boundary: Arc<Boundary>,
    local_addr: Option<SocketAddr>,
    endpoint: Arc<Endpoint>,
    /// Set by `start`: handshakes wait for it.
    started: watch::Sender<bool>,
    /// A handshake had to wait for `start` and said so (once).
    warned_unstarted: AtomicBool,
    players: Mutex<BTreeMap<u64, Player>>,
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

/// A connection's place under the server's connection limits, given back when the connection ends.
pub(crate) struct ConnectionSlot {
    server: Arc<ServerShared>,
    address: Option<IpAddr>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Some(address) = self.address {
            let mut per_address = self.server.per_address.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(count) = per_address.get_mut(&address) {
                *count -= 1;
                if *count == 0 {
                    per_address.remove(&address);
                }
            }
        }
    }
}

/// Decrements the active-connection count when a connection task ends (it was counted when spawned).
struct PreCounted(Arc<ServerShared>);

impl Drop for PreCounted {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Accepts TCP connections until the task is aborted, handing each to the server under its connection limits.
async fn accept_loop(listener: TcpListener, server: Arc<ServerShared>) {
    loop {
        let (stream, addr) = tcp::accept(&listener).await;
        let Some(slot) = server.admit(Some(addr.ip())) else {
            drop(stream);
            continue;
        };
        let (reader, writer) = stream.into_split();
        server.spawn_connection(reader, writer, addr.to_string(), slot);
    }
}

/// Waits for a connection's writer to flush and end; one that cannot (a peer that does not read) is aborted.
async fn finish_writer(writer: tokio::task::JoinHandle<()>) {
    let abort = writer.abort_handle();
    if tokio::time::timeout(FLUSH_ON_CLOSE, writer).await.is_err() {
        abort.abort();
    }
}

/// How long a closing connection's writer may take to flush.
const FLUSH_ON_CLOSE: Duration = Duration::from_secs(1);

/// Settings for a [`Server`]. Every setting has a documented default.
#[derive(Clone)]
pub struct ServerBuilder {
    config: Config,
    auth: Option<AuthHook>,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder { config: Config::server(), auth: None }
    }
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder").field("config", &self.config).field("auth", &self.auth.is_some()).finish()
    }
}

impl ServerBuilder {
    config::shared_settings!(peer = "a client", handshake = "a client's handshake");

    /// The most connections the server holds at once, handshakes included; further ones are closed as soon as
    /// they are accepted, before their handshake. Default: 65,536.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.config.max_connections = connections;
        self
    }

    /// The most TCP connections the server holds at once from one IP address; further ones from that address are
    /// closed as soon as they are accepted. Default: no limit (players behind one NAT share an address).
    pub fn max_connections_per_address(mut self, connections: usize) -> Self {
        self.config.max_connections_per_address = Some(connections);
        self
    }

    /// The largest `HELLO` (the client's first frame: its token and, if it sends one, its interface table) the
    /// server reads; a longer one closes the connection before it is read. Kept apart from the frame limit so that
    /// connections still in their handshake hold little. Default: 64 KiB (an interface of about 1,500 remotes).
    pub fn max_handshake_len(mut self, bytes: usize) -> Self {
        self.config.max_handshake_len = bytes.clamp(64, u32::MAX as usize);
        self
    }

    /// Each client's receive budget: the frames and bytes per second its connection's reader takes from it (with a
    /// second's worth of burst). Over the budget the reader waits, so the client's data waits in its own transport;
    /// each wait is counted in [`Player::rate_limited`], and a client that stays over it for the flood grace is
    /// disconnected. `None` reads as fast as data comes (for trusted clients, or benchmarks). Default: 10,000
    /// frames and 1 MiB per second, see [`ReceiveRate`](crate::ReceiveRate).
    ///
    /// ```no_run
    /// # #[remotes_runtime::remotes] pub mod net { pub trait ServerEvents { fn upload(level: Vec<u8>); } }
    /// # async fn demo() -> std::io::Result<()> {
    /// use remotes_runtime::{ReceiveRate, Server};
    ///
    /// // A game whose clients upload level files: more bytes, fewer frames.
    /// let rate = ReceiveRate { frames_per_second: 2_000.0, bytes_per_second: 8.0 * 1024.0 * 1024.0 };
    /// let server = Server::builder().receive_rate(Some(rate)).bind::<net::Api>("127.0.0.1:0").await?;
    /// # Ok(()) }
    /// ```
    pub fn receive_rate(mut self, rate: Option<ReceiveRate>) -> Self {
        self.config.receive_rate = rate;
        self
    }

    /// How long a client may stay over its receive budget (every frame waiting for it) before it is disconnected.
    /// Checked at each keepalive tick. Default: 10 s.
    pub fn flood_grace(mut self, grace: Duration) -> Self {
        self.config.flood_grace = grace;
        self
    }

    /// Sets the authentication hook: it runs during each client's handshake (within the handshake deadline, before
    /// any remote is reachable) and accepts the client with player data, or refuses it with a reason the client
    /// receives as [`ConnectError::Rejected`](crate::ConnectError::Rejected). Without a hook every client is accepted.
    ///
    /// ```no_run
    /// # #[remotes_runtime::remotes] pub mod net { pub trait ServerFunctions { fn ping(); } }
    /// # async fn demo() -> std::io::Result<()> {
    /// use remotes_runtime::{Accept, Handshake, Reject, Server};
    ///
    /// let server = Server::builder()
    ///     .authenticate(|handshake: Handshake| async move {
    ///         match handshake.token.as_deref() {
    ///             Some("let-me-in") => Ok(Accept::new().name("alice")),
    ///             _ => Err(Reject::new("unknown token")),
    ///         }
    ///     })
    ///     .bind::<net::Api>("127.0.0.1:0")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn authenticate<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Handshake) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Accept, Reject>> + Send + 'static,
    {
        self.auth = Some(auth_hook(hook));
        self
    }

    /// Binds a TCP listener on `addr` for a server of interface `A` (the generated `net::Api`). Connections are
    /// accepted at once, and wait in their handshake until [`Server::start`]. Must be called within a tokio
    /// runtime.
    pub async fn bind<A: Api>(self, addr: impl ToSocketAddrs) -> io::Result<Server<A>> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let server = Server::<A>::new(self.config, self.auth, Some(local_addr));
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&server.shared)));
        *server.shared.lock_accept() = Some(task.abort_handle());
        tracing::debug!(%local_addr, "server listening");
        Ok(server)
    }

    /// A server of interface `A` without a socket: clients reach it with
    /// [`Client::connect_in_memory`](crate::Client::connect_in_memory).
    pub fn in_memory<A: Api>(self) -> Server<A> {
        Server::<A>::new(self.config, self.auth, None)
    }
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
    fn new(config: Config, auth: Option<AuthHook>, local_addr: Option<SocketAddr>) -> Server<A> {
        let boundary = Boundary::new(Side::Server, config.rejection_log_level, LogLimit::from_config(&config));
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

    /// The players connected right now, in the order they joined.
    pub fn players(&self) -> Vec<Player> {
        self.shared.connected_players()
    }

    /// The connected player with this id, if any.
    pub fn player(&self, id: u64) -> Option<Player> {
        self.shared.lock_players().get(&id).cloned()
    }

    /// Registers a callback that runs when a player has joined: after the handshake, before any of its requests
    /// is dispatched. The player is already in [`players`](Self::players). A panicking callback is logged.
    pub fn on_player_added(&self, callback: impl Fn(Player) + Send + Sync + 'static) {
        self.shared.on_added.write().unwrap_or_else(|p| p.into_inner()).push(Arc::new(callback));
    }

    /// Registers a callback that runs when a player's connection has closed, before it leaves
    /// [`players`](Self::players). Its pending calls have already settled `Disconnected`.
    pub fn on_player_removing(&self, callback: impl Fn(Player) + Send + Sync + 'static) {
        self.shared.on_removing.write().unwrap_or_else(|p| p.into_inner()).push(Arc::new(callback));
    }

    /// Shuts the server down gracefully: stops accepting, answers every call being handled with `Cancelled`,
    /// settles every call the server is waiting on (`Disconnected`), flushes what is queued, runs the
    /// player-removing callbacks, and returns once every connection task has ended. New handshakes are refused.
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

    /// Waits until the server is started, saying once (a warning) that a client is kept waiting for it.
    async fn started(&self, peer: &str) {
        let mut started = self.started.subscribe();
        if !*started.borrow() && !self.warned_unstarted.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                peer,
                "a client is waiting for this server to start: call `server.start()` once its callbacks are set"
            );
        }
        // The sender lives as long as `self`, so this only fails if the server is gone.
        let _ = started.wait_for(|started| *started).await;
    }

    /// The name of remote `index` of the interface, for logs.
    pub(crate) fn remote_name(&self, index: usize) -> &'static str {
        self.endpoint.remote_name(index)
    }

    /// Takes a place for a new connection from `address` (TCP) under the connection limits; `None` when the server
    /// already holds as many as it may (the connection is then closed at once).
    pub(crate) fn admit(self: &Arc<Self>, address: Option<IpAddr>) -> Option<ConnectionSlot> {
        if self.active.load(Ordering::Acquire) >= self.config.max_connections {
            tracing::warn!(?address, max = self.config.max_connections, "connection limit reached; connection closed");
            return None;
        }
        let address = match (address, self.config.max_connections_per_address) {
            (Some(address), Some(max)) => {
                let mut per_address = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
                let count = per_address.entry(address).or_insert(0);
                if *count >= max {
                    tracing::warn!(%address, max, "connection limit per address reached; connection closed");
                    return None;
                }
                *count += 1;
                Some(address)
            }
            _ => None,
        };
        Some(ConnectionSlot { server: Arc::clone(self), address })
    }

    /// Runs the handshake and then the connection task set for one accepted stream, in a task of its own.
    pub(crate) fn spawn_connection<Rd: ReadHalf, Wr: WriteHalf>(
        self: &Arc<Self>,
        reader: Rd,
        writer: Wr,
        peer: String,
        slot: ConnectionSlot,
    ) {
        let server = Arc::clone(self);
        // Counted before the task starts, so `shutdown` cannot miss a connection that is being spawned.
        self.active.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(async move {
            let counted = PreCounted(Arc::clone(&server));
            server.serve(reader, writer, peer).await;
            drop(slot);
            drop(counted);
        });
    }

    async fn serve<Rd: ReadHalf, Wr: WriteHalf>(self: Arc<Self>, mut reader: Rd, mut writer: Wr, peer: String) {
        let config = &self.config;
        let mut buf = BytesMut::new();
        let mut shutdown = self.shutdown.subscribe();
        let handshake = async {
            let hello = handshake::server_hello(&mut reader, &mut writer, &mut buf, config.max_handshake_len).await?;
            self.started(&peer).await;
            let accept = self.authenticate(&hello, &peer).await;
            Ok::<_, crate::ConnectError>((hello, accept))
        };
        let outcome = tokio::select! {
            biased;
            () = async { drop(shutdown.wait_for(|down| *down).await) } => {
                return handshake::reject(&mut writer, "the server is shutting down".into()).await;
            }
            outcome = tokio::time::timeout(config.handshake_timeout, handshake) => outcome,
        };
        let (hello, accept) = match outcome {
            Ok(Ok((hello, Ok(accept)))) => (hello, accept),
            Ok(Ok((_, Err(reject)))) => {
                tracing::debug!(%peer, reason = %reject, "authentication refused the client");
                return handshake::reject(&mut writer, reject.reason().to_string()).await;
            }
            Ok(Err(error)) => {
                if self.connection_log.admit("handshakes") {
                    tracing::debug!(%peer, %error, "handshake failed");
                }
                return;
            }
            Err(_) if !*self.started.borrow() => {
                tracing::debug!(%peer, "handshake timed out waiting for the server to start");
                return handshake::reject(&mut writer, "the server has not been started".into()).await;
            }
            Err(_) => {
                tracing::debug!(%peer, "handshake timed out");
                return handshake::reject(&mut writer, "the handshake did not finish in time".into()).await;
            }
        };
        if *self.shutdown.borrow() {
            return handshake::reject(&mut writer, "the server is shutting down".into()).await;
        }
        let endpoint = Arc::clone(&self.endpoint);
        let id = self.next_player.fetch_add(1, Ordering::Relaxed);
        let link = Link::new(
            LinkSettings {
                peer: format!("player {id}"),
                local_default: config.default_timeout,
                peer_default: announced(hello.timeout_ms, config.default_timeout),
                peer_max_frame: announced_max_frame(hello.max_frame, config.max_frame_len),
                max_in_flight: config.max_in_flight,
                queue_limits: QueueLimits { frames: config.max_queued_frames, bytes: config.max_queued_bytes },
                handles: Direction::ToServer,
                boundary: Arc::clone(&self.boundary),
                work: WorkLimits::from_config(config),
                log_limit: LogLimit::from_config(config),
            },
            Binding::identity(Arc::clone(&endpoint)),
        );
        // Nothing of the HELLO outlives the handshake.
        drop(hello);
        let welcome = Welcome {
            protocol: PROTOCOL_VERSION,
            player: id,
            timeout_ms: millis(config.default_timeout),
            max_frame: config.max_frame_len as u32,
            remotes: endpoint.interface().remotes().iter().map(WireRemote::from_def).collect(),
        };
        // The player is listed before its welcome leaves, so a client that has connected finds itself in `players()`.
        let player = Player::new(id, Arc::clone(&link), accept);
        link.set_player(&player);
        self.lock_players().insert(id, player.clone());
        // `shutdown` sets its flag before it sweeps the players: a player listed after the sweep sees the flag here.
        if *self.shutdown.borrow() {
            link.shutdown();
        }
        // The welcome is the first frame in the outbox, so it precedes anything sent to the player.
        link.outbox.with(|state| state.put(kind::WELCOME, &[], &encode_map(&welcome)));
        let writer = tokio::spawn(write_loop(Arc::clone(&link), writer));
        tracing::debug!(%peer, player = id, "player joined");
        self.run_callbacks(&self.on_added, &player, "player-added");

        let mut dispatcher = Dispatcher::new(Arc::clone(&link), Some(player.clone()));
        let stop = read_loop(&link, reader, buf, ReadLimits::from_config(config), &mut dispatcher).await;
        log_stop(&link.peer, &stop, &self.connection_log);
        link.close();
        self.run_callbacks(&self.on_removing, &player, "player-removing");
        let _removed = self.lock_players().remove(&id); // Bound: dropped after the lock, with the game's player data.
        // The writer flushes what is queued (replies to abandoned calls, on shutdown) and ends; a peer that does not
        // read gets a second to take it.
        finish_writer(writer).await;
    }

    /// Runs the authentication hook, if any. A hook that panics refuses the client.
    async fn authenticate(&self, hello: &Hello, peer: &str) -> Result<Accept, Reject> {
        let Some(hook) = &self.auth else {
            return Ok(Accept::new());
        };
        let mismatches = hello.remotes.as_ref().map(|table| self.endpoint.interface().mismatches(table));
        let handshake = Handshake { token: hello.token.clone(), peer: peer.to_string(), mismatches };
        let Ok(verdict) = std::panic::catch_unwind(AssertUnwindSafe(|| hook(handshake))) else {
            tracing::error!(peer, "authentication hook panicked");
            return Err(Reject::new("authentication failed"));
        };
        match (CatchUnwind { inner: verdict }).await {
            Ok(verdict) => verdict,
            Err(_) => {
                tracing::error!(peer, "authentication hook panicked");
                Err(Reject::new("authentication failed"))
            }
        }
    }

    /// Stops accepting, abandons every call being handled (answered `Cancelled`), settles every pending call
    /// (`Disconnected`), runs the player-removing callbacks and waits for every connection task to end.
    pub(crate) async fn shutdown(&self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.lock_accept().take() {
            task.abort();
        }
        for player in self.connected_players() {
            player.link().shutdown();
        }
        loop {
            let idle = self.idle.notified();
            if self.active.load(Ordering::Acquire) == 0 {
                break;
            }
            idle.await;
        }
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
