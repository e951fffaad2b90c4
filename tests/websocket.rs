//! What only the WebSocket transport has: the HTTP upgrade, WebSocket messages, and their limits. Everything else
//! runs over WebSocket in the rest of the suite (`every_transport!`).

mod common;

use std::time::Duration;

use common::{Harness, Transport, within};
use futures_util::{SinkExt, StreamExt};
use remotes_runtime::{Client, ConnectError, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

async fn echo_server(builder: remotes_runtime::ServerBuilder) -> Harness {
    let h = Harness::with(Transport::WebSocket, builder).await;
    h.remotes.functions.echo.set_callback(|_player, text| async move { text });
    h
}

/// Reads what the server sends until it closes the connection.
async fn read_to_end(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    within("the server closes", stream.read_to_end(&mut seen)).await.expect("read");
    String::from_utf8_lossy(&seen).into_owned()
}

/// An honest client still gets served.
async fn still_serves(h: &Harness) {
    let (_client, remotes) = h.client().await;
    assert_eq!(within("echo", remotes.functions.echo.invoke("ok".into())).await, Ok("ok".to_string()));
}

#[tokio::test]
async fn a_plain_http_request_is_told_to_upgrade() {
    let h = echo_server(Server::builder()).await;
    let mut stream = TcpStream::connect(h.server.local_addr().unwrap()).await.unwrap();
    stream.write_all(b"GET /remotes HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let response = read_to_end(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{response}");
    assert!(response.contains("send a WebSocket upgrade request"), "{response}");
    // Not HTTP at all.
    let mut stream = TcpStream::connect(h.server.local_addr().unwrap()).await.unwrap();
    stream.write_all(b"\x00\x01\x02 not http\r\n\r\n").await.unwrap();
    let response = read_to_end(&mut stream).await;
    assert!(response.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{response}");
    still_serves(&h).await;
}

#[tokio::test]
async fn a_message_over_the_limit_is_refused_from_its_header() {
    // Past the handshake, the server would wait 60 s for a silent peer: only the header can close it sooner.
    let builder = Server::builder().max_frame_len(1024).keepalive(Duration::from_secs(20), Duration::from_secs(60));
    let h = echo_server(builder).await;
    let stream = TcpStream::connect(h.server.local_addr().unwrap()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(h.url(), stream).await.unwrap();
    ws.send(Message::binary(remotes_runtime::testing::hello_frame(None))).await.unwrap();
    assert!(matches!(within("welcome", ws.next()).await, Some(Ok(Message::Binary(_)))));
    // A masked binary frame header announcing 1 MiB (over the 64 KiB a 1 KiB frame limit allows a message, under
    // tungstenite's own default limit), and no payload.
    let mut header = vec![0x82, 0xff];
    header.extend((1u64 << 20).to_be_bytes());
    header.extend([1, 2, 3, 4]);
    ws.get_mut().write_all(&header).await.unwrap();
    let mut rest = Vec::new();
    // Closed at once (with a close message, or not), although the payload never comes.
    within("closed on the header", ws.get_mut().read_to_end(&mut rest)).await.expect("read");
    still_serves(&h).await;
}

#[tokio::test]
async fn a_text_message_closes_that_connection_only() {
    let h = echo_server(Server::builder()).await;
    let (honest, remotes) = h.client().await;
    let stream = TcpStream::connect(h.server.local_addr().unwrap()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(h.url(), stream).await.unwrap();
    ws.send(Message::text("hello")).await.unwrap();
    // The server ends the connection; the stream ends (with or without a close message).
    while let Some(Ok(message)) = within("closed", ws.next()).await {
        assert!(matches!(message, Message::Close(_)), "{message:?}");
    }
    assert!(honest.is_connected());
    assert_eq!(within("echo", remotes.functions.echo.invoke("ok".into())).await, Ok("ok".to_string()));
}

#[tokio::test]
async fn frames_arrive_whole_in_binary_messages() {
    let h = echo_server(Server::builder()).await;
    let stream = TcpStream::connect(h.server.local_addr().unwrap()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(h.url(), stream).await.unwrap();
    // A HELLO sent as one message; the WELCOME comes back in one message that holds exactly that frame.
    ws.send(Message::binary(remotes_runtime::testing::hello_frame(None))).await.unwrap();
    let Some(Ok(Message::Binary(welcome))) = within("welcome", ws.next()).await else { panic!("no welcome") };
    let prefix = welcome.iter().position(|byte| byte & 0x80 == 0).expect("a length prefix") + 1;
    let len = welcome[..prefix].iter().rev().fold(0usize, |len, byte| len << 7 | usize::from(byte & 0x7f));
    assert_eq!(prefix + len, welcome.len(), "one whole frame");
    assert_eq!(welcome[prefix], remotes_runtime::testing::kinds::WELCOME);
}

#[tokio::test]
async fn a_url_that_is_not_ws_is_a_typed_error() {
    let refused = Client::builder().connect_websocket::<common::net::Api>("http://127.0.0.1:1/").await;
    assert!(matches!(refused, Err(ConnectError::WebSocket(_))), "{refused:?}");
    // A TCP (not WebSocket) server answers the upgrade request with no HTTP at all.
    let tcp = Harness::new(Transport::Tcp).await;
    let url = format!("ws://{}/", tcp.server.local_addr().unwrap());
    let builder = Client::builder().handshake_timeout(Duration::from_secs(2));
    let refused = builder.connect_websocket::<common::net::Api>(&url).await;
    assert!(matches!(refused, Err(ConnectError::WebSocket(_) | ConnectError::HandshakeTimeout)), "{refused:?}");
}
