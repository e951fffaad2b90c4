//! Encode buffers reused per thread. Arguments and return values are encoded into a buffer, copied into the
//! connection's outgoing queue, and the buffer is done with: one spare per thread takes it back, so the next
//! encode on that thread allocates nothing (counted: an allocation and a free per call on each side;
//! BENCHMARKS.md, "Instructions per call").

use std::cell::Cell;

use super::args::ENCODE_CAPACITY;

/// The largest buffer kept as a spare: one encode of a large value does not keep its buffer on the thread.
const KEPT_CAPACITY: usize = 4096;

thread_local!(static SPARE: Cell<Option<Vec<u8>>> = const { Cell::new(None) });

/// An empty buffer: the thread's spare, or a new one with room for most values.
pub(crate) fn take() -> Vec<u8> {
    SPARE.try_with(Cell::take).ok().flatten().unwrap_or_else(|| Vec::with_capacity(ENCODE_CAPACITY))
}

/// Keeps `buffer` as this thread's spare, unless it grew past [`KEPT_CAPACITY`].
pub(crate) fn give_back(mut buffer: Vec<u8>) {
    if buffer.capacity() <= KEPT_CAPACITY {
        buffer.clear();
        // During the thread's teardown there is no spare to keep: the buffer is freed.
        let _ = SPARE.try_with(|spare| spare.set(Some(buffer)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_empty() {
        let mut buffer = take();
        buffer.extend_from_slice(b"encoded");
        let at = buffer.as_ptr();
        give_back(buffer);
        let again = take();
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), at, "the spare is reused");
        assert_eq!(take().capacity(), ENCODE_CAPACITY, "one spare only: the next take is a new buffer");
    }

    #[test]
    fn a_large_buffer_is_not_kept() {
        drop(take());
        give_back(Vec::with_capacity(KEPT_CAPACITY + 1));
        assert_eq!(take().capacity(), ENCODE_CAPACITY);
    }
}
