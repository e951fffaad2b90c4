//! The client's settings, and making its connection over each transport: the handshake, then the connection's
//! tasks.

use std::future::Future;
use std::sync::Arc;

use tokio::net::ToSocketAddrs;

use super::{Client, ClientShared, Dial};
use crate::ConnectError;
use crate::api::Api;
use crate::binding::Binding;
use crate::boundary::{Boundary, Side};
use crate::config::{self, Config, DEFAULT_MEMORY_PIPE_BYTES, millis};
use crate::connection::{ReadLimits, log_stop, read_loop, write_loop};
use crate::dispatch::Dispatcher;
use crate::endpoint::Endpoint;
use crate::handshake::{self, announced, announced_max_frame};
use crate::link::{Link, LinkSettings};
use crate::log_limit::LogLimit;
use crate::outbox::QueueLimits;
use crate::server::{Server, ServerShared};
use crate::transport::{ReadHalf, WriteHalf, memory, tcp, websocket};
use crate::wire::message::{Hello, PROTOCOL_VERSION, WireRemote};
use crate::work::WorkLimits;

/// Settings for a [`Client`]. Every setting has a documented default.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    config: Config,
    exact_interface: bool,
    memory_pipe_bytes: usize,
    token: Option<String>,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::ClientTls>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            config: Config::default(),
            exact_interface: false,
            memory_pipe_bytes: DEFAULT_MEMORY_PIPE_BYTES,
            token: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ClientBuilder {
    config::shared_settings!(peer = "the server", handshake = "connecting (transport and handshake)");

    /// Refuses to connect unless the server declares every remote exactly as this client's interface does:
    /// `connect` then fails with [`ConnectError::InterfaceMismatch`] naming each remote that differs. The client's
    /// table is sent in the handshake, so the server's authentication hook sees the differences too
    /// ([`Handshake::mismatches`](crate::Handshake::mismatches)).
    ///
    /// Without it a client and a server built from different versions of the interface use what they share: each
    /// difference is logged when the client connects, and calls to such a remote settle at once (`BadRequest` for
    /// a different signature, `Unprocessed` for a remote the server lacks) instead of being mis-decoded.
    pub fn exact_interface(mut self) -> Self {
        self.exact_interface = true;
        self
    }

    /// A token the server's authentication hook receives in the handshake (a session ticket, a signed login).
    pub fn auth_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The buffer of each direction of an in-process connection. Default: 256 KiB.
    pub fn memory_pipe_bytes(mut self, bytes: usize) -> Self {
        self.memory_pipe_bytes = bytes.max(1);
        self
    }

    /// Connects to a server over TCP, as a client of interface `A` (the generated `net::Api`).
    pub async fn connect<A: Api>(self, addr: impl ToSocketAddrs) -> Result<Client<A>, ConnectError> {
        let deadline = self.config.handshake_timeout;
        let connecting = async {
            let (reader, writer) = tcp::connect(addr).await?;
            let dial = Dial::Tcp(reader.peer_addr()?);
            self.establish::<A, _, _>(reader, writer, dial).await
        };
        tokio::time::timeout(deadline, connecting).await.map_err(|_| ConnectError::HandshakeTimeout)?
    }

    /// The authorities this client trusts for TLS (feature `tls`): [`connect_tls`](Self::connect_tls) and `wss://`
    /// URLs. Default: the platform's trust store, read when the client connects.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: crate::tls::ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// The TLS settings to connect with: the ones given, or the platform's trusted authorities.
    #[cfg(feature = "tls")]
    fn tls_config(&self) -> Result<std::sync::Arc<tokio_rustls::rustls::ClientConfig>, ConnectError> {
        match &self.tls {
            Some(tls) => Ok(std::sync::Arc::clone(&tls.config)),
            None => crate::tls::ClientTls::platform_roots()
                .map(|tls| tls.config)
                .map_err(|error| ConnectError::Tls(crate::TlsFailure::Other(error.to_string()))),
        }
    }

    /// Connects to a server over TLS on TCP (feature `tls`), as a client of interface `A`: `addr` is
    /// `host:port`, and the server's certificate must be valid for `host` and signed by an authority this client
    /// trusts ([`tls`](Self::tls)). A failed TLS handshake is [`ConnectError::Tls`], saying why.
    #[cfg(feature = "tls")]
    pub async fn connect_tls<A: Api>(self, addr: &str) -> Result<Client<A>, ConnectError> {
        let deadline = self.config.handshake_timeout;
        let connecting = async {
            let config = self.tls_config()?;
            let stream = tcp::connect_stream(addr).await?;
            let stream = crate::transport::tls::connect(stream, addr, &config).await.map_err(ConnectError::Tls)?;
            let (reader, writer) = tokio::io::split(stream);
            self.establish::<A, _, _>(reader, writer, Dial::Tls(addr.to_string())).await
        };
        tokio::time::timeout(deadline, connecting).await.map_err(|_| ConnectError::HandshakeTimeout)?
    }

    /// Connects to a server over WebSocket, as a client of interface `A`: `url` is `ws://host:port/path` (the
    /// path the server serves remotes on; a standalone WebSocket server answers on any path), or `wss://...` for
    /// WebSocket over TLS (feature `tls`; trust as for `connect_tls`).
    ///
    /// ```no_run
    /// # use remotes_runtime::{remotes, Client};
    /// # #[remotes] pub mod net { pub trait ServerFunctions { fn ping(); } }
    /// # async fn demo() -> Result<(), remotes_runtime::ConnectError> {
    /// let client = Client::builder().connect_websocket::<net::Api>("ws://127.0.0.1:8080/remotes").await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_websocket<A: Api>(self, url: &str) -> Result<Client<A>, ConnectError> {
        let deadline = self.config.handshake_timeout;
        let max_frame = self.config.max_frame_len;
        let opened = |error| match error {
            websocket::OpenError::Io(error) => ConnectError::Io(error),
            other => ConnectError::WebSocket(other.to_string()),
        };
        let connecting = async {
            let (authority, secure) = websocket_host(url)?;
            let stream = tcp::connect_stream(&authority).await?;
            let dial = Dial::WebSocket(url.to_string());
            if secure {
                #[cfg(feature = "tls")]
                {
                    let config = self.tls_config()?;
                    let stream =
                        crate::transport::tls::connect(stream, &authority, &config).await.map_err(ConnectError::Tls)?;
                    let (reader, writer) = websocket::connect(url, stream, max_frame).await.map_err(opened)?;
                    return self.establish::<A, _, _>(reader, writer, dial).await;
                }
                #[cfg(not(feature = "tls"))]
                return Err(ConnectError::WebSocket(format!(
                    "`{url}` needs TLS: build remotes-runtime with its `tls` feature"
                )));
            }
            let (reader, writer) = websocket::connect(url, stream, max_frame).await.map_err(opened)?;
            self.establish::<A, _, _>(reader, writer, dial).await
        };
        tokio::time::timeout(deadline, connecting).await.map_err(|_| ConnectError::HandshakeTimeout)?
    }

    /// Connects to `server` in-process: no sockets, the same protocol and behaviour as TCP. The future does not
    /// borrow `server`, so it can be spawned.
    pub fn connect_in_memory<A: Api>(
        self,
        server: &Server<A>,
    ) -> impl Future<Output = Result<Client<A>, ConnectError>> + Send + 'static {
        let server = Arc::clone(server.shared());
        async move { self.connect_to_shared::<A>(&server).await }
    }

    /// Connects to `server` in-process as a client of another interface `A` than the server's (another version of
    /// it): what the two share works, what differs is refused (see [`exact_interface`](Self::exact_interface)).
    pub fn connect_in_memory_as<A: Api, S: Api>(
        self,
        server: &Server<S>,
    ) -> impl Future<Output = Result<Client<A>, ConnectError>> + Send + 'static {
        let server = Arc::clone(server.shared());
        async move { self.connect_to_shared::<A>(&server).await }
    }

    pub(super) async fn connect_to_shared<A: Api>(self, server: &Arc<ServerShared>) -> Result<Client<A>, ConnectError> {
        let (client_end, server_end) = memory::pair(self.memory_pipe_bytes);
        // Refused under the server's connection limit: dropping the server's end closes the pipe, and the handshake
        // below fails.
        match server.admit(None) {
            Some(slot) => server.spawn_connection(server_end.reader, server_end.writer, "in-memory".to_string(), slot),
            None => drop(server_end),
        }
        let deadline = self.config.handshake_timeout;
        let dial = Dial::Memory(Arc::downgrade(server));
        tokio::time::timeout(deadline, self.establish::<A, _, _>(client_end.reader, client_end.writer, dial))
            .await
            .map_err(|_| ConnectError::HandshakeTimeout)?
    }

    async fn establish<A: Api, Rd: ReadHalf, Wr: WriteHalf>(
        self,
        mut reader: Rd,
        mut writer: Wr,
        dial: Dial,
    ) -> Result<Client<A>, ConnectError> {
        let builder = self.clone();
        let interface = A::interface();
        let config = self.config;
        let hello = Hello {
            protocol: PROTOCOL_VERSION,
            timeout_ms: millis(config.default_timeout),
            max_frame: config.max_frame_len as u32,
            token: self.token.clone(),
            remotes: self.exact_interface.then(|| interface.remotes().iter().map(WireRemote::from_def).collect()),
        };
        let (welcome, buf) = handshake::client(&mut reader, &mut writer, &hello, config.max_frame_len).await?;
        let mismatches = crate::wire::message::mismatches(interface, &welcome.remotes);
        if self.exact_interface && !mismatches.is_empty() {
            return Err(ConnectError::InterfaceMismatch(mismatches));
        }
        let boundary = Boundary::new(
            Side::Client,
            config.rejection_log_level,
            LogLimit::from_config(&config),
            interface,
            config.metrics_interval,
        );
        let endpoint = Arc::new(Endpoint::new(Side::Client, interface, config.event_queue_len, Arc::clone(&boundary)));
        match &dial {
            Dial::Tcp(addr) => endpoint.telemetry().set_address(addr.to_string()),
            #[cfg(feature = "tls")]
            Dial::Tls(addr) => endpoint.telemetry().set_address(addr.clone()),
            Dial::WebSocket(url) => endpoint.telemetry().set_address(url.clone()),
            Dial::Memory(_) => {}
        }
        let (binding, outgoing) = Binding::to_server(Arc::clone(&endpoint), &welcome.remotes, &mismatches);
        let link = Link::new(LinkSettings {
            peer: "server".to_string(),
            local_default: config.default_timeout,
            peer_default: announced(welcome.timeout_ms, config.default_timeout),
            peer_max_frame: announced_max_frame(welcome.max_frame, config.max_frame_len),
            max_in_flight: config.max_in_flight,
            queue_limits: QueueLimits { frames: config.max_queued_frames, bytes: config.max_queued_bytes },
            work: WorkLimits::from_config(&config),
            log_limit: LogLimit::from_config(&config),
            telemetry: Some(Arc::clone(endpoint.telemetry())),
        });
        let shared = Arc::new(ClientShared {
            boundary,
            config,
            link: Arc::clone(&link),
            player_id: welcome.player,
            endpoint,
            outgoing,
            builder,
            dial,
        });
        let remotes = A::__client(crate::__private::ClientEndpoint::new(&shared));
        tokio::spawn(write_loop(Arc::clone(&link), writer));
        tokio::spawn(Arc::clone(&link).expire_calls());
        let limits = ReadLimits::from_config(&shared.config);
        let telemetry = Arc::clone(shared.endpoint().telemetry());
        tokio::spawn(async move {
            let mut dispatcher = Dispatcher::new(Arc::clone(&link), binding, None);
            let stop = read_loop(&link, reader, buf, limits, &mut dispatcher).await;
            log_stop(&link.peer, &stop, &link.log_limit);
            link.close();
            telemetry.stop_publishing();
        });
        Ok(Client { shared, remotes })
    }
}

/// The `host:port` a `ws://` or `wss://` URL names (port 80 or 443 when it names none), and whether it is `wss://`.
fn websocket_host(url: &str) -> Result<(String, bool), ConnectError> {
    let (rest, secure) = match (url.strip_prefix("ws://"), url.strip_prefix("wss://")) {
        (Some(rest), _) => (rest, false),
        (_, Some(rest)) => (rest, true),
        _ => return Err(ConnectError::WebSocket(format!("`{url}` is not a ws:// or wss:// URL"))),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(ConnectError::WebSocket(format!("`{url}` names no host")));
    }
    let has_port = match authority.rfind(']') {
        Some(bracket) => authority[bracket..].contains(':'),
        None => authority.contains(':'),
    };
    let port = if secure { 443 } else { 80 };
    Ok((if has_port { authority.to_string() } else { format!("{authority}:{port}") }, secure))
}
