//! The measuring harness: a closed-loop load driver (N clients x K calls in flight, warm-up then a fixed
//! measuring window, every latency recorded), percentiles, medians, and fresh runtimes for each run.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

/// Run lengths.
#[derive(Debug, Clone, Copy)]
pub struct Lengths {
    /// Load before measuring starts (connections warm, buffers grown, caches hot).
    pub warmup: Duration,
    /// The measuring window.
    pub measure: Duration,
}

/// What one load run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadResult {
    /// Calls that started and completed inside the window, per second.
    pub calls_per_sec: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
    /// Calls that failed (any error), over the whole run.
    pub errors: u64,
    /// Write system calls (`write`, `writev`: `syscw` of `/proc/self/io`) of the whole process inside the window,
    /// per call that completed in it: both ends' writes, so 2.0 when no write carries two frames, and less the
    /// more frames a write carries (issue #16, round two). In-process transports make none. NaN where not counted.
    pub writes_per_call: f64,
}

/// A fresh multi-threaded runtime (one worker per core, as `#[tokio::main]` would), so no run inherits tasks,
/// buffers or timers from the previous one.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime")
}

/// Runs `f` on a fresh runtime, then shuts the runtime down (bounded) so its connections and tasks are gone.
pub fn on_fresh_runtime<T, Fut: Future<Output = T>>(f: impl FnOnce() -> Fut) -> T {
    let rt = runtime();
    let out = rt.block_on(f());
    rt.shutdown_timeout(Duration::from_secs(2));
    out
}

/// Drives `in_flight` concurrent callers per client, each calling `call(client)` in a loop: warm-up, then a
/// measuring window. A call returns `true` on success. Every latency inside the window is recorded.
pub async fn drive<C, F, Fut>(clients: &[C], in_flight: usize, lengths: Lengths, call: F) -> LoadResult
where
    C: Clone + Send + Sync + 'static,
    F: Fn(C) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send + 'static,
{
    let call = Arc::new(call);
    let start = Instant::now() + Duration::from_millis(20);
    let window_start = start + lengths.warmup;
    let end = window_start + lengths.measure;
    let mut tasks = Vec::new();
    for client in clients {
        for _ in 0..in_flight {
            let (client, call) = (client.clone(), Arc::clone(&call));
            tasks.push(tokio::spawn(async move {
                let mut latencies: Vec<u32> = Vec::with_capacity(1 << 14);
                let mut errors = 0u64;
                tokio::time::sleep_until(start).await;
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    let ok = call(client.clone()).await;
                    let t1 = Instant::now();
                    if !ok {
                        errors += 1;
                    } else if t0 >= window_start && t1 <= end {
                        latencies.push((t1 - t0).as_nanos().min(u128::from(u32::MAX)) as u32);
                    }
                }
                (latencies, errors)
            }));
        }
    }
    // Counts the process's writes over the window, from its start to its end.
    let writes = tokio::spawn(async move {
        tokio::time::sleep_until(window_start).await;
        let before = write_syscalls();
        tokio::time::sleep_until(end).await;
        write_syscalls().zip(before).map(|(after, before)| after - before)
    });
    let mut all = Vec::new();
    let mut errors = 0;
    // Every call is bounded by its system's own timeout (10 s at most); this bounds the whole run once more.
    let bound = end + Duration::from_secs(15);
    for task in tasks {
        match tokio::time::timeout_at(bound, task).await {
            Ok(Ok((latencies, e))) => {
                all.extend(latencies);
                errors += e;
            }
            _ => errors += 1,
        }
    }
    let calls_per_sec = all.len() as f64 / lengths.measure.as_secs_f64();
    let writes_per_call = match writes.await {
        Ok(Some(writes)) if !all.is_empty() => writes as f64 / all.len() as f64,
        _ => f64::NAN,
    };
    let (p50_us, p99_us) = percentiles(&mut all);
    LoadResult { calls_per_sec, p50_us, p99_us, errors, writes_per_call }
}

/// p50 and p99 of nanosecond samples, in microseconds.
pub fn percentiles(samples: &mut [u32]) -> (f64, f64) {
    if samples.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    (at(0.50), at(0.99))
}

/// The median of some figures (NaN-free input; the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Write system calls this process has made (`syscw` of `/proc/self/io`), where the kernel tells.
fn write_syscalls() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|line| line.strip_prefix("syscw:")).and_then(|count| count.trim().parse().ok())
}

/// Resident memory of this process, bytes (`VmRSS` from `/proc/self/status`).
pub fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Raises this process's open-file limit to its hard limit; returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}
