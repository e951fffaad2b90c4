//! Every kind of constraint, on both sides, with the `middleware` and `rate_limit` methods of the receiving side.
#![deny(missing_docs, warnings)]

use remotes_runtime::{Client, Player, RateLimit, Reject, Server, remotes};
use serde::{Deserialize, Serialize};

/// What `buy_item` returns.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Receipt {
    /// How many were bought.
    pub quantity: u8,
}

/// Refuses rude words; takes what a `String` borrows as.
pub fn no_profanity(text: &str) -> Result<(), String> {
    if text.contains("heck") { Err(format!("{text:?} is rude")) } else { Ok(()) }
}

/// Points must not repeat; takes the argument's own type.
pub fn distinct(points: &Vec<(i32, i32)>) -> Result<(), &'static str> {
    if points.windows(2).any(|pair| pair[0] == pair[1]) { Err("repeated point") } else { Ok(()) }
}

/// The longest path a client may send.
pub const MAX_POINTS: usize = 64;

/// The game's remotes.
#[remotes]
pub mod net {
    use super::*;

    /// Handled by the server.
    pub trait ServerFunctions {
        /// Buys an item.
        fn buy_item(item: u32, #[remote(range = 1..=99)] quantity: u8) -> Receipt;
        fn rename(#[remote(len = 3..=20)] name: String, #[remote(validate = crate::no_profanity)] bio: String);
        fn tune(#[remote(range = 0.0..1.0)] volume: f64, #[remote(range = -10..)] offset: i64, #[remote(range = ..10)] level: u8);
    }

    /// Handled by clients.
    pub trait ClientFunctions {
        fn confirm(#[remote(len = ..=MAX_LEN)] prompt: String) -> bool;
    }

    /// Heard by the server.
    pub trait ServerEvents {
        fn chat(#[remote(len = ..=200)] text: String);
        fn moved(x: f32, y: f32, z: f32);
        fn aim(#[remote(allow_non_finite)] angle: f32);
        fn path(#[remote(len = ..MAX_POINTS, validate = self::distinct)] points: Vec<(i32, i32)>);
        fn scores(#[remote(len = 1..8)] #[remote(validate = super::net_checks::fair)] scores: std::collections::HashMap<String, u32>);
        fn plain(value: u32);
    }

    /// Heard by clients.
    pub trait ClientEvents {
        fn announce(#[remote(len = 1..=280, validate = no_profanity)] text: String);
        fn weather(#[remote(range = 0.0..=1.0, allow_non_finite)] rain: f32);
    }

    /// The longest prompt.
    pub const MAX_LEN: usize = 100;
}

/// A check living in another module, named with `super::`.
pub mod net_checks {
    use std::collections::HashMap;

    /// No score above a million.
    pub fn fair(scores: &HashMap<String, u32>) -> Result<(), String> {
        match scores.iter().find(|(_, score)| **score > 1_000_000) {
            Some((name, _)) => Err(format!("{name} cheats")),
            None => Ok(()),
        }
    }
}

fn on_server(server: &Server<net::Api>) {
    let remotes = server.remotes().clone();
    let functions = &remotes.functions;
    functions.buy_item.set_callback(|_player, _item, quantity| async move { Receipt { quantity } });
    functions.buy_item.middleware(|_player: Player, (item, quantity)| async move { Ok((item, quantity.min(10))) });
    functions.buy_item.middleware(|player, args| async move {
        if player.id() == 0 { Err(Reject::new("shop closed")) } else { Ok(args) }
    });
    functions.buy_item.rate_limit(RateLimit::per_second(5.0).burst(10));
    functions.rename.middleware(|_player, (name, bio): (String, String)| async move { Ok((name.to_lowercase(), bio)) });
    functions.rename.rate_limit(RateLimit::per(1, std::time::Duration::from_secs(60)));
    functions.tune.rate_limit(RateLimit::per_second(1.0));
    let events = &remotes.events;
    events.chat.middleware(|_player, (text,)| async move { Ok((text.trim().to_owned(),)) });
    events.chat.rate_limit(RateLimit::per_second(10.0).burst(20));
    events.moved.middleware(|_player, (x, y, z)| async move { Ok((x, y, z.max(0.0))) });
    events.aim.rate_limit(RateLimit::per_second(30.0));
    events.path.middleware(|_player, args| async move { Ok(args) });
    events.scores.rate_limit(RateLimit::per_second(1.0));
    events.plain.middleware(|_player, args| async move { Ok(args) });
    let _ = events.announce.broadcast("hello".to_owned());
    let _ = events.weather.broadcast(f32::NAN);
}

fn on_client(client: &Client<net::Api>) {
    let remotes = client.remotes().clone();
    remotes.functions.confirm.set_callback(|prompt| async move { !prompt.is_empty() });
    remotes.functions.confirm.middleware(|(prompt,)| async move {
        if prompt.len() > 50 { Err(Reject::new("too long to read")) } else { Ok((prompt,)) }
    });
    remotes.events.announce.middleware(|args| async move { Ok(args) });
    remotes.events.weather.middleware(|(rain,)| async move { Ok((rain,)) });
    let _ = remotes.functions.buy_item.invoke(1, 5);
    let _ = remotes.events.chat.fire("hi".to_owned());
    let _ = remotes.events.path.fire(vec![(0, 0), (1, 1)]);
}

fn main() {
    let _ = (on_server, on_client);
    let table = net::interface().remotes();
    assert_eq!(table.len(), 12);
    let max_len = |remote: usize, arg: usize| table[remote].args[arg].max_len;
    assert_eq!(table[0].args.iter().map(|arg| arg.name).collect::<Vec<_>>(), ["item", "quantity"]);
    assert_eq!((max_len(0, 0), max_len(0, 1)), (None, None));
    assert_eq!((max_len(1, 0), max_len(1, 1)), (Some(20), None));
    assert_eq!(max_len(3, 0), Some(100));
    assert_eq!(max_len(4, 0), Some(200));
    assert_eq!(max_len(7, 0), Some(63));
    assert_eq!(max_len(8, 0), Some(7));
    assert_eq!(max_len(10, 0), Some(280));
}
