//! The receive budget: how fast a connection's reader takes frames from a peer. Two token buckets, one counting
//! frames and one counting bytes, each with a second's worth of burst. A frame that does not fit waits in the
//! reader (one frame at most), and the peer's next bytes wait in its transport, so a flooding peer is slowed to its
//! budget without the server holding more of its data, and honest peers keep their share of the machine.
//!
//! Unlike the per-remote rate limits (which refuse), the budget delays: nothing an honest peer sends is lost by
//! going a little over it. A peer that stays over it for the flood grace is disconnected by the reader.

use tokio::time::{Duration, Instant};

use crate::config::ReceiveRate;

/// One bucket. `tokens` may go below zero: a frame larger than the burst is let through once the bucket is full,
/// and leaves it in debt.
#[derive(Debug, Clone)]
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
}

impl Bucket {
    fn new(rate: f64) -> Bucket {
        let rate = if rate.is_finite() { rate.max(1.0) } else { f64::MAX };
        Bucket { rate, burst: rate, tokens: rate }
    }

    fn refill(&mut self, elapsed: f64) {
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
    }

    /// How long until `cost` may be taken (zero: now).
    fn wait(&self, cost: f64) -> f64 {
        let need = cost.min(self.burst);
        if self.tokens >= need { 0.0 } else { (need - self.tokens) / self.rate }
    }
}

/// One peer's receive budget.
#[derive(Debug, Clone)]
pub(crate) struct ReceiveBudget {
    frames: Bucket,
    bytes: Bucket,
    refilled: Instant,
}

impl ReceiveBudget {
    pub(crate) fn new(rate: ReceiveRate, now: Instant) -> ReceiveBudget {
        ReceiveBudget {
            frames: Bucket::new(rate.frames_per_second),
            bytes: Bucket::new(rate.bytes_per_second),
            refilled: now,
        }
    }

    /// Takes one frame of `len` bytes from the budget if it fits now (`None`); otherwise leaves the budget as it is
    /// and returns when to ask again.
    pub(crate) fn admit(&mut self, len: usize, now: Instant) -> Option<Instant> {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.frames.refill(elapsed);
        self.bytes.refill(elapsed);
        let cost = len as f64;
        let wait = self.frames.wait(1.0).max(self.bytes.wait(cost));
        if wait > 0.0 {
            // Rounded up to a millisecond, so a retry never comes back a hair too early.
            return Some(now + Duration::from_secs_f64(wait).max(Duration::from_millis(1)));
        }
        self.frames.tokens -= 1.0;
        self.bytes.tokens -= cost;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_beyond_the_burst_wait_their_turn() {
        let start = Instant::now();
        let mut budget = ReceiveBudget::new(ReceiveRate { frames_per_second: 10.0, bytes_per_second: 1e9 }, start);
        for _ in 0..10 {
            assert_eq!(budget.admit(1, start), None);
        }
        let retry = budget.admit(1, start).expect("the burst is spent");
        assert!(retry - start >= Duration::from_millis(99) && retry - start <= Duration::from_millis(101));
        assert_eq!(budget.admit(1, retry), None);
    }

    #[test]
    fn a_frame_larger_than_the_burst_passes_once_then_leaves_a_debt() {
        let start = Instant::now();
        let mut budget = ReceiveBudget::new(ReceiveRate { frames_per_second: 1e6, bytes_per_second: 1000.0 }, start);
        assert_eq!(budget.admit(3000, start), None, "a full bucket lets one oversized frame through");
        // 3000 bytes taken from 1000: 2000 in debt, plus 1000 for the next full burst = 3 s.
        let retry = budget.admit(1000, start).expect("in debt");
        assert!((retry - start).as_secs_f64() > 2.99 && (retry - start).as_secs_f64() < 3.01, "{:?}", retry - start);
    }
}
