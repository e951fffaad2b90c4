//! Rooms (issue #14, part one): the cost of membership changes and of firing at a room, at 10,000 members, all
//! in process (`in_memory` server and clients), so that the figures are the runtime's, not a network's.
//!
//! One server, `members + 1` connected clients. Measured: filling the room one `join` at a time, the extra player
//! joining and leaving the full room (a game tick's churn), `fire_room` of a 64-byte event (the call alone, and
//! until every member's listener ran), `broadcast` of the same event to the same clients (the call alone, for
//! comparison), `invoke_room` until all answers are in, and emptying the room one `leave` at a time.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use remotes_runtime::{Client, Server};
use tokio::time::Instant;

use crate::broadcast::Counter;
use crate::harness::{median, percentiles};
use crate::proto::{Req, event_payload, handle, net};

/// What one run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoomsResult {
    pub members: usize,
    /// Filling the room, one `join` at a time: nanoseconds per join.
    pub join_ns: f64,
    /// One player joining and then leaving the full room: nanoseconds per join + leave pair.
    pub churn_ns: f64,
    /// Emptying the room, one `leave` at a time: nanoseconds per leave.
    pub leave_ns: f64,
    /// `fire_room` at the full room, the call alone (copying the members, encoding once, queuing to each):
    /// median microseconds.
    pub fire_call_us: f64,
    /// `broadcast` of the same event to the same clients (plus the one non-member), the call alone.
    pub broadcast_call_us: f64,
    /// From `fire_room` until every member's listener ran: p50 and p99, microseconds.
    pub fire_all_p50_us: f64,
    pub fire_all_p99_us: f64,
    /// `invoke_room` at the full room until its stream ended (every member answered): median milliseconds.
    pub invoke_all_ms: f64,
    /// Firings or invocations that did not reach every member within the bound.
    pub incomplete: u64,
}

const CHURN: usize = 10_000;

pub async fn measure(members: usize, rounds: usize) -> RoomsResult {
    let server = Server::builder().receive_rate(None).in_memory::<net::Api>();
    server.start();
    let on_server = server.remotes().clone();
    let counter = Arc::new(Counter::default());
    let mut clients = Vec::with_capacity(members + 1);
    for _ in 0..=members {
        let client = Client::builder()
            .memory_pipe_bytes(16 * 1024)
            .connect_in_memory::<net::Api>(&server)
            .await
            .expect("connect in memory");
        let counter = Arc::clone(&counter);
        client.remotes().events.tick.connect(move |payload: String| {
            debug_assert_eq!(payload.len(), 64);
            counter.hit();
            async {}
        });
        client.remotes().functions.work_on_client.set_callback(|req: Req| async move { handle(&req) });
        clients.push(client);
    }
    let players = server.players();
    assert_eq!(players.len(), members + 1);
    let (inside, extra) = (&players[..members], &players[members]);
    let room = server.room("bench");
    let mut result = RoomsResult { members, ..RoomsResult::default() };

    let started = Instant::now();
    for player in inside {
        room.join(player);
    }
    result.join_ns = started.elapsed().as_nanos() as f64 / members as f64;
    assert_eq!(room.len(), members);

    let started = Instant::now();
    for _ in 0..CHURN {
        room.join(extra);
        room.leave(extra);
    }
    result.churn_ns = started.elapsed().as_nanos() as f64 / CHURN as f64;

    let payload = event_payload();
    let bound = Duration::from_secs(5);
    let (mut fire_calls, mut broadcast_calls, mut all) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let target = counter.count() + members as u64;
        let started = Instant::now();
        let fired = on_server.events.tick.fire_room(&room, payload.clone());
        fire_calls.push(started.elapsed().as_secs_f64() * 1e6);
        debug_assert_eq!(fired.queued, members);
        if counter.wait_for(target, started + bound).await {
            all.push(started.elapsed().as_nanos().min(u32::MAX as u128) as u32);
        } else {
            result.incomplete += 1;
        }
        // The same event to the same clients with `broadcast`: its call alone, for comparison.
        let target = counter.count() + members as u64 + 1;
        let started = Instant::now();
        on_server.events.tick.broadcast(payload.clone());
        broadcast_calls.push(started.elapsed().as_secs_f64() * 1e6);
        if !counter.wait_for(target, started + bound).await {
            result.incomplete += 1;
        }
    }
    result.fire_call_us = median(&fire_calls);
    result.broadcast_call_us = median(&broadcast_calls);
    (result.fire_all_p50_us, result.fire_all_p99_us) = percentiles(&mut all);

    let mut invokes = Vec::new();
    let request = crate::proto::request();
    for _ in 0..rounds.div_ceil(10).max(3) {
        let started = Instant::now();
        let answers = on_server.functions.work_on_client.invoke_room(&room, request.clone()).timeout(bound);
        let ok = answers.filter(|(_, answer)| std::future::ready(answer.is_ok())).count().await;
        invokes.push(started.elapsed().as_secs_f64() * 1e3);
        if ok != members {
            result.incomplete += 1;
        }
    }
    result.invoke_all_ms = median(&invokes);

    let started = Instant::now();
    for player in inside {
        room.leave(player);
    }
    result.leave_ns = started.elapsed().as_nanos() as f64 / members as f64;
    assert!(room.is_empty());
    drop(clients);
    result
}

/// The median of each figure over the runs.
pub fn medians(runs: &[RoomsResult]) -> RoomsResult {
    let m = |f: fn(&RoomsResult) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    RoomsResult {
        members: runs.first().map_or(0, |r| r.members),
        join_ns: m(|r| r.join_ns),
        churn_ns: m(|r| r.churn_ns),
        leave_ns: m(|r| r.leave_ns),
        fire_call_us: m(|r| r.fire_call_us),
        broadcast_call_us: m(|r| r.broadcast_call_us),
        fire_all_p50_us: m(|r| r.fire_all_p50_us),
        fire_all_p99_us: m(|r| r.fire_all_p99_us),
        invoke_all_ms: m(|r| r.invoke_all_ms),
        incomplete: runs.iter().map(|r| r.incomplete).sum(),
    }
}
