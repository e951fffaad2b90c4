//! Resident memory per idle connected client. The server and the clients each run in a child process of their own
//! (this binary, in a child mode), so the server's figure holds only server-side cost, and neither inherits heap
//! that earlier scenarios grew. Each child raises its open-file limit itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use crate::harness::{raise_fd_limit, rss_bytes, runtime};

/// Per idle client, bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryResult {
    pub server_per_client: f64,
    pub client_per_client: f64,
    pub clients: usize,
}

/// How long a child may take to connect everyone.
const CONNECT_BOUND: Duration = Duration::from_secs(120);

/// Reads a child's output until a line starting with `prefix`; returns the rest of that line.
pub(crate) fn expect_line(out: &mut BufReader<ChildStdout>, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).expect("read a child's output") == 0 {
            panic!("a child exited before printing {prefix}");
        }
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
}

/// Starts this binary in a child mode (`args`), its stdin and stdout piped.
pub(crate) fn spawn_child(args: &[&str]) -> (Child, BufReader<ChildStdout>) {
    let exe = std::env::current_exe().expect("this binary");
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn a memory child");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    (child, out)
}

/// Closes a child's stdin (which ends it) and waits for it, bounded; kills it after 5 s.
pub(crate) fn finish(mut child: Child) {
    drop(child.stdin.take()); // the child exits when its stdin closes
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Measures `system` with `clients` idle clients.
pub fn measure(system: &str, clients: usize) -> MemoryResult {
    let n = clients.to_string();
    let (server, mut server_out) = spawn_child(&["--memory-server", system, &n]);
    let addr = expect_line(&mut server_out, "ADDR");
    let server_before: f64 = expect_line(&mut server_out, "RSS").parse().expect("a number");
    let (clients_child, mut clients_out) = spawn_child(&["--memory-clients", system, &addr, &n]);
    let client_before: f64 = expect_line(&mut clients_out, "RSS").parse().expect("a number");
    let client_after: f64 = expect_line(&mut clients_out, "RSS").parse().expect("a number");
    let server_after: f64 = expect_line(&mut server_out, "RSS").parse().expect("a number");
    finish(clients_child);
    finish(server);
    MemoryResult {
        server_per_client: (server_after - server_before) / clients as f64,
        client_per_client: (client_after - client_before) / clients as f64,
        clients,
    }
}

/// Blocks until stdin closes (the parent is done with us).
fn wait_for_parent() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}

/// Prints one line to the parent, flushed.
pub(crate) fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Child mode: serve `clients` connections, report RSS before and once they are all connected and idle.
pub fn server_child(system: &str, clients: usize) {
    raise_fd_limit();
    let rt = runtime();
    rt.block_on(async {
        let (addr, connected): (std::net::SocketAddr, Box<dyn Fn() -> usize>) = match system {
            "remotes" | "remotes-ws" => {
                let transport = if system == "remotes" { crate::Transport::Tcp } else { crate::Transport::WebSocket };
                let server = crate::sys_remotes::server(transport).await;
                let addr = server.local_addr().expect("a listening server");
                let server = Arc::new(server);
                (addr, Box::new(move || server.players().len()))
            }
            "hand" => {
                let (addr, count) = crate::sys_hand::tcp_server(crate::sys_hand::Batching::Drain).await;
                (addr, Box::new(move || count.load(std::sync::atomic::Ordering::Relaxed)))
            }
            "tarpc" => {
                let (addr, count) = crate::sys_tarpc::tcp_server().await;
                (addr, Box::new(move || count.load(std::sync::atomic::Ordering::Relaxed)))
            }
            other => panic!("unknown system {other}"),
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        say(format!("ADDR {addr}"));
        say(format!("RSS {}", rss_bytes()));
        let deadline = tokio::time::Instant::now() + CONNECT_BOUND;
        while connected() < clients && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        say(format!("RSS {}", rss_bytes()));
        tokio::task::spawn_blocking(wait_for_parent).await.expect("stdin");
    });
    rt.shutdown_background();
}

/// Child mode: connect `clients` idle clients to `addr`, report RSS before and after.
pub fn clients_child(system: &str, addr: &str, clients: usize) {
    raise_fd_limit();
    let addr: std::net::SocketAddr = addr.parse().expect("an address");
    let rt = runtime();
    rt.block_on(async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        say(format!("RSS {}", rss_bytes()));
        let held: Vec<Box<dyn std::any::Any + Send>> = futures::stream::iter(0..clients)
            .map(|_| async move {
                let held: Box<dyn std::any::Any + Send> = match system {
                    "remotes" => {
                        let client =
                            remotes_runtime::Client::connect::<crate::proto::net::Api>(addr).await.expect("connect");
                        let remotes = client.remotes().clone();
                        Box::new((client, remotes))
                    }
                    "remotes-ws" => {
                        let client = remotes_runtime::Client::builder()
                            .connect_websocket::<crate::proto::net::Api>(&format!("ws://{addr}/"))
                            .await
                            .expect("connect");
                        let remotes = client.remotes().clone();
                        Box::new((client, remotes))
                    }
                    "hand" => {
                        Box::new(crate::sys_hand::HandClient::connect(addr, crate::sys_hand::Batching::Drain).await)
                    }
                    "tarpc" => Box::new(crate::sys_tarpc::tcp_client(addr).await),
                    other => panic!("unknown system {other}"),
                };
                held
            })
            .buffer_unordered(64)
            .collect()
            .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        say(format!("RSS {}", rss_bytes()));
        tokio::task::spawn_blocking(wait_for_parent).await.expect("stdin");
        drop(held);
    });
    rt.shutdown_background();
}
