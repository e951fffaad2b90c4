//! The connection's expiry task: settles this side's calls with `Timeout` at their deadlines, one task and one
//! timer per connection instead of one timer per call (see `deadlines` for the design).

use std::sync::Arc;

use tokio::time::Instant;

use super::Link;
use crate::FunctionError;

impl Link {
    /// Runs until the connection closes: sleeps to the earliest deadline listed in the pending table (or until a
    /// call lists an earlier one), then settles every call past its deadline with `Timeout`, as a reply would. The
    /// connection's set-up spawns it beside the writer.
    pub(crate) async fn expire_calls(self: Arc<Self>) {
        let closed = self.closed();
        tokio::pin!(closed);
        loop {
            let expired = self.pending.expire(Instant::now());
            // Settled with the table's lock released: settling wakes the callers' tasks.
            for (id, settle) in expired.calls {
                tracing::debug!(peer = %self.peer, call = id, "call timed out");
                let _ = settle.send(Err(FunctionError::Timeout));
            }
            // A call listing an earlier deadline after `expire` leaves a permit, which `woken` takes at once.
            let woken = self.deadline_listed.notified();
            match expired.next {
                Some(next) => tokio::select! {
                    biased;
                    () = &mut closed => return,
                    () = woken => {}
                    () = tokio::time::sleep_until(next) => {}
                },
                None => tokio::select! {
                    biased;
                    () = &mut closed => return,
                    () = woken => {}
                },
            }
        }
    }

    /// Wakes the expiry task: a call listed a deadline earlier than the one it sleeps until.
    pub(super) fn wake_expiry(&self) {
        self.deadline_listed.notify_one();
    }
}
