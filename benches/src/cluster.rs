//! Cluster (issue #14, part two): several servers joined over NATS core, all in this process, each node with its
//! own NATS connection, against a private `nats-server` (or the one at `REMOTES_NATS_URL`).
//!
//! Each repetition measures, in alternating order:
//!
//! - broadcast of the 64-byte event from node 0 of a 3-node cluster with `per_node` TCP clients on each node,
//!   against the same number of TCP clients on one server without a cluster (`broadcast::measure`: time until
//!   every client heard one broadcast, and deliveries/s for a stream with `broadcast::WINDOW` in flight);
//! - calls of the ClientFunction `work_on_client` on one TCP client of node B: from node A (a remote player, one
//!   NATS hop each way), from node B itself (its local player), and beside them a NATS request/reply of the same
//!   argument bytes from A's connection to a subscriber on B's connection that answers them. Sequentially, the
//!   three interleaved call by call (the order rotating each round), so that the latencies the goal compares are
//!   taken at the same moments of a shared machine; then each alone with 16 in flight (`harness::drive`).

use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use futures::StreamExt;
use remotes_runtime::cluster::{ClusterSettings, Nats};
use remotes_runtime::{Player, Server};

use crate::broadcast::{self, BroadcastResult, Counter};
use crate::harness::{Lengths, LoadResult, drive, median, on_fresh_runtime, percentiles};
use crate::proto::{Req, event_payload, handle, net, request};

/// The nodes of the broadcast cluster.
pub const NODES: usize = 3;
/// Calls in flight in the concurrent invoke measurement.
pub const IN_FLIGHT: usize = 16;

/// The NATS server the scenario runs on: a private `nats-server` process (killed on drop), or `REMOTES_NATS_URL`.
pub struct NatsProcess {
    pub url: String,
    child: Option<Child>,
    dir: Option<PathBuf>,
}

impl NatsProcess {
    /// `REMOTES_NATS_URL` when set; otherwise spawns `nats-server -a 127.0.0.1 -p -1 --ports_file_dir <dir>` and
    /// reads its URL from the ports file. `Err` says why there is none (the scenario is then skipped).
    pub fn start() -> Result<NatsProcess, String> {
        if let Ok(url) = std::env::var("REMOTES_NATS_URL")
            && !url.is_empty()
        {
            return Ok(NatsProcess { url, child: None, dir: None });
        }
        let dir = std::env::temp_dir().join(format!("remotes-bench-nats-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut command = Command::new("nats-server");
        command.args(["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir"]).arg(&dir);
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // SAFETY: prctl only sets a flag of the child: it is killed if this thread (the main one) exits first,
        // e.g. on the --max-secs abort, which skips destructors.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "`nats-server` is not installed (apt-get install nats-server), and REMOTES_NATS_URL is not set".into()
            }
            _ => format!("cannot start nats-server: {e}"),
        })?;
        let path = dir.join(format!("nats-server_{}.ports", child.id()));
        // The ports file is written once the server listens: nothing to wait on but the file itself.
        for _ in 0..1000 {
            if let Ok(text) = std::fs::read_to_string(&path)
                && let Some(url) = text.split('"').find(|part| part.starts_with("nats://"))
            {
                let url = url.to_string();
                return Ok(NatsProcess { url, child: Some(child), dir: Some(dir) });
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("nats-server exited at start ({status})"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(format!("nats-server wrote no ports file in {} within 10 s", dir.display()))
    }

    /// Whether this is a private process of the benchmark's.
    pub fn private(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for NatsProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// What one repetition measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClusterRun {
    /// Broadcast to `NODES x per_node` clients of one server without a cluster.
    pub single: BroadcastResult,
    /// Broadcast from node 0 to `per_node` clients on each of `NODES` nodes.
    pub cluster: BroadcastResult,
    /// Node 0's `dropped` and every node's `malformed` count after the cluster broadcast.
    pub dropped: u64,
    /// Sequential, interleaved call by call: A invoking B's player, B its own, a NATS request/reply
    /// (`calls_per_sec`: its calls over the shared window).
    pub cross_seq: LoadResult,
    pub same_seq: LoadResult,
    pub rtt_seq: LoadResult,
    /// The sequential calls of each in the window.
    pub seq_calls: [usize; 3],
    /// The same with `IN_FLIGHT` calls in flight.
    pub cross_par: LoadResult,
    pub same_par: LoadResult,
    pub rtt_par: LoadResult,
}

/// A cluster name no earlier repetition (nor another run on a shared NATS server) used.
fn cluster_name(what: &str, rep: usize) -> String {
    let nanos = std::time::UNIX_EPOCH.elapsed().unwrap_or_default().as_nanos() % 1_000_000_000;
    format!("bench-{what}-{}-{rep}-{nanos}", std::process::id())
}

/// A node of cluster `name`: a TCP server as `sys_remotes::server` makes one (receive budget off), node id `id`.
async fn node(url: &str, name: &str, id: u32) -> (Server<net::Api>, Nats) {
    let nats = Nats::connect(url).await.expect("connect to NATS");
    let server = Server::builder()
        .receive_rate(None)
        .cluster(nats.clone(), name)
        .cluster_settings(ClusterSettings::default().node_id(id))
        .bind::<net::Api>("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    server.remotes().functions.work.set_callback(|_player: Player, req: Req| async move { handle(&req) });
    server.start();
    (server, nats)
}

/// Broadcast from node 0 of a `NODES`-node cluster with `per_node` TCP clients on each.
async fn broadcast_cluster(
    url: &str,
    rep: usize,
    per_node: usize,
    rounds: usize,
    stream: Duration,
) -> (BroadcastResult, u64) {
    let name = cluster_name("broadcast", rep);
    let mut nodes = Vec::new();
    for id in 1..=NODES as u32 {
        nodes.push(node(url, &name, id).await.0);
    }
    let counter = Arc::new(Counter::default());
    let mut connected = Vec::new();
    for server in &nodes {
        for _ in 0..per_node {
            connected.push(crate::broadcast::counting_client(server, crate::Transport::Tcp, &counter).await);
        }
    }
    let clusters: Vec<_> = nodes.iter().map(|s| s.cluster().expect("a node")).collect();
    for cluster in &clusters {
        let formed = cluster.until(|c| c.players().len() == NODES * per_node);
        tokio::time::timeout(Duration::from_secs(60), formed).await.expect("every node lists every player");
    }
    let on_node0 = nodes[0].remotes().clone();
    let payload = event_payload();
    let result = broadcast::measure(&counter, (NODES * per_node) as u64, rounds, stream, || {
        let fired = on_node0.events.tick.broadcast(payload.clone());
        debug_assert_eq!(fired.queued, per_node);
        async {}
    })
    .await;
    let dropped = clusters[0].health().dropped + clusters.iter().map(|c| c.health().malformed).sum::<u64>();
    drop(connected);
    (result, dropped)
}

/// Node A invoking the player of node B, node B invoking it, and a NATS request/reply between their connections.
async fn invokes(url: &str, rep: usize, lengths: Lengths, run: &mut ClusterRun) {
    let name = cluster_name("invoke", rep);
    let (a, nats_a) = node(url, &name, 1).await;
    let (b, nats_b) = node(url, &name, 2).await;
    let (client, _remotes) = crate::sys_remotes::client(&b, crate::Transport::Tcp).await;
    let id = client.player_id();
    let cluster_a = a.cluster().expect("a node");
    tokio::time::timeout(Duration::from_secs(30), cluster_a.until(|c| c.player(id).is_some()))
        .await
        .expect("A lists B's player");
    let far = a.player(id).expect("A lists the player");
    assert!(!far.is_local(), "a player of node B, seen from A");
    let near = b.player(id).expect("B's own player");
    assert!(near.is_local());
    let cross = Arc::new((a.remotes().clone(), far));
    let same = Arc::new((b.remotes().clone(), near));

    // The responder on B's connection: answers each request with its own payload.
    let subject = format!("{name}.rtt");
    let mut requests = nats_b.client().subscribe(subject.clone()).await.expect("subscribe");
    let responder_client = nats_b.client().clone();
    let responder = tokio::spawn(async move {
        while let Some(message) = requests.next().await {
            if let Some(reply) = message.reply {
                let _ = responder_client.publish(reply, message.payload).await;
            }
        }
    });
    nats_b.client().flush().await.expect("flush the subscription");
    let requester = nats_a.client().clone();
    // The call's argument bytes, as a Call message carries them.
    let payload = bytes::Bytes::from(remotes_runtime::testing::encode_args(&(request(),)));

    // One call of each of the three, as the call scenarios make them (a clone of the same request per call).
    let calls: [Call; 3] = {
        let (req, subject) = (request(), subject.clone());
        let invoke = |t: Arc<(net::server::Remotes, Player)>| -> Call {
            let req = req.clone();
            Arc::new(move || {
                let (t, req) = (Arc::clone(&t), req.clone());
                Box::pin(async move { t.0.functions.work_on_client.invoke(&t.1, req).await.is_ok() })
            })
        };
        let nats: Call = Arc::new(move || {
            let (c, subject, payload) = (requester.clone(), subject.clone(), payload.clone());
            Box::pin(async move { c.request(subject, payload).await.is_ok() })
        });
        [invoke(cross), invoke(same), nats]
    };
    // Sequential: the three interleaved call by call, so that each sees the same moments of the shared machine.
    let (seq, counts) = tokio::spawn(interleaved(calls.clone(), lengths)).await.expect("the sequential calls");
    [run.cross_seq, run.same_seq, run.rtt_seq] = seq;
    run.seq_calls = counts;
    // IN_FLIGHT in flight: one system at a time (the order rotating each repetition).
    for i in 0..3 {
        let index = (i + rep) % 3;
        let call = Arc::clone(&calls[index]);
        let r = drive(&[()], IN_FLIGHT, lengths, move |()| call()).await;
        *[&mut run.cross_par, &mut run.same_par, &mut run.rtt_par][index] = r;
    }
    responder.abort();
    drop(client);
}

/// One sequential call of a system; `true` when it succeeded.
type Call = Arc<dyn Fn() -> futures::future::BoxFuture<'static, bool> + Send + Sync>;

/// Calls `calls` one at a time in rounds, one call of each per round (the order rotating each round): warm-up, then
/// the window, every latency in the window recorded. Returns each one's figures and its calls in the window.
async fn interleaved(calls: [Call; 3], lengths: Lengths) -> ([LoadResult; 3], [usize; 3]) {
    let window_start = Instant::now() + lengths.warmup;
    let end = window_start + lengths.measure;
    let mut latencies: [Vec<u32>; 3] = Default::default();
    let mut errors = [0u64; 3];
    let mut round = 0;
    while Instant::now() < end {
        for k in 0..3 {
            let i = (round + k) % 3;
            let t0 = Instant::now();
            let ok = calls[i]().await;
            let t1 = Instant::now();
            if !ok {
                errors[i] += 1;
            } else if t0 >= window_start && t1 <= end {
                latencies[i].push((t1 - t0).as_nanos().min(u128::from(u32::MAX)) as u32);
            }
        }
        round += 1;
    }
    let counts = [latencies[0].len(), latencies[1].len(), latencies[2].len()];
    let results = [0, 1, 2].map(|i| {
        let (p50_us, p99_us) = percentiles(&mut latencies[i]);
        let calls_per_sec = counts[i] as f64 / lengths.measure.as_secs_f64();
        LoadResult { calls_per_sec, p50_us, p99_us, errors: errors[i], writes_per_call: f64::NAN }
    });
    (results, counts)
}

/// Runs one repetition: the two broadcasts (order alternating), then the invokes (order rotating), each part on a
/// fresh runtime.
pub fn run(url: &str, rep: usize, per_node: usize, rounds: usize, stream: Duration, lengths: Lengths) -> ClusterRun {
    let mut run = ClusterRun::default();
    let total = NODES * per_node;
    for i in 0..2 {
        if (i + rep).is_multiple_of(2) {
            run.single = on_fresh_runtime(|| broadcast::remotes(total, rounds, stream));
        } else {
            (run.cluster, run.dropped) = on_fresh_runtime(|| broadcast_cluster(url, rep, per_node, rounds, stream));
        }
    }
    on_fresh_runtime(|| invokes(url, rep, lengths, &mut run));
    run
}

/// One figure (or pair) of a run, for a row of the report.
type Pick<T> = fn(&ClusterRun) -> T;

/// Median and range of `f` over the runs.
fn spread(runs: &[ClusterRun], f: impl Fn(&ClusterRun) -> f64) -> (f64, f64, f64) {
    let v: Vec<f64> = runs.iter().map(f).collect();
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (median(&v), min, max)
}

fn show(s: (f64, f64, f64), digits: usize) -> String {
    format!("{:.d$} ({:.d$}–{:.d$})", s.0, s.1, s.2, d = digits)
}

/// The cross-node bound of the goal, per run: 2 x same-node p50 + one NATS round trip p50, microseconds.
fn bound(r: &ClusterRun) -> f64 {
    2.0 * r.same_seq.p50_us + r.rtt_seq.p50_us
}

/// The cluster section of the report: figures as median (min–max over repetitions), ratios as medians of
/// same-repetition ratios.
pub fn render(runs: &[ClusterRun], per_node: usize, out: &mut String) {
    if runs.is_empty() {
        return;
    }
    let total = NODES * per_node;
    let _ = writeln!(
        out,
        "### Cluster: broadcast of a 64-byte event to {total} TCP clients, from node 0 of {NODES} nodes x {per_node} over NATS, and on one server (median, min–max over {} repetitions)\n",
        runs.len()
    );
    let _ = writeln!(
        out,
        "| system | time to all, p50 µs | p99 µs | deliveries/s (stream, {} in flight) | incomplete |",
        broadcast::WINDOW
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let rows: [(String, Pick<BroadcastResult>); 2] = [
        (format!("one server, {total} clients"), |r| r.single),
        (format!("{NODES} nodes x {per_node} clients"), |r| r.cluster),
    ];
    for (label, pick) in rows {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} |",
            show(spread(runs, |r| pick(r).p50_us), 0),
            show(spread(runs, |r| pick(r).p99_us), 0),
            show(spread(runs, |r| pick(r).deliveries_per_sec), 0),
            runs.iter().map(|r| pick(r).incomplete).sum::<u64>()
        );
    }
    let dropped: u64 = runs.iter().map(|r| r.dropped).sum();
    let _ = writeln!(out, "\nCluster messages dropped or malformed over all repetitions: {dropped}.\n");

    let _ = writeln!(
        out,
        "### Cluster: calls of a ClientFunction on one TCP client of node B (request and reply as the call scenarios)\n"
    );
    let _ = writeln!(
        out,
        "| what | sequential p50 µs | sequential p99 µs | sequential calls (interleaved) | {IN_FLIGHT} in flight calls/s | {IN_FLIGHT} in flight p50 µs | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let rows: [(&str, Pick<(LoadResult, LoadResult)>); 3] = [
        ("cross-node: A invokes B's player", |r| (r.cross_seq, r.cross_par)),
        ("same-node: B invokes its own player", |r| (r.same_seq, r.same_par)),
        ("NATS request/reply, A's connection to a responder on B's", |r| (r.rtt_seq, r.rtt_par)),
    ];
    for (i, (label, pick)) in rows.into_iter().enumerate() {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {} | {} | {} |",
            show(spread(runs, |r| pick(r).0.p50_us), 1),
            show(spread(runs, |r| pick(r).0.p99_us), 1),
            show(spread(runs, |r| r.seq_calls[i] as f64), 0),
            show(spread(runs, |r| pick(r).1.calls_per_sec), 0),
            show(spread(runs, |r| pick(r).1.p50_us), 1),
            runs.iter().map(|r| pick(r).0.errors + pick(r).1.errors).sum::<u64>()
        );
    }
    out.push('\n');

    let _ = writeln!(out, "### Cluster targets (ratios: median, min–max, of same-repetition ratios)\n");
    let _ = writeln!(out, "| target | measured | verdict |\n|---|---:|---|");
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    let r = spread(runs, |r| r.cluster.deliveries_per_sec / r.single.deliveries_per_sec);
    let _ = writeln!(
        out,
        "| broadcast deliveries/s, cluster / one server ≥ 0.5 | {}x | {} |",
        show(r, 2),
        verdict(r.0 >= 0.5)
    );
    let r = spread(runs, |r| r.single.p50_us / r.cluster.p50_us);
    let _ =
        writeln!(out, "| (context) broadcast time to all: one server's p50 / the cluster's | {}x | – |", show(r, 2));
    let r = spread(runs, |r| r.cross_seq.p50_us / bound(r));
    let b = spread(runs, bound);
    let _ = writeln!(
        out,
        "| cross-node p50 ≤ 2 x same-node p50 + NATS RTT p50 (= {} µs) | {}x of it | {} |",
        show(b, 1),
        show(r, 2),
        verdict(r.0 <= 1.0)
    );
    let r = spread(runs, |r| r.cross_par.calls_per_sec / r.same_par.calls_per_sec);
    let _ = writeln!(out, "| (context) cross-node calls/s / same-node, {IN_FLIGHT} in flight | {}x | – |", show(r, 2));
    out.push('\n');
}
