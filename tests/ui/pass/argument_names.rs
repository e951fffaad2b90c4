//! User argument names that match the generated code's own parameter and local names.
#![deny(missing_docs, warnings)]

use std::time::Duration;

use remotes_runtime::{Client, Player, Server, remotes};

/// Remotes with awkward argument names.
#[remotes]
pub mod net {
    /// Functions.
    pub trait ServerFunctions {
        /// Every name the generated code uses internally.
        fn awkward(player: u8, timeout: u16, callback: u32, listener: u64, endpoint: String, a0: i8, players: i16) -> u8;
    }
    /// Functions.
    pub trait ClientFunctions {
        /// Invoked by the server, which passes its own `player` and `timeout`.
        fn ask(player: String, timeout: u64) -> bool;
    }
    /// Events.
    pub trait ServerEvents {
        /// An event.
        fn heard(player: u32, listener: u8, f: bool);
    }
    /// Events.
    pub trait ClientEvents {
        /// Fired at `players` with an argument called `players` too.
        fn told(players: Vec<u32>, player: u8);
    }
}

async fn on_server(server: &Server<net::Api>, who: Player) {
    let remotes = server.remotes().clone();
    remotes.functions.awkward.set_callback(|_who: Player, player, timeout, callback, listener, endpoint, a0, players| async move {
        let _ = (timeout, callback, listener, endpoint, a0, players);
        player
    });
    let _ = remotes.functions.awkward.predict(&who, 1, 2, 3, 4, "e".to_string(), 5, 6).await;
    let _ = remotes.functions.ask.invoke(&who, "p".to_string(), 9).timeout(Duration::from_secs(1)).await;
    let _ = remotes.events.heard.connect(|_who: Player, player, listener, f| async move {
        let _ = (player, listener, f);
    });
    remotes.events.told.fire_many(&[who.clone()], vec![1], 2);
    remotes.events.told.except(&[who.clone()], vec![1], 2);
}

async fn on_client(client: &Client<net::Api>) {
    let remotes = client.remotes().clone();
    let _ = remotes.functions.awkward.invoke(1, 2, 3, 4, String::new(), 5, 6).timeout(Duration::from_secs(1)).await;
    remotes.functions.ask.set_callback(|player: String, timeout: u64| async move { player.len() as u64 > timeout });
    remotes.events.heard.fire(1, 2, true);
}

fn main() {
    let _ = on_server;
    let _ = on_client;
}
