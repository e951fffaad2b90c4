//! A latency histogram of atomics: log-linear buckets (eight per power of two) from one unit (the clock's, about
//! 1 µs: `Clock::unit_nanos`) to 2^26 units (about 67 s), so a percentile is known within 12.5 %; recording is
//! one `leading_zeros` and one add, reading is a walk over the buckets. Cheap enough to keep one per remote and
//! thread, and read every second.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two: `1 << SUB_BITS`.
const SUB_BITS: u32 = 3;
const SUB: u64 = 1 << SUB_BITS;
/// Powers of two covered, from one unit.
const POWERS: u32 = 26;
/// 0 to 7 units each their own, eight per power of two from 8 units to 2^26, and one for everything above.
pub(crate) const BUCKETS: usize = (SUB + (POWERS - SUB_BITS) as u64 * SUB) as usize + 1;

pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS],
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { buckets: std::array::from_fn(|_| AtomicU64::new(0)) }
    }
}

/// The bucket of a duration of `units`.
fn bucket(units: u64) -> usize {
    if units < SUB {
        return units as usize;
    }
    let power = 63 - units.leading_zeros();
    if power >= POWERS {
        return BUCKETS - 1;
    }
    // The three bits under the leading one pick the eighth of the power.
    let eighth = (units >> (power - SUB_BITS)) & (SUB - 1);
    (SUB + u64::from(power - SUB_BITS) * SUB + eighth) as usize
}

/// The smallest value in bucket `index`, in units.
fn lower(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB {
        return index;
    }
    let (power, eighth) = ((index - SUB) / SUB + u64::from(SUB_BITS), (index - SUB) % SUB);
    (1 << power) + eighth * (1 << (power - u64::from(SUB_BITS)))
}

/// The largest value in bucket `index`, in units (what a percentile in that bucket is reported as); the last
/// bucket, unbounded, reports its smallest.
fn upper(index: usize) -> u64 {
    if index + 1 >= BUCKETS {
        return lower(index);
    }
    lower(index + 1) - 1
}

/// The middle of bucket `index`, in seconds, for units of `unit_nanos`: what a duration counted in it is reported
/// as to a `metrics` recorder (within 6.25 % of the duration).
pub(crate) fn seconds(index: usize, unit_nanos: f64) -> f64 {
    let (low, high) = (lower(index) as f64, upper(index) as f64 + 1.0);
    (low + high) / 2.0 * unit_nanos * 1e-9
}

impl Histogram {
    /// The counter of the bucket a duration of `units` falls in (the caller adds one, as its copy is written).
    #[inline]
    pub(crate) fn counter(&self, units: u64) -> &AtomicU64 {
        &self.buckets[bucket(units)]
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
        quantiles(&counts, q, 1_000.0)
    }
}

/// The values at quantiles `q` (each in 0..=1) of a histogram's `counts` in units of `unit_nanos`, as durations;
/// zero when it is empty.
pub(crate) fn quantiles<const N: usize>(counts: &[u64], q: [f64; N], unit_nanos: f64) -> [Duration; N] {
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
                *slot = Duration::from_nanos((upper(index) as f64 * unit_nanos).round() as u64);
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
            assert!(lower(index) <= micros, "{micros} below its bucket's bound {}", lower(index));
            assert!(upper(index) as f64 <= micros as f64 * 1.125 + 1.0, "{micros}: bound {} too loose", upper(index));
            let middle = seconds(index, 1_000.0) * 1e6;
            assert!((middle - micros as f64).abs() <= micros as f64 * 0.0625 + 0.5, "{micros}: middle {middle}");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        for index in 1..BUCKETS {
            assert_eq!(lower(index), upper(index - 1) + 1, "bucket {index} follows the one before");
        }
    }

    #[test]
    fn quantiles_come_from_the_recorded_values() {
        let histogram = Histogram::default();
        assert_eq!(histogram.quantiles([0.5]), [Duration::ZERO]);
        for micros in 1..=100u64 {
            histogram.counter(micros * 10).fetch_add(1, Ordering::Relaxed);
        }
        let [p50, p99] = histogram.quantiles([0.5, 0.99]);
        assert!((500..=563).contains(&p50.as_micros()), "{p50:?}");
        assert!((990..=1_114).contains(&p99.as_micros()), "{p99:?}");
    }
}
