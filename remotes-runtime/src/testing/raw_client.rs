//! The raw client: speaks the protocol frame by frame, over any transport, for tests of what an honest client never
//! sends.

use std::collections::VecDeque;
use std::io;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::{RAW_MAX_FRAME, RawMessage, RawRemote, RawWelcome, hello_frame};
use crate::config::DEFAULT_MEMORY_PIPE_BYTES;
use crate::handshake::read_frame;
use crate::interface::{Direction, RemoteKind};
use crate::server::Server;
use crate::transport::memory;
use crate::wire::frame::put_frame;
use crate::wire::message::{Message, Welcome, decode_map, kind, put_request};
use crate::{ConnectError, FunctionError};

/// A client that sends and receives raw frames. No interface, no pending-call table: you see the bytes.
pub struct RawClient {
    pub(super) reader: Box<dyn AsyncRead + Unpin + Send>,
    pub(super) writer: Box<dyn AsyncWrite + Unpin + Send>,
    pub(super) buf: BytesMut,
    token: Option<String>,
    /// The number of the next request [`send_request`](Self::send_request) sends.
    next_request: u32,
    /// Requests sent with `send_request` and not answered yet, in order: replies name them by position.
    outstanding: VecDeque<u32>,
}

impl RawClient {
    /// Connects over TCP (no handshake yet).
    pub async fn connect(addr: impl tokio::net::ToSocketAddrs) -> io::Result<RawClient> {
        let (reader, writer) = crate::transport::tcp::connect(addr).await?;
        Ok(RawClient::from_halves(reader, writer))
    }

    /// Connects over WebSocket to `url` (`ws://host:port/path`), no handshake yet. What it sends is carried in
    /// binary messages exactly as written (whole frames packed together, whatever else as it comes).
    pub async fn connect_websocket(url: &str, host: impl tokio::net::ToSocketAddrs) -> io::Result<RawClient> {
        let stream = crate::transport::tcp::connect_stream(host).await?;
        let (reader, writer) = crate::transport::websocket::connect(url, stream, usize::MAX >> 8)
            .await
            .map_err(|error| io::Error::other(error.to_string()))?;
        Ok(RawClient::from_halves(reader, writer))
    }

    /// Connects over TLS to `addr` (`host:port`; the certificate must be valid for `host`), no handshake yet.
    #[cfg(feature = "tls")]
    pub async fn connect_tls(addr: &str, tls: &crate::tls::ClientTls) -> io::Result<RawClient> {
        let stream =
            crate::transport::tls::connect(crate::transport::tcp::connect_stream(addr).await?, addr, &tls.config)
                .await
                .map_err(|failure| io::Error::other(failure.to_string()))?;
        let (reader, writer) = tokio::io::split(stream);
        Ok(RawClient::from_halves(reader, writer))
    }

    /// Connects over WebSocket on TLS to `url` (`wss://host:port/path`), no handshake yet.
    #[cfg(feature = "tls")]
    pub async fn connect_wss(url: &str, tls: &crate::tls::ClientTls) -> io::Result<RawClient> {
        let authority = url.trim_start_matches("wss://").split('/').next().unwrap_or_default();
        let stream = crate::transport::tls::connect(
            crate::transport::tcp::connect_stream(authority).await?,
            authority,
            &tls.config,
        )
        .await
        .map_err(|failure| io::Error::other(failure.to_string()))?;
        let (reader, writer) = crate::transport::websocket::connect(url, stream, usize::MAX >> 8)
            .await
            .map_err(|error| io::Error::other(error.to_string()))?;
        Ok(RawClient::from_halves(reader, writer))
    }

    /// Connects to `server` in-process (no handshake yet). Must be called within a tokio runtime.
    pub fn connect_in_memory<A: crate::Api>(server: &Server<A>) -> RawClient {
        let (client_end, server_end) = memory::pair(DEFAULT_MEMORY_PIPE_BYTES);
        if let Some(slot) = server.shared().admit(None) {
            server.shared().spawn_connection(server_end.reader, server_end.writer, "raw in-memory".to_string(), slot);
        }
        RawClient::from_halves(client_end.reader, client_end.writer)
    }

    /// Sets the token the next [`handshake`](Self::handshake) sends.
    pub fn with_token(mut self, token: impl Into<String>) -> RawClient {
        self.token = Some(token.into());
        self
    }

    /// Sends a valid `HELLO` (default timeout and maximum frame, and the token if one was set) without waiting for
    /// the answer; read it with [`recv`](Self::recv).
    pub async fn send_hello(&mut self) -> io::Result<()> {
        let frame = hello_frame(self.token.as_deref());
        self.send_bytes(&frame).await
    }

    /// Sends a valid `HELLO` (default timeout and maximum frame) and returns the decoded `WELCOME`.
    pub async fn handshake(&mut self) -> io::Result<RawWelcome> {
        self.send_hello().await?;
        let body = read_frame(&mut self.reader, &mut self.buf, RAW_MAX_FRAME).await.map_err(to_io)?;
        let Ok(Message::Welcome(map)) = Message::parse(body) else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "expected WELCOME"));
        };
        let welcome: Welcome = decode_map(&map).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let remotes = welcome
            .remotes
            .into_iter()
            .map(|r| RawRemote {
                name: r.0,
                kind: if r.1 == 0 { RemoteKind::Function } else { RemoteKind::Event },
                direction: if r.2 == 0 { Direction::ToServer } else { Direction::ToClient },
                hash: r.3,
            })
            .collect();
        Ok(RawWelcome { player_id: welcome.player, remotes })
    }

    /// Writes raw bytes, framed or not.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes).await?;
        self.writer.flush().await
    }

    /// Writes one frame: the length prefix, `kind`, then `body`.
    pub async fn send_frame(&mut self, kind: u8, body: &[u8]) -> io::Result<()> {
        let mut out = BytesMut::new();
        put_frame(&mut out, kind, &[], body);
        self.send_bytes(&out).await
    }

    /// Writes a `REQUEST` (or `REQUEST_TIMED` with a timeout) for remote `remote` with encoded `args`. Requests
    /// are numbered from 0 in the order they are sent with this method; [`recv`](Self::recv) reports replies to them
    /// by that number. (Requests written with [`send_bytes`](Self::send_bytes) are not counted: replies then carry
    /// their raw slot.)
    pub async fn send_request(&mut self, remote: u32, timeout_ms: Option<u32>, args: &[u8]) -> io::Result<()> {
        let mut out = BytesMut::new();
        put_request(&mut out, remote, timeout_ms, args);
        self.outstanding.push_back(self.next_request);
        self.next_request = self.next_request.wrapping_add(1);
        self.send_bytes(&out).await
    }

    /// Writes an `EVENT` for remote `remote` with encoded `args`.
    pub async fn send_event(&mut self, remote: u32, args: &[u8]) -> io::Result<()> {
        let mut out = BytesMut::new();
        put_frame(&mut out, kind::EVENT, &[remote], args);
        self.send_bytes(&out).await
    }

    /// Reads the next frame. `None` when the server closed the connection. A reply's `call` is the number of the
    /// request it answers (see [`send_request`](Self::send_request)).
    pub async fn recv(&mut self) -> io::Result<Option<RawMessage>> {
        match read_frame(&mut self.reader, &mut self.buf, RAW_MAX_FRAME).await {
            Ok(body) => Ok(Some(match raw_message(body) {
                RawMessage::ReplyOk { call, value } => RawMessage::ReplyOk { call: self.answered(call), value },
                RawMessage::ReplyErr { call, error } => RawMessage::ReplyErr { call: self.answered(call), error },
                other => other,
            })),
            Err(ConnectError::Io(error)) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(ConnectError::Io(error)) if error.kind() == io::ErrorKind::ConnectionReset => Ok(None),
            Err(error) => Err(to_io(error)),
        }
    }

    /// Reads until the server closes the connection, returning what arrived meanwhile.
    pub async fn recv_until_closed(&mut self) -> io::Result<Vec<RawMessage>> {
        let mut seen = Vec::new();
        while let Some(message) = self.recv().await? {
            seen.push(message);
        }
        Ok(seen)
    }

    /// Reads frames until one satisfies `wanted`, skipping others.
    pub async fn recv_matching(&mut self, wanted: impl Fn(&RawMessage) -> bool) -> io::Result<Option<RawMessage>> {
        while let Some(message) = self.recv().await? {
            if wanted(&message) {
                return Ok(Some(message));
            }
        }
        Ok(None)
    }
}

impl RawClient {
    pub(super) fn from_halves(
        reader: impl AsyncRead + Unpin + Send + 'static,
        writer: impl AsyncWrite + Unpin + Send + 'static,
    ) -> RawClient {
        RawClient {
            reader: Box::new(reader),
            writer: Box::new(writer),
            buf: BytesMut::new(),
            token: None,
            next_request: 0,
            outstanding: VecDeque::new(),
        }
    }

    /// The number of the request a reply's slot names, taking it off the outstanding list.
    fn answered(&mut self, slot: u32) -> u32 {
        self.outstanding.remove(slot as usize).unwrap_or(slot)
    }
}

impl std::fmt::Debug for RawClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawClient").finish_non_exhaustive()
    }
}

fn raw_message(body: Bytes) -> RawMessage {
    let copy = body.to_vec();
    match Message::parse(body) {
        Ok(Message::Welcome(map)) => RawMessage::Welcome(map.to_vec()),
        Ok(Message::Reject(map)) => RawMessage::Reject(map.to_vec()),
        Ok(Message::Request { remote, timeout_ms, args }) => {
            RawMessage::Request { remote, timeout_ms, args: args.to_vec() }
        }
        Ok(Message::ReplyOk { slot, value }) => RawMessage::ReplyOk { call: slot, value: value.to_vec() },
        Ok(Message::ReplyErr { slot: call, code }) => {
            RawMessage::ReplyErr { call, error: FunctionError::from_wire_code(code) }
        }
        Ok(Message::Cancel { call }) => RawMessage::Cancel { call },
        Ok(Message::Event { remote, args }) => RawMessage::Event { remote, args: args.to_vec() },
        Ok(Message::Ping) => RawMessage::Ping,
        Ok(Message::Pong) => RawMessage::Pong,
        Ok(Message::Hello(_)) | Err(_) => RawMessage::Unparsed(copy),
    }
}

pub(super) fn to_io(error: ConnectError) -> io::Error {
    match error {
        ConnectError::Io(error) => error,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}
