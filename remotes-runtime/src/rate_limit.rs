//! Rate limits: a token bucket per player (and per remote, where one is set), checked before a request's arguments
//! are decoded, so a flood costs the server no decoding.

use std::time::Duration;

use tokio::time::Instant;

/// A token-bucket rate: `rate` requests per second on average, with bursts of up to `burst`.
///
/// ```
/// use remotes_runtime::RateLimit;
///
/// // Ten chat messages a second on average, up to twenty at once.
/// let limit = RateLimit::per_second(10.0).burst(20);
/// assert_eq!(limit.burst_size(), 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    rate: f64,
    burst: u32,
}

impl RateLimit {
    /// `rate` requests per second, with a burst of `rate` (at least 1). A rate of zero or less admits only the burst.
    pub fn per_second(rate: f64) -> RateLimit {
        let rate = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
        RateLimit { rate, burst: (rate.ceil() as u32).max(1) }
    }

    /// `count` requests per `period`, with a burst of `count`.
    pub fn per(count: u32, period: Duration) -> RateLimit {
        let seconds = period.as_secs_f64();
        let rate = if seconds > 0.0 { f64::from(count) / seconds } else { f64::from(count) };
        RateLimit { rate, burst: count.max(1) }
    }

    /// How many requests may arrive at once after a quiet spell (at least 1).
    pub fn burst(mut self, burst: u32) -> RateLimit {
        self.burst = burst.max(1);
        self
    }

    /// The sustained rate, in requests per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The burst size.
    pub fn burst_size(&self) -> u32 {
        self.burst
    }
}

/// One bucket: starts full, refills at the limit's rate, each admitted request takes one token.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    refilled: Instant,
}

impl TokenBucket {
    pub(crate) fn new(limit: RateLimit) -> TokenBucket {
        TokenBucket { limit, tokens: f64::from(limit.burst), refilled: Instant::now() }
    }

    /// Takes a token if one is available.
    pub(crate) fn admit(&mut self) -> bool {
        self.admit_at(Instant::now())
    }

    fn admit_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.limit.rate).min(f64::from(self.limit.burst));
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub(crate) fn limit(&self) -> RateLimit {
        self.limit
    }
}

/// One peer's token buckets: the global one and one per remote that has a limit.
#[derive(Default)]
pub(crate) struct Buckets {
    global: Option<TokenBucket>,
    per_remote: Vec<Option<TokenBucket>>,
}

impl Buckets {
    /// Takes a token from the global bucket and from remote `local`'s, under the limits set now (`None`: no limit).
    pub(crate) fn admit(&mut self, local: usize, global: Option<RateLimit>, own: Option<RateLimit>) -> bool {
        if self.per_remote.len() <= local {
            self.per_remote.resize(local + 1, None);
        }
        take_token(&mut self.global, global) && take_token(&mut self.per_remote[local], own)
    }
}

/// Takes a token from `slot`'s bucket, (re)creating it when the limit changed; no limit admits everything.
fn take_token(slot: &mut Option<TokenBucket>, limit: Option<RateLimit>) -> bool {
    match limit {
        None => {
            *slot = None;
            true
        }
        Some(limit) => {
            if slot.as_ref().is_none_or(|bucket| bucket.limit() != limit) {
                *slot = Some(TokenBucket::new(limit));
            }
            slot.as_mut().is_some_and(TokenBucket::admit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket { limit: RateLimit::per_second(10.0).burst(3), tokens: 3.0, refilled: start };
        assert!((0..3).all(|_| bucket.admit_at(start)));
        assert!(!bucket.admit_at(start));
        // 100 ms at 10/s refills one token.
        assert!(bucket.admit_at(start + Duration::from_millis(100)));
        assert!(!bucket.admit_at(start + Duration::from_millis(100)));
        // A long pause refills only up to the burst.
        let later = start + Duration::from_secs(60);
        assert!((0..3).all(|_| bucket.admit_at(later)));
        assert!(!bucket.admit_at(later));
    }

    #[test]
    fn constructors_normalise_their_input() {
        assert_eq!(RateLimit::per_second(2.5).burst_size(), 3);
        assert_eq!(RateLimit::per_second(-1.0).rate(), 0.0);
        assert_eq!(RateLimit::per_second(f64::NAN).burst_size(), 1);
        let per_minute = RateLimit::per(30, Duration::from_secs(60));
        assert_eq!((per_minute.rate(), per_minute.burst_size()), (0.5, 30));
    }
}
