//! Scale (issue #16): how calls/s and the server's resident memory grow from 100 to 10,000 connected TCP clients,
//! idle (a fixed set of `IDLE_CALLERS` x `IDLE_IN_FLIGHT` callers among them, the rest connected and silent) and
//! active (every client calling, `ACTIVE_IN_FLIGHT` in flight each); and broadcast time-to-all at 1,000 and 10,000
//! clients (remotes against the hand-written pre-encoded loop of [`crate::broadcast`]).
//!
//! The load runs with the server and the clients in two child processes of this binary (as [`crate::memory`] does),
//! so the server's memory holds only server-side cost; the parent steers both over their stdin and stdout. The
//! broadcasts run their server in this process and the clients in a child ([`crate::broadcast_apart`]).

use std::io::{BufRead, Write};
use std::process::Child;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use remotes_runtime::Client;

use crate::broadcast::{self, BroadcastResult};
use crate::broadcast_apart;
use crate::harness::{Lengths, LoadResult, drive, median, raise_fd_limit, rss_bytes, runtime};
use crate::memory::{expect_line, finish, say, spawn_child};
use crate::proto::{net, request};

/// Callers in the idle shape: the first this many clients, each with `IDLE_IN_FLIGHT` calls in flight.
pub const IDLE_CALLERS: usize = 32;
/// Calls in flight per idle-shape caller (the shape of `tcp-32x16`).
pub const IDLE_IN_FLIGHT: usize = 16;
/// Calls in flight per client in the active shape.
pub const ACTIVE_IN_FLIGHT: usize = 1;
/// Broadcasts are measured at the client counts of `--scale-clients` that are at least this.
pub const BROADCAST_FROM: usize = 1000;

/// A connected client and its remotes, as the other remotes scenarios hold them.
type Connected = (Client<net::Api>, net::client::Remotes);

/// How long a child may take to connect everyone.
const CONNECT_BOUND: Duration = Duration::from_secs(120);

/// One repetition at one client count. Memory figures are the server's VmRSS growth since before the first
/// connection, divided by the connected clients, bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScalePoint {
    /// All clients connected, none calling.
    pub connected_per_client: f64,
    /// The idle shape: the callers' figures, and the server's memory halfway through the window.
    pub idle: LoadResult,
    pub idle_per_client: f64,
    /// The active shape: every client's calls, and the server's memory halfway through the window.
    pub active: LoadResult,
    pub active_per_client: f64,
}

/// Broadcast time-to-all at one client count, each repetition.
#[derive(Debug, Clone, Default)]
pub struct BroadcastAt {
    pub clients: usize,
    pub remotes: Vec<BroadcastResult>,
    pub hand: Vec<BroadcastResult>,
}

/// Everything the scale scenario measured.
#[derive(Debug, Clone, Default)]
pub struct ScaleReport {
    /// (clients, repetitions).
    pub load: Vec<(usize, Vec<ScalePoint>)>,
    pub broadcast: Vec<BroadcastAt>,
}

impl ScaleReport {
    pub fn is_empty(&self) -> bool {
        self.load.is_empty() && self.broadcast.is_empty()
    }
}

/// `1,000` for 1000.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The median of `f` over some repetitions.
pub fn med<T>(runs: &[T], f: impl Fn(&T) -> f64) -> f64 {
    median(&runs.iter().map(f).collect::<Vec<_>>())
}

/// Runs the scale scenario: `opts.reps` repetitions of the load at each of `opts.scale_clients`, then the
/// broadcasts.
pub fn run(opts: &crate::Opts) -> ScaleReport {
    let mut report = ScaleReport::default();
    for &clients in &opts.scale_clients {
        let mut runs = Vec::new();
        for rep in 0..opts.reps {
            let p = measure(clients, opts.lengths);
            let errors = p.idle.errors + p.active.errors;
            eprintln!(
                "  scale      {:>6} clients rep {}: connected {:>6.0} B/client; idle {:>8.0} calls/s, {:>6.0} B/client; \
                 active {:>8.0} calls/s (p50 {:.0} us, p99 {:.0} us), {:>6.0} B/client{}",
                grouped(clients),
                rep + 1,
                p.connected_per_client,
                p.idle.calls_per_sec,
                p.idle_per_client,
                p.active.calls_per_sec,
                p.active.p50_us,
                p.active.p99_us,
                p.active_per_client,
                if errors > 0 { format!("  ({errors} errors)") } else { String::new() }
            );
            runs.push(p);
        }
        report.load.push((clients, runs));
    }
    for &clients in opts.scale_clients.iter().filter(|&&c| c >= BROADCAST_FROM) {
        report.broadcast.push(broadcasts(clients, opts));
    }
    report
}

/// Broadcast time-to-all at `clients`, remotes and hand-written alternating which goes first. Fewer rounds at
/// larger counts (each takes longer), at least 20.
fn broadcasts(clients: usize, opts: &crate::Opts) -> BroadcastAt {
    let mut at = BroadcastAt { clients, ..BroadcastAt::default() };
    let rounds =
        (opts.broadcast_rounds * BROADCAST_FROM / clients).clamp(20.min(opts.broadcast_rounds), opts.broadcast_rounds);
    let stream = opts.broadcast_stream.min(Duration::from_millis(500));
    for rep in 0..opts.reps {
        for i in 0..2 {
            let hand = (i + rep) % 2 == 1;
            let system = if hand { broadcast_apart::System::Hand } else { broadcast_apart::System::Remotes };
            let r = broadcast_apart::run(system, clients, rounds, stream);
            eprintln!(
                "  scale      broadcast {:<13} rep {}: all {} clients in p50 {:>8.1} us, p99 {:>8.1} us ({rounds} rounds){}",
                if hand { "hand-written" } else { "remotes" },
                rep + 1,
                grouped(clients),
                r.p50_us,
                r.p99_us,
                if r.incomplete > 0 { format!("  ({} incomplete)", r.incomplete) } else { String::new() }
            );
            if hand { at.hand.push(r) } else { at.remotes.push(r) }
        }
    }
    at
}

fn tell(child: &mut Child, line: &str) {
    let stdin = child.stdin.as_mut().expect("a child's stdin");
    writeln!(stdin, "{line}").and_then(|()| stdin.flush()).expect("write to a child");
}

fn number(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// One repetition at `clients`: a server child, a clients child, the idle shape then the active shape.
fn measure(clients: usize, lengths: Lengths) -> ScalePoint {
    let n = clients.to_string();
    let (mut server, mut server_out) = spawn_child(&["--scale-server"]);
    let addr = expect_line(&mut server_out, "ADDR");
    let before = number(&expect_line(&mut server_out, "RSS"));
    let (warmup, window) = (lengths.warmup.as_millis().to_string(), lengths.measure.as_millis().to_string());
    let (mut client_child, mut clients_out) = spawn_child(&["--scale-clients-child", &addr, &n, &warmup, &window]);
    expect_line(&mut clients_out, "CONNECTED");
    // The server answers once `clients` players have joined (its player-added callback), not on a timer.
    let mut server_rss = |server: &mut Child| {
        tell(server, &format!("RSS {clients}"));
        (number(&expect_line(&mut server_out, "RSS")) - before) / clients as f64
    };
    let connected_per_client = server_rss(&mut server);
    let mut shape = |name: &str, server: &mut Child| {
        tell(&mut client_child, name);
        expect_line(&mut clients_out, "MID");
        let per_client = server_rss(server);
        let figures: Vec<f64> = expect_line(&mut clients_out, "RESULT").split_whitespace().map(number).collect();
        let result = LoadResult {
            calls_per_sec: figures[0],
            p50_us: figures[1],
            p99_us: figures[2],
            errors: figures[3] as u64,
            writes_per_call: f64::NAN,
        };
        (result, per_client)
    };
    let (idle, idle_per_client) = shape("IDLE", &mut server);
    let (active, active_per_client) = shape("ACTIVE", &mut server);
    finish(client_child);
    finish(server);
    ScalePoint { connected_per_client, idle, idle_per_client, active, active_per_client }
}

/// Lines of this process's stdin, read on a thread of their own; the channel closes when the parent closes stdin.
fn commands() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Child mode: a remotes TCP server. Prints its address and RSS, then answers each `RSS k` with its RSS once `k`
/// players have joined (bounded by `CONNECT_BOUND`); exits when stdin closes.
pub fn server_child() {
    raise_fd_limit();
    let rt = runtime();
    rt.block_on(async {
        let server = crate::sys_remotes::server(crate::Transport::Tcp).await;
        let (joined_tx, mut joined) = tokio::sync::watch::channel(0usize);
        server.on_player_added(move |_| joined_tx.send_modify(|n| *n += 1));
        let addr = server.local_addr().expect("a listening server");
        tokio::time::sleep(Duration::from_millis(200)).await; // let the runtime's threads settle before the baseline
        say(format!("ADDR {addr}"));
        say(format!("RSS {}", rss_bytes()));
        let mut lines = commands();
        while let Some(line) = lines.recv().await {
            let Some(k) = line.strip_prefix("RSS ").and_then(|k| k.trim().parse::<usize>().ok()) else { continue };
            let all = tokio::time::timeout(CONNECT_BOUND, joined.wait_for(|n| *n >= k)).await;
            if !matches!(all, Ok(Ok(_))) {
                eprintln!("scale server: only {} of {k} players joined", server.players().len());
            }
            say(format!("RSS {}", rss_bytes()));
        }
    });
    rt.shutdown_background();
}

/// Child mode: connects `clients` TCP clients to `addr`, prints `CONNECTED`, then runs each `IDLE` or `ACTIVE`
/// command: `MID` halfway through the measuring window, `RESULT calls/s p50 p99 errors` at its end.
pub fn clients_child(addr: &str, clients: usize, warmup_ms: u64, measure_ms: u64) {
    raise_fd_limit();
    let addr: std::net::SocketAddr = addr.parse().expect("an address");
    let lengths = Lengths { warmup: Duration::from_millis(warmup_ms), measure: Duration::from_millis(measure_ms) };
    let rt = runtime();
    rt.block_on(async {
        let handles: Vec<Arc<Connected>> = futures::stream::iter(0..clients)
            .map(|_| async move {
                let client = Client::connect::<net::Api>(addr).await.expect("connect");
                let remotes = client.remotes().clone();
                Arc::new((client, remotes))
            })
            .buffer_unordered(64)
            .collect()
            .await;
        say("CONNECTED".to_string());
        let mut lines = commands();
        while let Some(line) = lines.recv().await {
            let (callers, in_flight) = match line.trim() {
                "IDLE" => (&handles[..IDLE_CALLERS.min(clients)], IDLE_IN_FLIGHT),
                "ACTIVE" => (&handles[..], ACTIVE_IN_FLIGHT),
                _ => continue,
            };
            // drive() starts 20 ms from now; the marker is a sampling time, not a correctness wait.
            let mid = tokio::time::Instant::now() + Duration::from_millis(20) + lengths.warmup + lengths.measure / 2;
            let marker = tokio::spawn(async move {
                tokio::time::sleep_until(mid).await;
                say("MID".to_string());
            });
            let req = request();
            let r = drive(callers, in_flight, lengths, move |c: Arc<Connected>| {
                let req = req.clone();
                async move { c.1.functions.work.invoke(req).await.is_ok() }
            })
            .await;
            marker.await.expect("the marker");
            say(format!("RESULT {} {} {} {}", r.calls_per_sec, r.p50_us, r.p99_us, r.errors));
        }
    });
    rt.shutdown_background();
}

/// The scale section of the report: the load table, then the broadcast table.
pub fn render(report: &ScaleReport, out: &mut String) {
    use std::fmt::Write as _;
    if !report.load.is_empty() {
        let _ = writeln!(
            out,
            "### Scale: TCP clients connected to one server (server and clients in separate processes; memory: the server's RSS growth per connected client)\n"
        );
        let _ = writeln!(
            out,
            "| clients | idle: calls/s of {IDLE_CALLERS}x{IDLE_IN_FLIGHT} callers | idle: server B/client | active: calls/s, all x{ACTIVE_IN_FLIGHT} | active: p50 µs | active: p99 µs | active: server B/client | connected, no calls: server B/client |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (clients, runs) in &report.load {
            let errors: u64 = runs.iter().map(|p| p.idle.errors + p.active.errors).sum();
            let _ = writeln!(
                out,
                "| {}{} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
                grouped(*clients),
                if errors > 0 { format!(" ({errors} errors)") } else { String::new() },
                med(runs, |p| p.idle.calls_per_sec),
                med(runs, |p| p.idle_per_client),
                med(runs, |p| p.active.calls_per_sec),
                med(runs, |p| p.active.p50_us),
                med(runs, |p| p.active.p99_us),
                med(runs, |p| p.active_per_client),
                med(runs, |p| p.connected_per_client),
            );
        }
        out.push('\n');
    }
    if !report.broadcast.is_empty() {
        let _ = writeln!(out, "### Scale: broadcast of a 64-byte event, time until every TCP client has it\n");
        let _ = writeln!(
            out,
            "| clients | remotes p50 µs | remotes p99 µs | hand-written p50 µs | hand-written p99 µs | remotes / hand-written (p50 time) |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
        for at in &report.broadcast {
            let (r, h) = (broadcast::medians(&at.remotes), broadcast::medians(&at.hand));
            let ratio = median(&at.remotes.iter().zip(&at.hand).map(|(r, h)| r.p50_us / h.p50_us).collect::<Vec<_>>());
            let incomplete = r.incomplete + h.incomplete;
            let _ = writeln!(
                out,
                "| {}{} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
                grouped(at.clients),
                if incomplete > 0 { format!(" ({incomplete} incomplete)") } else { String::new() },
                r.p50_us,
                r.p99_us,
                h.p50_us,
                h.p99_us,
                crate::fmt_ratio(ratio)
            );
        }
        out.push('\n');
    }
}
