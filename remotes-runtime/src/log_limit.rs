//! The log limiter: rejections of what a peer sends are logged, but a peer must not be able to turn its bytes into
//! log bytes. Each connection (and each server, for connections refused before they have one) has a limiter: in
//! every `interval`, the first `burst` complaints are logged; the rest are only counted, and the first complaint
//! after the interval logs one summary line with the count. Whatever a peer sends, its connection logs at most
//! `burst + 1` lines per interval; counts are never lost (a closing connection logs what is left).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Level;

use crate::boundary::log_at;

/// One connection's log limiter.
#[derive(Debug)]
pub(crate) struct LogLimit {
    burst: u32,
    interval: Duration,
    /// The level summaries are logged at.
    level: Level,
    state: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    started: Option<Instant>,
    logged: u32,
    suppressed: u64,
}

impl LogLimit {
    pub(crate) fn new(burst: u32, interval: Duration, level: Level) -> LogLimit {
        LogLimit { burst, interval, level, state: Mutex::new(Window::default()) }
    }

    /// Whether the complaint about to be logged may be: `false` means it was counted instead. `peer` names the
    /// connection in the summary line, when this call ends a window that counted some.
    pub(crate) fn admit(&self, peer: &str) -> bool {
        let now = Instant::now();
        let (admitted, summary) = {
            let mut window = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let started = *window.started.get_or_insert(now);
            let over = now.saturating_duration_since(started);
            let mut summary = None;
            if over >= self.interval {
                summary = Some((std::mem::take(&mut window.suppressed), over));
                window.started = Some(now);
                window.logged = 0;
            }
            let admitted = window.logged < self.burst;
            if admitted {
                window.logged += 1;
            } else {
                window.suppressed += 1;
            }
            (admitted, summary)
        };
        if let Some((count, over)) = summary.filter(|(count, _)| *count > 0) {
            self.log_summary(peer, count, over);
        }
        admitted
    }

    /// Logs what was counted and not logged (a connection that closes calls this).
    pub(crate) fn flush(&self, peer: &str) {
        let (count, over) = {
            let mut window = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let over = window.started.map_or(Duration::ZERO, |started| started.elapsed());
            (std::mem::take(&mut window.suppressed), over)
        };
        if count > 0 {
            self.log_summary(peer, count, over);
        }
    }

    fn log_summary(&self, peer: &str, count: u64, over: Duration) {
        log_at!(
            self.level,
            peer,
            suppressed = count,
            ?over,
            "more rejections of this peer's input were counted, not logged"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_counts_then_one_summary_per_interval() {
        let limit = LogLimit::new(3, Duration::from_secs(10), Level::WARN);
        let admitted: Vec<bool> = (0..10).map(|_| limit.admit("p")).collect();
        assert_eq!(admitted, [true, true, true, false, false, false, false, false, false, false]);
        assert_eq!(limit.state.lock().unwrap().suppressed, 7);
        tokio::time::advance(Duration::from_secs(10)).await;
        // A new window: the summary is logged, and the burst is allowed again.
        assert!(limit.admit("p"));
        assert_eq!(limit.state.lock().unwrap().suppressed, 0);
        assert!(limit.admit("p"));
        assert!(limit.admit("p"));
        assert!(!limit.admit("p"));
        limit.flush("p");
        assert_eq!(limit.state.lock().unwrap().suppressed, 0);
    }
}
