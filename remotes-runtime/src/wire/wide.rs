//! 128-bit integers in every form MessagePack allows for them. rmp-serde writes a `u128`/`i128` as a 16-byte bin 8
//! (big-endian, two's complement for `i128`) and reads back only bin 8 and a 16-element array; a peer written in
//! another language may use bin 16 or bin 32 for the same 16 bytes, or a plain integer when the value fits in 64
//! bits. All of these decode here (PROTOCOL.md, "What decoders accept").

use std::fmt;

use serde::de::{Error, SeqAccess, Visitor};

/// Decodes a `u128` (`SIGNED = false`) or an `i128` in any of those forms, and hands it to `inner`.
pub(crate) struct Wide<V, const SIGNED: bool> {
    pub(crate) inner: V,
}

impl<V, const SIGNED: bool> Wide<V, SIGNED> {
    fn visit_be<'de, E: Error>(self, bytes: [u8; 16]) -> Result<V::Value, E>
    where
        V: Visitor<'de>,
    {
        if SIGNED {
            self.inner.visit_i128(i128::from_be_bytes(bytes))
        } else {
            self.inner.visit_u128(u128::from_be_bytes(bytes))
        }
    }
}

impl<'de, V: Visitor<'de>, const SIGNED: bool> Visitor<'de> for Wide<V, SIGNED> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if SIGNED { "an i128" } else { "a u128" })
    }

    fn visit_u64<E: Error>(self, value: u64) -> Result<V::Value, E> {
        if SIGNED { self.inner.visit_i128(value.into()) } else { self.inner.visit_u128(value.into()) }
    }

    fn visit_i64<E: Error>(self, value: i64) -> Result<V::Value, E> {
        match u128::try_from(value) {
            _ if SIGNED => self.inner.visit_i128(value.into()),
            Ok(value) => self.inner.visit_u128(value),
            Err(_) => Err(E::custom(format_args!("{value} is negative, not a u128"))),
        }
    }

    fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<V::Value, E> {
        let bytes: [u8; 16] = bytes
            .try_into()
            .map_err(|_| E::custom(format_args!("{} bytes, not the 16 of a 128-bit integer", bytes.len())))?;
        self.visit_be(bytes)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V::Value, A::Error> {
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = seq.next_element()?.ok_or_else(|| A::Error::invalid_length(i, &"16 bytes"))?;
        }
        if seq.next_element::<u8>()?.is_some() {
            return Err(A::Error::invalid_length(17, &"16 bytes"));
        }
        self.visit_be(bytes)
    }
}

#[cfg(test)]
mod tests {
    use crate::wire::args::{decode_value, encode_value};

    const VALUE: u128 = 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10;

    fn with_marker(marker: &[u8], bytes: &[u8]) -> Vec<u8> {
        let mut out = marker.to_vec();
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn every_bin_width_decodes() {
        let be = VALUE.to_be_bytes();
        for marker in [&[0xc4, 16][..], &[0xc5, 0, 16], &[0xc6, 0, 0, 0, 16]] {
            assert_eq!(decode_value::<u128>(&with_marker(marker, &be)), Ok(VALUE), "marker {marker:x?}");
            assert_eq!(decode_value::<i128>(&with_marker(marker, &(-5i128).to_be_bytes())), Ok(-5));
        }
    }

    #[test]
    fn what_rmp_serde_writes_reads_back() {
        for value in [0, 1, u128::from(u64::MAX) + 1, u128::MAX] {
            let mut out = Vec::new();
            encode_value(&value, &mut out).unwrap();
            assert_eq!(decode_value::<u128>(&out), Ok(value));
        }
        let mut out = Vec::new();
        encode_value(&i128::MIN, &mut out).unwrap();
        assert_eq!(decode_value::<i128>(&out), Ok(i128::MIN));
    }

    #[test]
    fn integers_and_arrays_decode_too() {
        assert_eq!(decode_value::<u128>(&[0x2a]), Ok(42));
        assert_eq!(decode_value::<i128>(&[0xff]), Ok(-1));
        assert_eq!(decode_value::<u128>(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), Ok(u64::MAX.into()));
        assert!(decode_value::<u128>(&[0xff]).is_err(), "negative");
        let mut array = vec![0xdc, 0, 16];
        array.extend(VALUE.to_be_bytes());
        assert_eq!(decode_value::<u128>(&array), Ok(VALUE));
    }

    #[test]
    fn arguments_decode_every_width() {
        use crate::wire::args::Args;
        let mut args = vec![0x91, 0xc6, 0, 0, 0, 16];
        args.extend(VALUE.to_be_bytes());
        assert_eq!(<(u128,)>::decode(&args, &[]).map_err(|e| e.reason), Ok((VALUE,)));
    }

    #[test]
    fn other_lengths_are_refused() {
        assert!(decode_value::<u128>(&with_marker(&[0xc5, 0, 15], &[0; 15])).is_err());
        assert!(decode_value::<u128>(&with_marker(&[0xc6, 0, 0, 0, 17], &[0; 17])).is_err());
    }
}
