//! What `#[remotes]`-generated code calls. Not a public API: names and signatures change without notice.

pub use crate::interface::{Direction, Interface, RemoteDef, RemoteKind};
pub use crate::remote::event::{ClientEmitter, ClientListener, ServerEmitter, ServerListener};
pub use crate::remote::function::{ClientFunction, ClientInvoker, ServerFunction, ServerInvoker};
pub use crate::wire::args::{Args, Wire};

use std::sync::Arc;

use crate::client::{Client, ClientShared};
use crate::endpoint::Endpoint;
use crate::server::{Server, ServerShared};

/// Requires `T: Wire`; generated code calls it once per argument and return type, spanned at the type.
pub const fn assert_wire<T: Wire>() {}

/// Describes a remote for an interface's table.
pub const fn remote(name: &'static str, kind: RemoteKind, direction: Direction, hash: u64) -> RemoteDef {
    RemoteDef { name, kind, direction, hash }
}

/// The server's side of an interface: hands out typed handles by local index.
pub struct ServerEndpoint {
    server: Arc<ServerShared>,
    endpoint: Arc<Endpoint>,
}

impl ServerEndpoint {
    /// Attaches `interface` to `server` (once; later calls with the same interface share its handlers).
    pub fn attach(server: &Server, interface: &'static Interface) -> ServerEndpoint {
        let server = Arc::clone(server.shared());
        let endpoint = server.attach(interface);
        ServerEndpoint { server, endpoint }
    }

    /// A function the server handles.
    pub fn function<A: Args, R: Wire>(&self, index: usize) -> ServerFunction<A, R> {
        ServerFunction::new(&self.endpoint, index)
    }

    /// A function the server invokes.
    pub fn invoker<A: Args, R: Wire>(&self, index: usize) -> ServerInvoker<A, R> {
        ServerInvoker::new(&self.server, index)
    }

    /// An event the server hears.
    pub fn listener<A: Args>(&self, index: usize) -> ServerListener<A> {
        ServerListener::new(&self.endpoint, index)
    }

    /// An event the server fires.
    pub fn emitter<A: Args>(&self, index: usize) -> ServerEmitter<A> {
        ServerEmitter::new(&self.server, index)
    }
}

/// The client's side of an interface: hands out typed handles by local index.
pub struct ClientEndpoint {
    client: Arc<ClientShared>,
    endpoint: Arc<Endpoint>,
}

impl ClientEndpoint {
    /// Attaches `interface` to `client` (once; later calls with the same interface share its handlers).
    pub fn attach(client: &Client, interface: &'static Interface) -> ClientEndpoint {
        let client = Arc::clone(client.shared());
        let endpoint = client.attach(interface);
        ClientEndpoint { client, endpoint }
    }

    /// A function the client handles.
    pub fn function<A: Args, R: Wire>(&self, index: usize) -> ClientFunction<A, R> {
        ClientFunction::new(&self.endpoint, index)
    }

    /// A function the client invokes.
    pub fn invoker<A: Args, R: Wire>(&self, index: usize) -> ClientInvoker<A, R> {
        ClientInvoker::new(&self.client, index)
    }

    /// An event the client hears.
    pub fn listener<A: Args>(&self, index: usize) -> ClientListener<A> {
        ClientListener::new(&self.endpoint, index)
    }

    /// An event the client fires.
    pub fn emitter<A: Args>(&self, index: usize) -> ClientEmitter<A> {
        ClientEmitter::new(&self.client, index)
    }
}
