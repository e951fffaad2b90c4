//! The server's connections: the accept loop, the connection limits, the handshake (waiting for `start`, the
//! authentication hook) and the connection task set of each player.

use std::future::Future;
use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::auth::{Accept, Handshake};
use crate::binding::Binding;
use crate::config::millis;
use crate::connection::{ReadLimits, Stop, log_stop, read_loop, write_loop};
use crate::dispatch::Dispatcher;
use crate::handshake::{self, announced, announced_max_frame};
use crate::link::{Link, LinkSettings};
use crate::log_limit::LogLimit;
use crate::middleware::Reject;
use crate::outbox::QueueLimits;
use crate::player::Player;
use crate::telemetry::names;
use crate::transport::{ReadHalf, WriteHalf, tcp, websocket};
use crate::user_code::CatchUnwind;
use crate::wire::message::{Hello, PROTOCOL_VERSION, Welcome, WireRemote, encode_map, kind};
use crate::work::WorkLimits;

use super::ServerShared;

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

/// What a listener speaks on top of TCP: WebSocket or not, TLS or not.
#[derive(Clone)]
pub(super) struct Listening {
    pub(super) websocket: bool,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

/// Accepts connections until the task is aborted, handing each to the server under its connection limits. What the
/// transport does to open one (the TLS handshake, the WebSocket upgrade) runs in the connection's own task, within
/// the handshake deadline.
pub(super) async fn accept_loop(listener: TcpListener, server: Arc<ServerShared>, listening: Listening) {
    loop {
        let (stream, addr) = tcp::accept(&listener).await;
        let Some(slot) = server.admit(Some(addr.ip())) else {
            drop(stream);
            continue;
        };
        server.open(stream, addr.to_string(), slot, &listening);
    }
}

impl ServerShared {
    /// Opens one accepted stream as `listening` says, in a task of its own.
    fn open(
        self: &Arc<Self>,
        stream: tokio::net::TcpStream,
        peer: String,
        slot: ConnectionSlot,
        listening: &Listening,
    ) {
        #[cfg(feature = "tls")]
        if let Some(config) = &listening.tls {
            return self.open_tls(stream, peer, slot, Arc::clone(config), listening.websocket);
        }
        if listening.websocket {
            let max_frame = self.config.max_frame_len;
            let open = async move { websocket::accept(stream, max_frame).await.map_err(|error| error.to_string()) };
            self.spawn_opening(open, peer, slot);
        } else {
            let (reader, writer) = stream.into_split();
            self.spawn_connection(reader, writer, peer, slot);
        }
    }

    /// Opens a stream accepted on a TLS port (TCP, or carrying WebSocket). A client that does not start with a TLS
    /// handshake is answered in plaintext, in its own protocol: a `REJECT`, or HTTP `400`.
    #[cfg(feature = "tls")]
    fn open_tls(
        self: &Arc<Self>,
        stream: tokio::net::TcpStream,
        peer: String,
        slot: ConnectionSlot,
        config: Arc<tokio_rustls::rustls::ServerConfig>,
        websocket: bool,
    ) {
        use crate::transport::tls::{self, Accepted};
        const REQUIRES_TLS: &str = "this server requires TLS";
        let max_frame = self.config.max_frame_len;
        if websocket {
            let open = async move {
                match tls::accept(stream, &config).await.map_err(|error| error.to_string())? {
                    Accepted::Tls(stream) => websocket::accept(*stream, max_frame).await.map_err(|e| e.to_string()),
                    Accepted::Plaintext(stream) => {
                        let text = "this server requires TLS: connect with wss://\n";
                        let response = format!(
                            "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\n\
                             Content-Length: {}\r\n\r\n{text}",
                            text.len()
                        );
                        Err(answer_plaintext(stream, response.as_bytes()).await)
                    }
                }
            };
            self.spawn_opening(open, peer, slot);
        } else {
            let open = async move {
                match tls::accept(stream, &config).await.map_err(|error| error.to_string())? {
                    Accepted::Tls(stream) => Ok(tokio::io::split(*stream)),
                    Accepted::Plaintext(stream) => {
                        let mut reject = Vec::new();
                        handshake::reject(&mut reject, REQUIRES_TLS.to_string()).await;
                        Err(answer_plaintext(stream, &reject).await)
                    }
                }
            };
            self.spawn_opening(open, peer, slot);
        }
    }
}

/// Answers a plaintext client of a TLS port, closes the stream, and waits (briefly) for the client to close its
/// end, so that it reads the answer rather than a reset.
#[cfg(feature = "tls")]
async fn answer_plaintext(stream: tokio::net::TcpStream, answer: &[u8]) -> String {
    use tokio::io::AsyncWriteExt;
    let (mut reader, mut writer) = stream.into_split();
    let _ = writer.write_all(answer).await;
    let _ = writer.shutdown().await;
    linger(&mut reader).await;
    "a client that does not speak TLS, on a TLS port; answered in plaintext".to_string()
}

/// Waits for a connection's writer to flush and end; one that cannot (a peer that does not read) is aborted.
async fn finish_writer(writer: tokio::task::JoinHandle<()>) {
    let abort = writer.abort_handle();
    if tokio::time::timeout(FLUSH_ON_CLOSE, writer).await.is_err() {
        abort.abort();
    }
}

/// How long a closing connection's writer may take to flush, and then how long a client the server disconnected
/// may take to close its end.
const FLUSH_ON_CLOSE: Duration = Duration::from_secs(1);

/// Reads (and drops) what the peer still sends until it closes its end, for at most `FLUSH_ON_CLOSE`.
async fn linger(reader: &mut (impl AsyncRead + Unpin)) {
    let mut scrap = [0u8; 1024];
    let drained = async { while matches!(reader.read(&mut scrap).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(FLUSH_ON_CLOSE, drained).await;
}

impl ServerShared {
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
        self.spawn_opening(std::future::ready(Ok((reader, writer))), peer, slot);
    }

    /// Like `spawn_connection`, for a transport that opens the connection itself first (the WebSocket upgrade):
    /// `open` runs in the connection's task, within the handshake deadline.
    pub(crate) fn spawn_opening<Rd, Wr, Open>(self: &Arc<Self>, open: Open, peer: String, slot: ConnectionSlot)
    where
        Rd: ReadHalf,
        Wr: WriteHalf,
        Open: Future<Output = Result<(Rd, Wr), String>> + Send + 'static,
    {
        let server = Arc::clone(self);
        // Counted before the task starts, so `shutdown` cannot miss a connection that is being spawned.
        self.active.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(async move {
            let counted = PreCounted(Arc::clone(&server));
            let deadline = Instant::now() + server.config.handshake_timeout;
            match tokio::time::timeout_at(deadline, open).await {
                Ok(Ok((reader, writer))) => server.serve(reader, writer, peer, slot, deadline).await,
                Ok(Err(error)) => tracing::debug!(%peer, %error, "the transport could not open the connection"),
                Err(_) => tracing::debug!(%peer, "the transport did not open the connection in time"),
            }
            drop(counted);
        });
    }

    /// `slot` is the connection's place under the limits: given back when its player leaves (before the writer's
    /// last flush), so a player no longer in `players()` no longer counts against `max_connections_per_address`.
    async fn serve<Rd: ReadHalf, Wr: WriteHalf>(
        self: Arc<Self>,
        mut reader: Rd,
        mut writer: Wr,
        peer: String,
        slot: ConnectionSlot,
        deadline: Instant,
    ) {
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
                handshake_failed("shutdown");
                return handshake::reject(&mut writer, "the server is shutting down".into()).await;
            }
            outcome = tokio::time::timeout_at(deadline, handshake) => outcome,
        };
        let (hello, accept) = match outcome {
            Ok(Ok((hello, Ok(accept)))) => (hello, accept),
            Ok(Ok((_, Err(reject)))) => {
                tracing::debug!(%peer, reason = %reject, "authentication refused the client");
                handshake_failed("rejected");
                return handshake::reject(&mut writer, reject.reason().to_string()).await;
            }
            Ok(Err(error)) => {
                handshake_failed(match &error {
                    crate::ConnectError::Io(_) => "io",
                    crate::ConnectError::InterfaceMismatch(_) => "mismatch",
                    _ => "malformed",
                });
                if self.connection_log.admit("handshakes") {
                    tracing::debug!(%peer, %error, "handshake failed");
                }
                return;
            }
            Err(_) if !*self.started.borrow() => {
                handshake_failed("timeout");
                tracing::debug!(%peer, "handshake timed out waiting for the server to start");
                return handshake::reject(&mut writer, "the server has not been started".into()).await;
            }
            Err(_) => {
                handshake_failed("timeout");
                tracing::debug!(%peer, "handshake timed out");
                return handshake::reject(&mut writer, "the handshake did not finish in time".into()).await;
            }
        };
        if *self.shutdown.borrow() {
            return handshake::reject(&mut writer, "the server is shutting down".into()).await;
        }
        let endpoint = Arc::clone(&self.endpoint);
        let id = self.id_base | self.next_player.fetch_add(1, Ordering::Relaxed);
        let link = Link::new(LinkSettings {
            peer: format!("player {id}"),
            local_default: config.default_timeout,
            peer_default: announced(hello.timeout_ms, config.default_timeout),
            peer_max_frame: announced_max_frame(hello.max_frame, config.max_frame_len),
            max_in_flight: config.max_in_flight,
            queue_limits: QueueLimits { frames: config.max_queued_frames, bytes: config.max_queued_bytes },
            work: WorkLimits::from_config(config),
            log_limit: LogLimit::from_config(config),
            telemetry: Some(Arc::clone(endpoint.telemetry())),
        });
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
        let player = Player::new(id, Arc::clone(&link), accept.name, accept.data);
        let players = {
            let mut players = self.lock_players();
            players.insert(id, player.clone());
            players.len()
        };
        metrics::gauge!(names::PLAYERS, "rpc.service" => self.endpoint.interface().name()).set(players as f64);
        self.rooms.add_player(&player);
        // `shutdown` sets its flag before it sweeps the players: a player listed after the sweep sees the flag here.
        if *self.shutdown.borrow() {
            link.shutdown();
        }
        // The welcome is the first frame in the outbox, so it precedes anything sent to the player.
        link.outbox.with(|state| state.put(kind::WELCOME, &[], &encode_map(&welcome)));
        let writer = tokio::spawn(write_loop(Arc::clone(&link), writer));
        tokio::spawn(Arc::clone(&link).expire_calls());
        tracing::debug!(%peer, player = id, "player joined");
        self.run_callbacks(&self.on_added, &player, "player-added");

        let binding = Binding::identity(Arc::clone(&self.endpoint));
        let mut dispatcher = Dispatcher::new(Arc::clone(&link), binding, Some(player.clone()));
        let stop = read_loop(&link, &mut reader, buf, ReadLimits::from_config(config), &mut dispatcher).await;
        log_stop(&link.peer, &stop, &self.connection_log);
        link.close();
        self.run_callbacks(&self.on_removing, &player, "player-removing");
        drop(slot);
        self.rooms.remove_player(&player);
        let (_removed, players) = {
            // Bound: dropped after the lock, with the game's player data.
            let mut players = self.lock_players();
            (players.remove(&id), players.len())
        };
        metrics::gauge!(names::PLAYERS, "rpc.service" => self.endpoint.interface().name()).set(players as f64);
        // The writer flushes what is queued (replies to abandoned calls, on shutdown) and ends; a peer that does not
        // read gets a second to take it.
        finish_writer(writer).await;
        // This side closed (shutdown or kick): wait for the client to close its end too, so that once `shutdown`
        // returns, clients know they are disconnected. A client that does not close gets the same second.
        if matches!(stop, Stop::Closed) {
            linger(&mut reader).await;
        }
    }

    /// Runs the authentication hook, if any. A hook that panics refuses the client.
    async fn authenticate(&self, hello: &Hello, peer: &str) -> Result<Accept, Reject> {
        let Some(hook) = &self.auth else {
            return Ok(Accept::new());
        };
        let mismatches =
            hello.remotes.as_ref().map(|table| crate::wire::message::mismatches(self.endpoint.interface(), table));
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
}

/// Counts a handshake that failed, by cause.
fn handshake_failed(cause: &'static str) {
    metrics::counter!(names::HANDSHAKE_FAILURES, "cause" => cause).increment(1);
}
