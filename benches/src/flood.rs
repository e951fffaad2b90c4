//! Under flood (issue #10): a server with its default settings (receive budget, work budget, dispatch quota, log
//! limiter all on) over TCP, 20 raw clients flooding small events as fast as they can and 200 raw clients sending
//! maximum-size frames one after the other, while one honest client calls `echo` every 5 ms. Measures the honest
//! client's calls (ok, failed, latency) and what the flooders' budgets counted. The same flood as `tests/flood.rs`,
//! in a release build.

use std::sync::Arc;
use std::time::Duration;

use remotes_runtime::testing::{RawClient, encode_args, frame, kinds};
use remotes_runtime::{Client, Direction, Player, RemoteKind, Server};
use tokio::time::{Instant, MissedTickBehavior};

use crate::harness::{Lengths, median};

pub const EVENT_FLOODERS: usize = 20;
pub const BIG_FRAME_SENDERS: usize = 200;
/// The honest client's period.
pub const PERIOD: Duration = Duration::from_millis(5);
/// The default maximum frame length (`max_frame_len`).
const MAX_FRAME: usize = 1 << 20;

/// The interface of the scenario.
#[remotes_runtime::remotes]
pub mod net {
    pub trait ServerFunctions {
        fn echo(text: String) -> String;
    }

    pub trait ServerEvents {
        fn chat(text: String);
    }
}

/// What one run measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct FloodResult {
    /// Honest calls answered correctly inside the window.
    pub ok: u64,
    /// Honest calls that failed (any error, or a wrong answer).
    pub failed: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    /// `rate_limited()` summed over the event flooders, and over the big-frame senders, at the end of the window.
    pub event_throttles: u64,
    pub big_throttles: u64,
    /// Flooders the server had disconnected by the end of the window.
    pub disconnected: usize,
    /// From the flood's start until every event flooder had spent its burst (the window starts a warm-up later).
    pub ramp: Duration,
}

/// Writes `bytes` over and over until the connection fails (or the runtime shuts down).
async fn flood(mut raw: RawClient, bytes: Arc<Vec<u8>>) {
    while raw.send_bytes(&bytes).await.is_ok() {
        tokio::task::yield_now().await;
    }
}

async fn raw_client(server: &Server<net::Api>) -> (RawClient, u32, Player) {
    let mut raw = RawClient::connect(server.local_addr().expect("a TCP server")).await.expect("connect");
    let welcome = raw.handshake().await.expect("handshake");
    let chat = welcome.id_of("chat", RemoteKind::Event, Direction::ToServer).expect("chat is declared");
    let player = server.player(welcome.player_id).expect("the flooder is connected");
    (raw, chat, player)
}

/// One run: warm-up and window from `lengths` (the window must end before the flood grace, 10 s, disconnects the
/// flooders).
pub async fn measure(lengths: Lengths) -> FloodResult {
    let server = Server::builder().bind::<net::Api>("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let remotes = server.remotes().clone();
    remotes.events.chat.connect(|_player, _text| async move {
        tokio::task::yield_now().await;
    });
    remotes.functions.echo.set_callback(|_player, text| async move { text });
    server.start();
    let honest = Client::connect::<net::Api>(server.local_addr().expect("a TCP server")).await.expect("connect");
    let honest_remotes = honest.remotes().clone();

    let mut event_flooders = Vec::new();
    let mut big_senders = Vec::new();
    let mut floods = Vec::new();
    for _ in 0..EVENT_FLOODERS {
        let (raw, chat, player) = raw_client(&server).await;
        let one = frame(kinds::EVENT, &[chat], &encode_args(&("flood".to_string(),)));
        let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1024).collect();
        event_flooders.push(player);
        floods.push((raw, Arc::new(batch)));
    }
    let mut big: Option<Arc<Vec<u8>>> = None;
    for _ in 0..BIG_FRAME_SENDERS {
        let (raw, chat, player) = raw_client(&server).await;
        // kind + remote id + array header + str32 header = 8 bytes: the frame is exactly the maximum.
        let frame = big
            .get_or_insert_with(|| Arc::new(frame(kinds::EVENT, &[chat], &encode_args(&("x".repeat(MAX_FRAME - 8),)))));
        big_senders.push(player);
        floods.push((raw, frame.clone()));
    }
    let mut tasks = Vec::new();
    let started = Instant::now();
    for (raw, bytes) in floods {
        tasks.push(tokio::spawn(flood(raw, bytes)));
    }
    let bound = started + Duration::from_secs(10);
    while !event_flooders.iter().all(|p| p.rate_limited() > 0) && Instant::now() < bound {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let ramp = started.elapsed();
    let window_start = Instant::now() + lengths.warmup;
    let end = window_start + lengths.measure;

    let mut ticks = tokio::time::interval(PERIOD);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut latencies: Vec<u64> = Vec::new();
    let (mut ok, mut failed) = (0, 0);
    let mut n = 0u64;
    loop {
        ticks.tick().await;
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        let text = format!("honest call {n}");
        n += 1;
        let answer = honest_remotes.functions.echo.invoke(text.clone()).await;
        let elapsed = t0.elapsed();
        if t0 < window_start {
            continue;
        }
        if answer == Ok(text) {
            ok += 1;
            latencies.push(elapsed.as_nanos() as u64);
        } else {
            failed += 1;
        }
    }
    let event_throttles = event_flooders.iter().map(Player::rate_limited).sum();
    let big_throttles = big_senders.iter().map(Player::rate_limited).sum();
    let disconnected = event_flooders.iter().chain(&big_senders).filter(|p| server.player(p.id()).is_none()).count();
    for task in &tasks {
        task.abort();
    }
    latencies.sort_unstable();
    let at = |q: f64| {
        if latencies.is_empty() {
            f64::NAN
        } else {
            latencies[((latencies.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
        }
    };
    FloodResult {
        ok,
        failed,
        p50_us: at(0.50),
        p99_us: at(0.99),
        max_us: at(1.0),
        event_throttles,
        big_throttles,
        disconnected,
        ramp,
    }
}

/// Medians over repetitions (counts summed for ok/failed).
pub fn medians(runs: &[FloodResult]) -> FloodResult {
    let med = |f: fn(&FloodResult) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    FloodResult {
        ok: runs.iter().map(|r| r.ok).sum(),
        failed: runs.iter().map(|r| r.failed).sum(),
        p50_us: med(|r| r.p50_us),
        p99_us: med(|r| r.p99_us),
        max_us: med(|r| r.max_us),
        event_throttles: med(|r| r.event_throttles as f64) as u64,
        big_throttles: med(|r| r.big_throttles as f64) as u64,
        disconnected: med(|r| r.disconnected as f64) as usize,
        ramp: Duration::from_secs_f64(med(|r| r.ramp.as_secs_f64())),
    }
}
