//! What `#[remotes]`-generated code calls. Not a public API: names and signatures change without notice.

pub use crate::interface::{ArgDef, Direction, Interface, RemoteDef, RemoteKind};
pub use crate::remote::event::{ClientEmitter, ClientListener, ServerEmitter, ServerListener};
pub use crate::remote::function::{ClientFunction, ClientInvoker, ServerFunction, ServerInvoker};
pub use crate::validate::{Check, Violation, check_finite, check_len, check_range, check_with};
pub use crate::wire::args::{Args, CrossesTheWire, Wire};

use std::sync::Arc;

use crate::client::ClientShared;
use crate::endpoint::Endpoint;
use crate::server::ServerShared;

/// Describes a remote for an interface's table.
pub const fn remote(
    name: &'static str,
    kind: RemoteKind,
    direction: Direction,
    hash: u64,
    args: &'static [ArgDef],
) -> RemoteDef {
    RemoteDef { name, kind, direction, hash, args }
}

/// Describes an argument for an interface's table.
pub const fn arg(name: &'static str, max_len: Option<usize>) -> ArgDef {
    ArgDef { name, max_len }
}

/// The server's side of an interface: hands out typed handles by local index.
pub struct ServerEndpoint {
    server: Arc<ServerShared>,
    endpoint: Arc<Endpoint>,
}

impl ServerEndpoint {
    pub(crate) fn new(server: &Arc<ServerShared>) -> ServerEndpoint {
        ServerEndpoint { server: Arc::clone(server), endpoint: Arc::clone(server.endpoint()) }
    }

    /// A function the server handles.
    pub fn function<A, R>(&self, index: usize, check: Option<Check<A>>) -> ServerFunction<A, R> {
        ServerFunction::new(&self.endpoint, index, check)
    }

    /// A function the server invokes.
    pub fn invoker<A, R>(&self, index: usize, check: Option<Check<A>>) -> ServerInvoker<A, R> {
        ServerInvoker::new(&self.server, index, check)
    }

    /// An event the server hears.
    pub fn listener<A>(&self, index: usize, check: Option<Check<A>>) -> ServerListener<A> {
        ServerListener::new(&self.endpoint, index, check)
    }

    /// An event the server fires.
    pub fn emitter<A>(&self, index: usize, check: Option<Check<A>>) -> ServerEmitter<A> {
        ServerEmitter::new(&self.server, index, check)
    }
}

/// The client's side of an interface: hands out typed handles by local index.
pub struct ClientEndpoint {
    client: Arc<ClientShared>,
    endpoint: Arc<Endpoint>,
}

impl ClientEndpoint {
    pub(crate) fn new(client: &Arc<ClientShared>) -> ClientEndpoint {
        ClientEndpoint { client: Arc::clone(client), endpoint: Arc::clone(client.endpoint()) }
    }

    /// A function the client handles.
    pub fn function<A, R>(&self, index: usize, check: Option<Check<A>>) -> ClientFunction<A, R> {
        ClientFunction::new(&self.endpoint, index, check)
    }

    /// A function the client invokes.
    pub fn invoker<A, R>(&self, index: usize, check: Option<Check<A>>) -> ClientInvoker<A, R> {
        ClientInvoker::new(&self.client, index, check)
    }

    /// An event the client hears.
    pub fn listener<A>(&self, index: usize, check: Option<Check<A>>) -> ClientListener<A> {
        ClientListener::new(&self.endpoint, index, check)
    }

    /// An event the client fires.
    pub fn emitter<A>(&self, index: usize, check: Option<Check<A>>) -> ClientEmitter<A> {
        ClientEmitter::new(&self.client, index, check)
    }
}
