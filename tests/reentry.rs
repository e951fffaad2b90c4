//! Re-entry (issue #11, point 3): no user code runs under a runtime lock, so every kind of it may call back into the
//! runtime. Each test re-enters from one kind of user code (a callback, a listener, middleware, the rejection hooks,
//! the authentication hook, the player callbacks, a `validate` function) and does everything a game may do there:
//! connect and disconnect a listener, set a callback, fire an event, invoke a function (spawned, and awaited where
//! the code is async), list the players and kick one. Every wait is bounded, so a deadlock fails the test: a lock
//! taken twice blocks a runtime thread for good, which can stall the runtime's timers too, so besides `within` each
//! test has a watchdog thread that ends the test process if the test has not finished in time.

mod common;
#[path = "reentry/fixture.rs"]
mod fixture;

use std::sync::Arc;

use common::within;
use fixture::{Game, OnDrop, barrier, event_id, function_id, hook_connecting_a_listener, reply};
use remotes_runtime::testing::{RawMessage, encode, encode_args, kinds};
use remotes_runtime::{Accept, Client, Fired, FunctionError, Server};
use tokio::sync::mpsc;

every_transport! {
    async fn from_a_callback(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.remotes.functions.work.set_callback(move |_player, n| {
            let probe = probe.clone();
            async move {
                probe.reenter_and_await("callback").await;
                n
            }
        });
        let (mut target, victim) = game.targets().await;
        assert_eq!(within("the call", target.remotes.functions.work.invoke(1)).await, Ok(1));
        game.check("callback", &mut target, &victim, true).await;
    }

    async fn from_a_listener(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.remotes.events.said.connect(move |_player, _n| {
            let probe = probe.clone();
            async move { probe.reenter_and_await("listener").await }
        });
        let (mut target, victim) = game.targets().await;
        target.remotes.events.said.fire(1);
        game.check("listener", &mut target, &victim, true).await;
    }

    async fn from_a_global_middleware(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.server.middleware(move |request| {
            let probe = probe.clone();
            async move {
                if request.remote == "said" {
                    probe.reenter_and_await("global middleware").await;
                }
                Ok(())
            }
        });
        // Middleware runs for events that have listeners.
        game.remotes.events.said.connect(|_player, _n| async {});
        let (mut target, victim) = game.targets().await;
        target.remotes.events.said.fire(1);
        game.check("global middleware", &mut target, &victim, true).await;
    }

    async fn from_an_event_middleware(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.remotes.events.said.middleware(move |_player, n| {
            let probe = probe.clone();
            async move {
                probe.reenter_and_await("event middleware").await;
                Ok(n)
            }
        });
        // Middleware runs for events that have listeners.
        game.remotes.events.said.connect(|_player, _n| async {});
        let (mut target, victim) = game.targets().await;
        target.remotes.events.said.fire(1);
        game.check("event middleware", &mut target, &victim, true).await;
    }

    async fn from_a_function_middleware(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.remotes.functions.work.middleware(move |_player, n| {
            // In the synchronous part: the middleware is called on the connection's reader.
            probe.reenter("function middleware");
            async move { Ok(n) }
        });
        let (mut target, victim) = game.targets().await;
        assert_eq!(within("the call", target.remotes.functions.work.invoke(1)).await, Ok(1));
        game.check("function middleware", &mut target, &victim, false).await;
    }

    async fn from_a_bad_request_hook_on_a_call(transport) {
        let mut game = Game::new(transport).await;
        let mut heard = hook_connecting_a_listener(&game);
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        raw.send_request(function_id(&welcome, "work"), None, &encode_args(&("seven".to_string(),))).await.unwrap();
        assert_eq!(reply(&mut raw).await, RawMessage::ReplyErr { call: 0, error: FunctionError::BadRequest });
        game.check("bad request", &mut target, &victim, false).await;
        raw.send_event(event_id(&welcome, "small"), &encode_args(&(5u32,))).await.unwrap();
        assert_eq!(within("the hook's listener", heard.recv()).await, Some(5));
    }

    // The found case: a malformed event from the network, delivered to listeners; the hook connects one.
    async fn from_a_bad_request_hook_on_a_malformed_event(transport) {
        let mut game = Game::new(transport).await;
        let mut heard = hook_connecting_a_listener(&game);
        let (tx, mut first) = mpsc::unbounded_channel();
        game.remotes.events.small.connect(move |_player, n| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n);
            }
        });
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let small = event_id(&welcome, "small");
        // Not a u32 at all, then over the declared range.
        raw.send_event(small, &encode_args(&("eleven".to_string(),))).await.unwrap();
        raw.send_event(small, &encode_args(&(11u32,))).await.unwrap();
        game.check("bad request", &mut target, &victim, false).await;
        raw.send_event(small, &encode_args(&(5u32,))).await.unwrap();
        assert_eq!(within("the hook's listener", heard.recv()).await, Some(5));
        assert_eq!(within("the first listener", first.recv()).await, Some(5));
    }

    // The found case on the `hold` path: the event has a hub but no listener yet, so it is checked before it is
    // held; the hook connects the first listener.
    async fn from_a_bad_request_hook_on_an_event_about_to_be_held(transport) {
        let mut game = Game::new(transport).await;
        let mut heard = hook_connecting_a_listener(&game);
        game.remotes.events.small.connect(|_player, _n| async {}).disconnect();
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        raw.send_event(event_id(&welcome, "small"), &encode_args(&(11u32,))).await.unwrap();
        game.check("bad request", &mut target, &victim, false).await;
        raw.send_event(event_id(&welcome, "small"), &encode_args(&(5u32,))).await.unwrap();
        assert_eq!(within("the hook's listener", heard.recv()).await, Some(5));
    }

    // Events held before the event had a hub are checked when the first listener takes them: the hook then runs
    // inside `connect`, and connects a listener itself. Held events still arrive in order, before newer ones.
    async fn from_a_bad_request_hook_while_held_events_are_handed_out(transport) {
        let mut game = Game::new(transport).await;
        let mut heard = hook_connecting_a_listener(&game);
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let small = event_id(&welcome, "small");
        for n in [1u32, 11, 2, 3] {
            raw.send_event(small, &encode_args(&(n,))).await.unwrap();
        }
        barrier(&mut raw, &welcome, 0).await;
        let (tx, mut first) = mpsc::unbounded_channel();
        game.remotes.events.small.connect(move |_player, n| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n);
            }
        });
        raw.send_event(small, &encode_args(&(4u32,))).await.unwrap();
        for n in 1..=4 {
            assert_eq!(within("the first listener", first.recv()).await, Some(n));
        }
        // The hook's listener connected while 11 was checked: it hears what came after.
        for n in 2..=4 {
            assert_eq!(within("the hook's listener", heard.recv()).await, Some(n));
        }
        game.check("bad request", &mut target, &victim, false).await;
    }

    async fn from_a_bad_response_hook(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.server.on_bad_response(move |_report| probe.reenter("bad response"));
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let player = game.server.player(welcome.player_id).unwrap();
        let call = tokio::spawn(game.remotes.functions.ask.invoke(&player, 1));
        let request = within("the request", raw.recv_matching(|m| matches!(m, RawMessage::Request { .. }))).await;
        assert!(request.unwrap().is_some());
        let mut body = vec![0];
        body.extend(encode("not a number"));
        raw.send_frame(kinds::REPLY_OK, &body).await.unwrap();
        assert_eq!(within("the call", call).await.unwrap(), Err(FunctionError::InvalidResult));
        game.check("bad response", &mut target, &victim, false).await;
    }

    async fn from_the_auth_hook(transport) {
        let mut game = Game::with(transport, |probe| {
            let probe = probe.clone();
            Server::builder().authenticate(move |handshake| {
                let probe = probe.clone();
                async move {
                    if handshake.token.as_deref() == Some("reenter") {
                        probe.reenter_and_await("auth").await;
                    }
                    Ok(Accept::new())
                }
            })
        })
        .await;
        let (mut target, victim) = game.targets().await;
        let third = game.connect(Client::builder().auth_token("reenter")).await;
        assert!(third.is_connected());
        game.check("auth", &mut target, &victim, true).await;
    }

    async fn from_a_player_added_callback(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.server.on_player_added(move |_player| probe.reenter("player added"));
        let (mut target, victim) = game.targets().await;
        let third = game.connect(Client::builder()).await;
        game.check("player added", &mut target, &victim, false).await;
        assert!(third.is_connected());
    }

    async fn from_a_player_removing_callback(transport) {
        let mut game = Game::new(transport).await;
        let probe = game.probe.clone();
        game.server.on_player_removing(move |_player| probe.reenter("player removing"));
        let (mut target, victim) = game.targets().await;
        let third = game.connect(Client::builder()).await;
        third.close();
        game.check("player removing", &mut target, &victim, false).await;
    }

    async fn from_a_validate_function_on_a_call(transport) {
        let mut game = Game::new(transport).await;
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let key = game.key();
        raw.send_request(function_id(&welcome, "checked"), None, &encode_args(&(key,))).await.unwrap();
        assert_eq!(reply(&mut raw).await, RawMessage::ReplyOk { call: 0, value: encode(&key) });
        game.check("validate", &mut target, &victim, false).await;
    }

    async fn from_a_validate_function_on_an_event(transport) {
        let mut game = Game::new(transport).await;
        let (tx, mut noted) = mpsc::unbounded_channel();
        game.remotes.events.noted.connect(move |_player, key| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(key);
            }
        });
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let key = game.key();
        raw.send_event(event_id(&welcome, "noted"), &encode_args(&(key,))).await.unwrap();
        game.check("validate", &mut target, &victim, false).await;
        assert_eq!(within("the listener", noted.recv()).await, Some(key));
    }

    // The `hold` path: the event has a hub but no listener, so it is checked before it is held.
    async fn from_a_validate_function_on_an_event_about_to_be_held(transport) {
        let mut game = Game::new(transport).await;
        game.remotes.events.noted.connect(|_player, _key| async {}).disconnect();
        let (mut target, victim) = game.targets().await;
        let (mut raw, welcome) = game.raw().await;
        let key = game.key();
        raw.send_event(event_id(&welcome, "noted"), &encode_args(&(key,))).await.unwrap();
        game.check("validate", &mut target, &victim, false).await;
        let (tx, mut noted) = mpsc::unbounded_channel();
        game.remotes.events.noted.connect(move |_player, key| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(key);
            }
        });
        assert_eq!(within("the held event", noted.recv()).await, Some(key));
    }

    // On the client: a listener and a callback re-enter the client's runtime.
    async fn on_the_client(transport) {
        let game = Game::new(transport).await;
        let mut target = game.peer().await;
        let client = Arc::new(game.connect(Client::builder()).await);
        let remotes = client.remotes().clone();
        let (tx, mut reports) = mpsc::unbounded_channel();
        let weak = Arc::downgrade(&client);
        remotes.events.told.connect(move |n| {
            let (tx, client) = (tx.clone(), weak.upgrade().expect("client alive"));
            let remotes = client.remotes().clone();
            remotes.events.spare.fire(n);
            remotes.functions.ask.set_callback(|n| async move { n * 100 });
            let spawned = tokio::spawn(remotes.functions.work.invoke(n));
            let awaited = remotes.functions.work.invoke(n + 1);
            async move {
                let _ = tx.send((spawned.await.unwrap(), awaited.await));
            }
        });
        let player = game.server.player(client.player_id()).unwrap();
        assert_eq!(game.remotes.events.told.fire(&player, 2), Fired { queued: 1, skipped: 0 });
        assert_eq!(within("the listener's calls", reports.recv()).await, Some((Ok(2), Ok(3))));
        assert_eq!(within("the callback set by the listener", game.remotes.functions.ask.invoke(&player, 1)).await, Ok(100));
        assert_eq!(within("the other client", game.remotes.functions.ask.invoke(&target.player, 1)).await, Ok(2));
        assert!(target.told.try_recv().is_err());
    }

    // What user code captures is dropped with every lock released: here a listener's captures, when it is
    // disconnected, and a callback's, when the server is dropped; both re-enter the runtime from `Drop`.
    async fn dropping_what_user_code_captured(transport) {
        let game = Game::new(transport).await;
        let (tx, mut dropped) = mpsc::unbounded_channel();
        let (remotes, tx_listener) = (game.server.remotes().clone(), tx.clone());
        let guard = OnDrop(move || {
            let again = remotes.events.said.connect(|_player, _n| async {});
            assert!(again.is_connected());
            again.disconnect();
            let _ = tx_listener.send("listener");
        });
        let listener = game.remotes.events.said.connect(move |_player, _n| {
            let _guard = &guard;
            async {}
        });
        listener.disconnect();
        assert_eq!(within("the listener's captures to drop", dropped.recv()).await, Some("listener"));

        let remotes = game.server.remotes().clone();
        let guard = OnDrop(move || {
            remotes.functions.work.set_callback(|_player, n| async move { n });
            let _ = tx.send("callback");
        });
        game.remotes.functions.work.set_callback(move |_player, n| {
            let _guard = &guard;
            async move { n }
        });
        drop(game);
        assert_eq!(within("the callback's captures to drop", dropped.recv()).await, Some("callback"));
    }

    // Held events (before the client's first listener) are delivered with no lock held, and still before any event
    // that arrives while they are: whatever the interleaving, the listener hears every event in the order it was fired.
    async fn held_events_keep_their_order_while_the_first_listener_connects(transport) {
        let game = Game::new(transport).await;
        let client = game.connect(Client::builder()).await;
        let player = game.server.player(client.player_id()).unwrap();
        for n in 0..20 {
            assert_eq!(game.remotes.events.told.fire(&player, n), Fired { queued: 1, skipped: 0 });
        }
        let firing = {
            let (server, player) = (Arc::clone(&game.server), player.clone());
            tokio::spawn(async move {
                let told = server.remotes().events.told.clone();
                for n in 20..40 {
                    told.fire(&player, n);
                    tokio::task::yield_now().await;
                }
            })
        };
        let remotes = client.remotes().clone();
        let (tx, mut told) = mpsc::unbounded_channel();
        remotes.events.told.connect(move |n| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(n);
            }
        });
        within("the firing task", firing).await.unwrap();
        for n in 0..40 {
            assert_eq!(within("an event", told.recv()).await, Some(n));
        }
    }
}
