//! Message kinds and their layouts. PROTOCOL.md is the specification; this file is its implementation.

use bytes::{Buf, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use super::frame::{put_frame, take_varint};
use crate::interface::{Direction, Interface, Mismatch, MismatchKind, RemoteDef, RemoteKind};

/// The protocol version this crate speaks. Sent in `HELLO` and `WELCOME`; a difference refuses the connection.
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// Message kinds: the first byte of every frame body.
pub(crate) mod kind {
    /// Client -> server, first frame: a MessagePack map (`Hello`).
    pub const HELLO: u8 = 0x01;
    /// Server -> client, answer to `HELLO`: a MessagePack map (`Welcome`).
    pub const WELCOME: u8 = 0x02;
    /// Server -> client, answer to `HELLO` when refusing: a MessagePack map (`Reject`); the server then closes.
    pub const REJECT: u8 = 0x03;
    /// A call with the caller's default timeout: `remote` varint, arguments.
    pub const REQUEST: u8 = 0x10;
    /// A call with an explicit timeout: `remote` varint, `timeout_ms` varint, arguments.
    pub const REQUEST_TIMED: u8 = 0x11;
    /// A successful reply: `slot` varint (the call's position among the receiver's unanswered requests), the value.
    pub const REPLY_OK: u8 = 0x12;
    /// A failed reply: `slot` varint, one error-code byte.
    pub const REPLY_ERR: u8 = 0x13;
    /// The caller gave up on a call: `call` varint.
    pub const CANCEL: u8 = 0x14;
    /// A one-way event: `remote` varint, arguments.
    pub const EVENT: u8 = 0x20;
    /// Keepalive: "are you there?". No body. Answered with `PONG`.
    pub const PING: u8 = 0x30;
    /// Keepalive: the answer to `PING`. No body.
    pub const PONG: u8 = 0x31;
}

/// A frame body, parsed. Payloads are slices of the frame (no copies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Message {
    Hello(Bytes),
    Welcome(Bytes),
    Reject(Bytes),
    Request { remote: u32, timeout_ms: Option<u32>, args: Bytes },
    ReplyOk { slot: u32, value: Bytes },
    ReplyErr { slot: u32, code: u8 },
    Cancel { call: u32 },
    Event { remote: u32, args: Bytes },
    Ping,
    Pong,
}

/// Why a frame body is not a message. The frame is dropped; for a reply kind the connection closes too (see
/// `slots::Desync`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MessageError {
    #[error("unknown message kind {0:#04x}")]
    UnknownKind(u8),
    #[error("message of kind {0:#04x} is malformed (its header is cut short, or bytes follow where none may)")]
    Truncated(u8),
    #[error("REPLY_ERR holds {0} bytes after its slot instead of exactly one error code")]
    ReplyErrCode(usize),
}

impl Message {
    /// Parses a frame body (as returned by `split_frame`, so never empty).
    pub(crate) fn parse(mut body: Bytes) -> Result<Message, MessageError> {
        let kind = body.get_u8();
        let truncated = MessageError::Truncated(kind);
        Ok(match kind {
            kind::HELLO => Message::Hello(body),
            kind::WELCOME => Message::Welcome(body),
            kind::REJECT => Message::Reject(body),
            kind::REQUEST => {
                Message::Request { remote: take_varint(&mut body).ok_or(truncated)?, timeout_ms: None, args: body }
            }
            kind::REQUEST_TIMED => {
                let remote = take_varint(&mut body).ok_or(truncated.clone())?;
                let timeout_ms = take_varint(&mut body).ok_or(truncated)?;
                Message::Request { remote, timeout_ms: Some(timeout_ms), args: body }
            }
            kind::REPLY_OK => Message::ReplyOk { slot: take_varint(&mut body).ok_or(truncated)?, value: body },
            kind::REPLY_ERR => {
                let slot = take_varint(&mut body).ok_or(truncated.clone())?;
                if body.len() != 1 {
                    return Err(MessageError::ReplyErrCode(body.len()));
                }
                Message::ReplyErr { slot, code: body[0] }
            }
            kind::CANCEL => Message::Cancel { call: take_varint(&mut body).ok_or(truncated)? },
            kind::EVENT => Message::Event { remote: take_varint(&mut body).ok_or(truncated)?, args: body },
            kind::PING if body.is_empty() => Message::Ping,
            kind::PONG if body.is_empty() => Message::Pong,
            kind::PING | kind::PONG => return Err(truncated),
            other => return Err(MessageError::UnknownKind(other)),
        })
    }
}

/// The kind and header of a request frame. `timeout_ms: None` means "my default", announced in the handshake.
pub(crate) fn request_header(remote: u32, timeout_ms: Option<u32>) -> (u8, [u32; 2], usize) {
    match timeout_ms {
        None => (kind::REQUEST, [remote, 0], 1),
        Some(ms) => (kind::REQUEST_TIMED, [remote, ms], 2),
    }
}

/// Appends a request frame. `timeout_ms: None` means "my default", announced in the handshake.
pub(crate) fn put_request(out: &mut BytesMut, remote: u32, timeout_ms: Option<u32>, args: &[u8]) {
    let (kind, header, len) = request_header(remote, timeout_ms);
    put_frame(out, kind, &header[..len], args);
}

/// The client's first frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Hello {
    pub protocol: u32,
    /// The client's default call timeout: requests that carry no timeout use it.
    pub timeout_ms: u32,
    /// The largest frame the client accepts.
    pub max_frame: u32,
    /// The client's credentials for the server's authentication hook, if any.
    #[serde(default)]
    pub token: Option<String>,
    /// The client's interface table, when it knows it at connect time (see `ClientBuilder::interface`).
    #[serde(default)]
    pub remotes: Option<Vec<WireRemote>>,
}

/// The server's answer when it accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Welcome {
    pub protocol: u32,
    /// The id the server gave this client's player.
    pub player: u64,
    /// The server's default call timeout: requests that carry no timeout use it.
    pub timeout_ms: u32,
    /// The largest frame the server accepts.
    pub max_frame: u32,
    /// The server's interface, in its order: a remote's position is its id on the wire, both ways.
    pub remotes: Vec<WireRemote>,
}

/// The server's answer when it refuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Reject {
    pub protocol: u32,
    pub reason: String,
}

/// One remote of the server's table: `[name, kind, direction, hash]` (kind 0 function, 1 event; direction 0
/// to-server, 1 to-client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireRemote(pub String, pub u8, pub u8, pub u64);

/// Compares `interface` (the local one) with a peer's table and lists every remote that differs.
pub(crate) fn mismatches(interface: &Interface, peer: &[WireRemote]) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for local in interface.remotes() {
        match peer.iter().find_map(|p| p.hash_if_same(local)) {
            None => out.push(Mismatch { remote: local.name.to_string(), kind: MismatchKind::Missing }),
            Some(hash) if hash != local.hash => {
                out.push(Mismatch { remote: local.name.to_string(), kind: MismatchKind::Signature })
            }
            Some(_) => {}
        }
    }
    out
}

impl WireRemote {
    pub(crate) fn from_def(def: &RemoteDef) -> WireRemote {
        let kind = match def.kind {
            RemoteKind::Function => 0,
            RemoteKind::Event => 1,
        };
        let direction = match def.direction {
            Direction::ToServer => 0,
            Direction::ToClient => 1,
        };
        WireRemote(def.name.to_string(), kind, direction, def.hash)
    }

    /// `Some(hash)` when this entry names the same remote as `def`.
    pub(crate) fn hash_if_same(&self, def: &RemoteDef) -> Option<u64> {
        let same = WireRemote::from_def(def);
        (self.0 == same.0 && self.1 == same.1 && self.2 == same.2).then_some(self.3)
    }
}

/// Encodes a handshake map as MessagePack with field names (extensible: unknown fields are ignored).
pub(crate) fn encode_map<T: Serialize>(value: &T) -> Vec<u8> {
    rmp_serde::to_vec_named(value).expect("handshake structs always encode")
}

/// How deep a handshake map may nest (rmp-serde's count of arrays and maps, and `wire::depth`'s count of values).
const HANDSHAKE_DEPTH: usize = 16;

/// Decodes a handshake map. Unknown fields are skipped, with a shallow nesting limit so a hostile handshake cannot
/// recurse deeply.
pub(crate) fn decode_map<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, String> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(HANDSHAKE_DEPTH);
    super::depth::deserialize(&mut de, HANDSHAKE_DEPTH).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::frame::split_frame;

    fn roundtrip(build: impl FnOnce(&mut BytesMut)) -> Message {
        let mut buf = BytesMut::new();
        build(&mut buf);
        Message::parse(split_frame(&mut buf, 1 << 20).unwrap().unwrap()).unwrap()
    }

    #[test]
    fn requests_roundtrip_with_and_without_timeout() {
        assert_eq!(
            roundtrip(|b| put_request(b, 3, None, b"\x90")),
            Message::Request { remote: 3, timeout_ms: None, args: Bytes::from_static(b"\x90") }
        );
        assert_eq!(
            roundtrip(|b| put_request(b, 300, Some(1500), b"\x91\x01")),
            Message::Request { remote: 300, timeout_ms: Some(1500), args: Bytes::from_static(b"\x91\x01") }
        );
    }

    #[test]
    fn replies_and_cancels_roundtrip() {
        assert_eq!(
            roundtrip(|b| put_frame(b, kind::REPLY_OK, &[70_000], b"\xc3")),
            Message::ReplyOk { slot: 70_000, value: Bytes::from_static(b"\xc3") }
        );
        assert_eq!(roundtrip(|b| put_frame(b, kind::REPLY_ERR, &[1], &[2])), Message::ReplyErr { slot: 1, code: 2 });
        assert_eq!(roundtrip(|b| put_frame(b, kind::CANCEL, &[9], &[])), Message::Cancel { call: 9 });
    }

    #[test]
    fn a_small_request_costs_three_bytes_of_framing() {
        let mut buf = BytesMut::new();
        put_request(&mut buf, 5, None, &[0x92, 0x07, 0x02]);
        assert_eq!(buf.len() - 3, 3);
    }

    #[test]
    fn unknown_kinds_and_truncated_headers_are_errors() {
        assert_eq!(Message::parse(Bytes::from_static(&[0x7e])), Err(MessageError::UnknownKind(0x7e)));
        assert_eq!(
            Message::parse(Bytes::from_static(&[kind::REQUEST, 0x80])),
            Err(MessageError::Truncated(kind::REQUEST))
        );
        assert_eq!(Message::parse(Bytes::from_static(&[kind::REPLY_ERR, 1])), Err(MessageError::ReplyErrCode(0)));
        assert_eq!(Message::parse(Bytes::from_static(&[kind::REPLY_ERR, 1, 2, 3])), Err(MessageError::ReplyErrCode(2)));
        assert_eq!(
            Message::parse(Bytes::from_static(&[kind::REPLY_ERR, 0x80])),
            Err(MessageError::Truncated(kind::REPLY_ERR))
        );
        assert_eq!(
            Message::parse(Bytes::from_static(&[kind::REPLY_OK, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xc0])),
            Err(MessageError::Truncated(kind::REPLY_OK)),
            "a slot past u32 does not parse"
        );
    }

    #[test]
    fn handshake_maps_roundtrip() {
        let welcome = Welcome {
            protocol: PROTOCOL_VERSION,
            player: 4,
            timeout_ms: 10_000,
            max_frame: 1 << 20,
            remotes: vec![WireRemote("buy_item".into(), 0, 0, 42)],
        };
        assert_eq!(decode_map::<Welcome>(&encode_map(&welcome)).unwrap(), welcome);
    }
}
