//! Shared by the integration tests: one interface, a harness that runs a server and clients over either transport,
//! and a capture of `tracing` output for tests that assert on warnings.
#![allow(dead_code)]

pub mod certs;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use remotes_runtime::{Api, Client, ClientBuilder, Player, Server, ServerBuilder, remotes};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Receipt {
    pub item: u32,
    pub quantity: u8,
    pub coins_left: u64,
}

#[remotes]
pub mod net {
    use super::*;

    pub trait ServerFunctions {
        fn buy_item(item: u32, quantity: u8) -> Receipt;
        fn slow(millis: u64);
        fn echo(text: String) -> String;
        fn whoami() -> u64;
        fn panics();
        fn unhandled();
        fn record(n: u32);
        /// Two-way: the server's version.
        fn sync(x: u32) -> u32;
    }

    pub trait ClientFunctions {
        fn confirm(prompt: String) -> bool;
        fn client_slow(millis: u64);
        /// Two-way: the client's version, with another signature.
        fn sync(label: String) -> String;
    }

    pub trait ServerEvents {
        fn chat(text: String);
        fn moved(x: f32, y: f32, z: f32);
        fn seq(n: u32);
        /// Two-way event.
        fn ping(n: u32);
    }

    pub trait ClientEvents {
        fn announce(text: String);
        fn chatted(from: u64, text: String);
        fn ping(n: u32);
        fn blob(bytes: Vec<u8>);
    }
}

/// The same interface as `net`, one version later: `buy_item` takes a `u16` quantity, `unhandled` is gone and
/// `refund` is new. Everything else is identical.
#[remotes]
pub mod net_v2 {
    use super::*;

    pub trait ServerFunctions {
        fn buy_item(item: u32, quantity: u16) -> Receipt;
        fn slow(millis: u64);
        fn echo(text: String) -> String;
        fn refund(item: u32) -> bool;
    }
}

/// Which transport a test runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Memory,
    WebSocket,
    /// TCP with TLS (a `localhost` certificate from the tests' own authority).
    Tls,
    /// WebSocket on TLS (`wss://`).
    Wss,
}

/// An unstarted server of interface `A` over `transport`.
pub async fn bind<A: Api>(transport: Transport, builder: ServerBuilder) -> Server<A> {
    match transport {
        Transport::Tcp => builder.bind::<A>("127.0.0.1:0").await.expect("bind"),
        Transport::Memory => builder.in_memory::<A>(),
        Transport::WebSocket => builder.bind_websocket::<A>("127.0.0.1:0").await.expect("bind"),
        Transport::Tls => builder.tls(certs::shared().0.clone()).bind::<A>("127.0.0.1:0").await.expect("bind"),
        Transport::Wss => {
            builder.tls(certs::shared().0.clone()).bind_websocket::<A>("127.0.0.1:0").await.expect("bind")
        }
    }
}

/// `localhost:port` of a TLS server (its certificate is for `localhost`).
pub fn localhost_of<S: Api>(server: &Server<S>) -> String {
    format!("localhost:{}", server.local_addr().expect("a server with a socket").port())
}

/// The `ws://` URL a test reaches a WebSocket server at.
pub fn url_of<S: Api>(server: &Server<S>) -> String {
    format!("ws://{}/remotes", server.local_addr().expect("a WebSocket server"))
}

/// The `wss://` URL a test reaches a WebSocket server on TLS at.
pub fn wss_url_of<S: Api>(server: &Server<S>) -> String {
    format!("wss://{}/remotes", localhost_of(server))
}

/// Connects a client of interface `A` to `server` over `transport`.
pub async fn connect_to<A: Api, S: Api>(
    transport: Transport,
    server: &Server<S>,
    builder: ClientBuilder,
) -> Result<Client<A>, remotes_runtime::ConnectError> {
    match transport {
        Transport::Tcp => builder.connect::<A>(server.local_addr().expect("a TCP server")).await,
        Transport::Memory => builder.connect_in_memory_as::<A, _>(server).await,
        Transport::WebSocket => builder.connect_websocket::<A>(&url_of(server)).await,
        Transport::Tls => builder.tls(certs::shared().1.clone()).connect_tls::<A>(&localhost_of(server)).await,
        Transport::Wss => builder.tls(certs::shared().1.clone()).connect_websocket::<A>(&wss_url_of(server)).await,
    }
}

/// A raw client (no handshake yet) of `server` over `transport`.
pub async fn raw_to<S: Api>(transport: Transport, server: &Server<S>) -> remotes_runtime::testing::RawClient {
    use remotes_runtime::testing::RawClient;
    match transport {
        Transport::Tcp => RawClient::connect(server.local_addr().expect("a TCP server")).await.expect("raw"),
        Transport::Memory => RawClient::connect_in_memory(server),
        Transport::WebSocket => {
            let addr = server.local_addr().expect("a WebSocket server");
            RawClient::connect_websocket(&url_of(server), addr).await.expect("raw")
        }
        Transport::Tls => RawClient::connect_tls(&localhost_of(server), &certs::shared().1).await.expect("raw"),
        Transport::Wss => RawClient::connect_wss(&wss_url_of(server), &certs::shared().1).await.expect("raw"),
    }
}

/// A started server of the `net` interface, over one transport.
pub struct Harness {
    pub server: Server<net::Api>,
    pub remotes: net::server::Remotes,
    pub transport: Transport,
}

impl Harness {
    pub async fn new(transport: Transport) -> Harness {
        Harness::with(transport, Server::builder()).await
    }

    /// A server with these settings, started at once (tests set callbacks as they go; a call to a remote whose
    /// callback is not set yet settles `Unprocessed`).
    pub async fn with(transport: Transport, builder: ServerBuilder) -> Harness {
        let server = Harness::unstarted(transport, builder).await;
        server.start();
        let remotes = server.remotes().clone();
        Harness { server, remotes, transport }
    }

    /// A server of `net` that is not started yet.
    pub async fn unstarted(transport: Transport, builder: ServerBuilder) -> Server<net::Api> {
        bind::<net::Api>(transport, builder).await
    }

    /// A connected client of `net`, and its handles.
    pub async fn client(&self) -> (Client<net::Api>, net::client::Remotes) {
        self.client_with(Client::builder()).await
    }

    pub async fn client_with(&self, builder: ClientBuilder) -> (Client<net::Api>, net::client::Remotes) {
        let client = self.connect(builder).await.expect("connect");
        let remotes = client.remotes().clone();
        (client, remotes)
    }

    /// Connects a client of `net`.
    pub async fn connect(&self, builder: ClientBuilder) -> Result<Client<net::Api>, remotes_runtime::ConnectError> {
        self.connect_as::<net::Api>(builder).await
    }

    /// Connects a client of another interface (another version of `net`, say) to this server.
    pub async fn connect_as<A: Api>(&self, builder: ClientBuilder) -> Result<Client<A>, remotes_runtime::ConnectError> {
        connect_to::<A, _>(self.transport, &self.server, builder).await
    }

    /// The `ws://` URL of a WebSocket server.
    pub fn url(&self) -> String {
        url_of(&self.server)
    }

    /// The server's `Player` for a connected client.
    pub fn player<A: Api>(&self, client: &Client<A>) -> Player {
        self.server.player(client.player_id()).expect("the client's player is listed once connected")
    }

    /// A raw client (no handshake yet) over this transport.
    pub async fn raw(&self) -> remotes_runtime::testing::RawClient {
        raw_to(self.transport, &self.server).await
    }
}

/// Fails the test instead of hanging: every wait in the suite is bounded.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Polls a future once, here, and returns what awaits the rest: an `Invoke` sends its request on its first poll, so
/// this sends it now, in program order (for tests about ordering, or that drop calls after they were sent). The first
/// poll may already finish it (another worker can carry the whole round trip meanwhile): then the outcome is kept.
pub fn sent<F: Future + Send + 'static>(future: F) -> std::pin::Pin<Box<dyn Future<Output = F::Output> + Send>>
where
    F::Output: Send,
{
    let mut future = Box::pin(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(outcome) => Box::pin(std::future::ready(outcome)),
        std::task::Poll::Pending => future,
    }
}

/// Polls `condition` until it holds (bounded by `within`).
pub async fn eventually(what: &str, condition: impl Fn() -> bool) {
    within(what, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// Runs a test body once per transport, as five tests named `tcp`, `memory`, `websocket`, `tls` and `wss` in a
/// module named after the test.
#[macro_export]
macro_rules! every_transport {
    ($($(#[$meta:meta])* async fn $name:ident($transport:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($transport: $crate::common::Transport) $body
            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tcp() { run($crate::common::Transport::Tcp).await }
            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() { run($crate::common::Transport::Memory).await }
            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn websocket() { run($crate::common::Transport::WebSocket).await }
            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tls() { run($crate::common::Transport::Tls).await }
            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn wss() { run($crate::common::Transport::Wss).await }
        }
    )*};
}

/// Captured `tracing` output (all levels, no colours), for tests that check what is logged.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Installs a capturing subscriber for the current thread until the guard drops. Use in single-threaded tests
    /// (`#[tokio::test]`), so tasks spawned by the runtime log into it too.
    pub fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The captured lines that contain every one of `parts`.
    pub fn lines_with(&self, parts: &[&str]) -> Vec<String> {
        self.text().lines().filter(|line| parts.iter().all(|p| line.contains(p))).map(str::to_string).collect()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A small deterministic generator (xorshift64*), so a failing property test replays exactly from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
