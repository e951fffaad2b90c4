//! How many bytes the MessagePack value at the front of a payload takes, read from its markers and headers alone,
//! without decoding it.
//!
//! Arguments are decoded one after another from one payload, each with rmp-serde's slice reader (which borrows
//! strings and binaries instead of copying them, and allocates nothing); that reader cannot tell how far it read,
//! so each argument's extent is found here first. Counted in-process (BENCHMARKS.md, round two): rmp-serde's
//! owning reader, which knew its position, allocated a buffer per decode and copied every string through
//! `read_to_end`.
//!
//! The walk keeps a count of values still to pass instead of recursing, so no payload, however nested, can
//! exhaust the stack; every value takes at least one byte, so it ends within the payload's length. The length a
//! string's, binary's, array's or map's header announces (`announced_len`, checked against a declared maximum
//! before anything is decoded) is read here too.

use rmp::Marker;

/// The length of the MessagePack value that begins `bytes`, or `None` when it runs past the end (or uses the
/// one marker MessagePack never assigns, 0xc1).
pub(crate) fn value_len(bytes: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    // Values still to pass: array elements and map keys and values add to it.
    let mut values: u64 = 1;
    while values > 0 {
        values -= 1;
        let entry = MARKERS[usize::from(*bytes.get(at)?)];
        at += 1;
        let low = usize::from(entry & 0x1f);
        match entry >> 5 {
            // Most markers: a fixed number of bytes follows (none for a fixint, nil or a bool; a fixstr's length).
            // `at` may pass the end here by 31 bytes at most, which the next read or the final check catches.
            SKIP => at += low,
            FIXARRAY => values += low as u64,
            FIXMAP => values += 2 * low as u64,
            LENGTH => at = at.checked_add(low + header(bytes, at, low)?)?,
            EXT => at = at.checked_add(low + 1 + header(bytes, at, low)?)?,
            ARRAY => {
                values += header(bytes, at, low)? as u64;
                at += low;
            }
            MAP => {
                values += 2 * header(bytes, at, low)? as u64;
                at += low;
            }
            _ => return None,
        }
    }
    (at <= bytes.len()).then_some(at)
}

/// The element count (or byte count, for strings and binaries) a MessagePack header announces, if the value at the
/// front of `bytes` is a string, binary, array or map.
pub(crate) fn announced_len(bytes: &[u8]) -> Option<usize> {
    let (&first, _) = bytes.split_first()?;
    match Marker::from_u8(first) {
        Marker::FixStr(n) => Some(n.into()),
        Marker::FixArray(n) | Marker::FixMap(n) => Some(n.into()),
        Marker::Str8 | Marker::Bin8 => header(bytes, 1, 1),
        Marker::Str16 | Marker::Bin16 | Marker::Array16 | Marker::Map16 => header(bytes, 1, 2),
        Marker::Str32 | Marker::Bin32 | Marker::Array32 | Marker::Map32 => header(bytes, 1, 4),
        _ => None,
    }
}

/// The big-endian length of `width` bytes at `at`.
#[inline]
fn header(bytes: &[u8], at: usize, width: usize) -> Option<usize> {
    let field = bytes.get(at..at.checked_add(width)?)?;
    Some(field.iter().fold(0usize, |acc, &byte| acc << 8 | usize::from(byte)))
}

// What each marker is followed by: a kind in the top three bits of its entry, a count or a width in the low five.
const SKIP: u8 = 0;
const FIXARRAY: u8 = 1;
const FIXMAP: u8 = 2;
/// bin and str 8/16/32: a length of the entry's width, then that many bytes.
const LENGTH: u8 = 3;
/// ext 8/16/32: a length of the entry's width, a type byte, then that many bytes.
const EXT: u8 = 4;
/// array and map 16/32: a count of the entry's width.
const ARRAY: u8 = 5;
const MAP: u8 = 6;
/// 0xc1, which MessagePack never assigns.
const NEVER: u8 = 7;

const MARKERS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut marker = 0usize;
    while marker < 256 {
        let m = marker as u8;
        table[marker] = match m {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => SKIP << 5,
            0x80..=0x8f => FIXMAP << 5 | (m & 0x0f),
            0x90..=0x9f => FIXARRAY << 5 | (m & 0x0f),
            0xa0..=0xbf => SKIP << 5 | (m & 0x1f),
            0xc1 => NEVER << 5,
            0xc4 | 0xd9 => LENGTH << 5 | 1,
            0xc5 | 0xda => LENGTH << 5 | 2,
            0xc6 | 0xdb => LENGTH << 5 | 4,
            0xc7 => EXT << 5 | 1,
            0xc8 => EXT << 5 | 2,
            0xc9 => EXT << 5 | 4,
            // uint and int 8/16/32/64, float 32/64.
            0xcc | 0xd0 => SKIP << 5 | 1,
            0xcd | 0xd1 => SKIP << 5 | 2,
            0xca | 0xce | 0xd2 => SKIP << 5 | 4,
            0xcb | 0xcf | 0xd3 => SKIP << 5 | 8,
            // fixext 1/2/4/8/16: a type byte, then the bytes.
            0xd4 => SKIP << 5 | 2,
            0xd5 => SKIP << 5 | 3,
            0xd6 => SKIP << 5 | 5,
            0xd7 => SKIP << 5 | 9,
            0xd8 => SKIP << 5 | 17,
            0xdc => ARRAY << 5 | 2,
            0xdd => ARRAY << 5 | 4,
            0xde => MAP << 5 | 2,
            0xdf => MAP << 5 | 4,
        };
        marker += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded<T: serde::Serialize>(value: &T) -> Vec<u8> {
        rmp_serde::to_vec(value).expect("encodes")
    }

    fn bin(len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        rmp::encode::write_bin(&mut out, &vec![7u8; len]).expect("encodes");
        out
    }

    #[test]
    fn every_kind_of_value_is_measured() {
        use std::collections::BTreeMap;
        let map: BTreeMap<String, Vec<u32>> = [("a".to_string(), vec![1, 300, 70_000]), ("b".into(), vec![])].into();
        let cases = [
            encoded(&0u8),
            encoded(&-1i8),
            encoded(&200u8),
            encoded(&-200i16),
            encoded(&70_000u32),
            encoded(&-70_000i32),
            encoded(&u64::MAX),
            encoded(&i64::MIN),
            encoded(&1.5f32),
            encoded(&1.5f64),
            encoded(&true),
            encoded(&()),
            encoded(&Option::<u8>::None),
            encoded(&"short"),
            encoded(&"x".repeat(40)),
            encoded(&"x".repeat(300)),
            encoded(&"x".repeat(70_000)),
            bin(10),
            bin(300),
            bin(70_000),
            encoded(&vec![1u8; 20]),
            encoded(&vec![1u8; 70_000]),
            encoded(&map),
            encoded(&(1u8, ("nested", vec![vec![1u16]]), [2.5f64; 3])),
        ];
        for bytes in cases {
            assert_eq!(value_len(&bytes), Some(bytes.len()), "{bytes:x?}");
            let mut followed = bytes.clone();
            followed.extend_from_slice(&[0xc0, 0x01]);
            assert_eq!(value_len(&followed), Some(bytes.len()), "followed by more");
        }
    }

    #[test]
    fn extensions_are_measured() {
        for (bytes, len) in [
            (vec![0xd4, 1, 0], 3),
            (vec![0xd5, 1, 0, 0], 4),
            (vec![0xd6, 1, 0, 0, 0, 0], 6),
            (vec![0xd7, 1, 0, 0, 0, 0, 0, 0, 0, 0], 10),
            ([vec![0xd8, 1], vec![0; 16]].concat(), 18),
            (vec![0xc7, 2, 1, 9, 9], 5),
            (vec![0xc8, 0, 2, 1, 9, 9], 6),
            (vec![0xc9, 0, 0, 0, 2, 1, 9, 9], 8),
        ] {
            assert_eq!(value_len(&bytes), Some(len), "{bytes:x?}");
        }
    }

    #[test]
    fn truncated_values_and_the_unused_marker_are_none() {
        let whole = encoded(&(1u32, "hello", vec![1u64 << 40; 3]));
        for cut in 0..whole.len() {
            assert_eq!(value_len(&whole[..cut]), None, "cut at {cut}");
        }
        assert_eq!(value_len(&[0xc1]), None);
        assert_eq!(value_len(&[]), None);
    }

    #[test]
    fn hostile_headers_end_within_the_payload() {
        // An array announcing four billion elements, a map as many pairs, a string four gigabytes: no allocation,
        // no overflow, an answer within the bytes given.
        assert_eq!(value_len(&[0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]), None);
        assert_eq!(value_len(&[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01]), None);
        assert_eq!(value_len(&[0xdb, 0xff, 0xff, 0xff, 0xff, b'a']), None);
        // Nested a million deep: no recursion.
        let deep = [vec![0x91; 1_000_000], vec![0xc0]].concat();
        assert_eq!(value_len(&deep), Some(deep.len()));
    }
}
