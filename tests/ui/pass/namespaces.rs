//! Namespaces: nested modules group remotes, at any depth, on both sides; user types resolve where they are written.
#![deny(missing_docs, warnings)]

use remotes_runtime::{Client, Player, Server, remotes};
use serde::{Deserialize, Serialize};

/// A type at the crate root.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Receipt {
    /// Coins left.
    pub coins_left: u64,
}

/// The game's remotes.
#[remotes]
pub mod net {
    use super::*;

    /// Top-level functions.
    pub trait ServerFunctions {
        /// Joins.
        fn join(name: String) -> u64;
    }

    /// The shop.
    pub mod shop {
        use super::*;

        /// A type private to the namespace, named as written here.
        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
        pub struct Item(pub u32);

        /// Shop functions.
        pub trait ServerFunctions {
            /// Buys an item.
            fn buy_item(item: Item, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
            /// Two-way with the client's `refresh`.
            fn refresh() -> u32;
        }

        /// Shop functions the client answers.
        pub trait ClientFunctions {
            /// Asks the player.
            fn confirm(item: self::Item) -> bool;
            /// Two-way.
            fn refresh() -> u32;
        }

        /// Shop events.
        pub trait ClientEvents {
            /// The shop opened.
            fn opened(items: Vec<Item>);
        }

        /// Deeper.
        pub mod prices {
            /// Price events.
            pub trait ServerEvents {
                /// Asks for a price.
                fn ask(item: super::Item);
            }

            /// Price events the server fires.
            pub trait ClientEvents {
                /// A price changed.
                fn changed(item: super::Item, price: u64);
            }
        }

        /// A module without remotes traits passes through unchanged.
        pub mod helpers {
            /// Any trait may appear here.
            pub trait Anything {}

            /// Helper.
            pub fn double(x: u32) -> u32 {
                x * 2
            }
        }
    }

    /// Only events.
    pub mod chat {
        /// Chat events.
        pub trait ServerEvents {
            /// Says something.
            fn say(text: String);
        }
    }
}

async fn on_server(server: &Server<net::Api>, player: Player) {
    let remotes = server.remotes().clone();
    remotes.functions.join.set_callback(|_player, _name| async move { 1 });
    remotes.functions.shop.buy_item.set_callback(|_player: Player, item: net::shop::Item, quantity| async move {
        Receipt { coins_left: u64::from(item.0) * u64::from(quantity) }
    });
    remotes.functions.shop.refresh.set_callback(|_player| async move { 3 });
    let _ = remotes.functions.shop.refresh.invoke(&player).await;
    let _ = remotes.functions.shop.confirm.invoke(&player, net::shop::Item(1)).await;
    remotes.events.shop.opened.broadcast(vec![net::shop::Item(1)]);
    remotes.events.shop.prices.changed.fire(&player, net::shop::Item(1), 5);
    let _c = remotes.events.shop.prices.ask.connect(|_player, _item| async move {});
    let _d = remotes.events.chat.say.connect(|_player, _text| async move {});
    let _: &net::shop::server::Functions = &remotes.functions.shop;
    let _: &net::shop::prices::server::Events = &remotes.events.shop.prices;
    assert_eq!(net::shop::helpers::double(2), 4);
}

async fn on_client(client: &Client<net::Api>) {
    let remotes = client.remotes().clone();
    let _ = remotes.functions.shop.buy_item.invoke(net::shop::Item(7), 2).await;
    remotes.functions.shop.confirm.set_callback(|_item| async move { true });
    let _c = remotes.events.shop.opened.connect(|_items| async move {});
    remotes.events.shop.prices.ask.fire(net::shop::Item(1));
    remotes.events.chat.say.fire("hi".to_string());
    let names: Vec<&str> = net::interface().remotes().iter().map(|remote| remote.name).collect();
    assert!(names.contains(&"shop.buy_item"));
    assert!(names.contains(&"shop.prices.changed"));
}

fn main() {
    let _ = on_server;
    let _ = on_client;
}
