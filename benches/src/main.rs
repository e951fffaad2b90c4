//! The runtime benchmark suite of `remotes` (issue #6): remotes against tarpc and a hand-written socket loop, in one
//! run on 127.0.0.1, every figure a median of repetitions and every target a ratio to a peer measured in the same
//! run; over WebSocket (issue #12) against jsonrpsee and socketioxide, and tokio-tungstenite against
//! tokio-websockets. See BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p remotes-bench                        # everything, 3 repetitions
//! cargo run --release -p remotes-bench -- --quick --only 32x16  # one scenario family, in seconds
//! cargo run --release -p remotes-bench -- --only ws              # the WebSocket scenarios
//! cargo run --release -p remotes-bench -- --only cluster         # 3 nodes over a private nats-server
//! cargo run --release -p remotes-bench -- --only scale           # 100, 1,000 and 10,000 clients, idle and active
//! cargo run --release -p remotes-bench -- --quick --no-charts    # leave benches/charts/ as it is
//! ```

mod broadcast;
mod broadcast_apart;
mod charts;
mod cluster;
mod flood;
mod harness;
mod memory;
mod proto;
mod rooms;
mod round_two;
mod scale;
mod sys_hand;
mod sys_jsonrpsee;
mod sys_remotes;
mod sys_socketio;
mod sys_tarpc;
mod wire;
mod ws_crates;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use harness::{Lengths, LoadResult, median, on_fresh_runtime};

/// Which transport a load scenario uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    /// WebSocket over TCP (`bind_websocket`, `connect_websocket`).
    WebSocket,
    /// TLS over TCP (`ServerBuilder::tls`, `connect_tls`), with a certificate for `localhost` made at start.
    Tls,
    Memory,
}

const USAGE: &str = "\
remotes-bench: remotes against tarpc, a hand-written socket loop, and over WebSocket against jsonrpsee and
socketioxide (127.0.0.1 only)

USAGE: cargo run --release -p remotes-bench -- [OPTIONS]

OPTIONS:
  --quick              1 repetition, short windows, 2,000 idle clients for memory (seconds per scenario)
  --reps N             repetitions (default 3; medians are reported)
  --only A,B           scenarios whose name contains A or B: tcp-1x1 tcp-32x1 tcp-32x16 mem-1x1 mem-32x1
                       mem-32x16 s2c-32x16 budget-32x16 flood broadcast rooms cluster wire memory
                       ws-1x1 ws-32x16 ws-broadcast ws-memory ws-crates tls-32x16 scale
                       (e.g. --only 32x16, --only tcp, --only mem-1x1, --only flood, --only ws)
  --systems A,B        only these systems: remotes, hand, hand-yield, tarpc, jsonrpsee, socketioxide,
                       tokio-tungstenite, tokio-websockets (targets need the peers)
  --warmup MS          warm-up per run (default 500, quick 200)
  --measure MS         measuring window per run (default 2000, quick 700)
  --memory-clients N   idle clients for the memory scenarios, memory and ws-memory (default 10000)
  --broadcast-clients N  clients for the broadcast scenarios, broadcast and ws-broadcast (default 1000)
  --room-members N     members of the room in the rooms scenario (default 10000)
  --cluster-clients N  TCP clients per node in the cluster scenario (3 nodes; default 1000); the
                       scenario needs `nats-server` on the PATH, or a server at REMOTES_NATS_URL
  --scale-clients A,B  connected TCP clients in the scale scenario (default 100,1000,10000; quick 100,1000);
                       broadcast time-to-all is measured at the counts of 1000 and more
  --max-secs S         abort the whole run after S seconds (default 1500)
  --metrics-recorder   install a Prometheus recorder (metrics-exporter-prometheus, no listener) before
                       anything runs: the cost of recording every metric (BENCHMARKS.md, Observability)
  --charts DIR         write calls.svg and latency.svg of what ran into DIR (default: benches/charts in
                       the source tree); a run that measured nothing they draw leaves them as they are
  --no-charts          write no charts
";

/// Where the charts go by default: `benches/charts/` of the source tree this binary was built from.
const CHARTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/charts");

struct Opts {
    reps: usize,
    only: Vec<String>,
    systems: Vec<String>,
    lengths: Lengths,
    memory_clients: usize,
    broadcast_clients: usize,
    broadcast_rounds: usize,
    broadcast_stream: Duration,
    room_members: usize,
    cluster_clients: usize,
    scale_clients: Vec<usize>,
    max_secs: u64,
    metrics_recorder: bool,
    /// Where to write the charts (`None`: `--no-charts`).
    charts: Option<PathBuf>,
}

impl Opts {
    fn parse() -> Opts {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let quick = args.iter().any(|a| a == "--quick");
        let mut opts = Opts {
            reps: if quick { 1 } else { 3 },
            only: Vec::new(),
            systems: [
                "remotes",
                "hand",
                "hand-yield",
                "tarpc",
                "jsonrpsee",
                "socketioxide",
                "tokio-tungstenite",
                "tokio-websockets",
            ]
            .map(String::from)
            .to_vec(),
            lengths: if quick {
                Lengths { warmup: Duration::from_millis(200), measure: Duration::from_millis(700) }
            } else {
                Lengths { warmup: Duration::from_millis(500), measure: Duration::from_millis(2000) }
            },
            memory_clients: if quick { 2000 } else { 10_000 },
            broadcast_clients: 1000,
            broadcast_rounds: if quick { 50 } else { 200 },
            broadcast_stream: Duration::from_millis(if quick { 700 } else { 2000 }),
            room_members: 10_000,
            cluster_clients: 1000,
            scale_clients: if quick { vec![100, 1000] } else { vec![100, 1000, 10_000] },
            max_secs: 1500,
            metrics_recorder: false,
            charts: Some(PathBuf::from(CHARTS)),
        };
        let mut it = args.iter();
        let list = |v: Option<&String>| -> Vec<String> {
            v.map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default()
        };
        let num = |v: Option<&String>, what: &str| -> u64 {
            v.and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                eprintln!("{what} needs a number\n\n{USAGE}");
                std::process::exit(2)
            })
        };
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--quick" => {}
                "--reps" => opts.reps = num(it.next(), "--reps").max(1) as usize,
                "--only" => opts.only = list(it.next()),
                "--systems" => opts.systems = list(it.next()),
                "--warmup" => opts.lengths.warmup = Duration::from_millis(num(it.next(), "--warmup")),
                "--measure" => opts.lengths.measure = Duration::from_millis(num(it.next(), "--measure").max(1)),
                "--memory-clients" => opts.memory_clients = num(it.next(), "--memory-clients").max(1) as usize,
                "--broadcast-clients" => opts.broadcast_clients = num(it.next(), "--broadcast-clients").max(1) as usize,
                "--room-members" => opts.room_members = num(it.next(), "--room-members").max(1) as usize,
                "--cluster-clients" => opts.cluster_clients = num(it.next(), "--cluster-clients").max(1) as usize,
                "--scale-clients" => {
                    opts.scale_clients =
                        list(it.next()).iter().filter_map(|c| c.parse().ok()).filter(|&c| c > 0).collect();
                    if opts.scale_clients.is_empty() {
                        eprintln!("--scale-clients needs counts, e.g. 100,1000\n\n{USAGE}");
                        std::process::exit(2)
                    }
                }
                "--max-secs" => opts.max_secs = num(it.next(), "--max-secs"),
                "--metrics-recorder" => opts.metrics_recorder = true,
                "--charts" => match it.next() {
                    Some(dir) => opts.charts = Some(PathBuf::from(dir)),
                    None => {
                        eprintln!("--charts needs a directory\n\n{USAGE}");
                        std::process::exit(2)
                    }
                },
                "--no-charts" => opts.charts = None,
                "-h" | "--help" => {
                    print!("{USAGE}");
                    std::process::exit(0)
                }
                other => {
                    eprintln!("unknown argument {other}\n\n{USAGE}");
                    std::process::exit(2)
                }
            }
        }
        opts
    }

    fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| scenario.contains(o.as_str()))
    }

    fn has(&self, system: &str) -> bool {
        self.systems.iter().any(|s| s == system)
    }
}

/// The figures of one (scenario, system) over the repetitions.
struct LoadRow {
    scenario: &'static str,
    system: &'static str,
    runs: Vec<LoadResult>,
}

impl LoadRow {
    fn med(&self, f: fn(&LoadResult) -> f64) -> f64 {
        median(&self.runs.iter().map(f).collect::<Vec<_>>())
    }
}

/// Everything measured, for the report.
#[derive(Default)]
struct Report {
    load: Vec<LoadRow>,
    broadcast: Vec<(&'static str, Vec<broadcast::BroadcastResult>)>,
    wire: Vec<wire::WireRow>,
    memory: Vec<(&'static str, Vec<memory::MemoryResult>)>,
    flood: Vec<flood::FloodResult>,
    rooms: Vec<rooms::RoomsResult>,
    cluster: Vec<cluster::ClusterRun>,
    scale: scale::ScaleReport,
    ws_broadcast: Vec<(&'static str, Vec<broadcast::BroadcastResult>)>,
    ws_memory: Vec<(&'static str, Vec<memory::MemoryResult>)>,
    /// (shape, crate, runs).
    ws_crates: Vec<(&'static str, &'static str, Vec<ws_crates::EchoResult>)>,
}

impl Report {
    fn row(&self, scenario: &str, system: &str) -> Option<&LoadRow> {
        self.load.iter().find(|r| r.scenario == scenario && r.system == system)
    }

    /// Median over repetitions of the per-repetition ratio `f(a) / f(b)` (both measured in the same repetition).
    fn ratio(&self, a: (&str, &str), b: (&str, &str), f: fn(&LoadResult) -> f64) -> f64 {
        let (Some(a), Some(b)) = (self.row(a.0, a.1), self.row(b.0, b.1)) else { return f64::NAN };
        median(&a.runs.iter().zip(&b.runs).map(|(x, y)| f(x) / f(y)).collect::<Vec<_>>())
    }
}

type LoadFn = fn(Transport, usize, usize, Lengths) -> LoadResult;
/// One system of a load scenario: its label in the table, its name for `--systems`, how to run it.
type LoadSystem = (&'static str, &'static str, LoadFn);
/// A load scenario: name, transport, clients, calls in flight per client, systems.
type LoadScenario = (&'static str, Transport, usize, usize, Vec<LoadSystem>);
type BroadcastFn = fn(usize, usize, Duration) -> broadcast::BroadcastResult;

/// Runs each broadcast system `opts.reps` times, rotating which goes first, and prints each repetition under `tag`.
fn broadcasts(
    tag: &str,
    systems: &[(&'static str, BroadcastFn)],
    opts: &Opts,
) -> Vec<(&'static str, Vec<broadcast::BroadcastResult>)> {
    let mut results: Vec<_> = systems.iter().map(|(label, _)| (*label, Vec::new())).collect();
    for rep in 0..opts.reps {
        for i in 0..systems.len() {
            let index = (i + rep) % systems.len();
            let (label, run) = systems[index];
            let r = run(opts.broadcast_clients, opts.broadcast_rounds, opts.broadcast_stream);
            eprintln!(
                "  {tag} {label:<13} rep {}: all {} clients in p50 {:>7.1} us, p99 {:>8.1} us; {:>9.0} deliveries/s{}",
                rep + 1,
                opts.broadcast_clients,
                r.p50_us,
                r.p99_us,
                r.deliveries_per_sec,
                if r.incomplete > 0 { format!("  ({} incomplete)", r.incomplete) } else { String::new() }
            );
            results[index].1.push(r);
        }
    }
    results
}

fn on_runtime(
    f: impl FnOnce(Transport, usize, usize, Lengths) -> std::pin::Pin<Box<dyn std::future::Future<Output = LoadResult>>>,
    t: Transport,
    c: usize,
    k: usize,
    l: Lengths,
) -> LoadResult {
    on_fresh_runtime(|| f(t, c, k, l))
}

fn remotes_c2s(t: Transport, c: usize, k: usize, l: Lengths) -> LoadResult {
    on_runtime(|t, c, k, l| Box::pin(sys_remotes::client_to_server(t, c, k, l)), t, c, k, l)
}
fn remotes_c2s_budget(t: Transport, c: usize, k: usize, l: Lengths) -> LoadResult {
    on_runtime(
        |t, c, k, l| Box::pin(sys_remotes::client_to_server_with(t, c, k, l, Some(sys_remotes::UNREACHED_BUDGET))),
        t,
        c,
        k,
        l,
    )
}
fn remotes_s2c(t: Transport, c: usize, k: usize, l: Lengths) -> LoadResult {
    on_runtime(|t, c, k, l| Box::pin(sys_remotes::server_to_client(t, c, k, l)), t, c, k, l)
}
fn hand_c2s(t: Transport, c: usize, k: usize, l: Lengths) -> LoadResult {
    on_runtime(|t, c, k, l| Box::pin(sys_hand::client_to_server(t, c, k, l, sys_hand::Batching::Drain)), t, c, k, l)
}
fn hand_yield_c2s(t: Transport, c: usize, k: usize, l: Lengths) -> LoadResult {
    on_runtime(
        |t, c, k, l| Box::pin(sys_hand::client_to_server(t, c, k, l, sys_hand::Batching::YieldFirst)),
        t,
        c,
        k,
        l,
    )
}
fn tarpc_c2s(t: Transport, c: usize, k: usize, l: Lengths) -> LoadResult {
    on_runtime(|t, c, k, l| Box::pin(sys_tarpc::client_to_server(t, c, k, l)), t, c, k, l)
}
/// remotes over TCP, in a WebSocket scenario (the transport the WebSocket figures are compared with).
fn remotes_tcp_c2s(_: Transport, c: usize, k: usize, l: Lengths) -> LoadResult {
    remotes_c2s(Transport::Tcp, c, k, l)
}
fn jsonrpsee_c2s(_: Transport, c: usize, k: usize, l: Lengths) -> LoadResult {
    on_runtime(|_, c, k, l| Box::pin(sys_jsonrpsee::client_to_server(c, k, l)), Transport::WebSocket, c, k, l)
}

/// The load scenarios: name, transport, clients, calls in flight per client, systems.
fn load_scenarios() -> Vec<LoadScenario> {
    let c2s: Vec<LoadSystem> = vec![
        ("remotes", "remotes", remotes_c2s),
        ("hand-written", "hand", hand_c2s),
        ("hand-written+yield", "hand-yield", hand_yield_c2s),
        ("tarpc", "tarpc", tarpc_c2s),
    ];
    let s2c: Vec<LoadSystem> = vec![("remotes s->c", "remotes", remotes_s2c), ("remotes c->s", "remotes", remotes_c2s)];
    let ws: Vec<LoadSystem> = vec![
        ("remotes-ws", "remotes", remotes_c2s),
        ("remotes-tcp", "remotes", remotes_tcp_c2s),
        ("jsonrpsee-ws", "jsonrpsee", jsonrpsee_c2s),
    ];
    vec![
        ("tcp-1x1", Transport::Tcp, 1, 1, c2s.clone()),
        ("tcp-32x1", Transport::Tcp, 32, 1, c2s.clone()),
        ("tcp-32x16", Transport::Tcp, 32, 16, c2s.clone()),
        ("mem-1x1", Transport::Memory, 1, 1, c2s.clone()),
        ("mem-32x1", Transport::Memory, 32, 1, c2s.clone()),
        ("mem-32x16", Transport::Memory, 32, 16, c2s),
        ("s2c-32x16", Transport::Tcp, 32, 16, s2c),
        // The receive budget's cost: off (as in every scenario above) and on, at a rate no client reaches.
        (
            "budget-32x16",
            Transport::Tcp,
            32,
            16,
            vec![
                ("remotes, budget off", "remotes", remotes_c2s),
                ("remotes, budget on", "remotes", remotes_c2s_budget),
            ],
        ),
        // WebSocket (issue #12): remotes over WebSocket, the same over TCP, jsonrpsee over WebSocket.
        ("ws-1x1", Transport::WebSocket, 1, 1, ws.clone()),
        ("ws-32x16", Transport::WebSocket, 32, 16, ws),
        // The cost of TLS (issue #12): remotes over TLS on TCP, and over plain TCP in the same scenario.
        (
            "tls-32x16",
            Transport::Tls,
            32,
            16,
            vec![("remotes-tls", "remotes", remotes_c2s), ("remotes-tcp", "remotes", remotes_tcp_c2s)],
        ),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Child modes of the memory scenario.
    match args.get(1).map(String::as_str) {
        Some("--memory-server") => return memory::server_child(&args[2], args[3].parse().expect("a count")),
        Some("--memory-clients") => {
            return memory::clients_child(&args[2], &args[3], args[4].parse().expect("a count"));
        }
        Some("--broadcast-listeners") => {
            return broadcast_apart::listeners_child(&args[2], &args[3], args[4].parse().expect("a count"));
        }
        Some("--scale-server") => return scale::server_child(),
        Some("--scale-clients-child") => {
            let n = |i: usize| args[i].parse().expect("a number");
            return scale::clients_child(&args[2], n(3) as usize, n(4), n(5));
        }
        _ => {}
    }
    let opts = Opts::parse();
    if opts.metrics_recorder {
        // Every metric the runtime records goes into a real exporter's storage (rendered by nobody).
        let handle =
            metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder().expect("the only recorder");
        std::mem::forget(handle);
    }
    let max = opts.max_secs;
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(max));
        eprintln!("remotes-bench: still running after {max} s (--max-secs); aborting");
        std::process::exit(3);
    });
    let fds = harness::raise_fd_limit();
    let started = Instant::now();
    eprintln!(
        "remotes-bench: {} repetition(s), warm-up {:?}, window {:?}, open-file limit {fds}",
        opts.reps, opts.lengths.warmup, opts.lengths.measure
    );
    let mut report = Report::default();

    for (scenario, transport, clients, in_flight, systems) in load_scenarios() {
        if !opts.wants(scenario) {
            continue;
        }
        let systems: Vec<_> = systems.into_iter().filter(|s| opts.has(s.1)).collect();
        let first = report.load.len();
        for (label, _, _) in &systems {
            report.load.push(LoadRow { scenario, system: label, runs: Vec::new() });
        }
        for rep in 0..opts.reps {
            // Rotate the order each repetition, so no system always runs first (or last) on a warming machine.
            for i in 0..systems.len() {
                let index = (i + rep) % systems.len();
                let (label, _, run) = systems[index];
                let result = run(transport, clients, in_flight, opts.lengths);
                eprintln!(
                    "  {scenario:<10} {label:<13} rep {}: {:>9.0} calls/s  p50 {:>7.1} us  p99 {:>8.1} us  {:.3} writes/call{}",
                    rep + 1,
                    result.calls_per_sec,
                    result.p50_us,
                    result.p99_us,
                    result.writes_per_call,
                    if result.errors > 0 { format!("  ({} errors)", result.errors) } else { String::new() }
                );
                report.load[first + index].runs.push(result);
            }
        }
    }

    if opts.wants("flood") && opts.has("remotes") {
        for rep in 0..opts.reps {
            let r = on_fresh_runtime(|| flood::measure(opts.lengths));
            eprintln!(
                "  flood      remotes       rep {}: honest {} ok, {} failed; p50 {:>8.1} us  p99 {:>8.1} us  max {:>8.1} us; \
                 throttles {} (event flooders) {} (big frames); {} disconnected; burst spent after {:?}",
                rep + 1,
                r.ok,
                r.failed,
                r.p50_us,
                r.p99_us,
                r.max_us,
                r.event_throttles,
                r.big_throttles,
                r.disconnected,
                r.ramp
            );
            report.flood.push(r);
        }
    }

    if opts.wants("broadcast") {
        let mut systems: Vec<(&'static str, BroadcastFn)> = Vec::new();
        if opts.has("remotes") {
            systems.push(("remotes", |c, r, s| on_fresh_runtime(|| broadcast::remotes(c, r, s))));
        }
        if opts.has("hand") {
            systems.push(("hand-written", |c, r, s| on_fresh_runtime(|| broadcast::hand(c, r, s))));
        }
        report.broadcast.extend(broadcasts("broadcast", &systems, &opts));
    }

    if opts.wants("rooms") && opts.has("remotes") {
        let rounds = opts.broadcast_rounds;
        for rep in 0..opts.reps {
            let r = on_fresh_runtime(|| rooms::measure(opts.room_members, rounds));
            eprintln!(
                "  rooms      remotes       rep {}: {} members: join {:.0} ns, join+leave at full {:.0} ns, leave {:.0} ns; \
                 fire_room call {:.0} us (broadcast {:.0} us), to all p50 {:.0} us p99 {:.0} us; invoke_room all {:.1} ms{}",
                rep + 1,
                r.members,
                r.join_ns,
                r.churn_ns,
                r.leave_ns,
                r.fire_call_us,
                r.broadcast_call_us,
                r.fire_all_p50_us,
                r.fire_all_p99_us,
                r.invoke_all_ms,
                if r.incomplete > 0 { format!("  ({} incomplete)", r.incomplete) } else { String::new() }
            );
            report.rooms.push(r);
        }
    }

    if opts.wants("cluster") && opts.has("remotes") {
        match cluster::NatsProcess::start() {
            Err(why) => eprintln!("  cluster    skipped: {why}"),
            Ok(nats) => {
                eprintln!(
                    "  cluster    NATS at {} ({})",
                    nats.url,
                    if nats.private() { "a private nats-server" } else { "REMOTES_NATS_URL" }
                );
                for rep in 0..opts.reps {
                    let (per_node, rounds, stream) =
                        (opts.cluster_clients, opts.broadcast_rounds, opts.broadcast_stream);
                    let r = cluster::run(&nats.url, rep, per_node, rounds, stream, opts.lengths);
                    let total = cluster::NODES * per_node;
                    eprintln!(
                        "  cluster    rep {}: broadcast to {total}: one server p50 {:.0} us, {:.0} deliveries/s; \
                         {} nodes p50 {:.0} us, {:.0} deliveries/s ({} incomplete, {} dropped)",
                        rep + 1,
                        r.single.p50_us,
                        r.single.deliveries_per_sec,
                        cluster::NODES,
                        r.cluster.p50_us,
                        r.cluster.deliveries_per_sec,
                        r.single.incomplete + r.cluster.incomplete,
                        r.dropped
                    );
                    eprintln!(
                        "  cluster    rep {}: invoke p50 cross {:.1} us, same {:.1} us, NATS RTT {:.1} us; \
                         {} in flight: cross {:.0}/s, same {:.0}/s, NATS {:.0}/s ({} errors)",
                        rep + 1,
                        r.cross_seq.p50_us,
                        r.same_seq.p50_us,
                        r.rtt_seq.p50_us,
                        cluster::IN_FLIGHT,
                        r.cross_par.calls_per_sec,
                        r.same_par.calls_per_sec,
                        r.rtt_par.calls_per_sec,
                        [r.cross_seq, r.same_seq, r.rtt_seq, r.cross_par, r.same_par, r.rtt_par]
                            .iter()
                            .map(|l| l.errors)
                            .sum::<u64>()
                    );
                    report.cluster.push(r);
                }
            }
        }
    }

    if opts.wants("ws-broadcast") {
        let mut systems: Vec<(&'static str, BroadcastFn)> = Vec::new();
        if opts.has("remotes") {
            systems.push(("remotes-ws", |c, r, s| {
                on_fresh_runtime(|| broadcast::remotes_over(Transport::WebSocket, c, r, s))
            }));
        }
        if opts.has("socketioxide") {
            systems.push(("socketioxide", |c, r, s| on_fresh_runtime(|| sys_socketio::broadcast(c, r, s))));
        }
        if opts.has("remotes") {
            systems.push(("remotes-tcp", |c, r, s| on_fresh_runtime(|| broadcast::remotes(c, r, s))));
        }
        report.ws_broadcast.extend(broadcasts("ws-broadcast", &systems, &opts));
    }

    if opts.wants("wire") {
        report.wire = on_fresh_runtime(wire::measure);
        for row in &report.wire {
            eprintln!(
                "  wire       {:<13} {:<30} {:>7.2} bytes, overhead {:>6.2}",
                row.system,
                row.what,
                row.wire,
                row.overhead()
            );
        }
    }

    if opts.wants("memory") {
        let mut systems: Vec<(&'static str, &'static str)> = Vec::new();
        for (label, name) in [("remotes", "remotes"), ("hand-written", "hand"), ("tarpc", "tarpc")] {
            if opts.has(name) {
                systems.push((label, name));
            }
        }
        for (label, name) in systems {
            let mut runs = Vec::new();
            for rep in 0..opts.reps {
                let r = memory::measure(name, opts.memory_clients);
                eprintln!(
                    "  memory     {label:<13} rep {}: {} idle clients: server {:>7.0} B/client, client side {:>7.0} B/client",
                    rep + 1,
                    r.clients,
                    r.server_per_client,
                    r.client_per_client
                );
                runs.push(r);
            }
            report.memory.push((label, runs));
        }
    }

    if opts.wants("ws-memory") && opts.has("remotes") {
        for (label, name) in [("remotes-ws", "remotes-ws"), ("remotes-tcp", "remotes")] {
            let mut runs = Vec::new();
            for rep in 0..opts.reps {
                let r = memory::measure(name, opts.memory_clients);
                eprintln!(
                    "  ws-memory  {label:<13} rep {}: {} idle clients: server {:>7.0} B/client, client side {:>7.0} B/client",
                    rep + 1,
                    r.clients,
                    r.server_per_client,
                    r.client_per_client
                );
                runs.push(r);
            }
            report.ws_memory.push((label, runs));
        }
    }

    if opts.wants("scale") && opts.has("remotes") {
        report.scale = scale::run(&opts);
    }

    if opts.wants("ws-crates") {
        type EchoFn = fn(usize, usize, Lengths) -> ws_crates::EchoResult;
        let mut crates: Vec<(&'static str, EchoFn)> = Vec::new();
        if opts.has("tokio-tungstenite") {
            crates.push(("tokio-tungstenite 0.28", |c, k, l| {
                on_fresh_runtime(|| ws_crates::run::<ws_crates::Tungstenite>(c, k, l))
            }));
        }
        if opts.has("tokio-websockets") {
            crates.push(("tokio-websockets 0.13", |c, k, l| {
                on_fresh_runtime(|| ws_crates::run::<ws_crates::TokioWebsockets>(c, k, l))
            }));
        }
        if opts.has("tokio-tungstenite") {
            crates.push(("tokio-tungstenite 0.28, 8 KiB read buffer", |c, k, l| {
                on_fresh_runtime(|| ws_crates::run::<ws_crates::TungsteniteSmallRead>(c, k, l))
            }));
        }
        for (shape, connections, in_flight) in [("1x1", 1, 1), ("32x16", 32, 16)] {
            let first = report.ws_crates.len();
            for (label, _) in &crates {
                report.ws_crates.push((shape, label, Vec::new()));
            }
            for rep in 0..opts.reps {
                for i in 0..crates.len() {
                    let index = (i + rep) % crates.len();
                    let (label, run) = crates[index];
                    let r = run(connections, in_flight, opts.lengths);
                    eprintln!(
                        "  ws-crates  {shape:<6} {label:<42} rep {}: {:>9.0} echoes/s  p50 {:>7.1} us  p99 {:>8.1} us{}",
                        rep + 1,
                        r.per_sec,
                        r.p50_us,
                        r.p99_us,
                        if r.errors > 0 { format!("  ({} errors)", r.errors) } else { String::new() }
                    );
                    report.ws_crates[first + index].2.push(r);
                }
            }
        }
    }

    print!("{}", render(&report, &opts, started.elapsed()));
    if let Some(dir) = &opts.charts {
        match charts::write(dir, &report, &opts) {
            Ok(written) if written.is_empty() => {
                eprintln!("remotes-bench: nothing to chart in this run; {} left as it was", dir.display())
            }
            Ok(written) => {
                let names: Vec<_> = written.iter().map(|p| p.display().to_string()).collect();
                eprintln!("remotes-bench: wrote {}", names.join(", "));
            }
            Err(e) => eprintln!("remotes-bench: could not write the charts into {}: {e}", dir.display()),
        }
    }
}

fn fmt_ratio(x: f64) -> String {
    if x.is_nan() { "–".into() } else { format!("{x:.2}x") }
}

fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "not measured",
    }
}

/// The report, as Markdown (it is pasted into BENCHMARKS.md).
fn render(report: &Report, opts: &Opts, elapsed: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Results ({} repetition(s), warm-up {} ms, window {} ms, medians; ratios are medians of same-repetition ratios; {:.0} s in all)\n",
        opts.reps,
        opts.lengths.warmup.as_millis(),
        opts.lengths.measure.as_millis(),
        elapsed.as_secs_f64()
    );
    if report.load.iter().any(|r| !is_ws(r.scenario)) {
        let _ = writeln!(out, "### Calls (request: id u64, 64-byte name, 8 x u32; reply: 2 x u64)\n");
        let _ = writeln!(
            out,
            "| scenario | system | calls/s | p50 µs | p99 µs | writes/call | calls/s vs hand-written | calls/s vs hand-written+yield | calls/s vs tarpc | p50 vs hand-written |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for row in report.load.iter().filter(|r| !is_ws(r.scenario)) {
            let peer = |system: &str, f: fn(&LoadResult) -> f64| {
                if row.system == system {
                    "–".to_string()
                } else {
                    fmt_ratio(report.ratio((row.scenario, row.system), (row.scenario, system), f))
                }
            };
            let errors: u64 = row.runs.iter().map(|r| r.errors).sum();
            let _ = writeln!(
                out,
                "| {} | {}{} | {:.0} | {:.1} | {:.1} | {} | {} | {} | {} | {} |",
                row.scenario,
                row.system,
                if errors > 0 { format!(" ({errors} errors)") } else { String::new() },
                row.med(|r| r.calls_per_sec),
                row.med(|r| r.p50_us),
                row.med(|r| r.p99_us),
                match row.med(|r| r.writes_per_call) {
                    w if w.is_nan() || w == 0.0 => "–".to_string(),
                    w => format!("{w:.3}"),
                },
                peer("hand-written", |r| r.calls_per_sec),
                peer("hand-written+yield", |r| r.calls_per_sec),
                peer("tarpc", |r| r.calls_per_sec),
                peer("hand-written", |r| r.p50_us),
            );
        }
        out.push('\n');
    }
    if !report.flood.is_empty() {
        let m = flood::medians(&report.flood);
        let _ = writeln!(
            out,
            "### Under flood: server defaults, TCP, {} event flooders + {} clients sending 1 MiB frames; one honest client calling every {} ms\n",
            flood::EVENT_FLOODERS,
            flood::BIG_FRAME_SENDERS,
            flood::PERIOD.as_millis()
        );
        let _ = writeln!(
            out,
            "| honest calls ok | failed | p50 µs | p99 µs | max µs | throttles counted, event flooders | throttles counted, 1 MiB senders | flooders disconnected |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.0} | {:.0} | {} | {} | {} |",
            m.ok, m.failed, m.p50_us, m.p99_us, m.max_us, m.event_throttles, m.big_throttles, m.disconnected
        );
        out.push('\n');
    }
    if !report.rooms.is_empty() {
        let m = rooms::medians(&report.rooms);
        let _ = writeln!(out, "### Rooms: one room of {} in-process clients, a 64-byte event\n", m.members);
        let _ = writeln!(
            out,
            "| join, ns | join + leave at full, ns | leave, ns | fire_room call, µs | broadcast call, µs | fire_room to all, p50 µs | p99 µs | invoke_room, all answers, ms |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |{}",
            m.join_ns,
            m.churn_ns,
            m.leave_ns,
            m.fire_call_us,
            m.broadcast_call_us,
            m.fire_all_p50_us,
            m.fire_all_p99_us,
            m.invoke_all_ms,
            if m.incomplete > 0 { format!(" ({} incomplete)", m.incomplete) } else { String::new() }
        );
        out.push('\n');
    }
    if !report.broadcast.is_empty() {
        let _ = writeln!(out, "### Broadcast of a 64-byte event to {} TCP clients\n", opts.broadcast_clients);
        let _ = writeln!(
            out,
            "| system | time to all, p50 µs | p99 µs | deliveries/s (stream, {} in flight) |",
            broadcast::WINDOW
        );
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for (label, runs) in &report.broadcast {
            let m = broadcast::medians(runs);
            let _ = writeln!(
                out,
                "| {label}{} | {:.0} | {:.0} | {:.0} |",
                if m.incomplete > 0 { format!(" ({} incomplete)", m.incomplete) } else { String::new() },
                m.p50_us,
                m.p99_us,
                m.deliveries_per_sec
            );
        }
        out.push('\n');
    }
    if !report.wire.is_empty() {
        let _ = writeln!(out, "### Bytes on the wire (counted through a TCP proxy; payload = the encoded structs)\n");
        let _ = writeln!(
            out,
            "| system | what | bytes on the wire | payload bytes (structs) | overhead beyond the structs | overhead beyond the argument array |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
        for row in &report.wire {
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} | {} | {:.2} | {:.2} |",
                row.system,
                row.what,
                row.wire,
                row.payload,
                row.overhead(),
                row.overhead_beyond_args()
            );
        }
        out.push('\n');
    }
    if !report.memory.is_empty() {
        let _ =
            writeln!(out, "### Resident memory per idle connected client (server and clients in separate processes)\n");
        let _ = writeln!(out, "| system | clients | server side, bytes/client | client side, bytes/client |");
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for (label, runs) in &report.memory {
            let s = median(&runs.iter().map(|r| r.server_per_client).collect::<Vec<_>>());
            let c = median(&runs.iter().map(|r| r.client_per_client).collect::<Vec<_>>());
            let _ = writeln!(out, "| {label} | {} | {s:.0} | {c:.0} |", runs.first().map_or(0, |r| r.clients));
        }
        out.push('\n');
    }

    // Targets.
    let thr = |r: &LoadResult| r.calls_per_sec;
    let p50 = |r: &LoadResult| r.p50_us;
    let mut targets: Vec<(String, String, Option<bool>)> = Vec::new();
    let mut check = |name: &str, value: f64, ok: fn(f64) -> bool, shown: String| {
        targets.push((name.to_string(), shown, (!value.is_nan()).then(|| ok(value))));
    };
    let r = report.ratio(("tcp-32x16", "remotes"), ("tcp-32x16", "hand-written"), thr);
    check("TCP 32x16 ≥ 0.8x hand-written", r, |x| x >= 0.8, fmt_ratio(r));
    let r = report.ratio(("tcp-32x16", "remotes"), ("tcp-32x16", "tarpc"), thr);
    check("TCP 32x16 ≥ 3x tarpc", r, |x| x >= 3.0, fmt_ratio(r));
    let r = report.ratio(("tcp-32x16", "remotes"), ("tcp-32x16", "hand-written+yield"), thr);
    check("(context) TCP 32x16 ≥ 0.8x hand-written+yield", r, |x| x >= 0.8, fmt_ratio(r));
    let r = report.ratio(("tcp-1x1", "remotes"), ("tcp-1x1", "hand-written"), p50);
    check("TCP 1x1 p50 ≤ 1.15x hand-written", r, |x| x <= 1.15, fmt_ratio(r));
    let r = report.ratio(("tcp-1x1", "remotes"), ("tcp-1x1", "hand-written+yield"), p50);
    check("(context) TCP 1x1 p50 ≤ 1.15x hand-written+yield", r, |x| x <= 1.15, fmt_ratio(r));
    let r = report.ratio(("mem-1x1", "remotes"), ("mem-1x1", "tarpc"), thr);
    check("in-process 1x1 ≥ 1x tarpc in-memory", r, |x| x >= 1.0, fmt_ratio(r));
    let r = report.ratio(("mem-32x16", "remotes"), ("mem-32x16", "tarpc"), thr);
    check("in-process 32x16 ≥ 1x tarpc in-memory", r, |x| x >= 1.0, fmt_ratio(r));
    let r = report.ratio(("s2c-32x16", "remotes s->c"), ("s2c-32x16", "remotes c->s"), thr);
    check("server->client 32x16 ≥ 0.9x client->server", r, |x| x >= 0.9, fmt_ratio(r));
    let r = report.ratio(("budget-32x16", "remotes, budget on"), ("budget-32x16", "remotes, budget off"), thr);
    check("(context) TCP 32x16 with the receive budget on ≥ 0.95x off", r, |x| x >= 0.95, fmt_ratio(r));
    if !report.flood.is_empty() {
        let m = flood::medians(&report.flood);
        check(
            "under flood: no failed honest call",
            m.failed as f64,
            |x| x == 0.0,
            format!("{} of {}", m.failed, m.ok + m.failed),
        );
        check("under flood: honest p99 < 50 ms", m.p99_us, |x| x < 50_000.0, format!("{:.1} ms", m.p99_us / 1000.0));
    }
    let bc = |label: &str| report.broadcast.iter().find(|b| b.0 == label).map(|b| &b.1);
    let (b_thr, b_time) = match (bc("remotes"), bc("hand-written")) {
        (Some(a), Some(b)) => {
            let t =
                median(&a.iter().zip(b).map(|(x, y)| x.deliveries_per_sec / y.deliveries_per_sec).collect::<Vec<_>>());
            let l = round_two::speed_ratio(a, b);
            (t, l)
        }
        _ => (f64::NAN, f64::NAN),
    };
    check("broadcast deliveries/s ≥ 0.8x hand-written", b_thr, |x| x >= 0.8, fmt_ratio(b_thr));
    check(
        "broadcast time to all: speed ≥ 0.8x hand-written (hand p50 / remotes p50)",
        b_time,
        |x| x >= 0.8,
        fmt_ratio(b_time),
    );
    for row in report.wire.iter().filter(|r| r.system == "remotes") {
        let (o, a) = (row.overhead(), row.overhead_beyond_args());
        let shown = format!("{o:.2} bytes beyond the structs, {a:.2} beyond the argument array");
        check(&format!("wire overhead ≤ 6 bytes beyond the encoded arguments: {}", row.what), a, |x| x <= 6.0, shown);
    }
    if let Some((_, runs)) = report.memory.iter().find(|m| m.0 == "remotes") {
        let s = median(&runs.iter().map(|r| r.server_per_client).collect::<Vec<_>>());
        check(
            "memory ≤ 16 KiB per idle client (server side)",
            s,
            |x| x <= 16.0 * 1024.0,
            format!("{:.1} KiB", s / 1024.0),
        );
        let c = median(&runs.iter().map(|r| r.client_per_client).collect::<Vec<_>>());
        check(
            "memory ≤ 16 KiB per idle client (client side, for context)",
            c,
            |x| x <= 16.0 * 1024.0,
            format!("{:.1} KiB", c / 1024.0),
        );
    }
    // Printed when anything it judges was measured (a run of the WebSocket scenarios alone has its own table).
    if targets.iter().any(|t| t.2.is_some()) {
        let _ = writeln!(out, "### Targets\n\n| target | measured | verdict |\n|---|---:|---|");
        for (name, shown, ok) in targets {
            let _ = writeln!(out, "| {name} | {shown} | {} |", verdict(ok));
        }
        out.push('\n');
    }
    round_two::render(report, opts, &mut out);
    cluster::render(&report.cluster, opts.cluster_clients, &mut out);
    scale::render(&report.scale, &mut out);
    render_ws(report, opts, &mut out);
    out
}

/// Whether a load scenario is one of the WebSocket ones (reported in their own tables).
fn is_ws(scenario: &str) -> bool {
    scenario.starts_with("ws-")
}

/// The WebSocket section of the report (issue #12): its tables and targets.
fn render_ws(report: &Report, opts: &Opts, out: &mut String) {
    let thr = |r: &LoadResult| r.calls_per_sec;
    let p50 = |r: &LoadResult| r.p50_us;
    if report.load.iter().any(|r| is_ws(r.scenario)) {
        let _ = writeln!(out, "### Calls over WebSocket (request: id u64, 64-byte name, 8 x u32; reply: 2 x u64)\n");
        let _ = writeln!(
            out,
            "| scenario | system | calls/s | p50 µs | p99 µs | calls/s vs jsonrpsee-ws | calls/s vs remotes-tcp | p50 vs remotes-tcp |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
        for row in report.load.iter().filter(|r| is_ws(r.scenario)) {
            let peer = |system: &str, f: fn(&LoadResult) -> f64| {
                if row.system == system {
                    "–".to_string()
                } else {
                    fmt_ratio(report.ratio((row.scenario, row.system), (row.scenario, system), f))
                }
            };
            let errors: u64 = row.runs.iter().map(|r| r.errors).sum();
            let _ = writeln!(
                out,
                "| {} | {}{} | {:.0} | {:.1} | {:.1} | {} | {} | {} |",
                row.scenario,
                row.system,
                if errors > 0 { format!(" ({errors} errors)") } else { String::new() },
                row.med(thr),
                row.med(p50),
                row.med(|r| r.p99_us),
                peer("jsonrpsee-ws", thr),
                peer("remotes-tcp", thr),
                peer("remotes-tcp", p50),
            );
        }
        out.push('\n');
    }
    if !report.ws_broadcast.is_empty() {
        let _ = writeln!(
            out,
            "### Broadcast of a 64-byte event to {} WebSocket clients (remotes-tcp: TCP clients, for context)\n",
            opts.broadcast_clients
        );
        let _ = writeln!(
            out,
            "| system | time to all, p50 µs | p99 µs | deliveries/s (stream, {} in flight) | deliveries/s vs socketioxide |",
            broadcast::WINDOW
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        for (label, runs) in &report.ws_broadcast {
            let m = broadcast::medians(runs);
            let vs = if *label == "socketioxide" {
                "–".to_string()
            } else {
                fmt_ratio(ws_broadcast_ratio(report, label, |r| r.deliveries_per_sec))
            };
            let _ = writeln!(
                out,
                "| {label}{} | {:.0} | {:.0} | {:.0} | {vs} |",
                if m.incomplete > 0 { format!(" ({} incomplete)", m.incomplete) } else { String::new() },
                m.p50_us,
                m.p99_us,
                m.deliveries_per_sec
            );
        }
        out.push('\n');
    }
    if !report.ws_memory.is_empty() {
        let _ = writeln!(
            out,
            "### Resident memory per idle connected WebSocket client (server and clients in separate processes; remotes-tcp for context)\n"
        );
        let _ = writeln!(out, "| system | clients | server side, bytes/client | client side, bytes/client |");
        let _ = writeln!(out, "|---|---:|---:|---:|");
        for (label, runs) in &report.ws_memory {
            let s = median(&runs.iter().map(|r| r.server_per_client).collect::<Vec<_>>());
            let c = median(&runs.iter().map(|r| r.client_per_client).collect::<Vec<_>>());
            let _ = writeln!(out, "| {label} | {} | {s:.0} | {c:.0} |", runs.first().map_or(0, |r| r.clients));
        }
        out.push('\n');
    }
    if !report.ws_crates.is_empty() {
        let _ = writeln!(
            out,
            "### WebSocket crates: raw echo of {} B binary messages (1x1: one connection, one message in flight; 32x16: 32 connections, 16 in flight each)\n",
            ws_crates::MESSAGE
        );
        let _ = writeln!(
            out,
            "| shape | crate | echoes/s | p50 µs | p99 µs | echoes/s vs tokio-tungstenite 0.28 |\n|---|---|---:|---:|---:|---:|"
        );
        for (shape, label, runs) in &report.ws_crates {
            let m = ws_crates::medians(runs);
            let vs = match report.ws_crates.iter().find(|c| c.0 == *shape && c.1 == "tokio-tungstenite 0.28") {
                Some(base) if base.1 != *label => {
                    fmt_ratio(median(&runs.iter().zip(&base.2).map(|(x, y)| x.per_sec / y.per_sec).collect::<Vec<_>>()))
                }
                _ => "–".to_string(),
            };
            let _ = writeln!(
                out,
                "| {shape} | {label}{} | {:.0} | {:.1} | {:.1} | {vs} |",
                if m.errors > 0 { format!(" ({} errors)", m.errors) } else { String::new() },
                m.per_sec,
                m.p50_us,
                m.p99_us
            );
        }
        out.push('\n');
    }

    let mut targets: Vec<(String, String, Option<bool>)> = Vec::new();
    let mut check = |name: &str, value: f64, ok: fn(f64) -> bool, shown: String| {
        targets.push((name.to_string(), shown, (!value.is_nan()).then(|| ok(value))));
    };
    let r = report.ratio(("ws-32x16", "remotes-ws"), ("ws-32x16", "jsonrpsee-ws"), thr);
    check("WebSocket 32x16 ≥ 3x jsonrpsee-ws", r, |x| x >= 3.0, fmt_ratio(r));
    let r = report.ratio(("ws-1x1", "remotes-ws"), ("ws-1x1", "jsonrpsee-ws"), thr);
    check("(context) WebSocket 1x1 ≥ 1x jsonrpsee-ws", r, |x| x >= 1.0, fmt_ratio(r));
    let r = report.ratio(("ws-32x16", "remotes-ws"), ("ws-32x16", "remotes-tcp"), thr);
    check("WebSocket 32x16 ≥ 0.8x remotes over TCP", r, |x| x >= 0.8, fmt_ratio(r));
    let r = report.ratio(("ws-1x1", "remotes-ws"), ("ws-1x1", "remotes-tcp"), thr);
    check("WebSocket 1x1 ≥ 0.8x remotes over TCP", r, |x| x >= 0.8, fmt_ratio(r));
    // The cost of TLS: no goal set; shown against the same-run TCP figure.
    let r = report.ratio(("tls-32x16", "remotes-tls"), ("tls-32x16", "remotes-tcp"), thr);
    check("(context) TLS on TCP 32x16 vs plain TCP", r, |x| x > 0.0, fmt_ratio(r));
    let r = ws_broadcast_ratio(report, "remotes-ws", |r| r.deliveries_per_sec);
    check("WebSocket broadcast deliveries/s ≥ 1x socketioxide", r, |x| x >= 1.0, fmt_ratio(r));
    // Speed = socketioxide's time to all / remotes' (above 1: remotes reaches everyone sooner).
    let r = ws_broadcast_ratio(report, "remotes-ws", |r| 1.0 / r.p50_us);
    check("(context) WebSocket broadcast time to all: speed ≥ 1x socketioxide", r, |x| x >= 1.0, fmt_ratio(r));
    if let Some((_, runs)) = report.ws_memory.iter().find(|m| m.0 == "remotes-ws") {
        let s = median(&runs.iter().map(|r| r.server_per_client).collect::<Vec<_>>());
        check(
            "WebSocket memory ≤ 16 KiB per idle client (server side)",
            s,
            |x| x <= 16.0 * 1024.0,
            format!("{:.1} KiB", s / 1024.0),
        );
    }
    if targets.iter().any(|t| t.2.is_some()) {
        let _ = writeln!(out, "### WebSocket targets\n\n| target | measured | verdict |\n|---|---:|---|");
        for (name, shown, ok) in targets {
            let _ = writeln!(out, "| {name} | {shown} | {} |", verdict(ok));
        }
    }
}

/// Median over repetitions of `f(label's run) / f(socketioxide's run)`, same repetition.
fn ws_broadcast_ratio(report: &Report, label: &str, f: fn(&broadcast::BroadcastResult) -> f64) -> f64 {
    let find = |l: &str| report.ws_broadcast.iter().find(|b| b.0 == l).map(|b| &b.1);
    match (find(label), find("socketioxide")) {
        (Some(a), Some(b)) => median(&a.iter().zip(b).map(|(x, y)| f(x) / f(y)).collect::<Vec<_>>()),
        _ => f64::NAN,
    }
}
