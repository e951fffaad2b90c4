//! Hostile input, round two (issue #10): each growth path the security review found, attacked over both transports,
//! with the bound that now holds it asserted. One test per attack; see SECURITY.md.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Harness, Logs, Transport, eventually, within};
use remotes_runtime::testing::{RawMessage, encode_args, frame, kinds, outgoing_queue, varint};
use remotes_runtime::{Direction, FunctionError, Player, RemoteKind, Server};
use tokio::sync::Semaphore;

/// Runs a test body once per transport in a single-threaded runtime (so `Logs::capture` sees every task), as five
/// tests named `tcp`, `memory`, `websocket`, `tls` and `wss` in a module named after the test.
macro_rules! every_transport_logged {
    ($($(#[$meta:meta])* async fn $name:ident($transport:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($transport: $crate::common::Transport) $body
            $(#[$meta])*
            #[tokio::test]
            async fn tcp() { run($crate::common::Transport::Tcp).await }
            $(#[$meta])*
            #[tokio::test]
            async fn memory() { run($crate::common::Transport::Memory).await }
            $(#[$meta])*
            #[tokio::test]
            async fn websocket() { run($crate::common::Transport::WebSocket).await }
            $(#[$meta])*
            #[tokio::test]
            async fn tls() { run($crate::common::Transport::Tls).await }
            $(#[$meta])*
            #[tokio::test]
            async fn wss() { run($crate::common::Transport::Wss).await }
        }
    )*};
}

/// `count` copies of one frame, back to back.
fn frames(one: &[u8], count: usize) -> Vec<u8> {
    one.repeat(count)
}

fn id(welcome: &remotes_runtime::testing::RawWelcome, name: &str, kind: RemoteKind) -> u32 {
    welcome.id_of(name, kind, Direction::ToServer).unwrap_or_else(|| panic!("no remote {name}"))
}

/// Log lines about one peer (`peer=player N` or `peer="player N"`, not `player N0`) at WARN.
fn warnings_about(logs: &Logs, player: u64) -> Vec<String> {
    let tags = [format!("peer=player {player}"), format!("peer=\"player {player}\"")];
    logs.text()
        .lines()
        .filter(|line| line.contains("WARN"))
        .filter(|line| {
            tags.iter().any(|tag| {
                line.match_indices(tag.as_str())
                    .any(|(at, _)| !line[at + tag.len()..].starts_with(|c: char| c.is_ascii_digit()))
            })
        })
        .map(str::to_string)
        .collect()
}

/// Waits until `player` is disconnected: up to a minute (some attacks first fill a TCP connection's buffers).
async fn disconnected(player: &Player, who: &str) {
    let waiting = async {
        while player.is_connected() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .unwrap_or_else(|_| panic!("{who} was never disconnected"));
}

/// A gate that callbacks and listeners wait at: `open(n)` lets `n` through, `close()` all (now and later).
fn gate() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(0))
}

async fn pass(gate: &Semaphore) {
    if let Ok(permit) = gate.acquire().await {
        permit.forget();
    }
}

every_transport_logged! {
    // Attack 1: PINGs as fast as the peer can send them, never reading the PONGs. The pongs stay under the queue's
    // cap (they used to be queued without it: +853 MB), and the peer is disconnected by the slow-peer rule.
    async fn ping_flood_from_a_peer_that_never_reads(transport) {
        let (logs, _guard) = Logs::capture();
        let builder = Server::builder()
            .max_queued(64, 4 << 10)
            .slow_peer_grace(Duration::from_millis(200))
            .keepalive(Duration::from_millis(20), Duration::from_secs(30))
            // The receive budget would call this a flood; the point here is the queue and the slow-peer rule.
            .receive_rate(None);
        let h = Harness::with(transport, builder).await;
        let mut flooder = h.raw().await;
        let welcome = flooder.handshake().await.unwrap();
        let player = h.server.player(welcome.player_id).unwrap();
        let pings = frames(&frame(kinds::PING, &[], &[]), 8192);
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = sent.clone();
        let flooding = tokio::spawn(async move {
            // Bounded: 64 M pings, far more than any transport buffers; the server closes it long before.
            for _ in 0..8192 {
                if flooder.send_bytes(&pings).await.is_err() {
                    break;
                }
                counter.fetch_add(8192, Ordering::Relaxed);
            }
        });
        let peak = Arc::new(Mutex::new((0usize, 0usize)));
        let (p, watched) = (peak.clone(), player.clone());
        let sampling = tokio::spawn(async move {
            while watched.is_connected() {
                let (frames, bytes) = outgoing_queue(&watched);
                {
                    let mut peak = p.lock().unwrap();
                    *peak = (peak.0.max(frames), peak.1.max(bytes));
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        disconnected(&player, "the flooder").await;
        within("sampler", sampling).await.unwrap();
        within("flooder", flooding).await.unwrap();
        let (frames, bytes) = *peak.lock().unwrap();
        assert!(frames <= 64 && bytes <= 4 << 10, "the queue outgrew its cap: {frames} frames, {bytes} bytes");
        assert!(sent.load(Ordering::Relaxed) > 64, "the flood never got going");
        assert_eq!((player.pending_calls(), player.calls_in_flight()), (0, 0));
        let slow = logs.lines_with(&["stayed full, with nothing written"]);
        assert_eq!(slow.len(), 1, "not closed by the slow-peer rule: {}", logs.text());
        eventually("player removed", || h.server.players().is_empty()).await;
    }

    // Attack 4: a frame announced at 1 MiB, trickled a byte at a time, faster than the idle timeout. Bytes keep
    // arriving but no frame completes: the idle rule closes it.
    async fn a_trickled_frame_is_closed_by_the_idle_rule(transport) {
        let (logs, _guard) = Logs::capture();
        let idle = Duration::from_millis(300);
        let builder = Server::builder().keepalive(Duration::from_millis(20), idle).receive_rate(None);
        let h = Harness::with(transport, builder).await;
        let mut trickler = h.raw().await;
        let welcome = trickler.handshake().await.unwrap();
        let player = h.server.player(welcome.player_id).unwrap();
        let mut start = Vec::new();
        start.extend(varint((1 << 20) - 16));
        start.push(kinds::EVENT);
        trickler.send_bytes(&start).await.unwrap();
        let started = tokio::time::Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let trickled = Arc::new(AtomicUsize::new(0));
        let (s, t) = (stop.clone(), trickled.clone());
        let trickling = tokio::spawn(async move {
            // A byte every 10 ms (the attack's pacing), for at most 20 s.
            for _ in 0..2000 {
                if s.load(Ordering::SeqCst) || trickler.send_bytes(&[0]).await.is_err() {
                    break;
                }
                t.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        disconnected(&player, "the trickler").await;
        let lasted = started.elapsed();
        stop.store(true, Ordering::SeqCst);
        within("trickler", trickling).await.unwrap();
        assert!(lasted >= idle, "closed after {lasted:?}, before the idle timeout");
        // Bytes kept arriving well past the idle timeout's worth of silence would have allowed.
        assert!(trickled.load(Ordering::SeqCst) >= 15, "only {} bytes trickled", trickled.load(Ordering::SeqCst));
        assert_eq!(logs.lines_with(&["nothing received within the idle timeout"]).len(), 1, "{}", logs.text());
    }

    // Attack 7: 10,000 malformed frames and bad requests on one connection log the burst, then one summary with
    // the count; 200 connections each closed for an oversized frame log no more than the server-wide burst.
    async fn logs_cannot_be_weaponised(transport) {
        let (logs, _guard) = Logs::capture();
        let builder = Server::builder()
            .receive_rate(None)
            .rejection_log_limit(10, Duration::from_secs(3600))
            .max_frame_len(64 << 10);
        let h = Harness::with(transport, builder).await;
        h.remotes.functions.echo.set_callback(|_player, text| async move { text });
        let mut attacker = h.raw().await;
        let welcome = attacker.handshake().await.unwrap();
        let echo = id(&welcome, "echo", RemoteKind::Function);
        // 5,000 frames of an unknown kind, 5,000 requests whose argument is not a string.
        let mut garbage = frames(&frame(0x7f, &[], b"junk"), 5000);
        let mut bad_request = Vec::new();
        put_request(&mut bad_request, echo, &encode_args(&(7u32,)));
        garbage.extend(frames(&bad_request, 5000));
        for chunk in garbage.chunks(16 << 10) {
            attacker.send_bytes(chunk).await.unwrap();
            // Take the BadRequest replies as they come, so the attacker is never the slow one.
            while let Ok(Ok(Some(_))) = tokio::time::timeout(Duration::ZERO, attacker.recv()).await {}
        }
        // A valid call behind them: once it is answered, every bad frame has been handled.
        let mut probe = Vec::new();
        put_request(&mut probe, echo, &encode_args(&("probe".to_string(),)));
        attacker.send_bytes(&probe).await.unwrap();
        let answered = within("probe", attacker.recv_matching(|m| matches!(m, RawMessage::ReplyOk { .. }))).await;
        assert!(answered.unwrap().is_some());
        let player = h.server.player(welcome.player_id).unwrap();
        assert_eq!(player.bad_requests(), 5000);
        assert_eq!(warnings_about(&logs, welcome.player_id).len(), 10, "{}", logs.text());
        // Closing logs what was counted.
        drop(attacker);
        disconnected(&player, "the attacker").await;
        eventually("summary", || !logs.lines_with(&["counted, not logged"]).is_empty()).await;
        let lines = warnings_about(&logs, welcome.player_id);
        assert_eq!(lines.len(), 11, "{lines:#?}");
        assert!(lines[10].contains("suppressed=9990"), "{}", lines[10]);

        // Connection churn: each connection is closed for an oversized frame; the server-wide limiter holds.
        let mut oversized = Vec::new();
        oversized.extend(varint(1 << 20));
        oversized.push(kinds::EVENT);
        for _ in 0..200 {
            let mut churn = h.raw().await;
            churn.handshake().await.unwrap();
            churn.send_bytes(&oversized).await.unwrap();
            within("churn closed", churn.recv_until_closed()).await.unwrap();
        }
        eventually("churned players gone", || h.server.players().is_empty()).await;
        let closed = logs.lines_with(&["unreadable frame"]);
        assert_eq!(closed.len(), 10, "{closed:#?}");
    }
}

/// Appends a `REQUEST` frame for `remote` with `args` (no explicit timeout).
fn put_request(out: &mut Vec<u8>, remote: u32, args: &[u8]) {
    out.extend(frame(kinds::REQUEST, &[remote], args));
}

/// How many listeners run now and at most, in all and per player.
#[derive(Default)]
struct Running {
    now: usize,
    peak: usize,
    per_player: HashMap<u64, (usize, usize)>,
    entered: usize,
}

/// Counts a running listener until it ends or is dropped.
struct RunningGuard(Arc<Mutex<Running>>, u64);

impl RunningGuard {
    fn enter(state: &Arc<Mutex<Running>>, player: u64) -> RunningGuard {
        let mut running = state.lock().unwrap();
        running.now += 1;
        running.entered += 1;
        running.peak = running.peak.max(running.now);
        let own = running.per_player.entry(player).or_default();
        own.0 += 1;
        own.1 = own.1.max(own.0);
        drop(running);
        RunningGuard(state.clone(), player)
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        let mut running = self.0.lock().unwrap();
        running.now -= 1;
        running.per_player.get_mut(&self.1).expect("entered").0 -= 1;
    }
}

every_transport! {
    // Attack 2: events whose listener awaits. At most `max_events_in_flight` of a peer's events have listeners
    // running (there used to be 6.98 million tasks); the rest are dropped and counted; honest calls go through.
    async fn events_with_awaiting_listeners_are_capped(transport) {
        const CAP: usize = 8;
        const FLOODERS: usize = 2;
        const EVENTS: usize = 2000;
        let builder = Server::builder().max_events_in_flight(CAP);
        let h = Harness::with(transport, builder).await;
        h.remotes.functions.echo.set_callback(|_player, text| async move { text });
        let running = Arc::new(Mutex::new(Running::default()));
        let gate = gate();
        let (r, g) = (running.clone(), gate.clone());
        h.remotes.events.chat.connect(move |player: Player, _text: String| {
            let (running, gate) = (r.clone(), g.clone());
            async move {
                let _running = RunningGuard::enter(&running, player.id());
                pass(&gate).await;
            }
        });
        let (honest, honest_remotes) = h.client().await;
        let mut flooders = Vec::new();
        for _ in 0..FLOODERS {
            let mut raw = h.raw().await;
            let welcome = raw.handshake().await.unwrap();
            let chat = id(&welcome, "chat", RemoteKind::Event);
            let player = h.server.player(welcome.player_id).unwrap();
            let flood = frames(&frame(kinds::EVENT, &[chat], &encode_args(&("spam".to_string(),))), EVENTS);
            flooders.push((raw, player, flood, chat));
        }
        let mut floods = Vec::new();
        for (mut raw, player, flood, chat) in flooders {
            floods.push(tokio::spawn(async move {
                raw.send_bytes(&flood).await.unwrap();
                (raw, player, chat)
            }));
        }
        for n in 0..200 {
            let text = format!("honest {n}");
            assert_eq!(within("honest echo", honest_remotes.functions.echo.invoke(text.clone())).await, Ok(text));
        }
        let mut flooders = Vec::new();
        for flood in floods {
            flooders.push(within("flood sent", flood).await.unwrap());
        }
        for (_, player, _) in &flooders {
            // Every event beyond the cap was refused (and counted).
            eventually("refusals counted", || player.rate_limited() >= (EVENTS - CAP) as u64).await;
        }
        eventually("listeners at the cap", || running.lock().unwrap().now == CAP * FLOODERS).await;
        {
            let running = running.lock().unwrap();
            assert!(running.peak <= CAP * FLOODERS, "{} listeners ran at once", running.peak);
            for (player, (_, peak)) in &running.per_player {
                assert!(*peak <= CAP, "player {player} had {peak} listeners running at once");
            }
        }
        let tasks = tokio::runtime::Handle::current().metrics().num_alive_tasks();
        assert!(tasks < 100, "{tasks} tasks alive");
        assert!(honest.is_connected());
        // Released, the listeners end and give their share back: the flooders' events are heard again.
        gate.close();
        eventually("listeners ended", || running.lock().unwrap().now == 0).await;
        let entered = running.lock().unwrap().entered;
        for (raw, _, chat) in &mut flooders {
            raw.send_event(*chat, &encode_args(&("again".to_string(),))).await.unwrap();
        }
        eventually("heard again", || running.lock().unwrap().entered == entered + FLOODERS).await;
        assert!(flooders.iter().all(|(_, player, _)| player.is_connected()));
    }

    // Attack 3: a HELLO over `max_handshake_len` closes the connection from its length prefix, before its body is
    // read; one of exactly that length is accepted; the server serves others throughout.
    async fn hello_length_is_capped(transport) {
        const LIMIT: usize = 1024;
        let builder = Server::builder().max_handshake_len(LIMIT).handshake_timeout(Duration::from_secs(60));
        let h = Harness::with(transport, builder).await;
        h.remotes.functions.echo.set_callback(|_player, text| async move { text });
        // Only the prefix of a HELLO one byte too long: closed without waiting for the body.
        let mut too_long = h.raw().await;
        let mut prefix = Vec::new();
        prefix.extend(varint(LIMIT as u32 + 1));
        prefix.push(kinds::HELLO);
        too_long.send_bytes(&prefix).await.unwrap();
        let seen = within("closed before the body", too_long.recv_until_closed()).await.unwrap();
        assert!(seen.is_empty(), "{seen:?}");
        // A whole HELLO one byte too long, and one of exactly the limit.
        let mut kept = Vec::new();
        for (len, accepted) in [(LIMIT + 1, false), (LIMIT, true)] {
            let body = hello_of_len(len);
            let mut raw = h.raw().await;
            raw.send_frame(kinds::HELLO, &body[1..]).await.unwrap();
            let first = within("answer", raw.recv()).await.unwrap();
            assert_eq!(matches!(first, Some(RawMessage::Welcome(_))), accepted, "HELLO of {len}: {first:?}");
            if accepted {
                kept.push(raw);
            } else {
                assert_eq!(first, None);
            }
        }
        let (_client, remotes) = h.client().await;
        assert_eq!(within("echo", remotes.functions.echo.invoke("fine".into())).await, Ok("fine".to_string()));
        assert_eq!(h.server.players().len(), 2);
    }

    // Attack 6: large payloads to a slow callback. Past `max_in_flight_bytes`, calls are answered `Cancelled` at
    // once (and counted); one call always fits when nothing else is in flight.
    async fn the_payload_budget_refuses_at_once(transport) {
        const BUDGET: usize = 64 << 10;
        let builder = Server::builder().max_in_flight_bytes(BUDGET).receive_rate(None);
        let h = Harness::with(transport, builder).await;
        let gate = gate();
        let g = gate.clone();
        h.remotes.functions.echo.set_callback(move |_player, text: String| {
            let gate = g.clone();
            async move {
                pass(&gate).await;
                text.len().to_string()
            }
        });
        let mut raw = h.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let echo = id(&welcome, "echo", RemoteKind::Function);
        let player = h.server.player(welcome.player_id).unwrap();
        // Over the whole budget, but alone: admitted. A small call behind it does not fit.
        raw.send_request(echo, None, &encode_args(&("x".repeat(2 * BUDGET),))).await.unwrap();
        raw.send_request(echo, None, &encode_args(&("y".to_string(),))).await.unwrap();
        let refused = within("refusal", raw.recv()).await.unwrap();
        assert_eq!(refused, Some(RawMessage::ReplyErr { call: 1, error: FunctionError::Cancelled }));
        assert_eq!((player.calls_in_flight(), player.rate_limited()), (1, 1));
        gate.add_permits(1);
        let done = within("big call", raw.recv()).await.unwrap();
        assert!(matches!(done, Some(RawMessage::ReplyOk { call: 0, .. })), "{done:?}");
        eventually("nothing in flight", || player.calls_in_flight() == 0).await;
        // Five calls of 20 KiB: three fit the 64 KiB budget, the next two are refused at once.
        let twenty = encode_args(&("z".repeat(20 << 10),));
        for _ in 0..5 {
            raw.send_request(echo, None, &twenty).await.unwrap();
        }
        for call in [5, 6] {
            let refused = within("refusal", raw.recv()).await.unwrap();
            assert_eq!(refused, Some(RawMessage::ReplyErr { call, error: FunctionError::Cancelled }));
        }
        assert_eq!((player.calls_in_flight(), player.rate_limited()), (3, 3));
        gate.add_permits(3);
        let mut done = Vec::new();
        for _ in 0..3 {
            match within("call", raw.recv()).await.unwrap() {
                Some(RawMessage::ReplyOk { call, .. }) => done.push(call),
                other => panic!("{other:?}"),
            }
        }
        done.sort_unstable();
        assert_eq!(done, [2, 3, 4]);
        assert!(player.is_connected());
    }

    // Issue point 5: an honest client bursting 20,000 concurrent calls, with the server's defaults, is throttled,
    // never refused by disconnection: every call ends Ok or Cancelled, and the client stays connected.
    async fn an_honest_burst_is_throttled_not_disconnected(transport) {
        const CALLS: usize = 20_000;
        let h = Harness::new(transport).await;
        h.remotes.functions.echo.set_callback(|_player, text| async move { text });
        let (client, remotes) = h.client().await;
        let started = tokio::time::Instant::now();
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..CALLS {
            let text = format!("{n}");
            let call = remotes.functions.echo.invoke(text.clone());
            calls.spawn(async move { (call.await, text) });
        }
        let (mut ok, mut cancelled) = (0, 0);
        while let Some(outcome) = tokio::time::timeout(Duration::from_secs(30), calls.join_next())
            .await
            .expect("the burst did not finish")
        {
            match outcome.unwrap() {
                (Ok(echoed), text) => {
                    assert_eq!(echoed, text);
                    ok += 1;
                }
                (Err(FunctionError::Cancelled), _) => cancelled += 1,
                (Err(other), _) => panic!("an honest call failed with {other:?} (after {ok} Ok, {cancelled} Cancelled)"),
            }
        }
        println!("{transport:?}: {ok} Ok, {cancelled} Cancelled in {:?}", started.elapsed());
        assert_eq!(ok + cancelled, CALLS);
        assert!(client.is_connected());
        assert_eq!(within("after", remotes.functions.echo.invoke("after".into())).await, Ok("after".to_string()));
    }

}

/// A valid HELLO frame body (kind byte included) of exactly `len` bytes: a named MessagePack map whose token pads it.
fn hello_of_len(len: usize) -> Vec<u8> {
    let mut body = vec![kinds::HELLO, 0x84];
    body.push(0xa8);
    body.extend(b"protocol");
    body.push(0x01);
    body.push(0xaa);
    body.extend(b"timeout_ms");
    body.extend([0xcd, 0x27, 0x10]);
    body.push(0xa9);
    body.extend(b"max_frame");
    body.extend([0xce, 0x00, 0x10, 0x00, 0x00]);
    body.push(0xa5);
    body.extend(b"token");
    let token = len - body.len() - 3;
    assert!((256..65_536).contains(&token));
    body.push(0xda);
    body.extend((token as u16).to_be_bytes());
    body.extend(std::iter::repeat_n(b't', token));
    assert_eq!(body.len(), len);
    body
}

// Attack 9 (the other side of the slow-peer rule): a peer that reads slowly but steadily, while the server
// sends it more than its queue holds, stays connected however long its queue is full; one that stops is
// disconnected.
async fn slow_reader(transport: Transport) {
    let grace = Duration::from_millis(200);
    let builder = Server::builder()
        .max_queued(64, 64 << 10)
        .slow_peer_grace(grace)
        .keepalive(Duration::from_millis(20), Duration::from_secs(30));
    let h = Harness::with(transport, builder).await;
    let mut reader = h.raw().await;
    let welcome = reader.handshake().await.unwrap();
    let player = h.server.player(welcome.player_id).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let skipped_at = Arc::new(Mutex::new(Vec::new()));
    let (s, p, at) = (stop.clone(), player.clone(), skipped_at.clone());
    let started = tokio::time::Instant::now();
    let blob_event = h.remotes.events.blob.clone();
    let firing = tokio::spawn(async move {
        let blob = vec![9u8; 8 << 10];
        // Bounded: 100,000 events of 8 KiB, more than the test needs.
        for _ in 0..100_000 {
            if s.load(Ordering::SeqCst) || !p.is_connected() {
                break;
            }
            if !blob_event.fire(&p, blob.clone()).all_queued() {
                at.lock().unwrap().push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    // Reads 64 KiB of frames every 20 ms (about 3 MiB/s) for ten times the grace period.
    let mut read = 0usize;
    while started.elapsed() < grace * 10 {
        let mut chunk = 0;
        while chunk < 64 << 10 {
            match within("event", reader.recv()).await.unwrap() {
                Some(RawMessage::Event { args, .. }) => chunk += args.len(),
                Some(_) => chunk += 2,
                None => panic!("the slow but steady reader was disconnected after {:?}", started.elapsed()),
            }
        }
        read += chunk;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(player.is_connected(), "disconnected although it kept reading");
    {
        // Its queue was full (events skipped) throughout, for longer than the grace period.
        let skipped = skipped_at.lock().unwrap();
        let (first, last) = (skipped.first().copied(), skipped.last().copied());
        assert!(
            matches!((first, last), (Some(first), Some(last)) if last - first > grace * 3),
            "the queue was not kept full: skips from {first:?} to {last:?}"
        );
    }
    // Now it stops reading: the queue stays full with nothing written, and it is disconnected.
    disconnected(&player, "the stopped reader").await;
    stop.store(true, Ordering::SeqCst);
    within("firing", firing).await.unwrap();
    assert!(read >= 10 * (64 << 10));
}

mod a_slow_reader_stays_a_stopped_one_goes {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn memory() {
        slow_reader(Transport::Memory).await
    }

    /// Over TCP the writer sees the peer's reading as it happens because the runtime sets `TCP_NOTSENT_LOWAT`
    /// (transport/tcp.rs): without it, Linux reports the socket writable again only once its send buffer
    /// (autotuned up to 4 MiB) has drained to about two thirds, and this reader was disconnected after ~1 s.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tcp() {
        slow_reader(Transport::Tcp).await
    }
}
