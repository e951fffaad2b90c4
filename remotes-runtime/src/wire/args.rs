//! How arguments and return values become MessagePack, and back.
//!
//! Arguments travel as one MessagePack array holding each argument in order (an empty array for none).
//! Return values travel as a single MessagePack value. Both use rmp-serde's compact form (structs as arrays).
//! Both come from the peer, so both are decoded through `wire::depth`: no payload can nest deep enough to overflow
//! the stack.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Room reserved up front for encoded arguments and return values: most fit, so encoding does not reallocate.
pub(crate) const ENCODE_CAPACITY: usize = 128;
use super::extent::{announced_len, value_len};
use crate::interface::ArgDef;

/// A type that can cross the wire as an argument or a return value.
///
/// Implemented for every `Serialize + DeserializeOwned + Send + 'static` type; the `#[remotes]` macro requires it
/// of each argument and return type, so a type that cannot cross is reported where the trait declares it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the wire as a remote argument or return value",
    label = "this type must be `Serialize + DeserializeOwned + Send + 'static`",
    note = "owned types (String, Vec<T>, Box<T>, your own #[derive(Serialize, Deserialize)] types) can cross; references, Rc and raw pointers cannot"
)]
pub trait Wire: Serialize + DeserializeOwned + Send + 'static {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Wire for T {}

/// What `#[remotes]` asserts of each argument and return type, at the type as the user wrote it: the same bounds as
/// [`Wire`], as one trait without supertraits, so that a type that cannot cross is one error with this message
/// rather than one error per missing bound.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross the wire as a remote argument or return value",
    label = "not `Serialize + DeserializeOwned + Send + 'static`",
    note = "remote arguments and return values are sent as MessagePack between tasks: they must be owned, `Send` types that serde can serialize and deserialize",
    note = "use an owned type instead (String, Vec<T>, Box<T>, Arc<T> of a serde type, or your own `#[derive(Serialize, Deserialize)]` type); references, `Rc` and raw pointers cannot cross"
)]
pub trait CrossesTheWire {
    /// Named by generated code: `<T as CrossesTheWire>::CROSSES`.
    const CROSSES: () = ();
}

#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned + Send + 'static> CrossesTheWire for T {}

/// Why arguments failed to decode: which one, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgsError {
    /// The zero-based index of the offending argument, or `None` when the array itself is wrong
    /// (not an array, wrong length, trailing data).
    pub index: Option<usize>,
    /// What was wrong, for logs.
    pub reason: String,
}

/// A tuple of arguments. Implemented for tuples of [`Wire`] types up to 16 elements.
pub trait Args: Send + 'static + Sized {
    /// How many arguments the tuple holds.
    const LEN: usize;
    /// Appends the arguments as one MessagePack array.
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), String>;
    /// Decodes a MessagePack array of exactly `LEN` arguments that fills `bytes` entirely. An argument whose
    /// declaration in `limits` has a `max_len` is refused from its header when its string, array or map is longer,
    /// before anything is allocated for it.
    fn decode(bytes: &[u8], limits: &[ArgDef]) -> Result<Self, ArgsError>;
}

/// Refuses argument `index` when its header announces more than its declared maximum length.
fn check_announced_len(rd: &[u8], index: usize, limits: &[ArgDef]) -> Result<(), ArgsError> {
    let Some(max) = limits.get(index).and_then(|arg| arg.max_len) else {
        return Ok(());
    };
    match announced_len(rd) {
        Some(len) if len > max => {
            Err(ArgsError { index: Some(index), reason: format!("length {len} exceeds the declared maximum of {max}") })
        }
        _ => Ok(()),
    }
}

/// Appends `value` as one MessagePack value.
pub(crate) fn encode_value<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), String> {
    value.serialize(&mut rmp_serde::Serializer::new(out)).map_err(|e| e.to_string())
}

/// Decodes `bytes`, one whole MessagePack value, at most [`MAX_NESTING`] values deep, with rmp-serde's slice
/// reader (no allocation; strings and binaries are borrowed from `bytes` until the value takes them).
fn decode_one<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    de.set_max_depth(MAX_DEPTH);
    super::depth::deserialize(&mut de, MAX_NESTING).map_err(|e| e.to_string())
}

/// Decodes the value at the front of `rest` and moves `rest` past it.
fn decode_next<T: DeserializeOwned>(rest: &mut &[u8]) -> Result<T, String> {
    let Some(len) = value_len(rest) else {
        // Cut short (or the unused marker): rmp-serde says where.
        return Err(match decode_one::<T>(rest) {
            Err(reason) => reason,
            Ok(_) => "the value is cut short".to_string(),
        });
    };
    let (value, after) = rest.split_at(len);
    *rest = after;
    decode_one(value)
}

/// The deepest nesting a payload may have, in levels of a recursive type: an honest value nested 100 levels
/// decodes, a hostile one cannot exhaust the stack (a stack overflow aborts the process). rmp-serde enforces it on
/// arrays, maps and extensions; [`MAX_NESTING`] enforces it on everything else.
pub(crate) const MAX_DEPTH: usize = 128;

/// The same limit, counted by `wire::depth` in nested values of serde's data model: one level of a recursive type
/// is one of them (an enum variant: `Neg(Box<Expr>)`) or two (a struct or newtype and the `Option`, `Vec` or map in
/// it: `struct L { next: Option<Box<L>> }`).
pub(crate) const MAX_NESTING: usize = 2 * MAX_DEPTH;

/// Decodes a value that must fill `bytes` entirely (a return value).
pub(crate) fn decode_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut rest = bytes;
    let value = decode_next(&mut rest)?;
    match rest.len() {
        0 => Ok(value),
        trailing => Err(format!("{trailing} bytes of trailing data")),
    }
}

fn read_array_header(rest: &mut &[u8], expected: usize) -> Result<(), ArgsError> {
    let len = rmp::decode::read_array_len(rest)
        .map_err(|e| ArgsError { index: None, reason: format!("arguments are not an array: {e}") })?;
    if len as usize != expected {
        return Err(ArgsError { index: None, reason: format!("expected {expected} arguments, received {len}") });
    }
    Ok(())
}

fn finish(rd: &[u8]) -> Result<(), ArgsError> {
    if rd.is_empty() {
        Ok(())
    } else {
        Err(ArgsError { index: None, reason: format!("{} bytes of trailing data after the arguments", rd.len()) })
    }
}

macro_rules! tuple_args {
    ($len:expr; $($name:ident $idx:tt),*) => {
        impl<$($name: Wire),*> Args for ($($name,)*) {
            const LEN: usize = $len;

            #[allow(unused_variables)]
            fn encode(&self, out: &mut Vec<u8>) -> Result<(), String> {
                rmp::encode::write_array_len(out, $len).map_err(|e| e.to_string())?;
                $( encode_value(&self.$idx, out)?; )*
                Ok(())
            }

            #[allow(unused_mut, unused_variables)]
            fn decode(bytes: &[u8], limits: &[ArgDef]) -> Result<Self, ArgsError> {
                let mut rest = bytes;
                read_array_header(&mut rest, $len)?;
                let value = ($({
                    check_announced_len(rest, $idx, limits)?;
                    decode_next::<$name>(&mut rest).map_err(|reason| ArgsError { index: Some($idx), reason })?
                },)*);
                finish(rest)?;
                Ok(value)
            }
        }
    };
}

tuple_args!(0;);
tuple_args!(1; A 0);
tuple_args!(2; A 0, B 1);
tuple_args!(3; A 0, B 1, C 2);
tuple_args!(4; A 0, B 1, C 2, D 3);
tuple_args!(5; A 0, B 1, C 2, D 3, E 4);
tuple_args!(6; A 0, B 1, C 2, D 3, E 4, F 5);
tuple_args!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_args!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_args!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_args!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_args!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_args!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
tuple_args!(13; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12);
tuple_args!(14; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13);
tuple_args!(15; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14);
tuple_args!(16; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11, M 12, N 13, O 14, P 15);

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<T: Args + PartialEq + std::fmt::Debug>(value: T) {
        let mut buf = Vec::new();
        value.encode(&mut buf).unwrap();
        assert_eq!(T::decode(&buf, &[]).unwrap(), value);
    }

    #[test]
    fn tuples_roundtrip() {
        roundtrip(());
        roundtrip((7u32,));
        roundtrip((7u32, 2u8, "hi".to_string(), vec![1u16, 2]));
    }

    #[test]
    fn no_arguments_is_an_empty_array() {
        let mut buf = Vec::new();
        ().encode(&mut buf).unwrap();
        assert_eq!(buf, [0x90]);
    }

    #[test]
    fn wrong_arity_is_rejected_without_an_index() {
        let mut buf = Vec::new();
        (1u32, 2u32, 3u32).encode(&mut buf).unwrap();
        let err = <(u32, u32)>::decode(&buf, &[]).unwrap_err();
        assert_eq!(err.index, None);
        assert!(err.reason.contains("expected 2"), "{}", err.reason);
    }

    #[test]
    fn wrong_type_names_the_argument() {
        let mut buf = Vec::new();
        (1u32, "not a number".to_string()).encode(&mut buf).unwrap();
        let err = <(u32, u32)>::decode(&buf, &[]).unwrap_err();
        assert_eq!(err.index, Some(1));
    }

    #[test]
    fn out_of_range_integer_is_rejected() {
        let mut buf = Vec::new();
        (300u32,).encode(&mut buf).unwrap();
        assert_eq!(<(u8,)>::decode(&buf, &[]).unwrap_err().index, Some(0));
    }

    #[test]
    fn trailing_data_is_rejected() {
        let mut buf = Vec::new();
        (1u32,).encode(&mut buf).unwrap();
        buf.push(0xc0);
        assert_eq!(<(u32,)>::decode(&buf, &[]).unwrap_err().index, None);
    }

    #[test]
    fn declared_maximum_lengths_are_checked_from_the_header() {
        let limits = [ArgDef { name: "id", max_len: None }, ArgDef { name: "text", max_len: Some(200) }];
        let mut ok = Vec::new();
        (1u32, "x".repeat(200)).encode(&mut ok).unwrap();
        assert!(<(u32, String)>::decode(&ok, &limits).is_ok());
        // A header announcing 10 MB, with no bytes behind it: refused from the header alone.
        let mut huge = Vec::new();
        rmp::encode::write_array_len(&mut huge, 2).unwrap();
        rmp::encode::write_uint(&mut huge, 1).unwrap();
        rmp::encode::write_str_len(&mut huge, 10_000_000).unwrap();
        let err = <(u32, String)>::decode(&huge, &limits).unwrap_err();
        assert_eq!(err.index, Some(1));
        assert!(err.reason.contains("10000000 exceeds the declared maximum of 200"), "{}", err.reason);
        // Arrays and maps count elements.
        let list_limits = [ArgDef { name: "points", max_len: Some(2) }];
        let mut three = Vec::new();
        (vec![1u8, 2, 3],).encode(&mut three).unwrap();
        assert_eq!(<(Vec<u8>,)>::decode(&three, &list_limits).unwrap_err().index, Some(0));
    }

    #[test]
    fn return_values_reject_trailing_data() {
        let mut buf = Vec::new();
        encode_value(&5u64, &mut buf).unwrap();
        assert_eq!(decode_value::<u64>(&buf).unwrap(), 5);
        buf.push(1);
        assert!(decode_value::<u64>(&buf).is_err());
    }

    #[test]
    #[ignore = "a micro-benchmark: cargo test --release -p remotes-runtime --lib decode_cost -- --ignored --nocapture"]
    fn decode_cost() {
        use std::hint::black_box;
        use std::time::Instant;
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Receipt {
            item: u32,
            quantity: u8,
            coins_left: u64,
        }
        let mut small = Vec::new();
        (7u32, 2u8).encode(&mut small).unwrap();
        let mut receipt = Vec::new();
        (Receipt { item: 7, quantity: 2, coins_left: 90_000 },).encode(&mut receipt).unwrap();
        let mut value = Vec::new();
        encode_value(&Receipt { item: 7, quantity: 2, coins_left: 90_000 }, &mut value).unwrap();
        const N: u32 = 1_000_000;
        for _ in 0..3 {
            let start = Instant::now();
            for _ in 0..N {
                black_box(<(u32, u8)>::decode(black_box(&small), &[]).unwrap());
            }
            let args = start.elapsed();
            let start = Instant::now();
            for _ in 0..N {
                black_box(<(Receipt,)>::decode(black_box(&receipt), &[]).unwrap());
            }
            let receipts = start.elapsed();
            let start = Instant::now();
            for _ in 0..N {
                black_box(decode_value::<Receipt>(black_box(&value)).unwrap());
            }
            let values = start.elapsed();
            eprintln!(
                "1M decodes: (u32, u8) {args:?}, (Receipt,) {receipts:?}, Receipt value {values:?} ({:.1} / {:.1} / {:.1} ns each)",
                args.as_nanos() as f64 / f64::from(N),
                receipts.as_nanos() as f64 / f64::from(N),
                values.as_nanos() as f64 / f64::from(N)
            );
        }
    }
}

/// What decoders accept beyond what encoders write (PROTOCOL.md section 8 states these): checked here so the
/// document stays true if the decoder changes.
#[cfg(test)]
mod leniency {
    use crate::wire::args::decode_value;

    #[test]
    fn decoders_accept_more_than_encoders_write() {
        // float 64 for an f32, integers for floats.
        assert_eq!(decode_value::<f32>(&[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]), Ok(1.5));
        assert_eq!(decode_value::<f64>(&[0x07]), Ok(7.0));
        assert_eq!(decode_value::<f32>(&[0xd0, 0xfe]), Ok(-2.0));
        // bin for a String (valid UTF-8).
        assert_eq!(decode_value::<String>(&[0xc4, 2, b'h', b'i']), Ok("hi".to_string()));
        // Any integer width whose value fits.
        assert_eq!(decode_value::<u8>(&[0xcf, 0, 0, 0, 0, 0, 0, 0, 9]), Ok(9));
        assert!(decode_value::<u8>(&[0xcd, 1, 0]).is_err(), "256 does not fit a u8");
    }
}
