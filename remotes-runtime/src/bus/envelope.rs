//! What crosses the bus: every message is `[header length: u32 BE][header: MessagePack][tail]`. The header says
//! who sent it (node id, process instance, interface hash) and what it is (`Body`); the tail carries the bytes a
//! body refers to without copying them through serde: an encoded `EVENT` frame, call arguments, a reply's value.
//! PROTOCOL.md ("Cluster bus") is the specification.
//!
//! Everything read here comes from the network: `decode` bounds every length by the message itself, and the node
//! checks every id, frame and remote it names before acting on it.

use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};

/// The version of the bus format; a message of another version is dropped.
pub(crate) const VERSION: u8 = 1;

/// The header of a bus message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) version: u8,
    /// The interface hash of the sender (`interface_hash`): nodes of different interfaces ignore each other.
    pub(crate) interface: u64,
    /// The sender's node id: the high 32 bits of its players' ids.
    pub(crate) node: u32,
    /// The sender's process instance, random at start: a node that restarted with the same id is a new node.
    pub(crate) instance: u64,
    pub(crate) body: Body,
}

/// What a bus message is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Body {
    /// On `all`, every heartbeat interval: "I am alive; my last membership batch is `seq`".
    Heartbeat { seq: u64 },
    /// On `all`, when a node shuts down: its players are gone now.
    Goodbye,
    /// On `all`: membership changes of the sender's players, in order; `seq` counts batches from 1.
    Delta { seq: u64, changes: Vec<Change> },
    /// To a node: "send me your membership".
    SyncRequest,
    /// To the node that asked: the sender's whole membership, as of batch `seq`.
    Snapshot { seq: u64, players: Vec<(u64, Option<String>)>, rooms: Vec<(String, Vec<u64>)> },
    /// On `all`: an `EVENT` frame (the tail) for the receivers' own players in `to`.
    Event { to: Audience },
    /// To a node: an `EVENT` frame (the tail) for these players of that node.
    Fire { players: Vec<u64> },
    /// To a node: call remote `remote` on its player `player`, with `timeout_ms` left; the arguments are the tail.
    Call { call: u64, player: u64, remote: u32, timeout_ms: u32 },
    /// To a node: the caller gave up on call `call`.
    Cancel { call: u64 },
    /// To the caller's node: how call `call` settled; on success the value is the tail.
    Reply { call: u64, outcome: Outcome },
    /// To a node: close the connection of its player `player`.
    Kick { player: u64 },
}

/// Who on each node an `Event` is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Audience {
    All,
    Except(Vec<u64>),
    Room(String),
    RoomExcept(String, Vec<u64>),
}

/// A membership change of one of the sender's players.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Change {
    Added(u64, Option<String>),
    Removed(u64),
    Joined(String, u64),
    Left(String, u64),
}

/// How a forwarded call settled: `Ok` (the value is the tail) or a `FunctionError`'s wire code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Outcome {
    Ok,
    Err(u8),
}

/// Why a bus message was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Malformed {
    #[error("shorter than its header length")]
    Truncated,
    #[error("its header does not decode: {0}")]
    Header(String),
    #[error("bus format version {0}, not {VERSION}")]
    Version(u8),
}

/// Encodes a message: its header, then `tail`.
pub(crate) fn encode(header: &Header, tail: &[u8]) -> Bytes {
    let head = rmp_serde::to_vec(header).expect("bus headers always encode");
    let mut out = BytesMut::with_capacity(4 + head.len() + tail.len());
    out.put_u32(head.len() as u32);
    out.put_slice(&head);
    out.put_slice(tail);
    out.freeze()
}

/// Decodes a message into its header and its tail (a slice of `message`, not a copy).
pub(crate) fn decode(message: &Bytes) -> Result<(Header, Bytes), Malformed> {
    let Some(prefix) = message.get(..4) else {
        return Err(Malformed::Truncated);
    };
    let len = u32::from_be_bytes(prefix.try_into().expect("four bytes")) as usize;
    let end = 4usize.checked_add(len).filter(|&end| end <= message.len()).ok_or(Malformed::Truncated)?;
    let header: Header =
        rmp_serde::from_slice(&message[4..end]).map_err(|error| Malformed::Header(error.to_string()))?;
    if header.version != VERSION {
        return Err(Malformed::Version(header.version));
    }
    Ok((header, message.slice(end..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(body: Body) -> Header {
        Header { version: VERSION, interface: 7, node: 3, instance: 9, body }
    }

    #[test]
    fn messages_round_trip_with_their_tail() {
        let bodies = [
            Body::Heartbeat { seq: 4 },
            Body::Delta { seq: 1, changes: vec![Change::Added(5, Some("ada".into())), Change::Joined("r".into(), 5)] },
            Body::Event { to: Audience::RoomExcept("match".into(), vec![1, 2]) },
            Body::Call { call: 1, player: 2, remote: 3, timeout_ms: 4 },
            Body::Reply { call: 1, outcome: Outcome::Err(5) },
        ];
        for body in bodies {
            let message = encode(&header(body.clone()), b"tail");
            let (decoded, tail) = decode(&message).unwrap();
            assert_eq!(decoded.body, body);
            assert_eq!(&tail[..], b"tail");
        }
    }

    #[test]
    fn cut_or_garbled_messages_are_refused() {
        let message = encode(&header(Body::Goodbye), b"");
        for end in 0..message.len() {
            assert!(decode(&message.slice(..end)).is_err(), "cut at {end}");
        }
        assert!(matches!(decode(&Bytes::from_static(&[0, 0, 0, 1, 0xc1])), Err(Malformed::Header(_))));
        assert_eq!(decode(&Bytes::from_static(&[0xff, 0xff, 0xff, 0xff])), Err(Malformed::Truncated));
        let other = encode(&Header { version: 2, ..header(Body::Goodbye) }, b"");
        assert_eq!(decode(&other), Err(Malformed::Version(2)));
    }
}
