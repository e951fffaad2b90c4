//! The interface the TypeScript client is tested against: every shape the bindings generator knows, functions and
//! events both ways, constraints, a namespace, and remotes that let a test observe the server's side of a call.

use std::collections::BTreeMap;

use remotes_runtime::remotes;
use serde::{Deserialize, Serialize};

/// What `buy_item` returns.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Receipt {
    pub item: u32,
    pub quantity: u8,
    pub coins_left: u64,
}

/// An enum with every kind of variant.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub enum Shape {
    Empty,
    Circle(f32),
    Pair(i8, i16),
    Rect { w: f32, h: f32 },
}

/// A newtype: travels as its inner value.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct PlayerId(pub u64);

/// A recursive type.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Tree {
    pub label: String,
    pub children: Vec<Tree>,
}

/// One value of every shape, echoed back by `echo`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Everything {
    pub flag: bool,
    pub small: u8,
    pub medium: u16,
    pub big: u32,
    pub huge: u64,
    pub giant: u128,
    pub tiny: i8,
    pub short: i16,
    pub int: i32,
    pub long: i64,
    pub wide: i128,
    pub single: f32,
    pub double: f64,
    pub letter: char,
    pub name: String,
    pub maybe: Option<String>,
    pub list: Vec<u32>,
    pub scores: BTreeMap<u32, String>,
    pub pair: (u8, String),
    pub triple: [u16; 3],
    pub shape: Shape,
    pub shapes: Vec<Shape>,
    pub id: PlayerId,
    pub tree: Tree,
}

#[remotes]
pub mod net {
    use super::*;

    /// Called by the TypeScript client, handled by the peer.
    pub trait ServerFunctions {
        /// Buys `quantity` of `item`: the coins left are `100 - quantity`.
        fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
        /// Returns after `millis` milliseconds. A call the client abandons is counted (see `wait_cancelled`).
        fn slow(millis: u64);
        /// Has no callback on the peer: always `Unprocessed`.
        fn daily_bonus() -> u64;
        /// Returns its argument.
        fn echo(value: Everything) -> Everything;
        /// Returns the name, which must be 3 to 12 bytes of UTF-8.
        fn rename(#[remote(len = 3..=12)] name: String) -> String;
        /// Invokes the caller's `confirm` with `prompt` and a deadline of `timeout_ms`, and returns what happened:
        /// `"true"`, `"false"` or the name of the `FunctionError`.
        fn ask(prompt: String, timeout_ms: u32) -> String;
        /// Fires `tick(1)` to `tick(count)` at the caller.
        fn push(count: u32);
        /// Waits (within its own deadline) until `count` of the caller's `slow` calls have been stopped before
        /// finishing (cancelled or timed out), and returns how many were.
        fn wait_cancelled(count: u32) -> u32;
        /// Waits (within its own deadline) until `count` of the caller's `chat` events have arrived, and returns
        /// every line heard from it so far, in order.
        fn heard(count: u32) -> Vec<String>;
    }

    /// Called by the peer, handled by the TypeScript client.
    pub trait ClientFunctions {
        /// A yes or no question.
        fn confirm(prompt: String) -> bool;
    }

    /// Fired by the TypeScript client.
    pub trait ServerEvents {
        /// A line of chat; the peer relays it back as `said`.
        fn chat(#[remote(len = ..=200)] text: String);
    }

    /// Fired by the peer.
    pub trait ClientEvents {
        /// A chat line, relayed, with the sender's player id.
        fn said(from: u64, text: String);
        /// One of the events `push` fires.
        fn tick(n: u32);
    }

    /// A namespace.
    pub mod shop {
        pub trait ServerFunctions {
            /// The price of `item`, if it is for sale (even items are).
            fn price(item: u32) -> Option<u64>;
        }
    }
}

/// The same interface as an older build would declare it: `buy_item` takes a `u16` quantity and `slow` is missing.
/// A client generated from [`net`] refuses to connect to a server of this one, naming both.
#[remotes]
pub mod old_net {
    use super::*;

    pub trait ServerFunctions {
        fn buy_item(item: u32, quantity: u16) -> Receipt;
        fn daily_bonus() -> u64;
    }
}
