//! Bytes on the wire per call and per event, counted through a byte-counting TCP proxy on 127.0.0.1, compared
//! with the encoded payloads. TCP/IP headers are not counted: only the bytes each system writes to its stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::proto::{Ack, event_payload, handle, net, request};

/// Bytes through the proxy: `[client -> server, server -> client]`.
type Counts = Arc<[AtomicU64; 2]>;

/// One figure of the wire table.
#[derive(Debug, Clone)]
pub struct WireRow {
    pub system: &'static str,
    pub what: String,
    /// Bytes on the wire per call (request + reply) or per event.
    pub wire: f64,
    /// Bytes of the encoded payload(s) in the system's own encoding.
    pub payload: usize,
    /// Bytes of framing that are part of the system's own argument encoding rather than its header: remotes
    /// wraps a call's or event's arguments in a MessagePack array (1 byte for up to 15 arguments).
    pub args_wrapper: usize,
}

impl WireRow {
    pub fn overhead(&self) -> f64 {
        self.wire - self.payload as f64
    }

    /// Overhead beyond the encoded argument array (PROTOCOL.md section 12's definition).
    pub fn overhead_beyond_args(&self) -> f64 {
        self.overhead() - self.args_wrapper as f64
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    count: Counts,
    dir: usize,
) {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                count[dir].fetch_add(n as u64, Ordering::SeqCst);
                if to.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A proxy in front of `target` that counts the bytes of every connection through it.
async fn proxy(target: SocketAddr) -> (SocketAddr, Counts) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    let counts: Counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let c = Arc::clone(&counts);
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let outbound = TcpStream::connect(target).await.expect("connect to the target");
            inbound.set_nodelay(true).expect("nodelay");
            outbound.set_nodelay(true).expect("nodelay");
            let (ir, iw) = inbound.into_split();
            let (or, ow) = outbound.into_split();
            tokio::spawn(pump(ir, ow, Arc::clone(&c), 0));
            tokio::spawn(pump(or, iw, Arc::clone(&c), 1));
        }
    });
    (addr, counts)
}

fn snapshot(counts: &Counts) -> (u64, u64) {
    (counts[0].load(Ordering::SeqCst), counts[1].load(Ordering::SeqCst))
}

/// Waits until the proxy's counters stop moving (everything in flight has passed).
async fn settle(counts: &Counts) -> (u64, u64) {
    let mut last = snapshot(counts);
    loop {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let now = snapshot(counts);
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Runs `calls` sequential calls through `call` and returns the bytes per call, both directions together.
async fn per_call<F, Fut>(counts: &Counts, calls: u64, call: F) -> f64
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = settle(counts).await;
    for _ in 0..calls {
        call().await;
    }
    let after = settle(counts).await;
    ((after.0 - before.0) + (after.1 - before.1)) as f64 / calls as f64
}

fn msgpack<T: serde::Serialize>(value: &T) -> usize {
    rmp_serde::to_vec(value).expect("encodes").len()
}

fn bincode_len<T: serde::Serialize>(value: &T) -> usize {
    use bincode::Options;
    bincode::DefaultOptions::new().serialize(value).expect("encodes").len()
}

/// Measures every system. The payload baseline is the MessagePack of the request struct and of the reply struct
/// (as every MessagePack system here encodes them: structs as arrays), bincode's for tarpc.
pub async fn measure() -> Vec<WireRow> {
    let req = request();
    let ack = handle(&req);
    let mp = msgpack(&req) + msgpack(&ack);
    let mut rows = Vec::new();

    // remotes
    let server = crate::sys_remotes::server(crate::Transport::Tcp).await;
    let on_server = server.remotes().clone();
    let (addr, counts) = proxy(server.local_addr().expect("a TCP server")).await;
    let client = remotes_runtime::Client::connect::<net::Api>(addr).await.expect("connect through the proxy");
    let remotes = client.remotes().clone();
    let counter = Arc::new(crate::broadcast::Counter::default());
    let hits = Arc::clone(&counter);
    remotes.events.tick.connect(move |_payload: String| {
        hits.hit();
        async {}
    });
    let call = || async { assert!(remotes.functions.work.invoke(req.clone()).await.is_ok()) };
    let first = per_call(&counts, 100, call).await; // call numbers 0..100: one-byte varints
    for _ in 100..16_384 {
        call().await;
    }
    let steady = per_call(&counts, 10_000, call).await; // call numbers 16 384..26 384: three-byte varints
    rows.push(WireRow { system: "remotes", what: "call, ids < 128".into(), wire: first, payload: mp, args_wrapper: 1 });
    rows.push(WireRow {
        system: "remotes",
        what: "call, ids 16K..2M".into(),
        wire: steady,
        payload: mp,
        args_wrapper: 1,
    });
    let before = settle(&counts).await;
    for _ in 0..1000 {
        on_server.events.tick.broadcast(event_payload());
    }
    let after = settle(&counts).await;
    let event = (after.1 - before.1) as f64 / 1000.0;
    let event_payload_len = msgpack(&event_payload());
    rows.push(WireRow {
        system: "remotes",
        what: "event (64-byte string)".into(),
        wire: event,
        payload: event_payload_len,
        args_wrapper: 1,
    });
    assert_eq!(
        event as usize,
        crate::broadcast::remotes_event_frame().len(),
        "hand-written broadcast sends remotes' frame"
    );
    drop(client);
    drop(server);

    // hand-written
    let (target, _) = crate::sys_hand::tcp_server(crate::sys_hand::Batching::Drain).await;
    let (addr, counts) = proxy(target).await;
    let hand = crate::sys_hand::HandClient::connect(addr, crate::sys_hand::Batching::Drain).await;
    let call = || async { assert!(hand.call(&req).await.is_some()) };
    for _ in 0..16_384 {
        call().await;
    }
    let wire = per_call(&counts, 10_000, call).await;
    rows.push(WireRow {
        system: "hand-written",
        what: "call, ids 16K..26K".into(),
        wire,
        payload: mp,
        args_wrapper: 0,
    });
    let frame = crate::broadcast::remotes_event_frame();
    rows.push(WireRow {
        system: "hand-written",
        what: "event (remotes' frame)".into(),
        wire: frame.len() as f64,
        payload: event_payload_len,
        args_wrapper: 1,
    });

    // tarpc
    let (target, _) = crate::sys_tarpc::tcp_server().await;
    let (addr, counts) = proxy(target).await;
    let tarpc = crate::sys_tarpc::tcp_client(addr).await;
    let call = || async { assert!(tarpc.work(tarpc::context::current(), req.clone()).await.is_ok()) };
    for _ in 0..16_384 {
        call().await;
    }
    let wire = per_call(&counts, 10_000, call).await;
    let bincode = bincode_len(&req) + bincode_len(&ack);
    rows.push(WireRow {
        system: "tarpc",
        what: "call (bincode payload)".into(),
        wire,
        payload: bincode,
        args_wrapper: 0,
    });
    rows.push(WireRow {
        system: "tarpc",
        what: "call (vs MessagePack payload)".into(),
        wire,
        payload: mp,
        args_wrapper: 0,
    });
    let _: Ack = ack;
    rows
}
