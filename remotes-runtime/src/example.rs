//! A documented example interface, expanded by [`remotes`](crate::remotes) inside this crate, so that the API the
//! macro generates can be read here: open [`example::server`](self::shop::server) and
//! [`example::client`](self::shop::client) for the structs and every generated method with its documentation.
//!
//! The declaration (the macro turns the traits into the items below):
//!
//! ```ignore
//! #[remotes(crate = crate)]
//! pub mod shop {
//!     pub trait ServerFunctions {
//!         /// Buys `quantity` of `item` for the calling player; returns the receipt.
//!         fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
//!     }
//!     pub trait ClientFunctions {
//!         /// Asks the player to confirm; returns the answer.
//!         fn confirm(#[remote(len = ..=200)] prompt: String) -> bool;
//!     }
//!     pub trait ServerEvents {
//!         /// The player says something in chat.
//!         fn chat(#[remote(len = ..=200)] text: String);
//!     }
//!     pub trait ClientEvents {
//!         /// The server announces something to players.
//!         fn announce(text: String);
//!     }
//! }
//! ```
//!
//! Besides the handles, the macro generates [`shop::interface()`](self::shop::interface) (the table both sides
//! compare at connect) and [`shop::typescript()`](self::shop::typescript), the TypeScript bindings for clients
//! written with the `remotes-client` package (see [`typescript`](crate::typescript)):
//!
//! ```
//! let ts = remotes_runtime::example::shop::typescript()?;
//! assert!(ts.contains("    buyItem: ServerFunction<[item: number, quantity: number], Receipt>;\n"));
//! assert!(ts.contains("    confirm: ClientFunction<[prompt: string], boolean>;\n"));
//! assert!(ts.contains(r#"args: [["prompt", "str", { len: { max: 200 } }]],"#));
//! # Ok::<(), remotes_runtime::typescript::TypeScriptError>(())
//! ```
//!
//! Used like this (the server side sets callbacks and listeners, then starts; a client invokes, fires and listens):
//!
//! ```no_run
//! use remotes_runtime::example::{Receipt, shop};
//! use remotes_runtime::{Client, Player, Server};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::bind::<shop::Api>("127.0.0.1:0").await?;
//! let on_server = server.remotes();
//! on_server.functions.buy_item.set_callback(|_player: Player, item, quantity| async move {
//!     Receipt { item, quantity, coins_left: 90 }
//! });
//! on_server.events.chat.connect(|player: Player, text: String| async move {
//!     tracing::info!(player = player.id(), %text, "chat");
//! });
//! server.start();
//!
//! let client = Client::connect::<shop::Api>(server.local_addr()?).await?;
//! client.remotes().functions.confirm.set_callback(|prompt: String| async move { !prompt.is_empty() });
//! let receipt = client.remotes().functions.buy_item.invoke(7, 2).await?;
//! client.remotes().events.chat.fire(format!("bought {}", receipt.quantity));
//! on_server.events.announce.broadcast("sale is over".to_string());
//! # Ok(()) }
//! ```
//!
//! Rooms group players (a match, a lobby): [`announce.fire_room`](self::shop::server::Announce::fire_room) reaches
//! the members of one, and [`confirm.invoke_room`](self::shop::server::Confirm::invoke_room) asks each of them,
//! yielding every answer as it arrives (see [`Room`](crate::Room) and [`InvokeMany`](crate::InvokeMany)):
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use remotes_runtime::example::shop;
//! use remotes_runtime::{Player, Server};
//! use std::time::Duration;
//!
//! # async fn demo(server: Server<shop::Api>, alice: Player, bob: Player) {
//! let room = server.room("match-42");
//! room.join(&alice);
//! room.join(&bob);
//! let on_server = server.remotes();
//! on_server.events.announce.fire_room(&room, "round one".to_string()); // encoded once for both
//! on_server.events.announce.fire_room_except(&room, &[bob.clone()], "you lead".to_string());
//! let mut answers = on_server.functions.confirm.invoke_room(&room, "ready?".to_string()).timeout(Duration::from_secs(5));
//! while let Some((player, ready)) = answers.next().await {
//!     println!("player {}: {ready:?}", player.id()); // Ok(true), Ok(false), or Err(Timeout) by the deadline
//! }
//! # }
//! ```

use serde::{Deserialize, Serialize};

/// What `buy_item` returns.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The item bought.
    pub item: u32,
    /// How many.
    pub quantity: u8,
    /// The player's coins after paying.
    pub coins_left: u64,
}

/// The example interface, as the macro expands it: `shop::Api` (the marker a server or client is made for),
/// `shop::server` and `shop::client` (the typed handles each side gets), `shop::interface()` (the table) and
/// `shop::typescript()` (the bindings for TypeScript clients, [`crate::typescript`]).
#[crate::remotes(crate = crate)]
pub mod shop {
    use super::Receipt;

    pub trait ServerFunctions {
        /// Buys `quantity` of `item` for the calling player; returns the receipt.
        fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
    }

    pub trait ClientFunctions {
        /// Asks the player to confirm; returns the answer.
        fn confirm(#[remote(len = ..=200)] prompt: String) -> bool;
    }

    pub trait ServerEvents {
        /// The player says something in chat.
        fn chat(#[remote(len = ..=200)] text: String);
    }

    pub trait ClientEvents {
        /// The server announces something to players.
        fn announce(text: String);
    }
}
