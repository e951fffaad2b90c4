//! What a read loop looks at besides its reads: the link closing and its keepalive tick, behind one `Signal`.
//!
//! The loop wakes several times per call (a read, a reply below the queue's cap), and a `select!` polls every
//! branch at every wake. Polled there directly, the tick's `Sleep` and the link's `closed()` cost about 600
//! instructions per call in-process (counted; BENCHMARKS.md, round two). Here the timer is polled with the link's
//! reader signal as its waker, the link raises the same signal when it closes, and a wake of the loop for anything
//! else costs one flag test.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio::time::{Instant, Sleep};

use crate::link::Link;
use crate::signal::Signal;

/// What the read loop heard.
pub(super) enum Heard {
    /// The link closed.
    Closed,
    /// The keepalive tick came due.
    Tick,
}

/// The link's closing and the keepalive tick of one read loop.
pub(super) struct Attention {
    signal: Arc<Signal>,
    /// The signal as a waker, for the timer.
    waker: Waker,
    tick: Pin<Box<Sleep>>,
    /// The waker registered with the signal by the last look that found nothing: it stays there until a raise
    /// takes it, so a look that finds the signal lowered and the same task looking need not register again.
    registered: Option<Waker>,
}

impl Attention {
    /// Watches `link` closing, and a tick due at `due`.
    pub(super) fn new(link: &Link, due: Instant) -> Attention {
        let signal = link.reader.clone();
        // The first look polls the timer (which registers it): the link's signal starts raised.
        signal.raise();
        let waker = Waker::from(signal.clone());
        Attention { waker, signal, tick: Box::pin(tokio::time::sleep_until(due)), registered: None }
    }

    /// Ready when the link has closed or the tick is due; cheap (a flag test) when neither moved since the last
    /// look.
    pub(super) fn poll(&mut self, link: &Link, cx: &mut Context<'_>) -> Poll<Heard> {
        loop {
            let same_task = self.registered.as_ref().is_some_and(|waker| waker.will_wake(cx.waker()));
            if same_task && !self.signal.is_raised() {
                return Poll::Pending;
            }
            // Pending here registers the task for the next raise; a raise taken leads to another look, so that
            // nothing is left unregistered.
            if self.signal.poll_take(cx).is_pending() {
                self.registered = Some(cx.waker().clone());
                return Poll::Pending;
            }
            // The raise took the registered waker (or there was none).
            self.registered = None;
            if link.is_closed() {
                return Poll::Ready(Heard::Closed);
            }
            if self.tick.as_mut().poll(&mut Context::from_waker(&self.waker)).is_ready() {
                return Poll::Ready(Heard::Tick);
            }
        }
    }

    /// The next tick is due at `due`.
    pub(super) fn reset(&mut self, due: Instant) {
        self.tick.as_mut().reset(due);
        // The reset timer is registered at the next look.
        self.signal.raise();
    }
}
