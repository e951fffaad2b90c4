//! Reliability and security (issue #7): authentication, limits, slow and dead peers, shutdown, reconnection.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Harness, Transport, eventually, net, within};
use remotes_runtime::testing::{RawClient, RawMessage, RawServer, encode_args, kinds};
use remotes_runtime::{
    Accept, Client, ConnectError, Direction, Fired, FunctionError, Handshake, Player, Reject, RemoteKind, Server,
};

/// The game data an authentication hook attaches.
#[derive(Debug, PartialEq)]
struct Account {
    coins: u64,
}

fn with_auth(builder: remotes_runtime::ServerBuilder) -> remotes_runtime::ServerBuilder {
    builder.authenticate(|handshake: Handshake| async move {
        match handshake.token.as_deref() {
            Some("alice-secret") => Ok(Accept::new().name("alice").data(Account { coins: 90 })),
            Some("slow") => {
                tokio::time::sleep(Duration::from_millis(150)).await;
                Ok(Accept::new().name("slowpoke"))
            }
            Some("forever") => std::future::pending().await,
            _ => Err(Reject::new("unknown token")),
        }
    })
}

async fn raw(h: &Harness) -> RawClient {
    h.raw().await
}

every_transport! {
    // Point 1: the hook accepts with player data, or rejects with a reason the client receives as a typed error.
    async fn authentication_accepts_or_rejects(transport) {
        let h = Harness::with(transport, with_auth(Server::builder())).await;
        h.remotes.functions.whoami.set_callback(|player: Player| async move {
            assert_eq!(player.name(), Some("alice"));
            player.data::<Account>().map_or(0, |account| account.coins)
        });
        let (client, remotes) = h.client_with(Client::builder().auth_token("alice-secret")).await;
        assert_eq!(within("whoami", remotes.functions.whoami.invoke()).await, Ok(90));
        let player = h.player(&client);
        assert_eq!(player.name(), Some("alice"));
        assert_eq!(player.data::<Account>(), Some(&Account { coins: 90 }));
        assert_eq!(player.data::<String>(), None);

        for builder in [Client::builder().auth_token("wrong"), Client::builder()] {
            match h.connect(builder).await {
                Err(ConnectError::Rejected { reason }) => assert_eq!(reason, "unknown token"),
                other => panic!("expected a rejection, got {other:?}"),
            }
        }
        assert_eq!(h.server.players().len(), 1);
    }

    // Point 1: no remote is reachable before acceptance: frames sent early wait, and die with a refused connection.
    async fn nothing_is_reachable_before_acceptance(transport) {
        let calls = Arc::new(AtomicUsize::new(0));
        let at_acceptance = Arc::new(Mutex::new(Vec::new()));
        let (c, seen) = (calls.clone(), at_acceptance.clone());
        let builder = Server::builder().authenticate(move |handshake: Handshake| {
            let (c, seen) = (c.clone(), seen.clone());
            async move {
                // Give early frames every chance to be (wrongly) dispatched before deciding.
                tokio::time::sleep(Duration::from_millis(100)).await;
                seen.lock().unwrap().push(c.load(Ordering::SeqCst));
                match handshake.token.as_deref() {
                    Some("ok") => Ok(Accept::new().name("late")),
                    _ => Err(Reject::new("unknown token")),
                }
            }
        });
        let h = Harness::with(transport, builder).await;
        let c = calls.clone();
        h.remotes.functions.whoami.set_callback(move |player: Player| {
            c.fetch_add(1, Ordering::SeqCst);
            async move { player.id() }
        });
        let whoami = net::interface().remotes().iter().position(|r| r.name == "whoami").unwrap() as u32;
        // Refused: the request sent right behind HELLO never runs.
        let mut refused = raw(&h).await.with_token("wrong");
        refused.send_hello().await.unwrap();
        refused.send_request(whoami, None, &encode_args(&())).await.unwrap();
        let answered = within("refusal", refused.recv_until_closed()).await.unwrap();
        assert!(matches!(answered.as_slice(), [RawMessage::Reject(_)]), "{answered:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        // Accepted after the hook took its time: the early request runs only after acceptance, as that player.
        let mut late = raw(&h).await.with_token("ok");
        late.send_hello().await.unwrap();
        late.send_request(whoami, None, &encode_args(&())).await.unwrap();
        let welcome = within("welcome", late.recv()).await.unwrap().unwrap();
        assert!(matches!(welcome, RawMessage::Welcome(_)), "{welcome:?}");
        let reply = within("reply", late.recv_matching(|m| matches!(m, RawMessage::ReplyOk { .. }))).await.unwrap();
        assert!(reply.is_some());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(*at_acceptance.lock().unwrap(), vec![0, 0], "a callback ran before its client was accepted");
        assert_eq!(h.server.players()[0].name(), Some("late"));
    }

    // Point 1: the handshake has its own deadline, authentication included.
    async fn the_handshake_has_a_deadline(transport) {
        let builder = with_auth(Server::builder().handshake_timeout(Duration::from_millis(100)));
        let h = Harness::with(transport, builder).await;
        match within("connect", h.connect(Client::builder().auth_token("forever"))).await {
            Err(ConnectError::Rejected { reason }) => assert!(reason.contains("in time"), "{reason}"),
            other => panic!("expected a rejection, got {other:?}"),
        }
        // A client that never says HELLO is dropped at the deadline too.
        let mut silent = raw(&h).await;
        let seen = within("close", silent.recv_until_closed()).await.unwrap();
        assert!(seen.iter().all(|m| matches!(m, RawMessage::Reject(_))), "{seen:?}");
        assert!(h.server.players().is_empty());
    }

    // Points 2 and 3: a client that stops reading cannot grow the server's queue past its cap, does not delay the
    // others, and is disconnected when its queue stays full past the grace period.
    async fn a_slow_client_is_capped_then_disconnected(transport) {
        let builder = Server::builder()
            .max_queued(64, 256 << 10)
            .slow_peer_grace(Duration::from_millis(200))
            .keepalive(Duration::from_millis(50), Duration::from_secs(30));
        let h = Harness::with(transport, builder).await;
        h.remotes.functions.echo.set_callback(|_player, text| async move { text });
        let removed = Arc::new(Mutex::new(Vec::new()));
        let r = removed.clone();
        h.server.on_player_removing(move |player| r.lock().unwrap().push(player.id()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (honest, honest_remotes) = h.client().await;
        honest_remotes.events.blob.connect(move |bytes: Vec<u8>| {
            let tx = tx.clone();
            async move { tx.send(bytes.len()).unwrap() }
        });
        // The slow client: it completes the handshake and then never reads again.
        let mut stuck = raw(&h).await;
        let welcome = stuck.handshake().await.unwrap();
        let stuck_player = h.server.player(welcome.player_id).unwrap();
        let call = tokio::spawn(h.remotes.functions.confirm.invoke(&stuck_player, "?".into()).timeout(Duration::from_secs(60)));
        let blob = vec![7u8; 32 << 10];
        let mut total = Fired::default();
        for _ in 0..400 {
            let fired = h.remotes.events.blob.broadcast(blob.clone());
            total.queued += fired.queued;
            total.skipped += fired.skipped;
            // The honest client keeps getting everything, in time.
            assert_eq!(within("blob", rx.recv()).await, Some(blob.len()));
            if !stuck_player.is_connected() {
                break;
            }
        }
        assert!(total.skipped > 0, "the stuck client's queue never filled: {total:?}");
        // Capped: it never took more than its share; then the grace period ran out and it was disconnected.
        eventually("stuck client removed", || removed.lock().unwrap().contains(&welcome.player_id)).await;
        assert_eq!(within("call", call).await.unwrap(), Err(FunctionError::Disconnected));
        assert!(honest.is_connected());
        assert_eq!(within("echo", honest_remotes.functions.echo.invoke("still here".into())).await, Ok("still here".to_string()));
    }

    // Point 4: a silent peer (no FIN, no answers to pings) is detected by the server within the idle timeout.
    async fn a_silent_client_is_detected(transport) {
        let builder = Server::builder().keepalive(Duration::from_millis(30), Duration::from_millis(150));
        let h = Harness::with(transport, builder).await;
        let mut silent = raw(&h).await;
        let welcome = silent.handshake().await.unwrap();
        let player = h.server.player(welcome.player_id).unwrap();
        let call = tokio::spawn(h.remotes.functions.confirm.invoke(&player, "?".into()).timeout(Duration::from_secs(60)));
        eventually("player removed", || h.server.players().is_empty()).await;
        assert_eq!(within("call", call).await.unwrap(), Err(FunctionError::Disconnected));
        // A peer that answers pings stays, however long it is otherwise quiet.
        let mut polite = raw(&h).await;
        polite.handshake().await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
        while tokio::time::Instant::now() < deadline {
            match tokio::time::timeout(Duration::from_millis(50), polite.recv()).await {
                Ok(Ok(Some(RawMessage::Ping))) => polite.send_frame(kinds::PONG, &[]).await.unwrap(),
                Ok(Ok(Some(_))) | Err(_) => {}
                Ok(other) => panic!("the polite client was dropped: {other:?}"),
            }
        }
        assert_eq!(h.server.players().len(), 1);
    }

    // Point 5: shutdown stops accepting, settles every call on both sides, runs player-removing callbacks, and
    // leaves no task running.
    async fn graceful_shutdown(transport) {
        let h = Harness::new(transport).await;
        let removing = Arc::new(AtomicUsize::new(0));
        let r = removing.clone();
        h.server.on_player_removing(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
        });
        h.remotes.functions.slow.set_callback(|_player, millis| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        });
        let mut clients = Vec::new();
        let mut client_calls = Vec::new();
        let mut server_calls = Vec::new();
        for _ in 0..3 {
            let (client, remotes) = h.client().await;
            remotes.functions.client_slow.set_callback(|millis| async move {
                tokio::time::sleep(Duration::from_millis(millis)).await;
            });
            client_calls.push(tokio::spawn(remotes.functions.slow.invoke(60_000)));
            let player = h.player(&client);
            server_calls.push(tokio::spawn(h.remotes.functions.client_slow.invoke(&player, 60_000)));
            clients.push((client, remotes));
        }
        for (client, _) in &clients {
            let player = h.player(client);
            eventually("calls in flight", || player.calls_in_flight() == 1 && client.calls_in_flight() == 1).await;
        }
        within("shutdown", h.server.shutdown()).await;
        // Exact once `shutdown` returned: every client has seen its connection close.
        for (client, _) in &clients {
            assert!(!client.is_connected());
        }
        for call in client_calls {
            // The server abandoned the calls it was handling.
            assert_eq!(within("client call", call).await.unwrap(), Err(FunctionError::Cancelled));
        }
        for call in server_calls {
            assert_eq!(within("server call", call).await.unwrap(), Err(FunctionError::Disconnected));
        }
        assert_eq!(removing.load(Ordering::SeqCst), 3);
        assert!(h.server.players().is_empty());
        for (client, _) in &clients {
            within("client closed", client.closed()).await;
        }
        // No new connection is accepted.
        assert!(h.connect(Client::builder().handshake_timeout(Duration::from_millis(300))).await.is_err());
        drop(clients);
        eventually("no task left", || tokio::runtime::Handle::current().metrics().num_alive_tasks() == 0).await;
    }

    // Flushing before closing: every event fired before `flush` arrives, whichever side closes.
    async fn flush_before_close_loses_nothing(transport) {
        let h = Harness::new(transport).await;
        let heard = Arc::new(AtomicUsize::new(0));
        let counter = heard.clone();
        h.remotes.events.seq.connect(move |_player, _n| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {}
        });
        let (client, remotes) = h.client().await;
        for n in 0..1000 {
            remotes.events.seq.fire(n);
        }
        within("client flush", client.flush()).await;
        client.close();
        eventually("all 1000 heard", || heard.load(Ordering::SeqCst) == 1000).await;

        let (client, remotes) = h.client().await;
        let got = Arc::new(AtomicUsize::new(0));
        let counter = got.clone();
        remotes.events.ping.connect(move |_n| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {}
        });
        let player = h.player(&client);
        for n in 0..1000 {
            h.remotes.events.ping.fire(&player, n);
        }
        within("player flush", player.flush()).await;
        player.disconnect();
        eventually("all 1000 received", || got.load(Ordering::SeqCst) == 1000).await;
        within("closed", client.closed()).await;
    }

    // Point 8: a client that loses its connection reports it and can connect again.
    async fn a_client_notices_the_loss_and_reconnects(transport) {
        let h = Harness::new(transport).await;
        h.remotes.functions.whoami.set_callback(|player: Player| async move { player.id() });
        h.remotes.functions.slow.set_callback(|_player, millis| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        });
        let (client, remotes) = h.client().await;
        let first = client.player_id();
        let in_flight = tokio::spawn(remotes.functions.slow.invoke(60_000));
        let player = h.player(&client);
        eventually("call in flight", || player.calls_in_flight() == 1).await;
        player.disconnect();
        within("loss reported", client.closed()).await;
        assert!(!client.is_connected());
        // Calls in flight when the connection was lost settle Disconnected; they are not replayed.
        assert_eq!(within("in flight", in_flight).await.unwrap(), Err(FunctionError::Disconnected));
        let again = within("reconnect", client.reconnect()).await.unwrap();
        let remotes = again.remotes().clone();
        assert_ne!(again.player_id(), first);
        assert_eq!(within("whoami", remotes.functions.whoami.invoke()).await, Ok(again.player_id()));
    }
}

// Point 4, client side: a server that stops answering is detected within the client's idle timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_is_detected() {
    let dead = RawServer::bind().await.unwrap();
    let addr = dead.local_addr().unwrap();
    let accepting = tokio::spawn(async move {
        let conn = dead.accept(1).await.unwrap();
        // Hold the connection open and say nothing.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(conn);
    });
    let client = Client::builder()
        .keepalive(Duration::from_millis(30), Duration::from_millis(150))
        .connect::<net::Api>(addr)
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    within("client gave up", client.closed()).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    accepting.abort();
}

// Point 2: limits on calls in flight per player: excess answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excess_calls_in_flight_are_refused_at_once() {
    let h = Harness::with(Transport::Memory, Server::builder().max_in_flight(4)).await;
    h.remotes.functions.slow.set_callback(|_player, millis| async move {
        tokio::time::sleep(Duration::from_millis(millis)).await;
    });
    let mut raw = h.raw().await;
    let welcome = raw.handshake().await.unwrap();
    let slow = welcome.id_of("slow", RemoteKind::Function, Direction::ToServer).unwrap();
    for _ in 0..10 {
        raw.send_request(slow, None, &encode_args(&(60_000u64,))).await.unwrap();
    }
    for call in 4..10 {
        let reply = within("refusal", raw.recv()).await.unwrap();
        assert_eq!(reply, Some(RawMessage::ReplyErr { call, error: FunctionError::Cancelled }));
    }
    assert_eq!(h.server.player(welcome.player_id).unwrap().calls_in_flight(), 4);
}

// Point 2: connection limits, per address and in total; a refused connection is closed before its handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limits_per_address_and_in_total() {
    let h = Harness::with(Transport::Tcp, Server::builder().max_connections_per_address(2)).await;
    let (first, _) = h.client().await;
    let (_second, _) = h.client().await;
    assert!(within("refused", h.connect(Client::builder())).await.is_err(), "a third connection from 127.0.0.1");
    assert_eq!(h.server.players().len(), 2);
    drop(first);
    eventually("a place is free again", || h.server.players().len() == 1).await;
    let (_third, remotes) = h.client().await;
    h.remotes.functions.echo.set_callback(|_player, text| async move { text });
    assert_eq!(within("echo", remotes.functions.echo.invoke("in".into())).await, Ok("in".to_string()));

    let m = Harness::with(Transport::Memory, Server::builder().max_connections(1)).await;
    let (_only, _) = m.client().await;
    assert!(within("refused", m.connect(Client::builder())).await.is_err(), "a second connection in all");
    assert_eq!(m.server.players().len(), 1);
}

// `flush` waits for the transport to take everything queued: behind a peer that is not reading yet, it waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_waits_until_the_queue_is_written() {
    let h = Harness::new(Transport::Memory).await;
    let mut raw = h.raw().await;
    let welcome = raw.handshake().await.unwrap();
    let player = h.server.player(welcome.player_id).unwrap();
    let blob = vec![1u8; 4 << 10];
    for _ in 0..200 {
        h.remotes.events.blob.fire(&player, blob.clone());
    }
    // 200 events of 4 KiB cannot fit the 256 KiB in-process pipe while nobody reads.
    let mut flushing = Box::pin(player.flush());
    assert!(tokio::time::timeout(Duration::from_millis(200), &mut flushing).await.is_err(), "flush resolved early");
    let mut events = 0;
    while events < 200 {
        if let Some(RawMessage::Event { .. }) = within("event", raw.recv()).await.unwrap() {
            events += 1;
        }
    }
    within("flush", flushing).await;
}
