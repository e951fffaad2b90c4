//! Running user code (callbacks, listeners, middleware, hooks) safely: a panic is caught and logged, never
//! unwinds into the runtime; a future is polled once in place, so callbacks start in the order their messages
//! arrived and one that finishes at once costs no task.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Logs a panic of the user code run for `remote`.
pub(crate) fn log_panic(remote: &str, panic: &(dyn Any + Send)) {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    tracing::error!(remote, panic = %message, "callback panicked; the call settles Unprocessed");
}

pin_project_lite::pin_project! {
    /// Polls a future, turning a panic into an `Err` with the panic payload.
    pub(crate) struct CatchUnwind<F> {
        #[pin]
        pub(crate) inner: F,
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

/// What polling a future once in place gave.
pub(crate) enum Started<F: Future + ?Sized> {
    /// It finished.
    Done(F::Output),
    /// It waits: continue it elsewhere.
    Waiting(Pin<Box<F>>),
    /// It panicked (the payload).
    Panicked(Box<dyn Any + Send>),
}

/// Polls `future` once right here, with a waker that does nothing (whoever continues it polls it again).
pub(crate) fn start<F>(mut future: Pin<Box<F>>) -> Started<F>
where
    F: Future + ?Sized,
{
    let mut cx = Context::from_waker(Waker::noop());
    match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
        Ok(Poll::Ready(output)) => Started::Done(output),
        Ok(Poll::Pending) => Started::Waiting(future),
        Err(panic) => Started::Panicked(panic),
    }
}
