//! Interfaces: the static description of a `#[remotes]` module that both sides compare at connect time.

use std::fmt;

/// Whether a remote is a function (request and reply) or an event (one-way message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RemoteKind {
    /// A remote function: invoked on one side, handled by a callback on the other, which replies.
    Function,
    /// A remote event: fired on one side, heard by the listeners of the other. No reply.
    Event,
}

/// Which way a remote's requests travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sent by clients, handled by the server (`ServerFunctions`, `ServerEvents`).
    ToServer,
    /// Sent by the server, handled by clients (`ClientFunctions`, `ClientEvents`).
    ToClient,
}

/// One remote of an interface, as the `#[remotes]` macro describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoteDef {
    /// The remote's name, as declared: `buy_item`.
    pub name: &'static str,
    /// Function or event.
    pub kind: RemoteKind,
    /// Which side handles it.
    pub direction: Direction,
    /// A hash of the remote's signature (argument and return types as written, and their constraints), computed by
    /// the macro.
    pub hash: u64,
    /// The arguments, in declaration order.
    pub args: &'static [ArgDef],
}

/// One argument of a remote, as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArgDef {
    /// The argument's name.
    pub name: &'static str,
    /// The upper bound of its `len = ...` constraint, if any: a longer string, sequence or map is refused from its
    /// MessagePack header, before anything is allocated for it.
    pub max_len: Option<usize>,
}

/// The static description of a `#[remotes]` module: every remote it declares, in declaration order.
///
/// Generated code exposes it as `net::interface()` (and `<net::Api as Api>::interface()`); a client built with
/// [`ClientBuilder::exact_interface`](crate::ClientBuilder::exact_interface) checks it against the server's at connect.
#[derive(Debug)]
pub struct Interface {
    name: &'static str,
    remotes: &'static [RemoteDef],
}

impl Interface {
    #[doc(hidden)]
    pub const fn __new(name: &'static str, remotes: &'static [RemoteDef]) -> Interface {
        Interface { name, remotes }
    }

    /// The name of the module that declared the interface.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Every remote of the interface, in declaration order. A remote's position is its local index.
    pub fn remotes(&self) -> &'static [RemoteDef] {
        self.remotes
    }
}

/// A remote whose declaration differs between client and server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The remote's name.
    pub remote: String,
    /// How it differs.
    pub kind: MismatchKind,
}

/// How a remote differs between client and server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MismatchKind {
    /// The peer does not declare this remote at all.
    Missing,
    /// The peer declares it with another signature.
    Signature,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            MismatchKind::Missing => write!(f, "`{}` is not declared by the server", self.remote),
            MismatchKind::Signature => write!(f, "`{}` has a different signature on the server", self.remote),
        }
    }
}

pub(crate) fn list_mismatches(list: &[Mismatch]) -> String {
    list.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}
