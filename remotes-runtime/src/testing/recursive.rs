//! Recursive argument shapes for fuzzers: every way a type can nest in serde's data model, decoded from arbitrary
//! bytes the way a server decodes arguments and a client decodes return values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wire::args::{Args, decode_value};

/// Nests through externally tagged enum variants (newtype and tuple variants).
#[derive(Serialize, Deserialize)]
#[allow(dead_code)]
enum Expr {
    Lit(i64),
    Neg(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
}

/// Nests through a newtype and an `Option`: neither consumes a byte.
#[derive(Serialize, Deserialize)]
#[allow(dead_code)]
struct W(Option<Box<W>>);

/// Nests through a struct field.
#[derive(Serialize, Deserialize)]
#[allow(dead_code)]
struct L {
    next: Option<Box<L>>,
}

/// Nests through a sequence.
#[derive(Serialize, Deserialize)]
#[allow(dead_code)]
struct T(Vec<T>);

/// Nests through a map.
#[derive(Serialize, Deserialize)]
#[allow(dead_code)]
struct M(BTreeMap<u8, M>);

/// Nests through serde's buffered content (internally tagged).
#[derive(Serialize, Deserialize)]
#[serde(tag = "t")]
#[allow(dead_code)]
enum Internal {
    Leaf,
    Node { next: Box<Internal> },
}

/// Nests directly or through buffered content (adjacently tagged, the tag before or after the content).
#[derive(Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
#[allow(dead_code)]
enum Adjacent {
    Leaf,
    Node(Box<Adjacent>),
}

/// Nests through buffered content (untagged). Its cycle holds a sequence: a cycle of only `Option` and newtypes
/// inside an untagged enum is the one shape the depth limit cannot bound (see `wire::depth`), so it is not here.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Untagged {
    Leaf(u8),
    Node(Vec<Untagged>),
    Expr(Expr),
}

/// Decodes `args` (a MessagePack argument array) as one argument of each recursive shape, and `args` as a return
/// value of each shape. Returns how many decodes succeeded. For fuzzers: it must never panic, never overflow the
/// stack, and never allocate much more than `args`.
pub fn decode_recursive(args: &[u8]) -> usize {
    fn one<V: crate::wire::args::Wire>(args: &[u8]) -> usize {
        usize::from(<(V,)>::decode(args, &[]).is_ok()) + usize::from(decode_value::<V>(args).is_ok())
    }
    one::<Expr>(args)
        + one::<W>(args)
        + one::<L>(args)
        + one::<T>(args)
        + one::<M>(args)
        + one::<Internal>(args)
        + one::<Adjacent>(args)
        + one::<Untagged>(args)
        + one::<(Expr, Vec<Option<W>>, BTreeMap<String, L>)>(args)
}

#[cfg(test)]
mod tests {
    use super::decode_recursive;

    #[test]
    fn deep_and_zero_byte_payloads_are_refused_without_crashing() {
        let run = std::thread::Builder::new().stack_size(2 << 20).spawn(|| {
            for n in [300, 100_000] {
                for level in [&[0x81u8, 0x01][..], &[0x91], &[0x81, 0x00], &[0x92, 0xa4, b'N', b'o', b'd', b'e']] {
                    let mut args = vec![0x91];
                    args.extend(level.iter().copied().cycle().take(n * level.len()));
                    args.push(0x01);
                    assert_eq!(decode_recursive(&args), 0);
                }
            }
            // `W` reads `01` forever without the depth limit; only `Untagged` takes it (`Leaf(1)` as the argument,
            // `Node([Leaf(1)])` as a return value).
            assert_eq!(decode_recursive(&[0x91, 0x01]), 2);
            // Shallow input decodes: `[Lit(1)]` as an `Expr` argument, and `Lit(1)` inside the untagged enum.
            assert!(decode_recursive(&[0x91, 0x81, 0x00, 0x01]) >= 2);
        });
        run.expect("spawn").join().expect("no panic");
    }
}
