//! A latency histogram of atomics: log-linear buckets (four per power of two) from 1 µs to about 70 s, so a
//! percentile is known within 19 %; recording is one `leading_zeros` and one add, reading is a walk over
//! the buckets. Cheap enough to keep one per remote and read every second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two.
const SUB: u32 = 4;
/// Powers of two covered, from 1 µs.
const POWERS: u32 = 26;
const BUCKETS: usize = 4 + ((POWERS - 2) * SUB) as usize + 1;

pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS],
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { buckets: std::array::from_fn(|_| AtomicU64::new(0)) }
    }
}

/// The bucket of `micros`: 0 to 3 µs each their own, then four per power of two; the last holds everything above.
fn bucket(micros: u64) -> usize {
    if micros < 4 {
        return micros as usize;
    }
    let power = 63 - micros.leading_zeros();
    if power >= POWERS {
        return BUCKETS - 1;
    }
    // The two bits under the leading one pick the quarter of the power.
    let quarter = (micros >> (power - 2)) & 0b11;
    4 + ((power - 2) * SUB) as usize + quarter as usize
}

/// The largest value in bucket `index`, in µs (what a percentile in that bucket is reported as).
fn upper(index: usize) -> u64 {
    if index < 4 {
        return index as u64;
    }
    let index = index as u64 - 4;
    let (power, quarter) = (index / u64::from(SUB) + 2, index % u64::from(SUB));
    let base = 1u64 << power;
    base + (base / u64::from(SUB)) * (quarter + 1) - 1
}

impl Histogram {
    /// The counter of the bucket a duration of `nanos` falls in (the caller adds one, as its copy is written).
    pub(crate) fn counter(&self, nanos: u64) -> &AtomicU64 {
        &self.buckets[bucket(nanos / 1_000)]
    }

    /// Adds this histogram's counts to `counts` (grown to the number of buckets if shorter).
    pub(crate) fn add_counts(&self, counts: &mut Vec<u64>) {
        counts.resize(BUCKETS.max(counts.len()), 0);
        for (count, bucket) in counts.iter_mut().zip(self.buckets.iter()) {
            *count += bucket.load(Ordering::Relaxed);
        }
    }

    #[cfg(test)]
    fn quantiles<const N: usize>(&self, q: [f64; N]) -> [Duration; N] {
        let mut counts = Vec::new();
        self.add_counts(&mut counts);
        quantiles(&counts, q)
    }
}

/// The values at quantiles `q` (each in 0..=1) of a histogram's `counts`, as durations; zero when it is empty.
pub(crate) fn quantiles<const N: usize>(counts: &[u64], q: [f64; N]) -> [Duration; N] {
    let total: u64 = counts.iter().sum();
    let mut out = [Duration::ZERO; N];
    if total == 0 {
        return out;
    }
    for (slot, q) in out.iter_mut().zip(q) {
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                *slot = Duration::from_micros(upper(index));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_bound_their_values() {
        let mut last = 0;
        for micros in [1u64, 2, 3, 4, 5, 7, 8, 100, 1_000, 65_535, 1 << 20, (1 << 26) - 1] {
            let index = bucket(micros);
            assert!(index >= last, "{micros}");
            last = index;
            assert!(upper(index) >= micros, "{micros} above its bucket's bound {}", upper(index));
            assert!(upper(index) as f64 <= micros as f64 * 1.25 + 1.0, "{micros}: bound {} too loose", upper(index));
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_come_from_the_recorded_values() {
        let histogram = Histogram::default();
        assert_eq!(histogram.quantiles([0.5]), [Duration::ZERO]);
        for micros in 1..=100u64 {
            histogram.counter(micros * 10_000).fetch_add(1, Ordering::Relaxed);
        }
        let [p50, p99] = histogram.quantiles([0.5, 0.99]);
        assert!((500..=625).contains(&p50.as_micros()), "{p50:?}");
        assert!((990..=1_250).contains(&p99.as_micros()), "{p99:?}");
    }
}
