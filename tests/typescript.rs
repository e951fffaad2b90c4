//! `net::typescript()`: the TypeScript bindings of a rich interface, compared with the committed
//! `tests/typescript/expected.ts` (regenerate it with `REMOTES_BLESS=1 cargo test --test typescript`), the errors for
//! types the bindings cannot describe, and what rmp-serde sends for each shape of the contract's table
//! (`clients/typescript/docs/bindings.md`).

use std::collections::{BTreeMap, HashMap};

use remotes_runtime::remotes;
use remotes_runtime::typescript::TypeScriptError;
use serde::{Deserialize, Serialize};

pub const MAX_NAME: usize = 20;
pub const MIN_LEVEL: i64 = -5;
pub const BIG: u64 = 1 << 60;
pub const HALF: f32 = 0.5;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Receipt {
    pub item: ItemId,
    pub quantity: u8,
    pub coins_left: u64,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(pub u32);

/// Every kind of variant.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum Shape {
    Empty,
    Circle(f32),
    Pair(u8, i16),
    Rect { w: f32, h: f32 },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Tree {
    pub label: String,
    pub children: Vec<Tree>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum List {
    Nil,
    Cons(u32, Box<List>),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Point(pub f64, pub f64);

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Ready;

/// Every scalar width.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Widths {
    pub a: u8,
    pub b: u16,
    pub c: u32,
    pub d: u64,
    pub e: u128,
    pub f: i8,
    pub g: i16,
    pub h: i32,
    pub i: i64,
    pub j: i128,
    pub k: f32,
    pub l: f64,
    pub m: char,
    pub n: bool,
    pub o: (),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Blob {
    #[serde(rename = "raw-bytes")]
    pub data: serde_bytes::ByteBuf,
    pub grid: [[u8; 3]; 2],
    pub tags: Option<Vec<String>>,
}

/// Ordered, but not a number: its `range` is left to the server.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Level(pub u8);

pub fn short(name: &str) -> Result<(), &'static str> {
    if name.len() < 30 { Ok(()) } else { Err("too long") }
}

#[remotes]
pub mod net {
    use super::*;

    pub trait ServerFunctions {
        /// Buys `quantity` of `item`; returns the receipt.
        fn buy_item(item: ItemId, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
        /// Renames the player.
        ///
        /// Names are 3 to 20 bytes long.
        fn rename(#[remote(len = 3..=MAX_NAME)] new: String) -> Option<String>;
        fn draw(shape: Shape, at: Point, #[remote(allow_non_finite)] angle: f32, scale: f32) -> Vec<Shape>;
        fn tune(
            #[remote(range = MIN_LEVEL..=10)] level: i64,
            #[remote(range = 0..BIG)] amount: u64,
            #[remote(range = 0.0..=HALF)] ratio: f32,
            #[remote(range = 1e-7..1.0, allow_non_finite)] epsilon: f64,
        );
        fn tier(
            #[remote(range = Level(1)..=Level(9))] tier: Level,
            #[remote(range = -170141183460469231731687303715884105728..=0)] low: i128,
        );
        fn all_widths(all: Widths) -> Ready;
        fn trees(root: Tree, list: List) -> BTreeMap<u32, Tree>;
        fn blobs(#[remote(len = ..64)] blobs: Vec<Blob>, pair: (u8, String), triple: [i32; 3]) -> (Ready, ItemId);
        fn maps(
            by_id: HashMap<u32, String>,
            #[remote(len = 1..)] shapes: BTreeMap<(u8, u8), Shape>,
        ) -> HashMap<ItemId, Option<Receipt>>;
    }

    pub trait ClientFunctions {
        /// Asks the player to confirm.
        fn confirm(#[remote(len = ..=200)] prompt: String) -> bool;
    }

    pub trait ServerEvents {
        /// A chat line.
        fn chat(#[remote(len = ..=200)] text: String);
        fn moved(x: f32, y: f32, z: f32);
        fn checked(#[remote(validate = super::short)] name: String);
        /// The client's clock.
        fn sync(tick: u64);
        /// Eight arguments: the generated methods take them one by one, which clippy's `too_many_arguments` must
        /// not report in the user's crate (CI runs clippy on this file).
        fn pose(x: f32, y: f32, z: f32, yaw: f32, pitch: f32, roll: f32, speed: f32, crouched: bool);
    }

    pub trait ClientEvents {
        /// Someone said something.
        fn said(from: u64, text: String);
        /// The server's clock.
        fn sync(tick: u64, server_time: i64);
    }

    /// The shop.
    pub mod shop {
        use crate::{ItemId, Receipt};

        pub trait ServerFunctions {
            /// Sells an item back.
            fn sell_item(item: ItemId) -> u64;
        }

        pub trait ClientEvents {
            fn price_changed(item: ItemId, price: u32, last: Option<Receipt>);
        }
    }
}

const EXPECTED: &str = "tests/typescript/expected.ts";

#[test]
fn bindings_match_the_committed_file() {
    let text = net::typescript().expect("the interface is describable");
    assert_eq!(net::typescript().unwrap(), text, "the bindings are deterministic");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EXPECTED);
    if let Err(stale) = remotes_runtime::typescript::keep_fresh(path, &text) {
        panic!("{stale}\n\n{text}");
    }
}

#[test]
fn every_remote_is_described_in_interface_order() {
    let text = net::typescript().unwrap();
    let names: Vec<&str> = net::interface().remotes().iter().map(|remote| remote.name).collect();
    let mut at = 0;
    for name in names {
        let entry = format!("      name: \"{name}\",");
        let found = text[at..].find(&entry).unwrap_or_else(|| panic!("`{name}` in order"));
        at += found + entry.len();
    }
    for remote in net::interface().remotes() {
        assert!(text.contains(&format!("hash: \"{:016x}\"", remote.hash)));
    }
}

/// Untagged: its `Deserialize` asks the format what comes next.
#[derive(Serialize, Deserialize, Debug)]
#[serde(untagged)]
pub enum Loose {
    Number(u32),
    Text(String),
}

#[derive(Serialize, Deserialize, Debug)]
pub struct HoldsLoose {
    pub loose: Loose,
}

#[remotes]
pub mod loose {
    use super::*;

    pub trait ServerFunctions {
        fn fine(x: u32) -> u32;
        fn buy_item(item: u32, quantity: Loose);
    }

    pub trait ClientFunctions {
        fn nested() -> HoldsLoose;
    }
}

#[test]
fn an_untagged_enum_is_refused_with_its_type_and_argument() {
    let error = loose::typescript().expect_err("untagged enums have no fixed shape");
    let message = error.to_string();
    assert!(matches!(error, TypeScriptError::Untraceable { .. }), "{error:?}");
    assert!(message.contains("`typescript::Loose`"), "{message}");
    assert!(message.contains("argument `quantity` of `buy_item`"), "{message}");
    assert!(message.contains("deserialize_any"), "{message}");
}

#[remotes]
pub mod nested_loose {
    use super::*;

    pub trait ClientFunctions {
        fn nested() -> HoldsLoose;
    }
}

#[test]
fn a_nested_untagged_enum_is_refused_with_its_field() {
    let message = nested_loose::typescript().unwrap_err().to_string();
    assert!(message.contains("`typescript::HoldsLoose`, the return type of `nested`"), "{message}");
    assert!(message.contains("in its field `loose`"), "{message}");
}

pub mod other {
    #[derive(serde::Serialize, serde::Deserialize, Debug)]
    pub struct Receipt {
        pub total: u64,
    }
}

#[remotes]
pub mod clash {
    pub trait ServerFunctions {
        fn first(a: crate::Receipt);
        fn second(b: crate::other::Receipt);
    }
}

#[remotes]
pub mod maybe {
    pub trait ServerEvents {
        fn set(value: Option<Option<u8>>);
    }
}

#[remotes]
pub mod reserved_name {
    #[derive(serde::Serialize, serde::Deserialize, Debug)]
    #[serde(rename = "ServerFunction")]
    pub struct Mine(pub u8);

    pub trait ServerEvents {
        fn set(value: Mine);
    }
}

#[test]
fn other_undescribable_interfaces() {
    let clash = clash::typescript().unwrap_err();
    assert!(matches!(clash, TypeScriptError::NameConflict { .. }), "{clash:?}");
    let message = clash.to_string();
    assert!(message.contains("`typescript::Receipt` and `typescript::other::Receipt` are both named `Receipt`"));
    assert!(message.contains("argument `b` of `second`"), "{message}");
    let maybe = maybe::typescript().unwrap_err();
    assert!(matches!(maybe, TypeScriptError::Ambiguous { .. }), "{maybe:?}");
    let expected = "`core::option::Option<core::option::Option<u8>>`, argument `value` of `set`, cannot be described";
    assert!(maybe.to_string().contains(expected), "{maybe}");
    let reserved = reserved_name::typescript().unwrap_err().to_string();
    assert!(reserved.contains("`ServerFunction` cannot be used"), "{reserved}");
}

/// What rmp-serde writes for each shape of the contract's table, as the runtime sends it.
#[test]
fn what_rmp_serde_sends_for_each_shape() {
    fn bytes<T: Serialize>(value: &T) -> Vec<u8> {
        rmp_serde::to_vec(value).unwrap()
    }
    assert_eq!(bytes(&true), [0xc3]);
    assert_eq!(bytes(&7u32), [0x07]);
    assert_eq!(bytes(&300u16), [0xcd, 0x01, 0x2c]);
    assert_eq!(bytes(&-1i8), [0xff]);
    assert_eq!(bytes(&u64::MAX), [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    // 128-bit integers: bin 8 of 16 bytes, big-endian, whatever the value.
    let mut five = vec![0xc4, 0x10];
    five.extend([0u8; 15]);
    five.push(5);
    assert_eq!(bytes(&5u128), five);
    let mut minus_one = vec![0xc4, 0x10];
    minus_one.extend([0xffu8; 16]);
    assert_eq!(bytes(&-1i128), minus_one);
    // f32 is float 32 (the TypeScript side may send float 64 or an int: both decode).
    assert_eq!(bytes(&1.5f32), [0xca, 0x3f, 0xc0, 0x00, 0x00]);
    assert_eq!(bytes(&1.5f64), [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    assert_eq!(rmp_serde::from_slice::<f32>(&[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]).unwrap(), 1.5);
    assert_eq!(rmp_serde::from_slice::<f32>(&[0x02]).unwrap(), 2.0);
    assert_eq!(bytes(&'x'), [0xa1, b'x']);
    assert_eq!(bytes(&serde_bytes::ByteBuf::from(vec![1, 2])), [0xc4, 0x02, 0x01, 0x02]);
    assert_eq!(bytes(&vec![1u8, 2]), [0x92, 0x01, 0x02]);
    assert_eq!(bytes(&()), [0xc0]);
    assert_eq!(bytes(&None::<u8>), [0xc0]);
    assert_eq!(bytes(&Some(3u8)), [0x03]);
    // `None` and `Some(None)` (and `Some(())`) are all nil: why `Option<Option<T>>` and `Option<()>` are refused.
    assert_eq!(bytes(&Some(None::<u8>)), [0xc0]);
    assert_eq!(bytes(&Some(())), [0xc0]);
    assert_eq!(bytes(&BTreeMap::from([(1u8, 2u8)])), [0x81, 0x01, 0x02]);
    assert_eq!(bytes(&(1u8, 2u8)), [0x92, 0x01, 0x02]);
    assert_eq!(bytes(&[1u8, 2, 3]), [0x93, 0x01, 0x02, 0x03]);
    // Structs: an array of the fields; newtype: the inner value; tuple struct: an array; unit struct: empty array.
    let receipt = Receipt { item: ItemId(7), quantity: 2, coins_left: 90 };
    assert_eq!(bytes(&receipt), [0x93, 0x07, 0x02, 0x5a]);
    assert_eq!(bytes(&ItemId(7)), [0x07]);
    assert_eq!(bytes(&Point(0.5, 1.0)), [0x92, 0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(bytes(&Ready), [0x90]);
    assert_eq!(rmp_serde::from_slice::<Ready>(&[0x90]).unwrap(), Ready);
    assert_eq!(rmp_serde::from_slice::<Ready>(&[0xc0]).unwrap(), Ready);
    // Enums: a unit variant is its name; any other variant a map of one entry, name -> value (fields as an array).
    assert_eq!(bytes(&Shape::Empty), [0xa5, b'E', b'm', b'p', b't', b'y']);
    assert_eq!(bytes(&Shape::Circle(1.0)), [0x81, 0xa6, b'C', b'i', b'r', b'c', b'l', b'e', 0xca, 0x3f, 0x80, 0, 0]);
    assert_eq!(bytes(&Shape::Pair(1, -2)), [0x81, 0xa4, b'P', b'a', b'i', b'r', 0x92, 0x01, 0xfe]);
    let rect = [0x81, 0xa4, b'R', b'e', b'c', b't', 0x92, 0xca, 0x3f, 0x80, 0, 0, 0xca, 0x40, 0, 0, 0];
    assert_eq!(bytes(&Shape::Rect { w: 1.0, h: 2.0 }), rect);
}
