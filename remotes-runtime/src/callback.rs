//! What callbacks, listeners and middleware return: the bounds the generated `set_callback`, `connect` and
//! `middleware` methods put on the future a closure returns, so that a closure of the wrong shape is told what is
//! expected instead of rustc's bare "`u32` is not a future".
//!
//! Every type that is a `Future` with the right output implements them; nothing else can. They exist for their
//! error messages:
//!
//! ```compile_fail
//! # use remotes_runtime::{remotes, Player};
//! # #[remotes] pub mod net { pub trait ServerFunctions { fn add(a: u32, b: u32) -> u32; } }
//! # fn demo(remotes: net::server::Remotes) {
//! // error: a server callback must return a future (of `u32`); this one returns `u32`
//! remotes.functions.add.set_callback(|_player: Player, a, b| a + b);
//! # }
//! ```
//!
//! ```
//! # use remotes_runtime::{remotes, Player};
//! # #[remotes] pub mod net { pub trait ServerFunctions { fn add(a: u32, b: u32) -> u32; } }
//! # fn demo(remotes: net::server::Remotes) {
//! remotes.functions.add.set_callback(|_player: Player, a, b| async move { a + b });
//! # }
//! ```
//!
//! A closure that takes the wrong number of arguments still gets rustc's own error ("closure is expected to take
//! 3 arguments"): the generated method's signature, shown with it, lists them, the calling `Player` first on the
//! server.

use std::future::Future;

use crate::middleware::Reject;

/// The future a server callback returns: it resolves to the function's return type `R`.
#[diagnostic::on_unimplemented(
    message = "a server callback must return a future (of `{R}`); this one returns `{Self}`",
    label = "not a future of `{R}`",
    note = "a server callback takes the calling `Player` first, then the function's arguments, and returns a future: \
            `|player, item, quantity| async move {{ .. }}`"
)]
pub trait ServerReply<R>: Future<Output = R> {}

#[diagnostic::do_not_recommend]
impl<R, T: Future<Output = R>> ServerReply<R> for T {}

/// The future a client callback returns: it resolves to the function's return type `R`.
#[diagnostic::on_unimplemented(
    message = "a client callback must return a future (of `{R}`); this one returns `{Self}`",
    label = "not a future of `{R}`",
    note = "a client callback takes the function's arguments and returns a future: \
            `|prompt| async move {{ .. }}`"
)]
pub trait ClientReply<R>: Future<Output = R> {}

#[diagnostic::do_not_recommend]
impl<R, T: Future<Output = R>> ClientReply<R> for T {}

/// The future a server listener returns (of `()`).
#[diagnostic::on_unimplemented(
    message = "a server listener must return a future (of `()`); this one returns `{Self}`",
    label = "not a future of `()`",
    note = "a server listener takes the sending `Player` first, then the event's arguments, and returns a future: \
            `|player, text| async move {{ .. }}`"
)]
pub trait ServerHeard: Future<Output = ()> {}

#[diagnostic::do_not_recommend]
impl<T: Future<Output = ()>> ServerHeard for T {}

/// The future a client listener returns (of `()`).
#[diagnostic::on_unimplemented(
    message = "a client listener must return a future (of `()`); this one returns `{Self}`",
    label = "not a future of `()`",
    note = "a client listener takes the event's arguments and returns a future: `|text| async move {{ .. }}`"
)]
pub trait ClientHeard: Future<Output = ()> {}

#[diagnostic::do_not_recommend]
impl<T: Future<Output = ()>> ClientHeard for T {}

/// The future a middleware returns: the arguments to go on with (`A`, as a tuple), or a [`Reject`].
#[diagnostic::on_unimplemented(
    message = "a middleware must return a future (of `Result<{A}, Reject>`); this one returns `{Self}`",
    label = "not a future of `Result<{A}, Reject>`",
    note = "a middleware takes the arguments as a tuple (on the server, the calling `Player` first) and returns a \
            future of them, or of a `Reject`: `|player, args| async move {{ Ok(args) }}`"
)]
pub trait Verdict<A>: Future<Output = Result<A, Reject>> {}

#[diagnostic::do_not_recommend]
impl<A, T: Future<Output = Result<A, Reject>>> Verdict<A> for T {}
