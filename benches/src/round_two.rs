//! The targets of performance round two (issue #16), judged from one run: each a median of same-repetition ratios
//! to a peer measured in that run. The instructions-per-call target is not judged here: it is counted under
//! callgrind by `scripts/callgrind.sh`, not timed.

use std::fmt::Write;

use crate::broadcast::BroadcastResult;
use crate::harness::{LoadResult, median};
use crate::{Opts, Report, fmt_ratio, verdict};

/// One target: what, the figure measured, met or not (`None`: not measured in this run).
struct Row {
    name: String,
    shown: String,
    met: Option<bool>,
}

fn row(name: impl Into<String>, value: f64, ok: impl Fn(f64) -> bool) -> Row {
    Row { name: name.into(), shown: fmt_ratio(value), met: (!value.is_nan()).then(|| ok(value)) }
}

/// The rows, in the order.
fn rows(report: &Report, opts: &Opts) -> Vec<Row> {
    let thr = |r: &LoadResult| r.calls_per_sec;
    // Inverted (the peer's p50 over ours): above 1, remotes answers sooner.
    let speed = |r: &LoadResult| 1.0 / r.p50_us;
    let mut rows = vec![
        row(
            "TCP 32x16 calls/s ≥ 1.0x hand-written+yield",
            report.ratio(("tcp-32x16", "remotes"), ("tcp-32x16", "hand-written+yield"), thr),
            |x| x >= 1.0,
        ),
        row(
            "TCP 32x16 calls/s ≥ 4x tarpc",
            report.ratio(("tcp-32x16", "remotes"), ("tcp-32x16", "tarpc"), thr),
            |x| x >= 4.0,
        ),
        row(
            "TCP 1x1 p50 ≤ 1.0x hand-written (shown: hand-written's p50 / remotes', so ≥ 1.0x)",
            report.ratio(("tcp-1x1", "remotes"), ("tcp-1x1", "hand-written"), speed),
            |x| x >= 1.0,
        ),
    ];
    for scenario in ["mem-1x1", "mem-32x1"] {
        rows.push(row(
            format!("in-process {} calls/s ≥ 1.0x the hand-written in-process loop", &scenario[4..]),
            report.ratio((scenario, "remotes"), (scenario, "hand-written"), thr),
            |x| x >= 1.0,
        ));
        rows.push(row(
            format!("in-process {} calls/s ≥ 3x tarpc in-memory", &scenario[4..]),
            report.ratio((scenario, "remotes"), (scenario, "tarpc"), thr),
            |x| x >= 3.0,
        ));
    }
    rows.push(row(
        "server->client 32x16 ≥ 0.95x client->server",
        report.ratio(("s2c-32x16", "remotes s->c"), ("s2c-32x16", "remotes c->s"), thr),
        |x| x >= 0.95,
    ));
    // The scale scenario's largest broadcast (10,000 clients by default), else the broadcast scenario's.
    let (clients, time_to_all) = match report.scale.broadcast.iter().max_by_key(|at| at.clients) {
        Some(at) => (at.clients, speed_ratio(&at.remotes, &at.hand)),
        None => {
            let broadcast = |label: &str| report.broadcast.iter().find(|b| b.0 == label).map(|b| b.1.as_slice());
            let ratio = match (broadcast("remotes"), broadcast("hand-written")) {
                (Some(a), Some(b)) => speed_ratio(a, b),
                _ => f64::NAN,
            };
            (opts.broadcast_clients, ratio)
        }
    };
    rows.push(row(
        format!(
            "broadcast 64 B to {} TCP clients, time to all ≥ 1.0x a pre-encoded write loop (shown: its time / \
             remotes')",
            crate::scale::grouped(clients)
        ),
        time_to_all,
        |x| x >= 1.0,
    ));
    rows.push(row(
        "WebSocket 32x16 ≥ 0.8x remotes over TCP",
        report.ratio(("ws-32x16", "remotes-ws"), ("ws-32x16", "remotes-tcp"), thr),
        |x| x >= 0.8,
    ));
    rows
}

/// The pre-encoded loop's time to all over ours, per repetition: above 1, remotes reaches everyone sooner.
pub fn speed_ratio(remotes: &[BroadcastResult], hand: &[BroadcastResult]) -> f64 {
    median(&remotes.iter().zip(hand).map(|(x, y)| y.p50_us / x.p50_us).collect::<Vec<_>>())
}

/// Appends the table, when the run measured any of it.
pub fn render(report: &Report, opts: &Opts, out: &mut String) {
    let rows = rows(report, opts);
    if rows.iter().all(|r| r.met.is_none()) {
        return;
    }
    let _ = writeln!(out, "### Round-two targets (issue #16)\n\n| target | measured | verdict |\n|---|---:|---|");
    for Row { name, shown, met } in rows {
        let _ = writeln!(out, "| {name} | {shown} | {} |", verdict(met));
    }
    let _ = writeln!(
        out,
        "| instructions per call, in-process 1x1, within 1.5x the hand-written in-process loop | \
         `scripts/callgrind.sh` | counted, not timed |\n"
    );
}
