//! A wake-up for one task: raised by anyone, taken by the one task that waits for it (a connection's writer, its
//! reader). A flag and an `AtomicWaker`, where `tokio::sync::Notify` would take its waiters' lock at every poll of
//! a waiting future: counted in-process, the writer's and the reader's `Notified` polls cost about 700
//! instructions per call (BENCHMARKS.md, round two).
//!
//! A raise with nobody waiting is kept (once, like `Notify::notify_one`'s permit): the next take returns at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake};

use futures_util::task::AtomicWaker;

/// See the module's documentation.
#[derive(Default)]
pub(crate) struct Signal {
    raised: AtomicBool,
    waker: AtomicWaker,
}

impl Signal {
    /// Raises the signal and wakes the task waiting for it, if one is.
    pub(crate) fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Ready (and lowers the signal) once it was raised since the last take; otherwise registers the task to be
    /// woken by the next raise. Only one task may take a signal.
    pub(crate) fn poll_take(&self, cx: &mut Context<'_>) -> Poll<()> {
        // Checked before registering: a take that finds the signal raised leaves no waker behind to be woken for
        // nothing by the next raise.
        if self.raised.swap(false, Ordering::Acquire) {
            return Poll::Ready(());
        }
        self.waker.register(cx.waker());
        if self.raised.swap(false, Ordering::AcqRel) { Poll::Ready(()) } else { Poll::Pending }
    }

    /// Whether the signal was raised since the last take (without taking it).
    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    /// Waits until the signal is raised (at once when it was raised since the last take), and lowers it.
    pub(crate) async fn take(&self) {
        std::future::poll_fn(|cx| self.poll_take(cx)).await;
    }
}

/// A timer (or any future) polled with a signal's waker raises the signal when it can make progress.
impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.raise();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.raise();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_raise_before_the_take_is_kept_once() {
        let signal = Signal::default();
        signal.raise();
        signal.raise();
        signal.take().await;
        let waker = futures_util::task::noop_waker();
        assert!(signal.poll_take(&mut Context::from_waker(&waker)).is_pending(), "two raises are one");
    }

    #[tokio::test]
    async fn a_raise_wakes_the_waiting_task() {
        let signal = Arc::new(Signal::default());
        let waiting = tokio::spawn({
            let signal = signal.clone();
            async move { signal.take().await }
        });
        tokio::task::yield_now().await;
        signal.raise();
        waiting.await.expect("the waiting task returns");
    }

    #[test]
    fn a_waker_made_from_it_raises_it() {
        let signal = Arc::new(Signal::default());
        let waker = std::task::Waker::from(signal.clone());
        waker.wake_by_ref();
        assert!(signal.raised.load(Ordering::Acquire));
    }
}
