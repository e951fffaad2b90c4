//! socketioxide 0.18 (socket.io server, engine.io v4 over WebSocket) served by axum 0.8 as its README shows, with
//! `TCP_NODELAY` on accepted streams (axum's `tap_io`); its broadcast is `io.emit("tick", &payload)` to the default
//! namespace. The clients are a minimal engine.io v4 / socket.io v5 WebSocket client written here over
//! tokio-tungstenite 0.28 (the WebSocket crate remotes' client uses): open
//! `ws://host/socket.io/?EIO=4&transport=websocket`, answer the open packet `0{..}` with `40` (join namespace `/`),
//! wait for the server's `40{..}`, answer pings `2` with `3`, and decode each event packet `42["tick","<64 bytes>"]`
//! with serde_json before counting it, as remotes' clients decode theirs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::serve::ListenerExt;
use futures::{SinkExt, StreamExt};
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

use crate::broadcast::{BroadcastResult, Counter, measure};
use crate::proto::event_payload;

/// A socket.io server on 127.0.0.1 with its default settings; counts the sockets that joined `/`.
pub async fn server() -> (SocketAddr, SocketIo, Arc<AtomicUsize>) {
    let (layer, io) = SocketIo::new_layer();
    let joined = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&joined);
    io.ns("/", move |_socket: SocketRef| async move {
        count.fetch_add(1, Ordering::Relaxed);
    });
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "socket.io at /socket.io/" })).layer(layer);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, io, joined)
}

/// One engine.io client: connects, joins `/`, then counts every `tick` event on `counter`. `joined` is told once
/// the server confirmed the namespace.
async fn client(addr: SocketAddr, counter: Arc<Counter>, joined: tokio::sync::oneshot::Sender<()>) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tokio_tungstenite::client_async(url, stream).await.expect("engine.io upgrade");
    let mut joined = Some(joined);
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else { continue };
        let text = text.as_str();
        if let Some(event) = text.strip_prefix("42") {
            // Decoded as remotes' client decodes its events: the name and the 64-byte string.
            if let Ok((name, payload)) = serde_json::from_str::<(String, String)>(event) {
                debug_assert_eq!((name.as_str(), payload.len()), ("tick", 64));
                counter.hit();
            }
        } else if text.starts_with("40") {
            if let Some(joined) = joined.take() {
                let _ = joined.send(());
            }
        } else if text.starts_with('0') {
            // The open packet: join the default namespace.
            if ws.send(Message::text("40")).await.is_err() {
                return;
            }
        } else if text == "2" && ws.send(Message::text("3")).await.is_err() {
            return;
        }
    }
}

/// socketioxide: `clients` engine.io clients in this process, `io.emit("tick", &payload)`.
pub async fn broadcast(clients: usize, rounds: usize, stream: Duration) -> BroadcastResult {
    let (addr, io, joined) = server().await;
    let counter = Arc::new(Counter::default());
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (tx, rx) = tokio::sync::oneshot::channel();
        tasks.push(tokio::spawn(client(addr, Arc::clone(&counter), tx)));
        tokio::time::timeout(Duration::from_secs(10), rx).await.expect("joined in time").expect("joined");
    }
    assert_eq!(joined.load(Ordering::Relaxed), clients, "every client joined /");
    let payload = event_payload();
    let result = measure(&counter, clients as u64, rounds, stream, || async {
        io.emit("tick", &payload).await.expect("emit");
    })
    .await;
    for task in tasks {
        task.abort();
    }
    result
}
