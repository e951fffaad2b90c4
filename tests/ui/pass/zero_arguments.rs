//! Remotes without arguments, without a return type, and a module with only some of the traits.
#![deny(missing_docs, warnings)]

use remotes_runtime::{Client, FunctionError, Player, Server, remotes};

/// Zero-argument remotes.
#[remotes]
pub mod net {
    /// Functions.
    pub trait ServerFunctions {
        /// Returns the time.
        fn now() -> u64;
        /// Does something.
        fn poke();
    }
    /// Events.
    pub trait ClientEvents {
        /// A tick.
        fn tick();
    }
}

/// A module with no remotes at all still gets (empty) handles.
#[remotes]
pub mod empty {}

async fn on_server(server: &Server<net::Api>, player: Player) -> Result<(), FunctionError> {
    let remotes = server.remotes().clone();
    remotes.functions.now.set_callback(|_player: Player| async move { 7 });
    remotes.functions.poke.set_callback(|_player: Player| async move {});
    let _: u64 = remotes.functions.now.predict(&player).await?;
    remotes.events.tick.fire(&player);
    remotes.events.tick.broadcast();
    // An empty interface has a server too.
    let empty = Server::builder().in_memory::<empty::Api>();
    let _ = (&empty.remotes().functions, &empty.remotes().events);
    Ok(())
}

async fn on_client(client: &Client<net::Api>) -> Result<(), FunctionError> {
    let remotes = client.remotes().clone();
    let _: u64 = remotes.functions.now.invoke().await?;
    remotes.functions.poke.invoke().await?;
    let _ = remotes.events.tick.connect(|| async move {});
    remotes.events.tick.predict();
    let _: fn(&Client<empty::Api>) -> &empty::client::Remotes = Client::remotes;
    assert!(empty::interface().remotes().is_empty());
    Ok(())
}

fn main() {
    let _ = on_server;
    let _ = on_client;
}
