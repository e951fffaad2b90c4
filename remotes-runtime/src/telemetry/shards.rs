//! Figures written from every worker thread at every call, without a locked read-modify-write: each thread that
//! counts holds a slot no other living thread holds, and counts in its own copy of each remote's figures, so each
//! copy has one writer and a count is a plain load and store (a locked add costs a worker a pipeline drain each
//! time; BENCHMARKS.md, "Observability"). Threads past the slots (`slots()`: twice the machine's parallelism, at
//! most 64) count in one shared copy with atomic adds. A copy is made at its thread's first count of that remote,
//! on cache lines of its own, so a remote never used holds none and a client used from one thread holds one.
//! Reading sums the copies.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Histogram;

/// One copy's figures of one remote.
#[derive(Default)]
pub(crate) struct Figures {
    pub(crate) started: AtomicU64,
    pub(crate) settled: [AtomicU64; 7],
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) frames_in: AtomicU64,
    pub(crate) frames_out: AtomicU64,
    pub(crate) fired: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) dropped: AtomicU64,
    /// Durations of the calls that settled `ok` (errors are timed apart: `RemoteTelemetry::errored`).
    pub(crate) latency: Histogram,
}

/// One remote's figures summed over the copies (the latency histogram aside).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) started: u64,
    pub(crate) settled: [u64; 7],
    pub(crate) bytes_in: u64,
    pub(crate) bytes_out: u64,
    pub(crate) frames_in: u64,
    pub(crate) frames_out: u64,
    pub(crate) fired: u64,
    pub(crate) delivered: u64,
    pub(crate) dropped: u64,
}

/// A copy on cache lines of its own (128 bytes: the pair of lines adjacent-line prefetching moves together), so
/// that two threads' copies never share one.
#[repr(align(128))]
#[derive(Default)]
struct Padded(Figures);

/// The copy a thread counts in, and whether it is the only writer of it.
pub(crate) struct Local<'a> {
    pub(crate) figures: &'a Figures,
    only_writer: bool,
}

impl Local<'_> {
    /// Adds `n` to `counter`, one of this copy's figures.
    #[inline]
    pub(crate) fn add(&self, counter: &AtomicU64, n: u64) {
        if self.only_writer {
            // One writer: nothing can come between the load and the store. Readers see either value.
            counter.store(counter.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
        } else {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// One remote's figures, a copy per counting thread.
pub(crate) struct Sharded {
    copies: Box<[OnceLock<Box<Padded>>]>,
    shared: OnceLock<Box<Padded>>,
}

/// Slots for counting threads: twice the machine's parallelism (worker threads, and some to spare for blocking
/// threads and a second runtime), at most 64 (the bits of `TAKEN`).
fn slots() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT
        .get_or_init(|| (std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get) * 2).clamp(2, 64))
}

/// The slots held by living threads, one bit each.
static TAKEN: AtomicU64 = AtomicU64::new(0);

/// A thread's slot, given back when the thread ends; `None` when every slot was held when it first counted.
struct Slot(Option<usize>);

impl Slot {
    fn take() -> Slot {
        let mut taken = TAKEN.load(Ordering::Relaxed);
        loop {
            let free = (!taken).trailing_zeros() as usize;
            if free >= slots() {
                return Slot(None);
            }
            // Acquire: the copies' last values from the slot's previous holder are seen before this thread
            // writes them.
            match TAKEN.compare_exchange_weak(taken, taken | 1 << free, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return Slot(Some(free)),
                Err(now) => taken = now,
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // This thread counts in the shared copy from now on (its other thread-locals may still count as they are
        // torn down), before the slot goes to another thread.
        SLOT_INDEX.with(|index| index.set(NO_SLOT));
        if let Some(slot) = self.0 {
            TAKEN.fetch_and(!(1 << slot), Ordering::Release);
        }
    }
}

/// `SLOT_INDEX` before the thread's first count.
const UNSET: usize = usize::MAX;
/// `SLOT_INDEX` of a thread that holds no slot.
const NO_SLOT: usize = usize::MAX - 1;

thread_local! {
    /// The slot this thread holds, as read at every count: a constant-initialised local without a destructor,
    /// so reading it is one load (the `Slot` that owns the slot is a second, lazily made local).
    static SLOT_INDEX: Cell<usize> = const { Cell::new(UNSET) };
    static HELD: Slot = Slot::take();
}

/// This thread's slot; `None` past the slots, and once the thread's locals are being torn down.
#[inline]
fn slot() -> Option<usize> {
    match SLOT_INDEX.with(Cell::get) {
        UNSET => first_slot(),
        NO_SLOT => None,
        index => Some(index),
    }
}

#[cold]
fn first_slot() -> Option<usize> {
    // Fails only while the thread's locals are torn down (`HELD` already dropped): count in the shared copy.
    let held = HELD.try_with(|slot| slot.0).ok()?;
    SLOT_INDEX.with(|index| index.set(held.unwrap_or(NO_SLOT)));
    held
}

impl Sharded {
    pub(crate) fn new() -> Sharded {
        Sharded { copies: (0..slots()).map(|_| OnceLock::new()).collect(), shared: OnceLock::new() }
    }

    /// The copy this thread counts in.
    #[inline]
    pub(crate) fn local(&self) -> Local<'_> {
        match slot() {
            Some(slot) => Local { figures: &self.copies[slot].get_or_init(Box::default).0, only_writer: true },
            None => Local { figures: &self.shared.get_or_init(Box::default).0, only_writer: false },
        }
    }

    fn each(&self) -> impl Iterator<Item = &Figures> {
        self.copies.iter().chain(std::iter::once(&self.shared)).filter_map(|copy| copy.get()).map(|copy| &copy.0)
    }

    /// The sum of one figure over the copies.
    pub(crate) fn sum(&self, figure: impl Fn(&Figures) -> &AtomicU64) -> u64 {
        self.each().map(|figures| figure(figures).load(Ordering::Relaxed)).sum()
    }

    /// Every figure summed over the copies.
    pub(crate) fn totals(&self) -> Totals {
        Totals {
            started: self.sum(|f| &f.started),
            settled: std::array::from_fn(|i| self.sum(|f| &f.settled[i])),
            bytes_in: self.sum(|f| &f.bytes_in),
            bytes_out: self.sum(|f| &f.bytes_out),
            frames_in: self.sum(|f| &f.frames_in),
            frames_out: self.sum(|f| &f.frames_out),
            fired: self.sum(|f| &f.fired),
            delivered: self.sum(|f| &f.delivered),
            dropped: self.sum(|f| &f.dropped),
        }
    }

    /// The latency histogram's counts, over the copies.
    pub(crate) fn latency_counts(&self) -> Vec<u64> {
        let mut counts = Vec::new();
        for figures in self.each() {
            figures.latency.add_counts(&mut counts);
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_add_up() {
        let sharded = std::sync::Arc::new(Sharded::new());
        // More threads at once than there are slots: some count in the shared copy.
        let threads: Vec<_> = (0..slots() + 4)
            .map(|_| {
                let sharded = std::sync::Arc::clone(&sharded);
                std::thread::spawn(move || {
                    for _ in 0..1_000 {
                        let local = sharded.local();
                        local.add(&local.figures.bytes_in, 3);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("a counting thread");
        }
        assert_eq!(sharded.sum(|f| &f.bytes_in), (slots() as u64 + 4) * 3_000);
    }

    #[test]
    fn threads_living_at_once_hold_different_slots() {
        let count = 3;
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(count));
        let threads: Vec<_> = (0..count)
            .map(|_| {
                let barrier = std::sync::Arc::clone(&barrier);
                std::thread::spawn(move || {
                    let held = slot();
                    barrier.wait(); // every thread holds its slot until all have taken theirs
                    held
                })
            })
            .collect();
        let mut held: Vec<usize> = threads.into_iter().filter_map(|t| t.join().expect("a thread")).collect();
        let taken = held.len();
        held.sort_unstable();
        held.dedup();
        assert_eq!(held.len(), taken, "two living threads shared a slot");
    }
}
