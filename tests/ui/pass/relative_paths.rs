//! `self::` and `super::` paths in signature types resolve as they do in the user's module, also inside
//! generic arguments, and a qualified path reaches a type whose name a generated struct takes.
#![deny(missing_docs, warnings)]

use remotes_runtime::{Client, remotes};
use serde::{Deserialize, Serialize};

/// Declared next to the module.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Outer(pub u8);

/// Same name as the generated struct for `buy_item`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct BuyItem(pub u32);

/// The highest index.
pub const HIGH: u8 = 8;

/// Accepts ASCII text.
pub fn ascii(text: &str) -> Result<(), String> {
    if text.is_ascii() { Ok(()) } else { Err(format!("{text:?} is not ASCII")) }
}

/// The module.
pub mod shop {
    use super::*;

    /// The longest name.
    pub const LONGEST: usize = 12;

    /// The remotes.
    #[remotes]
    pub mod net {
        /// Declared inside the module.
        #[derive(super::Serialize, super::Deserialize, Clone, Debug)]
        pub struct Inner(pub u16);

        /// Functions.
        pub trait ServerFunctions {
            /// Uses both.
            fn swap(inner: self::Inner, outer: super::super::Outer) -> (super::super::Outer, self::Inner);
            /// Generic arguments too.
            fn many(list: Vec<self::Inner>) -> Option<Vec<super::super::Outer>>;
            /// Reaches the outer `BuyItem` by a qualified path.
            fn buy_item(request: crate::BuyItem) -> bool;
            /// Relative paths in constraints.
            fn pick(
                #[remote(range = self::LOW..=super::super::HIGH, validate = self::even)] index: u8,
                #[remote(len = ..super::LONGEST, validate = super::super::ascii)] name: String,
            );
        }

        /// The lowest index.
        pub const LOW: u8 = 2;

        /// Accepts even numbers.
        pub fn even(value: &u8) -> Result<(), &'static str> {
            if value % 2 == 0 { Ok(()) } else { Err("odd") }
        }
    }
}

async fn on_client(client: &Client<shop::net::Api>) {
    let remotes = client.remotes().clone();
    let _ = remotes.functions.swap.invoke(shop::net::Inner(1), Outer(2)).await;
    let _ = remotes.functions.many.invoke(vec![shop::net::Inner(3)]).await;
    let _ = remotes.functions.buy_item.invoke(BuyItem(4)).await;
}

fn main() {
    let _ = on_client;
}
