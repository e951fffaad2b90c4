//! `#[remotes(crate = ...)]` for a crate that re-exports the runtime under another path.
#![deny(missing_docs, warnings)]

/// The re-export.
pub mod rt {
    pub use ::remotes_runtime::*;
}

/// Remotes that reach the runtime through `crate::rt`.
#[rt::remotes(crate = crate::rt)]
pub mod net {
    /// Functions.
    pub trait ServerFunctions {
        /// A function.
        fn add(a: u32, b: u32) -> u32;
    }
    /// Events.
    pub trait ClientEvents {
        /// An event.
        fn note(text: String);
    }
}

async fn on_server(server: &rt::Server, player: rt::Player) {
    let remotes = net::server(server);
    remotes.functions.add.set_callback(|_p: rt::Player, a, b| async move { a + b });
    let _ = remotes.functions.add.predict(&player, 1, 2).await;
    let _: rt::Fired = remotes.events.note.fire(&player, "n".to_string());
}

async fn on_client(client: &rt::Client) {
    let _ = net::client(client).functions.add.invoke(1, 2).await;
}

fn main() {
    let _ = on_server;
    let _ = on_client;
}
