//! The full example: all four traits, every generated method in use, no warning and every item documented.
#![deny(missing_docs, warnings)]

use std::time::Duration;

use remotes_runtime::{Client, Connection, Fired, FunctionError, Player, Server, remotes};
use serde::{Deserialize, Serialize};

/// What `buy_item` returns.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Receipt {
    /// The item bought.
    pub item: u32,
    /// How many.
    pub quantity: u8,
    /// The buyer's coins after the purchase.
    pub coins_left: u64,
}

/// The shop's remotes.
#[remotes]
pub mod net {
    use super::*;

    /// Handled by the server, invoked by clients.
    pub trait ServerFunctions {
        /// Buys an item.
        fn buy_item(item: u32, quantity: u8) -> Receipt;
        fn slow(millis: u64); // no return type means ()
    }

    /// Handled by clients, invoked by the server.
    pub trait ClientFunctions {
        fn confirm(prompt: String) -> bool;
    }

    /// Fired by clients, heard by the server.
    pub trait ServerEvents {
        fn chat(text: String);
        fn moved(x: f32, y: f32, z: f32);
    }

    /// Fired by the server, heard by clients.
    pub trait ClientEvents {
        fn announce(text: String);
    }

    /// Any other item passes through unchanged.
    pub const MAX: u32 = 5;
}

async fn on_server(server: &Server<net::Api>, player: Player, a: Player, b: Player) -> Result<(), FunctionError> {
    let remotes: net::server::Remotes = server.remotes().clone();
    remotes.functions.buy_item.set_callback(|_player: Player, item, quantity| async move {
        Receipt { item, quantity, coins_left: 90 }
    });
    remotes.functions.slow.set_callback(|_player, millis| async move { tokio::time::sleep(Duration::from_millis(millis)).await });
    let r: Result<Receipt, FunctionError> = remotes.functions.buy_item.predict(&player, 7, 2).await;
    let _ = r;
    let answer: bool = remotes.functions.confirm.invoke(&player, "Sell?".to_string()).await?;
    let late = remotes.functions.confirm.invoke(&player, "Sell?".to_string()).timeout(Duration::from_secs(2)).await;
    let _ = (answer, late);
    let conn: Connection = remotes.events.chat.connect(|_player: Player, _text: String| async move {});
    conn.disconnect();
    let _moved = remotes.events.moved.connect(|_player, x, y, z| async move {
        let _: (f32, f32, f32) = (x, y, z);
    });
    remotes.events.chat.predict(&player, "x".to_string());
    remotes.events.moved.predict(&player, 1.0, 2.0, 3.0);
    let fired: Fired = remotes.events.announce.fire(&player, "hi".to_string());
    let _ = fired;
    remotes.events.announce.fire_many(&[a.clone(), b.clone()], "team".to_string());
    remotes.events.announce.broadcast("round".to_string());
    remotes.events.announce.except(&[player.clone()], "joined".to_string());
    let copy = remotes.clone();
    let _ = format!("{copy:?} {:?} {:?}", copy.functions, copy.events);
    assert_eq!(net::MAX, 5);
    Ok(())
}

async fn on_client(client: &Client<net::Api>) -> Result<(), FunctionError> {
    let remotes: net::client::Remotes = client.remotes().clone();
    remotes.functions.confirm.set_callback(|prompt: String| async move { prompt.len() < 20 });
    let receipt: Receipt = remotes.functions.buy_item.invoke(7, 2).await?;
    let _ = receipt;
    let late: Result<(), FunctionError> =
        remotes.functions.slow.invoke(1000).timeout(Duration::from_millis(200)).await;
    let _ = late;
    let local: Result<bool, FunctionError> = remotes.functions.confirm.predict("x".to_string()).await;
    let _ = local;
    remotes.events.chat.fire("hello".to_string());
    remotes.events.moved.fire(1.0, 2.0, 3.0);
    let _conn = remotes.events.announce.connect(|_text: String| async move {});
    remotes.events.announce.predict("local".to_string());
    let interface: &'static remotes_runtime::Interface = net::interface();
    assert_eq!(interface.name(), "net");
    assert_eq!(interface.remotes().len(), 6);
    Ok(())
}

fn main() {
    let _ = on_server;
    let _ = on_client;
}
