//! Frames: a LEB128 varint length followed by that many bytes of body. The body's first byte is the message kind.
//!
//! The length is read and checked against the maximum before anything is allocated for the body.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// The longest varint a `u32` takes.
const MAX_VARINT_LEN: usize = 5;

/// Why a frame could not be read; each one closes the connection it arrived on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrameError {
    /// The length prefix announced more than the maximum frame length.
    #[error("frame of {len} bytes exceeds the maximum of {max}")]
    TooLong { len: u64, max: usize },
    /// The length prefix is not a valid varint of at most 32 bits.
    #[error("malformed frame length prefix")]
    BadLength,
    /// A frame of length zero has no message kind.
    #[error("empty frame")]
    Empty,
}

/// Appends `value` as a LEB128 varint.
pub(crate) fn put_varint(out: &mut impl BufMut, mut value: u32) {
    while value >= 0x80 {
        out.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    out.put_u8(value as u8);
}

/// How many bytes `value` takes as a varint.
pub(crate) fn varint_len(value: u32) -> usize {
    match value {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// Reads a varint from the front of `buf`. `Ok(None)` means `buf` ends inside the varint.
pub(crate) fn peek_varint(buf: &[u8]) -> Result<Option<(u32, usize)>, FrameError> {
    let mut value: u64 = 0;
    for (i, byte) in buf.iter().take(MAX_VARINT_LEN).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value).map(|v| Some((v, i + 1))).map_err(|_| FrameError::BadLength);
        }
    }
    if buf.len() >= MAX_VARINT_LEN { Err(FrameError::BadLength) } else { Ok(None) }
}

/// Takes a varint off the front of a frame body. `None` when the body ends early or the varint is malformed.
pub(crate) fn take_varint(body: &mut Bytes) -> Option<u32> {
    match peek_varint(body) {
        Ok(Some((value, len))) => {
            body.advance(len);
            Some(value)
        }
        _ => None,
    }
}

/// The least room a partial frame's buffer grows by.
const MIN_GROWTH: usize = 16 << 10;
/// A partial frame's buffer grows once it has less room than this left.
const NEARLY_FULL: usize = 512;

/// Splits the next complete frame body off `buf`. `Ok(None)`: more bytes are needed; in that case `buf` has reserved
/// room for more of the frame: at most as much as it already holds (at least 16 KiB), never more than the frame still
/// lacks, and only once the buffer is nearly full, so the memory a partial frame takes stays within twice what the
/// peer sent (or what it sent plus 16 KiB), plus a KiB.
pub(crate) fn split_frame(buf: &mut BytesMut, max: usize) -> Result<Option<Bytes>, FrameError> {
    let Some((len, prefix)) = peek_varint(buf)? else {
        return Ok(None);
    };
    let len = len as usize;
    if len > max {
        return Err(FrameError::TooLong { len: len as u64, max });
    }
    if len == 0 {
        return Err(FrameError::Empty);
    }
    if buf.len() < prefix + len {
        // Room for more of the frame, growing with what has arrived (doubling, from MIN_GROWTH): a peer that
        // announces a large frame and sends little of it holds little memory.
        let missing = prefix + len - buf.len();
        let room = missing.min(buf.len().max(MIN_GROWTH));
        // Only once the buffer is nearly full: asking for `room` again each time a few bytes arrive would make the
        // allocator double the previous reservation every time (up to 4x what arrived).
        if buf.capacity() - buf.len() < room.min(NEARLY_FULL) {
            buf.reserve(room);
        }
        return Ok(None);
    }
    buf.advance(prefix);
    Ok(Some(buf.split_to(len).freeze()))
}

/// Appends one frame: the length prefix, `kind`, each header varint, then `payload`.
pub(crate) fn put_frame(out: &mut BytesMut, kind: u8, header: &[u32], payload: &[u8]) {
    let len = 1 + header.iter().map(|&v| varint_len(v)).sum::<usize>() + payload.len();
    out.reserve(varint_len(len as u32) + len);
    put_varint(out, len as u32);
    out.put_u8(kind);
    for &value in header {
        put_varint(out, value);
    }
    out.put_slice(payload);
}

/// The length of the frame `put_frame` would write for these parts, prefix included.
pub(crate) fn frame_len(header: &[u32], payload_len: usize) -> usize {
    let body = body_len(header, payload_len);
    varint_len(body as u32) + body
}

/// The body length `put_frame` would announce for these parts: what the receiver checks against its maximum.
pub(crate) fn body_len(header: &[u32], payload_len: usize) -> usize {
    1 + header.iter().map(|&v| varint_len(v)).sum::<usize>() + payload_len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_roundtrip_at_every_width() {
        for value in [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, u32::MAX] {
            let mut buf = BytesMut::new();
            put_varint(&mut buf, value);
            assert_eq!(buf.len(), varint_len(value));
            assert_eq!(peek_varint(&buf).unwrap(), Some((value, buf.len())));
            assert_eq!(peek_varint(&buf[..buf.len() - 1]).unwrap(), None);
        }
    }

    #[test]
    fn overlong_varints_are_rejected() {
        assert_eq!(peek_varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Err(FrameError::BadLength));
        // Five bytes whose value exceeds u32.
        assert_eq!(peek_varint(&[0xff, 0xff, 0xff, 0xff, 0x7f]), Err(FrameError::BadLength));
    }

    #[test]
    fn frames_split_when_complete() {
        let mut out = BytesMut::new();
        put_frame(&mut out, 0x10, &[3, 300], b"abc");
        assert_eq!(out.len(), frame_len(&[3, 300], 3));
        let mut partial = BytesMut::from(&out[..out.len() - 1]);
        assert_eq!(split_frame(&mut partial, 1024).unwrap(), None);
        partial.extend_from_slice(&out[out.len() - 1..]);
        let body = split_frame(&mut partial, 1024).unwrap().unwrap();
        assert_eq!(&body[..], &[0x10, 3, 0xac, 0x02, b'a', b'b', b'c']);
        assert!(partial.is_empty());
    }

    #[test]
    fn oversized_frames_are_refused_before_allocating() {
        let mut buf = BytesMut::new();
        put_varint(&mut buf, 10 << 20);
        let before = buf.capacity();
        assert_eq!(split_frame(&mut buf, 1 << 20), Err(FrameError::TooLong { len: 10 << 20, max: 1 << 20 }));
        assert_eq!(buf.capacity(), before);
    }

    #[test]
    fn empty_frames_are_refused() {
        let mut buf = BytesMut::from(&[0u8][..]);
        assert_eq!(split_frame(&mut buf, 16), Err(FrameError::Empty));
    }

    #[test]
    fn a_partial_frame_reserves_with_what_arrived_not_what_it_announced() {
        // A 1 MiB frame announced, then its body fed in pieces of many sizes, each into the room the buffer has
        // (as a reader's `read_buf` would): the capacity follows what arrived, never the announced length.
        let announced = 1 << 20;
        let mut buf = BytesMut::new();
        put_varint(&mut buf, announced as u32);
        buf.extend_from_slice(&[0x30]);
        let total = buf.len() - 1 + announced;
        let pieces = [1usize, 7, 100, 1000, 4096, 16 << 10, 60 << 10];
        let mut step = 0;
        while buf.len() < total {
            assert_eq!(split_frame(&mut buf, announced).unwrap(), None);
            let received = buf.len();
            let bound = (2 * received).max(received + MIN_GROWTH) + 2 * NEARLY_FULL;
            assert!(buf.capacity() <= bound, "{} bytes reserved for {received} received", buf.capacity());
            assert!(buf.capacity() > received, "no room reserved for more");
            let room = (buf.capacity() - received).min(total - received);
            let piece = pieces[step % pieces.len()].min(room);
            buf.extend_from_slice(&vec![0u8; piece]);
            step += 1;
        }
        let body = split_frame(&mut buf, announced).unwrap().expect("complete");
        assert_eq!(body.len(), announced);
    }
}
