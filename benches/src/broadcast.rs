//! Broadcast of a 64-byte event to many connected clients: remotes' `broadcast` against a hand-written loop that
//! writes the same pre-encoded frame to every socket. Measures the time until every client has received one
//! broadcast, and deliveries/s for a stream of broadcasts (at most `WINDOW` broadcasts not yet fully delivered).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, tcp::OwnedWriteHalf};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::harness::{median, percentiles};
use crate::proto::event_payload;

/// Broadcasts in flight during the stream measurement.
pub const WINDOW: u64 = 16;

/// What one broadcast run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct BroadcastResult {
    /// Time until every client received one broadcast: median, microseconds.
    pub p50_us: f64,
    /// The same, 99th percentile.
    pub p99_us: f64,
    /// Deliveries per second for a stream of broadcasts.
    pub deliveries_per_sec: f64,
    /// Broadcasts that did not reach everyone within the bound.
    pub incomplete: u64,
}

/// Deliveries counted across all clients; wakes the measuring task once a target is reached.
#[derive(Default)]
pub struct Counter {
    n: AtomicU64,
    want: AtomicU64,
    notify: Notify,
}

impl Counter {
    pub fn hit(&self) {
        let v = self.n.fetch_add(1, SeqCst) + 1;
        if v >= self.want.load(SeqCst) {
            self.notify.notify_one();
        }
    }

    /// Counts `k` deliveries at once (reported by another process).
    pub fn add(&self, k: u64) {
        let v = self.n.fetch_add(k, SeqCst) + k;
        if v >= self.want.load(SeqCst) {
            self.notify.notify_one();
        }
    }

    pub fn count(&self) -> u64 {
        self.n.load(SeqCst)
    }

    /// Waits until `target` deliveries were counted, or `deadline`; `false` on the deadline.
    pub async fn wait_for(&self, target: u64, deadline: Instant) -> bool {
        loop {
            self.want.store(target, SeqCst);
            if self.count() >= target {
                self.want.store(u64::MAX, SeqCst);
                return true;
            }
            if tokio::time::timeout_at(deadline, self.notify.notified()).await.is_err() {
                self.want.store(u64::MAX, SeqCst);
                return false;
            }
        }
    }
}

/// Runs the measurements with `broadcast` sending one event to all `clients`.
pub async fn measure<F, Fut>(
    counter: &Counter,
    clients: u64,
    rounds: usize,
    stream: Duration,
    broadcast: F,
) -> BroadcastResult
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let bound = Duration::from_secs(5);
    let mut incomplete = 0;
    // Warm-up.
    for _ in 0..10 {
        let target = counter.count() + clients;
        broadcast().await;
        incomplete += u64::from(!counter.wait_for(target, Instant::now() + bound).await);
    }
    let mut latencies = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let target = counter.count() + clients;
        let t0 = Instant::now();
        broadcast().await;
        if counter.wait_for(target, t0 + bound).await {
            latencies.push(t0.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
        } else {
            incomplete += 1;
        }
    }
    let (p50_us, p99_us) = percentiles(&mut latencies);

    let base = counter.count();
    let start = Instant::now();
    let end = start + stream;
    let mut sent = 0u64;
    while Instant::now() < end {
        if sent >= WINDOW && !counter.wait_for(base + (sent - WINDOW + 1) * clients, end + bound).await {
            incomplete += 1;
            break;
        }
        broadcast().await;
        sent += 1;
    }
    if !counter.wait_for(base + sent * clients, Instant::now() + bound).await {
        incomplete += 1;
    }
    let deliveries_per_sec = (counter.count() - base) as f64 / start.elapsed().as_secs_f64();
    BroadcastResult { p50_us, p99_us, deliveries_per_sec, incomplete }
}

/// remotes: a TCP server, `clients` clients listening to `tick`, `server.events.tick.broadcast(..)`.
pub async fn remotes(clients: usize, rounds: usize, stream: Duration) -> BroadcastResult {
    remotes_over(crate::Transport::Tcp, clients, rounds, stream).await
}

/// The same over `transport`.
pub async fn remotes_over(
    transport: crate::Transport,
    clients: usize,
    rounds: usize,
    stream: Duration,
) -> BroadcastResult {
    let server = crate::sys_remotes::server(transport).await;
    let on_server = server.remotes().clone();
    let counter = Arc::new(Counter::default());
    let mut connected = Vec::new();
    for _ in 0..clients {
        connected.push(counting_client(&server, transport, &counter).await);
    }
    let payload = event_payload();
    let result = measure(&counter, clients as u64, rounds, stream, || {
        let fired = on_server.events.tick.broadcast(payload.clone());
        debug_assert_eq!(fired.queued, clients);
        async {}
    })
    .await;
    drop(connected);
    result
}

/// The EVENT frame remotes sends for `tick(payload)`: length varint, kind 0x20, remote id, MessagePack args.
/// A client of `server` whose `tick` listener counts each delivery on `counter`.
pub async fn counting_client(
    server: &remotes_runtime::Server<crate::proto::net::Api>,
    transport: crate::Transport,
    counter: &Arc<Counter>,
) -> remotes_runtime::Client<crate::proto::net::Api> {
    let (client, remotes) = crate::sys_remotes::client(server, transport).await;
    let counter = Arc::clone(counter);
    remotes.events.tick.connect(move |payload: String| {
        debug_assert_eq!(payload.len(), 64);
        counter.hit();
        async {}
    });
    client
}

pub fn remotes_event_frame() -> Vec<u8> {
    let args = remotes_runtime::testing::encode_args(&(event_payload(),));
    let tick_id = 2; // the server's table: work (0), work_on_client (1), tick (2)
    let body_len = 2 + args.len();
    assert!(body_len < 128, "one-byte length prefix");
    let mut frame = vec![body_len as u8, 0x20, tick_id];
    frame.extend_from_slice(&args);
    frame
}

/// Reads frames (varint length, body), decodes the event's argument as remotes' client does, counts each.
pub async fn receive(stream: TcpStream, counter: Arc<Counter>) {
    let mut stream = stream;
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        loop {
            let mut len = 0usize;
            let mut prefix = 0;
            let mut complete = false;
            for (i, &byte) in buf.iter().take(5).enumerate() {
                len |= usize::from(byte & 0x7f) << (7 * i);
                if byte & 0x80 == 0 {
                    prefix = i + 1;
                    complete = true;
                    break;
                }
            }
            if !complete || buf.len() < prefix + len {
                break;
            }
            buf.advance(prefix);
            let body = buf.split_to(len);
            if let Ok((payload,)) = rmp_serde::from_slice::<(String,)>(&body[2..]) {
                debug_assert_eq!(payload.len(), 64);
                counter.hit();
            }
        }
        if buf.capacity() - buf.len() < 512 {
            buf.reserve(1024);
        }
        match stream.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Hand-written: `clients` sockets; one task writes the same pre-encoded frame to each, in turn.
pub async fn hand(clients: usize, rounds: usize, stream: Duration) -> BroadcastResult {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    let counter = Arc::new(Counter::default());
    let mut writers: Vec<OwnedWriteHalf> = Vec::with_capacity(clients);
    let mut readers = Vec::with_capacity(clients);
    for _ in 0..clients {
        let client = TcpStream::connect(addr).await.expect("connect");
        client.set_nodelay(true).expect("nodelay");
        tokio::spawn(receive(client, Arc::clone(&counter)));
        let (accepted, _) = listener.accept().await.expect("accept");
        accepted.set_nodelay(true).expect("nodelay");
        let (r, w) = accepted.into_split();
        readers.push(r);
        writers.push(w);
    }
    let frame = bytes::Bytes::from(remotes_event_frame());
    let writers = tokio::sync::Mutex::new(writers);
    measure(&counter, clients as u64, rounds, stream, || async {
        for writer in writers.lock().await.iter_mut() {
            writer.write_all(&frame).await.expect("write");
        }
    })
    .await
}

/// Medians of several runs.
pub fn medians(runs: &[BroadcastResult]) -> BroadcastResult {
    let m = |f: fn(&BroadcastResult) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    BroadcastResult {
        p50_us: m(|r| r.p50_us),
        p99_us: m(|r| r.p99_us),
        deliveries_per_sec: m(|r| r.deliveries_per_sec),
        incomplete: runs.iter().map(|r| r.incomplete).sum(),
    }
}
