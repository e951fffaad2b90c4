//! Typed remote functions and events between one server and many clients, in the model of Roblox's
//! RemoteFunction/RemoteEvent as refined by Flamework networking.
//!
//! A shared crate declares the interface once with [`remotes`]; both the server and the client get typed stubs:
//!
//! ```no_run
//! use remotes_runtime::{remotes, Client, FunctionError, Player, Server};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
//! pub struct Receipt { pub item: u32, pub quantity: u8, pub coins_left: u64 }
//!
//! #[remotes]
//! pub mod net {
//!     use super::*;
//!     pub trait ServerFunctions {
//!         /// Buys `quantity` of `item` for the calling player.
//!         fn buy_item(item: u32, quantity: u8) -> Receipt;
//!     }
//!     pub trait ClientFunctions {
//!         fn confirm(prompt: String) -> bool;
//!     }
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::bind::<net::Api>("127.0.0.1:0").await?;
//! server.remotes().functions.buy_item.set_callback(|_player: Player, item, quantity| async move {
//!     Receipt { item, quantity, coins_left: 90 }
//! });
//! server.start(); // clients are admitted once every callback is in place
//!
//! let client = Client::connect::<net::Api>(server.local_addr()?).await?;
//! let on_client = client.remotes();
//! let receipt = on_client.functions.buy_item.invoke(7, 2).await?;
//! assert_eq!(receipt.coins_left, 90);
//! # Ok(()) }
//! # fn main() {}
//! ```
//!
//! A server and a client are made for one interface, the `Api` marker the macro generates (`net::Api`), and hand out
//! its typed handles from the start ([`Server::remotes`], [`Client::remotes`]). Calls are lazy futures: nothing is
//! sent until one is awaited.
//!
//! The runtime carries calls as length-prefixed MessagePack frames over TCP ([`Server::bind`], [`Client::connect`])
//! or over an in-process transport with the same semantics ([`ServerBuilder::in_memory`],
//! [`Client::connect_in_memory`]). Every call settles: with the callee's value, or with a precise
//! [`FunctionError`] when a deadline passes, a peer leaves, a payload does not decode or no callback is set.
//!
//! The server never trusts a client. Arguments are decoded into the declared types and checked against the
//! constraints declared on them (`#[remote(range = 1..=99)]`, `#[remote(len = ..=200)]`,
//! `#[remote(validate = path)]`; `f32`/`f64` arguments must be finite unless `#[remote(allow_non_finite)]`), then
//! pass global middleware ([`Server::middleware`]) and per-remote middleware (the generated `middleware` methods)
//! before the callback or listeners. Rate limits ([`Server::rate_limit`], the generated `rate_limit` methods) refuse
//! floods before decoding; [`Server::on_bad_request`] and [`Player::bad_requests`] let a game act on offenders.
//!
//! Layout of this crate, following the path of a call: the typed handles in `remote/` encode the arguments
//! (`wire/args.rs`) into a frame (`wire/frame.rs`, `wire/message.rs`), which the connection's shared state
//! (`link.rs`) queues on its outbox (`outbox.rs`) with an entry in the pending-call table (`pending.rs`). The
//! connection task (`connection.rs`) writes it; the peer's connection task reads it and dispatches it
//! (`dispatch.rs`) to the callback registered in its endpoint (`endpoint.rs`) through the remote's pipeline
//! (`pipeline.rs`: `validate.rs`, `middleware.rs`; rate limits in `rate_limit.rs`, rejection reports in `boundary.rs`
//! and `hooks.rs`), and the reply settles the pending entry.
//!
//! No user code (callbacks, listeners, middleware, hooks, the authentication hook, player callbacks, `validate`
//! functions, nor the dropping of what they capture) runs while the runtime holds a lock, so any of it may call back
//! into the runtime. Where one lock is ever taken while holding another, the module says which (`link.rs`,
//! `outbox.rs`, `listeners.rs`).
#![warn(missing_docs)]

mod api;
mod auth;
mod binding;
mod boundary;
mod bus;
pub mod callback;
pub mod cluster {
    #![doc = include_str!("../docs/cluster.md")]
    #[cfg(feature = "nats")]
    pub use crate::bus::Nats;
    pub use crate::bus::{
        Adapter, BusError, BusFuture, BusMessages, BusStatus, ClusterHealth, ClusterSettings, MemoryBus,
        MemoryConnection, NodeInfo,
    };
    pub use crate::server::Cluster;
}
mod client;
mod config;
mod connection;
mod deadlines;
mod dispatch;
mod endpoint;
mod error;
pub mod example;
mod handshake;
mod hooks;
mod interface;
mod link;
mod listeners;
mod log_limit;
mod middleware;
mod outbox;
mod pending;
mod pipeline;
mod player;
mod rate_limit;
mod receive;
mod remote;
mod server;
mod signal;
mod slots;
pub mod telemetry;
pub mod testing;
#[cfg(feature = "tls")]
pub mod tls;
mod transport;
pub mod typescript;
mod user_code;
pub mod validate;
mod wire;
mod work;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use api::Api;
pub use auth::{Accept, Handshake};
pub use client::{Client, ClientBuilder};
pub use config::ReceiveRate;
pub use error::{ConnectError, FunctionError, TlsFailure};
pub use hooks::{Argument, BadRequestReport, BadResponseReport};
pub use interface::{ArgDef, Direction, Interface, Mismatch, MismatchKind, RemoteDef, RemoteKind};
pub use middleware::{Reject, Request};
pub use player::Player;
pub use rate_limit::RateLimit;
pub use remote::{Connection, Fired, Invoke, InvokeMany, Predict};
pub use remotes_macros::remotes;
pub use server::{Room, Rooms, Server, ServerBuilder};
pub use wire::args::CrossesTheWire;

/// The README's example, compiled and run as a doc test so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExample;
