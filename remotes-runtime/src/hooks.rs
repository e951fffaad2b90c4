//! Rejection hooks: user code told of every request this side rejected as malformed (`on_bad_request`) and every
//! reply it could not decode (`on_bad_response`), with per-player counters a game can read to kick repeat offenders.

use crate::player::Player;

/// The argument a rejection is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argument {
    /// Zero-based position in the remote's declaration.
    pub index: usize,
    /// The name it is declared with.
    pub name: &'static str,
}

/// A request this side rejected because its arguments did not decode as the declared types or broke a declared
/// constraint. A function call is answered `BadRequest`; an event is dropped.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BadRequestReport {
    /// The player who sent it (on the server); `None` on a client.
    pub player: Option<Player>,
    /// The remote's name.
    pub remote: &'static str,
    /// The offending argument, when one is to blame (not for a wrong number of arguments or trailing data).
    pub argument: Option<Argument>,
    /// What was wrong.
    pub reason: String,
}

/// A reply this side could not decode as the declared return type: the call settled `InvalidResult`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BadResponseReport {
    /// The player whose client sent the reply (on the server); `None` on a client.
    pub player: Option<Player>,
    /// The remote's name.
    pub remote: &'static str,
    /// What was wrong.
    pub reason: String,
}
