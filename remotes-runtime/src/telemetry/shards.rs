//! Figures written from every worker thread at every call: one copy per shard, each on cache lines of its own, so
//! that two threads counting calls of the same remote do not take the same line from each other (measured: shared
//! counters cost the TCP 32x16 benchmark about 9 %; BENCHMARKS.md, "Observability"). Reading sums the shards.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::Histogram;

/// One shard's figures of one remote.
#[derive(Default)]
pub(crate) struct Figures {
    pub(crate) settled: [AtomicU64; 7],
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) frames_in: AtomicU64,
    pub(crate) frames_out: AtomicU64,
    pub(crate) fired: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) latency: Histogram,
}

/// A shard on cache lines of its own (128 bytes: the pair of lines adjacent-line prefetching moves together).
#[repr(align(128))]
#[derive(Default)]
struct Padded(Figures);

/// One remote's figures, sharded by thread.
pub(crate) struct Sharded {
    shards: Box<[Padded]>,
}

/// Shards per remote: the machine's parallelism, rounded up to a power of two, at most 16.
fn shard_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).next_power_of_two().min(16)
    })
}

/// This thread's shard number (threads take numbers in turn, the first time they count).
fn thread_number() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static NUMBER: usize = NEXT.fetch_add(1, Ordering::Relaxed));
    NUMBER.with(|number| *number)
}

impl Sharded {
    pub(crate) fn new() -> Sharded {
        Sharded { shards: (0..shard_count()).map(|_| Padded::default()).collect() }
    }

    /// The shard this thread counts in.
    pub(crate) fn local(&self) -> &Figures {
        &self.shards[thread_number() & (self.shards.len() - 1)].0
    }

    /// The sum of one figure over the shards.
    pub(crate) fn sum(&self, figure: impl Fn(&Figures) -> &AtomicU64) -> u64 {
        self.shards.iter().map(|shard| figure(&shard.0).load(Ordering::Relaxed)).sum()
    }

    /// The latency histogram's counts, over the shards.
    pub(crate) fn latency_counts(&self) -> Vec<u64> {
        let mut counts = Vec::new();
        for shard in self.shards.iter() {
            shard.0.latency.add_counts(&mut counts);
        }
        counts
    }
}
