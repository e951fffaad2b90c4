//! Remote events over both transports: every behaviour issue #3 promises.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Harness, Logs, Transport, eventually, within};
use remotes_runtime::testing::{RawMessage, encode_args};
use remotes_runtime::{Direction, Fired, Player, RemoteKind, Server};
use tokio::sync::mpsc;

/// A listener that forwards what it hears into a channel.
fn channel<T>() -> (mpsc::UnboundedSender<T>, mpsc::UnboundedReceiver<T>) {
    mpsc::unbounded_channel()
}

async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    within("an event", rx.recv()).await.expect("sender alive")
}

/// Makes sure everything the client sent before this point has been dispatched by the server: calls and events
/// share one ordered connection, so once a call made afterwards is answered, the earlier events were delivered.
async fn barrier(remotes: &common::net::client::Remotes) {
    remotes.functions.echo.invoke(String::new()).await.expect("barrier call");
}

fn serve_echo(h: &Harness) {
    h.remotes.functions.echo.set_callback(|_player, text| async move { text });
}

every_transport! {
    // Point 1: firing is plain, never blocks, and reports what became of the event.
    async fn fire_variants_report_what_they_queued(transport) {
        let h = Harness::new(transport).await;
        let (a, a_remotes) = h.client().await;
        let (b, b_remotes) = h.client().await;
        let (c, c_remotes) = h.client().await;
        let (tx, mut rx) = channel();
        for (name, remotes) in [("a", &a_remotes), ("b", &b_remotes), ("c", &c_remotes)] {
            let tx = tx.clone();
            remotes.events.announce.connect(move |text: String| {
                let tx = tx.clone();
                async move { tx.send((name, text)).unwrap() }
            });
        }
        let (pa, pb, pc) = (h.player(&a), h.player(&b), h.player(&c));
        let announce = &h.remotes.events.announce;
        assert_eq!(announce.fire(&pa, "one".into()), Fired { queued: 1, skipped: 0 });
        assert_eq!(next(&mut rx).await, ("a", "one".to_string()));
        assert_eq!(announce.fire_many(&[pb.clone(), pc.clone()], "two".into()), Fired { queued: 2, skipped: 0 });
        let mut got = vec![next(&mut rx).await, next(&mut rx).await];
        got.sort();
        assert_eq!(got, vec![("b", "two".to_string()), ("c", "two".to_string())]);
        assert_eq!(announce.broadcast("three".into()), Fired { queued: 3, skipped: 0 });
        let mut got = vec![next(&mut rx).await, next(&mut rx).await, next(&mut rx).await];
        got.sort();
        assert_eq!(got, vec![("a", "three".into()), ("b", "three".into()), ("c", "three".into())]);
        assert_eq!(announce.except(std::slice::from_ref(&pb), "four".into()), Fired { queued: 2, skipped: 0 });
        let mut got = vec![next(&mut rx).await, next(&mut rx).await];
        got.sort();
        assert_eq!(got, vec![("a", "four".to_string()), ("c", "four".to_string())]);

        // A player who has left is skipped, not a panic.
        drop(c);
        eventually("c gone", || !pc.is_connected()).await;
        assert_eq!(announce.fire(&pc, "late".into()), Fired { queued: 0, skipped: 1 });
        assert_eq!(announce.fire_many(&[pa.clone(), pc.clone()], "mixed".into()), Fired { queued: 1, skipped: 1 });
        assert_eq!(next(&mut rx).await, ("a", "mixed".to_string()));
        eventually("c removed", || h.server.players().len() == 2).await;
        assert_eq!(announce.broadcast("after".into()), Fired { queued: 2, skipped: 0 });
        // Client -> server firing reports too; a closed client skips.
        assert_eq!(b_remotes.events.chat.fire("hi".into()), Fired { queued: 1, skipped: 0 });
        b.close();
        assert_eq!(b_remotes.events.chat.fire("bye".into()), Fired { queued: 0, skipped: 1 });
    }

    // Point 2: order is preserved per connection across events and function calls, both directions.
    async fn order_is_preserved_across_events_and_calls(transport) {
        let h = Harness::new(transport).await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        h.remotes.events.seq.connect(move |_player, n| {
            l.lock().unwrap().push(n);
            async {}
        });
        let l = log.clone();
        h.remotes.functions.record.set_callback(move |_player, n| {
            l.lock().unwrap().push(n);
            async {}
        });
        serve_echo(&h);
        let (client, remotes) = h.client().await;
        let mut calls = Vec::new();
        let mut expected = Vec::new();
        for n in 0..500u32 {
            if n % 10 == 0 {
                // Sent on its first poll: poll it here, so it goes out between the events around it.
                let call = common::sent(remotes.functions.record.invoke(1_000_000 + n));
                calls.push(call);
                expected.push(1_000_000 + n);
            }
            remotes.events.seq.fire(n);
            expected.push(n);
        }
        for call in calls {
            within("record", call).await.unwrap();
        }
        barrier(&remotes).await;
        assert_eq!(*log.lock().unwrap(), expected);

        // Server -> client: events and calls arrive in the order the server sent them.
        let down = Arc::new(Mutex::new(Vec::new()));
        let d = down.clone();
        remotes.events.ping.connect(move |n| {
            d.lock().unwrap().push(n);
            async {}
        });
        let d = down.clone();
        remotes.functions.sync.set_callback(move |label: String| {
            d.lock().unwrap().push(label.parse().unwrap());
            async move { label }
        });
        let player = h.player(&client);
        let mut expected = Vec::new();
        let mut calls = Vec::new();
        for n in 0..300u32 {
            if n % 7 == 0 {
                calls.push(common::sent(h.remotes.functions.sync.invoke(&player, (1_000_000 + n).to_string())));
                expected.push(1_000_000 + n);
            }
            h.remotes.events.ping.fire(&player, n);
            expected.push(n);
        }
        for call in calls {
            within("sync", call).await.unwrap();
        }
        eventually("all pings", || down.lock().unwrap().len() == expected.len()).await;
        assert_eq!(*down.lock().unwrap(), expected);
    }

    // Point 3: many listeners; `disconnect` removes only its own; a slow listener blocks nothing.
    async fn many_listeners_and_disconnect(transport) {
        let h = Harness::new(transport).await;
        serve_echo(&h);
        let (tx, mut rx) = channel();
        let connections: Vec<_> = (0..3)
            .map(|i| {
                let tx = tx.clone();
                h.remotes.events.chat.connect(move |player: Player, text: String| {
                    let tx = tx.clone();
                    async move { tx.send((i, player.id(), text)).unwrap() }
                })
            })
            .collect();
        // A slow listener: it must not hold up the connection's other traffic.
        let _slow = h.remotes.events.chat.connect(|_player, _text| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let (client, remotes) = h.client().await;
        remotes.events.chat.fire("hello".into());
        let mut got = vec![next(&mut rx).await, next(&mut rx).await, next(&mut rx).await];
        got.sort();
        let id = client.player_id();
        assert_eq!(got, vec![(0, id, "hello".into()), (1, id, "hello".into()), (2, id, "hello".into())]);
        assert_eq!(within("echo", remotes.functions.echo.invoke("fast".into())).await, Ok("fast".to_string()));

        connections[1].disconnect();
        connections[1].disconnect(); // a second call does nothing
        assert!(!connections[1].is_connected());
        assert!(connections[0].is_connected() && connections[2].is_connected());
        remotes.events.chat.fire("again".into());
        let mut got = vec![next(&mut rx).await, next(&mut rx).await];
        got.sort();
        assert_eq!(got, vec![(0, id, "again".into()), (2, id, "again".into())]);
        barrier(&remotes).await;
        assert!(rx.try_recv().is_err(), "the disconnected listener still heard the event");
    }

    // Point 4: events that arrive before any listener are held and delivered, in order, to the first listener.
    async fn events_before_the_first_listener_are_held(transport) {
        let h = Harness::new(transport).await;
        serve_echo(&h);
        let (client, remotes) = h.client().await;
        for n in 0..5 {
            remotes.events.seq.fire(n);
        }
        barrier(&remotes).await;
        let (tx, mut rx) = channel();
        let t = tx.clone();
        h.remotes.events.seq.connect(move |_player, n| {
            let t = t.clone();
            async move { t.send(n).unwrap() }
        });
        for n in 0..5 {
            assert_eq!(next(&mut rx).await, n);
        }
        // Later events go straight to the listener, after the held ones.
        remotes.events.seq.fire(5);
        assert_eq!(next(&mut rx).await, 5);
        // A second listener does not get the already delivered events again.
        let t = tx.clone();
        h.remotes.events.seq.connect(move |_player, n| {
            let t = t.clone();
            async move { t.send(100 + n).unwrap() }
        });
        barrier(&remotes).await;
        assert!(rx.try_recv().is_err());

        // Client side: the server fires at the player before the client listens.
        let player = h.player(&client);
        for n in 0..3 {
            h.remotes.events.ping.fire(&player, n);
        }
        h.remotes.events.announce.fire(&player, "first".into());
        let (tx, mut rx) = channel();
        let t = tx.clone();
        // Once the announce listener hears "first", the earlier pings have been received (one ordered connection).
        remotes.events.announce.connect(move |text: String| {
            let t = t.clone();
            async move { t.send(text).unwrap() }
        });
        assert_eq!(next(&mut rx).await, "first");
        let (ptx, mut prx) = channel();
        remotes.events.ping.connect(move |n| {
            let ptx = ptx.clone();
            async move { ptx.send(n).unwrap() }
        });
        for n in 0..3 {
            assert_eq!(next(&mut prx).await, n);
        }
    }

    // Point 4: the queue is bounded; when full the oldest is dropped.
    async fn the_held_queue_drops_the_oldest_when_full(transport) {
        let h = Harness::with(transport, Server::builder().event_queue_len(3)).await;
        serve_echo(&h);
        let (_client, remotes) = h.client().await;
        for n in 0..10 {
            remotes.events.seq.fire(n);
        }
        barrier(&remotes).await;
        let (tx, mut rx) = channel();
        h.remotes.events.seq.connect(move |_player, n| {
            let tx = tx.clone();
            async move { tx.send(n).unwrap() }
        });
        for n in 7..10 {
            assert_eq!(next(&mut rx).await, n);
        }
        barrier(&remotes).await;
        assert!(rx.try_recv().is_err());
    }

    // Point 5: broadcast and except encode once; every recipient gets the same bytes, large payloads included.
    async fn broadcasts_deliver_the_same_payload_to_everyone(transport) {
        let h = Harness::new(transport).await;
        let blob: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
        let (tx, mut rx) = channel();
        let mut clients = Vec::new();
        for _ in 0..5 {
            let (client, remotes) = h.client().await;
            let tx = tx.clone();
            let id = client.player_id();
            remotes.events.blob.connect(move |bytes: Vec<u8>| {
                let tx = tx.clone();
                async move { tx.send((id, bytes)).unwrap() }
            });
            clients.push(client);
        }
        assert_eq!(h.remotes.events.blob.broadcast(blob.clone()), Fired { queued: 5, skipped: 0 });
        let excluded = h.player(&clients[0]);
        assert_eq!(h.remotes.events.blob.except(std::slice::from_ref(&excluded), blob.clone()), Fired { queued: 4, skipped: 0 });
        let mut per_client = std::collections::HashMap::new();
        for _ in 0..9 {
            let (id, bytes) = next(&mut rx).await;
            assert_eq!(bytes, blob);
            *per_client.entry(id).or_insert(0) += 1;
        }
        assert_eq!(per_client[&excluded.id()], 1);
        assert!(clients[1..].iter().all(|c| per_client[&c.player_id()] == 2));
    }

    // Point 7: predict runs this side's listeners locally, as if the event had arrived.
    async fn predict_runs_local_listeners(transport) {
        let h = Harness::new(transport).await;
        let (client, remotes) = h.client().await;
        let player = h.player(&client);
        let (tx, mut rx) = channel();
        let t = tx.clone();
        h.remotes.events.moved.connect(move |player: Player, x, y, z| {
            let t = t.clone();
            async move { t.send(format!("{} moved to {x},{y},{z}", player.id())).unwrap() }
        });
        h.remotes.events.moved.predict(&player, 1.0, 2.5, -3.0);
        assert_eq!(next(&mut rx).await, format!("{} moved to 1,2.5,-3", player.id()));
        let t = tx.clone();
        remotes.events.announce.connect(move |text: String| {
            let t = t.clone();
            async move { t.send(format!("heard {text}")).unwrap() }
        });
        remotes.events.announce.predict("local only".into());
        assert_eq!(next(&mut rx).await, "heard local only");
        // Predicting with no listener yet holds the event, as a real arrival would be.
        remotes.events.chatted.predict(7, "early".into());
        remotes.events.chatted.connect(move |from, text: String| {
            let tx = tx.clone();
            async move { tx.send(format!("{from}: {text}")).unwrap() }
        });
        assert_eq!(next(&mut rx).await, "7: early");
    }

    // Point 8: a name in both ServerEvents and ClientEvents is a two-way event.
    async fn two_way_events(transport) {
        let h = Harness::new(transport).await;
        let (tx, mut rx) = channel();
        let t = tx.clone();
        h.remotes.events.ping.connect(move |player: Player, n| {
            let t = t.clone();
            async move { t.send(("server", player.id(), n)).unwrap() }
        });
        let (client, remotes) = h.client().await;
        remotes.events.ping.connect(move |n| {
            let tx = tx.clone();
            async move { tx.send(("client", 0, n)).unwrap() }
        });
        remotes.events.ping.fire(1);
        assert_eq!(next(&mut rx).await, ("server", client.player_id(), 1));
        h.remotes.events.ping.fire(&h.player(&client), 2);
        assert_eq!(next(&mut rx).await, ("client", 0, 2));
    }

    // The relay pattern: clients never talk to clients; the server fires to the others with `except`.
    async fn chat_relay_through_the_server(transport) {
        let h = Harness::new(transport).await;
        let chatted = h.remotes.events.chatted.clone();
        h.remotes.events.chat.connect(move |player: Player, text: String| {
            chatted.except(std::slice::from_ref(&player), player.id(), text);
            async {}
        });
        let (tx, mut rx) = channel();
        let mut clients = Vec::new();
        for _ in 0..3 {
            let (client, remotes) = h.client().await;
            let tx = tx.clone();
            let me = client.player_id();
            remotes.events.chatted.connect(move |from, text: String| {
                let tx = tx.clone();
                async move { tx.send((me, from, text)).unwrap() }
            });
            clients.push((client, remotes));
        }
        let speaker = clients[1].0.player_id();
        clients[1].1.events.chat.fire("hi all".into());
        let mut heard = vec![next(&mut rx).await, next(&mut rx).await];
        heard.sort();
        let expected: Vec<_> = [&clients[0].0, &clients[2].0].iter().map(|c| (c.player_id(), speaker, "hi all".to_string())).collect();
        assert_eq!(heard, expected);
    }
}

// Point 6: an undecodable event is dropped with a warning naming the player and the event; the connection stays
// open and later traffic is unaffected. (Single-threaded so the log capture sees the connection tasks.)
#[tokio::test]
async fn bad_event_payloads_are_dropped_with_a_warning() {
    for transport in [Transport::Tcp, Transport::Memory, Transport::WebSocket, Transport::Tls, Transport::Wss] {
        let (logs, _guard) = Logs::capture();
        let h = Harness::new(transport).await;
        serve_echo(&h);
        let (tx, mut rx) = channel();
        h.remotes.events.chat.connect(move |_player, text: String| {
            let tx = tx.clone();
            async move { tx.send(text).unwrap() }
        });
        let mut raw = h.raw().await;
        let welcome = raw.handshake().await.unwrap();
        let chat = welcome.id_of("chat", RemoteKind::Event, Direction::ToServer).unwrap();
        let echo = welcome.id_of("echo", RemoteKind::Function, Direction::ToServer).unwrap();
        raw.send_event(chat, &encode_args(&(42u32,))).await.unwrap();
        raw.send_event(chat, &encode_args(&("a".to_string(), "b".to_string()))).await.unwrap();
        raw.send_event(chat, &[0xc1, 0xff]).await.unwrap();
        raw.send_event(chat, &encode_args(&("good".to_string(),))).await.unwrap();
        assert_eq!(next(&mut rx).await, "good");
        raw.send_request(echo, None, &encode_args(&("alive".to_string(),))).await.unwrap();
        let reply = within("reply", raw.recv()).await.unwrap();
        assert_eq!(reply, Some(RawMessage::ReplyOk { call: 0, value: remotes_runtime::testing::encode("alive") }));
        assert!(rx.try_recv().is_err());
        let player = format!("player={}", welcome.player_id);
        let warnings =
            logs.lines_with(&["WARN", "remote=\"chat\"", "kind=Event", &player, "rejected incoming arguments"]);
        assert_eq!(warnings.len(), 3, "{}", logs.text());
    }
}

// Point 4: dropping the oldest held event is logged, once per overflow (issue #10: a peer cannot turn its events
// into log lines).
#[tokio::test]
async fn a_full_event_queue_warns() {
    let (logs, _guard) = Logs::capture();
    let h = Harness::with(Transport::Memory, Server::builder().event_queue_len(2)).await;
    serve_echo(&h);
    let (_client, remotes) = h.client().await;
    for n in 0..5 {
        remotes.events.seq.fire(n);
    }
    barrier(&remotes).await;
    let warnings = logs.lines_with(&["WARN", "event=\"seq\"", "dropping the oldest"]);
    assert_eq!(warnings.len(), 1, "{}", logs.text());
}
