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
        /// Checks through the re-exported runtime.
        fn scale(#[remote(range = 1..=10)] by: u32, #[remote(len = ..=8)] values: Vec<f64>, factor: f32) -> u32;
    }
    /// Events.
    pub trait ClientEvents {
        /// An event.
        fn note(text: String);
    }
}

async fn on_server(server: &rt::Server<net::Api>, player: rt::Player) {
    let remotes = server.remotes().clone();
    remotes.functions.add.set_callback(|_p: rt::Player, a, b| async move { a + b });
    let _ = remotes.functions.add.predict(&player, 1, 2).await;
    remotes.functions.scale.middleware(|_p, args| async move { Ok(args) });
    remotes.functions.scale.rate_limit(rt::RateLimit::per_second(2.0));
    let _: rt::Fired = remotes.events.note.fire(&player, "n".to_string());
}

async fn on_client(client: &rt::Client<net::Api>) {
    let _ = client.remotes().functions.add.invoke(1, 2).await;
}

fn main() {
    let _ = on_server;
    let _ = on_client;
}
