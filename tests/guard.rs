//! Guarding the boundary, over both transports: declared constraints, rejection hooks, middleware and rate limits
//! (every behaviour issue #4 promises).

mod common;

use std::sync::{Arc, Mutex};

use common::{Transport, eventually, within};
use remotes_runtime::testing::{RawClient, RawMessage, encode_args};
use remotes_runtime::{
    BadRequestReport, Client, Direction, FunctionError, Player, RateLimit, Reject, RemoteKind, Request, Server,
    ServerBuilder, remotes,
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Receipt {
    pub item: u32,
    pub quantity: u8,
}

pub fn no_profanity(text: &str) -> Result<(), String> {
    if text.contains("heck") { Err(format!("{text:?} is not for polite company")) } else { Ok(()) }
}

#[remotes]
pub mod shop {
    use super::*;
    use std::collections::HashMap;

    pub trait ServerFunctions {
        fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
        fn rename(#[remote(len = 3..=20)] name: String, #[remote(validate = crate::no_profanity)] bio: String) -> bool;
        fn scale(factor: f64) -> f64;
        fn tags(#[remote(len = ..=3)] tags: HashMap<String, u8>) -> usize;
        fn ping() -> u32;
    }

    pub trait ClientFunctions {
        fn offer(#[remote(range = 1..)] price: u64) -> bool;
        fn gift(item: u32) -> Receipt;
    }

    pub trait ServerEvents {
        fn chat(#[remote(len = ..=200)] text: String);
        fn moved(x: f32, y: f32, z: f32);
        fn aim(#[remote(allow_non_finite)] angle: f32);
        fn path(#[remote(len = ..=64)] points: Vec<(i32, i32)>);
    }

    pub trait ClientEvents {
        fn notice(#[remote(len = 1..=10)] text: String);
    }
}

/// A server with `shop` attached and its callbacks set.
struct Shop {
    server: Server<shop::Api>,
    remotes: shop::server::Remotes,
    transport: Transport,
}

impl Shop {
    async fn new(transport: Transport) -> Shop {
        Shop::with(transport, Server::builder()).await
    }

    async fn with(transport: Transport, builder: ServerBuilder) -> Shop {
        let server = common::bind::<shop::Api>(transport, builder).await;
        let remotes = server.remotes().clone();
        let f = &remotes.functions;
        f.buy_item.set_callback(|_player: Player, item, quantity| async move { Receipt { item, quantity } });
        f.rename.set_callback(|_player, _name, _bio| async move { true });
        f.scale.set_callback(|_player, factor| async move { factor * 2.0 });
        f.tags.set_callback(|_player, tags| async move { tags.len() });
        f.ping.set_callback(|_player| async move { 1 });
        server.start();
        Shop { server, remotes, transport }
    }

    async fn client(&self) -> (Client<shop::Api>, shop::client::Remotes) {
        let client = common::connect_to::<shop::Api, _>(self.transport, &self.server, Client::builder()).await.unwrap();
        let remotes = client.remotes().clone();
        (client, remotes)
    }

    async fn raw(&self) -> (RawClient, remotes_runtime::testing::RawWelcome) {
        let mut raw = common::raw_to(self.transport, &self.server).await;
        let welcome = raw.handshake().await.unwrap();
        (raw, welcome)
    }

    fn player(&self, client: &Client<shop::Api>) -> Player {
        self.server.player(client.player_id()).unwrap()
    }
}

fn id(welcome: &remotes_runtime::testing::RawWelcome, name: &str, kind: RemoteKind) -> u32 {
    welcome.id_of(name, kind, Direction::ToServer).unwrap()
}

async fn reply(raw: &mut RawClient) -> RawMessage {
    within("reply", raw.recv()).await.unwrap().expect("connection open")
}

fn bad_request(call: u32) -> RawMessage {
    RawMessage::ReplyErr { call, error: FunctionError::BadRequest }
}

every_transport! {
    // Points 1 and 3: declared constraints are checked on the receiving side; a breach is BadRequest, the
    // connection stays open.
    async fn constraints_are_checked_by_the_receiver(transport) {
        let shop = Shop::new(transport).await;
        let (mut raw, welcome) = shop.raw().await;
        let buy = id(&welcome, "buy_item", RemoteKind::Function);
        let rename = id(&welcome, "rename", RemoteKind::Function);
        let tags = id(&welcome, "tags", RemoteKind::Function);
        let cases: Vec<(u32, Vec<u8>, bool)> = vec![
            (buy, encode_args(&(7u32, 1u8)), true),
            (buy, encode_args(&(7u32, 99u8)), true),
            (buy, encode_args(&(7u32, 0u8)), false),
            (buy, encode_args(&(7u32, 100u8)), false),
            (rename, encode_args(&("bob".to_string(), "hi".to_string())), true),
            (rename, encode_args(&("bo".to_string(), "hi".to_string())), false),
            (rename, encode_args(&("b".repeat(21), "hi".to_string())), false),
            (rename, encode_args(&("bobby".to_string(), "oh heck".to_string())), false),
            (tags, encode_args(&(std::collections::HashMap::from([("a".to_string(), 1u8)]),)), true),
            (tags, encode_args(&((0..4).map(|i| (i.to_string(), i)).collect::<std::collections::HashMap<String, u8>>(),)), false),
        ];
        for (call, (remote, args, ok)) in cases.iter().enumerate() {
            raw.send_request(*remote, None, args).await.unwrap();
            let answer = reply(&mut raw).await;
            if *ok {
                assert!(matches!(answer, RawMessage::ReplyOk { call: c, .. } if c == call as u32), "case {call}: {answer:?}");
            } else {
                assert_eq!(answer, bad_request(call as u32), "case {call}");
            }
        }
        let player = shop.server.player(welcome.player_id).unwrap();
        assert_eq!(player.bad_requests(), cases.iter().filter(|(_, _, ok)| !ok).count() as u64);
    }

    // Point 2: f32/f64 arguments reject NaN and infinities unless marked allow_non_finite.
    async fn non_finite_floats_are_rejected_by_default(transport) {
        let shop = Shop::new(transport).await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let t = tx.clone();
        shop.remotes.events.moved.connect(move |_player, x, y, z| {
            let t = t.clone();
            async move { t.send(format!("moved {x} {y} {z}")).unwrap() }
        });
        shop.remotes.events.aim.connect(move |_player, angle| {
            let tx = tx.clone();
            async move { tx.send(format!("aim {angle}")).unwrap() }
        });
        let (mut raw, welcome) = shop.raw().await;
        let scale = id(&welcome, "scale", RemoteKind::Function);
        for (call, value) in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY].into_iter().enumerate() {
            raw.send_request(scale, None, &encode_args(&(value,))).await.unwrap();
            assert_eq!(reply(&mut raw).await, bad_request(call as u32));
        }
        let moved = id(&welcome, "moved", RemoteKind::Event);
        let aim = id(&welcome, "aim", RemoteKind::Event);
        raw.send_event(moved, &encode_args(&(1.0f32, f32::NAN, 0.0f32))).await.unwrap();
        raw.send_event(aim, &encode_args(&(f32::INFINITY,))).await.unwrap();
        raw.send_event(moved, &encode_args(&(1.0f32, 2.0f32, 3.0f32))).await.unwrap();
        assert_eq!(within("aim", rx.recv()).await.unwrap(), "aim inf");
        assert_eq!(within("moved", rx.recv()).await.unwrap(), "moved 1 2 3");
        // The honest client's side: a NaN it tries to send fails locally.
        let (_client, remotes) = shop.client().await;
        assert_eq!(within("scale", remotes.functions.scale.invoke(f64::NAN)).await, Err(FunctionError::BadRequest));
        assert_eq!(within("scale", remotes.functions.scale.invoke(1.5)).await, Ok(3.0));
    }

    // Points 3 and 6: events that break a constraint are dropped; an over-long value is refused from its header.
    async fn events_breaking_constraints_are_dropped(transport) {
        let shop = Shop::new(transport).await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        shop.remotes.events.chat.connect(move |_player, text: String| {
            let tx = tx.clone();
            async move { tx.send(text).unwrap() }
        });
        let (mut raw, welcome) = shop.raw().await;
        let chat = id(&welcome, "chat", RemoteKind::Event);
        raw.send_event(chat, &encode_args(&("x".repeat(201),))).await.unwrap();
        // A header announcing a 10 MB string (only a few bytes follow): refused without reading or allocating it.
        let mut huge = vec![0x91, 0xdb];
        huge.extend_from_slice(&10_000_000u32.to_be_bytes());
        huge.extend_from_slice(b"tiny");
        raw.send_event(chat, &huge).await.unwrap();
        raw.send_event(chat, &encode_args(&("x".repeat(200),))).await.unwrap();
        assert_eq!(within("chat", rx.recv()).await.unwrap().len(), 200);
        let player = shop.server.player(welcome.player_id).unwrap();
        assert_eq!(player.bad_requests(), 2);
        assert!(player.is_connected());
    }

    // Point 4: the sending side checks its own arguments and fails locally, without a round trip.
    async fn senders_check_their_own_arguments(transport) {
        let shop = Shop::new(transport).await;
        let (client, remotes) = shop.client().await;
        let player = shop.player(&client);
        assert_eq!(within("buy", remotes.functions.buy_item.invoke(1, 0)).await, Err(FunctionError::BadRequest));
        assert_eq!(within("rename", remotes.functions.rename.invoke("bob".into(), "heck".into())).await, Err(FunctionError::BadRequest));
        assert_eq!(remotes.events.chat.fire("x".repeat(201)), remotes_runtime::Fired { queued: 0, skipped: 1 });
        // Nothing reached the server.
        assert_eq!(within("buy", remotes.functions.buy_item.invoke(1, 1)).await, Ok(Receipt { item: 1, quantity: 1 }));
        assert_eq!(player.bad_requests(), 0);
        // Server -> client too.
        assert_eq!(within("offer", shop.remotes.functions.offer.invoke(&player, 0)).await, Err(FunctionError::BadRequest));
        assert_eq!(shop.remotes.events.notice.fire(&player, String::new()).skipped, 1);
        assert_eq!(shop.remotes.events.notice.broadcast("x".repeat(11)).skipped, 1);
    }

    // Point 5 and 7: a reply that does not decode as the declared type is InvalidResult, and on_bad_response hears of it.
    async fn bad_responses_are_reported(transport) {
        let shop = Shop::new(transport).await;
        let reports = Arc::new(Mutex::new(Vec::new()));
        let r = reports.clone();
        shop.server.on_bad_response(move |report| {
            r.lock().unwrap().push((report.player.as_ref().map(Player::id), report.remote, report.reason.clone()))
        });
        let (mut raw, welcome) = shop.raw().await;
        let player = shop.server.player(welcome.player_id).unwrap();
        let call = tokio::spawn(shop.remotes.functions.gift.invoke(&player, 7));
        let request = within("request", raw.recv()).await.unwrap().unwrap();
        assert!(matches!(request, RawMessage::Request { .. }), "{request:?}");
        let mut reply = vec![0];
        reply.extend(remotes_runtime::testing::encode("not a receipt"));
        raw.send_frame(remotes_runtime::testing::kinds::REPLY_OK, &reply).await.unwrap();
        assert_eq!(within("gift", call).await.unwrap(), Err(FunctionError::InvalidResult));
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!((reports[0].0, reports[0].1), (Some(welcome.player_id), "gift"));
    }

    // Point 7: on_bad_request gets the player, the remote, the argument's index and name and a reason; a game can
    // kick repeat offenders from the per-player count.
    async fn a_hook_kicks_repeat_offenders(transport) {
        let shop = Shop::new(transport).await;
        let reports: Arc<Mutex<Vec<BadRequestReport>>> = Arc::default();
        let r = reports.clone();
        shop.server.on_bad_request(move |report| {
            r.lock().unwrap().push(report.clone());
            if let Some(player) = &report.player
                && player.bad_requests() >= 3
            {
                player.disconnect();
            }
        });
        let (mut raw, welcome) = shop.raw().await;
        let buy = id(&welcome, "buy_item", RemoteKind::Function);
        raw.send_request(buy, None, &encode_args(&(1u32, 100u8))).await.unwrap();
        assert_eq!(reply(&mut raw).await, bad_request(0));
        {
            let reports = reports.lock().unwrap();
            let report = &reports[0];
            assert_eq!(report.player.as_ref().map(Player::id), Some(welcome.player_id));
            assert_eq!(report.remote, "buy_item");
            assert_eq!(report.argument, Some(remotes_runtime::Argument { index: 1, name: "quantity" }));
            assert!(report.reason.contains("100 is outside 1..=99"), "{}", report.reason);
        }
        raw.send_request(buy, None, &encode_args(&("one".to_string(), 1u8))).await.unwrap();
        assert_eq!(reply(&mut raw).await, bad_request(1));
        assert_eq!(reports.lock().unwrap()[1].argument, Some(remotes_runtime::Argument { index: 0, name: "item" }));
        raw.send_request(buy, None, &encode_args(&(1u32,))).await.unwrap();
        // The third strike: the wrong arity has no argument to blame, and the hook disconnects the player.
        let rest = within("kick", raw.recv_until_closed()).await.unwrap();
        assert!(rest.len() <= 1, "{rest:?}");
        assert_eq!(reports.lock().unwrap()[2].argument, None);
        eventually("kicked", || shop.server.players().is_empty()).await;
        // Honest players are unaffected.
        let (_client, remotes) = shop.client().await;
        assert_eq!(within("buy", remotes.functions.buy_item.invoke(2, 2)).await, Ok(Receipt { item: 2, quantity: 2 }));
    }

    // Point 8: global middleware sees every request (player, remote, kind, size) in registration order, then the
    // per-remote middleware, which sees typed arguments and may replace them. Both may be async.
    async fn middleware_order_and_replacement(transport) {
        let shop = Shop::new(transport).await;
        let seen = Arc::new(Mutex::new(Vec::new()));
        for tag in ["global 1", "global 2"] {
            let seen = seen.clone();
            shop.server.middleware(move |request: Request| {
                let seen = seen.clone();
                async move {
                    tokio::task::yield_now().await;
                    let player = request.player.as_ref().map(Player::id).unwrap();
                    seen.lock().unwrap().push(format!("{tag}: {} {:?} from {player} ({} bytes)", request.remote, request.kind, request.payload_len));
                    Ok(())
                }
            });
        }
        for tag in ["local 1", "local 2"] {
            let seen = seen.clone();
            shop.remotes.functions.buy_item.middleware(move |_player: Player, (item, quantity)| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push(format!("{tag}: {item} x {quantity}"));
                    // The per-remote middleware may replace the arguments: cap purchases at 10.
                    Ok((item, quantity.min(10)))
                }
            });
        }
        let (client, remotes) = shop.client().await;
        assert_eq!(within("buy", remotes.functions.buy_item.invoke(5, 50)).await, Ok(Receipt { item: 5, quantity: 10 }));
        let player = client.player_id();
        assert_eq!(*seen.lock().unwrap(), vec![
            format!("global 1: buy_item Function from {player} (3 bytes)"),
            format!("global 2: buy_item Function from {player} (3 bytes)"),
            "local 1: 5 x 50".to_string(),
            "local 2: 5 x 10".to_string(),
        ]);
        seen.lock().unwrap().clear();
        let (tx, mut rx) = mpsc::unbounded_channel();
        shop.remotes.events.chat.middleware(|_player: Player, (text,): (String,)| async move { Ok((text.to_uppercase(),)) });
        let t = tx.clone();
        shop.remotes.events.chat.connect(move |_player, text: String| {
            let t = t.clone();
            async move { t.send(text).unwrap() }
        });
        shop.remotes.events.chat.connect(move |_player, text: String| {
            let tx = tx.clone();
            async move { tx.send(format!("second {text}")).unwrap() }
        });
        remotes.events.chat.fire("hello".into());
        let mut heard = vec![within("chat", rx.recv()).await.unwrap(), within("chat", rx.recv()).await.unwrap()];
        heard.sort();
        assert_eq!(heard, vec!["HELLO".to_string(), "second HELLO".to_string()]);
        assert_eq!(seen.lock().unwrap().len(), 2, "global middleware sees events too");
    }

    // Point 8: a rejected call settles Cancelled, a rejected event is dropped, a panicking middleware is Unprocessed.
    async fn middleware_rejections_and_panics(transport) {
        let shop = Shop::new(transport).await;
        shop.remotes.functions.buy_item.middleware(|_player, (item, quantity)| async move {
            match item {
                13 => Err(Reject::new("unlucky item")),
                666 => panic!("middleware bug"),
                _ => Ok((item, quantity)),
            }
        });
        let (tx, mut rx) = mpsc::unbounded_channel();
        shop.remotes.events.chat.middleware(|_player, (text,): (String,)| async move {
            if text == "spam" { Err(Reject::new("spam")) } else { Ok((text,)) }
        });
        shop.remotes.events.chat.connect(move |_player, text: String| {
            let tx = tx.clone();
            async move { tx.send(text).unwrap() }
        });
        let (_client, remotes) = shop.client().await;
        assert_eq!(within("13", remotes.functions.buy_item.invoke(13, 1)).await, Err(FunctionError::Cancelled));
        assert_eq!(within("666", remotes.functions.buy_item.invoke(666, 1)).await, Err(FunctionError::Unprocessed));
        assert_eq!(within("7", remotes.functions.buy_item.invoke(7, 1)).await, Ok(Receipt { item: 7, quantity: 1 }));
        remotes.events.chat.fire("spam".into());
        remotes.events.chat.fire("ham".into());
        assert_eq!(within("chat", rx.recv()).await.unwrap(), "ham");
        // A global middleware that panics counts as Unprocessed too.
        shop.server.middleware(|request: Request| async move {
            if request.remote == "ping" { panic!("global middleware bug") } else { Ok(()) }
        });
        assert_eq!(within("ping", remotes.functions.ping.invoke()).await, Err(FunctionError::Unprocessed));
        assert_eq!(within("7", remotes.functions.buy_item.invoke(7, 2)).await, Ok(Receipt { item: 7, quantity: 2 }));
    }

    // Point 9: a per-player rate limit, per remote or global; over the limit: Cancelled, counted, no decoding.
    async fn rate_limits_per_player(transport) {
        let shop = Shop::new(transport).await;
        shop.remotes.functions.ping.rate_limit(RateLimit::per_second(0.001).burst(3));
        let (a, a_remotes) = shop.client().await;
        let (_b, b_remotes) = shop.client().await;
        for _ in 0..3 {
            assert_eq!(within("ping", a_remotes.functions.ping.invoke()).await, Ok(1));
        }
        assert_eq!(within("ping", a_remotes.functions.ping.invoke()).await, Err(FunctionError::Cancelled));
        // Another remote, and another player, have their own budgets.
        assert_eq!(within("buy", a_remotes.functions.buy_item.invoke(1, 1)).await, Ok(Receipt { item: 1, quantity: 1 }));
        assert_eq!(within("ping", b_remotes.functions.ping.invoke()).await, Ok(1));
        let player = shop.player(&a);
        assert_eq!(player.rate_limited(), 1);

        // Over the limit, arguments are not even decoded: garbage is Cancelled, not BadRequest, and not counted as bad.
        let (mut raw, welcome) = shop.raw().await;
        let ping = id(&welcome, "ping", RemoteKind::Function);
        for call in 0..3 {
            raw.send_request(ping, None, &encode_args(&())).await.unwrap();
            assert!(matches!(reply(&mut raw).await, RawMessage::ReplyOk { .. }), "call {call}");
        }
        raw.send_request(ping, None, &[0xc1, 0xc1, 0xc1]).await.unwrap();
        assert_eq!(reply(&mut raw).await, RawMessage::ReplyErr { call: 3, error: FunctionError::Cancelled });
        let raw_player = shop.server.player(welcome.player_id).unwrap();
        assert_eq!((raw_player.rate_limited(), raw_player.bad_requests()), (1, 0));

        // Events over a limit are dropped and counted.
        let (tx, mut rx) = mpsc::unbounded_channel();
        shop.remotes.events.chat.rate_limit(RateLimit::per_second(0.001).burst(2));
        shop.remotes.events.chat.connect(move |_player, text: String| {
            let tx = tx.clone();
            async move { tx.send(text).unwrap() }
        });
        for n in 0..5 {
            a_remotes.events.chat.fire(n.to_string());
        }
        assert_eq!(within("chat", rx.recv()).await.unwrap(), "0");
        assert_eq!(within("chat", rx.recv()).await.unwrap(), "1");
        eventually("three refused", || player.rate_limited() == 4).await;
        assert!(rx.try_recv().is_err());
    }

    // Point 9: a global rate limit covers every remote together.
    async fn a_global_rate_limit_covers_every_remote(transport) {
        let shop = Shop::new(transport).await;
        shop.server.rate_limit(RateLimit::per_second(0.001).burst(4));
        let (client, remotes) = shop.client().await;
        for _ in 0..2 {
            assert_eq!(within("ping", remotes.functions.ping.invoke()).await, Ok(1));
            assert!(within("buy", remotes.functions.buy_item.invoke(1, 1)).await.is_ok());
        }
        assert_eq!(within("ping", remotes.functions.ping.invoke()).await, Err(FunctionError::Cancelled));
        assert_eq!(within("buy", remotes.functions.buy_item.invoke(1, 1)).await, Err(FunctionError::Cancelled));
        assert_eq!(shop.player(&client).rate_limited(), 2);
    }

    // Point 10: predict runs validation and middleware too.
    async fn predict_runs_validation_and_middleware(transport) {
        let shop = Shop::new(transport).await;
        let (client, remotes) = shop.client().await;
        let player = shop.player(&client);
        let buy = &shop.remotes.functions.buy_item;
        assert_eq!(buy.predict(&player, 1, 0).await, Err(FunctionError::BadRequest));
        assert_eq!(buy.predict(&player, 1, 5).await, Ok(Receipt { item: 1, quantity: 5 }));
        buy.middleware(|_player, (item, quantity)| async move {
            if item == 13 { Err(Reject::new("unlucky")) } else { Ok((item, quantity + 1)) }
        });
        assert_eq!(buy.predict(&player, 13, 5).await, Err(FunctionError::Cancelled));
        assert_eq!(buy.predict(&player, 1, 5).await, Ok(Receipt { item: 1, quantity: 6 }));
        assert_eq!(player.bad_requests(), 1, "a predicted bad request counts like a real one");

        remotes.functions.offer.set_callback(|price| async move { price < 100 });
        assert_eq!(remotes.functions.offer.predict(0).await, Err(FunctionError::BadRequest));
        assert_eq!(remotes.functions.offer.predict(5).await, Ok(true));
        let (tx, mut rx) = mpsc::unbounded_channel();
        remotes.events.notice.middleware(|(text,): (String,)| async move { Ok((format!("[{text}]"),)) });
        remotes.events.notice.connect(move |text: String| {
            let tx = tx.clone();
            async move { tx.send(text).unwrap() }
        });
        remotes.events.notice.predict("x".repeat(11));
        remotes.events.notice.predict("ok".into());
        assert_eq!(within("notice", rx.recv()).await.unwrap(), "[ok]");
        assert!(rx.try_recv().is_err());
    }
}

// Point 7: rejections are logged, at a configurable level.
#[tokio::test]
async fn rejections_are_logged_at_the_configured_level() {
    let (logs, _guard) = common::Logs::capture();
    for (level, shown) in [(tracing::Level::WARN, "WARN"), (tracing::Level::INFO, "INFO")] {
        let shop = Shop::with(Transport::Memory, Server::builder().rejection_log_level(level)).await;
        let (mut raw, welcome) = shop.raw().await;
        let buy = id(&welcome, "buy_item", RemoteKind::Function);
        raw.send_request(buy, None, &encode_args(&(1u32, 0u8))).await.unwrap();
        assert_eq!(reply(&mut raw).await, bad_request(0));
        let player = format!("player={}", welcome.player_id);
        let lines = logs.lines_with(&[
            shown,
            &player,
            "remote=\"buy_item\"",
            "argument=\"quantity\"",
            "rejected incoming arguments",
        ]);
        assert_eq!(lines.len(), 1, "{}", logs.text());
    }
}
