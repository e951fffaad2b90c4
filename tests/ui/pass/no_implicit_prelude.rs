//! Generated code names everything by absolute path: it compiles without the prelude, and next to user types
//! called `Result`, `Option`, `Player`, `Server`, `Box`.
#![no_implicit_prelude]
#![deny(missing_docs, warnings)]

extern crate remotes_runtime;
extern crate serde;
extern crate std;

/// Shadows the prelude's `Result`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Result(pub u8);
/// Shadows the prelude's `Option`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Option(pub u8);
/// Shadows `remotes_runtime::Player`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Player(pub u8);
/// Shadows `remotes_runtime::Server`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Server(pub u8);
/// Shadows the prelude's `Box`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Box(pub u8);

/// A check, returning the std `Result` by its full path.
pub fn short(name: &str) -> ::std::result::Result<(), &'static str> {
    if name.is_empty() { ::std::result::Result::Err("empty") } else { ::std::result::Result::Ok(()) }
}

/// Remotes whose signatures use the shadowing types.
#[remotes_runtime::remotes]
pub mod net {
    use super::{Box, Option, Player, Result, Server};

    /// Functions.
    pub trait ServerFunctions {
        /// Everything shadowed at once.
        fn odd(a: Result, b: Option, c: Player, d: Server) -> Box;
    }
    /// Events.
    pub trait ClientFunctions {
        /// A std type by its full path.
        fn list(items: ::std::vec::Vec<::std::string::String>) -> ::std::option::Option<u8>;
    }
    /// Events.
    pub trait ServerEvents {
        /// An event.
        fn seen(who: Player);
        /// Every kind of check, without the prelude.
        fn checked(
            #[remote(range = 1..=9)] level: u8,
            #[remote(len = ..LONGEST, validate = super::short)] name: ::std::string::String,
            at: f32,
        );
    }

    /// The longest name.
    pub const LONGEST: usize = 16;
    /// Events.
    pub trait ClientEvents {
        /// An event.
        fn told(what: Result);
    }
}

async fn on_server(server: &remotes_runtime::Server<net::Api>, player: remotes_runtime::Player) {
    let remotes = ::core::clone::Clone::clone(server.remotes());
    remotes.functions.odd.set_callback(|_p: remotes_runtime::Player, _a: Result, _b: Option, c: Player, _d: Server| async move {
        Box(c.0)
    });
    let _ = remotes.functions.list.invoke(&player, ::std::vec::Vec::new()).await;
    let _ = remotes.events.seen.connect(|_p: remotes_runtime::Player, _who: Player| async move {});
    remotes.events.told.fire(&player, Result(1));
    remotes.events.checked.middleware(|_p, args| async move { ::std::result::Result::Ok(args) });
    remotes.events.checked.rate_limit(remotes_runtime::RateLimit::per_second(1.0));
}

fn main() {
    let _ = on_server;
}
