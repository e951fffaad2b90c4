//! The interface marker: `#[remotes]` generates a unit struct `Api` in the annotated module and implements [`Api`]
//! for it, so a server or a client is made for one interface, known from its construction.

use crate::interface::Interface;

/// An interface declared with [`remotes`](crate::remotes), named by the `Api` struct the macro generates in its module.
///
/// A [`Server`](crate::Server) and a [`Client`](crate::Client) are made for one `Api`, and hand out its typed handles
/// from the start: `server.remotes()` and `client.remotes()`. There is no later step that attaches an interface, and
/// no state in which a connection waits for one.
///
/// ```no_run
/// use remotes_runtime::{remotes, Client, Player, Server};
///
/// #[remotes]
/// pub mod net {
///     pub trait ServerFunctions {
///         fn add(a: u32, b: u32) -> u32;
///     }
/// }
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Server::bind::<net::Api>("127.0.0.1:0").await?;
/// server.remotes().functions.add.set_callback(|_player: Player, a, b| async move { a + b });
/// server.start();
/// let client = Client::connect::<net::Api>(server.local_addr()?).await?;
/// assert_eq!(client.remotes().functions.add.invoke(2, 3).await?, 5);
/// # Ok(()) }
/// ```
pub trait Api: Sized + Send + Sync + 'static {
    /// The interface's remotes as the server sees them (`net::server::Remotes`).
    type Server: Clone + Send + Sync + 'static;
    /// The interface's remotes as a client sees them (`net::client::Remotes`).
    type Client: Clone + Send + Sync + 'static;

    /// The interface's table: each remote with its kind, direction and signature hash, in declaration order.
    fn interface() -> &'static Interface;

    #[doc(hidden)]
    fn __server(endpoint: crate::__private::ServerEndpoint) -> Self::Server;

    #[doc(hidden)]
    fn __client(endpoint: crate::__private::ClientEndpoint) -> Self::Client;
}

/// The empty interface: no remotes. `Server` and `Client` default to it, so that `Server::builder()`,
/// `Server::bind::<net::Api>(..)` and `Client::connect::<net::Api>(..)` can be written without naming a parameter.
impl Api for () {
    type Server = ();
    type Client = ();

    fn interface() -> &'static Interface {
        static EMPTY: Interface = Interface::__new("()", &[]);
        &EMPTY
    }

    fn __server(_endpoint: crate::__private::ServerEndpoint) -> Self::Server {}

    fn __client(_endpoint: crate::__private::ClientEndpoint) -> Self::Client {}
}
