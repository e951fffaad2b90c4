//! Quickstart: one server and two clients over TCP, in one process.
//!
//! Run it with `cargo run --example quickstart` (add `RUST_LOG=debug` to watch the runtime work). It shows:
//! calls both ways, a timeout, a call nobody handles, `predict`, player callbacks, and events relayed by the server.

use std::time::Duration;

use remotes_runtime::{Client, FunctionError, Player, Server, remotes};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// What `buy_item` returns: any `Serialize + Deserialize` type can cross the wire.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Receipt {
    pub item: u32,
    pub quantity: u8,
    pub coins_left: u64,
}

/// The interface, declared once and shared by both sides. `#[remotes]` generates the marker `net::Api`: a server or a
/// client made for it hands out one typed handle per remote, `server.remotes()` and `client.remotes()`.
#[remotes]
pub mod net {
    use super::*;

    /// Invoked by clients, handled by the server.
    pub trait ServerFunctions {
        fn buy_item(item: u32, quantity: u8) -> Receipt;
        fn slow(millis: u64);
        fn daily_bonus() -> u64; // the server never sets a callback for this one
    }

    /// Invoked by the server on one player, handled by that client.
    pub trait ClientFunctions {
        fn confirm(prompt: String) -> bool;
    }

    /// Fired by clients, heard by the server.
    pub trait ServerEvents {
        fn chat(text: String);
    }

    /// Fired by the server, heard by clients.
    pub trait ClientEvents {
        fn said(from: u64, text: String);
        fn announce(text: String);
    }
}

/// Every wait in this example is bounded, so it can never hang.
const WAIT: Duration = Duration::from_secs(5);

/// Connects a client, answers `confirm` and forwards what it hears to a channel, so `main` prints it in order.
async fn join(
    server: &Server<net::Api>,
    name: &'static str,
) -> Result<(Client<net::Api>, mpsc::UnboundedReceiver<String>), Box<dyn std::error::Error>> {
    let client = Client::connect::<net::Api>(server.local_addr()?).await?;
    let remotes = client.remotes().clone();
    // Alice agrees to everything; Bob to nothing.
    remotes.functions.confirm.set_callback(move |prompt: String| async move {
        println!("[{name}] asked {prompt:?}");
        name == "alice"
    });
    let (tx, rx) = mpsc::unbounded_channel();
    let said = tx.clone();
    remotes.events.said.connect(move |from: u64, text: String| {
        let _ = said.send(format!("player {from} says {text:?}"));
        async {}
    });
    // Events fired before this listener existed (the join announcement) are held and delivered to it now.
    remotes.events.announce.connect(move |text: String| {
        let _ = tx.send(format!("announcement: {text}"));
        async {}
    });
    Ok((client, rx))
}

/// Waits (bounded) for the next thing a client heard, and prints it.
async fn hear(name: &str, rx: &mut mpsc::UnboundedReceiver<String>) {
    match tokio::time::timeout(WAIT, rx.recv()).await {
        Ok(Some(line)) => println!("[{name}] heard {line}"),
        _ => panic!("{name} heard nothing within {WAIT:?}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).init();

    // --- The server: bind for the interface, set callbacks, start. ---
    let server = Server::bind::<net::Api>("127.0.0.1:0").await?;
    let on_server = server.remotes().clone();
    on_server.functions.buy_item.set_callback(|player: Player, item, quantity| async move {
        println!("[server] player {} buys {quantity} x item {item}", player.id());
        Receipt { item, quantity, coins_left: 100 - 5 * u64::from(quantity) }
    });
    on_server.functions.slow.set_callback(|_player, millis| tokio::time::sleep(Duration::from_millis(millis)));
    // Clients never talk to each other: the server relays chat to everyone but the sender.
    let relay = on_server.clone();
    on_server.events.chat.connect(move |player: Player, text: String| {
        relay.events.said.except(std::slice::from_ref(&player), player.id(), text);
        async {}
    });
    let greeter = on_server.clone();
    server.on_player_added(move |player| {
        println!("[server] player {} joined", player.id());
        greeter.events.announce.broadcast(format!("player {} joined", player.id()));
    });
    let (left_tx, mut left) = mpsc::unbounded_channel();
    server.on_player_removing(move |player| {
        println!("[server] player {} left", player.id());
        let _ = left_tx.send(player.id());
    });
    // Clients are admitted from here on: every callback is in place.
    server.start();
    println!("[server] listening on {}", server.local_addr()?);

    // --- Two clients. Each hears its own join; Alice also hears Bob's. ---
    let (alice, mut alice_heard) = join(&server, "alice").await?;
    hear("alice", &mut alice_heard).await;
    let (bob, mut bob_heard) = join(&server, "bob").await?;
    hear("alice", &mut alice_heard).await;
    hear("bob", &mut bob_heard).await;
    let (to_alice, to_bob) = (alice.remotes(), bob.remotes()); // the handles whose callbacks `join` set

    // --- Client -> server: a call returning a struct. ---
    let receipt = to_alice.functions.buy_item.invoke(7, 2).await?;
    println!("[alice] got {receipt:?}");

    // --- Server -> client: ask every player, one by one. ---
    for player in server.players() {
        let answer = on_server.functions.confirm.invoke(&player, "Sell item 7?".to_string()).await?;
        println!("[server] player {} answered {answer}", player.id());
    }

    // --- A deadline: the callback takes 1 s, the caller waits 100 ms. ---
    let late = to_bob.functions.slow.invoke(1000).timeout(Duration::from_millis(100)).await;
    println!("[bob] slow(1000) with a 100 ms timeout: {late:?}");
    assert_eq!(late, Err(FunctionError::Timeout));

    // --- Nobody set a callback for daily_bonus on the server. ---
    let bonus = to_alice.functions.daily_bonus.invoke().await;
    println!("[alice] daily_bonus(): {bonus:?}");
    assert_eq!(bonus, Err(FunctionError::Unprocessed));

    // --- predict: run this side's own callback, without the network (arguments still go through MessagePack). ---
    let alice_player = server.player(alice.player_id()).expect("alice is connected");
    let predicted = on_server.functions.buy_item.predict(&alice_player, 1, 1).await?;
    println!("[server] predicted buy_item(1, 1) for alice: {predicted:?}");
    let would_answer = to_bob.functions.confirm.predict("Local question".to_string()).await?;
    println!("[bob] predicted his own confirm: {would_answer}");

    // --- Events: Alice chats; the server relays to everyone but her. Bob answers; only Alice hears that. ---
    to_alice.events.chat.fire("hi bob".to_string());
    hear("bob", &mut bob_heard).await;
    to_bob.events.chat.fire("hi alice".to_string());
    hear("alice", &mut alice_heard).await;
    assert!(alice_heard.try_recv().is_err() && bob_heard.try_recv().is_err(), "nobody hears their own chat");

    // --- Both leave: dropping a Client closes its connection, and the server's player-removing callback runs. ---
    for client in [bob, alice] {
        let id = client.player_id();
        drop(client);
        let left_id = tokio::time::timeout(WAIT, left.recv()).await?.expect("the server is alive");
        assert_eq!(left_id, id);
    }
    println!("done: {} player(s) connected", server.players().iter().filter(|p| p.is_connected()).count());
    Ok(())
}
