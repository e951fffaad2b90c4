//! A name declared in both directions: one struct per side offers both method sets, each with its own signature.
#![deny(missing_docs, warnings)]

use std::time::Duration;

use remotes_runtime::{Client, FunctionError, Player, Server, remotes};

/// Two-way remotes.
#[remotes]
pub mod net {
    /// Clients ask the server.
    pub trait ServerFunctions {
        /// Asks for a value by key.
        fn query(key: String) -> u64;
    }
    /// The server asks clients, with another signature.
    pub trait ClientFunctions {
        /// Asks a client whether it has a flag set.
        fn query(flag: u8, strict: bool) -> bool;
    }
    /// Clients tell the server.
    pub trait ServerEvents {
        /// A ping with a sequence number.
        fn ping(seq: u32);
    }
    /// The server tells clients, with another signature.
    pub trait ClientEvents {
        /// A ping with a label and a sequence number.
        fn ping(label: String, seq: u64);
    }
}

async fn on_server(server: &Server<net::Api>, player: Player) -> Result<(), FunctionError> {
    let remotes = server.remotes().clone();
    remotes.functions.query.set_callback(|_player: Player, key: String| async move { key.len() as u64 });
    let _: Result<u64, FunctionError> = remotes.functions.query.predict(&player, "k".to_string()).await;
    let _: bool = remotes.functions.query.invoke(&player, 3, true).await?;
    let _ = remotes.functions.query.invoke(&player, 3, false).timeout(Duration::from_secs(1)).await;
    let _ = remotes.events.ping.connect(|_player: Player, seq: u32| async move {
        let _ = seq;
    });
    remotes.events.ping.predict(&player, 1);
    remotes.events.ping.fire(&player, "hello".to_string(), 2);
    remotes.events.ping.broadcast("all".to_string(), 3);
    Ok(())
}

async fn on_client(client: &Client<net::Api>) -> Result<(), FunctionError> {
    let remotes = client.remotes().clone();
    remotes.functions.query.set_callback(|flag: u8, strict: bool| async move { strict && flag > 0 });
    let _: u64 = remotes.functions.query.invoke("key".to_string()).await?;
    let _: Result<bool, FunctionError> = remotes.functions.query.predict(1, true).await;
    remotes.events.ping.fire(5);
    let _ = remotes.events.ping.connect(|label: String, seq: u64| async move {
        let _ = (label, seq);
    });
    remotes.events.ping.predict("local".to_string(), 9);
    let kinds: Vec<_> = net::interface().remotes().iter().map(|def| (def.name, def.direction)).collect();
    assert_eq!(kinds.len(), 4);
    Ok(())
}

fn main() {
    let _ = on_server;
    let _ = on_client;
}
