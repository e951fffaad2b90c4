//! Broadcast time-to-all with the clients in a child process of this binary, for the scale scenario: 10,000 TCP
//! clients and their server in one process need more than 20,000 open files, the hard limit of the machine these
//! figures come from. The same measurement as [`crate::broadcast`] (its `measure`, its hand-written receivers, remotes'
//! `tick` listeners), except that the child counts the deliveries and prints a line each time the count has grown
//! by `clients` (one broadcast's worth), which this process adds to its counter. A pipe write and read per broadcast
//! (a few µs) is added to times of milliseconds.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use remotes_runtime::Client;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::broadcast::{BroadcastResult, Counter, measure, receive, remotes_event_frame};
use crate::harness::{on_fresh_runtime, raise_fd_limit, runtime};
use crate::memory::{finish, say, spawn_child};
use crate::proto::{event_payload, net};

/// How long the child may take to connect everyone.
const CONNECT_BOUND: Duration = Duration::from_secs(120);

/// Which server broadcasts: remotes' `tick.broadcast`, or the hand-written loop over a pre-encoded frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    Remotes,
    Hand,
}

/// Starts the listeners' child for `addr`; returns it once it has connected everyone, with a thread adding each
/// broadcast's worth of deliveries it reports to `counter`.
fn listeners(
    system: System,
    addr: std::net::SocketAddr,
    clients: usize,
    counter: &Arc<Counter>,
) -> std::process::Child {
    let name = if system == System::Remotes { "remotes" } else { "hand" };
    let (child, mut out) = spawn_child(&["--broadcast-listeners", name, &addr.to_string(), &clients.to_string()]);
    crate::memory::expect_line(&mut out, "CONNECTED");
    let counter = Arc::clone(counter);
    std::thread::spawn(move || {
        for line in out.lines() {
            match line {
                Ok(line) if line.trim() == "D" => counter.add(clients as u64),
                Ok(_) => {}
                Err(_) => return,
            }
        }
    });
    child
}

/// `system` broadcasting a 64-byte event to `clients` TCP clients of a child process: `rounds` times to all, then
/// a stream for `stream` (see [`crate::broadcast::measure`]). On a fresh runtime.
pub fn run(system: System, clients: usize, rounds: usize, stream: Duration) -> BroadcastResult {
    on_fresh_runtime(|| async move {
        let counter = Arc::new(Counter::default());
        match system {
            System::Remotes => {
                let server = crate::sys_remotes::server(crate::Transport::Tcp).await;
                let (joined_tx, mut joined) = tokio::sync::watch::channel(0usize);
                server.on_player_added(move |_| joined_tx.send_modify(|n| *n += 1));
                let addr = server.local_addr().expect("a listening server");
                let child = tokio::task::block_in_place(|| listeners(system, addr, clients, &counter));
                // Every client is a player before the first broadcast (its player-added callback has run).
                let all = tokio::time::timeout(CONNECT_BOUND, joined.wait_for(|n| *n >= clients)).await;
                assert!(matches!(all, Ok(Ok(_))), "only {} of {clients} players joined", server.players().len());
                let (on_server, payload) = (server.remotes().clone(), event_payload());
                let result = measure(&counter, clients as u64, rounds, stream, || {
                    on_server.events.tick.broadcast(payload.clone());
                    async {}
                })
                .await;
                tokio::task::block_in_place(|| finish(child));
                result
            }
            System::Hand => {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
                let addr = listener.local_addr().expect("local addr");
                let accepting = tokio::spawn(async move {
                    let mut writers = Vec::with_capacity(clients);
                    while writers.len() < clients {
                        let (accepted, _) = listener.accept().await.expect("accept");
                        accepted.set_nodelay(true).expect("nodelay");
                        writers.push(accepted.into_split());
                    }
                    writers
                });
                let child = tokio::task::block_in_place(|| listeners(system, addr, clients, &counter));
                let halves = tokio::time::timeout(CONNECT_BOUND, accepting).await.expect("accepted").expect("accept");
                let (_readers, writers): (Vec<_>, Vec<_>) = halves.into_iter().unzip();
                let frame = bytes::Bytes::from(remotes_event_frame());
                let writers = tokio::sync::Mutex::new(writers);
                let result = measure(&counter, clients as u64, rounds, stream, || async {
                    for writer in writers.lock().await.iter_mut() {
                        writer.write_all(&frame).await.expect("write");
                    }
                })
                .await;
                tokio::task::block_in_place(|| finish(child));
                result
            }
        }
    })
}

/// Child mode: `clients` TCP clients of `addr` counting `tick` deliveries (remotes' clients, or the hand-written
/// receivers); prints `CONNECTED`, then `D` each time the count has grown by `clients`; exits when stdin closes.
pub fn listeners_child(system: &str, addr: &str, clients: usize) {
    raise_fd_limit();
    let addr: std::net::SocketAddr = addr.parse().expect("an address");
    let rt = runtime();
    rt.block_on(async {
        let counter = Arc::new(Counter::default());
        let held: Vec<Option<(Client<net::Api>, net::client::Remotes)>> = futures::stream::iter(0..clients)
            .map(|_| {
                let counter = Arc::clone(&counter);
                async move {
                    if system == "hand" {
                        let stream = TcpStream::connect(addr).await.expect("connect");
                        stream.set_nodelay(true).expect("nodelay");
                        tokio::spawn(receive(stream, counter));
                        return None;
                    }
                    let client = Client::connect::<net::Api>(addr).await.expect("connect");
                    let remotes = client.remotes().clone();
                    remotes.events.tick.connect(move |payload: String| {
                        debug_assert_eq!(payload.len(), 64);
                        counter.hit();
                        async {}
                    });
                    Some((client, remotes))
                }
            })
            .buffer_unordered(64)
            .collect()
            .await;
        say("CONNECTED".to_string());
        let reporter = tokio::spawn(async move {
            let mut next = clients as u64;
            while counter.wait_for(next, Instant::now() + Duration::from_secs(3600)).await {
                say("D".to_string());
                next += clients as u64;
            }
        });
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await
            .expect("stdin")
            .ok();
        reporter.abort();
        drop(held);
    });
    rt.shutdown_background();
}
