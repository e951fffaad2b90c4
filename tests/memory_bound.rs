//! The per-connection memory bound (issue #10), measured with a counting global allocator.
//!
//! With `F` = `max_frame_len`, `Q` = `max_queued` bytes, `I` = `max_in_flight`, `B` = `max_in_flight_bytes`,
//! `E` = `event_queue_len`, `L` = `max_handshake_len` and `P` = the in-process pipe's capacity (0 over TCP, whose
//! buffers are the kernel's), what one hostile connection can make the server hold is at most
//!
//! ```text
//! read buffer      2F + 2 KiB              (a partial frame grows with what arrived, see wire/frame.rs)
//! outgoing queue   Q + Q + I x F           (the queue, the batch being written, replies of calls in flight)
//! work             B + decoded values      (payloads of calls and events in progress)
//! held events      E x F per event         (shared by every peer: not per connection)
//! handshake        4L                      (HELLO's buffer, then its decoded token and the hook's copy)
//! link and tasks   ~16 KiB
//! transport        2P                      (in-process only: both directions of the pipe)
//! ```
//!
//! Each scenario below opens `N` connections that all do the same thing, measures the heap growth at its peak and
//! once settled, divides by `N`, prints the figures and asserts them under the part of the formula that applies.
//! The figures include what the raw clients themselves allocate (their halves and buffers), so they are an upper
//! estimate of the server's share. Everything runs in one test: the allocator counts the whole process.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Harness, Transport};
use remotes_runtime::testing::{RawClient, encode_args, frame, kinds, varint};
use remotes_runtime::{Accept, Direction, Handshake, RemoteKind, Server, ServerBuilder};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const N: usize = 20;
const F: usize = 64 << 10;
const Q: usize = 256 << 10;
const I: usize = 16;
const B: usize = 256 << 10;
const E: usize = 16;
const L: usize = 16 << 10;
const PIPE: usize = 256 << 10;
const LINK: usize = 16 << 10;

fn builder() -> ServerBuilder {
    Server::builder()
        .max_frame_len(F)
        .max_queued(256, Q)
        .max_in_flight(I)
        .max_in_flight_bytes(B)
        .event_queue_len(E)
        .max_handshake_len(L)
        .receive_rate(None)
        .handshake_timeout(Duration::from_secs(120))
        .slow_peer_grace(Duration::from_secs(120))
        .keepalive(Duration::from_secs(40), Duration::from_secs(120))
        .authenticate(|handshake: Handshake| async move {
            if handshake.token.as_deref().is_some_and(|t| t.starts_with("hold")) {
                std::future::pending::<()>().await;
            }
            Ok(Accept::new())
        })
}

/// A valid HELLO body (after the kind byte) of `len` bytes with the kind, whose token starts with "hold".
fn hello_of_len(len: usize) -> Vec<u8> {
    let mut body = vec![0x84, 0xa8];
    body.extend(b"protocol");
    body.extend([0x01, 0xaa]);
    body.extend(b"timeout_ms");
    body.extend([0xcd, 0x27, 0x10, 0xa9]);
    body.extend(b"max_frame");
    body.extend([0xce, 0x00, 0x01, 0x00, 0x00, 0xa5]);
    body.extend(b"token");
    let token = len - 1 - body.len() - 3;
    body.push(0xda);
    body.extend((token as u16).to_be_bytes());
    body.extend(b"hold");
    body.extend(std::iter::repeat_n(b't', token - 4));
    body
}

/// Waits until the heap stops changing (bounded: at most 4 s), and returns its size.
async fn settled() -> usize {
    let mut last = CURRENT.load(Ordering::Relaxed);
    let mut steady = 0;
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = CURRENT.load(Ordering::Relaxed);
        if now.abs_diff(last) <= last / 200 {
            steady += 1;
            if steady == 5 {
                return now;
            }
        } else {
            steady = 0;
        }
        last = now;
    }
    last
}

#[derive(Clone, Copy, Debug)]
enum Scenario {
    PartialFrame,
    UnreadReplies,
    HeldEvents,
    Handshake,
}

/// Runs one scenario: returns (peak growth, settled growth) per connection.
async fn measure(transport: Transport, scenario: Scenario) -> (usize, usize) {
    let h = Harness::with(transport, builder()).await;
    h.remotes.functions.echo.set_callback(|_player, text| async move { text });
    // Warm up: one honest round trip, so lazily built state is not counted.
    {
        let (_client, remotes) = h.client().await;
        assert_eq!(remotes.functions.echo.invoke("warm".into()).await, Ok("warm".to_string()));
    }
    let base = settled().await;
    PEAK.store(base, Ordering::Relaxed);
    let mut clients: Vec<RawClient> = Vec::new();
    let mut senders = Vec::new();
    for _ in 0..N {
        let mut raw = h.raw().await;
        if let Scenario::Handshake = scenario {
            raw.send_frame(kinds::HELLO, &hello_of_len(L)).await.unwrap();
            clients.push(raw);
            continue;
        }
        let welcome = raw.handshake().await.unwrap();
        match scenario {
            Scenario::PartialFrame => {
                // The largest frame allowed, all but its last byte.
                let mut partial = Vec::new();
                partial.extend(varint(F as u32));
                partial.push(kinds::EVENT);
                partial.extend(std::iter::repeat_n(0u8, F - 2));
                raw.send_bytes(&partial).await.unwrap();
                clients.push(raw);
            }
            Scenario::UnreadReplies => {
                // Echo calls of 1 KiB, sent without end and never read: 16 MiB, more than any transport buffers.
                let echo = welcome.id_of("echo", RemoteKind::Function, Direction::ToServer).unwrap();
                let one = frame(kinds::REQUEST, &[echo], &encode_args(&("r".repeat(1000),)));
                let chunk = one.repeat(64);
                senders.push(tokio::spawn(async move {
                    for _ in 0..256 {
                        if raw.send_bytes(&chunk).await.is_err() {
                            break;
                        }
                    }
                    raw
                }));
            }
            Scenario::HeldEvents => {
                // 64 events of almost F each for `chat`, which has no listener: held, E per event in all.
                let chat = welcome.id_of("chat", RemoteKind::Event, Direction::ToServer).unwrap();
                let one = frame(kinds::EVENT, &[chat], &encode_args(&("e".repeat(F - 16),)));
                for _ in 0..64 {
                    raw.send_bytes(&one).await.unwrap();
                }
                clients.push(raw);
            }
            Scenario::Handshake => unreachable!(),
        }
    }
    let held = settled().await.saturating_sub(base);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    for sender in senders {
        sender.abort();
    }
    drop(clients);
    drop(h);
    (peak / N, held / N)
}

#[test]
fn per_connection_memory_stays_under_the_formula() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        for transport in [Transport::Tcp, Transport::Memory] {
            let pipe = if transport == Transport::Memory { 2 * PIPE } else { 0 };
            let read_buffer = 2 * F + (2 << 10);
            let queue = 2 * Q + I * F;
            for (scenario, bound) in [
                (Scenario::PartialFrame, read_buffer + LINK + pipe),
                (Scenario::UnreadReplies, read_buffer + queue + B + LINK + pipe),
                // Held events are shared: E frames in all, spread over the N connections.
                (Scenario::HeldEvents, read_buffer + E * F / N + LINK + pipe),
                (Scenario::Handshake, 4 * L + LINK + pipe),
            ] {
                let (peak, held) = measure(transport, scenario).await;
                println!(
                    "{transport:?} {scenario:?}: per connection peak {} KiB, settled {} KiB (bound {} KiB)",
                    peak >> 10,
                    held >> 10,
                    bound >> 10
                );
                assert!(peak <= bound, "{transport:?} {scenario:?}: {peak} bytes per connection at peak > {bound}");
                assert!(held <= bound, "{transport:?} {scenario:?}: {held} bytes per connection held > {bound}");
            }
        }
    });
}
