//! Hostile input (issue #7, point 6; issue #10, point 6): at least 100,000 generated and mutated frames against a
//! live server, over each transport, while an honest client keeps getting correct answers. Nothing may panic,
//! nothing may grow without bound, and no other player may notice. (In its own test binary: it counts panics through
//! a process-wide hook.)

mod common;

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{Harness, Receipt, Rng, Transport, within};
use remotes_runtime::testing::{RawClient, encode_args, frame, kinds, varint};
use remotes_runtime::{Player, Server};

/// Valid argument payloads for the server's remotes, to mutate.
fn seeds() -> Vec<Vec<u8>> {
    vec![
        encode_args(&(7u32, 2u8)),
        encode_args(&("hello".to_string(),)),
        encode_args(&()),
        encode_args(&(60_000u64,)),
        encode_args(&(1.0f32, 2.0f32, 3.0f32)),
        encode_args(&(vec![1u8; 40],)),
    ]
}

/// One hostile piece of input: usually a frame, sometimes raw garbage.
fn hostile(rng: &mut Rng, remote_count: u32) -> Vec<u8> {
    let seeds = seeds();
    let mut args = seeds[rng.below(seeds.len() as u64) as usize].clone();
    match rng.below(6) {
        // Mutate a valid payload: flip bits, cut it short, or add bytes.
        0 => {
            for _ in 0..=rng.below(3) {
                let at = rng.below(args.len() as u64) as usize;
                args[at] ^= 1 << rng.below(8);
            }
        }
        1 => args.truncate(rng.below(args.len() as u64 + 1) as usize),
        2 => {
            let len = 1 + rng.below(8) as usize;
            let extra = rng.bytes(len);
            args.extend(extra);
        }
        3 => {
            let len = rng.below(64) as usize;
            args = rng.bytes(len);
        }
        // Deeply nested MessagePack: arrays in arrays, ten thousand deep.
        4 => {
            args = vec![0x91; 10_000];
            args.push(0xc0);
        }
        _ => {}
    }
    let remote = if rng.chance(80) { rng.below(u64::from(remote_count)) as u32 } else { rng.next() as u32 };
    let mut header = Vec::new();
    header.extend(varint(remote));
    match rng.below(100) {
        0..=44 => {
            header.extend(&args);
            frame(kinds::REQUEST, &[], &header)
        }
        45..=56 => {
            header.extend(varint(rng.below(50_000) as u32));
            header.extend(&args);
            frame(kinds::REQUEST_TIMED, &[], &header)
        }
        57..=79 => {
            header.extend(&args);
            frame(kinds::EVENT, &[], &header)
        }
        // Cancellations for calls that were never made.
        80..=92 => {
            let mut body = Vec::new();
            body.extend(varint(rng.next() as u32));
            frame(kinds::CANCEL, &[], &body)
        }
        // Unknown kinds, handshake kinds after the handshake, empty bodies.
        93..=98 => frame(rng.next() as u8, &[], &args),
        // Raw bytes: truncated frames, absurd lengths, noise. These usually end the connection.
        _ => {
            let len = 1 + rng.below(16) as usize;
            rng.bytes(len)
        }
    }
}

/// A reply to a call the server never made, well-formed or not. It breaks the reply accounting, so the server
/// closes the connection on it (PROTOCOL.md section 9): batches end with one now and then, not mid-batch, so the
/// frames before it are all read.
fn hostile_reply(rng: &mut Rng) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(varint(rng.next() as u32));
    match rng.below(3) {
        0 => {
            let len = rng.below(16) as usize;
            body.extend(rng.bytes(len));
            frame(kinds::REPLY_OK, &[], &body)
        }
        1 => {
            body.push(rng.next() as u8);
            frame(kinds::REPLY_ERR, &[], &body)
        }
        // Cut short, or with more than one code byte.
        _ => {
            let len = rng.below(4) as usize;
            body.truncate(len.min(body.len()));
            body.extend(rng.bytes(len));
            frame(if rng.chance(50) { kinds::REPLY_OK } else { kinds::REPLY_ERR }, &[], &body)
        }
    }
}

/// Panics anywhere in this test binary, counted by a hook installed once (the tests run in parallel).
fn panics() -> &'static AtomicUsize {
    static PANICS: OnceLock<&'static AtomicUsize> = OnceLock::new();
    PANICS.get_or_init(|| {
        let counter: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            counter.fetch_add(1, Ordering::SeqCst);
            default_hook(info);
        }));
        counter
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_hostile_frames_hurt_nobody_memory() {
    a_hundred_thousand_hostile_frames_hurt_nobody(Transport::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_hostile_frames_hurt_nobody_tcp() {
    a_hundred_thousand_hostile_frames_hurt_nobody(Transport::Tcp).await;
}

async fn a_hundred_thousand_hostile_frames_hurt_nobody(transport: Transport) {
    let panics = panics();

    let builder = Server::builder()
        .max_frame_len(64 << 10)
        .max_in_flight(64)
        .slow_peer_grace(Duration::from_millis(200))
        .keepalive(Duration::from_millis(100), Duration::from_secs(30))
        .rejection_log_level(tracing::Level::DEBUG);
    let h = Harness::with(transport, builder).await;
    let r = &h.remotes;
    r.functions
        .buy_item
        .set_callback(|_player: Player, item, quantity| async move { Receipt { item, quantity, coins_left: 90 } });
    r.functions.echo.set_callback(|_player, text| async move { text });
    r.functions.slow.set_callback(|_player, millis| async move {
        tokio::time::sleep(Duration::from_millis(millis.min(50))).await;
    });
    r.functions.record.set_callback(|_player, _n| async move {});
    r.events.chat.connect(|_player, _text| async move {});
    r.events.moved.connect(|_player, _x, _y, _z| async move {});

    // The honest client works throughout.
    let (honest, honest_remotes) = h.client().await;
    let honest_player = h.player(&honest);
    let stop = Arc::new(AtomicBool::new(false));
    let honest_calls = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::SeqCst) {
                let receipt = honest_remotes.functions.buy_item.invoke(n, (n % 200) as u8).await;
                assert_eq!(receipt, Ok(Receipt { item: n, quantity: (n % 200) as u8, coins_left: 90 }));
                let text = format!("call {n}");
                assert_eq!(honest_remotes.functions.echo.invoke(text.clone()).await, Ok(text));
                n += 1;
                tokio::task::yield_now().await;
            }
            n
        })
    };

    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let remote_count = common::net::interface().remotes().len() as u32;
    let mut sent = 0usize;
    let mut connections = 0usize;
    let mut raw: Option<RawClient> = None;
    while sent < 100_000 {
        let conn = match raw.as_mut() {
            Some(conn) => conn,
            None => {
                let mut fresh = h.raw().await;
                fresh.handshake().await.expect("handshake");
                connections += 1;
                raw.insert(fresh)
            }
        };
        let mut batch = Vec::new();
        for _ in 0..64 {
            batch.extend(hostile(&mut rng, remote_count));
            sent += 1;
        }
        if rng.chance(10) {
            batch.extend(hostile_reply(&mut rng));
            sent += 1;
        }
        if tokio::time::timeout(Duration::from_secs(5), conn.send_bytes(&batch)).await.map_or(true, |r| r.is_err()) {
            // The server closed this connection (an unreadable frame, or its queue of unread replies stayed full):
            // open another one.
            raw = None;
        }
    }
    stop.store(true, Ordering::SeqCst);
    let honest_rounds = within("honest client", honest_calls).await.expect("the honest client's checks held");
    assert!(honest_rounds > 0);
    assert_eq!(panics.load(Ordering::SeqCst), 0, "something panicked");
    assert_eq!(honest_player.bad_requests(), 0);
    assert!(honest.is_connected());
    // Nothing was left behind: at most the honest player and the last hostile one remain, with bounded state.
    drop(raw);
    common::eventually("hostile players gone", || h.server.players().len() == 1).await;
    assert_eq!(honest.pending_calls(), 0);
    println!(
        "{transport:?}: {sent} hostile frames over {connections} connections; the honest client made {honest_rounds} rounds"
    );
}
