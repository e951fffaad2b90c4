//! remotes: client -> server and server -> client calls over TCP, WebSocket or the in-process transport.

use std::sync::Arc;

use remotes_runtime::{Client, Player, ReceiveRate, Server};

use crate::Transport;
use crate::harness::{Lengths, LoadResult, drive};
use crate::proto::{Req, handle, net, request};

/// A server whose `work` answers every request, over `transport`. The per-client receive budget (a policy against
/// floods, 10,000 frames/s by default) is off: these scenarios measure how fast the protocol carries calls for clients
/// the server trusts, as the peers do. BENCHMARKS.md gives its cost when on.
pub async fn server(transport: Transport) -> Server<net::Api> {
    server_with(transport, None).await
}

/// The same, with the receive budget `receive` (`None`: off).
pub async fn server_with(transport: Transport, receive: Option<ReceiveRate>) -> Server<net::Api> {
    let builder = Server::builder().receive_rate(receive);
    let server = match transport {
        Transport::Tcp => builder.bind::<net::Api>("127.0.0.1:0").await.expect("bind 127.0.0.1"),
        Transport::WebSocket => builder.bind_websocket::<net::Api>("127.0.0.1:0").await.expect("bind 127.0.0.1"),
        Transport::Tls => builder.tls(tls().0.clone()).bind::<net::Api>("127.0.0.1:0").await.expect("bind 127.0.0.1"),
        Transport::Memory => builder.in_memory::<net::Api>(),
    };
    server.remotes().functions.work.set_callback(|_player: Player, req: Req| async move { handle(&req) });
    server.start();
    server
}

/// A self-signed certificate for `localhost`, made once, and a client configuration that trusts it.
fn tls() -> &'static (remotes_runtime::tls::ServerTls, remotes_runtime::tls::ClientTls) {
    static TLS: std::sync::OnceLock<(remotes_runtime::tls::ServerTls, remotes_runtime::tls::ClientTls)> =
        std::sync::OnceLock::new();
    TLS.get_or_init(|| {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("a certificate");
        let (cert, key) = (made.cert.pem(), made.signing_key.serialize_pem());
        let server = remotes_runtime::tls::ServerTls::from_pem(cert.as_bytes(), key.as_bytes()).expect("server TLS");
        let client = remotes_runtime::tls::ClientTls::with_ca_pem(cert.as_bytes()).expect("client TLS");
        (server, client)
    })
}

/// A client of `server` whose `work_on_client` answers every request.
pub async fn client(server: &Server<net::Api>, transport: Transport) -> (Client<net::Api>, net::client::Remotes) {
    let client = match transport {
        Transport::Tcp => Client::connect::<net::Api>(server.local_addr().expect("a TCP server")).await,
        Transport::WebSocket => {
            let addr = server.local_addr().expect("a WebSocket server");
            Client::builder().connect_websocket::<net::Api>(&format!("ws://{addr}/")).await
        }
        Transport::Tls => {
            let port = server.local_addr().expect("a TLS server").port();
            Client::builder().tls(tls().1.clone()).connect_tls::<net::Api>(&format!("localhost:{port}")).await
        }
        Transport::Memory => Client::connect_in_memory(server).await,
    }
    .expect("connect");
    let remotes = client.remotes().clone();
    remotes.functions.work_on_client.set_callback(|req: Req| async move { handle(&req) });
    (client, remotes)
}

/// `clients` x `in_flight` client -> server calls.
pub async fn client_to_server(transport: Transport, clients: usize, in_flight: usize, lengths: Lengths) -> LoadResult {
    client_to_server_with(transport, clients, in_flight, lengths, None).await
}

/// A receive budget no benchmark reaches (10^9 frames/s, 10^12 bytes/s): on, so its bookkeeping runs for every
/// frame, but it never makes the reader wait. What it costs is the bookkeeping alone.
pub const UNREACHED_BUDGET: ReceiveRate = ReceiveRate { frames_per_second: 1e9, bytes_per_second: 1e12 };

/// `clients` x `in_flight` client -> server calls, with the server's receive budget `receive`.
pub async fn client_to_server_with(
    transport: Transport,
    clients: usize,
    in_flight: usize,
    lengths: Lengths,
    receive: Option<ReceiveRate>,
) -> LoadResult {
    let server = server_with(transport, receive).await;
    let mut handles = Vec::new();
    for _ in 0..clients {
        handles.push(Arc::new(client(&server, transport).await));
    }
    let req = request();
    let result = drive(&handles, in_flight, lengths, move |c: Arc<(Client<net::Api>, net::client::Remotes)>| {
        let req = req.clone();
        async move { c.1.functions.work.invoke(req).await.is_ok() }
    })
    .await;
    drop(handles);
    drop(server);
    result
}

/// `clients` x `in_flight` server -> client calls.
pub async fn server_to_client(transport: Transport, clients: usize, in_flight: usize, lengths: Lengths) -> LoadResult {
    let server = server(transport).await;
    let remotes = server.remotes().clone();
    let mut connected = Vec::new();
    for _ in 0..clients {
        connected.push(client(&server, transport).await);
    }
    let targets: Vec<Arc<(net::server::Remotes, Player)>> =
        server.players().into_iter().map(|player| Arc::new((remotes.clone(), player))).collect();
    assert_eq!(targets.len(), clients, "every client is a player");
    let req = request();
    let result = drive(&targets, in_flight, lengths, move |t: Arc<(net::server::Remotes, Player)>| {
        let req = req.clone();
        async move { t.0.functions.work_on_client.invoke(&t.1, req).await.is_ok() }
    })
    .await;
    drop(connected);
    drop(server);
    result
}
