//! Testing tools: a raw client that speaks the wire protocol frame by frame, to send what an honest client never
//! would (malformed arguments, unknown remotes, garbage) and observe exactly what the server answers.
//!
//! ```no_run
//! # async fn demo(server: &remotes_runtime::Server) -> std::io::Result<()> {
//! use remotes_runtime::testing::{RawClient, RawMessage};
//! use remotes_runtime::{Direction, FunctionError, RemoteKind};
//!
//! let mut raw = RawClient::connect_in_memory(server);
//! let welcome = raw.handshake().await?;
//! let buy_item = welcome.id_of("buy_item", RemoteKind::Function, Direction::ToServer).unwrap();
//! // A string where the server expects two integers.
//! raw.send_request(buy_item, None, &remotes_runtime::testing::encode_args(&("seven".to_string(),))).await?;
//! assert_eq!(raw.recv().await?, Some(RawMessage::ReplyErr { call: 0, error: FunctionError::BadRequest }));
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::io;

use bytes::{Bytes, BytesMut};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::config::{DEFAULT_MAX_FRAME_LEN, DEFAULT_MEMORY_PIPE_BYTES, DEFAULT_TIMEOUT, millis};
use crate::handshake::read_frame;
use crate::interface::{Direction, RemoteKind};
use crate::server::Server;
use crate::transport::memory;
use crate::wire::args::Args;
use crate::wire::frame::put_frame;
use crate::wire::message::{Hello, Message, PROTOCOL_VERSION, Welcome, decode_map, encode_map, kind, put_request};
use crate::{ConnectError, FunctionError};

mod raw_server;
mod recursive;

pub use raw_server::RawServer;
pub use recursive::decode_recursive;

/// The largest frame a [`RawClient`] reads.
const RAW_MAX_FRAME: usize = 64 << 20;

/// Encodes `value` as MessagePack the way the runtime does (structs as arrays). Arguments are a tuple:
/// `encode(&(7u32, 2u8))`.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Serializing into a Vec cannot fail for serde's data model except through a type's own Serialize error.
    crate::wire::args::encode_value(value, &mut out).expect("value serializes");
    out
}

/// A valid `HELLO` frame, length prefix included: the default timeout and maximum frame, `token` if given.
pub fn hello_frame(token: Option<&str>) -> Vec<u8> {
    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        timeout_ms: millis(DEFAULT_TIMEOUT),
        max_frame: DEFAULT_MAX_FRAME_LEN as u32,
        token: token.map(str::to_string),
        remotes: None,
    };
    frame(kind::HELLO, &[], &encode_map(&hello))
}

/// `value` as the varint (LEB128) the protocol uses for lengths and header fields, to build frames by hand.
///
/// ```
/// assert_eq!(remotes_runtime::testing::varint(300), [0xac, 0x02]);
/// ```
pub fn varint(value: u32) -> Vec<u8> {
    let mut out = BytesMut::new();
    crate::wire::frame::put_varint(&mut out, value);
    out.to_vec()
}

/// One frame exactly as the runtime writes it: the length prefix, `kind`, each header varint, then `payload`. For
/// tests that send what an honest peer never would, byte by byte (with [`RawClient::send_bytes`]).
///
/// ```
/// use remotes_runtime::testing::{frame, kinds};
/// // An EVENT for remote 3 with the arguments `[7]`: length 4, kind, remote, payload.
/// assert_eq!(frame(kinds::EVENT, &[3], &[0x91, 0x07]), [0x04, kinds::EVENT, 0x03, 0x91, 0x07]);
/// ```
pub fn frame(kind: u8, header: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut out = BytesMut::new();
    crate::wire::frame::put_frame(&mut out, kind, header, payload);
    out.to_vec()
}

/// Encodes a tuple of arguments exactly as the runtime sends them: a MessagePack array (empty for `()`).
///
/// ```
/// use remotes_runtime::testing::encode_args;
/// assert_eq!(encode_args(&()), [0x90]);
/// assert_eq!(encode_args(&(7u32, 2u8)), [0x92, 0x07, 0x02]);
/// ```
pub fn encode_args<A: Args>(args: &A) -> Vec<u8> {
    let mut out = Vec::new();
    args.encode(&mut out).expect("arguments serialize");
    out
}

/// The frames and bytes waiting in the server's outgoing queue to `player`, not counting the batch its writer is
/// writing: to check that what a peer makes the server queue stays under `max_queued`.
pub fn outgoing_queue(player: &crate::Player) -> (usize, usize) {
    player.link().outbox.queued()
}

/// Feeds arbitrary bytes through everything a connection's reader does before user code: the frame decoder (with
/// `max_frame`), the message parser, the handshake maps and the argument decoders (for a few argument shapes, with and
/// without declared length limits, and for recursive types: see [`decode_recursive`]). Returns how many frames were
/// read. For fuzzers: it must never panic, and it
/// never allocates more than the frame it is looking at.
pub fn decode_all(bytes: &[u8], max_frame: usize) -> usize {
    use crate::interface::ArgDef;
    let limits = [ArgDef { name: "a", max_len: Some(16) }, ArgDef { name: "b", max_len: Some(16) }];
    let mut buf = BytesMut::from(bytes);
    let mut frames = 0;
    while let Ok(Some(body)) = crate::wire::frame::split_frame(&mut buf, max_frame) {
        frames += 1;
        match Message::parse(body) {
            Ok(Message::Request { args, .. } | Message::Event { args, .. }) => {
                for limits in [&[][..], &limits[..]] {
                    let _ = <(u32, u8)>::decode(&args, limits);
                    let _ = <(String,)>::decode(&args, limits);
                    let _ = <(Vec<(i32, i32)>, f64)>::decode(&args, limits);
                    let _ = <(std::collections::HashMap<String, Vec<u8>>, Option<bool>)>::decode(&args, limits);
                    let _ = <()>::decode(&args, limits);
                }
                decode_recursive(&args);
            }
            Ok(Message::ReplyOk { value, .. }) => {
                let _ = crate::wire::args::decode_value::<Vec<String>>(&value);
                decode_recursive(&value);
            }
            Ok(Message::Hello(map)) => {
                let _ = decode_map::<Hello>(&map);
            }
            Ok(Message::Welcome(map)) => {
                let _ = decode_map::<Welcome>(&map);
            }
            _ => {}
        }
    }
    frames
}

/// A frame, as the raw client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RawMessage {
    /// The server's `WELCOME` (MessagePack map).
    Welcome(Vec<u8>),
    /// The server's `REJECT` (MessagePack map).
    Reject(Vec<u8>),
    /// A call from the server; its id is the count of requests the server sent before it.
    Request {
        /// Wire id of the remote.
        remote: u32,
        /// Explicit timeout, if any.
        timeout_ms: Option<u32>,
        /// Encoded arguments.
        args: Vec<u8>,
    },
    /// A successful reply.
    ReplyOk {
        /// The call it answers (its slot, for requests not sent with `send_request`).
        call: u32,
        /// The encoded return value.
        value: Vec<u8>,
    },
    /// A failed reply.
    ReplyErr {
        /// The call it answers (its slot, for requests not sent with `send_request`).
        call: u32,
        /// Why it failed.
        error: FunctionError,
    },
    /// The server gave up on one of its calls.
    Cancel {
        /// The call.
        call: u32,
    },
    /// An event from the server.
    Event {
        /// Wire id of the remote.
        remote: u32,
        /// Encoded arguments.
        args: Vec<u8>,
    },
    /// A keepalive ping (answer it with [`RawClient::send_frame`]`(kinds::PONG, &[])` to stay connected).
    Ping,
    /// A keepalive pong.
    Pong,
    /// A frame the raw client could not parse: its body.
    Unparsed(Vec<u8>),
}

/// One remote of the server's table, as announced in `WELCOME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRemote {
    /// The remote's name.
    pub name: String,
    /// Function or event.
    pub kind: RemoteKind,
    /// Which side handles it.
    pub direction: Direction,
    /// Its signature hash.
    pub hash: u64,
}

/// The server's `WELCOME`, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawWelcome {
    /// The id of this connection's player.
    pub player_id: u64,
    /// The server's remotes: a remote's position is its wire id.
    pub remotes: Vec<RawRemote>,
}

impl RawWelcome {
    /// The wire id of a remote.
    pub fn id_of(&self, name: &str, kind: RemoteKind, direction: Direction) -> Option<u32> {
        let id = self.remotes.iter().position(|r| r.name == name && r.kind == kind && r.direction == direction)?;
        u32::try_from(id).ok()
    }
}

/// A client that sends and receives raw frames. No interface, no pending-call table: you see the bytes.
pub struct RawClient {
    reader: Box<dyn AsyncRead + Unpin + Send>,
    writer: Box<dyn AsyncWrite + Unpin + Send>,
    buf: BytesMut,
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
        let stream = crate::transport::tls::connect(
            crate::transport::tcp::connect_stream(addr).await?,
            addr.rsplit_once(':').map_or(addr, |(host, _)| host),
            &tls.config,
        )
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
            authority.rsplit_once(':').map_or(authority, |(host, _)| host),
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
    fn from_halves(
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

fn to_io(error: ConnectError) -> io::Error {
    match error {
        ConnectError::Io(error) => error,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

/// The message kinds' first bytes, for hand-made frames.
pub mod kinds {
    pub use crate::wire::message::kind::*;
}
