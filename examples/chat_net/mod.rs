//! The chat interface shared by the `chat_server` and `chat_client` examples.
//!
//! Each of them includes this one file with `#[path = "chat_net/mod.rs"] mod chat_net;`, so both binaries are built
//! from the same declaration (and so agree on every signature hash). Cargo does not build this folder as an example of
//! its own: it has no `main.rs`.

use remotes_runtime::remotes;

#[remotes]
pub mod net {
    /// Invoked by clients, handled by the server.
    pub trait ServerFunctions {
        /// Introduces the caller under `name`; the server announces it to everyone and returns who else is here.
        fn join(name: String) -> Vec<String>;
        /// Who is here, in the order they joined.
        fn who() -> Vec<String>;
    }

    /// Fired by clients, heard by the server.
    pub trait ServerEvents {
        /// A line the player typed. The server relays it to everyone else.
        fn chat(text: String);
    }

    /// Fired by the server, heard by clients.
    pub trait ClientEvents {
        /// Someone else said something.
        fn said(from: String, text: String);
        /// Joins and leaves.
        fn announce(text: String);
    }
}
