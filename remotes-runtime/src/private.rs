//! What `#[remotes]`-generated code calls. Not a public API: names and signatures change without notice.

pub use crate::interface::{ArgDef, Direction, Interface, RemoteDef, RemoteKind};
pub use crate::remote::event::{ClientEmitter, ClientListener, ServerEmitter, ServerListener};
pub use crate::remote::function::{ClientFunction, ClientInvoker, ServerFunction, ServerInvoker};
pub use crate::remote::marker::Remote;
pub use crate::validate::{Check, Violation, check_finite, check_len, check_range, check_with};
pub use crate::wire::args::{Args, CrossesTheWire, Wire};
pub use std::string::String;

/// What generated `typescript()` functions call.
pub mod ts {
    pub use crate::typescript::{
        Arg, Bound, Check, Collector, NotTraceable, NumericBound, OtherBound, Probe, Probed, ToBound, TraceFn,
        TraceProbe, Traceable, Traced, Tracer, arg, generate, trace,
    };
}

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

/// The server's side of an interface: hands out typed handles by remote marker.
pub struct ServerEndpoint {
    server: Arc<ServerShared>,
    endpoint: Arc<Endpoint>,
}

impl ServerEndpoint {
    pub(crate) fn new(server: &Arc<ServerShared>) -> ServerEndpoint {
        ServerEndpoint { server: Arc::clone(server), endpoint: Arc::clone(server.endpoint()) }
    }

    /// A function the server handles.
    pub fn function<M: Remote>(&self) -> ServerFunction<M> {
        ServerFunction::new(&self.endpoint)
    }

    /// A function the server invokes.
    pub fn invoker<M: Remote>(&self) -> ServerInvoker<M> {
        ServerInvoker::new(&self.server)
    }

    /// An event the server hears.
    pub fn listener<M: Remote>(&self) -> ServerListener<M> {
        ServerListener::new(&self.endpoint)
    }

    /// An event the server fires.
    pub fn emitter<M: Remote>(&self) -> ServerEmitter<M> {
        ServerEmitter::new(&self.server)
    }
}

/// The client's side of an interface: hands out typed handles by remote marker.
pub struct ClientEndpoint {
    client: Arc<ClientShared>,
    endpoint: Arc<Endpoint>,
}

impl ClientEndpoint {
    pub(crate) fn new(client: &Arc<ClientShared>) -> ClientEndpoint {
        ClientEndpoint { client: Arc::clone(client), endpoint: Arc::clone(client.endpoint()) }
    }

    /// A function the client handles.
    pub fn function<M: Remote>(&self) -> ClientFunction<M> {
        ClientFunction::new(&self.endpoint)
    }

    /// A function the client invokes.
    pub fn invoker<M: Remote>(&self) -> ClientInvoker<M> {
        ClientInvoker::new(&self.client)
    }

    /// An event the client hears.
    pub fn listener<M: Remote>(&self) -> ClientListener<M> {
        ClientListener::new(&self.endpoint)
    }

    /// An event the client fires.
    pub fn emitter<M: Remote>(&self) -> ClientEmitter<M> {
        ClientEmitter::new(&self.client)
    }
}
