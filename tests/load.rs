//! Load (issue #7, point 7): one client floods requests as fast as it can while 20 honest clients keep working. The
//! honest clients' calls all succeed; the flood is held by the in-flight cap and the rate limit; the flooder's
//! state on the server stays bounded.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{Harness, Receipt, Transport, within};
use remotes_runtime::testing::encode_args;
use remotes_runtime::{Direction, Player, RateLimit, RemoteKind, Server};

const HONEST: usize = 20;
const ROUNDS: u32 = 100;

async fn flood_while_honest_clients_work(transport: Transport) {
    // The receive budget is off: this test is about the in-flight cap, the rate limit and the slow-peer rule (the
    // budget has tests/flood.rs). Short timers, so the deaf flooder is found soon after its queue stops moving.
    let builder = Server::builder()
        .max_in_flight(32)
        .max_queued(1024, 1 << 20)
        .receive_rate(None)
        .slow_peer_grace(Duration::from_millis(500))
        .keepalive(Duration::from_millis(100), Duration::from_secs(30));
    let h = Harness::with(transport, builder).await;
    // Far above what one honest client does sequentially, far below what the flood attempts.
    h.server.rate_limit(RateLimit::per_second(1_000.0).burst(100));
    h.remotes.functions.buy_item.set_callback(|_player: Player, item, quantity| async move {
        // Some real work per call, so the flood competes for the server.
        tokio::time::sleep(Duration::from_millis(1)).await;
        Receipt { item, quantity, coins_left: 90 }
    });
    h.remotes.functions.echo.set_callback(|_player, text| async move { text });

    // Flooder A: a client of its own that fires calls as fast as it can (and reads the answers).
    let (flood_client, flood_remotes) = h.client().await;
    let flooder = h.player(&flood_client);
    let stop = Arc::new(AtomicBool::new(false));
    let flooded = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let flooding = {
        let (stop, flooded, refused) = (stop.clone(), flooded.clone(), refused.clone());
        tokio::spawn(async move {
            let mut calls = tokio::task::JoinSet::new();
            while !stop.load(Ordering::SeqCst) {
                for _ in 0..64 {
                    calls.spawn(flood_remotes.functions.buy_item.invoke(1, 1));
                }
                flooded.fetch_add(64, Ordering::SeqCst);
                // Keep at most a few thousand calls of our own open; count the refusals as they come back.
                while calls.len() > 2_000 {
                    if let Some(Ok(Err(_))) = calls.join_next().await {
                        refused.fetch_add(1, Ordering::SeqCst);
                    }
                }
                tokio::task::yield_now().await;
            }
            while let Some(outcome) = calls.join_next().await {
                if let Ok(Err(_)) = outcome {
                    refused.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };

    // Flooder B: a raw client writing requests as fast as it can and never reading a reply.
    let mut deaf = h.raw().await;
    let welcome = deaf.handshake().await.unwrap();
    let buy = welcome.id_of("buy_item", RemoteKind::Function, Direction::ToServer).unwrap();
    let deaf_player = welcome.player_id;
    let deafening = {
        let stop = stop.clone();
        let args = encode_args(&(1u32, 1u8));
        tokio::spawn(async move {
            let len = 2 + args.len();
            let mut batch = Vec::new();
            for _ in 0..256 {
                batch.push(len as u8);
                batch.push(remotes_runtime::testing::kinds::REQUEST);
                batch.push(buy as u8);
                batch.extend(&args);
            }
            while !stop.load(Ordering::SeqCst) {
                if deaf.send_bytes(&batch).await.is_err() {
                    break;
                }
            }
        })
    };

    // Twenty honest clients, each making sequential calls and checking every answer.
    let mut honest = Vec::new();
    for c in 0..HONEST {
        let (client, remotes) = h.client().await;
        honest.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                let item = (c as u32) * 1000 + round;
                assert_eq!(
                    remotes.functions.buy_item.invoke(item, 3).await,
                    Ok(Receipt { item, quantity: 3, coins_left: 90 }),
                    "honest client {c}, round {round}"
                );
                let text = format!("{c}/{round}");
                assert_eq!(remotes.functions.echo.invoke(text.clone()).await, Ok(text));
            }
            client
        }));
    }
    let mut honest_clients = Vec::new();
    for task in honest {
        honest_clients.push(within("honest client", task).await.expect("every honest call succeeded"));
    }
    stop.store(true, Ordering::SeqCst);
    within("flooder", flooding).await.unwrap();
    within("deaf flooder", deafening).await.unwrap();

    // Flooder A was held back by the caps, and never held more than its share of the server.
    assert!(flooded.load(Ordering::SeqCst) > 5_000, "the flood did not flood: {}", flooded.load(Ordering::SeqCst));
    assert!(refused.load(Ordering::SeqCst) > 0, "no call of the flood was refused");
    assert!(flooder.rate_limited() > 0, "the rate limit never engaged");
    assert!(flooder.calls_in_flight() <= 32);
    // Flooder B, which never read its replies, filled its capped queue (its reader then stopped reading it) and, with
    // nothing written to it for the grace period, was disconnected.
    common::eventually("the deaf flooder is gone", || h.server.player(deaf_player).is_none()).await;
    for client in &honest_clients {
        let player = h.player(client);
        assert_eq!((player.rate_limited(), player.bad_requests()), (0, 0));
        assert_eq!(client.pending_calls(), 0);
    }
    assert!(honest_clients.iter().all(|c| c.is_connected()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_does_not_starve_honest_clients_tcp() {
    flood_while_honest_clients_work(Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_does_not_starve_honest_clients_memory() {
    flood_while_honest_clients_work(Transport::Memory).await;
}
