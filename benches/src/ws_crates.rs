//! The WebSocket crate choice (issue #12): a raw echo of 1 KiB binary messages over 127.0.0.1, the same code for
//! each crate through its `Stream + Sink` of messages, each crate with its default settings. The server echoes every
//! data message back: it takes every message already readable (one wait, then without waiting), feeds their echoes
//! and flushes once; the client does the same with its next messages. Reading before feeding matters for
//! tokio-websockets, whose `poll_next` first writes out whatever was fed: feeding between reads would make one write
//! per message. Shapes: 1 connection with 1 message in flight (round trips/s and latency), and 32 connections with
//! 16 messages in flight each (pipelined: each echo received sends the next message).
//!
//! fastwebsockets is left out on purpose: its soundness is questioned in its own issue #42.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::harness::{Lengths, median, percentiles};

/// The payload of every message.
pub const MESSAGE: usize = 1024;

/// What one echo run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoResult {
    /// Echoes received inside the window, per second, over all connections.
    pub per_sec: f64,
    /// Round-trip latency, median, microseconds (meaningful with one message in flight).
    pub p50_us: f64,
    /// The same, 99th percentile.
    pub p99_us: f64,
    /// Connections that failed.
    pub errors: u64,
}

/// A WebSocket crate under test: how to open both ends, make a message, and tell data from control messages.
pub trait WsCrate: Send + Sync + 'static {
    type Msg: Send + 'static;
    type Error: std::fmt::Debug + Send + 'static;
    type Ws: Stream<Item = Result<Self::Msg, Self::Error>>
        + Sink<Self::Msg, Error = Self::Error>
        + Unpin
        + Send
        + 'static;
    fn accept(stream: TcpStream) -> impl Future<Output = Self::Ws> + Send;
    fn connect(addr: SocketAddr, stream: TcpStream) -> impl Future<Output = Self::Ws> + Send;
    fn message(payload: &Bytes) -> Self::Msg;
    fn is_data(message: &Self::Msg) -> bool;
}

/// tokio-tungstenite 0.28, as it ships (`WebSocketConfig::default()`: 128 KiB read buffer, 128 KiB write buffer).
pub struct Tungstenite;

impl WsCrate for Tungstenite {
    type Msg = tokio_tungstenite::tungstenite::Message;
    type Error = tokio_tungstenite::tungstenite::Error;
    type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;
    async fn accept(stream: TcpStream) -> Self::Ws {
        tokio_tungstenite::accept_async(stream).await.expect("tungstenite accept")
    }
    async fn connect(addr: SocketAddr, stream: TcpStream) -> Self::Ws {
        tokio_tungstenite::client_async(format!("ws://{addr}/"), stream).await.expect("tungstenite connect").0
    }
    fn message(payload: &Bytes) -> Self::Msg {
        tokio_tungstenite::tungstenite::Message::Binary(payload.clone())
    }
    fn is_data(message: &Self::Msg) -> bool {
        message.is_binary()
    }
}

/// tokio-tungstenite 0.28 with an 8 KiB read buffer instead of 128 KiB (context for the runtime's settings: the
/// read buffer is zero-filled up to its size before each read).
pub struct TungsteniteSmallRead;

fn small_read() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(8 << 10)
}

impl WsCrate for TungsteniteSmallRead {
    type Msg = tokio_tungstenite::tungstenite::Message;
    type Error = tokio_tungstenite::tungstenite::Error;
    type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;
    async fn accept(stream: TcpStream) -> Self::Ws {
        tokio_tungstenite::accept_async_with_config(stream, Some(small_read())).await.expect("tungstenite accept")
    }
    async fn connect(addr: SocketAddr, stream: TcpStream) -> Self::Ws {
        tokio_tungstenite::client_async_with_config(format!("ws://{addr}/"), stream, Some(small_read()))
            .await
            .expect("tungstenite connect")
            .0
    }
    fn message(payload: &Bytes) -> Self::Msg {
        Tungstenite::message(payload)
    }
    fn is_data(message: &Self::Msg) -> bool {
        Tungstenite::is_data(message)
    }
}

/// tokio-websockets 0.13, as it ships (8 KiB flush threshold).
pub struct TokioWebsockets;

impl WsCrate for TokioWebsockets {
    type Msg = tokio_websockets::Message;
    type Error = tokio_websockets::Error;
    type Ws = tokio_websockets::WebSocketStream<TcpStream>;
    async fn accept(stream: TcpStream) -> Self::Ws {
        tokio_websockets::ServerBuilder::new().accept(stream).await.expect("tokio-websockets accept").1
    }
    async fn connect(addr: SocketAddr, stream: TcpStream) -> Self::Ws {
        tokio_websockets::ClientBuilder::new()
            .uri(&format!("ws://{addr}/"))
            .expect("a URI")
            .connect_on(stream)
            .await
            .expect("tokio-websockets connect")
            .0
    }
    fn message(payload: &Bytes) -> Self::Msg {
        tokio_websockets::Message::binary(payload.clone())
    }
    fn is_data(message: &Self::Msg) -> bool {
        message.is_binary()
    }
}

/// Waits for one message, then takes every message readable without waiting; `None` once the stream ends or fails.
async fn readable<C: WsCrate>(ws: &mut C::Ws, batch: &mut Vec<C::Msg>) -> Option<()> {
    batch.clear();
    batch.push(ws.next().await?.ok()?);
    loop {
        match ws.next().now_or_never() {
            Some(Some(Ok(message))) => batch.push(message),
            Some(_) => return None,
            None => return Some(()),
        }
    }
}

/// Echoes data messages until the peer goes: the echoes of every message readable at once, then one flush.
async fn echo<C: WsCrate>(mut ws: C::Ws) {
    let mut batch = Vec::with_capacity(64);
    while readable::<C>(&mut ws, &mut batch).await.is_some() {
        let mut fed = false;
        for message in batch.drain(..) {
            if C::is_data(&message) {
                if ws.feed(message).await.is_err() {
                    return;
                }
                fed = true;
            }
        }
        if fed && ws.flush().await.is_err() {
            return;
        }
    }
}

/// One client connection: `in_flight` messages out, each echo received sends the next, until `end`. Returns the
/// round-trip latencies (nanoseconds) of the echoes received inside the window, or `None` on an error.
async fn client<C: WsCrate>(
    mut ws: C::Ws,
    in_flight: usize,
    start: Instant,
    window_start: Instant,
    end: Instant,
) -> Option<Vec<u32>> {
    let payload = Bytes::from(vec![0x5a; MESSAGE]);
    let mut latencies = Vec::with_capacity(1 << 16);
    let mut sent_at = std::collections::VecDeque::with_capacity(in_flight);
    tokio::time::sleep_until(start).await;
    for _ in 0..in_flight {
        sent_at.push_back(Instant::now());
        ws.feed(C::message(&payload)).await.ok()?;
    }
    ws.flush().await.ok()?;
    let mut batch = Vec::with_capacity(64);
    loop {
        readable::<C>(&mut ws, &mut batch).await?;
        let now = Instant::now();
        let mut due = 0;
        for m in batch.drain(..) {
            if C::is_data(&m) {
                let t0 = sent_at.pop_front()?;
                if t0 >= window_start && now <= end {
                    latencies.push((now - t0).as_nanos().min(u128::from(u32::MAX)) as u32);
                }
                due += usize::from(now < end);
            }
        }
        let fed = due > 0;
        for _ in 0..due {
            sent_at.push_back(Instant::now());
            ws.feed(C::message(&payload)).await.ok()?;
        }
        if fed {
            ws.flush().await.ok()?;
        }
        if sent_at.is_empty() {
            let _ = ws.close().await;
            return Some(latencies);
        }
    }
}

/// `connections` x `in_flight` echoes of crate `C`, server and clients in this process.
pub async fn run<C: WsCrate>(connections: usize, in_flight: usize, lengths: Lengths) -> EchoResult {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            stream.set_nodelay(true).expect("nodelay");
            tokio::spawn(async move { echo::<C>(C::accept(stream).await).await });
        }
    });
    let mut sockets = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        sockets.push(C::connect(addr, stream).await);
    }
    let start = Instant::now() + Duration::from_millis(20);
    let window_start = start + lengths.warmup;
    let end = window_start + lengths.measure;
    let tasks: Vec<_> =
        sockets.into_iter().map(|ws| tokio::spawn(client::<C>(ws, in_flight, start, window_start, end))).collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        match tokio::time::timeout_at(end + Duration::from_secs(10), task).await {
            Ok(Ok(Some(latencies))) => all.extend(latencies),
            _ => errors += 1,
        }
    }
    server.abort();
    let per_sec = all.len() as f64 / lengths.measure.as_secs_f64();
    let (p50_us, p99_us) = percentiles(&mut all);
    EchoResult { per_sec, p50_us, p99_us, errors }
}

/// Medians of several runs.
pub fn medians(runs: &[EchoResult]) -> EchoResult {
    let m = |f: fn(&EchoResult) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    EchoResult {
        per_sec: m(|r| r.per_sec),
        p50_us: m(|r| r.p50_us),
        p99_us: m(|r| r.p99_us),
        errors: runs.iter().map(|r| r.errors).sum(),
    }
}
