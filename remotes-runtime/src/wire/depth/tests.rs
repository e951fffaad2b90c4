//! Each recursive shape at its limit (accepted), one past it (refused, naming the depth), and 10^5 and 10^6 levels
//! deep (refused, no crash), decoded on a thread with a tokio worker's stack (2 MiB) to prove the bound holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::wire::args::{Args, decode_value};

/// A tokio worker thread's stack.
const WORKER_STACK: usize = 2 << 20;

/// Runs `body` on a thread with a `stack`-byte stack. A stack overflow there would abort the test binary.
fn on_stack<T: Send + 'static>(stack: usize, body: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(stack).spawn(body).expect("spawn").join().expect("no panic")
}

fn is_depth_error(reason: &str) -> bool {
    reason.contains("levels deep") || reason.contains("depth limit exceeded")
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
pub(super) enum Expr {
    Lit(i64),
    Neg(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct W(Option<Box<W>>);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct L {
    next: Option<Box<L>>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct T(Vec<T>);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct M(BTreeMap<u8, M>);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "t")]
enum Internal {
    Leaf,
    Node { next: Box<Internal> },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Leaf,
    Node(Box<Adjacent>),
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(untagged)]
enum Untagged {
    Leaf(u8),
    Node(Vec<Untagged>),
}

/// A payload of one argument: `open` repeated `n` times, then `leaf`, then `close` repeated `n` times.
fn nested(open: &[u8], n: usize, leaf: &[u8], close: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + n * (open.len() + close.len()) + leaf.len());
    out.push(0x91);
    for _ in 0..n {
        out.extend_from_slice(open);
    }
    out.extend_from_slice(leaf);
    for _ in 0..n {
        out.extend_from_slice(close);
    }
    out
}

/// One recursive shape: how a level and the innermost value are encoded, and how many levels are accepted.
struct Shape {
    open: &'static [u8],
    leaf: &'static [u8],
    close: &'static [u8],
    deepest: usize,
}

/// Checks a shape: `deepest` levels decode, one more is refused for depth, and so are 10^5 and 10^6.
fn check<V: crate::wire::args::Wire>(shape: Shape) {
    on_stack(WORKER_STACK, move || {
        let Shape { open, leaf, close, deepest } = shape;
        assert!(deepest >= 100, "an honest value 100 levels deep must decode");
        let decode = |n| <(V,)>::decode(&nested(open, n, leaf, close), &[]);
        if let Err(err) = decode(deepest) {
            panic!("{deepest} levels refused: {}", err.reason);
        }
        for n in [deepest + 1, 100_000, 1_000_000] {
            let err = decode(n).err().unwrap_or_else(|| panic!("{n} levels accepted"));
            assert_eq!(err.index, Some(0));
            assert!(is_depth_error(&err.reason), "{n} levels: {}", err.reason);
        }
    });
}

/// Decodes one argument.
fn decode<V: crate::wire::args::Wire>(payload: &[u8]) -> Result<V, crate::wire::args::ArgsError> {
    <(V,)>::decode(payload, &[]).map(|(value,)| value)
}

#[test]
fn the_payloads_used_here_are_what_they_seem() {
    let neg = |e| Expr::Neg(Box::new(e));
    assert_eq!(decode::<Expr>(&nested(b"\x81\x01", 2, b"\x81\x00\x01", b"")), Ok(neg(neg(Expr::Lit(1)))));
    let add = |e| Expr::Add(Box::new(e), Box::new(Expr::Lit(1)));
    assert_eq!(decode::<Expr>(&nested(b"\x81\x02\x92", 1, b"\x81\x00\x01", b"\x81\x00\x01")), Ok(add(Expr::Lit(1))));
    assert_eq!(decode::<L>(&nested(b"\x91", 2, b"\xc0", b"")), Ok(L { next: Some(Box::new(L { next: None })) }));
    assert_eq!(decode::<T>(&nested(b"\x91", 1, b"\x90", b"")), Ok(T(vec![T(vec![])])));
    assert_eq!(decode::<M>(&nested(b"\x81\x00", 1, b"\x80", b"")), Ok(M(BTreeMap::from([(0, M(BTreeMap::new()))]))));
    let internal = Internal::Node { next: Box::new(Internal::Leaf) };
    assert_eq!(decode::<Internal>(&nested(INTERNAL_NODE, 1, INTERNAL_LEAF, b"")), Ok(internal));
    let adjacent = Adjacent::Node(Box::new(Adjacent::Leaf));
    assert_eq!(decode::<Adjacent>(&nested(ADJACENT_NODE, 1, ADJACENT_LEAF, b"")), Ok(adjacent));
    let adjacent = Adjacent::Node(Box::new(Adjacent::Leaf));
    assert_eq!(decode::<Adjacent>(&nested(CONTENT_FIRST, 1, ADJACENT_LEAF, TAG_AFTER)), Ok(adjacent));
    assert_eq!(decode::<Untagged>(&nested(b"\x91", 1, b"\x01", b"")), Ok(Untagged::Node(vec![Untagged::Leaf(1)])));
}

/// `Internal::Node` (rmp-serde writes structs as arrays, the tag first): `["Node", next]`, and `["Leaf"]`.
const INTERNAL_NODE: &[u8] = b"\x92\xa4Node";
const INTERNAL_LEAF: &[u8] = b"\x91\xa4Leaf";
/// `Adjacent`: `["Node", content]`, and `["Leaf", nil]`.
const ADJACENT_NODE: &[u8] = b"\x92\xa4Node";
const ADJACENT_LEAF: &[u8] = b"\x92\xa4Leaf\xc0";
/// `Adjacent` as a map with the content before the tag, which serde buffers: `{"c": content, "t": "Node"}`.
const CONTENT_FIRST: &[u8] = b"\x82\xa1c";
const TAG_AFTER: &[u8] = b"\xa1t\xa4Node";

#[test]
fn enum_variants_are_counted() {
    // `Neg(Neg(..Lit(1)))`: one level per variant; rmp-serde counts none of them.
    check::<Expr>(Shape { open: b"\x81\x01", leaf: b"\x81\x00\x01", close: b"", deepest: 255 });
}

#[test]
fn tuple_variants_are_counted() {
    // `Add(Add(..Lit(1), Lit(1)), Lit(1))`.
    check::<Expr>(Shape { open: b"\x81\x02\x92", leaf: b"\x81\x00\x01", close: b"\x81\x00\x01", deepest: 127 });
}

#[test]
fn struct_fields_and_options_are_counted() {
    check::<L>(Shape { open: b"\x91", leaf: b"\xc0", close: b"", deepest: 127 });
}

#[test]
fn newtypes_of_sequences_are_counted() {
    check::<T>(Shape { open: b"\x91", leaf: b"\x90", close: b"", deepest: 126 });
}

#[test]
fn newtypes_of_maps_are_counted() {
    check::<M>(Shape { open: b"\x81\x00", leaf: b"\x80", close: b"", deepest: 126 });
}

#[test]
fn internally_tagged_enums_are_counted_while_buffering() {
    check::<Internal>(Shape { open: INTERNAL_NODE, leaf: INTERNAL_LEAF, close: b"", deepest: 126 });
}

#[test]
fn adjacently_tagged_enums_are_counted() {
    check::<Adjacent>(Shape { open: ADJACENT_NODE, leaf: ADJACENT_LEAF, close: b"", deepest: 126 });
    check::<Adjacent>(Shape { open: CONTENT_FIRST, leaf: ADJACENT_LEAF, close: TAG_AFTER, deepest: 126 });
}

#[test]
fn untagged_enums_are_counted_while_buffering() {
    check::<Untagged>(Shape { open: b"\x91", leaf: b"\x01", close: b"", deepest: 127 });
}

#[test]
fn a_wrapper_that_consumes_no_byte_is_refused() {
    on_stack(WORKER_STACK, || {
        // `W(Some(W(Some(..))))` reads `01` forever without the adapter: `Some` and the newtype consume nothing.
        let err = <(W,)>::decode(&[0x91, 0x01], &[]).unwrap_err();
        assert!(err.reason.contains("nested more than 256 levels deep"), "{}", err.reason);
        assert_eq!(<(W,)>::decode(&[0x91, 0xc0], &[]).unwrap(), (W(None),));
    });
}

#[test]
fn return_values_are_counted() {
    on_stack(WORKER_STACK, || {
        for n in [256, 100_000, 1_000_000] {
            let payload = nested(b"\x81\x01", n, b"\x81\x00\x01", b"");
            let err = decode_value::<Expr>(&payload[1..]).unwrap_err();
            assert!(is_depth_error(&err), "{err}");
        }
        assert!(decode_value::<Expr>(&nested(b"\x81\x01", 255, b"\x81\x00\x01", b"")[1..]).is_ok());
        assert!(decode_value::<W>(&[0x01]).is_err());
    });
}

#[test]
fn handshake_maps_are_counted() {
    // A `HELLO` whose unknown field nests 20 one-entry maps: skipped values are counted too.
    let mut map = vec![0x81, 0xa1, b'x'];
    map.extend(std::iter::repeat_n([0x81, 0x00], 20).flatten());
    map.push(0x00);
    let err = crate::wire::message::decode_map::<crate::wire::message::Hello>(&map).unwrap_err();
    assert!(is_depth_error(&err), "{err}");
}

/// A small stack: 256 KiB. Decoding at the limit takes under 64 KiB in a release build; a debug build's frames are
/// far larger (up to 1 MiB for the deepest `L` or `T`), so debug builds decode on 1 MiB.
const SMALL_STACK: usize = if cfg!(debug_assertions) { 1 << 20 } else { 256 << 10 };

#[test]
fn the_deepest_accepted_values_decode_and_drop_on_a_small_stack() {
    let values = on_stack(SMALL_STACK, || {
        let expr = decode::<Expr>(&nested(b"\x81\x01", 255, b"\x81\x00\x01", b"")).unwrap();
        let list = decode::<L>(&nested(b"\x91", 127, b"\xc0", b"")).unwrap();
        let tree = decode::<T>(&nested(b"\x91", 126, b"\x90", b"")).unwrap();
        let internal = decode::<Internal>(&nested(INTERNAL_NODE, 126, INTERNAL_LEAF, b"")).unwrap();
        (expr, list, tree, internal)
    });
    // Dropping a value recurses once per level too, in far smaller frames.
    on_stack(256 << 10, || drop(values));
}

/// The residual case (see the module docs): `W` inside an untagged enum is decoded from serde's buffered content by
/// serde's `ContentRefDeserializer`, which `Depth` cannot wrap and which passes itself to `Some` and newtypes.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(untagged)]
enum UntaggedW {
    W(W),
}

const RESIDUAL_CHILD: &str = "REMOTES_DEPTH_RESIDUAL_CHILD";

#[test]
#[ignore = "run by residual_zero_byte_cycles_inside_buffered_enums_still_recurse in a child process"]
fn residual_child() {
    if std::env::var_os(RESIDUAL_CHILD).is_some() {
        on_stack(WORKER_STACK, || {
            // Honest input decodes; `01` recurses inside serde until the stack overflows.
            assert_eq!(decode::<UntaggedW>(&[0x91, 0xc0]), Ok(UntaggedW::W(W(None))));
            let _ = decode::<UntaggedW>(&[0x91, 0x01]);
        });
    }
}

#[test]
fn residual_zero_byte_cycles_inside_buffered_enums_still_recurse() {
    // Pins the documented limitation down: if serde ever stops recursing here, this test fails and the module
    // docs should be updated.
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["wire::depth::tests::residual_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(RESIDUAL_CHILD, "1")
        .output()
        .expect("run the child");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the child survived: {stderr}");
    assert!(stderr.contains("has overflowed its stack"), "{stderr}");
}
