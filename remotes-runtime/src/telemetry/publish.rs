//! Handing the figures to the `metrics` recorder. A call's path writes only this thread's copy of its remote's
//! figures (`shards.rs`); every `metrics_interval` (and on `flush_metrics`, and when the server or client is
//! dropped) each remote's totals since the last hand-over go to its registered handles as increments, and the
//! durations of successful calls as samples at the middle of their histogram bucket. Calling the recorder at every
//! call cost a fifth of what telemetry costs a call, with no recorder installed (the facade cannot say whether one
//! is: BENCHMARKS.md, "Observability"), and with one, a shared atomic add per counter per call.
//!
//! Errors are rarer and timed exactly: their durations are recorded when they happen (`RemoteTelemetry::errored`).

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use metrics::{Counter, Histogram as MetricHistogram};

use super::histogram;
use super::names;
use super::shards::Totals;
use super::stats::{DROPPED, OUTCOMES, RemoteTelemetry, Telemetry};

/// The `metrics` handles of one remote, registered with the recorder at its first hand-over.
pub(super) struct Handles {
    started: Counter,
    settled: [Counter; 7],
    pub(super) duration: [MetricHistogram; 7],
    bytes_in: Counter,
    bytes_out: Counter,
    frames_in: Counter,
    frames_out: Counter,
    fired: Counter,
    delivered: Counter,
    pub(super) dropped: [Counter; 6],
    pub(super) bad_requests: Counter,
    pub(super) rate_limited: Counter,
}

impl Handles {
    pub(super) fn register(remote: &RemoteTelemetry) -> Handles {
        let (service, name, side) = (remote.service, remote.name, remote.side);
        let counter = |metric: &'static str| metrics::counter!(metric, "rpc.service" => service, "rpc.method" => name, "side" => side);
        let role = if remote.handles_it { "handled" } else { "made" };
        let duration_name = if remote.handles_it { names::SERVER_CALL_DURATION } else { names::CLIENT_CALL_DURATION };
        Handles {
            started: counter(names::CALLS_STARTED),
            settled: OUTCOMES.map(|outcome| {
                metrics::counter!(names::CALLS_SETTLED, "rpc.service" => service, "rpc.method" => name,
                    "side" => side, "role" => role, "outcome" => outcome)
            }),
            duration: OUTCOMES.map(|outcome| {
                metrics::histogram!(duration_name, "rpc.service" => service, "rpc.method" => name,
                    "side" => side, "outcome" => outcome)
            }),
            bytes_in: counter(names::BYTES_IN),
            bytes_out: counter(names::BYTES_OUT),
            frames_in: counter(names::FRAMES_IN),
            frames_out: counter(names::FRAMES_OUT),
            fired: counter(names::EVENTS_FIRED),
            delivered: counter(names::EVENTS_DELIVERED),
            dropped: DROPPED.map(|reason| {
                metrics::counter!(names::EVENTS_DROPPED, "rpc.service" => service, "rpc.method" => name,
                    "side" => side, "reason" => reason)
            }),
            bad_requests: counter(names::BAD_REQUESTS),
            rate_limited: counter(names::RATE_LIMITED),
        }
    }
}

/// What one remote has handed to the recorder so far: its totals, and its bucket counts of successful calls.
pub(super) struct Published {
    totals: Totals,
    latency: Vec<u64>,
}

impl Published {
    pub(super) fn new() -> Mutex<Published> {
        // Empty until the remote's first successful call is handed over: a remote never called keeps no buckets
        // (they are 1.5 KB a remote, which every idle client would hold for each of its remotes).
        Mutex::new(Published { totals: Totals::default(), latency: Vec::new() })
    }
}

/// One remote's figures not handed over yet.
struct Unpublished {
    totals: Totals,
    /// (bucket, successful calls in it).
    latency: Vec<(usize, u64)>,
}

impl RemoteTelemetry {
    /// Hands the figures counted since the last hand-over to the recorder. The totals are read under the lock,
    /// so that two hand-overs at once (the periodic one and a `flush_metrics`) never hand over a figure twice;
    /// the recorder is called after it is released.
    pub(super) fn publish(&self) {
        let unpublished = {
            let mut published = self.published.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let totals = self.figures.totals();
            let latency = self.figures.latency_counts();
            let since = Unpublished {
                totals: totals.minus(&published.totals),
                latency: (latency.iter().enumerate())
                    .map(|(bucket, now)| {
                        (bucket, now.saturating_sub(published.latency.get(bucket).copied().unwrap_or(0)))
                    })
                    .filter(|(_, since)| *since > 0)
                    .collect(),
            };
            published.totals = totals;
            published.latency = latency;
            since
        };
        if unpublished.totals == Totals::default() && unpublished.latency.is_empty() {
            return; // nothing new: a remote never used registers nothing
        }
        let (handles, totals) = (self.handles(), &unpublished.totals);
        let pairs = [
            (&handles.started, totals.started),
            (&handles.bytes_in, totals.bytes_in),
            (&handles.bytes_out, totals.bytes_out),
            (&handles.frames_in, totals.frames_in),
            (&handles.frames_out, totals.frames_out),
            (&handles.fired, totals.fired),
            (&handles.delivered, totals.delivered),
        ];
        let settled = handles.settled.iter().zip(totals.settled);
        for (counter, n) in pairs.into_iter().chain(settled) {
            if n > 0 {
                counter.increment(n);
            }
        }
        for (bucket, n) in unpublished.latency {
            handles.duration[0].record_many(histogram::seconds(bucket, self.clock.unit_nanos()), n as usize);
        }
    }
}

impl Totals {
    /// What was counted between `earlier` and these totals.
    fn minus(&self, earlier: &Totals) -> Totals {
        let less = |now: u64, then: u64| now.saturating_sub(then);
        Totals {
            started: less(self.started, earlier.started),
            settled: std::array::from_fn(|i| less(self.settled[i], earlier.settled[i])),
            bytes_in: less(self.bytes_in, earlier.bytes_in),
            bytes_out: less(self.bytes_out, earlier.bytes_out),
            frames_in: less(self.frames_in, earlier.frames_in),
            frames_out: less(self.frames_out, earlier.frames_out),
            fired: less(self.fired, earlier.fired),
            delivered: less(self.delivered, earlier.delivered),
            dropped: less(self.dropped, earlier.dropped),
        }
    }
}

impl Telemetry {
    /// Hands every remote's new figures to the recorder.
    pub(crate) fn publish(&self) {
        for remote in self.remotes() {
            remote.publish();
        }
    }

    /// Hands the figures over every `every` (none when it is zero) on the current tokio runtime, until
    /// `stop_publishing` or the drop (each hands over the rest). The task holds the telemetry weakly. Without a
    /// runtime, only `publish` and the drop hand the figures over.
    pub(crate) fn publish_every(telemetry: &Arc<Telemetry>, every: Duration) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if every.is_zero() {
            return;
        }
        let stop = Arc::clone(&telemetry.stop_publishing);
        let telemetry: Weak<Telemetry> = Arc::downgrade(telemetry);
        runtime.spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    () = stop.notified() => return,
                }
                match telemetry.upgrade() {
                    Some(telemetry) => telemetry.publish(),
                    None => return,
                }
            }
        });
    }

    /// Hands the figures over and ends the periodic hand-over: the server shut down, or the client's connection
    /// closed. What is counted after (calls settling late) goes over on `publish` or at the drop.
    pub(crate) fn stop_publishing(&self) {
        self.publish();
        self.stop_publishing.notify_one();
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.stop_publishing();
    }
}
