//! A crate that depends on `remotes-runtime` alone — no serde, tokio or rmp-serde in its `Cargo.toml` — and declares
//! its interface with `#[remotes]`, using std types, constraints and a namespace. It compiles because the generated
//! code names everything through `::remotes_runtime`.
#![deny(missing_docs, warnings)]

use remotes_runtime::remotes;

/// The longest name a player may take.
pub const MAX_NAME: usize = 16;

/// A lobby's remotes.
#[remotes]
pub mod net {
    /// Handled by the server.
    pub trait ServerFunctions {
        /// Echoes `x` back.
        fn echo(x: u32) -> u32;
        /// Joins with a name; returns the names of everyone in the lobby.
        fn join(#[remote(len = 1..=crate::MAX_NAME)] name: String) -> Vec<String>;
        /// Picks a seat, if free.
        fn seat(#[remote(range = 0..=7)] seat: u8) -> Option<u8>;
    }

    /// Heard by clients.
    pub trait ClientEvents {
        /// Someone said something.
        fn said(from: Option<String>, text: String);
    }

    /// Chat, a namespace.
    pub mod chat {
        /// Fired by clients.
        pub trait ServerEvents {
            /// Says something in the lobby.
            fn say(#[remote(len = ..=200)] text: String);
        }
    }
}

#[cfg(test)]
mod tests {
    use remotes_runtime::Server;

    use super::net;

    #[test]
    fn attaches_without_tokio_or_serde() {
        let server = Server::builder().in_memory::<net::Api>();
        let remotes = server.remotes().clone();
        remotes.functions.echo.set_callback(|_player, x| async move { x });
        remotes.functions.join.set_callback(|_player, name| async move { vec![name] });
        remotes.functions.seat.set_callback(|_player, seat| async move { Some(seat) });
        let _listener = remotes.events.chat.say.connect(|_player, _text| async move {});
        remotes.events.said.broadcast(None, "nobody is connected".to_string());
        let names: Vec<&str> = net::interface().remotes().iter().map(|remote| remote.name).collect();
        assert_eq!(names, ["echo", "join", "seat", "chat.say", "said"]);
    }
}
