//! Anticheat: guarding the server's boundary.
//!
//! Run it with `cargo run --example anticheat`. An honest player and a cheater connect over TCP. The server declares
//! constraints on its remotes, kicks a player after three bad requests, and rate-limits chat. The cheater speaks the
//! protocol byte by byte (`remotes_runtime::testing::RawClient`) to send what the typed API would never let it send.

use std::time::Duration;

use remotes_runtime::testing::{RawClient, RawMessage, encode_args};
use remotes_runtime::{Client, Direction, Player, RateLimit, Reject, RemoteKind, Server, remotes};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Receipt {
    pub item: u32,
    pub quantity: u8,
}

/// A `validate = ...` check: any function from a reference to the argument (or what it borrows as) to a
/// `Result<(), impl Display>`.
pub fn no_profanity(text: &str) -> Result<(), String> {
    if text.to_lowercase().contains("heck") { Err("watch your language".to_string()) } else { Ok(()) }
}

#[remotes]
pub mod net {
    use super::*;

    pub trait ServerFunctions {
        /// At most 99 of an item per purchase.
        fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
        /// Names are 3 to 20 bytes; bios must be polite.
        fn rename(#[remote(len = 3..=20)] name: String, #[remote(validate = crate::no_profanity)] bio: String) -> bool;
    }

    pub trait ServerEvents {
        /// Chat lines are at most 200 bytes: a longer one is refused from its header, before it is read.
        fn chat(#[remote(len = ..=200)] text: String);
        /// NaN and infinities are refused by default for `f32`/`f64` arguments.
        fn moved(x: f32, y: f32, z: f32);
    }
}

const WAIT: Duration = Duration::from_secs(5);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = Server::bind::<net::Api>("127.0.0.1:0").await?;
    let remotes = server.remotes().clone();
    remotes.functions.buy_item.set_callback(|player: Player, item, quantity| async move {
        println!("[server] player {} buys {quantity} x item {item}", player.id());
        Receipt { item, quantity }
    });
    remotes.functions.rename.set_callback(|player: Player, name, _bio| async move {
        println!("[server] player {} is now {name:?}", player.id());
        true
    });
    remotes.events.chat.connect(|player: Player, text: String| async move {
        println!("[server] player {} says {text:?}", player.id());
    });
    remotes.events.moved.connect(|player: Player, x, y, z| async move {
        println!("[server] player {} moved to ({x}, {y}, {z})", player.id());
    });

    // Middleware: a game rule on top of the declared constraints. The shop is closed for item 13.
    remotes.functions.buy_item.middleware(|_player: Player, (item, quantity)| async move {
        if item == 13 { Err(Reject::new("item 13 is not for sale")) } else { Ok((item, quantity)) }
    });
    // Rate limit: two chat lines a second per player, bursts of three. Over it, lines are dropped undecoded.
    remotes.events.chat.rate_limit(RateLimit::per_second(2.0).burst(3));
    // Three strikes: every rejected request is reported; the per-player count decides.
    server.on_bad_request(|report| {
        let Some(player) = &report.player else { return };
        let argument = report.argument.map_or("(arguments)".to_string(), |a| format!("`{}`", a.name));
        println!(
            "[server] strike {} for player {}: {} {argument}: {}",
            player.bad_requests(),
            player.id(),
            report.remote,
            report.reason
        );
        if player.bad_requests() >= 3 {
            println!("[server] kicking player {}", player.id());
            player.disconnect();
        }
    });

    server.start();

    // The honest player: its own mistakes fail locally, without a round trip.
    let honest = Client::connect::<net::Api>(server.local_addr()?).await?;
    let shop = honest.remotes().clone();
    println!("[honest] buy 2 x item 7: {:?}", shop.functions.buy_item.invoke(7, 2).await);
    println!("[honest] buy 0 x item 7 (a bug in the client): {:?}", shop.functions.buy_item.invoke(7, 0).await);
    println!("[honest] buy item 13: {:?}", shop.functions.buy_item.invoke(13, 1).await);
    for n in 1..=5 {
        let fired = shop.events.chat.fire(format!("line {n}"));
        println!("[honest] chat line {n}: queued {}", fired.queued);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let player = server.player(honest.player_id()).expect("connected");
    println!(
        "[server] the honest player was rate-limited {} times, rejected {} times",
        player.rate_limited(),
        player.bad_requests()
    );

    // The cheater: raw frames with out-of-range, oversized and malformed arguments.
    let mut cheater = RawClient::connect(server.local_addr()?).await?;
    let welcome = cheater.handshake().await?;
    let buy = welcome.id_of("buy_item", RemoteKind::Function, Direction::ToServer).expect("declared");
    let chat = welcome.id_of("chat", RemoteKind::Event, Direction::ToServer).expect("declared");
    let moved = welcome.id_of("moved", RemoteKind::Event, Direction::ToServer).expect("declared");

    cheater.send_request(buy, None, &encode_args(&(7u32, 250u8))).await?;
    println!("[cheater] buy 250 x item 7: {:?}", tokio::time::timeout(WAIT, cheater.recv()).await??);
    cheater.send_event(moved, &encode_args(&(0.0f32, f32::NAN, 0.0f32))).await?;
    // A header announcing a 10 MB chat line, followed by a few bytes: refused before anything is read.
    let mut huge = vec![0x91, 0xdb];
    huge.extend_from_slice(&10_000_000u32.to_be_bytes());
    huge.extend_from_slice(b"lol");
    cheater.send_event(chat, &huge).await?;
    let rest = tokio::time::timeout(WAIT, cheater.recv_until_closed()).await??;
    println!("[cheater] disconnected by the server ({} more frames before the close)", rest.len());
    assert!(rest.iter().all(|m| !matches!(m, RawMessage::ReplyOk { .. })));

    // The honest player never noticed.
    println!("[honest] rename: {:?}", shop.functions.rename.invoke("alice".into(), "hello!".into()).await);
    println!(
        "[honest] rename with a rude bio: {:?}",
        shop.functions.rename.invoke("alice".into(), "heck".into()).await
    );
    shop.events.moved.fire(1.0, 2.0, 3.0);
    tokio::time::sleep(Duration::from_millis(100)).await;
    println!("done: {} player(s) connected", server.players().len());
    Ok(())
}
