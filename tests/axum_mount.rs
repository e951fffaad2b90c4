//! Remotes mounted on a route of an axum app (`Server::axum_route`): the app serves its pages and remotes on one
//! port, with the same behaviour as a standalone WebSocket listener.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::{Harness, Transport, net, within};
use remotes_runtime::{Client, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A started in-memory `net` server mounted at `/remotes` of an axum app that also serves `/`, and the app's address.
async fn mounted(builder: remotes_runtime::ServerBuilder) -> (Harness, SocketAddr) {
    let server = builder.in_memory::<net::Api>();
    let app = Router::new().route("/", get(|| async { "the game's page" })).route("/remotes", server.axum_route());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await.unwrap();
    });
    server.start();
    let remotes = server.remotes().clone();
    remotes.functions.echo.set_callback(|_player, text| async move { text });
    (Harness { server, remotes, transport: Transport::Memory }, addr)
}

async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    within("the response", stream.read_to_end(&mut response)).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn pages_and_remotes_share_one_port() {
    let (h, addr) = mounted(Server::builder()).await;
    let page = http_get(addr, "/").await;
    assert!(page.starts_with("HTTP/1.1 200") && page.ends_with("the game's page"), "{page}");
    let refused = http_get(addr, "/remotes").await;
    assert!(refused.starts_with("HTTP/1.1 426"), "{refused}");

    let url = format!("ws://{addr}/remotes");
    let client = Client::builder().connect_websocket::<net::Api>(&url).await.unwrap();
    let remotes = client.remotes();
    assert_eq!(within("echo", remotes.functions.echo.invoke("hi".into())).await, Ok("hi".to_string()));
    // Events both ways, and the player is listed like any other.
    let player = h.player(&client);
    let (tx, mut heard) = tokio::sync::mpsc::unbounded_channel();
    remotes.events.announce.connect(move |text| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(text);
        }
    });
    h.remotes.events.announce.fire(&player, "welcome".into());
    assert_eq!(within("announce", heard.recv()).await.as_deref(), Some("welcome"));
    h.server.shutdown().await;
    assert!(!client.is_connected());
}

#[tokio::test]
async fn the_server_limits_apply_to_the_route() {
    let (_h, addr) = mounted(Server::builder().max_connections_per_address(1)).await;
    let url = format!("ws://{addr}/remotes");
    let first = Client::builder().connect_websocket::<net::Api>(&url).await.unwrap();
    let builder = Client::builder().handshake_timeout(Duration::from_secs(2));
    let second = builder.connect_websocket::<net::Api>(&url).await;
    assert!(second.is_err(), "a second connection from the same address: {second:?}");
    assert!(first.is_connected());
}
