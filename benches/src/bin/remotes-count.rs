//! Instructions per call, counted rather than timed (issue #16): one system's calls, run on a current-thread runtime
//! so that every task of client and server runs on this thread, inside `measured_calls`. Under
//! `valgrind --tool=callgrind --toggle-collect='*measured_calls*'` only that function's work is counted, after a
//! warm-up has grown every buffer; the count divided by the calls is the cost of one call in user space (callgrind
//! does not see the kernel: a socket's system calls are outside the count).
//!
//! ```text
//! remotes-count SYSTEM SCENARIO [CALLS]
//!   SYSTEM:   remotes, hand (the hand-written loop), hand-yield (its writer yields once first), tarpc
//!   SCENARIO: mem-1x1 (one in-process client, one call at a time), tcp-32x16 (32 TCP clients, 16 calls each
//!             in flight)
//! ```
//!
//! `scripts/callgrind.sh` runs it for each system and writes the table in BENCHMARKS.md ("Instructions per call").
//! It shares the payloads and the systems' set-up with the timed benchmark (`proto.rs`, `sys_*.rs`) and needs
//! nothing else of it, so the script can build this file into an older checkout to compare two commits.

#![allow(dead_code)]

#[path = "../harness.rs"]
mod harness;
#[path = "../proto.rs"]
mod proto;
#[path = "../sys_hand.rs"]
mod sys_hand;
#[path = "../sys_remotes.rs"]
mod sys_remotes;
#[path = "../sys_tarpc.rs"]
mod sys_tarpc;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::rc::Rc;

use sys_hand::Batching;

/// The transports the shared set-up code knows (as `crate::Transport`). A copy of `main.rs`'s, not a module both
/// include: the script builds this file into checkouts older than this file, whose `main.rs` holds the enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    WebSocket,
    Tls,
    Memory,
}

/// Calls made before counting starts, per caller.
const WARMUP_CALLS: u64 = 2_000;

/// One client of a system: each call makes one request.
type Call = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = bool>>>>;

/// `per_caller` calls by each of `in_flight` callers of every client, concurrently; how many succeeded.
fn calls(rt: &tokio::runtime::Runtime, clients: &[Call], in_flight: usize, per_caller: u64) -> u64 {
    rt.block_on(async {
        let callers =
            clients.iter().flat_map(|call| (0..in_flight).map(move |_| Rc::clone(call))).map(|call| async move {
                let mut ok = 0;
                for _ in 0..per_caller {
                    ok += u64::from(call().await);
                }
                ok
            });
        futures::future::join_all(callers).await.into_iter().sum()
    })
}

/// The counted calls. Its name is what callgrind's `--toggle-collect` matches.
#[inline(never)]
fn measured_calls(rt: &tokio::runtime::Runtime, clients: &[Call], in_flight: usize, per_caller: u64) -> u64 {
    calls(rt, clients, in_flight, per_caller)
}

/// `count` clients of `system` over `transport`.
fn clients(rt: &tokio::runtime::Runtime, system: &str, transport: Transport, count: usize) -> Vec<Call> {
    let req = proto::request();
    match system {
        "remotes" => rt.block_on(async {
            let server = Rc::new(sys_remotes::server(transport).await);
            let mut out: Vec<Call> = Vec::new();
            for _ in 0..count {
                let client = Rc::new(sys_remotes::client(&server, transport).await);
                let (req, server) = (req.clone(), Rc::clone(&server));
                out.push(Rc::new(move || {
                    let (req, client, _server) = (req.clone(), Rc::clone(&client), Rc::clone(&server));
                    Box::pin(async move { black_box(client.1.functions.work.invoke(req).await).is_ok() })
                }));
            }
            out
        }),
        "hand" | "hand-yield" => rt.block_on(async {
            let batching = if system == "hand" { Batching::Drain } else { Batching::YieldFirst };
            let addr = match transport {
                Transport::Tcp => Some(sys_hand::tcp_server(batching).await.0),
                _ => None,
            };
            let mut out: Vec<Call> = Vec::new();
            for _ in 0..count {
                let client = sys_hand::connected(transport, addr, batching).await;
                let req = req.clone();
                out.push(Rc::new(move || {
                    let (req, client) = (req.clone(), client.clone());
                    Box::pin(async move { black_box(client.call(&req).await).is_some() })
                }));
            }
            out
        }),
        "tarpc" => rt.block_on(async {
            let addr = match transport {
                Transport::Tcp => Some(sys_tarpc::tcp_server().await.0),
                _ => None,
            };
            let mut out: Vec<Call> = Vec::new();
            for _ in 0..count {
                let client = match addr {
                    Some(addr) => sys_tarpc::tcp_client(addr).await,
                    None => sys_tarpc::memory_client(),
                };
                let req = req.clone();
                out.push(Rc::new(move || {
                    let (req, client) = (req.clone(), client.clone());
                    Box::pin(async move { black_box(client.work(tarpc::context::current(), req).await).is_ok() })
                }));
            }
            out
        }),
        _ => usage(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(system), Some(scenario)) = (args.first(), args.get(1)) else { usage() };
    let total: u64 = args.get(2).map_or(20_000, |n| n.parse().unwrap_or_else(|_| usage()));
    let (transport, count, in_flight) = match scenario.as_str() {
        "mem-1x1" => (Transport::Memory, 1, 1),
        "tcp-32x16" => (Transport::Tcp, 32, 16),
        _ => usage(),
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let clients = clients(&rt, system, transport, count);
    let callers = (count * in_flight) as u64;
    let per_caller = total.div_ceil(callers);
    let warm_per_caller = WARMUP_CALLS.div_ceil(callers);
    let warm = calls(&rt, &clients, in_flight, warm_per_caller);
    if system == "remotes" {
        // Past the first hand-over of the figures to the metrics recorder (1 s after the server and clients were
        // made), where each remote's handles are registered once: a one-off, like the buffers the warm-up grew.
        // The hand-overs every second after it are counted with the calls.
        rt.block_on(async { tokio::time::sleep(std::time::Duration::from_millis(1_100)).await });
    }
    let clock = std::time::Instant::now();
    let ok = measured_calls(&rt, &clients, in_flight, per_caller);
    let elapsed = clock.elapsed();
    assert_eq!((warm, ok), (warm_per_caller * callers, per_caller * callers), "every call succeeds");
    // The script divides the count by this figure.
    eprintln!("{system} {scenario}: {ok} calls counted, after {warm} of warm-up");
    // Wall time on one thread (meaningless under callgrind; outside it, a steadier figure than a multi-threaded run).
    eprintln!("{system} {scenario}: {:.0} ns per call", elapsed.as_nanos() as f64 / ok as f64);
}

fn usage() -> ! {
    eprintln!(
        "usage: remotes-count SYSTEM SCENARIO [CALLS]   (SYSTEM: remotes, hand, hand-yield, tarpc; SCENARIO: mem-1x1, tcp-32x16)"
    );
    std::process::exit(2)
}
