//! Fair by default (issue #10): with a server's default settings, 20 clients flooding events and 200 clients sending
//! maximum-size frames leave an honest client calling every 5 ms with zero failed calls; the flooders are throttled
//! by their receive budgets and counted in `rate_limited`, and one that persists is disconnected.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Harness, Receipt, Transport, within};
use remotes_runtime::testing::{RawClient, encode_args, frame, kinds};
use remotes_runtime::{Direction, Player, RemoteKind, Server};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

const EVENT_FLOODERS: usize = 20;
const BIG_FRAME_SENDERS: usize = 200;
/// The honest client calls once every 5 ms (or as soon as the previous call returns, when it took longer), for 2.5 s
/// and at least 50 calls.
const HONEST_PERIOD: Duration = Duration::from_millis(5);
const HONEST_WINDOW: Duration = Duration::from_millis(2500);
const HONEST_MIN_CALLS: usize = 50;
/// The default maximum frame length (`max_frame_len`): 1 MiB.
const DEFAULT_MAX_FRAME_LEN: usize = 1 << 20;

/// A `chat` event whose frame is exactly the default maximum frame length: a string of about 1 MiB, which the
/// server reads, validates and decodes in full before the listener runs.
fn max_size_chat(chat: u32) -> Vec<u8> {
    // kind (1) + remote id (1) + array header (1) + str32 header (5) + text.
    let text_len = DEFAULT_MAX_FRAME_LEN - 8;
    let frame = frame(kinds::EVENT, &[chat], &encode_args(&("x".repeat(text_len),)));
    assert_eq!(frame.len(), DEFAULT_MAX_FRAME_LEN + 3, "a frame of exactly the maximum length (plus its prefix)");
    frame
}

/// A server with the defaults, a `chat` listener that awaits (so events hold their share of the work budget while
/// it runs), and `echo`/`buy_item` callbacks.
async fn server(transport: Transport, builder: remotes_runtime::ServerBuilder) -> Harness {
    let h = Harness::with(transport, builder).await;
    h.remotes.events.chat.connect(|_player, _text| async move {
        tokio::task::yield_now().await;
    });
    h.remotes.functions.echo.set_callback(|_player, text| async move { text });
    h.remotes
        .functions
        .buy_item
        .set_callback(|_player: Player, item, quantity| async move { Receipt { item, quantity, coins_left: 90 } });
    h
}

/// A raw client past its handshake, with the server's id of `chat` and its own player id.
async fn raw_client(h: &Harness) -> (RawClient, u32, u64) {
    let mut raw = h.raw().await;
    let welcome = within("a raw client's handshake", raw.handshake()).await.expect("handshake");
    let chat = welcome.id_of("chat", RemoteKind::Event, Direction::ToServer).expect("chat is declared");
    (raw, chat, welcome.player_id)
}

/// Sends `bytes` over and over until the task is aborted (or the server closes the connection). Sends are never
/// cut short (that would leave half a frame on the wire): the test aborts the task, dropping the connection.
async fn flood(mut raw: RawClient, bytes: Arc<Vec<u8>>) {
    while raw.send_bytes(&bytes).await.is_ok() {
        tokio::task::yield_now().await;
    }
}

/// Polls `condition` until it holds, for at most `bound` (the flood slows everything down, debug builds on a
/// loaded machine more so).
async fn eventually_within(bound: Duration, what: &str, condition: impl Fn() -> bool) {
    tokio::time::timeout(bound, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}

/// Runs a test on a runtime of its own (2 workers, as the rest of the suite), one test at a time: these tests load
/// the machine on purpose, and two at once would measure each other.
fn one_at_a_time(test: impl std::future::Future<Output = ()>) {
    static SERIAL: Mutex<()> = Mutex::new(());
    let _turn = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(test);
    // Flooders' connections and the server's tasks go with the runtime, bounded.
    runtime.shutdown_timeout(Duration::from_secs(5));
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

async fn honest_client_under_flood(transport: Transport) {
    let setup = Instant::now();
    let h = server(transport, Server::builder()).await;
    let (honest, honest_remotes) = h.client().await;
    let honest_player = h.player(&honest);

    // Every flooder connects first (the handshakes are not what this test measures), then all start at once.
    // Their `Player`s are kept: their counters stay readable after the server disconnects them (it does, after
    // the flood grace of 10 s, on a machine slow enough for this test to last that long).
    let mut event_flooders = Vec::new();
    let mut big_senders = Vec::new();
    let mut floods = Vec::new();
    for _ in 0..EVENT_FLOODERS {
        let (raw, chat, id) = raw_client(&h).await;
        // Small `chat` events, 1,024 frames per write.
        let one = frame(kinds::EVENT, &[chat], &encode_args(&("flood".to_string(),)));
        let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1024).collect();
        event_flooders.push(h.server.player(id).expect("the flooder is connected"));
        floods.push((raw, Arc::new(batch)));
    }
    let mut big = None;
    for _ in 0..BIG_FRAME_SENDERS {
        let (raw, chat, id) = raw_client(&h).await;
        // Maximum-size `chat` events, one after the other.
        let frame = big.get_or_insert_with(|| Arc::new(max_size_chat(chat))).clone();
        big_senders.push(h.server.player(id).expect("the sender is connected"));
        floods.push((raw, frame));
    }
    let connected = setup.elapsed();
    let mut flooders = JoinSet::new();
    for (raw, bytes) in floods {
        flooders.spawn(flood(raw, bytes));
    }
    // The flood is in full force once every event flooder has spent its burst.
    let flood_started = Instant::now();
    eventually_within(Duration::from_secs(30), "the event flooders to be throttled", || {
        event_flooders.iter().all(|p| p.rate_limited() > 0)
    })
    .await;
    let in_force = flood_started.elapsed();

    // The honest client: one call every 5 ms, each one checked and timed.
    let mut ticks = tokio::time::interval(HONEST_PERIOD);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut latencies = Vec::new();
    let mut failed = Vec::new();
    let started = Instant::now();
    while started.elapsed() < HONEST_WINDOW || latencies.len() < HONEST_MIN_CALLS {
        assert!(started.elapsed() < Duration::from_secs(30), "only {} honest calls in 30 s", latencies.len());
        ticks.tick().await;
        let n = latencies.len();
        let text = format!("honest call {n}");
        let t0 = Instant::now();
        let answer = honest_remotes.functions.echo.invoke(text.clone()).await;
        latencies.push(t0.elapsed());
        if answer != Ok(text) {
            failed.push((n, answer));
        }
    }
    let window = started.elapsed();

    // Every flooder was throttled and counted (the big-frame senders wait about a second per frame).
    eventually_within(Duration::from_secs(30), "every flooder to be throttled", || {
        event_flooders.iter().chain(&big_senders).all(|p| p.rate_limited() > 0)
    })
    .await;
    let event_throttles: u64 = event_flooders.iter().map(Player::rate_limited).sum();
    let big_throttles: u64 = big_senders.iter().map(Player::rate_limited).sum();
    let flood_lasted = flood_started.elapsed();
    flooders.abort_all();
    while flooders.join_next().await.is_some() {}

    latencies.sort_unstable();
    println!(
        "{transport:?}: clients connected in {connected:?}, flood in force after {in_force:?}, lasted {flood_lasted:?}"
    );
    println!(
        "{transport:?}: {} honest calls in {window:?} under flood, {} failed; latency p50 {:?}, p99 {:?}, \
         max {:?}; throttles counted: {event_throttles} over {EVENT_FLOODERS} event flooders, {big_throttles} over \
         {BIG_FRAME_SENDERS} big-frame senders",
        latencies.len(),
        failed.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    );
    assert!(failed.is_empty(), "failed honest calls: {failed:?}");
    assert_eq!(honest_player.rate_limited(), 0, "the honest client was never throttled");
    assert!(honest.is_connected());
    assert_eq!(honest.pending_calls(), 0);
}

#[test]
fn an_honest_client_is_served_through_a_flood_tcp() {
    one_at_a_time(honest_client_under_flood(Transport::Tcp));
}

#[test]
fn an_honest_client_is_served_through_a_flood_memory() {
    one_at_a_time(honest_client_under_flood(Transport::Memory));
}

async fn persistent_flooder_is_disconnected(transport: Transport) {
    let builder = Server::builder()
        .flood_grace(Duration::from_millis(300))
        .keepalive(Duration::from_millis(50), Duration::from_secs(30));
    let h = server(transport, builder).await;
    let (honest, honest_remotes) = h.client().await;

    let (raw, chat, id) = raw_client(&h).await;
    let one = frame(kinds::EVENT, &[chat], &encode_args(&("flood".to_string(),)));
    let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1024).collect();
    let flooder = h.server.player(id).expect("the flooder is connected");
    let flooding = tokio::spawn(flood(raw, Arc::new(batch)));

    // It spends its burst of 10,000 frames, is throttled, stays over its budget and is closed after the grace.
    eventually_within(Duration::from_secs(30), "the persistent flooder to be disconnected", || {
        h.server.player(id).is_none()
    })
    .await;
    assert!(flooder.rate_limited() > 0, "its waits were counted");
    within("the flooder's task to see the connection closed", flooding).await.unwrap();

    assert!(honest.is_connected());
    assert_eq!(honest_remotes.functions.echo.invoke("still here".to_string()).await, Ok("still here".to_string()));
    assert_eq!(h.player(&honest).rate_limited(), 0);
}

#[test]
fn a_persistent_flooder_is_disconnected_tcp() {
    one_at_a_time(persistent_flooder_is_disconnected(Transport::Tcp));
}

#[test]
fn a_persistent_flooder_is_disconnected_memory() {
    one_at_a_time(persistent_flooder_is_disconnected(Transport::Memory));
}
