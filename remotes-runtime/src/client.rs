//! The client: one connection to a server, over TCP, WebSocket, TLS or in-process. Its settings, and making the
//! connection, are in `client/builder.rs`.

mod builder;

pub use builder::ClientBuilder;

use std::future::Future;
use std::sync::{Arc, Weak};

use tokio::net::ToSocketAddrs;

use crate::api::Api;
use crate::boundary::Boundary;
use crate::config::Config;
use crate::endpoint::Endpoint;
use crate::hooks::{BadRequestReport, BadResponseReport};
use crate::link::Link;
use crate::middleware::{Reject, Request};
use crate::server::{Server, ServerShared};
use crate::{ConnectError, FunctionError};

/// A connection to a server, made for one interface (`A`, the `Api` struct `#[remotes]` generates): its typed
/// handles are [`remotes`](Client::remotes) from the moment `connect` returns.
///
/// Dropping the `Client` closes the connection; calls still pending settle `Disconnected`.
///
/// ```no_run
/// # use remotes_runtime::remotes;
/// # #[remotes] pub mod net { pub trait ServerFunctions { fn ping() -> u32; } }
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use remotes_runtime::Client;
/// use std::time::Duration;
///
/// let client = Client::builder().default_timeout(Duration::from_secs(2)).connect::<net::Api>("127.0.0.1:7777").await?;
/// println!("connected as player {}", client.player_id());
/// let pong = client.remotes().functions.ping.invoke().await?;
/// # Ok(()) }
/// ```
///
/// `Client` without its parameter is `Client<()>`, a client of the empty interface; it names the constructors
/// ([`Client::connect`], [`Client::connect_in_memory`], [`Client::builder`]), which pick the interface.
pub struct Client<A: Api = ()> {
    pub(super) shared: Arc<ClientShared>,
    pub(super) remotes: A::Client,
}

pub(crate) struct ClientShared {
    pub(crate) config: Config,
    pub(crate) boundary: Arc<Boundary>,
    link: Arc<Link>,
    player_id: u64,
    endpoint: Arc<Endpoint>,
    /// Local index -> the server's id for that remote, or the error a call to it settles with.
    outgoing: Box<[Result<u32, FunctionError>]>,
    /// The settings and the way this client connected, for `reconnect`.
    builder: ClientBuilder,
    dial: Dial,
}

/// How a client reached its server.
pub(super) enum Dial {
    Tcp(std::net::SocketAddr),
    #[cfg(feature = "tls")]
    Tls(String),
    WebSocket(String),
    Memory(Weak<ServerShared>),
}

impl Client {
    /// Connects to a server over TCP with default settings, as a client of interface `A` (the generated
    /// `net::Api`): `Client::connect::<net::Api>(addr)`.
    pub async fn connect<A: Api>(addr: impl ToSocketAddrs) -> Result<Client<A>, ConnectError> {
        ClientBuilder::default().connect::<A>(addr).await
    }

    /// Connects to `server` in-process with default settings: no sockets, the same behaviour as TCP. The interface
    /// is the server's; the future does not borrow `server`, so it can be spawned.
    pub fn connect_in_memory<A: Api>(
        server: &Server<A>,
    ) -> impl Future<Output = Result<Client<A>, ConnectError>> + Send + 'static {
        ClientBuilder::default().connect_in_memory(server)
    }

    /// Settings for a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

impl<A: Api> Client<A> {
    /// The interface's typed handles on this client: `client.remotes().functions.buy_item.invoke(7, 2)`,
    /// `client.remotes().events.chat.fire(..)`. Clones share the same callbacks and listeners.
    pub fn remotes(&self) -> &A::Client {
        &self.remotes
    }

    /// The id the server gave this client's player (the server's `Player::id`).
    pub fn player_id(&self) -> u64 {
        self.shared.player_id
    }

    /// `true` while the connection is open; `false` from the moment [`close`](Self::close) or
    /// [`closed`](Self::closed) returns. When the server shuts down or drops the connection, a client learns of it
    /// when its transport reports the end (over a network, some time after the server's `shutdown` returned):
    /// await `closed()` to know.
    pub fn is_connected(&self) -> bool {
        !self.shared.link.is_closed()
    }

    /// Resolves once the connection has closed (the server left, the transport failed, or [`close`](Self::close)).
    pub async fn closed(&self) {
        self.shared.link.closed().await;
    }

    /// Connects again, to the same server with the same settings and interface, and returns the new client (with
    /// handles of its own: set its callbacks and listeners again). This client stays as it is.
    ///
    /// Calls that were in flight when a connection was lost settle `Disconnected` and are not replayed: the server
    /// may or may not have run them, so only the game knows whether repeating one is safe. Events queued but not
    /// yet written are lost with the connection.
    ///
    /// ```no_run
    /// # async fn demo(client: remotes_runtime::Client) -> Result<(), remotes_runtime::ConnectError> {
    /// client.closed().await;
    /// let client = client.reconnect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn reconnect(&self) -> Result<Client<A>, ConnectError> {
        let builder = self.shared.builder.clone();
        match &self.shared.dial {
            Dial::Tcp(addr) => builder.connect::<A>(*addr).await,
            #[cfg(feature = "tls")]
            Dial::Tls(addr) => builder.connect_tls::<A>(addr).await,
            Dial::WebSocket(url) => builder.connect_websocket::<A>(url).await,
            Dial::Memory(server) => match server.upgrade() {
                Some(server) => builder.connect_to_shared::<A>(&server).await,
                None => Err(ConnectError::Io(std::io::ErrorKind::NotConnected.into())),
            },
        }
    }

    /// Resolves once everything this client queued so far (events, calls, replies) has been written to the
    /// transport, or the connection has closed. Use it before [`close`](Self::close) (or before exiting) so fired
    /// events are not lost with the connection.
    ///
    /// ```no_run
    /// # async fn demo(client: remotes_runtime::Client) {
    /// client.flush().await;
    /// client.close();
    /// # }
    /// ```
    pub async fn flush(&self) {
        self.shared.link.outbox.flushed().await;
    }

    /// Closes the connection. Pending calls settle `Disconnected`; queued frames not yet written are dropped (see
    /// [`flush`](Self::flush)).
    pub fn close(&self) {
        self.shared.link.close();
    }

    /// Per-remote figures of this client since it connected (calls made and handled, errors by kind, bytes, events,
    /// p50/p99), in declaration order; see [`crate::telemetry`].
    pub fn stats(&self) -> Vec<crate::telemetry::RemoteStats> {
        self.shared.stats()
    }

    /// Hands the figures counted since the last time to the `metrics` recorder now, rather than at the next
    /// [`metrics_interval`](crate::ClientBuilder::metrics_interval) (dropping the client does it too).
    pub fn flush_metrics(&self) {
        self.shared.endpoint.telemetry().publish();
    }

    /// How many calls this client made that await a reply (its pending-call table). Settled calls never linger.
    pub fn pending_calls(&self) -> usize {
        self.shared.link.pending.len()
    }

    /// How many of the server's calls this client is handling right now.
    pub fn calls_in_flight(&self) -> usize {
        self.shared.link.in_flight()
    }

    /// Adds a global middleware: it sees every request and event from the server after validation, before
    /// per-remote middleware and the callback or listeners, in registration order. `Err(Reject)` settles a call
    /// `Cancelled` at the server and drops an event.
    pub fn middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Reject>> + Send + 'static,
    {
        self.shared.boundary.add_middleware(Arc::new(move |request| Box::pin(middleware(request))));
    }

    /// Registers a hook told of every request or event from the server that this client rejected because its
    /// arguments did not decode as declared or broke a declared constraint.
    pub fn on_bad_request(&self, hook: impl Fn(&BadRequestReport) + Send + Sync + 'static) {
        self.shared.boundary.on_bad_request(Arc::new(hook));
    }

    /// Registers a hook told of every reply from the server that did not decode as the declared return type (the
    /// call settled `InvalidResult`).
    pub fn on_bad_response(&self, hook: impl Fn(&BadResponseReport) + Send + Sync + 'static) {
        self.shared.boundary.on_bad_response(Arc::new(hook));
    }
}

impl<A: Api> std::fmt::Debug for Client<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("interface", &self.shared.endpoint.interface().name())
            .field("player_id", &self.shared.player_id)
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl<A: Api> Drop for Client<A> {
    fn drop(&mut self) {
        self.shared.link.close();
        // Callbacks often capture handles that hold this client's state: clearing them breaks that cycle.
        self.shared.endpoint.clear();
    }
}

impl ClientShared {
    /// This client's per-remote figures (see [`crate::telemetry`]).
    pub(crate) fn stats(&self) -> Vec<crate::telemetry::RemoteStats> {
        self.endpoint.telemetry().snapshot()
    }

    pub(crate) fn endpoint(&self) -> &Arc<Endpoint> {
        &self.endpoint
    }

    /// The server's id for local remote `index`, or the error a call to it settles with.
    pub(crate) fn outgoing_id(&self, index: usize) -> Result<u32, FunctionError> {
        self.outgoing[index].inspect_err(|_| {
            tracing::error!(
                remote = self.endpoint.remote_name(index),
                "the server declares this remote differently (or not at all); call not sent"
            );
        })
    }

    /// The name of remote `index` of the interface, for logs.
    pub(crate) fn remote_name(&self, index: usize) -> &'static str {
        self.endpoint.remote_name(index)
    }

    pub(crate) fn link(&self) -> &Arc<Link> {
        &self.link
    }
}
