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

use bytes::BytesMut;
use serde::Serialize;

use crate::FunctionError;
use crate::config::{DEFAULT_MAX_FRAME_LEN, DEFAULT_TIMEOUT, millis};
use crate::interface::{Direction, RemoteKind};
use crate::wire::args::Args;
use crate::wire::message::{Hello, Message, PROTOCOL_VERSION, Welcome, decode_map, encode_map, kind};

mod raw_client;
mod raw_server;
mod recursive;

pub use raw_client::RawClient;
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
/// writing: to check that what a peer makes the server queue stays under `max_queued`. `(0, 0)` for a player of
/// another node.
pub fn outgoing_queue(player: &crate::Player) -> (usize, usize) {
    player.link().map_or((0, 0), |link| link.outbox.queued())
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

/// The message kinds' first bytes, for hand-made frames.
pub mod kinds {
    pub use crate::wire::message::kind::*;
}
