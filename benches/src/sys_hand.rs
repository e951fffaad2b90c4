//! The hand-written reference: tokio streams + `LengthDelimitedCodec` + rmp-serde, request ids matched through a
//! map of oneshot senders, a writer task per connection that feeds every queued frame before one flush.
//!
//! Two flavours of that writer: `Batching::Drain` (as the issue describes it: take what is queued when the writer
//! wakes) and `Batching::YieldFirst` (the writer yields to the scheduler once after waking, so callers that are
//! ready to run queue their frames first, and one write carries more of them).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

use crate::Transport;
use crate::harness::{Lengths, LoadResult, drive};
use crate::proto::{Ack, Req, handle, request};

/// How the writer task batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batching {
    /// Feed what is queued when the writer wakes, then flush.
    Drain,
    /// Yield once after waking, then feed what is queued, then flush.
    YieldFirst,
}

/// Writes every frame queued on `rx`: all that are ready are fed to the codec, then flushed once.
async fn write_loop<W: AsyncWrite + Unpin>(writer: W, mut rx: mpsc::UnboundedReceiver<Bytes>, batching: Batching) {
    let mut framed = FramedWrite::new(writer, LengthDelimitedCodec::new());
    while let Some(first) = rx.recv().await {
        if framed.feed(first).await.is_err() {
            return;
        }
        if batching == Batching::YieldFirst {
            tokio::task::yield_now().await;
        }
        while let Ok(more) = rx.try_recv() {
            if framed.feed(more).await.is_err() {
                return;
            }
        }
        if SinkExt::<Bytes>::flush(&mut framed).await.is_err() {
            return;
        }
    }
}

fn encode<T: serde::Serialize>(value: &T) -> Bytes {
    let mut out = Vec::with_capacity(128);
    rmp_serde::encode::write(&mut out, value).expect("encodes");
    out.into()
}

/// Serves one connection: decode `(id, Req)`, answer `(id, Ack)` inline.
pub async fn serve<R, W>(reader: R, writer: W, batching: Batching)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(write_loop(writer, rx, batching));
    let mut frames = FramedRead::new(reader, LengthDelimitedCodec::new());
    while let Some(Ok(frame)) = frames.next().await {
        let Ok((id, req)) = rmp_serde::from_slice::<(u64, Req)>(&frame) else { return };
        if tx.send(encode(&(id, handle(&req)))).is_err() {
            return;
        }
    }
}

/// A TCP server on 127.0.0.1; counts the connections it accepted.
pub async fn tcp_server(batching: Batching) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            stream.set_nodelay(true).expect("nodelay");
            count.fetch_add(1, Ordering::Relaxed);
            let (r, w) = stream.into_split();
            tokio::spawn(serve(r, w, batching));
        }
    });
    (addr, accepted)
}

/// The client: a map of oneshot senders keyed by request id, a writer task, a reader task.
pub struct HandClient {
    next: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Ack>>>,
    tx: mpsc::UnboundedSender<Bytes>,
}

impl HandClient {
    pub fn new<R, W>(reader: R, writer: W, batching: Batching) -> Arc<HandClient>
    where
        R: AsyncRead + Unpin + Send + 'static,
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(writer, rx, batching));
        let client = Arc::new(HandClient { next: AtomicU64::new(0), pending: Mutex::new(HashMap::new()), tx });
        let weak = Arc::downgrade(&client);
        tokio::spawn(async move {
            let mut frames = FramedRead::new(reader, LengthDelimitedCodec::new());
            while let Some(Ok(frame)) = frames.next().await {
                let Ok((id, ack)) = rmp_serde::from_slice::<(u64, Ack)>(&frame) else { return };
                let Some(client) = weak.upgrade() else { return };
                let waiter = client.pending.lock().expect("pending").remove(&id);
                if let Some(waiter) = waiter {
                    let _ = waiter.send(ack);
                }
            }
        });
        client
    }

    pub async fn connect(addr: std::net::SocketAddr, batching: Batching) -> Arc<HandClient> {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (r, w) = stream.into_split();
        HandClient::new(r, w, batching)
    }

    pub async fn call(&self, req: &Req) -> Option<Ack> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (settle, reply) = oneshot::channel();
        self.pending.lock().expect("pending").insert(id, settle);
        self.tx.send(encode(&(id, req))).ok()?;
        reply.await.ok()
    }
}

/// A hand-written client connected to a hand-written server over `transport`.
pub async fn connected(
    transport: Transport,
    addr: Option<std::net::SocketAddr>,
    batching: Batching,
) -> Arc<HandClient> {
    match transport {
        Transport::Tcp => HandClient::connect(addr.expect("a TCP server"), batching).await,
        Transport::WebSocket | Transport::Tls => {
            unimplemented!("the hand-written loop runs over TCP and in-process only")
        }
        Transport::Memory => {
            let (client_end, server_end) = tokio::io::duplex(256 << 10);
            let (r, w) = tokio::io::split(server_end);
            tokio::spawn(serve(r, w, batching));
            let (r, w) = tokio::io::split(client_end);
            HandClient::new(r, w, batching)
        }
    }
}

/// `clients` x `in_flight` calls.
pub async fn client_to_server(
    transport: Transport,
    clients: usize,
    in_flight: usize,
    lengths: Lengths,
    batching: Batching,
) -> LoadResult {
    let addr = match transport {
        Transport::Tcp => Some(tcp_server(batching).await.0),
        Transport::WebSocket | Transport::Tls => {
            unimplemented!("the hand-written loop runs over TCP and in-process only")
        }
        Transport::Memory => None,
    };
    let mut handles = Vec::new();
    for _ in 0..clients {
        handles.push(connected(transport, addr, batching).await);
    }
    let req = request();
    drive(&handles, in_flight, lengths, move |c: Arc<HandClient>| {
        let req = req.clone();
        async move { c.call(&req).await.is_some() }
    })
    .await
}
