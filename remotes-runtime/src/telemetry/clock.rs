//! The clock calls are timed with: monotonic nanoseconds in one `u64`, so that a duration is a subtraction.
//! `std::time::Instant` reads the same clock (`CLOCK_MONOTONIC` on unix), but subtracting two costs more than
//! reading one: its `Timespec` arithmetic normalises and checks (about 67 instructions against about 25 for the
//! read, counted per call in BENCHMARKS.md, "Observability cost, counted"). Measured, not assumed: that is why
//! this file reads the clock itself rather than through `std` or a crate (`quanta` calibrates its counter for up
//! to 200 ms at first use).
//!
//! It is not tokio's clock: a paused test clock does not stop it. Durations are what the calls really took.

/// Nanoseconds since an arbitrary fixed point (the machine's boot, on Linux).
#[cfg(unix)]
#[inline]
pub(crate) fn now() -> u64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable `timespec`, and CLOCK_MONOTONIC is a clock every unix has; the call
    // cannot fail with these arguments (and `now` stays zeroed if it did).
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    (now.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(now.tv_nsec as u64)
}

/// Nanoseconds since the first reading.
#[cfg(not(unix))]
pub(crate) fn now() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reads_the_std_clock() {
        let outer = std::time::Instant::now();
        let start = now();
        let inner = std::time::Instant::now();
        while inner.elapsed() < std::time::Duration::from_millis(2) {}
        let ours = now() - start;
        let theirs = outer.elapsed().as_nanos() as u64;
        // On one clock, our two reads fall between std's outer two and around its inner span of 2 ms.
        assert!((2_000_000..=theirs).contains(&ours), "{ours} ns, against 2 ms and {theirs} ns");
    }
}
