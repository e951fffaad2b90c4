//! The clock calls are timed with: `quanta`'s, which reads the CPU's time-stamp counter where it is invariant
//! (x86_64 with an invariant TSC, aarch64's system counter) and the monotonic clock elsewhere. A reading is a raw
//! count of the clock's ticks; a call's duration goes into its histogram in *units* of a power of two of ticks
//! (about a microsecond: a shift, no multiply), and is turned into nanoseconds only when read. Measured, not
//! assumed: a read costs 9.9 ns here against 25 ns for `clock_gettime(CLOCK_MONOTONIC)`, and a call is timed with
//! four reads (BENCHMARKS.md, "Observability").
//!
//! Where `quanta` reads the time-stamp counter on x86_64 (checked at calibration: its reading falls between two of
//! ours), the counter is read here inline rather than through `quanta::Clock::raw`, which is not inlined across
//! crates (measured: 9 instructions and a call per read).
//!
//! `quanta` calibrates the counter against the monotonic clock once per process, at the first `Clock::get` (made
//! when a server or client is built, never on a call's path): at least 0.5 ms (0.6 ms here), at most 200 ms.
//!
//! It is not tokio's clock: a paused test clock does not stop it. Durations are what the calls really took.

use std::sync::OnceLock;

/// The calibrated clock, kept by each remote's telemetry so that a reading is one load and the counter's read.
#[derive(Clone, Copy)]
pub(crate) struct Clock(&'static Calibrated);

struct Calibrated {
    quanta: quanta::Clock,
    /// Whether `quanta` reads the time-stamp counter, so that reading it here gives the same count.
    tsc: bool,
    /// A unit of the histograms is `1 << shift` ticks.
    shift: u32,
    /// Nanoseconds in a unit.
    unit_nanos: f64,
}

impl Clock {
    /// The process's clock, calibrated at the first call.
    pub(crate) fn get() -> Clock {
        static CLOCK: OnceLock<Calibrated> = OnceLock::new();
        Clock(CLOCK.get_or_init(Calibrated::new))
    }

    /// A reading: a count of the clock's own ticks, only meaningful to `units_between` and `nanos_between`.
    #[inline]
    pub(crate) fn now(self) -> u64 {
        if self.0.tsc {
            return tsc();
        }
        self.0.quanta.raw()
    }

    /// The histogram units (`unit_nanos` each) from reading `start` to reading `end`, rounded down; zero when
    /// `end` is not later.
    #[inline]
    pub(crate) fn units_between(self, start: u64, end: u64) -> u64 {
        end.saturating_sub(start) >> self.0.shift
    }

    /// The nanoseconds from reading `start` to reading `end`; zero when `end` is not later.
    pub(crate) fn nanos_between(self, start: u64, end: u64) -> u64 {
        self.0.quanta.delta_as_nanos(start, end)
    }

    /// Nanoseconds in a histogram unit: about a thousand (a power of two of ticks).
    pub(crate) fn unit_nanos(self) -> f64 {
        self.0.unit_nanos
    }
}

impl Calibrated {
    fn new() -> Calibrated {
        let quanta = quanta::Clock::new();
        // Nanoseconds in 2^20 ticks, then the power of two of ticks nearest 1 µs (0.7 to 1.4 µs).
        let sample = 1u64 << 20;
        let nanos = (quanta.delta_as_nanos(0, sample) as f64).max(1.0);
        let ticks_per_micro = sample as f64 * 1_000.0 / nanos;
        let shift = ticks_per_micro.log2().round().clamp(0.0, 40.0) as u32;
        let unit_nanos = nanos * (1u64 << shift) as f64 / sample as f64;
        Calibrated { tsc: reads_the_tsc(&quanta), quanta, shift, unit_nanos }
    }
}

/// Whether `quanta`'s raw reading is the time-stamp counter: it falls between two reads of it, three times over.
#[cfg(target_arch = "x86_64")]
fn reads_the_tsc(quanta: &quanta::Clock) -> bool {
    (0..3).all(|_| {
        let before = tsc();
        let theirs = quanta.raw();
        let after = tsc();
        (before..=after).contains(&theirs)
    })
}

#[cfg(not(target_arch = "x86_64"))]
fn reads_the_tsc(_: &quanta::Clock) -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn tsc() -> u64 {
    // SAFETY: `rdtsc` exists on every x86_64 processor, reads a register and touches no memory.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn tsc() -> u64 {
    unreachable!("the time-stamp counter is read only on x86_64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_agrees_with_the_std_clock() {
        let clock = Clock::get();
        let outer = std::time::Instant::now();
        let start = clock.now();
        let inner = std::time::Instant::now();
        while inner.elapsed() < std::time::Duration::from_millis(2) {}
        let end = clock.now();
        let ours = clock.nanos_between(start, end);
        let theirs = outer.elapsed().as_nanos() as u64;
        // Our two reads fall between std's outer two and around its inner span of 2 ms; the counter's calibration
        // is good to a few parts per million, far inside the margin given here.
        assert!((1_990_000..=theirs + theirs / 100).contains(&ours), "{ours} ns, against 2 ms and {theirs} ns");
        // In units, within one unit of the nanoseconds.
        let units = clock.units_between(start, end) as f64 * clock.unit_nanos();
        assert!((units - ours as f64).abs() <= clock.unit_nanos() + 1.0, "{units} ns in units, against {ours}");
    }

    #[test]
    fn a_unit_is_about_a_microsecond() {
        let unit = Clock::get().unit_nanos();
        assert!((500.0..=2_000.0).contains(&unit), "{unit} ns");
    }

    #[test]
    fn a_reading_before_its_start_is_no_time() {
        let clock = Clock::get();
        let (early, late) = (clock.now(), clock.now());
        assert_eq!(clock.nanos_between(late.max(early) + 1, early.min(late)), 0);
        assert_eq!(clock.units_between(late.max(early) + 1, early.min(late)), 0);
    }
}
