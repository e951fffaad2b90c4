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
            let due = async {
                match expired.next {
                    Some(next) => tokio::time::sleep_until(next).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                () = &mut closed => return,
                () = woken => {}
                () = due => {}
            }
        }
    }

    /// Wakes the expiry task: a call listed a deadline earlier than the one it sleeps until.
    pub(super) fn wake_expiry(&self) {
        self.deadline_listed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use tokio::sync::oneshot::error::TryRecvError;

    use super::*;
    use crate::config::Config;
    use crate::deadlines::SLACK;
    use crate::link::{LinkSettings, Sent};
    use crate::log_limit::LogLimit;
    use crate::outbox::QueueLimits;
    use crate::work::WorkLimits;

    const DEFAULT: Duration = Duration::from_secs(30);

    /// A link with its expiry task and no transport: its requests stay in the outbox.
    fn link() -> Arc<Link> {
        let config = Config::default();
        let link = Link::new(LinkSettings {
            peer: "test".into(),
            local_default: DEFAULT,
            peer_default: DEFAULT,
            peer_max_frame: config.max_frame_len,
            max_in_flight: config.max_in_flight,
            queue_limits: QueueLimits { frames: config.max_queued_frames, bytes: config.max_queued_bytes },
            work: WorkLimits::from_config(&config),
            log_limit: LogLimit::from_config(&config),
            telemetry: None,
        });
        tokio::spawn(Arc::clone(&link).expire_calls());
        link
    }

    fn call(link: &Arc<Link>, timeout: Duration) -> Sent {
        link.call(1, "f", &[], timeout, Instant::now() + timeout).expect("queued")
    }

    fn pending(sent: &mut Sent) -> bool {
        matches!(sent.reply.try_recv(), Err(TryRecvError::Empty))
    }

    /// Awaits `sent`'s settlement; asserts it came at `deadline` (to the timer's millisecond). Bounded in paused
    /// time: a deadline nobody watches fails here rather than hanging.
    async fn settles_at(sent: &mut Sent, deadline: Instant) -> Result<Bytes, FunctionError> {
        let bound = deadline + Duration::from_secs(3600);
        let outcome = tokio::time::timeout_at(bound, &mut sent.reply)
            .await
            .expect("not settled within an hour of its deadline")
            .expect("settled, not dropped");
        let now = Instant::now();
        assert!(now >= deadline, "settled {:?} early", deadline - now);
        assert!(now <= deadline + Duration::from_millis(1), "settled {:?} late", now - deadline);
        sent.guard.settled();
        outcome
    }

    #[tokio::test(start_paused = true)]
    async fn each_call_times_out_at_its_own_deadline_and_no_other() {
        let link = link();
        let t0 = Instant::now();
        let mut first = call(&link, Duration::from_millis(100));
        // The expiry task sleeps until `first`'s deadline when the shorter one is listed: it is woken for it.
        tokio::task::yield_now().await;
        let mut short = call(&link, Duration::from_millis(30));
        let mut second = call(&link, Duration::from_millis(100));
        let mut long = call(&link, DEFAULT);

        tokio::time::sleep_until(t0 + Duration::from_millis(29)).await;
        assert!(pending(&mut first) && pending(&mut short) && pending(&mut second) && pending(&mut long));
        assert_eq!(settles_at(&mut short, t0 + Duration::from_millis(30)).await, Err(FunctionError::Timeout));
        assert!(pending(&mut first) && pending(&mut second) && pending(&mut long), "only the short call timed out");
        assert_eq!(link.pending.len(), 3);

        assert_eq!(settles_at(&mut first, t0 + Duration::from_millis(100)).await, Err(FunctionError::Timeout));
        assert_eq!(second.reply.try_recv(), Ok(Err(FunctionError::Timeout)), "same deadline, same wake-up");
        second.guard.settled();
        assert!(pending(&mut long));
        assert_eq!(settles_at(&mut long, t0 + DEFAULT).await, Err(FunctionError::Timeout));
        assert_eq!((link.pending.len(), link.pending.deadlines_len()), (0, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_reply_before_the_deadline_wins_and_a_late_one_is_dropped() {
        let link = link();
        let t0 = Instant::now();
        let mut answered = call(&link, Duration::from_millis(50));
        tokio::time::sleep_until(t0 + Duration::from_millis(49)).await;
        link.on_reply(0, Ok(Bytes::from_static(b"ok"))).unwrap();
        assert_eq!(answered.reply.try_recv(), Ok(Ok(Bytes::from_static(b"ok"))));
        answered.guard.settled();

        let mut late = call(&link, Duration::from_millis(10));
        assert_eq!(settles_at(&mut late, t0 + Duration::from_millis(59)).await, Err(FunctionError::Timeout));
        // The late reply finds no call: it is dropped, and settles nothing else.
        let mut next = call(&link, Duration::from_millis(10));
        link.on_reply(0, Ok(Bytes::from_static(b"late"))).unwrap();
        assert!(pending(&mut next));
        link.on_reply(0, Ok(Bytes::from_static(b"next"))).unwrap();
        assert_eq!(next.reply.try_recv(), Ok(Ok(Bytes::from_static(b"next"))));
        next.guard.settled();
        // The answered calls' deadlines were left behind: they go when they come due, settling nothing.
        assert_eq!(link.pending.len(), 0);
        let mut last = call(&link, Duration::from_millis(100));
        assert_eq!(
            settles_at(&mut last, Instant::now() + Duration::from_millis(100)).await,
            Err(FunctionError::Timeout)
        );
        assert_eq!(link.pending.deadlines_len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn thousands_of_settled_calls_leave_no_deadlines_behind() {
        let link = link();
        let mut most = 0;
        for i in 0..10_000u32 {
            // One call held for a while, as a peer that is slow to answer one call would.
            let held = call(&link, DEFAULT);
            let mut sent =
                call(&link, if i % 5 == 0 { Duration::from_millis(u64::from(i % 700) + 1) } else { DEFAULT });
            // Answered, cancelled (dropped), or answered after the held one.
            match i % 3 {
                0 => {
                    link.on_reply(0, Ok(Bytes::new())).unwrap();
                    drop(held);
                    link.on_reply(0, Ok(Bytes::new())).unwrap();
                    sent.guard.settled();
                }
                1 => {
                    drop(sent);
                    link.on_reply(0, Ok(Bytes::new())).unwrap();
                    drop(held);
                    link.on_reply(0, Ok(Bytes::new())).unwrap();
                }
                _ => {
                    link.on_reply(1, Ok(Bytes::new())).unwrap();
                    sent.guard.settled();
                    link.on_reply(0, Ok(Bytes::new())).unwrap();
                    drop(held);
                }
            }
            most = most.max(link.pending.deadlines_len());
        }
        assert_eq!(link.pending.len(), 0);
        assert!(most <= 2 * 2 + SLACK + 1, "{most} deadlines listed for at most 2 calls pending");
        // A call with a deadline after every other: by the time it times out, every deadline came due.
        let mut last = call(&link, DEFAULT + Duration::from_secs(1));
        assert_eq!(
            settles_at(&mut last, Instant::now() + DEFAULT + Duration::from_secs(1)).await,
            Err(FunctionError::Timeout)
        );
        assert_eq!((link.pending.len(), link.pending.deadlines_len()), (0, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn closing_settles_every_call_and_stops_the_task() {
        let link = link();
        let mut sent = call(&link, DEFAULT);
        link.close();
        assert_eq!((&mut sent.reply).await, Ok(Err(FunctionError::Disconnected)));
        sent.guard.settled();
        drop(sent);
        assert_eq!(link.pending.deadlines_len(), 0);
        // The task let go of the link (by the time paused time reaches a deadline it would have slept to).
        tokio::time::sleep(DEFAULT).await;
        assert_eq!(Arc::strong_count(&link), 1);
    }
}
