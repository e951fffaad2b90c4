//! Remote functions, both directions, over both transports: every behaviour issue #2 promises.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{Harness, Logs, Receipt, Transport, eventually, net, net_v2, within};
use remotes_runtime::testing::{RawMessage, encode, encode_args};
use remotes_runtime::{Client, ConnectError, Direction, FunctionError, MismatchKind, Player, RemoteKind, Server};

fn receipt(item: u32, quantity: u8) -> Receipt {
    Receipt { item, quantity, coins_left: 90 }
}

fn set_shop(h: &Harness) {
    h.remotes.functions.buy_item.set_callback(|_player: Player, item, quantity| async move { receipt(item, quantity) });
    h.remotes.functions.echo.set_callback(|_player, text| async move { text });
    h.remotes.functions.whoami.set_callback(|player: Player| async move { player.id() });
    h.remotes.functions.slow.set_callback(|_player, millis| async move {
        tokio::time::sleep(Duration::from_millis(millis)).await;
    });
}

// The API's promises about threads: everything users hold or await can cross tasks.
#[test]
fn handles_and_futures_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send + 'static>(_: &T) {}
    send_sync::<Server>();
    send_sync::<Client>();
    send_sync::<Player>();
    send_sync::<net::server::Remotes>();
    send_sync::<net::client::Remotes>();
    send_sync::<FunctionError>();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let server = Server::builder().in_memory::<net::Api>();
        server.start();
        let on_server = server.remotes();
        let client = Client::connect_in_memory(&server).await.unwrap();
        let remotes = client.remotes();
        let player = server.players()[0].clone();
        send(&remotes.functions.buy_item.invoke(1, 1));
        send(&on_server.functions.confirm.invoke(&player, String::new()));
        send(&on_server.functions.buy_item.predict(&player, 1, 1));
        send(&remotes.functions.confirm.predict(String::new()));
    });
}

#[test]
fn function_error_is_a_std_error_with_value_semantics() {
    fn traits<E: std::error::Error + std::fmt::Display + Clone + PartialEq + Eq + Send + Sync + 'static>() {}
    traits::<FunctionError>();
    assert_eq!(FunctionError::Timeout.to_string(), "the remote call timed out");
    assert_ne!(FunctionError::Timeout, FunctionError::Disconnected);
}

every_transport! {
    // Point 2: invoke resolves with the callback's value, both directions.
    async fn invoke_returns_the_callbacks_value(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let (client, remotes) = h.client().await;
        assert_eq!(within("buy", remotes.functions.buy_item.invoke(7, 2)).await, Ok(receipt(7, 2)));

        remotes.functions.confirm.set_callback(|prompt: String| async move { prompt.len() < 20 });
        let player = h.player(&client);
        assert_eq!(within("confirm", h.remotes.functions.confirm.invoke(&player, "Sell?".into())).await, Ok(true));
        let long = "x".repeat(30);
        assert_eq!(within("confirm", h.remotes.functions.confirm.invoke(&player, long)).await, Ok(false));
        assert_eq!(client.pending_calls(), 0);
        assert_eq!(player.pending_calls(), 0);
    }

    // Point 2: the per-call timeout and the builder's default timeout, on both sides.
    async fn timeouts_per_call_and_per_builder(transport) {
        let h = Harness::with(transport, Server::builder().default_timeout(Duration::from_millis(100))).await;
        set_shop(&h);
        let (client, remotes) = h.client_with(Client::builder().default_timeout(Duration::from_millis(100))).await;
        assert_eq!(within("slow", remotes.functions.slow.invoke(5_000)).await, Err(FunctionError::Timeout));
        let late = remotes.functions.slow.invoke(5_000).timeout(Duration::from_millis(50));
        assert_eq!(within("slow", late).await, Err(FunctionError::Timeout));
        // A longer per-call timeout lets a slow call finish.
        let patient = remotes.functions.slow.invoke(150).timeout(Duration::from_secs(5));
        assert_eq!(within("slow", patient).await, Ok(()));

        remotes.functions.client_slow.set_callback(|millis| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        });
        let player = h.player(&client);
        assert_eq!(within("client_slow", h.remotes.functions.client_slow.invoke(&player, 5_000)).await, Err(FunctionError::Timeout));
        let late = h.remotes.functions.client_slow.invoke(&player, 5_000).timeout(Duration::from_millis(50));
        assert_eq!(within("client_slow", late).await, Err(FunctionError::Timeout));
        assert_eq!(client.pending_calls(), 0);
        assert_eq!(player.pending_calls(), 0);
    }

    // Issue #16: a shorter per-call timeout listed after calls with the default one settles at its own deadline,
    // not behind theirs, and settles only its own call; a call with the default timeout is not settled early.
    async fn a_shorter_timeout_is_not_held_behind_longer_ones(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let builder = Client::builder().default_timeout(Duration::from_secs(5));
        let (client, remotes) = h.client_with(builder).await;
        remotes.functions.client_slow.set_callback(|millis| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        });
        let player = h.player(&client);
        let long = common::sent(remotes.functions.slow.invoke(60_000));
        let long_down = common::sent(h.remotes.functions.client_slow.invoke(&player, 60_000).timeout(Duration::from_secs(5)));
        let start = tokio::time::Instant::now();
        let short = remotes.functions.slow.invoke(60_000).timeout(Duration::from_millis(50));
        assert_eq!(within("short", short).await, Err(FunctionError::Timeout));
        let short_down = h.remotes.functions.client_slow.invoke(&player, 60_000).timeout(Duration::from_millis(50));
        assert_eq!(within("short_down", short_down).await, Err(FunctionError::Timeout));
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(100), "settled early: {elapsed:?}");
        assert!(elapsed < Duration::from_secs(4), "held behind the 5 s deadlines: {elapsed:?}");
        // The longer calls are still pending.
        assert_eq!((client.pending_calls(), player.pending_calls()), (1, 1));
        drop((long, long_down));
        eventually("cancelled", || client.pending_calls() == 0 && player.pending_calls() == 0).await;
    }

    // Point 2: the receiver learns the remaining deadline and stops a handler that outlives it.
    async fn the_receiver_stops_a_handler_past_the_deadline(transport) {
        let h = Harness::new(transport).await;
        let finished = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicBool::new(false));
        let (f, s) = (finished.clone(), started.clone());
        h.remotes.functions.slow.set_callback(move |_player, millis| {
            let (f, s) = (f.clone(), s.clone());
            async move {
                s.store(true, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(millis)).await;
                f.store(true, Ordering::SeqCst);
            }
        });
        let (client, remotes) = h.client().await;
        let player = h.player(&client);
        let call = remotes.functions.slow.invoke(400).timeout(Duration::from_millis(100));
        assert_eq!(within("slow", call).await, Err(FunctionError::Timeout));
        assert!(started.load(Ordering::SeqCst));
        // The handler was stopped at its deadline: it is no longer in flight, and it never finishes.
        eventually("handler stopped", || player.calls_in_flight() == 0).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!finished.load(Ordering::SeqCst), "the handler ran past the call's deadline");
    }

    // Point 3, Timeout: the entry is removed and a late reply is dropped; later calls get their own replies.
    async fn late_replies_are_dropped(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        h.remotes.functions.sync.set_callback(|_player, x| async move {
            if x == 0 {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            x
        });
        let (client, remotes) = h.client().await;
        let timed_out = remotes.functions.sync.invoke(0).timeout(Duration::from_millis(20));
        assert_eq!(within("sync", timed_out).await, Err(FunctionError::Timeout));
        assert_eq!(client.pending_calls(), 0);
        // While the late reply is still coming, and after it came, every call gets its own value.
        for x in 1..20 {
            assert_eq!(within("sync", remotes.functions.sync.invoke(x)).await, Ok(x));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    // Point 3, Unprocessed: no callback (answered at once), or a panicking callback; the server keeps serving.
    async fn unprocessed_when_no_callback_or_a_panic(transport) {
        let h = Harness::with(transport, Server::builder().default_timeout(Duration::from_secs(30))).await;
        set_shop(&h);
        h.remotes.functions.panics.set_callback(|_player| async move { panic!("callback bug") });
        let (client, remotes) = h.client_with(Client::builder().default_timeout(Duration::from_secs(30))).await;
        let (other, other_remotes) = h.client().await;
        // "At once": far below the 30 s timeout, bounded by `within`'s 10 s.
        assert_eq!(within("unhandled", remotes.functions.unhandled.invoke()).await, Err(FunctionError::Unprocessed));
        assert_eq!(within("panics", remotes.functions.panics.invoke()).await, Err(FunctionError::Unprocessed));
        assert_eq!(within("buy", remotes.functions.buy_item.invoke(1, 1)).await, Ok(receipt(1, 1)));
        assert_eq!(within("buy", other_remotes.functions.buy_item.invoke(2, 2)).await, Ok(receipt(2, 2)));
        // Server -> client: the client has no callback for `confirm`.
        let player = h.player(&client);
        assert_eq!(within("confirm", h.remotes.functions.confirm.invoke(&player, "?".into())).await, Err(FunctionError::Unprocessed));
        drop(other);
    }

    // Point 3, Cancelled: the receiver refuses a request over its in-flight limit, at once.
    async fn cancelled_over_the_in_flight_limit(transport) {
        let h = Harness::with(transport, Server::builder().max_in_flight(2)).await;
        set_shop(&h);
        let (client, remotes) = h.client().await;
        let player = h.player(&client);
        let first = tokio::spawn(remotes.functions.slow.invoke(300));
        let second = tokio::spawn(remotes.functions.slow.invoke(300));
        eventually("two calls in flight", || player.calls_in_flight() == 2).await;
        assert_eq!(within("third", remotes.functions.echo.invoke("x".into())).await, Err(FunctionError::Cancelled));
        assert_eq!(first.await.unwrap(), Ok(()));
        assert_eq!(second.await.unwrap(), Ok(()));
        assert_eq!(within("after", remotes.functions.echo.invoke("x".into())).await, Ok("x".to_string()));
    }

    // Point 3, Cancelled: dropping an `invoke` future tells the receiver, which aborts the handler.
    // Issue #11, point 2: calls are lazy. Ten `invoke`s created and dropped without being polled send nothing (the
    // callback runs once, for the call that is awaited); a call's future sends when first polled, in both
    // directions, and its own deadline is set the same way on both sides.
    async fn unpolled_invokes_send_nothing(transport) {
        let h = Harness::new(transport).await;
        let bought = Arc::new(AtomicUsize::new(0));
        let b = bought.clone();
        h.remotes.functions.record.set_callback(move |_player, _n| {
            b.fetch_add(1, Ordering::SeqCst);
            async {}
        });
        let (client, remotes) = h.client().await;
        let player = h.player(&client);
        for n in 0..10 {
            drop(remotes.functions.record.invoke(n));
        }
        assert_eq!(client.pending_calls(), 0, "an unpolled call is not pending");
        // Callbacks start in arrival order: had the ten been sent, they would have run before this one.
        within("the awaited call", remotes.functions.record.invoke(99)).await.unwrap();
        assert_eq!(bought.load(Ordering::SeqCst), 1);

        let asked = Arc::new(AtomicUsize::new(0));
        let a = asked.clone();
        remotes.functions.confirm.set_callback(move |_prompt| {
            a.fetch_add(1, Ordering::SeqCst);
            async { true }
        });
        for _ in 0..10 {
            drop(h.remotes.functions.confirm.invoke(&player, "buy?".to_string()));
        }
        assert_eq!(player.pending_calls(), 0);
        assert_eq!(within("the awaited call", h.remotes.functions.confirm.invoke(&player, "ok?".into())).await, Ok(true));
        assert_eq!(asked.load(Ordering::SeqCst), 1);

        // A call's own deadline, the same way on both sides, counted from when it is sent.
        h.remotes.functions.slow.set_callback(|_player, millis| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        });
        remotes.functions.client_slow.set_callback(|millis| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        });
        let late = remotes.functions.slow.invoke(5_000).timeout(Duration::from_millis(30));
        let late_down = h.remotes.functions.client_slow.invoke(&player, 5_000).timeout(Duration::from_millis(30));
        // Created long before they are polled: the deadline has not started.
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(client.pending_calls(), 0);
        let (up, down) = tokio::join!(late, late_down);
        assert_eq!((up, down), (Err(FunctionError::Timeout), Err(FunctionError::Timeout)));
        let quick = remotes.functions.slow.invoke(1).timeout(Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(within("a call whose deadline starts when it is sent", quick).await, Ok(()));
    }

    async fn dropping_an_invoke_aborts_the_handler(transport) {
        let h = Harness::new(transport).await;
        let finished = Arc::new(AtomicBool::new(false));
        let f = finished.clone();
        h.remotes.functions.slow.set_callback(move |_player, millis| {
            let f = f.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                f.store(true, Ordering::SeqCst);
            }
        });
        let (client, remotes) = h.client().await;
        let player = h.player(&client);
        let call = common::sent(remotes.functions.slow.invoke(300));
        eventually("handler running", || player.calls_in_flight() == 1).await;
        drop(call);
        assert_eq!(client.pending_calls(), 0);
        eventually("handler aborted", || player.calls_in_flight() == 0).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(!finished.load(Ordering::SeqCst), "the handler kept running after the caller dropped the call");
    }

    // Point 3, BadRequest: wrong arity, wrong type, trailing data. The connection stays open; other calls go on.
    async fn bad_requests_keep_the_connection(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let mut raw = h.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let buy = welcome.id_of("buy_item", RemoteKind::Function, Direction::ToServer).unwrap();
        let echo = welcome.id_of("echo", RemoteKind::Function, Direction::ToServer).unwrap();
        let mut trailing = encode(&(7u32, 2u8));
        trailing.push(0xc0);
        let bad_payloads = [
            encode(&(7u32,)),                     // too few arguments
            encode(&(7u32, 2u8, 3u8)),            // too many
            encode(&("seven", 2u8)),              // wrong type
            encode(&(7u32, 300u32)),              // out of the declared type's range
            trailing,                             // trailing data
            vec![0xc1],                           // not MessagePack at all
            Vec::new(),                           // nothing
        ];
        for (call, payload) in bad_payloads.iter().enumerate() {
            raw.send_request(buy, None, payload).await.unwrap();
            let reply = within("reply", raw.recv()).await.unwrap();
            assert_eq!(reply, Some(RawMessage::ReplyErr { call: call as u32, error: FunctionError::BadRequest }));
        }
        raw.send_request(echo, None, &encode(&("still here",))).await.unwrap();
        let reply = within("reply", raw.recv()).await.unwrap();
        assert_eq!(reply, Some(RawMessage::ReplyOk { call: bad_payloads.len() as u32, value: encode("still here") }));
        // A remote id the server does not have, and a request aimed at an event, are BadRequest too.
        raw.send_request(10_000, None, &encode_args(&())).await.unwrap();
        let chat = welcome.id_of("chat", RemoteKind::Event, Direction::ToServer).unwrap();
        raw.send_request(chat, None, &encode(&("hi",))).await.unwrap();
        for call in [bad_payloads.len() as u32 + 1, bad_payloads.len() as u32 + 2] {
            let reply = within("reply", raw.recv()).await.unwrap();
            assert_eq!(reply, Some(RawMessage::ReplyErr { call, error: FunctionError::BadRequest }));
        }
    }

    // Point 3, InvalidResult: the caller cannot decode the reply as the declared return type.
    async fn invalid_result_when_the_reply_does_not_decode(transport) {
        let h = Harness::new(transport).await;
        let mut raw = h.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let player = h.server.player(welcome.player_id).unwrap();
        let confirm = welcome.id_of("confirm", RemoteKind::Function, Direction::ToClient).unwrap();
        let call = tokio::spawn(h.remotes.functions.confirm.invoke(&player, "Sell?".into()));
        let request = within("request", raw.recv()).await.unwrap().unwrap();
        assert_eq!(request, RawMessage::Request { remote: confirm, timeout_ms: None, args: encode(&("Sell?",)) });
        // `confirm` returns a bool; this client answers with a string.
        let mut reply = Vec::new();
        reply.push(0); // call id 0, as a varint
        reply.extend(encode("yes"));
        raw.send_frame(remotes_runtime::testing::kinds::REPLY_OK, &reply).await.unwrap();
        assert_eq!(within("call", call).await.unwrap(), Err(FunctionError::InvalidResult));
        assert_eq!(player.pending_calls(), 0);
    }

    // Point 3, Disconnected: the peer leaves while a call is pending, or was gone before the call. Immediate.
    async fn disconnected_at_once(transport) {
        let h = Harness::with(transport, Server::builder().default_timeout(Duration::from_secs(60))).await;
        set_shop(&h);
        let (client, remotes) = h.client_with(Client::builder().default_timeout(Duration::from_secs(60))).await;
        remotes.functions.client_slow.set_callback(|millis| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        });
        let player = h.player(&client);
        let server_call = tokio::spawn(h.remotes.functions.client_slow.invoke(&player, 50_000));
        let client_call = tokio::spawn(remotes.functions.slow.invoke(50_000));
        eventually("both calls pending", || player.pending_calls() == 1 && client.pending_calls() == 1).await;
        // The player leaves: its pending server -> client call settles at once, not after 60 s.
        player.disconnect();
        assert_eq!(within("server call", server_call).await.unwrap(), Err(FunctionError::Disconnected));
        assert_eq!(within("client call", client_call).await.unwrap(), Err(FunctionError::Disconnected));
        // Calls to a player who has left, and from a client whose connection closed, settle at once too.
        assert!(!player.is_connected());
        assert_eq!(within("gone", h.remotes.functions.confirm.invoke(&player, "?".into())).await, Err(FunctionError::Disconnected));
        within("client closed", client.closed()).await;
        assert_eq!(within("closed", remotes.functions.echo.invoke("x".into())).await, Err(FunctionError::Disconnected));
        eventually("player removed", || h.server.players().is_empty()).await;
    }

    // Point 3, Disconnected: the server goes away while a client's call is pending.
    async fn server_shutdown_settles_client_calls(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let (client, remotes) = h.client().await;
        let player = h.player(&client);
        let call = tokio::spawn(remotes.functions.slow.invoke(50_000));
        eventually("call in flight", || player.calls_in_flight() == 1).await;
        drop(h);
        assert_eq!(within("call", call).await.unwrap(), Err(FunctionError::Disconnected));
        assert!(!client.is_connected());
    }

    // Point 4: no pending call outlives its settlement, after thousands of timeouts, cancellations, disconnects.
    async fn the_pending_table_empties_after_thousands_of_each(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let (client, remotes) = h.client().await;
        // Timeouts: batches below the in-flight limit, each call with a 1 ms deadline against a 50 ms handler.
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        h.remotes.functions.sync.set_callback(move |_player, x| {
            s.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                x
            }
        });
        let player = h.player(&client);
        for batch in 0..10 {
            let calls: Vec<_> = (0..200)
                .map(|x| common::sent(remotes.functions.sync.invoke(x).timeout(Duration::from_millis(1))))
                .collect();
            for call in calls {
                assert_eq!(within("timeout", call).await, Err(FunctionError::Timeout));
            }
            // The server stops each handler at the same deadline. Wait until it has received the whole batch and
            // stopped it, so no batch meets the in-flight limit.
            eventually("batch received", || started.load(Ordering::SeqCst) == (batch + 1) * 200).await;
            eventually("batch stopped", || player.calls_in_flight() == 0).await;
        }
        assert_eq!(client.pending_calls(), 0);
        // Cancellations: 2,000 calls dropped before they settle.
        for _ in 0..10 {
            let calls: Vec<_> = (0..200)
                .map(|_| common::sent(remotes.functions.slow.invoke(1_000)))
                .collect();
            assert!(client.pending_calls() >= 200);
            drop(calls);
            assert_eq!(client.pending_calls(), 0);
        }
        eventually("handlers aborted", || player.calls_in_flight() == 0).await;
        // Disconnects: 2,000 server -> client calls pending when each of ten clients leaves.
        for _ in 0..10 {
            let (client, remotes) = h.client().await;
            remotes.functions.client_slow.set_callback(|millis| async move {
                tokio::time::sleep(Duration::from_millis(millis)).await;
            });
            let player = h.player(&client);
            let calls: Vec<_> =
                (0..200).map(|_| common::sent(h.remotes.functions.client_slow.invoke(&player, 60_000))).collect();
            assert_eq!(player.pending_calls(), 200);
            drop(client);
            for call in calls {
                assert_eq!(within("disconnect", call).await, Err(FunctionError::Disconnected));
            }
            assert_eq!(player.pending_calls(), 0);
        }
        // The connection that saw all of it still works.
        assert_eq!(within("echo", remotes.functions.echo.invoke("ok".into())).await, Ok("ok".to_string()));
    }

    // Point 5: a slow callback never delays other calls of the same player or of other players.
    async fn a_slow_callback_delays_nobody(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let (client, remotes) = h.client().await;
        let (_other, other_remotes) = h.client().await;
        let player = h.player(&client);
        let slow = tokio::spawn(remotes.functions.slow.invoke(5_000));
        eventually("slow call in flight", || player.calls_in_flight() == 1).await;
        for i in 0..50u32 {
            assert_eq!(within("same player", remotes.functions.buy_item.invoke(i, 1)).await, Ok(receipt(i, 1)));
            assert_eq!(within("other player", other_remotes.functions.buy_item.invoke(i, 2)).await, Ok(receipt(i, 2)));
        }
        assert!(!slow.is_finished(), "the slow call cannot have finished yet");
        slow.abort();
    }

    // Point 5: many calls in flight on one connection, handled concurrently, each settling with its own value.
    async fn many_calls_in_flight_on_one_connection(transport) {
        let h = Harness::new(transport).await;
        h.remotes.functions.sync.set_callback(|_player, x| async move {
            tokio::time::sleep(Duration::from_millis(u64::from(x % 7))).await;
            x * 2
        });
        let (client, remotes) = h.client().await;
        let calls: Vec<_> = (0..200u32).map(|x| remotes.functions.sync.invoke(x)).collect();
        for (x, call) in calls.into_iter().enumerate() {
            assert_eq!(within("sync", call).await, Ok(x as u32 * 2));
        }
        assert_eq!(client.pending_calls(), 0);
    }

    // Replies name their call by its place among the unanswered ones: with replies out of order, late replies after
    // timeouts, and cancellations all mixed, every call still gets its own answer and nothing else.
    async fn replies_never_reach_the_wrong_call(transport) {
        let h = Harness::new(transport).await;
        h.remotes.functions.sync.set_callback(|_player, x| async move {
            tokio::time::sleep(Duration::from_millis(u64::from(x % 13))).await;
            x.wrapping_mul(3)
        });
        let (client, remotes) = h.client().await;
        let player = h.player(&client);
        for batch in 0..10u32 {
            let mut calls = Vec::new();
            for i in 0..200u32 {
                let x = batch * 1000 + i;
                let call = if i % 3 == 0 {
                    remotes.functions.sync.invoke(x).timeout(Duration::from_millis(4))
                } else {
                    remotes.functions.sync.invoke(x)
                };
                if i % 5 == 0 {
                    drop(call); // cancelled: the server answers it Cancelled, and the answer goes nowhere
                } else {
                    calls.push((x, i % 3 == 0, tokio::spawn(call)));
                }
            }
            for (x, may_time_out, call) in calls {
                match within("call", call).await.unwrap() {
                    Ok(value) => assert_eq!(value, x.wrapping_mul(3), "call {x} got another call's answer"),
                    Err(FunctionError::Timeout) if may_time_out => {}
                    other => panic!("call {x}: {other:?}"),
                }
            }
            eventually("batch answered", || player.calls_in_flight() == 0).await;
        }
        assert_eq!(client.pending_calls(), 0);
        assert_eq!(within("after", remotes.functions.sync.invoke(7)).await, Ok(21));
    }

    // Point 6: predict runs this side's callback with no network: same results and errors.
    async fn predict_runs_the_local_callback(transport) {
        let h = Harness::new(transport).await;
        let (client, remotes) = h.client().await;
        let player = h.player(&client);
        assert_eq!(h.remotes.functions.buy_item.predict(&player, 1, 1).await, Err(FunctionError::Unprocessed));
        set_shop(&h);
        h.remotes.functions.panics.set_callback(|_player| async move { panic!("callback bug") });
        assert_eq!(h.remotes.functions.buy_item.predict(&player, 3, 4).await, Ok(receipt(3, 4)));
        assert_eq!(h.remotes.functions.whoami.predict(&player).await, Ok(player.id()));
        assert_eq!(h.remotes.functions.panics.predict(&player).await, Err(FunctionError::Unprocessed));

        assert_eq!(remotes.functions.confirm.predict("no network".into()).await, Err(FunctionError::Unprocessed));
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        remotes.functions.confirm.set_callback(move |prompt: String| {
            c.fetch_add(1, Ordering::SeqCst);
            async move { prompt.len() < 20 }
        });
        assert_eq!(remotes.functions.confirm.predict("no network".into()).await, Ok(true));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Nothing went over the wire: no call is pending or in flight anywhere.
        assert_eq!(client.pending_calls() + client.calls_in_flight() + player.pending_calls(), 0);
    }

    // Point 7: the Player a server callback gets is the connection's own.
    async fn the_caller_is_the_connections_player(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let (a, a_remotes) = h.client().await;
        let (b, b_remotes) = h.client().await;
        assert_ne!(a.player_id(), b.player_id());
        assert_eq!(within("a", a_remotes.functions.whoami.invoke()).await, Ok(a.player_id()));
        assert_eq!(within("b", b_remotes.functions.whoami.invoke()).await, Ok(b.player_id()));
        // A raw client has no way to name another player: the protocol carries no caller identity at all.
        let mut raw = h.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let whoami = welcome.id_of("whoami", RemoteKind::Function, Direction::ToServer).unwrap();
        raw.send_request(whoami, None, &encode(&(a.player_id(),))).await.unwrap();
        assert_eq!(within("reply", raw.recv()).await.unwrap(), Some(RawMessage::ReplyErr { call: 0, error: FunctionError::BadRequest }));
        raw.send_request(whoami, None, &encode_args(&())).await.unwrap();
        assert_eq!(within("reply", raw.recv()).await.unwrap(), Some(RawMessage::ReplyOk { call: 1, value: encode(&welcome.player_id) }));
    }

    // Point 8: an oversized frame closes only that connection; the limit is checked on the length prefix.
    async fn oversized_frames_close_only_that_connection(transport) {
        let h = Harness::with(transport, Server::builder().max_frame_len(4096)).await;
        set_shop(&h);
        let (_client, remotes) = h.client().await;
        let mut raw = h.raw().await;
        raw.handshake().await.unwrap();
        // A prefix announcing 1 GiB, and nothing behind it: the server must not wait for (or allocate) the body.
        raw.send_bytes(&[0x80, 0x80, 0x80, 0x80, 0x04]).await.unwrap();
        assert_eq!(within("close", raw.recv_until_closed()).await.unwrap(), vec![]);
        assert_eq!(within("echo", remotes.functions.echo.invoke("fine".into())).await, Ok("fine".to_string()));
        // An honest client's own oversized request fails locally instead of being sent.
        let big = "x".repeat(8192);
        assert_eq!(within("big", remotes.functions.echo.invoke(big)).await, Err(FunctionError::BadRequest));
        assert_eq!(within("echo", remotes.functions.echo.invoke("still fine".into())).await, Ok("still fine".to_string()));
    }

    // Point 8: the limit is on the frame body (what the length prefix announces), to the byte, on both sides.
    async fn the_frame_limit_is_exact(transport) {
        let h = Harness::with(transport, Server::builder().max_frame_len(4096)).await;
        set_shop(&h);
        let (_client, remotes) = h.client().await;
        // Body: kind (1) + remote id (1) + array header (1) + str16 header (3) + the text.
        let at_limit = "a".repeat(4096 - 6);
        assert_eq!(within("at", remotes.functions.echo.invoke(at_limit.clone())).await, Ok(at_limit));
        let over = "a".repeat(4096 - 5);
        assert_eq!(within("over", remotes.functions.echo.invoke(over)).await, Err(FunctionError::BadRequest));
        // The same body length sent raw passes the server's check, one more byte closes the connection.
        let mut raw = h.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let echo = welcome.id_of("echo", RemoteKind::Function, Direction::ToServer).unwrap();
        raw.send_request(echo, None, &encode_args(&("b".repeat(4096 - 6),))).await.unwrap();
        assert!(matches!(within("reply", raw.recv()).await.unwrap(), Some(RawMessage::ReplyOk { call: 0, .. })));
        raw.send_request(echo, None, &encode_args(&("b".repeat(4096 - 5),))).await.unwrap();
        assert_eq!(within("close", raw.recv_until_closed()).await.unwrap(), vec![]);
    }

    // Point 8, defaults: frames up to 1 MiB pass, larger ones are refused.
    async fn the_default_frame_limit_is_one_mebibyte(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let (_client, remotes) = h.client().await;
        let almost = "y".repeat((1 << 20) - 64);
        assert_eq!(within("echo", remotes.functions.echo.invoke(almost.clone())).await, Ok(almost));
        let over = "z".repeat(1 << 20);
        assert_eq!(within("echo", remotes.functions.echo.invoke(over)).await, Err(FunctionError::BadRequest));
    }

    // Point 9: interfaces that differ never mis-decode; connect can report the mismatches.
    async fn interface_mismatches_are_reported_not_misdecoded(transport) {
        let h = Harness::new(transport).await;
        set_shop(&h);
        let err = h.connect_as::<net_v2::Api>(Client::builder().exact_interface()).await.unwrap_err();
        let ConnectError::InterfaceMismatch(mismatches) = &err else { panic!("expected a mismatch, got {err:?}") };
        let mut found: Vec<_> = mismatches.iter().map(|m| (m.remote.as_str(), m.kind)).collect();
        found.sort();
        assert_eq!(found, vec![("buy_item", MismatchKind::Signature), ("refund", MismatchKind::Missing)]);
        assert!(err.to_string().contains("buy_item"), "{err}");

        // A lenient connect: the differing remote fails locally, the others work.
        let client = h.connect_as::<net_v2::Api>(Client::builder()).await.unwrap();
        let v2 = client.remotes();
        assert_eq!(within("buy", v2.functions.buy_item.invoke(7, 2)).await, Err(FunctionError::BadRequest));
        assert_eq!(within("refund", v2.functions.refund.invoke(7)).await, Err(FunctionError::Unprocessed));
        assert_eq!(within("echo", v2.functions.echo.invoke("same".into())).await, Ok("same".to_string()));
        // The matching interface connects strictly without complaint.
        let strict = h.connect(Client::builder().exact_interface()).await.unwrap();
        assert!(strict.is_connected());
    }

    // A name in both ServerFunctions and ClientFunctions: each direction has its own signature and callback.
    async fn two_way_functions(transport) {
        let h = Harness::new(transport).await;
        h.remotes.functions.sync.set_callback(|_player, x: u32| async move { x + 1 });
        let (client, remotes) = h.client().await;
        remotes.functions.sync.set_callback(|label: String| async move { format!("client saw {label}") });
        let player = h.player(&client);
        assert_eq!(within("up", remotes.functions.sync.invoke(41)).await, Ok(42));
        assert_eq!(within("down", h.remotes.functions.sync.invoke(&player, "hi".into())).await, Ok("client saw hi".to_string()));
        assert_eq!(remotes.functions.sync.predict("local".into()).await, Ok("client saw local".to_string()));
        assert_eq!(h.remotes.functions.sync.predict(&player, 1).await, Ok(2));
    }

    // Players: lifecycle callbacks and `players()`.
    async fn player_lifecycle(transport) {
        let h = Harness::new(transport).await;
        let added = Arc::new(std::sync::Mutex::new(Vec::new()));
        let removing = Arc::new(std::sync::Mutex::new(Vec::new()));
        let server = Arc::new(std::sync::Mutex::new(None::<Vec<u64>>));
        let (a, r) = (added.clone(), removing.clone());
        h.server.on_player_added(move |player| a.lock().unwrap().push(player.id()));
        h.server.on_player_removing(move |player| r.lock().unwrap().push(player.id()));
        let (one, _) = h.client().await;
        let (two, _) = h.client().await;
        eventually("both added", || added.lock().unwrap().len() == 2).await;
        assert_eq!(*added.lock().unwrap(), vec![one.player_id(), two.player_id()]);
        let ids: Vec<u64> = h.server.players().iter().map(Player::id).collect();
        assert_eq!(ids, vec![one.player_id(), two.player_id()]);
        let gone = one.player_id();
        drop(one);
        eventually("removed", || h.server.players().len() == 1).await;
        assert_eq!(*removing.lock().unwrap(), vec![gone]);
        assert!(h.server.player(gone).is_none());
        drop(server);
    }
}

// Point 1: one callback per function per side; a second `set_callback` replaces the first, with a warning naming
// the function and the side.
#[tokio::test]
async fn set_callback_twice_replaces_and_warns() {
    for transport in [Transport::Tcp, Transport::Memory, Transport::WebSocket, Transport::Tls, Transport::Wss] {
        let (logs, _guard) = Logs::capture();
        let h = Harness::new(transport).await;
        h.remotes.functions.echo.set_callback(|_player, text| async move { format!("first {text}") });
        assert!(logs.lines_with(&["WARN", "echo"]).is_empty(), "no warning for the first callback");
        h.remotes.functions.echo.set_callback(|_player, text| async move { format!("second {text}") });
        let warnings = logs.lines_with(&["WARN", "set_callback replaced", "remote=\"echo\"", "side=server"]);
        assert_eq!(warnings.len(), 1, "{}", logs.text());

        let (_client, remotes) = h.client().await;
        assert_eq!(within("echo", remotes.functions.echo.invoke("x".into())).await, Ok("second x".to_string()));
        remotes.functions.confirm.set_callback(|_prompt: String| async move { true });
        remotes.functions.confirm.set_callback(|_prompt: String| async move { false });
        let warnings = logs.lines_with(&["WARN", "set_callback replaced", "remote=\"confirm\"", "side=client"]);
        assert_eq!(warnings.len(), 1, "{}", logs.text());
        assert_eq!(remotes.functions.confirm.predict("?".into()).await, Ok(false));
    }
}

// Point 8: the oversized frame is logged.
#[tokio::test]
async fn an_oversized_frame_is_logged() {
    let (logs, _guard) = Logs::capture();
    let h = Harness::with(Transport::Memory, Server::builder().max_frame_len(1024)).await;
    let mut raw = h.raw().await;
    raw.handshake().await.unwrap();
    raw.send_bytes(&[0xff, 0xff, 0x3f]).await.unwrap();
    assert_eq!(within("close", raw.recv_until_closed()).await.unwrap(), vec![]);
    eventually("log line", || !logs.lines_with(&["WARN", "exceeds the maximum"]).is_empty()).await;
}

// Bad requests are logged with the player, the remote and the argument.
#[tokio::test]
async fn bad_requests_are_logged_with_player_remote_and_argument() {
    let (logs, _guard) = Logs::capture();
    let h = Harness::new(Transport::Memory).await;
    set_shop(&h);
    let mut raw = h.raw().await;
    let welcome = raw.handshake().await.unwrap();
    let buy = welcome.id_of("buy_item", RemoteKind::Function, Direction::ToServer).unwrap();
    raw.send_request(buy, None, &encode(&(7u32, "two"))).await.unwrap();
    assert_eq!(
        within("reply", raw.recv()).await.unwrap(),
        Some(RawMessage::ReplyErr { call: 0, error: FunctionError::BadRequest })
    );
    let player = format!("player={}", welcome.player_id);
    let lines =
        logs.lines_with(&["WARN", &player, "remote=\"buy_item\"", "argument_index=1", "rejected incoming arguments"]);
    assert_eq!(lines.len(), 1, "{}", logs.text());
}

// Issue #11, point 1: the interface is fixed when the server is made; clients are admitted once it is started. A
// client that connects earlier waits in its handshake (the server says so, once) and completes when `start` is
// called; one whose server never starts is told so, by name, when its handshake deadline passes.
async fn clients_are_admitted_once_the_server_starts(transport: Transport) {
    let (logs, _guard) = Logs::capture();
    let server = Harness::unstarted(transport, Server::builder()).await;
    server.remotes().functions.whoami.set_callback(|player: Player| async move { player.id() });
    let early = match transport {
        Transport::Tcp => {
            let addr = server.local_addr().unwrap();
            tokio::spawn(async move { Client::connect::<net::Api>(addr).await })
        }
        Transport::Memory => tokio::spawn(Client::connect_in_memory(&server)),
        Transport::WebSocket => {
            let url = format!("ws://{}/", server.local_addr().unwrap());
            tokio::spawn(async move { Client::builder().connect_websocket::<net::Api>(&url).await })
        }
        Transport::Tls => {
            let addr = common::localhost_of(&server);
            let builder = Client::builder().tls(common::certs::shared().1.clone());
            tokio::spawn(async move { builder.connect_tls::<net::Api>(&addr).await })
        }
        Transport::Wss => {
            let url = common::wss_url_of(&server);
            let builder = Client::builder().tls(common::certs::shared().1.clone());
            tokio::spawn(async move { builder.connect_websocket::<net::Api>(&url).await })
        }
    };
    eventually("the early client is waiting for start", || {
        !logs.lines_with(&["WARN", "waiting for this server to start"]).is_empty()
    })
    .await;
    assert!(!early.is_finished() && server.players().is_empty(), "nobody is admitted before start");
    server.start();
    let client = within("the early client", early).await.unwrap().expect("admitted once started");
    assert_eq!(within("whoami", client.remotes().functions.whoami.invoke()).await, Ok(client.player_id()));

    let never = Harness::unstarted(transport, Server::builder().handshake_timeout(Duration::from_millis(200))).await;
    let refused = match transport {
        Transport::Tcp => Client::connect::<net::Api>(never.local_addr().unwrap()).await,
        Transport::Memory => Client::connect_in_memory(&never).await,
        transport => common::connect_to::<net::Api, _>(transport, &never, Client::builder()).await,
    };
    match refused {
        Err(ConnectError::Rejected { reason }) => assert_eq!(reason, "the server has not been started"),
        other => panic!("expected a rejection naming the cause, got {other:?}"),
    }
}

#[tokio::test]
async fn clients_are_admitted_once_the_server_starts_tcp() {
    clients_are_admitted_once_the_server_starts(Transport::Tcp).await;
}

#[tokio::test]
async fn clients_are_admitted_once_the_server_starts_memory() {
    clients_are_admitted_once_the_server_starts(Transport::Memory).await;
}

#[tokio::test]
async fn clients_are_admitted_once_the_server_starts_websocket() {
    clients_are_admitted_once_the_server_starts(Transport::WebSocket).await;
}

#[tokio::test]
async fn clients_are_admitted_once_the_server_starts_tls() {
    clients_are_admitted_once_the_server_starts(Transport::Tls).await;
}

#[tokio::test]
async fn clients_are_admitted_once_the_server_starts_wss() {
    clients_are_admitted_once_the_server_starts(Transport::Wss).await;
}
