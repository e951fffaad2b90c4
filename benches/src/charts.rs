//! The charts of a run (issue #15): `calls.svg`, throughput per scenario and system (median over repetitions, a
//! whisker over min–max), and `latency.svg`, p50 to p99 per scenario and system on a log time axis. Written at the
//! end of a run into `benches/charts/` (`--charts DIR`, `--no-charts`), from what this run measured only.

mod draw;
mod svg;
#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

use crate::{Opts, Report, Transport, cluster, flood, load_scenarios};

/// One bar of a throughput panel: a system's figure in each repetition.
pub struct Bar {
    pub system: String,
    pub runs: Vec<f64>,
}

/// A throughput panel: one scenario, its own axis.
pub struct Throughput {
    pub title: String,
    /// What the scenario is, in a few words (beside the title).
    pub note: String,
    pub unit: &'static str,
    pub bars: Vec<Bar>,
}

/// One row of a latency panel: a system's p50 and p99 in each repetition, microseconds.
pub struct Range {
    pub system: String,
    pub p50: Vec<f64>,
    pub p99: Vec<f64>,
}

/// A latency panel: one scenario, its own log axis.
pub struct Latency {
    pub title: String,
    pub note: String,
    pub rows: Vec<Range>,
}

/// Median, min and max of the finite figures of some repetitions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub count: usize,
}

/// `None` when no repetition gave a finite figure.
pub fn summary(runs: &[f64]) -> Option<Summary> {
    let finite: Vec<f64> = runs.iter().copied().filter(|x| x.is_finite()).collect();
    let min = finite.iter().copied().reduce(f64::min)?;
    let max = finite.iter().copied().reduce(f64::max)?;
    Some(Summary { median: crate::harness::median(&finite), min, max, count: finite.len() })
}

/// A fixed colour per system label of the suite, so a system has the same colour in every panel, in both charts
/// and in every run whichever scenarios it ran. Whatever is plain remotes over TCP (`remotes`, `remotes c->s`,
/// `remotes-tcp`, `remotes, budget off`, ...) is remotes' blue, its variants other blues and teals; the cluster's
/// path through NATS (3 nodes, cross-node) is one colour in both of its panels.
const KNOWN: &[(&str, &str)] = &[
    ("remotes", "#1f5fa8"),
    ("remotes c->s", "#1f5fa8"),
    ("remotes-tcp", "#1f5fa8"),
    ("remotes, budget off", "#1f5fa8"),
    ("remotes, one server", "#1f5fa8"),
    ("remotes, same-node", "#1f5fa8"),
    ("remotes s->c", "#5ba3d9"),
    ("remotes, budget on", "#2a9d8f"),
    ("remotes-ws", "#17becf"),
    ("remotes-tls", "#756bb1"),
    ("remotes, 3 nodes", "#08306b"),
    ("remotes, cross-node", "#08306b"),
    ("NATS request/reply", "#7f7f7f"),
    ("hand-written", "#e6550d"),
    ("hand-written+yield", "#f59d4c"),
    ("tarpc", "#31a354"),
    ("jsonrpsee-ws", "#d62728"),
    ("socketioxide", "#9467bd"),
    ("tokio-tungstenite 0.28", "#8c564b"),
    ("tokio-tungstenite 0.28, 8 KiB read buffer", "#c49a6c"),
    ("tokio-websockets 0.13", "#e377c2"),
];

/// Colours for labels not in `KNOWN`, in the order they first appear.
const OTHERS: &[&str] = &["#bcbd22", "#444444", "#e7969c", "#393b79", "#637939"];

/// Colours of the client counts in `scale.svg`, light to dark, smallest count first.
const RAMP: &[&str] = &["#a1d99b", "#41ab5d", "#006d2c", "#00441b"];

/// A colour for each system, the same in both charts.
pub struct Palette {
    others: Vec<String>,
    /// Labels coloured along `RAMP`, in order (`scale.svg`'s client counts).
    ramp: Vec<String>,
}

impl Palette {
    /// The palette for these systems (those not in `KNOWN` take `OTHERS` in turn).
    pub fn new<'a>(systems: impl IntoIterator<Item = &'a str>) -> Palette {
        let mut others: Vec<String> = Vec::new();
        for name in systems {
            if !KNOWN.iter().any(|k| k.0 == name) && !others.iter().any(|o| o == name) {
                others.push(name.to_string());
            }
        }
        Palette { others, ramp: Vec::new() }
    }

    /// The same, with `ramp` coloured along `RAMP` in order (before `KNOWN` and the others).
    pub fn with_ramp(mut self, ramp: Vec<String>) -> Palette {
        self.others.retain(|o| !ramp.contains(o));
        self.ramp = ramp;
        self
    }

    pub fn colour(&self, system: &str) -> &'static str {
        if let Some(i) = self.ramp.iter().position(|r| r == system) {
            return RAMP[i.min(RAMP.len() - 1)];
        }
        if let Some(k) = KNOWN.iter().find(|k| k.0 == system) {
            return k.1;
        }
        self.others.iter().position(|o| o == system).map_or("#7f7f7f", |i| OTHERS[i % OTHERS.len()])
    }
}

/// The SVG text of `calls.svg` and `latency.svg` for these panels.
pub fn render(calls: &[Throughput], latency: &[Latency], opts: &Opts) -> (String, String) {
    let names = calls.iter().flat_map(|p| p.bars.iter().map(|b| b.system.as_str()));
    let palette = Palette::new(names.chain(latency.iter().flat_map(|p| p.rows.iter().map(|r| r.system.as_str()))));
    let run = format!(
        "remotes-bench, {} repetition(s), warm-up {} ms, window {} ms; NxK: N clients, K calls in flight each.",
        opts.reps,
        opts.lengths.warmup.as_millis(),
        opts.lengths.measure.as_millis()
    );
    let calls_sub = format!("{run}\nBar: median over repetitions; whisker: min–max. Each panel has its own axis.");
    let latency_sub = format!(
        "{run}\nBar from p50 to p99, dot at p50 (medians over repetitions; the harness keeps these two percentiles)."
    );
    (draw::throughput(calls, &palette, &calls_sub), draw::latency(latency, &palette, &latency_sub))
}

/// Writes `calls.svg` and `latency.svg` for what this run measured into `dir` (created if missing), and
/// `scale.svg` when the scale scenario ran, and returns their paths; writes neither of the first two when the run
/// measured nothing they draw (`--only wire`, `--only memory`, `--only scale`), so such a run leaves earlier charts
/// as they were.
pub fn write(dir: &Path, report: &Report, opts: &Opts) -> io::Result<Vec<PathBuf>> {
    let (calls, latency) = panels(report, opts);
    let mut files = Vec::new();
    if !calls.is_empty() || !latency.is_empty() {
        let (calls_svg, latency_svg) = render(&calls, &latency, opts);
        files.extend([("calls.svg", calls_svg), ("latency.svg", latency_svg)]);
    }
    if !report.scale.is_empty() {
        files.push(("scale.svg", scale(&report.scale, opts)));
    }
    let mut written = Vec::new();
    for (name, text) in files {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// The SVG text of `scale.svg`: calls/s and server memory per client at each client count, idle and active, and
/// broadcast time-to-all (p50) of remotes and the hand-written loop at each count measured.
pub fn scale(report: &crate::scale::ScaleReport, opts: &Opts) -> String {
    use crate::scale::{ACTIVE_IN_FLIGHT, IDLE_CALLERS, IDLE_IN_FLIGHT, grouped};
    let label = |n: usize| format!("{} clients", grouped(n));
    let per_count = |f: fn(&crate::scale::ScalePoint) -> f64| -> Vec<Bar> {
        report.load.iter().map(|(n, runs)| bar(&label(*n), runs.iter().map(f))).collect()
    };
    let mut panels = Vec::new();
    if !report.load.is_empty() {
        let idle = format!("{IDLE_CALLERS}x{IDLE_IN_FLIGHT} callers, the rest idle");
        let active = format!("every client, {ACTIVE_IN_FLIGHT} in flight");
        panels.extend([
            Throughput {
                title: "idle".into(),
                note: idle.clone(),
                unit: "calls/s",
                bars: per_count(|p| p.idle.calls_per_sec),
            },
            Throughput {
                title: "active".into(),
                note: active.clone(),
                unit: "calls/s",
                bars: per_count(|p| p.active.calls_per_sec),
            },
            Throughput {
                title: "idle memory".into(),
                note: "server RSS per client".into(),
                unit: "bytes",
                bars: per_count(|p| p.idle_per_client),
            },
            Throughput {
                title: "active memory".into(),
                note: "server RSS per client".into(),
                unit: "bytes",
                bars: per_count(|p| p.active_per_client),
            },
        ]);
    }
    for at in &report.broadcast {
        panels.push(Throughput {
            title: format!("broadcast, {}", label(at.clients)),
            note: "64 B event, time to all, p50".into(),
            unit: "µs",
            bars: vec![
                bar("remotes", at.remotes.iter().map(|r| r.p50_us)),
                bar("hand-written", at.hand.iter().map(|r| r.p50_us)),
            ],
        });
    }
    let counts = report.load.iter().map(|(n, _)| label(*n)).collect();
    let palette = Palette::new(panels.iter().flat_map(|p| p.bars.iter().map(|b| b.system.as_str()))).with_ramp(counts);
    let subtitle = format!(
        "remotes-bench, scale scenario, {} repetition(s), warm-up {} ms, window {} ms; TCP, server and clients in two processes.\n\
         Memory: the server's RSS growth per connected client, halfway through the window. Bar: median; whisker: min–max.",
        opts.reps,
        opts.lengths.warmup.as_millis(),
        opts.lengths.measure.as_millis()
    );
    draw::bars("Scale: calls/s and memory by connected clients", &panels, &palette, &subtitle)
}

fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Tcp => "TCP",
        Transport::WebSocket => "WebSocket",
        Transport::Tls => "TLS on TCP",
        Transport::Memory => "in-process",
    }
}

/// The panels of both charts, in the order the scenarios ran.
fn panels(report: &Report, opts: &Opts) -> (Vec<Throughput>, Vec<Latency>) {
    let (mut calls, mut latency) = (Vec::new(), Vec::new());
    let scenarios = load_scenarios();
    let mut seen: Vec<&str> = Vec::new();
    for row in &report.load {
        if seen.contains(&row.scenario) {
            continue;
        }
        seen.push(row.scenario);
        let rows: Vec<_> = report.load.iter().filter(|r| r.scenario == row.scenario).collect();
        let note = match scenarios.iter().find(|s| s.0 == row.scenario) {
            Some((_, t, c, k, _)) => format!("{}, {c}x{k}", transport_name(*t)),
            None => String::new(),
        };
        calls.push(Throughput {
            title: row.scenario.to_string(),
            note: note.clone(),
            unit: "calls/s",
            bars: rows.iter().map(|r| bar(r.system, r.runs.iter().map(|x| x.calls_per_sec))).collect(),
        });
        let ranges = rows.iter().map(|r| range(r.system, r.runs.iter().map(|x| (x.p50_us, x.p99_us))));
        latency.push(Latency {
            title: row.scenario.to_string(),
            note: format!("{note}, call"),
            rows: ranges.collect(),
        });
    }
    if !report.flood.is_empty() {
        let note = format!("honest calls, one every {} ms, TCP flooded", flood::PERIOD.as_millis());
        let rows = vec![range("remotes", report.flood.iter().map(|r| (r.p50_us, r.p99_us)))];
        latency.push(Latency { title: "flood".into(), note, rows });
    }
    let broadcasts = [("broadcast", "TCP", &report.broadcast), ("ws-broadcast", "WebSocket", &report.ws_broadcast)];
    for (title, over, results) in broadcasts {
        if results.is_empty() {
            continue;
        }
        let clients = opts.broadcast_clients;
        calls.push(Throughput {
            title: title.into(),
            note: format!("64 B event, {clients} {over} clients"),
            unit: "deliveries/s",
            bars: results.iter().map(|(s, runs)| bar(s, runs.iter().map(|r| r.deliveries_per_sec))).collect(),
        });
        latency.push(Latency {
            title: title.into(),
            note: format!("time to all {clients} {over} clients"),
            rows: results.iter().map(|(s, runs)| range(s, runs.iter().map(|r| (r.p50_us, r.p99_us)))).collect(),
        });
    }
    if !report.rooms.is_empty() {
        let note = format!("fire_room to all {} members, in-process", report.rooms[0].members);
        let rows = vec![range("remotes", report.rooms.iter().map(|r| (r.fire_all_p50_us, r.fire_all_p99_us)))];
        latency.push(Latency { title: "rooms".into(), note, rows });
    }
    cluster_panels(report, opts, &mut calls, &mut latency);
    for shape in ["1x1", "32x16"] {
        let crates: Vec<_> = report.ws_crates.iter().filter(|c| c.0 == shape).collect();
        if crates.is_empty() {
            continue;
        }
        let title = format!("ws-crates {shape}");
        let note = format!("raw echo of {} B, {shape}", crate::ws_crates::MESSAGE);
        let bars = crates.iter().map(|(_, s, runs)| bar(s, runs.iter().map(|r| r.per_sec))).collect();
        calls.push(Throughput { title: title.clone(), note: note.clone(), unit: "echoes/s", bars });
        let rows = crates.iter().map(|(_, s, runs)| range(s, runs.iter().map(|r| (r.p50_us, r.p99_us)))).collect();
        latency.push(Latency { title, note, rows });
    }
    (calls, latency)
}

/// The cluster scenario: broadcast (one server against 3 nodes), and calls to a client of another node.
fn cluster_panels(report: &Report, opts: &Opts, calls: &mut Vec<Throughput>, latency: &mut Vec<Latency>) {
    let runs = &report.cluster;
    if runs.is_empty() {
        return;
    }
    let total = cluster::NODES * opts.cluster_clients;
    let (one, nodes) = ("remotes, one server".to_string(), format!("remotes, {} nodes", cluster::NODES));
    calls.push(Throughput {
        title: "cluster broadcast".into(),
        note: format!("64 B event, {total} TCP clients"),
        unit: "deliveries/s",
        bars: vec![
            bar(&one, runs.iter().map(|r| r.single.deliveries_per_sec)),
            bar(&nodes, runs.iter().map(|r| r.cluster.deliveries_per_sec)),
        ],
    });
    latency.push(Latency {
        title: "cluster broadcast".into(),
        note: format!("time to all {total} TCP clients"),
        rows: vec![
            range(&one, runs.iter().map(|r| (r.single.p50_us, r.single.p99_us))),
            range(&nodes, runs.iter().map(|r| (r.cluster.p50_us, r.cluster.p99_us))),
        ],
    });
    type Pick = fn(&cluster::ClusterRun) -> (crate::harness::LoadResult, crate::harness::LoadResult);
    let kinds: [(&str, Pick); 3] = [
        ("remotes, cross-node", |r| (r.cross_seq, r.cross_par)),
        ("remotes, same-node", |r| (r.same_seq, r.same_par)),
        ("NATS request/reply", |r| (r.rtt_seq, r.rtt_par)),
    ];
    calls.push(Throughput {
        title: "cluster calls".into(),
        note: format!("to a client of node B, {} in flight", cluster::IN_FLIGHT),
        unit: "calls/s",
        bars: kinds.iter().map(|(s, pick)| bar(s, runs.iter().map(|r| pick(r).1.calls_per_sec))).collect(),
    });
    latency.push(Latency {
        title: "cluster calls".into(),
        note: "to a client of node B, one at a time".into(),
        rows: kinds
            .iter()
            .map(|(s, pick)| range(s, runs.iter().map(|r| (pick(r).0.p50_us, pick(r).0.p99_us))))
            .collect(),
    });
}

fn bar(system: &str, runs: impl Iterator<Item = f64>) -> Bar {
    Bar { system: system.to_string(), runs: runs.collect() }
}

fn range(system: &str, runs: impl Iterator<Item = (f64, f64)>) -> Range {
    let (p50, p99) = runs.unzip();
    Range { system: system.to_string(), p50, p99 }
}
