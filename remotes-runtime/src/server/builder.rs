//! Settings for a server, and making one.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};

use crate::api::Api;
use crate::auth::{Accept, AuthHook, Handshake, auth_hook};
use crate::bus::{Adapter, ClusterSettings};
use crate::config::{self, Config, ReceiveRate};
use crate::middleware::Reject;

use super::Server;
use super::connections::{Listening, accept_loop};

/// Settings for a [`Server`]. Every setting has a documented default.
#[derive(Clone)]
pub struct ServerBuilder {
    config: Config,
    auth: Option<AuthHook>,
    cluster: Option<Joining>,
    cluster_settings: ClusterSettings,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::ServerTls>,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            config: Config::server(),
            auth: None,
            cluster: None,
            cluster_settings: ClusterSettings::default(),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder").field("config", &self.config).field("auth", &self.auth.is_some()).finish()
    }
}

/// A cluster to join, given to [`ServerBuilder::cluster`].
#[derive(Clone)]
pub(crate) struct Joining {
    pub(crate) adapter: Arc<dyn Adapter>,
    pub(crate) name: String,
}

impl ServerBuilder {
    config::shared_settings!(peer = "a client", handshake = "a client's handshake");

    /// Makes the server a node of cluster `name` on the bus `adapter` (see [`crate::cluster`]): its player ids
    /// become unique across the cluster, and `broadcast`, `except`, room events, `fire` and `invoke` reach the
    /// players of every node. Nodes of one cluster serve the same interface.
    ///
    /// The node joins when the server is made (`bind`, `bind_websocket` or `in_memory`, within a tokio runtime)
    /// and serves its own players whatever the bus does. Settings: [`cluster_settings`](Self::cluster_settings).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use remotes_runtime::{Server, cluster::MemoryBus};
    ///
    /// let bus = MemoryBus::new(); // or `remotes_runtime::cluster::Nats::connect("nats://127.0.0.1:4222").await?`
    /// let server = Server::builder().cluster(bus.connect(), "world-1").bind::<remotes_runtime::example::shop::Api>("0.0.0.0:7000").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    ///
    /// When `name` cannot be part of a bus subject: it must be 1 to 64 ASCII letters, digits, `-` or `_`.
    pub fn cluster(mut self, adapter: impl Adapter, name: &str) -> Self {
        assert!(
            crate::bus::valid_name(name),
            "`{name}` cannot name a cluster: use 1 to 64 ASCII letters, digits, `-` and `_`"
        );
        self.cluster = Some(Joining { adapter: Arc::new(adapter), name: name.to_string() });
        self
    }

    /// The timings and limits of the cluster this server joins (see [`ClusterSettings`]; its defaults otherwise).
    /// Without [`cluster`](Self::cluster) it does nothing.
    pub fn cluster_settings(mut self, settings: ClusterSettings) -> Self {
        self.cluster_settings = settings;
        self
    }

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
    /// each wait is counted in [`Player::rate_limited`](crate::Player::rate_limited), and a client that stays over it for the flood grace is
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
        self.listen::<A>(addr, false).await
    }

    /// Binds a WebSocket listener: a server of interface `A` that clients reach with `ws://` URLs (any path), from
    /// a browser or with [`ClientBuilder::connect_websocket`](crate::ClientBuilder::connect_websocket). Every
    /// setting, limit and behaviour is as over TCP; the upgrade counts against the handshake deadline, and an HTTP
    /// request that is not a WebSocket upgrade is answered `426 Upgrade Required`.
    ///
    /// ```no_run
    /// # use remotes_runtime::{remotes, Server};
    /// # #[remotes] pub mod net { pub trait ServerFunctions { fn ping(); } }
    /// # async fn demo() -> std::io::Result<()> {
    /// let server = Server::builder().bind_websocket::<net::Api>("0.0.0.0:8080").await?;
    /// server.start();
    /// # Ok(()) }
    /// ```
    pub async fn bind_websocket<A: Api>(self, addr: impl ToSocketAddrs) -> io::Result<Server<A>> {
        self.listen::<A>(addr, true).await
    }

    /// Binds a TCP listener that speaks WebSocket (`websocket`) or not, with TLS if it is set, and starts accepting.
    async fn listen<A: Api>(self, addr: impl ToSocketAddrs, websocket: bool) -> io::Result<Server<A>> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let listening = Listening {
            websocket,
            #[cfg(feature = "tls")]
            tls: self.tls.as_ref().map(|tls| Arc::clone(&tls.config)),
        };
        let server = Server::<A>::new(
            self.config,
            self.auth,
            Some(local_addr),
            self.cluster.map(|c| (c, self.cluster_settings)),
        );
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&server.shared), listening));
        *server.shared.lock_accept() = Some(task.abort_handle());
        tracing::debug!(%local_addr, websocket, "server listening");
        Ok(server)
    }

    /// Serves TLS on the listeners this builder binds (feature `tls`): TCP with [`bind`](Self::bind), `wss://`
    /// with [`bind_websocket`](Self::bind_websocket). A client that does not speak TLS is answered in plaintext
    /// (a `REJECT` naming the cause; over WebSocket, HTTP `400`). In-memory servers ignore it.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::ServerTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// A server of interface `A` without a socket: clients reach it with
    /// [`Client::connect_in_memory`](crate::Client::connect_in_memory).
    pub fn in_memory<A: Api>(self) -> Server<A> {
        Server::<A>::new(self.config, self.auth, None, self.cluster.map(|c| (c, self.cluster_settings)))
    }
}
